/* layout.h - constants shared by C and assembly: selectors, stack size, AP trampoline (no C in here) */
#ifndef LIB_LAYOUT_H
#define LIB_LAYOUT_H

#define SEL_CODE 0x08      /* ring-0 code: 32-bit on i386, 64-bit on amd64 */
#define SEL_DATA 0x10
#define SEL_CODE32 0x18    /* 32-bit ring-0 code (long-mode entry path) */
#define SEL_UCODE 0x23     /* ring-3 code, RPL 3 */
#define SEL_UDATA 0x2b     /* ring-3 data, RPL 3 */
#define SEL_TSS0 0x30      /* first per-CPU TSS; one 16-byte slot per CPU */
#define GDT_TSS_SLOT 16
#define GDT_MAX_CPUS 16

#define STACK_SIZE 0x4000  /* every stack is STACK_SIZE-aligned; its base holds the owner CPU pointer */

/* AP start: LHV copies the real-mode trampoline here (< 1 MiB, page aligned); nestvisor
 * uses a page it hides from the guest. */
#define AP_TRAMPOLINE 0x8000
/* Offsets of the trampoline's parameter block in its page (written before each SIPI). */
#define APT_STACK 0x0f08
#define APT_ENTRY 0x0f10

#endif
