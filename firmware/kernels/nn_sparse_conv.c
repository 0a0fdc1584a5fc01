/* Sparse convolution: four output pixels per pass over the weights (nn_sparse.h). */
#include "nn_sparse_internal.h"

/* ---- Four pixels at a time (convolutions) ----
 * Each weight entry is loaded and decoded once for four output pixels: the four pixels'
 * inputs are interleaved, xs[c] = the column-c inputs of pixels 0..3 as four bytes, so one
 * word load brings all four and SXTB16 splits them into lanes (p0, p2) and (p1, p3). This
 * amortizes the index decode and the row set-up, which dominate at high sparsity. */
#if defined(__ARM_FEATURE_DSP)
#define MAC4(wv, x4)                                                    \
    do {                                                                \
        int32_t xe_ = __sxtb16(x4), xo_ = nn_sxtb16_ror8(x4);           \
        a0 = __smlabb((wv), xe_, a0);                                   \
        a2 = __smlabt((wv), xe_, a2);                                   \
        a1 = __smlabb((wv), xo_, a1);                                   \
        a3 = __smlabt((wv), xo_, a3);                                   \
    } while (0)
#else
#define MAC4(wv, x4)                                                    \
    do {                                                                \
        a0 += (wv) * (int8_t)(x4);                                      \
        a1 += (wv) * (int8_t)((x4) >> 8);                               \
        a2 += (wv) * (int8_t)((x4) >> 16);                              \
        a3 += (wv) * (int8_t)((x4) >> 24);                              \
    } while (0)
#endif

/* finish4 in general (accumulators outside nn_requant4's range, right shifts of 30 or more, a
 * clamp narrower than int8, the plain C path). Out of line, so that the row loops keep their
 * registers. */
static __attribute__((noinline, unused)) void finish4_general(const row_finish_t *f, int r, int32_t a0, int32_t a1,
                                                      int32_t a2, int32_t a3, int8_t *out, int stride) {
    const int32_t b = f->bias[r];
    out[0] = finish_general(f, r, a0 + b);
    out[stride] = finish_general(f, r, a1 + b);
    out[2 * stride] = finish_general(f, r, a2 + b);
    out[3 * stride] = finish_general(f, r, a3 + b);
}

/* A clamp narrower than int8 after nn_requant4's SSAT (the same as clamping before it). */
static inline void clamp4(int32_t v[4], int32_t lo, int32_t hi) {
    v[0] = nn_clamp(v[0], lo, hi);
    v[1] = nn_clamp(v[1], lo, hi);
    v[2] = nn_clamp(v[2], lo, hi);
    v[3] = nn_clamp(v[3], lo, hi);
}

/* Bias, requantization and clamp of row r's four accumulators (four pixels of one channel,
 * stored `stride` bytes apart). A channel whose multiplier is 0 (all its weights pruned: its
 * scale is 0, and the quantizer saturates its bias) outputs clamp(output offset) whatever its
 * accumulators, as nn_requantize gives 0 for any input. On the DSP path the four share one
 * branch-free sequence (nn_requant4). */
static inline __attribute__((always_inline)) void finish4(const row_finish_t *f, int r, int32_t a0, int32_t a1,
                                                          int32_t a2, int32_t a3, int8_t *out, int stride) {
    const int qi = f->per_channel ? r : 0;
    const int32_t m = f->mult[qi];
    out += r;
    if (m == 0) {
        const int8_t z = (int8_t)nn_clamp(f->out_off, f->lo, f->hi);
        out[0] = out[stride] = out[2 * stride] = out[3 * stride] = z;
        return;
    }
#if defined(__ARM_FEATURE_DSP)
    const int32_t b = f->bias[r];
    int32_t v[4];
    if (__builtin_expect(!nn_requant4(a0 + b, a1 + b, a2 + b, a3 + b, m, f->shift[qi], f->out_off, v), 1)) {
        if (!f->full) clamp4(v, f->lo, f->hi);
        out[0] = (int8_t)v[0];
        out[stride] = (int8_t)v[1];
        out[2 * stride] = (int8_t)v[2];
        out[3 * stride] = (int8_t)v[3];
        return;
    }
    finish4_general(f, r, a0, a1, a2, a3, out, stride);
#else
    const int32_t b = f->bias[r], s = f->shift[qi];
    out[0] = (int8_t)nn_requant_out(a0 + b, m, s, f->out_off, f->lo, f->hi);
    out[stride] = (int8_t)nn_requant_out(a1 + b, m, s, f->out_off, f->lo, f->hi);
    out[2 * stride] = (int8_t)nn_requant_out(a2 + b, m, s, f->out_off, f->lo, f->hi);
    out[3 * stride] = (int8_t)nn_requant_out(a3 + b, m, s, f->out_off, f->lo, f->hi);
#endif
}

#define FINISH4(r) finish4(&f, (r), a0, a1, a2, a3, out, stride)

/* ---- CSR rows against four pixels ----
 * On the DSP path a row's four accumulators are computed by csr8_row4 / csr16_row4 for a block
 * of up to ROW_BLOCK rows, and then the block is requantized (finish_rows4): the two loops do
 * not compete for registers, which the assembly of both needs. The plain C path keeps a row's
 * accumulators in registers up to its requantization. */
