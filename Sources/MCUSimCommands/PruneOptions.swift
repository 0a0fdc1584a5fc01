import ArgumentParser
import MCUGen

/// `--prune`, `--sparsity`, `--allocation`, `--keep-first-dense`, `--keep-last-dense` and
/// `--encoding`, shared by `build` and `check` (and parsed the same way by `sweep`).
struct PruneOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("""
        Pruning strategy, applied to float weights before quantization or to the int8 weights \
        of an int8 model: random[:seed=N], magnitude (layer-wise), global-magnitude, structured \
        (neuron/filter L1; shrinks the layer and the next layer's inputs), nm:N:M (e.g. nm:2:4), \
        block:HxW (e.g. block:1x4). CONV_2D and FULLY_CONNECTED weights are pruned; depthwise stay dense.
        """, valueName: "strategy"))
    var prune: String?

    @Option(name: .long, help: ArgumentHelp("Fraction of weights to remove, in [0, 1) (of output channels, for structured). Not needed for nm:N:M.", valueName: "s"))
    var sparsity: Double?

    @Option(name: .long, help: ArgumentHelp("How the sparsity is spread over layers: uniform (the same in every layer; default), erk (Erdős–Rényi-Kernel budgets; magnitude-based global and random), global (one magnitude threshold; the default of global-magnitude).", valueName: "uniform|erk|global"))
    var allocation: PruningSpec.Allocation?

    @Flag(name: .long, help: "Leave the first CONV_2D/FULLY_CONNECTED layer dense.")
    var keepFirstDense = false

    @Flag(name: .long, help: "Leave the last CONV_2D/FULLY_CONNECTED layer dense.")
    var keepLastDense = false

    @Option(name: .long, help: ArgumentHelp("""
        Weight storage of CONV_2D and FULLY_CONNECTED layers: auto (the cheapest per layer by the \
        calibrated cost rule in docs/pruning.md, dense where sparse would be slower; the default \
        with --prune), dense, csr8, csr16, bitmask, block (aligned 1x4 blocks), nm[:N:M].
        """, valueName: "encoding"))
    var encoding: String?

    func compression() throws -> CompressionOptions {
        var options = CompressionOptions()
        if let prune {
            options.prune = try PruningSpec.parse(prune, sparsity: sparsity, allocation: allocation,
                                                  keepFirstDense: keepFirstDense, keepLastDense: keepLastDense)
        } else if sparsity != nil || allocation != nil || keepFirstDense || keepLastDense {
            throw ValidationError("--sparsity, --allocation and --keep-*-dense need --prune")
        }
        if let encoding { options.encoding = try EncodingChoice.parse(encoding) }
        return options
    }
}

extension PruningSpec.Allocation: ExpressibleByArgument {}
