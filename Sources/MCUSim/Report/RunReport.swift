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
            ("memory", memoryJSON(r.memory)),
            ("energy", energyJSON(r)),
            ("functions", .array(r.functions.map(functionJSON))),
            ("regions_of_interest", .object(r.regionsOfInterest.map { roi in
                (roi.name, .object([
                    ("entries", .uint(roi.entries)), ("instructions", .uint(roi.instructions)), ("cycles", .uint(roi.cycles)),
                    ("seconds", .double((Double(roi.cycles) / Double(max(r.board.clockHz, 1)) * 1e12).rounded() / 1e12)),
                    ("sleep_cycles", .uint(roi.sleepCycles)),
                    ("memory", .object(MemoryKind.allCases.compactMap { k in
                        roi.traffic[k].map { (k.rawValue, .object([("reads", .uint($0.reads)), ("writes", .uint($0.writes))])) }
                    })),
                    ("energy_pj", roi.energyPJ.map { .double(pj($0)) } ?? .null),
                ]))
            })),
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
        var pairs: [(String, JSONValue)] = []
        if let e = r.energy {
            pairs.append(("model", .string(e.model)))
            pairs.append(("total_pj", .double(pj(e.totalPJ))))
            pairs.append(("by_category", .object(e.byCategory.map { ($0.name, .double(pj($0.pj))) })))
            pairs.append(("memory_pj", .object(e.memoryPJ.map { ($0.kind.rawValue, .double(pj($0.pj))) })))
            pairs.append(("memory_pj_by_region", .object(e.regionPJ.map { ($0.name, .double(pj($0.pj))) })))
        } else {
            pairs.append(("model", .null))
        }
        pairs.append(("chip_estimate", chipEstimateJSON(r)))
        pairs.append(("chip_estimate_uj", chipEstimateJSON(r)["total_uj"] ?? .null))
        return .object(pairs)
    }

    /// pJ rounded to a thousandth (femtojoule resolution) so the JSON is stable and readable.
    static func pj(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }

    static func chipEstimateJSON(_ r: RunResult) -> JSONValue {
        guard let power = r.board.power, r.board.clockHz > 0 else { return .null }
        let clock = Double(r.board.clockHz)
        let activeSeconds = Double(r.timing.cycles - min(r.sleepCycles, r.timing.cycles)) / clock
        let sleepSeconds = Double(r.sleepCycles) / clock
        // µA/MHz × MHz = µA; × V = µW; × s = µJ.
        let activeMicrojoules = power.activeMicroampsPerMHz * clock / 1e6 * power.supplyVolts * activeSeconds
        let sleepMicrojoules = power.sleepMicroamps * power.supplyVolts * sleepSeconds
        func round(_ v: Double) -> Double { (v * 1e9).rounded() / 1e9 }
        return .object([
            ("active_uj", .double(round(activeMicrojoules))),
            ("sleep_uj", .double(round(sleepMicrojoules))),
            ("total_uj", .double(round(activeMicrojoules + sleepMicrojoules))),
            ("active_seconds", .double(round(activeSeconds))),
            ("sleep_seconds", .double(round(sleepSeconds))),
        ])
    }

    static func trafficJSON(_ t: MemoryReport.Traffic) -> [(String, JSONValue)] {
        [("reads", .uint(t.reads)), ("writes", .uint(t.writes)), ("read_bytes", .uint(t.readBytes)),
         ("write_bytes", .uint(t.writeBytes)),
         ("reads_by_width", .object(zip(["1", "2", "4", "8"], t.readsByWidth).map { ($0, .uint($1)) })),
         ("writes_by_width", .object(zip(["1", "2", "4", "8"], t.writesByWidth).map { ($0, .uint($1)) })),
         ("fetches", .uint(t.fetches)), ("fetch_cache_misses", .uint(t.fetchMisses)),
         ("stall_cycles", .uint(t.stallCycles))]
    }

    static func memoryJSON(_ m: MemoryReport) -> JSONValue {
        .object([
            ("by_kind", .object(m.byKind.map { ($0.kind.rawValue, .object(trafficJSON($0.traffic))) })),
            ("regions", .array(m.regions.map { r in
                .object([("name", .string(r.region.name)), ("kind", .string(r.region.kind.rawValue)),
                         ("base", .string(hex(r.region.base))), ("size", .uint(UInt64(r.region.size)))] + trafficJSON(r.traffic))
            })),
            ("fetches", .uint(m.fetches)),
            ("flash_bytes", .uint(m.flashBytes)),
            ("sram_static_bytes", .uint(m.sramStaticBytes)),
            ("dram_static_bytes", .uint(m.dramStaticBytes)),
            ("stack_peak_bytes", .uint(m.stackPeakBytes)),
            ("heap_peak_bytes", .uint(m.heapPeakBytes)),
            ("peak_sram_bytes", .uint(m.peakSRAMBytes)),
            ("mmio", .object(m.mmioAccesses.map { ($0.window, .object([("reads", .uint($0.reads)), ("writes", .uint($0.writes))])) })),
        ])
    }

    static func functionJSON(_ f: FunctionProfile) -> JSONValue {
        .object([
            ("name", .string(f.name)), ("address", .string(hex(f.address))), ("calls", .uint(f.calls)),
            ("instructions", .uint(f.instructions)), ("cycles", .uint(f.cycles)), ("self_cycles", .uint(f.selfCycles)),
            ("energy_pj", .double(pj(f.energyPJ))), ("self_energy_pj", .double(pj(f.selfEnergyPJ))),
            ("memory", .object([("accesses", .uint(f.memoryAccesses)), ("energy_pj", .double(pj(f.memoryEnergyPJ)))])),
        ])
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
