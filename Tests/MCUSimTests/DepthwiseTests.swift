import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Sparse depthwise layers (the taps encoding and depthwise_conv2d_sparse_s8): firmware built
/// with the real toolchain and run on the simulator must equal the dense host reference
/// (KernelReference.depthwiseConv2d, which never sees the encoding) byte for byte.
@Suite struct DepthwiseTests {
    typealias Layer = DepthwiseFixtures.Layer

    static func w(_ channels: Int, _ sparsity: Double, seed: UInt64, kernel: Int = 3) -> [Int8] {
        DepthwiseFixtures.weights(taps: kernel * kernel, channels: channels, sparsity: sparsity, seed: seed)
    }

    struct Chain: Sendable, CustomTestStringConvertible {
        let name: String
        let board: String
        var testDescription: String { "\(name) on \(board)" }
    }

    /// The chains: every layer stored as taps, each one's output the next one's input.
    static func chain(_ name: String) -> Model {
        switch name {
        case "geometries":
            // 20x14x16: SAME stride 1 at 90%, VALID at 0% (nine taps per channel), SAME stride 2 at
            // 50%, VALID stride 2 at 90%, SAME at 75%: 20x14 -> 18x12 -> 9x6 -> 4x2 -> 4x2. Without
            // ReLU on two of them, so that negative results (their rounding ties) reach the output.
            return DepthwiseFixtures.model(height: 20, width: 14, channels: 16, layers: [
                Layer(weights: w(16, 0.9, seed: 1), activation: .none, outputZeroPoint: 0),
                Layer(weights: w(16, 0, seed: 2), padding: .valid),
                Layer(weights: w(16, 0.5, seed: 3), stride: 2, activation: .none, outputZeroPoint: 2),
                Layer(weights: w(16, 0.9, seed: 4), stride: 2, padding: .valid),
                Layer(weights: w(16, 0.75, seed: 5)),
            ])
        case "clamps":
            // 13 channels (a partial group of four, unaligned pixels): ReLU6 with output zero point 3
            // (not the int8 range: the C loop), stride 2, a 5x5 kernel at 60%, and small weights
            // with an output scale that makes the multiplier about 1.1 (a left shift: off the fast
            // path, nn_requant_out).
            return DepthwiseFixtures.model(height: 12, width: 9, channels: 13, layers: [
                Layer(weights: w(13, 0.9, seed: 6), activation: .relu6, outputZeroPoint: 3),
                Layer(weights: w(13, 0.5, seed: 7), stride: 2),
                Layer(weights: w(13, 0.6, seed: 8, kernel: 5), kernel: 5, activation: .none, outputZeroPoint: 0),
                Layer(weights: w(13, 0.7, seed: 9).map { $0 / 16 }, activation: .none, outputZeroPoint: -7, outputScale: 0.00025,
                      biasScale: 1),
            ], inputZeroPoint: -3)
        default:
            // 100%: no channel has taps; the output is every channel's requantized bias.
            return DepthwiseFixtures.model(height: 6, width: 5, channels: 8, layers: [Layer(weights: w(8, 1.0, seed: 10))])
        }
    }

    static let chains: [Chain] = ["max32660", "samd21"].flatMap { board in
        ["geometries", "clamps", "empty"].map { Chain(name: $0, board: board) }
    }

