/* Host unit tests for pure/mtrr.c: SDM §12.11 memory types, case by case, and Bochs 2.7's real BIOS setup. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pure/mtrr.h"
#include "tests/unit/mtrr_model.h"

/* ---- basic behaviour ---- */

static void test_disabled_is_uc(void **st)
{
    struct mtrr_state s;

    (void)st;
    bochs_bios(&s, 512 * MiB, 36, true);
    s.def_type &= ~E_BIT;   /* FE and type 6 stay set: both ignored */
    assert_int_equal(mtrr_type_of_addr(&s, 0), MT_UC);
    assert_int_equal(mtrr_type_of_addr(&s, 0x200000), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 0, 1ull << 36), MT_UC);
    assert_int_equal(mtrr_uniform_extent(&s, 0, GiB), GiB);
    /* still bounded by MAXPHYADDR */
    assert_int_equal(mtrr_type_of_range(&s, 0, (1ull << 36) + 1), MT_INVALID);
}

static void test_default_type_only(void **st)
{
    struct mtrr_state s;
    const int types[] = { MT_UC, MT_WC, MT_WT, MT_WP, MT_WB };

    (void)st;
    for (unsigned i = 0; i < 5; i++) {
        init_state(&s, 39, 8, E_BIT | (uint64_t)types[i]);
        assert_int_equal(mtrr_type_of_addr(&s, 0), types[i]);
        assert_int_equal(mtrr_type_of_addr(&s, 0xFEE00000), types[i]);
        assert_int_equal(mtrr_type_of_range(&s, 0, 1ull << 39), types[i]);
        assert_int_equal(mtrr_uniform_extent(&s, 64 * GiB, GiB), GiB);
    }
}

static void test_invalid_types_are_uc(void **st)
{
    struct mtrr_state s;

    (void)st;
    /* reserved default type */
    init_state(&s, 36, 8, E_BIT | 2);
    assert_int_equal(mtrr_type_of_addr(&s, 16 * MiB), MT_UC);
    init_state(&s, 36, 8, E_BIT | 0xFF);
    assert_int_equal(mtrr_type_of_addr(&s, 16 * MiB), MT_UC);

    /* reserved variable-range types 3 and 7 beat nothing: they are UC */
    init_state(&s, 36, 8, E_BIT | MT_WB);
    set_var(&s, 0, 16 * MiB, 16 * MiB, 3);
    set_var(&s, 1, 64 * MiB, 16 * MiB, 7);
    assert_int_equal(mtrr_type_of_addr(&s, 16 * MiB), MT_UC);
    assert_int_equal(mtrr_type_of_addr(&s, 64 * MiB), MT_UC);
    assert_int_equal(mtrr_type_of_addr(&s, 32 * MiB), MT_WB);

    /* WC is valid only with MTRRCAP.WC */
    init_state(&s, 36, 8, E_BIT | MT_WB);
    set_var(&s, 0, 0xE0000000, 256 * MiB, MT_WC);
    assert_int_equal(mtrr_type_of_addr(&s, 0xE0000000), MT_WC);
    s.cap &= ~(1ull << 10);
    assert_int_equal(mtrr_type_of_addr(&s, 0xE0000000), MT_UC);
    s.def_type = E_BIT | MT_WC;
    assert_int_equal(mtrr_type_of_addr(&s, 0), MT_UC);

    /* reserved fixed-range byte */
    init_state(&s, 36, 8, E_BIT | FE_BIT | MT_WB);
    s.fixed[0] = fixed_all(MT_WB);
    set_fixed_byte(&s.fixed[0], 3, 2);
    assert_int_equal(mtrr_type_of_addr(&s, 0x30000), MT_UC);
    assert_int_equal(mtrr_type_of_addr(&s, 0x20000), MT_WB);

    assert_true(mtrr_type_is_valid(BOCHS_MTRRCAP, MT_WC));
    assert_false(mtrr_type_is_valid(0x108, MT_WC));
    assert_false(mtrr_type_is_valid(BOCHS_MTRRCAP, 2));
    assert_false(mtrr_type_is_valid(BOCHS_MTRRCAP, 3));
    assert_false(mtrr_type_is_valid(BOCHS_MTRRCAP, 7));
    assert_false(mtrr_type_is_valid(BOCHS_MTRRCAP, 0x106));
    assert_true(mtrr_type_is_valid(0, MT_WP));
}

