/* Helpers shared by the sparse kernel sources (nn_sparse_fc.c, nn_sparse_conv.c); not public API. */
#ifndef MCUSIM_NN_SPARSE_INTERNAL_H
#define MCUSIM_NN_SPARSE_INTERNAL_H

#include "nn_internal.h"
#include "nn_sparse.h"

/* Groups of a 2:4 pair-table chunk: an index byte is (group mod 8) x 24 + pattern x 4, the byte
 * offset of the group's input pair in a one-column pair table (six words per group) from the
 * start of its chunk (nn_sparse.h). */
enum { NM24_CHUNK = 8 };

#if !defined(__ARM_FEATURE_DSP)
/* The two kept positions of the group an index byte belongs to, first | second << 2, by index
 * byte (the paths without a pair table): one load instead of working out the pattern. */
#define NM24_P(a, b) ((a) | (b) << 2), 0, 0, 0
#define NM24_GROUP NM24_P(0, 1), NM24_P(0, 2), NM24_P(0, 3), NM24_P(1, 2), NM24_P(1, 3), NM24_P(2, 3)
static const uint8_t __attribute__((unused)) nm24_pos[24 * NM24_CHUNK] = {
    NM24_GROUP, NM24_GROUP, NM24_GROUP, NM24_GROUP, NM24_GROUP, NM24_GROUP, NM24_GROUP, NM24_GROUP};
#undef NM24_GROUP
#undef NM24_P
#else
/* PKHBT / PKHTB with a 16-bit shift: halfword lanes (lo.bottom, hi.bottom) and (lo.top, hi.top). */
static inline uint32_t nn_pack_bottoms(uint32_t lo, uint32_t hi) {
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}

static inline uint32_t nn_pack_tops(uint32_t lo, uint32_t hi) {
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
    return r;
}

/* PKHBT without a shift: lanes (lo.bottom, hi.top). */
static inline uint32_t nn_pack_bottom_top(uint32_t lo, uint32_t hi) {
    uint32_t r;
    __asm__("pkhbt %0, %1, %2" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}
#endif

static inline int groups_of(int cols, int m) { return (cols + m - 1) / m; }

#if defined(__ARM_FEATURE_CLZ)
/* RBIT + CLZ on v7-M and v8-M mainline. */
#define ctz32(x) __builtin_ctz(x)
#else
/* Cortex-M0/M0+ have no CLZ, and GCC's __ctzsi2 loops; a de Bruijn multiply is five
 * instructions (the lowest set bit times 0x077CB531 puts a unique pattern in the top 5 bits). */
static inline int ctz32(uint32_t x) {
    static const uint8_t position[32] = {0,  1,  28, 2,  29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4,  8,
                                         31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6,  11, 5,  10, 9};
    return position[((x & (0u - x)) * 0x077CB531u) >> 27];
}
#endif

/* Rows per block where a kernel computes a block's accumulators first and requantizes them
 * after (CSR): 128 bytes of stack, one accumulator per row in FC, four in convolutions. */
enum { ROW_BLOCK_FC = 32, ROW_BLOCK = 8 };

/* The requantization parameters of a layer, loaded once per call (finish1 / finish4 use them). */
typedef struct {
    const int32_t *mult, *shift, *bias;
    int per_channel;
    int32_t out_off, lo, hi;
    int full; /* the clamp is the int8 range */
} row_finish_t;

static inline row_finish_t row_finish(const nn_sparse_t *w, const nn_act_t *act, const nn_quant_t *q) {
    row_finish_t f = {q->multiplier, q->shift, w->bias, q->per_channel, act->output_offset, act->act_min, act->act_max,
                      act->act_min == -128 && act->act_max == 127};
    return f;
}

/* Row r's output from its accumulator y (bias included), in general: nn_requant_out
 * (nn_internal.h) is nn_requantize + output offset + clamp, with a fast SMMULR path on the DSP
 * cores. Out of line, so that the row loops keep their registers. */
static __attribute__((noinline, unused)) int8_t finish_general(const row_finish_t *f, int r, int32_t y) {
    const int qi = f->per_channel ? r : 0;
    return (int8_t)nn_requant_out(y, f->mult[qi], f->shift[qi], f->out_off, f->lo, f->hi);
}

/* Row r's output for one column from its accumulator y (bias included). On the DSP path
 * nn_requant1 (branch-free) unless y is outside its range. */
static inline __attribute__((always_inline)) int8_t finish1(const row_finish_t *f, int r, int32_t y) {
    const int qi = f->per_channel ? r : 0;
    /* A channel whose weights were all pruned has multiplier 0 (and a saturated bias): nn_requantize
     * gives 0 for any accumulator. */
    if (f->mult[qi] == 0) return (int8_t)nn_clamp(f->out_off, f->lo, f->hi);
#if defined(__ARM_FEATURE_DSP)
    int32_t v;
    if (__builtin_expect(!nn_requant1(y, f->mult[qi], f->shift[qi], f->out_off, &v), 1))
        return (int8_t)(f->full ? v : nn_clamp(v, f->lo, f->hi)); /* after SSAT, as clamping the unsaturated value */
    return finish_general(f, r, y);
#else
    return (int8_t)nn_requant_out(y, f->mult[qi], f->shift[qi], f->out_off, f->lo, f->hi);
#endif
}

#define FINISH1(r) (out[r] = finish1(&f, (r), acc + f.bias[r]))

/* 2:4 rows hold an even number of groups, so that each row starts on a code byte. */
static inline int nm24_group_pairs(int cols) { return (groups_of(cols, 4) + 1) / 2; }

/* Words per output channel of a convolution's requantization constants (rq4_t,
 * nn_sparse_finish4.h), worked out once per layer call. */
enum { RQ4_WORDS = 5 };

/* int32 words of scratch the one-column kernels need (nn_sparse_fc.c). */
int nn_sparse_matvec_scratch_words(const nn_sparse_t *w);

#endif
