import CUnicorn

/// The per-instruction hook: count, check the limit, find the decoded instruction (decode
/// it once if new), stop on the conditions the chip itself acts on (idle branch-to-self,
/// WFI, FP with the FPU off), and charge its cycles.
let codeHook: @convention(c) (OpaquePointer?, UInt64, UInt32, UnsafeMutableRawPointer?) -> Void = { uc, address64, _, user in
    let s = user.unsafelyUnwrapped.assumingMemoryBound(to: HotState.self)
    let address = UInt32(truncatingIfNeeded: address64)
    // The block hook just asked to switch to block charging before this instruction.
    if s.pointee.stop == .switchToBlocks { return }
    s.pointee.steppedSinceSwitch &+= 1
    // Interrupts are taken at an instruction boundary, before this instruction runs.
    if s.pointee.cycles >= s.pointee.nextEventCycle, serviceEvents(s) {
        requestStop(s, uc, .exceptionEntry, address)
        return
    }
    s.pointee.instructions &+= 1
    if s.pointee.instructions >= s.pointee.instructionLimit {
        requestStop(s, uc, .instructionLimit, address)
        return
    }
    // Most instructions come from the window the previous one did: try it first.
    guard var window = s.pointee.windows.map({ $0 + s.pointee.lastWindow }) else { return }
    var offset = address &- window.pointee.base
    if offset >= window.pointee.size &- 3 {
        guard let found = findWindow(s, address) else { s.pointee.cycles &+= 1; return }
        window = found
        offset = address &- window.pointee.base
    }
    let slot = window.pointee.decoded + Int(offset >> 1)
    if slot.pointee.flags.rawValue & DecodeFlags.valid.rawValue == 0 {
        decodeCold(s, window: window.pointee, address: address)
    }
    let flags = slot.pointee.flags.rawValue
    let special = DecodeFlags.branchToSelf.rawValue | DecodeFlags.floatingPoint.rawValue | DecodeFlags.sleep.rawValue
        | DecodeFlags.maskChange.rawValue | DecodeFlags.readsControl.rawValue
    if flags & special != 0 {
        if flags & DecodeFlags.branchToSelf.rawValue != 0 { requestStop(s, uc, .idleLoop, address); return }
        if flags & DecodeFlags.sleep.rawValue != 0 { requestStop(s, uc, .sleep, address); return }
        if flags & DecodeFlags.floatingPoint.rawValue != 0, !s.pointee.fpuEnabled { requestStop(s, uc, .fpuDisabled, address); return }
        // CPS/MSR may unmask a pending interrupt: look again before the next instruction.
        if flags & DecodeFlags.maskChange.rawValue != 0 { s.pointee.nextEventCycle = 0 }
        // The result is fixed before the next instruction, on the event check's cold path.
        if flags & DecodeFlags.readsControl.rawValue != 0 {
            s.pointee.controlReadRegister = slot.pointee.op1 &+ 1
            s.pointee.nextEventCycle = 0
        }
    }
    timeInstruction(s, slot, address: address, window: window)
}

/// Cold path of the event check: SysTick and pending exceptions (MachineContext).
@inline(never)
func serviceEvents(_ s: UnsafeMutablePointer<HotState>) -> Bool {
    guard let raw = s.pointee.context else { s.pointee.nextEventCycle = .max; return false }
    return Unmanaged<MachineContext>.fromOpaque(raw).takeUnretainedValue().serviceEvents()
}

/// The window holding `address`, remembered for the next instruction.
@inline(never)
func findWindow(_ s: UnsafeMutablePointer<HotState>, _ address: UInt32) -> UnsafeMutablePointer<CodeWindow>? {
    guard let windows = s.pointee.windows else { return nil }
    for i in 0..<s.pointee.windowCount {
        let w = windows + i
        if address &- w.pointee.base < w.pointee.size &- 3 {
            s.pointee.lastWindow = i
            return w
        }
    }
    return nil
}

@inline(__always)
func requestStop(_ s: UnsafeMutablePointer<HotState>, _ uc: OpaquePointer?, _ reason: HotStop, _ address: UInt32) {
    s.pointee.stop = reason
    s.pointee.stopPC = address
    uc_emu_stop(uc)
}

