/* spinlock.h - test-and-test-and-set spinlock */
#ifndef LIB_SPINLOCK_H
#define LIB_SPINLOCK_H

#include "types.h"

typedef struct { volatile u32 locked; } spinlock_t;
#define SPINLOCK_INIT { 0 }

static inline void spin_lock(spinlock_t *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            __asm__ __volatile__("pause" : : : "memory");
}

static inline void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }

#endif
