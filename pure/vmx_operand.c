/* vmx_operand.c - where the operand of an exiting VMX instruction is, and how touching it faults (pure logic). */
#include "vmx_operand.h"
#include "../lib/vmx_defs.h"

/*
 * The rules, and where they come from.
 *
 * Effective address (instruction-information tables; SDM Vol. 1 "Specifying
 * an Offset"): EA = base + index * 2^scale + displacement, computed modulo
 * 2^address-size. Address size 0/1/2 = 16/32/64 bits. A base or index marked
 * invalid (bits 27, 22) is absent and its register field is undefined; the
 * scale is undefined without an index. All of these are ignored then.
 *
 * Displacement: the exit qualification "receives the value of the
 * instruction's displacement field, which is sign-extended to 64 bits if
 * necessary"; for RIP-relative addressing it receives "the sum of the
 * displacement field and the appropriate RIP value" (RIP of the next
 * instruction), and base and index are reported invalid (SDM "Basic VM-Exit
 * Information", exit qualification for these instructions). So a
 * RIP-relative operand is just a displacement-only operand here. Bochs 2.7
 * (cpu/vmexit.cc) agrees in 64-bit mode (its RIP "base register" number 16
 * shifted to bit 23 lands on bit 27, base invalid); outside 64-bit mode it
 * stores the displacement zero-extended from the address size instead of
 * sign-extended. Both give the same EA once truncated to the address size,
 * which is why the truncation is done after the sum, never before.
 *
 * 16-bit forms ([BX+SI], [BP+DI], ...) report two registers as base and
 * index without scaling; which is which is not specified, and only the sum
 * matters. The segment is reported explicitly (bits 17:15), with overrides
 * and the BP/SP-based SS default already applied by the CPU: no default
 * segment rule is applied here.
 *
 * Wraparound: with 16-bit addressing the EA wraps at 64 KiB, but the bytes
 * of a multi-byte operand continue at EA+1.. (they are checked against the
 * limit as offsets up to EA+size-1, so with a 64 KiB limit an operand at
 * FFF9h faults rather than wrapping); outside 64-bit mode the linear
 * address wraps at 4 GiB.
 *
 * Linear address and checks, 64-bit mode (SDM Vol. 3A "Segmentation in
 * IA-32e Mode", "Limit Checking in 64-bit Mode"): the bases of ES, CS, SS,
 * DS count as 0, FS and GS bases apply; no limit, type, present or
 * usability checks (unusable FS/GS still have their base: VM entry loads
 * it, SDM §27.3.2.2 "Loading Guest Segment Registers"). The first and the
 * last byte must be canonical (48 bits, or 57 with CR4.LA57), else #GP(0),
 * or #SS(0) when the segment is SS (SDM §31.3, "64-Bit Mode Exceptions" of
 * each instruction). Bochs checks the same two bytes (cpu/access64.cc).
 *
 * Outside 64-bit mode (SDM Vol. 3A "Limit Checking", "Type Checking";
 * "Protected Mode Exceptions" of each instruction in §31.3), in this order
 * (it only changes `why`, never the vector):
 *  - unusable segment (VMCS AR bit 16: a null selector was loaded) -> fault;
 *    the SDM lists this for DS, ES, FS, GS as #GP(0); CS cannot be
 *    unusable after a VM entry; an unusable SS gets #SS(0) here, as in
 *    Bochs (cpu/access.cc: every segment fault uses int_number(seg));
 *  - not present (P = 0) -> fault; impossible for a usable segment after a
 *    successful VM entry (SDM §27.3.1.2), handled as Bochs does;
 *  - type: writing a code segment or a read-only data segment, or reading
 *    an execute-only code segment -> fault. The S bit is not looked at
 *    (VM entry guarantees S = 1 for usable segments; Bochs ignores it too);
 *  - limit: expand-up segments (code, or data with E = 0): every byte's
 *    offset must be <= limit. Expand-down data segments (E = 1): every byte
 *    must lie in limit+1 .. upper, upper = FFFFFFFFh if D/B = 1 else FFFFh.
 * The vector is #SS(0) when the segment is SS, #GP(0) otherwise.
 *
 * One place where the SDM allows two answers: "When the effective limit is
 * FFFFFFFFH (4 GBytes), these accesses may or may not cause the indicated
 * exceptions" (Limit Checking) - an operand running past offset FFFFFFFFh.
 * Bochs, the oracle the lab compares against, skips the limit check for an
 * expand-up segment with base 0 and limit FFFFFFFFh (cpu/access.cc
 * read_virtual_checks/write_virtual_checks) and checks it for any other
 * base. We do exactly that.
 *
 * Real mode (CR0.PE = 0) and virtual-8086 and compatibility mode cannot get
 * here: all these instructions #UD there before they could exit (SDM §31.3
 * pseudocode, "IF (not in VMX operation) or (CR0.PE = 0) or (RFLAGS.VM = 1)
 * or (IA32_EFER.LMA = 1 and CS.L = 0) THEN #UD"). For a definite answer,
 * compatibility mode is treated as 32-bit protected mode, and real mode
 * gets only the limit check (real-mode code writes through CS, so the
 * cached type is not checked there, and there are no null selectors).
 */

