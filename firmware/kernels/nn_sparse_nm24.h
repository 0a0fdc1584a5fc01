/* The 2:4 one-column kernel (NN_SPARSE_NM24, nn_sparse.h): the per-column pair table and the
 * assembly row loops on the DSP path, the positions from each index byte on cores without
 * SMLAD. Included only by nn_sparse_fc.c, after its CSR helpers (finish_rows1, FINISH1): static
 * functions in one translation unit, as nn_sparse_gather.h. */
#ifndef NN_SPARSE_NM24_H
#define NN_SPARSE_NM24_H

#include "nn_sparse_internal.h"

#if !defined(__ARM_FEATURE_DSP)
/* 2:4 without a pair table: each index byte's two positions from nm24_pos (cores without
 * SMLAD). The value word of a group pair holds a0 b0 a1 b1. */
static void matvec_nm24(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q,
                        int32_t *scratch) {
    (void)scratch;
    row_finish_t f = row_finish(w, act, q);
    const uint8_t *codes = (const uint8_t *)w->index;
    const int8_t *v = w->values;
    int pairs = nm24_group_pairs(w->cols), groups = groups_of(w->cols, 4);
    for (int r = 0; r < w->rows; r++) {
        int32_t acc = 0;
        const int8_t *b0 = x;
        for (int k = 0; k < pairs; k++, v += 4, codes += 2, b0 += 8) {
            uint32_t p = nm24_pos[codes[0]];
            acc += v[0] * b0[p & 3] + v[2] * b0[p >> 2];
            if (2 * k + 1 < groups) {
                p = nm24_pos[codes[1]];
                acc += v[1] * b0[4 + (p & 3)] + v[3] * b0[4 + (p >> 2)];
            }
        }
        FINISH1(r);
    }
}
#else
/* Every pair of inputs a 2:4 group can keep, as two int16 lanes, six words in the order of the
 * patterns (01 02 03 12 13 23). From the group's four inputs (a, b, c, d): SXTB16 gives (a, c),
 * SXTB16 ROR 8 (b, d), and halfword packing the other four. */
static inline __attribute__((always_inline)) void nm24_pairs(const int8_t *x, int32_t *t) {
    uint32_t e = (uint32_t)__sxtb16(nn_read32(x)), o = (uint32_t)nn_sxtb16_ror8(nn_read32(x));
    t[0] = (int32_t)nn_pack_bottoms(e, o);    /* a, b */
    t[1] = (int32_t)e;                        /* a, c */
    t[2] = (int32_t)nn_pack_bottom_top(e, o); /* a, d */
    t[3] = (int32_t)nn_pack_bottom_top(o, e); /* b, c */
    t[4] = (int32_t)o;                        /* b, d */
    t[5] = (int32_t)nn_pack_tops(e, o);       /* c, d */
}

/* One group's six pair words from its input word `w` (e, o: scratch), stored at `at` from the
 * table pointer (the first store post-increments it by `step`): SXTB16 gives (a, c), SXTB16
 * ROR 8 (b, d), halfword packing the other four. */
#define NM24_PAIRS(w, first, at)                                \
    "sxtb16  %[e], %[" w "]\n\t"                                \
    "sxtb16  %[o], %[" w "], ror #8\n\t"                        \
    "pkhbt   %[" w "], %[e], %[o], lsl #16\n\t"                 \
    "pkhbt   %[p2], %[e], %[o]\n\t"                             \
    "pkhbt   %[p3], %[o], %[e]\n\t"                             \
    "pkhtb   %[p5], %[o], %[e], asr #16\n\t"                    \
    first                                                       \
    "str     %[e], [%[t], #" at "+4]\n\t"                       \
    "str     %[p2], [%[t], #" at "+8]\n\t"                      \
    "str     %[p3], [%[t], #" at "+12]\n\t"                     \
    "str     %[o], [%[t], #" at "+16]\n\t"                      \
    "str     %[p5], [%[t], #" at "+20]\n\t"

/* The pair table of one column: built once per column and shared by all rows, so that each
 * group costs one table load and one SMLAD per row. The format has whole groups (cols % 4 ==
 * 0); an odd last group's padding partner reads zeros. Four groups an iteration in assembly:
 * their four input words in one run of loads, then 6 ALU and 6 stores a group (GCC's loop
 * spent 19 cycles a group). */
