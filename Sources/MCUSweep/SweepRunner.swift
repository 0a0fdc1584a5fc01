import Foundation
import MCUGen
import MCUSim

/// Runs a sweep's configurations in parallel. Each result is stored under DIR/runs/<key>.json,
/// where the key is a content hash of everything the result depends on (model and data bytes,
/// board file, kernel and runtime sources, the configuration): a repeated or interrupted sweep
/// reuses every stored result and runs only what is missing or changed. Firmware is built in
/// DIR/cache/<key>/, so a cached configuration's ELF stays inspectable.
public final class SweepRunner: @unchecked Sendable {
    public let plan: SweepPlan
    public let directory: String
    public let jobs: Int
    let model: Model
    let data: DataSet?
    let boards: [String: Board]
    let inputsHash: String
    let builder: FirmwareBuilder
    let costTable: CostTable?
    /// Bump when what a row measures changes, so stored results are not reused.
    static let resultVersion = "mcusim.sweep-row/1"

    public init(plan: SweepPlan, directory: String, jobs: Int, library: BoardLibrary?) throws {
        self.plan = plan
        self.directory = directory
        self.jobs = max(1, jobs)
        let loaded = try ModelLoader.load(path: plan.model)
        model = loaded
        let inputSize = loaded.inputs.first.flatMap(loaded.tensor)?.elementCount ?? 0
        data = try plan.data.map { try DataSet.load(path: $0, inputSize: inputSize) }
        var boards: [String: Board] = [:]
        var boardText = ""
        for name in Set(plan.configurations.map(\.board)).sorted() {
            let board = try BoardLibrary.resolve(name, library: library)
            boards[name] = board
            boardText += name + ":" + (SweepRunner.fileHash(board.sourcePath) ?? name) + ";"
        }
        self.boards = boards
        builder = FirmwareBuilder(toolchain: try Toolchain.locate())
        costTable = try? CostTable.defaultTable(library: library)
        // What every result depends on besides its configuration.
        var text = SweepRunner.resultVersion + "|tool:" + SweepRunner.executableIdentity
            + "|model:" + (SweepRunner.fileHash(plan.model) ?? plan.model)
        text += "|data:" + (plan.data.flatMap(SweepRunner.fileHash) ?? "none") + "|boards:" + boardText
        if let fw = Toolchain.firmwareDirectory() {
            for sub in ["kernels", "runtime"] {
                let files = ((try? FileManager.default.contentsOfDirectory(atPath: "\(fw)/\(sub)")) ?? []).sorted()
                for f in files { text += "|\(sub)/\(f):" + (SweepRunner.fileHash("\(fw)/\(sub)/\(f)") ?? "") }
            }
        }
        inputsHash = SHA256.hex(Array(text.utf8))
    }

