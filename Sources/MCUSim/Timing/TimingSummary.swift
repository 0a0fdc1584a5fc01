/// The cycle model's results for a run.
public struct TimingSummary: Sendable, Equatable {
    public struct ClassCycles: Sendable, Equatable {
        public var name: String
        public var instructions: UInt64
        public var cycles: UInt64
    }

    /// Timing model name and version, e.g. "cortex-m4/1".
    public var model: String
    public var cycles: UInt64
    public var clockHz: UInt64
    public var instructions: UInt64
    public var byClass: [ClassCycles]
    /// Cycles lost to instruction fetch from wait-stated memory (cache misses).
    public var fetchStallCycles: UInt64
    /// Cycles lost to data wait states (flash, external DRAM).
    public var dataStallCycles: UInt64
    public var cacheHits: UInt64
    public var cacheMisses: UInt64
    /// Distinct instruction addresses decoded (each once).
    public var decodedAddresses: UInt64
    /// Core-register operands read and written, summed over executed instructions.
    public var registerReads: UInt64
    public var registerWrites: UInt64

    public var seconds: Double { clockHz == 0 ? 0 : Double(cycles) / Double(clockHz) }
    public var cpi: Double { instructions == 0 ? 0 : Double(cycles) / Double(instructions) }
}
