/* vmcs12.c - L1's memory as L0 reaches it, and VMCS12 kept in L1's own VMCS region, laid out by the one field table */
#include "hv.h"
#include "mem.h"
#include "nested.h"

/* RAM of the guest per the E820 map it was given (nestvisor's region is reserved there). */
static bool l1_is_ram(u64 page)
{
    for (unsigned i = 0; i < vm.e820_count; i++) {
        const struct e820_entry *e = &vm.e820[i];
        if (e->type == 1 && page >= e->addr && page + PAGE_SIZE <= e->addr + e->len) return true;
    }
    return false;
}

u8 *l1_page(u64 gpa)
{
    u64 page = gpa & ~(u64)(PAGE_SIZE - 1);
    if (page >= HV_BASE && page < HV_END) return vm.decoy_page;
    if (!l1_is_ram(page)) {
        LOG_RL("L1 memory access at 0x%llx is not RAM: decoy page used", (unsigned long long)gpa);
        return vm.decoy_page;
    }
    return (u8 *)(uintptr_t)page;
}

/* len may cross a page boundary: each page is looked up on its own. */
static bool l1_copy(u64 gpa, void *buf, unsigned len, bool write)
{
    bool ram = true;
    u8 *b = buf;
    while (len) {
        unsigned off = gpa & (PAGE_SIZE - 1), n = PAGE_SIZE - off;
        if (n > len) n = len;
        u8 *pg = l1_page(gpa);
        if (pg == vm.decoy_page && !(gpa >= HV_BASE && gpa < HV_END)) ram = false;
        if (write) memcpy(pg + off, b, n);
        else memcpy(b, pg + off, n);
        gpa += n; b += n; len -= n;
    }
    return ram;
}

bool l1_read(u64 gpa, void *buf, unsigned len) { return l1_copy(gpa, buf, len, false); }
bool l1_write(u64 gpa, const void *buf, unsigned len) { return l1_copy(gpa, (void *)(uintptr_t)buf, len, true); }

/* ---- VMCS12 ---- */

static volatile u64 *field_slot(u64 vmcs12, unsigned enc)
{
    const struct vmcs_field_info *f = vmcs_field_lookup(enc);
    PANIC_ON(!f); /* callers pass table encodings only */
    unsigned off = VMCS12_FIELDS_OFF + 8 * (unsigned)(f - vmcs_field_table);
    _Static_assert(VMCS12_FIELDS_OFF + 8 * 256 <= PAGE_SIZE, "VMCS12 fields fit the VMCS region");
    return (volatile u64 *)(l1_page(vmcs12) + off);
}

u64 vmcs12_read(u64 vmcs12, unsigned enc) { return *field_slot(vmcs12, enc); }

void vmcs12_write(u64 vmcs12, unsigned enc, u64 v)
{
    switch (VMCS_ENC_WIDTH(enc)) {
    case VMCS_W16: v &= 0xffff; break;
    case VMCS_W32: v &= 0xffffffffu; break;
    default: break;
    }
    *field_slot(vmcs12, enc) = v;
}

bool vmcs12_launched(u64 vmcs12)
{
    return *(volatile u32 *)(l1_page(vmcs12) + VMCS12_LAUNCH_OFF) == VMCS12_LAUNCHED_MAGIC;
}

void vmcs12_set_launched(u64 vmcs12, bool launched)
{
    *(volatile u32 *)(l1_page(vmcs12) + VMCS12_LAUNCH_OFF) = launched ? VMCS12_LAUNCHED_MAGIC : 0;
}
