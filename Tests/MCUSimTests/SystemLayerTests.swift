import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// The Cortex-M system layer (exceptions, NVIC, SysTick, sleep, faults, system MMIO) with
/// real firmware built by arm-none-eabi-gcc and newlib. Every expectation is derived from
/// the ARMv7-M architecture, a hand count of the code, or the SysTick reload value; the
/// firmware prints what it observed and the tests compare it with that derivation.
@Suite struct SystemLayerTests {
    static let boardName = "max32660"
    /// A generous cap: every fixture here ends in well under 100 000 instructions, so a
    /// model that never delivers an interrupt ends with a `limit` stop instead of hanging.
    static let cap = RunOptions(maxInstructions: 2_000_000)

    static func build(_ name: String, _ file: String, scenario: Int? = nil) throws -> (Board, String) {
        let board = try FixtureBuilder.board(boardName)
        let flags = scenario.map { ["-DSCENARIO=\($0)"] } ?? []
        let elf = try FixtureBuilder.build(name: name, sources: [FixtureBuilder.fixture("MCUSimTests", file)],
                                           board: board, flags: flags)
        return (board, elf)
    }

    /// The number printed after `key ` (or `key=`) in the firmware's output: decimal, or hex with 0x.
    static func number(_ text: String, _ key: String) -> UInt64? {
        for separator in [" ", "="] {
            guard let range = text.range(of: key + separator) else { continue }
            let token = text[range.upperBound...].prefix { !$0.isWhitespace }
            if token.hasPrefix("0x") { return UInt64(token.dropFirst(2), radix: 16) }
            return UInt64(token)
        }
        return nil
    }

    static func json(_ value: JSONValue?) -> Double? {
        switch value {
        case let .uint(v)?: return Double(v)
        case let .int(v)?: return Double(v)
        case let .double(v)?: return v
        default: return nil
        }
    }

    // MARK: 1. SysTick

    @Test("SysTick at RVR 9999 interrupts a busy loop every RVR+1 cycles")
    func sysTickPeriod() throws {
        let (board, elf) = try Self.build("sys-systick", "sys_systick.c")
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        try #require(r.stop.reason == .exit, "\(r.stop.reason): \(r.stop.message)")
        let out = r.stdoutText
        #expect(Self.number(out, "ticks") == 10)
        #expect(r.exceptionsByNumber[15] == 10)
        let period: Int64 = 9999 + 1
        let stamps = (1...10).map { k in Self.number(out, "stamp \(k)").map(Int64.init) ?? -1 }
        try #require(stamps.allSatisfy { $0 >= 0 }, "\(out)")
        // The counter reaches zero every RVR+1 = 10000 cycles exactly; the exception is then
        // taken at the next instruction boundary, so each entry is late by d in [0, L-1],
        // where L is the longest instruction of the interrupted loop. The loop is
        // ldr/adds/str/ldr/cmp/bls from the cache: its longest instruction is the taken
        // branch, 1+P cycles with P <= 3 (Cortex-M4 TRM 3.3.1), so L <= 4. The handler's path
        // to its CYCCNT read has no branch and main warmed its cache lines, so that path
        // costs the same on every tick: stamp[k] - stamp[j] = (k-j)*(RVR+1) + (d_k - d_j),
        // with |d_k - d_j| <= L - 1 = 3.
        let jitter: Int64 = 3
        let span = stamps[9] - stamps[0]
        #expect(abs(span - 9 * period) <= jitter, "stamp[10] - stamp[1] = \(span), expected 90000 +/- 3")
        for k in 1..<10 {
            let gap = stamps[k] - stamps[k - 1]
            #expect(abs(gap - period) <= jitter, "tick \(k) to \(k + 1): \(gap) cycles")
        }
        // From enabling (CVR cleared, so the first period is RVR+1 too) to the 10th tick's
        // stamp: 10 periods plus entry (12) and a few instructions, far less than a period.
        let enabled = try #require(Self.number(out, "enable").map(Int64.init))
        #expect((stamps[9] - enabled) / period == 10, "\(stamps[9] - enabled) cycles from enable to tick 10")
        #expect(out.contains("spin yes"))
    }

    // MARK: 2. SVC

