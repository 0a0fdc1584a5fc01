// Memory-copy workload: repeated word and byte copies between two SRAM buffers.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef PASSES
#define PASSES 400
#endif

static uint32_t a[1024], b[1024];

int main(void) {
    for (int i = 0; i < 1024; i++) a[i] = (uint32_t)i * 2654435761u;
    uint32_t checksum = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        memcpy(b, a, sizeof a);                         // library copy (word/multiple)
        for (int i = 0; i < 1024; i++) a[i] = b[1023 - i] ^ (uint32_t)pass;  // reversing word copy
        uint8_t *src = (uint8_t *)b, *dst = (uint8_t *)a;
        for (int i = 0; i < 512; i++) dst[i] = src[i + 7];  // unaligned byte copy
        checksum = checksum * 31u + a[pass & 1023];
    }
    printf("memcpy checksum 0x%08lx\n", (unsigned long)checksum);
    return 0;
}