static void test_valid_bit_and_vcnt(void **st)
{
    struct mtrr_state s;

    (void)st;
    init_state(&s, 36, 2, E_BIT | MT_WB);
    set_var(&s, 0, 0, 16 * MiB, MT_UC);
    s.var_mask[0] &= ~V_BIT;                /* V = 0: ignored */
    assert_int_equal(mtrr_type_of_addr(&s, 0), MT_WB);
    set_var(&s, 2, 0, 16 * MiB, MT_UC);     /* beyond VCNT = 2: ignored */
    assert_int_equal(mtrr_type_of_addr(&s, 0), MT_WB);
    s.cap = (s.cap & ~0xFFull) | 3;
    assert_int_equal(mtrr_type_of_addr(&s, 0), MT_UC);

    /* VCNT above MTRR_MAX_VAR is clamped, not read out of bounds */
    init_state(&s, 36, 0xFF, E_BIT | MT_WB);
    set_var(&s, 15, 0, 16 * MiB, MT_WT);
    assert_int_equal(mtrr_type_of_addr(&s, 0), MT_WT);
    assert_int_equal(mtrr_type_of_range(&s, 0, 32 * MiB), MT_MIXED);
}

static void test_bad_arguments(void **st)
{
    struct mtrr_state s;

    (void)st;
    init_state(&s, 36, 8, E_BIT | MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 0, 0), MT_INVALID);
    assert_int_equal(mtrr_type_of_range(&s, ~0ull - 10, 100), MT_INVALID);     /* wraps */
    assert_int_equal(mtrr_type_of_range(&s, 0, ~0ull), MT_INVALID);
    assert_int_equal(mtrr_type_of_range(&s, (1ull << 36) - 4096, 4096), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, (1ull << 36) - 4096, 4097), MT_INVALID);
    assert_int_equal(mtrr_type_of_addr(&s, 1ull << 36), MT_INVALID);
    assert_int_equal(mtrr_type_of_addr(&s, ~0ull), MT_INVALID);

    /* MAXPHYADDR 0 means 36 (no CPUID.80000008H); out-of-range values clamp */
    s.maxphyaddr = 0;
    assert_int_equal(mtrr_type_of_addr(&s, (1ull << 36) - 4096), MT_WB);
    assert_int_equal(mtrr_type_of_addr(&s, 1ull << 36), MT_INVALID);
    s.maxphyaddr = 200;
    assert_int_equal(mtrr_type_of_addr(&s, (1ull << 52) - 4096), MT_WB);
    assert_int_equal(mtrr_type_of_addr(&s, 1ull << 52), MT_INVALID);
    s.maxphyaddr = 8;
    assert_int_equal(mtrr_type_of_addr(&s, 0xFFFFF000), MT_WB);
    assert_int_equal(mtrr_type_of_addr(&s, 1ull << 32), MT_INVALID);
}

static void test_byte_granular_range(void **st)
{
    struct mtrr_state s;

    (void)st;
    init_state(&s, 36, 8, E_BIT | MT_WB);
    set_var(&s, 0, 0x2000000, 4096, MT_UC);
    /* the pages touching the ends count whole */
    assert_int_equal(mtrr_type_of_range(&s, 0x1FFFFFF, 1), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 0x1FFFFFF, 2), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 0x2000FFF, 1), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 0x2000001, 0xFFF), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 0x2000001, 0x1000), MT_MIXED);
    assert_int_equal(mtrr_type_of_addr(&s, 0x2000ABC), MT_UC);
}

/* ---- fixed ranges ---- */

/* A typical real-firmware layout: ROM shadows WP, option-ROM space UC. */
static void firmware_fixed(struct mtrr_state *s)
{
    init_state(s, 36, 8, E_BIT | FE_BIT | MT_UC);
    set_var(s, 0, 0, 2 * GiB, MT_WB);
    s->fixed[0] = fixed_all(MT_WB);          /* 00000-7FFFF */
    s->fixed[1] = fixed_all(MT_WB);          /* 80000-9FFFF */
    s->fixed[2] = fixed_all(MT_UC);          /* A0000-BFFFF VGA */
    s->fixed[3] = fixed_all(MT_WP);          /* C0000-C7FFF video BIOS */
    s->fixed[4] = fixed_all(MT_UC);          /* C8000-CFFFF */
    s->fixed[5] = fixed_all(MT_UC);
    s->fixed[6] = fixed_all(MT_UC);
    s->fixed[7] = fixed_all(MT_WP);          /* E0000-FFFFF system BIOS */
    s->fixed[8] = fixed_all(MT_WP);
    s->fixed[9] = fixed_all(MT_WP);
    s->fixed[10] = fixed_all(MT_WP);
}

