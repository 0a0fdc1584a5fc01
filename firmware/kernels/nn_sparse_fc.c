/* Sparse kernels, one input column at a time: fully connected layers, and the pixels of a
 * convolution the four-pixel path does not take. Encodings: nn_sparse.h. */
#include "nn_sparse_internal.h"

int nn_sparse_matvec_scratch_words(const nn_sparse_t *w) {
    int blocks = groups_of(w->cols, 4);
    switch (w->format) {
    case NN_SPARSE_NM24: return 48 * nm24_group_pairs(w->cols); /* pair tables for four pixels */
    case NN_SPARSE_BLOCK4: return 2 * blocks + blocks; /* widened pairs, or a padded copy */
    default: return 0;
    }
}

/* Convolutions add one im2col column and the four-pixel interleaved columns (one word per
 * column, rounded up to whole 2:4 group pairs: padded blocks and groups read zero weights). */
int nn_sparse_scratch_words(const nn_sparse_t *w, int conv) {
    return nn_sparse_matvec_scratch_words(w) + (conv ? groups_of(w->cols, 4) + 1 + 8 * nm24_group_pairs(w->cols) : 0);
}
static void matvec_csr8(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q) {
    row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint8_t *d = (const uint8_t *)w->index;
    for (int r = 0; r < w->rows; r++) {
        const int8_t *p = x;
        int32_t acc = 0;
        int n = w->row_count[r];
        /* Four entries per iteration: the loop overhead is a third of a short body. */
        for (; n >= 4; n -= 4) {
            p += d[0];
            acc += v[0] * p[0];
            p += d[1];
            acc += v[1] * p[0];
            p += d[2];
            acc += v[2] * p[0];
            p += d[3];
            acc += v[3] * p[0];
            d += 4;
            v += 4;
        }
        for (; n > 0; n--) {
            p += *d++;
            acc += *v++ * *p;
        }
        FINISH1(r);
    }
}

static void matvec_csr16(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q) {
    row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint16_t *col = (const uint16_t *)w->index;
    for (int r = 0; r < w->rows; r++) {
        int32_t acc = 0;
        int n = w->row_count[r];
        for (; n >= 4; n -= 4) {
            acc += v[0] * x[col[0]];
            acc += v[1] * x[col[1]];
            acc += v[2] * x[col[2]];
            acc += v[3] * x[col[3]];
            col += 4;
            v += 4;
        }
        for (; n > 0; n--) acc += *v++ * x[*col++];
        FINISH1(r);
    }
}

static void matvec_bitmask(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q) {
    row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint32_t *mask = (const uint32_t *)w->index;
    int words = groups_of(w->cols, 32);
    for (int r = 0; r < w->rows; r++) {
        int32_t acc = 0;
        for (int k = 0; k < words; k++) {
            uint32_t bits = *mask++;
            const int8_t *base = x + 32 * k;
            /* One set bit per step: count trailing zeros (RBIT + CLZ on v7-M), clear it. */
            while (bits) {
                acc += *v++ * base[ctz32(bits)];
                bits &= bits - 1;
            }
        }
        FINISH1(r);
    }
}

static void matvec_nm(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q) {
    row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint8_t *pos = (const uint8_t *)w->index;
    int groups = groups_of(w->cols, w->m), n = w->n, m = w->m;
    unsigned e = 0;
    for (int r = 0; r < w->rows; r++) {
        int32_t acc = 0;
        const int8_t *base = x;
        for (int g = 0; g < groups; g++, base += m) {
            for (int i = 0; i < n; i++, e++) acc += *v++ * base[(pos[e >> 1] >> ((e & 1) * 4)) & 15];
        }
        FINISH1(r);
    }
}

/* 2:4 without a pair table: each code's two positions from the tables above (cores without
 * SMLAD; on the DSP path the pair table measured faster even for a 12-row layer). */
