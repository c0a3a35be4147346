/* entry.c - L1's VMLAUNCH/VMRESUME: the SDM's entry checks on VMCS12, then VMCS02 = VMCS12's guest and controls + L0's host state and intercepts */
#include "hv.h"
#include "mem.h"
#include "page_alloc.h"
#include "vmx_host.h"
#include "x86.h"
#include "nested.h"
#include "../pure/vmcs12_check.h"

void nested_cpu_init(struct pcpu *p)
{
    struct nested *n = &p->nested;
    n->current = ~0ull;
    n->built_for = ~0ull;
    n->vmcs02 = page_alloc(1);
    n->vmcs02_pa = va_to_pa(n->vmcs02);
    *(volatile u32 *)n->vmcs02 = (u32)caps.basic & 0x7fffffff;   /* SDM 25.2: revision before VMPTRLD */
    PANIC_ON(vmclear(n->vmcs02_pa) != VMX_OK);
    n->msr_bitmap02 = page_alloc(1);
    n->io_bitmap02 = page_alloc(2);
    n->vpid02 = (u16)(HV_MAX_CPUS + 1 + p->index);
    ept02_cpu_init(p);
}

static u64 rd12(const struct nested *n, unsigned enc) { return vmcs12_read(n->current, enc); }

/* Guest fields that are not copied as they are (the rest of the table's guest rows are). */
static bool guest_field_special(unsigned enc)
{
    switch (enc) {
    case VMCS_VMCS_LINK_POINTER:      /* VMCS02 links nowhere: shadowing is not offered to L1 */
    case VMCS_GUEST_IA32_EFER: case VMCS_GUEST_IA32_PAT:      /* computed: load controls */
    case VMCS_GUEST_IA32_DEBUGCTL: case VMCS_GUEST_DR7:
    case VMCS_GUEST_PDPTE0: case VMCS_GUEST_PDPTE1: case VMCS_GUEST_PDPTE2: case VMCS_GUEST_PDPTE3:
    case VMCS_PREEMPTION_TIMER_VALUE:
    case VMCS_GUEST_SMBASE:
        return true;
    default:
        return !vmcs12_field_supported(enc);  /* features L1 cannot have enabled */
    }
}

/* L0's own intercepts are a few dozen bits (msr.c, io.c), fixed once the BSP set them
 * up: the 64-bit words of L0's bitmaps that have any, listed once. */
struct l0_words {
    unsigned count;
    u16 idx[64];
};

static void l0_words_list(struct l0_words *w, const u64 *l0)
{
    w->count = 0;
    for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
        if (l0[i]) {
            PANIC_ON(w->count == sizeof w->idx / sizeof w->idx[0]);   /* msr.c/io.c grew: enlarge idx */
            w->idx[w->count++] = (u16)i;
        }
}

/* VMCS02's bitmap page = L1's | L0's: L1's page copied (REP MOVS, lib/mem.c), then
 * L0's words ORed in. An access exits if L0 or L1 intercepts it (SDM 25.6.4, 25.6.9). */
static void merge_bitmap(u8 *dst, u64 l1_gpa, const u8 *l0, const struct l0_words *w)
{
    memcpy(dst, l1_bitmap(l1_gpa), PAGE_SIZE);
    u64 *d = (u64 *)dst;
    const u64 *s = (const u64 *)l0;
    for (unsigned k = 0; k < w->count; k++) d[w->idx[k]] |= s[w->idx[k]];
}

static struct l0_words msr_words, io_words[2];

/* On the BSP, after msr_bitmap_init() and io_bitmap_init(). */
void nested_bitmaps_init(void)
{
    l0_words_list(&msr_words, (const u64 *)vm.msr_bitmap);
    l0_words_list(&io_words[0], (const u64 *)vm.io_bitmap_a);
    l0_words_list(&io_words[1], (const u64 *)vm.io_bitmap_b);
}

/* MSR bitmap for L2: L1's and L0's intercepts. */
static void merge_msr_bitmap(struct nested *n)
{
    merge_bitmap(n->msr_bitmap02, rd12(n, VMCS_MSR_BITMAP), vm.msr_bitmap, &msr_words);
}

/* I/O bitmaps for L2 when L1 uses them, merged with L0's own intercepts (ACPI
 * power-off, shutdown port). */
