/* The sparse convolution's im2col: one pixel's column, and the columns of four pixels of one
 * output row interleaved a byte per pixel (xs[c] holds column c of pixels 0..3). Included only by
 * nn_sparse_conv.c: static functions in one translation unit, so that the compiler inlines them
 * into conv2d_sparse_s8 as before the split. */
#ifndef NN_SPARSE_GATHER_H
#define NN_SPARSE_GATHER_H

#include <string.h>

#include "nn_sparse_internal.h"

/* One pixel's im2col column in OHWI order; taps outside the input read the zero point. The
 * taps of one kernel row are contiguous in NHWC, so each row is one copy of its in-bounds span
 * and fills for the padded ends. */
static void gather_column(const int8_t *input, const nn_geom_t *g, int oy, int ox, int8_t zero_point, int8_t *dst) {
    int y0 = oy * g->stride_h - g->pad_top, x0 = ox * g->stride_w - g->pad_left;
    int lo = x0 < 0 ? -x0 : 0, hi = x0 + g->k_w > g->in_w ? g->in_w - x0 : g->k_w; /* in-bounds taps [lo, hi) */
    if (hi < lo) hi = lo;
    int row = g->k_w * g->in_c;
    for (int ky = 0; ky < g->k_h; ky++, dst += row) {
        int y = y0 + ky;
        if (y < 0 || y >= g->in_h) {
            memset(dst, zero_point, (size_t)row);
            continue;
        }
        if (lo > 0) memset(dst, zero_point, (size_t)(lo * g->in_c));
        memcpy(dst + lo * g->in_c, input + (y * g->in_w + x0 + lo) * g->in_c, (size_t)((hi - lo) * g->in_c));
        if (hi < g->k_w) memset(dst + hi * g->in_c, zero_point, (size_t)((g->k_w - hi) * g->in_c));
    }
}

/* xs[k] = byte k of a, b, c and d (a in byte 0): bytes (a0 b0 a2 b2) and (a1 b1 a3 b3), the
 * same of c and d, then halfwords. */
static inline void transpose4(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t *xs) {
#if defined(__ARM_FEATURE_DSP)
    uint32_t t, u;
    __asm__("uxtb16  %[t], %[a]\n\t"
            "uxtb16  %[u], %[b]\n\t"
            "orr     %[t], %[t], %[u], lsl #8\n\t"   /* a0 b0 a2 b2 */
            "uxtb16  %[a], %[a], ror #8\n\t"
            "and     %[b], %[b], #0xFF00FF00\n\t"
            "orr     %[a], %[a], %[b]\n\t"           /* a1 b1 a3 b3 */
            "uxtb16  %[u], %[c]\n\t"
            "uxtb16  %[b], %[d]\n\t"
            "orr     %[u], %[u], %[b], lsl #8\n\t"   /* c0 d0 c2 d2 */
            "uxtb16  %[c], %[c], ror #8\n\t"
            "and     %[d], %[d], #0xFF00FF00\n\t"
            "orr     %[c], %[c], %[d]\n\t"           /* c1 d1 c3 d3 */
            "pkhbt   %[b], %[t], %[u], lsl #16\n\t"  /* a0 b0 c0 d0 */
            "pkhtb   %[d], %[u], %[t], asr #16\n\t"  /* a2 b2 c2 d2 */
            "pkhbt   %[t], %[a], %[c], lsl #16\n\t"  /* a1 b1 c1 d1 */
            "pkhtb   %[c], %[c], %[a], asr #16\n\t"  /* a3 b3 c3 d3 */
            : [a] "+&r"(a), [b] "+&r"(b), [c] "+&r"(c), [d] "+&r"(d), [t] "=&r"(t), [u] "=&r"(u));
    xs[0] = b;
    xs[1] = t;
    xs[2] = d;
    xs[3] = c;
#else
    uint32_t ab02 = (a & 0x00FF00FFu) | (b & 0x00FF00FFu) << 8, ab13 = (a >> 8 & 0x00FF00FFu) | (b & 0xFF00FF00u);
    uint32_t cd02 = (c & 0x00FF00FFu) | (d & 0x00FF00FFu) << 8, cd13 = (c >> 8 & 0x00FF00FFu) | (d & 0xFF00FF00u);
    xs[0] = (ab02 & 0xFFFFu) | cd02 << 16;
    xs[1] = (ab13 & 0xFFFFu) | cd13 << 16;
    xs[2] = ab02 >> 16 | (cd02 & 0xFFFF0000u);
    xs[3] = ab13 >> 16 | (cd13 & 0xFFFF0000u);
#endif
}

/* A word load from a word-aligned address (one LDR also where unaligned loads trap or are not
 * inlined, M0+). */
static inline uint32_t load_aligned32(const int8_t *p) {
    uint32_t v;
    memcpy(&v, __builtin_assume_aligned(p, 4), 4);
    return v;
}

