/* exit.c - L2's VM exits: the one routing decision (L0 handles or L1 gets it), and the emulated VM exit into L1 (SDM ch. 27) */
#include "hv.h"
#include "x86.h"
#include "nested.h"
#include "../pure/vmcs12_check.h"

/* ---- routing ---- */

/* SDM 25.6.9: an MSR access exits to L1 if L1 uses no bitmap, the MSR is outside the
 * bitmap's two ranges, or its bit is set. */
static bool l1_wants_msr(const struct nested *n, u32 msr, bool write)
{
    if (!(n->proc12 & PROC_USE_MSR_BITMAPS)) return true;
    unsigned base;
    if (msr <= 0x1fff) base = 0;
    else if (msr >= 0xc0000000u && msr <= 0xc0001fffu) base = 1024;
    else return true;
    const u8 *bm = l1_bitmap(vmcs12_read(n->current, VMCS_MSR_BITMAP));
    u32 i = msr & 0x1fff;
    return bm[(write ? 2048 : 0) + base + i / 8] >> (i % 8) & 1;
}

/* SDM 25.6.4: I/O bitmaps win over unconditional I/O exiting; an access that wraps
 * past port FFFFH exits. */
static bool l1_wants_io(const struct nested *n, u64 qual)
{
    if (!(n->proc12 & PROC_USE_IO_BITMAPS)) return (n->proc12 & PROC_UNCOND_IO_EXITING) != 0;
    u32 port = (u32)(qual >> 16) & 0xffff, size = (u32)(qual & 7) + 1;
    if (port + size > 0x10000) return true;
    for (u32 q = port; q < port + size; q++) {
        const u8 *bm = l1_bitmap(vmcs12_read(n->current, q < 0x8000 ? VMCS_IO_BITMAP_A : VMCS_IO_BITMAP_B));
        if (bm[(q & 0x7fff) / 8] >> (q % 8) & 1) return true;
    }
    return false;
}

enum route { TO_L1, TO_L0, L0_DONE };   /* L0_DONE: L0 dealt with it here, resume L2 */

static bool info_is_nmi(u32 intr_info) { return (intr_info & (7u << 8)) == INTR_TYPE_NMI; }

/* The one place that decides who handles an exit of L2. VMCS02 holds L1's controls
 * plus L0's few needs (NMI exiting for kicks, EPT02, L0's MSR and I/O intercepts), so
 * nearly everything L2 does that exits was asked for by L1. */
static enum route route_exit(struct pcpu *p, u32 reason)
{
    struct nested *n = &p->nested;
    switch (reason) {
    case EXIT_REASON_EXCEPTION_NMI:
        if (!info_is_nmi(vmcs_read32(VMCS_EXIT_INTR_INFO))) return TO_L1; /* VMCS02's exception bitmap is L1's */
        /* L0's kick, or an NMI for L2's CPU: an NMI exit for L1 if L1 asked for NMI
         * exiting (the CPU already applied L2's NMI blocking: VMCS02 has L1's NMI
         * controls), else delivered to L2 before the next entry (nested_before_l2_entry) */
        if (nmi_take_kick(p)) return L0_DONE;
        if (n->pin12 & PIN_NMI_EXITING) return TO_L1;
        nmi_owe(p);
        return L0_DONE;
    case EXIT_REASON_NMI_WINDOW:
        return (n->proc12 & PROC_NMI_WINDOW) ? TO_L1 : TO_L0;
    case EXIT_REASON_IO:
        return l1_wants_io(n, vmcs_readnat(VMCS_EXIT_QUALIFICATION)) ? TO_L1 : TO_L0;
    case EXIT_REASON_RDMSR:
    case EXIT_REASON_WRMSR:
        return l1_wants_msr(n, (u32)p->regs.cx, reason == EXIT_REASON_WRMSR) ? TO_L1 : TO_L0;
    case EXIT_REASON_EPT_VIOLATION:
        return (n->proc2_12 & SEC_ENABLE_EPT) ? TO_L1 /* EPT12 decides, see below */ : TO_L0;
    case EXIT_REASON_EPT_MISCONFIG:
        return TO_L0;                  /* EPT02/EPT01 are L0's tables: an L0 bug, reported */
    case EXIT_REASON_VMREAD:
    case EXIT_REASON_VMWRITE:
        return nested_l2_vmrw_shadowed(p, reason) ? TO_L0 : TO_L1;
    default:
        return TO_L1;
    }
}

