/* guest_paging.h - L1 linear to L1 guest-physical translation for L0's accesses to VMX operands, with the #PF they raise (pure logic). */
#ifndef NESTVISOR_PURE_GUEST_PAGING_H
#define NESTVISOR_PURE_GUEST_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * When L1 executes VMXON, VMPTRLD, VMPTRST, VMREAD to memory, ..., the CPU
 * exits before touching the operand; pure/vmx_operand.c gives its linear
 * address and the segment faults. This module does the next step the CPU
 * would do: translate that linear address through L1's own page tables
 * (SDM Vol. 3A chapter "Paging") for a supervisor-mode (CPL 0) explicit data
 * access, set accessed/dirty flags as the CPU does, and say which #PF the
 * access raises. The result is an L1 guest-physical address; turning it into
 * a host address (L0's EPT for L1) is the callbacks' job.
 *
 * Paging mode (SDM "Paging Modes and Control Bits"): CR0.PG = 0 none
 * (gpa = linear, 32 bits); CR4.PAE = 0 32-bit paging; IA32_EFER.LMA = 0
 * PAE paging; else 4-level paging, or 5-level with CR4.LA57, which is not
 * supported here (GPAGING_EUNSUP). Not done: instruction fetches, user-mode
 * and implicit supervisor accesses, shadow-stack accesses, LAM, HLAT, EPT
 * (L0's own business), TLBs (a fresh walk is always a legal TLB miss).
 * Assumed CPU features: PAT and PSE-36 (every VMX-capable CPU has both);
 * 1-GByte pages as the ctx says.
 */

/* The L1 state a translation depends on, as the VMCS guest-state area and L1's CPUID hold it. */
struct gpaging_ctx {
    uint64_t cr0, cr3, cr4;   /* guest CR0, CR3, CR4 (not the read shadows) */
    uint64_t efer;            /* guest IA32_EFER: LMA (bit 10) selects 4-level paging, NXE (bit 11) */
    uint64_t pdpte[4];        /* PAE paging only: the PDPTE registers (VMCS guest PDPTE0..3 with EPT,
                                 else what the CPU loaded from CR3); the tables at CR3 are not read */
    uint32_t pkru;            /* PKRU, used with 4-level paging and CR4.PKE; 0 = keys allow all */
    uint32_t pkrs;            /* IA32_PKRS (low 32 bits), used with 4-level paging and CR4.PKS */
    bool ac;                  /* RFLAGS.AC: with CR4.SMAP, 1 lets explicit supervisor accesses reach user pages */
    bool page1gb;             /* CPUID.80000001H:EDX.Page1GB as L1 sees it; without it PS in a PDPTE is reserved */
    unsigned maxphyaddr;      /* CPUID.80000008H:EAX[7:0] as L1 sees it, 32..52 */
    /*
     * L1 guest-physical memory. read_phys/write_phys move size bytes (1..16, never crossing a
     * 4-KiB boundary) and return false, having done nothing, when there is no memory there.
     * Paging-structure entries are read with size 4 (32-bit paging) or 8, little-endian.
     * write_phys may be NULL (then gpaging_write returns GPAGING_EBAD).
     * cmpxchg_phys sets accessed/dirty flags the way the CPU's locked update does: store
     * `new_val` (size 4 or 8 bytes) at gpa only if it still holds `old`; return false when it
     * did not (changed meanwhile: the walk restarts) or there is no memory. NULL = flags are
     * not set (a read-only view, e.g. for a debugger).
     */
    bool (*read_phys)(void *opaque, uint64_t gpa, void *buf, unsigned size);
    bool (*write_phys)(void *opaque, uint64_t gpa, const void *buf, unsigned size);
    bool (*cmpxchg_phys)(void *opaque, uint64_t gpa, unsigned size, uint64_t old, uint64_t new_val);
    void *opaque;
};

enum gpaging_mode {
    GPAGING_MODE_NONE,      /* CR0.PG = 0 */
    GPAGING_MODE_32BIT,
    GPAGING_MODE_PAE,
    GPAGING_MODE_4LEVEL,
    GPAGING_MODE_5LEVEL,    /* recognised, not supported */
    GPAGING_MODE_INVALID,   /* a state no CPU can be in: PG without PE, LMA without PG or PAE */
};

/* #PF error code bits (SDM "Page-Fault Exceptions", figure "Page-Fault Error Code"). */
#define GPAGING_PFEC_P     (1u << 0)   /* 0: not-present entry; 1: protection violation (incl. RSVD, PK) */
#define GPAGING_PFEC_W     (1u << 1)   /* the access was a write */
#define GPAGING_PFEC_U     (1u << 2)   /* user-mode access: never set here */
#define GPAGING_PFEC_RSVD  (1u << 3)   /* a reserved bit was set in a paging-structure entry */
#define GPAGING_PFEC_ID    (1u << 4)   /* instruction fetch: never set here */
#define GPAGING_PFEC_PK    (1u << 5)   /* protection-key violation */

/* Return values. */
#define GPAGING_OK      0
#define GPAGING_PF      1      /* the access raises #PF: fault->error_code, CR2 = fault->linear */
#define GPAGING_ENOMEM  (-1)   /* a paging-structure entry or the operand itself is where read_phys/
                                  write_phys have no memory: fault->gpa says where. Not a #PF; what
                                  the CPU would do depends on L0's EPT for L1 (EPT violation). */
#define GPAGING_EUNSUP  (-2)   /* 5-level paging */
#define GPAGING_EBAD    (-3)   /* L0 bug or impossible state: GPAGING_MODE_INVALID, maxphyaddr outside
                                  32..52, a non-canonical address with 4-level paging, len 0 or > 16,
                                  a missing callback */
#define GPAGING_ERETRY  (-4)   /* the paging structures kept changing under the accessed/dirty update
                                  (another L1 CPU): nothing was accessed; resume L1 without advancing
                                  RIP so that it executes the instruction again */

/* What went wrong, for GPAGING_PF and GPAGING_ENOMEM; zeroed otherwise. */
struct gpaging_fault {
    uint64_t linear;        /* GPAGING_PF: the value for CR2 */
    uint32_t error_code;    /* GPAGING_PF: GPAGING_PFEC_* */
    uint64_t gpa;           /* GPAGING_ENOMEM: the guest-physical address without memory */
};

/* The paging mode c's control registers select. */
enum gpaging_mode gpaging_mode(const struct gpaging_ctx *c);

/*
 * Translate one byte's linear address for a supervisor-mode explicit data read (write = false)
 * or write, setting accessed (and, for a write, dirty) flags through cmpxchg_phys when the
 * access is allowed. Returns GPAGING_OK with *gpa, or one of the codes above (then *gpa is 0).
 * Outside 4-level paging the linear address is truncated to 32 bits. `fault` may be NULL.
 */
int gpaging_translate(const struct gpaging_ctx *c, uint64_t linear, bool write, uint64_t *gpa,
                      struct gpaging_fault *fault);

/*
 * Copy len (1..16) bytes between buf and the operand at `linear`, as the instruction would
 * access it: a range crossing a 4-KiB boundary is translated page by page (the second page's
 * address wraps at 4 GiB outside 4-level paging), and both pages are checked before anything
 * is touched, so an access that faults reads, writes and flags nothing. (Only if L1 edits
 * its tables between the check and the flag update can the first page's accessed/dirty
 * flags be set and the second page then fault, as on a CPU.) Missing memory
 * for the data (GPAGING_ENOMEM) is also found before anything is written; the flags are
 * set by then. With GPAGING_PF, fault->linear is the first byte of the faulting page's
 * part: `linear` or the page boundary. `fault` may be NULL.
 */
int gpaging_read(const struct gpaging_ctx *c, uint64_t linear, void *buf, unsigned len,
                 struct gpaging_fault *fault);
int gpaging_write(const struct gpaging_ctx *c, uint64_t linear, const void *buf, unsigned len,
                  struct gpaging_fault *fault);

/* "none", "32-bit", "PAE", "4-level", "5-level", "invalid" / "?" for logs. */
const char *gpaging_mode_name(enum gpaging_mode m);

#endif /* NESTVISOR_PURE_GUEST_PAGING_H */
