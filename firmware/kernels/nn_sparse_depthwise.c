/* Sparse depthwise convolution, depth multiplier 1 (nn_sparse.h, NN_SPARSE_DW_TAPS): each
 * channel's filter is the list of its kept taps, so a channel costs its few taps and one
 * requantization, and a channel without taps costs one copied byte per pixel.
 *
 * Per call, the layer is laid out in scratch as one stream the pixel loop walks front to back
 * (one pointer for the channel records, their taps and their requantization):
 *     per channel with taps: [channel | n << 16] [bias] n halfwords (tap | weight << 8),
 *     padded to a word, then four words of requantization parameters (below);
 * and per pixel the k_h * k_w tap pointers are computed once: the input pixel under each tap,
 * or a row of zero points for a tap in the padding. A padding tap then adds zero_point * w,
 * which the folded bias cancels exactly as it does for in-bounds taps:
 * sum w (x + offset) = sum w x + offset sum w. */
#include "nn_internal.h"
#include "nn_sparse.h"

/* Words of a channel's stream record besides its taps: header, bias, four parameters. */
enum { DW_RECORD_WORDS = 6 };

static inline int words_of(int bytes) { return (bytes + 3) / 4; }

/* Scratch: tap pointers, the zero-point row, the outputs of the channels without taps
 * (requantized bias, the same at every pixel), and the stream. */
int nn_sparse_depthwise_scratch_words(const nn_sparse_t *w) {
    int words = w->cols + 2 * words_of(w->rows);
    for (int c = 0; c < w->rows; c++) {
        if (w->row_count[c]) words += DW_RECORD_WORDS + words_of(2 * w->row_count[c]);
    }
    return words;
}

/* Builds the stream; returns its end. The four parameter words are, when *fast (DSP cores,
 * every channel proven in range): mult, left + 1, round = 2^r + (output_offset << (r + 1)),
 * r + 1, for nn_requant_out's fast path folded as
 *     v = (2h + round - (h < 0)) >> (r + 1),  h = SMMULR(acc << (left + 1), mult)
 * (adding output_offset x 2^(r+1) before the shift adds output_offset after it). Otherwise
 * mult, shift, 0, 0 for nn_requant_out. A channel is in range when |acc| <= |bias| + 128 sum
 * |w| (raw int8 inputs) keeps acc << left under 2^29 (nn_requant_out's fast-path test) and
 * the folded sum cannot overflow. */
static int32_t *dw_prepare(const nn_sparse_t *w, const nn_act_t *act, const nn_quant_t *q, int32_t *stream,
                           int8_t *empty_out, int *fast, int *any_empty) {
    const int8_t *v = w->values;
    const uint8_t *tap = (const uint8_t *)w->index;
    const int32_t oo = act->output_offset;
    int32_t *s = stream;
#if defined(__ARM_FEATURE_DSP)
    *fast = 1;
#else
    *fast = 0;
#endif
    *any_empty = 0;
    for (int c = 0; c < w->rows; c++) {
        const int qi = q->per_channel ? c : 0;
        const int32_t bias = w->bias[c], m = q->multiplier[qi], shift = q->shift[qi];
        const int n = w->row_count[c];
        empty_out[c] = (int8_t)nn_requant_out(bias, m, shift, oo, act->act_min, act->act_max);
        if (n == 0) {
            *any_empty = 1;
            continue;
        }
        *s++ = c | n << 16;
        *s++ = bias;
        int64_t bound = bias < 0 ? -(int64_t)bias : bias;
        uint16_t *e = (uint16_t *)(void *)s;
        for (int k = 0; k < n; k++, v++, tap++) {
            e[k] = (uint16_t)(*tap | (uint8_t)*v << 8);
            bound += 128 * (*v < 0 ? -*v : *v);
        }
        s += words_of(2 * n);
        const int32_t left = shift > 0 ? shift : 0, r = left - shift;
        int64_t h = left < 31 ? (bound << left) + 1 : INT64_MAX;
        int64_t folded = 2 * h + ((int64_t)1 << (r < 40 ? r : 40)) + (int64_t)(oo < 0 ? -oo : oo) * ((int64_t)2 << (r < 40 ? r : 40));
        if (r >= 30 || left >= 30 || (bound << (left < 30 ? left : 30)) >= (1LL << 29) || folded >= (1LL << 31)) *fast = 0;
        s[0] = m;
        s[1] = *fast ? left + 1 : shift;
        s[2] = *fast ? (int32_t)((1u << r) + ((uint32_t)oo << (r + 1))) : 0;
        s[3] = r + 1;
        s += 4;
    }
    return s;
}

/* The tap pointers of output pixel (oy, ox). */
static inline void dw_tap_pointers(const int8_t *input, const nn_geom_t *g, int oy, int ox, const int8_t *zero_row,
                                   const int8_t **taps) {
    const int C = g->in_c;
    const int y0 = oy * g->stride_h - g->pad_top, x0 = ox * g->stride_w - g->pad_left;
    for (int ky = 0; ky < g->k_h; ky++) {
        const int y = y0 + ky;
        const int row_in = y >= 0 && y < g->in_h;
        const int8_t *row = input + y * g->in_w * C;
        for (int kx = 0; kx < g->k_w; kx++) {
            const int x = x0 + kx;
            *taps++ = row_in && x >= 0 && x < g->in_w ? row + x * C : zero_row;
        }
    }
}