/* ---- the emulated VM exit ---- */

/* The guest rows an exit saves as they are (computed once from the field table). */
static u16 save_rows[256];
static unsigned save_count;

static void save_rows_init(void)
{
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        const struct vmcs_field_info *f = &vmcs_field_table[i];
        if (f->group != VMCS_GUEST) continue;
        switch (f->encoding) {
        case VMCS_VMCS_LINK_POINTER: case VMCS_GUEST_SMBASE:
        case VMCS_GUEST_IA32_EFER: case VMCS_GUEST_IA32_PAT:
        case VMCS_GUEST_IA32_DEBUGCTL: case VMCS_PREEMPTION_TIMER_VALUE:
        case VMCS_GUEST_PDPTE0: case VMCS_GUEST_PDPTE1: case VMCS_GUEST_PDPTE2: case VMCS_GUEST_PDPTE3:
            continue;
        default:
            if (vmcs12_field_supported(f->encoding)) save_rows[save_count++] = (u16)i;
        }
    }
}

static void save_guest_state(struct nested *n, u64 *l2_efer, u64 *l2_pat)
{
    u64 cur = n->current;
    if (!save_count) save_rows_init();   /* idempotent: any CPU may do it first */
    volatile u64 *f = vmcs12_fields(cur);
    for (unsigned i = 0; i < save_count; i++) {
        unsigned row = save_rows[i];
        u64 v = vmcs_read_checked(vmcs_field_table[row].encoding);
        if (v == f[row]) continue;        /* most of L2's state is as L1 left it */
        f[row] = v;
        shadow01_changed(cur, row);
    }
    /* SDM 27.3: saved only when L1's exit controls ask (DR7 always, with DEBUGCTL on request) */
    *l2_efer = vmcs_read64(VMCS_GUEST_IA32_EFER);
    *l2_pat = vmcs_read64(VMCS_GUEST_IA32_PAT);
    if (n->exit12 & EXIT_SAVE_EFER) vmcs12_write(cur, VMCS_GUEST_IA32_EFER, *l2_efer);
    if (n->exit12 & EXIT_SAVE_PAT) vmcs12_write(cur, VMCS_GUEST_IA32_PAT, *l2_pat);
    if (n->exit12 & EXIT_SAVE_DEBUG_CTLS) vmcs12_write(cur, VMCS_GUEST_IA32_DEBUGCTL, vmcs_read64(VMCS_GUEST_IA32_DEBUGCTL));
    if ((n->pin12 & PIN_PREEMPTION_TIMER) && (n->exit12 & EXIT_SAVE_PREEMPT_TIMER))
        vmcs12_write(cur, VMCS_PREEMPTION_TIMER_VALUE, vmcs_read32(VMCS_PREEMPTION_TIMER_VALUE));
    /* SDM 27.2: a VM exit stores IA32_EFER.LMA into the "IA-32e mode guest" entry control */
    u64 entry12 = vmcs12_read(cur, VMCS_ENTRY_CONTROLS) & ~(u64)ENTRY_IA32E_MODE;
    vmcs12_write(cur, VMCS_ENTRY_CONTROLS, entry12 | ((*l2_efer & EFER_LMA) ? ENTRY_IA32E_MODE : 0));
    if (n->proc2_12 & SEC_ENABLE_EPT) {
        vmcs12_write(cur, VMCS_GUEST_PDPTE0, vmcs_read64(VMCS_GUEST_PDPTE0));
        vmcs12_write(cur, VMCS_GUEST_PDPTE1, vmcs_read64(VMCS_GUEST_PDPTE1));
        vmcs12_write(cur, VMCS_GUEST_PDPTE2, vmcs_read64(VMCS_GUEST_PDPTE2));
        vmcs12_write(cur, VMCS_GUEST_PDPTE3, vmcs_read64(VMCS_GUEST_PDPTE3));
    }
}

