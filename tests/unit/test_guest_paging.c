/* Host unit tests for pure/guest_paging.c: every paging mode and page size, faults at each level, access rights, A/D flags, operand copies. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pure/guest_paging.h"

/* Entry and register bits, spelled out here rather than taken from the module. */
static const uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, XD = 1ull << 63;
static const uint64_t CR0_PE = 1, CR0_WP = 1ull << 16, CR0_PG = 1ull << 31;
static const uint64_t CR4_PSE = 1ull << 4, CR4_PAE = 1ull << 5, CR4_LA57 = 1ull << 12, CR4_SMAP = 1ull << 21,
                      CR4_PKE = 1ull << 22, CR4_PKS = 1ull << 24;
static const uint64_t EFER_LME = 1ull << 8, EFER_LMA = 1ull << 10, EFER_NXE = 1ull << 11;
enum { EC_P = GPAGING_PFEC_P, EC_W = GPAGING_PFEC_W, EC_RSVD = GPAGING_PFEC_RSVD, EC_PK = GPAGING_PFEC_PK };

/* ---- fake L1 physical memory: 4-KiB pages at arbitrary frames ---- */

#define NPAGES 64
static struct fake {
    uint64_t frame[NPAGES];
    uint8_t page[NPAGES][4096];
    unsigned n;
    uint64_t next_table;   /* bump allocator for page tables */
    uint64_t ent[4];       /* gpas of the entries the last map*() wrote, top first */
    unsigned nent;
    int fail_cmpxchg;      /* fail this many cmpxchg calls (another CPU "changed" the entry) */
    unsigned cmpxchgs, writes;
} M;

static uint8_t *find(uint64_t gpa)
{
    for (unsigned i = 0; i < M.n; i++)
        if (M.frame[i] == (gpa & ~0xFFFull)) return M.page[i] + (gpa & 0xFFF);
    return NULL;
}

static uint8_t *get(uint64_t gpa)
{
    uint8_t *p = find(gpa);
    if (p) return p;
    assert_true(M.n < NPAGES);
    M.frame[M.n] = gpa & ~0xFFFull;
    memset(M.page[M.n], 0, 4096);
    return M.page[M.n++] + (gpa & 0xFFF);
}

static uint64_t rd(uint64_t gpa, unsigned size) { uint64_t v = 0; memcpy(&v, find(gpa), size); return v; }
static void wr(uint64_t gpa, uint64_t v, unsigned size) { memcpy(get(gpa), &v, size); }
static uint64_t new_table(void) { uint64_t t = M.next_table; M.next_table += 4096; get(t); return t; }

/* The callbacks' contract: 1..16 bytes within one page. */
static uint8_t *span(void *o, uint64_t gpa, unsigned size)
{
    assert_ptr_equal(o, &M);
    assert_true(size >= 1 && size <= 16 && (gpa & 0xFFF) + size <= 4096);
    return find(gpa);
}

static bool f_read(void *o, uint64_t gpa, void *buf, unsigned size)
{
    uint8_t *p = span(o, gpa, size);
    if (p) memcpy(buf, p, size);
    return p != NULL;
}

static bool f_write(void *o, uint64_t gpa, const void *buf, unsigned size)
{
    uint8_t *p = span(o, gpa, size);
    if (p) memcpy(p, buf, size), M.writes++;
    return p != NULL;
}

static bool f_cmpxchg(void *o, uint64_t gpa, unsigned size, uint64_t old, uint64_t new_val)
{
    (void)o;
    assert_true(size == 4 || size == 8);
    M.cmpxchgs++;
    if (M.fail_cmpxchg > 0) { M.fail_cmpxchg--; return false; }
    if (!find(gpa) || rd(gpa, size) != old) return false;
    wr(gpa, new_val, size);
    return true;
}

static int setup(void **st) { (void)st; memset(&M, 0, sizeof(M)); M.next_table = 0x100000; return 0; }

static struct gpaging_ctx base_ctx(void)
{
    return (struct gpaging_ctx){ .maxphyaddr = 46, .page1gb = true, .read_phys = f_read,
                                 .write_phys = f_write, .cmpxchg_phys = f_cmpxchg, .opaque = &M };
}

