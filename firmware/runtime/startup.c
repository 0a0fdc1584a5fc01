/*
 * Generic Cortex-M startup for mcusim firmware.
 *
 * One file serves every supported core (M0+, M3, M4, M7, M33): the
 * architectural part of the vector table is identical across them, and the
 * differences we care about (FPU or not) are visible to the preprocessor.
 * Board specifics live only in the linker scripts (runtime/<board>.ld).
 *
 * Symbols consumed from the linker script (runtime/sections.ld):
 *   _estack            initial stack pointer (top of SRAM)
 *   _sidata            load address (in flash) of the .data image
 *   _sdata, _edata     run-time (SRAM) bounds of .data
 *   _sbss,  _ebss      bounds of .bss
 */

#include <stdint.h>
#include <stdlib.h>

extern uint32_t _estack;
extern uint32_t _sidata;
extern uint32_t _sdata, _edata;
extern uint32_t _sbss, _ebss;

extern int main(void);

#ifdef _NEWLIB_VERSION
extern void __libc_init_array(void);

/*
 * librdimon's semihosting stdio only works after this has opened the host's
 * ":tt" handles. Normally rdimon-crt0's _start calls it, but we replace that
 * entry point with Reset_Handler, so we must call it ourselves. Weak, so a
 * program linked without librdimon (e.g. nosys.specs) still links; we then
 * simply skip the call.
 *
 * What it asks of the host (newlib 3.3 librdimon): SYS_OPEN ":tt" with mode
 * 0/4/8 for stdin/stdout/stderr, after probing the ":semihosting-features"
 * pseudo-file ("SHFB" magic + one feature byte). If that file cannot be
 * opened, separate stdout/stderr are assumed; if it can, feature bit 1
 * (STDOUT_STDERR) must be set or fds 1 and 2 stay closed and printf output
 * is dropped. Bit 0 (EXIT_EXTENDED) makes exit() report main's return value
 * via SYS_EXIT_EXTENDED; plain SYS_EXIT carries no status on AArch32.
 */
extern void initialise_monitor_handles(void) __attribute__((weak));

/*
 * __libc_init_array calls _init(). crti.o normally provides it; these empty
 * fallbacks only matter if someone links with -nostartfiles, and lose to
 * crti.o's strong definitions otherwise.
 */
void __attribute__((weak)) _init(void) {}
void __attribute__((weak)) _fini(void) {}
#endif

void Reset_Handler(void);
void Default_Handler(void);

/*
 * Every handler except Reset is weak and aliased to Default_Handler, so
 * firmware overrides one simply by defining a function with the same name.
 */
#define WEAK_DEFAULT __attribute__((weak, alias("Default_Handler")))

void NMI_Handler(void) WEAK_DEFAULT;
void HardFault_Handler(void) WEAK_DEFAULT;
void MemManage_Handler(void) WEAK_DEFAULT;
void BusFault_Handler(void) WEAK_DEFAULT;
void UsageFault_Handler(void) WEAK_DEFAULT;
void SVC_Handler(void) WEAK_DEFAULT;
void DebugMon_Handler(void) WEAK_DEFAULT;
void PendSV_Handler(void) WEAK_DEFAULT;
void SysTick_Handler(void) WEAK_DEFAULT;

/* External interrupts: numbered generically, since the table is shared. */
void IRQ0_Handler(void) WEAK_DEFAULT;
void IRQ1_Handler(void) WEAK_DEFAULT;
void IRQ2_Handler(void) WEAK_DEFAULT;
void IRQ3_Handler(void) WEAK_DEFAULT;
void IRQ4_Handler(void) WEAK_DEFAULT;
void IRQ5_Handler(void) WEAK_DEFAULT;
void IRQ6_Handler(void) WEAK_DEFAULT;
void IRQ7_Handler(void) WEAK_DEFAULT;
void IRQ8_Handler(void) WEAK_DEFAULT;
void IRQ9_Handler(void) WEAK_DEFAULT;
void IRQ10_Handler(void) WEAK_DEFAULT;
void IRQ11_Handler(void) WEAK_DEFAULT;
void IRQ12_Handler(void) WEAK_DEFAULT;
void IRQ13_Handler(void) WEAK_DEFAULT;
void IRQ14_Handler(void) WEAK_DEFAULT;
void IRQ15_Handler(void) WEAK_DEFAULT;
void IRQ16_Handler(void) WEAK_DEFAULT;
void IRQ17_Handler(void) WEAK_DEFAULT;
void IRQ18_Handler(void) WEAK_DEFAULT;
void IRQ19_Handler(void) WEAK_DEFAULT;
void IRQ20_Handler(void) WEAK_DEFAULT;
void IRQ21_Handler(void) WEAK_DEFAULT;
void IRQ22_Handler(void) WEAK_DEFAULT;
void IRQ23_Handler(void) WEAK_DEFAULT;
void IRQ24_Handler(void) WEAK_DEFAULT;
void IRQ25_Handler(void) WEAK_DEFAULT;
void IRQ26_Handler(void) WEAK_DEFAULT;
void IRQ27_Handler(void) WEAK_DEFAULT;
void IRQ28_Handler(void) WEAK_DEFAULT;
void IRQ29_Handler(void) WEAK_DEFAULT;
void IRQ30_Handler(void) WEAK_DEFAULT;
void IRQ31_Handler(void) WEAK_DEFAULT;

