/* Host unit tests for pure/vmx_operand.c: every addressing form, address size, segment fault and register operand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "pure/vmx_operand.h"
#include "lib/vmx_defs.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
enum { AS16 = 0, AS32 = 1, AS64 = 2 };
#define NOREG (-1)

/* Instruction information for a memory operand, as the CPU encodes it (invalid fields left 0, as Bochs does). */
static uint32_t ii_mem(unsigned asz, unsigned seg, int base, int index, unsigned scale)
{
    uint32_t ii = (asz << 7) | (seg << 15);

    ii |= base < 0 ? VMX_II_BASE_INVALID : (uint32_t)base << 23;
    ii |= index < 0 ? VMX_II_INDEX_INVALID : ((uint32_t)index << 18) | scale;
    return ii;
}

/* VMREAD/VMWRITE register form: Reg1 = r/m register, Reg2 = field-encoding register. */
static uint32_t ii_reg(unsigned reg1, unsigned reg2)
{
    return VMX_II_REG_FORM | (reg1 << 3) | ((uint32_t)reg2 << 28);
}

#define AR_CODE64  0xA09Bu   /* exec/read accessed, S, P, L, G */
#define AR_CODE32  0xC09Bu   /* exec/read accessed, S, P, D, G */
#define AR_DATA32  0xC093u   /* read/write accessed, S, P, B, G */
#define AR_DATA16  0x0093u   /* read/write accessed, S, P, byte granular, B = 0 */

static void set_seg(struct vmx_operand_ctx *c, unsigned s, uint64_t base, uint32_t limit, uint32_t ar)
{
    c->seg[s] = (struct vmx_guest_seg){ base, limit, ar };
}

/* 64-bit mode, flat segments; data segments with junk bases that 64-bit mode must ignore. */
static void ctx64(struct vmx_operand_ctx *c)
{
    memset(c, 0, sizeof(*c));
    c->lma = true;
    c->protected_mode = true;
    for (unsigned s = 0; s < VMX_SEG_COUNT; s++) set_seg(c, s, 0x1000000ull * (s + 1), 0xFFFFFFFF, AR_DATA32);
    set_seg(c, VMX_SEG_CS, 0x4000, 0xFFFFFFFF, AR_CODE64);
    set_seg(c, VMX_SEG_FS, 0, 0xFFFFFFFF, AR_DATA32);
    set_seg(c, VMX_SEG_GS, 0, 0xFFFFFFFF, AR_DATA32);
}

/* 32-bit protected mode, flat 4 GiB segments. */
static void ctx32(struct vmx_operand_ctx *c)
{
    memset(c, 0, sizeof(*c));
    c->protected_mode = true;
    for (unsigned s = 0; s < VMX_SEG_COUNT; s++) set_seg(c, s, 0, 0xFFFFFFFF, AR_DATA32);
    set_seg(c, VMX_SEG_CS, 0, 0xFFFFFFFF, AR_CODE32);
}

static struct vmx_operand mem(const struct vmx_operand_ctx *c, unsigned size, enum vmx_access acc)
{
    struct vmx_operand op;

    assert_int_equal(vmx_decode_mem_operand(c, size, acc, &op), VMX_OPERAND_OK);
    assert_false(op.is_reg);
    assert_int_equal(op.size, size);
    assert_int_equal(op.error_code, 0);
    return op;
}

static void expect_fault(const struct vmx_operand_ctx *c, unsigned size, enum vmx_access acc, int fault, unsigned why)
{
    struct vmx_operand op = mem(c, size, acc);

    assert_int_equal(op.fault, fault);
    assert_int_equal(op.why, why);
}

static void expect_ok(const struct vmx_operand_ctx *c, unsigned size, enum vmx_access acc, uint64_t linear)
{
    struct vmx_operand op = mem(c, size, acc);

    assert_int_equal(op.fault, VMX_FAULT_NONE);
    assert_int_equal(op.why, VMX_WHY_OK);
    assert_int_equal(op.linear, linear);
}

/* ---- addressing forms ---- */

static void test_base_only(void **st)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;

    (void)st;
    ctx64(&c);
    c.insn_info = ii_mem(AS64, VMX_SEG_DS, RBX, NOREG, 0);
    c.gpr[RBX] = 0xFFFF800000123000ull;
    c.qualification = 0x20;
    op = mem(&c, 8, VMX_ACCESS_READ);
    assert_int_equal(op.ea, 0xFFFF800000123020ull);
    assert_int_equal(op.linear, 0xFFFF800000123020ull);   /* DS base ignored in 64-bit mode */
    assert_int_equal(op.seg, VMX_SEG_DS);
    assert_int_equal(op.addr_size, 64);
    assert_int_equal(op.fault, VMX_FAULT_NONE);

    /* every base register, including RSP and R8..R15 */
    for (unsigned r = 0; r < 16; r++) {
        ctx64(&c);
        c.insn_info = ii_mem(AS64, VMX_SEG_DS, (int)r, NOREG, 0);
        c.gpr[r] = 0x1000 + r * 0x100;
        op = mem(&c, 8, VMX_ACCESS_READ);
        assert_int_equal(op.ea, 0x1000 + r * 0x100);
    }
}

