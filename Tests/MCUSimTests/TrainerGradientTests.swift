import Foundation
import MCUGen
import Testing

/// The trainer's backward pass against finite differences of its own forward pass, on a small
/// float model through every op it trains: CONV_2D (SAME, stride 2), DEPTHWISE_CONV_2D
/// (multiplier 2), AVERAGE or MAX pooling, RESHAPE, FULLY_CONNECTED and the softmax
/// cross-entropy loss. Activations are linear so the loss is smooth where it is sampled.
@Suite struct TrainerGradientTests {
    static func model(maxPool: Bool) -> Model {
        var state: UInt64 = 99
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23) * 0.5
        }
        var t: [Tensor] = []
        func add(_ name: String, _ shape: [Int], data: Bool = false) -> Int {
            let bytes = data ? (0..<shape.reduce(1, *)).flatMap { _ -> [UInt8] in
                let b = next().bitPattern
                return [0, 8, 16, 24].map { UInt8((b >> $0) & 0xFF) }
            } : nil
            t.append(Tensor(name: name, shape: shape, type: .float32, data: bytes))
            return t.count - 1
        }
        let x = add("x", [1, 6, 6, 2])
        let w0 = add("w0", [3, 3, 3, 2], data: true), b0 = add("b0", [3], data: true), a0 = add("a0", [1, 3, 3, 3])
        let w1 = add("w1", [1, 3, 3, 6], data: true), b1 = add("b1", [6], data: true), a1 = add("a1", [1, 3, 3, 6])
        let a2 = add("a2", [1, 2, 2, 6]), f = add("f", [1, 24])
        let w3 = add("w3", [4, 24], data: true), b3 = add("b3", [4], data: true), y = add("y", [1, 4]), p = add("p", [1, 4])
        let ops = [
            Operator(kind: .conv2D, inputs: [x, w0, b0], outputs: [a0],
                     options: .conv2D(Conv2DOptions(padding: .same, strideW: 2, strideH: 2))),
            Operator(kind: .depthwiseConv2D, inputs: [a0, w1, b1], outputs: [a1],
                     options: .depthwiseConv2D(DepthwiseConv2DOptions(padding: .same, strideW: 1, strideH: 1, depthMultiplier: 2))),
            Operator(kind: maxPool ? .maxPool2D : .averagePool2D, inputs: [a1], outputs: [a2],
                     options: .pool2D(Pool2DOptions(padding: .valid, strideW: 1, strideH: 1, filterW: 2, filterH: 2))),
            Operator(kind: .reshape, inputs: [a2], outputs: [f], options: .reshape(newShape: [1, 24])),
            Operator(kind: .fullyConnected, inputs: [f, w3, b3], outputs: [y], options: .fullyConnected(FullyConnectedOptions())),
            Operator(kind: .softmax, inputs: [y], outputs: [p], options: .softmax(beta: 1)),
        ]
        return Model(name: "grad", tensors: t, operators: ops, inputs: [x], outputs: [p])
    }

    static func loss(_ net: FloatNetwork, _ x: [Float], _ label: Int) -> Double {
        let logits = (net.forward(x)[net.logitsTensor] ?? []).map(Double.init)
        let m = logits.max() ?? 0
        let sum = logits.reduce(0) { $0 + exp($1 - m) }
        return -(logits[label] - m - log(sum))
    }

    @Test("analytic gradients match finite differences for every trainable tensor", arguments: [false, true])
    func gradients(maxPool: Bool) throws {
        var net = try FloatNetwork(Self.model(maxPool: maxPool), file: "grad")
        let x = (0..<72).map { Float(sin(Double($0) * 1.7)) }
        let label = 2
        var grads: [Int: [Float]] = [:]
        net.backward(net.forward(x), label: label, grads: &grads)
        #expect(Set(grads.keys) == Set(net.params.keys), "every weight and bias gets a gradient")
        let eps: Float = 1e-2
        var checked = 0
        for (index, values) in net.params.sorted(by: { $0.key < $1.key }) {
            for k in stride(from: 0, to: values.count, by: max(1, values.count / 7)) {
                var plus = net, minus = net
                plus.params[index]?[k] = values[k] + eps
                minus.params[index]?[k] = values[k] - eps
                let numeric = (Self.loss(plus, x, label) - Self.loss(minus, x, label)) / Double(2 * eps)
                let analytic = Double(grads[index]?[k] ?? .nan)
                #expect(abs(numeric - analytic) <= 2e-3 + 0.05 * abs(analytic),
                        "tensor \(index) [\(k)]: numeric \(numeric), analytic \(analytic)")
                checked += 1
            }
            net.params[index] = values
        }
        #expect(checked >= 30)
    }
}