/// Cold path: decode with Capstone and fill the table (an IT block fills several entries).
@inline(never)
func decodeCold(_ s: UnsafeMutablePointer<HotState>, window: CodeWindow, address: UInt32) {
    guard let raw = s.pointee.context else { return }
    let context = Unmanaged<MachineContext>.fromOpaque(raw).takeUnretainedValue()
    let offset = Int(address &- window.base)
    context.decoder.decode(bytes: window.host + offset, available: Int(window.size) - offset, address: address) { a, entry in
        let o = a &- window.base
        guard o < window.size else { return }
        window.codePages[Int(o >> 12)] = 1
        let slot = window.decoded + Int(o >> 1)
        if slot.pointee.flags.rawValue != 0 {
            foldBlockCounts(context.summaries)
            if slot.pointee.executions != 0 { context.retire(slot.pointee) }
            forgetEntry(context.hot, slot)
        }
        slot.pointee = entry
        slot.pointee.function = context.image.symbols.functionIndex(containing: a).map { UInt32($0) } ?? .max
        // Each slot once, so that snapshots walk a plain array (re-decoded slots stay registered).
        if context.decodedSlotSet.insert(slot).inserted { context.decodedSlots.append(slot) }
    }
}

/// Data accesses: count per region, charge wait states (through the cache where the
/// board's flash cache serves data), and drop decoded code that a store overwrites.
let memoryHook: @convention(c) (OpaquePointer?, uc_mem_type, UInt64, Int32, Int64, UnsafeMutableRawPointer?) -> Void = {
    uc, type, address64, size, _, user in
    let s = user.unsafelyUnwrapped.assumingMemoryBound(to: HotState.self)
    let address = UInt32(truncatingIfNeeded: address64)
    guard let pageMap = s.pointee.pageMap, let regions = s.pointee.regions else { return }
    let index = Int(pageMap[Int(address >> 12)])
    // With block charging, instructions before this one are charged first only where the
    // order shows: the cache fetches share, CYCCNT and peripherals. Plain memory needs only
    // the instruction's identity (stalls and counters are sums).
    if s.pointee.blockMode, let block = s.pointee.block {
        attributeAccess(s, block, address: address, size: size,
                        order: index == 0 || regions[index - 1].chargesInOrder ? .always : regions[index - 1].cachedReads ? .cache : .none)
    }
    guard index != 0 else { return }
    let region = regions + (index - 1)
    // With the cycle model off, accesses are still counted but cost nothing extra.
    var wait = s.pointee.cycleModel ? region.pointee.waitStates : 0
    if type == UC_MEM_WRITE {
        region.pointee.writes &+= 1
        region.pointee.writeBytes &+= UInt64(size)
        switch size {
        case 1: region.pointee.writesByWidth.0 &+= 1
        case 2: region.pointee.writesByWidth.1 &+= 1
        case 4: region.pointee.writesByWidth.2 &+= 1
        default: region.pointee.writesByWidth.3 &+= 1
        }
        if region.pointee.window >= 0, let windows = s.pointee.windows {
            invalidateDecoded(s, windows + Int(region.pointee.window), address: address, size: UInt32(size))
        }
        // High-water marks between the heap base (`end`) and the initial SP: a store at or
        // above SP is stack, below it heap. SP is read only for stores in the gap between the
        // known heap top and the known stack bottom, so the marks cost little once settled.
        if address >= s.pointee.stackLow && address < s.pointee.stackTop,
           address < s.pointee.lowestStackWrite, address >= s.pointee.highestHeapWrite {
            classifyStackOrHeap(s, uc, address: address, size: UInt32(size))
        }
    } else {
        region.pointee.reads &+= 1
        region.pointee.readBytes &+= UInt64(size)
        switch size {
        case 1: region.pointee.readsByWidth.0 &+= 1
        case 2: region.pointee.readsByWidth.1 &+= 1
        case 4: region.pointee.readsByWidth.2 &+= 1
        default: region.pointee.readsByWidth.3 &+= 1
        }
        if s.pointee.cycleModel, region.pointee.cachedReads, let cache = s.pointee.cache {
            // A repeat of the last data line with the cache unchanged since is a hit that
            // changes nothing (InstructionCache.epoch); weights streamed from flash mostly are.
            let line = address >> cache.pointee.lineShift
            if line == s.pointee.lastDataLine && cache.pointee.epoch == s.pointee.lastDataLineEpoch || cache.pointee.access(address) {
                wait = 0
                region.pointee.readCacheHits &+= 1
            }
            s.pointee.lastDataLine = line
            s.pointee.lastDataLineEpoch = cache.pointee.epoch
        }
    }
    if s.pointee.profiling, let slot = s.pointee.currentSlot {
        let units: UInt64 = size > 4 ? 2 : 1
        slot.pointee.memoryAccesses &+= units
        slot.pointee.memoryEnergyFJ &+= units &* region.pointee.accessEnergyFJ
    }
    if wait != 0 {
        s.pointee.cycles &+= UInt64(wait)
        s.pointee.lsuExtra &+= UInt64(wait)
        s.pointee.dataStallCycles &+= UInt64(wait)
        region.pointee.stallCycles &+= UInt64(wait)
        if let slot = s.pointee.currentSlot { slot.pointee.stallCycles &+= UInt64(wait) }
    }
}

