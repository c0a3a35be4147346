/* main.c - LHV start: console, options, CPUs up, VMX on everywhere, test iterations, verdict */
#include "lhv.h"
#include "acpi.h"
#include "apic.h"
#include "format.h"
#include "mem.h"
#include "mtrr_read.h"
#include "multiboot.h"
#include "spinlock.h"
#include "trap.h"
#include "x86.h"

u32 lhv_opt = 0xffffffffu;
unsigned ncpus;
struct mtrr_state mtrrs;
u64 ram_top;
static unsigned iterations = 3;
#define LHV_ALLOC_LIMIT 0x4000000u /* LHV keeps its pages below 64 MiB */
static struct cpu cpus[MAX_CPUS];
static volatile u32 cpus_done;
static volatile u32 failures;
static spinlock_t fail_lock = SPINLOCK_INIT;
static char first_failure[160];

extern u8 bsp_stack[];
extern u8 _image_start[], _image_end[];
void ap_entry32(void);
void lhv_main(u32 magic, u32 mb_info_pa);
void lhv_ap_main(void);

u32 this_cpu_apic_id(void)
{
    struct cpu *c = this_cpu();
    return c ? c->apic_id : 0;
}

void test_fail(const char *test, const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    nv_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cprintf("FAIL %s %s", test, buf);
    if (this_cpu()) this_cpu()->failures++;
    spin_lock(&fail_lock);
    if (!failures++) nv_snprintf(first_failure, sizeof first_failure, "%s %s", test, buf);
    spin_unlock(&fail_lock);
}

NORETURN void panic_stop(void)
{
    cprintf("NESTVISOR-RESULT FAIL panic on CPU index %u", this_cpu() ? this_cpu()->index : 0);
    machine_shutdown();
}

static void run_iterations(struct cpu *c)
{
    for (c->iter = 0; c->iter < iterations; c->iter++) {
        for (unsigned t = 0; t < lhv_test_count; t++) {
            const struct lhv_test *tt = &lhv_tests[t];
            if (!(lhv_opt & tt->opt)) continue;
            if (tt->supported && !tt->supported()) {
                if (c->iter == 0) cprintf("TEST %s skipped (not supported by this CPU)", tt->name);
                continue;
            }
            unsigned before = c->failures;
            tt->run(c);
            if (c->iter == 0) cprintf("TEST %s %s", tt->name, c->failures == before ? "ok" : "failed");
        }
        cprintf("LHV test iter %u", c->iter);
    }
}

static void cpu_common_start(struct cpu *c, uintptr_t stack_base)
{
    ((struct stack_hdr *)stack_base)->cpu = c;
    trap_init_cpu(c->index, stack_base + STACK_SIZE);
    lapic_enable();
}

static void cpu_run_and_finish(struct cpu *c)
{
    vmx_cpu_on(c);
    run_iterations(c);
    __atomic_add_fetch(&cpus_done, 1, __ATOMIC_SEQ_CST);
}

void lhv_ap_main(void)
{
    uintptr_t sp = (uintptr_t)&sp;
    uintptr_t base = sp & ~(uintptr_t)(STACK_SIZE - 1);
    struct cpu *c = ((struct stack_hdr *)base)->cpu; /* the BSP wrote it before the SIPI */
    cpu_common_start(c, base);
    PANIC_ON(lapic_id() != c->apic_id);
    c->alive = true;
    cpu_run_and_finish(c);
    cpu_halt_forever();
}

static void start_aps(const struct madt_info *m, u32 bsp_id)
{
    for (unsigned i = 0; i < m->ncpus; i++) {
        if (m->apic_id[i] == bsp_id) continue;
        struct cpu *c = &cpus[ncpus];
        c->index = ncpus;
        c->apic_id = m->apic_id[i];
        u8 *stack = page_alloc_aligned(STACK_SIZE / PAGE_SIZE, STACK_SIZE);
        ((struct stack_hdr *)stack)->cpu = c;
        smp_start_ap(c->apic_id, (u32)(uintptr_t)ap_entry32, (u32)(uintptr_t)(stack + STACK_SIZE), AP_TRAMPOLINE);
        for (u32 w = 0; w < 50000000 && !c->alive; w++) cpu_relax();
        if (!c->alive) {
            test_fail("smp", "AP with APIC ID 0x%x did not start", c->apic_id);
            continue;
        }
        ncpus++;
    }
}

void lhv_main(u32 magic, u32 mb_info_pa)
{
    struct cpu *bsp = &cpus[0];
    ((struct stack_hdr *)bsp_stack)->cpu = bsp;
    struct mb_view mb = { (const struct mb_info *)(uintptr_t)mb_info_pa, 0 };
    const char *cmd = magic == MULTIBOOT_BOOTLOADER_MAGIC ? mb_cmdline(&mb) : "";
    console_init((u16)cmdline_get_u64(cmd, "serial", 0x3f8));
    bsp->apic_id = lapic_id();
    cprintf("LHV (%s) starting; command line \"%s\"",
#ifdef __x86_64__
            "amd64",
#else
            "i386",
#endif
            cmd);
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        test_fail("boot", "bad multiboot magic 0x%x", magic);
        panic_stop();
    }
    lhv_opt = (u32)cmdline_get_u64(cmd, "lhv_opt", 0xffffffffu);
    iterations = (unsigned)cmdline_get_u64(cmd, "iters", 3);
    nmi_soak = (unsigned)cmdline_get_u64(cmd, "nmi_soak", 0);
    ram_top = mb_ram_top(&mb);
    page_alloc_init((uintptr_t)_image_end, ram_top < LHV_ALLOC_LIMIT ? (uintptr_t)ram_top : LHV_ALLOC_LIMIT);
    cpu_common_start(bsp, (uintptr_t)bsp_stack);
    ncpus = 1;
    cprintf("lhv_opt 0x%x, %u iterations, RAM top 0x%llx, image 0x%lx-0x%lx", lhv_opt, iterations,
            (unsigned long long)ram_top, (unsigned long)(uintptr_t)_image_start,
            (unsigned long)(uintptr_t)_image_end);

    struct madt_info m;
    const struct acpi_madt *madt = acpi_find_madt(0);
    if (!madt || !madt_parse(madt, madt->h.length, &m)) {
        cprintf("no usable MADT: running on the BSP only");
        m.ncpus = 1;
        m.apic_id[0] = bsp->apic_id;
    }
    cprintf("MADT lists %u CPUs", m.ncpus);
    mtrr_read_state(&mtrrs);
    lhv_global_init();
    start_aps(&m, bsp->apic_id);
    cprintf("%u CPUs running", ncpus);
    cpu_run_and_finish(bsp);
    for (u32 w = 0; cpus_done < ncpus; w++) cpu_relax();
    cprintf("NESTVISOR-TSC 0x%llx", (unsigned long long)rdtsc());
    if (failures)
        cprintf("NESTVISOR-RESULT FAIL %u failures, first: %s", failures, first_failure);
    else
        cprintf("NESTVISOR-RESULT PASS (%u CPUs, %u iterations)", ncpus, iterations);
    machine_shutdown();
}
