import Foundation

/// Reads and validates board files. Every mistake is reported with the file, the key and
/// the problem; nothing in a board file can crash the process.
public enum BoardLoader {
    static let makeError: @Sendable (String, String, String) -> Error = { file, key, problem in
        SimulatorError.badBoard(path: file, key: key, problem: problem)
    }

    public static func load(path: String) throws -> Board {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimulatorError.io(path: path, reason: "cannot read the board file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SimulatorError.badBoard(path: path, key: "", problem: "not UTF-8 text")
        }
        return try parse(text: text, path: path)
    }

    public static func parse(text: String, path: String) throws -> Board {
        var root = try DataFileNode.parse(text: text, file: path, makeError: makeError)
        let name = try root.requiredString("name")
        let description = try root.string("description") ?? ""
        let coreText = try root.requiredString("core")
        guard let core = CoreKind(rawValue: coreText) else {
            throw root.error("core", "unknown core '\(coreText)'; expected one of \(CoreKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let raw = root.node.mapping?["clock_hz"]?.string, raw.contains(where: { $0.isLetter && !"xXabcdefABCDEF".contains($0) }) {
            throw root.error("clock_hz", "give the clock in Hz as a plain number (96_000_000), not with a size suffix")
        }
        let clock = try root.requiredUnsigned("clock_hz")
        guard clock >= 1_000, clock <= 2_000_000_000 else {
            throw root.error("clock_hz", "\(clock) Hz is not a plausible core clock (1 kHz to 2 GHz)")
        }
        let boot = try root.requiredUnsigned("boot_address")
        guard boot <= UInt64(UInt32.max) else { throw root.error("boot_address", "beyond the 32-bit address space") }

        guard let memoryNodes = try root.list("memory"), !memoryNodes.isEmpty else {
            throw root.error("memory", "missing; a board needs at least one memory region")
        }
        var regions: [MemoryRegion] = []
        for var node in memoryNodes {
            try node.requireMapping()
            regions.append(try parseRegion(&node))
            try node.finish()
        }
        try validate(regions: regions, root: root)

        let bootAddress = UInt32(boot)
        guard let bootRegion = regions.first(where: { $0.contains(bootAddress) }), bootRegion.kind.isMemory else {
            throw root.error("boot_address", String(format: "0x%08X is not inside a flash, ROM or RAM region", bootAddress))
        }

        var console: ConsoleSpec?
        if var node = try root.mapping("console") {
            let kindText = try node.requiredString("peripheral")
            guard let kind = ConsoleSpec.Kind(rawValue: kindText) else {
                throw node.error("peripheral", "unknown console peripheral '\(kindText)'; expected one of \(ConsoleSpec.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let base = try node.requiredUnsigned("base")
            guard base <= UInt64(UInt32.max), regions.contains(where: { $0.kind == .mmio && $0.contains(UInt32(base)) }) else {
                throw node.error("base", String(format: "0x%llX is not inside an mmio region of this board", base))
            }
            try node.finish()
            console = ConsoleSpec(kind: kind, base: UInt32(base))
        }

        // After the console: declared peripherals must not overlap it.
        let peripherals = try root.list("peripherals").map {
            try parsePeripherals($0, regions: regions, console: console)
        } ?? []

        var cache: InstructionCacheSpec?
        if var node = try root.mapping("instruction_cache") {
            let size = try node.requiredUnsigned("size")
            let line = try node.requiredUnsigned("line_bytes")
            let ways = try node.requiredUnsigned("ways")
            for (key, value) in [("size", size), ("line_bytes", line), ("ways", ways)] {
                guard value > 0, value <= 1 << 24, value & (value - 1) == 0 else {
                    throw node.error(key, "must be a power of two from 1 to \(key == "ways" ? "16777216" : "16 MiB"), got \(value)")
                }
            }
            guard size >= line * ways else { throw node.error("size", "smaller than one line per way") }
            try node.finish()
            cache = InstructionCacheSpec(sizeBytes: Int(size), lineBytes: Int(line), ways: Int(ways))
        }

        var power: PowerSpec?
        if var node = try root.mapping("power") {
            let active = try node.double("active_ua_per_mhz") ?? 0
            let volts = try node.double("supply_volts") ?? 0
            let sleep = try node.double("sleep_ua") ?? 0
            for (key, value) in [("active_ua_per_mhz", active), ("supply_volts", volts), ("sleep_ua", sleep)] where value < 0 {
                throw node.error(key, "must not be negative")
            }
            guard volts > 0 else { throw node.error("supply_volts", "missing or zero; the whole-chip estimate needs the supply voltage") }
            try node.finish()
            power = PowerSpec(activeMicroampsPerMHz: active, supplyVolts: volts, sleepMicroamps: sleep)
        }

        var multiplier = MultiplierKind.singleCycle
        if let text = try root.string("multiplier") {
            guard let m = MultiplierKind(rawValue: text) else {
                throw root.error("multiplier", "expected single-cycle or iterative, got '\(text)'")
            }
            guard core.isArmv6M else { throw root.error("multiplier", "only Cortex-M0 and M0+ have a multiplier option") }
            multiplier = m
        }
        var costTable: String?
        if let text = try root.string("costs") {
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty, !text.contains(where: \.isNewline) else {
                throw root.error("costs", "expected a cost table name (such as horowitz-45nm) or a path to a cost table file")
            }
            costTable = costTablePath(text, boardPath: path)
        }
        try root.finish()
        return Board(name: name, description: description, core: core, clockHz: clock, bootAddress: bootAddress,
                     regions: regions, console: console, instructionCache: cache, power: power,
                     multiplier: multiplier, sourcePath: path, peripherals: peripherals, costTable: costTable)
    }

    /// A board's `costs:` value: a name stays as it is; a relative path is taken from the
    /// board file's folder, so a board and its table can move together.
    static func costTablePath(_ value: String, boardPath: String) -> String {
        guard BoardLibrary.isPath(value), !value.hasPrefix("/") else { return value }
        let folder = (boardPath as NSString).deletingLastPathComponent
        return folder.isEmpty ? value : (folder as NSString).appendingPathComponent(value)
    }

    static func parseRegion(_ node: inout DataFileNode) throws -> MemoryRegion {
        let name = try node.requiredString("name")
        let kindText = try node.requiredString("kind")
        guard let kind = MemoryKind(rawValue: kindText) else {
            throw node.error("kind", "unknown memory kind '\(kindText)'; expected one of \(MemoryKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let base = try node.requiredUnsigned("base")
        let size = try node.requiredUnsigned("size")
        guard base <= UInt64(UInt32.max) else { throw node.error("base", "beyond the 32-bit address space") }
        guard size > 0 else { throw node.error("size", "must be greater than zero") }
        guard size < (1 << 32) - base else { throw node.error("size", "region runs past the end of the 32-bit address space") }
        let wait = try node.unsigned("wait_states") ?? 0
        guard wait <= 1000 else { throw node.error("wait_states", "\(wait) is not plausible (0 to 1000)") }
        let energy = try node.double("energy_pj")
        if let energy, !(0...1_000_000).contains(energy) {
            throw node.error("energy_pj", "\(energy) pJ per access is not plausible (0 to 1,000,000)")
        }
        if energy != nil, kind == .mmio {
            throw node.error("energy_pj", "applies to memory regions; MMIO accesses are priced by the cost table's memory.mmio")
        }
        return MemoryRegion(name: name, kind: kind, base: UInt32(base), size: UInt32(size),
                            waitStates: Int(wait), accessEnergyPJ: energy)
    }

    static func validate(regions: [MemoryRegion], root: DataFileNode) throws {
        var names = Set<String>()
        for (i, region) in regions.enumerated() {
            guard names.insert(region.name).inserted else {
                throw SimulatorError.badBoard(path: root.file, key: "memory[\(i)].name", problem: "duplicate region name '\(region.name)'")
            }
        }
        let sorted = regions.enumerated().sorted { $0.element.base < $1.element.base }
        for (a, b) in zip(sorted, sorted.dropFirst()) where UInt64(b.element.base) < a.element.end {
            throw SimulatorError.badBoard(path: root.file, key: "memory[\(b.offset)]",
                                          problem: "region '\(b.element.name)' overlaps region '\(a.element.name)'")
        }
        guard regions.contains(where: { $0.kind == .sram }) else {
            throw SimulatorError.badBoard(path: root.file, key: "memory", problem: "a board needs at least one sram region for the stack")
        }
        for (i, region) in regions.enumerated() where region.kind != .mmio && region.end > 0xE000_0000 {
            throw SimulatorError.badBoard(path: root.file, key: "memory[\(i)].base",
                                          problem: "0xE0000000 and above is the Cortex-M system space, not memory")
        }
        for (i, region) in regions.enumerated() {
            // The emulator maps memory in 4 KiB pages.
            guard region.base % 4096 == 0 else {
                throw SimulatorError.badBoard(path: root.file, key: "memory[\(i)].base",
                                              problem: String(format: "0x%08X is not 4 KiB aligned; the emulator maps whole 4 KiB pages", region.base))
            }
            // The Private Peripheral Bus is modelled by mcusim itself.
            if region.kind == .mmio, UInt64(region.base) < 0xE010_0000, region.end > 0xE000_0000 {
                throw SimulatorError.badBoard(path: root.file, key: "memory[\(i)].base",
                                              problem: "overlaps the Cortex-M private peripheral bus (0xE0000000-0xE00FFFFF), which mcusim models itself")
            }
        }
    }
}
