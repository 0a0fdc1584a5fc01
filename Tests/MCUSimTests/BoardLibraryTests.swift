import Foundation
import Testing
@testable import MCUSim
import MCUTestSupport

// The board library against shared/reference/boards.md (figures repeated with their sources
// in docs/boards.md), the `peripherals:` key of board files, and the DeclaredPeripheral model.

private let repoRoot = FixtureBuilder.repositoryRoot
private let boardsDirectory = repoRoot + "/boards"

private let KiB: UInt32 = 1 << 10
private let MiB: UInt32 = 1 << 20

// MARK: - Shipped boards

/// The key facts of one shipped board, written down from the reference notes and the
/// board file's cited sources, not read back from the file.
struct BoardFacts: CustomTestStringConvertible, Sendable {
    struct Region: Equatable, Sendable {
        var base: UInt32
        var size: UInt32
        var waitStates: Int
    }

    var name: String
    var core: CoreKind
    var clockHz: UInt64
    var bootAddress: UInt32
    var flash: Region
    var sram: Region
    var rom: Region? = nil
    var dram: Region? = nil
    var cache: InstructionCacheSpec?
    var console: ConsoleSpec?
    var power: PowerSpec
    /// Names of the declared peripherals, in file order.
    var peripherals: [String] = []
    var multiplier: MultiplierKind = .singleCycle

    var testDescription: String { name }

