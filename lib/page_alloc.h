/* page_alloc.h - bump allocator of zeroed pages inside one region (pages are never freed) */
#ifndef LIB_PAGE_ALLOC_H
#define LIB_PAGE_ALLOC_H
#include "types.h"
void page_alloc_init(uintptr_t start, uintptr_t end);
void *page_alloc(unsigned npages);
void *page_alloc_aligned(unsigned npages, uintptr_t align);
/* Bytes still free. */
uintptr_t page_alloc_free(void);
#endif
