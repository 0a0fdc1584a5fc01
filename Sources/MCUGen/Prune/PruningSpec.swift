/// What to prune and how, as `--prune STRATEGY[:PARAMS] --sparsity S` give it. Definitions
/// follow shared/reference/workloads.md ("Pruning strategies, one line each"); docs/pruning.md
/// says what each one does here.
public struct PruningSpec: Sendable, Equatable, CustomStringConvertible {
    public enum Strategy: Sendable, Equatable {
        /// A seeded random mask: the baseline every paper compares against.
        case random(seed: UInt64)
        /// The smallest |w| of each layer, to the same sparsity in every layer.
        case magnitude
        /// The smallest |w| across all layers, under one threshold (or per-layer ERK budgets).
        case globalMagnitude
        /// Whole output neurons / filters with the smallest L1 norm, removed from the graph.
        case structured
        /// N kept of every M consecutive weights along the reduction axis.
        case nm(n: Int, m: Int)
        /// Whole H x W tiles of the [out][reduction] weight matrix, by tile L1 norm.
        case block(h: Int, w: Int)
        /// Gradual magnitude pruning during training (Zhu & Gupta's cubic schedule).
        case gmp(epochs: Int)
        /// Iterative magnitude pruning with rewinding (the lottery-ticket procedure): `rounds`
        /// rounds of `epochs` epochs; surviving weights rewind to training step `rewind`
        /// (0: the initialization).
        case imp(rounds: Int, rewind: Int, epochs: Int)
        /// Soft-threshold reparameterization: a learned threshold per layer, weight decay `decay`.
        case str(epochs: Int, decay: Double)

        /// Needs training data (`--data` with train_x and train_y) and a float model.
        public var needsTraining: Bool {
            switch self {
            case .gmp, .imp, .str: return true
            default: return false
            }
        }
    }

    /// How a global budget is split across layers.
    public enum Allocation: String, Sendable, Equatable, CaseIterable {
        /// The same sparsity in every layer.
        case uniform
        /// Erdős–Rényi-Kernel: density proportional to (n_in + n_out + k_h + k_w) / (n_in n_out k_h k_w).
        case erk
        /// One magnitude threshold over all layers (global-magnitude only).
        case global
    }

    public var strategy: Strategy
    /// Fraction of the prunable weights set to zero (of the output channels, for structured).
    public var sparsity: Double
    public var allocation: Allocation
    public var keepFirstDense: Bool
    public var keepLastDense: Bool
    /// Leave DEPTHWISE_CONV_2D layers dense even for a per-weight strategy (`--dense-depthwise`).
    public var denseDepthwise: Bool
    /// Epochs of mask-preserving fine-tuning after pruning (`--finetune`).
    public var finetuneEpochs: Int

    public init(strategy: Strategy, sparsity: Double, allocation: Allocation? = nil, keepFirstDense: Bool = false,
                keepLastDense: Bool = false, denseDepthwise: Bool = false, finetuneEpochs: Int = 0) {
        self.strategy = strategy
        self.sparsity = sparsity
        self.allocation = allocation ?? (strategy == .globalMagnitude ? .global : .uniform)
        self.keepFirstDense = keepFirstDense
        self.keepLastDense = keepLastDense
        self.denseDepthwise = denseDepthwise
        self.finetuneEpochs = finetuneEpochs
    }

    /// Whether this spec prunes DEPTHWISE_CONV_2D weights: the per-weight strategies do (a 3x3
    /// filter loses single taps), unless `denseDepthwise`. N:M groups and blocks run along the
    /// reduction axis of a [out][reduction] matrix and do not fit 9-tap filters; structured
    /// pruning removes channels and shrinks depthwise layers through their producers instead.
    public var prunesDepthwise: Bool {
        guard !denseDepthwise else { return false }
        switch strategy {
        case .random, .magnitude, .globalMagnitude, .gmp, .imp, .str: return true
        case .nm, .block, .structured: return false
        }
    }

    public var description: String {
        switch strategy {
        case let .random(seed): return seed == 1 ? "random" : "random:seed=\(seed)"
        case .magnitude: return "magnitude"
        case .globalMagnitude: return "global-magnitude"
        case .structured: return "structured"
        case let .nm(n, m): return "nm:\(n):\(m)"
        case let .block(h, w): return "block:\(h)x\(w)"
        case let .gmp(epochs): return "gmp:epochs=\(epochs)"
        case let .imp(rounds, rewind, epochs): return "imp:rounds=\(rounds):rewind=\(rewind):epochs=\(epochs)"
        case let .str(epochs, decay): return "str:epochs=\(epochs):decay=\(decay)"
        }
    }

