import Foundation
import MCUGen
import MCUSim
import MCUSimCommands
import MCUTestSupport
import Testing

// `mcusim boards`, help output, and the library pieces the command is built from. Expected
// values are read by hand from boards/*.yaml.

@Suite struct BoardsCommandTests {
    /// `ls boards/` in the repository.
    static let shippedBoards = ["max32650", "max32660", "max78000", "nrf52840", "rp2040", "samd21", "stm32f746-disco"]

    @Test("the board library is found from the test process and lists the shipped boards")
    func libraryLocation() throws {
        let library = try #require(BoardLibrary.locate())
        let expected = URL(fileURLWithPath: FixtureBuilder.repositoryRoot + "/boards").standardizedFileURL.resolvingSymlinksInPath()
        let found = URL(fileURLWithPath: library.directory).standardizedFileURL.resolvingSymlinksInPath()
        #expect(found.path == expected.path)
        #expect(library.names() == Self.shippedBoards)
    }

    @Test("BoardReport carries the max32660's figures from its board file")
    func boardReportJSON() throws {
        let board = try FixtureBuilder.board("max32660")
        let text = BoardReport.json(board).serialized()
        try Self.checkMax32660(try parseJSONObject(text))
        #expect(topLevelKeys(ofJSON: text).first == "name")
    }

    /// boards/max32660.yaml, by hand.
    static func checkMax32660(_ json: [String: Any]) throws {
        #expect(json["name"] as? String == "max32660")
        #expect(json["core"] as? String == "cortex-m4f")
        #expect(json["clock_hz"] as? Int == 96_000_000)
        #expect(json["boot_address"] as? String == "0x00000000")
        let memory = try #require(json["memory"] as? [[String: Any]])
        #expect(memory.count == 3)
        let expected: [(name: String, kind: String, base: String, size: Int, wait: Int)] = [
            ("flash", "flash", "0x00000000", 256 * 1024, 4),
            ("sram", "sram", "0x20000000", 96 * 1024, 0),
            ("apb", "mmio", "0x40000000", 0x0010_0000, 0),
        ]
        for (region, want) in zip(memory, expected) {
            #expect(region["name"] as? String == want.name)
            #expect(region["kind"] as? String == want.kind)
            #expect(region["base"] as? String == want.base)
            #expect(region["size"] as? Int == want.size)
            #expect(region["wait_states"] as? Int == want.wait)
        }
        let console = try #require(json["console"] as? [String: Any])
        #expect(console["peripheral"] as? String == "max32-uart")
        #expect(console["base"] as? String == "0x40042000")
        let cache = try #require(json["instruction_cache"] as? [String: Any])
        #expect(cache["size"] as? Int == 16 * 1024)
        #expect(cache["line_bytes"] as? Int == 16)
        #expect(cache["ways"] as? Int == 2)
        let power = try #require(json["power"] as? [String: Any])
        #expect(power["active_ua_per_mhz"] as? Double == 85)
        #expect(power["supply_volts"] as? Double == 1.1)
        #expect(power["sleep_ua"] as? Double == 2)
        // Only ARMv6-M boards have a multiplier option.
        #expect(json["multiplier"] == nil)
    }

    @Test("`boards` lists every shipped board and exits 0")
    func listBoards() {
        let outcome = CLI.run(["boards"])
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        let rows = outcome.stdout.split(separator: "\n")
        // Header, rule, one row per board.
        #expect(rows.count == 2 + Self.shippedBoards.count)
        for (row, name) in zip(rows.dropFirst(2), Self.shippedBoards) {
            #expect(row.hasPrefix(name + " "))
        }
        // The clock column, from the board files: 96, 48 and 216 MHz.
        #expect(rows.count > 8 && rows[3].contains("96 MHz") && rows[7].contains("48 MHz") && rows[8].contains("216 MHz"))
    }

