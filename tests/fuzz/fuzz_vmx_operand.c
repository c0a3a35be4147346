/* libFuzzer harness for pure/vmx_operand.c: arbitrary exit information and guest state, checked against invariants and a byte-wise model. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pure/vmx_operand.h"
#include "lib/vmx_defs.h"

/*
 * Input layout (little-endian; shorter inputs are zero-padded, extra bytes ignored):
 *   [0]        bits 3:0 op: % 10 -> 0..7 one of the eight exit reasons below,
 *              8 vmx_decode_mem_operand, 9 vmx_decode_exit_operand with any reason (the low
 *              32 bits of gpr[15]); bits 6:4 edge (below), bit 7 unused
 *   [1]        bit 0 LMA, bit 1 CR0.PE, bit 2 LA57, bit 3 write (op 8), bits 7:4 size - 1 (op 8)
 *   [2..5]     insn_info
 *   [6..13]    qualification
 *   [14..141]  gpr[0..15]
 *   [142..237] ES, CS, SS, DS, FS, GS: base (8), limit (4), ar (4)
 *   [238]      bits 4:0 edge distance d (-16..15), bits 7:4 register for vmx_reg_value
 * Edges: random bytes almost never land an operand on a boundary, so edge 1..5 rewrites the
 * qualification (the displacement) to put it there, d bytes off: 1 the top of the lower
 * canonical half, 2 the bottom of the upper half (linear addresses, 64-bit mode), 3 the
 * segment limit, 4 offset FFFFFFFFh, 5 offset FFFFh (effective addresses).
 */
#define IN_LEN 239

static const uint32_t reasons[8] = {
    EXIT_REASON_VMXON, EXIT_REASON_VMCLEAR, EXIT_REASON_VMPTRLD, EXIT_REASON_VMPTRST,
    EXIT_REASON_INVEPT, EXIT_REASON_INVVPID, EXIT_REASON_VMREAD, EXIT_REASON_VMWRITE,
};

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static bool is_canonical(uint64_t a, bool la57)
{
    int bits = la57 ? 57 : 48;   /* sign-extend from bit bits-1 and compare (another way than the module's) */
    uint64_t m = 1ull << (bits - 1);
    uint64_t low = a & ((1ull << bits) - 1);

    return ((low ^ m) - m) == a;
}

/* Byte-by-byte model of the checks outside 64-bit mode (SDM "Limit Checking", "Type Checking"). */
static unsigned model_legacy(const struct vmx_guest_seg *s, bool pe, uint64_t ea, unsigned size, bool write)
{
    unsigned type = s->ar & 15;
    bool code = type >= 8, rw = (type >> 1) & 1, ed = !code && ((type >> 2) & 1);

    if (pe) {
        if ((s->ar >> 16) & 1) return VMX_WHY_UNUSABLE;
        if (!((s->ar >> 7) & 1)) return VMX_WHY_NOT_PRESENT;
        if (write ? (code || !rw) : (code && !rw)) return VMX_WHY_TYPE;
    }
    for (unsigned i = 0; i < size; i++) {
        uint64_t off = ea + i;
        bool ok;

        if (ed) ok = off > s->limit && off <= (((s->ar >> 14) & 1) ? 0xFFFFFFFFull : 0xFFFFull);
        else ok = off <= s->limit || (s->limit == 0xFFFFFFFFu && s->base == 0);
        if (!ok) return VMX_WHY_LIMIT;
    }
    return VMX_WHY_OK;
}

static void check(const struct vmx_operand_ctx *c, int rc, const struct vmx_operand *op,
                  bool exit_path, unsigned want_size, bool write, bool vmrw)
{
    bool lm = c->lma && ((c->seg[VMX_SEG_CS].ar >> 13) & 1);

    CHECK(lm == vmx_ctx_is_64bit(c));
    CHECK(rc == VMX_OPERAND_OK || rc == VMX_OPERAND_EBAD);
    if (rc == VMX_OPERAND_EBAD) {
        CHECK(!op->is_reg && op->size == 0 && op->fault == 0 && op->linear == 0);
        return;
    }
    CHECK(op->error_code == 0);
    CHECK(op->fault == VMX_FAULT_NONE || op->fault == VMX_FAULT_GP || op->fault == VMX_FAULT_SS);
    CHECK((op->fault != VMX_FAULT_NONE) == (op->why != VMX_WHY_OK));
    if (exit_path) CHECK(op->size == 4 || op->size == 8 || op->size == 16);
    if (vmrw) CHECK(op->size == (lm ? 8u : 4u));
    if (op->is_reg) {
        CHECK(vmrw && (c->insn_info & VMX_II_REG_FORM));
        CHECK(op->reg < 16 && op->reg == ((c->insn_info >> 3) & 15));
        CHECK(op->fault == VMX_FAULT_NONE && op->linear == 0);
        return;
    }
    if (!exit_path) CHECK(op->size == want_size);

    unsigned asz = (c->insn_info >> 7) & 7, seg = (c->insn_info >> 15) & 7;
    CHECK(asz <= 2 && seg < VMX_SEG_COUNT && op->seg == seg);
    CHECK(op->addr_size == 16u << asz);
    CHECK(lm ? asz != 0 : asz != 2);

    /* EA with every term truncated first: modular arithmetic says it is the same */
    uint64_t mask = asz == 0 ? 0xFFFF : asz == 1 ? 0xFFFFFFFF : ~0ull, ea = c->qualification & mask;
    if (!((c->insn_info >> 27) & 1)) ea = (ea + (c->gpr[(c->insn_info >> 23) & 15] & mask)) & mask;
    if (!((c->insn_info >> 22) & 1)) ea = (ea + ((c->gpr[(c->insn_info >> 18) & 15] & mask) << (c->insn_info & 3))) & mask;
    CHECK(op->ea == ea);

    CHECK(op->fault != VMX_FAULT_SS || seg == VMX_SEG_SS);
    CHECK(op->fault != VMX_FAULT_GP || seg != VMX_SEG_SS);
    if (lm) {
        uint64_t base = seg >= VMX_SEG_FS ? c->seg[seg].base : 0;
        CHECK(op->linear == base + ea);
        CHECK(op->why == VMX_WHY_OK || op->why == VMX_WHY_NONCANONICAL);
        bool canon = is_canonical(op->linear, c->la57) && is_canonical(op->linear + op->size - 1, c->la57);
        CHECK(canon == (op->fault == VMX_FAULT_NONE));
    } else {
        CHECK(op->linear <= 0xFFFFFFFFull);
        CHECK(op->linear == ((c->seg[seg].base + ea) & 0xFFFFFFFFull));
        CHECK(op->why == model_legacy(&c->seg[seg], c->protected_mode, ea, op->size, write));
    }
}

