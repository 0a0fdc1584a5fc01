import Foundation

/// Mini-batch training of a `FloatNetwork` with Adam and cross-entropy, keeping pruned weights
/// at zero: a mask per weight tensor is applied after every step (mask-preserving updates).
/// Deterministic: batches are shuffled by a seeded generator.
struct Trainer {
    var network: FloatNetwork
    /// Keep-masks of pruned weight tensors (absent: dense).
    var masks: [Int: [Bool]] = [:]
    var learningRate: Float = 0.01
    var batchSize = 32
    var seed: UInt64 = 1
    /// Called after every step with the step number, so strategies can prune on a schedule.
    var onStep: ((inout Trainer, Int) -> Void)?
    private var optimizer = Adam()
    private(set) var step = 0

    init(network: FloatNetwork) { self.network = network }

    /// Steps per epoch over `count` samples.
    func stepsPerEpoch(_ count: Int) -> Int { (count + batchSize - 1) / batchSize }

    mutating func train(_ data: [(x: [Float], y: Int)], epochs: Int) {
        guard !data.isEmpty else { return }
        var rng = SplitMix64(seed: seed)
        for _ in 0..<epochs {
            var order = Array(data.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            for start in stride(from: 0, to: order.count, by: batchSize) {
                var grads: [Int: [Float]] = [:]
                let batch = order[start..<min(start + batchSize, order.count)]
                for i in batch {
                    network.backward(network.forward(data[i].x), label: data[i].y, grads: &grads)
                }
                adam(grads, scale: 1 / Float(batch.count))
                step += 1
                if let onStep { onStep(&self, step) }
            }
        }
    }

    /// One Adam update, then the masks.
    private mutating func adam(_ grads: [Int: [Float]], scale: Float) {
        for (index, g) in grads.sorted(by: { $0.key < $1.key }) {
            guard var p = network.params[index] else { continue }
            optimizer.update(&p, gradient: g, key: index, scale: scale, step: step, learningRate: learningRate)
            if let mask = masks[index] { for k in p.indices where !mask[k] { p[k] = 0 } }
            network.params[index] = p
        }
    }

    /// Applies the masks now (after changing them).
    mutating func applyMasks() {
        for (index, mask) in masks {
            guard var p = network.params[index] else { continue }
            for k in p.indices where !mask[k] { p[k] = 0 }
            network.params[index] = p
        }
    }
}

/// Adam (Kingma & Ba; beta1 0.9, beta2 0.999, eps 1e-8), with its moments per tensor key.
struct Adam {
    private var m: [Int: [Float]] = [:], v: [Int: [Float]] = [:]

    /// p -= lr * m_hat / (sqrt(v_hat) + eps) for gradient `gradient * scale` at step `step` (from 0).
    mutating func update(_ p: inout [Float], gradient: [Float], key: Int, scale: Float, step: Int, learningRate: Float) {
        let b1: Float = 0.9, b2: Float = 0.999, eps: Float = 1e-8
        let t = Float(step + 1)
        let c1 = 1 - Foundation.pow(b1, t), c2 = 1 - Foundation.pow(b2, t)
        var mi = m[key] ?? [Float](repeating: 0, count: p.count), vi = v[key] ?? [Float](repeating: 0, count: p.count)
        for k in p.indices where k < gradient.count {
            let gk = gradient[k] * scale
            mi[k] = b1 * mi[k] + (1 - b1) * gk
            vi[k] = b2 * vi[k] + (1 - b2) * gk * gk
            p[k] -= learningRate * (mi[k] / c1) / ((vi[k] / c2).squareRoot() + eps)
        }
        m[key] = mi
        v[key] = vi
    }
}
