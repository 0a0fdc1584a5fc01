// Branchy integer workload: a byte-code interpreter with a switch, data-dependent branches
// and small calls, the shape of parsers and protocol state machines.
#include <stdint.h>
#include <stdio.h>

#ifndef PASSES
#define PASSES 4000
#endif

static uint32_t rng = 12345;
__attribute__((noinline)) static uint32_t next(void) { rng = rng * 1103515245u + 12345u; return rng >> 16; }

__attribute__((noinline)) static int32_t step(int32_t acc, uint8_t op, int32_t arg) {
    switch (op & 7) {
    case 0: return acc + arg;
    case 1: return acc - arg;
    case 2: return acc ^ (arg << 3);
    case 3: return acc > arg ? acc - 1 : acc + 1;
    case 4: return (acc & 1) ? acc * 3 + 1 : acc / 2;
    case 5: return acc < 0 ? -acc : acc;
    case 6: return acc == arg ? 0 : acc;
    default: return acc + (arg & 15);
    }
}

int main(void) {
    uint8_t program[256];
    for (int i = 0; i < 256; i++) program[i] = (uint8_t)next();
    int32_t acc = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        for (int pc = 0; pc < 64; pc++) {
            uint8_t op = program[(pass + pc) & 255];
            acc = step(acc, op, (int32_t)(op >> 3) - 8);
            if (acc > 100000 || acc < -100000) acc >>= 4;
        }
    }
    printf("branchy checksum %ld\n", (long)acc);
    return 0;
}