    /// Parses `STRATEGY[:PARAMS]`. `sparsity` is required except for N:M, whose sparsity is
    /// 1 - N/M (a given one must agree). Errors are one line, for the user.
    public static func parse(_ text: String, sparsity: Double?, allocation: Allocation? = nil, keepFirstDense: Bool = false,
                             keepLastDense: Bool = false, denseDepthwise: Bool = false, finetuneEpochs: Int = 0) throws -> PruningSpec {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let name = parts[0].lowercased()
        let params = Array(parts.dropFirst())
        func fail(_ why: String) -> PruningError { .badStrategy(text, why) }
        func bounds(_ r: ClosedRange<Double>) -> String {
            func n(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
            return "\(n(r.lowerBound))...\(n(r.upperBound))"
        }
        func needSparsity() throws -> Double {
            guard let s = sparsity else { throw fail("needs --sparsity S (a fraction in [0, 1), e.g. 0.9)") }
            return s
        }
        let strategy: Strategy
        switch name {
        case "random":
            var seed: UInt64 = 1
            for p in params {
                guard p.hasPrefix("seed="), let v = UInt64(p.dropFirst(5)) else { throw fail("random takes seed=N, not '\(p)'") }
                seed = v
            }
            strategy = .random(seed: seed)
        case "magnitude", "global-magnitude", "structured":
            guard params.isEmpty else { throw fail("\(name) takes no parameters") }
            strategy = name == "magnitude" ? .magnitude : (name == "structured" ? .structured : .globalMagnitude)
        case "nm":
            guard params.count == 2, let n = Int(params[0]), let m = Int(params[1]) else {
                throw fail("write nm:N:M, e.g. nm:2:4")
            }
            guard m >= 2, m <= 16, n >= 1, n < m else { throw fail("N:M needs 1 <= N < M <= 16") }
            strategy = .nm(n: n, m: m)
        case "block":
            let dims = params.first?.lowercased().split(separator: "x").compactMap { Int($0) } ?? []
            guard params.count == 1, dims.count == 2, dims[0] >= 1, dims[1] >= 1, dims[0] * dims[1] >= 2, dims[0] <= 64, dims[1] <= 64 else {
                throw fail("write block:HxW with tiles of 2 to 4096 weights, e.g. block:1x4")
            }
            strategy = .block(h: dims[0], w: dims[1])
        case "gmp", "imp", "str":
            var values: [String: Double] = [:]
            let allowed: [String: ClosedRange<Double>] = name == "gmp" ? ["epochs": 1...1000]
                : name == "imp" ? ["rounds": 1...50, "rewind": 0...1_000_000, "epochs": 1...1000]
                : ["epochs": 1...1000, "decay": 0...1]
            for p in params {
                let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, let range = allowed[kv[0]], let v = Double(kv[1]), range.contains(v) else {
                    let accepted = allowed.sorted { $0.key < $1.key }.map { "\($0.key)=\(bounds($0.value))" }.joined(separator: ", ")
                    throw fail("\(name) takes \(accepted), separated by ':' (e.g. \(name):epochs=10), not '\(p)'")
                }
                values[kv[0]] = v
            }
            switch name {
            case "gmp": strategy = .gmp(epochs: Int(values["epochs"] ?? 30))
            case "imp": strategy = .imp(rounds: Int(values["rounds"] ?? 4), rewind: Int(values["rewind"] ?? 0), epochs: Int(values["epochs"] ?? 15))
            default: strategy = .str(epochs: Int(values["epochs"] ?? 30), decay: values["decay"] ?? 5e-4)
            }
        default:
            throw fail("unknown strategy; use random, magnitude, global-magnitude, structured, nm:N:M, block:HxW, gmp, imp or str")
        }
        var s: Double
        if case let .nm(n, m) = strategy {
            s = 1 - Double(n) / Double(m)
            if let given = sparsity, abs(given - s) > 1e-9 {
                throw fail("nm:\(n):\(m) has sparsity \(s), not \(given); leave --sparsity out")
            }
        } else {
            s = try needSparsity()
        }
        guard s >= 0, s < 1, s.isFinite else { throw fail("sparsity must be in [0, 1), not \(s)") }
        if allocation == .global, strategy != .globalMagnitude {
            throw fail("allocation 'global' (one threshold) applies to global-magnitude only")
        }
        if allocation == .erk, strategy != .globalMagnitude, !isRandom(strategy) {
            throw fail("ERK allocation applies to global-magnitude and random")
        }
        guard finetuneEpochs >= 0, finetuneEpochs <= 1000 else { throw fail("--finetune must be 0 to 1000 epochs") }
        return PruningSpec(strategy: strategy, sparsity: s, allocation: allocation, keepFirstDense: keepFirstDense,
                           keepLastDense: keepLastDense, denseDepthwise: denseDepthwise, finetuneEpochs: finetuneEpochs)
    }

    static func isRandom(_ s: Strategy) -> Bool {
        if case .random = s { return true }
        return false
    }
}

/// Errors of pruning and sparse encoding, written for the user.
public enum PruningError: Error, CustomStringConvertible, Equatable {
    case badStrategy(String, String)
    case badEncoding(String, String)
    case notApplicable(layer: Int, String)

    public var description: String {
        switch self {
        case let .badStrategy(text, why): return "--prune \(text): \(why)"
        case let .badEncoding(text, why): return "--encoding \(text): \(why)"
        case let .notApplicable(layer, why): return "layer \(layer): \(why)"
        }
    }
}