#if defined(__ARM_FEATURE_DSP)
/* Four entries per iteration, with SMLAD: two entries share one SMLAD per pixel. SXTB16 of
 * the value word gives (v0, v2), with ROR 8 (v1, v3); PKHBT / PKHTB of two column words give
 * bytes (p0, p1) or (p2, p3) of both columns, and SXTB16 (ROR 8) widens each pixel's pair:
 * 34 instructions for 16 MACs, against 44 with one SMLAxy per MAC. Then the last 0-3 entries
 * one at a time (SMLABB / SMLABT). In assembly: 13 registers. */
static inline __attribute__((always_inline)) void csr16_row4(const int8_t **pv, const uint16_t **pcol, int n,
                                                             const int32_t *xs, int32_t acc[4]) {
    const int8_t *v = *pv;
    const uint16_t *col = *pcol;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, w, wo, x0, x2, t;
    __asm__ volatile(
        "subs    %[n], %[n], #4\n\t"
        "blt     2f\n"
        "1:\n\t"
        "ldr     %[w], [%[v]], #4\n\t"
        "ldrh    %[x0], [%[col]]\n\t"                /* entries 0 and 2 */
        "ldrh    %[x2], [%[col], #4]\n\t"
        "sxtb16  %[wo], %[w], ror #8\n\t"
        "sxtb16  %[w], %[w]\n\t"
        "ldr     %[x0], [%[xs], %[x0], lsl #2]\n\t"
        "ldr     %[x2], [%[xs], %[x2], lsl #2]\n\t"
        "pkhtb   %[t], %[x2], %[x0], asr #16\n\t"    /* pixels 2, 3 of both */
        "pkhbt   %[x0], %[x0], %[x2], lsl #16\n\t"   /* pixels 0, 1 of both */
        "sxtb16  %[x2], %[x0]\n\t"
        "smlad   %[a0], %[x2], %[w], %[a0]\n\t"
        "sxtb16  %[x2], %[x0], ror #8\n\t"
        "smlad   %[a1], %[x2], %[w], %[a1]\n\t"
        "sxtb16  %[x2], %[t]\n\t"
        "smlad   %[a2], %[x2], %[w], %[a2]\n\t"
        "sxtb16  %[x2], %[t], ror #8\n\t"
        "smlad   %[a3], %[x2], %[w], %[a3]\n\t"
        "ldrh    %[x0], [%[col], #2]\n\t"            /* entries 1 and 3 */
        "ldrh    %[x2], [%[col], #6]\n\t"
        "add     %[col], %[col], #8\n\t"
        "ldr     %[x0], [%[xs], %[x0], lsl #2]\n\t"
        "ldr     %[x2], [%[xs], %[x2], lsl #2]\n\t"
        "pkhtb   %[t], %[x2], %[x0], asr #16\n\t"
        "pkhbt   %[x0], %[x0], %[x2], lsl #16\n\t"
        "sxtb16  %[x2], %[x0]\n\t"
        "smlad   %[a0], %[x2], %[wo], %[a0]\n\t"
        "sxtb16  %[x2], %[x0], ror #8\n\t"
        "smlad   %[a1], %[x2], %[wo], %[a1]\n\t"
        "sxtb16  %[x2], %[t]\n\t"
        "smlad   %[a2], %[x2], %[wo], %[a2]\n\t"
        "sxtb16  %[x2], %[t], ror #8\n\t"
        "smlad   %[a3], %[x2], %[wo], %[a3]\n\t"
        "subs    %[n], %[n], #4\n\t"
        "bge     1b\n"
        "2:\n\t"
        "adds    %[n], %[n], #4\n\t"
        "beq     4f\n"
        "3:\n\t"
        "ldrh    %[x0], [%[col]], #2\n\t"
        "ldrsb   %[w], [%[v]], #1\n\t"
        "ldr     %[x0], [%[xs], %[x0], lsl #2]\n\t"
        "sxtb16  %[x2], %[x0]\n\t"                   /* pixels 0, 2 */
        "sxtb16  %[x0], %[x0], ror #8\n\t"           /* pixels 1, 3 */
        "smlabb  %[a0], %[w], %[x2], %[a0]\n\t"
        "smlabt  %[a2], %[w], %[x2], %[a2]\n\t"
        "smlabb  %[a1], %[w], %[x0], %[a1]\n\t"
        "smlabt  %[a3], %[w], %[x0], %[a3]\n\t"
        "subs    %[n], %[n], #1\n\t"
        "bne     3b\n"
        "4:\n\t"
        : [v] "+r"(v), [col] "+r"(col), [n] "+r"(n), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
          [w] "=&r"(w), [wo] "=&r"(wo), [x0] "=&r"(x0), [x2] "=&r"(x2), [t] "=&r"(t)
        : [xs] "r"(xs)
        : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    *pv = v;
    *pcol = col;
}

/* The same for CSR8: the column pointer advances by each delta, so the entries pair as (0, 1)
 * and (2, 3), and PKHBT / PKHTB regroup the value lanes to match: 39 instructions for 16 MACs. */
static inline __attribute__((always_inline)) void csr8_row4(const int8_t **pv, const uint8_t **pd, int n,
                                                            const int32_t *xs, int32_t acc[4]) {
    const int8_t *v = *pv;
    const uint8_t *d = *pd;
    const int32_t *p = xs;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, w01, w23, x0, x1, t;
    __asm__ volatile(
        "subs    %[n], %[n], #4\n\t"
        "blt     2f\n"
        "1:\n\t"
        "ldr     %[x0], [%[v]], #4\n\t"
        "sxtb16  %[t], %[x0]\n\t"                    /* v0, v2 */
        "sxtb16  %[x0], %[x0], ror #8\n\t"           /* v1, v3 */
        "pkhbt   %[w01], %[t], %[x0], lsl #16\n\t"
        "pkhtb   %[w23], %[x0], %[t], asr #16\n\t"
        "ldrb    %[t], [%[d]], #1\n\t"
        "add     %[p], %[p], %[t], lsl #2\n\t"
        "ldrb    %[t], [%[d]], #1\n\t"
        "ldr     %[x0], [%[p]]\n\t"
        "add     %[p], %[p], %[t], lsl #2\n\t"
        "ldr     %[x1], [%[p]]\n\t"
        "pkhtb   %[t], %[x1], %[x0], asr #16\n\t"    /* pixels 2, 3 of both */
        "pkhbt   %[x0], %[x0], %[x1], lsl #16\n\t"   /* pixels 0, 1 of both */
        "sxtb16  %[x1], %[x0]\n\t"
        "smlad   %[a0], %[x1], %[w01], %[a0]\n\t"
        "sxtb16  %[x1], %[x0], ror #8\n\t"
        "smlad   %[a1], %[x1], %[w01], %[a1]\n\t"
        "sxtb16  %[x1], %[t]\n\t"
        "smlad   %[a2], %[x1], %[w01], %[a2]\n\t"
        "sxtb16  %[x1], %[t], ror #8\n\t"
        "smlad   %[a3], %[x1], %[w01], %[a3]\n\t"
        "ldrb    %[t], [%[d]], #1\n\t"
        "add     %[p], %[p], %[t], lsl #2\n\t"
        "ldrb    %[t], [%[d]], #1\n\t"
        "ldr     %[x0], [%[p]]\n\t"
        "add     %[p], %[p], %[t], lsl #2\n\t"
        "ldr     %[x1], [%[p]]\n\t"
        "pkhtb   %[t], %[x1], %[x0], asr #16\n\t"
        "pkhbt   %[x0], %[x0], %[x1], lsl #16\n\t"
        "sxtb16  %[x1], %[x0]\n\t"
        "smlad   %[a0], %[x1], %[w23], %[a0]\n\t"
        "sxtb16  %[x1], %[x0], ror #8\n\t"
        "smlad   %[a1], %[x1], %[w23], %[a1]\n\t"
        "sxtb16  %[x1], %[t]\n\t"
        "smlad   %[a2], %[x1], %[w23], %[a2]\n\t"
        "sxtb16  %[x1], %[t], ror #8\n\t"
        "smlad   %[a3], %[x1], %[w23], %[a3]\n\t"
        "subs    %[n], %[n], #4\n\t"
        "bge     1b\n"
        "2:\n\t"
        "adds    %[n], %[n], #4\n\t"
        "beq     4f\n"
        "3:\n\t"
        "ldrb    %[t], [%[d]], #1\n\t"
        "ldrsb   %[w01], [%[v]], #1\n\t"
        "add     %[p], %[p], %[t], lsl #2\n\t"
        "ldr     %[x0], [%[p]]\n\t"
        "sxtb16  %[x1], %[x0]\n\t"                   /* pixels 0, 2 */
        "sxtb16  %[x0], %[x0], ror #8\n\t"           /* pixels 1, 3 */
        "smlabb  %[a0], %[w01], %[x1], %[a0]\n\t"
        "smlabt  %[a2], %[w01], %[x1], %[a2]\n\t"
        "smlabb  %[a1], %[w01], %[x0], %[a1]\n\t"
        "smlabt  %[a3], %[w01], %[x0], %[a3]\n\t"
        "subs    %[n], %[n], #1\n\t"
        "bne     3b\n"
        "4:\n\t"
        : [v] "+r"(v), [d] "+r"(d), [p] "+r"(p), [n] "+r"(n), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2),
          [a3] "+r"(a3), [w01] "=&r"(w01), [w23] "=&r"(w23), [x0] "=&r"(x0), [x1] "=&r"(x1), [t] "=&r"(t)
        :
        : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    *pv = v;
    *pd = d;
}

/* Bias, requantization and clamp of rows r .. r + n - 1 from their accumulators acc[i][pixel]:
 * finish4 with the rows' parameters walked by pointer. */
static void finish_rows4(const row_finish_t *f, int r, int n, int32_t (*acc)[4], int8_t *out, int stride) {
    const int qs = f->per_channel ? 1 : 0;
    const int32_t *mult = f->mult + r * qs, *shift = f->shift + r * qs, *bias = f->bias + r;
    const int32_t oo = f->out_off;
    int8_t *o = out + r, *o2 = out + 2 * stride + r;
    for (int i = 0; i < n; i++, o++, o2++, mult += qs, shift += qs) {
        const int32_t m = *mult, b = *bias++, *a = acc[i];
        int32_t v[4];
        if (m == 0) {
            /* all weights pruned: nn_requantize gives 0 for any accumulator */
            o[0] = o[stride] = o2[0] = o2[stride] = (int8_t)nn_clamp(oo, f->lo, f->hi);
        } else if (!nn_requant4(a[0] + b, a[1] + b, a[2] + b, a[3] + b, m, *shift, oo, v)) {
            if (!f->full) clamp4(v, f->lo, f->hi);
            o[0] = (int8_t)v[0];
            o[stride] = (int8_t)v[1];
            o2[0] = (int8_t)v[2];
            o2[stride] = (int8_t)v[3];
        } else {
            finish4_general(f, r + i, a[0], a[1], a[2], a[3], o, stride);
        }
    }
}

static void matvec4_csr8(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                         const nn_quant_t *q) {
    const row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint8_t *d = (const uint8_t *)w->index;
    for (int r = 0; r < w->rows; r += ROW_BLOCK) {
        const int n = w->rows - r < ROW_BLOCK ? w->rows - r : ROW_BLOCK;
        int32_t acc[ROW_BLOCK][4];
        for (int i = 0; i < n; i++) csr8_row4(&v, &d, w->row_count[r + i], xs, acc[i]);
        finish_rows4(&f, r, n, acc, out, stride);
    }
}

static void matvec4_csr16(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                          const nn_quant_t *q) {
    const row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint16_t *col = (const uint16_t *)w->index;
    for (int r = 0; r < w->rows; r += ROW_BLOCK) {
        const int n = w->rows - r < ROW_BLOCK ? w->rows - r : ROW_BLOCK;
        int32_t acc[ROW_BLOCK][4];
        for (int i = 0; i < n; i++) csr16_row4(&v, &col, w->row_count[r + i], xs, acc[i]);
        finish_rows4(&f, r, n, acc, out, stride);
    }
}
#else
/* Plain C: a row at a time, its four accumulators in registers up to the requantization. */
static void matvec4_csr8(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                         const nn_quant_t *q) {
    const row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint8_t *d = (const uint8_t *)w->index;
    for (int r = 0; r < w->rows; r++) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const int32_t *p = xs;
        for (int n = w->row_count[r]; n > 0; n--) {
            p += *d++;
            int32_t wv = *v++, x4 = *p;
            MAC4(wv, x4);
        }
        finish4(&f, r, a0, a1, a2, a3, out, stride);
    }
}

