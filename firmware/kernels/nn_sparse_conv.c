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

/* Rows' four outputs each, v[j] = clamp(nn_requantize(a[j] + b, m, shift) + out_off), by
 * nn_requant_out's fast path (as finish_rows1_per_tensor in nn_sparse_fc.c): with
 * |y| < 2^(29 - left), y << (left + 1) is exact, and for r + 1 <= 21 the output offset joins the
 * rounding constant k = 2^r + out_off * 2^(r + 1). Then SSAT, the four outputs packed in a word
 * and clamped bytewise (SSUB8 sets a GE flag per byte where the first operand is not below the
 * second, SEL picks by them), four STRB. The row loop and each row's constants are in the
 * assembly (14 registers; the rest from memory), about 90 cycles per row. It stops at a row
 * with multiplier 0 (all weights pruned), a shift or an accumulator outside that range, and
 * returns non-zero with the pointers at that row, which the caller finishes in general. */
typedef struct {
    const int32_t *a, *mult, *bias;
    int8_t *o;
    const int32_t *a_end; /* after the last row's accumulators */
    int32_t shift_off; /* bytes from the multipliers to the shifts */
    int32_t step;      /* bytes from one row's multiplier to the next's: 4, or 0 per-tensor */
    int32_t oo, stride;
    uint32_t lo4, hi4; /* the clamp bounds in each byte */
} rows4_t;

static inline __attribute__((always_inline)) int finish_rows4_fast(rows4_t *q) {
    const int32_t *a = q->a, *pm = q->mult, *pb = q->bias;
    int8_t *o = q->o;
    int32_t y0, y1, y2, y3, m, sh, l, b, t, u;
    __asm__ volatile(
        "0:\n\t"
        "ldr     %[t], %[shift_off]\n\t"
        "ldr     %[m], [%[pm]]\n\t"
        "ldr     %[sh], [%[pm], %[t]]\n\t"
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
        "bic     %[l], %[sh], %[sh], asr #31\n\t"        /* left = max(shift, 0) */
        "sub     %[sh], %[l], %[sh]\n\t"                 /* r */
        "mov     %[t], #0x20000000\n\t"
        "lsr     %[t], %[t], %[l]\n\t"                   /* half = 2^(29 - left) */
        "add     %[b], %[y0], %[t]\n\t"                  /* fail: some y + half >= 2^(30 - left) ... */
        "add     %[u], %[y1], %[t]\n\t"
        "orr     %[b], %[b], %[u]\n\t"
        "add     %[u], %[y2], %[t]\n\t"
        "orr     %[b], %[b], %[u]\n\t"
        "add     %[u], %[y3], %[t]\n\t"
        "orr     %[b], %[b], %[u]\n\t"
        "rsb     %[t], %[l], #30\n\t"
        "lsr     %[b], %[b], %[t]\n\t"
        "add     %[t], %[sh], #11\n\t"                   /* ... or r >= 21 ... */
        "orr     %[b], %[b], %[t], lsr #5\n\t"
        "add     %[t], %[l], #4\n\t"                     /* ... or left >= 28 */
        "orrs    %[b], %[b], %[t], lsr #5\n\t"
        "bne     8f\n\t"
        "add     %[l], %[l], #1\n\t"
        "lsl     %[y0], %[y0], %[l]\n\t"                 /* h = (y << (left + 1)) * m, rounded high half */
        "smmulr  %[y0], %[y0], %[m]\n\t"
        "lsl     %[y1], %[y1], %[l]\n\t"
        "smmulr  %[y1], %[y1], %[m]\n\t"
        "lsl     %[y2], %[y2], %[l]\n\t"
        "smmulr  %[y2], %[y2], %[m]\n\t"
        "lsl     %[y3], %[y3], %[l]\n\t"
        "smmulr  %[y3], %[y3], %[m]\n\t"
        "ldr     %[u], %[oo]\n\t"
        "mov     %[t], #1\n\t"
        "lsl     %[t], %[t], %[sh]\n\t"                  /* k */
        "add     %[sh], %[sh], #1\n\t"
        "lsl     %[u], %[u], %[sh]\n\t"
        "add     %[t], %[t], %[u]\n\t"
        "add     %[u], %[t], %[y0], lsl #1\n\t"          /* (2h + k - (h < 0)) >> (r + 1) */
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
        "add     %[pm], %[pm], %[t]\n\t"
        "ldr     %[t], %[a_end]\n\t"
        "cmp     %[a], %[t]\n\t"
        "bne     0b\n\t"
        "movs    %[b], #0\n\t"
        "b       9f\n"
        "8:\n\t"
        "sub     %[pb], %[pb], #4\n\t"                   /* this row again, in general */
        "movs    %[b], #1\n"
        "9:\n\t"
        : [a] "+r"(a), [pm] "+r"(pm), [pb] "+r"(pb), [o] "+r"(o), [y0] "=&r"(y0), [y1] "=&r"(y1), [y2] "=&r"(y2),
          [y3] "=&r"(y3), [m] "=&r"(m), [sh] "=&r"(sh), [l] "=&r"(l), [b] "=&r"(b), [t] "=&r"(t), [u] "=&r"(u)
        : [a_end] "m"(q->a_end), [shift_off] "m"(q->shift_off), [step] "m"(q->step), [oo] "m"(q->oo), [stride] "m"(q->stride),
          [lo4] "m"(q->lo4), [hi4] "m"(q->hi4)
        : "cc", "memory");
    q->a = a;
    q->mult = pm;
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

/* Bias, requantization and clamp of rows r .. r + n - 1 from their accumulators acc[i][pixel]:
 * finish_rows4_fast, and finish4_slow for each row it stops at. */
static void finish_rows4(const row_finish_t *f, int r, int n, int32_t (*acc)[4], int8_t *out, int stride) {
    const int qs = f->per_channel ? 1 : 0;
    rows4_t q = {acc[0], f->mult + r * qs, f->bias + r, out + r, acc[n],
                 (int32_t)((uintptr_t)f->shift - (uintptr_t)f->mult), 4 * qs, f->out_off, stride,
                 (uint8_t)f->lo * 0x01010101u, (uint8_t)f->hi * 0x01010101u};
    while (q.a != q.a_end && finish_rows4_fast(&q)) {
        finish4_slow(f, r + (int)(q.a - acc[0]) / 4, q.a, q.o, stride);
        q.a += 4, q.mult += qs, q.bias++, q.o++;
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
    if (has_four_pixel_path(w)) {
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
            case NN_SPARSE_CSR8: if (NN_SPARSE_USES(NN_SPARSE_CSR8)) matvec4_csr8(w, interleaved, out, g->out_c, act, quant); break;
            case NN_SPARSE_CSR16: if (NN_SPARSE_USES(NN_SPARSE_CSR16)) matvec4_csr16(w, interleaved, out, g->out_c, act, quant); break;
            case NN_SPARSE_NM24: if (NN_SPARSE_USES(NN_SPARSE_NM24)) matvec4_nm24(w, interleaved, out, g->out_c, act, quant, scratch); break;
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
