/* vmx_insn.c - L1's VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, INVEPT, INVVPID, emulated as the SDM's pseudocode (Vol. 3C ch. 31) */
#include "hv.h"
#include "mem.h"
#include "x86.h"
#include "nested.h"
#include "../pure/vmx_operand.h"
#include "../pure/guest_paging.h"
#include "../pure/vmcs12_check.h"

#define RFLAGS_ARITH (BIT(0) | BIT(2) | BIT(4) | BIT(6) | BIT(7) | BIT(11)) /* CF PF AF ZF SF OF */
#define RFLAGS_CF BIT(0)
#define RFLAGS_ZF BIT(6)

static void set_flags(uintptr_t set)
{
    vmcs_writenat(VMCS_GUEST_RFLAGS, (vmcs_readnat(VMCS_GUEST_RFLAGS) & ~(uintptr_t)RFLAGS_ARITH) | set);
    skip_instruction();
}

/* SDM 31.2 "Conventions" */
void vmx_succeed(void) { set_flags(0); }
void vmx_fail_invalid(void) { set_flags(RFLAGS_CF); }
void vmx_fail(struct pcpu *p, u32 error)
{
    if (p->nested.current == ~0ull) { vmx_fail_invalid(); return; }
    vmcs12_write(p->nested.current, VMCS_VM_INSTRUCTION_ERROR, error);
    set_flags(RFLAGS_ZF);
}


/* L1's control registers as it sees them: the bits L0 owns come from the read shadows. */
static uintptr_t l1_cr0(void)
{
    uintptr_t m = vmcs_readnat(VMCS_CR0_GUEST_HOST_MASK);
    return (vmcs_readnat(VMCS_GUEST_CR0) & ~m) | (vmcs_readnat(VMCS_CR0_READ_SHADOW) & m);
}
static uintptr_t l1_cr4(void)
{
    uintptr_t m = vmcs_readnat(VMCS_CR4_GUEST_HOST_MASK);
    return (vmcs_readnat(VMCS_GUEST_CR4) & ~m) | (vmcs_readnat(VMCS_CR4_READ_SHADOW) & m);
}

static void operand_ctx(struct pcpu *p, struct vmx_operand_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->insn_info = vmcs_read32(VMCS_EXIT_INSTRUCTION_INFO);
    u32 reason = vmcs_read32(VMCS_EXIT_REASON) & 0xffff;
    /* a VMREAD/VMWRITE register form touches no segment: only CS (64-bit mode) is read */
    bool reg_form = (reason == EXIT_REASON_VMREAD || reason == EXIT_REASON_VMWRITE) && (c->insn_info & VMX_II_REG_FORM);
    c->qualification = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    for (unsigned r = 0; r < 16; r++) c->gpr[r] = guest_gpr_read(p, r);
    static const unsigned base[6] = { VMCS_GUEST_ES_BASE, VMCS_GUEST_CS_BASE, VMCS_GUEST_SS_BASE,
                                      VMCS_GUEST_DS_BASE, VMCS_GUEST_FS_BASE, VMCS_GUEST_GS_BASE };
    for (unsigned s = 0; s < VMX_SEG_COUNT; s++) {
        if (reg_form && s != VMX_SEG_CS) continue;
        c->seg[s].base = vmcs_read_checked(base[s]);
        c->seg[s].limit = (u32)vmcs_read_checked(VMCS_GUEST_ES_LIMIT + 2 * s);
        c->seg[s].ar = (u32)vmcs_read_checked(VMCS_GUEST_ES_AR + 2 * s);
    }
    c->lma = vmcs_read64(VMCS_GUEST_IA32_EFER) & EFER_LMA;
    c->protected_mode = vmcs_readnat(VMCS_GUEST_CR0) & CR0_PE;
    c->la57 = false;
}

static bool l1_64bit(void)
{
    return (vmcs_read64(VMCS_GUEST_IA32_EFER) & EFER_LMA) && (vmcs_read32(VMCS_GUEST_CS_AR) & VMX_AR_L);
}

/* The first checks of every VMX instruction but VMXON (SDM 31.3): #UD outside VMX
 * operation (the CPU made the RFLAGS.VM / compatibility-mode checks before exiting),
 * #GP(0) at CPL > 0. */
