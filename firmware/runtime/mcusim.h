/* mcusim markers for firmware: bracket a region of interest so the report gives its cycles,
 * memory traffic and energy apart from start-up (report key regions_of_interest.<name>).
 * They are ARM semihosting calls in the application range (0x100, 0x101); on hardware with a
 * debugger attached they are harmless unknown operations, without one BKPT halts, so keep
 * them out of production builds (define MCUSIM_MARKERS=0). */
#ifndef MCUSIM_H
#define MCUSIM_H

#ifndef MCUSIM_MARKERS
#define MCUSIM_MARKERS 1
#endif

static inline void mcusim_marker(unsigned operation, const char *name) {
#if MCUSIM_MARKERS
    register unsigned r0 __asm__("r0") = operation;
    register const char *r1 __asm__("r1") = name;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
#else
    (void)operation;
    (void)name;
#endif
}

/* Begin and end the region of interest `name` (a string literal). */
static inline void mcusim_roi_begin(const char *name) { mcusim_marker(0x100, name); }
static inline void mcusim_roi_end(const char *name) { mcusim_marker(0x101, name); }

#endif
