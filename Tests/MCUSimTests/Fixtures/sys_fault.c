// A precise data bus error: a load from 0x60000000, unmapped on the MAX32660.
// SCENARIO 1: HardFault handler (BusFault disabled, so the fault escalates).
// SCENARIO 2: BusFault enabled in SHCSR with its own handler.
// SCENARIO 3: no handler: startup's Default_Handler stops with BKPT.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define SHCSR REG(0xE000ED24u)
#define CFSR REG(0xE000ED28u)
#define HFSR REG(0xE000ED2Cu)
#define BFAR REG(0xE000ED38u)

__attribute__((noinline)) uint32_t fault_read(void) {
    uint32_t v;
    __asm volatile(
        ".global fault_insn\n"
        "fault_insn:\n\t"
        "ldr %0, [%1]\n\t"
        : "=r"(v)
        : "r"(0x60000000u)
        : "memory");
    return v;
}

extern const char fault_insn[];

#if SCENARIO == 1 || SCENARIO == 2
__attribute__((used)) void report_fault(uint32_t *frame) {
    uint32_t cfsr = CFSR, hfsr = HFSR, bfar = BFAR, ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    printf("CFSR=0x%08lx HFSR=0x%08lx BFAR=0x%08lx IPSR=%lu stacked_pc_ok=%lu\n", (unsigned long)cfsr,
           (unsigned long)hfsr, (unsigned long)bfar, (unsigned long)ipsr,
           (unsigned long)(frame[6] == ((uint32_t)fault_insn & ~1u)));
    exit(cfsr != 0 ? 7 : 1);
}

#if SCENARIO == 1
__attribute__((naked)) void HardFault_Handler(void)
#else
__attribute__((naked)) void BusFault_Handler(void)
#endif
{
    __asm volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "b report_fault\n\t");
}
#endif

int main(void) {
#if SCENARIO == 2
    SHCSR |= 1u << 17;  // BUSFAULTENA
    __asm volatile("dsb\n\tisb" ::: "memory");
#endif
    printf("reading\n");
    uint32_t v = fault_read();
    printf("survived %lu\n", (unsigned long)v);
    return 0;
}
