/* page_alloc.c - bump allocator of zeroed pages inside one region (pages are never freed) */
#include "page_alloc.h"
#include "console.h"
#include "mem.h"
#include "spinlock.h"

static uintptr_t next_free, region_end;
static spinlock_t alloc_lock = SPINLOCK_INIT;

void page_alloc_init(uintptr_t start, uintptr_t end)
{
    next_free = ALIGN_UP(start, (uintptr_t)PAGE_SIZE);
    region_end = end;
}

void *page_alloc_aligned(unsigned npages, uintptr_t align)
{
    spin_lock(&alloc_lock);
    uintptr_t p = ALIGN_UP(next_free, align);
    uintptr_t end = p + (uintptr_t)npages * PAGE_SIZE;
    bool ok = region_end && end <= region_end && end > p;
    if (ok) next_free = end;
    spin_unlock(&alloc_lock);
    if (!ok) PANIC("out of memory: %u pages wanted, region ends at 0x%lx", npages, (unsigned long)region_end);
    memset((void *)p, 0, (size_t)npages * PAGE_SIZE);
    return (void *)p;
}

void *page_alloc(unsigned npages) { return page_alloc_aligned(npages, PAGE_SIZE); }

uintptr_t page_alloc_free(void) { return region_end - next_free; }
