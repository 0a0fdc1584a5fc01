/// Pruning and encoding choices for one build, as `--prune`, `--sparsity` and `--encoding` give them.
public struct CompressionOptions: Sendable {
    public var prune: PruningSpec?
    public var encoding: EncodingChoice?
    /// Training, calibration and test data (`--data`).
    public var data: DataSet?
    /// Per-channel conv and depthwise weight scales (TFLite's default); false: per tensor.
    public var perChannelWeights: Bool
    public init(prune: PruningSpec? = nil, encoding: EncodingChoice? = nil, data: DataSet? = nil, perChannelWeights: Bool = true) {
        self.prune = prune
        self.encoding = encoding
        self.data = data
        self.perChannelWeights = perChannelWeights
    }
}

/// A model ready for the code generator: int8, pruned, with an encoding per weighted layer.
public struct CompressedModel: Sendable {
    public var model: Model
    /// The strategy the model was pruned with, if any (decides which encodings apply).
    public var strategy: PruningSpec.Strategy?
    /// Layers stored sparse; the others are dense.
    public var encodings: [Int: SparseEncoding]
    public var pruning: [LayerPruning]
}

/// The model half of `build`, `check` and `sweep`: prune (float weights before quantization,
/// int8 weights of an int8 model), quantize when float, then choose each layer's encoding.
public enum ModelCompression {
    public static func prepare(_ loaded: Model, file: String, options: CompressionOptions, dsp: Bool,
                               calibration: [[Float]]? = nil) throws -> CompressedModel {
        var model = loaded
        var removed: [Int: Int] = [:]
        let isFloat = ModelPreparation.needsQuantization(loaded)
        if let spec = options.prune, isFloat {
            if spec.strategy.needsTraining {
                model = try TrainingPruner.prune(model, spec: spec, data: try trainingData(options, spec, file), file: file)
            } else {
                let pruned = try Pruner.prune(model, spec: spec, file: file)
                model = pruned.model
                removed = Dictionary(uniqueKeysWithValues: pruned.layers.map { ($0.layer, $0.removedChannels) })
                if spec.finetuneEpochs > 0 {
                    model = try TrainingPruner.finetune(model, epochs: spec.finetuneEpochs, data: try trainingData(options, spec, file), file: file)
                }
            }
        }
        if let spec = options.prune, !isFloat, spec.strategy.needsTraining || spec.finetuneEpochs > 0 {
            throw GeneratorError.invalidModel(file: file, problem: "\(spec) trains, and training needs a float32 model (this one is int8)")
        }
        let calibrationInputs = calibration ?? options.data.flatMap { $0.calibration.isEmpty ? nil : $0.calibration }
        model = try ModelPreparation.prepare(model, file: file, calibration: calibrationInputs,
                                             perChannelWeights: options.perChannelWeights)
        if let spec = options.prune, !isFloat {
            let pruned = try Pruner.prune(model, spec: spec, file: file)
            model = pruned.model
            removed = Dictionary(uniqueKeysWithValues: pruned.layers.map { ($0.layer, $0.removedChannels) })
        }
        let report = try Pruner.report(model, removed: removed, file: file)
        var encodings: [Int: SparseEncoding] = [:]
        if options.prune != nil || options.encoding != nil {
            let choice = options.encoding ?? .auto
            for layer in Pruner.prunableLayers(model) {
                let e = try encoding(for: layer, in: model, choice: choice, strategy: options.prune?.strategy, dsp: dsp, file: file)
                if e != .dense { encodings[layer] = e }
            }
        }
        return CompressedModel(model: model, strategy: options.prune?.strategy, encodings: encodings, pruning: report)
    }

    static func trainingData(_ options: CompressionOptions, _ spec: PruningSpec, _ file: String) throws -> DataSet {
        guard let data = options.data, !data.train.isEmpty else {
            throw GeneratorError.invalidModel(file: file, problem: "\(spec)\(spec.finetuneEpochs > 0 ? " with --finetune" : "") needs training data: --data FILE with train_x and train_y")
        }
        return data
    }

    static func encoding(for layer: Int, in model: Model, choice: EncodingChoice, strategy: PruningSpec.Strategy?, dsp: Bool,
                         file: String) throws -> SparseEncoding {
        let w = try Pruner.weightTensor(model, layer, file)
        guard let values = w.int8Values, let layout = WeightLayout(kind: model.operators[layer].kind, shape: w.shape),
              values.count == layout.rows * layout.cols else { return .dense }
        if layout.depthwise {
            return try depthwiseEncoding(for: layer, in: model, matrix: layout.matrix(values), layout: layout, choice: choice,
                                         strategy: strategy, dsp: dsp)
        }
        let (rows, cols) = (layout.rows, layout.cols)
        switch choice {
        case .auto, .measure:  // measure starts from the rule; EncodingMeasurement then measures
            // Convolutions over four or more pixels take the kernels' four-pixel path.
            let outputPixels = model.operators[layer].outputs.first.flatMap(model.tensor).map { $0.elementCount / rows } ?? 1
            let conv = model.operators[layer].kind == .conv2D && outputPixels >= 4
            return EncodingSelector.choose(values, rows: rows, cols: cols, candidates: SparseEncoding.candidates(for: strategy),
                                           dsp: dsp, conv: conv).encoding
        case .fixed, .nmOfStrategy:
            var e = SparseEncoding.dense
            if case let .fixed(fixed) = choice { e = fixed }
            if case .nmOfStrategy = choice {
                guard case let .nm(n, m) = strategy else {
                    throw PruningError.badEncoding("nm", "give N and M (nm:N:M) unless the pruning strategy is nm:N:M")
                }
                e = .nm(n: n, m: m)
            }
            // Checks that the matrix fits the encoding (N:M groups, index range) with a clear error.
            do { _ = try SparseMatrix.encode(values, rows: rows, cols: cols, as: e) } catch let error as PruningError {
                throw PruningError.notApplicable(layer: layer, error.description)
            }
            return e
        }
    }

    /// A depthwise layer with depth multiplier 1: `auto` and `measure` start from the depthwise
    /// cost rule (DepthwiseCost), a forced sparse encoding means taps, `dense` dense. Other
    /// depth multipliers stay dense (the taps kernel reads input channel c for output c).
    static func depthwiseEncoding(for layer: Int, in model: Model, matrix: [Int8], layout: WeightLayout, choice: EncodingChoice,
                                  strategy: PruningSpec.Strategy?, dsp: Bool) throws -> SparseEncoding {
        let op = model.operators[layer]
        guard case let .depthwiseConv2D(o) = op.options, o.depthMultiplier == 1, layout.cols <= 256,
              model.tensor(op.inputs[0])?.shape.last == layout.rows else { return .dense }
        switch choice {
        case .auto, .measure:
            return DepthwiseCost.choose(matrix, channels: layout.rows, taps: layout.cols, dsp: dsp)
        case .fixed(.dense):
            return .dense
        case .nmOfStrategy:
            guard case .nm = strategy else {
                throw PruningError.badEncoding("nm", "give N and M (nm:N:M) unless the pruning strategy is nm:N:M")
            }
            return .taps
        case .fixed:
            return .taps
        }
    }
}
