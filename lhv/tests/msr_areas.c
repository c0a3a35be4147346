/* msr_areas.c - VM-entry MSR-load, VM-exit MSR-store and VM-exit MSR-load lists (SDM 25.7.2, 25.8.2, 27.4, 28.6) */
#include "lhv.h"
#include "x86.h"

struct msr_entry { u32 index, reserved; u64 data; };
_Static_assert(sizeof(struct msr_entry) == 16, "MSR area entry layout (SDM 25.7.2)");

#define GUEST_IN  0xffff800012345000ull  /* canonical values: valid for a 64-bit WRMSR too */
#define GUEST_OUT 0x00007fff87654000ull

static void guest_msr_areas(uintptr_t arg)
{
    volatile u64 *out = (volatile u64 *)arg;
    out[0] = rdmsr(MSR_IA32_KERNEL_GS_BASE); /* loaded by the entry list; no exit (bitmap is 0) */
    wrmsr(MSR_IA32_KERNEL_GS_BASE, GUEST_OUT);
}

void test_msr_areas(struct cpu *c)
{
    const char *T = "msr_areas";
    volatile u64 out[1] = { 0 };
    u64 host_val = rdmsr(MSR_IA32_KERNEL_GS_BASE);
    struct msr_entry *area = c->msr_area; /* three lists in one page */
    struct msr_entry *entry_load = area, *exit_store = area + 8, *exit_load = area + 16;
    *entry_load = (struct msr_entry){ MSR_IA32_KERNEL_GS_BASE, 0, GUEST_IN };
    *exit_store = (struct msr_entry){ MSR_IA32_KERNEL_GS_BASE, 0, 0 };
    *exit_load = (struct msr_entry){ MSR_IA32_KERNEL_GS_BASE, 0, host_val };
    vcpu_reset(c, guest_msr_areas, (uintptr_t)out);
    vmcs_write64(VMCS_ENTRY_MSR_LOAD_ADDR, va_to_pa(entry_load));
    vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 1);
    vmcs_write64(VMCS_EXIT_MSR_STORE_ADDR, va_to_pa(exit_store));
    vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 1);
    vmcs_write64(VMCS_EXIT_MSR_LOAD_ADDR, va_to_pa(exit_load));
    vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 1);
    u32 r = guest_run(c, NULL, NULL);
    u64 after = rdmsr(MSR_IA32_KERNEL_GS_BASE);
    CHECK(T, r == EXIT_REASON_VMCALL, "exit %u", r);
    CHECK(T, out[0] == GUEST_IN, "guest read 0x%llx", (unsigned long long)out[0]);
    CHECK(T, exit_store->data == GUEST_OUT, "exit store 0x%llx", (unsigned long long)exit_store->data);
    CHECK(T, after == host_val, "host value after exit 0x%llx", (unsigned long long)after);
    OUTCOME(c, T, "guest_read=0x%llx exit_store=0x%llx host_restored=%d", (unsigned long long)out[0],
            (unsigned long long)exit_store->data, after == host_val);
    vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
}
