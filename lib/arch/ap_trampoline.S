/* ap_trampoline.S - real-mode AP start code, copied to AP_TRAMPOLINE; enters flat 32-bit mode and jumps to APT_ENTRY */
#include "../layout.h"

    .section .rodata
    .globl ap_trampoline_start, ap_trampoline_end
    .code16
ap_trampoline_start:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl AP_TRAMPOLINE + (tgdt_ptr - ap_trampoline_start)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $(AP_TRAMPOLINE + (tramp32 - ap_trampoline_start))
    .code32
tramp32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl AP_TRAMPOLINE + APT_STACK, %esp
    movl AP_TRAMPOLINE + APT_ENTRY, %eax
    jmp *%eax
    .p2align 3
tgdt:
    .quad 0
    .quad 0x00cf9a000000ffff   /* 0x08: flat 32-bit code */
    .quad 0x00cf92000000ffff   /* 0x10: flat data */
tgdt_ptr:
    .word tgdt_ptr - tgdt - 1
    .long AP_TRAMPOLINE + (tgdt - ap_trampoline_start)
ap_trampoline_end:
