/* mtrr_read.c - fill a struct mtrr_state from the MTRR MSRs (SDM 12.11) */
#include "mtrr_read.h"
#include "mem.h"
#include "x86.h"

void mtrr_read_state(struct mtrr_state *s)
{
    memset(s, 0, sizeof *s);
    struct cpuid_regs r = cpuid(0x80000000, 0);
    s->maxphyaddr = r.eax >= 0x80000008 ? (cpuid(0x80000008, 0).eax & 0xff) : 36;
    if (!(cpuid(1, 0).edx & BIT(12))) return; /* no MTRRs: everything reads as disabled (UC) */
    s->cap = rdmsr(MSR_IA32_MTRRCAP);
    s->def_type = rdmsr(MSR_IA32_MTRR_DEF_TYPE);
    if (s->cap & BIT(8))
        for (unsigned i = 0; i < 11; i++) s->fixed[i] = rdmsr(mtrr_fixed_msrs[i]);
    unsigned n = s->cap & 0xff;
    if (n > MTRR_MAX_VAR) n = MTRR_MAX_VAR;
    for (unsigned i = 0; i < n; i++) {
        s->var_base[i] = rdmsr(0x200 + 2 * i);
        s->var_mask[i] = rdmsr(0x201 + 2 * i);
    }
}
