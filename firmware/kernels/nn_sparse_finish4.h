/* The requantization of a block of rows against four pixels (finish_rows4, DSP path), with each
 * row's constants worked out once per layer call (rq4_prepare) rather than once per row and
 * pass. Included only by nn_sparse_conv.c, after finish4_general and clamp4, which it uses:
 * static functions in one translation unit, as nn_sparse_gather.h. */
#ifndef NN_SPARSE_FINISH4_H
#define NN_SPARSE_FINISH4_H

#include "nn_sparse_internal.h"

/* One row's constants of nn_requant_out's fast path (as finish_rows1_per_tensor in
 * nn_sparse_fc.c): with left = max(shift, 0) and r = left - shift, |y| < half = 2^(29 - left)
 * makes y << l1 (l1 = left + 1) exact, and for r1 = r + 1 <= 21 the output offset joins the
 * rounding constant k = 2^r + out_off * 2^r1. m = 0 marks a row the fast path does not take:
 * all its weights pruned (multiplier 0), or a shift outside that range. */
typedef struct {
    int32_t m, half, k, l1, r1;
} rq4_t;

/* nn_sparse_scratch_words reserves RQ4_WORDS (nn_sparse_internal.h) per row. */
_Static_assert(sizeof(rq4_t) == 4 * RQ4_WORDS, "rq4_t is RQ4_WORDS words");

#if defined(__ARM_FEATURE_DSP)
/* The constants of every row (one entry for a per-tensor layer): once per layer call, against
 * about 17 instructions per row and pass in the loop before. */
static void rq4_prepare(const row_finish_t *f, int rows, rq4_t *c) {
    const int n = f->per_channel ? rows : 1;
    for (int i = 0; i < n; i++) {
        const int32_t m = f->mult[i], shift = f->shift[i];
        const int32_t left = shift > 0 ? shift : 0, r = left - shift;
        if (m == 0 || r + 1 > 21 || left > 27) {
            c[i].m = 0;
            continue;
        }
        c[i].m = m;
        c[i].half = (int32_t)(1u << (29 - left));
        c[i].k = (int32_t)(1u << r) + f->out_off * (int32_t)(1u << (r + 1));
        c[i].l1 = left + 1;
        c[i].r1 = r + 1;
    }
}

/* Rows' four outputs each, v[j] = clamp(nn_requantize(a[j] + b, m, shift) + out_off), by the
 * fast path above from the row's rq4_t: bias, the range test (the OR of y + half over the four
 * accumulators below 2 half, a power of two), y << l1, SMMULR, (2h + k - (h < 0)) >> r1, then
 * SSAT, the four outputs packed in a word and clamped bytewise (SSUB8 sets a GE flag per byte
 * where the first operand is not below the second, SEL picks by them), four STRB. The row loop
 * is in the assembly (14 registers; the rest from memory), about 90 cycles per row (105 when it
 * worked out the constants). It stops at a row whose m is 0 or an accumulator outside the
 * range, and returns non-zero with the pointers at that row, which the caller finishes in
 * general. */
typedef struct {
    const int32_t *a;
    const rq4_t *c;
    const int32_t *bias;
    int8_t *o;
    const int32_t *a_end; /* after the last row's accumulators */
    int32_t step;         /* bytes from one row's constants to the next's: 20, or 0 per-tensor */
    int32_t stride;
    uint32_t lo4, hi4;    /* the clamp bounds in each byte */
} rows4_t;