    @Test("sparse depthwise firmware equals the dense reference: 0-100%, SAME and VALID, strides 1 and 2, every clamp path",
          arguments: chains)
    func bitExact(_ c: Chain) throws {
        let model = Self.chain(c.name)
        let board = try FixtureBuilder.board(c.board)
        let builder = FirmwareBuilder(toolchain: try Toolchain.locate())
        for seed in 1...2 {
            let input = ModelCheck.randomInput(count: model.tensors[model.inputs[0]].elementCount, seed: seed)
            let dense = try ModelRunner.run(model, input: input, file: "dw")
            // Every layer's output, from the model cut after it (the output is then that layer's).
            for layer in model.operators.indices {
                var cut = model
                cut.operators = Array(model.operators[...layer])
                cut.outputs = model.operators[layer].outputs
                let encodings = Dictionary(uniqueKeysWithValues: cut.operators.indices.map { ($0, SparseEncoding.taps) })
                let outcome = try ModelCheck.run(model: cut, modelPath: "dw-\(c.name)", board: board,
                                                 directory: FixtureBuilder.buildRoot + "/dw-\(c.name)-\(c.board)", seed: seed,
                                                 builder: builder, options: RunOptions(), encodings: encodings)
                let expected = dense[model.operators[layer].outputs[0]] ?? []
                #expect(outcome.result.stop.reason == .exit, "\(outcome.result.stop.message)")
                #expect(outcome.firmwareOutput == expected, "layer \(layer), seed \(seed): first mismatch \(outcome.firstMismatch ?? -1)")
                // Not degenerate: the layer's outputs vary (but for the 100% layer's).
                if c.name != "empty" { #expect(Set(expected).count > 2, "layer \(layer): \(Set(expected).sorted())") }
            }
        }
    }

    @Test("the taps host reference equals the dense reference on random layers")
    func hostReference() throws {
        for (i, (same, stride, kernel, sparsity)) in [(true, 1, 3, 0.9), (false, 1, 3, 0.0), (true, 2, 3, 0.5), (false, 2, 5, 0.8),
                                                      (true, 1, 1, 0.5), (true, 3, 3, 1.0)].enumerated() {
            let channels = 5 + i, g = KernelReference.Geometry.make(inH: 8, inW: 6, inC: 5 + i, outC: 5 + i, kH: kernel, kW: kernel,
                                                                     strideH: stride, strideW: stride, same: same)
            let weights = DepthwiseFixtures.weights(taps: kernel * kernel, channels: channels, sparsity: sparsity, seed: UInt64(i))
            let input = DepthwiseFixtures.int8s(8 * 6 * channels, seed: UInt64(40 + i))
            let bias = DepthwiseFixtures.int8s(channels, seed: UInt64(50 + i)).map { Int32($0) * 300 }
            let act = KernelReference.Activation(inputOffset: 17, outputOffset: -4, min: -100, max: 120)
            let quant = KernelReference.Quant(multipliers: (0..<channels).map { 1_200_000_000 + Int32($0) * 1_000_000 },
                                              shifts: (0..<channels).map { -8 - Int32($0 % 3) }, perChannel: true)
            let layer = try SparseDepthwise(weights: weights, channels: channels, taps: kernel * kernel, bias: bias, inputOffset: 17)
            #expect(layer.matrix.values.count == weights.filter { $0 != 0 }.count)
            // The matrix is the transpose: row c holds channel c's taps in tap order.
            let layout = try #require(WeightLayout(kind: .depthwiseConv2D, shape: [1, kernel, kernel, channels]))
            #expect(layer.matrix.decode() == layout.matrix(weights))
            #expect(layer.run(input: input, geometry: g, act: act, quant: quant)
                    == KernelReference.depthwiseConv2d(input: input, weights: weights, bias: bias, geometry: g, depthMultiplier: 1,
                                                       act: act, quant: quant), "case \(i)")
        }
    }

    @Test("a depthwise tensor's matrix is [channels][taps]: rows are its last dimension")
    func weightLayout() throws {
        let dw = try #require(WeightLayout(kind: .depthwiseConv2D, shape: [1, 3, 3, 8]))
        #expect(dw.rows == 8 && dw.cols == 9 && dw.dims == [8, 3, 3, 1])
        // Tensor element (tap t, channel c) is flat[t * 8 + c]; matrix element (c, t) is [c * 9 + t].
        let flat = Array(0..<72)
        #expect(dw.matrix(flat)[2 * 9 + 4] == 4 * 8 + 2)
        let conv = try #require(WeightLayout(kind: .conv2D, shape: [6, 1, 1, 8]))
        #expect(conv.rows == 6 && conv.cols == 8 && conv.matrix(flat) == flat)
    }
}

extension DepthwiseTests {
    @Test("auto stores depthwise layers as taps where faster; forced encodings mean taps, dense keeps them dense; the summary counts them")
    func encodingChoice() throws {
        let model = DepthwiseFixtures.model(height: 25, width: 5, channels: 64, layers: [
            Layer(weights: Self.w(64, 0, seed: 11)), Layer(weights: Self.w(64, 0.9, seed: 12)),
        ], chained: false)
        // Measured (DepthwiseCostTests): dense costs 84.0 cycles per output on the M4 and 922.9 on the
        // M0+; taps with all nine taps 79.9 and 468.8, with one or two 23-26 and 253-280. So even the
        // unpruned layer is faster as taps on both.
        for dsp in [true, false] {
            let auto = try ModelCompression.prepare(model, file: "dw", options: CompressionOptions(encoding: .auto), dsp: dsp)
            #expect(auto.encodings == [0: .taps, 1: .taps], "dsp \(dsp)")
        }
        let dense = try ModelCompression.prepare(model, file: "dw", options: CompressionOptions(encoding: .fixed(.dense)), dsp: true)
        #expect(dense.encodings.isEmpty)
        let forced = try ModelCompression.prepare(model, file: "dw", options: CompressionOptions(encoding: .fixed(.csr16)), dsp: true)
        #expect(forced.encodings == [0: .taps, 1: .taps])
        let generated = try CodeGenerator.generate(forced.model, file: "dw", encodings: forced.encodings)
        #expect(generated.modelC.contains("depthwise_conv2d_sparse_s8"))
        let layers = LayerSummary.make(forced, generated: generated)
        // 576 weights; at 90% round(518.4) = 518 are zero, 58 kept. Each kept tap is one MAC per
        // output pixel (25 x 5).
        let kept = 576 - Int((576 * 0.9).rounded())
        #expect(layers[1].encoding == "taps" && layers[1].nonzeros == kept && layers[1].weightBytes == kept)
        #expect(layers[1].indexBytes == kept + 2 * 64)  // a tap number per weight, a uint16 count per channel
        #expect(layers[1].executedMACs == 125 * kept && layers[1].denseMACs == 125 * 576)
        #expect(layers[0].executedMACs == 125 * 576)
    }

