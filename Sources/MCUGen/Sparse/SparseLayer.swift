/// A FULLY_CONNECTED or CONV_2D layer as the sparse kernels take it: the encoded weight matrix
/// [out channels][reduction] and the bias with the input offset folded in,
/// bias[r] + input_offset * sum(row r), so that the kernels multiply raw int8 inputs.
public struct SparseLayer: Sendable, Equatable {
    public var matrix: SparseMatrix
    public var foldedBias: [Int32]

    public init(weights: [Int8], rows: Int, cols: Int, bias: [Int32]?, inputOffset: Int32, encoding: SparseEncoding) throws {
        matrix = try SparseMatrix.encode(weights, rows: rows, cols: cols, as: encoding)
        foldedBias = (0..<rows).map { r in
            let sum = weights[(r * cols)..<((r + 1) * cols)].reduce(Int32(0)) { $0 &+ Int32($1) }
            return (bias?[r] ?? 0) &+ inputOffset &* sum
        }
    }

    /// int32 words of kernel scratch (nn_sparse_scratch_words in nn_sparse_fc.c, mirrored).
    public var scratchWords: Int { scratchWords(conv: false) }

    public func scratchWords(conv: Bool) -> Int {
        let groups = (matrix.cols + 3) / 4
        var words = 0
        switch matrix.cFormat {
        case 5: words = 192 * (((groups + 1) / 2 + 3) / 4)  // four pixels' 2:4 pair tables, whole chunks of 8 groups
        case 6: words = 3 * groups
        default: words = 0
        }
        // Convolutions: the im2col column, the four pixels' interleaved columns and five words of
        // requantization constants per row (rq4_t).
        return words + (conv ? groups + 1 + 8 * ((groups + 1) / 2) + 5 * matrix.rows : 0)
    }

    /// Host reference of fully_connected_sparse_s8.
    func fullyConnected(input: [Int8], batches: Int, act: KernelReference.Activation, quant: KernelReference.Quant) -> [Int8] {
        var out: [Int8] = []
        out.reserveCapacity(batches * matrix.rows)
        for b in 0..<batches {
            let acc = matrix.multiply(Array(input[(b * matrix.cols)..<((b + 1) * matrix.cols)]))
            for r in 0..<matrix.rows { out.append(KernelReference.finish(acc[r], bias: foldedBias, r, act, quant)) }
        }
        return out
    }

    /// Host reference of conv2d_sparse_s8: an im2col column per pixel, padding taps at the
    /// zero point (-input_offset), then the encoded product.
    func conv2d(input: [Int8], geometry g: KernelReference.Geometry, act: KernelReference.Activation,
                quant: KernelReference.Quant) -> [Int8] {
        var out = [Int8](repeating: 0, count: g.outH * g.outW * g.outC)
        let zeroPoint = Int8(truncatingIfNeeded: -act.inputOffset)
        var column = [Int8](repeating: 0, count: g.kH * g.kW * g.inC)
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                var i = 0
                for ky in 0..<g.kH {
                    for kx in 0..<g.kW {
                        let y = oy * g.strideH - g.padTop + ky, x = ox * g.strideW - g.padLeft + kx
                        let inside = y >= 0 && y < g.inH && x >= 0 && x < g.inW
                        for c in 0..<g.inC { column[i] = inside ? input[(y * g.inW + x) * g.inC + c] : zeroPoint; i += 1 }
                    }
                }
                let acc = matrix.multiply(column)
                let base = (oy * g.outW + ox) * g.outC
                for r in 0..<min(matrix.rows, g.outC) { out[base + r] = KernelReference.finish(acc[r], bias: foldedBias, r, act, quant) }
            }
        }
        return out
    }
}
