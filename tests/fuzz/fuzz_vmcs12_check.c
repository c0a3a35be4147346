/* libFuzzer harness for pure/vmcs12_check.c: VMCS12s mutated from valid baselines, random caps, checked against invariants. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pure/vmcs12_check.h"
#include "lib/vmcs_fields.h"
#include "lib/vmx_defs.h"

/*
 * Random field values alone fail the first reserved-bit check almost always,
 * so an input is a list of edits to a valid VMCS12 (one of three baselines),
 * to valid capabilities and to the request; an empty input is a valid entry.
 * Input layout (missing bytes read as 0):
 *   [0]      bits 1:0 baseline (0 64-bit guest, 1 real-mode unrestricted guest, 2 32-bit PAE,
 *            3 32-bit PAE without EPT); bit 2 VMRESUME; bit 3 launched; bit 4 L1 MOV-SS blocking;
 *            bit 5 L1 outside IA-32e mode; bit 6 caps get random edits too; bit 7 no read_gpa
 *   [1..]    edits of 11 bytes: target (1), op (1), value (8 little-endian), bit (1)
 *            target < NFIELDS: that field; else a capability word or the memory (see apply())
 *            op % 6: 0 set, 1 xor, 2 or, 3 and-not, 4 flip bit `bit % 64`, 5 set to 0 or ~0
 * Invariants: the result kind is one of the three; a VMfail carries error 4, 5, 7, 8 or 26
 * (26 exactly when L1 is blocked by MOV SS); a VM-entry failure carries exit reason
 * 0x80000021 and qualification 0, 2, 3 or 4; every failure has a "26..." reason text and
 * success none; only table encodings are read, memory reads are at most 32 bytes; the same
 * input gives the same result (MSR-list entries: fuzz_msr_list.c).
 */

#define IDX(name, enc, w, g, f) I_##name,
enum { VMCS_FIELDS(IDX) NFIELDS };
#undef IDX

static int field_index(unsigned enc)
{
    switch (enc) {
#define CASE(name, enc, w, g, f) case enc: return I_##name;
    VMCS_FIELDS(CASE)
#undef CASE
    default: return -1;
    }
}

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

#define MEM_SIZE 0x20000u
static uint64_t f[NFIELDS];
static uint8_t mem[MEM_SIZE];
static struct vmcs12_caps caps;

#define F(name) f[I_##name]

static uint64_t read_field(void *ctx, unsigned enc)
{
    int i = field_index(enc);

    CHECK(ctx == (void *)f);
    CHECK(i >= 0);
    return f[i];
}

