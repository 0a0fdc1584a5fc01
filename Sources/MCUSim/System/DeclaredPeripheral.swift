/// Runs a peripheral declared in a board file (`DeclaredPeripheralSpec`; docs/boards.md).
///
/// Each listed register starts at its `reset` value. A write changes the bits in
/// `writeMask` and keeps the others; a narrow (1- or 2-byte) write is merged into the
/// 32-bit register first. A read returns the fixed `read` value if the register has one,
/// else the stored value, ORed with `setBits` either way. A register with a fixed read
/// ignores writes. Offsets inside the peripheral that no register lists read 0 and ignore
/// writes.
final class DeclaredPeripheral: Peripheral {
    let name: String
    let base: UInt32
    let size: UInt32
    private let registers: [DeclaredPeripheralSpec.Register]
    private var values: [UInt32]
    /// Register index by word offset.
    private let index: [UInt32: Int]

    init(spec: DeclaredPeripheralSpec) {
        name = spec.name
        base = spec.base
        size = spec.size
        registers = spec.registers
        values = spec.registers.map(\.reset)
        var index: [UInt32: Int] = [:]
        for (i, register) in spec.registers.enumerated() { index[register.offset] = i }
        self.index = index
    }

    func read(address: UInt32, size: Int) -> UInt32 {
        guard let i = index[(address &- base) & ~3] else { return 0 }
        let register = registers[i]
        return extract((register.fixedRead ?? values[i]) | register.setBits, address: address, size: size)
    }

    func write(address: UInt32, size: Int, value: UInt32) {
        guard let i = index[(address &- base) & ~3] else { return }
        let register = registers[i]
        guard register.fixedRead == nil else { return }
        let merged = merge(values[i], address: address, size: size, value: value)
        values[i] = (values[i] & ~register.writeMask) | (merged & register.writeMask)
    }
}
