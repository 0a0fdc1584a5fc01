import Foundation

/// One kind of counted work that the energy model charges. The raw value is the key
/// under `operations:` in a cost-table file (docs/energy.md maps instruction classes to
/// events).
public enum EnergyEvent: String, CaseIterable, Sendable {
    case intALU = "int_alu", branch, intMul = "int_mul", intMAC = "int_mac", intMulLong = "int_mul_long",
         intDiv = "int_div", simdALU = "simd_alu", simdMAC = "simd_mac", fpAdd = "fp_add", fpMul = "fp_mul",
         fpMAC = "fp_mac", fpDiv = "fp_div", registerRead = "register_read", registerWrite = "register_write"
}

/// Energy per counted event, in picojoules, loaded from a YAML file under boards/costs/
/// (default `horowitz-45nm`). See docs/energy.md for the format and every default figure.
public struct CostTable: Sendable, Equatable {
    public var name: String
    public var description: String
    /// pJ per event.
    public var operations: [EnergyEvent: Double]
    /// pJ per data access of up to 32 bits to memory of each kind (a 64-bit access counts twice).
    public var memory: [MemoryKind: Double]
    /// pJ per access to an instruction cache (a hit; a miss adds the line fill from the backing memory).
    public var cacheAccess: Double
    public var sourcePath: String

    /// The name of the default table, `boards/costs/horowitz-45nm.yaml`.
    public static let defaultName = "horowitz-45nm"

    public init(name: String, description: String, operations: [EnergyEvent: Double],
                memory: [MemoryKind: Double], cacheAccess: Double, sourcePath: String) {
        self.name = name
        self.description = description
        self.operations = operations
        self.memory = memory
        self.cacheAccess = cacheAccess
        self.sourcePath = sourcePath
    }

    /// pJ for one `event` (0 if a hand-built table lacks it; a loaded table has every event).
    public func cost(_ event: EnergyEvent) -> Double { operations[event] ?? 0 }

    /// pJ for one access of up to 32 bits to memory of `kind` (0 if a hand-built table lacks it).
    public func cost(_ kind: MemoryKind) -> Double { memory[kind] ?? 0 }

    static let makeError: @Sendable (String, String, String) -> Error = { file, key, problem in
        SimulatorError.badCostTable(path: file, key: key, problem: problem)
    }

    public static func load(path: String) throws -> CostTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw SimulatorError.badCostTable(path: path, key: "",
                                              problem: exists ? "cannot read the cost table file" : "no such cost table file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SimulatorError.badCostTable(path: path, key: "", problem: "not UTF-8 text")
        }
        return try parse(text: text, path: path)
    }

    public static func parse(text: String, path: String) throws -> CostTable {
        var root = try DataFileNode.parse(text: text, file: path, makeError: makeError)
        let name = try root.requiredString("name")
        guard let description = try root.string("description") else {
            throw root.error("description", "missing; this key is required (say where the figures come from)")
        }

        guard var opsNode = try root.mapping("operations") else {
            throw root.error("operations", "missing; this key is required (pJ per operation)")
        }
        var operations: [EnergyEvent: Double] = [:]
        for event in EnergyEvent.allCases {
            operations[event] = try picojoules(&opsNode, event.rawValue)
        }
        try opsNode.finish()

        guard var memNode = try root.mapping("memory") else {
            throw root.error("memory", "missing; this key is required (pJ per access of up to 32 bits)")
        }
        var memory: [MemoryKind: Double] = [:]
        for kind in MemoryKind.allCases {
            memory[kind] = try picojoules(&memNode, kind.rawValue)
        }
        try memNode.finish()

        let cacheAccess = try picojoules(&root, "cache_access")
        try root.finish()
        return CostTable(name: name, description: description, operations: operations, memory: memory,
                         cacheAccess: cacheAccess, sourcePath: path)
    }

    /// A required number of picojoules from 0 to 1,000,000 (the bound a board's `energy_pj`
    /// has): the simulator charges memory accesses in whole femtojoules (UInt64), and a larger
    /// figure, such as 2^64, trapped converting to that.
    static func picojoules(_ node: inout DataFileNode, _ key: String) throws -> Double {
        guard let value = try node.double(key) else {
            throw node.error(key, "missing; every cost is required (pJ, 0 to charge nothing)")
        }
        guard value >= 0 else { throw node.error(key, "must not be negative, got \(value)") }
        guard value <= 1_000_000 else { throw node.error(key, "\(value) pJ is not plausible (0 to 1,000,000)") }
        return value
    }

    /// `--costs NAME|FILE` / board `costs:` resolution: a path (contains "/" or ends .yaml) or a name in <boards>/costs.
    public static func resolve(_ nameOrPath: String, library: BoardLibrary?) throws -> CostTable {
        if BoardLibrary.isPath(nameOrPath) {
            return try load(path: nameOrPath)
        }
        guard let library else {
            throw SimulatorError.badCostTable(
                path: nameOrPath, key: "",
                problem: "unknown cost table: no board library found (set MCUSIM_BOARDS to the boards/ folder, or give a path to a cost table file)")
        }
        return try library.loadCostTable(name: nameOrPath)
    }

    /// The default table, boards/costs/horowitz-45nm.yaml.
    public static func defaultTable(library: BoardLibrary?) throws -> CostTable {
        try resolve(defaultName, library: library)
    }

    /// The table a run uses: `override` (`--costs`) if given, else the board's `costs:`,
    /// else the default. A board's `costs:` that names no table is reported against the
    /// board file's `costs` key, so the message says which file to fix.
    public static func resolve(for board: Board, override: String?, library: BoardLibrary?) throws -> CostTable {
        if let override { return try resolve(override, library: library) }
        guard let named = board.costTable else { return try defaultTable(library: library) }
        do {
            return try resolve(named, library: library)
        } catch let SimulatorError.badCostTable(path, key, problem) where key.isEmpty && !FileManager.default.fileExists(atPath: path) {
            throw SimulatorError.badBoard(path: board.sourcePath, key: "costs", problem: "\(problem) (\(path))")
        }
    }
}
