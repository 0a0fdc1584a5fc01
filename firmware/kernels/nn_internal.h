/* Helpers shared by the mcusim_nn kernel sources (not part of the public API). */
#ifndef MCUSIM_NN_INTERNAL_H
#define MCUSIM_NN_INTERNAL_H

#include <string.h>
#include "mcusim_nn.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

/* Unaligned-safe word load (one LDR on Cortex-M4/M7). */
static inline int32_t nn_read32(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline void nn_write32(void *p, int32_t v) { memcpy(p, &v, 4); }

/* SXTB16 with its built-in ROR #8: bytes 1 and 3 of x as two int16 lanes. (GCC 12 does not
 * fold a C rotate into the instruction, so it is spelled out.) */
static inline int32_t nn_sxtb16_ror8(int32_t x) {
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* SXTAB16 with ROR #8: bytes 1 and 3 of x sign-extended and added to the two int16 lanes of a. */
static inline int32_t nn_sxtab16_ror8(int32_t a, int32_t x) {
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}

/* The input offset in both int16 lanes, for SXTAB16. */
static inline int32_t nn_pack_offset(int32_t off) {
    return (int32_t)(((uint32_t)off & 0xFFFFu) | ((uint32_t)off << 16));
}
#endif

#if defined(__ARM_FEATURE_DSP)
/* The general case of nn_requant_out, out of line so that callers keep their registers for the
 * fast path. */
static __attribute__((noinline, unused)) int32_t nn_requant_slow(int32_t acc, int32_t m, int32_t shift) {
    return nn_requantize(acc, m, shift);
}

/* nn_requantize + output offset + clamp, with the same results. Fast path, for |x| < 2^29
 * (x = acc << left) and right shift r < 30 (always, in practice):
 *  - the doubling high multiply (x*m + 2^30) >> 31 is SMMULR(2x, m) = (2x*m + 2^31) >> 32;
 *  - the rounding divide (half away from zero) of v by 2^r is (2v + 2^r - (v < 0)) >> (r + 1)
 *    for every r >= 0 (|v| < 2^29 here, so 2v + 2^r does not overflow).
 * Anything else goes through nn_requantize. */
static inline int32_t nn_requant_out(int32_t acc, int32_t m, int32_t shift, int32_t out_off, int32_t lo,
                                     int32_t hi) {
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t r = left - shift;
    const int32_t x = (int32_t)((uint32_t)acc << left);
    int32_t v;
    if (__builtin_expect((uint32_t)x + (1u << 29) < (1u << 30) && r < 30, 1)) {
        int32_t h;
        __asm__("smmulr %0, %1, %2" : "=r"(h) : "r"(x * 2), "r"(m));
        v = (h * 2 + (1 << r) + (h >> 31)) >> (r + 1);
    } else {
        v = nn_requant_slow(acc, m, shift);
    }
    v += out_off;
    return v < lo ? lo : (v > hi ? hi : v);
}

/* nn_requant_out of two accumulators with the same channel parameters (two pixels of one
 * channel) for the full output range [-128, 127] (no fused clamp beyond int8: SSAT),
 * branch-free in assembly (GCC 12 turns the C into branches and spills). The fast path's
 * arithmetic as above; returns non-zero, with *v0 and *v1 unset, when either accumulator is
 * outside the fast path's range (or r >= 30), and the caller then takes nn_requant_out. */
static inline int nn_requant_pair(int32_t a0, int32_t a1, int32_t m, int32_t shift, int32_t out_off, int32_t *v0,
                                  int32_t *v1) {
    int32_t left, t, fail;
    __asm__("bic     %[left], %[shift], %[shift], asr #31\n\t" /* left = max(shift, 0) */
            "lsl     %[a0], %[a0], %[left]\n\t"                /* x0, x1 */
            "lsl     %[a1], %[a1], %[left]\n\t"
            "sub     %[left], %[left], %[shift]\n\t"           /* right shift r */
            "add     %[shift], %[a0], #0x20000000\n\t"         /* fail: x + 2^29 >= 2^30 ... */
            "add     %[t], %[a1], #0x20000000\n\t"
            "orr     %[shift], %[shift], %[t]\n\t"
            "add     %[t], %[left], #2\n\t"                    /* ... or r + 2 >= 32 */
            "orr     %[fail], %[t], %[shift], lsr #25\n\t"     /* bit 30 of x + 2^29 to bit 5 */
            "lsrs    %[fail], %[fail], #5\n\t"
            "lsl     %[a0], %[a0], #1\n\t"
            "smmulr  %[a0], %[a0], %[m]\n\t"                   /* h = (2x*m + 2^31) >> 32 */
            "lsl     %[a1], %[a1], #1\n\t"
            "smmulr  %[a1], %[a1], %[m]\n\t"
            "movs    %[t], #1\n\t"
            "lsl     %[t], %[t], %[left]\n\t"                  /* 2^r */
            "add     %[left], %[left], #1\n\t"
            "add     %[m], %[t], %[a0], lsl #1\n\t"            /* (2h + 2^r - (h < 0)) >> (r + 1) */
            "add     %[m], %[m], %[a0], asr #31\n\t"
            "asr     %[a0], %[m], %[left]\n\t"
            "add     %[m], %[t], %[a1], lsl #1\n\t"
            "add     %[m], %[m], %[a1], asr #31\n\t"
            "asr     %[a1], %[m], %[left]\n\t"
            "add     %[a0], %[a0], %[oo]\n\t"                  /* + output offset, to int8 */
            "add     %[a1], %[a1], %[oo]\n\t"
            "ssat    %[a0], #8, %[a0]\n\t"
            "ssat    %[a1], #8, %[a1]\n\t"
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [m] "+&r"(m), [shift] "+&r"(shift), [left] "=&r"(left), [t] "=&r"(t),
              [fail] "=&r"(fail)
            : [oo] "r"(out_off)
            : "cc");
    if (__builtin_expect(fail != 0, 0)) return 1;
    *v0 = a0;
    *v1 = a1;
    return 0;
}

/* nn_requant_pair for one accumulator: 0 and the int8 result in *v, or non-zero when the
 * accumulator is outside the fast path's range (or r >= 30). */
static inline int nn_requant1(int32_t a, int32_t m, int32_t shift, int32_t out_off, int32_t *v) {
    int32_t left, t, fail;
    __asm__("bic     %[left], %[shift], %[shift], asr #31\n\t" /* left = max(shift, 0) */
            "lsl     %[a], %[a], %[left]\n\t"                 /* x */
            "sub     %[left], %[left], %[shift]\n\t"          /* right shift r */
            "add     %[shift], %[a], #0x20000000\n\t"         /* fail: x + 2^29 >= 2^30 ... */
            "add     %[t], %[left], #2\n\t"                   /* ... or r + 2 >= 32 */
            "orr     %[fail], %[t], %[shift], lsr #25\n\t"
            "lsrs    %[fail], %[fail], #5\n\t"
            "lsl     %[a], %[a], #1\n\t"
            "smmulr  %[a], %[a], %[m]\n\t"                    /* h = (2x*m + 2^31) >> 32 */
            "movs    %[t], #1\n\t"
            "lsl     %[t], %[t], %[left]\n\t"                 /* 2^r */
            "add     %[left], %[left], #1\n\t"
            "add     %[t], %[t], %[a], lsl #1\n\t"            /* (2h + 2^r - (h < 0)) >> (r + 1) */
            "add     %[t], %[t], %[a], asr #31\n\t"
            "asr     %[a], %[t], %[left]\n\t"
            "add     %[a], %[a], %[oo]\n\t"
            "ssat    %[a], #8, %[a]\n\t"
            : [a] "+&r"(a), [shift] "+&r"(shift), [left] "=&r"(left), [t] "=&r"(t), [fail] "=&r"(fail)
            : [m] "r"(m), [oo] "r"(out_off)
            : "cc");
    if (__builtin_expect(fail != 0, 0)) return 1;
    *v = a;
    return 0;
}

/* nn_requant_pair for four accumulators with the same parameters (four pixels of one channel):
 * one range test for the four, about eleven instructions each. */
static inline int nn_requant4(int32_t a0, int32_t a1, int32_t a2, int32_t a3, int32_t m, int32_t shift,
                              int32_t out_off, int32_t v[4]) {
    int32_t left, t, fail;
    __asm__("bic     %[left], %[shift], %[shift], asr #31\n\t" /* left = max(shift, 0) */
            "lsl     %[a0], %[a0], %[left]\n\t"                /* x0 .. x3 */
            "lsl     %[a1], %[a1], %[left]\n\t"
            "lsl     %[a2], %[a2], %[left]\n\t"
            "lsl     %[a3], %[a3], %[left]\n\t"
            "sub     %[left], %[left], %[shift]\n\t"           /* right shift r */
            "add     %[shift], %[a0], #0x20000000\n\t"         /* fail: some x + 2^29 >= 2^30 ... */
            "add     %[t], %[a1], #0x20000000\n\t"
            "orr     %[shift], %[shift], %[t]\n\t"
            "add     %[t], %[a2], #0x20000000\n\t"
            "orr     %[shift], %[shift], %[t]\n\t"
            "add     %[t], %[a3], #0x20000000\n\t"
            "orr     %[shift], %[shift], %[t]\n\t"
            "add     %[t], %[left], #2\n\t"                    /* ... or r + 2 >= 32 */
            "orr     %[fail], %[t], %[shift], lsr #25\n\t"
            "lsrs    %[fail], %[fail], #5\n\t"
            "lsl     %[a0], %[a0], #1\n\t"
            "smmulr  %[a0], %[a0], %[m]\n\t"                   /* h = (2x*m + 2^31) >> 32 */
            "lsl     %[a1], %[a1], #1\n\t"
            "smmulr  %[a1], %[a1], %[m]\n\t"
            "lsl     %[a2], %[a2], #1\n\t"
            "smmulr  %[a2], %[a2], %[m]\n\t"
            "lsl     %[a3], %[a3], #1\n\t"
            "smmulr  %[a3], %[a3], %[m]\n\t"
            "movs    %[t], #1\n\t"
            "lsl     %[t], %[t], %[left]\n\t"                  /* 2^r */
            "add     %[left], %[left], #1\n\t"
            "add     %[shift], %[t], %[a0], lsl #1\n\t"        /* (2h + 2^r - (h < 0)) >> (r + 1) */
            "add     %[shift], %[shift], %[a0], asr #31\n\t"
            "asr     %[a0], %[shift], %[left]\n\t"
            "add     %[shift], %[t], %[a1], lsl #1\n\t"
            "add     %[shift], %[shift], %[a1], asr #31\n\t"
            "asr     %[a1], %[shift], %[left]\n\t"
            "add     %[shift], %[t], %[a2], lsl #1\n\t"
            "add     %[shift], %[shift], %[a2], asr #31\n\t"
            "asr     %[a2], %[shift], %[left]\n\t"
            "add     %[shift], %[t], %[a3], lsl #1\n\t"
            "add     %[shift], %[shift], %[a3], asr #31\n\t"
            "asr     %[a3], %[shift], %[left]\n\t"
            "add     %[a0], %[a0], %[oo]\n\t"                  /* + output offset, to int8 */
            "add     %[a1], %[a1], %[oo]\n\t"
            "add     %[a2], %[a2], %[oo]\n\t"
            "add     %[a3], %[a3], %[oo]\n\t"
            "ssat    %[a0], #8, %[a0]\n\t"
            "ssat    %[a1], #8, %[a1]\n\t"
            "ssat    %[a2], #8, %[a2]\n\t"
            "ssat    %[a3], #8, %[a3]\n\t"
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [shift] "+&r"(shift),
              [left] "=&r"(left), [t] "=&r"(t), [fail] "=&r"(fail)
            : [m] "r"(m), [oo] "r"(out_off)
            : "cc");
    if (__builtin_expect(fail != 0, 0)) return 1;
    v[0] = a0;
    v[1] = a1;
    v[2] = a2;
    v[3] = a3;
    return 0;
}

#else
static inline int32_t nn_requant_out(int32_t acc, int32_t m, int32_t shift, int32_t out_off, int32_t lo,
                                     int32_t hi) {
    return nn_clamp(nn_requantize(acc, m, shift) + out_off, lo, hi);
}
#endif

/* Requantization and output parameters, hoisted out of a kernel's loops. */
typedef struct {
    const int32_t *mult, *shift;
    int qstep; /* 1 per-channel, 0 per-tensor */
    int32_t out_off, lo, hi;
    int full;  /* lo == -128 && hi == 127: the clamp is the int8 range */
} nn_out_t;

/* Bias, requantization, output offset and clamp for output channel `c`. */
static inline int8_t nn_finish(int32_t acc, const int32_t *bias, int c, const nn_act_t *act,
                               const nn_quant_t *q) {
    int qi = q->per_channel ? c : 0;
    if (bias) acc += bias[c];
    return (int8_t)nn_requant_out(acc, q->multiplier[qi], q->shift[qi], act->output_offset, act->act_min,
                                  act->act_max);
}

#endif
