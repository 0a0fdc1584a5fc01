// Typed, non-variadic wrappers over Unicorn's variadic uc_hook_add and uc_ctl,
// which Swift cannot call directly.
#ifndef MCUSIM_CUNICORN_SHIM_H
#define MCUSIM_CUNICORN_SHIM_H

#include <unicorn/unicorn.h>

static inline uc_err mcusim_hook_code(uc_engine *uc, uc_hook *hh, uc_cb_hookcode_t cb,
                                      void *user, uint64_t begin, uint64_t end) {
    return uc_hook_add(uc, hh, UC_HOOK_CODE, (void *)cb, user, begin, end);
}

static inline uc_err mcusim_hook_block(uc_engine *uc, uc_hook *hh, uc_cb_hookcode_t cb,
                                       void *user, uint64_t begin, uint64_t end) {
    return uc_hook_add(uc, hh, UC_HOOK_BLOCK, (void *)cb, user, begin, end);
}

/// `types` is a mask of UC_HOOK_MEM_READ / UC_HOOK_MEM_WRITE.
static inline uc_err mcusim_hook_mem(uc_engine *uc, uc_hook *hh, int types, uc_cb_hookmem_t cb,
                                     void *user, uint64_t begin, uint64_t end) {
    return uc_hook_add(uc, hh, types, (void *)cb, user, begin, end);
}

/// Unmapped and protection violations (UC_HOOK_MEM_INVALID is a compound macro Swift cannot see).
static inline uc_err mcusim_hook_mem_invalid(uc_engine *uc, uc_hook *hh,
                                             uc_cb_eventmem_t cb, void *user) {
    return uc_hook_add(uc, hh, UC_HOOK_MEM_INVALID, (void *)cb, user, (uint64_t)1, (uint64_t)0);
}

static inline uc_err mcusim_hook_intr(uc_engine *uc, uc_hook *hh, uc_cb_hookintr_t cb, void *user) {
    return uc_hook_add(uc, hh, UC_HOOK_INTR, (void *)cb, user, (uint64_t)1, (uint64_t)0);
}

static inline uc_err mcusim_hook_insn_invalid(uc_engine *uc, uc_hook *hh,
                                              uc_cb_hookinsn_invalid_t cb, void *user) {
    return uc_hook_add(uc, hh, UC_HOOK_INSN_INVALID, (void *)cb, user, (uint64_t)1, (uint64_t)0);
}

static inline uc_err mcusim_set_cpu_model(uc_engine *uc, int model) {
    return uc_ctl_set_cpu_model(uc, model);
}

/// Drops translated blocks covering [begin, end) so that hooks and rewritten code take effect.
/// Drops every translated block, so hooks added or removed since apply everywhere.
static inline uc_err mcusim_remove_cache(uc_engine *uc, uint64_t begin, uint64_t end) {
    return uc_ctl_remove_cache(uc, begin, end);
}

static inline uc_err mcusim_reg_read32(uc_engine *uc, int regid, uint32_t *value) {
    return uc_reg_read(uc, regid, value);
}

static inline uc_err mcusim_reg_write32(uc_engine *uc, int regid, uint32_t value) {
    return uc_reg_write(uc, regid, &value);
}

#endif
