/* run.c - the VM entry/exit loop and the one exit dispatch table (short and loud: unknown exits end the run) */
#include "hv.h"
#include "x86.h"

static void handle_triple_fault(struct pcpu *p)
{
    (void)p;
    cprintf("guest triple fault at rip 0x%lx", (unsigned long)vmcs_readnat(VMCS_GUEST_RIP));
    vmcs_dump("triple-fault");
    vm_report_and_end("FAIL guest triple fault");
}

static void handle_invd(struct pcpu *p)
{
    (void)p;
    __asm__ __volatile__("wbinvd" ::: "memory"); /* never drop dirty lines for the guest */
    skip_instruction();
}

static void handle_entry_failure(struct pcpu *p)
{
    (void)p;
    u32 r = vmcs_read32(VMCS_EXIT_REASON);
    cprintf("VM entry failed: exit reason 0x%x qualification 0x%lx", r, (unsigned long)vmcs_readnat(VMCS_EXIT_QUALIFICATION));
    vmcs_dump("entry-failure");
    vm_report_and_end("FAIL VM entry of the guest failed (reason 0x%x)", r);
}

/* HLT (SDM 26.1.3 with HLT exiting): with IF=1 the guest halts in VMX non-root
 * (activity state HLT, woken by its interrupts); with IF=0 only NMI, INIT or SMI could
 * wake it, so the CPU waits here, in nestvisor, for a kick (INIT) or an NMI owed to the
 * guest. (Bochs 2.7 stalls the emulation when a VMX guest halts with IF=0.) */
static void handle_hlt(struct pcpu *p)
{
    skip_instruction();
    if (vmcs_readnat(VMCS_GUEST_RFLAGS) & BIT(9)) {
        vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 1);
        return;
    }
    while (!p->init_pending && !p->guest_nmis_pending)
        wait_relax();
}

