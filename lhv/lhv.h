/* lhv.h - LHV, the lightweight test hypervisor: per-CPU state, guest runner and test framework */
#ifndef LHV_LHV_H
#define LHV_LHV_H

#include "types.h"
#include "layout.h"
#include "console.h"
#include "vmx.h"
#include "../pure/mtrr.h"
#include "ept.h"
#include "page_alloc.h"
#include "vmx_entry.h"

/* ---- options (multiboot command line "lhv_opt=0x..."; README lists them) ---- */
#define OPT_MSR_AREAS       BIT(0)
#define OPT_EPT_MTRR        BIT(1)
#define OPT_EPT_SWITCH      BIT(2)
#define OPT_VPID            BIT(3)
#define OPT_UNRESTRICTED    BIT(4)
#define OPT_VMCS_CYCLE      BIT(5)
#define OPT_EPT_LARGE       BIT(6)
#define OPT_MSR_BITMAP      BIT(7)
#define OPT_USER_MODE       BIT(8)
#define OPT_WRMSR_FAULT     BIT(9)
#define OPT_NMI             BIT(10)
#define OPT_PREEMPT_TIMER   BIT(11)
#define OPT_VMCS_SHADOW     BIT(12)
#define OPT_BENCH           BIT(13)   /* BENCH line: L2 CPUID round trip (BSP, first iteration) */
#define OPT_NMI_EXP         BIT(14)   /* NMI experiments (lhv/tests/nmi_exp*.c); not in the default lhv runs */
#define OPT_HOSTILE         BIT(15)   /* the hostile-L1 suite (BSP, first iteration): lhv-hostile, hv-hostile */
#define OPT_HOSTILE_SDM     BIT(16)   /* with it, also the hostile cases Bochs 2.7 answers against the SDM */

/* ---- VMX capabilities, read once on the BSP ---- */
struct vmx_caps {
    u64 basic, pin, proc, exit, entry, misc, proc2, ept_vpid;
    u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    bool true_ctls;
};
extern struct vmx_caps caps;
static inline bool has_proc2(u32 bit) { return (caps.proc >> 32 & PROC_ACTIVATE_SECONDARY) && (caps.proc2 >> 32 & bit); }
static inline bool has_pin(u32 bit) { return (caps.pin >> 32) & bit; }
static inline bool has_proc(u32 bit) { return (caps.proc >> 32) & bit; }
static inline bool has_entry(u32 bit) { return (caps.entry >> 32) & bit; }
static inline bool has_exit(u32 bit) { return (caps.exit >> 32) & bit; }
static inline bool has_ept(void) { return has_proc2(SEC_ENABLE_EPT); }

/* ---- a guest: one VMCS and its registers ---- */
struct vcpu {
    void *vmcs;
    u64 vmcs_pa;
    bool launched;
    struct guest_regs regs;
    u32 exit_reason;         /* last basic exit reason (or ~0 after a VMfail) */
};

/* ---- per-CPU state; the base of every stack points at its owner ---- */
struct cpu {
    unsigned index;
    u32 apic_id;
    void *vmxon;
    u64 vmxon_pa;
    struct vcpu vcpu;                 /* the test guest */
    void *shadow_vmcs, *msr_bitmap, *msr_area, *vmrw_bitmap;
    uintptr_t guest_stack_top;
    void (*guest_fn)(uintptr_t);       /* what the guest runs (guest_trampoline calls it) */
    uintptr_t guest_arg;
    volatile u32 nmi_count;
    volatile int nmi_mode;             /* what the guest's NMI handler does */
    volatile bool nmi_exp;             /* an NMI experiment runs: its handlers take NMIs and interrupts */
    unsigned iter;
    unsigned failures;                 /* this CPU's test failures */
    volatile bool alive;
};
struct stack_hdr { struct cpu *cpu; };

static inline struct cpu *this_cpu(void)
{
    uintptr_t sp;
    __asm__ __volatile__("mov %%" 
#ifdef __x86_64__
                         "rsp"
#else
                         "esp"
#endif
                         ", %0" : "=r"(sp));
    return ((struct stack_hdr *)(sp & ~(uintptr_t)(STACK_SIZE - 1)))->cpu;
}

/* ---- memory ---- */
static inline u64 va_to_pa(const void *p) { return (u64)(uintptr_t)p; } /* identity mapped */

/* ---- global state ---- */
extern u32 lhv_opt;
extern unsigned ncpus;
extern struct mtrr_state mtrrs;
extern u64 ram_top;
extern unsigned nmi_soak;                       /* nmi_soak=N: NMI experiments run N more times, random order */

/* ---- VMCS set-up and the guest runner ---- */
void lhv_global_init(void);                     /* BSP, before APs start */
void vmx_cpu_on(struct cpu *c);
/* VMCLEAR + VMPTRLD the CPU's test VMCS and fill it with a guest that runs 'fn(arg)'
 * in the host's own mode (same CR3, GDT, IDT), with EPT identity if the CPU has EPT. */
void vcpu_reset(struct cpu *c, void (*fn)(uintptr_t), uintptr_t arg);
void vmcs_write_guest_start(struct cpu *c, void (*fn)(uintptr_t), uintptr_t arg);

enum exit_action { EXIT_RESUME, EXIT_STOP, EXIT_UNHANDLED };
typedef enum exit_action (*exit_handler_t)(struct cpu *c, u32 reason, void *ctx);
/* Runs the guest until it finishes (hypercall HC_DONE), the handler returns EXIT_STOP,
 * or something unexpected happens (reported as a failure). Returns the last exit
 * reason, or ~0u on a VMfail of VMLAUNCH/VMRESUME (error printed). */
u32 guest_run(struct cpu *c, exit_handler_t h, void *ctx);
void guest_skip_instruction(void);

/* Hypercalls from the guest: VMCALL with EAX = number, EBX/ECX = arguments. */
#define HC_DONE 0x4c48560u
#define HC_REPORT 0x4c48561u
static inline void hypercall(uintptr_t nr, uintptr_t a, uintptr_t b)
{
    __asm__ __volatile__("vmcall" : "+a"(nr), "+b"(a), "+c"(b) : : "memory", "cc");
}

/* ---- NMIs (tests/nmi.c): what the shared NMI handler does in a guest ---- */
#define NMI_MODE_COUNT 0
#define NMI_MODE_VMCALL 1   /* the guest's NMI handler reports from inside the handler */
#define NMI_REPORT_TAG 0x4e4d49u

/* ---- EPT ---- */
extern struct ept ept_default;

/* ---- tests ---- */
struct lhv_test {
    const char *name;
    u32 opt;
    bool (*supported)(void);   /* NULL = always; false = printed as skipped */
    void (*run)(struct cpu *c);
};
extern const struct lhv_test lhv_tests[];
extern const unsigned lhv_test_count;
void lhv_tests_init(void);
struct trap_frame;
void nmi_exp_nmi(struct trap_frame *f);         /* the NMI handler while an NMI experiment runs */

/* Failure: prints "FAIL <test> <reason>" and counts it (the judge fails the run). */
void test_fail(const char *test, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define CHECK(test, cond, fmt, ...) \
    do { if (!(cond)) test_fail(test, "%s:%d: %s: " fmt, __FILE__, __LINE__, #cond, ##__VA_ARGS__); } while (0)
/* Outcome lines ("OUTCOME <test> ...") record what the CPU did, for bare-vs-nested
 * comparison; printed in the first iteration only (serial output is slow). */
#define OUTCOME(c, test, fmt, ...) \
    do { if ((c)->iter == 0) cprintf("OUTCOME %s " fmt, test, ##__VA_ARGS__); } while (0)

#endif
