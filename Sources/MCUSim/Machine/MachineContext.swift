import CUnicorn

/// Cold-path state the exception, invalid-memory and semihosting hooks work on. Errors are
/// stored here and turned into a `StopInfo` after `uc_emu_start` returns, never thrown
/// through Unicorn's C frames.
final class MachineContext {
    let uc: OpaquePointer
    let board: Board
    let image: FirmwareImage
    let hot: UnsafeMutablePointer<HotState>
    let console: ConsoleCapture
    var semihosting: Semihosting?
    let decoder: InstructionDecoder
    /// Every decode-table entry filled so far (with repeats after re-decoding), for the
    /// post-run walk that turns per-address counters into class and function profiles.
    var decodedSlots: [UnsafeMutablePointer<DecodedInstruction>] = []
    /// Counters of entries that code writes invalidated, by class.
    var retiredExecutions = [UInt64](repeating: 0, count: InstructionClass.allCases.count)
    var retiredCycles = [UInt64](repeating: 0, count: InstructionClass.allCases.count)
    var retiredRegisterReads: UInt64 = 0
    var retiredRegisterWrites: UInt64 = 0

    func retire(_ entry: DecodedInstruction) {
        guard entry.executions != 0, Int(entry.cls) < retiredExecutions.count else { return }
        retiredExecutions[Int(entry.cls)] &+= entry.executions
        retiredCycles[Int(entry.cls)] &+= entry.cycles
        retiredRegisterReads &+= entry.executions &* UInt64(entry.reads.nonzeroBitCount)
        retiredRegisterWrites &+= entry.executions &* UInt64(entry.writes.nonzeroBitCount)
    }
    var stop: StopInfo?
    var invalidAccess: (type: uc_mem_type, address: UInt64, size: Int, value: Int64)?

    init(uc: OpaquePointer, board: Board, image: FirmwareImage, hot: UnsafeMutablePointer<HotState>,
         console: ConsoleCapture, decoder: InstructionDecoder) {
        self.uc = uc
        self.decoder = decoder
        self.board = board
        self.image = image
        self.hot = hot
        self.console = console
    }

    var memory: GuestMemory { GuestMemory(uc: uc) }

    func register(_ id: uc_arm_reg) -> UInt32 {
        var value: UInt32 = 0
        _ = mcusim_reg_read32(uc, Int32(id.rawValue), &value)
        return value
    }

    func setRegister(_ id: uc_arm_reg, _ value: UInt32) {
        _ = mcusim_reg_write32(uc, Int32(id.rawValue), value)
    }

    func symbol(_ pc: UInt32) -> String? { image.symbols.describe(pc) }

    func halt(_ info: StopInfo) {
        if stop == nil { stop = info }
        uc_emu_stop(uc)
    }

    func recordInvalidAccess(type: uc_mem_type, address: UInt64, size: Int, value: Int64) {
        if invalidAccess == nil { invalidAccess = (type, address, size, value) }
    }

    /// QEMU's exception numbers as Unicorn reports them (target/arm/cpu.h EXCP_*).
    func handleInterrupt(_ intno: UInt32) {
        let pc = register(UC_ARM_REG_PC) & ~1
        switch intno {
        case 7:  // EXCP_BKPT
            let instruction = UInt16(memory.read8(pc)) | UInt16(memory.read8(pc &+ 1)) << 8
            if instruction == 0xBEAB {
                serviceSemihosting(pc: pc)
            } else {
                let imm = instruction & 0xFF
                halt(StopInfo(reason: .breakpoint, pc: pc, symbol: symbol(pc),
                              message: "breakpoint BKPT #\(imm) at \(where_(pc))"))
            }
        case 1:
            halt(fault(pc, "undefined instruction at \(where_(pc))"))
        case 2:
            halt(fault(pc, "SVC at \(where_(pc)) with no exception model to take it"))
        case 3:
            halt(fault(pc, "instruction fetch fault (prefetch abort) at \(where_(pc))"))
        case 4:
            halt(fault(pc, "data abort at \(where_(pc))"))
        case 8:
            halt(fault(pc, "exception return to \(hex(pc)) outside an exception handler"))
        case 17:
            halt(fault(pc, "coprocessor instruction at \(where_(pc)) with its coprocessor disabled or absent"))
        case 18:
            halt(fault(pc, "invalid state at \(where_(pc)): a branch cleared the Thumb bit (bit 0 of the target address)"))
        case 22:
            halt(fault(pc, "unaligned access at \(where_(pc))"))
        default:
            halt(fault(pc, "processor exception \(intno) at \(where_(pc))"))
        }
    }

    private func serviceSemihosting(pc: UInt32) {
        guard let semihosting else { return }
        let r0 = register(UC_ARM_REG_R0)
        let r1 = register(UC_ARM_REG_R1)
        let result = semihosting.call(operation: r0, parameter: r1, cycles: hot.pointee.instructionStartCycles)
        if let code = semihosting.exitCode {
            halt(StopInfo(reason: .exit, exitCode: code, pc: pc, symbol: symbol(pc),
                          message: "firmware exited with code \(code)"))
            return
        }
        setRegister(UC_ARM_REG_R0, result)
        // Resume after the 16-bit BKPT; PC writes must carry the Thumb bit.
        setRegister(UC_ARM_REG_PC, (pc &+ 2) | 1)
    }

    func fault(_ pc: UInt32, _ message: String) -> StopInfo {
        StopInfo(reason: .fault, pc: pc, symbol: symbol(pc), message: message)
    }

    func where_(_ pc: UInt32) -> String {
        if let s = symbol(pc) { return "pc \(hex(pc)) (\(s))" }
        return "pc \(hex(pc))"
    }
}

func hex(_ value: UInt32) -> String {
    let s = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
