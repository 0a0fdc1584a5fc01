import Foundation
import MCUSim
import MCUTestSupport
import Testing

/// The call profiler on the two control-flow shapes that used to corrupt it: a tail call by B
/// into another function (the callee must count a call and return to the caller's caller) and
/// a BL that jumps inside its own function (Thumb-1 GCC's far branch: not a call). Counts by
/// hand from profile_flow.c: leaf 5 calls + 1 tail call, tailer 1, far 1.
@Suite struct ProfilerFlowTests {
    @Test("tail calls and in-function BL jumps are tracked as the source says",
          arguments: ["max32660", "samd21"])
    func flow(board boardName: String) throws {
        let board = try FixtureBuilder.board(boardName)
        let elf = try FixtureBuilder.build(name: "profile_flow", sources: [FixtureBuilder.fixture("MCUSimTests", "profile_flow.c")],
                                           board: board, flags: ["-O2"])
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(result.stop.reason == .exit && result.stop.exitCode == 0, "\(result.stop.message)")
        func profile(_ name: String) throws -> FunctionProfile { try #require(result.functions.first { $0.name == name }) }
        #expect(try profile("leaf").calls == 6)
        #expect(try profile("tailer").calls == 1)
        #expect(try profile("far").calls == 1)
        // Frames close: main's inclusive cycles cover its callees, and far's its own instructions only.
        let main = try profile("main"), far = try profile("far")
        #expect(main.cycles >= (try profile("leaf").cycles) + far.cycles)
        #expect(far.cycles == far.selfCycles)
    }
}
