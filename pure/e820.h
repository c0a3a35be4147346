/* e820.h - editing a BIOS E820 memory map (pure logic; host-testable) */
#ifndef PURE_E820_H
#define PURE_E820_H
#include <stdint.h>
#include <stdbool.h>

struct e820_range { uint64_t addr, len; uint32_t type; };
#define E820_RAM 1
#define E820_RESERVED 2

/* Give [start, end) the type 'type': entries are split or trimmed as needed, the result
 * stays sorted by address and free of overlaps in that range. False (map unchanged) if
 * the result would need more than 'max' entries. */
bool e820_set_range(struct e820_range *map, unsigned *n, unsigned max, uint64_t start, uint64_t end, uint32_t type);
/* Sort by address (stable insertion sort; maps are short). */
void e820_sort(struct e820_range *map, unsigned n);
#endif
