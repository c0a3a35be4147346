/* libFuzzer harness for pure/guest_paging.c: random control registers and page tables in a small fake memory, checked against invariants. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pure/guest_paging.h"

/*
 * Input layout (little-endian; shorter inputs are zero-padded):
 *   [0]  bit 0 CR0.PG, 1 CR0.PE, 2 CR0.WP, 3 CR4.PSE, 4 CR4.PAE, 5 EFER.LMA, 6 EFER.NXE, 7 CR4.SMAP
 *   [1]  bit 0 CR4.PKE, 1 CR4.PKS, 2 RFLAGS.AC, 3 page1gb, 4 write, 6:5 op (0, 3 translate;
 *        1 gpaging_read; 2 gpaging_write), 7 build (below)
 *   [2]  bit 0 CR4.LA57, 1 no cmpxchg_phys, 4:2 cmpxchg calls to fail, 5 raw maxphyaddr,
 *        6 build leaves not-present-free, 7 NULL fault pointer
 *   [3]  maxphyaddr: 32 + b % 21, or b itself with [2] bit 5
 *   [4]  len - 1 (low 4 bits) for the copies
 *   [5..12] linear, [13..20] CR3, [21..52] PDPTE0..3, [53..56] PKRU, [57..60] IA32_PKRS
 *   [64..]  10-byte patches of the fake memory: offset (2 bytes, 8-aligned modulo its size), value (8)
 * Memory: MEM_PAGES pages at guest-physical 0; anything else has no memory. Random entries
 * almost never point there, so with "build" the harness first rewrites the address bits
 * of every entry on the walks of both pages of the access to chain tables at frames
 * 1, 2, 3 and data at frames 5, 6 (P forced on in non-leaf entries, flags left random).
 */
#define MEM_PAGES 8
#define MEM_SIZE  (MEM_PAGES * 4096u)
#define HDR       64

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

static uint8_t mem[MEM_SIZE], snap[MEM_SIZE];
static int fail_cmpxchg;

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static bool backed(uint64_t gpa, unsigned size)
{
    CHECK(size >= 1 && size <= 16 && (gpa & 0xFFF) + size <= 4096);   /* the callbacks' contract */
    return gpa < MEM_SIZE;   /* a page is wholly in or out */
}

static bool f_read(void *o, uint64_t gpa, void *buf, unsigned size)
{
    CHECK(o == mem);
    if (!backed(gpa, size)) return false;
    memcpy(buf, mem + gpa, size);
    return true;
}

static bool f_write(void *o, uint64_t gpa, const void *buf, unsigned size)
{
    CHECK(o == mem);
    if (!backed(gpa, size)) return false;
    memcpy(mem + gpa, buf, size);
    return true;
}

static bool f_cmpxchg(void *o, uint64_t gpa, unsigned size, uint64_t old, uint64_t new_val)
{
    CHECK(o == mem && (size == 4 || size == 8) && (gpa & (size - 1)) == 0);
    CHECK((new_val & ~old) != 0 && (old & ~new_val) == 0);   /* only ever sets bits ... */
    CHECK(((new_val ^ old) & ~0x60ull) == 0);                 /* ... and only A (5), D (6) */
    if (fail_cmpxchg > 0) { fail_cmpxchg--; return false; }
    if (!backed(gpa, size) || le(mem + gpa, size) != old) return false;
    for (unsigned i = 0; i < size; i++) mem[gpa + i] = (uint8_t)(new_val >> (8 * i));
    return true;
}

static void put(uint64_t gpa, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) mem[gpa + i] = (uint8_t)(v >> (8 * i));
}

