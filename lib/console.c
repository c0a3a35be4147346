/* console.c - COM port output with per-CPU line prefix and a line lock */
#include "console.h"
#include "format.h"
#include "spinlock.h"
#include "x86.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

static u16 com_port = 0x3f8;
static spinlock_t console_lock = SPINLOCK_INIT;

void console_init(u16 port)
{
    com_port = port;
    outb(port + UART_IER, 0);
    outb(port + UART_LCR, 0x80); /* DLAB: divisor 1 = 115200 baud */
    outb(port + 0, 1);
    outb(port + 1, 0);
    outb(port + UART_LCR, 0x03); /* 8N1 */
    outb(port + UART_FCR, 0x07);
    outb(port + UART_MCR, 0x03);
}

static void uart_putc(char c)
{
    while (!(inb(com_port + UART_LSR) & LSR_THRE))
        cpu_relax();
    outb(com_port + UART_THR, (u8)c);
}

void console_drain(void)
{
    for (unsigned i = 0; i < 1000000 && !(inb(com_port + UART_LSR) & LSR_TEMT); i++)
        cpu_relax();
}

void vcprintf(const char *fmt, va_list ap)
{
    char body[512], prefix[16];
    int n = nv_vsnprintf(body, sizeof body, fmt, ap);
    if (n >= (int)sizeof body) {
        n = sizeof body - 1;
        body[n - 1] = '~'; /* mark truncation */
    }
    nv_snprintf(prefix, sizeof prefix, "CPU(0x%02x): ", this_cpu_apic_id());
    spin_lock(&console_lock);
    bool at_start = true;
    for (int i = 0; i < n; i++) {
        if (at_start)
            for (const char *p = prefix; *p; p++) uart_putc(*p);
        uart_putc(body[i]);
        at_start = body[i] == '\n';
    }
    if (!at_start || n == 0) {
        if (n == 0)
            for (const char *p = prefix; *p; p++) uart_putc(*p);
        uart_putc('\n');
    }
    spin_unlock(&console_lock);
}

void cprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vcprintf(fmt, ap);
    va_end(ap);
}

NORETURN void machine_shutdown(void)
{
    console_drain();
    for (const char *s = "Shutdown"; *s; s++)
        outb(0x8900, (u8)*s);
    cpu_halt_forever();
}

NORETURN void cpu_halt_forever(void)
{
    for (;;) {
        cli();
        hlt();
    }
}