static bool common_checks(struct pcpu *p)
{
    if (!p->nested.vmxon) { inject_ud(); return false; }
    if (guest_cpl() > 0) { inject_gp0(); return false; }
    return true;
}

/* Guest-physical addresses of the instruction's issuer: L1's as they are; L2's (a
 * VMREAD/VMWRITE under VMCS shadowing) through EPT12 when L1 uses EPT, so that L2 can
 * only reach the L1 memory L1 gave it. Not mapped: no memory (the access fails). */
static bool issuer_gpa(struct op12_fault *fault, u64 gpa, bool write, u64 *l1)
{
    struct pcpu *p = this_pcpu();
    if (!p->nested.in_l2 || !(p->nested.proc2_12 & SEC_ENABLE_EPT)) { *l1 = gpa; return true; }
    return ept12_translate(p, gpa, write, l1, fault);
}

/* Where L1 has no memory the CPU reads all ones and drops writes (as l1_read/l1_write
 * do): only an L2 address EPT12 refuses is an access that fails (GPAGING_ENOMEM), and
 * opaque (a struct op12_fault, or NULL) records why. */
static bool phys_read(void *opaque, u64 gpa, void *buf, unsigned size)
{
    u64 a;
    if (!issuer_gpa(opaque, gpa, false, &a)) return false;
    l1_read(a, buf, size);
    return true;
}
static bool phys_write(void *opaque, u64 gpa, const void *buf, unsigned size)
{
    u64 a;
    if (!issuer_gpa(opaque, gpa, true, &a)) return false;
    l1_write(a, buf, size);
    return true;
}
/* Accessed/dirty updates: a locked compare-exchange on the entry, as the CPU's own. */
static bool phys_cmpxchg(void *opaque, u64 gpa, unsigned size, u64 old, u64 new_val)
{
    u64 a;
    if (!issuer_gpa(opaque, gpa, true, &a)) return false;
    if (!l1_has_memory(a)) return true;        /* the update goes nowhere */
    u8 *pg = l1_page(a);
    void *at = pg + (a & (PAGE_SIZE - 1));
    if (size == 8) return __atomic_compare_exchange_n((u64 *)at, &old, new_val, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    u32 o = (u32)old;
    return __atomic_compare_exchange_n((u32 *)at, &o, (u32)new_val, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* Read or write an operand of L1 at a linear address: segment faults first (decoded),
 * then paging (#PF with CR2), then the access. Returns false after injecting the fault
 * (or after arranging a retry of the instruction). */
/* The current guest's paging state (VMCS guest-state area) for pure/guest_paging: its
 * accesses land in the issuer's guest-physical space (L1's, or L2's through EPT12). */
void guest_paging_ctx(struct gpaging_ctx *g)
{
    /* asked once: under another hypervisor every CPUID is a VM exit, and this runs for every
     * xAPIC access nestvisor emulates */
    static int page1gb = -1;
    if (page1gb < 0) page1gb = (cpuid(0x80000001u, 0).edx & BIT(26)) != 0;
    *g = (struct gpaging_ctx){
        .cr0 = vmcs_readnat(VMCS_GUEST_CR0), .cr3 = vmcs_readnat(VMCS_GUEST_CR3),
        .cr4 = vmcs_readnat(VMCS_GUEST_CR4), .efer = vmcs_read64(VMCS_GUEST_IA32_EFER),
        .pdpte = { vmcs_read64(VMCS_GUEST_PDPTE0), vmcs_read64(VMCS_GUEST_PDPTE1),
                   vmcs_read64(VMCS_GUEST_PDPTE2), vmcs_read64(VMCS_GUEST_PDPTE3) },
        .ac = (vmcs_readnat(VMCS_GUEST_RFLAGS) & BIT(18)) != 0,
        .page1gb = page1gb,
        .maxphyaddr = l1_caps.maxphyaddr,
        .read_phys = phys_read, .write_phys = phys_write, .cmpxchg_phys = phys_cmpxchg,
    };
}

static bool access_operand(const struct vmx_operand *op, void *buf, unsigned len, bool write)
{
    if (op->fault) { inject_exception((u8)op->fault, true, op->error_code); return false; }
    struct pcpu *p = this_pcpu();
    struct gpaging_ctx g;
    struct op12_fault f12 = { .set = false };
    guest_paging_ctx(&g);
    g.opaque = &f12;
    struct gpaging_fault f;
    int r = write ? gpaging_write(&g, op->linear, buf, len, &f) : gpaging_read(&g, op->linear, buf, len, &f);
    if (r == GPAGING_OK) return true;
    if (r == GPAGING_ENOMEM && f12.set) {
        /* L2's operand (or one of its paging-structure entries) where EPT12 gives it no
         * access: the CPU would have exited to L1 with an EPT violation. Qualification bit 8
         * (SDM 28.2.1): the operand itself when L2's own walk to it succeeds. */
        u64 to;
        struct gpaging_fault f2;
        bool final = gpaging_translate(&g, op->linear, write, &to, &f2) == GPAGING_OK &&
                     (to >> 12) == (f.gpa >> 12);
        nested_reflect_op12_fault(p, &f12, op->linear, final);
        return false;
    }
    if (r == GPAGING_PF) {
        __asm__ __volatile__("mov %0, %%cr2" : : "r"((uintptr_t)f.linear) : "memory");
        inject_exception(14, true, f.error_code);
        return false;
    }
    if (r == GPAGING_ERETRY) return false;  /* RIP not advanced: L1 executes it again */
    /* no memory behind L1's tables or operand, or a mode L0 cannot walk: loud, and the
     * instruction is refused as on a CPU that cannot complete it */
    LOG_RL("L1 VMX operand at linear 0x%llx: page walk failed (%d, gpa 0x%llx, mode %s): #GP",
           (unsigned long long)op->linear, r, (unsigned long long)f.gpa, gpaging_mode_name(gpaging_mode(&g)));
    inject_gp0();
    return false;
}

/* The 64-bit memory operand of VMXON, VMCLEAR, VMPTRLD (read) */
static bool read_ptr_operand(struct pcpu *p, u32 reason, u64 *v)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;
    operand_ctx(p, &c);
    if (vmx_decode_exit_operand(&c, reason, &op) != VMX_OPERAND_OK || op.is_reg) {
        LOG_RL("VMX instruction %u: operand encoding L0 cannot decode (info 0x%x): #UD", reason, c.insn_info);
        inject_ud();
        return false;
    }
    return access_operand(&op, v, 8, false);
}

static bool addr_bad(u64 a) { return (a & 0xfff) || (a >> l1_caps.maxphyaddr); }
static u32 revision(void) { return (u32)l1_caps.basic & 0x7fffffffu; }

/* VMXON (SDM 31.3) */
static void emulate_vmxon(struct pcpu *p)
{
    struct nested *n = &p->nested;
    if (!(l1_cr4() & CR4_VMXE)) { inject_ud(); return; }
    if (n->vmxon) {
        if (guest_cpl() > 0) { inject_gp0(); return; }
        vmx_fail(p, VMXERR_VMXON_IN_ROOT);
        return;
    }
    uintptr_t cr0 = l1_cr0(), cr4 = l1_cr4();
    bool cr_ok = (cr0 & l1_caps.cr0_fixed0) == l1_caps.cr0_fixed0 && !(cr0 & ~l1_caps.cr0_fixed1) &&
                 (cr4 & l1_caps.cr4_fixed0) == l1_caps.cr4_fixed0 && !(cr4 & ~l1_caps.cr4_fixed1);
    u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (guest_cpl() > 0 || !cr_ok || !(fc & 1) || !(fc & 4)) { inject_gp0(); return; }
    u64 addr;
    if (!read_ptr_operand(p, EXIT_REASON_VMXON, &addr)) return;
    u32 rev = 0;
    if (addr_bad(addr) || (l1_read(addr, &rev, 4), rev != revision())) { vmx_fail_invalid(); return; }
    n->vmxon = true;
    n->vmxon_ptr = addr;
    n->current = ~0ull;
    nested_l1_vmx_mode(p, true);
    LOG_RL("L1 VMXON (region 0x%llx)", (unsigned long long)addr);
    vmx_succeed();
}

static void emulate_vmxoff(struct pcpu *p)
{
    if (!common_checks(p)) return;
    p->nested.vmxon = false;
    shadow01_drop(p, ~0ull);
    p->nested.current = ~0ull;
    nested_l1_vmx_mode(p, false);
    vmx_succeed();
}

/* VMCLEAR's and VMPTRLD's common part (SDM 31.3): the checks, the operand, then
 * VMfail(bad_addr) for an unaligned or too wide address, VMfail(vmxon_ptr) for the
 * VMXON region. True: addr is a VMCS the instruction may use. */
static bool vmcs_ptr_operand(struct pcpu *p, u32 reason, u32 bad_addr, u32 vmxon_ptr, u64 *addr)
{
    if (!common_checks(p) || !read_ptr_operand(p, reason, addr)) return false;
    if (addr_bad(*addr)) { vmx_fail(p, bad_addr); return false; }
    if (*addr == p->nested.vmxon_ptr) { vmx_fail(p, vmxon_ptr); return false; }
    return true;
}

static void emulate_vmclear(struct pcpu *p)
{
    struct nested *n = &p->nested;
    u64 addr;
    if (!vmcs_ptr_operand(p, EXIT_REASON_VMCLEAR, VMXERR_VMCLEAR_INVALID_ADDR, VMXERR_VMCLEAR_VMXON_PTR, &addr)) return;
    vmcs12_set_launched(addr, false);
    shadow01_drop(p, addr);               /* L1 may now rewrite the region or move it */
    if (addr == n->current) n->current = ~0ull;
    if (addr == n->built_for) n->built_for = ~0ull;   /* VMCS02 no longer stands for it */
    vmx_succeed();
}

static void emulate_vmptrld(struct pcpu *p)
{
    struct nested *n = &p->nested;
    u64 addr;
    if (!vmcs_ptr_operand(p, EXIT_REASON_VMPTRLD, VMXERR_VMPTRLD_INVALID_ADDR, VMXERR_VMPTRLD_VMXON_PTR, &addr)) return;
    u32 rev = 0;
    l1_read(addr, &rev, 4);
    /* bit 31 (a shadow VMCS) is allowed where VMCS shadowing is offered */
    bool shadow_ok = offered2(SEC_VMCS_SHADOWING);
    if ((rev & ~VMCS12_SHADOW_BIT) != revision() || ((rev & VMCS12_SHADOW_BIT) && !shadow_ok)) {
        vmx_fail(p, VMXERR_VMPTRLD_BAD_REVISION);
        return;
    }
    n->current = addr;
    vmx_succeed();
}

static void emulate_vmptrst(struct pcpu *p)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;
    if (!common_checks(p)) return;
    operand_ctx(p, &c);
    if (vmx_decode_exit_operand(&c, EXIT_REASON_VMPTRST, &op) != VMX_OPERAND_OK || op.is_reg) { inject_ud(); return; }
    u64 v = p->nested.current;
    if (!access_operand(&op, &v, 8, true)) return;
    vmx_succeed();
}

/* VMREAD/VMWRITE field semantics (SDM 25.11.2): 64-bit fields have a "high" encoding
 * (bit 0 set) for bits 63:32; nothing else may set bit 0. */
static bool field_of(u64 enc, unsigned *base, bool *high)
{
    if (enc >> 32) return false;
    *high = (enc & 1) != 0;
    *base = (unsigned)enc & ~1u;
    if (*high && VMCS_ENC_WIDTH(*base) != VMCS_W64) return false;
    return vmcs12_field_supported(*base);
}

/* The VMCS VMREAD/VMWRITE act on: L1's current VMCS, or for L2 under VMCS shadowing the
 * one VMCS12's link pointer names (SDM 31.3 VMREAD/VMWRITE, "in VMX non-root operation").
 * The checks before it: L1 #UD outside VMX operation; both #GP(0) at CPL > 0. ~0 = none. */
static bool vmrw_target(struct pcpu *p, u64 *target)
{
    if (p->nested.in_l2) {
        if (guest_cpl() > 0) { inject_gp0(); return false; }
        *target = vmcs12_read(p->nested.current, VMCS_VMCS_LINK_POINTER);
        return true;
    }
    if (!common_checks(p)) return false;
    *target = p->nested.current;
    return true;
}

static void emulate_vmread(struct pcpu *p)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;
    u64 target;
    if (!vmrw_target(p, &target)) return;
    if (target == ~0ull) { vmx_fail_invalid(); return; }
    operand_ctx(p, &c);
    if (vmx_decode_exit_operand(&c, EXIT_REASON_VMREAD, &op) != VMX_OPERAND_OK) { inject_ud(); return; }
    unsigned base;
    bool high;
    if (!field_of(vmx_reg_value(&c, vmx_decode_reg2(&c)), &base, &high)) { vmx_fail(p, VMXERR_UNSUPPORTED_FIELD); return; }
    u64 v = vmcs12_read(target, base);
    if (high) v >>= 32;
    v = vmx_reg_result(&c, v);
    if (op.is_reg) {
        guest_gpr_write(p, op.reg, (uintptr_t)v);
    } else if (!access_operand(&op, &v, op.size, true)) {
        return;
    }
    vmx_succeed();
}

static void emulate_vmwrite(struct pcpu *p)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;
    u64 target;
    if (!vmrw_target(p, &target)) return;
    if (target == ~0ull) { vmx_fail_invalid(); return; }
    operand_ctx(p, &c);
    if (vmx_decode_exit_operand(&c, EXIT_REASON_VMWRITE, &op) != VMX_OPERAND_OK) { inject_ud(); return; }
    u64 v = 0;
    if (op.is_reg) v = vmx_reg_value(&c, op.reg);
    else if (!access_operand(&op, &v, op.size, false)) return; /* faults before the field checks */
    unsigned base;
    bool high;
    if (!field_of(vmx_reg_value(&c, vmx_decode_reg2(&c)), &base, &high)) { vmx_fail(p, VMXERR_UNSUPPORTED_FIELD); return; }
    if (VMCS_ENC_GROUP(base) == VMCS_EXIT && !(l1_caps.misc & BIT(29))) { vmx_fail(p, VMXERR_WRITE_RO_FIELD); return; }
    if (high) {
        u64 old = vmcs12_read(target, base);
        v = (old & 0xffffffffu) | (v << 32);
    } else if (!l1_64bit()) {
        v &= 0xffffffffu; /* a 32-bit operand clears the upper bits of longer fields */
    }
    vmcs12_write(target, base, v);
    if (target == p->nested.current) nested_vmwrite_done(p, base);
    vmx_succeed();
}

