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
    if s.pointee.block != nil { finishBlock(s) }
    guard let window = windowHolding(s, address) else { requestStop(s, uc, .switchToStepping, address); return }
    let offset = Int((address &- window.pointee.base) >> 1)
    let table = s.pointee.summaryTables.unsafelyUnwrapped[s.pointee.lastWindow]
    var summary = table[offset]
    if summary == nil || summary.unsafelyUnwrapped.pointee.size != size
        || summary.unsafelyUnwrapped.pointee.generation != s.pointee.blockGeneration {
        summary = buildBlockSummary(s, window: window, start: address, size: size)
        table[offset] = summary
    }
    let b = summary.unsafelyUnwrapped
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
    s.pointee.block = b
    s.pointee.blockCharged = 1
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
    let offset = Int((address &- window.pointee.base) >> 1)
    let table = s.pointee.summaryTables.unsafelyUnwrapped[s.pointee.lastWindow]
    var summary = table[offset]
    if summary == nil || summary.unsafelyUnwrapped.pointee.size != size
        || summary.unsafelyUnwrapped.pointee.generation != s.pointee.blockGeneration {
        summary = buildBlockSummary(s, window: window, start: address, size: size)
        table[offset] = summary
    }
    let b = summary.unsafelyUnwrapped
    guard b.pointee.supported, !b.pointee.usesFloatingPoint || s.pointee.fpuEnabled,
          s.pointee.instructions &+ UInt64(b.pointee.count) < s.pointee.instructionLimit else { return }
    requestStop(s, uc, .switchToBlocks, address)
}

@inline(__always)
func windowHolding(_ s: UnsafeMutablePointer<HotState>, _ address: UInt32) -> UnsafeMutablePointer<CodeWindow>? {
    guard let windows = s.pointee.windows else { return nil }
    let w = windows + s.pointee.lastWindow
    if address &- w.pointee.base < w.pointee.size &- 3 { return w }
    return findWindow(s, address)
}

/// Charges the block's instructions up to and including `index`, in order: each one's
/// start cycle (what a CYCCNT read returns), fetch words, cost and counters.
@inline(__always)
func chargeThrough(_ s: UnsafeMutablePointer<HotState>, _ b: UnsafeMutablePointer<BlockSummary>, _ index: Int) {
    var i = s.pointee.blockCharged
    guard i <= index else { return }
    let window = b.pointee.window
    var cycles = s.pointee.cycles
    var start = cycles
    repeat {
        let step = b.pointee.steps + i
        let slot = step.pointee.slot
        start = cycles
        var stall: UInt64 = 0
        if step.pointee.fetchFirst != .max { stall = fetchWord(s, word: step.pointee.fetchFirst, window: window) }
        if step.pointee.fetchSecond != .max { stall &+= fetchWord(s, word: step.pointee.fetchSecond, window: window) }
        if stall != 0 {
            cycles &+= stall
            slot.pointee.stallCycles &+= stall
        }
        let cost = step.pointee.cost
        if cost > 1 {
            if step.pointee.isMemory { s.pointee.lsuExtra &+= UInt64(cost - 1) } else { s.pointee.cpiExtra &+= UInt64(cost - 1) }
        }
        cycles &+= UInt64(cost)
        slot.pointee.executions &+= 1
        slot.pointee.cycles &+= UInt64(cost)
        i += 1
    } while i <= index
    s.pointee.lastFetchGranule = b.pointee.steps[index].lastWord
    s.pointee.instructionStartCycles = start
    s.pointee.cycles = cycles
    s.pointee.blockCharged = i
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
func attributeAccess(_ s: UnsafeMutablePointer<HotState>, _ b: UnsafeMutablePointer<BlockSummary>, address: UInt32, size: Int32) {
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
    chargeThrough(s, b, index)
    s.pointee.currentSlot = b.pointee.steps[index].slot
}

/// The instruction of the running block at `pc`, for exceptions the CPU raises: it and the
/// instructions before it ran; the rest of the block did not.
func cutBlock(_ s: UnsafeMutablePointer<HotState>, atPC pc: UInt32) {
    guard s.pointee.blockMode, let b = s.pointee.block else { return }
    for i in 0..<b.pointee.count where b.pointee.steps[i].address == pc {
        if i < s.pointee.blockLimit {
            s.pointee.instructions &-= UInt64(s.pointee.blockLimit - 1 - i)
            s.pointee.blockLimit = i + 1
        }
        break
    }
    finishBlock(s)
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
