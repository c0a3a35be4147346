/* vmcs_fields.c - the VMCS field table as data (for dumps, lookups and, later, VMCS12 translation) */
#include "vmcs_fields.h"

const struct vmcs_field_info vmcs_field_table[] = {
#define VMCS_ROW(name, enc, w, g, f) { #name, enc, w, g, f },
    VMCS_FIELDS(VMCS_ROW)
#undef VMCS_ROW
};
const unsigned vmcs_field_count = sizeof vmcs_field_table / sizeof vmcs_field_table[0];

const struct vmcs_field_info *vmcs_field_lookup(unsigned encoding)
{
    unsigned lo = 0, hi = vmcs_field_count;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (vmcs_field_table[mid].encoding == encoding) return &vmcs_field_table[mid];
        if (vmcs_field_table[mid].encoding < encoding) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}
