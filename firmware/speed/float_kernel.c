// Floating-point workload: a single-precision FIR filter and a normalisation with divides.
#include <stdint.h>
#include <stdio.h>

#ifndef PASSES
#define PASSES 300
#endif

#define TAPS 32
#define SAMPLES 256

static float taps[TAPS], signal[SAMPLES + TAPS], out[SAMPLES];

int main(void) {
    for (int i = 0; i < TAPS; i++) taps[i] = 1.0f / (float)(i + 1);
    for (int i = 0; i < SAMPLES + TAPS; i++) signal[i] = (float)((i * 37) % 101) - 50.0f;
    float total = 0.0f;
    for (int pass = 0; pass < PASSES; pass++) {
        for (int n = 0; n < SAMPLES; n++) {
            float acc = 0.0f;
            for (int k = 0; k < TAPS; k++) acc += taps[k] * signal[n + k];
            out[n] = acc;
        }
        float peak = 1.0f;
        for (int n = 0; n < SAMPLES; n++) if (out[n] > peak) peak = out[n];
        for (int n = 0; n < SAMPLES; n += 8) total += out[n] / peak;
        signal[pass % (SAMPLES + TAPS)] += 0.5f;
    }
    printf("float checksum %ld\n", (long)(total * 1000.0f));
    return 0;
}
