/* e820.c - the guest's memory map: the BIOS's, minus nestvisor (E820 via an INT 15h hook, ACPI 15) */
#include "hv.h"
#include "mem.h"
#include "multiboot.h"
#include "../../pure/e820.h"

extern const u8 e820_stub_start[], e820_stub_end[], e820_stub_vmcall[], e820_stub_orig[];
extern u32 hv_low_base;

_Static_assert(sizeof(struct e820_range) == 24, "e820_range is 8-byte aligned internally");

void e820_build(const void *mbv)
{
    const struct mb_view *mb = mbv;
    struct e820_range map[E820_MAX];
    unsigned n = 0;
    u32 cur = 0;
    for (const struct mb_mmap_entry *e; (e = mb_mmap_next(mb, &cur)) && n < E820_MAX;)
        map[n++] = (struct e820_range){ e->addr, e->len, e->type };
    e820_sort(map, n);
    /* nestvisor's region, and the two pages it keeps below 1 MiB (AP trampoline, stub) */
    bool ok = e820_set_range(map, &n, E820_MAX, HV_BASE, HV_END, E820_RESERVED) &&
              e820_set_range(map, &n, E820_MAX, hv_low_base, hv_low_base + 2 * PAGE_SIZE, E820_RESERVED);
    if (!ok) PANIC("E820 map too long to edit");
    for (unsigned i = 0; i < n; i++) {
        vm.e820[i] = (struct e820_entry){ map[i].addr, map[i].len, map[i].type };
        cprintf("E820 for the guest: 0x%016llx-0x%016llx type %u", (unsigned long long)map[i].addr,
                (unsigned long long)(map[i].addr + map[i].len), map[i].type);
    }
    vm.e820_count = n;
}

void e820_install_stub(void)
{
    u32 base = hv_low_base + PAGE_SIZE;
    volatile u16 *ivt15 = phys_ptr(0x15 * 4);
    memcpy((void *)(uintptr_t)base, e820_stub_start, (size_t)(e820_stub_end - e820_stub_start));
    u16 *orig = (u16 *)(uintptr_t)(base + (e820_stub_orig - e820_stub_start));
    orig[0] = ivt15[0];
    orig[1] = ivt15[1];
    ivt15[0] = 0;
    ivt15[1] = (u16)(base >> 4);
    vm.e820_stub = base + (u32)(e820_stub_vmcall - e820_stub_start);
    cprintf("INT 15h hooked at %04x:0000 (BIOS handler %04x:%04x)", base >> 4, orig[1], orig[0]);
}

/* A guest-physical range nestvisor may touch for the guest: real RAM below 1 MiB + 64 KiB
 * (all a real-mode caller can address) and never nestvisor's own region. */
static bool realmode_range_ok(uintptr_t a, uintptr_t len)
{
    return a + len <= 0x110000 && !(a < HV_END && a + len > HV_BASE);
}

/* INT 15h, AX=E820 (ACPI 6.x 15.1): EBX continuation, ECX buffer size, EDX 'SMAP', ES:DI buffer.
 * Real mode only (the stub is an IVT handler); linear = physical there. */
static void e820_query(struct pcpu *p)
{
    u32 idx = (u32)p->regs.bx, size = (u32)p->regs.cx;
    uintptr_t ss = vmcs_readnat(VMCS_GUEST_SS_BASE), sp = vmcs_readnat(VMCS_GUEST_RSP) & 0xffff;
    uintptr_t fl = ss + sp + 4; /* IRET frame: IP, CS, FLAGS */
    uintptr_t buf = vmcs_readnat(VMCS_GUEST_ES_BASE) + (p->regs.di & 0xffff);
    if (!realmode_range_ok(fl, 2)) { inject_exception(12, false, 0); return; } /* #SS as a bad stack would */
    volatile u16 *flags = (volatile u16 *)fl;
    if ((u32)p->regs.dx != 0x534d4150 || idx >= vm.e820_count || size < 20 || !realmode_range_ok(buf, 24)) {
        p->regs.ax = (p->regs.ax & ~0xff00ul) | 0x8600; /* AH = 86h: unsupported */
        *flags |= 1;
        return;
    }
    memcpy((void *)buf, &vm.e820[idx], 20);
    u32 written = 20;
    if (size >= 24) { *(volatile u32 *)(buf + 20) = 1; written = 24; } /* extended attributes: enabled */
    p->regs.ax = 0x534d4150;
    p->regs.cx = written;
    p->regs.bx = idx + 1 < vm.e820_count ? idx + 1 : 0;
    *flags &= (u16)~1u;
}

void handle_vmcall(struct pcpu *p)
{
    uintptr_t lin = vmcs_readnat(VMCS_GUEST_CS_BASE) + vmcs_readnat(VMCS_GUEST_RIP);
    bool real = !(vmcs_readnat(VMCS_GUEST_CR0) & 1);
    if (real && lin == vm.e820_stub && (u32)p->regs.ax == 0xe820) {
        e820_query(p);
        skip_instruction();
        return;
    }
    if ((u32)p->regs.ax == HC_EXITS && guest_cpl() == 0) {
        /* this CPU's L0 exit count (benchmarks: L0 exits per L2 exit), EDX:EAX */
        p->regs.ax = (u32)p->exits_total;
        p->regs.dx = (u32)(p->exits_total >> 32);
        skip_instruction();
        return;
    }
    if ((u32)p->regs.ax == HC_STATS) {
        stats_print("guest hypercall");
        p->regs.ax = 0;
        skip_instruction();
        return;
    }
    /* SDM 31.3 VMCALL: #UD outside VMX operation; in L1's VMX root operation #GP(0) at
     * CPL > 0, else VMfail(1) (no dual-monitor treatment is offered). */
    if (!p->nested.vmxon) { inject_ud(); return; }
    if (guest_cpl() > 0) { inject_gp0(); return; }
    vmx_fail(p, VMXERR_VMCALL_IN_ROOT);
}
