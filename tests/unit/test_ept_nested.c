/* Host unit tests for pure/ept_nested.c: EPT12 walks and every misconfiguration rule, violation bits, EPT02 leaves, trees and their pool. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pure/ept_nested.h"
#include "lib/vmx_defs.h"

/* ---- a small L1 memory: a few 4 KiB pages at chosen L1 guest-physical addresses ---- */

#define MEM_PAGES 4
static struct { uint64_t gpa; uint64_t e[512]; } mem[MEM_PAGES];
static unsigned reads;

static bool read_entry(void *ctx, uint64_t gpa, uint64_t *val)
{
    (void)ctx;
    reads++;
    assert_int_equal(gpa & 7, 0);
    for (unsigned i = 0; i < MEM_PAGES; i++) {
        if (mem[i].gpa == (gpa & ~0xFFFull)) {
            *val = mem[i].e[(gpa & 0xFFF) / 8];
            return true;
        }
    }
    return false;
}

static unsigned idx(uint64_t gpa, unsigned level) { return (unsigned)(gpa >> (12 + 9 * (level - 1))) & 511; }

#define MT(t)    ((uint64_t)(t) << EPT_MT_SHIFT)
#define CAPS_ALL (EPT12_CAP_EXEC_ONLY | EPTCAP_WALK4 | EPTCAP_2M | EPTCAP_1G | EPTCAP_WB)
#define G        0x0000123456789ABCull    /* an L2 address with every index non-zero */
#define TGT4K    0x0000007654321000ull
#define TGT2M    0x0000007654200000ull
#define TGT1G    0x0000007640000000ull
#define LEAF2M   (TGT2M | EPT_RWX | EPT_LARGE | MT(6))
#define LEAF1G   (TGT1G | EPT_RWX | EPT_LARGE | MT(6))
#define NOMEM    0x900000ull

/* The tables for G, one page per level (level l's table at l KiB * 4): slot[l] is G's entry. */
static uint64_t *slot[5];
static void build_4k(void)
{
    for (unsigned l = 4; l >= 1; l--) {
        mem[l - 1].gpa = (uint64_t)(5 - l) << 12;   /* PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000 */
        memset(mem[l - 1].e, 0, sizeof(mem[0].e));
        slot[l] = &mem[l - 1].e[idx(G, l)];
        *slot[l] = l > 1 ? ((uint64_t)(6 - l) << 12) | EPT_RWX : TGT4K | EPT_RWX | MT(6);
    }
}

static struct ept12_walk_in win(unsigned access)
{
    return (struct ept12_walk_in){ .eptp12 = 0x1000 | EPTP_WALK4 | EPTP_WB, .l2_gpa = G, .access = access,
                                   .caps = CAPS_ALL, .maxphyaddr = 46, .read_entry = read_entry };
}

static struct ept12_walk walk_in(const struct ept12_walk_in *in)
{
    struct ept12_walk w;
    int rc;

    memset(&w, 0xA5, sizeof(w));   /* every field must be written */
    rc = ept12_walk(in, &w);
    assert_int_equal(rc, w.status);
    return w;
}

static struct ept12_walk walk(unsigned access)
{
    struct ept12_walk_in in = win(access);
    return walk_in(&in);
}

static void expect_ok(unsigned access, unsigned level, uint64_t l1_gpa, unsigned perm)
{
    struct ept12_walk w = walk(access);

    assert_int_equal(w.status, EPT12_OK);
    assert_int_equal(w.level, level);
    assert_int_equal(w.l1_gpa, l1_gpa);
    assert_int_equal(w.perm, perm);
}

static void expect_violation(unsigned access, unsigned level, unsigned qual_perm)
{
    struct ept12_walk w = walk(access);

    assert_int_equal(w.status, EPT12_VIOLATION);
    assert_int_equal(w.level, level);
    assert_int_equal(w.qual_perm, qual_perm);
}

/* Entry `level` of a fresh 4 KiB path := (entry & ~clr) | set; the walk must stop there for `reason`. */
static void mc_at(unsigned level, uint64_t clr, uint64_t set, uint64_t caps, unsigned maxpa, unsigned reason)
{
    struct ept12_walk_in in = win(EPT12_ACC_READ);
    struct ept12_walk w;

    build_4k();
    *slot[level] = (*slot[level] & ~clr) | set;
    in.caps = caps;
    in.maxphyaddr = maxpa;
    w = walk_in(&in);
    assert_int_equal(w.status, EPT12_MISCONFIG);
    assert_int_equal(w.level, level);
    assert_int_equal(w.mc_reason, reason);
    assert_false(w.no_memory);
    assert_int_equal(w.entry, *slot[level]);
}

/* ---- walks ---- */

