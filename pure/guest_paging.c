/* guest_paging.c - L1 linear to L1 guest-physical translation for L0's accesses to VMX operands, with the #PF they raise (pure logic). */
#include "guest_paging.h"

/*
 * The rules, and where they come from (SDM Vol. 3A chapter "Paging"; section
 * numbers move between editions, titles are quoted so they can be searched).
 *
 * Walk ("32-Bit Paging", "PAE Paging", "4-Level Paging" / "IA-32e Paging" in
 * older editions): each level takes 10 (32-bit) or 9 index bits of the linear
 * address; an entry with P = 0 stops the walk with a not-present #PF (P = 0
 * in the error code); a present entry with a reserved bit set stops it with
 * P = 1 and RSVD = 1 ("If a paging-structure entry's P flag is 0 or if the
 * entry sets any reserved bit, the entry is used neither to reference another
 * paging-structure entry nor to map a page"). The walk goes top-down, so the
 * first such entry decides. Reserved bits, M = MAXPHYADDR:
 *  - 32-bit paging: none, except in a PDE mapping a 4-MByte page (CR4.PSE = 1
 *    and PS = 1), where bits 20:13 hold physical-address bits 39:32 up to
 *    M' - 1, M' = min(M, 40) (PSE-36), and bits 21:(M'-19) are reserved
 *    (table "Format of a 32-Bit Page-Directory Entry that Maps a 4-MByte
 *    Page"). With CR4.PSE = 0 the PS bit is ignored.
 *  - PAE paging: PDEs and PTEs reserve bits 62:M, and bit 63 (XD) when
 *    IA32_EFER.NXE = 0; a 2-MByte PDE also bits 20:13. The four PDPTEs are not
 *    in memory during a walk but in PDPTE registers ("PDPTE Registers"); a
 *    present one reserves bits 63:M, 8:5 (including PS, bit 7) and 2:1
 *    (table "Format of a PAE Page-Directory-Pointer-Table Entry"). Loading
 *    registers with such bits #GPs ("Failures to load the PDPTE registers
 *    ... cause general-protection exceptions (#GP(0)) and not page-fault
 *    exceptions") and VM entry checks them (26.3.1.6 "Checks on Guest
 *    Page-Directory-Pointer-Table Entries"), so the registers cannot hold
 *    them; if the ctx still does, we answer like any other entry: #PF, RSVD.
 *    The PDPTE registers have no R/W, U/S or A bits: they take no part in
 *    access rights and no accessed flag is set in them.
 *  - 4-level paging: every entry reserves bits 51:M and, with NXE = 0, bit 63;
 *    a PML4E reserves PS; a PDPTE reserves PS unless 1-GByte pages are
 *    supported, and a 1-GByte PDPTE reserves bits 29:13; a 2-MByte PDE bits
 *    20:13. Bits 62:52 are ignored (62:59 are the protection key of a leaf).
 *
 * Access rights ("Determination of Access Rights"), for the supervisor-mode
 * explicit data access a VMX instruction makes at CPL 0. R/W and U/S are the
 * logical AND over every entry used; the address is a user-mode address if
 * U/S = 1 in all of them.
 *  - Reads: allowed from supervisor-mode addresses; from user-mode addresses
 *    only if CR4.SMAP = 0, or RFLAGS.AC = 1 (explicit access).
 *  - Writes: with CR0.WP = 0, R/W is ignored; with WP = 1 R/W must be 1 at
 *    every level. User-mode addresses are also subject to SMAP as for reads.
 *  - XD only restricts instruction fetches: a data access ignores it.
 *  - Protection keys ("Protection Keys"; 4-level paging only, "IA32_EFER.LMA
 *    = CR4.PKE = 1"): the key is bits 62:59 of the leaf. A user-mode address
 *    with key i is checked against PKRU when CR4.PKE = 1, a supervisor-mode
 *    address against IA32_PKRS when CR4.PKS = 1: AD_i (bit 2i) forbids any
 *    data access, WD_i (bit 2i+1) forbids writes - for a supervisor-mode
 *    access only when CR0.WP = 1.
 * A violation of any of these is a #PF with P = 1. The error code ("Page-
 * Fault Exceptions"): W/R = 1 for a write whatever the cause; U/S = 0 and
 * I/D = 0 (supervisor data access); PK = 1 exactly when the key check above
 * fails ("This flag is 1 if (1) IA32_EFER.LMA = CR4.PKE = 1; (2) ... a data
 * access; (3) ... a user-mode address with protection key i; and (4) ...
 * either (a) AD_i = 1; or (b) ... WD_i = 1; ... a write access; and ...
 * CR0.WP = 1 or ... a user-mode access"), even when R/W or SMAP also forbid
 * the access. The PKS half of that is our reading of the PKS additions.
 *
 * Accessed and dirty flags ("Accessed and Dirty Flags"): "Whenever the
 * processor uses a paging-structure entry as part of linear-address
 * translation, it sets the accessed flag in that entry"; on a write it sets
 * the dirty flag of the entry that maps the page (a PTE, or a PDE / PDPTE with
 * PS = 1). We set them only for an access that is allowed: the SDM does not
 * say whether a walk that ends in a #PF sets the flags of the entries it
 * read, and not setting them keeps a faulting access free of side effects.
 * The CPU updates with locked operations; we use compare-and-exchange and
 * restart the walk when an entry changed under us (another L1 CPU editing
 * its tables), a bounded number of times.
 *
 * Linear addresses: outside 4-level paging they have 32 bits (higher bits
 * are dropped, and a range wraps at 4 GiB). With 4-level paging bits 63:47
 * must be equal; a non-canonical address is a #GP that pure/vmx_operand.c
 * reports before paging, so here it is the caller's bug (GPAGING_EBAD).
 */

