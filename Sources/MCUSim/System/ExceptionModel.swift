import CUnicorn

/// The ARMv7-M / ARMv6-M exception model Unicorn leaves out (ARMv7-M ARM B1.5): pending
/// and active state, priorities from the NVIC and SHPR, masking by PRIMASK, FAULTMASK and
/// BASEPRI, entry with the basic or FP-extended frame on MSP or PSP, EXC_RETURN, and the
/// fault status registers. Cold path: it runs at exception boundaries, never per instruction.
final class ExceptionModel {
    static let hardFault = 3, memManage = 4, busFault = 5, usageFault = 6, svcall = 11, pendSV = 14, sysTick = 15
    static let maxIRQs = 240

    private let uc: OpaquePointer
    private let core: CoreKind
    private let hot: UnsafeMutablePointer<HotState>
    /// Implemented priority bits (the top bits of each 8-bit priority field).
    let priorityBits: Int
    private(set) var pending = Set<Int>()
    /// Active exceptions, innermost last.
    private(set) var active: [Int] = []
    /// NVIC: enable bits and priority bytes of external interrupts (exception 16 + n).
    var enabled = [Bool](repeating: false, count: maxIRQs)
    var irqPriority = [UInt8](repeating: 0, count: maxIRQs)
    /// SHPR1-3: priorities of exceptions 4-15.
    var systemPriority = [UInt8](repeating: 0, count: 16)
    var vtor: UInt32 = 0
    var prigroup: UInt32 = 0
    /// SHCSR enables for MemManage (16), BusFault (17), UsageFault (18).
    var shcsr: UInt32 = 0
    var cfsr: UInt32 = 0
    var hfsr: UInt32 = 0
    var mmfar: UInt32 = 0
    var bfar: UInt32 = 0
    /// FPCCR: ASPEN and LSPEN set at reset (ARMv7-M B3.2.34).
    var fpccr: UInt32 = 0xC000_0000
    var fpcar: UInt32 = 0
    var scr: UInt32 = 0

    private(set) var taken: UInt64 = 0
    private(set) var takenByNumber: [Int: UInt64] = [:]
    /// The exception being entered now and the cycles charged for entry and return.
    let entryCycles: UInt64
    let entryCyclesFP: UInt64
    let returnCycles: UInt64
    let tailChainCycles: UInt64
    /// Set by an exception return; a new entry right after it is a tail-chain.
    private var justReturned = false

    init(uc: OpaquePointer, core: CoreKind, hot: UnsafeMutablePointer<HotState>) {
        self.uc = uc
        self.core = core
        self.hot = hot
        // Implemented priority bits: 2 on ARMv6-M, 3 on the MAX326xx/nRF52 M4s (msdk
        // __NVIC_PRIO_BITS), 4 on STM32 and RP2350-class parts; 3 is the default here.
        priorityBits = core.isArmv6M ? 2 : (core == .cortexM7 ? 4 : 3)
        switch core {
        // Cortex-M0 interrupt latency 16 cycles, M0+ 15 (Arm product pages); the return
        // is assumed to take as long. M3/M4/M7/M33: 12 cycles entry, 10 return, 6 tail-chain,
        // and 29 entry with an eagerly stacked FP context (Arm "Cortex-M4 interrupt latency").
        case .cortexM0: entryCycles = 16; entryCyclesFP = 16; returnCycles = 16; tailChainCycles = 6
        case .cortexM0Plus: entryCycles = 15; entryCyclesFP = 15; returnCycles = 15; tailChainCycles = 6
        default: entryCycles = 12; entryCyclesFP = 29; returnCycles = 10; tailChainCycles = 6
        }
    }

    // MARK: Registers

    func reg(_ id: uc_arm_reg) -> UInt32 {
        var v: UInt32 = 0
        _ = mcusim_reg_read32(uc, Int32(id.rawValue), &v)
        return v
    }

    func setReg(_ id: uc_arm_reg, _ v: UInt32) { _ = mcusim_reg_write32(uc, Int32(id.rawValue), v) }