/* INVEPT / INVVPID (SDM 31.3): type in a register, 128-bit descriptor in memory. */
static bool read_inv_operands(struct pcpu *p, u32 reason, u64 *type, struct inv_desc *d)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;
    operand_ctx(p, &c);
    if (vmx_decode_exit_operand(&c, reason, &op) != VMX_OPERAND_OK || op.is_reg) { inject_ud(); return false; }
    *type = vmx_reg_value(&c, vmx_decode_reg2(&c));
    return access_operand(&op, d, 16, false);
}

static void emulate_invept(struct pcpu *p)
{
    if (!(l1_caps.procbased2 >> 32 & SEC_ENABLE_EPT) || !(l1_caps.ept_vpid & EPTCAP_INVEPT)) { inject_ud(); return; }
    if (!common_checks(p)) return;
    u64 type;
    struct inv_desc d;
    if (!read_inv_operands(p, EXIT_REASON_INVEPT, &type, &d)) return;
    /* SDM 31.3 INVEPT: single-context with an EPTP that VM entry would refuse (26.2.1.1) fails too */
    bool ok = (type == 1 && (l1_caps.ept_vpid & EPTCAP_INVEPT_SINGLE) && vmcs12_eptp_valid(&l1_caps, d.lo)) ||
              (type == 2 && (l1_caps.ept_vpid & EPTCAP_INVEPT_ALL));
    if (!ok) { vmx_fail(p, VMXERR_INVALID_INVEPT_INVVPID); return; }
    ept02_invalidate(p, d.lo, type == 2);
    vmx_succeed();
}

