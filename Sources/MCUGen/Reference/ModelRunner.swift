/// Runs an int8 model on the host with the reference kernels, in TFLite's arithmetic: the
/// bit-exact reference generated firmware is checked against, and itself checked against the
/// TensorFlow Lite interpreter on the MLPerf Tiny models (Tests/MCUSimTests/ModelRunnerTests).
public enum ModelRunner {
    /// Every activation tensor computed, by tensor index (constants are not included).
    public typealias Activations = [Int: [Int8]]

    /// `encodings` runs the listed layers through their sparse storage (SparseLayer), as the
    /// sparse kernels do; the others, and every layer by default, through the dense kernels.
    public static func run(_ model: Model, input: [Int8], file: String = "model",
                           encodings: [Int: SparseEncoding] = [:]) throws -> Activations {
        guard let inputIndex = model.inputs.first, let inputTensor = model.tensor(inputIndex) else {
            throw GeneratorError.invalidModel(file: file, problem: "the model has no input tensor")
        }
        guard inputTensor.type == .int8, input.count == inputTensor.elementCount else {
            throw GeneratorError.invalidModel(file: file, problem: "the input must be \(inputTensor.elementCount) int8 values")
        }
        var values: Activations = [inputIndex: input]
        for (layer, op) in model.operators.enumerated() {
            func tensor(_ i: Int) throws -> Tensor { try model.tensor(i, usedBy: layer, file: file) }
            func value(_ i: Int) throws -> [Int8] {
                if let v = values[i] { return v }
                let t = try tensor(i)
                guard let data = t.data, t.type == .int8 else {
                    throw GeneratorError.invalidModel(file: file, problem: "layer \(layer) reads tensor '\(t.name)' before it is computed")
                }
                return data.map { Int8(bitPattern: $0) }
            }
            guard let outIndex = op.outputs.first else { continue }
            let out = try tensor(outIndex)
            switch op.kind {
            case .conv2D, .depthwiseConv2D, .fullyConnected:
                values[outIndex] = try weighted(op, layer: layer, input: value(op.inputs[0]), inputTensor: tensor(op.inputs[0]),
                                                weights: tensor(op.inputs[1]),
                                                bias: op.inputs.count > 2 && op.inputs[2] >= 0 ? tensor(op.inputs[2]) : nil,
                                                output: out, encoding: encodings[layer] ?? .dense, file: file)
            case .averagePool2D, .maxPool2D:
                guard case let .pool2D(o) = op.options else { throw unsupported(op, layer, file) }
                let inT = try tensor(op.inputs[0])
                let g = geometry(inShape: inT.shape, outShape: out.shape, outC: inT.shape.last ?? 1, kH: o.filterH, kW: o.filterW,
                                 strideH: o.strideH, strideW: o.strideW, padding: o.padding)
                let (lo, hi) = activationRange(o.activation, out)
                let x = try value(op.inputs[0])
                values[outIndex] = op.kind == .averagePool2D
                    ? KernelReference.avgPool2d(input: x, geometry: g, actMin: lo, actMax: hi)
                    : KernelReference.maxPool2d(input: x, geometry: g, actMin: lo, actMax: hi)
            case .add:
                let a = try value(op.inputs[0]), b = try value(op.inputs[1])
                let params = try addParams(op, layer: layer, tensor(op.inputs[0]), tensor(op.inputs[1]), out, file: file)
                values[outIndex] = KernelReference.add(a, b, params: params)
            case .reshape:
                values[outIndex] = try value(op.inputs[0])
            case .softmax:
                guard case let .softmax(beta) = op.options else { throw unsupported(op, layer, file) }
                let inT = try tensor(op.inputs[0])
                let rowSize = inT.shape.last ?? 1
                let params = try KernelReference.SoftmaxParams.checked(beta: Double(beta), inputScale: scale(inT), layer: layer, file: file)
                values[outIndex] = KernelReference.softmax(input: try value(op.inputs[0]), rows: max(1, inT.elementCount / rowSize),
                                                           rowSize: rowSize, params: params)
            default:
                throw unsupported(op, layer, file)
            }
        }
        return values
    }

