/// A window of host memory that backs an executable guest region, so the hot hooks can
/// read instruction bytes with a pointer dereference instead of a Unicorn call.
struct CodeWindow {
    var base: UInt32
    var size: UInt32
    var host: UnsafeMutablePointer<UInt8>
}

/// Why the hot path asked Unicorn to stop. Stored as a plain integer so the hook does no
/// work beyond a store; the machine turns it into a `StopInfo` after `uc_emu_start` returns.
enum HotStop: UInt8 {
    case none = 0
    case instructionLimit
    case idleLoop
    case fpuDisabled
}

/// Everything the per-instruction hook touches, in one struct behind a raw pointer:
/// no ARC, no allocation, no dictionary on the hot path.
struct HotState {
    var instructions: UInt64 = 0
    var instructionLimit: UInt64 = .max
    var stop: HotStop = .none
    var stopPC: UInt32 = 0
    /// Mirrors CPACR CP10/CP11; while clear, FP instructions stop the run as on the chip.
    var fpuEnabled: Bool = false
    var windowCount: Int = 0
    var windows: UnsafeMutablePointer<CodeWindow>? = nil

    /// Host pointer to the instruction bytes at `address`, or nil outside code windows.
    @inline(__always)
    func hostPointer(_ address: UInt32) -> UnsafeMutablePointer<UInt8>? {
        guard let windows else { return nil }
        var i = 0
        while i < windowCount {
            let w = windows[i]
            let offset = address &- w.base
            if offset < w.size &- 3 { return w.host + Int(offset) }
            i += 1
        }
        return nil
    }
}
