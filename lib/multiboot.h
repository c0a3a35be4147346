/* multiboot.h - Multiboot v1 information structure and parsing (pure; host-testable) */
#ifndef LIB_MULTIBOOT_H
#define LIB_MULTIBOOT_H

#include "types.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

/* Multiboot v1 spec, section 3.3 "Boot information format". */
struct PACKED mb_info {
    u32 flags;
    u32 mem_lower, mem_upper;
    u32 boot_device;
    u32 cmdline;
    u32 mods_count, mods_addr;
    u32 syms[4];
    u32 mmap_length, mmap_addr;
    u32 drives_length, drives_addr;
    u32 config_table, boot_loader_name, apm_table;
};
_Static_assert(sizeof(struct mb_info) == 72, "multiboot info layout");

struct PACKED mb_module { u32 start, end, string, reserved; };
_Static_assert(sizeof(struct mb_module) == 16, "multiboot module layout");

/* An mmap entry; 'size' does not count itself. */
struct PACKED mb_mmap_entry { u32 size; u64 addr, len; u32 type; };
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "multiboot mmap layout");

#define MB_FLAG_MEM BIT(0)
#define MB_FLAG_BOOTDEV BIT(1)
#define MB_FLAG_CMDLINE BIT(2)
#define MB_FLAG_MODS BIT(3)
#define MB_FLAG_MMAP BIT(6)

/* Physical memory is reached through 'phys_base + pa' (identity = 0; host tests pass
 * the buffer they crafted). */
struct mb_view { const struct mb_info *info; uintptr_t phys_base; };

const char *mb_cmdline(const struct mb_view *v);
/* Value of "key=value" in a command line (GRUB passes only the arguments; no program
 * name is assumed). Copies at most size-1 chars; returns false if the key is absent. */
bool cmdline_get(const char *cmdline, const char *key, char *out, size_t size);
u64 cmdline_get_u64(const char *cmdline, const char *key, u64 dflt);

/* Iterate the memory map: returns the next entry after *cursor (start with 0), or NULL.
 * Robust against a 'size' field that would loop forever or run past mmap_length. */
const struct mb_mmap_entry *mb_mmap_next(const struct mb_view *v, u32 *cursor);
/* Highest end address of type-1 (available) RAM. */
u64 mb_ram_top(const struct mb_view *v);

u32 mb_module_count(const struct mb_view *v);
const struct mb_module *mb_module(const struct mb_view *v, u32 i);

#endif
