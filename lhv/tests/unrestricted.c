/* unrestricted.c - a real-mode guest (CR0.PE=PG=0) under unrestricted guest + EPT (SDM 26.3.1.1, 25.6.2) */
#include "lhv.h"
#include "mem.h"
#include "x86.h"

#define RM_CODE 0x7000u
#define RM_STACK_BASE 0x60000u

extern const u8 rm_guest_start[], rm_guest_end[];

bool supports_unrestricted(void) { return has_ept() && has_proc2(SEC_UNRESTRICTED_GUEST); }

/* Called on the BSP before APs start (all CPUs then run the same copy). */
void unrestricted_init(void)
{
    memcpy((void *)(uintptr_t)RM_CODE, rm_guest_start, (size_t)(rm_guest_end - rm_guest_start));
}

struct rm_report { u32 bx, cr0; bool seen; };

static enum exit_action on_report(struct cpu *c, u32 reason, void *ctx)
{
    struct rm_report *r = ctx;
    if (reason == EXIT_REASON_VMCALL && (u32)c->vcpu.regs.ax == HC_REPORT) {
        r->bx = (u32)c->vcpu.regs.bx;
        r->cr0 = (u32)c->vcpu.regs.cx;
        r->seen = true;
        guest_skip_instruction();
        return EXIT_RESUME;
    }
    return EXIT_UNHANDLED;
}

#define RM_SEG(S, sel, ar)                                   \
    do {                                                     \
        vmcs_write16(VMCS_GUEST_##S##_SEL, sel);             \
        vmcs_writenat(VMCS_GUEST_##S##_BASE, (u32)(sel) << 4); \
        vmcs_write32(VMCS_GUEST_##S##_LIMIT, 0xffff);        \
        vmcs_write32(VMCS_GUEST_##S##_AR, ar);               \
    } while (0)

void test_unrestricted(struct cpu *c)
{
    const char *T = "unrestricted";
    struct rm_report rep = { 0, 0, false };
    vcpu_reset(c, NULL, 0);
    vmcs_write32(VMCS_SECONDARY_CONTROLS, vmcs_read32(VMCS_SECONDARY_CONTROLS) | SEC_UNRESTRICTED_GUEST);
    /* SDM 26.3.1.1: with unrestricted guest, CR0.PE and PG may be 0 (NE stays fixed). */
    u64 cr0 = (caps.cr0_fixed0 & ~(CR0_PE | CR0_PG)) | 0x10; /* ET */
    vmcs_writenat(VMCS_GUEST_CR0, cr0);
    vmcs_writenat(VMCS_CR0_READ_SHADOW, cr0);
    vmcs_writenat(VMCS_GUEST_CR3, 0);
    vmcs_writenat(VMCS_GUEST_CR4, caps.cr4_fixed0);
    vmcs_writenat(VMCS_CR4_READ_SHADOW, 0);
    vmcs_writenat(VMCS_CR4_GUEST_HOST_MASK, caps.cr4_fixed0);
    vmcs_write32(VMCS_ENTRY_CONTROLS, vmcs_read32(VMCS_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE);
    if (vmcs_read32(VMCS_ENTRY_CONTROLS) & ENTRY_LOAD_EFER) vmcs_write64(VMCS_GUEST_IA32_EFER, 0);
    RM_SEG(CS, RM_CODE >> 4, 0x9b);
    RM_SEG(SS, (RM_STACK_BASE >> 4) + c->index * 0x100, 0x93);
    RM_SEG(DS, 0, 0x93);
    RM_SEG(ES, 0, 0x93);
    RM_SEG(FS, 0, 0x93);
    RM_SEG(GS, 0, 0x93);
    vmcs_write16(VMCS_GUEST_TR_SEL, 0);
    vmcs_writenat(VMCS_GUEST_TR_BASE, 0);
    vmcs_write32(VMCS_GUEST_TR_LIMIT, 0xffff);
    vmcs_write32(VMCS_GUEST_TR_AR, 0x8b);
    vmcs_writenat(VMCS_GUEST_GDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_GDTR_LIMIT, 0xffff);
    vmcs_writenat(VMCS_GUEST_IDTR_BASE, 0);
    vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 0x3ff);
    vmcs_writenat(VMCS_GUEST_RIP, 0);
    vmcs_writenat(VMCS_GUEST_RSP, 0xffe);
    vmcs_writenat(VMCS_GUEST_RFLAGS, 0x2);
    u32 r = guest_run(c, on_report, &rep);
    CHECK(T, r == EXIT_REASON_VMCALL && rep.seen, "exit %u, report seen %d", r, rep.seen);
    CHECK(T, rep.bx == 0x2345, "real-mode arithmetic gave 0x%x", rep.bx);
    CHECK(T, !(rep.cr0 & 1), "guest CR0 0x%x has PE", rep.cr0);
    OUTCOME(c, T, "exit=%u bx=0x%x guest_cr0.pe=%u", r, rep.bx, rep.cr0 & 1);
}
