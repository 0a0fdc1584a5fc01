/// How a layer's int8 weight matrix is stored and multiplied (firmware/kernels/nn_sparse.h
/// gives the layouts; docs/pruning.md their measured costs).
public enum SparseEncoding: Sendable, Equatable, Hashable, CustomStringConvertible {
    case dense
    case csr8
    case csr16
    case bitmask
    /// N kept of every M columns, a 4-bit position per entry (2:4: an index byte per group of 4).
    case nm(n: Int, m: Int)
    /// Aligned 1x4 blocks along the reduction axis.
    case block4
    /// DEPTHWISE_CONV_2D (depth multiplier 1) only: per channel its kept taps, a uint8 tap
    /// number and an int8 weight each (SparseDepthwise).
    case taps

    public var description: String {
        switch self {
        case .dense: return "dense"
        case .csr8: return "csr8"
        case .csr16: return "csr16"
        case .bitmask: return "bitmask"
        case let .nm(n, m): return "nm:\(n):\(m)"
        case .block4: return "block"
        case .taps: return "taps"
        }
    }

    /// Every encoding `auto` may choose for a FULLY_CONNECTED or CONV_2D layer pruned with
    /// `strategy` (a depthwise layer's are `depthwiseCandidates`).
    public static func candidates(for strategy: PruningSpec.Strategy?) -> [SparseEncoding] {
        var all: [SparseEncoding] = [.dense, .csr8, .csr16, .bitmask, .block4]
        if case let .nm(n, m) = strategy { all.append(.nm(n: n, m: m)) }
        return all
    }

    /// The encodings of a DEPTHWISE_CONV_2D layer with depth multiplier 1 (other multipliers
    /// stay dense).
    public static let depthwiseCandidates: [SparseEncoding] = [.dense, .taps]
}

/// The `--encoding` choice: one encoding for every pruned layer, `auto` (the cost rule), or
/// `measure` (each candidate built and run on the board; the fastest per layer).
public enum EncodingChoice: Sendable, Equatable, CustomStringConvertible {
    case auto
    case measure
    case fixed(SparseEncoding)
    /// `nm` without N and M: the N:M of the pruning strategy.
    case nmOfStrategy

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .measure: return "measure"
        case .nmOfStrategy: return "nm"
        case let .fixed(e): return e.description
        }
    }

    public static func parse(_ text: String) throws -> EncodingChoice {
        let lower = text.lowercased()
        switch lower {
        case "auto": return .auto
        case "measure": return .measure
        case "dense": return .fixed(.dense)
        case "csr8", "csr": return .fixed(.csr8)
        case "csr16": return .fixed(.csr16)
        case "bitmask": return .fixed(.bitmask)
        case "block", "block4": return .fixed(.block4)
        case "nm": return .nmOfStrategy
        default:
            let parts = lower.split(separator: ":")
            if parts.count == 3, parts[0] == "nm", let n = Int(parts[1]), let m = Int(parts[2]), n >= 1, n < m, m <= 16 {
                return .fixed(.nm(n: n, m: m))
            }
            throw PruningError.badEncoding(text, "use auto, measure, dense, csr8, csr16, bitmask, block or nm[:N:M]")
        }
    }
}
