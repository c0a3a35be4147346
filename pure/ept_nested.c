/* ept_nested.c - EPT02 for nested VMX: the EPT12 walk, the EPT12 x EPT01 leaf, and EPT02 trees over a bounded page pool (pure logic). */
#include "ept_nested.h"
#include "lib/vmx_defs.h"

/*
 * The EPT12 walk follows SDM Vol. 3C "EPT Translation Mechanism": the PML4
 * table is at EPTP bits 51:12; each level indexes its table with 9 bits of
 * the guest-physical address (47:39, 38:30, 29:21, 20:12), entry at
 * table + 8 * index; a PDPTE or PDE with bit 7 set maps a 1-GByte or
 * 2-MByte page, a PTE a 4-KByte page. Only bits 47:0 of the address count.
 *
 * Per entry, in walk order (the first entry that stops the walk decides):
 *  - bits 2:0 = 000b: not present. EPT violation; the walk stops here, so a
 *    misconfiguration further down cannot be seen ("EPT Violations").
 *  - a misconfiguration ("EPT Misconfigurations"): bits 2:0 = 010b or 110b;
 *    100b without execute-only support; a present entry with a reserved bit
 *    set (bits 51:MAXPHYADDR everywhere; per the entry-format tables: 7:3 of
 *    a PML4E, 6:3 of a PDPTE/PDE that references a table, 29:12 of a PDPTE
 *    mapping 1 GByte, 20:12 of a PDE mapping 2 MBytes); a leaf whose memory
 *    type (bits 5:3) is 2, 3 or 7. Bit 7 in a PDPTE (PDE) where 1-GByte
 *    (2-MByte) pages are not supported: the SDM says "not all processors
 *    allow bit 7 ... to be set" and names the capability bit, without saying
 *    what happens; as with reserved bits, we report a misconfiguration.
 *  - bits 11:8 and 63:52 (and bit 7 of a PTE) are ignored: the features
 *    that give them meaning (accessed/dirty flags, mode-based execute, #VE,
 *    sub-page permissions) are not offered to L1.
 * A misconfiguration anywhere on the path wins over a permission violation:
 * "An EPT violation may occur during an access using a guest-physical
 * address whose translation does not cause an EPT misconfiguration."
 * Then the access is checked against the AND of bits 2:0 of all entries
 * (a read needs bit 0 clear in none of them, a write bit 1, a fetch bit 2).
 *
 * The violation's qualification bits 5:3 are "the logical-AND of bit 0/1/2
 * in the EPT paging-structure entries used to translate the guest-physical
 * address", and cleared to 0 when one of those entries was not present
 * (table "Exit Qualification for EPT Violations" and its footnote).
 */

#define ADDR_51_12    0x000FFFFFFFFFF000ull
#define NONLEAF_RSVD  (0xFull << 3)            /* bits 6:3 of a PDPTE/PDE referencing a table */
#define PML4E_RSVD    (0x1Full << 3)           /* bits 7:3 of a PML4E */
#define MT_VALID_MASK 0x73u                    /* memory types 0, 1, 4, 5, 6 */
#define GPA_LIMIT     (1ull << 48)

static unsigned level_index(uint64_t gpa, unsigned level)
{
    return (unsigned)(gpa >> (12 + 9 * (level - 1))) & 511u;
}

static bool is_leaf(uint64_t e, unsigned level)
{
    return level == 1 || (level <= 3 && (e & EPT_LARGE));
}

/* Misconfiguration reason of a present entry at level, EPT12_MC_NONE if it is fine. */
static unsigned entry_misconfig(uint64_t e, unsigned level, uint64_t caps, uint64_t addr_rsvd)
{
    unsigned rwx = (unsigned)(e & EPT_RWX);
    bool leaf = is_leaf(e, level);

    if (rwx == 2 || rwx == 6) return EPT12_MC_WRITE_NO_READ;
    if (rwx == 4 && !(caps & EPT12_CAP_EXEC_ONLY)) return EPT12_MC_EXEC_ONLY;
    if (level == 4) {
        if (e & PML4E_RSVD) return EPT12_MC_RESERVED;
    } else if (!leaf) {
        if (e & NONLEAF_RSVD) return EPT12_MC_RESERVED;
    } else if (level > 1) {
        if (!(caps & (level == 3 ? EPTCAP_1G : EPTCAP_2M))) return EPT12_MC_LARGE_PAGE;
        if (e & (EPT_LEVEL_SIZE(level) - 1) & ADDR_51_12) return EPT12_MC_RESERVED;
    }
    if (e & addr_rsvd) return EPT12_MC_ADDR;
    if (leaf && !((MT_VALID_MASK >> ((e >> EPT_MT_SHIFT) & 7)) & 1)) return EPT12_MC_MEMTYPE;
    return EPT12_MC_NONE;
}

