/* ept02.c - EPT02 per CPU: trees keyed by L1's EPTP, filled on L2's EPT violations from EPT12 x EPT01 (pure/ept_nested.c), a bounded pool */
#include "hv.h"
#include "page_alloc.h"
#include "nested.h"
#include "../pure/ept_nested.h"
#include "../pure/vmcs12_check.h"

#define EPT02_RECORDS 1024                 /* fills remembered per tree for INVEPT revalidation (hv-hv-linux: 645 fills on CPU 0 overflowed 256 and one INVEPT reset the tree) */

struct ept02_tree {
    struct ept02 t;
    u64 eptp12;                            /* the EPTP12 this tree caches; 0 = unused */
    u64 last_use;
    u64 rec_gpa[EPT02_RECORDS];            /* L2 address of each fill since the last reset */
    unsigned nrec;
    bool rec_overflow;                     /* more fills than records: INVEPT resets */
    u64 reset_count;                       /* t.resets when the records were last cleared */
};

struct ept02_cpu {
    struct ept02_pool pool;
    struct ept02_page pages[EPT02_POOL_PAGES];
    struct ept02_tree trees[EPT02_TREES];
    u64 clock;
};
static struct ept02_cpu ept02_cpus[HV_MAX_CPUS];

void ept02_cpu_init(struct pcpu *p)
{
    struct ept02_cpu *c = &ept02_cpus[p->index];
    u8 *mem = page_alloc(EPT02_POOL_PAGES);
    for (unsigned i = 0; i < EPT02_POOL_PAGES; i++) {
        c->pages[i].va = (u64 *)(mem + i * PAGE_SIZE);
        c->pages[i].pa = va_to_pa(c->pages[i].va);
    }
    PANIC_ON(ept02_pool_init(&c->pool, c->pages, EPT02_POOL_PAGES) != EPT02_OK);
    for (unsigned t = 0; t < EPT02_TREES; t++) {
        u64 *root = page_alloc(1);
        PANIC_ON(ept02_init(&c->trees[t].t, &c->pool, root, va_to_pa(root)) != EPT02_OK);
    }
    p->nested.ept02 = 0;
}

static u64 eptp02_of(const struct ept02_tree *t) { return t->t.root_pa | EPTP_WB | EPTP_WALK4; }

static void invept_tree(const struct ept02_tree *t)
{
    struct inv_desc d = { eptp02_of(t), 0 };
    invept(1, &d);
}

u64 ept02_eptp(struct pcpu *p, u64 eptp12)
{
    struct ept02_cpu *c = &ept02_cpus[p->index];
    struct ept02_tree *hit = 0, *lru = &c->trees[0];
    for (unsigned i = 0; i < EPT02_TREES; i++) {
        struct ept02_tree *t = &c->trees[i];
        if (t->eptp12 == eptp12) hit = t;
        if (t->last_use < lru->last_use) lru = t;
    }
    if (!hit) {
        /* a new EPTP12: the least recently used tree starts over for it */
        hit = lru;
        ept02_reset(&hit->t);
        invept_tree(hit);
        hit->eptp12 = eptp12;
    }
    hit->last_use = ++c->clock;
    p->nested.ept02 = hit;
    return eptp02_of(hit);
}

static bool read_entry(void *ctx, u64 l1_gpa, u64 *val)
{
    (void)ctx;
    return l1_read(l1_gpa, val, 8);
}

/* L0's translation of an L1 guest-physical address: EPT01's shared tree (the xAPIC page
 * is mapped there, so an L2 that L1 gives its APIC reaches it, as L1's own reads do);
 * nestvisor's region and addresses EPT01 does not map give the decoy page. */
