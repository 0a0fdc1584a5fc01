import Foundation
import Testing
@testable import MCUGen
import MCUTestSupport

// The TFLite importer on the MLPerf Tiny reference models in shared/fixtures/mlperf-tiny/
// (checked against the layer lists, parameter and MAC counts of shared/reference/workloads.md),
// and every way a handed-over file can be broken: empty, not a TFLite flatbuffer, truncated,
// damaged, an unsupported operator, a tensor index out of range.

private let repoRoot = FixtureBuilder.repositoryRoot
private let fixtures = URL(fileURLWithPath: repoRoot).deletingLastPathComponent().path + "/shared/fixtures/mlperf-tiny"

private func fixturePath(_ name: String) -> String { "\(fixtures)/\(name).tflite" }

/// The fixture's bytes; a missing fixture folder fails the test (nothing is skipped).
private func fixtureBytes(_ name: String) throws -> [UInt8] {
    let path = fixturePath(name)
    #expect(FileManager.default.fileExists(atPath: path), "missing fixture \(path)")
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

private func load(_ name: String) throws -> Model { try TFLiteImporter.load(path: fixturePath(name)) }

/// The error `body` throws, as a GeneratorError (nil, and a recorded failure, if it throws nothing).
private func generatorError(_ body: () throws -> Model) -> GeneratorError? {
    do {
        _ = try body()
        Issue.record("expected an error")
        return nil
    } catch let e as GeneratorError {
        return e
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

// MARK: - Patching helpers (locate fields with the reader, then overwrite bytes)

private func putI32(_ bytes: inout [UInt8], _ p: Int, _ v: Int32) {
    let u = UInt32(bitPattern: v)
    for k in 0..<4 { bytes[p + k] = UInt8(truncatingIfNeeded: u >> (8 * UInt32(k))) }
}

/// Byte positions of (deprecated_builtin_code, builtin_code) of every OperatorCode.
private func opcodeFields(_ bytes: [UInt8]) throws -> [(deprecated: Int?, builtin: Int?)] {
    let fb = FlatBuffer(bytes: bytes)
    let root = try fb.rootTable()
    let codes = try #require(try fb.vector(root, 1, elementSize: 4))
    return try (0..<codes.count).map { i in
        let oc = try fb.table(in: codes, i)
        return (try fb.field(oc, 0, size: 1), try fb.field(oc, 3, size: 4))
    }
}

/// Byte position of the first element of operator `op`'s inputs vector in subgraph 0.
private func operatorInputs(_ bytes: [UInt8], op: Int) throws -> Int {
    let fb = FlatBuffer(bytes: bytes)
    let sg = try fb.table(in: try #require(try fb.vector(try fb.rootTable(), 2, elementSize: 4)), 0)
    let ops = try #require(try fb.vector(sg, 3, elementSize: 4))
    return try #require(try fb.vector(try fb.table(in: ops, op), 1, elementSize: 4)).start
}

// MARK: - KWS DS-CNN, int8

@Test func kwsInt8ParsesIntoTheDSCNNLayerList() throws {
    let m = try load("kws_ref_model")
    #expect(m.operators.map(\.kind) == [
        .conv2D,
        .depthwiseConv2D, .conv2D, .depthwiseConv2D, .conv2D, .depthwiseConv2D, .conv2D, .depthwiseConv2D, .conv2D,
        .averagePool2D, .reshape, .fullyConnected, .softmax,
    ])
    #expect(m.inputs.count == 1 && m.outputs.count == 1)
    #expect(m.tensors[m.inputs[0]].shape == [1, 49, 10, 1])
    #expect(m.tensors[m.inputs[0]].type == .int8)
    #expect(m.tensors[m.outputs[0]].shape == [1, 12])

    // First layer: conv 10x4, stride 2, SAME -> 25x5x64, ReLU (batch norm folded in).
    let c0 = m.operators[0]
    #expect(m.tensors[c0.inputs[1]].shape == [64, 10, 4, 1])
    #expect(m.tensors[c0.outputs[0]].shape == [1, 25, 5, 64])
    #expect(c0.options == .conv2D(Conv2DOptions(padding: .same, strideW: 2, strideH: 2, activation: .relu)))

    // Four depthwise 3x3 + pointwise 1x1 pairs, 64 channels, stride 1.
    for pair in 0..<4 {
        let dw = m.operators[1 + 2 * pair], pw = m.operators[2 + 2 * pair]
        #expect(m.tensors[dw.inputs[1]].shape == [1, 3, 3, 64])
        #expect(dw.options == .depthwiseConv2D(DepthwiseConv2DOptions(
            padding: .same, strideW: 1, strideH: 1, depthMultiplier: 1, activation: .relu)))
        #expect(m.tensors[pw.inputs[1]].shape == [64, 1, 1, 64])
        #expect(pw.options == .conv2D(Conv2DOptions(padding: .same, strideW: 1, strideH: 1, activation: .relu)))
        #expect(m.tensors[dw.outputs[0]].shape == [1, 25, 5, 64])
        #expect(m.tensors[pw.outputs[0]].shape == [1, 25, 5, 64])
    }
    // Average pool over the whole 25x5 map, flatten, FC 64 -> 12, softmax.
    #expect(m.operators[9].options == .pool2D(Pool2DOptions(padding: .valid, strideW: 5, strideH: 25, filterW: 5, filterH: 25)))
    #expect(m.tensors[m.operators[9].outputs[0]].shape == [1, 1, 1, 64])
    #expect(m.tensors[m.operators[10].outputs[0]].shape == [1, 64])
    let fc = m.operators[11]
    #expect(m.tensors[fc.inputs[1]].shape == [12, 64])
    #expect(fc.options == .fullyConnected(FullyConnectedOptions(activation: .none, keepNumDims: false)))
    #expect(m.operators[12].options == .softmax(beta: 1))
}