#define CR0_PE    (1ull << 0)
#define CR0_WP    (1ull << 16)
#define CR0_PG    (1ull << 31)
#define CR4_PSE   (1ull << 4)
#define CR4_PAE   (1ull << 5)
#define CR4_LA57  (1ull << 12)
#define CR4_SMAP  (1ull << 21)
#define CR4_PKE   (1ull << 22)
#define CR4_PKS   (1ull << 24)
#define EFER_LMA  (1ull << 10)
#define EFER_NXE  (1ull << 11)

/* Paging-structure entry bits common to all modes. */
#define PTE_P     (1ull << 0)
#define PTE_RW    (1ull << 1)
#define PTE_US    (1ull << 2)
#define PTE_A     (1ull << 5)
#define PTE_D     (1ull << 6)
#define PTE_PS    (1ull << 7)
#define PTE_XD    (1ull << 63)
#define PAE_PDPTE_RSVD_LOW 0x1E6ull   /* bits 8:5 and 2:1 */

#define MAX_LEVELS  4
#define MAX_RETRIES 8   /* walks restarted by a failed flag update before giving up */
#define PAGE_4K     4096u

/* Bits hi..lo set (empty when hi < lo); hi <= 63. */
static uint64_t bits(unsigned hi, unsigned lo)
{
    if (hi < lo) return 0;
    return (~0ull >> (63 - hi)) & (~0ull << lo);
}

/* One walk: the entries it read from memory (top first; the last maps the page) and what they grant. */
struct walk {
    enum gpaging_mode mode;
    unsigned n;
    uint64_t ent_gpa[MAX_LEVELS], ent[MAX_LEVELS];
    uint64_t gpa;
    bool rw, us;
    unsigned pkey;
};

enum gpaging_mode gpaging_mode(const struct gpaging_ctx *c)
{
    bool lma = c->efer & EFER_LMA;

    if (!(c->cr0 & CR0_PG)) return lma ? GPAGING_MODE_INVALID : GPAGING_MODE_NONE;
    if (!(c->cr0 & CR0_PE)) return GPAGING_MODE_INVALID;   /* MOV to CR0 #GPs; VM entry refuses it */
    if (!(c->cr4 & CR4_PAE)) return lma ? GPAGING_MODE_INVALID : GPAGING_MODE_32BIT;
    if (!lma) return GPAGING_MODE_PAE;
    return (c->cr4 & CR4_LA57) ? GPAGING_MODE_5LEVEL : GPAGING_MODE_4LEVEL;
}

const char *gpaging_mode_name(enum gpaging_mode m)
{
    static const char *const names[] = { "none", "32-bit", "PAE", "4-level", "5-level", "invalid" };

    return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}

