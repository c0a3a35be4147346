/* hostile.c - the hostile-L1 suite's runner: result texts, the VM-entry case runner, and the test entry (BSP only) */
#include "hostile.h"
#include "format.h"
#include "page_alloc.h"

u8 *hx_scratch;

void hx_guest_nop(uintptr_t unused) { (void)unused; }

unsigned hx_maxphyaddr(void)
{
    return cpuid(0x80000000u, 0).eax >= 0x80000008u ? cpuid(0x80000008u, 0).eax & 0xff : 36;
}

static const char *const vec_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9", "#TS", "#NP",
    "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/* SDM 31.2: VMfailInvalid (CF), VMfailValid (ZF) with the error in the current VMCS (31.4). */
const char *hx_str(int rc, char *buf, size_t n)
{
    if (rc == HX_OK) return "ok";
    if (rc == HX_INVALID) return "VMfailInvalid";
    if (rc == HX_VALID) {
        nv_snprintf(buf, n, "VMfailValid %u", vmx_instruction_error());
        return buf;
    }
    unsigned v = (unsigned)rc & 0xff;
    if (v < 32 && vec_names[v]) return vec_names[v];
    nv_snprintf(buf, n, "fault %u", v);
    return buf;
}

void hx_outcome(struct cpu *c, const char *name, const char *fmt, ...)
{
    char buf[120];
    va_list ap;
    va_start(ap, fmt);
    nv_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    OUTCOME(c, "hostile", "%s: %s", name, buf);
}

void hx_report(struct cpu *c, const char *name, int rc)
{
    char buf[32];
    hx_outcome(c, name, "%s", hx_str(rc, buf, sizeof buf));
}

/* ---- VM entry ---- */

/* True while the current VMCS is the good one vcpu_reset built (plus the empty IDT) and
 * nothing else was left in it: hx_launch_field can then change one field and put it back. */
static bool fresh;

static void good_vmcs(struct cpu *c)
{
    vcpu_reset(c, hx_guest_nop, 0);
    /* an exception in a guest that does get in meets an empty IDT: #DF, then a
     * triple-fault exit (reason 2), never LHV's own handlers running as the guest */
    vmcs_write32(VMCS_GUEST_IDTR_LIMIT, 0);
}

/* VMLAUNCH of the current VMCS and the text of what happened. */
static const char *launch(struct cpu *c, char *buf, size_t n)
{
    struct vcpu *v = &c->vcpu;
    int s = vmx_enter(&v->regs, 0);
    if (s == VMX_FAIL_INVALID) return "VMfailInvalid";
    if (s == VMX_FAIL_VALID) {
        nv_snprintf(buf, n, "VMfailValid %u", vmx_instruction_error());
        return buf;
    }
    u32 full = vmcs_read32(VMCS_EXIT_REASON);
    iret_to_self();    /* as guest_run: no NMI stays blocked behind an exit */
    if (full & EXIT_REASON_FAILED_ENTRY) {
        /* SDM 26.7: exit reason 33 (guest state) or 34 (MSR loading, qualification = entry) */
        nv_snprintf(buf, n, "entry-fail %u qual %lu", full & 0xffff, (unsigned long)vmcs_readnat(VMCS_EXIT_QUALIFICATION));
        return buf;
    }
    v->launched = true;
    nv_snprintf(buf, n, "exit %u", full & 0xffff);
    return buf;
}

const char *hx_launch_quiet(struct cpu *c, hx_mutate_t mut, uintptr_t arg, char *buf, size_t n)
{
    good_vmcs(c);
    fresh = false;
    if (mut) mut(c, arg);
    return launch(c, buf, n);
}

const char *hx_launch_field(struct cpu *c, u16 enc, u8 op, u64 val, char *buf, size_t n)
{
    if (!fresh) good_vmcs(c);
    u64 old = 0;
    vmcs_read_any(enc, &old);
    hx_field_apply(enc, op, val);
    const char *r = launch(c, buf, n);
    /* SDM 31.2: a VMfail changes nothing in the VMCS but the VM-instruction error field; a
     * VM entry (or a failed one, 26.7/26.8) does, and the next case starts afresh */
    fresh = r[0] == 'V';
    if (fresh) vmcs_write_any(enc, old);
    return r;
}

const char *hx_launch(struct cpu *c, const char *name, hx_mutate_t mut, uintptr_t arg)
{
    static char buf[48];
    const char *r = hx_launch_quiet(c, mut, arg, buf, sizeof buf);
    hx_outcome(c, name, "%s", r);
    return r;
}

void hx_field_apply(u16 enc, u8 op, u64 val)
{
    u64 old = 0;
    if (op != HX_SET) vmcs_read_any(enc, &old);
    u64 v = op == HX_SET ? val : op == HX_OR ? old | val : op == HX_CLEAR ? old & ~val : old ^ val;
    vmcs_write_any(enc, v);
}

void hx_run_rows(struct cpu *c, const struct hx_row *rows, unsigned n)
{
    char buf[48];
    for (unsigned i = 0; i < n; i++)
        hx_outcome(c, rows[i].name, "%s", hx_launch_field(c, rows[i].enc, rows[i].op, rows[i].val, buf, sizeof buf));
}

/* ---- the test ---- */

static void hostile_feature_control(struct cpu *c)
{
    /* SDM 23.7: VMXON needs IA32_FEATURE_CONTROL locked with VMX enabled; once locked,
     * WRMSR to it #GPs (Vol. 4 table 2-2). The BIOS locked it (bare), nestvisor shows it
     * locked (nested): "VMXON with FEATURE_CONTROL off" is this #GP both ways. */
    u64 fc = 0;
    int f = rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &fc);
    hx_outcome(c, "feature-control-read", "%s lock=%u vmx-outside-smx=%u", f ? "fault" : "ok",
               (unsigned)(fc & 1), (unsigned)(fc >> 2 & 1));
    int w = wrmsr_safe(MSR_IA32_FEATURE_CONTROL, fc & ~4ull);
    hx_outcome(c, "feature-control-write-vmx-off", "%s", w == 13 ? "#GP" : w ? "fault" : "ok");
}

void test_hostile(struct cpu *c)
{
    if (c->index != 0 || c->iter != 0) return;      /* BSP, once: short and deterministic */
    if (!hx_scratch) hx_scratch = page_alloc(1);
    fresh = false;
    hostile_feature_control(c);
    hostile_vmxon(c);
    hostile_vmrw(c);
    hostile_controls(c);
    hostile_state(c);
    hostile_msr_inv(c);
    hostile_events(c);
    vcpu_reset(c, hx_guest_nop, 0);                  /* leave a good VMCS behind */
    u32 r = guest_run(c, NULL, NULL);
    CHECK("hostile", r == EXIT_REASON_VMCALL, "a good guest after the suite: exit %u", r);
}
