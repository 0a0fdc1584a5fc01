/// `--encoding auto` for DEPTHWISE_CONV_2D layers (depth multiplier 1): dense or taps, by a
/// cost rule per output pixel fitted to mcusim measurements (Tests/MCUSimTests/
/// DepthwiseCostTests re-measures them and checks the choice; docs/pruning.md has the table):
///     dense = perOutput x channels
///     taps  = perPixel + perTap x kept taps + perChannel x channels with taps
///             + perEmptyChannel x channels without
public enum DepthwiseCost {
    public struct Coefficients: Sendable, Equatable {
        public var densePerOutput: Double
        public var perPixel: Double
        public var perTap: Double
        public var perChannel: Double
        public var perEmptyChannel: Double
    }

    /// `dsp`: max32660 (Cortex-M4F, the SMLAD dense kernel); otherwise samd21 (Cortex-M0+).
    public static func coefficients(dsp: Bool) -> Coefficients {
        dsp ? Coefficients(densePerOutput: 84, perPixel: 80, perTap: 9, perChannel: 25, perEmptyChannel: 0.5)
            : Coefficients(densePerOutput: 909, perPixel: 200, perTap: 30, perChannel: 120, perEmptyChannel: 1)
    }

    /// Estimated cycles of one output pixel; `weights` is the taps matrix [channels][taps].
    public static func estimate(_ weights: [Int8], channels: Int, taps: Int, encoding: SparseEncoding, dsp: Bool) -> Double? {
        guard channels > 0, taps > 0, weights.count == channels * taps else { return nil }
        let k = coefficients(dsp: dsp)
        switch encoding {
        case .dense:
            return k.densePerOutput * Double(channels)
        case .taps:
            guard taps <= 256 else { return nil }
            let kept = weights.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
            let withTaps = (0..<channels).filter { c in weights[(c * taps)..<((c + 1) * taps)].contains { $0 != 0 } }.count
            return k.perPixel + k.perTap * Double(kept) + k.perChannel * Double(withTaps)
                + k.perEmptyChannel * Double(channels - withTaps)
        default:
            return nil
        }
    }

    /// Dense or taps, whichever the rule estimates cheaper (ties: dense).
    public static func choose(_ weights: [Int8], channels: Int, taps: Int, dsp: Bool) -> SparseEncoding {
        guard let dense = estimate(weights, channels: channels, taps: taps, encoding: .dense, dsp: dsp),
              let sparse = estimate(weights, channels: channels, taps: taps, encoding: .taps, dsp: dsp) else { return .dense }
        return sparse < dense ? .taps : .dense
    }
}
