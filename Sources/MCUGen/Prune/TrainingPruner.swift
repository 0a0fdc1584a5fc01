import Foundation

/// The training-based strategies (gmp, imp, str) and `--finetune`, on a float model with
/// training data. Every one ends with the candidate layers at exactly the requested sparsity
/// (layer-wise for gmp and imp, by the learned per-layer thresholds for str) and the masks
/// preserved by every update. Definitions: shared/reference/workloads.md; docs/pruning.md.
public enum TrainingPruner {
    /// Learning rate and batch size for the digits-sized models this trainer is for.
    static let learningRate: Float = 0.005
    static let batchSize = 32

    public static func prune(_ model: Model, spec: PruningSpec, data: DataSet, file: String) throws -> Model {
        guard !data.train.isEmpty else {
            throw GeneratorError.invalidModel(file: file, problem: "\(spec) needs training data: --data with train_x and train_y")
        }
        let candidates = Pruner.candidateLayers(model, spec: spec)
        let weights = candidates.map { model.operators[$0].inputs[1] }
        var trainer = Trainer(network: try FloatNetwork(model, file: file))
        trainer.learningRate = learningRate
        trainer.batchSize = batchSize
        switch spec.strategy {
        case let .gmp(epochs):
            gradual(&trainer, weights: weights, sparsity: spec.sparsity, epochs: epochs, data: data)
        case let .imp(rounds, rewind, epochs):
            lotteryTicket(&trainer, weights: weights, sparsity: spec.sparsity, rounds: rounds, rewind: rewind, epochs: epochs, data: data)
        case let .str(epochs, decay):
            try softThreshold(&trainer, weights: weights, sparsity: spec.sparsity, epochs: epochs, decay: Float(decay), data: data, file: file)
        default:
            throw GeneratorError.invalidModel(file: file, problem: "\(spec) is not a training-based strategy")
        }
        return trainer.network.trainedModel
    }

    /// Mask-preserving fine-tuning of an already pruned float model: zeros stay zeros.
    public static func finetune(_ model: Model, epochs: Int, data: DataSet, file: String) throws -> Model {
        guard !data.train.isEmpty else {
            throw GeneratorError.invalidModel(file: file, problem: "--finetune needs training data: --data with train_x and train_y")
        }
        var trainer = Trainer(network: try FloatNetwork(model, file: file))
        trainer.learningRate = learningRate
        trainer.batchSize = batchSize
        for index in trainer.network.weightTensors {
            trainer.masks[index] = (trainer.network.params[index] ?? []).map { $0 != 0 }
        }
        trainer.train(data.train, epochs: epochs)
        return trainer.network.trainedModel
    }

    /// Layer-wise magnitude masks at `sparsity` for the current weights.
    static func magnitudeMasks(_ trainer: Trainer, weights: [Int], sparsity: Double) -> [Int: [Bool]] {
        var masks: [Int: [Bool]] = [:]
        for index in weights {
            let w = trainer.network.params[index] ?? []
            masks[index] = Pruner.smallestMask(w.map(abs), prune: Int((Double(w.count) * sparsity).rounded()))
        }
        return masks
    }

    /// GMP: s_t = s_f + (s_i - s_f)(1 - (t - t0) / (n dt))^3 with s_i = 0, t0 = 0, pruning every
    /// dt steps over the first 3/4 of training (n = 10 pruning steps), then fine-tuning at s_f.
    static func gradual(_ trainer: inout Trainer, weights: [Int], sparsity: Double, epochs: Int, data: DataSet) {
        let total = trainer.stepsPerEpoch(data.train.count) * epochs
        let n = 10, dt = max(1, (total * 3 / 4) / n)
        trainer.onStep = { t, step in
            guard step % dt == 0, step <= n * dt else { return }
            let progress = Double(step) / Double(n * dt)
            let s = sparsity + (0 - sparsity) * Foundation.pow(1 - progress, 3)
            t.masks = magnitudeMasks(t, weights: weights, sparsity: s)
            t.applyMasks()
        }
        trainer.train(data.train, epochs: epochs)
        trainer.onStep = nil
        // The schedule ends at s_f; this makes it exact whatever the rounding of the steps.
        trainer.masks = magnitudeMasks(trainer, weights: weights, sparsity: sparsity)
        trainer.applyMasks()
    }

    /// IMP with rewinding (Frankle & Carbin; Frankle et al. 2019): from a seeded He
    /// initialization, train, then per round prune p = 1 - (1 - s)^(1/rounds) of the remaining
    /// weights by layer-wise magnitude, rewind the survivors to their values at step `rewind`
    /// (0 = initialization), and train again.
    static func lotteryTicket(_ trainer: inout Trainer, weights: [Int], sparsity: Double, rounds: Int, rewind: Int, epochs: Int,
                              data: DataSet) {
        reinitialize(&trainer, seed: 7)
        var rewindPoint = trainer.network.params
        if rewind > 0 {
            trainer.onStep = { t, step in if step == rewind { rewindPoint = t.network.params } }
        }
        trainer.train(data.train, epochs: epochs)
        trainer.onStep = nil
        for round in 1...rounds {
            let density = Foundation.pow(1 - sparsity, Double(round) / Double(rounds))
            trainer.masks = magnitudeMasks(trainer, weights: weights, sparsity: 1 - density)
            trainer.network.params = rewindPoint
            trainer.applyMasks()
            var fresh = Trainer(network: trainer.network)
            fresh.masks = trainer.masks
            fresh.learningRate = trainer.learningRate
            fresh.batchSize = trainer.batchSize
            fresh.seed = UInt64(round + 1)
            fresh.train(data.train, epochs: epochs)
            trainer = fresh
        }
        trainer.masks = magnitudeMasks(trainer, weights: weights, sparsity: sparsity)
        trainer.applyMasks()
    }