/* ---- MSR lists (pure/msr_list.c decides; L1 memory and the MSR access are here) ---- */

static bool msr_list_read(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
    (void)ctx;
    return l1_read(gpa, buf, len);
}
static bool msr_list_write(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
    (void)ctx;
    return l1_write(gpa, buf, len);
}
static int msr_list_rdmsr(void *ctx, uint32_t msr, uint64_t *v) { return guest_rdmsr(ctx, msr, v); }
static int msr_list_wrmsr(void *ctx, uint32_t msr, uint64_t v) { return guest_wrmsr(ctx, msr, v); }

struct msr_list_result nested_msr_list(struct pcpu *p, enum msr_list_kind kind, u64 addr, u32 count)
{
    const struct msr_list_ops ops = { msr_list_read, msr_list_write, msr_list_rdmsr, msr_list_wrmsr, p };
    struct msr_list_result r = msr_list_process(kind, addr, count, msr_list_limit(l1_caps.misc), &ops);
    if (r.truncated)
        LOG_RL("VMCS12 MSR list (kind %u) of %u entries: only the first %u processed (IA32_VMX_MISC limit)", kind,
               count, r.processed);
    return r;
}

/* SDM 27.7: a VMX abort ends L1's VM exit: the indicator goes to byte 4 of the VMCS12
 * region and L1's CPU shuts down, which nestvisor, as for an L1 triple fault, reports
 * and ends the run with. */
static void l1_vmx_abort(struct pcpu *p, const struct msr_list_result *r)
{
    u32 indicator = r->abort;
    l1_write(p->nested.current + 4, &indicator, 4);
    cprintf("L1 VMX abort %u: VMCS12 0x%llx, MSR-list entry %u (MSR 0x%x): %s", indicator,
            (unsigned long long)p->nested.current, r->entry, r->msr, r->why);
    vm_report_and_end("FAIL L1 VMX abort %u (%s)", indicator, r->why);
}

/* SDM 27.4: the VM-exit MSR-store list, L2's values (VMCS02 current). */
static void store_exit_msrs(struct pcpu *p)
{
    u64 c = p->nested.current;
    struct msr_list_result r = nested_msr_list(p, MSR_LIST_EXIT_STORE, vmcs12_read(c, VMCS_EXIT_MSR_STORE_ADDR),
                                               (u32)vmcs12_read(c, VMCS_EXIT_MSR_STORE_COUNT));
    if (!r.ok) l1_vmx_abort(p, &r);
}

/* SDM 27.6 (and 26.7 for a failed entry): the VM-exit MSR-load list, into L1 (VMCS01 current). */
static void load_exit_msrs(struct pcpu *p)
{
    u64 c = p->nested.current;
    struct msr_list_result r = nested_msr_list(p, MSR_LIST_EXIT_LOAD, vmcs12_read(c, VMCS_EXIT_MSR_LOAD_ADDR),
                                               (u32)vmcs12_read(c, VMCS_EXIT_MSR_LOAD_COUNT));
    if (!r.ok) l1_vmx_abort(p, &r);
}

/* One segment of L1's host state (SDM 27.5.2). */
static void host_seg(unsigned sel_f, unsigned base_f, unsigned limit_f, unsigned ar_f, u16 sel, u64 base, u32 ar)
{
    vmcs_write_checked(sel_f, sel);
    vmcs_write_checked(base_f, base);
    vmcs_write_checked(limit_f, 0xffffffffu);
    vmcs_write_checked(ar_f, ar);
}

/* SDM 27.5: L1 continues as its VMCS12 host-state area says (VMCS01 current). */
static void load_host_state(struct pcpu *p, u64 l2_efer, u64 l2_pat, bool nmi_blocked)
{
    struct nested *n = &p->nested;
    u64 c = n->current;
    u32 exitc = (u32)vmcs12_read(c, VMCS_EXIT_CONTROLS);
    bool x64 = exitc & EXIT_HOST_ADDR_SPACE;
    u64 cr0 = vmcs12_read(c, VMCS_HOST_CR0), cr4 = vmcs12_read(c, VMCS_HOST_CR4);
    vmcs_writenat(VMCS_CR0_READ_SHADOW, cr0);
    vmcs_writenat(VMCS_GUEST_CR0, cr0 | CR0_NE);
    vmcs_writenat(VMCS_CR4_READ_SHADOW, cr4);
    vmcs_writenat(VMCS_GUEST_CR4, cr4 | CR4_VMXE);
    vmcs_writenat(VMCS_GUEST_CR3, vmcs12_read(c, VMCS_HOST_CR3));
    vmcs_writenat(VMCS_GUEST_DR7, 0x400);
    vmcs_write64(VMCS_GUEST_IA32_DEBUGCTL, 0);
    vmcs_write32(VMCS_GUEST_IA32_SYSENTER_CS, (u32)vmcs12_read(c, VMCS_HOST_IA32_SYSENTER_CS));
    vmcs_writenat(VMCS_GUEST_IA32_SYSENTER_ESP, vmcs12_read(c, VMCS_HOST_IA32_SYSENTER_ESP));
    vmcs_writenat(VMCS_GUEST_IA32_SYSENTER_EIP, vmcs12_read(c, VMCS_HOST_IA32_SYSENTER_EIP));
    u64 efer = (exitc & EXIT_LOAD_EFER) ? vmcs12_read(c, VMCS_HOST_IA32_EFER)
                                        : (l2_efer & ~(EFER_LMA | EFER_LME)) | (x64 ? EFER_LMA | EFER_LME : 0);
    vmcs_write64(VMCS_GUEST_IA32_EFER, efer);
    vmcs_write64(VMCS_GUEST_IA32_PAT, (exitc & EXIT_LOAD_PAT) ? vmcs12_read(c, VMCS_HOST_IA32_PAT) : l2_pat);
    u32 entry01 = vmcs_read32(VMCS_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE;
    vmcs_write32(VMCS_ENTRY_CONTROLS, entry01 | (x64 ? ENTRY_IA32E_MODE : 0));

    /* code: execute/read accessed, S, P, G; L in 64-bit, else D */
    u32 cs_ar = 0xb | (BIT(4) | BIT(7)) | BIT(15) | (x64 ? BIT(13) : BIT(14));
    host_seg(VMCS_GUEST_CS_SEL, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_AR,
             (u16)vmcs12_read(c, VMCS_HOST_CS_SEL), 0, cs_ar);
    static const unsigned data[5][5] = {
        { VMCS_GUEST_SS_SEL, VMCS_GUEST_SS_BASE, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_AR, VMCS_HOST_SS_SEL },
        { VMCS_GUEST_DS_SEL, VMCS_GUEST_DS_BASE, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_AR, VMCS_HOST_DS_SEL },
        { VMCS_GUEST_ES_SEL, VMCS_GUEST_ES_BASE, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR, VMCS_HOST_ES_SEL },
        { VMCS_GUEST_FS_SEL, VMCS_GUEST_FS_BASE, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_AR, VMCS_HOST_FS_SEL },
        { VMCS_GUEST_GS_SEL, VMCS_GUEST_GS_BASE, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_AR, VMCS_HOST_GS_SEL },
    };
    for (unsigned s = 0; s < 5; s++) {
        u16 sel = (u16)vmcs12_read(c, data[s][4]);
        u64 base = s == 3 ? vmcs12_read(c, VMCS_HOST_FS_BASE) : s == 4 ? vmcs12_read(c, VMCS_HOST_GS_BASE) : 0;
        /* read/write accessed data, S, P, D/B, G; a null selector makes the register unusable */
        u32 ar = 0x3 | (BIT(4) | BIT(7)) | BIT(14) | BIT(15);
        if (!sel) ar |= BIT(16);
        host_seg(data[s][0], data[s][1], data[s][2], data[s][3], sel, base, ar);
    }
    vmcs_write16(VMCS_GUEST_TR_SEL, (u16)vmcs12_read(c, VMCS_HOST_TR_SEL));
    vmcs_writenat(VMCS_GUEST_TR_BASE, vmcs12_read(c, VMCS_HOST_TR_BASE));
    vmcs_write32(VMCS_GUEST_TR_LIMIT, 0x67);
    vmcs_write32(VMCS_GUEST_TR_AR, 0xb | BIT(7));   /* busy TSS, present */
    vmcs_write16(VMCS_GUEST_LDTR_SEL, 0);
    vmcs_writenat(VMCS_GUEST_LDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_LDTR_LIMIT, 0);
    vmcs_write32(VMCS_GUEST_LDTR_AR, BIT(16));
    vmcs_writenat(VMCS_GUEST_GDTR_BASE, vmcs12_read(c, VMCS_HOST_GDTR_BASE));
    vmcs_write32(VMCS_GUEST_GDTR_LIMIT, 0xffff);
    vmcs_writenat(VMCS_GUEST_IDTR_BASE, vmcs12_read(c, VMCS_HOST_IDTR_BASE));
    vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 0xffff);
    vmcs_writenat(VMCS_GUEST_RIP, vmcs12_read(c, VMCS_HOST_RIP));
    vmcs_writenat(VMCS_GUEST_RSP, vmcs12_read(c, VMCS_HOST_RSP));
    vmcs_writenat(VMCS_GUEST_RFLAGS, 0x2);
    /* L1's NMI blocking after the exit (VMCS01 runs L1 with virtual NMIs: bit 3 is it) */
    vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, nmi_blocked ? INTERRUPTIBILITY_NMI : 0);
    vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 0);
    vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
    if (!x64 && (cr4 & CR4_PAE)) guest_load_pdptes();
}

