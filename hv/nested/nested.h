/* nested.h - nested VMX: L1's virtual VMX state per CPU (VMXON, current VMCS12, VMCS02, EPT02) and the interfaces of hv/nested */
#ifndef HV_NESTED_NESTED_H
#define HV_NESTED_NESTED_H

#include "types.h"
#include "../pure/msr_list.h"

struct pcpu;

/*
 * Words as in DESIGN.md: L0 = nestvisor on the CPU, L1 = its guest (a hypervisor once it
 * executes VMXON), L2 = L1's guest. VMCS01 runs L1, VMCS12 is L1's VMCS (kept in L1's own
 * VMCS region, see vmcs12.c), VMCS02 runs L2 on the CPU.
 */

/* L1's VMCS region: bytes 0-3 revision (SDM 25.2), 4-7 VMX-abort indicator; the rest is
 * "implementation-specific": nestvisor keeps the launch state at 8 and every field of the
 * one field table (lib/vmcs_fields.h) as a u64 at VMCS12_FIELDS_OFF + 8 * row. */
#define VMCS12_LAUNCH_OFF 8
#define VMCS12_LAUNCHED_MAGIC 0x4c41554eu   /* "LAUN" */
#define VMCS12_FIELDS_OFF 16

#define EPT02_TREES 4                      /* EPT02 roots kept per CPU, one per EPTP12 */
#define EPT02_POOL_PAGES 512               /* table pages per CPU for all its EPT02 trees (2 MiB) */

struct ept02_tree;                         /* hv/nested/ept02.c */

#define SHADOW01_SLOTS 4                   /* shadow VMCSs per CPU mirroring L1's VMCS12s */
struct shadow01_slot {                     /* hv/nested/shadow01.c */
    u64 pa;                                /* the shadow VMCS (0: not made yet) */
    u64 vmcs12;                            /* the VMCS12 it mirrors (~0: none) */
    u64 stale[4];                          /* table rows L0 changed in VMCS12 since the last fill */
    u64 used;                              /* LRU clock */
    bool shadow_type;                      /* the VMCS12 is a shadow VMCS (revision bit 31) */
};

struct nested {
    bool vmxon;                            /* L1 executed VMXON (in VMX operation) */
    bool in_l2;                            /* VMCS02 is current: L2 runs */
    bool vmcs02_launched;
    bool launch_pending;                   /* VMLAUNCH: VMCS12 becomes "launched" once L2 ran */
    u64 vmxon_ptr;                         /* L1's VMXON region */
    u64 current;                           /* L1's current-VMCS pointer; ~0 = none */
    void *vmcs02;
    u64 vmcs02_pa;
    u8 *msr_bitmap02;                      /* L0's intercepts | L1's (for L2) */
    u8 *io_bitmap02;                       /* two pages: A then B */
    u16 vpid02;                            /* the VPID L2 runs with (L1 uses index + 1) */
    u16 last_vpid12;
    bool flush_vpid02;                     /* INVVPID owed before the next L2 entry */
    u32 pin12;                             /* VMCS12 controls of the running L2 (routing) */
    u32 proc12, proc2_12, exit12, entry12;
    u64 eptp12;                            /* valid when proc2_12 enables EPT */
    struct ept02_tree *ept02;              /* the tree of eptp12 */
    u64 built_for;                         /* the VMCS12 VMCS02 was built from (~0: none) */
    u64 dirty[4];                          /* table rows L1 VMWRITE'd since (bit per row) */
    bool checked_ia32e;                    /* L1's IA-32e mode at the last full check */
    u64 last_page;                         /* l1_page()'s one-entry cache */
    u8 *last_page_hva;
    /* counters (printed with the exit counters) */
    u64 entries, reflected, l0_handled, ept02_fills, ept02_resets;
    u64 ticks_entry, ticks_reflect, ticks_vmrw;        /* TSC ticks L0 spent emulating them */
    u64 ticks_entry_phase[4];              /* of ticks_entry: checks, VMCS02, bitmaps, MSR list */
    /* VMCS shadowing of VMCS12 for L1 (shadow01.c) */
    struct shadow01_slot shadow[SHADOW01_SLOTS];
    int shadow_linked;                     /* slot index + 1 VMCS01 links (0: shadowing off) */
    bool shadow_ready;                     /* slots made, VMCS01 has the bitmaps */
    u64 shadow_clock, shadow_pulls, shadow_flushes, shadow_rows_flushed;
};

/* ---- memory of L1, as L0 reaches it ---- */
/* The page of L1 guest-physical memory holding gpa, as a pointer: RAM of the guest
 * (E820 type 1) maps 1:1; nestvisor's region and everything else (MMIO, holes, beyond
 * RAM) give the decoy page, so that no L1-chosen address can reach L0 or a device. */
u8 *l1_page(u64 gpa);
const u8 *l1_bitmap(u64 gpa);                          /* all ones where no RAM is */
bool l1_has_memory(u64 gpa);                        /* RAM, or nestvisor's region (the decoy) */
bool l1_read(u64 gpa, void *buf, unsigned len);     /* false: not RAM (buf gets all-ones) */
bool l1_write(u64 gpa, const void *buf, unsigned len);

/* ---- VMCS12 (vmcs12.c) ---- */
bool vmcs12_field_supported(unsigned enc);          /* a field L1 may VMREAD/VMWRITE */
u64 vmcs12_read(u64 vmcs12, unsigned enc);          /* full field, by a table encoding */
void vmcs12_write(u64 vmcs12, unsigned enc, u64 v); /* truncated to the field's width */
bool vmcs12_launched(u64 vmcs12);
void vmcs12_set_launched(u64 vmcs12, bool launched);

