import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Block-level charging (`--block-charging`) must give the same report as the per-instruction
/// hook: it precomputes each translation block's costs, fetch words and counters, and is only
/// a faster way to the same figures. The reference here is the per-instruction run itself,
/// whose figures the cycle-model, accounting and system-layer suites check by hand count.
@Suite struct BlockChargingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let board: String
        var flags: [String] = []
        var strictMMIO = false
        var testDescription: String { "\(name)\(flags.isEmpty ? "" : " " + flags.joined(separator: " "))\(strictMMIO ? " strict" : "") on \(board)" }
    }

    static let cases: [Case] = [
        Case(name: "acct_traffic", file: "acct_traffic.c", board: "max32660"),
        Case(name: "acct_traffic", file: "acct_traffic.c", board: "stm32f746-disco"),  // M7: every block stepped
        Case(name: "console", file: "console.c", board: "max32660", flags: ["-DUSE_FLOAT"]),
        Case(name: "console", file: "console.c", board: "nrf52840"),
        Case(name: "profile_flow", file: "profile_flow.c", board: "max32660"),
        Case(name: "semihosting", file: "semihosting.c", board: "max32660"),  // regions of interest, CYCCNT
        Case(name: "smc", file: "smc.c", board: "max32660"),                  // code overwritten: entries retired
        Case(name: "sys_systick", file: "sys_systick.c", board: "max32660"),  // events: switches to stepping
        Case(name: "sys_svc", file: "sys_svc.c", board: "max32660"),
        Case(name: "sys_rtos", file: "sys_rtos.c", board: "max32660"),
        Case(name: "sys_fault", file: "sys_fault.c", board: "max32660", flags: ["-DSCENARIO=1"]),  // a fault cuts a block
        Case(name: "stops", file: "stops.c", board: "max32660", flags: ["-DSCENARIO=6"]),  // instruction limit
        Case(name: "it_blocks", file: "it_blocks.c", board: "max32660"),      // IT blocks summarised and stepped
        // Stores that make an event due end the block after them (endBlockAfterEventWrite).
        // Until 2026-11-21 the PendSV case differed: block charging took the exception at the
        // end of the block, after instructions the per-instruction hook runs after the handler.
        Case(name: "sys_pendsv", file: "sys_pendsv.c", board: "max32660"),
        Case(name: "sys_nvic", file: "sys_nvic.c", board: "max32660"),
        Case(name: "sys_wfi", file: "sys_wfi.c", board: "max32660", flags: ["-DSCENARIO=1"]),
        Case(name: "sys_wfi", file: "sys_wfi.c", board: "max32660", flags: ["-DSCENARIO=2"]),  // deadlock
        Case(name: "sys_latency", file: "sys_latency.c", board: "max32660"),
        Case(name: "sys_fpframe", file: "sys_fpframe.c", board: "max32660"),
        // Stops an MMIO access causes name its instruction and cut the block there (accessPC).
        Case(name: "sys_mmio", file: "sys_mmio.c", board: "max32660", flags: ["-DSCENARIO=1"], strictMMIO: true),
        Case(name: "sys_mmio", file: "sys_mmio.c", board: "max32660", flags: ["-DSCENARIO=2"]),  // SYSRESETREQ
    ]

    /// The JSON report without its host section and without `decoded_addresses`: block
    /// summaries decode a whole block ahead, so that diagnostic count may be larger.
    static func report(_ elf: String, board: Board, blocks: Bool, strictMMIO: Bool = false) throws -> String {
        var options = RunOptions(maxInstructions: 2_000_000)
        options.blockCharging = blocks
        options.strictMMIO = strictMMIO
        options.costTable = try CostTable.defaultTable(library: BoardLibrary.locate())
        let result = try FixtureBuilder.run(elf, board: board, options: options)
        return RunReport.json(result, includeHost: false).serialized()
            .split(separator: "\n").filter { !$0.contains("\"decoded_addresses\"") }.joined(separator: "\n")
    }

    @Test("block charging gives the per-instruction report, field for field", arguments: cases)
    func sameReport(c: Case) throws {
        let board = try FixtureBuilder.board(c.board)
        let elf = try FixtureBuilder.build(name: "blocks-\(c.name)", sources: [FixtureBuilder.fixture("MCUSimTests", c.file)],
                                           board: board, flags: c.flags)
        try Self.expectSameReports(elf, board: board, containing: "\"cycles\"", strictMMIO: c.strictMMIO)
    }

    /// Runs `elf` both ways and expects the reports equal line for line (`containing` shows
    /// the report is the one meant), naming the first line that differs.
    static func expectSameReports(_ elf: String, board: Board, containing marker: String, strictMMIO: Bool = false) throws {
        let stepped = try report(elf, board: board, blocks: false, strictMMIO: strictMMIO)
        let blocks = try report(elf, board: board, blocks: true, strictMMIO: strictMMIO)
        #expect(stepped.contains(marker))
        let a = stepped.split(separator: "\n"), b = blocks.split(separator: "\n")
        let firstDifference = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(a.count == b.count && firstDifference == nil,
                "first difference at line \(firstDifference?.offset ?? -1): \(firstDifference.map { "\($0.element.0) vs \($0.element.1)" } ?? "")")
    }
}

