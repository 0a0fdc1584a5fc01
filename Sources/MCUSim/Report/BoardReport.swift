/// A board as JSON, for `mcusim boards --format json`.
public enum BoardReport {
    public static func json(_ b: Board) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("name", .string(b.name)),
            ("description", .string(b.description)),
            ("core", .string(b.core.rawValue)),
            ("clock_hz", .uint(b.clockHz)),
            ("boot_address", .string(hex(b.bootAddress))),
            ("memory", .array(b.regions.map { r in
                .object([("name", .string(r.name)), ("kind", .string(r.kind.rawValue)),
                         ("base", .string(hex(r.base))), ("size", .uint(UInt64(r.size))),
                         ("wait_states", .int(Int64(r.waitStates)))] + (r.accessEnergyPJ.map { [("energy_pj", JSONValue.double($0))] } ?? []))
            })),
            ("console", b.console.map { .object([("peripheral", .string($0.kind.rawValue)), ("base", .string(hex($0.base)))]) } ?? .null),
        ]
        if let c = b.instructionCache {
            pairs.append(("instruction_cache", .object([("size", .int(Int64(c.sizeBytes))), ("line_bytes", .int(Int64(c.lineBytes))), ("ways", .int(Int64(c.ways)))])))
        }
        if let p = b.power {
            pairs.append(("power", .object([("active_ua_per_mhz", .double(p.activeMicroampsPerMHz)), ("supply_volts", .double(p.supplyVolts)), ("sleep_ua", .double(p.sleepMicroamps))])))
        }
        if b.core.isArmv6M { pairs.append(("multiplier", .string(b.multiplier.rawValue))) }
        pairs.append(("source", .string(b.sourcePath)))
        return .object(pairs)
    }
}

/// `0x0000abcd`: the report's spelling of addresses.
public func hexAddress(_ value: UInt32) -> String { hex(value) }