    static let all: [BoardFacts] = [
        BoardFacts(name: "max32660", core: .cortexM4F, clockHz: 96_000_000, bootAddress: 0,
                   flash: Region(base: 0, size: 256 * KiB, waitStates: 4),
                   sram: Region(base: 0x2000_0000, size: 96 * KiB, waitStates: 0),
                   cache: InstructionCacheSpec(sizeBytes: 16 * 1024, lineBytes: 16, ways: 2),
                   console: ConsoleSpec(kind: .max32Uart, base: 0x4004_2000),
                   power: PowerSpec(activeMicroampsPerMHz: 85, supplyVolts: 1.1, sleepMicroamps: 2),
                   peripherals: ["gcr", "icc"]),
        BoardFacts(name: "max32650", core: .cortexM4F, clockHz: 120_000_000, bootAddress: 0x1000_0000,
                   flash: Region(base: 0x1000_0000, size: 3 * MiB, waitStates: 5),
                   sram: Region(base: 0x2000_0000, size: 1 * MiB, waitStates: 0),
                   rom: Region(base: 0, size: 64 * KiB, waitStates: 0),
                   dram: Region(base: 0x6000_0000, size: 8 * MiB, waitStates: 20),
                   cache: InstructionCacheSpec(sizeBytes: 16 * 1024, lineBytes: 16, ways: 2),
                   console: ConsoleSpec(kind: .max32Uart, base: 0x4004_2000),
                   power: PowerSpec(activeMicroampsPerMHz: 94.5, supplyVolts: 1.1, sleepMicroamps: 50),
                   peripherals: ["gcr", "icc0"]),
        BoardFacts(name: "max78000", core: .cortexM4F, clockHz: 100_000_000, bootAddress: 0x1000_0000,
                   flash: Region(base: 0x1000_0000, size: 512 * KiB, waitStates: 4),
                   sram: Region(base: 0x2000_0000, size: 128 * KiB, waitStates: 0),
                   rom: Region(base: 0, size: 64 * KiB, waitStates: 0),
                   cache: InstructionCacheSpec(sizeBytes: 16 * 1024, lineBytes: 16, ways: 2),
                   console: ConsoleSpec(kind: .max78Uart, base: 0x4004_2000),
                   power: PowerSpec(activeMicroampsPerMHz: 22.2, supplyVolts: 3.0, sleepMicroamps: 30),
                   peripherals: ["icc0"]),
        BoardFacts(name: "nrf52840", core: .cortexM4F, clockHz: 64_000_000, bootAddress: 0,
                   flash: Region(base: 0, size: 1 * MiB, waitStates: 2),
                   sram: Region(base: 0x2000_0000, size: 256 * KiB, waitStates: 0),
                   cache: InstructionCacheSpec(sizeBytes: 2 * 1024, lineBytes: 16, ways: 2),
                   console: ConsoleSpec(kind: .nrfUart, base: 0x4000_2000),
                   power: PowerSpec(activeMicroampsPerMHz: 52, supplyVolts: 3.0, sleepMicroamps: 1.5),
                   peripherals: ["clock", "nvmc"]),
        BoardFacts(name: "rp2040", core: .cortexM0Plus, clockHz: 133_000_000, bootAddress: 0x1000_0000,
                   flash: Region(base: 0x1000_0000, size: 2 * MiB, waitStates: 50),
                   sram: Region(base: 0x2000_0000, size: 264 * KiB, waitStates: 0),
                   rom: Region(base: 0, size: 16 * KiB, waitStates: 0),
                   cache: InstructionCacheSpec(sizeBytes: 16 * 1024, lineBytes: 8, ways: 2),
                   console: ConsoleSpec(kind: .pl011, base: 0x4003_4000),
                   power: PowerSpec(activeMicroampsPerMHz: 180, supplyVolts: 1.1, sleepMicroamps: 900),
                   peripherals: ["clocks", "resets", "xosc", "pll_sys", "pll_usb"]),
        BoardFacts(name: "samd21", core: .cortexM0Plus, clockHz: 48_000_000, bootAddress: 0,
                   flash: Region(base: 0, size: 256 * KiB, waitStates: 1),
                   sram: Region(base: 0x2000_0000, size: 32 * KiB, waitStates: 0),
                   cache: nil, console: ConsoleSpec(kind: .samdSercom, base: 0x4200_1C00),
                   power: PowerSpec(activeMicroampsPerMHz: 70, supplyVolts: 3.3, sleepMicroamps: 4)),
        BoardFacts(name: "stm32f746-disco", core: .cortexM7, clockHz: 216_000_000, bootAddress: 0x0800_0000,
                   flash: Region(base: 0x0800_0000, size: 1 * MiB, waitStates: 7),
                   sram: Region(base: 0x2000_0000, size: 320 * KiB, waitStates: 0),
                   dram: Region(base: 0xC000_0000, size: 8 * MiB, waitStates: 10),
                   cache: nil, console: ConsoleSpec(kind: .stm32Usart, base: 0x4001_1000),
                   power: PowerSpec(activeMicroampsPerMHz: 450, supplyVolts: 3.3, sleepMicroamps: 500)),
    ]
}

@Suite("BoardLibrary")
struct BoardLibraryTests {
    private static func region(_ board: Board, _ kind: MemoryKind) -> BoardFacts.Region? {
        board.regions.first { $0.kind == kind }.map { BoardFacts.Region(base: $0.base, size: $0.size, waitStates: $0.waitStates) }
    }

    @Test("each shipped board loads with its reference figures", arguments: BoardFacts.all)
    func shippedBoard(_ facts: BoardFacts) throws {
        let path = boardsDirectory + "/\(facts.name).yaml"
        let board = try BoardLoader.load(path: path)
        #expect(board.name == facts.name)
        #expect(board.sourcePath == path)
        #expect(board.core == facts.core)
        #expect(board.clockHz == facts.clockHz)
        #expect(board.bootAddress == facts.bootAddress)
        #expect(Self.region(board, .flash) == facts.flash)
        #expect(board.primarySRAM.map { BoardFacts.Region(base: $0.base, size: $0.size, waitStates: $0.waitStates) } == facts.sram)
        #expect(Self.region(board, .rom) == facts.rom)
        #expect(Self.region(board, .dram) == facts.dram)
        #expect(board.instructionCache == facts.cache)
        #expect(board.console == facts.console)
        #expect(board.power == facts.power)
        #expect(board.peripherals.map(\.name) == facts.peripherals)
        #expect(board.multiplier == facts.multiplier)
        // The boot address must hold a vector table: inside a flash or ROM region here.
        #expect(board.region(containing: board.bootAddress).map { $0.kind == .flash || $0.kind == .rom } == true)
    }

