import Foundation
import MCUSim
import MCUSimCommands
import MCUTestSupport
import Testing

// No input may crash the process: mutated ELF images and board files must either be
// rejected with a SimulatorError or load, and a loaded image must run to some stop.
// Mutants come from a seeded xorshift generator, so every run tries the same inputs and a
// failure names a mutant that can be rebuilt from its index.
//
// The mutants run in a child process (a Swift Testing exit test), so a trap in the library
// fails this test with the mutant and the crash site named instead of killing the whole
// test run; the loop then resumes after the crashing mutant to find any others.

/// xorshift64 (Marsaglia 2003): deterministic, no system randomness.
struct XorShift64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    /// Uniform enough in 0..<bound for test inputs; bound must be positive.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}

/// The few ELF32 header fields the mutator aims at, read straight from the bytes
/// (little-endian, offsets from the ELF specification), not through the loader under test.
struct ELF32Layout {
    var phoff: Int, phentsize: Int, phnum: Int
    var shoff: Int, shentsize: Int, shnum: Int
    /// (file offset, file size) of each PT_LOAD program header.
    var loads: [(offset: Int, size: Int)]

    init(_ b: [UInt8]) {
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        let phoff = u32(28), phentsize = u16(42), phnum = u16(44)
        self.phoff = phoff
        self.phentsize = phentsize
        self.phnum = phnum
        shoff = u32(32)
        shentsize = u16(46)
        shnum = u16(48)
        loads = (0..<phnum).compactMap { i in
            let ph = phoff + i * phentsize
            return u32(ph) == 1 ? (offset: u32(ph + 4), size: u32(ph + 16)) : nil   // p_type PT_LOAD = 1
        }
    }

    var programHeaders: Range<Int> { phoff..<(phoff + phnum * phentsize) }
    var sectionHeaders: Range<Int> { shoff..<(shoff + shnum * shentsize) }
    /// The first byte past every PT_LOAD's file data: a shorter file cannot hold the image.
    var loadEnd: Int { loads.map { $0.offset + $0.size }.max() ?? 0 }
}

@Suite struct RobustnessTests {
    enum ELFMutation: String, CaseIterable {
        case truncate, headerFlip, programHeaderFlip, sectionHeaderFlip, extremeField, codeFlip
    }

    /// Mutant `index` of `original`: the same index always gives the same bytes.
    static func elfMutant(_ original: [UInt8], layout: ELF32Layout, index: Int) -> (ELFMutation, [UInt8]) {
        var rng = XorShift64(seed: 0x00C0_FFEE_0000_0000 &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        var bytes = original
        func flip(in range: Range<Int>, count: Int) {
            let range = range.clamped(to: 0..<bytes.count)
            guard !range.isEmpty else { return }
            for _ in 0..<count {
                let at = range.lowerBound + rng.below(range.count)
                bytes[at] ^= UInt8(1) << UInt8(rng.below(8)) | (rng.below(3) == 0 ? rng.byte() : 0)
            }
        }
        let kind: ELFMutation
        switch index % 10 {
        case 0, 1, 2: kind = .truncate
        case 3, 4: kind = .headerFlip
        case 5: kind = .programHeaderFlip
        case 6: kind = .sectionHeaderFlip
        case 7, 8: kind = .extremeField
        default: kind = .codeFlip
        }
        switch kind {
        case .truncate:
            bytes = Array(bytes.prefix(rng.below(bytes.count)))
        case .headerFlip:
            flip(in: 0..<512, count: 1 + rng.below(4))
        case .programHeaderFlip:
            flip(in: layout.programHeaders, count: 1 + rng.below(4))
        case .sectionHeaderFlip:
            flip(in: layout.sectionHeaders, count: 1 + rng.below(4))
        case .extremeField:
            // A 32-bit field of the ELF header or of one program or section header set to a
            // boundary value: the kind of number that overflows unchecked arithmetic.
            let values: [UInt32] = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFF0, 0xFFFF_0000,
                                    UInt32(original.count), UInt32(original.count + 1), 0x2001_8000, 0x1000_0000]
            let tables = [0..<52, layout.programHeaders, layout.sectionHeaders]
            let table = tables[rng.below(tables.count)].clamped(to: 0..<(bytes.count - 3))
            guard table.count >= 4 else { break }
            let at = table.lowerBound + rng.below(table.count / 4) * 4
            let value = values[rng.below(values.count)]
            for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
        case .codeFlip:
            // Corrupt loaded bytes (code, vectors, data) to drive the emulator off the rails.
            let load = layout.loads[rng.below(layout.loads.count)]
            flip(in: load.offset..<(load.offset + load.size), count: 1 + rng.below(16))
        }
        return (kind, bytes)
    }

