/* registry.c - the list of LHV tests, in the order each CPU runs them, with their option bits */
#include "lhv.h"

#define TESTS(X)                                                       \
    X(basic, 0xffffffffu, NULL)                                        \
    X(msr_areas, OPT_MSR_AREAS, NULL)                                  \
    X(ept_mtrr, OPT_EPT_MTRR, supports_ept)                            \
    X(ept_switch, OPT_EPT_SWITCH, supports_ept)                        \
    X(vpid, OPT_VPID, supports_vpid)                                   \
    X(unrestricted, OPT_UNRESTRICTED, supports_unrestricted)           \
    X(vmcs_cycle, OPT_VMCS_CYCLE, NULL)                                \
    X(ept_large, OPT_EPT_LARGE, supports_ept)                          \
    X(msr_bitmap, OPT_MSR_BITMAP, NULL)                                \
    X(user_mode, OPT_USER_MODE, NULL)                                  \
    X(wrmsr_fault, OPT_WRMSR_FAULT, NULL)                              \
    X(nmi, OPT_NMI, supports_nmi)                                      \
    X(preempt_timer, OPT_PREEMPT_TIMER, supports_preempt_timer)        \
    X(vmcs_shadow, OPT_VMCS_SHADOW, supports_vmcs_shadow)             \
    X(bench, OPT_BENCH, NULL)                                          \
    X(nmi_exp, OPT_NMI_EXP, supports_nmi)                              \
    X(hostile, OPT_HOSTILE, NULL)

#define DECLARE(name, opt, sup) void test_##name(struct cpu *c);
TESTS(DECLARE)
bool supports_ept(void);
bool supports_vpid(void);
bool supports_unrestricted(void);
bool supports_nmi(void);
bool supports_preempt_timer(void);
bool supports_vmcs_shadow(void);

#define ROW(name, opt, sup) { #name, opt, sup, test_##name },
const struct lhv_test lhv_tests[] = { TESTS(ROW) };
const unsigned lhv_test_count = sizeof lhv_tests / sizeof lhv_tests[0];

void ept_tests_init(void);
void unrestricted_init(void);
void nmi_init(void);
void nmi_exp_init(void);
void hostile_events_init(void);

/* One-time set-up on the BSP, before the APs start. */
void lhv_tests_init(void)
{
    ept_tests_init();
    unrestricted_init();
    nmi_init();
    nmi_exp_init();
    if (lhv_opt & OPT_HOSTILE) hostile_events_init();
}