struct exit_info {
    u32 reason, intr_info, intr_error, idt_info, idt_error, insn_len, insn_info;
    u64 qual, gla, gpa;
};

static void exit_info_from_cpu(struct exit_info *e)
{
    e->reason = vmcs_read32(VMCS_EXIT_REASON);
    e->qual = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    e->intr_info = vmcs_read32(VMCS_EXIT_INTR_INFO);
    e->intr_error = vmcs_read32(VMCS_EXIT_INTR_ERROR_CODE);
    e->idt_info = vmcs_read32(VMCS_IDT_VECTORING_INFO);
    e->idt_error = vmcs_read32(VMCS_IDT_VECTORING_ERROR_CODE);
    e->insn_len = vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN);
    e->insn_info = vmcs_read32(VMCS_EXIT_INSTRUCTION_INFO);
    e->gla = vmcs_readnat(VMCS_GUEST_LINEAR_ADDRESS);
    e->gpa = vmcs_read64(VMCS_GUEST_PHYSICAL_ADDRESS);
}

/* The emulated VM exit from L2 to L1 (VMCS02 current on entry, VMCS01 on return). */
static void reflect_body(struct pcpu *p, struct exit_info *e);
static void reflect(struct pcpu *p, struct exit_info *e)
{
    u64 t0 = rdtsc();
    reflect_body(p, e);
    p->nested.ticks_reflect += rdtsc() - t0;
}