    /// The running mcusim binary's size and modification time: a rebuilt mcusim (new kernels in
    /// the cost rule, say) does not reuse an older binary's results. Cheaper than hashing it.
    static var executableIdentity: String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
        guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { return path }
        let size = (a[.size] as? NSNumber)?.int64Value ?? 0
        let time = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(path):\(size):\(Int64(time))"
    }

    static func fileHash(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { SHA256.hex([UInt8]($0)) }
    }

    public func key(_ c: SweepConfiguration) -> String { String(SHA256.hex(Array((inputsHash + "|" + c.id).utf8)).prefix(24)) }

    /// Runs `configurations` (stored results first), calling `progress(done, total, reused)`.
    public func run(_ configurations: [SweepConfiguration], progress: @escaping @Sendable (Int, Int, Bool) -> Void) -> [SweepRow] {
        try? FileManager.default.createDirectory(atPath: "\(directory)/runs", withIntermediateDirectories: true)
        let results = Results(count: configurations.count)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = jobs
        for (i, c) in configurations.enumerated() {
            queue.addOperation { [self] in
                let (row, reused) = self.result(c)
                progress(results.store(row, at: i), configurations.count, reused)
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        let rows = results.rows
        var out = rows.compactMap { $0 }
        Pareto.mark(&out)
        return out
    }

    /// A stored result, or a fresh one (then stored).
    func result(_ c: SweepConfiguration) -> (SweepRow, Bool) {
        let k = key(c)
        let stored = "\(directory)/runs/\(k).json"
        if let data = FileManager.default.contents(atPath: stored),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let row = try? SweepRow.decode(object, file: stored) {
            return (row, true)
        }
        var row: SweepRow
        do {
            row = try measure(c, key: k)
        } catch let error as GeneratorError {
            row = SweepRow(configuration: c, key: k, status: SweepRunner.doesNotFit(error).map { .doesNotFit($0) } ?? .failed("\(error)"))
        } catch {
            row = SweepRow(configuration: c, key: k, status: .failed("\(error)"))
        }
        // Written whole, then renamed: an interrupted sweep never leaves half a result.
        try? row.json.serialized().write(toFile: stored, atomically: true, encoding: .utf8)
        return (row, false)
    }

    /// "FLASH overflowed by N bytes" from a link failure, or the placement check's reason.
    static func doesNotFit(_ error: GeneratorError) -> String? {
        let text = "\(error)"
        if let range = text.range(of: #"region `?'?([A-Za-z_]+)'? overflowed by [0-9]+ bytes"#, options: .regularExpression) {
            return String(text[range]).replacingOccurrences(of: "`", with: "").replacingOccurrences(of: "'", with: "")
        }
        if text.contains("does not fit") || text.contains("overflowed") { return text }
        return nil
    }

    func measure(_ c: SweepConfiguration, key: String) throws -> SweepRow {
        guard let board = boards[c.board] else { throw SweepError.badPlan("unknown board \(c.board)") }
        var options = CompressionOptions(data: data, perChannelWeights: c.quant != "int8-per-tensor")
        if c.prune != "dense" {
            options.prune = try PruningSpec.parse(c.prune, sparsity: c.prune.lowercased().hasPrefix("nm:") ? nil : c.sparsity,
                                                  denseDepthwise: c.denseDepthwise, finetuneEpochs: c.finetune)
            options.encoding = try EncodingChoice.parse(c.encoding)
        }
        if !ModelPreparation.needsQuantization(model), c.quant != "int8" {
            throw SweepError.badPlan("\(plan.model) is already int8: quant \(c.quant) needs a float model")
        }
        var compressed = try ModelCompression.prepare(model, file: plan.model, options: options, dsp: board.core.hasDSP)
        let dir = "\(directory)/cache/\(key)"
        if options.encoding == .measure {
            compressed.encodings = try EncodingMeasurement.choose(compressed, modelPath: plan.model, board: board,
                                                                  directory: dir + "/measure", builder: builder).encodings
        }
        let input = data?.test.first.map { AccuracyHarness.quantize($0.x, model: compressed.model) }
        let (elf, generated) = try builder.build(model: compressed.model, modelPath: plan.model, board: board, directory: dir,
                                                 input: input, encodings: compressed.encodings)
        let image = try ELFLoader.load(path: elf)
        var runOptions = RunOptions.generatedFirmware
        runOptions.costTable = costTable
        let result = try Machine(board: board, image: image, options: runOptions).run()
        guard result.stop.reason == .exit, let roi = result.regionsOfInterest.first(where: { $0.name == "inference" }) else {
            throw SweepError.badPlan("the firmware stopped: \(result.stop.message)")
        }
        var row = SweepRow(configuration: c, key: key, status: .ok)
        row.flashBytes = image.flashBytes(on: board)
        row.peakSRAMBytes = result.memory.peakSRAMBytes
        row.cycles = roi.cycles
        row.latencyMs = Double(roi.cycles) / Double(board.clockHz) * 1000
        row.energyUJ = roi.energyPJ.map { $0 / 1e6 }
        if let power = board.power {
            // µA/MHz × MHz × V × s = µJ, over the inference's active cycles.
            row.chipEnergyUJ = power.activeMicroampsPerMHz * Double(board.clockHz) / 1e6 * power.supplyVolts
                * Double(roi.cycles - min(roi.sleepCycles, roi.cycles)) / Double(board.clockHz)
        }
        row.dramAccesses = roi.traffic[.dram].map { $0.reads + $0.writes } ?? 0
        let layers = LayerSummary.make(compressed, generated: generated)
        row.macsExecuted = layers.reduce(0) { $0 + $1.executedMACs }
        row.macsDense = layers.reduce(0) { $0 + $1.denseMACs }
        row.weights = layers.reduce(0) { $0 + $1.weights }
        row.nonzeros = layers.reduce(0) { $0 + $1.nonzeros }
        if let test = data?.test, !test.isEmpty {
            let accuracy = try AccuracyHarness.run(compressed, test: test, modelPath: plan.model, board: board,
                                                   directory: dir + "/accuracy", builder: builder)
            row.accuracy = accuracy.simulatorAccuracy
        }
        return row
    }
}

/// The rows as the parallel runs finish, behind a lock.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [SweepRow?]
    private var done = 0

    init(count: Int) { stored = [SweepRow?](repeating: nil, count: count) }

    /// Stores a row; returns how many are done.
    func store(_ row: SweepRow, at index: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        stored[index] = row
        done += 1
        return done
    }

    var rows: [SweepRow?] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
