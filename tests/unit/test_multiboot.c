/* Host unit tests for lib/multiboot.c: command line, memory map and modules of a crafted Multiboot v1 info. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lib/multiboot.h"

/* "Physical memory" for the view: pa N is arena[N]. */
static _Alignas(16) unsigned char arena[64 * 1024];

static struct mb_view view(const struct mb_info *info)
{
    return (struct mb_view){ info, (uintptr_t)arena };
}

static u32 put_str(u32 pa, const char *s)
{
    memcpy(arena + pa, s, strlen(s) + 1);
    return pa;
}

/* Writes an mmap entry with the given 'size' field at pa; returns the next pa. */
static u32 put_mmap(u32 pa, u32 size, u64 addr, u64 len, u32 type)
{
    struct mb_mmap_entry e = { size, addr, len, type };
    memcpy(arena + pa, &e, sizeof e);
    return pa + 4 + size;
}

/* What GRUB hands over on Bochs with 4.87 GiB (the reference box's RAM). */
static u32 bochs_like_mmap(u32 pa)
{
    pa = put_mmap(pa, 20, 0x0, 0x9f000, 1);
    pa = put_mmap(pa, 20, 0x9f000, 0x1000, 2);
    pa = put_mmap(pa, 20, 0xe8000, 0x18000, 2);
    pa = put_mmap(pa, 20, 0x100000, 0xbfef0000, 1);
    pa = put_mmap(pa, 20, 0xbfff0000, 0x10000, 3);
    pa = put_mmap(pa, 20, 0xfffc0000, 0x40000, 2);
    pa = put_mmap(pa, 20, 0x100000000ull, 0x37c000000ull, 1);
    return pa;
}

static void test_cmdline(void **st)
{
    struct mb_info info = { 0 };
    struct mb_view v = view(&info);

    (void)st;
    memset(arena, 0, sizeof arena);
    assert_string_equal(mb_cmdline(&v), "");        /* no flag */
    info.flags = MB_FLAG_CMDLINE;
    assert_string_equal(mb_cmdline(&v), "");        /* flag, but pointer 0 */
    info.cmdline = put_str(0x100, "serial=0x3f8 smp=1 opt=0x5");
    assert_string_equal(mb_cmdline(&v), "serial=0x3f8 smp=1 opt=0x5");
}

static void test_cmdline_get(void **st)
{
    char out[16];

    (void)st;
    assert_true(cmdline_get("a=1 bb=22 b=3", "b", out, sizeof out));
    assert_string_equal(out, "3");                  /* not the "bb" word */
    assert_true(cmdline_get("a=1 bb=22 b=3", "bb", out, sizeof out));
    assert_string_equal(out, "22");
    assert_true(cmdline_get("   a=first   a=second", "a", out, sizeof out));
    assert_string_equal(out, "first");
    assert_true(cmdline_get("key= other=1", "key", out, sizeof out));
    assert_string_equal(out, "");
    assert_false(cmdline_get("a=1 b=2", "c", out, sizeof out));
    assert_false(cmdline_get("ab=1", "a", out, sizeof out));
    assert_false(cmdline_get("a", "a", out, sizeof out));
    assert_false(cmdline_get("", "a", out, sizeof out));
    assert_false(cmdline_get("   ", "a", out, sizeof out));
    /* truncated to size - 1 */
    assert_true(cmdline_get("name=abcdefghij", "name", out, 4));
    assert_string_equal(out, "abc");
    assert_true(cmdline_get("name=abcdefghij", "name", out, 1));
    assert_string_equal(out, "");
    assert_true(cmdline_get("name=abc", "name", NULL, 0));

    assert_int_equal(cmdline_get_u64("base=0x1000000 n=12", "base", 7), 0x1000000);
    assert_int_equal(cmdline_get_u64("base=0x1000000 n=12", "n", 7), 12);
    assert_int_equal(cmdline_get_u64("n=12k", "n", 7), 7);     /* trailing junk */
    assert_int_equal(cmdline_get_u64("n=", "n", 7), 7);
    assert_int_equal(cmdline_get_u64("m=1", "n", 7), 7);
    assert_int_equal(cmdline_get_u64("n=0", "n", 7), 0);
}

static void test_mmap_walk(void **st)
{
    struct mb_info info = { 0 };
    struct mb_view v = view(&info);
    const struct mb_mmap_entry *e;
    u32 cur = 0;
    unsigned n = 0;

    (void)st;
    memset(arena, 0, sizeof arena);
    info.flags = MB_FLAG_MMAP | MB_FLAG_MEM;
    info.mem_upper = 1024;
    info.mmap_addr = 0x1000;
    info.mmap_length = bochs_like_mmap(0x1000) - 0x1000;
    while ((e = mb_mmap_next(&v, &cur)) != NULL) {
        n++;
        if (n == 1) {
            assert_int_equal(e->addr, 0);
            assert_int_equal(e->len, 0x9f000);
            assert_int_equal(e->type, 1);
        }
    }
    assert_int_equal(n, 7);
    assert_int_equal(mb_ram_top(&v), 0x47c000000ull);

    /* without MMAP the mem_upper field decides */
    info.flags = MB_FLAG_MEM;
    assert_int_equal(mb_ram_top(&v), 0x100000 + 1024 * 1024);
    info.flags = 0;
    assert_int_equal(mb_ram_top(&v), 0);
    cur = 0;
    assert_null(mb_mmap_next(&v, &cur));
}