static void matvec4_csr16(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                          const nn_quant_t *q) {
    const row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint16_t *col = (const uint16_t *)w->index;
    for (int r = 0; r < w->rows; r++) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int n = w->row_count[r]; n > 0; n--) {
            int32_t wv = *v++, x4 = xs[*col++];
            MAC4(wv, x4);
        }
        finish4(&f, r, a0, a1, a2, a3, out, stride);
    }
}
#endif

#if defined(__ARM_FEATURE_DSP)
/* PKHBT / PKHTB with a 16-bit shift: halfword lanes (lo.bottom, hi.bottom) and (lo.top, hi.top). */
static inline uint32_t pack_bottoms(uint32_t lo, uint32_t hi) {
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}

static inline uint32_t pack_tops(uint32_t lo, uint32_t hi) {
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
    return r;
}

/* The four pixels' pair tables, interleaved: for group g and pattern k, four words (one per
 * pixel) holding that pattern's two inputs as int16 lanes. SXTB16 of an interleaved column
 * word gives pixels (0, 2), SXTB16 ROR 8 pixels (1, 3); halfword packing pairs the columns. */
static void nm24_pair_table4(const int32_t *xs, int cols, int32_t *t) {
    int groups = 2 * nm24_group_pairs(cols);
    for (int g = 0; g < groups; g++, xs += 4, t += 24) {
        int c = 4 * g;
        int32_t x0, x1, x2, x3;
        if (c + 3 < cols) {
            x0 = xs[0], x1 = xs[1], x2 = xs[2], x3 = xs[3];
        } else {
            x0 = c < cols ? xs[0] : 0, x1 = c + 1 < cols ? xs[1] : 0, x2 = c + 2 < cols ? xs[2] : 0, x3 = 0;
        }
        /* Lanes (pixel 0, pixel 2) and (pixel 1, pixel 3) of each column. */
        uint32_t e0 = (uint32_t)__sxtb16(x0), e1 = (uint32_t)__sxtb16(x1), e2 = (uint32_t)__sxtb16(x2), e3 = (uint32_t)__sxtb16(x3);
        uint32_t o0 = (uint32_t)nn_sxtb16_ror8(x0), o1 = (uint32_t)nn_sxtb16_ror8(x1);
        uint32_t o2 = (uint32_t)nn_sxtb16_ror8(x2), o3 = (uint32_t)nn_sxtb16_ror8(x3);
/* Pattern k keeps columns a and b: pixel 0, 1, 2, 3 words (column a low, column b high). */
#define PAIR(k, ea, eb, oa, ob)                                                      \
        t[4 * (k)] = (int32_t)pack_bottoms(ea, eb);                                  \
        t[4 * (k) + 1] = (int32_t)pack_bottoms(oa, ob);                              \
        t[4 * (k) + 2] = (int32_t)pack_tops(ea, eb);                                 \
        t[4 * (k) + 3] = (int32_t)pack_tops(oa, ob)
        PAIR(0, e0, e1, o0, o1);
        PAIR(1, e0, e2, o0, o2);
        PAIR(2, e0, e3, o0, o3);
        PAIR(3, e1, e2, o1, o2);
        PAIR(4, e1, e3, o1, o3);
        PAIR(5, e2, e3, o2, o3);
#undef PAIR
    }
}

