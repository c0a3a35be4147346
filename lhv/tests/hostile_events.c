/* hostile_events.c - an EPT12 that maps L2 onto nestvisor's memory, INIT-SIPI-SIPI twice from L2, an NMI storm (SDM 29.3, 23.8, 25.3, 27.2) */
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

static struct ept ept_onto_hv;
static u8 probe[3][PAGE_SIZE] ALIGNED(PAGE_SIZE);
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

void hostile_events(struct cpu *c)
{
    ept_onto_nestvisor(c);
    init_sipi_twice(c);
    nmi_storm(c);
}
