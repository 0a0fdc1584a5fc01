/// The in-bounds taps of a convolution or pooling window over an NHWC input, in the order the
/// reference kernels sum them (output pixel, channel, then kernel row and column). Shared by
/// the float reference and the trainer so both visit exactly the same taps.
enum WindowTaps {
    /// Calls `body(output index, output channel, input pixel offset, weight index)` per tap.
    /// Convolution weights are OHWI (the index starts an in_c-long run); depthwise [1, kH, kW, outC].
    static func convolution(_ g: KernelReference.Geometry, depthwise: Bool, _ body: (Int, Int, Int, Int) -> Void) {
        for oy in 0..<g.outH {
            for ox in 0..<g.outW {
                for c in 0..<g.outC {
                    let o = (oy * g.outW + ox) * g.outC + c
                    for ky in 0..<g.kH {
                        let iy = oy * g.strideH - g.padTop + ky
                        guard iy >= 0 && iy < g.inH else { continue }
                        for kx in 0..<g.kW {
                            let ix = ox * g.strideW - g.padLeft + kx
                            guard ix >= 0 && ix < g.inW else { continue }
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
                    for ky in 0..<g.kH {
                        let iy = oy * g.strideH - g.padTop + ky
                        guard iy >= 0 && iy < g.inH else { continue }
                        for kx in 0..<g.kW {
                            let ix = ox * g.strideW - g.padLeft + kx
                            guard ix >= 0 && ix < g.inW else { continue }
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
