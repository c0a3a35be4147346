/* vmx_host.c - entering VMX root on one CPU and the host-state area every VMCS of ours shares */
#include "vmx_host.h"
#include "layout.h"
#include "trap.h"
#include "vmx_entry.h"
#include "x86.h"

enum vmx_enable_result vmx_enable_cpu(const struct vmx_fixed *f, u32 revision, void *region, bool xsave)
{
    u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & 1)) {
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc | 1 | 4); /* lock, VMX outside SMX */
        fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    }
    if (!(fc & 4)) return VMX_LOCKED_OFF;
    write_cr0((read_cr0() | (uintptr_t)f->cr0_fixed0) & (uintptr_t)f->cr0_fixed1);
    uintptr_t cr4 = read_cr4() | (uintptr_t)f->cr4_fixed0 | CR4_VMXE;
    if (xsave && (cpuid(1, 0).ecx & BIT(26))) cr4 |= BIT(18);
    write_cr4(cr4 & (uintptr_t)f->cr4_fixed1);
    *(volatile u32 *)region = revision & 0x7fffffff;
    return vmxon((u64)(uintptr_t)region) == VMX_OK ? VMX_ENABLED : VMX_VMXON_FAILED;
}

void vmcs_write_host_state(unsigned cpu, uintptr_t gs_base, bool load_efer, bool load_pat)
{
    vmcs_writenat(VMCS_HOST_CR0, read_cr0());
    vmcs_writenat(VMCS_HOST_CR3, read_cr3());
    vmcs_writenat(VMCS_HOST_CR4, read_cr4());
    vmcs_write16(VMCS_HOST_CS_SEL, SEL_CODE);
    vmcs_write16(VMCS_HOST_SS_SEL, SEL_DATA);
    vmcs_write16(VMCS_HOST_DS_SEL, SEL_DATA);
    vmcs_write16(VMCS_HOST_ES_SEL, SEL_DATA);
    vmcs_write16(VMCS_HOST_FS_SEL, 0);
    vmcs_write16(VMCS_HOST_GS_SEL, 0);
    vmcs_write16(VMCS_HOST_TR_SEL, tss_selector(cpu));
    vmcs_writenat(VMCS_HOST_FS_BASE, 0);
    vmcs_writenat(VMCS_HOST_GS_BASE, gs_base);
    vmcs_writenat(VMCS_HOST_TR_BASE, tss_base(cpu));
    vmcs_writenat(VMCS_HOST_GDTR_BASE, gdt_base());
    vmcs_writenat(VMCS_HOST_IDTR_BASE, idt_base());
    vmcs_write32(VMCS_HOST_IA32_SYSENTER_CS, 0);
    vmcs_writenat(VMCS_HOST_IA32_SYSENTER_ESP, 0);
    vmcs_writenat(VMCS_HOST_IA32_SYSENTER_EIP, 0);
    vmcs_writenat(VMCS_HOST_RIP, (uintptr_t)vmx_exit_label);
    if (load_efer) vmcs_write64(VMCS_HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
    if (load_pat) vmcs_write64(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
}
