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
    var decodedSlotSet = Set<UnsafeMutablePointer<DecodedInstruction>>()
    /// Counters of entries that code writes invalidated, by class.
    var retiredExecutions = [UInt64](repeating: 0, count: InstructionClass.allCases.count)
    var retiredCycles = [UInt64](repeating: 0, count: InstructionClass.allCases.count)
    let profiler: CallProfiler
    /// Regions of interest: open ones with their starting counters, and finished totals.
    var roiOpen: [String: CounterSnapshot] = [:]
    var regionsOfInterest: [String: RegionOfInterest] = [:]
    var roiUnpriced: [String: UnpricedEnergy] = [:]
    var costTable: CostTable?
    var retiredRegisterReads: UInt64 = 0
    var retiredRegisterWrites: UInt64 = 0
    /// Every block summary built (BlockSummary.swift), freed with the machine.
    var summaries: [UnsafeMutablePointer<BlockSummary>] = []

    func retire(_ entry: DecodedInstruction) {
        guard entry.executions != 0, Int(entry.cls) < retiredExecutions.count else { return }
        retiredExecutions[Int(entry.cls)] &+= entry.executions
        retiredCycles[Int(entry.cls)] &+= entry.cycles
        retiredRegisterReads &+= entry.executions &* UInt64(entry.reads.nonzeroBitCount)
        retiredRegisterWrites &+= entry.executions &* UInt64(entry.writes.nonzeroBitCount)
    }
    var stop: StopInfo?
    var invalidAccess: (type: uc_mem_type, address: UInt64, size: Int, value: Int64, pc: UInt32)?
    let exceptions: ExceptionModel
    var system: SystemControlSpace?
    /// An exception the event check decided to take; the run loop enters it.
    var pendingEntry: Int?
    /// The last fault delivered to a handler, for the stop message if that handler stops.
    var lastFault: (message: String, pc: UInt32)?

    init(uc: OpaquePointer, board: Board, image: FirmwareImage, hot: UnsafeMutablePointer<HotState>,
         console: ConsoleCapture, decoder: InstructionDecoder) {
        self.uc = uc
        self.decoder = decoder
        self.exceptions = ExceptionModel(uc: uc, core: board.core, hot: hot)
        self.profiler = CallProfiler(starts: image.symbols.functions.map(\.address))
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

    /// The instruction making the MMIO access under way, for a stop it causes. With block
    /// charging the PC register still holds the block's start: the access sequence names the
    /// instruction (cutBlockAtLastAccess).
    func accessPC() -> UInt32 {
        cutBlockAtLastAccess(hot) ?? register(UC_ARM_REG_PC) & ~1
    }

    func halt(_ info: StopInfo) {
        if stop == nil { stop = info }
        uc_emu_stop(uc)
    }

    func recordInvalidAccess(type: uc_mem_type, address: UInt64, size: Int, value: Int64, pc: UInt32? = nil) {
        if invalidAccess == nil { invalidAccess = (type, address, size, value, pc ?? register(UC_ARM_REG_PC) & ~1) }
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
        case 2:
            // SVC: PC already points past the instruction, which is the return address.
            enterSynchronous(ExceptionModel.svcall, returnAddress: pc)
        case 8:
            // A branch to an EXC_RETURN value.
            switch exceptions.exceptionReturn(pc | 1) {
            case .resumed: break
            case let .invalid(message): halt(fault(pc, message))
            }
        case 1:
            raiseFault(.usageFault, cfsr: 1 << 16, pc: pc, message: "undefined instruction at \(where_(pc))")
        case 3:
            raiseFault(.busFault, cfsr: 1 << 8, pc: pc, message: "instruction bus error (prefetch abort) at \(where_(pc))")
        case 4:
            raiseFault(.busFault, cfsr: 1 << 9, pc: pc, message: "data abort at \(where_(pc))")
        case 17:
            raiseFault(.usageFault, cfsr: 1 << 19, pc: pc, message: "coprocessor instruction at \(where_(pc)) with its coprocessor disabled or absent")
        case 18:
            raiseFault(.usageFault, cfsr: 1 << 17, pc: pc, message: "invalid state at \(where_(pc)): a branch cleared the Thumb bit (bit 0 of the target address)")
        case 22:
            raiseFault(.usageFault, cfsr: 1 << 24, pc: pc, message: "unaligned access at \(where_(pc))")
        default:
            halt(fault(pc, "processor exception \(intno) at \(where_(pc))"))
        }
    }

    enum FaultKind { case memManage, busFault, usageFault
        var number: Int {
            switch self { case .memManage: return 4; case .busFault: return 5; case .usageFault: return 6 }
        }
    }

    /// Delivers a fault to the firmware's handler as the hardware would (status bits, then
    /// BusFault/MemManage/UsageFault or HardFault by escalation). With no handler, or a
    /// fault inside HardFault (lockup), the run stops with the decoded message.
    @discardableResult
    func raiseFault(_ kind: FaultKind, cfsr: UInt32, address: UInt32? = nil, pc: UInt32, message: String) -> Bool {
        let e = exceptions
        if e.active.contains(ExceptionModel.hardFault) || e.active.contains(2) {
            halt(fault(pc, "lockup: \(message), while handling \(e.active.contains(2) ? "NMI" : "HardFault")"))
            return false
        }
        e.cfsr |= cfsr
        if let address {
            if kind == .busFault { e.bfar = address; e.cfsr |= 1 << 15 }       // BFARVALID
            if kind == .memManage { e.mmfar = address; e.cfsr |= 1 << 7 }      // MMARVALID
        }
        let target = e.faultTarget(kind.number)
        guard let handler = e.handlerAddress(target, memoryContains: { a in self.board.regions.contains { $0.kind.isMemory && $0.contains(a) } }) else {
            halt(fault(pc, message))
            return false
        }
        lastFault = (message, pc)
        guard e.enter(target, handler: handler, returnAddress: pc) else {
            halt(fault(pc, "lockup: \(message); the exception frame could not be written to the stack"))
            return false
        }
        noteExceptionEntry(handler: handler, returnAddress: pc)
        return true
    }

    /// Synchronous exceptions taken at once (SVC). One that cannot preempt the execution
    /// priority (SVC with PRIMASK set, or from a handler of equal or higher priority)
    /// escalates to HardFault (ARMv7-M B1.5.4).
    func enterSynchronous(_ n: Int, returnAddress: UInt32) {
        let e = exceptions
        if e.group(e.priority(of: n)) >= e.executionPriority() {
            if e.active.contains(ExceptionModel.hardFault) || e.active.contains(2) {
                halt(fault(returnAddress, "lockup: SVC at \(where_(returnAddress)) while HardFault or NMI is active"))
                return
            }
            e.hfsr |= 1 << 30
            guard let handler = e.handlerAddress(ExceptionModel.hardFault, memoryContains: { a in self.board.regions.contains { $0.kind.isMemory && $0.contains(a) } }) else {
                halt(fault(returnAddress, "SVC at \(where_(returnAddress)) could not be taken at the current priority and escalated to HardFault, which has no handler"))
                return
            }
            lastFault = ("SVC at \(where_(returnAddress)) escalated to HardFault (execution priority too high)", returnAddress)
            if !e.enter(ExceptionModel.hardFault, handler: handler, returnAddress: returnAddress) {
                halt(fault(returnAddress, "lockup: the exception frame could not be written to the stack"))
            } else {
                noteExceptionEntry(handler: handler, returnAddress: returnAddress)
            }
            return
        }
        guard let handler = exceptions.handlerAddress(n, memoryContains: { a in self.board.regions.contains { $0.kind.isMemory && $0.contains(a) } }) else {
            halt(fault(returnAddress, "\(n == 11 ? "SVC" : "exception \(n)") at \(where_(returnAddress)) with no handler in the vector table"))
            return
        }
        if !exceptions.enter(n, handler: handler, returnAddress: returnAddress) {
            halt(fault(returnAddress, "lockup: the exception frame for \(n) could not be written to the stack"))
        } else {
            noteExceptionEntry(handler: handler, returnAddress: returnAddress)
        }
    }

    /// An exception handler runs as a call from the interrupted code, returning to the stacked PC.
    func noteExceptionEntry(handler: UInt32, returnAddress: UInt32) {
        // Returns are seen only with profiling on; without it no frame may be opened either.
        guard hot.pointee.profiling else { return }
        let function = image.symbols.functionIndex(containing: handler) ?? -1
        profiler.push(function: function, returnAddress: returnAddress & ~1, now: hot.pointee.cycles)
    }

    /// With block charging, a store that made an event due (an exception pended, SysTick
    /// started) in the middle of a block. The per-instruction hook would look at the event
    /// before the next instruction, so the block ends after the store. Unicorn leaves the
    /// block at once when a stop is asked from an MMIO write: the registers are current but the
    /// PC is not, so the run resumes, one instruction at a time, at the next address.
    /// Not for stores with base writeback (Unicorn writes the base back after the access) or
    /// more than one access (the stop would split the instruction): those keep the old
    /// behaviour, and the event is taken at the end of the block.
    func endBlockAfterEventWrite() {
        let s = hot
        guard s.pointee.blockMode, s.pointee.nextEventCycle != .max, s.pointee.stop == .none,
              let b = s.pointee.block else { return }
        let index = s.pointee.lastAccessIndex
        guard index >= 0, index < s.pointee.blockLimit - 1 else { return }
        let slot = b.pointee.steps[index].slot
        let flags = slot.pointee.flags
        guard flags.contains(.store), flags.contains(.pipelinableAccess), !flags.contains(.writeback),
              let pc = cutBlockAtLastAccess(s) else { return }
        requestStop(s, uc, .switchToStepping, pc &+ UInt32(slot.pointee.size))
    }

    /// Called before an instruction when `cycles >= nextEventCycle`: raises a due SysTick
    /// and decides whether a pending exception preempts now. True when one must be taken.
    func serviceEvents() -> Bool {
        if hot.pointee.controlReadRegister != 0 { fixControlRead() }
        hot.pointee.instructionStartCycles = hot.pointee.cycles
        if let tick = system?.sysTick, tick.takeDueInterrupt() { exceptions.setPending(ExceptionModel.sysTick) }
        hot.pointee.nextEventCycle = system?.sysTick.nextInterruptCycle() ?? .max
        if let n = exceptions.nextToTake() {
            pendingEntry = n
            return true
        }
        exceptions.settle()
        return false
    }

    /// CONTROL bit 3 is SFPA only with the ARMv8-M Security Extension, which no modelled core
    /// has; Unicorn 2.0.1 sets it anyway after an FP instruction. Clearing it in CONTROL would
    /// make Unicorn reload FPSCR, so the MRS result is corrected instead (docs/system.md).
    func fixControlRead() {
        let register = Int(hot.pointee.controlReadRegister) - 1
        hot.pointee.controlReadRegister = 0
        guard (0...12).contains(register) else { return }
        let id = uc_arm_reg(rawValue: UC_ARM_REG_R0.rawValue + UInt32(register))
        let value = self.register(id)
        if value & 0x8 != 0 { _ = mcusim_reg_write32(uc, Int32(id.rawValue), value & ~0x8) }
    }

    /// Enters the exception the event check chose, before the instruction at `returnAddress`.
    func takePendingEntry(returnAddress: UInt32) {
        guard let n = pendingEntry else { return }
        pendingEntry = nil
        guard let handler = exceptions.handlerAddress(n, memoryContains: { a in self.board.regions.contains { $0.kind.isMemory && $0.contains(a) } }) else {
            halt(fault(returnAddress, "exception \(n) became pending with no handler in the vector table"))
            return
        }
        if !exceptions.enter(n, handler: handler, returnAddress: returnAddress) {
            halt(fault(returnAddress, "lockup: the exception frame for \(n) could not be written to the stack"))
        } else {
            noteExceptionEntry(handler: handler, returnAddress: returnAddress)
        }
    }

    /// True if some event could still wake a sleeping or idling core.
    var somethingCanWake: Bool {
        exceptions.anythingPendingEnabled || system?.sysTick.raisesInterrupts == true
    }

    private func serviceSemihosting(pc: UInt32) {
        guard let semihosting else { return }
        let r0 = register(UC_ARM_REG_R0)
        let r1 = register(UC_ARM_REG_R1)
        if handleRegionMarker(operation: r0, nameAddress: r1) {
            setRegister(UC_ARM_REG_R0, 0)
            setRegister(UC_ARM_REG_PC, (pc &+ 2) | 1)
            return
        }
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