static void test_mmap_bigger_entries(void **st)
{
    struct mb_info info = { 0 };
    struct mb_view v = view(&info);
    const struct mb_mmap_entry *e;
    u32 cur = 0, pa = 0x2000;
    unsigned n = 0;

    (void)st;
    memset(arena, 0, sizeof arena);
    /* 'size' may exceed 20 (ACPI 3.0 extended attributes): skip by 'size' */
    pa = put_mmap(pa, 24, 0, 0x9fc00, 1);
    pa = put_mmap(pa, 24, 0x100000, 0x7ff00000, 1);
    info.flags = MB_FLAG_MMAP;
    info.mmap_addr = 0x2000;
    info.mmap_length = pa - 0x2000;
    while ((e = mb_mmap_next(&v, &cur)) != NULL)
        n++;
    assert_int_equal(n, 2);
    assert_int_equal(mb_ram_top(&v), 0x80000000ull);

    /* a truncated last entry (length not covering it) is not returned */
    info.mmap_length = 28 + 20;
    cur = 0;
    n = 0;
    while ((e = mb_mmap_next(&v, &cur)) != NULL)
        n++;
    assert_int_equal(n, 1);
}

static void test_mmap_malformed_terminates(void **st)
{
    struct mb_info info = { 0 };
    struct mb_view v = view(&info);
    u32 pa, cur;
    unsigned n;

    (void)st;
    memset(arena, 0, sizeof arena);
    info.flags = MB_FLAG_MMAP;
    info.mmap_addr = 0x3000;

    /* size 0 would never advance */
    pa = put_mmap(0x3000, 20, 0, 0x9f000, 1);
    put_mmap(pa, 0, 0x100000, 0x1000000, 1);
    info.mmap_length = 48;
    for (cur = 0, n = 0; n < 100 && mb_mmap_next(&v, &cur); n++)
        ;
    assert_int_equal(n, 1);

    /* a 'size' that wraps 'cursor + size + 4' around 2^32 back to 0 */
    pa = put_mmap(0x3000, 20, 0, 0x9f000, 1);
    put_mmap(pa, (u32)(0u - 24u - 4u), 0x100000, 0x1000000, 1);
    for (cur = 0, n = 0; n < 100 && mb_mmap_next(&v, &cur); n++)
        ;
    assert_true(n < 100);

    /* a 'size' of 2^32 - 4: 'size + 4' is 0 in 32 bits */
    put_mmap(pa, 0xfffffffcu, 0x100000, 0x1000000, 1);
    for (cur = 0, n = 0; n < 100 && mb_mmap_next(&v, &cur); n++)
        ;
    assert_true(n < 100);
}

static void test_modules(void **st)
{
    struct mb_info info = { 0 };
    struct mb_view v = view(&info);
    struct mb_module mods[2] = {
        { 0x200000, 0x200200, 0x5000, 0 },
        { 0x300000, 0x380000, 0x5100, 0 },
    };

    (void)st;
    memset(arena, 0, sizeof arena);
    memcpy(arena + 0x4000, mods, sizeof mods);
    info.mods_count = 2;
    info.mods_addr = 0x4000;
    assert_int_equal(mb_module_count(&v), 0);       /* no flag */
    assert_null(mb_module(&v, 0));
    info.flags = MB_FLAG_MODS;
    assert_int_equal(mb_module_count(&v), 2);
    assert_non_null(mb_module(&v, 0));
    assert_int_equal(mb_module(&v, 0)->start, 0x200000);
    assert_int_equal(mb_module(&v, 0)->end, 0x200200);
    assert_int_equal(mb_module(&v, 1)->start, 0x300000);
    assert_int_equal(mb_module(&v, 1)->string, 0x5100);
    assert_null(mb_module(&v, 2));
    assert_null(mb_module(&v, 0xffffffffu));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmdline),
        cmocka_unit_test(test_cmdline_get),
        cmocka_unit_test(test_mmap_walk),
        cmocka_unit_test(test_mmap_bigger_entries),
        cmocka_unit_test(test_mmap_malformed_terminates),
        cmocka_unit_test(test_modules),
    };

    return cmocka_run_group_tests_name("multiboot", tests, NULL, NULL);
}
