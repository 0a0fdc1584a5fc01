/// Memory traffic by region and kind, fetches, and the static and dynamic footprint.
public struct MemoryReport: Sendable, Equatable {
    public struct Traffic: Sendable, Equatable {
        public var reads: UInt64 = 0
        public var writes: UInt64 = 0
        public var readBytes: UInt64 = 0
        public var writeBytes: UInt64 = 0
        /// Accesses by width in bytes: 1, 2, 4, 8.
        public var readsByWidth: [UInt64] = [0, 0, 0, 0]
        public var writesByWidth: [UInt64] = [0, 0, 0, 0]
        /// Instruction fetch words (4 bytes; 8 on the M7) and how many missed the cache.
        public var fetches: UInt64 = 0
        public var fetchMisses: UInt64 = 0
        /// Data reads served by the cache.
        public var readCacheHits: UInt64 = 0
        public var stallCycles: UInt64 = 0

        mutating func add(_ o: Traffic) {
            reads &+= o.reads; writes &+= o.writes; readBytes &+= o.readBytes; writeBytes &+= o.writeBytes
            for i in 0..<4 { readsByWidth[i] &+= o.readsByWidth[i]; writesByWidth[i] &+= o.writesByWidth[i] }
            fetches &+= o.fetches; fetchMisses &+= o.fetchMisses; readCacheHits &+= o.readCacheHits
            stallCycles &+= o.stallCycles
        }
    }

    public struct Region: Sendable, Equatable {
        public var region: MemoryRegion
        public var traffic: Traffic
    }

    public var regions: [Region]
    /// Per kind, in MemoryKind order, only kinds the board has.
    public var byKind: [(kind: MemoryKind, traffic: Traffic)]
    public var fetches: UInt64
    public var flashBytes: UInt64
    public var sramStaticBytes: UInt64
    public var dramStaticBytes: UInt64
    /// Deepest stack use: initial SP minus the lowest SP-relative store.
    public var stackPeakBytes: UInt64
    /// Highest heap address stored to, above the linker's `end`.
    public var heapPeakBytes: UInt64
    /// Static SRAM plus heap and stack high-water marks.
    public var peakSRAMBytes: UInt64
    /// MMIO accesses per board mmio region (the Cortex-M system space is not listed).
    public var mmioAccesses: [(window: String, reads: UInt64, writes: UInt64)]

    public static func == (a: MemoryReport, b: MemoryReport) -> Bool {
        a.regions == b.regions && a.fetches == b.fetches && a.peakSRAMBytes == b.peakSRAMBytes
            && a.stackPeakBytes == b.stackPeakBytes && a.heapPeakBytes == b.heapPeakBytes
    }

    public func traffic(of kind: MemoryKind) -> Traffic {
        byKind.first { $0.kind == kind }?.traffic ?? Traffic()
    }
}

/// One function's share of the run, from the per-instruction counters (self) and the call
/// profiler (calls, inclusive).
public struct FunctionProfile: Sendable, Equatable {
    public var name: String
    public var address: UInt32
    public var calls: UInt64
    public var instructions: UInt64
    /// Cycles of its own instructions, including their memory stalls.
    public var selfCycles: UInt64
    /// Cycles from entry to return, callees included (outermost activation of recursion).
    public var cycles: UInt64
    public var memoryAccesses: UInt64
    public var memoryEnergyPJ: Double
    public var selfEnergyPJ: Double
    public var energyPJ: Double
}

/// A calling context (outermost function first) with its self cycles and energy.
public struct StackSample: Sendable, Equatable {
    public var stack: [String]
    public var cycles: UInt64
    public var energyPJ: Double
}

/// A closed call for the trace: function, start and end cycle, nesting depth.
public struct CallSpan: Sendable, Equatable {
    public var name: String
    public var start: UInt64
    public var end: UInt64
    public var depth: Int
}
