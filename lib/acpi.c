/* acpi.c - RSDP/RSDT/XSDT walk to the MADT, and MADT parsing */
#include "acpi.h"
#include "format.h"

u8 acpi_checksum(const void *p, size_t len)
{
    const u8 *b = p;
    u8 s = 0;
    while (len--) s = (u8)(s + *b++);
    return s;
}

bool madt_parse(const void *madt, size_t len, struct madt_info *out)
{
    const struct acpi_madt *m = madt;
    out->ncpus = out->skipped = 0;
    if (len < sizeof *m || m->h.length < sizeof *m || m->h.length > len) return false;
    if (nv_strncmp(m->h.signature, "APIC", 4) || acpi_checksum(m, m->h.length)) return false;
    out->lapic_addr = m->lapic_addr;
    const u8 *p = (const u8 *)m + sizeof *m, *end = (const u8 *)m + m->h.length;
    while (p + 2 <= end) {
        u8 type = p[0], elen = p[1];
        if (elen < 2 || p + elen > end) return false;
        u32 id = 0, flags = 0;
        bool cpu = false;
        if (type == 0 && elen >= 8) { /* 5.2.12.2 processor local APIC */
            id = p[3];
            flags = (u32)p[4] | (u32)p[5] << 8 | (u32)p[6] << 16 | (u32)p[7] << 24;
            cpu = true;
        } else if (type == 9 && elen >= 16) { /* 5.2.12.12 processor local x2APIC */
            id = (u32)p[4] | (u32)p[5] << 8 | (u32)p[6] << 16 | (u32)p[7] << 24;
            flags = (u32)p[8] | (u32)p[9] << 8 | (u32)p[10] << 16 | (u32)p[11] << 24;
            cpu = true;
        } else if (type == 5 && elen >= 12) { /* local APIC address override */
            u64 a = 0;
            for (int i = 0; i < 8; i++) a |= (u64)p[4 + i] << (8 * i);
            if (a < (1ULL << 32)) out->lapic_addr = (u32)a;
        }
        if (cpu && (flags & 1)) {
            bool dup = false;
            for (unsigned i = 0; i < out->ncpus; i++) dup |= out->apic_id[i] == id;
            if (!dup) {
                if (out->ncpus < MAX_CPUS) out->apic_id[out->ncpus++] = id;
                else out->skipped++;
            }
        }
        p += elen;
    }
    return out->ncpus > 0;
}

static const struct acpi_rsdp *scan_rsdp(uintptr_t phys_base, u32 start, u32 len)
{
    for (u32 a = start; a + sizeof(struct acpi_rsdp) <= start + len; a += 16) {
        const struct acpi_rsdp *r = (const void *)(phys_base + a);
        if (!nv_strncmp(r->signature, "RSD PTR ", 8) && !acpi_checksum(r, 20)) return r;
    }
    return NULL;
}

const struct acpi_header *acpi_find_table(uintptr_t phys_base, const char sig[4])
{
    u32 ebda = (u32)(*(const u16 *)(phys_base + 0x40e)) << 4;
    const struct acpi_rsdp *r = NULL;
    if (ebda >= 0x80000 && ebda < 0xa0000) r = scan_rsdp(phys_base, ebda, 1024);
    if (!r) r = scan_rsdp(phys_base, 0xe0000, 0x20000);
    if (!r) return NULL;
    bool x = r->revision >= 2 && r->xsdt_address && r->xsdt_address < (1ULL << 32);
    const struct acpi_header *sdt = (const void *)(phys_base + (uintptr_t)(x ? r->xsdt_address : r->rsdt_address));
    if (sdt->length < sizeof *sdt || acpi_checksum(sdt, sdt->length)) return NULL;
    unsigned esize = x ? 8 : 4, n = (sdt->length - sizeof *sdt) / esize;
    const u8 *ents = (const u8 *)(sdt + 1);
    for (unsigned i = 0; i < n; i++) {
        u64 pa = 0;
        for (unsigned b = 0; b < esize; b++) pa |= (u64)ents[i * esize + b] << (8 * b);
        if (!pa || pa >= (1ULL << 32)) continue;
        const struct acpi_header *h = (const void *)(phys_base + (uintptr_t)pa);
        if (!nv_strncmp(h->signature, sig, 4)) return h;
    }
    return NULL;
}

const struct acpi_madt *acpi_find_madt(uintptr_t phys_base)
{
    return (const struct acpi_madt *)acpi_find_table(phys_base, "APIC");
}

u16 acpi_pm1a_cnt_port(uintptr_t phys_base)
{
    const struct acpi_header *f = acpi_find_table(phys_base, "FACP");
    if (!f || f->length < 68 || acpi_checksum(f, f->length)) return 0;
    u32 port = *(const u32 *)((const u8 *)f + 64); /* ACPI 5.2.9 FADT: PM1a_CNT_BLK */
    return port < 0x10000 ? (u16)port : 0;
}
