import CCapstone

/// Decodes Thumb/Thumb-2 instructions with Capstone into `DecodedInstruction`s for one
/// core's timing table. Runs once per executed address (cold path); the hot path reads the
/// cached result. An IT instruction is decoded together with its block so that each
/// instruction in the block carries its condition.
/// The destination register of `MRS Rd, CONTROL` from its two halfwords, or nil.
@inline(__always)
func controlReadDestination(_ first: UInt16, _ second: UInt16) -> Int? {
    guard first == 0xF3EF, second & 0xF0FF == 0x8014 else { return nil }
    let rd = Int((second >> 8) & 0xF)
    return rd < 13 ? rd : nil
}

final class InstructionDecoder {
    private var handle: csh = 0
    let timing: CoreTiming
    private var facts = [mcusim_insn_facts](repeating: mcusim_insn_facts(), count: 5)
    /// Addresses decoded so far (cold-path statistic for the decoder-choice measurement).
    private(set) var decodedCount: UInt64 = 0

    init(timing: CoreTiming) throws {
        self.timing = timing
        guard mcusim_cs_open_thumb_mclass(&handle) == CS_ERR_OK else {
            throw SimulatorError.engine("cannot open the Capstone Thumb decoder")
        }
    }

    deinit { cs_close(&handle) }

    /// Decodes the instruction at `address` (and an IT block after it) from `bytes`,
    /// `available` bytes long, calling `store` for each decoded address.
    func decode(bytes: UnsafePointer<UInt8>, available: Int, address: UInt32,
                store: (UInt32, DecodedInstruction) -> Void) {
        let count = facts.withUnsafeMutableBufferPointer { buffer in
            mcusim_cs_decode(handle, bytes, min(available, 20), UInt64(address), 5, buffer.baseAddress)
        }
        decodedCount += 1
        guard count > 0 else {
            // Capstone does not know it (UDF, data): Unicorn raises the fault itself.
            var unknown = DecodedInstruction()
            unknown.flags = [.valid]
            unknown.cls = InstructionClass.other.rawValue
            unknown.cost = 1
            let first = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
            unknown.size = first >= 0xE800 ? 4 : 2
            store(address, unknown)
            return
        }
        var first = classify(facts[0], address: address)
        markControlRead(&first, bytes)
        // IT: the next 1-4 instructions are its block (length from the mask's lowest set
        // bit); Capstone gave each its condition.
        var blockLength = 0
        if facts[0].id == ARM_INS_IT.rawValue {
            let mask = Int(bytes[0] & 0xF)
            blockLength = mask == 0 ? 0 : 4 - mask.trailingZeroBitCount
            first.regCount = UInt8(blockLength)
        }
        store(address, first)
        if blockLength > 0 {
            var next = address &+ UInt32(facts[0].size)
            for i in 1..<min(count, blockLength + 1) {
                var entry = classify(facts[i], address: next)
                markControlRead(&entry, bytes + Int(next &- address))
                entry.flags.insert(.inITBlock)
                store(next, entry)
                next &+= UInt32(facts[i].size)
            }
        }
    }

    private func id(_ insn: arm_insn) -> UInt32 { insn.rawValue }

    /// MRS Rd, CONTROL (T1: F3EF 8dSS with SYSm 0x14). Unicorn 2.0.1 sets CONTROL bit 3 (the
    /// ARMv8-M Security Extension's SFPA) on cores without it, where the bit reads as zero.
    private func markControlRead(_ d: inout DecodedInstruction, _ bytes: UnsafePointer<UInt8>) {
        guard d.size == 4 else { return }
        let first = UInt16(bytes[0]) | UInt16(bytes[1]) << 8, second = UInt16(bytes[2]) | UInt16(bytes[3]) << 8
        if let rd = controlReadDestination(first, second) {
            d.flags.insert(.readsControl)
            d.op1 = Int8(rd)
        }
    }

    func classify(_ f: mcusim_insn_facts, address: UInt32) -> DecodedInstruction {
        let t = timing
        var d = DecodedInstruction()
        d.flags = [.valid]
        d.size = f.size
        d.reads = f.regs_read
        d.writes = f.regs_written
        d.addressRegs = f.address_regs
        d.fpReads = f.fp_read
        d.fpWrites = f.fp_written
        let writesPC = f.regs_written & (1 << 15) != 0
        if writesPC { d.flags.insert(.writesPC) }
        if f.writeback { d.flags.insert(.writeback) }
        let conditional = f.cc != 0 && f.cc != Int32(ARM_CC_AL.rawValue)
        if conditional {
            d.flags.insert(.conditional)
            d.condition = UInt8(truncatingIfNeeded: f.cc)
        }
        let regList = UInt8(clamping: Int(f.reg_operands))
        var cls = InstructionClass.alu
        var cost = t.alu

        switch f.id {
        // Single loads and stores.
        case id(ARM_INS_LDR), id(ARM_INS_LDRB), id(ARM_INS_LDRH), id(ARM_INS_LDRSB), id(ARM_INS_LDRSH),
             id(ARM_INS_LDRT), id(ARM_INS_LDRBT), id(ARM_INS_LDRHT), id(ARM_INS_LDRSBT), id(ARM_INS_LDRSHT),
             id(ARM_INS_LDREX), id(ARM_INS_LDREXB), id(ARM_INS_LDREXH), id(ARM_INS_LDA), id(ARM_INS_LDAB),
             id(ARM_INS_LDAH), id(ARM_INS_LDAEX), id(ARM_INS_LDAEXB), id(ARM_INS_LDAEXH):
            cls = .load
            d.flags.insert(.load)
            d.width = width(of: f.id)
            cost = t.load
            if writesPC {
                cost = t.load &+ t.loadToPCExtra
            } else {
                d.flags.formUnion([.pipelinableLoad, .pipelinableAccess])
            }
        case id(ARM_INS_STR), id(ARM_INS_STRB), id(ARM_INS_STRH), id(ARM_INS_STRT), id(ARM_INS_STRBT),
             id(ARM_INS_STRHT), id(ARM_INS_STREX), id(ARM_INS_STREXB), id(ARM_INS_STREXH), id(ARM_INS_STL),
             id(ARM_INS_STLB), id(ARM_INS_STLH), id(ARM_INS_STLEX), id(ARM_INS_STLEXB), id(ARM_INS_STLEXH):
            cls = .store
            d.flags.formUnion([.store, .pipelinableAccess])
            d.width = width(of: f.id)
            // STR Rt,[Rn,#imm] takes 1 cycle; a register offset takes the full 2.
            cost = f.memory_has_index ? t.store : t.storeImmediate
        case id(ARM_INS_LDRD), id(ARM_INS_LDREXD), id(ARM_INS_LDAEXD):
            cls = .load
            d.flags.insert(.load)
            d.width = 8
            cost = t.loadStoreDouble
        case id(ARM_INS_STRD), id(ARM_INS_STREXD), id(ARM_INS_STLEXD):
            cls = .store
            d.flags.insert(.store)
            d.width = 8
            cost = t.loadStoreDouble

        // Multiple transfers: 1+N (N on M33), plus the reload when PC is loaded.
        case id(ARM_INS_POP), id(ARM_INS_LDM), id(ARM_INS_LDMDB), id(ARM_INS_LDMDA), id(ARM_INS_LDMIB):
            cls = .loadMultiple
            d.flags.insert(.load)
            let n = f.id == id(ARM_INS_POP) ? regList : regList &- 1
            d.regCount = n
            d.width = 4
            cost = multiple(n)
            if writesPC { cost = cost &+ t.loadToPCExtra }
        case id(ARM_INS_PUSH), id(ARM_INS_STM), id(ARM_INS_STMDB), id(ARM_INS_STMDA), id(ARM_INS_STMIB):
            cls = .storeMultiple
            d.flags.insert(.store)
            let n = f.id == id(ARM_INS_PUSH) ? regList : regList &- 1
            d.regCount = n
            d.width = 4
            cost = multiple(n)

        // Flow control. Unconditional branches pay their refill now; conditional ones pay
        // it when the next executed address shows the branch was taken.
        case id(ARM_INS_B), id(ARM_INS_CBZ), id(ARM_INS_CBNZ):
            cls = .branch
            let conditionalBranch = conditional || f.id != id(ARM_INS_B)
            if conditionalBranch {
                cost = 1
                d.takenExtra = t.branchRefill
            } else {
                cost = 1 &+ t.branchRefill
            }
            if f.has_imm, UInt32(truncatingIfNeeded: f.imm) == address, !conditionalBranch {
                d.flags.insert(.branchToSelf)
            }
        case id(ARM_INS_BL):
            cls = .branchLink
            cost = t.branchLink
            d.flags.insert(.call)
        case id(ARM_INS_BX), id(ARM_INS_BLX):
            cls = .branchExchange
            if f.id == id(ARM_INS_BLX) { d.flags.insert(.call) }
            if conditional {
                cost = 1
                d.takenExtra = t.branchExchange &- 1
            } else {
                cost = t.branchExchange
            }
        case id(ARM_INS_TBB), id(ARM_INS_TBH):
            cls = .tableBranch
            d.flags.insert(.load)
            d.width = f.id == id(ARM_INS_TBB) ? 1 : 2
            cost = t.tableBranch
        case id(ARM_INS_IT):
            cls = .ifThen
            cost = t.ifThen

        // Multiplies and divides.
        case id(ARM_INS_MUL):
            cls = .multiply
            cost = t.multiply
        case id(ARM_INS_MLA), id(ARM_INS_MLS):
            cls = .multiplyAccumulate
            cost = t.multiplyAccumulate
        case id(ARM_INS_SMULBB), id(ARM_INS_SMULBT), id(ARM_INS_SMULTB), id(ARM_INS_SMULTT), id(ARM_INS_SMULWB),
             id(ARM_INS_SMULWT), id(ARM_INS_SMMUL), id(ARM_INS_SMMULR):
            cls = .multiply
            cost = t.multiply
        case id(ARM_INS_SMLABB), id(ARM_INS_SMLABT), id(ARM_INS_SMLATB), id(ARM_INS_SMLATT), id(ARM_INS_SMLAWB),
             id(ARM_INS_SMLAWT), id(ARM_INS_SMMLA), id(ARM_INS_SMMLAR), id(ARM_INS_SMMLS), id(ARM_INS_SMMLSR):
            cls = .multiplyAccumulate
            cost = t.multiplyAccumulate
        case id(ARM_INS_UMULL), id(ARM_INS_SMULL):
            cls = .multiplyLong
            cost = t.multiplyLong
        case id(ARM_INS_UMLAL), id(ARM_INS_SMLAL), id(ARM_INS_UMAAL), id(ARM_INS_SMLALBB), id(ARM_INS_SMLALBT),
             id(ARM_INS_SMLALTB), id(ARM_INS_SMLALTT):
            cls = .multiplyLong
            cost = t.multiplyLongAccumulate
        case id(ARM_INS_SDIV), id(ARM_INS_UDIV):
            cls = .divide
            cost = t.divideFixed
            if t.divideEarlyTermination {
                d.flags.insert(.dynamic)
                d.dynamicKind = (f.id == id(ARM_INS_SDIV) ? DynamicKind.divideSigned : .divideUnsigned).rawValue
                d.op1 = Int8(f.second_reg)
                d.op2 = Int8(f.third_reg >= 0 ? f.third_reg : f.first_reg)
            }

        // DSP SIMD: packed 8/16-bit arithmetic, dual 16-bit MACs, packing and saturation.
        case id(ARM_INS_SMLAD), id(ARM_INS_SMLADX), id(ARM_INS_SMLSD), id(ARM_INS_SMLSDX), id(ARM_INS_SMUAD),
             id(ARM_INS_SMUADX), id(ARM_INS_SMUSD), id(ARM_INS_SMUSDX), id(ARM_INS_SMLALD), id(ARM_INS_SMLALDX),
             id(ARM_INS_SMLSLD), id(ARM_INS_SMLSLDX):
            // Dual 16-bit multiply(-accumulate): two MAC lanes in one instruction.
            cls = .dspMAC
            cost = t.dsp
        case id(ARM_INS_SADD16), id(ARM_INS_SADD8), id(ARM_INS_SSUB16), id(ARM_INS_SSUB8), id(ARM_INS_SASX),
             id(ARM_INS_SSAX), id(ARM_INS_QADD16), id(ARM_INS_QADD8), id(ARM_INS_QSUB16), id(ARM_INS_QSUB8),
             id(ARM_INS_QASX), id(ARM_INS_QSAX), id(ARM_INS_SHADD16), id(ARM_INS_SHADD8), id(ARM_INS_SHSUB16),
             id(ARM_INS_SHSUB8), id(ARM_INS_SHASX), id(ARM_INS_SHSAX), id(ARM_INS_UADD16), id(ARM_INS_UADD8),
             id(ARM_INS_USUB16), id(ARM_INS_USUB8), id(ARM_INS_UASX), id(ARM_INS_USAX), id(ARM_INS_UQADD16),
             id(ARM_INS_UQADD8), id(ARM_INS_UQSUB16), id(ARM_INS_UQSUB8), id(ARM_INS_UQASX), id(ARM_INS_UQSAX),
             id(ARM_INS_UHADD16), id(ARM_INS_UHADD8), id(ARM_INS_UHSUB16), id(ARM_INS_UHSUB8), id(ARM_INS_UHASX),
             id(ARM_INS_UHSAX), id(ARM_INS_SEL), id(ARM_INS_USAD8), id(ARM_INS_USADA8), id(ARM_INS_SSAT16),
             id(ARM_INS_USAT16), id(ARM_INS_SXTB16), id(ARM_INS_SXTAB16), id(ARM_INS_UXTB16), id(ARM_INS_UXTAB16),
             id(ARM_INS_PKHBT), id(ARM_INS_PKHTB), id(ARM_INS_QADD), id(ARM_INS_QSUB), id(ARM_INS_QDADD),
             id(ARM_INS_QDSUB):
            cls = .dsp
            cost = t.dsp

        // Floating point.
        case id(ARM_INS_VADD), id(ARM_INS_VSUB):
            cls = .fpAdd
            cost = f.uses_double ? t.fpDoubleArithmetic : t.fpAdd
        case id(ARM_INS_VMUL), id(ARM_INS_VNMUL):
            cls = .fpMultiply
            cost = f.uses_double ? t.fpDoubleArithmetic : t.fpMultiply
        case id(ARM_INS_VMLA), id(ARM_INS_VMLS), id(ARM_INS_VNMLA), id(ARM_INS_VNMLS), id(ARM_INS_VFMA),
             id(ARM_INS_VFMS), id(ARM_INS_VFNMA), id(ARM_INS_VFNMS):
            cls = .fpMAC
            cost = t.fpMAC
        case id(ARM_INS_VDIV):
            cls = .fpDivide
            cost = f.uses_double ? t.fpDoubleDivide : t.fpDivide
        case id(ARM_INS_VSQRT):
            cls = .fpSqrt
            cost = f.uses_double ? t.fpDoubleDivide : t.fpSqrt
        case id(ARM_INS_VCVT), id(ARM_INS_VCVTA), id(ARM_INS_VCVTB), id(ARM_INS_VCVTM), id(ARM_INS_VCVTN),
             id(ARM_INS_VCVTP), id(ARM_INS_VCVTT), id(ARM_INS_VCVTR), id(ARM_INS_VABS), id(ARM_INS_VNEG),
             id(ARM_INS_VCMP), id(ARM_INS_VCMPE), id(ARM_INS_VMAXNM), id(ARM_INS_VMINNM), id(ARM_INS_VSELEQ),
             id(ARM_INS_VSELGE), id(ARM_INS_VSELGT), id(ARM_INS_VSELVS), id(ARM_INS_VRINTA), id(ARM_INS_VRINTM),
             id(ARM_INS_VRINTN), id(ARM_INS_VRINTP), id(ARM_INS_VRINTR), id(ARM_INS_VRINTX), id(ARM_INS_VRINTZ):
            cls = .fpMisc
            cost = t.fpConvert
        case id(ARM_INS_VLDR):
            cls = .fpLoad
            d.flags.insert(.load)
            d.width = f.uses_double ? 8 : 4
            cost = f.uses_double ? t.fpLoadDouble : t.fpLoad
        case id(ARM_INS_VSTR):
            cls = .fpStore
            d.flags.insert(.store)
            d.width = f.uses_double ? 8 : 4
            cost = f.uses_double ? t.fpLoadDouble : t.fpStore
        case id(ARM_INS_VLDMIA), id(ARM_INS_VLDMDB), id(ARM_INS_VPOP), id(ARM_INS_VSTMIA), id(ARM_INS_VSTMDB),
             id(ARM_INS_VPUSH):
            cls = .fpLoadMultiple
            let isLoad = f.id == id(ARM_INS_VLDMIA) || f.id == id(ARM_INS_VLDMDB) || f.id == id(ARM_INS_VPOP)
            d.flags.insert(isLoad ? .load : .store)
            let listed = (f.id == id(ARM_INS_VPOP) || f.id == id(ARM_INS_VPUSH)) ? regList : regList &- 1
            let words = f.uses_double ? listed &* 2 : listed
            d.regCount = words
            // Unicorn reports one 8-byte access per D register, one 4-byte access per S register.
            d.width = f.uses_double ? 8 : 4
            cost = t.fpMultipleBase &+ words
        case id(ARM_INS_VMOV), id(ARM_INS_VMRS), id(ARM_INS_VMSR):
            cls = .fpMove
            let coreRegs = (f.regs_read | f.regs_written).nonzeroBitCount
            cost = coreRegs >= 2 ? t.fpMove &+ 1 : t.fpMove

        // System.
        case id(ARM_INS_DMB), id(ARM_INS_DSB), id(ARM_INS_ISB):
            cls = .barrier
            cost = t.barrier
        case id(ARM_INS_MRS), id(ARM_INS_MSR):
            cls = .systemRegister
            cost = t.systemRegister
            if f.id == id(ARM_INS_MSR) { d.flags.insert(.maskChange) }
        case id(ARM_INS_CPS):
            // CPSIE/CPSID: 1 cycle (M0+ per Symex; M3/M4 TRM tables).
            cls = .systemRegister
            cost = 1
            d.flags.insert(.maskChange)
        case id(ARM_INS_WFI), id(ARM_INS_WFE):
            cls = .sleep
            d.flags.insert(.sleep)
            cost = 1
        case id(ARM_INS_NOP), id(ARM_INS_YIELD), id(ARM_INS_SEV), id(ARM_INS_SEVL), id(ARM_INS_HINT), id(ARM_INS_DBG),
             id(ARM_INS_PLD), id(ARM_INS_PLDW), id(ARM_INS_PLI), id(ARM_INS_CLREX):
            cls = .hint
            cost = 1
        case id(ARM_INS_BKPT):
            cls = .breakpoint
            cost = 1
        case id(ARM_INS_SVC):
            cls = .supervisorCall
            cost = 1
        case id(ARM_INS_UDF):
            cls = .other
            cost = 1
        default:
            // Data processing: moves, arithmetic, logic, shifts, extends, bitfields.
            cls = writesPC ? .aluToPC : .alu
            cost = writesPC ? t.aluToPC : t.alu
        }

        if isFloatingPoint(cls) || (cls == .alu && f.id >= id(ARM_INS_VABAL) && f.id <= id(ARM_INS_VZIP)) {
            d.flags.insert(.floatingPoint)
        }
        if cls == .alu || cls == .multiply || cls == .multiplyAccumulate || cls == .dsp || cls == .dspMAC || cls == .multiplyLong {
            d.flags.insert(.aluResult)
        }
        // A condition-failed instruction in an IT block executes as a 1-cycle NOP. Unicorn
        // does not call the code hook for it, so the IT bookkeeping charges it instead
        // (CycleAccounting.accountSkippedITInstructions); a hooked one always executes.
        d.skippedCost = 1
        if t.dualIssue { markDualIssue(&d, cls: cls, id: f.id) }
        d.cls = cls.rawValue
        d.cost = cost
        return d
    }

