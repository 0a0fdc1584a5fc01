/* Fully connected (TFLite FULLY_CONNECTED, int8). */
#include "nn_internal.h"

#if defined(__ARM_FEATURE_DSP)
/* Four MACs of two weight rows against one input word: the input is widened once (SXTAB16
 * adds the input offset to int8 lanes 0/2 and, rotated, 1/3), each weight word is widened with
 * SXTB16 (lanes 0/2 and 1/3) and feeds two SMLAD. */
#define FC_STEP(x, va, vb)                                                    \
    do {                                                                      \
        int32_t xe = __sxtab16(off2, (x));                                    \
        int32_t xo = nn_sxtab16_ror8(off2, (x));                              \
        acc0 = __smlad(__sxtb16(va), xe, acc0);                               \
        acc0 = __smlad(nn_sxtb16_ror8(va), xo, acc0);                         \
        acc1 = __smlad(__sxtb16(vb), xe, acc1);                               \
        acc1 = __smlad(nn_sxtb16_ror8(vb), xo, acc1);                         \
    } while (0)

/* The inner loop for two weight rows, kept in its own function so that the compiler has all
 * registers for it: eight columns per iteration, then a group of four if K & 4. */
static __attribute__((noinline)) void dot_2rows(const int8_t *x, const int8_t *w0, const int8_t *w1, int K,
                                                int32_t off2, int32_t acc[2]) {
    int32_t acc0 = 0, acc1 = 0;
    for (int k = K >> 3; k > 0; k--) {
        int32_t x0 = nn_read32(x), x1 = nn_read32(x + 4);
        int32_t a0 = nn_read32(w0), a1 = nn_read32(w0 + 4);
        int32_t b0 = nn_read32(w1), b1 = nn_read32(w1 + 4);
        x += 8;
        w0 += 8;
        w1 += 8;
        FC_STEP(x0, a0, b0);
        FC_STEP(x1, a1, b1);
    }
    if (K & 4) {
        int32_t x0 = nn_read32(x), a0 = nn_read32(w0), b0 = nn_read32(w1);
        FC_STEP(x0, a0, b0);
    }
    acc[0] = acc0;
    acc[1] = acc1;
}

/* Four weight rows against one input row, four columns per iteration: the input word is
 * widened once for all four rows (16 MACs: 5 loads, 10 extends, 8 SMLAD). The loop is written
 * in assembly because it needs 14 registers (pointers x, w0 and w2 = w0 + 2K, the row stride
 * K, the end, the packed offset, four accumulators and four temporaries) and GCC 12 spills
 * three of them from the C version. Rows 1 and 3 are read at [w0, K] and [w2, K]. */
static __attribute__((noinline)) void dot_4rows(const int8_t *x, const int8_t *w0, int K, int32_t off2,
                                                int32_t acc[4]) {
    const int8_t *w2 = w0 + 2 * K;
    const int8_t *end = x + (K & ~3);
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t v, w, xe, xo;
    if (x != end) {
        __asm__ volatile(
            "1:\n\t"
            "ldr     %[v], [%[x]], #4\n\t"            /* four input bytes */
            "ldr     %[w], [%[w0], %[K]]\n\t"         /* row 1 */
            "sxtab16 %[xe], %[off2], %[v]\n\t"        /* in[k]+off,   in[k+2]+off */
            "sxtab16 %[xo], %[off2], %[v], ror #8\n\t" /* in[k+1]+off, in[k+3]+off */
            "sxtb16  %[v], %[w]\n\t"
            "smlad   %[a1], %[v], %[xe], %[a1]\n\t"
            "sxtb16  %[v], %[w], ror #8\n\t"
            "smlad   %[a1], %[v], %[xo], %[a1]\n\t"
            "ldr     %[w], [%[w0]], #4\n\t"           /* row 0 */
            "sxtb16  %[v], %[w]\n\t"
            "smlad   %[a0], %[v], %[xe], %[a0]\n\t"
            "sxtb16  %[v], %[w], ror #8\n\t"
            "smlad   %[a0], %[v], %[xo], %[a0]\n\t"
            "ldr     %[w], [%[w2], %[K]]\n\t"         /* row 3 */
            "sxtb16  %[v], %[w]\n\t"
            "smlad   %[a3], %[v], %[xe], %[a3]\n\t"
            "sxtb16  %[v], %[w], ror #8\n\t"
            "smlad   %[a3], %[v], %[xo], %[a3]\n\t"
            "ldr     %[w], [%[w2]], #4\n\t"           /* row 2 */
            "sxtb16  %[v], %[w]\n\t"
            "smlad   %[a2], %[v], %[xe], %[a2]\n\t"
            "sxtb16  %[v], %[w], ror #8\n\t"
            "smlad   %[a2], %[v], %[xo], %[a2]\n\t"
            "cmp     %[x], %[end]\n\t"
            "bne     1b\n\t"
            : [x] "+r"(x), [w0] "+r"(w0), [w2] "+r"(w2), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2),
              [a3] "+r"(a3), [v] "=&r"(v), [w] "=&r"(w), [xe] "=&r"(xe), [xo] "=&r"(xo)
            : [K] "r"(K), [off2] "r"(off2), [end] "r"(end)
            : "cc", "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* One input row against all weight rows: four rows at a time, then pairs for the rest. */
static void vec_mat_s8(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out, int K, int N,
                       const nn_act_t *act, const nn_quant_t *q) {
    const int32_t off = act->input_offset;
    const int32_t off2 = nn_pack_offset(off);
    const int K4 = K & ~3;
    int n = 0;
    for (; n + 3 < N; n += 4) {
        const int8_t *w0 = w + n * K;
        int32_t acc[4];
        dot_4rows(in, w0, K, off2, acc);
        for (int k = K4; k < K; k++) {
            int32_t xv = in[k] + off;
            for (int r = 0; r < 4; r++) acc[r] += xv * w0[r * K + k];
        }
        for (int r = 0; r < 4; r++) out[n + r] = nn_finish(acc[r], bias, n + r, act, q);
    }
    for (; n < N; n += 2) {
        const int two = N - n >= 2;
        const int8_t *w0 = w + n * K;
        const int8_t *w1 = two ? w0 + K : w0; /* odd last row: computed twice, stored once */
        int32_t acc[2];
        dot_2rows(in, w0, w1, K, off2, acc);
        for (int k = K4; k < K; k++) {
            int32_t xv = in[k] + off;
            acc[0] += xv * w0[k];
            acc[1] += xv * w1[k];
        }
        out[n] = nn_finish(acc[0], bias, n, act, q);
        if (two) out[n + 1] = nn_finish(acc[1], bias, n + 1, act, q);
    }
}
#else
/* Plain C: one multiply-accumulate per weight. */
static void vec_mat_s8(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out, int K, int N,
                       const nn_act_t *act, const nn_quant_t *q) {
    const int32_t off = act->input_offset;
    for (int n = 0; n < N; n++) {
        const int8_t *row = w + n * K;
        int32_t acc = 0;
        for (int k = 0; k < K; k++) acc += (in[k] + off) * row[k];
        out[n] = nn_finish(acc, bias, n, act, q);
    }
}
#endif

void fully_connected_s8(const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output,
                        int batches, int in_features, int out_features, const nn_act_t *act,
                        const nn_quant_t *quant) {
    for (int b = 0; b < batches; b++) {
        vec_mat_s8(input + b * in_features, weights, bias, output + b * out_features, in_features, out_features,
                   act, quant);
    }
}