static void test_base_index_scale(void **st)
{
    struct vmx_operand_ctx c;

    (void)st;
    for (unsigned scale = 0; scale < 4; scale++) {
        ctx64(&c);
        c.insn_info = ii_mem(AS64, VMX_SEG_DS, R13, R9, scale);
        c.gpr[R13] = 0x10000;
        c.gpr[R9] = 0x30;
        c.qualification = 0x8;
        assert_int_equal(mem(&c, 8, VMX_ACCESS_READ).ea, 0x10000 + (0x30u << scale) + 0x8);
    }
    /* index only (SIB with no base: [index*8 + disp32]) */
    ctx64(&c);
    c.insn_info = ii_mem(AS64, VMX_SEG_DS, NOREG, RSI, 3);
    c.gpr[RSI] = 0x100;
    c.qualification = 0x400000;
    assert_int_equal(mem(&c, 8, VMX_ACCESS_READ).ea, 0x400800);
    /* negative index wraps modulo 2^64 */
    ctx64(&c);
    c.insn_info = ii_mem(AS64, VMX_SEG_DS, RAX, RCX, 2);
    c.gpr[RAX] = 0x5000;
    c.gpr[RCX] = (uint64_t)-4;
    assert_int_equal(mem(&c, 8, VMX_ACCESS_READ).ea, 0x5000 - 16);
}

static void test_disp_only_and_rip_relative(void **st)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;

    (void)st;
    /* [disp32]: both registers invalid */
    ctx32(&c);
    c.insn_info = ii_mem(AS32, VMX_SEG_DS, NOREG, NOREG, 0);
    c.qualification = 0x5000;
    op = mem(&c, 8, VMX_ACCESS_READ);
    assert_int_equal(op.ea, 0x5000);
    assert_int_equal(op.linear, 0x5000);

    /* RIP-relative: the CPU reports base and index invalid and puts disp + next RIP in the
       qualification (SDM, exit qualification; Bochs: RIP's number 16 << 23 sets bit 27). */
    ctx64(&c);
    c.insn_info = (VMX_II_BASE_INVALID | VMX_II_INDEX_INVALID) | (AS64 << 7) | (VMX_SEG_DS << 15);
    assert_int_equal(c.insn_info, ((uint32_t)16 << 23) | VMX_II_INDEX_INVALID | (AS64 << 7) | (VMX_SEG_DS << 15));
    c.qualification = 0xFFFFFFFF81000000ull + 0x1234;   /* next RIP + disp */
    op = mem(&c, 8, VMX_ACCESS_READ);
    assert_int_equal(op.ea, 0xFFFFFFFF81001234ull);
    assert_int_equal(op.linear, 0xFFFFFFFF81001234ull);

    /* EIP-relative (67h prefix in 64-bit mode): the same sum, truncated to 32 bits */
    c.insn_info = ii_mem(AS32, VMX_SEG_DS, NOREG, NOREG, 0);
    assert_int_equal(mem(&c, 8, VMX_ACCESS_READ).ea, 0x81001234ull);

    /* undefined fields are ignored when marked invalid: junk register numbers and scale */
    ctx32(&c);
    c.insn_info = ii_mem(AS32, VMX_SEG_DS, NOREG, NOREG, 0) | (7u << 23) | (5u << 18) | 3u | (0xFu << 28) | (0x1Fu << 2);
    c.gpr[RDI] = 0x9999;
    c.gpr[RBP] = 0x7777;
    c.qualification = 0x40;
    assert_int_equal(mem(&c, 8, VMX_ACCESS_READ).ea, 0x40);
}

static void test_negative_displacement(void **st)
{
    struct vmx_operand_ctx c;

    (void)st;
    /* sign-extended to 64 bits (SDM) */
    ctx64(&c);
    c.insn_info = ii_mem(AS64, VMX_SEG_DS, RAX, NOREG, 0);
    c.gpr[RAX] = 0x2000;
    c.qualification = (uint64_t)-0x10;
    assert_int_equal(mem(&c, 8, VMX_ACCESS_READ).ea, 0x1FF0);

    /* 32-bit mode: SDM sign-extends, Bochs stores it zero-extended; same EA */
    ctx32(&c);
    c.insn_info = ii_mem(AS32, VMX_SEG_DS, RAX, NOREG, 0);
    c.gpr[RAX] = 0x2000;
    c.qualification = (uint64_t)-0x10;
    assert_int_equal(mem(&c, 8, VMX_ACCESS_READ).ea, 0x1FF0);
    c.qualification = 0xFFFFFFF0u;
    assert_int_equal(mem(&c, 8, VMX_ACCESS_READ).ea, 0x1FF0);

    /* 16-bit: disp16 FFF0h either way */
    ctx32(&c);
    set_seg(&c, VMX_SEG_DS, 0x20000, 0xFFFF, AR_DATA16);
    c.insn_info = ii_mem(AS16, VMX_SEG_DS, RBX, NOREG, 0);
    c.gpr[RBX] = 0x2000;
    c.qualification = 0xFFF0;
    assert_int_equal(mem(&c, 8, VMX_ACCESS_READ).ea, 0x1FF0);
    c.qualification = (uint64_t)-0x10;
    assert_int_equal(mem(&c, 8, VMX_ACCESS_READ).linear, 0x21FF0);
}

