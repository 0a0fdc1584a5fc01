// NVIC priorities, preemption, tail-chaining and masking (ARMv7-M B1.5.4, B3.4).
// Priorities have 3 implemented bits on the MAX32660 (msdk __NVIC_PRIO_BITS = 3).
#include <stdint.h>
#include <stdio.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define NVIC_ISER0 REG(0xE000E100u)
#define NVIC_ISPR0 REG(0xE000E200u)
#define NVIC_IABR0 REG(0xE000E300u)
#define NVIC_IPR(n) (*(volatile uint8_t *)(0xE000E400u + (n)))
#define NVIC_STIR REG(0xE000EF00u)
#define ICSR REG(0xE000ED04u)

static volatile char trace[64];
static volatile uint32_t len;
static void mark(char c) { trace[len] = c; len = len + 1; }
static inline void barrier(void) { __asm volatile("dsb\n\tisb" ::: "memory"); }
static inline uint32_t ipsr(void) { uint32_t v; __asm volatile("mrs %0, ipsr" : "=r"(v)); return v; }

volatile uint32_t iabr_in_high, ipsr_in_high, icsr_masked, ispr_masked, primask_seen;

void IRQ0_Handler(void) {        // priority 0xC0
    mark('L');
    NVIC_ISPR0 = 1u << 1;         // IRQ1, priority 0x40: preempts here
    barrier();
    mark('l');
    NVIC_ISPR0 = 1u << 3;         // IRQ3, priority 0xE0: lower, waits
    NVIC_STIR = 2;                // IRQ2, priority 0xC0: the same, waits
    barrier();
    mark('e');
}
void IRQ1_Handler(void) { mark('H'); iabr_in_high = NVIC_IABR0; ipsr_in_high = ipsr(); }
void IRQ2_Handler(void) { mark('2'); }
void IRQ3_Handler(void) { mark('3'); }
void IRQ4_Handler(void) { mark('4'); }
void IRQ5_Handler(void) { mark('5'); }
void IRQ6_Handler(void) { mark('6'); }
void IRQ7_Handler(void) { mark('7'); }
void IRQ8_Handler(void) { mark('8'); }

int main(void) {
    NVIC_IPR(0) = 0xC0; NVIC_IPR(1) = 0x40; NVIC_IPR(2) = 0xC0; NVIC_IPR(3) = 0xE0;
    NVIC_IPR(4) = 0x80; NVIC_IPR(5) = 0x80; NVIC_IPR(6) = 0x80;
    NVIC_IPR(7) = 0xA0; NVIC_IPR(8) = 0x40;
    NVIC_ISER0 = 0x1FFu;

    // Preemption by a more urgent IRQ; same and lower priority wait, then tail-chain.
    NVIC_ISPR0 = 1u << 0;
    barrier();
    mark('M');

    // Two of equal priority pended at once: the lower exception number first.
    NVIC_ISPR0 = (1u << 5) | (1u << 4);
    barrier();
    mark('N');

    // PRIMASK holds a pended IRQ until CPSIE.
    __asm volatile("cpsid i" ::: "memory");
    NVIC_ISPR0 = 1u << 6;
    barrier();
    mark('a');
    icsr_masked = ICSR;
    ispr_masked = NVIC_ISPR0;
    __asm volatile("cpsie i" ::: "memory");
    barrier();
    mark('b');

    // BASEPRI 0x80 masks priority 0xA0 (numerically >= 0x80) but not 0x40.
    uint32_t basepri = 0x80;
    __asm volatile("msr basepri, %0" ::"r"(basepri) : "memory");
    barrier();
    NVIC_ISPR0 = 1u << 7;
    barrier();
    NVIC_ISPR0 = 1u << 8;
    barrier();
    mark('c');
    basepri = 0;
    __asm volatile("msr basepri, %0" ::"r"(basepri) : "memory");
    barrier();
    mark('d');

    trace[len] = 0;
    printf("trace %s\n", (const char *)trace);
    printf("iabr_in_high 0x%lx ipsr_in_high %lu\n", (unsigned long)iabr_in_high, (unsigned long)ipsr_in_high);
    printf("masked vectpending %lu isrpending %lu ispr6 %lu\n", (unsigned long)((icsr_masked >> 12) & 0x1FFu),
           (unsigned long)((icsr_masked >> 22) & 1u), (unsigned long)((ispr_masked >> 6) & 1u));
    return 0;
}
