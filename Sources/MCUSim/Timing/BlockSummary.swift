/// One instruction of a summarised block after the first: what charging it costs when it
/// follows its predecessor in the block, which is always the case inside a translation block.
struct BlockStep {
    var slot: UnsafeMutablePointer<DecodedInstruction>
    var address: UInt32
    /// Core cycles with the pipeline rules against the previous instruction already applied.
    var cost: UInt32
    /// Wait states of this instruction's fetch words where they do not depend on a cache
    /// (a wait-stated code memory without one); charged to the entry's stall cycles.
    var fixedStall: UInt32
    /// The last fetch word this instruction reaches.
    var lastWord: UInt32
}

/// Running totals over a block's instructions 1..<i (instruction 0 is charged by the
/// per-instruction code): charging instructions a..<b adds prefix[b] - prefix[a].
struct StepPrefix {
    var cycles: UInt64 = 0
    /// Multi-cycle extra of memory instructions (DWT LSUCNT) and of the others plus fixed
    /// fetch wait states (DWT CPICNT).
    var lsuExtra: UInt64 = 0
    var cpiExtra: UInt64 = 0
    var fetches: UInt64 = 0
    var fixedFetchStall: UInt64 = 0
}

/// A fetch word of a cached code memory that starts a new cache line: the only fetches
/// that need a (dynamic) cache lookup; the others are hits on the line just fetched.
struct LineFetch {
    var step: Int32
    var word: UInt32
}

/// A translation block's precomputed charges: per instruction the static cost, the fetch
/// words and the slot whose counters it feeds, and for each data access Unicorn will report
/// (in order) the instruction that makes it. Built once per block start and reused on every
/// execution; plain memory, no references, so the block hook touches no ARC.
struct BlockSummary {
    var start: UInt32
    var size: UInt32
    var generation: UInt32
    /// False when the block cannot be charged exactly from the summary: the run steps it.
    var supported: Bool
    var usesFloatingPoint: Bool
    /// A per-instruction hook covers the block: it is charged one instruction at a time.
    var stepped: Bool = false
    var count: Int
    var steps: UnsafeMutablePointer<BlockStep>
    /// count + 1 running totals (see StepPrefix).
    var prefix: UnsafeMutablePointer<StepPrefix>
    var lineFetches: UnsafeMutablePointer<LineFetch>
    var lineFetchCount: Int
    /// Times the block was entered since its counts were last moved into the decoded
    /// entries (`foldBlockCounts`): per-instruction executions and cycles are kept per block.
    var entries: UInt64 = 0
    var accessCount: Int
    /// accessInstruction[n] = index of the instruction making the n-th memory callback.
    var accessInstruction: UnsafeMutablePointer<Int32>
    var window: UnsafeMutablePointer<CodeWindow>
}

/// Data-access callbacks Unicorn makes for one instruction (checked on this version, see
/// docs/performance.md): LDRD/STRD as two words, LDM/STM/PUSH/POP one per register,
/// VLDR/VSTR one (of 8 bytes for a double), VLDM/VSTM/VPUSH/VPOP one per S register or one
/// of 8 bytes per D register, TBB/TBH one. Nil when it cannot be known ahead.
func expectedCallbacks(_ slot: UnsafeMutablePointer<DecodedInstruction>) -> Int? {
    let flags = slot.pointee.flags.rawValue
    guard flags & (DecodeFlags.load.rawValue | DecodeFlags.store.rawValue) != 0 else {
        return slot.pointee.cls == InstructionClass.tableBranch.rawValue ? 1 : 0
    }
    switch InstructionClass(rawValue: slot.pointee.cls) {
    case .load?, .store?: return slot.pointee.width == 8 ? 2 : 1
    case .fpLoad?, .fpStore?: return 1
    case .loadMultiple?, .storeMultiple?: return Int(slot.pointee.regCount)
    case .fpLoadMultiple?: return slot.pointee.width == 8 ? Int(slot.pointee.regCount) / 2 : Int(slot.pointee.regCount)
    case .tableBranch?: return 1
    default: return nil  // unknown forms
    }
}

