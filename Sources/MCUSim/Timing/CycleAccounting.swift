import CUnicorn

/// Charges one instruction's cycles: a pending branch's refill, instruction-fetch wait
/// states, the decoded base cost, and the pipeline rules of the core (M3/M4 load
/// pipelining and address-dependency stalls, load-use stalls, M7 dual issue).
@inline(__always)
func timeInstruction(_ s: UnsafeMutablePointer<HotState>, _ slot: UnsafeMutablePointer<DecodedInstruction>, address: UInt32,
                     window: UnsafeMutablePointer<CodeWindow>) {
    // Fields are read through the pointer, not copied out: an 80-byte copy followed by a
    // narrow read stalls store forwarding on x86 and cost a fifth of the hook.
    if s.pointee.itRemaining != 0 { accountSkippedITInstructions(s, address: address, window: window) }
    var cycles = s.pointee.cycles
    let flags = slot.pointee.flags.rawValue
    s.pointee.currentSlot = slot

    // A conditional branch before this one was taken if we are not at its fall-through.
    if s.pointee.pendingTakenExtra != 0 {
        if address != s.pointee.expectedNext {
            let extra = UInt64(s.pointee.pendingTakenExtra)
            cycles &+= extra
            s.pointee.pendingSlot.unsafelyUnwrapped.pointee.cycles &+= extra
            s.pointee.cpiExtra &+= extra
        }
        s.pointee.pendingTakenExtra = 0
    }
    s.pointee.instructionStartCycles = cycles
    let previous = s.pointee.previousSlot
    // Calls and returns: only after an instruction that called or wrote PC, or a B/CBZ (Capstone
    // does not list PC among a direct branch's written registers; a B into another function is
    // a tail call). Branches inside one function (most of them) cannot be calls, returns or tail calls.
    let previousFlags = previous.pointee.flags.rawValue
    let previousIsBranch = previous.pointee.cls == InstructionClass.branch.rawValue
    if s.pointee.profiling
        && (previousFlags & (DecodeFlags.call.rawValue | DecodeFlags.writesPC.rawValue) != 0 || previousIsBranch)
        && (previousFlags & DecodeFlags.call.rawValue != 0 || slot.pointee.function != previous.pointee.function
            || !previousIsBranch) {
        callTransition(s, slot, address: address)
    }

    // Instruction fetch, per fetch word: counted for every code region, charged wait
    // states (or looked up in the cache) where the region has them.
    let shift = s.pointee.fetchShift
    let first = address >> shift
    let last = (address &+ UInt32(slot.pointee.size) &- 1) >> shift
    var fetchStall: UInt64 = 0
    if first != s.pointee.lastFetchGranule {
        fetchStall = fetchWord(s, word: first, window: window)
    }
    if last != first {
        fetchStall &+= fetchWord(s, word: last, window: window)
    }
    s.pointee.lastFetchGranule = last
    if fetchStall != 0 {
        cycles &+= fetchStall
        slot.pointee.stallCycles &+= fetchStall
    }

    var cost: UInt32
    if flags & DecodeFlags.dynamic.rawValue != 0 {
        cost = pipelineCost(s, slot, cost: dynamicCost(s, slot), after: previous)
    } else if slot.pointee.memoPrevious == previous && slot.pointee.memoGeneration == s.pointee.blockGeneration {
        cost = slot.pointee.memoCost
    } else {
        cost = pipelineCost(s, slot, cost: UInt32(slot.pointee.cost), after: previous)
        slot.pointee.memoPrevious = previous
        slot.pointee.memoCost = cost
        slot.pointee.memoGeneration = s.pointee.blockGeneration
    }
    if s.pointee.dualIssue { cost = dualIssueCost(s, slot, cost: cost) }

    let memoryAccess = DecodeFlags.load.rawValue | DecodeFlags.store.rawValue
    if cost > 1 {
        if flags & memoryAccess != 0 { s.pointee.lsuExtra &+= UInt64(cost - 1) } else { s.pointee.cpiExtra &+= UInt64(cost - 1) }
    }
    cycles &+= UInt64(cost)
    slot.pointee.executions &+= 1
    slot.pointee.cycles &+= UInt64(cost)
    s.pointee.cycles = cycles

    notePrevious(s, slot, address: address)
}

