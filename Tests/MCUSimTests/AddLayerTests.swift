import Foundation
import MCUGen
import MCUSim
import MCUTestSupport
import Testing

/// ADD, which the MLPerf Tiny fixtures do not use: a hand-built int8 model (a residual
/// connection in -> FC -> ADD(in, fc) with ReLU, then ADD of a constant tensor), run in the
/// TensorFlow Lite interpreter, in the Swift host reference and as generated firmware on the
/// simulator (DSP and plain C boards). All three must agree byte for byte.
@Suite struct AddLayerTests {
    /// A quantized int8 tensor table (buffer 0: an activation).
    static func tensor(_ name: String, _ shape: [Int32], type: UInt8 = 9, buffer: UInt32 = 0, scale: Float,
                       zeroPoint: Int64) -> FBTable {
        FBTable(fields: [0: .i32s(shape), 1: .u8(type), 2: .u32(buffer), 3: .string(name),
                         4: .table(FBTable(fields: [2: .f32s([scale]), 3: .i64s([zeroPoint])]))])
    }

    /// in [1,16] -> FULLY_CONNECTED 16x16 -> fc; ADD(in, fc) with ReLU -> sum; ADD(sum, c) -> out,
    /// with c a constant [1,16]. Every tensor has its own scale and zero point.
    static func model() -> [UInt8] {
        var state: UInt64 = 0x00AD_D000
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        let weights = (0..<256).map { _ in UInt8(bitPattern: Int8(next() % 255 - 127)) }
        let bias = (0..<16).flatMap { _ -> [UInt8] in
            let v = UInt32(bitPattern: Int32(next() % 4001 - 2000))
            return (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
        }
        let constant = (0..<16).map { _ in UInt8(bitPattern: Int8(next() % 255 - 127)) }
        let tensors = [
            tensor("in", [1, 16], scale: 0.05, zeroPoint: -3),
            tensor("w", [16, 16], buffer: 1, scale: 0.02, zeroPoint: 0),
            tensor("b", [16], type: 2, buffer: 2, scale: 0.001, zeroPoint: 0),
            tensor("fc", [1, 16], scale: 0.1, zeroPoint: 5),
            tensor("sum", [1, 16], scale: 0.12, zeroPoint: -7),
            tensor("c", [1, 16], buffer: 3, scale: 0.07, zeroPoint: 2),
            tensor("out", [1, 16], scale: 0.15, zeroPoint: 1),
        ]
        let fc = FBTable(fields: [0: .u32(0), 1: .i32s([0, 1, 2]), 2: .i32s([3]), 3: .u8(8),
                                  4: .table(FBTable(fields: [0: .u8(0)]))])
        let add1 = FBTable(fields: [0: .u32(1), 1: .i32s([0, 3]), 2: .i32s([4]), 3: .u8(11),
                                    4: .table(FBTable(fields: [0: .u8(1)]))])  // ReLU
        let add2 = FBTable(fields: [0: .u32(1), 1: .i32s([4, 5]), 2: .i32s([6]), 3: .u8(11),
                                    4: .table(FBTable(fields: [0: .u8(0)]))])
        // "fc" is a subgraph output too: otherwise TFLite runs the first ADD in place, over it.
        let subgraph = FBTable(fields: [0: .tables(tensors), 1: .i32s([0]), 2: .i32s([6, 3]), 3: .tables([fc, add1, add2]),
                                        4: .string("add")])
        let codes = [FBTable(fields: [0: .u8(9), 2: .i32(1), 3: .i32(9)]), FBTable(fields: [0: .u8(0), 2: .i32(1), 3: .i32(0)])]
        let buffers = [FBTable(fields: [:]), FBTable(fields: [0: .bytes(weights)]), FBTable(fields: [0: .bytes(bias)]),
                       FBTable(fields: [0: .bytes(constant)])]
        return FBWriter.file(FBTable(fields: [0: .u32(3), 1: .tables(codes), 2: .tables([subgraph]),
                                              3: .string("hand-built ADD"), 4: .tables(buffers)]))
    }

    @Test("ADD matches the TFLite interpreter in the host reference and in generated firmware",
          arguments: ["max32660", "samd21"])
    func addMatchesTFLite(board boardName: String) throws {
        let dir = try makeScratchDirectory()
        let path = dir + "/add.tflite"
        try Data(Self.model()).write(to: URL(fileURLWithPath: path))
        let reference = try ModelRunnerTests.tflite(path, seed: 5)
        #expect(reference["ops"] as? [String] == ["FULLY_CONNECTED", "ADD", "ADD"])
        let input = try #require(reference["input"] as? [Int]).map { Int8($0) }
        let outputs = try #require(reference["outputs"] as? [String: [Int]])

        // Host reference, layer by layer.
        let model = try TFLiteImporter.load(path: path)
        #expect(model.operators.map(\.kind) == [.fullyConnected, .add, .add])
        let values = try ModelRunner.run(model, input: input, file: path)
        for t in [3, 4, 6] {
            let expected = try #require(outputs[String(t)])
            #expect(values[t]?.map(Int.init) == expected, "tensor \(t)")
        }
        // The case exercises the arithmetic: ReLU clamps some sums and not others, outputs vary.
        let sum = try #require(outputs["4"]), out = try #require(outputs["6"])
        #expect(sum.contains(-7) && sum.contains { $0 > -7 })
        #expect(Set(out).count >= 8)

        // Generated firmware on the simulator.
        let board = try FixtureBuilder.board(boardName)
        let (elf, generated) = try FirmwareBuilder(toolchain: try Toolchain.locate())
            .build(model: model, modelPath: path, board: board, directory: dir + "/fw", input: input)
        #expect(generated.layers.map(\.function) == ["layer00_fc", "layer01_add", "layer02_add"])
        let image = try ELFLoader.load(path: elf)
        let machine = try Machine(board: board, image: image, options: RunOptions())
        let result = machine.run()
        #expect(result.stop.reason == .exit, "\(result.stop.message)")
        let symbol = try #require(image.symbols.named("model_output"))
        let firmware = machine.readMemory(symbol.address, count: 16).map { Int(Int8(bitPattern: $0)) }
        #expect(firmware == out)
        #expect(result.functions.contains { $0.name == "add_s8" })
    }
}
