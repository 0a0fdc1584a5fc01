/* Sparse depthwise convolution, depth multiplier 1 (nn_sparse.h, NN_SPARSE_DW_TAPS).
 *
 * One channel at a time over all output pixels: a channel's few kept taps, its weights and
 * requantization parameters stay in registers for the whole plane, so an output costs its
 * taps, one requantization and a byte store, and a channel without taps one byte store of its
 * requantized bias. Four channels' input planes are first copied into scratch, interleaved
 * (a word per pixel) inside a border of zero points wide enough for every window, so that the
 * taps read them without bounds tests. A padding tap adds zero_point * w, which the folded
 * bias cancels exactly as it does for in-bounds taps: sum w (x + offset) = sum w x +
 * offset sum w. */
#include "nn_internal.h"
#include "nn_sparse.h"

/* The plane's size: every window of the output, from (-pad_top, -pad_left). */
static inline int plane_h(const nn_geom_t *g) { return (g->out_h - 1) * g->stride_h + g->k_h; }
static inline int plane_w(const nn_geom_t *g) { return (g->out_w - 1) * g->stride_w + g->k_w; }

/* Scratch: four interleaved planes (a word per plane pixel), each tap number's byte offset in
 * them (a word per tap), the int32 accumulators of one output line (along the longer axis),
 * the outputs of the channels without taps (a byte per channel), and a channel's passes
 * (dw_pass_t: 3 words per two taps). */
int nn_sparse_depthwise_scratch_words(const nn_geom_t *g) {
    const int line = g->out_h > g->out_w ? g->out_h : g->out_w, taps = g->k_h * g->k_w;
    return plane_h(g) * plane_w(g) + taps + line + (g->out_c + 3) / 4 + 3 * ((taps + 1) / 2);
}

/* How a channel walks its output: `inner` outputs along the longer of the two axes (so that
 * the loop set-up is paid over the most outputs), `outer` times. Steps in bytes. */
typedef struct {
    int inner, outer;
    int in_step, in_skip;   /* plane step per inner output; per outer, from the line's start */
    int out_step, out_skip; /* the same in the output */
} dw_walk_t;

static dw_walk_t dw_walk(const nn_geom_t *g) {
    const int C = g->out_c, Wp = plane_w(g);
    dw_walk_t k;
    if (g->out_w >= g->out_h) {
        k = (dw_walk_t){g->out_w, g->out_h, 4 * g->stride_w, 4 * g->stride_h * Wp, C, g->out_w * C};
    } else {
        k = (dw_walk_t){g->out_h, g->out_w, 4 * g->stride_h * Wp, 4 * g->stride_w, g->out_w * C, C};
    }
    return k;
}

/* Channels c..c+3 of the input into the planes' in-bounds part (the border keeps its zero
 * points); `lanes` < 4 for the last channels. */
static __attribute__((noinline)) void dw_gather(const int8_t *input, const nn_geom_t *g, int c, int lanes, int32_t *plane) {
    const int C = g->in_c, Wp = plane_w(g);
    const int y0 = g->pad_top > 0 ? g->pad_top : 0, x0 = g->pad_left > 0 ? g->pad_left : 0;
    const int y1 = g->in_h + g->pad_top < plane_h(g) ? g->in_h + g->pad_top : plane_h(g);
    const int x1 = g->in_w + g->pad_left < plane_w(g) ? g->in_w + g->pad_left : plane_w(g);
    const int n = x1 - x0, rows = y1 - y0, d_skip = Wp - n, s_skip = (g->in_w - n) * C;
    if (n <= 0 || rows <= 0) return;
    const int8_t *s = input + ((y0 - g->pad_top) * g->in_w + x0 - g->pad_left) * C + c;
    int32_t *d = plane + y0 * Wp + x0;
#if defined(__ARM_FEATURE_DSP)
    if (lanes == 4) { /* unaligned word loads are fine on these cores */
        for (int y = rows; y > 0; y--, d += d_skip, s += s_skip) {
            for (int k = n; k > 0; k--, s += C) *d++ = nn_read32(s);
        }
        return;
    }
#endif
    for (int y = rows; y > 0; y--, d += d_skip, s += s_skip) {
        for (int k = n; k > 0; k--, s += C, d++) {
            int8_t *lane = (int8_t *)d;
            for (int j = 0; j < lanes; j++) lane[j] = s[j];
        }
    }
}

/* A channel's output is the same at every pixel (no kept taps). */
static void dw_fill(int8_t *o, int C, int pixels, int8_t v) {
    for (; pixels >= 4; pixels -= 4, o += 4 * C) {
        o[0] = v;
        o[C] = v;
        o[2 * C] = v;
        o[3 * C] = v;
    }
    for (; pixels > 0; pixels--, o += C) *o = v;
}

/* One channel's kept taps: tap numbers, weights, and each tap number's byte offset in the
 * interleaved planes. */
typedef struct {
    int n;
    const uint8_t *tap;
    const int8_t *w;
    const int32_t *offset;
} dw_taps_t;

static inline int32_t dw_dot(const int8_t *p, const dw_taps_t *t) {
    int32_t acc = 0;
    for (int k = 0; k < t->n; k++) acc += t->w[k] * p[t->offset[t->tap[k]]];
    return acc;
}

/* Any channel, any core: nn_requant_out per output. `p` is the channel's lane of the planes. */
static void dw_channel_general(const int8_t *p, const dw_walk_t *k, const dw_taps_t *t, int32_t bias, int32_t m,
                               int32_t shift, const nn_act_t *act, int8_t *o) {
    for (int i = k->outer; i > 0; i--, p += k->in_skip, o += k->out_skip) {
        const int8_t *q = p;
        int8_t *u = o;
        for (int j = k->inner; j > 0; j--, q += k->in_step, u += k->out_step) {
            *u = (int8_t)nn_requant_out(bias + dw_dot(q, t), m, shift, act->output_offset, act->act_min, act->act_max);
        }
    }
}

#if defined(__ARM_FEATURE_DSP)
/* A channel's requantization on the fast path (dw_fast_params). */
typedef struct {
    int32_t bias2;     /* 2 x bias: the accumulator is doubled, as nn_requant_out's SMMULR(2x, m) */
    int32_t m, round;  /* round = 2^r + output_offset x 2^(r+1) */
    int32_t rsh;       /* r + 1 */
} dw_fast_t;

/* The last one or two taps of an output line and its requantization, in assembly (GCC 12
 * spills the loop-invariant registers). p points at the first of the taps; their doubled
 * weights are the int16 lanes of w01 (SMLABB / SMLATB), o1 the second's byte offset from the
 * first. The accumulator starts from the doubled bias, or from `acc` (earlier taps, see
 * dw_line_pairs). Per output: the taps' loads, SMLABB / SMLATB, SMMULR, the rounding shift
 * (two ADD and an ASR), SSAT, a byte store, two pointer steps and the loop branch: 15 cycles
 * with one tap, 17 with two on the M4 timing model (and 2 for the load of `acc`). `inner`
 * outputs, at least one. Out of line so that the assembly has the registers (14 for two taps
 * after earlier ones). */
#define DW_ASM_REQUANT                                                                        \
    "smmulr  %[x], %[x], %[m]\n\t"                                                           \
    "add     %[v], %[rnd], %[x], lsl #1\n\t"                                                 \
    "add     %[v], %[v], %[x], asr #31\n\t"                                                  \
    "asr     %[v], %[v], %[rsh]\n\t"                                                         \
    "ssat    %[v], #8, %[v]\n\t"                                                             \
    "strb    %[v], [%[o]]\n\t"                                                               \
    "add     %[o], %[o], %[os]\n\t"                                                          \
    "cmp     %[o], %[end]\n\t"                                                               \
    "bne     1b\n\t"

static __attribute__((noinline)) void dw_line_last(const int8_t *p, int8_t *o, const int8_t *end_, int ps, int os, int n,
                                                   int32_t w01, int32_t o1, const int32_t *acc, const dw_fast_t *f) {
    int32_t x, v, y;
    const int8_t *end = end_;
    const int32_t m = f->m, rnd = f->round, rsh = f->rsh;
    if (!acc && n == 1) {
        const int32_t bias2 = f->bias2;
        __asm__ volatile("1:\n\t"
                         "ldrsb   %[x], [%[p]]\n\t"
                         "add     %[p], %[p], %[ps]\n\t"
                         "smlabb  %[x], %[w01], %[x], %[b]\n\t" DW_ASM_REQUANT
                         : [p] "+&r"(p), [o] "+&r"(o), [x] "=&r"(x), [v] "=&r"(v)
                         : [end] "r"(end), [ps] "r"(ps), [os] "r"(os), [w01] "r"(w01), [b] "r"(bias2), [m] "r"(m),
                           [rnd] "r"(rnd), [rsh] "r"(rsh)
                         : "cc", "memory");
    } else if (!acc) {
        const int32_t bias2 = f->bias2;
        __asm__ volatile("1:\n\t"
                         "ldrsb   %[x], [%[p]]\n\t"
                         "ldrsb   %[y], [%[p], %[o1]]\n\t"
                         "add     %[p], %[p], %[ps]\n\t"
                         "smlabb  %[x], %[w01], %[x], %[b]\n\t"
                         "smlatb  %[x], %[w01], %[y], %[x]\n\t" DW_ASM_REQUANT
                         : [p] "+&r"(p), [o] "+&r"(o), [x] "=&r"(x), [v] "=&r"(v), [y] "=&r"(y)
                         : [end] "r"(end), [ps] "r"(ps), [os] "r"(os), [w01] "r"(w01), [o1] "r"(o1), [b] "r"(bias2),
                           [m] "r"(m), [rnd] "r"(rnd), [rsh] "r"(rsh)
                         : "cc", "memory");
    } else if (n == 1) {
        __asm__ volatile("1:\n\t"
                         "ldr     %[y], [%[a]], #4\n\t"
                         "ldrsb   %[x], [%[p]]\n\t"
                         "add     %[p], %[p], %[ps]\n\t"
                         "smlabb  %[x], %[w01], %[x], %[y]\n\t" DW_ASM_REQUANT
                         : [p] "+&r"(p), [o] "+&r"(o), [a] "+&r"(acc), [x] "=&r"(x), [v] "=&r"(v), [y] "=&r"(y)
                         : [end] "r"(end), [ps] "r"(ps), [os] "r"(os), [w01] "r"(w01), [m] "r"(m), [rnd] "r"(rnd),
                           [rsh] "r"(rsh)
                         : "cc", "memory");
    } else {
        __asm__ volatile("1:\n\t"
                         "ldr     %[x], [%[a]], #4\n\t"
                         "ldrsb   %[y], [%[p]]\n\t"
                         "ldrsb   %[v], [%[p], %[o1]]\n\t"
                         "add     %[p], %[p], %[ps]\n\t"
                         "smlabb  %[x], %[w01], %[y], %[x]\n\t"
                         "smlatb  %[x], %[w01], %[v], %[x]\n\t" DW_ASM_REQUANT
                         : [p] "+&r"(p), [o] "+&r"(o), [a] "+&r"(acc), [x] "=&r"(x), [v] "=&r"(v), [y] "=&r"(y)
                         : [end] "r"(end), [ps] "r"(ps), [os] "r"(os), [w01] "r"(w01), [o1] "r"(o1), [m] "r"(m),
                           [rnd] "r"(rnd), [rsh] "r"(rsh)
                         : "cc", "memory");
    }
}
#undef DW_ASM_REQUANT

/* Two taps of a channel with more than two, along a line into the int32 accumulators `acc`
 * (started from `bias2` when `first`): 11-12 cycles per output, against about 10 per tap when
 * the taps' offsets and weights are read from memory at every output. */
static __attribute__((noinline)) void dw_line_pairs(const int8_t *p, int32_t *acc, const int32_t *acc_end, int ps,
                                                    int32_t w01, int32_t o1, int32_t bias2, int first) {
    int32_t x, y, a;
    if (first) {
        __asm__ volatile("1:\n\t"
                         "ldrsb   %[x], [%[p]]\n\t"
                         "ldrsb   %[y], [%[p], %[o1]]\n\t"
                         "add     %[p], %[p], %[ps]\n\t"
                         "smlabb  %[x], %[w01], %[x], %[b]\n\t"
                         "smlatb  %[x], %[w01], %[y], %[x]\n\t"
                         "str     %[x], [%[acc]], #4\n\t"
                         "cmp     %[acc], %[end]\n\t"
                         "bne     1b\n\t"
                         : [p] "+&r"(p), [acc] "+&r"(acc), [x] "=&r"(x), [y] "=&r"(y)
                         : [end] "r"(acc_end), [ps] "r"(ps), [w01] "r"(w01), [o1] "r"(o1), [b] "r"(bias2)
                         : "cc", "memory");
        return;
    }
    __asm__ volatile("1:\n\t"
                     "ldr     %[a], [%[acc]]\n\t"
                     "ldrsb   %[x], [%[p]]\n\t"
                     "ldrsb   %[y], [%[p], %[o1]]\n\t"
                     "add     %[p], %[p], %[ps]\n\t"
                     "smlabb  %[a], %[w01], %[x], %[a]\n\t"
                     "smlatb  %[a], %[w01], %[y], %[a]\n\t"
                     "str     %[a], [%[acc]], #4\n\t"
                     "cmp     %[acc], %[end]\n\t"
                     "bne     1b\n\t"
                     : [p] "+&r"(p), [acc] "+&r"(acc), [x] "=&r"(x), [y] "=&r"(y), [a] "=&r"(a)
                     : [end] "r"(acc_end), [ps] "r"(ps), [w01] "r"(w01), [o1] "r"(o1)
                     : "cc", "memory");
}

