/* msr_list.c - VM-entry MSR-load, VM-exit MSR-store and MSR-load lists of a VMCS12, per SDM 26.4, 27.4, 27.6 (pure logic). */
#include "msr_list.h"
#include "lib/vmx_defs.h"

uint32_t msr_list_limit(uint64_t vmx_misc)
{
    return VMX_MISC_MSR_LIST_MAX(vmx_misc);
}

static bool fits(uint64_t addr, unsigned width) { return (addr >> width) == 0; }

bool msr_list_area_ok(uint64_t addr, uint32_t count, unsigned paddr_width)
{
    unsigned w = paddr_width < 32 ? 32 : paddr_width > 52 ? 52 : paddr_width;

    if (count == 0)
        return true;
    if ((addr & 0xfu) != 0 || !fits(addr, w))
        return false;
    /* addr < 2^52 and 16 * count < 2^36: the sum cannot wrap */
    return fits(addr + (uint64_t)count * 16u - 1u, w);
}

const char *msr_list_check_entry(enum msr_list_kind kind, const struct msr_list_entry *e)
{
    uint32_t i = e->index;

    if (kind == MSR_LIST_EXIT_STORE) {
        /* 27.4, in the SDM's order */
        if ((i >> 8) == 0x8u)
            return "27.4 MSR-store entry: x2APIC MSR (bits 31:8 = 000008H)";
        if (i == MSR_LIST_IA32_SMBASE)
            return "27.4 MSR-store entry: MSR readable only in SMM (IA32_SMBASE)";
        if (e->reserved != 0)
            return "27.4 MSR-store entry: bits 63:32 not 0";
        return NULL;
    }
    if (kind == MSR_LIST_ENTRY_LOAD) {
        /* 26.4, in the SDM's order */
        if (i == MSR_LIST_IA32_FS_BASE || i == MSR_LIST_IA32_GS_BASE)
            return "26.4 MSR-load entry: IA32_FS_BASE or IA32_GS_BASE";
        if ((i >> 8) == 0x8u)
            return "26.4 MSR-load entry: x2APIC MSR (bits 31:8 = 000008H)";
        if (i == MSR_LIST_IA32_SMM_MONITOR_CTL || i == MSR_LIST_IA32_SMBASE)
            return "26.4 MSR-load entry: MSR writable only in SMM";
        if (i == MSR_LIST_IA32_BIOS_UPDT_TRIG || i == MSR_LIST_IA32_BIOS_SIGN_ID)
            return "26.4 MSR-load entry: MSR not loadable for model-specific reasons (microcode update)";
        if (e->reserved != 0)
            return "26.4 MSR-load entry: bits 63:32 not 0";
        return NULL;
    }
    /* 27.6, in the SDM's order (it names only IA32_SMM_MONITOR_CTL as SMM-only) */
    if (i == MSR_LIST_IA32_FS_BASE || i == MSR_LIST_IA32_GS_BASE)
        return "27.6 MSR-load entry: IA32_FS_BASE or IA32_GS_BASE";
    if ((i >> 8) == 0x8u)
        return "27.6 MSR-load entry: x2APIC MSR (bits 31:8 = 000008H)";
    if (i == MSR_LIST_IA32_SMM_MONITOR_CTL)
        return "27.6 MSR-load entry: MSR writable only in SMM (IA32_SMM_MONITOR_CTL)";
    if (i == MSR_LIST_IA32_BIOS_UPDT_TRIG || i == MSR_LIST_IA32_BIOS_SIGN_ID)
        return "27.6 MSR-load entry: MSR not loadable for model-specific reasons (microcode update)";
    if (e->reserved != 0)
        return "27.6 MSR-load entry: bits 63:32 not 0";
    return NULL;
}

static struct msr_list_result fail(enum msr_list_kind kind, struct msr_list_result r, uint32_t n, uint32_t msr,
                                   const char *why)
{
    r.ok = false;
    r.entry = n;
    r.msr = msr;
    r.why = why;
    if (kind == MSR_LIST_ENTRY_LOAD)
        r.exit_reason = EXIT_REASON_FAILED_ENTRY | EXIT_REASON_ENTRY_FAIL_MSR;   /* 26.7: qualification n */
    else
        r.abort = kind == MSR_LIST_EXIT_STORE ? MSR_LIST_ABORT_STORE : MSR_LIST_ABORT_LOAD;   /* 27.7 */
    return r;
}

struct msr_list_result msr_list_process(enum msr_list_kind kind, uint64_t addr, uint32_t count, uint32_t limit,
                                        const struct msr_list_ops *ops)
{
    struct msr_list_result r = { .ok = true };
    uint32_t todo = count;

    if (count > limit) {
        /* entry list: 1..limit are processed, limit + 1 fails; exit lists: the rest is
         * ignored (the choice and its reasons: msr_list.h) */
        todo = limit;
        r.truncated = kind != MSR_LIST_ENTRY_LOAD;
    }
    for (uint32_t n = 1; n <= todo; n++) {
        uint64_t at = addr + 16u * (uint64_t)(n - 1);
        struct msr_list_entry e;
        const char *why;

        if (!ops->read || !ops->read(ops->ctx, at, &e, sizeof e)) {
            e.index = 0xffffffffu;   /* no memory there: all-ones, as a PC reads it */
            e.reserved = 0xffffffffu;
            e.value = ~0ull;
        }
        why = msr_list_check_entry(kind, &e);
        if (why)
            return fail(kind, r, n, e.index, why);
        if (kind == MSR_LIST_EXIT_STORE) {
            uint64_t v = 0;
            if (!ops->rdmsr || ops->rdmsr(ops->ctx, e.index, &v) != 0)
                return fail(kind, r, n, e.index, "27.4 MSR-store entry: RDMSR at CPL 0 would fault");
            if (ops->write)
                (void)ops->write(ops->ctx, at + 8u, &v, sizeof v);
        } else if (!ops->wrmsr || ops->wrmsr(ops->ctx, e.index, e.value) != 0) {
            return fail(kind, r, n, e.index, kind == MSR_LIST_ENTRY_LOAD ? "26.4 MSR-load entry: WRMSR at CPL 0 would fault"
                                                                         : "27.6 MSR-load entry: WRMSR at CPL 0 would fault");
        }
        r.processed = n;
    }
    if (kind == MSR_LIST_ENTRY_LOAD && count > limit)
        return fail(kind, r, limit + 1u, 0, "24.8.2 VM-entry MSR-load count above IA32_VMX_MISC's recommended maximum");
    return r;
}
