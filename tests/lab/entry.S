/* tests/lab/entry.S: multiboot v1 header and 32-bit entry of the lab smoke kernel */
	.set MB_MAGIC, 0x1badb002
	.set MB_FLAGS, 0x00000003	/* page-align modules, want memory info */
	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	cli
	movl $stack_top, %esp
	pushl %ebx			/* multiboot info */
	pushl %eax			/* multiboot magic */
	call smoke_main
1:	cli
	hlt
	jmp 1b

	.bss
	.align 16
	.space 8192
stack_top:
	.section .note.GNU-stack, "", @progbits
