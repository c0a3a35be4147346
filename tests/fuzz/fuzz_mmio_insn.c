/* fuzz_mmio_insn.c - the xAPIC MOV decoder on arbitrary bytes: never reads past what it is given, lengths 1..15, fields in range */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pure/mmio_insn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    enum mmio_mode mode = (data[0] & 1) ? MMIO_MODE_64 : MMIO_MODE_32;
    size_t n = size - 1;
    if (n > 32) n = 32;
    uint8_t *copy = malloc(n ? n : 1);   /* exact size: ASan catches any read past it */
    memcpy(copy, data + 1, n);
    struct mmio_insn d;
    if (mmio_insn_decode(copy, (unsigned)n, mode, &d)) {
        if (d.len < 2 || d.len > 15 || d.len > n || d.reg > 15) abort();
        if (mode == MMIO_MODE_32 && d.reg > 7) abort();
        /* the same bytes with exactly len available decode the same; one fewer does not */
        struct mmio_insn e;
        if (!mmio_insn_decode(copy, d.len, mode, &e) || e.len != d.len || e.reg != d.reg || e.write != d.write ||
            e.has_imm != d.has_imm || e.imm != d.imm)
            abort();
        if (mmio_insn_decode(copy, d.len - 1, mode, &e)) abort();
    }
    free(copy);
    return 0;
}