/* 4-level paging with WP, NXE; an empty PML4 table. */
static struct gpaging_ctx ctx4(void)
{
    struct gpaging_ctx c = base_ctx();
    c.cr0 = CR0_PE | CR0_PG | CR0_WP;
    c.cr4 = CR4_PAE;
    c.efer = EFER_LME | EFER_LMA | EFER_NXE;
    c.cr3 = new_table();
    return c;
}

static struct gpaging_ctx ctx_pae(void) { struct gpaging_ctx c = ctx4(); c.efer = EFER_NXE; return c; }
static struct gpaging_ctx ctx32(void) { struct gpaging_ctx c = ctx4(); c.cr4 = CR4_PSE; c.efer = 0; return c; }

/* Walk-building: tables from `table`, levels at shifts top..12 step `step`, leaf at `leaf_shift`. */
static void map_tables(uint64_t table, unsigned top, unsigned step, unsigned esize, uint64_t la, uint64_t pa,
                       unsigned leaf_shift, uint64_t lf, uint64_t uf)
{
    M.nent = 0;
    for (unsigned s = top;; s -= step) {
        uint64_t egpa = table + ((la >> s) & ((1ull << step) - 1)) * esize;
        M.ent[M.nent++] = egpa;
        if (s == leaf_shift) {
            wr(egpa, pa | lf | (s > 12 ? PS : 0), esize);
            return;
        }
        uint64_t e = find(egpa) ? rd(egpa, esize) : 0;
        table = (e & P) ? (e & 0x000FFFFFFFFFF000ull) : new_table();
        wr(egpa, table | uf, esize);
    }
}

static void map4(const struct gpaging_ctx *c, uint64_t la, uint64_t pa, unsigned shift, uint64_t lf, uint64_t uf)
{
    map_tables(c->cr3 & 0x000FFFFFFFFFF000ull, 39, 9, 8, la, pa, shift, lf, uf);
}

static void map_pae(struct gpaging_ctx *c, uint64_t la, uint64_t pa, unsigned shift, uint64_t lf)
{
    uint64_t *pdpte = &c->pdpte[(la >> 30) & 3];
    if (!(*pdpte & P)) *pdpte = new_table() | P;
    map_tables(*pdpte & ~0xFFFull, 21, 9, 8, la, pa, shift, lf, P | RW | US);
}

static void map32(const struct gpaging_ctx *c, uint64_t la, uint64_t pa, unsigned shift, uint64_t lf, uint64_t uf)
{
    map_tables(c->cr3 & 0xFFFFF000ull, 22, 10, 4, la, pa, shift, lf, uf);
}

/* ---- expectations ---- */

static void expect_gpa(const struct gpaging_ctx *c, uint64_t la, bool write, uint64_t want)
{
    uint64_t gpa = 1;
    struct gpaging_fault f;
    int rc = gpaging_translate(c, la, write, &gpa, &f);
    assert_int_equal(rc, GPAGING_OK);
    assert_int_equal(gpa, want);
    assert_int_equal(f.error_code, 0);
}

static void expect_pf(const struct gpaging_ctx *c, uint64_t la, bool write, uint32_t ec)
{
    uint64_t gpa = 1;
    struct gpaging_fault f;
    assert_int_equal(gpaging_translate(c, la, write, &gpa, &f), GPAGING_PF);
    assert_int_equal(f.error_code, ec);
    assert_int_equal(gpa, 0);
}

/* ---- modes ---- */

static void test_modes(void **st)
{
    (void)st;
    struct gpaging_ctx c = base_ctx();
    assert_int_equal(gpaging_mode(&c), GPAGING_MODE_NONE);
    c.cr0 = CR0_PE | CR0_PG;
    assert_int_equal(gpaging_mode(&c), GPAGING_MODE_32BIT);
    c.cr4 = CR4_PAE;
    assert_int_equal(gpaging_mode(&c), GPAGING_MODE_PAE);
    c.efer = EFER_LME;   /* LME alone (PAE paging before LMA is set) is still PAE */
    assert_int_equal(gpaging_mode(&c), GPAGING_MODE_PAE);
    c.efer = EFER_LME | EFER_LMA;
    assert_int_equal(gpaging_mode(&c), GPAGING_MODE_4LEVEL);
    c.cr4 |= CR4_LA57;
    assert_int_equal(gpaging_mode(&c), GPAGING_MODE_5LEVEL);
    assert_int_equal(gpaging_translate(&c, 0, false, &(uint64_t){ 0 }, NULL), GPAGING_EUNSUP);
    c.cr4 = 0;   /* LMA without PAE */
    assert_int_equal(gpaging_mode(&c), GPAGING_MODE_INVALID);
    c.cr0 = CR0_PG;   /* PG without PE */
    c.efer = 0;
    assert_int_equal(gpaging_mode(&c), GPAGING_MODE_INVALID);
    assert_int_equal(gpaging_translate(&c, 0, false, &(uint64_t){ 0 }, NULL), GPAGING_EBAD);
    c.cr0 = 0;
    c.efer = EFER_LMA;   /* LMA without PG */
    assert_int_equal(gpaging_mode(&c), GPAGING_MODE_INVALID);
    assert_string_equal(gpaging_mode_name(GPAGING_MODE_PAE), "PAE");
    assert_string_equal(gpaging_mode_name(GPAGING_MODE_4LEVEL), "4-level");
    assert_string_equal(gpaging_mode_name((enum gpaging_mode)42), "?");
}