@Test func kwsInt8QuantizationIsPerChannelForConvolutions() throws {
    let m = try load("kws_ref_model")
    for op in m.operators where op.kind == .conv2D || op.kind == .depthwiseConv2D {
        let w = m.tensors[op.inputs[1]], b = m.tensors[op.inputs[2]]
        let q = try #require(w.quantization)
        #expect(w.type == .int8 && b.type == .int32)
        // quantized_dimension: the output channel axis, 0 for conv [O,H,W,I], 3 for depthwise [1,H,W,O].
        #expect(q.dimension == (op.kind == .conv2D ? 0 : 3))
        #expect(q.scales.count == 64 && q.isPerChannel)
        #expect(q.zeroPoints == Array(repeating: 0, count: 64))          // symmetric weights
        #expect(try #require(w.data).allSatisfy { $0 != 0x80 })          // int8 in [-127, 127]
        #expect(try #require(w.data).count == w.elementCount)
        #expect(try #require(b.data).count == 4 * b.elementCount)
        #expect(b.quantization?.scales.count == 64)
        // Bias scale = input scale * weight scale, per channel.
        let inScale = try #require(m.tensors[op.inputs[0]].quantization?.scales.first)
        for c in 0..<64 {
            let expected = inScale * q.scales[c], got = b.quantization!.scales[c]
            #expect(abs(got - expected) <= expected * 1e-5)
        }
    }
    // Fully connected weights: per tensor. Activations: per tensor, asymmetric.
    let fcw = m.tensors[m.operators[11].inputs[1]]
    #expect(fcw.quantization?.scales.count == 1)
    let act = try #require(m.tensors[m.operators[0].outputs[0]].quantization)
    #expect(act.scales.count == 1 && act.zeroPoints.count == 1)
}

