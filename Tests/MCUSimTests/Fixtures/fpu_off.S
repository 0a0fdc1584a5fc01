@ A valid vector table whose reset code uses the FPU without setting CPACR first:
@ on the chip this is a UsageFault (NOCP); mcusim must stop and say so.
    .syntax unified
    .thumb
    .section .isr_vector, "a"
    .word 0x20008000
    .word reset + 1
    .section .text
    .thumb_func
    .global reset
reset:
    movs r0, #1
    vmov s0, r0
    vadd.f32 s1, s0, s0
    b .
