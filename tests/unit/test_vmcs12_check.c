/* test_vmcs12_check.c - VM-entry checks on a VMCS12 (SDM Vol. 3C ch. 26): valid baselines, then one rule broken at a time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pure/vmcs12_check.h"
#include "lib/vmcs_fields.h"
#include "lib/vmx_defs.h"

/*
 * Where Bochs 2.7 (the bare-CPU oracle in the lab) is known to differ, the
 * test follows the SDM and says so with "BOCHS:" so the lab's comparison can
 * be read against this list.
 */

/* ---- a VMCS12 in memory, addressed through the one field table ---- */

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

#define MEM_SIZE 0x100000u   /* L1 RAM in these tests: 1 MiB at gpa 0; above it nothing */
#define VMCS12_GPA 0x7000u

static struct {
    uint64_t f[NFIELDS];
    struct vmcs12_caps caps;
    struct vmcs12_entry_request rq;
    uint8_t mem[MEM_SIZE];
} V;

#define F(name) V.f[I_##name]

static uint64_t read_field(void *ctx, unsigned enc)
{
    int i = field_index(enc);

    assert_ptr_equal(ctx, &V);
    if (i < 0)
        fail_msg("read of an encoding not in the field table: %#x", enc);
    return V.f[i];
}

static bool read_gpa(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
    assert_ptr_equal(ctx, &V);
    assert_true(len >= 1 && len <= 32);
    if (gpa >= MEM_SIZE || MEM_SIZE - gpa < len)
        return false;
    memcpy(buf, V.mem + gpa, len);
    return true;
}

static void put32(uint64_t gpa, uint32_t v) { memcpy(V.mem + gpa, &v, 4); }
static void put64(uint64_t gpa, uint64_t v) { memcpy(V.mem + gpa, &v, 8); }

/* ---- capabilities: an Arrandale-like L1 view (TRUE controls), as nestvisor offers on hp2540p ---- */

#define PIN_MUST1   0x00000016u
#define PROC_MUST1  0x04006172u
#define EXIT_MUST1  0x00036dfbu
#define ENTRY_MUST1 0x000011fbu
#define REVISION    0x12u

static void caps_arrandale(void)
{
    struct vmcs12_caps *c = &V.caps;

    memset(c, 0, sizeof *c);
    c->basic = REVISION | (0x1000ull << 32) | (6ull << 50) | (1ull << 54) | VMX_BASIC_TRUE_CTLS;
    c->pinbased = 0x0000007full << 32 | PIN_MUST1;
    c->procbased = 0xfff9fffeull << 32 | PROC_MUST1;
    c->procbased2 = 0x000000ffull << 32;
    c->exit = 0x007fefffull << 32 | EXIT_MUST1;
    c->entry = 0x0000ffffull << 32 | ENTRY_MUST1;
    c->misc = 0x401e5;   /* timer rate 5, HLT/shutdown/wait-for-SIPI, 4 CR3 targets, 512 MSRs */
    c->ept_vpid = EPTCAP_WALK4 | EPTCAP_UC | EPTCAP_WB | EPTCAP_2M | EPTCAP_INVEPT | EPTCAP_INVEPT_SINGLE |
                  EPTCAP_INVEPT_ALL | VPIDCAP_INVVPID | VPIDCAP_ADDR | VPIDCAP_SINGLE | VPIDCAP_ALL |
                  VPIDCAP_SINGLE_NG;
    c->cr0_fixed0 = 0x80000021;
    c->cr0_fixed1 = 0xffffffff;
    c->cr4_fixed0 = 0x2000;
    c->cr4_fixed1 = 0x767ff;
    c->efer_valid = 0xd01;          /* SCE, LME, LMA, NXE */
    c->debugctl_valid = 0xffc3;     /* LBR, BTF, 15:6 */
    c->perf_global_valid = 0x7000000ffull;
    c->maxphyaddr = 36;
}

/* Skylake-like extras for the rules of controls Arrandale lacks. */
static void caps_more(void)
{
    V.caps.pinbased |= (uint64_t)PIN_POSTED_INTR << 32;
    V.caps.procbased2 |= (uint64_t)(SEC_APIC_REGISTER_VIRT | SEC_VIRT_INTR_DELIVERY | SEC_ENABLE_VMFUNC |
                                    SEC_VMCS_SHADOWING | SEC_ENABLE_PML | SEC_EPT_VE | SEC_MODE_BASED_EPT_EXEC)
                         << 32;
    V.caps.vmfunc = VMFUNC_EPTP_SWITCHING;
    V.caps.ept_vpid |= EPTCAP_AD;
}

/* ---- baselines ---- */

static void request(void)
{
    memset(&V.rq, 0, sizeof V.rq);
    V.rq.read = read_field;
    V.rq.read_gpa = read_gpa;
    V.rq.ctx = &V;
    V.rq.caps = &V.caps;
    V.rq.l1_ia32e = true;
    V.rq.vmcs12_gpa = VMCS12_GPA;
}

/* A 64-bit L1 (LHV amd64) with a 64-bit host state. */
static void host64(void)
{
    F(HOST_CR0) = 0x80000031;           /* PE ET NE PG */
    F(HOST_CR3) = 0x1000;
    F(HOST_CR4) = 0x2020;               /* PAE VMXE */
    F(HOST_ES_SEL) = F(HOST_SS_SEL) = F(HOST_DS_SEL) = F(HOST_FS_SEL) = F(HOST_GS_SEL) = 0x10;
    F(HOST_CS_SEL) = 0x08;
    F(HOST_TR_SEL) = 0x18;
    F(HOST_FS_BASE) = 0;
    F(HOST_GS_BASE) = 0xffff800000010000ull;
    F(HOST_TR_BASE) = 0x20000;
    F(HOST_GDTR_BASE) = 0x21000;
    F(HOST_IDTR_BASE) = 0x22000;
    F(HOST_IA32_SYSENTER_ESP) = F(HOST_IA32_SYSENTER_EIP) = 0;
    F(HOST_IA32_EFER) = 0x500;          /* LME LMA */
    F(HOST_IA32_PAT) = 0x0007040600070406ull;
    F(HOST_RSP) = 0x30000;
    F(HOST_RIP) = 0xffffffff80001000ull;
}

static void base64(void)
{
    memset(V.f, 0, sizeof V.f);
    memset(V.mem, 0, sizeof V.mem);
    caps_arrandale();
    request();

    F(PIN_BASED_CONTROLS) = PIN_MUST1 | PIN_EXT_INTR_EXITING | PIN_NMI_EXITING;
    F(PROC_BASED_CONTROLS) = PROC_MUST1 | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS | PROC_ACTIVATE_SECONDARY;
    F(SECONDARY_CONTROLS) = SEC_ENABLE_EPT | SEC_ENABLE_VPID;
    F(EXIT_CONTROLS) = EXIT_MUST1 | EXIT_HOST_ADDR_SPACE | EXIT_ACK_INTR | EXIT_LOAD_PAT | EXIT_LOAD_EFER;
    F(ENTRY_CONTROLS) = ENTRY_MUST1 | ENTRY_LOAD_DEBUG_CTLS | ENTRY_IA32E_MODE | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER;
    F(IO_BITMAP_A) = 0x10000;
    F(IO_BITMAP_B) = 0x11000;
    F(MSR_BITMAP) = 0x12000;
    F(EPT_POINTER) = 0x13000 | EPTP_WALK4 | EPTP_WB;
    F(VPID) = 1;
    host64();

    F(GUEST_CR0) = 0x80000031;
    F(GUEST_CR3) = 0x2000;
    F(GUEST_CR4) = 0x2020;
    F(GUEST_DR7) = 0x400;
    F(GUEST_IA32_EFER) = 0x500;
    F(GUEST_IA32_PAT) = 0x0007040600070406ull;
    F(GUEST_CS_SEL) = 0x08;
    F(GUEST_CS_LIMIT) = 0xffffffff;
    F(GUEST_CS_AR) = 0xa09b;            /* code exec/read accessed, S, DPL 0, P, L, G */
    F(GUEST_ES_SEL) = F(GUEST_SS_SEL) = F(GUEST_DS_SEL) = F(GUEST_FS_SEL) = F(GUEST_GS_SEL) = 0x10;
    F(GUEST_ES_LIMIT) = F(GUEST_SS_LIMIT) = F(GUEST_DS_LIMIT) = F(GUEST_FS_LIMIT) = F(GUEST_GS_LIMIT) = 0xffffffff;
    F(GUEST_ES_AR) = F(GUEST_SS_AR) = F(GUEST_DS_AR) = F(GUEST_FS_AR) = F(GUEST_GS_AR) = 0xc093;
    F(GUEST_LDTR_AR) = 0x10000;         /* unusable */
    F(GUEST_TR_SEL) = 0x18;
    F(GUEST_TR_BASE) = 0x3000;
    F(GUEST_TR_LIMIT) = 0x67;
    F(GUEST_TR_AR) = 0x8b;              /* busy 64-bit TSS, P */
    F(GUEST_GDTR_BASE) = 0x4000;
    F(GUEST_GDTR_LIMIT) = 0x1f;
    F(GUEST_IDTR_BASE) = 0x5000;
    F(GUEST_IDTR_LIMIT) = 0xfff;
    F(GUEST_RIP) = 0x100000;
    F(GUEST_RSP) = 0x180000;
    F(GUEST_RFLAGS) = 0x2;
    F(VMCS_LINK_POINTER) = VMCS_LINK_PTR_NONE;
}

