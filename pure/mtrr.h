/* MTRR -> memory type resolution (Intel SDM Vol. 3A §12.11), pure logic, no MSR access. */
#ifndef NESTVISOR_PURE_MTRR_H
#define NESTVISOR_PURE_MTRR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MTRR_MAX_VAR 16

/* Memory types as encoded in the MTRRs (SDM Table 12-8), plus two results. */
enum { MT_UC = 0, MT_WC = 1, MT_WT = 4, MT_WP = 5, MT_WB = 6, MT_MIXED = -1, MT_INVALID = -2 };

/* MSR numbers (SDM Vol. 4, Table 2-2). */
#define MSR_IA32_MTRRCAP        0xFEu
#define MSR_IA32_MTRR_DEF_TYPE  0x2FFu
#define MSR_IA32_MTRR_PHYSBASE(n) (0x200u + 2u * (n))
#define MSR_IA32_MTRR_PHYSMASK(n) (0x201u + 2u * (n))

/* Bits (SDM §12.11.1, §12.11.2.1, §12.11.2.3). */
#define MTRRCAP_VCNT_MASK       0xFFull
#define MTRRCAP_FIX             (1ull << 8)
#define MTRRCAP_WC              (1ull << 10)
#define MTRR_DEF_TYPE_TYPE_MASK 0xFFull
#define MTRR_DEF_TYPE_FE        (1ull << 10)
#define MTRR_DEF_TYPE_E         (1ull << 11)
#define MTRR_PHYSBASE_TYPE_MASK 0xFFull
#define MTRR_PHYSMASK_V         (1ull << 11)

/* Fixed ranges: 8 x 64 KiB, 16 x 16 KiB, 64 x 4 KiB = 88 one-byte entries below 1 MiB. */
#define MTRR_FIXED_MSRS    11
#define MTRR_FIXED_ENTRIES 88
#define MTRR_FIXED_LIMIT   0x100000ull

struct mtrr_state {
    uint64_t cap;          /* IA32_MTRRCAP (0xFE): VCNT bits 7:0, FIX bit 8, WC bit 10 */
    uint64_t def_type;     /* IA32_MTRR_DEF_TYPE (0x2FF): type 7:0, FE bit 10, E bit 11 */
    uint64_t fixed[11];    /* MSRs 0x250, 0x258, 0x259, 0x268..0x26F in that order */
    uint64_t var_base[MTRR_MAX_VAR], var_mask[MTRR_MAX_VAR]; /* 0x200+2n, 0x201+2n */
    unsigned maxphyaddr;   /* CPUID.80000008H:EAX[7:0]; 0 means 36, clamped to 32..52 */
};

/*
 * Memory type of every byte in [start, start+size): MT_* or MT_MIXED if not
 * uniform. Resolution is per 4 KiB page (the MTRR granularity), so the pages
 * touching the ends count whole. MT_INVALID if size is 0, the range wraps, or
 * it reaches at or above 2^MAXPHYADDR (no such physical address exists).
 * Cost depends on the number of MTRRs, not on size. With pathological
 * non-contiguous masks a work bound may make a uniform range report
 * MT_MIXED; splitting further always converges (one page is exact).
 */
int mtrr_type_of_range(const struct mtrr_state *s, uint64_t start, uint64_t size);

/* Memory type of one 4 KiB-aligned address (an unaligned one: its page). */
int mtrr_type_of_addr(const struct mtrr_state *s, uint64_t addr);

/*
 * Size of the largest naturally aligned power-of-two block starting at addr
 * that has one memory type, at least 4 KiB and at most max (rounded down to
 * a power of two): helps EPT builders pick 2 MiB/1 GiB pages. 0 if addr is
 * not 4 KiB-aligned, max < 4 KiB, or addr is at or above 2^MAXPHYADDR.
 */
uint64_t mtrr_uniform_extent(const struct mtrr_state *s, uint64_t addr, uint64_t max);

/* MSR number list for reading: the fixed-range MSR numbers in fixed[] order. */
extern const uint32_t mtrr_fixed_msrs[11];

/*
 * For later interception of guest MTRR writes: true for MTRRCAP, DEF_TYPE,
 * the 11 fixed-range MSRs and PHYSBASE/PHYSMASK 0..vcnt-1 (vcnt clamped to
 * MTRR_MAX_VAR). Not PAT (0x277) and not the SMRRs.
 */
bool mtrr_msr_is_mtrr(uint32_t msr, unsigned vcnt);

/*
 * Whether type is a memory type the MTRRs accept on a CPU with this MTRRCAP:
 * UC, WT, WP, WB, and WC if MTRRCAP.WC. Types 2, 3, 7..255 are reserved
 * (a WRMSR with one #GPs, SDM §12.11); resolution treats them as UC.
 */
bool mtrr_type_is_valid(uint64_t cap, unsigned type);

/* "UC", "WC", "WT", "WP", "WB", "MIXED", "INVALID" or "?" for logs. */
const char *mtrr_type_name(int type);

#endif /* NESTVISOR_PURE_MTRR_H */
