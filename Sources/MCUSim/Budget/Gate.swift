import Foundation

/// One checked limit or baseline comparison.
public struct GateCheck: Sendable, Equatable {
    public enum Kind: String, Sendable { case budget, baseline }
    public var kind: Kind
    /// Dotted metric name, e.g. `cycles`, `regions_of_interest.inference.energy_uj`.
    public var metric: String
    /// The limit (budget) or the baseline value.
    public var reference: Double
    public var actual: Double
    /// Baseline comparisons: the allowed relative increase in percent.
    public var tolerancePercent: Double
    public var passed: Bool

    public var excess: Double { actual - reference }
}

/// Evaluates an `mcusim.run/1` report against a budget and a baseline report.
public enum Gate {
    /// The report's figures under the budget's metric names.
    public static func metrics(of report: [String: Any]) -> [String: Double] {
        func number(_ v: Any?) -> Double? { (v as? NSNumber)?.doubleValue }
        func object(_ v: Any?) -> [String: Any]? { v as? [String: Any] }
        var m: [String: Double] = [:]
        m["cycles"] = number(report["cycles"])
        m["seconds"] = number(report["seconds"])
        m["latency_ms"] = number(report["seconds"]).map { $0 * 1000 }
        m["instructions"] = number(report["instructions"])
        let energy = object(report["energy"])
        m["energy_uj"] = number(energy?["total_pj"]).map { $0 / 1e6 }
        m["chip_energy_uj"] = number(energy?["chip_estimate_uj"])
        m["flash_bytes"] = number(object(report["firmware"])?["flash_bytes"])
        let memory = object(report["memory"])
        m["sram_peak_bytes"] = number(memory?["peak_sram_bytes"])
        if let dram = object(object(memory?["by_kind"])?["dram"]) {
            m["dram_accesses"] = (number(dram["reads"]) ?? 0) + (number(dram["writes"]) ?? 0)
        } else if memory != nil {
            m["dram_accesses"] = 0
        }
        let clock = number(report["clock_hz"]) ?? 0
        for (name, value) in object(report["regions_of_interest"]) ?? [:] {
            guard let r = object(value) else { continue }
            let prefix = "regions_of_interest.\(name)."
            m[prefix + "cycles"] = number(r["cycles"])
            m[prefix + "instructions"] = number(r["instructions"])
            m[prefix + "seconds"] = number(r["seconds"]) ?? (clock > 0 ? number(r["cycles"]).map { $0 / clock } : nil)
            m[prefix + "latency_ms"] = m[prefix + "seconds"].map { $0 * 1000 }
            m[prefix + "energy_uj"] = number(r["energy_pj"]).map { $0 / 1e6 }
        }
        for case let f as [String: Any] in (report["functions"] as? [Any]) ?? [] {
            guard let name = f["name"] as? String else { continue }
            let prefix = "functions.\(name)."
            m[prefix + "cycles"] = number(f["cycles"])
            m[prefix + "self_cycles"] = number(f["self_cycles"])
            m[prefix + "instructions"] = number(f["instructions"])
            m[prefix + "calls"] = number(f["calls"])
            m[prefix + "energy_uj"] = number(f["energy_pj"]).map { $0 / 1e6 }
            m[prefix + "self_energy_uj"] = number(f["self_energy_pj"]).map { $0 / 1e6 }
        }
        return m
    }

    /// Reads and checks a report file: JSON with `"schema": "mcusim.run/1"`.
    public static func loadReport(path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimulatorError.badReport(path: path, reason: "cannot read the report")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SimulatorError.badReport(path: path, reason: "not a JSON object")
        }
        guard let schema = object["schema"] as? String, schema.hasPrefix("mcusim.run/") else {
            throw SimulatorError.badReport(path: path, reason: "not an mcusim run report (no \"schema\": \"mcusim.run/1\")")
        }
        return object
    }

    /// Budget limits: every limit must name a figure the report has; a missing one is a failure
    /// (a budget on a region the firmware no longer marks must not pass silently).
    public static func check(metrics: [String: Double], budget: Budget) -> [GateCheck] {
        var checks: [GateCheck] = []
        func add(_ metric: String, _ limit: Double) {
            let actual = metrics[metric]
            checks.append(GateCheck(kind: .budget, metric: metric, reference: limit, actual: actual ?? .nan,
                                    tolerancePercent: 0, passed: actual.map { $0 <= limit } ?? false))
        }
        for (metric, limit) in budget.limits.sorted(by: { $0.key < $1.key }) { add(metric, limit) }
        for (name, limits) in budget.regions.sorted(by: { $0.key < $1.key }) {
            for (metric, limit) in limits.sorted(by: { $0.key < $1.key }) { add("regions_of_interest.\(name).\(metric)", limit) }
        }
        for (name, limits) in budget.functions.sorted(by: { $0.key < $1.key }) {
            for (metric, limit) in limits.sorted(by: { $0.key < $1.key }) { add("functions.\(name).\(metric)", limit) }
        }
        return checks
    }

    /// Baseline: every top-level and region metric both reports have; worse by more than the
    /// tolerance fails. Function figures are left to explicit budgets (names come and go).
    public static func compare(metrics: [String: Double], baseline: [String: Double], tolerancePercent: Double) -> [GateCheck] {
        var checks: [GateCheck] = []
        for (metric, base) in baseline.sorted(by: { $0.key < $1.key }) where !metric.hasPrefix("functions.") {
            guard let actual = metrics[metric], base.isFinite, actual.isFinite else { continue }
            let allowed = base * (1 + tolerancePercent / 100)
            checks.append(GateCheck(kind: .baseline, metric: metric, reference: base, actual: actual,
                                    tolerancePercent: tolerancePercent, passed: actual <= allowed + 1e-12 * abs(allowed)))
        }
        return checks
    }
}
