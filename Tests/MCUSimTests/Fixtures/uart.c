// Console output through the MAX32660's UART0 registers, as the vendor SDK's console code
// drives them: wait while STAT.TX_FULL (bit 7) is set, then write the byte to FIFO.
#include <stdint.h>

#define UART0_BASE 0x40042000u
#define UART_STAT (*(volatile uint32_t *)(UART0_BASE + 0x08))
#define UART_FIFO (*(volatile uint32_t *)(UART0_BASE + 0x1C))
#define STAT_TX_FULL (1u << 7)

static void uart_puts(const char *s) {
    while (*s) {
        while (UART_STAT & STAT_TX_FULL) {}
        UART_FIFO = (uint8_t)*s++;
    }
}

int main(void) {
    uart_puts("uart says hi\n");
    return 4;
}