static void ept01_translate(u64 l1_gpa, struct ept01_xlate *x)
{
    u64 size = 0;
    u64 *leaf = (l1_gpa >= HV_BASE && l1_gpa < HV_END) ? 0 : ept_lookup(&vm.ept01, l1_gpa, &size);
    if (!leaf || !(*leaf & EPT_RWX)) {
        LOG_RL("EPT12 maps L2 onto 0x%llx, which L1 cannot reach: decoy page", (unsigned long long)l1_gpa);
        x->hpa = va_to_pa(vm.decoy_page) + (l1_gpa & (PAGE_SIZE - 1));
        x->perm = (unsigned)EPT_RWX;
        x->extent = PAGE_SIZE;
        return;
    }
    x->hpa = (*leaf & EPT_ADDR_MASK & ~(size - 1)) + (l1_gpa & (size - 1));
    x->perm = (unsigned)(*leaf & EPT_RWX);
    x->extent = size;
}

static void records_sync(struct ept02_tree *tree)
{
    if (tree->reset_count == tree->t.resets) return;
    tree->reset_count = tree->t.resets;  /* the tree was emptied (pool, new EPTP): records too */
    tree->nrec = 0;
    tree->rec_overflow = false;
}

/* The EPT02 leaf L2's gpa should have now (EPT12 x EPT01), or 0. */
/* The EPT12 walk as the CPU would do it for L2's access, with what L1 was offered. */
static int walk12(u64 eptp12, u64 gpa, unsigned access, struct ept12_walk *w)
{
    struct ept12_walk_in in = {
        .eptp12 = eptp12, .l2_gpa = gpa, .access = access, .caps = l1_caps.ept_vpid,
        .maxphyaddr = l1_caps.maxphyaddr, .read_entry = read_entry,
    };
    return ept12_walk(&in, w);
}

static u64 compose(u64 eptp12, u64 gpa, unsigned access, struct ept12_walk *w, unsigned *level, int *status)
{
    *status = walk12(eptp12, gpa, access, w);
    *level = 0;
    if (*status != EPT12_OK) return 0;
    struct ept01_xlate x;
    ept01_translate(w->l1_gpa, &x);
    return ept02_leaf(w, gpa, &x, level);
}

enum ept02_result ept02_violation(struct pcpu *p, u64 *qual12)
{
    struct nested *n = &p->nested;
    struct ept02_tree *tree = n->ept02;
    u64 gpa = vmcs_read64(VMCS_GUEST_PHYSICAL_ADDRESS);
    u64 q = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    struct ept12_walk w;
    unsigned level = 0;
    int s;
    u64 leaf = compose(n->eptp12, gpa, (unsigned)(q & 7) ? (unsigned)(q & 7) : EPT12_ACC_READ, &w, &level, &s);
    if (s == EPT12_VIOLATION) {
        *qual12 = ept12_violation_qual(q, &w, l1_caps.ept_vpid);
        return EPT02_L1_VIOLATION;
    }
    if (s != EPT12_OK) {
        LOG_RL("EPT12 misconfiguration for L2 gpa 0x%llx: level %u entry 0x%llx (%s%s)", (unsigned long long)gpa,
               w.level, (unsigned long long)w.entry, s == EPT12_MISCONFIG ? ept12_mc_name(w.mc_reason) : "bad walk",
               w.no_memory ? ", no memory" : "");
        return EPT02_L1_MISCONFIG;
    }
    if (!leaf) {
        /* EPT01 denies what EPT12 allows: only L0's own mappings could; loud, and L1 gets the violation */
        LOG_RL("EPT02: no leaf for L2 gpa 0x%llx (L1 0x%llx, EPT12 perm %u)", (unsigned long long)gpa,
               (unsigned long long)w.l1_gpa, w.perm);
        *qual12 = q & 7;
        return EPT02_L1_VIOLATION;
    }
    int f = ept02_map(&tree->t, gpa, leaf, level);
    if (f < 0) {
        /* an address EPT02 cannot hold (beyond 4-level EPT's 48 bits): L2 gets nothing,
         * L1 the violation; never a halt of L0 for what a guest did */
        LOG_RL("EPT02: cannot map L2 gpa 0x%llx (leaf 0x%llx level %u): violation to L1", (unsigned long long)gpa,
               (unsigned long long)leaf, level);
        *qual12 = q & 7;
        return EPT02_L1_VIOLATION;
    }
    records_sync(tree);
    if (tree->nrec < EPT02_RECORDS) tree->rec_gpa[tree->nrec++] = gpa;
    else tree->rec_overflow = true;
    n->ept02_fills++;
    resume_faulted_access();
    if (f & EPT02_RESET) n->ept02_resets++;
    if (f & EPT02_OTHERS) {
        struct ept02_cpu *c = &ept02_cpus[p->index];
        for (unsigned i = 0; i < EPT02_TREES; i++) invept_tree(&c->trees[i]);
    } else if (f) {
        invept_tree(tree);
    }
    return EPT02_FILLED;
}

