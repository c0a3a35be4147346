/* libFuzzer harness for pure/ept_nested.c: random EPT12s in a small fake L1 memory, walked against a model, composed and cached in EPT02 trees over a tiny pool. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pure/ept_nested.h"
#include "lib/vmx_defs.h"

/*
 * Input layout (shorter inputs are zero-padded, extra bytes ignored):
 *   [0]        caps offered to L1: bit 0 execute-only, 1 2-MByte pages, 2 1-GByte pages,
 *              3 advanced EPT-violation information
 *   [1]        maxphyaddr = 28 + v % 28 (28..55: outside 32..52 the walk must say EBAD)
 *   [2]        EPTP: bits 2:0 root page, bits 5:3 XOR 3 = the walk-length field (0 -> 4 levels),
 *              bit 6 root where L1 has no memory
 *   [3]        pool pages = 3 + v % 6, shared by two trees
 *   [4..259]   L1 memory: 8 pages at L1 addresses (k + 1) GiB; entry i of page k is slot
 *              [k][i % 4] (8 bytes each, little-endian), so every address hits something.
 *              A slot r becomes an entry: r with bits 51:12 := page (r >> 12) % 8's address;
 *              r bit 61: bits 29:12 of r xored in (reserved bits of large leaves);
 *              r bit 60: an address where there is no memory; r bit 62: r unchanged.
 *   [260..]    up to 10 queries of 20 bytes:
 *              [0..7] l2_gpa; [8] bits 2:0 access, bit 3 tree, bits 5:4 op (3: bit 6 reset the
 *              tree, else invalidate [l2_gpa, l2_gpa + [10..17]); 0..2: walk, compose, map);
 *              [9] bits 2:0 EPT01 perm, bits 7:3 extent = 2^(12 + v % 20);
 *              [10..17] hpa bits; [18] bits 1:0 hpa: 0 congruent to l1_gpa mod extent,
 *              1 mod 4 KiB, 2 raw, 3 = l1_gpa (identity)
 */
#define MEM_OFF  4
#define Q_OFF    260
#define Q_LEN    20
#define NQ       10
#define IN_LEN   (Q_OFF + Q_LEN * NQ)
#define NPAGES   8
#define ADDR     0x000FFFFFFFFFF000ull
#define NOMEM    (9ull << 30)

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t slots[8][4];
static unsigned nreads;

static bool read_entry(void *ctx, uint64_t gpa, uint64_t *val)
{
    uint64_t k = (gpa >> 30) - 1;

    (void)ctx;
    nreads++;
    CHECK((gpa & 7) == 0);
    if ((gpa & 0x3FFFF000) || (gpa >> 30) == 0 || k >= 8) return false;   /* only the first 4 KiB of each GiB */
    *val = slots[k][(gpa >> 3) & 3];
    return true;
}

static uint64_t mk_entry(uint64_t r)
{
    uint64_t e;

    if (r & (1ull << 62)) return r;
    e = (r & ~ADDR) | (((r >> 12) & 7) + 1) << 30;
    if (r & (1ull << 61)) e ^= r & 0x3FFFF000ull;
    if (r & (1ull << 60)) e = (e & ~ADDR) | NOMEM;
    return e;
}

/* The walk, written again from the SDM's lists (a different shape than the module's). */
static int model_walk(const struct ept12_walk_in *in, unsigned *level, uint64_t *l1, unsigned *perm)
{
    uint64_t table = in->eptp12 & ADDR, gpa = in->l2_gpa, e = 0;
    uint64_t above = ((1ull << 52) - 1) & ~((1ull << in->maxphyaddr) - 1);
    unsigned p = 7;
    bool xo = in->caps & EPT12_CAP_EXEC_ONLY;

    for (int l = 4; l >= 1; l--) {
        unsigned shift = 12 + 9 * (unsigned)(l - 1);
        bool big, leaf, mc;
        if (!read_entry(NULL, table + (((gpa >> shift) & 511) << 3), &e)) e = ~0ull;
        *level = (unsigned)l;
        if ((e & 7) == 0) { *perm = 0; return EPT12_VIOLATION; }
        big = (l == 2 || l == 3) && ((e >> 7) & 1);
        leaf = big || l == 1;
        mc = (e & 3) == 2 || ((e & 7) == 4 && !xo) || (e & above);
        mc |= l == 4 && (e & 0xF8);
        mc |= (l == 2 || l == 3) && !big && (e & 0x78);
        mc |= big && !(in->caps & (l == 3 ? EPTCAP_1G : EPTCAP_2M));
        mc |= big && (e & (l == 3 ? 0x3FFFF000ull : 0x1FF000ull));
        mc |= leaf && (((e >> 3) & 7) == 2 || ((e >> 3) & 7) == 3 || ((e >> 3) & 7) == 7);
        if (mc) return EPT12_MISCONFIG;
        p &= e & 7;
        if (leaf) {
            uint64_t off = (1ull << shift) - 1;
            *perm = p;
            *l1 = (e & ADDR & ~off) | (gpa & off);
            return (in->access & ~p) ? EPT12_VIOLATION : EPT12_OK;
        }
        table = e & ADDR;
    }
    abort();
}

