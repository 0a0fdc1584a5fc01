import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// 2:4 against dense on the three SparseCostTests shapes only (no other encodings, so it runs
/// in a fraction of SparseCostTests' time), with the self cycles of the functions the 2:4
/// layer spends them in. For working on the 2:4 kernels; SparseCostTests stays the evidence.
@Suite(.serialized) struct Nm24CostTests {
    @Test("2:4 against dense on FC 256->64, FC 64->32 and a 1x1 conv 64->64", arguments: ["max32660", "samd21"])
    func nm24(board: String) throws {
        for shape in SparseCostTests.Shape.allCases {
            let rows = shape.rows, cols = shape.cols
            let dense = try SparseCostTests.measure(SparseCostTests.model(shape, layers: [SparseCostTests.weights(rows: rows, cols: cols, sparsity: 0, seed: 1)]),
                                                    encoding: .dense, board: board, name: "\(board)-\(shape.tag)-dense")[0]
            let nm = try SparseCostTests.measure(SparseCostTests.model(shape, layers: [SparseCostTests.weights(rows: rows, cols: cols, sparsity: 0.5, seed: 3, nm: (2, 4))]),
                                                 encoding: .nm(n: 2, m: 4), board: board, name: "\(board)-\(shape.tag)-nm24")[0]
            OutputCapture.log("nm24 on \(board), \(shape.rawValue): dense \(dense) cycles; 2:4 \(nm) (\(String(format: "%.2f", Double(dense) / Double(nm)))x)")
        }
    }
}
