/* cpuid.c - CPUID for the guest: the CPU's answer (VMX offered: hv/nested emulates it), plus nestvisor's hypervisor leaves */
#include "hv.h"
#include "mem.h"
#include "x86.h"

void handle_cpuid(struct pcpu *p)
{
    u32 leaf = (u32)p->regs.ax, sub = (u32)p->regs.cx;
    struct cpuid_regs r;
    if (leaf == CPUID_HV_LEAF) {
        r.eax = CPUID_HV_LEAF + 1;
        memcpy(&r.ebx, CPUID_HV_SIGNATURE, 4);
        memcpy(&r.ecx, CPUID_HV_SIGNATURE + 4, 4);
        memcpy(&r.edx, CPUID_HV_SIGNATURE + 8, 4);
    } else if (leaf == CPUID_HV_LEAF + 1) {
        /* EAX = this nestvisor's level (0 = on hardware), EBX = its base in MiB */
        r = (struct cpuid_regs){ vm.level, (u32)(HV_BASE >> 20), 0, 0 };
    } else {
        r = cpuid(leaf, sub);
        if (leaf == 1) {
            r.ecx |= BIT(31);  /* a hypervisor is present; VMX (bit 5) stays: L1 gets nested VMX */
        }
        /* CPUID.06H (APERF/MPERF, ECX[0]) passes through: the MSRs are not intercepted. */
    }
    p->regs.ax = r.eax;
    p->regs.bx = r.ebx;
    p->regs.cx = r.ecx;
    p->regs.dx = r.edx;
    skip_instruction();
}
