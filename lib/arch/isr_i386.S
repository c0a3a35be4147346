/* isr_i386.S - exception/interrupt stubs: build a struct trap_frame and call trap_dispatch */
    .text
    .code32
.macro STUB v
    .p2align 4
isr_\v:
    .if ((\v) == 8 || ((\v) >= 10 && (\v) <= 14) || (\v) == 17 || (\v) == 21 || (\v) == 29 || (\v) == 30)
    .else
    pushl $0
    .endif
    pushl $\v
    jmp isr_common
.endm

    .altmacro
    .set i, 0
    .rept 256
    STUB %i
    .set i, i + 1
    .endr

isr_common:
    pushal
    movl %esp, %eax
    movl %esp, %ebx
    andl $-16, %esp
    subl $12, %esp
    pushl %eax
    cld
    call trap_dispatch
    movl %ebx, %esp
    popal
    addl $8, %esp
    iretl

.macro ADDR v
    .long isr_\v
.endm
    .section .rodata
    .p2align 2
    .globl isr_table
isr_table:
    .set i, 0
    .rept 256
    ADDR %i
    .set i, i + 1
    .endr
