import Foundation
import MCUGen
import MCUSimCommands
import MCUSweep
import MCUTestSupport
import Testing

/// `mcusim sweep`: the plan, the Pareto rule, and real sweeps of the digits MLP through the
/// command line (build, run, accuracy on the simulator, stored results, shards and merge).
@Suite struct SweepCommandTests {
    static let digits = "\(FixtureBuilder.repositoryRoot)/firmware/models/digits_mlp.json"
    static let data = "\(FixtureBuilder.repositoryRoot)/firmware/models/digits_data.npz"

    static func scratch(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mcusim-sweep-\(name)-\(UUID().uuidString)").path
    }

    static func rows(_ dir: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/sweep.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["schema"] as? String == "mcusim.sweep/1")
        return try #require(object["rows"] as? [[String: Any]])
    }

    @Test("the plan: dense once per board, N:M without sparsities, fine-tuning only for one-shot strategies")
    func plan() throws {
        let p = try SweepPlan(model: "m.tflite", data: nil, boards: ["max32660", "samd21"], prune: ["dense", "magnitude", "nm:2:4", "gmp"],
                              sparsity: [0.5, 0.9], encoding: ["auto"], quant: ["int8"], finetune: [0, 5])
        // Per board: dense 1, magnitude 2 sparsities x 2 fine-tunings = 4, nm:2:4 x 2 fine-tunings = 2, gmp 2 sparsities = 2.
        #expect(p.configurations.count == 2 * (1 + 4 + 2 + 2))
        #expect(p.configurations.filter { $0.prune == "gmp" }.allSatisfy { $0.finetune == 0 })
        #expect(p.configurations.filter { $0.prune == "nm:2:4" }.allSatisfy { $0.sparsity == nil })
        // Shards are disjoint, cover the plan, and keep its order.
        let shards = (1...3).map { p.shard($0, of: 3) }
        #expect(shards.flatMap { $0 }.sorted() == p.configurations)
        #expect(Set(shards[0]).isDisjoint(with: Set(shards[1])))
        #expect(throws: PruningError.self) { _ = try SweepPlan(model: "m", data: nil, boards: ["b"], prune: ["lottery"], sparsity: [0.5], encoding: [], quant: []) }
        #expect(throws: SweepError.self) { _ = try SweepPlan(model: "m", data: nil, boards: ["b"], prune: ["dense"], sparsity: [], encoding: [], quant: ["fp16"]) }
    }

    @Test("--dense-depthwise / dense_depthwise: a configuration of its own, labelled, kept through the stored JSON")
    func denseDepthwise() throws {
        let p = try SweepPlan(model: "m.tflite", data: nil, boards: ["max32660"], prune: ["dense", "magnitude", "nm:2:4"], sparsity: [0.9],
                              encoding: ["auto"], quant: ["int8"], denseDepthwise: true)
        let magnitude = try #require(p.configurations.first { $0.prune == "magnitude" })
        #expect(magnitude.denseDepthwise && magnitude.id.hasSuffix("|dense-dw") && magnitude.strategyLabel == "magnitude+dense-depthwise")
        #expect(p.configurations.first { $0.prune == "dense" }?.denseDepthwise == false)
        let row = SweepRow(configuration: magnitude, key: "k", status: .ok)
        #expect(row.cells[1] == "magnitude+dense-depthwise")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(row.json.serialized().utf8)) as? [String: Any])
        #expect(json["strategy"] as? String == "magnitude" && json["dense_depthwise"] as? Bool == true)
        #expect(try SweepRow.decode(json, file: "f").configuration == magnitude)
        // In a sweep file.
        let file = Self.scratch("dw") + ".yaml"
        try "model: m.tflite\nboards: [max32660]\nprune: [random]\nsparsity: [0.5]\ndense_depthwise: true\n".write(toFile: file, atomically: true,
                                                                                                                encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try SweepPlan.load(file: file).plan.configurations.map(\.denseDepthwise) == [true])
    }

    @Test("a sweep file with an unknown key is refused with the file and key")
    func badSweepFile() throws {
        let file = Self.scratch("file") + ".yaml"
        try "model: m.tflite\nboards: [max32660]\nprunes: [magnitude]\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = #expect(throws: SweepError.self) { _ = try SweepPlan.load(file: file) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("prunes"))
        #expect(CLI.status(["sweep", file]) == 64)
    }

    // Found by mutating a sweep file: these values trapped converting to Int.
    @Test("sweep-file numbers out of range are refused with the file and key", arguments: [
        ("finetune: [1e30]", "finetune: '1e30' is not a whole number"), ("finetune: [nan]", "finetune: 'nan' is not a whole number"),
        ("finetune: [2.5]", "finetune: '2.5' is not a whole number"),
        ("jobs: 18446744073709551615", "jobs: 18446744073709551615 is not from 1 to 1024"), ("jobs: 0", "jobs: 0 is not from 1 to 1024"),
    ])
    func badSweepNumbers(line: String, message: String) throws {
        let file = Self.scratch("numbers") + ".yaml"
        try "model: m.tflite\nboards: [max32660]\nprune: [dense]\n\(line)\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = #expect(throws: SweepError.self) { _ = try SweepPlan.load(file: file) }
        #expect("\(error.map { "\($0)" } ?? "")" == "\(file): \(message)")
        #expect(CLI.status(["sweep", file]) == 64)
    }

    // Found by fuzzing sweep files: values the plan's own rules refuse came out as
    // "mcusim: error: --sparsity nan: must be in [0, 1)", naming an option that was never given
    // and not the file it came from.
    @Test("sweep-file values the plan refuses name the file and the key, not a command-line option", arguments: [
        ("sparsity: [nan]", "sparsity nan: must be in [0, 1)"), ("sparsity: [1.5]", "sparsity 1.5: must be in [0, 1)"),
        ("prune: [nm:0:0]", "prune nm:0:0: N:M needs 1 <= N < M <= 16"),
        ("quant: [int4]", "quant int4: known quantizations are int8, int8-per-tensor"),
        ("finetune: [5000]", "finetune 5000: must be 0 to 1000 epochs"),
    ])
    func badSweepPlanValues(line: String, message: String) throws {
        let file = Self.scratch("plan") + ".yaml"
        try "model: m.tflite\nboards: [max32660]\nprune: [magnitude]\nsparsity: [0.5]\n\(line)\n"
            .replacingOccurrences(of: line.split(separator: ":")[0] + ": [magnitude]\n", with: "")
            .replacingOccurrences(of: line.split(separator: ":")[0] + ": [0.5]\n", with: "")
            .write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = #expect(throws: SweepError.self) { _ = try SweepPlan.load(file: file) }
        #expect("\(error.map { "\($0)" } ?? "")" == "\(file): \(message)")
        let outcome = CLI.run(["sweep", file])
        #expect(outcome.status == 64)
        // Only mcusim's lines: the capture also holds what the test runner writes meanwhile.
        #expect(outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("mcusim:") } == ["mcusim: error: \(file): \(message)"])
    }

    @Test("a sweep file naming an unknown board names the file and the key")
    func unknownBoardInSweepFile() throws {
        let file = Self.scratch("boards") + ".yaml"
        let model = FixtureBuilder.repositoryRoot + "/firmware/models/digits_mlp.json"
        try "model: \(model)\nboards: [bogus]\n".write(toFile: file, atomically: true, encoding: .utf8)
        let out = Self.scratch("boards-out")
        defer { try? FileManager.default.removeItem(atPath: file); try? FileManager.default.removeItem(atPath: out) }
        let outcome = CLI.run(["sweep", file, "--out", out])
        #expect(outcome.status == 65)
        let lines = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("mcusim:") }
        #expect(lines.count == 1 && lines.first?.hasPrefix("mcusim: error: \(file): boards: unknown board 'bogus'") == true, "\(lines)")
    }

    @Test("Pareto: a row is on the frontier unless another is at least as accurate and as cheap")
    func pareto() {
        func row(_ a: Double, _ e: Double) -> SweepRow {
            var r = SweepRow(configuration: SweepConfiguration(board: "b", prune: "p\(a)\(e)", sparsity: nil, encoding: "auto", quant: "int8"),
                             key: "k", status: .ok)
            r.accuracy = a
            r.energyUJ = e
            r.latencyMs = e
            return r
        }
        // (accuracy, energy): (0.9, 1) and (0.95, 2) and (0.99, 5) are on it; (0.9, 3) and (0.8, 2) are dominated.
        var rows = [row(0.9, 1), row(0.95, 2), row(0.99, 5), row(0.9, 3), row(0.8, 2)]
        Pareto.mark(&rows)
        #expect(rows.map(\.paretoEnergy) == [true, true, true, false, false])
    }

    @Test("a digits sweep: hand-counted MACs and nonzeros, accuracy on the simulator, plots, stored results reused")
    func digitsSweep() throws {
        let out = Self.scratch("digits")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let args = ["sweep", Self.digits, "--board", "max32660", "--prune", "dense,magnitude", "--sparsity", "0.9",
                    "--encoding", "csr16", "--data", Self.data, "--jobs", "2", "--out", out]
        #expect(CLI.status(args) == 0)
        let rows = try Self.rows(out)
        #expect(rows.count == 2)
        for file in ["sweep.csv", "sweep.md", "pareto-energy.svg", "pareto-latency.svg"] {
            #expect(FileManager.default.fileExists(atPath: "\(out)/\(file)"), "\(file) missing")
        }
        let dense = try #require(rows.first { $0["strategy"] as? String == "dense" })
        let pruned = try #require(rows.first { $0["strategy"] as? String == "magnitude" })
        // 64x32 + 32x10 weights; 90% of each layer pruned: 205 + 32 kept.
        #expect(dense["macs_dense"] as? Int == 2368 && dense["weights"] as? Int == 2368)
        #expect(pruned["nonzeros"] as? Int == 237 && pruned["macs_executed"] as? Int == 237)
        // Dense int8 accuracy: 353 of 360, as DigitsTests measures through the host reference.
        #expect(abs((dense["accuracy"] as? Double ?? 0) - 353.0 / 360) < 1e-9)
        // Cheaper, less accurate: both on the energy frontier.
        #expect((pruned["cycles"] as? Int ?? .max) < (dense["cycles"] as? Int ?? 0))
        #expect(dense["pareto_energy"] as? Bool == true && pruned["pareto_energy"] as? Bool == true)
        // A second run reuses both stored results: identical rows, no result file rewritten.
        let runs = try FileManager.default.contentsOfDirectory(atPath: "\(out)/runs")
        let before = try runs.map { try FileManager.default.attributesOfItem(atPath: "\(out)/runs/\($0)")[.modificationDate] as? Date }
        #expect(CLI.status(args) == 0)
        let after = try runs.map { try FileManager.default.attributesOfItem(atPath: "\(out)/runs/\($0)")[.modificationDate] as? Date }
        #expect(before == after)
        #expect(try Self.rows(out).map { $0["cycles"] as? Int } == rows.map { $0["cycles"] as? Int })
    }

    @Test("shards 1/2 and 2/2 merge into the rows of the whole sweep")
    func shardsMerge() throws {
        let base = Self.scratch("shards")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let common = ["sweep", Self.digits, "--board", "max32660", "--prune", "dense,magnitude,nm:2:4", "--sparsity", "0.75", "--jobs", "2"]
        #expect(CLI.status(common + ["--out", "\(base)/all"]) == 0)
        #expect(CLI.status(common + ["--out", "\(base)/s1", "--shard", "1/2"]) == 0)
        #expect(CLI.status(common + ["--out", "\(base)/s2", "--shard", "2/2"]) == 0)
        #expect(try Self.rows("\(base)/s1").count + Self.rows("\(base)/s2").count == 3)
        #expect(CLI.status(["sweep", "merge", "\(base)/s1", "\(base)/s2", "--out", "\(base)/merged"]) == 0)
        func key(_ r: [String: Any]) -> String { "\(r["strategy"] ?? "")|\(r["sparsity"] ?? "")" }
        let whole = Dictionary(uniqueKeysWithValues: try Self.rows("\(base)/all").map { (key($0), $0["cycles"] as? Int) })
        let merged = Dictionary(uniqueKeysWithValues: try Self.rows("\(base)/merged").map { (key($0), $0["cycles"] as? Int) })
        #expect(whole == merged)
        #expect(CLI.status(["sweep", "merge", "\(base)/nowhere"]) == 65)
        #expect(CLI.status(common + ["--shard", "3/2"]) == 64)
    }

    @Test("a configuration that does not fit the board is a row saying by how much")
    func doesNotFit() throws {
        let out = Self.scratch("fit")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let ad01 = URL(fileURLWithPath: FixtureBuilder.repositoryRoot).deletingLastPathComponent()
            .appendingPathComponent("shared/fixtures/mlperf-tiny/ad01_int8.tflite").path
        #expect(CLI.status(["sweep", ad01, "--board", "max32660", "--out", out]) == 0)
        let row = try #require(try Self.rows(out).first)
        #expect(row["status"] as? String == "does-not-fit")
        let note = row["note"] as? String ?? ""
        #expect(note.contains("overflowed by") && note.contains("bytes"), "\(note)")
    }
}