static void nm24_pair_table(const int8_t *x, int cols, int32_t *t) {
    const unsigned groups = (unsigned)cols / 4;
    if (groups >= 4) {
        const int8_t *end = x + 4 * (groups & ~3u);
        uint32_t a, b, c, d, e, o, p2, p3, p5;
        __asm__ volatile("1:\n\t"
                         "ldr     %[a], [%[x]], #16\n\t"
                         "ldr     %[b], [%[x], #-12]\n\t"
                         "ldr     %[c], [%[x], #-8]\n\t"
                         "ldr     %[d], [%[x], #-4]\n\t"
                         NM24_PAIRS("a", "str     %[a], [%[t]], #96\n\t", "-96")
                         NM24_PAIRS("b", "str     %[b], [%[t], #-72]\n\t", "-72")
                         NM24_PAIRS("c", "str     %[c], [%[t], #-48]\n\t", "-48")
                         NM24_PAIRS("d", "str     %[d], [%[t], #-24]\n\t", "-24")
                         "cmp     %[x], %[end]\n\t"
                         "bne     1b\n\t"
                         : [x] "+r"(x), [t] "+r"(t), [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [d] "=&r"(d),
                           [e] "=&r"(e), [o] "=&r"(o), [p2] "=&r"(p2), [p3] "=&r"(p3), [p5] "=&r"(p5)
                         : [end] "r"(end)
                         : "cc", "memory");
    }
    for (unsigned g = groups & 3u; g >= 2; g -= 2, x += 8, t += 12) {
        nm24_pairs(x, t);
        nm24_pairs(x + 4, t + 6);
    }
    if (groups & 1) {
        nm24_pairs(x, t);
        for (int i = 6; i < 12; i++) t[i] = 0;
    }
}
#undef NM24_PAIRS

/* Half a chunk (four groups) of one row at offsets h (codes) and 2h (values) from the pointers'
 * current place (the chunk's first four groups with post-increments, the last four with
 * negative offsets): its four index bytes, two value words and four pair words in one run of
 * independent loads (one cycle each after the first on the M4: the post-incremented bases
 * alternate, and no address comes from the instruction just before), then SXTB16 (ROR 8) and
 * SMLAD per group. */
#define NM24_HALF(first)                                        \
    first                                                       \
    "ldr     %[o0], [%[t], %[o0]]\n\t"                          \
    "ldr     %[o1], [%[t], %[o1]]\n\t"                          \
    "ldr     %[o2], [%[t], %[o2]]\n\t"                          \
    "ldr     %[o3], [%[t], %[o3]]\n\t"                          \
    "sxtb16  %[s], %[w0]\n\t"                                   \
    "smlad   %[acc], %[s], %[o0], %[acc]\n\t"                   \
    "sxtb16  %[w0], %[w0], ror #8\n\t"                          \
    "smlad   %[acc], %[w0], %[o1], %[acc]\n\t"                  \
    "sxtb16  %[s], %[w1]\n\t"                                   \
    "smlad   %[acc], %[s], %[o2], %[acc]\n\t"                   \
    "sxtb16  %[w1], %[w1], ror #8\n\t"                          \
    "smlad   %[acc], %[w1], %[o3], %[acc]\n\t"
#define NM24_FIRST_HALF                                         \
    "ldrb    %[o0], [%[codes]], #8\n\t"                         \
    "ldr     %[w0], [%[v]], #16\n\t"                            \
    "ldrb    %[o1], [%[codes], #-7]\n\t"                        \
    "ldr     %[w1], [%[v], #-12]\n\t"                           \
    "ldrb    %[o2], [%[codes], #-6]\n\t"                        \
    "ldrb    %[o3], [%[codes], #-5]\n\t"
#define NM24_SECOND_HALF                                        \
    "ldrb    %[o0], [%[codes], #-4]\n\t"                        \
    "ldr     %[w0], [%[v], #-8]\n\t"                            \
    "ldrb    %[o1], [%[codes], #-3]\n\t"                        \
    "ldr     %[w1], [%[v], #-4]\n\t"                            \
    "ldrb    %[o2], [%[codes], #-2]\n\t"                        \
    "ldrb    %[o3], [%[codes], #-1]\n\t"
/* A chunk of eight groups; the next chunk's table is 192 bytes on. */
#define NM24_CHUNK1 NM24_HALF(NM24_FIRST_HALF) NM24_HALF(NM24_SECOND_HALF) "add     %[t], %[t], #192\n\t"

/* One row's dot product with the column whose pair table is t, from `acc` (the bias): `chunks`
 * chunks of eight groups (two per iteration: one taken branch per 16 SMLAD), then `rest` group
 * pairs of the last, partial chunk. Each index byte is the offset of its group's pair word
 * from the chunk's table (nn_sparse.h), so a group costs an LDRB, an LDR [t, offset], half a
 * value word, an SXTB16 (ROR 8) and an SMLAD. */
static inline __attribute__((always_inline)) int32_t nm24_dot(const uint8_t **pcodes, const int8_t **pv,
                                                              const int32_t *t, int chunks, int rest, int32_t acc) {
    const uint8_t *codes = *pcodes;
    const int8_t *v = *pv;
    uint32_t o0, o1, o2, o3, w0, w1, s;
    __asm__ volatile(
        "subs    %[chunks], %[chunks], #2\n\t"
        "blt     2f\n"
        "1:\n\t"
        NM24_CHUNK1 NM24_CHUNK1
        "subs    %[chunks], %[chunks], #2\n\t"
        "bge     1b\n"
        "2:\n\t"
        "tst     %[chunks], #1\n\t"     /* an odd chunk left (chunks is -1 or -2 here) */
        "beq     5f\n\t"
        NM24_CHUNK1
        "5:\n\t"
        "cmp     %[rest], #0\n\t"
        "beq     4f\n"
        "3:\n\t"
        "ldrb    %[o0], [%[codes]], #2\n\t"
        "ldr     %[w0], [%[v]], #4\n\t"
        "ldrb    %[o1], [%[codes], #-1]\n\t"
        "ldr     %[o0], [%[t], %[o0]]\n\t"
        "ldr     %[o1], [%[t], %[o1]]\n\t"
        "sxtb16  %[s], %[w0]\n\t"
        "smlad   %[acc], %[s], %[o0], %[acc]\n\t"
        "sxtb16  %[w0], %[w0], ror #8\n\t"
        "smlad   %[acc], %[w0], %[o1], %[acc]\n\t"
        "subs    %[rest], %[rest], #1\n\t"
        "bne     3b\n"
        "4:\n\t"
        : [codes] "+r"(codes), [v] "+r"(v), [t] "+r"(t), [chunks] "+r"(chunks), [rest] "+r"(rest), [acc] "+r"(acc),
          [o0] "=&r"(o0), [o1] "=&r"(o1), [o2] "=&r"(o2), [o3] "=&r"(o3), [w0] "=&r"(w0), [w1] "=&r"(w1), [s] "=&r"(s)
        :
        : "cc", "memory");
    *pcodes = codes;
    *pv = v;
    return acc;
}
/* The dot products of `rows` rows (acc[i] = bias[i] + row i . x) whose rows are whole runs of
 * `body` chunks (NM24_CHUNK1 repeated), `runs` runs a row: the row loop in the same assembly,
 * without the tail tests. The run loop ends when the table pointer reaches the row's end
 * (tend), the row loop when accs reaches its end (read from memory into t, which the next row
 * reloads anyway): no counter to reload or store, 9 cycles a row besides its chunks. */
#define NM24_DOTS_RUNS(body, chunks_per_run)                                                                        \
    const uint8_t *codes = *pcodes;                                                                                 \
    const int8_t *v = *pv;                                                                                          \
    const int32_t *t, *tend = table + 48 * (chunks_per_run) * runs, *accs_end = accs + rows;                        \
    int32_t acc;                                                                                                    \
    uint32_t o0, o1, o2, o3, w0, w1, s;                                                                             \
    __asm__ volatile("0:\n\t"                                                                                       \
                     "ldr     %[acc], [%[bias]], #4\n\t"                                                            \
                     "ldr     %[t], %[table]\n"                                                                     \
                     "1:\n\t" body                                                                                  \
                     "cmp     %[t], %[tend]\n\t"                                                                    \
                     "bne     1b\n\t"                                                                               \
                     "str     %[acc], [%[accs]], #4\n\t"                                                            \
                     "ldr     %[t], %[accs_end]\n\t"                                                                \
                     "cmp     %[accs], %[t]\n\t"                                                                    \
                     "bne     0b\n\t"                                                                               \
                     : [codes] "+r"(codes), [v] "+r"(v), [t] "=&r"(t), [acc] "=&r"(acc), [bias] "+r"(bias),         \
                       [accs] "+r"(accs), [o0] "=&r"(o0), [o1] "=&r"(o1), [o2] "=&r"(o2), [o3] "=&r"(o3),           \
                       [w0] "=&r"(w0), [w1] "=&r"(w1), [s] "=&r"(s)                                                 \
                     : [table] "m"(table), [tend] "r"(tend), [accs_end] "m"(accs_end)                               \
                     : "cc", "memory");                                                                             \
    *pcodes = codes;                                                                                                \
    *pv = v
/* Two chunks a run (16 groups): rows of 2, 6, 10 ... chunks. */
static inline __attribute__((always_inline)) void nm24_dots_even(const uint8_t **pcodes, const int8_t **pv,
                                                                 const int32_t *table, int runs, const int32_t *bias,
                                                                 int rows, int32_t *accs) {
    NM24_DOTS_RUNS(NM24_CHUNK1 NM24_CHUNK1, 2);
}
/* Four chunks a run (32 groups, 128 inputs): rows of a multiple of 128 inputs pay the loop's
 * counter and taken branch once per 32 groups instead of 16 (4 cycles a run). */
static inline __attribute__((always_inline)) void nm24_dots_quad(const uint8_t **pcodes, const int8_t **pv,
                                                                 const int32_t *table, int runs, const int32_t *bias,
                                                                 int rows, int32_t *accs) {
    NM24_DOTS_RUNS(NM24_CHUNK1 NM24_CHUNK1 NM24_CHUNK1 NM24_CHUNK1, 4);
}
#undef NM24_DOTS_RUNS
/* nm24_dots_even for rows of exactly one chunk pair (16 groups, 64 inputs: the DS-CNN's FC, the
 * digits MLP): no inner loop, and the rows left stay in a register: 4 cycles a row fewer. */
static inline __attribute__((always_inline)) void nm24_dots_16(const uint8_t **pcodes, const int8_t **pv,
                                                               const int32_t *table, const int32_t *bias, int rows,
                                                               int32_t *accs) {
    const uint8_t *codes = *pcodes;
    const int8_t *v = *pv;
    const int32_t *t;
    int32_t acc;
    uint32_t o0, o1, o2, o3, w0, w1, s;
    __asm__ volatile(
        "0:\n\t"
        "ldr     %[acc], [%[bias]], #4\n\t"
        "ldr     %[t], %[table]\n\t"
        NM24_CHUNK1 NM24_CHUNK1
        "str     %[acc], [%[accs]], #4\n\t"
        "subs    %[rows], %[rows], #1\n\t"
        "bne     0b\n\t"
        : [codes] "+r"(codes), [v] "+r"(v), [t] "=&r"(t), [acc] "=&r"(acc), [bias] "+r"(bias), [accs] "+r"(accs),
          [rows] "+r"(rows), [o0] "=&r"(o0), [o1] "=&r"(o1), [o2] "=&r"(o2), [o3] "=&r"(o3), [w0] "=&r"(w0),
          [w1] "=&r"(w1), [s] "=&r"(s)
        : [table] "m"(table)
        : "cc", "memory");
    *pcodes = codes;
    *pv = v;
}
#undef NM24_CHUNK1
#undef NM24_FIRST_HALF
#undef NM24_SECOND_HALF
#undef NM24_HALF

/* The dot products of a block of rows first, then their requantization (finish_rows1: the
 * per-tensor fast path), as for CSR: the row loop is a few instructions around nm24_dot. */
static void matvec_nm24(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act, const nn_quant_t *q,
                        int32_t *table) {
    const row_finish_t f = row_finish(w, act, q);
    nm24_pair_table(x, w->cols, table);
    const uint8_t *codes = (const uint8_t *)w->index;
    const int8_t *v = w->values;
    const unsigned pairs = ((unsigned)w->cols / 4 + 1) / 2; /* whole groups in this format */
    const int chunks = (int)(pairs / 4), rest = (int)(pairs % 4);
    for (int r = 0; r < w->rows; r += ROW_BLOCK_FC) {
        const int n = w->rows - r < ROW_BLOCK_FC ? w->rows - r : ROW_BLOCK_FC;
        int32_t acc[ROW_BLOCK_FC];
        if (rest == 0 && chunks == 2)
            nm24_dots_16(&codes, &v, table, f.bias + r, n, acc);
        else if (rest == 0 && chunks % 4 == 0 && chunks > 0)
            nm24_dots_quad(&codes, &v, table, chunks / 4, f.bias + r, n, acc);
        else if (rest == 0 && chunks % 2 == 0 && chunks > 0)
            nm24_dots_even(&codes, &v, table, chunks / 2, f.bias + r, n, acc);
        else
            for (int i = 0; i < n; i++) acc[i] = nm24_dot(&codes, &v, table, chunks, rest, f.bias[r + i]);
        finish_rows1(&f, r, n, acc, out);
    }
}

#endif

#endif
