// WFI sleep between SysTick interrupts (SCENARIO 1), and WFI with nothing that could
// ever wake the core (SCENARIO 2).
#include <stdint.h>
#include <stdio.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)

volatile uint32_t ticks;

void SysTick_Handler(void) { ticks = ticks + 1; }

int main(void) {
#if SCENARIO == 1
    SYST_RVR = 95999u;  // 96000 cycles = 1 ms at 96 MHz
    SYST_CVR = 0;
    SYST_CSR = 7;
    while (ticks < 5) __asm volatile("wfi");
    SYST_CSR = 0;
    printf("woke %lu times\n", (unsigned long)ticks);
    return 0;
#else
    __asm volatile("wfi");
    return 3;
#endif
}
