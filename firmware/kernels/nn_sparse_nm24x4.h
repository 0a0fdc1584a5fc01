/* The 2:4 kernel against four pixels (NN_SPARSE_NM24, nn_sparse.h): the four pixels' pair
 * tables and the assembly row loop on the DSP path, the positions from each index byte on cores
 * without SMLAD. Included only by nn_sparse_conv.c, after finish_rows4 (nn_sparse_finish4.h), MAC4
 * and FINISH4, which it uses: static functions in one translation unit, as nn_sparse_gather.h. */
#ifndef NN_SPARSE_NM24X4_H
#define NN_SPARSE_NM24X4_H

#include "nn_sparse_internal.h"

#if defined(__ARM_FEATURE_DSP)
/* Pattern k (inputs a and b of the group) in the four pixels' tables: pixel 0 (a, b) from
 * the bottom lanes of SXTB16 of columns a and b, pixel 1 from SXTB16 ROR 8, pixels 2 and 3 from
 * the top lanes; each PKH result stored at once (a stored register is data, not an address:
 * no stall), one scratch register. */
#define NM24_PAIR_TABLE4(k, a, b)                                       \
    "pkhbt   %[u], %[e" a "], %[e" b "], lsl #16\n\t"                  \
    "str     %[u], [%[t], #4*" k "]\n\t"                                \
    "pkhbt   %[u], %[o" a "], %[o" b "], lsl #16\n\t"                  \
    "str     %[u], [%[t], #192+4*" k "]\n\t"                            \
    "pkhtb   %[u], %[e" b "], %[e" a "], asr #16\n\t"                  \
    "str     %[u], [%[t], #384+4*" k "]\n\t"                            \
    "pkhtb   %[u], %[o" b "], %[o" a "], asr #16\n\t"                  \
    "str     %[u], [%[t], #576+4*" k "]\n\t"

/* The four pixels' pair tables: per chunk of eight groups, each pixel's one-column table of
 * the chunk (192 bytes: six words per group, pattern k of group g at byte (g mod 8) x 24 +
 * 4k, the index byte), pixel p at 192p, so that pixel p's pair of a group is at chunk + index
 * byte + 192p: one UXTAB gives the address from a byte of the index. SXTB16 of an interleaved
 * column word gives pixels (0, 2), SXTB16 ROR 8 pixels (1, 3); halfword packing pairs the
 * columns. In assembly, a group an iteration: four loads, eight extends, then 24 PKH and 24
 * STR (about 64 cycles a group; GCC's code took 80). Scratch: 192 words per chunk
 * (nn_sparse_matvec_scratch_words). */
static void nm24_pair_table4(const int32_t *xs, int cols, int32_t *table) {
    const int groups = cols / 4;
    for (int g = 0; g < groups; g += NM24_CHUNK) {
        const int32_t *end = xs + 4 * (groups - g < NM24_CHUNK ? groups - g : NM24_CHUNK);
        int32_t *t = table + 192 * (g / NM24_CHUNK);
        uint32_t e0, e1, e2, e3, o0, o1, o2, o3, u;
        __asm__ volatile("1:\n\t"
                         "ldr     %[e0], [%[xs]]\n\t"
                         "ldr     %[e1], [%[xs], #4]\n\t"
                         "ldr     %[e2], [%[xs], #8]\n\t"
                         "ldr     %[e3], [%[xs], #12]\n\t"
                         "adds    %[xs], %[xs], #16\n\t"
                         "sxtb16  %[o0], %[e0], ror #8\n\t"
                         "sxtb16  %[e0], %[e0]\n\t"
                         "sxtb16  %[o1], %[e1], ror #8\n\t"
                         "sxtb16  %[e1], %[e1]\n\t"
                         "sxtb16  %[o2], %[e2], ror #8\n\t"
                         "sxtb16  %[e2], %[e2]\n\t"
                         "sxtb16  %[o3], %[e3], ror #8\n\t"
                         "sxtb16  %[e3], %[e3]\n\t"
                         NM24_PAIR_TABLE4("0", "0", "1")
                         NM24_PAIR_TABLE4("1", "0", "2")
                         NM24_PAIR_TABLE4("2", "0", "3")
                         NM24_PAIR_TABLE4("3", "1", "2")
                         NM24_PAIR_TABLE4("4", "1", "3")
                         NM24_PAIR_TABLE4("5", "2", "3")
                         "adds    %[t], %[t], #24\n\t"
                         "cmp     %[xs], %[end]\n\t"
                         "bne     1b\n\t"
                         : [xs] "+r"(xs), [t] "+r"(t), [e0] "=&r"(e0), [e1] "=&r"(e1), [e2] "=&r"(e2), [e3] "=&r"(e3),
                           [o0] "=&r"(o0), [o1] "=&r"(o1), [o2] "=&r"(o2), [o3] "=&r"(o3), [u] "=&r"(u)
                         : [end] "r"(end)
                         : "cc", "memory");
    }
    if (groups & 1) { /* the padding group of an odd row: zero weights against zero inputs */
        int32_t *t = table + 192 * (groups / NM24_CHUNK) + 6 * (groups % NM24_CHUNK);
        for (int p = 0; p < 4; p++)
            for (int k = 0; k < 6; k++) t[48 * p + k] = 0;
    }
}
#undef NM24_PAIR_TABLE4

