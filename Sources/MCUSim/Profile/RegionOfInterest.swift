/// Regions of interest: firmware brackets the part it cares about (inference, say) with two
/// semihosting calls, and the report gives that part's figures apart from start-up.
///
/// Markers (ARM semihosting reserves operations 0x100-0x1FF for applications):
///   r0 = 0x100, r1 = pointer to a NUL-terminated name: begin the region
///   r0 = 0x101, r1 = the same name: end it
/// firmware/runtime/mcusim.h wraps them as mcusim_roi_begin("name") / mcusim_roi_end("name").
/// A region entered several times accumulates.
public struct RegionOfInterest: Sendable, Equatable {
    public var name: String
    public var entries: UInt64
    public var instructions: UInt64
    public var cycles: UInt64
    public var sleepCycles: UInt64
    /// Data reads and writes by memory kind inside the region.
    public var traffic: [MemoryKind: (reads: UInt64, writes: UInt64)]
    /// Per-operation energy inside the region (nil without a cost table).
    public var energyPJ: Double?

    public static func == (a: RegionOfInterest, b: RegionOfInterest) -> Bool {
        a.name == b.name && a.entries == b.entries && a.instructions == b.instructions && a.cycles == b.cycles
    }
}

/// Counter values at a marker.
struct CounterSnapshot {
    var instructions: UInt64
    var cycles: UInt64
    var sleepCycles: UInt64
    var regions: [RegionState]
    var fetches: [(region: Int, fetches: UInt64, misses: UInt64)]
    var events: [EnergyEvent: UInt64]
    var registerReads: UInt64
    var registerWrites: UInt64
}

extension MachineContext {
    static let roiBegin: UInt32 = 0x100
    static let roiEnd: UInt32 = 0x101

    func snapshot() -> CounterSnapshot {
        foldBlockCounts(summaries)
        var events: [EnergyEvent: UInt64] = [:]
        var reads = retiredRegisterReads, writes = retiredRegisterWrites
        for cls in InstructionClass.allCases where retiredExecutions[Int(cls.rawValue)] != 0 {
            events[EnergyAccounting.event(for: cls), default: 0] &+= retiredExecutions[Int(cls.rawValue)]
        }
        for slot in decodedSlots {
            let e = slot.pointee
            guard e.executions != 0, let cls = InstructionClass(rawValue: e.cls) else { continue }
            events[EnergyAccounting.event(for: cls), default: 0] &+= e.executions
            reads &+= e.executions &* UInt64(e.reads.nonzeroBitCount)
            writes &+= e.executions &* UInt64(e.writes.nonzeroBitCount)
        }
        let regionStates = (0..<board.regions.count).map { hot.pointee.regions.unsafelyUnwrapped[$0] }
        var fetches: [(region: Int, fetches: UInt64, misses: UInt64)] = []
        if let windows = hot.pointee.windows {
            for i in 0..<hot.pointee.windowCount { fetches.append((windows[i].region, windows[i].fetches, windows[i].fetchMisses)) }
        }
        return CounterSnapshot(instructions: hot.pointee.instructions, cycles: hot.pointee.cycles,
                               sleepCycles: hot.pointee.sleepCycles, regions: regionStates, fetches: fetches,
                               events: events, registerReads: reads, registerWrites: writes)
    }

    /// Services a region-of-interest marker; returns false for other operations.
    func handleRegionMarker(operation: UInt32, nameAddress: UInt32) -> Bool {
        guard operation == MachineContext.roiBegin || operation == MachineContext.roiEnd else { return false }
        let name = String(decoding: memory.readCString(nameAddress, limit: 256), as: UTF8.self)
        if operation == MachineContext.roiBegin {
            roiOpen[name] = snapshot()
            return true
        }
        guard let begin = roiOpen.removeValue(forKey: name) else { return true }
        let end = snapshot()
        var roi = regionsOfInterest[name] ?? RegionOfInterest(name: name, entries: 0, instructions: 0, cycles: 0,
                                                              sleepCycles: 0, traffic: [:], energyPJ: costTable == nil ? nil : 0)
        roi.entries += 1
        roi.instructions &+= end.instructions &- begin.instructions
        roi.cycles &+= end.cycles &- begin.cycles
        roi.sleepCycles &+= end.sleepCycles &- begin.sleepCycles
        // Traffic and events add up here; energy is priced once per region at the end of the run
        // (pricedRegionsOfInterest), so a marker costs a snapshot, not an energy report.
        var pending = roiUnpriced[name] ?? UnpricedEnergy(memory: MemoryReportDelta(board: board))
        for (i, region) in board.regions.enumerated() where region.kind.isMemory {
            let r = end.regions[i].reads &- begin.regions[i].reads
            let w = end.regions[i].writes &- begin.regions[i].writes
            let t = roi.traffic[region.kind] ?? (0, 0)
            roi.traffic[region.kind] = (t.reads &+ r, t.writes &+ w)
            pending.memory.add(region: i, begin: begin.regions[i], end: end.regions[i])
        }
        for (b, e) in zip(begin.fetches, end.fetches) {
            pending.memory.addFetch(region: e.region, fetches: e.fetches &- b.fetches, misses: e.misses &- b.misses)
        }
        for (event, count) in end.events { pending.events[event, default: 0] &+= count &- (begin.events[event] ?? 0) }
        pending.registerReads &+= end.registerReads &- begin.registerReads
        pending.registerWrites &+= end.registerWrites &- begin.registerWrites
        roiUnpriced[name] = pending
        regionsOfInterest[name] = roi
        return true
    }
}