static void test_fixed_ranges(void **st)
{
    struct mtrr_state s;

    (void)st;
    firmware_fixed(&s);
    assert_int_equal(mtrr_type_of_range(&s, 0, 0xA0000), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 0xA0000, 0x20000), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 0xC0000, 0x8000), MT_WP);
    assert_int_equal(mtrr_type_of_range(&s, 0xC8000, 0x18000), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 0xE0000, 0x20000), MT_WP);
    assert_int_equal(mtrr_type_of_range(&s, 0x9F000, 0x2000), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 0xBF000, 0x2000), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 0, MiB), MT_MIXED);

    /* every granule of every fixed MSR reaches its own byte */
    for (unsigned e = 0; e < 88; e++) {
        uint64_t base = e < 8 ? e * 64 * KiB
                      : e < 24 ? 0x80000 + (e - 8) * 16 * KiB
                      : 0xC0000 + (e - 24) * 4 * KiB;
        uint64_t size = e < 8 ? 64 * KiB : e < 24 ? 16 * KiB : 4 * KiB;

        init_state(&s, 36, 8, E_BIT | FE_BIT | MT_WB);
        for (unsigned m = 0; m < 11; m++)
            s.fixed[m] = fixed_all(MT_WB);
        set_fixed_byte(&s.fixed[e / 8], e % 8, MT_WT);
        assert_int_equal(mtrr_type_of_range(&s, base, size), MT_WT);
        assert_int_equal(mtrr_type_of_addr(&s, base + size - 4096), MT_WT);
        if (base)
            assert_int_equal(mtrr_type_of_addr(&s, base - 4096), MT_WB);
        assert_int_equal(mtrr_type_of_addr(&s, base + size), MT_WB);
        assert_int_equal(mtrr_type_of_range(&s, base, size + 4096), MT_MIXED);
        assert_int_equal(mtrr_type_of_range(&s, 0, MiB), MT_MIXED);
        assert_int_equal(mtrr_fixed_msrs[e / 8],
                         e < 8 ? 0x250 : e < 16 ? 0x258 : e < 24 ? 0x259
                         : 0x268 + (e - 24) / 8);
    }
}

static void test_fixed_overrides_variable(void **st)
{
    struct mtrr_state s;

    (void)st;
    /* below 1 MiB a UC variable range does not win against a fixed WB */
    init_state(&s, 36, 8, E_BIT | FE_BIT | MT_WB);
    for (unsigned m = 0; m < 11; m++)
        s.fixed[m] = fixed_all(MT_WB);
    set_var(&s, 0, 0, 2 * MiB, MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 0, MiB), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, MiB, MiB), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 0xFF000, 0x2000), MT_MIXED);
    assert_int_equal(mtrr_uniform_extent(&s, 0, 2 * MiB), MiB);
}

static void test_fixed_disabled_falls_through(void **st)
{
    struct mtrr_state s;

    (void)st;
    /* FE = 0: below 1 MiB the variable ranges and the default decide */
    firmware_fixed(&s);
    s.def_type &= ~FE_BIT;
    assert_int_equal(mtrr_type_of_range(&s, 0, 2 * GiB), MT_WB);
    assert_int_equal(mtrr_type_of_addr(&s, 0xA0000), MT_WB);
    s.var_mask[0] &= ~V_BIT;
    assert_int_equal(mtrr_type_of_addr(&s, 0xC0000), MT_UC);   /* default */

    /* FE = 1 without MTRRCAP.FIX: fixed ranges ignored likewise */
    firmware_fixed(&s);
    s.cap &= ~(1ull << 8);
    assert_int_equal(mtrr_type_of_range(&s, 0, 2 * GiB), MT_WB);
    assert_int_equal(mtrr_type_of_addr(&s, 0xC0000), MT_WB);
}

static void test_crossing_fixed_variable_boundary(void **st)
{
    struct mtrr_state s;

    (void)st;
    firmware_fixed(&s);
    /* F0000-FFFFF is fixed WP, 100000.. is variable WB */
    assert_int_equal(mtrr_type_of_range(&s, 0xF0000, 0x20000), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 0xFF000, 0x1001), MT_MIXED);
    /* same type on both sides: uniform across the boundary */
    for (unsigned m = 0; m < 11; m++)
        s.fixed[m] = fixed_all(MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 0xF0000, 0x20000), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 0, 2 * GiB), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 0, 2 * GiB + 4096), MT_MIXED);
    assert_int_equal(mtrr_uniform_extent(&s, 0, 4 * GiB), 2 * GiB);
}

/* ---- variable-range precedence, SDM §12.11.4.1 ---- */

static int overlap(int t0, int t1, int def)
{
    struct mtrr_state s;

    init_state(&s, 36, 8, E_BIT | (uint64_t)def);
    set_var(&s, 0, 0x40000000, GiB, (unsigned)t0);
    set_var(&s, 3, 0x40000000 + 256 * MiB, 256 * MiB, (unsigned)t1);
    /* outside the inner range only range 0 matches */
    assert_int_equal(mtrr_type_of_addr(&s, 0x40000000), t0);
    return mtrr_type_of_range(&s, 0x50000000, 256 * MiB);
}

static void test_variable_overlaps(void **st)
{
    const int all[] = { MT_UC, MT_WC, MT_WT, MT_WP, MT_WB };

    (void)st;
    assert_int_equal(overlap(MT_WB, MT_UC, MT_WB), MT_UC);
    assert_int_equal(overlap(MT_UC, MT_WB, MT_WB), MT_UC);
    assert_int_equal(overlap(MT_WC, MT_UC, MT_WB), MT_UC);
    assert_int_equal(overlap(MT_WB, MT_WT, MT_UC), MT_WT);
    assert_int_equal(overlap(MT_WT, MT_WB, MT_UC), MT_WT);
    /* identical types: that type */
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(overlap(all[i], all[i], MT_UC), all[i]);
    /* everything else is undefined by the SDM: UC */
    assert_int_equal(overlap(MT_WB, MT_WC, MT_WB), MT_UC);
    assert_int_equal(overlap(MT_WB, MT_WP, MT_WB), MT_UC);
    assert_int_equal(overlap(MT_WT, MT_WP, MT_WB), MT_UC);
    assert_int_equal(overlap(MT_WC, MT_WT, MT_WB), MT_UC);
}

static void test_three_way_overlap(void **st)
{
    struct mtrr_state s;

    (void)st;
    /* WB + WT + WT is still "only WT and WB" -> WT; adding UC -> UC */
    init_state(&s, 36, 8, E_BIT | MT_UC);
    set_var(&s, 0, 0, 4 * GiB, MT_WB);
    set_var(&s, 1, 0, 2 * GiB, MT_WT);
    set_var(&s, 2, 0, GiB, MT_WT);
    assert_int_equal(mtrr_type_of_range(&s, 0, 2 * GiB), MT_WT);
    assert_int_equal(mtrr_type_of_range(&s, 2 * GiB, 2 * GiB), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 0, 4 * GiB), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 4 * GiB, 4 * GiB), MT_UC);
    set_var(&s, 3, 0, 4096, MT_UC);
    assert_int_equal(mtrr_type_of_addr(&s, 0), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 0, 2 * GiB), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 4096, GiB - 4096), MT_WT);
    /* a range fully inside a UC range is UC whatever else is partial */
    set_var(&s, 4, 0, 8 * GiB, MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 0, 8 * GiB), MT_UC);
}

static void test_partial_overlap_is_mixed(void **st)
{
    struct mtrr_state s;

    (void)st;
    init_state(&s, 36, 8, E_BIT | MT_UC);
    set_var(&s, 0, 0, 2 * GiB, MT_WB);
    set_var(&s, 1, 0x7FFFF000, 4096, MT_UC);  /* last page of the WB range */
    assert_int_equal(mtrr_type_of_range(&s, 0, 0x7FFFF000), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 0, 2 * GiB), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 0x7FFFF000, 4096), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 0x7FFFF000, 2 * GiB), MT_UC);
    assert_int_equal(mtrr_uniform_extent(&s, 0x40000000, GiB), GiB / 2);
}

/* ---- above 4 GiB ---- */

