/* Host unit tests for pure/mtrr.c: random MTRR states compared page by page with a naive SDM model. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pure/mtrr.h"
#include "tests/unit/mtrr_model.h"

/* ---- randomised comparison with the naive model ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic, so failures reproduce */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static unsigned rnd_type(void)
{
    static const unsigned t[] = { 0, 1, 4, 5, 6, 6, 6, 0, 4, 2, 7 };
    return t[rnd() % (sizeof(t) / sizeof(t[0]))];
}

#define WIN_BITS 24                 /* 16 MiB window = 4096 pages */
#define WIN_PAGES (1u << (WIN_BITS - 12))

/* A random state whose ranges all land in the window at `win`. */
static void random_state(struct mtrr_state *s, uint64_t win)
{
    static const unsigned maxphys[] = { 32, 36, 39, 46, 52 };
    unsigned maxphy = maxphys[rnd() % 5];
    uint64_t high = phys_mask(maxphy) & ~((1ull << WIN_BITS) - 1);

    init_state(s, maxphy, (unsigned)(rnd() % 12), 0);
    if (rnd() % 8 == 0)
        s->cap &= ~(1ull << 8);     /* no fixed ranges */
    if (rnd() % 4 == 0)
        s->cap &= ~(1ull << 10);    /* no WC */
    s->def_type = rnd_type() | (rnd() % 16 ? E_BIT : 0) | (rnd() % 4 ? FE_BIT : 0);
    for (unsigned m = 0; m < 11; m++)
        for (unsigned b = 0; b < 8; b++)
            set_fixed_byte(&s->fixed[m], b, rnd() % 3 ? MT_WB : rnd_type());
    for (unsigned i = 0; i < MTRR_MAX_VAR; i++) {
        uint64_t low;
        if (rnd() % 2) {            /* contiguous: bits k..WIN_BITS-1 */
            unsigned k = 12 + (unsigned)(rnd() % (WIN_BITS - 12 + 1));
            low = ((1ull << WIN_BITS) - 1) & ~((1ull << k) - 1);
        } else {                    /* any subset of the window's bits */
            low = rnd() & ((1ull << WIN_BITS) - 1) & ~0xFFFull;
        }
        s->var_mask[i] = high | low | (rnd() % 6 ? V_BIT : 0) | (rnd() & 0x7FF);
        s->var_base[i] = (win & high) | (rnd() & ((1ull << WIN_BITS) - 1) & ~0xFFFull)
                         | rnd_type() | (rnd() % 8 == 0 ? 1ull << 60 : 0);
    }
}

static void test_random_against_model(void **st)
{
    static int pages[WIN_PAGES];
    struct mtrr_state s;

    (void)st;
    for (unsigned iter = 0; iter < 400; iter++) {
        uint64_t win = (iter % 4 == 0) ? 0 : (rnd() % 64) << WIN_BITS;

        random_state(&s, win);
        if (win + (1ull << WIN_BITS) > (1ull << s.maxphyaddr))
            win = 0;
        for (unsigned p = 0; p < WIN_PAGES; p++) {
            pages[p] = ref_page(&s, win + ((uint64_t)p << 12));
            assert_int_equal(mtrr_type_of_addr(&s, win + ((uint64_t)p << 12)), pages[p]);
        }
        for (unsigned q = 0; q < 200; q++) {
            unsigned a = (unsigned)(rnd() % WIN_PAGES);
            unsigned n = 1 + (unsigned)(rnd() % (WIN_PAGES - a));
            int want;

            if (q % 4 == 0) {       /* aligned power-of-two blocks, like EPT */
                unsigned k = (unsigned)(rnd() % (WIN_BITS - 12 + 1));
                a &= ~((1u << k) - 1);
                n = 1u << k;
            }
            want = pages[a];
            for (unsigned p = a + 1; p < a + n; p++)
                if (pages[p] != want)
                    want = MT_MIXED;
            assert_int_equal(mtrr_type_of_range(&s, win + ((uint64_t)a << 12),
                                                (uint64_t)n << 12), want);
        }
        for (unsigned q = 0; q < 50; q++) {
            unsigned a = (unsigned)(rnd() % WIN_PAGES);
            uint64_t got = mtrr_uniform_extent(&s, win + ((uint64_t)a << 12), 1ull << WIN_BITS);
            uint64_t want = 4096;

            for (uint64_t sz = 1ull << WIN_BITS; sz > 4096; sz >>= 1) {
                if (((uint64_t)a << 12) & (sz - 1))
                    continue;
                if (ref_range(&s, win + ((uint64_t)a << 12), sz) >= 0) {
                    want = sz;
                    break;
                }
            }
            assert_int_equal(got, want);
        }
    }
}

/*
 * Hostile states (a guest's MTRR view): random masks over all address bits.
 * Whole-space queries must finish quickly and never claim a wrong uniform
 * type; sampled pages are checked against the model.
 */
static void test_random_hostile_sound(void **st)
{
    struct mtrr_state s;

    (void)st;
    for (unsigned iter = 0; iter < 200; iter++) {
        init_state(&s, 36 + (unsigned)(rnd() % 17), 16, E_BIT | FE_BIT | rnd_type());
        for (unsigned i = 0; i < MTRR_MAX_VAR; i++) {
            s.var_base[i] = (rnd() & ~0xFFFull) | rnd_type();
            s.var_mask[i] = (rnd() & (rnd() | rnd())) | V_BIT;
        }
        for (unsigned q = 0; q < 20; q++) {
            uint64_t lim = 1ull << s.maxphyaddr;
            uint64_t a = (rnd() % lim) & ~0xFFFull;
            uint64_t n = 1 + rnd() % (lim - a);
            int got = mtrr_type_of_range(&s, a, n);

            assert_true(got == MT_MIXED || got == MT_UC || got == MT_WC || got == MT_WT
                        || got == MT_WP || got == MT_WB);
            if (got == MT_MIXED)
                continue;
            for (unsigned k = 0; k < 64; k++)
                assert_int_equal(ref_page(&s, (a + rnd() % n) & ~0xFFFull), got);
            assert_int_equal(ref_page(&s, a & ~0xFFFull), got);
            assert_int_equal(ref_page(&s, (a + n - 1) & ~0xFFFull), got);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_random_hostile_sound),
    };

    return cmocka_run_group_tests_name("mtrr_model", tests, NULL, NULL);
}
