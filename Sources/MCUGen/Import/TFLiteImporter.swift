import Foundation
import MCUSim

/// Reads a TFLite flatbuffer (.tflite) into the Model IR, from the public schema
/// (tensorflow/compiler/mlir/lite/schema/schema.fbs) without a flatbuffers library.
///
/// Field ids used (vtable slot = 4 + 2 * id):
///   Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4
///   SubGraph: tensors 0, inputs 1, outputs 2, operators 3, name 4
///   Tensor: shape 0, type 1, buffer 2, name 3, quantization 4
///   QuantizationParameters: min 0, max 1, scale 2, zero_point 3 (int64), details_type 4,
///     details 5, quantized_dimension 6
///   Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4
///   OperatorCode: deprecated_builtin_code 0 (int8), custom_code 1, version 2, builtin_code 3 (int32)
///   Buffer: data 0, offset 1, size 2
/// The opcode is max(deprecated_builtin_code, builtin_code): old writers set only the first,
/// new ones set the second and clamp the first to 127 (PLACEHOLDER_FOR_GREATER_OP_CODES).
public enum TFLiteImporter {
    /// The file identifier TFLite writes after the root offset.
    public static let fileIdentifier = "TFL3"

    /// The most elements a tensor may have (16 M, as for an npz model's input).
    public static let maxTensorElements = 1 << 24