/// The instruction that just ran becomes the one the next instruction's cost depends on.
/// Shared by the per-instruction hook and the end of a summarised block. Only IT, calls and
/// conditional branches carry state beyond the entry itself.
@inline(__always)
func notePrevious(_ s: UnsafeMutablePointer<HotState>, _ slot: UnsafeMutablePointer<DecodedInstruction>, address: UInt32) {
    s.pointee.previousSlot = slot
    if slot.pointee.cls == InstructionClass.ifThen.rawValue {
        s.pointee.itRemaining = UInt32(slot.pointee.regCount)
        s.pointee.itNext = address &+ UInt32(slot.pointee.size)
    }
    if slot.pointee.flags.rawValue & DecodeFlags.call.rawValue != 0 { s.pointee.callReturnAddress = address &+ UInt32(slot.pointee.size) }
    if slot.pointee.takenExtra != 0 {
        s.pointee.pendingTakenExtra = UInt32(slot.pointee.takenExtra)
        s.pointee.pendingSlot = slot
        s.pointee.expectedNext = address &+ UInt32(slot.pointee.size)
    }
}

/// Registers a load writes with its data (not the written-back base): load-use stalls.
@inline(__always)
func loadDestinations(_ slot: UnsafeMutablePointer<DecodedInstruction>) -> UInt16 {
    let flags = slot.pointee.flags.rawValue
    return flags & DecodeFlags.load.rawValue == 0 ? 0
        : (flags & DecodeFlags.writeback.rawValue != 0 ? slot.pointee.writes & ~slot.pointee.addressRegs : slot.pointee.writes)
}

@inline(__always)
func isFPArithmetic(_ slot: UnsafeMutablePointer<DecodedInstruction>) -> Bool {
    let cls = slot.pointee.cls
    return cls == InstructionClass.fpAdd.rawValue || cls == InstructionClass.fpMultiply.rawValue
        || cls == InstructionClass.fpMAC.rawValue || cls == InstructionClass.fpMisc.rawValue
}

/// The cost rules that depend only on the instruction before: M3/M4 load pipelining and
/// address-dependency stalls, load-use and FP result stalls, the M33 narrow-branch pairing.
/// A pure function of the two instructions, so a block summary can apply it ahead of time.
@inline(__always)
func pipelineCost(_ s: UnsafeMutablePointer<HotState>, _ slot: UnsafeMutablePointer<DecodedInstruction>, cost base: UInt32,
                  after p: UnsafeMutablePointer<DecodedInstruction>) -> UInt32 {
    let previous = p.pointee.flags.rawValue
    let previousWrites = p.pointee.writes
    let previousAddressRegs = p.pointee.addressRegs
    var cost = base
    let flags = slot.pointee.flags.rawValue
    let memoryAccess = DecodeFlags.load.rawValue | DecodeFlags.store.rawValue
    if s.pointee.pipelinesLoads && flags & memoryAccess != 0 {
        let dependsOnPrevious = slot.pointee.addressRegs & previousWrites != 0
        if flags & DecodeFlags.pipelinableAccess.rawValue != 0,
           previous & DecodeFlags.pipelinableLoad.rawValue != 0, !dependsOnPrevious {
            // Pre/post-indexed loads do not chain: never on the M3, on the same base on the M4 (jnk0le).
            let chainedWriteback = flags & DecodeFlags.writeback.rawValue != 0
                && previous & DecodeFlags.writeback.rawValue != 0
                && (!s.pointee.chainsIndexedLoadsOnDifferentBases || slot.pointee.addressRegs & previousAddressRegs != 0)
            if !chainedWriteback && cost > 1 { cost -= 1 }
        } else if dependsOnPrevious && previous & DecodeFlags.aluResult.rawValue != 0 {
            cost &+= s.pointee.addressDependencyStall
        }
    }
    if s.pointee.loadUseStall != 0 && slot.pointee.reads & loadDestinations(p) != 0 {
        cost &+= s.pointee.loadUseStall
    }
    if slot.pointee.fpReads & p.pointee.fpWrites != 0 && isFPArithmetic(p) {
        cost &+= s.pointee.fpResultStall
    }
    if s.pointee.pairsNarrowBranch, slot.pointee.size == 2, p.pointee.size == 2,
       slot.pointee.cls == InstructionClass.branch.rawValue, slot.pointee.takenExtra != 0, cost > 0 {
        cost -= 1
    }
    return cost
}

