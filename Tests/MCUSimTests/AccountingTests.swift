import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

// Memory, energy and per-function accounting, checked against figures derived by hand from
// the fixture's disassembly and the default cost table (boards/costs/horowitz-45nm.yaml),
// never against "non-zero".
//
// Fixture: Tests/MCUSimTests/Fixtures/acct_traffic.c, built -O2 for stm32f746-disco
// (Cortex-M7, hard float). arm-none-eabi-gcc (the project's toolchain) compiles the loops to:
//
//   sram_loop / dram_loop (identical code, leaf, no stack use):
//       cmp r1,#0 ; ble.n end ; add.w r1,r0,r1,lsl #2           3 instructions once
//     loop:
//       ldr r3,[r0,#0]          one 32-bit data read
//       adds r3,#1
//       str.w r3,[r0],#4        one 32-bit data write (post-indexed)
//       cmp r0,r1
//       bne.n loop              5 instructions per word, 1 read + 1 write
//     end:
//       bx lr                   1 instruction once
//     => 5K + 4 instructions, exactly K reads and K writes, all to the array.
//
//   mul_loop (leaf, no stack use):
//       cmp r1,#0 ; mov r3,r0 ; ble.n ; add.w r1,r0,r1,lsl #1 ; movs r0,#1   5 once
//     loop:
//       mul.w r0,r3,r0          the only MUL (InstructionClass.multiply -> int_mul)
//       adds r3,#2 ; cmp r1,r3 ; bne.n loop                    4 per iteration
//       bx lr                                                 1 once
//     => 4N + 6 instructions, N MULs, no memory access.
//
//   main: push {r4,lr} (8 bytes), literal-pool loads from flash, one `str` to `sink` per
//   result. stack_fill: sub.w sp,sp,#1000, strb.w r2,[sp,r3] for each byte (SP-based), then a
//   literal-pool load (flash) of the reciprocal for n % 1000 and one ldrb.w from the frame.
//
// Nothing but dram_loop touches the .dram array (NOLOAD: startup neither copies nor zeroes it).

private let sdramWaitStates: UInt64 = 10  // boards/stm32f746-disco.yaml, memory.sdram.wait_states

// Cost table figures, written down from the YAML file (pJ), not read back.
private let sramPJ = 5.0
private let dramPJ = 640.0
private let mulPJ = 3.1

private let fixture = FixtureBuilder.fixture("MCUSimTests", "acct_traffic.c")

private func costTable() throws -> CostTable {
    let library = BoardLibrary.locate() ?? BoardLibrary(directory: FixtureBuilder.repositoryRoot + "/boards")
    return try CostTable.defaultTable(library: library)
}

/// Builds acct_traffic.c for stm32f746-disco with `flags` and runs it with the default cost table.
private func runFixture(_ name: String, flags: [String]) throws -> RunResult {
    let board = try FixtureBuilder.board("stm32f746-disco")
    let elf = try FixtureBuilder.build(name: name, sources: [fixture], board: board, flags: flags)
    var options = RunOptions(maxInstructions: 5_000_000)
    options.costTable = try costTable()
    return try FixtureBuilder.run(elf, board: board, options: options)
}

private func function(_ r: RunResult, _ name: String) -> FunctionProfile? {
    r.functions.first { $0.name == name }
}

private func category(_ e: EnergyReport, _ name: String) -> Double? {
    e.byCategory.first { $0.name == name }?.pj
}

private func memoryPJ(_ e: EnergyReport, _ kind: MemoryKind) -> Double? {
    e.memoryPJ.first { $0.kind == kind }?.pj
}

private func region(_ r: RunResult, kind: MemoryKind) -> MemoryReport.Region? {
    r.memory.regions.first { $0.region.kind == kind }
}

private func close(_ a: Double, _ b: Double, relative: Double = 1e-9) -> Bool {
    abs(a - b) <= relative * max(abs(a), abs(b), 1)
}

/// JSON numbers from JSONSerialization.
private func number(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }

@Suite struct AccountingTests {
    static let k = 100
    static let n = 50
    /// The full fixture: SRAM and DRAM loops, N multiplies, the 1000-byte stack frame.
    static let fullFlags = ["-DK=\(k)", "-DN=\(n)", "-DWITH_DRAM", "-DSTACK_FILL"]