@Test func kwsParameterAndMACCounts() throws {
    let m = try load("kws_ref_model")
    // Parameters (workloads.md: 22,604) count weights AND biases of the TFLite graph
    // (batch norm is folded into them; the RESHAPE shape constant is not a parameter):
    //   conv 10x4x1x64 = 2,560 + 64 bias                         = 2,624
    //   4 x (depthwise 3x3x64 = 576 + 64, pointwise 64x64 = 4,096 + 64) = 4 x 4,800 = 19,200
    //   FC 64x12 = 768 + 12 bias                                  = 780
    //   total 22,604; weights alone 22,016, biases 588.
    #expect(m.parameterCount() == 22_604)
    #expect(m.parameterCount(includingBias: false) == 22_016)
    // MACs (workloads.md: 2.657 M), one per weight use, pooling/softmax/bias not counted:
    //   conv:      25*5*64 outputs * 10*4*1     = 8,000 * 40   = 320,000
    //   depthwise: 25*5*64 * 3*3                = 72,000, x4   = 288,000
    //   pointwise: 25*5*64 * 64                 = 512,000, x4  = 2,048,000
    //   FC:        12 * 64                                     = 768
    //   total 2,656,768 (= 2.657 M; counting the average pool's 8,000 adds would give 2.665 M).
    #expect(m.macsPerOperator == [320_000, 72_000, 512_000, 72_000, 512_000, 72_000, 512_000, 72_000, 512_000, 0, 0, 768, 0])
    #expect(m.totalMACs == 2_656_768)
}

// MARK: - AD01 FC autoencoder, int8

@Test func ad01Int8IsTheFCAutoencoder() throws {
    let m = try load("ad01_int8")
    let widths = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640]
    #expect(m.operators.count == widths.count - 1)
    for (i, op) in m.operators.enumerated() {
        #expect(op.kind == .fullyConnected)
        let w = m.tensors[op.inputs[1]]
        #expect(w.shape == [widths[i + 1], widths[i]])
        #expect(w.type == .int8)
        #expect(w.quantization?.scales.count == 1)                      // per tensor for FC
        #expect(m.tensors[op.inputs[2]].type == .int32)
        #expect(op.activation == (i == m.operators.count - 1 ? .none : .relu))
    }
    #expect(m.tensors[m.inputs[0]].shape == [1, 640])
    #expect(m.tensors[m.outputs[0]].shape == [1, 640])
    // MACs: 640*128 + 3*128*128 + 128*8 + 8*128 + 3*128*128 + 128*640
    //     = 81,920 + 49,152 + 1,024 + 1,024 + 49,152 + 81,920 = 264,192.
    #expect(m.totalMACs == 264_192)
    // Parameters: 264,192 weights + 4*128 + 8 + 4*128 + 640 = 1,672 biases = 265,864 (workloads.md).
    #expect(m.parameterCount() == 265_864)
}

// MARK: - Float fixtures

@Test func floatFixturesParseWithFloat32Weights() throws {
    let ad = try load("ad01_fp32")
    #expect(ad.totalMACs == 264_192)
    #expect(ad.parameterCount() == 265_864)
    for op in ad.operators {
        #expect(op.inputs.prefix(3).allSatisfy { ad.tensors[$0].type == .float32 })
        #expect(ad.tensors[op.inputs[1]].data?.count == 4 * ad.tensors[op.inputs[1]].elementCount)
        #expect(ad.tensors[op.inputs[1]].quantization == nil)
    }

    let kws = try load("kws_ref_model_float32")
    #expect(kws.operators.map(\.kind) == (try load("kws_ref_model")).operators.map(\.kind))
    #expect(kws.totalMACs == 2_656_768)
    #expect(kws.parameterCount() == 22_604)
    #expect(kws.tensors[kws.inputs[0]].type == .float32)
    for op in kws.operators {
        #expect(kws.tensors[op.outputs[0]].type == .float32)
        guard op.inputs.count >= 3 else { continue }
        // Biases, depthwise and FC weights are float32. The converter stored the CONV_2D
        // weights of this file as int8 with one scale (a "hybrid" dynamic-range model).
        #expect(kws.tensors[op.inputs[2]].type == .float32)
        let w = kws.tensors[op.inputs[1]]
        if op.kind == .conv2D {
            #expect(w.type == .int8 && w.quantization?.scales.count == 1)
        } else {
            #expect(w.type == .float32 && w.quantization == nil)
        }
    }
}

// MARK: - Hand-built models (FBWriter, in MCUTestSupport)

