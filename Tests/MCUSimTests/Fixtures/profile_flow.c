/* Call-tracking edge cases for the profiler: a tail call (B into another function) and a BL
 * used as a jump inside its own function (what GCC emits for far branches in large Thumb-1
 * functions). leaf runs 5 times by call and once by tail call; far is called once. */
__attribute__((noinline)) int leaf(int x) {
    __asm__ volatile("");
    return x + 1;
}

/* Adds 2, then tail-calls leaf, which returns straight to our caller. */
__attribute__((naked, noinline)) int tailer(int x) {
    (void)x;
    __asm__ volatile("add r0, #2\n\tb leaf\n");
}

/* A BL to a label inside far itself: a jump that clobbers LR, not a call. */
__attribute__((naked, noinline)) int far(int x) {
    (void)x;
    __asm__ volatile("push {lr}\n\tbl 1f\n\t.space 4\n1:\n\tadd r0, #3\n\tpop {pc}\n");
}

int main(void) {
    int v = 0;
    for (int i = 0; i < 5; i++) v = leaf(v);
    v = tailer(v);
    v = far(v);
    return v == 11 ? 0 : 1;
}
