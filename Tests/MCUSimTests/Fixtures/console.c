// Console and exit-code fixture: stdout and stderr through newlib's rdimon semihosting,
// then exit(EXIT_CODE). With USE_FLOAT it also does float arithmetic, so the same source
// covers hard-float (FPU) and soft-float (library) builds.
#include <stdio.h>
#include <stdlib.h>

#ifndef EXIT_CODE
#define EXIT_CODE 0
#endif

static volatile int divisor_base = 1;  // volatile: keep the float loop out of constant folding

int main(void) {
    printf("hello, stdout %d\n", 42);
    fflush(stdout);
    fprintf(stderr, "hello, stderr\n");
#ifdef USE_FLOAT
    float sum = 0.0f;
    for (int i = divisor_base; i <= 100; i++) sum += 1.0f / (float)i;
    // H(100) = 5.18737751...; printed as an integer to avoid depending on printf's float support.
    printf("harmonic %d\n", (int)(sum * 1000.0f));
#endif
    exit(EXIT_CODE);
}
