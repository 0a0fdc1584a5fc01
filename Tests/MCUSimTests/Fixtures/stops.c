// One fixture per stop reason, chosen with -DSCENARIO=n.
#include <stdint.h>
#include <stdio.h>

#define UNMAPPED_READ 1
#define FLASH_STORE   2
#define UNDEFINED     3
#define BREAKPOINT    4
#define IDLE          5
#define SPIN          6

volatile uint32_t sink;

__attribute__((noinline)) void do_scenario(void) {
#if SCENARIO == UNMAPPED_READ
    sink = *(volatile uint32_t *)0x60000000u;   // nothing is mapped there on max32660
#elif SCENARIO == FLASH_STORE
    *(volatile uint32_t *)0x00000100u = 0x1234; // flash is not writable by a store
#elif SCENARIO == UNDEFINED
    __asm volatile("udf #0");
#elif SCENARIO == BREAKPOINT
    __asm volatile("bkpt #3");
#elif SCENARIO == IDLE
    for (;;) {}                                  // compiles to B . (branch to self)
#elif SCENARIO == SPIN
    for (;;) { sink = sink + 1; }                // runs forever but is not idle
#endif
}

int main(void) {
    puts("before");
    do_scenario();
    puts("after");
    return 0;
}
