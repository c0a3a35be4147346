/* hostile_vmrw.c - hostile VMREAD/VMWRITE: unsupported and read-only fields, truncation, high halves, bad memory operands (SDM 31.3, 25.11.2) */
#include "hostile.h"
#include "format.h"

/* Encodings no VMCS of any CPU has (SDM 25.11.2, Appendix B): the "high" access type on a
 * field that is not 64 bits wide, reserved bit 12, bits above 14, indexes no field uses. */
static const struct { const char *name; u32 enc; } unsupported[] = {
    { "16bit-high-access-0001", 0x0001 },
    { "32bit-high-access-4001", 0x4001 },
    { "natural-high-access-6001", 0x6001 },
    { "reserved-bit12-1000", 0x1000 },
    { "bit15-8000", 0x8000 },
    { "all-ones-ffff", 0xffff },
    { "host16-index63-0c7e", 0x0c7e },
    { "guest32-index63-487e", 0x487e },
    { "host-natural-index63-6c7e", 0x6c7e },
    { "ctrl64-index63-207e", 0x207e },
};

/* VM-exit information fields: read-only unless IA32_VMX_MISC[29] (SDM 25.9, A.6). */
static const struct { const char *name; u16 enc; } read_only[] = {
    { "vm-instruction-error", VMCS_VM_INSTRUCTION_ERROR },
    { "exit-reason", VMCS_EXIT_REASON },
    { "exit-qualification", VMCS_EXIT_QUALIFICATION },
    { "exit-intr-info", VMCS_EXIT_INTR_INFO },
    { "idt-vectoring-info", VMCS_IDT_VECTORING_INFO },
    { "exit-instruction-len", VMCS_EXIT_INSTRUCTION_LEN },
    { "guest-linear-address", VMCS_GUEST_LINEAR_ADDRESS },
    { "guest-physical-address", VMCS_GUEST_PHYSICAL_ADDRESS },
};

static void named(struct cpu *c, const char *prefix, const char *name, int rc)
{
    char n[64];
    nv_snprintf(n, sizeof n, "%s-%s", prefix, name);
    hx_report(c, n, rc);
}

