/* entry.S - nestvisor's multiboot entry: identity-map 16 GiB with 2 MiB pages, enter long mode (BSP and APs) */
#include "layout.h"

#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003 /* page-aligned modules, memory info */
#define MAP_GIB 16

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
    /* PDs: MAP_GIB x 512 entries of 2 MiB (P|RW|PS); PDPT[i] -> PD i; PML4[0] -> PDPT */
    movl $pd, %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax
    movl %eax, (%edi, %ecx, 8)
    movl %ecx, %eax
    shrl $11, %eax
    movl %eax, 4(%edi, %ecx, 8)
    incl %ecx
    cmpl $(MAP_GIB * 512), %ecx
    jne 1b
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $12, %eax
    addl $pd, %eax
    orl $3, %eax
    movl %eax, pdpt(, %ecx, 8)
    incl %ecx
    cmpl $MAP_GIB, %ecx
    jne 2b
    movl $pdpt, %eax
    orl $3, %eax
    movl %eax, pml4
    movl $hv_bsp64, %edi
    jmp enter_long_mode

    .globl ap_entry32
ap_entry32:
    lgdt boot_gdt_ptr
    movl $hv_ap64, %edi

/* %edi = 64-bit target: PAE, CR3, EFER.LME|NXE, paging, far return into 64-bit code */
enter_long_mode:
    movl %cr4, %eax
    orl $0x20, %eax
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000001, %eax
    andl $0x9fffffff, %eax   /* caches on */
    movl %eax, %cr0
    pushl $SEL_CODE
    pushl %edi
    lret

    .code64
hv_bsp64:
    movl %esp, %esp
    movl mb_magic, %edi
    movl mb_info_pa, %esi
    call hv_main
3:  hlt
    jmp 3b

hv_ap64:
    movl %esp, %esp
    movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    andq $-16, %rsp
    call hv_ap_main
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
mb_magic: .long 0
mb_info_pa: .long 0

    .section .bss
    .p2align 12
    .globl pml4
pml4: .skip 4096
pdpt: .skip 4096
pd: .skip MAP_GIB * 4096
    .p2align 14
    .globl bsp_stack
bsp_stack: .skip STACK_SIZE
