/* ept.c - EPT identity maps whose leaf memory types come from the MTRRs (SDM 29.3.7), with an optional hole */
#include "ept.h"
#include "console.h"
#include "page_alloc.h"
#include "vmx_defs.h"

static u64 *table_of(u64 entry) { return (u64 *)(uintptr_t)(entry & EPT_ADDR_MASK); }

static u64 *new_table(struct ept *e)
{
    e->pages++;
    return page_alloc(1);
}

static u64 span_of(int level) { return 1ull << (12 + 9 * level); }

static bool in_hole(const struct ept *e, u64 a, u64 size)
{
    return a < e->hole_end && a + size > e->hole_start;
}

static u64 leaf(u64 pa, int mt, bool large)
{
    /* MT_INVALID (beyond MAXPHYADDR) is mapped UC. */
    if (mt < 0) mt = MT_UC;
    return pa | EPT_RWX | ((u64)mt << EPT_MT_SHIFT) | (large ? EPT_LARGE : 0);
}

/* Fill one table at 'level' (3 = PML4 ... 0 = PT) whose first entry maps 'base'. */
static void fill(struct ept *e, const struct mtrr_state *m, u64 *t, int level, u64 base, u64 limit, u64 max_page)
{
    u64 span = span_of(level);
    for (unsigned i = 0; i < 512; i++) {
        u64 pa = base + i * span;
        if (pa >= limit) break;
        if (level == 0) {
            t[i] = in_hole(e, pa, span) ? 0 : leaf(pa, mtrr_type_of_addr(m, pa), false);
            continue;
        }
        bool whole = pa + span <= limit && !in_hole(e, pa, span);
        if (whole && span <= max_page && level <= 2) {
            int mt = mtrr_type_of_range(m, pa, span);
            if (mt >= 0) {
                t[i] = leaf(pa, mt, true);
                continue;
            }
        }
        if (pa >= e->hole_start && pa + span <= e->hole_end) continue; /* wholly hidden */
        u64 *sub = new_table(e);
        fill(e, m, sub, level - 1, pa, limit, max_page);
        t[i] = (u64)(uintptr_t)sub | EPT_RWX;
    }
}

void ept_build_identity(struct ept *e, const struct mtrr_state *m, u64 limit, u64 max_page)
{
    e->pages = 0;
    e->pml4 = new_table(e);
    fill(e, m, e->pml4, 3, 0, limit, max_page);
    e->eptp = (u64)(uintptr_t)e->pml4 | EPTP_WB | EPTP_WALK4;
}

u64 *ept_lookup(struct ept *e, u64 gpa, u64 *leaf_size)
{
    u64 *t = e->pml4;
    for (int level = 3; level >= 0; level--) {
        u64 *ent = &t[(gpa >> (12 + 9 * level)) & 511];
        if (!(*ent & EPT_RWX)) return NULL;
        if (level == 0 || (*ent & EPT_LARGE)) {
            if (leaf_size) *leaf_size = span_of(level);
            return ent;
        }
        t = table_of(*ent);
    }
    return NULL;
}

/* Replace a large leaf at 'level' by a table of 512 leaves with the same attributes. */
static void split(struct ept *e, u64 *ent, int level)
{
    u64 *sub = new_table(e);
    u64 sub_span = span_of(level - 1);
    u64 base = *ent & EPT_ADDR_MASK & ~(span_of(level) - 1);
    u64 attrs = *ent & 0x7f; /* RWX, memory type, ignore-PAT */
    for (unsigned i = 0; i < 512; i++)
        sub[i] = (base + i * sub_span) | attrs | (level - 1 > 0 ? EPT_LARGE : 0);
    *ent = (u64)(uintptr_t)sub | EPT_RWX; /* one store: the walk sees old or new, both valid */
}

u64 *ept_leaf_4k(struct ept *e, u64 gpa)
{
    u64 *t = e->pml4;
    for (int level = 3; level > 0; level--) {
        u64 *ent = &t[(gpa >> (12 + 9 * level)) & 511];
        if (!(*ent & EPT_RWX)) *ent = (u64)(uintptr_t)new_table(e) | EPT_RWX;
        else if (*ent & EPT_LARGE) split(e, ent, level);
        t = table_of(*ent);
    }
    return &t[(gpa >> 12) & 511];
}

static void retype(struct ept *e, const struct mtrr_state *m, u64 *t, int level, u64 base)
{
    u64 span = span_of(level);
    for (unsigned i = 0; i < 512; i++) {
        u64 *ent = &t[i], pa = base + i * span;
        if (!(*ent & EPT_RWX)) continue;
        if (level > 0 && !(*ent & EPT_LARGE)) {
            retype(e, m, table_of(*ent), level - 1, pa);
            continue;
        }
        int mt = level ? mtrr_type_of_range(m, pa, span) : mtrr_type_of_addr(m, pa);
        if (mt == MT_MIXED) {
            split(e, ent, level);
            retype(e, m, table_of(*ent), level - 1, pa);
            continue;
        }
        if (mt < 0) mt = MT_UC;
        *ent = (*ent & ~(7ull << EPT_MT_SHIFT)) | ((u64)mt << EPT_MT_SHIFT);
    }
}

void ept_retype(struct ept *e, const struct mtrr_state *m) { retype(e, m, e->pml4, 3, 0); }
