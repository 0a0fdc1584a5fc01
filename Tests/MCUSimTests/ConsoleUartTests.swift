import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Each console UART layout carries firmware output to the console, on the board that has it.
@Suite struct ConsoleUartTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let board: String
        let layout: Int
        var testDescription: String { board }
    }

    /// A linker script for a board without one in firmware/runtime: its first flash region
    /// and its first SRAM region, with the project's shared section layout.
    static func linkerScript(for board: Board) throws -> String {
        let flash = try #require(board.regions.first { $0.kind == .flash })
        let sram = try #require(board.primarySRAM)
        let path = FixtureBuilder.buildRoot + "/\(board.name).ld"
        try """
            MEMORY {
                FLASH (rx)  : ORIGIN = \(hexAddress(flash.base)), LENGTH = \(flash.size)
                SRAM  (rwx) : ORIGIN = \(hexAddress(sram.base)), LENGTH = \(sram.size)
            }
            INCLUDE sections.ld
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("console output reaches stdout", arguments: [Case(board: "max78000", layout: 1), Case(board: "rp2040", layout: 2),
                                                        Case(board: "nrf52840", layout: 3), Case(board: "stm32f746-disco", layout: 4),
                                                        Case(board: "samd21", layout: 5)])
    func layouts(_ c: Case) throws {
        let board = try FixtureBuilder.board(c.board)
        let elf = try FixtureBuilder.build(name: "console-uart", sources: [FixtureBuilder.fixture("MCUSimTests", "console_uart.c")],
                                           board: board, linkerScript: try Self.linkerScript(for: board),
                                           flags: ["-DLAYOUT=\(c.layout)"])
        var options = RunOptions()
        options.strictMMIO = true
        let result = try FixtureBuilder.run(elf, board: board, options: options)
        #expect(result.stdoutText == "console says hi\n")
        #expect(result.stop.exitCode == 0, "\(result.stop.message)")
    }
}
