/* nmi_exp_a.c - NMI experiments with NMI exiting off (NMIs reach L2's IDT) and with NMI exiting on, virtual NMIs off */
#include "nmi_exp.h"

/*
 * Script letters: see nmi_exp.h. Records: gN/hN guest/host NMI handler, gI40 guest
 * interrupt handler, x<reason>/rep/end exits with the guest's interruptibility (ib8 =
 * blocking by NMI, SDM 24.4.2), g:/h: markers of guest and host code.
 */

/* ---- exit hooks ---- */

/* At the report exit (an NMI is pending and blocked in L2): L1 leaves the blocking as the
 * exit left it (no IRET) and resumes L2 with its interruptibility unchanged. */
static bool carry_at_report(struct cpu *c, struct nx *x, u32 reason)
{
    if (reason == EXIT_REASON_VMCALL && (u32)c->vcpu.regs.ax == HC_REPORT) x->keep_blocked = true;
    return false;
}

/* The same, and the entry injects an external interrupt. */
static bool carry_inject_at_report(struct cpu *c, struct nx *x, u32 reason)
{
    if (reason == EXIT_REASON_VMCALL && (u32)c->vcpu.regs.ax == HC_REPORT) {
        x->keep_blocked = true;
        nx_inject_intr();
    }
    return false;
}

/* ---- NMI exiting off: NMIs are delivered through L2's IDT (SDM 25.2: only with NMI
 * exiting on do NMIs exit), IRET in L2 unblocks them (SDM 25.3) ---- */

/* a self NMI in L2 runs L2's handler; no exit */
static void off_deliver(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "swm", 0, 0, 0, 0);
    nx_run(c, x);
}

/* an NMI sent inside L2's NMI handler waits for the handler's IRET (SDM 6.7.1) */
static void off_handler_blocks(struct cpu *c, struct nx *x)
{
    x->gmode = GM_SEND1;
    nx_setup(c, x, "swm", 0, 0, 0, 0);
    nx_run(c, x);
}

/* two NMIs sent while blocked collapse into one (one NMI can be pending, SDM 6.7.1) */
static void off_collapse(struct cpu *c, struct nx *x)
{
    x->gmode = GM_SEND2;
    nx_setup(c, x, "swm", 0, 0, 0, 0);
    nx_run(c, x);
}

/* VM entry with blocking by NMI (SDM 26.7.1, 24.4.2: loaded from the interruptibility
 * state when virtual NMIs are off): the NMI waits, L2's IRET releases it */
static void off_entry_blocked_iret(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "swiwm", 0, 0, IB_NMI, 0);
    nx_run(c, x);
}

/* blocking by NMI carried across a VM exit (saved, SDM 27.3.4) with an NMI pending:
 * where does the pending NMI go once L1 is back? */
static void off_blocked_across_exit(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "swrwm", 0, 0, IB_NMI, 0);
    nx_run(c, x);
}

/* an injected NMI (SDM 26.6.1.1) blocks NMIs during L2's handler; its IRET unblocks */
static void off_inject(struct cpu *c, struct nx *x)
{
    x->gmode = GM_REPORT;
    nx_setup(c, x, "m", 0, 0, 0, INJ_NMI);
    nx_run(c, x);
}

/* an injected NMI, and a self NMI inside its handler: held until the IRET */
static void off_inject_then_send(struct cpu *c, struct nx *x)
{
    x->gmode = GM_SEND1;
    nx_setup(c, x, "m", 0, 0, 0, INJ_NMI);
    nx_run(c, x);
}

/* a VM exit from inside L2's NMI handler saves blocking by NMI (SDM 27.3.4); the
 * handler's IRET after the VM entry ends it */
static void off_exit_in_handler(struct cpu *c, struct nx *x)
{
    x->gmode = GM_REPORT;
    nx_setup(c, x, "swrm", 0, 0, 0, 0);
    nx_run(c, x);
}

/* blocking by NMI carried across a VM exit and the next VM entry (SDM 27.3.4 saves it,
 * 26.7.1 loads it; a VM exit other than an NMI exit leaves NMI blocking as it was): the
 * NMI stays pending through both and L2's IRET releases it, in L2 */
static void off_carried_exit_entry(struct cpu *c, struct nx *x)
{
    x->on_exit = carry_at_report;
    nx_setup(c, x, "swriwm", 0, 0, IB_NMI, 0);
    nx_run(c, x);
}

/* an injected external interrupt against an NMI pending (and blocked) in L2: the
 * interrupt is delivered (NMI blocking does not hold interrupts), and its handler's IRET
 * unblocks NMIs (SDM 6.7.1), so the NMI comes right after it */
