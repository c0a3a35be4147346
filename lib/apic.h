/* apic.h - local APIC (xAPIC MMIO) access: ID, IPIs (INIT, SIPI, NMI, fixed), EOI */
#ifndef LIB_APIC_H
#define LIB_APIC_H

#include "types.h"

#define LAPIC_DEFAULT_BASE 0xfee00000u
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define ICR_FIXED 0x000u
#define ICR_NMI 0x400u
#define ICR_INIT 0x500u
#define ICR_SIPI 0x600u
#define ICR_LEVEL_ASSERT 0x4000u
#define ICR_LEVEL_TRIGGER 0x8000u
#define ICR_BUSY 0x1000u

/* Software-enables the APIC (SVR) on the calling CPU; never clears IA32_APIC_BASE.EN
 * (Bochs 2.7 ignores every later write once it is cleared). */
void lapic_enable(void);
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
u32 lapic_id(void);
/* Sends an IPI and waits (bounded) for delivery. */
void lapic_send_ipi(u32 apic_id, u32 icr_lo);
void lapic_eoi(void);

/* Starts one AP with INIT-SIPI-SIPI (SDM 10.4.4 / MP spec B.4): the real-mode
 * trampoline is copied to 'tramp' (page aligned, below 1 MiB; its parameter block is in
 * the same page) and the AP enters 'entry32' in flat 32-bit mode with %esp = stack_top. */
void smp_start_ap(u32 apic_id, u32 entry32, u32 stack_top, u32 tramp);
/* A crude delay; Bochs counts instructions, so this is "enough for the AP". */
void udelay_spin(u32 loops);

#endif
