import ArgumentParser
import Foundation
import MCUGen
import MCUSim

/// `mcusim build`: int8 inference firmware from a model.
struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Generate and compile int8 inference firmware from a TFLite model.",
        discussion: """
        Writes model.c, model.h, main.c and input.c to the output folder and builds firmware.elf \
        with arm-none-eabi-gcc, the project's kernels (firmware/kernels) and runtime. Weights are \
        const arrays in flash (--weights sram or dram moves them); activations share one arena planned \
        by tensor liveness, in SRAM (--activations dram moves it); each layer \
        is a function layerNN_<op>; main runs model_run() inside the region of interest \
        "inference", reading model_input and leaving the result in model_output. summary.json in the \
        output folder lists the layers, sizes, placement and the input's quantization. Supported today: \
        int8 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, ADD (same-shaped \
        inputs), RESHAPE and SOFTMAX.
        """
    )

    @Argument(help: ArgumentHelp("The model: .tflite (int8, or float32 quantized post-training with calibration inputs: --calibration, or synthetic ones), or an npz topology .json whose weights are the .npz of the same name.", valueName: "model.tflite|model.json"))
    var model: String

    @OptionGroup var boardOption: BoardOption

    @OptionGroup var calibrationOption: CalibrationOption

    @Option(name: [.short, .long], help: ArgumentHelp("Output folder.", valueName: "dir"))
    var output: String

    @OptionGroup var placementOptions: PlacementOptions

    func run() throws {
        let board = try boardOption.load()
        let imported = try ModelInput.load(path: model, calibration: calibrationOption.calibration)
        let placement = placementOptions.placement
        let (elf, generated) = try FirmwareBuilder(toolchain: try Toolchain.locate())
            .build(model: imported, modelPath: model, board: board, directory: output, placement: placement)
        let image = try ELFLoader.load(path: elf)
        var rows = [["layer", "operator"]]
        for layer in generated.layers { rows.append([layer.function, layer.kind.rawValue]) }
        print(TextReport.table(rows), terminator: "")
        let flash = image.flashBytes(on: board), sram = image.staticBytes(on: board, kind: .sram)
        let dram = image.staticBytes(on: board, kind: .dram)
        print("arena \(TextReport.grouped(UInt64(generated.arenaBytes))) B, flash \(TextReport.grouped(flash)) B, static SRAM \(TextReport.grouped(sram)) B"
              + (dram > 0 ? ", static DRAM \(TextReport.grouped(dram)) B" : ""))
        print("weights (\(TextReport.grouped(UInt64(generated.weightBytes))) B) in \(placement.weights.rawValue), activations in \(placement.activations.rawValue)")
        let inputQuantization = imported.inputs.first.flatMap { imported.tensor($0) }?.quantization
        let summary: [String: Any] = [
            "model": model, "board": board.name, "firmware": elf,
            "input": ["scale": Double(inputQuantization?.scales.first ?? 1), "zero_point": Int(inputQuantization?.zeroPoints.first ?? 0)],
            "layers": generated.layers.map { ["function": $0.function, "operator": $0.kind.rawValue] },
            "arena_bytes": generated.arenaBytes, "weight_bytes": generated.weightBytes,
            "flash_bytes": flash, "static_sram_bytes": sram, "static_dram_bytes": dram,
            "placement": ["weights": placement.weights.rawValue, "activations": placement.activations.rawValue],
        ]
        let json = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: "\(output)/summary.json"))
        print("firmware: \(elf)")
    }
}
