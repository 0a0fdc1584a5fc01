/*
 * Cycle micro-benchmarks for ARMv7-M and ARMv8-M mainline (Cortex-M3, M4,
 * M4F, M33), timed with DWT_CYCCNT. See bench.h for the measurement frame
 * and README.md for the expected figures and their sources.
 *
 * Each benchmark times one short straight-line sequence. Setup (constants,
 * flags, pushed return addresses) happens before START and is not measured.
 * The comment after each sequence gives the Cortex-M4 figure from the
 * reference tables; the test (Tests/MCUSimTests/CycleModelTests.swift)
 * holds the per-core expectations and their sources.
 *
 * Register conventions inside a benchmark: r4 = bench_buf (SRAM scratch);
 * r10-r12 belong to the measurement (bench.h).
 *
 * DSP benchmarks are assembled only when the core has the DSP extension
 * (M4, M33), FPU benchmarks only with a hardware FPU (M4F, M33).
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
 * Data processing
 */

BENCH alu_adds
    START
    adds r0, r1, r2             /* ALU: 1 */
    STOP

BENCH alu_x4                    /* four independent ALU operations: 4 */
    START
    add r0, r1, r2
    eor r1, r2, r3
    orr r2, r3, r5
    sub r3, r5, r6
    STOP

BENCH mov_imm
    START
    movw r0, #0x1234            /* MOV: 1 */
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
    movs r2, #5
    START
    lsl r0, r1, r2              /* shift by register: 1 */
    STOP

BENCH alu_shifted_operand
    START
    add r0, r1, r2, lsl #2      /* ALU with shifted operand 2: 1 */
    STOP

BENCH cmp
    START
    cmp r0, r1                  /* CMP: 1 */
    STOP

BENCH mov_pc                    /* MOV PC, Rm: 1+P */
    adr r3, 1f
    START
    mov pc, r3
    udf #0
    .p2align 2
1:  STOP

/* ---------------------------------------------------------------------------
 * Multiply and divide
 */

BENCH mul
    movs r1, #123
    movs r2, #45
    START
    mul r0, r1, r2              /* MUL: 1 */
    STOP

BENCH mla
    movs r1, #123
    movs r2, #45
    START
    mla r0, r1, r2, r3          /* MLA: 1 (M3: 2) */
    STOP

BENCH mls
    movs r1, #123
    movs r2, #45
    START
    mls r0, r1, r2, r3          /* MLS: 1 (M3: 2) */
    STOP

/* Full-width operands, so an early-terminating long multiply (M3) runs long. */
BENCH umull
    ldr r2, =0x9ABCDEF0
    ldr r3, =0x87654321
    START
    umull r0, r1, r2, r3        /* UMULL: 1 (M3: 3-5) */
    STOP

BENCH smull
    ldr r2, =0x9ABCDEF0
    ldr r3, =0x87654321
    START
    smull r0, r1, r2, r3        /* SMULL: 1 (M3: 3-5) */
    STOP

BENCH umlal
    ldr r2, =0x9ABCDEF0
    ldr r3, =0x87654321
    START
    umlal r0, r1, r2, r3        /* UMLAL: 1 (M3: 4-7) */
    STOP

BENCH smlal
    ldr r2, =0x9ABCDEF0
    ldr r3, =0x87654321
    START
    smlal r0, r1, r2, r3        /* SMLAL: 1 (M3: 4-7) */
    STOP

/*
 * SDIV/UDIV: 2-12 cycles by early termination. The comments give the
 * model's documented formula (CycleAccounting.swift divideCycles): 2 when
 * |dividend| < |divisor| or the divisor is 0, else
 * 2 + ceil(quotientBits / 3) capped at 12, where
 * quotientBits = clz(|divisor|) - clz(|dividend|) + 1.
 */
    .macro DIVIDE name, op, dividend, divisor
