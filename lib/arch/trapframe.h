/* arch/trapframe.h - the register frame built by the exception stubs (layout shared with isr_*.S) */
#ifndef LIB_ARCH_TRAPFRAME_H
#define LIB_ARCH_TRAPFRAME_H

#include "../types.h"

/* Pushed by the stub (in this order from the top): the CPU frame, error code (or 0),
 * vector, then the general registers. 'ip' is writable: the exception-fixup table
 * redirects faulting instructions by rewriting it. */
struct trap_frame {
#ifdef __x86_64__
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 bp, di, si, dx, cx, bx, ax;
    u64 vector, error;
    u64 ip, cs, flags, sp, ss;
#else
    u32 di, si, bp, sp_unused, bx, dx, cx, ax; /* pusha order */
    u32 vector, error;
    u32 ip, cs, flags;                          /* sp/ss only on a ring change */
#endif
};
#ifdef __x86_64__
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame layout");
#else
_Static_assert(sizeof(struct trap_frame) == 13 * 4, "trap frame layout");
#endif

#endif
