/// The classes the cycle model and the report group instructions into.
public enum InstructionClass: UInt8, CaseIterable, Sendable {
    case alu, aluToPC, multiply, multiplyAccumulate, multiplyLong, divide
    case load, store, loadMultiple, storeMultiple
    case branch, branchLink, branchExchange, tableBranch, ifThen
    case dsp, dspMAC
    case fpAdd, fpMultiply, fpMAC, fpDivide, fpSqrt, fpMisc, fpLoad, fpStore, fpLoadMultiple, fpMove
    case barrier, systemRegister, hint, sleep, breakpoint, supervisorCall, other

    /// The report's spelling.
    public var name: String {
        switch self {
        case .alu: return "alu"
        case .aluToPC: return "alu_to_pc"
        case .multiply: return "mul"
        case .multiplyAccumulate: return "mac"
        case .multiplyLong: return "mul_long"
        case .divide: return "div"
        case .load: return "load"
        case .store: return "store"
        case .loadMultiple: return "load_multiple"
        case .storeMultiple: return "store_multiple"
        case .branch: return "branch"
        case .branchLink: return "branch_link"
        case .branchExchange: return "branch_exchange"
        case .tableBranch: return "table_branch"
        case .ifThen: return "it"
        case .dsp: return "dsp_simd"
        case .dspMAC: return "dsp_mac"
        case .fpAdd: return "fp_add"
        case .fpMultiply: return "fp_mul"
        case .fpMAC: return "fp_mac"
        case .fpDivide: return "fp_div"
        case .fpSqrt: return "fp_sqrt"
        case .fpMisc: return "fp_misc"
        case .fpLoad: return "fp_load"
        case .fpStore: return "fp_store"
        case .fpLoadMultiple: return "fp_load_store_multiple"
        case .fpMove: return "fp_move"
        case .barrier: return "barrier"
        case .systemRegister: return "mrs_msr"
        case .hint: return "hint"
        case .sleep: return "sleep"
        case .breakpoint: return "bkpt"
        case .supervisorCall: return "svc"
        case .other: return "other"
        }
    }
}

/// Flags of a decoded instruction, as bits so the hot path tests them with one AND.
struct DecodeFlags: OptionSet {
    let rawValue: UInt32
    static let valid = DecodeFlags(rawValue: 1 << 0)
    static let load = DecodeFlags(rawValue: 1 << 1)
    static let store = DecodeFlags(rawValue: 1 << 2)
    static let writesPC = DecodeFlags(rawValue: 1 << 3)
    static let conditional = DecodeFlags(rawValue: 1 << 4)
    static let floatingPoint = DecodeFlags(rawValue: 1 << 5)
    static let branchToSelf = DecodeFlags(rawValue: 1 << 6)
    /// Cost depends on register values (division): take the slow path.
    static let dynamic = DecodeFlags(rawValue: 1 << 7)
    /// A single LDR/LDRB/LDRH/LDRSx: the next load or store can pipeline behind it (M3/M4).
    static let pipelinableLoad = DecodeFlags(rawValue: 1 << 8)
    /// A single load/store that may pipeline behind a preceding load.
    static let pipelinableAccess = DecodeFlags(rawValue: 1 << 9)
    static let writeback = DecodeFlags(rawValue: 1 << 10)
    static let inITBlock = DecodeFlags(rawValue: 1 << 11)
    static let sleep = DecodeFlags(rawValue: 1 << 12)
    /// M7: may share an issue cycle with a neighbour.
    static let dualIssuable = DecodeFlags(rawValue: 1 << 13)
    /// M7: must take the older slot of a pair (bitfield/DSP); two of them never pair.
    static let olderSlotOnly = DecodeFlags(rawValue: 1 << 14)
    /// An ALU-class result: a following load/store using it as an address pays the AGU stall.
    static let aluResult = DecodeFlags(rawValue: 1 << 15)
    /// CPS, MSR: may unmask interrupts, so pending ones are looked at after it.
    static let maskChange = DecodeFlags(rawValue: 1 << 16)
    /// BL, BLX: the next instruction opens a call frame.
    static let call = DecodeFlags(rawValue: 1 << 17)
    /// MRS Rd, CONTROL (Rd in `op1`): bit 3 of the result is cleared after it runs (controlReadFix).
    static let readsControl = DecodeFlags(rawValue: 1 << 18)
}

/// What the decoder extracts once per address, plus its execution counters. 96 bytes, no
/// references: the decode table
/// is a flat array of these indexed by (address - window base) / 2.
struct DecodedInstruction {
    var flags: DecodeFlags = []
    var cls: UInt8 = 0
    /// Cycles on the core's zero-wait-state memory, before dynamic adjustments.
    var cost: UInt8 = 0
    /// Extra cycles when the instruction changes the flow (a taken branch's refill).
    var takenExtra: UInt8 = 0
    var size: UInt8 = 0
    /// Bytes per memory access (1, 2, 4, 8), 0 if none.
    var width: UInt8 = 0
    /// Registers transferred by LDM/STM/PUSH/POP/VLDM/VSTM.
    var regCount: UInt8 = 0
    var reads: UInt16 = 0
    var writes: UInt16 = 0
    var addressRegs: UInt16 = 0
    /// Operand registers for the slow path (DIV dividend/divisor), -1 when absent.
    var op1: Int8 = -1
    var op2: Int8 = -1
    /// Cost when a conditional instruction fails its condition (executes as a NOP).
    var skippedCost: UInt8 = 1
    /// arm_cc of a conditional instruction (Capstone numbering), 0 when unconditional.
    var condition: UInt8 = 0
    var dynamicKind: UInt8 = 0
    /// FP registers read and written (bit n = Sn), for FP result-latency stalls.
    var fpReads: UInt32 = 0
    var fpWrites: UInt32 = 0
    /// Profile counters kept in the entry itself, so the hot path touches one cache line:
    /// executions, core cycles, and memory stall cycles (fetch and data wait states).
    var executions: UInt64 = 0
    var cycles: UInt64 = 0
    var stallCycles: UInt64 = 0
    /// Data accesses this instruction made (a 64-bit access counts twice) and their energy
    /// in femtojoules from the cost table, for per-function memory figures.
    var memoryAccesses: UInt64 = 0
    var memoryEnergyFJ: UInt64 = 0
    /// Index of the function containing this instruction (SymbolTable order), or .max.
    var function: UInt32 = .max
    /// The cost with the pipeline rules applied after `memoPrevious` (valid while
    /// `memoGeneration` is the machine's decode generation): most instructions follow the
    /// same predecessor every time, so the rules run once per pair, not per execution.
    var memoCost: UInt32 = 0
    var memoGeneration: UInt32 = 0
    var memoPrevious: UnsafeMutablePointer<DecodedInstruction>? = nil
}

enum DynamicKind: UInt8 {
    case none = 0
    case divideUnsigned
    case divideSigned
}