/* xs[j] = byte j of the four spans src + i * step (pixel i in byte i), for j < len. Whole words
 * are transposed four at a time when the spans are word-aligned; with step 1 (one input
 * channel, stride 1) each xs word is the four bytes at src + j (one unaligned load where the
 * core has them). */
static void interleave4(const int8_t *src, int step, int len, uint32_t *xs) {
    int j = 0;
    if ((((uintptr_t)src | (uint32_t)step) & 3) == 0) {
        for (; j + 4 <= len; j += 4, xs += 4) {
            const int8_t *s0 = src + j;
            transpose4(load_aligned32(s0), load_aligned32(s0 + step), load_aligned32(s0 + 2 * step),
                       load_aligned32(s0 + 3 * step), xs);
        }
    }
#if defined(__ARM_FEATURE_UNALIGNED)
    else if (step == 1) {
        for (; j < len; j++) memcpy(xs++, src + j, 4);
    }
#endif
    for (; j < len; j++) {
        const int8_t *q = src + j;
        *xs++ = (uint32_t)(uint8_t)q[0] | (uint32_t)(uint8_t)q[step] << 8 | (uint32_t)(uint8_t)q[2 * step] << 16 |
                (uint32_t)(uint8_t)q[3 * step] << 24;
    }
}

/* n bytes of the zero point (whole words when aligned). */
static void fill_zp(int8_t *dst, int n, int8_t zp) {
    if ((((uintptr_t)dst | (uint32_t)n) & 3) == 0) {
        uint32_t z4 = (uint8_t)zp * 0x01010101u;
        for (uint32_t *d = (uint32_t *)(void *)dst, *e = d + n / 4; d < e; d++) *d = z4;
        return;
    }
    for (int i = 0; i < n; i++) dst[i] = zp;
}

static void copy_bytes(int8_t *dst, const int8_t *src, int n) {
    if ((((uintptr_t)dst | (uintptr_t)src | (uint32_t)n) & 3) == 0) {
        int8_t *d = __builtin_assume_aligned(dst, 4);
        const int8_t *s = __builtin_assume_aligned(src, 4);
        for (int i = 0; i < n; i += 4) memcpy(d + i, s + i, 4);
        return;
    }
    for (int i = 0; i < n; i++) dst[i] = src[i];
}

/* gather4_row for one input channel and stride 1 (a first layer on a grey image): the four
 * pixels' taps at (ky, kx) are four consecutive input bytes, one word load when they lie inside
 * the input row; bytes outside it read the zero point. */
static void gather4_row_c1(const int8_t *input, const nn_geom_t *g, int oy, int ox, int8_t zp, uint32_t *xs) {
    const int x0 = ox - g->pad_left, w = g->in_w;
    const uint32_t z4 = (uint8_t)zp * 0x01010101u;
    for (int ky = 0; ky < g->k_h; ky++, xs += g->k_w) {
        const int y = oy * g->stride_h - g->pad_top + ky;
        const int8_t *row = input + y * w;
        for (int kx = 0; kx < g->k_w; kx++) {
            const int x = x0 + kx; /* pixel 0's tap; pixel i's is x + i */
            uint32_t v = z4;
            if (y < 0 || y >= g->in_h) {
                /* above or below the input */
            }
#if defined(__ARM_FEATURE_UNALIGNED)
            else if (x >= 0 && x + 3 < w) {
                memcpy(&v, row + x, 4);
            }
#endif
            else {
                for (int i = 0; i < 4; i++) {
                    if (x + i >= 0 && x + i < w) v = (v & ~(0xFFu << 8 * i)) | (uint32_t)(uint8_t)row[x + i] << 8 * i;
                }
            }
            xs[kx] = v;
        }
    }
}

/* Four input bytes from x of row `row` (inside the input vertically) with the zero point
 * where they leave it, byte j from x + j: the edges of gather4_c1. Where the core has unaligned
 * loads and the row holds a word, the row's first or last word shifted by the bytes outside,
 * the zero point shifted in (a byte loop took 72 cycles a word on the M4); else bytes. */
static uint32_t edge_word(const int8_t *row, int x, int w, uint32_t z4) {
#if defined(__ARM_FEATURE_UNALIGNED)
    if (w >= 4 && x > -4 && x < w) {
        uint32_t v;
        if (x < 0) { /* bytes 0 .. -x - 1 left of the row */
            const unsigned s = 8u * (unsigned)-x;
            memcpy(&v, row, 4);
            return v << s | (z4 & ((1u << s) - 1u));
        }
        const unsigned s = 8u * (unsigned)(x - (w - 4)); /* bytes 4 - s/8 .. 3 right of it */
        memcpy(&v, row + w - 4, 4);
        return v >> s | (z4 & ~(0xFFFFFFFFu >> s));
    }
#endif
    uint32_t v = z4;
    for (int j = 0; j < 4; j++)
        if (x + j >= 0 && x + j < w) v = (v & ~(0xFFu << 8 * j)) | (uint32_t)(uint8_t)row[x + j] << 8 * j;
    return v;
}

