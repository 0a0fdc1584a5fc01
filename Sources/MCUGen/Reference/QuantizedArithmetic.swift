import Foundation

/// TFLite / gemmlowp fixed-point arithmetic used by the int8 kernels, bit-exact with
/// firmware/kernels/mcusim_nn.h (and with TFLite Micro's reference kernels and CMSIS-NN).
public enum QuantizedArithmetic {
    /// round(a * b / 2^31), saturating the one overflow case a == b == Int32.min.
    public static func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
        if a == .min && b == .min { return .max }
        let ab = Int64(a) * Int64(b)
        let nudge: Int64 = ab >= 0 ? (1 << 30) : (1 - (1 << 30))
        return Int32((ab + nudge) / (1 << 31))  // truncating division, as in C
    }

    /// x / 2^exponent rounded to nearest, ties away from zero; exponent in 0...31.
    public static func roundingDivideByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
        precondition((0...31).contains(exponent))
        let mask = Int32(truncatingIfNeeded: (Int64(1) << exponent) - 1)
        let remainder = x & mask
        let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
        return (x >> Int32(exponent)) + (remainder > threshold ? 1 : 0)
    }

    /// TFLite MultiplyByQuantizedMultiplier: x * multiplier(Q31) * 2^shift. A positive shift is
    /// applied before the multiply (wrapping, as the firmware does), a negative one after it.
    public static func requantize(_ x: Int32, multiplier: Int32, shift: Int32) -> Int32 {
        let left = max(shift, 0)
        let right = max(-shift, 0)
        let shifted = Int32(bitPattern: UInt32(bitPattern: x) << UInt32(left))
        return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, multiplier), Int(right))
    }

    public static func clamp(_ v: Int32, _ lo: Int32, _ hi: Int32) -> Int32 { min(max(v, lo), hi) }

    /// TFLite QuantizeMultiplier: a real scale as a Q31 multiplier in [2^30, 2^31) and a shift
    /// (positive = left) with scale ≈ multiplier / 2^31 * 2^shift.
    public static func quantizeMultiplier(_ real: Double) -> (multiplier: Int32, shift: Int32) {
        if real == 0 || real.isNaN { return (0, 0) }
        // Out of the representable range: saturate as the shift clamps below do.
        if !real.isFinite { return (real > 0 ? Int32.max : Int32.min + 1, 30) }
        let fraction = frexp(real)  // real = q * 2^exponent, 0.5 <= |q| < 1
        var shift = fraction.1
        var q = Int64((fraction.0 * Double(Int64(1) << 31)).rounded())  // half away from zero, as TfLiteRound
        precondition(q <= Int64(1) << 31)
        if q == Int64(1) << 31 {
            q /= 2
            shift += 1
        }
        if shift < -31 {
            shift = 0
            q = 0
        }
        if shift > 30 {
            shift = 30
            q = Int64(Int32.max)
        }
        return (Int32(q), Int32(shift))
    }
}