BENCH \name
    ldr r1, =\dividend
    ldr r2, =\divisor
    START
    \op r0, r1, r2
    STOP
    .endm

    DIVIDE udiv_smaller, udiv, 3, 7                 /* 3 < 7: 2 */
    DIVIDE udiv_small, udiv, 100, 7                 /* 29-25+1 = 5 bits: 2+2 = 4 */
    DIVIDE udiv_16bit, udiv, 0x10000, 3             /* 30-15+1 = 16 bits: 2+6 = 8 */
    DIVIDE udiv_large, udiv, 0xFFFFFFFF, 1          /* 31-0+1 = 32 bits: 2+11 = 13 -> 12 */
    DIVIDE udiv_by_zero, udiv, 5, 0                 /* divisor 0: 2 */
    DIVIDE sdiv_negative, sdiv, -1000000, 3         /* |n| 0xF4240: 30-12+1 = 19 bits: 2+7 = 9 */
    DIVIDE sdiv_large, sdiv, -0x40000000, 7         /* |n| 2^30: 29-1+1 = 29 bits: 2+10 = 12 */

/* ---------------------------------------------------------------------------
 * Loads and stores (TRM load/store pipelining rules, bench_buf is 0-wait SRAM)
 */

BENCH ldr
    ldr r4, =bench_buf
    START
    ldr r0, [r4]                /* LDR: 2 */
    STOP

