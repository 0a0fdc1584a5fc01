import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Real firmware, built by arm-none-eabi-gcc with newlib, run on the real Unicorn engine.
@Suite struct MachineRunTests {
    static let console = FixtureBuilder.fixture("MCUSimTests", "console.c")

    @Test("printf reaches stdout, stderr stays separate, exit code passes through",
          arguments: [0, 1, 42])
    func consoleAndExitCode(code: Int) throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "console\(code)", sources: [Self.console], board: board,
                                           flags: ["-DEXIT_CODE=\(code)"])
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(result.stop.reason == .exit)
        #expect(result.stop.exitCode == code)
        #expect(result.stdoutText == "hello, stdout 42\n")
        #expect(result.stderrText == "hello, stderr\n")
        #expect(result.boot.path == .vectorTable)
        // The project's linker script puts the initial SP at the top of the 96 KiB SRAM.
        #expect(result.boot.initialSP == 0x2001_8000)
    }

    @Test("hard-float and soft-float builds compute the same float result", arguments: FloatABI.allCases)
    func floatBuilds(float: FloatABI) throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "float", sources: [Self.console], board: board, float: float,
                                           flags: ["-DUSE_FLOAT"])
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(result.stop.reason == .exit, "\(result.stop.message)")
        // H(100) = 5.18737751 summed in float: (int)(sum * 1000) is 5187 on any IEEE single implementation.
        #expect(result.stdoutText.contains("harmonic 5187\n"))
    }

    @Test("the same console firmware runs on every shipped board",
          arguments: ["max32660", "samd21", "stm32f746-disco", "max32650", "max78000", "nrf52840", "rp2040"])
    func everyBoard(name: String) throws {
        let board = try FixtureBuilder.board(name)
        let elf = try FixtureBuilder.build(name: "console-board", sources: [Self.console], board: board, flags: ["-DEXIT_CODE=5"])
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(result.stop.exitCode == 5, "\(result.stop.message)")
        #expect(result.stdoutText == "hello, stdout 42\n")
        #expect(result.boot.path == .vectorTable)
        #expect(result.boot.resetPC >= board.bootAddress)
    }

    @Test("an image without a vector table starts at the ELF entry with SP at the top of SRAM")
    func noVectorTable() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "novector", sources: [FixtureBuilder.fixture("MCUSimTests", "novector.S")],
                                           board: board, runtime: false,
                                           flags: ["-nostdlib", "-nostartfiles", "-Wl,-Ttext=0x0", "-Wl,-e,_start"])
        let image = try ELFLoader.load(path: elf)
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(result.boot.path == .elfEntry)
        #expect(result.boot.resetPC == image.entry & ~1)
        #expect(result.boot.initialSP == 0x2001_8000)
        #expect(result.stdoutText == "no vector table\n")
        #expect(result.stop.reason == .exit)
        #expect(result.stop.exitCode == 7)
        // Hand count of novector.S: ldr, cmp, bls, movs, ldr, bkpt, movs, ldr, bkpt = 9.
        #expect(result.instructions == 9)
    }

    @Test("a user's own linker script with newlib's crt0 as reset handler (HEAPINFO stack)")
    func userLinkerScript() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(
            name: "user-ld", sources: [FixtureBuilder.fixture("MCUSimTests", "user_vectors.c")], board: board,
            runtime: false, linkerScript: FixtureBuilder.fixture("MCUSimTests", "user_max32660.ld"),
            flags: ["--specs=rdimon.specs"])
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(result.stop.reason == .exit, "\(result.stop.message)")
        #expect(result.stop.exitCode == 3)
        #expect(result.stdoutText == "user linker script: ok\n")
    }

    @Test("FPU use without enabling CPACR stops with a message that says so")
    func fpuDisabled() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "fpuoff", sources: [FixtureBuilder.fixture("MCUSimTests", "fpu_off.S")],
                                           board: board, runtime: false,
                                           flags: ["-nostdlib", "-nostartfiles", "-Wl,-Ttext=0x0", "-Wl,-e,reset",
                                                   "-Wl,--section-start=.isr_vector=0x0", "-Wl,-Ttext=0x100"])
        let result = try FixtureBuilder.run(elf, board: board)
        #expect(result.stop.reason == .fault)
        #expect(result.stop.message.contains("CPACR"))
        #expect(result.stop.message.contains("FPU"))
        #expect(result.stop.symbol == "reset+0x2")
    }

    @Test("two runs give identical reports apart from host timing")
    func determinism() throws {
        let board = try FixtureBuilder.board("max32660")
        let elf = try FixtureBuilder.build(name: "console-det", sources: [Self.console], board: board, flags: ["-DUSE_FLOAT"])
        let first = RunReport.json(try FixtureBuilder.run(elf, board: board), includeHost: false).serialized()
        let second = RunReport.json(try FixtureBuilder.run(elf, board: board), includeHost: false).serialized()
        #expect(first == second)
        #expect(first.contains("\"schema\": \"mcusim.run/1\""))
    }
}
