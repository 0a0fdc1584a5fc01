/// The Cortex-M Private Peripheral Bus (0xE0000000-0xE00FFFFF): SCB, SysTick, NVIC, DWT,
/// CoreDebug. Unicorn emulates none of it. This model keeps every register firmware
/// writes, answers CPUID per core, ties CPACR to the FPU gate the hot path checks, and
/// drives the DWT counters and SysTick from the cycle model.
final class SystemControlSpace: Peripheral {
    let name = "system"
    let base: UInt32 = 0xE000_0000
    let size: UInt32 = 0x0010_0000
    private let core: CoreKind
    private let hot: UnsafeMutablePointer<HotState>
    /// Plain register file for everything not modelled specially (word-indexed).
    private var words: [UInt32: UInt32] = [:]
    let dwt: DataWatchpointTrace
    let sysTick: SysTickTimer
    let exceptions: ExceptionModel
    /// Set by a write of AIRCR.SYSRESETREQ; the machine stops with reason `reset`.
    var resetRequested: (() -> Void)?

    static let cpuid: UInt32 = 0xE000_ED00
    static let icsr: UInt32 = 0xE000_ED04
    static let vtor: UInt32 = 0xE000_ED08
    static let aircr: UInt32 = 0xE000_ED0C
    static let scr: UInt32 = 0xE000_ED10
    static let ccr: UInt32 = 0xE000_ED14
    static let shcsr: UInt32 = 0xE000_ED24
    static let cfsr: UInt32 = 0xE000_ED28
    static let hfsr: UInt32 = 0xE000_ED2C
    static let mmfar: UInt32 = 0xE000_ED34
    static let bfar: UInt32 = 0xE000_ED38
    static let cpacr: UInt32 = 0xE000_ED88
    static let demcr: UInt32 = 0xE000_EDFC
    static let stir: UInt32 = 0xE000_EF00
    static let fpccr: UInt32 = 0xE000_EF34
    static let fpcar: UInt32 = 0xE000_EF38

    init(core: CoreKind, hot: UnsafeMutablePointer<HotState>, exceptions: ExceptionModel) {
        self.core = core
        self.hot = hot
        self.exceptions = exceptions
        dwt = DataWatchpointTrace(hot: hot, present: !core.isArmv6M)
        sysTick = SysTickTimer(hot: hot)
        // CCR.STKALIGN is set at reset on the M3 r2 and later, M4, M7 and M33.
        words[SystemControlSpace.ccr] = core.isArmv6M ? 0x208 : 0x200
    }

    /// NVIC registers: 32 interrupts per word.
    private func nvicRead(_ word: UInt32) -> UInt32? {
        func bits(_ base: UInt32, _ test: (Int) -> Bool) -> UInt32? {
            guard word >= base, word < base + 0x40 else { return nil }
            let first = Int(word - base) * 8
            var v: UInt32 = 0
            for b in 0..<32 where first + b < ExceptionModel.maxIRQs && test(first + b) { v |= 1 << UInt32(b) }
            return v
        }
        if let v = bits(0xE000_E100, { self.exceptions.enabled[$0] }) { return v }  // ISER
        if let v = bits(0xE000_E180, { self.exceptions.enabled[$0] }) { return v }  // ICER
        if let v = bits(0xE000_E200, { self.exceptions.pending.contains($0 + 16) }) { return v }  // ISPR
        if let v = bits(0xE000_E280, { self.exceptions.pending.contains($0 + 16) }) { return v }  // ICPR
        if let v = bits(0xE000_E300, { self.exceptions.active.contains($0 + 16) }) { return v }  // IABR
        if word >= 0xE000_E400, word < 0xE000_E400 + UInt32(ExceptionModel.maxIRQs) {
            let i = Int(word - 0xE000_E400)
            return (0..<4).reduce(UInt32(0)) { v, k in v | UInt32(exceptions.irqPriority[i + k]) << (8 * UInt32(k)) }
        }
        return nil
    }

