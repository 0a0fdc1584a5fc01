@testable import MCUSimCommands
import Testing

/// The text report's number formats, against hand-written strings.
@Suite struct TextReportTests {
    @Test("energies print with one decimal and grouped thousands", arguments: [
        (106_406.625, "106,406.6"), (1_234_567.25, "1,234,567.3"), (0, "0.0"), (0.25, "0.3"), (999.5, "999.5"), (-2.5, "-2.5"),
    ])
    func picojoules(value: Double, expected: String) {
        #expect(TextReport.picojoules(value) == expected)
    }

    @Test("whole energies round and group", arguments: [(7_063_529.4, "7,063,529"), (1_942_436.5, "1,942,437"), (0.4, "0"), (-1_500.0, "-1,500")])
    func wholePicojoules(value: Double, expected: String) {
        #expect(TextReport.wholePicojoules(value) == expected)
    }

    @Test("counts group thousands with commas")
    func grouped() {
        #expect(TextReport.grouped(0) == "0")
        #expect(TextReport.grouped(999) == "999")
        #expect(TextReport.grouped(1_000) == "1,000")
        #expect(TextReport.grouped(52_929_843) == "52,929,843")
    }
}