static void reflect_body(struct pcpu *p, struct exit_info *e)
{
    struct nested *n = &p->nested;
    u64 c = n->current, l2_efer, l2_pat;
    /* an event L0 was re-injecting into L2 is the exit's IDT-vectoring information */
    u32 pend = vmcs_read32(VMCS_ENTRY_INTR_INFO);
    if ((pend & INTR_INFO_VALID) && !(e->idt_info & INTR_INFO_VALID)) {
        e->idt_info = pend & ~(u32)BIT(12);
        e->idt_error = vmcs_read32(VMCS_ENTRY_EXCEPTION_ERROR_CODE);
        if (!e->insn_len) e->insn_len = vmcs_read32(VMCS_ENTRY_INSTRUCTION_LEN);
        vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);    /* handed to L1: VMCS02 may be entered again as is */
    }
    save_guest_state(n, &l2_efer, &l2_pat);
    store_exit_msrs(p);
    vmcs12_write(c, VMCS_EXIT_REASON, e->reason);
    vmcs12_write(c, VMCS_EXIT_QUALIFICATION, e->qual);
    vmcs12_write(c, VMCS_EXIT_INTR_INFO, e->intr_info);
    vmcs12_write(c, VMCS_EXIT_INTR_ERROR_CODE, e->intr_error);
    vmcs12_write(c, VMCS_IDT_VECTORING_INFO, e->idt_info);
    vmcs12_write(c, VMCS_IDT_VECTORING_ERROR_CODE, e->idt_error);
    vmcs12_write(c, VMCS_EXIT_INSTRUCTION_LEN, e->insn_len);
    vmcs12_write(c, VMCS_EXIT_INSTRUCTION_INFO, e->insn_info);
    vmcs12_write(c, VMCS_GUEST_LINEAR_ADDRESS, e->gla);
    vmcs12_write(c, VMCS_GUEST_PHYSICAL_ADDRESS, e->gpa);
    /* SDM 27.2.x: a VM exit clears the valid bit of the entry interruption information */
    vmcs12_write(c, VMCS_ENTRY_INTR_INFO, vmcs12_read(c, VMCS_ENTRY_INTR_INFO) & ~(u64)INTR_INFO_VALID);
    vmcs_load(p, p->vmcs01_pa);
    n->in_l2 = false;
    /* NMI blocking once the exit completes: an NMI exit blocks NMIs, virtual NMIs or not
     * (SDM 27.1); any other exit leaves NMI blocking as it was, and with virtual NMIs off
     * L2's blocking by NMI (bit 3, saved above) was the CPU's, so L1 keeps it until its
     * IRET (with virtual NMIs on, bit 3 was only L2's virtual-NMI blocking). Bare Bochs
     * agrees: lhv-nmi off_blocked_across_exit, ne_entry_blocked, vn_exit_blocks_host. */
    bool nmi = (e->reason & 0xffff) == EXIT_REASON_EXCEPTION_NMI && info_is_nmi(e->intr_info);
    bool l2_blocked = vmcs12_read(c, VMCS_GUEST_INTERRUPTIBILITY) & INTERRUPTIBILITY_NMI;
    load_host_state(p, l2_efer, l2_pat, nmi || (!(n->pin12 & PIN_VIRTUAL_NMIS) && l2_blocked));
    load_exit_msrs(p);
    n->reflected++;
}

/* SDM 26.7: a VM entry that fails on guest state or MSR loading: L1 gets the exit
 * reason and qualification and its host state; VMCS12's guest state is left alone.
 * (VMCS01 current.) */
void nested_entry_failure(struct pcpu *p, u32 reason, u64 qual)
{
    struct nested *n = &p->nested;
    u64 c = n->current;
    vmcs12_write(c, VMCS_EXIT_REASON, reason);
    vmcs12_write(c, VMCS_EXIT_QUALIFICATION, qual);
    n->exit12 = (u32)vmcs12_read(c, VMCS_EXIT_CONTROLS);
    load_host_state(p, vmcs_read64(VMCS_GUEST_IA32_EFER), vmcs_read64(VMCS_GUEST_IA32_PAT), false);
    load_exit_msrs(p);
}

/* L0 emulated an instruction of L2 (VMREAD/VMWRITE under VMCS shadowing) whose memory
 * access EPT12 refuses (ept12_translate): L1 gets the exit the CPU would give it, an EPT
 * violation with the linear address (qualification bit 7; bit 8: the access was to the
 * translated address, not to a paging-structure entry) or an EPT misconfiguration
 * without qualification (SDM 28.3.3.1, 28.3.3.2, 28.2.1 table "Exit Qualification for EPT
 * Violations"). RIP stays at the instruction. VMCS02 current. */
