/* Sparse kernels, one input column at a time: fully connected layers, and the pixels of a
 * convolution the four-pixel path does not take. Encodings: nn_sparse.h. */
#include "nn_sparse_internal.h"

int nn_sparse_matvec_scratch_words(const nn_sparse_t *w) {
    int blocks = groups_of(w->cols, 4);
    switch (w->format) {
    case NN_SPARSE_NM24: return 192 * ((nm24_group_pairs(w->cols) + 3) / 4); /* four pixels' pair tables, whole chunks */
    case NN_SPARSE_BLOCK4: return 2 * blocks + blocks; /* widened pairs, or a padded copy */
    default: return 0;
    }
}

/* Convolutions add one im2col column, the four-pixel interleaved columns (one word per
 * column, rounded up to whole 2:4 group pairs: padded blocks and groups read zero weights) and
 * the rows' requantization constants (RQ4_WORDS each). */
int nn_sparse_scratch_words(const nn_sparse_t *w, int conv) {
    return nn_sparse_matvec_scratch_words(w) +
           (conv ? groups_of(w->cols, 4) + 1 + 8 * nm24_group_pairs(w->cols) + RQ4_WORDS * w->rows : 0);
}
/* ---- CSR rows ----
 * The dot products of a block of up to ROW_BLOCK_FC rows (csr8_dots / csr16_dots), then the block's
 * requantization (finish_rows1): each loop keeps its registers, and a per-tensor layer's
 * requantization is worked out once per block. */
#if defined(__ARM_FEATURE_DSP)
/* acc[i] = bias[i] + the dot product of row i with x, for `rows` rows of CSR16 entries
 * (count[i] each).
 * Four entries per iteration: the four columns' inputs loaded sign-extended and packed in
 * pairs (x0, x2) and (x1, x3) by PKHBT, against SXTB16 (ROR 8) of the value word, two SMLAD;
 * then the last 0-3 entries one MLA each. The row loop is in the same assembly, so that a short
 * row costs a dozen cycles besides its entries (GCC 12 spills around an inner asm loop). */
static inline __attribute__((always_inline)) void csr16_dots(const int8_t **pv, const uint16_t **pcol,
                                                             const uint16_t *count, const int32_t *bias, int rows,
                                                             const int8_t *x, int32_t *acc) {
    const int8_t *v = *pv;
    const uint16_t *col = *pcol;
    int32_t n, a, c0, c1, c2, c3, w;
    __asm__ volatile("0:\n\t"
                     "ldrh    %[n], [%[count]], #2\n\t"
                     "ldr     %[a], [%[bias]], #4\n\t"
                     "subs    %[n], %[n], #4\n\t"
                     "blt     2f\n"
                     "1:\n\t"
                     "ldrh    %[c0], [%[col]]\n\t"
                     "ldrh    %[c1], [%[col], #2]\n\t"
                     "ldrh    %[c2], [%[col], #4]\n\t"
                     "ldrh    %[c3], [%[col], #6]\n\t"
                     "ldrsb   %[c0], [%[x], %[c0]]\n\t"
                     "ldrsb   %[c2], [%[x], %[c2]]\n\t"
                     "ldrsb   %[c1], [%[x], %[c1]]\n\t"
                     "ldrsb   %[c3], [%[x], %[c3]]\n\t"
                     "ldr     %[w], [%[v]], #4\n\t"
                     "add     %[col], %[col], #8\n\t"
                     "pkhbt   %[c0], %[c0], %[c2], lsl #16\n\t" /* x0, x2 */
                     "pkhbt   %[c1], %[c1], %[c3], lsl #16\n\t" /* x1, x3 */
                     "sxtb16  %[c2], %[w]\n\t"                  /* v0, v2 */
                     "sxtb16  %[w], %[w], ror #8\n\t"           /* v1, v3 */
                     "smlad   %[a], %[c0], %[c2], %[a]\n\t"
                     "smlad   %[a], %[c1], %[w], %[a]\n\t"
                     "subs    %[n], %[n], #4\n\t"
                     "bge     1b\n"
                     "2:\n\t"
                     "adds    %[n], %[n], #4\n\t"
                     "beq     4f\n"
                     "3:\n\t"
                     "ldrh    %[c0], [%[col]], #2\n\t"
                     "ldrsb   %[w], [%[v]], #1\n\t"
                     "ldrsb   %[c0], [%[x], %[c0]]\n\t"
                     "mla     %[a], %[w], %[c0], %[a]\n\t"
                     "subs    %[n], %[n], #1\n\t"
                     "bne     3b\n"
                     "4:\n\t"
                     "str     %[a], [%[acc]], #4\n\t"
                     "subs    %[rows], %[rows], #1\n\t"
                     "bne     0b\n\t"
                     : [v] "+r"(v), [col] "+r"(col), [count] "+r"(count), [bias] "+r"(bias), [rows] "+r"(rows), [acc] "+r"(acc),
                       [n] "=&r"(n), [a] "=&r"(a), [c0] "=&r"(c0), [c1] "=&r"(c1), [c2] "=&r"(c2), [c3] "=&r"(c3),
                       [w] "=&r"(w)
                     : [x] "r"(x)
                     : "cc", "memory");
    *pv = v;
    *pcol = col;
}

