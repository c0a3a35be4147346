/* registry.c - the list of LHV tests, in the order each CPU runs them, with their option bits */
#include "lhv.h"

#define TEST(name) void test_##name(struct cpu *c);
#define SUPPORT(name) bool supports_##name(void);
TEST(basic)
#undef TEST
#undef SUPPORT

const struct lhv_test lhv_tests[] = {
    { "basic", 0xffffffffu, NULL, test_basic },
};
const unsigned lhv_test_count = sizeof lhv_tests / sizeof lhv_tests[0];
