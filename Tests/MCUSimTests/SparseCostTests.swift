import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Measured cost of each encoding against dense, on FC 256->64 and 64->32 layers and a 1x1 conv
/// 64->64 over 25x5 pixels (the DS-CNN's pointwise shape), at sparsities from 50% to 95%, on
/// max32660 (M4, DSP path) and samd21 (M0+, plain C). One firmware per (shape, encoding, board)
/// holds a layer per sparsity, all reading the model input; each layer's cycles come from the
/// profile of its layerNN function. These are the numbers behind docs/pruning.md and the
/// `--encoding auto` cost rule, which must pick an encoding within 10% of the measured best.
@Suite(.serialized) struct SparseCostTests {
    static let sparsities: [Double] = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95]

    enum Shape: String, CaseIterable, Sendable {
        case fc = "FC 256->64", smallFC = "FC 64->32", pointwise = "1x1 conv 64->64 on 25x5"
        var rows: Int { self == .smallFC ? 32 : 64 }
        var cols: Int { self == .fc ? 256 : 64 }
        var isFC: Bool { self != .pointwise }
        var tag: String { self == .fc ? "fc" : self == .smallFC ? "fc64" : "pw" }
    }

    /// int8 weights [rows][cols] with exactly `sparsity` of them zero (smallest magnitudes of
    /// a fixed-seed draw), and the N:M pattern when asked.
    static func weights(rows: Int, cols: Int, sparsity: Double, seed: UInt64, nm: (Int, Int)? = nil) -> [Int8] {
        var state = seed
        var w = (0..<(rows * cols)).map { _ -> Int8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let v = Int8(truncatingIfNeeded: Int(state >> 33) % 255 - 127)
            return v == 0 ? 1 : v
        }
        if let (n, m) = nm {
            let keep = Pruner.nmMask(w.map { Float(abs(Int($0))) }, rows: rows, cols: cols, n: n, m: m)
            for i in w.indices where !keep[i] { w[i] = 0 }
        } else {
            let keep = Pruner.smallestMask(w.map { Float(abs(Int($0))) }, prune: Int((Double(w.count) * sparsity).rounded()))
            for i in w.indices where !keep[i] { w[i] = 0 }
        }
        return w
    }

    /// A model whose layers all read the input: one per (sparsity, weights).
    static func model(_ shape: Shape, layers: [[Int8]]) -> Model {
        let q = Quantization(scales: [0.05], zeroPoints: [3])
        var t: [Tensor] = []
        func add(_ tensor: Tensor) -> Int { t.append(tensor); return t.count - 1 }
        let inShape = shape.isFC ? [1, shape.cols] : [1, 25, 5, 64]
        let x = add(Tensor(name: "x", shape: inShape, type: .int8, quantization: q))
        var ops: [Operator] = []
        for (i, w) in layers.enumerated() {
            let rows = shape.rows, cols = w.count / rows
            let wShape = shape.isFC ? [rows, cols] : [rows, 1, 1, cols]
            let wi = add(Tensor(name: "w\(i)", shape: wShape, type: .int8, data: w.map { UInt8(bitPattern: $0) },
                                quantization: Quantization(scales: [0.01], zeroPoints: [0])))
            let bias = (0..<rows).flatMap { r -> [UInt8] in let v = UInt32(bitPattern: Int32(r * 7 - 200)); return [0, 8, 16, 24].map { UInt8((v >> $0) & 0xFF) } }
            let bi = add(Tensor(name: "b\(i)", shape: [rows], type: .int32, data: bias, quantization: Quantization(scales: [0.0005], zeroPoints: [0])))
            let outShape = shape.isFC ? [1, rows] : [1, 25, 5, rows]
            let yi = add(Tensor(name: "y\(i)", shape: outShape, type: .int8, quantization: Quantization(scales: [0.08], zeroPoints: [-5])))
            let options: OperatorOptions = shape.isFC
                ? .fullyConnected(FullyConnectedOptions(activation: .relu))
                : .conv2D(Conv2DOptions(padding: .valid, strideW: 1, strideH: 1, activation: .relu))
            ops.append(Operator(kind: shape.isFC ? .fullyConnected : .conv2D, inputs: [x, wi, bi], outputs: [yi], options: options))
        }
        return Model(name: "cost", tensors: t, operators: ops, inputs: [x], outputs: [ops.last?.outputs[0] ?? 0])
    }

    /// Cycles of each layer of `model` with every layer in `encoding`, on `board`.
    static func measure(_ model: Model, encoding: SparseEncoding, board boardName: String, name: String) throws -> [UInt64] {
        let board = try FixtureBuilder.board(boardName)
        var encodings: [Int: SparseEncoding] = [:]
        if encoding != .dense { for i in model.operators.indices { encodings[i] = encoding } }
        let outcome = try ModelCheck.run(model: model, modelPath: name, board: board, directory: FixtureBuilder.buildRoot + "/cost-\(name)",
                                         seed: 1, builder: FirmwareBuilder(toolchain: try Toolchain.locate()),
                                         options: RunOptions(maxInstructions: 2_000_000_000),
                                         encodings: encodings)
        #expect(outcome.matches, "\(name): not bit-exact (\(outcome.result.stop.message))")
        return model.operators.indices.map { i in
            outcome.result.functions.first { $0.name.hasPrefix(String(format: "layer%02d_", i)) }?.cycles ?? 0
        }
    }

    @Test("encodings against dense: measured cycles, break-even, and the auto rule's choice",
          arguments: [("max32660", true), ("samd21", false)])
    func costs(board: String, dsp: Bool) throws {
        for shape in Shape.allCases {
            let rows = shape.rows, cols = shape.cols
            let dense = try Self.measure(Self.model(shape, layers: [Self.weights(rows: rows, cols: cols, sparsity: 0, seed: 1)]),
                                         encoding: .dense, board: board, name: "\(board)-\(shape.tag)-dense")[0]
            var table: [SparseEncoding: [UInt64]] = [:]
            let layers = Self.sparsities.enumerated().map { Self.weights(rows: rows, cols: cols, sparsity: $0.element, seed: UInt64(10 + $0.offset)) }
            for e in [SparseEncoding.csr8, .csr16, .bitmask, .block4] {
                table[e] = try Self.measure(Self.model(shape, layers: layers), encoding: e, board: board,
                                            name: "\(board)-\(shape.tag)-\(e)")
            }
            let nmWeights = Self.weights(rows: rows, cols: cols, sparsity: 0.5, seed: 3, nm: (2, 4))
            let nm = try Self.measure(Self.model(shape, layers: [nmWeights]),
                                      encoding: .nm(n: 2, m: 4), board: board, name: "\(board)-\(shape.tag)-nm24")[0]
            OutputCapture.log("cost on \(board), \(shape.rawValue): dense \(dense) cycles; 2:4 \(nm) (\(String(format: "%.2f", Double(dense) / Double(nm)))x)")
            // The 2:4 rule: its estimate within 10% of the measured cycles (pixels x per-pixel
            // estimate for the conv), and auto, between dense and 2:4, picks the faster.
            let pixels = shape == .pointwise ? 125.0 : 1.0
            let nmEstimate = (EncodingSelector.estimate(nmWeights, rows: rows, cols: cols, encoding: .nm(n: 2, m: 4), dsp: dsp,
                                                        conv: shape == .pointwise) ?? 0) * pixels
            #expect(abs(nmEstimate / Double(nm) - 1) <= 0.10, "2:4 on \(shape.rawValue), \(board): estimate \(nmEstimate), measured \(nm)")
            let nmChoice = EncodingSelector.choose(nmWeights, rows: rows, cols: cols, candidates: [.dense, .nm(n: 2, m: 4)], dsp: dsp,
                                                   conv: shape == .pointwise).encoding
            #expect(nmChoice == (nm < dense ? .nm(n: 2, m: 4) : .dense), "2:4 on \(shape.rawValue), \(board): auto chose \(nmChoice)")
            for (i, s) in Self.sparsities.enumerated() {
                let cells = [SparseEncoding.csr8, .csr16, .bitmask, .block4].map { e in
                    "\(e) \(table[e]?[i] ?? 0) (\(String(format: "%.2f", Double(dense) / Double(max(table[e]?[i] ?? 1, 1))))x)"
                }
                OutputCapture.log("cost on \(board), \(shape.rawValue), sparsity \(s): " + cells.joined(separator: ", "))
                // The auto rule must land within 10% of the best measured choice (dense included).
                let measured: [SparseEncoding: UInt64] = Dictionary(uniqueKeysWithValues:
                    [SparseEncoding.csr8, .csr16, .bitmask, .block4].map { ($0, table[$0]?[i] ?? 0) } + [(.dense, dense)])
                let chosen = EncodingSelector.choose(layers[i], rows: rows, cols: cols, candidates: [.dense, .csr8, .csr16, .bitmask, .block4],
                                                     dsp: dsp, conv: shape == .pointwise).encoding
                let best = measured.values.min() ?? 0
                #expect(Double(measured[chosen] ?? 0) <= Double(best) * 1.10,
                        "\(board) \(shape.rawValue) at \(s): auto chose \(chosen) (\(measured[chosen] ?? 0)), best \(best): \(measured)")
            }
            // The measured facts the docs state: with SMLAD, CSR8 at 50% is slower than dense on FC
            // layers and at 95% faster; on the 1x1 conv it pays from 50% (1.06x since finish_rows4
            // takes each row's requantization constants from a per-layer table); without SMLAD,
            // CSR wins from 50% on.
            let csr = table[.csr8] ?? []
            let csr50 = Double(csr.first ?? 0)
            #expect((dsp && shape.isFC ? csr50 > Double(dense) : csr50 < Double(dense)) && (csr.last ?? .max) < dense,
                    "\(board) \(shape.rawValue): CSR8 50% \(csr.first ?? 0), 95% \(csr.last ?? 0), dense \(dense)")
            // 2:4 against dense, as measured on 2026-11-21 with the index-byte kernels, the
            // four-chunk FC row loop and the conv's assembly row loop with per-layer requantization
            // constants (docs/pruning.md): on the M4 the pointwise conv 1.68x, FC 256->64 1.33x
            // (the issue's 1.4x is not reached there), FC 64->32 1.47x; on the M0+ all gain. A
            // regression guard a few percent under the measurements.
            let nmFloor = dsp ? (shape == .pointwise ? 1.60 : shape == .fc ? 1.29 : 1.40) : 1.05
            #expect(Double(dense) / Double(nm) >= nmFloor, "2:4 on \(shape.rawValue), \(board): \(Double(dense) / Double(nm))x")
        }
    }
}
