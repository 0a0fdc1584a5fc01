/// A board's console UART, as far as console output needs it: bytes the firmware transmits
/// reach the console, and the status register always reports an empty transmitter (the host
/// drains it at once) and an empty receiver (nothing is ever sent to the firmware).
/// Register layouts come from the vendors' headers (docs/boards.md has the sources).
final class ConsoleUart: Peripheral {
    let name = "console"
    let base: UInt32
    let size: UInt32 = 0x1000
    private let kind: ConsoleSpec.Kind
    private let console: ConsoleCapture
    private let memory: GuestMemory
    private var registers: [UInt32: UInt32] = [:]

    init(kind: ConsoleSpec.Kind, base: UInt32, console: ConsoleCapture, memory: GuestMemory) {
        self.kind = kind
        self.base = base
        self.console = console
        self.memory = memory
    }

    /// (data register, status register, status value with "TX empty, RX empty" and nothing busy or full).
    private var layout: (data: UInt32, status: UInt32, ready: UInt32) {
        switch kind {
        // MAX32660 uart_regs.h: STAT +0x08 (RX_EMPTY bit 4, TX_EMPTY bit 6, TX_FULL bit 7), FIFO +0x1C.
        case .max32Uart: return (0x1C, 0x08, 1 << 4 | 1 << 6)
        // MAX78000 uart_regs.h: STATUS +0x04 (RX_EM bit 4, TX_EM bit 6, TX_FULL bit 7), FIFO +0x20.
        case .max78Uart: return (0x20, 0x04, 1 << 4 | 1 << 6)
        // Arm PL011 (RP2040 UART0/1): UARTDR +0x000, UARTFR +0x018 (RXFE bit 4, TXFE bit 7, TXFF bit 5).
        case .pl011: return (0x000, 0x018, 1 << 4 | 1 << 7)
        // nRF52 UART: TXD +0x51C, EVENTS_TXDRDY +0x11C reads 1 (the byte has gone).
        case .nrfUart: return (0x51C, 0x11C, 1)
        // STM32F7 RM0385 USART: TDR +0x28, ISR +0x1C (TXE bit 7, TC bit 6; RXNE bit 5 clear).
        case .stm32Usart: return (0x28, 0x1C, 1 << 7 | 1 << 6)
        // SAMD21 datasheet SERCOM USART: DATA +0x28, INTFLAG +0x18 (DRE bit 0, TXC bit 1).
        case .samdSercom: return (0x28, 0x18, 1 << 0 | 1 << 1)
        }
    }

    func read(address: UInt32, size: Int) -> UInt32 {
        let offset = (address - base) & ~3
        let l = layout
        if offset == l.status { return extract(l.ready, address: address, size: size) }
        if offset == l.data { return 0 }
        if kind == .nrfUart, offset == 0x120 { return 1 }  // EVENTS_ENDTX: a UARTE transfer is done at once
        return extract(registers[offset] ?? 0, address: address, size: size)
    }

    func write(address: UInt32, size: Int, value: UInt32) {
        let offset = (address - base) & ~3
        if offset == layout.data {
            console.write([UInt8(truncatingIfNeeded: value)], toStderr: false)
            return
        }
        registers[offset] = merge(registers[offset] ?? 0, address: address, size: size, value: value)
        // nRF52 UARTE (ENABLE = 8): TASKS_STARTTX sends TXD.MAXCNT bytes from TXD.PTR by EasyDMA.
        if kind == .nrfUart, offset == 0x008, value & 1 != 0, registers[0x500] == 8 {
            let pointer = registers[0x544] ?? 0
            let count = Int(min(registers[0x548] ?? 0, 0xFFFF))
            console.write(memory.readBytes(pointer, count: count), toStderr: false)
            registers[0x54C] = UInt32(count)  // TXD.AMOUNT
        }
    }
}
