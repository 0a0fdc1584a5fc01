/// Brings an imported model to what the code generator takes: int8 models as they are, float32
/// models quantized post-training. Without calibration data, the calibration inputs are
/// seeded synthetic ones (sums of uniforms, roughly normal); real data gives better ranges.
public enum ModelPreparation {
    public static func needsQuantization(_ model: Model) -> Bool {
        model.inputs.first.flatMap { model.tensor($0) }?.type == .float32
    }

    public static func prepare(_ model: Model, file: String, calibration: [[Float]]? = nil, samples: Int = 8,
                               perChannelWeights: Bool = true) throws -> Model {
        guard needsQuantization(model) else { return model }
        let size = model.inputs.first.flatMap { model.tensor($0) }?.elementCount ?? 0
        return try Quantizer.quantize(model, calibration: calibration ?? syntheticInputs(count: samples, size: size, seed: 1), file: file,
                                      perChannelWeights: perChannelWeights)
    }

    public static func syntheticInputs(count: Int, size: Int, seed: UInt64) -> [[Float]] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        return (0..<count).map { _ in (0..<size).map { _ in (uniform() + uniform() + uniform() + uniform() - 2) * 1.7 } }
    }
}