int ept12_walk(const struct ept12_walk_in *in, struct ept12_walk *out)
{
    uint64_t addr_rsvd, table, e = 0, gpa = in->l2_gpa & (GPA_LIMIT - 1);
    unsigned perm = EPT_RWX, level;

    *out = (struct ept12_walk){ 0 };
    /* Walk length: EPTP bits 5:3 hold it minus one; only 4 is modelled (and offered). */
    if (!in->read_entry || in->maxphyaddr < 32 || in->maxphyaddr > 52 || in->access == 0 ||
        (in->access & ~7u) || (in->eptp12 & EPTP_WALK_MASK) != EPTP_WALK4) {
        out->status = EPT12_EBAD;
        return EPT12_EBAD;
    }
    addr_rsvd = ADDR_51_12 & ~((1ull << in->maxphyaddr) - 1);
    table = in->eptp12 & ADDR_51_12;

    for (level = 4; level >= 1; level--) {
        uint64_t at = table | ((uint64_t)level_index(gpa, level) << 3);
        bool mem = in->read_entry(in->ctx, at, &e);
        unsigned why;

        if (!mem) e = ~0ull;   /* open bus: see the header */
        out->level = level;
        out->entry = e;
        out->entry_gpa = at;
        if (!(e & EPT_RWX)) {
            out->status = EPT12_VIOLATION;   /* qual_perm stays 0: an entry was not present */
            return EPT12_VIOLATION;
        }
        why = entry_misconfig(e, level, in->caps, addr_rsvd);
        if (why != EPT12_MC_NONE) {
            out->status = EPT12_MISCONFIG;
            out->mc_reason = why;
            out->no_memory = !mem;
            return EPT12_MISCONFIG;
        }
        perm &= (unsigned)(e & EPT_RWX);
        if (is_leaf(e, level)) break;
        table = e & ADDR_51_12;   /* below 2^MAXPHYADDR: checked above */
    }

    if (in->access & ~perm) {
        out->status = EPT12_VIOLATION;
        out->qual_perm = perm;
        return EPT12_VIOLATION;
    }
    {
        uint64_t off = EPT_LEVEL_SIZE(level) - 1;
        out->status = EPT12_OK;
        out->l1_gpa = (e & ADDR_51_12 & ~off) | (gpa & off);
        out->perm = perm;
        out->memtype = (unsigned)(e >> EPT_MT_SHIFT) & 7u;
        out->ipat = (e & EPT_IGNORE_PAT) != 0;
    }
    return EPT12_OK;
}

/*
 * Bits kept from the EPT02 violation's qualification: they describe L2's
 * access, which is the same access L1's EPT would have seen. Bit 7 (guest
 * linear address valid), bit 8 (translation vs. paging-structure access),
 * bit 12 (NMI unblocking due to IRET). 11:9 are "advanced VM-exit
 * information" and defined only with that capability.
 */
#define QUAL_KEEP      (7ull | (1ull << 7) | (1ull << 8) | (1ull << 12))
#define QUAL_ADV_INFO  (7ull << 9)

uint64_t ept12_violation_qual(uint64_t qual02, const struct ept12_walk *w, uint64_t l1_caps)
{
    uint64_t q = qual02 & QUAL_KEEP;

    if (l1_caps & EPT12_CAP_ADV_EXIT_INFO) q |= qual02 & QUAL_ADV_INFO;
    return q | ((uint64_t)(w->qual_perm & 7u) << 3);
}

/*
 * Composition. Permissions: L2 may do what both L1 (EPT12) and L0 (EPT01)
 * allow. W without R cannot come out of two valid permission sets (W implies
 * R in each); execute-only only if one of them is execute-only, which the
 * CPU then supports. Memory type: the EPT12 leaf's, as on a real machine
 * where EPT12 would be the only EPT (SDM "Memory Type Used for Translated
 * Guest-Physical Addresses": EPT memory type with PAT unless IPAT; "the
 * MTRRs have no effect").
 */
uint64_t ept02_leaf(const struct ept12_walk *w, uint64_t l2_gpa, const struct ept01_xlate *x, unsigned *level)
{
    const uint64_t two_m = EPT_LEVEL_SIZE(2) - 1;
    unsigned perm, lv = 1;
    uint64_t e;

    *level = 0;
    if (w->status != EPT12_OK) return 0;
    if (x->extent < 4096 || (x->extent & (x->extent - 1)) || (x->hpa & ~(ADDR_51_12 | 0xFFFull)) ||
        ((x->hpa ^ w->l1_gpa) & 0xFFF))
        return 0;
    perm = w->perm & x->perm & (unsigned)EPT_RWX;
    if (perm == 0 || (perm & 3u) == 2u) return 0;   /* nothing, or W without R: x->perm is bad */
    if (w->level >= 2 && x->extent > two_m && !((x->hpa ^ w->l1_gpa) & two_m) && !((l2_gpa ^ w->l1_gpa) & two_m))
        lv = 2;
    e = (x->hpa & ADDR_51_12 & ~(EPT_LEVEL_SIZE(lv) - 1)) | perm | ((uint64_t)w->memtype << EPT_MT_SHIFT);
    if (w->ipat) e |= EPT_IGNORE_PAT;
    if (lv == 2) e |= EPT_LARGE;
    *level = lv;
    return e;
}

