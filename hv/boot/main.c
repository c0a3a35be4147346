/* main.c - nestvisor start: console, command line, memory, CPUs, EPT01, then the guest boots again from its MBR */
#include "hv.h"
#include "acpi.h"
#include "apic.h"
#include "format.h"
#include "mem.h"
#include "mtrr_read.h"
#include "multiboot.h"
#include "page_alloc.h"
#include "trap.h"
#include "x86.h"

struct vm vm;
extern u8 bsp_stack[], _image_start[], _image_end[];
void ap_entry32(void);
void hv_main(u32 magic, u32 mb_info_pa);
void hv_ap_main(void);

u32 this_cpu_apic_id(void)
{
    struct pcpu *p = this_pcpu();
    return p ? p->apic_id : 0;
}

NORETURN void panic_stop(void)
{
    stats_print("panic");
    cprintf("NESTVISOR-RESULT FAIL nestvisor panic");
    machine_shutdown();
}

static struct pcpu *pcpu_new(unsigned index, u32 apic_id, uintptr_t stack_base)
{
    struct pcpu *p = page_alloc(ALIGN_UP(sizeof(struct pcpu), PAGE_SIZE) / PAGE_SIZE);
    p->self = p;
    p->index = index;
    p->apic_id = apic_id;
    p->stack_top = stack_base + STACK_SIZE;
    p->state = VCPU_WAIT_SIPI;
    vm.cpus[index] = p;
    return p;
}

/* Per-CPU start common to BSP and APs: %gs, descriptor tables, APIC, VMX on. */
static void cpu_start(struct pcpu *p)
{
    wrmsr(0xc0000101, (u64)(uintptr_t)p); /* IA32_GS_BASE */
    trap_init_cpu(p->index, p->stack_top);
    lapic_enable();
    vmx_cpu_on(p);
    ept01_cpu_init(p);
    vmcs01_setup(p);
    nested_cpu_init(p);
}

void hv_ap_main(void)
{
    uintptr_t sp = (uintptr_t)&sp;
    struct pcpu *p = *(struct pcpu **)(sp & ~(uintptr_t)(STACK_SIZE - 1));
    cpu_start(p);
    sipi_wait_and_start(p);
    vcpu_run(p);
}

/* The AP trampoline page and the INT 15h stub live in the top of conventional memory,
 * which nestvisor takes from the guest (BDA 0x413 and E820 shrink by the same amount). */
static u32 low_pages_take(void)
{
    volatile u16 *bda_kb = phys_ptr(0x413);
    u32 top = ((u32)*bda_kb * 1024) & ~0xfffu;
    u32 base = top - 2 * PAGE_SIZE;
    *bda_kb = (u16)(base / 1024);
    return base;
}
u32 hv_low_base;

static void start_aps(void)
{
    for (unsigned i = 1; i < vm.ncpus; i++) {
        u8 *stack = page_alloc_aligned(STACK_SIZE / PAGE_SIZE, STACK_SIZE);
        struct pcpu *p = pcpu_new(i, vm.apic_ids[i], (uintptr_t)stack);
        *(struct pcpu **)stack = p;
        if (INIT_SMP) {
            smp_start_ap(p->apic_id, (u32)(uintptr_t)ap_entry32, (u32)(uintptr_t)(stack + STACK_SIZE), hv_low_base);
            for (u32 w = 0; w < 50000000 && !p->vmxon; w++) wait_relax();
            if (!p->vmxon) PANIC("AP 0x%x did not start", p->apic_id);
        }
    }
}

/* Called by the SIPI emulation when INIT_SMP=0: the AP is started now, on the guest's demand. */
void hv_start_ap_lazily(struct pcpu *p)
{
    smp_start_ap(p->apic_id, (u32)(uintptr_t)ap_entry32, (u32)p->stack_top, hv_low_base);
}

static void detect_level(void)
{
    struct cpuid_regs r = cpuid(1, 0);
    if (!(r.ecx & BIT(31))) return;
    struct cpuid_regs h = cpuid(CPUID_HV_LEAF, 0);
    char sig[13];
    memcpy(sig, &h.ebx, 4);
    memcpy(sig + 4, &h.ecx, 4);
    memcpy(sig + 8, &h.edx, 4);
    sig[12] = 0;
    if (!memcmp(sig, CPUID_HV_SIGNATURE, 12)) vm.level = cpuid(CPUID_HV_LEAF + 1, 0).eax + 1;
}