    /// A board file added without facts here would go untested.
    @Test func everyBoardFileHasFacts() {
        let names = BoardLibrary(directory: boardsDirectory).names()
        #expect(names == BoardFacts.all.map(\.name).sorted())
    }

    @Test func max32660DeclaresTheClockReadyBits() throws {
        let board = try BoardLoader.load(path: boardsDirectory + "/max32660.yaml")
        let gcr = try #require(board.peripherals.first { $0.name == "gcr" })
        #expect((gcr.base, gcr.size) == (0x4000_0000, 0x400))
        let clkCtrl = try #require(gcr.registers.first { $0.offset == 0x08 })
        // CLKRDY (13) and HIRC_RDY (26), which MXC_SYS_Clock_Select() polls (msdk gcr_regs.h).
        #expect(clkCtrl.setBits & (1 << 13) != 0)
        #expect(clkCtrl.setBits & (1 << 26) != 0)
        let icc = try #require(board.peripherals.first { $0.name == "icc" })
        #expect(icc.registers.first { $0.offset == 0x100 }?.setBits == 1 << 16)
    }

    // MARK: - `peripherals:` parsing

    @Test func declaredPeripheralsParseWithDefaults() throws {
        let board = try BoardLoader.parse(text: peripheralBoard, path: "p.yaml")
        #expect(board.peripherals == [
            DeclaredPeripheralSpec(name: "gcr", base: 0x4000_0000, size: 0x400, registers: [
                .init(name: "clk_ctrl", offset: 0x08, reset: 0x0004_0000, fixedRead: nil, setBits: 0x2000, writeMask: 0xFFFF),
                .init(name: nil, offset: 0x0C, reset: 0, fixedRead: 0xCAFE, setBits: 0, writeMask: 0xFFFF_FFFF),
            ]),
            DeclaredPeripheralSpec(name: "icc", base: 0x4002_A000, size: 0x1000, registers: []),
        ])
    }

    @Test func boardsWithoutPeripheralsHaveNone() throws {
        let text = peripheralBoard.components(separatedBy: "peripherals:\n")[0]
        #expect(try BoardLoader.parse(text: text, path: "p.yaml").peripherals.isEmpty)
        #expect(try BoardLoader.parse(text: text + "peripherals:\n", path: "p.yaml").peripherals.isEmpty)
    }

    @Test("each peripheral mistake names the file, the key and the problem", arguments: BadPeripheral.all)
    func rejects(_ bad: BadPeripheral) {
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
        #expect(!error.description.contains("\n"), "one line per error")
    }

    // MARK: - DeclaredPeripheral

    private static let spec = DeclaredPeripheralSpec(name: "dev", base: 0x4000_0000, size: 0x100, registers: [
        .init(name: "ctrl", offset: 0x00, reset: 0x1234_5678),
        .init(name: "id", offset: 0x04, reset: 0x1111_1111, fixedRead: 0xCAFE_F00D),
        .init(name: "status", offset: 0x08, reset: 0x0000_0001, setBits: 0x8000_0000),
        .init(name: "cfg", offset: 0x0C, reset: 0xAAAA_0000, writeMask: 0x0000_FFFF),
        .init(name: "fixed_ready", offset: 0x10, fixedRead: 0x5, setBits: 0x100),
    ])

    @Test func resetValuesAreReadBack() {
        let p = DeclaredPeripheral(spec: Self.spec)
        #expect((p.name, p.base, p.size) == ("dev", 0x4000_0000, 0x100))
        #expect(p.read(address: 0x4000_0000, size: 4) == 0x1234_5678)
        #expect(p.read(address: 0x4000_000C, size: 4) == 0xAAAA_0000)
    }

    @Test func writesAreKeptAndNarrowAccessesMerge() {
        let p = DeclaredPeripheral(spec: Self.spec)
        p.write(address: 0x4000_0000, size: 4, value: 0xDEAD_BEEF)
        #expect(p.read(address: 0x4000_0000, size: 4) == 0xDEAD_BEEF)
        p.write(address: 0x4000_0001, size: 1, value: 0x42)
        #expect(p.read(address: 0x4000_0000, size: 4) == 0xDEAD_42EF)
        p.write(address: 0x4000_0002, size: 2, value: 0x0102)
        #expect(p.read(address: 0x4000_0000, size: 4) == 0x0102_42EF)
        #expect(p.read(address: 0x4000_0003, size: 1) == 0x01)
        #expect(p.read(address: 0x4000_0000, size: 2) == 0x42EF)
    }

    @Test func fixedReadIgnoresWrites() {
        let p = DeclaredPeripheral(spec: Self.spec)
        #expect(p.read(address: 0x4000_0004, size: 4) == 0xCAFE_F00D)
        p.write(address: 0x4000_0004, size: 4, value: 0)
        #expect(p.read(address: 0x4000_0004, size: 4) == 0xCAFE_F00D)
        #expect(p.read(address: 0x4000_0006, size: 2) == 0xCAFE)
        // A fixed read still has set_bits ORed in.
        #expect(p.read(address: 0x4000_0010, size: 4) == 0x105)
    }

    @Test func setBitsReadAsOneWhateverIsWritten() {
        let p = DeclaredPeripheral(spec: Self.spec)
        #expect(p.read(address: 0x4000_0008, size: 4) == 0x8000_0001)
        p.write(address: 0x4000_0008, size: 4, value: 0)
        #expect(p.read(address: 0x4000_0008, size: 4) == 0x8000_0000)
        p.write(address: 0x4000_0008, size: 4, value: 0x0000_0F00)
        #expect(p.read(address: 0x4000_0008, size: 4) == 0x8000_0F00)
        #expect(p.read(address: 0x4000_000B, size: 1) == 0x80)
    }

    @Test func writeMaskKeepsTheOtherBits() {
        let p = DeclaredPeripheral(spec: Self.spec)
        p.write(address: 0x4000_000C, size: 4, value: 0x5555_1234)
        #expect(p.read(address: 0x4000_000C, size: 4) == 0xAAAA_1234)
        // A byte write into the read-only half changes nothing.
        p.write(address: 0x4000_000F, size: 1, value: 0x00)
        #expect(p.read(address: 0x4000_000C, size: 4) == 0xAAAA_1234)
    }

    @Test func unlistedOffsetsReadZeroAndIgnoreWrites() {
        let p = DeclaredPeripheral(spec: Self.spec)
        #expect(p.read(address: 0x4000_0014, size: 4) == 0)
        p.write(address: 0x4000_0014, size: 4, value: 0xFFFF_FFFF)
        #expect(p.read(address: 0x4000_0014, size: 4) == 0)
        #expect(p.read(address: 0x4000_00FC, size: 4) == 0)
        // Listed registers are untouched by writes elsewhere.
        #expect(p.read(address: 0x4000_0000, size: 4) == 0x1234_5678)
    }

    /// The shipped max32660 GCR and ICC answer the way msdk SystemInit() code polls them.
    @Test func max32660ClockAndCacheReadyPollsSucceed() throws {
        let board = try BoardLoader.load(path: boardsDirectory + "/max32660.yaml")
        let devices = board.peripherals.map(DeclaredPeripheral.init(spec:))
        let gcr = try #require(devices.first { $0.name == "gcr" })
        gcr.write(address: 0x4000_0008, size: 4, value: 1 << 18)             // HIRC_EN
        #expect(gcr.read(address: 0x4000_0008, size: 4) & (1 << 26) != 0)    // HIRC_RDY
        #expect(gcr.read(address: 0x4000_0008, size: 4) & (1 << 13) != 0)    // CLKRDY
        #expect(gcr.read(address: 0x4000_0008, size: 4) & (1 << 18) != 0)    // the write stuck
        let icc = try #require(devices.first { $0.name == "icc" })
        icc.write(address: 0x4002_A100, size: 4, value: 1)                   // ENABLE
        #expect(icc.read(address: 0x4002_A100, size: 4) == 0x0001_0001)      // READY | ENABLE
    }
}

