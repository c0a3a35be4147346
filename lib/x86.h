/* x86.h - inline wrappers for x86 instructions (port I/O, MSRs, CPUID, control registers) */
#ifndef LIB_X86_H
#define LIB_X86_H

#include "types.h"

/* Every asm with a side effect is volatile and names its outputs and clobbers
 * (the reference hypervisor broke at -O3 without this). */

static inline void outb(u16 port, u8 v) { __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port) : "memory"); }
static inline void outw(u16 port, u16 v) { __asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port) : "memory"); }
static inline void outl(u16 port, u32 v) { __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port) : "memory"); }
static inline u8 inb(u16 port) { u8 v; __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory"); return v; }
static inline u16 inw(u16 port) { u16 v; __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory"); return v; }
static inline u32 inl(u16 port) { u32 v; __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory"); return v; }

static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
    __asm__ __volatile__("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

struct cpuid_regs { u32 eax, ebx, ecx, edx; };
static inline struct cpuid_regs cpuid(u32 leaf, u32 sub)
{
    struct cpuid_regs r;
    __asm__ __volatile__("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(sub) : "memory");
    return r;
}

static inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((u64)hi << 32) | lo;
}

static inline void cpu_relax(void) { __asm__ __volatile__("pause" : : : "memory"); }
static inline void hlt(void) { __asm__ __volatile__("hlt" : : : "memory"); }
static inline void cli(void) { __asm__ __volatile__("cli" : : : "memory"); }
static inline void sti(void) { __asm__ __volatile__("sti" : : : "memory"); }

#define DEFINE_CR(n)                                                                        \
    static inline uintptr_t read_cr##n(void)                                                \
    { uintptr_t v; __asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v) : : "memory"); return v; } \
    static inline void write_cr##n(uintptr_t v)                                             \
    { __asm__ __volatile__("mov %0, %%cr" #n : : "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uintptr_t read_flags(void)
{
    uintptr_t f;
    __asm__ __volatile__("pushf; pop %0" : "=r"(f) : : "memory");
    return f;
}

struct PACKED desc_ptr { u16 limit; uintptr_t base; };
static inline void sgdt(struct desc_ptr *d) { __asm__ __volatile__("sgdt %0" : "=m"(*d) : : "memory"); }
static inline void sidt(struct desc_ptr *d) { __asm__ __volatile__("sidt %0" : "=m"(*d) : : "memory"); }
static inline void lidt(const struct desc_ptr *d) { __asm__ __volatile__("lidt %0" : : "m"(*d) : "memory"); }
static inline u16 str(void) { u16 s; __asm__ __volatile__("str %0" : "=r"(s) : : "memory"); return s; }
#define READ_SEG(seg) ({ u16 _s; __asm__ __volatile__("mov %%" #seg ", %0" : "=r"(_s) : : "memory"); _s; })

/* Access rights of a selector as VMX wants them (SDM 24.4.1): LAR gives bits 8..23. */
static inline u32 lar(u16 sel)
{
    uintptr_t ar;
    __asm__ __volatile__("lar %1, %0" : "=r"(ar) : "r"((uintptr_t)sel) : "cc", "memory");
    return (u32)(ar >> 8) & 0xf0ff;
}

/* Control register bits (SDM 2.5). */
#define CR0_PE BIT(0)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_VMXE BIT(13)
#define CR4_OSFXSR BIT(9)
#define CR4_OSXSAVE BIT(18)
#define CR4_PKE BIT(22)

/* Architectural MSRs used here (SDM Vol. 4). */
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_PAT 0x277
#define MSR_IA32_MC0_ADDR 0x402
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_VMCS_ENUM 0x48a
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490
#define MSR_IA32_EFER 0xc0000080
#define MSR_IA32_KERNEL_GS_BASE 0xc0000102
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

/* IRET to the next instruction. SDM 27.1: after a VM exit caused by an NMI, NMIs stay
 * blocked until the host executes IRET; a hypervisor that takes no NMI itself must do
 * one, or the next NMI waits for some unrelated IRET (seen on Bochs 2.7). */
static inline void iret_to_self(void)
{
#ifdef __x86_64__
    __asm__ __volatile__("mov %%ss, %%rax\n\tpush %%rax\n\tpush %%rsp\n\taddq $8, (%%rsp)\n\t"
                         "pushfq\n\tmov %%cs, %%rax\n\tpush %%rax\n\tlea 1f(%%rip), %%rax\n\tpush %%rax\n\t"
                         "iretq\n1:" : : : "rax", "memory", "cc");
#else
    __asm__ __volatile__("pushfl\n\tpushl %%cs\n\tpushl $1f\n\tiret\n1:" : : : "memory", "cc");
#endif
}

#endif
