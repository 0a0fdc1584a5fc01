import ArgumentParser
import Foundation
import MCUGen
import MCUSim

/// `mcusim bench`: simulated MIPS of fixed workloads under each accounting level, side by
/// side in one process, so the cost of accounting is measured against bare Unicorn.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure simulation speed: fixed workloads under each accounting level, in one process.",
        discussion: """
        Builds the workloads in firmware/speed (and the int8 example), the bundled digits MLP \
        (its 360 test images) and CNN (90 of them), and the MLPerf Tiny KWS DS-CNN (when \
        ../shared/fixtures is there) \
        with arm-none-eabi-gcc, runs \
        each with no hooks (bare Unicorn); with empty hooks, a per-instruction (empty-hooks) or \
        per-block (empty-blocks) hook and a data-access hook that do nothing, which is \
        Unicorn's own cost of hooking and so the ceiling of any hook-based accounting; with the \
        cycle model only; with full accounting charged per instruction (run --no-block-charging); \
        with that plus a Chrome trace; and with full accounting charged per translation block \
        (the default of run), and prints \
        simulated MIPS: instructions of the \
        full run divided by host wall-clock seconds of each run. Each configuration's firmware \
        output must be identical; a mismatch fails the command. To profile one workload: \
        mcusim bench --workload kws-ds-cnn --keep DIR, then perf record mcusim run DIR/kws-ds-cnn.elf.
        """
    )

    @OptionGroup var boardOption: BoardOption

    @Option(name: .long, help: "Output format: text (a table) or json.")
    var format: OutputFormat = .text

    @Option(name: .long, help: ArgumentHelp("Also write the JSON results to this file.", valueName: "file"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("Repetitions per configuration; the fastest is kept.", valueName: "n"))
    var repeats: Int = 1

    @Option(name: .long, help: ArgumentHelp("Scale the workloads' pass counts (1 is about 5-50 M instructions each).", valueName: "factor"))
    var scale: Double = 1

    @Option(name: .long, parsing: .singleValue,
            help: ArgumentHelp("Run only this workload (repeatable): int8-matvec, memcpy, float-fir, branchy, digits-mlp, digits-cnn, kws-ds-cnn.",
                               valueName: "name"))
    var workload: [String] = []

    @Option(name: .long, help: ArgumentHelp("Keep the built firmware in this folder (<workload>.elf), to profile one run.", valueName: "dir"))
    var keep: String?

    static let workloadNames = ["int8-matvec", "memcpy", "float-fir", "branchy", "digits-mlp", "digits-cnn", "kws-ds-cnn"]

    func validate() throws {
        for name in workload where !Self.workloadNames.contains(name) {
            throw ValidationError("--workload \(name): no such workload (known: \(Self.workloadNames.joined(separator: ", ")))")
        }
        guard repeats >= 1, repeats <= 20 else { throw ValidationError("--repeats must be between 1 and 20") }
        guard scale > 0, scale <= 100 else { throw ValidationError("--scale must be in (0, 100]") }
    }

    struct Workload {
        let name: String
        /// A C source built with -DPASSES, or nil for a generated model (`model`).
        let source: String?
        let passes: Int
        var model: (path: String, samples: (Model) throws -> [[Int8]])?
    }

    enum Configuration: String, CaseIterable {
        case bare = "no-hooks", emptyHooks = "empty-hooks", emptyBlocks = "empty-blocks"
        case cycles = "cycles-only", full = "full", trace = "full+trace", blocks = "full-blocks"
    }

    func run() throws {
        let board = try boardOption.load()
        guard let firmware = Toolchain.firmwareDirectory() else { throw CommandError.io("cannot find the firmware/ folder") }
        let toolchain = try Toolchain.locate()
        let costs = try? CostTable.defaultTable(library: BoardLibrary.locate())
        var workloads = [
            Workload(name: "int8-matvec", source: "\(firmware)/examples/int8loop/main.c", passes: 640),
            Workload(name: "memcpy", source: "\(firmware)/speed/memcpy_loop.c", passes: 4000),
            Workload(name: "float-fir", source: "\(firmware)/speed/float_kernel.c", passes: 300),
            Workload(name: "branchy", source: "\(firmware)/speed/branchy.c", passes: 4000),
            // The generated inference firmware: digits over its test images, KWS on seeded inputs.
            Workload(name: "digits-mlp", source: nil, passes: 8, model: ("\(firmware)/models/digits_mlp.json", { model in
                let data = try DataSet.load(path: "\(firmware)/models/digits_data.npz", inputSize: 64)
                return data.test.map { AccuracyHarness.quantize($0.x, model: model) }
            })),
            Workload(name: "digits-cnn", source: nil, passes: 1, model: ("\(firmware)/models/digits_cnn.json", { model in
                let data = try DataSet.load(path: "\(firmware)/models/digits_data.npz", inputSize: 64)
                return data.test.prefix(90).map { AccuracyHarness.quantize($0.x, model: model) }
            })),
        ]
        let kws = (firmware as NSString).deletingLastPathComponent + "/../shared/fixtures/mlperf-tiny/kws_ref_model.tflite"
        if FileManager.default.fileExists(atPath: kws) {
            workloads.append(Workload(name: "kws-ds-cnn", source: nil, passes: 2, model: (kws, { model in
                (1...4).map { ModelCheck.randomInput(count: model.inputs.first.flatMap(model.tensor)?.elementCount ?? 0, seed: $0) }
            })))
        } else {
            FileHandle.standardError.write(Data("bench: \(kws) not found: no KWS workload\n".utf8))
        }
        if !workload.isEmpty { workloads.removeAll { !workload.contains($0.name) } }
        let dir = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-bench-\(getpid())-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw CommandError.io("\(dir): cannot create the folder: \(error.localizedDescription)")
        }
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: dir) } }

        /// Below scale 1 the generated workloads also run fewer samples (one pass is many instructions).
        func fewer(_ samples: [[Int8]]) -> [[Int8]] { scale >= 1 ? samples : Array(samples.prefix(max(1, Int(Double(samples.count) * scale)))) }

        var rows: [[String]] = [["workload", "instructions", "configuration", "seconds", "MIPS", "x no-hooks"]]
        var results: [JSONValue] = []
        for w in workloads {
            let elf = "\(dir)/\(w.name).elf"
            let passes = max(1, Int((Double(w.passes) * scale).rounded()))
            FileHandle.standardError.write(Data("bench: building \(w.name)\n".utf8))
            var image: FirmwareImage
            if let source = w.source {
                try toolchain.build(sources: [source], board: board, output: elf, extraFlags: ["-DPASSES=\(passes)"])
                image = try ELFLoader.load(path: elf)
            } else if let (path, samples) = w.model {
                let model = try ModelCompression.prepare(try ModelLoader.load(path: path), file: path, options: CompressionOptions(),
                                                         dsp: board.core.hasDSP).model
                let built = try FirmwareBuilder(toolchain: toolchain).build(
                    model: model, modelPath: path, board: board, directory: "\(dir)/\(w.name)",
                    mainSource: AccuracyHarness.loopSource(samples: fewer(try samples(model)), passes: passes))
                image = try ELFLoader.load(path: built.elf)
                if keep != nil {
                    try? FileManager.default.removeItem(atPath: elf)
                    try? FileManager.default.copyItem(atPath: built.elf, toPath: elf)
                }
            } else {
                continue
            }
            var seconds: [Configuration: Double] = [:]
            var outputs: [Configuration: [UInt8]] = [:]
            var instructions: UInt64 = 0
            for config in [Configuration.full, .cycles, .bare, .emptyHooks, .emptyBlocks, .trace, .blocks] {
                var best = Double.infinity
                for _ in 0..<repeats {
                    var options = RunOptions()
                    options.costTable = costs
                    options.instrumented = config != .bare
                    options.profiling = config == .full || config == .trace || config == .blocks
                    options.blockCharging = config == .blocks || config == .emptyBlocks
                    options.emptyHooks = config == .emptyHooks || config == .emptyBlocks
                    let machine = try Machine(board: board, image: image, options: options)
                    let started = DispatchTime.now()
                    let result = machine.run()
                    if config == .trace {
                        _ = ChromeTrace.render(result.spans, clockHz: board.clockHz, board: board.name, dropped: result.droppedSpans)
                    }
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
                    best = min(best, elapsed)
                    outputs[config] = result.stdout
                    if config == .full { instructions = result.instructions }
                    guard result.stop.reason == .exit else {
                        throw CommandError.badInput("bench: \(w.name) under \(config.rawValue) stopped: \(result.stop.message)")
                    }
                }
                seconds[config] = best
            }
            let reference = outputs[.full] ?? []
            for (config, out) in outputs where out != reference {
                throw CommandError.badInput("bench: \(w.name) printed different output under \(config.rawValue)")
            }
            var entries: [JSONValue] = []
            for config in Configuration.allCases {
                let s = seconds[config] ?? 0
                let mips = s > 0 ? Double(instructions) / s / 1e6 : 0
                let ratio = (seconds[.bare] ?? 0) > 0 ? s / (seconds[.bare] ?? 1) : 0
                rows.append([w.name, TextReport.grouped(instructions), config.rawValue, String(format: "%.3f", s),
                             String(format: "%.1f", mips), String(format: "%.2f", ratio)])
                entries.append(.object([("configuration", .string(config.rawValue)), ("seconds", .double((s * 1e6).rounded() / 1e6)),
                                        ("mips", .double((mips * 10).rounded() / 10)), ("slowdown_vs_no_hooks", .double((ratio * 100).rounded() / 100))]))
            }
            results.append(.object([("workload", .string(w.name)), ("instructions", .uint(instructions)),
                                    ("output", .string(String(decoding: reference, as: UTF8.self))), ("runs", .array(entries))]))
        }
        let json = JSONValue.object([("schema", .string("mcusim.bench/1")), ("board", .string(board.name)),
                                     ("repeats", .int(Int64(repeats))), ("workloads", .array(results))])
        if let output {
            do { try json.serialized().write(toFile: output, atomically: true, encoding: .utf8) } catch {
                throw CommandError.io("\(output): cannot write: \(error.localizedDescription)")
            }
        }
        switch format {
        case .json: print(json.serialized(), terminator: "")
        case .text: print(TextReport.table(rows), terminator: "")
        }
    }
}
