/* Host unit tests for lib/ratelimit.h: burst, then powers of two, with the count of what was dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/ratelimit.h"

static void test_burst_then_powers_of_two(void **st)
{
    struct ratelimit rl = { 0, 0 };
    u64 suppressed = 12345, dropped_total = 0, printed = 0;

    (void)st;
    for (u64 n = 1; n <= RL_BURST; n++) {
        assert_true(ratelimit_allow(&rl, &suppressed));
        assert_int_equal(suppressed, 0);
    }
    for (u64 n = RL_BURST + 1; n <= 1u << 20; n++) {
        bool pow2 = (n & (n - 1)) == 0;

        suppressed = 12345;
        assert_int_equal(ratelimit_allow(&rl, &suppressed), pow2);
        if (pow2) {
            /* everything since the previous printed event */
            u64 prev = n / 2 > RL_BURST ? n / 2 : RL_BURST;
            assert_int_equal(suppressed, n - prev - 1);
            dropped_total += suppressed;
            printed++;
        } else {
            assert_int_equal(suppressed, 12345);    /* untouched when dropped */
        }
    }
    assert_int_equal(rl.count, 1u << 20);
    /* every event is either printed or reported as dropped exactly once */
    assert_int_equal(RL_BURST + printed + dropped_total, 1u << 20);
}

static void test_independent_sites(void **st)
{
    struct ratelimit a = { 0, 0 }, b = { 0, 0 };
    u64 s;

    (void)st;
    for (int i = 0; i < 100; i++)
        ratelimit_allow(&a, &s);
    assert_true(ratelimit_allow(&b, &s));
    assert_int_equal(s, 0);
    assert_int_equal(b.count, 1);
    assert_int_equal(a.count, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_powers_of_two),
        cmocka_unit_test(test_independent_sites),
    };

    return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
