/* nmi.c - NMI exiting, virtual NMIs, NMI injection and NMI-window exiting (SDM 25.3, 26.2, 26.7.1, 27.2) */
#include "lhv.h"
#include "apic.h"
#include "trap.h"
#include "x86.h"

bool supports_nmi(void)
{
    return has_pin(PIN_NMI_EXITING) && has_pin(PIN_VIRTUAL_NMIS) && has_proc(PROC_NMI_WINDOW);
}

/* NMI handler for host and guest alike (they share the IDT). */
static void nmi_handler(struct trap_frame *f)
{
    struct cpu *c = this_cpu();
    if (c->nmi_exp) { nmi_exp_nmi(f); return; }
    c->nmi_count++;
    if (c->nmi_mode == NMI_MODE_VMCALL) hypercall(HC_REPORT, NMI_REPORT_TAG, c->nmi_count);
}

/* The identity map again under its own EPTP: a new EPT02 tree for a hypervisor below. */
static struct ept ept_fresh;

void nmi_init(void)
{
    trap_nmi_hook = nmi_handler;
    if (has_ept()) ept_build_identity(&ept_fresh, &mtrrs, 1ull << 32, 2ull << 20);
}

static void guest_nop(uintptr_t unused) { (void)unused; }

static void guest_self_nmi(uintptr_t unused)
{
    (void)unused;
    /* ICR: NMI to our own APIC ID, no shorthand (SDM 10.6.1: the Self shorthand is valid
     * with Fixed delivery only); the xAPIC page is identity mapped */
    lapic_write(LAPIC_ICR_HI, this_cpu()->apic_id << 24);
    lapic_write(LAPIC_ICR_LO, ICR_NMI | ICR_LEVEL_ASSERT);
    for (volatile int i = 0; i < 1000; i++) cpu_relax();
}

struct nmi_ctx { unsigned step; u32 reasons[8]; u32 intr_info, interruptibility_in_handler; bool in_handler_report; };

static enum exit_action nmi_exit(struct cpu *c, u32 reason, void *p)
{
    struct nmi_ctx *x = p;
    if (x->step < 8) x->reasons[x->step] = reason;
    x->step++;
    if (reason == EXIT_REASON_VMCALL && (u32)c->vcpu.regs.ax == HC_REPORT && (u32)c->vcpu.regs.bx == NMI_REPORT_TAG) {
        /* inside the guest's NMI handler: virtual-NMI blocking must be set (SDM 26.7.1.2 / 25.4.2) */
        x->in_handler_report = true;
        x->interruptibility_in_handler = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
        vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmcs_read32(VMCS_PROC_BASED_CONTROLS) | PROC_NMI_WINDOW);
        guest_skip_instruction();
        return EXIT_RESUME;
    }
    if (reason == EXIT_REASON_NMI_WINDOW) {
        vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmcs_read32(VMCS_PROC_BASED_CONTROLS) & ~PROC_NMI_WINDOW);
        return EXIT_RESUME;
    }
    if (reason == EXIT_REASON_EXCEPTION_NMI) {
        x->intr_info = vmcs_read32(VMCS_EXIT_INTR_INFO);
        return EXIT_RESUME; /* the NMI became this exit: nothing left to deliver */
    }
    return EXIT_UNHANDLED;
}

/* An NMI injected at VM entry (under 'eptp' if not 0, INVEPTed first so that nothing of an
 * earlier iteration is cached, bare or nested): one OUTCOME line named 'label'. */
