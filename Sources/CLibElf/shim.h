// libelf is not variadic; the shim only gathers the headers and the one-time
// version handshake libelf requires before any other call.
#ifndef MCUSIM_CLIBELF_SHIM_H
#define MCUSIM_CLIBELF_SHIM_H

#include <libelf.h>
#include <gelf.h>

static inline int mcusim_elf_init(void) {
    return elf_version(EV_CURRENT) != EV_NONE;
}

#endif
