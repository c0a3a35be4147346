/* vmcs_cycle.c - VMCLEAR/VMPTRLD/VMLAUNCH/VMRESUME/VMXOFF cycling and their VMfail answers (SDM 31.3) */
#include "lhv.h"
#include "format.h"

static void guest_nop(uintptr_t unused) { (void)unused; }

static const char *status_str(enum vmx_status s, char *buf, size_t n)
{
    if (s == VMX_OK) return "ok";
    if (s == VMX_FAIL_INVALID) return "fail-invalid";
    nv_snprintf(buf, n, "fail-valid(%u)", vmx_instruction_error());
    return buf;
}

/* Records one step: its outcome line and a check against what the SDM requires. */
static void step(struct cpu *c, const char *what, enum vmx_status s, enum vmx_status want, u32 want_err)
{
    const char *T = "vmcs_cycle";
    char buf[24];
    u32 err = s == VMX_FAIL_VALID ? vmx_instruction_error() : 0;
    const char *got = status_str(s, buf, sizeof buf);
    CHECK(T, s == want && err == want_err, "%s: %s (SDM: status %d error %u)", what, got, want, want_err);
    OUTCOME(c, T, "%s -> %s", what, got);
}

void test_vmcs_cycle(struct cpu *c)
{
    const char *T = "vmcs_cycle";
    struct vcpu *v = &c->vcpu;
    u32 rev = (u32)caps.basic & 0x7fffffff;

    vcpu_reset(c, guest_nop, 0);
    u32 r = guest_run(c, NULL, NULL);
    CHECK(T, r == EXIT_REASON_VMCALL, "first launch: exit %u", r);
    /* VMLAUNCH of a launched VMCS: VMfailValid(4) */
    vmcs_write_guest_start(c, guest_nop, 0);
    step(c, "vmlaunch-launched", vmx_enter(&v->regs, 0), VMX_FAIL_VALID, VMXERR_VMLAUNCH_NOT_CLEAR);
    /* VMCLEAR makes it clear: VMRESUME then fails with 5; VMCLEAR also leaves no current VMCS */
    step(c, "vmclear", vmclear(v->vmcs_pa), VMX_OK, 0);
    u64 cur = 0;
    step(c, "vmptrst-after-vmclear", vmptrst(&cur), VMX_OK, 0);
    CHECK(T, cur == ~0ull, "VMPTRST after VMCLEAR of the current VMCS gave 0x%llx", (unsigned long long)cur);
    step(c, "vmptrld", vmptrld(v->vmcs_pa), VMX_OK, 0);
    step(c, "vmptrst", vmptrst(&cur), VMX_OK, 0);
    CHECK(T, cur == v->vmcs_pa, "VMPTRST gave 0x%llx", (unsigned long long)cur);
    step(c, "vmresume-clear", vmx_enter(&v->regs, 1), VMX_FAIL_VALID, VMXERR_VMRESUME_NOT_LAUNCHED);
    /* VMLAUNCH after VMCLEAR works again */
    v->launched = false;
    vmcs_write_guest_start(c, guest_nop, 0);
    r = guest_run(c, NULL, NULL);
    CHECK(T, r == EXIT_REASON_VMCALL, "relaunch after VMCLEAR: exit %u", r);
    OUTCOME(c, T, "relaunch-after-vmclear exit=%u", r);
    /* VMPTRLD / VMCLEAR of the VMXON region: errors 10 and 3 */
    step(c, "vmptrld-vmxon-region", vmptrld(c->vmxon_pa), VMX_FAIL_VALID, VMXERR_VMPTRLD_VMXON_PTR);
    step(c, "vmclear-vmxon-region", vmclear(c->vmxon_pa), VMX_FAIL_VALID, VMXERR_VMCLEAR_VMXON_PTR);
    /* VMPTRLD of a region with the wrong revision: error 11 */
    u32 *shadow = c->shadow_vmcs;
    shadow[0] = rev ^ 1;
    step(c, "vmptrld-bad-revision", vmptrld(va_to_pa(shadow)), VMX_FAIL_VALID, VMXERR_VMPTRLD_BAD_REVISION);
    /* VMPTRLD of a misaligned address: error 9 */
    step(c, "vmptrld-misaligned", vmptrld(v->vmcs_pa + 8), VMX_FAIL_VALID, VMXERR_VMPTRLD_INVALID_ADDR);
    /* VMXON while in VMX operation: error 15 */
    step(c, "vmxon-in-root", vmxon(c->vmxon_pa), VMX_FAIL_VALID, VMXERR_VMXON_IN_ROOT);
    /* VMXOFF and back on; the VMCS (cleared first, as the SDM asks) launches again */
    step(c, "vmclear-before-vmxoff", vmclear(v->vmcs_pa), VMX_OK, 0);
    step(c, "vmxoff", vmxoff(), VMX_OK, 0);
    step(c, "vmxon", vmxon(c->vmxon_pa), VMX_OK, 0);
    step(c, "vmptrst-after-vmxon", vmptrst(&cur), VMX_OK, 0);
    CHECK(T, cur == ~0ull, "VMPTRST after VMXON gave 0x%llx", (unsigned long long)cur);
    /* no current VMCS: VMfailInvalid */
    step(c, "vmresume-no-current", vmx_enter(&v->regs, 1), VMX_FAIL_INVALID, 0);
    step(c, "vmptrld-again", vmptrld(v->vmcs_pa), VMX_OK, 0);
    v->launched = false;
    vmcs_write_guest_start(c, guest_nop, 0);
    r = guest_run(c, NULL, NULL);
    CHECK(T, r == EXIT_REASON_VMCALL, "launch after VMXOFF/VMXON: exit %u", r);
    OUTCOME(c, T, "launch-after-vmxoff-vmxon exit=%u", r);
}
