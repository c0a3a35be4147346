/* cr.c - MOV to CR0/CR4 and LMSW for the bits nestvisor owns (CR0.NE, CR4.VMXE, and in L1's VMX operation its fixed bits) (SDM 27.1.3, 28.3) */
#include "hv.h"
#include "x86.h"

/* Long-mode activation follows CR0.PG when the guest's write exited (SDM 10.8.5):
 * the CPU would have set EFER.LMA and the guest would be in IA-32e mode. */
static void update_lma(uintptr_t old_cr0, uintptr_t new_cr0)
{
    u64 efer = vmcs_read64(VMCS_GUEST_IA32_EFER);
    u32 entry = vmcs_read32(VMCS_ENTRY_CONTROLS);
    if (!(old_cr0 & CR0_PG) && (new_cr0 & CR0_PG) && (efer & EFER_LME)) {
        vmcs_write64(VMCS_GUEST_IA32_EFER, efer | EFER_LMA);
        vmcs_write32(VMCS_ENTRY_CONTROLS, entry | ENTRY_IA32E_MODE);
    } else if ((old_cr0 & CR0_PG) && !(new_cr0 & CR0_PG) && (efer & EFER_LMA)) {
        vmcs_write64(VMCS_GUEST_IA32_EFER, efer & ~EFER_LMA);
        vmcs_write32(VMCS_ENTRY_CONTROLS, entry & ~ENTRY_IA32E_MODE);
    }
}

/* PAE paging without long mode takes its PDPTEs from the VMCS on entry (SDM 26.3.2.4). */
void guest_load_pdptes(void)
{
    uintptr_t cr0 = vmcs_readnat(VMCS_GUEST_CR0), cr4 = vmcs_readnat(VMCS_GUEST_CR4);
    if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || (vmcs_read64(VMCS_GUEST_IA32_EFER) & EFER_LMA)) return;
    /* through l1_read: where nestvisor lives the guest sees the decoy page, as EPT01
     * shows it; never L0's memory or a device */
    u64 pdpt[4];
    l1_read(vmcs_readnat(VMCS_GUEST_CR3) & 0xffffffe0u, pdpt, sizeof pdpt);
    vmcs_write64(VMCS_GUEST_PDPTE0, pdpt[0]);
    vmcs_write64(VMCS_GUEST_PDPTE1, pdpt[1]);
    vmcs_write64(VMCS_GUEST_PDPTE2, pdpt[2]);
    vmcs_write64(VMCS_GUEST_PDPTE3, pdpt[3]);
}

static void guest_write_cr0(uintptr_t v)
{
    uintptr_t old = vmcs_readnat(VMCS_GUEST_CR0);
    if ((v & CR0_PG) && !(v & CR0_PE)) { inject_gp0(); return; }     /* SDM 2.5 */
    if ((v & CR0_NW) && !(v & CR0_CD)) { inject_gp0(); return; }
    /* in VMX operation CR0 must keep the bits IA32_VMX_CR0_FIXED0 fixes (SDM 24.8) */
    if (this_pcpu()->nested.vmxon && (v & caps.cr0_fixed0) != caps.cr0_fixed0) { inject_gp0(); return; }
    vmcs_writenat(VMCS_CR0_READ_SHADOW, v);
    vmcs_writenat(VMCS_GUEST_CR0, v | CR0_NE);
    update_lma(old, v);
    guest_load_pdptes();
    skip_instruction();
}

static void guest_write_cr4(uintptr_t v)
{
    if (v & ~(uintptr_t)caps.cr4_fixed1) { inject_gp0(); return; }
    /* SDM 24.8: CR4.VMXE cannot be cleared in VMX operation */
    if (this_pcpu()->nested.vmxon && !(v & CR4_VMXE)) { inject_gp0(); return; }
    vmcs_writenat(VMCS_CR4_READ_SHADOW, v);
    vmcs_writenat(VMCS_GUEST_CR4, v | CR4_VMXE);
    guest_load_pdptes();
    skip_instruction();
}

void handle_cr_access(struct pcpu *p)
{
    uintptr_t q = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
    if (type == 0 && cr == 0) { guest_write_cr0((uintptr_t)guest_gpr_read(p, reg)); return; }
    if (type == 0 && cr == 4) { guest_write_cr4((uintptr_t)guest_gpr_read(p, reg)); return; }
    if (type == 3) { /* LMSW: bits 3:0 only, and it cannot clear PE */
        uintptr_t shadow = vmcs_readnat(VMCS_CR0_READ_SHADOW);
        uintptr_t src = (q >> 16) & 0xf;
        guest_write_cr0((shadow & ~(uintptr_t)0xe) | src | (shadow & 1));
        return;
    }
    cprintf("unexpected CR access exit: qualification 0x%lx", (unsigned long)q);
    vm_report_and_end("FAIL unexpected CR access");
}

/* L1 enters or leaves VMX operation: while in it, L0 also owns CR0's fixed-1 bits (PE,
 * PG under unrestricted guest would otherwise be L1's to clear without an exit). */
void nested_l1_vmx_mode(struct pcpu *p, bool on)
{
    (void)p;
    uintptr_t mask = vmcs_readnat(VMCS_CR0_GUEST_HOST_MASK);
    uintptr_t visible = (vmcs_readnat(VMCS_GUEST_CR0) & ~mask) | (vmcs_readnat(VMCS_CR0_READ_SHADOW) & mask);
    uintptr_t want = CR0_NE | (on ? (uintptr_t)caps.cr0_fixed0 & (CR0_PE | CR0_PG) : 0);
    vmcs_writenat(VMCS_CR0_READ_SHADOW, visible);
    vmcs_writenat(VMCS_CR0_GUEST_HOST_MASK, want);
}