static void off_order_intr(struct cpu *c, struct nx *x)
{
    x->on_exit = carry_inject_at_report;
    nx_setup(c, x, "swrwm", 0, 0, IB_NMI, 0);
    nx_run(c, x);
}

/* NMI injection while blocking by NMI is set, virtual NMIs off: the SDM 26.3.1.5 check
 * is for virtual NMIs only, so the entry succeeds and delivers the NMI */
static void off_inject_blocked(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "m", 0, 0, IB_NMI, INJ_NMI);
    nx_run(c, x);
}

/* ---- NMI exiting on, virtual NMIs off: NMIs exit (reason 0); blocking by NMI holds
 * them; IRET does not unblock (SDM 25.3) ---- */

/* an NMI exit: reason 0, interruption type NMI, vector 2 (SDM 27.2.2) */
static void ne_exit(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "swm", NE, 0, 0, 0);
    nx_run(c, x);
}

/* blocking by NMI at VM entry holds the NMI exit; it is saved at the next exit */
static void ne_entry_blocked(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "swrwm", NE, 0, IB_NMI, 0);
    nx_run(c, x);
}

/* IRET in L2 does not end blocking by NMI under NMI exiting (SDM 25.3) */
static void ne_iret_keeps_block(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "swiwrm", NE, 0, IB_NMI, 0);
    nx_run(c, x);
}

/* an injected NMI under NMI exiting: the handler runs blocked; its IRET leaves the
 * blocking (SDM 25.3), which the exit saves */
static void ne_inject(struct cpu *c, struct nx *x)
{
    x->gmode = GM_REPORT;
    nx_setup(c, x, "m", NE, 0, 0, INJ_NMI);
    nx_run(c, x);
}

/* after an NMI exit NMIs are blocked in L1 until an IRET (SDM 27.1) */
static void ne_exit_blocks_host(struct cpu *c, struct nx *x)
{
    x->on_exit = nx_host_holds;
    nx_setup(c, x, "swm", NE, 0, 0, 0);
    nx_run(c, x);
}

/* blocking by NMI carried across exit and entry under NMI exiting: L2's IRET does not
 * end it (SDM 25.3), the NMI stays pending until L1's own IRET after the last exit */
static void ne_carried_exit_entry(struct cpu *c, struct nx *x)
{
    x->on_exit = carry_at_report;
    nx_setup(c, x, "swriwm", NE, 0, IB_NMI, 0);
    nx_run(c, x);
}

/* the same with an injected external interrupt: its handler's IRET releases nothing */
static void ne_order_intr(struct cpu *c, struct nx *x)
{
    x->on_exit = carry_inject_at_report;
    nx_setup(c, x, "swrwm", NE, 0, IB_NMI, 0);
    nx_run(c, x);
}

/* two NMIs while L2 blocks them under NMI exiting: the blocking goes to L1 with the
 * next exit, and L1's IRET lets one NMI through (SDM 6.7.1). (Ending the blocking by a
 * VM entry with bit 3 clear instead is not tested: Bochs 2.7 then keeps NMIs blocked,
 * where the SDM (26.7.1, 24.4.2) has the entry unblock them; lab/README.md.) */
static void ne_collapse(struct cpu *c, struct nx *x)
{
    nx_setup(c, x, "sswrm", NE, 0, IB_NMI, 0);
    nx_run(c, x);
}

const struct nx_exp nx_exps_a[] = {
    { "off_deliver", off_deliver, false },
    { "off_handler_blocks", off_handler_blocks, false },
    { "off_collapse", off_collapse, false },
    { "off_entry_blocked_iret", off_entry_blocked_iret, false },
    { "off_blocked_across_exit", off_blocked_across_exit, false },
    { "off_inject", off_inject, false },
    { "off_inject_then_send", off_inject_then_send, false },
    { "off_exit_in_handler", off_exit_in_handler, false },
    { "off_carried_exit_entry", off_carried_exit_entry, false },
    { "off_order_intr", off_order_intr, false },
    { "off_inject_blocked", off_inject_blocked, false },
    { "ne_exit", ne_exit, false },
    { "ne_entry_blocked", ne_entry_blocked, false },
    { "ne_iret_keeps_block", ne_iret_keeps_block, false },
    { "ne_inject", ne_inject, false },
    { "ne_exit_blocks_host", ne_exit_blocks_host, false },
    { "ne_carried_exit_entry", ne_carried_exit_entry, false },
    { "ne_order_intr", ne_order_intr, false },
    { "ne_collapse", ne_collapse, false },
};
const unsigned nx_exps_a_count = sizeof nx_exps_a / sizeof nx_exps_a[0];
