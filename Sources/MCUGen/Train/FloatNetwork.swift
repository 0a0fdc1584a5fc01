import Foundation

/// A float32 model as the trainer sees it: the operators of a `Model` with their weights and
/// biases as mutable arrays, a forward pass that keeps every activation, and the backward pass
/// for FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, AVERAGE/MAX_POOL_2D, RESHAPE and a final
/// SOFTMAX trained with cross-entropy (the gradient at the logits is p - onehot).
public struct FloatNetwork: Sendable {
    public private(set) var model: Model
    /// Trainable tensors (weights and biases of the weighted layers), by tensor index.
    public var params: [Int: [Float]]
    /// Tensor indices of the weights of each weighted layer, in layer order.
    public let weightTensors: [Int]

    public init(_ model: Model, file: String) throws {
        guard let input = model.inputs.first.flatMap(model.tensor), input.type == .float32 else {
            throw GeneratorError.invalidModel(file: file, problem: "training needs a float32 model")
        }
        self.model = model
        var params: [Int: [Float]] = [:], weights: [Int] = []
        for (layer, op) in model.operators.enumerated() {
            switch op.kind {
            case .conv2D, .depthwiseConv2D, .fullyConnected:
                for slot in [1, 2] where slot < op.inputs.count && op.inputs[slot] >= 0 {
                    let t = try model.tensor(op.inputs[slot], usedBy: layer, file: file)
                    guard t.type == .float32, let v = FloatReference.floats(t) else {
                        throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): training needs float32 weights")
                    }
                    params[op.inputs[slot]] = v
                }
                weights.append(op.inputs[1])
            case .averagePool2D, .maxPool2D, .reshape:
                break
            case .softmax where layer == model.operators.count - 1:
                break
            default:
                throw GeneratorError.invalidModel(file: file, problem: "the trainer does not support \(op.kind.rawValue) (layer \(layer))")
            }
        }
        self.params = params
        weightTensors = weights
    }

    /// The model with the current parameters written back as float32 data.
    public var trainedModel: Model {
        var m = model
        for (index, values) in params {
            m.tensors[index].data = values.flatMap { v -> [UInt8] in
                let b = v.bitPattern
                return [UInt8(b & 0xFF), UInt8((b >> 8) & 0xFF), UInt8((b >> 16) & 0xFF), UInt8(b >> 24)]
            }
        }
        return m
    }

    func geometry(_ op: Operator) -> KernelReference.Geometry? {
        guard let inT = model.tensor(op.inputs[0]), let out = op.outputs.first.flatMap(model.tensor) else { return nil }
        switch op.options {
        case let .conv2D(o):
            guard let w = model.tensor(op.inputs[1]) else { return nil }
            return ModelRunner.geometry(inShape: inT.shape, outShape: out.shape, outC: out.shape.last ?? 1, kH: w.shape[1],
                                        kW: w.shape[2], strideH: o.strideH, strideW: o.strideW, padding: o.padding)
        case let .depthwiseConv2D(o):
            guard let w = model.tensor(op.inputs[1]) else { return nil }
            return ModelRunner.geometry(inShape: inT.shape, outShape: out.shape, outC: out.shape.last ?? 1, kH: w.shape[1],
                                        kW: w.shape[2], strideH: o.strideH, strideW: o.strideW, padding: o.padding)
        case let .pool2D(o):
            return ModelRunner.geometry(inShape: inT.shape, outShape: out.shape, outC: inT.shape.last ?? 1, kH: o.filterH,
                                        kW: o.filterW, strideH: o.strideH, strideW: o.strideW, padding: o.padding)
        default:
            return nil
        }
    }

    /// Every activation by tensor index; the final softmax's output is left out (the loss
    /// works on its input, the logits).
    public func forward(_ x: [Float]) -> [Int: [Float]] {
        var values: [Int: [Float]] = [model.inputs[0]: x]
        for op in model.operators {
            guard let out = op.outputs.first, let input = values[op.inputs[0]] else { continue }
            switch op.kind {
            case .fullyConnected:
                let w = params[op.inputs[1]] ?? [], b = op.inputs.count > 2 ? params[op.inputs[2]] : nil
                let outF = model.tensors[op.inputs[1]].shape[0], inF = w.count / max(outF, 1)
                var y = [Float](repeating: 0, count: outF)
                for n in 0..<outF {
                    var acc = b?[n] ?? 0
                    for k in 0..<inF { acc += w[n * inF + k] * input[k] }
                    y[n] = FloatReference.activate(acc, op.activation)
                }
                values[out] = y
            case .conv2D, .depthwiseConv2D:
                guard let g = geometry(op) else { continue }
                let w = params[op.inputs[1]] ?? [], b = op.inputs.count > 2 ? params[op.inputs[2]] : nil
                let mult = g.outC / max(g.inC, 1)
                var y = [Float](repeating: 0, count: g.outH * g.outW * g.outC)
                WindowTaps.convolution(g, depthwise: op.kind == .depthwiseConv2D) { o, c, src, wIndex in
                    y[o] += op.kind == .conv2D ? Self.dot(input, src, w, wIndex, g.inC) : input[src + c / max(mult, 1)] * w[wIndex]
                }
                for i in y.indices { y[i] = FloatReference.activate(y[i] + (b?[i % g.outC] ?? 0), op.activation) }
                values[out] = y
            case .averagePool2D, .maxPool2D:
                guard let g = geometry(op) else { continue }
                var y = [Float](repeating: 0, count: g.outH * g.outW * g.outC)
                for (o, taps) in WindowTaps.pooling(g) {
                    y[o] = op.kind == .averagePool2D ? taps.reduce(0) { $0 + input[$1] } / Float(max(taps.count, 1))
                                                     : taps.map { input[$0] }.max() ?? 0
                    y[o] = FloatReference.activate(y[o], op.activation)
                }
                values[out] = y
            case .reshape:
                values[out] = input
            default:
                break
            }
        }
        return values
    }

    /// The logits: the final softmax's input, or the last output when there is no softmax.
    public var logitsTensor: Int {
        if let last = model.operators.last, last.kind == .softmax { return last.inputs[0] }
        return model.operators.last?.outputs.first ?? 0
    }

    /// Cross-entropy loss gradient for one sample, accumulated into `grads`; returns the loss.
    @discardableResult
    public func backward(_ values: [Int: [Float]], label: Int, grads: inout [Int: [Float]]) -> Float {
        let logits = values[logitsTensor] ?? []
        let m = logits.max() ?? 0
        let e = logits.map { Foundation.exp($0 - m) }
        let sum = e.reduce(0, +)
        var delta: [Int: [Float]] = [logitsTensor: e.enumerated().map { $0.element / sum - ($0.offset == label ? 1 : 0) }]
        let loss = -Foundation.log(max(e[min(label, e.count - 1)] / sum, 1e-12))
        for op in model.operators.reversed() {
            guard let out = op.outputs.first, var dy = delta[out], let y = values[out], let x = values[op.inputs[0]] else { continue }
            if op.kind != .reshape {
                for i in dy.indices { dy[i] *= Self.activationSlope(y[i], op.activation) }
            }
            var dx = [Float](repeating: 0, count: x.count)
            switch op.kind {
            case .fullyConnected:
                let w = params[op.inputs[1]] ?? []
                let outF = dy.count, inF = x.count
                var gw = grads[op.inputs[1]] ?? [Float](repeating: 0, count: w.count)
                for n in 0..<outF where dy[n] != 0 {
                    for k in 0..<inF {
                        gw[n * inF + k] += dy[n] * x[k]
                        dx[k] += dy[n] * w[n * inF + k]
                    }
                }
                grads[op.inputs[1]] = gw
                if op.inputs.count > 2, op.inputs[2] >= 0 {
                    var gb = grads[op.inputs[2]] ?? [Float](repeating: 0, count: outF)
                    for n in 0..<outF { gb[n] += dy[n] }
                    grads[op.inputs[2]] = gb
                }
            case .conv2D, .depthwiseConv2D:
                guard let g = geometry(op) else { continue }
                let w = params[op.inputs[1]] ?? []
                let mult = g.outC / max(g.inC, 1)
                var gw = grads[op.inputs[1]] ?? [Float](repeating: 0, count: w.count)
                WindowTaps.convolution(g, depthwise: op.kind == .depthwiseConv2D) { o, c, src, wIndex in
                    let d = dy[o]
                    if d == 0 { return }
                    if op.kind == .depthwiseConv2D {
                        let ic = src + c / max(mult, 1)
                        gw[wIndex] += d * x[ic]
                        dx[ic] += d * w[wIndex]
                    } else {
                        for k in 0..<g.inC {
                            gw[wIndex + k] += d * x[src + k]
                            dx[src + k] += d * w[wIndex + k]
                        }
                    }
                }
                grads[op.inputs[1]] = gw
                if op.inputs.count > 2, op.inputs[2] >= 0 {
                    var gb = grads[op.inputs[2]] ?? [Float](repeating: 0, count: g.outC)
                    for i in dy.indices { gb[i % g.outC] += dy[i] }
                    grads[op.inputs[2]] = gb
                }
            case .averagePool2D, .maxPool2D:
                guard let g = geometry(op) else { continue }
                for (o, taps) in WindowTaps.pooling(g) where !taps.isEmpty {
                    if op.kind == .averagePool2D {
                        for t in taps { dx[t] += dy[o] / Float(taps.count) }
                    } else if let best = taps.max(by: { x[$0] < x[$1] }) {
                        dx[best] += dy[o]
                    }
                }
            case .reshape:
                dx = dy
            default:
                continue
            }
            delta[op.inputs[0]] = dx
        }
        return loss
    }

    static func activationSlope(_ y: Float, _ a: FusedActivation) -> Float {
        switch a {
        case .none: return 1
        case .relu: return y > 0 ? 1 : 0
        case .relu6: return y > 0 && y < 6 ? 1 : 0
        case .reluN1To1: return y > -1 && y < 1 ? 1 : 0
        }
    }

    static func dot(_ x: [Float], _ xi: Int, _ w: [Float], _ wi: Int, _ n: Int) -> Float {
        var acc: Float = 0
        for k in 0..<n { acc += x[xi + k] * w[wi + k] }
        return acc
    }
}
