import ArgumentParser
import Foundation
import MCUGen
import MCUSim

/// `mcusim build`: int8 inference firmware from a model.
struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Generate and compile int8 inference firmware from a model, dense or pruned and sparse.",
        discussion: """
        Writes model.c, model.h, main.c and input.c to the output folder, builds firmware.elf \
        with arm-none-eabi-gcc, the project's kernels (firmware/kernels) and runtime, and writes \
        summary.json (flash bytes, peak arena, MACs, placement, the input's quantization, and \
        per-layer shapes, encodings and bytes; docs/generator.md). Weights are const arrays in \
        flash (--weights sram or dram moves them); activations share one arena planned by tensor \
        liveness, in SRAM (--activations dram moves it); each layer is a function layerNN_<op>; \
        main runs model_run() inside the region of interest "inference", reading model_input and \
        leaving the result in model_output. With --prune the weights are pruned first, and \
        --encoding chooses how each CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED layer is stored \
        (docs/pruning.md); \
        with --data holding test samples, the accuracy on the simulator goes into summary.json. \
        Supported: int8 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, \
        ADD (same-shaped inputs), RESHAPE and SOFTMAX.
        """
    )

    @Argument(help: ArgumentHelp("The model: .tflite (int8, or float32 quantized post-training with calibration inputs: --calibration, or synthetic ones), or an npz topology .json whose weights are the .npz of the same name.", valueName: "model.tflite|model.json"))
    var model: String

    @OptionGroup var boardOption: BoardOption
    @OptionGroup var pruneOptions: PruneOptions

    @OptionGroup var calibrationOption: CalibrationOption

    @Option(name: [.short, .long], help: ArgumentHelp("Output folder.", valueName: "dir"))
    var output: String

    @OptionGroup var placementOptions: PlacementOptions

    func run() throws {
        try ModelInput.namingModel(model) { try buildFirmware() }
    }

    func buildFirmware() throws {
        let board = try boardOption.load()
        var (compressed, compression) = try ModelInput.load(path: model, prune: pruneOptions, board: board,
                                                            calibration: calibrationOption.calibration)
        let placement = placementOptions.placement
        try ModelInput.measureEncodings(&compressed, options: compression, path: model, board: board, placement: placement)
        let builder = FirmwareBuilder(toolchain: try Toolchain.locate())
        let (elf, generated) = try builder.build(model: compressed.model, modelPath: model, board: board, directory: output,
                                                 placement: placement, encodings: compressed.encodings)
        let image = try ELFLoader.load(path: elf)
        let layers = LayerSummary.make(compressed, generated: generated)
        var summary = BuildSummary(model: model, board: board, image: image, generated: generated, layers: layers,
                                   firmware: elf, input: compressed.model.inputs.first.flatMap(compressed.model.tensor)?.quantization)
        if let test = compression.data?.test, !test.isEmpty {
            let accuracy = try AccuracyHarness.run(compressed, test: test, modelPath: model, board: board,
                                                   directory: output + "/accuracy", builder: builder, placement: placement)
            summary.accuracy = accuracy
            FileHandle.standardError.write(Data((ModelInput.accuracyLine(accuracy) + "\n").utf8))
        }
        do {
            try summary.json.serialized().write(toFile: "\(output)/summary.json", atomically: true, encoding: .utf8)
        } catch {
            throw CommandError.io("\(output)/summary.json: cannot write: \(error.localizedDescription)")
        }
        print(ModelInput.layerTable(layers), terminator: "")
        print("arena \(TextReport.grouped(UInt64(generated.arenaBytes))) B, flash \(TextReport.grouped(summary.flashBytes)) B, static SRAM \(TextReport.grouped(summary.staticSRAMBytes)) B"
              + (summary.staticDRAMBytes > 0 ? ", static DRAM \(TextReport.grouped(summary.staticDRAMBytes)) B" : "")
              + ", \(TextReport.grouped(UInt64(summary.macs))) MACs")
        print("weights (\(TextReport.grouped(UInt64(generated.weightBytes))) B) in \(placement.weights.rawValue), activations in \(placement.activations.rawValue)")
        print("firmware: \(elf)")
    }
}

/// summary.json of `mcusim build` (schema in docs/generator.md).
struct BuildSummary {
    var model: String
    var board: Board
    var firmware: String
    var flashBytes: UInt64
    var staticSRAMBytes: UInt64
    var staticDRAMBytes: UInt64
    var arenaBytes: Int
    var weightBytes: Int
    var placement: Placement
    var input: Quantization?
    var macs: Int
    var layers: [LayerSummary]
    var accuracy: AccuracyHarness.Outcome?

    init(model: String, board: Board, image: FirmwareImage, generated: GeneratedFirmware, layers: [LayerSummary], firmware: String,
         input: Quantization?) {
        self.model = model
        self.board = board
        self.firmware = firmware
        self.input = input
        flashBytes = image.flashBytes(on: board)
        staticSRAMBytes = image.staticBytes(on: board, kind: .sram)
        staticDRAMBytes = image.staticBytes(on: board, kind: .dram)
        arenaBytes = generated.arenaBytes
        weightBytes = generated.weightBytes
        placement = generated.placement
        macs = layers.reduce(0) { $0 + $1.denseMACs }
        self.layers = layers
    }

    var json: JSONValue {
        .object([
            ("schema", .string("mcusim.build/1")),
            ("model", .string((model as NSString).lastPathComponent)),
            ("board", .string(board.name)),
            ("firmware", .string(firmware)),
            ("input", .object([("scale", .double(Double(input?.scales.first ?? 1))), ("zero_point", .int(input?.zeroPoints.first ?? 0))])),
            ("placement", .object([("weights", .string(placement.weights.rawValue)), ("activations", .string(placement.activations.rawValue))])),
            ("flash_bytes", .uint(flashBytes)),
            ("static_sram_bytes", .uint(staticSRAMBytes)),
            ("static_dram_bytes", .uint(staticDRAMBytes)),
            ("arena_bytes", .int(Int64(arenaBytes))),
            ("weight_bytes", .int(Int64(weightBytes))),
            ("macs", .int(Int64(macs))),
            ("executed_macs", .int(Int64(layers.reduce(0) { $0 + $1.executedMACs }))),
            ("weights", .int(Int64(layers.reduce(0) { $0 + $1.weights }))),
            ("nonzeros", .int(Int64(layers.reduce(0) { $0 + $1.nonzeros }))),
            ("accuracy", accuracy.map { a in
                .object([("samples", .int(Int64(a.samples))), ("simulator", .double(a.simulatorAccuracy)),
                         ("host_reference", .double(a.hostAccuracy)), ("predictions_agree", .bool(a.predictionsAgree))])
            } ?? .null),
            ("layers", .array(layers.map(\.json))),
        ])
    }
}
