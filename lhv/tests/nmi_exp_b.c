/* nmi_exp_b.c - NMI experiments with virtual NMIs, NMI-window exiting, NMIs collapsing in L1, and NMIs from the partner CPU */
#include "nmi_exp.h"

/* ---- virtual NMIs (SDM 25.3, 26.6.1.1, 24.4.2: bit 3 is virtual-NMI blocking) ---- */

/* real NMIs still exit (reason 0) under virtual NMIs */
static void vn_exit(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "swm", VN, 0, 0, 0);
    nx_run(c, x);
}

/* virtual-NMI blocking does not hold real NMIs: they exit, and the blocking is saved */
static void vn_exit_vblocked(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "swrm", VN, 0, IB_NMI, 0);
    nx_run(c, x);
}

/* an injected virtual NMI sets virtual-NMI blocking in L2's handler; its IRET ends it */
static void vn_inject(struct cpu *c, struct nx *x)
{
    x->gmode = GM_REPORT;
    nx_setup(c, x, "m", VN, 0, 0, INJ_NMI);
    nx_run(c, x);
}

/* IRET ends virtual-NMI blocking set at VM entry (SDM 25.3) */
static void vn_iret_clears(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "irm", VN, 0, IB_NMI, 0);
    nx_run(c, x);
}

/* Not an experiment: injecting an NMI while virtual-NMI blocking is set must fail the VM
 * entry (SDM 26.3.1.5, VM-entry failure 33). Bochs 2.7 has that check commented out and
 * enters the guest; nestvisor follows the SDM, so bare and nested could not agree. */

/* an NMI exit under virtual NMIs also leaves NMIs blocked in L1 (SDM 27.1) */
static void vn_exit_blocks_host(struct cpu *c, struct nx *x)
{
    x->on_exit = nx_host_holds;
    nx_setup(c, x, "swm", VN, 0, 0, 0);
    nx_run(c, x);
}

/* virtual-NMI blocking carried across a VM exit and the next VM entry; L2's IRET ends it */
static void vn_carried_exit_entry(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "rirm", VN, 0, IB_NMI, 0);
    nx_run(c, x);
}

/* an injected external interrupt under virtual-NMI blocking with NMI-window exiting:
 * the interrupt is delivered; its handler's IRET ends the blocking and opens the window */
static void vn_order_intr(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "cm", VN, PROC_NMI_WINDOW, IB_NMI, INJ_INTR);
    nx_run(c, x);
}

/* ---- NMI-window exiting (SDM 25.2, 26.7.6: an exit before an instruction when there
 * is no virtual-NMI blocking (nor MOV-SS blocking)) ---- */

/* no blocking: the window exit comes before L2's first instruction */
static void win_at_entry(struct cpu *c, struct nx *x)
{
    x->mark_rip = true;
    nx_setup(c, x, "m", VN, PROC_NMI_WINDOW, 0, 0);
    nx_run(c, x);
}

/* virtual-NMI blocking holds the window until L2's IRET */
static void win_blocked_iret(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "mim", VN, PROC_NMI_WINDOW, IB_NMI, 0);
    nx_run(c, x);
}

/* the window against an injected virtual NMI: the injection blocks, the handler's
 * IRET opens the window */
static void win_after_inject(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "m", VN, PROC_NMI_WINDOW, 0, INJ_NMI);
    nx_run(c, x);
}

/* blocking by MOV SS holds the window for one instruction (SDM 26.7.6) */
static void win_movss(struct cpu *c, struct nx *x)
{
    x->mark_rip = true;
    nx_setup(c, x, "m", VN, PROC_NMI_WINDOW, INTERRUPTIBILITY_MOV_SS, 0);
    nx_run(c, x);
}

static bool window_injects(struct cpu *c, struct nx *x, u32 reason)
{
    (void)c;
    if (reason == EXIT_REASON_NMI_WINDOW) {
        vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmcs_read32(VMCS_PROC_BASED_CONTROLS) & ~PROC_NMI_WINDOW);
        vmcs_write32(VMCS_ENTRY_INTR_INFO, INJ_NMI);
        x->mark_rip = true;
        return true;
    }
    return false;
}

/* the usual use: inject the virtual NMI at the window exit */
static void win_then_inject(struct cpu *c, struct nx *x)
{
    x->on_exit = window_injects;
    x->gmode = GM_REPORT;
    nx_setup(c, x, "m", VN, PROC_NMI_WINDOW, 0, 0);
    nx_run(c, x);
}

/* the window against an injected external interrupt */
static void win_intr_inject(struct cpu *c, struct nx *x)
{
    x->mark_rip = true;
    nx_setup(c, x, "cm", VN, PROC_NMI_WINDOW, 0, INJ_INTR);
    nx_run(c, x);
}

/* a real NMI under virtual-NMI blocking and NMI-window exiting: the NMI exits at once;
 * the window waits for L2's IRET */
static void win_vblocked_real_nmi(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "swim", VN, PROC_NMI_WINDOW, IB_NMI, 0);
    nx_run(c, x);
}

/* ---- NMIs collapsing in L1 ---- */

static bool host_holds_two(struct cpu *c, struct nx *x, u32 reason)
{
    (void)c;
    if (x->nexits == 1 && reason == EXIT_REASON_EXCEPTION_NMI) {
        nx_host_send_and_wait(x, 2);
        nx_host_iret(x);
        x->snap = x->events;
        nx_wait(x, NX_WAIT);     /* a second NMI would come now */
    }
    return false;
}

/* two NMIs while L1 is blocked after an NMI exit: one NMI handler call after the IRET */
static void host_collapse(struct cpu *c, struct nx *x)
{
    x->on_exit = host_holds_two;
    nx_setup(c, x, "swm", VN, 0, 0, 0);
    nx_run(c, x);
}

/* ---- the partner CPU sends the NMI while L2 runs here ---- */

static void xcpu_exit(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "xm", NE, 0, 0, 0);
    nx_run(c, x);
}

static void xcpu_deliver(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "xm", 0, 0, 0, 0);
    nx_run(c, x);
}

static void xcpu_vblocked(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "xrm", VN, 0, IB_NMI, 0);
    nx_run(c, x);
}

const struct nx_exp nx_exps_b[] = {
    { "vn_exit", vn_exit, false },
    { "vn_exit_vblocked", vn_exit_vblocked, false },
    { "vn_inject", vn_inject, false },
    { "vn_iret_clears", vn_iret_clears, false },
    { "vn_exit_blocks_host", vn_exit_blocks_host, false },
    { "vn_carried_exit_entry", vn_carried_exit_entry, false },
    { "vn_order_intr", vn_order_intr, false },
    { "win_at_entry", win_at_entry, false },
    { "win_blocked_iret", win_blocked_iret, false },
    { "win_after_inject", win_after_inject, false },
    { "win_movss", win_movss, false },
    { "win_then_inject", win_then_inject, false },
    { "win_intr_inject", win_intr_inject, false },
    { "win_vblocked_real_nmi", win_vblocked_real_nmi, false },
    { "host_collapse", host_collapse, false },
    { "xcpu_exit", xcpu_exit, true },
    { "xcpu_deliver", xcpu_deliver, true },
    { "xcpu_vblocked", xcpu_vblocked, true },
};
const unsigned nx_exps_b_count = sizeof nx_exps_b / sizeof nx_exps_b[0];
