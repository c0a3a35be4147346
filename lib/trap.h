/* trap.h - GDT/TSS/IDT setup, exception dispatch with a fixup table, and fault-safe MSR access */
#ifndef LIB_TRAP_H
#define LIB_TRAP_H

#include "types.h"
#include "layout.h"
#include "arch/trapframe.h"

/* Load the shared GDT (with this CPU's TSS) and IDT on the calling CPU. 'stack_top'
 * is where ring-3 -> ring-0 transitions land (TSS.RSP0/ESP0). */
void trap_init_cpu(unsigned cpu_index, uintptr_t stack_top);
u16 tss_selector(unsigned cpu_index);
uintptr_t tss_base(unsigned cpu_index);
/* The GDT and IDT as loaded (for VMCS host/guest state). */
uintptr_t gdt_base(void);
uintptr_t idt_base(void);

/* Hooks a program may set: NMIs (vector 2) and vectors >= 32. */
extern void (*trap_nmi_hook)(struct trap_frame *f);
extern void (*trap_irq_hook)(struct trap_frame *f);

/* Exception-fixup table: an instruction that faults at a listed address resumes at
 * its fixup with the vector in EAX/RAX. */
struct extable_entry { uintptr_t insn, fixup; };

#ifdef __x86_64__
#define EXT_PTR ".quad "
#define EXT_ALIGN ".balign 8\n"
#else
#define EXT_PTR ".long "
#define EXT_ALIGN ".balign 4\n"
#endif
#define EXTABLE(from, to) ".pushsection .extable, \"a\"\n" EXT_ALIGN EXT_PTR #from ", " #to "\n.popsection\n"

/* RDMSR/WRMSR that return 0, or the exception vector they raised (e.g. 13 for #GP). */
static inline int rdmsr_safe(u32 msr, u64 *val)
{
    uintptr_t a = 0, d = 0;
    int fault;
    __asm__ __volatile__("1: rdmsr\n"
                         "   xor %[f], %[f]\n"
                         "2:\n"
                         ".pushsection .text.fixup, \"ax\"\n"
                         "3: mov %%eax, %[f]\n"
                         "   jmp 2b\n"
                         ".popsection\n" EXTABLE(1b, 3b)
                         : "+a"(a), "=d"(d), [f] "=r"(fault) : "c"(msr) : "memory");
    *val = ((u64)(u32)d << 32) | (u32)a;
    return fault;
}

static inline int wrmsr_safe(u32 msr, u64 val)
{
    uintptr_t a = (u32)val;
    int fault;
    __asm__ __volatile__("1: wrmsr\n"
                         "   xor %[f], %[f]\n"
                         "2:\n"
                         ".pushsection .text.fixup, \"ax\"\n"
                         "3: mov %%eax, %[f]\n"
                         "   jmp 2b\n"
                         ".popsection\n" EXTABLE(1b, 3b)
                         : "+a"(a), [f] "=r"(fault) : "c"(msr), "d"((u32)(val >> 32)) : "memory");
    return fault;
}

#endif
