/* apic.c - xAPIC MMIO access and the INIT-SIPI-SIPI AP start */
#include "apic.h"
#include "layout.h"
#include "mem.h"
#include "x86.h"

static volatile u32 *lapic(u32 reg) { return (volatile u32 *)(uintptr_t)(LAPIC_DEFAULT_BASE + reg); }
u32 lapic_read(u32 reg) { return *lapic(reg); }
void lapic_write(u32 reg, u32 v) { *lapic(reg) = v; }
u32 lapic_id(void) { return lapic_read(LAPIC_ID) >> 24; }
void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

void lapic_enable(void)
{
    lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x1ff); /* enable, spurious vector 0xff */
}

void udelay_spin(u32 loops)
{
    for (volatile u32 i = 0; i < loops; i++)
        cpu_relax();
}

void lapic_send_ipi(u32 apic_id, u32 icr_lo)
{
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR_LO, icr_lo);
    for (u32 i = 0; i < 1000000 && (lapic_read(LAPIC_ICR_LO) & ICR_BUSY); i++)
        cpu_relax();
}

extern const u8 ap_trampoline_start[], ap_trampoline_end[], ap_tramp_gdt_base[], ap_tramp_farptr[];
extern const u8 ap_tramp_gdt_off[], ap_tramp_32_off[]; /* absolute symbols: offsets */

void smp_start_ap(u32 apic_id, u32 entry32, u32 stack_top, u32 tramp)
{
    u8 *t = (u8 *)(uintptr_t)tramp;
    memcpy(t, ap_trampoline_start, (size_t)(ap_trampoline_end - ap_trampoline_start));
    *(u32 *)(t + (ap_tramp_gdt_base - ap_trampoline_start)) = tramp + (u32)(uintptr_t)ap_tramp_gdt_off;
    *(u32 *)(t + (ap_tramp_farptr - ap_trampoline_start)) = tramp + (u32)(uintptr_t)ap_tramp_32_off;
    *(volatile u32 *)(t + APT_STACK) = stack_top;
    *(volatile u32 *)(t + APT_ENTRY) = entry32;
    __asm__ __volatile__("wbinvd" : : : "memory");
    lapic_send_ipi(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
    udelay_spin(20000);
    lapic_send_ipi(apic_id, ICR_INIT | ICR_LEVEL_TRIGGER); /* de-assert (old APICs) */
    udelay_spin(20000);
    for (int i = 0; i < 2; i++) {
        lapic_send_ipi(apic_id, ICR_SIPI | (tramp >> 12));
        udelay_spin(2000);
    }
}