/* One group pair against four pixels: the pair's two index bytes (a halfword: rows hold an
 * even number of groups) and its value word; per group UXTAB of the chunk's table and its
 * byte gives the address of pixel 0's pair word, the four pixels' words come in one run of
 * loads, and SXTB16 (ROR 8) of the value word goes where the address was (14 registers). */
#define NM24_PAIR4_(mac)                                        \
    "ldrh    %[c], [%[codes]], #2\n\t"                          \
    "ldr     %[wv], [%[v]], #4\n\t"                             \
    "uxtab   %[e], %[t], %[c]\n\t"                              \
    "uxtab   %[c], %[t], %[c], ror #8\n\t"                      \
    "ldr     %[x0], [%[e]]\n\t"                                 \
    "ldr     %[x1], [%[e], #192]\n\t"                           \
    "ldr     %[x2], [%[e], #384]\n\t"                           \
    "ldr     %[x3], [%[e], #576]\n\t"                           \
    "sxtb16  %[e], %[wv]\n\t"                                   \
    mac                                                         \
    "ldr     %[x0], [%[c]]\n\t"                                 \
    "ldr     %[x1], [%[c], #192]\n\t"                           \
    "ldr     %[x2], [%[c], #384]\n\t"                           \
    "ldr     %[x3], [%[c], #576]\n\t"                           \
    "sxtb16  %[c], %[wv], ror #8\n\t"                           \
    "smlad   %[a0], %[c], %[x0], %[a0]\n\t"                     \
    "smlad   %[a1], %[c], %[x1], %[a1]\n\t"                     \
    "smlad   %[a2], %[c], %[x2], %[a2]\n\t"                     \
    "smlad   %[a3], %[c], %[x3], %[a3]\n\t"
#define NM24_PAIR4                                              \
    NM24_PAIR4_("smlad   %[a0], %[e], %[x0], %[a0]\n\t"         \
                "smlad   %[a1], %[e], %[x1], %[a1]\n\t"         \
                "smlad   %[a2], %[e], %[x2], %[a2]\n\t"         \
                "smlad   %[a3], %[e], %[x3], %[a3]\n\t")
/* The first group pair of a row: SMUAD starts the accumulators (no zeroing). */
#define NM24_PAIR4_FIRST                                        \
    NM24_PAIR4_("smuad   %[a0], %[e], %[x0]\n\t"                \
                "smuad   %[a1], %[e], %[x1]\n\t"                \
                "smuad   %[a2], %[e], %[x2]\n\t"                \
                "smuad   %[a3], %[e], %[x3]\n\t")

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
/* The accumulators of `n` rows (acc[i][pixel]) whose rows are at least one whole chunk and then
 * `rest` group pairs (rest a literal 0-3: the tail is unrolled, no counter): the row loop in
 * the same assembly, so that a row costs about 15 cycles besides its group pairs (the loop
 * bounds and the accumulator pointer live in memory: PAIR4 needs 14 registers), against about
 * 45 with nm24_row4's tail loop and the C row loop around it (the DS-CNN's first layer: one
 * chunk and one pair a row). */
