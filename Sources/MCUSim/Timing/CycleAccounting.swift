import CUnicorn

/// Charges one instruction's cycles: a pending branch's refill, instruction-fetch wait
/// states, the decoded base cost, and the pipeline rules of the core (M3/M4 load
/// pipelining and address-dependency stalls, load-use stalls, M7 dual issue).
@inline(__always)
func timeInstruction(_ s: UnsafeMutablePointer<HotState>, _ slot: UnsafeMutablePointer<DecodedInstruction>, address: UInt32,
                     window: UnsafeMutablePointer<CodeWindow>) {
    let e = slot.pointee
    var cycles = s.pointee.cycles
    let classCycles = s.pointee.classCycles.unsafelyUnwrapped
    let flags = e.flags.rawValue

    // A conditional branch before this one was taken if we are not at its fall-through.
    if s.pointee.pendingTakenExtra != 0 {
        if address != s.pointee.expectedNext {
            let extra = UInt64(s.pointee.pendingTakenExtra)
            cycles &+= extra
            classCycles[Int(s.pointee.pendingClass)] &+= extra
            s.pointee.cpiExtra &+= extra
        }
        s.pointee.pendingTakenExtra = 0
    }
    s.pointee.instructionStartCycles = cycles

    // Instruction fetch from wait-stated memory, per fetch granule (cache line or word).
    if window.pointee.fetchWaitStates != 0 {
        let shift = s.pointee.fetchShift
        let first = address >> shift
        let last = (address &+ UInt32(e.size) &- 1) >> shift
        if first != s.pointee.lastFetchGranule {
            cycles &+= fetchStall(s, granule: first, window: window.pointee)
        }
        if last != first {
            cycles &+= fetchStall(s, granule: last, window: window.pointee)
        }
        s.pointee.lastFetchGranule = last
    }

    var cost = UInt32(e.cost)
    if flags & DecodeFlags.dynamic.rawValue != 0 { cost = dynamicCost(s, e) }

    let previous = s.pointee.previousFlags
    let memoryAccess = DecodeFlags.load.rawValue | DecodeFlags.store.rawValue
    if s.pointee.pipelinesLoads && flags & memoryAccess != 0 {
        let dependsOnPrevious = e.addressRegs & s.pointee.previousWrites != 0
        if flags & DecodeFlags.pipelinableAccess.rawValue != 0,
           previous & DecodeFlags.pipelinableLoad.rawValue != 0, !dependsOnPrevious {
            // Pre/post-indexed loads on the same base do not chain (jnk0le, M3/M4).
            let chainedWriteback = flags & DecodeFlags.writeback.rawValue != 0
                && previous & DecodeFlags.writeback.rawValue != 0
                && e.addressRegs & s.pointee.previousAddressRegs != 0
            if !chainedWriteback && cost > 1 { cost -= 1 }
        } else if dependsOnPrevious && previous & DecodeFlags.aluResult.rawValue != 0 {
            cost &+= s.pointee.addressDependencyStall
        }
    }
    if s.pointee.loadUseStall != 0 && e.reads & s.pointee.previousLoadDestinations != 0 {
        cost &+= s.pointee.loadUseStall
    }
    if s.pointee.dualIssue { cost = dualIssueCost(s, e, cost: cost) }

    if cost > 1 {
        if flags & memoryAccess != 0 { s.pointee.lsuExtra &+= UInt64(cost - 1) } else { s.pointee.cpiExtra &+= UInt64(cost - 1) }
    }
    cycles &+= UInt64(cost)
    classCycles[Int(e.cls)] &+= UInt64(cost)
    s.pointee.classCounts.unsafelyUnwrapped[Int(e.cls)] &+= 1
    s.pointee.cycles = cycles

    s.pointee.previousFlags = flags
    s.pointee.previousWrites = e.writes
    s.pointee.previousAddressRegs = e.addressRegs
    s.pointee.previousLoadDestinations = flags & DecodeFlags.load.rawValue == 0 ? 0
        : (flags & DecodeFlags.writeback.rawValue != 0 ? e.writes & ~e.addressRegs : e.writes)
    if e.takenExtra != 0 {
        s.pointee.pendingTakenExtra = UInt32(e.takenExtra)
        s.pointee.pendingClass = e.cls
        s.pointee.expectedNext = address &+ UInt32(e.size)
    }
}

