/// An int8 weight matrix [rows][cols] in one of the sparse encodings, laid out byte for byte
/// as the C kernels read it (firmware/kernels/nn_sparse.h). `multiply` is the host reference
/// that walks the same storage the kernel walks.
public struct SparseMatrix: Sendable, Equatable {
    public var encoding: SparseEncoding
    public var rows: Int
    public var cols: Int
    public var values: [Int8]
    /// The index array as little-endian bytes (element size `indexElementBytes`).
    public var index: [UInt8]
    public var indexElementBytes: Int
    /// Entries (CSR, taps) or blocks (block) per row; empty for the other encodings.
    public var rowCount: [UInt16]

    /// The kernel's format number (NN_SPARSE_*): 2:4 over whole groups uses index bytes (NM24).
    public var cFormat: Int {
        switch encoding {
        case .dense: return 0
        case .csr8: return 1
        case .csr16: return 2
        case .bitmask: return 3
        case let .nm(n, m): return SparseMatrix.usesPatternCodes(n: n, m: m, cols: cols) ? 5 : 4
        case .block4: return 6
        case .taps: return 16  // NN_SPARSE_DW_TAPS
        }
    }

    public var weightBytes: Int { values.count }
    public var indexBytes: Int { index.count + 2 * rowCount.count }
    /// Multiplications per column vector: stored entries, fillers and padding included.
    public var executedMACs: Int { values.count }

    static func usesPatternCodes(n: Int, m: Int, cols: Int) -> Bool { n == 2 && m == 4 && cols % 4 == 0 }

    /// The kept positions of each 2:4 pattern (nm24_first / nm24_second in the kernels).
    static let nm24Patterns = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    /// Groups per 2:4 table chunk: the index bytes are offsets within a chunk's 8 x 24 bytes.
    static let nm24Chunk = 8

    /// The 2:4 index byte of group g with pattern p: the byte offset of the pattern's input pair
    /// in the pair table (six words per group) relative to the start of g's chunk.
    static func nm24Offset(group g: Int, pattern p: Int) -> Int { (g % nm24Chunk) * 24 + p * 4 }

    /// The pattern back from an index byte.
    static func nm24Pattern(offset: Int, group g: Int) -> Int { (offset - (g % nm24Chunk) * 24) / 4 }

    /// Encodes `weights` (row-major [rows][cols]). Throws when the encoding cannot hold the
    /// matrix: N:M with a group over N nonzeros, 16-bit indices over 65,535 columns.
    public static func encode(_ weights: [Int8], rows: Int, cols: Int, as encoding: SparseEncoding) throws -> SparseMatrix {
        guard rows > 0, cols > 0, weights.count == rows * cols else {
            throw PruningError.badEncoding(encoding.description, "the weights are not a \(rows) x \(cols) matrix")
        }
        guard cols <= 65535 else { throw PruningError.badEncoding(encoding.description, "the reduction length \(cols) exceeds 65,535") }
        var m = SparseMatrix(encoding: encoding, rows: rows, cols: cols, values: [], index: [], indexElementBytes: 1, rowCount: [])
        func row(_ r: Int) -> ArraySlice<Int8> { weights[(r * cols)..<((r + 1) * cols)] }
        func append16(_ v: Int) { m.index.append(UInt8(v & 0xFF)); m.index.append(UInt8(v >> 8)) }
        switch encoding {
        case .dense:
            m.values = weights
            m.indexElementBytes = 0
        case .csr8:
            for r in 0..<rows {
                var last = 0, count = 0
                for (c, v) in zip(0..., row(r)) where v != 0 {
                    var gap = c - last
                    while gap > 255 { m.values.append(0); m.index.append(255); gap -= 255; count += 1 }
                    m.values.append(v); m.index.append(UInt8(gap)); count += 1
                    last = c
                }
                m.rowCount.append(UInt16(count))
            }
        case .taps:
            guard cols <= 256 else { throw PruningError.badEncoding("taps", "a filter of \(cols) taps exceeds 256 (uint8 tap numbers)") }
            for r in 0..<rows {
                var count = 0
                for (c, v) in zip(0..., row(r)) where v != 0 { m.values.append(v); m.index.append(UInt8(c)); count += 1 }
                m.rowCount.append(UInt16(count))
            }
        case .csr16:
            m.indexElementBytes = 2
            for r in 0..<rows {
                var count = 0
                for (c, v) in zip(0..., row(r)) where v != 0 { m.values.append(v); append16(c); count += 1 }
                m.rowCount.append(UInt16(count))
            }
        case .bitmask:
            m.indexElementBytes = 4
            let words = (cols + 31) / 32
            for r in 0..<rows {
                var mask = [UInt32](repeating: 0, count: words)
                for (c, v) in zip(0..., row(r)) where v != 0 { mask[c / 32] |= 1 << UInt32(c % 32); m.values.append(v) }
                for word in mask { for b in 0..<4 { m.index.append(UInt8((word >> (8 * UInt32(b))) & 0xFF)) } }
            }
        case let .nm(n, mm):
            try encodeNM(&m, weights: weights, n: n, m: mm)
        case .block4:
            m.indexElementBytes = 2
            let blocks = (cols + 3) / 4
            for r in 0..<rows {
                var count = 0
                for b in 0..<blocks {
                    let lo = r * cols + 4 * b, hi = min(lo + 4, (r + 1) * cols)
                    guard weights[lo..<hi].contains(where: { $0 != 0 }) else { continue }
                    append16(b)
                    m.values.append(contentsOf: weights[lo..<hi])
                    m.values.append(contentsOf: [Int8](repeating: 0, count: 4 - (hi - lo)))
                    count += 1
                }
                m.rowCount.append(UInt16(count))
            }
        }
        return m
    }