    private func multiple(_ n: UInt8) -> UInt8 {
        if timing.dualIssue { return 1 &+ n / 2 }  // M7: ceil(N/2)-like, approximated
        return timing.multipleBase &+ n
    }

    private func width(of insn: UInt32) -> UInt8 {
        switch insn {
        case id(ARM_INS_LDRB), id(ARM_INS_LDRSB), id(ARM_INS_LDRBT), id(ARM_INS_LDRSBT), id(ARM_INS_LDREXB),
             id(ARM_INS_LDAB), id(ARM_INS_LDAEXB), id(ARM_INS_STRB), id(ARM_INS_STRBT), id(ARM_INS_STREXB),
             id(ARM_INS_STLB), id(ARM_INS_STLEXB):
            return 1
        case id(ARM_INS_LDRH), id(ARM_INS_LDRSH), id(ARM_INS_LDRHT), id(ARM_INS_LDRSHT), id(ARM_INS_LDREXH),
             id(ARM_INS_LDAH), id(ARM_INS_LDAEXH), id(ARM_INS_STRH), id(ARM_INS_STRHT), id(ARM_INS_STREXH),
             id(ARM_INS_STLH), id(ARM_INS_STLEXH):
            return 2
        default:
            return 4
        }
    }

    private func isFloatingPoint(_ cls: InstructionClass) -> Bool {
        switch cls {
        case .fpAdd, .fpMultiply, .fpMAC, .fpDivide, .fpSqrt, .fpMisc, .fpLoad, .fpStore, .fpLoadMultiple, .fpMove:
            return true
        default:
            return false
        }
    }