/* nestvisor's own L1 start: unrestricted guest in real mode at 0000:7C00. */
static void base_real(void)
{
    base64();
    F(SECONDARY_CONTROLS) = SEC_ENABLE_EPT | SEC_ENABLE_VPID | SEC_UNRESTRICTED_GUEST;
    F(ENTRY_CONTROLS) = ENTRY_MUST1;
    F(GUEST_CR0) = 0x30;                /* ET NE; PE = PG = 0 */
    F(GUEST_CR3) = 0;
    F(GUEST_CR4) = 0x2000;
    F(GUEST_CS_SEL) = 0;
    F(GUEST_ES_SEL) = F(GUEST_SS_SEL) = F(GUEST_DS_SEL) = F(GUEST_FS_SEL) = F(GUEST_GS_SEL) = 0;
    F(GUEST_CS_LIMIT) = 0xffff;
    F(GUEST_ES_LIMIT) = F(GUEST_SS_LIMIT) = F(GUEST_DS_LIMIT) = F(GUEST_FS_LIMIT) = F(GUEST_GS_LIMIT) = 0xffff;
    F(GUEST_CS_AR) = 0x9b;
    F(GUEST_ES_AR) = F(GUEST_SS_AR) = F(GUEST_DS_AR) = F(GUEST_FS_AR) = F(GUEST_GS_AR) = 0x93;
    F(GUEST_LDTR_LIMIT) = 0xffff;
    F(GUEST_LDTR_AR) = 0x82;
    F(GUEST_TR_BASE) = 0;
    F(GUEST_TR_LIMIT) = 0xffff;
    F(GUEST_TR_AR) = 0x8b;
    F(GUEST_GDTR_BASE) = 0;
    F(GUEST_GDTR_LIMIT) = 0xffff;
    F(GUEST_IDTR_BASE) = 0;
    F(GUEST_IDTR_LIMIT) = 0x3ff;
    F(GUEST_RIP) = 0x7c00;
    F(GUEST_RSP) = 0x7000;
}

/* A 32-bit PAE-paging guest (LHV i386 style); EPT on or off. */
static void base_pae32(bool ept)
{
    base64();
    F(ENTRY_CONTROLS) = ENTRY_MUST1 | ENTRY_LOAD_EFER;
    F(GUEST_IA32_EFER) = 0;
    F(GUEST_CS_AR) = 0xc09b;
    F(GUEST_CR3) = 0xa000;
    if (ept) {
        F(GUEST_PDPTE0) = 0xb001;
        F(GUEST_PDPTE1) = 0xc001;
    } else {
        F(SECONDARY_CONTROLS) = SEC_ENABLE_VPID;
        put64(0xa000, 0xb001);
        put64(0xa008, 0xc001);
    }
}

/* A virtual-8086 guest under 32-bit protected mode. */
static void base_v86(void)
{
    base_pae32(true);
    F(GUEST_RFLAGS) = 0x20002;
    F(GUEST_CS_SEL) = 0x1000;
    F(GUEST_ES_SEL) = F(GUEST_SS_SEL) = F(GUEST_DS_SEL) = F(GUEST_FS_SEL) = F(GUEST_GS_SEL) = 0x2000;
    F(GUEST_CS_BASE) = 0x10000;
    F(GUEST_ES_BASE) = F(GUEST_SS_BASE) = F(GUEST_DS_BASE) = F(GUEST_FS_BASE) = F(GUEST_GS_BASE) = 0x20000;
    F(GUEST_CS_LIMIT) = 0xffff;
    F(GUEST_ES_LIMIT) = F(GUEST_SS_LIMIT) = F(GUEST_DS_LIMIT) = F(GUEST_FS_LIMIT) = F(GUEST_GS_LIMIT) = 0xffff;
    F(GUEST_CS_AR) = 0xf3;
    F(GUEST_ES_AR) = F(GUEST_SS_AR) = F(GUEST_DS_AR) = F(GUEST_FS_AR) = F(GUEST_GS_AR) = 0xf3;
}

/* ---- expectations ---- */

static void expect(int line, enum vmcs12_check_kind kind, unsigned code, uint64_t qual, const char *part)
{
    struct vmcs12_check_result r = vmcs12_check_entry(&V.rq);
    bool good = r.kind == kind;

    if (kind == CHECK_OK)
        good = good && r.why == NULL && r.error == 0 && r.exit_reason == 0;
    if (kind == CHECK_VMFAIL)
        good = good && r.error == code && r.exit_reason == 0;
    if (kind == CHECK_ENTRY_FAIL)
        good = good && r.exit_reason == (EXIT_REASON_FAILED_ENTRY | code) && r.qualification == qual;
    if (kind != CHECK_OK)
        good = good && r.why != NULL && (!part || strstr(r.why, part));
    if (!good) {
        print_error("line %d: want kind %d code %u qual %llu \"%s\"; got kind %d error %u reason %#x qual %llu \"%s\"\n",
                    line, (int)kind, code, (unsigned long long)qual, part ? part : "", (int)r.kind, r.error,
                    r.exit_reason, (unsigned long long)r.qualification, r.why ? r.why : "(null)");
        fail();
    }
}

#define EXPECT_OK()                 expect(__LINE__, CHECK_OK, 0, 0, NULL)
#define EXPECT_VMFAIL(err, part)    expect(__LINE__, CHECK_VMFAIL, (err), 0, (part))
#define EXPECT_CTL(part)            EXPECT_VMFAIL(VMXERR_ENTRY_INVALID_CONTROLS, (part))
#define EXPECT_HOST(part)           EXPECT_VMFAIL(VMXERR_ENTRY_INVALID_HOST_STATE, (part))
#define EXPECT_GUEST(part)          expect(__LINE__, CHECK_ENTRY_FAIL, EXIT_REASON_ENTRY_FAIL_GUEST, 0, (part))
#define EXPECT_GUEST_Q(qual, part)  expect(__LINE__, CHECK_ENTRY_FAIL, EXIT_REASON_ENTRY_FAIL_GUEST, (qual), (part))

#define INJECT(type, vec)           (F(ENTRY_INTR_INFO) = INTR_INFO_VALID | (type) | (vec))
#define INJECT_EC(type, vec)        (F(ENTRY_INTR_INFO) = INTR_INFO_VALID | INTR_INFO_DELIVER_EC | (type) | (vec))

/* ==== baselines pass ==== */

static void test_baseline_64bit_guest(void **s) { (void)s; base64(); EXPECT_OK(); }
static void test_baseline_real_mode_unrestricted(void **s) { (void)s; base_real(); EXPECT_OK(); }
static void test_baseline_pae32_with_ept(void **s) { (void)s; base_pae32(true); EXPECT_OK(); }
static void test_baseline_pae32_without_ept(void **s) { (void)s; base_pae32(false); EXPECT_OK(); }
static void test_baseline_v86(void **s) { (void)s; base_v86(); EXPECT_OK(); }

static void test_baseline_32bit_l1(void **s)
{
    (void)s;
    /* LHV i386: L1 outside IA-32e mode, so a 32-bit host state and no IA-32e guest */
    base_pae32(true);
    V.rq.l1_ia32e = false;
    F(EXIT_CONTROLS) &= ~(EXIT_HOST_ADDR_SPACE | EXIT_LOAD_EFER);
    F(HOST_CR4) = 0x2000;
    F(HOST_RIP) = 0x101000;
    F(HOST_GS_BASE) = 0x10000;
    EXPECT_OK();
}

static void test_baseline_vmresume_launched(void **s)
{
    (void)s;
    base64();
    V.rq.vmresume = true;
    V.rq.launched = true;
    EXPECT_OK();
}

/* ==== 26.1 basic checks ==== */

static void test_vmlaunch_not_clear(void **s)
{
    (void)s;
    base64();
    V.rq.launched = true;
    EXPECT_VMFAIL(VMXERR_VMLAUNCH_NOT_CLEAR, "26.1");
}

static void test_vmresume_not_launched(void **s)
{
    (void)s;
    base64();
    V.rq.vmresume = true;
    EXPECT_VMFAIL(VMXERR_VMRESUME_NOT_LAUNCHED, "26.1");
}

static void test_mov_ss_blocking_first(void **s)
{
    (void)s;
    base64();
    V.rq.l1_interruptibility = INTERRUPTIBILITY_MOV_SS;
    V.rq.launched = true;                   /* would be error 4: MOV SS is checked first */
    F(PIN_BASED_CONTROLS) = 0;              /* would be error 7 */
    EXPECT_VMFAIL(VMXERR_ENTRY_EVENTS_BLOCKED_MOVSS, "MOV SS");
    V.rq.l1_interruptibility = INTERRUPTIBILITY_STI; /* STI blocking is not a reason */
    EXPECT_VMFAIL(VMXERR_VMLAUNCH_NOT_CLEAR, NULL);
}

/* ==== 26.2.1.1 VM-execution controls (error 7) ==== */

static void test_pin_reserved(void **s)
{
    (void)s;
    base64();
    F(PIN_BASED_CONTROLS) &= ~0x2u;         /* a must-be-1 bit */
    EXPECT_CTL("pin-based");
    base64();
    F(PIN_BASED_CONTROLS) |= PIN_POSTED_INTR; /* not offered */
    EXPECT_CTL("pin-based");
}

static void test_proc_reserved(void **s)
{
    (void)s;
    base64();
    F(PROC_BASED_CONTROLS) &= ~(1u << 26);
    EXPECT_CTL("primary processor-based");
    base64();
    F(PROC_BASED_CONTROLS) |= 1u << 17;
    EXPECT_CTL("primary processor-based");
}

static void test_secondary_reserved_and_ignored(void **s)
{
    (void)s;
    base64();
    F(SECONDARY_CONTROLS) |= SEC_VMCS_SHADOWING; /* bit 14: not in Arrandale's 0xff */
    EXPECT_CTL("secondary");
    /* without "activate secondary controls" the field is not looked at */
    F(PROC_BASED_CONTROLS) &= ~PROC_ACTIVATE_SECONDARY;
    F(SECONDARY_CONTROLS) = 0xffffffff;
    EXPECT_OK();
}

static void test_cr3_target_count(void **s)
{
    (void)s;
    base64();
    F(CR3_TARGET_COUNT) = 4;
    EXPECT_OK();
    F(CR3_TARGET_COUNT) = 5;
    EXPECT_CTL("CR3-target count");
    V.caps.misc &= ~(0x1ffull << 16);        /* a CPU with no CR3 targets */
    V.caps.misc |= 2ull << 16;
    F(CR3_TARGET_COUNT) = 3;
    EXPECT_CTL("CR3-target count");
}

