import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Every stop reason, each from real firmware, with PC, symbol and message checked.
@Suite struct StopReasonTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let scenario: Int
        let reason: StopInfo.Reason
        let messageFragment: String
        var testDescription: String { "\(reason.rawValue): \(messageFragment)" }
    }

    static let cases: [Case] = [
        Case(scenario: 1, reason: .fault, messageFragment: "read of 4 bytes from unmapped address 0x60000000"),
        Case(scenario: 2, reason: .fault, messageFragment: "store of 4 bytes to flash memory at 0x00000100"),
        Case(scenario: 3, reason: .fault, messageFragment: "undefined instruction"),
        Case(scenario: 4, reason: .breakpoint, messageFragment: "BKPT #3"),
        Case(scenario: 5, reason: .idle, messageFragment: "idle loop"),
    ]

    @Test("stop reasons carry the PC inside do_scenario and a message", arguments: cases)
    func stops(_ c: Case) throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "stops\(c.scenario)", sources: [FixtureBuilder.fixture("MCUSimTests", "stops.c")],
                                           board: board, flags: ["-DSCENARIO=\(c.scenario)"])
        let image = try ELFLoader.load(path: elf)
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(result.stop.reason == c.reason)
        #expect(result.stop.message.contains(c.messageFragment), "\(result.stop.message)")
        #expect(result.stdoutText == "before\n")
        let function = try #require(image.symbols.named("do_scenario"))
        #expect(result.stop.pc >= function.address && result.stop.pc < function.address + function.size)
        #expect(result.stop.symbol?.hasPrefix("do_scenario") == true)
        #expect(result.stop.message.contains("do_scenario"))
    }

    @Test("--max-instructions stops a runaway loop after exactly that many instructions")
    func instructionLimit() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "stops6", sources: [FixtureBuilder.fixture("MCUSimTests", "stops.c")],
                                           board: board, flags: ["-DSCENARIO=6"])
        let result = try FixtureBuilder.run(elf, board: board, options: RunOptions(maxInstructions: 200_000))
        #expect(result.stop.reason == .limit)
        #expect(result.stop.limit == "instructions")
        #expect(result.instructions == 200_000)
        #expect(result.stop.symbol?.hasPrefix("do_scenario") == true)
    }

    @Test("--max-seconds stops a runaway loop on wall-clock time")
    func timeLimit() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "stops6", sources: [FixtureBuilder.fixture("MCUSimTests", "stops.c")],
                                           board: board, flags: ["-DSCENARIO=6"])
        let result = try FixtureBuilder.run(elf, board: board, options: RunOptions(maxInstructions: 0, maxSeconds: 0.3))
        #expect(result.stop.reason == .limit)
        #expect(result.stop.limit == "seconds")
        #expect(result.wallSeconds >= 0.29 && result.wallSeconds < 5)
    }
}
