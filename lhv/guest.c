/* guest.c - the guest runner: enter, dispatch exits to the test's handler, default handling */
#include "lhv.h"
#include "x86.h"


/* First code the test guest runs (guest RSP = its own per-CPU stack). */
void guest_trampoline(void);
void guest_trampoline(void)
{
    struct cpu *c = this_cpu();
    c->guest_fn(c->guest_arg);
    hypercall(HC_DONE, 0, 0);
    for (;;)
        cpu_relax();
}

void guest_skip_instruction(void)
{
    vmcs_writenat(VMCS_GUEST_RIP, vmcs_readnat(VMCS_GUEST_RIP) + vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN));
}

static void report_unexpected(struct cpu *c, u32 reason)
{
    test_fail("guest", "unexpected VM exit: reason 0x%x qualification 0x%lx rip 0x%lx", reason,
              (unsigned long)vmcs_readnat(VMCS_EXIT_QUALIFICATION), (unsigned long)vmcs_readnat(VMCS_GUEST_RIP));
    if (c->iter == 0) vmcs_dump("unexpected-exit");
}

u32 guest_run(struct cpu *c, exit_handler_t h, void *ctx)
{
    struct vcpu *v = &c->vcpu;
    for (;;) {
        int s = vmx_enter(&v->regs, v->launched);
        if (s != VMX_OK) {
            v->exit_reason = ~0u;
            if (h && h(c, ~0u, ctx) == EXIT_STOP) return ~0u;
            test_fail("guest", "%s failed: status %d, VM-instruction error %u",
                      v->launched ? "VMRESUME" : "VMLAUNCH", s, s == VMX_FAIL_VALID ? vmx_instruction_error() : 0);
            return ~0u;
        }
        u32 full = vmcs_read32(VMCS_EXIT_REASON);
        u32 reason = full & 0xffff;
        v->exit_reason = (full & EXIT_REASON_FAILED_ENTRY) ? full : reason;
        if (!(full & EXIT_REASON_FAILED_ENTRY)) v->launched = true;
        iret_to_self(); /* SDM 27.1: an NMI exit leaves NMIs blocked until an IRET; Bochs 2.7 also
                           kept them blocked after other exits: every exit ends with NMIs unblocked */
        enum exit_action a = h ? h(c, v->exit_reason, ctx) : EXIT_UNHANDLED;
        if (a == EXIT_RESUME) continue;
        if (a == EXIT_STOP) return v->exit_reason;
        if (full & EXIT_REASON_FAILED_ENTRY) {
            report_unexpected(c, full);
            return v->exit_reason;
        }
        if (reason == EXIT_REASON_VMCALL && (u32)v->regs.ax == HC_DONE) {
            guest_skip_instruction();
            return reason;
        }
        if (reason == EXIT_REASON_CPUID) {
            struct cpuid_regs r = cpuid((u32)v->regs.ax, (u32)v->regs.cx);
            v->regs.ax = r.eax; v->regs.bx = r.ebx; v->regs.cx = r.ecx; v->regs.dx = r.edx;
            guest_skip_instruction();
            continue;
        }
        report_unexpected(c, reason);
        return reason;
    }
}
