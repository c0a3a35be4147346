/* ap_trampoline.S - real-mode AP start code, position independent below 1 MiB: enters flat 32-bit mode and jumps to the entry in its parameter block */
#include "../layout.h"

    .section .rodata
    .globl ap_trampoline_start, ap_trampoline_end, ap_tramp_gdt_base, ap_tramp_farptr
    .code16
ap_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    movzwl %ax, %ebx
    shll $4, %ebx                             /* %ebx = where the trampoline was copied */
    lgdtl tgdt_ptr - ap_trampoline_start
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl *(ap_tramp_farptr - ap_trampoline_start)
    .code32
tramp32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl APT_STACK(%ebx), %esp
    movl APT_ENTRY(%ebx), %eax
    jmp *%eax
    .p2align 3
tgdt:
    .quad 0
    .quad 0x00cf9a000000ffff   /* 0x08: flat 32-bit code */
    .quad 0x00cf92000000ffff   /* 0x10: flat data */
tgdt_ptr:
    .word tgdt_ptr - tgdt - 1
ap_tramp_gdt_base:
    .long 0                    /* patched: copy address + (tgdt - start) */
ap_tramp_farptr:
    .long 0                    /* patched: copy address + (tramp32 - start) */
    .word 0x08
    .globl ap_tramp_gdt_off, ap_tramp_32_off
    .set ap_tramp_gdt_off, tgdt - ap_trampoline_start
    .set ap_tramp_32_off, tramp32 - ap_trampoline_start
ap_trampoline_end:
