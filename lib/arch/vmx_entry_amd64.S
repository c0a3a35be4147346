/* vmx_entry.S (amd64) - enter the guest (VMLAUNCH/VMRESUME) and come back on a VM exit */
/* struct guest_regs offsets (checked by _Static_assert in guest.c) */
#define R_AX 0
#define R_BX 8
#define R_CX 16
#define R_DX 24
#define R_SI 32
#define R_DI 40
#define R_BP 48
#define R_R8 56
#define R_R9 64
#define R_R10 72
#define R_R11 80
#define R_R12 88
#define R_R13 96
#define R_R14 104
#define R_R15 112
#define VMCS_HOST_RSP 0x6c14

    .text
    .code64
/* int vmx_enter(struct guest_regs *r (rdi), int launched (esi)) */
    .globl vmx_enter
vmx_enter:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi                    /* the exit path finds the register block here */
    movl $VMCS_HOST_RSP, %eax
    vmwrite %rsp, %rax
    jbe 9f                        /* VMfail writing HOST_RSP: report like an entry failure */
    testl %esi, %esi              /* flags survive the movs below */
    movq R_AX(%rdi), %rax
    movq R_BX(%rdi), %rbx
    movq R_CX(%rdi), %rcx
    movq R_DX(%rdi), %rdx
    movq R_SI(%rdi), %rsi
    movq R_BP(%rdi), %rbp
    movq R_R8(%rdi), %r8
    movq R_R9(%rdi), %r9
    movq R_R10(%rdi), %r10
    movq R_R11(%rdi), %r11
    movq R_R12(%rdi), %r12
    movq R_R13(%rdi), %r13
    movq R_R14(%rdi), %r14
    movq R_R15(%rdi), %r15
    movq R_DI(%rdi), %rdi
    jnz 1f
    vmlaunch
    jmp 9f
1:  vmresume
9:  /* VMfail: CF=1 invalid (1), ZF=1 valid (2) */
    movl $1, %eax
    jc 2f
    movl $2, %eax
2:  popq %rdi
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret

    .globl vmx_exit_label
vmx_exit_label:
    xchgq %rdi, (%rsp)            /* rdi = register block, stack slot = guest rdi */
    movq %rax, R_AX(%rdi)
    movq %rbx, R_BX(%rdi)
    movq %rcx, R_CX(%rdi)
    movq %rdx, R_DX(%rdi)
    movq %rsi, R_SI(%rdi)
    movq %rbp, R_BP(%rdi)
    movq %r8, R_R8(%rdi)
    movq %r9, R_R9(%rdi)
    movq %r10, R_R10(%rdi)
    movq %r11, R_R11(%rdi)
    movq %r12, R_R12(%rdi)
    movq %r13, R_R13(%rdi)
    movq %r14, R_R14(%rdi)
    movq %r15, R_R15(%rdi)
    popq %rax
    movq %rax, R_DI(%rdi)
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    xorl %eax, %eax
    ret
