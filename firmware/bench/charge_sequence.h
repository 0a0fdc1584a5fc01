/*
 * charge_sequence.h: one mixed instruction sequence, measured two ways.
 *
 * bench_v7m.S / bench_v6m.S time it with the firmware's own counter (the
 * "charge_check" benchmark). charge_check.S runs it with no runtime at all,
 * once with and once without the sequence, so the test can take the
 * difference of the simulator's cycle totals. Both must agree: what the
 * firmware sees through DWT_CYCCNT or SysTick is what the simulator charged.
 *
 * CHARGE_SETUP expects r4 = a word-aligned scratch buffer of at least 16
 * bytes in SRAM, and loads the divide operands. The sequence uses r0-r6.
 * Its cost does not depend on the buffer's contents.
 */

#if defined(__ARM_ARCH_6M__)

    .macro CHARGE_SETUP
    movs r0, #0
    .endm

    /* Cortex-M0+ (Symex table): 2+2+1+1+2+1+2+5+5 = 21 cycles. */
    .macro CHARGE_SEQUENCE
    ldr r0, [r4]                /* LDR                  2 */
    ldr r1, [r4, #4]            /* LDR (no pipelining)  2 */
    adds r2, r0, r1             /* ALU                  1 */
    muls r2, r1, r2             /* MULS, fast mult.     1 */
    str r2, [r4, #8]            /* STR                  2 */
    cmp r0, r0                  /* ALU                  1 */
    beq 1f                      /* B taken              2 */
    udf #0
1:  push {r0-r3}                /* 1+N                  5 */
    pop {r0-r3}                 /* 1+N                  5 */
    .endm

#else

    .macro CHARGE_SETUP
    ldr r5, =100000             /* 100000 / 7: a 15-bit quotient */
    movs r6, #7
    .endm

    /* Cortex-M4 (P = 2): 2+1+1+7+1+1+1+3+5+5 = 27 cycles. */
    .macro CHARGE_SEQUENCE
    ldr r0, [r4]                /* LDR                          2 */
    ldr r1, [r4, #4]            /* LDR pipelined behind LDR     1 */
    add r2, r0, r1              /* ALU                          1 */
    udiv r3, r5, r6             /* 2 + ceil(15/3)               7 */
    mla r0, r1, r2, r3          /* MLA                          1 */
    str r0, [r4, #8]            /* STR Rt,[Rn,#imm]             1 */
    cmp r0, r0                  /* ALU                          1 */
    beq 1f                      /* B taken, 1+P                 3 */
    udf #0
1:  push {r0-r3}                /* 1+N                          5 */
    pop {r0-r3}                 /* 1+N                          5 */
    .endm

#endif
