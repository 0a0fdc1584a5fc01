/// Host reference of the int8 kernels in firmware/kernels (mcusim_nn.h): the same arithmetic,
/// element by element, so results are byte-for-byte identical to both firmware paths.
public enum KernelReference {
    /// Requantization parameters: one (multiplier, shift) per output channel, or one for all.
    public struct Quant: Sendable, Equatable {
        public var multipliers: [Int32]
        public var shifts: [Int32]
        public var perChannel: Bool
        public init(multipliers: [Int32], shifts: [Int32], perChannel: Bool) {
            self.multipliers = multipliers
            self.shifts = shifts
            self.perChannel = perChannel
        }
        func pair(_ c: Int) -> (Int32, Int32) { perChannel ? (multipliers[c], shifts[c]) : (multipliers[0], shifts[0]) }
    }

    /// Offsets (input: -zero point, output: +zero point) and the fused activation clamp.
    public struct Activation: Sendable, Equatable {
        public var inputOffset: Int32
        public var outputOffset: Int32
        public var min: Int32
        public var max: Int32
        public init(inputOffset: Int32, outputOffset: Int32, min: Int32 = -128, max: Int32 = 127) {
            self.inputOffset = inputOffset
            self.outputOffset = outputOffset
            self.min = min
            self.max = max
        }
    }

    /// NHWC geometry (batch 1), as nn_geom_t.
    public struct Geometry: Sendable, Equatable {
        public var inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft: Int
        public init(inH: Int, inW: Int, inC: Int, outH: Int, outW: Int, outC: Int, kH: Int, kW: Int,
                    strideH: Int, strideW: Int, padTop: Int, padLeft: Int) {
            (self.inH, self.inW, self.inC, self.outH, self.outW, self.outC) = (inH, inW, inC, outH, outW, outC)
            (self.kH, self.kW, self.strideH, self.strideW, self.padTop, self.padLeft) = (kH, kW, strideH, strideW, padTop, padLeft)
        }

        /// The kernel rows (or columns) of a window whose first row is input row `origin` that
        /// fall inside an input of `input` rows: TFLite's filter_y_start / filter_y_end. The
        /// reference loops run over these only, so a pooling filter far larger than its input (a
        /// TFLite file may declare any filter size) costs what the input holds, not what the
        /// filter claims: a 1,000,000-wide filter made `check` run for minutes.
        public static func taps(from origin: Int, kernel: Int, input: Int) -> Range<Int> {
            let low = max(0, -origin), high = min(kernel, input - origin)
            return low < high ? low..<high : 0..<0
        }

        /// TFLite padding: output size and (top, left) padding for SAME or VALID.
        public static func make(inH: Int, inW: Int, inC: Int, outC: Int, kH: Int, kW: Int, strideH: Int, strideW: Int,
                                same: Bool) -> Geometry {
            func dim(_ n: Int, _ k: Int, _ s: Int) -> (out: Int, pad: Int) {
                if same {
                    let out = (n + s - 1) / s
                    let total = max((out - 1) * s + k - n, 0)
                    return (out, total / 2)
                }
                return ((n - k + s) / s, 0)
            }
            let h = dim(inH, kH, strideH), w = dim(inW, kW, strideW)
            return Geometry(inH: inH, inW: inW, inC: inC, outH: h.out, outW: w.out, outC: outC, kH: kH, kW: kW,
                            strideH: strideH, strideW: strideW, padTop: h.pad, padLeft: w.pad)
        }
    }

