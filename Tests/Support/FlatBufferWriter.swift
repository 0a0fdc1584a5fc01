/// A minimal flatbuffer writer, for TFLite models the fixtures do not cover (hand-built
/// models in TFLiteImportTests, the ADD model checked against the TFLite interpreter).

/// A field value of a hand-built table.
public indirect enum FBField: Sendable {
    case u8(UInt8), i32(Int32), u32(UInt32), f32(Float)
    case table(FBTable), tables([FBTable])
    case i32s([Int32]), i64s([Int64]), f32s([Float]), bytes([UInt8]), string(String)
}

/// A table: field id -> value.
public struct FBTable: Sendable {
    public var fields: [Int: FBField]
    public init(fields: [Int: FBField]) { self.fields = fields }
}

/// Lays objects out front to back: every table is preceded by its vtable and followed by
/// the objects it refers to, so all uoffsets point forward as the format requires.
public struct FBWriter {
    var out: [UInt8] = []

    mutating func align(_ n: Int) { while out.count % n != 0 { out.append(0) } }
    mutating func put32(_ v: UInt32) { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) } }
    mutating func put64(_ v: UInt64) { for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
    mutating func patch(_ at: Int, to target: Int) {
        let v = UInt32(target - at)
        for k in 0..<4 { out[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }

    public static func file(_ root: FBTable, identifier: String = "TFL3") -> [UInt8] {
        var w = FBWriter()
        w.put32(0)
        w.out += Array(identifier.utf8)
        let r = w.table(root)
        w.patch(0, to: r)
        return w.out
    }

    /// Writes a table (vtable first, every field in a 4-byte slot), then its children.
    mutating func table(_ t: FBTable) -> Int {
        let ids = t.fields.keys.sorted()
        let count = (ids.last ?? -1) + 1
        align(4)
        let vt = out.count
        let vtSize = 4 + 2 * count, tableSize = 4 + 4 * ids.count
        for v in [vtSize, tableSize] { out += [UInt8(v & 0xff), UInt8(v >> 8)] }
        for id in 0..<count {
            let slot = ids.firstIndex(of: id).map { 4 + 4 * $0 } ?? 0
            out += [UInt8(slot & 0xff), UInt8(slot >> 8)]
        }
        align(4)
        let start = out.count
        put32(UInt32(start - vt))   // soffset: vtable = table - soffset
        var pending: [(Int, FBField)] = []
        for id in ids {
            let slot = out.count
            switch t.fields[id]! {
            case let .u8(v): put32(UInt32(v))
            case let .i32(v): put32(UInt32(bitPattern: v))
            case let .u32(v): put32(v)
            case let .f32(v): put32(v.bitPattern)
            case let other: put32(0); pending.append((slot, other))
            }
        }
        for (slot, field) in pending { patch(slot, to: child(field)) }
        return start
    }

    mutating func child(_ f: FBField) -> Int {
        align(8)
        switch f {
        case let .table(t): return table(t)
        case let .tables(ts):
            let v = out.count
            put32(UInt32(ts.count))
            let slots = ts.indices.map { v + 4 + 4 * $0 }
            for _ in ts { put32(0) }
            for (slot, t) in zip(slots, ts) { patch(slot, to: table(t)) }
            return v
        case let .i32s(xs): let v = out.count; put32(UInt32(xs.count)); xs.forEach { put32(UInt32(bitPattern: $0)) }; return v
        case let .f32s(xs): let v = out.count; put32(UInt32(xs.count)); xs.forEach { put32($0.bitPattern) }; return v
        case let .i64s(xs): let v = out.count; put32(UInt32(xs.count)); xs.forEach { put64(UInt64(bitPattern: $0)) }; return v
        case let .bytes(xs): let v = out.count; put32(UInt32(xs.count)); out += xs; return v
        case let .string(s): let v = out.count; put32(UInt32(s.utf8.count)); out += Array(s.utf8) + [0]; return v
        default: return 0
        }
    }
}