static void merge_io_bitmaps(struct nested *n)
{
    merge_bitmap(n->io_bitmap02, rd12(n, VMCS_IO_BITMAP_A), vm.io_bitmap_a, &io_words[0]);
    merge_bitmap(n->io_bitmap02 + PAGE_SIZE, rd12(n, VMCS_IO_BITMAP_B), vm.io_bitmap_b, &io_words[1]);
}

static void build_vmcs02(struct pcpu *p)
{
    struct nested *n = &p->nested;
    u64 l1_efer = vmcs_read64(VMCS_GUEST_IA32_EFER), l1_pat = vmcs_read64(VMCS_GUEST_IA32_PAT);
    u64 l1_debugctl = vmcs_read64(VMCS_GUEST_IA32_DEBUGCTL);
    uintptr_t l1_dr7 = vmcs_readnat(VMCS_GUEST_DR7);
    u32 pin = n->pin12 = (u32)rd12(n, VMCS_PIN_BASED_CONTROLS);
    u32 proc = n->proc12 = (u32)rd12(n, VMCS_PROC_BASED_CONTROLS);
    u32 proc2 = n->proc2_12 = (proc & PROC_ACTIVATE_SECONDARY) ? (u32)rd12(n, VMCS_SECONDARY_CONTROLS) : 0;
    u32 exitc = n->exit12 = (u32)rd12(n, VMCS_EXIT_CONTROLS);
    u32 entry = n->entry12 = (u32)rd12(n, VMCS_ENTRY_CONTROLS);

    vmcs_load(p, n->vmcs02_pa);

    /* guest state: the table's guest rows, then the computed ones */
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        unsigned enc = vmcs_field_table[i].encoding;
        if (vmcs_field_table[i].group != VMCS_GUEST || guest_field_special(enc)) continue;
        vmcs_write_checked(enc, rd12(n, enc));
    }
    bool ia32e = entry & ENTRY_IA32E_MODE;
    u64 efer = (entry & ENTRY_LOAD_EFER) ? rd12(n, VMCS_GUEST_IA32_EFER)
                                         : (l1_efer & ~(EFER_LMA | EFER_LME)) | (ia32e ? EFER_LMA | EFER_LME : 0);
    vmcs_write64(VMCS_GUEST_IA32_EFER, efer);
    vmcs_write64(VMCS_GUEST_IA32_PAT, (entry & ENTRY_LOAD_PAT) ? rd12(n, VMCS_GUEST_IA32_PAT) : l1_pat);
    vmcs_write64(VMCS_GUEST_IA32_DEBUGCTL, (entry & ENTRY_LOAD_DEBUG_CTLS) ? rd12(n, VMCS_GUEST_IA32_DEBUGCTL) : l1_debugctl);
    vmcs_writenat(VMCS_GUEST_DR7, (entry & ENTRY_LOAD_DEBUG_CTLS) ? rd12(n, VMCS_GUEST_DR7) : l1_dr7);
    vmcs_write64(VMCS_VMCS_LINK_POINTER, ~0ull);
    if (proc2 & SEC_ENABLE_EPT) {
        vmcs_write64(VMCS_GUEST_PDPTE0, rd12(n, VMCS_GUEST_PDPTE0));
        vmcs_write64(VMCS_GUEST_PDPTE1, rd12(n, VMCS_GUEST_PDPTE1));
        vmcs_write64(VMCS_GUEST_PDPTE2, rd12(n, VMCS_GUEST_PDPTE2));
        vmcs_write64(VMCS_GUEST_PDPTE3, rd12(n, VMCS_GUEST_PDPTE3));
    } else {
        /* PAE paging without EPT12: the CPU takes L2's PDPTEs from the VMCS (EPT02 is
         * on), so L0 loads them from L2's CR3 as a CPU without EPT would (SDM 26.3.2.4) */
        guest_load_pdptes();
    }
    if (pin & PIN_PREEMPTION_TIMER) vmcs_write32(VMCS_PREEMPTION_TIMER_VALUE, (u32)rd12(n, VMCS_PREEMPTION_TIMER_VALUE));

    /* controls: L1's, plus what L0 needs to keep the CPU (NMIs for kicks, EPT, bitmaps).
     * L1 without NMI exiting: L0 still takes every NMI (kicks; L2's own it injects), but
     * L2 must keep the NMI blocking of a CPU without NMI exiting, which its IRET ends;
     * under NMI exiting without virtual NMIs IRET would not end it (SDM 25.3). Virtual
     * NMIs give L2 exactly that blocking: bit 3 of the interruptibility state, set by NMI
     * delivery, cleared by IRET, saved and loaded as the real one (SDM 24.4.2, 25.3). */
    u32 pin02 = pin | PIN_NMI_EXITING | ((pin & PIN_NMI_EXITING) ? 0 : PIN_VIRTUAL_NMIS);
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, vmx_adjust_controls(caps.pin, pin02));
    u32 proc02 = proc & ~(PROC_USE_MSR_BITMAPS | PROC_USE_IO_BITMAPS | PROC_UNCOND_IO_EXITING);
    if (proc & PROC_USE_MSR_BITMAPS) {
        vmcs_write64(VMCS_MSR_BITMAP, va_to_pa(n->msr_bitmap02));
        proc02 |= PROC_USE_MSR_BITMAPS;
    } /* else every MSR access exits (and goes to L1) */
    if ((proc & PROC_UNCOND_IO_EXITING) && !(proc & PROC_USE_IO_BITMAPS)) {
        proc02 |= PROC_UNCOND_IO_EXITING;
    } else if (proc & PROC_USE_IO_BITMAPS) {
        vmcs_write64(VMCS_IO_BITMAP_A, va_to_pa(n->io_bitmap02));
        vmcs_write64(VMCS_IO_BITMAP_B, va_to_pa(n->io_bitmap02 + PAGE_SIZE));
        proc02 |= PROC_USE_IO_BITMAPS;
    } else {                             /* L1 lets L2's I/O through: only L0's own intercepts */
        vmcs_write64(VMCS_IO_BITMAP_A, va_to_pa(vm.io_bitmap_a));
        vmcs_write64(VMCS_IO_BITMAP_B, va_to_pa(vm.io_bitmap_b));
        proc02 |= PROC_USE_IO_BITMAPS;
    }
    vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmx_adjust_controls(caps.proc, proc02 | PROC_ACTIVATE_SECONDARY));
    /* L1's VMCS shadowing is emulated: every VMREAD/VMWRITE of L2 exits to L0 */
    u32 proc2_02 = (proc2 & ~SEC_VMCS_SHADOWING) | SEC_ENABLE_EPT;
    if (cap_proc2(SEC_ENABLE_VPID)) proc2_02 |= SEC_ENABLE_VPID;
    vmcs_write32(VMCS_SECONDARY_CONTROLS, vmx_adjust_controls(caps.proc2, proc2_02));
    if (cap_proc2(SEC_ENABLE_VPID)) vmcs_write16(VMCS_VPID, n->vpid02);
    u32 exit02 = (exitc & (EXIT_ACK_INTR | EXIT_SAVE_PREEMPT_TIMER)) | EXIT_HOST_ADDR_SPACE | EXIT_SAVE_EFER |
                 EXIT_LOAD_EFER | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_DEBUG_CTLS;
    if (pin & PIN_PREEMPTION_TIMER) exit02 |= EXIT_SAVE_PREEMPT_TIMER & (u32)(caps.exit >> 32); /* L0 exits must not restart L2's timer */
    vmcs_write32(VMCS_EXIT_CONTROLS, vmx_adjust_controls(caps.exit, exit02));
    vmcs_write32(VMCS_ENTRY_CONTROLS, vmx_adjust_controls(caps.entry, (entry & ENTRY_IA32E_MODE) | ENTRY_LOAD_EFER |
                                                          ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG_CTLS));
    vmcs_write32(VMCS_EXCEPTION_BITMAP, (u32)rd12(n, VMCS_EXCEPTION_BITMAP));
    vmcs_write32(VMCS_PF_ERROR_CODE_MASK, (u32)rd12(n, VMCS_PF_ERROR_CODE_MASK));
    vmcs_write32(VMCS_PF_ERROR_CODE_MATCH, (u32)rd12(n, VMCS_PF_ERROR_CODE_MATCH));
    vmcs_write32(VMCS_CR3_TARGET_COUNT, (u32)rd12(n, VMCS_CR3_TARGET_COUNT));
    vmcs_writenat(VMCS_CR3_TARGET_VALUE0, rd12(n, VMCS_CR3_TARGET_VALUE0));
    vmcs_writenat(VMCS_CR3_TARGET_VALUE1, rd12(n, VMCS_CR3_TARGET_VALUE1));
    vmcs_writenat(VMCS_CR3_TARGET_VALUE2, rd12(n, VMCS_CR3_TARGET_VALUE2));
    vmcs_writenat(VMCS_CR3_TARGET_VALUE3, rd12(n, VMCS_CR3_TARGET_VALUE3));
    vmcs_writenat(VMCS_CR0_GUEST_HOST_MASK, rd12(n, VMCS_CR0_GUEST_HOST_MASK));
    vmcs_writenat(VMCS_CR4_GUEST_HOST_MASK, rd12(n, VMCS_CR4_GUEST_HOST_MASK));
    vmcs_writenat(VMCS_CR0_READ_SHADOW, rd12(n, VMCS_CR0_READ_SHADOW));
    vmcs_writenat(VMCS_CR4_READ_SHADOW, rd12(n, VMCS_CR4_READ_SHADOW));
    vmcs_write64(VMCS_TSC_OFFSET, (proc & PROC_USE_TSC_OFFSET) ? rd12(n, VMCS_TSC_OFFSET) : 0);
    if (proc2 & SEC_ENABLE_XSAVES) vmcs_write64(VMCS_XSS_EXIT_BITMAP, rd12(n, VMCS_XSS_EXIT_BITMAP));
    vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);   /* the lists are L0's work (exit.c, below) */
    vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, (u32)rd12(n, VMCS_ENTRY_INTR_INFO));
    vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR_CODE, (u32)rd12(n, VMCS_ENTRY_EXCEPTION_ERROR_CODE));
    vmcs_write32(VMCS_ENTRY_INSTRUCTION_LEN, (u32)rd12(n, VMCS_ENTRY_INSTRUCTION_LEN));
    if (proc2 & SEC_ENABLE_EPT) {
        n->eptp12 = rd12(n, VMCS_EPT_POINTER);
        vmcs_write64(VMCS_EPT_POINTER, ept02_eptp(p, n->eptp12));
    } else {
        vmcs_write64(VMCS_EPT_POINTER, p->ept.eptp);   /* L2 shares L1's physical space */
    }
    vmcs_write_host_state(p->index, (uintptr_t)p, true, true);

}

