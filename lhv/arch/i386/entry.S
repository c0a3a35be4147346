/* entry.S (i386) - multiboot entry, 4 MiB-page identity paging of 4 GiB for the BSP and APs */
#include "layout.h"

#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003

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
    movl $(bsp_stack + STACK_SIZE), %esp
    /* Page directory: 1024 x 4 MiB pages, P|RW|US|PS */
    movl $page_dir, %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $22, %eax
    orl $0x87, %eax
    movl %eax, (%edi, %ecx, 4)
    incl %ecx
    cmpl $1024, %ecx
    jne 1b
    movl $page_dir, boot_cr3
    call enable_paging
    pushl mb_info_pa
    pushl mb_magic
    call lhv_main
2:  hlt
    jmp 2b

    .globl ap_entry32
ap_entry32:
    call enable_paging
    andl $-16, %esp
    call lhv_ap_main
3:  hlt
    jmp 3b

enable_paging:
    lgdt boot_gdt_ptr
    ljmp $SEL_CODE, $4f
4:  movw $SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl %cr4, %eax
    orl $0x10, %eax          /* PSE */
    movl %eax, %cr4
    movl boot_cr3, %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $0x80000001, %eax
    andl $0x9fffffff, %eax
    movl %eax, %cr0
    ret

    .section .data
    .p2align 3
boot_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff   /* 0x08: 32-bit code */
    .quad 0x00cf92000000ffff   /* 0x10: data */
    .quad 0x00cf9a000000ffff   /* 0x18: 32-bit code (same layout as amd64) */
boot_gdt_ptr:
    .word boot_gdt_ptr - boot_gdt - 1
    .long boot_gdt
    .globl boot_cr3
boot_cr3: .long 0
mb_magic: .long 0
mb_info_pa: .long 0

    .section .bss
    .p2align 12
page_dir: .skip 4096
    .p2align 14
    .globl bsp_stack
bsp_stack: .skip STACK_SIZE
