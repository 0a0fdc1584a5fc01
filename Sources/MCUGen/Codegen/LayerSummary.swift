import MCUSim

/// One generated layer as `build` and `check` report it: shapes and bytes from the model,
/// encoding and MACs from the compression, and (after a run) cycles and energy from the
/// profile of its layerNN_<op> function.
public struct LayerSummary: Sendable, Equatable {
    public var function: String
    public var kind: OperatorKind
    public var inputShape: [Int]
    public var outputShape: [Int]
    public var encoding: String
    /// Weights in the layer and how many are nonzero (0 and 0 for layers without weights).
    public var weights: Int
    public var nonzeros: Int
    /// Bytes of stored weight values and of index / row metadata.
    public var weightBytes: Int
    public var indexBytes: Int
    public var denseMACs: Int
    public var executedMACs: Int
    public var outputBytes: Int
    public var cycles: UInt64?
    public var energyPJ: Double?

    /// The layers of `compressed` as generated, in order.
    public static func make(_ compressed: CompressedModel, generated: GeneratedFirmware) -> [LayerSummary] {
        let model = compressed.model
        return model.operators.enumerated().map { i, op in
            let inT = op.inputs.first.flatMap(model.tensor), outT = op.outputs.first.flatMap(model.tensor)
            let weightsT = [.conv2D, .depthwiseConv2D, .fullyConnected].contains(op.kind) && op.inputs.count > 1
                ? model.tensor(op.inputs[1]) : nil
            let values = weightsT?.int8Values ?? []
            let nonzeros = values.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
            let encoding = compressed.encodings[i] ?? .dense
            let dense = model.macs(of: op)
            var weightBytes = values.count, indexBytes = 0, executed = dense
            // The stored matrix: rows are output channels (a depthwise tensor's last dimension).
            if encoding != .dense, let layout = weightsT.flatMap({ WeightLayout(kind: op.kind, shape: $0.shape) }),
               let m = try? SparseMatrix.encode(layout.matrix(values), rows: layout.rows, cols: layout.cols, as: encoding) {
                weightBytes = m.weightBytes
                indexBytes = m.indexBytes
                // Each stored entry is multiplied once per column vector (FC row or conv pixel).
                executed = values.isEmpty ? 0 : dense / values.count * m.executedMACs
            }
            return LayerSummary(function: i < generated.layers.count ? generated.layers[i].function : "layer\(i)", kind: op.kind,
                                inputShape: inT?.shape ?? [], outputShape: outT?.shape ?? [],
                                encoding: weightsT == nil ? "-" : encoding.description, weights: values.count, nonzeros: nonzeros,
                                weightBytes: weightBytes, indexBytes: indexBytes, denseMACs: dense, executedMACs: executed,
                                outputBytes: outT?.elementCount ?? 0, cycles: nil, energyPJ: nil)
        }
    }

    /// Fills cycles and energy from a run's function profile (inclusive, per call averaged over
    /// `inferences` runs of the model).
    public static func attach(_ layers: inout [LayerSummary], profile: [FunctionProfile], inferences: Int = 1) {
        let n = UInt64(max(1, inferences))
        for i in layers.indices {
            guard let f = profile.first(where: { $0.name == layers[i].function }) else { continue }
            layers[i].cycles = f.cycles / n
            layers[i].energyPJ = f.energyPJ / Double(n)
        }
    }

    public var json: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("function", .string(function)), ("op", .string(kind.rawValue)),
            ("input_shape", .array(inputShape.map { .int(Int64($0)) })), ("output_shape", .array(outputShape.map { .int(Int64($0)) })),
            ("encoding", .string(encoding)), ("weights", .int(Int64(weights))), ("nonzeros", .int(Int64(nonzeros))),
            ("weight_bytes", .int(Int64(weightBytes))), ("index_bytes", .int(Int64(indexBytes))),
            ("dense_macs", .int(Int64(denseMACs))), ("executed_macs", .int(Int64(executedMACs))),
            ("output_bytes", .int(Int64(outputBytes))),
        ]
        if let cycles { pairs.append(("cycles", .uint(cycles))) }
        if let energyPJ { pairs.append(("energy_pj", .double(energyPJ))) }
        return .object(pairs)
    }
}
