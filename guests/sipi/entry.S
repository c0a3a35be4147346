/* entry.S - the INIT-SIPI-twice test guest: multiboot entry (i386, no paging) and the AP's 32-bit entry */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003
    .section .multiboot, "a"
    .p2align 2
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .section .boot, "ax"
    .code32
    .globl _start, ap_entry32
_start:
    cli
    movl $(bsp_stack + 0x4000), %esp
    pushl %ebx
    pushl %eax
    call sipi_main
1:  hlt
    jmp 1b

ap_entry32:                     /* flat 32-bit mode from lib's trampoline, %esp set */
    call sipi_ap_main
2:  cli                         /* parked with interrupts off: only INIT/NMI wake it */
    hlt
    jmp 2b

    .section .bss
    .p2align 14
    .globl bsp_stack
bsp_stack: .skip 0x4000