/* Chain the walk of `la` through frames 1..3 (tables) and `data` (leaf), keeping each entry's flags. */
static void build(struct gpaging_ctx *c, enum gpaging_mode mode, uint64_t la, uint64_t data, bool force_p)
{
    unsigned shift, step, esize;
    uint64_t table = 0, amask;

    if (mode == GPAGING_MODE_32BIT) {
        shift = 22, step = 10, esize = 4, amask = 0xFFFFF000ull;
    } else if (mode == GPAGING_MODE_PAE) {
        uint64_t *p = &c->pdpte[(la >> 30) & 3];
        *p = (*p & ~0x000FFFFFFFFFF000ull) | 0x1000 | 1;
        table = 0x1000, shift = 21, step = 9, esize = 8, amask = 0x000FFFFFFFFFF000ull;
    } else if (mode == GPAGING_MODE_4LEVEL) {
        shift = 39, step = 9, esize = 8, amask = 0x000FFFFFFFFFF000ull;
    } else {
        return;
    }
    for (unsigned k = 1;; shift -= step, k++) {
        uint64_t egpa = table + ((la >> shift) & ((1ull << step) - 1)) * esize;
        uint64_t e = le(mem + egpa, esize);
        bool last = shift == 12;
        uint64_t next = last ? data : (k < 4 ? k : 3) * 0x1000ull;
        e = (e & ~amask) | next | ((!last || force_p) ? 1 : 0);
        put(egpa, e, esize);
        if (last) return;
        table = next;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t in[HDR] = { 0 };
    struct gpaging_ctx c = { 0 };
    struct gpaging_fault f, f0;
    uint8_t buf[16], wbuf[16];

    memcpy(in, data, size < HDR ? size : HDR);
    memset(mem, 0, sizeof(mem));
    for (size_t p = HDR; p + 10 <= size; p += 10) {
        uint64_t off = le(data + p, 2) % MEM_SIZE & ~7ull;
        put(off, le(data + p + 2, 8), 8);
    }

    c.cr0 = ((in[0] & 1) ? 1ull << 31 : 0) | ((in[0] & 2) ? 1 : 0) | ((in[0] & 4) ? 1ull << 16 : 0);
    c.cr4 = ((in[0] & 8) ? 1ull << 4 : 0) | ((in[0] & 16) ? 1ull << 5 : 0) | ((in[0] & 128) ? 1ull << 21 : 0) |
            ((in[1] & 1) ? 1ull << 22 : 0) | ((in[1] & 2) ? 1ull << 24 : 0) | ((in[2] & 1) ? 1ull << 12 : 0);
    c.efer = ((in[0] & 32) ? 1ull << 10 : 0) | ((in[0] & 64) ? 1ull << 11 : 0);
    c.ac = in[1] & 4;
    c.page1gb = in[1] & 8;
    c.maxphyaddr = (in[2] & 32) ? in[3] : 32u + in[3] % 21u;
    c.cr3 = le(in + 13, 8);
    for (unsigned i = 0; i < 4; i++) c.pdpte[i] = le(in + 21 + 8 * i, 8);
    c.pkru = (uint32_t)le(in + 53, 4);
    c.pkrs = (uint32_t)le(in + 57, 4);
    c.read_phys = f_read;
    c.write_phys = f_write;
    c.opaque = mem;

    unsigned op = (in[1] >> 5) & 3, len = (op == 1 || op == 2) ? (in[4] & 15u) + 1 : 1;
    bool copy = op == 1 || op == 2, write = copy ? op == 2 : (in[1] & 16);
    uint64_t linear = le(in + 5, 8);
    enum gpaging_mode mode = gpaging_mode(&c);
    bool lm = mode == GPAGING_MODE_4LEVEL;
    bool valid_m = c.maxphyaddr >= 32 && c.maxphyaddr <= 52;
    uint64_t la = lm ? linear : (linear & 0xFFFFFFFFull);
    uint64_t boundary = (la | 0xFFF) + 1;
    bool split = (la & 0xFFF) + len > 4096;

    if (!lm) boundary &= 0xFFFFFFFFull;
    if (in[1] & 128) {   /* build */
        if (mode == GPAGING_MODE_4LEVEL) c.cr3 &= ~0x000FFFFFFFFFF000ull;
        if (mode == GPAGING_MODE_32BIT) c.cr3 &= ~0xFFFFF000ull;
        build(&c, mode, la, 0x5000, in[2] & 64);
        build(&c, mode, boundary, 0x6000, in[2] & 64);
    }

    /* 1. A read-only view (no flag updates): a pure function of the state, checked on its own. */
    uint64_t gpa0 = 7, gpab = 7, g[16];
    struct gpaging_fault fb;
    memcpy(snap, mem, MEM_SIZE);
    int r0 = gpaging_translate(&c, linear, write, &gpa0, &f0);
    int rb = gpaging_translate(&c, boundary, write, &gpab, &fb);
    bool all_ok = true;
    for (unsigned i = 0; i < len; i++) {
        uint64_t gi = 0;
        all_ok = all_ok && gpaging_translate(&c, la + i, write, &gi, NULL) == GPAGING_OK;
        g[i] = gi;
    }
    CHECK(memcmp(snap, mem, MEM_SIZE) == 0);
    CHECK(r0 == GPAGING_OK || r0 == GPAGING_PF || r0 == GPAGING_ENOMEM || r0 == GPAGING_EUNSUP ||
          r0 == GPAGING_EBAD);   /* no ERETRY without flag updates */
    if (mode == GPAGING_MODE_INVALID) CHECK(r0 == GPAGING_EBAD);
    if (mode == GPAGING_MODE_5LEVEL) CHECK(r0 == GPAGING_EUNSUP);
    if (mode != GPAGING_MODE_NONE && !valid_m) CHECK(r0 == GPAGING_EBAD || r0 == GPAGING_EUNSUP);
    if (r0 == GPAGING_OK) {
        CHECK((gpa0 & 0xFFF) == (linear & 0xFFF));
        CHECK(mode == GPAGING_MODE_NONE ? gpa0 == la : gpa0 >> c.maxphyaddr == 0);
        CHECK(f0.linear == 0 && f0.error_code == 0 && f0.gpa == 0);
        CHECK(g[0] == gpa0);
    } else {
        CHECK(gpa0 == 0);
    }
    if (r0 == GPAGING_PF) {
        uint32_t ec = f0.error_code;
        CHECK(mode == GPAGING_MODE_32BIT || mode == GPAGING_MODE_PAE || mode == GPAGING_MODE_4LEVEL);
        CHECK((ec & ~(uint32_t)(GPAGING_PFEC_P | GPAGING_PFEC_W | GPAGING_PFEC_RSVD | GPAGING_PFEC_PK)) == 0);
        CHECK(!!(ec & GPAGING_PFEC_W) == write);
        CHECK(!(ec & GPAGING_PFEC_RSVD) || (ec & GPAGING_PFEC_P));
        CHECK(!(ec & GPAGING_PFEC_PK) || ((ec & GPAGING_PFEC_P) && !(ec & GPAGING_PFEC_RSVD) && lm &&
                                          (c.cr4 & ((1ull << 22) | (1ull << 24)))));
        CHECK(f0.linear == la && f0.gpa == 0);
    }
    if (r0 == GPAGING_ENOMEM) CHECK(f0.gpa >= MEM_SIZE && f0.linear == 0 && f0.error_code == 0);

    /* What the access must answer: argument errors of either page, then the first page's walk, then the second's. */
    int want = r0;
    struct gpaging_fault *fw = &f0;
    if (copy && split && r0 != GPAGING_EBAD && r0 != GPAGING_EUNSUP) {
        if (rb == GPAGING_EBAD || rb == GPAGING_EUNSUP || (r0 == GPAGING_OK && rb != GPAGING_OK)) want = rb, fw = &fb;
    }

    /* 2. The real access, with flag updates (some of which "race" and fail). */
    if (!(in[2] & 2)) c.cmpxchg_phys = f_cmpxchg;
    fail_cmpxchg = (in[2] >> 2) & 7;
    struct gpaging_fault *fp = (in[2] & 128) ? NULL : &f;
    memset(&f, 0xA5, sizeof(f));
    memset(buf, 0xEE, sizeof(buf));
    for (unsigned i = 0; i < 16; i++) wbuf[i] = (uint8_t)(0x5A ^ i ^ in[5]);
    int rc;
    if (copy) {
        rc = write ? gpaging_write(&c, linear, wbuf, len, fp) : gpaging_read(&c, linear, buf, len, fp);
    } else {
        uint64_t gpa = 7;
        rc = gpaging_translate(&c, linear, write, &gpa, fp);
        CHECK(rc != GPAGING_OK || gpa == gpa0);
    }
    if (rc == GPAGING_ERETRY) {
        CHECK(c.cmpxchg_phys && ((in[2] >> 2) & 7) > 0 && want == GPAGING_OK);
    } else if (want == GPAGING_OK) {   /* flag updates never change the outcome; the data may lack memory */
        CHECK(rc == GPAGING_OK || (copy && rc == GPAGING_ENOMEM));
    } else {
        CHECK(rc == want);
        if (fp) CHECK(f.linear == fw->linear && f.error_code == fw->error_code && f.gpa == fw->gpa);
    }
    if (rc == GPAGING_PF || rc == GPAGING_EBAD || rc == GPAGING_EUNSUP)
        CHECK(memcmp(snap, mem, MEM_SIZE) == 0);   /* a faulting access has no side effect at all */
    if (rc == GPAGING_OK && fp) CHECK(f.linear == 0 && f.error_code == 0 && f.gpa == 0);
    if (rc == GPAGING_ENOMEM && fp) CHECK(f.gpa >= MEM_SIZE);
    if (rc == GPAGING_OK) CHECK(all_ok);
    /* data went where the translation says (flag updates cannot move a translation) */
    if (rc == GPAGING_OK && copy) {
        for (unsigned i = 0; i < len; i++) {
            CHECK(g[i] < MEM_SIZE);
            CHECK(mem[g[i]] == (write ? wbuf[i] : buf[i]));
        }
    }
    if (rc != GPAGING_OK && copy && !write) {
        for (unsigned i = 0; i < 16; i++) CHECK(buf[i] == 0xEE);   /* a failed read leaves buf alone */
    }
    return 0;
}
