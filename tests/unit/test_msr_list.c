/* Host unit tests for pure/msr_list.c: the per-entry rules of the three MSR lists, the area check, the list limit, processing through the callbacks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pure/msr_list.h"
#include "lib/vmx_defs.h"

/* ---- a model of L1 memory (one list area) and of the CPU's MSRs, with a log of every call ---- */

#define BASE      0x5000ull
#define MAX_ENTRIES 4200                /* above 512 * 8 = 4096, the largest limit */
#define GP        13

static struct msr_list_entry area[MAX_ENTRIES];
static uint64_t unbacked_from;          /* reads at or above this address fail */
static unsigned reads, writes, rdmsrs, wrmsrs;
static uint64_t last_read_gpa, last_write_gpa;
static uint32_t wr_idx[8];
static uint64_t wr_val[8];
static uint32_t gp_msr = 0xdeadbeef;    /* RDMSR/WRMSR of this index raise #GP */

static bool mem_read(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
    assert_ptr_equal(ctx, &area);
    assert_int_equal(len, 16);
    reads++;
    last_read_gpa = gpa;
    if (gpa < BASE || gpa >= unbacked_from || (gpa - BASE) % 16 != 0 || (gpa - BASE) / 16 >= MAX_ENTRIES)
        return false;
    memcpy(buf, &area[(gpa - BASE) / 16], len);
    return true;
}

static bool mem_write(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
    assert_ptr_equal(ctx, &area);
    assert_int_equal(len, 8);
    writes++;
    last_write_gpa = gpa;
    if (gpa < BASE || (gpa - BASE) % 16 != 8 || (gpa - BASE) / 16 >= MAX_ENTRIES)
        return false;
    memcpy(&area[(gpa - BASE) / 16].value, buf, len);
    return true;
}

/* an MSR's value in the model: derived from its index */
static uint64_t msr_value(uint32_t msr) { return 0x1111000000000000ull | msr; }

static int cpu_rdmsr(void *ctx, uint32_t msr, uint64_t *v)
{
    assert_ptr_equal(ctx, &area);
    rdmsrs++;
    if (msr == gp_msr)
        return GP;
    *v = msr_value(msr);
    return 0;
}

static int cpu_wrmsr(void *ctx, uint32_t msr, uint64_t v)
{
    assert_ptr_equal(ctx, &area);
    if (wrmsrs < 8) {
        wr_idx[wrmsrs] = msr;
        wr_val[wrmsrs] = v;
    }
    wrmsrs++;
    return msr == gp_msr ? GP : 0;
}

static const struct msr_list_ops ops = { mem_read, mem_write, cpu_rdmsr, cpu_wrmsr, &area };

static int setup(void **s)
{
    (void)s;
    memset(area, 0, sizeof area);
    unbacked_from = ~0ull;
    reads = writes = rdmsrs = wrmsrs = 0;
    last_read_gpa = last_write_gpa = 0;
    gp_msr = 0xdeadbeef;
    return 0;
}

static void put(unsigned n, uint32_t index, uint32_t reserved, uint64_t value)
{
    area[n - 1] = (struct msr_list_entry){ index, reserved, value };
}

#define ENTRY_FAIL_34 (EXIT_REASON_FAILED_ENTRY | EXIT_REASON_ENTRY_FAIL_MSR)

/* ==== msr_list_limit (A.6) ==== */

static void test_limit_from_vmx_misc(void **s)
{
    (void)s;
    assert_int_equal(msr_list_limit(0), 512);
    assert_int_equal(msr_list_limit(1ull << 25), 1024);
    assert_int_equal(msr_list_limit(7ull << 25), 4096);
    assert_int_equal(msr_list_limit(~(7ull << 25)), 512);        /* only bits 27:25 count */
}

/* ==== msr_list_area_ok (26.2.1.2, 26.2.1.3) ==== */

