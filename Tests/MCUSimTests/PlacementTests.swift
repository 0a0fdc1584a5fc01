import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// Weights in flash, SRAM or DRAM and activations in SRAM or DRAM: the memory traffic of the
/// inference lands in the chosen kind, in the amount the layer shapes give, and the output
/// stays bit-exact with the host reference. On the max32650 (Cortex-M4F, with HyperRAM).
@Suite struct PlacementTests {
    /// The bundled digits MLP (64 -> 32 -> 10, softmax), quantized with its calibration images.
    static func digits() throws -> Model {
        let d = try BundledModel.digits()
        return try Quantizer.quantize(d.model, calibration: d.calibration, file: "digits_mlp")
    }

    /// Weight bytes read per inference, in 4-byte words: the fully connected kernel's loops
    /// (dot_4rows, dot_2rows) read every weight exactly once as part of a word when the input
    /// size is a multiple of 4.
    static func weightWords(_ model: Model) throws -> UInt64 {
        var words: UInt64 = 0
        for op in model.operators where op.kind == .fullyConnected {
            let w = try #require(model.tensor(op.inputs[1]))
            try #require(w.shape.count == 2 && w.shape[1] % 4 == 0)
            words += UInt64(w.shape[0] * w.shape[1] / 4)
        }
        return words
    }

    static func check(_ model: Model, placement: Placement, board: String = "max32650") throws -> ModelCheck.Outcome {
        let dir = FixtureBuilder.buildRoot + "/placement-\(placement.weights.rawValue)-\(placement.activations.rawValue)"
        let outcome = try ModelCheck.run(model: model, modelPath: "digits_mlp", board: try FixtureBuilder.board(board),
                                         directory: dir, seed: 3, builder: FirmwareBuilder(toolchain: try Toolchain.locate()),
                                         options: RunOptions(), placement: placement)
        #expect(outcome.matches, "\(placement): first mismatch at \(outcome.firstMismatch.map(String.init) ?? "-")")
        return outcome
    }

    static func inference(_ outcome: ModelCheck.Outcome) throws -> [MemoryKind: (reads: UInt64, writes: UInt64)] {
        try #require(outcome.result.regionsOfInterest.first { $0.name == "inference" }).traffic
    }

    @Test("weights in DRAM: the inference reads each weight word from DRAM once, and writes none")
    func weightsInDRAM() throws {
        let model = try Self.digits()
        let words = try Self.weightWords(model)
        #expect(words == (32 * 64 + 10 * 32) / 4)
        let traffic = try Self.inference(Self.check(model, placement: Placement(weights: .dram)))
        #expect(traffic[.dram]?.reads == words)
        #expect(traffic[.dram]?.writes == 0)
    }

    @Test("weights in SRAM: the weight reads move from flash to SRAM")
    func weightsInSRAM() throws {
        let model = try Self.digits()
        let words = try Self.weightWords(model)
        let flash = try Self.inference(Self.check(model, placement: Placement()))
        let sram = try Self.inference(Self.check(model, placement: Placement(weights: .sram)))
        #expect((flash[.flash]?.reads ?? 0) - (sram[.flash]?.reads ?? 0) == words)
        #expect((sram[.sram]?.reads ?? 0) - (flash[.sram]?.reads ?? 0) == words)
        #expect(flash[.dram]?.reads ?? 0 == 0 && sram[.dram]?.reads ?? 0 == 0)
    }

    @Test("activations in DRAM: the arena's tensors are written there, once per byte")
    func activationsInDRAM() throws {
        let model = try Self.digits()
        let traffic = try Self.inference(Self.check(model, placement: Placement(activations: .dram)))
        // The arena holds the two FC outputs (32 and 10 int8, stored byte by byte); the softmax
        // writes model_output, which stays in SRAM.
        #expect(traffic[.dram]?.writes == 32 + 10)
        #expect((traffic[.dram]?.reads ?? 0) > 0)
    }

    @Test("a board without DRAM, or with too little, is refused with the reason")
    func refused() throws {
        let model = try Self.digits()
        let builder = FirmwareBuilder(toolchain: try Toolchain.locate())
        let dir = FixtureBuilder.buildRoot + "/placement-refused"
        do {
            _ = try builder.build(model: model, modelPath: "digits_mlp", board: try FixtureBuilder.board("max32660"),
                                  directory: dir, placement: Placement(weights: .dram))
            Issue.record("max32660 has no DRAM: the build must fail")
        } catch {
            #expect("\(error)".contains("has no DRAM region"), "\(error)")
        }
        var small = try FixtureBuilder.board("max32650")
        let i = try #require(small.regions.firstIndex { $0.kind == .dram })
        small.regions[i].size = 1024  // the weights are 2,368 bytes
        do {
            _ = try builder.build(model: model, modelPath: "digits_mlp", board: small, directory: dir,
                                  placement: Placement(weights: .dram))
            Issue.record("2,368 bytes of weights in 1 KiB of DRAM: the build must fail")
        } catch {
            #expect("\(error)".contains("2368 bytes for DRAM do not fit"), "\(error)")
        }
    }
}
