import Foundation
import MCUSimCommands
import MCUTestSupport
import Testing

/// `mcusim build` and `mcusim check` on the MLPerf Tiny fixtures, through the command line.
@Suite struct GeneratorCommandTests {
    static let fixtures = URL(fileURLWithPath: FixtureBuilder.repositoryRoot).deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures/mlperf-tiny").path

    @Test("check is bit-exact on the KWS model and exits 0")
    func checkKWS() {
        #expect(MCUSimCommand.execute(["check", "\(Self.fixtures)/kws_ref_model.tflite", "--inputs", "1"]) == 0)
    }

    @Test("build writes the generated sources and the ELF")
    func buildKWS() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-build-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(MCUSimCommand.execute(["build", "\(Self.fixtures)/kws_ref_model.tflite", "-o", dir]) == 0)
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
        #expect(MCUSimCommand.execute(["build", "\(Self.fixtures)/ad01_int8.tflite", "--board", "max32660", "-o", dir]) == 65)
    }

    @Test("a file that is not a model is bad input (65)")
    func notAModel() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-model-\(UUID().uuidString).tflite").path
        try "hello".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(MCUSimCommand.execute(["check", path]) == 65)
    }
}

extension GeneratorCommandTests {
    @Test("check works on the digits npz + JSON model")
    func checkDigits() {
        #expect(MCUSimCommand.execute(["check", "\(FixtureBuilder.repositoryRoot)/firmware/models/digits_mlp.json", "--inputs", "1"]) == 0)
    }
}

extension GeneratorCommandTests {
    @Test("build --weights dram --activations dram reports the placement in summary.json")
    func placementSummary() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-build-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = "\(FixtureBuilder.repositoryRoot)/firmware/models/digits_mlp.json"
        #expect(MCUSimCommand.execute(["build", model, "--board", "max32650", "--weights", "dram", "--activations", "dram", "-o", dir]) == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/summary.json"))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(summary["placement"] as? [String: String] == ["weights": "dram", "activations": "dram"])
        // 64x32 + 32x10 int8 weights; arena and weights are the static DRAM.
        #expect(summary["weight_bytes"] as? Int == 64 * 32 + 32 * 10)
        let arena = try #require(summary["arena_bytes"] as? Int)
        #expect((summary["static_dram_bytes"] as? Int ?? 0) >= 64 * 32 + 32 * 10 + arena)
        // No DRAM on the max32660: bad input (65); an unknown place is a usage error (64).
        #expect(MCUSimCommand.execute(["build", model, "--board", "max32660", "--weights", "dram", "-o", dir]) == 65)
        #expect(MCUSimCommand.execute(["build", model, "--weights", "rom", "-o", dir]) == 64)
    }
}
