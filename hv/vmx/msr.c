/* msr.c - MSR intercepts: virtual MTRRs, EFER/PAT, microcode trigger, APIC base, x2APIC ICR, VMX MSRs; anything that faults on the CPU faults in the guest */
#include "hv.h"
#include "page_alloc.h"
#include "trap.h"
#include "x86.h"

#define MSR_BIOS_UPDT_TRIG 0x79
#define MSR_IA32_MPERF 0xe7
#define MSR_IA32_APERF 0xe8
#define MSR_X2APIC_ICR 0x830

static void bitmap_set(u8 *bm, u32 msr, bool read, bool write)
{
    unsigned base = msr >= 0xc0000000u ? 1024 : 0;
    u32 i = msr & 0x1fff;
    if (read) bm[base + i / 8] |= (u8)(1u << (i % 8));
    if (write) bm[2048 + base + i / 8] |= (u8)(1u << (i % 8));
}

/* SDM 25.6.9: one 4 KiB bitmap; MSRs outside the two ranges always exit. */
void msr_bitmap_init(void)
{
    u8 *bm = vm.msr_bitmap = page_alloc(1);
    for (u32 m = 0x200; m < 0x200 + 2 * MTRR_MAX_VAR; m++) bitmap_set(bm, m, true, true);
    for (unsigned i = 0; i < 11; i++) bitmap_set(bm, mtrr_fixed_msrs[i], true, true);
    bitmap_set(bm, MSR_IA32_MTRRCAP, true, true);
    bitmap_set(bm, MSR_IA32_MTRR_DEF_TYPE, true, true);
    bitmap_set(bm, MSR_IA32_EFER, false, true);
    bitmap_set(bm, MSR_IA32_PAT, false, true);
    bitmap_set(bm, MSR_BIOS_UPDT_TRIG, false, true);
    bitmap_set(bm, MSR_IA32_APIC_BASE, false, true);
    bitmap_set(bm, MSR_IA32_FEATURE_CONTROL, true, true);
    bitmap_set(bm, MSR_X2APIC_ICR, false, true);
    /* APERF/MPERF: read by the guest directly where the CPU (or the hypervisor below,
     * which counts them) implements them; nestvisor counts them only where the CPU
     * advertises but lacks them (Bochs 2.7, guest_rdmsr). Under another nestvisor this
     * turns each of Linux's two reads per timer tick from an exit reflected to L1 into
     * one exit to L0 (hv-hv-linux spent its ticks there). */
    u64 mperf = 0, aperf = 0;
    if (rdmsr_safe(MSR_IA32_MPERF, &mperf) || !mperf || rdmsr_safe(MSR_IA32_APERF, &aperf) || !aperf) {
        bitmap_set(bm, MSR_IA32_MPERF, true, false);
        bitmap_set(bm, MSR_IA32_APERF, true, false);
    }
    for (u32 m = MSR_IA32_VMX_BASIC; m <= 0x491; m++) bitmap_set(bm, m, true, true);
}

static u64 *guest_mtrr_slot(u32 msr)
{
    struct mtrr_state *g = &vm.guest_mtrrs;
    if (msr == MSR_IA32_MTRRCAP) return &g->cap;
    if (msr == MSR_IA32_MTRR_DEF_TYPE) return &g->def_type;
    for (unsigned i = 0; i < 11; i++)
        if (mtrr_fixed_msrs[i] == msr) return &g->fixed[i];
    if (msr >= 0x200 && msr < 0x200 + 2 * MTRR_MAX_VAR) {
        unsigned n = (msr - 0x200) / 2;
        if (n >= (g->cap & 0xff)) return 0;
        return (msr & 1) ? &g->var_mask[n] : &g->var_base[n];
    }
    return 0;
}

static u64 edx_eax(struct pcpu *p) { return ((u64)(u32)p->regs.dx << 32) | (u32)p->regs.ax; }

/* RDMSR as L0 lets its guest see it: 0, or the exception vector the read raises. */
int guest_rdmsr(struct pcpu *p, u32 msr, u64 *out)
{
    (void)p;
    u64 v = 0;
    if (msr >= MSR_IA32_VMX_BASIC && msr <= 0x491) {
        /* the VMX capabilities offered to L1 (hv/nested/caps.c) */
        if (!nested_rdmsr(msr, &v)) return 13;
    } else if (msr == MSR_IA32_MPERF || msr == MSR_IA32_APERF) {
        /* CPUID.06H:ECX[0] stays visible (the reference hid it). Where the CPU advertises
         * the counters but does not implement them (Bochs 2.7: #GP, or 0 when told to
         * ignore unknown MSRs), nestvisor counts them itself: both advance with the TSC,
         * i.e. the CPU always runs at its base frequency (SDM 15.3.2 / 14.2). */
        if (rdmsr_safe(msr, &v) || v == 0) {
            static bool told;
            if (!told) { told = true; cprintf("APERF/MPERF not implemented by this CPU: emulated from the TSC"); }
            v = rdtsc();
        }
    } else if (msr == MSR_IA32_FEATURE_CONTROL) {
        v = rdmsr(msr); /* locked with VMX outside SMX enabled: L1 may VMXON */
    } else if (guest_mtrr_slot(msr)) {
        v = *guest_mtrr_slot(msr);
    } else {
        int f = rdmsr_safe(msr, &v);
        if (f) {
            LOG_RL("guest RDMSR 0x%x faults on the CPU (vector %d): injected", msr, f);
            return f;
        }
    }
    *out = v;
    return 0;
}