    /// TFLite ADD parameters, as nn_add_params_t.
    public struct AddParams: Sendable, Equatable {
        public var input1Offset, input2Offset, leftShift: Int32
        public var input1Multiplier, input1Shift, input2Multiplier, input2Shift: Int32
        public var outputMultiplier, outputShift, outputOffset, actMin, actMax: Int32
        public init(input1Offset: Int32, input2Offset: Int32, leftShift: Int32, input1Multiplier: Int32, input1Shift: Int32,
                    input2Multiplier: Int32, input2Shift: Int32, outputMultiplier: Int32, outputShift: Int32,
                    outputOffset: Int32, actMin: Int32, actMax: Int32) {
            (self.input1Offset, self.input2Offset, self.leftShift) = (input1Offset, input2Offset, leftShift)
            (self.input1Multiplier, self.input1Shift, self.input2Multiplier, self.input2Shift) =
                (input1Multiplier, input1Shift, input2Multiplier, input2Shift)
            (self.outputMultiplier, self.outputShift, self.outputOffset, self.actMin, self.actMax) =
                (outputMultiplier, outputShift, outputOffset, actMin, actMax)
        }
    }

    typealias QA = QuantizedArithmetic

    /// Bias, requantization, output offset and clamp of one accumulator (nn_finish).
    static func finish(_ acc: Int32, bias: [Int32]?, _ c: Int, _ act: Activation, _ q: Quant) -> Int8 {
        var acc = acc
        if let bias { acc = acc &+ bias[c] }
        let (m, s) = q.pair(c)
        let v = QA.requantize(acc, multiplier: m, shift: s) &+ act.outputOffset
        return Int8(QA.clamp(v, act.min, act.max))
    }

    /// The bias with the input offset's share folded in, for a fully connected layer (or a 1x1
    /// convolution) whose kernel then runs with input offset 0: bias[n] + offset * sum(row n),
    /// in wrapping int32 arithmetic, so the accumulator equals sum((x + offset) * w) + bias
    /// bit for bit (CMSIS-NN's "kernel sums"). `weights` is [outFeatures][inFeatures].
    public static func foldInputOffset(bias: [Int32]?, weights: [Int8], inFeatures: Int, outFeatures: Int,
                                       inputOffset: Int32) -> [Int32] {
        (0..<outFeatures).map { n in
            var sum: Int32 = 0
            for k in 0..<inFeatures { sum &+= Int32(weights[n * inFeatures + k]) }
            return (bias?[n] ?? 0) &+ inputOffset &* sum
        }
    }

    public static func fullyConnected(input: [Int8], weights: [Int8], bias: [Int32]?, batches: Int, inFeatures: Int,
                                      outFeatures: Int, act: Activation, quant: Quant) -> [Int8] {
        var out = [Int8](repeating: 0, count: batches * outFeatures)
        for b in 0..<batches {
            for n in 0..<outFeatures {
                var acc: Int32 = 0
                for k in 0..<inFeatures {
                    acc &+= (Int32(input[b * inFeatures + k]) + act.inputOffset) * Int32(weights[n * inFeatures + k])
                }
                out[b * outFeatures + n] = finish(acc, bias: bias, n, act, quant)
            }
        }
        return out
    }

