import Foundation
import MCUGen
import MCUSimCommands
import MCUTestSupport
import Testing

/// `mcusim build` and `mcusim check` on the MLPerf Tiny fixtures, through the command line.
@Suite struct GeneratorCommandTests {
    static let fixtures = URL(fileURLWithPath: FixtureBuilder.repositoryRoot).deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures/mlperf-tiny").path

    @Test("check is bit-exact on the KWS model and exits 0")
    func checkKWS() {
        #expect(CLI.status(["check", "\(Self.fixtures)/kws_ref_model.tflite", "--inputs", "1"]) == 0)
    }

    @Test("build writes the generated sources and the ELF")
    func buildKWS() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-build-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(CLI.status(["build", "\(Self.fixtures)/kws_ref_model.tflite", "-o", dir]) == 0)
        for file in ["model.c", "model.h", "main.c", "input.c", "firmware.elf"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/\(file)"), "\(file) missing")
        }
        let modelC = try String(contentsOfFile: "\(dir)/model.c", encoding: .utf8)
        // One function per layer, named layerNN_<op>; the DS-CNN starts with its 10x4 convolution.
        #expect(modelC.contains("void layer00_conv2d(void)"))
        #expect(modelC.contains("void layer11_fc(void)"))
    }

    @Test("a model too large for the board's flash is bad input (65)")
    func tooLarge() {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-build-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(CLI.status(["build", "\(Self.fixtures)/ad01_int8.tflite", "--board", "max32660", "-o", dir]) == 65)
    }

    @Test("a file that is not a model is bad input (65)")
    func notAModel() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-model-\(UUID().uuidString).tflite").path
        try "hello".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(CLI.status(["check", path]) == 65)
    }
}

extension GeneratorCommandTests {
    @Test("strategies that train, without --data, and bad strategy parameters are one-line usage errors (64)", arguments: [
        (["--prune", "str", "--sparsity", "0.5"], "--prune str trains the model: give --data FILE.npz with train_x and train_y"),
        (["--prune", "magnitude", "--sparsity", "0.5", "--finetune", "2"], "--prune magnitude with --finetune trains the model"),
        (["--prune", "imp:rounds=2,rate=0.9"], "imp takes epochs=1...1000, rewind=0...1000000, rounds=1...50, separated by ':'"),
        (["--sparsity", "0.5"], "need --prune"),
    ])
    func trainingNeedsData(options: [String], message: String) throws {
        let model = "\(FixtureBuilder.repositoryRoot)/firmware/models/digits_mlp.json"
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("needs-data-\(UUID().uuidString)").path
        let r = CLI.run(["build", model, "-o", out] + options)
        #expect(r.status == 64)
        // Only mcusim's lines: the test runner's own progress lines may land in the capture.
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("mcusim") }
        #expect(lines.count == 1 && lines[0].hasPrefix("mcusim: error: ") && lines[0].contains(message), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("check works on the digits npz + JSON model")
    func checkDigits() {
        #expect(CLI.status(["check", "\(FixtureBuilder.repositoryRoot)/firmware/models/digits_mlp.json", "--inputs", "1"]) == 0)
    }
}

extension GeneratorCommandTests {
    @Test("build --weights dram --activations dram reports the placement in summary.json")
    func placementSummary() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-build-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = "\(FixtureBuilder.repositoryRoot)/firmware/models/digits_mlp.json"
        #expect(CLI.status(["build", model, "--board", "max32650", "--weights", "dram", "--activations", "dram", "-o", dir]) == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/summary.json"))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(summary["placement"] as? [String: String] == ["weights": "dram", "activations": "dram"])
        // 64x32 + 32x10 int8 weights; arena and weights are the static DRAM.
        #expect(summary["weight_bytes"] as? Int == 64 * 32 + 32 * 10)
        let arena = try #require(summary["arena_bytes"] as? Int)
        #expect((summary["static_dram_bytes"] as? Int ?? 0) >= 64 * 32 + 32 * 10 + arena)
        // No DRAM on the max32660: bad input (65); an unknown place is a usage error (64).
        #expect(CLI.status(["build", model, "--board", "max32660", "--weights", "dram", "-o", dir]) == 65)
        #expect(CLI.status(["build", model, "--weights", "rom", "-o", dir]) == 64)
    }
}