static void test_walk_sizes(void **st)
{
    const unsigned types[] = { 0, 1, 4, 5, 6 };
    struct ept12_walk w;

    (void)st;
    build_4k();
    reads = 0;
    w = walk(EPT12_ACC_READ | EPT12_ACC_WRITE);
    assert_int_equal(reads, 4);   /* each entry once */
    assert_int_equal(w.status, EPT12_OK);
    assert_int_equal(w.l1_gpa, TGT4K | 0xABC);
    assert_int_equal(w.memtype, 6);
    assert_false(w.ipat);
    assert_int_equal(w.entry_gpa, 0x4000 + 8 * idx(G, 1));
    for (unsigned i = 0; i < 5; i++) {
        *slot[1] = TGT4K | EPT_RWX | MT(types[i]) | EPT_IGNORE_PAT | EPT_LARGE;   /* bit 7 ignored in a PTE */
        w = walk(EPT12_ACC_FETCH);
        assert_int_equal(w.status, EPT12_OK);
        assert_int_equal(w.memtype, types[i]);
        assert_true(w.ipat);
    }
    *slot[2] = TGT2M | EPT_RWX | EPT_LARGE | MT(4) | EPT_IGNORE_PAT;
    reads = 0;
    expect_ok(EPT12_ACC_READ, 2, TGT2M | (G & 0x1FFFFF), 7);
    assert_int_equal(reads, 3);
    assert_int_equal(walk(EPT12_ACC_READ).memtype, 4);
    *slot[3] = TGT1G | 5 | EPT_LARGE | MT(1);
    reads = 0;
    expect_ok(EPT12_ACC_FETCH, 3, TGT1G | (G & 0x3FFFFFFF), 5);
    assert_int_equal(reads, 2);
    w = walk(EPT12_ACC_READ);
    assert_int_equal(w.memtype, 1);
    assert_false(w.ipat);
}

static void test_ignored_bits(void **st)
{
    struct ept12_walk_in in = win(EPT12_ACC_READ);
    struct ept12_walk w;

    (void)st;
    build_4k();
    for (unsigned l = 1; l <= 4; l++) *slot[l] |= 0xFFF0000000000F00ull;   /* 63:52 and 11:8 */
    in.l2_gpa = G | 0xFFFF000000000000ull;   /* bits 63:48 of the address do not count either */
    w = walk_in(&in);
    assert_int_equal(w.status, EPT12_OK);
    assert_int_equal(w.l1_gpa, TGT4K | 0xABC);
    in.maxphyaddr = 52;   /* no address bit is reserved: bit 51 is an address bit */
    *slot[1] = (1ull << 51) | TGT4K | EPT_RWX | MT(6);
    assert_int_equal(walk_in(&in).l1_gpa, (1ull << 51) | TGT4K | 0xABC);
    in.maxphyaddr = 39;   /* bit 38 is one below MAXPHYADDR */
    *slot[1] = (1ull << 38) | TGT4K | EPT_RWX | MT(6);
    assert_int_equal(walk_in(&in).l1_gpa, (1ull << 38) | TGT4K | 0xABC);
}

static void test_permissions(void **st)
{
    (void)st;
    build_4k();
    *slot[3] = 0x3000 | 3;   /* RW */
    *slot[2] = 0x4000 | 5;   /* RX: the AND is R */
    expect_ok(EPT12_ACC_READ, 1, TGT4K | 0xABC, 1);
    expect_violation(EPT12_ACC_WRITE, 1, 1);
    expect_violation(EPT12_ACC_FETCH, 1, 1);
    expect_violation(EPT12_ACC_READ | EPT12_ACC_WRITE, 1, 1);   /* read-modify-write */
    build_4k();
    *slot[4] = 0x2000 | 5;
    *slot[1] = TGT4K | 4 | MT(6);   /* execute-only through the AND of RX and X */
    expect_ok(EPT12_ACC_FETCH, 1, TGT4K | 0xABC, 4);
    expect_violation(EPT12_ACC_READ, 1, 4);
    build_4k();
    *slot[1] = TGT4K | 5 | MT(6);
    expect_violation(EPT12_ACC_WRITE, 1, 5);
    build_4k();
    *slot[2] = TGT2M | 1 | EPT_LARGE | MT(6);
    expect_violation(EPT12_ACC_FETCH, 2, 1);
    for (unsigned l = 1; l <= 4; l++) {   /* not present: bits 5:3 are 0, whatever came before */
        build_4k();
        *slot[4] = 0x2000 | 1;
        *slot[l] = l == 4 ? 0 : ~7ull;   /* bits 2:0 clear: every other bit is ignored */
        reads = 0;
        expect_violation(EPT12_ACC_WRITE, l, 0);
        assert_int_equal(reads, 5 - l);
    }
}

