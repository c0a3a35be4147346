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

void test_bench(struct cpu *c)
{
    if (c->iter != 0 || c->index != 0) return;   /* once, on the BSP */
    u64 out[2] = { 0, 0 };
    bool nv = under_nestvisor();
    vcpu_reset(c, guest_bench, (uintptr_t)out);
    u64 e0 = nv ? l0_exits() : 0;
    u32 r = guest_run(c, NULL, NULL);
    u64 e1 = nv ? l0_exits() : 0;
    CHECK("bench", r == EXIT_REASON_VMCALL, "last exit %u", r);
    if (nv)
        cprintf("BENCH l2_cpuid_ticks_min=%llu l2_cpuid_ticks_avg=%llu l0_exits_per_l2_cpuid_x100=%llu",
                (unsigned long long)out[0], (unsigned long long)out[1], (unsigned long long)((e1 - e0) * 100 / BENCH_N));
    else
        cprintf("BENCH l2_cpuid_ticks_min=%llu l2_cpuid_ticks_avg=%llu", (unsigned long long)out[0],
                (unsigned long long)out[1]);
}