    private func nvicWrite(_ word: UInt32, _ value: UInt32) -> Bool {
        func apply(_ base: UInt32, _ action: (Int) -> Void) -> Bool {
            guard word >= base, word < base + 0x40 else { return false }
            let first = Int(word - base) * 8
            for b in 0..<32 where value & (1 << UInt32(b)) != 0 && first + b < ExceptionModel.maxIRQs { action(first + b) }
            return true
        }
        if apply(0xE000_E100, { self.exceptions.enabled[$0] = true; self.exceptions.setPending(-1) }) { return true }
        if apply(0xE000_E180, { self.exceptions.enabled[$0] = false }) { return true }
        if apply(0xE000_E200, { self.exceptions.setPending($0 + 16) }) { return true }
        if apply(0xE000_E280, { self.exceptions.clearPending($0 + 16) }) { return true }
        if word >= 0xE000_E300, word < 0xE000_E340 { return true }  // IABR is read-only
        if word >= 0xE000_E400, word < 0xE000_E400 + UInt32(ExceptionModel.maxIRQs) {
            let i = Int(word - 0xE000_E400)
            for k in 0..<4 where i + k < ExceptionModel.maxIRQs {
                exceptions.irqPriority[i + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) & exceptions.implementedMask
            }
            exceptions.setPending(-1)
            return true
        }
        return false
    }

    /// CPUID values from each core's Technical Reference Manual (implementer 0x41, part number).
    static func cpuidValue(_ core: CoreKind) -> UInt32 {
        switch core {
        case .cortexM0: return 0x410C_C200
        case .cortexM0Plus: return 0x410C_C601
        case .cortexM3: return 0x412F_C231
        case .cortexM4, .cortexM4F: return 0x410F_C241
        case .cortexM7: return 0x411F_C270
        case .cortexM33: return 0x410F_D210
        }
    }

    func read(address: UInt32, size: Int) -> UInt32 {
        let word = address & ~3
        if DataWatchpointTrace.range.contains(word) { return extract(dwt.read(word), address: address, size: size) }
        if SysTickTimer.range.contains(word) { return extract(sysTick.read(word), address: address, size: size) }
        if let v = nvicRead(word) { return extract(v, address: address, size: size) }
        let e = exceptions
        let value: UInt32
        switch word {
        case SystemControlSpace.cpuid: value = SystemControlSpace.cpuidValue(core)
        case SystemControlSpace.icsr: value = e.icsr()
        case SystemControlSpace.vtor: value = e.vtor
        case SystemControlSpace.aircr: value = 0xFA05_0000 | (e.prigroup << 8)
        case SystemControlSpace.scr: value = e.scr
        case 0xE000_ED18, 0xE000_ED1C, 0xE000_ED20:  // SHPR1-3: priorities of exceptions 4-15
            let first = Int(word - 0xE000_ED18) + 4
            value = (0..<4).reduce(UInt32(0)) { v, k in v | UInt32(e.systemPriority[first + k]) << (8 * UInt32(k)) }
        case SystemControlSpace.shcsr:
            var v = e.shcsr & 0x0007_0000
            for (n, bit) in [(4, 0), (5, 1), (6, 3), (11, 7), (14, 10), (15, 11)] where e.active.contains(n) { v |= 1 << UInt32(bit) }
            for (n, bit) in [(6, 12), (4, 13), (5, 14), (11, 15)] where e.pending.contains(n) { v |= 1 << UInt32(bit) }
            value = v
        case SystemControlSpace.cfsr: value = e.cfsr
        case SystemControlSpace.hfsr: value = e.hfsr
        case SystemControlSpace.mmfar: value = e.mmfar
        case SystemControlSpace.bfar: value = e.bfar
        case SystemControlSpace.fpccr: value = core.hasFPU ? e.fpccr : 0
        case SystemControlSpace.fpcar: value = core.hasFPU ? e.fpcar : 0
        default: value = words[word] ?? 0
        }
        return extract(value, address: address, size: size)
    }