/// Builds the summary of the block at `start` of `size` bytes, decoding what is new. The
/// costs come from the same `pipelineCost` the per-instruction hook uses.
@inline(never)
func buildBlockSummary(_ s: UnsafeMutablePointer<HotState>, window: UnsafeMutablePointer<CodeWindow>,
                       start: UInt32, size: UInt32) -> UnsafeMutablePointer<BlockSummary> {
    var slots: [UnsafeMutablePointer<DecodedInstruction>] = []
    var addresses: [UInt32] = []
    var supported = true
    var usesFP = false
    var address = start
    let end = start &+ size
    while address < end {
        let offset = address &- window.pointee.base
        guard offset < window.pointee.size &- 3 else { supported = false; break }
        let slot = window.pointee.decoded + Int(offset >> 1)
        if slot.pointee.flags.rawValue & DecodeFlags.valid.rawValue == 0 {
            decodeCold(s, window: window.pointee, address: address)
        }
        guard slot.pointee.flags.rawValue & DecodeFlags.valid.rawValue != 0, slot.pointee.size != 0 else { supported = false; break }
        slots.append(slot)
        addresses.append(address)
        address &+= UInt32(slot.pointee.size)
    }
    // Whatever depends on values or stops the run is left to the per-instruction hook:
    // IT blocks whose outcome shows (skipped instructions), division, idle loops, sleep,
    // interrupt unmasking.
    let stepped = DecodeFlags.branchToSelf.rawValue | DecodeFlags.sleep.rawValue | DecodeFlags.maskChange.rawValue
        | DecodeFlags.dynamic.rawValue | DecodeFlags.readsControl.rawValue
    var chargedAlike = [Bool](repeating: false, count: slots.count)
    for t in slots.indices where slots[t].pointee.cls == InstructionClass.ifThen.rawValue {
        guard itBlockChargesAlike(s, slots: slots, addresses: addresses, it: t) else { continue }
        for j in t...(t + Int(slots[t].pointee.regCount)) { chargedAlike[j] = true }
    }
    var accesses: [Int32] = []
    for (i, slot) in slots.enumerated() {
        let flags = slot.pointee.flags.rawValue
        let inIT = flags & DecodeFlags.inITBlock.rawValue != 0 || slot.pointee.cls == InstructionClass.ifThen.rawValue
        if flags & stepped != 0 || (inIT && !chargedAlike[i]) { supported = false }
        if flags & DecodeFlags.floatingPoint.rawValue != 0 { usesFP = true }
        guard let n = expectedCallbacks(slot) else { supported = false; continue }
        accesses.append(contentsOf: repeatElement(Int32(i), count: n))
    }
    if slots.isEmpty || s.pointee.dualIssue { supported = false }

    let summary = UnsafeMutablePointer<BlockSummary>.allocate(capacity: 1)
    let steps = UnsafeMutablePointer<BlockStep>.allocate(capacity: max(slots.count, 1))
    let prefix = UnsafeMutablePointer<StepPrefix>.allocate(capacity: slots.count + 1)
    var lineFetches: [LineFetch] = []
    let shift = s.pointee.fetchShift
    let cached = window.pointee.fetchCached && s.pointee.cache != nil
    let waitStates = UInt64(window.pointee.fetchWaitStates)
    var total = StepPrefix()
    prefix[0] = total
    var previousWord: UInt32 = 0
    for (i, slot) in slots.enumerated() {
        let a = addresses[i]
        let first = a >> shift
        let last = (a &+ UInt32(slot.pointee.size) &- 1) >> shift
        var cost = UInt32(slot.pointee.cost)
        var fixedStall: UInt64 = 0
        if i > 0 {
            cost = pipelineCost(s, slot, cost: cost, after: slots[i - 1])
            // The words this instruction starts: as the per-instruction hook fetches them.
            var words: [UInt32] = []
            if first != previousWord { words.append(first) }
            if last != first { words.append(last) }
            for w in words {
                total.fetches &+= 1
                if cached {
                    let line = w >> s.pointee.cacheLineWordShift
                    if line != previousWord >> s.pointee.cacheLineWordShift { lineFetches.append(LineFetch(step: Int32(i), word: w)) }
                } else {
                    fixedStall &+= waitStates
                }
                previousWord = w
            }
            total.cycles &+= UInt64(cost) &+ fixedStall
            total.fixedFetchStall &+= fixedStall
            total.cpiExtra &+= fixedStall
            if cost > 1 {
                if slot.pointee.flags.rawValue & (DecodeFlags.load.rawValue | DecodeFlags.store.rawValue) != 0 {
                    total.lsuExtra &+= UInt64(cost - 1)
                } else {
                    total.cpiExtra &+= UInt64(cost - 1)
                }
            }
        }
        previousWord = last
        prefix[i + 1] = total
        steps[i] = BlockStep(slot: slot, address: a, cost: cost, fixedStall: UInt32(truncatingIfNeeded: fixedStall), lastWord: last)
    }
    let lineTable = UnsafeMutablePointer<LineFetch>.allocate(capacity: max(lineFetches.count, 1))
    for (i, v) in lineFetches.enumerated() { lineTable[i] = v }
    let accessTable = UnsafeMutablePointer<Int32>.allocate(capacity: max(accesses.count, 1))
    for (i, v) in accesses.enumerated() { accessTable[i] = v }
    summary.initialize(to: BlockSummary(start: start, size: size, generation: s.pointee.blockGeneration, supported: supported,
                                        usesFloatingPoint: usesFP, count: slots.count, steps: steps, prefix: prefix,
                                        lineFetches: lineTable, lineFetchCount: lineFetches.count,
                                        accessCount: accesses.count, accessInstruction: accessTable, window: window))
    if let raw = s.pointee.context {
        Unmanaged<MachineContext>.fromOpaque(raw).takeUnretainedValue().summaries.append(summary)
    }
    return summary
}

