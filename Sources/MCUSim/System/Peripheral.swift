/// A memory-mapped device model. Addresses are absolute; accesses are 1, 2 or 4 bytes.
/// Models run on Unicorn's MMIO callbacks, which is a cold path compared to RAM.
protocol Peripheral: AnyObject {
    var name: String { get }
    var base: UInt32 { get }
    var size: UInt32 { get }
    func read(address: UInt32, size: Int) -> UInt32
    func write(address: UInt32, size: Int, value: UInt32)
}

/// One Unicorn MMIO mapping (a board mmio region or the system space) dispatching to the
/// peripheral models inside it. Accesses nobody models read as zero and are counted.
final class MMIOWindow {
    let base: UInt32
    let size: UInt32
    let regionName: String
    private var peripherals: [Peripheral] = []
    private(set) var unmodeledReads: UInt64 = 0
    private(set) var unmodeledWrites: UInt64 = 0
    /// Every distinct unmodelled address with its (reads, writes).
    private(set) var unknown: [UInt32: (reads: UInt64, writes: UInt64)] = [:]
    /// Called on an unmodelled access (address, isWrite): `--strict-mmio` stops the run here.
    var onUnknownAccess: ((UInt32, Bool) -> Void)?
    /// Called after every write: block charging ends the block there when the write made an
    /// event due (MachineContext.endBlockAfterEventWrite).
    var afterWrite: (() -> Void)?

    init(base: UInt32, size: UInt32, regionName: String) {
        self.base = base
        self.size = size
        self.regionName = regionName
    }

    func attach(_ peripheral: Peripheral) {
        peripherals.append(peripheral)
        peripherals.sort { $0.base < $1.base }
    }

    private func device(at address: UInt32) -> Peripheral? {
        for p in peripherals where address >= p.base && address &- p.base < p.size { return p }
        return nil
    }

    func read(offset: UInt32, size: Int) -> UInt32 {
        let address = base &+ offset
        if let p = device(at: address) { return p.read(address: address, size: size) }
        unmodeledReads += 1
        unknown[address, default: (0, 0)].reads += 1
        onUnknownAccess?(address, false)
        return 0
    }

    func write(offset: UInt32, size: Int, value: UInt32) {
        let address = base &+ offset
        if let p = device(at: address) { p.write(address: address, size: size, value: value); return }
        unmodeledWrites += 1
        unknown[address, default: (0, 0)].writes += 1
        onUnknownAccess?(address, true)
    }
}

/// Narrows a 32-bit register value to an access of `size` bytes at `address`.
@inline(__always)
func extract(_ register: UInt32, address: UInt32, size: Int) -> UInt32 {
    let shift = (address & 3) * 8
    let value = register >> shift
    return size >= 4 ? value : value & ((1 << (UInt32(size) * 8)) - 1)
}

/// Merges a narrow write into a 32-bit register.
@inline(__always)
func merge(_ register: UInt32, address: UInt32, size: Int, value: UInt32) -> UInt32 {
    if size >= 4 { return value }
    let shift = (address & 3) * 8
    let mask: UInt32 = ((1 << (UInt32(size) * 8)) - 1) << shift
    return (register & ~mask) | ((value << shift) & mask)
}