    static func unsupported(_ op: Operator, _ layer: Int, _ file: String) -> GeneratorError {
        .invalidModel(file: file, problem: "the host reference does not run \(op.kind.rawValue) yet (layer \(layer))")
    }

    static func zeroPoint(_ t: Tensor) -> Int32 { Int32(t.quantization?.zeroPoints.first ?? 0) }
    static func scale(_ t: Tensor) -> Double { Double(t.quantization?.scales.first ?? 1) }

    /// The clamp range of a fused activation in the output's quantized domain (TFLite
    /// CalculateActivationRangeQuantized).
    static func activationRange(_ a: FusedActivation, _ out: Tensor) -> (Int32, Int32) {
        let zp = zeroPoint(out), s = scale(out)
        // Clamped to int8 in Double before converting: a tiny output scale (1e-30, finite and
        // positive, so a valid file) makes 6 / scale far past Int32 and trapped. Within int8 the
        // result is TFLite's zero_point + round(v / scale), clamped by the callers anyway.
        func q(_ v: Double) -> Int32 { Int32(max(-128, min(127, Double(zp) + (v / s).rounded()))) }
        switch a {
        case .none: return (-128, 127)
        case .relu: return (max(-128, zp), 127)
        case .relu6: return (max(-128, zp), min(127, q(6)))
        case .reluN1To1: return (max(-128, q(-1)), min(127, q(1)))
        }
    }

    static func geometry(inShape: [Int], outShape: [Int], outC: Int, kH: Int, kW: Int, strideH: Int, strideW: Int,
                         padding: Padding) -> KernelReference.Geometry {
        let inH = inShape.count == 4 ? inShape[1] : 1, inW = inShape.count == 4 ? inShape[2] : 1
        let inC = inShape.last ?? 1
        var g = KernelReference.Geometry.make(inH: inH, inW: inW, inC: inC, outC: outC, kH: kH, kW: kW,
                                              strideH: strideH, strideW: strideW, same: padding == .same)
        if outShape.count == 4 { g.outH = outShape[1]; g.outW = outShape[2] }
        return g
    }

    /// TFLite's int8 ADD parameters, as its Prepare computes them: both inputs brought to twice
    /// the larger input scale with 20 bits of headroom (left shift 20), each by its own
    /// multiplier, and the sum to the output scale. Same-shaped inputs only (no broadcasting).
    static func addParams(_ op: Operator, layer: Int, _ a: Tensor, _ b: Tensor, _ out: Tensor,
                          file: String) throws -> KernelReference.AddParams {
        guard a.elementCount == out.elementCount, b.elementCount == out.elementCount else {
            throw GeneratorError.invalidModel(file: file, problem: "layer \(layer) (ADD): inputs \(a.shape) and \(b.shape) "
                                                + "to \(out.shape) need broadcasting, which is not supported")
        }
        guard case let .add(activation) = op.options else { throw unsupported(op, layer, file) }
        let leftShift: Int32 = 20
        let twiceMax = 2 * max(scale(a), scale(b))
        let m1 = QuantizedArithmetic.quantizeMultiplier(scale(a) / twiceMax)
        let m2 = QuantizedArithmetic.quantizeMultiplier(scale(b) / twiceMax)
        let mo = QuantizedArithmetic.quantizeMultiplier(twiceMax / (Double(1 << leftShift) * scale(out)))
        let (lo, hi) = activationRange(activation, out)
        return KernelReference.AddParams(input1Offset: -zeroPoint(a), input2Offset: -zeroPoint(b), leftShift: leftShift,
                                         input1Multiplier: m1.multiplier, input1Shift: m1.shift,
                                         input2Multiplier: m2.multiplier, input2Shift: m2.shift,
                                         outputMultiplier: mo.multiplier, outputShift: mo.shift,
                                         outputOffset: zeroPoint(out), actMin: lo, actMax: hi)
    }

