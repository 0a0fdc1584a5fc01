import Foundation

/// Post-training int8 quantization as the TFLite converter does it (quantization spec in
/// shared/reference/workloads.md): weights symmetric int8 in [-127, 127], per output channel
/// for convolutions and depthwise, per tensor for fully connected; activations per tensor,
/// asymmetric, from the ranges seen on calibration inputs; int32 bias at input scale × weight
/// scale; pooling and reshape keep their input's parameters; softmax outputs 1/256, -128.
public enum Quantizer {
    /// `perChannelWeights` false quantizes conv and depthwise filters per tensor too (one scale).
    public static func quantize(_ model: Model, calibration: [[Float]], file: String, perChannelWeights: Bool = true) throws -> Model {
        guard !calibration.isEmpty else { throw GeneratorError.invalidModel(file: file, problem: "quantization needs calibration inputs") }
        // Activation ranges over the calibration set.
        var lo: [Int: Float] = [:], hi: [Int: Float] = [:]
        for input in calibration {
            for (index, values) in try FloatReference.run(model, input: input, file: file) {
                lo[index] = min(lo[index] ?? 0, values.min() ?? 0)
                hi[index] = max(hi[index] ?? 0, values.max() ?? 0)
            }
        }
        var q = model
        var params: [Int: (scale: Float, zero: Int64)] = [:]
        func activation(_ index: Int) -> (Float, Int64) {
            if let p = params[index] { return p }
            // The range must contain 0 so that zero padding is exact (TFLite nudging).
            let low = min(lo[index] ?? 0, 0), high = max(hi[index] ?? 0, 0)
            let scale = max((high - low) / 255, 1e-8)
            let zero = Int64(max(-128, min(127, (-128 - low / scale).rounded())))
            params[index] = (scale, zero)
            return (scale, zero)
        }
        func setActivation(_ index: Int, _ p: (Float, Int64)) {
            params[index] = p
            q.tensors[index].type = .int8
            q.tensors[index].data = nil
            q.tensors[index].quantization = Quantization(scales: [p.0], zeroPoints: [p.1])
        }
        if let input = model.inputs.first { setActivation(input, activation(input)) }
        for op in model.operators {
            guard let out = op.outputs.first else { continue }
            let inP = activation(op.inputs[0])
            switch op.kind {
            case .averagePool2D, .maxPool2D, .reshape:
                setActivation(out, inP)
            case .softmax:
                setActivation(out, (1.0 / 256, -128))
            case .conv2D, .depthwiseConv2D, .fullyConnected:
                let outP = activation(out)
                setActivation(out, outP)
                let w = model.tensors[op.inputs[1]]
                guard let weights = FloatReference.floats(w) else {
                    throw GeneratorError.invalidModel(file: file, problem: "weights of \(w.name) are not float or int8")
                }
                // Conv filters [O,H,W,I]: channel dimension 0; depthwise [1,H,W,O]: 3; FC per tensor.
                let dim = !perChannelWeights ? -1 : op.kind == .conv2D ? 0 : (op.kind == .depthwiseConv2D ? 3 : -1)
                let channels = dim >= 0 ? w.shape[dim] : 1
                let inner = dim >= 0 ? w.shape[(dim + 1)...].reduce(1, *) : weights.count
                func channel(_ i: Int) -> Int { dim < 0 ? 0 : (i / inner) % channels }
                var maxAbs = [Float](repeating: 0, count: channels)
                for (i, v) in weights.enumerated() { maxAbs[channel(i)] = max(maxAbs[channel(i)], abs(v)) }
                let scales = maxAbs.map { max($0 / 127, 1e-12) }
                let quantized = weights.enumerated().map { i, v -> UInt8 in
                    UInt8(bitPattern: Int8(max(-127, min(127, (v / scales[channel(i)]).rounded()))))
                }
                q.tensors[op.inputs[1]].type = .int8
                q.tensors[op.inputs[1]].data = quantized
                q.tensors[op.inputs[1]].quantization = Quantization(scales: scales, zeroPoints: [Int64](repeating: 0, count: channels),
                                                                   dimension: max(dim, 0))
                if op.inputs.count > 2, op.inputs[2] >= 0, let bias = FloatReference.floats(model.tensors[op.inputs[2]]) {
                    let outChannels = bias.count
                    var data: [UInt8] = []
                    var biasScales: [Float] = []
                    for c in 0..<outChannels {
                        let s = inP.0 * scales[channels > 1 ? c : 0]
                        biasScales.append(s)
                        let v = Int32(max(-2_147_483_647, min(2_147_483_647, (Double(bias[c]) / Double(s)).rounded())))
                        withUnsafeBytes(of: v.littleEndian) { data += $0 }
                    }
                    q.tensors[op.inputs[2]].type = .int32
                    q.tensors[op.inputs[2]].data = data
                    q.tensors[op.inputs[2]].quantization = Quantization(scales: biasScales, zeroPoints: [Int64](repeating: 0, count: outChannels))
                }
            default:
                throw GeneratorError.invalidModel(file: file, problem: "quantization does not handle \(op.kind.rawValue) yet")
            }
        }
        // Values near the float32 limit (weights, or activations on the calibration inputs) give
        // an infinite or zero scale, which the kernels' requantization cannot represent: refuse
        // here, naming the tensor, rather than generate firmware that computes garbage.
        for t in q.tensors {
            if let bad = t.quantization?.scales.first(where: { !$0.isFinite || $0 <= 0 }) {
                throw GeneratorError.invalidModel(file: file, problem: "quantization gives tensor '\(t.name)' the scale \(bad): its weights or its values on the calibration inputs are beyond the float32 range")
            }
        }
        return q
    }

    /// real = (q - zero point) × scale, for comparing a quantized output with the float one.
    public static func dequantize(_ values: [Int8], _ t: Tensor) -> [Float] {
        let s = t.quantization?.scales.first ?? 1, z = Float(t.quantization?.zeroPoints.first ?? 0)
        return values.map { (Float($0) - z) * s }
    }
}
