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
            // Rounded to the picosecond so the JSON stays readable and stable.
            ("seconds", .double((r.timing.seconds * 1e12).rounded() / 1e12)),
            ("cpi", .double((r.timing.cpi * 10_000).rounded() / 10_000)),
            ("timing", timingJSON(r.timing)),
            ("console", .object([
                ("stdout", .string(String(decoding: r.stdout, as: UTF8.self))),
                ("stderr", .string(String(decoding: r.stderr, as: UTF8.self))),
                ("truncated", .bool(r.consoleTruncated)),
            ])),
            ("mmio", .object([("unmodeled_accesses", .uint(r.unmodeledMMIOAccesses))])),
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
