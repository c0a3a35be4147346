/* alloc.c - bump allocator of zeroed pages after the LHV image (pages are never freed) */
#include "lhv.h"
#include "mem.h"
#include "spinlock.h"

extern u8 _image_end[];
static uintptr_t next_free;
static spinlock_t alloc_lock = SPINLOCK_INIT;
#define ALLOC_LIMIT 0x4000000u /* 64 MiB: LHV keeps below this */

void *page_alloc_aligned(unsigned npages, uintptr_t align)
{
    spin_lock(&alloc_lock);
    if (!next_free) next_free = (uintptr_t)_image_end;
    uintptr_t p = ALIGN_UP(next_free, align);
    next_free = p + (uintptr_t)npages * PAGE_SIZE;
    spin_unlock(&alloc_lock);
    PANIC_ON(next_free > ALLOC_LIMIT || next_free > ram_top);
    memset((void *)p, 0, (size_t)npages * PAGE_SIZE);
    return (void *)p;
}

void *page_alloc(unsigned npages) { return page_alloc_aligned(npages, PAGE_SIZE); }