/// One TFLite layer as a model: the given opcode fields, tensors "in" [1,4] -> "out" [1,N].
private func tinyModel(deprecated: Int8? = nil, builtin: Int32? = nil, tensors: [FBTable]? = nil,
                       inputs: [Int32] = [0], outputs: [Int32] = [1], opInputs: [Int32] = [0],
                       options: (UInt8, FBTable)? = nil, buffers: [FBTable] = [FBTable(fields: [:])]) -> [UInt8] {
    var code = FBTable(fields: [2: .i32(1)])
    if let deprecated { code.fields[0] = .u8(UInt8(bitPattern: deprecated)) }
    if let builtin { code.fields[3] = .i32(builtin) }
    let io: [FBTable] = [
        FBTable(fields: [0: .i32s([1, 4]), 1: .u8(9), 3: .string("in")]),
        FBTable(fields: [0: .i32s([1, 4]), 1: .u8(9), 3: .string("out")]),
    ]
    var op = FBTable(fields: [0: .u32(0), 1: .i32s(opInputs), 2: .i32s(outputs)])
    if let (type, table) = options { op.fields[3] = .u8(type); op.fields[4] = .table(table) }
    let subgraph = FBTable(fields: [0: .tables(tensors ?? io), 1: .i32s(inputs), 2: .i32s(outputs),
                                    3: .tables([op]), 4: .string("tiny")])
    return FBWriter.file(FBTable(fields: [0: .u32(3), 1: .tables([code]), 2: .tables([subgraph]),
                                          3: .string("hand-built"), 4: .tables(buffers)]))
}

// MARK: - Opcode trap: builtin_code vs deprecated_builtin_code

@Test func handBuiltModelRoundTrips() throws {
    let m = try TFLiteImporter.parse(bytes: tinyModel(deprecated: 25, builtin: 25, options: (9, FBTable(fields: [0: .f32(0.5)]))),
                                     path: "tiny.tflite")
    #expect(m.name == "tiny")
    #expect(m.operators == [Operator(kind: .softmax, inputs: [0], outputs: [1], options: .softmax(beta: 0.5))])
    #expect(m.tensors.map(\.name) == ["in", "out"] && m.tensors[0].type == .int8 && m.tensors[0].data == nil)
}

@Test func opcodeIsTheLargerOfTheTwoCodeFields() throws {
    // Old writers (all four fixtures): only deprecated_builtin_code.
    #expect(try TFLiteImporter.parse(bytes: tinyModel(deprecated: 25)).operators[0].kind == .softmax)
    // Newer writers may leave deprecated_builtin_code at its default 0 (= ADD!).
    #expect(try TFLiteImporter.parse(bytes: tinyModel(builtin: 25)).operators[0].kind == .softmax)
    #expect(try TFLiteImporter.parse(bytes: tinyModel(deprecated: 0, builtin: 114)).operators[0].kind == .quantize)
    // Codes above 127: deprecated holds the placeholder 127, builtin the real code.
    let e = generatorError { try TFLiteImporter.parse(bytes: tinyModel(deprecated: 127, builtin: 150), path: "gelu.tflite") }
    guard case let .unsupportedOperator(file, op, layer, output)? = e else {
        Issue.record("expected unsupportedOperator, got \(String(describing: e))"); return
    }
    #expect(file == "gelu.tflite" && op == "GELU" && layer == 0 && output == "out")
    #expect(e!.description.contains("GELU") && e!.description.contains("layer 0") && e!.description.contains("'out'"))
    // A custom op is named by its custom_code.
    var custom = FBTable(fields: [0: .u8(32), 1: .string("MyOp"), 3: .i32(32)])
    custom.fields[2] = .i32(1)
    let subgraph = FBTable(fields: [0: .tables([FBTable(fields: [0: .i32s([1]), 1: .u8(9), 3: .string("x")])]),
                                    3: .tables([FBTable(fields: [0: .u32(0), 1: .i32s([0]), 2: .i32s([0])])])])
    let bytes = FBWriter.file(FBTable(fields: [0: .u32(3), 1: .tables([custom]), 2: .tables([subgraph])]))
    let ce = generatorError { try TFLiteImporter.parse(bytes: bytes, path: "custom.tflite") }
    #expect(ce?.description.contains("CUSTOM(MyOp)") == true)
}

