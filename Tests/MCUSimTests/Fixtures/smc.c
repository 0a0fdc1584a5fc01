// Code copied to SRAM and then rewritten: the simulator must decode the new instruction.
// Version A is `movs r0, #6; bx lr`, version B is `sdiv r0, r0, r1; bx lr`; each is timed
// with DWT CYCCNT around the call, so a stale decode would show up as a wrong cycle count.
#include <stdint.h>
#include <stdio.h>

#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)

static uint16_t code[4] __attribute__((aligned(4)));

typedef int32_t (*fn_t)(int32_t, int32_t);

__attribute__((noinline)) static uint32_t timed(int32_t *result) {
    fn_t f = (fn_t)((uintptr_t)code | 1u);
    uint32_t start = DWT_CYCCNT;
    *result = f(42, 6);
    return DWT_CYCCNT - start;
}

int main(void) {
    DEMCR |= 1u << 24;
    DWT_CTRL |= 1u;
    code[0] = 0x2006; code[1] = 0x4770;                    // movs r0, #6; bx lr
    __asm volatile("dsb\n isb" ::: "memory");
    int32_t a, b;
    timed(&a);                                             // warm up (first fetch of the code)
    uint32_t ta = timed(&a);
    code[0] = 0xFB90; code[1] = 0xF0F1; code[2] = 0x4770;  // sdiv r0, r0, r1; bx lr
    __asm volatile("dsb\n isb" ::: "memory");
    timed(&b);
    uint32_t tb = timed(&b);
    printf("a %ld b %ld ta %lu tb %lu\n", (long)a, (long)b, (unsigned long)ta, (unsigned long)tb);
    return 0;
}