static void test_io_bitmaps(void **s)
{
    (void)s;
    base64();
    F(IO_BITMAP_A) = 0x10800;
    EXPECT_CTL("I/O bitmap A");
    base64();
    F(IO_BITMAP_B) = 1ull << 36;            /* MAXPHYADDR 36 */
    EXPECT_CTL("I/O bitmap B");
    F(PROC_BASED_CONTROLS) &= ~PROC_USE_IO_BITMAPS; /* unused: not checked */
    EXPECT_OK();
}

static void test_msr_bitmap(void **s)
{
    (void)s;
    base64();
    F(MSR_BITMAP) = 0x12008;
    EXPECT_CTL("MSR bitmap");
    base64();
    F(MSR_BITMAP) = 0xfffff000ull | (1ull << 40);
    EXPECT_CTL("MSR bitmap");
}

static void test_virtual_nmis_need_nmi_exiting(void **s)
{
    (void)s;
    base64();
    F(PIN_BASED_CONTROLS) |= PIN_VIRTUAL_NMIS;
    EXPECT_OK();
    F(PIN_BASED_CONTROLS) &= ~PIN_NMI_EXITING;
    EXPECT_CTL("virtual NMIs without NMI exiting");
}

static void test_nmi_window_needs_virtual_nmis(void **s)
{
    (void)s;
    base64();
    F(PROC_BASED_CONTROLS) |= PROC_NMI_WINDOW;
    EXPECT_CTL("NMI-window exiting without virtual NMIs");
    F(PIN_BASED_CONTROLS) |= PIN_VIRTUAL_NMIS;
    EXPECT_OK();
}

static void test_tpr_shadow(void **s)
{
    (void)s;
    base64();
    F(PROC_BASED_CONTROLS) |= PROC_USE_TPR_SHADOW;
    F(VIRTUAL_APIC_ADDR) = 0x9000;
    V.mem[0x9080] = 0x30;                   /* VTPR: priority class 3 */
    F(TPR_THRESHOLD) = 3;
    EXPECT_OK();
    F(TPR_THRESHOLD) = 4;
    EXPECT_CTL("above VTPR");
    F(TPR_THRESHOLD) = 0x13;
    EXPECT_CTL("TPR threshold bits 31:4");
    F(TPR_THRESHOLD) = 3;
    F(VIRTUAL_APIC_ADDR) = 0x9010;
    EXPECT_CTL("virtual-APIC address");
    /* an unbacked virtual-APIC page reads as all ones: VTPR class 15 */
    F(VIRTUAL_APIC_ADDR) = 0x40000000;
    F(TPR_THRESHOLD) = 15;
    EXPECT_OK();
    /* with "virtualize APIC accesses" the VTPR comparison is not made */
    F(VIRTUAL_APIC_ADDR) = 0x9000;
    F(SECONDARY_CONTROLS) |= SEC_VIRT_APIC_ACCESS;
    F(APIC_ACCESS_ADDR) = 0xfee00000;
    EXPECT_OK();
}

static void test_apic_access_address(void **s)
{
    (void)s;
    base64();
    F(SECONDARY_CONTROLS) |= SEC_VIRT_APIC_ACCESS;
    F(APIC_ACCESS_ADDR) = 0xfee00000;
    EXPECT_OK();
    F(APIC_ACCESS_ADDR) = 0xfee00400;
    EXPECT_CTL("APIC-access address");
    F(APIC_ACCESS_ADDR) = 1ull << 36;
    EXPECT_CTL("APIC-access address");
}

static void test_x2apic_virtualization(void **s)
{
    (void)s;
    base64();
    F(SECONDARY_CONTROLS) |= SEC_VIRT_X2APIC;
    EXPECT_CTL("without TPR shadow");
    F(PROC_BASED_CONTROLS) |= PROC_USE_TPR_SHADOW;
    F(VIRTUAL_APIC_ADDR) = 0x9000;
    EXPECT_OK();
    F(SECONDARY_CONTROLS) |= SEC_VIRT_APIC_ACCESS;
    F(APIC_ACCESS_ADDR) = 0xfee00000;
    EXPECT_CTL("virtualize x2APIC mode with virtualize APIC accesses");
}

static void test_virtual_interrupt_delivery_and_posted(void **s)
{
    (void)s;
    base64();
    caps_more();
    F(PROC_BASED_CONTROLS) |= PROC_USE_TPR_SHADOW;
    F(VIRTUAL_APIC_ADDR) = 0x9000;
    F(TPR_THRESHOLD) = 0xff;                /* not checked with virtual-interrupt delivery */
    F(SECONDARY_CONTROLS) |= SEC_VIRT_INTR_DELIVERY;
    EXPECT_OK();
    F(PIN_BASED_CONTROLS) &= ~PIN_EXT_INTR_EXITING;
    EXPECT_CTL("without external-interrupt exiting");
    F(PIN_BASED_CONTROLS) |= PIN_EXT_INTR_EXITING | PIN_POSTED_INTR;
    F(POSTED_INTR_NV) = 0xf2;
    F(POSTED_INTR_DESC_ADDR) = 0x9c0;
    EXPECT_OK();
    F(POSTED_INTR_NV) = 0x1f2;
    EXPECT_CTL("notification vector");
    F(POSTED_INTR_NV) = 0xf2;
    F(POSTED_INTR_DESC_ADDR) = 0x9c8;
    EXPECT_CTL("posted-interrupt descriptor");
    F(POSTED_INTR_DESC_ADDR) = 0x9c0;
    F(EXIT_CONTROLS) &= ~EXIT_ACK_INTR;
    EXPECT_CTL("acknowledge interrupt on exit");
    F(EXIT_CONTROLS) |= EXIT_ACK_INTR;
    F(SECONDARY_CONTROLS) &= ~SEC_VIRT_INTR_DELIVERY;
    EXPECT_CTL("TPR threshold bits 31:4");  /* checked again without virtual-interrupt delivery */
    F(TPR_THRESHOLD) = 0;
    EXPECT_CTL("posted interrupts without virtual-interrupt delivery");
}

static void test_vpid_zero(void **s)
{
    (void)s;
    base64();
    F(VPID) = 0;
    EXPECT_CTL("VPID 0");
    F(SECONDARY_CONTROLS) &= ~SEC_ENABLE_VPID;
    EXPECT_OK();
}

static void test_eptp_memory_type(void **s)
{
    (void)s;
    base64();
    F(EPT_POINTER) = 0x13000 | EPTP_WALK4 | 1;      /* WC */
    EXPECT_CTL("EPTP memory type");
    F(EPT_POINTER) = 0x13000 | EPTP_WALK4 | EPTP_UC;
    EXPECT_OK();
    V.caps.ept_vpid &= ~EPTCAP_UC;
    EXPECT_CTL("EPTP memory type");
}

/* SDM 31.3 INVEPT single-context: the EPTP rules of 26.2.1.1, without a VMCS */
static void test_eptp_valid_for_invept(void **s)
{
    (void)s;
    caps_arrandale();
    assert_true(vmcs12_eptp_valid(&V.caps, 0x13000 | EPTP_WALK4 | EPTP_WB));
    assert_true(vmcs12_eptp_valid(&V.caps, 0x13000 | EPTP_WALK4 | EPTP_UC));
    assert_false(vmcs12_eptp_valid(&V.caps, 0x13000 | EPTP_WALK4 | 1));              /* WC */
    assert_false(vmcs12_eptp_valid(&V.caps, 0x13000 | (1ull << 3) | EPTP_WB));       /* 2-level */
    assert_false(vmcs12_eptp_valid(&V.caps, 0x13000 | EPTP_WALK4 | EPTP_WB | 0x80)); /* bit 7 */
    assert_false(vmcs12_eptp_valid(&V.caps, 0x13000 | EPTP_WALK4 | EPTP_WB | EPTP_AD));
    assert_false(vmcs12_eptp_valid(&V.caps, (1ull << 36) | EPTP_WALK4 | EPTP_WB));
    caps_more();
    assert_true(vmcs12_eptp_valid(&V.caps, 0x13000 | EPTP_WALK4 | EPTP_WB | EPTP_AD));
}

static void test_eptp_walk_length(void **s)
{
    (void)s;
    base64();
    F(EPT_POINTER) = 0x13000 | EPTP_WALK5 | EPTP_WB;
    EXPECT_CTL("page-walk length");
    V.caps.ept_vpid |= EPTCAP_WALK5;
    EXPECT_OK();
    F(EPT_POINTER) = 0x13000 | (2ull << 3) | EPTP_WB;  /* 3-level */
    EXPECT_CTL("page-walk length");
}

static void test_eptp_ad_reserved_width(void **s)
{
    (void)s;
    base64();
    F(EPT_POINTER) |= EPTP_AD;
    EXPECT_CTL("A/D");
    V.caps.ept_vpid |= EPTCAP_AD;
    EXPECT_OK();
    F(EPT_POINTER) = 0x13000 | EPTP_WALK4 | EPTP_WB | (1u << 8);
    EXPECT_CTL("reserved bits 11:7");
    F(EPT_POINTER) = 0x13000 | EPTP_WALK4 | EPTP_WB | (1u << 7); /* CET shadow-stack bit: not offered */
    EXPECT_CTL("reserved bits 11:7");
    F(EPT_POINTER) = (1ull << 36) | EPTP_WALK4 | EPTP_WB;
    EXPECT_CTL("EPTP beyond MAXPHYADDR");
}

static void test_unrestricted_guest_needs_ept(void **s)
{
    (void)s;
    base_real();
    F(SECONDARY_CONTROLS) &= ~SEC_ENABLE_EPT;
    EXPECT_CTL("unrestricted guest without enable EPT");
}

