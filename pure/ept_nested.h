/* ept_nested.h - EPT02 for nested VMX: the EPT12 walk, the EPT12 x EPT01 leaf, and EPT02 trees over a bounded page pool (pure logic). */
#ifndef NESTVISOR_PURE_EPT_NESTED_H
#define NESTVISOR_PURE_EPT_NESTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * L1 gives L2 an EPT12 (EPTP in VMCS12): L2 guest-physical -> L1 guest-physical.
 * L0 has EPT01: L1 guest-physical -> host physical. The CPU runs L2 on EPT02:
 * L2 guest-physical -> host physical, which L0 builds on demand: on an EPT
 * violation of L2 it walks EPT12 as the CPU would (ept12_walk), and either
 * reflects a violation or misconfiguration to L1, or composes the EPT02 leaf
 * from the walk and its own translation of the L1 address (ept02_leaf) and
 * inserts it (ept02_map). EPT02 is a cache: any entry may be dropped at any
 * time (pool pressure, INVEPT by L1) and is refilled on the next violation.
 *
 * SDM Vol. 3C chapter "VMX Support for Address Translation": sections "EPT
 * Translation Mechanism", "EPT Misconfigurations", "EPT Violations", "EPT and
 * Memory Typing"; and "Exit Qualification for EPT Violations" (chapter "VM
 * Exits"). Section numbers move between editions; titles are quoted.
 *
 * What L1 may be offered (IA32_VMX_EPT_VPID_CAP as L1 reads it): execute-only
 * entries, 2-MByte and 1-GByte pages. Not modelled, so never to be offered:
 * accessed/dirty flags (EPTP bit 6), 5-level walks, mode-based execute control
 * (bit 10 of entries), #VE (bit 63), sub-page write permissions, HLAT.
 */

/* Levels: 4 = PML4E, 3 = PDPTE (leaf: 1 GiB), 2 = PDE (leaf: 2 MiB), 1 = PTE (4 KiB). */
#define EPT_LEVEL_SIZE(level)  (1ull << (12 + 9 * ((level) - 1)))

/* The access, as bits 2:0 of the exit qualification for EPT violations (several may be set: RMW). */
#define EPT12_ACC_READ   (1u << 0)
#define EPT12_ACC_WRITE  (1u << 1)
#define EPT12_ACC_FETCH  (1u << 2)

/* IA32_VMX_EPT_VPID_CAP bits lib/vmx_defs.h does not name (SDM Appendix "VPID and EPT Capabilities"). */
#define EPT12_CAP_EXEC_ONLY      (1ull << 0)    /* entries with bits 2:0 = 100b allowed */
#define EPT12_CAP_ADV_EXIT_INFO  (1ull << 22)   /* bits 11:9 of the violation qualification */

/* Walk results (ept12_walk's return value and out->status). */
enum {
    EPT12_OK = 0,
    EPT12_VIOLATION = 1,     /* reflect an EPT violation (exit reason 48) to L1 */
    EPT12_MISCONFIG = 2,     /* reflect an EPT misconfiguration (exit reason 49) to L1 */
    EPT12_EBAD = -1,         /* an input no correct L0 passes (see ept12_walk): an L0 bug */
};

/* Why an entry is a misconfiguration (for logs and tests; L1 only ever sees "misconfiguration"). */
enum {
    EPT12_MC_NONE = 0,
    EPT12_MC_WRITE_NO_READ,  /* bits 2:0 = 010b or 110b */
    EPT12_MC_EXEC_ONLY,      /* bits 2:0 = 100b, execute-only not offered */
    EPT12_MC_LARGE_PAGE,     /* bit 7 in a PDPTE/PDE, 1-GByte/2-MByte pages not offered */
    EPT12_MC_RESERVED,       /* bits 7:3 of a PML4E, 6:3 of a non-leaf PDPTE/PDE, 29:12 of a
                                1-GByte leaf, 20:12 of a 2-MByte leaf */
    EPT12_MC_ADDR,           /* a bit in 51:MAXPHYADDR */
    EPT12_MC_MEMTYPE,        /* leaf memory type 2, 3 or 7 */
};

struct ept12_walk_in {
    uint64_t eptp12;         /* VMCS12's EPT pointer: bits 51:12 the PML4 table, bits 5:3 the walk
                                length - 1 (must be 3). Everything else is VMCS12 checking's job
                                (memory type against caps bits 8/14, bit 6, reserved bits). */
    uint64_t l2_gpa;         /* bits 47:0 are translated; 63:48 are ignored, as the CPU does */
    unsigned access;         /* EPT12_ACC_*, at least one */
    uint64_t caps;           /* IA32_VMX_EPT_VPID_CAP as offered to L1: EPT12_CAP_EXEC_ONLY,
                                EPTCAP_2M (bit 16), EPTCAP_1G (bit 17) are used */
    unsigned maxphyaddr;     /* L1's CPUID.80000008H:EAX[7:0], 32..52 */
    /*
     * Read the 8-byte entry at l1_gpa (8-aligned) of L1's memory. false: L1 has no memory
     * there. A PC reads all ones from where nothing answers, so such an entry reads as
     * ~0, which is a misconfiguration at every level (reserved bits, or memory type 7 in
     * a PTE when MAXPHYADDR is 52); out->no_memory tells L0 why.
     */
    bool (*read_entry)(void *ctx, uint64_t l1_gpa, uint64_t *val);
    void *ctx;
};