static void test_no_paging(void **st)
{
    (void)st;
    struct gpaging_ctx c = base_ctx();
    c.cr0 = CR0_PE;
    c.maxphyaddr = 0;   /* not needed without paging */
    expect_gpa(&c, 0x12345678, true, 0x12345678);
    expect_gpa(&c, 0xABCD00012345678ull, false, 0x12345678);   /* 32-bit linear addresses */
    c.cr0 = 0;   /* real mode too */
    expect_gpa(&c, 0xFFFFF, false, 0xFFFFF);
}

/* ---- 32-bit paging ---- */

static void test_32bit_4k(void **st)
{
    (void)st;
    struct gpaging_ctx c = ctx32();
    c.cr3 |= 0x18 | 0xFFFFFFFF00000000ull;   /* PWT/PCD and high bits: ignored */
    map32(&c, 0xC0123000, 0xFFFF5000, 12, P | RW, P | RW);
    expect_gpa(&c, 0xC0123ABC, false, 0xFFFF5ABC);
    assert_int_equal(rd(M.ent[0], 4) & (A | D), A);
    assert_int_equal(rd(M.ent[1], 4) & (A | D), A);
    expect_gpa(&c, 0xC0123ABC, true, 0xFFFF5ABC);
    assert_int_equal(rd(M.ent[0], 4) & (A | D), A);        /* D only in the entry mapping the page */
    assert_int_equal(rd(M.ent[1], 4) & (A | D), A | D);
    expect_gpa(&c, 0x1C0123ABCull, false, 0xFFFF5ABC);    /* upper linear bits dropped */
    expect_pf(&c, 0xC0124000, false, 0);                  /* PTE not present */
    expect_pf(&c, 0x00123000, true, EC_W);                /* PDE not present */
    /* no reserved bits in a PTE or a page-table PDE: bits 63..32 do not exist in 4-byte entries */
    wr(M.ent[1], rd(M.ent[1], 4) | 0xE00 | 0x180, 4);    /* ignored bits, G, PAT */
    expect_gpa(&c, 0xC0123000, false, 0xFFFF5000);
}

static void test_32bit_4m_pse36(void **st)
{
    (void)st;
    struct gpaging_ctx c = ctx32();
    c.maxphyaddr = 40;
    map32(&c, 0x80400000, 0x00C00000 | (0xABull << 13), 22, P | RW | 0x1000 /* PAT */, 0);
    expect_gpa(&c, 0x80512345, true, 0xAB00D12345ull);    /* bits 39:32 from PDE bits 20:13 */
    assert_int_equal(rd(M.ent[0], 4) & (A | D), A | D);
    wr(M.ent[0], rd(M.ent[0], 4) | (1u << 21), 4);        /* bit 21 reserved */
    expect_pf(&c, 0x80400000, false, EC_P | EC_RSVD);
    c.maxphyaddr = 36;                                    /* bits 21:17 reserved now: 0xAB sets bit 20 */
    wr(M.ent[0], rd(M.ent[0], 4) & ~(1u << 21), 4);
    expect_pf(&c, 0x80400000, true, EC_P | EC_RSVD | EC_W);
    wr(M.ent[0], (rd(M.ent[0], 4) & ~0x1FE000u) | (0xFu << 13), 4);
    expect_gpa(&c, 0x80400010, false, 0xF00C00010ull);
    c.maxphyaddr = 52;                                    /* M' = min(M, 40): bit 21 still reserved */
    wr(M.ent[0], rd(M.ent[0], 4) | (1u << 21), 4);
    expect_pf(&c, 0x80400000, false, EC_P | EC_RSVD);
    /* CR4.PSE = 0: PS ignored, the PDE points to a page table at its bits 31:12 */
    c.cr4 = 0;
    uint64_t pde = rd(M.ent[0], 4);
    wr((pde & 0xFFFFF000u) + 0x100 * 4, 0x7000 | P, 4);
    expect_gpa(&c, 0x80500123, false, 0x7123);
}