    /// M7 dual-issue eligibility (jnk0le): simple ALU, single loads/stores, branches, MUL/MAC
    /// and FP arithmetic pair; bitfield and DSP instructions only in the older slot.
    private func markDualIssue(_ d: inout DecodedInstruction, cls: InstructionClass, id insn: UInt32) {
        switch cls {
        case .alu, .load, .store, .branch, .multiply, .multiplyAccumulate, .fpAdd, .fpMultiply, .fpMAC, .fpLoad,
             .fpStore, .fpMisc, .ifThen:
            if d.flags.contains(.writesPC) || d.width == 8 { return }
            d.flags.insert(.dualIssuable)
        case .dsp:
            d.flags.formUnion([.dualIssuable, .olderSlotOnly])
        case .dspMAC:
            d.flags.insert(.dualIssuable)  // SMLAD pairs more freely than other DSP (jnk0le)
        default:
            return
        }
        switch insn {
        case id(ARM_INS_UXTB), id(ARM_INS_UXTH), id(ARM_INS_SXTB), id(ARM_INS_SXTH), id(ARM_INS_UXTAB),
             id(ARM_INS_UXTAH), id(ARM_INS_SXTAB), id(ARM_INS_SXTAH), id(ARM_INS_UBFX), id(ARM_INS_SBFX),
             id(ARM_INS_BFI), id(ARM_INS_BFC), id(ARM_INS_CLZ), id(ARM_INS_REV), id(ARM_INS_REV16),
             id(ARM_INS_REVSH), id(ARM_INS_RBIT):
            d.flags.insert(.olderSlotOnly)
        default:
            break
        }
    }
}
