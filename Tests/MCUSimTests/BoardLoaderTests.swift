import Foundation
import Testing
@testable import MCUSim
import MCUTestSupport

// Board files are hand-edited, so the loader's job is mostly saying precisely what is wrong.
// The shipped boards are checked against the figures in shared/reference/boards.md, and
// each rejection is checked for the dotted key it blames, not only that it throws.

private let repoRoot = FixtureBuilder.repositoryRoot
private let boardsDirectory = repoRoot + "/boards"

private let KiB: UInt32 = 1 << 10
private let MiB: UInt32 = 1 << 20

/// A complete, valid board using every optional section. Each bad case edits one line of it,
/// so the case fails for exactly the reason it names.
private let validBoard = """
    name: test-board
    description: "a board for tests"
    core: cortex-m4
    clock_hz: 48_000_000
    boot_address: 0x00000000
    memory:
      - name: flash
        kind: flash
        base: 0x00000000
        size: 256KiB
        wait_states: 2
      - name: sram
        kind: sram
        base: 0x20000000
        size: 32KiB
      - name: apb
        kind: mmio
        base: 0x40000000
        size: 0x00100000
    console:
      peripheral: max32-uart
      base: 0x40042000
    instruction_cache:
      size: 16KiB
      line_bytes: 16
      ways: 2
    power:
      active_ua_per_mhz: 85
      supply_volts: 1.1
      sleep_ua: 2

    """

/// `validBoard` with one exact line replaced (an empty replacement deletes the line).
private func edited(_ line: String, _ replacement: String) -> String {
    validBoard.replacingLine(line, with: replacement)
}

/// A board file with one mistake, the key the error must blame and a phrase from the problem.
struct BadBoard: CustomTestStringConvertible, Sendable {
    let name: String
    let yaml: String
    let key: String
    let problem: String
    var testDescription: String { name }

