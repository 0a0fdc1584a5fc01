import CUnicorn

/// Instructions stepped one by one after a block could not be summarised, before the run
/// tries blocks again (each switch retranslates the code, so it must not happen often).
let steppingStretch: UInt64 = 50_000

/// Block-level charging. At the start of each translation block the previous block is
/// finished, the block's first instruction is charged exactly as the per-instruction hook
/// would (it depends on where execution came from: taken-branch refill, fetch word, load
/// pipelining against the previous block, call tracking), and the rest is charged from the
/// block's summary. Charging is lazy: a data access charges the instructions up to the one
/// making it first, so cache lookups, CYCCNT reads and per-instruction counters see the
/// same state, in the same order, as with a hook on every instruction.
let blockHook: @convention(c) (OpaquePointer?, UInt64, UInt32, UnsafeMutableRawPointer?) -> Void = { uc, address64, size, user in
    let s = user.unsafelyUnwrapped.assumingMemoryBound(to: HotState.self)
    let address = UInt32(truncatingIfNeeded: address64)
    if !s.pointee.blockMode {
        considerBlocks(s, uc, address: address, size: size)
        return
    }
    let previous = s.pointee.block
    if previous != nil { finishBlock(s) }
    let b: UnsafeMutablePointer<BlockSummary>
    let window: UnsafeMutablePointer<CodeWindow>
    if let p = previous, p.pointee.start == address, p.pointee.size == size, p.pointee.generation == s.pointee.blockGeneration {
        // A loop re-entering the block that just ran: no lookup.
        b = p
        window = p.pointee.window
    } else {
        guard let w = windowHolding(s, address) else { requestStop(s, uc, .switchToStepping, address); return }
        window = w
        b = blockSummary(s, window: w, address: address, size: size)
    }
    // A block the summary cannot charge (IT block, division, ...) gets a per-instruction
    // hook over its own range; the rest of the code keeps block charging.
    if !b.pointee.supported || (b.pointee.usesFloatingPoint && !s.pointee.fpuEnabled) {
        if !b.pointee.stepped {
            s.pointee.stopBlock = b
            requestStop(s, uc, .stepBlock, address)
        }
        return
    }
    // Events (interrupts, SysTick) are taken between instructions, the limit is checked per
    // instruction, and IT blocks carry over: all of these are left to the stepping hook.
    guard s.pointee.nextEventCycle == .max, s.pointee.itRemaining == 0,
          s.pointee.instructions &+ UInt64(b.pointee.count) < s.pointee.instructionLimit else {
        requestStop(s, uc, .switchToStepping, address)
        return
    }
    s.pointee.instructions &+= UInt64(b.pointee.count)
    b.pointee.entries &+= 1
    s.pointee.block = b
    s.pointee.blockCharged = 1
    s.pointee.blockNextLineFetch = 0
    s.pointee.blockLimit = b.pointee.count
    s.pointee.accessOrdinal = 0
    s.pointee.splitParts = 0
    timeInstruction(s, b.pointee.steps[0].slot, address: address, window: window)
}

/// The per-instruction hook over the ranges of blocks that are stepped inside block
/// charging: idle while a summarised block runs (ranges may overlap other blocks) and
/// while the global per-instruction hook is installed.
let blockStepHook: @convention(c) (OpaquePointer?, UInt64, UInt32, UnsafeMutableRawPointer?) -> Void = { uc, address, size, user in
    let s = user.unsafelyUnwrapped.assumingMemoryBound(to: HotState.self)
    guard s.pointee.blockMode, s.pointee.block == nil, s.pointee.stop == .none else { return }
    codeHook(uc, address, size, user)
}

/// While stepping: after a stretch of stepped instructions, go back to blocks at the first
/// block that can be summarised and is entered in a clean state.
@inline(never)
func considerBlocks(_ s: UnsafeMutablePointer<HotState>, _ uc: OpaquePointer?, address: UInt32, size: UInt32) {
    guard !s.pointee.steppingForGood, s.pointee.steppedSinceSwitch >= steppingStretch, s.pointee.stop == .none, s.pointee.nextEventCycle == .max,
          s.pointee.itRemaining == 0, let window = windowHolding(s, address) else { return }
    let b = blockSummary(s, window: window, address: address, size: size)
    guard b.pointee.supported, !b.pointee.usesFloatingPoint || s.pointee.fpuEnabled,
          s.pointee.instructions &+ UInt64(b.pointee.count) < s.pointee.instructionLimit else { return }
    requestStop(s, uc, .switchToBlocks, address)
}

/// The summary of the block at `address` (in `window`, the last one looked up), built on first
/// sight and rebuilt when the block's size or the decode generation changed.
@inline(__always)
func blockSummary(_ s: UnsafeMutablePointer<HotState>, window: UnsafeMutablePointer<CodeWindow>, address: UInt32,
                  size: UInt32) -> UnsafeMutablePointer<BlockSummary> {
    let offset = Int((address &- window.pointee.base) >> 1)
    let table = s.pointee.summaryTables.unsafelyUnwrapped[s.pointee.lastWindow]
    if let summary = table[offset], summary.pointee.size == size, summary.pointee.generation == s.pointee.blockGeneration {
        return summary
    }
    let summary = buildBlockSummary(s, window: window, start: address, size: size)
    table[offset] = summary
    return summary
}

@inline(__always)
func windowHolding(_ s: UnsafeMutablePointer<HotState>, _ address: UInt32) -> UnsafeMutablePointer<CodeWindow>? {
    guard let windows = s.pointee.windows else { return nil }
    let w = windows + s.pointee.lastWindow
    if address &- w.pointee.base < w.pointee.size &- 3 { return w }
    return findWindow(s, address)
}

/// Charges the block's instructions up to and including `index`, in order: each one's
/// start cycle (what a CYCCNT read returns), fetch words and cost. Totals come from the
/// summary's running sums; only fetches that start a cache line look the cache up, in order.
@inline(__always)
func chargeThrough(_ s: UnsafeMutablePointer<HotState>, _ b: UnsafeMutablePointer<BlockSummary>, _ index: Int) {
    guard s.pointee.blockCharged <= index else { return }
    if s.pointee.blockCharged < index { chargeSteps(s, b, upTo: index) }
    let start = s.pointee.cycles
    chargeSteps(s, b, upTo: index + 1)
    s.pointee.lastFetchGranule = b.pointee.steps[index].lastWord
    s.pointee.instructionStartCycles = start
}

/// Instructions blockCharged..<end of the block: costs, counters and cache lookups.
@inline(__always)
func chargeSteps(_ s: UnsafeMutablePointer<HotState>, _ b: UnsafeMutablePointer<BlockSummary>, upTo end: Int) {
    let from = s.pointee.blockCharged
    let p = b.pointee.prefix
    s.pointee.cycles &+= p[end].cycles &- p[from].cycles
    s.pointee.lsuExtra &+= p[end].lsuExtra &- p[from].lsuExtra
    s.pointee.cpiExtra &+= p[end].cpiExtra &- p[from].cpiExtra
    let fixedStall = p[end].fixedFetchStall &- p[from].fixedFetchStall
    if fixedStall != 0 { s.pointee.fetchStallCycles &+= fixedStall }
    let window = b.pointee.window
    window.pointee.fetches &+= p[end].fetches &- p[from].fetches
    var next = s.pointee.blockNextLineFetch
    while next < b.pointee.lineFetchCount && Int(b.pointee.lineFetches[next].step) < end {
        let fetch = b.pointee.lineFetches[next]
        let stall = cachedFetchStall(s, word: fetch.word, window: window)
        if stall != 0 {
            s.pointee.cycles &+= stall
            b.pointee.steps[Int(fetch.step)].slot.pointee.stallCycles &+= stall
        }
        next &+= 1
    }
    s.pointee.blockNextLineFetch = next
    s.pointee.blockCharged = end
}

/// Moves the per-block execution counts into the decoded entries, where the reports, the
/// regions of interest and retirement read them. Called before any of those.
func foldBlockCounts(_ summaries: [UnsafeMutablePointer<BlockSummary>]) {
    for b in summaries where b.pointee.entries != 0 {
        let n = b.pointee.entries
        for i in 1..<max(b.pointee.count, 1) {
            let step = b.pointee.steps[i]
            step.slot.pointee.executions &+= n
            step.slot.pointee.cycles &+= n &* UInt64(step.cost)
            if step.fixedStall != 0 { step.slot.pointee.stallCycles &+= n &* UInt64(step.fixedStall) }
        }
        b.pointee.entries = 0
    }
}

/// Charges what is left of the block (up to `blockLimit`, less when a fault cut it short)
/// and leaves the pipeline state of its last executed instruction for the next one.
@inline(__always)
func finishBlock(_ s: UnsafeMutablePointer<HotState>) {
    let b = s.pointee.block.unsafelyUnwrapped
    let last = s.pointee.blockLimit - 1
    if last >= 1 {
        chargeThrough(s, b, last)
        let step = b.pointee.steps + last
        s.pointee.currentSlot = step.pointee.slot
        notePrevious(s, step.pointee.slot, address: step.pointee.address)
    }
    s.pointee.block = nil
}