@Test func quantizationParametersAreReadAsWritten() throws {
    // Per-channel int8 conv filter [2,1,1,4] along dimension 0 with int64 zero points, an int32
    // bias, and a 4-byte-per-element size check of constant buffers.
    let filter = FBTable(fields: [0: .i32s([2, 1, 1, 4]), 1: .u8(9), 2: .u32(1), 3: .string("w"),
                                  4: .table(FBTable(fields: [2: .f32s([0.5, 0.25]), 3: .i64s([0, -3]), 6: .i32(0)]))])
    let tensors = [
        FBTable(fields: [0: .i32s([1, 3, 3, 4]), 1: .u8(9), 3: .string("in"),
                         4: .table(FBTable(fields: [2: .f32s([0.1]), 3: .i64s([-128])]))]),
        FBTable(fields: [0: .i32s([1, 3, 3, 2]), 1: .u8(9), 3: .string("out")]),
        filter,
        FBTable(fields: [0: .i32s([2]), 1: .u8(2), 2: .u32(2), 3: .string("b")]),
    ]
    let buffers = [FBTable(fields: [:]), FBTable(fields: [0: .bytes(Array(repeating: 1, count: 8))]),
                   FBTable(fields: [0: .bytes(Array(repeating: 0, count: 8))])]
    let conv = FBTable(fields: [0: .u8(1), 1: .i32(1), 2: .i32(1), 3: .u8(3)])
    let m = try TFLiteImporter.parse(bytes: tinyModel(deprecated: 3, tensors: tensors, opInputs: [0, 2, 3],
                                                      options: (1, conv), buffers: buffers))
    #expect(m.tensors[2].quantization == Quantization(scales: [0.5, 0.25], zeroPoints: [0, -3], dimension: 0))
    #expect(m.tensors[0].quantization == Quantization(scales: [0.1], zeroPoints: [-128], dimension: 0))
    #expect(m.tensors[3].type == .int32 && m.tensors[3].data?.count == 8)
    #expect(m.operators[0].options == .conv2D(Conv2DOptions(padding: .valid, strideW: 1, strideH: 1, activation: .relu6)))
    #expect(m.totalMACs == 3 * 3 * 2 * 4)
    #expect(m.parameterCount() == 10)

    // Fully connected without bias: the absent input is -1.
    let fcTensors = [FBTable(fields: [0: .i32s([1, 4]), 1: .u8(9), 3: .string("in")]),
                     FBTable(fields: [0: .i32s([1, 2]), 1: .u8(9), 3: .string("out")]),
                     FBTable(fields: [0: .i32s([2, 4]), 1: .u8(9), 2: .u32(1), 3: .string("w")])]
    let fc = try TFLiteImporter.parse(bytes: tinyModel(deprecated: 9, tensors: fcTensors, opInputs: [0, 2, -1],
                                                       buffers: [buffers[0], buffers[1]]))
    #expect(fc.operators[0].inputs == [0, 2, -1])
    #expect(fc.operators[0].options == .fullyConnected(FullyConnectedOptions()))
    #expect(fc.totalMACs == 8 && fc.parameterCount() == 8)

    // Mismatches are invalid models, named.
    var bad = tensors
    bad[2].fields[4] = .table(FBTable(fields: [2: .f32s([0.5, 0.25]), 3: .i64s([0, 0, 0])]))
    let e1 = generatorError { try TFLiteImporter.parse(bytes: tinyModel(deprecated: 3, tensors: bad, opInputs: [0, 2, 3],
                                                                         options: (1, conv), buffers: buffers), path: "q.tflite") }
    #expect(e1?.description.contains("'w' has 2 scales but 3 zero points") == true)
    bad[2].fields[4] = .table(FBTable(fields: [2: .f32s([0.5, 0.25]), 6: .i32(3)]))
    let e2 = generatorError { try TFLiteImporter.parse(bytes: tinyModel(deprecated: 3, tensors: bad, opInputs: [0, 2, 3],
                                                                         options: (1, conv), buffers: buffers), path: "q.tflite") }
    #expect(e2?.description.contains("dimension 3") == true)
    let shortBuffers = [buffers[0], FBTable(fields: [0: .bytes([1, 2, 3])]), buffers[2]]
    let e3 = generatorError { try TFLiteImporter.parse(bytes: tinyModel(deprecated: 3, tensors: tensors, opInputs: [0, 2, 3],
                                                                         options: (1, conv), buffers: shortBuffers), path: "q.tflite") }
    #expect(e3?.description.contains("needs 8 bytes but its buffer has 3") == true)
}

