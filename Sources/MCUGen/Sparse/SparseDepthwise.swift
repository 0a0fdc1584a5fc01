/// A DEPTHWISE_CONV_2D layer with depth multiplier 1 as depthwise_conv2d_sparse_s8 takes it
/// (firmware/kernels/nn_sparse.h, NN_SPARSE_DW_TAPS): the filters as a taps matrix
/// [rows = channels][cols = kH x kW] (the transpose of TFLite's [1, kH, kW, C]), and the bias
/// with the input offset folded in, bias[c] + input_offset x sum(filter c). Padding taps read
/// the zero point, so sum w (x + offset) over all taps = sum w x + offset sum w holds for
/// them too, bit for bit in wrapping int32.
public struct SparseDepthwise: Sendable, Equatable {
    public var matrix: SparseMatrix
    public var foldedBias: [Int32]

    /// `weights` in tensor order [1][kH][kW][channels].
    public init(weights: [Int8], channels: Int, taps: Int, bias: [Int32]?, inputOffset: Int32) throws {
        guard channels > 0, taps > 0, weights.count == channels * taps,
              let layout = WeightLayout(kind: .depthwiseConv2D, shape: [1, 1, taps, channels]) else {
            throw PruningError.badEncoding("taps", "the weights are not \(taps) taps of \(channels) channels")
        }
        let rows = layout.matrix(weights)
        matrix = try SparseMatrix.encode(rows, rows: channels, cols: taps, as: .taps)
        foldedBias = (0..<channels).map { c in
            let sum = rows[(c * taps)..<((c + 1) * taps)].reduce(Int32(0)) { $0 &+ Int32($1) }
            return (bias?[c] ?? 0) &+ inputOffset &* sum
        }
    }

    /// int32 words of kernel scratch (nn_sparse_depthwise_scratch_words, mirrored): four
    /// channels' input planes, interleaved a word per pixel, with a border of zero points
    /// covering every window of the output; a word per tap (offsets); the accumulators of one
    /// output line along the longer axis; a byte per channel (outputs of channels without taps);
    /// 3 words per two taps (a channel's passes).
    public static func scratchWords(geometry g: KernelReference.Geometry) -> Int {
        ((g.outH - 1) * g.strideH + g.kH) * ((g.outW - 1) * g.strideW + g.kW) + g.kH * g.kW + max(g.outH, g.outW)
            + (g.outC + 3) / 4 + 3 * ((g.kH * g.kW + 1) / 2)
    }

    /// Host reference of depthwise_conv2d_sparse_s8: per pixel and channel, the stored taps in
    /// storage order, raw inputs (the zero point in the padding), then bias and requantization.
    public func run(input: [Int8], geometry g: KernelReference.Geometry, act: KernelReference.Activation,
             quant: KernelReference.Quant) -> [Int8] {
        var out = [Int8](repeating: 0, count: g.outH * g.outW * g.outC)
        let zeroPoint = Int32(Int8(truncatingIfNeeded: -act.inputOffset))
        var acc = [Int32](repeating: 0, count: matrix.rows)
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                for r in acc.indices { acc[r] = 0 }
                matrix.forEachEntry { c, tap, w in
                    let y = oy * g.strideH - g.padTop + tap / g.kW, x = ox * g.strideW - g.padLeft + tap % g.kW
                    let inside = y >= 0 && y < g.inH && x >= 0 && x < g.inW
                    acc[c] &+= Int32(w) * (inside ? Int32(input[(y * g.inW + x) * g.inC + c]) : zeroPoint)
                }
                let base = (oy * g.outW + ox) * g.outC
                for c in 0..<min(matrix.rows, g.outC) { out[base + c] = KernelReference.finish(acc[c], bias: foldedBias, c, act, quant) }
            }
        }
        return out
    }
}
