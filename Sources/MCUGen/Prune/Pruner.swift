/// What pruning did to one layer.
public struct LayerPruning: Sendable, Equatable {
    public var layer: Int
    public var kind: OperatorKind
    /// Weights in the layer after pruning (a structured layer has fewer).
    public var weights: Int
    public var nonzeros: Int
    /// Output channels removed by structured pruning.
    public var removedChannels: Int
    public var sparsity: Double { weights == 0 ? 0 : 1 - Double(nonzeros) / Double(weights) }
}

/// Applies a `PruningSpec` to a model: float32 weights before quantization, or int8 weights
/// of an int8-only model. Pruned weights become exact zeros (symmetric quantization keeps them
/// zero); structured pruning removes the channels from the graph instead. The prunable layers
/// are CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED with constant weights; which of them a
/// spec prunes is `candidateLayers` (depthwise only for the per-weight strategies).
public enum Pruner {
    public static func prune(_ model: Model, spec: PruningSpec, file: String) throws -> (model: Model, layers: [LayerPruning]) {
        let candidates = candidateLayers(model, spec: spec)
        var pruned = model
        var removed: [Int: Int] = [:]
        if case .structured = spec.strategy {
            removed = try StructuredPruner.prune(&pruned, layers: candidates, ratio: spec.sparsity, file: file)
        } else {
            let magnitudes = try candidates.map { layer -> [Float] in
                let w = try weightTensor(model, layer, file)
                guard let values = FloatReference.floats(w) else {
                    throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): weights are not float32 or int8")
                }
                return values.map(abs)
            }
            let shapes = try candidates.map { try matrixShape(model, $0, file) }
            let keeps = masks(spec: spec, layers: candidates, magnitudes: magnitudes, shapes: shapes, model: model)
            for (i, layer) in candidates.enumerated() {
                let index = pruned.operators[layer].inputs[1]
                zeroWeights(&pruned.tensors[index], keep: keeps[i])
            }
        }
        return (pruned, try report(pruned, removed: removed, file: file))
    }

    /// Weights and nonzeros of every prunable layer (after quantization, rounding may add zeros).
    public static func report(_ model: Model, removed: [Int: Int] = [:], file: String) throws -> [LayerPruning] {
        try prunableLayers(model).map { layer -> LayerPruning in
            let w = try weightTensor(model, layer, file)
            let values = FloatReference.floats(w) ?? []
            return LayerPruning(layer: layer, kind: model.operators[layer].kind, weights: values.count,
                                nonzeros: values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }, removedChannels: removed[layer] ?? 0)
        }
    }

    /// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED layers with constant weights, in order:
    /// the layers pruning reports and that may take a sparse encoding.
    public static func prunableLayers(_ model: Model) -> [Int] {
        model.operators.indices.filter { i in
            let op = model.operators[i]
            guard [.conv2D, .depthwiseConv2D, .fullyConnected].contains(op.kind), op.inputs.count > 1 else { return false }
            return model.tensor(op.inputs[1])?.isConstant == true
        }
    }

    /// The layers `spec` prunes: the prunable layers, depthwise ones only when the strategy
    /// prunes them (`PruningSpec.prunesDepthwise`), then without the first or the last one
    /// when `--keep-first-dense` / `--keep-last-dense` ask.
    public static func candidateLayers(_ model: Model, spec: PruningSpec) -> [Int] {
        var candidates = prunableLayers(model).filter { spec.prunesDepthwise || model.operators[$0].kind != .depthwiseConv2D }
        if spec.keepFirstDense, !candidates.isEmpty { candidates.removeFirst() }
        if spec.keepLastDense, !candidates.isEmpty { candidates.removeLast() }
        return candidates
    }

    static func weightTensor(_ model: Model, _ layer: Int, _ file: String) throws -> Tensor {
        try model.tensor(model.operators[layer].inputs[1], usedBy: layer, file: file)
    }

    /// The weights as a matrix [rows = output channels][cols = reduction length], plus the
    /// dimensions ERK weighs (WeightLayout: depthwise rows are its channels, not shape[0]).
    static func matrixShape(_ model: Model, _ layer: Int, _ file: String) throws -> (rows: Int, cols: Int, dims: [Int]) {
        let w = try weightTensor(model, layer, file)
        guard let layout = WeightLayout(kind: model.operators[layer].kind, shape: w.shape), w.elementCount == layout.rows * layout.cols else {
            throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): empty or malformed weight tensor \(w.shape)")
        }
        return (layout.rows, layout.cols, layout.dims)
    }

    /// Keep-masks (true = kept) per candidate layer, in tensor order. The N:M and block masks
    /// read the magnitudes as [rows][cols]: right for FC and conv, whose tensors lie that way
    /// (depthwise layers, which are transposed, are never candidates of those strategies).
    static func masks(spec: PruningSpec, layers: [Int], magnitudes: [[Float]], shapes: [(rows: Int, cols: Int, dims: [Int])],
                      model: Model) -> [[Bool]] {
        let counts = magnitudes.map(\.count)
        switch spec.strategy {
        case let .nm(n, m):
            return zip(magnitudes, shapes).map { nmMask($0, rows: $1.rows, cols: $1.cols, n: n, m: m) }
        case let .block(h, w):
            return zip(magnitudes, shapes).map { blockMask($0, rows: $1.rows, cols: $1.cols, h: h, w: w, sparsity: spec.sparsity) }
        case .magnitude, .globalMagnitude, .random:
            if spec.allocation == .global {
                return globalMask(magnitudes, sparsity: spec.sparsity)
            }
            let densities = spec.allocation == .erk
                ? erkDensities(dims: shapes.map(\.dims), counts: counts, density: 1 - spec.sparsity)
                : counts.map { _ in 1 - spec.sparsity }
            return magnitudes.indices.map { i in
                let prune = Int((Double(counts[i]) * (1 - densities[i])).rounded())
                if case let .random(seed) = spec.strategy {
                    return randomMask(count: counts[i], prune: prune, seed: seed &+ UInt64(layers[i]) &* 0x9E37_79B9)
                }
                return smallestMask(magnitudes[i], prune: prune)
            }
        case .structured, .gmp, .imp, .str:
            // Structured removes channels instead; the training strategies prune in TrainingPruner.
            return magnitudes.map { [Bool](repeating: true, count: $0.count) }
        }
    }

    /// Prunes exactly `prune` weights: the smallest, ties broken by position (deterministic).
    public static func smallestMask(_ mags: [Float], prune: Int) -> [Bool] {
        var keep = [Bool](repeating: true, count: mags.count)
        let order = mags.indices.sorted { mags[$0] != mags[$1] ? mags[$0] < mags[$1] : $0 < $1 }
        for i in order.prefix(max(0, min(prune, mags.count))) { keep[i] = false }
        return keep
    }

    static func randomMask(count: Int, prune: Int, seed: UInt64) -> [Bool] {
        var rng = SplitMix64(seed: seed)
        var order = Array(0..<count)
        // Fisher-Yates with our own generator, so that masks are the same on every platform.
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        var keep = [Bool](repeating: true, count: count)
        for i in order.prefix(max(0, min(prune, count))) { keep[i] = false }
        return keep
    }

    /// One threshold across layers: the `sparsity` fraction of all candidate weights with the
    /// smallest magnitude, ties broken by layer then position.
    static func globalMask(_ magnitudes: [[Float]], sparsity: Double) -> [[Bool]] {
        var all: [(Float, Int, Int)] = []
        for (l, mags) in magnitudes.enumerated() { for (i, v) in mags.enumerated() { all.append((v, l, i)) } }
        all.sort { $0.0 != $1.0 ? $0.0 < $1.0 : ($0.1 != $1.1 ? $0.1 < $1.1 : $0.2 < $1.2) }
        var keep = magnitudes.map { [Bool](repeating: true, count: $0.count) }
        for (_, l, i) in all.prefix(Int((Double(all.count) * sparsity).rounded())) { keep[l][i] = false }
        return keep
    }

    /// ERK (RigL): density_l = eps * sum(dims_l) / prod(dims_l), capped at 1, with eps chosen so
    /// that the kept weights total `density` of all candidate weights.
    static func erkDensities(dims: [[Int]], counts: [Int], density: Double) -> [Double] {
        let scores = dims.map { d in Double(d.reduce(0, +)) / Double(max(1, d.reduce(1, *))) }
        let target = density * Double(counts.reduce(0, +))
        var dense = Set<Int>()
        while true {
            let fixed = dense.reduce(0.0) { $0 + Double(counts[$1]) }
            let weighted = counts.indices.filter { !dense.contains($0) }.reduce(0.0) { $0 + scores[$1] * Double(counts[$1]) }
            let eps = weighted > 0 ? max(0, target - fixed) / weighted : 0
            let over = counts.indices.filter { !dense.contains($0) && eps * scores[$0] > 1 }
            if over.isEmpty { return counts.indices.map { dense.contains($0) ? 1 : min(1, eps * scores[$0]) } }
            dense.formUnion(over)
        }
    }

    /// Keeps the N largest of every M consecutive weights along each row (a short last group
    /// keeps at most N).
    public static func nmMask(_ mags: [Float], rows: Int, cols: Int, n: Int, m: Int) -> [Bool] {
        var keep = [Bool](repeating: false, count: mags.count)
        for r in 0..<rows {
            var g = 0
            while g < cols {
                let idx = Array((r * cols + g)..<(r * cols + min(g + m, cols)))
                let best = idx.sorted { mags[$0] != mags[$1] ? mags[$0] > mags[$1] : $0 < $1 }.prefix(n)
                for i in best { keep[i] = true }
                g += m
            }
        }
        return keep
    }

    /// Prunes the `sparsity` fraction of H x W tiles with the smallest mean |w| (edge tiles
    /// may be partial, hence the mean).
    static func blockMask(_ mags: [Float], rows: Int, cols: Int, h: Int, w: Int, sparsity: Double) -> [Bool] {
        let tileRows = (rows + h - 1) / h, tileCols = (cols + w - 1) / w
        var scores: [Float] = []
        for tr in 0..<tileRows {
            for tc in 0..<tileCols {
                var sum: Float = 0, n = 0
                for r in (tr * h)..<min(rows, tr * h + h) {
                    for c in (tc * w)..<min(cols, tc * w + w) { sum += mags[r * cols + c]; n += 1 }
                }
                scores.append(sum / Float(max(n, 1)))
            }
        }
        let tileKeep = smallestMask(scores, prune: Int((Double(scores.count) * sparsity).rounded()))
        var keep = [Bool](repeating: true, count: mags.count)
        for r in 0..<rows {
            for c in 0..<cols where !tileKeep[(r / h) * tileCols + c / w] { keep[r * cols + c] = false }
        }
        return keep
    }

    /// Writes exact zeros where `keep` is false (float32: +0.0; int8: the zero point, 0).
    static func zeroWeights(_ t: inout Tensor, keep: [Bool]) {
        guard var data = t.data else { return }
        let size = t.type.byteSize
        let zero = UInt8(truncatingIfNeeded: t.quantization?.zeroPoints.first ?? 0)
        for (i, k) in keep.enumerated() where !k && (i + 1) * size <= data.count {
            for b in 0..<size { data[i * size + b] = size == 1 ? zero : 0 }
        }
        t.data = data
    }
}

/// SplitMix64: a small, well-mixed generator whose sequence is fixed by its seed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
