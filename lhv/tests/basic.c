/* basic.c - a guest runs a function to completion and makes a CPUID exit */
#include "lhv.h"
#include "x86.h"

static void guest_basic(uintptr_t arg)
{
    volatile u32 *out = (volatile u32 *)arg;
    struct cpuid_regs r = cpuid(0, 0); /* exits; the runner emulates it */
    out[0] = r.ebx;
    out[1] = 0x600d;
}

void test_basic(struct cpu *c)
{
    volatile u32 out[2] = { 0, 0 };
    vcpu_reset(c, guest_basic, (uintptr_t)out);
    u32 reason = guest_run(c, NULL, NULL);
    CHECK("basic", reason == EXIT_REASON_VMCALL, "last exit %u", reason);
    CHECK("basic", out[1] == 0x600d && out[0] == cpuid(0, 0).ebx, "guest result %x %x", out[0], out[1]);
    OUTCOME(c, "basic", "exit=%u", reason);
}