/* Keep the leaves whose EPT12 x EPT01 translation is unchanged, drop the others: the
 * same as emptying the tree and refilling it, without the refaults. Returns false when
 * the tree must be reset (records lost). */
static bool revalidate(struct ept02_tree *tree)
{
    records_sync(tree);
    if (tree->rec_overflow) return false;
    unsigned keep = 0;
    for (unsigned i = 0; i < tree->nrec; i++) {
        u64 gpa = tree->rec_gpa[i];
        unsigned have_level = 0, level = 0;
        u64 have = ept02_lookup(&tree->t, gpa, &have_level);
        if (!have) continue;                        /* already gone (replaced, split) */
        struct ept12_walk w;
        int s;
        u64 want = compose(tree->eptp12, gpa, EPT12_ACC_READ, &w, &level, &s);
        if (want == have && level == have_level) {
            tree->rec_gpa[keep++] = gpa;
            continue;
        }
        ept02_invalidate_range(&tree->t, gpa & ~(EPT_LEVEL_SIZE(have_level) - 1), EPT_LEVEL_SIZE(have_level));
    }
    tree->nrec = keep;
    return true;
}

/* L1's INVEPT (SDM 31.3): on this CPU (INVEPT acts on the logical processor that executes
 * it), the trees of that EPTP (or all) hold only what EPT12 still says. */
void ept02_invalidate(struct pcpu *p, u64 eptp12, bool all)
{
    struct ept02_cpu *c = &ept02_cpus[p->index];
    for (unsigned i = 0; i < EPT02_TREES; i++) {
        struct ept02_tree *t = &c->trees[i];
        if (!t->eptp12 || (!all && (t->eptp12 & ~0xfffull) != (eptp12 & ~0xfffull))) continue;
        if (!revalidate(t)) {
            ept02_reset(&t->t);
            p->nested.ept02_resets++;
        }
        invept_tree(t);
    }
}

/* L2 guest-physical -> L1 guest-physical through EPT12 (for L0's own accesses on L2's
 * behalf, e.g. a shadowed VMREAD's memory operand): false if EPT12 does not allow it. */
bool ept12_translate(struct pcpu *p, u64 l2_gpa, bool write, u64 *l1_gpa, struct op12_fault *fault)
{
    struct ept12_walk w;
    if (walk12(p->nested.eptp12, l2_gpa, write ? EPT12_ACC_WRITE : EPT12_ACC_READ, &w) != EPT12_OK) {
        LOG_RL("L2 operand at gpa 0x%llx: EPT12 does not map it (%s)", (unsigned long long)l2_gpa, ept12_status_name(w.status));
        /* what L1 gets for it (nested_reflect_op12_fault): bits 0-1 the access, 3-5 EPT12's permissions */
        if (fault)
            *fault = (struct op12_fault){ .set = true, .misconfig = w.status != EPT12_VIOLATION, .gpa = l2_gpa,
                                          .qual = ept12_violation_qual(write ? 2 : 1, &w, 0) };
        return false;
    }
    *l1_gpa = w.l1_gpa;
    return true;
}

/* EPT02 memory this CPU has needed at most: the pool's peak of table pages, plus the
 * roots of the trees it used (each its own page). */
unsigned ept02_peak_pages(const struct pcpu *p)
{
    const struct ept02_cpu *c = &ept02_cpus[p->index];
    unsigned roots = 0;
    for (unsigned i = 0; i < EPT02_TREES; i++) roots += c->trees[i].eptp12 != 0;
    return c->pool.peak + roots;
}
