import Foundation
@testable import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// The npz + JSON topology importer: the digits CNN's layer shapes by hand, its accuracy on the
/// simulator against the host reference, and every rejection path with the layer it names.
@Suite struct NpzImportTests {
    static let models = FixtureBuilder.repositoryRoot + "/firmware/models"

    @Test("the digits CNN imports with the shapes the topology implies")
    func shapes() throws {
        let m = try NpzImporter.load(weights: "\(Self.models)/digits_cnn.npz", topology: "\(Self.models)/digits_cnn.json")
        #expect(m.operators.map(\.kind) == [.conv2D, .maxPool2D, .conv2D, .reshape, .fullyConnected, .softmax])
        let shapes = m.operators.map { m.tensors[$0.outputs[0]].shape }
        // 8x8 SAME conv keeps 8x8; 2x2/2 pooling halves it; 4x4x32 flattens to 512.
        #expect(shapes == [[1, 8, 8, 16], [1, 4, 4, 16], [1, 4, 4, 32], [1, 512], [1, 10], [1, 10]])
        // MACs: 8*8*16*9 + 4*4*32*144 + 512*10.
        #expect(m.totalMACs == 9216 + 73728 + 5120)
    }

    @Test("the digits CNN on the simulator predicts every test image as the host reference does")
    func accuracy() throws {
        let model = try ModelLoader.load(path: "\(Self.models)/digits_cnn.json")
        let data = try DataSet.load(path: "\(Self.models)/digits_data.npz", inputSize: 64)
        let compressed = try ModelCompression.prepare(model, file: "digits_cnn", options: CompressionOptions(data: data), dsp: true)
        let board = try FixtureBuilder.board("max32660")
        let outcome = try AccuracyHarness.run(compressed, test: data.test, modelPath: "digits_cnn", board: board,
                                              directory: FixtureBuilder.buildRoot + "/digits-cnn",
                                              builder: FirmwareBuilder(toolchain: try Toolchain.locate()))
        #expect(outcome.predictionsAgree)
        #expect(outcome.simulatorCorrect == outcome.hostCorrect)
        // scripts/train_digits_cnn.py printed float test accuracy 0.9861 (355 of 360).
        #expect(outcome.hostCorrect >= 350, "int8 accuracy \(outcome.hostCorrect)/360")
        #expect(outcome.result.regionsOfInterest.first { $0.name == "inference" }?.entries == 360)
    }

    static let conv0 = #"{"op": "CONV_2D", "weights": "w0", "bias": "b0", "padding": "SAME", "activation": "RELU"}"#

