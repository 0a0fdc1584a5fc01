/// `--encoding auto`: the cheapest encoding per layer by a cost rule calibrated from mcusim
/// measurements of the kernels (docs/pruning.md, "Calibrating auto"; re-measured by
/// Tests/MCUSimTests/SparseKernelTests). The rule estimates the cycles of one column vector
/// (one FC input row or one conv output pixel): a cost per stored unit (entry, block, group
/// or dense MAC), a cost per row, and a per-column set-up; ties go to the smaller storage.
public enum EncodingSelector {
    /// Cycles per unit, per row and per column of one kernel on one kind of core.
    public struct Cost: Sendable, Equatable {
        public var perUnit: Double
        public var perRow: Double
        public var perColumnSetup: Double
    }

    /// Measured on max32660 (Cortex-M4F, flash without wait states) and rp2040 (Cortex-M0+)
    /// by SparseKernelTests' calibration layers; see docs/pruning.md.
    public static func cost(of encoding: SparseEncoding, dsp: Bool) -> Cost {
        switch (encoding, dsp) {
        case (.dense, true): return Cost(perUnit: 2.3, perRow: 22, perColumnSetup: 40)
        case (.dense, false): return Cost(perUnit: 6.0, perRow: 22, perColumnSetup: 20)
        case (.csr8, _): return Cost(perUnit: dsp ? 5.0 : 6.5, perRow: 26, perColumnSetup: 20)
        case (.csr16, _): return Cost(perUnit: dsp ? 4.5 : 6.0, perRow: 26, perColumnSetup: 20)
        case (.bitmask, _): return Cost(perUnit: dsp ? 7.0 : 20.0, perRow: 26, perColumnSetup: 20)
        case (.nm, true): return Cost(perUnit: 3.0, perRow: 26, perColumnSetup: 20)
        case (.nm, false): return Cost(perUnit: 6.5, perRow: 26, perColumnSetup: 20)
        case (.block4, true): return Cost(perUnit: 9.0, perRow: 26, perColumnSetup: 20)
        case (.block4, false): return Cost(perUnit: 22.0, perRow: 26, perColumnSetup: 20)
        }
    }

    /// Estimated cycles of one column vector through `weights` [rows][cols] in `encoding`;
    /// nil when the encoding cannot hold the matrix.
    public static func estimate(_ weights: [Int8], rows: Int, cols: Int, encoding: SparseEncoding, dsp: Bool) -> Double? {
        let units: Int
        if encoding == .dense {
            units = rows * cols
        } else {
            guard let m = try? SparseMatrix.encode(weights, rows: rows, cols: cols, as: encoding) else { return nil }
            switch encoding {
            case .block4: units = m.rowCount.reduce(0) { $0 + Int($1) }
            case .bitmask: units = m.values.count + rows * ((cols + 31) / 32)
            case let .nm(n, mm) where SparseMatrix.usesPatternCodes(n: n, m: mm, cols: cols): units = m.values.count / 2
            default: units = m.values.count
            }
        }
        let c = cost(of: encoding, dsp: dsp)
        var setup = c.perColumnSetup
        if case let .nm(n, mm) = encoding, SparseMatrix.usesPatternCodes(n: n, m: mm, cols: cols), dsp { setup += 2.5 * Double(cols) }
        if encoding == .block4, dsp { setup += 3 * Double(cols) }
        return c.perUnit * Double(units) + c.perRow * Double(rows) + setup
    }

    /// The cheapest of `candidates` for this matrix, and the estimates that decided it.
    public static func choose(_ weights: [Int8], rows: Int, cols: Int, candidates: [SparseEncoding], dsp: Bool)
        -> (encoding: SparseEncoding, estimates: [(SparseEncoding, Double)]) {
        let estimates = candidates.compactMap { e in estimate(weights, rows: rows, cols: cols, encoding: e, dsp: dsp).map { (e, $0) } }
        let best = estimates.min { $0.1 != $1.1 ? $0.1 < $1.1 : storage($0.0, weights, rows, cols) < storage($1.0, weights, rows, cols) }
        return (best?.0 ?? .dense, estimates)
    }

    static func storage(_ e: SparseEncoding, _ w: [Int8], _ rows: Int, _ cols: Int) -> Int {
        guard let m = try? SparseMatrix.encode(w, rows: rows, cols: cols, as: e) else { return Int.max }
        return m.weightBytes + m.indexBytes
    }
}
