/*
 * Cycle-model micro-benchmark harness.
 *
 * Starts the core's cycle counter, measures the empty frame once
 * (calibration), then runs every benchmark in bench_list (defined by the
 * BENCH macros in bench_v7m.S or bench_v6m.S) and prints one line each:
 *
 *     calibration <cycles of the empty frame>
 *     <name> <cycles of the sequence alone>
 *     ...
 *     check_<name> <value>        functional checks of the kernels
 *
 * Build with startup.c and a linker script from firmware/runtime; stdout
 * goes through newlib's rdimon semihosting. See README.md.
 */

#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *name;
    uint32_t (*run)(void);
} bench_entry;

extern const bench_entry bench_list[];   /* terminated by {0, 0} */
extern uint32_t bench_empty(void);

#define REG(address) (*(volatile uint32_t *)(address))

static void start_counter(void)
{
#if defined(__ARM_ARCH_6M__)
    /* No DWT cycle counter on ARMv6-M: SysTick at the processor clock. */
    REG(0xE000E014) = 0x00FFFFFFu;   /* SYST_RVR: longest period, 2^24 cycles */
    REG(0xE000E018) = 0;             /* SYST_CVR: a write clears it; it reloads next cycle */
    REG(0xE000E010) = 5u;            /* SYST_CSR: ENABLE | CLKSOURCE (processor), no interrupt */
#else
    REG(0xE000EDFC) |= 1u << 24;     /* DEMCR.TRCENA: enable the DWT */
    REG(0xE0001004) = 0;             /* DWT_CYCCNT */
    REG(0xE0001000) |= 1u;           /* DWT_CTRL.CYCCNTENA */
#endif
}

#if !defined(__ARM_ARCH_6M__)
extern int32_t kernel_dot_result;
extern const uint32_t kernel_copy_src[16];
extern const uint32_t kernel_copy_dst[16];

static void check_kernels(void)
{
    int copied = 1;
    for (int i = 0; i < 16; i++)
        copied &= kernel_copy_dst[i] == kernel_copy_src[i];
    printf("check_dot %ld\n", (long)kernel_dot_result);
    printf("check_memcpy %d\n", copied);
}
#endif

int main(void)
{
    start_counter();
    uint32_t empty = bench_empty();
    printf("calibration %lu\n", (unsigned long)empty);
    for (const bench_entry *b = bench_list; b->name; b++) {
        uint32_t raw = b->run();
        printf("%s %ld\n", b->name, (long)(int32_t)(raw - empty));
    }
#if !defined(__ARM_ARCH_6M__)
    check_kernels();
#endif
    return 0;
}