/* ---- misconfigurations (SDM "EPT Misconfigurations"), each rule at each level it applies to ---- */

static void test_misconfig_rules(void **st)
{
    const unsigned bad_mt[] = { 2, 3, 7 };

    (void)st;
    for (unsigned l = 1; l <= 4; l++) {
        mc_at(l, 7, 2, CAPS_ALL, 46, EPT12_MC_WRITE_NO_READ);
        mc_at(l, 7, 6, CAPS_ALL, 46, EPT12_MC_WRITE_NO_READ);
        mc_at(l, 7, 4, CAPS_ALL & ~EPT12_CAP_EXEC_ONLY, 46, EPT12_MC_EXEC_ONLY);
        mc_at(l, 0, 1ull << 39, CAPS_ALL, 39, EPT12_MC_ADDR);
        mc_at(l, 0, 1ull << 51, CAPS_ALL, 39, EPT12_MC_ADDR);
    }
    for (unsigned b = 3; b <= 7; b++) mc_at(4, 0, 1ull << b, CAPS_ALL, 46, EPT12_MC_RESERVED);   /* PML4E 7:3 */
    for (unsigned b = 3; b <= 6; b++) {   /* 6:3 of a PDPTE/PDE that references a table */
        mc_at(3, 0, 1ull << b, CAPS_ALL, 46, EPT12_MC_RESERVED);
        mc_at(2, 0, 1ull << b, CAPS_ALL, 46, EPT12_MC_RESERVED);
    }
    for (unsigned b = 12; b <= 29; b++) mc_at(3, ~0ull, LEAF1G | (1ull << b), CAPS_ALL, 46, EPT12_MC_RESERVED);
    for (unsigned b = 12; b <= 20; b++) mc_at(2, ~0ull, LEAF2M | (1ull << b), CAPS_ALL, 46, EPT12_MC_RESERVED);
    mc_at(3, ~0ull, LEAF1G | (1ull << 45), CAPS_ALL, 39, EPT12_MC_ADDR);
    mc_at(2, ~0ull, LEAF2M | (1ull << 39), CAPS_ALL, 39, EPT12_MC_ADDR);
    mc_at(3, ~0ull, LEAF1G, CAPS_ALL & ~EPTCAP_1G, 46, EPT12_MC_LARGE_PAGE);
    mc_at(2, ~0ull, LEAF2M, CAPS_ALL & ~EPTCAP_2M, 46, EPT12_MC_LARGE_PAGE);
    for (unsigned i = 0; i < 3; i++) {
        mc_at(1, MT(7), MT(bad_mt[i]), CAPS_ALL, 46, EPT12_MC_MEMTYPE);
        mc_at(2, ~0ull, (LEAF2M & ~MT(7)) | MT(bad_mt[i]), CAPS_ALL, 46, EPT12_MC_MEMTYPE);
        mc_at(3, ~0ull, (LEAF1G & ~MT(7)) | MT(bad_mt[i]), CAPS_ALL, 46, EPT12_MC_MEMTYPE);
    }
}

/* The same entries are fine with the capability, and one page size does not need the other. */
static void test_capabilities(void **st)
{
    struct ept12_walk_in in = win(EPT12_ACC_FETCH);

    (void)st;
    for (unsigned l = 1; l <= 4; l++) {
        build_4k();
        *slot[l] = (*slot[l] & ~7ull) | 4;
        assert_int_equal(walk_in(&in).perm, 4);
    }
    build_4k();
    *slot[2] = LEAF2M;
    in.caps = CAPS_ALL & ~EPTCAP_1G;
    assert_int_equal(walk_in(&in).status, EPT12_OK);
    build_4k();
    *slot[3] = LEAF1G;
    in.caps = CAPS_ALL & ~EPTCAP_2M;
    assert_int_equal(walk_in(&in).status, EPT12_OK);
}

static void test_misconfig_wins_and_no_memory(void **st)
{
    struct ept12_walk_in in;
    struct ept12_walk w;

    (void)st;
    build_4k();
    *slot[4] = 0x2000 | 1;                 /* the write is denied at the top... */
    *slot[1] = TGT4K | EPT_RWX | MT(3);    /* ...but the leaf is misconfigured: that wins */
    assert_int_equal(walk(EPT12_ACC_WRITE).status, EPT12_MISCONFIG);
    *slot[2] = 0x4000;                     /* not present above it: the walk stops there */
    expect_violation(EPT12_ACC_WRITE, 2, 0);

    in = win(EPT12_ACC_READ);
    in.eptp12 = NOMEM | EPTP_WALK4;
    w = walk_in(&in);
    assert_int_equal(w.status, EPT12_MISCONFIG);
    assert_int_equal(w.level, 4);
    assert_int_equal(w.entry, ~0ull);
    assert_true(w.no_memory);
    /* all ones is a misconfiguration at every level, MAXPHYADDR and page-size capability */
    for (unsigned maxpa = 32; maxpa <= 52; maxpa += 20)
        for (unsigned l = 1; l <= 3; l++)
            for (unsigned c = 0; c < 2; c++) {
                build_4k();
                in = win(EPT12_ACC_READ);
                in.maxphyaddr = maxpa;
                in.caps = c ? CAPS_ALL : EPTCAP_WALK4;
                *slot[l + 1] = NOMEM | EPT_RWX;
                w = walk_in(&in);
                assert_int_equal(w.status, EPT12_MISCONFIG);
                assert_int_equal(w.level, l);
                assert_true(w.no_memory);
                assert_int_equal(w.entry_gpa, NOMEM + 8 * idx(G, l));
            }
}

