/* format.h - freestanding vsnprintf-alike (no floating point); compiled for the host in unit tests too */
#ifndef LIB_FORMAT_H
#define LIB_FORMAT_H

#include "types.h"

/* Supports %d %i %u %x %X %o %c %s %p %%, flags '-' '0' '#', width, precision for
 * strings, length modifiers hh h l ll z j t. Always NUL-terminates when size > 0 and
 * returns the length the full output would have had, like C99. */
int nv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int nv_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Small string/memory helpers (the compiler may also emit calls to memcpy/memset). */
size_t nv_strlen(const char *s);
int nv_strncmp(const char *a, const char *b, size_t n);
/* Parse an unsigned number (0x prefix = hex, else decimal); *end set past it. */
u64 nv_strtou64(const char *s, const char **end);

#endif