#define NM24_ROWS4(rest)                                                                                        \
    const uint8_t *codes = *pcodes;                                                                             \
    const int8_t *v = *pv;                                                                                      \
    int32_t *accp = &acc[0][0], *accend = &acc[n][0];                                                           \
    const int32_t *t;                                                                                           \
    int32_t a0, a1, a2, a3;                                                                                     \
    uint32_t c, wv, e, x0, x1, x2, x3;                                                                          \
    __asm__ volatile("0:\n\t"                                                                                   \
                     "ldr     %[t], %[table]\n\t"                                                               \
                     NM24_PAIR4_FIRST NM24_PAIR4 NM24_PAIR4 NM24_PAIR4                                          \
                     "add     %[t], %[t], #768\n\t"                                                             \
                     "ldr     %[x0], %[end]\n\t"                                                                \
                     "cmp     %[t], %[x0]\n\t"                                                                  \
                     "beq     2f\n"                                                                              \
                     "1:\n\t"                                                                                   \
                     NM24_PAIR4 NM24_PAIR4 NM24_PAIR4 NM24_PAIR4                                                \
                     "add     %[t], %[t], #768\n\t"                                                             \
                     "ldr     %[x0], %[end]\n\t"                                                                \
                     "cmp     %[t], %[x0]\n\t"                                                                  \
                     "bne     1b\n"                                                                              \
                     "2:\n\t"                                                                                   \
                     ".rept " #rest "\n\t" NM24_PAIR4 ".endr\n\t"                                               \
                     "ldr     %[x0], %[accp]\n\t"                                                               \
                     "str     %[a0], [%[x0]], #16\n\t"                                                          \
                     "str     %[a1], [%[x0], #-12]\n\t"                                                         \
                     "str     %[a2], [%[x0], #-8]\n\t"                                                          \
                     "str     %[a3], [%[x0], #-4]\n\t"                                                          \
                     "str     %[x0], %[accp]\n\t"                                                               \
                     "ldr     %[x1], %[accend]\n\t"                                                             \
                     "cmp     %[x0], %[x1]\n\t"                                                                 \
                     "bne     0b\n\t"                                                                           \
                     : [codes] "+r"(codes), [v] "+r"(v), [t] "=&r"(t), [a0] "=&r"(a0), [a1] "=&r"(a1),            \
                       [a2] "=&r"(a2), [a3] "=&r"(a3), [c] "=&r"(c), [wv] "=&r"(wv), [e] "=&r"(e),               \
                       [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3), [accp] "+m"(accp)         \
                     : [table] "m"(table), [end] "m"(end), [accend] "m"(accend)                                 \
                     : "cc", "memory");                                                                         \
    *pcodes = codes;                                                                                            \
    *pv = v
#define NM24_ROWS4_FN(rest)                                                                                     \
    static inline __attribute__((always_inline)) void nm24_rows4_##rest(                                        \
        const uint8_t **pcodes, const int8_t **pv, const int32_t *table, const int32_t *end, int n,             \
        int32_t (*acc)[4]) {                                                                                    \
        NM24_ROWS4(rest);                                                                                       \
    }
NM24_ROWS4_FN(0)
NM24_ROWS4_FN(1)
NM24_ROWS4_FN(2)
NM24_ROWS4_FN(3)
#undef NM24_ROWS4_FN
#undef NM24_ROWS4
#undef NM24_PAIR4
#undef NM24_PAIR4_FIRST
#undef NM24_PAIR4_

/* A block of rows' accumulators, then their requantization (finish_rows4), as for CSR. */
static void matvec4_nm24(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                         const nn_quant_t *q, const rq4_t *rq, int32_t *table) {
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
        if (end == table) /* no whole chunk (under 32 columns) */
            for (int i = 0; i < n; i++) nm24_row4(&codes, &v, table, end, rest, acc[i]);
        else if (rest == 0)
            nm24_rows4_0(&codes, &v, table, end, n, acc);
        else if (rest == 1)
            nm24_rows4_1(&codes, &v, table, end, n, acc);
        else if (rest == 2)
            nm24_rows4_2(&codes, &v, table, end, n, acc);
        else
            nm24_rows4_3(&codes, &v, table, end, n, acc);
        finish_rows4(&f, rq, r, n, acc, out, stride);
    }
}
#else
static void matvec4_nm24(const nn_sparse_t *w, const int32_t *xs, int8_t *out, int stride, const nn_act_t *act,
                         const nn_quant_t *q, const rq4_t *rq, int32_t *table) {
    (void)rq, (void)table;
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
