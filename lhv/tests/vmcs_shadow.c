/* vmcs_shadow.c - VMCS shadowing: the guest's VMREAD/VMWRITE hit a shadow VMCS without exits (SDM 24.10, 25.6.15) */
#include "lhv.h"
#include "mem.h"

bool supports_vmcs_shadow(void) { return has_proc2(SEC_VMCS_SHADOWING); }

#define SHADOWED_FIELD VMCS_GUEST_ES_SEL   /* bit clear in both bitmaps: no exit */
#define EXITING_FIELD VMCS_GUEST_CS_SEL    /* bit set: VMREAD exits */

static void guest_vmrw(uintptr_t arg)
{
    volatile uintptr_t *out = (volatile uintptr_t *)arg;
    uintptr_t v = 0;
    out[0] = vmwrite_raw(SHADOWED_FIELD, 0x1234);
    out[1] = vmread_raw(SHADOWED_FIELD, &v);
    out[2] = v;
    out[3] = vmread_raw(EXITING_FIELD, &v); /* exits: the host skips it */
}

static enum exit_action shadow_exit(struct cpu *c, u32 reason, void *p)
{
    unsigned *n = p;
    if (reason == EXIT_REASON_VMREAD || reason == EXIT_REASON_VMWRITE) {
        (*n)++;
        (void)c;
        guest_skip_instruction();
        return EXIT_RESUME;
    }
    return EXIT_UNHANDLED;
}

void test_vmcs_shadow(struct cpu *c)
{
    const char *T = "vmcs_shadow";
    u32 rev = (u32)caps.basic & 0x7fffffff;
    u64 shadow_pa = va_to_pa(c->shadow_vmcs);
    /* The shadow VMCS: revision with bit 31 set (SDM 24.2), cleared, then launched-state clear. */
    PANIC_ON(vmclear(shadow_pa) != VMX_OK);
    *(volatile u32 *)c->shadow_vmcs = rev | 0x80000000u;
    volatile uintptr_t out[4] = { 9, 9, 0, 9 };
    unsigned exits = 0;
    u8 *rd = c->vmrw_bitmap, *wr = rd + PAGE_SIZE;
    memset(rd, 0xff, PAGE_SIZE);
    memset(wr, 0xff, PAGE_SIZE);
    rd[(SHADOWED_FIELD & 0x7fff) / 8] &= (u8)~(1u << (SHADOWED_FIELD % 8));
    wr[(SHADOWED_FIELD & 0x7fff) / 8] &= (u8)~(1u << (SHADOWED_FIELD % 8));
    vcpu_reset(c, guest_vmrw, (uintptr_t)out);
    vmcs_write32(VMCS_SECONDARY_CONTROLS, vmcs_read32(VMCS_SECONDARY_CONTROLS) | SEC_VMCS_SHADOWING);
    vmcs_write64(VMCS_VMREAD_BITMAP, va_to_pa(rd));
    vmcs_write64(VMCS_VMWRITE_BITMAP, va_to_pa(wr));
    vmcs_write64(VMCS_VMCS_LINK_POINTER, shadow_pa);
    u32 r = guest_run(c, shadow_exit, &exits);
    /* read the shadow VMCS back as the host */
    u64 in_shadow = 0;
    PANIC_ON(vmptrld(shadow_pa) != VMX_OK);
    enum vmx_status s = vmcs_read_any(SHADOWED_FIELD, &in_shadow);
    PANIC_ON(vmptrld(c->vcpu.vmcs_pa) != VMX_OK);
    CHECK(T, r == EXIT_REASON_VMCALL, "exit %u", r);
    CHECK(T, out[0] == VMX_OK && out[1] == VMX_OK && out[2] == 0x1234, "guest vmwrite %lu vmread %lu value 0x%lx",
          (unsigned long)out[0], (unsigned long)out[1], (unsigned long)out[2]);
    CHECK(T, exits == 1, "%u VMREAD/VMWRITE exits, expected 1 (the unshadowed field)", exits);
    CHECK(T, s == VMX_OK && in_shadow == 0x1234, "shadow VMCS holds 0x%llx", (unsigned long long)in_shadow);
    OUTCOME(c, T, "guest_vmwrite=%lu guest_vmread=%lu value=0x%lx vmrw_exits=%u shadow_value=0x%llx",
            (unsigned long)out[0], (unsigned long)out[1], (unsigned long)out[2], exits, (unsigned long long)in_shadow);
}
