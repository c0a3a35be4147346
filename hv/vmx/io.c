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
    if (string) {
        /* never seen on these ports; say so rather than guess */
        LOG_RL("guest string I/O on intercepted port 0x%x not emulated: skipped", port);
        skip_instruction();
        return;
    }
    if (in) { /* reads of the intercepted ports have no side effect worth watching */
        u32 v = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
        uintptr_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
        p->regs.ax = (size == 4 ? 0 : (p->regs.ax & ~mask)) | (v & mask); /* 32-bit IN zero-extends */
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
