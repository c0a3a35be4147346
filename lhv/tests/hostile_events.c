/* hostile_events.c - L1's VMX structures and an EPT12 placed onto nestvisor's memory, INIT-SIPI-SIPI twice from L2, an NMI storm (SDM 31.3, 29.3, 23.8, 25.3) */
#include "hostile.h"
#include "acpi.h"
#include "apic.h"
#include "mem.h"

/*
 * Bare, these only exercise the CPU; nested, they aim at L0: the outcome lines hold only
 * what must be equal (the guest reached its VMCALL, L1 survived), and nestvisor's own side
 * (containment, no FAIL) is judged from its log (serial-hv0.log).
 */

#define NV_BASE 0x10000000ull            /* nestvisor's default HV_BASE (64 MiB from there) */

static struct ept ept_onto_hv, ept_hole;
static u8 probe[3][PAGE_SIZE] ALIGNED(PAGE_SIZE);
static u8 hole[PAGE_SIZE] ALIGNED(PAGE_SIZE);     /* the one page ept_hole does not map */
static const u64 probe_target[3] = { NV_BASE, NV_BASE + 0x100000, NV_BASE + 0x3fff000 };

/* BSP, before the APs start: an EPT12 whose leaves for the probe pages point at
 * nestvisor's base, its image and its last page. */
void hostile_events_init(void)
{
    if (!has_ept()) return;
    ept_build_identity(&ept_onto_hv, &mtrrs, 1ull << 32, 2ull << 20);
    for (unsigned i = 0; i < 3; i++) {
        u64 *l = ept_leaf_4k(&ept_onto_hv, va_to_pa(probe[i]));
        *l = (*l & ~EPT_ADDR_MASK) | probe_target[i];
    }
    ept_build_identity(&ept_hole, &mtrrs, 1ull << 32, 2ull << 20);
    *ept_leaf_4k(&ept_hole, va_to_pa(hole)) = 0;
}

static void guest_poke(uintptr_t unused)
{
    (void)unused;
    for (unsigned i = 0; i < 3; i++) {
        volatile u32 *p = (volatile u32 *)probe[i];
        u32 v = p[0];
        p[0] = 0xdeadbeef;
        p[1] = v ^ 0x5a5a5a5a;
        p[1023] = 0xfeedface;
    }
}

static void ept_onto_nestvisor(struct cpu *c)
{
    if (!has_ept()) { hx_outcome(c, "ept12-maps-l2-onto-nestvisor", "n/a"); return; }
    vcpu_reset(c, guest_poke, 0);
    vmcs_write64(VMCS_EPT_POINTER, ept_onto_hv.eptp);
    struct inv_desc d = { ept_onto_hv.eptp, 0 };
    if (caps.ept_vpid & EPTCAP_INVEPT_ALL) invept(2, &d);
    u32 r = guest_run(c, NULL, NULL);
    hx_outcome(c, "ept12-maps-l2-onto-nestvisor", "exit %u", r);
    /* the same again, launched a second time on the same EPT12 (EPT02 already built) */
    vcpu_reset(c, guest_poke, 0);
    vmcs_write64(VMCS_EPT_POINTER, ept_onto_hv.eptp);
    r = guest_run(c, NULL, NULL);
    hx_outcome(c, "ept12-maps-l2-onto-nestvisor-again", "exit %u", r);
}

/* ---- L1's own VMX structures placed in nestvisor's memory (bare: plain RAM at 256 MiB;
 * nested: L1 cannot reach it, nestvisor gives it a decoy): each one in turn, written just
 * before use, so that bare and nested see the same contents ---- */
static void *nv(u64 off) { return (void *)(uintptr_t)(NV_BASE + off); }