void nested_reflect_op12_fault(struct pcpu *p, const struct op12_fault *f, u64 gla, bool final)
{
    struct exit_info e;
    exit_info_from_cpu(&e);
    e.reason = f->misconfig ? EXIT_REASON_EPT_MISCONFIG : EXIT_REASON_EPT_VIOLATION;
    e.qual = f->misconfig ? 0 : f->qual | BIT(7) | (final ? BIT(8) : 0);
    e.gpa = f->gpa;
    e.gla = f->misconfig ? 0 : gla;
    e.intr_info = e.intr_error = e.insn_info = 0;
    LOG_RL("L2 operand at linear 0x%llx, gpa 0x%llx: EPT %s for L1", (unsigned long long)gla, (unsigned long long)e.gpa,
           e.reason == EXIT_REASON_EPT_VIOLATION ? "violation" : "misconfiguration");
    reflect(p, &e);
}

/* A synthesized exit of L2 for L1 (INIT, an NMI L1 intercepts): VMCS02 current. */
void nested_reflect_event(struct pcpu *p, u32 reason, u32 intr_info)
{
    struct exit_info e = { .reason = reason, .intr_info = intr_info };
    reflect(p, &e);
}

enum l2_exit nested_l2_exit(struct pcpu *p, u32 full)
{
    struct nested *n = &p->nested;
    struct exit_info e;
    u32 reason = full & 0xffff;
    if (n->launch_pending && !(full & EXIT_REASON_FAILED_ENTRY)) vmcs12_set_launched(n->current, true);
    n->launch_pending = false;
    if (full & EXIT_REASON_FAILED_ENTRY) {
        /* the CPU refused VMCS02's guest state after L0's checks passed it: L1 gets the
         * failure it would get from this CPU (VMCS12 guest state untouched) */
        u64 qual = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
        LOG_RL("VMCS02 entry failed on the CPU: reason 0x%x qualification 0x%llx (L0's checks missed it)", full,
               (unsigned long long)qual);
        vmcs_dump("vmcs02-entry-failure");
        vmcs_load(p, p->vmcs01_pa);
        n->in_l2 = false;
        n->built_for = ~0ull;
        nested_entry_failure(p, full, qual);
        return L2_REFLECTED;
    }
    enum route r = route_exit(p, reason);
    if (r != TO_L1) {
        n->l0_handled++;
        return r == TO_L0 ? L2_TO_L0 : L2_HANDLED;
    }
    if (reason == EXIT_REASON_EPT_VIOLATION) {   /* under EPT12: L0 fills EPT02 or L1 gets it */
        u64 qual12 = 0;
        enum ept02_result er = ept02_violation(p, &qual12);
        if (er == EPT02_FILLED) { n->l0_handled++; return L2_HANDLED; }
        exit_info_from_cpu(&e);
        if (er == EPT02_L1_VIOLATION) {
            e.qual = qual12;           /* bits 3-5: what EPT12 allows, as L1 wrote it */
        } else {                       /* SDM 28.3.3.1: misconfiguration exits carry no qualification */
            e.reason = EXIT_REASON_EPT_MISCONFIG;
            e.qual = 0;
            e.gla = 0;
        }
        reflect(p, &e);
        return L2_REFLECTED;
    }
    exit_info_from_cpu(&e);
    reflect(p, &e);
    return L2_REFLECTED;
}

/* VMLAUNCH/VMRESUME of VMCS02 failed as an instruction (VMfailValid): L0's checks let
 * through what this CPU refuses; L1 gets the same VMfail. */
void nested_l2_entry_failed(struct pcpu *p, int status)
{
    u32 err = status == VMX_FAIL_VALID ? vmx_instruction_error() : 0;
    cprintf("VMCS02 %s failed: status %d error %u (L0's VMCS12 checks missed it)",
            p->nested.vmcs02_launched ? "VMRESUME" : "VMLAUNCH", status, err);
    vmcs_dump("vmcs02-vmfail");
    vmcs_load(p, p->vmcs01_pa);
    p->nested.in_l2 = false;
    p->nested.launch_pending = false;
    p->nested.built_for = ~0ull;
    if (status != VMX_FAIL_VALID) vm_report_and_end("FAIL VMCS02 entry: VMfailInvalid");
    vmx_fail(p, err);
}
