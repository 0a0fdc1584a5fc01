/// A window of host memory backing an executable guest region, with its decode table:
/// the hot hooks read instruction facts with a pointer dereference, never a Unicorn call.
struct CodeWindow {
    var base: UInt32
    var size: UInt32
    var host: UnsafeMutablePointer<UInt8>
    /// One entry per halfword of the window; zeroed (invalid) until first executed.
    var decoded: UnsafeMutablePointer<DecodedInstruction>
    /// One byte per 4 KiB page of the window: non-zero once code there was decoded, so that a
    /// store to a page that never held code skips the decode table.
    var codePages: UnsafeMutablePointer<UInt8>
    /// Extra cycles for an instruction fetch that misses (flash wait states); 0 for SRAM.
    var fetchWaitStates: UInt32
    /// Fetches go through the board's instruction cache.
    var fetchCached: Bool
    /// Index of the board region this window backs (for fetch counters).
    var region: Int
    /// Instruction fetch words from this window, and how many missed the cache.
    var fetches: UInt64 = 0
    var fetchMisses: UInt64 = 0
}

/// Per-region counters and timing, indexed through the page map. Issue-level accounting
/// (by kind, by width) builds on these.
struct RegionState {
    var waitStates: UInt32 = 0
    /// Data reads from this region go through the instruction cache (unified flash cache).
    var cachedReads: Bool = false
    /// With block charging, an access here first charges the instructions before it:
    /// peripherals (CYCCNT, timers) see the order. (Cached reads order themselves only
    /// against pending fetch lookups: `AccessOrder.cache`.)
    var chargesInOrder: Bool = false
    /// Energy of one data access of up to 32 bits here, in femtojoules (cost table).
    var accessEnergyFJ: UInt64 = 0
    /// Index of the code window for this region, or -1 (writes invalidate decoded code).
    var window: Int32 = -1
    var reads: UInt64 = 0
    var writes: UInt64 = 0
    var readBytes: UInt64 = 0
    var writeBytes: UInt64 = 0
    var stallCycles: UInt64 = 0
    /// Accesses by width: 1, 2, 4 and 8 bytes (an access of another size counts as 8).
    var readsByWidth: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    var writesByWidth: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// Data reads served by the cache.
    var readCacheHits: UInt64 = 0
}

/// Why the hot path asked Unicorn to stop. Stored as a plain integer so the hook does no
/// work beyond a store; the machine turns it into a `StopInfo` after `uc_emu_start` returns.
enum HotStop: UInt8 {
    case none = 0
    case instructionLimit
    case idleLoop
    case fpuDisabled
    case sleep
    /// An exception is to be taken before the instruction at `stopPC`.
    case exceptionEntry
    /// The block at `stopPC` cannot be charged from a summary exactly (IT block, division,
    /// an event or the limit ahead, ...): go on one instruction at a time from there.
    case switchToStepping
    /// Stepping has run long enough and the block at `stopPC` can be summarised again.
    case switchToBlocks
    /// The block `stopBlock` at `stopPC` needs a per-instruction hook over its range.
    case stepBlock
}

/// Everything the per-instruction and memory hooks touch, in one struct behind a raw
/// pointer: no ARC, no allocation, no dictionary on the hot path.
struct HotState {
    /// `previousSlot` must point at a zeroed entry (`noInstruction`) before the first instruction.
    init(noInstruction: UnsafeMutablePointer<DecodedInstruction>) {
        previousSlot = noInstruction
        self.noInstruction = noInstruction
    }
    /// A zeroed entry owned by the machine: the "previous instruction" before the first one,
    /// and the copy kept when the previous instruction's entry is retired (code overwritten).
    let noInstruction: UnsafeMutablePointer<DecodedInstruction>

    // Progress and limits.
    var instructions: UInt64 = 0
    var cycles: UInt64 = 0
    /// `cycles` when the current instruction began: what a CYCCNT read returns.
    var instructionStartCycles: UInt64 = 0
    var instructionLimit: UInt64 = .max
    var stop: HotStop = .none
    var stopPC: UInt32 = 0
    /// Mirrors CPACR CP10/CP11; while clear, FP instructions stop the run as on the chip.
    var fpuEnabled: Bool = false
    /// 1 + the register an `MRS Rd, CONTROL` just wrote (0: none): the event check that
    /// follows clears the SFPA bit Unicorn sets there (`MachineContext.fixControlRead`).
    var controlReadRegister: Int8 = 0

    // Code windows and the cold decoder.
    var windowCount: Int = 0
    var lastWindow: Int = 0
    var windows: UnsafeMutablePointer<CodeWindow>? = nil
    var context: UnsafeMutableRawPointer? = nil
    var uc: OpaquePointer? = nil

    var cycleModel: Bool = true
    /// Call stacks and per-instruction memory counters (RunOptions.profiling).
    var profiling: Bool = true
    // Timing-model parameters (copied from CoreTiming so the hook reads one struct).
    var pipelinesLoads: Bool = false
    var addressDependencyStall: UInt32 = 0
    var loadUseStall: UInt32 = 0
    var dualIssue: Bool = false
    var pairsNarrowBranch: Bool = false

