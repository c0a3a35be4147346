/* hv.h - nestvisor: per-CPU state, the VM's shared state, build options, and cross-module interfaces */
#ifndef HV_HV_H
#define HV_HV_H

#include "types.h"
#include "console.h"
#include "ept.h"
#include "layout.h"
#include "vmx.h"
#include "vmx_entry.h"
#include "../pure/mtrr.h"
#include "nested/nested.h"

/* ---- build options (Makefile: HV_BASE, INIT_SMP) ---- */
#ifndef HV_BASE
#define HV_BASE 0x10000000ull          /* 256 MiB */
#endif
#ifndef INIT_SMP
#define INIT_SMP 1                     /* 1: nestvisor starts the APs; 0: the guest's SIPI does */
#endif
#define HV_SIZE (64ull << 20)          /* nestvisor's region: image, tables, stacks, VMCSs */
#define HV_END (HV_BASE + HV_SIZE)
#define HV_MAX_CPUS 16

/* ---- per-CPU state, reached through %gs in constant time ---- */
enum ap_state { VCPU_WAIT_SIPI, VCPU_RUNNING };

struct lapic_step {                    /* single-stepping one guest access to the xAPIC page */
    bool active, write;
    u32 offset;
    uintptr_t saved_flags;             /* guest RFLAGS.TF/IF before the step */
};

struct pcpu {
    struct pcpu *self;                 /* %gs:0 */
    unsigned index;
    u32 apic_id;
    uintptr_t stack_top;
    void *vmxon;
    u64 vmxon_pa, vmcs01_pa;
    void *vmcs01;
    struct guest_regs regs;            /* L1's registers while L0 runs */
    bool launched;
    volatile int state;                /* enum ap_state */
    volatile bool init_pending, sipi_pending;
    volatile u8 sipi_vector;
    volatile u32 kicks_sent, kicks_seen;   /* NMIs sent by L0 to this CPU to make it exit */
    volatile u32 guest_nmis_pending;        /* NMIs owed to the guest */
    u32 lapic_icr_hi;                  /* the guest's last ICR high write (xAPIC) */
    struct lapic_step step;
    struct ept ept;                    /* this CPU's EPT01 root: shares all but the xAPIC path */
    u64 *apic_leaf;                    /* the private EPT01 leaf of the xAPIC page */
    void *apic_scratch;                /* the page a stepped write lands in */
    u64 ept_generation;                /* EPT01 changes seen (INVEPT when behind) */
    u64 exits[EXIT_REASON_MAX + 1];
    u64 exits_total;
    u64 apic_emulated;                 /* guest xAPIC accesses L0 emulated (decoded MOVs) */
    volatile const u64 *pv_fields;     /* the current VMCS's fields in its region (pv_vmcs.c), or NULL */
    struct nested nested;              /* L1's VMX (hv/nested) */
};

/* Body of nestvisor's long wait loops. Not PAUSE: on Bochs 2.7 a CPU spinning on PAUSE in
 * VMX root stalled the other CPUs' guests (seen with the INIT-SIPI test: the guest BSP
 * stopped making progress until the spinning CPU left its loop). */
static inline void wait_relax(void) { __asm__ __volatile__("" ::: "memory"); }

static inline u64 va_to_pa(const void *p) { return (u64)(uintptr_t)p; } /* identity mapped */

/* The guest's CPL: SS.DPL (SDM 5.5; the VMCS keeps it in the SS access rights). */
static inline unsigned guest_cpl(void) { return (vmcs_read32(VMCS_GUEST_SS_AR) >> 5) & 3; }

struct pcpu;
/* A general register by the 4-bit number exit information uses (SDM Table 28-3):
 * RSP lives in the VMCS, the others in pcpu.regs; R8-R15 read 0 on i386. */
u64 guest_gpr_read(struct pcpu *p, unsigned n);
void guest_gpr_write(struct pcpu *p, unsigned n, uintptr_t v);

