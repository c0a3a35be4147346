/* tests/lab/smoke.c: tiny multiboot kernel driving the lab end to end (mode=pass|fail|hang|reboot|module) */
#include <stdint.h>

#define COM1 0x3f8

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }

static void putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void puthex(uint64_t v)
{
	int i, started = 0;
	puts("0x");
	for (i = 60; i >= 0; i -= 4) {
		int d = (int)((v >> i) & 0xf);
		if (d || started || i == 0) {
			putc("0123456789abcdef"[d]);
			started = 1;
		}
	}
}

static void line(const char *s)
{
	puts("CPU(0x00): ");
	puts(s);
	putc('\n');
}

static void wait_tx_empty(void)
{
	while (!(inb(COM1 + 5) & 0x40))	/* LSR bit 6: transmitter empty */
		;
}

static void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void shutdown(void)
{
	const char *s = "Shutdown";
	wait_tx_empty();
	while (*s)
		outb(0x8900, (uint8_t)*s++);
	halt_forever();
}

static void reboot(void)
{
	wait_tx_empty();
	outb(0xcf9, 0x02);
	outb(0xcf9, 0x06);
	halt_forever();
}

static int has_word(const char *s, const char *w)
{
	for (; s && *s; s++) {
		const char *a = s, *b = w;
		while (*b && *a == *b)
			a++, b++;
		if (!*b && (*a == 0 || *a == ' '))
			return 1;
	}
	return 0;
}

struct mb_info { uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr; };
struct mb_mod { uint32_t start, end, string, reserved; };

static int bootsector_ok(const struct mb_info *mbi)
{
	const struct mb_mod *m;
	const uint8_t *p;
	if (!(mbi->flags & (1u << 3)) || mbi->mods_count < 1)
		return 0;
	m = (const struct mb_mod *)mbi->mods_addr;
	p = (const uint8_t *)m->start;
	return m->end - m->start == 512 && p[510] == 0x55 && p[511] == 0xaa;
}

void smoke_main(uint32_t magic, const struct mb_info *mbi)
{
	const char *cmd = (magic == 0x2badb002 && (mbi->flags & (1u << 2))) ? (const char *)mbi->cmdline : "";

	outb(COM1 + 1, 0x00);	/* no interrupts */
	outb(COM1 + 3, 0x80);	/* DLAB */
	outb(COM1 + 0, 0x01);	/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 2, 0x07);	/* FIFO on, cleared */

	if (has_word(cmd, "mode=hang"))
		halt_forever();		/* prints nothing: the lab must call it a timeout */
	line("smoke hello");
	if (has_word(cmd, "mode=reboot")) {
		line("smoke reboot via 0xcf9");
		reboot();
	}
	if (has_word(cmd, "mode=fail"))
		line("smoke subtest FAIL on purpose");	/* must fail the run though PASS follows */
	if (has_word(cmd, "mode=module")) {
		if (!bootsector_ok(mbi)) {
			line("NESTVISOR-RESULT FAIL bootsector module missing or not 512 bytes ending 0xAA55");
			shutdown();
		}
		line("OUTCOME bootsector present 512 bytes 0xAA55");
	}
	line("OUTCOME smoke hello-printed");
	puts("CPU(0x00): NESTVISOR-TSC ");
	puthex(rdtsc());
	putc('\n');
	line("NESTVISOR-RESULT PASS");
	shutdown();
}
