/* e820_stub.S - the guest's INT 15h handler: E820 queries become a VMCALL to nestvisor, the rest goes to the BIOS */
    .section .rodata
    .globl e820_stub_start, e820_stub_end, e820_stub_vmcall, e820_stub_orig
    .code16
e820_stub_start:
    cmpl $0xe820, %eax
    jne 1f
e820_stub_vmcall:
    vmcall                  /* nestvisor fills ES:DI, EAX, EBX, ECX and CF in the FLAGS on the stack */
    iret
1:  ljmp *%cs:(e820_stub_orig - e820_stub_start)
e820_stub_orig:
    .word 0, 0              /* the BIOS's INT 15h vector (offset, segment), patched */
e820_stub_end:
