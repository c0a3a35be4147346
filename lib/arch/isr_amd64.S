/* isr_amd64.S - exception/interrupt stubs: build a struct trap_frame and call trap_dispatch */

    .text
    .code64
.macro STUB v
    .p2align 4
isr_\v:
    .if ((\v) == 8 || ((\v) >= 10 && (\v) <= 14) || (\v) == 17 || (\v) == 21 || (\v) == 29 || (\v) == 30)
    .else
    pushq $0
    .endif
    pushq $\v
    jmp isr_common
.endm

    .altmacro
    .set i, 0
    .rept 256
    STUB %i
    .set i, i + 1
    .endr

isr_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    movq %rsp, %rbx
    andq $-16, %rsp
    cld
    call trap_dispatch
    movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq

.macro ADDR v
    .quad isr_\v
.endm
    .section .rodata
    .p2align 3
    .globl isr_table
isr_table:
    .set i, 0
    .rept 256
    ADDR %i
    .set i, i + 1
    .endr
