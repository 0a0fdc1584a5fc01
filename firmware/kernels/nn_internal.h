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

/* Bias, requantization, output offset and clamp for output channel `c`. */
static inline int8_t nn_finish(int32_t acc, const int32_t *bias, int c, const nn_act_t *act,
                               const nn_quant_t *q) {
    int qi = q->per_channel ? c : 0;
    if (bias) acc += bias[c];
    int32_t v = nn_requantize(acc, q->multiplier[qi], q->shift[qi]) + act->output_offset;
    return (int8_t)nn_clamp(v, act->act_min, act->act_max);
}

#endif