/// An IT block (at `t`) whose outcome does not show in any figure: whichever of its
/// conditional instructions run or are skipped, the per-instruction hook would charge the same
/// cycles to each instruction (a skipped one costs `skippedCost`), fetch the same words in the
/// same order, and see no data access. So the summary may charge it as if all of them ran.
/// The clamps the kernels compile to (`cmp; it ge; movge`) are like this. Required too: the
/// IT is not the block's first instruction (that one is charged by the per-instruction code,
/// which would open the IT state), the instruction after the block is in this translation
/// block, and all of them are in one function (a fetch word may be counted on the conditional
/// instruction or on the one after it, so only their function's sum is the same).
func itBlockChargesAlike(_ s: UnsafeMutablePointer<HotState>, slots: [UnsafeMutablePointer<DecodedInstruction>],
                         addresses: [UInt32], it t: Int) -> Bool {
    let k = Int(slots[t].pointee.regCount)
    guard t >= 1, k >= 1, k <= 4, t + k + 1 < slots.count else { return false }
    let function = slots[t].pointee.function
    let excluded = DecodeFlags.load.rawValue | DecodeFlags.store.rawValue | DecodeFlags.writesPC.rawValue
        | DecodeFlags.call.rawValue | DecodeFlags.floatingPoint.rawValue | DecodeFlags.dynamic.rawValue
        | DecodeFlags.branchToSelf.rawValue | DecodeFlags.sleep.rawValue | DecodeFlags.maskChange.rawValue
        | DecodeFlags.readsControl.rawValue
    for j in t...(t + k + 1) where slots[j].pointee.function != function { return false }
    for j in (t + 1)...(t + k) {
        let c = slots[j]
        guard c.pointee.flags.rawValue & DecodeFlags.inITBlock.rawValue != 0, c.pointee.flags.rawValue & excluded == 0,
              c.pointee.cls != InstructionClass.branch.rawValue, c.pointee.cls != InstructionClass.tableBranch.rawValue,
              c.pointee.takenExtra == 0, expectedCallbacks(c) == 0 else { return false }
    }
    let shift = s.pointee.fetchShift
    func lastWord(_ j: Int) -> UInt32 { (addresses[j] &+ UInt32(slots[j].pointee.size) &- 1) >> shift }
    /// Costs of the conditional instructions and the one after them, and the fetch words
    /// counted, when the conditional instructions in `executed` (a bit each) run.
    func outcome(_ executed: Int) -> (costs: [UInt32], words: [UInt32]) {
        var costs: [UInt32] = [], words: [UInt32] = []
        var previous = slots[t]
        var previousWord = lastWord(t)
        for j in (t + 1)...(t + k + 1) {
            guard j == t + k + 1 || executed & (1 << (j - t - 1)) != 0 else {
                costs.append(UInt32(slots[j].pointee.skippedCost))
                continue
            }
            costs.append(pipelineCost(s, slots[j], cost: UInt32(slots[j].pointee.cost), after: previous))
            let first = addresses[j] >> shift
            if first != previousWord { words.append(first) }
            if lastWord(j) != first { words.append(lastWord(j)) }
            previousWord = lastWord(j)
            previous = slots[j]
        }
        return (costs, words)
    }
    let all = outcome((1 << k) - 1)
    for executed in 0..<((1 << k) - 1) {
        let o = outcome(executed)
        if o.costs != all.costs || o.words != all.words { return false }
    }
    return true
}

func releaseBlockSummary(_ summary: UnsafeMutablePointer<BlockSummary>) {
    summary.pointee.steps.deallocate()
    summary.pointee.prefix.deallocate()
    summary.pointee.lineFetches.deallocate()
    summary.pointee.accessInstruction.deallocate()
    summary.deallocate()
}
