/* mmio_insn.c - decode the 32-bit MOV that touched an emulated MMIO page (SDM Vol. 2A ch. 2 instruction format, Vol. 2B MOV) */
#include "mmio_insn.h"

#define MAX_LEN 15                    /* SDM 2.3.11: longer instructions #GP */

bool mmio_insn_decode(const uint8_t *b, unsigned avail, enum mmio_mode mode, struct mmio_insn *out)
{
    unsigned i = 0, rex = 0;
    bool asize = false;               /* 0x67: the other address size */
    if (avail > MAX_LEN) avail = MAX_LEN;
    if (mode != MMIO_MODE_32 && mode != MMIO_MODE_64) return false;
    /* legacy prefixes that keep a plain 32-bit MOV (SDM 2.1.1) */
    for (;;) {
        if (i >= avail) return false;
        uint8_t p = b[i];
        if (p == 0x26 || p == 0x2e || p == 0x36 || p == 0x3e || p == 0x64 || p == 0x65) { i++; continue; }
        if (p == 0x67) { asize = true; i++; continue; }
        break;
    }
    /* REX (64-bit mode only; in 32-bit code 40-4F are INC/DEC): it must come last (SDM 2.2.1) */
    if (mode == MMIO_MODE_64 && (b[i] & 0xf0) == 0x40) {
        rex = b[i++];
        if (rex & 8) return false;    /* REX.W: a 64-bit access */
        if (i >= avail) return false;
    }
    uint8_t op = b[i++];
    if (op == 0xa1 || op == 0xa3) {
        /* A1 MOV EAX, moffs32 / A3 MOV moffs32, EAX: an absolute address of the address
         * size (SDM 2.2.1.4: 8 bytes in 64-bit mode, 4 with 0x67; 16-bit addresses refused) */
        unsigned moffs = mode == MMIO_MODE_64 ? (asize ? 4 : 8) : (asize ? 0 : 4);
        if (!moffs || i + moffs > avail) return false;
        out->len = i + moffs;
        out->write = op == 0xa3;
        out->has_imm = false;
        out->imm = 0;
        out->reg = 0;
        return true;
    }
    if (op != 0x89 && op != 0x8b && op != 0xc7) return false;
    if (i >= avail) return false;
    uint8_t modrm = b[i++];
    unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    if (mod == 3) return false;       /* a register operand touches no memory */
    if (op == 0xc7 && reg != 0) return false;   /* C7 /0 only */
    /* 32- or 64-bit addressing (the same ModR/M form; 0x67 in 32-bit code means 16-bit
     * addressing, SDM Table 2-1: refused) */
    if (asize && mode == MMIO_MODE_32) return false;
    unsigned disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    if (rm == 4) {                    /* SIB follows */
        if (i >= avail) return false;
        uint8_t sib = b[i++];
        if (mod == 0 && (sib & 7) == 5) disp = 4;   /* no base, disp32 */
    } else if (mod == 0 && rm == 5) {
        disp = 4;                     /* disp32 (RIP-relative in 64-bit mode) */
    }
    i += disp;
    out->has_imm = op == 0xc7;
    out->imm = 0;
    if (out->has_imm) {
        if (i + 4 > avail) return false;
        out->imm = (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 | (uint32_t)b[i + 3] << 24;
        i += 4;
    }
    if (i > avail) return false;      /* the displacement ran past the bytes we have */
    out->len = i;
    out->write = op != 0x8b;
    out->reg = reg | ((rex & 4) ? 8 : 0);   /* REX.R extends ModR/M.reg */
    return true;
}
