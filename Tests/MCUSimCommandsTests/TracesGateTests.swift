import Foundation
import MCUSimCommands
import MCUTestSupport
import Testing

/// Dogfooding: the bundled example, built as the README builds it, must match its committed
/// reference report (traces/) exactly, through `mcusim gate`.
@Suite struct TracesGateTests {
    /// The README's build, run once: the test's cases run in parallel, and two `make`s writing
    /// the same ELF race (CI saw one fail with make's Error 1).
    static let firmwareBuilt = Result<Void, Error> {
        _ = try runTool(["make", "-s", "-C", "\(FixtureBuilder.repositoryRoot)/firmware", "BOARD=max32660"])
    }

    /// Both ways: block charging (the default) and per instruction must give the committed
    /// figures exactly.
    @Test("hello on max32660 matches traces/hello-max32660.json", arguments: [[], ["--no-block-charging"]])
    func helloMatchesTrace(extra: [String]) throws {
        let root = FixtureBuilder.repositoryRoot
        try Self.firmwareBuilt.get()
        let summary = FileManager.default.temporaryDirectory.appendingPathComponent("traces-\(UUID().uuidString).md").path
        defer { try? FileManager.default.removeItem(atPath: summary) }
        let status = CLI.status(["gate", "\(root)/firmware/build/max32660/hello.elf", "--board", "max32660",
                                            "--baseline", "\(root)/traces/hello-max32660.json", "--summary", summary] + extra)
        #expect(status == 0, "\((try? String(contentsOfFile: summary, encoding: .utf8)) ?? "")")
    }
}