/* ---- address sizes and wraparound ---- */

static void test_16bit_addressing(void **st)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;

    (void)st;
    ctx32(&c);
    set_seg(&c, VMX_SEG_DS, 0x30000, 0xFFFF, AR_DATA16);
    /* [BX+SI+disp]: BX + SI wraps at 64 KiB; upper register bits are ignored */
    c.insn_info = ii_mem(AS16, VMX_SEG_DS, RBX, RSI, 0);
    c.gpr[RBX] = 0xDEAD0000FFF0ull;
    c.gpr[RSI] = 0x12340020;
    c.qualification = 0x4;
    op = mem(&c, 8, VMX_ACCESS_READ);
    assert_int_equal(op.ea, 0x14);
    assert_int_equal(op.addr_size, 16);
    assert_int_equal(op.linear, 0x30014);
    assert_int_equal(op.fault, VMX_FAULT_NONE);

    /* [BP+DI] with SS reported by the CPU (the BP default is already applied) */
    set_seg(&c, VMX_SEG_SS, 0x50000, 0xFFFF, AR_DATA16);
    c.insn_info = ii_mem(AS16, VMX_SEG_SS, RBP, RDI, 0);
    c.gpr[RBP] = 0x100;
    c.gpr[RDI] = 0x10;
    c.qualification = 0;
    op = mem(&c, 8, VMX_ACCESS_READ);
    assert_int_equal(op.seg, VMX_SEG_SS);
    assert_int_equal(op.linear, 0x50110);

    /* the EA wraps, the operand's bytes do not: an 8-byte operand fits a 64 KiB limit at FFF8h, not at FFF9h */
    c.insn_info = ii_mem(AS16, VMX_SEG_DS, NOREG, NOREG, 0);
    c.qualification = 0xFFF8;
    expect_ok(&c, 8, VMX_ACCESS_READ, 0x30000 + 0xFFF8);
    c.qualification = 0xFFF9;
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_LIMIT);
    /* ... and with a larger limit it continues above 64 KiB */
    set_seg(&c, VMX_SEG_DS, 0x30000, 0xFFFFF, AR_DATA16);
    expect_ok(&c, 8, VMX_ACCESS_READ, 0x30000 + 0xFFF9);
}

static void test_32bit_wraparound(void **st)
{
    struct vmx_operand_ctx c;

    (void)st;
    ctx32(&c);
    c.insn_info = ii_mem(AS32, VMX_SEG_DS, RAX, RCX, 0);
    c.gpr[RAX] = 0xFFFFFFF0u;
    c.gpr[RCX] = 0x20;
    assert_int_equal(mem(&c, 8, VMX_ACCESS_READ).ea, 0x10);

    /* linear address wraps at 4 GiB outside 64-bit mode */
    set_seg(&c, VMX_SEG_DS, 0xFFFFF000u, 0xFFFFFFFF, AR_DATA32);
    c.gpr[RAX] = 0x1000;
    c.gpr[RCX] = 0x1000;
    expect_ok(&c, 8, VMX_ACCESS_READ, 0x1000);
}

static void test_64bit_segment_bases(void **st)
{
    struct vmx_operand_ctx c;

    (void)st;
    ctx64(&c);
    c.gpr[RDX] = 0x8000;
    /* ES, CS, SS, DS: base treated as 0 */
    for (unsigned s = VMX_SEG_ES; s <= VMX_SEG_DS; s++) {
        c.insn_info = ii_mem(AS64, s, RDX, NOREG, 0);
        expect_ok(&c, 8, VMX_ACCESS_READ, 0x8000);
    }
    /* FS and GS bases apply */
    set_seg(&c, VMX_SEG_FS, 0x7FFF00000000ull, 0, AR_DATA32);
    set_seg(&c, VMX_SEG_GS, 0xFFFF888000000000ull, 0, VMX_AR_UNUSABLE);   /* unusable: base still used */
    c.insn_info = ii_mem(AS64, VMX_SEG_FS, RDX, NOREG, 0);
    expect_ok(&c, 8, VMX_ACCESS_READ, 0x7FFF00008000ull);
    c.insn_info = ii_mem(AS64, VMX_SEG_GS, RDX, NOREG, 0);
    expect_ok(&c, 8, VMX_ACCESS_READ, 0xFFFF888000008000ull);

    /* 32-bit address size in 64-bit mode: EA truncated to 32 bits, then the 64-bit FS base added */
    c.gpr[RDX] = 0x1234FFFFFFF0ull;
    c.qualification = 0x20;
    c.insn_info = ii_mem(AS32, VMX_SEG_FS, RDX, NOREG, 0);
    expect_ok(&c, 8, VMX_ACCESS_READ, 0x7FFF00000010ull);
}

