/*
 * charge_check.S: CHARGE_SEQUENCE (charge_sequence.h) with no runtime, no
 * counter and no semihosting output, for the test that the firmware's view
 * of the cycle count equals what the simulator charged.
 *
 * Built twice, with and without -DWITH_SEQUENCE. Between the two, the only
 * difference in executed code is the sequence, which sits between two NOPs
 * in both builds, so the difference of the runs' cycle totals is exactly
 * what the simulator charged for it. The bench firmware measures the same
 * sequence, between the same NOPs, with DWT_CYCCNT or SysTick.
 *
 * Link with -nostdlib -nostartfiles -Wl,-Ttext=0x0 -Wl,-e,_start: word 0 is
 * not a stack pointer, so mcusim starts at the ELF entry with SP at the top
 * of SRAM.
 */

#include "charge_sequence.h"

    .syntax unified
    .thumb
    .text
    .word 0xFFFFFFFF            /* no vector table */

    .global _start
    .type _start, %function
    .thumb_func
_start:
    ldr r4, =0x20001000         /* SRAM scratch */
    CHARGE_SETUP
    nop
#if defined(WITH_SEQUENCE)
    CHARGE_SEQUENCE
#endif
    nop
    movs r0, #0x20              /* SYS_EXIT_EXTENDED */
    adr r1, exit_block
    bkpt 0xab

    .p2align 2
exit_block:
    .word 0x20026, 0            /* ADP_Stopped_ApplicationExit, exit code 0 */
    .ltorg
