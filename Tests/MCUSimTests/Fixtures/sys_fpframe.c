// The FP-extended exception frame (ARMv7-M B1.5.7): with CONTROL.FPCA set, exception entry
// reserves 26 words (r0-r3, r12, lr, pc, xPSR, s0-s15, FPSCR, reserved), EXC_RETURN has bit 4
// clear, and return restores s0-s15 and FPSCR even though the handler overwrote them.
#include <stdint.h>
#include <stdio.h>

volatile uint32_t h_exc_return, h_msp, h_control;

__attribute__((naked)) void SVC_Handler(void) {
    __asm volatile(
        "ldr r1, =h_exc_return\n\t"
        "str lr, [r1]\n\t"
        "mrs r2, msp\n\t"
        "ldr r1, =h_msp\n\t"
        "str r2, [r1]\n\t"
        "mrs r2, control\n\t"
        "ldr r1, =h_control\n\t"
        "str r2, [r1]\n\t"
        "movs r2, #0\n\t"
        "vmov s0, r2\n\t"
        "vmov s15, r2\n\t"
        "vmsr fpscr, r2\n\t"
        "bx lr\n\t"
        ".ltorg\n\t");
}

// out[0] = s0 after the SVC, out[1] = s15, out[2] = FPSCR, out[3] = SP before the SVC.
__attribute__((naked, noinline)) static void fp_across_svc(uint32_t pattern, uint32_t *out) {
    __asm volatile(
        "push {r4, lr}\n\t"
        "vmov s0, r0\n\t"            // an FP instruction: CONTROL.FPCA becomes 1
        "add r3, r0, #1\n\t"
        "vmov s15, r3\n\t"
        "mov r3, #0x00C00000\n\t"    // FPSCR.RMode = round towards zero
        "vmsr fpscr, r3\n\t"
        "str sp, [r1, #12]\n\t"
        "svc #1\n\t"
        "vmov r2, s0\n\t"
        "str r2, [r1]\n\t"
        "vmov r2, s15\n\t"
        "str r2, [r1, #4]\n\t"
        "vmrs r2, fpscr\n\t"
        "str r2, [r1, #8]\n\t"
        "movs r2, #0\n\t"
        "vmsr fpscr, r2\n\t"
        "pop {r4, pc}\n\t");
}

int main(void) {
    uint32_t out[4];
    fp_across_svc(0x40490FDBu, out);  // pi as a float
    printf("s0 0x%08lx s15 0x%08lx fpscr 0x%08lx\n", (unsigned long)out[0], (unsigned long)out[1],
           (unsigned long)out[2]);
    printf("exc_return 0x%08lx frame_bytes %lu control_in_handler 0x%lx\n", (unsigned long)h_exc_return,
           (unsigned long)(out[3] - h_msp), (unsigned long)h_control);
    return 0;
}