    // MARK: 1. Exact traffic

    @Test("a region's energy_pj replaces the table's figure for that region only")
    func regionEnergyOverride() throws {
        let k = UInt64(Self.k)
        var board = try FixtureBuilder.board("stm32f746-disco")
        // Board overrides: the SDRAM at 20 pJ, the SRAM at 2.5 pJ per access (table: 640 and 5).
        for i in board.regions.indices where board.regions[i].name == "sdram" { board.regions[i].accessEnergyPJ = 20 }
        for i in board.regions.indices where board.regions[i].name == "sram" { board.regions[i].accessEnergyPJ = 2.5 }
        let elf = try FixtureBuilder.build(name: "acct-region-energy", sources: [fixture], board: board, flags: Self.fullFlags)
        var options = RunOptions(maxInstructions: 5_000_000)
        options.costTable = try costTable()
        let r = try FixtureBuilder.run(elf, board: board, options: options)
        let energy = try #require(r.energy)
        #expect(memoryPJ(energy, .dram) == Double(2 * k) * 20)
        #expect(energy.regionPJ.first { $0.name == "sdram" }?.pj == Double(2 * k) * 20)
        let sram = try #require(region(r, kind: .sram))
        let sramUnits = sram.traffic.reads + sram.traffic.writes  // all of 32 bits or less here
        #expect(sram.traffic.readsByWidth[3] == 0 && sram.traffic.writesByWidth[3] == 0)
        #expect(close(try #require(memoryPJ(energy, .sram)), Double(sramUnits) * 2.5))
        #expect(close(try #require(function(r, "dram_loop")).memoryEnergyPJ, Double(2 * k) * 20))
        #expect(close(try #require(function(r, "sram_loop")).memoryEnergyPJ, Double(2 * k) * 2.5))
    }

    @Test("DRAM region, per-function memory, DRAM and int_mul energy match the hand counts")
    func exactTraffic() throws {
        let k = UInt64(Self.k), n = UInt64(Self.n)
        let r = try runFixture("acct-full", flags: Self.fullFlags)
        #expect(r.stop.reason == .exit, "\(r.stop.message)")
        #expect(r.stop.exitCode == 0)
        let energy = try #require(r.energy)

        // DRAM: only dram_loop's K reads and K writes, all 32-bit, each with the SDRAM wait states.
        let dram = try #require(region(r, kind: .dram))
        #expect(dram.region.name == "sdram")
        #expect(dram.traffic.reads == k)
        #expect(dram.traffic.writes == k)
        #expect(dram.traffic.readBytes == 4 * k)
        #expect(dram.traffic.writeBytes == 4 * k)
        #expect(dram.traffic.readsByWidth == [0, 0, k, 0])
        #expect(dram.traffic.writesByWidth == [0, 0, k, 0])
        #expect(dram.traffic.fetches == 0)
        #expect(dram.traffic.stallCycles == 2 * k * sdramWaitStates)
        #expect(r.memory.traffic(of: .dram).reads == k)
        #expect(r.memory.traffic(of: .dram).writes == k)

        // DRAM energy: 2K accesses of up to 32 bits at 640 pJ.
        #expect(memoryPJ(energy, .dram) == Double(2 * k) * dramPJ)
        #expect(category(energy, "memory_dram") == Double(2 * k) * dramPJ)
        // Per region: the one DRAM region carries it all, and each kind's regions add up to it.
        #expect(energy.regionPJ.first { $0.name == "sdram" }?.pj == Double(2 * k) * dramPJ)
        for (kind, pj) in energy.memoryPJ {
            let names = Set(r.memory.regions.filter { $0.region.kind == kind }.map(\.region.name))
            #expect(close(energy.regionPJ.filter { names.contains($0.name) }.reduce(0) { $0 + $1.pj }, pj), "\(kind)")
        }

        // Per function: the loops are leaves without pushes, so exactly their 2K accesses.
        let dramLoop = try #require(function(r, "dram_loop"))
        #expect(dramLoop.calls == 1)
        #expect(dramLoop.instructions == 5 * k + 4)
        #expect(dramLoop.memoryAccesses == 2 * k)
        #expect(close(dramLoop.memoryEnergyPJ, Double(2 * k) * dramPJ))
        let sramLoop = try #require(function(r, "sram_loop"))
        #expect(sramLoop.calls == 1)
        #expect(sramLoop.instructions == 5 * k + 4)
        #expect(sramLoop.memoryAccesses == 2 * k)
        #expect(close(sramLoop.memoryEnergyPJ, Double(2 * k) * sramPJ))
        let mulLoop = try #require(function(r, "mul_loop"))
        #expect(mulLoop.calls == 1)
        #expect(mulLoop.instructions == 4 * n + 6)
        #expect(mulLoop.memoryAccesses == 0)
        // dram_loop's own cycles include at least the 2K × 10 SDRAM wait states.
        #expect(dramLoop.selfCycles >= 2 * k * sdramWaitStates + 5 * k)

        // int_mul: one MUL per mul_loop iteration, N in all (nothing else in the program
        // executes a MUL; stack_fill's SMULL and MLS are int_mul_long and int_mac).
        #expect(close(try #require(category(energy, "int_mul")), Double(n) * 1 * mulPJ))
        let mulClass = r.timing.byClass.first { $0.name == "mul" }
        #expect(mulClass?.instructions == n)
    }