static void matvec4_nm24(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                         const nn_quant_t *q, int32_t *table) {
    row_finish_t f = row_finish(w, act, q);
    nm24_pair_table4(xs, w->cols, table);
    const uint8_t *codes = (const uint8_t *)w->index;
    const int8_t *v = w->values;
    int pairs = nm24_group_pairs(w->cols);
    for (int r = 0; r < w->rows; r++) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const int32_t *t = table;
        int n = pairs;
        uint32_t c, wv, e, wx, x, y;
        /* Per group pair: its code byte and four value bytes; for each group, the pattern's
         * four pixel words from the table (group 0 at t + code * 16, group 1 at t + 96 +
         * code * 16) and four SMLAD. In assembly because it needs 14 registers and GCC 12
         * spills two accumulators from the C version. LDRD brings two pixels' pair words at once.
         * Two group pairs per iteration (the second's table words at offset 192), then an odd one. */
        __asm__ volatile(
            "subs    %[n], %[n], #2\n\t"
            "blt     2f\n"
            "1:\n\t"
            "ldrb    %[c], [%[codes]], #1\n\t"
            "ldr     %[wv], [%[v]], #4\n\t"
            "and     %[e], %[c], #15\n\t"
            "add     %[e], %[t], %[e], lsl #4\n\t"
            "sxtb16  %[wx], %[wv]\n\t"
            "ldrd    %[x], %[y], [%[e], #0]\n\t"
            "smlad   %[a0], %[wx], %[x], %[a0]\n\t"
            "smlad   %[a1], %[wx], %[y], %[a1]\n\t"
            "ldrd    %[x], %[y], [%[e], #8]\n\t"
            "smlad   %[a2], %[wx], %[x], %[a2]\n\t"
            "smlad   %[a3], %[wx], %[y], %[a3]\n\t"
            "lsr     %[c], %[c], #4\n\t"
            "add     %[e], %[t], %[c], lsl #4\n\t"
            "sxtb16  %[wx], %[wv], ror #8\n\t"
            "ldrd    %[x], %[y], [%[e], #96]\n\t"
            "smlad   %[a0], %[wx], %[x], %[a0]\n\t"
            "smlad   %[a1], %[wx], %[y], %[a1]\n\t"
            "ldrd    %[x], %[y], [%[e], #104]\n\t"
            "smlad   %[a2], %[wx], %[x], %[a2]\n\t"
            "smlad   %[a3], %[wx], %[y], %[a3]\n\t"
            "ldrb    %[c], [%[codes]], #1\n\t"
            "ldr     %[wv], [%[v]], #4\n\t"
            "and     %[e], %[c], #15\n\t"
            "add     %[e], %[t], %[e], lsl #4\n\t"
            "sxtb16  %[wx], %[wv]\n\t"
            "ldrd    %[x], %[y], [%[e], #192]\n\t"
            "smlad   %[a0], %[wx], %[x], %[a0]\n\t"
            "smlad   %[a1], %[wx], %[y], %[a1]\n\t"
            "ldrd    %[x], %[y], [%[e], #200]\n\t"
            "smlad   %[a2], %[wx], %[x], %[a2]\n\t"
            "smlad   %[a3], %[wx], %[y], %[a3]\n\t"
            "lsr     %[c], %[c], #4\n\t"
            "add     %[e], %[t], %[c], lsl #4\n\t"
            "sxtb16  %[wx], %[wv], ror #8\n\t"
            "ldrd    %[x], %[y], [%[e], #288]\n\t"
            "smlad   %[a0], %[wx], %[x], %[a0]\n\t"
            "smlad   %[a1], %[wx], %[y], %[a1]\n\t"
            "ldrd    %[x], %[y], [%[e], #296]\n\t"
            "smlad   %[a2], %[wx], %[x], %[a2]\n\t"
            "smlad   %[a3], %[wx], %[y], %[a3]\n\t"
            "add     %[t], %[t], #384\n\t"
            "subs    %[n], %[n], #2\n\t"
            "bge     1b\n"
            "2:\n\t"
            "adds    %[n], %[n], #2\n\t"
            "beq     3f\n\t"
            "ldrb    %[c], [%[codes]], #1\n\t"
            "ldr     %[wv], [%[v]], #4\n\t"
            "and     %[e], %[c], #15\n\t"
            "add     %[e], %[t], %[e], lsl #4\n\t"
            "sxtb16  %[wx], %[wv]\n\t"
            "ldrd    %[x], %[y], [%[e], #0]\n\t"
            "smlad   %[a0], %[wx], %[x], %[a0]\n\t"
            "smlad   %[a1], %[wx], %[y], %[a1]\n\t"
            "ldrd    %[x], %[y], [%[e], #8]\n\t"
            "smlad   %[a2], %[wx], %[x], %[a2]\n\t"
            "smlad   %[a3], %[wx], %[y], %[a3]\n\t"
            "lsr     %[c], %[c], #4\n\t"
            "add     %[e], %[t], %[c], lsl #4\n\t"
            "sxtb16  %[wx], %[wv], ror #8\n\t"
            "ldrd    %[x], %[y], [%[e], #96]\n\t"
            "smlad   %[a0], %[wx], %[x], %[a0]\n\t"
            "smlad   %[a1], %[wx], %[y], %[a1]\n\t"
            "ldrd    %[x], %[y], [%[e], #104]\n\t"
            "smlad   %[a2], %[wx], %[x], %[a2]\n\t"
            "smlad   %[a3], %[wx], %[y], %[a3]\n\t"
            "3:\n\t"
            : [codes] "+r"(codes), [v] "+r"(v), [t] "+r"(t), [n] "+r"(n), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2),
              [a3] "+r"(a3), [c] "=&r"(c), [wv] "=&r"(wv), [e] "=&r"(e), [wx] "=&r"(wx), [x] "=&r"(x), [y] "=&r"(y)
            :
            : "cc", "memory");
        FINISH4(r);
    }
}
#else
static void matvec4_nm24(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                         const nn_quant_t *q, int32_t *table) {
    (void)table;
    row_finish_t f = row_finish(w, act, q);
    const uint8_t *codes = (const uint8_t *)w->index;
    const int8_t *v = w->values;
    int pairs = nm24_group_pairs(w->cols);
    for (int r = 0; r < w->rows; r++) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        const int32_t *g = xs;
        for (int k = 0; k < pairs; k++, v += 4, g += 8) {
            uint32_t c = *codes++, lo = c & 15, hi = c >> 4;
            MAC4(v[0], g[nm24_first[lo]]);
            MAC4(v[2], g[nm24_second[lo]]);
            MAC4(v[1], g[4 + nm24_first[hi]]);
            MAC4(v[3], g[4 + nm24_second[hi]]);
        }
        FINISH4(r);
    }
}
#endif