/// Wait states for one fetch granule: through the cache when the window has one.
@inline(__always)
func fetchStall(_ s: UnsafeMutablePointer<HotState>, granule: UInt32, window: CodeWindow) -> UInt64 {
    if window.fetchCached, s.pointee.cache != nil {
        if s.pointee.cache!.access(granule << s.pointee.fetchShift) { return 0 }
    }
    let stall = UInt64(window.fetchWaitStates)
    s.pointee.fetchStallCycles &+= stall
    s.pointee.cpiExtra &+= stall
    return stall
}

/// Cortex-M7 dual issue, approximated: two adjacent eligible instructions with no
/// dependency share a cycle unless both use the same single unit (memory, multiplier, FPU).
@inline(__always)
func dualIssueCost(_ s: UnsafeMutablePointer<HotState>, _ e: DecodedInstruction, cost: UInt32) -> UInt32 {
    let flags = e.flags.rawValue
    let previous = s.pointee.previousFlags
    let eligible = DecodeFlags.dualIssuable.rawValue
    if flags & eligible != 0, previous & eligible != 0, !s.pointee.previousPaired,
       flags & DecodeFlags.olderSlotOnly.rawValue == 0,
       e.reads & s.pointee.previousWrites == 0 {
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

/// Slow path for costs that depend on values: division by operand size, and conditional
/// multi-cycle instructions that may fail their condition.
@inline(never)
func dynamicCost(_ s: UnsafeMutablePointer<HotState>, _ e: DecodedInstruction) -> UInt32 {
    let uc = s.pointee.uc
    switch DynamicKind(rawValue: e.dynamicKind) ?? .none {
    case .divideUnsigned, .divideSigned:
        if e.flags.contains(.conditional), !conditionPasses(s, e.condition) { return UInt32(e.skippedCost) }
        var dividend: UInt32 = 0, divisor: UInt32 = 0
        if e.op1 >= 0, e.op1 <= 12 { _ = mcusim_reg_read32(uc, Int32(UC_ARM_REG_R0.rawValue) + Int32(e.op1), &dividend) }
        if e.op2 >= 0, e.op2 <= 12 { _ = mcusim_reg_read32(uc, Int32(UC_ARM_REG_R0.rawValue) + Int32(e.op2), &divisor) }
        return divideCycles(dividend: dividend, divisor: divisor, signed: e.dynamicKind == DynamicKind.divideSigned.rawValue)
    case .conditional:
        return conditionPasses(s, e.condition) ? UInt32(e.cost) : UInt32(e.skippedCost)
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

/// Evaluates an ARM condition (Capstone's arm_cc numbering) against the current APSR.
func conditionPasses(_ s: UnsafeMutablePointer<HotState>, _ condition: UInt8) -> Bool {
    var xpsr: UInt32 = 0
    _ = mcusim_reg_read32(s.pointee.uc, Int32(UC_ARM_REG_XPSR.rawValue), &xpsr)
    let n = xpsr & (1 << 31) != 0, z = xpsr & (1 << 30) != 0, c = xpsr & (1 << 29) != 0, v = xpsr & (1 << 28) != 0
    // arm_cc: 1 EQ, 2 NE, 3 HS, 4 LO, 5 MI, 6 PL, 7 VS, 8 VC, 9 HI, 10 LS, 11 GE, 12 LT, 13 GT, 14 LE, 15 AL.
    switch condition {
    case 1: return z
    case 2: return !z
    case 3: return c
    case 4: return !c
    case 5: return n
    case 6: return !n
    case 7: return v
    case 8: return !v
    case 9: return c && !z
    case 10: return !c || z
    case 11: return n == v
    case 12: return n != v
    case 13: return !z && n == v
    case 14: return z || n != v
    default: return true
    }
}
