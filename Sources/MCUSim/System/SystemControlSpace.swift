/// The Cortex-M Private Peripheral Bus (0xE0000000-0xE00FFFFF): SCB, SysTick, NVIC, DWT.
/// Unicorn emulates none of it. This model keeps every register firmware writes, answers
/// CPUID per core, and ties CPACR to the FPU gate the hot path checks.
final class SystemControlSpace: Peripheral {
    let name = "system"
    let base: UInt32 = 0xE000_0000
    let size: UInt32 = 0x0010_0000
    private let core: CoreKind
    private let hot: UnsafeMutablePointer<HotState>
    /// Plain register file for everything not modelled specially (word-indexed).
    private var words: [UInt32: UInt32] = [:]

    static let cpuid: UInt32 = 0xE000_ED00
    static let cpacr: UInt32 = 0xE000_ED88

    init(core: CoreKind, hot: UnsafeMutablePointer<HotState>) {
        self.core = core
        self.hot = hot
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
        switch word {
        case SystemControlSpace.cpuid: return extract(SystemControlSpace.cpuidValue(core), address: address, size: size)
        default: return extract(words[word] ?? 0, address: address, size: size)
        }
    }

    func write(address: UInt32, size: Int, value: UInt32) {
        let word = address & ~3
        switch word {
        case SystemControlSpace.cpuid: return  // read-only
        case SystemControlSpace.cpacr:
            // Without an FPU, CP10/CP11 bits are RAZ/WI (ARMv7-M ARM B3.2.20).
            var v = merge(words[word] ?? 0, address: address, size: size, value: value)
            if !core.hasFPU { v &= ~(0xF << 20) }
            words[word] = v
            // Any access level other than "denied" (0b00) for both CP10 and CP11 lets FP run.
            hot.pointee.fpuEnabled = (v >> 20) & 0x3 != 0 && (v >> 22) & 0x3 != 0
        default:
            words[word] = merge(words[word] ?? 0, address: address, size: size, value: value)
        }
    }
}