/* The same for CSR8: each delta advances the input pointer; the four deltas are summed into
 * offsets first, so that the four loads do not wait on each other. */
static inline __attribute__((always_inline)) void csr8_dots(const int8_t **pv, const uint8_t **pd,
                                                            const uint16_t *count, const int32_t *bias, int rows,
                                                            const int8_t *x, int32_t *acc) {
    const int8_t *v = *pv;
    const uint8_t *d = *pd;
    const int8_t *p;
    int32_t n, a, c0, c1, c2, c3, w;
    __asm__ volatile("0:\n\t"
                     "ldrh    %[n], [%[count]], #2\n\t"
                     "ldr     %[a], [%[bias]], #4\n\t"
                     "ldr     %[p], %[xm]\n\t"                  /* x, from memory: no register left */
                     "subs    %[n], %[n], #4\n\t"
                     "blt     2f\n"
                     "1:\n\t"
                     "ldrb    %[c0], [%[d]]\n\t"
                     "ldrb    %[c1], [%[d], #1]\n\t"
                     "ldrb    %[c2], [%[d], #2]\n\t"
                     "ldrb    %[c3], [%[d], #3]\n\t"
                     "add     %[c1], %[c1], %[c0]\n\t"            /* offsets from p */
                     "add     %[c2], %[c2], %[c1]\n\t"
                     "add     %[c3], %[c3], %[c2]\n\t"
                     "ldrsb   %[c0], [%[p], %[c0]]\n\t"
                     "ldrsb   %[c1], [%[p], %[c1]]\n\t"
                     "ldrsb   %[c2], [%[p], %[c2]]\n\t"
                     "add     %[p], %[p], %[c3]\n\t"
                     "ldrsb   %[c3], [%[p]]\n\t"
                     "ldr     %[w], [%[v]], #4\n\t"
                     "add     %[d], %[d], #4\n\t"
                     "pkhbt   %[c0], %[c0], %[c2], lsl #16\n\t" /* x0, x2 */
                     "pkhbt   %[c1], %[c1], %[c3], lsl #16\n\t" /* x1, x3 */
                     "sxtb16  %[c2], %[w]\n\t"                  /* v0, v2 */
                     "sxtb16  %[w], %[w], ror #8\n\t"           /* v1, v3 */
                     "smlad   %[a], %[c0], %[c2], %[a]\n\t"
                     "smlad   %[a], %[c1], %[w], %[a]\n\t"
                     "subs    %[n], %[n], #4\n\t"
                     "bge     1b\n"
                     "2:\n\t"
                     "adds    %[n], %[n], #4\n\t"
                     "beq     4f\n"
                     "3:\n\t"
                     "ldrb    %[c0], [%[d]], #1\n\t"
                     "ldrsb   %[w], [%[v]], #1\n\t"
                     "add     %[p], %[p], %[c0]\n\t"
                     "ldrsb   %[c0], [%[p]]\n\t"
                     "mla     %[a], %[w], %[c0], %[a]\n\t"
                     "subs    %[n], %[n], #1\n\t"
                     "bne     3b\n"
                     "4:\n\t"
                     "str     %[a], [%[acc]], #4\n\t"
                     "subs    %[rows], %[rows], #1\n\t"
                     "bne     0b\n\t"
                     : [v] "+r"(v), [d] "+r"(d), [count] "+r"(count), [bias] "+r"(bias), [rows] "+r"(rows), [acc] "+r"(acc),
                       [p] "=&r"(p), [n] "=&r"(n), [a] "=&r"(a), [c0] "=&r"(c0), [c1] "=&r"(c1), [c2] "=&r"(c2),
                       [c3] "=&r"(c3), [w] "=&r"(w)
                     : [xm] "m"(x)
                     : "cc", "memory");
    *pv = v;
    *pd = d;
}

