/// Structured pruning (Li et al., neuron / filter L1): removes whole output channels from a
/// layer and the matching inputs downstream, leaving a smaller dense model. The channels flow
/// to the next weighted layer through RESHAPE (flatten), pooling and depthwise (multiplier 1)
/// layers, which shrink with them; a layer whose output reaches the model output, an ADD or
/// more than one consumer keeps all its channels.
enum StructuredPruner {
    /// Prunes `ratio` of the output channels of each layer in `layers` (at least one channel
    /// stays). Returns the channels removed per layer.
    static func prune(_ model: inout Model, layers: [Int], ratio: Double, file: String) throws -> [Int: Int] {
        var removedPerLayer: [Int: Int] = [:]
        for layer in layers {
            guard let chain = downstream(model, from: layer) else { continue }
            let op = model.operators[layer]
            let w = try model.tensor(op.inputs[1], usedBy: layer, file: file)
            guard let values = FloatReference.floats(w), let rows = w.shape.first, rows > 1 else { continue }
            let cols = values.count / rows
            let l1 = (0..<rows).map { r in values[(r * cols)..<((r + 1) * cols)].reduce(Float(0)) { $0 + abs($1) } }
            let count = min(rows - 1, Int((Double(rows) * ratio).rounded()))
            guard count > 0 else { continue }
            let removed = Set(Pruner.smallestMask(l1, prune: count).enumerated().filter { !$0.element }.map(\.offset))
            // The layer's own filters, bias and per-channel scales.
            removeSlices(&model.tensors[op.inputs[1]], dimension: 0, removed: removed)
            if op.inputs.count > 2, op.inputs[2] >= 0 { removeSlices(&model.tensors[op.inputs[2]], dimension: 0, removed: removed) }
            shrinkActivation(&model, op.outputs[0], channels: rows, removed: removed)
            // Downstream: every tensor on the way carries the channels in its last dimension.
            var spatial = 1
            for step in chain {
                let next = model.operators[step]
                switch next.kind {
                case .reshape:
                    let inT = model.tensors[next.inputs[0]]
                    spatial = max(1, (inT.elementCount) / max(1, rows - removed.count))
                    var out = model.tensors[next.outputs[0]]
                    out.shape = [1, spatial * (rows - removed.count)]
                    model.tensors[next.outputs[0]] = out
                    if case .reshape(.some) = next.options { model.operators[step].options = .reshape(newShape: out.shape) }
                case .averagePool2D, .maxPool2D:
                    shrinkActivation(&model, next.outputs[0], channels: rows, removed: removed)
                case .depthwiseConv2D:
                    removeSlices(&model.tensors[next.inputs[1]], dimension: 3, removed: removed)
                    if next.inputs.count > 2, next.inputs[2] >= 0 { removeSlices(&model.tensors[next.inputs[2]], dimension: 0, removed: removed) }
                    shrinkActivation(&model, next.outputs[0], channels: rows, removed: removed)
                case .conv2D:
                    removeSlices(&model.tensors[next.inputs[1]], dimension: 3, removed: removed)
                case .fullyConnected:
                    // Inputs of a flattened NHWC tensor are (pixel, channel) pairs: drop the channels.
                    var fcW = model.tensors[next.inputs[1]]
                    let outF = fcW.shape.first ?? 1
                    let original = fcW.shape
                    fcW.shape = [outF, max(1, (fcW.shape.last ?? 1) / rows), rows]
                    removeSlices(&fcW, dimension: 2, removed: removed)
                    fcW.shape = [outF, (original.last ?? 1) / rows * (rows - removed.count)]
                    model.tensors[next.inputs[1]] = fcW
                default:
                    break
                }
            }
            removedPerLayer[layer] = removed.count
        }
        return removedPerLayer
    }

    /// The operators the layer's channels flow through, ending at the next CONV_2D or
    /// FULLY_CONNECTED that consumes them; nil when they cannot be removed.
    static func downstream(_ model: Model, from layer: Int) -> [Int]? {
        var tensor = model.operators[layer].outputs.first ?? -1
        var chain: [Int] = []
        var flattened = false
        while true {
            if model.outputs.contains(tensor) { return nil }
            let users = model.operators.indices.filter { model.operators[$0].inputs.contains(tensor) }
            guard users.count == 1, let next = users.first, model.operators[next].inputs.first == tensor else { return nil }
            let op = model.operators[next]
            chain.append(next)
            switch op.kind {
            case .fullyConnected:
                return chain
            case .conv2D:
                return flattened ? nil : chain
            case .reshape:
                guard !flattened else { return nil }
                flattened = true
            case .averagePool2D, .maxPool2D:
                guard !flattened else { return nil }
            case .depthwiseConv2D:
                guard !flattened, case let .depthwiseConv2D(o) = op.options, o.depthMultiplier == 1 else { return nil }
            default:
                return nil
            }
            guard let out = op.outputs.first else { return nil }
            tensor = out
        }
    }

    /// Shrinks an activation's last (channel) dimension.
    static func shrinkActivation(_ model: inout Model, _ index: Int, channels: Int, removed: Set<Int>) {
        guard index >= 0, index < model.tensors.count, !model.tensors[index].shape.isEmpty else { return }
        model.tensors[index].shape[model.tensors[index].shape.count - 1] = channels - removed.count
    }

    /// Removes indices `removed` along `dimension` of a constant tensor (data, shape and
    /// per-channel quantization along that dimension).
    static func removeSlices(_ t: inout Tensor, dimension: Int, removed: Set<Int>) {
        guard dimension < t.shape.count, let data = t.data else { return }
        let size = t.type.byteSize
        let n = t.shape[dimension]
        let inner = t.shape[(dimension + 1)...].reduce(1, *) * size
        let outer = t.shape[..<dimension].reduce(1, *)
        guard data.count >= outer * n * inner else { return }
        var kept: [UInt8] = []
        kept.reserveCapacity(data.count)
        for o in 0..<outer {
            for i in 0..<n where !removed.contains(i) {
                let start = (o * n + i) * inner
                kept.append(contentsOf: data[start..<(start + inner)])
            }
        }
        t.data = kept
        t.shape[dimension] = n - removed.count
        if var q = t.quantization, q.scales.count == n, q.dimension == dimension || t.shape.count == 1 {
            q.scales = q.scales.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
            if q.zeroPoints.count == n { q.zeroPoints = q.zeroPoints.enumerated().filter { !removed.contains($0.offset) }.map(\.element) }
            t.quantization = q
        }
    }
}