static void test_bad_inputs(void **st)
{
    struct ept12_walk_in in;
    struct ept12_walk w;

    (void)st;
    build_4k();
#define BAD(stmt) do { in = win(EPT12_ACC_READ); stmt; reads = 0; w = walk_in(&in); \
        assert_int_equal(w.status, EPT12_EBAD); assert_int_equal(w.level, 0); assert_int_equal(reads, 0); } while (0)
    BAD(in.eptp12 = 0x1000 | EPTP_WALK5);
    BAD(in.eptp12 = 0x1000);
    BAD(in.maxphyaddr = 31);
    BAD(in.maxphyaddr = 53);
    BAD(in.access = 0);
    BAD(in.access = 8);
    BAD(in.read_entry = NULL);
#undef BAD
    assert_string_equal(ept12_status_name(EPT12_EBAD), "bad");
    assert_string_equal(ept12_status_name(EPT12_MISCONFIG), "misconfig");
    assert_string_equal(ept12_status_name(7), "?");
    assert_string_equal(ept12_mc_name(EPT12_MC_MEMTYPE), "memory type");
    assert_string_equal(ept12_mc_name(99), "?");
}

static void test_violation_qual(void **st)
{
    struct ept12_walk w = { .status = EPT12_VIOLATION, .qual_perm = 5 };

    (void)st;
    /* kept: 2:0, 7, 8, 12; from the walk: 5:3; 6 and 63:13 cleared; 11:9 with the capability */
    assert_int_equal(ept12_violation_qual(~0ull, &w, 0), 0x7 | (5 << 3) | (1 << 7) | (1 << 8) | (1 << 12));
    assert_int_equal(ept12_violation_qual(~0ull, &w, EPT12_CAP_ADV_EXIT_INFO),
                     0x7 | (5 << 3) | (1 << 7) | (1 << 8) | (7 << 9) | (1 << 12));
    w.qual_perm = 0;
    assert_int_equal(ept12_violation_qual(0x182 | (7 << 3), &w, 0), 0x182);   /* stale 5:3 replaced */
}

/* ---- composition ---- */

static struct ept12_walk ok_walk(unsigned level, uint64_t l1_gpa, unsigned perm, unsigned mt, bool ipat)
{
    return (struct ept12_walk){ .status = EPT12_OK, .level = level, .l1_gpa = l1_gpa, .perm = perm,
                                .memtype = mt, .ipat = ipat };
}

static void test_compose_perm_memtype(void **st)
{
    struct ept12_walk w = ok_walk(1, TGT4K | 0xABC, 7, 6, true);
    struct ept01_xlate x = { .hpa = 0x88000ABC, .perm = 5, .extent = 4096 };
    unsigned lv = 9;
    const struct { unsigned p12, p01; uint64_t want; } perms[] = {
        { 3, 7, 3 }, { 3, 1, 1 },   /* L0 write-protects: read-only, L0 handles the write */
        { 4, 1, 0 },                /* execute-only in EPT12, data only in EPT01: nothing in common */
        { 7, 0, 0 },                /* not mapped by L0 (emulated) */
        { 7, 6, 0 },                /* W without R from L0: its bug, no leaf */
    };

    (void)st;
    assert_int_equal(ept02_leaf(&w, G, &x, &lv), 0x88000000 | 5 | MT(6) | EPT_IGNORE_PAT);
    assert_int_equal(lv, 1);
    for (unsigned i = 0; i < sizeof(perms) / sizeof(perms[0]); i++) {
        w = ok_walk(1, TGT4K | 0xABC, perms[i].p12, 0, false);
        x.perm = perms[i].p01;
        assert_int_equal(ept02_leaf(&w, G, &x, &lv), perms[i].want ? 0x88000000 | perms[i].want : 0);
        assert_int_equal(lv, perms[i].want ? 1 : 0);
    }
    x.perm = 7;   /* bad inputs: no leaf */
    w.status = EPT12_VIOLATION;
    assert_int_equal(ept02_leaf(&w, G, &x, &lv), 0);
    w.status = EPT12_OK;
    for (unsigned i = 0; i < 5; i++) {
        const uint64_t ext[] = { 3 * 4096, 2048, 0, 4096, 4096 }, hpa[] = { 0x88000ABC, 0x88000ABC, 0x88000ABC,
                                                                          0x88000AB8, 1ull << 52 | 0xABC };
        x.extent = ext[i];
        x.hpa = hpa[i];
        assert_int_equal(ept02_leaf(&w, G, &x, &lv), 0);
        assert_int_equal(lv, 0);
    }
}

