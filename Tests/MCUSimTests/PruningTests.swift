import Foundation
import MCUGen
import MCUTestSupport
import Testing

/// Pruning strategies on models built in the test: each reaches its sparsity and pattern,
/// counted here from the weights, not taken from the pruner's own report.
@Suite struct PruningTests {
    /// A float model input [1, 5, 7, 3] -> conv 3x3 SAME (8 filters) -> conv 1x1 (12) -> flatten ->
    /// FC 420 -> 20 -> FC 20 -> 10, weights drawn from a fixed-seed generator.
    static func floatModel(seed: UInt64 = 3) -> Model {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
        func floats(_ n: Int) -> [UInt8] {
            (0..<n).flatMap { _ -> [UInt8] in let b = next().bitPattern; return [0, 8, 16, 24].map { UInt8((b >> $0) & 0xFF) } }
        }
        var t: [Tensor] = []
        func add(_ name: String, _ shape: [Int], data: Bool = false) -> Int {
            t.append(Tensor(name: name, shape: shape, type: .float32, data: data ? floats(shape.reduce(1, *)) : nil))
            return t.count - 1
        }
        let x = add("x", [1, 5, 7, 3])
        let w0 = add("w0", [8, 3, 3, 3], data: true), b0 = add("b0", [8], data: true), a0 = add("a0", [1, 5, 7, 8])
        let w1 = add("w1", [12, 1, 1, 8], data: true), b1 = add("b1", [12], data: true), a1 = add("a1", [1, 5, 7, 12])
        let f = add("flat", [1, 420])
        let w2 = add("w2", [20, 420], data: true), b2 = add("b2", [20], data: true), a2 = add("a2", [1, 20])
        let w3 = add("w3", [10, 20], data: true), b3 = add("b3", [10], data: true), y = add("y", [1, 10])
        let conv = OperatorOptions.conv2D(Conv2DOptions(padding: .same, strideW: 1, strideH: 1, activation: .relu))
        let ops = [
            Operator(kind: .conv2D, inputs: [x, w0, b0], outputs: [a0], options: conv),
            Operator(kind: .conv2D, inputs: [a0, w1, b1], outputs: [a1], options: conv),
            Operator(kind: .reshape, inputs: [a1], outputs: [f], options: .reshape(newShape: [1, 420])),
            Operator(kind: .fullyConnected, inputs: [f, w2, b2], outputs: [a2], options: .fullyConnected(FullyConnectedOptions(activation: .relu))),
            Operator(kind: .fullyConnected, inputs: [a2, w3, b3], outputs: [y], options: .fullyConnected(FullyConnectedOptions())),
        ]
        return Model(name: "pruning-test", tensors: t, operators: ops, inputs: [x], outputs: [y])
    }

    static func weights(_ m: Model, _ layer: Int) -> [Float] {
        let d = m.tensors[m.operators[layer].inputs[1]].data ?? []
        return stride(from: 0, to: d.count, by: 4).map {
            Float(bitPattern: UInt32(d[$0]) | UInt32(d[$0 + 1]) << 8 | UInt32(d[$0 + 2]) << 16 | UInt32(d[$0 + 3]) << 24)
        }
    }

    static func zeros(_ w: [Float]) -> Int { w.filter { $0 == 0 }.count }

