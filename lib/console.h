/* console.h - serial console: printf with a per-CPU "CPU(0xNN): " prefix, a line lock, rate limiting */
#ifndef LIB_CONSOLE_H
#define LIB_CONSOLE_H

#include "types.h"
#include "ratelimit.h"

/* Every program provides this: the APIC ID of the CPU running the caller, in
 * constant time (LHV: from its stack; nestvisor: from %gs). */
u32 this_cpu_apic_id(void);

void console_init(u16 port);
/* printf to serial. Each line of the output gets the CPU prefix; the whole call is
 * emitted under one lock so lines of different CPUs never interleave. A missing final
 * newline is added. */
void cprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vcprintf(const char *fmt, va_list ap);
/* Wait until the UART has sent everything (LSR.TEMT), so no verdict is lost. */
void console_drain(void);
/* End the emulated machine (Bochs shutdown port 0x8900) after draining the UART. */
NORETURN void machine_shutdown(void);
/* Stop this CPU forever. */
NORETURN void cpu_halt_forever(void);

/* Rate-limited log for hot paths: the first RL_BURST messages of a call site, then
 * one in every power of two, each saying how many were suppressed. */
#define LOG_RL(fmt, ...)                                                          \
    do {                                                                          \
        static struct ratelimit _rl;                                              \
        u64 _supp;                                                                \
        if (ratelimit_allow(&_rl, &_supp))                                        \
            cprintf(fmt " [rl: %llu suppressed]", ##__VA_ARGS__,                  \
                    (unsigned long long)_supp);                                   \
    } while (0)

#define PANIC(fmt, ...)                                                           \
    do {                                                                          \
        cprintf("PANIC %s:%d: " fmt, __FILE__, __LINE__, ##__VA_ARGS__);          \
        panic_stop();                                                             \
    } while (0)
/* Always-on check: prints file, line and the condition, then stops. */
#define PANIC_ON(cond)                                                            \
    do { if (cond) PANIC("%s", #cond); } while (0)
#ifdef NDEBUG
#define ASSERT(cond) do { (void)sizeof(cond); } while (0)
#else
#define ASSERT(cond) do { if (!(cond)) PANIC("assertion failed: %s", #cond); } while (0)
#endif

/* Each program decides what a panic means (LHV: FAIL marker and shutdown). */
NORETURN void panic_stop(void);

#endif
