/* vmcs01.c - VMX capabilities, VMXON, and VMCS01: the controls, host state and reset guest state of L1 */
#include "hv.h"
#include "mem.h"
#include "page_alloc.h"
#include "trap.h"
#include "vmx_host.h"
#include "x86.h"

struct vmx_caps caps;

void vmx_read_caps(void)
{
    if (!(cpuid(1, 0).ecx & BIT(5))) PANIC("this CPU has no VMX (CPUID.1:ECX.VMX = 0)");
    caps.basic = rdmsr(MSR_IA32_VMX_BASIC);
    bool t = caps.basic & BIT(55); /* SDM A.1: TRUE_* MSRs exist */
    caps.pin = rdmsr(t ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
    caps.proc = rdmsr(t ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
    caps.exit = rdmsr(t ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
    caps.entry = rdmsr(t ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
    caps.misc = rdmsr(MSR_IA32_VMX_MISC);
    caps.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    caps.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    caps.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    caps.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    if (caps.proc >> 32 & PROC_ACTIVATE_SECONDARY) caps.proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
    if (caps.proc2 >> 32 & (SEC_ENABLE_EPT | SEC_ENABLE_VPID)) caps.ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    if (!cap_proc2(SEC_ENABLE_EPT) || !cap_proc2(SEC_UNRESTRICTED_GUEST))
        PANIC("nestvisor needs EPT and unrestricted guest (secondary controls 0x%llx)", (unsigned long long)caps.proc2);
    if (!(caps.pin >> 32 & PIN_VIRTUAL_NMIS)) PANIC("nestvisor needs virtual NMIs");
}

void vmx_cpu_on(struct pcpu *p)
{
    struct vmx_fixed f = { caps.cr0_fixed0, caps.cr0_fixed1, caps.cr4_fixed0, caps.cr4_fixed1 };
    void *region = page_alloc(1);
    enum vmx_enable_result r = vmx_enable_cpu(&f, (u32)caps.basic, region, true);
    if (r == VMX_LOCKED_OFF) PANIC("IA32_FEATURE_CONTROL forbids VMXON (BIOS: enable VT-x)");
    if (r != VMX_ENABLED) PANIC("VMXON failed");
    p->vmcs01 = page_alloc(1);
    p->vmcs01_pa = va_to_pa(p->vmcs01);
    p->apic_scratch = page_alloc(1);
    p->vmxon_pa = va_to_pa(region);
    __atomic_store_n(&p->vmxon, region, __ATOMIC_RELEASE);
}

/* SDM 25.6-25.8; values from the capability MSRs (SDM A.3-A.5) and explicit wants. */
static void write_controls(struct pcpu *p)
{
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, vmx_adjust_controls(caps.pin, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS));
    vmcs_write32(VMCS_PROC_BASED_CONTROLS, vmx_adjust_controls(caps.proc,
                 PROC_HLT_EXITING | PROC_USE_MSR_BITMAPS | PROC_USE_IO_BITMAPS | PROC_ACTIVATE_SECONDARY));
    u32 sec = SEC_ENABLE_EPT | SEC_UNRESTRICTED_GUEST | SEC_ENABLE_RDTSCP | SEC_ENABLE_INVPCID | SEC_ENABLE_XSAVES;
    if (cap_proc2(SEC_ENABLE_VPID)) sec |= SEC_ENABLE_VPID;
    vmcs_write32(VMCS_SECONDARY_CONTROLS, vmx_adjust_controls(caps.proc2, sec));
    if (cap_proc2(SEC_ENABLE_VPID)) vmcs_write16(VMCS_VPID, (u16)(p->index + 1));
    vmcs_write32(VMCS_EXIT_CONTROLS, vmx_adjust_controls(caps.exit, EXIT_HOST_ADDR_SPACE | EXIT_SAVE_EFER |
                 EXIT_LOAD_EFER | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_DEBUG_CTLS));
    vmcs_write32(VMCS_ENTRY_CONTROLS, vmx_adjust_controls(caps.entry, ENTRY_LOAD_EFER | ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG_CTLS));
    vmcs_write64(VMCS_EPT_POINTER, p->ept.eptp);
    vmcs_write64(VMCS_MSR_BITMAP, va_to_pa(vm.msr_bitmap));
    vmcs_write64(VMCS_IO_BITMAP_A, va_to_pa(vm.io_bitmap_a));
    vmcs_write64(VMCS_IO_BITMAP_B, va_to_pa(vm.io_bitmap_b));
    vmcs_write32(VMCS_EXCEPTION_BITMAP, 0);
    vmcs_write32(VMCS_PF_ERROR_CODE_MASK, 0);
    vmcs_write32(VMCS_PF_ERROR_CODE_MATCH, 0);
    vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
    /* CR0.NE and CR4.VMXE are fixed to 1 in VMX operation; the guest sees its own
     * values through the read shadows (SDM 25.6.6). */
    vmcs_writenat(VMCS_CR0_GUEST_HOST_MASK, CR0_NE);
    vmcs_writenat(VMCS_CR4_GUEST_HOST_MASK, CR4_VMXE);
    vmcs_write64(VMCS_VMCS_LINK_POINTER, ~0ull);
}

void vmcs01_setup(struct pcpu *p)
{
    PANIC_ON(vmclear(p->vmcs01_pa) != VMX_OK);
    *(volatile u32 *)p->vmcs01 = (u32)caps.basic & 0x7fffffff;
    vmcs_load(p, p->vmcs01_pa);
    p->launched = false;
    write_controls(p);
    shadow01_vmcs01_reset(p);
    vmcs_write_host_state(p->index, (uintptr_t)p, true, true); /* GS base: this_pcpu() after exits */
}

/* A CPU as after reset (SDM 9.1.1, Table 9-1), in real mode at cs:rip (LAB.md: the
 * state Bochs accepts with unrestricted guest). */
void guest_state_realmode(u16 cs, u32 rip, u32 rdx)
{
    struct pcpu *p = this_pcpu();
    memset(&p->regs, 0, sizeof p->regs);
    p->regs.dx = rdx;
    vmcs_writenat(VMCS_GUEST_CR0, 0x30);        /* ET | NE (NE is ours; the guest sees 0) */
    vmcs_writenat(VMCS_CR0_READ_SHADOW, 0x10);
    vmcs_writenat(VMCS_GUEST_CR3, 0);
    vmcs_writenat(VMCS_GUEST_CR4, CR4_VMXE);
    vmcs_writenat(VMCS_CR4_READ_SHADOW, 0);
    VMCS_WRITE_GUEST_SEG(CS, cs, (u32)cs << 4, 0xffff, 0x9b);
    VMCS_WRITE_GUEST_SEG(SS, 0, 0, 0xffff, 0x93);
    VMCS_WRITE_GUEST_SEG(DS, 0, 0, 0xffff, 0x93);
    VMCS_WRITE_GUEST_SEG(ES, 0, 0, 0xffff, 0x93);
    VMCS_WRITE_GUEST_SEG(FS, 0, 0, 0xffff, 0x93);
    VMCS_WRITE_GUEST_SEG(GS, 0, 0, 0xffff, 0x93);
    VMCS_WRITE_GUEST_SEG(TR, 0, 0, 0xffff, 0x8b);
    VMCS_WRITE_GUEST_SEG(LDTR, 0, 0, 0xffff, 0x82);
    vmcs_writenat(VMCS_GUEST_GDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_GDTR_LIMIT, 0xffff);
    vmcs_writenat(VMCS_GUEST_IDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 0x3ff);
    vmcs_writenat(VMCS_GUEST_RIP, rip);
    vmcs_writenat(VMCS_GUEST_RSP, rip == 0x7c00 ? 0x7c00 : 0);
    vmcs_writenat(VMCS_GUEST_RFLAGS, 0x2);
    vmcs_writenat(VMCS_GUEST_DR7, 0x400);
    vmcs_write64(VMCS_GUEST_IA32_DEBUGCTL, 0);
    vmcs_write64(VMCS_GUEST_IA32_EFER, 0);
    vmcs_write64(VMCS_GUEST_IA32_PAT, 0x0007040600070406ull);
    vmcs_write32(VMCS_GUEST_IA32_SYSENTER_CS, 0);
    vmcs_writenat(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
    vmcs_writenat(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
    vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 0);
    vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
    vmcs_write32(VMCS_ENTRY_CONTROLS, vmcs_read32(VMCS_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE);
}
