/// The in-bounds taps of a convolution or pooling window over an NHWC input, in the order the
/// reference kernels sum them (output pixel, channel, then kernel row and column). Shared by
/// the float reference and the trainer so both visit exactly the same taps. Only in-bounds
/// kernel rows and columns are visited (KernelReference.Geometry.taps).
enum WindowTaps {
    /// Calls `body(output index, output channel, input pixel offset, weight index)` per tap.
    /// Convolution weights are OHWI (the index starts an in_c-long run); depthwise [1, kH, kW, outC].
    static func convolution(_ g: KernelReference.Geometry, depthwise: Bool, _ body: (Int, Int, Int, Int) -> Void) {
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                for c in 0..<g.outC {
                    let o = (oy * g.outW + ox) * g.outC + c
                    let y0 = oy * g.strideH - g.padTop, x0 = ox * g.strideW - g.padLeft
                    for ky in KernelReference.Geometry.taps(from: y0, kernel: g.kH, input: g.inH) {
                        let iy = y0 + ky
                        for kx in KernelReference.Geometry.taps(from: x0, kernel: g.kW, input: g.inW) {
                            let ix = x0 + kx
                            let src = (iy * g.inW + ix) * g.inC
                            body(o, c, src, depthwise ? (ky * g.kW + kx) * g.outC + c : ((c * g.kH + ky) * g.kW + kx) * g.inC)
                        }
                    }
                }
            }
        }
    }

    /// Every pooling output with the input indices of its in-bounds taps.
    static func pooling(_ g: KernelReference.Geometry) -> [(Int, [Int])] {
        var out: [(Int, [Int])] = []
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                for c in 0..<g.outC {
                    var taps: [Int] = []
                    let y0 = oy * g.strideH - g.padTop, x0 = ox * g.strideW - g.padLeft
                    for ky in KernelReference.Geometry.taps(from: y0, kernel: g.kH, input: g.inH) {
                        let iy = y0 + ky
                        for kx in KernelReference.Geometry.taps(from: x0, kernel: g.kW, input: g.inW) {
                            let ix = x0 + kx
                            taps.append((iy * g.inW + ix) * g.inC + c)
                        }
                    }
                    out.append(((oy * g.outW + ox) * g.outC + c, taps))
                }
            }
        }
        return out
    }
}