/* ---- faults ---- */

static void test_canonical(void **st)
{
    struct vmx_operand_ctx c;

    (void)st;
    ctx64(&c);
    c.insn_info = ii_mem(AS64, VMX_SEG_DS, RAX, NOREG, 0);
    c.gpr[RAX] = 0x00007FFFFFFFFFF8ull;
    expect_ok(&c, 8, VMX_ACCESS_READ, 0x00007FFFFFFFFFF8ull);
    /* the last byte crosses into the hole */
    c.gpr[RAX] = 0x00007FFFFFFFFFF9ull;
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_NONCANONICAL);
    c.gpr[RAX] = 0x0000800000000000ull;
    expect_fault(&c, 8, VMX_ACCESS_WRITE, VMX_FAULT_GP, VMX_WHY_NONCANONICAL);
    c.gpr[RAX] = 0xFFFF7FFFFFFFFFFFull;
    expect_fault(&c, 16, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_NONCANONICAL);
    c.gpr[RAX] = 0xFFFF800000000000ull;
    expect_ok(&c, 16, VMX_ACCESS_READ, 0xFFFF800000000000ull);
    /* the top of the address space: the last byte wraps to 0, both canonical (as Bochs) */
    c.gpr[RAX] = 0xFFFFFFFFFFFFFFFCull;
    expect_ok(&c, 8, VMX_ACCESS_READ, 0xFFFFFFFFFFFFFFFCull);

    /* through SS: #SS(0) */
    c.insn_info = ii_mem(AS64, VMX_SEG_SS, RAX, NOREG, 0);
    c.gpr[RAX] = 0x0000800000000000ull;
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_SS, VMX_WHY_NONCANONICAL);

    /* a non-canonical FS base + offset */
    set_seg(&c, VMX_SEG_FS, 0x00007FFFFFFFF000ull, 0, AR_DATA32);
    c.insn_info = ii_mem(AS64, VMX_SEG_FS, RAX, NOREG, 0);
    c.gpr[RAX] = 0x1000;
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_NONCANONICAL);

    /* 5-level paging: 57-bit canonical */
    c.la57 = true;
    expect_ok(&c, 8, VMX_ACCESS_READ, 0x0000800000000000ull);
    c.insn_info = ii_mem(AS64, VMX_SEG_DS, RAX, NOREG, 0);
    c.gpr[RAX] = 0x0100000000000000ull;
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_NONCANONICAL);
    c.gpr[RAX] = 0xFF00000000000000ull;
    expect_ok(&c, 8, VMX_ACCESS_READ, 0xFF00000000000000ull);
}

static void test_limit_gp_vs_ss(void **st)
{
    struct vmx_operand_ctx c;
    static const unsigned segs[] = { VMX_SEG_ES, VMX_SEG_CS, VMX_SEG_SS, VMX_SEG_DS, VMX_SEG_FS, VMX_SEG_GS };

    (void)st;
    for (unsigned i = 0; i < 6; i++) {
        unsigned s = segs[i];
        int vec = s == VMX_SEG_SS ? VMX_FAULT_SS : VMX_FAULT_GP;

        ctx32(&c);
        set_seg(&c, s, 0x100000, 0xFFF, s == VMX_SEG_CS ? AR_CODE32 : AR_DATA32);
        c.insn_info = ii_mem(AS32, s, RBX, NOREG, 0);
        c.gpr[RBX] = 0xFF8;
        expect_ok(&c, 8, VMX_ACCESS_READ, 0x100FF8);
        c.gpr[RBX] = 0xFF9;
        expect_fault(&c, 8, VMX_ACCESS_READ, vec, VMX_WHY_LIMIT);
        c.gpr[RBX] = 0xFFC;
        expect_ok(&c, 4, VMX_ACCESS_READ, 0x100FFC);           /* VMREAD-size operand */
        c.gpr[RBX] = 0xFF0;
        expect_ok(&c, 16, VMX_ACCESS_READ, 0x100FF0);          /* INVEPT descriptor */
        c.gpr[RBX] = 0xFF1;
        expect_fault(&c, 16, VMX_ACCESS_READ, vec, VMX_WHY_LIMIT);
        c.gpr[RBX] = 0xFFFFFFF0u;                              /* far beyond, no wrap to "small" */
        expect_fault(&c, 8, VMX_ACCESS_READ, vec, VMX_WHY_LIMIT);
    }
}

