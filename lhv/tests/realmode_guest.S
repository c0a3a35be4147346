/* realmode_guest.S - 16-bit code an unrestricted guest runs at 0000:7000 (copied there by the test) */
#define HC_DONE 0x4c48560
#define HC_REPORT 0x4c48561
    .section .rodata
    .globl rm_guest_start, rm_guest_end
    .code16
rm_guest_start:
    xorl %eax, %eax
    cpuid                     /* exits; the runner emulates it (clobbers EAX-EDX) */
    movw $0x1234, %ax
    pushw %ax                 /* a stack write through this CPU's own SS */
    popw %bx
    addw $0x1111, %bx
    movl %cr0, %edx           /* real mode: PE must read as 0 */
    movl $HC_REPORT, %eax
    movzwl %bx, %ebx
    movl %edx, %ecx
    vmcall
    movl $HC_DONE, %eax
    vmcall
1:  hlt
    jmp 1b
rm_guest_end:
