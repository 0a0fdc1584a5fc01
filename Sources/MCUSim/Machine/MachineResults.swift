/// Turning the hot counters into the report's memory, function and stack figures, after the run.
extension Machine {
    func memoryReport() -> MemoryReport {
        var regions: [MemoryReport.Region] = []
        for (i, region) in board.regions.enumerated() where region.kind.isMemory {
            let r = regionStates[i]
            var t = MemoryReport.Traffic()
            t.reads = r.reads; t.writes = r.writes; t.readBytes = r.readBytes; t.writeBytes = r.writeBytes
            t.readsByWidth = [r.readsByWidth.0, r.readsByWidth.1, r.readsByWidth.2, r.readsByWidth.3]
            t.writesByWidth = [r.writesByWidth.0, r.writesByWidth.1, r.writesByWidth.2, r.writesByWidth.3]
            t.readCacheHits = r.readCacheHits
            t.stallCycles = r.stallCycles
            for w in 0..<hot.pointee.windowCount where codeWindows[w].region == i {
                t.fetches &+= codeWindows[w].fetches
                t.fetchMisses &+= codeWindows[w].fetchMisses
            }
            regions.append(.init(region: region, traffic: t))
        }
        var byKind: [(kind: MemoryKind, traffic: MemoryReport.Traffic)] = []
        for kind in MemoryKind.allCases where kind.isMemory && board.regions.contains(where: { $0.kind == kind }) {
            var t = MemoryReport.Traffic()
            for r in regions where r.region.kind == kind { t.add(r.traffic) }
            byKind.append((kind, t))
        }
        // MMIO accesses arrive at the MMIO windows, not through the page-mapped regions.
        var mmio: [(window: String, reads: UInt64, writes: UInt64)] = []
        for (i, region) in board.regions.enumerated() where region.kind == .mmio {
            mmio.append((region.name, regionStates[i].reads, regionStates[i].writes))
        }
        let stackTop = hot.pointee.stackTop
        let lowest = hot.pointee.lowestStackWrite
        let stackPeak = lowest == .max || lowest >= stackTop ? 0 : UInt64(stackTop - lowest)
        let heapBase = hot.pointee.heapBase
        let heapPeak = hot.pointee.highestHeapWrite > heapBase ? UInt64(hot.pointee.highestHeapWrite - heapBase) : 0
        let sramStatic = image.staticBytes(on: board, kind: .sram)
        return MemoryReport(
            regions: regions, byKind: byKind, fetches: regions.reduce(0) { $0 &+ $1.traffic.fetches },
            flashBytes: image.flashBytes(on: board), sramStaticBytes: sramStatic,
            dramStaticBytes: image.staticBytes(on: board, kind: .dram),
            stackPeakBytes: stackPeak, heapPeakBytes: heapPeak,
            peakSRAMBytes: sramStatic &+ heapPeak &+ stackPeak, mmioAccesses: mmio)
    }