/* What every entry redoes, built afresh or not: the bitmaps L1 may have changed in
 * memory (the CPU reads them live), and the TLB rule (SDM 28.3.3.3): without VPID in
 * L1's view every entry starts L2 afresh; with it, a new VPID12 must not see the old
 * one's translations (one VPID02). */
static void refresh_vmcs02(struct nested *n)
{
    if (n->proc12 & PROC_USE_MSR_BITMAPS) merge_msr_bitmap(n);
    if (n->proc12 & PROC_USE_IO_BITMAPS) merge_io_bitmaps(n);
    u16 vpid12 = (n->proc2_12 & SEC_ENABLE_VPID) ? (u16)rd12(n, VMCS_VPID) : 0;
    if (!(n->proc2_12 & SEC_ENABLE_VPID) || vpid12 != n->last_vpid12) n->flush_vpid02 = true;
    n->last_vpid12 = vpid12;
}

/* Rows VMCS02 takes from VMCS12 unchanged: a VMWRITE of one of them needs only that
 * field copied; any other control or computed field rebuilds VMCS02; host-state and
 * exit-information rows change nothing in VMCS02. */
enum row_kind { ROW_COPY, ROW_REBUILD, ROW_NONE };
static enum row_kind row_kind(unsigned enc)
{
    switch (enc) {
    case VMCS_ENTRY_INTR_INFO: case VMCS_ENTRY_EXCEPTION_ERROR_CODE: case VMCS_ENTRY_INSTRUCTION_LEN:
    case VMCS_EXCEPTION_BITMAP: case VMCS_PF_ERROR_CODE_MASK: case VMCS_PF_ERROR_CODE_MATCH:
    case VMCS_CR0_GUEST_HOST_MASK: case VMCS_CR4_GUEST_HOST_MASK: case VMCS_CR0_READ_SHADOW:
    case VMCS_CR4_READ_SHADOW: case VMCS_CR3_TARGET_COUNT: case VMCS_CR3_TARGET_VALUE0:
    case VMCS_CR3_TARGET_VALUE1: case VMCS_CR3_TARGET_VALUE2: case VMCS_CR3_TARGET_VALUE3:
        return ROW_COPY;
    default:
        break;
    }
    switch (VMCS_ENC_GROUP(enc)) {
    case VMCS_GUEST: return guest_field_special(enc) ? ROW_REBUILD : ROW_COPY;
    case VMCS_HOST: case VMCS_EXIT: return ROW_NONE;
    default: return ROW_REBUILD;
    }
}