/* ---- PAE paging ---- */

static void test_pae(void **st)
{
    (void)st;
    struct gpaging_ctx c = ctx_pae();
    map_pae(&c, 0xBFE01000, 0x3FFFF000000ull, 12, P | RW);
    expect_gpa(&c, 0xBFE01FFF, true, 0x3FFFF000FFFull);
    assert_int_equal(rd(M.ent[0], 8) & (A | D), A);       /* PDE, PTE; no PDPTE in memory */
    assert_int_equal(rd(M.ent[1], 8) & (A | D), A | D);
    map_pae(&c, 0x40200000, 0x12345600000ull, 21, P | RW | 0x1000);
    expect_gpa(&c, 0x403FFFFF, false, 0x123457FFFFFull);
    expect_pf(&c, 0x00000000, false, 0);                  /* PDPTE0 not present */
    expect_pf(&c, 0xC0000000, true, EC_W);                /* PDPTE3 not present */
    expect_pf(&c, 0x40000000, false, 0);                  /* PDE not present */
    /* PDPTE register reserved bits: 2:1, 8:5 (PS is bit 7), 63:M */
    uint64_t saved = c.pdpte[1];
    const uint64_t bad[] = { RW, US, PS, A, 1ull << 8, 1ull << 46, XD };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c.pdpte[1] = saved | bad[i];
        expect_pf(&c, 0x40200000, false, EC_P | EC_RSVD);
    }
    c.pdpte[1] = saved | 0xE18;   /* PWT, PCD, ignored 11:9 */
    expect_gpa(&c, 0x40200000, false, 0x12345600000ull);
    c.pdpte[1] = saved & ~P;      /* not present: the other bits do not matter */
    c.pdpte[1] |= RW | PS | XD;
    expect_pf(&c, 0x40200000, false, 0);
    c.pdpte[1] = saved;
    /* PDE / PTE: 62:M reserved (not only 51:M), XD reserved without NXE, 20:13 in a 2M PDE */
    wr(M.ent[0], rd(M.ent[0], 8) | (1ull << 60), 8);
    expect_pf(&c, 0x40200000, false, EC_P | EC_RSVD);
    wr(M.ent[0], (rd(M.ent[0], 8) & ~(1ull << 60)) | (1ull << 13), 8);
    expect_pf(&c, 0x40200000, false, EC_P | EC_RSVD);
    wr(M.ent[0], (rd(M.ent[0], 8) & ~(1ull << 13)) | XD, 8);
    expect_gpa(&c, 0x40200000, true, 0x12345600000ull);  /* NXE = 1: XD ignored by data accesses */
    c.efer = 0;
    expect_pf(&c, 0x40200000, true, EC_P | EC_RSVD | EC_W);
    expect_gpa(&c, 0xBFE01000, false, 0x3FFFF000000ull);
}

/* ---- 4-level paging ---- */

static void test_4level_sizes(void **st)
{
    (void)st;
    struct gpaging_ctx c = ctx4();
    c.cr3 |= 0xFFF | (3ull << 61);   /* PCID, LAM bits: not address bits */
    map4(&c, 0xFFFF800000001000ull, 0x3FFFFFFFF000ull, 12, P | RW, P | RW);
    map4(&c, 0x00007F0000200000ull, 0x200000000ull, 21, P | RW | 0x1000, P | RW);
    map4(&c, 0x0000004040000000ull, 0x1C0000000ull, 30, P | RW, P | RW);
    expect_gpa(&c, 0xFFFF800000001234ull, false, 0x3FFFFFFFF234ull);
    expect_gpa(&c, 0x00007F00003FFFF8ull, false, 0x2001FFFF8ull);
    expect_gpa(&c, 0x000000407FFFFFFFull, true, 0x1FFFFFFFFull);
    assert_int_equal(M.nent, 2);   /* the 1G page: PML4E, PDPTE */
    assert_int_equal(rd(M.ent[0], 8) & (A | D), A);
    assert_int_equal(rd(M.ent[1], 8) & (A | D), A | D);
    /* ignored bits 62:52 (and a protection key without PKE) change nothing */
    wr(M.ent[1], rd(M.ent[1], 8) | 0x7FF0000000000E00ull, 8);
    expect_gpa(&c, 0x0000004040000000ull, false, 0x1C0000000ull);
    assert_int_equal(gpaging_translate(&c, 0x0000800000000000ull, false, &(uint64_t){ 0 }, NULL), GPAGING_EBAD);
    c.maxphyaddr = 53;
    assert_int_equal(gpaging_translate(&c, 0, false, &(uint64_t){ 0 }, NULL), GPAGING_EBAD);
}

