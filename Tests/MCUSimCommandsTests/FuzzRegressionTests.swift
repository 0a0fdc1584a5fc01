import Foundation
import MCUSimCommands
import MCUTestSupport
import Testing

// Inputs that crashed the process when the model, data, budget and report parsers were fuzzed
// through the command line (mutated copies of the MLPerf Tiny fixtures, the digits npz models,
// budget and cost files). Each is rebuilt here in its smallest form and must now give bad
// input (65) with one error line that names the file and the problem.

/// `mcusim build` and `check` on fuzzed model and data files.
@Suite struct FuzzRegressionTests {
    /// The one stderr line of a rejected input, after the notices mcusim prints first
    /// (`mcusim: X is a float32 model: ...`); the test fails unless there is exactly one error.
    static func errorLine(_ outcome: CLIOutcome) -> String {
        let errors = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("mcusim: error:") }
        #expect(errors.count == 1, "stderr: \(outcome.stderr)")
        return errors.first.map(String.init) ?? ""
    }

    /// Writes a built flatbuffer to `path` and returns the path.
    static func write(_ bytes: [UInt8], to path: String) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A float32 FULLY_CONNECTED model, input [1, 4] -> output `outputShape`, weights [2, 4].
    static func floatFC(outputShape: [Int32], weight: Float = 0.25) -> [UInt8] {
        let weights = [Float](repeating: weight, count: 8).flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        let tensors = [FBTable(fields: [0: .i32s([1, 4]), 1: .u8(0), 3: .string("in")]),
                       FBTable(fields: [0: .i32s(outputShape), 1: .u8(0), 3: .string("out")]),
                       FBTable(fields: [0: .i32s([2, 4]), 1: .u8(0), 2: .u32(1), 3: .string("w")])]
        let op = FBTable(fields: [0: .u32(0), 1: .i32s([0, 2, -1]), 2: .i32s([1])])
        let subgraph = FBTable(fields: [0: .tables(tensors), 1: .i32s([0]), 2: .i32s([1]), 3: .tables([op]), 4: .string("fc")])
        let buffers = [FBTable(fields: [:]), FBTable(fields: [0: .bytes(weights)])]
        return FBWriter.file(FBTable(fields: [0: .u32(3), 1: .tables([FBTable(fields: [0: .u8(9), 2: .i32(1)])]),
                                              2: .tables([subgraph]), 4: .tables(buffers)]))
    }

    // Found as kws_ref_model_float32.tflite with one dimension of an activation tensor set to
    // 0x7F7F_FFFF: the shape passed the old 2^40-element bound, and quantizing with synthetic
    // calibration inputs asked for terabytes ("failed to allocate ... bytes", SIGABRT).
    @Test("`check` on a model with an activation tensor of 2^38 elements is bad input (65), not an abort")
    func hugeActivationTensor() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.write(Self.floatFC(outputShape: [1, 1 << 30, 256]), to: dir + "/huge.tflite")
        let outcome = CLI.run(["check", path, "--inputs", "1"])
        #expect(outcome.status == 65)
        #expect(Self.errorLine(outcome) == "mcusim: error: \(path): invalid model: tensor 1 'out' shape [1, 1073741824, 256] "
            + "is implausibly large (more than 16 M elements)")
    }

    // Noted while fuzzing: weights near the float32 limit make the float reference's
    // activations infinite, so quantization gave the output an infinite scale; only a SOFTMAX
    // layer caught it, and without one the firmware built and computed garbage.
    @Test("a float model whose activations overflow float32 is refused at quantization (65)")
    func infiniteQuantizationScale() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.write(Self.floatFC(outputShape: [1, 2], weight: 3e38), to: dir + "/overflow.tflite")
        let outcome = CLI.run(["build", path, "-o", dir + "/out"])
        #expect(outcome.status == 65)
        #expect(Self.errorLine(outcome).hasPrefix("mcusim: error: \(path): invalid model: quantization gives tensor 'out' the scale "))
        // The same model with ordinary weights builds.
        _ = try Self.write(Self.floatFC(outputShape: [1, 2]), to: path)
        #expect(CLI.status(["build", path, "-o", dir + "/out"]) == 0)
    }

    @Test("`build` rejects a tensor one element over the 16 M bound as bad input (65)")
    func tensorJustOverTheBound() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.write(Self.floatFC(outputShape: [1, 1 << 24 + 1]), to: dir + "/big.tflite")
        let outcome = CLI.run(["build", path, "-o", dir + "/out"])
        #expect(outcome.status == 65)
        #expect(Self.errorLine(outcome) == "mcusim: error: \(path): invalid model: tensor 1 'out' shape [1, 16777217] "
            + "is implausibly large (more than 16 M elements)")
    }

    // Found by mutating the .npy header of a member of digits_cnn.npz: `'shape': )16, 3(`.
    // The closing parenthesis came before the opening one and slicing between them trapped
    // ("Range requires lowerBound <= upperBound").
    @Test("an .npz member whose shape has its parentheses reversed is bad input (65), not a trap")
    func reversedShapeParentheses() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let models = FixtureBuilder.repositoryRoot + "/firmware/models"
        try FileManager.default.copyItem(atPath: models + "/digits_mlp.json", toPath: dir + "/m.json")
        var npz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: models + "/digits_mlp.npz")))
        let shape = Array("(32, 64)".utf8)
        let at = try #require((0...(npz.count - shape.count)).first { Array(npz[$0..<($0 + shape.count)]) == shape })
        npz.replaceSubrange(at..<(at + shape.count), with: Array(")32, 6( ".utf8))
        try Data(npz).write(to: URL(fileURLWithPath: dir + "/m.npz"))
        let outcome = CLI.run(["check", dir + "/m.json", "--inputs", "1"])
        #expect(outcome.status == 65)
        #expect(Self.errorLine(outcome) == "mcusim: error: \(dir)/m.npz: malformed model: w0.npy: no shape in the header")
    }

    // Found on the fuzzed KWS models whose enlarged tensors still imported (and on the unmutated
    // ad01_int8.tflite): the linker's overflow came out as "mcusim: error: the firmware does not
    // fit the board: ...", the one model error that did not name the model.
    @Test("`build` and `check` of a model too large for the board's flash name the model in the error", arguments: ["build", "check"])
    func doesNotFitNamesTheModel(command: String) throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = GeneratorCommandTests.fixtures + "/ad01_int8.tflite"
        let outcome = CLI.run(command == "build" ? ["build", model, "--board", "max32660", "-o", dir]
                                                 : ["check", model, "--board", "max32660", "--inputs", "1"])
        #expect(outcome.status == 65)
        let line = Self.errorLine(outcome)
        #expect(line.hasPrefix("mcusim: error: \(model): the firmware does not fit the board: region `FLASH' overflowed by "), "\(line)")
        #expect(line.hasSuffix(" bytes"), "\(line)")
    }

    // Found by fuzzing cost tables and budgets: a value written as a YAML block scalar
    // (`cache_access: |` followed by an indented comment line) was quoted into the error with
    // its line break, so "one error line" became two and the second lost the file name.
    @Test("a multi-line YAML value in a budget, cost table or board file gives a one-line error (65)",
          arguments: ["budget", "costs", "board"])
    func blockScalarValueStaysOnOneLine(kind: String) throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = FixtureBuilder.repositoryRoot
        let path = dir + "/\(kind).yaml"
        let arguments: [String]
        let key: String
        switch kind {
        case "budget":
            try "cycles: |\n  12\n  34\n".write(toFile: path, atomically: true, encoding: .utf8)
            (arguments, key) = (["gate", root + "/traces/hello-max32660.json", "--budget", path], "cycles")
        case "costs":
            let table = try String(contentsOfFile: root + "/boards/costs/horowitz-45nm.yaml", encoding: .utf8)
            try #require(table.contains("\n  int_alu: 0.1 "))
            try table.replacingOccurrences(of: "\n  int_alu: 0.1 ", with: "\n  int_alu: |\n    0.1\n    0.2\n  #")
                .write(toFile: path, atomically: true, encoding: .utf8)
            (arguments, key) = (["run", "--board", "max32660", "--quiet", "--costs", path, try RobustnessTests.mutationBaseELF()],
                                "operations.int_alu")
        default:
            let board = try String(contentsOfFile: root + "/boards/max32660.yaml", encoding: .utf8)
            try #require(board.contains("\nclock_hz: 96_000_000"))
            try board.replacingOccurrences(of: "\nclock_hz: 96_000_000", with: "\nclock_hz: |\n  96\n  000\n#")
                .write(toFile: path, atomically: true, encoding: .utf8)
            (arguments, key) = (["boards", path], "clock_hz")
        }
        let outcome = CLI.run(arguments)
        #expect(outcome.status == 65)
        let line = Self.errorLine(outcome)
        #expect(line.hasPrefix("mcusim: error: \(path): \(key): expected "), "\(line)")
        #expect(line.contains("\\n"), "the line break is shown escaped: \(line)")
    }

    // Found by fuzzing cost tables: `mmio: 18446744073709551616` (2^64 pJ) was accepted as a
    // finite, non-negative cost, and setting up the run trapped converting it to femtojoules
    // ("Double value cannot be converted to UInt64", SIGILL) in Machine.mapMemory.
    @Test("`run --costs` with a 2^64 pJ memory cost is bad input (65) naming the file, not a trap")
    func hugeCostTableFigure() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let table = try String(contentsOfFile: FixtureBuilder.repositoryRoot + "/boards/costs/horowitz-45nm.yaml", encoding: .utf8)
        let mmio = try #require(table.split(separator: "\n").first { $0.hasPrefix("  mmio:") })
        let path = dir + "/costs.yaml"
        try table.replacingOccurrences(of: String(mmio), with: "  mmio: 18446744073709551616")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = CLI.run(["run", "--board", "max32660", "--quiet", "--costs", path, try RobustnessTests.mutationBaseELF()])
        #expect(outcome.status == 65)
        let line = Self.errorLine(outcome)
        #expect(line.hasPrefix("mcusim: error: \(path): memory.mmio: 1.8446744073709552e+19 pJ is not plausible (0 to 1,000,000)"), "\(line)")
    }

    // Found by fuzzing kws_ref_model_float32.tflite: its AVERAGE_POOL_2D (VALID, 25 x 5 over a
    // [1, 25, 5, 64] input) given filter_width 1,000,000 made `check` take 79 s instead of 3 s:
    // the float reference looped over every column of the filter and skipped those outside the
    // input. The references now visit only the in-bounds rows and columns
    // (KernelReference.Geometry.taps). Such a window also gives no output at all under TFLite's
    // shape rule (VALID: (5 - 1,000,000 + 1) / 1 columns, a negative count), so the importer now refuses
    // the declared [1, 1, 1, 64] at once.
    @Test("a pooling filter of 1,000,000 columns over 5 is refused at once (65)", .timeLimit(.minutes(1)))
    func hugePoolingFilter() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tensors = [FBTable(fields: [0: .i32s([1, 25, 5, 64]), 1: .u8(0), 3: .string("in")]),
                       FBTable(fields: [0: .i32s([1, 1, 1, 64]), 1: .u8(0), 3: .string("out")])]
        // Pool2DOptions: padding VALID, stride 1 x 1, filter 1,000,000 wide and 25 high, no activation.
        let pool = FBTable(fields: [0: .u8(1), 1: .i32(1), 2: .i32(1), 3: .i32(1_000_000), 4: .i32(25), 5: .u8(0)])
        let op = FBTable(fields: [0: .u32(0), 1: .i32s([0]), 2: .i32s([1]), 3: .u8(5), 4: .table(pool)])
        let subgraph = FBTable(fields: [0: .tables(tensors), 1: .i32s([0]), 2: .i32s([1]), 3: .tables([op]), 4: .string("pool")])
        let bytes = FBWriter.file(FBTable(fields: [0: .u32(3), 1: .tables([FBTable(fields: [0: .u8(1), 2: .i32(1)])]),
                                                   2: .tables([subgraph]), 4: .tables([FBTable(fields: [:])])]))
        let path = try Self.write(bytes, to: dir + "/pool.tflite")
        let outcome = CLI.run(["check", path, "--inputs", "1"])
        #expect(outcome.status == 65)
        #expect(Self.errorLine(outcome) == "mcusim: error: \(path): invalid model: layer 0 (AVERAGE_POOL_2D, output 'out'): output [1, 1, 1, 64] "
            + "is not the shape TFLite computes from input [1, 25, 5, 64] and the window: [1, 1, -999994, 64]")
    }

    // Found by fuzzing: kws_ref_model.tflite with its output tensor's shape emptied ([]), and
    // the float model with a depthwise stride of 2^31 - 1. TFLite recomputes both shapes when it
    // prepares the layers; mcusim used the declared ones, so firmware and reference disagreed
    // (`check` exit 73). Declared shapes must now be the computed ones.
    @Test("an output shape other than the one TFLite computes is an invalid model (65)")
    func declaredOutputShapeMustMatch() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.write(Self.floatFC(outputShape: [1, 3]), to: dir + "/fc.tflite")
        let outcome = CLI.run(["build", path, "-o", dir + "/out"])
        #expect(outcome.status == 65)
        #expect(Self.errorLine(outcome) == "mcusim: error: \(path): invalid model: layer 0 (FULLY_CONNECTED, output 'out'): output [1, 3] does not hold 1 x 2 values")
        _ = try Self.write(Self.floatFC(outputShape: [1, 2]), to: path)
        #expect(CLI.status(["build", path, "-o", dir + "/out"]) == 0)
    }

    /// An .npz as numpy.savez writes it: stored (uncompressed) ZIP members, local headers only,
    /// which is all the reader walks (it does not check CRCs).
    static func storedZip(_ members: [(String, Data)]) -> Data {
        var out: [UInt8] = []
        func u16(_ v: Int) { out += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
        func u32(_ v: Int) { u16(v & 0xffff); u16(v >> 16 & 0xffff) }
        for (name, data) in members {
            u32(0x0403_4B50); u16(20); u16(0); u16(0); u16(0); u16(0)   // signature, version, flags, stored, time, date
            u32(0); u32(data.count); u32(data.count); u16(name.utf8.count); u16(0)
            out += Array(name.utf8) + Array(data)
        }
        return Data(out)
    }

    // Found by fuzzing --data files: finite inputs (3e38) times input_scale (10) overflowed to
    // infinity after the NaN/infinity check, and the model was calibrated on them silently:
    // 8.6 % accuracy, exit 0. The check now runs on the scaled values.
    @Test("--data whose samples overflow once multiplied by input_scale is bad input (65) naming the file")
    func dataOverflowingInputScale() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rows = [[Float]](repeating: [Float](repeating: 0.5, count: 64), count: 4)
        rows[1][7] = 3e38
        let path = dir + "/data.npz"
        try Self.storedZip([("calibration.npy", GeneratorCommandTests.npy(rows)),
                            ("input_scale.npy", GeneratorCommandTests.npy([[10]]))]).write(to: URL(fileURLWithPath: path))
        let model = FixtureBuilder.repositoryRoot + "/firmware/models/digits_mlp.json"
        let outcome = CLI.run(["build", model, "--data", path, "-o", dir + "/out"])
        #expect(outcome.status == 65)
        #expect(Self.errorLine(outcome) == "mcusim: error: \(path): malformed data: calibration times input_scale 10.0 is infinite")
        // The same samples without the overflow are used.
        rows[1][7] = 3e37
        try Self.storedZip([("calibration.npy", GeneratorCommandTests.npy(rows)),
                            ("input_scale.npy", GeneratorCommandTests.npy([[10]]))]).write(to: URL(fileURLWithPath: path))
        #expect(CLI.status(["build", model, "--data", path, "-o", dir + "/out"]) == 0)
    }

    // Found by fuzzing ad01_int8.tflite: an int8 activation's zero point set to -2^31 passed the
    // importer's 32-bit check, and the code generator trapped negating it into the layer's
    // int32 input offset (LayerEmitter, "arithmetic overflow", SIGILL).
    @Test("an int8 tensor whose zero point is outside -128...127 is an invalid model (65), not a trap",
          arguments: [Int64(Int32.min), 128, -129])
    func int8ZeroPointOutOfRange(zeroPoint: Int64) throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func quantization(_ scale: Float, _ zeroPoint: Int64) -> FBField { .table(FBTable(fields: [2: .f32s([scale]), 3: .i64s([zeroPoint])])) }
        let tensors = [FBTable(fields: [0: .i32s([1, 4]), 1: .u8(9), 3: .string("in"), 4: quantization(0.1, zeroPoint)]),
                       FBTable(fields: [0: .i32s([1, 2]), 1: .u8(9), 3: .string("out"), 4: quantization(0.1, 0)]),
                       FBTable(fields: [0: .i32s([2, 4]), 1: .u8(9), 2: .u32(1), 3: .string("w"), 4: quantization(0.5, 0)])]
        let op = FBTable(fields: [0: .u32(0), 1: .i32s([0, 2, -1]), 2: .i32s([1])])
        let subgraph = FBTable(fields: [0: .tables(tensors), 1: .i32s([0]), 2: .i32s([1]), 3: .tables([op]), 4: .string("fc")])
        let buffers = [FBTable(fields: [:]), FBTable(fields: [0: .bytes([1, 2, 3, 4, 5, 6, 7, 8])])]
        let bytes = FBWriter.file(FBTable(fields: [0: .u32(3), 1: .tables([FBTable(fields: [0: .u8(9), 2: .i32(1)])]),
                                                   2: .tables([subgraph]), 4: .tables(buffers)]))
        let path = try Self.write(bytes, to: dir + "/zp.tflite")
        let outcome = CLI.run(["check", path, "--inputs", "1"])
        #expect(outcome.status == 65)
        #expect(Self.errorLine(outcome) == "mcusim: error: \(path): invalid model: tensor 0 'in' has zero point \(zeroPoint), "
            + "outside the int8 range -128...127")
    }

    // Found by mutating ad01_int8.tflite (its first layer's activation set to RELU6, its output
    // scale to 1e-30): the clamp bound zero_point + round(6 / scale) was converted to Int32
    // before clamping and trapped ("Double value cannot be converted to Int32", SIGILL). A tiny
    // scale is a valid file; the bound now saturates at the int8 range.
    @Test("an int8 layer with RELU6 or RELU_N1_TO_1 and a 1e-30 output scale builds and checks bit-exact",
          arguments: [UInt8(3), UInt8(2)])
    func boundedActivationWithTinyScale(activation: UInt8) throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func quantization(_ scale: Float) -> FBField { .table(FBTable(fields: [2: .f32s([scale]), 3: .i64s([0])])) }
        let tensors = [FBTable(fields: [0: .i32s([1, 4]), 1: .u8(9), 3: .string("in"), 4: quantization(0.1)]),
                       FBTable(fields: [0: .i32s([1, 2]), 1: .u8(9), 3: .string("out"), 4: quantization(1e-30)]),
                       FBTable(fields: [0: .i32s([2, 4]), 1: .u8(9), 2: .u32(1), 3: .string("w"), 4: quantization(0.5)])]
        // FullyConnectedOptions: fused_activation_function (field 0).
        let op = FBTable(fields: [0: .u32(0), 1: .i32s([0, 2, -1]), 2: .i32s([1]), 3: .u8(8),
                                  4: .table(FBTable(fields: [0: .u8(activation)]))])
        let subgraph = FBTable(fields: [0: .tables(tensors), 1: .i32s([0]), 2: .i32s([1]), 3: .tables([op]), 4: .string("fc")])
        let buffers = [FBTable(fields: [:]), FBTable(fields: [0: .bytes([1, 2, 3, 4, 5, 6, 7, 8])])]
        let bytes = FBWriter.file(FBTable(fields: [0: .u32(3), 1: .tables([FBTable(fields: [0: .u8(9), 2: .i32(1)])]),
                                                   2: .tables([subgraph]), 4: .tables(buffers)]))
        let path = try Self.write(bytes, to: dir + "/act.tflite")
        let outcome = CLI.run(["check", path, "--inputs", "1"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("1/1 bit-exact"))
    }

    /// An int8 DEPTHWISE_CONV_2D model: input [1, 3, 3, inC], filter [1, 2, 2, 2], output
    /// [1, 2, 2, 2] (VALID, stride 1), with `multiplier` as its depth_multiplier option (nil: absent).
    static func depthwise(inChannels: Int32, multiplier: Int32?) -> [UInt8] {
        func quantization(_ scale: Float) -> FBField { .table(FBTable(fields: [2: .f32s([scale]), 3: .i64s([0])])) }
        let tensors = [FBTable(fields: [0: .i32s([1, 3, 3, inChannels]), 1: .u8(9), 3: .string("in"), 4: quantization(0.1)]),
                       FBTable(fields: [0: .i32s([1, 2, 2, 2]), 1: .u8(9), 3: .string("out"), 4: quantization(0.1)]),
                       FBTable(fields: [0: .i32s([1, 2, 2, 2]), 1: .u8(9), 2: .u32(1), 3: .string("w"), 4: quantization(0.5)])]
        var options = FBTable(fields: [0: .u8(1), 1: .i32(1), 2: .i32(1), 4: .u8(0)])   // VALID, stride 1 x 1, no activation
        if let multiplier { options.fields[3] = .i32(multiplier) }
        let op = FBTable(fields: [0: .u32(0), 1: .i32s([0, 2, -1]), 2: .i32s([1]), 3: .u8(2), 4: .table(options)])
        let subgraph = FBTable(fields: [0: .tables(tensors), 1: .i32s([0]), 2: .i32s([1]), 3: .tables([op]), 4: .string("dw")])
        let buffers = [FBTable(fields: [:]), FBTable(fields: [0: .bytes([1, 2, 3, 4, 5, 6, 7, 8])])]
        return FBWriter.file(FBTable(fields: [0: .u32(3), 1: .tables([FBTable(fields: [0: .u8(4), 2: .i32(1)])]),
                                              2: .tables([subgraph]), 4: .tables(buffers)]))
    }

    // Found by fuzzing kws_ref_model_float32.tflite: a DEPTHWISE_CONV_2D's depth_multiplier set
    // to -1 made the reference index before its input ("Index out of range", SIGILL); an absent
    // option (the schema default 0) divided by zero. The multiplier now comes from the shapes,
    // as TFLite's ComputeDepthMultiplier has it: filter channels / input channels.
    @Test("a depthwise layer's depth_multiplier option of -1, 0, 7 or absent is replaced by the shapes' 1",
          arguments: [Int32(-1), 0, 7, nil])
    func depthMultiplierFromShapes(multiplier: Int32?) throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.write(Self.depthwise(inChannels: 2, multiplier: multiplier), to: dir + "/dw.tflite")
        let outcome = CLI.run(["check", path, "--inputs", "1"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("1/1 bit-exact"))
    }

    @Test("a depthwise filter whose channels are not a multiple of the input's is an invalid model (65)")
    func depthwiseChannelsNotAMultiple() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.write(Self.depthwise(inChannels: 3, multiplier: 1), to: dir + "/dw.tflite")
        let outcome = CLI.run(["check", path, "--inputs", "1"])
        #expect(outcome.status == 65)
        #expect(Self.errorLine(outcome) == "mcusim: error: \(path): invalid model: layer 0 (DEPTHWISE_CONV_2D, output 'out'): "
            + "filter [1, 2, 2, 2] channels are not a multiple of the input's 3 channels")
    }
}