    @Test("SRAM traffic by difference: K and 2K builds differ by K reads, K writes, K × 2 × 5 pJ")
    func sramByDifference() throws {
        let k = UInt64(Self.k)
        // Same code layout (the immediate #100/#200 is the same 16-bit MOVS) and the same
        // fixed-size .bss, so only the loop iterations differ.
        let one = try runFixture("acct-k1", flags: ["-DK=\(Self.k)", "-DN=\(Self.n)", "-DWITH_DRAM"])
        let two = try runFixture("acct-k2", flags: ["-DK=\(2 * Self.k)", "-DN=\(Self.n)", "-DWITH_DRAM"])
        #expect(one.stop.exitCode == 0, "\(one.stop.message)")
        #expect(two.stop.exitCode == 0, "\(two.stop.message)")
        let s1 = one.memory.traffic(of: .sram), s2 = two.memory.traffic(of: .sram)
        #expect(s2.reads - s1.reads == k)
        #expect(s2.writes - s1.writes == k)
        #expect(s2.readBytes - s1.readBytes == 4 * k)
        #expect(s2.writeBytes - s1.writeBytes == 4 * k)
        let e1 = try #require(one.energy), e2 = try #require(two.energy)
        let sramDelta = try #require(memoryPJ(e2, .sram)) - #require(memoryPJ(e1, .sram))
        #expect(close(sramDelta, Double(k) * 2 * sramPJ), "SRAM energy difference \(sramDelta) pJ")
        let categoryDelta = try #require(category(e2, "memory_sram")) - #require(category(e1, "memory_sram"))
        #expect(close(categoryDelta, Double(k) * 2 * sramPJ))
        // And DRAM doubles, exactly.
        #expect(one.memory.traffic(of: .dram).reads == k)
        #expect(two.memory.traffic(of: .dram).reads == 2 * k)
        #expect(two.memory.traffic(of: .dram).writes == 2 * k)
        #expect(memoryPJ(e2, .dram) == Double(4 * k) * dramPJ)
        #expect(function(two, "sram_loop")?.memoryAccesses == 4 * k)
        #expect(function(two, "dram_loop")?.memoryAccesses == 4 * k)
    }

    // MARK: 2. Self figures add up

