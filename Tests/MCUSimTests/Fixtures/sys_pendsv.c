// PendSV set from thread mode is taken before the instruction after the store to ICSR.
#include <stdint.h>
#include <stdio.h>

#define ICSR (*(volatile uint32_t *)0xE000ED04u)

volatile uint32_t order, pendsv_at, pendsv_ipsr, pendsv_icsr, pendsv_stacked_pc, pendsv_runs;

__attribute__((naked)) void PendSV_Handler(void) {
    __asm volatile("mrs r0, msp\n\tb pendsv_body\n\t");
}

__attribute__((used)) void pendsv_body(uint32_t *frame) {
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    pendsv_ipsr = ipsr;
    pendsv_icsr = ICSR;
    pendsv_stacked_pc = frame[6];
    pendsv_runs = pendsv_runs + 1;
    pendsv_at = ++order;
}

extern const char after_pend[];

int main(void) {
    uint32_t before = ++order;
    uint32_t observed;
    // The load right after the store sees `order` as the handler left it.
    __asm volatile(
        "str %[set], [%[icsr]]\n\t"
        ".global after_pend\n"
        "after_pend:\n\t"
        "ldr %[o], [%[ord]]\n\t"
        : [o] "=&r"(observed)
        : [set] "r"(1u << 28), [icsr] "r"(&ICSR), [ord] "r"(&order)
        : "memory");
    uint32_t after = ++order;
    uint32_t icsr_after = ICSR;
    printf("before %lu pendsv %lu observed %lu after %lu runs %lu\n", (unsigned long)before,
           (unsigned long)pendsv_at, (unsigned long)observed, (unsigned long)after, (unsigned long)pendsv_runs);
    printf("ipsr %lu vectactive %lu pendsvset_in %lu pendsvset_after %lu\n", (unsigned long)pendsv_ipsr,
           (unsigned long)(pendsv_icsr & 0x1FFu), (unsigned long)((pendsv_icsr >> 28) & 1u),
           (unsigned long)((icsr_after >> 28) & 1u));
    printf("stacked_pc_ok %lu\n", (unsigned long)(pendsv_stacked_pc == ((uint32_t)after_pend & ~1u)));
    return 0;
}
