/// Why a run ended. Every stop carries the PC, its symbol and a message for the user.
public struct StopInfo: Equatable, Sendable {
    public enum Reason: String, Sendable {
        /// The firmware exited through semihosting; `exitCode` holds its code.
        case exit
        /// A BKPT other than the semihosting call.
        case breakpoint
        /// An architectural fault: unmapped access, undefined instruction, store to flash, ...
        case fault
        /// `--max-instructions` or `--max-seconds` was reached.
        case limit
        /// A branch-to-self idle loop with nothing left that could wake it.
        case idle
        /// WFI/WFE with no interrupt enabled that could ever wake the core.
        case deadlock
        /// The firmware asked for a system reset (AIRCR.SYSRESETREQ).
        case reset
    }

    public var reason: Reason
    public var exitCode: Int?
    public var pc: UInt32
    public var symbol: String?
    public var message: String
    /// For limits: which one ("instructions" or "seconds").
    public var limit: String?

    public init(reason: Reason, exitCode: Int? = nil, pc: UInt32, symbol: String? = nil, message: String, limit: String? = nil) {
        self.reason = reason
        self.exitCode = exitCode
        self.pc = pc
        self.symbol = symbol
        self.message = message
        self.limit = limit
    }
}

/// How the machine started: from the vector table, as the hardware does, or at the ELF
/// entry when the boot address holds no valid vector table.
public struct BootInfo: Equatable, Sendable {
    public enum Path: String, Sendable {
        case vectorTable = "vector-table"
        case elfEntry = "elf-entry"
    }
    public var path: Path
    public var initialSP: UInt32
    public var resetPC: UInt32
    public var note: String
}
