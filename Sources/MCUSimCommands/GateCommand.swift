import ArgumentParser
import Foundation
import MCUSim

/// `mcusim gate`: fail CI when a run is over budget or regressed against a baseline.
struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Check a run against an energy/latency/memory budget and a baseline report, for CI.",
        discussion: """
        The input is a report (from `mcusim run --report`) or a firmware ELF, which is run first on \
        --board. Limits come from a YAML budget file (docs/gate.md); a baseline report is compared \
        metric by metric and fails where the new value is worse by more than --tolerance percent. \
        One line per check goes to stdout. Exit status: 0 when everything holds, 1 when a limit is \
        exceeded or a metric regressed, 65 for bad input (report, budget, firmware), 64 usage.
        """
    )

    @Argument(help: ArgumentHelp("A report (.json) or a firmware image (.elf, run on --board).", valueName: "report.json|firmware.elf"))
    var input: String

    @OptionGroup var boardOption: BoardOption

    /// Used when the input is an ELF, which gate runs first.
    @OptionGroup var charging: ChargingOption

    @Option(name: .long, help: ArgumentHelp("The budget file (YAML).", valueName: "file"))
    var budget: String?

    @Option(name: .long, help: ArgumentHelp("A baseline report to compare against.", valueName: "report.json"))
    var baseline: String?

    @Option(name: .long, help: ArgumentHelp("Allowed increase over the baseline, in percent.", valueName: "pct"))
    var tolerance: Double = 0

    @Option(name: .long, help: ArgumentHelp("Write JUnit XML (one testcase per check).", valueName: "file"))
    var junit: String?

    @Option(name: .long, help: ArgumentHelp("Write a Markdown summary (for $GITHUB_STEP_SUMMARY).", valueName: "file"))
    var summary: String?

    func validate() throws {
        guard budget != nil || baseline != nil else { throw ValidationError("give --budget, --baseline or both") }
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a non-negative percentage") }
    }

    func run() throws {
        let report: [String: Any]
        if input.hasSuffix(".json") {
            report = try Gate.loadReport(path: input)
        } else {
            let board = try boardOption.load()
            let image = try ELFLoader.load(path: input)
            var options = RunOptions()
            options.blockCharging = charging.blockCharging
            options.costTable = try? CostTable.resolve(for: board, override: nil, library: BoardLibrary.locate())
            let result = try Machine(board: board, image: image, options: options).run()
            guard let data = RunReport.json(result).serialized().data(using: .utf8),
                  let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CommandError.io("cannot render the report of \(input)")
            }
            report = object
        }
        let checks = try GateCommand.evaluate(report: report, budget: budget, baseline: baseline, tolerance: tolerance)
        for c in checks { print(GateFormats.line(c)) }
        func write(_ text: String, _ path: String) throws {
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw CommandError.io("\(path): cannot write: \(error.localizedDescription)")
            }
        }
        if let junit { try write(GateFormats.junit(checks, name: "mcusim gate \((input as NSString).lastPathComponent)"), junit) }
        if let summary { try write(GateFormats.markdown(checks, title: "mcusim gate \((input as NSString).lastPathComponent)"), summary) }
        if checks.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }

    static func evaluate(report: [String: Any], budget: String?, baseline: String?, tolerance: Double) throws -> [GateCheck] {
        let metrics = Gate.metrics(of: report)
        var checks: [GateCheck] = []
        if let budget { checks += Gate.check(metrics: metrics, budget: try Budget.load(path: budget)) }
        if let baseline {
            checks += Gate.compare(metrics: metrics, baseline: Gate.metrics(of: try Gate.loadReport(path: baseline)),
                                   tolerancePercent: tolerance)
        }
        return checks
    }
}