static void inject_case(struct cpu *c, u32 pin, u64 eptp, const char *label)
{
    const char *T = "nmi";
    struct nmi_ctx b = { 0 };
    vcpu_reset(c, guest_nop, 0);
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, pin);
    if (eptp) {
        vmcs_write64(VMCS_EPT_POINTER, eptp);
        struct inv_desc inv = { eptp, 0 };
        PANIC_ON(invept(2, &inv) != VMX_OK);
    }
    vmcs_write32(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
    u32 before = c->nmi_count;
    c->nmi_mode = NMI_MODE_VMCALL;
    u32 r = guest_run(c, nmi_exit, &b);
    c->nmi_mode = NMI_MODE_COUNT;
    CHECK(T, b.in_handler_report && (b.interruptibility_in_handler & INTERRUPTIBILITY_NMI),
          "%s: handler report %d, interruptibility 0x%x", label, b.in_handler_report, b.interruptibility_in_handler);
    CHECK(T, b.reasons[1] == EXIT_REASON_NMI_WINDOW, "%s: after the handler's IRET: exit %u", label, b.reasons[1]);
    CHECK(T, c->nmi_count == before + 1 && r == EXIT_REASON_VMCALL, "%s: NMIs %u exit %u", label, c->nmi_count - before, r);
    OUTCOME(c, T, "%s exits=%u,%u,%u blocking_in_handler=%u nmis=%u", label, b.reasons[0], b.reasons[1], b.reasons[2],
            (b.interruptibility_in_handler >> 3) & 1, c->nmi_count - before);
}

void test_nmi(struct cpu *c)
{
    const char *T = "nmi";
    u32 pin = vmx_adjust_controls(caps.pin, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);

    /* 1. NMI-window exiting with no blocking: exit 8 before the first guest instruction (SDM 26.7.6) */
    struct nmi_ctx a = { 0 };
    vcpu_reset(c, guest_nop, 0);
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, pin);
    vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmcs_read32(VMCS_PROC_BASED_CONTROLS) | PROC_NMI_WINDOW);
    uintptr_t rip0 = vmcs_readnat(VMCS_GUEST_RIP);
    u32 r = guest_run(c, nmi_exit, &a);
    extern void guest_trampoline(void);
    CHECK(T, a.reasons[0] == EXIT_REASON_NMI_WINDOW, "first exit %u", a.reasons[0]);
    CHECK(T, r == EXIT_REASON_VMCALL, "final exit %u", r);
    OUTCOME(c, T, "window-unblocked first_exit=%u at_entry_rip=%d", a.reasons[0], rip0 == (uintptr_t)guest_trampoline);

    /* 2. Injected NMI: the guest handler runs with virtual-NMI blocking; its IRET unblocks,
     *    which opens the NMI window (exit 8) */
    inject_case(c, pin, 0, "inject");

    /* 2b. The same injection under an EPT never used before. Bare, nothing changes. Under
     *     a nested hypervisor EPT02 starts empty for it, so the delivery itself (IDT, GDT,
     *     stack) takes EPT violations that L0 resolves before re-injecting the NMI; with
     *     virtual NMIs such an exit saves blocking by NMI = 1 (SDM 31.7.1.2) and an entry
     *     injecting an NMI with it set fails (SDM 26.3.1.5): the reference hit this on
     *     the 2540p. L1 must see what bare does. */
    if (has_ept()) inject_case(c, pin, ept_fresh.eptp, "inject-fresh-ept");

    /* 3. NMI exiting: a real NMI (self IPI) while the guest runs is a VM exit with
     *    exit reason 0 and interruption type NMI (SDM 27.2.2), not a guest handler call */
    struct nmi_ctx d = { 0 };
    vcpu_reset(c, guest_self_nmi, 0);
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, vmx_adjust_controls(caps.pin, PIN_NMI_EXITING));
    u32 before = c->nmi_count;
    r = guest_run(c, nmi_exit, &d);
    CHECK(T, d.reasons[0] == EXIT_REASON_EXCEPTION_NMI && (d.intr_info & 0x7ff) == (INTR_TYPE_NMI | 2),
          "self NMI: exit %u info 0x%x", d.reasons[0], d.intr_info);
    CHECK(T, c->nmi_count == before, "guest handler saw %u NMIs under NMI exiting", c->nmi_count - before);
    OUTCOME(c, T, "self-nmi exit=%u intr_info=0x%x guest_handler_calls=%u", d.reasons[0], d.intr_info, c->nmi_count - before);
}
