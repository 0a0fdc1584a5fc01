import Foundation
import MCUGen
import MCUTestSupport
import Testing

/// Which strategies prune DEPTHWISE_CONV_2D weights, on a float conv 3x3 (8) -> depthwise 3x3
/// (8) -> conv 1x1 (6) -> FC 180 -> 4 model: the per-weight strategies do, to the requested
/// sparsity (counted here from the weights); N:M, block, structured and --dense-depthwise
/// leave them as they were.
@Suite struct DepthwisePruningTests {
    static let depthwise = 1
    static let others = [0, 2, 4]

    static func zeros(_ m: Model, _ layer: Int) -> Int { DepthwiseFixtures.floats(m, layer).filter { $0 == 0 }.count }

    @Test("magnitude and random prune the 72 depthwise weights to the sparsity; magnitude the smallest",
          arguments: ["magnitude", "random", "random:seed=4"])
    func perLayer(strategy: String) throws {
        let model = DepthwiseFixtures.floatModel()
        let pruned = try Pruner.prune(model, spec: PruningSpec.parse(strategy, sparsity: 0.75), file: "t").model
        let before = DepthwiseFixtures.floats(model, Self.depthwise), after = DepthwiseFixtures.floats(pruned, Self.depthwise)
        #expect(after.count == 72 && Self.zeros(pruned, Self.depthwise) == 54)  // round(72 x 0.75)
        if strategy == "magnitude" {
            let kept = zip(before, after).filter { $0.1 != 0 }.map { abs($0.0) }
            let removed = zip(before, after).filter { $0.1 == 0 }.map { abs($0.0) }
            #expect((removed.max() ?? 0) <= (kept.min() ?? .infinity))
        }
        for (b, a) in zip(before, after) where a != 0 { #expect(a == b) }
    }

    @Test("N:M, block, structured and --dense-depthwise leave the depthwise filters dense",
          arguments: [("nm:2:4", false), ("block:1x4", false), ("magnitude", true), ("global-magnitude", true), ("gmp", true)])
    func leftDense(strategy: String, denseDepthwise: Bool) throws {
        let model = DepthwiseFixtures.floatModel()
        let spec = try PruningSpec.parse(strategy, sparsity: strategy.hasPrefix("nm") ? nil : 0.5, denseDepthwise: denseDepthwise)
        #expect(!spec.prunesDepthwise)
        #expect(!Pruner.candidateLayers(model, spec: spec).contains(Self.depthwise))
        if spec.strategy.needsTraining { return }
        let pruned = try Pruner.prune(model, spec: spec, file: "t").model
        #expect(DepthwiseFixtures.floats(pruned, Self.depthwise) == DepthwiseFixtures.floats(model, Self.depthwise))
        // The other layers are pruned as before. Conv 0 is [8][18]: 2:4 keeps 2 of each of four
        // groups and the short fifth group of 2, 8 zeros a row; 1x4 blocks remove 20 of its 40 tiles
        // (rows end in a tile of 2); magnitude half of 144; global half of 144 + 48 + 720.
        let zeros = Self.zeros(pruned, 0)
        switch strategy {
        case "nm:2:4": #expect(zeros == 64)
        case "block:1x4": #expect(zeros >= 40 && zeros <= 80 && zeros % 2 == 0)
        case "magnitude": #expect(zeros == 72)
        default: #expect(Self.others.reduce(0) { $0 + Self.zeros(pruned, $1) } == 456)
        }
    }

    @Test("structured pruning shrinks the depthwise layer with its producer but prunes no weight in it")
    func structured() throws {
        let model = DepthwiseFixtures.floatModel()
        let pruned = try Pruner.prune(model, spec: PruningSpec.parse("structured", sparsity: 0.5), file: "t").model
        let dw = pruned.tensors[pruned.operators[Self.depthwise].inputs[1]]
        #expect(pruned.tensors[pruned.operators[0].inputs[1]].shape == [4, 3, 3, 2])
        #expect(dw.shape == [1, 3, 3, 4])
        #expect(Self.zeros(pruned, Self.depthwise) == 0)
    }

    @Test("global magnitude: one threshold over the conv, depthwise and FC weights")
    func global() throws {
        let model = DepthwiseFixtures.floatModel()
        let pruned = try Pruner.prune(model, spec: PruningSpec.parse("global-magnitude", sparsity: 0.8), file: "t").model
        var kept: [Float] = [], removed: [Float] = []
        for layer in Self.others + [Self.depthwise] {
            for (b, a) in zip(DepthwiseFixtures.floats(model, layer), DepthwiseFixtures.floats(pruned, layer)) {
                if a == 0 { removed.append(abs(b)) } else { kept.append(abs(b)) }
            }
        }
        // 144 + 72 + 48 + 720 = 984 weights, round(0.8 x 984) = 787 removed.
        #expect(removed.count == 787)
        #expect((removed.max() ?? 0) <= (kept.min() ?? .infinity))
        #expect(Self.zeros(pruned, Self.depthwise) > 0)
    }

    @Test("ERK weighs the depthwise layer as [C, kH, kW, 1]")
    func erk() throws {
        let model = DepthwiseFixtures.floatModel()
        let pruned = try Pruner.prune(model, spec: PruningSpec.parse("global-magnitude", sparsity: 0.9, allocation: .erk), file: "t").model
        let layers = [0, 1, 2, 4]
        let n = [144.0, 72, 48, 720]
        // RigL's scores, by hand: conv [8,3,3,2] 16/144, depthwise [8,3,3,1] 15/72, conv [6,1,1,8] 16/48,
        // FC [4,180] 184/720; eps solved with layers capped at density 1.
        let scores = [16.0 / 144, 15.0 / 72, 16.0 / 48, 184.0 / 720]
        var dense = Set<Int>(), eps = 0.0
        repeat {
            let free = (0..<4).filter { !dense.contains($0) }
            eps = (0.1 * n.reduce(0, +) - dense.reduce(0.0) { $0 + n[$1] }) / free.reduce(0.0) { $0 + scores[$1] * n[$1] }
            let over = free.filter { eps * scores[$0] > 1 }
            if over.isEmpty { break }
            dense.formUnion(over)
        } while true
        for (i, layer) in layers.enumerated() {
            let density = 1 - Double(Self.zeros(pruned, layer)) / n[i]
            let want = dense.contains(i) ? 1 : eps * scores[i]
            #expect(abs(density - want) <= 1.0 / n[i] + 1e-9, "layer \(layer): \(density) vs \(want)")
        }
    }

    @Test("gmp and imp train with the depthwise mask and reach the sparsity in it", arguments: ["gmp:epochs=2", "imp:rounds=1:epochs=1"])
    func training(strategy: String) throws {
        let model = DepthwiseFixtures.floatModel()
        // 48 samples of 60 values, labels from a fixed rule; enough to run the trainer, not to learn.
        var train: [(x: [Float], y: Int)] = []
        for i in 0..<48 {
            let x: [Float] = (0..<60).map { j in Float((i * 7 + j * 3) % 11) / 11 }
            train.append((x, i % 4))
        }
        let data = DataSet(train: train, test: [], calibration: [])
        let trained = try TrainingPruner.prune(model, spec: PruningSpec.parse(strategy, sparsity: 0.8), data: data, file: "t")
        #expect(Self.zeros(trained, Self.depthwise) == 58)  // round(72 x 0.8)
        #expect(Self.zeros(trained, 0) == 115)  // round(144 x 0.8)
        // The report lists the depthwise layer with its 72 weights.
        let report = try Pruner.report(trained, file: "t")
        #expect(report.map(\.layer) == [0, 1, 2, 4])
        let dw = try #require(report.first { $0.layer == Self.depthwise })
        #expect(dw.weights == 72 && dw.nonzeros == 14 && dw.kind == .depthwiseConv2D)
    }

    @Test("--dense-depthwise is parsed with the prune options and needs --prune")
    func flag() throws {
        let spec = try PruningSpec.parse("random", sparsity: 0.5, denseDepthwise: true)
        #expect(spec.denseDepthwise && !spec.prunesDepthwise)
        #expect(try PruningSpec.parse("str", sparsity: 0.5).prunesDepthwise)
        #expect(try !PruningSpec.parse("structured", sparsity: 0.5).prunesDepthwise)
    }
}
