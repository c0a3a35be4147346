/* ept.c - EPT identity maps whose leaf memory types come from the MTRRs (SDM 29.3.7) */
#include "lhv.h"
#include "vmx_defs.h"

#define EPT_ADDR_MASK 0x000ffffffffff000ull
struct ept ept_default;

static u64 *table_of(u64 entry) { return (u64 *)(uintptr_t)(entry & EPT_ADDR_MASK); }

static u64 *new_table(struct ept *e)
{
    e->pages++;
    return page_alloc(1);
}

static u64 leaf(u64 pa, int mt, bool large)
{
    /* A range the MTRRs leave undecided (mixed) never gets a large leaf; MT_INVALID
     * (beyond MAXPHYADDR) is mapped UC. */
    if (mt < 0) mt = MT_UC;
    return pa | EPT_RWX | ((u64)mt << EPT_MT_SHIFT) | (large ? EPT_LARGE : 0);
}

/* Fill one table at 'level' (3 = PML4 ... 0 = PT) covering [base, base + span*512). */
static void fill(struct ept *e, u64 *t, int level, u64 base, u64 limit, u64 max_page)
{
    u64 span = 1ull << (12 + 9 * level);
    for (unsigned i = 0; i < 512; i++) {
        u64 pa = base + i * span;
        if (pa >= limit) break;
        if (level == 0) {
            t[i] = leaf(pa, mtrr_type_of_addr(&mtrrs, pa), false);
            continue;
        }
        if (span <= max_page && level <= 2 && pa + span <= limit) {
            int mt = mtrr_type_of_range(&mtrrs, pa, span);
            if (mt >= 0) {
                t[i] = leaf(pa, mt, true);
                continue;
            }
        }
        u64 *sub = new_table(e);
        fill(e, sub, level - 1, pa, limit, max_page);
        t[i] = (u64)(uintptr_t)sub | EPT_RWX;
    }
}

void ept_build_identity(struct ept *e, u64 limit, u64 max_page)
{
    e->pages = 0;
    e->pml4 = new_table(e);
    fill(e, e->pml4, 3, 0, limit, max_page);
    e->eptp = (u64)(uintptr_t)e->pml4 | EPTP_WB | EPTP_WALK4;
}

u64 *ept_lookup(struct ept *e, u64 gpa, u64 *leaf_size)
{
    u64 *t = e->pml4;
    for (int level = 3; level >= 0; level--) {
        u64 *ent = &t[(gpa >> (12 + 9 * level)) & 511];
        if (!(*ent & EPT_RWX)) return NULL;
        if (level == 0 || (*ent & EPT_LARGE)) {
            if (leaf_size) *leaf_size = 1ull << (12 + 9 * level);
            return ent;
        }
        t = table_of(*ent);
    }
    return NULL;
}

u64 *ept_leaf_4k(struct ept *e, u64 gpa)
{
    u64 *t = e->pml4;
    for (int level = 3; level > 0; level--) {
        u64 *ent = &t[(gpa >> (12 + 9 * level)) & 511];
        PANIC_ON(!(*ent & EPT_RWX));
        if (*ent & EPT_LARGE) {
            /* split: same type and permissions in 512 smaller leaves */
            u64 *sub = new_table(e);
            u64 sub_span = 1ull << (12 + 9 * (level - 1));
            u64 base = *ent & EPT_ADDR_MASK & ~((sub_span << 9) - 1);
            u64 attrs = *ent & 0x7f; /* RWX, type, ignore-PAT */
            for (unsigned i = 0; i < 512; i++)
                sub[i] = (base + i * sub_span) | attrs | (level - 1 > 0 ? EPT_LARGE : 0);
            *ent = (u64)(uintptr_t)sub | EPT_RWX;
        }
        t = table_of(*ent);
    }
    return &t[(gpa >> 12) & 511];
}
