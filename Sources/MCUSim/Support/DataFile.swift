import Foundation
import Yams

/// A typed view of one YAML mapping in a human-edited data file (boards, cost tables,
/// budgets). Every accessor throws an error naming the file, the dotted key and the problem,
/// and `finish()` rejects keys nobody asked for, which is how typos get caught.
public struct DataFileNode {
    public let file: String
    public let path: String
    let node: Node
    private var consumed: Set<String> = []
    private let makeError: @Sendable (String, String, String) -> Error

    public init(file: String, path: String, node: Node,
                makeError: @escaping @Sendable (String, String, String) -> Error) {
        self.file = file
        self.path = path
        self.node = node
        self.makeError = makeError
    }

    /// Parses a whole YAML document whose top level must be a mapping.
    public static func parse(text: String, file: String,
                             makeError: @escaping @Sendable (String, String, String) -> Error) throws -> DataFileNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw makeError(file, "", "not valid YAML: \(DataFileNode.describe(error))")
        } catch {
            throw makeError(file, "", "not valid YAML: \(error)")
        }
        guard let root, root.mapping != nil else {
            throw makeError(file, "", "expected a mapping of keys at the top level")
        }
        return DataFileNode(file: file, path: "", node: root, makeError: makeError)
    }

    static func describe(_ error: YamlError) -> String {
        let text = "\(error)"
        // Yams prints a multi-line excerpt; one line is enough for a CI log.
        return text.split(separator: "\n").first.map(String.init) ?? text
    }

    public func error(_ key: String, _ problem: String) -> Error {
        let line = (self.node.mapping?.first(where: { $0.key.string == key })?.value.mark?.line)
            ?? node.mark?.line
        let where_ = line.map { " (line \($0))" } ?? ""
        return makeError(file, childPath(key), problem + where_)
    }

    public func errorHere(_ problem: String) -> Error {
        let where_ = node.mark.map { " (line \($0.line))" } ?? ""
        return makeError(file, path, problem + where_)
    }

    func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func has(_ key: String) -> Bool { node.mapping?[key] != nil }

    /// The node's text when it is a scalar (a list item, say); nil for mappings and lists.
    public var scalarText: String? {
        if case let .scalar(scalar) = node { return scalar.string }
        return nil
    }

    mutating func take(_ key: String) -> Node? {
        consumed.insert(key)
        guard let value = node.mapping?[key] else { return nil }
        if case .scalar = value, value.null != nil { return nil }
        return value
    }

    public mutating func string(_ key: String) throws -> String? {
        guard let value = take(key) else { return nil }
        guard case let .scalar(scalar) = value else { throw error(key, "expected text") }
        return scalar.string
    }

    public mutating func requiredString(_ key: String) throws -> String {
        guard let s = try string(key), !s.isEmpty else { throw error(key, "missing; this key is required") }
        return s
    }

    /// An unsigned integer: decimal, 0x hex, with `_` separators, or a size with a
    /// KiB/MiB/GiB (or K/M/G, KB/MB) suffix, which data sheets use for memory sizes.
    public mutating func unsigned(_ key: String) throws -> UInt64? {
        guard let value = take(key) else { return nil }
        guard case let .scalar(scalar) = value, let parsed = DataFileNode.parseUnsigned(scalar.string) else {
            throw error(key, "expected a whole number such as 4, 0x20000000 or 96KiB, got '\(value.string ?? "a list or mapping")'")
        }
        return parsed
    }

    public mutating func requiredUnsigned(_ key: String) throws -> UInt64 {
        guard let v = try unsigned(key) else { throw error(key, "missing; this key is required") }
        return v
    }

    public mutating func double(_ key: String) throws -> Double? {
        guard let value = take(key) else { return nil }
        guard case let .scalar(scalar) = value,
              let parsed = Double(scalar.string.replacingOccurrences(of: "_", with: "")), parsed.isFinite else {
            throw error(key, "expected a number, got '\(value.string ?? "a list or mapping")'")
        }
        return parsed
    }

    public mutating func bool(_ key: String) throws -> Bool? {
        guard let value = take(key) else { return nil }
        switch value.string?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "expected true or false, got '\(value.string ?? "a list or mapping")'")
        }
    }

    public mutating func mapping(_ key: String) throws -> DataFileNode? {
        guard let value = take(key) else { return nil }
        guard value.mapping != nil else { throw error(key, "expected a mapping of keys") }
        return DataFileNode(file: file, path: childPath(key), node: value, makeError: makeError)
    }

    public mutating func list(_ key: String) throws -> [DataFileNode]? {
        guard let value = take(key) else { return nil }
        guard let items = value.sequence else { throw error(key, "expected a list") }
        return items.enumerated().map { i, item in
            DataFileNode(file: file, path: "\(childPath(key))[\(i)]", node: item, makeError: makeError)
        }
    }

    /// For list items: each must itself be a mapping.
    public func requireMapping() throws {
        guard node.mapping != nil else { throw errorHere("expected a mapping of keys") }
    }

    /// The keys of a mapping whose keys are data (for example a table of named costs).
    public var keys: [String] { node.mapping?.keys.compactMap { $0.string } ?? [] }

    /// Rejects keys that no accessor consumed: a misspelt key must not be silently ignored.
    public func finish() throws {
        for key in keys where !consumed.contains(key) {
            throw makeError(file, childPath(key), "unknown key" + (node.mapping?[key]?.mark.map { " (line \($0.line))" } ?? ""))
        }
    }

    public static func parseUnsigned(_ raw: String) -> UInt64? {
        var text = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        var multiplier: UInt64 = 1
        let suffixes: [(String, UInt64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
                                            ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30),
                                            ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
        for (suffix, factor) in suffixes where text.hasSuffix(suffix) {
            text = String(text.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            multiplier = factor
            break
        }
        let value: UInt64?
        if text.lowercased().hasPrefix("0x") {
            let digits = text.dropFirst(2)
            // Swift's parser accepts a sign; a data file must not.
            guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else { return nil }
            value = UInt64(digits, radix: 16)
        } else {
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            value = UInt64(text, radix: 10)
        }
        guard let value else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}
