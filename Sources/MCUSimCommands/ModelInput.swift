import Foundation
import MCUGen

/// The model argument of `build` and `check`: loaded, and quantized to int8 when it is float
/// (with the calibration inputs of `calibration`, a .npy/.npz file, or synthetic ones).
enum ModelInput {
    static func load(path: String, calibration: String? = nil) throws -> Model {
        let loaded = try ModelLoader.load(path: path)
        // Notices, not results: stderr, so stdout stays the table.
        func notice(_ text: String) { FileHandle.standardError.write(Data("mcusim: \(text)\n".utf8)) }
        guard ModelPreparation.needsQuantization(loaded) else {
            if let calibration { notice("\(path) is already int8: \(calibration) is not used") }
            return try ModelPreparation.prepare(loaded, file: path)
        }
        guard let calibration else {
            notice("\(path) is a float32 model: quantizing to int8 with synthetic calibration inputs (--calibration gives real ones)")
            return try ModelPreparation.prepare(loaded, file: path)
        }
        let size = loaded.inputs.first.flatMap { loaded.tensor($0) }?.elementCount ?? 0
        let inputs = try CalibrationData.load(path: calibration, inputSize: size)
        notice("\(path) is a float32 model: quantizing to int8 with \(inputs.count) calibration inputs from \(calibration)")
        return try ModelPreparation.prepare(loaded, file: path, calibration: inputs)
    }
}