static void matvec4_block4(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                           const nn_quant_t *q) {
    row_finish_t f = row_finish(w, act, q);
    const uint16_t *col = (const uint16_t *)w->index;
    const int8_t *v = w->values;
    for (int r = 0; r < w->rows; r++) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int n = w->row_count[r]; n > 0; n--, v += 4) {
            const int32_t *g = xs + 4 * *col++;
            MAC4(v[0], g[0]);
            MAC4(v[1], g[1]);
            MAC4(v[2], g[2]);
            MAC4(v[3], g[3]);
        }
        FINISH4(r);
    }
}

/* The encodings with a four-pixel path (the others run pixel by pixel). */
static int has_four_pixel_path(const nn_sparse_t *w) {
    return w->format == NN_SPARSE_CSR8 || w->format == NN_SPARSE_CSR16 || w->format == NN_SPARSE_NM24 ||
           w->format == NN_SPARSE_BLOCK4;
}

/* One pixel's im2col column in OHWI order; taps outside the input read the zero point. The
 * taps of one kernel row are contiguous in NHWC, so each row is one copy of its in-bounds span
 * and fills for the padded ends. */
static void gather_column(const int8_t *input, const nn_geom_t *g, int oy, int ox, int8_t zero_point, int8_t *dst) {
    int y0 = oy * g->stride_h - g->pad_top, x0 = ox * g->stride_w - g->pad_left;
    int lo = x0 < 0 ? -x0 : 0, hi = x0 + g->k_w > g->in_w ? g->in_w - x0 : g->k_w; /* in-bounds taps [lo, hi) */
    if (hi < lo) hi = lo;
    int row = g->k_w * g->in_c;
    for (int ky = 0; ky < g->k_h; ky++, dst += row) {
        int y = y0 + ky;
        if (y < 0 || y >= g->in_h) {
            memset(dst, zero_point, (size_t)row);
            continue;
        }
        if (lo > 0) memset(dst, zero_point, (size_t)(lo * g->in_c));
        memcpy(dst + lo * g->in_c, input + (y * g->in_w + x0 + lo) * g->in_c, (size_t)((hi - lo) * g->in_c));
        if (hi < g->k_w) memset(dst + hi * g->in_c, zero_point, (size_t)((g->k_w - hi) * g->in_c));
    }
}

