/// One instruction of a summarised block after the first: what charging it costs when it
/// follows its predecessor in the block, which is always the case inside a translation block.
struct BlockStep {
    var slot: UnsafeMutablePointer<DecodedInstruction>
    var address: UInt32
    /// Core cycles with the pipeline rules against the previous instruction already applied.
    var cost: UInt32
    /// Multi-cycle extra goes to DWT LSUCNT (memory instruction) or CPICNT.
    var isMemory: Bool
    /// Fetch words this instruction starts (.max when it needs none), and its last word.
    var fetchFirst: UInt32
    var fetchSecond: UInt32
    var lastWord: UInt32
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
    var accessCount: Int
    /// accessInstruction[n] = index of the instruction making the n-th memory callback.
    var accessInstruction: UnsafeMutablePointer<Int32>
    var window: UnsafeMutablePointer<CodeWindow>
}

/// Data-access callbacks Unicorn makes for one instruction (checked on this version, see
/// docs/performance.md): LDRD/STRD as two words, LDM/STM/PUSH/POP one per register,
/// VLDR/VSTR one (of 8 bytes for a double), TBB/TBH one. Nil when it cannot be known ahead.
func expectedCallbacks(_ slot: UnsafeMutablePointer<DecodedInstruction>) -> Int? {
    let flags = slot.pointee.flags.rawValue
    guard flags & (DecodeFlags.load.rawValue | DecodeFlags.store.rawValue) != 0 else {
        return slot.pointee.cls == InstructionClass.tableBranch.rawValue ? 1 : 0
    }
    switch InstructionClass(rawValue: slot.pointee.cls) {
    case .load?, .store?: return slot.pointee.width == 8 ? 2 : 1
    case .fpLoad?, .fpStore?: return 1
    case .loadMultiple?, .storeMultiple?: return Int(slot.pointee.regCount)
    case .tableBranch?: return 1
    default: return nil  // VLDM/VSTM (word or doubleword callbacks), unknown forms
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
    // IT blocks (skipped instructions), division, idle loops, sleep, interrupt unmasking.
    let stepped = DecodeFlags.branchToSelf.rawValue | DecodeFlags.sleep.rawValue | DecodeFlags.maskChange.rawValue
        | DecodeFlags.dynamic.rawValue | DecodeFlags.inITBlock.rawValue
    var accesses: [Int32] = []
    for (i, slot) in slots.enumerated() {
        let flags = slot.pointee.flags.rawValue
        if flags & stepped != 0 || slot.pointee.cls == InstructionClass.ifThen.rawValue { supported = false }
        if flags & DecodeFlags.floatingPoint.rawValue != 0 { usesFP = true }
        guard let n = expectedCallbacks(slot) else { supported = false; continue }
        accesses.append(contentsOf: repeatElement(Int32(i), count: n))
    }
    if slots.isEmpty || s.pointee.dualIssue { supported = false }

    let summary = UnsafeMutablePointer<BlockSummary>.allocate(capacity: 1)
    let steps = UnsafeMutablePointer<BlockStep>.allocate(capacity: max(slots.count, 1))
    let shift = s.pointee.fetchShift
    for (i, slot) in slots.enumerated() {
        let a = addresses[i]
        let first = a >> shift
        let last = (a &+ UInt32(slot.pointee.size) &- 1) >> shift
        var cost = UInt32(slot.pointee.cost)
        var fetchFirst = first
        if i > 0 {
            let p = slots[i - 1]
            cost = pipelineCost(s, slot, cost: cost, previous: p.pointee.flags.rawValue, previousWrites: p.pointee.writes,
                                previousAddressRegs: p.pointee.addressRegs, previousLoadDestinations: loadDestinations(p),
                                previousWasFPArithmetic: isFPArithmetic(p), previousFPWrites: p.pointee.fpWrites,
                                previousSize: p.pointee.size)
            if first == steps[i - 1].lastWord { fetchFirst = .max }
        }
        let memory = slot.pointee.flags.rawValue & (DecodeFlags.load.rawValue | DecodeFlags.store.rawValue) != 0
        steps[i] = BlockStep(slot: slot, address: a, cost: cost, isMemory: memory, fetchFirst: fetchFirst,
                             fetchSecond: last != first ? last : .max, lastWord: last)
    }
    let accessTable = UnsafeMutablePointer<Int32>.allocate(capacity: max(accesses.count, 1))
    for (i, v) in accesses.enumerated() { accessTable[i] = v }
    summary.initialize(to: BlockSummary(start: start, size: size, generation: s.pointee.blockGeneration, supported: supported,
                                        usesFloatingPoint: usesFP, count: slots.count, steps: steps,
                                        accessCount: accesses.count, accessInstruction: accessTable, window: window))
    if let raw = s.pointee.context {
        Unmanaged<MachineContext>.fromOpaque(raw).takeUnretainedValue().summaries.append(summary)
    }
    return summary
}

func releaseBlockSummary(_ summary: UnsafeMutablePointer<BlockSummary>) {
    summary.pointee.steps.deallocate()
    summary.pointee.accessInstruction.deallocate()
    summary.deallocate()
}
