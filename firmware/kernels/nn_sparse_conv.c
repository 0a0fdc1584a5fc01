/* Sparse convolution: four output pixels per pass over the weights (nn_sparse.h). */
#include "nn_sparse_internal.h"
#include "nn_sparse_gather.h"

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

/* finish_rows4 and the row constants it takes (rq4_t), after finish4_general and clamp4. */
#include "nn_sparse_finish4.h"

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

static void matvec4_csr8(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                         const nn_quant_t *q, const rq4_t *rq) {
    const row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint8_t *d = (const uint8_t *)w->index;
    for (int r = 0; r < w->rows; r += ROW_BLOCK) {
        const int n = w->rows - r < ROW_BLOCK ? w->rows - r : ROW_BLOCK;
        int32_t acc[ROW_BLOCK][4];
        for (int i = 0; i < n; i++) csr8_row4(&v, &d, w->row_count[r + i], xs, acc[i]);
        finish_rows4(&f, rq, r, n, acc, out, stride);
    }
}

static void matvec4_csr16(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                          const nn_quant_t *q, const rq4_t *rq) {
    const row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint16_t *col = (const uint16_t *)w->index;
    for (int r = 0; r < w->rows; r += ROW_BLOCK) {
        const int n = w->rows - r < ROW_BLOCK ? w->rows - r : ROW_BLOCK;
        int32_t acc[ROW_BLOCK][4];
        for (int i = 0; i < n; i++) csr16_row4(&v, &col, w->row_count[r + i], xs, acc[i]);
        finish_rows4(&f, rq, r, n, acc, out, stride);
    }
}
#else
/* Plain C: a row at a time, its four accumulators in registers up to the requantization. */
static void matvec4_csr8(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                         const nn_quant_t *q, const rq4_t *rq) {
    (void)rq;
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
                          const nn_quant_t *q, const rq4_t *rq) {
    (void)rq;
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

/* 2:4 against four pixels: after finish_rows4, MAC4 and FINISH4, which it uses. */
#include "nn_sparse_nm24x4.h"

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
    /* The row constants of finish_rows4, after the interleaved columns (nn_sparse_scratch_words). */
    rq4_t *rq = (rq4_t *)(interleaved + 8 * nm24_group_pairs(w->cols));
    if (has_four_pixel_path(w)) {
#if defined(__ARM_FEATURE_DSP)
        if (pixels >= 4 && w->format != NN_SPARSE_BLOCK4) {
            const row_finish_t f = row_finish(w, act, quant);
            rq4_prepare(&f, w->rows, rq);
        }
#endif
        for (; p + 4 <= pixels; p += 4) {
            const int oy = p / g->out_w, ox = p % g->out_w;
            if (in_place) {
                interleave4(input + p * g->in_c, g->in_c, w->cols, (uint32_t *)interleaved);
            } else if (g->in_c == 1 && (g->stride_w != 1 || ox + 3 >= g->out_w)) {
                /* one channel: any four pixels (gather4_row_c1 serves stride 1 on one row) */
                gather4_c1(input, g, p, zero_point, (uint32_t *)interleaved);
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
            /* Only the formats the firmware uses are called (NN_SPARSE_FORMATS, nn_sparse.h). */
            switch (w->format) {
            case NN_SPARSE_CSR8: if (NN_SPARSE_USES(NN_SPARSE_CSR8)) matvec4_csr8(w, interleaved, out, g->out_c, act, quant, rq); break;
            case NN_SPARSE_CSR16: if (NN_SPARSE_USES(NN_SPARSE_CSR16)) matvec4_csr16(w, interleaved, out, g->out_c, act, quant, rq); break;
            case NN_SPARSE_NM24: if (NN_SPARSE_USES(NN_SPARSE_NM24)) matvec4_nm24(w, interleaved, out, g->out_c, act, quant, rq, scratch); break;
            default: if (NN_SPARSE_USES(NN_SPARSE_BLOCK4)) matvec4_block4(w, interleaved, out, g->out_c, act, quant); break;
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
