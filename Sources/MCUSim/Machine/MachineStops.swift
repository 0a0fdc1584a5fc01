import CUnicorn

/// What happens when Unicorn returns: resuming after exception entry, sleep and faults, and
/// turning the final state into the run's stop reason.
extension Machine {
    /// Decides whether the run goes on after Unicorn stopped, and where. Nil ends the run.
    func resume(after err: uc_err) -> UInt32? {
        let reason = hot.pointee.stop
        let at = hot.pointee.stopPC
        switch reason {
        case .exceptionEntry:
            hot.pointee.stop = .none
            context.takePendingEntry(returnAddress: at)
            return context.stop == nil ? context.register(UC_ARM_REG_PC) & ~1 : nil
        case .sleep:
            // WFI/WFE: the core sleeps until the next event; with nothing to wake it, deadlock.
            guard context.somethingCanWake else { return nil }
            hot.pointee.stop = .none
            sleepUntilNextEvent()
            // Resume after the 16-bit WFI; the event check takes the interrupt first.
            return at &+ 2
        case .idleLoop:
            // A branch-to-self with an interrupt source running: skip whole loop iterations
            // up to the next event instead of executing them one by one.
            guard context.somethingCanWake else { return nil }
            hot.pointee.stop = .none
            skipIdleIterations(at: at)
            return at
        case .fpuDisabled:
            hot.pointee.stop = .none
            let message = "FPU instruction at \(context.where_(at)) while the FPU is disabled: set CPACR (0xE000ED88) bits 20-23 before using floating point, as the reset code must on the chip"
            return context.raiseFault(.usageFault, cfsr: 1 << 19, pc: at, message: message) ? context.register(UC_ARM_REG_PC) & ~1 : nil
        case .none:
            break
        case .instructionLimit, .switchToStepping, .switchToBlocks, .stepBlock:
            return nil
        }
        // Faults Unicorn reports as errors become BusFault/UsageFault/HardFault for the firmware.
        if let access = context.invalidAccess {
            context.invalidAccess = nil
            let message = describeInvalid(access, pc: access.pc)
            let address = UInt32(truncatingIfNeeded: access.address)
            let isFetch = access.type == UC_MEM_FETCH_UNMAPPED || access.type == UC_MEM_FETCH_PROT
            let delivered = context.raiseFault(.busFault, cfsr: isFetch ? 1 << 8 : 1 << 9, address: isFetch ? nil : address,
                                               pc: access.pc, message: message)
            return delivered ? context.register(UC_ARM_REG_PC) & ~1 : nil
        }
        if err == UC_ERR_INSN_INVALID {
            let pcNow = context.register(UC_ARM_REG_PC) & ~1
            let delivered = context.raiseFault(.usageFault, cfsr: 1 << 16, pc: pcNow, message: undefinedMessage(pcNow))
            return delivered ? context.register(UC_ARM_REG_PC) & ~1 : nil
        }
        return nil
    }

    /// Advances simulated time to the next event while asleep (counted as sleep cycles).
    func sleepUntilNextEvent() {
        let now = hot.pointee.cycles
        if context.exceptions.anythingPendingEnabled {
            hot.pointee.nextEventCycle = 0
            return
        }
        guard let wake = context.system?.sysTick.nextInterruptCycle(), wake > now else {
            hot.pointee.nextEventCycle = 0
            return
        }
        hot.pointee.sleepCycles &+= wake - now
        hot.pointee.cycles = wake
        context.system?.dwt.sleepCycles &+= wake - now
        hot.pointee.nextEventCycle = 0
    }

    /// Executes the idle loop's iterations in bulk: time runs at the loop's cost per
    /// iteration (its first execution measured it) until the next event.
    func skipIdleIterations(at pc: UInt32) {
        let now = hot.pointee.cycles
        hot.pointee.nextEventCycle = 0
        guard !context.exceptions.anythingPendingEnabled, let wake = context.system?.sysTick.nextInterruptCycle(), wake > now else { return }
        // B . costs 1 + P on its own; the refill is charged with the next instruction.
        let perIteration = UInt64(1) + UInt64(timing.branchRefill)
        let iterations = (wake - now + perIteration - 1) / perIteration
        hot.pointee.cycles &+= iterations * perIteration
        hot.pointee.instructions &+= iterations
    }

    func undefinedMessage(_ pc: UInt32) -> String {
        let bytes = context.memory.readBytes(pc, count: 4)
        let half = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
        let text = half >= 0xE800 ? String(format: "0x%04X%04X", half, UInt16(bytes[2]) | UInt16(bytes[3]) << 8) : String(format: "0x%04X", half)
        return "undefined instruction \(text) at \(context.where_(pc))"
    }

    func resolveStop(err: uc_err, wall: Double) -> StopInfo {
        if var stop = context.stop {
            // A fault handler that stops (the default handler's BKPT) reports the fault.
            if stop.reason == .breakpoint || stop.reason == .idle, let fault = context.lastFault,
               context.exceptions.active.contains(where: { (3...6).contains($0) }) {
                stop = StopInfo(reason: .fault, pc: fault.pc, symbol: context.symbol(fault.pc),
                                message: "\(fault.message); the fault handler then stopped at \(context.where_(stop.pc))")
            }
            return stop
        }
        if let fault = context.lastFault, context.exceptions.active.contains(where: { (3...6).contains($0) }),
           hot.pointee.stop == .idleLoop || hot.pointee.stop == .sleep {
            return StopInfo(reason: .fault, pc: fault.pc, symbol: context.symbol(fault.pc),
                            message: "\(fault.message); the fault handler then idled at \(context.where_(hot.pointee.stopPC))")
        }
        let pcNow = context.register(UC_ARM_REG_PC) & ~1
        switch hot.pointee.stop {
        case .instructionLimit:
            let pc = hot.pointee.stopPC
            return StopInfo(reason: .limit, pc: pc, symbol: context.symbol(pc),
                            message: "instruction limit of \(options.maxInstructions) reached at \(context.where_(pc))", limit: "instructions")
        case .idleLoop:
            let pc = hot.pointee.stopPC
            return StopInfo(reason: .idle, pc: pc, symbol: context.symbol(pc),
                            message: "idle loop (branch to self) at \(context.where_(pc)) with nothing enabled that could wake it")
        case .sleep:
            let pc = hot.pointee.stopPC
            return StopInfo(reason: .deadlock, pc: pc, symbol: context.symbol(pc),
                            message: "deadlock: WFI/WFE at \(context.where_(pc)) with no interrupt enabled that could ever wake the core")
        case .exceptionEntry:
            break
        case .fpuDisabled:
            let pc = hot.pointee.stopPC
            return context.fault(pc, "FPU instruction at \(context.where_(pc)) while the FPU is disabled: set CPACR (0xE000ED88) bits 20-23 before using floating point, as the reset code must on the chip")
        case .none, .switchToStepping, .switchToBlocks, .stepBlock:
            break
        }
        if let access = context.invalidAccess {
            return context.fault(access.pc, describeInvalid(access, pc: access.pc))
        }
        if err == UC_ERR_INSN_INVALID {
            return context.fault(pcNow, undefinedMessage(pcNow))
        }
        if err != UC_ERR_OK {
            return context.fault(pcNow, "emulator stopped at \(context.where_(pcNow)): \(String(cString: uc_strerror(err)))")
        }
        if let max = options.maxSeconds, wall >= max * 0.99 {
            return StopInfo(reason: .limit, pc: pcNow, symbol: context.symbol(pcNow),
                            message: "time limit of \(max) s reached at \(context.where_(pcNow))", limit: "seconds")
        }
        return context.fault(pcNow, "execution reached \(context.where_(pcNow)), outside the program")
    }

    /// Walks the decoded entries once: their execution counters give the class profile and
    /// the register-file traffic.
    func timingSummary() -> TimingSummary {
        let classCount = InstructionClass.allCases.count
        var executions = context.retiredExecutions
        var cycles = context.retiredCycles
        var registerReads = context.retiredRegisterReads
        var registerWrites = context.retiredRegisterWrites
        for slot in context.decodedSlots {
            let e = slot.pointee
            guard e.executions != 0 || e.cycles != 0, Int(e.cls) < classCount else { continue }
            executions[Int(e.cls)] &+= e.executions
            cycles[Int(e.cls)] &+= e.cycles
            registerReads &+= e.executions &* UInt64(e.reads.nonzeroBitCount)
            registerWrites &+= e.executions &* UInt64(e.writes.nonzeroBitCount)
        }
        var byClass: [TimingSummary.ClassCycles] = []
        for cls in InstructionClass.allCases where executions[Int(cls.rawValue)] != 0 || cycles[Int(cls.rawValue)] != 0 {
            byClass.append(.init(name: cls.name, instructions: executions[Int(cls.rawValue)], cycles: cycles[Int(cls.rawValue)]))
        }
        var fetches: UInt64 = 0, fetchMisses: UInt64 = 0
        for i in 0..<hot.pointee.windowCount where codeWindows[i].fetchCached {
            fetches &+= codeWindows[i].fetches
            fetchMisses &+= codeWindows[i].fetchMisses
        }
        var dataHits: UInt64 = 0, dataReads: UInt64 = 0
        for i in 0..<board.regions.count where regionStates[i].cachedReads {
            dataHits &+= regionStates[i].readCacheHits
            dataReads &+= regionStates[i].reads
        }
        return TimingSummary(model: options.cycleModel ? timing.modelName : "off", cycles: hot.pointee.cycles, clockHz: board.clockHz,
                             instructions: hot.pointee.instructions, byClass: byClass,
                             fetchStallCycles: hot.pointee.fetchStallCycles, dataStallCycles: hot.pointee.dataStallCycles,
                             cacheHits: (fetches - fetchMisses) &+ dataHits, cacheMisses: fetchMisses &+ (dataReads - dataHits),
                             decodedAddresses: context.decoder.decodedCount,
                             registerReads: registerReads, registerWrites: registerWrites)
    }

    func describeInvalid(_ a: (type: uc_mem_type, address: UInt64, size: Int, value: Int64, pc: UInt32), pc: UInt32) -> String {
        let address = hex(UInt32(truncatingIfNeeded: a.address))
        let at = context.where_(pc)
        switch a.type {
        case UC_MEM_WRITE_PROT:
            let region = board.region(containing: UInt32(truncatingIfNeeded: a.address))
            return "store of \(a.size) bytes to \(region?.kind.rawValue ?? "read-only") memory at \(address) at \(at): \(region?.name ?? "this region") is not writable"
        case UC_MEM_READ_UNMAPPED: return "precise data bus error reading \(address) at \(at): read of \(a.size) bytes from unmapped address \(address)"
        case UC_MEM_WRITE_UNMAPPED: return "precise data bus error writing \(address) at \(at): write of \(a.size) bytes to unmapped address \(address)"
        case UC_MEM_FETCH_UNMAPPED: return "instruction fetch from unmapped address \(address)"
        case UC_MEM_FETCH_PROT: return "instruction fetch from non-executable address \(address)"
        case UC_MEM_READ_PROT: return "read from protected address \(address) at \(at)"
        default: return "invalid memory access at \(address) at \(at)"
        }
    }
}