static bool read_gpa(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
    CHECK(ctx == (void *)f);
    CHECK(len >= 1 && len <= 32);
    if (gpa >= MEM_SIZE || MEM_SIZE - gpa < len)
        return false;
    memcpy(buf, mem + gpa, len);
    return true;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void caps_base(void)
{
    memset(&caps, 0, sizeof caps);
    caps.basic = 0x12 | (0x1000ull << 32) | (6ull << 50) | VMX_BASIC_TRUE_CTLS;
    caps.pinbased = 0x000000ffull << 32 | 0x16;
    caps.procbased = 0xfff9fffeull << 32 | 0x04006172;
    caps.procbased2 = 0x0047ffffull << 32;
    caps.exit = 0x007fffffull << 32 | 0x00036dfb;
    caps.entry = 0x0001ffffull << 32 | 0x000011fb;
    caps.misc = 0x401e5;
    caps.ept_vpid = EPTCAP_WALK4 | EPTCAP_UC | EPTCAP_WB | EPTCAP_AD;
    caps.vmfunc = VMFUNC_EPTP_SWITCHING;
    caps.cr0_fixed0 = 0x80000021;
    caps.cr0_fixed1 = 0xffffffff;
    caps.cr4_fixed0 = 0x2000;
    caps.cr4_fixed1 = 0x767ff;
    caps.efer_valid = 0xd01;
    caps.debugctl_valid = 0xffc3;
    caps.perf_global_valid = 0x7000000ffull;
    caps.maxphyaddr = 36;
}

/* The unit test's baselines, condensed: a valid VMCS12 for each kind of guest. */
static void vmcs_base(unsigned kind)
{
    memset(f, 0, sizeof f);
    F(PIN_BASED_CONTROLS) = 0x16 | PIN_EXT_INTR_EXITING | PIN_NMI_EXITING;
    F(PROC_BASED_CONTROLS) = 0x04006172 | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS | PROC_ACTIVATE_SECONDARY;
    F(SECONDARY_CONTROLS) = SEC_ENABLE_EPT | SEC_ENABLE_VPID;
    F(EXIT_CONTROLS) = 0x00036dfb | EXIT_HOST_ADDR_SPACE | EXIT_ACK_INTR | EXIT_LOAD_PAT | EXIT_LOAD_EFER;
    F(ENTRY_CONTROLS) = 0x000011fb | ENTRY_LOAD_DEBUG_CTLS | ENTRY_IA32E_MODE | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER;
    F(IO_BITMAP_A) = 0x10000;
    F(IO_BITMAP_B) = 0x11000;
    F(MSR_BITMAP) = 0x12000;
    F(EPT_POINTER) = 0x13000 | EPTP_WALK4 | EPTP_WB;
    F(VPID) = 1;
    F(HOST_CR0) = 0x80000031;
    F(HOST_CR3) = 0x1000;
    F(HOST_CR4) = 0x2020;
    F(HOST_ES_SEL) = F(HOST_SS_SEL) = F(HOST_DS_SEL) = F(HOST_FS_SEL) = F(HOST_GS_SEL) = 0x10;
    F(HOST_CS_SEL) = 0x08;
    F(HOST_TR_SEL) = 0x18;
    F(HOST_IA32_EFER) = 0x500;
    F(HOST_IA32_PAT) = 0x0007040600070406ull;
    F(HOST_RIP) = 0xffffffff80001000ull;
    F(GUEST_CR0) = 0x80000031;
    F(GUEST_CR3) = 0x2000;
    F(GUEST_CR4) = 0x2020;
    F(GUEST_DR7) = 0x400;
    F(GUEST_IA32_EFER) = 0x500;
    F(GUEST_IA32_PAT) = 0x0007040600070406ull;
    F(GUEST_CS_SEL) = 0x08;
    F(GUEST_CS_LIMIT) = 0xffffffff;
    F(GUEST_CS_AR) = 0xa09b;
    F(GUEST_ES_SEL) = F(GUEST_SS_SEL) = F(GUEST_DS_SEL) = F(GUEST_FS_SEL) = F(GUEST_GS_SEL) = 0x10;
    F(GUEST_ES_LIMIT) = F(GUEST_SS_LIMIT) = F(GUEST_DS_LIMIT) = F(GUEST_FS_LIMIT) = F(GUEST_GS_LIMIT) = 0xffffffff;
    F(GUEST_ES_AR) = F(GUEST_SS_AR) = F(GUEST_DS_AR) = F(GUEST_FS_AR) = F(GUEST_GS_AR) = 0xc093;
    F(GUEST_LDTR_AR) = 0x10000;
    F(GUEST_TR_SEL) = 0x18;
    F(GUEST_TR_LIMIT) = 0x67;
    F(GUEST_TR_AR) = 0x8b;
    F(GUEST_GDTR_LIMIT) = 0x1f;
    F(GUEST_IDTR_LIMIT) = 0xfff;
    F(GUEST_RIP) = 0x100000;
    F(GUEST_RFLAGS) = 0x2;
    F(VMCS_LINK_POINTER) = VMCS_LINK_PTR_NONE;
    if (kind == 1) {                      /* real mode, unrestricted guest */
        F(SECONDARY_CONTROLS) |= SEC_UNRESTRICTED_GUEST;
        F(ENTRY_CONTROLS) = 0x000011fb;
        F(GUEST_CR0) = 0x30;
        F(GUEST_CR4) = 0x2000;
        F(GUEST_CS_SEL) = F(GUEST_ES_SEL) = F(GUEST_SS_SEL) = F(GUEST_DS_SEL) = F(GUEST_FS_SEL) = F(GUEST_GS_SEL) = 0;
        F(GUEST_CS_LIMIT) = F(GUEST_ES_LIMIT) = F(GUEST_SS_LIMIT) = F(GUEST_DS_LIMIT) = F(GUEST_FS_LIMIT) =
            F(GUEST_GS_LIMIT) = F(GUEST_TR_LIMIT) = 0xffff;
        F(GUEST_CS_AR) = 0x9b;
        F(GUEST_ES_AR) = F(GUEST_SS_AR) = F(GUEST_DS_AR) = F(GUEST_FS_AR) = F(GUEST_GS_AR) = 0x93;
        F(GUEST_RIP) = 0x7c00;
    } else if (kind >= 2) {               /* 32-bit PAE paging; kind 3 without EPT */
        F(ENTRY_CONTROLS) = 0x000011fb | ENTRY_LOAD_EFER;
        F(GUEST_IA32_EFER) = 0;
        F(GUEST_CS_AR) = 0xc09b;
        F(GUEST_CR3) = 0xa000;
        F(GUEST_PDPTE0) = 0xb001;
        if (kind == 3)
            F(SECONDARY_CONTROLS) = SEC_ENABLE_VPID;
    }
}

static void apply(const uint8_t *e, struct vmcs12_entry_request *rq, bool caps_too)
{
    unsigned target = e[0], op = e[1] % 6, bit = e[10] % 64;
    uint64_t val = le(e + 2, 8), *p;
    uint64_t scratch;

    if (target < NFIELDS) {
        p = &f[target];
    } else if (caps_too) {
        uint64_t *cw[] = { &caps.basic, &caps.pinbased, &caps.procbased, &caps.procbased2, &caps.exit,
                           &caps.entry, &caps.misc, &caps.ept_vpid, &caps.vmfunc, &caps.cr0_fixed0,
                           &caps.cr0_fixed1, &caps.cr4_fixed0, &caps.cr4_fixed1, &caps.efer_valid,
                           &caps.debugctl_valid, &caps.perf_global_valid };
        unsigned k = (target - NFIELDS) % 20;
        if (k < 16) {
            p = cw[k];
        } else if (k == 16) {
            caps.maxphyaddr = (unsigned)(val & 0xff);
            return;
        } else if (k == 17) {
            caps.rtm = val & 1;
            return;
        } else if (k == 18) {
            rq->vmcs12_gpa = val;
            return;
        } else {
            /* 8 bytes of L1 memory, at an 8-byte slot chosen by the value's top bits */
            uint64_t at = (val >> 40) % (MEM_SIZE / 8) * 8;
            memcpy(mem + at, e + 2, 8);
            return;
        }
    } else {
        /* no cap edits: the memory instead */
        uint64_t at = ((uint64_t)target << 9 | (val >> 56)) % (MEM_SIZE / 8) * 8;
        memcpy(mem + at, e + 2, 8);
        return;
    }
    scratch = *p;
    switch (op) {
    case 0: scratch = val; break;
    case 1: scratch ^= val; break;
    case 2: scratch |= val; break;
    case 3: scratch &= ~val; break;
    case 4: scratch ^= 1ull << bit; break;
    default: scratch = (val & 1) ? ~0ull : 0; break;
    }
    *p = scratch;
}

static void check_result(const struct vmcs12_check_result *r, const struct vmcs12_entry_request *rq)
{
    switch (r->kind) {
    case CHECK_OK:
        CHECK(r->why == NULL && r->error == 0 && r->exit_reason == 0 && r->qualification == 0);
        break;
    case CHECK_VMFAIL:
        CHECK(r->error == 4 || r->error == 5 || r->error == 7 || r->error == 8 || r->error == 26);
        CHECK(r->exit_reason == 0 && r->qualification == 0);
        CHECK(r->why != NULL && strncmp(r->why, "26.", 3) == 0);
        break;
    case CHECK_ENTRY_FAIL:
        CHECK(r->exit_reason == (EXIT_REASON_FAILED_ENTRY | EXIT_REASON_ENTRY_FAIL_GUEST));
        CHECK(r->qualification == 0 || r->qualification == 2 || r->qualification == 3 || r->qualification == 4);
        CHECK(r->error == 0);
        CHECK(r->why != NULL && strncmp(r->why, "26.3", 4) == 0);
        break;
    default:
        CHECK(!"result kind out of range");
    }
    /* 26.1: MOV-SS blocking is the first check; then the launch state */
    bool movss = rq->l1_interruptibility & INTERRUPTIBILITY_MOV_SS;
    CHECK((r->kind == CHECK_VMFAIL && r->error == 26) == movss);
    if (!movss && rq->vmresume != rq->launched)
        CHECK(r->kind == CHECK_VMFAIL && r->error == (rq->vmresume ? 5u : 4u));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t head = size ? data[0] : 0;
    struct vmcs12_entry_request rq;
    struct vmcs12_check_result r1, r2;

    caps_base();
    vmcs_base(head & 3);
    memset(mem, 0, sizeof mem);
    if ((head & 3) == 3)
        memcpy(mem + 0xa000, &(uint64_t){ 0xb001 }, 8);   /* a valid PDPTE at guest CR3 */

    memset(&rq, 0, sizeof rq);
    rq.read = read_field;
    rq.read_gpa = (head & 0x80) ? NULL : read_gpa;
    rq.ctx = f;
    rq.caps = &caps;
    rq.vmresume = head & 0x04;
    rq.launched = head & 0x08;
    rq.l1_interruptibility = (head & 0x10) ? INTERRUPTIBILITY_MOV_SS : 0;
    rq.l1_ia32e = !(head & 0x20);
    rq.vmcs12_gpa = 0x7000;
    if (!rq.l1_ia32e) {                   /* a 32-bit L1 needs a 32-bit host state to get past 26.2.4 */
        F(EXIT_CONTROLS) &= ~(EXIT_HOST_ADDR_SPACE | EXIT_LOAD_EFER);
        F(ENTRY_CONTROLS) &= ~ENTRY_IA32E_MODE;
        F(HOST_CR4) = 0x2000;
        F(HOST_RIP) = 0x101000;
    }

    for (size_t at = 1; at + 11 <= size; at += 11)
        apply(data + at, &rq, head & 0x40);

    r1 = vmcs12_check_entry(&rq);
    check_result(&r1, &rq);
    r2 = vmcs12_check_entry(&rq);
    CHECK(r1.kind == r2.kind && r1.error == r2.error && r1.exit_reason == r2.exit_reason &&
          r1.qualification == r2.qualification && r1.why == r2.why);
    return 0;
}