static void mut_nv_ptr(struct cpu *c, uintptr_t which)
{
    (void)c;
    memset(nv(0x2000), 0, PAGE_SIZE);
    u64 a = NV_BASE + 0x2000;
    u32 *w = nv(0x2000);
    switch (which) {
    case 0: hx_field_apply(VMCS_PROC_BASED_CONTROLS, HX_OR, PROC_USE_MSR_BITMAPS);
            vmcs_write_any(VMCS_MSR_BITMAP, a); break;
    case 1: hx_field_apply(VMCS_PROC_BASED_CONTROLS, HX_OR, PROC_USE_IO_BITMAPS);
            vmcs_write_any(VMCS_IO_BITMAP_A, a); vmcs_write_any(VMCS_IO_BITMAP_B, a); break;
    case 2: case 3:    /* an MSR-load list: IA32_SYSENTER_CS (loads), or IA32_FS_BASE (26.4: fails) */
            w[0] = which == 2 ? 0x174 : 0xc0000100u; w[2] = 0x10;
            vmcs_write_any(VMCS_ENTRY_MSR_LOAD_ADDR, a); vmcs_write_any(VMCS_ENTRY_MSR_LOAD_COUNT, 1); break;
    case 4: w[0] = hx_revision() ^ 0x20;   /* a link pointer to a page of another revision (26.3.1.5) */
            vmcs_write_any(VMCS_VMCS_LINK_POINTER, a); break;
    default: break;
    }
}

/* Where no RAM is (past the top of RAM, below the PCI/ROM area) reads give no data L1
 * wrote: after L1 put a VMCS revision and a good MSR-load entry into nestvisor's memory
 * (nested: a decoy page), a VMXON region, a VMCS and an MSR-load list there must still be
 * refused as on the bare machine (VMfailInvalid, VMfailValid 11, exit reason 34). */
#define NOT_RAM 0xf0000000ull

static void mut_list_not_ram(struct cpu *c, uintptr_t arg)
{
    (void)c; (void)arg;
    vmcs_write_any(VMCS_ENTRY_MSR_LOAD_ADDR, NOT_RAM);
    vmcs_write_any(VMCS_ENTRY_MSR_LOAD_COUNT, 1);
}

/* A bitmap where no RAM is reads as all ones (SDM 25.6.4, 25.6.9): L2's RDMSR or IN
 * exits to L1 (31, 30). Nested, nestvisor reads the bitmap for L1: the decoy page, which L1
 * has just zeroed through nestvisor's region, must not stand in for it. */
static void guest_rdmsr(uintptr_t unused) { (void)unused; (void)rdmsr(0x174); }
static void guest_in(uintptr_t unused) { (void)unused; (void)inb(0x80); }

static void mut_bitmap_not_ram(struct cpu *c, uintptr_t io)
{
    memset(nv(0), 0, PAGE_SIZE);
    if (io) {
        hx_field_apply(VMCS_PROC_BASED_CONTROLS, HX_OR, PROC_USE_IO_BITMAPS);
        vmcs_write_any(VMCS_IO_BITMAP_A, NOT_RAM);
        vmcs_write_any(VMCS_IO_BITMAP_B, NOT_RAM);
        c->guest_fn = guest_in;
    } else {
        hx_field_apply(VMCS_PROC_BASED_CONTROLS, HX_OR, PROC_USE_MSR_BITMAPS);
        vmcs_write_any(VMCS_MSR_BITMAP, NOT_RAM);
        c->guest_fn = guest_rdmsr;
    }
}

