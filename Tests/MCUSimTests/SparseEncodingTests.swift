import Foundation
import MCUGen
import Testing

/// The sparse encodings on the host: every one round-trips to the dense matrix, its reference
/// product equals the dense product, and its storage matches a hand count.
@Suite struct SparseEncodingTests {
    /// A [rows][cols] int8 matrix with about `density` nonzeros (fixed seed), optionally N:M.
    static func matrix(rows: Int, cols: Int, density: Double, seed: UInt64, nm: (Int, Int)? = nil) -> [Int8] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var w = (0..<(rows * cols)).map { _ -> Int8 in
            let v = Int8(truncatingIfNeeded: Int(next() % 255) - 127)
            return Double(next() % 10_000) / 10_000 < density ? (v == 0 ? 1 : v) : 0
        }
        if let (n, m) = nm {
            for r in 0..<rows {
                for g in stride(from: 0, to: cols, by: m) {
                    var kept = 0
                    for c in g..<min(g + m, cols) where w[r * cols + c] != 0 {
                        kept += 1
                        if kept > n { w[r * cols + c] = 0 }
                    }
                }
            }
        }
        return w
    }

    static let encodings: [SparseEncoding] = [.csr8, .csr16, .bitmask, .block4, .nm(n: 2, m: 4), .nm(n: 1, m: 4), .nm(n: 2, m: 8)]

    @Test("every encoding round-trips and multiplies like the dense matrix", arguments: encodings)
    func roundTrip(encoding: SparseEncoding) throws {
        let shapes: [(Int, Int, Double)] = [(1, 1, 1.0), (5, 7, 0.5), (8, 64, 0.25), (3, 600, 0.02), (17, 33, 0.9), (4, 12, 0.0), (6, 44, 0.5), (3, 100, 0.5)]
        for (i, shape) in shapes.enumerated() {
            let (rows, cols, density) = shape
            var nm: (Int, Int)?
            if case let .nm(n, m) = encoding { nm = (n, m) }
            let w = Self.matrix(rows: rows, cols: cols, density: density, seed: UInt64(i), nm: nm)
            let m = try SparseMatrix.encode(w, rows: rows, cols: cols, as: encoding)
            #expect(m.decode() == w, "\(encoding) \(rows)x\(cols)")
            let x: [Int8] = (0..<cols).map { c in Int8(truncatingIfNeeded: (c * 37) % 251 - 125) }
            var dense = [Int32](repeating: 0, count: rows)
            for r in 0..<rows { for c in 0..<cols { dense[r] &+= Int32(w[r * cols + c]) * Int32(x[c]) } }
            #expect(m.multiply(x) == dense, "\(encoding) \(rows)x\(cols)")
        }
    }

    @Test("storage matches a hand count")
    func storage() throws {
        // Row 0: nonzeros at columns 0, 3 and 300 (a gap of 297: one filler); row 1: none.
        var w = [Int8](repeating: 0, count: 2 * 320)
        w[0] = 5; w[3] = -7; w[300] = 1
        let csr8 = try SparseMatrix.encode(w, rows: 2, cols: 320, as: .csr8)
        #expect(csr8.values == [5, -7, 0, 1])          // the filler carries 0
        #expect(csr8.index == [0, 3, 255, 42])         // 3 + 255 + 42 = 300
        #expect(csr8.rowCount == [4, 0])
        #expect(csr8.indexBytes == 4 + 2 * 2)
        let csr16 = try SparseMatrix.encode(w, rows: 2, cols: 320, as: .csr16)
        #expect(csr16.values == [5, -7, 1] && csr16.index == [0, 0, 3, 0, 44, 1] && csr16.rowCount == [3, 0])
        let bitmask = try SparseMatrix.encode(w, rows: 2, cols: 320, as: .bitmask)
        #expect(bitmask.indexBytes == 2 * 10 * 4)      // ten 32-bit words per row
        #expect(bitmask.index[0] == 0b1001)            // columns 0 and 3
        let block = try SparseMatrix.encode(w, rows: 2, cols: 320, as: .block4)
        #expect(block.values == [5, 0, 0, -7, 1, 0, 0, 0] && block.rowCount == [2, 0])
        #expect(block.index == [0, 0, 75, 0])          // blocks 0 and 75
        // 2:4: per group two values and an index byte, the byte offset of its pattern's input
        // pair in the pair table (six words per group) within its chunk of eight groups.
        var s = [Int8](repeating: 0, count: 8)
        s[1] = 1; s[3] = 2; s[4] = 3; s[6] = 4         // group 0 keeps 1,3 (pattern 4); group 1 keeps 0,2 (pattern 1)
        let nm24 = try SparseMatrix.encode(s, rows: 1, cols: 8, as: .nm(n: 2, m: 4))
        #expect(nm24.index == [16, 24 + 4] && nm24.values == [1, 3, 2, 4])
        #expect(nm24.weightBytes + nm24.indexBytes == 6)   // 8 dense bytes -> 6: saves 25%
        // Ten groups (an odd row padded to twelve): groups 8 and 9 start the second chunk, the
        // padding groups keep pattern 0 with zero values.
        var t = [Int8](repeating: 0, count: 40)
        t[36] = 9; t[39] = -9                          // group 9 keeps 0,3 (pattern 2)
        let ten = try SparseMatrix.encode(t, rows: 1, cols: 40, as: .nm(n: 2, m: 4))
        #expect(ten.index.count == 10 && ten.index[8] == 0 && ten.index[9] == 24 + 8)
        #expect(ten.values.count == 20 && Array(ten.values[16..<20]) == [0, 9, 0, -9] && ten.decode() == t)
    }

    @Test("an N:M encoding refuses a group with more than N nonzeros")
    func nmRefuses() {
        let w: [Int8] = [1, 2, 3, 0]
        #expect(throws: PruningError.self) { _ = try SparseMatrix.encode(w, rows: 1, cols: 4, as: .nm(n: 2, m: 4)) }
        #expect(throws: PruningError.self) { _ = try SparseMatrix.encode(w, rows: 2, cols: 4, as: .csr8) }
    }

    @Test("auto picks dense for dense weights and a sparse encoding at 90% sparsity")
    func autoChoice() {
        let dense = Self.matrix(rows: 64, cols: 64, density: 1.0, seed: 1)
        #expect(EncodingSelector.choose(dense, rows: 64, cols: 64, candidates: SparseEncoding.candidates(for: nil), dsp: true).encoding == .dense)
        let sparse = Self.matrix(rows: 64, cols: 64, density: 0.1, seed: 2)
        let e = EncodingSelector.choose(sparse, rows: 64, cols: 64, candidates: SparseEncoding.candidates(for: nil), dsp: true).encoding
        #expect(e != .dense, "at 90% a sparse encoding is cheaper by the rule (measured in SparseCostTests)")
    }
}
