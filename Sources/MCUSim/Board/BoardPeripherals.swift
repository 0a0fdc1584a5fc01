/// A peripheral declared in a board file's `peripherals:` list: a window of 32-bit
/// registers with reset values, fixed read values and always-set status bits. It exists
/// so vendor start-up code that polls a "clock ready" or "cache ready" bit runs without a
/// Swift model (docs/boards.md, "peripherals"). `DeclaredPeripheral` runs it.
public struct DeclaredPeripheralSpec: Equatable, Sendable {
    /// One 32-bit register at a 4-byte aligned offset from the peripheral's base.
    public struct Register: Equatable, Sendable {
        /// For messages and documentation only.
        public var name: String?
        public var offset: UInt32
        /// The value the register holds when the run starts.
        public var reset: UInt32
        /// When set, every read returns this value (ORed with `setBits`) and writes are ignored.
        public var fixedRead: UInt32?
        /// Bits ORed into every read: status flags that are always "ready".
        public var setBits: UInt32
        /// Bits a write may change; the others keep their value.
        public var writeMask: UInt32

        public init(name: String? = nil, offset: UInt32, reset: UInt32 = 0, fixedRead: UInt32? = nil,
                    setBits: UInt32 = 0, writeMask: UInt32 = 0xFFFF_FFFF) {
            self.name = name
            self.offset = offset
            self.reset = reset
            self.fixedRead = fixedRead
            self.setBits = setBits
            self.writeMask = writeMask
        }
    }

    public static let defaultSize: UInt32 = 0x1000

    public var name: String
    public var base: UInt32
    public var size: UInt32
    public var registers: [Register]

    public init(name: String, base: UInt32, size: UInt32 = DeclaredPeripheralSpec.defaultSize, registers: [Register]) {
        self.name = name
        self.base = base
        self.size = size
        self.registers = registers
    }

    public var end: UInt64 { UInt64(base) + UInt64(size) }

    func overlaps(start: UInt64, end other: UInt64) -> Bool { UInt64(base) < other && start < end }
}

extension ConsoleSpec.Kind {
    /// The address window the console model answers (ConsoleUart: 4 KiB for every layout).
    var footprint: UInt32 { 0x1000 }
}

extension BoardLoader {
    /// Parses and checks the `peripherals:` list. Each peripheral must sit wholly inside one
    /// mmio region and overlap neither another declared peripheral nor the console UART.
    static func parsePeripherals(_ nodes: [DataFileNode], regions: [MemoryRegion],
                                 console: ConsoleSpec?) throws -> [DeclaredPeripheralSpec] {
        var specs: [DeclaredPeripheralSpec] = []
        var names = Set<String>()
        for var node in nodes {
            try node.requireMapping()
            let name = try node.requiredString("name")
            guard names.insert(name).inserted else { throw node.error("name", "duplicate peripheral name '\(name)'") }

            let base = try node.requiredUnsigned("base")
            guard base <= UInt64(UInt32.max) else { throw node.error("base", "beyond the 32-bit address space") }
            guard base % 4 == 0 else { throw node.error("base", "\(address(base)) is not 4-byte aligned") }
            let size = try node.unsigned("size") ?? UInt64(DeclaredPeripheralSpec.defaultSize)
            guard size > 0, size % 4 == 0 else { throw node.error("size", "must be a non-zero multiple of 4 bytes, got \(size)") }
            guard base + size <= 1 << 32 else { throw node.error("size", "peripheral runs past the end of the 32-bit address space") }

            guard let region = regions.first(where: { $0.kind == .mmio && $0.contains(UInt32(base)) }) else {
                throw node.error("base", "\(address(base)) is not inside an mmio region of this board")
            }
            guard base + size <= region.end else {
                throw node.error("size", "\(number(size)) bytes from \(address(base)) run past the end of mmio region '\(region.name)', which ends at \(address(region.end))")
            }
            if let console, UInt64(console.base) < base + size, base < UInt64(console.base) + UInt64(console.kind.footprint) {
                throw node.error("base", "peripheral '\(name)' (\(address(base)), \(number(size)) bytes) overlaps the console UART at \(address(UInt64(console.base)))")
            }
            if let other = specs.first(where: { $0.overlaps(start: base, end: base + size) }) {
                throw node.error("base", "peripheral '\(name)' (\(address(base)), \(number(size)) bytes) overlaps peripheral '\(other.name)' (\(address(UInt64(other.base))), \(number(UInt64(other.size))) bytes)")
            }

            var registers: [DeclaredPeripheralSpec.Register] = []
            for var item in try node.list("registers") ?? [] {
                try item.requireMapping()
                let register = try parseRegister(&item, peripheralSize: size)
                if registers.contains(where: { $0.offset == register.offset }) {
                    throw item.error("offset", "duplicate register offset \(number(UInt64(register.offset)))")
                }
                try item.finish()
                registers.append(register)
            }
            try node.finish()
            specs.append(DeclaredPeripheralSpec(name: name, base: UInt32(base), size: UInt32(size), registers: registers))
        }
        return specs
    }

    private static func parseRegister(_ node: inout DataFileNode, peripheralSize: UInt64) throws -> DeclaredPeripheralSpec.Register {
        let name = try node.string("name")
        let offset = try node.requiredUnsigned("offset")
        guard offset < peripheralSize else {
            throw node.error("offset", "\(number(offset)) is outside the peripheral (size \(number(peripheralSize)))")
        }
        guard offset % 4 == 0 else { throw node.error("offset", "\(number(offset)) is not 4-byte aligned") }
        func word(_ key: String) throws -> UInt32? {
            guard let value = try node.unsigned(key) else { return nil }
            guard value <= UInt64(UInt32.max) else { throw node.error(key, "\(number(value)) does not fit in 32 bits") }
            return UInt32(value)
        }
        return DeclaredPeripheralSpec.Register(
            name: name, offset: UInt32(offset), reset: try word("reset") ?? 0, fixedRead: try word("read"),
            setBits: try word("set_bits") ?? 0, writeMask: try word("write_mask") ?? 0xFFFF_FFFF)
    }
}

/// `0x40000008`: an address, 8 hex digits.
private func address(_ value: UInt64) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// `0x400`: an offset or size.
private func number(_ value: UInt64) -> String { "0x" + String(value, radix: 16, uppercase: true) }