static void not_ram(struct cpu *c)
{
    struct vcpu *v = &c->vcpu;
    u64 op = NOT_RAM;
    u32 *w = nv(0);
    memset(w, 0, PAGE_SIZE);
    w[0] = hx_revision();
    int r = hx_vmptrld((uintptr_t)&op);
    hx_report(c, "vmptrld-not-ram-after-revision-in-nestvisor-memory", r);
    if (r == HX_OK) PANIC_ON(vmclear(op) != VMX_OK);
    PANIC_ON(vmptrld(v->vmcs_pa) != VMX_OK);
    memset(w, 0, PAGE_SIZE);
    w[0] = 0x174;                 /* IA32_SYSENTER_CS = 0x10: an entry that loads */
    w[2] = 0x10;
    hx_launch(c, "msr-load-list-not-ram-after-good-list-in-nestvisor-memory", mut_list_not_ram, 0);
    /* the operand itself where no RAM is: VMPTRLD reads all ones (an address beyond
     * MAXPHYADDR: VMfailValid 9), VMPTRST's store goes nowhere */
    hx_report(c, "vmptrld-operand-not-ram", hx_vmptrld((uintptr_t)NOT_RAM));
    hx_report(c, "vmptrst-operand-not-ram", hx_vmptrst((uintptr_t)NOT_RAM));
    hx_launch(c, "msr-bitmap-not-ram-after-zeros-in-nestvisor-memory", mut_bitmap_not_ram, 0);
    hx_launch(c, "io-bitmaps-not-ram-after-zeros-in-nestvisor-memory", mut_bitmap_not_ram, 1);
    PANIC_ON(vmclear(v->vmcs_pa) != VMX_OK);
    PANIC_ON(vmxoff() != VMX_OK);
    memset(w, 0, PAGE_SIZE);
    w[0] = hx_revision();
    r = hx_vmxon((uintptr_t)&op);
    hx_report(c, "vmxon-not-ram-after-revision-in-nestvisor-memory", r);
    (void)hx_vmxoff();
    PANIC_ON(vmxon(c->vmxon_pa) != VMX_OK);
    PANIC_ON(vmptrld(v->vmcs_pa) != VMX_OK);
}

static void nestvisor_memory(struct cpu *c)
{
    struct vcpu *v = &c->vcpu;
    u64 op;
    char buf[40];
    /* VMXON with its region there (SDM 31.3 VMXON: any 4 KiB-aligned address in range) */
    PANIC_ON(vmclear(v->vmcs_pa) != VMX_OK);
    PANIC_ON(vmxoff() != VMX_OK);
    memset(nv(0), 0, PAGE_SIZE);
    *(volatile u32 *)nv(0) = hx_revision();
    op = NV_BASE;
    hx_report(c, "vmxon-region-in-nestvisor-memory", hx_vmxon((uintptr_t)&op));
    (void)hx_vmxoff();
    PANIC_ON(vmxon(c->vmxon_pa) != VMX_OK);
    /* VMPTRLD of a VMCS there, VMWRITE/VMREAD through it */
    memset(nv(0x1000), 0, PAGE_SIZE);
    op = NV_BASE + 0x1000;
    PANIC_ON(vmclear(op) != VMX_OK);
    *(volatile u32 *)nv(0x1000) = hx_revision();
    int r = hx_vmptrld((uintptr_t)&op);
    hx_report(c, "vmptrld-vmcs-in-nestvisor-memory", r);
    if (r == HX_OK) {
        uintptr_t val = 0;
        int w = hx_vmwrite(VMCS_CR3_TARGET_VALUE1, 0x12345000);
        int rd = hx_vmread(VMCS_CR3_TARGET_VALUE1, &val);
        hx_outcome(c, "vmwrite-vmread-vmcs-in-nestvisor-memory", "%s %s 0x%lx", hx_str(w, buf, sizeof buf),
                   rd ? "fail" : "ok", (unsigned long)val);
        PANIC_ON(vmclear(op) != VMX_OK);
    } else {
        hx_outcome(c, "vmwrite-vmread-vmcs-in-nestvisor-memory", "n/a");
    }
    PANIC_ON(vmptrld(v->vmcs_pa) != VMX_OK);
    /* a whole guest whose VMCS lives there */
    void *own = v->vmcs;
    u64 own_pa = v->vmcs_pa;
    v->vmcs = nv(0x1000);
    v->vmcs_pa = NV_BASE + 0x1000;
    hx_launch(c, "vmlaunch-vmcs-in-nestvisor-memory", NULL, 0);
    PANIC_ON(vmclear(v->vmcs_pa) != VMX_OK);
    v->vmcs = own;
    v->vmcs_pa = own_pa;
    PANIC_ON(vmptrld(v->vmcs_pa) != VMX_OK);
    hx_launch(c, "msr-bitmap-in-nestvisor-memory", mut_nv_ptr, 0);
    hx_launch(c, "io-bitmaps-in-nestvisor-memory", mut_nv_ptr, 1);
    hx_launch(c, "msr-load-list-in-nestvisor-memory", mut_nv_ptr, 2);
    hx_launch(c, "msr-load-list-in-nestvisor-memory-fs-base", mut_nv_ptr, 3);
    hx_launch(c, "link-pointer-in-nestvisor-memory", mut_nv_ptr, 4);
    not_ram(c);
}

