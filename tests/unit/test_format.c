/* Host unit tests for lib/format.c: nv_vsnprintf against the host's snprintf, plus the string helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/format.h"

/* The host's snprintf is the oracle for everything format.h says it supports. */
#define SAME(...)                                                       \
    do {                                                                \
        char got_[256], want_[256];                                     \
        int gn_ = nv_snprintf(got_, sizeof got_, __VA_ARGS__);          \
        int wn_ = snprintf(want_, sizeof want_, __VA_ARGS__);           \
        assert_string_equal(got_, want_);                               \
        assert_int_equal(gn_, wn_);                                     \
    } while (0)

/* A format the compiler cannot see, for cases -Wformat rightly flags. */
static const char *unchecked(const char *fmt)
{
    const char *volatile f = fmt;
    return f;
}

static void test_integers(void **st)
{
    (void)st;
    SAME("%d %i %u", 0, -1, 0u);
    SAME("%d %d", INT_MAX, INT_MIN);
    SAME("%u %x %X %o", UINT_MAX, 0xdeadbeefu, 0xdeadbeefu, 0777u);
    SAME("%ld %lu %lx", LONG_MIN, ULONG_MAX, (unsigned long)LONG_MAX);
    SAME("%lld %llu %llx", LLONG_MIN, ULLONG_MAX, 0x123456789abcdefULL);
    SAME("%hd %hu %hx", 40000, 70000, 0x12345);
    SAME("%hhd %hhu %hhx", 200, 300, 0x1ff);
    SAME("%zu %zx %td %jd %ju", (size_t)12345, SIZE_MAX, (ptrdiff_t)-7, (intmax_t)INT64_MIN,
         (uintmax_t)UINT64_MAX);
}

static void test_flags_and_width(void **st)
{
    (void)st;
    SAME("[%5d] [%-5d] [%05d]", 42, 42, 42);
    SAME("[%5d] [%-5d] [%05d]", -42, -42, -42);
    SAME("[%08x] [%-8x] [%8X]", 0xbeefu, 0xbeefu, 0xbeefu);
    SAME("[%#x] [%#X] [%#lx]", 0xbeefu, 0xbeefu, 0xfee00000ul);
    SAME("[%#010x] [%#-10x] [%#10x]", 0x1234u, 0x1234u, 0x1234u);
    SAME(unchecked("[%-05d]"), 7);      /* '-' overrides '0' */
    SAME("[%1d] [%2d]", 12345, 12345);  /* width smaller than the number */
    SAME("[%*d] [%-*d]", 6, 99, 6, 99);
    SAME("[%016llx]", 0xfffff000ULL);
}

static void test_strings_chars_pointers(void **st)
{
    char buf[64];
    int x;

    (void)st;
    SAME("[%s] [%10s] [%-10s]", "abc", "abc", "abc");
    SAME("[%.2s] [%.0s] [%.10s]", "abcdef", "abcdef", "abc");
    SAME("[%*.*s]", 8, 3, "abcdef");
    SAME("[%.*s]", -1, "negative precision means none");
    SAME("[%c%c%c] [%3c] [%-3c]", 'a', 'b', 'c', 'x', 'y');
    SAME("100%% [%%] %s", "done");
    SAME("no conversions at all");
    SAME("%s", "");
    SAME("%p", (void *)&x);             /* glibc prints 0x... for non-NULL */
    nv_snprintf(buf, sizeof buf, unchecked("%s"), (const char *)NULL);
    assert_string_equal(buf, "(null)");
    nv_snprintf(buf, sizeof buf, "%p", (void *)NULL);
    assert_string_equal(buf, "0x0");
}

/* C99 7.19.6.1 details that hand-written printfs often get wrong. */
static void test_c99_alt_hex_zero(void **st)
{
    (void)st;
    SAME("[%#x] [%#X] [%#5x]", 0u, 0u, 0u); /* no 0x prefix for a zero value */
}

static void test_c99_alt_octal(void **st)
{
    (void)st;
    SAME("[%#o] [%#o] [%#5o]", 8u, 0u, 8u); /* '#' with o: a leading 0 */
}

static void test_c99_negative_star_width(void **st)
{
    (void)st;
    SAME("[%*d] [%*s]", -6, 99, -4, "ab");  /* a negative '*' width means '-' */
}

static void test_truncation(void **st)
{
    char buf[16];

    (void)st;
    /* returns the untruncated length, always NUL-terminates, never overruns */
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(nv_snprintf(buf, 8, "%s-%d", "hello", 12345), 11);
    assert_string_equal(buf, "hello-1");
    assert_int_equal(buf[8], 'Z');
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(nv_snprintf(buf, 1, "abc"), 3);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], 'Z');
    assert_int_equal(nv_snprintf(NULL, 0, "%08x%s", 1u, "abc"), 11);
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(nv_snprintf(buf, 4, "%#010x", 0xabu), 10);
    assert_string_equal(buf, "0x0");
    assert_int_equal(nv_snprintf(buf, sizeof buf, "%d", 5), 1);
    assert_string_equal(buf, "5");
}

static int via_va_list(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = nv_vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

static void test_vsnprintf(void **st)
{
    char buf[64];

    (void)st;
    assert_int_equal(via_va_list(buf, sizeof buf, "CPU(0x%02x): %s %llu", 3u, "up", 1ULL << 40), 27);
    assert_string_equal(buf, "CPU(0x03): up 1099511627776");
}

static void test_string_helpers(void **st)
{
    const char *end;

    (void)st;
    assert_int_equal(nv_strlen(""), 0);
    assert_int_equal(nv_strlen("abc"), 3);
    assert_int_equal(nv_strncmp("abc", "abd", 2), 0);
    assert_true(nv_strncmp("abc", "abd", 3) < 0);
    assert_true(nv_strncmp("abd", "abc", 3) > 0);
    assert_true(nv_strncmp("ab", "abc", 3) < 0);
    assert_int_equal(nv_strncmp("abc", "abc", 100), 0);
    assert_int_equal(nv_strncmp("x", "y", 0), 0);
    assert_true(nv_strncmp("\xff", "a", 1) > 0);    /* compares as unsigned char */

    assert_int_equal(nv_strtou64("12345", &end), 12345);
    assert_int_equal(*end, '\0');
    assert_int_equal(nv_strtou64("0x1fFf", &end), 0x1fff);
    assert_int_equal(*end, '\0');
    assert_int_equal(nv_strtou64("0XABC", NULL), 0xabc);
    assert_int_equal(nv_strtou64("18446744073709551615", NULL), UINT64_MAX);
    assert_int_equal(nv_strtou64("0xffffffffffffffff", NULL), UINT64_MAX);
    assert_int_equal(nv_strtou64("42k", &end), 42);
    assert_string_equal(end, "k");
    assert_int_equal(nv_strtou64("abc", &end), 0);
    assert_string_equal(end, "abc");
    assert_int_equal(nv_strtou64("", &end), 0);
    assert_string_equal(end, "");
    assert_int_equal(nv_strtou64("12 34", &end), 12);
    assert_string_equal(end, " 34");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_flags_and_width),
        cmocka_unit_test(test_strings_chars_pointers),
        cmocka_unit_test(test_c99_alt_hex_zero),
        cmocka_unit_test(test_c99_alt_octal),
        cmocka_unit_test(test_c99_negative_star_width),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_vsnprintf),
        cmocka_unit_test(test_string_helpers),
    };

    return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
