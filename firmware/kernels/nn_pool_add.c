/* Pooling and element-wise ADD (TFLite AVERAGE_POOL_2D, MAX_POOL_2D, ADD; int8). */
#include "nn_internal.h"

/* Window bounds of output (oy, ox) clipped to the input. */
#define POOL_WINDOW                                                    \
    const int y0 = oy * g->stride_h - g->pad_top;                      \
    const int x0 = ox * g->stride_w - g->pad_left;                     \
    const int ky0 = y0 < 0 ? -y0 : 0;                                  \
    const int ky1 = g->in_h - y0 < g->k_h ? g->in_h - y0 : g->k_h;     \
    const int kx0 = x0 < 0 ? -x0 : 0;                                  \
    const int kx1 = g->in_w - x0 < g->k_w ? g->in_w - x0 : g->k_w;

void avg_pool2d_s8(const int8_t *input, int8_t *output, const nn_geom_t *g, int32_t act_min, int32_t act_max) {
    for (int oy = 0; oy < g->out_h; oy++) {
        for (int ox = 0; ox < g->out_w; ox++) {
            POOL_WINDOW
            for (int c = 0; c < g->in_c; c++) {
                int32_t sum = 0, count = 0;
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++, count++)
                        sum += input[((y0 + ky) * g->in_w + (x0 + kx)) * g->in_c + c];
                /* Rounded to nearest, half away from zero (TFLite reference). */
                int32_t avg = count == 0 ? 0 : (sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count);
                output[(oy * g->out_w + ox) * g->in_c + c] = (int8_t)nn_clamp(avg, act_min, act_max);
            }
        }
    }
}

#if defined(__ARM_FEATURE_DSP)
/* Per byte, the larger of a and b as int8: SSUB8 sets GE[i] where a_i >= b_i, SEL takes those
 * bytes from a and the others from b. */
static inline uint32_t max_s8x4(uint32_t a, uint32_t b) {
    uint32_t r;
    __asm__("ssub8   %0, %1, %2\n\t"
            "sel     %0, %1, %2"
            : "=&r"(r)
            : "r"(a), "r"(b)
            : "cc");
    return r;
}

/* The smaller: where a_i >= b_i, b_i. */
static inline uint32_t min_s8x4(uint32_t a, uint32_t b) {
    uint32_t r;
    __asm__("ssub8   %0, %1, %2\n\t"
            "sel     %0, %2, %1"
            : "=&r"(r)
            : "r"(a), "r"(b)
            : "cc");
    return r;
}

/* max_pool2d_s8 four channels at a time (in_c a multiple of 4, word-aligned tensors): one word
 * load per tap brings four channels, max_s8x4 keeps the larger bytes. A full 2x2 window (the
 * usual max pool) is four loads and three max_s8x4 per word. */
static void max_pool_words(const int8_t *input, int8_t *output, const nn_geom_t *g, int32_t act_min,
                           int32_t act_max) {
    const uint32_t lo = (uint8_t)act_min * 0x01010101u, hi = (uint8_t)act_max * 0x01010101u;
    const int clamp = act_min > -128 || act_max < 127, words = g->in_c / 4, row = g->in_w * words;
    const uint32_t *in = (const uint32_t *)(const void *)input;
    uint32_t *out = (uint32_t *)(void *)output;
    for (int oy = 0; oy < g->out_h; oy++) {
        for (int ox = 0; ox < g->out_w; ox++) {
            POOL_WINDOW
            const uint32_t *p = in + ((y0 + ky0) * g->in_w + x0 + kx0) * words; /* window's first tap */
            const int nky = ky1 - ky0, nkx = kx1 - kx0;
            for (int c = 0; c < words; c++, p++) {
                uint32_t m;
                if (nky == 2 && nkx == 2) {
                    m = max_s8x4(max_s8x4(p[0], p[words]), max_s8x4(p[row], p[row + words]));
                } else {
                    m = 0x80808080u; /* -128 in every byte */
                    for (int ky = 0; ky < nky; ky++)
                        for (int kx = 0; kx < nkx; kx++) m = max_s8x4(p[ky * row + kx * words], m);
                }
                if (clamp) m = min_s8x4(max_s8x4(m, lo), hi);
                *out++ = m;
            }
        }
    }
}
#endif

void max_pool2d_s8(const int8_t *input, int8_t *output, const nn_geom_t *g, int32_t act_min, int32_t act_max) {
#if defined(__ARM_FEATURE_DSP)
    if ((g->in_c & 3) == 0 && (((uintptr_t)input | (uintptr_t)output) & 3) == 0) {
        max_pool_words(input, output, g, act_min, act_max);
        return;
    }
#endif
    for (int oy = 0; oy < g->out_h; oy++) {
        for (int ox = 0; ox < g->out_w; ox++) {
            POOL_WINDOW
            for (int c = 0; c < g->in_c; c++) {
                int32_t m = -128;
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++) {
                        int32_t v = input[((y0 + ky) * g->in_w + (x0 + kx)) * g->in_c + c];
                        if (v > m) m = v;
                    }
                output[(oy * g->out_w + ox) * g->in_c + c] = (int8_t)nn_clamp(m, act_min, act_max);
            }
        }
    }
}

void add_s8(const int8_t *input1, const int8_t *input2, int8_t *output, int size, const nn_add_params_t *p) {
    for (int i = 0; i < size; i++) {
        /* Both inputs to a common scale with `left_shift` bits of headroom, then summed and
         * rescaled to the output (TFLite AddElementwise). */
        const int32_t a = (int32_t)((uint32_t)(input1[i] + p->input1_offset) << p->left_shift);
        const int32_t b = (int32_t)((uint32_t)(input2[i] + p->input2_offset) << p->left_shift);
        const int32_t sa = nn_requantize(a, p->input1_multiplier, p->input1_shift);
        const int32_t sb = nn_requantize(b, p->input2_multiplier, p->input2_shift);
        const int32_t out = nn_requantize(sa + sb, p->output_multiplier, p->output_shift) + p->output_offset;
        output[i] = (int8_t)nn_clamp(out, p->act_min, p->act_max);
    }
}
