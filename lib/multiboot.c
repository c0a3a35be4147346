/* multiboot.c - Multiboot v1 command line, memory map and module parsing */
#include "multiboot.h"
#include "format.h"

static const void *phys(const struct mb_view *v, u64 pa) { return (const void *)(v->phys_base + (uintptr_t)pa); }

const char *mb_cmdline(const struct mb_view *v)
{
    if (!(v->info->flags & MB_FLAG_CMDLINE) || !v->info->cmdline) return "";
    return phys(v, v->info->cmdline);
}

bool cmdline_get(const char *s, const char *key, char *out, size_t size)
{
    size_t klen = nv_strlen(key);
    while (*s) {
        while (*s == ' ') s++;
        const char *word = s;
        while (*s && *s != ' ') s++;
        if ((size_t)(s - word) > klen && !nv_strncmp(word, key, klen) && word[klen] == '=') {
            const char *val = word + klen + 1;
            size_t n = 0;
            while (val + n < s && n + 1 < size) { out[n] = val[n]; n++; }
            if (size) out[n] = '\0';
            return true;
        }
    }
    return false;
}

u64 cmdline_get_u64(const char *cmdline, const char *key, u64 dflt)
{
    char buf[32];
    const char *end;
    if (!cmdline_get(cmdline, key, buf, sizeof buf) || !buf[0]) return dflt;
    u64 v = nv_strtou64(buf, &end);
    return *end ? dflt : v;
}

const struct mb_mmap_entry *mb_mmap_next(const struct mb_view *v, u32 *cursor)
{
    if (!(v->info->flags & MB_FLAG_MMAP)) return NULL;
    if ((u64)*cursor + sizeof(struct mb_mmap_entry) > v->info->mmap_length) return NULL;
    const struct mb_mmap_entry *e = phys(v, (u64)v->info->mmap_addr + *cursor);
    /* malformed: too small to hold the fields, or running past the map (or wrapping) */
    if (e->size < 20 || (u64)*cursor + 4 + e->size > v->info->mmap_length) return NULL;
    *cursor += e->size + 4;
    return e;
}

u64 mb_ram_top(const struct mb_view *v)
{
    u64 top = 0;
    u32 cur = 0;
    for (const struct mb_mmap_entry *e; (e = mb_mmap_next(v, &cur));)
        if (e->type == 1 && e->addr + e->len > top) top = e->addr + e->len;
    if (!top && (v->info->flags & MB_FLAG_MEM)) top = 0x100000 + (u64)v->info->mem_upper * 1024;
    return top;
}

u32 mb_module_count(const struct mb_view *v)
{
    return (v->info->flags & MB_FLAG_MODS) ? v->info->mods_count : 0;
}

const struct mb_module *mb_module(const struct mb_view *v, u32 i)
{
    if (i >= mb_module_count(v)) return NULL;
    return (const struct mb_module *)phys(v, (u64)v->info->mods_addr + (u64)i * sizeof(struct mb_module));
}
