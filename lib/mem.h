/* mem.h - the memory functions of mem.c, for freestanding code */
#ifndef LIB_MEM_H
#define LIB_MEM_H
#include "types.h"
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif
