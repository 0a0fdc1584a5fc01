import Foundation
import MCUSim

/// The result of one configuration: what it costs per inference on the simulator, and how
/// accurate it is where test data was given. A configuration that does not fit the board is a
/// row too, saying by how much.
public struct SweepRow: Sendable {
    public enum Status: Sendable, Equatable {
        case ok
        /// The linker's or the placement check's reason, e.g. "FLASH overflowed by 9,636 bytes".
        case doesNotFit(String)
        case failed(String)

        var name: String {
            switch self {
            case .ok: return "ok"
            case .doesNotFit: return "does-not-fit"
            case .failed: return "failed"
            }
        }

        var message: String? {
            switch self {
            case .ok: return nil
            case let .doesNotFit(m), let .failed(m): return m
            }
        }
    }

    public var configuration: SweepConfiguration
    /// Content hash of everything the result depends on (the cache and resume key).
    public var key: String
    public var status: Status
    public var accuracy: Double?
    public var flashBytes: UInt64?
    public var peakSRAMBytes: UInt64?
    public var cycles: UInt64?
    public var latencyMs: Double?
    /// Per-operation energy of one inference (the cost table), and the whole-chip estimate.
    public var energyUJ: Double?
    public var chipEnergyUJ: Double?
    public var dramAccesses: UInt64?
    public var macsExecuted: Int?
    public var macsDense: Int?
    public var weights: Int?
    public var nonzeros: Int?
    public var paretoEnergy: Bool?
    public var paretoLatency: Bool?

    public init(configuration: SweepConfiguration, key: String, status: Status) {
        self.configuration = configuration
        self.key = key
        self.status = status
    }

    /// Column names, shared by the CSV, the JSON rows and the Markdown table.
    public static let columns = ["board", "strategy", "sparsity", "finetune", "encoding", "quant", "status", "accuracy", "flash_bytes",
                                 "peak_sram_bytes", "cycles", "latency_ms", "energy_uj", "chip_energy_uj", "dram_accesses",
                                 "macs_executed", "macs_dense", "weights", "nonzeros", "pareto_energy", "pareto_latency", "note"]

    /// The row's cells as text (empty where unknown), in `columns` order.
    public var cells: [String] {
        func f(_ v: Double?, _ format: String) -> String { v.map { String(format: format, $0) } ?? "" }
        func i<T: BinaryInteger>(_ v: T?) -> String { v.map { "\($0)" } ?? "" }
        func b(_ v: Bool?) -> String { v.map { $0 ? "yes" : "no" } ?? "" }
        let c = configuration
        return [c.board, c.strategyLabel, f(c.sparsity, "%.4g"), c.finetune > 0 ? "\(c.finetune)" : "", c.encoding, c.quant, status.name, f(accuracy, "%.4f"), i(flashBytes),
                i(peakSRAMBytes), i(cycles), f(latencyMs, "%.4f"), f(energyUJ, "%.4f"), f(chipEnergyUJ, "%.4f"), i(dramAccesses),
                i(macsExecuted), i(macsDense), i(weights), i(nonzeros), b(paretoEnergy), b(paretoLatency), status.message ?? ""]
    }

    public var json: JSONValue {
        func d(_ v: Double?) -> JSONValue { v.map { .double(($0 * 1e9).rounded() / 1e9) } ?? .null }
        func u(_ v: UInt64?) -> JSONValue { v.map { .uint($0) } ?? .null }
        func n(_ v: Int?) -> JSONValue { v.map { .int(Int64($0)) } ?? .null }
        func b(_ v: Bool?) -> JSONValue { v.map { .bool($0) } ?? .null }
        let c = configuration
        return .object([
            ("key", .string(key)), ("board", .string(c.board)), ("strategy", .string(c.prune)), ("sparsity", d(c.sparsity)),
            ("finetune", .int(Int64(c.finetune))), ("dense_depthwise", .bool(c.denseDepthwise)),
            ("encoding", .string(c.encoding)), ("quant", .string(c.quant)), ("status", .string(status.name)),
            ("note", status.message.map { .string($0) } ?? .null), ("accuracy", d(accuracy)), ("flash_bytes", u(flashBytes)),
            ("peak_sram_bytes", u(peakSRAMBytes)), ("cycles", u(cycles)), ("latency_ms", d(latencyMs)), ("energy_uj", d(energyUJ)),
            ("chip_energy_uj", d(chipEnergyUJ)), ("dram_accesses", u(dramAccesses)), ("macs_executed", n(macsExecuted)),
            ("macs_dense", n(macsDense)), ("weights", n(weights)), ("nonzeros", n(nonzeros)),
            ("pareto_energy", b(paretoEnergy)), ("pareto_latency", b(paretoLatency)),
        ])
    }

    /// A row back from its JSON (a resumed run or a shard being merged).
    public static func decode(_ object: [String: Any], file: String) throws -> SweepRow {
        func str(_ k: String) throws -> String {
            guard let v = object[k] as? String else { throw SweepError.badResults(file, "a row has no \(k)") }
            return v
        }
        func dbl(_ k: String) -> Double? { (object[k] as? NSNumber)?.doubleValue }
        func u64(_ k: String) -> UInt64? { (object[k] as? NSNumber)?.uint64Value }
        func int(_ k: String) -> Int? { (object[k] as? NSNumber)?.intValue }
        let config = SweepConfiguration(board: try str("board"), prune: try str("strategy"), sparsity: dbl("sparsity"),
                                        encoding: try str("encoding"), quant: try str("quant"), finetune: int("finetune") ?? 0,
                                        denseDepthwise: object["dense_depthwise"] as? Bool ?? false)
        let note = object["note"] as? String ?? ""
        let status: Status
        switch try str("status") {
        case "ok": status = .ok
        case "does-not-fit": status = .doesNotFit(note)
        default: status = .failed(note)
        }
        var row = SweepRow(configuration: config, key: try str("key"), status: status)
        row.accuracy = dbl("accuracy")
        row.flashBytes = u64("flash_bytes")
        row.peakSRAMBytes = u64("peak_sram_bytes")
        row.cycles = u64("cycles")
        row.latencyMs = dbl("latency_ms")
        row.energyUJ = dbl("energy_uj")
        row.chipEnergyUJ = dbl("chip_energy_uj")
        row.dramAccesses = u64("dram_accesses")
        row.macsExecuted = int("macs_executed")
        row.macsDense = int("macs_dense")
        row.weights = int("weights")
        row.nonzeros = int("nonzeros")
        return row
    }
}

/// The Pareto frontiers: a row is on one when no other row is at least as accurate and at
/// least as cheap, and strictly better in one of the two. Rows without an accuracy (no test
/// data) or that did not run get nil.
public enum Pareto {
    public static func mark(_ rows: inout [SweepRow]) {
        func frontier(_ cost: (SweepRow) -> Double?) -> [Bool?] {
            rows.map { r -> Bool? in
                guard r.status == .ok, let a = r.accuracy, let c = cost(r) else { return nil }
                return !rows.contains { o in
                    guard o.status == .ok, let oa = o.accuracy, let oc = cost(o) else { return false }
                    return oa >= a && oc <= c && (oa > a || oc < c)
                }
            }
        }
        let energy = frontier(\.energyUJ), latency = frontier(\.latencyMs)
        for i in rows.indices {
            rows[i].paretoEnergy = energy[i]
            rows[i].paretoLatency = latency[i]
        }
    }
}
