import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Generated inference firmware for the MLPerf Tiny int8 models, built with the real toolchain,
/// run on the simulator, and compared byte for byte with the host reference (which is itself
/// checked against the TFLite interpreter in ModelRunnerTests).
@Suite struct GeneratedFirmwareTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let model: String
        let board: String
        var testDescription: String { "\(model) on \(board)" }
    }

    @Test("generated firmware is bit-exact with the host reference",
          arguments: [Case(model: "ad01_int8.tflite", board: "stm32f746-disco"), Case(model: "kws_ref_model.tflite", board: "max32660"),
                      Case(model: "kws_ref_model.tflite", board: "samd21")])
    func bitExact(_ c: Case) throws {
        let path = "\(ModelRunnerTests.fixtures)/\(c.model)"
        let model = try TFLiteImporter.load(path: path)
        let board = try FixtureBuilder.board(c.board)
        let dir = FixtureBuilder.buildRoot + "/gen-\(c.model)-\(c.board)"
        let outcome = try ModelCheck.run(model: model, modelPath: path, board: board, directory: dir, seed: 7,
                                         builder: FirmwareBuilder(toolchain: try Toolchain.locate()),
                                         options: RunOptions())
        #expect(outcome.result.stop.reason == .exit, "\(outcome.result.stop.message)")
        #expect(outcome.firmwareOutput.count == outcome.referenceOutput.count && outcome.firmwareOutput.count > 0)
        #expect(outcome.matches, "first mismatch at \(outcome.firstMismatch.map(String.init) ?? "-")")
        // The inference region holds the model's work: its layers are generated as layerNN_ functions.
        let roi = try #require(outcome.result.regionsOfInterest.first { $0.name == "inference" })
        #expect(roi.cycles > 0 && roi.instructions > 0)
        #expect(outcome.result.functions.contains { $0.name.hasPrefix("layer00_") })
    }
}

extension GeneratedFirmwareTests {
    /// AD01's 265,864 parameters are more than the MAX32660's 256 KiB of flash: the build
    /// says so through the linker instead of producing a firmware that cannot exist.
    @Test("a model too large for the board's flash fails to build with the linker's reason")
    func doesNotFit() throws {
        let path = "\(ModelRunnerTests.fixtures)/ad01_int8.tflite"
        let model = try TFLiteImporter.load(path: path)
        let board = try FixtureBuilder.board("max32660")
        let builder = FirmwareBuilder(toolchain: try Toolchain.locate())
        let error = #expect(throws: GeneratorError.self) {
            _ = try builder.build(model: model, modelPath: path, board: board, directory: FixtureBuilder.buildRoot + "/gen-ad01-fit")
        }
        #expect(error.map { "\($0)" }?.contains("overflowed") == true)
    }
}

extension GeneratedFirmwareTests {
    /// `check`'s bisection: a firmware built from the digits CNN, compared against a reference
    /// whose third layer (the second convolution) has every 7th weight changed, differs first at
    /// that layer; the layers before it match, and so does the whole model against itself.
    @Test("the first differing layer is the one whose weights differ")
    func firstDifferingLayer() throws {
        let models = FixtureBuilder.repositoryRoot + "/firmware/models"
        let model = try ModelCompression.prepare(try ModelLoader.load(path: "\(models)/digits_cnn.json"), file: "digits_cnn",
                                                 options: CompressionOptions(), dsp: true).model
        var altered = model
        let weights = altered.operators[2].inputs[1]
        var data = try #require(altered.tensors[weights].data)
        for i in stride(from: 0, to: data.count, by: 7) { data[i] = UInt8(bitPattern: Int8(bitPattern: data[i]) &+ 60) }
        altered.tensors[weights].data = data
        let board = try FixtureBuilder.board("max32660")
        let builder = FirmwareBuilder(toolchain: try Toolchain.locate())
        let dir = FixtureBuilder.buildRoot + "/first-differing"
        let outcome = try ModelCheck.run(model: model, modelPath: "digits_cnn", board: board, directory: dir, seed: 4, builder: builder,
                                         options: RunOptions(), reference: altered)
        let differs = !outcome.matches
        #expect(differs, "the altered weights must change the output for this input")
        let layer = try ModelCheck.firstDifferingLayer(model: model, modelPath: "digits_cnn", board: board, directory: dir, seed: 4,
                                                       builder: builder, options: RunOptions(), reference: altered)
        #expect(layer == 2)
        #expect(try ModelCheck.firstDifferingLayer(model: model, modelPath: "digits_cnn", board: board, directory: dir, seed: 4,
                                                   builder: builder, options: RunOptions()) == nil)
    }
}