/* xs[k] = byte k of a, b, c and d (a in byte 0): bytes (a0 b0 a2 b2) and (a1 b1 a3 b3), the
 * same of c and d, then halfwords. */
static inline void transpose4(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t *xs) {
#if defined(__ARM_FEATURE_DSP)
    uint32_t t, u;
    __asm__("uxtb16  %[t], %[a]\n\t"
            "uxtb16  %[u], %[b]\n\t"
            "orr     %[t], %[t], %[u], lsl #8\n\t"   /* a0 b0 a2 b2 */
            "uxtb16  %[a], %[a], ror #8\n\t"
            "and     %[b], %[b], #0xFF00FF00\n\t"
            "orr     %[a], %[a], %[b]\n\t"           /* a1 b1 a3 b3 */
            "uxtb16  %[u], %[c]\n\t"
            "uxtb16  %[b], %[d]\n\t"
            "orr     %[u], %[u], %[b], lsl #8\n\t"   /* c0 d0 c2 d2 */
            "uxtb16  %[c], %[c], ror #8\n\t"
            "and     %[d], %[d], #0xFF00FF00\n\t"
            "orr     %[c], %[c], %[d]\n\t"           /* c1 d1 c3 d3 */
            "pkhbt   %[b], %[t], %[u], lsl #16\n\t"  /* a0 b0 c0 d0 */
            "pkhtb   %[d], %[u], %[t], asr #16\n\t"  /* a2 b2 c2 d2 */
            "pkhbt   %[t], %[a], %[c], lsl #16\n\t"  /* a1 b1 c1 d1 */
            "pkhtb   %[c], %[c], %[a], asr #16\n\t"  /* a3 b3 c3 d3 */
            : [a] "+&r"(a), [b] "+&r"(b), [c] "+&r"(c), [d] "+&r"(d), [t] "=&r"(t), [u] "=&r"(u));
    xs[0] = b;
    xs[1] = t;
    xs[2] = d;
    xs[3] = c;
#else
    uint32_t ab02 = (a & 0x00FF00FFu) | (b & 0x00FF00FFu) << 8, ab13 = (a >> 8 & 0x00FF00FFu) | (b & 0xFF00FF00u);
    uint32_t cd02 = (c & 0x00FF00FFu) | (d & 0x00FF00FFu) << 8, cd13 = (c >> 8 & 0x00FF00FFu) | (d & 0xFF00FF00u);
    xs[0] = (ab02 & 0xFFFFu) | cd02 << 16;
    xs[1] = (ab13 & 0xFFFFu) | cd13 << 16;
    xs[2] = ab02 >> 16 | (cd02 & 0xFFFF0000u);
    xs[3] = ab13 >> 16 | (cd13 & 0xFFFF0000u);
#endif
}

