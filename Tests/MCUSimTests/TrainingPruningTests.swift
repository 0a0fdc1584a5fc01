import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// The training-based strategies on the project's digits MLP with its training split: each
/// must beat one-shot magnitude pruning at 90% sparsity on the test split, both measured here
/// (int8, host reference), and reach the sparsity exactly.
@Suite struct TrainingPruningTests {
    static let models = FixtureBuilder.repositoryRoot + "/firmware/models"

    static func digits() throws -> (Model, DataSet) {
        let model = try NpzImporter.load(weights: "\(models)/digits_mlp.npz", topology: "\(models)/digits_mlp.json")
        return (model, try DataSet.load(path: "\(models)/digits_data.npz", inputSize: 64))
    }

    /// int8 accuracy of a compressed model on the test split, through the host reference.
    static func accuracy(_ c: CompressedModel, _ data: DataSet) throws -> Double {
        var correct = 0
        for sample in data.test {
            let out = try ModelRunner.run(c.model, input: AccuracyHarness.quantize(sample.x, model: c.model))[c.model.outputs[0]] ?? []
            if out.indices.max(by: { out[$0] < out[$1] }) == sample.y { correct += 1 }
        }
        return Double(correct) / Double(data.test.count)
    }

    static func compress(_ model: Model, _ data: DataSet, _ prune: String, finetune: Int = 0) throws -> CompressedModel {
        let spec = try PruningSpec.parse(prune, sparsity: 0.9, finetuneEpochs: finetune)
        return try ModelCompression.prepare(model, file: "digits", options: CompressionOptions(prune: spec, data: data), dsp: true)
    }

    @Test("the data file holds the digits splits, scaled to model inputs")
    func dataSet() throws {
        let (_, data) = try Self.digits()
        #expect(data.train.count == 1437 && data.test.count == 360 && data.calibration.count == 200)
        // Pixels 0-16 times input_scale 1/16.
        #expect(data.train.allSatisfy { $0.x.count == 64 && $0.x.allSatisfy { $0 >= 0 && $0 <= 1 } })
        #expect(Set(data.test.map(\.y)) == Set(0...9))
    }

    @Test("gmp, imp and str beat one-shot magnitude pruning at 90% sparsity; fine-tuning recovers one-shot",
          arguments: ["gmp", "imp", "str"])
    func beatsOneShot(strategy: String) throws {
        let (model, data) = try Self.digits()
        let oneShot = try Self.accuracy(Self.compress(model, data, "magnitude"), data)
        let trained = try Self.compress(model, data, strategy)
        let accuracy = try Self.accuracy(trained, data)
        // At 90% one-shot magnitude loses about half the test set; training recovers most of it.
        #expect(accuracy >= oneShot + 0.2, "\(strategy): \(accuracy) vs one-shot \(oneShot)")
        if strategy == "str" {
            // STR learns the per-layer budgets: the total is the requested one, the layers differ.
            let total = trained.pruning.reduce(0) { $0 + $1.weights }, zeros = trained.pruning.reduce(0) { $0 + $1.weights - $1.nonzeros }
            #expect(abs(Double(zeros) / Double(total) - 0.9) <= 0.01)
            #expect(Set(trained.pruning.map { ($0.sparsity * 100).rounded() }).count > 1)
        } else {
            for layer in trained.pruning {
                #expect(abs(layer.sparsity - 0.9) <= 0.01, "\(strategy) layer \(layer.layer): sparsity \(layer.sparsity)")
            }
        }
    }

    @Test("fine-tuning keeps the mask and improves one-shot accuracy")
    func finetune() throws {
        let (model, data) = try Self.digits()
        let oneShot = try Self.compress(model, data, "magnitude")
        let tuned = try Self.compress(model, data, "magnitude", finetune: 5)
        #expect(try Self.accuracy(tuned, data) >= Self.accuracy(oneShot, data) + 0.2)
        // On the float weights: fine-tuning updates only the kept ones.
        let pruned = try Pruner.prune(model, spec: PruningSpec.parse("magnitude", sparsity: 0.9), file: "digits").model
        let finetuned = try TrainingPruner.finetune(pruned, epochs: 2, data: data, file: "digits")
        for layer in Pruner.prunableLayers(pruned) {
            let w0 = FloatReference.floats(pruned.tensors[pruned.operators[layer].inputs[1]]) ?? []
            let w1 = FloatReference.floats(finetuned.tensors[finetuned.operators[layer].inputs[1]]) ?? []
            #expect(zip(w0, w1).allSatisfy { ($0 == 0) == ($1 == 0) }, "layer \(layer): the mask changed")
            #expect(w0 != w1)
        }
    }

    @Test("training strategies without training data, or on an int8 model, are clean errors")
    func needsData() throws {
        let (model, _) = try Self.digits()
        let spec = try PruningSpec.parse("gmp", sparsity: 0.5)
        let error = #expect(throws: GeneratorError.self) {
            _ = try ModelCompression.prepare(model, file: "digits", options: CompressionOptions(prune: spec), dsp: true)
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("needs training data"))
    }
}