    @Test("layer-wise magnitude and random reach the sparsity in every layer; magnitude removes the smallest",
          arguments: ["magnitude", "random", "random:seed=9"])
    func uniformSparsity(strategy: String) throws {
        let model = Self.floatModel()
        let spec = try PruningSpec.parse(strategy, sparsity: 0.75)
        let pruned = try Pruner.prune(model, spec: spec, file: "t").model
        for layer in [0, 1, 3, 4] {
            let before = Self.weights(model, layer), after = Self.weights(pruned, layer)
            #expect(Self.zeros(after) == Int((Double(before.count) * 0.75).rounded()), "layer \(layer)")
            if strategy == "magnitude" {
                let kept = zip(before, after).filter { $0.1 != 0 }.map { abs($0.0) }
                let removed = zip(before, after).filter { $0.1 == 0 }.map { abs($0.0) }
                #expect((removed.max() ?? 0) <= (kept.min() ?? .infinity), "layer \(layer): a removed weight outweighs a kept one")
            }
            // Kept weights are unchanged.
            for (b, a) in zip(before, after) where a != 0 { #expect(a == b) }
        }
    }

    @Test("random masks depend on the seed and repeat for the same seed")
    func randomSeed() throws {
        let model = Self.floatModel()
        let a = try Pruner.prune(model, spec: PruningSpec.parse("random:seed=1", sparsity: 0.5), file: "t").model
        let b = try Pruner.prune(model, spec: PruningSpec.parse("random:seed=1", sparsity: 0.5), file: "t").model
        let c = try Pruner.prune(model, spec: PruningSpec.parse("random:seed=2", sparsity: 0.5), file: "t").model
        #expect(Self.weights(a, 3) == Self.weights(b, 3))
        #expect(Self.weights(a, 3) != Self.weights(c, 3))
    }

    @Test("global magnitude: one threshold over all layers, total sparsity exact")
    func globalMagnitude() throws {
        let model = Self.floatModel()
        let pruned = try Pruner.prune(model, spec: PruningSpec.parse("global-magnitude", sparsity: 0.8), file: "t").model
        var kept: [Float] = [], removed: [Float] = [], total = 0
        for layer in [0, 1, 3, 4] {
            for (b, a) in zip(Self.weights(model, layer), Self.weights(pruned, layer)) {
                if a == 0 { removed.append(abs(b)) } else { kept.append(abs(b)) }
                total += 1
            }
        }
        #expect(removed.count == Int((Double(total) * 0.8).rounded()))
        #expect((removed.max() ?? 0) <= (kept.min() ?? .infinity))
    }

    @Test("ERK gives small layers a higher density and keeps the total")
    func erk() throws {
        let model = Self.floatModel()
        let pruned = try Pruner.prune(model, spec: PruningSpec.parse("global-magnitude", sparsity: 0.9, allocation: .erk), file: "t").model
        let counts = [0, 1, 3, 4].map { l in (Self.weights(model, l).count, Self.zeros(Self.weights(pruned, l))) }
        let total = counts.reduce(0) { $0 + $1.0 }, zeros = counts.reduce(0) { $0 + $1.1 }
        // Rounding per layer: within one weight per layer of the requested total.
        #expect(abs(zeros - Int(Double(total) * 0.9)) <= counts.count)
        // ERK score (sum of dims / product): conv1 1x1 8->12 scores 22/96; FC 420->20 scores 440/8400.
        let density = counts.map { 1 - Double($0.1) / Double($0.0) }
        #expect(density[1] > density[2], "the small 1x1 conv must keep more than the big FC: \(density)")
        // The expected densities from the formula, with eps solved by hand for this model.
        let dims: [[Int]] = [[8, 3, 3, 3], [12, 1, 1, 8], [20, 420], [10, 20]]
        let scores = dims.map { Double($0.reduce(0, +)) / Double($0.reduce(1, *)) }
        let n = counts.map { Double($0.0) }
        var dense = Set<Int>(), eps = 0.0
        repeat {
            let free = (0..<4).filter { !dense.contains($0) }
            eps = (0.1 * n.reduce(0, +) - dense.reduce(0.0) { $0 + n[$1] }) / free.reduce(0.0) { $0 + scores[$1] * n[$1] }
            let over = free.filter { eps * scores[$0] > 1 }
            if over.isEmpty { break }
            dense.formUnion(over)
        } while true
        for l in 0..<4 {
            let want = dense.contains(l) ? 1 : eps * scores[l]
            #expect(abs(density[l] - want) <= 1.0 / n[l] + 1e-9, "layer \(l): \(density[l]) vs \(want)")
        }
    }

    @Test("N:M keeps at most N of every M consecutive weights along the reduction axis, the largest",
          arguments: [(2, 4), (1, 4), (1, 8), (4, 8)])
    func nm(n: Int, m: Int) throws {
        let model = Self.floatModel()
        let pruned = try Pruner.prune(model, spec: PruningSpec.parse("nm:\(n):\(m)", sparsity: nil), file: "t").model
        for layer in [0, 1, 3, 4] {
            let rows = model.tensors[model.operators[layer].inputs[1]].shape[0]
            let before = Self.weights(model, layer), after = Self.weights(pruned, layer)
            let cols = before.count / rows
            for r in 0..<rows {
                for g in stride(from: 0, to: cols, by: m) {
                    let idx = (r * cols + g)..<(r * cols + min(g + m, cols))
                    let kept = idx.filter { after[$0] != 0 }
                    #expect(kept.count == min(n, idx.count), "layer \(layer) row \(r) group \(g)")
                    let smallestKept = kept.map { abs(before[$0]) }.min() ?? .infinity
                    let largestDropped = idx.filter { after[$0] == 0 }.map { abs(before[$0]) }.max() ?? 0
                    #expect(largestDropped <= smallestKept)
                }
            }
        }
    }

    @Test("block pruning removes whole tiles", arguments: [(1, 4), (4, 1), (2, 2)])
    func block(h: Int, w: Int) throws {
        let model = Self.floatModel()
        let pruned = try Pruner.prune(model, spec: PruningSpec.parse("block:\(h)x\(w)", sparsity: 0.5), file: "t").model
        for layer in [0, 1, 3, 4] {
            let rows = model.tensors[model.operators[layer].inputs[1]].shape[0]
            let after = Self.weights(pruned, layer)
            let cols = after.count / rows
            var tiles = 0, emptied = 0
            for tr in stride(from: 0, to: rows, by: h) {
                for tc in stride(from: 0, to: cols, by: w) {
                    let cells = (tr..<min(tr + h, rows)).flatMap { r in (tc..<min(tc + w, cols)).map { r * cols + $0 } }
                    let zeros = cells.filter { after[$0] == 0 }.count
                    #expect(zeros == 0 || zeros == cells.count, "layer \(layer): tile (\(tr),\(tc)) partly pruned")
                    tiles += 1
                    if zeros == cells.count { emptied += 1 }
                }
            }
            #expect(emptied == Int((Double(tiles) * 0.5).rounded()), "layer \(layer)")
        }
    }

    @Test("structured pruning removes whole filters and shrinks the next layer's inputs")
    func structured() throws {
        let model = Self.floatModel()
        let pruned = try Pruner.prune(model, spec: PruningSpec.parse("structured", sparsity: 0.5), file: "t").model
        func shape(_ m: Model, _ l: Int) -> [Int] { m.tensors[m.operators[l].inputs[1]].shape }
        // conv0 8 -> 4 filters; conv1 reads 4 channels and keeps 6 of 12 filters; FC0 reads
        // 5 x 7 pixels x 6 channels and keeps 10 of 20 neurons; the last layer keeps its 10 outputs.
        #expect(shape(pruned, 0) == [4, 3, 3, 3])
        #expect(shape(pruned, 1) == [6, 1, 1, 4])
        #expect(shape(pruned, 3) == [10, 210])
        #expect(shape(pruned, 4) == [10, 10])
        #expect(pruned.tensors[pruned.operators[2].outputs[0]].shape == [1, 210])
        // The kept conv0 filters are the 4 largest by L1 norm, in order.
        let w0 = Self.weights(model, 0)
        let l1 = (0..<8).map { r in w0[(r * 27)..<((r + 1) * 27)].reduce(0) { $0 + abs($1) } }
        let keep = (0..<8).sorted { l1[$0] > l1[$1] }.prefix(4).sorted()
        let expected = keep.flatMap { Array(w0[($0 * 27)..<(($0 + 1) * 27)]) }
        #expect(Self.weights(pruned, 0) == expected)
        // The float reference still runs on the smaller model, and it quantizes and generates.
        let out = try FloatReference.run(pruned, input: [Float](repeating: 0.5, count: 105), file: "t")
        #expect(out[pruned.outputs[0]]?.count == 10)
    }

    @Test("keep-first and keep-last leave those layers dense")
    func keepDense() throws {
        let model = Self.floatModel()
        let spec = try PruningSpec.parse("magnitude", sparsity: 0.9, keepFirstDense: true, keepLastDense: true)
        let pruned = try Pruner.prune(model, spec: spec, file: "t").model
        #expect(Self.weights(pruned, 0) == Self.weights(model, 0))
        #expect(Self.weights(pruned, 4) == Self.weights(model, 4))
        #expect(Self.zeros(Self.weights(pruned, 3)) == Int((Double(Self.weights(model, 3).count) * 0.9).rounded()))
    }

    @Test("bad strategy strings are rejected with a message that says why", arguments: [
        ("nm:4:2", nil, "1 <= N < M"), ("nm:2", nil, "nm:N:M"), ("block:0x4", 0.5, "block:HxW"), ("block:1y4", 0.5, "block:HxW"),
        ("magnitude", nil, "needs --sparsity"), ("magnitude", 1.0, "[0, 1)"), ("magnitude", -0.1, "[0, 1)"),
        ("lottery", 0.5, "unknown strategy"), ("gmp:epochs=0", 0.5, "epochs=1...1000"), ("imp:rounds=2:speed=1", 0.5, "rewind=0...1000000"), ("random:seed=x", 0.5, "seed=N"),
        ("nm:2:4", 0.9, "has sparsity 0.5"), ("magnitude:3", 0.5, "takes no parameters"),
    ] as [(String, Double?, String)])
    func badStrategies(text: String, sparsity: Double?, message: String) {
        let error = #expect(throws: PruningError.self) { _ = try PruningSpec.parse(text, sparsity: sparsity) }
        let description = error.map { "\($0)" } ?? ""
        #expect(description.contains(message), "\(description)")
        #expect(description.hasPrefix("--prune \(text):"))
    }

    @Test("bad encodings are rejected", arguments: ["csr4", "nm:3:2", "auto:1"])
    func badEncodings(text: String) {
        #expect(throws: PruningError.self) { _ = try EncodingChoice.parse(text) }
    }
}