    func write(address: UInt32, size: Int, value: UInt32) {
        let word = address & ~3
        if DataWatchpointTrace.range.contains(word) {
            dwt.write(word, merge(dwt.read(word), address: address, size: size, value: value))
            return
        }
        if SysTickTimer.range.contains(word) {
            sysTick.write(word, merge(sysTick.read(word), address: address, size: size, value: value))
            return
        }
        if nvicWrite(word, merge(nvicRead(word) ?? 0, address: address, size: size, value: value)) { return }
        let e = exceptions
        let v = merge(read(address: word, size: 4), address: address, size: size, value: value)
        switch word {
        case SystemControlSpace.cpuid: return  // read-only
        case SystemControlSpace.icsr:
            if v & (1 << 28) != 0 { e.setPending(ExceptionModel.pendSV) }
            if v & (1 << 27) != 0 { e.clearPending(ExceptionModel.pendSV) }
            if v & (1 << 26) != 0 { e.setPending(ExceptionModel.sysTick) }
            if v & (1 << 25) != 0 { e.clearPending(ExceptionModel.sysTick) }
            if v & (1 << 31) != 0 { e.setPending(2) }
        case SystemControlSpace.vtor: e.vtor = v & 0xFFFF_FF80
        case SystemControlSpace.aircr:
            guard v >> 16 == 0x05FA else { return }  // VECTKEY must be written with the value
            e.prigroup = core.isArmv6M ? 0 : (v >> 8) & 7
            if v & (1 << 2) != 0 { resetRequested?() }
        case SystemControlSpace.scr: e.scr = v & 0x16
        case 0xE000_ED18, 0xE000_ED1C, 0xE000_ED20:
            let first = Int(word - 0xE000_ED18) + 4
            for k in 0..<4 { e.systemPriority[first + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) & e.implementedMask }
            e.setPending(-1)
        case SystemControlSpace.shcsr: e.shcsr = v & 0x0007_0000
        case SystemControlSpace.cfsr, SystemControlSpace.hfsr:
            // Write one to clear, only in the byte lanes actually written.
            let shift = (address & 3) * 8
            let lanes: UInt32 = size >= 4 ? 0xFFFF_FFFF : ((1 << (UInt32(size) * 8)) - 1) << shift
            let cleared = (value << shift) & lanes
            if word == SystemControlSpace.cfsr { e.cfsr &= ~cleared } else { e.hfsr &= ~cleared }
        case SystemControlSpace.mmfar: e.mmfar = v
        case SystemControlSpace.bfar: e.bfar = v
        case SystemControlSpace.stir: e.setPending(Int(v & 0x1FF) + 16)
        case SystemControlSpace.fpccr: e.fpccr = v & 0xC000_01FB
        case SystemControlSpace.fpcar: e.fpcar = v & ~7
        case SystemControlSpace.cpacr:
            // Without an FPU, CP10/CP11 bits are RAZ/WI (ARMv7-M ARM B3.2.20).
            let cpacr = core.hasFPU ? v : v & ~(0xF << 20)
            words[word] = cpacr
            // Any access level other than "denied" (0b00) for both CP10 and CP11 lets FP run.
            hot.pointee.fpuEnabled = (cpacr >> 20) & 0x3 != 0 && (cpacr >> 22) & 0x3 != 0
        case SystemControlSpace.demcr:
            words[word] = v
            dwt.traceEnabled = v & (1 << 24) != 0
        default:
            words[word] = v
        }
    }
}

/// DWT cycle and profiling counters (ARMv7-M ARM C1.8), driven by the cycle model.
/// CYCCNT counts while DEMCR.TRCENA and DWT_CTRL.CYCCNTENA are set and is writable; the
/// 8-bit CPI, EXC, SLEEP, LSU and FOLD counters count their events from reset. ARMv6-M
/// cores have no cycle counter: these registers read as zero there.
final class DataWatchpointTrace {
    static let range: ClosedRange<UInt32> = 0xE000_1000...0xE000_1FFC
    static let ctrl: UInt32 = 0xE000_1000
    static let cyccnt: UInt32 = 0xE000_1004
    static let cpicnt: UInt32 = 0xE000_1008
    static let exccnt: UInt32 = 0xE000_100C
    static let sleepcnt: UInt32 = 0xE000_1010
    static let lsucnt: UInt32 = 0xE000_1014
    static let foldcnt: UInt32 = 0xE000_1018