void handle_rdmsr(struct pcpu *p)
{
    u64 v = 0;
    int f = guest_rdmsr(p, (u32)p->regs.cx, &v);
    if (f) { inject_exception((u8)f, f == 13, 0); return; }
    p->regs.ax = (u32)v;
    p->regs.dx = (u32)(v >> 32);
    skip_instruction();
}

static bool mtrr_write_valid(u32 msr, u64 v)
{
    const struct mtrr_state *g = &vm.guest_mtrrs;
    u64 phys_mask = (1ull << (g->maxphyaddr ? g->maxphyaddr : 36)) - 1;
    if (msr == MSR_IA32_MTRRCAP) return false; /* read-only */
    if (msr == MSR_IA32_MTRR_DEF_TYPE) return !(v & ~0xcffull) && mtrr_type_is_valid(g->cap, (u8)v);
    if (msr >= 0x200 && msr < 0x200 + 2 * MTRR_MAX_VAR) {
        if (msr & 1) return !(v & ~(phys_mask & ~0x7ffull));
        return !(v & ~(phys_mask & ~0xf00ull)) && mtrr_type_is_valid(g->cap, (u8)v);
    }
    for (int b = 0; b < 8; b++)
        if (!mtrr_type_is_valid(g->cap, (u8)(v >> (8 * b)))) return false;
    return true;
}

/* WRMSR as L0 lets its guest do it (also VMCS12's MSR-load lists): 0 or the vector. */
int guest_wrmsr(struct pcpu *p, u32 msr, u64 v)
{
    u64 *slot = guest_mtrr_slot(msr);
    if (msr == MSR_X2APIC_ICR) {
        apic_icr_write(p, (u32)v, (u32)(v >> 32), true);
    } else if (slot || msr == MSR_IA32_MTRRCAP) {
        /* virtual MTRRs (SDM 12.11): invalid values #GP as on the CPU; a change retypes EPT01 */
        if (!slot || !mtrr_write_valid(msr, v)) return 13;
        if (*slot != v) {
            *slot = v;
            ept01_mtrr_changed();
        }
    } else if (msr == MSR_IA32_EFER) {
        /* SDM 2.2.1: reserved bits #GP; LMA is the CPU's, not the writer's */
        if (v & ~(u64)(BIT(0) | EFER_LME | EFER_LMA | EFER_NXE | BIT(14) | BIT(15))) return 13;
        u64 old = vmcs_read64(VMCS_GUEST_IA32_EFER);
        vmcs_write64(VMCS_GUEST_IA32_EFER, (v & ~EFER_LMA) | (old & EFER_LMA));
    } else if (msr == MSR_IA32_PAT) {
        for (int i = 0; i < 8; i++) {
            u8 t = (u8)(v >> (8 * i));
            if (t == 2 || t == 3 || t > 7) return 13; /* SDM 12.12.2: reserved encodings #GP */
        }
        vmcs_write64(VMCS_GUEST_IA32_PAT, v);
    } else if (msr == MSR_BIOS_UPDT_TRIG) {
        LOG_RL("guest microcode update (trigger MSR 0x79, data at 0x%llx) ignored", (unsigned long long)v);
    } else if (msr == MSR_IA32_APIC_BASE) {
        /* Bochs 2.7 kills the APIC for good once EN is cleared; keep it on */
        if (!(v & BIT(11))) {
            LOG_RL("guest tried to disable its APIC (IA32_APIC_BASE 0x%llx): kept enabled", (unsigned long long)v);
            v |= BIT(11);
        }
        int f = wrmsr_safe(msr, v);
        if (f) return f;
    } else if (msr == MSR_IA32_FEATURE_CONTROL || (msr >= MSR_IA32_VMX_BASIC && msr <= 0x491)) {
        return 13; /* locked / read-only */
    } else {
        int f = wrmsr_safe(msr, v);
        if (f) {
            LOG_RL("guest WRMSR 0x%x = 0x%llx faults on the CPU (vector %d): injected", msr, (unsigned long long)v, f);
            return f;
        }
    }
    return 0;
}

void handle_wrmsr(struct pcpu *p)
{
    int f = guest_wrmsr(p, (u32)p->regs.cx, edx_eax(p));
    if (f) { inject_exception((u8)f, f == 13, 0); return; }
    skip_instruction();
}
