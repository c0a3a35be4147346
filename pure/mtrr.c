/* MTRR -> memory type resolution (Intel SDM Vol. 3A §12.11), pure logic, no MSR access. */
#include "mtrr.h"

/*
 * The rules (SDM §12.11.4.1 "MTRR Precedences"):
 *  1. IA32_MTRR_DEF_TYPE.E = 0: all of physical memory is UC (FE and the
 *     default type are ignored).
 *  2. Otherwise, below 1 MiB with DEF_TYPE.FE = 1, the fixed-range MTRRs
 *     decide alone; variable ranges do not matter there.
 *  3. Otherwise the variable ranges that match the address decide:
 *     none -> the default type; one, or several of the same type -> that
 *     type; several with one UC -> UC; only WT and WB -> WT; any other mix
 *     is undefined by the SDM and resolved here as UC: the one choice that
 *     never caches what might be device memory.
 *  A range matches when (addr & PhysMask) == (PhysBase & PhysMask) over bits
 *  MAXPHYADDR-1:12 (§12.11.2.3), and only with PhysMask.V set.
 *
 * Choices the SDM leaves to software (real CPUs #GP on the WRMSR that would
 * produce them, so they only arise from a state that was never loaded into a
 * CPU, such as a hostile L1's view):
 *  - reserved types (2, 3, 7..255) and WC without MTRRCAP.WC count as UC,
 *    in the fixed ranges, the variable ranges and the default type;
 *  - DEF_TYPE.FE without MTRRCAP.FIX: the fixed ranges are ignored;
 *  - VCNT above MTRR_MAX_VAR: only the first MTRR_MAX_VAR ranges are used;
 *  - mask and base bits at or above MAXPHYADDR are ignored.
 *
 * Range queries never walk pages. Below 1 MiB they walk the at most 88
 * fixed entries. Above, the range is cut into naturally aligned power-of-two
 * blocks; a block is a "cube": a set of addresses whose bits in `fixed` equal
 * those of `val` and whose other bits (12..MAXPHYADDR-1) are free. Against a
 * cube each variable range is all-match, no-match or partial (some of its
 * mask bits are free). Without partial ranges (or when no choice of which
 * partial ranges match could change the result) the cube is uniform;
 * otherwise it is split on the highest free mask bit of a partial range. For
 * contiguous masks that is plain halving of aligned blocks and the work is at
 * most (ranges x address bits); non-contiguous masks are handled exactly by
 * the same split, under a work bound.
 */

/* Splits allowed per query; contiguous masks need at most 16 x 40. */
#define MTRR_SPLIT_BUDGET 4096u
/* DFS stack: one entry per free address bit (at most 52 - 12) plus slack. */
#define MTRR_STACK_DEPTH  44u

#define PAGE_SIZE_4K 0x1000ull
#define PAGE_MASK_4K (~(PAGE_SIZE_4K - 1))

const uint32_t mtrr_fixed_msrs[11] = {
    0x250, /* IA32_MTRR_FIX64K_00000: 00000-7FFFF, 8 x 64 KiB */
    0x258, /* IA32_MTRR_FIX16K_80000: 80000-9FFFF, 8 x 16 KiB */
    0x259, /* IA32_MTRR_FIX16K_A0000: A0000-BFFFF, 8 x 16 KiB */
    0x268, /* IA32_MTRR_FIX4K_C0000 .. F8000: 8 x 4 KiB each */
    0x269, 0x26A, 0x26B, 0x26C, 0x26D, 0x26E, 0x26F,
};

struct var_range {
    uint64_t base;   /* PhysBase, bits MAXPHYADDR-1:12 */
    uint64_t mask;   /* PhysMask, bits MAXPHYADDR-1:12 */
    unsigned type;   /* sanitised: invalid -> UC */
};

struct resolver {
    struct var_range vr[MTRR_MAX_VAR];
    unsigned nvr;
    unsigned def;     /* sanitised default type */
    bool enabled;     /* DEF_TYPE.E */
    bool fixed_on;    /* E && FE && MTRRCAP.FIX */
    uint64_t pmask;   /* address bits MAXPHYADDR-1:12 */
    uint64_t limit;   /* 2^MAXPHYADDR */
    const uint64_t *fixed;
    uint64_t cap;
    int ref;          /* type seen so far in this query, MT_INVALID if none */
    unsigned budget;  /* splits left */
};

struct cube {
    uint64_t val;
    uint64_t fixed;
};

