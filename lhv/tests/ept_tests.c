/* ept_tests.c - EPT memory types from the MTRRs, switching between EPTs, and EPT large pages (SDM 29.3) */
#include "lhv.h"
#include "mem.h"

static struct ept ept_alt, ept_large;
static u8 window[PAGE_SIZE] ALIGNED(PAGE_SIZE), window_alt[PAGE_SIZE] ALIGNED(PAGE_SIZE);
#define MARK_A 0x41414141u
#define MARK_B 0x42424242u

bool supports_ept(void) { return has_ept(); }

static const char *mt_name(int t)
{
    switch (t) {
    case MT_UC: return "UC"; case MT_WC: return "WC"; case MT_WT: return "WT";
    case MT_WP: return "WP"; case MT_WB: return "WB"; default: return "??";
    }
}

/* Called on the BSP before the APs start. */
void ept_tests_init(void)
{
    if (!has_ept()) return;
    *(volatile u32 *)window = MARK_A;
    *(volatile u32 *)window_alt = MARK_B;
    ept_build_identity(&ept_alt, &mtrrs, 1ull << 32, 2ull << 20);
    u64 *l = ept_leaf_4k(&ept_alt, va_to_pa(window));
    *l = (*l & ~0x000ffffffffff000ull) | va_to_pa(window_alt);
    ept_build_identity(&ept_large, &mtrrs, 1ull << 32, (caps.ept_vpid & EPTCAP_1G) ? 1ull << 30 : 2ull << 20);
}

static void invept_all_or_single(u64 eptp)
{
    struct inv_desc d = { eptp, 0 };
    if (caps.ept_vpid & EPTCAP_INVEPT_SINGLE) PANIC_ON(invept(1, &d) != VMX_OK);
    else PANIC_ON(invept(2, &d) != VMX_OK);
}

/* ---- memory types ---- */
static int leaf_type(u64 e) { return (int)((e >> EPT_MT_SHIFT) & 7); }

static void guest_touch(uintptr_t arg)
{
    volatile u32 *p = (volatile u32 *)arg;
    p[0] = p[0] + 1;
}

void test_ept_mtrr(struct cpu *c)
{
    const char *T = "ept_mtrr";
    unsigned bad = 0, count[8] = { 0 };
    for (u64 a = 0; a < (1ull << 32);) {
        u64 size = PAGE_SIZE;
        u64 *e = ept_lookup(&ept_default, a, &size);
        if (!e) { test_fail(T, "0x%llx not mapped", (unsigned long long)a); return; }
        int want = mtrr_type_of_range(&mtrrs, a, size);
        if (leaf_type(*e) != want) {
            if (!bad++) test_fail(T, "leaf 0x%llx size 0x%llx type %d, MTRRs say %d", (unsigned long long)a,
                                  (unsigned long long)size, leaf_type(*e), want);
        }
        count[leaf_type(*e)]++;
        a += size;
    }
    int vga = leaf_type(*ept_lookup(&ept_default, 0xa0000, NULL));
    int lapic = leaf_type(*ept_lookup(&ept_default, 0xfee00000, NULL));
    int low = leaf_type(*ept_lookup(&ept_default, 0x0, NULL));
    int img = leaf_type(*ept_lookup(&ept_default, 0x200000, NULL));
    CHECK(T, vga == MT_UC, "VGA memory is %s in EPT", mt_name(vga));
    CHECK(T, lapic == MT_UC, "local APIC is %s in EPT", mt_name(lapic));
    volatile u32 cell = 7;
    vcpu_reset(c, guest_touch, (uintptr_t)&cell);
    u32 r = guest_run(c, NULL, NULL);
    CHECK(T, r == EXIT_REASON_VMCALL && cell == 8, "guest under EPT: exit %u cell %u", r, cell);
    OUTCOME(c, T, "leaves UC=%u WC=%u WT=%u WP=%u WB=%u mismatches=%u type(0)=%s type(A0000)=%s type(200000)=%s type(FEE00000)=%s",
            count[0], count[1], count[4], count[5], count[6], bad, mt_name(low), mt_name(vga), mt_name(img), mt_name(lapic));
}

/* ---- switching ---- */
static void guest_read_window(uintptr_t unused)
{
    (void)unused;
    hypercall(HC_REPORT, *(volatile u32 *)window, 0);
}

static enum exit_action record_report(struct cpu *c, u32 reason, void *ctx)
{
    if (reason == EXIT_REASON_VMCALL && (u32)c->vcpu.regs.ax == HC_REPORT) {
        *(u32 *)ctx = (u32)c->vcpu.regs.bx;
        guest_skip_instruction();
        return EXIT_RESUME;
    }
    return EXIT_UNHANDLED;
}

static u32 read_window_under(struct cpu *c, u64 eptp)
{
    u32 seen = 0;
    vcpu_reset(c, guest_read_window, 0);
    vmcs_write64(VMCS_EPT_POINTER, eptp);
    invept_all_or_single(eptp);
    guest_run(c, record_report, &seen);
    return seen;
}

void test_ept_switch(struct cpu *c)
{
    const char *T = "ept_switch";
    u32 a = read_window_under(c, ept_default.eptp);
    u32 b = read_window_under(c, ept_alt.eptp);
    u32 a2 = read_window_under(c, ept_default.eptp);
    /* switch inside one launched VMCS too: VMWRITE the EPTP between runs */
    u32 b2 = 0;
    vcpu_reset(c, guest_read_window, 0);
    guest_run(c, record_report, &b2);
    vmcs_write64(VMCS_EPT_POINTER, ept_alt.eptp);
    invept_all_or_single(ept_alt.eptp);
    vmcs_write_guest_start(c, guest_read_window, 0);
    guest_run(c, record_report, &b2);
    CHECK(T, a == MARK_A && b == MARK_B && a2 == MARK_A && b2 == MARK_B, "saw %x %x %x %x", a, b, a2, b2);
    OUTCOME(c, T, "default=0x%x alt=0x%x default=0x%x alt-after-resume=0x%x", a, b, a2, b2);
}

/* ---- large pages ---- */
void test_ept_large(struct cpu *c)
{
    const char *T = "ept_large";
    u64 s_img = 0, s_high = 0;
    ept_lookup(&ept_large, 0x400000, &s_img);
    ept_lookup(&ept_large, 0x40000000, &s_high);
    CHECK(T, s_img == (2ull << 20), "leaf at 4 MiB is 0x%llx bytes", (unsigned long long)s_img);
    if (caps.ept_vpid & EPTCAP_1G) CHECK(T, s_high == (1ull << 30), "leaf at 1 GiB is 0x%llx", (unsigned long long)s_high);
    volatile u32 cell = 41;
    vcpu_reset(c, guest_touch, (uintptr_t)&cell);
    vmcs_write64(VMCS_EPT_POINTER, ept_large.eptp);
    invept_all_or_single(ept_large.eptp);
    u32 r = guest_run(c, NULL, NULL);
    CHECK(T, r == EXIT_REASON_VMCALL && cell == 42, "exit %u cell %u", r, cell);
    OUTCOME(c, T, "leaf(4M)=0x%llx leaf(1G)=0x%llx tables=%u guest_ok=%d", (unsigned long long)s_img,
            (unsigned long long)s_high, ept_large.pages, cell == 42);
}
