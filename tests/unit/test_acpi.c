/* Host unit tests for lib/acpi.c: MADT parsing and the RSDP -> RSDT/XSDT -> MADT walk over crafted tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lib/acpi.h"

/* ---- building tables ---- */

struct builder {
    u8 buf[1024];
    size_t len;
};

static void fix_checksum(void *table, size_t len, u8 *field)
{
    *field = 0;
    *field = (u8)(0u - acpi_checksum(table, len));
}

static void madt_begin(struct builder *b, u32 lapic)
{
    struct acpi_madt m;

    memset(&m, 0, sizeof m);
    memcpy(m.h.signature, "APIC", 4);
    m.h.revision = 3;
    memcpy(m.h.oem_id, "BOCHS ", 6);
    m.lapic_addr = lapic;
    m.flags = 1;                        /* PCAT_COMPAT */
    memset(b->buf, 0, sizeof b->buf);
    memcpy(b->buf, &m, sizeof m);
    b->len = sizeof m;
}

static void add(struct builder *b, const u8 *e, size_t n)
{
    memcpy(b->buf + b->len, e, n);
    b->len += n;
}

static void add_lapic(struct builder *b, u8 uid, u8 id, u32 flags)
{
    u8 e[8] = { 0, 8, uid, id, (u8)flags, (u8)(flags >> 8), (u8)(flags >> 16), (u8)(flags >> 24) };
    add(b, e, sizeof e);
}

static void add_x2apic(struct builder *b, u32 id, u32 flags)
{
    u8 e[16] = { 9, 16, 0, 0,
                 (u8)id, (u8)(id >> 8), (u8)(id >> 16), (u8)(id >> 24),
                 (u8)flags, (u8)(flags >> 8), (u8)(flags >> 16), (u8)(flags >> 24),
                 1, 0, 0, 0 };
    add(b, e, sizeof e);
}

static void add_ioapic(struct builder *b)
{
    u8 e[12] = { 1, 12, 2, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0 };
    add(b, e, sizeof e);
}

static void add_lapic_override(struct builder *b, u64 addr)
{
    u8 e[12] = { 5, 12, 0, 0 };
    for (int i = 0; i < 8; i++)
        e[4 + i] = (u8)(addr >> (8 * i));
    add(b, e, sizeof e);
}

/* Sets the length and the checksum; returns the length. */
static size_t madt_end(struct builder *b)
{
    struct acpi_madt *m = (struct acpi_madt *)b->buf;

    m->h.length = (u32)b->len;
    fix_checksum(b->buf, b->len, &m->h.checksum);
    return b->len;
}

/* ---- madt_parse ---- */

static void test_checksum(void **st)
{
    const u8 zero[4] = { 0 }, some[4] = { 1, 2, 3, 250 };

    (void)st;
    assert_int_equal(acpi_checksum(zero, 4), 0);
    assert_int_equal(acpi_checksum(some, 4), 0);
    assert_int_equal(acpi_checksum(some, 3), 6);
    assert_int_equal(acpi_checksum(some, 0), 0);
}

