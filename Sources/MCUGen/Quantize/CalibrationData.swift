import Foundation

/// Calibration inputs for post-training quantization from a NumPy file: a `.npy` array, or the
/// array of an `.npz` archive (`numpy.savez`) named `calibration` or `x`, or its only array.
/// The array holds N inputs of the model's input size, any shape whose element count is a
/// multiple of it ([N, 64], [N, 49, 10, 1], ...), in any dtype the reader takes (float32,
/// float64, int8, uint8, int32, int64), as the model expects them (already scaled).
public enum CalibrationData {
    public static func load(path: String, inputSize: Int) throws -> [[Float]] {
        func fail(_ p: String) -> GeneratorError { .badInput(file: path, problem: "calibration data: \(p)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read the calibration file") }
        let bytes = [UInt8](data)
        let array: NumPyArray
        do {
            array = try parse(bytes, path: path)
        } catch let GeneratorError.malformedModel(_, problem) {
            throw fail(problem)
        }
        guard inputSize > 0, array.count > 0, array.count % inputSize == 0 else {
            throw fail("an array of shape \(array.shape) does not split into inputs of \(inputSize) values")
        }
        let values = array.floats
        guard values.allSatisfy(\.isFinite) else { throw fail("NaN or infinite values") }
        return stride(from: 0, to: values.count, by: inputSize).map { Array(values[$0..<($0 + inputSize)]) }
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> NumPyArray {
        func fail(_ p: String) -> GeneratorError { .badInput(file: path, problem: "calibration data: \(p)") }
        if path.lowercased().hasSuffix(".npz") {
            let arrays = try NumPyArchive.parse(bytes: bytes, path: path)
            guard let a = arrays["calibration"] ?? arrays["x"] ?? (arrays.count == 1 ? arrays.values.first : nil) else {
                throw fail("which array is it? Name it 'calibration' or 'x' (found \(arrays.keys.sorted().joined(separator: ", ")))")
            }
            return a
        }
        return try NumPyArchive.parseNPY(bytes, name: (path as NSString).lastPathComponent, path: path)
    }
}
