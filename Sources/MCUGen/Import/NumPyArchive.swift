import Foundation

/// A NumPy array read from a .npy member: shape, element type and raw little-endian data.
public struct NumPyArray: Sendable, Equatable {
    public enum DType: String, Sendable { case float32 = "<f4", float64 = "<f8", int64 = "<i8", int32 = "<i4", uint8 = "|u1", int8 = "|i1" }
    public var shape: [Int]
    public var dtype: DType
    public var data: [UInt8]

    public var count: Int { shape.reduce(1, *) }

    public var floats: [Float] {
        switch dtype {
        case .float32:
            return stride(from: 0, to: data.count - 3, by: 4).map {
                Float(bitPattern: UInt32(data[$0]) | UInt32(data[$0 + 1]) << 8 | UInt32(data[$0 + 2]) << 16 | UInt32(data[$0 + 3]) << 24)
            }
        case .float64:
            return stride(from: 0, to: data.count - 7, by: 8).map { i in
                var bits: UInt64 = 0
                for k in 0..<8 { bits |= UInt64(data[i + k]) << (8 * UInt64(k)) }
                return Float(Double(bitPattern: bits))
            }
        case .uint8: return data.map { Float($0) }
        case .int8: return data.map { Float(Int8(bitPattern: $0)) }
        case .int32:
            return stride(from: 0, to: data.count - 3, by: 4).map {
                Float(Int32(bitPattern: UInt32(data[$0]) | UInt32(data[$0 + 1]) << 8 | UInt32(data[$0 + 2]) << 16 | UInt32(data[$0 + 3]) << 24))
            }
        case .int64:
            return stride(from: 0, to: data.count - 7, by: 8).map { i in
                var bits: UInt64 = 0
                for k in 0..<8 { bits |= UInt64(data[i + k]) << (8 * UInt64(k)) }
                return Float(Int64(bitPattern: bits))
            }
        }
    }
}

