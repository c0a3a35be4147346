/* bench.c - emulated ticks of an L2 CPUID exit handled by LHV, and (under nestvisor) the L0 exits each costs */
#include "lhv.h"
#include "mem.h"
#include "x86.h"
#include "bench.h"

#define BENCH_N 200

/* L2: BENCH_N CPUIDs, each an exit LHV emulates; the fastest and the average round trip */
static void guest_bench(uintptr_t arg)
{
    u64 *out = (u64 *)arg;
    cpuid_round_trips(BENCH_N, &out[0], &out[1]);
}

/* nestvisor's hypercall HC_EXITS (VMCALL EAX = 0x4e560002 from LHV in VMX root under
 * nestvisor): this CPU's L0 exit count. Only asked when CPUID names nestvisor. */
static bool under_nestvisor(void)
{
    struct cpuid_regs r = cpuid(0x40000000u, 0);
    return r.ebx == 0x7473656e && r.ecx == 0x6f736976; /* "nest" "viso" of "nestvisor   " */
}

static u64 l0_exits(void)
{
    uintptr_t a = 0x4e560002u, d = 0;
    __asm__ __volatile__("vmcall" : "+a"(a), "+d"(d) : : "memory", "cc");
    return ((u64)d << 32) | (u32)a;
}

static void guest_empty(uintptr_t unused) { (void)unused; }

/* L0 exits of one guest run: VMLAUNCH, the guest's exits, its closing VMCALL, the HC_EXITS
 * hypercall itself */
static u64 l0_exits_of_run(struct cpu *c, void (*fn)(uintptr_t), uintptr_t arg, u32 *last)
{
    vcpu_reset(c, fn, arg);
    u64 e0 = l0_exits();
    *last = guest_run(c, NULL, NULL);
    return l0_exits() - e0;
}

void test_bench(struct cpu *c)
{
    if (c->iter != 0 || c->index != 0) return;   /* once, on the BSP */
    u64 out[2] = { 0, 0 };
    u32 r, r0;
    if (!under_nestvisor()) {
        vcpu_reset(c, guest_bench, (uintptr_t)out);
        r = guest_run(c, NULL, NULL);
        CHECK("bench", r == EXIT_REASON_VMCALL, "last exit %u", r);
        cprintf("BENCH l2_cpuid_ticks_min=%llu l2_cpuid_ticks_avg=%llu", (unsigned long long)out[0],
                (unsigned long long)out[1]);
        return;
    }
    /* the run's fixed cost (entry, closing VMCALL, the measurement) from a run of a guest that
     * does nothing, taken away: what is left is what the BENCH_N CPUIDs cost */
    u64 fixed = l0_exits_of_run(c, guest_empty, 0, &r0);
    u64 all = l0_exits_of_run(c, guest_bench, (uintptr_t)out, &r);
    CHECK("bench", r == EXIT_REASON_VMCALL && r0 == EXIT_REASON_VMCALL, "last exit %u (empty run %u)", r, r0);
    CHECK("bench", all >= fixed, "the CPUID run took %llu L0 exits, fewer than the empty run's %llu",
          (unsigned long long)all, (unsigned long long)fixed);
    u64 net = all >= fixed ? all - fixed : 0;   /* (a failed check above: the figure is not a figure) */
    cprintf("BENCH l2_cpuid_ticks_min=%llu l2_cpuid_ticks_avg=%llu l0_exits_per_l2_cpuid_x100=%llu "
            "l0_exits_run=%llu l0_exits_empty_run=%llu",
            (unsigned long long)out[0], (unsigned long long)out[1], (unsigned long long)(net * 100 / BENCH_N),
            (unsigned long long)all, (unsigned long long)fixed);
}