struct ept12_walk {
    int status;              /* EPT12_OK, _VIOLATION, _MISCONFIG or _EBAD */
    unsigned level;          /* OK: the leaf's level (1, 2, 3); VIOLATION: the not-present entry's
                                level, or the leaf's when permissions deny; MISCONFIG: the bad
                                entry's level; EBAD: 0 */
    uint64_t entry;          /* the last entry read (the leaf, the not-present or the bad entry) */
    uint64_t entry_gpa;      /* its L1 guest-physical address */
    /* OK: */
    uint64_t l1_gpa;         /* the translation, offset included */
    unsigned perm;           /* AND of bits 2:0 (R, W, X) over every entry used */
    unsigned memtype;        /* bits 5:3 of the leaf: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB */
    bool ipat;               /* bit 6 of the leaf */
    /* VIOLATION: */
    unsigned qual_perm;      /* bits 5:3 of L1's qualification, unshifted: AND of bits 2:0 of the
                                entries used, 0 when one was not present */
    /* MISCONFIG: */
    unsigned mc_reason;      /* EPT12_MC_* */
    bool no_memory;          /* the bad entry was read from where L1 has no memory */
};

/*
 * Walk EPT12 for in->l2_gpa and in->access as the CPU walks an EPT (4 levels). Reads each
 * entry once, never writes (no accessed/dirty flags). Returns out->status. EPT12_EBAD
 * (out zeroed but for status) for: a walk length other than 4, maxphyaddr outside 32..52,
 * access 0 or with bits above 2, a NULL callback.
 */
int ept12_walk(const struct ept12_walk_in *in, struct ept12_walk *out);

/*
 * The exit qualification L1 gets for an EPT violation EPT12 causes, from the qualification
 * of the EPT02 violation L0 got (qual02): bits 2:0 (access), 7, 8 (guest-linear address)
 * and 12 (NMI unblocking) are kept; 5:3 come from the walk; 11:9 are kept only if
 * l1_caps offers EPT12_CAP_ADV_EXIT_INFO (else "undefined": 0); bit 6 and 63:13 are 0
 * (features not offered).
 */
uint64_t ept12_violation_qual(uint64_t qual02, const struct ept12_walk *w, uint64_t l1_caps);

/* L0's translation of the walk's l1_gpa (EPT01, or whatever L0 keeps for L1). */
struct ept01_xlate {
    uint64_t hpa;            /* host physical address of l1_gpa (same offset in the 4 KiB page) */
    unsigned perm;           /* R/W/X L0 grants L1 there (bits 2:0); 0 = not mapped (emulated) */
    uint64_t extent;         /* a power of two >= 4 KiB: the naturally aligned block of L1
                                memory around l1_gpa that L0 maps contiguously (hpa - l1_gpa
                                constant) with perm. The EPT01 leaf's size, or more when L0
                                knows its neighbours continue it (an identity map of RAM). */
};

/*
 * The EPT02 leaf for l2_gpa: permissions EPT12 AND EPT01; memory type and IPAT of the
 * EPT12 leaf (under EPT the MTRRs do not count, SDM "Memory Type Used for Translated
 * Guest-Physical Addresses": L2's types are what EPT12 and L2's PAT say); *level 2
 * (2 MiB, bit 7 set) when the EPT12 leaf is 2 MiB or 1 GiB, L0's extent >= 2 MiB and
 * l2_gpa, l1_gpa and hpa agree in bits 20:0, else 1. Never 1 GiB: one EPT12/EPT01 pair
 * rarely agrees on it and a 2 MiB page already costs a single fill per 2 MiB.
 * Returns 0 and *level = 0 when no leaf can be made: w->status is not OK, the
 * permissions have nothing in common, or x is inconsistent (extent not a power of two
 * >= 4 KiB, hpa's page offset differs from l1_gpa's). A composed permission can lack
 * the faulting access (EPT01 denies it): L0's business, not L1's.
 */
uint64_t ept02_leaf(const struct ept12_walk *w, uint64_t l2_gpa, const struct ept01_xlate *x, unsigned *level);

/* ---- EPT02 trees ---- */

