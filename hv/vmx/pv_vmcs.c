/* pv_vmcs.c - nestvisor as L1 of a nestvisor without VMCS shadowing: VMREADs of the current VMCS served from the region the L0 nestvisor keeps it in */
#include "hv.h"
#include "x86.h"
#include "nested/nested.h"

/*
 * A nestvisor keeps its L1's VMCS12 in L1's own VMCS region, one u64 per field table row
 * (hv/nested/vmcs12.c), and writes every change there at once: L1's VMWRITEs, and the
 * exit information and guest state of an emulated VM exit. Where the CPU has no VMCS
 * shadowing every VMREAD of L1 is a VM exit to L0 that reads that memory: here, two levels
 * down, about 20 per exit of the guest. When the L0 nestvisor says so (CPUID 0x40000001:
 * ECX bit 0 = "the region is current", EDX = its layout id) and its layout is ours, the
 * width-checked reads of the current VMCS come straight from the region (an enlightenment
 * like Hyper-V's enlightened VMCS, but for reads only: VMWRITEs still exit, so L0 sees every
 * change as it happens). Probing reads (vmcs_read_any) stay VMREADs: they ask the CPU.
 * Where L0 shadows VMCS12 in a hardware shadow VMCS, L1's VMWRITEs land there first and the
 * region lags: L0 then does not offer this, and L1's VMREADs do not exit anyway.
 */

/* FNV-1a over what the layout depends on: the offset, the row count, every row's encoding. */
static u32 vmcs12_layout_id(void)
{
    u32 h = 2166136261u;
    u32 words[2] = { VMCS12_FIELDS_OFF, vmcs_field_count };
    for (unsigned i = 0; i < 2 + vmcs_field_count; i++) {
        u32 w = i < 2 ? words[i] : vmcs_field_table[i - 2].encoding;
        for (unsigned b = 0; b < 4; b++) h = (h ^ ((w >> (8 * b)) & 0xff)) * 16777619u;
    }
    return h | 1;   /* never 0: 0 means "no layout" in the CPUID answer */
}

/* L0's side, CPUID 0x40000001 ECX/EDX for its guest. */
void pv_vmcs_cpuid(u32 *ecx, u32 *edx)
{
    bool current = !cap_proc2(SEC_VMCS_SHADOWING);   /* shadow01.c is off: VMCS12 lives only in the region */
    *ecx = current ? PV_VMCS12_CURRENT : 0;
    *edx = current ? vmcs12_layout_id() : 0;
}

static bool pv_read(unsigned enc, u64 *v)
{
    volatile const u64 *f = this_pcpu()->pv_fields;
    if (!f) return false;
    int row = vmcs12_row_find(enc);
    if (row < 0) return false;
    *v = f[row];
    return true;
}

/* BSP, before any VMCS is loaded, after detect_level() found a nestvisor below (vm.level). */
void pv_vmcs_init(void)
{
    if (!vm.level) return;
    struct cpuid_regs r = cpuid(CPUID_HV_LEAF + 1, 0);
    if (!(r.ecx & PV_VMCS12_CURRENT)) return;
    if (r.edx != vmcs12_layout_id()) {
        cprintf("nestvisor below keeps VMCS12 with another layout (id 0x%x, ours 0x%x): VMREADs exit", r.edx,
                vmcs12_layout_id());
        return;
    }
    vmcs_read_fast = pv_read;
    cprintf("nestvisor below without VMCS shadowing: VMREADs of the current VMCS read its region (layout 0x%x)",
            r.edx);
}

/* VMPTRLD, and (enlightened) where the fields of the now current VMCS are. */
void vmcs_load(struct pcpu *p, u64 pa)
{
    PANIC_ON(vmptrld(pa) != VMX_OK);
    p->pv_fields = vmcs_read_fast == pv_read ? (volatile const u64 *)(uintptr_t)(pa + VMCS12_FIELDS_OFF) : NULL;
}