    // Pipeline state carried from one instruction to the next: the decoded entry of the
    // instruction that ran last (its flags, registers and class are what the next one's cost
    // depends on), so moving on costs one store instead of copying its fields.
    var previousSlot: UnsafeMutablePointer<DecodedInstruction>
    var previousPaired: Bool = false
    var fpResultStall: UInt32 = 0
    var chainsIndexedLoadsOnDifferentBases: Bool = true
    /// IT block in progress: instructions left and the address of the next one.
    var itRemaining: UInt32 = 0
    var itNext: UInt32 = 0
    var pendingTakenExtra: UInt32 = 0
    var expectedNext: UInt32 = 0

    // Fetch: words of 1 << fetchShift bytes (4; 8 on the M7's 64-bit bus).
    var fetchShift: UInt32 = 2
    var lastFetchGranule: UInt32 = .max
    var cache: UnsafeMutablePointer<InstructionCache>? = nil
    var lastCacheLine: UInt32 = .max
    /// The cache epoch at which `lastCacheLine` was looked up, and the line fetched before it
    /// with its epoch: a loop that alternates between two lines skips both lookups while
    /// nothing else changed the cache (InstructionCache.epoch).
    var lastCacheLineEpoch: UInt64 = 0
    var otherCacheLine: UInt32 = .max
    var otherCacheLineEpoch: UInt64 = 0
    /// The line of the last data read through the cache, and the epoch after it.
    var lastDataLine: UInt32 = .max
    var lastDataLineEpoch: UInt64 = 0
    /// log2(cache line bytes / fetch word bytes).
    var cacheLineWordShift: UInt32 = 0

    // Stack and heap high-water marks, from the addresses stores reach.
    var stackLow: UInt32 = 0
    var stackTop: UInt32 = 0
    /// Lowest address an SP-relative store reached (the stack's high-water mark).
    var lowestStackWrite: UInt32 = .max
    var heapBase: UInt32 = 0
    /// Highest address a non-SP store reached between the heap base and the stack.
    var highestHeapWrite: UInt32 = 0

    /// The entry of the instruction executing now: data stalls are charged to it.
    var currentSlot: UnsafeMutablePointer<DecodedInstruction>? = nil
    /// Return address of the BL/BLX just executed, for the call profiler.
    var callReturnAddress: UInt32 = 0
    /// The conditional branch whose refill is pending.
    var pendingSlot: UnsafeMutablePointer<DecodedInstruction>? = nil

    // Counters for the report and the DWT profiling counters.
    var fetchStallCycles: UInt64 = 0
    /// Cycles spent asleep (WFI/WFE waiting for an event); part of `cycles`.
    var sleepCycles: UInt64 = 0
    /// Cycles of exception entry and return (DWT EXCCNT).
    var exceptionCycles: UInt64 = 0
    /// The cycle at which the system layer must look at pending events (SysTick reaching
    /// zero, an interrupt made pending); 0 means "before the next instruction".
    var nextEventCycle: UInt64 = .max
    var dataStallCycles: UInt64 = 0
    /// Cycles beyond the first of multi-cycle non-memory instructions, plus fetch stalls (DWT CPICNT).
    var cpiExtra: UInt64 = 0
    /// Cycles beyond the first of load/store instructions, plus data wait states (DWT LSUCNT).
    var lsuExtra: UInt64 = 0

    // Block-level charging (BlockHooks.swift): the block being executed, how many of its
    // instructions are charged so far, how many will run, and the data access counter that
    // tells which instruction a memory callback belongs to (Unicorn does not sync the PC).
    var blockMode: Bool = false
    var block: UnsafeMutablePointer<BlockSummary>? = nil
    var blockCharged: Int = 0
    var blockLimit: Int = 0
    /// The next entry of the running block's `lineFetches` to look up.
    var blockNextLineFetch: Int = 0
    var accessOrdinal: Int = 0
    /// Callbacks still to come for the parts of a page-crossing access (Unicorn reports the
    /// whole access, then each part).
    var splitParts: Int = 0
    var lastAccessAddress: UInt32 = 0
    var lastAccessIndex: Int = 0
    /// Instructions stepped since the last switch to stepping.
    var steppedSinceSwitch: UInt64 = 0
    /// Bumped when code is overwritten: summaries of older generations are rebuilt.
    var blockGeneration: UInt32 = 1
    /// Summaries built, and per-window tables of them indexed like the decode tables.
    var summaryTables: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<BlockSummary>?>>? = nil
    /// Too many blocks needed stepping: the per-instruction hook stays for the rest of the run.
    var steppingForGood: Bool = false
    var stopBlock: UnsafeMutablePointer<BlockSummary>? = nil

    // Memory: a page map from 4 KiB page to region index + 1 (0 = unmapped).
    var pageMap: UnsafeMutablePointer<UInt8>? = nil
    var regions: UnsafeMutablePointer<RegionState>? = nil
}
