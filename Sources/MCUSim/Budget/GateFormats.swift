import Foundation

/// How gate results are shown: one line per check, JUnit XML, and a Markdown summary.
public enum GateFormats {
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "missing" }
        if v == v.rounded() && abs(v) < 1e15 {
            let s = String(Int64(v))
            var out = ""
            for (i, c) in s.enumerated() {
                if i > 0, c != "-", (s.count - i) % 3 == 0, s.first != "-" || i > 1 { out.append(",") }
                out.append(c)
            }
            return out
        }
        return String(format: "%.6g", v)
    }

    static func percent(_ c: GateCheck) -> String {
        guard c.reference != 0, c.actual.isFinite else { return "" }
        return String(format: " (%+.1f%%)", (c.actual - c.reference) / c.reference * 100)
    }

    /// `FAIL cycles: limit 20,000,000, actual 21,327,391, excess 1,327,391 (+6.6%)`.
    public static func line(_ c: GateCheck) -> String {
        let status = c.passed ? "ok  " : "FAIL"
        let what = c.kind == .budget ? "limit" : "baseline"
        var text = "\(status) \(c.metric): \(what) \(number(c.reference))"
        if c.kind == .baseline && c.tolerancePercent > 0 { text += String(format: " (+%g%% allowed)", c.tolerancePercent) }
        text += ", actual \(number(c.actual))"
        if !c.actual.isFinite { return text + " (the report has no such figure)" }
        if !c.passed { text += ", excess \(number(c.excess))" }
        else if c.kind == .baseline && c.actual < c.reference { text += ", improved" }
        return text + percent(c)
    }

    public static func junit(_ checks: [GateCheck], name: String) -> String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let failures = checks.filter { !$0.passed }.count
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites tests=\"\(checks.count)\" failures=\"\(failures)\">\n"
        out += "  <testsuite name=\"\(escape(name))\" tests=\"\(checks.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
        for c in checks {
            out += "    <testcase classname=\"mcusim.gate.\(c.kind.rawValue)\" name=\"\(escape(c.metric))\""
            if c.passed {
                out += "/>\n"
            } else {
                out += ">\n      <failure message=\"\(escape(line(c)))\" type=\"\(c.kind == .budget ? "over-budget" : "regression")\"/>\n"
                out += "    </testcase>\n"
            }
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    /// A Markdown table for GitHub's step summary.
    public static func markdown(_ checks: [GateCheck], title: String) -> String {
        let failures = checks.filter { !$0.passed }.count
        var out = "### \(title): \(failures == 0 ? "passed" : "\(failures) of \(checks.count) failed")\n\n"
        out += "| | Metric | Limit or baseline | Actual | Change |\n|---|---|---|---|---|\n"
        for c in checks {
            out += "| \(c.passed ? "✅" : "❌") | `\(c.metric)` | \(number(c.reference))\(c.kind == .baseline ? " (baseline)" : "") | \(number(c.actual)) |\(percent(c)) |\n"
        }
        return out
    }
}