/* ---- INIT-SIPI-SIPI, twice, sent by L2 to another CPU, which sits in VMX root of L1
 * (SDM 23.8: INIT is blocked in VMX root operation; a SIPI outside wait-for-SIPI is
 * ignored). An AP that were reset would start LHV's AP code again and print its test
 * lines twice: the comparison sees it. ---- */
static void guest_init_sipi(uintptr_t apic_id)
{
    for (int round = 0; round < 2; round++) {
        lapic_send_ipi((u32)apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
        udelay_spin(20000);
        lapic_send_ipi((u32)apic_id, ICR_INIT | ICR_LEVEL_TRIGGER);
        udelay_spin(20000);
        for (int i = 0; i < 2; i++) {
            lapic_send_ipi((u32)apic_id, ICR_SIPI | (AP_TRAMPOLINE >> 12));
            udelay_spin(2000);
        }
    }
}

static void init_sipi_twice(struct cpu *c)
{
    struct madt_info m;
    const struct acpi_madt *madt = acpi_find_madt(0);
    u32 target = ~0u;
    if (madt && madt_parse(madt, madt->h.length, &m))
        for (unsigned i = 0; i < m.ncpus && target == ~0u; i++)
            if (m.apic_id[i] != c->apic_id) target = m.apic_id[i];
    if (target == ~0u) { hx_outcome(c, "init-sipi-twice-from-l2", "n/a (one CPU)"); return; }
    vcpu_reset(c, guest_init_sipi, target);
    u32 r = guest_run(c, NULL, NULL);
    udelay_spin(200000);     /* time for a (wrongly) reset AP to show itself */
    hx_outcome(c, "init-sipi-twice-from-l2", "exit %u", r);
}

/* ---- an NMI storm: L2 sends itself NMIs back to back (SDM 25.3: with NMI exiting each
 * one not blocked is a VM exit; without it they go through L2's IDT) ---- */
#define STORM 32
static void guest_storm(uintptr_t unused)
{
    (void)unused;
    for (int i = 0; i < STORM; i++) {
        lapic_write(LAPIC_ICR_HI, this_cpu()->apic_id << 24);
        lapic_write(LAPIC_ICR_LO, ICR_NMI | ICR_LEVEL_ASSERT);
        for (volatile int k = 0; k < 50; k++) cpu_relax();
    }
    for (volatile int k = 0; k < 2000; k++) cpu_relax();
}

static enum exit_action storm_exit(struct cpu *c, u32 reason, void *p)
{
    (void)c;
    if (reason == EXIT_REASON_EXCEPTION_NMI && (vmcs_read32(VMCS_EXIT_INTR_INFO) & 0x7ff) == (INTR_TYPE_NMI | 2)) {
        (*(unsigned *)p)++;
        return EXIT_RESUME;
    }
    return EXIT_UNHANDLED;
}

static void nmi_storm(struct cpu *c)
{
    if (!has_pin(PIN_NMI_EXITING)) {
        hx_outcome(c, "nmi-storm-nmi-exiting", "n/a");
        hx_outcome(c, "nmi-storm-through-l2-idt", "n/a");
        return;
    }
    unsigned exits = 0;
    c->nmi_mode = 0;
    vcpu_reset(c, guest_storm, 0);
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, vmcs_read32(VMCS_PIN_BASED_CONTROLS) | PIN_NMI_EXITING);
    u32 r = guest_run(c, storm_exit, &exits);
    hx_outcome(c, "nmi-storm-nmi-exiting", "exit %u nmi-exits %s", r, exits ? ">0" : "0");
    u32 before = c->nmi_count;
    vcpu_reset(c, guest_storm, 0);
    r = guest_run(c, storm_exit, &exits);
    udelay_spin(20000);
    hx_outcome(c, "nmi-storm-through-l2-idt", "exit %u guest-nmis %s", r, c->nmi_count != before ? ">0" : "0");
}