static void test_pml_vmfunc_shadowing_ve(void **s)
{
    (void)s;
    base64();
    caps_more();
    F(SECONDARY_CONTROLS) |= SEC_ENABLE_PML | SEC_ENABLE_VMFUNC | SEC_VMCS_SHADOWING | SEC_EPT_VE;
    F(PML_ADDR) = 0x14000;
    F(VM_FUNCTION_CONTROLS) = VMFUNC_EPTP_SWITCHING;
    F(EPTP_LIST_ADDR) = 0x15000;
    F(VMREAD_BITMAP) = 0x16000;
    F(VMWRITE_BITMAP) = 0x17000;
    F(VE_INFO_ADDR) = 0x18000;
    EXPECT_OK();
    F(PML_ADDR) = 0x14001;
    EXPECT_CTL("PML address");
    F(PML_ADDR) = 0x14000;
    F(VM_FUNCTION_CONTROLS) = 2;
    EXPECT_CTL("VM-function controls");
    F(VM_FUNCTION_CONTROLS) = VMFUNC_EPTP_SWITCHING;
    F(EPTP_LIST_ADDR) = 0x15100;
    EXPECT_CTL("EPTP-list address");
    F(EPTP_LIST_ADDR) = 0x15000;
    F(VMREAD_BITMAP) = 0x16800;
    EXPECT_CTL("VMREAD-bitmap");
    F(VMREAD_BITMAP) = 0x16000;
    F(VMWRITE_BITMAP) = 1ull << 36;
    EXPECT_CTL("VMWRITE-bitmap");
    F(VMWRITE_BITMAP) = 0x17000;
    F(VE_INFO_ADDR) = 0x18004;
    EXPECT_CTL("#VE information address");
    F(VE_INFO_ADDR) = 0x18000;
    F(SECONDARY_CONTROLS) &= ~SEC_ENABLE_EPT;
    EXPECT_CTL("enable PML without enable EPT");
    F(SECONDARY_CONTROLS) &= ~SEC_ENABLE_PML;
    EXPECT_CTL("EPTP switching without enable EPT");
    F(SECONDARY_CONTROLS) &= ~SEC_ENABLE_VMFUNC;
    F(SECONDARY_CONTROLS) |= SEC_MODE_BASED_EPT_EXEC;
    EXPECT_CTL("mode-based execute control without enable EPT");
}

/* ==== 26.2.1.2 VM-exit controls (error 7) ==== */

static void test_exit_reserved(void **s)
{
    (void)s;
    base64();
    F(EXIT_CONTROLS) &= ~1u;
    EXPECT_CTL("VM-exit controls");
    base64();
    F(EXIT_CONTROLS) |= 1u << 23;           /* clear IA32_BNDCFGS: not offered */
    EXPECT_CTL("VM-exit controls");
}

static void test_save_preemption_timer_needs_timer(void **s)
{
    (void)s;
    base64();
    F(EXIT_CONTROLS) |= EXIT_SAVE_PREEMPT_TIMER;
    EXPECT_CTL("save VMX-preemption timer");
    F(PIN_BASED_CONTROLS) |= PIN_PREEMPTION_TIMER;
    EXPECT_OK();
}

static void test_exit_msr_store_area(void **s)
{
    (void)s;
    base64();
    F(EXIT_MSR_STORE_ADDR) = 0x19008;       /* count 0: not checked */
    EXPECT_OK();
    F(EXIT_MSR_STORE_COUNT) = 1;
    EXPECT_CTL("MSR-store area");
    F(EXIT_MSR_STORE_ADDR) = 0x19010;
    EXPECT_OK();
}

static void test_exit_msr_load_area_last_byte(void **s)
{
    (void)s;
    base64();
    F(EXIT_MSR_LOAD_ADDR) = (1ull << 36) - 32;
    F(EXIT_MSR_LOAD_COUNT) = 2;             /* last byte 2^36 - 1: fits */
    EXPECT_OK();
    F(EXIT_MSR_LOAD_COUNT) = 3;             /* last byte 2^36 + 15 */
    EXPECT_CTL("VM-exit MSR-load area");
    /* a count of 2^32 - 1 is computed in 64 bits, not wrapped */
    F(EXIT_MSR_LOAD_ADDR) = 0x1000;
    F(EXIT_MSR_LOAD_COUNT) = 0xffffffff;
    EXPECT_CTL("VM-exit MSR-load area");
}

static void test_msr_areas_32bit_basic(void **s)
{
    (void)s;
    base64();
    F(EXIT_MSR_LOAD_ADDR) = 0x100000000ull;
    F(EXIT_MSR_LOAD_COUNT) = 1;
    EXPECT_OK();
    V.caps.basic |= VMX_BASIC_ADDR32;       /* IA32_VMX_BASIC[48]: 32-bit addresses */
    EXPECT_CTL("VM-exit MSR-load area");
}

/* ==== 26.2.1.3 VM-entry controls (error 7) ==== */

static void test_entry_reserved(void **s)
{
    (void)s;
    base64();
    F(ENTRY_CONTROLS) &= ~(1u << 12);
    EXPECT_CTL("VM-entry controls");
    base64();
    F(ENTRY_CONTROLS) |= ENTRY_LOAD_BNDCFGS;
    EXPECT_CTL("VM-entry controls");
}

static void test_entry_smm_controls(void **s)
{
    (void)s;
    /* Arrandale's allowed-1 entry controls include bits 10 and 11: the SMM rule decides */
    base64();
    F(ENTRY_CONTROLS) |= ENTRY_SMM;
    EXPECT_CTL("entry to SMM outside SMM");
    base64();
    F(ENTRY_CONTROLS) |= ENTRY_DEACT_DUAL_MONITOR;
    EXPECT_CTL("deactivate dual-monitor");
}

static void test_entry_msr_load_area(void **s)
{
    (void)s;
    base64();
    F(ENTRY_MSR_LOAD_ADDR) = 0x1a004;
    F(ENTRY_MSR_LOAD_COUNT) = 1;
    EXPECT_CTL("VM-entry MSR-load area");
    F(ENTRY_MSR_LOAD_ADDR) = 0x1a000;
    EXPECT_OK();
}

static void test_inject_valid_events(void **s)
{
    (void)s;
    base64();
    F(GUEST_RFLAGS) = 0x202;
    INJECT(INTR_TYPE_EXT_INTR, 0x20);
    EXPECT_OK();
    INJECT(INTR_TYPE_NMI, 2);
    EXPECT_OK();
    INJECT_EC(INTR_TYPE_HW_EXCEPTION, 14);
    F(ENTRY_EXCEPTION_ERROR_CODE) = 0x8007; /* bit 15 is allowed (current SDM) */
    EXPECT_OK();
    INJECT(INTR_TYPE_SW_INTR, 0x80);
    F(ENTRY_INSTRUCTION_LEN) = 2;
    EXPECT_OK();
    INJECT(INTR_TYPE_SW_EXCEPTION, 3);
    F(ENTRY_INSTRUCTION_LEN) = 1;
    EXPECT_OK();
    INJECT(INTR_TYPE_PRIV_SW_EXCEPTION, 1);
    F(ENTRY_INSTRUCTION_LEN) = 15;
    EXPECT_OK();
}

static void test_inject_reserved_type(void **s)
{
    (void)s;
    base64();
    INJECT(1u << 8, 0);
    EXPECT_CTL("reserved interruption type");
}

static void test_inject_other_event(void **s)
{
    (void)s;
    base64();
    INJECT(INTR_TYPE_OTHER_EVENT, 0);       /* pending MTF VM exit */
    EXPECT_OK();
    INJECT(INTR_TYPE_OTHER_EVENT, 1);       /* BOCHS: accepts type 7 with a non-zero vector */
    EXPECT_CTL("other event with vector other than 0");
    V.caps.procbased &= ~((uint64_t)PROC_MONITOR_TRAP_FLAG << 32);
    INJECT(INTR_TYPE_OTHER_EVENT, 0);       /* BOCHS: accepts type 7 without MTF support */
    EXPECT_CTL("reserved interruption type");
}

static void test_inject_vector_vs_type(void **s)
{
    (void)s;
    base64();
    INJECT(INTR_TYPE_NMI, 3);
    EXPECT_CTL("NMI with vector other than 2");
    INJECT(INTR_TYPE_HW_EXCEPTION, 32);
    EXPECT_CTL("vector above 31");
}

static void test_inject_error_code_rules(void **s)
{
    (void)s;
    base64();
    INJECT(INTR_TYPE_HW_EXCEPTION, 13);      /* #GP without its error code */
    EXPECT_CTL("deliver-error-code");
    INJECT_EC(INTR_TYPE_HW_EXCEPTION, 6);    /* #UD with one */
    EXPECT_CTL("deliver-error-code");
    INJECT_EC(INTR_TYPE_SW_INTR, 13);        /* software interrupt with one */
    F(ENTRY_INSTRUCTION_LEN) = 2;
    EXPECT_CTL("deliver-error-code");
    INJECT_EC(INTR_TYPE_HW_EXCEPTION, 8);
    F(ENTRY_EXCEPTION_ERROR_CODE) = 0x10000;
    EXPECT_CTL("error code bits 31:16");
}

static void test_inject_error_code_real_mode(void **s)
{
    (void)s;
    /* unrestricted guest with CR0.PE = 0: no exception delivers an error code */
    base_real();
    INJECT_EC(INTR_TYPE_HW_EXCEPTION, 13);
    EXPECT_CTL("deliver-error-code");
    INJECT(INTR_TYPE_HW_EXCEPTION, 13);
    EXPECT_OK();
}

static void test_inject_no_errcode_requirement(void **s)
{
    (void)s;
    base64();
    V.caps.basic |= VMX_BASIC_NO_ERRCODE_REQ;
    INJECT_EC(INTR_TYPE_HW_EXCEPTION, 6);
    EXPECT_OK();
    INJECT(INTR_TYPE_HW_EXCEPTION, 13);
    EXPECT_OK();
    INJECT_EC(INTR_TYPE_NMI, 2);
    EXPECT_CTL("error code outside");
}

static void test_inject_reserved_bits(void **s)
{
    (void)s;
    base64();
    F(ENTRY_INTR_INFO) = INTR_INFO_VALID | INTR_TYPE_NMI | 2 | (1u << 12);
    EXPECT_CTL("reserved bits 30:12");
    F(ENTRY_INTR_INFO) = (1u << 12) | 0xffff; /* valid bit clear: the field is not checked */
    EXPECT_OK();
}

static void test_inject_instruction_length(void **s)
{
    (void)s;
    base64();
    INJECT(INTR_TYPE_SW_INTR, 0x21);
    F(ENTRY_INSTRUCTION_LEN) = 0;
    EXPECT_CTL("instruction length");
    F(ENTRY_INSTRUCTION_LEN) = 16;
    EXPECT_CTL("instruction length");
    F(ENTRY_INSTRUCTION_LEN) = 0;
    V.caps.misc |= VMX_MISC_INJECT_ILEN0;
    EXPECT_OK();
    INJECT(INTR_TYPE_HW_EXCEPTION, 6);       /* hardware exceptions need no length */
    F(ENTRY_INSTRUCTION_LEN) = 99;
    EXPECT_OK();
}