static void test_area_alignment_and_width(void **s)
{
    (void)s;
    assert_true(msr_list_area_ok(0, 0, 36));
    assert_true(msr_list_area_ok(0x7, 0, 36));                    /* count 0: the address is not checked */
    assert_true(msr_list_area_ok(~0ull, 0, 36));
    assert_true(msr_list_area_ok(0x1000, 1, 36));
    assert_true(msr_list_area_ok(0x1010, 1, 36));
    for (unsigned b = 1; b < 16; b <<= 1)
        assert_false(msr_list_area_ok(0x1000 | b, 1, 36));       /* bits 3:0 */
    assert_false(msr_list_area_ok(1ull << 36, 1, 36));            /* first byte beyond the width */
    assert_true(msr_list_area_ok((1ull << 36) - 16, 1, 36));      /* last byte = 2^36 - 1 */
    assert_false(msr_list_area_ok((1ull << 36) - 16, 2, 36));     /* last byte beyond */
    assert_false(msr_list_area_ok(0xfffffff0ull, 2, 32));         /* 32-bit addresses (IA32_VMX_BASIC[48]) */
    assert_true(msr_list_area_ok(0xfffffff0ull, 1, 32));
    assert_true(msr_list_area_ok((1ull << 36) - 16 * 0xffffffffull, 0xffffffffu, 36)); /* largest count */
    assert_false(msr_list_area_ok(0xfff0, 0xffffffffu, 36));
}

static void test_area_width_clamped(void **s)
{
    (void)s;
    assert_true(msr_list_area_ok(0xfffffff0ull, 1, 0));           /* widths below 32 count as 32 */
    assert_false(msr_list_area_ok(1ull << 32, 1, 0));
    assert_true(msr_list_area_ok((1ull << 52) - 16, 1, 64));      /* above 52 count as 52 */
    assert_false(msr_list_area_ok(1ull << 52, 1, 200));
    assert_false(msr_list_area_ok(0xfffffffffffffff0ull, 2, 64)); /* no wrap to a small last byte */
}

/* ==== per-entry rules ==== */

static void expect(int line, enum msr_list_kind kind, uint32_t index, uint32_t reserved, const char *want)
{
    struct msr_list_entry e = { index, reserved, 0x1234 };
    const char *why = msr_list_check_entry(kind, &e);
    const char *sect = kind == MSR_LIST_ENTRY_LOAD ? "26.4" : kind == MSR_LIST_EXIT_STORE ? "27.4" : "27.6";

    if (!want && !why)
        return;
    if (want && why && strncmp(why, sect, 4) == 0 && strstr(why, want))
        return;
    print_error("line %d: kind %d MSR %#x reserved %#x: got \"%s\", want %s\n", line, (int)kind, index, reserved,
                why ? why : "(pass)", want ? want : "(pass)");
    fail();
}
#define PASS_(k, i)        expect(__LINE__, k, i, 0, NULL)
#define FAIL_(k, i, r, w)  expect(__LINE__, k, i, r, w)

static void test_entry_load_fs_gs_base(void **s)
{
    (void)s;
    FAIL_(MSR_LIST_ENTRY_LOAD, 0xc0000100, 0, "IA32_FS_BASE");
    FAIL_(MSR_LIST_ENTRY_LOAD, 0xc0000101, 0, "IA32_GS_BASE");
    PASS_(MSR_LIST_ENTRY_LOAD, 0xc0000102);                        /* KERNEL_GS_BASE may be loaded */
    PASS_(MSR_LIST_ENTRY_LOAD, 0xc00000ff);
}

