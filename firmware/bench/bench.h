/*
 * bench.h: assembler macros shared by the cycle-model micro-benchmarks.
 *
 * Included (through the C preprocessor) at the top of bench_v7m.S and
 * bench_v6m.S. Every benchmark is a function
 *
 *     uint32_t bench_<name>(void)
 *
 * that returns the cycles from the start of one counter read to the start of
 * the next, with the sequence under test in between:
 *
 *     BENCH   name          @ function entry, registers the name in bench_list
 *     ...setup...           @ not measured
 *     START                 @ nop; read counter -> t0; nop
 *     ...sequence...        @ measured
 *     STOP                  @ nop; read counter -> t1; return t1 - t0
 *
 * A counter read returns the count at the START of the reading instruction,
 * so t1 - t0 = (t0's read) + nop + sequence + nop. The harness (main.c) runs
 * bench_empty, which is START immediately followed by STOP, and subtracts its
 * result: what remains is the sequence alone.
 *
 * Why the NOPs: without them the first instruction of the sequence would sit
 * right behind the t0 load (on M3/M4 a following load pipelines behind it and
 * would look one cycle cheaper) and the t1 load right behind the sequence's
 * last instruction (a store or ALU result feeding it could change its cost).
 * A NOP is 1 cycle on every core, reads and writes no register and is not a
 * load, so it isolates the sequence on both sides and cancels in calibration.
 *
 * Counters:
 *   ARMv7-M / ARMv8-M mainline (M3, M4, M33): DWT_CYCCNT at 0xE0001004, which
 *   counts up once main.c has set DEMCR.TRCENA and DWT_CTRL.CYCCNTENA.
 *   ARMv6-M (M0+): no DWT cycle counter; SysTick CVR at 0xE000E018 counts
 *   down once per cycle from RVR = 0xFFFFFF (set up by main.c), so the
 *   elapsed count is (t0 - t1) mod 2^24.
 *
 * Registers the macros own (sequences must leave them alone):
 *   v7m: r12 = counter address, r11 = t0, r10 = t1
 *   v6m: r7  = counter address, r6  = t0, r5  = t1
 */

    .syntax unified
    .thumb

/*
 * bench_list: the table main.c walks, one {name, function} pair per BENCH,
 * in source order, terminated by BENCH_LIST_END's {0, 0}. Entries are
 * appended to this one section with .pushsection, so the order is the order
 * of the BENCH macros in the file.
 */
    .pushsection .rodata.bench_list, "a"
    .p2align 2
    .global bench_list
bench_list:
    .popsection

    .macro BENCH_LIST_END
    .pushsection .rodata.bench_list, "a"
    .word 0, 0
    .popsection
    .endm

/* BENCH_FUNCTION name: the function bench_<name>, without a list entry. */
    .macro BENCH_FUNCTION name
    .text
    .p2align 2
    .global bench_\name
    .type bench_\name, %function
    .thumb_func
bench_\name:
    PROLOGUE
    .endm

/* BENCH name: a benchmark main.c runs and prints as "<name> <cycles>". */
    .macro BENCH name
    .pushsection .rodata.bench_names, "a"
.Lbench_name_\name:
    .asciz "\name"
    .popsection
    .pushsection .rodata.bench_list, "a"
    .word .Lbench_name_\name, bench_\name   /* bit 0 set: a Thumb function */
    .popsection
    BENCH_FUNCTION \name
    .endm

/* STOP [pop_bytes]: END_MEASURE, drop pop_bytes of stack the sequence pushed, RETURN. */
    .macro STOP pop_bytes=0
    END_MEASURE
    .if \pop_bytes
    add sp, sp, #\pop_bytes
    .endif
    RETURN
    .endm

#if defined(__ARM_ARCH_6M__)

    .macro PROLOGUE
    push {r3-r7, lr}            /* 6 words: keeps SP 8-byte aligned */
    ldr r7, =0xE000E018         /* SYST_CVR */
    .endm

    .macro START
    nop
    ldr r6, [r7]                /* t0 = CVR at the start of this LDR */
    nop
    .endm

    .macro END_MEASURE
    nop
    ldr r5, [r7]                /* t1 = CVR at the start of this LDR */
    subs r0, r6, r5             /* SysTick counts down: elapsed = t0 - t1 */
    lsls r0, r0, #8             /* ...modulo 2^24 (CVR is 24 bits wide) */
    lsrs r0, r0, #8
    .endm

    .macro RETURN
    pop {r3-r7, pc}
    .ltorg
    .endm

#else

    .macro PROLOGUE
    push {r3-r11, lr}           /* 10 words: keeps SP 8-byte aligned */
    ldr r12, =0xE0001004        /* DWT_CYCCNT */
    .endm

    .macro START
    nop
    ldr r11, [r12]              /* t0 = CYCCNT at the start of this LDR */
    nop
    .endm

    .macro END_MEASURE
    nop
    ldr r10, [r12]              /* t1 = CYCCNT at the start of this LDR */
    sub r0, r10, r11
    .endm

    .macro RETURN
    pop {r3-r11, pc}
    .ltorg
    .endm

#endif
