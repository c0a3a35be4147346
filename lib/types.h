/* types.h - fixed-width integer types and small helpers shared by every freestanding part */
#ifndef LIB_TYPES_H
#define LIB_TYPES_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

/* Address spaces are distinct types in name; plain integers underneath. */
typedef u64 hpa_t; /* host-physical */
typedef u64 gpa_t; /* guest-physical */
typedef uintptr_t gva_t; /* guest-virtual */

/* A pointer to a fixed physical address (identity mapped). Laundered through an empty asm
 * so that the compiler does not treat small constant addresses as out-of-bounds objects. */
static inline void *phys_ptr(uintptr_t pa)
{
    __asm__("" : "+r"(pa));
    return (void *)pa;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define BIT(n) (1ULL << (n))
#define PAGE_SIZE 4096u
#define UNUSED __attribute__((unused))
#define NORETURN __attribute__((noreturn))
#define PACKED __attribute__((packed))
#define ALIGNED(n) __attribute__((aligned(n)))

#endif
