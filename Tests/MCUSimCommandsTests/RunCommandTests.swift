import Foundation
import MCUSim
import MCUSimCommands
import MCUTestSupport
import Testing

// `mcusim run` through `MCUSimCommand.execute`, on firmware built by arm-none-eabi-gcc.
// Expected values come from outside the simulator: the exit-code table in
// docs/exit-codes.md (restated here as literals, not read from ExitStatus), what binutils
// and sha256sum print, and the fixtures' source text.

// MARK: - Shared helpers for the command tests

/// What one `execute` call returned and printed.
struct CLIOutcome {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the command line in-process with its output captured (see `OutputCapture`).
enum CLI {
    static func run(_ arguments: [String]) -> CLIOutcome {
        let (status, out, err) = OutputCapture.capture { MCUSimCommand.execute(arguments) }
        return CLIOutcome(status: status, stdout: out, stderr: err)
    }

    /// The exit status alone, for tests that look only at files the command wrote.
    static func status(_ arguments: [String]) -> Int32 { run(arguments).status }
}

/// The keys of the outermost JSON object in document order (JSONSerialization forgets order).
func topLevelKeys(ofJSON text: String) -> [String] {
    var keys: [String] = []
    var depth = 0
    var inString = false, escaped = false
    var current = "", lastString: String?
    for scalar in text.unicodeScalars {
        if inString {
            if escaped {
                escaped = false
                current.unicodeScalars.append(scalar)
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "\"" {
                inString = false
                lastString = current
            } else {
                current.unicodeScalars.append(scalar)
            }
            continue
        }
        switch scalar {
        case "\"": inString = true; current = ""
        case "{", "[": depth += 1; lastString = nil
        case "}", "]": depth -= 1; lastString = nil
        case ":":
            if depth == 1, let key = lastString { keys.append(key) }
            lastString = nil
        case ",": lastString = nil
        default: break
        }
    }
    return keys
}

/// The keys listed, in order, in the table under `### <heading>` of a docs/ Markdown file:
/// rows that start with a backquoted key, "| `schema` | string | ...".
func documentedKeys(file: String, heading: String) throws -> [String] {
    let text = try String(contentsOfFile: FixtureBuilder.repositoryRoot + "/docs/" + file, encoding: .utf8)
    var keys: [String] = []
    var inSection = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("#") {
            if inSection { break }
            inSection = line == "### \(heading)"
            continue
        }
        guard inSection, line.hasPrefix("| `") else { continue }
        let rest = line.dropFirst(3)
        guard let end = rest.firstIndex(of: "`") else { continue }
        keys.append(String(rest[..<end]))
    }
    return keys
}

func parseJSONObject(_ text: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
    guard let object = value as? [String: Any] else { throw ToolFailure(description: "not a JSON object: \(text.prefix(200))") }
    return object
}

func parseHex(_ text: Substring) -> UInt64? {
    text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : nil
}

// MARK: - Tests

@Suite struct RunCommandTests {
    static let console = FixtureBuilder.fixture("MCUSimTests", "console.c")
    static let stops = FixtureBuilder.fixture("MCUSimTests", "stops.c")
    /// console.c prints exactly this on stdout (printf("hello, stdout %d\n", 42)) ...
    static let consoleStdout = "hello, stdout 42\n"
    /// ... and this on stderr.
    static let consoleStderr = "hello, stderr\n"

    static func consoleELF(exitCode: Int) throws -> String {
        try FixtureBuilder.build(name: "cli-console\(exitCode)", sources: [console],
                                 board: try FixtureBuilder.board("max32660"), flags: ["-DEXIT_CODE=\(exitCode)"])
    }

    static func stopsELF(scenario: Int) throws -> String {
        try FixtureBuilder.build(name: "cli-stops\(scenario)", sources: [stops],
                                 board: try FixtureBuilder.board("max32660"), flags: ["-DSCENARIO=\(scenario)"])
    }

    /// Runs with `--report` into a scratch file and returns the outcome and the report text.
    static func runWithReport(_ elf: String, extra: [String] = []) throws -> (CLIOutcome, String) {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report = dir + "/report.json"
        let outcome = CLI.run(["run", "--board", "max32660", elf, "--report", report] + extra)
        let text = try String(contentsOfFile: report, encoding: .utf8)
        return (outcome, text)
    }