    static let elfMutantCount = 320

    /// The firmware the ELF mutants start from, built once in the parent process. Debug info
    /// is stripped (symbols stay): it would make the file 7 times larger, and hashing 380 KB
    /// for every mutant in a debug build costs more than everything else the loop does.
    static func mutationBaseELF() throws -> String {
        try FixtureBuilder.build(name: "robust-console", sources: [FixtureBuilder.fixture("MCUSimTests", "console.c")],
                                 board: try FixtureBuilder.board("max32660"), flags: ["-DEXIT_CODE=9", "-Wl,--strip-debug"])
    }

    @Test("mutated ELF images are rejected or run to a stop; none crashes the process")
    func elfMutants() async throws {
        let elf = try Self.mutationBaseELF()
        let original = [UInt8](try #require(FileManager.default.contents(atPath: elf)))
        let layout = ELF32Layout(original)
        await Self.runCrashProof(count: Self.elfMutantCount, describe: { index in
            let (kind, bytes) = Self.elfMutant(original, layout: layout, index: index)
            return Self.describeChange(kind.rawValue, from: original, to: bytes)
        }) { start in
            await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [elf = elf as String, start = start as Int] in
                try RobustnessTests.runELFMutants(elf: elf, from: start)
                RobustnessTests.finishChild()
            }
        }
    }

