/* nmi.c - NMIs: nestvisor's own kicks told apart from the guest's NMIs, which are delivered as virtual NMIs (SDM 25.3, 26.7.1) */
#include "hv.h"
#include "apic.h"
#include "trap.h"

/* An NMI that reached this CPU is one of nestvisor's kicks (true, counted) or the guest's. */
bool nmi_take_kick(struct pcpu *p)
{
    if (p->kicks_seen >= p->kicks_sent) return false;
    p->kicks_seen++;
    return true;
}

/* An NMI owed to the guest of the current VMCS (an NMI exit's, or one that reached L0 in
 * root, e.g. the self NMI L0 sent for the guest's ICR write). A CPU latches one NMI while
 * NMIs are blocked and drops any further one (SDM 6.7.1); unblocked, one can be in
 * delivery and one more pending. So while the guest blocks NMIs (bit 3 of its
 * interruptibility state: its virtual-NMI blocking, which is its NMI blocking as the
 * guest sees it) L0 owes it at most one: two NMIs sent to a blocked L1 end in one. */
void nmi_owe(struct pcpu *p)
{
    uintptr_t intr = 0;
    if (vmread_raw(VMCS_GUEST_INTERRUPTIBILITY, &intr) != VMX_OK) intr = 0;   /* no current VMCS yet */
    u32 max = (intr & INTERRUPTIBILITY_NMI) ? 1 : 2;
    if (p->guest_nmis_pending < max) p->guest_nmis_pending++;
}

/* An NMI reached this CPU in VMX root: a kick, or owed to the guest. */
static void nmi_arrived(struct pcpu *p)
{
    if (!nmi_take_kick(p)) nmi_owe(p);
}

static void nmi_in_root(struct trap_frame *f)
{
    (void)f;
    struct pcpu *p = this_pcpu();
    LOG_RL("NMI in root (in_l2 %d)", p->nested.in_l2);
    nmi_arrived(p);
}

/* Interrupts reach nestvisor only while an AP sleeps for SIPI (the wake IPI). */
static void irq_in_root(struct trap_frame *f)
{
    if (f->vector != 0xff) lapic_eoi(); /* 0xff: the spurious vector takes no EOI */
}

void nmi_init(void)
{
    trap_nmi_hook = nmi_in_root;
    trap_irq_hook = irq_in_root;
}

void handle_exception_nmi(struct pcpu *p)
{
    u32 info = vmcs_read32(VMCS_EXIT_INTR_INFO);
    u32 type = info & (7u << 8), vec = info & 0xff;
    if (type == INTR_TYPE_NMI) {
        LOG_RL("NMI exit (kicks sent %u seen %u)", p->kicks_sent, p->kicks_seen);
        if (!nmi_take_kick(p)) nmi_owe(p);
        return;
    }
    if (vec == 1 && p->step.active) {
        lapic_step_done(p);
        return;
    }
    cprintf("unexpected exception exit: info 0x%x error 0x%x rip 0x%lx", info, vmcs_read32(VMCS_EXIT_INTR_ERROR_CODE),
            (unsigned long)vmcs_readnat(VMCS_GUEST_RIP));
    vmcs_dump("unexpected-exception");
    vm_report_and_end("FAIL unexpected exception exit (vector %u)", vec);
}

void handle_nmi_window(struct pcpu *p)
{
    (void)p;
    vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmcs_read32(VMCS_PROC_BASED_CONTROLS) & ~PROC_NMI_WINDOW);
}

/* Before entry: inject one owed NMI if the guest can take it now, else ask for the
 * NMI window (SDM 26.7.6; injection blocked by NMI and MOV-SS blocking, 26.3.1.5). */
void nmi_deliver_pending(struct pcpu *p)
{
    if (!p->guest_nmis_pending || p->step.active) return;
    if (vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID) return;
    u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    if (intr & (INTERRUPTIBILITY_NMI | INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_STI)) {
        vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmcs_read32(VMCS_PROC_BASED_CONTROLS) | PROC_NMI_WINDOW);
        return;
    }
    p->guest_nmis_pending--;
    LOG_RL("NMI injected into L1 at rip 0x%lx", (unsigned long)vmcs_readnat(VMCS_GUEST_RIP));
    vmcs_write32(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
}