    @Test("SVC: the handler decodes the immediate at the stacked PC - 2 and returns through r0")
    func svcImmediate() throws {
        let (board, elf) = try Self.build("sys-svc", "sys_svc.c")
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        try #require(r.stop.reason == .exit, "\(r.stop.reason): \(r.stop.message)")
        let out = r.stdoutText
        // svc #42 with r0 = 5, r1 = 7: 42 * 1000 + 5 + 7.
        #expect(Self.number(out, "svc42") == 42_012, "\(out)")
        // SVCall is exception 11 (ARMv7-M B1.5.2).
        #expect(Self.number(out, "ipsr") == 11)
        // EXC_RETURN from thread mode on MSP ends in 0x9 (0xFFFFFFF9, or 0xFFFFFFE9 with an
        // FP frame); from thread mode on PSP it ends in 0xD (ARMv7-M B1.5.8).
        let lines = out.split(separator: "\n").map(String.init)
        try #require(lines.count >= 2, "\(out)")
        let fromMSP = try #require(Self.number(lines[0], "exc_return"))
        #expect(fromMSP & 0xF == 0x9 && fromMSP | 0x10 == 0xFFFF_FFF9, "\(String(fromMSP, radix: 16))")
        // svc #200 on the process stack with r0 = 1, r1 = 2: 200 * 1000 + 1 + 2.
        #expect(Self.number(out, "svc200") == 200_003)
        let fromPSP = try #require(Self.number(lines[1], "exc_return"))
        #expect(fromPSP & 0xF == 0xD && fromPSP | 0x10 == 0xFFFF_FFFD, "\(String(fromPSP, radix: 16))")
        #expect(Self.number(out, "frame_on_psp") == 1)
        #expect(r.exceptionsByNumber[11] == 2)
    }

    @Test("SVC with PRIMASK set cannot preempt and escalates to HardFault (HFSR.FORCED)")
    func svcEscalates() throws {
        let (board, elf) = try Self.build("sys-svc2", "sys_svc.c", scenario: 2)
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        // PRIMASK raises the execution priority to 0; SVCall's priority is 0 too, so the
        // synchronous SVCall cannot be taken and becomes a HardFault with HFSR.FORCED
        // (ARMv7-M B1.5.4, priority escalation). The SVC handler never runs.
        #expect(r.stop.reason == .exit, "\(r.stop.reason): \(r.stop.message)")
        #expect(r.stop.exitCode == 3)
        #expect(r.stdoutText == "hardfault ipsr 3 HFSR=0x40000000 svc_ipsr 0\n", "\(r.stdoutText)")
        #expect((r.exceptionsByNumber[11] ?? 0) == 0)
        #expect(r.exceptionsByNumber[3] == 1)
    }

    // MARK: 3. PendSV

    @Test("PendSV pended from thread mode runs before the next instruction")
    func pendSVImmediate() throws {
        let (board, elf) = try Self.build("sys-pendsv", "sys_pendsv.c")
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        try #require(r.stop.reason == .exit, "\(r.stop.reason): \(r.stop.message)")
        let out = r.stdoutText
        // Order counter: main 1, handler 2, the load right after the ICSR store sees 2, main 3.
        #expect(out.contains("before 1 pendsv 2 observed 2 after 3 runs 1\n"), "\(out)")
        // In the handler IPSR = VECTACTIVE = 14 and PENDSVSET is already clear (entry
        // clears the pending state); it stays clear afterwards.
        #expect(out.contains("ipsr 14 vectactive 14 pendsvset_in 0 pendsvset_after 0\n"), "\(out)")
        // The stacked return address is the instruction after the store (after_pend).
        #expect(out.contains("stacked_pc_ok 1\n"))
        #expect(r.exceptionsByNumber[14] == 1)
    }

    // MARK: 4. Context switch

    @Test("two tasks switched round-robin through PendSV on PSP interleave exactly")
    func roundRobin() throws {
        let (board, elf) = try Self.build("sys-rtos", "sys_rtos.c")
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        try #require(r.stop.reason == .exit, "\(r.stop.reason): \(r.stop.message)")
        #expect(r.stop.exitCode == 0)
        // A runs 4 rounds, each appending then yielding to B; A prints after its 4th turn.
        #expect(r.stdoutText.contains("trace ABABABAB\n"), "\(r.stdoutText)")
        // r4-r11 survive every switch; each task always runs on its own PSP stack.
        #expect(r.stdoutText.contains("register_errors 0 stack_errors 0\n"))
        // 4 yields by A and 4 by B.
        #expect(r.exceptionsByNumber[14] == 8)
    }

