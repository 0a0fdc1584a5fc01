/// How a weighted layer's weight tensor maps onto the [rows][cols] matrix that pruning reports,
/// ERK weighs and the sparse encodings store: rows are output channels, cols the reduction.
/// FULLY_CONNECTED [O, I] and CONV_2D [O, kH, kW, I] are that matrix as they lie. A
/// DEPTHWISE_CONV_2D tensor is [1, kH, kW, C] (C = channels x depth multiplier): its matrix is
/// the transpose, rows = C and cols = kH x kW taps, so its first dimension is not the row count.
public struct WeightLayout: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    /// The dimensions ERK weighs (RigL's kernel shape): FC [O, I], conv [O, kH, kW, I],
    /// depthwise [C, kH, kW, 1] (one input channel per filter).
    public var dims: [Int]
    public var depthwise: Bool

    /// nil for an empty or malformed tensor shape.
    public init?(kind: OperatorKind, shape: [Int]) {
        let count = shape.reduce(1, *)
        guard count > 0, shape.allSatisfy({ $0 > 0 }) else { return nil }
        if kind == .depthwiseConv2D {
            guard shape.count == 4, shape[0] == 1 else { return nil }
            (rows, cols, dims, depthwise) = (shape[3], shape[1] * shape[2], [shape[3], shape[1], shape[2], 1], true)
        } else {
            guard let first = shape.first else { return nil }
            (rows, cols, dims, depthwise) = (first, count / first, shape, false)
        }
    }

    /// The tensor's elements (flat, in tensor order) in matrix order, row by row.
    public func matrix<T>(_ flat: [T]) -> [T] {
        guard depthwise, flat.count == rows * cols else { return flat }
        // Tensor element (tap t, channel r) is flat[t * rows + r].
        var out: [T] = []
        out.reserveCapacity(flat.count)
        for r in 0..<rows { for t in 0..<cols { out.append(flat[t * rows + r]) } }
        return out
    }
}
