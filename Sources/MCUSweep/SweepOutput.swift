import Foundation
import MCUSim

/// The sweep's results as people read them: a table, CSV, versioned JSON, Markdown, and the two
/// Pareto plots as standalone SVG.
public enum SweepOutput {
    public static func csv(_ rows: [SweepRow]) -> String {
        func quote(_ s: String) -> String { s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        return ([SweepRow.columns.joined(separator: ",")] + rows.map { $0.cells.map(quote).joined(separator: ",") }).joined(separator: "\n") + "\n"
    }

    public static func json(_ rows: [SweepRow], model: String) -> String {
        JSONValue.object([
            ("schema", .string("mcusim.sweep/1")),
            ("model", .string((model as NSString).lastPathComponent)),
            ("rows", .array(rows.map(\.json))),
        ]).serialized()
    }

    /// The columns worth a glance, for the terminal and Markdown.
    static let summaryColumns = ["board", "strategy", "sparsity", "finetune", "encoding", "quant", "accuracy", "flash_bytes", "peak_sram_bytes",
                                 "cycles", "latency_ms", "energy_uj", "chip_energy_uj", "dram_accesses", "macs_executed",
                                 "pareto_energy", "pareto_latency", "note"]

    static func summaryCells(_ row: SweepRow) -> [String] {
        let all = Dictionary(uniqueKeysWithValues: zip(SweepRow.columns, row.cells))
        return summaryColumns.map { all[$0] ?? "" }
    }

    public static func markdown(_ rows: [SweepRow]) -> String {
        var s = "| " + summaryColumns.joined(separator: " | ") + " |\n"
        s += "|" + String(repeating: "---|", count: summaryColumns.count) + "\n"
        for r in rows { s += "| " + summaryCells(r).map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n" }
        return s
    }

    /// A plain-text table with aligned columns.
    public static func table(_ rows: [SweepRow]) -> String {
        let data = [summaryColumns] + rows.map(summaryCells)
        let widths = summaryColumns.indices.map { c in data.map { $0[c].count }.max() ?? 0 }
        return data.enumerated().map { i, r in
            var line = zip(r, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            return i == 0 ? line + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") : line
        }.joined(separator: "\n") + "\n"
    }

    /// Accuracy against a cost (energy or latency), one colour per strategy, the frontier drawn
    /// through its points. Nil when no row has both an accuracy and the cost.
    public static func paretoSVG(_ rows: [SweepRow], cost: KeyPath<SweepRow, Double?>, frontier: KeyPath<SweepRow, Bool?>,
                                 xLabel: String, title: String) -> String? {
        let points = rows.compactMap { r -> (SweepRow, Double, Double)? in
            guard r.status == .ok, let a = r.accuracy, let c = r[keyPath: cost] else { return nil }
            return (r, c, a * 100)
        }
        guard !points.isEmpty else { return nil }
        let (w, h, left, right, top, bottom) = (760.0, 480.0, 70.0, 190.0, 40.0, 56.0)
        let xs = points.map(\.1), ys = points.map(\.2)
        let (x0, x1) = niceRange(xs.min() ?? 0, xs.max() ?? 1), (y0, y1) = niceRange(ys.min() ?? 0, ys.max() ?? 100)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (w - left - right) }
        func py(_ y: Double) -> Double { h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom) }
        let strategies = Array(Set(points.map { $0.0.configuration.strategyLabel })).sorted()
        let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
        func color(_ s: String) -> String { palette[(strategies.firstIndex(of: s) ?? 0) % palette.count] }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" viewBox="0 0 \(Int(w)) \(Int(h))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Int(left))" y="22" font-size="15" font-weight="bold">\(xml(title))</text>

            """
        // Axes, ticks and grid.
        for t in ticks(x0, x1) {
            svg += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(h - bottom))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(f(px(t)))\" y=\"\(f(h - bottom + 16))\" text-anchor=\"middle\">\(label(t))</text>\n"
        }
        for t in ticks(y0, y1) {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(w - right))\" y2=\"\(f(py(t)))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(label(t))</text>\n"
        }
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(w - left - right))\" height=\"\(f(h - top - bottom))\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(f((left + w - right) / 2))\" y=\"\(f(h - 14))\" text-anchor=\"middle\">\(xml(xLabel))</text>\n"
        svg += "<text transform=\"translate(18 \(f((top + h - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">accuracy on the simulator (%)</text>\n"
        // The frontier, cheapest first.
        let front = points.filter { $0.0[keyPath: frontier] == true }.sorted { $0.1 < $1.1 }
        if front.count > 1 {
            let path = front.map { "\(f(px($0.1))),\(f(py($0.2)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#222\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n"
        }
        for (r, x, y) in points {
            let c = r.configuration
            let tip = "\(c.strategyLabel) \(c.sparsity.map { String(format: "%.2f", $0) } ?? "") \(c.encoding) \(c.quant) on \(c.board): "
                + String(format: "%.2f%%, %@ %.4g", y, xLabel, x)
            let onFront = r[keyPath: frontier] == true
            svg += "<circle cx=\"\(f(px(x)))\" cy=\"\(f(py(y)))\" r=\"\(onFront ? 6 : 4)\" fill=\"\(color(c.strategyLabel))\""
                + (onFront ? " stroke=\"#000\" stroke-width=\"1.5\"" : " fill-opacity=\"0.8\"") + "><title>\(xml(tip))</title></circle>\n"
        }
        // Legend.
        for (i, s) in strategies.enumerated() {
            let y = top + 10 + Double(i) * 18
            svg += "<circle cx=\"\(f(w - right + 18))\" cy=\"\(f(y))\" r=\"5\" fill=\"\(color(s))\"/>"
            svg += "<text x=\"\(f(w - right + 30))\" y=\"\(f(y + 4))\">\(xml(s))</text>\n"
        }
        let ly = top + 10 + Double(strategies.count) * 18 + 8
        svg += "<line x1=\"\(f(w - right + 10))\" y1=\"\(f(ly))\" x2=\"\(f(w - right + 26))\" y2=\"\(f(ly))\" stroke=\"#222\" stroke-dasharray=\"5 3\"/>"
        svg += "<text x=\"\(f(w - right + 30))\" y=\"\(f(ly + 4))\">Pareto frontier</text>\n</svg>\n"
        return svg
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func xml(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Axis bounds padded by 5% and widened when all values are equal.
    static func niceRange(_ lo: Double, _ hi: Double) -> (Double, Double) {
        let span = hi - lo
        if span <= 0 { return (lo - max(abs(lo) * 0.1, 1), hi + max(abs(hi) * 0.1, 1)) }
        return (lo - span * 0.05, hi + span * 0.05)
    }

    /// About five round tick values inside [lo, hi].
    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        let raw = (hi - lo) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var t = (lo / step).rounded(.up) * step, out: [Double] = []
        while t <= hi + step * 1e-9, out.count < 20 { out.append(t); t += step }
        return out
    }

    static func label(_ v: Double) -> String {
        abs(v) >= 1000 || (abs(v) < 0.01 && v != 0) ? String(format: "%.2e", v) : String(format: "%.4g", v)
    }
}