    // Exit codes 0-63 are the firmware's own (docs/exit-codes.md).
    @Test("a firmware exit code in 0...63 becomes mcusim's exit code", arguments: [0, 3, 63])
    func exitCodePassesThrough(code: Int) throws {
        let elf = try Self.consoleELF(exitCode: code)
        let outcome = CLI.run(["run", "--board", "max32660", elf])
        #expect(outcome.status == Int32(code), "stderr: \(outcome.stderr)")
        // Text mode: the firmware's stdout passes through to ours, its stderr to ours.
        #expect(outcome.stdout.hasPrefix(Self.consoleStdout))
        #expect(outcome.stderr.contains(Self.consoleStderr))
    }

    // Codes above 63 (or negative) would collide with mcusim's own outcomes, so they are
    // reported as 63; the report keeps the real, signed code (docs/exit-codes.md).
    @Test("a firmware exit code outside 0...63 is reported as 63", arguments: [64, 100, -1])
    func exitCodeOutOfRange(code: Int) throws {
        let elf = try Self.consoleELF(exitCode: code)
        let (outcome, text) = try Self.runWithReport(elf, extra: ["--quiet"])
        #expect(outcome.status == 63, "stderr: \(outcome.stderr)")
        // The report keeps the firmware's real code.
        let report = try parseJSONObject(text)
        let stop = try #require(report["stop"] as? [String: Any])
        #expect(stop["reason"] as? String == "exit")
        #expect(stop["exit_code"] as? Int == code)
    }

    // stops.c scenarios -> (expected stop.reason, documented exit code).
    @Test("each way of stopping maps to its documented exit code", arguments: [
        (1, "fault", Int32(67)),       // unmapped read
        (2, "fault", Int32(67)),       // store to flash
        (3, "fault", Int32(67)),       // udf #0
        (4, "breakpoint", Int32(70)),  // bkpt #3
        (5, "idle", Int32(69)),        // b .
    ])
    func stopScenarios(scenario: Int, reason: String, status: Int32) throws {
        let elf = try Self.stopsELF(scenario: scenario)
        let (outcome, text) = try Self.runWithReport(elf, extra: ["--quiet"])
        #expect(outcome.status == status, "stderr: \(outcome.stderr)")
        let report = try parseJSONObject(text)
        let stop = try #require(report["stop"] as? [String: Any])
        #expect(stop["reason"] as? String == reason)
        #expect(stop["exit_code"] is NSNull)
        // puts("before") ran; puts("after") never did.
        let console = try #require(report["console"] as? [String: Any])
        #expect(console["stdout"] as? String == "before\n")
    }

    @Test("--max-instructions stops an endless loop with 68 after exactly that many instructions")
    func instructionLimit() throws {
        let elf = try Self.stopsELF(scenario: 6)
        let (outcome, text) = try Self.runWithReport(elf, extra: ["--quiet", "--max-instructions", "1000"])
        #expect(outcome.status == 68, "stderr: \(outcome.stderr)")
        let report = try parseJSONObject(text)
        let stop = try #require(report["stop"] as? [String: Any])
        #expect(stop["reason"] as? String == "limit")
        #expect(stop["limit"] as? String == "instructions")
        #expect(report["instructions"] as? Int == 1000)
    }

