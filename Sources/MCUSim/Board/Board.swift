/// A Cortex-M core the simulator models. The raw value is the spelling board files use.
public enum CoreKind: String, CaseIterable, Sendable {
    case cortexM0 = "cortex-m0"
    case cortexM0Plus = "cortex-m0plus"
    case cortexM3 = "cortex-m3"
    case cortexM4 = "cortex-m4"
    case cortexM4F = "cortex-m4f"
    case cortexM7 = "cortex-m7"
    case cortexM33 = "cortex-m33"

    /// ARMv6-M cores lack the Thumb-2 extras (and the DWT cycle counter).
    public var isArmv6M: Bool { self == .cortexM0 || self == .cortexM0Plus }
    public var hasFPU: Bool { self == .cortexM4F || self == .cortexM7 || self == .cortexM33 }
    public var hasDSP: Bool { self == .cortexM4 || self == .cortexM4F || self == .cortexM7 || self == .cortexM33 }
}

/// What a memory region is; decides writability, accounting class and default cost.
public enum MemoryKind: String, CaseIterable, Sendable {
    case flash, rom, sram, dram, mmio

    /// Flash and ROM are read-only to stores, as on the chip.
    public var isWritable: Bool { self == .sram || self == .dram || self == .mmio }
    public var isMemory: Bool { self != .mmio }
}

public struct MemoryRegion: Equatable, Sendable {
    public var name: String
    public var kind: MemoryKind
    public var base: UInt32
    public var size: UInt32
    /// Extra cycles per access beyond the core's zero-wait cost (flash wait states,
    /// external memory latency). Zero for on-chip SRAM.
    public var waitStates: Int
    /// Energy of one data access or fetch word of up to 32 bits here, in pJ, replacing the
    /// cost table's figure for the region's kind (a large SRAM costs more per access than an
    /// 8 KB one: docs/energy.md). Nil uses the table.
    public var accessEnergyPJ: Double? = nil

    public var end: UInt64 { UInt64(base) + UInt64(size) }

    public func contains(_ address: UInt32) -> Bool {
        address >= base && UInt64(address) < end
    }

    public func contains(start: UInt64, length: UInt64) -> Bool {
        start >= UInt64(base) && start + length <= end
    }
}

/// The peripheral that carries the board's console, if it has one.
public struct ConsoleSpec: Equatable, Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        /// Maxim/ADI MAX326xx UART: FIFO at +0x1C, STAT.TX_FULL at bit 7.
        case max32Uart = "max32-uart"
        /// ADI MAX78000/MAX78002 UART: FIFO at +0x20, STATUS at +0x04.
        case max78Uart = "max78-uart"
        /// Arm PL011 (RP2040): UARTDR at +0x000, UARTFR at +0x018.
        case pl011
        /// Nordic nRF52 UART/UARTE: TXD at +0x51C, or EasyDMA from TXD.PTR on TASKS_STARTTX.
        case nrfUart = "nrf-uart"
        /// STM32F7 USART: TDR at +0x28, ISR at +0x1C (TXE bit 7, TC bit 6).
        case stm32Usart = "stm32-usart"
        /// SAMD21 SERCOM in USART mode: DATA at +0x28, INTFLAG at +0x18 (DRE bit 0, TXC bit 1).
        case samdSercom = "samd-sercom-usart"
    }
    public var kind: Kind
    public var base: UInt32
}

/// An instruction cache or flash accelerator in front of the code memory.
public struct InstructionCacheSpec: Equatable, Sendable {
    public var sizeBytes: Int
    public var lineBytes: Int
    public var ways: Int
}

/// Datasheet power figures for the whole-chip energy estimate.
public struct PowerSpec: Equatable, Sendable {
    public var activeMicroampsPerMHz: Double
    public var supplyVolts: Double
    public var sleepMicroamps: Double
}

/// The M0/M0+ multiplier is an implementation option.
public enum MultiplierKind: String, CaseIterable, Sendable {
    case singleCycle = "single-cycle"
    case iterative32 = "iterative"
}

/// A board: core, clock, memory map, boot address and console. Loaded from a YAML file
/// under boards/ (see docs/boards.md for the format and the source of every figure).
public struct Board: Equatable, Sendable {
    public var name: String
    public var description: String
    public var core: CoreKind
    public var clockHz: UInt64
    public var bootAddress: UInt32
    public var regions: [MemoryRegion]
    public var console: ConsoleSpec?
    public var instructionCache: InstructionCacheSpec?
    public var power: PowerSpec?
    public var multiplier: MultiplierKind
    /// Where the board was loaded from, for messages.
    public var sourcePath: String
    /// Register-level peripherals declared in the board file (`peripherals:`), in file order.
    public var peripherals: [DeclaredPeripheralSpec] = []
    /// The board's energy cost table (`costs:`): a name in `<boards>/costs`, or a path, made
    /// relative to the board file's folder when the file gave a relative one. Nil: the default
    /// table. Resolved by `CostTable.resolve(for:override:library:)`, not on load.
    public var costTable: String? = nil

    public func region(containing address: UInt32) -> MemoryRegion? {
        regions.first { $0.contains(address) }
    }

    /// The first SRAM region: where the stack goes when an image has no vector table.
    public var primarySRAM: MemoryRegion? { regions.first { $0.kind == .sram } }
}
