// Console output through each console UART layout, the way vendor SDK console code writes
// it: poll the "transmitter full" flag, then write the data register (or, on the nRF52
// UARTE, point EasyDMA at the buffer and start the transfer). LAYOUT picks the block.
#include <stdint.h>
#include <string.h>

#define REG(base, offset) (*(volatile uint32_t *)((base) + (offset)))

static const char message[] = "console says hi\n";

int main(void) {
#if LAYOUT == 1   /* MAX78000 UART0: STATUS +0x04 (TX_FULL bit 7), FIFO +0x20 */
    for (const char *p = message; *p; p++) {
        while (REG(0x40042000u, 0x04) & (1u << 7)) {}
        REG(0x40042000u, 0x20) = (uint8_t)*p;
    }
#elif LAYOUT == 2 /* RP2040 UART0, PL011: UARTFR +0x18 (TXFF bit 5), UARTDR +0x00 */
    for (const char *p = message; *p; p++) {
        while (REG(0x40034000u, 0x18) & (1u << 5)) {}
        REG(0x40034000u, 0x00) = (uint8_t)*p;
    }
#elif LAYOUT == 3 /* nRF52840 UARTE0: ENABLE = 8, TXD.PTR/MAXCNT, TASKS_STARTTX, EVENTS_ENDTX */
    static char buffer[sizeof message];
    memcpy(buffer, message, sizeof message);
    REG(0x40002000u, 0x500) = 8;
    REG(0x40002000u, 0x544) = (uint32_t)buffer;
    REG(0x40002000u, 0x548) = sizeof message - 1;
    REG(0x40002000u, 0x008) = 1;
    while (REG(0x40002000u, 0x120) == 0) {}
#elif LAYOUT == 4 /* STM32F7 USART1: ISR +0x1C (TXE bit 7), TDR +0x28 */
    for (const char *p = message; *p; p++) {
        while (!(REG(0x40011000u, 0x1C) & (1u << 7))) {}
        REG(0x40011000u, 0x28) = (uint8_t)*p;
    }
#elif LAYOUT == 5 /* SAMD21 SERCOM5 USART: INTFLAG +0x18 (DRE bit 0), DATA +0x28 */
    for (const char *p = message; *p; p++) {
        while (!(*(volatile uint8_t *)(0x42001C00u + 0x18) & 1u)) {}
        *(volatile uint16_t *)(0x42001C00u + 0x28) = (uint8_t)*p;
    }
#endif
    return 0;
}
