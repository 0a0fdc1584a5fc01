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
