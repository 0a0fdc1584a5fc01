import ArgumentParser
import Foundation
import MCUGen
import MCUSim

/// `mcusim run`: run one ELF on one board and report.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Cortex-M ELF image on a board and report how it ended and what it cost.",
        discussion: """
        The image is placed at its load addresses and started from the vector table at the board's \
        boot address (or at the ELF entry when there is none). Firmware output through ARM semihosting \
        (newlib's rdimon) or the board's console UART appears on stdout as it runs (stderr with \
        --format json) and is kept in the report.

        Exit status: the firmware's exit code (0-63) when it exits; 67 fault, 68 limit, 69 idle or \
        deadlock, 70 breakpoint, 72 system reset; 65 bad input. See docs/exit-codes.md.
        """
    )

    @Argument(help: ArgumentHelp("The firmware ELF file (32-bit little-endian ARM executable). Without one, mcusim builds and runs the bundled digits inference (firmware/models).", valueName: "firmware.elf"))
    var firmware: String?

    @OptionGroup var boardOption: BoardOption
    @OptionGroup var reportOptions: ReportOptions

    @Option(name: .long, help: ArgumentHelp("Stop after this many instructions (0 for no limit).", valueName: "n"))
    var maxInstructions: UInt64 = RunOptions.defaultMaxInstructions

    @Option(name: .long, help: ArgumentHelp("Stop after this many seconds of host wall-clock time.", valueName: "seconds"))
    var maxSeconds: Double?

    @Option(name: .long, help: ArgumentHelp("Let the firmware open host files under this directory through semihosting. Without it, firmware cannot touch host files.", valueName: "dir"))
    var semihostingRoot: String?

    @Option(name: .long, help: ArgumentHelp("Feed this file to the firmware's stdin (semihosting reads of ':tt'). Default: empty.", valueName: "file"))
    var stdin: String?

    @Flag(name: .long, help: "Do not echo the firmware's console output while it runs (it stays in the report).")
    var quiet = false

    @Option(name: .long, help: ArgumentHelp("Check the run against this budget file (as `mcusim gate`): exit 66 when over budget.", valueName: "file"))
    var budget: String?

    @Option(name: .long, help: ArgumentHelp("Energy cost table: a name in boards/costs or a YAML file. Default: the board's `costs`, else horowitz-45nm.", valueName: "name|file"))
    var costs: String?

    @Option(name: .long, help: ArgumentHelp("Print the top N functions by self cycles (`--profile` alone shows 15).", valueName: "n"))
    var profile: Int?

    @Option(name: .long, help: ArgumentHelp("Write collapsed stacks (`a;b;c weight`) for flamegraph.pl or speedscope.", valueName: "file"))
    var collapsed: String?

    @Option(name: .long, help: ArgumentHelp("Draw a flame graph as SVG.", valueName: "file.svg"))
    var flamegraph: String?

    @Option(name: .long, help: "What collapsed stacks and the flame graph are weighted by: cycles or energy (pJ).")
    var weight: ProfileWeightOption = .cycles

    @Option(name: .long, help: ArgumentHelp("Write a Chrome trace-event file of function spans in simulated time (Perfetto, chrome://tracing).", valueName: "file.json"))
    var trace: String?

    @Option(name: .long, help: "Accounting: full (per-function profile, call stacks, per-instruction memory and energy) or cycles (the cycle model and region counters only, for speed).")
    var accounting: AccountingLevel = .full

    @OptionGroup var charging: ChargingOption

    @Flag(name: .long, help: "Stop at the first access to an MMIO address that no peripheral model answers, naming it (default: read as zero, ignore writes, list them in the report).")
    var strictMMIO = false

    @Option(name: .long, help: "The cycle model: on (per-core timing, wait states, caches) or off (one cycle per instruction, for speed comparisons).")
    var timing: TimingSwitch = .on

    func validate() throws {
        if let s = maxSeconds, !(s > 0 && s.isFinite) {
            throw ValidationError("--max-seconds must be a positive number of seconds")
        }
        if let n = profile, n < 1 { throw ValidationError("--profile needs a positive number of functions") }
        if let root = semihostingRoot {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("--semihosting-root \(root): not a directory")
            }
        }
    }

    func run() throws {
        let board = try boardOption.load()
        let firmware: String
        var temporaryBuild: String?
        defer { if let temporaryBuild { try? FileManager.default.removeItem(atPath: temporaryBuild) } }
        if let given = self.firmware {
            firmware = given
        } else {
            // No firmware: the bundled digits MLP, generated and built for this board.
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-digits-\(getpid())-\(UUID().uuidString)").path
            FileHandle.standardError.write(Data("mcusim: no firmware given: building the bundled digits inference for \(board.name)\n".utf8))
            firmware = try BundledModel.buildDigits(board: board, directory: dir)
            temporaryBuild = dir
        }
        let image = try ELFLoader.load(path: firmware)
        // A broken budget is bad input before anything runs.
        let limits = try budget.map { try Budget.load(path: $0) }
        var stdinBytes: [UInt8] = []
        if let stdin {
            guard let data = FileManager.default.contents(atPath: stdin) else {
                throw CommandError.io("\(stdin): cannot read the --stdin file")
            }
            stdinBytes = [UInt8](data)
        }
        let routing: ConsoleRouting = quiet ? .silent : (reportOptions.format == .json ? .allToStderr : .passthrough)
        var options = RunOptions(maxInstructions: maxInstructions, maxSeconds: maxSeconds,
                                 semihostingRoot: semihostingRoot, stdinBytes: stdinBytes, console: routing,
                                 commandLine: (firmware as NSString).lastPathComponent)
        options.cycleModel = timing == .on
        options.strictMMIO = strictMMIO
        let library = BoardLibrary.locate()
        if costs != nil || board.costTable != nil {
            // An explicit table must load; its errors name the file and key.
            options.costTable = try CostTable.resolve(for: board, override: costs, library: library)
        } else {
            // The default table lives in the board library; without one, no per-operation energy.
            options.costTable = try? CostTable.defaultTable(library: library)
        }
        options.profiling = accounting == .full
        options.blockCharging = charging.blockCharging
        let machine = try Machine(board: board, image: image, options: options)
        let progress = ProgressLine(machine: machine)
        progress.start(label: (firmware as NSString).lastPathComponent)
        let result = machine.run()
        progress.finish()

        let json = RunReport.json(result)
        if let path = reportOptions.report {
            do {
                try json.serialized().write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw CommandError.io("\(path): cannot write the report: \(error.localizedDescription)")
            }
        }
        try writeProfileFiles(result)
        switch reportOptions.format {
        case .json: print(json.serialized(), terminator: "")
        case .text:
            // Keep the table apart from firmware output that did not end its last line.
            if !quiet, let last = result.stdout.last, last != 0x0A { print("") }
            print(TextReport.render(result), terminator: "")
            if let n = profile { print("\n" + TextReport.profile(result, top: n), terminator: "") }
        }
        let status = RunCommand.exitStatus(for: result.stop)
        if status != 0 { throw ExitCode(status) }
        if let limits {
            // After a clean exit, the budget decides; 66 keeps it apart from firmware exit codes.
            let checks = Gate.check(metrics: Gate.metrics(of: try RunCommand.object(json)), budget: limits)
            for c in checks where !c.passed { FileHandle.standardError.write(Data((GateFormats.line(c) + "\n").utf8)) }
            if checks.contains(where: { !$0.passed }) { throw ExitCode(ExitStatus.budgetExceeded.rawValue) }
        }
    }

    func writeProfileFiles(_ result: RunResult) throws {
        let w: ProfileWeight = weight == .energy ? .energy : .cycles
        if w == .energy, result.energy == nil, collapsed != nil || flamegraph != nil {
            throw CommandError.usage("--weight energy needs a cost table (--costs)")
        }
        func write(_ text: String, to path: String) throws {
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw CommandError.io("\(path): cannot write: \(error.localizedDescription)")
            }
        }
        if let path = collapsed { try write(CollapsedStacks.render(result.stacks, weight: w), to: path) }
        if let path = flamegraph {
            let title = "\(((firmware ?? "digits") as NSString).lastPathComponent) on \(result.board.name): \(w == .cycles ? "cycles" : "energy (pJ)")"
            try write(FlameGraph.render(result.stacks, weight: w, title: title), to: path)
        }
        if let path = trace {
            try write(ChromeTrace.render(result.spans, clockHz: result.board.clockHz, board: result.board.name, dropped: result.droppedSpans), to: path)
        }
    }

    static func object(_ json: JSONValue) throws -> [String: Any] {
        guard let data = json.serialized().data(using: .utf8),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CommandError.io("cannot read back the report")
        }
        return object
    }

    static func exitStatus(for stop: StopInfo) -> Int32 {
        switch stop.reason {
        case .exit: return ExitStatus.firmware(stop.exitCode ?? 0)
        case .fault: return ExitStatus.fault.rawValue
        case .limit: return ExitStatus.limit.rawValue
        case .idle, .deadlock: return ExitStatus.idle.rawValue
        case .reset: return ExitStatus.reset.rawValue
        case .breakpoint: return ExitStatus.breakpoint.rawValue
        }
    }
}

enum TimingSwitch: String, ExpressibleByArgument, CaseIterable {
    case on, off
}

enum ProfileWeightOption: String, ExpressibleByArgument, CaseIterable {
    case cycles, energy
}

enum AccountingLevel: String, ExpressibleByArgument, CaseIterable {
    case full, cycles
}