static __attribute__((unused)) void matvec_nm24_direct(const nn_sparse_t *w, const int8_t *x, int8_t *out,
                                                       const nn_act_t *act, const nn_quant_t *q) {
    row_finish_t f = row_finish(w, act, q);
    const uint8_t *codes = (const uint8_t *)w->index;
    const int8_t *v = w->values;
    int pairs = nm24_group_pairs(w->cols), groups = groups_of(w->cols, 4);
    for (int r = 0; r < w->rows; r++) {
        int32_t acc = 0;
        for (int k = 0; k < pairs; k++, v += 4) {
            uint32_t c = *codes++;
            int g = 2 * k;
            const int8_t *b0 = x + 4 * g, *b1 = b0 + 4;
            acc += v[0] * b0[nm24_first[c & 15]] + v[2] * b0[nm24_second[c & 15]];
            if (g + 1 < groups) acc += v[1] * b1[nm24_first[c >> 4]] + v[3] * b1[nm24_second[c >> 4]];
        }
        FINISH1(r);
    }
}

#if defined(__ARM_FEATURE_DSP)
/* Every pair of inputs a 2:4 group can keep, as two int16 lanes, six words per group. Built
 * once per column and shared by all rows, so that each group costs one table load and one
 * SMLAD per row. */
static void nm24_pair_table(const int8_t *x, int cols, int32_t *t) {
    int groups = 2 * nm24_group_pairs(cols);
    for (int g = 0; g < groups; g++, t += 6) {
        int c = 4 * g;
        uint32_t a = (uint16_t)(c < cols ? x[c] : 0), b = (uint16_t)(c + 1 < cols ? x[c + 1] : 0);
        uint32_t cc = (uint16_t)(c + 2 < cols ? x[c + 2] : 0), d = (uint16_t)(c + 3 < cols ? x[c + 3] : 0);
        t[0] = (int32_t)(a | b << 16);
        t[1] = (int32_t)(a | cc << 16);
        t[2] = (int32_t)(a | d << 16);
        t[3] = (int32_t)(b | cc << 16);
        t[4] = (int32_t)(b | d << 16);
        t[5] = (int32_t)(cc | d << 16);
    }
}

static void matvec_nm24(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q,
                        int32_t *table) {
    row_finish_t f = row_finish(w, act, q);
    nm24_pair_table(x, w->cols, table);
    const uint8_t *codes = (const uint8_t *)w->index;
    const int8_t *v = w->values;
    int pairs = nm24_group_pairs(w->cols);
    for (int r = 0; r < w->rows; r++) {
        int32_t acc = 0;
        const int32_t *t = table;
        int k = pairs;
        /* Four groups per iteration: one halfword of codes, two words of values. */
        for (; k >= 2; k -= 2) {
            uint32_t c = codes[0] | (uint32_t)codes[1] << 8;
            int32_t w0 = nn_read32(v), w1 = nn_read32(v + 4);
            acc = __smlad(__sxtb16(w0), t[c & 15], acc);
            acc = __smlad(nn_sxtb16_ror8(w0), t[6 + ((c >> 4) & 15)], acc);
            acc = __smlad(__sxtb16(w1), t[12 + ((c >> 8) & 15)], acc);
            acc = __smlad(nn_sxtb16_ror8(w1), t[18 + (c >> 12)], acc);
            codes += 2;
            v += 8;
            t += 24;
        }
        if (k) {
            uint32_t c = *codes++;
            int32_t w0 = nn_read32(v);
            acc = __smlad(__sxtb16(w0), t[c & 15], acc);
            acc = __smlad(nn_sxtb16_ror8(w0), t[6 + (c >> 4)], acc);
            v += 4;
        }
        FINISH1(r);
    }
}

/* Each block of four inputs widened once per column: lanes (x0, x2) and (x1, x3), matching
 * SXTB16 and SXTB16 ROR 8 of the weight word. */
