/* mtrr_read.h - reading this CPU's MTRRs into the pure resolver's state */
#ifndef LIB_MTRR_READ_H
#define LIB_MTRR_READ_H
#include "../pure/mtrr.h"
void mtrr_read_state(struct mtrr_state *s);
#endif