    @Test("the KWS DS-CNN at 90% magnitude: depthwise layers as taps, firmware bit-exact with the dense reference",
          arguments: ["max32660", "samd21"])
    func kws(board boardName: String) throws {
        let path = "\(ModelRunnerTests.fixtures)/kws_ref_model.tflite"
        let board = try FixtureBuilder.board(boardName)
        let spec = try PruningSpec.parse("magnitude", sparsity: 0.9)
        let compressed = try ModelCompression.prepare(try TFLiteImporter.load(path: path), file: path,
                                                      options: CompressionOptions(prune: spec), dsp: board.core.hasDSP)
        let depthwise = compressed.model.operators.indices.filter { compressed.model.operators[$0].kind == .depthwiseConv2D }
        #expect(depthwise.count == 4)
        for layer in depthwise {
            #expect(compressed.encodings[layer] == .taps)
            // The int8 weights pruned to round(576 x 0.9) = 518 zeros (zeros already there are the
            // smallest, so they count among them).
            let before = try TFLiteImporter.load(path: path).tensors[compressed.model.operators[layer].inputs[1]].int8Values ?? []
            let w = compressed.model.tensors[compressed.model.operators[layer].inputs[1]].int8Values ?? []
            #expect(w.count == 576 && w.filter { $0 == 0 }.count == max(518, before.filter { $0 == 0 }.count))
        }
        let outcome = try ModelCheck.run(model: compressed.model, modelPath: path, board: board,
                                         directory: FixtureBuilder.buildRoot + "/dw-kws-\(boardName)", seed: 1,
                                         builder: FirmwareBuilder(toolchain: try Toolchain.locate()),
                                         options: RunOptions(maxInstructions: 2_000_000_000), encodings: compressed.encodings)
        let input = ModelCheck.randomInput(count: 490, seed: 1)
        let dense = try ModelRunner.run(compressed.model, input: input, file: path)[compressed.model.outputs[0]]
        #expect(outcome.result.stop.reason == .exit, "\(outcome.result.stop.message)")
        #expect(outcome.firmwareOutput == dense)
        #expect(outcome.referenceOutput == dense)
    }
}

extension DepthwiseTests {
    @Test("--encoding measure measures depthwise layers as dense and as taps and keeps the faster")
    func measured() throws {
        let model = DepthwiseFixtures.model(height: 25, width: 5, channels: 64, layers: [
            Layer(weights: Self.w(64, 0, seed: 13)), Layer(weights: Self.w(64, 0.9, seed: 14)),
        ], chained: false)
        let compressed = try ModelCompression.prepare(model, file: "dw", options: CompressionOptions(encoding: .measure), dsp: true)
        let measured = try EncodingMeasurement.choose(compressed, modelPath: "dw", board: try FixtureBuilder.board("max32660"),
                                                      directory: FixtureBuilder.buildRoot + "/dw-measure",
                                                      builder: FirmwareBuilder(toolchain: try Toolchain.locate()))
        for layer in [0, 1] {
            let cycles = Dictionary(uniqueKeysWithValues: (measured.cycles[layer] ?? []).map { ($0.0, $0.1) })
            let dense = try #require(cycles[.dense]), taps = try #require(cycles[.taps])
            #expect(cycles.count == 2, "layer \(layer): only dense and taps apply to a depthwise layer")
            #expect((measured.encodings[layer] ?? .dense) == (taps < dense ? .taps : .dense), "layer \(layer): \(cycles)")
        }
        // At 90% taps is over four times faster (DepthwiseCostTests).
        #expect(measured.encodings[1] == .taps)
    }
}
