/* The 2:4 kernel against four pixels (NN_SPARSE_NM24, nn_sparse.h): the four pixels' pair
 * tables and the assembly row loop on the DSP path, the positions from each index byte on cores
 * without SMLAD. Included only by nn_sparse_conv.c, after finish_rows4, MAC4 and FINISH4, which
 * it uses: static functions in one translation unit, as nn_sparse_gather.h. */
#ifndef NN_SPARSE_NM24X4_H
#define NN_SPARSE_NM24X4_H

#include "nn_sparse_internal.h"

#if defined(__ARM_FEATURE_DSP)
/* The four pixels' pair tables: per chunk of eight groups, each pixel's one-column table of
 * the chunk (192 bytes: six words per group, pattern k of group g at byte (g mod 8) x 24 +
 * 4k, the index byte), pixel p at 192p, so that pixel p's pair of a group is at chunk + index
 * byte + 192p: one UXTAB gives the address from a byte of the index. SXTB16 of an interleaved
 * column word gives pixels (0, 2), SXTB16 ROR 8 pixels (1, 3); halfword packing pairs the
 * columns. Scratch: 192 words per chunk (nn_sparse_matvec_scratch_words). */
static void nm24_pair_table4(const int32_t *xs, int cols, int32_t *table) {
    int groups = cols / 4;
    for (int g = 0; g < groups; g++, xs += 4) {
        int32_t *t = table + 192 * (g / NM24_CHUNK) + 6 * (g % NM24_CHUNK);
        int32_t x0 = xs[0], x1 = xs[1], x2 = xs[2], x3 = xs[3];
        /* Lanes (pixel 0, pixel 2) and (pixel 1, pixel 3) of each column. */
        uint32_t e0 = (uint32_t)__sxtb16(x0), e1 = (uint32_t)__sxtb16(x1), e2 = (uint32_t)__sxtb16(x2), e3 = (uint32_t)__sxtb16(x3);
        uint32_t o0 = (uint32_t)nn_sxtb16_ror8(x0), o1 = (uint32_t)nn_sxtb16_ror8(x1);
        uint32_t o2 = (uint32_t)nn_sxtb16_ror8(x2), o3 = (uint32_t)nn_sxtb16_ror8(x3);
/* Pattern k keeps columns a and b: pixel 0, 1, 2, 3 words (column a low, column b high). */
#define PAIR(k, ea, eb, oa, ob)                                                      \
        t[(k)] = (int32_t)nn_pack_bottoms(ea, eb);                                   \
        t[48 + (k)] = (int32_t)nn_pack_bottoms(oa, ob);                              \
        t[96 + (k)] = (int32_t)nn_pack_tops(ea, eb);                                 \
        t[144 + (k)] = (int32_t)nn_pack_tops(oa, ob)
        PAIR(0, e0, e1, o0, o1);
        PAIR(1, e0, e2, o0, o2);
        PAIR(2, e0, e3, o0, o3);
        PAIR(3, e1, e2, o1, o2);
        PAIR(4, e1, e3, o1, o3);
        PAIR(5, e2, e3, o2, o3);
#undef PAIR
    }
    if (groups & 1) { /* the padding group of an odd row: zero weights against zero inputs */
        int32_t *t = table + 192 * (groups / NM24_CHUNK) + 6 * (groups % NM24_CHUNK);
        for (int p = 0; p < 4; p++)
            for (int k = 0; k < 6; k++) t[48 * p + k] = 0;
    }
}

/* One group pair against four pixels: the pair's two index bytes (a halfword: rows hold an
 * even number of groups) and its value word; per group UXTAB of the chunk's table and its
 * byte gives the address of pixel 0's pair word, the four pixels' words come in one run of
 * loads, and SXTB16 (ROR 8) of the value word goes where the address was (14 registers). */
#define NM24_PAIR4                                              \
    "ldrh    %[c], [%[codes]], #2\n\t"                          \
    "ldr     %[wv], [%[v]], #4\n\t"                             \
    "uxtab   %[e], %[t], %[c]\n\t"                              \
    "uxtab   %[c], %[t], %[c], ror #8\n\t"                      \
    "ldr     %[x0], [%[e]]\n\t"                                 \
    "ldr     %[x1], [%[e], #192]\n\t"                           \
    "ldr     %[x2], [%[e], #384]\n\t"                           \
    "ldr     %[x3], [%[e], #576]\n\t"                           \
    "sxtb16  %[e], %[wv]\n\t"                                   \
    "smlad   %[a0], %[e], %[x0], %[a0]\n\t"                     \
    "smlad   %[a1], %[e], %[x1], %[a1]\n\t"                     \
    "smlad   %[a2], %[e], %[x2], %[a2]\n\t"                     \
    "smlad   %[a3], %[e], %[x3], %[a3]\n\t"                     \
    "ldr     %[x0], [%[c]]\n\t"                                 \
    "ldr     %[x1], [%[c], #192]\n\t"                           \
    "ldr     %[x2], [%[c], #384]\n\t"                           \
    "ldr     %[x3], [%[c], #576]\n\t"                           \
    "sxtb16  %[c], %[wv], ror #8\n\t"                           \
    "smlad   %[a0], %[c], %[x0], %[a0]\n\t"                     \
    "smlad   %[a1], %[c], %[x1], %[a1]\n\t"                     \
    "smlad   %[a2], %[c], %[x2], %[a2]\n\t"                     \
    "smlad   %[a3], %[c], %[x3], %[a3]\n\t"

