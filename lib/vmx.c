/* vmx.c - full-width VMCS access, error reporting and the VMCS dump */
#include "vmx.h"
#include "console.h"

enum vmx_status vmcs_read_any(unsigned enc, u64 *val)
{
    uintptr_t lo, hi = 0;
    enum vmx_status s = vmread_raw(enc, &lo);
    if (s != VMX_OK) return s;
#ifndef __x86_64__
    if (VMCS_ENC_WIDTH(enc) == VMCS_W64 && !VMCS_ENC_HIGH(enc)) {
        s = vmread_raw(enc + 1, &hi);
        if (s != VMX_OK) return s;
    }
#endif
    *val = (u64)lo | ((u64)hi << 16 << 16);
    return VMX_OK;
}

enum vmx_status vmcs_write_any(unsigned enc, u64 val)
{
    enum vmx_status s = vmwrite_raw(enc, (uintptr_t)val);
#ifndef __x86_64__
    if (s == VMX_OK && VMCS_ENC_WIDTH(enc) == VMCS_W64 && !VMCS_ENC_HIGH(enc))
        s = vmwrite_raw(enc + 1, (uintptr_t)(val >> 32));
#endif
    return s;
}

u32 vmx_instruction_error(void)
{
    uintptr_t v = 0;
    if (vmread_raw(VMCS_VM_INSTRUCTION_ERROR, &v) != VMX_OK) return 0xffffffffu;
    return (u32)v;
}

static const char *field_name(unsigned enc)
{
    const struct vmcs_field_info *f = vmcs_field_lookup(enc);
    return f ? f->name : "?";
}

bool (*vmcs_read_fast)(unsigned enc, u64 *val);

u64 vmcs_read_checked(unsigned enc)
{
    u64 v = 0;
    if (vmcs_read_fast && vmcs_read_fast(enc, &v)) return v;
    enum vmx_status s = vmcs_read_any(enc, &v);
    if (s != VMX_OK)
        PANIC("VMREAD %s (0x%x) failed: status %d error %u", field_name(enc), enc, s,
              s == VMX_FAIL_VALID ? vmx_instruction_error() : 0);
    return v;
}

void vmcs_write_checked(unsigned enc, u64 val)
{
    enum vmx_status s = vmcs_write_any(enc, val);
    if (s != VMX_OK)
        PANIC("VMWRITE %s (0x%x) = 0x%llx failed: status %d error %u", field_name(enc), enc,
              (unsigned long long)val, s, s == VMX_FAIL_VALID ? vmx_instruction_error() : 0);
}

void vmcs_dump(const char *label)
{
    cprintf("VMCS-DUMP BEGIN %s", label);
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        const struct vmcs_field_info *f = &vmcs_field_table[i];
        u64 v;
        if (vmcs_read_any(f->encoding, &v) == VMX_OK)
            cprintf("VMCS %s 0x%04x = 0x%llx", f->name, f->encoding, (unsigned long long)v);
        else
            cprintf("VMCS %s 0x%04x = unsupported", f->name, f->encoding);
    }
    cprintf("VMCS-DUMP END");
}
