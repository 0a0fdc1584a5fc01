# Per-board compiler facts: the single place that maps a board name to its
# CPU flags. The mcusim Swift package models the same boards, so keep the two
# in sync when adding one. The memory map deliberately lives only in
# runtime/<board>.ld (the linker script is named after the board).
#
# Format, one line per board, so it is trivial to read from other tools:
#   CPUFLAGS_<board> := <gcc flags selecting core, ISA and float ABI>

BOARDS := max32660 samd21 stm32f746-disco max32650 max78000 nrf52840 rp2040

# Maxim MAX32660: Cortex-M4 with single-precision FPU, hard-float ABI.
CPUFLAGS_max32660 := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16

# Microchip SAMD21: Cortex-M0+ (ARMv6-M), no FPU.
CPUFLAGS_samd21 := -mcpu=cortex-m0plus -mthumb

# ST STM32F746G-DISCO: Cortex-M7 with double-precision FPU, hard-float ABI.
CPUFLAGS_stm32f746-disco := -mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16

# Analog Devices MAX32650 and MAX78000 (its Cortex-M4F side): Cortex-M4 with FPU.
CPUFLAGS_max32650 := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
CPUFLAGS_max78000 := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16

# Nordic nRF52840: Cortex-M4 with FPU.
CPUFLAGS_nrf52840 := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16

# Raspberry Pi RP2040: Cortex-M0+.
CPUFLAGS_rp2040 := -mcpu=cortex-m0plus -mthumb