static void test_4level_faults(void **st)
{
    (void)st;
    const uint64_t la = 0x0000123456789ABCull;
    for (unsigned lvl = 0; lvl < 4; lvl++) {   /* not present at each level, read and write */
        setup(NULL);
        struct gpaging_ctx c = ctx4();
        map4(&c, la, 0x5000, 12, P | RW, P | RW);
        wr(M.ent[lvl], rd(M.ent[lvl], 8) & ~P, 8);
        expect_pf(&c, la, false, 0);
        expect_pf(&c, la, true, EC_W);
        for (unsigned i = 0; i < 4; i++) assert_int_equal(rd(M.ent[i], 8) & A, 0);   /* no flags on a fault */
        wr(M.ent[lvl], rd(M.ent[lvl], 8) | P | (1ull << 50), 8);   /* bit 50 >= M = 46: reserved at every level */
        expect_pf(&c, la, true, EC_P | EC_RSVD | EC_W);
        if (lvl == 3) {   /* with M = 52 it is an address bit */
            c.maxphyaddr = 52;
            expect_gpa(&c, la, false, (1ull << 50) | 0x5ABC);
            c.maxphyaddr = 46;
        }
        c.efer &= ~EFER_NXE;   /* then XD is reserved, at every level */
        wr(M.ent[lvl], rd(M.ent[lvl], 8) & ~(1ull << 50), 8);
        expect_gpa(&c, la, false, 0x5ABC);
        wr(M.ent[lvl], rd(M.ent[lvl], 8) | XD, 8);
        expect_pf(&c, la, false, EC_P | EC_RSVD);
    }
    setup(NULL);
    struct gpaging_ctx c = ctx4();
    map4(&c, la, 0x40000000, 30, P | RW, P | RW);
    expect_gpa(&c, la, false, 0x40000000 | (la & 0x3FFFFFFF));
    c.page1gb = false;                                    /* PS in a PDPTE reserved without 1G pages */
    expect_pf(&c, la, false, EC_P | EC_RSVD);
    c.page1gb = true;
    for (unsigned b = 13; b <= 29; b += 16) {             /* 29:13 reserved in a 1G PDPTE */
        wr(M.ent[1], rd(M.ent[1], 8) | (1ull << b), 8);
        expect_pf(&c, la, false, EC_P | EC_RSVD);
        wr(M.ent[1], rd(M.ent[1], 8) & ~(1ull << b), 8);
    }
    wr(M.ent[0], rd(M.ent[0], 8) | PS, 8);               /* PS in a PML4E reserved */
    expect_pf(&c, la, false, EC_P | EC_RSVD);
    wr(M.ent[0], rd(M.ent[0], 8) & ~PS, 8);
    map4(&c, 0x7FFFFFE00000ull, 0x600000, 21, P | RW | (1ull << 20), P | RW);   /* 20:13 in a 2M PDE */
    expect_pf(&c, 0x7FFFFFE00000ull, false, EC_P | EC_RSVD);
    /* the first bad entry from the top decides: not-present below a reserved bit is not reached */
    wr(M.ent[0], rd(M.ent[0], 8) | (1ull << 47), 8);
    wr(M.ent[2], 0, 8);
    expect_pf(&c, 0x7FFFFFE00000ull, false, EC_P | EC_RSVD);
}

