/* hostile.h - the hostile-L1 suite: fault-catching VMX instruction wrappers, the case runner, one OUTCOME line per case */
#ifndef LHV_TESTS_HOSTILE_H
#define LHV_TESTS_HOSTILE_H

#include "lhv.h"
#include "trap.h"
#include "x86.h"

/*
 * Every case prints "OUTCOME hostile <case>: <result>", where result is what the CPU
 * (bare) or nestvisor (nested) answered: ok, VMfailInvalid, VMfailValid N (SDM 31.4),
 * #UD/#GP/#PF (the instruction faulted; caught through the exception-fixup table),
 * exit N (the guest ran and exited), entry-fail R qual Q (VM-entry failure, SDM 26.7),
 * or a text for cases whose answer depends on the capability MSRs this L1 reads (a
 * nested L1 is offered fewer features than the CPU has; the line then holds only
 * whether the answer agrees with what the capabilities say). The lab compares the lines
 * of a bare and a nested run and counts them (lab/nvlab/judge.py).
 */

/* Wrapper results: a VMX status (SDM 31.2) or HX_FAULT | vector. */
#define HX_OK 0
#define HX_INVALID 1
#define HX_VALID 2
#define HX_FAULT 0x100

/* The instruction, then RFLAGS in %0 (CF bit 0, ZF bit 6); a fault resumes at the fixup
 * with the vector in EAX (lib/trap.c), marked with HX_FAULT. */
#define HX_ASM(insn, ...)                                                                  \
    __asm__ __volatile__("1: " insn "\n\tpushf\n\tpop %0\n2:\n"                           \
                         ".pushsection .text.fixup, \"ax\"\n"                              \
                         "3: or $0x100, %0\n\tjmp 2b\n.popsection\n" EXTABLE(1b, 3b)       \
                         : "=&a"(r) : __VA_ARGS__ : "cc", "memory")

static inline int hx_rc(uintptr_t r)
{
    if (r & HX_FAULT) return (int)(r & 0x1ff);
    return (r & 1) ? HX_INVALID : (r & 0x40) ? HX_VALID : HX_OK;
}

/* Memory operands are given as (possibly hostile) linear addresses. */
static inline int hx_vmxon(uintptr_t p)   { uintptr_t r; HX_ASM("vmxon (%1)", "r"(p));   return hx_rc(r); }
static inline int hx_vmclear(uintptr_t p) { uintptr_t r; HX_ASM("vmclear (%1)", "r"(p)); return hx_rc(r); }
static inline int hx_vmptrld(uintptr_t p) { uintptr_t r; HX_ASM("vmptrld (%1)", "r"(p)); return hx_rc(r); }
static inline int hx_vmptrst(uintptr_t p) { uintptr_t r; HX_ASM("vmptrst (%1)", "r"(p)); return hx_rc(r); }
static inline int hx_vmxoff(void)         { uintptr_t r; HX_ASM("vmxoff", "i"(0));       return hx_rc(r); }
static inline int hx_vmlaunch(void)       { uintptr_t r; HX_ASM("vmlaunch", "i"(0));     return hx_rc(r); }
static inline int hx_vmresume(void)       { uintptr_t r; HX_ASM("vmresume", "i"(0));     return hx_rc(r); }
/* VMLAUNCH/VMRESUME right after MOV SS (blocking by MOV SS: SDM 26.1, error 26) */
static inline int hx_enter_after_mov_ss(bool resume)
{
    uintptr_t r, t;
    if (resume)
        __asm__ __volatile__("mov %%ss, %1\n\tmov %1, %%ss\n\tvmresume\n\tpushf\n\tpop %0"
                             : "=&a"(r), "=&r"(t) : : "cc", "memory");
    else
        __asm__ __volatile__("mov %%ss, %1\n\tmov %1, %%ss\n\tvmlaunch\n\tpushf\n\tpop %0"
                             : "=&a"(r), "=&r"(t) : : "cc", "memory");
    return hx_rc(r);
}
static inline int hx_vmread(uintptr_t enc, uintptr_t *v)
{
    uintptr_t r, out = 0;
    __asm__ __volatile__("1: vmread %2, %1\n\tpushf\n\tpop %0\n2:\n"
                         ".pushsection .text.fixup, \"ax\"\n"
                         "3: or $0x100, %0\n\tjmp 2b\n.popsection\n" EXTABLE(1b, 3b)
                         : "=&a"(r), "+r"(out) : "r"(enc) : "cc", "memory");
    *v = out;
    return hx_rc(r);
}
static inline int hx_vmwrite(uintptr_t enc, uintptr_t v) { uintptr_t r; HX_ASM("vmwrite %2, %1", "r"(enc), "r"(v)); return hx_rc(r); }
static inline int hx_vmread_mem(uintptr_t enc, uintptr_t p) { uintptr_t r; HX_ASM("vmread %1, (%2)", "r"(enc), "r"(p)); return hx_rc(r); }
static inline int hx_vmwrite_mem(uintptr_t enc, uintptr_t p) { uintptr_t r; HX_ASM("vmwrite (%2), %1", "r"(enc), "r"(p)); return hx_rc(r); }
static inline int hx_invept(uintptr_t type, uintptr_t desc) { uintptr_t r; HX_ASM("invept (%1), %2", "r"(desc), "r"(type)); return hx_rc(r); }
static inline int hx_invvpid(uintptr_t type, uintptr_t desc) { uintptr_t r; HX_ASM("invvpid (%1), %2", "r"(desc), "r"(type)); return hx_rc(r); }
static inline int hx_write_cr4(uintptr_t v) { uintptr_t r; HX_ASM("mov %1, %%cr4", "r"(v)); return hx_rc(r) == HX_VALID || hx_rc(r) == HX_INVALID ? HX_OK : hx_rc(r); }
static inline int hx_write_cr0(uintptr_t v) { uintptr_t r; HX_ASM("mov %1, %%cr0", "r"(v)); return hx_rc(r) == HX_VALID || hx_rc(r) == HX_INVALID ? HX_OK : hx_rc(r); }

