/* mcusim_nn sparse kernels: fully connected and convolution layers whose int8 weight matrix
 * [rows = output channels][cols = reduction length] is stored in a sparse encoding.
 *
 * Conventions shared by every encoding:
 *  - the column vector x (an FC input row, or one im2col column of a convolution, OHWI order)
 *    is int8 and is used as it is: the input offset is folded into `bias` by the generator,
 *    bias[r] = bias_model[r] + input_offset * sum(weights of row r), which is the same int32
 *    arithmetic as adding the offset to every input (padding taps read the zero point, so
 *    they contribute 0);
 *  - results are requantized exactly as the dense kernels do (nn_finish), so sparse and dense
 *    builds of the same pruned model are bit-identical.
 *
 * The encodings (docs/pruning.md gives their storage cost and measured cycles):
 *  CSR8     values[nnz], uint8 deltas[nnz]: column = previous column + delta (the first from
 *           column 0); gaps over 255 are bridged by filler entries of value 0, delta 255.
 *           row_count[r] = entries in row r (fillers included).
 *  CSR16    values[nnz], uint16 columns[nnz], row_count[r].
 *  BITMASK  uint32 mask[rows][(cols + 31) / 32] (bit j of word k = column 32k + j), values
 *           packed row by row in column order.
 *  NM       exactly n entries per group of m columns: values[rows][groups][n] and a 4-bit
 *           position in the group per entry, two per byte, low nibble first.
 *  NM24     2:4 (cols a multiple of 4, each row padded to an even number of groups): one
 *           index byte per group, (g mod 8) x 24 + 4 x pattern (patterns 0..5 = positions 01
 *           02 03 12 13 23), the byte offset of the group's input pair in a one-column pair
 *           table (six int16-pair words per group) from the table of its chunk of eight groups;
 *           values of groups 2k and 2k+1 interleaved as a0 b0 a1 b1 so that SXTB16 (ROR 8)
 *           yields each group's pair. The DSP path multiplies each group's pair with one LDR
 *           [chunk table, index byte] and one SMLAD; the four-pixel path scales the byte by 4.
 *  BLOCK4   aligned 1x4 blocks along the reduction axis: uint16 block columns (column / 4),
 *           four values per block, row_count[r] = blocks in row r. Two SMLAD per block.
 */
#ifndef MCUSIM_NN_SPARSE_H
#define MCUSIM_NN_SPARSE_H

#include "mcusim_nn.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    NN_SPARSE_CSR8 = 1,
    NN_SPARSE_CSR16 = 2,
    NN_SPARSE_BITMASK = 3,
    NN_SPARSE_NM = 4,
    NN_SPARSE_NM24 = 5,
    NN_SPARSE_BLOCK4 = 6,
};

/* The formats a firmware uses, as a mask of (1 << NN_SPARSE_*). The generator passes it with
 * -DNN_SPARSE_FORMATS, so that the dispatch calls only those kernels and the linker drops the
 * rest (a CSR model does not carry the 2:4 assembly). Without it, every format is available. */
#ifndef NN_SPARSE_FORMATS
#define NN_SPARSE_FORMATS 0xFFFFFFFFu
#endif
#define NN_SPARSE_USES(format) ((((unsigned)(NN_SPARSE_FORMATS)) >> (format)) & 1u)

typedef struct {
    int format;                 /* NN_SPARSE_* */
    int rows, cols;             /* output channels, reduction length */
    int n, m;                   /* NM only */
    const int8_t *values;
    const void *index;          /* deltas, columns, mask words, positions or codes */
    const uint16_t *row_count;  /* CSR8, CSR16, BLOCK4 */
    const int32_t *bias;        /* folded bias (see above); never NULL */
} nn_sparse_t;

/* Scratch in int32 words that a layer needs: the NM24 pair tables (six words per group of
 * four columns for each of four pixels, in whole chunks of eight groups), a zero-padded copy of
 * x when a BLOCK4 row ends in a partial block, and for convolutions the im2col column. */
int nn_sparse_scratch_words(const nn_sparse_t *w, int conv);

/* out[r] for r in 0..rows-1 from one column vector x[cols]. */
void nn_sparse_matvec(const nn_sparse_t *w, const int8_t *x, int8_t *out, const nn_act_t *act,
                      const nn_quant_t *quant, int32_t *scratch);

/* input [batches][cols] -> output [batches][rows]. */
void fully_connected_sparse_s8(const int8_t *input, const nn_sparse_t *w, int8_t *output, int batches,
                               const nn_act_t *act, const nn_quant_t *quant, int32_t *scratch);

/* NHWC convolution with OHWI weights flattened to [out_c][k_h * k_w * in_c]. 1x1, stride 1,
 * unpadded convolutions read each input pixel in place; others gather an im2col column. */
void conv2d_sparse_s8(const int8_t *input, const nn_sparse_t *w, int8_t *output, const nn_geom_t *geom,
                      const nn_act_t *act, const nn_quant_t *quant, int32_t *scratch);

/* ---- Depthwise convolution, depth multiplier 1 (nn_sparse_depthwise.c) ----
 * DW_TAPS  the filter of channel c is a row of the matrix [rows = channels][cols = k_h * k_w]
 *          (the transpose of TFLite's [1][k_h][k_w][channels] tensor): uint8 tap numbers
 *          ky * k_w + kx in `index`, values[nnz], row_count[c] = kept taps of channel c.
 *          `bias` is folded as above (padding taps read the zero point). */
enum { NN_SPARSE_DW_TAPS = 16 };

/* Scratch in int32 words: one channel's input plane inside a border of zero points (every
 * window of the output), and a word per tap. */
int nn_sparse_depthwise_scratch_words(const nn_geom_t *geom);

/* NHWC depthwise convolution with in_c == out_c == w->rows, one channel at a time. */
void depthwise_conv2d_sparse_s8(const int8_t *input, const nn_sparse_t *w, int8_t *output, const nn_geom_t *geom,
                                const nn_act_t *act, const nn_quant_t *quant, int32_t *scratch);

#ifdef __cplusplus
}
#endif
#endif
