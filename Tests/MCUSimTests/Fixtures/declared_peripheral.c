// Declared-peripheral fixture for the max32660 board (boards/max32660.yaml, `peripherals:`).
// It does what the vendor SDK's start-up code does (msdk sys_me11.c MXC_SYS_Clock_Select(),
// MXC_ICC_Enable(), MXC_SYS_Reset_Periph()): enable an oscillator and poll its ready bit,
// then the clock-ready bit; invalidate and enable the instruction cache and poll READY;
// request a peripheral reset and poll until it clears. Without the declared registers the
// ready bits read 0, so every poll is bounded: a timeout prints which wait failed and
// exits 1. On success it prints one line per wait and exits 0.
#include <stdint.h>
#include <stdio.h>

#define GCR_BASE 0x40000000u
#define GCR_RST0 (*(volatile uint32_t *)(GCR_BASE + 0x04))     // unlisted: reads 0, writes ignored
#define GCR_CLK_CTRL (*(volatile uint32_t *)(GCR_BASE + 0x08))
#define CLK_CTRL_CLKRDY (1u << 13)
#define CLK_CTRL_HIRC_EN (1u << 18)
#define CLK_CTRL_HIRC_RDY (1u << 26)

#define ICC_BASE 0x4002A000u
#define ICC_CACHE_CTRL (*(volatile uint32_t *)(ICC_BASE + 0x100))
#define ICC_INVALIDATE (*(volatile uint32_t *)(ICC_BASE + 0x700))
#define CACHE_CTRL_ENABLE (1u << 0)
#define CACHE_CTRL_READY (1u << 16)

#define MAX_POLLS 100000u

/// Polls until (*reg & mask) == want; returns the number of reads, or 0 on timeout.
static uint32_t wait_for(volatile uint32_t *reg, uint32_t mask, uint32_t want) {
    for (uint32_t n = 1; n <= MAX_POLLS; n++) {
        if ((*reg & mask) == want) return n;
    }
    return 0;
}

static int check(const char *what, uint32_t polls) {
    if (polls == 0) {
        printf("timeout waiting for %s\n", what);
        return 1;
    }
    printf("%s ready after %lu poll(s)\n", what, (unsigned long)polls);
    return 0;
}

int main(void) {
    int failures = 0;

    GCR_CLK_CTRL |= CLK_CTRL_HIRC_EN;
    failures += check("HIRC", wait_for(&GCR_CLK_CTRL, CLK_CTRL_HIRC_RDY, CLK_CTRL_HIRC_RDY));
    failures += check("system clock", wait_for(&GCR_CLK_CTRL, CLK_CTRL_CLKRDY, CLK_CTRL_CLKRDY));
    // The write to CLK_CTRL was kept (the register is not a fixed read).
    if (!(GCR_CLK_CTRL & CLK_CTRL_HIRC_EN)) {
        printf("HIRC_EN did not stick\n");
        failures++;
    }

    ICC_INVALIDATE = 1;
    failures += check("cache invalidate", wait_for(&ICC_CACHE_CTRL, CACHE_CTRL_READY, CACHE_CTRL_READY));
    ICC_CACHE_CTRL |= CACHE_CTRL_ENABLE;
    failures += check("cache enable", wait_for(&ICC_CACHE_CTRL, CACHE_CTRL_READY, CACHE_CTRL_READY));
    if (ICC_CACHE_CTRL != (CACHE_CTRL_READY | CACHE_CTRL_ENABLE)) {
        printf("cache_ctrl reads 0x%08lx\n", (unsigned long)ICC_CACHE_CTRL);
        failures++;
    }

    GCR_RST0 = 1u << 1;  // reset WDT0, then wait for the bit to clear
    failures += check("peripheral reset", wait_for(&GCR_RST0, 1u << 1, 0));

    return failures == 0 ? 0 : 1;
}
