/* user_mode.c - the guest drops to ring 3; CPUID and VMCALL from CPL 3 still exit (SDM 26.1.2) */
#include "lhv.h"

void user_mode_entry(void);
__asm__(".text\n"
        ".globl user_mode_entry\n"
        "user_mode_entry:\n"
        "  xorl %eax, %eax\n"
        "  cpuid\n"
        "  movl $0x4c48561, %eax\n" /* HC_REPORT */
        "  movl $3, %ebx\n"
        "  vmcall\n"
        "1: jmp 1b\n");

static void guest_to_user(uintptr_t unused)
{
    (void)unused;
    uintptr_t usp = ((uintptr_t)&unused - 1024) & ~(uintptr_t)15;
#ifdef __x86_64__
    __asm__ __volatile__("pushq %0; pushq %1; pushq $0x2; pushq %2; pushq %3; iretq"
                         : : "i"(SEL_UDATA), "r"(usp), "i"(SEL_UCODE), "r"((uintptr_t)user_mode_entry) : "memory");
#else
    __asm__ __volatile__("pushl %0; pushl %1; pushl $0x2; pushl %2; pushl %3; iretl"
                         : : "i"(SEL_UDATA), "r"(usp), "i"(SEL_UCODE), "r"((uintptr_t)user_mode_entry) : "memory");
#endif
}

struct um_ctx { unsigned cpuid_cpl, cpuid_ss_dpl, vmcall_cpl; bool cpuid_seen, vmcall_seen; };

static enum exit_action um_exit(struct cpu *c, u32 reason, void *p)
{
    struct um_ctx *x = p;
    if (reason == EXIT_REASON_CPUID) {
        x->cpuid_seen = true;
        x->cpuid_cpl = vmcs_read16(VMCS_GUEST_CS_SEL) & 3;
        x->cpuid_ss_dpl = (vmcs_read32(VMCS_GUEST_SS_AR) >> 5) & 3;
        c->vcpu.regs.ax = c->vcpu.regs.bx = c->vcpu.regs.cx = c->vcpu.regs.dx = 0;
        guest_skip_instruction();
        return EXIT_RESUME;
    }
    if (reason == EXIT_REASON_VMCALL && (u32)c->vcpu.regs.ax == HC_REPORT) {
        x->vmcall_seen = true;
        x->vmcall_cpl = vmcs_read16(VMCS_GUEST_CS_SEL) & 3;
        return EXIT_STOP; /* the guest is left in ring 3; the next test resets the VMCS */
    }
    return EXIT_UNHANDLED;
}

void test_user_mode(struct cpu *c)
{
    const char *T = "user_mode";
    struct um_ctx x = { 0, 0, 0, false, false };
    vcpu_reset(c, guest_to_user, 0);
    u32 r = guest_run(c, um_exit, &x);
    CHECK(T, r == EXIT_REASON_VMCALL && x.cpuid_seen && x.vmcall_seen, "exit %u cpuid %d vmcall %d", r, x.cpuid_seen, x.vmcall_seen);
    CHECK(T, x.cpuid_cpl == 3 && x.cpuid_ss_dpl == 3 && x.vmcall_cpl == 3, "CPL %u/%u/%u", x.cpuid_cpl, x.cpuid_ss_dpl, x.vmcall_cpl);
    OUTCOME(c, T, "cpuid_exit_cpl=%u ss_dpl=%u vmcall_exit_cpl=%u", x.cpuid_cpl, x.cpuid_ss_dpl, x.vmcall_cpl);
}
