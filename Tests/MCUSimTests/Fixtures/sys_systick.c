// SysTick interrupts with a busy main loop (ARMv7-M B3.3). SysTick counts RVR+1
// processor clocks per period; the handler stamps DWT CYCCNT first thing on every tick.
#include <stdint.h>
#include <stdio.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define DEMCR REG(0xE000EDFCu)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)

#define RVR 9999u
#define TICKS 10u

volatile uint32_t ticks;
volatile uint32_t stamp[TICKS + 1];
volatile uint32_t spin;

void SysTick_Handler(void) {
    uint32_t now = DWT_CYCCNT;  // no branch before this read: the same path on every tick
    uint32_t t = ticks + 1;
    ticks = t;
    if (t <= TICKS) stamp[t] = now;
}

int main(void) {
    DEMCR |= 1u << 24;  // TRCENA
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;     // CYCCNTENA
    // Warm the instruction cache and the literal the handler loads, so that tick 1 runs
    // the handler's path as fast as tick N does; then forget that call.
    SysTick_Handler();
    ticks = 0;
    stamp[1] = 0;

    SYST_RVR = RVR;
    SYST_CVR = 0;                      // any write clears CVR: the first period is RVR+1
    uint32_t enabled_at = DWT_CYCCNT;
    SYST_CSR = 7;                      // CLKSOURCE | TICKINT | ENABLE
    while (ticks < TICKS) spin = spin + 1;
    SYST_CSR = 0;

    printf("ticks %lu\n", (unsigned long)ticks);
    printf("enable %lu\n", (unsigned long)enabled_at);
    for (uint32_t k = 1; k <= TICKS; k++) printf("stamp %lu %lu\n", (unsigned long)k, (unsigned long)stamp[k]);
    printf("spin %s\n", spin > 0 ? "yes" : "no");
    return 0;
}