/* nn_requant_out's fast path, folded: h = SMMULR(2 acc, m), v = (2h + round - (h < 0)) >> rsh. */
static inline int8_t dw_requant_fast(int32_t acc2, const dw_fast_t *f, int32_t lo, int32_t hi) {
    int32_t h;
    __asm__("smmulr %0, %1, %2" : "=r"(h) : "r"(acc2), "r"(f->m));
    int32_t v = (h * 2 + f->round + (h >> 31)) >> f->rsh;
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

/* A pass of two taps (or one, last): the first tap's offset in the planes, the second's from
 * the first, their doubled weights as int16 lanes. */
typedef struct {
    int32_t first, o1, w01;
} dw_pass_t;

/* The doubled weights of taps j and j + 1 (if any) as int16 lanes, and the second's offset from
 * the first's. */
static inline int32_t dw_pair(const dw_taps_t *t, int j, int32_t *o1) {
    const int two = j + 1 < t->n;
    *o1 = two ? t->offset[t->tap[j + 1]] - t->offset[t->tap[j]] : 0;
    return (int32_t)((uint16_t)(2 * t->w[j]) | (two ? (uint32_t)(2 * t->w[j + 1]) << 16 : 0));
}

/* A channel whose accumulator provably stays in nn_requant_out's fast range (dw_fast_params):
 * when the clamp is the int8 range, each output line in assembly, in passes of two taps (the
 * last with one or two, and the requantization), the passes before the last through the
 * `line` accumulators; otherwise in C. */
static void dw_channel_fast(const int8_t *p, const dw_walk_t *k, const dw_taps_t *t, const dw_fast_t *f, int32_t lo,
                            int32_t hi, int32_t *line, dw_pass_t *plan, int8_t *o) {
    if (lo == -128 && hi == 127) {
        const int passes = (t->n + 1) / 2;
        for (int j = 0; j < passes; j++) {
            plan[j].w01 = dw_pair(t, 2 * j, &plan[j].o1);
            plan[j].first = t->offset[t->tap[2 * j]];
        }
        const dw_pass_t *end = plan + passes - 1;
        for (int i = k->outer; i > 0; i--, p += k->in_skip, o += k->out_skip) {
            const dw_pass_t *pass = plan;
            for (; pass < end; pass++) {
                dw_line_pairs(p + pass->first, line, line + k->inner, k->in_step, pass->w01, pass->o1, f->bias2, pass == plan);
            }
            dw_line_last(p + pass->first, o, o + k->inner * k->out_step, k->in_step, k->out_step, t->n - 2 * (passes - 1),
                         pass->w01, pass->o1, passes > 1 ? line : 0, f);
        }
        return;
    }
    for (int i = k->outer; i > 0; i--, p += k->in_skip, o += k->out_skip) {
        const int8_t *q = p;
        int8_t *u = o;
        for (int j = k->inner; j > 0; j--, q += k->in_step, u += k->out_step) {
            *u = dw_requant_fast(f->bias2 + 2 * dw_dot(q, t), f, lo, hi);
        }
    }
}

/* Whether the channel can take the fast path, and its parameters. nn_requant_out takes its own
 * fast path when x = acc << max(shift, 0) is under 2^29 in magnitude and r < 30; here that
 * must hold for the largest |acc| the weights allow (|bias| + 128 sum |w|: inputs are raw
 * int8), with shift <= 0 (then x = acc, and SMMULR takes 2x: bias and weights are doubled),
 * and 2h + round must not overflow (|2h| <= 2^30 + 2, |round| < 2^21 + 2^29 for r < 22).
 * Otherwise the channel takes dw_channel_general, whose nn_requant_out decides per output. */
static int dw_fast_params(const dw_taps_t *t, int32_t bias, int32_t m, int32_t shift, int32_t out_off, dw_fast_t *f) {
    int64_t bound = bias < 0 ? -(int64_t)bias : bias;
    for (int k = 0; k < t->n; k++) bound += 128 * (t->w[k] < 0 ? -t->w[k] : t->w[k]);
    const int32_t r = -shift;
    if (shift > 0 || r >= 22 || bound >= (1LL << 29)) return 0;
    f->bias2 = 2 * bias;
    f->m = m;
    f->round = (int32_t)((1u << r) + ((uint32_t)out_off << (r + 1)));
    f->rsh = r + 1;
    return 1;
}
#endif

/* The outputs of the channels without taps (their requantized bias, in `row`) into every
 * pixel, a word at a time when the pixels are word-aligned; the channels with taps are then
 * written over them. Cheaper than a strided store per channel when a fifth of them or more are
 * empty. */
static __attribute__((noinline)) void dw_fill_rows(int8_t *out, const int8_t *row, int C, int pixels) {
    if ((((uintptr_t)out | (uintptr_t)C) & 3) == 0) { /* four words per step where it can */
        int32_t *d = (int32_t *)(void *)out;
        for (; pixels > 0; pixels--) {
            const int32_t *s = (const int32_t *)(const void *)row;
            int i = C / 4;
            for (; i >= 4; i -= 4, s += 4, d += 4) {
                const int32_t a = s[0], b = s[1], e = s[2], f = s[3];
                d[0] = a;
                d[1] = b;
                d[2] = e;
                d[3] = f;
            }
            for (; i > 0; i--) *d++ = *s++;
        }
        return;
    }
    for (; pixels > 0; pixels--) {
        for (int i = 0; i < C; i++) *out++ = row[i];
    }
}

void depthwise_conv2d_sparse_s8(const int8_t *input, const nn_sparse_t *w, int8_t *output, const nn_geom_t *g,
                                const nn_act_t *act, const nn_quant_t *q, int32_t *scratch) {
    const int C = w->rows, pixels = g->out_h * g->out_w, taps = g->k_h * g->k_w;
    const int Wp = plane_w(g), plane_words = plane_h(g) * Wp;
    const dw_walk_t walk = dw_walk(g);
    int32_t *plane = scratch, *offset = scratch + plane_words, *line = offset + taps;
    int8_t *empty_row = (int8_t *)(line + walk.inner);
    for (int ky = 0; ky < g->k_h; ky++) {
        for (int kx = 0; kx < g->k_w; kx++) offset[ky * g->k_w + kx] = 4 * (ky * Wp + kx);
    }
    const int32_t oo = act->output_offset, lo = act->act_min, hi = act->act_max;
    const uint32_t zero_points = 0x01010101u * (uint8_t)(-act->input_offset);
    for (int i = 0; i < plane_words; i++) plane[i] = (int32_t)zero_points;
    int empty = 0;
    for (int c = 0; c < C; c++) {
        const int qi = q->per_channel ? c : 0;
        empty += w->row_count[c] == 0;
        empty_row[c] = (int8_t)nn_requant_out(w->bias[c], q->multiplier[qi], q->shift[qi], oo, lo, hi);
    }
    const int whole_rows = 5 * empty >= C;
    if (whole_rows) dw_fill_rows(output, empty_row, C, pixels);
    dw_taps_t t = {0, (const uint8_t *)w->index, w->values, offset};
    for (int c = 0; c < C; c++, t.tap += t.n, t.w += t.n) {
        const int qi = q->per_channel ? c : 0;
        const int32_t bias = w->bias[c], m = q->multiplier[qi], shift = q->shift[qi];
        t.n = w->row_count[c];
        if (t.n == 0) {
            if (!whole_rows) dw_fill(output + c, C, pixels, empty_row[c]);
            continue;
        }
        /* The planes hold channels c & ~3 onwards; gathered at the group's first channel with taps. */
        const int group = c & ~3;
        int gathered = 0;
        for (int j = group; j < c; j++) gathered |= w->row_count[j] != 0;
        if (!gathered) dw_gather(input, g, group, C - group < 4 ? C - group : 4, plane);
        const int8_t *p = (const int8_t *)plane + (c - group);
#if defined(__ARM_FEATURE_DSP)
        dw_fast_t f;
        if (dw_fast_params(&t, bias, m, shift, oo, &f)) {
            dw_channel_fast(p, &walk, &t, &f, lo, hi, line, (dw_pass_t *)(void *)(empty_row + 4 * ((C + 3) / 4)), output + c);
            continue;
        }
#endif
        dw_channel_general(p, &walk, &t, bias, m, shift, act, output + c);
    }
}