static bool read_entry(const struct gpaging_ctx *c, uint64_t gpa, unsigned size, uint64_t *val)
{
    uint8_t b[8];

    if (!c->read_phys(c->opaque, gpa, b, size)) return false;
    *val = 0;
    for (unsigned i = 0; i < size; i++) *val |= (uint64_t)b[i] << (8 * i);   /* little-endian */
    return true;
}

/* Reserved bits of a present entry at the level indexed by linear-address bits from `shift` up. */
static uint64_t reserved(const struct gpaging_ctx *c, enum gpaging_mode mode, unsigned shift, uint64_t e)
{
    unsigned m = c->maxphyaddr;
    uint64_t xd = (c->efer & EFER_NXE) ? 0 : PTE_XD;

    if (mode == GPAGING_MODE_32BIT) {
        unsigned m36 = m < 40 ? m : 40;   /* PSE-36: M' = min(MAXPHYADDR, 40) */
        return (shift == 22 && (c->cr4 & CR4_PSE) && (e & PTE_PS)) ? (e & bits(21, m36 - 19)) : 0;
    }
    if (mode == GPAGING_MODE_PAE) {
        uint64_t r = bits(62, m) | xd;
        if (shift == 21 && (e & PTE_PS)) r |= bits(20, 13);
        return e & r;
    }
    /* 4-level */
    uint64_t r = bits(51, m) | xd;
    if (shift == 39) r |= PTE_PS;
    if (shift == 30 && (e & PTE_PS)) r |= c->page1gb ? bits(29, 13) : PTE_PS;
    if (shift == 21 && (e & PTE_PS)) r |= bits(20, 13);
    return e & r;
}

static int pf(struct gpaging_fault *f, uint64_t linear, uint32_t ec)
{
    f->linear = linear;
    f->error_code = ec;
    return GPAGING_PF;
}

/* Key rights (2 bits: AD, WD) deny the access? WD binds supervisor writes only with CR0.WP = 1. */
static bool key_denies(uint32_t rights_reg, unsigned key, bool write, bool wp)
{
    unsigned r = (rights_reg >> (2 * key)) & 3u;

    return (r & 1u) || (write && wp && (r & 2u));
}

/*
 * Walk the tables for `la` (already truncated / checked by the caller) and check the access;
 * no side effects. GPAGING_OK fills w; GPAGING_PF / GPAGING_ENOMEM fill f.
 */
static int walk(const struct gpaging_ctx *c, enum gpaging_mode mode, uint64_t la, bool write,
                struct walk *w, struct gpaging_fault *f)
{
    uint32_t ec_w = write ? GPAGING_PFEC_W : 0;
    bool wp = c->cr0 & CR0_WP;
    unsigned shift, idx_bits, esize;
    uint64_t base, addr = bits(c->maxphyaddr - 1, 12);

    *w = (struct walk){ .mode = mode, .rw = true, .us = true };
    if (mode == GPAGING_MODE_32BIT) {
        shift = 22, idx_bits = 10, esize = 4;
        base = c->cr3 & 0xFFFFF000ull;   /* bits 31:12; "CR3 has 64 bits ... ignored with 32-bit paging" */
    } else if (mode == GPAGING_MODE_PAE) {
        uint64_t pdpte = c->pdpte[(la >> 30) & 3];
        if (!(pdpte & PTE_P)) return pf(f, la, ec_w);
        if (pdpte & (bits(63, c->maxphyaddr) | PAE_PDPTE_RSVD_LOW))
            return pf(f, la, GPAGING_PFEC_P | GPAGING_PFEC_RSVD | ec_w);
        shift = 21, idx_bits = 9, esize = 8;
        base = pdpte & addr;
    } else {
        shift = 39, idx_bits = 9, esize = 8;
        base = c->cr3 & addr;   /* bits M-1:12; PCID / PWT / PCD and LAM bits (62:61) are not address */
    }