@inline(never)
func classifyStackOrHeap(_ s: UnsafeMutablePointer<HotState>, _ uc: OpaquePointer?, address: UInt32, size: UInt32) {
    var sp: UInt32 = 0
    _ = mcusim_reg_read32(uc, Int32(UC_ARM_REG_SP.rawValue), &sp)
    // A PUSH/STMDB/VPUSH stores below SP before it writes SP back (up to 128 bytes for
    // VPUSH of 32 registers): treat stores just below SP as stack too.
    if UInt64(address) + 256 >= UInt64(sp) {
        s.pointee.lowestStackWrite = address
    } else {
        s.pointee.highestHeapWrite = address &+ size
    }
}

/// Self-modifying or copied code: forget decoded entries the store touches (and the
/// 32-bit instruction that may start two bytes before it). Their counters move to the
/// machine's retired totals first, so profiles stay complete.
@inline(__always)
func invalidateDecoded(_ s: UnsafeMutablePointer<HotState>, _ w: UnsafeMutablePointer<CodeWindow>, address: UInt32, size: UInt32) {
    let offset = address &- w.pointee.base
    guard offset < w.pointee.size else { return }
    var o = offset >= 2 ? offset - 2 : 0
    let end = offset &+ size
    guard w.pointee.codePages[Int(o >> 12)] | w.pointee.codePages[Int((end &- 1) >> 12)] != 0 else { return }
    while o < end, o < w.pointee.size {
        let slot = w.pointee.decoded + Int(o >> 1)
        if slot.pointee.flags.rawValue != 0 { retireDecoded(s, slot) }
        o &+= 2
    }
}

@inline(never)
func retireDecoded(_ s: UnsafeMutablePointer<HotState>, _ slot: UnsafeMutablePointer<DecodedInstruction>) {
    if let raw = s.pointee.context {
        let context = Unmanaged<MachineContext>.fromOpaque(raw).takeUnretainedValue()
        foldBlockCounts(context.summaries)
        context.retire(slot.pointee)
    }
    forgetEntry(s, slot)
    slot.pointee = DecodedInstruction()
}

/// A decoded entry is about to change. Block summaries and memoized pipeline costs point at
/// entries: a new generation drops them all (code writes are rare). The previous instruction
/// keeps its facts through a copy, since the next instruction's cost depends on them.
func forgetEntry(_ s: UnsafeMutablePointer<HotState>, _ slot: UnsafeMutablePointer<DecodedInstruction>) {
    s.pointee.blockGeneration &+= 1
    if s.pointee.previousSlot == slot {
        s.pointee.noInstruction.pointee = slot.pointee
        s.pointee.previousSlot = s.pointee.noInstruction
    }
}

/// Unmapped and protection violations: record what happened; Unicorn then stops with an error.
let invalidMemoryHook: @convention(c) (OpaquePointer?, uc_mem_type, UInt64, Int32, Int64, UnsafeMutableRawPointer?) -> Bool = {
    _, type, address, size, value, user in
    let context = Unmanaged<MachineContext>.fromOpaque(user.unsafelyUnwrapped).takeUnretainedValue()
    // With block charging the PC register is stale here: the access sequence names the instruction.
    let pc = cutBlockAtAccess(context.hot, address: UInt32(truncatingIfNeeded: address))
    context.recordInvalidAccess(type: type, address: address, size: Int(size), value: value, pc: pc)
    return false
}