bool nested_row_rebuilds(unsigned enc) { return row_kind(enc) == ROW_REBUILD; }

void nested_vmwrite_done(struct pcpu *p, unsigned enc)
{
    unsigned r = vmcs12_row(enc);
    p->nested.dirty[r / 64] |= 1ull << (r % 64);
}

static bool any_dirty(const struct nested *n) { return (n->dirty[0] | n->dirty[1] | n->dirty[2] | n->dirty[3]) != 0; }

/* VMCS02 from VMCS12: built afresh, or (same VMCS12 as last time) only the fields L1
 * VMWRITE'd since. Leaves VMCS02 current; refresh_vmcs02() follows. */
static void update_vmcs02(struct pcpu *p)
{
    struct nested *n = &p->nested;
    bool rebuild = n->built_for != n->current;
    for (unsigned w = 0; w < 4 && !rebuild; w++)
        for (u64 d = n->dirty[w]; d && !rebuild; d &= d - 1)
            rebuild = row_kind(vmcs_field_table[w * 64 + __builtin_ctzll(d)].encoding) == ROW_REBUILD;
    if (rebuild) {
        build_vmcs02(p);
    } else {
        vmcs_load(p, n->vmcs02_pa);
        for (unsigned w = 0; w < 4; w++)
            for (u64 d = n->dirty[w]; d; d &= d - 1) {
                unsigned enc = vmcs_field_table[w * 64 + __builtin_ctzll(d)].encoding;
                if (row_kind(enc) == ROW_COPY) vmcs_write_checked(enc, rd12(n, enc));
            }
    }
    n->built_for = n->current;
    n->dirty[0] = n->dirty[1] = n->dirty[2] = n->dirty[3] = 0;
}