/* ---- pool and tree consistency ---- */

static struct ept02_page pages[NPAGES];
static uint64_t *roots[2];

static void collect(const struct ept02_pool *p, uint64_t e, unsigned level, uint8_t *owner, uint8_t who)
{
    unsigned idx = (unsigned)(e >> 52) & 0x7FF;

    CHECK(idx < p->npages && (e & ADDR) == p->pages[idx].pa && (e & 0xFF) == 7);
    CHECK(owner[idx] == 0);   /* a page in two places */
    owner[idx] = who;
    if (level > 2)
        for (unsigned i = 0; i < 512; i++) {
            uint64_t c = p->pages[idx].va[i];
            if ((c & 7) && !(c & EPT_LARGE)) collect(p, c, level - 1, owner, who);
        }
}

static void check_pool(const struct ept02_pool *p, struct ept02 *const t[2])
{
    uint8_t owner[NPAGES] = { 0 };
    unsigned n = 0, held[2] = { 0, 0 };

    for (unsigned w = 0; w < 2; w++)
        for (unsigned i = 0; i < 512; i++) {
            uint64_t e = t[w]->root[i];
            if (e & 7) collect(p, e, 4, owner, (uint8_t)(w + 1));
        }
    for (unsigned f = p->free_head; f; f = (unsigned)p->pages[f - 1].va[0]) {
        CHECK(f <= p->npages && owner[f - 1] == 0 && ++n <= p->npages);
        owner[f - 1] = 3;
    }
    for (unsigned i = 0; i < p->npages; i++) {
        CHECK(owner[i] != 0);   /* neither in a tree nor free: leaked */
        if (owner[i] < 3) held[owner[i] - 1]++;
    }
    CHECK(n == p->nfree && p->in_use + p->nfree == p->npages && p->in_use <= p->peak && p->peak <= p->npages);
    CHECK(held[0] == t[0]->pages && held[1] == t[1]->pages && t[0]->pages <= t[0]->peak);
}

/* What each tree was given (newest last): a lookup gives the newest covering leaf, or nothing. */
struct rec { uint64_t gpa, leaf; unsigned level; };
static struct rec recs[2][16];
static unsigned nrec[2];

static void remember(unsigned w, uint64_t gpa, uint64_t leaf, unsigned level)
{
    if (nrec[w] == 16) {
        memmove(recs[w], recs[w] + 1, 15 * sizeof(struct rec));
        nrec[w]--;
    }
    recs[w][nrec[w]++] = (struct rec){ gpa & ~(EPT_LEVEL_SIZE(level) - 1), leaf, level };
}

static void check_lookups(const struct ept02 *t, unsigned w)
{
    for (unsigned i = 0; i < nrec[w]; i++) {
        uint64_t g = recs[w][i].gpa, leaf;
        const struct rec *want = &recs[w][i];
        unsigned lv;
        for (unsigned j = i + 1; j < nrec[w]; j++)
            if ((g & ~(EPT_LEVEL_SIZE(recs[w][j].level) - 1)) == recs[w][j].gpa) want = &recs[w][j];
        leaf = ept02_lookup(t, g, &lv);
        CHECK(leaf == 0 || (leaf == want->leaf && lv == want->level));
    }
}

