import ArgumentParser
import MCUGen

/// `--prune`, `--sparsity`, `--allocation`, `--keep-first-dense`, `--keep-last-dense`,
/// `--dense-depthwise` and `--encoding`, shared by `build` and `check` (and parsed the same way
/// by `sweep`).
struct PruneOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("""
        Pruning strategy, applied to float weights before quantization or to the int8 weights \
        of an int8 model: random[:seed=N], magnitude (layer-wise), global-magnitude, structured \
        (neuron/filter L1; shrinks the layer and the next layer's inputs), nm:N:M (e.g. nm:2:4), \
        block:HxW (e.g. block:1x4); and, training a float model on --data: gmp[:epochs=N] (gradual \
        magnitude, cubic schedule), imp[:rounds=N][:rewind=STEP][:epochs=N] (lottery ticket with \
        rewinding), str[:epochs=N][:decay=X] (soft threshold reparameterization). CONV_2D and \
        FULLY_CONNECTED weights are pruned, and DEPTHWISE_CONV_2D weights by the per-weight \
        strategies (random, magnitude, global-magnitude, gmp, imp, str) unless --dense-depthwise; \
        nm, block and structured leave depthwise filters dense.
        """, valueName: "strategy"))
    var prune: String?

    @Option(name: .long, help: ArgumentHelp("Fraction of weights to remove, in [0, 1) (of output channels, for structured). Not needed for nm:N:M.", valueName: "s"))
    var sparsity: Double?

    @Option(name: .long, help: ArgumentHelp("How the sparsity is spread over layers: uniform (the same in every layer; default), erk (Erdős–Rényi-Kernel budgets; magnitude-based global and random), global (one magnitude threshold; the default of global-magnitude).", valueName: "uniform|erk|global"))
    var allocation: PruningSpec.Allocation?

    @Flag(name: .long, help: "Leave the first layer the strategy prunes dense.")
    var keepFirstDense = false

    @Flag(name: .long, help: "Leave the last layer the strategy prunes dense.")
    var keepLastDense = false

    @Flag(name: .long, help: "Leave DEPTHWISE_CONV_2D layers dense (the per-weight strategies prune them by default).")
    var denseDepthwise = false

    @Option(name: .long, help: ArgumentHelp("Epochs of mask-preserving fine-tuning after a one-shot strategy (float models; needs --data with training samples).", valueName: "epochs"))
    var finetune: Int = 0

    @Option(name: .long, help: ArgumentHelp("Data .npz: train_x/train_y (training), calibration (quantization ranges; default the first 200 training samples), test_x/test_y (accuracy on the simulator), input_scale (multiplies every x). See docs/pruning.md.", valueName: "file.npz"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp("""
        Weight storage of CONV_2D, FULLY_CONNECTED and DEPTHWISE_CONV_2D layers: auto (the \
        cheapest per layer by the calibrated cost rules in docs/pruning.md, dense where sparse \
        would be slower; the default with --prune), measure (build and run every candidate on \
        the board, keep each layer's fastest), dense, csr8, csr16, bitmask, block (aligned 1x4 \
        blocks), nm[:N:M]. Depthwise layers (depth multiplier 1) have one sparse encoding, taps \
        (per channel its kept taps), which every forced sparse encoding selects for them.
        """, valueName: "encoding"))
    var encoding: String?

    /// The options, with the data file read for a model of `inputSize` input values.
    func compression(inputSize: Int) throws -> CompressionOptions {
        var options = CompressionOptions()
        if let prune {
            options.prune = try PruningSpec.parse(prune, sparsity: sparsity, allocation: allocation, keepFirstDense: keepFirstDense,
                                                  keepLastDense: keepLastDense, denseDepthwise: denseDepthwise, finetuneEpochs: finetune)
        } else if sparsity != nil || allocation != nil || keepFirstDense || keepLastDense || denseDepthwise || finetune != 0 {
            throw ValidationError("--sparsity, --allocation, --finetune, --keep-*-dense and --dense-depthwise need --prune")
        }
        // Say so before quantizing and pruning, not after.
        if let spec = options.prune, spec.strategy.needsTraining || spec.finetuneEpochs > 0, data == nil {
            throw ValidationError("--prune \(prune ?? "")\(spec.finetuneEpochs > 0 ? " with --finetune" : "") trains the model: give --data FILE.npz with train_x and train_y")
        }
        if let data { options.data = try DataSet.load(path: data, inputSize: inputSize) }
        if let encoding { options.encoding = try EncodingChoice.parse(encoding) }
        return options
    }
}

extension PruningSpec.Allocation: ExpressibleByArgument {}