static void test_compose_level(void **st)
{
    const uint64_t l2 = 0x40000000ull + 0x12345ull, off = l2 & 0x1FFFFF, h = 0x1600000ull;
    struct ept12_walk w = ok_walk(2, TGT2M + off, 7, 6, false);
    struct ept01_xlate x = { .hpa = h + off, .perm = 7, .extent = 2ull << 20 };
    unsigned lv;

    (void)st;
    assert_int_equal(ept02_leaf(&w, l2, &x, &lv), h | 7 | MT(6) | EPT_LARGE);
    assert_int_equal(lv, 2);
    w.level = 3;        /* a 1 GiB EPT12 leaf and a 1 GiB extent still give 2 MiB */
    x.extent = 1ull << 30;
    assert_int_equal(ept02_leaf(&w, l2, &x, &lv), h | 7 | MT(6) | EPT_LARGE);
    w.level = 1;        /* EPT12 maps 4 KiB */
    assert_int_equal(ept02_leaf(&w, l2, &x, &lv), ((h + off) & ~0xFFFull) | 7 | MT(6));
    assert_int_equal(lv, 1);
    w.level = 2;
    x.extent = 4096;    /* L0 maps 4 KiB */
    assert_int_equal(ept02_leaf(&w, l2, &x, &lv), ((h + off) & ~0xFFFull) | 7 | MT(6));
    x.extent = 1ull << 30;
    x.hpa = h + 0x1000 + off;   /* contiguous, but 4 KiB off 2 MiB congruence */
    assert_int_equal(ept02_leaf(&w, l2, &x, &lv), (x.hpa & ~0xFFFull) | 7 | MT(6));
    assert_int_equal(lv, 1);
    w.l1_gpa += 0x1000;         /* l2_gpa and l1_gpa not congruent (no walk gives that) */
    assert_int_equal(ept02_leaf(&w, l2, &x, &lv) & EPT_LARGE, 0);
    assert_int_equal(lv, 1);

    build_4k();                 /* a real walk through a 2 MiB leaf, identity-mapped by L0 */
    *slot[2] = LEAF2M;
    w = walk(EPT12_ACC_WRITE);
    x = (struct ept01_xlate){ .hpa = w.l1_gpa, .perm = 7, .extent = 1ull << 30 };
    assert_int_equal(ept02_leaf(&w, G, &x, &lv), LEAF2M);
    assert_int_equal(lv, 2);
}

/* ---- trees ---- */

/* Pool pages then two roots; host addresses stand in for physical ones. */
#define NPAGES 8
static uint64_t arena[NPAGES + 2][512] __attribute__((aligned(4096)));
static struct ept02_page pages[NPAGES];
static uint64_t *const root_va[2] = { arena[NPAGES], arena[NPAGES + 1] };

static void tree(struct ept02_pool *p, unsigned n, struct ept02 *t, unsigned which, bool new_pool)
{
    if (new_pool) {
        memset(arena, 0xEE, sizeof(arena));   /* dirty: pages must be zeroed when taken */
        for (unsigned i = 0; i < NPAGES; i++) pages[i] = (struct ept02_page){ arena[i], (uint64_t)(uintptr_t)arena[i] };
        assert_int_equal(ept02_pool_init(p, pages, n), EPT02_OK);
    }
    assert_int_equal(ept02_init(t, p, root_va[which], (uint64_t)(uintptr_t)root_va[which]), EPT02_OK);
}

static uint64_t leaf4k(uint64_t hpa) { return hpa | 7 | MT(6); }
static uint64_t leaf2m(uint64_t hpa) { return hpa | 7 | MT(6) | EPT_LARGE; }

/* A tree's counters: pages held, resets (all / forced); and its pool's pages in use. */
static void counts(const struct ept02 *t, unsigned pages, uint64_t resets, uint64_t forced, unsigned in_use)
{
    assert_int_equal(t->pages, pages);
    assert_int_equal(t->resets, resets);
    assert_int_equal(t->forced_resets, forced);
    assert_int_equal(t->pool->in_use, in_use);
    assert_int_equal(t->pool->in_use + t->pool->nfree, t->pool->npages);
}

