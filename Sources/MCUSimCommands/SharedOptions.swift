import ArgumentParser
import MCUSim
import MCUGen

/// `--board`, shared by every command that needs a board.
public struct BoardOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Board name from the board library (see `mcusim boards`) or a path to a board YAML file.", valueName: "name|file"))
    public var board: String = "max32660"

    public init() {}

    public func load() throws -> Board {
        try BoardLibrary.resolve(board, library: BoardLibrary.locate())
    }
}

/// `--[no-]block-charging`, shared by the commands that run an arbitrary ELF (`run`, `gate`).
public struct ChargingOption: ParsableArguments {
    @Flag(name: .long, inversion: .prefixedNo,
          help: "Charge the cycle model per translation block (the default): the report of charging each instruction as it runs, about 1.3x faster. --no-block-charging charges each instruction; the two differ only when a store with base writeback, or a store-multiple, pends an exception in the middle of a block (docs/performance.md).")
    public var blockCharging = true

    public init() {}
}

public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}

/// `--format` and `--report`, shared by commands that produce a report.
public struct ReportOptions: ParsableArguments {
    @Option(name: .long, help: "Output format on stdout: text (a readable table) or json (the versioned report; firmware console output then goes to stderr).")
    public var format: OutputFormat = .text

    @Option(name: .long, help: ArgumentHelp("Also write the JSON report to this file.", valueName: "file"))
    public var report: String?

    public init() {}
}

/// `--weights` and `--activations` of `build` and `check`: where the generated firmware keeps
/// the model's weights and its activation arena (MCUGen Placement).
struct PlacementOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Where the weights live: flash (const arrays read in place), sram (initialised data the start-up code copies from flash) or dram (the board's external DRAM, copied from flash by model_init before the inference; the board file must declare a dram region).",
        valueName: "flash|sram|dram"))
    var weights: String = "flash"

    @Option(name: .long, help: ArgumentHelp(
        "Where the activation arena and convolution scratch live: sram or dram (the board's external DRAM).",
        valueName: "sram|dram"))
    var activations: String = "sram"

    func validate() throws {
        guard Placement.Place(rawValue: weights) != nil else {
            throw ValidationError("--weights must be flash, sram or dram, not '\(weights)'")
        }
        guard let a = Placement.Place(rawValue: activations), a != .flash else {
            throw ValidationError("--activations must be sram or dram, not '\(activations)'")
        }
    }

    var placement: Placement {
        Placement(weights: Placement.Place(rawValue: weights) ?? .flash, activations: Placement.Place(rawValue: activations) ?? .sram)
    }
}

/// `--calibration` of `build` and `check`.
struct CalibrationOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Calibration inputs for a float32 model's int8 quantization: a .npy array, or an .npz archive (numpy.savez) whose array is named 'calibration' or 'x' or is its only one, holding N inputs of the model's input size (e.g. [N, 64]), scaled as the model expects. Without it, seeded synthetic inputs are used. Ignored for int8 models.",
        valueName: "file.npy|file.npz"))
    var calibration: String?
}