/* ---- L2's shadowed VMREAD/VMWRITE with a memory operand EPT12 does not map (SDM 25.6.15,
 * 28.2.1): no VMREAD exit, but an EPT violation whose qualification and addresses L1 sees
 * (nested: L0 emulates the VMREAD and must give L1 that violation, not a #GP to L2) ---- */
static void guest_vmrw_hole(uintptr_t write)
{
    if (write) (void)hx_vmwrite_mem(VMCS_GUEST_ES_SEL, (uintptr_t)hole);
    else (void)hx_vmread_mem(VMCS_GUEST_ES_SEL, (uintptr_t)hole);
}

static enum exit_action stop_on_ept(struct cpu *c, u32 reason, void *unused)
{
    (void)c; (void)unused;
    return reason == EXIT_REASON_EPT_VIOLATION || reason == EXIT_REASON_EPT_MISCONFIG ? EXIT_STOP : EXIT_UNHANDLED;
}

static void vmrw_into_ept12_hole(struct cpu *c, bool write)
{
    const char *name = write ? "l2-shadowed-vmwrite-from-page-ept12-lacks" : "l2-shadowed-vmread-to-page-ept12-lacks";
    if (!has_ept() || !has_proc2(SEC_VMCS_SHADOWING)) { hx_outcome(c, name, "n/a"); return; }
    u64 shadow_pa = va_to_pa(c->shadow_vmcs);
    PANIC_ON(vmclear(shadow_pa) != VMX_OK);
    *(volatile u32 *)c->shadow_vmcs = ((u32)caps.basic & 0x7fffffff) | 0x80000000u;
    u8 *rd = c->vmrw_bitmap, *wr = rd + PAGE_SIZE;
    memset(rd, 0xff, 2 * PAGE_SIZE);
    rd[VMCS_GUEST_ES_SEL / 8] &= (u8)~(1u << (VMCS_GUEST_ES_SEL % 8));
    wr[VMCS_GUEST_ES_SEL / 8] &= (u8)~(1u << (VMCS_GUEST_ES_SEL % 8));
    vcpu_reset(c, guest_vmrw_hole, write);
    vmcs_write32(VMCS_SECONDARY_CONTROLS, vmcs_read32(VMCS_SECONDARY_CONTROLS) | SEC_VMCS_SHADOWING);
    vmcs_write64(VMCS_VMREAD_BITMAP, va_to_pa(rd));
    vmcs_write64(VMCS_VMWRITE_BITMAP, va_to_pa(wr));
    vmcs_write64(VMCS_VMCS_LINK_POINTER, shadow_pa);
    vmcs_write64(VMCS_EPT_POINTER, ept_hole.eptp);
    struct inv_desc d = { ept_hole.eptp, 0 };
    if (caps.ept_vpid & EPTCAP_INVEPT_ALL) invept(2, &d);
    u32 r = guest_run(c, stop_on_ept, NULL);
    u64 gpa = vmcs_read64(VMCS_GUEST_PHYSICAL_ADDRESS);
    uintptr_t gla = vmcs_readnat(VMCS_GUEST_LINEAR_ADDRESS);
    hx_outcome(c, name, "exit %u qual 0x%lx gpa %s gla %s", r, (unsigned long)vmcs_readnat(VMCS_EXIT_QUALIFICATION),
               gpa == va_to_pa(hole) ? "=hole" : "other", gla == (uintptr_t)hole ? "=hole" : "other");
}

void hostile_events(struct cpu *c)
{
    nestvisor_memory(c);
    ept_onto_nestvisor(c);
    vmrw_into_ept12_hole(c, false);
    vmrw_into_ept12_hole(c, true);
    init_sipi_twice(c);
    nmi_storm(c);
}
