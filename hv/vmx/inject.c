/* inject.c - event injection into L1 (SDM 26.6) and instruction skipping */
#include "hv.h"

void skip_instruction(void)
{
    vmcs_writenat(VMCS_GUEST_RIP, vmcs_readnat(VMCS_GUEST_RIP) + vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN));
    /* an emulated instruction ends STI/MOV-SS blocking (SDM 25.4.2) */
    u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
        vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
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