/*
 * Entry 0 is a data pointer (the initial SP), the rest are code pointers;
 * a union expresses that without casting between object and function
 * pointers, which ISO C does not allow.
 */
typedef union {
    void (*handler)(void);
    void *stack_top;
} vector_entry_t;

/*
 * Must sit at the flash base (the linker script puts .isr_vector first):
 * on reset the core loads SP from word 0 and PC from word 1.
 * "used" stops the compiler dropping it; KEEP() in the linker script stops
 * --gc-sections dropping it, since nothing references it by name.
 */
__attribute__((section(".isr_vector"), used))
const vector_entry_t g_vector_table[16 + 32] = {
    { .stack_top = &_estack },
    { Reset_Handler },
    { NMI_Handler },
    { HardFault_Handler },
    { MemManage_Handler },   /* reserved on v6-M (M0+) */
    { BusFault_Handler },    /* reserved on v6-M */
    { UsageFault_Handler },  /* reserved on v6-M */
    { 0 },                   /* SecureFault on v8-M with TrustZone; unused here */
    { 0 },
    { 0 },
    { 0 },
    { SVC_Handler },
    { DebugMon_Handler },    /* reserved on v6-M */
    { 0 },
    { PendSV_Handler },
    { SysTick_Handler },

    { IRQ0_Handler },  { IRQ1_Handler },  { IRQ2_Handler },  { IRQ3_Handler },
    { IRQ4_Handler },  { IRQ5_Handler },  { IRQ6_Handler },  { IRQ7_Handler },
    { IRQ8_Handler },  { IRQ9_Handler },  { IRQ10_Handler }, { IRQ11_Handler },
    { IRQ12_Handler }, { IRQ13_Handler }, { IRQ14_Handler }, { IRQ15_Handler },
    { IRQ16_Handler }, { IRQ17_Handler }, { IRQ18_Handler }, { IRQ19_Handler },
    { IRQ20_Handler }, { IRQ21_Handler }, { IRQ22_Handler }, { IRQ23_Handler },
    { IRQ24_Handler }, { IRQ25_Handler }, { IRQ26_Handler }, { IRQ27_Handler },
    { IRQ28_Handler }, { IRQ29_Handler }, { IRQ30_Handler }, { IRQ31_Handler },
};

void Reset_Handler(void)
{
#ifdef __ARM_FP
    /*
     * Grant full access to CP10/CP11 (CPACR bits 20-23) before anything
     * else: with -mfloat-abi=hard, any compiled code (including libc and the
     * copy loops below) may use FP registers, and touching them while the
     * FPU is disabled raises a UsageFault. DSB/ISB make the new setting
     * visible to the very next instruction.
     */
    volatile uint32_t *const cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20;
    __asm volatile ("dsb\n\tisb" ::: "memory");
#endif

    /*
     * The .data image is stored in flash (LMA) but must live in SRAM (VMA).
     * GCC may turn these loops into memcpy/memset calls; that is harmless,
     * as those routines use no static data.
     */
    const uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata; )
        *dst++ = *src++;

    for (uint32_t *dst = &_sbss; dst < &_ebss; )
        *dst++ = 0;

#ifdef _NEWLIB_VERSION
    /* Open stdio before constructors run, in case one of them prints. */
    if (initialise_monitor_handles)
        initialise_monitor_handles();
    __libc_init_array();
#endif

    /* exit() flushes stdio and ends with semihosting SYS_EXIT under rdimon. */
    exit(main());
}

/*
 * Any unexpected exception lands here. BKPT (rather than a silent spin)
 * lets a simulator or debugger notice immediately; the active exception
 * number is then in IPSR. The loop keeps us parked if execution resumes.
 * BKPT 0 is distinct from the semihosting trap, BKPT 0xAB.
 */
void Default_Handler(void)
{
    for (;;)
        __asm volatile ("bkpt 0");
}
