/* msr_bitmap.c - MSR bitmaps (SDM 25.6.9) and a guest WRMSR that faults on the CPU arriving as #GP in the guest */
#include "lhv.h"
#include "trap.h"
#include "x86.h"

#define EMULATED_SYSENTER_CS 0xabcu
#define NO_SUCH_MSR 0x4e560001u   /* outside both bitmap ranges: always exits (SDM 26.1.3) */

static void bitmap_set(u8 *bm, u32 msr, bool write)
{
    unsigned off = (msr >= 0xc0000000u ? 1024 : 0) + (write ? 2048 : 0);
    u32 i = msr & 0x1fff;
    bm[off + i / 8] |= (u8)(1u << (i % 8));
}

struct bm_ctx { unsigned rd_exits, wr_exits; u32 last_rd, last_wr; u64 wr_val; };

static enum exit_action bm_exit(struct cpu *c, u32 reason, void *p)
{
    struct bm_ctx *x = p;
    struct guest_regs *g = &c->vcpu.regs;
    if (reason == EXIT_REASON_RDMSR) {
        x->rd_exits++;
        x->last_rd = (u32)g->cx;
        g->ax = EMULATED_SYSENTER_CS;
        g->dx = 0;
        guest_skip_instruction();
        return EXIT_RESUME;
    }
    if (reason == EXIT_REASON_WRMSR) {
        x->wr_exits++;
        x->last_wr = (u32)g->cx;
        x->wr_val = ((u64)(u32)g->dx << 32) | (u32)g->ax;
        guest_skip_instruction(); /* dropped: the guest must still see the old value */
        return EXIT_RESUME;
    }
    return EXIT_UNHANDLED;
}

static void guest_bitmap(uintptr_t arg)
{
    volatile u64 *out = (volatile u64 *)arg;
    out[0] = rdmsr(MSR_IA32_SYSENTER_CS);           /* intercepted */
    out[1] = rdmsr(MSR_IA32_SYSENTER_CS + 1);       /* SYSENTER_ESP: not intercepted */
    wrmsr(MSR_IA32_KERNEL_GS_BASE, 0x1000);         /* write intercepted */
    out[2] = rdmsr(MSR_IA32_KERNEL_GS_BASE);        /* read not intercepted */
}

void test_msr_bitmap(struct cpu *c)
{
    const char *T = "msr_bitmap";
    volatile u64 out[3] = { 0, 0, 0 };
    struct bm_ctx x = { 0, 0, 0, 0, 0 };
    u64 kgs = rdmsr(MSR_IA32_KERNEL_GS_BASE);
    vcpu_reset(c, guest_bitmap, (uintptr_t)out);
    vmcs_write64(VMCS_GUEST_IA32_DEBUGCTL, 0);
    vmcs_write32(VMCS_GUEST_IA32_SYSENTER_CS, 0x77);
    vmcs_writenat(VMCS_GUEST_IA32_SYSENTER_ESP, 0x5000);
    bitmap_set(c->msr_bitmap, MSR_IA32_SYSENTER_CS, false);
    bitmap_set(c->msr_bitmap, MSR_IA32_KERNEL_GS_BASE, true);
    u32 r = guest_run(c, bm_exit, &x);
    CHECK(T, r == EXIT_REASON_VMCALL, "exit %u", r);
    CHECK(T, x.rd_exits == 1 && x.last_rd == MSR_IA32_SYSENTER_CS, "rdmsr exits %u (last 0x%x)", x.rd_exits, x.last_rd);
    CHECK(T, x.wr_exits == 1 && x.last_wr == MSR_IA32_KERNEL_GS_BASE && x.wr_val == 0x1000, "wrmsr exits %u", x.wr_exits);
    CHECK(T, out[0] == EMULATED_SYSENTER_CS, "guest read 0x%llx", (unsigned long long)out[0]);
    CHECK(T, out[1] == 0x5000, "SYSENTER_ESP read 0x%llx (guest state 0x5000)", (unsigned long long)out[1]);
    CHECK(T, out[2] == kgs, "KERNEL_GS_BASE 0x%llx changed by a dropped write", (unsigned long long)out[2]);
    OUTCOME(c, T, "rdmsr_exits=%u wrmsr_exits=%u intercepted_read=0x%llx passthrough_read=0x%llx",
            x.rd_exits, x.wr_exits, (unsigned long long)out[0], (unsigned long long)out[1]);
}

/* ---- WRMSR that faults ---- */
struct wf_ctx { int host_fault[2]; unsigned i; };

/* Does the guest's WRMSR on the CPU; a fault is injected into the guest as the same
 * exception (SDM 26.6 event injection; the instruction is not skipped: a fault). */
static enum exit_action wf_exit(struct cpu *c, u32 reason, void *p)
{
    struct wf_ctx *x = p;
    struct guest_regs *g = &c->vcpu.regs;
    if (reason != EXIT_REASON_WRMSR) return EXIT_UNHANDLED;
    u64 val = ((u64)(u32)g->dx << 32) | (u32)g->ax;
    int f = wrmsr_safe((u32)g->cx, val);
    if (x->i < 2) x->host_fault[x->i++] = f;
    if (f) {
        u32 info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | (u32)f;
        if (f == 13 || f == 14 || f == 8 || (f >= 10 && f <= 12) || f == 17) {
            info |= INTR_INFO_DELIVER_EC;
            vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR_CODE, 0);
        }
        vmcs_write32(VMCS_ENTRY_INTR_INFO, info);
    } else {
        guest_skip_instruction();
    }
    return EXIT_RESUME;
}

static void guest_wrmsr_fault(uintptr_t arg)
{
    volatile int *out = (volatile int *)arg;
    out[0] = wrmsr_safe(MSR_IA32_MC0_ADDR, ~0ull);
    out[1] = wrmsr_safe(NO_SUCH_MSR, 1);
}


void test_wrmsr_fault(struct cpu *c)
{
    const char *T = "wrmsr_fault";
    volatile int out[2] = { -1, -1 };
    struct wf_ctx x = { { -1, -1 }, 0 };
    vcpu_reset(c, guest_wrmsr_fault, (uintptr_t)out);
    bitmap_set(c->msr_bitmap, MSR_IA32_MC0_ADDR, true);
    u32 r = guest_run(c, wf_exit, &x);
    CHECK(T, r == EXIT_REASON_VMCALL, "exit %u", r);
    CHECK(T, out[0] == x.host_fault[0], "MC0_ADDR: guest saw vector %d, the CPU gave %d", out[0], x.host_fault[0]);
    CHECK(T, out[1] == x.host_fault[1], "MSR 0x%x: guest saw vector %d, the CPU gave %d", NO_SUCH_MSR, out[1], x.host_fault[1]);
    CHECK(T, out[1] == 13, "WRMSR to a nonexistent MSR gave vector %d, not #GP", out[1]);
    OUTCOME(c, T, "wrmsr(MC0_ADDR,~0) guest_vector=%d cpu_vector=%d; wrmsr(0x%x) guest_vector=%d cpu_vector=%d",
            out[0], x.host_fault[0], NO_SUCH_MSR, out[1], x.host_fault[1]);
}
