/* vmx_entry.S (i386) - enter the guest (VMLAUNCH/VMRESUME) and come back on a VM exit */
/* struct guest_regs offsets (checked by _Static_assert in guest.c) */
#define R_AX 0
#define R_BX 4
#define R_CX 8
#define R_DX 12
#define R_SI 16
#define R_DI 20
#define R_BP 24
#define VMCS_HOST_RSP 0x6c14

    .text
    .code32
/* int vmx_enter(struct guest_regs *r, int launched) (cdecl) */
    .globl vmx_enter
vmx_enter:
    pushl %ebx
    pushl %ebp
    pushl %esi
    pushl %edi
    movl 20(%esp), %edi           /* r */
    movl 24(%esp), %esi           /* launched */
    pushl %edi                    /* the exit path finds the register block here */
    movl $VMCS_HOST_RSP, %eax
    vmwrite %esp, %eax
    jbe 9f
    testl %esi, %esi
    movl R_AX(%edi), %eax
    movl R_BX(%edi), %ebx
    movl R_CX(%edi), %ecx
    movl R_DX(%edi), %edx
    movl R_SI(%edi), %esi
    movl R_BP(%edi), %ebp
    movl R_DI(%edi), %edi
    jnz 1f
    vmlaunch
    jmp 9f
1:  vmresume
9:  movl $1, %eax
    jc 2f
    movl $2, %eax
2:  popl %edi
    popl %edi
    popl %esi
    popl %ebp
    popl %ebx
    ret

    .globl vmx_exit_label
vmx_exit_label:
    xchgl %edi, (%esp)
    movl %eax, R_AX(%edi)
    movl %ebx, R_BX(%edi)
    movl %ecx, R_CX(%edi)
    movl %edx, R_DX(%edi)
    movl %esi, R_SI(%edi)
    movl %ebp, R_BP(%edi)
    popl %eax
    movl %eax, R_DI(%edi)
    popl %edi
    popl %esi
    popl %ebp
    popl %ebx
    xorl %eax, %eax
    ret
