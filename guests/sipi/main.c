/* main.c - INIT-SIPI-SIPI an AP twice, check it runs under the hypervisor both times, and poke at the hypervisor's memory */
#include "types.h"
#include "acpi.h"
#include "apic.h"
#include "console.h"
#include "mem.h"
#include "multiboot.h"
#include "trap.h"
#include "x86.h"
#include "bench.h"

#define TRAMPOLINE 0x8000
static u8 ap_stack[2][4096] ALIGNED(16);
static volatile u32 ap_runs;
static volatile u32 ap_signature_ok[2];
static unsigned failures;
static volatile u32 ap_timer_ticks;
#define TIMER_VECTOR 0x40

void sipi_main(u32 magic, u32 mbi);
void sipi_ap_main(void);
void ap_entry32(void);
extern u8 bsp_stack[];


u32 this_cpu_apic_id(void) { return lapic_id(); }
NORETURN void panic_stop(void)
{
    cprintf("NESTVISOR-RESULT FAIL sipi-test panic");
    machine_shutdown();
}

static bool hv_signature(u32 *base_mib)
{
    struct cpuid_regs r = cpuid(0x40000000, 0);
    char sig[13];
    memcpy(sig, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    sig[12] = 0;
    if (base_mib) *base_mib = cpuid(0x40000001, 0).ebx;
    return !memcmp(sig, "nestvisor   ", 12);
}

static void timer_irq(struct trap_frame *f)
{
    if (f->vector == TIMER_VECTOR) ap_timer_ticks++;
    lapic_eoi();
}

/* The AP: CPUID answers "nestvisor" only if the AP runs as nestvisor's guest. After its
 * first start it idles the way an OS does: its local APIC timer ticks and it sleeps in
 * HLT with interrupts on between ticks (the timer must keep waking it). */
void sipi_ap_main(void)
{
    u32 n = ap_runs;
    if (n < 2) ap_signature_ok[n] = hv_signature(0);
    cprintf("sipi-test: AP run %u, hypervisor signature %s", n + 1, ap_signature_ok[n < 2 ? n : 1] ? "nestvisor" : "absent");
    __atomic_store_n(&ap_runs, n + 1, __ATOMIC_SEQ_CST);
    if (n != 0) return;
    uintptr_t sp = (uintptr_t)&sp;
    trap_init_cpu(1, (sp & ~0xfffu) + 0x1000);
    lapic_enable();
    lapic_write(0x3e0, 0xb);                          /* divide by 1 */
    lapic_write(0x320, (1u << 17) | TIMER_VECTOR);    /* periodic */
    lapic_write(0x380, 200000);
    for (;;) __asm__ __volatile__("sti; hlt; cli" ::: "memory");
}

static bool expect_hv = true;

static void fail(const char *what)
{
    if (!expect_hv) {
        cprintf("sipi-test: (bare run) %s", what);
        return;
    }
    cprintf("FAIL sipi-test %s", what);
    failures++;
}

/* Emulated ticks (TSC) of one CPUID round trip: an exit to the hypervisor and back
 * under nestvisor, one instruction bare. Bochs's TSC counts instructions, so the figure
 * is repeatable (LAB.md). */
static void bench_cpuid(void)
{
    u64 best, avg;
    cpuid_round_trips(1000, &best, &avg);
    cprintf("BENCH cpuid_round_trip_ticks_min=%llu cpuid_round_trip_ticks_avg=%llu", (unsigned long long)best,
            (unsigned long long)avg);
}

void sipi_main(u32 magic, u32 mbi)
{
    struct mb_view mb = { (const struct mb_info *)(uintptr_t)mbi, 0 };
    const char *cmd = magic == MULTIBOOT_BOOTLOADER_MAGIC ? mb_cmdline(&mb) : "";
    console_init((u16)cmdline_get_u64(cmd, "serial", 0x3f8));
    trap_init_cpu(0, (uintptr_t)bsp_stack + 0x4000);
    trap_irq_hook = timer_irq;
    expect_hv = cmdline_get_u64(cmd, "expect_hv", 1) != 0;
    cprintf("sipi-test: INIT-SIPI-SIPI an AP twice under the hypervisor");
    u32 hv_mib = 0;
    if (!hv_signature(&hv_mib)) {
        fail("BSP does not run under nestvisor");
        hv_mib = 0; /* no nestvisor: no memory of its to poke at */
    }
    struct madt_info m;
    const struct acpi_madt *madt = acpi_find_madt(0);
    if (!madt || !madt_parse(madt, madt->h.length, &m) || m.ncpus < 2) {
        fail("no AP in the MADT");
        goto out;
    }
    u32 ap = m.apic_id[0] == lapic_id() ? m.apic_id[1] : m.apic_id[0];
    for (u32 round = 0; round < 2; round++) {
        smp_start_ap(ap, (u32)(uintptr_t)ap_entry32, (u32)(uintptr_t)(ap_stack[round] + 4096), TRAMPOLINE);
        for (u32 w = 0; w < 100000000 && ap_runs <= round; w++) cpu_relax();
        if (ap_runs <= round) { fail(round ? "AP did not restart on the second INIT-SIPI-SIPI" : "AP did not start"); goto out; }
        if (!ap_signature_ok[round]) fail(round ? "second start left VMX non-root" : "first start not under nestvisor");
        if (round == 0) {
            /* the AP now sleeps in HLT between its timer interrupts: they must keep coming */
            u32 t0 = ap_timer_ticks;
            for (u32 w = 0; w < 200000000 && ap_timer_ticks < t0 + 20; w++) cpu_relax();
            u32 got = ap_timer_ticks - t0;
            cprintf("OUTCOME sipi-test ap-timer-wakes-hlt ticks=%u", got >= 20 ? 20 : got);
            if (got < 20) fail("the AP's timer interrupts do not wake it from HLT");
        }
        cprintf("OUTCOME sipi-test round %u ap=0x%x runs=%u under_nestvisor=%u", round + 1, ap, ap_runs, ap_signature_ok[round]);
    }
    /* nestvisor's memory: reads must not see its image, writes must not reach it */
    if (hv_mib) {
        volatile u32 *hv = (volatile u32 *)(uintptr_t)(hv_mib << 20);
        bool seen = false;
        for (u32 i = 0; i < 2048; i++) seen |= hv[i] == 0x1badb002u;
        for (u32 i = 0; i < 16384; i++) hv[i] = 0xdeadbeef;
        bool alive = hv_signature(0);
        cprintf("OUTCOME sipi-test hv-memory base=0x%x image_visible=%u hypervisor_alive_after_writes=%u", hv_mib << 20, seen, alive);
        if (seen) fail("nestvisor's image is readable by its guest");
        if (!alive) fail("nestvisor stopped answering after the guest wrote to its memory");
    }
out:
    bench_cpuid();
    cprintf("NESTVISOR-RESULT %s sipi-test (%u failures)", failures ? "FAIL" : "PASS", failures);
    machine_shutdown();
}
