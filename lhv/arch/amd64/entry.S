/* entry.S (amd64) - multiboot entry, identity paging of 4 GiB, long mode for the BSP and APs */
#include "layout.h"

#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003 /* page-aligned modules, memory info */

    .section .multiboot, "a"
    .p2align 2
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .section .boot, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    movl %eax, mb_magic
    movl %ebx, mb_info_pa
    lgdt boot_gdt_ptr
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl $(bsp_stack + STACK_SIZE), %esp

    /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..3; PDs map 4 GiB in 2 MiB pages (P|RW|US|PS). */
    movl $pdpt, %eax
    orl $7, %eax
    movl %eax, pml4
    movl $pd, %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x87, %eax
    movl %eax, (%edi, %ecx, 8)
    movl %ecx, %eax
    shrl $11, %eax
    movl %eax, 4(%edi, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jne 1b
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $12, %eax
    addl $pd, %eax
    orl $7, %eax
    movl %eax, pdpt(, %ecx, 8)
    incl %ecx
    cmpl $4, %ecx
    jne 2b
    movl $pml4, %eax
    movl %eax, boot_cr3
    movl $lhv_bsp64, %edi
    jmp enter_long_mode

    /* APs arrive here from the trampoline in flat 32-bit mode with a stack. */
    .globl ap_entry32
ap_entry32:
    lgdt boot_gdt_ptr
    movl $ap_entry64, %edi
    /* fall through */

/* %edi = 64-bit target. Enables PAE, loads CR3, sets EFER.LME, paging on. */
enter_long_mode:
    movl %cr4, %eax
    orl $0x20, %eax          /* PAE */
    movl %eax, %cr4
    movl boot_cr3, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx
    rdmsr
    orl $0x100, %eax         /* LME */
    wrmsr
    movl %cr0, %eax
    orl $0x80000001, %eax    /* PG | PE */
    andl $0x9fffffff, %eax   /* clear CD, NW: caches on */
    movl %eax, %cr0
    pushl $SEL_CODE
    pushl %edi
    lret

    .code64
lhv_bsp64:
    movl %esp, %esp          /* zero-extend into %rsp */
    movl mb_magic, %edi
    movl mb_info_pa, %esi
    call lhv_main
3:  hlt
    jmp 3b

ap_entry64:
    movl %esp, %esp
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    andq $-16, %rsp
    call lhv_ap_main
4:  hlt
    jmp 4b

    .section .data
    .p2align 3
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff   /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff   /* 0x10: data */
    .quad 0x00cf9a000000ffff   /* 0x18: 32-bit code */
boot_gdt_ptr:
    .word boot_gdt_ptr - boot_gdt - 1
    .quad boot_gdt
    .globl boot_cr3
boot_cr3: .quad 0
mb_magic: .long 0
mb_info_pa: .long 0

    .section .bss
    .p2align 12
    .globl pml4
pml4: .skip 4096
pdpt: .skip 4096
pd: .skip 4 * 4096
    .p2align 14
    .globl bsp_stack
bsp_stack: .skip STACK_SIZE
