/* msr_list.h - a VMCS12's MSR lists (VM-entry MSR-load, VM-exit MSR-store and MSR-load) processed as the SDM says (pure logic). */
#ifndef NESTVISOR_PURE_MSR_LIST_H
#define NESTVISOR_PURE_MSR_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * SDM Vol. 3C (2016-2020 numbering; chapters 25-28 from 2021 on, same
 * subsections): 24.7.2 and 24.8.2 the list fields, 26.2.1.2 / 26.2.1.3 the
 * area checks on VM entry, 26.4 "Loading MSRs" (VM entry), 27.4 "Saving MSRs"
 * and 27.6 "Loading MSRs" (VM exit), 26.7 / 26.8 the VM-entry failure it
 * causes, 27.7 the VMX abort.
 *
 * The module decides; the caller does. Memory (L1's guest-physical memory,
 * where the list lives) and the MSR access itself (as L1's RDMSR/WRMSR at
 * CPL 0 would be done, into L2's state on entry and L1's on exit) go through
 * the callbacks of struct msr_list_ops, so that L0 keeps its hardware and L1
 * memory access at its edge and the host tests and the fuzzer can model both.
 *
 * The list limit: IA32_VMX_MISC bits 27:25 = N recommend at most 512 * (N + 1)
 * entries per list (A.6); more is "unpredictable ... including a machine
 * check" (24.7.2, 24.8.2), on entry and on exit alike. nestvisor's choice,
 * the same as before this module existed:
 *  - VM-entry MSR-load: the entry past the limit fails the VM entry like any
 *    failing entry (exit reason 34, qualification limit + 1): a contained
 *    outcome instead of a machine check, and L0 never loops on L1's count.
 *  - VM-exit lists: the first `limit` entries are processed and the rest are
 *    ignored (result.truncated): a VM exit has no failure L1 could handle
 *    short of a VMX abort, and the SDM does not require one here.
 */

/* One entry of any of the three lists (24.7.2 Table 24-11, 24.8.2 Table 24-12). */
struct msr_list_entry {
    uint32_t index;         /* bits 31:0: the MSR */
    uint32_t reserved;      /* bits 63:32: must be 0 */
    uint64_t value;         /* bits 127:64: loaded from (load lists) or stored to (store list) */
};
_Static_assert(sizeof(struct msr_list_entry) == 16, "MSR-list entries are 16 bytes (SDM Tables 24-11, 24-12)");

enum msr_list_kind {
    MSR_LIST_ENTRY_LOAD = 0, /* VM-entry MSR-load (26.4): failure = VM-entry failure, reason 34 */
    MSR_LIST_EXIT_STORE = 1, /* VM-exit MSR-store (27.4): failure = VMX abort, indicator 1 */
    MSR_LIST_EXIT_LOAD = 2,  /* VM-exit MSR-load (27.6): failure = VMX abort, indicator 4 */
};

/* VMX-abort indicators (27.7), written at byte 4 of the VMCS region */
#define MSR_LIST_ABORT_STORE 1u
#define MSR_LIST_ABORT_LOAD  4u

/* The MSR indices the rules name (Vol. 4 ch. 2, formerly Vol. 3C ch. 35). */
#define MSR_LIST_IA32_BIOS_UPDT_TRIG  0x79u        /* microcode update trigger */
#define MSR_LIST_IA32_BIOS_SIGN_ID    0x8bu        /* microcode update signature */
#define MSR_LIST_IA32_SMM_MONITOR_CTL 0x9bu        /* writable only in SMM */
#define MSR_LIST_IA32_SMBASE          0x9eu        /* readable (and writable) only in SMM */
#define MSR_LIST_IA32_FS_BASE         0xc0000100u
#define MSR_LIST_IA32_GS_BASE         0xc0000101u

struct msr_list_ops {
    /*
     * Reads len (16) bytes of L1 guest-physical memory at gpa. False where
     * no memory is: the module then uses all-ones bytes, what a read of an
     * unbacked physical address gives on a PC (such an entry fails 63:32).
     */
    bool (*read)(void *ctx, uint64_t gpa, void *buf, unsigned len);
    /* Writes len (8) bytes to L1 memory (the store list's value); a write
     * where no memory is is dropped, as on a PC. The result is not used. */
    bool (*write)(void *ctx, uint64_t gpa, const void *buf, unsigned len);
    /* RDMSR / WRMSR as L1 at CPL 0 would do them: 0, or the vector it would
     * raise (a #GP makes the entry fail). rdmsr only for the store list,
     * wrmsr only for the load lists; either may be NULL if unused. */
    int (*rdmsr)(void *ctx, uint32_t msr, uint64_t *value);
    int (*wrmsr)(void *ctx, uint32_t msr, uint64_t value);
    void *ctx;
};

