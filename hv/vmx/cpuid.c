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
        /* EAX = this nestvisor's level (0 = on hardware), EBX = its base in MiB, ECX/EDX:
         * whether L1 may read its current VMCS from the region (pv_vmcs.c) */
        r = (struct cpuid_regs){ vm.level, (u32)(HV_BASE >> 20), 0, 0 };
        pv_vmcs_cpuid(&r.ecx, &r.edx);
    } else {
        r = cpuid(leaf, sub);
        /* CPUID runs here in VMX root, so the bits that mirror CR4 report nestvisor's CR4
         * (OSXSAVE on, PKE off), not the guest's: answer from the guest's CR4 (SDM Vol. 2A,
         * CPUID, Table 3-10: ECX[27] OSXSAVE = CR4.OSXSAVE; leaf 07H ECX[4] OSPKE = CR4.PKE).
         * Both bits are guest-owned (not in the CR4 guest/host mask): VMCS guest CR4 holds
         * them. Linux clears CR4.OSXSAVE when it rejects XSAVE (Bochs's skylake model gives
         * an inconsistent leaf 0DH); user space that then saw OSXSAVE=1 ran XGETBV: #UD. */
        uintptr_t cr4 = vmcs_readnat(VMCS_GUEST_CR4);
        if (leaf == 1) {
            r.ecx |= BIT(31);  /* a hypervisor is present; VMX (bit 5) stays: L1 gets nested VMX */
            r.ecx &= ~BIT(27);
            if ((r.ecx & BIT(26)) && (cr4 & CR4_OSXSAVE)) r.ecx |= BIT(27);
        }
        if (leaf == 7 && sub == 0) {
            r.ecx &= ~BIT(4);
            if ((r.ecx & BIT(3)) && (cr4 & CR4_PKE)) r.ecx |= BIT(4);
        }
        /* CPUID.06H (APERF/MPERF, ECX[0]) passes through: the MSRs are not intercepted. */
    }
    p->regs.ax = r.eax;
    p->regs.bx = r.ebx;
    p->regs.cx = r.ecx;
    p->regs.dx = r.edx;
    skip_instruction();
}
