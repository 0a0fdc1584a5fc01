import ArgumentParser
import Foundation
import MCUSim

/// `mcusim boards [NAME]`: the board library.
struct BoardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boards",
        abstract: "List the board library, or show one board.",
        discussion: "Boards are YAML files under boards/ (or $MCUSIM_BOARDS). NAME may also be a path to a board file, which is then validated and shown."
    )

    @Argument(help: ArgumentHelp("A board to show in full.", valueName: "name|file"))
    var name: String?

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let library = BoardLibrary.locate()
        if let name {
            let board = try BoardLibrary.resolve(name, library: library)
            switch format {
            case .text: print(TextReport.render(board), terminator: "")
            case .json: print(BoardReport.json(board).serialized(), terminator: "")
            }
            return
        }
        guard let library else {
            throw CommandError.io("cannot find the boards directory; set MCUSIM_BOARDS to it")
        }
        var boards: [Board] = []
        for n in library.names() { boards.append(try library.load(name: n)) }
        switch format {
        case .json: print(JSONValue.array(boards.map(BoardReport.json)).serialized(), terminator: "")
        case .text:
            var rows = [["board", "core", "clock", "flash", "sram", "dram", "description"]]
            for b in boards {
                func total(_ kind: MemoryKind) -> String {
                    let bytes = b.regions.filter { $0.kind == kind }.reduce(UInt64(0)) { $0 + UInt64($1.size) }
                    return bytes == 0 ? "-" : TextReport.size(bytes)
                }
                rows.append([b.name, b.core.rawValue, TextReport.megahertz(b.clockHz), total(.flash), total(.sram), total(.dram), b.description])
            }
            print(TextReport.table(rows), terminator: "")
        }
    }
}
