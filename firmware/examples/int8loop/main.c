// A memory-heavy int8 multiply-accumulate loop for measuring simulation speed: 64 passes of
// a 64x256 int8 matrix-vector product with weights in flash and activations in SRAM.
#include <stdint.h>
#include <stdio.h>

#include "../../runtime/mcusim.h"

#define ROWS 64
#define COLS 256
#ifndef PASSES
#define PASSES 64
#endif

static const int8_t weights[ROWS * COLS] = {
#define W4(i) (int8_t)((i) * 37), (int8_t)((i) * 11 + 3), (int8_t)((i) * 5 - 7), (int8_t)((i) * 29 + 1)
#define W16(i) W4(i), W4(i + 1), W4(i + 2), W4(i + 3)
#define W64(i) W16(i), W16(i + 4), W16(i + 8), W16(i + 12)
#define W256(i) W64(i), W64(i + 16), W64(i + 32), W64(i + 48)
#define W1K(i) W256(i), W256(i + 64), W256(i + 128), W256(i + 192)
#define W4K(i) W1K(i), W1K(i + 256), W1K(i + 512), W1K(i + 768)
    W4K(0), W4K(1024), W4K(2048), W4K(3072)
};

static int8_t input[COLS];
static int32_t output[ROWS];

int main(void) {
    for (int i = 0; i < COLS; i++) input[i] = (int8_t)(i * 7 - 100);
    uint32_t checksum = 0;
    mcusim_roi_begin("matvec");
    for (int pass = 0; pass < PASSES; pass++) {
        for (int r = 0; r < ROWS; r++) {
            int32_t acc = pass;
            const int8_t *w = &weights[r * COLS];
            for (int c = 0; c < COLS; c++) acc += (int32_t)w[c] * input[c];
            output[r] = acc;
        }
        for (int r = 0; r < ROWS; r++) checksum = checksum * 31u + (uint32_t)output[r];
    }
    mcusim_roi_end("matvec");
    printf("int8loop checksum 0x%08lx\n", (unsigned long)checksum);
    return 0;
}
