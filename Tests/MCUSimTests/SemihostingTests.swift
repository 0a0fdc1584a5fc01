import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Semihosting beyond newlib's console: host files under --semihosting-root only, clocks
/// from simulated time, HEAPINFO from the image; and the board's console UART.
@Suite struct SemihostingTests {
    static func output(_ result: RunResult, _ key: String) -> [String] {
        result.stdoutText.split(separator: "\n").map(String.init)
            .first { $0.hasPrefix(key + " ") }?.split(separator: " ").dropFirst().map(String.init) ?? []
    }

    @Test("host files are reachable under the root, and nowhere else")
    func filesUnderRoot() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "semihosting", sources: [FixtureBuilder.fixture("MCUSimTests", "semihosting.c")], board: board)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sh-root-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try "hello host".write(to: root.appendingPathComponent("input.txt"), atomically: true, encoding: .utf8)
        try "secret".write(to: root.deletingLastPathComponent().appendingPathComponent("outside.txt"), atomically: true, encoding: .utf8)

        let result = try FixtureBuilder.run(elf, board: board, options: RunOptions(semihostingRoot: root.path))
        #expect(result.stop.exitCode == 0, "\(result.stop.message)")
        #expect(result.stdoutText.contains("read 1 'hello host'\n"))
        #expect(result.stdoutText.contains("write 1\n"))
        #expect(result.stdoutText.contains("escape 0\n"))
        #expect(try String(contentsOf: root.appendingPathComponent("output.txt"), encoding: .utf8) == "written by firmware")
    }

    @Test("a symbolic link inside the root cannot lead the firmware outside it")
    func symlinkEscape() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "semihosting", sources: [FixtureBuilder.fixture("MCUSimTests", "semihosting.c")], board: board)
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("sh-link-\(UUID().uuidString)")
        let root = parent.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: parent) }
        let outside = parent.appendingPathComponent("secret.txt")
        try "secret".write(to: outside, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("input.txt"), withDestinationURL: outside)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("output.txt"),
                                                   withDestinationURL: parent.appendingPathComponent("planted.txt"))
        let result = try FixtureBuilder.run(elf, board: board, options: RunOptions(semihostingRoot: root.path))
        #expect(result.stdoutText.contains("read 0 ''\n"))
        #expect(result.stdoutText.contains("write 0\n"))
        #expect(!FileManager.default.fileExists(atPath: parent.appendingPathComponent("planted.txt").path))
    }

    @Test("without --semihosting-root the firmware cannot open any host file")
    func noRootNoFiles() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "semihosting", sources: [FixtureBuilder.fixture("MCUSimTests", "semihosting.c")], board: board)
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(result.stdoutText.contains("read 0 ''\n"))
        #expect(result.stdoutText.contains("write 0\n"))
        #expect(result.stdoutText.contains("escape 0\n"))
    }

    @Test("clocks report simulated time at the board clock; HEAPINFO comes from the image")
    func clocksAndHeap() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "semihosting", sources: [FixtureBuilder.fixture("MCUSimTests", "semihosting.c")], board: board)
        let image = try ELFLoader.load(path: elf)
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(Self.output(result, "tickfreq") == ["96000000"])
        // The 1000-iteration loop costs cycles, and the clock never runs past the whole run.
        let elapsed = try #require(UInt64(Self.output(result, "elapsed").first ?? ""))
        #expect(elapsed > 1000 && elapsed < result.timing.cycles)
        let clock = Self.output(result, "clock")
        let centiseconds = try #require(UInt64(clock.first ?? ""))
        let ticks = try #require(UInt64(clock.last ?? ""))
        #expect(centiseconds == ticks * 100 / 96_000_000)
        // HEAPINFO: heap from the linker's `end`, stack base at the initial SP.
        let heap = Self.output(result, "heap")
        let end = try #require(image.symbols.named("end")?.address ?? heap.last.flatMap { UInt32($0, radix: 16) })
        #expect(heap.first == String(format: "%08x", end))
        #expect(heap.count == 6 && heap[3] == String(format: "%08x", result.boot.initialSP))
        #expect(UInt32(heap[1], radix: 16).map { $0 > end && $0 < result.boot.initialSP } == true)
    }

    @Test("the MAX32660 console UART reaches stdout like semihosting output")
    func consoleUART() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "uart", sources: [FixtureBuilder.fixture("MCUSimTests", "uart.c")], board: board)
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(result.stdoutText == "uart says hi\n")
        #expect(result.stop.exitCode == 4)
    }
}