static void test_flat_4g_limit(void **st)
{
    struct vmx_operand_ctx c;

    (void)st;
    /* SDM: with a 4 GiB limit an operand past FFFFFFFFh "may or may not" fault. Bochs skips the
       check for base 0 (the operand wraps) and checks it for any other base; so do we. */
    ctx32(&c);
    c.insn_info = ii_mem(AS32, VMX_SEG_DS, RAX, NOREG, 0);
    c.gpr[RAX] = 0xFFFFFFFCu;
    expect_ok(&c, 8, VMX_ACCESS_READ, 0xFFFFFFFCu);
    expect_ok(&c, 8, VMX_ACCESS_WRITE, 0xFFFFFFFCu);
    set_seg(&c, VMX_SEG_DS, 0x1000, 0xFFFFFFFF, AR_DATA32);
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_LIMIT);
    c.gpr[RAX] = 0xFFFFFFF8u;
    expect_ok(&c, 8, VMX_ACCESS_READ, 0xFF8);
    /* SS, flat: no fault either */
    c.insn_info = ii_mem(AS32, VMX_SEG_SS, RAX, NOREG, 0);
    c.gpr[RAX] = 0xFFFFFFFFu;
    expect_ok(&c, 16, VMX_ACCESS_READ, 0xFFFFFFFFu);
}

static void test_expand_down(void **st)
{
    struct vmx_operand_ctx c;
    const uint32_t ed_rw = 0x7 | VMX_AR_S | VMX_AR_P;    /* read/write, expand-down, accessed */

    (void)st;
    ctx32(&c);
    /* B = 1: valid offsets limit+1 .. FFFFFFFFh */
    set_seg(&c, VMX_SEG_SS, 0x10000, 0xFFF, ed_rw | VMX_AR_DB);
    c.insn_info = ii_mem(AS32, VMX_SEG_SS, RSP, NOREG, 0);
    c.gpr[RSP] = 0xFFF;
    expect_fault(&c, 8, VMX_ACCESS_WRITE, VMX_FAULT_SS, VMX_WHY_LIMIT);
    c.gpr[RSP] = 0x1000;
    expect_ok(&c, 8, VMX_ACCESS_WRITE, 0x11000);
    c.gpr[RSP] = 0xFFFFFFF8u;
    expect_ok(&c, 8, VMX_ACCESS_READ, (0x10000 + 0xFFFFFFF8ull) & 0xFFFFFFFF);
    c.gpr[RSP] = 0xFFFFFFF9u;
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_SS, VMX_WHY_LIMIT);
    c.gpr[RSP] = 0xFFFFFFF0u;
    expect_ok(&c, 16, VMX_ACCESS_READ, 0xFFF0);

    /* B = 0: upper bound FFFFh; limit FFFFFFFFh expand-down admits nothing (B = 1) */
    set_seg(&c, VMX_SEG_DS, 0, 0xFFF, ed_rw);
    c.insn_info = ii_mem(AS32, VMX_SEG_DS, RSI, NOREG, 0);
    c.gpr[RSI] = 0xFFF8;
    expect_ok(&c, 8, VMX_ACCESS_READ, 0xFFF8);
    c.gpr[RSI] = 0xFFF9;
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_LIMIT);
    c.gpr[RSI] = 0x10000;
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_LIMIT);
    set_seg(&c, VMX_SEG_DS, 0, 0xFFFFFFFF, ed_rw | VMX_AR_DB);
    c.gpr[RSI] = 0xFFFFFFF0u;
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_LIMIT);
    /* limit 0: maximal expand-down segment (offset 0 itself excluded) */
    set_seg(&c, VMX_SEG_DS, 0, 0, ed_rw | VMX_AR_DB);
    c.gpr[RSI] = 0;
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_LIMIT);
    c.gpr[RSI] = 1;
    expect_ok(&c, 8, VMX_ACCESS_READ, 1);
    /* read-only expand-down: readable, not writable */
    set_seg(&c, VMX_SEG_DS, 0, 0xFFF, 0x5 | VMX_AR_S | VMX_AR_P | VMX_AR_DB);
    c.gpr[RSI] = 0x2000;
    expect_ok(&c, 8, VMX_ACCESS_READ, 0x2000);
    expect_fault(&c, 8, VMX_ACCESS_WRITE, VMX_FAULT_GP, VMX_WHY_TYPE);
}

static void test_unusable_and_not_present(void **st)
{
    struct vmx_operand_ctx c;

    (void)st;
    for (unsigned s = 0; s < VMX_SEG_COUNT; s++) {
        int vec = s == VMX_SEG_SS ? VMX_FAULT_SS : VMX_FAULT_GP;

        ctx32(&c);
        c.gpr[RAX] = 0x1000;
        c.insn_info = ii_mem(AS32, s, RAX, NOREG, 0);
        c.seg[s].ar |= VMX_AR_UNUSABLE;
        expect_fault(&c, 8, VMX_ACCESS_READ, vec, VMX_WHY_UNUSABLE);
        c.seg[s].ar &= ~(VMX_AR_UNUSABLE | VMX_AR_P);
        expect_fault(&c, 8, VMX_ACCESS_READ, vec, VMX_WHY_NOT_PRESENT);
    }
    /* 64-bit mode: usability is not checked (null DS/ES/SS are normal there) */
    ctx64(&c);
    c.gpr[RAX] = 0x1000;
    for (unsigned s = 0; s < VMX_SEG_COUNT; s++) {
        if (s == VMX_SEG_CS) continue;
        c.seg[s].ar = VMX_AR_UNUSABLE;
        c.insn_info = ii_mem(AS64, s, RAX, NOREG, 0);
        expect_ok(&c, 8, VMX_ACCESS_WRITE, s == VMX_SEG_FS || s == VMX_SEG_GS ? c.seg[s].base + 0x1000 : 0x1000);
    }
}