/* Addresses no operand may use: non-canonical, and canonical but not mapped by LHV's
 * page tables (amd64 maps 4 GiB; i386 has neither, those cases print n/a). */
#define HX_NONCANONICAL ((uintptr_t)0x8000000000000000ull)
#define HX_UNMAPPED ((uintptr_t)0x0000100000000000ull)

/* ---- results ---- */
static inline int hx_str_cmp(const char *a, const char *b)
{
    while (*a && *a == *b) a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}
/* The text of a wrapper result (VMfailValid reads the VM-instruction error now). */
const char *hx_str(int rc, char *buf, size_t n);
/* Prints the case's OUTCOME line (BSP, first iteration). */
void hx_outcome(struct cpu *c, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* One instruction's answer as a case: hx_outcome(c, name, hx_str(rc)). */
void hx_report(struct cpu *c, const char *name, int rc);

/* ---- the VM-entry case runner ---- */
typedef void (*hx_mutate_t)(struct cpu *c, uintptr_t arg);
/* A good VMCS (vcpu_reset: a guest that VMCALLs at once), mut(c, arg), VMLAUNCH; prints
 * "VMfailValid N" / "VMfailInvalid" / "entry-fail R qual Q" / "exit N". Returns the line. */
const char *hx_launch(struct cpu *c, const char *name, hx_mutate_t mut, uintptr_t arg);
/* Its answer without printing (for cases that print a derived line). */
const char *hx_launch_quiet(struct cpu *c, hx_mutate_t mut, uintptr_t arg, char *buf, size_t n);

/* The same with one field changed, on the current good VMCS when the last case left it
 * as it was (a VMfail): the field is put back after a VMfail, no VMCS rebuilt. */
const char *hx_launch_field(struct cpu *c, u16 enc, u8 op, u64 val, char *buf, size_t n);

/* Table rows: one field of the good VMCS changed. */
enum hx_op { HX_SET, HX_OR, HX_CLEAR, HX_XOR };
struct hx_row { const char *name; u16 enc; u8 op; u64 val; };
void hx_run_rows(struct cpu *c, const struct hx_row *rows, unsigned n);
void hx_field_apply(u16 enc, u8 op, u64 val);

/* Cases where Bochs 2.7 (the lab's bare oracle) is laxer than the SDM: run only with
 * OPT_HOSTILE_SDM (for silicon), so that bare and nested compare on the SDM's ground
 * (lab/README.md lists them). False: leave the case out (no line). */
static inline bool hx_sdm_only(void) { return (lhv_opt & OPT_HOSTILE_SDM) != 0; }

/* ---- shared facts ---- */
unsigned hx_maxphyaddr(void);
static inline bool hx_amd64(void) { return sizeof(uintptr_t) == 8; }
static inline u32 hx_revision(void) { return (u32)caps.basic & 0x7fffffff; }
void hx_guest_nop(uintptr_t unused);
extern u8 *hx_scratch;     /* a page for hostile regions and lists (BSP only) */

/* ---- the groups, in the order they run ---- */
void hostile_vmxon(struct cpu *c);      /* hostile_vmxon.c: VMXON/VMXOFF, VMPTRLD/VMCLEAR/VMPTRST, launch state */
void hostile_vmrw(struct cpu *c);       /* hostile_vmrw.c: VMREAD/VMWRITE */
void hostile_controls(struct cpu *c);   /* hostile_controls.c: control bits, control-field rules, EPTP, event injection */
void hostile_state(struct cpu *c);      /* hostile_state.c: host state and guest state */
void hostile_msr_inv(struct cpu *c);    /* hostile_msr_inv.c: MSR-load/store lists, INVEPT/INVVPID */
void hostile_events(struct cpu *c);     /* hostile_events.c: EPT12 onto nestvisor's memory, an NMI storm */
void hostile_events_init(void);

#endif
