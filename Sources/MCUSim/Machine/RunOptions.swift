/// Where the firmware's console output goes while it runs. It is always captured for the
/// report as well.
public enum ConsoleRouting: Sendable {
    /// Firmware stdout to our stdout, firmware stderr to our stderr.
    case passthrough
    /// Everything to our stderr (used when stdout carries JSON).
    case allToStderr
    /// Captured only.
    case silent
}

public struct RunOptions: Sendable {
    /// Stop after this many instructions (a `limit` stop).
    public var maxInstructions: UInt64
    /// Stop after this much host wall-clock time (a `limit` stop); nil for no limit.
    public var maxSeconds: Double?
    /// Host files are reachable through semihosting only under this directory.
    public var semihostingRoot: String?
    /// Bytes the firmware reads from its stdin (":tt" opened for reading); empty gives EOF.
    public var stdinBytes: [UInt8]
    public var console: ConsoleRouting
    /// Command line the firmware sees through SYS_GET_CMDLINE.
    public var commandLine: String
    /// With the cycle model off, every instruction counts one cycle (for speed comparisons).
    public var cycleModel: Bool = true
    /// Stop at the first access to an MMIO address no peripheral model answers.
    public var strictMMIO: Bool = false
    /// The per-operation energy table; nil reports no per-operation energy.
    public var costTable: CostTable?
    /// Per-function profile: call stacks and per-instruction memory counters. Off leaves the
    /// cycle model and the region counters only (functions then have self figures only).
    public var profiling: Bool = true
    /// Without instrumentation no code or memory hook is installed: Unicorn runs bare (only
    /// semihosting and faults are serviced). Instruction and cycle counts are then zero; the
    /// benchmark harness uses this to measure the emulator alone.
    public var instrumented: Bool = true
    /// Charge the cycle model per translation block from precomputed summaries instead of
    /// with a hook on every instruction (docs/performance.md). Off by default: it is not yet
    /// exact when an MMIO write pends an exception in the middle of a block.
    public var blockCharging: Bool = false
    /// Benchmark floor: instead of the accounting hooks, a per-instruction hook (a per-block
    /// one with `blockCharging`) and a data-access hook that do nothing but count. The run
    /// then pays only Unicorn's cost of calling hooks, including the slow path every load and
    /// store takes once a memory hook exists: the ceiling of any hook-based accounting.
    /// Cycles are not modelled; `instructions` counts hooked instructions (with
    /// `blockCharging`: translation blocks entered).
    public var emptyHooks: Bool = false

    public static let defaultMaxInstructions: UInt64 = 10_000_000_000

    /// For the inference firmware mcusim generates itself (`check`, `sweep`, accuracy runs,
    /// encoding measurement): block charging on. That firmware never pends an exception from a
    /// store, the one case where block charging differs from the per-instruction hook, so the
    /// figures are the same and the runs about a fifth faster (docs/performance.md).
    public static var generatedFirmware: RunOptions {
        var options = RunOptions()
        options.blockCharging = true
        return options
    }

    public init(maxInstructions: UInt64 = RunOptions.defaultMaxInstructions, maxSeconds: Double? = nil,
                semihostingRoot: String? = nil, stdinBytes: [UInt8] = [], console: ConsoleRouting = .silent,
                commandLine: String = "firmware") {
        self.maxInstructions = maxInstructions
        self.maxSeconds = maxSeconds
        self.semihostingRoot = semihostingRoot
        self.stdinBytes = stdinBytes
        self.console = console
        self.commandLine = commandLine
    }
}