/* ==== 26.2.2-26.2.4 host state (error 8) ==== */

static void test_host_cr0_cr4(void **s)
{
    (void)s;
    base64();
    F(HOST_CR0) &= ~0x20ull;                /* NE */
    EXPECT_HOST("host CR0");
    base64();
    F(HOST_CR0) |= 1ull << 32;
    EXPECT_HOST("host CR0");
    base64();
    F(HOST_CR4) &= ~0x2000ull;              /* VMXE */
    EXPECT_HOST("host CR4");
    base64();
    F(HOST_CR4) |= 1ull << 12;              /* LA57: not in fixed1 */
    EXPECT_HOST("host CR4");
}

static void test_host_cr0_cd_nw_not_checked(void **s)
{
    (void)s;
    base64();
    V.caps.cr0_fixed1 = 0x9fffffff;         /* even if FIXED1 said CD/NW must be 0 */
    F(HOST_CR0) |= 0x60000000;
    F(GUEST_CR0) |= 0x60000000;
    EXPECT_OK();
}

static void test_host_cr3_width(void **s)
{
    (void)s;
    base64();
    F(HOST_CR3) = 1ull << 36;
    EXPECT_HOST("host CR3");
}

static void test_host_sysenter_canonical(void **s)
{
    (void)s;
    base64();
    F(HOST_IA32_SYSENTER_ESP) = 0x0000800000000000ull;
    EXPECT_HOST("SYSENTER_ESP");
    base64();
    F(HOST_IA32_SYSENTER_EIP) = 0xffff7fffffffffffull;
    EXPECT_HOST("SYSENTER_EIP");
}

static void test_host_pat_efer_perf(void **s)
{
    (void)s;
    base64();
    F(HOST_IA32_PAT) = 0x0007040600070402ull;
    EXPECT_HOST("host IA32_PAT");
    F(EXIT_CONTROLS) &= ~EXIT_LOAD_PAT;     /* not loaded: not checked */
    EXPECT_OK();
    base64();
    F(HOST_IA32_EFER) = 0x100;              /* LME without LMA */
    EXPECT_HOST("LMA/LME");
    F(HOST_IA32_EFER) = 0x501 | (1ull << 12);
    EXPECT_HOST("host IA32_EFER reserved");
    base64();
    V.caps.exit |= (uint64_t)EXIT_LOAD_PERF_GLOBAL << 32;
    F(EXIT_CONTROLS) |= EXIT_LOAD_PERF_GLOBAL;
    F(HOST_IA32_PERF_GLOBAL_CTRL) = 0x3;
    EXPECT_OK();
    F(HOST_IA32_PERF_GLOBAL_CTRL) = 0x100;
    EXPECT_HOST("PERF_GLOBAL_CTRL");
}

static void test_host_selectors(void **s)
{
    (void)s;
    base64();
    F(HOST_DS_SEL) = 0x13;
    EXPECT_HOST("RPL or TI");
    base64();
    F(HOST_TR_SEL) = 0x1c;
    EXPECT_HOST("RPL or TI");
    base64();
    F(HOST_CS_SEL) = 0;
    EXPECT_HOST("host CS selector 0");
    base64();
    F(HOST_TR_SEL) = 0;
    EXPECT_HOST("host TR selector 0");
    base64();
    F(HOST_SS_SEL) = 0;                     /* fine for a 64-bit host */
    EXPECT_OK();
}

static void test_host_bases_canonical(void **s)
{
    (void)s;
    static const int fields[] = { I_HOST_FS_BASE, I_HOST_GS_BASE, I_HOST_GDTR_BASE, I_HOST_IDTR_BASE,
                                  I_HOST_TR_BASE };
    for (unsigned i = 0; i < 5; i++) {
        base64();
        V.f[fields[i]] = 0x1234000000000000ull;
        EXPECT_HOST("not canonical");
    }
}

static void test_host_address_space_size(void **s)
{
    (void)s;
    base64();
    F(EXIT_CONTROLS) &= ~(EXIT_HOST_ADDR_SPACE | EXIT_LOAD_EFER);
    EXPECT_HOST("host address-space size clear in IA-32e mode");
    base64();
    V.rq.l1_ia32e = false;
    EXPECT_HOST("host address-space size set outside IA-32e mode");
}

static void test_host_32bit(void **s)
{
    (void)s;
    base_pae32(true);
    V.rq.l1_ia32e = false;
    F(EXIT_CONTROLS) &= ~(EXIT_HOST_ADDR_SPACE | EXIT_LOAD_EFER);
    F(HOST_CR4) = 0x2000;
    F(HOST_RIP) = 0x101000;
    EXPECT_OK();
    F(HOST_SS_SEL) = 0;
    EXPECT_HOST("host SS selector 0");
    F(HOST_SS_SEL) = 0x10;
    F(ENTRY_CONTROLS) |= ENTRY_IA32E_MODE;
    EXPECT_HOST("IA-32e mode guest outside IA-32e mode");
    F(ENTRY_CONTROLS) &= ~ENTRY_IA32E_MODE;
    F(HOST_RIP) = 0x100101000ull;
    EXPECT_HOST("host RIP bits 63:32");
    F(HOST_RIP) = 0x101000;
    F(HOST_CR4) = 0x22000;                  /* PCIDE */
    EXPECT_HOST("PCIDE");
}

static void test_host_64bit_pae_rip(void **s)
{
    (void)s;
    base64();
    F(HOST_CR4) = 0x2000;
    EXPECT_HOST("host CR4.PAE clear");
    base64();
    F(HOST_RIP) = 0x0000800000000000ull;
    EXPECT_HOST("host RIP not canonical");
}

/* ==== 26.3.1.1 guest control registers, debug registers, MSRs (exit 33) ==== */

static void test_guest_cr0(void **s)
{
    (void)s;
    base64();
    F(GUEST_CR0) &= ~0x20ull;               /* NE */
    EXPECT_GUEST("guest CR0");
    base64();
    F(GUEST_CR0) &= ~1ull;                  /* PE without unrestricted guest */
    EXPECT_GUEST("guest CR0");
}

static void test_guest_cr0_unrestricted(void **s)
{
    (void)s;
    base_real();
    F(GUEST_CR0) = 0x80000030;              /* PG without PE */
    EXPECT_GUEST("CR0.PG without CR0.PE");
    F(GUEST_CR0) = 0x10;                    /* NE still fixed */
    EXPECT_GUEST("guest CR0");
}

static void test_guest_cr4(void **s)
{
    (void)s;
    base64();
    F(GUEST_CR4) = 0x20;
    EXPECT_GUEST("guest CR4");
}

static void test_guest_debugctl_dr7(void **s)
{
    (void)s;
    base64();
    F(GUEST_IA32_DEBUGCTL) = 0x4;           /* reserved bit 2 */
    EXPECT_GUEST("DEBUGCTL");
    F(ENTRY_CONTROLS) &= ~ENTRY_LOAD_DEBUG_CTLS;
    EXPECT_OK();
    base64();
    F(GUEST_DR7) = 0x100000400ull;
    EXPECT_GUEST("DR7");
}

static void test_guest_ia32e_needs_pg_pae(void **s)
{
    (void)s;
    base64();
    F(GUEST_CR4) = 0x2000;
    EXPECT_GUEST("IA-32e mode guest without CR0.PG and CR4.PAE");
    base_real();                            /* unrestricted: PG = 0 would pass the CR0 check */
    F(ENTRY_CONTROLS) |= ENTRY_IA32E_MODE;
    F(GUEST_CR4) = 0x2020;
    EXPECT_GUEST("IA-32e mode guest without CR0.PG");
}

static void test_guest_pcide_cr3(void **s)
{
    (void)s;
    base_pae32(true);
    F(GUEST_CR4) |= 1ull << 17;
    V.caps.cr4_fixed1 |= 1ull << 17;
    EXPECT_GUEST("PCIDE outside IA-32e mode");
    base64();
    F(GUEST_CR3) = 1ull << 36;
    EXPECT_GUEST("guest CR3");
}

static void test_guest_sysenter_pat(void **s)
{
    (void)s;
    base64();
    F(GUEST_IA32_SYSENTER_EIP) = 0x8000000000000000ull;
    EXPECT_GUEST("SYSENTER");
    base64();
    F(GUEST_IA32_PAT) = 0x0807040600070406ull;
    EXPECT_GUEST("guest IA32_PAT");
}

static void test_guest_efer(void **s)
{
    (void)s;
    base64();
    F(GUEST_IA32_EFER) = 0x100;             /* LMA != IA-32e mode guest */
    EXPECT_GUEST("LMA differs");
    base_pae32(true);
    F(GUEST_IA32_EFER) = 0x100;             /* LME with CR0.PG outside IA-32e mode */
    EXPECT_GUEST("LME differs");
    base64();
    F(GUEST_IA32_EFER) = 0x500 | (1ull << 13);
    EXPECT_GUEST("guest IA32_EFER reserved");
    /* CR0.PG = 0: LME may be set ahead of enabling paging */
    base_real();
    F(ENTRY_CONTROLS) |= ENTRY_LOAD_EFER;
    F(GUEST_IA32_EFER) = 0x100;
    EXPECT_OK();
}

static void test_guest_bndcfgs(void **s)
{
    (void)s;
    base64();
    V.caps.entry |= (uint64_t)ENTRY_LOAD_BNDCFGS << 32;
    F(ENTRY_CONTROLS) |= ENTRY_LOAD_BNDCFGS;
    F(GUEST_IA32_BNDCFGS) = 0x7ffff000ull | 3;
    EXPECT_OK();
    F(GUEST_IA32_BNDCFGS) = 0x7ffff000ull | 4;
    EXPECT_GUEST("BNDCFGS reserved");
    F(GUEST_IA32_BNDCFGS) = 0x0000800000000000ull;
    EXPECT_GUEST("BNDCFGS bound-directory");
}