    private let hot: UnsafeMutablePointer<HotState>
    private let present: Bool
    private var control: UInt32 = 0
    /// CYCCNT as of `anchor` cycles; it advances from there while counting.
    private var cycleBase: UInt32 = 0
    private var anchor: UInt64 = 0
    private var cpiBase: UInt64 = 0
    private var lsuBase: UInt64 = 0
    var traceEnabled = false {
        didSet { rebase(wasCounting: oldValue && control & 1 != 0) }
    }
    /// Sleep cycles are added by the machine when it sleeps through WFI.
    var sleepCycles: UInt64 = 0

    init(hot: UnsafeMutablePointer<HotState>, present: Bool) {
        self.hot = hot
        self.present = present
    }

    private var counting: Bool { traceEnabled && control & 1 != 0 }
    /// A read sees the count when its instruction began.
    private var now: UInt64 { hot.pointee.instructionStartCycles }

    private func cycleCount() -> UInt32 {
        counting ? cycleBase &+ UInt32(truncatingIfNeeded: now &- anchor) : cycleBase
    }

    private func rebase(wasCounting: Bool) {
        if wasCounting { cycleBase = cycleBase &+ UInt32(truncatingIfNeeded: now &- anchor) }
        anchor = now
    }

    func read(_ word: UInt32) -> UInt32 {
        guard present else { return 0 }
        switch word {
        // NUMCOMP = 4 comparators in bits 31:28, as on the M3/M4.
        case DataWatchpointTrace.ctrl: return control | 0x4000_0000
        case DataWatchpointTrace.cyccnt: return cycleCount()
        case DataWatchpointTrace.cpicnt: return UInt32(truncatingIfNeeded: hot.pointee.cpiExtra &- cpiBase) & 0xFF
        case DataWatchpointTrace.exccnt: return UInt32(truncatingIfNeeded: hot.pointee.exceptionCycles) & 0xFF
        case DataWatchpointTrace.sleepcnt: return UInt32(truncatingIfNeeded: sleepCycles) & 0xFF
        case DataWatchpointTrace.lsucnt: return UInt32(truncatingIfNeeded: hot.pointee.lsuExtra &- lsuBase) & 0xFF
        case DataWatchpointTrace.foldcnt: return 0  // folding is not modelled (docs/cycle-model.md)
        default: return 0
        }
    }

    func write(_ word: UInt32, _ value: UInt32) {
        guard present else { return }
        switch word {
        case DataWatchpointTrace.ctrl:
            let wasCounting = counting
            control = value & 0x003F_FFFF
            rebase(wasCounting: wasCounting)
        case DataWatchpointTrace.cyccnt:
            cycleBase = value
            anchor = now
        case DataWatchpointTrace.cpicnt: cpiBase = hot.pointee.cpiExtra &- UInt64(value & 0xFF)
        case DataWatchpointTrace.lsucnt: lsuBase = hot.pointee.lsuExtra &- UInt64(value & 0xFF)
        default: break
        }
    }
}

/// SysTick (ARMv7-M ARM B3.3): CVR counts down from RVR at the processor clock and sets
/// COUNTFLAG when it reaches zero. Computed lazily from the cycle count, so it costs nothing
/// per instruction. CLKSOURCE = 0 (external reference) is modelled at the processor clock
/// too, an assumption stated in docs/cycle-model.md. The interrupt belongs to the system layer.
final class SysTickTimer {
    static let range: ClosedRange<UInt32> = 0xE000_E010...0xE000_E01C
    static let csr: UInt32 = 0xE000_E010
    static let rvr: UInt32 = 0xE000_E014
    static let cvr: UInt32 = 0xE000_E018
    static let calib: UInt32 = 0xE000_E01C