/// Cold path of call tracking: hands the transition to the machine's call profiler.
@inline(never)
func callTransition(_ s: UnsafeMutablePointer<HotState>, _ slot: UnsafeMutablePointer<DecodedInstruction>, address: UInt32) {
    guard let raw = s.pointee.context else { return }
    let context = Unmanaged<MachineContext>.fromOpaque(raw).takeUnretainedValue()
    let function = slot.pointee.function == .max ? -1 : Int(slot.pointee.function)
    let now = s.pointee.instructionStartCycles
    let previous = s.pointee.previousSlot
    if previous.pointee.flags.rawValue & DecodeFlags.call.rawValue != 0 {
        let caller = previous.pointee.function == .max ? -1 : Int(previous.pointee.function)
        context.profiler.call(function: function, at: address, from: caller, returnAddress: s.pointee.callReturnAddress, now: now)
    } else {
        context.profiler.flowChanged(to: address, function: function, now: now)
    }
}

/// Instructions of an IT block that failed their condition: Unicorn skips them without
/// calling the code hook, so they are charged here, one cycle each (they execute as NOPs),
/// when the next hooked address shows they were passed over.
@inline(never)
func accountSkippedITInstructions(_ s: UnsafeMutablePointer<HotState>, address: UInt32, window: UnsafeMutablePointer<CodeWindow>) {
    while s.pointee.itRemaining != 0 {
        let next = s.pointee.itNext
        let offset = next &- window.pointee.base
        guard offset < window.pointee.size else { s.pointee.itRemaining = 0; return }
        let skipped = window.pointee.decoded + Int(offset >> 1)
        s.pointee.itRemaining -= 1
        s.pointee.itNext = next &+ UInt32(max(skipped.pointee.size, 2))
        if next == address { return }
        let cost = UInt64(skipped.pointee.skippedCost)
        s.pointee.instructions &+= 1
        s.pointee.cycles &+= cost
        skipped.pointee.executions &+= 1
        skipped.pointee.cycles &+= cost
    }
}

/// One instruction-fetch word: counted against its window; through the cache when the
/// window has one (a repeat of the last line is a hit without a lookup); wait states
/// otherwise. Hits are not counted here: they are fetches minus misses.
@inline(__always)
func fetchWord(_ s: UnsafeMutablePointer<HotState>, word: UInt32, window: UnsafeMutablePointer<CodeWindow>) -> UInt64 {
    window.pointee.fetches &+= 1
    if window.pointee.fetchCached, s.pointee.cache != nil { return cachedFetchStall(s, word: word, window: window) }
    return fetchWaitStall(s, window: window)
}

/// A fetch word of a cached code memory (already counted): a repeat of the last line is a hit
/// without a lookup; a miss costs the memory's wait states.
@inline(__always)
func cachedFetchStall(_ s: UnsafeMutablePointer<HotState>, word: UInt32, window: UnsafeMutablePointer<CodeWindow>) -> UInt64 {
    let line = word >> s.pointee.cacheLineWordShift
    if line == s.pointee.lastCacheLine { return 0 }
    // The other line of a two-line loop, the cache unchanged since it was looked up: still the
    // most recently used of its set, so the lookup would hit and change nothing. Swap them.
    if line == s.pointee.otherCacheLine, let cache = s.pointee.cache, cache.pointee.epoch == s.pointee.otherCacheLineEpoch {
        s.pointee.otherCacheLine = s.pointee.lastCacheLine
        s.pointee.otherCacheLineEpoch = s.pointee.lastCacheLineEpoch
        s.pointee.lastCacheLine = line
        s.pointee.lastCacheLineEpoch = cache.pointee.epoch
        return 0
    }
    return cacheLineFetch(s, word: word, line: line, window: window)
}