    static let all: [BadBoard] = [
        BadBoard(name: "not YAML", yaml: "name: [unclosed\ncore: {", key: "", problem: "not valid YAML"),
        BadBoard(name: "top level is a list", yaml: "- name: x\n- core: cortex-m4\n", key: "",
                 problem: "expected a mapping of keys at the top level"),
        BadBoard(name: "top level is a scalar", yaml: "just words\n", key: "",
                 problem: "expected a mapping of keys at the top level"),
        BadBoard(name: "missing name", yaml: edited("name: test-board", ""), key: "name", problem: "missing"),
        BadBoard(name: "unknown core", yaml: edited("core: cortex-m4", "core: cortex-m9"), key: "core",
                 problem: "unknown core 'cortex-m9'"),
        BadBoard(name: "missing clock_hz", yaml: edited("clock_hz: 48_000_000", ""), key: "clock_hz", problem: "missing"),
        // A misspelt required key surfaces as the required key missing: it is checked first.
        BadBoard(name: "clock_hz misspelt", yaml: edited("clock_hz: 48_000_000", "clock_hx: 48_000_000"),
                 key: "clock_hz", problem: "missing"),
        BadBoard(name: "implausible clock", yaml: edited("clock_hz: 48_000_000", "clock_hz: 48"), key: "clock_hz",
                 problem: "not a plausible core clock"),
        BadBoard(name: "bad number", yaml: edited("    size: 32KiB", "    size: abc"), key: "memory[1].size",
                 problem: "expected a whole number"),
        BadBoard(name: "memory is not a list", yaml: "name: x\ncore: cortex-m4\nclock_hz: 1000000\nboot_address: 0\nmemory: 4\n",
                 key: "memory", problem: "expected a list"),
        BadBoard(name: "memory missing", yaml: "name: x\ncore: cortex-m4\nclock_hz: 1000000\nboot_address: 0\n",
                 key: "memory", problem: "at least one memory region"),
        BadBoard(name: "memory item is not a mapping", yaml: edited("  - name: apb", "  - apb\n  - name: apb"),
                 key: "memory[2]", problem: "expected a mapping"),
        BadBoard(name: "unknown memory kind", yaml: edited("    kind: flash", "    kind: eeprom"), key: "memory[0].kind",
                 problem: "unknown memory kind 'eeprom'"),
        BadBoard(name: "zero size", yaml: edited("    size: 32KiB", "    size: 0"), key: "memory[1].size",
                 problem: "greater than zero"),
        BadBoard(name: "region past 4 GiB", yaml: edited("    base: 0x40000000", "    base: 0xFFFFF000"),
                 key: "memory[2].size", problem: "past the end of the 32-bit address space"),
        BadBoard(name: "implausible wait states", yaml: edited("    wait_states: 2", "    wait_states: 5000"),
                 key: "memory[0].wait_states", problem: "not plausible"),
        BadBoard(name: "overlapping regions", yaml: edited("    base: 0x20000000", "    base: 0x00010000"),
                 key: "memory[1]", problem: "region 'sram' overlaps region 'flash'"),
        BadBoard(name: "duplicate region names", yaml: edited("  - name: apb", "  - name: flash"),
                 key: "memory[2].name", problem: "duplicate region name 'flash'"),
        BadBoard(name: "no sram region", yaml: edited("    kind: sram", "    kind: dram"), key: "memory",
                 problem: "at least one sram region"),
        BadBoard(name: "memory in the system space", yaml: edited("    base: 0x20000000", "    base: 0xE0000000"),
                 key: "memory[1].base", problem: "system space"),
        BadBoard(name: "boot address outside memory", yaml: edited("boot_address: 0x00000000", "boot_address: 0x10000000"),
                 key: "boot_address", problem: "0x10000000 is not inside"),
        BadBoard(name: "boot address in mmio", yaml: edited("boot_address: 0x00000000", "boot_address: 0x40000000"),
                 key: "boot_address", problem: "not inside a flash, ROM or RAM region"),
        BadBoard(name: "console base not in mmio", yaml: edited("  base: 0x40042000", "  base: 0x20000000"),
                 key: "console.base", problem: "not inside an mmio region"),
        BadBoard(name: "unknown console peripheral", yaml: edited("  peripheral: max32-uart", "  peripheral: zilog-scc"),
                 key: "console.peripheral", problem: "unknown console peripheral 'zilog-scc'"),
        BadBoard(name: "unknown top-level key", yaml: validBoard + "descriptoin: typo\n", key: "descriptoin",
                 problem: "unknown key"),
        BadBoard(name: "negative region energy", yaml: edited("    wait_states: 2", "    wait_states: 2\n    energy_pj: -1"),
                 key: "memory[0].energy_pj", problem: "not plausible"),
        BadBoard(name: "region energy not a number", yaml: edited("    wait_states: 2", "    wait_states: 2\n    energy_pj: lots"),
                 key: "memory[0].energy_pj", problem: "expected a number"),
        BadBoard(name: "region energy on mmio", yaml: edited("    size: 0x00100000", "    size: 0x00100000\n    energy_pj: 5"),
                 key: "memory[2].energy_pj", problem: "MMIO accesses are priced by the cost table"),
        BadBoard(name: "unknown key in a region", yaml: edited("    wait_states: 2", "    wait_state: 2"),
                 key: "memory[0].wait_state", problem: "unknown key"),
        BadBoard(name: "unknown key in console", yaml: validBoard.replacingOccurrences(
                    of: "  base: 0x40042000\n", with: "  base: 0x40042000\n  baud: 115200\n"),
                 key: "console.baud", problem: "unknown key"),
        BadBoard(name: "multiplier on a non-M0 core", yaml: validBoard + "multiplier: iterative\n", key: "multiplier",
                 problem: "only Cortex-M0 and M0+"),
        BadBoard(name: "unknown multiplier", yaml: edited("core: cortex-m4", "core: cortex-m0") + "multiplier: fast\n",
                 key: "multiplier", problem: "expected single-cycle or iterative"),
        BadBoard(name: "negative power value", yaml: edited("  sleep_ua: 2", "  sleep_ua: -2"), key: "power.sleep_ua",
                 problem: "must not be negative"),
        BadBoard(name: "zero supply voltage", yaml: edited("  supply_volts: 1.1", "  supply_volts: 0"),
                 key: "power.supply_volts", problem: "missing or zero"),
        BadBoard(name: "cache size not a power of two", yaml: edited("  size: 16KiB", "  size: 12KiB"),
                 key: "instruction_cache.size", problem: "power of two"),
        BadBoard(name: "cache smaller than a line per way", yaml: edited("  size: 16KiB", "  size: 16"),
                 key: "instruction_cache.size", problem: "smaller than one line per way"),
    ]
}

