// printf through UART0 with newlib's nosys stubs: _write goes to the UART FIFO
// (MAX32660 UART0 at 0x40042000, FIFO +0x1C, STAT +0x08 bit 7 TX_FULL), and _exit
// reports the status through semihosting SYS_EXIT_EXTENDED (0x20).
#include <stdint.h>
#include <stdio.h>

#define UART0_BASE 0x40042000u
#define UART_STAT (*(volatile uint32_t *)(UART0_BASE + 0x08u))
#define UART_FIFO (*(volatile uint32_t *)(UART0_BASE + 0x1Cu))
#define STAT_TX_FULL (1u << 7)

int _write(int fd, const char *buf, int len) {
    (void)fd;
    for (int i = 0; i < len; i++) {
        while (UART_STAT & STAT_TX_FULL) {}
        UART_FIFO = (uint8_t)buf[i];
    }
    return len;
}

void _exit(int code) {
    static uint32_t block[2];
    block[0] = 0x20026u;  // ADP_Stopped_ApplicationExit
    block[1] = (uint32_t)code;
    register uint32_t r0 __asm("r0") = 0x20u;  // SYS_EXIT_EXTENDED
    register uint32_t r1 __asm("r1") = (uint32_t)block;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    for (;;) {}
}

int main(void) {
    printf("uart printf %d %s 0x%x\n", 42, "ok", 0xBEEFu);
    printf("second line\n");
    return 9;
}