/* A word load from a word-aligned address (one LDR also where unaligned loads trap or are not
 * inlined, M0+). */
static inline uint32_t load_aligned32(const int8_t *p) {
    uint32_t v;
    memcpy(&v, __builtin_assume_aligned(p, 4), 4);
    return v;
}

/* xs[j] = byte j of the four spans src + i * step (pixel i in byte i), for j < len. Whole words
 * are transposed four at a time when the spans are word-aligned; with step 1 (one input
 * channel, stride 1) each xs word is the four bytes at src + j (one unaligned load where the
 * core has them). */
static void interleave4(const int8_t *src, int step, int len, uint32_t *xs) {
    int j = 0;
    if ((((uintptr_t)src | (uint32_t)step) & 3) == 0) {
        for (; j + 4 <= len; j += 4, xs += 4) {
            const int8_t *s0 = src + j;
            transpose4(load_aligned32(s0), load_aligned32(s0 + step), load_aligned32(s0 + 2 * step),
                       load_aligned32(s0 + 3 * step), xs);
        }
    }
#if defined(__ARM_FEATURE_UNALIGNED)
    else if (step == 1) {
        for (; j < len; j++) memcpy(xs++, src + j, 4);
    }
#endif
    for (; j < len; j++) {
        const int8_t *q = src + j;
        *xs++ = (uint32_t)(uint8_t)q[0] | (uint32_t)(uint8_t)q[step] << 8 | (uint32_t)(uint8_t)q[2 * step] << 16 |
                (uint32_t)(uint8_t)q[3 * step] << 24;
    }
}

/* n bytes of the zero point (whole words when aligned). */
static void fill_zp(int8_t *dst, int n, int8_t zp) {
    if ((((uintptr_t)dst | (uint32_t)n) & 3) == 0) {
        uint32_t z4 = (uint8_t)zp * 0x01010101u;
        for (uint32_t *d = (uint32_t *)(void *)dst, *e = d + n / 4; d < e; d++) *d = z4;
        return;
    }
    for (int i = 0; i < n; i++) dst[i] = zp;
}

static void copy_bytes(int8_t *dst, const int8_t *src, int n) {
    if ((((uintptr_t)dst | (uintptr_t)src | (uint32_t)n) & 3) == 0) {
        int8_t *d = __builtin_assume_aligned(dst, 4);
        const int8_t *s = __builtin_assume_aligned(src, 4);
        for (int i = 0; i < n; i += 4) memcpy(d + i, s + i, 4);
        return;
    }
    for (int i = 0; i < n; i++) dst[i] = src[i];
}

/* gather4_row for one input channel and stride 1 (a first layer on a grey image): the four
 * pixels' taps at (ky, kx) are four consecutive input bytes, one word load when they lie inside
 * the input row; bytes outside it read the zero point. */
