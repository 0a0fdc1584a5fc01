/* Softmax (TFLite SOFTMAX, int8 in, int8 out with scale 1/256 and zero point -128).
 *
 * TFLite's integer softmax in gemmlowp fixed point: differences to the row maximum are scaled
 * by beta * input_scale into Q5.26 (5 integer bits), exponentiated with exp_on_negative_values
 * (a Taylor polynomial on [-1/4, 0) and a barrel shifter of exp(-2^k) constants), summed in
 * Q12.19, and the sum inverted by Newton-Raphson in Q2.29. Written out here with the Q format
 * of each value in its name's comment; every multiply is the saturating rounding doubling
 * high multiply of mcusim_nn.h. */
#include "nn_internal.h"

/* Saturating x * 2^exponent for exponent > 0 (gemmlowp SaturatingRoundingMultiplyByPOT). */
static int32_t sat_shift_left(int32_t x, int exponent) {
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
}

static int32_t mul(int32_t a, int32_t b) { return nn_sat_rounding_doubling_high_mul(a, b); }

/* exp(a) for a in [-1/4, 0), a and result in Q0.31: Taylor expansion around -1/8. */
static int32_t exp_quarter_interval(int32_t a) {
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0.31 */
    const int32_t one_third = 715827883;             /* 1/3 in Q0.31 */
    const int32_t x = a + (1 << 28);                 /* a + 1/8 */
    const int32_t x2 = mul(x, x), x3 = mul(x2, x), x4 = mul(x2, x2);
    const int32_t x4_over_4 = nn_rounding_divide_by_pot(x4, 2);
    const int32_t poly = nn_rounding_divide_by_pot(mul(x4_over_4 + x3, one_third) + x2, 1); /* x^4/24 + x^3/6 + x^2/2 */
    return exp_minus_one_eighth + mul(exp_minus_one_eighth, x + poly);
}

/* exp(a) for a <= 0, a in Q5.26, result in Q0.31. */
static int32_t exp_on_negative_values(int32_t a) {
    static const int32_t exp_minus_pow2[7] = {
        1672461947, /* exp(-1/4) */
        1302514674, /* exp(-1/2) */
        790015084,  /* exp(-1)   */
        290630308,  /* exp(-2)   */
        39332535,   /* exp(-4)   */
        720401,     /* exp(-8)   */
        242,        /* exp(-16)  */
    };
    if (a == 0) return INT32_MAX; /* One in Q0.31 */
    const int32_t quarter = 1 << 24; /* 1/4 in Q5.26 */
    const int32_t a_mod_quarter_minus_quarter = (a & (quarter - 1)) - quarter;
    int32_t result = exp_quarter_interval(sat_shift_left(a_mod_quarter_minus_quarter, 5)); /* Q5.26 -> Q0.31 */
    const int32_t remainder = a_mod_quarter_minus_quarter - a; /* the multiple of 1/4 still to apply */
    for (int k = 0; k < 7; k++) {
        if (remainder & (1 << (24 + k))) result = mul(result, exp_minus_pow2[k]);
    }
    return result;
}

/* (a + b) / 2 rounded half away from zero, without overflow (gemmlowp RoundingHalfSum). */
static int32_t rounding_half_sum(int32_t a, int32_t b) {
    const int64_t sum = (int64_t)a + b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out: Newton-Raphson in Q2.29. */
static int32_t one_over_one_plus_x(int32_t a) {
    const int32_t half_denominator = rounding_half_sum(a, INT32_MAX); /* (1 + a) / 2, Q0.31 */
    const int32_t c48_17 = 1515870810, cneg32_17 = -1010580540;  /* 48/17, -32/17 in Q2.29 */
    int32_t x = c48_17 + mul(half_denominator, cneg32_17);
    for (int i = 0; i < 3; i++) {
        const int32_t one_minus = (1 << 29) - mul(half_denominator, x);     /* Q2.29 */
        x = x + sat_shift_left(mul(x, one_minus), 2);                        /* Q4.27 -> Q2.29 */
    }
    return sat_shift_left(x, 1); /* x/2 in Q1.30 -> Q0.31 */
}

/* 1/sum (sum in Q12.19) as the Q0.31 reciprocal of the sum normalised to [1, 2), with the
 * normalisation's exponent in *num_bits_over_unit. */
static int32_t reciprocal(int32_t sum, int *num_bits_over_unit) {
    const int headroom_plus_one = __builtin_clz((uint32_t)sum);
    *num_bits_over_unit = 12 - headroom_plus_one;
    const int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)sum << headroom_plus_one) - (1u << 31));
    return one_over_one_plus_x(shifted_sum_minus_one);
}

void softmax_s8(const int8_t *input, int8_t *output, int rows, int row_size, int32_t input_multiplier,
                int32_t input_left_shift, int32_t diff_min) {
    for (int r = 0; r < rows; r++) {
        const int8_t *in = input + r * row_size;
        int8_t *out = output + r * row_size;
        int32_t max = -128;
        for (int c = 0; c < row_size; c++) if (in[c] > max) max = in[c];

        int32_t sum = 0; /* Q12.19 */
        for (int c = 0; c < row_size; c++) {
            const int32_t diff = in[c] - max;
            if (diff >= diff_min) {
                const int32_t scaled = mul((int32_t)((uint32_t)diff << input_left_shift), input_multiplier); /* Q5.26 */
                sum += nn_rounding_divide_by_pot(exp_on_negative_values(scaled), 12); /* Q0.31 -> Q12.19 */
            }
        }

        int num_bits_over_unit;
        const int32_t shifted_scale = reciprocal(sum, &num_bits_over_unit);

        for (int c = 0; c < row_size; c++) {
            const int32_t diff = in[c] - max;
            int32_t v = -128;
            if (diff >= diff_min) {
                const int32_t scaled = mul((int32_t)((uint32_t)diff << input_left_shift), input_multiplier);
                const int32_t e = exp_on_negative_values(scaled);
                v = nn_rounding_divide_by_pot(mul(shifted_scale, e), num_bits_over_unit + 31 - 8) - 128;
            }
            out[c] = (int8_t)nn_clamp(v, -128, 127);
        }
    }
}

/* The same softmax with exp looked up: exp_table[d] is exp_on_negative_values of the scaled
 * difference -d (0 where -d < diff_min), computed by the generator from the layer's parameters.
 * Each element then costs a load instead of two polynomial evaluations. */
void softmax_s8_table(const int8_t *input, int8_t *output, int rows, int row_size, const int32_t *exp_table) {
    for (int r = 0; r < rows; r++) {
        const int8_t *in = input + r * row_size;
        int8_t *out = output + r * row_size;
        int32_t max = -128;
        for (int c = 0; c < row_size; c++) if (in[c] > max) max = in[c];

        int32_t sum = 0; /* Q12.19 */
        for (int c = 0; c < row_size; c++) sum += nn_rounding_divide_by_pot(exp_table[max - in[c]], 12);

        int num_bits_over_unit;
        const int32_t shifted_scale = reciprocal(sum, &num_bits_over_unit);
        const int shift = num_bits_over_unit + 31 - 8;

        for (int c = 0; c < row_size; c++) {
            int32_t v = nn_rounding_divide_by_pot(mul(shifted_scale, exp_table[max - in[c]]), shift) - 128;
            out[c] = (int8_t)nn_clamp(v, -128, 127);
        }
    }
}