    for (;;) {
        uint64_t egpa = base + ((la >> shift) & ((1ull << idx_bits) - 1)) * esize, e;
        bool leaf;

        if (!read_entry(c, egpa, esize, &e)) {
            f->gpa = egpa;
            return GPAGING_ENOMEM;
        }
        w->ent_gpa[w->n] = egpa;
        w->ent[w->n] = e;
        w->n++;
        if (!(e & PTE_P)) return pf(f, la, ec_w);
        if (reserved(c, mode, shift, e)) return pf(f, la, GPAGING_PFEC_P | GPAGING_PFEC_RSVD | ec_w);
        w->rw = w->rw && (e & PTE_RW);
        w->us = w->us && (e & PTE_US);

        if (mode == GPAGING_MODE_32BIT) leaf = shift == 12 || ((c->cr4 & CR4_PSE) && (e & PTE_PS));
        else leaf = shift == 12 || (e & PTE_PS);   /* PS in a PML4E was refused as reserved */
        if (leaf) {
            uint64_t off = la & ((1ull << shift) - 1);
            if (mode == GPAGING_MODE_32BIT && shift == 22)   /* 39:32 from bits 20:13 (reserved above M'-1) */
                w->gpa = (e & 0xFFC00000ull) | (((e >> 13) & 0xFFull) << 32) | off;
            else if (mode == GPAGING_MODE_32BIT)
                w->gpa = (e & 0xFFFFF000ull) | off;
            else   /* bits above M-1 are reserved and 0; below the page size: PAT and reserved */
                w->gpa = (e & addr & ~((1ull << shift) - 1)) | off;
            if (mode == GPAGING_MODE_4LEVEL) w->pkey = (unsigned)(e >> 59) & 15u;
            break;
        }
        base = mode == GPAGING_MODE_32BIT ? (e & 0xFFFFF000ull) : (e & addr);
        shift -= idx_bits;
    }

    /* access rights of a supervisor-mode explicit data access (see the top of the file) */
    bool deny = write && wp && !w->rw;
    bool pk = false;
    if (w->us && (c->cr4 & CR4_SMAP) && !c->ac) deny = true;
    if (mode == GPAGING_MODE_4LEVEL) {
        if (w->us && (c->cr4 & CR4_PKE)) pk = key_denies(c->pkru, w->pkey, write, wp);
        if (!w->us && (c->cr4 & CR4_PKS)) pk = key_denies(c->pkrs, w->pkey, write, wp);
    }
    if (deny || pk) return pf(f, la, GPAGING_PFEC_P | ec_w | (pk ? GPAGING_PFEC_PK : 0));
    return GPAGING_OK;
}

/* Set A in every entry of w, and D in the last for a write. False if an entry changed meanwhile. */
static bool set_flags(const struct gpaging_ctx *c, const struct walk *w, bool write)
{
    unsigned esize = w->mode == GPAGING_MODE_32BIT ? 4 : 8;

    if (!c->cmpxchg_phys) return true;
    for (unsigned i = 0; i < w->n; i++) {
        uint64_t want = w->ent[i] | PTE_A | ((write && i + 1 == w->n) ? PTE_D : 0);
        if (want != w->ent[i] && !c->cmpxchg_phys(c->opaque, w->ent_gpa[i], esize, w->ent[i], want))
            return false;
    }
    return true;
}

/* Common argument checks; the paging mode in *mode, the address reduced to what the mode uses. */
static int prepare(const struct gpaging_ctx *c, uint64_t *la, enum gpaging_mode *mode)
{
    *mode = gpaging_mode(c);
    if (*mode == GPAGING_MODE_INVALID || !c->read_phys) return GPAGING_EBAD;
    if (*mode == GPAGING_MODE_5LEVEL) return GPAGING_EUNSUP;
    if (*mode != GPAGING_MODE_NONE && (c->maxphyaddr < 32 || c->maxphyaddr > 52)) return GPAGING_EBAD;
    if (*mode == GPAGING_MODE_4LEVEL) {
        uint64_t hi = *la >> 47;
        if (hi != 0 && hi != 0x1FFFFull) return GPAGING_EBAD;
    } else {
        *la &= 0xFFFFFFFFull;
    }
    return GPAGING_OK;
}

/* Walk and check, then set the flags; restart when the tables changed under the update. */
static int translate(const struct gpaging_ctx *c, enum gpaging_mode mode, uint64_t la, bool write,
                     uint64_t *gpa, struct gpaging_fault *f)
{
    struct walk w;

    if (mode == GPAGING_MODE_NONE) {
        *gpa = la;   /* "If CR0.PG = 0, ... linear addresses are treated as physical addresses" */
        return GPAGING_OK;
    }
    for (unsigned i = 0; i < MAX_RETRIES; i++) {
        int rc = walk(c, mode, la, write, &w, f);
        if (rc != GPAGING_OK) return rc;
        if (set_flags(c, &w, write)) {
            *gpa = w.gpa;
            return GPAGING_OK;
        }
    }
    return GPAGING_ERETRY;
}

