// Exception entry, return and tail-chain cycles measured with DWT CYCCNT around CPSIE:
// the same instruction sequence with nothing pending (d0), with PendSV pending (d1), and
// with PendSV and IRQ0 pending (d2). The handlers are a lone BX LR each.
#include <stdint.h>
#include <stdio.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define DEMCR REG(0xE000EDFCu)
#define DWT_CTRL REG(0xE0001000u)
#define ICSR REG(0xE000ED04u)
#define NVIC_ISER0 REG(0xE000E100u)
#define NVIC_ISPR0 REG(0xE000E200u)

__attribute__((naked)) void PendSV_Handler(void) { __asm volatile("bx lr\n\t"); }
__attribute__((naked)) void IRQ0_Handler(void) { __asm volatile("bx lr\n\t"); }

// CYCCNT delta across CPSIE with PRIMASK set on entry; reads see the count at the start
// of the reading instruction, so the delta is the LDR, the CPSIE and whatever ran between.
__attribute__((naked, noinline)) static uint32_t across_cpsie(void) {
    __asm volatile(
        "push {r4, lr}\n\t"
        "ldr r0, =0xE0001004\n\t"
        "ldr r3, [r0]\n\t"
        "cpsie i\n\t"
        "ldr r4, [r0]\n\t"
        "subs r0, r4, r3\n\t"
        "pop {r4, pc}\n\t"
        ".ltorg\n\t");
}

static uint32_t measure(int pendsv, int irq0) {
    uint32_t d = 0;
    for (int pass = 0; pass < 2; pass++) {  // the second pass runs from a warm cache
        __asm volatile("cpsid i" ::: "memory");
        if (pendsv) ICSR = 1u << 28;
        if (irq0) NVIC_ISPR0 = 1u;
        __asm volatile("dsb\n\tisb" ::: "memory");
        d = across_cpsie();
    }
    return d;
}

int main(void) {
    DEMCR |= 1u << 24;
    DWT_CTRL |= 1u;
    NVIC_ISER0 = 1u;
    uint32_t d0 = measure(0, 0), d1 = measure(1, 0), d2 = measure(1, 1);
    printf("d0 %lu d1 %lu d2 %lu\n", (unsigned long)d0, (unsigned long)d1, (unsigned long)d2);
    return 0;
}
