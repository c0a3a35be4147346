/* nmi_exp.c - NMI experiments (OPT_NMI_EXP): recorder, handlers, scripted L2 guest, runner, partner CPU, soak */
#include "nmi_exp.h"
#include "apic.h"
#include "format.h"
#include "mem.h"
#include "trap.h"
#include "x86.h"

/*
 * CPU index 0 runs the experiments; CPU index 1 is its partner: it sends NMIs to CPU 0
 * when CPU 0's L2 asks (through memory), so that one CPU sends an NMI to another that
 * runs L2 with the order forced by a handshake. Other CPUs skip. Every other NMI is a
 * self NMI: an ICR write with our own APIC ID as destination (SDM 10.6.1: the Self
 * shorthand is for fixed delivery only).
 */

unsigned nmi_soak;                      /* command line nmi_soak=N (main.c) */
static struct nx nx_cpu[GDT_MAX_CPUS];
extern const uintptr_t isr_table[256];
void guest_trampoline(void);

/* partner mailbox */
static volatile u32 xreq, xack, xdest, done_gen;

struct nx *nx_me(void) { return &nx_cpu[this_cpu()->index]; }

/* The guest runs on its own stack (vmx_setup.c); guest and host share the IDT and
 * handlers run on the interrupted stack (no IST), so the stack tells whose event it is. */
static bool in_guest(struct cpu *c)
{
    uintptr_t sp = (uintptr_t)&sp;
    return sp < c->guest_stack_top && sp >= c->guest_stack_top - STACK_SIZE;
}

static void rec_v(struct nx *x, bool hit, const char *fmt, va_list ap)
{
    char buf[48];
    int n = nv_vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0) return;
    if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
    /* one atomic reservation: a handler that interrupts a record on this CPU gets its
     * own slot; every record ends with a space (trimmed when the experiment ends) */
    u32 at = __atomic_fetch_add(&x->len, (u32)n + 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < n && at + (u32)i < NX_REC - 1; i++) x->rec[at + i] = buf[i];
    if (at + (u32)n < NX_REC - 1) x->rec[at + n] = ' ';
    if (hit) __atomic_add_fetch(&x->events, 1, __ATOMIC_SEQ_CST);
}

void nx_ev(struct nx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rec_v(x, false, fmt, ap);
    va_end(ap);
}

void nx_hit(struct nx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rec_v(x, true, fmt, ap);
    va_end(ap);
}

static void send_nmi(u32 apic_id)
{
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR_LO, ICR_NMI | ICR_LEVEL_ASSERT);
}

void nx_self_nmi(struct nx *x)
{
    struct cpu *c = this_cpu();
    nx_ev(x, in_guest(c) ? "g:send" : "h:send");
    x->snap = x->events;       /* before the ICR write: the NMI may arrive at once */
    send_nmi(c->apic_id);
}

bool nx_wait(struct nx *x, u32 bound)
{
    for (u32 i = 0; i < bound; i++) {
        if (x->events != x->snap) return true;
        cpu_relax();
    }
    nx_ev(x, in_guest(this_cpu()) ? "g:none" : "h:none");
    return false;
}

void nx_host_send_and_wait(struct nx *x, unsigned n)
{
    x->keep_blocked = true;
    for (unsigned i = 0; i < n; i++) nx_self_nmi(x);
    nx_wait(x, NX_WAIT);
}

void nx_host_iret(struct nx *x)
{
    nx_ev(x, "h:iret");
    iret_to_self();
}

void nx_inject_intr(void)
{
    vmcs_write32(VMCS_ENTRY_INTR_INFO, INJ_INTR);
    vmcs_writenat(VMCS_GUEST_RFLAGS, vmcs_readnat(VMCS_GUEST_RFLAGS) | BIT(9)); /* SDM 26.3.1.4 */
}

/* ---- handlers (shared IDT: host and guest) ---- */