extension GeneratorCommandTests {
    /// A float32 .npy file of `rows` inputs (numpy's format, version 1.0).
    static func npy(_ rows: [[Float]]) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows.count), \(rows.first?.count ?? 0)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        for v in rows.joined() { bytes += withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        return Data(bytes)
    }

    @Test("--calibration quantizes a float model with the given inputs")
    func calibrationFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-build-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // The digits images scaled to [0, 1] as the model was trained: the input range is
        // [0, 1], so TFLite's asymmetric int8 parameters are scale 1/255, zero point -128.
        let digits = try BundledModel.digits()
        #expect(digits.calibration.joined().min() == 0 && digits.calibration.joined().max() == 1)
        try Self.npy(digits.calibration).write(to: URL(fileURLWithPath: "\(dir)/calibration.npy"))
        let model = "\(FixtureBuilder.repositoryRoot)/firmware/models/digits_mlp.json"
        func input(_ extra: [String]) throws -> (scale: Double, zeroPoint: Int) {
            #expect(CLI.status(["build", model, "-o", "\(dir)/out"] + extra) == 0)
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/summary.json"))
            let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let q = try #require(summary["input"] as? [String: Any])
            return (try #require(q["scale"] as? Double), try #require(q["zero_point"] as? Int))
        }
        let calibrated = try input(["--calibration", "\(dir)/calibration.npy"])
        #expect(abs(calibrated.scale - 1.0 / 255) < 1e-9 && calibrated.zeroPoint == -128)
        // The synthetic inputs (roughly normal, about +-3.4) give a wider range.
        let synthetic = try input([])
        #expect(synthetic.scale > 2.0 / 255)
        // A file that does not split into inputs is refused as bad input.
        try Self.npy([[1, 2, 3]]).write(to: URL(fileURLWithPath: "\(dir)/bad.npy"))
        #expect(CLI.status(["build", model, "-o", "\(dir)/out", "--calibration", "\(dir)/bad.npy"]) == 65)
    }
}

extension GeneratorCommandTests {
    /// summary.json's per-layer figures for the digits MLP pruned to 90% in csr16, by hand:
    /// 64x32 and 32x10 weights keep round(10%) = 205 and 32; csr16 stores a 2-byte column per
    /// entry and a 2-byte count per row; each kept weight runs once per inference.
    @Test("build summary.json reports per-layer nonzeros, bytes and executed MACs as counted by hand")
    func prunedSummary() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-build-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = "\(FixtureBuilder.repositoryRoot)/firmware/models/digits_mlp.json"
        #expect(CLI.status(["build", model, "--prune", "magnitude", "--sparsity", "0.9", "--encoding", "csr16", "-o", dir]) == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/summary.json"))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(summary["schema"] as? String == "mcusim.build/1")
        let layers = try #require(summary["layers"] as? [[String: Any]])
        #expect(layers.map { $0["encoding"] as? String } == ["csr16", "csr16", "-"])
        #expect(layers.map { $0["nonzeros"] as? Int } == [205, 32, 0])
        #expect(layers.map { $0["weight_bytes"] as? Int } == [205, 32, 0])
        #expect(layers.map { $0["index_bytes"] as? Int } == [2 * 205 + 2 * 32, 2 * 32 + 2 * 10, 0])
        #expect(layers.map { $0["executed_macs"] as? Int } == [205, 32, 0])
        #expect(summary["macs"] as? Int == 2368 && summary["nonzeros"] as? Int == 237)
    }
}

extension GeneratorCommandTests {
    /// The DS-CNN at 90% magnitude: its four depthwise layers (3x3 over 25x5x64, 576 weights)
    /// keep round(57.6) = 58 weights, stored as taps (a uint8 tap number per weight, a uint16
    /// count per channel), each run once per output pixel (125); --dense-depthwise keeps all of
    /// them (576 of 576 nonzero ones, stored as taps too: faster than the dense kernel) and
    /// needs --prune.
    @Test("build summary.json: depthwise layers pruned and stored as taps, or kept whole with --dense-depthwise")
    func depthwiseSummary() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-build-dw-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = "\(Self.fixtures)/kws_ref_model.tflite"
        func depthwise(_ extra: [String]) throws -> [[String: Any]] {
            #expect(CLI.status(["build", model, "--prune", "magnitude", "--sparsity", "0.9", "-o", dir] + extra) == 0)
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/summary.json"))
            let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return (summary["layers"] as? [[String: Any]] ?? []).filter { $0["op"] as? String == "DEPTHWISE_CONV_2D" }
        }
        let pruned = try depthwise([])
        #expect(pruned.count == 4)
        for layer in pruned {
            #expect(layer["encoding"] as? String == "taps" && layer["nonzeros"] as? Int == 58 && layer["weights"] as? Int == 576)
            #expect(layer["weight_bytes"] as? Int == 58 && layer["index_bytes"] as? Int == 58 + 2 * 64)
            #expect(layer["executed_macs"] as? Int == 125 * 58 && layer["dense_macs"] as? Int == 125 * 576)
        }
        // Unpruned: the nonzero weights the model itself has, counted from its tensors.
        let original = try TFLiteImporter.load(path: model)
        let own = original.operators.filter { $0.kind == .depthwiseConv2D }.map { op in
            (original.tensors[op.inputs[1]].int8Values ?? []).filter { $0 != 0 }.count
        }
        let whole = try depthwise(["--dense-depthwise"])
        #expect(whole.map { $0["nonzeros"] as? Int ?? 0 } == own)
        #expect(whole.map { $0["executed_macs"] as? Int ?? 0 } == own.map { 125 * $0 })
        #expect(CLI.status(["build", model, "--dense-depthwise", "-o", dir]) == 64)
    }
}
