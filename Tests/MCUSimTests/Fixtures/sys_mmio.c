// SCENARIO 1: accesses to APB addresses no model answers.
// SCENARIO 2: AIRCR.SYSRESETREQ, first without and then with the VECTKEY.
#include <stdint.h>
#include <stdio.h>

#define REG(a) (*(volatile uint32_t *)(a))
volatile uint32_t sink;

__attribute__((noinline)) void poke_unknown(void) {
    sink = REG(0x40001234u);
    sink += REG(0x40001234u);
    REG(0x40005678u) = 1;
    REG(0x40005678u) = 2;
    REG(0x40005678u) = 3;
}

__attribute__((noinline)) void request_reset(void) {
    REG(0xE000ED0Cu) = 0x00000004u;  // no VECTKEY: ignored
    printf("ignored\n");
    REG(0xE000ED0Cu) = 0x05FA0004u;  // VECTKEY | SYSRESETREQ
    for (;;) sink = sink + 1;
}

int main(void) {
#if SCENARIO == 1
    poke_unknown();
    printf("read %lu\n", (unsigned long)sink);
    return 0;
#else
    request_reset();
    return 1;
#endif
}