static void test_above_4g(void **st)
{
    struct mtrr_state s;

    (void)st;
    init_state(&s, 39, 8, E_BIT | MT_UC);
    set_var(&s, 0, 0, 2 * GiB, MT_WB);
    set_var(&s, 1, 4 * GiB, 4 * GiB, MT_WB);
    set_var(&s, 2, 8 * GiB, 1 * GiB, MT_WB);
    set_var(&s, 3, 256 * GiB, 256 * GiB, MT_WC);   /* top half of 39 bits */
    assert_int_equal(mtrr_type_of_range(&s, 4 * GiB, 5 * GiB), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 4 * GiB, 5 * GiB + 4096), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 2 * GiB, 2 * GiB), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 9 * GiB, 247 * GiB), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 256 * GiB, 256 * GiB), MT_WC);
    assert_int_equal(mtrr_type_of_range(&s, 255 * GiB, 2 * GiB), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 256 * GiB, 256 * GiB + 1), MT_INVALID);
    assert_int_equal(mtrr_uniform_extent(&s, 4 * GiB, 1ull << 39), 4 * GiB);
    assert_int_equal(mtrr_uniform_extent(&s, 8 * GiB, 1ull << 39), GiB);
    assert_int_equal(mtrr_uniform_extent(&s, 256 * GiB, ~0ull), 256 * GiB);
    assert_int_equal(mtrr_uniform_extent(&s, 0, ~0ull), 2 * GiB);

    /* base bits above MAXPHYADDR are ignored, like mask bits */
    init_state(&s, 36, 8, E_BIT | MT_UC);
    set_var(&s, 0, 4 * GiB, 4 * GiB, MT_WB);
    s.var_base[0] |= 1ull << 40;
    s.var_mask[0] |= 0xFFFF000000000000ull;
    assert_int_equal(mtrr_type_of_range(&s, 4 * GiB, 4 * GiB), MT_WB);
}

/* ---- Bochs 2.7's BIOS ---- */

/* Below 4 GiB, whatever the mask width. */
static void check_bochs_below_4g(const struct mtrr_state *s)
{
    /* conventional memory: fixed WB */
    assert_int_equal(mtrr_type_of_range(s, 0, 0xA0000), MT_WB);
    assert_int_equal(mtrr_type_of_addr(s, 0x7C00), MT_WB);
    assert_int_equal(mtrr_type_of_addr(s, 0x9F000), MT_WB);      /* EBDA */
    /* VGA window, option ROMs and the BIOS itself: UC */
    assert_int_equal(mtrr_type_of_range(s, 0xA0000, 0x20000), MT_UC);
    assert_int_equal(mtrr_type_of_range(s, 0xC0000, 0x40000), MT_UC);
    assert_int_equal(mtrr_type_of_range(s, 0xA0000, 0x60000), MT_UC);
    assert_int_equal(mtrr_type_of_addr(s, 0xF0000), MT_UC);
    assert_int_equal(mtrr_type_of_range(s, 0x9F000, 0x2000), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(s, 0, MiB), MT_MIXED);
    /* RAM above 1 MiB up to the PCI hole: default WB */
    assert_int_equal(mtrr_type_of_range(s, MiB, 3 * GiB - MiB), MT_WB);
    assert_int_equal(mtrr_type_of_range(s, 0xFF000, 0x2000), MT_MIXED);
    /* 3-4 GiB: var 0 UC (PCI BARs at 0xC0000000, IOAPIC, LAPIC, BIOS alias) */
    assert_int_equal(mtrr_type_of_range(s, 3 * GiB, GiB), MT_UC);
    assert_int_equal(mtrr_type_of_addr(s, 0xFEC00000), MT_UC);
    assert_int_equal(mtrr_type_of_addr(s, 0xFEE00000), MT_UC);
    assert_int_equal(mtrr_type_of_addr(s, 0xFFFFF000), MT_UC);
    assert_int_equal(mtrr_type_of_range(s, 0, 4 * GiB), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(s, 3 * GiB - 4096, 8192), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(s, 4 * GiB - 4096, 8192), MT_MIXED);

    /* EPT page-size choices */
    assert_int_equal(mtrr_uniform_extent(s, 0, GiB), 512 * KiB);
    assert_int_equal(mtrr_uniform_extent(s, 0xA0000, GiB), 128 * KiB);
    assert_int_equal(mtrr_uniform_extent(s, 0xC0000, GiB), 256 * KiB);
    assert_int_equal(mtrr_uniform_extent(s, MiB, GiB), MiB);
    assert_int_equal(mtrr_uniform_extent(s, 2 * MiB, GiB), 2 * MiB);
    assert_int_equal(mtrr_uniform_extent(s, 2 * MiB, 2 * MiB), 2 * MiB);
    assert_int_equal(mtrr_uniform_extent(s, GiB, GiB), GiB);
    assert_int_equal(mtrr_uniform_extent(s, 0, 2 * MiB), 512 * KiB);
    assert_int_equal(mtrr_uniform_extent(s, 3 * GiB - 2 * MiB, GiB), 2 * MiB);
    assert_int_equal(mtrr_uniform_extent(s, 3 * GiB, GiB), GiB);
    assert_int_equal(mtrr_uniform_extent(s, 4 * GiB, GiB), GiB);
    assert_int_equal(mtrr_uniform_extent(s, 0, 4 * GiB), 512 * KiB);
    assert_int_equal(mtrr_uniform_extent(s, 2 * GiB, 4 * GiB), GiB);
}

