/* acpi.h - finding the ACPI MADT and listing the CPUs it names (parsing is pure; host-testable) */
#ifndef LIB_ACPI_H
#define LIB_ACPI_H

#include "types.h"

/* ACPI 6.x, 5.2.5 RSDP and 5.2.6 system description table header. */
struct PACKED acpi_rsdp {
    char signature[8];
    u8 checksum;
    char oem_id[6];
    u8 revision;
    u32 rsdt_address;
    u32 length;
    u64 xsdt_address;
    u8 ext_checksum;
    u8 reserved[3];
};
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout");

struct PACKED acpi_header {
    char signature[4];
    u32 length;
    u8 revision, checksum;
    char oem_id[6], oem_table_id[8];
    u32 oem_revision, creator_id, creator_revision;
};
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header layout");

/* 5.2.12 MADT: header, local APIC address, flags, then entries {type, length, ...}. */
struct PACKED acpi_madt { struct acpi_header h; u32 lapic_addr, flags; };
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT layout");

#define MAX_CPUS 16

struct madt_info {
    u32 lapic_addr;
    unsigned ncpus;              /* enabled processors, in MADT order (BSP first by spec) */
    u32 apic_id[MAX_CPUS];
    unsigned skipped;            /* enabled processors beyond MAX_CPUS */
};

/* Sum of bytes mod 256 (a valid ACPI structure sums to 0). */
u8 acpi_checksum(const void *p, size_t len);
/* Parse a MADT of 'len' bytes (len comes from the caller's buffer, never trusted from
 * the table alone). Returns false if the table is malformed. Processor local APIC
 * (type 0) and local x2APIC (type 9) entries with the Enabled flag count as CPUs. */
bool madt_parse(const void *madt, size_t len, struct madt_info *out);

/* Find the MADT via the RSDP in the EBDA or 0xE0000-0xFFFFF, RSDT or XSDT. Physical
 * memory is reached as phys_base + pa. Returns NULL if absent or corrupt. */
const struct acpi_madt *acpi_find_madt(uintptr_t phys_base);
/* Any table by signature ("FACP", "APIC", ...), or NULL. */
const struct acpi_header *acpi_find_table(uintptr_t phys_base, const char sig[4]);
/* The ACPI PM1a control port from the FADT (where an OS writes SLP_EN to power off), or 0. */
u16 acpi_pm1a_cnt_port(uintptr_t phys_base);

#endif