/* A 4 KiB page for EPT tables: va as L0 writes it, pa as the CPU reads it (4 KiB-aligned). */
struct ept02_page {
    uint64_t *va;
    uint64_t pa;
};

/* Pool pages are numbered in bits 62:52 of the EPT02 entries that reference them (ignored by
   the CPU in non-leaf entries, SDM tables "Format of an EPT PML4 Entry" etc.): 2048 at most. */
#define EPT02_POOL_MAX 2048u
#define EPT02_POOL_MIN 3u    /* one 4 KiB leaf needs a PDPT, a PD and a PT */

/*
 * Table pages shared by one or more trees (e.g. all EPT02 trees of one CPU). Pages are
 * zeroed when taken. Counters: in_use (now), peak (most ever at once), nfree.
 */
struct ept02_pool {
    const struct ept02_page *pages;   /* the caller's array; the pool never writes it */
    unsigned npages;
    unsigned free_head;               /* 1 + index of the first free page, 0 = none; the next
                                         index + 1 is kept in entry 0 of each free page */
    unsigned nfree, in_use, peak;
    struct ept02 *trees;              /* the trees drawing from this pool */
};

/* One EPT02: a root (PML4 table) of its own, so EPTP02 never changes, and tables from a pool. */
struct ept02 {
    struct ept02_pool *pool;
    struct ept02 *next;               /* next tree of the pool */
    uint64_t *root;
    uint64_t root_pa;
    unsigned pages, peak;             /* pool pages this tree holds now / at most */
    uint64_t fills;                   /* ept02_map calls that succeeded */
    uint64_t resets;                  /* every reset: ept02_reset, or the pool ran dry */
    uint64_t forced_resets;           /* the resets because the pool ran dry */
};

/* Return values. */
#define EPT02_OK    0
#define EPT02_EBAD  (-1)     /* bad arguments: an L0 bug; nothing was changed */
/* Flags of ept02_map / ept02_invalidate_range (>= 0). Any of them: cached translations of
   this tree (or, for OTHERS, of other trees of the pool) may be stale, INVEPT them. */
#define EPT02_RESET     (1 << 0)   /* the pool ran dry: this tree was emptied first */
#define EPT02_REPLACED  (1 << 1)   /* a present entry was overwritten, split or removed */
#define EPT02_OTHERS    (1 << 2)   /* still dry: the pool's other trees were emptied too */

/* pages[0..npages) become the free pool (npages in EPT02_POOL_MIN..EPT02_POOL_MAX, every va
   non-NULL, every pa 4 KiB-aligned and below 2^52). EPT02_EBAD otherwise. No trees yet. */
int ept02_pool_init(struct ept02_pool *pool, const struct ept02_page *pages, unsigned npages);

/* An empty tree with root page (root, root_pa), which is zeroed; it joins pool for good (once per
   tree: to reuse one for another EPTP12, ept02_reset it). EPTP02 = root_pa | walk length | type. */
int ept02_init(struct ept02 *t, struct ept02_pool *pool, uint64_t *root, uint64_t root_pa);

/*
 * Insert leaf (as ept02_leaf makes it) for l2_gpa (< 2^48; rounded down to the leaf's
 * size) at level 1, 2 or 3 (3 only if the CPU has 1-GByte EPT pages; ept02_leaf never
 * asks for it), creating tables from the pool. A leaf or table there is
 * replaced (a large leaf split: its other parts refault; a table under a new large leaf
 * freed). When the pool cannot supply the tables, this tree is reset and, if that is not
 * enough, every other tree of the pool too; the insert then always succeeds. Returns
 * EPT02_EBAD (leaf not present, W without R, a reserved memory type, bit 7 not matching
 * the level, an unaligned address, bits outside 51:12 and 7:0, a bad level or l2_gpa),
 * else EPT02_* flags, 0 if no INVEPT is needed.
 */
int ept02_map(struct ept02 *t, uint64_t l2_gpa, uint64_t leaf, unsigned level);

/* Empty the tree: all its pages back to the pool, root cleared, resets++. INVEPT it. */
void ept02_reset(struct ept02 *t);

/*
 * Remove the translations of [start, start + size) (clamped to 2^48; more may go: a large
 * leaf partly inside goes whole); tables wholly inside go back to the pool. Returns
 * EPT02_REPLACED if a present entry was removed, else 0.
 */
int ept02_invalidate_range(struct ept02 *t, uint64_t start, uint64_t size);

/* The leaf mapping l2_gpa and its level, or 0 (and *level = 0) if none. level may be NULL. */
uint64_t ept02_lookup(const struct ept02 *t, uint64_t l2_gpa, unsigned *level);

/* "ok", "violation", "misconfig", "bad"; "none", "write without read", ... for logs. */
const char *ept12_status_name(int status);
const char *ept12_mc_name(unsigned reason);

#endif /* NESTVISOR_PURE_EPT_NESTED_H */
