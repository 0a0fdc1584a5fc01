import Foundation

/// A problem found while reading a flatbuffer: every read is bounds-checked and reports
/// one of these instead of trapping.
public struct FlatBufferError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A read-only, bounds-checked view of a flatbuffer (https://flatbuffers.dev/internals/).
///
/// Layout reminders: little-endian throughout; the buffer starts with a uoffset (u32) to the
/// root table, optionally followed by a 4-byte file identifier. A table starts with an soffset
/// (i32): its vtable lives at `table - soffset`. A vtable is u16 vtable size, u16 table size,
/// then one u16 per field (the field's offset from the table start, 0 = absent/default).
/// Offsets to tables, vectors and strings are u32 relative to where they are stored. A vector
/// is a u32 count followed by its elements; a string is a vector of bytes plus a NUL.
public struct FlatBuffer: Sendable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A table: its absolute position and the position and size of its vtable.
    public struct Table: Sendable {
        public let position: Int
        let vtable: Int
        let vtableSize: Int
    }

    /// A vector: where its first element is and how many elements it has.
    public struct Vector: Sendable {
        public let start: Int
        public let count: Int
        public let elementSize: Int
        public func position(_ i: Int) -> Int { start + i * elementSize }
    }

    // MARK: - Primitive reads

    /// Throws unless `[position, position + size)` lies inside the buffer.
    public func check(_ position: Int, _ size: Int, _ what: @autoclosure () -> String) throws {
        guard position >= 0, size >= 0, position <= bytes.count, size <= bytes.count - position else {
            throw FlatBufferError("\(what()) at byte \(position) (+\(size)) lies outside the \(bytes.count)-byte file")
        }
    }

    public func u8(_ p: Int) throws -> UInt8 {
        try check(p, 1, "a byte")
        return bytes[p]
    }

    public func u16(_ p: Int) throws -> UInt16 {
        try check(p, 2, "a 16-bit value")
        return UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8
    }

    public func u32(_ p: Int) throws -> UInt32 {
        try check(p, 4, "a 32-bit value")
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[p + k]) << (8 * UInt32(k)) }
        return v
    }

    public func u64(_ p: Int) throws -> UInt64 {
        try check(p, 8, "a 64-bit value")
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[p + k]) << (8 * UInt64(k)) }
        return v
    }

    public func i8(_ p: Int) throws -> Int8 { Int8(bitPattern: try u8(p)) }
    public func i32(_ p: Int) throws -> Int32 { Int32(bitPattern: try u32(p)) }
    public func i64(_ p: Int) throws -> Int64 { Int64(bitPattern: try u64(p)) }
    public func f32(_ p: Int) throws -> Float { Float(bitPattern: try u32(p)) }

    /// Follows the uoffset stored at `p`.
    public func follow(_ p: Int) throws -> Int {
        let target = p + Int(try u32(p))
        try check(target, 0, "an offset target")
        return target
    }

    // MARK: - Structure

    /// The 4 bytes after the root offset (the file identifier), if the buffer is long enough.
    public var fileIdentifier: String? {
        guard bytes.count >= 8 else { return nil }
        return String(decoding: bytes[4..<8], as: UTF8.self)
    }

    public func rootTable() throws -> Table {
        guard bytes.count >= 8 else {
            throw FlatBufferError("file is \(bytes.count) bytes, too short for a flatbuffer header")
        }
        return try table(at: try follow(0))
    }

    /// The table at an absolute position, with its vtable validated.
    public func table(at position: Int) throws -> Table {
        try check(position, 4, "a table")
        let vt = position - Int(try i32(position))
        try check(vt, 4, "a vtable")
        let vtSize = Int(try u16(vt))
        let tableSize = Int(try u16(vt + 2))
        guard vtSize >= 4, vtSize % 2 == 0 else {
            throw FlatBufferError("vtable at byte \(vt) has an invalid size \(vtSize)")
        }
        try check(vt, vtSize, "a vtable")
        try check(position, tableSize, "a table body")
        return Table(position: position, vtable: vt, vtableSize: vtSize)
    }

    /// Absolute position of field `id` of `t`, or nil when the field is absent.
    public func field(_ t: Table, _ id: Int, size: Int) throws -> Int? {
        let slot = 4 + 2 * id
        guard slot + 2 <= t.vtableSize else { return nil }
        let off = Int(try u16(t.vtable + slot))
        guard off != 0 else { return nil }
        try check(t.position + off, size, "field \(id) of the table at byte \(t.position)")
        return t.position + off
    }

    public func u8(_ t: Table, _ id: Int, default d: UInt8 = 0) throws -> UInt8 {
        guard let p = try field(t, id, size: 1) else { return d }
        return try u8(p)
    }

    public func i8(_ t: Table, _ id: Int, default d: Int8 = 0) throws -> Int8 {
        guard let p = try field(t, id, size: 1) else { return d }
        return try i8(p)
    }

    public func bool(_ t: Table, _ id: Int, default d: Bool = false) throws -> Bool {
        guard let p = try field(t, id, size: 1) else { return d }
        return try u8(p) != 0
    }

    public func u32(_ t: Table, _ id: Int, default d: UInt32 = 0) throws -> UInt32 {
        guard let p = try field(t, id, size: 4) else { return d }
        return try u32(p)
    }

    public func i32(_ t: Table, _ id: Int, default d: Int32 = 0) throws -> Int32 {
        guard let p = try field(t, id, size: 4) else { return d }
        return try i32(p)
    }

    public func u64(_ t: Table, _ id: Int, default d: UInt64 = 0) throws -> UInt64 {
        guard let p = try field(t, id, size: 8) else { return d }
        return try u64(p)
    }

    public func f32(_ t: Table, _ id: Int, default d: Float = 0) throws -> Float {
        guard let p = try field(t, id, size: 4) else { return d }
        return try f32(p)
    }

    /// A sub-table (or union value) field.
    public func table(_ t: Table, _ id: Int) throws -> Table? {
        guard let p = try field(t, id, size: 4) else { return nil }
        return try table(at: try follow(p))
    }

    /// A vector field; its whole extent is checked against the buffer.
    public func vector(_ t: Table, _ id: Int, elementSize: Int) throws -> Vector? {
        guard let p = try field(t, id, size: 4) else { return nil }
        return try vector(at: try follow(p), elementSize: elementSize)
    }

    public func vector(at v: Int, elementSize: Int) throws -> Vector {
        let count = Int(try u32(v))
        try check(v + 4, count * elementSize, "a vector of \(count) elements")
        return Vector(start: v + 4, count: count, elementSize: elementSize)
    }

    /// Element `i` of a vector of tables.
    public func table(in v: Vector, _ i: Int) throws -> Table {
        guard i >= 0, i < v.count else { throw FlatBufferError("vector index \(i) out of range 0..<\(v.count)") }
        return try table(at: try follow(v.position(i)))
    }

    public func string(_ t: Table, _ id: Int) throws -> String? {
        guard let v = try vector(t, id, elementSize: 1) else { return nil }
        return String(decoding: bytes[v.start..<(v.start + v.count)], as: UTF8.self)
    }

    public func byteArray(_ v: Vector) -> [UInt8] {
        Array(bytes[v.start..<(v.start + v.count * v.elementSize)])
    }

    public func i32Array(_ t: Table, _ id: Int) throws -> [Int32]? {
        guard let v = try vector(t, id, elementSize: 4) else { return nil }
        return try (0..<v.count).map { try i32(v.position($0)) }
    }

    public func i64Array(_ t: Table, _ id: Int) throws -> [Int64]? {
        guard let v = try vector(t, id, elementSize: 8) else { return nil }
        return try (0..<v.count).map { try i64(v.position($0)) }
    }

    public func f32Array(_ t: Table, _ id: Int) throws -> [Float]? {
        guard let v = try vector(t, id, elementSize: 4) else { return nil }
        return try (0..<v.count).map { try f32(v.position($0)) }
    }
}