/* Requantization of rows r .. r + n - 1 from their accumulators y = acc[i] (bias included) for
 * a per-tensor layer: nn_requant_out's fast path with its constants worked out once. With
 * |y| < 2^(29 - left), x = y << left is exact and |x| < 2^29, so 2x = y << (left + 1) in one
 * shift; for r + 1 <= 21 the output offset joins the rounding constant (|2h| < 2^30,
 * |offset| * 2^(r+1) <= 2^28: no overflow), and adding offset * 2^(r+1) before the shift adds
 * exactly the offset after it. Returns non-zero when some |y| was out of that range or the
 * shifts do not allow this: the caller then finishes the block in general (outputs already
 * written are rewritten). */
static inline __attribute__((always_inline)) int finish_rows1_per_tensor(const row_finish_t *f, int r, int n,
                                                                         const int32_t *acc, int8_t *out) {
    const int32_t m = f->mult[0], shift = f->shift[0];
    const int32_t left = shift > 0 ? shift : 0, r1 = left - shift + 1;
    if (r1 > 21 || left > 27) return 1;
    const int32_t l1 = left + 1, k = (1 << (r1 - 1)) + f->out_off * (1 << r1);
    const uint32_t half = 1u << (29 - left);
    /* the clamp bounds in each byte: SSUB8 sets a GE flag per byte where the first operand is
     * not below the second, SEL picks by them (a no-op for the int8 range) */
    const uint32_t lo4 = (uint8_t)f->lo * 0x01010101u, hi4 = (uint8_t)f->hi * 0x01010101u;
    uint32_t range = 0;
    out += r;
    int i = 0;
    /* Four outputs per iteration in assembly (GCC spilled the bounds and the end, 75 cycles):
     * two accumulators at a time (14 registers), each SSAT to a byte packed into one word by
     * BFI (the first SSAT's sign bits are all overwritten), the word clamped bytewise, one
     * store; about 52 cycles. */
    if (n >= 4) {
        const int32_t *a = acc, *end = acc + (n & ~3);
        int8_t *o = out;
        int32_t y0, y1, c, p;
#define FINISH_PAIR(first)                                      \
        "ldr     %[y0], [%[a]], #8\n\t"                         \
        "ldr     %[y1], [%[a], #-4]\n\t"                        \
        "add     %[c], %[y0], %[half]\n\t"                      \
        "orr     %[range], %[range], %[c]\n\t"                  \
        "add     %[c], %[y1], %[half]\n\t"                      \
        "orr     %[range], %[range], %[c]\n\t"                  \
        "lsl     %[y0], %[y0], %[l1]\n\t"                       \
        "smmulr  %[y0], %[y0], %[m]\n\t"                        \
        "lsl     %[y1], %[y1], %[l1]\n\t"                       \
        "smmulr  %[y1], %[y1], %[m]\n\t"                        \
        "add     %[c], %[k], %[y0], lsl #1\n\t"                 \
        "add     %[c], %[c], %[y0], asr #31\n\t"                \
        "asr     %[c], %[c], %[r1]\n\t"                         \
        first                                                   \
        "add     %[c], %[k], %[y1], lsl #1\n\t"                 \
        "add     %[c], %[c], %[y1], asr #31\n\t"                \
        "asr     %[c], %[c], %[r1]\n\t"                         \
        "ssat    %[c], #8, %[c]\n\t"
        __asm__ volatile("1:\n\t"
                         FINISH_PAIR("ssat    %[p], #8, %[c]\n\t")
                         "bfi     %[p], %[c], #8, #8\n\t"
                         FINISH_PAIR("ssat    %[c], #8, %[c]\n\t"
                                     "bfi     %[p], %[c], #16, #8\n\t")
                         "bfi     %[p], %[c], #24, #8\n\t"
                         "ssub8   %[c], %[p], %[lo]\n\t"
                         "sel     %[p], %[p], %[lo]\n\t"
                         "ssub8   %[c], %[hi], %[p]\n\t"
                         "sel     %[p], %[p], %[hi]\n\t"
                         "str     %[p], [%[o]], #4\n\t"
                         "ldr     %[y0], %[end]\n\t"
                         "cmp     %[a], %[y0]\n\t"
                         "bne     1b\n\t"
                         : [a] "+r"(a), [o] "+r"(o), [range] "+r"(range), [y0] "=&r"(y0), [y1] "=&r"(y1), [c] "=&r"(c),
                           [p] "=&r"(p)
                         : [half] "r"(half), [l1] "r"(l1), [m] "r"(m), [k] "r"(k), [r1] "r"(r1), [lo] "r"(lo4),
                           [hi] "r"(hi4), [end] "m"(end)
                         : "cc", "memory");
#undef FINISH_PAIR
        i = n & ~3;
    }
    for (; i < n; i++) {
        const int32_t y = acc[i];
        int32_t h;
        range |= (uint32_t)y + half; /* a bit at 30 - left or above: |y| >= 2^(29 - left) */
        __asm__("smmulr %0, %1, %2" : "=r"(h) : "r"((int32_t)((uint32_t)y << l1)), "r"(m));
        out[i] = (int8_t)nn_clamp(__ssat((h * 2 + k + (h >> 31)) >> r1, 8), f->lo, f->hi);
    }
    return (range >> (30 - left)) != 0;
}
#else
static inline void csr16_dots(const int8_t **pv, const uint16_t **pcol, const uint16_t *count, const int32_t *bias,
                              int rows, const int8_t *x, int32_t *acc) {
    const int8_t *v = *pv;
    const uint16_t *col = *pcol;
    for (int i = 0; i < rows; i++) {
        int32_t a = bias[i];
        int n = count[i];
        /* Four entries per iteration: the loop overhead is a third of a short body. */
        for (; n >= 4; n -= 4, v += 4, col += 4) a += v[0] * x[col[0]] + v[1] * x[col[1]] + v[2] * x[col[2]] + v[3] * x[col[3]];
        for (; n > 0; n--) a += *v++ * x[*col++];
        acc[i] = a;
    }
    *pv = v;
    *pcol = col;
}