static void test_segment_types(void **st)
{
    struct vmx_operand_ctx c;

    (void)st;
    ctx32(&c);
    c.gpr[RAX] = 0x1000;
    /* CS: exec/read is readable, never writable */
    c.insn_info = ii_mem(AS32, VMX_SEG_CS, RAX, NOREG, 0);
    expect_ok(&c, 8, VMX_ACCESS_READ, 0x1000);
    expect_fault(&c, 8, VMX_ACCESS_WRITE, VMX_FAULT_GP, VMX_WHY_TYPE);
    /* execute-only code segment (types 8, 9, and conforming 12, 13): not readable */
    for (uint32_t t = 8; t < 16; t++) {
        bool readable = t & 2;

        set_seg(&c, VMX_SEG_CS, 0, 0xFFFFFFFF, t | VMX_AR_S | VMX_AR_P | VMX_AR_DB | VMX_AR_G);
        if (readable) expect_ok(&c, 8, VMX_ACCESS_READ, 0x1000);
        else expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_TYPE);
        expect_fault(&c, 8, VMX_ACCESS_WRITE, VMX_FAULT_GP, VMX_WHY_TYPE);
    }
    /* data: read-only types 0, 1 (and 4, 5 expand-down) refuse writes */
    c.insn_info = ii_mem(AS32, VMX_SEG_ES, RAX, NOREG, 0);
    for (uint32_t t = 0; t < 8; t++) {
        set_seg(&c, VMX_SEG_ES, 0, (t & 4) ? 0 : 0xFFFFFFFF, t | VMX_AR_S | VMX_AR_P | VMX_AR_DB | VMX_AR_G);
        expect_ok(&c, 8, VMX_ACCESS_READ, 0x1000);
        if (t & 2) expect_ok(&c, 8, VMX_ACCESS_WRITE, 0x1000);
        else expect_fault(&c, 8, VMX_ACCESS_WRITE, VMX_FAULT_GP, VMX_WHY_TYPE);
    }
    /* read-only SS (cannot be loaded, but as a VMCS value): #SS */
    set_seg(&c, VMX_SEG_SS, 0, 0xFFFFFFFF, 0x1 | VMX_AR_S | VMX_AR_P | VMX_AR_DB | VMX_AR_G);
    c.insn_info = ii_mem(AS32, VMX_SEG_SS, RAX, NOREG, 0);
    expect_fault(&c, 8, VMX_ACCESS_WRITE, VMX_FAULT_SS, VMX_WHY_TYPE);

    /* 64-bit mode: no type checks, a write through CS is fine */
    ctx64(&c);
    c.gpr[RAX] = 0x1000;
    c.insn_info = ii_mem(AS64, VMX_SEG_CS, RAX, NOREG, 0);
    expect_ok(&c, 8, VMX_ACCESS_WRITE, 0x1000);
    set_seg(&c, VMX_SEG_DS, 0, 0, 0x1 | VMX_AR_S | VMX_AR_P);
    c.insn_info = ii_mem(AS64, VMX_SEG_DS, RAX, NOREG, 0);
    expect_ok(&c, 8, VMX_ACCESS_WRITE, 0x1000);
}

static void test_compat_and_real_mode(void **st)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;

    (void)st;
    /* LMA with CS.L = 0 is compatibility mode: 32-bit rules, segment bases apply */
    ctx32(&c);
    c.lma = true;
    assert_false(vmx_ctx_is_64bit(&c));
    set_seg(&c, VMX_SEG_DS, 0x10000, 0xFFFF, AR_DATA32);
    c.insn_info = ii_mem(AS32, VMX_SEG_DS, RAX, NOREG, 0);
    c.gpr[RAX] = 0x100;
    expect_ok(&c, 8, VMX_ACCESS_READ, 0x10100);
    c.insn_info = ii_mem(AS64, VMX_SEG_DS, RAX, NOREG, 0);
    assert_int_equal(vmx_decode_mem_operand(&c, 8, VMX_ACCESS_READ, &op), VMX_OPERAND_EBAD);

    /* real mode (unreachable: #UD first): limit only, no usability or type checks */
    memset(&c, 0, sizeof(c));
    set_seg(&c, VMX_SEG_CS, 0xF0000, 0xFFFF, 0x9B);
    set_seg(&c, VMX_SEG_DS, 0x7000, 0xFFFF, 0x93 | VMX_AR_UNUSABLE);
    c.insn_info = ii_mem(AS16, VMX_SEG_CS, RBX, NOREG, 0);
    c.gpr[RBX] = 0x10;
    expect_ok(&c, 8, VMX_ACCESS_WRITE, 0xF0010);
    c.insn_info = ii_mem(AS16, VMX_SEG_DS, RBX, NOREG, 0);
    expect_ok(&c, 8, VMX_ACCESS_READ, 0x7010);
    c.gpr[RBX] = 0xFFFC;
    expect_fault(&c, 8, VMX_ACCESS_READ, VMX_FAULT_GP, VMX_WHY_LIMIT);
}

