/// mcusim's exit codes (docs/exit-codes.md). The firmware's own code passes through in
/// 0-63; mcusim's outcomes sit above it, following sysexits where one fits.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    case success = 0
    /// Largest firmware exit code passed through unchanged; others are reported as 63.
    case firmwareCodeOutOfRange = 63
    /// Bad command line (sysexits EX_USAGE, also what swift-argument-parser uses).
    case usage = 64
    /// Malformed input: ELF, board file, model, cost table, budget (EX_DATAERR).
    case badInput = 65
    /// A budget or baseline in `mcusim gate` was exceeded.
    case budgetExceeded = 66
    /// The firmware faulted (unmapped access, undefined instruction, store to flash, ...).
    case fault = 67
    /// `--max-instructions` or `--max-seconds` reached.
    case limit = 68
    /// The firmware idled in a branch-to-self, or slept in WFI (deadlock), with nothing to wake it.
    case idle = 69
    /// The firmware hit a BKPT that is not a semihosting call.
    case breakpoint = 70
    /// mcusim itself failed (EX_SOFTWARE-like); a bug to report.
    case internalError = 71
    /// The firmware requested a system reset (AIRCR.SYSRESETREQ); mcusim stops there.
    case reset = 72
    /// `mcusim check`: generated firmware's output differs from the host reference.
    case checkMismatch = 73

    /// Maps a firmware exit code into the pass-through range.
    public static func firmware(_ code: Int) -> Int32 {
        (0...63).contains(code) ? Int32(code) : ExitStatus.firmwareCodeOutOfRange.rawValue
    }
}