static inline void csr8_dots(const int8_t **pv, const uint8_t **pd, const uint16_t *count, const int32_t *bias,
                             int rows, const int8_t *x, int32_t *acc) {
    const int8_t *v = *pv;
    const uint8_t *d = *pd;
    for (int i = 0; i < rows; i++) {
        int32_t a = bias[i];
        const int8_t *p = x;
        int n = count[i];
        for (; n >= 4; n -= 4, d += 4, v += 4) {
            p += d[0];
            a += v[0] * p[0];
            p += d[1];
            a += v[1] * p[0];
            p += d[2];
            a += v[2] * p[0];
            p += d[3];
            a += v[3] * p[0];
        }
        for (; n > 0; n--) {
            p += *d++;
            a += *v++ * *p;
        }
        acc[i] = a;
    }
    *pv = v;
    *pd = d;
}
#endif

/* Requantization and clamp of rows r .. r + n - 1 from their accumulators acc[i] (bias
 * included). */
static inline __attribute__((always_inline)) void finish_rows1(const row_finish_t *f, int r, int n, const int32_t *acc,
                                                              int8_t *out) {
#if defined(__ARM_FEATURE_DSP)
    if (!f->per_channel && f->mult[0] != 0 && !finish_rows1_per_tensor(f, r, n, acc, out)) return;
    for (int i = 0; i < n; i++) out[r + i] = finish1(f, r + i, acc[i]);
#else
    /* The parameters walked by pointer (one pair for a per-tensor layer). */
    const int qs = f->per_channel ? 1 : 0;
    const int32_t *m = f->mult + r * qs, *s = f->shift + r * qs;
    for (int i = 0; i < n; i++, m += qs, s += qs) out[r + i] = (int8_t)nn_requant_out(acc[i], *m, *s, f->out_off, f->lo, f->hi);
#endif
}

