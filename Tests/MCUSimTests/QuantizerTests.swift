import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Float32 models: the float reference against the TFLite interpreter, then post-training
/// quantization, and the quantized model's firmware bit-exact on the simulator.
@Suite struct QuantizerTests {
    static func path(_ name: String) -> String { "\(ModelRunnerTests.fixtures)/\(name)" }

    /// Seeded normal-ish inputs (sum of uniforms) for calibration and checks.
    static func inputs(count: Int, size: Int, seed: UInt64) -> [[Float]] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        return (0..<count).map { _ in (0..<size).map { _ in (uniform() + uniform() + uniform() + uniform() - 2) * 1.7 } }
    }

    @Test("the float reference matches the TFLite interpreter on both float32 fixtures",
          arguments: ["kws_ref_model_float32.tflite", "ad01_fp32.tflite"])
    func floatReference(name: String) throws {
        let model = try TFLiteImporter.load(path: Self.path(name))
        let reference = try ModelRunnerTests.tflite(Self.path(name), seed: 3)
        let input = try #require(reference["input"] as? [Double]).map { Float($0) }
        let outputs = try #require(reference["outputs"] as? [String: [Double]])
        let values = try FloatReference.run(model, input: input, file: name)
        // The KWS float32 fixture is a hybrid model: its conv filters are int8, and TFLite's
        // hybrid kernels quantize their float input to int8 on the fly, so TFLite itself is
        // within a few percent of true float there. AD01 is float throughout: near-exact.
        let tolerance = name.hasPrefix("kws") ? 0.05 : 1e-4
        var compared = 0
        for op in model.operators {
            for index in op.outputs {
                guard let expected = outputs[String(index)], let actual = values[index] else { continue }
                let scale = max(expected.map { abs($0) }.max() ?? 1, 1e-6)
                let worst = zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0
                #expect(actual.count == expected.count && worst <= tolerance * scale, "\(op.kind.rawValue): error \(worst) of \(scale)")
                compared += 1
            }
        }
        #expect(compared == model.operators.count)
    }

    @Test("AD01 fp32 quantized: close to float, and its firmware bit-exact on the simulator")
    func ad01() throws {
        let name = "ad01_fp32.tflite"
        let model = try TFLiteImporter.load(path: Self.path(name))
        let calibration = Self.inputs(count: 16, size: 640, seed: 1)
        let quantized = try Quantizer.quantize(model, calibration: calibration, file: name)
        // On a new input, the quantized output tracks the float output: int8 activations over
        // ten layers keep the error within a few percent of the output's spread.
        let probe = Self.inputs(count: 1, size: 640, seed: 99)[0]
        let float = try FloatReference.run(model, input: probe, file: name)
        let inT = try #require(quantized.tensor(quantized.inputs[0]))
        let s = inT.quantization!.scales[0], z = Float(inT.quantization!.zeroPoints[0])
        let q = probe.map { Int8(max(-128, min(127, ($0 / s + z).rounded()))) }
        let ints = try ModelRunner.run(quantized, input: q, file: name)
        let outIndex = try #require(quantized.operators.last?.outputs.first)
        let dequantized = Quantizer.dequantize(try #require(ints[outIndex]), try #require(quantized.tensor(outIndex)))
        let expected = try #require(float[outIndex])
        let rms = (zip(dequantized, expected).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Float(expected.count)).squareRoot()
        let spread = (expected.max() ?? 0) - (expected.min() ?? 0)
        #expect(rms < 0.05 * spread, "rms \(rms), spread \(spread)")
        // The generated firmware for the quantized model is bit-exact (AD01 needs the M7 board's flash).
        let board = try FixtureBuilder.board("stm32f746-disco")
        let outcome = try ModelCheck.run(model: quantized, modelPath: name, board: board, directory: FixtureBuilder.buildRoot + "/q-ad01",
                                         seed: 5, builder: FirmwareBuilder(toolchain: try Toolchain.locate()), options: RunOptions())
        #expect(outcome.matches, "first mismatch \(outcome.firstMismatch.map(String.init) ?? "-")")
    }

    @Test("KWS fp32 (hybrid) quantized per channel runs bit-exact on the max32660")
    func kws() throws {
        let name = "kws_ref_model_float32.tflite"
        let model = try TFLiteImporter.load(path: Self.path(name))
        let quantized = try Quantizer.quantize(model, calibration: Self.inputs(count: 4, size: 490, seed: 2), file: name)
        let conv = try #require(quantized.operators.first)
        #expect(quantized.tensor(conv.inputs[1])?.quantization?.scales.count == 64)  // per output channel
        let board = try FixtureBuilder.board("max32660")
        let outcome = try ModelCheck.run(model: quantized, modelPath: name, board: board, directory: FixtureBuilder.buildRoot + "/q-kws",
                                         seed: 6, builder: FirmwareBuilder(toolchain: try Toolchain.locate()), options: RunOptions())
        #expect(outcome.matches, "first mismatch \(outcome.firstMismatch.map(String.init) ?? "-")")
    }
}

extension QuantizerTests {
    @Test("per-tensor weight quantization (sweep --quant int8-per-tensor) gives conv filters one scale")
    func perTensorWeights() throws {
        let model = PruningTests.floatModel()
        let calibration = ModelPreparation.syntheticInputs(count: 4, size: 105, seed: 2)
        let perChannel = try Quantizer.quantize(model, calibration: calibration, file: "t")
        let perTensor = try Quantizer.quantize(model, calibration: calibration, file: "t", perChannelWeights: false)
        let conv = model.operators[0].inputs[1]
        #expect(perChannel.tensors[conv].quantization?.scales.count == 8)
        #expect(perTensor.tensors[conv].quantization?.scales.count == 1)
        // One scale: the largest |w| of the whole filter bank maps to 127.
        let maxAbs = (FloatReference.floats(model.tensors[conv]) ?? []).map(abs).max() ?? 0
        #expect(abs(Double(perTensor.tensors[conv].quantization?.scales.first ?? 0) - Double(maxAbs) / 127) < 1e-9)
    }
}
