import Foundation
import MCUGen
import MCUSim

/// The model argument of `build` and `check`: loaded, pruned as asked, quantized to int8 when
/// it is float (with `--calibration` inputs, else --data's calibration samples, else synthetic
/// ones), and each weighted layer's encoding chosen for the board's core.
enum ModelInput {
    static func load(path: String, prune: PruneOptions, board: Board, calibration: String? = nil) throws -> (CompressedModel, CompressionOptions) {
        let loaded = try ModelLoader.load(path: path)
        let inputSize = loaded.inputs.first.flatMap(loaded.tensor)?.elementCount ?? 0
        let options = try prune.compression(inputSize: inputSize)
        // Notices, not results: stderr, so stdout stays the table.
        func notice(_ text: String) { FileHandle.standardError.write(Data("mcusim: \(text)\n".utf8)) }
        var inputs: [[Float]]?
        if ModelPreparation.needsQuantization(loaded) {
            if let calibration {
                inputs = try CalibrationData.load(path: calibration, inputSize: inputSize)
                notice("\(path) is a float32 model: quantizing to int8 with \(inputs?.count ?? 0) calibration inputs from \(calibration)")
            } else if let samples = options.data?.calibration, !samples.isEmpty {
                notice("\(path) is a float32 model: quantizing to int8 with \(samples.count) calibration samples from \(prune.data ?? "--data")")
            } else {
                notice("\(path) is a float32 model: quantizing to int8 with synthetic calibration inputs (--calibration gives real ones)")
            }
        } else if let calibration {
            notice("\(path) is already int8: \(calibration) is not used")
        }
        if options.prune?.strategy.needsTraining == true || (options.prune?.finetuneEpochs ?? 0) > 0 {
            notice("training \(options.prune.map { "\($0)" } ?? "") on \(options.data?.train.count ?? 0) samples")
        }
        return (try ModelCompression.prepare(loaded, file: path, options: options, dsp: board.core.hasDSP, calibration: inputs), options)
    }

    /// Runs `body`. A failed compile or link (most often: the firmware does not fit the board's
    /// flash or SRAM) is reported against the model it was built from, as every other model
    /// error is: `MODEL: the firmware does not fit the board: region `FLASH' overflowed by N bytes`.
    static func namingModel(_ path: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as GeneratorError {
            if case .compileFailed = error { throw GeneratorError.badInput(file: path, problem: error.description) }
            throw error
        }
    }

    /// `--encoding measure`: replaces the rule's choices by measured ones (a build and a run per
    /// candidate encoding, in a temporary folder).
    static func measureEncodings(_ compressed: inout CompressedModel, options: CompressionOptions, path: String, board: Board,
                                 placement: Placement) throws {
        guard options.encoding == .measure else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-measure-\(getpid())-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileHandle.standardError.write(Data("mcusim: measuring each candidate encoding on \(board.name)\n".utf8))
        let result = try EncodingMeasurement.choose(compressed, modelPath: path, board: board, directory: dir,
                                                    builder: FirmwareBuilder(toolchain: try Toolchain.locate()), placement: placement)
        compressed.encodings = result.encodings
    }

    static func accuracyLine(_ a: AccuracyHarness.Outcome) -> String {
        String(format: "accuracy on the simulator: %d/%d = %.2f%% (host reference %d/%d; predictions %@)", a.simulatorCorrect, a.samples,
               100 * a.simulatorAccuracy, a.hostCorrect, a.samples, a.predictionsAgree ? "identical" : "DIFFER")
    }

    /// The per-layer table: encoding, nonzeros, bytes, MACs, and cycles and energy when known.
    static func layerTable(_ layers: [LayerSummary]) -> String {
        var rows = [["layer", "operator", "encoding", "nonzeros", "weight B", "index B", "MACs", "executed", "cycles", "energy pJ"]]
        for l in layers {
            let count = { (n: Int) in TextReport.grouped(UInt64(max(n, 0))) }
            rows.append([l.function, l.kind.rawValue, l.encoding, l.weights == 0 ? "-" : "\(count(l.nonzeros))/\(count(l.weights))",
                         l.weights == 0 ? "-" : count(l.weightBytes), l.weights == 0 ? "-" : count(l.indexBytes),
                         count(l.denseMACs), count(l.executedMACs),
                         l.cycles.map { TextReport.grouped($0) } ?? "-", l.energyPJ.map { TextReport.wholePicojoules($0) } ?? "-"])
        }
        return TextReport.table(rows)
    }
}
