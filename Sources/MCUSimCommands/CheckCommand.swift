import ArgumentParser
import Foundation
import MCUGen
import MCUSim

/// `mcusim check`: is the generated firmware bit-exact with the host reference?
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Build a model's firmware, run it on the simulator and compare its output with the host reference.",
        discussion: """
        For each seeded random input the firmware is rebuilt with that input, run, and its \
        model_output compared byte for byte with the Swift host reference (itself checked against \
        the TensorFlow Lite interpreter in the test suite). Exit status 0 when every input is \
        bit-exact, 73 when any differs.
        """
    )

    @Argument(help: ArgumentHelp("The model: .tflite (int8, or float32 quantized post-training with calibration inputs: --calibration, or synthetic ones), or an npz topology .json whose weights are the .npz of the same name.", valueName: "model.tflite|model.json"))
    var model: String

    @OptionGroup var boardOption: BoardOption

    @OptionGroup var calibrationOption: CalibrationOption

    @Option(name: .long, help: ArgumentHelp("How many seeded random inputs to check.", valueName: "n"))
    var inputs: Int = 3

    @OptionGroup var placementOptions: PlacementOptions

    func validate() throws {
        guard inputs >= 1, inputs <= 100 else { throw ValidationError("--inputs must be between 1 and 100") }
    }

    func run() throws {
        let board = try boardOption.load()
        let imported = try ModelInput.load(path: model, calibration: calibrationOption.calibration)
        let builder = FirmwareBuilder(toolchain: try Toolchain.locate())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-check-\(getpid())-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = RunOptions()
        options.costTable = try? CostTable.defaultTable(library: BoardLibrary.locate())
        var rows = [["input", "bit-exact", "inference cycles", "time at clock", "energy pJ"]]
        var allMatch = true
        for seed in 1...inputs {
            let outcome = try ModelCheck.run(model: imported, modelPath: model, board: board, directory: dir, seed: seed,
                                             builder: builder, options: options, placement: placementOptions.placement)
            allMatch = allMatch && outcome.matches
            let roi = outcome.result.regionsOfInterest.first { $0.name == "inference" }
            let cycles = roi?.cycles ?? 0
            rows.append(["seed \(seed)", outcome.matches ? "yes" : "NO (first difference at \(outcome.firstMismatch.map(String.init) ?? "the end"))",
                         TextReport.grouped(cycles), String(format: "%.3f ms", Double(cycles) / Double(board.clockHz) * 1000),
                         roi?.energyPJ.map { String(format: "%.0f", $0) } ?? "-"])
        }
        print(TextReport.table(rows), terminator: "")
        if !allMatch { throw ExitCode(ExitStatus.checkMismatch.rawValue) }
    }
}