/* ---- EPT02 trees ----
 *
 * Non-leaf EPT02 entries are the table's pa | RWX (the leaf alone decides
 * permissions) | the pool index in bits 62:52, which the CPU ignores in
 * entries that reference a table (bits 63:52 "Ignored" in the PML4E, PDPTE
 * and PDE formats): pa -> va in O(1) with no table of our own.
 */
#define IDX_SHIFT 52
#define IDX_MASK  (0x7FFull << IDX_SHIFT)

static unsigned entry_index(uint64_t e)
{
    return (unsigned)((e & IDX_MASK) >> IDX_SHIFT);
}

static uint64_t *entry_table(const struct ept02 *t, uint64_t e)
{
    return t->pool->pages[entry_index(e)].va;
}

static void zero_page(uint64_t *p)
{
    for (unsigned i = 0; i < 512; i++) p[i] = 0;
}

/* A zeroed pool page as a non-leaf entry, or 0 when the pool is empty. */
static uint64_t take_page(struct ept02 *t)
{
    struct ept02_pool *p = t->pool;
    unsigned idx;

    if (p->free_head == 0) return 0;
    idx = p->free_head - 1;
    p->free_head = (unsigned)p->pages[idx].va[0];
    zero_page(p->pages[idx].va);
    p->nfree--;
    if (++p->in_use > p->peak) p->peak = p->in_use;
    if (++t->pages > t->peak) t->peak = t->pages;
    return p->pages[idx].pa | EPT_RWX | ((uint64_t)idx << IDX_SHIFT);
}

static void give_page(struct ept02 *t, unsigned idx)
{
    struct ept02_pool *p = t->pool;

    p->pages[idx].va[0] = p->free_head;
    p->free_head = idx + 1;
    p->nfree++;
    p->in_use--;
    t->pages--;
}

/* Free the table a non-leaf entry at level (2..4) references, and every table below it. */
static void free_table(struct ept02 *t, uint64_t e, unsigned level)
{
    if (level > 2) {
        uint64_t *tab = entry_table(t, e);
        for (unsigned i = 0; i < 512; i++)
            if ((tab[i] & EPT_RWX) && !is_leaf(tab[i], level - 1)) free_table(t, tab[i], level - 1);
    }
    give_page(t, entry_index(e));
}

static void reset_tree(struct ept02 *t, bool forced)
{
    for (unsigned i = 0; i < 512; i++) {
        if (t->root[i] & EPT_RWX) free_table(t, t->root[i], 4);
        t->root[i] = 0;
    }
    t->resets++;
    if (forced) t->forced_resets++;
}

int ept02_pool_init(struct ept02_pool *pool, const struct ept02_page *pages, unsigned npages)
{
    if (!pages || npages < EPT02_POOL_MIN || npages > EPT02_POOL_MAX) return EPT02_EBAD;
    for (unsigned i = 0; i < npages; i++)
        if (!pages[i].va || (pages[i].pa & ~ADDR_51_12)) return EPT02_EBAD;
    *pool = (struct ept02_pool){ .pages = pages, .npages = npages, .nfree = npages };
    for (unsigned i = npages; i-- > 0;) {   /* free list in index order */
        pages[i].va[0] = pool->free_head;
        pool->free_head = i + 1;
    }
    return EPT02_OK;
}

int ept02_init(struct ept02 *t, struct ept02_pool *pool, uint64_t *root, uint64_t root_pa)
{
    if (!pool || !pool->pages || !root || (root_pa & ~ADDR_51_12)) return EPT02_EBAD;
    *t = (struct ept02){ .pool = pool, .next = pool->trees, .root = root, .root_pa = root_pa };
    zero_page(root);
    pool->trees = t;
    return EPT02_OK;
}

void ept02_reset(struct ept02 *t)
{
    reset_tree(t, false);
}

/* Tables ept02_map must take for a leaf at level: one per missing (or large-leaf) level above it. */
static unsigned tables_needed(const struct ept02 *t, uint64_t gpa, unsigned level)
{
    const uint64_t *tab = t->root;

    for (unsigned lv = 4; lv > level; lv--) {
        uint64_t e = tab[level_index(gpa, lv)];
        if (!(e & EPT_RWX) || is_leaf(e, lv)) return lv - level;
        tab = entry_table(t, e);
    }
    return 0;
}

