/// Training, calibration and test data from a NumPy .npz (`--data FILE`): arrays `train_x`,
/// `train_y`, `test_x`, `test_y` and `calibration` (each optional; x arrays [N, ...] of any
/// numeric dtype, y arrays [N] of class indices), and `input_scale` (one value multiplied into
/// every x, e.g. 1/16 for 0-16 pixels). docs/pruning.md describes the format.
public struct DataSet: Sendable {
    public var train: [(x: [Float], y: Int)]
    public var test: [(x: [Float], y: Int)]
    public var calibration: [[Float]]

    public init(train: [(x: [Float], y: Int)], test: [(x: [Float], y: Int)], calibration: [[Float]]) {
        self.train = train
        self.test = test
        self.calibration = calibration
    }

    public static func load(path: String, inputSize: Int) throws -> DataSet {
        let arrays: [String: NumPyArray]
        do { arrays = try NumPyArchive.load(path: path) } catch let GeneratorError.malformedModel(file, problem) {
            throw GeneratorError.malformedData(file: file, problem: problem)
        }
        func fail(_ why: String) -> GeneratorError { .malformedData(file: path, problem: why) }
        let scale = arrays["input_scale"]?.floats.first ?? 1
        func samples(_ key: String) throws -> [[Float]]? {
            guard let a = arrays[key] else { return nil }
            guard inputSize > 0, a.count % inputSize == 0 else {
                throw fail("\(key) has \(a.count) values, not a whole number of \(inputSize)-value model inputs")
            }
            let f = a.floats
            // A NaN or infinity would train and calibrate silently into garbage.
            guard f.allSatisfy(\.isFinite), scale.isFinite else { throw fail("\(key) holds NaN or infinite values") }
            let scaled = f.map { $0 * scale }
            // Finite values can still overflow once scaled (3e38 x input_scale 10).
            guard scaled.allSatisfy(\.isFinite) else { throw fail("\(key) times input_scale \(scale) is infinite") }
            return stride(from: 0, to: scaled.count, by: inputSize).map { Array(scaled[$0..<($0 + inputSize)]) }
        }
        func labelled(_ xKey: String, _ yKey: String) throws -> [(x: [Float], y: Int)] {
            guard let xs = try samples(xKey) else { return [] }
            guard let ys = arrays[yKey]?.floats, ys.count == xs.count else {
                throw fail("\(yKey) must hold one label per \(xKey) sample (\(xs.count))")
            }
            guard ys.allSatisfy({ $0 >= 0 && $0 < 1_000_000 && $0 == $0.rounded() }) else { throw fail("\(yKey) must hold class indices") }
            return zip(xs, ys).map { ($0, Int($1)) }
        }
        let train = try labelled("train_x", "train_y"), test = try labelled("test_x", "test_y")
        let calibration = try samples("calibration") ?? train.prefix(200).map(\.x)
        guard !train.isEmpty || !test.isEmpty || !calibration.isEmpty else {
            throw fail("has none of train_x, test_x or calibration")
        }
        return DataSet(train: train, test: test, calibration: calibration)
    }
}