    /// Per-channel (or per-tensor) requantization: input scale × weight scale / output scale.
    static func quant(input: Tensor, weights: Tensor, output: Tensor, channels: Int) -> KernelReference.Quant {
        let scales = weights.quantization?.scales ?? [1]
        var multipliers: [Int32] = [], shifts: [Int32] = []
        for c in 0..<(scales.count > 1 ? channels : 1) {
            let real = scale(input) * Double(scales[scales.count > 1 ? c : 0]) / scale(output)
            let (m, s) = QuantizedArithmetic.quantizeMultiplier(real)
            multipliers.append(m)
            shifts.append(s)
        }
        return KernelReference.Quant(multipliers: multipliers, shifts: shifts, perChannel: scales.count > 1)
    }

    static func weighted(_ op: Operator, layer: Int, input: [Int8], inputTensor: Tensor, weights: Tensor, bias: Tensor?,
                         output: Tensor, encoding: SparseEncoding = .dense, file: String) throws -> [Int8] {
        guard let w = weights.int8Values else {
            throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): weights must be constant int8")
        }
        let b = bias?.int32Values
        let outC = output.shape.last ?? 1
        let (lo, hi) = activationRange(op.activation, output)
        let act = KernelReference.Activation(inputOffset: -zeroPoint(inputTensor), outputOffset: zeroPoint(output), min: lo, max: hi)
        let q = quant(input: inputTensor, weights: weights, output: output, channels: outC)
        if encoding != .dense, case let .depthwiseConv2D(o) = op.options {
            let g = geometry(inShape: inputTensor.shape, outShape: output.shape, outC: outC, kH: weights.shape[1],
                             kW: weights.shape[2], strideH: o.strideH, strideW: o.strideW, padding: o.padding)
            guard o.depthMultiplier == 1, g.inC == outC else {
                throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): sparse depthwise needs depth multiplier 1")
            }
            let sparse = try SparseDepthwise(weights: w, channels: outC, taps: g.kH * g.kW, bias: b, inputOffset: act.inputOffset)
            return sparse.run(input: input, geometry: g, act: act, quant: q)
        }
        if encoding != .dense, let rows = weights.shape.first, rows > 0 {
            let sparse = try SparseLayer(weights: w, rows: rows, cols: w.count / rows, bias: b, inputOffset: act.inputOffset,
                                         encoding: encoding)
            if case let .conv2D(o) = op.options {
                let g = geometry(inShape: inputTensor.shape, outShape: output.shape, outC: outC, kH: weights.shape[1],
                                 kW: weights.shape[2], strideH: o.strideH, strideW: o.strideW, padding: o.padding)
                return sparse.conv2d(input: input, geometry: g, act: act, quant: q)
            }
            return sparse.fullyConnected(input: input, batches: max(1, input.count / sparse.matrix.cols), act: act, quant: q)
        }
        switch op.options {
        case let .conv2D(o):
            let g = geometry(inShape: inputTensor.shape, outShape: output.shape, outC: outC, kH: weights.shape[1],
                             kW: weights.shape[2], strideH: o.strideH, strideW: o.strideW, padding: o.padding)
            return KernelReference.conv2d(input: input, weights: w, bias: b, geometry: g, act: act, quant: q)
        case let .depthwiseConv2D(o):
            let g = geometry(inShape: inputTensor.shape, outShape: output.shape, outC: outC, kH: weights.shape[1],
                             kW: weights.shape[2], strideH: o.strideH, strideW: o.strideW, padding: o.padding)
            return KernelReference.depthwiseConv2d(input: input, weights: w, bias: b, geometry: g,
                                                   depthMultiplier: o.depthMultiplier, act: act, quant: q)
        case .fullyConnected:
            let inFeatures = weights.shape.last ?? 1
            return KernelReference.fullyConnected(input: input, weights: w, bias: b, batches: max(1, input.count / inFeatures),
                                                  inFeatures: inFeatures, outFeatures: weights.shape.first ?? outC,
                                                  act: act, quant: q)
        default:
            throw unsupported(op, layer, file)
        }
    }
}
