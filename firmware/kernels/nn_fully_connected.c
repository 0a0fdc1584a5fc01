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

/* The inner loop for two weight rows (the one to three rows left after the groups of four),
 * kept in its own function so that the compiler has all registers for it: eight columns per
 * iteration, then a group of four if K & 4. The accumulators start from acc[] (the bias). */
static __attribute__((noinline)) void dot_2rows(const int8_t *x, const int8_t *w0, const int8_t *w1, int K,
                                                int32_t off2, int32_t acc[2]) {
    int32_t acc0 = acc[0], acc1 = acc[1];
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

/* One group of four columns for four weight rows (16 MACs): five loads, issued in pairs or
 * triples so that the M4 pipelines them (a load right after a load costs one cycle, unless both
 * post-increment the same base), ten extends, eight SMLAD. Rows 0 and 1 are read at [w0] and
 * [w0, K], rows 2 and 3 at [w2] and [w2, K]. The input word's register is reused as the
 * temporary once it is widened. WIDEN_X is how the input word becomes two lanes pairs: SXTB16
 * when the input offset is 0 (the code generator folds it into the bias), SXTAB16 adding it. */
#define FC4_GROUP(WIDEN_X)                                         \
    "ldr     %[xr], [%[x]], #4\n\t"     /* four inputs */          \
    "ldr     %[wa], [%[w0], %[K]]\n\t"  /* row 1 */                \
    "ldr     %[wb], [%[w0]], #4\n\t"    /* row 0 */                \
    WIDEN_X                             /* xe: in[k], in[k+2]; xo: in[k+1], in[k+3] */ \
    "sxtb16  %[xr], %[wa]\n\t"                                     \
    "smlad   %[a1], %[xr], %[xe], %[a1]\n\t"                       \
    "sxtb16  %[wa], %[wa], ror #8\n\t"                             \
    "smlad   %[a1], %[wa], %[xo], %[a1]\n\t"                       \
    "sxtb16  %[xr], %[wb]\n\t"                                     \
    "smlad   %[a0], %[xr], %[xe], %[a0]\n\t"                       \
    "sxtb16  %[wb], %[wb], ror #8\n\t"                             \
    "smlad   %[a0], %[wb], %[xo], %[a0]\n\t"                       \
    "ldr     %[wa], [%[w2], %[K]]\n\t"  /* row 3 */                \
    "ldr     %[wb], [%[w2]], #4\n\t"    /* row 2 */                \
    "sxtb16  %[xr], %[wa]\n\t"                                     \
    "smlad   %[a3], %[xr], %[xe], %[a3]\n\t"                       \
    "sxtb16  %[wa], %[wa], ror #8\n\t"                             \
    "smlad   %[a3], %[wa], %[xo], %[a3]\n\t"                       \
    "sxtb16  %[xr], %[wb]\n\t"                                     \
    "smlad   %[a2], %[xr], %[xe], %[a2]\n\t"                       \
    "sxtb16  %[wb], %[wb], ror #8\n\t"                             \
    "smlad   %[a2], %[wb], %[xo], %[a2]\n\t"
#define WIDEN_RAW "sxtb16  %[xe], %[xr]\n\tsxtb16  %[xo], %[xr], ror #8\n\t"
#define WIDEN_OFF "sxtab16 %[xe], %[off2], %[xr]\n\tsxtab16 %[xo], %[off2], %[xr], ror #8\n\t"
#define FC4_OUTPUTS                                                                                     \
    : [x] "+r"(x), [w0] "+r"(w0), [w2] "+r"(w2), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), \
      [xr] "=&r"(xr), [xe] "=&r"(xe), [xo] "=&r"(xo), [wa] "=&r"(wa), [wb] "=&r"(wb)

/* Four weight rows against one input row, the columns up to the last multiple of four: four
 * groups per iteration (one compare and branch per 64 MACs), then two and one more groups as
 * K & 8 and K & 4 ask. In assembly because the loop needs 14 registers (pointers x, w0 and
 * w2 = w0 + 2K, the row stride K, the loop end, four accumulators, five temporaries) and GCC
 * 12 spills from the C. With a non-zero input offset the packed offset needs a fifteenth, so
 * that variant reads the loop end from the stack (two more cycles per 64 MACs). The
 * accumulators start from acc[] (the bias). */