    /// The body of the ELF exit test: mutants `start..<elfMutantCount`, each announced on
    /// stderr first so that a crash can be traced to its input.
    static func runELFMutants(elf: String, from start: Int) throws {
        let board = try FixtureBuilder.board("max32660")
        let original = [UInt8](try #require(FileManager.default.contents(atPath: elf)))
        let layout = ELF32Layout(original)
        try #require(layout.phnum > 0 && layout.shnum > 0 && !layout.loads.isEmpty)
        try #require(layout.sectionHeaders.upperBound <= original.count)

        // The unmutated image is the control: it must load and exit with its code.
        let control = try Machine(board: board, image: try ELFLoader.parse(bytes: original, path: elf),
                                  options: RunOptions(maxInstructions: 100_000)).run()
        #expect(control.stop.reason == .exit && control.stop.exitCode == 9)

        var rejected = 0, misfit = 0, ran = 0
        let limit: UInt64 = 100_000
        for index in start..<elfMutantCount {
            announce(index)
            let (kind, bytes) = elfMutant(original, layout: layout, index: index)
            let name = "mutant-\(index)-\(kind.rawValue).elf"
            let image: FirmwareImage
            do {
                image = try ELFLoader.parse(bytes: bytes, path: name)
            } catch let error as SimulatorError {
                rejected += 1
                // Every rejection names the file it concerns.
                #expect(error.description.hasPrefix(name), "\(error)")
                continue
            } catch {
                Issue.record("\(name): ELFLoader threw a non-SimulatorError: \(error)")
                continue
            }
            // What must certainly be rejected, decided from the bytes alone.
            if kind == .truncate {
                #expect(bytes.count >= layout.loadEnd, "\(name): \(bytes.count) bytes cannot hold the loadable data ending at \(layout.loadEnd)")
            }
            #expect(Array(bytes.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46], "\(name): loaded without ELF magic")
            #expect(bytes.count >= 20 && bytes[18] == 40 && bytes[19] == 0, "\(name): loaded with e_machine other than ARM")
            #expect(bytes.count >= 5 && bytes[4] == 1, "\(name): loaded without ELFCLASS32")

            let machine: Machine
            do {
                machine = try Machine(board: board, image: image, options: RunOptions(maxInstructions: limit))
            } catch let error as SimulatorError {
                misfit += 1
                #expect(!error.description.isEmpty)
                continue
            } catch {
                Issue.record("\(name): Machine threw a non-SimulatorError: \(error)")
                continue
            }
            let result = machine.run()
            ran += 1
            #expect(result.instructions <= limit, "\(name): ran \(result.instructions) instructions past the limit of \(limit)")
            #expect(!result.stop.message.isEmpty, "\(name): stop without a message")
        }
        // Every mutant went somewhere; from the start, the mix exercised all outcomes.
        #expect(rejected + misfit + ran == elfMutantCount - start)
        if start == 0 { #expect(rejected > 0 && ran > 0) }
    }

    // MARK: - Crash-proof driver

    static let announcePrefix = "robustness: mutant "

    static func announce(_ index: Int) {
        FileHandle.standardError.write(Data("\(announcePrefix)\(index)\n".utf8))
    }

    /// How a child that got through all its mutants ends. `#expect(processExitsWith:)` hands
    /// back the child's stderr only when the expected condition holds, and `.failure` is the
    /// only condition that holds for a signal, so a completed child exits with this code
    /// rather than 0; anything else is a crash or an error.
    static let completedStatus: Int32 = 86

    static func finishChild() -> Never { exit(completedStatus) }

    /// "truncate to 1234 bytes" or the first few changed offsets, for a crash report.
    static func describeChange(_ kind: String, from original: [UInt8], to bytes: [UInt8]) -> String {
        if bytes.count != original.count { return "\(kind): truncated to \(bytes.count) of \(original.count) bytes" }
        let changed = bytes.indices.filter { bytes[$0] != original[$0] }.prefix(8).map {
            String(format: "0x%X: %02X->%02X", $0, original[$0], bytes[$0])
        }
        return "\(kind): " + changed.joined(separator: ", ")
    }

    /// Runs `exitTest(start)` from mutant 0; when the child dies, records which mutant it was
    /// working on, what that mutant changed, and any crash site the child printed, then
    /// resumes after that mutant. At most `maxCrashes`
    /// crashes are chased, so a library that traps on every input still ends quickly.
    static func runCrashProof(count: Int, maxCrashes: Int = 6, describe: (Int) -> String,
                              _ exitTest: (Int) async -> ExitTest.Result?) async {
        var start = 0
        var crashes = 0
        while start < count {
            guard let result = await exitTest(start) else { return }
            if result.exitStatus == .exitCode(completedStatus) { return }
            let log = String(decoding: result.standardErrorContent, as: UTF8.self).split(separator: "\n")
            let last = log.last(where: { $0.hasPrefix(announcePrefix) }).flatMap { Int($0.dropFirst(announcePrefix.count)) }
            let site = log.filter { $0.contains("Fatal error") || $0.contains("runtime failure") || $0.contains("/Sources/") }
                .prefix(4).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
            let input = last.map(describe) ?? "(the child crashed before its first mutant)"
            Issue.record("mutant \(last.map(String.init) ?? "?") ended the child process (\(result.exitStatus)): \(input)\(site.isEmpty ? "" : "\n" + site)")
            crashes += 1
            guard let last, crashes < maxCrashes else { return }
            start = last + 1
        }
    }

    // MARK: - Board files

    enum YAMLMutation: String, CaseIterable {
        case deleteLines, replaceCharacters, duplicateKey, extremeNumber, reindent
    }

    static let oddCharacters: [Character] = [":", "-", " ", "\t", "\n", "#", "[", "]", "{", "}", "&", "*", "!", "|", ">",
                                             "'", "\"", "%", "@", "`", ",", "?", "0", "x", "é", "\u{0}", "\u{FEFF}", "😀"]
    static let extremeNumbers = ["0", "-1", "0x", "1e400", "nan", ".inf", "-0x10", "99999999999999999999999",
                                 "18446744073709551615", "0xFFFFFFFFFFFFFFFF", "0xFFFFFFFF", "0x100000000", "4GiB",
                                 "17179869183GiB", "16777216GiB", "0xFFFFFFFFFFFFFFFFKiB", "1_", "_", "0x_", "KiB"]

    static func yamlMutant(_ original: String, index: Int) -> (YAMLMutation, String) {
        var rng = XorShift64(seed: 0x0B0A_4D00_0000_0000 &+ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
        var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let kind = YAMLMutation.allCases[index % YAMLMutation.allCases.count]
        switch kind {
        case .deleteLines:
            for _ in 0..<(1 + rng.below(3)) where !lines.isEmpty { lines.remove(at: rng.below(lines.count)) }
        case .replaceCharacters:
            var chars = Array(lines.joined(separator: "\n"))
            for _ in 0..<(1 + rng.below(5)) where !chars.isEmpty {
                chars[rng.below(chars.count)] = oddCharacters[rng.below(oddCharacters.count)]
            }
            return (kind, String(chars))
        case .duplicateKey:
            // A key line repeated, either in place or with another key's value.
            let keyed = lines.indices.filter { lines[$0].contains(":") && !lines[$0].hasPrefix("#") }
            let i = keyed[rng.below(keyed.count)]
            var copy = lines[i]
            if rng.below(2) == 0, let colon = copy.firstIndex(of: ":") {
                copy = String(copy[...colon]) + " " + extremeNumbers[rng.below(extremeNumbers.count)]
            }
            lines.insert(copy, at: i + (rng.below(2) == 0 ? 1 : 0))
        case .extremeNumber:
            // A value that the board file spells as a number, replaced with a boundary case.
            let numeric = lines.indices.filter { i in
                guard let colon = lines[i].firstIndex(of: ":") else { return false }
                let value = lines[i][lines[i].index(after: colon)...].drop(while: { $0 == " " })
                return value.first?.isNumber == true
            }
            for _ in 0..<(1 + rng.below(2)) {
                let i = numeric[rng.below(numeric.count)]
                let colon = lines[i].firstIndex(of: ":")!
                lines[i] = String(lines[i][...colon]) + " " + extremeNumbers[rng.below(extremeNumbers.count)]
            }
        case .reindent:
            let i = rng.below(lines.count)
            let body = lines[i].drop(while: { $0 == " " })
            lines[i] = String(repeating: " ", count: rng.below(7)) + body
        }
        return (kind, lines.joined(separator: "\n"))
    }

    static let boardMutantCount = 210

    @Test("mutated board files are rejected with a SimulatorError or load; none crashes the process")
    func boardMutants() async {
        let originals = (try? Self.shippedBoardTexts()) ?? []
        await Self.runCrashProof(count: Self.boardMutantCount, describe: { index in
            guard !originals.isEmpty else { return "" }
            let (name, original) = originals[index % originals.count]
            let (kind, text) = Self.yamlMutant(original, index: index / originals.count)
            let before = Set(original.split(separator: "\n", omittingEmptySubsequences: false))
            let changed = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !before.contains($0) }
            return "\(kind.rawValue) of \(name).yaml, new lines: \(changed.prefix(3).map { "'\($0)'" }.joined(separator: ", "))"
        }) { start in
            await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) { [start = start as Int] in
                try RobustnessTests.runBoardMutants(from: start)
                RobustnessTests.finishChild()
            }
        }
    }

    static func shippedBoardTexts() throws -> [(name: String, text: String)] {
        try BoardsCommandTests.shippedBoards.map { name in
            (name, try String(contentsOfFile: FixtureBuilder.repositoryRoot + "/boards/\(name).yaml", encoding: .utf8))
        }
    }

    static func runBoardMutants(from start: Int) throws {
        let originals = try shippedBoardTexts()
        // Controls: the shipped files load.
        for (name, text) in originals {
            #expect(try BoardLoader.parse(text: text, path: "\(name).yaml").name == name)
        }
        var rejected = 0, loaded = 0
        for index in start..<boardMutantCount {
            announce(index)
            let (name, original) = originals[index % originals.count]
            let (kind, text) = yamlMutant(original, index: index / originals.count)
            let path = "mutant-\(index)-\(kind.rawValue)-\(name).yaml"
            do {
                let board = try BoardLoader.parse(text: text, path: path)
                loaded += 1
                // Whatever loads must satisfy what the loader promises about boards.
                #expect(!board.regions.isEmpty, "\(path)")
                #expect(board.regions.allSatisfy { $0.size > 0 && UInt64($0.base) + UInt64($0.size) <= 1 << 32 }, "\(path)")
                #expect(board.clockHz >= 1_000 && board.clockHz <= 2_000_000_000, "\(path)")
            } catch let error as SimulatorError {
                rejected += 1
                #expect(error.description.hasPrefix(path), "\(path): \(error)")
            } catch {
                Issue.record("\(path): BoardLoader threw a non-SimulatorError: \(error)")
            }
        }
        #expect(rejected + loaded == boardMutantCount - start)
        if start == 0 { #expect(rejected > 0 && loaded > 0) }
    }

    // MARK: - The command line on the inputs that found crashes

    /// boards/max32660.yaml with one value replaced: each is a mistake to report, not a crash.
    static let extremeBoardEdits: [(find: String, replace: String)] = [
        ("size: 96KiB", "size: 0xFFFFFFFFFFFFFFFF"),          // base 0x20000000 + size overflows 64 bits
        ("size: 96KiB", "size: 18446744073709551615"),
        ("size: 0x00100000", "size: 17179869183GiB"),          // 2^64 - 2^30 bytes
        ("size: 96KiB", "size: 0x100000000"),                   // 4 GiB from 0x20000000: past 2^32
        ("base: 0x20000000", "base: 0xFFFFFFFFFFFFFFFF"),
    ]

    @Test("`mcusim boards FILE` reports an impossible region size as bad input (65), not a crash",
          arguments: 0..<extremeBoardEdits.count)
    func extremeRegionSize(edit: Int) async throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (find, replace) = Self.extremeBoardEdits[edit]
        let good = try String(contentsOfFile: FixtureBuilder.repositoryRoot + "/boards/max32660.yaml", encoding: .utf8)
        try #require(good.contains(find))
        let path = dir + "/extreme.yaml"
        try good.replacingOccurrences(of: find, with: replace).write(toFile: path, atomically: true, encoding: .utf8)
        await #expect(processExitsWith: .exitCode(65), "\(replace)") { [path = path as String] in
            exit(MCUSimCommand.execute(["boards", path]))
        }
    }

