/* vpid.c - VPID-tagged guest and INVVPID with its error cases (SDM 31.3 "INVVPID", 29.4) */
#include "lhv.h"
#include "format.h"

bool supports_vpid(void) { return has_proc2(SEC_ENABLE_VPID) && (caps.ept_vpid & VPIDCAP_INVVPID); }

static void guest_nop(uintptr_t unused) { (void)unused; }

/* One INVVPID; returns "ok", or "fail-invalid", or "fail-valid(N)". */
static const char *try_invvpid(unsigned type, u64 lo, u64 hi, char *buf, size_t n, u32 *err)
{
    struct inv_desc d = { lo, hi };
    enum vmx_status s = invvpid(type, &d);
    *err = s == VMX_FAIL_VALID ? vmx_instruction_error() : 0;
    if (s == VMX_OK) return "ok";
    if (s == VMX_FAIL_INVALID) return "fail-invalid";
    nv_snprintf(buf, n, "fail-valid(%u)", *err);
    return buf;
}

void test_vpid(struct cpu *c)
{
    const char *T = "vpid";
    u16 vpid = (u16)(c->index + 1);
    vcpu_reset(c, guest_nop, 0);
    vmcs_write32(VMCS_SECONDARY_CONTROLS, vmcs_read32(VMCS_SECONDARY_CONTROLS) | SEC_ENABLE_VPID);
    vmcs_write16(VMCS_VPID, vpid);
    u32 r = guest_run(c, NULL, NULL);
    CHECK(T, r == EXIT_REASON_VMCALL, "guest with VPID %u: exit %u", vpid, r);
    struct { const char *name; unsigned type; u64 lo, hi; bool supported; u32 sdm_err; } cases[] = {
        /* SDM INVVPID pseudo-code: unsupported type, reserved descriptor bits, VPID 0 for
         * types 0/1/3, a non-canonical address for type 0: VMfailValid(28). */
        { "individual-address", 0, vpid, 0x1000, caps.ept_vpid & VPIDCAP_ADDR, 0 },
        { "single-context", 1, vpid, 0, caps.ept_vpid & VPIDCAP_SINGLE, 0 },
        { "all-context", 2, 0, 0, caps.ept_vpid & VPIDCAP_ALL, 0 },
        { "single-context-retaining-globals", 3, vpid, 0, caps.ept_vpid & VPIDCAP_SINGLE_NG, 0 },
        { "single-context-vpid0", 1, 0, 0, caps.ept_vpid & VPIDCAP_SINGLE, VMXERR_INVALID_INVEPT_INVVPID },
        { "individual-address-vpid0", 0, 0, 0x1000, caps.ept_vpid & VPIDCAP_ADDR, VMXERR_INVALID_INVEPT_INVVPID },
        { "individual-address-noncanonical", 0, vpid, 0x8000000000000000ull, caps.ept_vpid & VPIDCAP_ADDR, VMXERR_INVALID_INVEPT_INVVPID },
        { "reserved-descriptor-bits", 1, vpid | (1ull << 16), 0, caps.ept_vpid & VPIDCAP_SINGLE, VMXERR_INVALID_INVEPT_INVVPID },
        { "type-4", 4, vpid, 0, false, VMXERR_INVALID_INVEPT_INVVPID },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        char buf[24];
        u32 err;
        const char *got = try_invvpid(cases[i].type, cases[i].lo, cases[i].hi, buf, sizeof buf, &err);
        u32 want = cases[i].supported ? cases[i].sdm_err : VMXERR_INVALID_INVEPT_INVVPID;
        bool match = want ? err == want : got[0] == 'o';
        CHECK(T, match, "INVVPID %s: %s, the SDM says %s%u", cases[i].name, got, want ? "VMfailValid " : "success ", want);
        OUTCOME(c, T, "invvpid %s type=%u -> %s", cases[i].name, cases[i].type, got);
    }
    vcpu_reset(c, guest_nop, 0); /* leave the VPID-less default behind */
}
