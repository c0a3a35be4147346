/* format.c - nv_vsnprintf and tiny string helpers, freestanding and host-testable */
#include "format.h"

struct out { char *buf; size_t size, len; };

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, bool left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left && pad == '0' && n && (s[0] == '-')) { put(o, '-'); s++; n--; }
    if (!left) while (fill-- > 0) put(o, pad);
    while (n--) put(o, *s++);
    if (left) while (fill-- > 0) put(o, ' ');
}

static size_t utoa(char *tmp, u64 v, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char rev[24];
    size_t n = 0, i;
    do { rev[n++] = digits[v % base]; v /= base; } while (v);
    for (i = 0; i < n; i++) tmp[i] = rev[n - 1 - i];
    return n;
}

int nv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') { put(&o, *fmt); continue; }
        bool left = false, alt = false;
        char pad = ' ';
        int width = 0, prec = -1, lng = 0;
        for (;; fmt++) {
            if (fmt[1] == '-') left = true;
            else if (fmt[1] == '0') pad = '0';
            else if (fmt[1] == '#') alt = true;
            else break;
        }
        fmt++;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) { left = true; width = -width; } /* C99 7.19.6.1p5 */
            fmt++;
        }
        else while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            fmt++; prec = 0;
            if (*fmt == '*') { prec = va_arg(ap, int); fmt++; }
            else while (*fmt >= '0' && *fmt <= '9') prec = prec * 10 + (*fmt++ - '0');
        }
        for (;; fmt++) {
            if (*fmt == 'l') lng++;
            else if (*fmt == 'h') lng = lng > 0 ? lng : lng - 1;
            else if (*fmt == 'z' || *fmt == 't') lng = sizeof(size_t) == 8 ? 2 : 0;
            else if (*fmt == 'j') lng = 2;
            else break;
        }
        char tmp[32];
        size_t n;
        u64 u;
        switch (*fmt) {
        case 'd': case 'i': {
            s64 v = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
            if (lng == -1) v = (short)v;
            if (lng <= -2) v = (signed char)v;
            bool neg = v < 0;
            u = neg ? (u64)0 - (u64)v : (u64)v;
            tmp[0] = '-';
            n = utoa(tmp + neg, u, 10, false) + neg;
            put_padded(&o, tmp, n, width, left, pad);
            break;
        }
        case 'u': case 'x': case 'X': case 'o': case 'p': {
            if (*fmt == 'p') { u = (uintptr_t)va_arg(ap, void *); alt = true; }
            else if (lng >= 2) u = va_arg(ap, unsigned long long);
            else if (lng == 1) u = va_arg(ap, unsigned long);
            else u = va_arg(ap, unsigned int);
            if (lng == -1) u = (u16)u;
            if (lng <= -2) u = (u8)u;
            unsigned base = *fmt == 'o' ? 8 : *fmt == 'u' ? 10 : 16;
            size_t p = 0;
            if (alt && base == 16 && (u || *fmt == 'p')) { tmp[0] = '0'; tmp[1] = *fmt == 'X' ? 'X' : 'x'; p = 2; }
            n = utoa(tmp + p, u, base, *fmt == 'X');
            if (alt && base == 8 && tmp[0] != '0') { /* C99: '#' with o forces a leading zero */
                for (size_t k = n; k > 0; k--) tmp[k] = tmp[k - 1];
                tmp[0] = '0';
                n++;
            }
            if (p && pad == '0' && !left) {
                /* "0x" goes before the zero padding */
                put(&o, tmp[0]); put(&o, tmp[1]);
                put_padded(&o, tmp + 2, n, width - 2, left, pad);
            } else {
                put_padded(&o, tmp, n + p, width, left, pad);
            }
            break;
        }
        case 'c': tmp[0] = (char)va_arg(ap, int); put_padded(&o, tmp, 1, width, left, ' '); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            n = 0;
            while (s[n] && (prec < 0 || (int)n < prec)) n++;
            put_padded(&o, s, n, width, left, ' ');
            break;
        }
        case '%': put(&o, '%'); break;
        case '\0': fmt--; break;
        default: put(&o, '%'); put(&o, *fmt); break;
        }
    }
    if (size) buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int nv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = nv_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

size_t nv_strlen(const char *s)
{
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

int nv_strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
        if (!*a) return 0;
    }
    return 0;
}

u64 nv_strtou64(const char *s, const char **end)
{
    u64 v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { base = 16; s += 2; }
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9') d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f') d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F') d = (unsigned)(*s - 'A' + 10);
        else break;
        v = v * base + d;
    }
    if (end) *end = s;
    return v;
}
