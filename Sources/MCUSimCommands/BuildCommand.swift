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
        const arrays in flash; activations share one arena planned by tensor liveness; each layer \
        is a function layerNN_<op>; main runs model_run() inside the region of interest \
        "inference", reading model_input and leaving the result in model_output. Supported today: \
        int8 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, ADD (same-shaped \
        inputs), RESHAPE and SOFTMAX.
        """
    )

    @Argument(help: ArgumentHelp("The model: .tflite (int8, or float32 quantized post-training with synthetic calibration inputs), or an npz topology .json whose weights are the .npz of the same name.", valueName: "model.tflite|model.json"))
    var model: String

    @OptionGroup var boardOption: BoardOption

    @Option(name: [.short, .long], help: ArgumentHelp("Output folder.", valueName: "dir"))
    var output: String

    func run() throws {
        let board = try boardOption.load()
        let imported = try ModelInput.load(path: model)
        let (elf, generated) = try FirmwareBuilder(toolchain: try Toolchain.locate())
            .build(model: imported, modelPath: model, board: board, directory: output)
        let image = try ELFLoader.load(path: elf)
        var rows = [["layer", "operator"]]
        for layer in generated.layers { rows.append([layer.function, layer.kind.rawValue]) }
        print(TextReport.table(rows), terminator: "")
        print("arena \(TextReport.grouped(UInt64(generated.arenaBytes))) B, flash \(TextReport.grouped(image.flashBytes(on: board))) B, static SRAM \(TextReport.grouped(image.staticBytes(on: board, kind: .sram))) B")
        print("firmware: \(elf)")
    }
}
