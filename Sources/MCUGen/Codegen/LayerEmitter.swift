/// The C for one layer: its constant arrays and the kernel call with its parameters, computed
/// exactly as the host reference (ModelRunner) computes them.
enum LayerEmitter {
    /// `weightStorage` declares weight arrays (Placement.weightStorage); their bytes are added to
    /// `weightBytes`, and a sparse layer's kernel format to `sparseFormats` (bit NN_SPARSE_*).
    static func emit(_ op: Operator, layer: Int, model: Model, input buffer: (Int) -> String, constants: inout String,
                     scratch: inout Int, weightStorage: String, weightBytes: inout Int, sparseScratch: inout Int,
                     sparseFormats: inout UInt32, encoding: SparseEncoding = .dense, file: String) throws -> String {
        func tensor(_ i: Int) throws -> Tensor { try model.tensor(i, usedBy: layer, file: file) }
        let prefix = String(format: "l%02d", layer)
        guard let outIndex = op.outputs.first else { return "" }
        let out = try tensor(outIndex)
        switch op.kind {
        case .reshape:
            return "    /* RESHAPE: the output aliases the input; nothing to do. */\n"
        case .softmax:
            guard case let .softmax(beta) = op.options else { break }
            let inT = try tensor(op.inputs[0])
            let rowSize = inT.shape.last ?? 1
            let p = try KernelReference.SoftmaxParams.checked(beta: Double(beta), inputScale: ModelRunner.scale(inT), layer: layer, file: file)
            // exp of every int8 difference, from the reference's own arithmetic (1 KiB of flash).
            constants += "static const int32_t \(prefix)_exp[256] = { /* exp of -d, Q0.31; softmax beta x scale as multiplier \(p.inputMultiplier), shift \(p.inputLeftShift) */\n"
                + CArray.rows(KernelReference.expTable(params: p).map { String($0) }) + "};\n"
            return "    softmax_s8_table(\(buffer(op.inputs[0])), \(buffer(outIndex)), \(max(1, inT.elementCount / rowSize)), \(rowSize), \(prefix)_exp);\n"
        case .add:
            let a = try tensor(op.inputs[0]), b = try tensor(op.inputs[1])
            let p = try ModelRunner.addParams(op, layer: layer, a, b, out, file: file)
            // A constant operand (e.g. a learned offset) becomes a const array; activations are buffers.
            func operand(_ index: Int, _ t: Tensor, _ name: String) -> String {
                guard let data = t.data, t.type == .int8 else { return buffer(index) }
                weightBytes += data.count
                constants += "\(weightStorage) int8_t \(prefix)_\(name)[\(data.count)] __attribute__((aligned(4))) = {\n"
                    + CArray.rows(data.map { String(Int8(bitPattern: $0)) }) + "};\n"
                return "\(prefix)_\(name)"
            }
            let x = operand(op.inputs[0], a, "input1"), y = operand(op.inputs[1], b, "input2")
            return "    static const nn_add_params_t p = { \(p.input1Offset), \(p.input2Offset), \(p.leftShift), "
                + "\(p.input1Multiplier), \(p.input1Shift), \(p.input2Multiplier), \(p.input2Shift), "
                + "\(p.outputMultiplier), \(p.outputShift), \(p.outputOffset), \(p.actMin), \(p.actMax) };\n"
                + "    add_s8(\(x), \(y), \(buffer(outIndex)), \(out.elementCount), &p);\n"
        case .averagePool2D, .maxPool2D:
            guard case let .pool2D(o) = op.options else { break }
            let inT = try tensor(op.inputs[0])
            let g = ModelRunner.geometry(inShape: inT.shape, outShape: out.shape, outC: inT.shape.last ?? 1, kH: o.filterH,
                                         kW: o.filterW, strideH: o.strideH, strideW: o.strideW, padding: o.padding)
            let (lo, hi) = ModelRunner.activationRange(o.activation, out)
            let fn = op.kind == .averagePool2D ? "avg_pool2d_s8" : "max_pool2d_s8"
            return "    static const nn_geom_t g = \(geometry(g));\n    \(fn)(\(buffer(op.inputs[0])), \(buffer(outIndex)), &g, \(lo), \(hi));\n"
        case .conv2D, .depthwiseConv2D, .fullyConnected:
            let inT = try tensor(op.inputs[0]), w = try tensor(op.inputs[1])
            let bias = op.inputs.count > 2 && op.inputs[2] >= 0 ? try tensor(op.inputs[2]) : nil
            guard let wData = w.data, w.type == .int8 else {
                throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): weights must be constant int8")
            }
            let outC = out.shape.last ?? 1
            if encoding != .dense, op.kind == .depthwiseConv2D {
                return try SparseEmitter.emitDepthwise(op, layer: layer, model: model, weights: wData.map { Int8(bitPattern: $0) },
                                                       bias: bias?.int32Values, input: buffer, constants: &constants,
                                                       scratch: &sparseScratch, weightStorage: weightStorage,
                                                       weightBytes: &weightBytes, sparseFormats: &sparseFormats, file: file)
            }
            if encoding != .dense {
                return try SparseEmitter.emit(op, layer: layer, model: model, weights: wData.map { Int8(bitPattern: $0) },
                                              bias: bias?.int32Values, input: buffer, constants: &constants, scratch: &sparseScratch,
                                              weightStorage: weightStorage, weightBytes: &weightBytes, sparseFormats: &sparseFormats,
                                              encoding: encoding, file: file)
            }
            weightBytes += wData.count
            constants += "\(weightStorage) int8_t \(prefix)_weights[\(wData.count)] __attribute__((aligned(4))) = {\n"
                + CArray.rows(wData.map { String(Int8(bitPattern: $0)) }) + "};\n"
            var biasValues = bias?.int32Values
            // Fully connected layers and 1x1 convolutions (which the kernel runs as fully connected)
            // get the input offset folded into the bias, so the kernel's inner loops skip it.
            var inputOffset = -ModelRunner.zeroPoint(inT)
            if let rows = foldableRows(op, input: inT, weights: w, output: out), inputOffset != 0 {
                let wValues = wData.map { Int8(bitPattern: $0) }
                biasValues = KernelReference.foldInputOffset(bias: biasValues, weights: wValues, inFeatures: wData.count / rows,
                                                             outFeatures: rows, inputOffset: inputOffset)
                inputOffset = 0
            }
            var biasName = "0"
            if let biasValues {
                constants += "static const int32_t \(prefix)_bias[\(biasValues.count)] = {\n" + CArray.rows(biasValues.map { String($0) }) + "};\n"
                biasName = "\(prefix)_bias"
            }
            var body = requantization(prefix: prefix, input: inT, weights: w, output: out, activation: op.activation,
                                      inputOffset: inputOffset, constants: &constants)
            switch op.options {
            case let .conv2D(o):
                let g = ModelRunner.geometry(inShape: inT.shape, outShape: out.shape, outC: outC, kH: w.shape[1], kW: w.shape[2],
                                             strideH: o.strideH, strideW: o.strideW, padding: o.padding)
                scratch = max(scratch, 2 * g.kH * g.kW * g.inC)
                body += "    static const nn_geom_t g = \(geometry(g));\n"
                body += "    conv2d_s8(\(buffer(op.inputs[0])), \(prefix)_weights, \(biasName), \(buffer(outIndex)), &g, &act, &quant, scratch);\n"
            case let .depthwiseConv2D(o):
                let g = ModelRunner.geometry(inShape: inT.shape, outShape: out.shape, outC: outC, kH: w.shape[1], kW: w.shape[2],
                                             strideH: o.strideH, strideW: o.strideW, padding: o.padding)
                body += "    static const nn_geom_t g = \(geometry(g));\n"
                body += "    depthwise_conv2d_s8(\(buffer(op.inputs[0])), \(prefix)_weights, \(biasName), \(buffer(outIndex)), &g, \(o.depthMultiplier), &act, &quant);\n"
            case .fullyConnected:
                let inFeatures = w.shape.last ?? 1
                let batches = max(1, inT.elementCount / inFeatures)
                body += "    fully_connected_s8(\(buffer(op.inputs[0])), \(prefix)_weights, \(biasName), \(buffer(outIndex)), \(batches), \(inFeatures), \(w.shape.first ?? outC), &act, &quant);\n"
            default:
                break
            }
            return body
        default:
            break
        }
        throw GeneratorError.invalidModel(file: file, problem: "code generation does not support \(op.kind.rawValue) yet (layer \(layer))")
    }

    /// The multiplier and shift arrays, and the act and quant structs every weighted layer uses
    /// (`inputOffset`: the offset the kernel adds to each input; 0 when folded into the bias).
    static func requantization(prefix: String, input inT: Tensor, weights w: Tensor, output out: Tensor, activation: FusedActivation,
                               inputOffset: Int32, constants: inout String) -> String {
        let q = ModelRunner.quant(input: inT, weights: w, output: out, channels: out.shape.last ?? 1)
        constants += "static const int32_t \(prefix)_multiplier[\(q.multipliers.count)] = {\n" + CArray.rows(q.multipliers.map { String($0) }) + "};\n"
        constants += "static const int32_t \(prefix)_shift[\(q.shifts.count)] = {\n" + CArray.rows(q.shifts.map { String($0) }) + "};\n\n"
        let (lo, hi) = ModelRunner.activationRange(activation, out)
        var body = "    static const nn_act_t act = { \(inputOffset), \(ModelRunner.zeroPoint(out)), \(lo), \(hi) };\n"
        body += "    static const nn_quant_t quant = { \(prefix)_multiplier, \(prefix)_shift, \(q.perChannel ? 1 : 0) };\n"
        return body
    }

    /// The output rows when the layer is a plain matrix product whose input offset can be folded
    /// into the bias: FULLY_CONNECTED, and CONV_2D with a 1x1 kernel, stride 1 and no padding
    /// (conv2d_s8 runs those as fully connected). Nil otherwise: a padded tap must contribute 0,
    /// not offset * w.
    static func foldableRows(_ op: Operator, input: Tensor, weights: Tensor, output: Tensor) -> Int? {
        switch op.options {
        case .fullyConnected:
            return weights.shape.first
        case let .conv2D(o):
            guard weights.shape.count == 4, weights.shape[1] == 1, weights.shape[2] == 1, o.strideH == 1, o.strideW == 1,
                  input.shape.count == 4, output.shape.count == 4,
                  input.shape[1] == output.shape[1], input.shape[2] == output.shape[2] else { return nil }
            return weights.shape[0]
        default:
            return nil
        }
    }

    static func geometry(_ g: KernelReference.Geometry) -> String {
        "{ \(g.inH), \(g.inW), \(g.inC), \(g.outH), \(g.outW), \(g.outC), \(g.kH), \(g.kW), \(g.strideH), \(g.strideW), \(g.padTop), \(g.padLeft) }"
    }
}
