import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Pruned models with every layer in one sparse encoding, generated, built with the real
/// toolchain and run on the simulator: the output must equal the dense host reference of the
/// pruned model byte for byte (the sparse kernels fold the input offset into the bias, walk
/// the encoded storage, and take the four-pixel path for 32 of the 35 conv pixels and the
/// one-pixel path for the other 3). On max32660 (DSP path) and samd21 (plain C).
@Suite struct SparseFirmwareTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let encoding: String
        let prune: String
        let board: String
        var testDescription: String { "\(encoding) (\(prune)) on \(board)" }
    }

    static let cases: [Case] = ["max32660", "samd21"].flatMap { board in
        [("csr8", "magnitude"), ("csr16", "random"), ("bitmask", "magnitude"), ("block", "block:1x4"), ("nm", "nm:2:4"),
         ("nm", "nm:1:8"), ("dense", "structured")].map { Case(encoding: $0.0, prune: $0.1, board: board) }
    }

    @Test("sparse firmware is bit-exact with the dense reference of the pruned model", arguments: cases)
    func bitExact(_ c: Case) throws {
        let float = PruningTests.floatModel(seed: 11)
        let calibration = ModelPreparation.syntheticInputs(count: 4, size: 105, seed: 5)
        let spec = try PruningSpec.parse(c.prune, sparsity: c.prune.hasPrefix("nm") ? nil : 0.7)
        let options = CompressionOptions(prune: spec, encoding: try EncodingChoice.parse(c.encoding))
        let board = try FixtureBuilder.board(c.board)
        let compressed = try ModelCompression.prepare(float, file: "sparse-test", options: options, dsp: board.core.hasDSP,
                                                      calibration: calibration)
        if c.encoding != "dense" { #expect(compressed.encodings.count == 4) }
        let dir = FixtureBuilder.buildRoot + "/sparse-\(c.encoding)-\(c.prune)-\(c.board)"
        for seed in 1...2 {
            let outcome = try ModelCheck.run(model: compressed.model, modelPath: "sparse-test", board: board, directory: dir, seed: seed,
                                             builder: FirmwareBuilder(toolchain: try Toolchain.locate()), options: RunOptions(),
                                             encodings: compressed.encodings)
            // The independent check: the dense reference of the same pruned model.
            let input = ModelCheck.randomInput(count: 105, seed: seed)
            let dense = try ModelRunner.run(compressed.model, input: input, file: "sparse-test")[compressed.model.outputs[0]]
            #expect(outcome.result.stop.reason == .exit, "\(outcome.result.stop.message)")
            #expect(outcome.firmwareOutput == dense, "seed \(seed): first mismatch at \(outcome.firstMismatch.map(String.init) ?? "-")")
            #expect(outcome.referenceOutput == dense)
        }
        // Only the kernels of the formats used are linked (-DNN_SPARSE_FORMATS, nn_sparse.h): the
        // kernel functions left in the image (some are inlined) are of those formats. The first
        // layer's 105 inputs are not whole groups of four, so nm:2:4 uses the general N:M there.
        let allowed: Set<String> = ["csr8": ["csr8"], "csr16": ["csr16"], "bitmask": ["bitmask"], "block": ["block4"],
                                    "nm": c.prune == "nm:2:4" ? ["nm24", "nm"] : ["nm"]][c.encoding] ?? []
        let kernels = try ELFLoader.load(path: dir + "/firmware.elf").symbols.functions.map(\.name).filter { $0.hasPrefix("matvec") }
        #expect(kernels.allSatisfy { allowed.contains(String($0.split(separator: "_").last ?? "")) }, "\(kernels)")
    }
}

extension SparseFirmwareTests {
    /// `--encoding measure` on the digits CNN at 90%: its per-layer choices, built together, are
    /// no slower than dense or than any single encoding for every layer (2% for the layers'
    /// interactions through the cache), and still bit-exact.
    @Test("measured encodings beat dense and every uniform encoding on the digits CNN")
    func measuredChoice() throws {
        let models = FixtureBuilder.repositoryRoot + "/firmware/models"
        let model = try ModelLoader.load(path: "\(models)/digits_cnn.json")
        let data = try DataSet.load(path: "\(models)/digits_data.npz", inputSize: 64)
        let board = try FixtureBuilder.board("max32660")
        let builder = FirmwareBuilder(toolchain: try Toolchain.locate())
        let spec = try PruningSpec.parse("magnitude", sparsity: 0.9)
        var compressed = try ModelCompression.prepare(model, file: "digits_cnn", options: CompressionOptions(prune: spec, encoding: .measure, data: data),
                                                      dsp: true)
        let dir = FixtureBuilder.buildRoot + "/measure-cnn"
        let measured = try EncodingMeasurement.choose(compressed, modelPath: "digits_cnn", board: board, directory: dir, builder: builder)
        #expect(measured.cycles.count == 3, "three prunable layers measured")
        func cycles(_ encodings: [Int: SparseEncoding]) throws -> UInt64 {
            let outcome = try ModelCheck.run(model: compressed.model, modelPath: "digits_cnn", board: board, directory: dir + "/run", seed: 3,
                                             builder: builder, options: RunOptions(), encodings: encodings)
            #expect(outcome.matches)
            return try #require(outcome.result.regionsOfInterest.first { $0.name == "inference" }).cycles
        }
        compressed.encodings = measured.encodings
        let chosen = try cycles(measured.encodings)
        let layers = Pruner.prunableLayers(compressed.model)
        for uniform in [SparseEncoding.dense, .csr8, .csr16, .bitmask, .block4] {
            let encodings = uniform == .dense ? [:] : Dictionary(uniqueKeysWithValues: layers.map { ($0, uniform) })
            let other = try cycles(encodings)
            #expect(Double(chosen) <= Double(other) * 1.02, "measured choice \(chosen) cycles, all-\(uniform) \(other)")
        }
    }
}
