/*
 * Accounting fixture: exact memory traffic, multiply count and stack depth.
 *
 *   -DK=<n>       words moved by sram_loop and dram_loop (default 100)
 *   -DN=<n>       multiplies done by mul_loop (default 0: mul_loop not called)
 *   -DWITH_DRAM   also move K words through a .dram (board SDRAM) array
 *   -DSTACK_FILL  call stack_fill, which fills a 1000-byte local array itself
 *   -DSTACK_FILL_CALLEE  call stack_fill_callee, whose 1000-byte local array is filled
 *                 by another function through a pointer (stores not based on SP)
 *
 * The arrays have a fixed size (BUF_WORDS) whatever K is, so builds that differ only in K
 * have the same .bss (startup zeroes it word by word) and the same code layout: their
 * traffic differs only by the loop iterations.
 */
#include <stdint.h>

#ifndef K
#define K 100
#endif
#ifndef N
#define N 0
#endif
#define BUF_WORDS 512

volatile uint32_t sram_buf[BUF_WORDS];
#ifdef WITH_DRAM
__attribute__((section(".dram"))) volatile uint32_t dram_buf[BUF_WORDS];
#endif
volatile uint32_t sink;

/* One word read and one word write per element, nothing else in memory. */
__attribute__((noinline)) void sram_loop(volatile uint32_t *a, int k)
{
    for (int i = 0; i < k; i++)
        a[i] = a[i] + 1u;
}

__attribute__((noinline)) void dram_loop(volatile uint32_t *a, int k)
{
    for (int i = 0; i < k; i++)
        a[i] = a[i] + 1u;
}

/* One MUL per iteration: a product of two loop-carried values (no strength reduction). */
__attribute__((noinline)) uint32_t mul_loop(uint32_t x, int n)
{
    uint32_t acc = 1u;
    for (int i = 0; i < n; i++) {
        acc = acc * x;
        x += 2u;
    }
    return acc;
}

__attribute__((noinline)) uint32_t stack_fill(int n)
{
    volatile uint8_t buf[1000];
    for (int i = 0; i < 1000; i++)
        buf[i] = (uint8_t)(i + n);
    return buf[n % 1000];
}

__attribute__((noinline)) void fill_bytes(volatile uint8_t *p, int count, int seed)
{
    for (int i = 0; i < count; i++)
        p[i] = (uint8_t)(i + seed);
}

__attribute__((noinline)) uint32_t stack_fill_callee(int n)
{
    volatile uint8_t buf[1000];
    fill_bytes(buf, 1000, n);
    return buf[n % 1000];
}

int main(void)
{
    sram_loop(sram_buf, K);
#ifdef WITH_DRAM
    dram_loop(dram_buf, K);
#endif
#if N > 0
    sink = mul_loop(3u, N);
#endif
#ifdef STACK_FILL
    sink = stack_fill(7);
#endif
#ifdef STACK_FILL_CALLEE
    sink = stack_fill_callee(7);
#endif
    return 0;
}
