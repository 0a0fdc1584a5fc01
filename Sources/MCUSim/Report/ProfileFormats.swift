import Foundation

/// What a stack or span is weighted by.
public enum ProfileWeight: String, Sendable, CaseIterable {
    case cycles, energy
}

/// Collapsed stacks (`a;b;c weight`), read by flamegraph.pl and speedscope.
public enum CollapsedStacks {
    public static func render(_ stacks: [StackSample], weight: ProfileWeight) -> String {
        var out = ""
        for s in stacks {
            let w: UInt64 = weight == .cycles ? s.cycles : UInt64(s.energyPJ.rounded())
            guard w > 0 else { continue }
            out += s.stack.map { $0.replacingOccurrences(of: ";", with: ":") }.joined(separator: ";") + " \(w)\n"
        }
        return out
    }
}

/// Chrome trace-event JSON of function spans in simulated time (microseconds at the board
/// clock), read by Perfetto and chrome://tracing.
public enum ChromeTrace {
    /// Written line by line rather than through JSONValue: call-heavy firmware has hundreds of
    /// thousands of spans, and a value tree per span dominated the run.
    public static func render(_ spans: [CallSpan], clockHz: UInt64, board: String, dropped: UInt64) -> String {
        let perMicrosecond = Double(max(clockHz, 1)) / 1e6
        // Parents before children at equal start times, so viewers nest them.
        let ordered = spans.sorted { ($0.start, $0.depth, $1.end) < ($1.start, $1.depth, $0.end) }
        var out = "{\"traceEvents\":[\n"
        var name = ""
        JSONValue.writeString("mcusim \(board)", into: &name)
        out += "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\(name)}}"
        out.reserveCapacity(ordered.count * 140)
        for s in ordered {
            var quoted = ""
            JSONValue.writeString(s.name, into: &quoted)
            out += ",\n{\"name\":\(quoted),\"cat\":\"function\",\"ph\":\"X\",\"ts\":"
            out += JSONValue.format(Double(s.start) / perMicrosecond)
            out += ",\"dur\":" + JSONValue.format(Double(s.end - s.start) / perMicrosecond)
            out += ",\"pid\":1,\"tid\":1,\"args\":{\"cycles\":\(s.end - s.start),\"start_cycle\":\(s.start)}}"
        }
        out += "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"clock_hz\":\(clockHz),\"dropped_spans\":\(dropped)}}\n"
        return out
    }
}

/// A flame graph drawn as SVG, from collapsed stacks: width is the weight, depth the stack.
public enum FlameGraph {
    final class Node {
        let name: String
        var weight: Double = 0
        var children: [String: Node] = [:]
        var order: [String] = []
        init(name: String) { self.name = name }
    }

    public static func render(_ stacks: [StackSample], weight: ProfileWeight, title: String) -> String {
        let root = Node(name: "all")
        for s in stacks {
            let w = weight == .cycles ? Double(s.cycles) : s.energyPJ
            guard w > 0 else { continue }
            root.weight += w
            var node = root
            for name in s.stack {
                if node.children[name] == nil { node.children[name] = Node(name: name); node.order.append(name) }
                node = node.children[name]!
                node.weight += w
            }
        }
        func depth(_ n: Node) -> Int { 1 + (n.children.values.map(depth).max() ?? 0) }
        let width = 1200.0, rowHeight = 18.0, top = 40.0
        let rows = depth(root)
        let height = top + Double(rows) * rowHeight + 10
        let unit = weight == .cycles ? "cycles" : "pJ"
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="\(Int(width / 2))" y="22" text-anchor="middle" font-size="16">\(escape(title))</text>

            """
        guard root.weight > 0 else { return svg + "</svg>\n" }
        let scale = (width - 20) / root.weight
        func draw(_ n: Node, x: Double, level: Int) {
            let w = n.weight * scale
            guard w >= 0.5 else { return }
            let y = height - 10 - Double(level + 1) * rowHeight
            let share = n.weight / root.weight * 100
            let label = "\(n.name) (\(format(n.weight)) \(unit), \(String(format: "%.2f", share))%)"
            svg += "<g><title>\(escape(label))</title>"
            svg += String(format: "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%@\" rx=\"2\"/>",
                          x, y, w, rowHeight - 1, color(for: n.name, energy: weight == .energy))
            if w > 40 {
                let maxChars = Int(w / 7)
                let text = n.name.count > maxChars ? String(n.name.prefix(max(maxChars - 2, 1))) + ".." : n.name
                svg += String(format: "<text x=\"%.2f\" y=\"%.1f\">%@</text>", x + 3, y + rowHeight - 5, escape(text))
            }
            svg += "</g>\n"
            var cx = x
            for name in n.order.sorted() {
                guard let c = n.children[name] else { continue }
                draw(c, x: cx, level: level + 1)
                cx += c.weight * scale
            }
        }
        draw(root, x: 10, level: 0)
        return svg + "</svg>\n"
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && v < 1e15 ? String(Int64(v)) : String(format: "%.1f", v)
    }

    /// A stable warm colour per name (blue-green for energy graphs), as flamegraph.pl does.
    static func color(for name: String, energy: Bool) -> String {
        var hash: UInt32 = 2166136261
        for b in name.utf8 { hash = (hash ^ UInt32(b)) &* 16777619 }
        let a = Double(hash & 0xFF) / 255, b = Double((hash >> 8) & 0xFF) / 255
        if energy { return String(format: "rgb(%d,%d,%d)", Int(50 + 60 * a), Int(140 + 80 * b), Int(160 + 60 * a)) }
        return String(format: "rgb(%d,%d,%d)", Int(205 + 50 * a), Int(80 + 120 * b), Int(40 + 40 * a))
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