    private static func encodeNM(_ m: inout SparseMatrix, weights: [Int8], n: Int, m mm: Int) throws {
        let rows = m.rows, cols = m.cols
        let groups = (cols + mm - 1) / mm
        // Positions of each group's kept entries (padded with zero-valued entries up to N).
        func kept(_ r: Int, _ g: Int) throws -> [Int] {
            let lo = g * mm, hi = min(lo + mm, cols)
            var p = (lo..<hi).filter { weights[r * cols + $0] != 0 }.map { $0 - lo }
            guard p.count <= n else {
                throw PruningError.badEncoding("nm:\(n):\(mm)", "row \(r) group \(g) has \(p.count) nonzeros, more than \(n)")
            }
            var fill = 0
            while p.count < n {
                while p.contains(fill) { fill += 1 }
                p.append(fill)
            }
            return p.sorted()
        }
        if usesPatternCodes(n: n, m: mm, cols: cols) {
            // 2:4: one index byte per group, the byte offset of its pattern's input pair in the
            // kernel's pair table relative to the table of its chunk of eight groups, (g mod 8)
            // x 24 + pattern x 4 (nm24Offset), so that the M4 loads the pair with one LDR; values
            // of groups 2k and 2k+1 interleaved; each row an even number of groups.
            let pairs = (groups + 1) / 2
            for r in 0..<rows {
                for k in 0..<pairs {
                    var vals: [[Int8]] = []
                    for g in [2 * k, 2 * k + 1] {
                        let p = g < groups ? try kept(r, g) : [0, 1]
                        m.index.append(UInt8(nm24Offset(group: g, pattern: nm24Patterns.firstIndex(of: p) ?? 0)))
                        vals.append(g < groups ? p.map { weights[r * cols + 4 * g + $0] } : [0, 0])
                    }
                    m.values.append(contentsOf: [vals[0][0], vals[1][0], vals[0][1], vals[1][1]])
                }
            }
            return
        }
        var nibbles: [Int] = []
        for r in 0..<rows {
            for g in 0..<groups {
                for p in try kept(r, g) {
                    let c = g * mm + p
                    m.values.append(c < cols ? weights[r * cols + c] : 0)
                    nibbles.append(c < cols ? p : 0)
                }
            }
        }
        for i in stride(from: 0, to: nibbles.count, by: 2) {
            m.index.append(UInt8(nibbles[i] | (i + 1 < nibbles.count ? nibbles[i + 1] << 4 : 0)))
        }
    }

    /// The dense matrix back from the encoded storage.
    public func decode() -> [Int8] {
        var out = [Int8](repeating: 0, count: rows * cols)
        forEachEntry { r, c, v in if v != 0 { out[r * cols + c] = v } }
        return out
    }

    /// The host reference: the int32 dot product of every row with `x`, walking the encoded
    /// storage in the kernel's order.
    public func multiply(_ x: [Int8]) -> [Int32] {
        var acc = [Int32](repeating: 0, count: rows)
        forEachEntry { r, c, v in acc[r] &+= Int32(v) * Int32(c < x.count ? x[c] : 0) }
        return acc
    }

    /// Visits every stored entry as (row, column, value), in storage order.
    func forEachEntry(_ body: (Int, Int, Int8) -> Void) {
        func u16(_ i: Int) -> Int { Int(index[2 * i]) | Int(index[2 * i + 1]) << 8 }
        switch encoding {
        case .dense:
            for (i, v) in values.enumerated() { body(i / max(cols, 1), i % max(cols, 1), v) }
        case .csr8, .csr16, .block4, .taps:
            var e = 0
            for r in 0..<rows {
                var col = 0
                for _ in 0..<Int(rowCount[r]) {
                    switch encoding {
                    case .csr8:
                        col += Int(index[e]); body(r, col, values[e])
                    case .csr16:
                        body(r, u16(e), values[e])
                    case .taps:
                        body(r, Int(index[e]), values[e])
                    default:
                        for j in 0..<4 where 4 * u16(e) + j < cols { body(r, 4 * u16(e) + j, values[4 * e + j]) }
                    }
                    e += 1
                }
            }
        case .bitmask:
            let words = (cols + 31) / 32
            var v = 0
            for r in 0..<rows {
                for k in 0..<words {
                    let base = 4 * (r * words + k)
                    let word = UInt32(index[base]) | UInt32(index[base + 1]) << 8 | UInt32(index[base + 2]) << 16 | UInt32(index[base + 3]) << 24
                    for j in 0..<32 where word & (1 << UInt32(j)) != 0 { body(r, 32 * k + j, values[v]); v += 1 }
                }
            }
        case let .nm(n, m):
            let groups = (cols + m - 1) / m
            if SparseMatrix.usesPatternCodes(n: n, m: m, cols: cols) {
                let pairs = (groups + 1) / 2
                for r in 0..<rows {
                    for k in 0..<pairs {
                        let i = r * pairs + k, v = Array(values[(4 * i)..<(4 * i + 4)])
                        for (j, g) in [2 * k, 2 * k + 1].enumerated() where g < groups {
                            let p = SparseMatrix.nm24Patterns[SparseMatrix.nm24Pattern(offset: Int(index[2 * i + j]), group: g)]
                            body(r, 4 * g + p[0], v[j]); body(r, 4 * g + p[1], v[j + 2])
                        }
                    }
                }
            } else {
                var e = 0
                for r in 0..<rows {
                    for g in 0..<groups {
                        for _ in 0..<n {
                            let p = Int(index[e / 2] >> (UInt8(e % 2) * 4)) & 15
                            body(r, g * m + p, values[e])
                            e += 1
                        }
                    }
                }
            }
        }
    }
}