static void test_entry_load_x2apic_range(void **s)
{
    (void)s;
    FAIL_(MSR_LIST_ENTRY_LOAD, 0x800, 0, "x2APIC");
    FAIL_(MSR_LIST_ENTRY_LOAD, 0x808, 0, "x2APIC");
    FAIL_(MSR_LIST_ENTRY_LOAD, 0x8ff, 0, "x2APIC");
    PASS_(MSR_LIST_ENTRY_LOAD, 0x7ff);
    PASS_(MSR_LIST_ENTRY_LOAD, 0x900);
    PASS_(MSR_LIST_ENTRY_LOAD, 0x40000808);                        /* bits 31:8 must be exactly 000008H */
    PASS_(MSR_LIST_ENTRY_LOAD, 0x10808);
}

static void test_entry_load_smm_and_microcode(void **s)
{
    (void)s;
    FAIL_(MSR_LIST_ENTRY_LOAD, 0x9b, 0, "SMM");                    /* IA32_SMM_MONITOR_CTL */
    FAIL_(MSR_LIST_ENTRY_LOAD, 0x9e, 0, "SMM");                    /* IA32_SMBASE */
    FAIL_(MSR_LIST_ENTRY_LOAD, 0x79, 0, "model-specific");         /* IA32_BIOS_UPDT_TRIG */
    FAIL_(MSR_LIST_ENTRY_LOAD, 0x8b, 0, "model-specific");         /* IA32_BIOS_SIGN_ID */
    PASS_(MSR_LIST_ENTRY_LOAD, 0x9c);
    PASS_(MSR_LIST_ENTRY_LOAD, 0x7a);
}

static void test_entry_load_reserved_and_ordinary(void **s)
{
    (void)s;
    FAIL_(MSR_LIST_ENTRY_LOAD, 0x174, 1, "63:32");
    FAIL_(MSR_LIST_ENTRY_LOAD, 0x174, 0x80000000u, "63:32");
    PASS_(MSR_LIST_ENTRY_LOAD, 0x174);                             /* SYSENTER_CS */
    PASS_(MSR_LIST_ENTRY_LOAD, 0xc0000080);                        /* EFER: the WRMSR rules are the callback's */
    PASS_(MSR_LIST_ENTRY_LOAD, 0x277);
    /* BOCHS: the lab notes it accepts index 0; no 26.4 rule names it either, so
     * only the WRMSR (a #GP there) can fail it */
    PASS_(MSR_LIST_ENTRY_LOAD, 0);
    /* the first rule in the SDM's order names the failure */
    FAIL_(MSR_LIST_ENTRY_LOAD, 0xc0000100, 5, "IA32_FS_BASE");
    FAIL_(MSR_LIST_ENTRY_LOAD, 0x830, 5, "x2APIC");
}

static void test_exit_store_rules(void **s)
{
    (void)s;
    PASS_(MSR_LIST_EXIT_STORE, 0xc0000100);                        /* FS/GS base may be stored (27.4) */
    PASS_(MSR_LIST_EXIT_STORE, 0xc0000101);
    FAIL_(MSR_LIST_EXIT_STORE, 0x800, 0, "x2APIC");
    FAIL_(MSR_LIST_EXIT_STORE, 0x8ff, 0, "x2APIC");
    FAIL_(MSR_LIST_EXIT_STORE, 0x9e, 0, "IA32_SMBASE");            /* readable only in SMM */
    PASS_(MSR_LIST_EXIT_STORE, 0x9b);                              /* SMM_MONITOR_CTL is readable */
    PASS_(MSR_LIST_EXIT_STORE, 0x79);
    PASS_(MSR_LIST_EXIT_STORE, 0x8b);
    FAIL_(MSR_LIST_EXIT_STORE, 0xc0000102, 2, "63:32");
    PASS_(MSR_LIST_EXIT_STORE, 0xc0000102);
}

