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

    static let cpuid: UInt32 = 0xE000_ED00
    static let cpacr: UInt32 = 0xE000_ED88
    static let demcr: UInt32 = 0xE000_EDFC

    init(core: CoreKind, hot: UnsafeMutablePointer<HotState>) {
        self.core = core
        self.hot = hot
        dwt = DataWatchpointTrace(hot: hot, present: !core.isArmv6M)
        sysTick = SysTickTimer(hot: hot)
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
        switch word {
        case SystemControlSpace.cpuid: return extract(SystemControlSpace.cpuidValue(core), address: address, size: size)
        default: return extract(words[word] ?? 0, address: address, size: size)
        }
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
        switch word {
        case SystemControlSpace.cpuid: return  // read-only
        case SystemControlSpace.cpacr:
            // Without an FPU, CP10/CP11 bits are RAZ/WI (ARMv7-M ARM B3.2.20).
            var v = merge(words[word] ?? 0, address: address, size: size, value: value)
            if !core.hasFPU { v &= ~(0xF << 20) }
            words[word] = v
            // Any access level other than "denied" (0b00) for both CP10 and CP11 lets FP run.
            hot.pointee.fpuEnabled = (v >> 20) & 0x3 != 0 && (v >> 22) & 0x3 != 0
        case SystemControlSpace.demcr:
            let v = merge(words[word] ?? 0, address: address, size: size, value: value)
            words[word] = v
            dwt.traceEnabled = v & (1 << 24) != 0
        default:
            words[word] = merge(words[word] ?? 0, address: address, size: size, value: value)
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
    /// Exception-entry and sleep cycles come with the system layer; until then they stay 0.
    var exceptionCycles: UInt64 = 0
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
        case DataWatchpointTrace.exccnt: return UInt32(truncatingIfNeeded: exceptionCycles) & 0xFF
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

    /// Cycle at which CVR next reaches zero, for the system layer's interrupt.
    func nextZero() -> UInt64? {
        guard enabled, reload != 0 || valueAtAnchor != 0 else { return nil }
        let s = state()
        return now &+ UInt64(s.value == 0 ? UInt64(reload) + 1 : UInt64(s.value))
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
        switch word {
        case SysTickTimer.csr:
            let s = state()
            valueAtAnchor = s.value
            anchor = now
            wrapsSeen = 0
            control = value & 0x7
        case SysTickTimer.rvr:
            reload = value & 0x00FF_FFFF
        case SysTickTimer.cvr:
            // Any write clears CVR and COUNTFLAG; the next cycle reloads from RVR.
            valueAtAnchor = 0
            anchor = now
            wrapsSeen = 0
        default: break
        }
    }
}