    /// Per-function self figures from the decoded entries, inclusive ones from the call
    /// profiler. `energyPerSlot` prices one entry's operations (nil without a cost table).
    func functionProfiles(energyOf: ((DecodedInstruction) -> Double)?, fetchPJ: Double) -> (functions: [FunctionProfile], stacks: [StackSample], spans: [CallSpan]) {
        let symbols = image.symbols.functions
        var instructions = [UInt64](repeating: 0, count: symbols.count)
        var selfCycles = [UInt64](repeating: 0, count: symbols.count)
        var memoryAccesses = [UInt64](repeating: 0, count: symbols.count)
        var memoryFJ = [UInt64](repeating: 0, count: symbols.count)
        var selfEnergy = [Double](repeating: 0, count: symbols.count)
        for slot in context.decodedSlots {
            let e = slot.pointee
            guard e.executions != 0 || e.cycles != 0, e.function != .max, Int(e.function) < symbols.count else { continue }
            let f = Int(e.function)
            instructions[f] &+= e.executions
            selfCycles[f] &+= e.cycles &+ e.stallCycles
            memoryAccesses[f] &+= e.memoryAccesses
            memoryFJ[f] &+= e.memoryEnergyFJ
            if let energyOf { selfEnergy[f] += energyOf(e) + Double(e.memoryEnergyFJ) / 1000 }
        }
        // Instruction-fetch energy is shared out by instructions executed (fetch words are not
        // kept per instruction), so self energies add up to the total.
        let totalInstructions = instructions.reduce(0, &+)
        if energyOf != nil, totalInstructions > 0 {
            for f in 0..<symbols.count { selfEnergy[f] += fetchPJ * Double(instructions[f]) / Double(totalInstructions) }
        }
        let profiler = context.profiler
        // A context's energy: its function's self energy in proportion to the cycles spent there.
        func energy(function f: Int, cycles: UInt64) -> Double {
            guard f >= 0, f < symbols.count, selfCycles[f] > 0 else { return 0 }
            return selfEnergy[f] * Double(cycles) / Double(selfCycles[f])
        }
        var stacks: [StackSample] = []
        var inclusiveEnergy = [Double](repeating: 0, count: symbols.count)
        for sample in profiler.collapsed() {
            guard let leaf = sample.stack.last else { continue }
            let e = energy(function: leaf, cycles: sample.cycles)
            stacks.append(StackSample(stack: sample.stack.map { $0 >= 0 && $0 < symbols.count ? symbols[$0].name : "[unknown]" },
                                      cycles: sample.cycles, energyPJ: e))
            for f in Set(sample.stack) where f >= 0 && f < symbols.count { inclusiveEnergy[f] += e }
        }
        stacks.sort { $0.stack.lexicographicallyPrecedes($1.stack) }
        var functions: [FunctionProfile] = []
        for (f, symbol) in symbols.enumerated() where instructions[f] != 0 || profiler.calls[f] != nil {
            functions.append(FunctionProfile(
                name: symbol.name, address: symbol.address, calls: profiler.calls[f] ?? 0, instructions: instructions[f],
                selfCycles: selfCycles[f], cycles: max(profiler.inclusive[f] ?? 0, selfCycles[f]),
                memoryAccesses: memoryAccesses[f], memoryEnergyPJ: Double(memoryFJ[f]) / 1000,
                selfEnergyPJ: selfEnergy[f], energyPJ: max(inclusiveEnergy[f], selfEnergy[f])))
        }
        functions.sort { ($0.selfCycles, $1.name) > ($1.selfCycles, $0.name) }
        let spans = profiler.spans.map { s in
            CallSpan(name: s.function >= 0 && s.function < symbols.count ? symbols[s.function].name : "[unknown]",
                     start: s.start, end: s.end, depth: s.depth)
        }
        return (functions, stacks, spans)
    }
}

extension Machine {
    /// Totals the energy events from the decoded entries (and retired ones) and prices them.
    func energyReport(table: CostTable, memory: MemoryReport) -> EnergyReport {
        var executions: [EnergyEvent: UInt64] = [:]
        var registerReads = context.retiredRegisterReads
        var registerWrites = context.retiredRegisterWrites
        for cls in InstructionClass.allCases where context.retiredExecutions[Int(cls.rawValue)] != 0 {
            executions[EnergyAccounting.event(for: cls), default: 0] &+= context.retiredExecutions[Int(cls.rawValue)]
        }
        for slot in context.decodedSlots {
            let e = slot.pointee
            guard e.executions != 0, let cls = InstructionClass(rawValue: e.cls) else { continue }
            executions[EnergyAccounting.event(for: cls), default: 0] &+= e.executions
            registerReads &+= e.executions &* UInt64(e.reads.nonzeroBitCount)
            registerWrites &+= e.executions &* UInt64(e.writes.nonzeroBitCount)
        }
        return EnergyAccounting.report(table: table, executions: executions, registerReads: registerReads,
                                       registerWrites: registerWrites, memory: memory, cache: board.instructionCache,
                                       fetchBytes: board.core == .cortexM7 ? 8 : 4)
    }
}