    func read32(_ address: UInt32) -> UInt32? {
        var v: UInt32 = 0
        return uc_mem_read(uc, UInt64(address), &v, 4) == UC_ERR_OK ? v : nil
    }

    @discardableResult
    func write32(_ address: UInt32, _ value: UInt32) -> Bool {
        var v = value
        return uc_mem_write(uc, UInt64(address), &v, 4) == UC_ERR_OK
    }

    // MARK: Priorities

    /// Raw priority of an exception (negative for Reset, NMI, HardFault).
    func priority(of n: Int) -> Int {
        switch n {
        case 1: return -3
        case 2: return -2
        case 3: return -1
        case 4..<16: return Int(systemPriority[n] & implementedMask)
        default:
            let irq = n - 16
            return irq < ExceptionModel.maxIRQs ? Int(irqPriority[irq] & implementedMask) : 255
        }
    }

    var implementedMask: UInt8 { UInt8(truncatingIfNeeded: 0xFF << (8 - priorityBits)) }

    /// The group (preemption) part of a priority under AIRCR.PRIGROUP.
    func group(_ p: Int) -> Int {
        guard p >= 0 else { return p }
        let subBits = Int(prigroup) + 1
        return (p >> subBits) << subBits
    }

    /// The execution priority: the most urgent of the active exceptions and the masks.
    func executionPriority() -> Int {
        var current = 256
        for n in active { current = min(current, group(priority(of: n))) }
        if reg(UC_ARM_REG_FAULTMASK) & 1 != 0 { current = min(current, -1) }
        if reg(UC_ARM_REG_PRIMASK) & 1 != 0 { current = min(current, 0) }
        let basepri = Int(reg(UC_ARM_REG_BASEPRI) & UInt32(implementedMask))
        if basepri != 0 { current = min(current, group(basepri)) }
        return current
    }

    /// Whether an exception is enabled to be taken when pending.
    func isEnabled(_ n: Int) -> Bool {
        if n >= 16 { return n - 16 < ExceptionModel.maxIRQs && enabled[n - 16] }
        return true
    }

    /// The pending exception that would be taken now, if any: most urgent priority, then
    /// lowest number; it must beat the execution priority.
    func nextToTake() -> Int? {
        var best: Int?
        var bestPriority = Int.max
        for n in pending.sorted() where isEnabled(n) {
            let p = group(priority(of: n))
            if p < bestPriority { best = n; bestPriority = p }
        }
        guard let best, bestPriority < executionPriority() else { return nil }
        return best
    }

    /// Makes `n` pending (a negative `n` only asks for a new look: an enable or a priority
    /// changed) and has the next instruction boundary consider it.
    func setPending(_ n: Int) {
        if n > 0 { pending.insert(n) }
        hot.pointee.nextEventCycle = 0
    }

    func clearPending(_ n: Int) { pending.remove(n) }

    /// True while something pending is enabled: WFI then has something to wake it.
    var anythingPendingEnabled: Bool { pending.contains { isEnabled($0) } }

    // MARK: Faults

    /// Configurable faults escalate to HardFault when disabled or when they cannot preempt
    /// (ARMv7-M B1.5.8); HFSR.FORCED records it.
    func faultTarget(_ n: Int) -> Int {
        let enableBit: UInt32 = n == ExceptionModel.memManage ? 16 : n == ExceptionModel.busFault ? 17 : 18
        if core.isArmv6M || shcsr & (1 << enableBit) == 0 || group(priority(of: n)) >= executionPriority() {
            hfsr |= 1 << 30
            return ExceptionModel.hardFault
        }
        return n
    }

    /// Whether a handler is installed for `n`: the vector holds a Thumb address in memory.
    func handlerAddress(_ n: Int, memoryContains: (UInt32) -> Bool) -> UInt32? {
        guard let vector = read32(vtor &+ UInt32(n) * 4), vector & 1 == 1, memoryContains(vector & ~1) else { return nil }
        return vector & ~1
    }

    // MARK: Entry and return

    /// Stacks the context and enters exception `n` at `handler`; `returnAddress` is the PC
    /// the frame records. Returns false if the stack is not writable (a lockup).
    func enter(_ n: Int, handler: UInt32, returnAddress: UInt32) -> Bool {
        let control = reg(UC_ARM_REG_CONTROL)
        let ipsr = reg(UC_ARM_REG_IPSR) & 0x1FF
        let threadMode = ipsr == 0
        let usePSP = threadMode && control & 2 != 0
        let fpActive = core.hasFPU && control & 4 != 0
        var sp = usePSP ? reg(UC_ARM_REG_PSP) : reg(UC_ARM_REG_MSP)
        let frameWords: UInt32 = fpActive ? 26 : 8
        var xpsr = reg(UC_ARM_REG_XPSR)
        // Align the frame to 8 bytes (CCR.STKALIGN) and record it in xPSR bit 9.
        sp &-= frameWords * 4
        if sp & 4 != 0 { sp &-= 4; xpsr |= 1 << 9 } else { xpsr &= ~(1 << 9) }
        let frame: [UInt32] = [reg(UC_ARM_REG_R0), reg(UC_ARM_REG_R1), reg(UC_ARM_REG_R2), reg(UC_ARM_REG_R3),
                               reg(UC_ARM_REG_R12), reg(UC_ARM_REG_LR), returnAddress & ~1, xpsr | (1 << 24)]
        for (i, word) in frame.enumerated() where !write32(sp &+ UInt32(i) * 4, word) { return false }
        if fpActive {
            // The FP context is written at entry (equivalent to lazy stacking for the
            // program's results); cycles are charged as lazy when FPCCR.LSPEN is set.
            for i in 0..<16 { write32(sp &+ 0x20 &+ UInt32(i) * 4, reg(uc_arm_reg(UC_ARM_REG_S0.rawValue + UInt32(i)))) }
            write32(sp &+ 0x60, reg(UC_ARM_REG_FPSCR))
            fpcar = sp &+ 0x20
        }
        if usePSP { setReg(UC_ARM_REG_PSP, sp) } else { setReg(UC_ARM_REG_MSP, sp) }
        // EXC_RETURN: bit 4 clear for an FP frame, bit 3 thread mode, bit 2 PSP.
        var excReturn: UInt32 = 0xFFFF_FFF1
        if threadMode { excReturn |= 0x8 }
        if usePSP { excReturn |= 0x4 }
        if fpActive { excReturn &= ~0x10 }
        setReg(UC_ARM_REG_IPSR, UInt32(n))
        // Entry clears FPCA. Unicorn 2.0.1 also sets the ARMv8-M SFPA bit (3) on FP use; it
        // is left alone because clearing it makes Unicorn reload FPSCR from its default
        // (docs/system.md, "Unicorn quirks").
        if fpActive { setReg(UC_ARM_REG_CONTROL, control & ~4) }
        setReg(UC_ARM_REG_LR, excReturn)
        setReg(UC_ARM_REG_PC, handler | 1)
        pending.remove(n)
        active.append(n)
        taken += 1
        takenByNumber[n, default: 0] += 1
        let cost = justReturned ? tailChainCycles : (fpActive && fpccr & (1 << 30) == 0 ? entryCyclesFP : entryCycles)
        if justReturned {
            // A tail-chain replaces the return just charged and this entry with 6 cycles.
            hot.pointee.cycles &-= min(returnCycles, hot.pointee.cycles)
        }
        justReturned = false
        hot.pointee.cycles &+= cost
        hot.pointee.exceptionCycles &+= cost
        hot.pointee.nextEventCycle = 0
        return true
    }

    enum ReturnOutcome {
        case resumed
        case invalid(String)
    }