    // Expected statuses: 65 where the loadable image cannot be read; a section header table
    // pointing outside the file costs only the symbols (the ELF specification makes section
    // headers optional for an executable), so that image still runs and exits with its 9.
    @Test("`mcusim run` on a truncated or header-corrupted ELF exits with a status, not a crash", arguments: [
        ("truncate-100", Int32(65)), ("truncate-52", Int32(65)), ("truncate-half", Int32(65)),
        ("phnum-ffff", Int32(65)), ("phoff-ffffffff", Int32(65)), ("shoff-ffffffff", Int32(9)),
    ])
    func corruptELFThroughCLI(mutation: String, status: Int32) async throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: try Self.mutationBaseELF())))
        func put32(_ value: UInt32, at offset: Int) {
            for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
        }
        switch mutation {
        case "truncate-100": bytes = Array(bytes.prefix(100))
        case "truncate-52": bytes = Array(bytes.prefix(52))          // the ELF header alone
        case "truncate-half": bytes = Array(bytes.prefix(bytes.count / 2))
        case "phnum-ffff": bytes[44] = 0xFF; bytes[45] = 0xFF        // e_phnum
        case "phoff-ffffffff": put32(0xFFFF_FFFF, at: 28)             // e_phoff
        case "shoff-ffffffff": put32(0xFFFF_FFFF, at: 32)             // e_shoff
        default: Issue.record("unknown mutation \(mutation)")
        }
        let path = dir + "/\(mutation).elf"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        await #expect(processExitsWith: .exitCode(status)) { [path = path as String] in
            exit(MCUSimCommand.execute(["run", "--board", "max32660", "--quiet", path]))
        }
    }
}