    /// Self cycles are the cycles charged to a function's own instructions (DecodedInstruction
    /// cycles + stallCycles, MachineResults.functionProfiles). Cycles not charged to any
    /// instruction are sleep (RunResult.sleepCycles) and exception entry/return (none here:
    /// exceptionsTaken == 0), so the self cycles must add up to timing.cycles - sleepCycles.
    @Test("per-function self cycles add up to the run's cycles, self energies to energy.totalPJ")
    func selfFiguresAddUp() throws {
        let r = try runFixture("acct-full", flags: Self.fullFlags)
        #expect(r.stop.reason == .exit, "\(r.stop.message)")
        #expect(r.exceptionsTaken == 0)
        #expect(r.sleepCycles == 0)
        let selfCycles = r.functions.reduce(UInt64(0)) { $0 + $1.selfCycles }
        #expect(selfCycles == r.timing.cycles - r.sleepCycles)
        let instructions = r.functions.reduce(UInt64(0)) { $0 + $1.instructions }
        #expect(instructions == r.instructions)
        let energy = try #require(r.energy)
        let selfEnergy = r.functions.reduce(0.0) { $0 + $1.selfEnergyPJ }
        #expect(close(selfEnergy, energy.totalPJ, relative: 1e-6), "self \(selfEnergy) pJ vs total \(energy.totalPJ) pJ")
        // The categories add up to the total too.
        #expect(close(energy.byCategory.reduce(0.0) { $0 + $1.pj }, energy.totalPJ, relative: 1e-12))
        // Per-function memory accesses add up to the data accesses of the memory regions
        // (all 32-bit or narrower here: no LDRD/STRD in the fixture or the startup path that runs).
        let accesses = r.functions.reduce(UInt64(0)) { $0 + $1.memoryAccesses }
        let regionAccesses = r.memory.regions.reduce(UInt64(0)) { $0 + $1.traffic.reads + $1.traffic.writes }
        let wide = r.memory.regions.reduce(UInt64(0)) { $0 + $1.traffic.readsByWidth[3] + $1.traffic.writesByWidth[3] }
        #expect(accesses == regionAccesses + wide)
    }

    // MARK: 3. Collapsed stacks

