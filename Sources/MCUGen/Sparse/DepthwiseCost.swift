/// `--encoding auto` for DEPTHWISE_CONV_2D layers (depth multiplier 1): dense or taps, by the
/// measured cycles per output (one channel at one pixel) of each kernel. Dense costs the same
/// for every output; the taps kernel costs what a channel's number of kept taps n costs, and
/// it copies the input planes of four channels at a time (perGroup per pixel, for each group
/// of four channels with any tap; perOutput[n] was measured with every group copied, a
/// quarter of perGroup per channel):
///     dense = densePerOutput x channels
///     taps  = sum over channels of (perOutput[n] - perGroup / 4 if n > 0, else perOutput[0])
///             + perGroup x groups with taps
/// (per output pixel). perOutput measured on 2026-11-21 on the DS-CNN's shape (3x3 SAME over
/// 25x5x64) with every channel keeping n taps, perGroup fitted to magnitude-pruned layers at
/// 80-95% (Tests/MCUSimTests/DepthwiseCostTests prints them again, and checks that the choice
/// is within 10% of the faster kernel and the estimate within 15%; docs/pruning.md).
public enum DepthwiseCost {
    public struct Coefficients: Sendable, Equatable {
        public var densePerOutput: Double
        /// Cycles per output of a channel with n = 0, 1, ... kept taps (0: a copied byte).
        public var perOutput: [Double]
        /// Past the table's last n, per further tap.
        public var perExtraTap: Double
        /// Copying four channels' input planes, per output pixel.
        public var perGroup: Double
    }

    /// `dsp`: max32660 (Cortex-M4F: the SMLAD dense kernel; taps in assembly passes of two taps,
    /// so an odd n costs about 12 cycles more than n - 1 and an even one 2 more: 7 per tap past
    /// the table, on average); otherwise samd21 (Cortex-M0+, plain C for both).
    public static func coefficients(dsp: Bool) -> Coefficients {
        dsp ? Coefficients(densePerOutput: 84.0, perOutput: [2.4, 23.4, 25.6, 37.5, 39.7, 51.7, 53.8, 65.8, 67.9, 79.9],
                           perExtraTap: 7.0, perGroup: 16)
            : Coefficients(densePerOutput: 922.9, perOutput: [5.2, 253.1, 279.8, 307.0, 334.0, 361.0, 387.8, 415.0, 441.9, 468.8],
                           perExtraTap: 27.0, perGroup: 70)
    }

    /// Estimated cycles of one output pixel (all channels); `weights` is the taps matrix
    /// [channels][taps]. nil for other encodings or a filter the taps encoding cannot hold.
    public static func estimate(_ weights: [Int8], channels: Int, taps: Int, encoding: SparseEncoding, dsp: Bool) -> Double? {
        guard channels > 0, taps > 0, weights.count == channels * taps else { return nil }
        let k = coefficients(dsp: dsp)
        switch encoding {
        case .dense:
            return k.densePerOutput * Double(channels)
        case .taps:
            guard taps <= 256 else { return nil }
            let last = k.perOutput.count - 1
            let kept = (0..<channels).map { c in weights[(c * taps)..<((c + 1) * taps)].reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
            let groups = stride(from: 0, to: channels, by: 4).filter { g in kept[g..<min(g + 4, channels)].contains { $0 > 0 } }.count
            return kept.reduce(k.perGroup * Double(groups)) { sum, n in
                if n == 0 { return sum + k.perOutput[0] }
                return sum - k.perGroup / 4 + (n <= last ? k.perOutput[n] : k.perOutput[last] + k.perExtraTap * Double(n - last))
            }
        default:
            return nil
        }
    }

    /// Dense or taps, whichever the rule estimates cheaper (ties: dense, which stores no index).
    public static func choose(_ weights: [Int8], channels: Int, taps: Int, dsp: Bool) -> SparseEncoding {
        guard let dense = estimate(weights, channels: channels, taps: taps, encoding: .dense, dsp: dsp),
              let sparse = estimate(weights, channels: channels, taps: taps, encoding: .taps, dsp: dsp) else { return .dense }
        return sparse < dense ? .taps : .dense
    }
}