static bool leaf_ok(uint64_t leaf, unsigned level)
{
    unsigned rwx = (unsigned)(leaf & EPT_RWX);

    if (level < 1 || level > 3 || rwx == 0 || (rwx & 3u) == 2u) return false;
    if (!((MT_VALID_MASK >> ((leaf >> EPT_MT_SHIFT) & 7)) & 1)) return false;
    if (((leaf & EPT_LARGE) != 0) != (level > 1)) return false;
    return (leaf & ~((ADDR_51_12 & ~(EPT_LEVEL_SIZE(level) - 1)) | 0xFFull)) == 0;
}

int ept02_map(struct ept02 *t, uint64_t l2_gpa, uint64_t leaf, unsigned level)
{
    struct ept02_pool *p = t->pool;
    uint64_t *tab = t->root, old;
    int flags = 0;

    if (!leaf_ok(leaf, level) || l2_gpa >= GPA_LIMIT) return EPT02_EBAD;
    if (tables_needed(t, l2_gpa, level) > p->nfree) {
        if (t->pages) {
            reset_tree(t, true);
            flags |= EPT02_RESET;
        }
        if (4 - level > p->nfree) {   /* the other trees hold the rest: they go too */
            for (struct ept02 *o = p->trees; o; o = o->next)
                if (o != t && o->pages) reset_tree(o, true);
            flags |= EPT02_OTHERS;
        }
    }
    /* From here every take_page succeeds: tables_needed() <= nfree. */
    for (unsigned lv = 4; lv > level; lv--) {
        uint64_t *slot = &tab[level_index(l2_gpa, lv)];
        if (!(*slot & EPT_RWX) || is_leaf(*slot, lv)) {
            if (*slot & EPT_RWX) flags |= EPT02_REPLACED;   /* a large leaf split */
            *slot = take_page(t);
        }
        tab = entry_table(t, *slot);
    }
    old = tab[level_index(l2_gpa, level)];
    if ((old & EPT_RWX) && old != leaf) {
        flags |= EPT02_REPLACED;
        if (!is_leaf(old, level)) free_table(t, old, level);   /* tables under a new large leaf */
    }
    tab[level_index(l2_gpa, level)] = leaf;
    t->fills++;
    return flags;
}

/* Remove what maps [start, end) from a table at level covering [base, base + 512 * span). */
static int invalidate(struct ept02 *t, uint64_t *tab, unsigned level, uint64_t base, uint64_t start, uint64_t end)
{
    uint64_t span = EPT_LEVEL_SIZE(level);
    unsigned first = start > base ? (unsigned)((start - base) / span) : 0;
    uint64_t last = (end - 1 - base) / span;
    int r = 0;

    for (unsigned i = first; i <= 511 && i <= last; i++) {
        uint64_t e = tab[i], lo = base + i * span;
        if (!(e & EPT_RWX)) continue;
        if (is_leaf(e, level)) {
            tab[i] = 0;
        } else if (start <= lo && lo + span <= end) {
            free_table(t, e, level);
            tab[i] = 0;
        } else {
            r |= invalidate(t, entry_table(t, e), level - 1, lo, start, end);
            continue;
        }
        r = EPT02_REPLACED;
    }
    return r;
}

int ept02_invalidate_range(struct ept02 *t, uint64_t start, uint64_t size)
{
    uint64_t end = start + size;

    if (size == 0 || start >= GPA_LIMIT) return 0;
    if (end < start || end > GPA_LIMIT) end = GPA_LIMIT;
    return invalidate(t, t->root, 4, 0, start, end);
}

uint64_t ept02_lookup(const struct ept02 *t, uint64_t l2_gpa, unsigned *level)
{
    const uint64_t *tab = t->root;

    if (level) *level = 0;
    if (l2_gpa >= GPA_LIMIT) return 0;
    for (unsigned lv = 4; lv >= 1; lv--) {
        uint64_t e = tab[level_index(l2_gpa, lv)];
        if (!(e & EPT_RWX)) return 0;
        if (is_leaf(e, lv)) {
            if (level) *level = lv;
            return e;
        }
        tab = entry_table(t, e);
    }
    return 0;   /* not reached: level 1 entries are leaves */
}

const char *ept12_status_name(int status)
{
    switch (status) {
    case EPT12_OK: return "ok";
    case EPT12_VIOLATION: return "violation";
    case EPT12_MISCONFIG: return "misconfig";
    case EPT12_EBAD: return "bad";
    default: return "?";
    }
}

const char *ept12_mc_name(unsigned reason)
{
    static const char *const names[] = {
        "none", "write without read", "execute-only", "large page", "reserved bit",
        "address above MAXPHYADDR", "memory type",
    };
    return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "?";
}
