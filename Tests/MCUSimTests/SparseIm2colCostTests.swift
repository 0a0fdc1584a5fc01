import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// 2:4 against dense on the two im2col convolution shapes of the issue (docs/pruning.md, "2:4
/// against dense"): the digits CNN's 3x3 conv 16->32 over 4x4 (SAME) and the DS-CNN's first
/// conv, 10x4 on one input channel at stride 2 over 49x10 (SAME, 25x5 outputs: four-pixel passes
/// across output rows). Each model is built twice from the same 2:4-pruned weights, dense and
/// nm:2:4, and the layer function's cycles compared on the max32660 (M4).
@Suite(.serialized) struct SparseIm2colCostTests {
    struct Shape: Sendable, CustomStringConvertible {
        var name: String
        var inH: Int, inW: Int, inC: Int, outC: Int, kH: Int, kW: Int, stride: Int
        /// The speed-up the test guards: a few percent under the measurement.
        var floor: Double
        var description: String { name }
    }

    static let shapes = [
        Shape(name: "3x3 conv 16->32 on 4x4", inH: 4, inW: 4, inC: 16, outC: 32, kH: 3, kW: 3, stride: 1, floor: 1.44),
        Shape(name: "10x4 conv 1->64 stride 2 on 49x10", inH: 49, inW: 10, inC: 1, outC: 64, kH: 10, kW: 4, stride: 2,
              floor: 1.70),
    ]

    /// One SAME convolution with ReLU, per-tensor quantization, weights [outC][kH][kW][inC].
    static func model(_ s: Shape, weights: [Int8]) -> Model {
        let q = Quantization(scales: [0.05], zeroPoints: [3])
        let outH = (s.inH + s.stride - 1) / s.stride, outW = (s.inW + s.stride - 1) / s.stride
        let bias = (0..<s.outC).flatMap { r -> [UInt8] in
            let v = UInt32(bitPattern: Int32(r * 7 - 200))
            return [0, 8, 16, 24].map { UInt8((v >> $0) & 0xFF) }
        }
        let tensors = [
            Tensor(name: "x", shape: [1, s.inH, s.inW, s.inC], type: .int8, quantization: q),
            Tensor(name: "w", shape: [s.outC, s.kH, s.kW, s.inC], type: .int8, data: weights.map { UInt8(bitPattern: $0) },
                   quantization: Quantization(scales: [0.01], zeroPoints: [0])),
            Tensor(name: "b", shape: [s.outC], type: .int32, data: bias, quantization: Quantization(scales: [0.0005], zeroPoints: [0])),
            Tensor(name: "y", shape: [1, outH, outW, s.outC], type: .int8, quantization: Quantization(scales: [0.08], zeroPoints: [-5])),
        ]
        let conv = Operator(kind: .conv2D, inputs: [0, 1, 2], outputs: [3],
                            options: .conv2D(Conv2DOptions(padding: .same, strideW: s.stride, strideH: s.stride, activation: .relu)))
        return Model(name: "im2col", tensors: tensors, operators: [conv], inputs: [0], outputs: [3])
    }

    @Test("2:4 im2col convolutions against dense on the M4", arguments: shapes)
    func im2colAgainstDense(shape s: Shape) throws {
        let cols = s.kH * s.kW * s.inC
        let w = SparseCostTests.weights(rows: s.outC, cols: cols, sparsity: 0.5, seed: 3, nm: (2, 4))
        let tag = "im2col-\(s.kH)x\(s.kW)x\(s.inC)"
        let dense = try SparseCostTests.measure(Self.model(s, weights: w), encoding: .dense, board: "max32660", name: "\(tag)-dense")[0]
        let nm = try SparseCostTests.measure(Self.model(s, weights: w), encoding: .nm(n: 2, m: 4), board: "max32660", name: "\(tag)-nm24")[0]
        let ratio = Double(dense) / Double(nm)
        OutputCapture.log("im2col on max32660, \(s.name): dense \(dense) cycles; 2:4 \(nm) (\(String(format: "%.2f", ratio))x)")
        #expect(ratio >= s.floor, "2:4 on \(s.name): \(ratio)x")
    }
}
