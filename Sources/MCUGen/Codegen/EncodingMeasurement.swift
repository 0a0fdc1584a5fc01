import Foundation
import MCUSim

/// `--encoding measure`: the model is built once per candidate encoding (every prunable layer
/// in that encoding), each firmware runs one inference on the board, and each layer takes the
/// encoding whose `layerNN` function measured fewest cycles (inclusive, from the profile). Exact
/// for this model, board and input, at the price of one build and run per candidate; `auto`'s
/// cost rule (EncodingSelector) is the quick estimate.
public enum EncodingMeasurement {
    public struct Result: Sendable {
        public var encodings: [Int: SparseEncoding]
        /// Cycles per layer and candidate, for the record.
        public var cycles: [Int: [(SparseEncoding, UInt64)]]
    }

    public static func choose(_ compressed: CompressedModel, modelPath: String, board: Board, directory: String,
                              builder: FirmwareBuilder, placement: Placement = Placement()) throws -> Result {
        let layers = Pruner.prunableLayers(compressed.model)
        var cycles: [Int: [(SparseEncoding, UInt64)]] = [:]
        // Depthwise layers have one sparse candidate, taps; the other candidates are FC and conv's.
        var candidates = SparseEncoding.candidates(for: compressed.strategy)
        if layers.contains(where: { compressed.model.operators[$0].kind == .depthwiseConv2D }) { candidates.append(.taps) }
        for encoding in candidates {
            var encodings: [Int: SparseEncoding] = [:]
            if encoding != .dense {
                for layer in layers where (try? weightsFit(compressed.model, layer, encoding)) == true { encodings[layer] = encoding }
                if encodings.isEmpty { continue }
            }
            let (elf, generated) = try builder.build(model: compressed.model, modelPath: modelPath, board: board,
                                                     directory: "\(directory)/\(encoding)", placement: placement, encodings: encodings)
            let result = try Machine(board: board, image: try ELFLoader.load(path: elf), options: .generatedFirmware).run()
            guard result.stop.reason == .exit else {
                throw GeneratorError.invalidModel(file: modelPath, problem: "measuring \(encoding): the firmware stopped: \(result.stop.message)")
            }
            for layer in layers where encoding == .dense || encodings[layer] != nil {
                let name = generated.layers[layer].function
                if let f = result.functions.first(where: { $0.name == name }) { cycles[layer, default: []].append((encoding, f.cycles)) }
            }
        }
        var chosen: [Int: SparseEncoding] = [:]
        for (layer, options) in cycles {
            // Ties go to dense (no index bytes).
            if let best = options.min(by: { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 == .dense }), best.0 != .dense { chosen[layer] = best.0 }
        }
        return Result(encodings: chosen, cycles: cycles)
    }

    /// Whether `layer` can be stored in `encoding`: taps for depthwise layers with depth
    /// multiplier 1, the matrix encodings for the others.
    static func weightsFit(_ model: Model, _ layer: Int, _ encoding: SparseEncoding) throws -> Bool {
        let op = model.operators[layer]
        let w = try Pruner.weightTensor(model, layer, "model")
        guard let values = w.int8Values, let layout = WeightLayout(kind: op.kind, shape: w.shape),
              layout.depthwise == (encoding == .taps) else { return false }
        if case let .depthwiseConv2D(o) = op.options, o.depthMultiplier != 1 || model.tensor(op.inputs[0])?.shape.last != layout.rows {
            return false
        }
        _ = try SparseMatrix.encode(layout.matrix(values), rows: layout.rows, cols: layout.cols, as: encoding)
        return true
    }
}