/* Four taps of a one-channel input from (y, x) along the row: one word when inside the input
 * row (an unaligned load where the core has them, else four bytes), the zero point above or
 * below the input, edge_word across its left or right edge. */
static inline __attribute__((always_inline)) uint32_t c1_tap4(const int8_t *input, int y, int x, int w, int h,
                                                              uint32_t z4) {
    if ((unsigned)y >= (unsigned)h) return z4;
    const int8_t *row = input + y * w;
    if (x < 0 || x > w - 4) return edge_word(row, x, w, z4);
#if defined(__ARM_FEATURE_UNALIGNED)
    uint32_t v;
    memcpy(&v, row + x, 4);
    return v;
#else
    const uint8_t *b = (const uint8_t *)row + x;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
#endif
}

/* The interleaved im2col columns of any four pixels p .. p + 3 (row-major: they may lie on two
 * output rows, and any stride) of a one-channel input: per kernel row, four taps of each
 * pixel are one word (c1_tap4), and transpose4 turns the four pixels' words into four
 * interleaved column words; a last k_w % 4 taps are assembled a byte per pixel. For the
 * DS-CNN's first layer (10x4 kernel, stride 2, 5 output columns) this replaces, on the three
 * passes in five that cross an output row, four im2col columns copied a byte at a time into
 * the interleaved words, and on the others the span copy and byte interleave. */
static void gather4_c1(const int8_t *input, const nn_geom_t *g, int p, int8_t zp, uint32_t *xs) {
    const int w = g->in_w, h = g->in_h;
    const uint32_t z4 = (uint8_t)zp * 0x01010101u;
    int y0[4], x0[4];
    for (int i = 0; i < 4; i++) {
        const int oy = (p + i) / g->out_w, ox = (p + i) % g->out_w;
        y0[i] = oy * g->stride_h - g->pad_top;
        x0[i] = ox * g->stride_w - g->pad_left;
    }
    for (int ky = 0; ky < g->k_h; ky++) {
        int kx = 0;
        for (; kx + 4 <= g->k_w; kx += 4, xs += 4) {
            transpose4(c1_tap4(input, y0[0] + ky, x0[0] + kx, w, h, z4), c1_tap4(input, y0[1] + ky, x0[1] + kx, w, h, z4),
                       c1_tap4(input, y0[2] + ky, x0[2] + kx, w, h, z4), c1_tap4(input, y0[3] + ky, x0[3] + kx, w, h, z4),
                       xs);
        }
        for (; kx < g->k_w; kx++, xs++) {
            uint32_t v = z4;
            for (int i = 0; i < 4; i++) {
                const int y = y0[i] + ky, x = x0[i] + kx;
                if (y >= 0 && y < h && x >= 0 && x < w) v = (v & ~(0xFFu << 8 * i)) | (uint32_t)(uint8_t)input[y * w + x] << 8 * i;
            }
            *xs = v;
        }
    }
}

/* The interleaved im2col columns of four pixels of one output row, (oy, ox) .. (oy, ox + 3),
 * without a per-pixel column: their taps in kernel row ky lie in one input span of
 * k_w + 3 stride_w pixels, pixel i's starting i * stride_w pixels in. The span is read in place
 * when it lies inside the input, else copied to `span` with the zero point outside; kernel
 * rows above or below the input are the zero point. */
static void gather4_row(const int8_t *input, const nn_geom_t *g, int oy, int ox, int8_t zp, int8_t *span,
                        uint32_t *xs) {
    if (g->in_c == 1 && g->stride_w == 1) {
        gather4_row_c1(input, g, oy, ox, zp, xs);
        return;
    }
    const int c = g->in_c, row = g->k_w * c, step = g->stride_w * c;
    const int xlen = g->k_w + 3 * g->stride_w, x0 = ox * g->stride_w - g->pad_left;
    int lo = x0 < 0 ? -x0 : 0, hi = x0 + xlen > g->in_w ? g->in_w - x0 : xlen; /* in-bounds pixels [lo, hi) */
    if (hi < lo) hi = lo;
    const uint32_t z4 = (uint8_t)zp * 0x01010101u;
    for (int ky = 0; ky < g->k_h; ky++, xs += row) {
        const int y = oy * g->stride_h - g->pad_top + ky;
        if (y < 0 || y >= g->in_h) {
            for (int j = 0; j < row; j++) xs[j] = z4;
            continue;
        }
        const int8_t *src = input + (y * g->in_w + x0) * c; /* the span in place (may start before the row) */
        if (lo > 0 || hi < xlen) {
            fill_zp(span, lo * c, zp);
            copy_bytes(span + lo * c, src + lo * c, (hi - lo) * c);
            fill_zp(span + hi * c, (xlen - hi) * c, zp);
            src = span;
        }
        interleave4(src, step, row, xs);
    }
}

#endif
