import Foundation
import MCUSim
import MCUTestSupport
import Testing

/// The benchmark's ceiling rows (`RunOptions.emptyHooks`) must run the firmware with hooks
/// that do nothing but count: the same output, the instruction count of the other counting
/// hook (`--timing off`, which also sees only the instructions Unicorn hooks), and no cycles
/// or memory traffic, since no accounting runs.
@Suite struct EmptyHooksTests {
    @Test("empty hooks count what the timing-off hook counts and account nothing")
    func emptyHooksCountOnly() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "empty-hooks", sources: [FixtureBuilder.fixture("MCUSimTests", "acct_traffic.c")],
                                           board: board, flags: ["-DK=100", "-DN=50"])
        var counting = RunOptions(maxInstructions: 5_000_000)
        counting.cycleModel = false
        let reference = try FixtureBuilder.run(elf, board: board, options: counting)
        var empty = RunOptions(maxInstructions: 5_000_000)
        empty.emptyHooks = true
        let r = try FixtureBuilder.run(elf, board: board, options: empty)
        #expect(r.stop.reason == .exit && reference.stop.reason == .exit)
        #expect(r.stdout == reference.stdout)
        #expect(reference.instructions > 500)  // the fixture's loops alone run 5K + 4N instructions
        #expect(r.instructions == reference.instructions)
        #expect(r.timing.cycles == 0)
        #expect(r.memory.regions.allSatisfy { $0.traffic.reads == 0 && $0.traffic.writes == 0 })
        #expect(reference.memory.regions.contains { $0.traffic.reads > 0 })

        // Per block the same hook counts translation blocks entered: fewer than instructions
        // (the loops' blocks are five instructions long), more than none.
        empty.blockCharging = true
        let blocks = try FixtureBuilder.run(elf, board: board, options: empty)
        #expect(blocks.stdout == reference.stdout)
        #expect(blocks.instructions > 0 && blocks.instructions * 2 < reference.instructions)
    }
}
