// Two tasks switched round-robin by PendSV on the process stack, as an RTOS does:
// the handler saves r4-r11 and EXC_RETURN (plus s16-s31 for an FP frame) below the
// hardware frame on the outgoing task's PSP stack, swaps PSP, and restores the other.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ICSR (*(volatile uint32_t *)0xE000ED04u)
#define SHPR3 (*(volatile uint32_t *)0xE000ED20u)
#define ROUNDS 4

uint32_t task_sp[2];
uint32_t current;
static uint32_t stack_a[1024] __attribute__((aligned(8)));
static uint32_t stack_b[256] __attribute__((aligned(8)));
volatile char trace[64];
volatile uint32_t trace_len;
volatile uint32_t register_errors, stack_errors;

__attribute__((naked)) void PendSV_Handler(void) {
    __asm volatile(
        "mrs r0, psp\n\t"
#ifdef __ARM_FP
        "tst lr, #0x10\n\t"
        "it eq\n\t"
        "vstmdbeq r0!, {s16-s31}\n\t"
#endif
        "stmdb r0!, {r4-r11, lr}\n\t"
        "ldr r1, =current\n\t"
        "ldr r2, [r1]\n\t"
        "ldr r3, =task_sp\n\t"
        "str r0, [r3, r2, lsl #2]\n\t"
        "eor r2, r2, #1\n\t"
        "str r2, [r1]\n\t"
        "ldr r0, [r3, r2, lsl #2]\n\t"
        "ldmia r0!, {r4-r11, lr}\n\t"
#ifdef __ARM_FP
        "tst lr, #0x10\n\t"
        "it eq\n\t"
        "vldmiaeq r0!, {s16-s31}\n\t"
#endif
        "msr psp, r0\n\t"
        "bx lr\n\t"
        ".ltorg\n\t");
}

// Loads r4-r11 with seed+0..7, yields, and stores what they hold when the task resumes.
static void yield_checking_registers(uint32_t seed) {
    uint32_t saved[8];
    __asm volatile(
        "mov r4, %[s]\n\t"
        "add r5, r4, #1\n\t"
        "add r6, r4, #2\n\t"
        "add r7, r4, #3\n\t"
        "add r8, r4, #4\n\t"
        "add r9, r4, #5\n\t"
        "add r10, r4, #6\n\t"
        "add r11, r4, #7\n\t"
        "str %[set], [%[icsr]]\n\t"
        "dsb\n\t"
        "isb\n\t"
        "stmia %[out], {r4-r11}\n\t"
        :
        : [s] "r"(seed), [set] "r"(1u << 28), [icsr] "r"(&ICSR), [out] "r"(saved)
        : "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "memory");
    for (uint32_t k = 0; k < 8; k++)
        if (saved[k] != seed + k) register_errors = register_errors + 1;
}

static void check_stack(const uint32_t *low, const uint32_t *high) {
    uint32_t sp, control;
    __asm volatile("mov %0, sp" : "=r"(sp));
    __asm volatile("mrs %0, control" : "=r"(control));
    if (sp < (uint32_t)low || sp >= (uint32_t)high || (control & 2u) == 0) stack_errors = stack_errors + 1;
}

static void task_b(void) {
    for (uint32_t i = 0;; i++) {
        trace[trace_len] = 'B';
        trace_len = trace_len + 1;
        check_stack(stack_b, stack_b + 256);
        yield_checking_registers(0xB0000000u + i * 16u);
    }
}

static void task_a(void) {
    for (uint32_t i = 0; i < ROUNDS; i++) {
        trace[trace_len] = 'A';
        trace_len = trace_len + 1;
        check_stack(stack_a, stack_a + 1024);
        yield_checking_registers(0xA0000000u + i * 16u);
    }
    trace[trace_len] = 0;
    printf("trace %s\n", (const char *)trace);
    printf("register_errors %lu stack_errors %lu\n", (unsigned long)register_errors, (unsigned long)stack_errors);
    exit(0);
}

// Enters the first task in thread mode on the process stack.
__attribute__((naked)) static void start_first_task(void (*fn)(void), uint32_t *top) {
    __asm volatile(
        "msr psp, r1\n\t"
        "mrs r2, control\n\t"
        "orr r2, r2, #2\n\t"
        "msr control, r2\n\t"
        "isb\n\t"
        "bx r0\n\t");
}

int main(void) {
    SHPR3 |= 0xFFu << 16;  // PendSV at the lowest priority, as RTOS ports set it
    // Task B's first context: a hardware frame, then EXC_RETURN and r4-r11 as the handler pops them.
    uint32_t *sp = stack_b + 256;
    *--sp = 0x01000000u;                       // xPSR: T bit
    *--sp = (uint32_t)task_b & ~1u;            // PC
    *--sp = 0xFFFFFFFFu;                       // LR: task_b never returns
    for (int r = 0; r < 5; r++) *--sp = 0;     // r12, r3, r2, r1, r0
    *--sp = 0xFFFFFFFDu;                       // EXC_RETURN: thread mode, PSP, basic frame
    for (int r = 0; r < 8; r++) *--sp = 0;     // r11..r4
    task_sp[1] = (uint32_t)sp;
    current = 0;
    start_first_task(task_a, stack_a + 1024);
    return 1;
}