static const exit_handler_fn handlers[EXIT_REASON_MAX + 1] = {
    [EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
    [EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
    [EXIT_REASON_NMI_WINDOW] = handle_nmi_window,
    [EXIT_REASON_CPUID] = handle_cpuid,
    [EXIT_REASON_HLT] = handle_hlt,
    [13] = handle_invd,
    [EXIT_REASON_VMCALL] = handle_vmcall,
    [EXIT_REASON_VMCLEAR] = handle_vmx_instruction,
    [EXIT_REASON_VMLAUNCH] = handle_vmx_instruction,
    [EXIT_REASON_VMPTRLD] = handle_vmx_instruction,
    [EXIT_REASON_VMPTRST] = handle_vmx_instruction,
    [EXIT_REASON_VMREAD] = handle_vmx_instruction,
    [EXIT_REASON_VMRESUME] = handle_vmx_instruction,
    [EXIT_REASON_VMWRITE] = handle_vmx_instruction,
    [EXIT_REASON_VMXOFF] = handle_vmx_instruction,
    [EXIT_REASON_VMXON] = handle_vmx_instruction,
    [EXIT_REASON_INVEPT] = handle_vmx_instruction,
    [EXIT_REASON_INVVPID] = handle_vmx_instruction,
    [EXIT_REASON_CR_ACCESS] = handle_cr_access,
    [EXIT_REASON_IO] = handle_io,
    [EXIT_REASON_RDMSR] = handle_rdmsr,
    [EXIT_REASON_WRMSR] = handle_wrmsr,
    [EXIT_REASON_ENTRY_FAIL_GUEST] = handle_entry_failure,
    [EXIT_REASON_ENTRY_FAIL_MSR] = handle_entry_failure,
    [EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
    [EXIT_REASON_XSETBV] = handle_xsetbv,
};

static void handle_unexpected(struct pcpu *p, u32 reason)
{
    (void)p;
    cprintf("unexpected VM exit: reason %u qualification 0x%lx guest rip 0x%lx", reason,
            (unsigned long)vmcs_readnat(VMCS_EXIT_QUALIFICATION), (unsigned long)vmcs_readnat(VMCS_GUEST_RIP));
    vmcs_dump("unexpected-exit");
    vm_report_and_end("FAIL unexpected VM exit %u", reason);
}

/* An exit in the middle of delivering an event (SDM 27.2.4): deliver it again on the
 * next entry unless the handler injected something itself (SDM 28.2.2 / 31.7.1.1). */
static void reinject(u32 vectoring)
{
    if (vmcs_read32(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID) return;
    u32 type = vectoring & (7u << 8);
    if (vectoring & INTR_INFO_DELIVER_EC)
        vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(VMCS_IDT_VECTORING_ERROR_CODE));
    if (type == INTR_TYPE_SW_INTR || type == INTR_TYPE_SW_EXCEPTION || type == (5u << 8))
        vmcs_write32(VMCS_ENTRY_INSTRUCTION_LEN, vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN));
    /* SDM 31.7.1.2: an exit during delivery of an injected NMI (virtual NMIs) saves
     * blocking by NMI = 1, and SDM 26.3.1.5 fails an entry that injects an NMI with it
     * set: clear it for the re-injection (the reference hit this on the 2540p with an
     * EPT02 fill during NMI delivery to L2). Delivering the NMI sets the blocking again. */
    if (type == INTR_TYPE_NMI) {
        u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
        LOG_RL("re-injecting an NMI whose delivery exited (exit reason %u, blocking by NMI saved as %u)",
               vmcs_read32(VMCS_EXIT_REASON) & 0xffff, (intr >> 3) & 1);
        if (intr & INTERRUPTIBILITY_NMI) vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~INTERRUPTIBILITY_NMI);
    }
    vmcs_write32(VMCS_ENTRY_INTR_INFO, vectoring & ~(1u << 12));
}

static void progress_line(struct pcpu *p, u32 reason)
{
    unsigned top = 0;
    for (unsigned r = 1; r <= EXIT_REASON_MAX; r++)
        if (p->exits[r] > p->exits[top]) top = r;
    cprintf("progress: %llu exits (most: reason %u x%llu), this exit reason %u at rip 0x%lx cr0 0x%lx",
            (unsigned long long)p->exits_total, top, (unsigned long long)p->exits[top], reason,
            (unsigned long)vmcs_readnat(VMCS_GUEST_RIP), (unsigned long)vmcs_readnat(VMCS_GUEST_CR0));
}

/* Work owed to this CPU before it may enter the guest again. */
static void before_entry(struct pcpu *p)
{
    if (p->init_pending && !p->nested.vmxon) {
        /* The guest sent INIT: the CPU waits for SIPI inside nestvisor (never leaves VMX).
         * (In L1's VMX operation INIT is blocked in root and an exit from L2: SDM 25.2, 26.8.) */
        p->state = VCPU_WAIT_SIPI; /* before clearing init_pending: a SIPI in between must not be lost */
        __atomic_store_n(&p->init_pending, false, __ATOMIC_SEQ_CST);
        LOG_RL("guest INIT: this CPU waits for SIPI in nestvisor");
        vmcs01_setup(p);
        sipi_wait_and_start(p);
    }
    if (p->nested.in_l2) nested_before_l2_entry(p); /* may end in an exit to L1 */
    ept01_sync(p);
    if (!p->nested.in_l2) {
        shadow01_before_l1_entry(p);    /* L1's VMREAD/VMWRITE through a shadow VMCS */
        nmi_deliver_pending(p);
    }
}

static void count_exit(struct pcpu *p, u32 reason)
{
    p->exits_total++;
    if (reason <= EXIT_REASON_MAX) p->exits[reason]++;
    if (p->exits_total >= (1u << 16) && !(p->exits_total & (p->exits_total - 1)))
        progress_line(p, reason);  /* at 64K, 128K, 256K... exits: where is this CPU? */
}

NORETURN void vcpu_run(struct pcpu *p)
{
    for (;;) {
        before_entry(p);
        bool l2 = p->nested.in_l2;
        bool *launched = l2 ? &p->nested.vmcs02_launched : &p->launched;
        int s = vmx_enter(&p->regs, *launched);
        if (s != 0) {
            if (l2) {
                nested_l2_entry_failed(p, s);
                continue;
            }
            cprintf("%s failed: status %d, VM-instruction error %u", p->launched ? "VMRESUME" : "VMLAUNCH", s,
                    s == VMX_FAIL_VALID ? vmx_instruction_error() : 0);
            vmcs_dump("vmentry-vmfail");
            vm_report_and_end("FAIL VM entry instruction failed");
        }
        u32 full = vmcs_read32(VMCS_EXIT_REASON);
        u32 reason = full & 0xffff;
        if (!(full & EXIT_REASON_FAILED_ENTRY)) *launched = true;
        /* SDM 27.1: an NMI exit leaves NMIs blocked until an IRET; Bochs 2.7 also kept them
         * blocked after other exits (the LHV nmi test's second iteration, bare and nested).
         * nestvisor takes no NMI in root across this loop, so every exit ends with one IRET. */
        iret_to_self();
        count_exit(p, reason);
        u32 vectoring = (full & EXIT_REASON_FAILED_ENTRY) ? 0 : vmcs_read32(VMCS_IDT_VECTORING_INFO);
        if (l2) {
            /* the one routing decision for L2's exits (hv/nested/exit.c) */
            enum l2_exit r = nested_l2_exit(p, full);
            if (r == L2_REFLECTED) continue;
            if (r == L2_HANDLED) {
                if (vectoring & INTR_INFO_VALID) reinject(vectoring);
                continue;
            }
        }
        if (full & EXIT_REASON_FAILED_ENTRY) {
            handle_entry_failure(p);
            continue;
        }
        if (reason > EXIT_REASON_MAX || !handlers[reason]) {
            handle_unexpected(p, reason);
            continue;
        }
        handlers[reason](p);
        /* a handler that switched VMCS (L1's VMLAUNCH/VMRESUME) leaves no event behind */
        if ((vectoring & INTR_INFO_VALID) && p->nested.in_l2 == l2) reinject(vectoring);
    }
}
