import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import MCUSim
import MCUSimCommands
import MCUTestSupport
import Testing

/// `mcusim gate` and `run --budget`: pass, fail, regression, outputs, and every budget rejection.
@Suite struct GateCommandTests {
    static func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("gate-\(UUID().uuidString)-\(name)").path
    }

    /// A real report of the console fixture on max32660.
    static func report() throws -> (path: String, json: [String: Any]) {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "gate-console", sources: [FixtureBuilder.fixture("MCUSimTests", "console.c")], board: board)
        let path = temp("report.json")
        #expect(CLI.status(["run", elf, "--quiet", "--report", path]) == 0)
        let json = try Gate.loadReport(path: path)
        return (path, json)
    }

    static func write(_ text: String) throws -> String {
        let path = temp("budget.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a budget the run meets passes (exit 0); one it exceeds fails (exit 1) with the excess")
    func passAndFail() throws {
        let (path, json) = try Self.report()
        let cycles = try #require(json["cycles"] as? Int)
        let flash = try #require((json["firmware"] as? [String: Any])?["flash_bytes"] as? Int)
        let ok = try Self.write("cycles: \(cycles)\nflash_bytes: \(flash)\n")
        #expect(CLI.status(["gate", path, "--budget", ok]) == 0)
        let tight = try Self.write("cycles: \(cycles - 1)\n")
        let junit = Self.temp("junit.xml"), summary = Self.temp("summary.md")
        #expect(CLI.status(["gate", path, "--budget", tight, "--junit", junit, "--summary", summary]) == 1)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("tests=\"1\" failures=\"1\""))
        #expect(xml.contains("<failure message=\"FAIL cycles: limit \(GateFormatsTestHelper.grouped(cycles - 1)), actual \(GateFormatsTestHelper.grouped(cycles)), excess 1"))
        _ = try XMLDocumentParser.parse(xml)
        let md = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(md.contains("1 of 1 failed"))
        #expect(md.contains("| ❌ | `cycles` |"))
    }

    @Test("a regression against the baseline beyond the tolerance fails; within it passes")
    func baseline() throws {
        let (path, json) = try Self.report()
        // A baseline 10% faster than this run: the run regressed by about 11%.
        var faster = json
        let cycles = try #require(json["cycles"] as? Int)
        faster["cycles"] = cycles * 9 / 10
        let base = Self.temp("baseline.json")
        try JSONSerialization.data(withJSONObject: faster).write(to: URL(fileURLWithPath: base))
        #expect(CLI.status(["gate", path, "--baseline", base]) == 1)
        #expect(CLI.status(["gate", path, "--baseline", base, "--tolerance", "12"]) == 0)
        // Comparing a report with itself never fails.
        #expect(CLI.status(["gate", path, "--baseline", path]) == 0)
    }

    @Test("limits on regions, functions and missing figures")
    func nestedLimits() throws {
        let (path, json) = try Self.report()
        let functions = try #require(json["functions"] as? [[String: Any]])
        let main = try #require(functions.first { $0["name"] as? String == "main" })
        let selfCycles = try #require(main["self_cycles"] as? Int)
        let ok = try Self.write("functions:\n  main:\n    self_cycles: \(selfCycles)\n")
        #expect(CLI.status(["gate", path, "--budget", ok]) == 0)
        // The console fixture marks no region of interest: a limit on one must fail, not pass silently.
        let missing = try Self.write("regions_of_interest:\n  inference:\n    cycles: 1000000000\n")
        #expect(CLI.status(["gate", path, "--budget", missing]) == 1)
    }

    @Test("run --budget exits 66 when the run is over budget, 0 when within")
    func runBudget() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "gate-console", sources: [FixtureBuilder.fixture("MCUSimTests", "console.c")], board: board)
        let (_, json) = try Self.report()
        let cycles = try #require(json["cycles"] as? Int)
        #expect(CLI.status(["run", elf, "--quiet", "--budget", try Self.write("cycles: \(cycles)\n")]) == 0)
        #expect(CLI.status(["run", elf, "--quiet", "--budget", try Self.write("cycles: 10\n")]) == 66)
    }

    struct BadBudget: Sendable, CustomTestStringConvertible {
        let yaml: String
        let key: String
        let problem: String
        var testDescription: String { problem }
    }

    static let badBudgets: [BadBudget] = [
        BadBudget(yaml: "cycles: [1, 2\n", key: "", problem: "not valid YAML"),
        BadBudget(yaml: "- 1\n- 2\n", key: "", problem: "expected a mapping"),
        BadBudget(yaml: "cycels: 10\n", key: "cycels", problem: "unknown limit"),
        BadBudget(yaml: "cycles: lots\n", key: "cycles", problem: "expected a whole number"),
        BadBudget(yaml: "latency_ms: -1\n", key: "latency_ms", problem: "must not be negative"),
        BadBudget(yaml: "energy_uj: fast\n", key: "energy_uj", problem: "expected a number"),
        BadBudget(yaml: "regions_of_interest:\n  inference:\n    bogus: 1\n", key: "regions_of_interest.inference.bogus", problem: "unknown limit"),
        BadBudget(yaml: "functions:\n  main: 5\n", key: "functions.main", problem: "expected a mapping"),
        BadBudget(yaml: "functions:\n  main:\n    flash_bytes: 5\n", key: "functions.main.flash_bytes", problem: "unknown limit"),
        BadBudget(yaml: "regions_of_interest:\n  inference: {}\n", key: "regions_of_interest.inference", problem: "no limits given"),
        BadBudget(yaml: "{}\n", key: "", problem: "sets no limits"),
    ]

    @Test("every budget mistake names the file, the key and the problem", arguments: badBudgets)
    func rejections(_ bad: BadBudget) throws {
        let error = #expect(throws: SimulatorError.self) { try Budget.parse(text: bad.yaml, path: "b.yaml") }
        guard case let .badBudget(path, key, problem)? = error else { Issue.record("expected .badBudget, got \(String(describing: error))"); return }
        #expect(path == "b.yaml")
        #expect(key == bad.key)
        #expect(problem.contains(bad.problem), "\(problem)")
    }

    @Test("bad input to gate is 65: a missing budget, a report that is not a report")
    func badInput() throws {
        let (path, _) = try Self.report()
        #expect(CLI.status(["gate", path, "--budget", "/nonexistent/budget.yaml"]) == 65)
        let notReport = try Self.write("{\"hello\": 1}")
        #expect(CLI.status(["gate", notReport.replacingOccurrences(of: ".yaml", with: ".json"), "--budget", notReport]) == 65)
        #expect(CLI.status(["gate", path]) == 64)
    }
}

/// Thousands separators as the gate prints them.
enum GateFormatsTestHelper {
    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0, (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}

/// Parses XML with Foundation's XMLParser so a malformed JUnit file fails the test.
enum XMLDocumentParser {
    final class Delegate: NSObject, XMLParserDelegate {}
    static func parse(_ text: String) throws -> Bool {
        let parser = XMLParser(data: Data(text.utf8))
        let delegate = Delegate()
        parser.delegate = delegate
        guard parser.parse() else { throw SimulatorError.badReport(path: "junit", reason: "malformed XML") }
        return true
    }
}
