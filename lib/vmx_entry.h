/* vmx_entry.h - guest register block and the VM entry/exit stub (lib/arch/vmx_entry_*.S) */
#ifndef LIB_VMX_ENTRY_H
#define LIB_VMX_ENTRY_H

#include "types.h"

/* Saved/restored by vmx_enter; layout shared with the assembly (offsets checked below). */
struct guest_regs {
    uintptr_t ax, bx, cx, dx, si, di, bp;
#ifdef __x86_64__
    uintptr_t r8, r9, r10, r11, r12, r13, r14, r15;
#endif
};
#define GUEST_REG_OFF(r) (__builtin_offsetof(struct guest_regs, r) / sizeof(uintptr_t))
_Static_assert(GUEST_REG_OFF(ax) == 0 && GUEST_REG_OFF(bx) == 1 && GUEST_REG_OFF(cx) == 2 &&
               GUEST_REG_OFF(dx) == 3 && GUEST_REG_OFF(si) == 4 && GUEST_REG_OFF(di) == 5 &&
               GUEST_REG_OFF(bp) == 6, "guest_regs vs vmx_entry_*.S");
#ifdef __x86_64__
_Static_assert(GUEST_REG_OFF(r8) == 7 && GUEST_REG_OFF(r15) == 14, "guest_regs vs vmx_entry_amd64.S");
#endif

/* Enters the guest of the current VMCS (VMRESUME if launched, else VMLAUNCH) after
 * writing HOST_RSP; returns 0 after a VM exit (HOST_RIP must be vmx_exit_label), or the
 * VMfail status (1 invalid, 2 valid) of the entry instruction. */
int vmx_enter(struct guest_regs *r, int launched);
extern const char vmx_exit_label[];

/* General register by the 4-bit number used in exit qualifications (SDM Table 28-3);
 * RSP (4) lives in the VMCS, so callers handle it themselves. */
static inline uintptr_t *guest_gpr(struct guest_regs *r, unsigned n)
{
    static const unsigned char map[16] = { 0, 2, 3, 1, 255, 6, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14 };
    unsigned i = map[n & 15];
#ifndef __x86_64__
    if (i >= 7) return 0;
#endif
    return i == 255 ? 0 : (uintptr_t *)r + i;
}

#endif
