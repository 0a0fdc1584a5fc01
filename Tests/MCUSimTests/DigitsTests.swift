import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// The project's digits MLP (scripts/train_digits.py: 64-32-10 on scikit-learn's 8x8 digits),
/// imported from .npz + JSON, quantized with its calibration images, and evaluated on the
/// 360-image test split three ways: float on the host, int8 on the host reference, and int8
/// firmware on the simulator. The firmware's predictions must equal the host reference's.
@Suite struct DigitsTests {
    static let models = FixtureBuilder.repositoryRoot + "/firmware/models"

    @Test("digits accuracy on the simulator equals the host reference's, image by image")
    func accuracy() throws {
        let model = try NpzImporter.load(weights: "\(Self.models)/digits_mlp.npz", topology: "\(Self.models)/digits_mlp.json")
        let data = try NumPyArchive.load(path: "\(Self.models)/digits_data.npz")
        let calibration = try #require(data["calibration"]), testX = try #require(data["test_x"]), testY = try #require(data["test_y"])
        #expect(testX.shape == [360, 64] && testY.shape == [360])
        // The model's input is pixels / 16, as it was trained.
        let calibrationInputs = stride(from: 0, to: calibration.count, by: 64).map { i in calibration.floats[i..<(i + 64)].map { $0 / 16 } }
        let quantized = try Quantizer.quantize(model, calibration: calibrationInputs, file: "digits")
        let inputQ = try #require(quantized.tensor(quantized.inputs[0])?.quantization)
        let images = stride(from: 0, to: testX.count, by: 64).map { i in testX.floats[i..<(i + 64)].map { $0 / 16 } }
        let labels = testY.data.map(Int.init)
        func argmax<T: Comparable>(_ v: [T]) -> Int { v.indices.max { v[$0] < v[$1] } ?? 0 }

        // Float on the host: the training script printed test accuracy 0.9833 (354 of 360).
        var floatCorrect = 0
        for (x, y) in zip(images, labels) {
            let out = try FloatReference.run(model, input: x, file: "digits")
            if argmax(out[model.outputs[0]] ?? []) == y { floatCorrect += 1 }
        }
        #expect(floatCorrect == 354)

        // int8 on the host reference.
        let quantizedImages = images.map { x in x.map { Int8(max(-128, min(127, ($0 / inputQ.scales[0] + Float(inputQ.zeroPoints[0])).rounded()))) } }
        var hostPredictions: [Int] = []
        for x in quantizedImages {
            let out = try ModelRunner.run(quantized, input: x, file: "digits")
            hostPredictions.append(argmax(out[quantized.outputs[0]] ?? []))
        }
        let hostCorrect = zip(hostPredictions, labels).filter { $0 == $1 }.count
        #expect(hostCorrect >= 350, "int8 host accuracy \(hostCorrect)/360")

        // int8 firmware on the simulator: every image in one run, predictions printed.
        var main = "#include <stdio.h>\n#include <string.h>\n#include \"model.h\"\n#include \"mcusim.h\"\n"
        main += "static const int8_t images[360][64] = {\n"
        for x in quantizedImages { main += "    {" + x.map(String.init).joined(separator: ",") + "},\n" }
        main += "};\n"
        main += """
            int main(void) {
                for (int i = 0; i < 360; i++) {
                    memcpy(model_input, images[i], 64);
                    mcusim_roi_begin("inference");
                    model_run();
                    mcusim_roi_end("inference");
                    int best = 0;
                    for (int k = 1; k < MODEL_OUTPUT_SIZE; k++) if (model_output[k] > model_output[best]) best = k;
                    printf("%d", best);
                }
                printf("\\n");
                return 0;
            }

            """
        let board = try FixtureBuilder.board("max32660")
        let (elf, _) = try FirmwareBuilder(toolchain: try Toolchain.locate())
            .build(model: quantized, modelPath: "digits", board: board, directory: FixtureBuilder.buildRoot + "/digits", mainSource: main)
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(result.stop.exitCode == 0, "\(result.stop.message)")
        let simulated = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).compactMap { $0.wholeNumberValue }
        #expect(simulated == hostPredictions)
        let roi = try #require(result.regionsOfInterest.first { $0.name == "inference" })
        #expect(roi.entries == 360)
    }
}
