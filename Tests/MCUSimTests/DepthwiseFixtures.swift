import Foundation
import MCUGen

/// Models with DEPTHWISE_CONV_2D layers built in the tests: int8 chains for the sparse kernel,
/// and a float conv / depthwise / FC model for the pruner.
enum DepthwiseFixtures {
    /// A deterministic int8 draw: nonzero values in [-127, 127].
    static func int8s(_ count: Int, seed: UInt64) -> [Int8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let v = Int8(truncatingIfNeeded: Int(state >> 33) % 255 - 127)
            return v == 0 ? 1 : v
        }
    }

    /// Depthwise weights [1][kH][kW][C] with exactly `sparsity` of them zero: the smallest |w|
    /// of a fixed-seed draw (ties by position), as magnitude pruning leaves them.
    static func weights(taps: Int, channels: Int, sparsity: Double, seed: UInt64) -> [Int8] {
        var w = int8s(taps * channels, seed: seed)
        let keep = Pruner.smallestMask(w.map { Float(abs(Int($0))) }, prune: Int((Double(w.count) * sparsity).rounded()))
        for i in w.indices where !keep[i] { w[i] = 0 }
        return w
    }

    /// Weights where every channel keeps exactly `n` taps (random positions).
    static func weights(taps: Int, channels: Int, tapsPerChannel n: Int, seed: UInt64) -> [Int8] {
        var w = int8s(taps * channels, seed: seed)
        var rng = seed | 1
        for c in 0..<channels {
            var kept = Set<Int>()
            while kept.count < min(n, taps) {
                rng = rng &* 6364136223846793005 &+ 1442695040888963407
                kept.insert(Int(rng >> 33) % taps)
            }
            for t in 0..<taps where !kept.contains(t) { w[t * channels + c] = 0 }
        }
        return w
    }

    /// One depthwise layer of a chain.
    struct Layer {
        var weights: [Int8]
        var kernel: Int = 3
        var stride: Int = 1
        var padding: Padding = .same
        var activation: FusedActivation = .relu
        var outputZeroPoint: Int64 = -128
        var outputScale: Float = 0.06
        /// Each channel's bias is a drawn int8 times this.
        var biasScale: Int32 = 40
    }

    /// An int8 model: input [1, h, w, C], then the layers one after another (`chained`), or
    /// every layer reading the input (the model output is then the last layer's).
    static func model(height: Int, width: Int, channels: Int, layers: [Layer], chained: Bool = true,
                      inputZeroPoint: Int64 = 5, seed: UInt64 = 1) -> Model {
        var t: [Tensor] = []
        func add(_ tensor: Tensor) -> Int { t.append(tensor); return t.count - 1 }
        let x = add(Tensor(name: "x", shape: [1, height, width, channels], type: .int8,
                           quantization: Quantization(scales: [0.05], zeroPoints: [inputZeroPoint])))
        var ops: [Operator] = []
        var current = x, h = height, w = width
        var draw = int8s(channels * layers.count, seed: seed &+ 99)
        for (i, layer) in layers.enumerated() {
            let source = chained ? current : x
            let sh = chained ? h : height, sw = chained ? w : width
            let g = KernelReference.Geometry.make(inH: sh, inW: sw, inC: channels, outC: channels, kH: layer.kernel, kW: layer.kernel,
                                                  strideH: layer.stride, strideW: layer.stride, same: layer.padding == .same)
            let scales = (0..<channels).map { Float(0.004 + 0.0005 * Double($0 % 7)) }
            let wi = add(Tensor(name: "w\(i)", shape: [1, layer.kernel, layer.kernel, channels], type: .int8,
                                data: layer.weights.map { UInt8(bitPattern: $0) },
                                quantization: Quantization(scales: scales, zeroPoints: [Int64](repeating: 0, count: channels), dimension: 3)))
            let bias = (0..<channels).flatMap { c -> [UInt8] in
                let v = UInt32(bitPattern: Int32(draw.removeFirst()) * layer.biasScale)
                return [0, 8, 16, 24].map { UInt8((v >> $0) & 0xFF) }
            }
            let bi = add(Tensor(name: "b\(i)", shape: [channels], type: .int32, data: bias,
                                quantization: Quantization(scales: scales.map { $0 * 0.05 }, zeroPoints: [Int64](repeating: 0, count: channels))))
            let yi = add(Tensor(name: "y\(i)", shape: [1, g.outH, g.outW, channels], type: .int8,
                                quantization: Quantization(scales: [layer.outputScale], zeroPoints: [layer.outputZeroPoint])))
            ops.append(Operator(kind: .depthwiseConv2D, inputs: [source, wi, bi], outputs: [yi],
                                options: .depthwiseConv2D(DepthwiseConv2DOptions(padding: layer.padding, strideW: layer.stride,
                                                                                 strideH: layer.stride, activation: layer.activation))))
            (current, h, w) = (yi, g.outH, g.outW)
        }
        return Model(name: "depthwise-test", tensors: t, operators: ops, inputs: [x], outputs: [ops.last?.outputs[0] ?? x])
    }

    /// A float model: input [1, 6, 5, 2] -> conv 3x3 SAME (8) -> depthwise 3x3 SAME (8) ->
    /// conv 1x1 (6) -> flatten -> FC 180 -> 4 -> softmax, weights from a fixed-seed draw.
    static func floatModel(seed: UInt64 = 5) -> Model {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
        var t: [Tensor] = []
        func add(_ name: String, _ shape: [Int], data: Bool = false) -> Int {
            let bytes = data ? (0..<shape.reduce(1, *)).flatMap { _ -> [UInt8] in
                let b = (next() * 0.5).bitPattern
                return [0, 8, 16, 24].map { UInt8((b >> $0) & 0xFF) }
            } : nil
            t.append(Tensor(name: name, shape: shape, type: .float32, data: bytes))
            return t.count - 1
        }
        let x = add("x", [1, 6, 5, 2])
        let w0 = add("w0", [8, 3, 3, 2], data: true), b0 = add("b0", [8], data: true), a0 = add("a0", [1, 6, 5, 8])
        let w1 = add("w1", [1, 3, 3, 8], data: true), b1 = add("b1", [8], data: true), a1 = add("a1", [1, 6, 5, 8])
        let w2 = add("w2", [6, 1, 1, 8], data: true), b2 = add("b2", [6], data: true), a2 = add("a2", [1, 6, 5, 6])
        let f = add("flat", [1, 180])
        let w3 = add("w3", [4, 180], data: true), b3 = add("b3", [4], data: true), a3 = add("a3", [1, 4])
        let y = add("y", [1, 4])
        let conv = OperatorOptions.conv2D(Conv2DOptions(padding: .same, strideW: 1, strideH: 1, activation: .relu))
        let ops = [
            Operator(kind: .conv2D, inputs: [x, w0, b0], outputs: [a0], options: conv),
            Operator(kind: .depthwiseConv2D, inputs: [a0, w1, b1], outputs: [a1],
                     options: .depthwiseConv2D(DepthwiseConv2DOptions(padding: .same, strideW: 1, strideH: 1, activation: .relu))),
            Operator(kind: .conv2D, inputs: [a1, w2, b2], outputs: [a2], options: conv),
            Operator(kind: .reshape, inputs: [a2], outputs: [f], options: .reshape(newShape: [1, 180])),
            Operator(kind: .fullyConnected, inputs: [f, w3, b3], outputs: [a3], options: .fullyConnected(FullyConnectedOptions())),
            Operator(kind: .softmax, inputs: [a3], outputs: [y], options: .softmax(beta: 1)),
        ]
        return Model(name: "depthwise-float", tensors: t, operators: ops, inputs: [x], outputs: [y])
    }

    /// Float32 weights of a layer, in tensor order.
    static func floats(_ m: Model, _ layer: Int) -> [Float] {
        FloatReference.floats(m.tensors[m.operators[layer].inputs[1]]) ?? []
    }
}
