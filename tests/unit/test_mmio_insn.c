/* test_mmio_insn.c - the xAPIC MOV decoder: the forms compilers emit for APIC register accesses, and everything it must refuse */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "pure/mmio_insn.h"

#define DECODE(mode, ...) decode(mode, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))
static struct mmio_insn got;
static bool decode(enum mmio_mode mode, const uint8_t *b, unsigned n) { return mmio_insn_decode(b, n, mode, &got); }

static void test_store_register_forms(void **s)
{
    (void)s;
    /* mov %eax, 0xffffffffff5fd0b0: SIB with no base, disp32 (Linux's native_apic_mem_write) */
    assert_true(DECODE(MMIO_MODE_64, 0x89, 0x04, 0x25, 0xb0, 0xd0, 0x5f, 0xff));
    assert_int_equal(got.len, 7); assert_true(got.write); assert_false(got.has_imm); assert_int_equal(got.reg, 0);
    /* mov %edx, (%rax) */
    assert_true(DECODE(MMIO_MODE_64, 0x89, 0x10));
    assert_int_equal(got.len, 2); assert_int_equal(got.reg, 2);
    /* mov %ecx, 0x8(%r12): REX.B only, SIB, disp8 */
    assert_true(DECODE(MMIO_MODE_64, 0x41, 0x89, 0x4c, 0x24, 0x08));
    assert_int_equal(got.len, 5); assert_int_equal(got.reg, 1);
    /* mov %r8d, 0x10(%rax): REX.R extends the source register */
    assert_true(DECODE(MMIO_MODE_64, 0x44, 0x89, 0x40, 0x10));
    assert_int_equal(got.len, 4); assert_int_equal(got.reg, 8);
    /* mov %esi, 0xfee000b0(,%ebx,1) with a DS override in 32-bit code: disp32 after SIB (mod 2) */
    assert_true(DECODE(MMIO_MODE_32, 0x3e, 0x89, 0xb4, 0x1b, 0xb0, 0x00, 0xe0, 0xfe));
    assert_int_equal(got.len, 8); assert_int_equal(got.reg, 6);
    /* mov %eax, 0xfee000b0 (mod 0 rm 5: disp32, RIP-relative in 64-bit mode) */
    assert_true(DECODE(MMIO_MODE_32, 0x89, 0x05, 0xb0, 0x00, 0xe0, 0xfe));
    assert_int_equal(got.len, 6);
}

static void test_store_immediate(void **s)
{
    (void)s;
    /* movl $0, 0xb0(%rax): mod 2, disp32, imm32 */
    assert_true(DECODE(MMIO_MODE_64, 0xc7, 0x80, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00));
    assert_int_equal(got.len, 10); assert_true(got.has_imm); assert_int_equal(got.imm, 0);
    /* movl $0x12345678, (%rdx) */
    assert_true(DECODE(MMIO_MODE_64, 0xc7, 0x02, 0x78, 0x56, 0x34, 0x12));
    assert_int_equal(got.len, 6); assert_int_equal(got.imm, 0x12345678);
    /* movl $1, %fs:0x10(%rax) with 0x67 and a segment override */
    assert_true(DECODE(MMIO_MODE_64, 0x64, 0x67, 0xc7, 0x40, 0x10, 0x01, 0x00, 0x00, 0x00));
    assert_int_equal(got.len, 9); assert_int_equal(got.imm, 1);
}

static void test_load(void **s)
{
    (void)s;
    /* mov 0x20(%rax), %r9d */
    assert_true(DECODE(MMIO_MODE_64, 0x44, 0x8b, 0x48, 0x20));
    assert_int_equal(got.len, 4); assert_false(got.write); assert_int_equal(got.reg, 9);
    assert_true(DECODE(MMIO_MODE_32, 0x8b, 0x15, 0x20, 0x00, 0xe0, 0xfe));
    assert_int_equal(got.len, 6); assert_int_equal(got.reg, 2);
}

