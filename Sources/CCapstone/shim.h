// Typed access to Capstone for the cycle model's decoder. Capstone's detail structure is
// a union-heavy, 36-operand record that Swift imports as tuples; these wrappers flatten the
// few facts the timing model needs into one plain struct.
#ifndef MCUSIM_CCAPSTONE_SHIM_H
#define MCUSIM_CCAPSTONE_SHIM_H

#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>

static inline cs_err mcusim_cs_open_thumb_mclass(csh *handle) {
    cs_err err = cs_open(CS_ARCH_ARM, (cs_mode)(CS_MODE_THUMB | CS_MODE_MCLASS | CS_MODE_V8), handle);
    if (err == CS_ERR_OK) err = cs_option(*handle, CS_OPT_DETAIL, CS_OPT_ON);
    return err;
}

/// What one decoded instruction looks like to the timing model.
typedef struct mcusim_insn_facts {
    unsigned id;              // arm_insn
    uint8_t size;             // 2 or 4 bytes
    int cc;                   // arm_cc; ARM_CC_AL or ARM_CC_INVALID when unconditional
    bool update_flags;
    bool writeback;
    uint16_t regs_read;       // bit n = core register Rn (R13 SP, R14 LR, R15 PC)
    uint16_t regs_written;
    uint16_t address_regs;    // base and index registers of a memory operand
    uint8_t reg_operands;     // register operands (the list length for LDM/STM/PUSH/POP/VLDM)
    bool has_memory_operand;
    bool memory_has_index;    // register-offset addressing
    int first_reg;            // core register number of operand 0, -1 if not a core register
    int second_reg;
    int third_reg;
    bool uses_double;         // any D register operand (double-precision FP)
    uint32_t fp_read;         // bit n = S register n (a D register sets both of its halves)
    uint32_t fp_written;
    int64_t imm;              // first immediate operand (branch target for B/BL/CBZ)
    bool has_imm;
} mcusim_insn_facts;

static inline int mcusim_core_reg_index(int reg) {
    if (reg >= ARM_REG_R0 && reg <= ARM_REG_R12) return reg - ARM_REG_R0;
    if (reg == ARM_REG_SP) return 13;
    if (reg == ARM_REG_LR) return 14;
    if (reg == ARM_REG_PC) return 15;
    return -1;
}

static inline uint32_t mcusim_fp_reg_bits(int reg) {
    if (reg >= ARM_REG_S0 && reg <= ARM_REG_S31) return 1u << (reg - ARM_REG_S0);
    if (reg >= ARM_REG_D0 && reg <= ARM_REG_D15) return 3u << (2 * (reg - ARM_REG_D0));
    return 0;
}

static inline void mcusim_facts_from(csh handle, const cs_insn *insn, mcusim_insn_facts *out) {
    memset(out, 0, sizeof *out);
    out->id = insn->id;
    out->size = (uint8_t)insn->size;
    out->first_reg = out->second_reg = out->third_reg = -1;
    const cs_arm *arm = &insn->detail->arm;
    out->cc = arm->cc;
    out->update_flags = arm->update_flags;
    out->writeback = arm->writeback;

    cs_regs read, written;
    uint8_t nread = 0, nwritten = 0;
    if (cs_regs_access(handle, insn, read, &nread, written, &nwritten) == CS_ERR_OK) {
        for (int i = 0; i < nread; i++) {
            int r = mcusim_core_reg_index(read[i]);
            if (r >= 0) out->regs_read |= (uint16_t)(1u << r);
            out->fp_read |= mcusim_fp_reg_bits(read[i]);
        }
        for (int i = 0; i < nwritten; i++) {
            int r = mcusim_core_reg_index(written[i]);
            if (r >= 0) out->regs_written |= (uint16_t)(1u << r);
            out->fp_written |= mcusim_fp_reg_bits(written[i]);
        }
    }
    int regIndex = 0;
    for (int i = 0; i < arm->op_count; i++) {
        const cs_arm_op *op = &arm->operands[i];
        if (op->type == ARM_OP_REG) {
            out->reg_operands++;
            if (op->reg >= ARM_REG_D0 && op->reg <= ARM_REG_D31) out->uses_double = true;
            int r = mcusim_core_reg_index(op->reg);
            if (regIndex == 0) out->first_reg = r;
            else if (regIndex == 1) out->second_reg = r;
            else if (regIndex == 2) out->third_reg = r;
            regIndex++;
        } else if (op->type == ARM_OP_MEM) {
            out->has_memory_operand = true;
            int b = mcusim_core_reg_index(op->mem.base);
            int x = mcusim_core_reg_index(op->mem.index);
            if (b >= 0) out->address_regs |= (uint16_t)(1u << b);
            if (x >= 0) { out->address_regs |= (uint16_t)(1u << x); out->memory_has_index = true; }
        } else if (op->type == ARM_OP_IMM && !out->has_imm) {
            out->imm = op->imm;
            out->has_imm = true;
        }
    }
}

/// Decodes up to `max` consecutive instructions starting at `address` (so that an IT
/// instruction's block gets its conditions). Returns how many were decoded.
static inline size_t mcusim_cs_decode(csh handle, const uint8_t *code, size_t size, uint64_t address,
                                      size_t max, mcusim_insn_facts *out) {
    cs_insn *insns = NULL;
    size_t n = cs_disasm(handle, code, size, address, max, &insns);
    for (size_t i = 0; i < n; i++) mcusim_facts_from(handle, &insns[i], &out[i]);
    if (insns) cs_free(insns, n);
    return n;
}

/// Mnemonic and operands as text, for traces and diagnostics.
static inline size_t mcusim_cs_text(csh handle, const uint8_t *code, size_t size, uint64_t address,
                                    char *buffer, size_t capacity) {
    cs_insn *insn = NULL;
    size_t n = cs_disasm(handle, code, size, address, 1, &insn);
    if (n == 0 || capacity == 0) { if (capacity) buffer[0] = 0; return 0; }
    size_t len = strlen(insn->mnemonic) + 1 + strlen(insn->op_str);
    if (len + 1 > capacity) len = capacity - 1;
    snprintf(buffer, capacity, "%s %s", insn->mnemonic, insn->op_str);
    cs_free(insn, n);
    return len;
}

#endif