bool mtrr_type_is_valid(uint64_t cap, unsigned type)
{
    switch (type) {
    case MT_UC: case MT_WT: case MT_WP: case MT_WB:
        return true;
    case MT_WC:
        return (cap & MTRRCAP_WC) != 0;
    default:
        return false;
    }
}

static unsigned sanitise(uint64_t cap, uint64_t type)
{
    return (type <= 0xFF && mtrr_type_is_valid(cap, (unsigned)type)) ? (unsigned)type : MT_UC;
}

static unsigned effective_maxphyaddr(unsigned m)
{
    /* SDM Vol. 3A §4.1.4: without CPUID.80000008H, MAXPHYADDR is 36 with PAE. */
    if (m == 0)
        return 36;
    if (m < 32)
        return 32;
    if (m > 52)
        return 52;
    return m;
}

static void resolver_init(struct resolver *r, const struct mtrr_state *s)
{
    unsigned maxphy = effective_maxphyaddr(s->maxphyaddr);
    unsigned vcnt = (unsigned)(s->cap & MTRRCAP_VCNT_MASK);

    r->limit = 1ull << maxphy;
    r->pmask = (r->limit - 1) & PAGE_MASK_4K;
    r->cap = s->cap;
    r->fixed = s->fixed;
    r->enabled = (s->def_type & MTRR_DEF_TYPE_E) != 0;
    r->fixed_on = r->enabled && (s->def_type & MTRR_DEF_TYPE_FE) && (s->cap & MTRRCAP_FIX);
    r->def = sanitise(s->cap, s->def_type & MTRR_DEF_TYPE_TYPE_MASK);
    r->ref = MT_INVALID;
    r->budget = MTRR_SPLIT_BUDGET;
    r->nvr = 0;
    if (vcnt > MTRR_MAX_VAR)
        vcnt = MTRR_MAX_VAR;
    for (unsigned i = 0; i < vcnt; i++) {
        if (!(s->var_mask[i] & MTRR_PHYSMASK_V))
            continue;
        r->vr[r->nvr].base = s->var_base[i] & r->pmask;
        r->vr[r->nvr].mask = s->var_mask[i] & r->pmask;
        r->vr[r->nvr].type = sanitise(s->cap, s->var_base[i] & MTRR_PHYSBASE_TYPE_MASK);
        r->nvr++;
    }
}

/* Record one more uniform piece; false once two pieces disagree. */
static bool note(struct resolver *r, int type)
{
    if (r->ref == MT_INVALID)
        r->ref = type;
    return r->ref == type;
}

/*
 * Fixed-range entry holding a (< 1 MiB) and the end of that entry. The 88
 * entries are numbered in address order; entry i is byte i % 8 of
 * fixed[i / 8] (64 KiB entries 0..7, 16 KiB 8..23, 4 KiB 24..87).
 */
static unsigned fixed_type(const struct resolver *r, uint64_t a, uint64_t *end)
{
    unsigned i;

    if (a < 0x80000) {
        i = (unsigned)(a >> 16);
        *end = (uint64_t)(i + 1) << 16;
    } else if (a < 0xC0000) {
        i = 8 + (unsigned)((a - 0x80000) >> 14);
        *end = 0x80000 + ((uint64_t)(i - 8 + 1) << 14);
    } else {
        i = 24 + (unsigned)((a - 0xC0000) >> 12);
        *end = 0xC0000 + ((uint64_t)(i - 24 + 1) << 12);
    }
    return sanitise(r->cap, (r->fixed[i / 8] >> (8 * (i % 8))) & 0xFF);
}

/* Types present as a bit set (bit t for type t); the §12.11.4.1 rules. */
static unsigned combine(unsigned types, unsigned def)
{
    if (types == 0)
        return def;
    if (types & (1u << MT_UC))
        return MT_UC;
    if ((types & (types - 1)) == 0) {
        unsigned t = 0;
        while (!(types & (1u << t)))
            t++;
        return t;
    }
    if (types == ((1u << MT_WT) | (1u << MT_WB)))
        return MT_WT;
    return MT_UC; /* undefined overlap (e.g. WC+WB, WP+WT): UC, see above */
}

/* Whether every subset of the partial types gives the same result as none. */
static bool partials_irrelevant(unsigned full, unsigned part, unsigned def)
{
    unsigned t = combine(full, def);

    for (unsigned q = part; q != 0; q = (q - 1) & part)
        if (combine(full | q, def) != t)
            return false;
    return true;
}

static uint64_t top_bit(uint64_t x)
{
    while (x & (x - 1))
        x &= x - 1;
    return x;
}

