/* io.c - the few intercepted I/O ports: the emulator's shutdown port and ACPI power-off, so that counters are printed first */
#include "hv.h"
#include "page_alloc.h"
#include "x86.h"

#define BOCHS_SHUTDOWN_PORT 0x8900

static void io_intercept(u16 port)
{
    u8 *bm = port < 0x8000 ? vm.io_bitmap_a : vm.io_bitmap_b;
    u16 i = port & 0x7fff;
    bm[i / 8] |= (u8)(1u << (i % 8));
}

void io_bitmap_init(void)
{
    vm.io_bitmap_a = page_alloc(1);
    vm.io_bitmap_b = page_alloc(1);
    io_intercept(BOCHS_SHUTDOWN_PORT);
    if (vm.pm1a_cnt_port) {
        io_intercept(vm.pm1a_cnt_port);
        io_intercept(vm.pm1a_cnt_port + 1);
    }
}

static void out(u16 port, unsigned size, u32 v)
{
    if (size == 1) outb(port, (u8)v);
    else if (size == 2) outw(port, (u16)v);
    else outl(port, v);
}

void handle_io(struct pcpu *p)
{
    uintptr_t q = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    unsigned size = (q & 7) + 1;
    bool in = q & 8, string = q & 16;
    u16 port = (u16)(q >> 16);
    if (string || in) {
        /* never expected on these ports; do what the hardware would do */
        LOG_RL("guest %s I/O on port 0x%x passed through by emulation is not supported", string ? "string" : "IN", port);
        if (in && !string) {
            u32 v = size == 1 ? inb(port) : inl(port);
            p->regs.ax = (p->regs.ax & ~(uintptr_t)((1ull << (8 * size)) - 1)) | (v & (u32)((1ull << (8 * size)) - 1));
        }
        skip_instruction();
        return;
    }
    u32 v = (u32)p->regs.ax;
    static u32 shutdown_chars;
    if (port == BOCHS_SHUTDOWN_PORT) {
        if (shutdown_chars++ == 0) stats_print("guest ends the emulator (port 0x8900)");
    } else if (vm.pm1a_cnt_port && (port == vm.pm1a_cnt_port || port == vm.pm1a_cnt_port + 1)) {
        u32 word = port == vm.pm1a_cnt_port ? v : v << 8;
        if (word & BIT(13)) stats_print("guest powers off (ACPI SLP_EN)");
    }
    out(port, size, v);
    skip_instruction();
}