void hv_main(u32 magic, u32 mb_info_pa)
{
    struct mb_view mb = { (const struct mb_info *)(uintptr_t)mb_info_pa, 0 };
    const char *cmd = magic == MULTIBOOT_BOOTLOADER_MAGIC ? mb_cmdline(&mb) : "";
    console_init((u16)cmdline_get_u64(cmd, "serial", 0x3f8));
    page_alloc_init((uintptr_t)_image_end, HV_END);
    struct pcpu *bsp = pcpu_new(0, lapic_id(), (uintptr_t)bsp_stack);
    *(struct pcpu **)bsp_stack = bsp;
    wrmsr(0xc0000101, (u64)(uintptr_t)bsp);
    detect_level();
    cprintf("nestvisor (level %u) at 0x%llx-0x%llx, INIT_SMP=%d, command line \"%s\"", vm.level,
            (unsigned long long)HV_BASE, (unsigned long long)HV_END, INIT_SMP, cmd);
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) PANIC("bad multiboot magic 0x%x", magic);
    vm.ram_top = mb_ram_top(&mb);
    vm.boot_drive = (mb.info->flags & MB_FLAG_BOOTDEV) ? (u8)(mb.info->boot_device >> 24) : 0x80;
    vm.boot_drive = (u8)cmdline_get_u64(cmd, "boot_drive", vm.boot_drive);
    for (u32 i = 0; i < mb_module_count(&mb); i++) {
        const struct mb_module *m = mb_module(&mb, i);
        if (m->end - m->start >= 512 && ((const u8 *)(uintptr_t)m->start)[510] == 0x55 &&
            ((const u8 *)(uintptr_t)m->start)[511] == 0xaa)
            vm.bootsector = (const u8 *)(uintptr_t)m->start;
    }
    if (!vm.bootsector) PANIC("no boot sector module (GRUB: module --nounzip (hd0)+1 bootsector)");
    if (HV_END > vm.ram_top) PANIC("RAM ends at 0x%llx, below nestvisor's end", (unsigned long long)vm.ram_top);

    struct madt_info m;
    const struct acpi_madt *madt = acpi_find_madt(0);
    if (!madt || !madt_parse(madt, madt->h.length, &m)) {
        m.ncpus = 1;
        m.apic_id[0] = bsp->apic_id;
    }
    /* CPU index 0 is the BSP whatever its MADT position; the rest keep MADT order. */
    vm.apic_ids[0] = bsp->apic_id;
    vm.ncpus = 1;
    for (unsigned i = 0; i < m.ncpus && vm.ncpus < HV_MAX_CPUS; i++)
        if (m.apic_id[i] != bsp->apic_id) vm.apic_ids[vm.ncpus++] = m.apic_id[i];
    vm.pm1a_cnt_port = acpi_pm1a_cnt_port(0);
    cprintf("RAM top 0x%llx, %u CPUs, boot drive 0x%x, PM1a_CNT port 0x%x", (unsigned long long)vm.ram_top,
            vm.ncpus, vm.boot_drive, vm.pm1a_cnt_port);

    mtrr_read_state(&vm.host_mtrrs);
    vm.guest_mtrrs = vm.host_mtrrs;
    vmx_read_caps();
    pv_vmcs_init();
    hv_low_base = low_pages_take();
    e820_build(&mb);
    ept01_build();
    trap_init_cpu(0, bsp->stack_top);   /* msr_bitmap_init probes MSRs that may #GP */
    msr_bitmap_init();
    io_bitmap_init();
    nmi_init();
    lapic_enable();
    start_aps();
    vmx_cpu_on(bsp);
    ept01_cpu_init(bsp);
    vmcs01_setup(bsp);
    nested_caps_init();    /* probes the fields of the current VMCS (VMCS01) */
    shadow01_init();
    nested_bitmaps_init();  /* L0's intercept words, merged into L2's bitmaps */
    nested_cpu_init(bsp);
    e820_install_stub();
    memcpy(phys_ptr(0x7c00), vm.bootsector, 512);
    guest_state_realmode(0, 0x7c00, vm.boot_drive);
    bsp->state = VCPU_RUNNING;
    cprintf("starting the guest at 0000:7C00 (boot drive 0x%x)", vm.boot_drive);
    vcpu_run(bsp);
}