/* Read-only at `lvl` of a 4-level walk; WP decides whether supervisor writes care. */
static void test_wp(void **st)
{
    (void)st;
    const uint64_t la = 0xFFFFFFFFFFE00000ull;
    for (unsigned lvl = 0; lvl < 4; lvl++) {
        setup(NULL);
        struct gpaging_ctx c = ctx4();
        map4(&c, la, 0x9000, 12, P | RW, P | RW);
        wr(M.ent[lvl], rd(M.ent[lvl], 8) & ~RW, 8);
        expect_gpa(&c, la, false, 0x9000);
        expect_pf(&c, la, true, EC_P | EC_W);
        assert_int_equal(rd(M.ent[3], 8) & D, 0);
        c.cr0 &= ~CR0_WP;
        expect_gpa(&c, la, true, 0x9000);
        assert_int_equal(rd(M.ent[3], 8) & D, D);
    }
    setup(NULL);                                          /* and in the legacy modes */
    struct gpaging_ctx c = ctx32();
    map32(&c, 0x1000, 0x2000, 12, P, P | RW);
    expect_pf(&c, 0x1000, true, EC_P | EC_W);
    c.cr0 &= ~CR0_WP;
    expect_gpa(&c, 0x1000, true, 0x2000);
    struct gpaging_ctx p = ctx_pae();
    map_pae(&p, 0x1000, 0x2000, 12, P);
    expect_pf(&p, 0x1000, true, EC_P | EC_W);
}

static void test_smap(void **st)
{
    (void)st;
    struct gpaging_ctx c = ctx4();
    map4(&c, 0x400000, 0x8000, 12, P | RW | US, P | RW | US);     /* user-mode address */
    expect_gpa(&c, 0x400000, true, 0x8000);                       /* SMAP off */
    c.cr4 |= CR4_SMAP;
    expect_pf(&c, 0x400000, false, EC_P);
    expect_pf(&c, 0x400000, true, EC_P | EC_W);
    c.cr0 &= ~CR0_WP;                                             /* WP does not lift SMAP */
    expect_pf(&c, 0x400000, true, EC_P | EC_W);
    c.ac = true;                                                  /* explicit access with AC = 1 */
    expect_gpa(&c, 0x400000, true, 0x8000);
    c.ac = false;
    wr(M.ent[1], rd(M.ent[1], 8) & ~US, 8);                       /* U/S = 0 anywhere: supervisor page */
    expect_gpa(&c, 0x400000, false, 0x8000);
    struct gpaging_ctx p = ctx_pae();                              /* PAE: PDPTEs have no U/S */
    p.cr4 |= CR4_SMAP;
    map_pae(&p, 0x400000, 0x8000, 12, P | RW | US);
    expect_pf(&p, 0x400000, false, EC_P);
    struct gpaging_ctx l = ctx32();
    l.cr4 |= CR4_SMAP;
    map32(&l, 0x400000, 0x400000, 22, P, 0);                      /* a 4M page: one level */
    expect_gpa(&l, 0x400123, false, 0x400123);
    wr(M.ent[0], rd(M.ent[0], 4) | US, 4);
    expect_pf(&l, 0x400123, false, EC_P);
}

static void test_pkeys(void **st)
{
    (void)st;
    struct gpaging_ctx c = ctx4();
    map4(&c, 0x400000, 0x8000, 12, P | RW | US | (5ull << 59), P | RW | US);
    map4(&c, 0x600000, 0x9000, 12, P | RW | (5ull << 59), P | RW | US);
    c.pkru = 1u << 10;                                   /* AD5 */
    expect_gpa(&c, 0x400000, false, 0x8000);              /* CR4.PKE = 0 */
    c.cr4 |= CR4_PKE;
    expect_pf(&c, 0x400000, false, EC_P | EC_PK);
    expect_gpa(&c, 0x600000, false, 0x9000);              /* supervisor page: PKRU does not apply */
    c.pkru = 2u << 10;                                   /* WD5 */
    expect_gpa(&c, 0x400000, false, 0x8000);
    expect_pf(&c, 0x400000, true, EC_P | EC_W | EC_PK);
    c.cr0 &= ~CR0_WP;                                     /* supervisor writes ignore WD with WP = 0 */
    expect_gpa(&c, 0x400000, true, 0x8000);
    c.cr0 |= CR0_WP;
    c.cr4 |= CR4_SMAP;                                    /* SMAP and PK both: PK still reported */
    c.pkru = 1u << 10;
    expect_pf(&c, 0x400000, false, EC_P | EC_PK);
    c.pkru = 1u << 8;                                     /* another key: SMAP alone */
    expect_pf(&c, 0x400000, false, EC_P);
    c.cr4 = CR4_PAE | CR4_PKS;                            /* PKS: supervisor pages against IA32_PKRS */
    c.pkrs = 3u << 10;
    expect_pf(&c, 0x600000, false, EC_P | EC_PK);
    expect_gpa(&c, 0x400000, false, 0x8000);
    struct gpaging_ctx p = ctx_pae();                     /* no keys outside 4-level paging */
    p.cr4 |= CR4_PKE | CR4_PKS;
    p.pkru = p.pkrs = ~0u;
    map_pae(&p, 0x400000, 0x8000, 12, P | RW | US);
    expect_gpa(&p, 0x400000, true, 0x8000);
}

