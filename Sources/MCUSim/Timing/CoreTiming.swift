/// One core's instruction timing, in cycles on zero-wait-state memory. Sources are in
/// ../shared/reference/cortex-m-timing.md and docs/cycle-model.md; each figure below names
/// the table it comes from. P (pipeline refill) is charged when a branch is taken.
public struct CoreTiming: Sendable {
    public var name: String
    public var version: Int = 1

    var alu: UInt8 = 1
    var aluToPC: UInt8              // MOV/ADD PC, Rm (includes the refill)
    var branchRefill: UInt8         // P for B/B<c>/CBZ when taken
    var branchLink: UInt8           // BL total
    var branchExchange: UInt8       // BX/BLX total
    var loadToPCExtra: UInt8        // reload after a load writes PC (LDR PC, POP {..,PC})
    var multiply: UInt8
    var multiplyAccumulate: UInt8
    var multiplyLong: UInt8         // UMULL/SMULL
    var multiplyLongAccumulate: UInt8 // UMLAL/SMLAL/UMAAL
    var divideEarlyTermination: Bool // 2-12 by operand size (M3/M4/M33)
    var divideFixed: UInt8
    var load: UInt8
    var store: UInt8
    var storeImmediate: UInt8       // STR Rt,[Rn,#imm]
    var loadStoreDouble: UInt8      // LDRD/STRD
    var multipleBase: UInt8         // LDM/STM/PUSH/POP cost = base + N
    var pipelinesLoads: Bool        // M3/M4 LDR-LDR/STR pipelining
    var addressDependencyStall: UInt8 // load/store address from the previous ALU result
    var loadUseStall: UInt8         // consumer right after a load (cores with 1-cycle loads)
    var tableBranch: UInt8          // TBB/TBH total
    var ifThen: UInt8
    var dsp: UInt8
    var fpAdd: UInt8
    var fpMultiply: UInt8
    var fpMAC: UInt8                // VMLA/VMLS/VNMLA/VFMA/...
    var fpDivide: UInt8
    var fpSqrt: UInt8
    var fpConvert: UInt8
    var fpLoad: UInt8               // VLDR.32
    var fpLoadDouble: UInt8         // VLDR.64
    var fpStore: UInt8
    var fpMultipleBase: UInt8       // VLDM/VSTM/VPUSH/VPOP = base + N words
    var fpMove: UInt8               // VMOV core<->FPU, VMRS/VMSR
    var fpDoubleArithmetic: UInt8   // F64 add/mul on cores with a double FPU
    var fpDoubleDivide: UInt8
    var barrier: UInt8
    var systemRegister: UInt8       // MRS/MSR
    var dualIssue: Bool = false
    /// Extra cycle when an instruction consumes the result of the FP arithmetic just before
    /// it (M4 TRM note: "one cycle longer if the following instruction uses the result").
    var fpResultStall: UInt8 = 0
    /// M3 never chains pre/post-indexed loads; the M4 only not on the same base (jnk0le).
    var chainsIndexedLoadsOnDifferentBases: Bool = true
    /// M33: a 16-bit conditional branch right after another 16-bit instruction issues with it
    /// (jnk0le cortex_m33.md: not taken 0 cycles, taken 1).
    var pairsNarrowBranch: Bool = false

    public var modelName: String { "\(name)/\(version)" }

    public static func forCore(_ core: CoreKind, multiplier: MultiplierKind = .singleCycle) -> CoreTiming {
        switch core {
        case .cortexM0:
            var t = cortexM0
            if multiplier == .iterative32 { t.multiply = 32 }
            return t
        case .cortexM0Plus:
            var t = cortexM0Plus
            if multiplier == .iterative32 { t.multiply = 32 }
            return t
        case .cortexM3: return cortexM3
        case .cortexM4, .cortexM4F: return cortexM4
        case .cortexM7: return cortexM7
        case .cortexM33: return cortexM33
        }
    }