/* ==== 26.3.1.2 guest segment registers ==== */

static void test_seg_selectors(void **s)
{
    (void)s;
    base64();
    F(GUEST_TR_SEL) = 0x1c;
    EXPECT_GUEST("TR selector TI");
    base64();
    F(GUEST_LDTR_SEL) = 0x24;               /* unusable: TI not checked */
    EXPECT_OK();
    F(GUEST_LDTR_AR) = 0x82;
    F(GUEST_LDTR_LIMIT) = 0xffff;
    EXPECT_GUEST("LDTR selector TI");
    base64();
    F(GUEST_SS_SEL) = 0x13;
    EXPECT_GUEST("SS.RPL differs from CS.RPL");
}

static void test_seg_v86(void **s)
{
    (void)s;
    base_v86();
    F(GUEST_DS_BASE) = 0x20010;
    EXPECT_GUEST("selector * 16");
    base_v86();
    F(GUEST_FS_LIMIT) = 0xfffff;
    EXPECT_GUEST("limit not FFFFH");
    base_v86();
    F(GUEST_GS_AR) = 0xf2;
    EXPECT_GUEST("access rights not F3H");
    base_v86();
    F(GUEST_SS_AR) = 0x100f3;               /* unusable is not allowed either */
    EXPECT_GUEST("access rights not F3H");
}

static void test_seg_bases(void **s)
{
    (void)s;
    base64();
    F(GUEST_FS_BASE) = 0x0001000000000000ull;
    EXPECT_GUEST("TR/FS/GS base");
    base64();
    F(GUEST_CS_BASE) = 0x100000000ull;
    EXPECT_GUEST("CS base bits 63:32");
    base64();
    F(GUEST_DS_BASE) = 0x100000000ull;
    EXPECT_GUEST("SS/DS/ES base");
    F(GUEST_DS_AR) = 0x10000;               /* unusable: not checked */
    EXPECT_OK();
    base_real();
    F(GUEST_LDTR_BASE) = 0x0000900000000000ull;
    EXPECT_GUEST("LDTR base");
}

static void test_seg_cs_type(void **s)
{
    (void)s;
    base64();
    F(GUEST_CS_AR) = 0xa093;                /* data segment as CS, no unrestricted guest */
    EXPECT_GUEST("CS type");
    base64();
    F(GUEST_CS_AR) = 0xa09a;                /* code, not accessed */
    EXPECT_GUEST("CS type");
    base_real();
    F(GUEST_CS_AR) = 0x93;                  /* type 3 with unrestricted guest, DPL 0 */
    EXPECT_OK();
    F(GUEST_CS_AR) = 0xf3;
    F(GUEST_SS_AR) = 0x93;
    EXPECT_GUEST("CS type 3 with DPL not 0");
}

static void test_seg_ss_and_data_types(void **s)
{
    (void)s;
    base64();
    F(GUEST_SS_AR) = 0xc09b;                /* code segment as SS */
    EXPECT_GUEST("SS type");
    base64();
    F(GUEST_SS_AR) = 0xc097;                /* expand-down data: allowed */
    EXPECT_OK();
    base64();
    F(GUEST_DS_AR) = 0xc092;                /* not accessed */
    EXPECT_GUEST("not accessed");
    base64();
    F(GUEST_ES_AR) = 0xc099;                /* execute-only code */
    EXPECT_GUEST("code not readable");
    F(GUEST_ES_AR) = 0xc09b;                /* readable code: fine */
    EXPECT_OK();
}

static void test_seg_s_and_present(void **s)
{
    (void)s;
    base64();
    F(GUEST_CS_AR) &= ~0x10u;
    EXPECT_GUEST("S (descriptor type)");
    base64();
    F(GUEST_GS_AR) &= ~0x10u;
    EXPECT_GUEST("S (descriptor type)");
    base64();
    F(GUEST_CS_AR) &= ~0x80u;
    EXPECT_GUEST("not present");
    base64();
    F(GUEST_FS_AR) = 0x10000;               /* unusable: nothing else matters */
    EXPECT_OK();
}

static void test_seg_cs_dpl(void **s)
{
    (void)s;
    base64();
    F(GUEST_CS_AR) = 0xa0fb;                /* non-conforming, DPL 3 vs SS DPL 0 */
    F(GUEST_CS_SEL) = 0x0b;
    F(GUEST_SS_SEL) = 0x13;
    EXPECT_GUEST("non-conforming CS DPL");
    base64();
    F(GUEST_CS_AR) = 0xa0ff;                /* conforming, DPL 3 > SS DPL 0 */
    EXPECT_GUEST("conforming CS DPL above SS DPL");
    F(GUEST_CS_AR) = 0xa09f;                /* conforming, DPL 0 */
    EXPECT_OK();
}

static void test_seg_ss_dpl(void **s)
{
    (void)s;
    base64();
    F(GUEST_SS_AR) = 0xc0f3;
    F(GUEST_CS_AR) = 0xa0ff;                /* conforming CS: CS DPL <= SS DPL holds */
    EXPECT_GUEST("SS DPL differs from SS.RPL");
    base_real();
    F(GUEST_SS_AR) = 0xf3;                  /* CR0.PE = 0 needs SS DPL 0 */
    F(GUEST_CS_AR) = 0x9f;                  /* conforming code, DPL 0 */
    EXPECT_GUEST("SS DPL not 0 with CS type 3 or CR0.PE clear");
}

static void test_seg_data_dpl_vs_rpl(void **s)
{
    (void)s;
    base64();
    F(GUEST_DS_SEL) = 0x13;                 /* RPL 3 > DPL 0 */
    EXPECT_GUEST("DPL below RPL");
    base64();
    F(GUEST_ES_SEL) = 0x13;
    F(GUEST_ES_AR) = 0xc09b;                /* type 11: BOCHS checks only types below 11 */
    EXPECT_GUEST("DPL below RPL");
    F(GUEST_ES_AR) = 0xc09f;                /* conforming code: no DPL rule */
    EXPECT_OK();
    base_real();
    F(GUEST_DS_SEL) = 0x3;                  /* unrestricted guest: no DPL >= RPL rule */
    EXPECT_OK();
}

static void test_seg_reserved_and_g(void **s)
{
    (void)s;
    base64();
    F(GUEST_DS_AR) |= 0x100u;
    EXPECT_GUEST("bits 11:8");
    base64();
    F(GUEST_SS_AR) |= 0x20000u;
    EXPECT_GUEST("bits 31:17");
    base64();
    F(GUEST_DS_LIMIT) = 0x1000;             /* limit[11:0] = 0 with G = 1 */
    EXPECT_GUEST("G bit");
    base64();
    F(GUEST_CS_AR) = 0x209b;                /* G = 0 with limit FFFFFFFFH */
    EXPECT_GUEST("G bit");
    F(GUEST_CS_LIMIT) = 0xfffff;
    EXPECT_OK();
}

static void test_seg_cs_l_and_db(void **s)
{
    (void)s;
    base64();
    F(GUEST_CS_AR) = 0xe09b;
    EXPECT_GUEST("CS.L and CS.D/B");
    base_pae32(true);                       /* outside IA-32e mode the pair is not checked */
    F(GUEST_CS_AR) = 0xe09b;
    EXPECT_OK();
}

static void test_seg_tr(void **s)
{
    (void)s;
    base64();
    F(GUEST_TR_AR) = 0x83;                  /* 16-bit busy TSS in IA-32e mode */
    EXPECT_GUEST("guest TR type");
    base_pae32(true);
    F(GUEST_TR_AR) = 0x83;                  /* fine outside IA-32e mode */
    EXPECT_OK();
    F(GUEST_TR_AR) = 0x89;                  /* available, not busy */
    EXPECT_GUEST("guest TR type");
    base64();
    F(GUEST_TR_AR) = 0x9b;
    EXPECT_GUEST("guest TR S");
    base64();
    F(GUEST_TR_AR) = 0x0b;
    EXPECT_GUEST("guest TR not present");
    base64();
    F(GUEST_TR_AR) = 0x1008b;
    EXPECT_GUEST("guest TR unusable");
    base64();
    F(GUEST_TR_LIMIT) = 0x100000;
    EXPECT_GUEST("guest TR G bit");
}

static void test_seg_ldtr(void **s)
{
    (void)s;
    base_real();
    F(GUEST_LDTR_AR) = 0x83;
    EXPECT_GUEST("LDTR type");
    base_real();
    F(GUEST_LDTR_AR) = 0x92;
    EXPECT_GUEST("LDTR S");
    base_real();
    F(GUEST_LDTR_AR) = 0x02;
    EXPECT_GUEST("LDTR not present");
    base_real();
    F(GUEST_LDTR_AR) = 0x40082;
    EXPECT_GUEST("LDTR access-rights bits 31:17");
}

/* ==== 26.3.1.3 GDTR/IDTR, 26.3.1.4 RIP/RFLAGS ==== */

static void test_gdtr_idtr(void **s)
{
    (void)s;
    base64();
    F(GUEST_GDTR_LIMIT) = 0x10000;
    EXPECT_GUEST("limit bits 31:16");
    base64();
    F(GUEST_IDTR_BASE) = 0x0000800000000000ull;
    EXPECT_GUEST("GDTR/IDTR base");
}

static void test_guest_rip(void **s)
{
    (void)s;
    base64();
    F(GUEST_RIP) = 0xffff800000000000ull;   /* canonical in 64-bit mode */
    EXPECT_OK();
    F(GUEST_RIP) = 0x0000800000000000ull;
    EXPECT_GUEST("RIP not canonical");
    base64();
    F(GUEST_CS_AR) = 0xc09b;                /* compatibility mode: 32-bit RIP */
    F(GUEST_RIP) = 0x100000000ull;
    EXPECT_GUEST("RIP bits 63:32");
    base_pae32(true);
    F(GUEST_RIP) = 0x100000000ull;
    EXPECT_GUEST("RIP bits 63:32");
}