/// A data access while a block runs: which instruction makes it comes from its position in
/// the block's access sequence (the PC is not up to date inside memory callbacks).
@inline(__always)
func attributeAccess(_ s: UnsafeMutablePointer<HotState>, _ b: UnsafeMutablePointer<BlockSummary>, address: UInt32, size: Int32,
                     order: AccessOrder) {
    if s.pointee.splitParts != 0 {
        s.pointee.splitParts -= 1
        return
    }
    let ordinal = s.pointee.accessOrdinal
    s.pointee.accessOrdinal = ordinal &+ 1
    let index = ordinal < b.pointee.accessCount ? Int(b.pointee.accessInstruction[ordinal]) : b.pointee.count - 1
    // An access that crosses a 4 KiB page is reported whole, then as its two parts.
    if Int(address & 0xFFF) + Int(size) > 0x1000 { s.pointee.splitParts = 2 }
    s.pointee.lastAccessAddress = address
    s.pointee.lastAccessIndex = index
    if order != .none && s.pointee.blockCharged <= index {
        // Through the cache, the order matters only against fetch lookups still to come at or
        // before this instruction; MMIO (CYCCNT, timers) needs the instruction's start cycle.
        let next = s.pointee.blockNextLineFetch
        if order == .always || (next < b.pointee.lineFetchCount && Int(b.pointee.lineFetches[next].step) <= index) {
            chargeThroughAccess(s, b, index)
        }
    }
    s.pointee.currentSlot = b.pointee.steps[index].slot
}

/// What a data access needs charged before it with block charging.
enum AccessOrder {
    /// Plain memory: sums only, nothing.
    case none
    /// Through the instruction cache: the fetch lookups of the instructions up to it.
    case cache
    /// MMIO, the SCS and unmapped addresses: everything up to it (its start cycle).
    case always
}

/// `chargeThrough` for an access that needs the order, kept out of line so that the common
/// case (plain memory) of `attributeAccess` inlines into the memory hook.
@inline(never)
func chargeThroughAccess(_ s: UnsafeMutablePointer<HotState>, _ b: UnsafeMutablePointer<BlockSummary>, _ index: Int) {
    chargeThrough(s, b, index)
}

/// The instruction of the running block at `pc`, for exceptions the CPU raises: it and the
/// instructions before it ran; the rest of the block did not.
func cutBlock(_ s: UnsafeMutablePointer<HotState>, atPC pc: UInt32) {
    guard s.pointee.blockMode, let b = s.pointee.block else { return }
    for i in 0..<b.pointee.count where b.pointee.steps[i].address == pc {
        if i < s.pointee.blockLimit {
            s.pointee.instructions &-= UInt64(s.pointee.blockLimit - 1 - i)
            // The entry was counted whole (`entries`): take back the instructions that did not run.
            for k in (i + 1)..<max(s.pointee.blockLimit, i + 1) {
                let step = b.pointee.steps[k]
                step.slot.pointee.executions &-= 1
                step.slot.pointee.cycles &-= UInt64(step.cost)
                step.slot.pointee.stallCycles &-= UInt64(step.fixedStall)
            }
            s.pointee.blockLimit = i + 1
        }
        break
    }
    finishBlock(s)
}

/// The instruction of the running block that made the data access the memory hook saw last,
/// charged and cut there; nil outside a block. For stops and events an MMIO callback causes:
/// Unicorn runs nothing of the block after them.
func cutBlockAtLastAccess(_ s: UnsafeMutablePointer<HotState>) -> UInt32? {
    guard s.pointee.blockMode, let b = s.pointee.block else { return nil }
    let index = s.pointee.lastAccessIndex
    guard index >= 0, index < b.pointee.count else { return nil }
    let pc = b.pointee.steps[index].address
    cutBlock(s, atPC: pc)
    return pc
}

/// An invalid access while a block runs: the instruction making it, charged and cut there.
/// (A protection fault may come after the access was reported to the memory hook.)
func cutBlockAtAccess(_ s: UnsafeMutablePointer<HotState>, address: UInt32) -> UInt32? {
    guard s.pointee.blockMode, let b = s.pointee.block else { return nil }
    let ordinal = s.pointee.accessOrdinal
    var index = ordinal < b.pointee.accessCount ? Int(b.pointee.accessInstruction[ordinal]) : b.pointee.count - 1
    if ordinal > 0, s.pointee.lastAccessAddress == address { index = s.pointee.lastAccessIndex }
    let pc = b.pointee.steps[index].address
    cutBlock(s, atPC: pc)
    return pc
}
