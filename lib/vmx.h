/* vmx.h - VMX instruction wrappers reporting VMsucceed/VMfailInvalid/VMfailValid, and width-checked VMCS accessors */
#ifndef LIB_VMX_H
#define LIB_VMX_H

#include "types.h"
#include "vmcs_fields.h"
#include "vmx_defs.h"

/* SDM 31.2 conventions: CF=1 VMfailInvalid, ZF=1 VMfailValid (error in the VMCS). */
enum vmx_status { VMX_OK = 0, VMX_FAIL_INVALID = 1, VMX_FAIL_VALID = 2 };

#define VMX_STATUS_FROM_FLAGS(cf, zf) ((cf) ? VMX_FAIL_INVALID : (zf) ? VMX_FAIL_VALID : VMX_OK)

/* One wrapper per instruction. Memory operands are 64-bit in both modes. */
#define VMX_INSN_M64(name, mnem)                                                    \
    static inline enum vmx_status name(u64 pa)                                      \
    {                                                                               \
        u8 cf, zf;                                                                  \
        __asm__ __volatile__(mnem " %2; setc %0; setz %1"                           \
                             : "=q"(cf), "=q"(zf) : "m"(pa) : "cc", "memory");      \
        return VMX_STATUS_FROM_FLAGS(cf, zf);                                       \
    }
VMX_INSN_M64(vmxon, "vmxon")
VMX_INSN_M64(vmclear, "vmclear")
VMX_INSN_M64(vmptrld, "vmptrld")
#undef VMX_INSN_M64

static inline enum vmx_status vmptrst(u64 *pa)
{
    u8 cf, zf;
    __asm__ __volatile__("vmptrst %2; setc %0; setz %1" : "=q"(cf), "=q"(zf), "=m"(*pa) : : "cc", "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

static inline enum vmx_status vmxoff(void)
{
    u8 cf, zf;
    __asm__ __volatile__("vmxoff; setc %0; setz %1" : "=q"(cf), "=q"(zf) : : "cc", "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

/* Raw VMREAD/VMWRITE of one natural-width operand (32 bits on i386). */
static inline enum vmx_status vmread_raw(uintptr_t enc, uintptr_t *val)
{
    u8 cf, zf;
    uintptr_t v = 0;
    __asm__ __volatile__("vmread %3, %2; setc %0; setz %1"
                         : "=q"(cf), "=q"(zf), "=rm"(v) : "r"(enc) : "cc", "memory");
    *val = v;
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}
static inline enum vmx_status vmwrite_raw(uintptr_t enc, uintptr_t val)
{
    u8 cf, zf;
    __asm__ __volatile__("vmwrite %3, %2; setc %0; setz %1"
                         : "=q"(cf), "=q"(zf) : "r"(enc), "rm"(val) : "cc", "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

/* INVEPT/INVVPID: register operand = type, memory operand = 128-bit descriptor. */
struct inv_desc { u64 lo, hi; };
static inline enum vmx_status invept(uintptr_t type, const struct inv_desc *d)
{
    u8 cf, zf;
    __asm__ __volatile__("invept %2, %3; setc %0; setz %1"
                         : "=q"(cf), "=q"(zf) : "m"(*d), "r"(type) : "cc", "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}
static inline enum vmx_status invvpid(uintptr_t type, const struct inv_desc *d)
{
    u8 cf, zf;
    __asm__ __volatile__("invvpid %2, %3; setc %0; setz %1"
                         : "=q"(cf), "=q"(zf) : "m"(*d), "r"(type) : "cc", "memory");
    return VMX_STATUS_FROM_FLAGS(cf, zf);
}

/* Any-width VMREAD/VMWRITE of a full field (64-bit fields take two accesses on i386).
 * Return the status; *val untouched on failure. */
enum vmx_status vmcs_read_any(unsigned enc, u64 *val);
enum vmx_status vmcs_write_any(unsigned enc, u64 val);
/* VM-instruction error of the current VMCS (after VMfailValid). */
u32 vmx_instruction_error(void);

/* Width-checked accessors: the field's width must match at compile time (a field name
 * from the table is a constant), and a failing VMREAD/VMWRITE panics with the field's
 * name: nothing reads a missing field as 0 silently. */
#define VMCS_WIDTH_CHECK(f, w) ((void)sizeof(struct { _Static_assert(VMCS_ENC_WIDTH(f) == (w), "VMCS field width mismatch: " #f); int x; }))
u64 vmcs_read_checked(unsigned enc);
/* Set by a hypervisor that can read the current VMCS without VMREAD (nestvisor under
 * nestvisor: hv/vmx/pv_vmcs.c); false = not served, VMREAD it. NULL in LHV. */
extern bool (*vmcs_read_fast)(unsigned enc, u64 *val);
void vmcs_write_checked(unsigned enc, u64 val);
#define vmcs_read16(f)  (VMCS_WIDTH_CHECK(f, VMCS_W16), (u16)vmcs_read_checked(f))
#define vmcs_read32(f)  (VMCS_WIDTH_CHECK(f, VMCS_W32), (u32)vmcs_read_checked(f))
#define vmcs_read64(f)  (VMCS_WIDTH_CHECK(f, VMCS_W64), (u64)vmcs_read_checked(f))
#define vmcs_readnat(f) (VMCS_WIDTH_CHECK(f, VMCS_WNAT), (uintptr_t)vmcs_read_checked(f))
#define vmcs_write16(f, v)  (VMCS_WIDTH_CHECK(f, VMCS_W16), vmcs_write_checked(f, (u16)(v)))
#define vmcs_write32(f, v)  (VMCS_WIDTH_CHECK(f, VMCS_W32), vmcs_write_checked(f, (u32)(v)))
#define vmcs_write64(f, v)  (VMCS_WIDTH_CHECK(f, VMCS_W64), vmcs_write_checked(f, (u64)(v)))
#define vmcs_writenat(f, v) (VMCS_WIDTH_CHECK(f, VMCS_WNAT), vmcs_write_checked(f, (uintptr_t)(v)))

/* One guest segment register (selector, base, limit, access rights; SDM 25.4.1). */
#define VMCS_WRITE_GUEST_SEG(S, sel, base, limit, ar)        \
    do {                                                    \
        vmcs_write16(VMCS_GUEST_##S##_SEL, sel);            \
        vmcs_writenat(VMCS_GUEST_##S##_BASE, base);         \
        vmcs_write32(VMCS_GUEST_##S##_LIMIT, limit);        \
        vmcs_write32(VMCS_GUEST_##S##_AR, ar);              \
    } while (0)

/* Print every field of the current VMCS as "VMCS <name> 0x<enc> = 0x<val>" between
 * VMCS-DUMP BEGIN/END markers (lab/lab vmcs-diff reads them). */
void vmcs_dump(const char *label);

/* Control value from a capability MSR (allowed-0 in bits 31:0, allowed-1 in 63:32),
 * SDM A.3: required bits forced on, unsupported wanted bits dropped. */
static inline u32 vmx_adjust_controls(u64 cap, u32 want)
{
    return (want | (u32)cap) & (u32)(cap >> 32);
}

#endif
