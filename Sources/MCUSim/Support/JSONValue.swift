/// An ordered JSON value. Reports are written through this instead of JSONEncoder so that
/// key order follows the documented schema and number formatting is byte-stable.
public indirect enum JSONValue: Equatable, Sendable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case null

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.serialized() == rhs.serialized()
    }

    /// Looks up a key of an object (first match); nil for other values.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.first(where: { $0.0 == key })?.1
    }

    public func serialized(pretty: Bool = true) -> String {
        var out = ""
        write(into: &out, indent: pretty ? 0 : -1)
        if pretty { out += "\n" }
        return out
    }

    private func write(into out: inout String, indent: Int) {
        let pretty = indent >= 0
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let closePad = pretty ? String(repeating: "  ", count: indent) : ""
        switch self {
        case let .object(pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += pretty ? "{\n" : "{"
            for (i, (key, value)) in pairs.enumerated() {
                out += pad
                JSONValue.writeString(key, into: &out)
                out += pretty ? ": " : ":"
                value.write(into: &out, indent: pretty ? indent + 1 : -1)
                if i < pairs.count - 1 { out += "," }
                if pretty { out += "\n" }
            }
            out += closePad + "}"
        case let .array(values):
            if values.isEmpty { out += "[]"; return }
            out += pretty ? "[\n" : "["
            for (i, value) in values.enumerated() {
                out += pad
                value.write(into: &out, indent: pretty ? indent + 1 : -1)
                if i < values.count - 1 { out += "," }
                if pretty { out += "\n" }
            }
            out += closePad + "]"
        case let .string(s): JSONValue.writeString(s, into: &out)
        case let .int(v): out += String(v)
        case let .uint(v): out += String(v)
        case let .double(v): out += JSONValue.format(v)
        case let .bool(v): out += v ? "true" : "false"
        case .null: out += "null"
        }
    }

    /// Shortest round-trip decimal; non-finite values have no JSON form and become null.
    static func format(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