static void query(const uint8_t *q, const struct ept12_walk_in *base, struct ept02 *const t[2])
{
    struct ept12_walk_in in = *base;
    struct ept12_walk w;
    struct ept01_xlate x;
    unsigned tw = (q[8] >> 3) & 1, op = (q[8] >> 4) & 3, mlevel = 0, mperm = 0, lv;
    uint64_t ml1 = 0, leaf, raw = le(q + 10, 8);
    int rc, mrc;

    in.l2_gpa = le(q, 8);
    in.access = q[8] & 7;
    if (op == 3) {
        if (q[8] & 0x40) {
            ept02_reset(t[tw]);
            nrec[tw] = 0;
            CHECK(t[tw]->pages == 0);
            for (unsigned i = 0; i < 512; i++) CHECK(t[tw]->root[i] == 0);
        } else {
            uint64_t end = in.l2_gpa + raw;
            rc = ept02_invalidate_range(t[tw], in.l2_gpa, raw);
            CHECK(rc == 0 || rc == EPT02_REPLACED);
            if (end < in.l2_gpa || end > (1ull << 48)) end = 1ull << 48;
            for (unsigned i = 0; i < nrec[tw]; i++) {   /* newest at its address and overlapping: gone */
                const struct rec *r = &recs[tw][i];
                bool newest = true;
                for (unsigned j = i + 1; j < nrec[tw]; j++)
                    newest &= (r->gpa & ~(EPT_LEVEL_SIZE(recs[tw][j].level) - 1)) != recs[tw][j].gpa;
                if (raw && newest && r->gpa + EPT_LEVEL_SIZE(r->level) > in.l2_gpa && r->gpa < end)
                    CHECK(ept02_lookup(t[tw], r->gpa, NULL) == 0);
            }
        }
        return;
    }

    nreads = 0;
    memset(&w, 0xA5, sizeof(w));
    rc = ept12_walk(&in, &w);
    CHECK(rc == w.status && nreads <= 4);
    if (in.maxphyaddr < 32 || in.maxphyaddr > 52 || in.access == 0 || (in.eptp12 & (7 << 3)) != (3 << 3)) {
        CHECK(rc == EPT12_EBAD && nreads == 0 && w.level == 0);
        return;
    }
    nreads = 0;
    mrc = model_walk(&in, &mlevel, &ml1, &mperm);
    CHECK(rc == mrc && w.level == mlevel);
    if (rc == EPT12_MISCONFIG) {
        CHECK(w.mc_reason != EPT12_MC_NONE && w.no_memory == (w.entry == ~0ull && (w.entry_gpa & 0x3FFFF000 ||
              (w.entry_gpa >> 30) == 0 || (w.entry_gpa >> 30) > 8)));
        return;
    }
    if (rc == EPT12_VIOLATION) {
        CHECK(w.qual_perm == mperm && (in.access & ~w.qual_perm) != 0);
        CHECK((ept12_violation_qual(~0ull, &w, in.caps) >> 3 & 7) == w.qual_perm);
        return;
    }
    CHECK(rc == EPT12_OK && w.l1_gpa == ml1 && w.perm == mperm && w.level >= 1 && w.level <= 3);
    CHECK((in.access & ~w.perm) == 0 && (w.perm & 3) != 2 && (w.perm != 4 || (in.caps & EPT12_CAP_EXEC_ONLY)));
    CHECK(w.l1_gpa < (1ull << in.maxphyaddr) && ((0x73u >> w.memtype) & 1) && w.mc_reason == EPT12_MC_NONE);
    CHECK(w.memtype == ((w.entry >> 3) & 7) && w.ipat == ((w.entry >> 6) & 1));

    x.perm = q[9] & 7;
    x.extent = 1ull << (12 + (q[9] >> 3) % 20);
    switch (q[18] & 3) {
    case 0: x.hpa = ((raw << 12) & ADDR & ~(x.extent - 1)) | (w.l1_gpa & (x.extent - 1)); break;
    case 1: x.hpa = ((raw << 12) & ADDR) | (w.l1_gpa & 0xFFF); break;
    case 2: x.hpa = raw; break;
    default: x.hpa = w.l1_gpa; break;
    }
    leaf = ept02_leaf(&w, in.l2_gpa, &x, &lv);
    if (leaf == 0) {
        unsigned p = w.perm & x.perm;
        CHECK(lv == 0 && (p == 0 || (p & 3) == 2 || ((x.hpa ^ w.l1_gpa) & 0xFFF) || x.hpa >= (1ull << 52)));
        return;
    } else {
        uint64_t sz = EPT_LEVEL_SIZE(lv);
        bool big_ok = w.level >= 2 && x.extent >= (2ull << 20) &&
                      !((x.hpa ^ w.l1_gpa) & ((2ull << 20) - 1)) && !((in.l2_gpa ^ w.l1_gpa) & ((2ull << 20) - 1));
        CHECK(lv == (big_ok ? 2u : 1u));
        CHECK((leaf & 7) == (w.perm & x.perm) && ((leaf >> 3) & 7) == w.memtype && ((leaf >> 6) & 1) == w.ipat);
        CHECK(((leaf >> 7) & 1) == (lv == 2) && (leaf & ~(ADDR | 0xFF)) == 0 && (leaf & (sz - 1) & ADDR) == 0);
        CHECK(((leaf & ADDR) | (in.l2_gpa & (sz - 1))) == x.hpa);   /* EPT02 gives L2 what EPT01(EPT12) gives */
    }

    ml1 = in.l2_gpa & ((1ull << 48) - 1);   /* what the walk used: bits 47:0 */
    rc = ept02_map(t[tw], ml1, leaf, lv);
    CHECK(rc >= 0 && rc <= (EPT02_RESET | EPT02_REPLACED | EPT02_OTHERS));
    if (rc & EPT02_RESET) nrec[tw] = 0;
    if (rc & EPT02_OTHERS) nrec[!tw] = 0;
    remember(tw, ml1, leaf, lv);
    CHECK(ept02_lookup(t[tw], ml1, &mlevel) == leaf && mlevel == lv);
    CHECK(ept02_map(t[tw], ml1, leaf, lv) == 0);   /* the same leaf again: nothing to flush */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t in[IN_LEN] = { 0 };
    struct ept12_walk_in base;
    struct ept02_pool pool;
    struct ept02 t0, t1, *t[2] = { &t0, &t1 };
    unsigned npages;

    if (!pages[0].va) {
        for (unsigned i = 0; i < NPAGES; i++) {
            pages[i].va = aligned_alloc(4096, 4096);
            pages[i].pa = (uint64_t)(uintptr_t)pages[i].va;
        }
        for (unsigned i = 0; i < 2; i++) roots[i] = aligned_alloc(4096, 4096);
    }
    memcpy(in, data, size < IN_LEN ? size : IN_LEN);
    for (unsigned k = 0; k < 8; k++)
        for (unsigned s = 0; s < 4; s++) slots[k][s] = mk_entry(le(in + MEM_OFF + 8 * (4 * k + s), 8));

    base = (struct ept12_walk_in){
        .caps = ((in[0] & 1) ? EPT12_CAP_EXEC_ONLY : 0) | ((in[0] & 2) ? EPTCAP_2M : 0) |
                ((in[0] & 4) ? EPTCAP_1G : 0) | ((in[0] & 8) ? EPT12_CAP_ADV_EXIT_INFO : 0) | EPTCAP_WALK4,
        .maxphyaddr = 28 + in[1] % 28,
        .eptp12 = ((in[2] & 0x40) ? NOMEM : ((uint64_t)(in[2] & 7) + 1) << 30) | ((uint64_t)(((in[2] >> 3) & 7) ^ 3) << 3) | 6,
        .read_entry = read_entry,
    };

    npages = 3 + in[3] % 6;
    for (unsigned i = 0; i < NPAGES; i++) memset(pages[i].va, 0xEE, 4096);
    CHECK(ept02_pool_init(&pool, pages, npages) == EPT02_OK);
    CHECK(ept02_init(&t0, &pool, roots[0], (uint64_t)(uintptr_t)roots[0]) == EPT02_OK);
    CHECK(ept02_init(&t1, &pool, roots[1], (uint64_t)(uintptr_t)roots[1]) == EPT02_OK);
    nrec[0] = nrec[1] = 0;

    for (unsigned i = 0; i < NQ && Q_OFF + Q_LEN * i < size; i++) {
        query(in + Q_OFF + Q_LEN * i, &base, t);
        check_pool(&pool, t);
        check_lookups(&t0, 0);
        check_lookups(&t1, 1);
    }
    return 0;
}