/* ---- capabilities offered to L1 (caps.c) ---- */
struct vmcs12_caps;
extern struct vmcs12_caps l1_caps;
void nested_caps_init(void);                        /* after vmx_read_caps() */
bool nested_rdmsr(u32 msr, u64 *v);                 /* IA32_VMX_* as L1 sees them; false: #GP */
bool offered2(u32 bit);                             /* a secondary control L1 may set */
#define VMCS12_SHADOW_BIT 0x80000000u               /* revision word: a shadow VMCS (SDM 25.2) */
bool nested_l2_vmrw_shadowed(struct pcpu *p, u32 reason); /* L2's VMREAD/VMWRITE is L0's (VMCS shadowing) */

/* ---- instructions (vmx_insn.c), entries (entry.c), exits (exit.c) ---- */
struct pcpu;
/* One of VMCS12's MSR lists, processed by pure/msr_list.c on L1's memory and this CPU's
 * MSRs as L1's RDMSR/WRMSR at CPL 0 would do them (exit.c) */
struct msr_list_result nested_msr_list(struct pcpu *p, enum msr_list_kind kind, u64 addr, u32 count);
void nested_cpu_init(struct pcpu *p);
void handle_vmx_instruction(struct pcpu *p);        /* every VMX instruction exit of L1 */
void nested_vmentry(struct pcpu *p, bool resume);   /* L1's VMLAUNCH/VMRESUME */
enum l2_exit { L2_REFLECTED, L2_TO_L0, L2_HANDLED };
/* An exit while L2 ran: reflected to L1 (VMCS01 current after it), or L0's: L2_TO_L0 =
 * run L0's handler for this exit reason, L2_HANDLED = done (both: re-inject a vectored event). */
enum l2_exit nested_l2_exit(struct pcpu *p, u32 full_reason);
void nested_l2_entry_failed(struct pcpu *p, int status);
void nested_before_l2_entry(struct pcpu *p);       /* may reflect (INIT, NMI) and leave L2 */
void nested_bitmaps_init(void);                    /* BSP, after msr_bitmap_init()/io_bitmap_init() */
void nested_entry_failure(struct pcpu *p, u32 reason, u64 qual);
void nested_reflect_event(struct pcpu *p, u32 reason, u32 intr_info);
/* An L2 access L0 made for an emulated instruction that EPT12 refused (ept12_translate) */
struct op12_fault {
    bool set, misconfig;
    u64 gpa, qual;                         /* L2 gpa; violation: bits 0-5 of L1's qualification */
};
void nested_reflect_op12_fault(struct pcpu *p, const struct op12_fault *f, u64 gla, bool final);
void nested_l1_vmx_mode(struct pcpu *p, bool on); /* VMXON/VMXOFF: CR0/CR4 bits fixed in VMX operation */
void nested_vmwrite_done(struct pcpu *p, unsigned enc); /* L1 changed a field of its current VMCS12 */
unsigned vmcs12_row(unsigned enc);                  /* the field table row of a table encoding */
int vmcs12_row_find(unsigned enc);                  /* the same, or -1 for an encoding not in the table */
volatile u64 *vmcs12_fields(u64 vmcs12);           /* its fields by table row (VMCS12 layout) */

/* ---- VMCS shadowing of VMCS12 for L1 (shadow01.c) ---- */
void shadow01_init(void);                           /* BSP, after nested_caps_init() */
void shadow01_vmcs01_reset(struct pcpu *p);         /* vmcs01_setup() rewrote VMCS01 */
void shadow01_changed(u64 vmcs12, unsigned row);    /* L0 wrote a VMCS12 field */
void shadow01_pull(struct pcpu *p);                 /* L1's shadowed VMWRITEs into VMCS12 */
void shadow01_drop(struct pcpu *p, u64 vmcs12);     /* VMCLEAR (one) / VMXOFF (~0: all) */
void shadow01_before_l1_entry(struct pcpu *p);      /* link + fill the current VMCS12's slot */
bool nested_row_rebuilds(unsigned enc);             /* an L1 write of it rebuilds VMCS02 (entry.c) */

/* vmfail / vmsucceed on L1's RFLAGS (SDM 31.2), then the instruction is skipped */
void vmx_succeed(void);
void vmx_fail_invalid(void);
void vmx_fail(struct pcpu *p, u32 error);           /* VMfailValid if a VMCS12 is current */

/* ---- EPT02 (ept02.c) ---- */
void ept02_cpu_init(struct pcpu *p);
u64 ept02_eptp(struct pcpu *p, u64 eptp12);         /* the EPT02 root for eptp12 (made if new) */
enum ept02_result { EPT02_FILLED, EPT02_L1_VIOLATION, EPT02_L1_MISCONFIG };
/* An EPT violation of L2 under EPT12: L0 fills EPT02 from EPT12 x EPT01, or L1 gets an
 * EPT violation (*qual12: the qualification L1 sees) or misconfiguration. */
enum ept02_result ept02_violation(struct pcpu *p, u64 *qual12);
void ept02_invalidate(struct pcpu *p, u64 eptp12, bool all);
bool ept12_translate(struct pcpu *p, u64 l2_gpa, bool write, u64 *l1_gpa, struct op12_fault *fault);
unsigned ept02_peak_pages(const struct pcpu *p);    /* pool peak + roots in use */

#endif
