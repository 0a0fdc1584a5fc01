import Foundation

/// A CI budget: limits on a run's figures, as a YAML file (docs/gate.md). Every metric is
/// "lower is better"; a limit is broken when the run's value is above it.
public struct Budget: Sendable, Equatable {
    /// Top-level limits by metric name (see `Budget.topLevelMetrics`).
    public var limits: [String: Double]
    /// Limits per region of interest: name → metric → limit.
    public var regions: [String: [String: Double]]
    /// Limits per function: name → metric → limit.
    public var functions: [String: [String: Double]]
    public var sourcePath: String

    public static let topLevelMetrics = ["cycles", "seconds", "latency_ms", "energy_uj", "chip_energy_uj", "flash_bytes",
                                         "sram_peak_bytes", "dram_accesses", "instructions"]
    public static let regionMetrics = ["cycles", "instructions", "seconds", "latency_ms", "energy_uj"]
    public static let functionMetrics = ["cycles", "self_cycles", "instructions", "calls", "energy_uj", "self_energy_uj"]

    static let makeError: @Sendable (String, String, String) -> Error = { file, key, problem in
        SimulatorError.badBudget(path: file, key: key, problem: problem)
    }

    public static func load(path: String) throws -> Budget {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimulatorError.badBudget(path: path, key: "", problem: "cannot read the budget file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SimulatorError.badBudget(path: path, key: "", problem: "not UTF-8 text")
        }
        return try parse(text: text, path: path)
    }

    public static func parse(text: String, path: String) throws -> Budget {
        var root = try DataFileNode.parse(text: text, file: path, makeError: makeError)
        let limits = try readLimits(&root, metrics: topLevelMetrics, skip: ["regions_of_interest", "functions"])
        var regions: [String: [String: Double]] = [:]
        var functions: [String: [String: Double]] = [:]
        for (key, metrics) in [("regions_of_interest", regionMetrics), ("functions", functionMetrics)] {
            guard var group = try root.mapping(key) else { continue }
            for name in group.keys {
                guard var node = try group.mapping(name) else { continue }
                let values = try readLimits(&node, metrics: metrics, skip: [])
                guard !values.isEmpty else { throw node.errorHere("no limits given") }
                try node.finish()
                if key == "functions" { functions[name] = values } else { regions[name] = values }
            }
            try group.finish()
        }
        try root.finish()
        guard !limits.isEmpty || !regions.isEmpty || !functions.isEmpty else {
            throw SimulatorError.badBudget(path: path, key: "", problem: "the budget sets no limits")
        }
        return Budget(limits: limits, regions: regions, functions: functions, sourcePath: path)
    }

    /// Numbers (sizes with KiB/MiB for byte limits); unknown keys are left for `finish()`.
    static func readLimits(_ node: inout DataFileNode, metrics: [String], skip: Set<String>) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for metric in metrics where node.has(metric) {
            let value: Double
            if metric.hasSuffix("_bytes") || metric == "cycles" || metric == "instructions" || metric == "dram_accesses" {
                guard let v = try node.unsigned(metric) else { continue }
                value = Double(v)
            } else {
                guard let v = try node.double(metric) else { continue }
                guard v >= 0 else { throw node.error(metric, "must not be negative") }
                value = v
            }
            out[metric] = value
        }
        for key in node.keys where !metrics.contains(key) && !skip.contains(key) {
            throw node.error(key, "unknown limit; known: \(metrics.joined(separator: ", "))")
        }
        return out
    }
}
