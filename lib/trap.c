/* trap.c - descriptor tables and the C side of exception handling */
#include "trap.h"
#include "console.h"
#include "mem.h"
#include "x86.h"

#ifdef __x86_64__
struct PACKED tss { u32 rsv0; u64 rsp0, rsp1, rsp2; u64 rsv1; u64 ist[7]; u64 rsv2; u16 rsv3, iomap; };
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS layout");
struct PACKED idt_gate { u16 off0, sel; u8 ist, type; u16 off1; u32 off2, rsv; };
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");
#define CODE0 0x00af9a000000ffffull
#define UCODE 0x00affa000000ffffull
#else
struct PACKED tss { u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
                    u32 gpr[8], es, cs, ss, ds, fs, gs, ldt; u16 trap, iomap; };
_Static_assert(sizeof(struct tss) == 104, "32-bit TSS layout");
struct PACKED idt_gate { u16 off0, sel; u8 zero, type; u16 off1; };
_Static_assert(sizeof(struct idt_gate) == 8, "IDT gate layout");
#define CODE0 0x00cf9a000000ffffull
#define UCODE 0x00cffa000000ffffull
#endif

#define GDT_ENTRIES (SEL_TSS0 / 8 + GDT_MAX_CPUS * (GDT_TSS_SLOT / 8))
static u64 gdt[GDT_ENTRIES] ALIGNED(16) = {
    [SEL_CODE / 8] = CODE0,
    [SEL_DATA / 8] = 0x00cf92000000ffffull,
    [SEL_CODE32 / 8] = 0x00cf9a000000ffffull,
    [SEL_UCODE / 8] = UCODE,
    [SEL_UDATA / 8] = 0x00cff2000000ffffull,
};
static struct tss tss[GDT_MAX_CPUS] ALIGNED(16);
static struct idt_gate idt[256] ALIGNED(16);
static bool idt_built;
extern const uintptr_t isr_table[256];
extern const struct extable_entry __extable_start[], __extable_end[];

void (*trap_nmi_hook)(struct trap_frame *f);
void (*trap_irq_hook)(struct trap_frame *f);

u16 tss_selector(unsigned i) { return (u16)(SEL_TSS0 + i * GDT_TSS_SLOT); }
uintptr_t tss_base(unsigned i) { return (uintptr_t)&tss[i]; }
uintptr_t gdt_base(void) { return (uintptr_t)gdt; }
uintptr_t idt_base(void) { return (uintptr_t)idt; }

static void build_idt(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uintptr_t a = isr_table[v];
        struct idt_gate *g = &idt[v];
        memset(g, 0, sizeof *g);
        g->off0 = (u16)a;
        g->sel = SEL_CODE;
        g->type = 0x8e; /* present, DPL0, interrupt gate */
        g->off1 = (u16)(a >> 16);
#ifdef __x86_64__
        g->off2 = (u32)((u64)a >> 32);
#endif
    }
    idt_built = true;
}

void trap_init_cpu(unsigned i, uintptr_t stack_top)
{
    PANIC_ON(i >= GDT_MAX_CPUS);
    if (!idt_built) build_idt(); /* the BSP runs this before any AP starts */
    struct tss *t = &tss[i];
    memset(t, 0, sizeof *t);
#ifdef __x86_64__
    t->rsp0 = stack_top;
#else
    t->esp0 = stack_top;
    t->ss0 = SEL_DATA;
#endif
    t->iomap = sizeof *t;
    uintptr_t base = (uintptr_t)t;
    u64 lim = sizeof *t - 1;
    unsigned slot = tss_selector(i) / 8;
    gdt[slot] = (lim & 0xffff) | ((u64)(base & 0xffffff) << 16) | (0x89ull << 40) |
                ((lim >> 16) << 48) | ((u64)((base >> 24) & 0xff) << 56);
#ifdef __x86_64__
    gdt[slot + 1] = (u64)base >> 32;
#endif
    struct desc_ptr g = { sizeof gdt - 1, (uintptr_t)gdt }, d = { sizeof idt - 1, (uintptr_t)idt };
    __asm__ __volatile__("lgdt %0" : : "m"(g) : "memory");
    lidt(&d);
    __asm__ __volatile__("ltr %0" : : "r"(tss_selector(i)) : "memory");
}

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?9", "#TS", "#NP",
    "#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++) {
        if (e->insn == f->ip) {
            f->ip = e->fixup;
            f->ax = f->vector;
            return;
        }
    }
    if (f->vector == 2 && trap_nmi_hook) { trap_nmi_hook(f); return; }
    if (f->vector >= 32 && trap_irq_hook) { trap_irq_hook(f); return; }
    const char *n = f->vector < 32 && exc_names[f->vector] ? exc_names[f->vector] : "irq";
    cprintf("EXCEPTION %s vector %lu error 0x%lx ip 0x%lx cs 0x%lx flags 0x%lx cr2 0x%lx",
            n, (unsigned long)f->vector, (unsigned long)f->error, (unsigned long)f->ip,
            (unsigned long)f->cs, (unsigned long)f->flags, (unsigned long)read_cr2());
    cprintf("  ax 0x%lx bx 0x%lx cx 0x%lx dx 0x%lx si 0x%lx di 0x%lx bp 0x%lx",
            (unsigned long)f->ax, (unsigned long)f->bx, (unsigned long)f->cx, (unsigned long)f->dx,
            (unsigned long)f->si, (unsigned long)f->di, (unsigned long)f->bp);
    PANIC("unexpected exception %lu", (unsigned long)f->vector);
}
