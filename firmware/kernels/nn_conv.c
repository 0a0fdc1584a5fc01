/* 2-D convolution and depthwise convolution (TFLite CONV_2D / DEPTHWISE_CONV_2D, int8, NHWC). */
#include "nn_internal.h"

#if defined(__ARM_FEATURE_DSP)
/* Scratch layout for two output pixels (p = 0, 1) of a receptive field of K = k_h*k_w*in_c
 * values, widened to int16 with the input offset added (0 in the padding, which equals the
 * input zero point):
 *  - full groups of four (k, k+1, k+2, k+3), g = k/4 < K/4: 8 int16 at scratch[8g], pixel p at
 *    [8g + 4p], stored as k, k+2, k+1, k+3 so that the first word holds the lanes SXTB16
 *    extracts from a weight word (bytes 0 and 2) and the second those of SXTB16 ROR 8 (1, 3);
 *  - the K%4 tail values in natural order at scratch[2*K4 + p*(K-K4)].
 * One pointer then walks both pixels' columns 16 bytes at a time. */
static void im2col_s16(const int8_t *input, const nn_geom_t *g, int pixel, int p, int32_t off, int16_t *scratch,
                       int K, int K4) {
    static const uint8_t perm[4] = {0, 2, 1, 3};
    const int oy = pixel / g->out_w, ox = pixel % g->out_w;
    const int y0 = oy * g->stride_h - g->pad_top;
    const int x0 = ox * g->stride_w - g->pad_left;
    const int fast = (g->in_c & 3) == 0; /* every tap starts a group: widen four at a time */
    const int32_t off2 = nn_pack_offset(off);
    int16_t *tail = scratch + 2 * K4 + p * (K - K4);
    const int row = g->k_w * g->in_c;          /* one kernel row of taps: contiguous in the input */
    const int whole_rows = (row & 3) == 0 && x0 >= 0 && x0 + g->k_w <= g->in_w;
    int j = 0;
    for (int ky = 0; ky < g->k_h; ky++) {
        const int y = y0 + ky;
        if (whole_rows) { /* the row is inside horizontally: widen it four bytes at a time */
            const int inside = y >= 0 && y < g->in_h;
            const int8_t *src = input + (y * g->in_w + x0) * g->in_c;
            for (int k = 0; k < row; k += 4, j += 4) {
                int16_t *dst = scratch + 2 * j + 4 * p;
                int32_t v = inside ? nn_read32(src + k) : 0;
                nn_write32(dst, inside ? __sxtab16(off2, v) : 0);
                nn_write32(dst + 2, inside ? nn_sxtab16_ror8(off2, v) : 0);
            }
            continue;
        }
        for (int kx = 0; kx < g->k_w; kx++) {
            const int x = x0 + kx;
            const int inside = y >= 0 && y < g->in_h && x >= 0 && x < g->in_w;
            const int8_t *src = input + (y * g->in_w + x) * g->in_c;
            if (fast) {
                for (int ic = 0; ic < g->in_c; ic += 4, j += 4) {
                    int16_t *dst = scratch + 2 * j + 4 * p;
                    int32_t v = inside ? nn_read32(src + ic) : 0;
                    nn_write32(dst, inside ? __sxtab16(off2, v) : 0);
                    nn_write32(dst + 2, inside ? nn_sxtab16_ror8(off2, v) : 0);
                }
                continue;
            }
            for (int ic = 0; ic < g->in_c; ic++, j++) {
                const int16_t v = (int16_t)(inside ? src[ic] + off : 0);
                if (j < K4) scratch[2 * (j & ~3) + 4 * p + perm[j & 3]] = v;
                else tail[j - K4] = v;
            }
        }
    }
}

/* Dot product of pixel p's column with one weight row (odd last channel or pixel). */
static int32_t dot_col(const int16_t *scratch, int p, const int8_t *w, int K, int K4) {
    const int16_t *col = scratch + 4 * p;
    const int16_t *tail = scratch + 2 * K4 + p * (K - K4);
    int32_t acc = 0;
    for (int k = 0; k < K4; k += 4, col += 8) {
        int32_t a = nn_read32(w + k);
        acc = __smlad(__sxtb16(a), nn_read32(col), acc);
        acc = __smlad(nn_sxtb16_ror8(a), nn_read32(col + 2), acc);
    }
    for (int k = K4; k < K; k++) acc += tail[k - K4] * w[k];
    return acc;
}

/* One group of four reduction values of the 2x2 block (16 MACs): two weight words and four
 * column words (pixel 0 lanes k,k+2 at [col], k+1,k+3 at [col, #4]; pixel 1 at #8 and #12),
 * loaded four and two at a time so that the M4 pipelines them (the first chain post-increments
 * col by 16, the second reads back at -12 and -4), four extends, eight SMLAD. */
#define MAC2X2_GROUP                                          \
    "ldr     %[wa], [%[w0]], #4\n\t"  /* channel c */        \
    "ldr     %[wb], [%[w1]], #4\n\t"  /* channel c + 1 */    \
    "ldr     %[pb], [%[col], #8]\n\t" /* pixel 1, k, k+2 */  \
    "ldr     %[pa], [%[col]], #16\n\t" /* pixel 0, k, k+2 */ \
    "sxtb16  %[we], %[wa]\n\t"                               \
    "sxtb16  %[wf], %[wb]\n\t"                               \
    "smlad   %[a00], %[we], %[pa], %[a00]\n\t"               \
    "smlad   %[a01], %[wf], %[pa], %[a01]\n\t"               \
    "smlad   %[a10], %[we], %[pb], %[a10]\n\t"               \
    "smlad   %[a11], %[wf], %[pb], %[a11]\n\t"               \
    "ldr     %[pa], [%[col], #-12]\n\t" /* pixel 0, k+1, k+3 */ \
    "ldr     %[pb], [%[col], #-4]\n\t"  /* pixel 1, k+1, k+3 */ \
    "sxtb16  %[wa], %[wa], ror #8\n\t"                       \
    "sxtb16  %[wb], %[wb], ror #8\n\t"                       \
    "smlad   %[a00], %[wa], %[pa], %[a00]\n\t"               \
    "smlad   %[a01], %[wb], %[pa], %[a01]\n\t"               \
    "smlad   %[a10], %[wa], %[pb], %[a10]\n\t"               \
    "smlad   %[a11], %[wb], %[pb], %[a11]\n\t"
#define MAC2X2_OUTPUTS                                                                                      \
    : [col] "+r"(col), [w0] "+r"(w0), [w1] "+r"(w1), [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10),       \
      [a11] "+r"(a11), [wa] "=&r"(wa), [wb] "=&r"(wb), [we] "=&r"(we), [wf] "=&r"(wf), [pa] "=&r"(pa),        \
      [pb] "=&r"(pb)

/* A pixel pair's part of conv_dsp, for pixels_2x2. */
typedef struct {
    const int16_t *col;  /* the two pixels' columns (im2col_s16 layout) */
    int K, K4;           /* reduction length, and rounded down to a multiple of four */
    const int32_t *bias; /* may be NULL */
    nn_out_t out;
    int8_t *o0, *o1;     /* the two pixels' outputs */
} pair_ctx_t;

/* Output channels 0 .. oc & ~1 of two pixels, as 2x2 blocks (channels c, c+1 = weight rows w0,
 * w0 + K), each from bias to stored int8. The K4/4 groups of four reduction values go four per
 * iteration (then two and one as the count asks) through MAC2X2_GROUP, in assembly because the
 * loop needs 14 registers (three pointers, the end, four accumulators, six temporaries) and
 * GCC 12 spills from the C; the K - K4 tail values in C; then requantization with each
 * channel's parameters read once for both pixels. One function for all blocks, so that the
 * accumulators go from the loop to the requantization in registers and there is no call per
 * block. */
static __attribute__((noinline)) void pixels_2x2(const pair_ctx_t *b, const int8_t *weights, int oc) {
    const int K = b->K, K4 = b->K4, groups = K4 >> 2;
    for (int c = 0; c + 1 < oc; c += 2) {
        const int8_t *w0 = weights + c * K, *w1 = w0 + K;
        const int16_t *col = b->col;
        int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0; /* a<pixel><channel> */
        if (b->bias) a00 = a10 = b->bias[c], a01 = a11 = b->bias[c + 1];
        int32_t wa, wb, we, wf, pa, pb;
        const int16_t *end = col + 8 * (groups & ~3);
        if (col != end)
            __asm__ volatile("1:\n\t" MAC2X2_GROUP MAC2X2_GROUP MAC2X2_GROUP MAC2X2_GROUP
                             "cmp     %[col], %[end]\n\t"
                             "bne     1b\n\t" MAC2X2_OUTPUTS : [end] "r"(end) : "cc", "memory");
        if (groups & 2) __asm__ volatile(MAC2X2_GROUP MAC2X2_GROUP MAC2X2_OUTPUTS : : "memory");
        if (groups & 1) __asm__ volatile(MAC2X2_GROUP MAC2X2_OUTPUTS : : "memory");
        if (K != K4) {
            const int16_t *tail0 = b->col + 2 * K4, *tail1 = tail0 + (K - K4);
            for (int k = 0; k < K - K4; k++) {
                a00 += tail0[k] * w0[k];
                a01 += tail0[k] * w1[k];
                a10 += tail1[k] * w0[k];
                a11 += tail1[k] * w1[k];
            }
        }
        const nn_out_t *p = &b->out;
        const int qs = p->qstep;
        const int32_t m0 = p->mult[c * qs], s0 = p->shift[c * qs], m1 = p->mult[(c + 1) * qs],
                      s1 = p->shift[(c + 1) * qs];
        const int32_t oo = p->out_off;
        int32_t v00, v01, v10, v11;
        if (!p->full || nn_requant_pair(a00, a10, m0, s0, oo, &v00, &v10) ||
            nn_requant_pair(a01, a11, m1, s1, oo, &v01, &v11)) {
            v00 = nn_requant_out(a00, m0, s0, oo, p->lo, p->hi);
            v01 = nn_requant_out(a01, m1, s1, oo, p->lo, p->hi);
            v10 = nn_requant_out(a10, m0, s0, oo, p->lo, p->hi);
            v11 = nn_requant_out(a11, m1, s1, oo, p->lo, p->hi);
        }
        int8_t *o0 = b->o0, *o1 = b->o1;
        o0[c] = (int8_t)v00;
        o0[c + 1] = (int8_t)v01;
        o1[c] = (int8_t)v10;
        o1[c + 1] = (int8_t)v11;
    }
}
#undef MAC2X2_GROUP
#undef MAC2X2_OUTPUTS

/* DSP path: im2col of two output pixels, then a 2x2 register-blocked product (2 output
 * channels x 2 pixels, as CMSIS-NN's arm_nn_mat_mult_kernel_s8_s16): per group of four
 * reduction values, two weight words (SXTB16 twice each) and four column words feed eight
 * SMLAD, i.e. 16 MACs. */
static void conv_dsp(const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output,
                     const nn_geom_t *g, const nn_act_t *act, const nn_quant_t *q, int16_t *scratch) {
    const int K = g->k_h * g->k_w * g->in_c;
    const int K4 = K & ~3;
    const int npix = g->out_h * g->out_w;
    const int oc = g->out_c;
    pair_ctx_t pc = {scratch, K, K4, bias,
                     {q->multiplier, q->shift, q->per_channel ? 1 : 0, act->output_offset, act->act_min, act->act_max,
                      act->act_min == -128 && act->act_max == 127},
                     0, 0};
    for (int p = 0; p < npix; p += 2) {
        const int two = npix - p >= 2;
        int8_t *o0 = output + p * oc;
        im2col_s16(input, g, p, 0, act->input_offset, scratch, K, K4);
        if (!two) {
            for (int c = 0; c < oc; c++) o0[c] = nn_finish(dot_col(scratch, 0, weights + c * K, K, K4), bias, c, act, q);
            break;
        }
        im2col_s16(input, g, p + 1, 1, act->input_offset, scratch, K, K4);
        int8_t *o1 = o0 + oc;
        pc.o0 = o0;
        pc.o1 = o1;
        pixels_2x2(&pc, weights, oc);
        if (oc & 1) { /* odd last channel */
            const int c = oc - 1;
            const int8_t *w0 = weights + c * K;
            o0[c] = nn_finish(dot_col(scratch, 0, w0, K, K4), bias, c, act, q);
            o1[c] = nn_finish(dot_col(scratch, 1, w0, K, K4), bias, c, act, q);
        }
    }
}
#else
/* Plain C path: direct convolution, taps in the padding skipped. */
static void conv_plain(const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output,
                       const nn_geom_t *g, const nn_act_t *act, const nn_quant_t *q) {
    const int32_t off = act->input_offset;
    for (int oy = 0; oy < g->out_h; oy++) {
        for (int ox = 0; ox < g->out_w; ox++) {
            const int y0 = oy * g->stride_h - g->pad_top;
            const int x0 = ox * g->stride_w - g->pad_left;
            int8_t *out = output + (oy * g->out_w + ox) * g->out_c;
            for (int c = 0; c < g->out_c; c++) {
                const int8_t *w = weights + c * g->k_h * g->k_w * g->in_c;
                int32_t acc = 0;
                for (int ky = 0; ky < g->k_h; ky++) {
                    const int y = y0 + ky;
                    for (int kx = 0; kx < g->k_w; kx++) {
                        const int x = x0 + kx;
                        const int8_t *wk = w + (ky * g->k_w + kx) * g->in_c;
                        if (y < 0 || y >= g->in_h || x < 0 || x >= g->in_w) continue;
                        const int8_t *src = input + (y * g->in_w + x) * g->in_c;
                        for (int ic = 0; ic < g->in_c; ic++) acc += (src[ic] + off) * wk[ic];
                    }
                }
                out[c] = nn_finish(acc, bias, c, act, q);
            }
        }
    }
}
#endif

void conv2d_s8(const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output,
               const nn_geom_t *g, const nn_act_t *act, const nn_quant_t *quant, int16_t *scratch) {
    const int pointwise = g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
                          g->pad_left == 0 && g->out_h == g->in_h && g->out_w == g->in_w;
#if defined(__ARM_FEATURE_DSP)
    /* With two or more pixels the 2x2 block (weights widened once for two pixels) beats the
     * fully connected path's four rows x one pixel, even counting the im2col of each pixel. */
    if (pointwise && g->out_h * g->out_w == 1) {
#else
    if (pointwise) {
#endif
        /* 1x1 fast path: every pixel is a fully connected layer over its channels; no im2col. */
        fully_connected_s8(input, weights, bias, output, g->in_h * g->in_w, g->in_c, g->out_c, act, quant);
        return;
    }
#if defined(__ARM_FEATURE_DSP)
    conv_dsp(input, weights, bias, output, g, act, quant, scratch);
#else
    (void)scratch;
    conv_plain(input, weights, bias, output, g, act, quant);
#endif
}

#if defined(__ARM_FEATURE_DSP)
/* Per-call and per-pixel parameters of the depthwise DSP path. */
typedef struct {
    int nky, nkx;          /* taps inside the input (the window clamped to it) */
    int C;                 /* channels (in_c == out_c) */
    int in_skip, w_skip;   /* pointer steps from the end of a tap row to the next row */
    int32_t off2;          /* input offset in both int16 lanes */
    const int32_t *bias;   /* may be NULL */
    const int32_t *mult, *shift;
    int qstep;             /* 1 per-channel, 0 per-tensor */
    int32_t out_off, lo, hi;
} dw_ctx_t;

/* One tap of four channels, in C and in assembly (see dw_pixel4). */
#define DW_TAP(xv, wv)                                                                         \
    do {                                                                                       \
        const int32_t xe = __sxtab16(off2, xv), we = __sxtb16(wv);                             \
        const int32_t xo = nn_sxtab16_ror8(off2, xv), wo = nn_sxtb16_ror8(wv);                 \
        a0 = __smlabb(xe, we, a0);                                                             \
        a2 = __smlatt(xe, we, a2);                                                             \
        a1 = __smlabb(xo, wo, a1);                                                             \
        a3 = __smlatt(xo, wo, a3);                                                             \
    } while (0)
#define DW_ASM_TAP(addr_x, addr_w)                                                              \
    "ldr %[xv], " addr_x "\n\t"                                                                 \
    "ldr %[wv], " addr_w "\n\t"                                                                 \
    "sxtab16 %[xe], %[off], %[xv]\n\t"                                                          \
    "sxtb16 %[we], %[wv]\n\t"                                                                   \
    "sxtab16 %[xv], %[off], %[xv], ror #8\n\t"                                                  \
    "sxtb16 %[wv], %[wv], ror #8\n\t"                                                           \
    "smlabb %[a0], %[xe], %[we], %[a0]\n\t"                                                     \
    "smlatt %[a2], %[xe], %[we], %[a2]\n\t"                                                     \
    "smlabb %[a1], %[xv], %[wv], %[a1]\n\t"                                                     \
    "smlatt %[a3], %[xv], %[wv], %[a3]\n\t"
#define DW_ASM_OPERANDS                                                                         \
    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [ip] "+r"(ip), [wp] "+r"(wp),  \
      [xv] "=&r"(xv), [wv] "=&r"(wv), [xe] "=&r"(xe), [we] "=&r"(we)                            \
    : [C] "r"(C), [off] "r"(off2)                                                               \
    : "memory"

/* Output channels 0..C4-1 of one pixel, four at a time: the clamped tap window, then
 * requantization, one word store. in_base, w_base point at channel 0 of the window's first
 * tap. Out of line so that the tap loop and then the requantization have the registers to
 * themselves. */
static __attribute__((noinline)) void dw_pixel4(const int8_t *in_base, const int8_t *w_base, const dw_ctx_t *x,
                                                int C4, int8_t *out) {
    for (int c = 0; c < C4; c += 4) {
        const int8_t *ip = in_base + c, *wp = w_base + c;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        if (x->bias) {
            a0 = x->bias[c];
            a1 = x->bias[c + 1];
            a2 = x->bias[c + 2];
            a3 = x->bias[c + 3];
        }
        {
            const int C = x->C, nkx = x->nkx;
            const int32_t off2 = x->off2;
            /* Rows of three (interior) or two (border column of a 3-wide kernel) taps in assembly,
             * as GCC 12 spills in the unrolled C: per tap two loads (unaligned LDR), four extends,
             * four MACs; 12 live registers. */
            if (nkx == 3) {
                const int in_row = x->in_skip + C, w_row = x->w_skip + C; /* from the row's last tap */
                for (int ky = x->nky; ky > 0; ky--) {
                    int32_t xv, wv, xe, we;
                    __asm__(DW_ASM_TAP("[%[ip]]", "[%[wp]]")
                            DW_ASM_TAP("[%[ip], %[C]]", "[%[wp], %[C]]")
                            "add %[ip], %[ip], %[C], lsl #1\n\t"
                            "add %[wp], %[wp], %[C], lsl #1\n\t"
                            DW_ASM_TAP("[%[ip]]", "[%[wp]]")
                            DW_ASM_OPERANDS);
                    ip += in_row;
                    wp += w_row;
                }
            } else if (nkx == 2) {
                const int in_row = x->in_skip + 2 * C, w_row = x->w_skip + 2 * C;
                for (int ky = x->nky; ky > 0; ky--) {
                    int32_t xv, wv, xe, we;
                    __asm__(DW_ASM_TAP("[%[ip]]", "[%[wp]]")
                            DW_ASM_TAP("[%[ip], %[C]]", "[%[wp], %[C]]")
                            DW_ASM_OPERANDS);
                    ip += in_row;
                    wp += w_row;
                }
            } else {
                for (int ky = x->nky; ky > 0; ky--) {
                    for (int kx = nkx; kx > 0; kx--) {
                        const int32_t xv = nn_read32(ip), wv = nn_read32(wp);
                        ip += C;
                        wp += C;
                        DW_TAP(xv, wv);
                    }
                    ip += x->in_skip;
                    wp += x->w_skip;
                }
            }
        }
        const int qs = x->qstep;
        const int32_t *m = x->mult + c * qs, *sh = x->shift + c * qs;
        const int32_t oo = x->out_off, lo = x->lo, hi = x->hi;
        const int32_t v0 = nn_requant_out(a0, m[0], sh[0], oo, lo, hi);
        const int32_t v1 = nn_requant_out(a1, m[qs], sh[qs], oo, lo, hi);
        const int32_t v2 = nn_requant_out(a2, m[2 * qs], sh[2 * qs], oo, lo, hi);
        const int32_t v3 = nn_requant_out(a3, m[3 * qs], sh[3 * qs], oo, lo, hi);
        const uint32_t o = (uint32_t)(uint8_t)v0 | (uint32_t)(uint8_t)v1 << 8 | (uint32_t)(uint8_t)v2 << 16 |
                           (uint32_t)(uint8_t)v3 << 24;
        nn_write32(out + c, (int32_t)o);
    }
}
#undef DW_TAP
#undef DW_ASM_TAP
#undef DW_ASM_OPERANDS

/* DSP path for depth multiplier 1: one output pixel, four channels at a time. The taps in the
 * padding contribute (zero point + input_offset) * w = 0, so the tap window is clamped to the
 * input instead of being tested per tap. Per tap, one word of four input channels and one of
 * four weights: SXTAB16 (offset added) / SXTB16 give the lanes (c, c+2) and, with ROR 8,
 * (c+1, c+3); SMLABB / SMLATT accumulate each lane into its channel. */
static void depthwise_dsp_m1(const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output,
                             const nn_geom_t *g, const nn_act_t *act, const nn_quant_t *q) {
    const int32_t off = act->input_offset;
    const int C = g->in_c; /* == out_c */
    const int C4 = C & ~3;
    const int row_in = g->in_w * C;
    dw_ctx_t x = {0, 0, C, 0, 0, nn_pack_offset(off), bias, q->multiplier, q->shift, q->per_channel ? 1 : 0,
                  act->output_offset, act->act_min, act->act_max};
    for (int oy = 0; oy < g->out_h; oy++) {
        const int y0 = oy * g->stride_h - g->pad_top;
        const int ky0 = y0 < 0 ? -y0 : 0;
        const int ky1 = y0 + g->k_h > g->in_h ? g->in_h - y0 : g->k_h;
        for (int ox = 0; ox < g->out_w; ox++) {
            const int x0 = ox * g->stride_w - g->pad_left;
            const int kx0 = x0 < 0 ? -x0 : 0;
            const int kx1 = x0 + g->k_w > g->in_w ? g->in_w - x0 : g->k_w;
            int nky = ky1 - ky0, nkx = kx1 - kx0;
            if (nky < 0 || nkx <= 0) nky = 0; /* window entirely in the padding */
            if (nkx < 0) nkx = 0;
            x.nky = nky;
            x.nkx = nkx;
            x.in_skip = row_in - nkx * C;
            x.w_skip = (g->k_w - nkx) * C;
            int8_t *out = output + (oy * g->out_w + ox) * C;
            const int8_t *in_base = input + ((y0 + ky0) * g->in_w + x0 + kx0) * C;
            const int8_t *w_base = weights + (ky0 * g->k_w + kx0) * C;
            if (C4 > 0) dw_pixel4(in_base, w_base, &x, C4, out);
            int c = C4;
            for (; c < C; c++) { /* channels past the last group of four */
                int32_t acc = 0;
                const int8_t *ip = in_base + c;
                const int8_t *wp = w_base + c;
                for (int ky = 0; ky < nky; ky++) {
                    for (int kx = 0; kx < nkx; kx++) {
                        acc += (*ip + off) * *wp;
                        ip += C;
                        wp += C;
                    }
                    ip += x.in_skip;
                    wp += x.w_skip;
                }
                out[c] = nn_finish(acc, bias, c, act, q);
            }
        }
    }
}
#endif

void depthwise_conv2d_s8(const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output,
                         const nn_geom_t *g, int depth_multiplier, const nn_act_t *act, const nn_quant_t *q) {
#if defined(__ARM_FEATURE_DSP)
    if (depth_multiplier == 1 && g->out_c == g->in_c) {
        depthwise_dsp_m1(input, weights, bias, output, g, act, q);
        return;
    }
#endif
    const int32_t off = act->input_offset;
    for (int oy = 0; oy < g->out_h; oy++) {
        for (int ox = 0; ox < g->out_w; ox++) {
            const int y0 = oy * g->stride_h - g->pad_top;
            const int x0 = ox * g->stride_w - g->pad_left;
            int8_t *out = output + (oy * g->out_w + ox) * g->out_c;
            for (int c = 0; c < g->out_c; c++) {
                const int ic = c / depth_multiplier;
                int32_t acc = 0;
                for (int ky = 0; ky < g->k_h; ky++) {
                    const int y = y0 + ky;
                    if (y < 0 || y >= g->in_h) continue;
                    for (int kx = 0; kx < g->k_w; kx++) {
                        const int x = x0 + kx;
                        if (x < 0 || x >= g->in_w) continue;
                        acc += (input[(y * g->in_w + x) * g->in_c + ic] + off) *
                               weights[(ky * g->k_w + kx) * g->out_c + c];
                    }
                }
                out[c] = nn_finish(acc, bias, c, act, q);
            }
        }
    }
}
