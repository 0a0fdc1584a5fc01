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

/* Bias, requantization and clamp of the four pixels' accumulators of row r. */
#define FINISH4(r)                                                                   \
    do {                                                                             \
        ROW_PARAMS(r);                                                               \
        out[r] = (int8_t)REQUANT(a0);                                                \
        out[stride + (r)] = (int8_t)REQUANT(a1);                                     \
        out[2 * stride + (r)] = (int8_t)REQUANT(a2);                                 \
        out[3 * stride + (r)] = (int8_t)REQUANT(a3);                                 \
    } while (0)

static void matvec4_csr8(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                         const nn_quant_t *q) {
    row_finish_t f = row_finish(w, act, q);
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
        FINISH4(r);
    }
}

static void matvec4_csr16(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                          const nn_quant_t *q) {
    row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint16_t *col = (const uint16_t *)w->index;
    for (int r = 0; r < w->rows; r++) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (int n = w->row_count[r]; n > 0; n--) {
            int32_t wv = *v++, x4 = xs[*col++];
            MAC4(wv, x4);
        }
        FINISH4(r);
    }
}

#if defined(__ARM_FEATURE_DSP)
/* The four pixels' pair tables, interleaved: for group g and pattern k, four words (one per
 * pixel) holding that pattern's two inputs as int16 lanes. SXTB16 of an interleaved column
 * word gives pixels (0, 2), SXTB16 ROR 8 pixels (1, 3); halfword packing pairs the columns. */
static void nm24_pair_table4(const int32_t *xs, int cols, int32_t *t) {
    int groups = 2 * nm24_group_pairs(cols);
    for (int g = 0; g < groups; g++, xs += 4, t += 24) {
        int c = 4 * g;
        int32_t x0 = xs[0], x1 = c + 1 < cols ? xs[1] : 0, x2 = c + 2 < cols ? xs[2] : 0, x3 = c + 3 < cols ? xs[3] : 0;
        if (c >= cols) x0 = 0;
        /* Lanes (pixel 0, pixel 2) and (pixel 1, pixel 3) of each column. */
        uint32_t e0 = (uint32_t)__sxtb16(x0), e1 = (uint32_t)__sxtb16(x1), e2 = (uint32_t)__sxtb16(x2), e3 = (uint32_t)__sxtb16(x3);
        uint32_t o0 = (uint32_t)nn_sxtb16_ror8(x0), o1 = (uint32_t)nn_sxtb16_ror8(x1);
        uint32_t o2 = (uint32_t)nn_sxtb16_ror8(x2), o3 = (uint32_t)nn_sxtb16_ror8(x3);
/* Pattern k keeps columns a and b: pixel 0, 1, 2, 3 words (column a low, column b high). */
#define PAIR(k, ea, eb, oa, ob)                                                      \
        t[4 * (k)] = (int32_t)((ea & 0xFFFFu) | eb << 16);                           \
        t[4 * (k) + 1] = (int32_t)((oa & 0xFFFFu) | ob << 16);                       \
        t[4 * (k) + 2] = (int32_t)((eb & 0xFFFF0000u) | ea >> 16);                   \
        t[4 * (k) + 3] = (int32_t)((ob & 0xFFFF0000u) | oa >> 16)
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
         * spills two accumulators from the C version. LDRD brings two pixels' pair words at once. */
        __asm__ volatile(
            "1:\n\t"
            "ldrb    %[c], [%[codes]], #1\n\t"
            "ldr     %[wv], [%[v]], #4\n\t"
            "and     %[e], %[c], #15\n\t"
            "add     %[e], %[t], %[e], lsl #4\n\t"
            "sxtb16  %[wx], %[wv]\n\t"
            "ldrd    %[x], %[y], [%[e]]\n\t"
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
            "add     %[t], %[t], #192\n\t"
            "subs    %[n], %[n], #1\n\t"
            "bne     1b\n\t"
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

/* xs[c] = bytes c of the four columns p0..p3, pixel i in byte i. */
static void interleave4(const int8_t *p0, const int8_t *p1, const int8_t *p2, const int8_t *p3, int cols, uint32_t *xs) {
    for (int c = 0; c < cols; c++) {
        xs[c] = (uint32_t)(uint8_t)p0[c] | (uint32_t)(uint8_t)p1[c] << 8 | (uint32_t)(uint8_t)p2[c] << 16 |
                (uint32_t)(uint8_t)p3[c] << 24;
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
    if (has_four_pixel_path(w)) {
        for (; p + 4 <= pixels; p += 4) {
            if (in_place) {
                const int8_t *x = input + p * g->in_c;
                interleave4(x, x + g->in_c, x + 2 * g->in_c, x + 3 * g->in_c, w->cols, (uint32_t *)interleaved);
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