static void expect_leaf(const struct ept02 *t, uint64_t gpa, uint64_t leaf, unsigned level)
{
    unsigned lv = 99;

    assert_int_equal(ept02_lookup(t, gpa, &lv), leaf);
    assert_int_equal(lv, leaf ? level : 0);
}

static void test_tree_map_lookup(void **st)
{
    struct ept02_pool p;
    struct ept02 t;
    uint64_t e;

    (void)st;
    tree(&p, NPAGES, &t, 0, true);
    for (unsigned i = 0; i < 512; i++) assert_int_equal(t.root[i], 0);
    assert_int_equal(ept02_map(&t, G, leaf4k(0x77000), 1), 0);
    counts(&t, 3, 0, 0, 3);
    expect_leaf(&t, G & ~0xFFFull, leaf4k(0x77000), 1);
    expect_leaf(&t, G + 0x1000, 0, 0);
    expect_leaf(&t, 0, 0, 0);
    expect_leaf(&t, 1ull << 48, 0, 0);
    e = t.root[idx(G, 4)];   /* a non-leaf entry: the table's pa, RWX, no bit 7, pool index in 62:52 */
    assert_int_equal(e, pages[0].pa | 7);
    assert_int_equal(ept02_map(&t, G + 0x1000, leaf4k(0x78000), 1), 0);   /* same tables */
    assert_int_equal(ept02_map(&t, G + (1ull << 30), leaf2m(0x200000), 2), 0);   /* another PDPTE: a PD */
    assert_int_equal(t.root[idx(G, 4)], e);
    expect_leaf(&t, ((G + (1ull << 30)) | 0x1FFFFF), leaf2m(0x200000), 2);
    assert_int_equal(ept02_map(&t, G, leaf4k(0x77000), 1), 0);   /* the same leaf again */
    assert_int_equal(ept02_map(&t, G, leaf4k(0x79000), 1), EPT02_REPLACED);
    assert_int_equal(ept02_map(&t, 3ull << 30, 0x40000000 | 7 | EPT_LARGE, 3), 0);   /* 1 GiB, new PDPT */
    expect_leaf(&t, (3ull << 30) + 12345, 0x40000000 | 7 | EPT_LARGE, 3);
    assert_int_equal(t.root[0], pages[4].pa | 7 | (4ull << 52));
    counts(&t, 5, 0, 0, 5);
    assert_int_equal(t.fills, 6);
    assert_int_equal(t.peak, 5);
    assert_int_equal(p.peak, 5);
}

static void test_tree_split_and_merge(void **st)
{
    struct ept02_pool p;
    struct ept02 t;
    const uint64_t g = 0x40200000ull;

    (void)st;
    tree(&p, NPAGES, &t, 0, true);
    assert_int_equal(ept02_map(&t, g, leaf2m(0x600000), 2), 0);
    assert_int_equal(ept02_map(&t, g + 0x3000, leaf4k(0x9000), 1), EPT02_REPLACED);   /* split */
    counts(&t, 3, 0, 0, 3);
    expect_leaf(&t, g + 0x3000, leaf4k(0x9000), 1);
    expect_leaf(&t, g, 0, 0);                           /* the rest refaults */
    assert_int_equal(ept02_map(&t, g + 0x5000, leaf2m(0x600000), 2), EPT02_REPLACED);   /* merge */
    counts(&t, 2, 0, 0, 2);
    expect_leaf(&t, g + 0x3000, leaf2m(0x600000), 2);
    assert_int_equal(ept02_map(&t, g + 0x3000, leaf4k(0x9000), 1), EPT02_REPLACED);
    assert_int_equal(ept02_map(&t, g, 0x40000000 | 7 | EPT_LARGE, 3), EPT02_REPLACED);   /* PD and PT go */
    counts(&t, 1, 0, 0, 1);
}

static void test_pool_exhaustion(void **st)
{
    struct ept02_pool p;
    struct ept02 t;
    const uint64_t a = 0x1000, b = 1ull << 39;

    (void)st;
    tree(&p, 3, &t, 0, true);
    assert_int_equal(ept02_map(&t, a, leaf4k(0x5000), 1), 0);
    assert_int_equal(p.nfree, 0);
    assert_int_equal(ept02_map(&t, a + 0x1000, leaf4k(0x6000), 1), 0);   /* no new table needed */
    assert_int_equal(ept02_map(&t, b, leaf4k(0x7000), 1), EPT02_RESET);
    counts(&t, 3, 1, 1, 3);
    expect_leaf(&t, a, 0, 0);
    expect_leaf(&t, b, leaf4k(0x7000), 1);
    assert_int_equal(ept02_map(&t, b + (2ull << 20), leaf4k(0x8000), 1), EPT02_RESET);   /* needs a PT */
    counts(&t, 3, 2, 2, 3);
    expect_leaf(&t, b, 0, 0);   /* pages reused: the old PT's entries are gone */
    expect_leaf(&t, b + (2ull << 20), leaf4k(0x8000), 1);
    assert_int_equal(ept02_map(&t, b, leaf2m(0x200000), 2), 0);   /* fits in the PD */
    assert_int_equal(t.fills, 5);
}