static void test_exit_load_rules(void **s)
{
    (void)s;
    FAIL_(MSR_LIST_EXIT_LOAD, 0xc0000100, 0, "IA32_FS_BASE");
    FAIL_(MSR_LIST_EXIT_LOAD, 0xc0000101, 0, "IA32_GS_BASE");
    FAIL_(MSR_LIST_EXIT_LOAD, 0x80a, 0, "x2APIC");
    FAIL_(MSR_LIST_EXIT_LOAD, 0x9b, 0, "IA32_SMM_MONITOR_CTL");
    PASS_(MSR_LIST_EXIT_LOAD, 0x9e);       /* 27.6 names only SMM_MONITOR_CTL: SMBASE fails by the WRMSR's #GP */
    FAIL_(MSR_LIST_EXIT_LOAD, 0x79, 0, "model-specific");
    FAIL_(MSR_LIST_EXIT_LOAD, 0x8b, 0, "model-specific");
    FAIL_(MSR_LIST_EXIT_LOAD, 0xc0000102, 0xffffffffu, "63:32");
    PASS_(MSR_LIST_EXIT_LOAD, 0xc0000102);
    PASS_(MSR_LIST_EXIT_LOAD, 0x174);
}

/* ==== msr_list_process ==== */

static void test_entry_load_all_good(void **s)
{
    (void)s;
    put(1, 0xc0000102, 0, 0xffff800012345000ull);
    put(2, 0x174, 0, 0x10);
    put(3, 0x277, 0, 0x0007040600070406ull);
    struct msr_list_result r = msr_list_process(MSR_LIST_ENTRY_LOAD, BASE, 3, 512, &ops);
    assert_true(r.ok);
    assert_int_equal(r.processed, 3);
    assert_false(r.truncated);
    assert_int_equal(r.entry, 0);
    assert_int_equal(r.exit_reason, 0);
    assert_int_equal(r.abort, 0);
    assert_null(r.why);
    assert_int_equal(reads, 3);
    assert_int_equal(wrmsrs, 3);
    assert_int_equal(writes, 0);
    assert_int_equal(rdmsrs, 0);
    assert_int_equal(wr_idx[0], 0xc0000102);                       /* in order, with the entries' values */
    assert_int_equal(wr_val[0], 0xffff800012345000ull);
    assert_int_equal(wr_idx[1], 0x174);
    assert_int_equal(wr_val[1], 0x10);
    assert_int_equal(wr_idx[2], 0x277);
    assert_int_equal(wr_val[2], 0x0007040600070406ull);
    assert_int_equal(last_read_gpa, BASE + 32);                    /* entry n at addr + 16 (n - 1) */
}

static void test_entry_load_count_zero(void **s)
{
    (void)s;
    struct msr_list_result r = msr_list_process(MSR_LIST_ENTRY_LOAD, 0x7, 0, 512, &ops);
    assert_true(r.ok);
    assert_int_equal(r.processed, 0);
    assert_int_equal(reads + writes + rdmsrs + wrmsrs, 0);
}

static void test_entry_load_first_failing_entry_is_the_qualification(void **s)
{
    (void)s;
    put(1, 0x174, 0, 1);
    put(2, 0x175, 0, 2);
    put(3, 0xc0000100, 0, 3);          /* first bad one: entry 3 */
    put(4, 0x9b, 0, 4);                /* bad too, never reached */
    struct msr_list_result r = msr_list_process(MSR_LIST_ENTRY_LOAD, BASE, 4, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.entry, 3);
    assert_int_equal(r.processed, 2);
    assert_int_equal(r.msr, 0xc0000100);
    assert_int_equal(r.exit_reason, ENTRY_FAIL_34);
    assert_int_equal(r.abort, 0);
    assert_non_null(strstr(r.why, "26.4"));
    assert_int_equal(wrmsrs, 2);                                   /* the bad entry is not written */
    assert_int_equal(reads, 3);                                    /* nor anything read past it */

    setup(NULL);
    put(1, 0x174, 1, 1);               /* the very first entry: qualification 1 */
    r = msr_list_process(MSR_LIST_ENTRY_LOAD, BASE, 4, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.entry, 1);
    assert_int_equal(r.processed, 0);
    assert_int_equal(wrmsrs, 0);
}