/* ctx: VMCS12's field array, looked up once per entry rather than once per field */
static uint64_t check_read(void *ctx, unsigned enc) { return ((volatile u64 *)ctx)[vmcs12_row(enc)]; }
static bool check_read_gpa(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
    (void)ctx;
    return l1_read(gpa, buf, len);
}

static void nested_vmentry_body(struct pcpu *p, bool resume);
void nested_vmentry(struct pcpu *p, bool resume)
{
    u64 t0 = rdtsc();
    nested_vmentry_body(p, resume);
    p->nested.ticks_entry += rdtsc() - t0;
}

static void nested_vmentry_body(struct pcpu *p, bool resume)
{
    struct nested *n = &p->nested;
    /* SDM 31.3 VMLAUNCH/VMRESUME: #UD outside VMX operation, #GP(0) at CPL > 0,
     * VMfailInvalid without a current VMCS; the rest is chapter 26 (pure/vmcs12_check.c) */
    if (!n->vmxon) { inject_ud(); return; }
    if (guest_cpl() > 0) { inject_gp0(); return; }
    if (n->current == ~0ull) { vmx_fail_invalid(); return; }
    u32 rev = 0;
    l1_read(n->current, &rev, 4);
    if (rev & VMCS12_SHADOW_BIT) { vmx_fail_invalid(); return; }   /* SDM 26.1: a shadow VMCS is not launched */
    struct vmcs12_entry_request rq = {
        .read = check_read, .read_gpa = check_read_gpa, .ctx = (void *)vmcs12_fields(n->current), .caps = &l1_caps,
        .vmresume = resume, .launched = vmcs12_launched(n->current),
        .l1_interruptibility = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY),
        .l1_ia32e = (vmcs_read64(VMCS_GUEST_IA32_EFER) & EFER_LMA) != 0,
        .vmcs12_gpa = n->current,
    };
    struct vmcs12_check_result r;
    u64 t = rdtsc();
    if (n->built_for == n->current && !any_dirty(n) && rq.l1_ia32e == n->checked_ia32e) {
        /* nothing L1 wrote since the last entry passed the checks, and what the last exit
         * saved the CPU itself produced: only the 26.1 checks that depend on the moment */
        r = (struct vmcs12_check_result){ .kind = CHECK_OK };
        if (rq.l1_interruptibility & INTERRUPTIBILITY_MOV_SS)
            r = (struct vmcs12_check_result){ CHECK_VMFAIL, VMXERR_ENTRY_EVENTS_BLOCKED_MOVSS, 0, 0, "26.1 blocking by MOV SS" };
        else if (!resume && rq.launched)
            r = (struct vmcs12_check_result){ CHECK_VMFAIL, VMXERR_VMLAUNCH_NOT_CLEAR, 0, 0, "26.1 VMLAUNCH with non-clear VMCS" };
        else if (resume && !rq.launched)
            r = (struct vmcs12_check_result){ CHECK_VMFAIL, VMXERR_VMRESUME_NOT_LAUNCHED, 0, 0, "26.1 VMRESUME with non-launched VMCS" };
    } else {
        r = vmcs12_check_entry(&rq);
        if (r.kind == CHECK_OK) n->checked_ia32e = rq.l1_ia32e;
    }
    if (r.kind == CHECK_VMFAIL) {
        LOG_RL("L1 %s: VMfailValid %u (%s)", resume ? "VMRESUME" : "VMLAUNCH", r.error, r.why);
        vmx_fail(p, r.error);
        return;
    }
    if (r.kind == CHECK_ENTRY_FAIL) {
        LOG_RL("L1 %s: VM-entry failure, reason 0x%x qualification %llu (%s)", resume ? "VMRESUME" : "VMLAUNCH",
               r.exit_reason, (unsigned long long)r.qualification, r.why);
        nested_entry_failure(p, r.exit_reason, r.qualification);
        return;
    }
    u64 t1 = rdtsc();
    update_vmcs02(p);                    /* VMCS02 is current from here */
    u64 t2 = rdtsc();
    refresh_vmcs02(n);
    u64 t3 = rdtsc();
    n->ticks_entry_phase[0] += t1 - t;
    n->ticks_entry_phase[1] += t2 - t1;
    n->ticks_entry_phase[2] += t3 - t2;
    n->in_l2 = true;
    /* SDM 26.4: the VM-entry MSR-load list, into L2's state (VMCS02 current) */
    struct msr_list_result ml = nested_msr_list(p, MSR_LIST_ENTRY_LOAD, rd12(n, VMCS_ENTRY_MSR_LOAD_ADDR),
                                                (u32)rd12(n, VMCS_ENTRY_MSR_LOAD_COUNT));
    n->ticks_entry_phase[3] += rdtsc() - t3;
    if (!ml.ok) {
        LOG_RL("L1 VM entry: MSR-load entry %u (MSR 0x%x) fails: VM-entry failure (%s)", ml.entry, ml.msr, ml.why);
        n->in_l2 = false;
        n->built_for = ~0ull;
        vmcs_load(p, p->vmcs01_pa);
        nested_entry_failure(p, ml.exit_reason, ml.entry);   /* SDM 26.7: qualification = entry number */
        return;
    }
    n->launch_pending = !resume;
    n->entries++;
}

