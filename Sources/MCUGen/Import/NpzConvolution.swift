/// The convolution and pooling layers of the npz + JSON topology format (docs/generator.md):
///   {"op": "CONV_2D", "weights": "w0", "bias": "b0", "stride": [1, 1], "padding": "SAME", "activation": "RELU"}
///     weights [out, kh, kw, in] (OHWI, TFLite's layout)
///   {"op": "DEPTHWISE_CONV_2D", "weights": "w1", "bias": "b1", "depth_multiplier": 1, ...}
///     weights [1, kh, kw, in * depth_multiplier]
///   {"op": "MAX_POOL_2D" | "AVERAGE_POOL_2D", "filter": [2, 2], "stride": [2, 2], "padding": "VALID"}
/// Activations are NHWC; output shapes follow TFLite's SAME / VALID rules.
enum NpzConvolution {
    typealias FloatTensor = (String, NumPyArray) -> Tensor

    static func pair(_ layer: [String: Any], _ key: String, default value: [Int], _ fail: (String) -> GeneratorError) throws -> (Int, Int) {
        let v = layer[key] as? [Int] ?? value
        guard v.count == 2, v[0] >= 1, v[1] >= 1, v[0] <= 64, v[1] <= 64 else { throw fail("\(key) must be two numbers from 1 to 64") }
        return (v[0], v[1])
    }

    static func padding(_ layer: [String: Any], _ fail: (String) -> GeneratorError) throws -> Padding {
        guard let p = Padding(rawValue: (layer["padding"] as? String ?? "VALID").uppercased()) else { throw fail("padding must be SAME or VALID") }
        return p
    }

    static func activation(_ layer: [String: Any], _ fail: (String) -> GeneratorError) throws -> FusedActivation {
        switch layer["activation"] as? String ?? "NONE" {
        case "RELU": return .relu
        case "RELU6": return .relu6
        case "NONE": return .none
        case let other: throw fail("activation \(other) is not supported (RELU, RELU6, NONE)")
        }
    }

    /// The input as [1, H, W, C], or an error naming the layer.
    static func nhwc(_ t: Tensor, _ fail: (String) -> GeneratorError) throws -> (Int, Int, Int) {
        guard t.shape.count == 4, t.shape[0] == 1 else { throw fail("needs a [1, H, W, C] input, not \(t.shape)") }
        return (t.shape[1], t.shape[2], t.shape[3])
    }

    static func add(_ layer: [String: Any], index i: Int, op: String, arrays: [String: NumPyArray], weightsFile: String,
                    tensors: inout [Tensor], operators: inout [Operator], current: Int, file: String,
                    floatTensor: FloatTensor) throws -> Int {
        func fail(_ p: String) -> GeneratorError { .invalidModel(file: file, problem: "layers[\(i)] (\(op)): \(p)") }
        let (h, w, c) = try nhwc(tensors[current], fail)
        guard let wName = layer["weights"] as? String, let wt = arrays[wName], wt.shape.count == 4 else {
            throw fail("weights must name a 4-D array in \(weightsFile)")
        }
        let depthwise = op == "DEPTHWISE_CONV_2D"
        let multiplier = layer["depth_multiplier"] as? Int ?? 1
        guard (1...256).contains(multiplier) else { throw fail("depth_multiplier must be from 1 to 256, not \(multiplier)") }
        let outC = depthwise ? c * multiplier : wt.shape[0]
        if depthwise {
            guard wt.shape[0] == 1, wt.shape[3] == outC else {
                throw fail("weights \(wName) are \(wt.shape); a depthwise filter is [1, kh, kw, \(outC)]")
            }
        } else {
            guard wt.shape[3] == c else { throw fail("weights \(wName) are \(wt.shape), but the input has \(c) channels") }
        }
        let (sh, sw) = try pair(layer, "stride", default: [1, 1], fail)
        let pad = try padding(layer, fail)
        let act = try activation(layer, fail)
        let g = KernelReference.Geometry.make(inH: h, inW: w, inC: c, outC: outC, kH: wt.shape[1], kW: wt.shape[2],
                                              strideH: sh, strideW: sw, same: pad == .same)
        guard g.outH >= 1, g.outW >= 1 else { throw fail("the kernel is larger than the input") }
        tensors.append(floatTensor(wName, wt))
        let wIndex = tensors.count - 1
        var bIndex = -1
        if let bName = layer["bias"] as? String {
            guard let b = arrays[bName], b.count == outC else { throw fail("bias must name a \(outC)-element array") }
            tensors.append(floatTensor(bName, b))
            bIndex = tensors.count - 1
        }
        tensors.append(Tensor(name: "layer\(i)", shape: [1, g.outH, g.outW, outC], type: .float32))
        let options: OperatorOptions = depthwise
            ? .depthwiseConv2D(DepthwiseConv2DOptions(padding: pad, strideW: sw, strideH: sh, depthMultiplier: multiplier, activation: act))
            : .conv2D(Conv2DOptions(padding: pad, strideW: sw, strideH: sh, activation: act))
        operators.append(Operator(kind: depthwise ? .depthwiseConv2D : .conv2D, inputs: [current, wIndex, bIndex],
                                  outputs: [tensors.count - 1], options: options))
        return tensors.count - 1
    }

    static func addPool(_ layer: [String: Any], index i: Int, op: String, tensors: inout [Tensor], operators: inout [Operator],
                        current: Int, file: String) throws -> Int {
        func fail(_ p: String) -> GeneratorError { .invalidModel(file: file, problem: "layers[\(i)] (\(op)): \(p)") }
        let (h, w, c) = try nhwc(tensors[current], fail)
        let (fh, fw) = try pair(layer, "filter", default: [2, 2], fail)
        let (sh, sw) = try pair(layer, "stride", default: [fh, fw], fail)
        let pad = try padding(layer, fail)
        let g = KernelReference.Geometry.make(inH: h, inW: w, inC: c, outC: c, kH: fh, kW: fw, strideH: sh, strideW: sw,
                                              same: pad == .same)
        guard g.outH >= 1, g.outW >= 1 else { throw fail("the filter is larger than the input") }
        tensors.append(Tensor(name: "layer\(i)", shape: [1, g.outH, g.outW, c], type: .float32))
        operators.append(Operator(kind: op == "MAX_POOL_2D" ? .maxPool2D : .averagePool2D, inputs: [current], outputs: [tensors.count - 1],
                                  options: .pool2D(Pool2DOptions(padding: pad, strideW: sw, strideH: sh, filterW: fw, filterH: fh))))
        return tensors.count - 1
    }
}