    /// Cortex-M0: TRM Table 7-22 (ALU 1, load/store 2, LDM 1+N, POP PC 4+N, B 3/1, BL 4,
    /// BX 3, MOV PC 3, MULS 1 or 32, barriers 4, MRS/MSR 4).
    static let cortexM0 = CoreTiming(
        name: "cortex-m0", aluToPC: 3, branchRefill: 2, branchLink: 4, branchExchange: 3, loadToPCExtra: 3,
        multiply: 1, multiplyAccumulate: 1, multiplyLong: 1, multiplyLongAccumulate: 1,
        divideEarlyTermination: false, divideFixed: 1, load: 2, store: 2, storeImmediate: 2, loadStoreDouble: 3,
        multipleBase: 1, pipelinesLoads: false, addressDependencyStall: 0, loadUseStall: 0, tableBranch: 4,
        ifThen: 1, dsp: 1, fpAdd: 1, fpMultiply: 1, fpMAC: 1, fpDivide: 1, fpSqrt: 1, fpConvert: 1, fpLoad: 2,
        fpLoadDouble: 3, fpStore: 2, fpMultipleBase: 1, fpMove: 1, fpDoubleArithmetic: 1, fpDoubleDivide: 1,
        barrier: 4, systemRegister: 4)

    /// Cortex-M0+: Arm DDI0484C as tabulated by Symex cycle_count_m0plus_core (ALU 1,
    /// load/store 2, LDM 1+N, POP PC 3+N, B 2/1, BL 3, BX 2, MOV PC 2, MULS 1 or 32,
    /// barriers 3, MRS/MSR 3).
    static let cortexM0Plus = CoreTiming(
        name: "cortex-m0plus", aluToPC: 2, branchRefill: 1, branchLink: 3, branchExchange: 2, loadToPCExtra: 2,
        multiply: 1, multiplyAccumulate: 1, multiplyLong: 1, multiplyLongAccumulate: 1,
        divideEarlyTermination: false, divideFixed: 1, load: 2, store: 2, storeImmediate: 2, loadStoreDouble: 3,
        multipleBase: 1, pipelinesLoads: false, addressDependencyStall: 0, loadUseStall: 0, tableBranch: 3,
        ifThen: 1, dsp: 1, fpAdd: 1, fpMultiply: 1, fpMAC: 1, fpDivide: 1, fpSqrt: 1, fpConvert: 1, fpLoad: 2,
        fpLoadDouble: 3, fpStore: 2, fpMultipleBase: 1, fpMove: 1, fpDoubleArithmetic: 1, fpDoubleDivide: 1,
        barrier: 3, systemRegister: 3)

    /// Cortex-M3: TRM r2 Table 3-1 with P = 2 (MUL 1, MLA 2, UMULL/SMULL 3-5 and UMLAL/SMLAL
    /// 4-7 charged at their upper bound, SDIV/UDIV 2-12, LDR 2, STR imm 1, LDM 1+N,
    /// POP PC 1+N+P); load/store pipelining from TRM p.3-9.
    static let cortexM3 = CoreTiming(
        name: "cortex-m3", aluToPC: 3, branchRefill: 2, branchLink: 3, branchExchange: 3, loadToPCExtra: 3,
        multiply: 1, multiplyAccumulate: 2, multiplyLong: 5, multiplyLongAccumulate: 7,
        divideEarlyTermination: true, divideFixed: 12, load: 2, store: 2, storeImmediate: 1, loadStoreDouble: 3,
        multipleBase: 1, pipelinesLoads: true, addressDependencyStall: 1, loadUseStall: 0, tableBranch: 6,
        ifThen: 1, dsp: 1, fpAdd: 1, fpMultiply: 1, fpMAC: 1, fpDivide: 1, fpSqrt: 1, fpConvert: 1, fpLoad: 2,
        fpLoadDouble: 3, fpStore: 2, fpMultipleBase: 1, fpMove: 1, fpDoubleArithmetic: 1, fpDoubleDivide: 1,
        barrier: 2, systemRegister: 2, chainsIndexedLoadsOnDifferentBases: false)