static void emulate_invvpid(struct pcpu *p)
{
    if (!(l1_caps.procbased2 >> 32 & SEC_ENABLE_VPID) || !(l1_caps.ept_vpid & VPIDCAP_INVVPID)) { inject_ud(); return; }
    if (!common_checks(p)) return;
    u64 type;
    struct inv_desc d;
    if (!read_inv_operands(p, EXIT_REASON_INVVPID, &type, &d)) return;
    static const u64 cap_of[4] = { VPIDCAP_ADDR, VPIDCAP_SINGLE, VPIDCAP_ALL, VPIDCAP_SINGLE_NG };
    u16 vpid = (u16)d.lo;
    bool ok = type < 4 && (l1_caps.ept_vpid & cap_of[type]) && !(d.lo >> 16) && (type == 2 || vpid != 0);
    if (ok && type == 0) {
        u64 la = d.hi; /* individual address: must be canonical (48-bit) */
        ok = ((s64)(la << 16) >> 16) == (s64)la;
    }
    if (!ok) { vmx_fail(p, VMXERR_INVALID_INVEPT_INVVPID); return; }
    /* every VPID12 runs as one VPID02: flush it whole (over-invalidating is allowed) */
    p->nested.flush_vpid02 = true;
    vmx_succeed();
}

/* SDM 31.3 VMREAD/VMWRITE in VMX non-root operation: no exit (L0 emulates it on the link
 * VMCS) when VMCS12 enables VMCS shadowing, the field encoding has no bit above 14 set
 * and its bit in L1's VMREAD/VMWRITE bitmap is 0. */