int gpaging_translate(const struct gpaging_ctx *c, uint64_t linear, bool write, uint64_t *gpa,
                      struct gpaging_fault *fault)
{
    struct gpaging_fault dummy;
    struct gpaging_fault *f = fault ? fault : &dummy;
    enum gpaging_mode mode;
    int rc;

    *f = (struct gpaging_fault){ 0 };
    *gpa = 0;
    rc = prepare(c, &linear, &mode);
    if (rc != GPAGING_OK) return rc;
    rc = translate(c, mode, linear, write, gpa, f);
    if (rc != GPAGING_OK) *gpa = 0;
    return rc;
}

/*
 * The operand access: split at the 4-KiB boundary, check both parts without side effects
 * (first part first, as the CPU accesses them in order), then translate each for real (this
 * sets the flags, and may still fault if L1 changed its tables meanwhile), then move the data.
 */
static int operand_access(const struct gpaging_ctx *c, uint64_t linear, uint8_t *rbuf, const uint8_t *wbuf,
                  unsigned len, struct gpaging_fault *fault)
{
    struct gpaging_fault dummy;
    struct gpaging_fault *f = fault ? fault : &dummy;
    bool write = wbuf != NULL;
    enum gpaging_mode mode;
    uint64_t la[2], gpa[2];
    unsigned n[2], parts;
    uint8_t tmp[16];
    int rc;

    *f = (struct gpaging_fault){ 0 };
    if (len == 0 || len > 16 || (write && !c->write_phys)) return GPAGING_EBAD;
    rc = prepare(c, &linear, &mode);
    if (rc != GPAGING_OK) return rc;

    la[0] = linear;
    n[0] = PAGE_4K - (unsigned)(linear & (PAGE_4K - 1));
    if (n[0] >= len) {
        n[0] = len;
        parts = 1;
    } else {
        n[1] = len - n[0];
        la[1] = linear + n[0];   /* a page boundary */
        rc = prepare(c, &la[1], &mode);   /* wraps at 4 GiB outside 4-level paging; canonical? */
        if (rc != GPAGING_OK) return rc;
        parts = 2;
        if (mode != GPAGING_MODE_NONE) {
            struct walk w;
            for (unsigned i = 0; i < 2; i++) {
                rc = walk(c, mode, la[i], write, &w, f);
                if (rc != GPAGING_OK) return rc;
            }
        }
    }
    for (unsigned i = 0; i < parts; i++) {
        rc = translate(c, mode, la[i], write, &gpa[i], f);
        if (rc != GPAGING_OK) return rc;
    }

    /* data: read into tmp (a write reads first too, so that no memory means nothing written) */
    for (unsigned i = 0, off = 0; i < parts; off += n[i], i++) {
        if ((write && parts == 1) || c->read_phys(c->opaque, gpa[i], tmp + off, n[i])) continue;
        f->gpa = gpa[i];
        return GPAGING_ENOMEM;
    }
    if (!write) {
        for (unsigned i = 0; i < len; i++) rbuf[i] = tmp[i];
        return GPAGING_OK;
    }
    for (unsigned i = 0, off = 0; i < parts; off += n[i], i++) {
        if (c->write_phys(c->opaque, gpa[i], wbuf + off, n[i])) continue;
        f->gpa = gpa[i];   /* after the probe read: only if memory went away meanwhile */
        return GPAGING_ENOMEM;
    }
    return GPAGING_OK;
}

int gpaging_read(const struct gpaging_ctx *c, uint64_t linear, void *buf, unsigned len,
                 struct gpaging_fault *fault)
{
    return operand_access(c, linear, buf, NULL, len, fault);
}

int gpaging_write(const struct gpaging_ctx *c, uint64_t linear, const void *buf, unsigned len,
                  struct gpaging_fault *fault)
{
    return operand_access(c, linear, NULL, buf, len, fault);
}