/* ---- VMREAD/VMWRITE, INVEPT/INVVPID registers ---- */

static void test_vmrw_register_operands(void **st)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;

    (void)st;
    for (unsigned r1 = 0; r1 < 16; r1++) {
        unsigned r2 = 15 - r1;

        ctx64(&c);
        /* junk in the memory fields: undefined for the register form */
        c.insn_info = ii_reg(r1, r2) | (3u << 7) | (7u << 15);
        assert_int_equal(vmx_decode_vmrw_operand(&c, true, &op), VMX_OPERAND_OK);
        assert_true(op.is_reg);
        assert_int_equal(op.reg, r1);
        assert_int_equal(op.size, 8);
        assert_int_equal(op.fault, 0);
        assert_int_equal(vmx_decode_reg2(&c), r2);
        assert_int_equal(vmx_decode_exit_operand(&c, EXIT_REASON_VMWRITE, &op), VMX_OPERAND_OK);
        assert_true(op.is_reg);
        assert_int_equal(op.reg, r1);
    }
    /* 32-bit mode: 4-byte operands, values truncated and results zero-extended */
    ctx32(&c);
    c.insn_info = ii_reg(RDX, R8 & 7);
    c.gpr[RDX] = 0xFFFFFFFF00004012ull;
    c.gpr[RAX] = 0x123456789ull;
    assert_int_equal(vmx_decode_vmrw_operand(&c, false, &op), VMX_OPERAND_OK);
    assert_int_equal(op.size, 4);
    assert_int_equal(vmx_reg_value(&c, RDX), 0x4012);
    assert_int_equal(vmx_reg_value(&c, vmx_decode_reg2(&c)), 0x23456789);
    assert_int_equal(vmx_reg_result(&c, 0xAABBCCDD11223344ull), 0x11223344);
    /* 64-bit mode: all 64 bits (a field encoding with 63:32 set is the caller's VMfailValid) */
    ctx64(&c);
    c.gpr[RDX] = 0xFFFFFFFF00004012ull;
    assert_int_equal(vmx_reg_value(&c, RDX), 0xFFFFFFFF00004012ull);
    assert_int_equal(vmx_reg_result(&c, 0xAABBCCDD11223344ull), 0xAABBCCDD11223344ull);
    c.gpr[R15] = 7;
    assert_int_equal(vmx_reg_value(&c, R15), 7);
}

static void test_vmrw_memory_operands(void **st)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;

    (void)st;
    /* 64-bit VMREAD [rbx+8]: 8-byte write */
    ctx64(&c);
    c.insn_info = ii_mem(AS64, VMX_SEG_DS, RBX, NOREG, 0) | ((uint32_t)RAX << 28);
    c.gpr[RBX] = 0x3000;
    c.qualification = 8;
    assert_int_equal(vmx_decode_vmrw_operand(&c, true, &op), VMX_OPERAND_OK);
    assert_false(op.is_reg);
    assert_int_equal(op.size, 8);
    assert_int_equal(op.linear, 0x3008);
    assert_int_equal(vmx_decode_reg2(&c), RAX);

    /* 32-bit: 4 bytes; VMREAD writes (read-only segment faults), VMWRITE reads (fine) */
    ctx32(&c);
    set_seg(&c, VMX_SEG_DS, 0, 0xFFF, 0x1 | VMX_AR_S | VMX_AR_P | VMX_AR_DB);
    c.insn_info = ii_mem(AS32, VMX_SEG_DS, RBX, NOREG, 0);
    c.gpr[RBX] = 0xFFC;
    assert_int_equal(vmx_decode_vmrw_operand(&c, false, &op), VMX_OPERAND_OK);
    assert_int_equal(op.size, 4);
    assert_int_equal(op.fault, VMX_FAULT_NONE);
    assert_int_equal(vmx_decode_exit_operand(&c, EXIT_REASON_VMREAD, &op), VMX_OPERAND_OK);
    assert_int_equal(op.fault, VMX_FAULT_GP);
    assert_int_equal(op.why, VMX_WHY_TYPE);
    c.gpr[RBX] = 0xFFD;   /* 4 bytes no longer fit */
    assert_int_equal(vmx_decode_exit_operand(&c, EXIT_REASON_VMWRITE, &op), VMX_OPERAND_OK);
    assert_int_equal(op.why, VMX_WHY_LIMIT);
}