static void test_guest_rflags(void **s)
{
    (void)s;
    base64();
    F(GUEST_RFLAGS) = 0xa;
    EXPECT_GUEST("RFLAGS reserved");
    base64();
    F(GUEST_RFLAGS) = 0x400002;             /* bit 22 */
    EXPECT_GUEST("RFLAGS reserved");
    base64();
    F(GUEST_RFLAGS) = 0;
    EXPECT_GUEST("RFLAGS bit 1");
    base_v86();                             /* virtual-8086 segments, but an IA-32e mode guest */
    F(ENTRY_CONTROLS) |= ENTRY_IA32E_MODE;
    F(GUEST_IA32_EFER) = 0x500;
    EXPECT_GUEST("RFLAGS.VM");
}

static void test_guest_rflags_vm_real_mode(void **s)
{
    (void)s;
    base_real();
    F(GUEST_RFLAGS) = 0x20002;              /* VM with CR0.PE = 0 */
    F(GUEST_CS_AR) = F(GUEST_ES_AR) = F(GUEST_SS_AR) = F(GUEST_DS_AR) = F(GUEST_FS_AR) = F(GUEST_GS_AR) = 0xf3;
    EXPECT_GUEST("RFLAGS.VM");
}

static void test_ext_intr_needs_if(void **s)
{
    (void)s;
    base64();
    INJECT(INTR_TYPE_EXT_INTR, 0x30);
    EXPECT_GUEST("RFLAGS.IF clear");
    F(GUEST_RFLAGS) = 0x202;
    EXPECT_OK();
}

/* ==== 26.3.1.5 non-register state ==== */

static void test_activity_state_values(void **s)
{
    (void)s;
    base64();
    F(GUEST_ACTIVITY_STATE) = 4;
    EXPECT_GUEST("activity state");
    F(GUEST_ACTIVITY_STATE) = ACTIVITY_WAIT_SIPI;
    EXPECT_OK();
    V.caps.misc &= ~VMX_MISC_ACT_WAIT_SIPI;
    EXPECT_GUEST("activity state");
    F(GUEST_ACTIVITY_STATE) = ACTIVITY_SHUTDOWN;
    EXPECT_OK();
    V.caps.misc &= ~VMX_MISC_ACT_SHUTDOWN;
    EXPECT_GUEST("activity state");
    F(GUEST_ACTIVITY_STATE) = ACTIVITY_HLT;
    EXPECT_OK();
    V.caps.misc &= ~VMX_MISC_ACT_HLT;
    EXPECT_GUEST("activity state");
}

static void test_hlt_needs_ss_dpl0(void **s)
{
    (void)s;
    base64();
    F(GUEST_ACTIVITY_STATE) = ACTIVITY_HLT;
    F(GUEST_CS_AR) = 0xa0fb;
    F(GUEST_SS_AR) = 0xc0f3;
    F(GUEST_CS_SEL) = 0x0b;
    F(GUEST_SS_SEL) = 0x13;
    F(GUEST_ES_SEL) = F(GUEST_DS_SEL) = F(GUEST_FS_SEL) = F(GUEST_GS_SEL) = 0;
    EXPECT_GUEST("HLT activity state with SS.DPL");
    F(GUEST_ACTIVITY_STATE) = ACTIVITY_ACTIVE;
    EXPECT_OK();
}

static void test_blocking_needs_active(void **s)
{
    (void)s;
    base64();
    F(GUEST_RFLAGS) = 0x202;
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI;
    F(GUEST_ACTIVITY_STATE) = ACTIVITY_HLT;
    EXPECT_GUEST("outside the active state");
}

static void test_injection_vs_activity(void **s)
{
    (void)s;
    base64();
    F(GUEST_ACTIVITY_STATE) = ACTIVITY_HLT;
    INJECT_EC(INTR_TYPE_HW_EXCEPTION, 14);
    EXPECT_GUEST("blocked in the activity state");
    INJECT(INTR_TYPE_HW_EXCEPTION, 1);      /* #DB wakes HLT */
    EXPECT_OK();
    INJECT(INTR_TYPE_HW_EXCEPTION, 18);     /* #MC too */
    EXPECT_OK();
    INJECT(INTR_TYPE_OTHER_EVENT, 0);
    EXPECT_OK();
    INJECT(INTR_TYPE_SW_INTR, 0x80);
    F(ENTRY_INSTRUCTION_LEN) = 2;
    EXPECT_GUEST("blocked in the activity state");
    F(GUEST_ACTIVITY_STATE) = ACTIVITY_SHUTDOWN;
    INJECT(INTR_TYPE_NMI, 2);
    EXPECT_OK();
    INJECT(INTR_TYPE_HW_EXCEPTION, 1);
    EXPECT_GUEST("blocked in the activity state");
    F(GUEST_ACTIVITY_STATE) = ACTIVITY_WAIT_SIPI;
    INJECT(INTR_TYPE_NMI, 2);
    EXPECT_GUEST("blocked in the activity state");
}

static void test_interruptibility_rules(void **s)
{
    (void)s;
    base64();
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_ENCLAVE;
    EXPECT_GUEST("reserved bits 31:4");
    F(GUEST_RFLAGS) = 0x202;
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS;
    EXPECT_GUEST("both STI and MOV SS");
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI;
    EXPECT_OK();
    F(GUEST_RFLAGS) = 0x2;
    EXPECT_GUEST("blocking by STI with RFLAGS.IF clear");
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_SMI;
    EXPECT_GUEST("blocking by SMI outside SMM");
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_NMI;  /* plain NMI blocking is fine */
    EXPECT_OK();
}

static void test_injection_vs_blocking(void **s)
{
    (void)s;
    base64();
    F(GUEST_RFLAGS) = 0x202;
    INJECT(INTR_TYPE_EXT_INTR, 0x30);
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_MOV_SS;
    EXPECT_GUEST("external-interrupt injection with blocking");
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI;
    EXPECT_GUEST("external-interrupt injection with blocking");
    INJECT(INTR_TYPE_NMI, 2);
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_MOV_SS;
    EXPECT_GUEST("NMI injection with blocking by MOV SS");
    /* BOCHS: fails this one too, but with qualification 0 */
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI;
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_NMI_STI, "NMI injection with blocking by STI");
}

static void test_nmi_injection_vs_nmi_blocking(void **s)
{
    (void)s;
    base64();
    INJECT(INTR_TYPE_NMI, 2);
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_NMI;
    EXPECT_OK();                            /* without virtual NMIs this is allowed */
    F(PIN_BASED_CONTROLS) |= PIN_VIRTUAL_NMIS;
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_DEFAULT, "virtual NMIs and blocking by NMI");
}

static void test_pending_debug_reserved(void **s)
{
    (void)s;
    base64();
    F(GUEST_PENDING_DBG_EXCEPTIONS) = 0x10;
    EXPECT_GUEST("pending debug exceptions reserved");
    F(GUEST_PENDING_DBG_EXCEPTIONS) = 0x2000;
    EXPECT_GUEST("pending debug exceptions reserved");
    F(GUEST_PENDING_DBG_EXCEPTIONS) = 0x100000000ull;
    EXPECT_GUEST("pending debug exceptions reserved");
    F(GUEST_PENDING_DBG_EXCEPTIONS) = 0x100f;   /* B3-B0 and enabled breakpoint */
    EXPECT_OK();
}

static void test_pending_debug_rtm(void **s)
{
    (void)s;
    base64();
    F(GUEST_PENDING_DBG_EXCEPTIONS) = 0x11000;
    EXPECT_GUEST("reserved");               /* no RTM: bit 16 is reserved */
    V.caps.rtm = true;
    EXPECT_OK();
    F(GUEST_PENDING_DBG_EXCEPTIONS) = 0x10000;  /* RTM needs bit 12 */
    EXPECT_GUEST("RTM");
    F(GUEST_PENDING_DBG_EXCEPTIONS) = 0x11001;
    EXPECT_GUEST("RTM");
}

static void test_pending_debug_bs(void **s)
{
    (void)s;
    base64();
    F(GUEST_RFLAGS) = 0x302;                /* IF TF */
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI;
    EXPECT_GUEST("pending BS");             /* single-step pending but BS clear */
    F(GUEST_PENDING_DBG_EXCEPTIONS) = 0x4000;
    EXPECT_OK();
    F(GUEST_IA32_DEBUGCTL) = 0x2;           /* BTF: branch trap, not single step */
    EXPECT_GUEST("pending BS");
    base64();
    F(GUEST_ACTIVITY_STATE) = ACTIVITY_HLT;
    F(GUEST_PENDING_DBG_EXCEPTIONS) = 0x4000;   /* BS with TF = 0 */
    EXPECT_GUEST("pending BS");
    F(GUEST_ACTIVITY_STATE) = ACTIVITY_ACTIVE;  /* no blocking, not HLT: BS not checked */
    EXPECT_OK();
}

static void test_link_pointer(void **s)
{
    (void)s;
    base64();
    F(VMCS_LINK_POINTER) = 0x8000;
    put32(0x8000, REVISION);
    EXPECT_OK();
    put32(0x8000, REVISION + 1);
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_LINK_PTR, "revision identifier");
    put32(0x8000, REVISION | VMCS_HDR_SHADOW);   /* shadow VMCS without VMCS shadowing */
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_LINK_PTR, "shadow-VMCS indicator");
    F(VMCS_LINK_POINTER) = 0x8800;
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_LINK_PTR, "4K-aligned");
    F(VMCS_LINK_POINTER) = 1ull << 36;
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_LINK_PTR, "MAXPHYADDR");
    F(VMCS_LINK_POINTER) = 0x40000000;      /* no memory there: all ones */
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_LINK_PTR, "revision identifier");
    F(VMCS_LINK_POINTER) = VMCS12_GPA;
    put32(VMCS12_GPA, REVISION);
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_LINK_PTR, "current-VMCS pointer");
}

static void test_link_pointer_shadowing(void **s)
{
    (void)s;
    base64();
    caps_more();
    F(SECONDARY_CONTROLS) |= SEC_VMCS_SHADOWING;
    F(VMREAD_BITMAP) = 0x16000;
    F(VMWRITE_BITMAP) = 0x17000;
    EXPECT_OK();                            /* ~0: no shadow VMCS; allowed */
    F(VMCS_LINK_POINTER) = 0x8000;
    put32(0x8000, REVISION | VMCS_HDR_SHADOW);
    EXPECT_OK();
    put32(0x8000, REVISION);                /* an ordinary VMCS as the shadow */
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_LINK_PTR, "shadow-VMCS indicator");
}

