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
#else
static inline int32_t nn_requant_out(int32_t acc, int32_t m, int32_t shift, int32_t out_off, int32_t lo,
                                     int32_t hi) {
    return nn_clamp(nn_requantize(acc, m, shift) + out_off, lo, hi);
}
#endif

/* Bias, requantization, output offset and clamp for output channel `c`. */
static inline int8_t nn_finish(int32_t acc, const int32_t *bias, int c, const nn_act_t *act,
                               const nn_quant_t *q) {
    int qi = q->per_channel ? c : 0;
    if (bias) acc += bias[c];
    return (int8_t)nn_requant_out(acc, q->multiplier[qi], q->shift[qi], act->output_offset, act->act_min,
                                  act->act_max);
}

#endif
