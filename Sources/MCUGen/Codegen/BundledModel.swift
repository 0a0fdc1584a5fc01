import Foundation
import MCUSim

/// The project's own digits MLP (firmware/models, trained by scripts/train_digits.py): what
/// `mcusim run` runs when no firmware is given.
public enum BundledModel {
    public static func digits() throws -> (model: Model, calibration: [[Float]], testImage: [Float], label: Int) {
        guard let fw = Toolchain.firmwareDirectory() else {
            throw GeneratorError.toolchainMissing("cannot find the firmware/ folder with the bundled digits model")
        }
        let model = try NpzImporter.load(weights: "\(fw)/models/digits_mlp.npz", topology: "\(fw)/models/digits_mlp.json")
        let data = try NumPyArchive.load(path: "\(fw)/models/digits_data.npz")
        guard let calibration = data["calibration"], let testX = data["test_x"], let testY = data["test_y"], testX.count >= 64 else {
            throw GeneratorError.malformedModel(file: "\(fw)/models/digits_data.npz", problem: "calibration, test_x or test_y is missing")
        }
        let inputs = stride(from: 0, to: calibration.count, by: 64).map { i in calibration.floats[i..<(i + 64)].map { $0 / 16 } }
        return (model, inputs, testX.floats[0..<64].map { $0 / 16 }, Int(testY.data.first ?? 0))
    }

    /// Builds the quantized digits firmware for `board` with the first test image as input.
    public static func buildDigits(board: Board, directory: String) throws -> String {
        let digits = try digits()
        let quantized = try Quantizer.quantize(digits.model, calibration: digits.calibration, file: "digits_mlp")
        guard quantized.inputs.first.flatMap({ quantized.tensor($0) })?.quantization != nil else {
            throw GeneratorError.invalidModel(file: "digits_mlp", problem: "the quantized input has no parameters")
        }
        let input = AccuracyHarness.quantize(digits.testImage, model: quantized)
        return try FirmwareBuilder(toolchain: try Toolchain.locate())
            .build(model: quantized, modelPath: "digits_mlp", board: board, directory: directory, input: input).elf
    }
}
