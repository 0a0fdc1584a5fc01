// IT blocks inside hot loops. clamp_loop's `cmp; it gt; movgt` costs the same whether the
// move runs or is skipped, so block charging summarises it. cond_store's IT block holds a
// store, which also costs one cycle run or skipped, but whose data access shows only when it
// runs, so that block is stepped.
#include <stdint.h>
#include <stdio.h>

#define N 64
static int32_t values[N];

__attribute__((noinline)) int32_t clamp_loop(const int32_t *x, int n) {
    int32_t acc = 0;
    for (int i = 0; i < n; i++) {
        int32_t v = x[i];
        __asm volatile("cmp %0, #127\n\tit gt\n\tmovgt %0, #127\n\t" : "+l"(v) : : "cc");
        acc += v;
    }
    return acc;
}

static volatile int32_t last_high;

__attribute__((noinline)) int32_t cond_store(const int32_t *x, int n) {
    int32_t acc = 0;
    for (int i = 0; i < n; i++) {
        int32_t v = x[i];
        __asm volatile("cmp %0, #127\n\tit gt\n\tstrgt %0, [%1]\n\t" : : "l"(v), "l"(&last_high) : "cc", "memory");
        acc += v;
    }
    return acc;
}

int main(void) {
    // Values on both sides of 127, so both outcomes of each IT block occur.
    for (int i = 0; i < N; i++) values[i] = (i * 37) % 300;
    int32_t a = 0, b = 0;
    // Long enough (about 200,000 instructions) for block charging to run past its first stretches of stepping.
    for (int pass = 0; pass < 200; pass++) {
        a += clamp_loop(values, N);
        b += cond_store(values, N);
    }
    printf("clamp %ld cond %ld last %ld\n", (long)a, (long)b, (long)last_high);
    return 0;
}