/// Exceptions Unicorn raises (BKPT, SVC, ...). Cold path: semihosting and stops.
let interruptHook: @convention(c) (OpaquePointer?, UInt32, UnsafeMutableRawPointer?) -> Void = { _, intno, user in
    let context = Unmanaged<MachineContext>.fromOpaque(user.unsafelyUnwrapped).takeUnretainedValue()
    // The CPU restores the PC for its exceptions: the block ran up to that instruction.
    if context.hot.pointee.block != nil { cutBlock(context.hot, atPC: context.register(UC_ARM_REG_PC) & ~1) }
    context.handleInterrupt(intno)
}

let mmioReadHook: @convention(c) (OpaquePointer?, UInt64, UInt32, UnsafeMutableRawPointer?) -> UInt64 = { _, offset, size, user in
    let device = Unmanaged<MMIOWindow>.fromOpaque(user.unsafelyUnwrapped).takeUnretainedValue()
    return UInt64(device.read(offset: UInt32(truncatingIfNeeded: offset), size: Int(size)))
}

let mmioWriteHook: @convention(c) (OpaquePointer?, UInt64, UInt32, UInt64, UnsafeMutableRawPointer?) -> Void = { _, offset, size, value, user in
    let device = Unmanaged<MMIOWindow>.fromOpaque(user.unsafelyUnwrapped).takeUnretainedValue()
    device.write(offset: UInt32(truncatingIfNeeded: offset), size: Int(size), value: UInt32(truncatingIfNeeded: value))
    device.afterWrite?()
}

/// The benchmark's floor (`RunOptions.emptyHooks`): hooks that only count, so a run measures
/// what Unicorn spends calling them and nothing of mcusim's accounting.
let emptyCodeHook: @convention(c) (OpaquePointer?, UInt64, UInt32, UnsafeMutableRawPointer?) -> Void = { _, _, _, user in
    user.unsafelyUnwrapped.assumingMemoryBound(to: HotState.self).pointee.instructions &+= 1
}

let emptyMemoryHook: @convention(c) (OpaquePointer?, uc_mem_type, UInt64, Int32, Int64, UnsafeMutableRawPointer?) -> Void = { _, _, _, _, _, _ in }

/// The hook used with the cycle model off (`--timing off`): counts instructions and keeps
/// the stop conditions, reading instruction bytes directly instead of decoding them.
let countingCodeHook: @convention(c) (OpaquePointer?, UInt64, UInt32, UnsafeMutableRawPointer?) -> Void = { uc, address64, size, user in
    let s = user.unsafelyUnwrapped.assumingMemoryBound(to: HotState.self)
    let address = UInt32(truncatingIfNeeded: address64)
    if s.pointee.cycles >= s.pointee.nextEventCycle, serviceEvents(s) {
        requestStop(s, uc, .exceptionEntry, address)
        return
    }
    s.pointee.instructions &+= 1
    s.pointee.instructionStartCycles = s.pointee.cycles
    s.pointee.cycles &+= 1
    if s.pointee.instructions >= s.pointee.instructionLimit {
        requestStop(s, uc, .instructionLimit, address)
        return
    }
    guard let windows = s.pointee.windows else { return }
    var index = 0
    while index < s.pointee.windowCount {
        let offset = address &- windows[index].base
        if offset < windows[index].size &- 3 {
            let bytes = windows[index].host + Int(offset)
            let first = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
            if size == 2 {
                if first == 0xE7FE { requestStop(s, uc, .idleLoop, address) }
                if first == 0xBF30 || first == 0xBF20 { requestStop(s, uc, .sleep, address) }  // WFI, WFE
                if first & 0xFFEC == 0xB660 { s.pointee.nextEventCycle = 0 }  // CPSIE/CPSID
                return
            }
            let second = UInt16(bytes[2]) | UInt16(bytes[3]) << 8
            if first == 0xF7FF && second == 0xBFFE { requestStop(s, uc, .idleLoop, address); return }
            if first & 0xFFF0 == 0xF380 { s.pointee.nextEventCycle = 0 }  // MSR
            if let rd = controlReadDestination(first, second) {
                s.pointee.controlReadRegister = Int8(rd + 1)
                s.pointee.nextEventCycle = 0
            }
            // Coprocessor space with coproc 10/11 is the FPU.
            if !s.pointee.fpuEnabled, first & 0xEC00 == 0xEC00, (second >> 8) & 0xE == 0xA {
                requestStop(s, uc, .fpuDisabled, address)
            }
            return
        }
        index += 1
    }
}