@Test(arguments: [
    // (filter quantization, what the error names): found by mutating the KWS fixture's bytes.
    (FBTable(fields: [2: .f32s([.nan, 0.25]), 6: .i32(0)]), "quantization scale nan"),
    (FBTable(fields: [2: .f32s([0.5, -0.25]), 6: .i32(0)]), "quantization scale -0.25"),
    (FBTable(fields: [2: .f32s([0.5]), 3: .i64s([1 << 40])]), "zero point 1099511627776"),
    // Four scales along the filter's input-channel axis: the kernels index them by output channel.
    (FBTable(fields: [2: .f32s([0.5, 0.25, 0.5, 0.25]), 6: .i32(3)]), "4 quantization scales for 2 output channels"),
])
func badQuantizationIsAnInvalidModel(quantization: FBTable, message: String) throws {
    let tensors = [
        FBTable(fields: [0: .i32s([1, 3, 3, 4]), 1: .u8(9), 3: .string("in"),
                         4: .table(FBTable(fields: [2: .f32s([0.1]), 3: .i64s([-128])]))]),
        FBTable(fields: [0: .i32s([1, 3, 3, 2]), 1: .u8(9), 3: .string("out")]),
        FBTable(fields: [0: .i32s([2, 1, 1, 4]), 1: .u8(9), 2: .u32(1), 3: .string("w"), 4: .table(quantization)]),
    ]
    let buffers = [FBTable(fields: [:]), FBTable(fields: [0: .bytes(Array(repeating: 1, count: 8))])]
    let conv = FBTable(fields: [0: .u8(1), 1: .i32(1), 2: .i32(1), 3: .u8(0)])
    let e = generatorError { try TFLiteImporter.parse(bytes: tinyModel(deprecated: 3, tensors: tensors, opInputs: [0, 2, -1],
                                                                        options: (1, conv), buffers: buffers), path: "q.tflite") }
    #expect(e?.description.contains(message) == true, "\(String(describing: e))")
    #expect(e?.description.contains("q.tflite") == true)
}

@Test func nonFiniteFloatWeightsAreAnInvalidModel() throws {
    var weights = [Float](repeating: 0.25, count: 8)
    weights[5] = .nan
    let bytes = weights.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    let tensors = [FBTable(fields: [0: .i32s([1, 4]), 1: .u8(0), 3: .string("in")]),
                   FBTable(fields: [0: .i32s([1, 2]), 1: .u8(0), 3: .string("out")]),
                   FBTable(fields: [0: .i32s([2, 4]), 1: .u8(0), 2: .u32(1), 3: .string("w")])]
    let e = generatorError { try TFLiteImporter.parse(bytes: tinyModel(deprecated: 9, tensors: tensors, opInputs: [0, 2, -1],
                                                                        buffers: [FBTable(fields: [:]), FBTable(fields: [0: .bytes(bytes)])]),
                                                      path: "nan.tflite") }
    #expect(e?.description.contains("nan.tflite") == true && e?.description.contains("tensor 2 'w' holds NaN or infinite values") == true,
            "\(String(describing: e))")
}

@Test func devicesAndDirectoriesAreNamedForWhatTheyAre() throws {
    // Foundation reports /dev/zero as a permission problem; the message says what the path is.
    let device = generatorError { try TFLiteImporter.load(path: "/dev/zero") }
    #expect(device?.description == "/dev/zero: malformed model: is not a regular file (a device or a pipe)")
    let dir = FileManager.default.temporaryDirectory.path
    #expect(generatorError { try TFLiteImporter.load(path: dir) }?.description.contains("is a directory, not a model file") == true)
    // A symbolic link to a model is the model (the check follows links).
    let link = FileManager.default.temporaryDirectory.appendingPathComponent("link-\(UUID().uuidString).tflite").path
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fixturePath("ad01_int8"))
    defer { try? FileManager.default.removeItem(atPath: link) }
    #expect(try TFLiteImporter.load(path: link).operators == load("ad01_int8").operators)
}