static uint64_t asize_mask(unsigned asz)
{
    return asz == 0 ? 0xFFFFull : asz == 1 ? 0xFFFFFFFFull : ~0ull;
}

bool vmx_ctx_is_64bit(const struct vmx_operand_ctx *c)
{
    return c->lma && (c->seg[VMX_SEG_CS].ar & VMX_AR_L);
}

static bool canonical(uint64_t a, bool la57)
{
    unsigned top = la57 ? 56 : 47;   /* bits top..63 must all equal bit top */
    uint64_t hi = a >> top;

    return hi == 0 || hi == (~0ull >> top);
}

/* Segment checks outside 64-bit mode for offsets off..off+size-1 (off < 2^32, size <= 16). */
static unsigned legacy_checks(const struct vmx_guest_seg *s, bool pe, uint64_t off, unsigned size,
                              enum vmx_access acc)
{
    uint32_t type = s->ar & VMX_AR_TYPE_MASK;
    bool code = type & VMX_AR_TYPE_CODE;
    uint64_t last = off + size - 1;   /* no overflow: off < 2^32 */

    if (pe) {
        if (s->ar & VMX_AR_UNUSABLE) return VMX_WHY_UNUSABLE;
        if (!(s->ar & VMX_AR_P)) return VMX_WHY_NOT_PRESENT;
        if (acc == VMX_ACCESS_WRITE && (code || !(type & VMX_AR_TYPE_WR))) return VMX_WHY_TYPE;
        if (acc == VMX_ACCESS_READ && code && !(type & VMX_AR_TYPE_WR)) return VMX_WHY_TYPE;
    }
    if (!code && (type & VMX_AR_TYPE_EC)) {          /* expand-down data */
        uint64_t upper = (s->ar & VMX_AR_DB) ? 0xFFFFFFFFull : 0xFFFFull;
        return off > s->limit && last <= upper ? VMX_WHY_OK : VMX_WHY_LIMIT;
    }
    if (s->limit == 0xFFFFFFFFu && s->base == 0) return VMX_WHY_OK;   /* Bochs' flat 4 GiB case, above */
    return last <= s->limit ? VMX_WHY_OK : VMX_WHY_LIMIT;
}

int vmx_decode_mem_operand(const struct vmx_operand_ctx *c, unsigned size, enum vmx_access acc,
                           struct vmx_operand *out)
{
    uint32_t ii = c->insn_info;
    unsigned asz = VMX_II_ASIZE(ii), seg = VMX_II_SEG(ii);
    bool lm = vmx_ctx_is_64bit(c);
    const struct vmx_guest_seg *s;
    uint64_t ea;

    *out = (struct vmx_operand){ 0 };
    if (size == 0 || size > 16 || (acc != VMX_ACCESS_READ && acc != VMX_ACCESS_WRITE)) return VMX_OPERAND_EBAD;
    /* 3..7 are "not used"; 64-bit addressing exists only in 64-bit mode, 16-bit only outside
       it (a 67h prefix selects 32 bits in 64-bit mode, SDM Vol. 1 "Address-Size Attributes"). */
    if (asz > 2 || seg >= VMX_SEG_COUNT || (asz == 2 && !lm) || (asz == 0 && lm)) return VMX_OPERAND_EBAD;