/* With the mask sized to MAXPHYADDR: everything above 4 GiB is default WB. */
static void check_bochs_common(const struct mtrr_state *s, unsigned maxphy)
{
    check_bochs_below_4g(s);
    assert_int_equal(mtrr_type_of_range(s, 4 * GiB, (1ull << maxphy) - 4 * GiB), MT_WB);
    assert_int_equal(mtrr_uniform_extent(s, 4 * GiB, 4 * GiB), 4 * GiB);
    assert_int_equal(mtrr_uniform_extent(s, 4 * GiB, ~0ull), 4 * GiB);
}

/*
 * Bochs 2.7 answers CPUID.80000008H with its build's BX_PHY_ADDRESS_WIDTH,
 * 40, for both lab profiles (corei5_arrandale_m520 and corei7_skylake_x
 * take the generic leaf), so this is the state the lab's CPUs really have.
 */
static void test_bochs_bios_lab(void **st)
{
    struct mtrr_state s;

    (void)st;
    bochs_bios(&s, 3 * GiB, 40, true);
    assert_int_equal(s.var_mask[0], 0xFFC0000800ull);
    check_bochs_common(&s, 40);
    assert_int_equal(mtrr_type_of_range(&s, 7 * GiB, GiB), MT_WB);
    assert_int_equal(mtrr_type_of_addr(&s, (1ull << 40) - 4096), MT_WB);
    assert_int_equal(mtrr_type_of_addr(&s, 1ull << 40), MT_INVALID);
    assert_int_equal(mtrr_uniform_extent(&s, 512 * GiB, ~0ull), 512 * GiB);
    assert_int_equal(mtrr_uniform_extent(&s, 4 * GiB, 1ull << 40), 4 * GiB);
}

/* The real CPUs behind the profiles: i5-520M has 36 address bits, Skylake-X 46. */
static void test_bochs_bios_real_widths(void **st)
{
    struct mtrr_state s;

    (void)st;
    bochs_bios(&s, 3 * GiB, 36, true);
    assert_int_equal(s.var_mask[0], 0xFC0000800ull);
    check_bochs_common(&s, 36);
    assert_int_equal(mtrr_type_of_addr(&s, 64 * GiB), MT_INVALID);
    assert_int_equal(mtrr_uniform_extent(&s, 32 * GiB, ~0ull), 32 * GiB);

    bochs_bios(&s, 2 * GiB, 46, true);
    assert_int_equal(s.var_mask[0], 0x3FFFC0000800ull);
    check_bochs_common(&s, 46);
    assert_int_equal(mtrr_type_of_range(&s, 7 * GiB, GiB), MT_WB);
}

static void test_bochs_bios_small_ram(void **st)
{
    struct mtrr_state s;

    (void)st;
    /* ram_size 576 KiB: 16 KiB entries WB only up to 0x90000 */
    bochs_bios(&s, 0x90000, 40, true);
    assert_int_equal(s.fixed[1], 0x06060606ull);
    assert_int_equal(mtrr_type_of_range(&s, 0, 0x90000), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 0x90000, 0x70000), MT_UC);
    assert_int_equal(mtrr_type_of_addr(&s, 0x8C000), MT_WB);
    assert_int_equal(mtrr_type_of_addr(&s, 0x90000), MT_UC);
    assert_int_equal(mtrr_uniform_extent(&s, 0x80000, GiB), 64 * KiB);
    assert_int_equal(mtrr_uniform_extent(&s, 0x90000, GiB), 64 * KiB);
}

/*
 * The same BIOS on a CPU without CPUID.80000008H falls back to 32 physical
 * bits and writes PHYSMASK0 = 0xC0000800 (older rombios32.c always did).
 * On a CPU whose MAXPHYADDR is really 36 that mask has bits 35:32 clear
 * (non-contiguous), so the UC range repeats every 4 GiB: 3-4, 7-8, ..., 63-64
 * GiB. (MAXPHYADDR is 36 here only because such a CPU lacks the leaf.)
 */