/* ==== 26.3.1.6 PDPTEs ==== */

static void test_pdpte_fields_with_ept(void **s)
{
    (void)s;
    base_pae32(true);
    F(GUEST_PDPTE2) = 0xd001 | 0x2;         /* present with reserved bit 1 */
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_PDPTE, "PDPTE field");
    F(GUEST_PDPTE2) = 0xd000 | 0x1e6;       /* not present: not checked */
    EXPECT_OK();
    F(GUEST_PDPTE3) = (1ull << 36) | 1;
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_PDPTE, "PDPTE field");
    F(GUEST_PDPTE3) = (1ull << 63) | 1;     /* XD is reserved in a PDPTE */
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_PDPTE, "PDPTE field");
}

static void test_pdpte_memory_without_ept(void **s)
{
    (void)s;
    base_pae32(false);
    put64(0xa010, 0xd001 | 0x20);           /* bit 5 reserved */
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_PDPTE, "PDPTE at guest CR3");
    put64(0xa010, 0);
    F(GUEST_CR3) = 0xa000 | 0x18;           /* CR3 bits 4:3 are ignored (PWT/PCD): table at A000H */
    EXPECT_OK();
    F(GUEST_CR3) = 0x40000000;              /* no memory: reads as all ones */
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_PDPTE, "PDPTE at guest CR3");
}

static void test_pdptes_only_for_pae_paging(void **s)
{
    (void)s;
    base64();                               /* IA-32e mode: PDPTE fields are not looked at */
    F(GUEST_PDPTE0) = 0xffffffffffffffffull;
    EXPECT_OK();
    base_real();                            /* no paging */
    F(GUEST_PDPTE0) = 0xffffffffffffffffull;
    EXPECT_OK();
}

/* ==== the first failing check decides ==== */

static void test_order_of_groups(void **s)
{
    (void)s;
    base64();
    F(VPID) = 0;                            /* control */
    F(HOST_CS_SEL) = 0;                     /* host */
    F(GUEST_RFLAGS) = 0;                    /* guest */
    EXPECT_CTL("VPID");
    F(VPID) = 1;
    EXPECT_HOST("host CS");
    F(HOST_CS_SEL) = 8;
    EXPECT_GUEST("RFLAGS");
    /* exit controls before entry controls, execution controls before both */
    base64();
    F(ENTRY_CONTROLS) &= ~(1u << 12);
    F(EXIT_CONTROLS) |= EXIT_SAVE_PREEMPT_TIMER;
    EXPECT_CTL("save VMX-preemption timer");
    F(PROC_BASED_CONTROLS) |= PROC_NMI_WINDOW;
    EXPECT_CTL("NMI-window");
}

static void test_order_within_guest_state(void **s)
{
    (void)s;
    /* 26.3.1.5 lists the interruptibility rules before the link pointer, and 26.3.1.6 comes last */
    base_pae32(true);
    F(GUEST_PDPTE0) = 0x3;
    F(VMCS_LINK_POINTER) = 0x8800;
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_LINK_PTR, NULL);
    INJECT(INTR_TYPE_NMI, 2);
    F(GUEST_RFLAGS) = 0x202;
    F(GUEST_INTERRUPTIBILITY) = INTERRUPTIBILITY_STI;
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_NMI_STI, NULL);
    F(GUEST_CR4) = 0x20;                    /* 26.3.1.1 before all of those */
    EXPECT_GUEST_Q(ENTRY_FAIL_QUAL_DEFAULT, "guest CR4");
}

static void test_accessor_width_masking(void **s)
{
    (void)s;
    /* stray high bits from the accessor in a 16- or 32-bit field are not the guest's */
    base64();
    F(VPID) = 0xffff0000u;                  /* VPID is 16 bits: this is VPID 0 */
    EXPECT_CTL("VPID 0");
    base64();
    F(GUEST_ACTIVITY_STATE) = 0x100000000ull;
    EXPECT_OK();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_baseline_64bit_guest),
        cmocka_unit_test(test_baseline_real_mode_unrestricted),
        cmocka_unit_test(test_baseline_pae32_with_ept),
        cmocka_unit_test(test_baseline_pae32_without_ept),
        cmocka_unit_test(test_baseline_v86),
        cmocka_unit_test(test_baseline_32bit_l1),
        cmocka_unit_test(test_baseline_vmresume_launched),
        cmocka_unit_test(test_vmlaunch_not_clear),
        cmocka_unit_test(test_vmresume_not_launched),
        cmocka_unit_test(test_mov_ss_blocking_first),
        cmocka_unit_test(test_pin_reserved),
        cmocka_unit_test(test_proc_reserved),
        cmocka_unit_test(test_secondary_reserved_and_ignored),
        cmocka_unit_test(test_cr3_target_count),
        cmocka_unit_test(test_io_bitmaps),
        cmocka_unit_test(test_msr_bitmap),
        cmocka_unit_test(test_virtual_nmis_need_nmi_exiting),
        cmocka_unit_test(test_nmi_window_needs_virtual_nmis),
        cmocka_unit_test(test_tpr_shadow),
        cmocka_unit_test(test_apic_access_address),
        cmocka_unit_test(test_x2apic_virtualization),
        cmocka_unit_test(test_virtual_interrupt_delivery_and_posted),
        cmocka_unit_test(test_vpid_zero),
        cmocka_unit_test(test_eptp_memory_type),
        cmocka_unit_test(test_eptp_walk_length),
        cmocka_unit_test(test_eptp_ad_reserved_width),
        cmocka_unit_test(test_unrestricted_guest_needs_ept),
        cmocka_unit_test(test_pml_vmfunc_shadowing_ve),
        cmocka_unit_test(test_exit_reserved),
        cmocka_unit_test(test_save_preemption_timer_needs_timer),
        cmocka_unit_test(test_exit_msr_store_area),
        cmocka_unit_test(test_exit_msr_load_area_last_byte),
        cmocka_unit_test(test_msr_areas_32bit_basic),
        cmocka_unit_test(test_entry_reserved),
        cmocka_unit_test(test_entry_smm_controls),
        cmocka_unit_test(test_entry_msr_load_area),
        cmocka_unit_test(test_inject_valid_events),
        cmocka_unit_test(test_inject_reserved_type),
        cmocka_unit_test(test_inject_other_event),
        cmocka_unit_test(test_inject_vector_vs_type),
        cmocka_unit_test(test_inject_error_code_rules),
        cmocka_unit_test(test_inject_error_code_real_mode),
        cmocka_unit_test(test_inject_no_errcode_requirement),
        cmocka_unit_test(test_inject_reserved_bits),
        cmocka_unit_test(test_inject_instruction_length),
        cmocka_unit_test(test_host_cr0_cr4),
        cmocka_unit_test(test_host_cr0_cd_nw_not_checked),
        cmocka_unit_test(test_host_cr3_width),
        cmocka_unit_test(test_host_sysenter_canonical),
        cmocka_unit_test(test_host_pat_efer_perf),
        cmocka_unit_test(test_host_selectors),
        cmocka_unit_test(test_host_bases_canonical),
        cmocka_unit_test(test_host_address_space_size),
        cmocka_unit_test(test_host_32bit),
        cmocka_unit_test(test_host_64bit_pae_rip),
        cmocka_unit_test(test_guest_cr0),
        cmocka_unit_test(test_guest_cr0_unrestricted),
        cmocka_unit_test(test_guest_cr4),
        cmocka_unit_test(test_guest_debugctl_dr7),
        cmocka_unit_test(test_guest_ia32e_needs_pg_pae),
        cmocka_unit_test(test_guest_pcide_cr3),
        cmocka_unit_test(test_guest_sysenter_pat),
        cmocka_unit_test(test_guest_efer),
        cmocka_unit_test(test_guest_bndcfgs),
        cmocka_unit_test(test_seg_selectors),
        cmocka_unit_test(test_seg_v86),
        cmocka_unit_test(test_seg_bases),
        cmocka_unit_test(test_seg_cs_type),
        cmocka_unit_test(test_seg_ss_and_data_types),
        cmocka_unit_test(test_seg_s_and_present),
        cmocka_unit_test(test_seg_cs_dpl),
        cmocka_unit_test(test_seg_ss_dpl),
        cmocka_unit_test(test_seg_data_dpl_vs_rpl),
        cmocka_unit_test(test_seg_reserved_and_g),
        cmocka_unit_test(test_seg_cs_l_and_db),
        cmocka_unit_test(test_seg_tr),
        cmocka_unit_test(test_seg_ldtr),
        cmocka_unit_test(test_gdtr_idtr),
        cmocka_unit_test(test_guest_rip),
        cmocka_unit_test(test_guest_rflags),
        cmocka_unit_test(test_guest_rflags_vm_real_mode),
        cmocka_unit_test(test_ext_intr_needs_if),
        cmocka_unit_test(test_activity_state_values),
        cmocka_unit_test(test_hlt_needs_ss_dpl0),
        cmocka_unit_test(test_blocking_needs_active),
        cmocka_unit_test(test_injection_vs_activity),
        cmocka_unit_test(test_interruptibility_rules),
        cmocka_unit_test(test_injection_vs_blocking),
        cmocka_unit_test(test_nmi_injection_vs_nmi_blocking),
        cmocka_unit_test(test_pending_debug_reserved),
        cmocka_unit_test(test_pending_debug_rtm),
        cmocka_unit_test(test_pending_debug_bs),
        cmocka_unit_test(test_link_pointer),
        cmocka_unit_test(test_link_pointer_shadowing),
        cmocka_unit_test(test_pdpte_fields_with_ept),
        cmocka_unit_test(test_pdpte_memory_without_ept),
        cmocka_unit_test(test_pdptes_only_for_pae_paging),
        cmocka_unit_test(test_order_of_groups),
        cmocka_unit_test(test_order_within_guest_state),
        cmocka_unit_test(test_accessor_width_masking),
        cmocka_unit_test(test_eptp_valid_for_invept),
    };
    return cmocka_run_group_tests_name("vmcs12_check", tests, NULL, NULL);
}
