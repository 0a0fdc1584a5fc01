import Foundation
import MCUGen
import MCUSim

/// The model argument of `build` and `check`: loaded, pruned as asked, quantized to int8 when
/// it is float, and each weighted layer's encoding chosen for the board's core.
enum ModelInput {
    static func load(path: String, compression: CompressionOptions = CompressionOptions(), board: Board) throws -> CompressedModel {
        let loaded = try ModelLoader.load(path: path)
        if ModelPreparation.needsQuantization(loaded) {
            // A notice, not a result: stderr, so stdout stays the table.
            FileHandle.standardError.write(Data("mcusim: \(path) is a float32 model: quantizing to int8 with synthetic calibration inputs\n".utf8))
        }
        return try ModelCompression.prepare(loaded, file: path, options: compression, dsp: board.core.hasDSP)
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
