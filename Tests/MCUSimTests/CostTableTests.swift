import Foundation
import Testing
@testable import MCUSim
import MCUTestSupport

// Energy cost tables: the shipped default against the figures in
// shared/reference/energy-45nm.md and the documented assumptions in docs/energy.md, every
// way a hand-edited table can be wrong (each blamed on its dotted key), resolution by name
// and by path, and the board file's `costs:` key.

private let repoRoot = FixtureBuilder.repositoryRoot
private let library = BoardLibrary(directory: repoRoot + "/boards")

// MARK: - The default table

/// Written down from energy-45nm.md and docs/energy.md, not read back from the file.
private let expectedOperations: [EnergyEvent: Double] = [
    .intALU: 0.1,          // Horowitz 32-bit int add
    .branch: 0.1,          // an address add
    .intMul: 3.1,          // Horowitz 32-bit int multiply
    .intMAC: 3.2,          // 3.1 + 0.1
    .intMulLong: 6.2,      // 2 x 3.1
    .intDiv: 22.0,         // 7.1 x 3.1 (Apollo3 divide/multiply ratio)
    .simdALU: 0.12,        // 4 x 0.03 (Horowitz 8-bit add)
    .simdMAC: 1.8,         // 2 x (0.8 interpolated 16-bit multiply + 0.1 accumulate)
    .fpAdd: 0.9,           // Horowitz FP32 add
    .fpMul: 3.7,           // Horowitz FP32 multiply
    .fpMAC: 4.6,           // 3.7 + 0.9
    .fpDiv: 26.3,          // 7.1 x 3.7 (Apollo3)
    .registerRead: 1,      // 32-bit register file access
    .registerWrite: 1,
]
private let expectedMemory: [MemoryKind: Double] = [
    .flash: 10,            // assumption: 2 x SRAM
    .rom: 10,              // assumption: as flash
    .sram: 5,              // Horowitz/Han 32-bit 8 KB SRAM
    .dram: 640,            // Horowitz/Han 32-bit DRAM
    .mmio: 5,              // assumption: one bus access
]

@Suite("Cost table: the default horowitz-45nm table")
struct DefaultCostTableTests {
    @Test("loads by name and has exactly the documented figures")
    func defaultFigures() throws {
        let table = try CostTable.defaultTable(library: library)
        #expect(table.name == "horowitz-45nm")
        #expect(!table.description.isEmpty)
        #expect(table.sourcePath == repoRoot + "/boards/costs/horowitz-45nm.yaml")
        #expect(table.operations == expectedOperations)
        #expect(table.memory == expectedMemory)
        #expect(table.cacheAccess == 5)
        for event in EnergyEvent.allCases { #expect(table.operations[event] != nil, "\(event.rawValue)") }
        for kind in MemoryKind.allCases { #expect(table.memory[kind] != nil, "\(kind.rawValue)") }
    }

    @Test("the seven figures of the 45 nm table itself")
    func the45nmTable() throws {
        let table = try CostTable.defaultTable(library: library)
        #expect(table.cost(.intALU) == 0.1)
        #expect(table.cost(.fpAdd) == 0.9)
        #expect(table.cost(.registerRead) == 1)
        #expect(table.cost(.registerWrite) == 1)
        #expect(table.cost(.intMul) == 3.1)
        #expect(table.cost(.fpMul) == 3.7)
        #expect(table.cost(.sram) == 5)
        #expect(table.cost(.dram) == 640)
        // CS149: a 32-bit DRAM access costs 6400x a 32-bit int add.
        #expect((table.cost(.dram) / table.cost(.intALU)).rounded() == 6400)
    }

    @Test("the derived figures follow from the ones they are built from")
    func derivedFigures() throws {
        let t = try CostTable.defaultTable(library: library)
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 0.051 }
        #expect(close(t.cost(.intMAC), t.cost(.intMul) + t.cost(.intALU)))
        #expect(close(t.cost(.fpMAC), t.cost(.fpMul) + t.cost(.fpAdd)))
        #expect(close(t.cost(.intMulLong), 2 * t.cost(.intMul)))
        #expect(close(t.cost(.fpDiv), 7.1 * t.cost(.fpMul)))
        #expect(close(t.cost(.intDiv), 7.1 * t.cost(.intMul)))
        #expect(close(t.cost(.simdALU), 4 * 0.03))
        #expect(close(t.cost(.flash), 2 * t.cost(.sram)))
        #expect(t.cost(.rom) == t.cost(.flash))
        #expect(t.cacheAccess == t.cost(.sram))
    }

    @Test("every table in boards/costs loads, and the library lists the default")
    func everyShippedTableLoads() throws {
        let names = library.costTableNames()
        #expect(names.contains(CostTable.defaultName))
        for name in names {
            let table = try CostTable.resolve(name, library: library)
            #expect(table.name == name, "the name key of \(name).yaml should match its file name")
        }
        // The costs/ folder is not mistaken for a board.
        #expect(!library.names().contains("costs"))
    }
}

// MARK: - Rejections

/// A complete valid table. Each bad case edits one line, so it fails for the reason it names.
private let validTable = """
    name: test-costs
    description: "a table for tests"
    operations:
      int_alu: 0.1
      branch: 0.1
      int_mul: 3.1
      int_mac: 3.2
      int_mul_long: 6.2
      int_div: 22
      simd_alu: 0.12
      simd_mac: 1.8
      fp_add: 0.9
      fp_mul: 3.7
      fp_mac: 4.6
      fp_div: 26.3
      register_read: 1
      register_write: 1
    memory:
      flash: 10
      rom: 10
      sram: 5
      dram: 640
      mmio: 5
    cache_access: 5

    """

/// `validTable` with one exact line replaced (an empty replacement deletes the line).
private func edited(_ line: String, _ replacement: String) -> String {
    validTable.replacingLine(line, with: replacement)
}

struct BadCostTable: CustomTestStringConvertible, Sendable {
    var label: String
    var text: String
    var key: String
    var phrase: String
    var testDescription: String { label }

