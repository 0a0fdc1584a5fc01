// SVC: the handler finds the frame on MSP or PSP from EXC_RETURN bit 2, reads the
// stacked PC (frame[6]), decodes the immediate of the SVC halfword just before it
// (T1 encoding 0xDFxx) and returns a value to the caller through the stacked r0.
// SCENARIO 2: SVC with PRIMASK set cannot be taken and escalates to HardFault.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((naked)) void SVC_Handler(void) {
    __asm volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mov r1, lr\n\t"
        "b svc_dispatch\n\t");
}

volatile uint32_t svc_ipsr, svc_exc_return, svc_frame;

__attribute__((used)) void svc_dispatch(uint32_t *frame, uint32_t exc_return) {
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    svc_ipsr = ipsr;
    svc_exc_return = exc_return;
    svc_frame = (uint32_t)frame;
    const uint16_t *pc = (const uint16_t *)frame[6];
    uint16_t insn = pc[-1];
    uint32_t imm = (insn & 0xFF00u) == 0xDF00u ? insn & 0xFFu : 0xFFFFu;
    frame[0] = imm * 1000u + frame[0] + frame[1];  // the caller's r0 and r1, from the frame
}

static uint32_t svc42(uint32_t a, uint32_t b) {
    register uint32_t r0 __asm("r0") = a;
    register uint32_t r1 __asm("r1") = b;
    __asm volatile("svc #42" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static uint32_t psp_stack[256] __attribute__((aligned(8)));
volatile uint32_t psp_result;

static void on_psp(void) {
    register uint32_t r0 __asm("r0") = 1;
    register uint32_t r1 __asm("r1") = 2;
    __asm volatile("svc #200" : "+r"(r0) : "r"(r1) : "memory");
    psp_result = r0;
}

// Calls fn in thread mode on the process stack (CONTROL.SPSEL = 1), then back to MSP.
__attribute__((naked)) static void run_on_psp(void (*fn)(void), uint32_t *top) {
    __asm volatile(
        "push {r4, lr}\n\t"
        "msr psp, r1\n\t"
        "mrs r4, control\n\t"
        "orr r2, r4, #2\n\t"
        "msr control, r2\n\t"
        "isb\n\t"
        "blx r0\n\t"
        "mrs r2, control\n\t"
        "bic r2, r2, #2\n\t"
        "msr control, r2\n\t"
        "isb\n\t"
        "pop {r4, pc}\n\t");
}

#if SCENARIO == 2
void HardFault_Handler(void) {
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    printf("hardfault ipsr %lu HFSR=0x%08lx svc_ipsr %lu\n", (unsigned long)ipsr,
           (unsigned long)*(volatile uint32_t *)0xE000ED2Cu, (unsigned long)svc_ipsr);
    exit(3);
}
#endif

int main(void) {
#if SCENARIO == 2
    __asm volatile("cpsid i" ::: "memory");  // execution priority 0: SVCall (priority 0) cannot preempt
    uint32_t escalated = svc42(5, 7);
    printf("svc returned %lu\n", (unsigned long)escalated);
    return 0;
#endif
    uint32_t got = svc42(5, 7);
    printf("svc42 %lu ipsr %lu exc_return 0x%08lx\n", (unsigned long)got, (unsigned long)svc_ipsr,
           (unsigned long)svc_exc_return);
    run_on_psp(on_psp, psp_stack + 256);
    uint32_t in_psp = svc_frame >= (uint32_t)psp_stack && svc_frame < (uint32_t)(psp_stack + 256);
    printf("svc200 %lu exc_return 0x%08lx frame_on_psp %lu\n", (unsigned long)psp_result,
           (unsigned long)svc_exc_return, (unsigned long)in_psp);
    return 0;
}