static void gather4_row_c1(const int8_t *input, const nn_geom_t *g, int oy, int ox, int8_t zp, uint32_t *xs) {
    const int x0 = ox - g->pad_left, w = g->in_w;
    const uint32_t z4 = (uint8_t)zp * 0x01010101u;
    for (int ky = 0; ky < g->k_h; ky++, xs += g->k_w) {
        const int y = oy * g->stride_h - g->pad_top + ky;
        const int8_t *row = input + y * w;
        for (int kx = 0; kx < g->k_w; kx++) {
            const int x = x0 + kx; /* pixel 0's tap; pixel i's is x + i */
            uint32_t v = z4;
            if (y < 0 || y >= g->in_h) {
                /* above or below the input */
            }
#if defined(__ARM_FEATURE_UNALIGNED)
            else if (x >= 0 && x + 3 < w) {
                memcpy(&v, row + x, 4);
            }
#endif
            else {
                for (int i = 0; i < 4; i++) {
                    if (x + i >= 0 && x + i < w) v = (v & ~(0xFFu << 8 * i)) | (uint32_t)(uint8_t)row[x + i] << 8 * i;
                }
            }
            xs[kx] = v;
        }
    }
}

/* The interleaved im2col columns of four pixels of one output row, (oy, ox) .. (oy, ox + 3),
 * without a per-pixel column: their taps in kernel row ky lie in one input span of
 * k_w + 3 stride_w pixels, pixel i's starting i * stride_w pixels in. The span is read in place
 * when it lies inside the input, else copied to `span` with the zero point outside; kernel
 * rows above or below the input are the zero point. */
static void gather4_row(const int8_t *input, const nn_geom_t *g, int oy, int ox, int8_t zp, int8_t *span,
                        uint32_t *xs) {
    if (g->in_c == 1 && g->stride_w == 1) {
        gather4_row_c1(input, g, oy, ox, zp, xs);
        return;
    }
    const int c = g->in_c, row = g->k_w * c, step = g->stride_w * c;
    const int xlen = g->k_w + 3 * g->stride_w, x0 = ox * g->stride_w - g->pad_left;
    int lo = x0 < 0 ? -x0 : 0, hi = x0 + xlen > g->in_w ? g->in_w - x0 : xlen; /* in-bounds pixels [lo, hi) */
    if (hi < lo) hi = lo;
    const uint32_t z4 = (uint8_t)zp * 0x01010101u;
    for (int ky = 0; ky < g->k_h; ky++, xs += row) {
        const int y = oy * g->stride_h - g->pad_top + ky;
        if (y < 0 || y >= g->in_h) {
            for (int j = 0; j < row; j++) xs[j] = z4;
            continue;
        }
        const int8_t *src = input + (y * g->in_w + x0) * c; /* the span in place (may start before the row) */
        if (lo > 0 || hi < xlen) {
            fill_zp(span, lo * c, zp);
            copy_bytes(span + lo * c, src + lo * c, (hi - lo) * c);
            fill_zp(span + hi * c, (xlen - hi) * c, zp);
            src = span;
        }
        interleave4(src, step, row, xs);
    }
}

void conv2d_sparse_s8(const int8_t *input, const nn_sparse_t *w, int8_t *output, const nn_geom_t *g,
                      const nn_act_t *act, const nn_quant_t *quant, int32_t *scratch) {
    int in_place = g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
                   g->pad_left == 0 && g->out_h == g->in_h && g->out_w == g->in_w;
    int8_t *column = (int8_t *)(scratch + nn_sparse_matvec_scratch_words(w));
    int32_t *interleaved = scratch + nn_sparse_matvec_scratch_words(w) + groups_of(w->cols, 4) + 1;
    int8_t zero_point = (int8_t)(-act->input_offset);
    int pixels = g->out_h * g->out_w, p = 0;
    /* gather4_row's span goes where the one-pixel column would (groups + 1 words). */
    const int span_fits = (g->k_w + 3 * g->stride_w) * g->in_c <= 4 * (groups_of(w->cols, 4) + 1);
    if (has_four_pixel_path(w)) {
        for (; p + 4 <= pixels; p += 4) {
            const int oy = p / g->out_w, ox = p % g->out_w;
            if (in_place) {
                interleave4(input + p * g->in_c, g->in_c, w->cols, (uint32_t *)interleaved);
            } else if (ox + 3 < g->out_w && span_fits) {
                gather4_row(input, g, oy, ox, zero_point, column, (uint32_t *)interleaved);
            } else {
                /* Each pixel's im2col column, then into byte lane i of the interleaved words. */
                for (int i = 0; i < 4; i++) {
                    int q = p + i;
                    gather_column(input, g, q / g->out_w, q % g->out_w, zero_point, column);
                    uint8_t *bytes = (uint8_t *)interleaved + i;
                    for (int c = 0; c < w->cols; c++, bytes += 4) *bytes = (uint8_t)column[c];
                }
            }
            int8_t *out = output + p * g->out_c;
            switch (w->format) {
            case NN_SPARSE_CSR8: matvec4_csr8(w, interleaved, out, g->out_c, act, quant); break;
            case NN_SPARSE_CSR16: matvec4_csr16(w, interleaved, out, g->out_c, act, quant); break;
            case NN_SPARSE_NM24: matvec4_nm24(w, interleaved, out, g->out_c, act, quant, scratch); break;
            default: matvec4_block4(w, interleaved, out, g->out_c, act, quant); break;
            }
        }
    }
    for (; p < pixels; p++) {
        const int8_t *x = input + p * g->in_c;
        if (!in_place) {
            gather_column(input, g, p / g->out_w, p % g->out_w, zero_point, column);
            x = column;
        }
        nn_sparse_matvec(w, x, output + p * g->out_c, act, quant, scratch);
    }
}
