import ArgumentParser
import Foundation
import MCUGen
import MCUSim
import MCUSweep

/// `mcusim sweep`: every pruning configuration scored on the simulator, with Pareto frontiers.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Score pruning strategies, sparsities, encodings and quantizations on the simulator.",
        discussion: """
        Each configuration (board x strategy x sparsity x encoding x quant) is pruned, quantized, \
        generated, built and run; with --data holding test samples its accuracy is measured on the \
        simulator too. One row per configuration: accuracy, flash bytes, peak SRAM, inference \
        cycles and latency, per-operation and whole-chip energy, DRAM accesses, MACs executed, and \
        whether it is on the accuracy-versus-energy and accuracy-versus-latency Pareto frontiers. \
        Configurations that do not fit the board are rows too, saying by how much. \
        Results: the table on stdout (--format), and in the output folder sweep.csv, sweep.json, \
        sweep.md, pareto-energy.svg and pareto-latency.svg. Results are stored per configuration \
        under a content hash (runs/, cache/), so a repeated or interrupted sweep only runs what is \
        missing. --shard i/n runs every n-th configuration (for CI matrices and job arrays); \
        `mcusim sweep merge` joins the shards. docs/sweep.md has the sweep file format and a GitHub \
        Actions example. Exit status 0 when every configuration ran (fitting or not), 1 when any \
        failed to build or run, 64/65 for bad arguments or files.
        """,
        subcommands: [SweepRunCommand.self, SweepMergeCommand.self],
        defaultSubcommand: SweepRunCommand.self
    )
}

enum SweepFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json, markdown
}

/// The outputs of a finished sweep: files in `out`, the chosen format on stdout.
enum SweepReport {
    static func write(_ rows: [SweepRow], model: String, out: String, format: SweepFormat) throws {
        func save(_ text: String, _ name: String) throws {
            do { try text.write(toFile: "\(out)/\(name)", atomically: true, encoding: .utf8) } catch {
                throw CommandError.io("\(out)/\(name): cannot write: \(error.localizedDescription)")
            }
        }
        try save(SweepOutput.csv(rows), "sweep.csv")
        try save(SweepOutput.json(rows, model: model), "sweep.json")
        try save(SweepOutput.markdown(rows), "sweep.md")
        let plots = [("pareto-energy.svg", \SweepRow.energyUJ, \SweepRow.paretoEnergy, "energy per inference (µJ, per-operation)"),
                     ("pareto-latency.svg", \SweepRow.latencyMs, \SweepRow.paretoLatency, "latency per inference (ms)")]
        for (name, cost, frontier, label) in plots {
            if let svg = SweepOutput.paretoSVG(rows, cost: cost, frontier: frontier, xLabel: label,
                                               title: "\((model as NSString).lastPathComponent): accuracy vs \(label)") {
                try save(svg, name)
            }
        }
        if !rows.contains(where: { $0.accuracy != nil }) {
            FileHandle.standardError.write(Data("mcusim: no test data (--data with test_x/test_y): no accuracy, so no Pareto frontier or plots\n".utf8))
        }
        switch format {
        case .table: print(SweepOutput.table(rows), terminator: "")
        case .csv: print(SweepOutput.csv(rows), terminator: "")
        case .json: print(SweepOutput.json(rows, model: model), terminator: "")
        case .markdown: print(SweepOutput.markdown(rows), terminator: "")
        }
        let failed = rows.filter { if case .failed = $0.status { return true } else { return false } }
        for r in failed {
            FileHandle.standardError.write(Data("mcusim: \(r.configuration.id) failed: \(r.cells.last ?? "")\n".utf8))
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}

struct SweepRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a sweep (the default: `mcusim sweep MODEL ...` is `mcusim sweep run MODEL ...`)."
    )