extension BlockChargingTests {
    struct GeneratedCase: CustomTestStringConvertible, Sendable {
        let model: String
        let prune: String?
        let board: String
        var testDescription: String { "\(model) \(prune ?? "dense") on \(board)" }
    }

    /// `check`, `sweep`, accuracy runs and encoding measurement charge per block
    /// (`RunOptions.generatedFirmware`): the generated firmware pends no exception from a
    /// store, so its reports must be the per-instruction ones exactly, sparse kernels included.
    static let generatedCases: [GeneratedCase] = [
        GeneratedCase(model: "digits_mlp.json", prune: nil, board: "max32660"),
        GeneratedCase(model: "digits_cnn.json", prune: "magnitude", board: "max32660"),
        GeneratedCase(model: "digits_cnn.json", prune: "nm:2:4", board: "max32660"),
        GeneratedCase(model: "digits_cnn.json", prune: "magnitude", board: "samd21"),
    ]

    @Test("generated inference firmware: block charging gives the per-instruction report", arguments: generatedCases)
    func generatedFirmware(c: GeneratedCase) throws {
        #expect(RunOptions.generatedFirmware.blockCharging)
        let board = try FixtureBuilder.board(c.board)
        let path = FixtureBuilder.repositoryRoot + "/firmware/models/" + c.model
        let spec = try c.prune.map { try PruningSpec.parse($0, sparsity: $0.hasPrefix("nm") ? nil : 0.9) }
        let compressed = try ModelCompression.prepare(try ModelLoader.load(path: path), file: path,
                                                      options: CompressionOptions(prune: spec), dsp: board.core.hasDSP)
        let name = "blocks-gen-\(c.model.split(separator: ".")[0])-\(c.prune?.replacingOccurrences(of: ":", with: "") ?? "dense")-\(c.board)"
        let (elf, _) = try FirmwareBuilder(toolchain: try Toolchain.locate())
            .build(model: compressed.model, modelPath: path, board: board, directory: FixtureBuilder.buildRoot + "/" + name,
                   encodings: compressed.encodings)
        try Self.expectSameReports(elf, board: board, containing: "\"inference\"")
    }
}

extension BlockChargingTests {
    /// An IT block whose outcome cannot show (`cmp; it gt; movgt`: one cycle run or skipped, no
    /// data access) is summarised; one holding a store (also one cycle, but a data access only
    /// when it runs) is stepped. The printed sums are
    /// recomputed here from the fixture's values.
    @Test("an IT block that costs the same run or skipped is summarised, one with a store is stepped")
    func itBlocks() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "blocks-it_blocks", sources: [FixtureBuilder.fixture("MCUSimTests", "it_blocks.c")],
                                           board: board)
        var options = RunOptions()
        options.blockCharging = true
        let image = try ELFLoader.load(path: elf)
        let machine = try Machine(board: board, image: image, options: options)
        let result = machine.run()
        #expect(result.stop.exitCode == 0, "\(result.stop.message)")
        let values = (0..<64).map { Int32(($0 * 37) % 300) }
        let clamp = 200 * values.reduce(Int32(0)) { $0 + min($1, 127) }
        let sum = 200 * values.reduce(Int32(0), +)
        let last = try #require(values.last { $0 > 127 })
        #expect(result.stdoutText == "clamp \(clamp) cond \(sum) last \(last)\n")
        func range(_ name: String) throws -> ClosedRange<UInt32> {
            let f = try #require(image.symbols.functions.first { $0.name == name })
            return f.address...(f.address + f.size - 1)
        }
        let clampRange = try range("clamp_loop"), condRange = try range("cond_store")
        #expect(!machine.steppedBlockRanges.contains { $0.overlaps(clampRange) }, "\(machine.steppedBlockRanges)")
        #expect(machine.steppedBlockRanges.contains { $0.overlaps(condRange) }, "\(machine.steppedBlockRanges)")
    }
}