    /// He-normal weights (std sqrt(2 / fan_in)) and zero biases, from a fixed seed.
    static func reinitialize(_ trainer: inout Trainer, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        func normal() -> Float {
            let u1 = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-12), u2 = Double(rng.next() >> 11) / Double(1 << 53)
            return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
        }
        let model = trainer.network.model
        for op in model.operators where [.conv2D, .depthwiseConv2D, .fullyConnected].contains(op.kind) {
            let shape = model.tensors[op.inputs[1]].shape
            let fanIn = op.kind == .depthwiseConv2D ? shape[1] * shape[2] : max(1, shape.dropFirst().reduce(1, *))
            let std = Float((2 / Double(fanIn)).squareRoot())
            if var w = trainer.network.params[op.inputs[1]] {
                for k in w.indices { w[k] = normal() * std }
                trainer.network.params[op.inputs[1]] = w
            }
            if op.inputs.count > 2, op.inputs[2] >= 0, let b = trainer.network.params[op.inputs[2]] {
                trainer.network.params[op.inputs[2]] = [Float](repeating: 0, count: b.count)
            }
        }
    }

    /// STR (Kusupati et al.): effective weights sign(w) * relu(|w| - sigmoid(s_l)) with a learned
    /// s_l per layer (initialized at -5) and weight decay on w and s. The learned thresholds set
    /// the per-layer budgets: the final mask keeps the weights with the largest |w| - g_l over all
    /// layers, exactly `sparsity` of them pruned, then a quarter of the epochs fine-tune it.
    static func softThreshold(_ trainer: inout Trainer, weights: [Int], sparsity: Double, epochs: Int, decay: Float,
                              data: DataSet, file: String) throws {
        var raw = trainer.network.params
        var s = [Float](repeating: -5, count: weights.count)
        var adam = Adam()
        var rng = SplitMix64(seed: 3)
        func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
        func effective() {
            for (l, index) in weights.enumerated() {
                let g = sigmoid(s[l])
                trainer.network.params[index] = (raw[index] ?? []).map { w in w > 0 ? max(0, w - g) : -max(0, -w - g) }
            }
        }
        var step = 0
        let trainEpochs = max(1, epochs - epochs / 4)
        for _ in 0..<trainEpochs {
            var order = Array(data.train.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            for start in stride(from: 0, to: order.count, by: batchSize) {
                effective()
                var grads: [Int: [Float]] = [:]
                let batch = order[start..<min(start + batchSize, order.count)]
                for i in batch { trainer.network.backward(trainer.network.forward(data.train[i].x), label: data.train[i].y, grads: &grads) }
                let scale = 1 / Float(batch.count)
                for (index, g) in grads.sorted(by: { $0.key < $1.key }) {
                    guard var p = raw[index] else { continue }
                    var grad = g
                    if let l = weights.firstIndex(of: index) {
                        // Through the soft threshold: d w_eff / d w = 1 where |w| > g, else 0;
                        // d w_eff / d s = -sign(w) sigmoid'(s) where |w| > g.
                        let gl = sigmoid(s[l])
                        var ds: Float = 0
                        for k in p.indices {
                            let alive = abs(p[k]) > gl
                            if alive { ds += -grad[k] * (p[k] > 0 ? 1 : -1) } else { grad[k] = 0 }
                            grad[k] += decay * p[k] / scale
                        }
                        var sl = [s[l]]
                        let dsl = (ds * gl * (1 - gl) + decay * s[l] / scale)
                        adam.update(&sl, gradient: [dsl], key: -1 - l, scale: scale, step: step, learningRate: learningRate)
                        s[l] = sl[0]
                    }
                    adam.update(&p, gradient: grad, key: index, scale: scale, step: step, learningRate: learningRate)
                    raw[index] = p
                }
                step += 1
            }
        }
        effective()
        // Exact sparsity from the learned thresholds: rank |w| - g_l globally.
        var scores: [(Float, Int, Int)] = []
        for (l, index) in weights.enumerated() {
            let g = sigmoid(s[l])
            for (k, w) in (raw[index] ?? []).enumerated() { scores.append((abs(w) - g, l, k)) }
        }
        scores.sort { $0.0 != $1.0 ? $0.0 < $1.0 : ($0.1 != $1.1 ? $0.1 < $1.1 : $0.2 < $1.2) }
        var masks = Dictionary(uniqueKeysWithValues: weights.map { ($0, [Bool](repeating: true, count: raw[$0]?.count ?? 0)) })
        for (_, l, k) in scores.prefix(Int((Double(scores.count) * sparsity).rounded())) { masks[weights[l]]?[k] = false }
        // Fine-tune the kept weights from their thresholded values.
        trainer.masks = masks
        trainer.applyMasks()
        trainer.train(data.train, epochs: max(1, epochs / 4))
    }
}