static void test_flag_updates(void **st)
{
    (void)st;
    struct gpaging_ctx c = ctx4();
    map4(&c, 0x400000, 0x8000, 12, P | RW, P | RW);
    c.cmpxchg_phys = NULL;                                /* read-only view: no flags */
    expect_gpa(&c, 0x400000, true, 0x8000);
    for (unsigned i = 0; i < 4; i++) assert_int_equal(rd(M.ent[i], 8) & (A | D), 0);
    c.cmpxchg_phys = f_cmpxchg;
    M.fail_cmpxchg = 3;                                   /* entries "changed" three times: retried */
    expect_gpa(&c, 0x400000, true, 0x8000);
    for (unsigned i = 0; i < 4; i++) assert_int_equal(rd(M.ent[i], 8) & (A | D), i == 3 ? A | D : A);
    M.cmpxchgs = 0;
    expect_gpa(&c, 0x400000, true, 0x8000);               /* flags already set: no update */
    assert_int_equal(M.cmpxchgs, 0);
    map4(&c, 0x600000, 0x9000, 12, P | RW, P | RW);
    M.fail_cmpxchg = 1000;
    uint64_t gpa = 1;
    assert_int_equal(gpaging_translate(&c, 0x600000, false, &gpa, NULL), GPAGING_ERETRY);
    assert_int_equal(gpa, 0);
    M.fail_cmpxchg = 0;
    /* an entry in memory L1 does not have */
    struct gpaging_fault f;
    wr(M.ent[3], 0, 8);
    wr(M.ent[2], 0x7770000000ull | P | RW, 8);
    assert_int_equal(gpaging_translate(&c, 0x600000, false, &gpa, &f), GPAGING_ENOMEM);
    assert_int_equal(f.gpa, 0x7770000000ull + ((0x600000 >> 12) & 511) * 8);
    c.read_phys = NULL;
    assert_int_equal(gpaging_translate(&c, 0x400000, false, &gpa, &f), GPAGING_EBAD);
}

/* ---- operand copies ---- */

