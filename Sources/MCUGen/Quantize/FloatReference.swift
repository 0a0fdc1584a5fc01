import Foundation

/// Float32 inference of a model on the host: the reference for quantization (calibration
/// ranges) and for judging the quantized model's error. Weights stored as int8 with a scale
/// (TFLite "hybrid" models) are dequantized first. Checked against the TFLite interpreter.
public enum FloatReference {
    public typealias Activations = [Int: [Float]]

    public static func floats(_ t: Tensor) -> [Float]? {
        guard let data = t.data else { return nil }
        switch t.type {
        case .float32:
            return stride(from: 0, to: data.count - 3, by: 4).map {
                Float(bitPattern: UInt32(data[$0]) | UInt32(data[$0 + 1]) << 8 | UInt32(data[$0 + 2]) << 16 | UInt32(data[$0 + 3]) << 24)
            }
        case .int8:
            let q = t.quantization
            let scales = q?.scales ?? [1]
            let dim = q?.dimension ?? 0
            let inner = t.shape.count > dim ? t.shape[(dim + 1)...].reduce(1, *) : 1
            let channels = t.shape.count > dim ? t.shape[dim] : 1
            return data.enumerated().map { i, b in
                let c = scales.count > 1 ? (i / inner) % max(channels, 1) : 0
                let zp = Float(q?.zeroPoints.count ?? 0 > c ? q!.zeroPoints[c] : 0)
                return (Float(Int8(bitPattern: b)) - zp) * scales[min(c, scales.count - 1)]
            }
        case .int32:
            return t.int32Values?.map(Float.init)
        default:
            return nil
        }
    }

    static func activate(_ v: Float, _ a: FusedActivation) -> Float {
        switch a {
        case .none: return v
        case .relu: return max(0, v)
        case .relu6: return min(6, max(0, v))
        case .reluN1To1: return min(1, max(-1, v))
        }
    }

    public static func run(_ model: Model, input: [Float], file: String = "model") throws -> Activations {
        guard let inputIndex = model.inputs.first, let inputTensor = model.tensor(inputIndex),
              input.count == inputTensor.elementCount else {
            throw GeneratorError.invalidModel(file: file, problem: "the float input does not match the model's input tensor")
        }
        var values: Activations = [inputIndex: input]
        for (layer, op) in model.operators.enumerated() {
            func tensor(_ i: Int) throws -> Tensor { try model.tensor(i, usedBy: layer, file: file) }
            func value(_ i: Int) throws -> [Float] {
                if let v = values[i] { return v }
                guard let c = floats(try tensor(i)) else {
                    throw GeneratorError.invalidModel(file: file, problem: "layer \(layer) reads tensor \(i) before it is computed")
                }
                return c
            }
            guard let outIndex = op.outputs.first else { continue }
            let out = try tensor(outIndex)
            let x = try value(op.inputs[0])
            let inT = try tensor(op.inputs[0])
            switch op.kind {
            case .conv2D, .depthwiseConv2D:
                let w = try value(op.inputs[1]), wT = try tensor(op.inputs[1])
                let b = op.inputs.count > 2 && op.inputs[2] >= 0 ? try value(op.inputs[2]) : nil
                let (strideH, strideW, padding, multiplier): (Int, Int, Padding, Int)
                switch op.options {
                case let .conv2D(o): (strideH, strideW, padding, multiplier) = (o.strideH, o.strideW, o.padding, 0)
                case let .depthwiseConv2D(o): (strideH, strideW, padding, multiplier) = (o.strideH, o.strideW, o.padding, o.depthMultiplier)
                default: throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): missing options")
                }
                let g = ModelRunner.geometry(inShape: inT.shape, outShape: out.shape, outC: out.shape.last ?? 1, kH: wT.shape[1],
                                             kW: wT.shape[2], strideH: strideH, strideW: strideW, padding: padding)
                // Bias first, then every tap in order: the same float sums as before the taps were shared.
                var y = [Float](repeating: 0, count: g.outH * g.outW * g.outC)
                for i in y.indices { y[i] = b?[i % g.outC] ?? 0 }
                WindowTaps.convolution(g, depthwise: op.kind == .depthwiseConv2D) { o, c, src, wIndex in
                    if op.kind == .conv2D {
                        for ic in 0..<g.inC { y[o] += x[src + ic] * w[wIndex + ic] }
                    } else {
                        y[o] += x[src + c / max(multiplier, 1)] * w[wIndex]
                    }
                }
                for i in y.indices { y[i] = activate(y[i], op.activation) }
                values[outIndex] = y
            case .fullyConnected:
                let w = try value(op.inputs[1]), wT = try tensor(op.inputs[1])
                let b = op.inputs.count > 2 && op.inputs[2] >= 0 ? try value(op.inputs[2]) : nil
                let inF = wT.shape.last ?? 1, outF = wT.shape.first ?? 1
                let batches = max(1, x.count / inF)
                var y = [Float](repeating: 0, count: batches * outF)
                for bI in 0..<batches {
                    for n in 0..<outF {
                        var acc: Float = b?[n] ?? 0
                        for k in 0..<inF { acc += x[bI * inF + k] * w[n * inF + k] }
                        y[bI * outF + n] = activate(acc, op.activation)
                    }
                }
                values[outIndex] = y
            case .averagePool2D, .maxPool2D:
                guard case let .pool2D(o) = op.options else { throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): missing options") }
                let g = ModelRunner.geometry(inShape: inT.shape, outShape: out.shape, outC: inT.shape.last ?? 1, kH: o.filterH,
                                             kW: o.filterW, strideH: o.strideH, strideW: o.strideW, padding: o.padding)
                var y = [Float](repeating: 0, count: g.outH * g.outW * g.outC)
                for (index, taps) in WindowTaps.pooling(g) {
                    let v = op.kind == .averagePool2D ? taps.reduce(Float(0)) { $0 + x[$1] } / Float(max(taps.count, 1))
                                                      : (taps.map { x[$0] }.max() ?? 0)
                    y[index] = activate(v, o.activation)
                }
                values[outIndex] = y
            case .reshape:
                values[outIndex] = x
            case .softmax:
                guard case let .softmax(beta) = op.options else { throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): missing options") }
                let row = inT.shape.last ?? 1
                var y = [Float](repeating: 0, count: x.count)
                for r in 0..<(x.count / max(row, 1)) {
                    let slice = x[(r * row)..<((r + 1) * row)]
                    let m = slice.max() ?? 0
                    let e = slice.map { Foundation.exp(Double(($0 - m) * beta)) }
                    let sum = e.reduce(0, +)
                    for (i, v) in e.enumerated() { y[r * row + i] = Float(v / sum) }
                }
                values[outIndex] = y
            default:
                throw GeneratorError.invalidModel(file: file, problem: "the float reference does not run \(op.kind.rawValue) (layer \(layer))")
            }
        }
        return values
    }
}
