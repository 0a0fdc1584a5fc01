/// The per-operation energy of a run: counted events times the cost table, computed after
/// the run from the counters the hooks kept (never in a hook). docs/energy.md lists every
/// charge and its reasoning.
public struct EnergyReport: Sendable, Equatable {
    /// The cost table's name.
    public var model: String
    public var totalPJ: Double
    /// Event category to pJ, in a fixed order: operations, register file, memory, fetch.
    public var byCategory: [(name: String, pj: Double)]
    /// Data-access energy per memory kind.
    public var memoryPJ: [(kind: MemoryKind, pj: Double)]
    /// Data-access energy per board region, in the memory report's region order (regions of
    /// one kind add up to that kind's `memoryPJ`).
    public var regionPJ: [(name: String, pj: Double)] = []
    public var fetchPJ: Double

    public static func == (a: EnergyReport, b: EnergyReport) -> Bool {
        a.model == b.model && a.totalPJ == b.totalPJ && a.byCategory.map(\.name) == b.byCategory.map(\.name)
            && a.byCategory.map(\.pj) == b.byCategory.map(\.pj)
    }
}

enum EnergyAccounting {
    /// The event an instruction class is charged as (docs/energy.md, "Instructions").
    static func event(for cls: InstructionClass) -> EnergyEvent {
        switch cls {
        case .branch, .branchLink, .branchExchange, .tableBranch: return .branch
        case .multiply: return .intMul
        case .multiplyAccumulate: return .intMAC
        case .multiplyLong: return .intMulLong
        case .divide: return .intDiv
        case .dsp: return .simdALU
        case .dspMAC: return .simdMAC
        case .fpAdd, .fpMisc, .fpMove: return .fpAdd
        case .fpMultiply: return .fpMul
        case .fpMAC: return .fpMAC
        case .fpDivide, .fpSqrt: return .fpDiv
        default: return .intALU
        }
    }

    /// Operation and register-file energy of one decoded entry over all its executions, in pJ.
    static func operationEnergy(_ e: DecodedInstruction, table: CostTable) -> Double {
        guard let cls = InstructionClass(rawValue: e.cls) else { return 0 }
        let perExecution = (table.operations[event(for: cls)] ?? 0)
            + Double(e.reads.nonzeroBitCount) * (table.operations[.registerRead] ?? 0)
            + Double(e.writes.nonzeroBitCount) * (table.operations[.registerWrite] ?? 0)
        return Double(e.executions) * perExecution
    }

    static func report(table: CostTable, executions: [EnergyEvent: UInt64], registerReads: UInt64, registerWrites: UInt64,
                       memory: MemoryReport, cache: InstructionCacheSpec?, fetchBytes: Int = 4) -> EnergyReport {
        var categories: [(name: String, pj: Double)] = []
        var total = 0.0
        for event in EnergyEvent.allCases where event != .registerRead && event != .registerWrite {
            let pj = Double(executions[event] ?? 0) * (table.operations[event] ?? 0)
            categories.append((event.rawValue, pj))
            total += pj
        }
        let registers = Double(registerReads) * (table.operations[.registerRead] ?? 0)
            + Double(registerWrites) * (table.operations[.registerWrite] ?? 0)
        categories.append(("register_file", registers))
        total += registers
        var memoryByKind: [(kind: MemoryKind, pj: Double)] = []
        for (kind, _) in memory.byKind {
            // Per region: a board may price one region apart from the rest of its kind.
            let pj = memory.regions.filter { $0.region.kind == kind }
                .reduce(0.0) { $0 + Double(accessUnits($1.traffic)) * accessPJ($1.region, table: table) }
            memoryByKind.append((kind, pj))
            categories.append(("memory_\(kind.rawValue)", pj))
            total += pj
        }
        // MMIO accesses: one bus access each.
        let mmioAccesses = memory.mmioAccesses.reduce(UInt64(0)) { $0 &+ $1.reads &+ $1.writes }
        if mmioAccesses > 0 || !memory.mmioAccesses.isEmpty {
            let pj = Double(mmioAccesses) * (table.memory[.mmio] ?? 0)
            memoryByKind.append((.mmio, pj))
            categories.append(("memory_mmio", pj))
            total += pj
        }
        // Fetch: a cache hit costs a cache access; a miss adds the line fill from the backing
        // memory; uncached fetches cost one backing-memory access per fetch word.
        var fetch = 0.0
        // A 64-bit fetch word (M7) is two 32-bit accesses, like a 64-bit data access.
        let unitsPerFetch = Double(max(fetchBytes / 4, 1))
        for r in memory.regions where r.traffic.fetches > 0 {
            let backing = accessPJ(r.region, table: table)
            let wordsPerLine = Double(max((cache?.lineBytes ?? 4) / 4, 1))
            if cache != nil && (r.region.kind == .flash || r.region.kind == .rom) {
                fetch += unitsPerFetch * Double(r.traffic.fetches) * table.cacheAccess
                    + Double(r.traffic.fetchMisses) * wordsPerLine * backing
            } else {
                fetch += unitsPerFetch * Double(r.traffic.fetches) * backing
            }
        }
        categories.append(("instruction_fetch", fetch))
        total += fetch
        var report = EnergyReport(model: table.name, totalPJ: total, byCategory: categories, memoryPJ: memoryByKind, fetchPJ: fetch)
        // Memory regions only: MMIO windows are priced as a whole (memory_mmio).
        report.regionPJ = memory.regions.map { ($0.region.name, Double(accessUnits($0.traffic)) * accessPJ($0.region, table: table)) }
        return report
    }

    /// One access of up to 32 bits to `region`: its board override, else the table's figure for its kind.
    static func accessPJ(_ region: MemoryRegion, table: CostTable) -> Double {
        region.accessEnergyPJ ?? table.memory[region.kind] ?? 0
    }

    /// Charged data-access units: an access of up to 32 bits is one, a 64-bit access two.
    static func accessUnits(_ t: MemoryReport.Traffic) -> UInt64 {
        t.readsByWidth[0] &+ t.readsByWidth[1] &+ t.readsByWidth[2] &+ 2 &* t.readsByWidth[3]
            &+ t.writesByWidth[0] &+ t.writesByWidth[1] &+ t.writesByWidth[2] &+ 2 &* t.writesByWidth[3]
    }
}