BENCH ldrb
    ldr r4, =bench_buf
    START
    ldrb r0, [r4, #1]           /* LDRB: 2 */
    STOP

BENCH ldr_reg_offset
    ldr r4, =bench_buf
    movs r1, #8
    START
    ldr r0, [r4, r1]            /* LDR Rt,[Rn,Rm]: 2 */
    STOP

BENCH ldr_ldr
    ldr r4, =bench_buf
    START
    ldr r0, [r4]                /* LDR;LDR: 3 */
    ldr r1, [r4, #4]
    STOP

BENCH ldr_ldr_trm               /* the TRM's own example, LDR R0,[R1]; LDR R1,[R2]: 3 */
    ldr r1, =bench_buf
    mov r2, r1
    START
    ldr r0, [r1]
    ldr r1, [r2]
    STOP

BENCH ldr_x3
    ldr r4, =bench_buf
    START
    ldr r0, [r4]                /* three LDRs: 4 */
    ldr r1, [r4, #4]
    ldr r2, [r4, #8]
    STOP

/*
 * Post-indexed loads back to back (jnk0le, STM32F103/F407): the M4 chains them
 * only on different base registers, the M3 not at all.
 */
BENCH ldr_post_same_base        /* M4 and M3: no chaining, 2 + 2 = 4 */
    ldr r4, =bench_buf
    START
    ldr r0, [r4], #4
    ldr r1, [r4], #4
    STOP

BENCH ldr_post_two_bases        /* M4: chained, 3; M3: not chained, 4 */
    ldr r4, =bench_buf
    mov r5, r4
    START
    ldr r0, [r4], #4
    ldr r1, [r5], #4
    STOP

BENCH str_ldr                   /* TRM: STR imm 1 + LDR 2 = 3; jnk0le: a load after a store +1 */
    ldr r4, =bench_buf
    START
    str r0, [r4, #8]
    ldr r1, [r4]
    STOP

BENCH ldr_str
    ldr r4, =bench_buf
    START
    ldr r0, [r4]                /* LDR;STR: 3 */
    str r1, [r4, #8]
    STOP

BENCH str_imm
    ldr r4, =bench_buf
    START
    str r0, [r4, #4]            /* STR Rt,[Rn,#imm]: 1 */
    STOP

BENCH str_imm_x2
    ldr r4, =bench_buf
    START
    str r0, [r4, #4]            /* two immediate-offset STRs: 1+1 = 2 */
    str r1, [r4, #8]
    STOP

BENCH str_reg_offset
    ldr r4, =bench_buf
    movs r1, #8
    START
    str r0, [r4, r1]            /* STR Rt,[Rn,Rm]: 2 */
    STOP

BENCH str_reg_offset_ldr        /* nothing pipelines after a register-offset STR: 2+2 = 4 */
    ldr r4, =bench_buf
    movs r1, #8
    START
    str r0, [r4, r1]
    ldr r2, [r4]
    STOP

BENCH ldr_addr_dep              /* ALU result used as the address: 1 + 2 + 1 = 4 */
    ldr r4, =bench_buf
    START
    add r3, r4, #4
    ldr r0, [r3]
    STOP

/*
 * 32-bit encodings (.w) here and in ldm2/ldm4, it_*_x2: the Cortex-M33 only
 * dual-issues pairs of 16-bit instructions (jnk0le), so these sequences
 * cannot pair with the frame's NOPs and each instruction's own cost shows.
 */
BENCH ldr_use                   /* load result used by the next ALU op: 2 + 1 = 3 */
    ldr r4, =bench_buf
    START
    ldr.w r0, [r4]
    add.w r1, r0, #1
    STOP

BENCH ldr_nouse                 /* the same without the dependency: 2 + 1 = 3 */
    ldr r4, =bench_buf
    START
    ldr.w r0, [r4]
    add.w r1, r2, #1
    STOP

BENCH ldrd
    ldr r4, =bench_buf
    START
    ldrd r0, r1, [r4]           /* LDRD: 1+N = 3 */
    STOP

BENCH strd
    ldr r4, =bench_buf
    START
    strd r0, r1, [r4, #8]       /* STRD: 1+N = 3 */
    STOP

BENCH ldrd_ldr                  /* LDRD never pipelines: 3 + 2 = 5 */
    ldr r4, =bench_buf
    START
    ldrd r0, r1, [r4]
    ldr r2, [r4, #8]
    STOP

BENCH ldm2
    ldr r4, =bench_buf
    START
    ldm.w r4, {r0, r1}          /* LDM: 1+N = 3 */
    STOP

BENCH ldm4
    ldr r4, =bench_buf
    START
    ldm.w r4, {r0-r3}           /* LDM: 1+N = 5 */
    STOP

BENCH stm3
    ldr r4, =bench_buf
    START
    stm r4, {r0-r2}             /* STM: 1+N = 4 */
    STOP

BENCH push4
    START
    push {r0-r3}                /* PUSH: 1+N = 5 */
    STOP 16

BENCH pop4
    push {r0-r3}
    START
    pop {r0-r3}                 /* POP: 1+N = 5 */
    STOP

BENCH pop_pc                    /* POP {r4, pc}: 1+N+P, N = 2 */
    adr r3, 1f
    orr r3, r3, #1              /* Thumb bit */
    push {r3}                   /* popped into PC */
    push {r4}                   /* popped into r4 */
    START
    pop {r4, pc}
    udf #0
    .p2align 2
1:  STOP

BENCH ldr_pc                    /* LDR PC,[Rn]: 2 for the load + 3 for the reload = 5 */
    ldr r4, =bench_buf
    adr r3, 1f
    orr r3, r3, #1
    str r3, [r4, #60]
    START
    ldr pc, [r4, #60]
    udf #0
    .p2align 2
1:  STOP

/* ---------------------------------------------------------------------------
 * Branches. A taken branch always targets a label past a UDF, never its own
 * fall-through, so taken and not taken are distinguishable. B and B<c> are
 * 16-bit (.n): right after the frame's 16-bit NOP, a Cortex-M33 may
 * dual-issue them (jnk0le); the *_after_32bit variants rule that out.
 */

BENCH b                         /* unconditional B: 1+P */
    START
    b.n 1f
    udf #0
1:  STOP

BENCH b_taken                   /* B<c> taken: 1+P */
    cmp r0, r0                  /* Z = 1 */
    START
    beq.n 1f
    udf #0
1:  STOP

BENCH b_not_taken               /* B<c> not taken: 1 */
    cmp r0, r0                  /* Z = 1 */
    START
    bne.n 9f
    STOP
9:  udf #0

BENCH b_taken_after_32bit       /* 32-bit ALU op, then B<c> taken: 1 + (1+P) */
    cmp r0, r0
    START
    add.w r1, r2, r3
    beq.n 1f
    udf #0
1:  STOP

BENCH b_not_taken_after_32bit   /* 32-bit ALU op, then B<c> not taken: 1 + 1 */
    cmp r0, r0
    START
    add.w r1, r2, r3
    bne.n 9f
    STOP
9:  udf #0

BENCH bl                        /* BL: 1+P */
    START
    bl 1f
    udf #0
1:  STOP

BENCH bx                        /* BX: 1+P */
    adr r3, 1f
    orr r3, r3, #1
    START
    bx r3
    udf #0
    .p2align 2
1:  STOP

BENCH blx                       /* BLX Rm: 1+P */
    adr r3, 1f
    orr r3, r3, #1
    START
    blx r3
    udf #0
    .p2align 2
1:  STOP

BENCH cbz_taken                 /* CBZ taken: 1+P */
    movs r0, #0
    START
    cbz r0, 1f
    udf #0
1:  STOP

BENCH cbz_not_taken             /* CBZ not taken: 1 */
    movs r0, #1
    START
    cbz r0, 9f
    STOP
9:  udf #0

BENCH tbb                       /* TBB: at least 6 */
    movs r0, #1
    START
    tbb [pc, r0]
1:  .byte (2f - 1b) / 2, (3f - 1b) / 2
    .p2align 1
2:  udf #0
3:  STOP

BENCH tbh                       /* TBH: at least 6 */
    movs r0, #1
    START
    tbh [pc, r0, lsl #1]
1:  .hword (2f - 1b) / 2, (3f - 1b) / 2
2:  udf #0
3:  STOP

/* ---------------------------------------------------------------------------
 * IT blocks: the IT itself, conditional instructions that execute, and
 * conditional instructions that are skipped (they execute as NOPs).
 */

BENCH it_then_x2                /* IT + 2 executed ALU ops */
    ldr r4, =bench_buf
    cmp r0, r0                  /* EQ */
    START
    itt eq
    addeq.w r1, r1, #1
    addeq.w r2, r2, #1
    STOP

BENCH it_skip_x2                /* IT + 2 skipped ALU ops */
    cmp r0, r0                  /* EQ, so NE fails */
    START
    itt ne
    addne.w r1, r1, #1
    addne.w r2, r2, #1
    STOP

BENCH it_then_ldr               /* IT + executed LDR (2) */
    ldr r4, =bench_buf
    cmp r0, r0
    START
    it eq
    ldreq r0, [r4]
    STOP

BENCH it_skip_ldr_x2            /* IT + 2 skipped LDRs (1-cycle NOPs each) */
    ldr r4, =bench_buf
    cmp r0, r0
    START
    itt ne
    ldrne.w r0, [r4]
    ldrne.w r1, [r4, #4]
    STOP

BENCH it_skip_udiv              /* IT + skipped UDIV (a 1-cycle NOP) */
    ldr r1, =0xFFFFFFFF
    movs r2, #1
    cmp r0, r0
    START
    it ne
    udivne r0, r1, r2
    STOP

/* ---------------------------------------------------------------------------
 * System: barriers and special registers
 */

BENCH dmb
    START
    dmb                         /* 1+B */
    STOP

BENCH dsb
    START
    dsb                         /* 1+B */
    STOP

BENCH isb
    START
    isb                         /* 1+B */
    STOP

BENCH mrs
    START
    mrs r0, primask             /* MRS: 1-2 */
    STOP

BENCH msr
    mrs r0, primask
    START
    msr primask, r0             /* MSR: 1-2 (writes back the same value) */
    STOP

#if defined(__ARM_FEATURE_DSP)
/* ---------------------------------------------------------------------------
 * DSP extension (M4, M33): all single-cycle on the M4
 */

BENCH smlad
    START
    smlad r0, r1, r2, r3        /* 1 */
    STOP

BENCH sxtb16
    START
    sxtb16 r0, r1               /* 1 */
    STOP

BENCH uadd8
    START
    uadd8 r0, r1, r2            /* 1 */
    STOP

BENCH sel
    START
    sel r0, r1, r2              /* 1 */
    STOP
#endif

#if defined(__ARM_FP)
/* ---------------------------------------------------------------------------
 * FPU (FPv4-SP on M4F). Independent registers, so only issue cost counts,
 * except in vadd_dep.
 */

    .macro FP_SETUP
    vmov.f32 s1, #2.0
    vmov.f32 s2, #0.5
    vmov.f32 s4, #1.0
    .endm

BENCH vadd
    FP_SETUP
    START
    vadd.f32 s0, s1, s2         /* 1 */
    STOP

BENCH vmul
    FP_SETUP
    START
    vmul.f32 s0, s1, s2         /* 1 */
    STOP

BENCH vmla
    FP_SETUP
    START
    vmla.f32 s0, s1, s2         /* 3 */
    STOP

BENCH vfma
    FP_SETUP
    START
    vfma.f32 s0, s1, s2         /* 3 */
    STOP

BENCH vdiv
    FP_SETUP
    START
    vdiv.f32 s0, s1, s2         /* 14 */
    STOP

BENCH vsqrt
    FP_SETUP
    START
    vsqrt.f32 s0, s1            /* 14 */
    STOP

BENCH vadd_dep                  /* second VADD consumes the first's result: 1 + 1 + 1 */
    FP_SETUP
    START
    vadd.f32 s0, s1, s2
    vadd.f32 s3, s0, s4
    STOP

BENCH vldr
    ldr r4, =bench_buf
    START
    vldr s0, [r4]               /* VLDR.32: 2 */
    STOP

BENCH vldr64
    ldr r4, =bench_buf
    START
    vldr d0, [r4]               /* VLDR.64: 3 */
    STOP

BENCH vstr
    ldr r4, =bench_buf
    START
    vstr s0, [r4, #8]           /* VSTR.32: 2 */
    STOP

BENCH vldm4
    ldr r4, =bench_buf
    START
    vldmia r4, {s0-s3}          /* VLDM: 1+N = 5 */
    STOP

BENCH vpush4
    START
    vpush {s16-s19}             /* VPUSH: 1+N = 5 */
    STOP 16

BENCH vpop4
    vpush {s16-s19}
    START
    vpop {s16-s19}              /* VPOP: 1+N = 5 */
    STOP

BENCH vmov_to_fp
    START
    vmov s0, r0                 /* core -> FPU: 1 */
    STOP

BENCH vmov_to_core
    START
    vmov r0, s0                 /* FPU -> core: 1 */
    STOP

BENCH vmov_pair
    START
    vmov s0, s1, r0, r1         /* two core registers: 2 */
    STOP
#endif

/* ---------------------------------------------------------------------------
 * The sequence charge_check.S also runs without a runtime (charge_sequence.h)
 */

BENCH charge_check
    ldr r4, =bench_buf
    CHARGE_SETUP
    START
    CHARGE_SEQUENCE
    STOP

/* ---------------------------------------------------------------------------
 * Kernels, counted by hand in the test (CycleModelTests.swift)
 */

    .data
    .global kernel_dot_a, kernel_dot_b, kernel_dot_result
kernel_dot_a:                   /* a[i] = i - 8 */
    .set i, 0
    .rept 16
    .byte i - 8
    .set i, i + 1
    .endr
kernel_dot_b:                   /* b[i] = 3i - 20; sum of a[i]*b[i] = 1000 */
    .set i, 0
    .rept 16
    .byte 3 * i - 20
    .set i, i + 1
    .endr
    .p2align 2
kernel_dot_result:
    .word 0

    .global kernel_copy_src, kernel_copy_dst
kernel_copy_src:                /* src[i] = 0x01010101 * (i + 1) */
    .set i, 1
    .rept 16
    .word 0x01010101 * i
    .set i, i + 1
    .endr
kernel_copy_dst:
    .space 64
    .text

/* int8 dot product of 16 elements: LDRSB, LDRSB, MLA, SUBS, BNE. */
BENCH kernel_dot_s8x16
    ldr r0, =kernel_dot_a
    ldr r1, =kernel_dot_b
    movs r2, #16                /* elements left */
    movs r3, #0                 /* accumulator */
    START
1:  ldrsb r5, [r0], #1
    ldrsb r6, [r1], #1
    mla r3, r5, r6, r3
    subs r2, r2, #1
    bne 1b
    END_MEASURE
    ldr r1, =kernel_dot_result
    str r3, [r1]
    RETURN

/* Word copy of 16 words: LDR, STR (both post-indexed), SUBS, BNE. */
BENCH kernel_memcpy_w16
    ldr r0, =kernel_copy_dst
    ldr r1, =kernel_copy_src
    movs r2, #16                /* words left */
    START
1:  ldr r3, [r1], #4
    str r3, [r0], #4
    subs r2, r2, #1
    bne 1b
    STOP

    BENCH_LIST_END