static void matvec_csr8(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q) {
    const row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint8_t *d = (const uint8_t *)w->index;
    for (int r = 0; r < w->rows; r += ROW_BLOCK_FC) {
        const int n = w->rows - r < ROW_BLOCK_FC ? w->rows - r : ROW_BLOCK_FC;
        int32_t acc[ROW_BLOCK_FC];
        csr8_dots(&v, &d, w->row_count + r, w->bias + r, n, x, acc);
        finish_rows1(&f, r, n, acc, out);
    }
}

static void matvec_csr16(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q) {
    const row_finish_t f = row_finish(w, act, q);
    const int8_t *v = w->values;
    const uint16_t *col = (const uint16_t *)w->index;
    for (int r = 0; r < w->rows; r += ROW_BLOCK_FC) {
        const int n = w->rows - r < ROW_BLOCK_FC ? w->rows - r : ROW_BLOCK_FC;
        int32_t acc[ROW_BLOCK_FC];
        csr16_dots(&v, &col, w->row_count + r, w->bias + r, n, x, acc);
        finish_rows1(&f, r, n, acc, out);
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

/* 2:4 one column at a time: after finish_rows1 and FINISH1, which it uses. */
#include "nn_sparse_nm24.h"

#if defined(__ARM_FEATURE_DSP)
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
    /* NN_SPARSE_USES is a constant: the calls to formats the firmware does not use fold away. */
    switch (w->format) {
    case NN_SPARSE_CSR8: if (NN_SPARSE_USES(NN_SPARSE_CSR8)) matvec_csr8(w, x, out, act, quant); break;
    case NN_SPARSE_CSR16: if (NN_SPARSE_USES(NN_SPARSE_CSR16)) matvec_csr16(w, x, out, act, quant); break;
    case NN_SPARSE_BITMASK: if (NN_SPARSE_USES(NN_SPARSE_BITMASK)) matvec_bitmask(w, x, out, act, quant); break;
    case NN_SPARSE_NM: if (NN_SPARSE_USES(NN_SPARSE_NM)) matvec_nm(w, x, out, act, quant); break;
    case NN_SPARSE_NM24: if (NN_SPARSE_USES(NN_SPARSE_NM24)) matvec_nm24(w, x, out, act, quant, scratch); break;
    case NN_SPARSE_BLOCK4: if (NN_SPARSE_USES(NN_SPARSE_BLOCK4)) matvec_block4(w, x, out, act, quant, scratch); break;
    default: break;
    }
}

/* Several input vectors. */
static __attribute__((noinline)) void fc_batches(const int8_t *input, const nn_sparse_t *w, int8_t *output, int batches,
                                                 const nn_act_t *act, const nn_quant_t *quant, int32_t *scratch) {
    for (int b = 0; b < batches; b++) nn_sparse_matvec(w, input + b * w->cols, output + b * w->rows, act, quant, scratch);
}

void fully_connected_sparse_s8(const int8_t *input, const nn_sparse_t *w, int8_t *output, int batches,
                               const nn_act_t *act, const nn_quant_t *quant, int32_t *scratch) {
    /* One input vector (the usual case) is a tail call: no frame here. */
    if (batches != 1) {
        fc_batches(input, w, output, batches, act, quant, scratch);
        return;
    }
    nn_sparse_matvec(w, input, output, act, quant, scratch);
}
