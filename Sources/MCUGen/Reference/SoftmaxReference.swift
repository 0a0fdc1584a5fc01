/// TFLite's int8 softmax in gemmlowp fixed point, bit-exact with firmware/kernels/nn_softmax.c.
extension KernelReference {
    /// Softmax parameters as TFLite's Prepare computes them for int8 (beta, input scale).
    public struct SoftmaxParams: Sendable, Equatable {
        public var inputMultiplier: Int32
        public var inputLeftShift: Int32
        public var diffMin: Int32
        public init(inputMultiplier: Int32, inputLeftShift: Int32, diffMin: Int32) {
            (self.inputMultiplier, self.inputLeftShift, self.diffMin) = (inputMultiplier, inputLeftShift, diffMin)
        }

        /// TFLite's Prepare needs beta x input scale x 2^26 of at least 1/2 (a non-negative
        /// shift): models outside that are rejected before `make`, which assumes it.
        public static func isRepresentable(beta: Double, inputScale: Double) -> Bool {
            let rescale = beta * inputScale * Double(1 << 26)
            return rescale.isFinite && rescale >= 0.5
        }

        /// `make` for a model's layer: an invalid-model error when the scale is out of range.
        static func checked(beta: Double, inputScale: Double, layer: Int, file: String) throws -> SoftmaxParams {
            guard isRepresentable(beta: beta, inputScale: inputScale) else {
                throw GeneratorError.invalidModel(file: file, problem: "layer \(layer): softmax beta \(beta) x input scale \(inputScale) is outside what the int8 kernel represents")
            }
            return make(beta: beta, inputScale: inputScale)
        }

        /// kScaledDiffIntegerBits = 5: differences are scaled into Q5.26.
        public static func make(beta: Double, inputScale: Double) -> SoftmaxParams {
            let scaledDiffIntegerBits = 5
            let rescale = min(beta * inputScale * Double(1 << (31 - scaledDiffIntegerBits)), Double((Int64(1) << 31) - 1))
            let (m, s) = QuantizedArithmetic.quantizeMultiplier(rescale)
            precondition(s >= 0, "QuantizeMultiplierGreaterThanOne needs a scale >= 1")
            // CalculateInputRadius(5, shift, 31)
            let radius = Double((1 << scaledDiffIntegerBits) - 1) * Double(Int64(1) << (31 - scaledDiffIntegerBits))
                / Double(Int64(1) << Int64(s))
            return SoftmaxParams(inputMultiplier: m, inputLeftShift: s, diffMin: -Int32(radius.rounded(.down)))
        }
    }

    private static func mul(_ a: Int32, _ b: Int32) -> Int32 { QA.saturatingRoundingDoublingHighMul(a, b) }

    private static func satShiftLeft(_ x: Int32, _ exponent: Int32) -> Int32 {
        let threshold = Int32((Int64(1) << Int64(31 - exponent)) - 1)
        if x > threshold { return .max }
        if x < -threshold { return .min }
        return Int32(bitPattern: UInt32(bitPattern: x) << UInt32(exponent))
    }

    private static func expQuarterInterval(_ a: Int32) -> Int32 {
        let constant: Int32 = 1_895_147_668, oneThird: Int32 = 715_827_883
        let x = a &+ (1 << 28)
        let x2 = mul(x, x), x3 = mul(x2, x), x4 = mul(x2, x2)
        let x4over4 = QA.roundingDivideByPOT(x4, 2)
        let poly = QA.roundingDivideByPOT(mul(x4over4 &+ x3, oneThird) &+ x2, 1)
        return constant &+ mul(constant, x &+ poly)
    }

    /// exp(a) for a <= 0 in Q5.26, result in Q0.31.
    static func expOnNegativeValues(_ a: Int32) -> Int32 {
        let multipliers: [Int32] = [1_672_461_947, 1_302_514_674, 790_015_084, 290_630_308, 39_332_535, 720_401, 242]
        if a == 0 { return .max }
        let quarter: Int32 = 1 << 24
        let aModQuarterMinusQuarter = (a & (quarter - 1)) &- quarter
        var result = expQuarterInterval(satShiftLeft(aModQuarterMinusQuarter, 5))
        let remainder = aModQuarterMinusQuarter &- a
        for k in 0..<7 where remainder & (1 << (24 + k)) != 0 {
            result = mul(result, multipliers[k])
        }
        return result
    }

    private static func oneOverOnePlusX(_ a: Int32) -> Int32 {
        let sum = Int64(a) + Int64(Int32.max)
        let half = Int32((sum + (sum >= 0 ? 1 : -1)) / 2)
        var x = 1_515_870_810 &+ mul(half, -1_010_580_540)
        for _ in 0..<3 {
            let oneMinus = (1 << 29) &- mul(half, x)
            x = x &+ satShiftLeft(mul(x, oneMinus), 2)
        }
        return satShiftLeft(x, 1)
    }

    /// exp of every int8 difference to the row maximum, as softmax computes it: entry d is
    /// exp_on_negative_values(scaled(-d)) in Q0.31, or 0 where -d < diff_min (skipped). The
    /// generated firmware looks differences up here instead of evaluating the polynomial twice per
    /// element; a skipped entry of 0 adds nothing to the sum and gives the output -128, as skipping does.
    public static func expTable(params p: SoftmaxParams) -> [Int32] {
        (0..<256).map { d -> Int32 in
            let diff = Int32(-d)
            guard diff >= p.diffMin else { return 0 }
            return expOnNegativeValues(mul(Int32(bitPattern: UInt32(bitPattern: diff) << UInt32(p.inputLeftShift)), p.inputMultiplier))
        }
    }

    /// Softmax over rows of `rowSize`; output scale 1/256, zero point -128.
    public static func softmax(input: [Int8], rows: Int, rowSize: Int, params p: SoftmaxParams) -> [Int8] {
        var out = [Int8](repeating: 0, count: rows * rowSize)
        for r in 0..<rows {
            let row = input[(r * rowSize)..<((r + 1) * rowSize)].map(Int32.init)
            let maxV = row.max() ?? -128
            func scaled(_ diff: Int32) -> Int32 {
                mul(Int32(bitPattern: UInt32(bitPattern: diff) << UInt32(p.inputLeftShift)), p.inputMultiplier)
            }
            var sum: Int32 = 0
            for v in row where v - maxV >= p.diffMin {
                sum &+= QA.roundingDivideByPOT(expOnNegativeValues(scaled(v - maxV)), 12)
            }
            let headroomPlusOne = Int32(UInt32(bitPattern: sum).leadingZeroBitCount)
            let numBitsOverUnit = 12 - headroomPlusOne
            let shiftedSumMinusOne = Int32(bitPattern: (UInt32(bitPattern: sum) << UInt32(headroomPlusOne)) &- (1 << 31))
            let shiftedScale = oneOverOnePlusX(shiftedSumMinusOne)
            for (c, v) in row.enumerated() {
                var o: Int32 = -128
                if v - maxV >= p.diffMin {
                    let e = expOnNegativeValues(scaled(v - maxV))
                    o = QA.roundingDivideByPOT(mul(shiftedScale, e), Int(numBitsOverUnit + 31 - 8)) - 128
                }
                out[r * rowSize + c] = Int8(QA.clamp(o, -128, 127))
            }
        }
        return out
    }
}
