/* mmio_insn.h - decode the MOV that touched an emulated MMIO page (the guest's xAPIC): operand, value source, length (pure logic). */
#ifndef NESTVISOR_PURE_MMIO_INSN_H
#define NESTVISOR_PURE_MMIO_INSN_H

#include <stdbool.h>
#include <stdint.h>

/*
 * An EPT violation on the xAPIC page tells the hypervisor the guest-physical address
 * and whether it was a read or a write, but not the value or the instruction's length
 * (the VM-exit instruction-length field is undefined for EPT violations, SDM 27.2.5).
 * Local APIC registers are accessed with 32-bit loads and stores (SDM 11.4.1), which
 * compilers emit as one of three MOVs (SDM Vol. 2B MOV):
 *   89 /r      MOV r/m32, r32     (store a register)
 *   C7 /0 id   MOV r/m32, imm32   (store an immediate)
 *   8B /r      MOV r32, r/m32     (load)
 *   A3 / A1    MOV moffs32, EAX / MOV EAX, moffs32 (store / load at an absolute address)
 * This decodes exactly those, with a memory operand, in 32-bit and 64-bit code: legacy
 * prefixes that do not change the operation (segment overrides, 0x67 address size: the
 * address is known from the exit), a REX prefix in 64-bit mode (REX.W makes a 64-bit
 * access: refused), ModR/M, SIB, displacement, immediate. Anything else (a 0x66
 * operand-size prefix, LOCK, REP, other opcodes, 16-bit code, a register operand, more
 * than 15 bytes) is refused and the caller falls back to something slower and general.
 * Only the bytes given are read; avail may be less than 15 near the end of a page.
 */

enum mmio_mode { MMIO_MODE_32 = 32, MMIO_MODE_64 = 64 };

struct mmio_insn {
    unsigned len;           /* instruction length in bytes, 1..15 */
    bool write;             /* store (89, C7) or load (8B) */
    bool has_imm;           /* C7: the value is imm (sign bits irrelevant: 32-bit access) */
    uint32_t imm;
    unsigned reg;           /* 89/A3: source register; 8B/A1: destination register (0..15, SDM Table 2-2 order) */
};

/* true: decoded into *out; false: not one of the forms above (out is left undefined). */
bool mmio_insn_decode(const uint8_t *bytes, unsigned avail, enum mmio_mode mode, struct mmio_insn *out);

#endif
