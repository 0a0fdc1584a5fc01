/*
 * hello: the example `mcusim run --board <board>` runs by default.
 *
 * It is small (roughly 10-16 thousand instructions, mostly printf) but
 * does real, deterministic work, so cycle/energy numbers are reproducible,
 * and it checks its own results, so a wrong answer from the simulator shows
 * up as a non-zero exit status rather than a silently different number.
 *
 * It also touches each piece of the runtime the simulator has to get right:
 * .data copied from flash (activations), .rodata read in place (weights,
 * the CRC check string), semihosting stdout and stderr, and SYS_EXIT.
 */

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Deliberately writable, so it lands in .data and is only correct at run
 * time if Reset_Handler copied the initial image from flash. */
static int8_t activations[64] = {
    -117,  -80,  -43,   -6,   31,   68,  105, -114,
     -77,  -40,   -3,   34,   71,  108, -111,  -74,
     -37,    0,   37,   74,  111, -108,  -71,  -34,
       3,   40,   77,  114, -105,  -68,  -31,    6,
      43,   80,  117, -102,  -65,  -28,    9,   46,
      83,  120,  -99,  -62,  -25,   12,   49,   86,
     123,  -96,  -59,  -22,   15,   52,   89,  126,
     -93,  -56,  -19,   18,   55,   92, -127,  -90,
};

static const int8_t weights[64] = {
    -122,  -49,   24,   97,  -85,  -12,   61, -121,
     -48,   25,   98,  -84,  -11,   62, -120,  -47,
      26,   99,  -83,  -10,   63, -119,  -46,   27,
     100,  -82,   -9,   64, -118,  -45,   28,  101,
     -81,   -8,   65, -117,  -44,   29,  102,  -80,
      -7,   66, -116,  -43,   30,  103,  -79,   -6,
      67, -115,  -42,   31,  104,  -78,   -5,   68,
    -114,  -41,   32,  105,  -77,   -4,   69, -113,
};

/* Reference answers, computed on the host (Python: sum(a*w), zlib.crc32). */
#define EXPECTED_DOT          INT32_C(161796)
#define EXPECTED_CRC_WEIGHTS  UINT32_C(0x7D7A9A9C)
#define EXPECTED_CRC_CHECK    UINT32_C(0xCBF43926) /* standard CRC-32 check */

/* The inner loop of an int8 neural-network layer: widen, multiply, sum. */
static int32_t dot_i8(const int8_t *a, const int8_t *b, size_t n)
{
    int32_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc += (int32_t)a[i] * (int32_t)b[i];
    return acc;
}

/*
 * Bitwise CRC-32 (IEEE 802.3, reflected, as zlib). Table-free on purpose:
 * it keeps flash small and makes the run cost depend on the core's ALU and
 * branch timing rather than on memory.
 */
static uint32_t crc32(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    while (len--) {
        crc ^= *p++;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1u));
    }
    return ~crc;
}

int main(void)
{
    static const char check[] = "123456789";

    printf("Hello from mcusim firmware!\n");

    int32_t dot = dot_i8(activations, weights, sizeof activations);
    uint32_t crc_weights = crc32(weights, sizeof weights);
    uint32_t crc_check = crc32(check, sizeof check - 1);

    printf("int8 dot[64] = %" PRId32 "\n", dot);
    printf("crc32(weights) = 0x%08" PRIX32 "\n", crc_weights);

    int ok = dot == EXPECTED_DOT
          && crc_weights == EXPECTED_CRC_WEIGHTS
          && crc_check == EXPECTED_CRC_CHECK;

    /*
     * stderr is unbuffered, but stdout is line- or fully buffered depending
     * on how the host answers SYS_FLEN/SYS_ISTTY for the console handle.
     * Flush so the lines reach the host in program order either way.
     */
    fflush(stdout);

    /* Goes to the separate semihosting stderr handle, so the simulator's
     * stream separation gets exercised too. */
    fprintf(stderr, "self-check: %s\n", ok ? "ok" : "FAILED");

    return ok ? 0 : 1;
}
