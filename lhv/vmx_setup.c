/* vmx_setup.c - VMX capabilities, VMXON per CPU, and the default VMCS of a test guest */
#include "lhv.h"
#include "mem.h"
#include "trap.h"
#include "vmx_host.h"
#include "x86.h"

struct vmx_caps caps;
struct ept ept_default;

static void read_caps(void)
{
    caps.basic = rdmsr(MSR_IA32_VMX_BASIC);
    caps.true_ctls = caps.basic & BIT(55);
    /* SDM A.3: with bit 55 set the TRUE_* MSRs give the real allowed-0 settings. */
    caps.pin = rdmsr(caps.true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
    caps.proc = rdmsr(caps.true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
    caps.exit = rdmsr(caps.true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
    caps.entry = rdmsr(caps.true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
    caps.misc = rdmsr(MSR_IA32_VMX_MISC);
    caps.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    caps.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    caps.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    caps.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    if (caps.proc >> 32 & PROC_ACTIVATE_SECONDARY) {
        caps.proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
        if (caps.proc2 >> 32 & (SEC_ENABLE_EPT | SEC_ENABLE_VPID))
            caps.ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    }
}

void lhv_global_init(void)
{
    if (!(cpuid(1, 0).ecx & BIT(5))) {
        test_fail("vmx", "CPUID.1:ECX.VMX is 0: this CPU has no VMX");
        panic_stop();
    }
    read_caps();
    cprintf("VMX basic 0x%llx pin 0x%llx proc 0x%llx proc2 0x%llx exit 0x%llx entry 0x%llx ept_vpid 0x%llx",
            (unsigned long long)caps.basic, (unsigned long long)caps.pin, (unsigned long long)caps.proc,
            (unsigned long long)caps.proc2, (unsigned long long)caps.exit,
            (unsigned long long)caps.entry, (unsigned long long)caps.ept_vpid);
    if (has_ept()) {
        /* 4 GiB covers RAM (LHV profiles) and the APIC/IO-APIC MMIO at the top. */
        ept_build_identity(&ept_default, &mtrrs, 1ull << 32, 2ull << 20);
        cprintf("EPT identity map: %u table pages", ept_default.pages);
    }
    lhv_tests_init();
}

void vmx_cpu_on(struct cpu *c)
{
    struct vmx_fixed f = { caps.cr0_fixed0, caps.cr0_fixed1, caps.cr4_fixed0, caps.cr4_fixed1 };
    c->vmxon = page_alloc(1);
    c->vmxon_pa = va_to_pa(c->vmxon);
    enum vmx_enable_result r = vmx_enable_cpu(&f, (u32)caps.basic, c->vmxon, false);
    if (r != VMX_ENABLED) {
        test_fail("vmx", r == VMX_LOCKED_OFF ? "IA32_FEATURE_CONTROL forbids VMXON" : "VMXON failed");
        panic_stop();
    }
    c->vcpu.vmcs = page_alloc(1);
    c->vcpu.vmcs_pa = va_to_pa(c->vcpu.vmcs);
    c->shadow_vmcs = page_alloc(1);
    c->msr_bitmap = page_alloc(1);
    c->msr_area = page_alloc(1);
    c->vmrw_bitmap = page_alloc(2);
    u8 *gs = page_alloc_aligned(STACK_SIZE / PAGE_SIZE, STACK_SIZE);
    ((struct stack_hdr *)gs)->cpu = c;
    c->guest_stack_top = (uintptr_t)gs + STACK_SIZE;
    if (c->index == 0) cprintf("VMXON ok on every CPU that prints no failure; VMCS revision 0x%x",
                               (u32)caps.basic & 0x7fffffff);
}

static u32 seg_ar(u16 sel)
{
    u32 ar = lar(sel);
    if (ar & 0x10) ar |= 1; /* code/data: the CPU sets 'accessed' on load; VM entry wants it */
    return ar;
}

static void write_guest_state(struct cpu *c)
{
    vmcs_writenat(VMCS_GUEST_CR0, read_cr0());
    vmcs_writenat(VMCS_GUEST_CR3, read_cr3());
    vmcs_writenat(VMCS_GUEST_CR4, read_cr4());
    vmcs_writenat(VMCS_CR0_READ_SHADOW, read_cr0());
    vmcs_writenat(VMCS_CR4_READ_SHADOW, read_cr4());
    u32 code_ar = seg_ar(SEL_CODE), data_ar = seg_ar(SEL_DATA);
    VMCS_WRITE_GUEST_SEG(CS, SEL_CODE, 0, 0xffffffff, code_ar);
    VMCS_WRITE_GUEST_SEG(SS, SEL_DATA, 0, 0xffffffff, data_ar);
    VMCS_WRITE_GUEST_SEG(DS, SEL_DATA, 0, 0xffffffff, data_ar);
    VMCS_WRITE_GUEST_SEG(ES, SEL_DATA, 0, 0xffffffff, data_ar);
    VMCS_WRITE_GUEST_SEG(FS, SEL_DATA, 0, 0xffffffff, data_ar);
    VMCS_WRITE_GUEST_SEG(GS, SEL_DATA, 0, 0xffffffff, data_ar);
    VMCS_WRITE_GUEST_SEG(TR, tss_selector(c->index), tss_base(c->index), 103, lar(tss_selector(c->index)));
    VMCS_WRITE_GUEST_SEG(LDTR, 0, 0, 0, 0x10000); /* unusable */
    vmcs_writenat(VMCS_GUEST_GDTR_BASE, gdt_base());
    vmcs_write32(VMCS_GUEST_GDTR_LIMIT, (SEL_TSS0 + GDT_MAX_CPUS * GDT_TSS_SLOT) - 1);
    vmcs_writenat(VMCS_GUEST_IDTR_BASE, idt_base());
    vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 256 * (sizeof(uintptr_t) * 2) - 1);
    vmcs_writenat(VMCS_GUEST_DR7, 0x400);
    vmcs_writenat(VMCS_GUEST_RFLAGS, 0x2);
    vmcs_write64(VMCS_VMCS_LINK_POINTER, ~0ull);
    vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, 0);
    vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
    vmcs_write32(VMCS_GUEST_IA32_SYSENTER_CS, 0);
    vmcs_writenat(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
    vmcs_writenat(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
    vmcs_write64(VMCS_GUEST_IA32_DEBUGCTL, 0);
    if (has_entry(ENTRY_LOAD_EFER)) vmcs_write64(VMCS_GUEST_IA32_EFER, rdmsr(MSR_IA32_EFER));
}

static void write_controls(struct cpu *c)
{
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, vmx_adjust_controls(caps.pin, 0));
    u32 proc = vmx_adjust_controls(caps.proc, PROC_HLT_EXITING | PROC_USE_MSR_BITMAPS | PROC_ACTIVATE_SECONDARY);
    vmcs_write32(VMCS_PROC_BASED_CONTROLS, proc);
    if (proc & PROC_ACTIVATE_SECONDARY)
        vmcs_write32(VMCS_SECONDARY_CONTROLS, vmx_adjust_controls(caps.proc2, has_ept() ? SEC_ENABLE_EPT : 0));
    if (has_ept()) vmcs_write64(VMCS_EPT_POINTER, ept_default.eptp);
    memset(c->msr_bitmap, 0, PAGE_SIZE);
    vmcs_write64(VMCS_MSR_BITMAP, va_to_pa(c->msr_bitmap));
    u32 exit = EXIT_SAVE_EFER | EXIT_LOAD_EFER;
    u32 entry = ENTRY_LOAD_EFER;
#ifdef __x86_64__
    exit |= EXIT_HOST_ADDR_SPACE;
    entry |= ENTRY_IA32E_MODE;
#endif
    vmcs_write32(VMCS_EXIT_CONTROLS, vmx_adjust_controls(caps.exit, exit));
    vmcs_write32(VMCS_ENTRY_CONTROLS, vmx_adjust_controls(caps.entry, entry));
    vmcs_write32(VMCS_EXCEPTION_BITMAP, 0);
    vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
    vmcs_writenat(VMCS_CR0_GUEST_HOST_MASK, 0);
    vmcs_writenat(VMCS_CR4_GUEST_HOST_MASK, 0);
    vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
}

void vmcs_write_guest_start(struct cpu *c, void (*fn)(uintptr_t), uintptr_t arg)
{
    extern void guest_trampoline(void);
    c->guest_fn = fn;
    c->guest_arg = arg;
    vmcs_writenat(VMCS_GUEST_RIP, (uintptr_t)guest_trampoline);
    vmcs_writenat(VMCS_GUEST_RSP, c->guest_stack_top - sizeof(uintptr_t));
    vmcs_writenat(VMCS_GUEST_RFLAGS, 0x2);
}

void vcpu_reset(struct cpu *c, void (*fn)(uintptr_t), uintptr_t arg)
{
    struct vcpu *v = &c->vcpu;
    PANIC_ON(vmclear(v->vmcs_pa) != VMX_OK);
    *(volatile u32 *)v->vmcs = (u32)caps.basic & 0x7fffffff; /* not current: plain store is fine */
    PANIC_ON(vmptrld(v->vmcs_pa) != VMX_OK);
    v->launched = false;
    memset(&v->regs, 0, sizeof v->regs);
    write_controls(c);
    vmcs_write_host_state(c->index, 0, has_exit(EXIT_LOAD_EFER), false);
    write_guest_state(c);
    vmcs_write_guest_start(c, fn, arg);
}