void nmi_exp_nmi(struct trap_frame *f)
{
    struct cpu *c = this_cpu();
    struct nx *x = &nx_cpu[c->index];
    (void)f;
    if (!in_guest(c)) {
        nx_hit(x, "hN");
        return;
    }
    u32 d = __atomic_add_fetch(&x->gdepth, 1, __ATOMIC_SEQ_CST);
    nx_hit(x, d > 1 ? "gN-nested" : "gN");
    int mode = x->gmode;
    if (mode == GM_REPORT) {
        hypercall(HC_REPORT, NX_TAG, 0);
    } else if (mode == GM_SEND1 || mode == GM_SEND2) {
        /* SDM 6.7.1: NMIs stay blocked until the handler's IRET; one more is held */
        x->gmode = GM_PLAIN;
        nx_self_nmi(x);
        if (mode == GM_SEND2) nx_self_nmi(x);
        nx_wait(x, NX_WAIT);
        nx_ev(x, "gN-end");
    }
    __atomic_sub_fetch(&x->gdepth, 1, __ATOMIC_SEQ_CST);
}

static void nx_irq(struct trap_frame *f)
{
    struct cpu *c = this_cpu();
    if (!c->nmi_exp) {
        cprintf("unexpected interrupt vector %lu at ip 0x%lx", (unsigned long)f->vector, (unsigned long)f->ip);
        PANIC("unexpected interrupt");
    }
    struct nx *x = &nx_cpu[c->index];
    nx_hit(x, "%cI%lx", in_guest(c) ? 'g' : 'h', (unsigned long)f->vector);
    /* only injected interrupts reach here (no EOI); return with IF=0, as the guest ran */
    f->flags &= ~(uintptr_t)BIT(9);
}

void nmi_exp_init(void) { trap_irq_hook = nx_irq; }

/* ---- the scripted guest ---- */

void nx_guest_script(uintptr_t script)
{
    struct nx *x = nx_me();
    for (const char *p = (const char *)script; *p; p++) {
        switch (*p) {
        case 's': nx_self_nmi(x); break;
        case 'w': nx_wait(x, NX_WAIT); break;
        case 'i': nx_ev(x, "g:iret"); iret_to_self(); break;
        case 'r': hypercall(HC_REPORT, NX_TAG, 0); break;
        case 'm': nx_ev(x, "g:m"); break;
        case 'c': cli(); break;
        case 'x':
            nx_ev(x, "g:xsend");
            x->snap = x->events;
            xdest = this_cpu()->apic_id;
            __atomic_add_fetch(&xreq, 1, __ATOMIC_SEQ_CST);
            for (u32 i = 0; i < 50000000u && xack != xreq; i++) cpu_relax();
            nx_wait(x, NX_WAIT);
            break;
        default: break;
        }
    }
}

/* ---- set-up and runner ---- */

u32 nx_pin(u32 want) { return vmx_adjust_controls(caps.pin, want); }

void nx_setup(struct cpu *c, struct nx *x, const char *script, u32 pin, u32 proc, u32 intr, u32 inject)
{
    (void)x;
    vcpu_reset(c, nx_guest_script, (uintptr_t)script);
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, nx_pin(pin));
    if (proc) vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmcs_read32(VMCS_PROC_BASED_CONTROLS) | proc);
    vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr);
    if ((inject & INTR_INFO_VALID) && (inject & INTR_INFO_TYPE_MASK) == INTR_TYPE_EXT_INTR) nx_inject_intr();
    else vmcs_write32(VMCS_ENTRY_INTR_INFO, inject);
}

static const char *rip_mark(struct nx *x)
{
    if (!x->mark_rip) return "";
    uintptr_t rip = vmcs_readnat(VMCS_GUEST_RIP);
    if (rip == x->resume_rip) return "@r";
    if (rip == isr_table[NX_VEC]) return "@i";
    if (rip == isr_table[2]) return "@n";
    return "@?";
}

/* Records one exit: reason (0: interruption information; VMCALLs by name), where
 * (mark_rip), interruptibility bits 0-3 (SDM 24.4.2), IDT-vectoring information. */
