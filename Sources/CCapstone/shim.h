// Capstone's option call is variadic-free but takes size_t values for enum options;
// typed wrappers keep the Swift side free of integer casts.
#ifndef MCUSIM_CCAPSTONE_SHIM_H
#define MCUSIM_CCAPSTONE_SHIM_H

#include <capstone/capstone.h>

static inline cs_err mcusim_cs_open_thumb_mclass(csh *handle) {
    return cs_open(CS_ARCH_ARM, (cs_mode)(CS_MODE_THUMB | CS_MODE_MCLASS | CS_MODE_V8), handle);
}

static inline cs_err mcusim_cs_detail_on(csh handle) {
    return cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
}

#endif
