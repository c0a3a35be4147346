/* hostile_msr_inv.c - hostile VM-entry MSR-load lists (SDM 26.4, exit reason 34) and INVEPT/INVVPID types and operands (SDM 31.3) */
#include "hostile.h"
#include "format.h"

struct msr_entry { u32 index, reserved; u64 data; };
_Static_assert(sizeof(struct msr_entry) == 16, "MSR area entry layout (SDM 25.8.2)");

#define MSR_SYSENTER_CS 0x174u

/* The list: up to 2 entries at the scratch page, or (not_ram) a list where no RAM is. */
struct list_case { const char *name; struct msr_entry e[2]; u32 count; bool not_ram; };

static void mut_list(struct cpu *c, uintptr_t arg)
{
    (void)c;
    const struct list_case *l = (const struct list_case *)arg;
    struct msr_entry *area = (struct msr_entry *)hx_scratch;
    area[0] = l->e[0];
    area[1] = l->e[1];
    /* past the top of RAM (512 MiB profiles; 0xff000000 is below the BIOS ROM in any PC) */
    u64 addr = l->not_ram ? 0xf0000000ull : va_to_pa(area);
    vmcs_write_any(VMCS_ENTRY_MSR_LOAD_ADDR, addr);
    vmcs_write_any(VMCS_ENTRY_MSR_LOAD_COUNT, l->count);
}

/* SDM 26.4: an entry fails (exit reason 34, qualification = the entry's number from 1) if
 * bits 63:32 are not 0, it names IA32_FS_BASE/IA32_GS_BASE, an x2APIC MSR (800H-8FFH),
 * an MSR writable only in SMM (IA32_SMM_MONITOR_CTL, IA32_SMBASE), one not loadable for
 * model-specific reasons (microcode update), or WRMSR of it would #GP. */
static const struct list_case lists[] = {
    { "msr-load-fs-base", { { 0xc0000100u, 0, 0 } }, 1, false },
    { "msr-load-gs-base", { { 0xc0000101u, 0, 0 } }, 1, false },
    { "msr-load-x2apic-tpr-808", { { 0x808, 0, 0 } }, 1, false },
    { "msr-load-x2apic-8ff", { { 0x8ff, 0, 0 } }, 1, false },
    { "msr-load-x2apic-icr-830", { { 0x830, 0, 0x4400 } }, 1, false },
    { "msr-load-smm-monitor-ctl", { { 0x9b, 0, 0 } }, 1, false },
    { "msr-load-smbase", { { 0x9e, 0, 0 } }, 1, false },
    { "msr-load-bios-updt-trig", { { 0x79, 0, 0 } }, 1, false },
    { "msr-load-reserved-bits", { { MSR_SYSENTER_CS, 1, 0x10 } }, 1, false },
    { "msr-load-nonexistent-msr", { { 0x12345678u, 0, 0 } }, 1, false },
    { "msr-load-kernel-gs-base-noncanonical", { { 0xc0000102u, 0, 0x8000000000000000ull } }, 1, false },
    { "msr-load-efer-reserved-bit", { { 0xc0000080u, 0, 0xd01 | (1ull << 20) } }, 1, false },
    { "msr-load-vmx-basic-read-only", { { 0x480, 0, 0 } }, 1, false },
    { "msr-load-second-entry-fs-base", { { MSR_SYSENTER_CS, 0, 0x10 }, { 0xc0000100u, 0, 0 } }, 2, false },
    { "msr-load-good-sysenter-cs", { { MSR_SYSENTER_CS, 0, 0x10 } }, 1, false },
    { "msr-load-count-0-bad-entry", { { 0xc0000100u, 0, 0 } }, 0, false },
    { "msr-load-list-not-ram", { { 0 } }, 1, true },
};

static void msr_lists(struct cpu *c)
{
    for (unsigned i = 0; i < ARRAY_SIZE(lists); i++) hx_launch(c, lists[i].name, mut_list, (uintptr_t)&lists[i]);
    /* Bochs 2.7 accepts MSR index 0 (lab/README.md); the SDM (26.4) fails the entry where
     * WRMSR of MSR 0 would #GP: the bare run is the oracle */
    static const struct list_case zero = { "msr-load-index-0", { { 0, 0, 0 } }, 1, false };
    hx_launch(c, zero.name, mut_list, (uintptr_t)&zero);
}

/* ---- INVEPT / INVVPID (SDM 31.3): unsupported type or, for single-context INVEPT, an
 * EPTP VM entry would refuse: VMfailValid 28; bad memory operand: #GP/#PF ---- */

static void inv(struct cpu *c, const char *name, bool ept, uintptr_t type, u64 lo, u64 hi)
{
    struct inv_desc d = { lo, hi };
    hx_report(c, name, ept ? hx_invept(type, (uintptr_t)&d) : hx_invvpid(type, (uintptr_t)&d));
}

static void invept_cases(struct cpu *c)
{
    static const char *const names[] = {
        "invept-type-0", "invept-type-3", "invept-type-ffffffff", "invept-single-good", "invept-global-good",
        "invept-single-eptp-memtype-1", "invept-single-eptp-walk-length-2", "invept-single-eptp-reserved-bit7",
        "invept-single-eptp-beyond-maxphyaddr", "invept-global-garbage-descriptor", "invept-single-reserved-high-qword",
        "invept-type-bit32", "invept-descriptor-noncanonical", "invept-descriptor-unmapped",
    };
    if (!has_ept() || !(caps.ept_vpid & EPTCAP_INVEPT)) {
        for (unsigned i = 0; i < ARRAY_SIZE(names); i++) hx_outcome(c, names[i], "n/a");
        return;
    }
    u64 e = ept_default.eptp;
    inv(c, names[0], true, 0, e, 0);
    inv(c, names[1], true, 3, e, 0);
    inv(c, names[2], true, 0xffffffffu, e, 0);
    inv(c, names[3], true, 1, e, 0);
    inv(c, names[4], true, 2, 0, 0);
    inv(c, names[5], true, 1, (e & ~7ull) | 1, 0);
    inv(c, names[6], true, 1, (e & ~0x38ull) | 0x08, 0);
    inv(c, names[7], true, 1, e | 0x80, 0);
    inv(c, names[8], true, 1, e | (1ull << hx_maxphyaddr()), 0);
    inv(c, names[9], true, 2, 0xffffffffffffffffull, 0xffffffffffffffffull);
    inv(c, names[10], true, 1, e, 0x1234);
    if (hx_amd64()) {
        /* SDM 31.3: in 64-bit mode the type is the whole 64-bit register, so 100000001H is
         * an unsupported type (VMfailValid 28); Bochs 2.7 uses bits 31:0: OPT_HOSTILE_SDM only */
        if (hx_sdm_only()) inv(c, names[11], true, (uintptr_t)0x100000001ull, e, 0);
        hx_report(c, names[12], hx_invept(2, HX_NONCANONICAL));
        hx_report(c, names[13], hx_invept(2, HX_UNMAPPED));
    } else {
        if (hx_sdm_only()) hx_outcome(c, names[11], "n/a");
        hx_outcome(c, names[12], "n/a");
        hx_outcome(c, names[13], "n/a");
    }
}

static void invvpid_cases(struct cpu *c)
{
    static const char *const names[] = {
        "invvpid-type-4", "invvpid-type-ffffffff", "invvpid-address-vpid-0", "invvpid-single-vpid-0",
        "invvpid-single-ng-vpid-0", "invvpid-address-noncanonical", "invvpid-single-reserved-bit16",
        "invvpid-all-reserved-bit63", "invvpid-all-good-any-vpid", "invvpid-address-good",
        "invvpid-type-bit32", "invvpid-descriptor-noncanonical", "invvpid-descriptor-unmapped",
    };
    if (!has_proc2(SEC_ENABLE_VPID) || !(caps.ept_vpid & VPIDCAP_INVVPID)) {
        for (unsigned i = 0; i < ARRAY_SIZE(names); i++) hx_outcome(c, names[i], "n/a");
        return;
    }
    inv(c, names[0], false, 4, 1, 0);
    inv(c, names[1], false, 0xffffffffu, 1, 0);
    inv(c, names[2], false, 0, 0, 0x1000);
    inv(c, names[3], false, 1, 0, 0);
    inv(c, names[4], false, 3, 0, 0);
    inv(c, names[5], false, 0, 1, 0x8000000000000000ull);
    inv(c, names[6], false, 1, 1 | (1ull << 16), 0);
    inv(c, names[7], false, 2, 1ull << 63, 0);
    inv(c, names[8], false, 2, 0x1234, 0);
    inv(c, names[9], false, 0, 1, 0x1000);
    if (hx_amd64()) {
        if (hx_sdm_only()) inv(c, names[10], false, (uintptr_t)0x100000001ull, 1, 0);   /* as INVEPT's */
        hx_report(c, names[11], hx_invvpid(2, HX_NONCANONICAL));
        hx_report(c, names[12], hx_invvpid(2, HX_UNMAPPED));
    } else {
        if (hx_sdm_only()) hx_outcome(c, names[10], "n/a");
        hx_outcome(c, names[11], "n/a");
        hx_outcome(c, names[12], "n/a");
    }
}

void hostile_msr_inv(struct cpu *c)
{
    msr_lists(c);
    vcpu_reset(c, hx_guest_nop, 0);
    invept_cases(c);
    invvpid_cases(c);
}
