/// The MAX326xx UART as the vendor SDK's console code drives it (uart_regs.h): bytes
/// written to FIFO (+0x1C) are transmitted; STAT (+0x08) reports an always-empty TX FIFO
/// because the host drains it instantly.
final class Max32Uart: Peripheral {
    let name = "uart"
    let base: UInt32
    let size: UInt32 = 0x1000
    private let console: ConsoleCapture
    private var registers = [UInt32](repeating: 0, count: 16)

    static let statOffset: UInt32 = 0x08
    static let fifoOffset: UInt32 = 0x1C
    static let statTxEmpty: UInt32 = 1 << 6
    static let statRxEmpty: UInt32 = 1 << 4

    init(base: UInt32, console: ConsoleCapture) {
        self.base = base
        self.console = console
    }

    func read(address: UInt32, size: Int) -> UInt32 {
        let offset = (address - base) & ~3
        switch offset {
        case Max32Uart.statOffset:
            return extract(Max32Uart.statTxEmpty | Max32Uart.statRxEmpty, address: address, size: size)
        case Max32Uart.fifoOffset:
            return 0  // No receive data: the host side has nothing to send.
        default:
            let index = Int(offset / 4)
            return index < registers.count ? extract(registers[index], address: address, size: size) : 0
        }
    }

    func write(address: UInt32, size: Int, value: UInt32) {
        let offset = (address - base) & ~3
        if offset == Max32Uart.fifoOffset {
            console.write([UInt8(truncatingIfNeeded: value)], toStderr: false)
            return
        }
        let index = Int(offset / 4)
        if index < registers.count { registers[index] = merge(registers[index], address: address, size: size, value: value) }
    }
}