/* Rewrite the displacement so that the operand starts d bytes from an edge (see the layout). */
static void place_on_edge(struct vmx_operand_ctx *c, unsigned edge, int d)
{
    uint32_t ii = c->insn_info;
    unsigned seg = (ii >> 15) & 7;
    uint64_t regs = 0, target;
    uint64_t half = 1ull << (c->la57 ? 56 : 47);

    if (edge == 0 || edge > 5 || seg >= VMX_SEG_COUNT) return;
    if (!((ii >> 27) & 1)) regs += c->gpr[(ii >> 23) & 15];
    if (!((ii >> 22) & 1)) regs += c->gpr[(ii >> 18) & 15] << (ii & 3);
    switch (edge) {
    case 1: target = half - (seg >= VMX_SEG_FS ? c->seg[seg].base : 0); break;
    case 2: target = -half - (seg >= VMX_SEG_FS ? c->seg[seg].base : 0); break;
    case 3: target = c->seg[seg].limit; break;
    case 4: target = 0xFFFFFFFFull; break;
    default: target = 0xFFFFull; break;
    }
    c->qualification = target + (uint64_t)(int64_t)d - regs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t in[IN_LEN] = { 0 };
    struct vmx_operand_ctx c;
    struct vmx_operand op;
    unsigned sel;
    int rc;

    memcpy(in, data, size < IN_LEN ? size : IN_LEN);
    memset(&c, 0, sizeof(c));
    sel = (in[0] & 15) % 10;
    c.lma = in[1] & 1;
    c.protected_mode = (in[1] >> 1) & 1;
    c.la57 = (in[1] >> 2) & 1;
    c.insn_info = (uint32_t)le(in + 2, 4);
    c.qualification = le(in + 6, 8);
    for (unsigned i = 0; i < 16; i++) c.gpr[i] = le(in + 14 + 8 * i, 8);
    for (unsigned s = 0; s < VMX_SEG_COUNT; s++) {
        const uint8_t *p = in + 142 + 16 * s;
        c.seg[s].base = le(p, 8);
        c.seg[s].limit = (uint32_t)le(p + 8, 4);
        c.seg[s].ar = (uint32_t)le(p + 12, 4);
    }

    place_on_edge(&c, (in[0] >> 4) & 7, (int)(in[238] & 31) - 16);

    memset(&op, 0xA5, sizeof(op));   /* the decoder must overwrite every field it reports */
    if (sel < 8) {
        bool vmrw = reasons[sel] == EXIT_REASON_VMREAD || reasons[sel] == EXIT_REASON_VMWRITE;
        bool write = reasons[sel] == EXIT_REASON_VMPTRST || reasons[sel] == EXIT_REASON_VMREAD;
        rc = vmx_decode_exit_operand(&c, reasons[sel], &op);
        check(&c, rc, &op, true, 0, write, vmrw);
        if (rc == VMX_OPERAND_OK && !vmrw)
            CHECK(op.size == (reasons[sel] == EXIT_REASON_INVEPT || reasons[sel] == EXIT_REASON_INVVPID ? 16u : 8u));
    } else if (sel == 8) {
        unsigned want = (in[1] >> 4) + 1;
        bool write = (in[1] >> 3) & 1;
        rc = vmx_decode_mem_operand(&c, want, write ? VMX_ACCESS_WRITE : VMX_ACCESS_READ, &op);
        check(&c, rc, &op, false, want, write, false);
        CHECK(rc == VMX_OPERAND_EBAD || !op.is_reg);
    } else {
        uint32_t reason = (uint32_t)c.gpr[15];
        bool known = false, vmrw = false, write = false;
        for (unsigned i = 0; i < 8; i++) {
            if ((reason & 0xFFFF) == reasons[i]) {
                known = true;
                vmrw = i >= 6;
                write = reasons[i] == EXIT_REASON_VMPTRST || reasons[i] == EXIT_REASON_VMREAD;
            }
        }
        rc = vmx_decode_exit_operand(&c, reason, &op);
        if (!known) CHECK(rc == VMX_OPERAND_EBAD);
        check(&c, rc, &op, true, 0, write, vmrw);
    }

    /* register helpers */
    unsigned r2 = vmx_decode_reg2(&c);
    CHECK(r2 < 16 && r2 == c.insn_info >> 28);
    unsigned r = in[238] >> 4;
    uint64_t v = vmx_reg_value(&c, r);
    CHECK(vmx_ctx_is_64bit(&c) ? v == c.gpr[r] : v == (c.gpr[r] & 0xFFFFFFFFull));
    CHECK(vmx_reg_result(&c, c.qualification) == (vmx_ctx_is_64bit(&c) ? c.qualification : (uint32_t)c.qualification));
    CHECK(vmx_seg_name(op.seg) != NULL && vmx_why_name(op.why) != NULL);
    return 0;
}