struct msr_list_result {
    bool ok;                /* every entry processed (up to the limit for the exit lists) */
    uint32_t processed;     /* entries processed without failure */
    bool truncated;         /* an exit list longer than the limit: entries past it ignored */
    /* when !ok: */
    uint32_t entry;         /* the failing entry's number, 1 for the first: the VM-entry
                               failure's exit qualification (26.7) */
    uint32_t msr;           /* its bits 31:0 */
    unsigned exit_reason;   /* ENTRY_LOAD: EXIT_REASON_FAILED_ENTRY | 34 (bit 31 set); else 0 */
    unsigned abort;         /* EXIT_STORE: 1, EXIT_LOAD: 4 (VMX-abort indicator, 27.7); else 0 */
    const char *why;        /* the SDM rule, for logs; NULL when ok */
};

/* 512 * (IA32_VMX_MISC[27:25] + 1): the recommended maximum entries per list (A.6). */
uint32_t msr_list_limit(uint64_t vmx_misc);

/*
 * 26.2.1.2 / 26.2.1.3 (VMfailValid 7 for the exit lists, 8 for the entry
 * list, decided by the caller): with count != 0, bits 3:0 of addr are 0 and
 * neither addr nor the list's last byte (addr + 16 * count - 1) sets a bit at
 * or above paddr_width (MAXPHYADDR, or 32 when IA32_VMX_BASIC[48] is 1).
 * A count of 0 needs no valid address. paddr_width is clamped to 32..52.
 */
bool msr_list_area_ok(uint64_t addr, uint32_t count, unsigned paddr_width);

/*
 * The per-entry rules that need no MSR access, for a list of `kind`: NULL
 * (pass) or the rule that fails. Load lists (26.4, 27.6): IA32_FS_BASE or
 * IA32_GS_BASE; bits 31:8 = 000008H (x2APIC); writable only in SMM
 * (IA32_SMM_MONITOR_CTL, and on entry IA32_SMBASE; on exit the SDM names only
 * IA32_SMM_MONITOR_CTL, and IA32_SMBASE fails there through the WRMSR's #GP);
 * model-specific (nestvisor: the microcode MSRs 79H and 8BH); bits 63:32
 * not 0. Store list (27.4): x2APIC; readable only in SMM (IA32_SMBASE);
 * bits 63:32 not 0 (no model-specific exclusions; FS/GS base may be stored).
 */
const char *msr_list_check_entry(enum msr_list_kind kind, const struct msr_list_entry *e);

/*
 * Processes the list of `kind` at addr with count entries, in order, as the
 * CPU does: reads entry n (1-based) at addr + 16 * (n - 1), checks it, then
 * WRMSR (load lists) or RDMSR and a write of the value to bits 127:64 of
 * the entry in memory (store list). Stops at the first failing entry:
 *  - ENTRY_LOAD: !ok, exit_reason 0x80000022, entry = its number. MSRs of the
 *    entries before it stay loaded (the SDM does not undo them; the VM-exit
 *    MSR-load list the caller processes next decides L1's values).
 *  - EXIT_STORE / EXIT_LOAD: !ok, abort = 1 / 4. The caller writes the
 *    indicator at byte 4 of the VMCS12 region and puts L1's CPU in the
 *    shutdown state (27.7).
 * limit is msr_list_limit() of the IA32_VMX_MISC L1 sees (see the top).
 * The area itself (alignment, width) is the caller's VM-entry check
 * (msr_list_area_ok()); the module does not assume it passed: addresses
 * wrap modulo 2^64 and each access goes through the callbacks.
 */
struct msr_list_result msr_list_process(enum msr_list_kind kind, uint64_t addr, uint32_t count, uint32_t limit,
                                        const struct msr_list_ops *ops);

#endif /* NESTVISOR_PURE_MSR_LIST_H */