    /// Exception return through an EXC_RETURN value in PC.
    func exceptionReturn(_ excReturn: UInt32) -> ReturnOutcome {
        guard let n = active.last else {
            return .invalid(String(format: "exception return (EXC_RETURN 0x%08X) with no exception active", excReturn))
        }
        // The six architectural values: handler/MSP, thread/MSP, thread/PSP, each basic or FP.
        let valid: Set<UInt32> = core.hasFPU ? [0xFFFF_FFF1, 0xFFFF_FFF9, 0xFFFF_FFFD, 0xFFFF_FFE1, 0xFFFF_FFE9, 0xFFFF_FFED]
                                             : [0xFFFF_FFF1, 0xFFFF_FFF9, 0xFFFF_FFFD]
        guard valid.contains(excReturn) else {
            return .invalid(String(format: "invalid EXC_RETURN 0x%08X returning from exception %d (an INVPC UsageFault on the chip)", excReturn, n))
        }
        active.removeLast()
        let toThread = excReturn & 0x8 != 0
        let usePSP = excReturn & 0x4 != 0
        let fpFrame = excReturn & 0x10 == 0
        var sp = usePSP ? reg(UC_ARM_REG_PSP) : reg(UC_ARM_REG_MSP)
        var frame = [UInt32](repeating: 0, count: 8)
        for i in 0..<8 {
            guard let w = read32(sp &+ UInt32(i) * 4) else {
                return .invalid(String(format: "exception return from %d: the stack frame at 0x%08X is not readable", n, sp))
            }
            frame[i] = w
        }
        if fpFrame {
            for i in 0..<16 {
                if let w = read32(sp &+ 0x20 &+ UInt32(i) * 4) { setReg(uc_arm_reg(UC_ARM_REG_S0.rawValue + UInt32(i)), w) }
            }
            if let w = read32(sp &+ 0x60) { setReg(UC_ARM_REG_FPSCR, w) }
        }
        let xpsr = frame[7]
        sp &+= (fpFrame ? 26 : 8) * 4
        if xpsr & (1 << 9) != 0 { sp &+= 4 }
        setReg(UC_ARM_REG_R0, frame[0])
        setReg(UC_ARM_REG_R1, frame[1])
        setReg(UC_ARM_REG_R2, frame[2])
        setReg(UC_ARM_REG_R3, frame[3])
        setReg(UC_ARM_REG_R12, frame[4])
        setReg(UC_ARM_REG_LR, frame[5])
        let returnIPSR = toThread ? 0 : xpsr & 0x1FF
        setReg(UC_ARM_REG_IPSR, returnIPSR)
        // APSR flags and the GE bits come back from the frame.
        setReg(UC_ARM_REG_APSR, xpsr & 0xF80F_0000)
        if usePSP { setReg(UC_ARM_REG_PSP, sp) } else { setReg(UC_ARM_REG_MSP, sp) }
        if fpFrame { setReg(UC_ARM_REG_CONTROL, reg(UC_ARM_REG_CONTROL) | 4) }
        setReg(UC_ARM_REG_PC, frame[6] | 1)
        hot.pointee.cycles &+= returnCycles
        hot.pointee.exceptionCycles &+= returnCycles
        justReturned = true
        // Anything pending may now be taken (tail-chain, or a lower priority that waited).
        hot.pointee.nextEventCycle = 0
        return .resumed
    }

    /// Called before the next instruction: the return is over if nothing chained.
    func settle() { justReturned = false }

    var activeException: Int? { active.last }

    /// ICSR's read view: VECTACTIVE, VECTPENDING, ISRPENDING, PENDSVSET, PENDSTSET.
    func icsr() -> UInt32 {
        var v = UInt32(active.last ?? 0) & 0x1FF
        if let p = pending.filter({ isEnabled($0) }).min(by: { (group(priority(of: $0)), $0) < (group(priority(of: $1)), $1) }) {
            v |= UInt32(p & 0x1FF) << 12
        }
        if pending.contains(where: { $0 >= 16 }) { v |= 1 << 22 }
        if pending.contains(ExceptionModel.pendSV) { v |= 1 << 28 }
        if pending.contains(ExceptionModel.sysTick) { v |= 1 << 26 }
        if active.count == 1 { v |= 1 << 11 }  // RETTOBASE: returning would reach thread mode
        return v
    }
}