@Suite("BoardLoader")
struct BoardLoaderTests {
    // MARK: Shipped boards, against shared/reference/boards.md

    @Test func max32660MatchesReference() throws {
        let board = try BoardLoader.load(path: boardsDirectory + "/max32660.yaml")
        #expect(board.name == "max32660")
        #expect(board.core == .cortexM4F)
        #expect(board.clockHz == 96_000_000)
        #expect(board.bootAddress == 0)
        let flash = try #require(board.regions.first { $0.kind == .flash })
        #expect((flash.base, flash.size, flash.waitStates) == (0, 256 * KiB, 4))
        let sram = try #require(board.primarySRAM)
        #expect((sram.base, sram.size, sram.waitStates) == (0x2000_0000, 96 * KiB, 0))
        #expect(board.instructionCache?.sizeBytes == 16 * 1024)
        // UART0 at 0x40042000 (nuttx max32660_memorymap.h), inside the APB window.
        #expect(board.console == ConsoleSpec(kind: .max32Uart, base: 0x4004_2000))
        #expect(board.power?.activeMicroampsPerMHz == 85)
        #expect(board.multiplier == .singleCycle)
    }

    @Test func samd21MatchesReference() throws {
        let board = try BoardLoader.load(path: boardsDirectory + "/samd21.yaml")
        #expect(board.name == "samd21")
        #expect(board.core == .cortexM0Plus)
        #expect(board.clockHz == 48_000_000)
        let flash = try #require(board.regions.first { $0.kind == .flash })
        #expect((flash.base, flash.size, flash.waitStates) == (0, 256 * KiB, 1))
        let sram = try #require(board.primarySRAM)
        #expect((sram.base, sram.size) == (0x2000_0000, 32 * KiB))
        #expect(board.multiplier == .singleCycle)
        #expect(board.console == ConsoleSpec(kind: .samdSercom, base: 0x4200_1C00))
    }

    @Test func stm32f746DiscoMatchesReference() throws {
        let board = try BoardLoader.load(path: boardsDirectory + "/stm32f746-disco.yaml")
        #expect(board.name == "stm32f746-disco")
        #expect(board.core == .cortexM7)
        #expect(board.clockHz == 216_000_000)
        #expect(board.bootAddress == 0x0800_0000)
        let flash = try #require(board.regions.first { $0.kind == .flash })
        #expect((flash.base, flash.size) == (0x0800_0000, 1 * MiB))
        let sram = try #require(board.primarySRAM)
        #expect((sram.base, sram.size) == (0x2000_0000, 320 * KiB))
        let dram = try #require(board.regions.first { $0.kind == .dram })
        #expect((dram.base, dram.size) == (0xC000_0000, 8 * MiB))
    }

    /// Any board file added later must at least load and be named after its file.
    @Test func everyShippedBoardLoads() throws {
        let names = BoardLibrary(directory: boardsDirectory).names()
        #expect(Set(["max32660", "samd21", "stm32f746-disco"]).isSubset(of: names))
        for name in names {
            let path = boardsDirectory + "/\(name).yaml"
            let board = try BoardLoader.load(path: path)
            #expect(board.name == name)
            #expect(board.sourcePath == path)
        }
    }

    @Test func validTemplateParses() throws {
        // Every bad case is one edit away from this; it must itself be accepted.
        let board = try BoardLoader.parse(text: validBoard, path: "test.yaml")
        #expect(board.regions.map(\.name) == ["flash", "sram", "apb"])
        #expect(board.instructionCache == InstructionCacheSpec(sizeBytes: 16384, lineBytes: 16, ways: 2))
        #expect(board.power == PowerSpec(activeMicroampsPerMHz: 85, supplyVolts: 1.1, sleepMicroamps: 2))
        #expect(board.regions.allSatisfy { $0.accessEnergyPJ == nil })
    }

    @Test func regionEnergyOverrideParses() throws {
        let board = try BoardLoader.parse(text: edited("    size: 32KiB", "    size: 32KiB\n    energy_pj: 10.5"), path: "test.yaml")
        #expect(board.regions.map(\.accessEnergyPJ) == [nil, 10.5, nil])
    }

    // MARK: Rejections

