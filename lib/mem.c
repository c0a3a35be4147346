/* mem.c - memcpy/memset/memmove/memcmp for freestanding builds (the compiler emits calls to them) */
#include "types.h"

/* REP MOVS/STOS by machine word, then the odd bytes: one instruction for the whole
 * copy, where a byte loop costs several instructions per byte (a 4 KiB bitmap: 12K
 * instructions at O3, far more at O0; Bochs counts one per iteration, so words beat
 * bytes 8 to 1). DF is clear (SysV ABI) on every path that calls these. */
void *memcpy(void *d, const void *s, size_t n)
{
    void *dp = d;
    size_t words = n / sizeof(long), bytes = n % sizeof(long);
#ifdef __x86_64__
    __asm__ __volatile__("rep movsq" : "+D"(dp), "+S"(s), "+c"(words) : : "memory");
#else
    __asm__ __volatile__("rep movsl" : "+D"(dp), "+S"(s), "+c"(words) : : "memory");
#endif
    __asm__ __volatile__("rep movsb" : "+D"(dp), "+S"(s), "+c"(bytes) : : "memory");
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    u8 *dp = d;
    const u8 *sp = s;
    if (dp <= sp || dp >= sp + n) return memcpy(d, s, n);
    dp += n; sp += n;
    while (n--) *--dp = *--sp;   /* overlapping, backwards: rare */
    return d;
}

void *memset(void *d, int c, size_t n)
{
    void *dp = d;
    unsigned long pattern = (u8)c * (~0ul / 0xff);   /* the byte in every byte of a word */
    size_t words = n / sizeof(long), bytes = n % sizeof(long);
#ifdef __x86_64__
    __asm__ __volatile__("rep stosq" : "+D"(dp), "+c"(words) : "a"(pattern) : "memory");
#else
    __asm__ __volatile__("rep stosl" : "+D"(dp), "+c"(words) : "a"(pattern) : "memory");
#endif
    __asm__ __volatile__("rep stosb" : "+D"(dp), "+c"(bytes) : "a"(pattern) : "memory");
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}