static void test_shared_pool(void **st)
{
    struct ept02_pool p;
    struct ept02 t1, t2;

    (void)st;
    tree(&p, 4, &t1, 0, true);
    tree(&p, 4, &t2, 1, false);
    assert_int_equal(ept02_map(&t1, 0, leaf4k(0x5000), 1), 0);
    assert_int_equal(ept02_map(&t2, 0, leaf2m(0x200000), 2), EPT02_OTHERS);   /* t2 holds nothing */
    counts(&t1, 0, 1, 1, 2);
    counts(&t2, 2, 0, 0, 2);
    expect_leaf(&t1, 0, 0, 0);
    expect_leaf(&t2, 0, leaf2m(0x200000), 2);
    assert_int_equal(ept02_map(&t1, 0, leaf2m(0x400000), 2), 0);   /* 2 left for 2 */
    assert_int_equal(p.in_use, 4);
    /* a PT under t1's 2 MiB leaf: t1 resets itself (2 pages back, needs 3), still one short: t2 too */
    assert_int_equal(ept02_map(&t1, 0x1000, leaf4k(0x5000), 1), EPT02_RESET | EPT02_OTHERS);
    counts(&t1, 3, 2, 2, 3);
    counts(&t2, 0, 1, 1, 3);
    expect_leaf(&t2, 0, 0, 0);
    assert_int_equal(ept02_map(&t2, 1ull << 39, leaf4k(0x6000), 1), EPT02_OTHERS);
    counts(&t2, 3, 1, 1, 3);
    counts(&t1, 0, 3, 3, 3);   /* by t2, by itself, by t2 */
}

static void test_reset(void **st)
{
    struct ept02_pool p;
    struct ept02 t;

    (void)st;
    tree(&p, NPAGES, &t, 0, true);
    assert_int_equal(ept02_map(&t, G, leaf4k(0x5000), 1), 0);
    assert_int_equal(ept02_map(&t, 1ull << 40, leaf4k(0x5000), 1), 0);
    assert_int_equal(t.pages, 6);
    ept02_reset(&t);
    counts(&t, 0, 1, 0, 0);
    for (unsigned i = 0; i < 512; i++) assert_int_equal(t.root[i], 0);
    assert_int_equal(t.root_pa, (uint64_t)(uintptr_t)root_va[0]);   /* EPTP02 stays */
    assert_int_equal(ept02_map(&t, 0, leaf4k(0x5000), 1), 0);
    expect_leaf(&t, G, 0, 0);
    expect_leaf(&t, 0, leaf4k(0x5000), 1);
    assert_int_equal(p.peak, 6);
}

static void test_invalidate_range(void **st)
{
    struct ept02_pool p;
    struct ept02 t;
    const uint64_t g = 0x80000000ull, h = 0x80600000ull;

    (void)st;
    tree(&p, NPAGES, &t, 0, true);
    for (unsigned i = 0; i < 3; i++) assert_int_equal(ept02_map(&t, g + i * 0x1000, leaf4k(0x10000 + i * 0x1000), 1), 0);
    assert_int_equal(ept02_map(&t, h, leaf2m(0x200000), 2), 0);
    assert_int_equal(ept02_invalidate_range(&t, g + 0x1000, 0x1000), EPT02_REPLACED);
    expect_leaf(&t, g, leaf4k(0x10000), 1);
    expect_leaf(&t, g + 0x1000, 0, 0);
    expect_leaf(&t, g + 0x2000, leaf4k(0x12000), 1);
    assert_int_equal(ept02_invalidate_range(&t, g + 0x1000, 0x1000), 0);   /* nothing left there */
    assert_int_equal(ept02_invalidate_range(&t, h + 0x5000, 1), EPT02_REPLACED);   /* the whole 2 MiB leaf */
    expect_leaf(&t, h, 0, 0);
    assert_int_equal(t.pages, 3);
    assert_int_equal(ept02_invalidate_range(&t, g, 2ull << 20), EPT02_REPLACED);   /* the PT goes */
    assert_int_equal(t.pages, 2);
    assert_int_equal(ept02_map(&t, g, leaf4k(0x10000), 1), 0);
    assert_int_equal(ept02_invalidate_range(&t, g, 1ull << 30), EPT02_REPLACED);   /* PD and PT */
    assert_int_equal(t.pages, 1);
    assert_int_equal(ept02_map(&t, g, leaf4k(0x10000), 1), 0);
    assert_int_equal(ept02_invalidate_range(&t, 0, 0), 0);
    assert_int_equal(ept02_invalidate_range(&t, 1ull << 48, 1ull << 30), 0);
    assert_int_equal(ept02_invalidate_range(&t, g - 0x1000, ~0ull), EPT02_REPLACED);   /* wraps: to 2^48 */
    expect_leaf(&t, g, 0, 0);
    assert_int_equal(t.pages, 1);   /* the PDPT covers [0, 512 GiB), not wholly inside */
    assert_int_equal(ept02_map(&t, 1ull << 39, leaf4k(0x10000), 1), 0);
    assert_int_equal(t.pages, 4);
    assert_int_equal(ept02_invalidate_range(&t, 0, 1ull << 48), EPT02_REPLACED);
    counts(&t, 0, 0, 0, 0);
}