/* The outputs of the channels without taps, as words when the pixel is word-aligned. */
static inline void dw_copy_empty(int8_t *out, const int8_t *empty_out, int C) {
    if ((((uintptr_t)out | (uintptr_t)C) & 3) == 0) {
        const int32_t *s = (const int32_t *)(const void *)empty_out;
        int32_t *d = (int32_t *)(void *)out;
        for (int i = C / 4; i > 0; i--) *d++ = *s++;
    } else {
        for (int i = 0; i < C; i++) out[i] = empty_out[i];
    }
}

/* One pixel's channels with taps, any core: nn_requant_out with the stored mult and shift. */
static void dw_channels(const int32_t *s, const int32_t *end, const int8_t *const *taps, int8_t *out, const nn_act_t *act) {
    while (s < end) {
        const int c = s[0] & 0xFFFF, n = (int)((uint32_t)s[0] >> 16);
        int32_t acc = s[1];
        const uint16_t *e = (const uint16_t *)(const void *)(s + 2);
        for (int k = 0; k < n; k++) acc += (int8_t)(e[k] >> 8) * taps[e[k] & 0xFF][c];
        s += 2 + words_of(2 * n);
        out[c] = (int8_t)nn_requant_out(acc, s[0], s[1], act->output_offset, act->act_min, act->act_max);
        s += 4;
    }
}

#if defined(__ARM_FEATURE_DSP)
/* The same with the folded fast-path requantization, in assembly (GCC 12 spills the loop; the
 * five temporaries are reused: n holds mult, e left + 1 and then round, wv r + 1). Per tap
 * LDRH, SXTB, UXTB, the tap pointer, the input byte, MLA; per channel LDRD of header and
 * bias, two LDRD of parameters, five instructions of requantization, the clamp (SSAT, then
 * [lo, hi]) and a byte store. */
static __attribute__((noinline)) void dw_channels_fast(const int32_t *s, const int32_t *end, const int8_t *const *taps,
                                                       int8_t *out, int32_t lo, int32_t hi) {
    int32_t c, n, acc, e, wv;
    __asm__ volatile(
        "1:\n\t"
        "ldrd    %[n], %[acc], [%[s]], #8\n\t"   /* header, bias */
        "uxth    %[c], %[n]\n\t"
        "lsrs    %[n], %[n], #16\n\t"
        "2:\n\t"
        "ldrh    %[e], [%[s]], #2\n\t"
        "sxtb    %[wv], %[e], ror #8\n\t"
        "uxtb    %[e], %[e]\n\t"
        "ldr     %[e], [%[taps], %[e], lsl #2]\n\t"
        "ldrsb   %[e], [%[e], %[c]]\n\t"
        "subs    %[n], %[n], #1\n\t"
        "mla     %[acc], %[wv], %[e], %[acc]\n\t"
        "bne     2b\n\t"
        "adds    %[s], %[s], #3\n\t"               /* to the next word */
        "bic     %[s], %[s], #3\n\t"
        "ldrd    %[n], %[e], [%[s]], #8\n\t"     /* mult, left + 1 */
        "lsl     %[acc], %[acc], %[e]\n\t"
        "ldrd    %[e], %[wv], [%[s]], #8\n\t"    /* round, r + 1 */
        "smmulr  %[acc], %[acc], %[n]\n\t"
        "add     %[e], %[e], %[acc], lsl #1\n\t"
        "add     %[e], %[e], %[acc], asr #31\n\t"
        "asr     %[e], %[e], %[wv]\n\t"
        "ssat    %[e], #8, %[e]\n\t"
        "cmp     %[e], %[lo]\n\t"
        "it      lt\n\t"
        "movlt   %[e], %[lo]\n\t"
        "cmp     %[e], %[hi]\n\t"
        "it      gt\n\t"
        "movgt   %[e], %[hi]\n\t"
        "strb    %[e], [%[out], %[c]]\n\t"
        "cmp     %[s], %[end]\n\t"
        "blo     1b\n\t"
        : [s] "+&r"(s), [c] "=&r"(c), [n] "=&r"(n), [acc] "=&r"(acc), [e] "=&r"(e), [wv] "=&r"(wv)
        : [end] "r"(end), [taps] "r"(taps), [out] "r"(out), [lo] "r"(lo), [hi] "r"(hi)
        : "cc", "memory");
}
#endif

void depthwise_conv2d_sparse_s8(const int8_t *input, const nn_sparse_t *w, int8_t *output, const nn_geom_t *g,
                                const nn_act_t *act, const nn_quant_t *quant, int32_t *scratch) {
    const int C = w->rows;
    const int8_t **taps = (const int8_t **)(void *)scratch;
    int8_t *zero_row = (int8_t *)(scratch + w->cols);
    int8_t *empty_out = (int8_t *)(scratch + w->cols + words_of(C));
    int32_t *stream = scratch + w->cols + 2 * words_of(C);
    for (int c = 0; c < C; c++) zero_row[c] = (int8_t)(-act->input_offset);
    int fast, any_empty;
    const int32_t *end = dw_prepare(w, act, quant, stream, empty_out, &fast, &any_empty);
    for (int oy = 0; oy < g->out_h; oy++) {
        for (int ox = 0; ox < g->out_w; ox++) {
            int8_t *out = output + (oy * g->out_w + ox) * C;
            if (any_empty) dw_copy_empty(out, empty_out, C);
            if (end == stream) continue;
            dw_tap_pointers(input, g, oy, ox, zero_row, taps);
#if defined(__ARM_FEATURE_DSP)
            if (fast) {
                dw_channels_fast(stream, end, taps, out, act->act_min, act->act_max);
                continue;
            }
#endif
            dw_channels(stream, end, taps, out, act);
        }
    }
}
