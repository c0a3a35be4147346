/* stats.c - per-CPU VM-exit counters by reason, the end-of-run report, and XSETBV */
#include "hv.h"
#include "format.h"
#include "x86.h"

static const char *const reason_names[EXIT_REASON_MAX + 1] = {
    [0] = "exception/nmi", [1] = "ext-intr", [2] = "triple-fault", [3] = "init", [4] = "sipi",
    [7] = "intr-window", [8] = "nmi-window", [9] = "task-switch", [10] = "cpuid", [12] = "hlt",
    [13] = "invd", [14] = "invlpg", [16] = "rdtsc", [18] = "vmcall", [19] = "vmclear", [20] = "vmlaunch",
    [21] = "vmptrld", [22] = "vmptrst", [23] = "vmread", [24] = "vmresume", [25] = "vmwrite",
    [26] = "vmxoff", [27] = "vmxon", [28] = "cr-access", [30] = "io", [31] = "rdmsr", [32] = "wrmsr",
    [33] = "entry-fail-guest", [34] = "entry-fail-msr", [37] = "mtf", [48] = "ept-violation",
    [49] = "ept-misconfig", [50] = "invept", [52] = "preemption-timer", [53] = "invvpid", [55] = "xsetbv",
};

void stats_print(const char *why)
{
    cprintf("VM-exit counters (%s):", why);
    u64 all = 0;
    for (unsigned c = 0; c < vm.ncpus; c++) {
        const struct pcpu *p = vm.cpus[c];
        if (!p) continue;
        char line[400];
        int n = nv_snprintf(line, sizeof line, "  cpu %u (APIC 0x%02x): %llu exits", c, p->apic_id,
                            (unsigned long long)p->exits_total);
        for (unsigned r = 0; r <= EXIT_REASON_MAX && n < (int)sizeof line - 40; r++)
            if (p->exits[r])
                n += nv_snprintf(line + n, sizeof line - n, " %s=%llu", reason_names[r] ? reason_names[r] : "?",
                                 (unsigned long long)p->exits[r]);
        cprintf("%s", line);
        if (p->apic_emulated)
            cprintf("  cpu %u xAPIC: %llu guest accesses emulated (decoded MOVs)", c, (unsigned long long)p->apic_emulated);
        const struct nested *nn = &p->nested;
        if (nn->entries)
            cprintf("  cpu %u nested: %llu L2 entries, %llu exits reflected to L1, %llu handled by L0, EPT02 %llu fills %llu resets %u peak_pages",
                    c, (unsigned long long)nn->entries, (unsigned long long)nn->reflected,
                    (unsigned long long)nn->l0_handled, (unsigned long long)nn->ept02_fills,
                    (unsigned long long)nn->ept02_resets, ept02_peak_pages(p));
        if (nn->entries)
            cprintf("  cpu %u nested L0 ticks: entries %llu (%llu each), reflections %llu (%llu each), VMREAD/VMWRITE %llu",
                    c, (unsigned long long)nn->ticks_entry, (unsigned long long)(nn->ticks_entry / nn->entries),
                    (unsigned long long)nn->ticks_reflect,
                    (unsigned long long)(nn->reflected ? nn->ticks_reflect / nn->reflected : 0),
                    (unsigned long long)nn->ticks_vmrw);
        if (nn->entries)
            cprintf("  cpu %u nested entry ticks by phase: checks %llu, VMCS02 %llu, bitmaps %llu, MSR list %llu (each)", c,
                    (unsigned long long)(nn->ticks_entry_phase[0] / nn->entries),
                    (unsigned long long)(nn->ticks_entry_phase[1] / nn->entries),
                    (unsigned long long)(nn->ticks_entry_phase[2] / nn->entries),
                    (unsigned long long)(nn->ticks_entry_phase[3] / nn->entries));
        if (nn->shadow_pulls || nn->shadow_flushes)
            cprintf("  cpu %u VMCS shadowing for L1: %llu pulls, %llu flushes (%llu fields)", c,
                    (unsigned long long)nn->shadow_pulls, (unsigned long long)nn->shadow_flushes,
                    (unsigned long long)nn->shadow_rows_flushed);
        all += p->exits_total;
    }
    cprintf("NESTVISOR-EXITS total=%llu", (unsigned long long)all);
    console_drain(); /* the guest's next write may end the emulator: let the UART empty first */
}

void vm_report_and_end(const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    nv_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    stats_print("end of run");
    cprintf("NESTVISOR-RESULT %s", buf);
    machine_shutdown();
}

/* XSETBV always exits (SDM 26.1.2): done on the CPU for the guest, after the SDM's checks. */
void handle_xsetbv(struct pcpu *p)
{
    u64 v = ((u64)(u32)p->regs.dx << 32) | (u32)p->regs.ax;
    struct cpuid_regs x = cpuid(0xd, 0);
    u64 supported = ((u64)x.edx << 32) | x.eax;
    bool xsave = cpuid(1, 0).ecx & BIT(26);
    /* CR4.OSXSAVE is guest-owned (not in the CR4 mask): the guest value, not the read shadow */
    if (!xsave || !(vmcs_readnat(VMCS_GUEST_CR4) & BIT(18))) { inject_ud(); return; }
    if ((u32)p->regs.cx != 0 || !(v & 1) || (v & ~supported) || ((v & 4) && !(v & 2))) { inject_gp0(); return; }
    __asm__ __volatile__("xsetbv" : : "c"(0), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
    skip_instruction();
}
