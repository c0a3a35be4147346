/* e820.c - editing a BIOS E820 memory map: carve a range out and give it a type */
#include "e820.h"

void e820_sort(struct e820_range *m, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        struct e820_range x = m[i];
        unsigned j = i;
        for (; j > 0 && m[j - 1].addr > x.addr; j--) m[j] = m[j - 1];
        m[j] = x;
    }
}

bool e820_set_range(struct e820_range *m, unsigned *n, unsigned max, uint64_t start, uint64_t end, uint32_t type)
{
    if (end <= start) return true;
    struct e820_range out[128];
    unsigned k = 0;
    if (max > 128) max = 128;
    for (unsigned i = 0; i < *n; i++) {
        uint64_t a = m[i].addr, b = m[i].addr + m[i].len;
        if (b <= a) continue;                 /* drop empty or wrapping entries */
        if (b <= start || a >= end) {         /* untouched */
            if (k >= max) return false;
            out[k++] = m[i];
            continue;
        }
        if (a < start) {                      /* the part below */
            if (k >= max) return false;
            out[k++] = (struct e820_range){ a, start - a, m[i].type };
        }
        if (b > end) {                        /* the part above */
            if (k >= max) return false;
            out[k++] = (struct e820_range){ end, b - end, m[i].type };
        }
    }
    if (k >= max) return false;
    out[k++] = (struct e820_range){ start, end - start, type };
    e820_sort(out, k);
    for (unsigned i = 0; i < k; i++) m[i] = out[i];
    *n = k;
    return true;
}
