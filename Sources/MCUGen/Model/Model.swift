import Foundation

/// Element type of a tensor (the TFLite `TensorType`s the generator handles).
public enum ElementType: String, Sendable, Equatable, CaseIterable {
    case int8, uint8, int16, int32, float32, int64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .int8, .uint8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .int64: return 8
        }
    }
}

/// Affine quantization: real = (q - zeroPoint) * scale. One scale per tensor, or one per
/// slice along `dimension` (per-channel; for TFLite conv filters [O,H,W,I] that is 0, for
/// depthwise filters [1,H,W,O] it is 3).
public struct Quantization: Sendable, Equatable {
    public var scales: [Float]
    public var zeroPoints: [Int64]
    public var dimension: Int

    public init(scales: [Float], zeroPoints: [Int64], dimension: Int = 0) {
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.dimension = dimension
    }

    public var isPerChannel: Bool { scales.count > 1 }
}

/// A tensor of the graph: an activation (data nil) or a constant (weights, bias, shapes).
/// Shapes are TFLite's: NHWC activations, conv filters [O,H,W,I], depthwise filters [1,H,W,O],
/// fully-connected weights [O,I].
public struct Tensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var type: ElementType
    public var data: [UInt8]?
    public var quantization: Quantization?

    public init(name: String, shape: [Int], type: ElementType, data: [UInt8]? = nil, quantization: Quantization? = nil) {
        self.name = name
        self.shape = shape
        self.type = type
        self.data = data
        self.quantization = quantization
    }

    /// Number of elements (1 for a scalar of shape []).
    public var elementCount: Int { shape.reduce(1, *) }
    public var isConstant: Bool { data != nil }

    /// Constant int8 data as signed values.
    public var int8Values: [Int8]? {
        guard let data, type == .int8 else { return nil }
        return data.map { Int8(bitPattern: $0) }
    }

    /// Constant int32 data (little-endian), e.g. a bias.
    public var int32Values: [Int32]? {
        guard let data, type == .int32 else { return nil }
        return stride(from: 0, to: data.count - 3, by: 4).map {
            Int32(bitPattern: UInt32(data[$0]) | UInt32(data[$0 + 1]) << 8 | UInt32(data[$0 + 2]) << 16 | UInt32(data[$0 + 3]) << 24)
        }
    }
}

/// Operators of the tinyML op set, named as TFLite's BuiltinOperator.
public enum OperatorKind: String, Sendable, Equatable, CaseIterable {
    case conv2D = "CONV_2D"
    case depthwiseConv2D = "DEPTHWISE_CONV_2D"
    case fullyConnected = "FULLY_CONNECTED"
    case averagePool2D = "AVERAGE_POOL_2D"
    case maxPool2D = "MAX_POOL_2D"
    case add = "ADD"
    case reshape = "RESHAPE"
    case softmax = "SOFTMAX"
    case quantize = "QUANTIZE"
    case dequantize = "DEQUANTIZE"
}

/// TFLite padding: SAME pads so that out = ceil(in / stride); VALID does not pad,
/// out = ceil((in - (k - 1) * dilation) / stride).
public enum Padding: String, Sendable, Equatable {
    case same = "SAME", valid = "VALID"
}

/// The activation fused into an operator's output clamp.
public enum FusedActivation: String, Sendable, Equatable {
    case none = "NONE", relu = "RELU", reluN1To1 = "RELU_N1_TO_1", relu6 = "RELU6"
}

public struct Conv2DOptions: Sendable, Equatable {
    public var padding: Padding
    public var strideW: Int, strideH: Int
    public var dilationW: Int, dilationH: Int
    public var activation: FusedActivation
    public init(padding: Padding, strideW: Int, strideH: Int, dilationW: Int = 1, dilationH: Int = 1, activation: FusedActivation = .none) {
        self.padding = padding; self.strideW = strideW; self.strideH = strideH
        self.dilationW = dilationW; self.dilationH = dilationH; self.activation = activation
    }
}

public struct DepthwiseConv2DOptions: Sendable, Equatable {
    public var padding: Padding
    public var strideW: Int, strideH: Int
    public var dilationW: Int, dilationH: Int
    public var depthMultiplier: Int
    public var activation: FusedActivation
    public init(padding: Padding, strideW: Int, strideH: Int, dilationW: Int = 1, dilationH: Int = 1,
                depthMultiplier: Int = 1, activation: FusedActivation = .none) {
        self.padding = padding; self.strideW = strideW; self.strideH = strideH
        self.dilationW = dilationW; self.dilationH = dilationH
        self.depthMultiplier = depthMultiplier; self.activation = activation
    }
}

public struct Pool2DOptions: Sendable, Equatable {
    public var padding: Padding
    public var strideW: Int, strideH: Int
    public var filterW: Int, filterH: Int
    public var activation: FusedActivation
    public init(padding: Padding, strideW: Int, strideH: Int, filterW: Int, filterH: Int, activation: FusedActivation = .none) {
        self.padding = padding; self.strideW = strideW; self.strideH = strideH
        self.filterW = filterW; self.filterH = filterH; self.activation = activation
    }
}

