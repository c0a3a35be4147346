/* Shared by the MTRR tests: state builders, Bochs 2.7's BIOS setup, and a naive per-page SDM model. */
#ifndef TESTS_UNIT_MTRR_MODEL_H
#define TESTS_UNIT_MTRR_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pure/mtrr.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

#define E_BIT  (1ull << 11)
#define FE_BIT (1ull << 10)
#define V_BIT  (1ull << 11)

/* Bochs 2.7 IA32_MTRRCAP: VCNT 8, FIX, WC (cpu/msr.cc: 0x500 | 8). */
#define BOCHS_MTRRCAP 0x508ull

static inline uint64_t phys_mask(unsigned maxphy)
{
    return ((1ull << maxphy) - 1) & ~0xFFFull;
}

/* Byte n of a fixed-range MSR set to t. */
static inline void set_fixed_byte(uint64_t *msr, unsigned n, unsigned t)
{
    *msr &= ~(0xFFull << (8 * n));
    *msr |= (uint64_t)t << (8 * n);
}

static inline uint64_t fixed_all(unsigned t)
{
    return 0x0101010101010101ull * t;
}

/* Variable range n = [base, base+size) (size a power of two), type t. */
static inline void set_var(struct mtrr_state *s, unsigned n, uint64_t base, uint64_t size, unsigned t)
{
    s->var_base[n] = base | t;
    s->var_mask[n] = (~(size - 1) & phys_mask(s->maxphyaddr)) | V_BIT;
}

static inline void init_state(struct mtrr_state *s, unsigned maxphy, unsigned vcnt, uint64_t def)
{
    memset(s, 0, sizeof(*s));
    s->cap = (1ull << 8) | (1ull << 10) | vcnt;
    s->def_type = def;
    s->maxphyaddr = maxphy;
}

/*
 * What Bochs 2.7's BIOS-bochs-latest programs (bios/rombios32.c setup_mtrr(),
 * confirmed by disassembling /usr/share/bochs/BIOS-bochs-latest 2.7):
 *  - FIX64K_00000: WB per 64 KiB up to ram_size; FIX16K_80000: WB per
 *    16 KiB up to ram_size; every other fixed MSR 0 (UC): A0000-FFFFF,
 *    VGA *and* the option/BIOS ROMs, is UC;
 *  - PHYSBASE0 = 0xC0000000 | UC, PHYSMASK0 = (~(1 GiB - 1) & ((1 <<
 *    phys_bits) - 1)) | V, phys_bits from CPUID.80000008H or 32 without it;
 *  - DEF_TYPE = 0xC06: E, FE, default WB. So all RAM (below 3 GiB and above
 *    4 GiB) is WB by default, and 3-4 GiB (PCI hole, IOAPIC, LAPIC) is UC.
 */
static inline void bochs_bios(struct mtrr_state *s, uint64_t ram_size, unsigned maxphy,
                       bool has_80000008)
{
    unsigned phys_bits = has_80000008 ? maxphy : 32;

    init_state(s, maxphy, 8, 0);
    s->cap = BOCHS_MTRRCAP;
    for (unsigned i = 0; i < 8; i++)
        if (ram_size >= 65536ull * (i + 1))
            set_fixed_byte(&s->fixed[0], i, MT_WB);
    for (unsigned i = 0; i < 8; i++)
        if (ram_size >= 65536ull * 8 + 16384ull * (i + 1))
            set_fixed_byte(&s->fixed[1], i, MT_WB);
    s->var_base[0] = 0xC0000000ull | MT_UC;
    s->var_mask[0] = (~(0x40000000ull - 1) & ((1ull << phys_bits) - 1)) | V_BIT;
    s->def_type = 0xC00 | MT_WB;
}

/* ---- a naive model, written from the SDM text, one page at a time ---- */

static inline unsigned ref_sanitise(const struct mtrr_state *s, unsigned t)
{
    if (t == 0 || t == 4 || t == 5 || t == 6)
        return t;
    if (t == 1 && (s->cap & (1ull << 10)))
        return t;
    return MT_UC;
}

static inline unsigned ref_fixed(const struct mtrr_state *s, uint64_t p)
{
    unsigned msr, byte;

    if (p < 0x80000) {
        msr = 0;
        byte = (unsigned)(p / 0x10000);
    } else if (p < 0xA0000) {
        msr = 1;
        byte = (unsigned)((p - 0x80000) / 0x4000);
    } else if (p < 0xC0000) {
        msr = 2;
        byte = (unsigned)((p - 0xA0000) / 0x4000);
    } else {
        msr = 3 + (unsigned)((p - 0xC0000) / 0x8000);
        byte = (unsigned)(((p - 0xC0000) % 0x8000) / 0x1000);
    }
    return ref_sanitise(s, (unsigned)(s->fixed[msr] >> (8 * byte)) & 0xFF);
}

static inline int ref_page(const struct mtrr_state *s, uint64_t p)
{
    uint64_t pm = phys_mask(s->maxphyaddr);
    unsigned vcnt = (unsigned)(s->cap & 0xFF);
    int matched = 0, first = -1;
    bool uc = false, wt = false, wb = false, other = false, differ = false;

    if (!(s->def_type & E_BIT))
        return MT_UC;
    if ((s->def_type & FE_BIT) && (s->cap & (1ull << 8)) && p < MiB)
        return (int)ref_fixed(s, p);
    if (vcnt > MTRR_MAX_VAR)
        vcnt = MTRR_MAX_VAR;
    for (unsigned i = 0; i < vcnt; i++) {
        uint64_t m = s->var_mask[i] & pm;
        int t;

        if (!(s->var_mask[i] & V_BIT) || (p & m) != (s->var_base[i] & m))
            continue;
        t = (int)ref_sanitise(s, (unsigned)(s->var_base[i] & 0xFF));
        if (matched++ && t != first)
            differ = true;
        if (first < 0)
            first = t;
        uc |= t == MT_UC;
        wt |= t == MT_WT;
        wb |= t == MT_WB;
        other |= t == MT_WC || t == MT_WP;
    }
    if (!matched)
        return (int)ref_sanitise(s, (unsigned)(s->def_type & 0xFF));
    if (uc)
        return MT_UC;
    if (!differ)
        return first;
    if (wt && wb && !other)
        return MT_WT;
    return MT_UC;
}

static inline int ref_range(const struct mtrr_state *s, uint64_t start, uint64_t size)
{
    int t = ref_page(s, start & ~0xFFFull);

    for (uint64_t p = (start & ~0xFFFull) + 4096; p < start + size; p += 4096)
        if (ref_page(s, p) != t)
            return MT_MIXED;
    return t;
}

#endif