    @Test("collapsed-stack cycle weights add up to the self cycles and start at Reset_Handler")
    func collapsedStacks() throws {
        let r = try runFixture("acct-full", flags: Self.fullFlags)
        let text = CollapsedStacks.render(r.stacks, weight: .cycles)
        var total: UInt64 = 0
        var contextWeights: [String: UInt64] = [:]
        let lines = text.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let parts = line.split(separator: " ")
            try #require(parts.count == 2, "malformed line: \(line)")
            let weight = try #require(UInt64(parts[1]), "bad weight in: \(line)")
            let frames = parts[0].split(separator: ";").map(String.init)
            #expect(frames.first == "Reset_Handler", "stack does not start at the boot function: \(line)")
            total += weight
            contextWeights[frames.joined(separator: ";"), default: 0] += weight
        }
        let selfCycles = r.functions.reduce(UInt64(0)) { $0 + $1.selfCycles }
        #expect(total == selfCycles)
        #expect(total == r.timing.cycles)
        // The leaf loops run in one context each, so their context weight is their self cycles.
        for name in ["sram_loop", "dram_loop", "mul_loop", "stack_fill"] {
            let f = try #require(function(r, name))
            #expect(contextWeights["Reset_Handler;main;\(name)"] == f.selfCycles, "\(name)")
        }
    }

    // MARK: 4. Chrome trace

    @Test("the Chrome trace parses, every span has ts/dur ≥ 0, and spans nest")
    func chromeTrace() throws {
        let r = try runFixture("acct-full", flags: Self.fullFlags)
        let text = ChromeTrace.render(r.spans, clockHz: r.board.clockHz, board: r.board.name, dropped: r.droppedSpans)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let events = try #require(root["traceEvents"] as? [[String: Any]])
        struct Span { var name: String; var start: UInt64; var end: UInt64; var ts: Double; var dur: Double }
        var spans: [Span] = []
        for e in events where e["ph"] as? String == "X" {
            let ts = try #require(number(e["ts"])), dur = try #require(number(e["dur"]))
            #expect(ts >= 0 && dur >= 0, "\(e)")
            let args = try #require(e["args"] as? [String: Any])
            let start = try #require(number(args["start_cycle"])), cycles = try #require(number(args["cycles"]))
            spans.append(Span(name: e["name"] as? String ?? "?", start: UInt64(start), end: UInt64(start + cycles), ts: ts, dur: dur))
        }
        #expect(r.droppedSpans == 0)
        #expect(spans.count == r.spans.count)
        for name in ["Reset_Handler", "main", "sram_loop", "dram_loop", "mul_loop", "stack_fill"] {
            #expect(spans.filter { $0.name == name }.count == 1, "\(name)")
        }
        // Well nested, in cycles (exact) and in the microsecond fields (to rounding).
        var violations: [String] = []
        for i in spans.indices {
            for j in spans.indices where j > i {
                let a = spans[i], b = spans[j]
                let disjoint = a.end <= b.start || b.end <= a.start
                let aHoldsB = a.start <= b.start && b.end <= a.end
                let bHoldsA = b.start <= a.start && a.end <= b.end
                if !(disjoint || aHoldsB || bHoldsA), violations.count < 5 {
                    violations.append("\(a.name) [\(a.start), \(a.end)) vs \(b.name) [\(b.start), \(b.end))")
                }
            }
        }
        #expect(violations.isEmpty, "\(violations)")
        // The boot function spans the run; the loops sit inside main.
        let boot = try #require(spans.first { $0.name == "Reset_Handler" })
        #expect(boot.start == 0 && boot.end == r.timing.cycles)
        let main = try #require(spans.first { $0.name == "main" })
        for name in ["sram_loop", "dram_loop", "mul_loop"] {
            let s = try #require(spans.first { $0.name == name })
            #expect(main.start <= s.start && s.end <= main.end, "\(name)")
            // A leaf's span is its inclusive cycles, which are its self cycles.
            #expect(s.end - s.start == function(r, name)?.selfCycles, "\(name)")
        }
        let perMicrosecond = Double(r.board.clockHz) / 1e6
        #expect(close(main.ts, Double(main.start) / perMicrosecond) && close(main.dur, Double(main.end - main.start) / perMicrosecond))
    }

    // MARK: 5. The issue's "done when"

    @Test("K words through SRAM then K through DRAM: report counts, 5/640 pJ, DRAM wider in the energy flame graph")
    func doneWhen() throws {
        let k = UInt64(Self.k)
        let r = try runFixture("acct-move", flags: ["-DK=\(Self.k)", "-DWITH_DRAM"])
        #expect(r.stop.exitCode == 0, "\(r.stop.message)")
        let energy = try #require(r.energy)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(RunReport.json(r).serialized().utf8)) as? [String: Any])
        let memory = try #require(report["memory"] as? [String: Any])
        let regions = try #require(memory["regions"] as? [[String: Any]])
        let sdram = try #require(regions.first { $0["kind"] as? String == "dram" })
        #expect(sdram["name"] as? String == "sdram")
        #expect(number(sdram["reads"]) == Double(k))
        #expect(number(sdram["writes"]) == Double(k))
        #expect(number(sdram["read_bytes"]) == Double(4 * k))
        #expect(number(sdram["write_bytes"]) == Double(4 * k))
        let functions = try #require(report["functions"] as? [[String: Any]])
        func memoryAccesses(_ name: String) -> Double? {
            (functions.first { $0["name"] as? String == name }?["memory"] as? [String: Any]).flatMap { number($0["accesses"]) }
        }
        #expect(memoryAccesses("dram_loop") == Double(2 * k))
        #expect(memoryAccesses("sram_loop") == Double(2 * k))
        #expect(!functions.contains { $0["name"] as? String == "mul_loop" })

        // by_category: memory_<kind> = accesses of up to 32 bits × the per-access figure.
        let byCategory = try #require((report["energy"] as? [String: Any])?["by_category"] as? [String: Any])
        let sram = r.memory.traffic(of: .sram)
        let sramUnits = sram.readsByWidth[0] + sram.readsByWidth[1] + sram.readsByWidth[2] + 2 * sram.readsByWidth[3]
            + sram.writesByWidth[0] + sram.writesByWidth[1] + sram.writesByWidth[2] + 2 * sram.writesByWidth[3]
        #expect(sramUnits >= 2 * k)
        #expect(close(try #require(number(byCategory["memory_sram"])), Double(sramUnits) * sramPJ, relative: 1e-6))
        #expect(close(try #require(number(byCategory["memory_dram"])), Double(2 * k) * dramPJ, relative: 1e-6))
        #expect(category(energy, "memory_dram") == Double(2 * k) * dramPJ)
        // Per region: the one DRAM region carries it all, and each kind's regions add up to it.
        #expect(energy.regionPJ.first { $0.name == "sdram" }?.pj == Double(2 * k) * dramPJ)
        for (kind, pj) in energy.memoryPJ {
            let names = Set(r.memory.regions.filter { $0.region.kind == kind }.map(\.region.name))
            #expect(close(energy.regionPJ.filter { names.contains($0.name) }.reduce(0) { $0 + $1.pj }, pj), "\(kind)")
        }

        // Energy flame graph: <title>name (weight pJ, share%)</title>.
        let svg = FlameGraph.render(r.stacks, weight: .energy, title: "acct")
        var weights: [String: Double] = [:]
        var rest = svg[...]
        while let open = rest.range(of: "<title>"), let shut = rest.range(of: "</title>", range: open.upperBound..<rest.endIndex) {
            let label = String(rest[open.upperBound..<shut.lowerBound])
            rest = rest[shut.upperBound...]
            guard let paren = label.range(of: " (", options: .backwards) else { continue }
            let name = String(label[..<paren.lowerBound])
            let inner = label[paren.upperBound...]
            guard let value = inner.split(separator: " ").first.flatMap({ Double($0) }) else { continue }
            weights[name, default: 0] += value
        }
        let dramWeight = try #require(weights["dram_loop"]), sramWeight = try #require(weights["sram_loop"])
        #expect(dramWeight > sramWeight)
        // The DRAM loop's rectangle carries at least its 2K × 640 pJ of data accesses, and the
        // SRAM loop's less than 2K × 640 (its accesses cost 2K × 5 pJ plus its instructions).
        #expect(dramWeight >= Double(2 * k) * dramPJ)
        #expect(sramWeight < Double(2 * k) * dramPJ)
        let dramSelf = try #require(function(r, "dram_loop")).selfEnergyPJ
        #expect(abs(dramWeight - dramSelf) <= 0.05 + 1e-9 * dramSelf, "flame \(dramWeight) vs self \(dramSelf)")
    }

    // MARK: 6. JSON report

    @Test("the JSON report carries memory, energy and function figures; the stack peak covers a 1000-byte frame")
    func jsonReport() throws {
        let r = try runFixture("acct-full", flags: Self.fullFlags)
        let text = RunReport.json(r).serialized()
        let report = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let memory = try #require(report["memory"] as? [String: Any])
        let byKind = try #require(memory["by_kind"] as? [String: Any])
        for kind in [MemoryKind.flash, .sram, .dram] {
            let t = try #require(byKind[kind.rawValue] as? [String: Any], "memory.by_kind.\(kind.rawValue)")
            let expected = r.memory.traffic(of: kind)
            #expect(number(t["reads"]) == Double(expected.reads), "\(kind)")
            #expect(number(t["writes"]) == Double(expected.writes), "\(kind)")
            #expect(number(t["read_bytes"]) == Double(expected.readBytes), "\(kind)")
            #expect(number(t["write_bytes"]) == Double(expected.writeBytes), "\(kind)")
        }
        let dram = try #require(byKind["dram"] as? [String: Any])
        #expect(number(dram["reads"]) == Double(Self.k))
        #expect(number(dram["write_bytes"]) == Double(4 * Self.k))
        let regions = try #require(memory["regions"] as? [[String: Any]])
        #expect(Set(regions.compactMap { $0["name"] as? String }) == ["flash", "sram", "sdram"])
        #expect(number(memory["fetches"]) == Double(r.memory.fetches))
        #expect(r.memory.fetches >= r.instructions / 4)  // at most four 16-bit instructions per 64-bit fetch
        let stackPeak = try #require(number(memory["stack_peak_bytes"]))
        // stack_fill's 1000-byte frame under main's push {r4, lr}: at least 1008 bytes below the initial SP.
        #expect(stackPeak >= 1008)
        #expect(stackPeak == Double(r.memory.stackPeakBytes))
        let peakSRAM = try #require(number(memory["peak_sram_bytes"]))
        #expect(peakSRAM == Double(r.memory.sramStaticBytes + r.memory.heapPeakBytes + r.memory.stackPeakBytes))
        #expect(peakSRAM >= stackPeak + Double(4 * 512))  // sram_buf[512] is static SRAM

        let energy = try #require(report["energy"] as? [String: Any])
        let e = try #require(r.energy)
        #expect(close(try #require(number(energy["total_pj"])), e.totalPJ, relative: 1e-6))
        let byCategory = try #require(energy["by_category"] as? [String: Any])
        for name in ["int_alu", "branch", "int_mul", "register_file", "memory_flash", "memory_sram", "memory_dram", "instruction_fetch"] {
            #expect(byCategory[name] != nil, "energy.by_category.\(name)")
        }
        #expect(close(try #require(number(byCategory["int_mul"])), Double(Self.n) * mulPJ, relative: 1e-6))
        let memoryPJByKind = try #require(energy["memory_pj"] as? [String: Any])
        #expect(close(try #require(number(memoryPJByKind["dram"])), Double(2 * Self.k) * dramPJ, relative: 1e-6))
        #expect(number(memoryPJByKind["sram"]) != nil && number(memoryPJByKind["flash"]) != nil)
        #expect(number(energy["chip_estimate_uj"]) != nil, "energy.chip_estimate_uj")

        let functions = try #require(report["functions"] as? [[String: Any]])
        #expect(functions.count == r.functions.count)
        for f in functions {
            for key in ["name", "calls", "instructions", "cycles", "self_cycles", "energy_pj", "self_energy_pj", "memory"] {
                #expect(f[key] != nil, "functions[].\(key) missing in \(f["name"] ?? "?")")
            }
        }
        let fill = try #require(functions.first { $0["name"] as? String == "stack_fill" })
        #expect(number(fill["calls"]) == 1)
        // stack_fill: 1000 byte stores to its frame (SRAM), one byte load back (SRAM), and the
        // `ldr r1, [pc, #24]` of the 0x10624dd3 constant for n % 1000 (a flash literal pool):
        // 1002 accesses, 1001 × 5 pJ + 1 × 10 pJ (flash) = 5015 pJ.
        let fillMemory = try #require(fill["memory"] as? [String: Any])
        #expect(number(fillMemory["accesses"]) == 1002)
        #expect(close(try #require(number(fillMemory["energy_pj"])), 1001 * sramPJ + 1 * 10, relative: 1e-6))
        let dramLoop = try #require(functions.first { $0["name"] as? String == "dram_loop" })
        #expect(number(dramLoop["instructions"]) == Double(5 * Self.k + 4))
        #expect(number((dramLoop["memory"] as? [String: Any])?["accesses"]) == Double(2 * Self.k))
        let dramMemoryPJ = try #require(number((dramLoop["memory"] as? [String: Any])?["energy_pj"]))
        #expect(close(dramMemoryPJ, Double(2 * Self.k) * dramPJ, relative: 1e-6))
        let selfCycles = try #require(number(dramLoop["self_cycles"])), cycles = try #require(number(dramLoop["cycles"]))
        #expect(selfCycles == cycles)  // a leaf: inclusive = self
    }

    /// Stack and heap high-water marks. Neither variant allocates (no _sbrk or _malloc_r runs),
    /// so the heap peak is 0 and the peak SRAM is static + stack. The deepest point is the
    /// 1000-byte frame: Reset_Handler's push {r3, lr} (8) + main's push {r4, lr} (8) + 1000 = 1016
    /// below the initial SP when stack_fill fills it itself (strb.w r2, [sp, r3]); with
    /// stack_fill_callee's own push {r4, lr} (8) it is 1024 when fill_bytes fills it through a
    /// pointer (strb.w r3, [r0], #1: a store into the stack whose base register is not SP).
    @Test("stack peak covers a 1000-byte local array, heap peak is 0 without malloc, peak SRAM fits the SRAM",
          arguments: [("STACK_FILL", UInt64(1016)), ("STACK_FILL_CALLEE", UInt64(1024))])
    func stackAndHeapPeaks(variant: String, depth: UInt64) throws {
        let r = try runFixture("acct-\(variant)", flags: ["-DK=\(Self.k)", "-D\(variant)"])
        #expect(r.stop.exitCode == 0, "\(r.stop.message)")
        #expect(!r.functions.contains { ["_sbrk", "_sbrk_r", "_malloc_r", "malloc"].contains($0.name) })
        let m = r.memory
        #expect(m.stackPeakBytes >= depth, "\(variant): stack peak \(m.stackPeakBytes)")
        #expect(m.heapPeakBytes == 0, "\(variant): heap peak \(m.heapPeakBytes) without any allocation")
        #expect(m.peakSRAMBytes == m.sramStaticBytes + m.stackPeakBytes)
        let sram = try #require(r.board.regions.first { $0.kind == .sram })
        #expect(m.peakSRAMBytes <= UInt64(sram.size), "\(variant): peak SRAM \(m.peakSRAMBytes) > SRAM size \(sram.size)")
    }
}
