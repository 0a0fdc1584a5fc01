// The user's vector table: SP at the top of SRAM and newlib's crt0 _start as reset.
#include <stdio.h>
extern void _start(void);
extern char __StackTop[];

__attribute__((section(".isr_vector"), used))
const void *user_vectors[16] = { __StackTop, (void *)_start };

// newlib's crt0 does not enable the FPU, and the hard-float printf saves FP registers:
// like a vendor SystemInit, a constructor sets CPACR before main runs.
__attribute__((constructor)) static void enable_fpu(void) {
#ifdef __ARM_FP
    *(volatile unsigned *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n\tisb");
#endif
}

int main(void) {
    printf("user linker script: %s\n", "ok");
    return 3;
}
