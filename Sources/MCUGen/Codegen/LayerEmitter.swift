/// The C for one layer: its constant arrays and the kernel call with its parameters, computed
/// exactly as the host reference (ModelRunner) computes them.
enum LayerEmitter {
    static func emit(_ op: Operator, layer: Int, model: Model, input buffer: (Int) -> String, constants: inout String,
                     scratch: inout Int, sparseScratch: inout Int, encoding: SparseEncoding = .dense, file: String) throws -> String {
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
            let p = KernelReference.SoftmaxParams.make(beta: Double(beta), inputScale: ModelRunner.scale(inT))
            // exp of every int8 difference, from the reference's own arithmetic (1 KiB of flash).
            constants += "static const int32_t \(prefix)_exp[256] = { /* exp of -d, Q0.31; softmax beta x scale as multiplier \(p.inputMultiplier), shift \(p.inputLeftShift) */\n"
                + CArray.rows(KernelReference.expTable(params: p).map { String($0) }) + "};\n"
            return "    softmax_s8_table(\(buffer(op.inputs[0])), \(buffer(outIndex)), \(max(1, inT.elementCount / rowSize)), \(rowSize), \(prefix)_exp);\n"
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
            guard let wValues = w.int8Values else {
                throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): weights must be constant int8")
            }
            let outC = out.shape.last ?? 1
            let biasValues = bias?.int32Values
            if encoding != .dense, op.kind != .depthwiseConv2D {
                return try SparseEmitter.emit(op, layer: layer, model: model, weights: wValues, bias: biasValues, input: buffer,
                                              constants: &constants, scratch: &sparseScratch, encoding: encoding, file: file)
            }
            constants += "static const int8_t \(prefix)_weights[\(wValues.count)] = {\n"
                + CArray.rows(wValues.map { String($0) }) + "};\n"
            var biasName = "0"
            if let biasValues {
                constants += "static const int32_t \(prefix)_bias[\(biasValues.count)] = {\n" + CArray.rows(biasValues.map { String($0) }) + "};\n"
                biasName = "\(prefix)_bias"
            }
            var body = requantization(prefix: prefix, input: inT, weights: w, output: out, activation: op.activation, constants: &constants)
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

    /// The multiplier and shift arrays, and the act and quant structs every weighted layer uses.
    static func requantization(prefix: String, input inT: Tensor, weights w: Tensor, output out: Tensor, activation: FusedActivation,
                               constants: inout String) -> String {
        let q = ModelRunner.quant(input: inT, weights: w, output: out, channels: out.shape.last ?? 1)
        constants += "static const int32_t \(prefix)_multiplier[\(q.multipliers.count)] = {\n" + CArray.rows(q.multipliers.map { String($0) }) + "};\n"
        constants += "static const int32_t \(prefix)_shift[\(q.shifts.count)] = {\n" + CArray.rows(q.shifts.map { String($0) }) + "};\n\n"
        let (lo, hi) = ModelRunner.activationRange(activation, out)
        var body = "    static const nn_act_t act = { \(-ModelRunner.zeroPoint(inT)), \(ModelRunner.zeroPoint(out)), \(lo), \(hi) };\n"
        body += "    static const nn_quant_t quant = { \(prefix)_multiplier, \(prefix)_shift, \(q.perChannel ? 1 : 0) };\n"
        return body
    }

    static func geometry(_ g: KernelReference.Geometry) -> String {
        "{ \(g.inH), \(g.inW), \(g.inC), \(g.outH), \(g.outW), \(g.outC), \(g.kH), \(g.kW), \(g.strideH), \(g.strideW), \(g.padTop), \(g.padLeft) }"
    }
}