static void test_entry_load_wrmsr_fault(void **s)
{
    (void)s;
    gp_msr = 0x3a;
    put(1, 0x174, 0, 1);
    put(2, 0x3a, 0, 5);                /* the WRMSR would #GP (26.4, last rule) */
    put(3, 0x175, 0, 2);
    struct msr_list_result r = msr_list_process(MSR_LIST_ENTRY_LOAD, BASE, 3, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.entry, 2);
    assert_int_equal(r.msr, 0x3a);
    assert_int_equal(r.exit_reason, ENTRY_FAIL_34);
    assert_non_null(strstr(r.why, "WRMSR"));
    assert_int_equal(wrmsrs, 2);
}

static void test_entry_load_above_limit(void **s)
{
    (void)s;
    for (unsigned n = 1; n <= 520; n++)
        put(n, 0x174, 0, n);
    struct msr_list_result r = msr_list_process(MSR_LIST_ENTRY_LOAD, BASE, 520, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.entry, 513);                                /* the first entry past the limit */
    assert_int_equal(r.processed, 512);
    assert_int_equal(r.exit_reason, ENTRY_FAIL_34);
    assert_false(r.truncated);
    assert_int_equal(wrmsrs, 512);
    assert_int_equal(reads, 512);
    assert_non_null(strstr(r.why, "24.8.2"));

    setup(NULL);                        /* a huge count costs no more than the limit */
    r = msr_list_process(MSR_LIST_ENTRY_LOAD, BASE, 0xffffffffu, 512, &ops);
    assert_int_equal(r.entry, 513);
    assert_int_equal(reads, 512);

    setup(NULL);                        /* exactly the limit is fine; a larger limit (N = 1) too */
    for (unsigned n = 1; n <= 1024; n++)
        put(n, 0x174, 0, n);
    r = msr_list_process(MSR_LIST_ENTRY_LOAD, BASE, 512, 512, &ops);
    assert_true(r.ok);
    r = msr_list_process(MSR_LIST_ENTRY_LOAD, BASE, 1024, msr_list_limit(1ull << 25), &ops);
    assert_true(r.ok);
    assert_int_equal(r.processed, 1024);
}

static void test_exit_store_values_written(void **s)
{
    (void)s;
    put(1, 0xc0000102, 0, 0xaaaa);
    put(2, 0xc0000100, 0, 0xbbbb);     /* FS base may be stored */
    put(3, 0x9b, 0, 0xcccc);
    struct msr_list_result r = msr_list_process(MSR_LIST_EXIT_STORE, BASE, 3, 512, &ops);
    assert_true(r.ok);
    assert_int_equal(r.processed, 3);
    assert_int_equal(rdmsrs, 3);
    assert_int_equal(writes, 3);
    assert_int_equal(wrmsrs, 0);
    assert_int_equal(area[0].value, msr_value(0xc0000102));        /* bits 127:64 of each entry */
    assert_int_equal(area[1].value, msr_value(0xc0000100));
    assert_int_equal(area[2].value, msr_value(0x9b));
    assert_int_equal(area[0].index, 0xc0000102);                   /* bits 63:0 untouched */
    assert_int_equal(area[2].reserved, 0);
    assert_int_equal(last_write_gpa, BASE + 32 + 8);
}

static void test_exit_store_failure_is_abort_1(void **s)
{
    (void)s;
    put(1, 0xc0000102, 0, 0);
    put(2, 0x808, 0, 0x77);            /* x2APIC: VMX abort 1 at entry 2 */
    put(3, 0x174, 0, 0x88);
    struct msr_list_result r = msr_list_process(MSR_LIST_EXIT_STORE, BASE, 3, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.abort, MSR_LIST_ABORT_STORE);
    assert_int_equal(r.abort, 1);
    assert_int_equal(r.exit_reason, 0);
    assert_int_equal(r.entry, 2);
    assert_int_equal(r.msr, 0x808);
    assert_int_equal(r.processed, 1);
    assert_int_equal(rdmsrs, 1);                                   /* not read, and nothing after it */
    assert_int_equal(area[1].value, 0x77);
    assert_int_equal(area[2].value, 0x88);
    assert_non_null(strstr(r.why, "27.4"));

    setup(NULL);
    gp_msr = 0x174;                    /* RDMSR would #GP */
    put(1, 0x174, 0, 0x99);
    r = msr_list_process(MSR_LIST_EXIT_STORE, BASE, 1, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.abort, 1);
    assert_int_equal(r.entry, 1);
    assert_int_equal(writes, 0);
    assert_int_equal(area[0].value, 0x99);
    assert_non_null(strstr(r.why, "RDMSR"));
}

static void test_exit_load_failure_is_abort_4(void **s)
{
    (void)s;
    put(1, 0xc0000102, 0, 5);
    put(2, 0xc0000101, 0, 6);          /* GS base: VMX abort 4 at entry 2 */
    struct msr_list_result r = msr_list_process(MSR_LIST_EXIT_LOAD, BASE, 2, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.abort, MSR_LIST_ABORT_LOAD);
    assert_int_equal(r.abort, 4);
    assert_int_equal(r.exit_reason, 0);
    assert_int_equal(r.entry, 2);
    assert_int_equal(wrmsrs, 1);
    assert_non_null(strstr(r.why, "27.6"));

    setup(NULL);
    gp_msr = 0x9e;                     /* SMBASE: WRMSR #GP outside SMM */
    put(1, 0x9e, 0, 0);
    r = msr_list_process(MSR_LIST_EXIT_LOAD, BASE, 1, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.abort, 4);
    assert_int_equal(r.entry, 1);
    assert_non_null(strstr(r.why, "WRMSR"));
}

static void test_exit_lists_above_limit_truncated(void **s)
{
    (void)s;
    for (unsigned n = 1; n <= 600; n++)
        put(n, 0x174, 0, n);
    put(550, 0xc0000100, 0, 0);        /* past the limit: never looked at */
    struct msr_list_result r = msr_list_process(MSR_LIST_EXIT_LOAD, BASE, 600, 512, &ops);
    assert_true(r.ok);
    assert_true(r.truncated);
    assert_int_equal(r.processed, 512);
    assert_int_equal(wrmsrs, 512);
    assert_int_equal(reads, 512);

    setup(NULL);
    for (unsigned n = 1; n <= 600; n++)
        put(n, 0x174, 0, n);
    r = msr_list_process(MSR_LIST_EXIT_STORE, BASE, 600, 512, &ops);
    assert_true(r.ok);
    assert_true(r.truncated);
    assert_int_equal(r.processed, 512);
    assert_int_equal(area[511].value, msr_value(0x174));
    assert_int_equal(area[512].value, 513);                        /* entry 513 not stored */

    setup(NULL);                        /* at the limit: not truncated */
    r = msr_list_process(MSR_LIST_EXIT_STORE, BASE, 512, 512, &ops);
    assert_true(r.ok);
    assert_false(r.truncated);
}

static void test_unbacked_memory_reads_all_ones(void **s)
{
    (void)s;
    put(1, 0x174, 0, 1);
    put(2, 0x174, 0, 2);
    unbacked_from = BASE + 16;         /* entry 2 lies where no memory is */
    struct msr_list_result r = msr_list_process(MSR_LIST_ENTRY_LOAD, BASE, 2, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.entry, 2);
    assert_int_equal(r.msr, 0xffffffffu);
    assert_non_null(strstr(r.why, "63:32"));
    r = msr_list_process(MSR_LIST_EXIT_STORE, BASE, 2, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.abort, 1);
    assert_int_equal(r.entry, 2);
    r = msr_list_process(MSR_LIST_EXIT_LOAD, BASE, 2, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.abort, 4);
}