// MARK: - Bad `peripherals:` entries

/// A board with two declared peripherals and a console. Each bad case edits one line.
private let peripheralBoard = """
    name: test-board
    core: cortex-m4
    clock_hz: 48_000_000
    boot_address: 0x00000000
    memory:
      - name: flash
        kind: flash
        base: 0x00000000
        size: 256KiB
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
    peripherals:
      - name: gcr
        base: 0x4000_0000
        size: 0x400
        registers:
          - name: clk_ctrl
            offset: 0x08
            reset: 0x00040000
            set_bits: 0x00002000
            write_mask: 0x0000FFFF
          - offset: 0x0C
            read: 0xCAFE
      - name: icc
        base: 0x4002A000

    """

/// `peripheralBoard` with one exact line replaced (an empty replacement deletes the line).
private func editedPeripheral(_ line: String, _ replacement: String) -> String {
    peripheralBoard.replacingLine(line, with: replacement)
}

struct BadPeripheral: CustomTestStringConvertible, Sendable {
    var name: String
    var yaml: String
    var key: String
    var problem: String
    var testDescription: String { name }

    static let all: [BadPeripheral] = [
        BadPeripheral(name: "not a list", yaml: peripheralBoard.components(separatedBy: "peripherals:\n")[0] + "peripherals: 3\n",
                      key: "peripherals", problem: "expected a list"),
        BadPeripheral(name: "item not a mapping", yaml: editedPeripheral("    base: 0x4002A000", "    base: 0x4002A000\n  - just text"),
                      key: "peripherals[2]", problem: "expected a mapping"),
        BadPeripheral(name: "missing name", yaml: editedPeripheral("  - name: icc", "  - size: 0x1000"),
                      key: "peripherals[1].name", problem: "missing"),
        BadPeripheral(name: "duplicate name", yaml: editedPeripheral("  - name: icc", "  - name: gcr"),
                      key: "peripherals[1].name", problem: "duplicate peripheral name 'gcr'"),
        BadPeripheral(name: "missing base", yaml: editedPeripheral("    base: 0x4002A000", ""),
                      key: "peripherals[1].base", problem: "missing"),
        BadPeripheral(name: "base not aligned", yaml: editedPeripheral("    base: 0x4002A000", "    base: 0x4002A002"),
                      key: "peripherals[1].base", problem: "not 4-byte aligned"),
        BadPeripheral(name: "size zero", yaml: editedPeripheral("    size: 0x400", "    size: 0"),
                      key: "peripherals[0].size", problem: "non-zero multiple of 4"),
        BadPeripheral(name: "size not a multiple of 4", yaml: editedPeripheral("    size: 0x400", "    size: 0x3FE"),
                      key: "peripherals[0].size", problem: "non-zero multiple of 4"),
        BadPeripheral(name: "base outside every mmio region", yaml: editedPeripheral("    base: 0x4002A000", "    base: 0x50000000"),
                      key: "peripherals[1].base", problem: "not inside an mmio region"),
        BadPeripheral(name: "base in memory, not mmio", yaml: editedPeripheral("    base: 0x4002A000", "    base: 0x20000000"),
                      key: "peripherals[1].base", problem: "not inside an mmio region"),
        BadPeripheral(name: "runs past the mmio region", yaml: editedPeripheral("    base: 0x4002A000", "    base: 0x400FF800"),
                      key: "peripherals[1].size", problem: "run past the end of mmio region 'apb'"),
        BadPeripheral(name: "overlaps another peripheral", yaml: editedPeripheral("    base: 0x4002A000", "    base: 0x40000200"),
                      key: "peripherals[1].base", problem: "overlaps peripheral 'gcr'"),
        BadPeripheral(name: "overlaps the console UART", yaml: editedPeripheral("    base: 0x4002A000", "    base: 0x40041800"),
                      key: "peripherals[1].base", problem: "overlaps the console UART at 0x40042000"),
        BadPeripheral(name: "starts inside the console UART", yaml: editedPeripheral("    base: 0x4002A000", "    base: 0x40042FFC"),
                      key: "peripherals[1].base", problem: "overlaps the console UART"),
        BadPeripheral(name: "unknown peripheral key", yaml: editedPeripheral("    size: 0x400", "    size: 0x400\n    colour: red"),
                      key: "peripherals[0].colour", problem: "unknown key"),
        BadPeripheral(name: "registers not a list", yaml: editedPeripheral("    base: 0x4002A000", "    base: 0x4002A000\n    registers: 5"),
                      key: "peripherals[1].registers", problem: "expected a list"),
        BadPeripheral(name: "register not a mapping", yaml: editedPeripheral("        read: 0xCAFE", "        read: 0xCAFE\n      - 12"),
                      key: "peripherals[0].registers[2]", problem: "expected a mapping"),
        BadPeripheral(name: "missing offset", yaml: editedPeripheral("        offset: 0x08", ""),
                      key: "peripherals[0].registers[0].offset", problem: "missing"),
        BadPeripheral(name: "offset outside the peripheral", yaml: editedPeripheral("        offset: 0x08", "        offset: 0x400"),
                      key: "peripherals[0].registers[0].offset", problem: "outside the peripheral (size 0x400)"),
        BadPeripheral(name: "offset not aligned", yaml: editedPeripheral("        offset: 0x08", "        offset: 0x06"),
                      key: "peripherals[0].registers[0].offset", problem: "not 4-byte aligned"),
        BadPeripheral(name: "duplicate offset", yaml: editedPeripheral("      - offset: 0x0C", "      - offset: 0x08"),
                      key: "peripherals[0].registers[1].offset", problem: "duplicate register offset 0x8"),
        BadPeripheral(name: "value wider than 32 bits", yaml: editedPeripheral("        set_bits: 0x00002000", "        set_bits: 0x100000000"),
                      key: "peripherals[0].registers[0].set_bits", problem: "does not fit in 32 bits"),
        BadPeripheral(name: "read not a number", yaml: editedPeripheral("        read: 0xCAFE", "        read: ready"),
                      key: "peripherals[0].registers[1].read", problem: "expected a whole number"),
        BadPeripheral(name: "unknown register key", yaml: editedPeripheral("        write_mask: 0x0000FFFF", "        mask: 0x0000FFFF"),
                      key: "peripherals[0].registers[0].mask", problem: "unknown key"),
    ]
}

/// Vendor start-up code that polls ready bits runs against the board's declared peripherals.
@Suite struct DeclaredPeripheralRunTests {
    @Test("the max32660 start-up polls finish on the first read")
    func readyBitsEndToEnd() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "declared_peripheral",
                                           sources: [FixtureBuilder.fixture("MCUSimTests", "declared_peripheral.c")], board: board)
        var options = RunOptions()
        options.strictMMIO = true
        let result = try FixtureBuilder.run(elf, board: board, options: options)
        #expect(result.stdoutText == "HIRC ready after 1 poll(s)\nsystem clock ready after 1 poll(s)\ncache invalidate ready after 1 poll(s)\ncache enable ready after 1 poll(s)\nperipheral reset ready after 1 poll(s)\n")
        #expect(result.stop.exitCode == 0, "\(result.stop.message)")
    }
}