/// What a region's entries did, summed, waiting to be priced at the end of the run.
struct UnpricedEnergy {
    var events: [EnergyEvent: UInt64] = [:]
    var registerReads: UInt64 = 0
    var registerWrites: UInt64 = 0
    var memory: MemoryReportDelta
}

extension MachineContext {
    /// The regions of interest with their per-operation energy priced from the summed counts.
    func pricedRegionsOfInterest() -> [RegionOfInterest] {
        regionsOfInterest.values.sorted { $0.name < $1.name }.map { roi in
            var roi = roi
            if let table = costTable, let pending = roiUnpriced[roi.name] {
                roi.energyPJ = EnergyAccounting.report(table: table, executions: pending.events, registerReads: pending.registerReads,
                                                       registerWrites: pending.registerWrites, memory: pending.memory.report(),
                                                       cache: board.instructionCache,
                                                       fetchBytes: board.core == .cortexM7 ? 8 : 4).totalPJ
            }
            return roi
        }
    }
}

/// The memory traffic between two snapshots, as a MemoryReport the energy model can price.
struct MemoryReportDelta {
    let board: Board
    var traffic: [Int: MemoryReport.Traffic] = [:]

    init(board: Board) { self.board = board }

    mutating func add(region i: Int, begin: RegionState, end: RegionState) {
        var t = traffic[i] ?? MemoryReport.Traffic()
        t.reads &+= end.reads &- begin.reads
        t.writes &+= end.writes &- begin.writes
        t.readBytes &+= end.readBytes &- begin.readBytes
        t.writeBytes &+= end.writeBytes &- begin.writeBytes
        t.readsByWidth[0] &+= end.readsByWidth.0 &- begin.readsByWidth.0
        t.readsByWidth[1] &+= end.readsByWidth.1 &- begin.readsByWidth.1
        t.readsByWidth[2] &+= end.readsByWidth.2 &- begin.readsByWidth.2
        t.readsByWidth[3] &+= end.readsByWidth.3 &- begin.readsByWidth.3
        t.writesByWidth[0] &+= end.writesByWidth.0 &- begin.writesByWidth.0
        t.writesByWidth[1] &+= end.writesByWidth.1 &- begin.writesByWidth.1
        t.writesByWidth[2] &+= end.writesByWidth.2 &- begin.writesByWidth.2
        t.writesByWidth[3] &+= end.writesByWidth.3 &- begin.writesByWidth.3
        traffic[i] = t
    }

    mutating func addFetch(region i: Int, fetches: UInt64, misses: UInt64) {
        var t = traffic[i] ?? MemoryReport.Traffic()
        t.fetches &+= fetches
        t.fetchMisses &+= misses
        traffic[i] = t
    }

    func report() -> MemoryReport {
        var regions: [MemoryReport.Region] = []
        for (i, region) in board.regions.enumerated() where region.kind.isMemory {
            regions.append(.init(region: region, traffic: traffic[i] ?? MemoryReport.Traffic()))
        }
        var byKind: [(kind: MemoryKind, traffic: MemoryReport.Traffic)] = []
        for kind in MemoryKind.allCases where kind.isMemory && board.regions.contains(where: { $0.kind == kind }) {
            var t = MemoryReport.Traffic()
            for r in regions where r.region.kind == kind { t.add(r.traffic) }
            byKind.append((kind, t))
        }
        return MemoryReport(regions: regions, byKind: byKind, fetches: regions.reduce(0) { $0 &+ $1.traffic.fetches },
                            flashBytes: 0, sramStaticBytes: 0, dramStaticBytes: 0, stackPeakBytes: 0, heapPeakBytes: 0,
                            peakSRAMBytes: 0, mmioAccesses: [])
    }
}