    @Test("--format json prints the documented report, the same bytes as --report")
    func jsonReport() throws {
        let elf = try Self.consoleELF(exitCode: 3)
        let (outcome, text) = try Self.runWithReport(elf, extra: ["--format", "json"])
        #expect(outcome.status == 3)
        // stdout carries only the JSON; the firmware's console goes to stderr instead.
        #expect(outcome.stdout == text)
        #expect(outcome.stderr.contains(Self.consoleStdout))
        #expect(outcome.stderr.contains(Self.consoleStderr))

        // docs/report-schema.md promises a fixed key order: the rows of its "Top level" table.
        // When this was written the table read: schema, board, core, clock_hz, firmware, boot,
        // stop, instructions, console, mmio, host. Reading the document keeps code and
        // document from drifting apart.
        let documented = try documentedKeys(file: "report-schema.md", heading: "Top level")
        #expect(documented.first == "schema" && documented.last == "host" && documented.count >= 11)
        for key in ["schema", "board", "core", "clock_hz", "firmware", "boot", "stop", "instructions", "console", "mmio", "host"] {
            #expect(documented.contains(key), "docs/report-schema.md no longer documents \(key)")
        }
        #expect(topLevelKeys(ofJSON: text) == documented)
        let report = try parseJSONObject(text)
        #expect(report["schema"] as? String == "mcusim.run/1")
        #expect(report["board"] as? String == "max32660")
        // boards/max32660.yaml: core cortex-m4f, clock_hz 96_000_000.
        #expect(report["core"] as? String == "cortex-m4f")
        #expect(report["clock_hz"] as? Int == 96_000_000)

        let firmware = try #require(report["firmware"] as? [String: Any])
        #expect(Set(firmware.keys) == Set(try documentedKeys(file: "report-schema.md", heading: "`firmware`")))
        #expect(firmware["path"] as? String == elf)
        // sha256sum prints "<64 hex digits>  <path>".
        let digest = try runTool(["sha256sum", elf]).split(separator: " ").first.map(String.init)
        #expect(digest?.count == 64)
        #expect(firmware["sha256"] as? String == digest)
        // Flash bytes: FileSiz of every PT_LOAD whose load (physical) address is in the
        // 256 KiB flash at 0, as readelf prints them:
        //   Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align
        var flashBytes: UInt64 = 0
        var loads = 0
        for line in try runTool(["arm-none-eabi-readelf", "-lW", elf]).split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.first == "LOAD", fields.count >= 6 else { continue }
            loads += 1
            let phys = try #require(parseHex(fields[3])), fileSize = try #require(parseHex(fields[4]))
            if phys < 0x40000 { flashBytes += fileSize }
        }
        #expect(loads > 0)
        #expect(flashBytes > 0)
        #expect(firmware["flash_bytes"] as? UInt64 == flashBytes)
        // Static SRAM: allocated, writable sections inside the 96 KiB SRAM at 0x20000000, from
        //   [Nr] Name Type Addr Off Size ES Flg Lk Inf Al
        var sramBytes: UInt64 = 0
        for line in try runTool(["arm-none-eabi-readelf", "-SW", elf]).split(separator: "\n") {
            guard let close = line.firstIndex(of: "]"), line.contains("[") else { continue }
            let fields = line[line.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 7, let addr = UInt64(fields[2], radix: 16), let size = UInt64(fields[4], radix: 16) else { continue }
            let flags = fields[6]
            guard flags.contains("A"), flags.contains("W"), addr >= 0x2000_0000, addr < 0x2001_8000 else { continue }
            sramBytes += size
        }
        #expect(sramBytes > 0)
        #expect(firmware["sram_static_bytes"] as? UInt64 == sramBytes)

        // The project's linker script puts the initial SP at the top of the 96 KiB SRAM.
        let boot = try #require(report["boot"] as? [String: Any])
        #expect(boot["path"] as? String == "vector-table")
        #expect(boot["sp"] as? String == "0x20018000")

        let stop = try #require(report["stop"] as? [String: Any])
        #expect(stop["reason"] as? String == "exit")
        #expect(stop["exit_code"] as? Int == 3)

        let console = try #require(report["console"] as? [String: Any])
        #expect(console["stdout"] as? String == Self.consoleStdout)
        #expect(console["stderr"] as? String == Self.consoleStderr)
        #expect(console["truncated"] as? Bool == false)

        let instructions = try #require(report["instructions"] as? Int)
        #expect(instructions > 0)
        let host = try #require(report["host"] as? [String: Any])
        #expect(Set(host.keys) == ["wall_seconds", "mips"])
    }

    @Test("two runs of the same firmware give the same report apart from host")
    func deterministicReports() throws {
        let elf = try Self.consoleELF(exitCode: 0)
        let (first, firstText) = try Self.runWithReport(elf, extra: ["--quiet"])
        let (second, secondText) = try Self.runWithReport(elf, extra: ["--quiet"])
        #expect(first.status == 0 && second.status == 0)
        var a = try parseJSONObject(firstText), b = try parseJSONObject(secondText)
        #expect(a["host"] != nil && b["host"] != nil)
        a["host"] = nil
        b["host"] = nil
        let canonicalA = try JSONSerialization.data(withJSONObject: a, options: [.sortedKeys])
        let canonicalB = try JSONSerialization.data(withJSONObject: b, options: [.sortedKeys])
        #expect(canonicalA == canonicalB)
        #expect(NSDictionary(dictionary: a).isEqual(to: b))
    }

