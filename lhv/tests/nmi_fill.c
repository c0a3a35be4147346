/* nmi_fill.c - an NMI injected at VM entry whose delivery meets an EPT page the hypervisor below has not mapped yet (SDM 26.6.1.2, 31.7.1.2) */
#include "lhv.h"
#include "x86.h"

/*
 * Bare, the delivery of an injected NMI just runs the guest's NMI handler. Under a
 * nested hypervisor the EPT L1 uses here is new to L0, so EPT02 starts empty: the
 * delivery itself (IDT, GDT, stack) takes EPT violations that L0 resolves and then
 * re-injects the NMI. With virtual NMIs such an exit saves blocking by NMI = 1 (SDM
 * 31.7.1.2), and an entry that injects an NMI with it set fails (SDM 26.3.1.5): the
 * reference hypervisor hit exactly this on the 2540p. L1 must see what bare does:
 * the handler runs once with virtual-NMI blocking, its IRET opens the NMI window.
 */
bool supports_nmi(void);     /* nmi.c */
static struct ept ept_fresh;   /* the identity map again, under its own EPTP (a new EPT02 tree) */

bool supports_nmi_fill(void) { return supports_nmi() && has_ept(); }

void nmi_fill_init(void)
{
    if (supports_nmi_fill()) ept_build_identity(&ept_fresh, &mtrrs, 1ull << 32, 2ull << 20);
}

static void guest_nop(uintptr_t unused) { (void)unused; }

struct fill_ctx { unsigned n; u32 reasons[4]; u32 blocking_in_handler; };

static enum exit_action fill_exit(struct cpu *c, u32 reason, void *p)
{
    struct fill_ctx *x = p;
    if (x->n < 4) x->reasons[x->n] = reason;
    x->n++;
    if (reason == EXIT_REASON_VMCALL && (u32)c->vcpu.regs.ax == HC_REPORT && (u32)c->vcpu.regs.bx == NMI_REPORT_TAG) {
        x->blocking_in_handler = (vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) >> 3) & 1;
        vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmcs_read32(VMCS_PROC_BASED_CONTROLS) | PROC_NMI_WINDOW);
        guest_skip_instruction();
        return EXIT_RESUME;
    }
    if (reason == EXIT_REASON_NMI_WINDOW) {
        vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmcs_read32(VMCS_PROC_BASED_CONTROLS) & ~PROC_NMI_WINDOW);
        return EXIT_RESUME;
    }
    return EXIT_UNHANDLED;
}

void test_nmi_fill(struct cpu *c)
{
    const char *T = "nmi_fill";
    struct fill_ctx x = { 0 };
    vcpu_reset(c, guest_nop, 0);
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, vmx_adjust_controls(caps.pin, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS));
    vmcs_write64(VMCS_EPT_POINTER, ept_fresh.eptp);
    struct inv_desc d = { ept_fresh.eptp, 0 };
    PANIC_ON(invept(2, &d) != VMX_OK);   /* nothing of an earlier iteration cached, bare or nested */
    vmcs_write32(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
    u32 before = c->nmi_count;
    c->nmi_mode = NMI_MODE_VMCALL;
    u32 r = guest_run(c, fill_exit, &x);
    c->nmi_mode = NMI_MODE_COUNT;
    CHECK(T, x.reasons[0] == EXIT_REASON_VMCALL && x.blocking_in_handler == 1,
          "first exit %u (0x%x), blocking by NMI in the handler %u", x.reasons[0], c->vcpu.exit_reason,
          x.blocking_in_handler);
    CHECK(T, x.reasons[1] == EXIT_REASON_NMI_WINDOW, "after the handler's IRET: exit %u", x.reasons[1]);
    CHECK(T, c->nmi_count == before + 1 && r == EXIT_REASON_VMCALL, "NMIs %u final exit 0x%x", c->nmi_count - before, r);
    OUTCOME(c, T, "inject-fresh-ept exits=0x%x,0x%x,0x%x blocking_in_handler=%u nmis=%u", x.reasons[0], x.reasons[1],
            x.reasons[2], x.blocking_in_handler, c->nmi_count - before);
}