/// A fetch that starts another cache line: the lookup, out of line so that the common case
/// (the same line) stays small enough to inline into the per-instruction hook.
@inline(never)
func cacheLineFetch(_ s: UnsafeMutablePointer<HotState>, word: UInt32, line: UInt32, window: UnsafeMutablePointer<CodeWindow>) -> UInt64 {
    guard let cache = s.pointee.cache else { return 0 }
    let left = s.pointee.lastCacheLine, leftEpoch = s.pointee.lastCacheLineEpoch
    s.pointee.lastCacheLine = line
    // Remembered for the other-line check in cachedFetchStall: after the lookup this line is
    // the most recently used of its set until the epoch moves.
    defer {
        s.pointee.otherCacheLine = left
        s.pointee.otherCacheLineEpoch = leftEpoch
        s.pointee.lastCacheLineEpoch = cache.pointee.epoch
    }
    if cache.pointee.access(word << s.pointee.fetchShift) { return 0 }
    window.pointee.fetchMisses &+= 1
    return fetchWaitStall(s, window: window)
}

/// The wait states of one fetch word from the window's memory, counted as fetch stalls
/// (DWT CPICNT).
@inline(__always)
func fetchWaitStall(_ s: UnsafeMutablePointer<HotState>, window: UnsafeMutablePointer<CodeWindow>) -> UInt64 {
    let stall = UInt64(window.pointee.fetchWaitStates)
    if stall != 0 {
        s.pointee.fetchStallCycles &+= stall
        s.pointee.cpiExtra &+= stall
    }
    return stall
}

/// Cortex-M7 dual issue, approximated: two adjacent eligible instructions with no
/// dependency share a cycle unless both use the same single unit (memory, multiplier, FPU).
@inline(__always)
func dualIssueCost(_ s: UnsafeMutablePointer<HotState>, _ slot: UnsafeMutablePointer<DecodedInstruction>, cost: UInt32) -> UInt32 {
    let e = slot.pointee
    let flags = e.flags.rawValue
    let p = s.pointee.previousSlot
    let previous = p.pointee.flags.rawValue
    let eligible = DecodeFlags.dualIssuable.rawValue
    if flags & eligible != 0, previous & eligible != 0, !s.pointee.previousPaired,
       flags & DecodeFlags.olderSlotOnly.rawValue == 0,
       e.reads & p.pointee.writes == 0 {
        let memory = DecodeFlags.load.rawValue | DecodeFlags.store.rawValue
        let fp = DecodeFlags.floatingPoint.rawValue
        let bothMemory = flags & memory != 0 && previous & memory != 0
        let bothFP = flags & fp != 0 && previous & fp != 0
        if !bothMemory && !bothFP && cost >= 1 {
            s.pointee.previousPaired = true
            return cost - 1
        }
    }
    s.pointee.previousPaired = false
    return cost
}

/// Slow path for costs that depend on values: division by operand size.
@inline(never)
func dynamicCost(_ s: UnsafeMutablePointer<HotState>, _ slot: UnsafeMutablePointer<DecodedInstruction>) -> UInt32 {
    let e = slot.pointee
    let uc = s.pointee.uc
    switch DynamicKind(rawValue: e.dynamicKind) ?? .none {
    case .divideUnsigned, .divideSigned:
        var dividend: UInt32 = 0, divisor: UInt32 = 0
        if e.op1 >= 0, e.op1 <= 12 { _ = mcusim_reg_read32(uc, Int32(UC_ARM_REG_R0.rawValue) + Int32(e.op1), &dividend) }
        if e.op2 >= 0, e.op2 <= 12 { _ = mcusim_reg_read32(uc, Int32(UC_ARM_REG_R0.rawValue) + Int32(e.op2), &divisor) }
        return divideCycles(dividend: dividend, divisor: divisor, signed: e.dynamicKind == DynamicKind.divideSigned.rawValue)
    case .none:
        return UInt32(e.cost)
    }
}

/// SDIV/UDIV early termination (M3/M4 TRM: 2-12 cycles "depending on the number of
/// leading ones and zeros in the input operands"). Model: 2 cycles, plus one per three
/// quotient bits, capped at 12: 2 when the dividend is smaller than the divisor,
/// 12 for a full 32-bit quotient. Division by zero takes 2 (the result is 0 at once).
func divideCycles(dividend: UInt32, divisor: UInt32, signed: Bool) -> UInt32 {
    var n = dividend, d = divisor
    if signed {
        n = Int32(bitPattern: dividend).magnitude
        d = Int32(bitPattern: divisor).magnitude
    }
    guard d != 0, n >= d else { return 2 }
    let quotientBits = UInt32(d.leadingZeroBitCount - n.leadingZeroBitCount + 1)
    return min(12, 2 + (quotientBits + 2) / 3)
}
