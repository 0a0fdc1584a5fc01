/// `--encoding auto`: the cheapest encoding per layer by a cost rule calibrated from mcusim
/// measurements (Tests/MCUSimTests/SparseCostTests, which re-measures them and checks that the
/// rule picks within 10% of the best; docs/pruning.md has the table). The rule estimates the
/// cycles of one column vector (an FC input row, or one conv output pixel):
///     cost = perUnit x units + perRow x rows + perMaskWord x (rows x ceil(cols / 32))
/// where a unit is a dense MAC, a stored entry (CSR, bitmask), a kept 1x4 block, or a kept N:M
/// group. Ties go to the smaller storage, so dense wins where sparse does not pay.
public enum EncodingSelector {
    /// Cycles per unit, per row and per bitmask word of one kernel.
    public struct Cost: Sendable, Equatable {
        public var perUnit: Double
        public var perRow: Double
        public var perMaskWord: Double = 0
    }

    /// Fitted on 2026-11-21 to FC 256->64 and 1x1 conv 64->64 (25x5 pixels) at 50-95% sparsity
    /// (checked on FC 64->32 too); CSR on the DSP path refitted (least squares over both FC shapes
    /// and the conv, within 3%) after its kernels moved to SMLAD pairs and block requantization:
    /// `dsp` on max32660 (Cortex-M4F, SMLAD paths), otherwise samd21 (Cortex-M0+, plain C).
    /// `conv` is the per-pixel cost of a convolution, whose CSR, block and 2:4 kernels handle
    /// four pixels per pass over the weights; FC layers run one column at a time.
    public static func cost(of encoding: SparseEncoding, dsp: Bool, conv: Bool) -> Cost {
        switch (encoding, dsp, conv) {
        case (.dense, true, false): return Cost(perUnit: 1.835, perRow: 87)
        case (.dense, true, true): return Cost(perUnit: 2.27, perRow: 0)
        case (.dense, false, false): return Cost(perUnit: 16.0, perRow: 274)
        case (.dense, false, true): return Cost(perUnit: 20.2, perRow: 0)
        case (.csr16, true, false): return Cost(perUnit: 6.0, perRow: 83)
        case (.csr16, true, true): return Cost(perUnit: 2.52, perRow: 53)
        case (.csr16, false, false): return Cost(perUnit: 16.0, perRow: 289)
        case (.csr16, false, true): return Cost(perUnit: 11.1, perRow: 195)
        case (.csr8, true, false): return Cost(perUnit: 7.5, perRow: 85)
        case (.csr8, true, true): return Cost(perUnit: 3.15, perRow: 53)
        case (.csr8, false, false): return Cost(perUnit: 17.3, perRow: 284)
        case (.csr8, false, true): return Cost(perUnit: 10.6, perRow: 200)
        case (.bitmask, true, false): return Cost(perUnit: 12.2, perRow: 86, perMaskWord: 8.6)
        case (.bitmask, true, true): return Cost(perUnit: 11.9, perRow: 85, perMaskWord: 0)
        case (.bitmask, false, false): return Cost(perUnit: 28, perRow: 289, perMaskWord: 15)
        case (.bitmask, false, true): return Cost(perUnit: 28, perRow: 195, perMaskWord: 47)
        case (.block4, true, false): return Cost(perUnit: 15.1, perRow: 125)
        case (.block4, true, true): return Cost(perUnit: 11.4, perRow: 50)
        case (.block4, false, false): return Cost(perUnit: 66, perRow: 260)
        case (.block4, false, true): return Cost(perUnit: 37.6, perRow: 219)
        // 2:4 (index bytes, pair tables on the DSP path): refitted on 2026-11-21 to the measured
        // 2:4 rows of SparseCostTests after the index-byte kernels (FC: both FC shapes exactly,
        // again once firmware linked only the kernels it uses; conv: the 1x1 layer, per-row cost
        // kept from the earlier fit).
        case (.nm(2, 4), true, false): return Cost(perUnit: 5.80, perRow: 46.7)
        case (.nm(2, 4), true, true): return Cost(perUnit: 3.01, perRow: 42)
        case (.nm(2, 4), false, false): return Cost(perUnit: 49.9, perRow: 287)
        case (.nm(2, 4), false, true): return Cost(perUnit: 25.4, perRow: 195)
        case (.nm, true, false): return Cost(perUnit: 9.7, perRow: 90)
        case (.nm, true, true): return Cost(perUnit: 5.2, perRow: 47)
        case (.nm, false, false): return Cost(perUnit: 24.8, perRow: 289)
        case (.nm, false, true): return Cost(perUnit: 26.6, perRow: 195)
        case (.taps, _, _): return Cost(perUnit: .infinity, perRow: 0)  // depthwise only: depthwiseEstimate
        }
    }

    /// Estimated cycles of one column vector through `weights` [rows][cols] in `encoding`;
    /// nil when the encoding cannot hold the matrix.
    public static func estimate(_ weights: [Int8], rows: Int, cols: Int, encoding: SparseEncoding, dsp: Bool,
                                conv: Bool = false) -> Double? {
        guard encoding != .taps else { return nil }
        let units: Int
        if encoding == .dense {
            units = rows * cols
        } else {
            guard let m = try? SparseMatrix.encode(weights, rows: rows, cols: cols, as: encoding) else { return nil }
            switch encoding {
            case .block4: units = m.rowCount.reduce(0) { $0 + Int($1) }
            case let .nm(n, _): units = m.values.count / max(n, 1)
            default: units = m.values.count
            }
        }
        let c = cost(of: encoding, dsp: dsp, conv: conv)
        let maskWords = encoding == .bitmask ? rows * ((cols + 31) / 32) : 0
        return c.perUnit * Double(units) + c.perRow * Double(rows) + c.perMaskWord * Double(maskWords)
    }

    /// The cheapest of `candidates` for this matrix, and the estimates that decided it.
    public static func choose(_ weights: [Int8], rows: Int, cols: Int, candidates: [SparseEncoding], dsp: Bool, conv: Bool = false)
        -> (encoding: SparseEncoding, estimates: [(SparseEncoding, Double)]) {
        let estimates = candidates.compactMap { e in
            estimate(weights, rows: rows, cols: cols, encoding: e, dsp: dsp, conv: conv).map { (e, $0) }
        }
        // Storage breaks ties; computed once per candidate, not per comparison.
        let ranked = estimates.map { ($0.0, $0.1, storage($0.0, weights, rows, cols)) }
        let best = ranked.min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.2 < $1.2 }
        return (best?.0 ?? .dense, estimates)
    }

    static func storage(_ e: SparseEncoding, _ w: [Int8], _ rows: Int, _ cols: Int) -> Int {
        guard let m = try? SparseMatrix.encode(w, rows: rows, cols: cols, as: e) else { return Int.max }
        return m.weightBytes + m.indexBytes
    }
}