void hostile_vmrw(struct cpu *c)
{
    uintptr_t v = 0;
    char buf[40];
    vcpu_reset(c, hx_guest_nop, 0);
    for (unsigned i = 0; i < ARRAY_SIZE(unsupported); i++) {
        named(c, "vmread-unsupported", unsupported[i].name, hx_vmread(unsupported[i].enc, &v));
        named(c, "vmwrite-unsupported", unsupported[i].name, hx_vmwrite(unsupported[i].enc, 0));
    }
    if (hx_amd64()) {
        /* a 64-bit register operand with bits 63:32 set names no field */
        hx_report(c, "vmread-encoding-bits63-32", hx_vmread((uintptr_t)(0x100000000ull | VMCS_GUEST_RIP), &v));
        hx_report(c, "vmwrite-encoding-bits63-32", hx_vmwrite((uintptr_t)(0x100000000ull | VMCS_GUEST_RIP), 0));
    } else {
        hx_outcome(c, "vmread-encoding-bits63-32", "n/a");
        hx_outcome(c, "vmwrite-encoding-bits63-32", "n/a");
    }
    bool any_write = caps.misc & BIT(29);
    for (unsigned i = 0; i < ARRAY_SIZE(read_only); i++) {
        named(c, "vmread-ro", read_only[i].name, hx_vmread(read_only[i].enc, &v));
        int r = hx_vmwrite(read_only[i].enc, 0);
        /* IA32_VMX_MISC[29] makes them writable: the line holds whether the answer fits it */
        const char *s = hx_str(r, buf, sizeof buf);
        char n[64];
        nv_snprintf(n, sizeof n, "vmwrite-ro-%s", read_only[i].name);
        if (any_write) hx_outcome(c, n, "%s", r == HX_OK ? "ok (IA32_VMX_MISC[29])" : s);
        else hx_outcome(c, n, "%s", s);
    }
    vcpu_reset(c, hx_guest_nop, 0);                  /* the exit-information writes are gone */

    /* Widths (SDM 25.11.2): a VMWRITE keeps only the field's width; a 64-bit field's
     * high half has its own encoding (bit 0 = 1). */
    hx_vmwrite(VMCS_EXCEPTION_BITMAP, (uintptr_t)0xfedcba9876543210ull);
    hx_vmread(VMCS_EXCEPTION_BITMAP, &v);
    hx_outcome(c, "vmwrite-32bit-field-wide-value", "readback 0x%lx", (unsigned long)v);
    hx_vmwrite(VMCS_GUEST_ES_SEL, (uintptr_t)0x9abcdef0u);
    hx_vmread(VMCS_GUEST_ES_SEL, &v);
    hx_outcome(c, "vmwrite-16bit-field-wide-value", "readback 0x%lx", (unsigned long)v);
    hx_vmwrite(VMCS_TSC_OFFSET, 0x11111111u);
    int r = hx_vmwrite(VMCS_TSC_OFFSET + 1, 0x22222222u);
    u64 full = 0;
    vmcs_read_any(VMCS_TSC_OFFSET, &full);
    hx_outcome(c, "vmwrite-64bit-high-half", "%s readback 0x%llx", hx_str(r, buf, sizeof buf), (unsigned long long)full);
    r = hx_vmread(VMCS_TSC_OFFSET + 1, &v);
    hx_outcome(c, "vmread-64bit-high-half", "%s value 0x%lx", hx_str(r, buf, sizeof buf), (unsigned long)v);
    r = hx_vmwrite(VMCS_VMCS_LINK_POINTER + 1, 0);   /* link pointer high half: ~0 becomes 0x00000000ffffffff */
    vmcs_read_any(VMCS_VMCS_LINK_POINTER, &full);
    hx_outcome(c, "vmwrite-link-pointer-high-0", "%s readback 0x%llx", hx_str(r, buf, sizeof buf), (unsigned long long)full);
    if (hx_amd64()) {
        /* a 64-bit operand into a natural-width field keeps all 64 bits */
        hx_vmwrite(VMCS_GUEST_RIP, (uintptr_t)0xffff800000001234ull);
        hx_vmread(VMCS_GUEST_RIP, &v);
        hx_outcome(c, "vmwrite-natural-64bit", "readback 0x%lx", (unsigned long)v);
    } else {
        hx_outcome(c, "vmwrite-natural-64bit", "n/a");
    }

    /* Memory operands (SDM 31.3: #GP for a non-canonical address, #PF for an unmapped one) */
    volatile uintptr_t cell = 0x5a5a;
    r = hx_vmwrite_mem(VMCS_CR3_TARGET_VALUE0, (uintptr_t)&cell);
    hx_vmread(VMCS_CR3_TARGET_VALUE0, &v);
    hx_outcome(c, "vmwrite-memory-operand", "%s readback 0x%lx", hx_str(r, buf, sizeof buf), (unsigned long)v);
    cell = 0;
    r = hx_vmread_mem(VMCS_CR3_TARGET_VALUE0, (uintptr_t)&cell);
    hx_outcome(c, "vmread-memory-operand", "%s value 0x%lx", hx_str(r, buf, sizeof buf), (unsigned long)cell);
    if (hx_amd64()) {
        hx_report(c, "vmread-memory-noncanonical", hx_vmread_mem(VMCS_GUEST_RIP, HX_NONCANONICAL));
        hx_report(c, "vmwrite-memory-noncanonical", hx_vmwrite_mem(VMCS_GUEST_RIP, HX_NONCANONICAL));
        hx_report(c, "vmread-memory-unmapped", hx_vmread_mem(VMCS_GUEST_RIP, HX_UNMAPPED));
        hx_report(c, "vmwrite-memory-unmapped", hx_vmwrite_mem(VMCS_GUEST_RIP, HX_UNMAPPED));
        /* an unsupported field with a bad memory operand: VMWRITE reads its operand first */
        hx_report(c, "vmwrite-unsupported-from-unmapped", hx_vmwrite_mem(0xffff, HX_UNMAPPED));
    } else {
        hx_outcome(c, "vmread-memory-noncanonical", "n/a");
        hx_outcome(c, "vmwrite-memory-noncanonical", "n/a");
        hx_outcome(c, "vmread-memory-unmapped", "n/a");
        hx_outcome(c, "vmwrite-memory-unmapped", "n/a");
        hx_outcome(c, "vmwrite-unsupported-from-unmapped", "n/a");
    }
    vcpu_reset(c, hx_guest_nop, 0);
}
