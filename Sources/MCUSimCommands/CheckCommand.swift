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
        the TensorFlow Lite interpreter in the test suite); sparse layers are checked against the \
        reference that walks their encoded storage. On a mismatch the first layer whose output \
        differs is found by rebuilding the model cut after each candidate layer. Then a per-layer \
        table gives encodings, nonzeros, bytes, MACs, and the cycles and energy of each layer \
        function in the first run. Exit status 0 when every input is bit-exact, 73 when any differs.
        """
    )

    @Argument(help: ArgumentHelp("The model: .tflite (int8, or float32 quantized post-training with calibration inputs: --calibration, or synthetic ones), or an npz topology .json whose weights are the .npz of the same name.", valueName: "model.tflite|model.json"))
    var model: String

    @OptionGroup var boardOption: BoardOption
    @OptionGroup var pruneOptions: PruneOptions

    @OptionGroup var calibrationOption: CalibrationOption

    @Option(name: .long, help: ArgumentHelp("How many seeded random inputs to check.", valueName: "n"))
    var inputs: Int = 3

    @OptionGroup var placementOptions: PlacementOptions

    func validate() throws {
        guard inputs >= 1, inputs <= 100 else { throw ValidationError("--inputs must be between 1 and 100") }
    }

    func run() throws {
        try ModelInput.namingModel(model) { try checkFirmware() }
    }

    func checkFirmware() throws {
        let board = try boardOption.load()
        var (compressed, compression) = try ModelInput.load(path: model, prune: pruneOptions, board: board,
                                                            calibration: calibrationOption.calibration)
        let placement = placementOptions.placement
        try ModelInput.measureEncodings(&compressed, options: compression, path: model, board: board, placement: placement)
        let builder = FirmwareBuilder(toolchain: try Toolchain.locate())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-check-\(getpid())-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = RunOptions.generatedFirmware
        options.costTable = try? CostTable.defaultTable(library: BoardLibrary.locate())
        var rows = [["input", "bit-exact", "inference cycles", "time at clock", "energy pJ"]]
        var matched = 0
        var layers: [LayerSummary] = []
        for seed in 1...inputs {
            let outcome = try ModelCheck.run(model: compressed.model, modelPath: model, board: board, directory: dir, seed: seed,
                                             builder: builder, options: options, placement: placement,
                                             encodings: compressed.encodings)
            if layers.isEmpty {
                layers = LayerSummary.make(compressed, generated: outcome.generated)
                LayerSummary.attach(&layers, profile: outcome.result.functions)
            }
            var verdict = "yes"
            if outcome.matches {
                matched += 1
            } else if outcome.result.stop.reason != .exit {
                verdict = "NO (the firmware stopped: \(outcome.result.stop.message))"
            } else {
                let layer = try ModelCheck.firstDifferingLayer(model: compressed.model, modelPath: model, board: board,
                                                               directory: dir, seed: seed, builder: builder, options: options,
                                                               placement: placement, encodings: compressed.encodings)
                let name = layer.map { String(format: "layer%02d_%@ (%@)", $0, CodeGenerator.shortName(compressed.model.operators[$0].kind),
                                              compressed.model.operators[$0].kind.rawValue) } ?? "unknown"
                verdict = "NO: first difference at output byte \(outcome.firstMismatch.map(String.init) ?? "end"), first differing layer \(name)"
            }
            let roi = outcome.result.regionsOfInterest.first { $0.name == "inference" }
            let cycles = roi?.cycles ?? 0
            rows.append(["seed \(seed)", verdict, TextReport.grouped(cycles), String(format: "%.3f ms", Double(cycles) / Double(board.clockHz) * 1000),
                         roi?.energyPJ.map { TextReport.wholePicojoules($0) } ?? "-"])
        }
        print(TextReport.table(rows), terminator: "")
        print()
        print(ModelInput.layerTable(layers), terminator: "")
        if let test = compression.data?.test, !test.isEmpty {
            let accuracy = try AccuracyHarness.run(compressed, test: test, modelPath: model, board: board, directory: dir + "/accuracy",
                                                   builder: builder, options: options, placement: placement)
            print(ModelInput.accuracyLine(accuracy))
            if !accuracy.predictionsAgree { matched = 0 }
        }
        print("\(matched)/\(inputs) bit-exact")
        if matched != inputs { throw ExitCode(ExitStatus.checkMismatch.rawValue) }
    }
}