static void record_exit(struct cpu *c, struct nx *x, u32 reason)
{
    u32 ib = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) & 0xf;
    u32 idt = vmcs_read32(VMCS_IDT_VECTORING_INFO);
    const char *at = rip_mark(x);
    char v[16] = "";
    if (idt & INTR_INFO_VALID) nv_snprintf(v, sizeof v, " v%x", idt);
    if (reason == EXIT_REASON_EXCEPTION_NMI)
        nx_hit(x, "x0:%x%s ib%x%s", vmcs_read32(VMCS_EXIT_INTR_INFO), at, ib, v);
    else if (reason == EXIT_REASON_VMCALL && (u32)c->vcpu.regs.ax == HC_DONE)
        nx_hit(x, "end%s ib%x%s", at, ib, v);
    else if (reason == EXIT_REASON_VMCALL && (u32)c->vcpu.regs.ax == HC_REPORT)
        nx_hit(x, "rep%s ib%x%s", at, ib, v);
    else
        nx_hit(x, "x%u%s ib%x%s", reason, at, ib, v);
}

void nx_run(struct cpu *c, struct nx *x)
{
    struct vcpu *v = &c->vcpu;
    for (unsigned n = 0; n < 64; n++) {
        x->resume_rip = vmcs_readnat(VMCS_GUEST_RIP);
        int s = vmx_enter(&v->regs, v->launched);
        if (s != VMX_OK) {
            nx_ev(x, "vmfail%u", s == VMX_FAIL_VALID ? vmx_instruction_error() : 0);
            return;
        }
        u32 full = vmcs_read32(VMCS_EXIT_REASON), reason = full & 0xffff;
        if (full & EXIT_REASON_FAILED_ENTRY) {
            /* SDM 26.8: VM-entry failure (reason with bit 31), guest state unchanged */
            nx_ev(x, "xfail%u q%lu", reason, (unsigned long)vmcs_readnat(VMCS_EXIT_QUALIFICATION));
            iret_to_self();
            return;
        }
        v->launched = true;
        x->nexits++;
        record_exit(c, x, reason);
        /* SDM 27.2.4: an event whose delivery the exit interrupted is delivered again */
        u32 idt = vmcs_read32(VMCS_IDT_VECTORING_INFO);
        if (idt & INTR_INFO_VALID) vmcs_write32(VMCS_ENTRY_INTR_INFO, idt & ~INTR_INFO_NMI_UNBLOCKED_BY_IRET);
        x->keep_blocked = false;
        bool handled = x->on_exit && x->on_exit(c, x, reason);
        /* SDM 27.1: an NMI exit leaves NMIs blocked until an IRET (Bochs 2.7 also after
         * other exits: lhv/guest.c); an experiment may hold the blocking on purpose */
        if (!x->keep_blocked) iret_to_self();
        bool hc = reason == EXIT_REASON_VMCALL;
        if (hc && (u32)v->regs.ax == HC_DONE) {
            guest_skip_instruction();
            return;
        }
        if (handled) continue;
        if (hc && (u32)v->regs.ax == HC_REPORT) {
            guest_skip_instruction();
            continue;
        }
        if (reason == EXIT_REASON_EXCEPTION_NMI) continue;
        if (reason == EXIT_REASON_NMI_WINDOW) {
            vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmcs_read32(VMCS_PROC_BASED_CONTROLS) & ~PROC_NMI_WINDOW);
            continue;
        }
        test_fail("nmi_exp", "unexpected exit %u at rip 0x%lx", reason, (unsigned long)vmcs_readnat(VMCS_GUEST_RIP));
        return;
    }
    nx_ev(x, "too-many-exits");
}


/* ---- exit hooks shared by experiments ---- */

/* After the first (NMI) exit: an NMI sent while L1 is blocked, then L1's IRET. */
bool nx_host_holds(struct cpu *c, struct nx *x, u32 reason)
{
    (void)c;
    if (x->nexits == 1 && reason == EXIT_REASON_EXCEPTION_NMI) {
        nx_host_send_and_wait(x, 1);
        nx_host_iret(x);
    }
    return false;
}