static void test_moffs(void **s)
{
    (void)s;
    /* mov %eax, 0xfee000f0 / mov 0xfee000f0, %eax in 32-bit code (what gcc -m32 emits) */
    assert_true(DECODE(MMIO_MODE_32, 0xa3, 0xf0, 0x00, 0xe0, 0xfe));
    assert_int_equal(got.len, 5); assert_true(got.write); assert_int_equal(got.reg, 0);
    assert_true(DECODE(MMIO_MODE_32, 0xa1, 0xf0, 0x00, 0xe0, 0xfe));
    assert_int_equal(got.len, 5); assert_false(got.write);
    /* 64-bit mode: an 8-byte address, or 4 with 0x67 */
    assert_true(DECODE(MMIO_MODE_64, 0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0, 0, 0, 0));
    assert_int_equal(got.len, 9);
    assert_true(DECODE(MMIO_MODE_64, 0x67, 0xa1, 0xb0, 0x00, 0xe0, 0xfe));
    assert_int_equal(got.len, 6);
    assert_false(DECODE(MMIO_MODE_32, 0x67, 0xa3, 0xf0, 0x00));              /* 16-bit address */
    assert_false(DECODE(MMIO_MODE_64, 0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0, 0, 0)); /* truncated */
    assert_false(DECODE(MMIO_MODE_64, 0x48, 0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0, 0, 0, 0)); /* REX.W */
}

static void test_refused(void **s)
{
    (void)s;
    assert_false(DECODE(MMIO_MODE_64, 0x66, 0x89, 0x02));        /* 16-bit operand */
    assert_false(DECODE(MMIO_MODE_64, 0x48, 0x89, 0x02));        /* REX.W: 64-bit */
    assert_false(DECODE(MMIO_MODE_64, 0x89, 0xc0));              /* register operand */
    assert_false(DECODE(MMIO_MODE_64, 0xc7, 0x0a, 1, 2, 3, 4));  /* C7 /1 */
    assert_false(DECODE(MMIO_MODE_64, 0xf0, 0x89, 0x02));        /* LOCK */
    assert_false(DECODE(MMIO_MODE_64, 0x87, 0x02));              /* XCHG */
    assert_false(DECODE(MMIO_MODE_32, 0x41, 0x89, 0x02));        /* 0x41 is INC in 32-bit code */
    assert_false(DECODE(MMIO_MODE_64, 0x40, 0x48, 0x89, 0x02));  /* a REX not last */
    assert_false(DECODE(MMIO_MODE_32, 0x67, 0x89, 0x02));        /* 16-bit addressing */
    assert_false(mmio_insn_decode((const uint8_t[]){ 0x89, 0x02 }, 2, (enum mmio_mode)16, &got));
}

static void test_truncated(void **s)
{
    (void)s;
    const uint8_t full[] = { 0xc7, 0x80, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
    for (unsigned n = 0; n < sizeof full; n++) assert_false(mmio_insn_decode(full, n, MMIO_MODE_64, &got));
    assert_true(mmio_insn_decode(full, sizeof full, MMIO_MODE_64, &got));
    const uint8_t sib[] = { 0x89, 0x04, 0x25, 0xb0, 0xd0, 0x5f, 0xff };
    for (unsigned n = 0; n < sizeof sib; n++) assert_false(mmio_insn_decode(sib, n, MMIO_MODE_64, &got));
    uint8_t prefixes[16];
    for (unsigned i = 0; i < 16; i++) prefixes[i] = 0x3e;
    assert_false(mmio_insn_decode(prefixes, 16, MMIO_MODE_64, &got));   /* never past 15 bytes */
    uint8_t long_one[15] = { 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0xc7, 0x80, 0xb0, 0, 0, 0, 1, 0, 0, 0 };
    assert_true(mmio_insn_decode(long_one, 15, MMIO_MODE_64, &got));
    assert_int_equal(got.len, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_register_forms), cmocka_unit_test(test_store_immediate),
        cmocka_unit_test(test_load), cmocka_unit_test(test_moffs), cmocka_unit_test(test_refused), cmocka_unit_test(test_truncated),
    };
    return cmocka_run_group_tests_name("mmio_insn", tests, NULL, NULL);
}
