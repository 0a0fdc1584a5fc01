import Foundation
import MCUSim

/// Human-readable renderings: aligned tables with grouped digits.
enum TextReport {
    static func render(_ r: RunResult) -> String {
        let stop: String = {
            var s = r.stop.reason.rawValue
            if let code = r.stop.exitCode { s += " (code \(code))" }
            return s + ": " + r.stop.message
        }()
        let mips = r.wallSeconds > 0 ? Double(r.instructions) / r.wallSeconds / 1e6 : 0
        let rows: [[String]] = [
            ["board", "\(r.board.name) (\(r.board.core.rawValue), \(megahertz(r.board.clockHz)))"],
            ["firmware", "\(r.firmwarePath)"],
            ["  flash", "\(grouped(r.flashBytes)) B"],
            ["  static sram", "\(grouped(r.sramStaticBytes)) B"],
            ["boot", "\(r.boot.path.rawValue), sp \(hexAddress(r.boot.initialSP)), pc \(hexAddress(r.boot.resetPC))"],
            ["stop", stop],
            ["instructions", grouped(r.instructions)],
            ["cycles", "\(grouped(r.timing.cycles)) (CPI \(String(format: "%.3f", r.timing.cpi)), model \(r.timing.model))"],
            ["time", String(format: "%.6f s at %@", r.timing.seconds, megahertz(r.board.clockHz))],
            ["host", String(format: "%.3f s, %.1f MIPS", r.wallSeconds, mips)],
        ]
        var out = "── mcusim run ──\n" + table(rows, header: false)
        out += "\n" + memory(r)
        let classes = r.timing.byClass.sorted { $0.cycles > $1.cycles }
        if !classes.isEmpty {
            var t = [["class", "instructions", "cycles", "share"]]
            for c in classes {
                let share = r.timing.cycles == 0 ? 0 : Double(c.cycles) * 100 / Double(r.timing.cycles)
                t.append([c.name, grouped(c.instructions), grouped(c.cycles), String(format: "%.1f%%", share)])
            }
            // Memory stalls are charged apart from the instructions that suffered them.
            for (name, stall) in [("fetch wait states", r.timing.fetchStallCycles), ("data wait states", r.timing.dataStallCycles)] where stall > 0 {
                let share = Double(stall) * 100 / Double(max(r.timing.cycles, 1))
                t.append([name, "", grouped(stall), String(format: "%.1f%%", share)])
            }
            out += "\n" + table(t)
        }
        return out
    }

    /// The top functions by self cycles, with inclusive figures and energy.
    static func profile(_ r: RunResult, top: Int) -> String {
        let total = max(r.timing.cycles, 1)
        var rows = [["function", "calls", "instructions", "self cycles", "self %", "cycles", "self pJ", "pJ"]]
        for f in r.functions.prefix(top) {
            rows.append([f.name, grouped(f.calls), grouped(f.instructions), grouped(f.selfCycles),
                         String(format: "%.1f", Double(f.selfCycles) * 100 / Double(total)), grouped(f.cycles),
                         r.energy == nil ? "-" : picojoules(f.selfEnergyPJ),
                         r.energy == nil ? "-" : picojoules(f.energyPJ)])
        }
        return "── top \(min(top, r.functions.count)) functions by self cycles ──\n" + table(rows)
    }

    static func render(_ b: Board) -> String {
        var rows: [[String]] = [
            ["name", b.name], ["description", b.description], ["core", b.core.rawValue],
            ["clock", "\(megahertz(b.clockHz)) (\(grouped(b.clockHz)) Hz)"], ["boot address", hexAddress(b.bootAddress)],
        ]
        if let c = b.console { rows.append(["console", "\(c.kind.rawValue) at \(hexAddress(c.base))"]) }
        if let c = b.instructionCache { rows.append(["instruction cache", "\(size(UInt64(c.sizeBytes))), \(c.lineBytes)-byte lines, \(c.ways) ways"]) }
        if let p = b.power {
            rows.append(["power", "\(p.activeMicroampsPerMHz) µA/MHz at \(p.supplyVolts) V, sleep \(p.sleepMicroamps) µA"])
        }
        if b.core.isArmv6M { rows.append(["multiplier", b.multiplier.rawValue]) }
        rows.append(["source", b.sourcePath])
        var out = table(rows, header: false) + "\n"
        let priced = b.regions.contains { $0.accessEnergyPJ != nil }
        var mem = [["region", "kind", "base", "end", "size", "wait states"] + (priced ? ["pJ/access"] : [])]
        for r in b.regions {
            mem.append([r.name, r.kind.rawValue, hexAddress(r.base), hexAddress(UInt32(truncatingIfNeeded: r.end - 1)),
                        size(UInt64(r.size)), String(r.waitStates)] + (priced ? [r.accessEnergyPJ.map { "\($0)" } ?? "table"] : []))
        }
        out += table(mem)
        return out
    }

