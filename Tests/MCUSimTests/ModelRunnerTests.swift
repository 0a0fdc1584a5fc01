import Foundation
import MCUGen
import MCUTestSupport
import Testing

/// The Swift host reference against the TensorFlow Lite interpreter itself, layer by layer, on
/// the MLPerf Tiny int8 models: every operator output must be byte-identical.
/// scripts/setup.sh installs the interpreter into .venv-reference; the test fails without it.
@Suite struct ModelRunnerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let model: String
        let seed: Int
        var testDescription: String { "\(model) seed \(seed)" }
    }

    static let fixtures = URL(fileURLWithPath: FixtureBuilder.repositoryRoot).deletingLastPathComponent()
        .appendingPathComponent("shared/fixtures/mlperf-tiny").path

    static func tflite(_ model: String, seed: Int) throws -> [String: Any] {
        let python = FixtureBuilder.repositoryRoot + "/.venv-reference/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw GeneratorError.toolchainMissing("\(python) is missing: run scripts/setup.sh")
        }
        let output = try runTool([python, FixtureBuilder.repositoryRoot + "/scripts/tflite_reference.py", model, String(seed)])
        guard let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            throw GeneratorError.toolchainMissing("the TFLite reference script printed no JSON object for \(model)")
        }
        return json
    }

    @Test("every layer matches the TFLite interpreter byte for byte",
          arguments: [Case(model: "kws_ref_model.tflite", seed: 1), Case(model: "kws_ref_model.tflite", seed: 2),
                      Case(model: "ad01_int8.tflite", seed: 1)])
    func layers(_ c: Case) throws {
        let path = "\(Self.fixtures)/\(c.model)"
        let model = try TFLiteImporter.load(path: path)
        let reference = try Self.tflite(path, seed: c.seed)
        let input = try #require(reference["input"] as? [Int]).map { Int8($0) }
        let outputs = try #require(reference["outputs"] as? [String: [Int]])
        let runnable = model
        let values = try ModelRunner.run(runnable, input: input, file: path)
        var compared = 0
        for (layer, op) in runnable.operators.enumerated() {
            for index in op.outputs {
                guard let expected = outputs[String(index)] else { continue }
                let actual = try #require(values[index], "layer \(layer) (\(op.kind.rawValue)) produced nothing")
                let firstMismatch = zip(actual, expected).enumerated().first { Int($0.element.0) != $0.element.1 }
                #expect(actual.count == expected.count && firstMismatch == nil,
                        "layer \(layer) \(op.kind.rawValue): first mismatch at \(firstMismatch.map { "\($0.offset): \($0.element.0) vs \($0.element.1)" } ?? "size")")
                compared += 1
            }
        }
        // KWS: conv, 4 x (depthwise + pointwise), pool, reshape, FC, softmax = 13 layers; AD01: 10 FC layers.
        #expect(compared == (c.model.hasPrefix("kws") ? 13 : 10))
    }
}