    @Test("malformed topologies are rejected with the layer and the reason", arguments: [
        (#"{"op": "CONV_2D", "weights": "b0"}"#, "layers[0] (CONV_2D): weights must name a 4-D array"),
        (#"{"op": "CONV_2D", "weights": "w1"}"#, "but the input has 1 channels"),
        (#"{"op": "CONV_2D", "weights": "w0", "bias": "b1"}"#, "bias must name a 16-element array"),
        (#"{"op": "CONV_2D", "weights": "w0", "padding": "FULL"}"#, "padding must be SAME or VALID"),
        (#"{"op": "CONV_2D", "weights": "w0", "stride": [0, 1]}"#, "stride must be two numbers"),
        (#"{"op": "CONV_2D", "weights": "w0", "activation": "TANH"}"#, "activation TANH is not supported"),
        (#"{"op": "DEPTHWISE_CONV_2D", "weights": "w0"}"#, "a depthwise filter is [1, kh, kw, 1]"),
        (#"{"op": "DEPTHWISE_CONV_2D", "weights": "w0", "depth_multiplier": 9223372036854775807}"#, "depth_multiplier must be from 1 to 256"),
        (#"{"op": "MAX_POOL_2D", "filter": [9, 9]}"#, "the filter is larger than the input"),
        (#"{"op": "SQUEEZE"}"#, "layers[0].op SQUEEZE is not supported"),
        (conv0 + #", {"op": "FULLY_CONNECTED", "weights": "w2"}"#, "layer input has 16 features"),
        (#"{"op": "RESHAPE"}, {"op": "CONV_2D", "weights": "w0"}"#, "needs a [1, H, W, C] input"),
    ] as [(String, String)])
    func rejections(layers: String, message: String) throws {
        let topology = FileManager.default.temporaryDirectory.appendingPathComponent("npz-bad-\(UUID().uuidString).json").path
        try #"{"name": "bad", "input": {"shape": [1, 8, 8, 1]}, "layers": ["# .appending(layers).appending("]}")
            .write(toFile: topology, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: topology) }
        let error = #expect(throws: GeneratorError.self) { _ = try NpzImporter.load(weights: "\(Self.models)/digits_cnn.npz", topology: topology) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains(message), "\(text)")
        #expect(text.hasPrefix(topology))
    }

    // Found by mutating the digits data's npy headers: the byte count overflowed and trapped.
    @Test(".npy headers claiming more data than the member holds are malformed, not a trap",
          arguments: ["(4294967296, 4294967296)", "(9223372036854775807, 2)", "(3037000500, 3037000500)", "(17,)"])
    func oversizedShape(shape: String) throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let member: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
            + [UInt8](repeating: 0, count: 64)
        let error = #expect(throws: GeneratorError.self) { _ = try NumPyArchive.parseNPY(member, name: "x.npy", path: "d.npz") }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("d.npz") && text.contains("x.npy"), "\(text)")
        #expect(text.contains("needs more data than the member holds") || text.contains("truncated data: 68 bytes expected"), "\(text)")
    }

    @Test("weights holding NaN or infinity are an invalid model naming the array", arguments: [Float.nan, -Float.infinity])
    func nonFiniteWeights(value: Float) throws {
        // The digits MLP with the first value of w0 replaced (members are stored uncompressed).
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(Self.models)/digits_mlp.npz")))
        let name = Array("w0.npy".utf8)
        let at = try #require((0..<(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name })
        let magic = try #require((at..<bytes.count).first { bytes[$0] == 0x93 && bytes[$0 + 1] == UInt8(ascii: "N") })
        let data = magic + 10 + Int(bytes[magic + 8]) + Int(bytes[magic + 9]) << 8
        withUnsafeBytes(of: value.bitPattern.littleEndian) { for (i, b) in $0.enumerated() { bytes[data + i] = b } }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("npz-nan-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: base + ".npz"))
        try FileManager.default.copyItem(atPath: "\(Self.models)/digits_mlp.json", toPath: base + ".json")
        defer { for e in [".npz", ".json"] { try? FileManager.default.removeItem(atPath: base + e) } }
        let error = #expect(throws: GeneratorError.self) { _ = try ModelLoader.load(path: base + ".json") }
        #expect(error.map { "\($0)" } == "\(base).npz: invalid model: array 'w0' holds NaN or infinite values")
    }

    // Found by mutating the digits MLP topology: a negative dimension trapped while making calibration inputs.
    @Test("input shapes with non-positive or huge dimensions are rejected", arguments: ["[-1, 64]", "[1, 0]", "[1, 4294967296, 4294967296]"])
    func badInputShape(shape: String) throws {
        let topology = FileManager.default.temporaryDirectory.appendingPathComponent("npz-shape-\(UUID().uuidString).json").path
        try #"{"input": {"shape": "#.appending(shape).appending(#"}, "layers": [{"op": "SOFTMAX"}]}"#)
            .write(toFile: topology, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: topology) }
        let error = #expect(throws: GeneratorError.self) { _ = try NpzImporter.load(weights: "\(Self.models)/digits_cnn.npz", topology: topology) }
        #expect(error.map { "\($0)" }?.contains("must have positive dimensions and at most 16 M elements") == true)
    }
}