/// Reads `.npz` files (`numpy.savez`: a ZIP of `.npy` members, stored uncompressed). Every
/// length and offset is checked; compressed archives (`savez_compressed`) are refused by name.
public enum NumPyArchive {
    public static func load(path: String) throws -> [String: NumPyArray] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GeneratorError.malformedModel(file: path, problem: "cannot read the file")
        }
        return try parse(bytes: [UInt8](data), path: path)
    }

    public static func parse(bytes b: [UInt8], path: String) throws -> [String: NumPyArray] {
        func fail(_ p: String) -> GeneratorError { .malformedModel(file: path, problem: p) }
        func u16(_ o: Int) throws -> Int {
            guard o >= 0, o + 2 <= b.count else { throw fail("truncated ZIP structure at byte \(o)") }
            return Int(b[o]) | Int(b[o + 1]) << 8
        }
        func u32(_ o: Int) throws -> Int {
            guard o >= 0, o + 4 <= b.count else { throw fail("truncated ZIP structure at byte \(o)") }
            return Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24
        }
        guard b.count >= 4, b[0] == 0x50, b[1] == 0x4B else { throw fail("not a .npz (ZIP) archive") }
        var arrays: [String: NumPyArray] = [:]
        var o = 0
        while o + 4 <= b.count, try u32(o) == 0x0403_4B50 {
            let flags = try u16(o + 6), method = try u16(o + 8)
            var compressed = try u32(o + 18)
            let nameLength = try u16(o + 26), extraLength = try u16(o + 28)
            guard o + 30 + nameLength <= b.count else { throw fail("truncated member name") }
            let name = String(decoding: b[(o + 30)..<(o + 30 + nameLength)], as: UTF8.self)
            guard method == 0 else { throw fail("member \(name) is compressed (numpy.savez_compressed); save with numpy.savez") }
            // ZIP64 or a data descriptor: numpy writes sizes in the header for stored members.
            if compressed == 0xFFFF_FFFF || flags & 8 != 0 {
                let extraStart = o + 30 + nameLength
                var e = extraStart
                while e + 4 <= extraStart + extraLength, e + 4 <= b.count {
                    let id = try u16(e), size = try u16(e + 2)
                    if id == 1, size >= 16 { compressed = try u32(e + 12) }
                    e += 4 + size
                }
            }
            let start = o + 30 + nameLength + extraLength
            guard compressed >= 0, start + compressed <= b.count else { throw fail("member \(name) runs past the end of the file") }
            let member = Array(b[start..<(start + compressed)])
            arrays[name.hasSuffix(".npy") ? String(name.dropLast(4)) : name] = try parseNPY(member, name: name, path: path)
            o = start + compressed
        }
        guard !arrays.isEmpty else { throw fail("no arrays in the archive") }
        return arrays
    }

    static func parseNPY(_ m: [UInt8], name: String, path: String) throws -> NumPyArray {
        func fail(_ p: String) -> GeneratorError { .malformedModel(file: path, problem: "\(name): \(p)") }
        guard m.count >= 10, m[0] == 0x93, Array(m[1..<6]) == Array("NUMPY".utf8) else { throw fail("not a .npy array") }
        let major = m[6]
        let headerLength: Int, headerStart: Int
        if major == 1 {
            headerLength = Int(m[8]) | Int(m[9]) << 8; headerStart = 10
        } else {
            guard m.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(m[8]) | Int(m[9]) << 8 | Int(m[10]) << 16 | Int(m[11]) << 24; headerStart = 12
        }
        guard headerStart + headerLength <= m.count else { throw fail("truncated header") }
        let header = String(decoding: m[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descrText = field("descr"), let q1 = descrText.firstIndex(of: "'"),
              let q2 = descrText[descrText.index(after: q1)...].firstIndex(of: "'") else { throw fail("no descr in the header") }
        let descr = String(descrText[descrText.index(after: q1)..<q2])
        guard let dtype = NumPyArray.DType(rawValue: descr) else { throw fail("unsupported element type \(descr)") }
        guard let fortran = field("fortran_order"), fortran.hasPrefix("False") else { throw fail("Fortran-ordered arrays are not supported") }
        guard let shapeText = field("shape"), let open = shapeText.firstIndex(of: "("), let close = shapeText[open...].firstIndex(of: ")") else {
            // The closing parenthesis is looked for after the opening one: a header such as
            // `'shape': )3, 4(` would otherwise give a reversed range, a trap.
            throw fail("no shape in the header")
        }
        let shapeList = String(shapeText[shapeText.index(after: open)..<close])
        let shape = try shapeList.split(separator: ",").map {
            guard let v = Int($0.trimmingCharacters(in: .whitespaces)), v >= 0 else { throw fail("bad shape (\(shapeList))") }
            return v
        }
        let size: Int
        switch dtype { case .float32, .int32: size = 4; case .float64, .int64: size = 8; case .uint8, .int8: size = 1 }
        // A header can claim any shape: the byte count is checked against the member, without overflow.
        var bytes = size
        for d in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: d)
            guard !overflow, product <= m.count else { throw fail("shape (\(shapeList)) needs more data than the member holds (\(m.count) bytes)") }
            bytes = product
        }
        let dataStart = headerStart + headerLength
        guard dataStart + bytes <= m.count else { throw fail("truncated data: \(bytes) bytes expected") }
        return NumPyArray(shape: shape, dtype: dtype, data: Array(m[dataStart..<(dataStart + bytes)]))
    }
}

