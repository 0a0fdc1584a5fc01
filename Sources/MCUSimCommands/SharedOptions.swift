import ArgumentParser
import MCUSim

/// `--board`, shared by every command that needs a board.
public struct BoardOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Board name from the board library (see `mcusim boards`) or a path to a board YAML file.", valueName: "name|file"))
    public var board: String = "max32660"

    public init() {}

    public func load() throws -> Board {
        try BoardLibrary.resolve(board, library: BoardLibrary.locate())
    }
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
