/* bench.h - the CPUID round trip the test guests report in BENCH lines (Bochs's TSC counts emulated instructions: repeatable) */
#ifndef LIB_BENCH_H
#define LIB_BENCH_H
#include "types.h"
#include "x86.h"

/* n CPUIDs (leaf 0): the fastest one and the average, in TSC ticks. Under a hypervisor
 * each is an exit and a resume; bare it is one instruction. */
static inline void cpuid_round_trips(unsigned n, u64 *min, u64 *avg)
{
    u64 best = ~0ull, t0 = rdtsc();
    for (unsigned i = 0; i < n; i++) {
        u64 a = rdtsc();
        cpuid(0, 0);
        u64 d = rdtsc() - a;
        if (d < best) best = d;
    }
    *min = best;
    *avg = (rdtsc() - t0) / n;
}
#endif
