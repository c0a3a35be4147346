/* ept01.c - EPT01: identity map of RAM and MMIO, nestvisor's region absent, memory types from the guest's MTRRs; one root per CPU for the private xAPIC path */
#include "hv.h"
#include "mem.h"
#include "page_alloc.h"
#include "spinlock.h"

#define APIC_PAGE 0xfee00000ull
static spinlock_t ept_lock = SPINLOCK_INIT;

void ept01_build(void)
{
    u64 limit = vm.ram_top > (4ull << 30) ? ALIGN_UP(vm.ram_top, 1ull << 30) : 4ull << 30;
    vm.ept01.hole_start = HV_BASE;
    vm.ept01.hole_end = HV_END;
    ept_build_identity(&vm.ept01, &vm.guest_mtrrs, limit, 2ull << 20);
    vm.decoy_page = page_alloc(1);
    cprintf("EPT01: identity map to 0x%llx, hole 0x%llx-0x%llx, %u table pages", (unsigned long long)limit,
            (unsigned long long)HV_BASE, (unsigned long long)HV_END, vm.ept01.pages);
}

/* Copy the shared tree's path to the xAPIC page into private tables (4 pages). */
void ept01_cpu_init(struct pcpu *p)
{
    spin_lock(&ept_lock);
    p->ept = vm.ept01;
    p->ept.pml4 = page_alloc(1);
    memcpy(p->ept.pml4, vm.ept01.pml4, PAGE_SIZE);
    u64 *t = p->ept.pml4;
    for (int level = 3; level > 0; level--) {
        u64 *ent = &t[(APIC_PAGE >> (12 + 9 * level)) & 511];
        u64 *priv = page_alloc(1);
        if (*ent & EPT_LARGE) {
            u64 span = 1ull << (12 + 9 * (level - 1));
            u64 base = *ent & EPT_ADDR_MASK;
            for (unsigned i = 0; i < 512; i++)
                priv[i] = (base + i * span) | (*ent & 0x7f) | (level > 1 ? EPT_LARGE : 0);
        } else if (*ent & EPT_RWX) {
            memcpy(priv, (void *)(uintptr_t)(*ent & EPT_ADDR_MASK), PAGE_SIZE);
        }
        *ent = va_to_pa(priv) | EPT_RWX;
        t = priv;
    }
    p->apic_leaf = &t[(APIC_PAGE >> 12) & 511];
    *p->apic_leaf = 0; /* every guest access to the xAPIC page exits */
    p->ept.eptp = va_to_pa(p->ept.pml4) | EPTP_WB | EPTP_WALK4;
    p->ept_generation = vm.ept_generation;
    spin_unlock(&ept_lock);
}

void ept01_mtrr_changed(void)
{
    spin_lock(&ept_lock);
    ept_retype(&vm.ept01, &vm.guest_mtrrs);
    for (unsigned i = 0; i < vm.ncpus; i++)
        if (vm.cpus[i] && vm.cpus[i]->ept.pml4) ept_retype(&vm.cpus[i]->ept, &vm.guest_mtrrs);
    vm.ept_generation++;
    spin_unlock(&ept_lock);
    LOG_RL("guest changed its MTRRs: EPT01 memory types recomputed");
}

void ept01_sync(struct pcpu *p)
{
    if (p->ept_generation == vm.ept_generation) return;
    p->ept_generation = vm.ept_generation;
    struct inv_desc d = { p->ept.eptp, 0 };
    invept(1, &d);
}

/* A guest access to nestvisor's memory: it sees (and writes) a decoy page instead. */
void ept01_contain(struct pcpu *p, u64 gpa, bool write)
{
    (void)p;
    LOG_RL("guest %s nestvisor memory at 0x%llx: contained (decoy page mapped)", write ? "wrote" : "read",
           (unsigned long long)gpa);
    spin_lock(&ept_lock);
    u64 *leaf = ept_leaf_4k(&vm.ept01, gpa);
    *leaf = va_to_pa(vm.decoy_page) | EPT_RWX | ((u64)MT_WB << EPT_MT_SHIFT);
    vm.ept_generation++;
    spin_unlock(&ept_lock);
}

void handle_ept_violation(struct pcpu *p)
{
    u64 gpa = vmcs_read64(VMCS_GUEST_PHYSICAL_ADDRESS);
    uintptr_t q = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    void lapic_step_begin(struct pcpu *p, u32 offset, bool write);
    bool lapic_emulate_access(struct pcpu *p, u32 offset, bool write);
    if ((gpa & ~0xfffull) == APIC_PAGE && !p->step.active) {
        if (!lapic_emulate_access(p, (u32)(gpa & 0xfff), q & 2)) lapic_step_begin(p, (u32)(gpa & 0xfff), q & 2);
        return;
    }
    if (gpa >= HV_BASE && gpa < HV_END) {
        ept01_contain(p, gpa, q & 2);
        ept01_sync(p);
        resume_faulted_access();
        return;
    }
    cprintf("EPT violation at gpa 0x%llx qualification 0x%lx rip 0x%lx", (unsigned long long)gpa, (unsigned long)q,
            (unsigned long)vmcs_readnat(VMCS_GUEST_RIP));
    vmcs_dump("ept-violation");
    vm_report_and_end("FAIL unexpected EPT violation at 0x%llx", (unsigned long long)gpa);
}
