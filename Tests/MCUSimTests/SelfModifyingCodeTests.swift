import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Rewritten code is decoded again: results and cycles follow the new instruction.
@Suite struct SelfModifyingCodeTests {
    @Test("code rewritten in SRAM is re-decoded and re-timed")
    func rewrittenCode() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "smc", sources: [FixtureBuilder.fixture("MCUSimTests", "smc.c")], board: board)
        let result = try FixtureBuilder.run(elf, board: board)
        let fields = result.stdoutText.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        func value(_ key: String) -> Int? { fields.firstIndex(of: key).flatMap { Int(fields[$0 + 1]) } }
        #expect(value("a") == 6)
        #expect(value("b") == 7)
        // The call sequences differ only in movs (1 cycle) against sdiv 42/6. The documented
        // early-termination model (docs/cycle-model.md) counts q = clz(6) - clz(42) + 1 =
        // 29 - 26 + 1 = 4 quotient bits, so sdiv costs 2 + ceil(4/3) = 4 cycles: B takes 3 more.
        // A stale decode would charge the old movs and give 0.
        let ta = try #require(value("ta")), tb = try #require(value("tb"))
        #expect(tb - ta == 3, "\(result.stdoutText)")
    }
}