static inline __attribute__((always_inline)) int finish_rows4_fast(rows4_t *q) {
    const int32_t *a = q->a, *pb = q->bias;
    const rq4_t *pc = q->c;
    int8_t *o = q->o;
    int32_t y0, y1, y2, y3, m, sh, l, b, t, u;
    __asm__ volatile(
        "0:\n\t"
        "ldr     %[m], [%[pc]]\n\t"
        "ldr     %[t], [%[pc], #4]\n\t"                  /* half */
        "ldr     %[l], [%[pc], #12]\n\t"                 /* l1 */
        "ldr     %[sh], [%[pc], #16]\n\t"                /* r1 */
        "ldr     %[b], [%[pb]], #4\n\t"
        "ldr     %[y0], [%[a]]\n\t"
        "ldr     %[y1], [%[a], #4]\n\t"
        "ldr     %[y2], [%[a], #8]\n\t"
        "ldr     %[y3], [%[a], #12]\n\t"
        "cmp     %[m], #0\n\t"
        "beq     8f\n\t"
        "add     %[y0], %[y0], %[b]\n\t"
        "add     %[y1], %[y1], %[b]\n\t"
        "add     %[y2], %[y2], %[b]\n\t"
        "add     %[y3], %[y3], %[b]\n\t"
        "add     %[b], %[y0], %[t]\n\t"                  /* fail: some y + half >= 2 half */
        "add     %[u], %[y1], %[t]\n\t"
        "orr     %[b], %[b], %[u]\n\t"
        "add     %[u], %[y2], %[t]\n\t"
        "orr     %[b], %[b], %[u]\n\t"
        "add     %[u], %[y3], %[t]\n\t"
        "orr     %[b], %[b], %[u]\n\t"
        "cmp     %[b], %[t], lsl #1\n\t"
        "bhs     8f\n\t"
        "lsl     %[y0], %[y0], %[l]\n\t"                 /* h = (y << l1) * m, rounded high half */
        "smmulr  %[y0], %[y0], %[m]\n\t"
        "lsl     %[y1], %[y1], %[l]\n\t"
        "smmulr  %[y1], %[y1], %[m]\n\t"
        "lsl     %[y2], %[y2], %[l]\n\t"
        "smmulr  %[y2], %[y2], %[m]\n\t"
        "lsl     %[y3], %[y3], %[l]\n\t"
        "smmulr  %[y3], %[y3], %[m]\n\t"
        "ldr     %[t], [%[pc], #8]\n\t"                  /* k */
        "add     %[u], %[t], %[y0], lsl #1\n\t"          /* (2h + k - (h < 0)) >> r1 */
        "add     %[u], %[u], %[y0], asr #31\n\t"
        "asr     %[y0], %[u], %[sh]\n\t"
        "add     %[u], %[t], %[y1], lsl #1\n\t"
        "add     %[u], %[u], %[y1], asr #31\n\t"
        "asr     %[y1], %[u], %[sh]\n\t"
        "add     %[u], %[t], %[y2], lsl #1\n\t"
        "add     %[u], %[u], %[y2], asr #31\n\t"
        "asr     %[y2], %[u], %[sh]\n\t"
        "add     %[u], %[t], %[y3], lsl #1\n\t"
        "add     %[u], %[u], %[y3], asr #31\n\t"
        "asr     %[y3], %[u], %[sh]\n\t"
        "ssat    %[y0], #8, %[y0]\n\t"
        "ssat    %[y1], #8, %[y1]\n\t"
        "bfi     %[y0], %[y1], #8, #8\n\t"
        "ssat    %[y2], #8, %[y2]\n\t"
        "bfi     %[y0], %[y2], #16, #8\n\t"
        "ssat    %[y3], #8, %[y3]\n\t"
        "bfi     %[y0], %[y3], #24, #8\n\t"
        "ldr     %[t], %[lo4]\n\t"
        "ssub8   %[u], %[y0], %[t]\n\t"
        "sel     %[y0], %[y0], %[t]\n\t"
        "ldr     %[t], %[hi4]\n\t"
        "ssub8   %[u], %[t], %[y0]\n\t"
        "sel     %[y0], %[y0], %[t]\n\t"
        "ldr     %[t], %[stride]\n\t"
        "strb    %[y0], [%[o]]\n\t"                      /* pixels 0..3, stride bytes apart */
        "lsr     %[u], %[y0], #8\n\t"
        "strb    %[u], [%[o], %[t]]\n\t"
        "add     %[y1], %[o], %[t], lsl #1\n\t"
        "lsr     %[u], %[y0], #16\n\t"
        "strb    %[u], [%[y1]]\n\t"
        "lsr     %[u], %[y0], #24\n\t"
        "strb    %[u], [%[y1], %[t]]\n\t"
        "add     %[o], %[o], #1\n\t"
        "add     %[a], %[a], #16\n\t"
        "ldr     %[t], %[step]\n\t"
        "add     %[pc], %[pc], %[t]\n\t"
        "ldr     %[t], %[a_end]\n\t"
        "cmp     %[a], %[t]\n\t"
        "bne     0b\n\t"
        "movs    %[b], #0\n\t"
        "b       9f\n"
        "8:\n\t"
        "sub     %[pb], %[pb], #4\n\t"                   /* this row again, in general */
        "movs    %[b], #1\n"
        "9:\n\t"
        : [a] "+r"(a), [pc] "+r"(pc), [pb] "+r"(pb), [o] "+r"(o), [y0] "=&r"(y0), [y1] "=&r"(y1), [y2] "=&r"(y2),
          [y3] "=&r"(y3), [m] "=&r"(m), [sh] "=&r"(sh), [l] "=&r"(l), [b] "=&r"(b), [t] "=&r"(t), [u] "=&r"(u)
        : [a_end] "m"(q->a_end), [step] "m"(q->step), [stride] "m"(q->stride), [lo4] "m"(q->lo4), [hi4] "m"(q->hi4)
        : "cc", "memory");
    q->a = a;
    q->c = pc;
    q->bias = pb;
    q->o = o;
    return b;
}