/* Resolve one cube; false if it is not uniform or disagrees with r->ref. */
static bool visit_cube(struct resolver *r, struct cube root)
{
    struct cube stack[MTRR_STACK_DEPTH];
    unsigned sp = 0;

    stack[sp++] = root;
    while (sp > 0) {
        struct cube c = stack[--sp];
        uint64_t free_bits = r->pmask & ~c.fixed;
        unsigned full = 0, part = 0;
        uint64_t split = 0;

        for (unsigned i = 0; i < r->nvr; i++) {
            const struct var_range *v = &r->vr[i];

            if ((c.val ^ v->base) & v->mask & c.fixed)
                continue;                       /* matches nowhere in c */
            if (!(v->mask & free_bits)) {
                full |= 1u << v->type;          /* matches all of c */
            } else {
                part |= 1u << v->type;          /* matches part of c */
                if (!split)
                    split = top_bit(v->mask & free_bits);
            }
        }
        if (part && !(full & (1u << MT_UC)) && !partials_irrelevant(full, part, r->def)) {
            if (r->budget == 0 || sp + 2 > MTRR_STACK_DEPTH)
                return false;   /* conservative MT_MIXED, see mtrr.h */
            r->budget--;
            stack[sp++] = (struct cube){ c.val | split, c.fixed | split };
            stack[sp++] = (struct cube){ c.val & ~split, c.fixed | split };
            continue;
        }
        if (!note(r, (int)combine(full, r->def)))
            return false;
    }
    return true;
}

int mtrr_type_of_range(const struct mtrr_state *s, uint64_t start, uint64_t size)
{
    struct resolver r;
    uint64_t last, a, b;

    resolver_init(&r, s);
    if (size == 0)
        return MT_INVALID;
    last = start + (size - 1);
    if (last < start || last >= r.limit)
        return MT_INVALID;
    if (!r.enabled)
        return MT_UC;

    a = start & PAGE_MASK_4K;
    b = (last | (PAGE_SIZE_4K - 1)) + 1;    /* no overflow: last < 2^52 */

    if (r.fixed_on) {
        while (a < b && a < MTRR_FIXED_LIMIT) {
            uint64_t end;
            if (!note(&r, (int)fixed_type(&r, a, &end)))
                return MT_MIXED;
            a = end;
        }
    }
    while (a < b) {
        uint64_t blk = a ? (a & (~a + 1)) : top_bit(b);

        while (blk > b - a)
            blk >>= 1;
        if (!visit_cube(&r, (struct cube){ a, r.pmask & ~(blk - 1) }))
            return MT_MIXED;
        a += blk;
    }
    return r.ref;
}

int mtrr_type_of_addr(const struct mtrr_state *s, uint64_t addr)
{
    return mtrr_type_of_range(s, addr & PAGE_MASK_4K, PAGE_SIZE_4K);
}

uint64_t mtrr_uniform_extent(const struct mtrr_state *s, uint64_t addr, uint64_t max)
{
    uint64_t limit = 1ull << effective_maxphyaddr(s->maxphyaddr);
    uint64_t p;

    if ((addr & (PAGE_SIZE_4K - 1)) || max < PAGE_SIZE_4K || addr >= limit)
        return 0;
    p = top_bit(max);
    if (addr && p > (addr & (~addr + 1)))
        p = addr & (~addr + 1);
    while (p > limit - addr)
        p >>= 1;
    /* Uniformity is inherited by sub-blocks, so the first hit from the top wins. */
    for (; p > PAGE_SIZE_4K; p >>= 1)
        if (mtrr_type_of_range(s, addr, p) >= 0)
            return p;
    return PAGE_SIZE_4K;
}

bool mtrr_msr_is_mtrr(uint32_t msr, unsigned vcnt)
{
    if (vcnt > MTRR_MAX_VAR)
        vcnt = MTRR_MAX_VAR;
    if (msr == MSR_IA32_MTRRCAP || msr == MSR_IA32_MTRR_DEF_TYPE)
        return true;
    if (msr >= MSR_IA32_MTRR_PHYSBASE(0) && msr < MSR_IA32_MTRR_PHYSBASE(vcnt))
        return true;
    for (unsigned i = 0; i < MTRR_FIXED_MSRS; i++)
        if (msr == mtrr_fixed_msrs[i])
            return true;
    return false;
}

const char *mtrr_type_name(int type)
{
    switch (type) {
    case MT_UC:      return "UC";
    case MT_WC:      return "WC";
    case MT_WT:      return "WT";
    case MT_WP:      return "WP";
    case MT_WB:      return "WB";
    case MT_MIXED:   return "MIXED";
    case MT_INVALID: return "INVALID";
    default:         return "?";
    }
}