static void test_copy(void **st)
{
    (void)st;
    struct gpaging_ctx c = ctx4();
    uint8_t in[16], out[16], zero[16] = { 0 };
    struct gpaging_fault f;
    for (unsigned i = 0; i < 16; i++) in[i] = (uint8_t)(0xA0 + i);
    map4(&c, 0x7000, 0x21000, 12, P | RW, P | RW);       /* two pages, far apart physically */
    uint64_t pte1 = M.ent[3];
    map4(&c, 0x8000, 0x35000, 12, P | RW, P | RW);
    get(0x21000);
    get(0x35000);
    assert_int_equal(gpaging_write(&c, 0x7FF8, in, 16, &f), GPAGING_OK);
    assert_memory_equal(get(0x21FF8), in, 8);
    assert_memory_equal(get(0x35000), in + 8, 8);
    assert_int_equal(rd(M.ent[3], 8) & D, D);            /* both leaves dirty */
    memset(out, 0, 16);
    assert_int_equal(gpaging_read(&c, 0x7FF8, out, 16, &f), GPAGING_OK);
    assert_memory_equal(out, in, 16);
    assert_int_equal(gpaging_read(&c, 0x7100, out, 8, NULL), GPAGING_OK);   /* within one page */
    assert_int_equal(gpaging_read(&c, 0x8FF0, out, 16, NULL), GPAGING_OK);  /* up to the end of a page */
    assert_int_equal(gpaging_write(&c, 0x8FF0, in, 16, NULL), GPAGING_OK);  /* (0x9000 is unmapped) */
    /* second page read-only: nothing written, fault at the page boundary */
    wr(M.ent[3], (rd(M.ent[3], 8) & ~RW) & ~(A | D), 8);
    wr(pte1, rd(pte1, 8) & ~(A | D), 8);
    memset(get(0x21FF8), 0, 8);
    M.writes = 0;
    assert_int_equal(gpaging_write(&c, 0x7FF8, in, 16, &f), GPAGING_PF);
    assert_int_equal(f.linear, 0x8000);
    assert_int_equal(f.error_code, EC_P | EC_W);
    assert_int_equal(M.writes, 0);
    assert_memory_equal(get(0x21FF8), zero, 8);
    assert_int_equal(rd(pte1, 8) & (A | D), 0);           /* not even the first page's flags */
    assert_int_equal(gpaging_read(&c, 0x7FF8, out, 16, &f), GPAGING_OK);   /* reading it is fine */
    /* both pages bad: the first is reported */
    map4(&c, 0x7000, 0x21000, 12, 0, P | RW);
    assert_int_equal(gpaging_write(&c, 0x7FFC, in, 8, &f), GPAGING_PF);
    assert_int_equal(f.linear, 0x7FFC);
    assert_int_equal(f.error_code, EC_W);
    /* second page without memory: ENOMEM, first page untouched */
    map4(&c, 0x7000, 0x21000, 12, P | RW, P | RW);
    map4(&c, 0x8000, 0x99000, 12, P | RW, P | RW);
    assert_int_equal(gpaging_write(&c, 0x7FF8, in, 16, &f), GPAGING_ENOMEM);
    assert_int_equal(f.gpa, 0x99000);
    assert_memory_equal(get(0x21FF8), zero, 8);
    /* bad lengths, no write callback, non-canonical second page */
    assert_int_equal(gpaging_read(&c, 0x7000, out, 0, &f), GPAGING_EBAD);
    assert_int_equal(gpaging_read(&c, 0x7000, out, 17, &f), GPAGING_EBAD);
    assert_int_equal(gpaging_read(&c, 0x7FFFFFFFFFF8ull, out, 16, &f), GPAGING_EBAD);
    c.write_phys = NULL;
    assert_int_equal(gpaging_write(&c, 0x7000, in, 8, &f), GPAGING_EBAD);
}

static void test_copy_wrap_32(void **st)
{
    (void)st;
    struct gpaging_ctx c = ctx32();
    uint8_t in[16], out[16];
    for (unsigned i = 0; i < 16; i++) in[i] = (uint8_t)i;
    map32(&c, 0xFFFFF000, 0x3000, 12, P | RW, P | RW);
    map32(&c, 0x00000000, 0x4000, 12, P | RW, P | RW);
    get(0x3000);
    get(0x4000);
    assert_int_equal(gpaging_write(&c, 0xFFFFFFFA, in, 16, NULL), GPAGING_OK);   /* wraps at 4 GiB */
    assert_memory_equal(get(0x3FFA), in, 6);
    assert_memory_equal(get(0x4000), in + 6, 10);
    assert_int_equal(gpaging_read(&c, 0x1FFFFFFFAull, out, 16, NULL), GPAGING_OK);
    assert_memory_equal(out, in, 16);
    c.cr0 = CR0_PE;                                      /* no paging: physical wrap too */
    get(0xFFFFF000);
    get(0);
    assert_int_equal(gpaging_write(&c, 0xFFFFFFFC, in, 8, NULL), GPAGING_OK);
    assert_memory_equal(get(0xFFFFFFFC), in, 4);
    assert_memory_equal(get(0), in + 4, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_modes, setup),
        cmocka_unit_test_setup(test_no_paging, setup),
        cmocka_unit_test_setup(test_32bit_4k, setup),
        cmocka_unit_test_setup(test_32bit_4m_pse36, setup),
        cmocka_unit_test_setup(test_pae, setup),
        cmocka_unit_test_setup(test_4level_sizes, setup),
        cmocka_unit_test_setup(test_4level_faults, setup),
        cmocka_unit_test_setup(test_wp, setup),
        cmocka_unit_test_setup(test_smap, setup),
        cmocka_unit_test_setup(test_pkeys, setup),
        cmocka_unit_test_setup(test_flag_updates, setup),
        cmocka_unit_test_setup(test_copy, setup),
        cmocka_unit_test_setup(test_copy_wrap_32, setup),
    };
    return cmocka_run_group_tests_name("guest_paging", tests, NULL, NULL);
}