@Test func softmaxScaleTooSmallForTheKernelIsAnInvalidModel() throws {
    // beta x input scale x 2^26 below 1/2 gives TFLite's Prepare a negative shift (it rejects it too).
    #expect(!KernelReference.SoftmaxParams.isRepresentable(beta: 1, inputScale: 1e-9))
    #expect(!KernelReference.SoftmaxParams.isRepresentable(beta: .nan, inputScale: 0.1))
    #expect(KernelReference.SoftmaxParams.isRepresentable(beta: 1, inputScale: 1.0 / 256))
    let tensors = [
        FBTable(fields: [0: .i32s([1, 4]), 1: .u8(9), 3: .string("in"), 4: .table(FBTable(fields: [2: .f32s([1e-9]), 3: .i64s([0])]))]),
        FBTable(fields: [0: .i32s([1, 4]), 1: .u8(9), 3: .string("out"), 4: .table(FBTable(fields: [2: .f32s([1.0 / 256]), 3: .i64s([-128])]))]),
    ]
    let model = try TFLiteImporter.parse(bytes: tinyModel(deprecated: 25, tensors: tensors, options: (9, FBTable(fields: [0: .f32(1)]))),
                                         path: "soft.tflite")
    #expect(throws: GeneratorError.self) { try ModelRunner.run(model, input: [1, 2, 3, 4], file: "soft.tflite") }
}

// MARK: - Rejections

@Test func unsupportedOperatorNamesTheOpAndTheLayer() throws {
    // Patch the AD01 FULLY_CONNECTED opcode into MUL (18): every layer uses it, layer 0 fails first.
    var bytes = try fixtureBytes("ad01_int8")
    let fields = try opcodeFields(bytes)
    #expect(fields.count == 1)
    if let d = fields[0].deprecated { bytes[d] = 18 }
    if let b = fields[0].builtin { putI32(&bytes, b, 18) }
    let e = generatorError { try TFLiteImporter.parse(bytes: bytes, path: "/tmp/ad01_mul.tflite") }
    guard case let .unsupportedOperator(file, op, layer, output)? = e else {
        Issue.record("expected unsupportedOperator, got \(String(describing: e))"); return
    }
    #expect(file == "/tmp/ad01_mul.tflite")
    #expect(op == "MUL" && layer == 0)
    #expect(output == "functional_1/activation/Relu;functional_1/dense/BiasAdd")
}

@Test func emptyAndForeignFilesAreMalformed() throws {
    let cases: [([UInt8], String)] = [
        ([], "empty"),
        ([0x10, 0, 0, 0], "too short"),
        (Array("not a model at all, just text".utf8), "TFL3"),
        ([0x10, 0, 0, 0] + Array("ONNX".utf8) + [UInt8](repeating: 0, count: 32), "TFL3"),
    ]
    for (bytes, needle) in cases {
        let e = generatorError { try TFLiteImporter.parse(bytes: bytes, path: "bad.tflite") }
        guard case let .malformedModel(file, problem)? = e else {
            Issue.record("expected malformedModel for \(needle), got \(String(describing: e))"); continue
        }
        #expect(file == "bad.tflite")
        #expect(problem.contains(needle), "\(problem)")
    }
    // A missing file names the path.
    let missing = generatorError { try TFLiteImporter.load(path: "/nonexistent/model.tflite") }
    #expect(missing?.description.contains("/nonexistent/model.tflite") == true)
}

@Test func rootOffsetOutOfRangeIsMalformed() throws {
    for root: Int32 in [0x7fff_fff0, -4, 60_000, 53_934] {
        var bytes = try fixtureBytes("kws_ref_model")
        putI32(&bytes, 0, root)
        let e = generatorError { try TFLiteImporter.parse(bytes: bytes, path: "root.tflite") }
        guard case let .malformedModel(file, problem)? = e else {
            Issue.record("expected malformedModel for root \(root), got \(String(describing: e))"); continue
        }
        #expect(file == "root.tflite" && problem.contains("outside"), "\(problem)")
    }
}

