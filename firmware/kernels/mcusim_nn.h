/* mcusim_nn: int8 inference kernels with TFLite (Micro) semantics.
 *
 * Conventions, as in TFLite's int8 quantization spec and CMSIS-NN:
 *  - tensors are NHWC, int8; weights are int8 (symmetric, zero point 0), bias int32;
 *  - `input_offset` is MINUS the input zero point, `output_offset` is PLUS the output zero point;
 *  - requantization: a Q31 `multiplier` and a `shift` (positive = left) per output channel
 *    (or one pair for the whole tensor), applied as TFLite's MultiplyByQuantizedMultiplier:
 *    saturating rounding doubling high multiply, then rounding divide by a power of two;
 *  - fused activations (ReLU, ReLU6, none) are the clamp range [act_min, act_max].
 *
 * With __ARM_FEATURE_DSP (Cortex-M4/M7/M33) the fully connected and convolution kernels use
 * SXTAB16/SXTB16 + SMLAD, four MACs per inner iteration; elsewhere (Cortex-M0+/M3) plain C.
 * Both paths give bit-identical results.
 */
#ifndef MCUSIM_NN_H
#define MCUSIM_NN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Requantization arithmetic (TFLite / gemmlowp fixed point) ---- */

/* round(a * b / 2^31), saturating the single overflow case a == b == INT32_MIN (gemmlowp's
 * SaturatingRoundingDoublingHighMul). gemmlowp adds a nudge of 2^30 (1 - 2^30 if negative)
 * and divides by 2^31 truncating toward zero; for a negative product that equals
 * floor((ab + 2^30) / 2^31), so one arithmetic shift serves both signs (SMULL, ADDS/ADC, and a
 * shift on the target instead of a 64-bit division with sign fix-up). */
static inline int32_t nn_sat_rounding_doubling_high_mul(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    return (int32_t)((ab + (1LL << 30)) >> 31);
}

/* x / 2^exponent rounded to nearest, ties away from zero (exponent in 0..31). */
static inline int32_t nn_rounding_divide_by_pot(int32_t x, int exponent) {
    int32_t mask = (int32_t)((1u << exponent) - 1u);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier: x * multiplier * 2^shift with multiplier in Q31.
 * A positive shift is applied before the multiply (wrapping, as on the target), a negative
 * one after it as a rounding shift. */
static inline int32_t nn_requantize(int32_t x, int32_t multiplier, int32_t shift) {
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    int32_t shifted = (int32_t)((uint32_t)x << left);
    return nn_rounding_divide_by_pot(nn_sat_rounding_doubling_high_mul(shifted, multiplier), right);
}

static inline int32_t nn_clamp(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Per-channel (or per-tensor) requantization parameters. */
typedef struct {
    const int32_t *multiplier; /* Q31 multipliers */
    const int32_t *shift;      /* shifts, positive = left */
    int per_channel;           /* 1: one pair per output channel; 0: element [0] for all */
} nn_quant_t;

/* Quantized tensor offsets and the fused activation range. */
typedef struct {
    int32_t input_offset;  /* -input zero point */
    int32_t output_offset; /* +output zero point */
    int32_t act_min, act_max;
} nn_act_t;

/* ---- Fully connected ----
 * input [batches][in_features], weights [out_features][in_features] (TFLite layout),
 * bias [out_features] (may be NULL), output [batches][out_features]. */
void fully_connected_s8(const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output,
                        int batches, int in_features, int out_features, const nn_act_t *act,
                        const nn_quant_t *quant);

/* ---- 2-D convolution / depthwise / pooling geometry ---- */
typedef struct {
    int in_h, in_w, in_c;       /* input tensor [1][in_h][in_w][in_c] */
    int out_h, out_w, out_c;    /* output tensor [1][out_h][out_w][out_c] */
    int k_h, k_w;               /* kernel (filter) height and width */
    int stride_h, stride_w;
    int pad_top, pad_left;      /* explicit padding (SAME: computed by the caller as TFLite does) */
} nn_geom_t;

/* Scratch for conv2d_s8 in int16 elements: two im2col columns of k_h*k_w*in_c. */
static inline int conv2d_s8_scratch_size(const nn_geom_t *g) { return 2 * g->k_h * g->k_w * g->in_c; }

/* Convolution. weights [out_c][k_h][k_w][in_c] (OHWI), bias [out_c] (may be NULL).
 * `scratch` holds conv2d_s8_scratch_size() int16 values (used by the DSP path, also for 1x1
 * kernels; unused on the plain C path, may be NULL there). 1x1, stride 1, no padding takes the
 * fully connected path on the plain C path, and on the DSP path for a single pixel. */
void conv2d_s8(const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output,
               const nn_geom_t *geom, const nn_act_t *act, const nn_quant_t *quant, int16_t *scratch);

/* Depthwise convolution. weights [1][k_h][k_w][out_c] with out_c = in_c * depth_multiplier,
 * bias [out_c] (may be NULL); output channel c reads input channel c / depth_multiplier. */
void depthwise_conv2d_s8(const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output,
                         const nn_geom_t *geom, int depth_multiplier, const nn_act_t *act,
                         const nn_quant_t *quant);

/* Pooling (out_c == in_c; input and output share scale and zero point, so no offsets).
 * Average pooling divides by the number of in-bounds taps, rounding half away from zero. */
void avg_pool2d_s8(const int8_t *input, int8_t *output, const nn_geom_t *geom, int32_t act_min, int32_t act_max);
void max_pool2d_s8(const int8_t *input, int8_t *output, const nn_geom_t *geom, int32_t act_min, int32_t act_max);

/* ---- Element-wise ADD, TFLite int8 semantics (same shapes, no broadcasting) ---- */
typedef struct {
    int32_t input1_offset, input2_offset; /* -zero points */
    int32_t left_shift;                   /* 20 for int8 in TFLite */
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t output_offset;                /* +output zero point */
    int32_t act_min, act_max;
} nn_add_params_t;

void add_s8(const int8_t *input1, const int8_t *input2, int8_t *output, int size, const nn_add_params_t *p);

/* ---- Softmax, TFLite int8 semantics ----
 * Over the last dimension of [rows][row_size]; output scale 1/256, zero point -128. Parameters
 * as TFLite's Prepare computes them: input_multiplier/input_left_shift from
 * QuantizeMultiplierGreaterThanOne(min(beta * input_scale * 2^26, 2^31 - 1)) and
 * diff_min = -floor((2^5 - 1) * 2^26 / 2^input_left_shift) (CalculateInputRadius(5, shift)). */
void softmax_s8(const int8_t *input, int8_t *output, int rows, int row_size, int32_t input_multiplier,
                int32_t input_left_shift, int32_t diff_min);

/* The same with exp of each difference looked up: exp_table[d] for difference -d, d in 0..255
 * (0 below diff_min), as the generator computes it from the parameters above. */
void softmax_s8_table(const int8_t *input, int8_t *output, int rows, int row_size, const int32_t *exp_table);

#ifdef __cplusplus
}
#endif
#endif