static inline struct pcpu *this_pcpu(void)
{
    struct pcpu *p;
    __asm__ __volatile__("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* ---- the one VM (L1) and what all CPUs share ---- */
#define E820_MAX 64
struct e820_entry { u64 addr, len; u32 type; } PACKED;
_Static_assert(sizeof(struct e820_entry) == 20, "E820 entry layout (ACPI 15.1)");

struct vm {
    struct pcpu *cpus[HV_MAX_CPUS];
    unsigned ncpus;
    u32 apic_ids[HV_MAX_CPUS];         /* MADT order; index = CPU index */
    u8 boot_drive;
    const u8 *bootsector;              /* the disk's MBR from GRUB (module "bootsector") */
    u64 ram_top;
    unsigned level;                    /* 0 = on hardware; n = under n nestvisors */
    struct mtrr_state host_mtrrs;      /* as the BIOS left them */
    struct mtrr_state guest_mtrrs;     /* the guest's view (virtual MTRRs) */
    struct ept ept01;                  /* shared EPT01 tree (template for per-CPU roots) */
    volatile u64 ept_generation;
    void *msr_bitmap, *io_bitmap_a, *io_bitmap_b;
    void *decoy_page;                  /* what guest accesses to nestvisor memory see */
    struct e820_entry e820[E820_MAX];
    unsigned e820_count;
    u32 e820_stub;                     /* linear address of the INT 15h stub's VMCALL */
    u16 pm1a_cnt_port;                 /* ACPI poweroff port (FADT), 0 if unknown */
};
extern struct vm vm;

/* ---- VMX capabilities (read once) ---- */
struct vmx_caps {
    u64 basic, pin, proc, exit, entry, misc, proc2, ept_vpid;
    u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};
extern struct vmx_caps caps;
static inline bool cap_proc2(u32 bit) { return (caps.proc >> 32 & PROC_ACTIVATE_SECONDARY) && (caps.proc2 >> 32 & bit); }

/* ---- module interfaces ---- */
void vmx_read_caps(void);
void vmx_cpu_on(struct pcpu *p);
void vmcs01_setup(struct pcpu *p);                  /* controls + host state */
void guest_state_realmode(u16 cs, u32 rip, u32 rdx);/* guest state of a CPU after reset/SIPI */
NORETURN void vcpu_run(struct pcpu *p);             /* enter/exit loop, never returns */
void vm_report_and_end(const char *verdict_fmt, ...) __attribute__((format(printf, 1, 2)));

void ept01_build(void);
void ept01_cpu_init(struct pcpu *p);
void ept01_mtrr_changed(void);
void ept01_sync(struct pcpu *p);                    /* INVEPT if the shared tree changed */

void e820_build(const void *mb_view);
void msr_bitmap_init(void);
void io_bitmap_init(void);
void nmi_init(void);
void e820_install_stub(void);

void inject_exception(u8 vector, bool has_error, u32 error);
void inject_ud(void);
void inject_gp0(void);
void skip_instruction(void);
void resume_faulted_access(void);                   /* L0 resolved a faulting access: re-run it as is */
struct gpaging_ctx;
void guest_paging_ctx(struct gpaging_ctx *g);       /* the current guest's paging, for pure/guest_paging */
void skip_instruction_len(unsigned len);            /* skip_instruction() for a length L0 decoded */

void apic_icr_write(struct pcpu *p, u32 lo, u32 hi, bool x2apic);
void sipi_wait_and_start(struct pcpu *p);          /* AP: wait for the guest's SIPI */
void kick_cpu(struct pcpu *target);                 /* make a CPU leave the guest (NMI) */
void stats_print(const char *why);

/* Exit handlers: each returns normally to resume the guest. */
typedef void (*exit_handler_fn)(struct pcpu *p);
void handle_cpuid(struct pcpu *p);
void handle_rdmsr(struct pcpu *p);
int guest_rdmsr(struct pcpu *p, u32 msr, u64 *v);   /* 0 or the vector the access raises */
int guest_wrmsr(struct pcpu *p, u32 msr, u64 v);
void guest_load_pdptes(void);                       /* PAE without long mode: VMCS PDPTEs from CR3 */
void handle_wrmsr(struct pcpu *p);
void handle_cr_access(struct pcpu *p);
void handle_io(struct pcpu *p);
void handle_vmcall(struct pcpu *p);
void handle_xsetbv(struct pcpu *p);
void handle_ept_violation(struct pcpu *p);
void handle_exception_nmi(struct pcpu *p);
void handle_nmi_window(struct pcpu *p);
void lapic_step_done(struct pcpu *p);
void nmi_deliver_pending(struct pcpu *p);
bool nmi_take_kick(struct pcpu *p);
void nmi_owe(struct pcpu *p);                      /* an NMI (not a kick) is owed to the guest of the current VMCS */
void nmi_unblock(void);                             /* IRET to self: end NMI blocking after an NMI exit */                 /* an arrived NMI was L0's own kick */

/* Hypercalls (VMCALL with EAX = number). */
#define HC_MAGIC 0x4e560000u
#define HC_STATS (HC_MAGIC | 1)       /* print VM-exit counters */
#define HC_EXITS (HC_MAGIC | 2)       /* EDX:EAX = this CPU's VM-exit count */
#define CPUID_HV_LEAF 0x40000000u
#define CPUID_HV_SIGNATURE "nestvisor   "
/* CPUID 0x40000001 ECX bit 0: L1's current VMCS region holds every field, current (pv_vmcs.c);
 * EDX = the layout id */
#define PV_VMCS12_CURRENT BIT(0)
void pv_vmcs_cpuid(u32 *ecx, u32 *edx);
void pv_vmcs_init(void);
void vmcs_load(struct pcpu *p, u64 pa);               /* VMPTRLD (PANIC on failure) */

#endif