    // MARK: Bad input: 65, with the offending file named on stderr

    @Test("a missing ELF file is bad input named in the message")
    func missingELF() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/no-such-firmware.elf"
        let outcome = CLI.run(["run", "--board", "max32660", path])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("mcusim: error: \(path)"))
    }

    @Test("a text file given as firmware is bad input named in the message")
    func textFileAsELF() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/notes.elf"
        try "this is not firmware\n".write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = CLI.run(["run", "--board", "max32660", path])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("mcusim: error: \(path)"))
    }

    @Test("a broken board file is bad input named in the message", arguments: [
        "name: bad\ncore: cortex-m4f\n",                                 // no clock_hz, no memory
        "name: bad\ncore: [unterminated\n",                              // not YAML
        "- just\n- a list\n",                                            // not a mapping
    ])
    func brokenBoardFile(text: String) throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let board = dir + "/bad.yaml"
        try text.write(toFile: board, atomically: true, encoding: .utf8)
        let elf = try Self.consoleELF(exitCode: 0)
        let outcome = CLI.run(["run", "--board", board, elf])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("mcusim: error: \(board)"))
    }

    @Test("an unknown board name is bad input that lists the known boards")
    func unknownBoardName() throws {
        let elf = try Self.consoleELF(exitCode: 0)
        let outcome = CLI.run(["run", "--board", "nosuchboard", elf])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("nosuchboard"))
        #expect(outcome.stderr.contains("max32660"))
    }

    @Test("a --report file that cannot be written is bad input")
    func unwritableReport() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report = dir + "/no-such-directory/report.json"
        let outcome = CLI.run(["run", "--board", "max32660", "--quiet", try Self.consoleELF(exitCode: 0), "--report", report])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains(report))
    }

    @Test("a --stdin file that cannot be read is bad input")
    func unreadableStdin() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/missing-input.txt"
        let outcome = CLI.run(["run", "--board", "max32660", "--quiet", try Self.consoleELF(exitCode: 0), "--stdin", input])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains(input))
    }

    // MARK: Usage errors: 64

    @Test("command-line mistakes are usage errors", arguments: [
        ["--bogus-option"],                        // unknown option
        ["--board"],                               // option without its value
        ["--max-seconds=-1"],                      // negative time budget
        ["--max-seconds", "0"],                    // zero time budget
        ["--max-seconds", "nan"],                  // not a number of seconds
        ["--format", "xml"],                       // no such format
        ["--max-instructions", "-5"],              // not an unsigned count
        ["--semihosting-root", "/nonexistent/mcusim-root"],  // not a directory
    ])
    func usageErrors(extra: [String]) throws {
        let elf = try Self.consoleELF(exitCode: 0)
        let outcome = CLI.run(["run", elf] + extra)
        #expect(outcome.status == 64, "stderr: \(outcome.stderr)")
        #expect(!outcome.stdout.contains(Self.consoleStdout), "the firmware must not run")
    }

    @Test("run without a firmware argument builds and runs the bundled digits inference")
    func missingFirmwareArgument() throws {
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("digits-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: report) }
        #expect(CLI.run(["run", "--board", "max32660", "--quiet", "--report", report]).status == 0)
        let data = try #require(FileManager.default.contents(atPath: report))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let regions = try #require(json["regions_of_interest"] as? [String: Any])
        let inference = try #require(regions["inference"] as? [String: Any])
        #expect(inference["entries"] as? Int == 1)
        let functions = try #require(json["functions"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        // The digits MLP: two fully connected layers and a softmax, one function each.
        #expect(functions.contains("layer00_fc") && functions.contains("layer01_fc") && functions.contains("layer02_softmax"))
    }

    @Test("an unknown subcommand is a usage error")
    func unknownSubcommand() {
        #expect(CLI.run(["frobnicate"]).status == 64)
    }
}