static void test_map_and_init_bad(void **st)
{
    struct ept02_pool p;
    struct ept02 t;
    struct ept02_page bad[3];
    const uint64_t leaves[][2] = {
        { leaf4k(0x5000), 0 }, { leaf4k(0x5000), 4 }, { leaf4k(0x5000), 100 }, { 0x5000 | MT(6), 1 }, { 0x5000 | 2 | MT(6), 1 },
        { 0x5000 | 6 | MT(6), 1 }, { 0x5000 | 7 | MT(7), 1 }, { 0x5000 | 7 | MT(2), 1 },
        { leaf4k(0x5000) | EPT_LARGE, 1 }, { leaf4k(0x200000), 2 }, { leaf2m(0x201000), 2 },
        { leaf2m(0x40200000), 3 }, { leaf4k(0x5000) | 0x100, 1 }, { leaf4k(0x5000) | (1ull << 63), 1 },
        { leaf4k(0x5000) | (1ull << 52), 1 },
    };

    (void)st;
    tree(&p, NPAGES, &t, 0, true);
    for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
        assert_int_equal(ept02_map(&t, 0x200000, leaves[i][0], (unsigned)leaves[i][1]), EPT02_EBAD);
    assert_int_equal(ept02_map(&t, 1ull << 48, leaf4k(0x5000), 1), EPT02_EBAD);
    assert_int_equal(t.fills, 0);
    assert_int_equal(t.pages, 0);
    assert_int_equal(ept02_map(&t, 0x200000, leaf4k(0x5000) | EPT_IGNORE_PAT, 1), 0);
    assert_int_equal(ept02_map(&t, 0x201000, 0x6000 | 4 | MT(0), 1), 0);   /* execute-only leaf */

    assert_int_equal(ept02_pool_init(&p, pages, 2), EPT02_EBAD);
    assert_int_equal(ept02_pool_init(&p, pages, EPT02_POOL_MAX + 1), EPT02_EBAD);
    assert_int_equal(ept02_pool_init(&p, NULL, 3), EPT02_EBAD);
    for (unsigned i = 0; i < 3; i++) {
        memcpy(bad, pages, sizeof(bad));
        if (i == 0) bad[1].va = NULL;
        else bad[2].pa = i == 1 ? bad[2].pa | 0x800 : 1ull << 52;
        assert_int_equal(ept02_pool_init(&p, bad, 3), EPT02_EBAD);
    }
    assert_int_equal(ept02_pool_init(&p, pages, 3), EPT02_OK);
    assert_int_equal(ept02_init(&t, &p, NULL, 0x1000), EPT02_EBAD);
    assert_int_equal(ept02_init(&t, &p, root_va[0], 0x1008), EPT02_EBAD);
    assert_int_equal(ept02_init(&t, NULL, root_va[0], 0x1000), EPT02_EBAD);
    assert_null(p.trees);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_sizes),
        cmocka_unit_test(test_ignored_bits),
        cmocka_unit_test(test_permissions),
        cmocka_unit_test(test_misconfig_rules),
        cmocka_unit_test(test_capabilities),
        cmocka_unit_test(test_misconfig_wins_and_no_memory),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_violation_qual),
        cmocka_unit_test(test_compose_perm_memtype),
        cmocka_unit_test(test_compose_level),
        cmocka_unit_test(test_tree_map_lookup),
        cmocka_unit_test(test_tree_split_and_merge),
        cmocka_unit_test(test_pool_exhaustion),
        cmocka_unit_test(test_shared_pool),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_invalidate_range),
        cmocka_unit_test(test_map_and_init_bad),
    };
    return cmocka_run_group_tests_name("ept_nested", tests, NULL, NULL);
}
