// Semihosting calls newlib does not make on its own: host files under the root, the
// clocks, HEAPINFO and the command line. Each result is printed for the test to check.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int32_t semihost(uint32_t op, const void *arg) {
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

static int32_t open_file(const char *name, uint32_t mode) {
    uint32_t args[3] = {(uint32_t)name, mode, strlen(name)};
    return semihost(0x01, args);
}

int main(void) {
    // Reading a host file under --semihosting-root.
    int32_t h = open_file("input.txt", 0);
    char buffer[32] = {0};
    if (h >= 0) {
        uint32_t args[3] = {(uint32_t)h, (uint32_t)buffer, sizeof buffer - 1};
        int32_t not_read = semihost(0x06, args);
        buffer[sizeof buffer - 1 - not_read] = 0;
        uint32_t close_args[1] = {(uint32_t)h};
        semihost(0x02, close_args);
    }
    printf("read %ld '%s'\n", (long)(h >= 0), buffer);

    // Writing a host file.
    int32_t w = open_file("output.txt", 4);
    if (w >= 0) {
        static const char text[] = "written by firmware";
        uint32_t args[3] = {(uint32_t)w, (uint32_t)text, sizeof text - 1};
        semihost(0x05, args);
        uint32_t close_args[1] = {(uint32_t)w};
        semihost(0x02, close_args);
    }
    printf("write %ld\n", (long)(w >= 0));

    // Escaping the root must fail.
    printf("escape %ld\n", (long)(open_file("../outside.txt", 0) >= 0));

    // Clocks: ticks per second, then elapsed ticks twice around a fixed loop.
    int32_t freq = semihost(0x31, 0);
    uint32_t t0[2], t1[2];
    semihost(0x30, t0);
    for (volatile int i = 0; i < 1000; i++) {}
    semihost(0x30, t1);
    int32_t centis = semihost(0x10, 0);
    printf("tickfreq %ld\n", (long)freq);
    printf("elapsed %lu\n", (unsigned long)(t1[0] - t0[0]));
    printf("clock %ld ticks %lu\n", (long)centis, (unsigned long)t1[0]);

    // HEAPINFO: r1 points to a word that points to the block to fill.
    uint32_t block[4] = {0};
    uint32_t *pointer = block;
    semihost(0x16, &pointer);
    extern char end[];
    printf("heap %08lx %08lx stack %08lx end %08lx\n", (unsigned long)block[0], (unsigned long)block[1],
           (unsigned long)block[2], (unsigned long)(uint32_t)end);
    return 0;
}