    @Argument(help: ArgumentHelp("The model (.tflite, or an npz topology .json), or a sweep file (.yaml) holding the options below.", valueName: "model|sweep.yaml"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("Boards, comma-separated (names from `mcusim boards`, or board files).", valueName: "b[,b2]"))
    var board: String?

    @Option(name: .long, help: ArgumentHelp("Strategies, comma-separated: dense, random, magnitude, global-magnitude, structured, nm:N:M, block:HxW, gmp, imp, str (see `mcusim build --help`).", valueName: "list"))
    var prune: String?

    @Option(name: .long, help: ArgumentHelp("Sparsities, comma-separated, each in [0, 1) (N:M strategies ignore them).", valueName: "list"))
    var sparsity: String?

    @Option(name: .long, help: ArgumentHelp("Encodings, comma-separated: auto (default), dense, csr8, csr16, bitmask, block, nm.", valueName: "list"))
    var encoding: String?

    @Option(name: .long, help: ArgumentHelp("Quantizations, comma-separated: int8 (per-channel conv weights, TFLite's default) and int8-per-tensor; float models only.", valueName: "list"))
    var quant: String?

    @Option(name: .long, help: ArgumentHelp("Fine-tuning epochs after one-shot strategies, comma-separated (e.g. 0,10: both); needs --data with training samples.", valueName: "list"))
    var finetune: String?

    @Flag(name: .long, help: "Leave DEPTHWISE_CONV_2D layers dense in every configuration (the per-weight strategies prune them by default; see `mcusim build --help`).")
    var denseDepthwise = false

    @Option(name: .long, help: ArgumentHelp("Data .npz (train_x/train_y, test_x/test_y, calibration, input_scale; docs/pruning.md): training for gmp/imp/str, calibration, accuracy.", valueName: "file.npz"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp("Configurations run at once (default: the number of cores).", valueName: "n"))
    var jobs: Int?

    @Option(name: .long, help: ArgumentHelp("Output folder for sweep.csv/json/md, the plots, and the per-configuration results and firmware cache (default sweep-out).", valueName: "dir"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Run only shard i of n (1-based): every n-th configuration in a fixed order.", valueName: "i/n"))
    var shard: String?

    @Option(name: .long, help: "What stdout gets: table, csv, json or markdown.")
    var format: SweepFormat = .table

    func validate() throws {
        if let jobs, !(1...1024).contains(jobs) { throw ValidationError("--jobs must be from 1 to 1024, not \(jobs)") }
    }

    func parseShard() throws -> (Int, Int)? {
        guard let shard else { return nil }
        let parts = shard.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
            throw ValidationError("--shard must be i/n with 1 <= i <= n, e.g. 2/4")
        }
        return (parts[0], parts[1])
    }

    func run() throws {
        func list(_ s: String?) -> [String] { s?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? [] }
        var plan: SweepPlan
        var jobs = self.jobs, out = self.out
        let planFile = model.hasSuffix(".yaml") || model.hasSuffix(".yml")
        do {
            if planFile {
                let loaded = try SweepPlan.load(file: model)
                plan = loaded.plan
                if denseDepthwise {
                    plan.configurations = plan.configurations.map { c in
                        var c = c
                        c.denseDepthwise = c.prune != "dense"
                        return c
                    }.sorted()
                }
                jobs = jobs ?? loaded.jobs
                out = out ?? loaded.out
            } else {
                let sparsities = try list(sparsity).map { s -> Double in
                    guard let v = Double(s) else { throw ValidationError("--sparsity: '\(s)' is not a number") }
                    return v
                }
                let epochs = try list(finetune).map { s -> Int in
                    guard let v = Int(s) else { throw ValidationError("--finetune: '\(s)' is not a whole number of epochs") }
                    return v
                }
                plan = try SweepPlan(model: model, data: data, boards: list(board ?? "max32660"), prune: list(prune),
                                     sparsity: sparsities, encoding: list(encoding), quant: list(quant), finetune: epochs,
                                     denseDepthwise: denseDepthwise)
            }
        } catch let error as SweepError {
            throw CommandError.usage(error.description)
        } catch let error as PruningError {
            throw CommandError.usage(error.description)
        }
        let directory = out ?? "sweep-out"
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw CommandError.io("\(directory): cannot create: \(error.localizedDescription)")
        }
        let runner: SweepRunner
        do {
            runner = try SweepRunner(plan: plan, directory: directory, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                                     library: BoardLibrary.locate())
        } catch let error as SweepError {
            throw CommandError.badInput(error.description)
        } catch let error as SimulatorError where planFile {
            // A board the sweep file names (boards:) that does not load: say which file named it.
            guard case .unknownBoard = error else { throw error }
            throw CommandError.badInput("\(model): boards: \(error.description)")
        }
        var configurations = plan.configurations
        if let (i, n) = try parseShard() { configurations = plan.shard(i, of: n) }
        let bar = SweepProgress(total: configurations.count)
        let rows = runner.run(configurations) { done, total, reused in bar.update(done: done, total: total, reused: reused) }
        bar.finish()
        try SweepReport.write(rows, model: plan.model, out: directory, format: format)
    }
}

struct SweepMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join sweep shards (their output folders) into one result, with the Pareto frontiers over all of them."
    )

    @Argument(help: ArgumentHelp("Output folders of `mcusim sweep --shard i/n` runs (each holds sweep.json).", valueName: "dir"))
    var directories: [String]

    @Option(name: .long, help: ArgumentHelp("Output folder for the merged sweep.csv/json/md and plots (default sweep-merged).", valueName: "dir"))
    var out: String = "sweep-merged"

    @Option(name: .long, help: "What stdout gets: table, csv, json or markdown.")
    var format: SweepFormat = .table

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("give at least one shard folder") }
    }

    func run() throws {
        var rows: [String: SweepRow] = [:]
        var model = "model"
        for dir in directories {
            let file = "\(dir)/sweep.json"
            guard let data = FileManager.default.contents(atPath: file),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let items = object["rows"] as? [[String: Any]] else {
                throw CommandError.badInput("\(file): not a sweep result (expected the sweep.json of `mcusim sweep`)")
            }
            guard object["schema"] as? String == "mcusim.sweep/1" else {
                throw CommandError.badInput("\(file): schema \(object["schema"] as? String ?? "missing"), expected mcusim.sweep/1")
            }
            model = object["model"] as? String ?? model
            for item in items {
                do {
                    let row = try SweepRow.decode(item, file: file)
                    rows[row.configuration.id] = row
                } catch let error as SweepError {
                    throw CommandError.badInput(error.description)
                }
            }
        }
        var merged = rows.values.sorted { $0.configuration < $1.configuration }
        Pareto.mark(&merged)
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw CommandError.io("\(out): cannot create: \(error.localizedDescription)")
        }
        try SweepReport.write(merged, model: model, out: out, format: format)
    }
}

/// A progress bar on stderr when it is a terminal: configurations done, and how many came
/// from stored results.
final class SweepProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let enabled = ProgressLine.enabled
    private var reusedCount = 0
    private let start = Date()

    init(total: Int) {
        if enabled { FileHandle.standardError.write(Data("sweep: 0/\(total) configurations\r".utf8)) }
    }

    func update(done: Int, total: Int, reused: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if reused { reusedCount += 1 }
        guard enabled else { return }
        let width = 30, filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = String(format: "\rsweep [%@] %d/%d configurations (%d stored), %.0f s ", bar, done, total, reusedCount,
                          Date().timeIntervalSince(start))
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