/* ---- the experiments ---- */

#define NX_MAX 64
static char first_rec[NX_MAX][NX_REC];      /* CPU 0's first-iteration records */

static const struct nx_exp *exp_at(unsigned i)
{
    return i < nx_exps_a_count ? &nx_exps_a[i] : &nx_exps_b[i - nx_exps_a_count];
}

static void guest_iret(uintptr_t unused)
{
    (void)unused;
    iret_to_self();
}

/* Bochs 2.7 keeps its virtual-NMI blocking flag across VM exits and sets it at VM entry
 * when bit 3 asks but never clears it there (SDM 26.7.1: entry loads it either way), so
 * one experiment's blocking would leak into the next one's guest. A guest with virtual
 * NMIs that executes IRET clears it (SDM 25.3); L1's IRET ends its own NMI blocking. */
static void nx_clean_state(struct cpu *c)
{
    vcpu_reset(c, guest_iret, 0);
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, nx_pin(VN));
    guest_run(c, NULL, NULL);
    iret_to_self();
}

static void run_exp(struct cpu *c, const struct nx_exp *e, char *out)
{
    struct nx *x = &nx_cpu[c->index];
    nx_clean_state(c);
    memset(x, 0, sizeof *x);
    if (e->cross_cpu && ncpus < 2) {
        nx_ev(x, "skipped (one CPU)");
    } else {
        c->nmi_exp = true;
        e->run(c, x);
        c->nmi_exp = false;
    }
    if (x->gdepth) nx_ev(x, "gdepth%u", x->gdepth);
    u32 len = x->len < NX_REC - 1 ? x->len : NX_REC - 1;
    while (len && x->rec[len - 1] == ' ') len--;
    x->rec[len] = 0;
    memcpy(out, x->rec, NX_REC);
}

static void partner(struct cpu *c)
{
    u32 want = c->iter + 1;
    while (done_gen < want) {
        if (xack != xreq) {
            u32 r = xreq;
            lapic_send_ipi(xdest, ICR_NMI | ICR_LEVEL_ASSERT);
            xack = r;
        }
        cpu_relax();
    }
}

static u32 soak_next(u32 *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

void test_nmi_exp(struct cpu *c)
{
    const char *T = "nmi_exp";
    if (c->index == 1) { partner(c); return; }
    if (c->index != 0) return;
    unsigned count = nx_exps_a_count + nx_exps_b_count;
    PANIC_ON(count > NX_MAX);
    static char rec[NX_REC];
    for (unsigned i = 0; i < count; i++) {
        const struct nx_exp *e = exp_at(i);
        run_exp(c, e, rec);
        if (c->iter == 0) {
            memcpy(first_rec[i], rec, NX_REC);
            OUTCOME(c, T, "%s: %s", e->name, rec);
        } else {
            CHECK(T, !memcmp(first_rec[i], rec, NX_REC), "%s: iteration %u recorded '%s', first '%s'", e->name, c->iter,
                  rec, first_rec[i]);
        }
    }
    if (c->iter == 0 && nmi_soak) {
        /* random order, fixed seed: every experiment's sequence must stay its own */
        u32 seed = 0x5eed1234u, s = seed;
        cprintf("nmi_exp soak: %u experiments in random order, seed 0x%x", nmi_soak, seed);
        unsigned bad = 0, prev = ~0u;
        for (unsigned k = 0; k < nmi_soak; k++) {
            unsigned i = soak_next(&s) % count;
            run_exp(c, exp_at(i), rec);
            if (memcmp(first_rec[i], rec, NX_REC)) {
                bad++;
                test_fail(T, "soak #%u %s (after %s): '%s', first '%s'", k, exp_at(i)->name,
                          prev < count ? exp_at(prev)->name : "-", rec, first_rec[i]);
            }
            prev = i;
        }
        cprintf("nmi_exp soak: %u runs, %u differed from the first run of their experiment", nmi_soak, bad);
    }
    __atomic_add_fetch(&done_gen, 1, __ATOMIC_SEQ_CST);
}
