/// The C for a FULLY_CONNECTED or CONV_2D layer stored in a sparse encoding: the encoded
/// arrays, the folded bias and an nn_sparse_t, and the call into the sparse kernels (nn_sparse.h).
enum SparseEmitter {
    static func emit(_ op: Operator, layer: Int, model: Model, weights: [Int8], bias: [Int32]?, input buffer: (Int) -> String,
                     constants: inout String, scratch: inout Int, weightStorage: String, weightBytes: inout Int,
                     sparseFormats: inout UInt32, encoding: SparseEncoding, file: String) throws -> String {
        func tensor(_ i: Int) throws -> Tensor { try model.tensor(i, usedBy: layer, file: file) }
        let prefix = String(format: "l%02d", layer)
        let inT = try tensor(op.inputs[0]), w = try tensor(op.inputs[1]), out = try tensor(op.outputs[0])
        guard encoding != .taps else {
            throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): the taps encoding is for depthwise layers")
        }
        guard let rows = w.shape.first, rows > 0, weights.count % rows == 0 else {
            throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): empty or ragged weight tensor")
        }
        let layerData = try SparseLayer(weights: weights, rows: rows, cols: weights.count / rows, bias: bias,
                                        inputOffset: -ModelRunner.zeroPoint(inT), encoding: encoding)
        let m = layerData.matrix
        constants += "/* \(prefix): \(encoding) weights, \(m.values.count) stored of \(weights.count) (\(m.indexBytes) index bytes) */\n"
        weightBytes += m.weightBytes + m.indexBytes
        // Word-aligned: the DSP kernels load values (and 2:4 index halfwords) a word at a time.
        constants += "\(weightStorage) int8_t \(prefix)_values[\(max(m.values.count, 1))] __attribute__((aligned(4))) = {\n" + CArray.rows(m.values.isEmpty ? ["0"] : m.values.map { String($0) }) + "};\n"
        let indexName: String
        if m.index.isEmpty {
            indexName = "0"
        } else {
            let (type, items) = indexItems(m)
            constants += "\(weightStorage) \(type) \(prefix)_index[\(items.count)] __attribute__((aligned(4))) = {\n" + CArray.rows(items) + "};\n"
            indexName = "\(prefix)_index"
        }
        var rowName = "0"
        if !m.rowCount.isEmpty {
            constants += "\(weightStorage) uint16_t \(prefix)_rows[\(m.rowCount.count)] = {\n" + CArray.rows(m.rowCount.map { String($0) }) + "};\n"
            rowName = "\(prefix)_rows"
        }
        constants += "static const int32_t \(prefix)_bias[\(rows)] = { /* bias + input offset x row sum */\n"
            + CArray.rows(layerData.foldedBias.map { String($0) }) + "};\n"
        var (n, mm) = (0, 0)
        if case let .nm(a, b) = encoding { (n, mm) = (a, b) }
        // The kernels read the input offset only as the zero point of padding taps.
        var body = LayerEmitter.requantization(prefix: prefix, input: inT, weights: w, output: out, activation: op.activation,
                                               inputOffset: -ModelRunner.zeroPoint(inT), constants: &constants)
        sparseFormats |= 1 << UInt32(m.cFormat)
        body += "    static const nn_sparse_t sw = { \(m.cFormat), \(m.rows), \(m.cols), \(n), \(mm), \(prefix)_values, \(indexName), \(rowName), \(prefix)_bias };\n"
        switch op.options {
        case let .conv2D(o):
            let g = ModelRunner.geometry(inShape: inT.shape, outShape: out.shape, outC: out.shape.last ?? 1, kH: w.shape[1],
                                         kW: w.shape[2], strideH: o.strideH, strideW: o.strideW, padding: o.padding)
            scratch = max(scratch, layerData.scratchWords(conv: true))
            body += "    static const nn_geom_t g = \(LayerEmitter.geometry(g));\n"
            body += "    conv2d_sparse_s8(\(buffer(op.inputs[0])), &sw, \(buffer(op.outputs[0])), &g, &act, &quant, sparse_scratch);\n"
        default:
            scratch = max(scratch, layerData.scratchWords(conv: false))
            body += "    fully_connected_sparse_s8(\(buffer(op.inputs[0])), &sw, \(buffer(op.outputs[0])), \(max(1, inT.elementCount / m.cols)), &act, &quant, sparse_scratch);\n"
        }
        return body
    }

    /// The C for a DEPTHWISE_CONV_2D layer (depth multiplier 1) stored as taps: tap numbers,
    /// values, kept taps per channel, the folded bias, and the call to
    /// depthwise_conv2d_sparse_s8 (nn_sparse_depthwise.c).
    static func emitDepthwise(_ op: Operator, layer: Int, model: Model, weights: [Int8], bias: [Int32]?, input buffer: (Int) -> String,
                              constants: inout String, scratch: inout Int, weightStorage: String, weightBytes: inout Int,
                              sparseFormats: inout UInt32, file: String) throws -> String {
        func tensor(_ i: Int) throws -> Tensor { try model.tensor(i, usedBy: layer, file: file) }
        let prefix = String(format: "l%02d", layer)
        let inT = try tensor(op.inputs[0]), w = try tensor(op.inputs[1]), out = try tensor(op.outputs[0])
        guard case let .depthwiseConv2D(o) = op.options, o.depthMultiplier == 1, w.shape.count == 4,
              let channels = out.shape.last, inT.shape.last == channels else {
            throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): a sparse depthwise layer needs depth multiplier 1")
        }
        let g = ModelRunner.geometry(inShape: inT.shape, outShape: out.shape, outC: channels, kH: w.shape[1], kW: w.shape[2],
                                     strideH: o.strideH, strideW: o.strideW, padding: o.padding)
        let layerData = try SparseDepthwise(weights: weights, channels: channels, taps: g.kH * g.kW, bias: bias,
                                            inputOffset: -ModelRunner.zeroPoint(inT))
        let m = layerData.matrix
        constants += "/* \(prefix): taps, \(m.values.count) kept of \(weights.count) (\(m.indexBytes) index bytes) */\n"
        weightBytes += m.weightBytes + m.indexBytes
        // Word-aligned: the DSP kernels load values (and 2:4 index halfwords) a word at a time.
        constants += "\(weightStorage) int8_t \(prefix)_values[\(max(m.values.count, 1))] __attribute__((aligned(4))) = {\n"
            + CArray.rows(m.values.isEmpty ? ["0"] : m.values.map { String($0) }) + "};\n"
        constants += "\(weightStorage) uint8_t \(prefix)_taps[\(max(m.index.count, 1))] = { /* ky * kW + kx */\n"
            + CArray.rows(m.index.isEmpty ? ["0"] : m.index.map { String($0) }) + "};\n"
        constants += "\(weightStorage) uint16_t \(prefix)_rows[\(m.rowCount.count)] = {\n" + CArray.rows(m.rowCount.map { String($0) }) + "};\n"
        constants += "static const int32_t \(prefix)_bias[\(channels)] = { /* bias + input offset x filter sum */\n"
            + CArray.rows(layerData.foldedBias.map { String($0) }) + "};\n"
        scratch = max(scratch, SparseDepthwise.scratchWords(geometry: g))
        var body = LayerEmitter.requantization(prefix: prefix, input: inT, weights: w, output: out, activation: op.activation,
                                               inputOffset: -ModelRunner.zeroPoint(inT), constants: &constants)
        sparseFormats |= 1 << UInt32(m.cFormat)
        body += "    static const nn_sparse_t sw = { \(m.cFormat), \(m.rows), \(m.cols), 0, 0, \(prefix)_values, \(prefix)_taps, \(prefix)_rows, \(prefix)_bias };\n"
        body += "    static const nn_geom_t g = \(LayerEmitter.geometry(g));\n"
        body += "    depthwise_conv2d_sparse_s8(\(buffer(op.inputs[0])), &sw, \(buffer(op.outputs[0])), &g, &act, &quant, sparse_scratch);\n"
        return body
    }

    /// The index array as typed C initializers: bytes, halfwords, or mask words in hex.
    static func indexItems(_ m: SparseMatrix) -> (String, [String]) {
        let b = m.index
        switch m.indexElementBytes {
        case 2:
            return ("uint16_t", stride(from: 0, to: b.count - 1, by: 2).map { String(Int(b[$0]) | Int(b[$0 + 1]) << 8) })
        case 4:
            return ("uint32_t", stride(from: 0, to: b.count - 3, by: 4).map {
                let v = UInt32(b[$0]) | UInt32(b[$0 + 1]) << 8 | UInt32(b[$0 + 2]) << 16 | UInt32(b[$0 + 3]) << 24
                return "0x" + String(v, radix: 16, uppercase: true) + "u"
            })
        default:
            return ("uint8_t", b.map { String($0) })
        }
    }
}