    @Test("each mistake names the file, the key and the problem", arguments: BadBoard.all)
    func rejects(_ bad: BadBoard) {
        let path = "/boards/broken.yaml"
        let error = #expect(throws: SimulatorError.self) { try BoardLoader.parse(text: bad.yaml, path: path) }
        guard let error else { return }
        guard case let .badBoard(errorPath, key, problem) = error else {
            Issue.record("expected .badBoard, got \(error)")
            return
        }
        #expect(errorPath == path)
        #expect(key == bad.key)
        #expect(problem.contains(bad.problem), "problem '\(problem)' lacks '\(bad.problem)'")
        #expect(error.description.hasPrefix(path + ": " + (key.isEmpty ? "" : key + ": ")))
        #expect(!error.description.contains("\n"), "one line per error")
    }

    /// Memory may not start in the system space (0xE0000000 up) and must not reach into it
    /// either.
    @Test func regionRunningIntoSystemSpaceIsRejected() {
        let crossing = edited("  - name: apb", """
              - name: ext
                kind: dram
                base: 0xD0000000
                size: 0x20000000
              - name: apb
            """)
        let error = #expect(throws: SimulatorError.self) { try BoardLoader.parse(text: crossing, path: "b.yaml") }
        #expect(error.map { "\($0)" }?.contains("system space") == true)
    }

    @Test func missingBoardFileIsAnIOError() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString).yaml").path
        let error = #expect(throws: SimulatorError.self) { try BoardLoader.load(path: path) }
        guard case let .io(errorPath, _)? = error else {
            Issue.record("expected .io, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
    }

    @Test func nonUTF8BoardFileIsRejected() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("latin1-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data([0x6E, 0x61, 0x6D, 0x65, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: SimulatorError.self) { try BoardLoader.load(path: path) }
        #expect(error == .badBoard(path: path, key: "", problem: "not UTF-8 text"))
    }

    // MARK: Numbers

    @Test("parseUnsigned accepts data-sheet spellings", arguments: [
        ("0x20000000", 0x2000_0000), ("96KiB", 98_304), ("1MiB", 1_048_576), ("256K", 262_144),
        ("96_000_000", 96_000_000), ("0", 0), ("  42  ", 42), ("2GiB", 1 << 31), ("8MB", 8 << 20),
        ("18446744073709551615", UInt64.max),
    ] as [(String, UInt64)])
    func parsesUnsigned(_ text: String, _ expected: UInt64) {
        #expect(DataFileNode.parseUnsigned(text) == expected)
    }

    @Test("parseUnsigned rejects junk and overflow", arguments: [
        "abc", "", "0x", "-1", "1.5", "12 apples", "KiB",
        "18446744073709551616",     // one more than UInt64.max
        "0x1FFFFFFFFFFFFFFFF",      // 65 bits of hex
        "17179869184GiB",           // 2^34 GiB = 2^64: the multiplication overflows
    ])
    func rejectsUnsigned(_ text: String) {
        #expect(DataFileNode.parseUnsigned(text) == nil)
    }

    // MARK: Library

    @Test func unknownBoardNameListsTheKnownBoards() {
        let library = BoardLibrary(directory: boardsDirectory)
        let error = #expect(throws: SimulatorError.self) { try BoardLibrary.resolve("nonexistent", library: library) }
        guard case let .unknownBoard(name, known)? = error else {
            Issue.record("expected .unknownBoard, got \(String(describing: error))")
            return
        }
        #expect(name == "nonexistent")
        #expect(known == library.names())
        #expect(Set(["max32660", "samd21", "stm32f746-disco"]).isSubset(of: known))
        for board in known { #expect(error?.description.contains(board) == true) }
    }

    @Test func resolveFindsNamesAndPaths() throws {
        let library = BoardLibrary(directory: boardsDirectory)
        #expect(try BoardLibrary.resolve("samd21", library: library).name == "samd21")
        // Anything with a slash is a path, even when no library is available.
        #expect(try BoardLibrary.resolve(boardsDirectory + "/max32660.yaml", library: nil).name == "max32660")
        let error = #expect(throws: SimulatorError.self) { try BoardLibrary.resolve("samd21", library: nil) }
        #expect(error == .unknownBoard(name: "samd21", known: []))
    }
}
