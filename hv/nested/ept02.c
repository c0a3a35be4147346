/* ept02.c - EPT02 (placeholder until pure/ept_nested lands) */
#include "hv.h"
#include "nested.h"
void ept02_cpu_init(struct pcpu *p) { (void)p; }
u64 ept02_eptp(struct pcpu *p, u64 eptp12) { (void)eptp12; return p->ept.eptp; }
enum ept02_result ept02_violation(struct pcpu *p, u64 *qual12) { (void)p; *qual12 = vmcs_readnat(VMCS_EXIT_QUALIFICATION); return EPT02_L1_VIOLATION; }
void ept02_invalidate(struct pcpu *p, u64 eptp12, bool all) { (void)p; (void)eptp12; (void)all; }
