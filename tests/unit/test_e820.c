/* test_e820.c - E820 editing: carving nestvisor's region out of the BIOS map */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "pure/e820.h"

/* The Bochs BIOS map with 512 MiB (as GRUB reports it). */
static unsigned bochs_map(struct e820_range *m)
{
    m[0] = (struct e820_range){ 0, 0x9f000, 1 };
    m[1] = (struct e820_range){ 0x9f000, 0x1000, 2 };
    m[2] = (struct e820_range){ 0xe8000, 0x18000, 2 };
    m[3] = (struct e820_range){ 0x100000, 0x1fef0000, 1 };
    m[4] = (struct e820_range){ 0x1fff0000, 0x10000, 3 };
    m[5] = (struct e820_range){ 0xfffc0000, 0x40000, 2 };
    return 6;
}

static void test_carve_middle_of_ram(void **s)
{
    (void)s;
    struct e820_range m[16];
    unsigned n = bochs_map(m);
    assert_true(e820_set_range(m, &n, 16, 0x10000000, 0x14000000, E820_RESERVED));
    assert_int_equal(n, 8);
    assert_int_equal(m[3].addr, 0x100000);
    assert_int_equal(m[3].addr + m[3].len, 0x10000000);
    assert_int_equal(m[4].addr, 0x10000000);
    assert_int_equal(m[4].len, 0x4000000);
    assert_int_equal(m[4].type, E820_RESERVED);
    assert_int_equal(m[5].addr, 0x14000000);
    assert_int_equal(m[5].addr + m[5].len, 0x1fff0000);
    assert_int_equal(m[5].type, E820_RAM);
}

static void test_carve_low_pages_overlapping_two_entries(void **s)
{
    (void)s;
    struct e820_range m[16];
    unsigned n = bochs_map(m);
    assert_true(e820_set_range(m, &n, 16, 0x9d000, 0x9f000 + 0x1000, E820_RESERVED));
    assert_int_equal(m[0].len, 0x9d000);
    assert_int_equal(m[1].addr, 0x9d000);
    assert_int_equal(m[1].len, 0x3000);
    assert_int_equal(m[2].addr, 0xe8000);
    for (unsigned i = 1; i < n; i++) assert_true(m[i - 1].addr + m[i - 1].len <= m[i].addr);
}

static void test_range_covering_whole_entries(void **s)
{
    (void)s;
    struct e820_range m[16];
    unsigned n = bochs_map(m);
    assert_true(e820_set_range(m, &n, 16, 0, 0x100000000ull, E820_RESERVED));
    assert_int_equal(n, 1);
    assert_int_equal(m[0].len, 0x100000000ull);
}

static void test_full_map_is_refused_unchanged(void **s)
{
    (void)s;
    struct e820_range m[16];
    unsigned n = bochs_map(m);
    struct e820_range before[16];
    for (unsigned i = 0; i < n; i++) before[i] = m[i];
    assert_false(e820_set_range(m, &n, 7, 0x10000000, 0x14000000, E820_RESERVED)); /* needs 8 */
    assert_int_equal(n, 6);
    for (unsigned i = 0; i < n; i++) assert_memory_equal(&m[i], &before[i], sizeof m[i]);
}

static void test_empty_and_wrapping_entries_dropped(void **s)
{
    (void)s;
    struct e820_range m[8] = { { 0x1000, 0, 1 }, { 0xfffffffffffff000ull, 0x2000, 1 }, { 0x100000, 0x100000, 1 } };
    unsigned n = 3;
    assert_true(e820_set_range(m, &n, 8, 0x180000, 0x190000, E820_RESERVED));
    assert_int_equal(n, 3);
    assert_int_equal(m[0].addr, 0x100000);
    assert_int_equal(m[1].addr, 0x180000);
    assert_int_equal(m[2].addr, 0x190000);
}

static void test_sort(void **s)
{
    (void)s;
    struct e820_range m[4] = { { 3, 1, 1 }, { 1, 1, 2 }, { 2, 1, 3 }, { 0, 1, 4 } };
    e820_sort(m, 4);
    for (unsigned i = 0; i < 4; i++) assert_int_equal(m[i].addr, i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_carve_middle_of_ram),
        cmocka_unit_test(test_carve_low_pages_overlapping_two_entries),
        cmocka_unit_test(test_range_covering_whole_entries),
        cmocka_unit_test(test_full_map_is_refused_unchanged),
        cmocka_unit_test(test_empty_and_wrapping_entries_dropped),
        cmocka_unit_test(test_sort),
    };
    return cmocka_run_group_tests_name("e820", tests, NULL, NULL);
}
