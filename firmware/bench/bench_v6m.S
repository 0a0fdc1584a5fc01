/*
 * Cycle micro-benchmarks for ARMv6-M (Cortex-M0+), Thumb-1 only, timed with
 * SysTick (ARMv6-M has no DWT cycle counter). See bench.h for the
 * measurement frame. The comment after each sequence gives the Cortex-M0+
 * figure (Arm DDI0484C as tabulated by Symex cycle_count_m0plus_core);
 * the test holds the expectations and their sources.
 *
 * Register conventions inside a benchmark: r4 = bench_buf (SRAM scratch);
 * r5-r7 belong to the measurement (bench.h).
 */

#include "bench.h"
#include "charge_sequence.h"

    .data
    .p2align 3
bench_buf:                      /* 64 bytes of SRAM scratch, word i = i */
    .set i, 0
    .rept 16
    .word i
    .set i, i + 1
    .endr

    .text

/* Calibration: START then STOP with nothing between. */
BENCH_FUNCTION empty
    START
    STOP

/* ---------------------------------------------------------------------------
 * Data processing and multiply
 */

BENCH alu_adds
    START
    adds r0, r1, r2             /* ALU: 1 */
    STOP

BENCH alu_x4                    /* four ALU operations: 4 */
    START
    adds r0, r1, r2
    eors r1, r2
    orrs r2, r3
    subs r3, r3, r1
    STOP

BENCH mov_imm
    START
    movs r0, #42                /* MOV: 1 */
    STOP

BENCH mov_reg
    START
    mov r0, r1                  /* MOV: 1 */
    STOP

BENCH shift_imm
    START
    lsls r0, r1, #3             /* shift: 1 */
    STOP

BENCH shift_reg
    movs r1, #5
    START
    lsls r0, r0, r1             /* shift by register: 1 */
    STOP

BENCH cmp
    START
    cmp r0, r1                  /* CMP: 1 */
    STOP

BENCH mov_pc                    /* MOV PC, Rm: 2 */
    adr r3, 1f
    START
    mov pc, r3
    udf #0
    .p2align 2
1:  STOP

BENCH muls
    movs r0, #123
    movs r1, #45
    START
    muls r0, r1, r0             /* MULS with the single-cycle multiplier: 1 */
    STOP

/* ---------------------------------------------------------------------------
 * Loads and stores: 2 cycles each, no pipelining
 */

BENCH ldr
    ldr r4, =bench_buf
    START
    ldr r0, [r4]                /* 2 */
    STOP

BENCH ldrb
    ldr r4, =bench_buf
    START
    ldrb r0, [r4, #1]           /* 2 */
    STOP

BENCH ldrh
    ldr r4, =bench_buf
    START
    ldrh r0, [r4, #2]           /* 2 */
    STOP

BENCH ldr_reg_offset
    ldr r4, =bench_buf
    movs r1, #8
    START
    ldr r0, [r4, r1]            /* 2 */
    STOP

BENCH ldr_ldr
    ldr r4, =bench_buf
    START
    ldr r0, [r4]                /* 2 + 2 = 4 */
    ldr r1, [r4, #4]
    STOP

BENCH ldr_str
    ldr r4, =bench_buf
    START
    ldr r0, [r4]                /* 2 + 2 = 4 */
    str r1, [r4, #8]
    STOP

BENCH str_imm
    ldr r4, =bench_buf
    START
    str r0, [r4, #4]            /* 2 */
    STOP

BENCH str_reg_offset
    ldr r4, =bench_buf
    movs r1, #8
    START
    str r0, [r4, r1]            /* 2 */
    STOP

BENCH ldr_use                   /* no load-to-use latency: 2 + 1 = 3 */
    ldr r4, =bench_buf
    START
    ldr r0, [r4]
    adds r1, r0, #1
    STOP

BENCH ldm2
    ldr r4, =bench_buf
    START
    ldm r4!, {r0, r1}           /* 1+N = 3 */
    STOP

BENCH ldm4
    ldr r4, =bench_buf
    START
    ldm r4!, {r0-r3}            /* 1+N = 5 */
    STOP

BENCH stm4
    ldr r4, =bench_buf
    START
    stm r4!, {r0-r3}            /* 1+N = 5 */
    STOP

BENCH push4
    START
    push {r0-r3}                /* 1+N = 5 */
    STOP 16

BENCH pop4
    push {r0-r3}
    START
    pop {r0-r3}                 /* 1+N = 5 */
    STOP

BENCH pop_pc                    /* POP {r4, pc}: 3+N, N = 2 registers = 5 */
    adr r3, 1f
    adds r3, r3, #1             /* Thumb bit */
    push {r3}                   /* popped into PC */
    push {r4}                   /* popped into r4 */
    START
    pop {r4, pc}
    udf #0
    .p2align 2
1:  STOP

/* ---------------------------------------------------------------------------
 * Branches
 */

BENCH b                         /* unconditional B: 2 */
    START
    b 1f
    udf #0
1:  STOP

BENCH b_taken                   /* B<c> taken: 2 */
    cmp r0, r0
    START
    beq 1f
    udf #0
1:  STOP

BENCH b_not_taken               /* B<c> not taken: 1 */
    cmp r0, r0
    START
    bne 9f
    STOP
9:  udf #0

BENCH bl                        /* BL: 3 */
    START
    bl 1f
    udf #0
1:  STOP

BENCH bx                        /* BX: 2 */
    adr r3, 1f
    adds r3, r3, #1
    START
    bx r3
    udf #0
    .p2align 2
1:  STOP

BENCH blx                       /* BLX Rm: 2 */
    adr r3, 1f
    adds r3, r3, #1
    START
    blx r3
    udf #0
    .p2align 2
1:  STOP

/* ---------------------------------------------------------------------------
 * System
 */

BENCH dmb
    START
    dmb                         /* 3 */
    STOP

BENCH dsb
    START
    dsb                         /* 3 */
    STOP

BENCH isb
    START
    isb                         /* 3 */
    STOP

BENCH mrs
    START
    mrs r0, primask             /* 3 */
    STOP

BENCH msr
    mrs r0, primask
    START
    msr primask, r0             /* 3 */
    STOP

BENCH cps                       /* CPS: 1 (Symex table) */
    START
    cpsie i
    STOP

/* ---------------------------------------------------------------------------
 * The sequence charge_check.S also runs without a runtime (charge_sequence.h)
 */

BENCH charge_check
    ldr r4, =bench_buf
    CHARGE_SETUP
    START
    CHARGE_SEQUENCE
    STOP

    BENCH_LIST_END