    ea = c->qualification;
    if (!(ii & VMX_II_BASE_INVALID)) ea += c->gpr[VMX_II_BASE(ii)];
    if (!(ii & VMX_II_INDEX_INVALID)) ea += c->gpr[VMX_II_INDEX(ii)] << VMX_II_SCALE(ii);
    ea &= asize_mask(asz);   /* modular: equal to summing the 16/32-bit register halves */

    s = &c->seg[seg];
    out->size = size;
    out->seg = seg;
    out->addr_size = 16u << asz;
    out->ea = ea;
    if (lm) {
        uint64_t base = (seg == VMX_SEG_FS || seg == VMX_SEG_GS) ? s->base : 0;
        out->linear = base + ea;
        if (!canonical(out->linear, c->la57) || !canonical(out->linear + size - 1, c->la57))
            out->why = VMX_WHY_NONCANONICAL;
    } else {
        out->linear = (s->base + ea) & 0xFFFFFFFFull;
        out->why = legacy_checks(s, c->protected_mode, ea, size, acc);
    }
    if (out->why != VMX_WHY_OK) out->fault = seg == VMX_SEG_SS ? VMX_FAULT_SS : VMX_FAULT_GP;
    return VMX_OPERAND_OK;
}

int vmx_decode_vmrw_operand(const struct vmx_operand_ctx *c, bool vmread, struct vmx_operand *out)
{
    unsigned size = vmx_ctx_is_64bit(c) ? 8 : 4;

    if (c->insn_info & VMX_II_REG_FORM) {
        *out = (struct vmx_operand){ 0 };
        out->is_reg = true;
        out->reg = VMX_II_REG1(c->insn_info);
        out->size = size;
        return VMX_OPERAND_OK;
    }
    return vmx_decode_mem_operand(c, size, vmread ? VMX_ACCESS_WRITE : VMX_ACCESS_READ, out);
}

int vmx_decode_exit_operand(const struct vmx_operand_ctx *c, uint32_t exit_reason, struct vmx_operand *out)
{
    switch (exit_reason & 0xFFFFu) {   /* basic exit reason, SDM "Basic VM-Exit Information" */
    case EXIT_REASON_VMXON:
    case EXIT_REASON_VMCLEAR:
    case EXIT_REASON_VMPTRLD:  return vmx_decode_mem_operand(c, 8, VMX_ACCESS_READ, out);
    case EXIT_REASON_VMPTRST:  return vmx_decode_mem_operand(c, 8, VMX_ACCESS_WRITE, out);
    case EXIT_REASON_INVEPT:
    case EXIT_REASON_INVVPID:  return vmx_decode_mem_operand(c, 16, VMX_ACCESS_READ, out);
    case EXIT_REASON_VMREAD:   return vmx_decode_vmrw_operand(c, true, out);
    case EXIT_REASON_VMWRITE:  return vmx_decode_vmrw_operand(c, false, out);
    default:
        *out = (struct vmx_operand){ 0 };
        return VMX_OPERAND_EBAD;
    }
}

unsigned vmx_decode_reg2(const struct vmx_operand_ctx *c)
{
    return VMX_II_REG2(c->insn_info);
}

uint64_t vmx_reg_result(const struct vmx_operand_ctx *c, uint64_t v)
{
    return vmx_ctx_is_64bit(c) ? v : (v & 0xFFFFFFFFull);
}

uint64_t vmx_reg_value(const struct vmx_operand_ctx *c, unsigned reg)
{
    return vmx_reg_result(c, c->gpr[reg & 15u]);
}

const char *vmx_seg_name(unsigned seg)
{
    static const char *const names[VMX_SEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS" };

    return seg < VMX_SEG_COUNT ? names[seg] : "?";
}

const char *vmx_why_name(unsigned why)
{
    static const char *const names[] = { "ok", "non-canonical", "unusable", "not present", "type", "limit" };

    return why < sizeof(names) / sizeof(names[0]) ? names[why] : "?";
}