/// Builds a model from `.npz` weights and a small JSON topology (docs/generator.md), for
/// models trained elsewhere: a chain of FULLY_CONNECTED layers with ReLU/ReLU6/none, and an
/// optional SOFTMAX.
public enum NpzImporter {
    public static func load(weights: String, topology: String) throws -> Model {
        let arrays = try NumPyArchive.load(path: weights)
        guard let data = FileManager.default.contents(atPath: topology),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw GeneratorError.malformedModel(file: topology, problem: "not a JSON object")
        }
        func fail(_ p: String) -> GeneratorError { .invalidModel(file: topology, problem: p) }
        // Quantization scales come from these values: NaN or infinity would give a silently broken model.
        for name in arrays.keys.sorted() where !(arrays[name]?.floats.allSatisfy(\.isFinite) ?? true) {
            throw GeneratorError.invalidModel(file: weights, problem: "array '\(name)' holds NaN or infinite values")
        }
        guard let input = json["input"] as? [String: Any], let shape = input["shape"] as? [Int], !shape.isEmpty else {
            throw fail("input.shape is missing")
        }
        // Every later size (activation buffers, calibration inputs) is computed from this shape.
        let elements = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o || d < 1)
        }
        guard !elements.1, elements.0 <= 1 << 24 else {
            throw fail("input.shape \(shape) must have positive dimensions and at most 16 M elements")
        }
        guard let layers = json["layers"] as? [[String: Any]], !layers.isEmpty else { throw fail("layers is missing or empty") }
        var tensors = [Tensor(name: "input", shape: shape, type: .float32)]
        var operators: [Operator] = []
        var current = 0
        func floatTensor(_ name: String, _ array: NumPyArray) -> Tensor {
            var bytes: [UInt8] = []
            for v in array.floats { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
            return Tensor(name: name, shape: array.shape, type: .float32, data: bytes)
        }
        for (i, layer) in layers.enumerated() {
            let op = layer["op"] as? String ?? ""
            switch op {
            case "FULLY_CONNECTED":
                guard let wName = layer["weights"] as? String, let w = arrays[wName], w.shape.count == 2 else {
                    throw fail("layers[\(i)].weights must name a 2-D array in \(weights)")
                }
                let inFeatures = tensors[current].shape.last ?? 0
                guard w.shape[1] == inFeatures else {
                    throw fail("layers[\(i)]: weights \(wName) are \(w.shape), but the layer input has \(inFeatures) features")
                }
                tensors.append(floatTensor(wName, w))
                let wIndex = tensors.count - 1
                var bIndex = -1
                if let bName = layer["bias"] as? String {
                    guard let b = arrays[bName], b.count == w.shape[0] else { throw fail("layers[\(i)].bias must name a \(w.shape[0])-element array") }
                    tensors.append(floatTensor(bName, b))
                    bIndex = tensors.count - 1
                }
                let activation: FusedActivation
                switch layer["activation"] as? String ?? "NONE" {
                case "RELU": activation = .relu
                case "RELU6": activation = .relu6
                case "NONE": activation = .none
                case let other: throw fail("layers[\(i)].activation \(other) is not supported (RELU, RELU6, NONE)")
                }
                tensors.append(Tensor(name: "layer\(i)", shape: [1, w.shape[0]], type: .float32))
                operators.append(Operator(kind: .fullyConnected, inputs: [current, wIndex, bIndex], outputs: [tensors.count - 1],
                                          options: .fullyConnected(FullyConnectedOptions(activation: activation))))
                current = tensors.count - 1
            case "CONV_2D", "DEPTHWISE_CONV_2D":
                current = try NpzConvolution.add(layer, index: i, op: op, arrays: arrays, weightsFile: weights, tensors: &tensors,
                                                 operators: &operators, current: current, file: topology, floatTensor: floatTensor)
            case "MAX_POOL_2D", "AVERAGE_POOL_2D":
                current = try NpzConvolution.addPool(layer, index: i, op: op, tensors: &tensors, operators: &operators, current: current,
                                                     file: topology)
            case "RESHAPE":
                // Flatten (the only reshape the generator needs): [1, H, W, C] -> [1, H*W*C].
                let count = tensors[current].elementCount
                tensors.append(Tensor(name: "layer\(i)", shape: [1, count], type: .float32))
                operators.append(Operator(kind: .reshape, inputs: [current], outputs: [tensors.count - 1], options: .reshape(newShape: [1, count])))
                current = tensors.count - 1
            case "SOFTMAX":
                tensors.append(Tensor(name: "softmax", shape: tensors[current].shape, type: .float32))
                operators.append(Operator(kind: .softmax, inputs: [current], outputs: [tensors.count - 1], options: .softmax(beta: 1)))
                current = tensors.count - 1
            default:
                throw fail("layers[\(i)].op \(op.isEmpty ? "(missing)" : op) is not supported by the npz importer (CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D, AVERAGE_POOL_2D, RESHAPE, FULLY_CONNECTED, SOFTMAX)")
            }
        }
        return Model(name: json["name"] as? String ?? "model", tensors: tensors, operators: operators, inputs: [0], outputs: [current])
    }
}

/// Model files by extension: `.tflite` (TFLite flatbuffer) or `.json` (an npz topology whose
/// weights are the `.npz` of the same name).
public enum ModelLoader {
    public static func load(path: String) throws -> Model {
        if path.hasSuffix(".json") {
            let weights = String(path.dropLast(5)) + ".npz"
            return try NpzImporter.load(weights: weights, topology: path)
        }
        return try TFLiteImporter.load(path: path)
    }
}