static void test_exit_reasons(void **st)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;
    static const struct { uint32_t reason; unsigned size; bool writes; } t[] = {
        { EXIT_REASON_VMXON, 8, false },   { EXIT_REASON_VMCLEAR, 8, false },
        { EXIT_REASON_VMPTRLD, 8, false }, { EXIT_REASON_VMPTRST, 8, true },
        { EXIT_REASON_INVEPT, 16, false }, { EXIT_REASON_INVVPID, 16, false },
        { EXIT_REASON_VMREAD, 4, true },   { EXIT_REASON_VMWRITE, 4, false },
    };

    (void)st;
    ctx32(&c);
    set_seg(&c, VMX_SEG_DS, 0x2000, 0xFFFFFFFF, 0x1 | VMX_AR_S | VMX_AR_P | VMX_AR_DB | VMX_AR_G);
    c.insn_info = ii_mem(AS32, VMX_SEG_DS, RCX, NOREG, 0);
    c.gpr[RCX] = 0x100;
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        /* bit 10 set on a memory-only form is "cleared to 0" by the CPU: never read as a register */
        c.insn_info |= t[i].reason == EXIT_REASON_VMREAD || t[i].reason == EXIT_REASON_VMWRITE ? 0 : VMX_II_REG_FORM;
        assert_int_equal(vmx_decode_exit_operand(&c, t[i].reason | (1u << 27), &op), VMX_OPERAND_OK);
        c.insn_info &= ~VMX_II_REG_FORM;
        assert_false(op.is_reg);
        assert_int_equal(op.size, t[i].size);
        assert_int_equal(op.linear, 0x2100);
        assert_int_equal(op.fault, t[i].writes ? VMX_FAULT_GP : VMX_FAULT_NONE);
    }
    assert_int_equal(vmx_decode_exit_operand(&c, EXIT_REASON_CPUID, &op), VMX_OPERAND_EBAD);
    assert_int_equal(vmx_decode_exit_operand(&c, EXIT_REASON_VMLAUNCH, &op), VMX_OPERAND_EBAD);
    assert_int_equal(op.size, 0);
}

static void test_bad_encodings(void **st)
{
    struct vmx_operand_ctx c;
    struct vmx_operand op;

    (void)st;
    ctx32(&c);
    c.insn_info = ii_mem(3, VMX_SEG_DS, RAX, NOREG, 0);
    assert_int_equal(vmx_decode_mem_operand(&c, 8, VMX_ACCESS_READ, &op), VMX_OPERAND_EBAD);
    c.insn_info = ii_mem(AS32, 6, RAX, NOREG, 0);
    assert_int_equal(vmx_decode_mem_operand(&c, 8, VMX_ACCESS_READ, &op), VMX_OPERAND_EBAD);
    c.insn_info = ii_mem(AS32, 7, RAX, NOREG, 0);
    assert_int_equal(vmx_decode_mem_operand(&c, 8, VMX_ACCESS_READ, &op), VMX_OPERAND_EBAD);
    c.insn_info = ii_mem(AS64, VMX_SEG_DS, RAX, NOREG, 0);   /* 64-bit addressing outside 64-bit mode */
    assert_int_equal(vmx_decode_mem_operand(&c, 8, VMX_ACCESS_READ, &op), VMX_OPERAND_EBAD);
    c.insn_info = ii_mem(AS32, VMX_SEG_DS, RAX, NOREG, 0);
    assert_int_equal(vmx_decode_mem_operand(&c, 0, VMX_ACCESS_READ, &op), VMX_OPERAND_EBAD);
    assert_int_equal(vmx_decode_mem_operand(&c, 17, VMX_ACCESS_READ, &op), VMX_OPERAND_EBAD);
    ctx64(&c);
    c.insn_info = ii_mem(AS16, VMX_SEG_DS, RAX, NOREG, 0);   /* 16-bit addressing inside it */
    assert_int_equal(vmx_decode_mem_operand(&c, 8, VMX_ACCESS_READ, &op), VMX_OPERAND_EBAD);
    assert_int_equal(vmx_decode_exit_operand(&c, EXIT_REASON_VMREAD, &op), VMX_OPERAND_EBAD);
    assert_false(op.is_reg);
    assert_int_equal(op.fault, 0);
}

static void test_names(void **st)
{
    (void)st;
    assert_string_equal(vmx_seg_name(VMX_SEG_SS), "SS");
    assert_string_equal(vmx_seg_name(6), "?");
    assert_string_equal(vmx_why_name(VMX_WHY_LIMIT), "limit");
    assert_string_equal(vmx_why_name(VMX_WHY_NONCANONICAL), "non-canonical");
    assert_string_equal(vmx_why_name(99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_only),
        cmocka_unit_test(test_base_index_scale),
        cmocka_unit_test(test_disp_only_and_rip_relative),
        cmocka_unit_test(test_negative_displacement),
        cmocka_unit_test(test_16bit_addressing),
        cmocka_unit_test(test_32bit_wraparound),
        cmocka_unit_test(test_64bit_segment_bases),
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_limit_gp_vs_ss),
        cmocka_unit_test(test_flat_4g_limit),
        cmocka_unit_test(test_expand_down),
        cmocka_unit_test(test_unusable_and_not_present),
        cmocka_unit_test(test_segment_types),
        cmocka_unit_test(test_compat_and_real_mode),
        cmocka_unit_test(test_vmrw_register_operands),
        cmocka_unit_test(test_vmrw_memory_operands),
        cmocka_unit_test(test_exit_reasons),
        cmocka_unit_test(test_bad_encodings),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests_name("vmx_operand", tests, NULL, NULL);
}