@Test func truncatedFilesThrowAtEveryCut() throws {
    for name in ["kws_ref_model", "ad01_int8"] {
        let bytes = try fixtureBytes(name)
        var cuts = Array(0..<256)
        cuts += Array(stride(from: 256, to: bytes.count, by: 211))
        cuts += Array((bytes.count - 64)..<bytes.count)
        for cut in cuts {
            do {
                _ = try TFLiteImporter.parse(bytes: Array(bytes[0..<cut]), path: "cut.tflite")
                Issue.record("\(name) cut to \(cut) of \(bytes.count) bytes parsed without error")
            } catch let e as GeneratorError {
                guard case .malformedModel(let file, _) = e else {
                    // Cutting can only make things unreadable, never change what was read.
                    Issue.record("\(name) cut to \(cut): unexpected \(e)"); continue
                }
                #expect(file == "cut.tflite")
            }
        }
    }
}

@Test func damagedBytesNeverTrap() throws {
    // Seeded corruption of 1-8 bytes anywhere in the structure (not the weights): the importer
    // may accept or reject, but must return.
    let original = try fixtureBytes("kws_ref_model")
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
    var rejected = 0
    for _ in 0..<400 {
        var bytes = original
        for _ in 0..<(1 + Int(next() % 8)) {
            // Structure sits at the start and the end (tables, vtables, names); weights in between.
            let p = next() % 2 == 0 ? Int(next() % 2048) : bytes.count - 1 - Int(next() % 6144)
            bytes[p] = UInt8(truncatingIfNeeded: next())
        }
        do { _ = try TFLiteImporter.parse(bytes: bytes, path: "fuzz") } catch { rejected += 1 }
    }
    #expect(rejected > 0)
}

@Test func badTensorIndexIsInvalid() throws {
    for index: Int32 in [9999, -2, 35] {
        var bytes = try fixtureBytes("kws_ref_model")
        putI32(&bytes, try operatorInputs(bytes, op: 3), index)
        let e = generatorError { try TFLiteImporter.parse(bytes: bytes, path: "idx.tflite") }
        guard case let .invalidModel(file, problem)? = e else {
            Issue.record("expected invalidModel for index \(index), got \(String(describing: e))"); continue
        }
        #expect(file == "idx.tflite")
        #expect(problem.contains("layer 3") && problem.contains("tensor \(index)"), "\(problem)")
    }
}

@Test func everyByteOfASmallModelCanBeDamagedWithoutTrapping() throws {
    // Exhaustive over positions for a hand-built model with a quantized tensor and options.
    let tensors = [
        FBTable(fields: [0: .i32s([1, 4]), 1: .u8(9), 3: .string("in"),
                         4: .table(FBTable(fields: [2: .f32s([0.1]), 3: .i64s([-128])]))]),
        FBTable(fields: [0: .i32s([1, 4]), 1: .u8(9), 3: .string("out")]),
    ]
    let original = tinyModel(deprecated: 25, tensors: tensors, options: (9, FBTable(fields: [0: .f32(1)])))
    _ = try TFLiteImporter.parse(bytes: original)
    var accepted = 0, rejected = 0
    for p in original.indices {
        for value: UInt8 in [0x00, 0x01, 0x7f, 0x80, 0xff] where value != original[p] {
            var bytes = original
            bytes[p] = value
            do { _ = try TFLiteImporter.parse(bytes: bytes); accepted += 1 } catch { rejected += 1 }
        }
    }
    #expect(rejected > 0 && accepted > 0)
}

@Test func truncationErrorNamesFileAndProblem() throws {
    let bytes = try fixtureBytes("kws_ref_model")
    let e = generatorError { try TFLiteImporter.parse(bytes: Array(bytes[0..<30_000]), path: "kws_cut.tflite") }
    let text = e?.description ?? ""
    #expect(text.hasPrefix("kws_cut.tflite: malformed model:") && text.contains("outside the 30000-byte file"), "\(text)")
    OutputCapture.log(text)
}
