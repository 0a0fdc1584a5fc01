/// The `mcusim.run/1` report (docs/report-schema.md). Everything but `host` is a pure
/// function of firmware, board and options, so two runs give byte-identical reports.
public enum RunReport {
    public static let schema = "mcusim.run/1"

    public static func json(_ r: RunResult, includeHost: Bool = true) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("schema", .string(schema)),
            ("board", .string(r.board.name)),
            ("core", .string(r.board.core.rawValue)),
            ("clock_hz", .uint(r.board.clockHz)),
            ("firmware", .object([
                ("path", .string(r.firmwarePath)),
                ("sha256", .string(r.firmwareSHA256)),
                ("flash_bytes", .uint(r.flashBytes)),
                ("sram_static_bytes", .uint(r.sramStaticBytes)),
            ])),
            ("boot", .object([
                ("path", .string(r.boot.path.rawValue)),
                ("sp", .string(hex(r.boot.initialSP))),
                ("pc", .string(hex(r.boot.resetPC))),
                ("note", .string(r.boot.note)),
            ])),
            ("stop", stopJSON(r.stop)),
            ("instructions", .uint(r.instructions)),
            ("cycles", .uint(r.timing.cycles)),
            ("active_cycles", .uint(r.timing.cycles - min(r.sleepCycles, r.timing.cycles))),
            ("sleep_cycles", .uint(r.sleepCycles)),
            // Rounded to the picosecond so the JSON stays readable and stable.
            ("seconds", .double((r.timing.seconds * 1e12).rounded() / 1e12)),
            ("cpi", .double((r.timing.cpi * 10_000).rounded() / 10_000)),
            ("timing", timingJSON(r.timing)),
            ("console", .object([
                ("stdout", .string(String(decoding: r.stdout, as: UTF8.self))),
                ("stderr", .string(String(decoding: r.stderr, as: UTF8.self))),
                ("truncated", .bool(r.consoleTruncated)),
            ])),
            ("exceptions", .object([
                ("taken", .uint(r.exceptionsTaken)),
                ("by_number", .object(r.exceptionsByNumber.sorted { $0.key < $1.key }.map { (String($0.key), .uint($0.value)) })),
            ])),
            ("mmio", .object([
                ("unmodeled_accesses", .uint(r.unmodeledMMIOAccesses)),
                ("unknown", .array(r.unknownMMIO.map { u in
                    .object([("address", .string(hex(u.address))), ("region", .string(u.region)),
                             ("reads", .uint(u.reads)), ("writes", .uint(u.writes))])
                })),
            ])),
            ("energy", energyJSON(r)),
        ]
        if includeHost {
            let mips = r.wallSeconds > 0 ? Double(r.instructions) / r.wallSeconds / 1e6 : 0
            pairs.append(("host", .object([
                ("wall_seconds", .double((r.wallSeconds * 1e6).rounded() / 1e6)),
                ("mips", .double((mips * 100).rounded() / 100)),
            ])))
        }
        return .object(pairs)
    }

    /// The whole-chip estimate from the board's datasheet figures: active current per MHz
    /// times clock and supply over active time, plus sleep current over sleep time.
    static func energyJSON(_ r: RunResult) -> JSONValue {
        guard let power = r.board.power, r.board.clockHz > 0 else { return .object([("chip_estimate", .null)]) }
        let clock = Double(r.board.clockHz)
        let activeSeconds = Double(r.timing.cycles - min(r.sleepCycles, r.timing.cycles)) / clock
        let sleepSeconds = Double(r.sleepCycles) / clock
        // µA/MHz × MHz = µA; × V = µW; × s = µJ.
        let activeMicrojoules = power.activeMicroampsPerMHz * clock / 1e6 * power.supplyVolts * activeSeconds
        let sleepMicrojoules = power.sleepMicroamps * power.supplyVolts * sleepSeconds
        func round(_ v: Double) -> Double { (v * 1e9).rounded() / 1e9 }
        return .object([("chip_estimate", .object([
            ("active_uj", .double(round(activeMicrojoules))),
            ("sleep_uj", .double(round(sleepMicrojoules))),
            ("total_uj", .double(round(activeMicrojoules + sleepMicrojoules))),
            ("active_seconds", .double(round(activeSeconds))),
            ("sleep_seconds", .double(round(sleepSeconds))),
        ]))])
    }

    static func timingJSON(_ t: TimingSummary) -> JSONValue {
        .object([
            ("model", .string(t.model)),
            ("by_class", .array(t.byClass.map { c in
                .object([("class", .string(c.name)), ("instructions", .uint(c.instructions)), ("cycles", .uint(c.cycles))])
            })),
            ("fetch_stall_cycles", .uint(t.fetchStallCycles)),
            ("data_stall_cycles", .uint(t.dataStallCycles)),
            ("icache", .object([("hits", .uint(t.cacheHits)), ("misses", .uint(t.cacheMisses))])),
            ("decoded_addresses", .uint(t.decodedAddresses)),
        ])
    }

    static func stopJSON(_ s: StopInfo) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("reason", .string(s.reason.rawValue)),
            ("exit_code", s.exitCode.map { .int(Int64($0)) } ?? .null),
            ("pc", .string(hex(s.pc))),
            ("symbol", s.symbol.map { .string($0) } ?? .null),
            ("message", .string(s.message)),
        ]
        if let limit = s.limit { pairs.append(("limit", .string(limit))) }
        return .object(pairs)
    }
}