    /// Cortex-M4/M4F: TI SWCU192 Tables 3-25 and 3-27 (zero wait states) with P = 2:
    /// MUL/MLA/long multiplies 1, SDIV/UDIV 2-12, LDR 2, STR imm 1, LDRD 3, LDM 1+N,
    /// B taken 1+P, BL/BX 1+P, TBB/TBH 6, DSP 1; FPU VADD/VMUL 1, VMLA/VFMA 3, VDIV/VSQRT 14,
    /// VLDR 2 (.64: 3), VSTR 2, VLDM 1+N, VMOV 1.
    static let cortexM4 = CoreTiming(
        name: "cortex-m4", aluToPC: 3, branchRefill: 2, branchLink: 3, branchExchange: 3, loadToPCExtra: 3,
        multiply: 1, multiplyAccumulate: 1, multiplyLong: 1, multiplyLongAccumulate: 1,
        divideEarlyTermination: true, divideFixed: 12, load: 2, store: 2, storeImmediate: 1, loadStoreDouble: 3,
        multipleBase: 1, pipelinesLoads: true, addressDependencyStall: 1, loadUseStall: 0, tableBranch: 6,
        ifThen: 1, dsp: 1, fpAdd: 1, fpMultiply: 1, fpMAC: 3, fpDivide: 14, fpSqrt: 14, fpConvert: 1, fpLoad: 2,
        fpLoadDouble: 3, fpStore: 2, fpMultipleBase: 1, fpMove: 1, fpDoubleArithmetic: 1, fpDoubleDivide: 1,
        barrier: 2, systemRegister: 2, fpResultStall: 1)

    /// Cortex-M33: no public table; jnk0le (RP2350) and SLOTHY measurements: ALU 1, MUL/MLA 1
    /// (result latency 2), loads issue in 1 with a 1-cycle load-use stall, LDM/STM N,
    /// B taken 2, DIV assumed as M4 (2-12), FP as M4.
    static let cortexM33 = CoreTiming(
        name: "cortex-m33", aluToPC: 2, branchRefill: 1, branchLink: 2, branchExchange: 2, loadToPCExtra: 2,
        multiply: 1, multiplyAccumulate: 1, multiplyLong: 1, multiplyLongAccumulate: 1,
        divideEarlyTermination: true, divideFixed: 12, load: 1, store: 1, storeImmediate: 1, loadStoreDouble: 2,
        multipleBase: 0, pipelinesLoads: false, addressDependencyStall: 0, loadUseStall: 1, tableBranch: 4,
        ifThen: 1, dsp: 1, fpAdd: 1, fpMultiply: 1, fpMAC: 3, fpDivide: 14, fpSqrt: 14, fpConvert: 1, fpLoad: 2,
        fpLoadDouble: 3, fpStore: 2, fpMultipleBase: 1, fpMove: 1, fpDoubleArithmetic: 1, fpDoubleDivide: 1,
        barrier: 2, systemRegister: 2, pairsNarrowBranch: true)

    /// Cortex-M7: Arm publishes no table. Issue costs from LLVM ARMScheduleM7.td and jnk0le
    /// measurements: single-cycle ALU/MUL/load issue, dual issue of independent neighbours
    /// (an approximation, see docs/cycle-model.md), predicted branches +1 when taken,
    /// DIV 7 (LLVM), LDM ceil(N/2) approximated as N/2+1, FP VDIV 16, F64 arithmetic 3.
    static let cortexM7 = CoreTiming(
        name: "cortex-m7", aluToPC: 2, branchRefill: 1, branchLink: 2, branchExchange: 2, loadToPCExtra: 2,
        multiply: 1, multiplyAccumulate: 1, multiplyLong: 1, multiplyLongAccumulate: 1,
        divideEarlyTermination: false, divideFixed: 7, load: 1, store: 1, storeImmediate: 1, loadStoreDouble: 1,
        multipleBase: 1, pipelinesLoads: false, addressDependencyStall: 0, loadUseStall: 1, tableBranch: 3,
        ifThen: 1, dsp: 1, fpAdd: 1, fpMultiply: 1, fpMAC: 1, fpDivide: 16, fpSqrt: 16, fpConvert: 1, fpLoad: 1,
        fpLoadDouble: 1, fpStore: 1, fpMultipleBase: 1, fpMove: 1, fpDoubleArithmetic: 3, fpDoubleDivide: 30,
        barrier: 3, systemRegister: 3, dualIssue: true)
}