static void test_bochs_bios_legacy_mask_aliases(void **st)
{
    struct mtrr_state s;

    (void)st;
    bochs_bios(&s, 3 * GiB, 36, false);
    assert_int_equal(s.var_mask[0], 0xC0000800ull);
    check_bochs_below_4g(&s);
    assert_int_equal(mtrr_type_of_range(&s, 4 * GiB, 3 * GiB), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 7 * GiB, GiB), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 63 * GiB, GiB), MT_UC);
    assert_int_equal(mtrr_type_of_range(&s, 60 * GiB, 3 * GiB), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, 4 * GiB, 4 * GiB), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 4 * GiB, 60 * GiB), MT_MIXED);
    assert_int_equal(mtrr_uniform_extent(&s, 4 * GiB, ~0ull), 2 * GiB);
    assert_int_equal(mtrr_uniform_extent(&s, 7 * GiB, ~0ull), GiB);
}

/* ---- non-contiguous masks ---- */

static void test_noncontiguous_mask(void **st)
{
    struct mtrr_state s;

    (void)st;
    /* every other 4 KiB page (bit 12 clear) of 1..2 GiB is UC */
    init_state(&s, 36, 8, E_BIT | MT_WB);
    s.var_base[0] = GiB | MT_UC;
    s.var_mask[0] = ((~(GiB - 1)) & phys_mask(36)) | 0x1000 | V_BIT;
    assert_int_equal(mtrr_type_of_addr(&s, GiB), MT_UC);
    assert_int_equal(mtrr_type_of_addr(&s, GiB + 0x1000), MT_WB);
    assert_int_equal(mtrr_type_of_addr(&s, GiB + 0x2000), MT_UC);
    assert_int_equal(mtrr_type_of_addr(&s, 2 * GiB - 0x1000), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, GiB, 0x2000), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 0, GiB), MT_WB);
    assert_int_equal(mtrr_type_of_range(&s, GiB, GiB), MT_MIXED);
    assert_int_equal(mtrr_type_of_range(&s, 2 * GiB, 62 * GiB), MT_WB);
    assert_int_equal(mtrr_uniform_extent(&s, GiB, GiB), 4096);

    /* the same pattern in the default's type is invisible: uniform, fast */
    s.var_base[0] = GiB | MT_WB;
    assert_int_equal(mtrr_type_of_range(&s, 0, 1ull << 36), MT_WB);
    /* two patterns that together cover every page of 1..2 GiB */
    s.def_type = E_BIT | MT_UC;
    s.var_base[1] = GiB | 0x1000 | MT_WB;
    s.var_mask[1] = s.var_mask[0];
    assert_int_equal(mtrr_type_of_range(&s, GiB, GiB), MT_WB);
    assert_int_equal(mtrr_uniform_extent(&s, GiB, GiB), GiB);
    assert_int_equal(mtrr_type_of_range(&s, GiB - 4096, GiB), MT_MIXED);
}

/* ---- mtrr_uniform_extent corner cases ---- */

static void test_uniform_extent(void **st)
{
    struct mtrr_state s;

    (void)st;
    init_state(&s, 36, 8, E_BIT | MT_WB);
    set_var(&s, 0, GiB + 0x5000, 4096, MT_UC);  /* one UC page inside 1..2 GiB */
    assert_int_equal(mtrr_uniform_extent(&s, GiB, GiB), 16 * KiB);
    assert_int_equal(mtrr_uniform_extent(&s, GiB + 0x4000, GiB), 4 * KiB);
    assert_int_equal(mtrr_uniform_extent(&s, GiB + 0x5000, GiB), 4 * KiB);
    assert_int_equal(mtrr_uniform_extent(&s, GiB + 0x6000, GiB), 8 * KiB);
    assert_int_equal(mtrr_uniform_extent(&s, GiB + 2 * MiB, GiB), 2 * MiB);
    assert_int_equal(mtrr_uniform_extent(&s, GiB + 4 * MiB, GiB), 4 * MiB);
    assert_int_equal(mtrr_uniform_extent(&s, 2 * GiB, GiB), GiB);
    /* max not a power of two: rounded down */
    assert_int_equal(mtrr_uniform_extent(&s, 2 * GiB, 3 * MiB), 2 * MiB);
    assert_int_equal(mtrr_uniform_extent(&s, 0, 4096 + 1), 4096);
    /* refusals */
    assert_int_equal(mtrr_uniform_extent(&s, 0x800, GiB), 0);
    assert_int_equal(mtrr_uniform_extent(&s, 0, 4095), 0);
    assert_int_equal(mtrr_uniform_extent(&s, 0, 0), 0);
    assert_int_equal(mtrr_uniform_extent(&s, 1ull << 36, GiB), 0);
    /* never past MAXPHYADDR */
    assert_int_equal(mtrr_uniform_extent(&s, 0, ~0ull), GiB);
    assert_int_equal(mtrr_uniform_extent(&s, 32 * GiB, ~0ull), 32 * GiB);
    assert_int_equal(mtrr_uniform_extent(&s, 60 * GiB, ~0ull), 4 * GiB);
}