    @Test("`boards --format json` is an array of the shipped boards in name order")
    func listBoardsJSON() throws {
        let outcome = CLI.run(["boards", "--format", "json"])
        #expect(outcome.status == 0)
        let value = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))
        let boards = try #require(value as? [[String: Any]])
        #expect(boards.compactMap { $0["name"] as? String } == Self.shippedBoards)
        // stm32f746-disco: Cortex-M7 at 216 MHz; samd21: Cortex-M0+ at 48 MHz.
        #expect(boards.compactMap { $0["clock_hz"] as? Int } == [120_000_000, 96_000_000, 100_000_000, 64_000_000, 133_000_000, 48_000_000, 216_000_000])
        #expect(boards.compactMap { $0["core"] as? String } == ["cortex-m4f", "cortex-m4f", "cortex-m4f", "cortex-m4f", "cortex-m0plus", "cortex-m0plus", "cortex-m7"])
    }

    @Test("`boards max32660 --format json` shows the board in full")
    func showBoardJSON() throws {
        let outcome = CLI.run(["boards", "max32660", "--format", "json"])
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        try Self.checkMax32660(try parseJSONObject(outcome.stdout))
    }

    @Test("`boards max32660` shows the board as text")
    func showBoardText() {
        let outcome = CLI.run(["boards", "max32660"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("96 MHz (96,000,000 Hz)"))
        #expect(outcome.stdout.contains("max32-uart at 0x40042000"))
    }

    @Test("a board file path given to `boards` is validated and shown")
    func showBoardFile() throws {
        let path = FixtureBuilder.repositoryRoot + "/boards/samd21.yaml"
        let outcome = CLI.run(["boards", path, "--format", "json"])
        #expect(outcome.status == 0)
        let json = try parseJSONObject(outcome.stdout)
        #expect(json["name"] as? String == "samd21")
        #expect(json["multiplier"] as? String == "single-cycle")
        #expect(json["source"] as? String == path)
    }

    @Test("an unknown board is bad input")
    func unknownBoard() {
        let outcome = CLI.run(["boards", "nosuch"])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("'nosuch'"))
    }

    @Test("a broken board file given to `boards` is bad input that names the key")
    func brokenBoardFile() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad.yaml"
        let good = try String(contentsOfFile: FixtureBuilder.repositoryRoot + "/boards/max32660.yaml", encoding: .utf8)
        // A misspelt key must be rejected, not ignored.
        try good.replacingOccurrences(of: "clock_hz:", with: "clock_hzz:").write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = CLI.run(["boards", path])
        #expect(outcome.status == 65)
        #expect(outcome.stderr.contains("mcusim: error: \(path): clock_hz"))
    }

    @Test("`--help` of the tool and of every subcommand parses and exits 0", arguments: [
        [], ["run"], ["boards"],
    ])
    func help(subcommand: [String]) {
        let outcome = CLI.run(subcommand + ["--help"])
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        let usage = (["USAGE: mcusim"] + subcommand).joined(separator: " ")
        #expect(outcome.stdout.contains(usage))
    }

    @Test("`run --help` documents the run options")
    func runHelpOptions() {
        let outcome = CLI.run(["run", "--help"])
        #expect(outcome.status == 0)
        for option in ["--board", "--format", "--report", "--max-instructions", "--max-seconds",
                       "--semihosting-root", "--stdin", "--quiet", "--timing", "--accounting", "--costs", "--profile",
                       "--collapsed", "--flamegraph", "--weight", "--trace", "--strict-mmio"] {
            #expect(outcome.stdout.contains(option), "\(option) missing from run --help")
        }
    }

    @Test("the subcommands are exactly run, build, check, sweep, gate, boards and bench, and each one's help renders")
    func subcommandList() {
        let names = MCUSimCommand.configuration.subcommands.map { $0.configuration.commandName }
        #expect(names == ["run", "build", "check", "sweep", "gate", "boards", "bench"])
        for sub in MCUSimCommand.configuration.subcommands {
            #expect(MCUSimCommand.helpMessage(for: sub).contains("USAGE: mcusim \(sub.configuration.commandName ?? "?")"))
        }
        // The pruning options are documented where they are taken.
        for command in ["build", "check"] {
            let help = CLI.run([command, "--help"]).stdout
            for option in ["--prune", "--sparsity", "--allocation", "--keep-first-dense", "--keep-last-dense", "--dense-depthwise", "--finetune",
                           "--data", "--encoding"] {
                #expect(help.contains(option), "\(option) missing from \(command) --help")
            }
        }
        let sweep = CLI.run(["sweep", "run", "--help"]).stdout
        for option in ["--board", "--prune", "--sparsity", "--finetune", "--encoding", "--quant", "--data", "--jobs", "--out", "--shard", "--format",
                       "--dense-depthwise"] {
            #expect(sweep.contains(option), "\(option) missing from sweep --help")
        }
    }

    @Test("--version prints the version and exits 0")
    func version() {
        let outcome = CLI.run(["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }
}

/// `mcusim bench` measures every workload under each accounting level with identical output.
@Suite struct BenchCommandTests {
    @Test("bench at a small scale reports seven configurations per workload with identical firmware output")
    func smallBench() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let status = CLI.status(["bench", "--scale", "0.02", "--format", "json", "--output", path])
        #expect(status == 0)
        let data = try #require(FileManager.default.contents(atPath: path))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["schema"] as? String == "mcusim.bench/1")
        let workloads = try #require(json["workloads"] as? [[String: Any]])
        #expect(workloads.compactMap { $0["workload"] as? String } == ["int8-matvec", "memcpy", "float-fir", "branchy", "digits-mlp", "digits-cnn", "kws-ds-cnn"])
        for w in workloads {
            let runs = try #require(w["runs"] as? [[String: Any]])
            #expect(runs.compactMap { $0["configuration"] as? String } == ["no-hooks", "empty-hooks", "empty-blocks", "cycles-only", "full", "full+trace", "full-blocks"])
            // Every workload prints its checksum line (the command itself fails on a mismatch).
            #expect((w["output"] as? String)?.contains("checksum") == true)
        }
        // The digits workload's checksum, recomputed from the host reference: the first 7 test
        // images (scale 0.02 of 360), one pass, sum = sum * 31 + output byte.
        let digits = try #require(workloads.first { $0["workload"] as? String == "digits-mlp" })
        let models = FixtureBuilder.repositoryRoot + "/firmware/models"
        let model = try ModelCompression.prepare(try ModelLoader.load(path: "\(models)/digits_mlp.json"), file: "digits",
                                                 options: CompressionOptions(), dsp: true).model
        let digitsData = try DataSet.load(path: "\(models)/digits_data.npz", inputSize: 64)
        var sum: UInt32 = 0
        for sample in digitsData.test.prefix(7) {
            for byte in try ModelRunner.run(model, input: AccuracyHarness.quantize(sample.x, model: model))[model.outputs[0]] ?? [] {
                sum = sum &* 31 &+ UInt32(UInt8(bitPattern: byte))
            }
        }
        #expect((digits["output"] as? String)?.contains(String(format: "checksum %08x", sum)) == true)
    }
}