    /// Convolution, weights OHWI [outC][kH][kW][inC].
    public static func conv2d(input: [Int8], weights: [Int8], bias: [Int32]?, geometry g: Geometry, act: Activation,
                              quant: Quant) -> [Int8] {
        var out = [Int8](repeating: 0, count: g.outH * g.outW * g.outC)
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                let y0 = oy * g.strideH - g.padTop, x0 = ox * g.strideW - g.padLeft
                for c in 0..<g.outC {
                    var acc: Int32 = 0
                    for ky in 0..<g.kH {
                        let y = y0 + ky
                        guard y >= 0 && y < g.inH else { continue }
                        for kx in 0..<g.kW {
                            let x = x0 + kx
                            guard x >= 0 && x < g.inW else { continue }
                            let src = (y * g.inW + x) * g.inC
                            let w = ((c * g.kH + ky) * g.kW + kx) * g.inC
                            for ic in 0..<g.inC {
                                acc &+= (Int32(input[src + ic]) + act.inputOffset) * Int32(weights[w + ic])
                            }
                        }
                    }
                    out[(oy * g.outW + ox) * g.outC + c] = finish(acc, bias: bias, c, act, quant)
                }
            }
        }
        return out
    }

    /// Depthwise convolution, weights [1][kH][kW][outC], outC = inC * depthMultiplier.
    public static func depthwiseConv2d(input: [Int8], weights: [Int8], bias: [Int32]?, geometry g: Geometry,
                                       depthMultiplier: Int, act: Activation, quant: Quant) -> [Int8] {
        var out = [Int8](repeating: 0, count: g.outH * g.outW * g.outC)
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                let y0 = oy * g.strideH - g.padTop, x0 = ox * g.strideW - g.padLeft
                for c in 0..<g.outC {
                    let ic = c / depthMultiplier
                    var acc: Int32 = 0
                    for ky in 0..<g.kH {
                        let y = y0 + ky
                        guard y >= 0 && y < g.inH else { continue }
                        for kx in 0..<g.kW {
                            let x = x0 + kx
                            guard x >= 0 && x < g.inW else { continue }
                            acc &+= (Int32(input[(y * g.inW + x) * g.inC + ic]) + act.inputOffset)
                                * Int32(weights[(ky * g.kW + kx) * g.outC + c])
                        }
                    }
                    out[(oy * g.outW + ox) * g.outC + c] = finish(acc, bias: bias, c, act, quant)
                }
            }
        }
        return out
    }

    private static func pool(_ input: [Int8], _ g: Geometry, actMin: Int32, actMax: Int32,
                             _ reduce: ([Int32]) -> Int32) -> [Int8] {
        var out = [Int8](repeating: 0, count: g.outH * g.outW * g.inC)
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                let y0 = oy * g.strideH - g.padTop, x0 = ox * g.strideW - g.padLeft
                for c in 0..<g.inC {
                    var taps: [Int32] = []
                    for ky in Geometry.taps(from: y0, kernel: g.kH, input: g.inH) {
                        for kx in Geometry.taps(from: x0, kernel: g.kW, input: g.inW) {
                            taps.append(Int32(input[((y0 + ky) * g.inW + x0 + kx) * g.inC + c]))
                        }
                    }
                    out[(oy * g.outW + ox) * g.inC + c] = Int8(QA.clamp(reduce(taps), actMin, actMax))
                }
            }
        }
        return out
    }

    /// Average pooling over the in-bounds taps, rounded half away from zero.
    public static func avgPool2d(input: [Int8], geometry: Geometry, actMin: Int32 = -128, actMax: Int32 = 127) -> [Int8] {
        pool(input, geometry, actMin: actMin, actMax: actMax) { taps in
            let sum = taps.reduce(0, +), count = Int32(taps.count)
            if count == 0 { return 0 }
            return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count
        }
    }

    public static func maxPool2d(input: [Int8], geometry: Geometry, actMin: Int32 = -128, actMax: Int32 = 127) -> [Int8] {
        pool(input, geometry, actMin: actMin, actMax: actMax) { taps in taps.reduce(-128, max) }
    }

    /// TFLite int8 ADD of two same-shaped tensors.
    public static func add(_ a: [Int8], _ b: [Int8], params p: AddParams) -> [Int8] {
        zip(a, b).map { x, y in
            let sx = Int32(bitPattern: UInt32(bitPattern: Int32(x) + p.input1Offset) << UInt32(p.leftShift))
            let sy = Int32(bitPattern: UInt32(bitPattern: Int32(y) + p.input2Offset) << UInt32(p.leftShift))
            let ra = QA.requantize(sx, multiplier: p.input1Multiplier, shift: p.input1Shift)
            let rb = QA.requantize(sy, multiplier: p.input2Multiplier, shift: p.input2Shift)
            let o = QA.requantize(ra &+ rb, multiplier: p.outputMultiplier, shift: p.outputShift) &+ p.outputOffset
            return Int8(QA.clamp(o, p.actMin, p.actMax))
        }
    }
}
