import Foundation
import MCUGen

/// The model argument of `build` and `check`: loaded, and quantized to int8 when it is float.
enum ModelInput {
    static func load(path: String) throws -> Model {
        let loaded = try ModelLoader.load(path: path)
        if ModelPreparation.needsQuantization(loaded) {
            // A notice, not a result: stderr, so stdout stays the table.
            FileHandle.standardError.write(Data("mcusim: \(path) is a float32 model: quantizing to int8 with synthetic calibration inputs\n".utf8))
        }
        return try ModelPreparation.prepare(loaded, file: path)
    }
}