/* ---- MSR helpers ---- */

static void test_msr_helpers(void **st)
{
    const uint32_t fixed[11] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26A,
                                 0x26B, 0x26C, 0x26D, 0x26E, 0x26F };

    (void)st;
    assert_memory_equal(mtrr_fixed_msrs, fixed, sizeof(fixed));
    for (unsigned i = 0; i < 11; i++)
        assert_true(mtrr_msr_is_mtrr(fixed[i], 0));
    assert_true(mtrr_msr_is_mtrr(0xFE, 0));
    assert_true(mtrr_msr_is_mtrr(0x2FF, 0));
    assert_false(mtrr_msr_is_mtrr(0x200, 0));
    for (uint32_t m = 0x200; m < 0x210; m++)
        assert_true(mtrr_msr_is_mtrr(m, 8));
    assert_false(mtrr_msr_is_mtrr(0x210, 8));
    assert_true(mtrr_msr_is_mtrr(0x21F, 16));
    assert_true(mtrr_msr_is_mtrr(0x21F, 200));
    assert_false(mtrr_msr_is_mtrr(0x220, 200));
    assert_false(mtrr_msr_is_mtrr(0x1FF, 8));
    assert_false(mtrr_msr_is_mtrr(0x251, 8));
    assert_false(mtrr_msr_is_mtrr(0x25A, 8));
    assert_false(mtrr_msr_is_mtrr(0x267, 8));
    assert_false(mtrr_msr_is_mtrr(0x270, 8));
    assert_false(mtrr_msr_is_mtrr(0x277, 8));   /* IA32_PAT */
    assert_false(mtrr_msr_is_mtrr(0x1F2, 8));   /* SMRR */
    assert_false(mtrr_msr_is_mtrr(0xFF, 8));

    assert_string_equal(mtrr_type_name(MT_UC), "UC");
    assert_string_equal(mtrr_type_name(MT_WC), "WC");
    assert_string_equal(mtrr_type_name(MT_WT), "WT");
    assert_string_equal(mtrr_type_name(MT_WP), "WP");
    assert_string_equal(mtrr_type_name(MT_WB), "WB");
    assert_string_equal(mtrr_type_name(MT_MIXED), "MIXED");
    assert_string_equal(mtrr_type_name(MT_INVALID), "INVALID");
    assert_string_equal(mtrr_type_name(2), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disabled_is_uc),
        cmocka_unit_test(test_default_type_only),
        cmocka_unit_test(test_invalid_types_are_uc),
        cmocka_unit_test(test_valid_bit_and_vcnt),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_byte_granular_range),
        cmocka_unit_test(test_fixed_ranges),
        cmocka_unit_test(test_fixed_overrides_variable),
        cmocka_unit_test(test_fixed_disabled_falls_through),
        cmocka_unit_test(test_crossing_fixed_variable_boundary),
        cmocka_unit_test(test_variable_overlaps),
        cmocka_unit_test(test_three_way_overlap),
        cmocka_unit_test(test_partial_overlap_is_mixed),
        cmocka_unit_test(test_above_4g),
        cmocka_unit_test(test_bochs_bios_lab),
        cmocka_unit_test(test_bochs_bios_real_widths),
        cmocka_unit_test(test_bochs_bios_small_ram),
        cmocka_unit_test(test_bochs_bios_legacy_mask_aliases),
        cmocka_unit_test(test_noncontiguous_mask),
        cmocka_unit_test(test_uniform_extent),
        cmocka_unit_test(test_msr_helpers),
    };

    return cmocka_run_group_tests_name("mtrr", tests, NULL, NULL);
}