static void test_missing_callbacks(void **s)
{
    (void)s;
    struct msr_list_ops none = { .ctx = &area };
    struct msr_list_result r = msr_list_process(MSR_LIST_EXIT_STORE, BASE, 1, 512, &none);
    assert_false(r.ok);                /* no memory: all-ones entry */
    assert_int_equal(r.abort, 1);

    put(1, 0x174, 0, 1);
    struct msr_list_ops no_msr = { .read = mem_read, .ctx = &area };
    r = msr_list_process(MSR_LIST_EXIT_STORE, BASE, 1, 512, &no_msr);
    assert_false(r.ok);                /* no RDMSR: it cannot be done */
    assert_int_equal(r.entry, 1);
    r = msr_list_process(MSR_LIST_ENTRY_LOAD, BASE, 1, 512, &no_msr);
    assert_false(r.ok);
    assert_int_equal(r.exit_reason, ENTRY_FAIL_34);

    struct msr_list_ops no_write = { .read = mem_read, .rdmsr = cpu_rdmsr, .ctx = &area };
    r = msr_list_process(MSR_LIST_EXIT_STORE, BASE, 1, 512, &no_write);
    assert_true(r.ok);                 /* the value goes nowhere, as a write to no memory */
    assert_int_equal(area[0].value, 1);
}

static void test_addresses_wrap(void **s)
{
    (void)s;
    /* the area check is the VM entry's; processing an unchecked area must stay defined */
    struct msr_list_result r = msr_list_process(MSR_LIST_ENTRY_LOAD, 0xfffffffffffffff0ull, 2, 512, &ops);
    assert_false(r.ok);
    assert_int_equal(r.entry, 1);
    assert_int_equal(last_read_gpa, 0xfffffffffffffff0ull);
    put(1, 0x174, 0, 1);
    unbacked_from = ~0ull;
    r = msr_list_process(MSR_LIST_EXIT_LOAD, BASE - 16, 2, 512, &ops);
    assert_false(r.ok);                /* BASE - 16 has no memory in the model */
    assert_int_equal(r.entry, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_limit_from_vmx_misc, setup),
        cmocka_unit_test_setup(test_area_alignment_and_width, setup),
        cmocka_unit_test_setup(test_area_width_clamped, setup),
        cmocka_unit_test_setup(test_entry_load_fs_gs_base, setup),
        cmocka_unit_test_setup(test_entry_load_x2apic_range, setup),
        cmocka_unit_test_setup(test_entry_load_smm_and_microcode, setup),
        cmocka_unit_test_setup(test_entry_load_reserved_and_ordinary, setup),
        cmocka_unit_test_setup(test_exit_store_rules, setup),
        cmocka_unit_test_setup(test_exit_load_rules, setup),
        cmocka_unit_test_setup(test_entry_load_all_good, setup),
        cmocka_unit_test_setup(test_entry_load_count_zero, setup),
        cmocka_unit_test_setup(test_entry_load_first_failing_entry_is_the_qualification, setup),
        cmocka_unit_test_setup(test_entry_load_wrmsr_fault, setup),
        cmocka_unit_test_setup(test_entry_load_above_limit, setup),
        cmocka_unit_test_setup(test_exit_store_values_written, setup),
        cmocka_unit_test_setup(test_exit_store_failure_is_abort_1, setup),
        cmocka_unit_test_setup(test_exit_load_failure_is_abort_4, setup),
        cmocka_unit_test_setup(test_exit_lists_above_limit_truncated, setup),
        cmocka_unit_test_setup(test_unbacked_memory_reads_all_ones, setup),
        cmocka_unit_test_setup(test_missing_callbacks, setup),
        cmocka_unit_test_setup(test_addresses_wrap, setup),
    };
    return cmocka_run_group_tests_name("msr_list", tests, NULL, NULL);
}