/* Row acc[0..3] for four pixels: whole chunks of eight groups up to the table address `end`
 * (the table moves on by 768 bytes after each), then `rest` group pairs of the last, partial
 * chunk. In assembly because it needs 14 registers (the loop bounds come from memory) and GCC
 * 12 spills accumulators from the C version. */
static inline __attribute__((always_inline)) void nm24_row4(const uint8_t **pcodes, const int8_t **pv, const int32_t *t,
                                                            const int32_t *end, int rest, int32_t acc[4]) {
    const uint8_t *codes = *pcodes;
    const int8_t *v = *pv;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint32_t c, wv, e, x0, x1, x2, x3;
    __asm__ volatile(
        "ldr     %[x0], %[end]\n\t"
        "cmp     %[t], %[x0]\n\t"
        "beq     2f\n"
        "1:\n\t"
        NM24_PAIR4 NM24_PAIR4 NM24_PAIR4 NM24_PAIR4
        "add     %[t], %[t], #768\n\t"
        "ldr     %[x0], %[end]\n\t"
        "cmp     %[t], %[x0]\n\t"
        "bne     1b\n"
        "2:\n\t"
        "ldr     %[x0], %[rest]\n\t"
        "cmp     %[x0], #0\n\t"
        "beq     4f\n"
        "str     %[x0], %[left]\n"
        "3:\n\t"
        NM24_PAIR4
        "ldr     %[x0], %[left]\n\t"
        "subs    %[x0], %[x0], #1\n\t"
        "str     %[x0], %[left]\n\t"
        "bne     3b\n"
        "4:\n\t"
        : [codes] "+r"(codes), [v] "+r"(v), [t] "+r"(t), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
          [c] "=&r"(c), [wv] "=&r"(wv), [e] "=&r"(e), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3),
          [left] "=m"(rest)
        : [end] "m"(end), [rest] "m"(rest)
        : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    *pcodes = codes;
    *pv = v;
}
/* nm24_row4 for rows of whole chunks (at least one, no group pairs after them: the DS-CNN's
 * 64-channel rows): no entry or tail tests, 9 cycles a row fewer. */
static inline __attribute__((always_inline)) void nm24_row4_chunks(const uint8_t **pcodes, const int8_t **pv,
                                                                   const int32_t *t, const int32_t *end, int32_t acc[4]) {
    const uint8_t *codes = *pcodes;
    const int8_t *v = *pv;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint32_t c, wv, e, x0, x1, x2, x3;
    __asm__ volatile(
        "1:\n\t"
        NM24_PAIR4 NM24_PAIR4 NM24_PAIR4 NM24_PAIR4
        "add     %[t], %[t], #768\n\t"
        "ldr     %[x0], %[end]\n\t"
        "cmp     %[t], %[x0]\n\t"
        "bne     1b\n\t"
        : [codes] "+r"(codes), [v] "+r"(v), [t] "+r"(t), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
          [c] "=&r"(c), [wv] "=&r"(wv), [e] "=&r"(e), [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3)
        : [end] "m"(end)
        : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    *pcodes = codes;
    *pv = v;
}
#undef NM24_PAIR4

/* A block of rows' accumulators, then their requantization (finish_rows4), as for CSR. */
static void matvec4_nm24(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                         const nn_quant_t *q, int32_t *table) {
    const row_finish_t f = row_finish(w, act, q);
    nm24_pair_table4(xs, w->cols, table);
    const uint8_t *codes = (const uint8_t *)w->index;
    const int8_t *v = w->values;
    const int pairs = nm24_group_pairs(w->cols), rest = pairs % 4;
    const int32_t *end = table + 192 * (pairs / 4); /* after the whole chunks */
    /* Twice CSR's block (256 bytes of stack): half the calls of finish_rows4. */
    enum { NM24_ROW_BLOCK = 2 * ROW_BLOCK };
    for (int r = 0; r < w->rows; r += NM24_ROW_BLOCK) {
        const int n = w->rows - r < NM24_ROW_BLOCK ? w->rows - r : NM24_ROW_BLOCK;
        int32_t acc[NM24_ROW_BLOCK][4];
        if (rest == 0 && end != table)
            for (int i = 0; i < n; i++) nm24_row4_chunks(&codes, &v, table, end, acc[i]);
        else
            for (int i = 0; i < n; i++) nm24_row4(&codes, &v, table, end, rest, acc[i]);
        finish_rows4(&f, r, n, acc, out, stride);
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
        for (int k = 0; k < pairs; k++, v += 4, g += 8, codes += 2) {
            uint32_t lo = nm24_pos[codes[0]], hi = nm24_pos[codes[1]];
            MAC4(v[0], g[lo & 3]);
            MAC4(v[2], g[lo >> 2]);
            MAC4(v[1], g[4 + (hi & 3)]);
            MAC4(v[3], g[4 + (hi >> 2)]);
        }
        FINISH4(r);
    }
}
#endif

#endif
