/* vmcs12_check.h - the checks a CPU makes on VMLAUNCH/VMRESUME, run by L0 on L1's VMCS12 (pure logic). */
#ifndef NESTVISOR_PURE_VMCS12_CHECK_H
#define NESTVISOR_PURE_VMCS12_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Section numbers are those of SDM Vol. 3C chapter 26 "VM Entries" in the
 * 2016-2020 editions (chapter 27 from 2021 on; the subsections keep their
 * numbers): 26.1 basic checks, 26.2.1 controls, 26.2.2-26.2.4 host state,
 * 26.3.1 guest state, 26.4 MSR loading, 26.7 failure reporting.
 *
 * What the caller (L0's VMLAUNCH/VMRESUME emulation) does BEFORE calling
 * vmcs12_check_entry(), in this order (26.1 items 1-4, none of them pure):
 *  - L1 in virtual-8086 or compatibility mode: inject #UD;
 *  - L1's CPL > 0: inject #GP(0);
 *  - no current VMCS12, or the current one is a shadow VMCS: VMfailInvalid.
 * AFTER it:
 *  - CHECK_VMFAIL: VMfailValid(error): write `error` to the VMCS12
 *    VM-instruction error field, set RFLAGS.ZF (others of CF/PF/AF/SF/OF 0),
 *    continue L1 after the instruction.
 *  - CHECK_ENTRY_FAIL: 26.7: write `exit_reason` (bit 31 already set) and
 *    `qualification` to VMCS12, load L1's state from the VMCS12 host-state
 *    area as on a VM exit, process the VM-exit MSR-load list; L1 continues at
 *    HOST_RIP. The guest-state area and the VM-entry interruption-information
 *    valid bit are left unchanged.
 *  - CHECK_OK: 26.4, the VM-entry MSR-load list: msr_list_process(
 *    MSR_LIST_ENTRY_LOAD, ...) of pure/msr_list.h (per-entry rules, the WRMSR
 *    through the caller's callback, the list limit); a failing entry n is a
 *    VM-entry failure with exit reason 34 and qualification n. Then
 *    the entry proceeds (guest state, event injection, 26.3.2-26.6).
 */

enum vmcs12_check_kind { CHECK_OK = 0, CHECK_VMFAIL = 1, CHECK_ENTRY_FAIL = 2 };

struct vmcs12_check_result {
    enum vmcs12_check_kind kind;
    unsigned error;         /* CHECK_VMFAIL: VM-instruction error 4, 5, 7, 8 or 26 (VMXERR_*) */
    unsigned exit_reason;   /* CHECK_ENTRY_FAIL: the whole exit-reason field:
                               EXIT_REASON_FAILED_ENTRY | 33 (guest state) or | 34 (MSR loading) */
    uint64_t qualification; /* CHECK_ENTRY_FAIL: 33 -> ENTRY_FAIL_QUAL_* (0, 2, 3, 4); 34 -> entry number */
    const char *why;        /* NULL for CHECK_OK, else the SDM section and rule, for logs */
};

/*
 * The VMX capabilities L0 shows L1, and the CPU facts the checks depend on.
 * Every value is what L1 reads, not what the hardware has.
 */
struct vmcs12_caps {
    uint64_t basic;         /* IA32_VMX_BASIC: revision (30:0), bit 48 (32-bit addresses), bit 56 */
    /* Control capabilities, allowed-0 settings in bits 31:0 (a 1 there: the
     * control must be 1), allowed-1 settings in bits 63:32 (a 0 there: must
     * be 0). Pass the IA32_VMX_TRUE_* values when basic bit 55 is set (A.3). */
    uint64_t pinbased, procbased, procbased2, exit, entry;
    uint64_t misc;          /* IA32_VMX_MISC: activity states, CR3-target count, bit 30 */
    uint64_t ept_vpid;      /* IA32_VMX_EPT_VPID_CAP */
    uint64_t vmfunc;        /* IA32_VMX_VMFUNC: VM functions L1 may enable */
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1; /* IA32_VMX_CR{0,4}_FIXED{0,1} */
    uint64_t efer_valid;    /* IA32_EFER bits that are not reserved (e.g. SCE|LME|LMA|NXE) */
    uint64_t debugctl_valid;     /* IA32_DEBUGCTL bits that are not reserved */
    uint64_t perf_global_valid;  /* IA32_PERF_GLOBAL_CTRL bits that are not reserved */
    unsigned maxphyaddr;    /* CPUID.80000008H:EAX[7:0] as L1 sees it; clamped to 32..52 */
    bool rtm;               /* CPUID.(7,0):EBX.RTM[11]: pending-debug bit 16 is defined */
};

/* Reads a VMCS12 field by its encoding (enum vmcs_field in lib/vmcs_fields.h). */
typedef uint64_t (*vmcs12_read_fn)(void *ctx, unsigned encoding);
/*
 * Reads len (at most 32) bytes of L1 guest-physical memory at gpa. Returns
 * false where no memory is: the checks then see all-ones bytes, what a read
 * of an unbacked physical address gives on a PC. Used only for what a real
 * VM entry reads from memory: the VTPR byte (virtual-APIC page + 80H), the
 * first 4 bytes of the VMCS link pointer's region, and the four PDPTEs at
 * guest CR3 when PAE paging without EPT.
 */
typedef bool (*vmcs12_read_gpa_fn)(void *ctx, uint64_t gpa, void *buf, unsigned len);

struct vmcs12_entry_request {
    vmcs12_read_fn read;          /* required */
    vmcs12_read_gpa_fn read_gpa;  /* may be NULL: every memory read fails */
    void *ctx;                    /* passed to both */
    const struct vmcs12_caps *caps;
    bool vmresume;                /* VMRESUME (else VMLAUNCH) */
    bool launched;                /* VMCS12 launch state is "launched" (else "clear") */
    uint32_t l1_interruptibility; /* L1's own interruptibility state (VMCS01 guest field) at the
                                     instruction: bit 1, blocking by MOV SS, fails with error 26 */
    bool l1_ia32e;                /* L1 in IA-32e mode (IA32_EFER.LMA) */
    uint64_t vmcs12_gpa;          /* current-VMCS pointer (the link pointer must differ) */
};

/*
 * All checks of 26.1 (the VMfailValid ones), 26.2 and 26.3.1, in the order
 * the SDM lists them; the first failure decides the result. L1 is never in
 * SMM, so the SMM forms of the rules are those for "outside SMM".
 */
struct vmcs12_check_result vmcs12_check_entry(const struct vmcs12_entry_request *rq);

/*
 * The EPTP rules of 26.2.1.1 alone (memory type, page-walk length, A/D enable,
 * reserved bits 11:7, bits beyond MAXPHYADDR): true when VM entry with "enable
 * EPT" would accept this EPTP. INVEPT single-context uses it (SDM 31.3 INVEPT:
 * an EPTP VM entry would refuse gets VMfail "invalid operand").
 */
bool vmcs12_eptp_valid(const struct vmcs12_caps *caps, uint64_t eptp);

#endif /* NESTVISOR_PURE_VMCS12_CHECK_H */