static __attribute__((noinline)) void dot_4rows(const int8_t *x, const int8_t *w0, int K, int32_t off2,
                                                int32_t acc[4]) {
    const int8_t *w2 = w0 + 2 * K;
    const int8_t *end = x + (K & ~15);
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t xr, xe, xo, wa, wb;
    if (off2 == 0) {
        if (x != end)
            __asm__ volatile("1:\n\t" FC4_GROUP(WIDEN_RAW) FC4_GROUP(WIDEN_RAW) FC4_GROUP(WIDEN_RAW)
                             FC4_GROUP(WIDEN_RAW) "cmp     %[x], %[end]\n\t"
                             "bne     1b\n\t" FC4_OUTPUTS : [K] "r"(K), [end] "r"(end) : "cc", "memory");
        if (K & 8) __asm__ volatile(FC4_GROUP(WIDEN_RAW) FC4_GROUP(WIDEN_RAW) FC4_OUTPUTS : [K] "r"(K) : "memory");
        if (K & 4) __asm__ volatile(FC4_GROUP(WIDEN_RAW) FC4_OUTPUTS : [K] "r"(K) : "memory");
    } else {
        if (x != end)
            __asm__ volatile("1:\n\t" FC4_GROUP(WIDEN_OFF) FC4_GROUP(WIDEN_OFF) FC4_GROUP(WIDEN_OFF)
                             FC4_GROUP(WIDEN_OFF) "ldr     %[xr], %[end]\n\t"
                             "cmp     %[x], %[xr]\n\t"
                             "bne     1b\n\t" FC4_OUTPUTS : [K] "r"(K), [off2] "r"(off2), [end] "m"(end)
                             : "cc", "memory");
        if (K & 8)
            __asm__ volatile(FC4_GROUP(WIDEN_OFF) FC4_GROUP(WIDEN_OFF) FC4_OUTPUTS : [K] "r"(K), [off2] "r"(off2)
                             : "memory");
        if (K & 4) __asm__ volatile(FC4_GROUP(WIDEN_OFF) FC4_OUTPUTS : [K] "r"(K), [off2] "r"(off2) : "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#undef FC4_GROUP
#undef WIDEN_RAW
#undef WIDEN_OFF
#undef FC4_OUTPUTS

/* The columns past the last multiple of four, for `rows` consecutive rows. */
static void fc_tail(const int8_t *in, const int8_t *w, int K, int rows, int32_t off, int32_t acc[2]) {
    for (int r = 0; r < rows; r++)
        for (int k = K & ~3; k < K; k++) acc[r] += (in[k] + off) * w[r * K + k];
}

/* Requantization, offset and clamp of outputs n .. n+count-1 (bias already in acc). Out of
 * line so that it has the registers to itself (inlined into the row loop, GCC spills its
 * parameters per output); the parameters are copied to locals first, since the int8 stores
 * could alias them. */
static __attribute__((noinline)) void fc_store(const int32_t *acc, int count, int n, const nn_out_t *p,
                                               int8_t *out) {
    const int qstep = p->qstep;
    const int32_t *mult = p->mult + n * qstep, *shift = p->shift + n * qstep;
    const int32_t oo = p->out_off, lo = p->lo, hi = p->hi;
    out += n;
    const int32_t m = *mult, left = *shift > 0 ? *shift : 0, r1 = left - *shift + 1;
    if (!qstep && r1 <= 30) {
        /* Per tensor: nn_requant_out's fast path with the shifts worked out once. */
        for (int r = 0; r < count; r++) {
            const int32_t x = (int32_t)((uint32_t)acc[r] << left);
            int32_t v;
            if (__builtin_expect((uint32_t)x + (1u << 29) < (1u << 30), 1)) {
                int32_t h;
                __asm__("smmulr %0, %1, %2" : "=r"(h) : "r"(x * 2), "r"(m));
                v = (h * 2 + (1 << (r1 - 1)) + (h >> 31)) >> r1;
            } else {
                v = nn_requant_slow(acc[r], m, *shift);
            }
            v += oo;
            out[r] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
        }
        return;
    }
    for (int r = 0; r < count; r++) {
        out[r] = (int8_t)nn_requant_out(acc[r], *mult, *shift, oo, lo, hi);
        mult += qstep;
        shift += qstep;
    }
}

/* One input row against all weight rows: four rows at a time, then pairs for the rest. */
static void vec_mat_s8(const int8_t *in, const int8_t *w, const int32_t *bias, int8_t *out, int K, int N,
                       const nn_act_t *act, const nn_quant_t *q) {
    const int32_t off = act->input_offset, off2 = nn_pack_offset(off);
    const nn_out_t p = {q->multiplier, q->shift, q->per_channel ? 1 : 0, act->output_offset, act->act_min,
                        act->act_max, act->act_min == -128 && act->act_max == 127};
    int n = 0;
    for (; n + 3 < N; n += 4) {
        const int8_t *w0 = w + n * K;
        int32_t acc[4] = {0, 0, 0, 0};
        if (bias) memcpy(acc, bias + n, sizeof acc);
        dot_4rows(in, w0, K, off2, acc);
        if (K & 3) {
            fc_tail(in, w0, K, 2, off, acc);
            fc_tail(in, w0 + 2 * K, K, 2, off, acc + 2);
        }
        fc_store(acc, 4, n, &p, out);
    }
    for (; n < N; n += 2) {
        const int two = N - n >= 2;
        const int8_t *w0 = w + n * K;
        const int8_t *w1 = two ? w0 + K : w0; /* odd last row: computed twice, stored once */
        int32_t acc[2] = {bias ? bias[n] : 0, bias && two ? bias[n + 1] : 0};
        dot_2rows(in, w0, w1, K, off2, acc);
        if (K & 3) fc_tail(in, w0, K, two ? 2 : 1, off, acc);
        fc_store(acc, two ? 2 : 1, n, &p, out);
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