static void test_madt_bochs_like(void **st)
{
    struct builder b;
    struct madt_info mi;

    (void)st;
    /* what Bochs's BIOS builds for 4 CPUs: LAPIC entries 0..3 and one IOAPIC */
    madt_begin(&b, 0xfee00000);
    for (u8 i = 0; i < 4; i++)
        add_lapic(&b, i, i, 1);
    add_ioapic(&b);
    assert_true(madt_parse(b.buf, madt_end(&b), &mi));
    assert_int_equal(mi.lapic_addr, 0xfee00000);
    assert_int_equal(mi.ncpus, 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(mi.apic_id[i], i);
    assert_int_equal(mi.skipped, 0);
}

static void test_madt_entries(void **st)
{
    struct builder b;
    struct madt_info mi;

    (void)st;
    madt_begin(&b, 0xfee00000);
    add_lapic(&b, 0, 0, 1);
    add_lapic(&b, 1, 2, 0);             /* disabled: not a CPU to start */
    add_lapic(&b, 2, 4, 3);             /* enabled, online-capable bit too */
    add_x2apic(&b, 0x100, 1);           /* x2APIC id above 255 */
    add_x2apic(&b, 4, 1);               /* same id as an xAPIC entry: once */
    add_x2apic(&b, 0x200, 0);
    add_lapic_override(&b, 0xfed00000);
    assert_true(madt_parse(b.buf, madt_end(&b), &mi));
    assert_int_equal(mi.ncpus, 3);
    assert_int_equal(mi.apic_id[0], 0);
    assert_int_equal(mi.apic_id[1], 4);
    assert_int_equal(mi.apic_id[2], 0x100);
    assert_int_equal(mi.lapic_addr, 0xfed00000);

    /* an override above 4 GiB cannot be used by a 32-bit field: ignored */
    madt_begin(&b, 0xfee00000);
    add_lapic(&b, 0, 0, 1);
    add_lapic_override(&b, 0x100000000ull);
    assert_true(madt_parse(b.buf, madt_end(&b), &mi));
    assert_int_equal(mi.lapic_addr, 0xfee00000);
}

static void test_madt_too_many_cpus(void **st)
{
    struct builder b;
    struct madt_info mi;

    (void)st;
    madt_begin(&b, 0xfee00000);
    for (unsigned i = 0; i < MAX_CPUS + 5; i++)
        add_lapic(&b, (u8)i, (u8)i, 1);
    assert_true(madt_parse(b.buf, madt_end(&b), &mi));
    assert_int_equal(mi.ncpus, MAX_CPUS);
    assert_int_equal(mi.skipped, 5);
    assert_int_equal(mi.apic_id[MAX_CPUS - 1], MAX_CPUS - 1);
}

static void test_madt_malformed(void **st)
{
    struct builder b;
    struct madt_info mi;
    size_t len;

    (void)st;
    /* no CPUs at all */
    madt_begin(&b, 0xfee00000);
    add_ioapic(&b);
    assert_false(madt_parse(b.buf, madt_end(&b), &mi));

    madt_begin(&b, 0xfee00000);
    add_lapic(&b, 0, 0, 1);
    len = madt_end(&b);
    assert_true(madt_parse(b.buf, len, &mi));
    assert_false(madt_parse(b.buf, len - 1, &mi));  /* table longer than buffer */
    assert_false(madt_parse(b.buf, 10, &mi));       /* shorter than a header */
    b.buf[len - 1] ^= 1;                            /* checksum */
    assert_false(madt_parse(b.buf, len, &mi));

    madt_begin(&b, 0xfee00000);
    add_lapic(&b, 0, 0, 1);
    memcpy(b.buf, "APIX", 4);
    assert_false(madt_parse(b.buf, madt_end(&b), &mi));

    /* header length smaller than the MADT's fixed part */
    madt_begin(&b, 0xfee00000);
    add_lapic(&b, 0, 0, 1);
    madt_end(&b);
    ((struct acpi_madt *)b.buf)->h.length = 40;
    fix_checksum(b.buf, 40, &((struct acpi_madt *)b.buf)->h.checksum);
    assert_false(madt_parse(b.buf, sizeof b.buf, &mi));

    /* entry length 0 and 1 would never advance */
    for (u8 bad = 0; bad < 2; bad++) {
        const u8 e[2] = { 0, bad };
        madt_begin(&b, 0xfee00000);
        add_lapic(&b, 0, 0, 1);
        add(&b, e, 2);
        assert_false(madt_parse(b.buf, madt_end(&b), &mi));
    }

    /* entry running past the table */
    {
        const u8 e[4] = { 0, 8, 1, 1 };
        madt_begin(&b, 0xfee00000);
        add_lapic(&b, 0, 0, 1);
        add(&b, e, 4);
        assert_false(madt_parse(b.buf, madt_end(&b), &mi));
    }

    /* a type-0 entry too short to hold flags is not a CPU */
    {
        const u8 e[4] = { 0, 4, 1, 1 };
        madt_begin(&b, 0xfee00000);
        add_lapic(&b, 0, 0, 1);
        add(&b, e, 4);
        assert_true(madt_parse(b.buf, madt_end(&b), &mi));
        assert_int_equal(mi.ncpus, 1);
    }
}

/* ---- acpi_find_madt over a fake low memory ---- */

#define MEM_SIZE (2u << 20)
static _Alignas(16) u8 mem[MEM_SIZE];

static void put_rsdp(u32 at, u8 revision, u32 rsdt, u64 xsdt)
{
    struct acpi_rsdp r;

    memset(&r, 0, sizeof r);
    memcpy(r.signature, "RSD PTR ", 8);
    memcpy(r.oem_id, "BOCHS ", 6);
    r.revision = revision;
    r.rsdt_address = rsdt;
    r.length = sizeof r;
    r.xsdt_address = xsdt;
    fix_checksum(&r, 20, &r.checksum);
    fix_checksum(&r, sizeof r, &r.ext_checksum);
    memcpy(mem + at, &r, sizeof r);
}

static void put_sdt(u32 at, const char *sig, const u64 *entries, unsigned n, unsigned esize)
{
    struct acpi_header h;

    memset(&h, 0, sizeof h);
    memcpy(h.signature, sig, 4);
    h.length = (u32)(sizeof h + n * esize);
    memcpy(mem + at, &h, sizeof h);
    for (unsigned i = 0; i < n; i++)
        memcpy(mem + at + sizeof h + i * esize, &entries[i], esize);   /* little-endian */
    fix_checksum(mem + at, h.length, &((struct acpi_header *)(mem + at))->checksum);
}

static void put_madt(u32 at)
{
    struct builder b;

    madt_begin(&b, 0xfee00000);
    add_lapic(&b, 0, 0, 1);
    add_lapic(&b, 1, 1, 1);
    memcpy(mem + at, b.buf, madt_end(&b));
}

static void fresh_memory(void)
{
    memset(mem, 0, sizeof mem);
    put_sdt(0x101000, "FACP", NULL, 0, 4);
    put_madt(0x102000);
}

static void test_find_via_rsdt(void **st)
{
    const u64 ents[2] = { 0x101000, 0x102000 };
    const struct acpi_madt *m;
    struct madt_info mi;

    (void)st;
    fresh_memory();
    put_sdt(0x100000, "RSDT", ents, 2, 4);
    put_rsdp(0xfa3c0, 0, 0x100000, 0);      /* in the BIOS area, 16-aligned */
    m = acpi_find_madt((uintptr_t)mem);
    assert_ptr_equal(m, mem + 0x102000);
    assert_true(madt_parse(m, m->h.length, &mi));
    assert_int_equal(mi.ncpus, 2);
}

static void test_find_via_xsdt(void **st)
{
    const u64 rsdt_ents[1] = { 0x101000 };  /* RSDT without the MADT: must use the XSDT */
    const u64 xsdt_ents[2] = { 0x101000, 0x102000 };

    (void)st;
    fresh_memory();
    put_sdt(0x100000, "RSDT", rsdt_ents, 1, 4);
    put_sdt(0x100800, "XSDT", xsdt_ents, 2, 8);
    put_rsdp(0xe0000, 2, 0x100000, 0x100800);
    assert_ptr_equal(acpi_find_madt((uintptr_t)mem), mem + 0x102000);
    /* an XSDT entry above 4 GiB is skipped, the next one still found */
    {
        const u64 high[2] = { 0x100000000ull | 0x102000, 0x102000 };
        put_sdt(0x100800, "XSDT", high, 2, 8);
        assert_ptr_equal(acpi_find_madt((uintptr_t)mem), mem + 0x102000);
    }
    /* revision 0 ignores the XSDT fields */
    put_rsdp(0xe0000, 0, 0x100000, 0x100800);
    assert_null(acpi_find_madt((uintptr_t)mem));
}

static void test_find_in_ebda(void **st)
{
    const u64 ents[1] = { 0x102000 };

    (void)st;
    fresh_memory();
    put_sdt(0x100000, "RSDT", ents, 1, 4);
    mem[0x40e] = 0xc0;                      /* EBDA segment 0x9fc0 */
    mem[0x40f] = 0x9f;
    put_rsdp(0x9fc00 + 0x100, 0, 0x100000, 0);
    assert_ptr_equal(acpi_find_madt((uintptr_t)mem), mem + 0x102000);
}

static void test_find_failures(void **st)
{
    const u64 ents[2] = { 0x101000, 0x102000 };

    (void)st;
    fresh_memory();
    assert_null(acpi_find_madt((uintptr_t)mem));            /* no RSDP */

    put_sdt(0x100000, "RSDT", ents, 2, 4);
    put_rsdp(0xf0008, 0, 0x100000, 0);                      /* not 16-aligned */
    assert_null(acpi_find_madt((uintptr_t)mem));

    put_rsdp(0xf0010, 0, 0x100000, 0);
    mem[0xf0010 + 9] ^= 0xff;                               /* RSDP checksum */
    assert_null(acpi_find_madt((uintptr_t)mem));

    put_rsdp(0xf0010, 0, 0x100000, 0);
    assert_non_null(acpi_find_madt((uintptr_t)mem));
    mem[0x100000 + 36] ^= 1;                                /* RSDT checksum */
    assert_null(acpi_find_madt((uintptr_t)mem));

    /* a 0 entry is skipped, not followed */
    {
        const u64 bad[2] = { 0, 0x101000 };
        put_sdt(0x100000, "RSDT", bad, 2, 4);
        assert_null(acpi_find_madt((uintptr_t)mem));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_madt_bochs_like),
        cmocka_unit_test(test_madt_entries),
        cmocka_unit_test(test_madt_too_many_cpus),
        cmocka_unit_test(test_madt_malformed),
        cmocka_unit_test(test_find_via_rsdt),
        cmocka_unit_test(test_find_via_xsdt),
        cmocka_unit_test(test_find_in_ebda),
        cmocka_unit_test(test_find_failures),
    };

    return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