    static let all: [BadCostTable] = [
        BadCostTable(label: "not YAML", text: "name: [unclosed\n", key: "", phrase: "not valid YAML"),
        BadCostTable(label: "top level is a list", text: "- 1\n- 2\n", key: "", phrase: "mapping"),
        BadCostTable(label: "empty file", text: "", key: "", phrase: "mapping"),
        BadCostTable(label: "missing name", text: edited("name: test-costs", ""), key: "name", phrase: "missing"),
        BadCostTable(label: "missing description", text: edited("description: \"a table for tests\"", ""),
                     key: "description", phrase: "missing"),
        BadCostTable(label: "missing cache_access", text: edited("cache_access: 5", ""), key: "cache_access", phrase: "missing"),
        BadCostTable(label: "missing operations section",
                     text: "name: x\ndescription: y\nmemory: {flash: 1, rom: 1, sram: 1, dram: 1, mmio: 1}\ncache_access: 1\n",
                     key: "operations", phrase: "missing"),
        BadCostTable(label: "operations is not a mapping", text: "name: x\ndescription: y\noperations: 5\n",
                     key: "operations", phrase: "mapping"),
        BadCostTable(label: "missing memory section",
                     text: validTable.components(separatedBy: "memory:\n")[0] + "cache_access: 5\n",
                     key: "memory", phrase: "missing"),
        BadCostTable(label: "missing operations.fp_mul", text: edited("  fp_mul: 3.7", ""), key: "operations.fp_mul", phrase: "missing"),
        BadCostTable(label: "missing operations.register_write", text: edited("  register_write: 1", ""),
                     key: "operations.register_write", phrase: "missing"),
        BadCostTable(label: "empty operations.branch", text: edited("  branch: 0.1", "  branch:"), key: "operations.branch", phrase: "missing"),
        BadCostTable(label: "missing memory.flash", text: edited("  flash: 10", ""), key: "memory.flash", phrase: "missing"),
        BadCostTable(label: "negative operations.int_div", text: edited("  int_div: 22", "  int_div: -22"),
                     key: "operations.int_div", phrase: "negative"),
        BadCostTable(label: "negative memory.dram", text: edited("  dram: 640", "  dram: -1e-3"), key: "memory.dram", phrase: "negative"),
        BadCostTable(label: "negative cache_access", text: edited("cache_access: 5", "cache_access: -5"), key: "cache_access", phrase: "negative"),
        // Found by fuzzing: 2^64 pJ passed (finite, not negative) and trapped converting to femtojoules.
        BadCostTable(label: "2^64 memory.mmio", text: edited("  mmio: 5", "  mmio: 18446744073709551616"), key: "memory.mmio",
                     phrase: "1.8446744073709552e+19 pJ is not plausible (0 to 1,000,000)"),
        BadCostTable(label: "1e7 operations.int_alu", text: edited("  int_alu: 0.1", "  int_alu: 1e7"), key: "operations.int_alu",
                     phrase: "not plausible"),
        BadCostTable(label: "word for operations.fp_mul", text: edited("  fp_mul: 3.7", "  fp_mul: lots"),
                     key: "operations.fp_mul", phrase: "expected a number"),
        BadCostTable(label: "units after memory.sram", text: edited("  sram: 5", "  sram: 5 pJ"), key: "memory.sram", phrase: "expected a number"),
        BadCostTable(label: "NaN operations.int_alu", text: edited("  int_alu: 0.1", "  int_alu: nan"),
                     key: "operations.int_alu", phrase: "expected a number"),
        BadCostTable(label: "infinite memory.mmio", text: edited("  mmio: 5", "  mmio: inf"), key: "memory.mmio", phrase: "expected a number"),
        BadCostTable(label: "mapping for operations.simd_mac", text: edited("  simd_mac: 1.8", "  simd_mac: {a: 1}"),
                     key: "operations.simd_mac", phrase: "expected a number"),
        BadCostTable(label: "list for cache_access", text: edited("cache_access: 5", "cache_access: [5]"),
                     key: "cache_access", phrase: "expected a number"),
        BadCostTable(label: "unknown top-level key", text: validTable + "units: pJ\n", key: "units", phrase: "unknown key"),
        BadCostTable(label: "unknown key in operations", text: edited("  fp_div: 26.3", "  fp_div: 26.3\n  fp_sqrt: 26.3"),
                     key: "operations.fp_sqrt", phrase: "unknown key"),
        BadCostTable(label: "misspelt key in operations", text: edited("  int_mac: 3.2", "  int_mac: 3.2\n  int_alu2: 1"),
                     key: "operations.int_alu2", phrase: "unknown key"),
        BadCostTable(label: "unknown key in memory", text: edited("  mmio: 5", "  mmio: 5\n  eeprom: 12"),
                     key: "memory.eeprom", phrase: "unknown key"),
    ]
}

private func expectBadCostTable(_ body: () throws -> Void, path: String, key: String, phrase: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected .badCostTable for \(key.isEmpty ? "the file" : key), but it was accepted",
                     sourceLocation: sourceLocation)
    } catch let SimulatorError.badCostTable(errorPath, errorKey, problem) {
        #expect(errorPath == path, sourceLocation: sourceLocation)
        #expect(errorKey == key, "problem: \(problem)", sourceLocation: sourceLocation)
        #expect(problem.contains(phrase), "problem: \(problem)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected .badCostTable, got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("Cost table: rejections")
struct CostTableRejectionTests {
    @Test("the valid table used by the rejection cases parses")
    func validTableParses() throws {
        let table = try CostTable.parse(text: validTable, path: "t.yaml")
        #expect(table.name == "test-costs")
        #expect(table.operations.count == EnergyEvent.allCases.count)
        #expect(table.memory.count == MemoryKind.allCases.count)
        #expect(table.cost(.intDiv) == 22)
    }

    @Test("zero is allowed: a table may charge nothing for an event")
    func zeroAllowed() throws {
        let table = try CostTable.parse(text: edited("  branch: 0.1", "  branch: 0"), path: "t.yaml")
        #expect(table.cost(.branch) == 0)
    }

    @Test("each mistake is blamed on its dotted key", arguments: BadCostTable.all)
    func rejected(_ bad: BadCostTable) {
        expectBadCostTable({ _ = try CostTable.parse(text: bad.text, path: "bad.yaml") },
                           path: "bad.yaml", key: bad.key, phrase: bad.phrase)
    }

    @Test("a missing file is a .badCostTable naming the file")
    func missingFile() {
        let path = NSTemporaryDirectory() + "mcusim-no-such-costs-\(UUID().uuidString).yaml"
        expectBadCostTable({ _ = try CostTable.load(path: path) }, path: path, key: "", phrase: "no such cost table file")
        expectBadCostTable({ _ = try CostTable.resolve(path, library: library) }, path: path, key: "", phrase: "no such cost table file")
    }

    @Test("the error message names file, key and problem on one line")
    func message() {
        let error = SimulatorError.badCostTable(path: "c.yaml", key: "operations.fp_mul", problem: "must not be negative")
        #expect(error.description == "c.yaml: operations.fp_mul: must not be negative")
        #expect(SimulatorError.badCostTable(path: "c.yaml", key: "", problem: "not UTF-8 text").description == "c.yaml: not UTF-8 text")
    }
}

// MARK: - Resolution and the board's `costs:` key

private func temporaryFolder() throws -> String {
    let dir = NSTemporaryDirectory() + "mcusim-costs-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

private func board(costs: String?) -> String {
    """
    name: cost-board
    core: cortex-m4
    clock_hz: 48_000_000
    boot_address: 0x00000000
    memory:
      - name: flash
        kind: flash
        base: 0x00000000
        size: 256KiB
      - name: sram
        kind: sram
        base: 0x20000000
        size: 32KiB
    """ + (costs.map { "\ncosts: \($0)\n" } ?? "\n")
}

@Suite("Cost table: resolution and board costs")
struct CostTableResolutionTests {
    @Test("by name from <boards>/costs, and by path")
    func byNameAndPath() throws {
        #expect(library.costsDirectory == repoRoot + "/boards/costs")
        let byName = try CostTable.resolve("horowitz-45nm", library: library)
        let byPath = try CostTable.resolve(repoRoot + "/boards/costs/horowitz-45nm.yaml", library: nil)
        #expect(byName == byPath)

        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/mine.yaml"
        try edited("  flash: 10", "  flash: 25").write(toFile: file, atomically: true, encoding: .utf8)
        let mine = try CostTable.resolve(file, library: library)
        #expect(mine.name == "test-costs")
        #expect(mine.cost(.flash) == 25)
        #expect(mine.sourcePath == file)
    }

    @Test("an unknown name lists the known tables")
    func unknownName() {
        expectBadCostTable({ _ = try CostTable.resolve("horowitz-7nm", library: library) },
                           path: library.costTablePath(for: "horowitz-7nm"), key: "",
                           phrase: "unknown cost table 'horowitz-7nm'; known cost tables: horowitz-45nm")
    }

    @Test("without a board library a name cannot be found, and neither can the default")
    func noLibrary() {
        expectBadCostTable({ _ = try CostTable.resolve("horowitz-45nm", library: nil) },
                           path: "horowitz-45nm", key: "", phrase: "no board library found")
        expectBadCostTable({ _ = try CostTable.defaultTable(library: nil) },
                           path: "horowitz-45nm", key: "", phrase: "MCUSIM_BOARDS")
        let empty = BoardLibrary(directory: NSTemporaryDirectory() + "mcusim-no-boards-\(UUID().uuidString)")
        expectBadCostTable({ _ = try CostTable.defaultTable(library: empty) },
                           path: empty.costTablePath(for: "horowitz-45nm"), key: "", phrase: "none found")
    }

    @Test("a board with costs: horowitz-45nm parses and resolves to the default table")
    func boardNamesTable() throws {
        let b = try BoardLoader.parse(text: board(costs: "horowitz-45nm"), path: "/somewhere/cost-board.yaml")
        #expect(b.costTable == "horowitz-45nm")
        let table = try CostTable.resolve(for: b, override: nil, library: library)
        #expect(table == (try CostTable.defaultTable(library: library)))
    }

    @Test("a board without costs: uses the default; --costs overrides the board")
    func precedence() throws {
        let plain = try BoardLoader.parse(text: board(costs: nil), path: "b.yaml")
        #expect(plain.costTable == nil)
        #expect(try CostTable.resolve(for: plain, override: nil, library: library).name == CostTable.defaultName)

        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/override.yaml"
        try validTable.write(toFile: file, atomically: true, encoding: .utf8)
        let named = try BoardLoader.parse(text: board(costs: "no-such-table"), path: "b.yaml")
        #expect(try CostTable.resolve(for: named, override: file, library: library).name == "test-costs")
    }

    @Test("a board whose costs: names a missing table is rejected at resolve time, blaming the board's costs key")
    func boardNamesMissingTable() throws {
        // Loading the board succeeds: the table is looked up when a run needs it.
        let b = try BoardLoader.parse(text: board(costs: "no-such-table"), path: "/boards/cost-board.yaml")
        #expect(b.costTable == "no-such-table")
        do {
            _ = try CostTable.resolve(for: b, override: nil, library: library)
            Issue.record("expected the missing table to be rejected")
        } catch let SimulatorError.badBoard(path, key, problem) {
            #expect(path == "/boards/cost-board.yaml")
            #expect(key == "costs")
            #expect(problem.contains("unknown cost table 'no-such-table'"), "\(problem)")
            #expect(problem.contains("horowitz-45nm"), "\(problem)")
        } catch {
            Issue.record("expected .badBoard, got \(error)")
        }
        // The plain resolver reports the same mistake against the table it looked for.
        expectBadCostTable({ _ = try CostTable.resolve(b.costTable ?? "", library: library) },
                           path: library.costTablePath(for: "no-such-table"), key: "", phrase: "unknown cost table")
    }

    @Test("a relative costs: path is taken from the board file's folder")
    func boardRelativePath() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try validTable.write(toFile: dir + "/my-costs.yaml", atomically: true, encoding: .utf8)
        try board(costs: "my-costs.yaml").write(toFile: dir + "/b.yaml", atomically: true, encoding: .utf8)
        let b = try BoardLoader.load(path: dir + "/b.yaml")
        #expect(b.costTable == dir + "/my-costs.yaml")
        #expect(try CostTable.resolve(for: b, override: nil, library: nil).name == "test-costs")

        let absolute = try BoardLoader.parse(text: board(costs: "/etc/costs.yaml"), path: dir + "/b.yaml")
        #expect(absolute.costTable == "/etc/costs.yaml")

        // A missing file named by path is blamed on the board too.
        let missing = try BoardLoader.parse(text: board(costs: "gone.yaml"), path: dir + "/b.yaml")
        #expect(throws: SimulatorError.badBoard(path: dir + "/b.yaml", key: "costs",
                                                problem: "no such cost table file (\(dir)/gone.yaml)")) {
            _ = try CostTable.resolve(for: missing, override: nil, library: library)
        }
    }

    @Test("a broken table named by a board is blamed on the table's own key")
    func boardNamesBrokenTable() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try edited("  sram: 5", "  sram: -5").write(toFile: dir + "/broken.yaml", atomically: true, encoding: .utf8)
        let b = try BoardLoader.parse(text: board(costs: "broken.yaml"), path: dir + "/b.yaml")
        expectBadCostTable({ _ = try CostTable.resolve(for: b, override: nil, library: library) },
                           path: dir + "/broken.yaml", key: "memory.sram", phrase: "negative")
    }

    @Test("an empty or multi-line costs: value is rejected on load")
    func boardCostsValue() throws {
        let empty = try BoardLoader.parse(text: board(costs: nil) + "costs:\n", path: "b.yaml")
        #expect(empty.costTable == nil, "an empty value counts as absent, as for every board key")
        #expect(throws: SimulatorError.self) {
            _ = try BoardLoader.parse(text: board(costs: "\"  \""), path: "b.yaml")
        }
        #expect(throws: SimulatorError.self) {
            _ = try BoardLoader.parse(text: board(costs: "[a, b]"), path: "b.yaml")
        }
    }
}