    public static func load(path: String) throws -> Model {
        // Foundation reports a device or pipe as a permission problem: name it for what it is.
        switch FileKind.of(path) {
        case .directory: throw GeneratorError.malformedModel(file: path, problem: "is a directory, not a model file")
        case .special: throw GeneratorError.malformedModel(file: path, problem: "is not a regular file (a device or a pipe)")
        case .regular, .missing: break
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw GeneratorError.malformedModel(file: path, problem: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(bytes: [UInt8](data), path: path)
    }

    /// Parses `bytes`; `path` only names the file in errors and gives the model its default name.
    public static func parse(bytes: [UInt8], path: String = "<memory>") throws -> Model {
        do {
            return try Reader(fb: FlatBuffer(bytes: bytes), path: path).model()
        } catch let e as FlatBufferError {
            throw GeneratorError.malformedModel(file: path, problem: e.message)
        }
    }

    // MARK: - Enumerations of the schema

    /// TensorType -> ElementType (FLOAT32 0, INT32 2, UINT8 3, INT64 4, INT16 7, INT8 9).
    static func elementType(_ code: Int8) -> ElementType? {
        switch code {
        case 0: return .float32
        case 2: return .int32
        case 3: return .uint8
        case 4: return .int64
        case 7: return .int16
        case 9: return .int8
        default: return nil
        }
    }

    static let tensorTypeNames = ["FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16",
                                  "COMPLEX64", "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT",
                                  "UINT32", "UINT16", "INT4"]

    static func kind(_ code: Int) -> OperatorKind? {
        switch code {
        case 0: return .add
        case 1: return .averagePool2D
        case 3: return .conv2D
        case 4: return .depthwiseConv2D
        case 6: return .dequantize
        case 9: return .fullyConnected
        case 17: return .maxPool2D
        case 22: return .reshape
        case 25: return .softmax
        case 114: return .quantize
        default: return nil
        }
    }

    /// BuiltinOperator names, by code, for error messages.
    static let builtinNames: [String] = [
        "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
        "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION",
        "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D",
        "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX",
        "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM",
        "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
        "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
        "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE",
        "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG",
        "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
        "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT",
        "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR",
        "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY",
        "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU",
        "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N",
        "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE",
        "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4",
        "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
        "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D", "IMAG",
        "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL",
        "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS",
        "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE",
        "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM", "ATAN2",
        "UNSORTED_SEGMENT_MIN", "SIGN",
    ]

    public static func builtinName(_ code: Int) -> String {
        code >= 0 && code < builtinNames.count ? builtinNames[code] : "BUILTIN_OPERATOR_\(code)"
    }

    static func activation(_ code: Int8) -> FusedActivation? {
        switch code {
        case 0: return FusedActivation.none
        case 1: return .relu
        case 2: return .reluN1To1
        case 3: return .relu6
        default: return nil   // TANH 4, SIGN_BIT 5
        }
    }

    // MARK: - The reader

    private struct Reader {
        let fb: FlatBuffer
        let path: String

        func invalid(_ problem: String) -> GeneratorError { .invalidModel(file: path, problem: problem) }

        func model() throws -> Model {
            let bytes = fb.bytes
            guard !bytes.isEmpty else { throw FlatBufferError("the file is empty") }
            guard bytes.count >= 8 else { throw FlatBufferError("file is \(bytes.count) bytes, too short for a TFLite header") }
            guard fb.fileIdentifier == TFLiteImporter.fileIdentifier else {
                let id = bytes[4..<8].map { String(format: "%02x", $0) }.joined(separator: " ")
                throw FlatBufferError("file identifier is [\(id)], expected \"TFL3\": not a TFLite flatbuffer")
            }
            let root = try fb.rootTable()
            let version = try fb.u32(root, 0)
            guard version == 3 else { throw invalid("schema version \(version), only version 3 is supported") }
            guard let subgraphs = try fb.vector(root, 2, elementSize: 4), subgraphs.count >= 1 else {
                throw FlatBufferError("the model has no subgraphs")
            }
            let opcodes = try fb.vector(root, 1, elementSize: 4)
            let buffers = try fb.vector(root, 4, elementSize: 4)
            let sg = try fb.table(in: subgraphs, 0)
            // Every part of the file is checked, also what the IR does not use, so that a cut or
            // damaged file is reported as such rather than half-read.
            _ = try fb.string(root, 3)
            if let buffers {
                for i in 0..<buffers.count {
                    _ = try fb.vector(try fb.table(in: buffers, i), 0, elementSize: 1)
                }
            }
            if let opcodes {
                for i in 0..<opcodes.count {
                    let oc = try fb.table(in: opcodes, i)
                    _ = try fb.string(oc, 1)
                    _ = try fb.i32(oc, 3)
                }
            }
            if let metadata = try fb.vector(root, 6, elementSize: 4) {
                for i in 0..<metadata.count { _ = try fb.string(try fb.table(in: metadata, i), 0) }
            }

            // Tensors.
            var tensors: [Tensor] = []
            if let tv = try fb.vector(sg, 0, elementSize: 4) {
                tensors.reserveCapacity(tv.count)
                for i in 0..<tv.count {
                    tensors.append(try tensor(try fb.table(in: tv, i), index: i, buffers: buffers))
                }
            }
            func checkIndex(_ t: Int32, _ what: String, allowAbsent: Bool) throws -> Int {
                let i = Int(t)
                if allowAbsent && i == -1 { return -1 }
                guard i >= 0, i < tensors.count else {
                    throw invalid("\(what) refers to tensor \(i), but the subgraph has \(tensors.count) tensors")
                }
                return i
            }
            let inputs = try (fb.i32Array(sg, 1) ?? []).map { try checkIndex($0, "subgraph input", allowAbsent: false) }
            let outputs = try (fb.i32Array(sg, 2) ?? []).map { try checkIndex($0, "subgraph output", allowAbsent: false) }

            // Operators.
            var operators: [Operator] = []
            if let ov = try fb.vector(sg, 3, elementSize: 4) {
                for i in 0..<ov.count {
                    let t = try fb.table(in: ov, i)
                    let opInputs = try (fb.i32Array(t, 1) ?? []).map {
                        try checkIndex($0, "layer \(i) input", allowAbsent: true)
                    }
                    let opOutputs = try (fb.i32Array(t, 2) ?? []).map {
                        try checkIndex($0, "layer \(i) output", allowAbsent: false)
                    }
                    guard let firstOut = opOutputs.first else { throw invalid("layer \(i) has no outputs") }
                    let outName = tensors[firstOut].name
                    let opIndex = Int(try fb.u32(t, 0))
                    guard let opcodes, opIndex < opcodes.count else {
                        throw invalid("layer \(i) (output '\(outName)') uses opcode index \(opIndex), but the model has \(opcodes?.count ?? 0) operator codes")
                    }
                    let oc = try fb.table(in: opcodes, opIndex)
                    let deprecated = Int(try fb.i8(oc, 0))
                    let builtin = Int(try fb.i32(oc, 3))
                    let code = max(deprecated, builtin)
                    if let custom = try fb.string(oc, 1), code == 32 {
                        throw GeneratorError.unsupportedOperator(file: path, op: "CUSTOM(\(custom))", layer: i, output: outName)
                    }
                    guard let kind = TFLiteImporter.kind(code) else {
                        throw GeneratorError.unsupportedOperator(file: path, op: TFLiteImporter.builtinName(code), layer: i, output: outName)
                    }
                    let op = Operator(kind: kind, inputs: opInputs, outputs: opOutputs,
                                      options: try options(kind, t, layer: i, output: outName))
                    operators.append(try validate(op, tensors: tensors, layer: i, output: outName))
                }
            }

            var name = try fb.string(sg, 4) ?? ""
            if name.isEmpty || name == "main" {
                name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            }
            return Model(name: name, tensors: tensors, operators: operators, inputs: inputs, outputs: outputs)
        }

        func tensor(_ t: FlatBuffer.Table, index: Int, buffers: FlatBuffer.Vector?) throws -> Tensor {
            let name = try fb.string(t, 3) ?? "tensor\(index)"
            let shape = try (fb.i32Array(t, 0) ?? []).map(Int.init)
            if let bad = shape.first(where: { $0 < 0 }) {
                throw invalid("tensor \(index) '\(name)' has a dynamic or negative dimension \(bad) in shape \(shape)")
            }
            // Every tensor becomes a host array (the float reference, calibration, the int8
            // reference) and a C array: a shape past 16 M elements, larger than any board's
            // memory, would abort the process on allocation instead of being reported.
            var running = 1
            let plausible = shape.allSatisfy { d in
                let (p, overflow) = running.multipliedReportingOverflow(by: d)
                running = p
                return !overflow && p <= TFLiteImporter.maxTensorElements
            }
            guard plausible else {
                throw invalid("tensor \(index) '\(name)' shape \(shape) is implausibly large (more than 16 M elements)")
            }
            let typeCode = try fb.i8(t, 1)
            guard let type = TFLiteImporter.elementType(typeCode) else {
                let tn = typeCode >= 0 && Int(typeCode) < TFLiteImporter.tensorTypeNames.count
                    ? TFLiteImporter.tensorTypeNames[Int(typeCode)] : "type \(typeCode)"
                throw invalid("tensor \(index) '\(name)' has unsupported element type \(tn)")
            }
            if try fb.table(t, 6) != nil {
                throw invalid("tensor \(index) '\(name)' is stored in TFLite's sparse format, which is not supported")
            }
            var data: [UInt8]? = nil
            let bufferIndex = Int(try fb.u32(t, 2))
            if bufferIndex != 0 {
                guard let buffers, bufferIndex < buffers.count else {
                    throw invalid("tensor \(index) '\(name)' refers to buffer \(bufferIndex), but the model has \(buffers?.count ?? 0) buffers")
                }
                let b = try fb.table(in: buffers, bufferIndex)
                if let dv = try fb.vector(b, 0, elementSize: 1), dv.count > 0 {
                    data = fb.byteArray(dv)
                } else if try fb.u64(b, 1) > 1 {
                    throw invalid("tensor \(index) '\(name)' keeps its data outside the flatbuffer (buffer offset/size), which is not supported")
                }
            }
            let elementCount = shape.reduce(1, *)
            if let d = data, d.count != elementCount * type.byteSize {
                throw invalid("tensor \(index) '\(name)' of shape \(shape) \(type) needs \(elementCount * type.byteSize) bytes but its buffer has \(d.count)")
            }
            var quantization: Quantization? = nil
            if let q = try fb.table(t, 4), let scales = try fb.f32Array(q, 2), !scales.isEmpty {
                var zeroPoints = try fb.i64Array(q, 3) ?? []
                if zeroPoints.isEmpty { zeroPoints = Array(repeating: 0, count: scales.count) }
                guard zeroPoints.count == scales.count else {
                    throw invalid("tensor \(index) '\(name)' has \(scales.count) scales but \(zeroPoints.count) zero points")
                }
                // Scales divide and zero points offset int8/int32 arithmetic downstream.
                if let bad = scales.first(where: { !$0.isFinite || $0 <= 0 }) {
                    throw invalid("tensor \(index) '\(name)' has quantization scale \(bad); scales must be finite and positive")
                }
                if let bad = zeroPoints.first(where: { $0 < -(1 << 31) || $0 >= 1 << 31 }) {
                    throw invalid("tensor \(index) '\(name)' has zero point \(bad), outside the 32-bit range")
                }
                // A zero point is a value of the tensor's own type (TFLite's quantization spec). The
                // kernels negate it as an int32 input offset: -2^31 on an int8 tensor trapped.
                let representable: ClosedRange<Int64>? = switch type {
                case .int8: -128...127
                case .uint8: 0...255
                case .int16: -32768...32767
                default: nil
                }
                if let representable, let bad = zeroPoints.first(where: { !representable.contains($0) }) {
                    throw invalid("tensor \(index) '\(name)' has zero point \(bad), outside the \(type) range \(representable.lowerBound)...\(representable.upperBound)")
                }
                let dimension = Int(try fb.i32(q, 6))
                if scales.count > 1 {
                    guard dimension >= 0, dimension < shape.count, shape[dimension] == scales.count else {
                        throw invalid("tensor \(index) '\(name)' has \(scales.count) per-channel scales along dimension \(dimension) of shape \(shape)")
                    }
                }
                quantization = Quantization(scales: scales, zeroPoints: zeroPoints, dimension: dimension)
            }
            let tensor = Tensor(name: name, shape: shape, type: type, data: data, quantization: quantization)
            // Float weights are quantized from their range: NaN or infinity would break it silently.
            if type == .float32, let values = FloatReference.floats(tensor), !values.allSatisfy(\.isFinite) {
                throw invalid("tensor \(index) '\(name)' holds NaN or infinite values")
            }
            return tensor
        }

        /// Reads the builtin options of `kind`; absent options take the schema defaults.
        func options(_ kind: OperatorKind, _ t: FlatBuffer.Table, layer: Int, output: String) throws -> OperatorOptions {
            let expectedType: UInt8
            switch kind {
            case .conv2D: expectedType = 1            // BuiltinOptions.Conv2DOptions
            case .depthwiseConv2D: expectedType = 2   // DepthwiseConv2DOptions
            case .averagePool2D, .maxPool2D: expectedType = 5  // Pool2DOptions
            case .fullyConnected: expectedType = 8    // FullyConnectedOptions
            case .softmax: expectedType = 9           // SoftmaxOptions
            case .add: expectedType = 11              // AddOptions
            case .reshape: expectedType = 17          // ReshapeOptions
            case .quantize, .dequantize: return .none
            }
            let optionsType = try fb.u8(t, 3)
            let o: FlatBuffer.Table?
            if optionsType == 0 {
                o = nil
            } else {
                guard optionsType == expectedType else {
                    throw invalid("layer \(layer) (\(kind.rawValue), output '\(output)') carries options of union type \(optionsType), expected \(expectedType)")
                }
                o = try fb.table(t, 4)
            }
            func act(_ id: Int) throws -> FusedActivation {
                guard let o else { return .none }
                let c = try fb.i8(o, id)
                guard let a = TFLiteImporter.activation(c) else {
                    throw invalid("layer \(layer) (\(kind.rawValue), output '\(output)') has unsupported fused activation \(c)")
                }
                return a
            }
            func int(_ id: Int, _ d: Int32) throws -> Int { o == nil ? Int(d) : Int(try fb.i32(o!, id, default: d)) }
            func padding() throws -> Padding {
                guard let o else { return .same }
                switch try fb.i8(o, 0) {
                case 0: return .same
                case 1: return .valid
                case let p: throw invalid("layer \(layer) (\(kind.rawValue), output '\(output)') has unknown padding \(p)")
                }
            }
            switch kind {
            case .conv2D:
                return .conv2D(Conv2DOptions(padding: try padding(), strideW: try int(1, 0), strideH: try int(2, 0),
                                             dilationW: try int(4, 1), dilationH: try int(5, 1), activation: try act(3)))
            case .depthwiseConv2D:
                return .depthwiseConv2D(DepthwiseConv2DOptions(
                    padding: try padding(), strideW: try int(1, 0), strideH: try int(2, 0),
                    dilationW: try int(5, 1), dilationH: try int(6, 1),
                    depthMultiplier: try int(3, 0), activation: try act(4)))
            case .averagePool2D, .maxPool2D:
                return .pool2D(Pool2DOptions(padding: try padding(), strideW: try int(1, 0), strideH: try int(2, 0),
                                             filterW: try int(3, 0), filterH: try int(4, 0), activation: try act(5)))
            case .fullyConnected:
                let weightsFormat = o == nil ? 0 : try fb.i8(o!, 1)
                guard weightsFormat == 0 else {
                    throw invalid("layer \(layer) (FULLY_CONNECTED, output '\(output)') uses shuffled weights format \(weightsFormat)")
                }
                return .fullyConnected(FullyConnectedOptions(activation: try act(0),
                                                             keepNumDims: o == nil ? false : try fb.bool(o!, 2)))
            case .add:
                return .add(activation: try act(0))
            case .softmax:
                return .softmax(beta: o == nil ? 0 : try fb.f32(o!, 0))
            case .reshape:
                guard let o, let s = try fb.i32Array(o, 0), !s.isEmpty else { return .reshape(newShape: nil) }
                return .reshape(newShape: s.map(Int.init))
            case .quantize, .dequantize:
                return .none
            }
        }

        /// Checks the arity, ranks and hyper-parameters each kind's kernel relies on, and returns
        /// the operator with what the shapes imply (a depthwise layer's multiplier).
        func validate(_ op: Operator, tensors: [Tensor], layer: Int, output: String) throws -> Operator {
            var checked = op
            let where_ = "layer \(layer) (\(op.kind.rawValue), output '\(output)')"
            func need(_ cond: Bool, _ msg: @autoclosure () -> String) throws {
                if !cond { throw invalid("\(where_): \(msg())") }
            }
            func t(_ slot: Int) throws -> Tensor {
                try need(slot < op.inputs.count && op.inputs[slot] >= 0, "input \(slot) is missing")
                return tensors[op.inputs[slot]]
            }
            let out = tensors[op.outputs[0]]
            // TFLite recomputes an output's shape from its inputs when it prepares a layer, so a
            // file may declare another one. The generator sizes buffers from the declared shapes:
            // they must be the ones TFLite computes, or firmware and reference disagree.
            func spatial(_ padding: Padding, input x: [Int], kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
                         dilationH: Int = 1, dilationW: Int = 1) throws {
                func size(_ input: Int, _ kernel: Int, _ stride: Int, _ dilation: Int) -> Int {
                    // ComputeOutSize: SAME ceil(in / stride), VALID ceil((in - dilated kernel + 1) / stride).
                    padding == .same ? (input + stride - 1) / stride : (input - ((kernel - 1) * dilation + 1) + stride) / stride
                }
                let h = size(x[1], kernelH, strideH, dilationH), w = size(x[2], kernelW, strideW, dilationW)
                try need(out.shape[0] == x[0] && out.shape[1] == h && out.shape[2] == w,
                         "output \(out.shape) is not the shape TFLite computes from input \(x) and the window: [\(x[0]), \(h), \(w), \(out.shape[3])]")
            }
            switch op.options {
            case let .conv2D(o):
                let x = try t(0), w = try t(1)
                try need(x.shape.count == 4 && w.shape.count == 4 && out.shape.count == 4,
                         "expects 4-D input, filter and output, got \(x.shape), \(w.shape), \(out.shape)")
                try need(o.strideW >= 1 && o.strideH >= 1 && o.dilationW >= 1 && o.dilationH >= 1,
                         "strides and dilations must be positive")
                try need(x.shape[3] % max(w.shape[3], 1) == 0 && w.shape[0] == out.shape[3],
                         "filter \(w.shape) does not match input \(x.shape) and output \(out.shape)")
                try spatial(o.padding, input: x.shape, kernelH: w.shape[1], kernelW: w.shape[2], strideH: o.strideH, strideW: o.strideW,
                            dilationH: o.dilationH, dilationW: o.dilationW)
            case let .depthwiseConv2D(o):
                let x = try t(0), w = try t(1)
                try need(x.shape.count == 4 && w.shape.count == 4 && out.shape.count == 4,
                         "expects 4-D input, filter and output, got \(x.shape), \(w.shape), \(out.shape)")
                try need(o.strideW >= 1 && o.strideH >= 1 && o.dilationW >= 1 && o.dilationH >= 1,
                         "strides and dilations must be positive")
                try need(w.shape[3] == out.shape[3], "filter \(w.shape) does not match output \(out.shape)")
                // As TFLite's ComputeDepthMultiplier: the multiplier is filter channels / input
                // channels. The option (0 when absent, -1 in a fuzzed file) made the reference
                // divide by zero or index before its input.
                try need(x.shape[3] >= 1 && w.shape[3] % x.shape[3] == 0,
                         "filter \(w.shape) channels are not a multiple of the input's \(x.shape[3]) channels")
                try spatial(o.padding, input: x.shape, kernelH: w.shape[1], kernelW: w.shape[2], strideH: o.strideH, strideW: o.strideW,
                            dilationH: o.dilationH, dilationW: o.dilationW)
                var derived = o
                derived.depthMultiplier = w.shape[3] / x.shape[3]
                checked.options = .depthwiseConv2D(derived)
            case let .pool2D(o):
                let x = try t(0)
                try need(x.shape.count == 4 && out.shape.count == 4, "expects 4-D input and output")
                try need(o.strideW >= 1 && o.strideH >= 1 && o.filterW >= 1 && o.filterH >= 1,
                         "strides and filter size must be positive")
                try need(out.shape[3] == x.shape[3], "output \(out.shape) does not keep the input's \(x.shape[3]) channels")
                try spatial(o.padding, input: x.shape, kernelH: o.filterH, kernelW: o.filterW, strideH: o.strideH, strideW: o.strideW)
            case .fullyConnected:
                let x = try t(0), w = try t(1)
                try need(w.shape.count == 2, "expects 2-D weights, got \(w.shape)")
                try need(w.shape[1] > 0 && x.elementCount % w.shape[1] == 0,
                         "input \(x.shape) is not a multiple of the weights' input size \(w.shape[1])")
                try need(out.elementCount == x.elementCount / w.shape[1] * w.shape[0],
                         "output \(out.shape) does not hold \(x.elementCount / w.shape[1]) x \(w.shape[0]) values")
            case .add:
                let x = try t(0), y = try t(1)
                try need(x.elementCount == y.elementCount && out.elementCount == x.elementCount,
                         "inputs \(x.shape) and \(y.shape) and output \(out.shape) differ in size")
            default:
                // Softmax, reshape, quantize: the output holds what the input does.
                let x = try t(0)
                try need(out.elementCount == x.elementCount, "output \(out.shape) does not hold the input's \(x.elementCount) values")
            }
            // Weighted layers index scales and biases by output channel.
            switch op.options {
            case .conv2D, .depthwiseConv2D, .fullyConnected:
                let w = try t(1), channels = out.shape.last ?? 1
                let scales = w.quantization?.scales.count ?? 0
                try need(scales <= 1 || scales == channels,
                         "the weights have \(scales) quantization scales for \(channels) output channels")
                if op.inputs.count > 2, op.inputs[2] >= 0 {
                    let bias = tensors[op.inputs[2]]
                    try need(bias.elementCount == channels, "the bias has \(bias.elementCount) values for \(channels) output channels")
                }
            default:
                break
            }
            return checked
        }
    }
}
