@ An image with no vector table at the boot address: word 0 is not a stack pointer, so
@ mcusim must start at the ELF entry with SP at the top of SRAM. It prints through
@ SYS_WRITE0, checks SP is in SRAM, and exits with code 7 through SYS_EXIT_EXTENDED.
    .syntax unified
    .thumb
    .section .text
    .word 0xFFFFFFFF
    .global _start
    .thumb_func
_start:
    ldr r0, =0x20000000
    cmp sp, r0
    bls bad
    movs r0, #0x04          @ SYS_WRITE0
    ldr r1, =message
    bkpt 0xab
    movs r0, #0x20          @ SYS_EXIT_EXTENDED
    ldr r1, =exit_block
    bkpt 0xab
bad:
    bkpt #1
    .align 2
exit_block:
    .word 0x20026, 7        @ ADP_Stopped_ApplicationExit, exit code 7
message:
    .asciz "no vector table\n"