    private let hot: UnsafeMutablePointer<HotState>
    private var control: UInt32 = 0
    private var reload: UInt32 = 0
    /// CVR at `anchor` cycles.
    private var valueAtAnchor: UInt32 = 0
    private var anchor: UInt64 = 0
    /// Zero crossings already reported through COUNTFLAG.
    private var wrapsSeen: UInt64 = 0

    init(hot: UnsafeMutablePointer<HotState>) { self.hot = hot }

    private var now: UInt64 { hot.pointee.instructionStartCycles }
    var enabled: Bool { control & 1 != 0 }

    /// Counter value and number of times it has reached zero since `anchor`. CVR steps
    /// down once per cycle; the cycle after it reaches zero it reloads RVR, so one period
    /// is RVR+1 cycles. RVR = 0 stops the counter at zero.
    private func state() -> (value: UInt32, wraps: UInt64) {
        guard enabled else { return (valueAtAnchor, 0) }
        let elapsed = now &- anchor
        let start = UInt64(valueAtAnchor)
        if elapsed <= start { return (UInt32(start - elapsed), start > 0 && elapsed == start ? 1 : 0) }
        let firstZero: UInt64 = start > 0 ? 1 : 0
        guard reload != 0 else { return (0, firstZero) }
        let period = UInt64(reload) + 1
        let k = elapsed - start
        return (UInt32(UInt64(reload) - (k - 1) % period), firstZero + k / period)
    }

    /// Zero crossings already turned into SysTick exceptions.
    private var interruptWrapsSeen: UInt64 = 0
    /// CSR.ENABLE and CSR.TICKINT: reaching zero pends the SysTick exception.
    var raisesInterrupts: Bool { control & 3 == 3 }

    /// True once per zero crossing not yet turned into an exception.
    func takeDueInterrupt() -> Bool {
        guard raisesInterrupts else { return false }
        let wraps = state().wraps
        guard wraps > interruptWrapsSeen else { return false }
        interruptWrapsSeen = wraps
        return true
    }

    /// The cycle at which the next SysTick exception is due, if it raises them.
    func nextInterruptCycle() -> UInt64? { raisesInterrupts ? nextZero() : nil }

    /// Cycle at which CVR next reaches zero, for the system layer's interrupt.
    func nextZero() -> UInt64? {
        guard enabled else { return nil }
        let s = state()
        if s.value == 0 { return reload == 0 ? nil : now &+ UInt64(reload) + 1 }
        return now &+ UInt64(s.value)
    }

    func read(_ word: UInt32) -> UInt32 {
        switch word {
        case SysTickTimer.csr:
            let s = state()
            let flag = s.wraps > wrapsSeen
            wrapsSeen = s.wraps  // reading CSR clears COUNTFLAG
            return control | (flag ? 1 << 16 : 0)
        case SysTickTimer.rvr: return reload
        case SysTickTimer.cvr: return state().value
        case SysTickTimer.calib: return 1 << 31  // NOREF: no separate reference clock
        default: return 0
        }
    }

    func write(_ word: UInt32, _ value: UInt32) {
        // A new deadline may now be due: have the next instruction boundary look.
        defer { hot.pointee.nextEventCycle = 0 }
        switch word {
        case SysTickTimer.csr:
            let s = state()
            valueAtAnchor = s.value
            anchor = now
            wrapsSeen = 0
            interruptWrapsSeen = 0
            control = value & 0x7
        case SysTickTimer.rvr:
            reload = value & 0x00FF_FFFF
        case SysTickTimer.cvr:
            // Any write clears CVR and COUNTFLAG; the next cycle reloads from RVR.
            valueAtAnchor = 0
            anchor = now
            wrapsSeen = 0
            interruptWrapsSeen = 0
        default: break
        }
    }
}
