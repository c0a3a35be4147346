/* inject.c - event injection into L1 (SDM 26.6) and instruction skipping */
#include "hv.h"

void skip_instruction(void) { skip_instruction_len(vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN)); }

void skip_instruction_len(unsigned len)
{
    vmcs_writenat(VMCS_GUEST_RIP, vmcs_readnat(VMCS_GUEST_RIP) + len);
    /* an emulated instruction ends STI/MOV-SS blocking (SDM 25.4.2) */
    u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
        vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

u64 guest_gpr_read(struct pcpu *p, unsigned n)
{
    if (n == 4) return vmcs_readnat(VMCS_GUEST_RSP);
    uintptr_t *g = guest_gpr(&p->regs, n);
    return g ? *g : 0;
}

void guest_gpr_write(struct pcpu *p, unsigned n, uintptr_t v)
{
    if (n == 4) { vmcs_writenat(VMCS_GUEST_RSP, v); return; }
    uintptr_t *g = guest_gpr(&p->regs, n);
    if (g) *g = v;
}

/* L0 resumes an access that faulted (an EPT violation it resolved) without the guest
 * knowing: the instruction did not complete, so no single-step trap can be pending for
 * it (one pending from before the entry was delivered before the instruction began).
 * Bochs 2.7 saves BS = 1 on such exits when RFLAGS.TF = 1 and the re-entry then delivered
 * the #DB without running the instruction: nestvisor-as-L1 single-stepping L2's xAPIC
 * read looped forever (hv-hv-lhv). SDM 27.3.4, 26.6.3. */
void resume_faulted_access(void)
{
    uintptr_t pend = vmcs_readnat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS);
    if (pend & BIT(14)) vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, pend & ~(uintptr_t)BIT(14));
}

void inject_exception(u8 vector, bool has_error, u32 error)
{
    u32 info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;
    /* in real mode no error code is pushed (SDM 26.2.1.3) */
    bool pe = vmcs_readnat(VMCS_GUEST_CR0) & 1;
    if (has_error && pe) {
        info |= INTR_INFO_DELIVER_EC;
        vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR_CODE, error);
    }
    vmcs_write32(VMCS_ENTRY_INTR_INFO, info);
}

void inject_ud(void) { inject_exception(6, false, 0); }
void inject_gp0(void) { inject_exception(13, true, 0); }