/* Row r's four outputs when finish_rows4_fast stops at it: a channel whose weights were all
 * pruned, nn_requant4, or in general. Out of line, so that the loop below keeps its registers. */
static __attribute__((noinline)) void finish4_slow(const row_finish_t *f, int r, const int32_t *a, int8_t *o, int stride) {
    const int qi = f->per_channel ? r : 0;
    const int32_t m = f->mult[qi], b = f->bias[r], oo = f->out_off;
    int32_t v[4];
    if (m == 0) {
        /* all weights pruned: nn_requantize gives 0 for any accumulator */
        o[0] = o[stride] = o[2 * stride] = o[3 * stride] = (int8_t)nn_clamp(oo, f->lo, f->hi);
    } else if (!nn_requant4(a[0] + b, a[1] + b, a[2] + b, a[3] + b, m, f->shift[qi], oo, v)) {
        if (!f->full) clamp4(v, f->lo, f->hi);
        o[0] = (int8_t)v[0];
        o[stride] = (int8_t)v[1];
        o[2 * stride] = (int8_t)v[2];
        o[3 * stride] = (int8_t)v[3];
    } else {
        finish4_general(f, r, a[0], a[1], a[2], a[3], o, stride);
    }
}

/* Bias, requantization and clamp of rows r .. r + n - 1 from their accumulators acc[i][pixel],
 * with the layer's row constants c (rq4_prepare): finish_rows4_fast, and finish4_slow for each
 * row it stops at. */
static void finish_rows4(const row_finish_t *f, const rq4_t *c, int r, int n, int32_t (*acc)[4], int8_t *out,
                         int stride) {
    const int qs = f->per_channel ? 1 : 0;
    rows4_t q = {acc[0], c + r * qs, f->bias + r, out + r, acc[n], (int32_t)sizeof(rq4_t) * qs, stride,
                 (uint8_t)f->lo * 0x01010101u, (uint8_t)f->hi * 0x01010101u};
    while (q.a != q.a_end && finish_rows4_fast(&q)) {
        finish4_slow(f, r + (int)(q.a - acc[0]) / 4, q.a, q.o, stride);
        q.a += 4, q.c += qs, q.bias++, q.o++;
    }
}
#endif

#endif