    // MARK: 5. NVIC priorities and masks

    @Test("NVIC: preemption by priority, tail-chain order, PRIMASK and BASEPRI masking")
    func nvicPriorities() throws {
        let (board, elf) = try Self.build("sys-nvic", "sys_nvic.c")
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        try #require(r.stop.reason == .exit, "\(r.stop.reason): \(r.stop.message)")
        let out = r.stdoutText
        // L: IRQ0 (0xC0) starts; pending IRQ1 (0x40) preempts at once: H inside it, then l.
        // IRQ3 (0xE0, lower) and IRQ2 (0xC0, same group) wait until IRQ0 ends (e); then the
        // more urgent IRQ2 before IRQ3 (tail-chained), then thread mode (M).
        // 4 and 5 (both 0x80) pended by one write: the lower number first, then N.
        // PRIMASK: IRQ6 stays pending through 'a', runs at CPSIE before 'b'.
        // BASEPRI 0x80: IRQ7 (0xA0) held, IRQ8 (0x40) runs at once, then 'c'; BASEPRI 0
        // releases IRQ7 before 'd'.
        #expect(out.contains("trace LHle23M45Na6b8c7d\n"), "\(out)")
        // Inside IRQ1 both IRQ0 and IRQ1 are active; IPSR = 16 + 1.
        #expect(out.contains("iabr_in_high 0x3 ipsr_in_high 17\n"), "\(out)")
        // While masked: ICSR.VECTPENDING = 16 + 6, ISRPENDING set, ISPR bit 6 set.
        #expect(out.contains("masked vectpending 22 isrpending 1 ispr6 1\n"), "\(out)")
        for irq in 0...8 { #expect(r.exceptionsByNumber[16 + irq] == 1, "IRQ\(irq)") }
        #expect(r.exceptionsTaken == 9)
    }

    // MARK: 6-7. Bus fault

    struct FaultCase: CustomTestStringConvertible, Sendable {
        let scenario: Int
        let handler: String
        let ipsr: UInt64
        let hfsr: UInt64
        var testDescription: String { handler }
    }

    @Test("a precise bus fault decoded by the firmware's own handler through CFSR, HFSR and BFAR",
          arguments: [
              // BusFault disabled in SHCSR: escalated to HardFault, HFSR.FORCED (bit 30).
              FaultCase(scenario: 1, handler: "HardFault_Handler", ipsr: 3, hfsr: 0x4000_0000),
              // SHCSR.BUSFAULTENA (bit 17): BusFault (5) runs itself, HFSR stays clear.
              FaultCase(scenario: 2, handler: "BusFault_Handler", ipsr: 5, hfsr: 0),
          ])
    func busFaultHandled(_ c: FaultCase) throws {
        let (board, elf) = try Self.build("sys-fault\(c.scenario)", "sys_fault.c", scenario: c.scenario)
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        try #require(r.stop.reason == .exit, "\(r.stop.reason): \(r.stop.message)")
        #expect(r.stop.exitCode == 7)
        let out = r.stdoutText
        #expect(out.hasPrefix("reading\n"))
        #expect(!out.contains("survived"))
        let cfsr = try #require(Self.number(out, "CFSR"), "\(out)")
        #expect(cfsr & (1 << 9) != 0, "PRECISERR")
        #expect(cfsr & (1 << 15) != 0, "BFARVALID")
        // Nothing else faulted: BFSR = PRECISERR | BFARVALID and the rest of CFSR is clear.
        #expect(cfsr == 0x8200)
        #expect(Self.number(out, "HFSR") == c.hfsr)
        #expect(Self.number(out, "BFAR") == 0x6000_0000)
        #expect(Self.number(out, "IPSR") == c.ipsr)
        // Precise: the stacked PC is the faulting load itself.
        #expect(Self.number(out, "stacked_pc_ok") == 1)
        #expect(r.exceptionsByNumber[Int(c.ipsr)] == 1)
    }

    @Test("the same bus fault with only the default handler stops with the decoded fault")
    func busFaultUnhandled() throws {
        let (board, elf) = try Self.build("sys-fault3", "sys_fault.c", scenario: 3)
        let image = try ELFLoader.load(path: elf)
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        #expect(r.stop.reason == .fault)
        #expect(r.stop.message.contains("precise data bus error reading 0x60000000"), "\(r.stop.message)")
        #expect(r.stop.message.contains("fault_read"), "\(r.stop.message)")
        let function = try #require(image.symbols.named("fault_read"))
        #expect(r.stop.pc >= function.address && r.stop.pc < function.address + function.size)
        #expect(r.stop.symbol?.hasPrefix("fault_read") == true)
        #expect(r.stdoutText == "reading\n")
    }

    // MARK: 8. WFI sleep

    @Test("WFI sleeps between 1 ms SysTick interrupts; report and energy account for it")
    func wfiSleep() throws {
        let (board, elf) = try Self.build("sys-wfi1", "sys_wfi.c", scenario: 1)
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        try #require(r.stop.reason == .exit, "\(r.stop.reason): \(r.stop.message)")
        #expect(r.stdoutText == "woke 5 times\n")
        #expect(r.exceptionsByNumber[15] == 5)
        let period: UInt64 = 95_999 + 1
        // From enabling SysTick to the 5th tick is 5 periods. The core is awake in that
        // window only for the wait loop and the handler. Hand count per period (M4 TRM):
        // entry 12 + handler (ldr 2, ldr 2, adds 1, str 2, bx lr 1+P <= 4: 11) + return 10 +
        // loop after waking (ldr 2, cmp 1, bls 1+P <= 4, wfi 1: 8) = 41 <= 45; plus the
        // first cache-line fills of the handler, its literal and the loop, 4 lines of 4
        // flash wait states = 16.
        #expect(r.sleepCycles <= 5 * period)
        #expect(r.sleepCycles >= 5 * period - (5 * 45 + 16), "sleep \(r.sleepCycles)")
        let report = RunReport.json(r, includeHost: false)
        let cycles = try #require(Self.json(report["cycles"]))
        let active = try #require(Self.json(report["active_cycles"]))
        let sleep = try #require(Self.json(report["sleep_cycles"]))
        #expect(active + sleep == cycles)
        #expect(sleep == Double(r.sleepCycles))
        #expect(cycles == Double(r.timing.cycles))
        // MAX32660: 2 uA asleep, 85 uA/MHz active at 96 MHz, 1.1 V; uA x V x s = uJ.
        let estimate = try #require(report["energy"]?["chip_estimate"])
        let sleepUJ = try #require(Self.json(estimate["sleep_uj"]))
        let activeUJ = try #require(Self.json(estimate["active_uj"]))
        let sleepSeconds = sleep / 96e6
        let activeSeconds = active / 96e6
        // The report rounds to 1e-9 uJ.
        #expect(abs(sleepUJ - 2 * 1.1 * sleepSeconds) <= 1e-9, "\(sleepUJ)")
        #expect(abs(activeUJ - 85 * 96 * 1.1 * activeSeconds) <= 1e-9, "\(activeUJ)")
        #expect(sleepUJ > 0.0109 && sleepUJ <= 0.011)  // ~5 ms asleep: 2 uA x 1.1 V x 5 ms = 0.011 uJ
    }

    @Test("WFI with no interrupt enabled is a deadlock")
    func wfiDeadlock() throws {
        let (board, elf) = try Self.build("sys-wfi2", "sys_wfi.c", scenario: 2)
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        #expect(r.stop.reason == .deadlock)
        #expect(r.stop.message.contains("WFI"), "\(r.stop.message)")
        #expect(r.stop.symbol?.hasPrefix("main") == true)
        #expect(r.sleepCycles == 0)
    }

    // MARK: 9. UART printf without semihosting stdio

    @Test("printf retargeted to UART0 through _write, linked with nosys instead of rdimon")
    func uartPrintf() throws {
        let board = try FixtureBuilder.board(Self.boardName)
        let runtime = "\(FixtureBuilder.repositoryRoot)/firmware/runtime"
        let elf = try FixtureBuilder.build(
            name: "sys-uart-printf",
            sources: ["\(runtime)/startup.c", FixtureBuilder.fixture("MCUSimTests", "sys_uart_printf.c")],
            board: board, runtime: false, linkerScript: "\(runtime)/max32660.ld",
            flags: ["-L", runtime, "--specs=nosys.specs"])
        let image = try ELFLoader.load(path: elf)
        #expect(image.symbols.named("initialise_monitor_handles") == nil, "rdimon must not be linked")
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        #expect(r.stop.reason == .exit, "\(r.stop.message)")
        #expect(r.stop.exitCode == 9)
        #expect(r.stdoutText == "uart printf 42 ok 0xbeef\nsecond line\n")
        #expect(r.stderrText.isEmpty)
        #expect(r.unknownMMIO.isEmpty, "UART0 STAT and FIFO are modelled")
    }

    // MARK: 10. Unknown MMIO

    @Test("unmodelled MMIO reads and writes are listed by address; strictMMIO stops at the first")
    func unknownMMIO() throws {
        let (board, elf) = try Self.build("sys-mmio1", "sys_mmio.c", scenario: 1)
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        #expect(r.stop.reason == .exit, "\(r.stop.message)")
        #expect(r.stop.exitCode == 0)
        #expect(r.stdoutText == "read 0\n")  // unmodelled reads return 0
        #expect(r.unknownMMIO.count == 2)
        if r.unknownMMIO.count == 2 {
            let (read, write) = (r.unknownMMIO[0], r.unknownMMIO[1])
            #expect(read.address == 0x4000_1234 && read.reads == 2 && read.writes == 0 && read.region == "apb")
            #expect(write.address == 0x4000_5678 && write.reads == 0 && write.writes == 3 && write.region == "apb")
        }
        #expect(r.unmodeledMMIOAccesses == 5)
        let unknown = RunReport.json(r, includeHost: false)["mmio"]?["unknown"]?.serialized(pretty: false) ?? ""
        #expect(unknown.contains("\"address\":\"0x40001234\""), "\(unknown)")
        #expect(unknown.contains("\"address\":\"0x40005678\""), "\(unknown)")

        var strict = Self.cap
        strict.strictMMIO = true
        let s = try FixtureBuilder.run(elf, board: board, options: strict)
        #expect(s.stop.reason == .fault)
        #expect(s.stop.message.contains("0x40001234"), "\(s.stop.message)")
        #expect(!s.stop.message.contains("0x40005678"))
        #expect(s.stop.symbol?.hasPrefix("poke_unknown") == true)
        #expect(s.stdoutText.isEmpty)
    }

    // MARK: 11. Board validation

    static let boardText = """
        name: bad
        core: cortex-m4
        clock_hz: 48_000_000
        boot_address: 0x0
        memory:
          - name: flash
            kind: flash
            base: 0x00000000
            size: 64KiB
          - name: sram
            kind: sram
            base: 0x20000000
            size: 16KiB
          - name: apb
            kind: mmio
            base: 0x40000000
            size: 0x100000
          - name: extra
            kind: mmio
            base: EXTRA_BASE
            size: 0x20000

        """

    @Test("an mmio region overlapping the private peripheral bus is rejected, naming the key")
    func boardOverlappingSystemSpace() throws {
        let path = "/tmp/bad-ppb.yaml"
        let bad = Self.boardText.replacingOccurrences(of: "EXTRA_BASE", with: "0xDFFF0000")
        do {
            _ = try BoardLoader.parse(text: bad, path: path)
            Issue.record("a board with mmio over 0xE0000000 was accepted")
        } catch let error as SimulatorError {
            guard case let .badBoard(errorPath, key, problem) = error else {
                Issue.record("expected .badBoard, got \(error)")
                return
            }
            #expect(errorPath == path)
            #expect(key == "memory[3].base")
            #expect(problem.contains("private peripheral bus"), "\(problem)")
            #expect(error.description.contains("memory[3].base"))
        }
        // Vendor system space above the PPB (0xE0100000 up) is a legitimate mmio region.
        let vendor = Self.boardText.replacingOccurrences(of: "EXTRA_BASE", with: "0xE0100000")
        let board = try BoardLoader.parse(text: vendor, path: path)
        #expect(board.regions.count == 4)
    }

    // MARK: 12. System reset

    @Test("AIRCR.SYSRESETREQ with the VECTKEY stops with reason reset; without the key it is ignored")
    func systemReset() throws {
        let (board, elf) = try Self.build("sys-mmio2", "sys_mmio.c", scenario: 2)
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        #expect(r.stop.reason == .reset, "\(r.stop.reason): \(r.stop.message)")
        #expect(r.stdoutText == "ignored\n")
        #expect(r.stop.message.contains("SYSRESETREQ"))
        #expect(r.stop.symbol?.hasPrefix("request_reset") == true)
        #expect(r.stop.exitCode == nil)
    }
    // MARK: 13. Entry, return and tail-chain cycles

    @Test("exception entry, return and tail-chain cost 12, 10 and 6 cycles on the M4")
    func exceptionCycles() throws {
        let (board, elf) = try Self.build("sys-latency", "sys_latency.c")
        let r = try FixtureBuilder.run(elf, board: board, options: Self.cap)
        try #require(r.stop.reason == .exit, "\(r.stop.reason): \(r.stop.message)")
        let out = r.stdoutText
        let d0 = try #require(Self.number(out, "d0").map(Int64.init), "\(out)")
        let d1 = try #require(Self.number(out, "d1").map(Int64.init))
        let d2 = try #require(Self.number(out, "d2").map(Int64.init))
        // The same LDR / CPSIE / LDR with nothing pending (d0), PendSV pending (d1), PendSV
        // and IRQ0 pending (d2); each handler is one BX LR costing b = 1+P, P in 1...3 (M4 TRM).
        // d1 - d0 = entry + b + return = 12 + b + 10; d2 - d1 = tail-chain + b = 6 + b.
        // So (d1 - d0) - (d2 - d1) = 12 + 10 - 6 = 16 whatever b is.
        #expect((d1 - d0) - (d2 - d1) == 16, "d0 \(d0) d1 \(d1) d2 \(d2)")
        #expect((24...26).contains(d1 - d0), "entry + BX LR + return = \(d1 - d0)")
        #expect((8...10).contains(d2 - d1), "tail-chain + BX LR = \(d2 - d1)")
        // Each measurement runs twice: PendSV 4 times, IRQ0 twice.
        #expect(r.exceptionsByNumber[14] == 4)
        #expect(r.exceptionsByNumber[16] == 2)
    }

    // MARK: 14. FP-extended frame

    @Test("with an active FP context the frame holds s0-s15 and FPSCR and return restores them",
          arguments: [true, false])
    func fpExtendedFrame(cycleModel: Bool) throws {
        let (board, elf) = try Self.build("sys-fpframe", "sys_fpframe.c")
        var options = Self.cap
        options.cycleModel = cycleModel  // --timing off has its own hook, which also fixes MRS CONTROL
        let r = try FixtureBuilder.run(elf, board: board, options: options)
        try #require(r.stop.reason == .exit, "\(r.stop.reason): \(r.stop.message)")
        let out = r.stdoutText
        // The handler zeroed s0, s15 and FPSCR; the frame brings back pi, pi's bits + 1 and
        // RMode = round towards zero (0x00C00000).
        #expect(Self.number(out, "s0") == 0x4049_0FDB, "\(out)")
        #expect(Self.number(out, "s15") == 0x4049_0FDC)
        #expect(Self.number(out, "fpscr") == 0x00C0_0000)
        // EXC_RETURN 0xFFFFFFE9: thread mode, MSP, FP frame (bit 4 clear). From an 8-byte
        // aligned SP the extended frame is 26 words = 104 bytes (ARMv7-M B1.5.7).
        #expect(Self.number(out, "exc_return") == 0xFFFF_FFE9)
        #expect(Self.number(out, "frame_bytes") == 104)
        // In the handler CONTROL is 0: FPCA cleared by entry, SPSEL 0, privileged; bit 3 is
        // reserved (RAZ) on ARMv7-M. Unicorn 2.0.1 sets bit 3 (ARMv8-M SFPA) on the first FP
        // instruction; mcusim clears it in the MRS result (docs/system.md).
        #expect(Self.number(out, "control_in_handler") == 0, "\(out)")
    }
}
