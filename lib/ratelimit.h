/* ratelimit.h - lock-free per-call-site log rate limiter (pure logic) */
#ifndef LIB_RATELIMIT_H
#define LIB_RATELIMIT_H

#include "types.h"

#define RL_BURST 8

struct ratelimit { u64 count, printed; };

/* Counts one event. True if it should be printed; *suppressed is then the number of
 * events dropped since the last printed one. After RL_BURST events only events whose
 * count is a power of two are printed. */
static inline bool ratelimit_allow(struct ratelimit *rl, u64 *suppressed)
{
    u64 n = __atomic_add_fetch(&rl->count, 1, __ATOMIC_RELAXED);
    if (n > RL_BURST && (n & (n - 1)))
        return false;
    u64 prev = __atomic_exchange_n(&rl->printed, n, __ATOMIC_RELAXED);
    *suppressed = n > prev + 1 ? n - prev - 1 : 0;
    return true;
}

#endif
