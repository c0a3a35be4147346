/* ept.h - EPT identity maps whose leaf memory types come from the MTRRs (SDM 29.3.7), with an optional hole */
#ifndef LIB_EPT_H
#define LIB_EPT_H
#include "types.h"
#include "../pure/mtrr.h"

#define EPT_ADDR_MASK 0x000ffffffffff000ull

struct ept {
    u64 *pml4;
    u64 eptp;
    unsigned pages;                 /* table pages allocated */
    u64 hole_start, hole_end;       /* [start, end) left not present (hypervisor memory) */
};
/* Identity map of [0, limit) with leaves no larger than max_page (4K, 2M or 1G), each
 * leaf's memory type from 'm' (a large leaf only where the type is uniform), except the
 * hole (set e->hole_start/hole_end before; both 0 = no hole). */
void ept_build_identity(struct ept *e, const struct mtrr_state *m, u64 limit, u64 max_page);
/* Re-derive every leaf's memory type from 'm', splitting large leaves that are no
 * longer uniform. The caller invalidates (INVEPT) afterwards. */
void ept_retype(struct ept *e, const struct mtrr_state *m);
/* Leaf entry mapping gpa and its size; NULL if not mapped. */
u64 *ept_lookup(struct ept *e, u64 gpa, u64 *leaf_size);
/* Split down to a 4 KiB leaf for gpa and return it (creating tables where absent). */
u64 *ept_leaf_4k(struct ept *e, u64 gpa);
#endif
