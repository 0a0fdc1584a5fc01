import Foundation
import MCUGen
import MCUSim

/// The model argument of `build` and `check`: loaded, pruned as asked, quantized to int8 when
/// it is float, and each weighted layer's encoding chosen for the board's core.
enum ModelInput {
    static func load(path: String, prune: PruneOptions, board: Board) throws -> (CompressedModel, CompressionOptions) {
        let loaded = try ModelLoader.load(path: path)
        let inputSize = loaded.inputs.first.flatMap(loaded.tensor)?.elementCount ?? 0
        let options = try prune.compression(inputSize: inputSize)
        if ModelPreparation.needsQuantization(loaded) {
            // A notice, not a result: stderr, so stdout stays the table.
            let source = options.data?.calibration.isEmpty == false ? "calibration samples from \(prune.data ?? "--data")" : "synthetic calibration inputs"
            FileHandle.standardError.write(Data("mcusim: \(path) is a float32 model: quantizing to int8 with \(source)\n".utf8))
        }
        if options.prune?.strategy.needsTraining == true || (options.prune?.finetuneEpochs ?? 0) > 0 {
            FileHandle.standardError.write(Data("mcusim: training \(options.prune.map { "\($0)" } ?? "") on \(options.data?.train.count ?? 0) samples\n".utf8))
        }
        return (try ModelCompression.prepare(loaded, file: path, options: options, dsp: board.core.hasDSP), options)
    }

    static func accuracyLine(_ a: AccuracyHarness.Outcome) -> String {
        String(format: "accuracy on the simulator: %d/%d = %.2f%% (host reference %d/%d; predictions %@)", a.simulatorCorrect, a.samples,
               100 * a.simulatorAccuracy, a.hostCorrect, a.samples, a.predictionsAgree ? "identical" : "DIFFER")
    }

    /// The per-layer table: encoding, nonzeros, bytes, MACs, and cycles and energy when known.
    static func layerTable(_ layers: [LayerSummary]) -> String {
        var rows = [["layer", "operator", "encoding", "nonzeros", "weight B", "index B", "MACs", "executed", "cycles", "energy pJ"]]
        for l in layers {
            rows.append([l.function, l.kind.rawValue, l.encoding, l.weights == 0 ? "-" : "\(l.nonzeros)/\(l.weights)",
                         l.weights == 0 ? "-" : "\(l.weightBytes)", l.weights == 0 ? "-" : "\(l.indexBytes)",
                         TextReport.grouped(UInt64(l.denseMACs)), TextReport.grouped(UInt64(l.executedMACs)),
                         l.cycles.map { TextReport.grouped($0) } ?? "-", l.energyPJ.map { String(format: "%.0f", $0) } ?? "-"])
        }
        return TextReport.table(rows)
    }
}