public struct FullyConnectedOptions: Sendable, Equatable {
    public var activation: FusedActivation
    /// Keep the input's leading dimensions in the output instead of flattening to [batch, units].
    public var keepNumDims: Bool
    public init(activation: FusedActivation = .none, keepNumDims: Bool = false) {
        self.activation = activation; self.keepNumDims = keepNumDims
    }
}

/// Per-kind options; kinds without options carry `.none`.
public enum OperatorOptions: Sendable, Equatable {
    case none
    case conv2D(Conv2DOptions)
    case depthwiseConv2D(DepthwiseConv2DOptions)
    case pool2D(Pool2DOptions)
    case fullyConnected(FullyConnectedOptions)
    case add(activation: FusedActivation)
    /// The target shape from the options, if given (otherwise the shape input / output tensor).
    case reshape(newShape: [Int]?)
    case softmax(beta: Float)
}

/// One layer. `inputs` and `outputs` index `Model.tensors`; -1 marks an absent optional input
/// (e.g. a fully-connected layer without bias). Input order is TFLite's: data, weights, bias.
public struct Operator: Sendable, Equatable {
    public var kind: OperatorKind
    public var inputs: [Int]
    public var outputs: [Int]
    public var options: OperatorOptions

    public init(kind: OperatorKind, inputs: [Int], outputs: [Int], options: OperatorOptions = .none) {
        self.kind = kind; self.inputs = inputs; self.outputs = outputs; self.options = options
    }

    /// The fused activation, for kinds that have one.
    public var activation: FusedActivation {
        switch options {
        case let .conv2D(o): return o.activation
        case let .depthwiseConv2D(o): return o.activation
        case let .pool2D(o): return o.activation
        case let .fullyConnected(o): return o.activation
        case let .add(a): return a
        default: return .none
        }
    }
}

/// A model graph in execution order, with TFLite semantics and NHWC layout.
public struct Model: Sendable, Equatable {
    public var name: String
    public var tensors: [Tensor]
    public var operators: [Operator]
    public var inputs: [Int]
    public var outputs: [Int]

    public init(name: String, tensors: [Tensor], operators: [Operator], inputs: [Int], outputs: [Int]) {
        self.name = name; self.tensors = tensors; self.operators = operators
        self.inputs = inputs; self.outputs = outputs
    }

    /// The tensor at `index`, nil for -1 or out of range.
    public func tensor(_ index: Int) -> Tensor? {
        index >= 0 && index < tensors.count ? tensors[index] : nil
    }

    /// The tensor at `index` that layer `layer` uses; a missing one is a malformed model.
    public func tensor(_ index: Int, usedBy layer: Int, file: String) throws -> Tensor {
        guard let t = tensor(index) else {
            throw GeneratorError.invalidModel(file: file, problem: "layer \(layer) uses tensor \(index), which does not exist")
        }
        return t
    }

    /// Multiply-accumulates of one operator: CONV_2D out_elems * kh * kw * in_c;
    /// DEPTHWISE_CONV_2D out_elems * kh * kw; FULLY_CONNECTED out_elems * in_features.
    /// Pooling, ADD, RESHAPE, SOFTMAX and (de)quantization count 0 (MLPerf Tiny's convention).
    public func macs(of op: Operator) -> Int {
        guard let output = op.outputs.first.flatMap(tensor), op.inputs.count >= 2,
              let filter = tensor(op.inputs[1]) else { return 0 }
        let outElems = output.elementCount
        /// Saturating product, so that absurd shapes cannot trap.
        func product(_ xs: Int...) -> Int {
            xs.reduce(1) { acc, x in
                let (p, overflow) = acc.multipliedReportingOverflow(by: x)
                return overflow ? Int.max : p
            }
        }
        switch op.kind {
        case .conv2D:
            guard filter.shape.count == 4 else { return 0 }
            return product(outElems, filter.shape[1], filter.shape[2], filter.shape[3])
        case .depthwiseConv2D:
            guard filter.shape.count == 4 else { return 0 }
            return product(outElems, filter.shape[1], filter.shape[2])
        case .fullyConnected:
            guard filter.shape.count == 2 else { return 0 }
            return product(outElems, filter.shape[1])
        default:
            return 0
        }
    }

    /// MACs per operator, in operator order.
    public var macsPerOperator: [Int] { operators.map(macs(of:)) }
    public var totalMACs: Int {
        macsPerOperator.reduce(0) { acc, m in
            let (s, overflow) = acc.addingReportingOverflow(m)
            return overflow ? Int.max : s
        }
    }

    /// Trainable parameters: the constant weight (input 1) and, if `includingBias`, bias
    /// (input 2) elements of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED. Shape constants
    /// (RESHAPE) and quantization parameters are not counted. MLPerf Tiny's figures count biases.
    public func parameterCount(includingBias: Bool = true) -> Int {
        var total = 0
        for op in operators where [.conv2D, .depthwiseConv2D, .fullyConnected].contains(op.kind) {
            let slots = includingBias ? [1, 2] : [1]
            for s in slots where s < op.inputs.count {
                if let t = tensor(op.inputs[s]), t.isConstant { total += t.elementCount }
            }
        }
        return total
    }
}
