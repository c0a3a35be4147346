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

static u8 *l1_page_slow(u64 page)
{
    if (page >= HV_BASE && page < HV_END) return vm.decoy_page;
    if (!l1_is_ram(page)) {
        LOG_RL("L1 memory access at 0x%llx is not RAM: decoy page used", (unsigned long long)page);
        return vm.decoy_page;
    }
    return (u8 *)(uintptr_t)page;
}

/* One remembered page per CPU (most accesses are to the current VMCS12): the E820 map
 * never changes, so the answer for a page never does either. */
u8 *l1_page(u64 gpa)
{
    struct pcpu *p = this_pcpu();
    u64 page = gpa & ~(u64)(PAGE_SIZE - 1);
    if (p->nested.last_page_hva && p->nested.last_page == page) return p->nested.last_page_hva;
    u8 *hva = l1_page_slow(page);
    p->nested.last_page = page;
    p->nested.last_page_hva = hva;
    return hva;
}

/* No memory at all behind gpa (l1_page gave the decoy page for an address outside
 * nestvisor's region): the bare machine reads all ones there and drops writes. */
static bool l1_no_ram(u64 gpa, const u8 *pg)
{
    return pg == vm.decoy_page && !(gpa >= HV_BASE && gpa < HV_END);
}

bool l1_has_memory(u64 gpa) { return !l1_no_ram(gpa, l1_page(gpa)); }

/* A bitmap L1 names for L2 (MSR, I/O, VMREAD/VMWRITE: SDM 25.6.4, 25.6.9, 25.6.15), read
 * by L0 on L1's behalf. Where no RAM is the CPU reads all ones: every access is L1's, and
 * what L1 wrote into the decoy page (through nestvisor's region) never stands in. */
const u8 *l1_bitmap(u64 gpa)
{
    static const u8 all_ones[PAGE_SIZE] ALIGNED(PAGE_SIZE) = { [0 ... PAGE_SIZE - 1] = 0xff };
    const u8 *pg = l1_page(gpa);
    return l1_no_ram(gpa, pg) ? all_ones : pg;
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
        if (l1_no_ram(gpa, pg)) {
            /* no memory there: reads give all ones and writes go nowhere, as on the bare
             * machine (the contract of vmcs12_read_gpa_fn), never the decoy page, which L1
             * writes through nestvisor's region: a VMXON region, VMCS or MSR-load list (SDM
             * 31.3, 26.4) at such an address must not read what L1 put there */
            ram = false;
            if (!write) memset(b, 0xff, n);
        } else if (write) {
            memcpy(pg + off, b, n);
        } else {
            memcpy(b, pg + off, n);
        }
        gpa += n; b += n; len -= n;
    }
    return ram;
}

bool l1_read(u64 gpa, void *buf, unsigned len) { return l1_copy(gpa, buf, len, false); }
bool l1_write(u64 gpa, const void *buf, unsigned len) { return l1_copy(gpa, (void *)(uintptr_t)buf, len, true); }

/* ---- VMCS12 ---- */

/* Table row + 1 of every encoding (bits 14:0 without the access-type bit: width, type,
 * index), 0 = not a field: O(1) instead of a search on every VMCS12 access. */
static u8 row_of[1u << 14];

int vmcs12_row_find(unsigned enc)
{
    if (!row_of[vmcs_field_table[0].encoding >> 1]) {
        for (unsigned i = 0; i < vmcs_field_count; i++) row_of[vmcs_field_table[i].encoding >> 1] = (u8)(i + 1);
    }
    unsigned r = enc < (1u << 15) && !(enc & 1) ? row_of[enc >> 1] : 0;
    return (int)r - 1;
}

unsigned vmcs12_row(unsigned enc)
{
    int r = vmcs12_row_find(enc);
    PANIC_ON(r < 0); /* callers pass table encodings only */
    return (unsigned)r;
}

static volatile u64 *field_slot(u64 vmcs12, unsigned enc)
{
    _Static_assert(VMCS12_FIELDS_OFF + 8 * 255 <= PAGE_SIZE, "VMCS12 fields fit the VMCS region");
    return (volatile u64 *)(l1_page(vmcs12) + VMCS12_FIELDS_OFF + 8 * vmcs12_row(enc));
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
    shadow01_changed(vmcs12, vmcs12_row(enc));
}

bool vmcs12_launched(u64 vmcs12)
{
    return *(volatile u32 *)(l1_page(vmcs12) + VMCS12_LAUNCH_OFF) == VMCS12_LAUNCHED_MAGIC;
}

void vmcs12_set_launched(u64 vmcs12, bool launched)
{
    *(volatile u32 *)(l1_page(vmcs12) + VMCS12_LAUNCH_OFF) = launched ? VMCS12_LAUNCHED_MAGIC : 0;
}

/* The field array of a VMCS12 (index = table row), for loops over many fields. */
volatile u64 *vmcs12_fields(u64 vmcs12)
{
    return (volatile u64 *)(l1_page(vmcs12) + VMCS12_FIELDS_OFF);
}