/* Events owed to L2's CPU before it enters L2 again (VMCS02 current). */
void nested_before_l2_entry(struct pcpu *p)
{
    struct nested *n = &p->nested;
    if (p->init_pending) {
        /* SDM 26.8 / 25.2: INIT in VMX non-root operation is a VM exit (reason 3) to L1 */
        __atomic_store_n(&p->init_pending, false, __ATOMIC_SEQ_CST);
        nested_reflect_event(p, EXIT_REASON_INIT, 0);
        return;
    }
    if (p->guest_nmis_pending) {
        u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
        bool virt = n->pin12 & PIN_VIRTUAL_NMIS;
        bool blocked = !virt && (intr & INTERRUPTIBILITY_NMI);   /* SDM 25.3: NMI blocking holds NMI exits */
        if ((n->pin12 & PIN_NMI_EXITING) && !blocked) {
            /* SDM 25.2: with NMI exiting an NMI is a VM exit to L1 (reason 0, vector 2) */
            p->guest_nmis_pending--;
            nested_reflect_event(p, EXIT_REASON_EXCEPTION_NMI, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
            return;
        }
        if (!(n->pin12 & PIN_NMI_EXITING)) {
            /* L1 lets NMIs reach L2: delivered through L2's IDT once L2 can take one;
             * while it blocks them (VMCS02's virtual-NMI blocking, see build_vmcs02) or
             * an event is being injected, the NMI window tells L0 when (SDM 26.7.6) */
            if (!(vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID) &&
                !(intr & (INTERRUPTIBILITY_NMI | INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_STI))) {
                p->guest_nmis_pending--;
                vmcs_write32(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
            } else {
                vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmcs_read32(VMCS_PROC_BASED_CONTROLS) | PROC_NMI_WINDOW);
            }
        }
    }
    if (n->flush_vpid02 && cap_proc2(SEC_ENABLE_VPID)) {
        struct inv_desc d = { n->vpid02, 0 };
        invvpid(1, &d);
    }
    n->flush_vpid02 = false;
}