bool nested_l2_vmrw_shadowed(struct pcpu *p, u32 reason)
{
    const struct nested *n = &p->nested;
    if (!(n->proc2_12 & SEC_VMCS_SHADOWING)) return false;
    uintptr_t info = vmcs_read32(VMCS_EXIT_INSTRUCTION_INFO);
    u64 enc = guest_gpr_read(p, VMX_II_REG2(info));
    if (!l1_64bit()) enc = (u32)enc;
    if (enc >> 15) return false;
    const u8 *bm = l1_bitmap(vmcs12_read(n->current, reason == EXIT_REASON_VMREAD ? VMCS_VMREAD_BITMAP : VMCS_VMWRITE_BITMAP));
    return !(bm[enc / 8] >> (enc % 8) & 1);
}

void handle_vmx_instruction(struct pcpu *p)
{
    u32 reason = vmcs_read32(VMCS_EXIT_REASON) & 0xffff;
    /* instructions that use or leave the current VMCS12 see L1's shadowed VMWRITEs */
    if (reason == EXIT_REASON_VMLAUNCH || reason == EXIT_REASON_VMRESUME || reason == EXIT_REASON_VMPTRLD ||
        reason == EXIT_REASON_VMCLEAR || reason == EXIT_REASON_VMXOFF)
        shadow01_pull(p);
    switch (reason) {
    case EXIT_REASON_VMXON: emulate_vmxon(p); break;
    case EXIT_REASON_VMXOFF: emulate_vmxoff(p); break;
    case EXIT_REASON_VMCLEAR: emulate_vmclear(p); break;
    case EXIT_REASON_VMPTRLD: emulate_vmptrld(p); break;
    case EXIT_REASON_VMPTRST: emulate_vmptrst(p); break;
    case EXIT_REASON_VMREAD: { u64 t0 = rdtsc(); emulate_vmread(p); p->nested.ticks_vmrw += rdtsc() - t0; break; }
    case EXIT_REASON_VMWRITE: { u64 t0 = rdtsc(); emulate_vmwrite(p); p->nested.ticks_vmrw += rdtsc() - t0; break; }
    case EXIT_REASON_INVEPT: emulate_invept(p); break;
    case EXIT_REASON_INVVPID: emulate_invvpid(p); break;
    case EXIT_REASON_VMLAUNCH: nested_vmentry(p, false); break;
    case EXIT_REASON_VMRESUME: nested_vmentry(p, true); break;
    default: inject_ud(); break;
    }
}