    /// Traffic per region and the energy breakdown.
    static func memory(_ r: RunResult) -> String {
        var rows = [["region", "kind", "reads", "writes", "fetches", "stall cycles", "energy pJ"]]
        for reg in r.memory.regions where reg.traffic.reads + reg.traffic.writes + reg.traffic.fetches > 0 {
            let pj = r.energy?.regionPJ.first { $0.name == reg.region.name }.map { picojoules($0.pj) } ?? "-"
            rows.append([reg.region.name, reg.region.kind.rawValue, grouped(reg.traffic.reads), grouped(reg.traffic.writes),
                         grouped(reg.traffic.fetches), grouped(reg.traffic.stallCycles), pj])
        }
        var out = table(rows)
        out += "peak SRAM \(grouped(r.memory.peakSRAMBytes)) B (static \(grouped(r.memory.sramStaticBytes)), heap \(grouped(r.memory.heapPeakBytes)), stack \(grouped(r.memory.stackPeakBytes)))\n"
        if let e = r.energy {
            out += "\nenergy (\(e.model)): \(picojoules(e.totalPJ)) pJ per-operation\n"
            var erows = [["category", "pJ", "share"]]
            for c in e.byCategory.sorted(by: { $0.pj > $1.pj }) where c.pj > 0 {
                erows.append([c.name, picojoules(c.pj), String(format: "%.1f%%", c.pj * 100 / max(e.totalPJ, 1e-12))])
            }
            out += table(erows)
        }
        if r.board.power != nil {
            let clock = Double(r.board.clockHz)
            let active = Double(r.timing.cycles - min(r.sleepCycles, r.timing.cycles)) / clock
            let sleep = Double(r.sleepCycles) / clock
            let p = r.board.power!
            let uj = p.activeMicroampsPerMHz * clock / 1e6 * p.supplyVolts * active + p.sleepMicroamps * p.supplyVolts * sleep
            out += String(format: "whole-chip estimate: %.3f µJ (active %.6f s, sleep %.6f s, from the board's datasheet power)\n", uj, active, sleep)
        }
        return out
    }

    static func megahertz(_ hz: UInt64) -> String {
        hz % 1_000_000 == 0 ? "\(hz / 1_000_000) MHz" : String(format: "%.3f MHz", Double(hz) / 1e6)
    }

    static func size(_ bytes: UInt64) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(grouped(bytes)) B"
    }

    /// An energy in pJ with one decimal and the integer part grouped like the counts (106,406.6).
    static func picojoules(_ pj: Double) -> String {
        guard pj.isFinite, abs(pj) < 1e18 else { return String(format: "%.1f", pj) }
        let tenths = UInt64((abs(pj) * 10).rounded())
        return (pj < 0 && tenths > 0 ? "-" : "") + grouped(tenths / 10) + "." + String(tenths % 10)
    }

    /// An energy in whole pJ, grouped (7,063,529), for tables where a decimal is noise.
    static func wholePicojoules(_ pj: Double) -> String {
        guard pj.isFinite, abs(pj) < 1e18 else { return String(format: "%.0f", pj) }
        let whole = UInt64(abs(pj).rounded())
        return (pj < 0 && whole > 0 ? "-" : "") + grouped(whole)
    }

    static func grouped(_ n: UInt64) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0, (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// Left-aligned columns, numbers right-aligned; a rule under the header row.
    static func table(_ rows: [[String]], header: Bool = true) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for (r, row) in rows.enumerated() {
            var line = ""
            for (i, cell) in row.enumerated() {
                let numeric = header && r > 0 && !cell.isEmpty && cell.allSatisfy { $0.isNumber || $0 == "," || $0 == "." }
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                line += (i == row.count - 1 && !numeric) ? cell : (numeric ? pad + cell : cell + pad)
                if i < row.count - 1 { line += "  " }
            }
            out += line + "\n"
            if header && r == 0 { out += widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out
    }
}