static void block4_widen(const int8_t *x, int cols, int32_t *t) {
    int blocks = groups_of(cols, 4);
    for (int b = 0; b < blocks; b++, t += 2) {
        int c = 4 * b;
        uint32_t x0 = (uint16_t)x[c];
        uint32_t x1 = (uint16_t)(c + 1 < cols ? x[c + 1] : 0);
        uint32_t x2 = (uint16_t)(c + 2 < cols ? x[c + 2] : 0);
        uint32_t x3 = (uint16_t)(c + 3 < cols ? x[c + 3] : 0);
        t[0] = (int32_t)(x0 | x2 << 16);
        t[1] = (int32_t)(x1 | x3 << 16);
    }
}

static void matvec_block4(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q,
                          int32_t *table) {
    row_finish_t f = row_finish(w, act, q);
    block4_widen(x, w->cols, table);
    const uint16_t *col = (const uint16_t *)w->index;
    const int8_t *v = w->values;
    for (int r = 0; r < w->rows; r++) {
        int32_t acc = 0;
        int n = w->row_count[r];
        for (; n >= 2; n -= 2) {
            const int32_t *t0 = table + 2 * col[0], *t1 = table + 2 * col[1];
            int32_t w0 = nn_read32(v), w1 = nn_read32(v + 4);
            acc = __smlad(__sxtb16(w0), t0[0], acc);
            acc = __smlad(nn_sxtb16_ror8(w0), t0[1], acc);
            acc = __smlad(__sxtb16(w1), t1[0], acc);
            acc = __smlad(nn_sxtb16_ror8(w1), t1[1], acc);
            col += 2;
            v += 8;
        }
        if (n) {
            const int32_t *t0 = table + 2 * *col++;
            int32_t w0 = nn_read32(v);
            acc = __smlad(__sxtb16(w0), t0[0], acc);
            acc = __smlad(nn_sxtb16_ror8(w0), t0[1], acc);
            v += 4;
        }
        FINISH1(r);
    }
}
#else
static void matvec_nm24(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q,
                        int32_t *scratch) {
    (void)scratch;
    matvec_nm24_direct(w, x, out, act, q);
}

static void matvec_block4(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q,
                          int32_t *scratch) {
    row_finish_t f = row_finish(w, act, q);
    if (w->cols & 3) {
        /* A partial last block: read a zero-padded copy rather than past the input. */
        int8_t *copy = (int8_t *)scratch;
        for (int c = 0; c < 4 * groups_of(w->cols, 4); c++) copy[c] = c < w->cols ? x[c] : 0;
        x = copy;
    }
    const uint16_t *col = (const uint16_t *)w->index;
    const int8_t *v = w->values;
    for (int r = 0; r < w->rows; r++) {
        int32_t acc = 0;
        for (int n = w->row_count[r]; n > 0; n--, v += 4) {
            const int8_t *b = x + 4 * *col++;
            acc += v[0] * b[0] + v[1] * b[1] + v[2] * b[2] + v[3] * b[3];
        }
        FINISH1(r);
    }
}
#endif

void nn_sparse_matvec(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act,
                      const nn_quant_t *quant, int32_t *scratch) {
    switch (w->format) {
    case NN_SPARSE_CSR8: matvec_csr8(w, x, out, act, quant); break;
    case NN_SPARSE_CSR16: matvec_csr16(w, x, out, act, quant); break;
    case NN_SPARSE_BITMASK: matvec_bitmask(w, x, out, act, quant); break;
    case NN_SPARSE_NM: matvec_nm(w, x, out, act, quant); break;
    case NN_SPARSE_NM24: matvec_nm24(w, x, out, act, quant, scratch); break;
    case NN_SPARSE_BLOCK4: matvec_block4(w, x, out, act, quant, scratch); break;
    default: break;
    }
}

void fully_connected_sparse_s8(const int8_t *input, const nn_sparse_t *w, int8_t *output, int batches,
                               const nn_act_t *act, const nn_quant_t *quant, int32_t *scratch) {
    for (int b = 0; b < batches; b++) nn_sparse_matvec(w, input + b * w->cols, output + b * w->rows, act, quant, scratch);
}

