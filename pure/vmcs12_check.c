/* vmcs12_check.c - VM-entry checks on a VMCS12, in SDM Vol. 3C ch. 26 order (pure logic). */
#include "vmcs12_check.h"
#include "msr_list.h"
#include "lib/vmcs_fields.h"
#include "lib/vmx_defs.h"

/*
 * One function per SDM subsection, each returning the text of the first rule
 * that fails (NULL: all pass); vmcs12_check_entry() turns that into the
 * result kind the subsection prescribes. The texts start with the section
 * number so a log line names the rule.
 *
 * Choices where the SDM leaves room, or where editions differ:
 *  - Blocking by STI with NMI injection "may" fail (26.3.1.5); it does here,
 *    with exit qualification 3, as 26.7 defines for exactly that case.
 *  - VM-entry exception error code: bits 31:16 must be 0 (current SDM;
 *    the 2016 edition said 31:15, bit 15 became defined later).
 *  - Deliver-error-code: 2016 wording, "unrestricted guest is 0 or CR0.PE
 *    is 1" counts as protected mode (newer editions use CR0.PE alone; both
 *    agree whenever guest CR0 is otherwise valid).
 *  - The PDPTEs at guest CR3 (no EPT) are always checked; 26.3.1.6 allows
 *    ("may check their validity even if neither ... hold").
 *  - Linear addresses are 48 bits (no 5-level paging is offered to L1).
 *  - The caps decide what exists: a control L0 does not offer fails its
 *    reserved-bit check before any rule about it is reached. Rules of
 *    controls whose fields are not in lib/vmcs_fields.h are not checked
 *    beyond "requires EPT": sub-page write permissions (SPPTP), Intel PT
 *    (its exit/entry controls and output address), and CET, PKRS, RTIT and
 *    the secondary VM-exit controls are not modelled at all. L0 must not
 *    offer those controls to L1.
 */

/* Architectural bits used below (SDM Vol. 3A ch. 2 and 4); local names, lib/x86.h is not for pure code. */
#define X86_CR0_PE        (1ull << 0)
#define X86_CR0_NW        (1ull << 29)
#define X86_CR0_CD        (1ull << 30)
#define X86_CR0_PG        (1ull << 31)
#define X86_CR4_PAE       (1ull << 5)
#define X86_CR4_PCIDE     (1ull << 17)
#define X86_EFER_LME      (1ull << 8)
#define X86_EFER_LMA      (1ull << 10)
#define X86_RFLAGS_FIXED1 (1ull << 1)
#define X86_RFLAGS_TF     (1ull << 8)
#define X86_RFLAGS_IF     (1ull << 9)
#define X86_RFLAGS_VM     (1ull << 17)
#define X86_RFLAGS_RSVD   0xffffffffffc08028ull /* 63:22, 15, 5, 3 (26.3.1.4) */
#define X86_DEBUGCTL_BTF  (1ull << 1)
#define X86_SEL_RPL       3u
#define X86_SEL_TI        4u
#define X86_SEL_RPL_TI    7u
/* PAE page-directory-pointer-table entry (SDM Vol. 3A 4.4.1): P and the bits reserved below MAXPHYADDR */
#define PDPTE_P           1ull
#define PDPTE_RSVD_LOW    0x1e6ull              /* 8:5 and 2:1 */
/* VMCS access-rights format (24.4.1, Table 24-2) */
#define AR_TYPE(ar)       ((ar) & 0xfu)
#define AR_S              (1u << 4)
#define AR_DPL(ar)        (((ar) >> 5) & 3u)
#define AR_P              (1u << 7)
#define AR_RSVD_11_8      0xf00u
#define AR_L              (1u << 13)
#define AR_DB             (1u << 14)
#define AR_G              (1u << 15)
#define AR_UNUSABLE       (1u << 16)
#define AR_RSVD_31_17     0xfffe0000u
/* Pending debug exceptions (24.4.2, Table 24-4; rules 26.3.1.5) */
#define PDE_BP_ENABLED    (1ull << 12)
#define PDE_BS            (1ull << 14)
#define PDE_RTM           (1ull << 16)
#define PDE_RSVD          0xfffffffffffeaff0ull /* 11:4, 13, 15, 63:17 */
#define PDE_RTM_MUST0     0xfffffffffffeefffull /* with RTM: 11:0, 15:13, 63:17 */

/* Segment registers in VMCS field order (ES, CS, SS, DS, FS, GS, LDTR, TR: Appendix B). */
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_LDTR, S_TR, S_COUNT };
static const unsigned short seg_sel[S_COUNT] = {
    VMCS_GUEST_ES_SEL, VMCS_GUEST_CS_SEL, VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL,
    VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL, VMCS_GUEST_LDTR_SEL, VMCS_GUEST_TR_SEL,
};
static const unsigned short seg_base[S_COUNT] = {
    VMCS_GUEST_ES_BASE, VMCS_GUEST_CS_BASE, VMCS_GUEST_SS_BASE, VMCS_GUEST_DS_BASE,
    VMCS_GUEST_FS_BASE, VMCS_GUEST_GS_BASE, VMCS_GUEST_LDTR_BASE, VMCS_GUEST_TR_BASE,
};
static const unsigned short seg_limit[S_COUNT] = {
    VMCS_GUEST_ES_LIMIT, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_DS_LIMIT,
    VMCS_GUEST_FS_LIMIT, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_LDTR_LIMIT, VMCS_GUEST_TR_LIMIT,
};
static const unsigned short seg_ar[S_COUNT] = {
    VMCS_GUEST_ES_AR, VMCS_GUEST_CS_AR, VMCS_GUEST_SS_AR, VMCS_GUEST_DS_AR,
    VMCS_GUEST_FS_AR, VMCS_GUEST_GS_AR, VMCS_GUEST_LDTR_AR, VMCS_GUEST_TR_AR,
};

struct seg {
    uint32_t sel, limit, ar;
    uint64_t base;
    bool usable;
};

/* What the checks share: the request and the control fields, read once. */
struct chk {
    const struct vmcs12_entry_request *rq;
    const struct vmcs12_caps *caps;
    unsigned maxphy;
    uint32_t pin, proc, sec, exit, entry;   /* sec is 0 without "activate secondary controls" (26.2.1.1) */
    uint32_t intr_info;                     /* VM-entry interruption information */
    bool inject;                            /* its valid bit */
    unsigned itype, ivec;                   /* its type (0-7) and vector */
    bool ia32e_guest, host64, urg;
};

/* ---- small helpers ---- */

/* A field, cut to its width (the accessor may hand back stray high bits). */
static uint64_t rd(const struct chk *c, unsigned enc)
{
    uint64_t v = c->rq->read(c->rq->ctx, enc);

    switch (VMCS_ENC_WIDTH(enc)) {
    case VMCS_W16: return v & 0xffffu;
    case VMCS_W32: return v & 0xffffffffu;
    default: return v;
    }
}

static uint32_t rd32(const struct chk *c, unsigned enc) { return (uint32_t)rd(c, enc); }

/* L1 memory, all ones where there is none (see vmcs12_read_gpa_fn). */
static void rd_mem(const struct chk *c, uint64_t gpa, uint8_t *buf, unsigned len)
{
    if (c->rq->read_gpa && c->rq->read_gpa(c->rq->ctx, gpa, buf, len))
        return;
    for (unsigned i = 0; i < len; i++)
        buf[i] = 0xff;
}

static uint64_t le64(const uint8_t *b)
{
    uint64_t v = 0;

    for (unsigned i = 8; i-- > 0;)
        v = (v << 8) | b[i];
    return v;
}

static bool fits(uint64_t addr, unsigned width) { return (addr >> width) == 0; }

/* 4 KiB aligned and inside the physical-address width: the rule for every bitmap/page address. */
static bool page_addr_ok(const struct chk *c, uint64_t a) { return (a & 0xfffu) == 0 && fits(a, c->maxphy); }

/* Canonical for 48-bit linear addresses: bits 63:47 all equal. */
static bool canonical(uint64_t a)
{
    uint64_t top = a >> 47;

    return top == 0 || top == 0x1ffffu;
}

/* A control value against its capability MSR (A.3-A.5). */
static bool ctls_ok(uint32_t v, uint64_t cap)
{
    uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);

    return (v & must1) == must1 && (v & ~may1) == 0;
}

static bool fixed_ok(uint64_t v, uint64_t fixed0, uint64_t fixed1) { return (v & fixed0) == fixed0 && (v & ~fixed1) == 0; }

/* Each byte a memory type WRMSR accepts in IA32_PAT: 0, 1, 4, 5, 6, 7 (26.2.2, 26.3.1.1). */
static bool pat_ok(uint64_t pat)
{
    for (unsigned i = 0; i < 8; i++) {
        unsigned t = (unsigned)(pat >> (8 * i)) & 0xffu;
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

/*
 * VM-exit MSR-store/load and VM-entry MSR-load areas (26.2.1.2, 26.2.1.3):
 * 16-byte aligned, first and last byte inside the physical-address width,
 * 32 bits if IA32_VMX_BASIC[48] (pure/msr_list.c).
 */
static bool msr_area_ok(const struct chk *c, uint64_t addr, uint32_t count)
{
    return msr_list_area_ok(addr, count, (c->caps->basic & VMX_BASIC_ADDR32) ? 32 : c->maxphy);
}

/* Does the hardware exception with this vector push an error code? (#DF #TS #NP #SS #GP #PF #AC) */
static bool vector_has_error_code(unsigned v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

/* ---- 26.1: basic VM-entry checks that end in VMfailValid ---- */

static struct vmcs12_check_result result(enum vmcs12_check_kind kind, unsigned error, unsigned reason,
                                         uint64_t qual, const char *why)
{
    struct vmcs12_check_result r;

    r.kind = kind;
    r.error = error;
    r.exit_reason = reason;
    r.qualification = qual;
    r.why = why;
    return r;
}

static struct vmcs12_check_result vmfail(unsigned error, const char *why)
{
    return result(CHECK_VMFAIL, error, 0, 0, why);
}

static struct vmcs12_check_result entry_fail(unsigned basic_reason, uint64_t qual, const char *why)
{
    return result(CHECK_ENTRY_FAIL, 0, EXIT_REASON_FAILED_ENTRY | basic_reason, qual, why);
}

/* ---- 26.2.1.1: VM-execution control fields (error 7) ---- */

static const char *check_eptp(const struct chk *c, uint64_t eptp)
{
    uint64_t cap = c->caps->ept_vpid, mt = eptp & EPTP_MT_MASK, walk = eptp & EPTP_WALK_MASK;

    if (!((mt == EPTP_UC && (cap & EPTCAP_UC)) || (mt == EPTP_WB && (cap & EPTCAP_WB))))
        return "26.2.1.1 EPTP memory type not supported (EPT_VPID_CAP bits 8, 14)";
    if (!((walk == EPTP_WALK4 && (cap & EPTCAP_WALK4)) || (walk == EPTP_WALK5 && (cap & EPTCAP_WALK5))))
        return "26.2.1.1 EPTP page-walk length not supported (EPT_VPID_CAP bits 6, 7)";
    if ((eptp & EPTP_AD) && !(cap & EPTCAP_AD))
        return "26.2.1.1 EPTP A/D enable without EPT_VPID_CAP bit 21";
    if (eptp & 0xf80u)
        return "26.2.1.1 EPTP reserved bits 11:7";
    if (!fits(eptp, c->maxphy))
        return "26.2.1.1 EPTP beyond MAXPHYADDR";
    return NULL;
}

static const char *check_exec_controls(const struct chk *c)
{
    const struct vmcs12_caps *caps = c->caps;
    bool tpr_shadow = c->proc & PROC_USE_TPR_SHADOW;
    bool ept = c->sec & SEC_ENABLE_EPT;

    if (!ctls_ok(c->pin, caps->pinbased))
        return "26.2.1.1 pin-based controls: reserved bits set wrong";
    if (!ctls_ok(c->proc, caps->procbased))
        return "26.2.1.1 primary processor-based controls: reserved bits set wrong";
    if ((c->proc & PROC_ACTIVATE_SECONDARY) && !ctls_ok(c->sec, caps->procbased2))
        return "26.2.1.1 secondary processor-based controls: reserved bits set wrong";
    {
        unsigned max = VMX_MISC_CR3_TARGETS(caps->misc);
        if (max > 4)
            max = 4; /* the VMCS has four CR3-target fields */
        if (rd32(c, VMCS_CR3_TARGET_COUNT) > max)
            return "26.2.1.1 CR3-target count above 4 (IA32_VMX_MISC[24:16])";
    }
    if (c->proc & PROC_USE_IO_BITMAPS) {
        if (!page_addr_ok(c, rd(c, VMCS_IO_BITMAP_A)))
            return "26.2.1.1 I/O bitmap A address not 4K-aligned or beyond MAXPHYADDR";
        if (!page_addr_ok(c, rd(c, VMCS_IO_BITMAP_B)))
            return "26.2.1.1 I/O bitmap B address not 4K-aligned or beyond MAXPHYADDR";
    }
    if ((c->proc & PROC_USE_MSR_BITMAPS) && !page_addr_ok(c, rd(c, VMCS_MSR_BITMAP)))
        return "26.2.1.1 MSR bitmap address not 4K-aligned or beyond MAXPHYADDR";
    if (tpr_shadow) {
        uint64_t vapic = rd(c, VMCS_VIRTUAL_APIC_ADDR);
        if (!page_addr_ok(c, vapic))
            return "26.2.1.1 virtual-APIC address not 4K-aligned or beyond MAXPHYADDR";
        if (!(c->sec & SEC_VIRT_INTR_DELIVERY)) {
            uint32_t thr = rd32(c, VMCS_TPR_THRESHOLD);
            if (thr & ~0xfu)
                return "26.2.1.1 TPR threshold bits 31:4 not 0";
            if (!(c->sec & SEC_VIRT_APIC_ACCESS)) {
                uint8_t vtpr;
                rd_mem(c, vapic + 0x80u, &vtpr, 1);
                if (thr > (unsigned)(vtpr >> 4))
                    return "26.2.1.1 TPR threshold above VTPR[7:4] (virtual-APIC page byte 80H)";
            }
        }
    }
    if ((c->pin & PIN_VIRTUAL_NMIS) && !(c->pin & PIN_NMI_EXITING))
        return "26.2.1.1 virtual NMIs without NMI exiting";
    if (!(c->pin & PIN_VIRTUAL_NMIS) && (c->proc & PROC_NMI_WINDOW))
        return "26.2.1.1 NMI-window exiting without virtual NMIs";
    if ((c->sec & SEC_VIRT_APIC_ACCESS) && !page_addr_ok(c, rd(c, VMCS_APIC_ACCESS_ADDR)))
        return "26.2.1.1 APIC-access address not 4K-aligned or beyond MAXPHYADDR";
    if (!tpr_shadow && (c->sec & (SEC_VIRT_X2APIC | SEC_APIC_REGISTER_VIRT | SEC_VIRT_INTR_DELIVERY)))
        return "26.2.1.1 x2APIC/APIC-register virtualization or virtual-interrupt delivery without TPR shadow";
    if ((c->sec & SEC_VIRT_X2APIC) && (c->sec & SEC_VIRT_APIC_ACCESS))
        return "26.2.1.1 virtualize x2APIC mode with virtualize APIC accesses";
    if ((c->sec & SEC_VIRT_INTR_DELIVERY) && !(c->pin & PIN_EXT_INTR_EXITING))
        return "26.2.1.1 virtual-interrupt delivery without external-interrupt exiting";
    if (c->pin & PIN_POSTED_INTR) {
        uint64_t desc = rd(c, VMCS_POSTED_INTR_DESC_ADDR);
        if (!(c->sec & SEC_VIRT_INTR_DELIVERY))
            return "26.2.1.1 posted interrupts without virtual-interrupt delivery";
        if (!(c->exit & EXIT_ACK_INTR))
            return "26.2.1.1 posted interrupts without acknowledge interrupt on exit";
        if (rd(c, VMCS_POSTED_INTR_NV) & 0xff00u)
            return "26.2.1.1 posted-interrupt notification vector bits 15:8 not 0";
        if ((desc & 0x3fu) != 0 || !fits(desc, c->maxphy))
            return "26.2.1.1 posted-interrupt descriptor not 64-byte aligned or beyond MAXPHYADDR";
    }
    if ((c->sec & SEC_ENABLE_VPID) && rd(c, VMCS_VPID) == 0)
        return "26.2.1.1 enable VPID with VPID 0";
    if (ept) {
        const char *why = check_eptp(c, rd(c, VMCS_EPT_POINTER));
        if (why)
            return why;
    }
    if (c->sec & SEC_ENABLE_PML) {
        if (!ept)
            return "26.2.1.1 enable PML without enable EPT";
        if (!page_addr_ok(c, rd(c, VMCS_PML_ADDR)))
            return "26.2.1.1 PML address not 4K-aligned or beyond MAXPHYADDR";
    }
    if ((c->sec & SEC_UNRESTRICTED_GUEST) && !ept)
        return "26.2.1.1 unrestricted guest without enable EPT";
    if ((c->sec & SEC_MODE_BASED_EPT_EXEC) && !ept)
        return "26.2.1.1 mode-based execute control without enable EPT";
    if ((c->sec & SEC_SUBPAGE_WRITE) && !ept)
        return "26.2.1.1 sub-page write permissions without enable EPT";
    if ((c->sec & SEC_PT_USE_GPA) && !ept)
        return "26.2.1.1 Intel PT uses guest-physical addresses without enable EPT";
    if (c->sec & SEC_ENABLE_VMFUNC) {
        uint64_t vmf = rd(c, VMCS_VM_FUNCTION_CONTROLS);
        if (vmf & ~caps->vmfunc)
            return "26.2.1.1 VM-function controls: reserved bits (IA32_VMX_VMFUNC)";
        if (vmf & VMFUNC_EPTP_SWITCHING) {
            if (!ept)
                return "26.2.1.1 EPTP switching without enable EPT";
            if (!page_addr_ok(c, rd(c, VMCS_EPTP_LIST_ADDR)))
                return "26.2.1.1 EPTP-list address not 4K-aligned or beyond MAXPHYADDR";
        }
    }
    if (c->sec & SEC_VMCS_SHADOWING) {
        if (!page_addr_ok(c, rd(c, VMCS_VMREAD_BITMAP)))
            return "26.2.1.1 VMREAD-bitmap address not 4K-aligned or beyond MAXPHYADDR";
        if (!page_addr_ok(c, rd(c, VMCS_VMWRITE_BITMAP)))
            return "26.2.1.1 VMWRITE-bitmap address not 4K-aligned or beyond MAXPHYADDR";
    }
    if ((c->sec & SEC_EPT_VE) && !page_addr_ok(c, rd(c, VMCS_VE_INFO_ADDR)))
        return "26.2.1.1 #VE information address not 4K-aligned or beyond MAXPHYADDR";
    return NULL;
}

/* ---- 26.2.1.2: VM-exit control fields (error 7) ---- */

static const char *check_exit_controls(const struct chk *c)
{
    uint32_t n;

    if (!ctls_ok(c->exit, c->caps->exit))
        return "26.2.1.2 VM-exit controls: reserved bits set wrong";
    if (!(c->pin & PIN_PREEMPTION_TIMER) && (c->exit & EXIT_SAVE_PREEMPT_TIMER))
        return "26.2.1.2 save VMX-preemption timer without activate VMX-preemption timer";
    n = rd32(c, VMCS_EXIT_MSR_STORE_COUNT);
    if (n && !msr_area_ok(c, rd(c, VMCS_EXIT_MSR_STORE_ADDR), n))
        return "26.2.1.2 VM-exit MSR-store area not 16-byte aligned or beyond MAXPHYADDR";
    n = rd32(c, VMCS_EXIT_MSR_LOAD_COUNT);
    if (n && !msr_area_ok(c, rd(c, VMCS_EXIT_MSR_LOAD_ADDR), n))
        return "26.2.1.2 VM-exit MSR-load area not 16-byte aligned or beyond MAXPHYADDR";
    return NULL;
}

/* ---- 26.2.1.3: VM-entry control fields (error 7) ---- */

static const char *check_event_injection(const struct chk *c)
{
    unsigned t = c->itype, v = c->ivec;
    uint32_t mtf_allowed = (uint32_t)(c->caps->procbased >> 32) & PROC_MONITOR_TRAP_FLAG;
    bool prot = !c->urg || (rd(c, VMCS_GUEST_CR0) & X86_CR0_PE);
    bool ec = c->intr_info & INTR_INFO_DELIVER_EC;
    bool hw = t == (INTR_TYPE_HW_EXCEPTION >> 8);

    if (t == 1 || (t == 7 && !mtf_allowed))
        return "26.2.1.3 event injection: reserved interruption type (1, or 7 without MTF support)";
    if (t == (INTR_TYPE_NMI >> 8) && v != 2)
        return "26.2.1.3 event injection: NMI with vector other than 2";
    if (hw && v > 31)
        return "26.2.1.3 event injection: hardware exception with vector above 31";
    if (t == 7 && v != 0)
        return "26.2.1.3 event injection: other event with vector other than 0";
    if (c->caps->basic & VMX_BASIC_NO_ERRCODE_REQ) {
        /* IA32_VMX_BASIC[56]: any hardware exception may come with or without one */
        if (ec && !(hw && prot))
            return "26.2.1.3 event injection: error code outside a protected-mode hardware exception";
    } else if (ec != (hw && prot && vector_has_error_code(v))) {
        return "26.2.1.3 event injection: deliver-error-code does not match type, vector and CR0.PE";
    }
    if (c->intr_info & INTR_INFO_RESERVED)
        return "26.2.1.3 event injection: reserved bits 30:12";
    if (ec && (rd32(c, VMCS_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff0000u))
        return "26.2.1.3 event injection: error code bits 31:16 not 0";
    if (t == 4 || t == 5 || t == 6) {
        uint32_t len = rd32(c, VMCS_ENTRY_INSTRUCTION_LEN);
        if (len > 15 || (len == 0 && !(c->caps->misc & VMX_MISC_INJECT_ILEN0)))
            return "26.2.1.3 event injection: software event instruction length not 1..15 "
                   "(0 needs IA32_VMX_MISC[30])";
    }
    return NULL;
}

static const char *check_entry_controls(const struct chk *c)
{
    uint32_t n;

    if (!ctls_ok(c->entry, c->caps->entry))
        return "26.2.1.3 VM-entry controls: reserved bits set wrong";
    if (c->inject) {
        const char *why = check_event_injection(c);
        if (why)
            return why;
    }
    n = rd32(c, VMCS_ENTRY_MSR_LOAD_COUNT);
    if (n && !msr_area_ok(c, rd(c, VMCS_ENTRY_MSR_LOAD_ADDR), n))
        return "26.2.1.3 VM-entry MSR-load area not 16-byte aligned or beyond MAXPHYADDR";
    /* L1 is never in SMM */
    if (c->entry & ENTRY_SMM)
        return "26.2.1.3 entry to SMM outside SMM";
    if (c->entry & ENTRY_DEACT_DUAL_MONITOR)
        return "26.2.1.3 deactivate dual-monitor treatment outside SMM";
    return NULL;
}

/* ---- 26.2.2-26.2.4: host-state area (error 8) ---- */

static const char *check_host(const struct chk *c)
{
    const struct vmcs12_caps *caps = c->caps;
    /* CR0.NW and CR0.CD are never checked: VM exits leave them (26.2.2 footnote) */
    uint64_t keep = X86_CR0_NW | X86_CR0_CD;
    uint64_t cr0 = rd(c, VMCS_HOST_CR0), cr4 = rd(c, VMCS_HOST_CR4), rip = rd(c, VMCS_HOST_RIP);
    static const unsigned short sels[] = {
        VMCS_HOST_ES_SEL, VMCS_HOST_CS_SEL, VMCS_HOST_SS_SEL, VMCS_HOST_DS_SEL,
        VMCS_HOST_FS_SEL, VMCS_HOST_GS_SEL, VMCS_HOST_TR_SEL,
    };
    static const unsigned short bases[] = {
        VMCS_HOST_FS_BASE, VMCS_HOST_GS_BASE, VMCS_HOST_GDTR_BASE, VMCS_HOST_IDTR_BASE, VMCS_HOST_TR_BASE,
    };

    /* 26.2.2 control registers and MSRs */
    if (!fixed_ok(cr0, caps->cr0_fixed0 & ~keep, caps->cr0_fixed1 | keep))
        return "26.2.2 host CR0 violates IA32_VMX_CR0_FIXED0/1";
    if (!fixed_ok(cr4, caps->cr4_fixed0, caps->cr4_fixed1))
        return "26.2.2 host CR4 violates IA32_VMX_CR4_FIXED0/1";
    if (!fits(rd(c, VMCS_HOST_CR3), c->maxphy))
        return "26.2.2 host CR3 beyond MAXPHYADDR";
    if (!canonical(rd(c, VMCS_HOST_IA32_SYSENTER_ESP)))
        return "26.2.2 host IA32_SYSENTER_ESP not canonical";
    if (!canonical(rd(c, VMCS_HOST_IA32_SYSENTER_EIP)))
        return "26.2.2 host IA32_SYSENTER_EIP not canonical";
    if ((c->exit & EXIT_LOAD_PERF_GLOBAL) && (rd(c, VMCS_HOST_IA32_PERF_GLOBAL_CTRL) & ~caps->perf_global_valid))
        return "26.2.2 host IA32_PERF_GLOBAL_CTRL reserved bits";
    if ((c->exit & EXIT_LOAD_PAT) && !pat_ok(rd(c, VMCS_HOST_IA32_PAT)))
        return "26.2.2 host IA32_PAT holds an invalid memory type";
    if (c->exit & EXIT_LOAD_EFER) {
        uint64_t efer = rd(c, VMCS_HOST_IA32_EFER);
        if (efer & ~caps->efer_valid)
            return "26.2.2 host IA32_EFER reserved bits";
        if (!(efer & X86_EFER_LMA) != !c->host64 || !(efer & X86_EFER_LME) != !c->host64)
            return "26.2.2 host IA32_EFER.LMA/LME differ from host address-space size";
    }
    /* 26.2.3 segment and descriptor-table registers */
    for (unsigned i = 0; i < sizeof sels / sizeof sels[0]; i++)
        if (rd(c, sels[i]) & X86_SEL_RPL_TI)
            return "26.2.3 host selector with RPL or TI not 0";
    if (rd(c, VMCS_HOST_CS_SEL) == 0)
        return "26.2.3 host CS selector 0";
    if (rd(c, VMCS_HOST_TR_SEL) == 0)
        return "26.2.3 host TR selector 0";
    if (!c->host64 && rd(c, VMCS_HOST_SS_SEL) == 0)
        return "26.2.3 host SS selector 0 without host address-space size";
    for (unsigned i = 0; i < sizeof bases / sizeof bases[0]; i++)
        if (!canonical(rd(c, bases[i])))
            return "26.2.3 host FS/GS/GDTR/IDTR/TR base not canonical";
    /* 26.2.4 address-space size */
    if (!c->rq->l1_ia32e && c->host64)
        return "26.2.4 host address-space size set outside IA-32e mode";
    if (!c->rq->l1_ia32e && c->ia32e_guest)
        return "26.2.4 IA-32e mode guest outside IA-32e mode";
    if (c->rq->l1_ia32e && !c->host64)
        return "26.2.4 host address-space size clear in IA-32e mode";
    if (!c->host64) {
        if (c->ia32e_guest)
            return "26.2.4 IA-32e mode guest without host address-space size";
        if (cr4 & X86_CR4_PCIDE)
            return "26.2.4 host CR4.PCIDE without host address-space size";
        if (rip >> 32)
            return "26.2.4 host RIP bits 63:32 without host address-space size";
    } else {
        if (!(cr4 & X86_CR4_PAE))
            return "26.2.4 host CR4.PAE clear with host address-space size";
        if (!canonical(rip))
            return "26.2.4 host RIP not canonical";
    }
    return NULL;
}

/* ---- 26.3.1.1: guest control registers, debug registers and MSRs ---- */

static const char *check_guest_regs(const struct chk *c, uint64_t cr0, uint64_t cr4)
{
    const struct vmcs12_caps *caps = c->caps;
    /* NW and CD are never checked (VM entry does not change them); PE and PG not with unrestricted guest */
    uint64_t keep = X86_CR0_NW | X86_CR0_CD | (c->urg ? X86_CR0_PE | X86_CR0_PG : 0);
    bool pg = cr0 & X86_CR0_PG;

    if (!fixed_ok(cr0, caps->cr0_fixed0 & ~keep, caps->cr0_fixed1 | keep))
        return "26.3.1.1 guest CR0 violates IA32_VMX_CR0_FIXED0/1";
    if (pg && !(cr0 & X86_CR0_PE))
        return "26.3.1.1 guest CR0.PG without CR0.PE";
    if (!fixed_ok(cr4, caps->cr4_fixed0, caps->cr4_fixed1))
        return "26.3.1.1 guest CR4 violates IA32_VMX_CR4_FIXED0/1";
    if ((c->entry & ENTRY_LOAD_DEBUG_CTLS) && (rd(c, VMCS_GUEST_IA32_DEBUGCTL) & ~caps->debugctl_valid))
        return "26.3.1.1 guest IA32_DEBUGCTL reserved bits";
    if (c->ia32e_guest && (!pg || !(cr4 & X86_CR4_PAE)))
        return "26.3.1.1 IA-32e mode guest without CR0.PG and CR4.PAE";
    if (!c->ia32e_guest && (cr4 & X86_CR4_PCIDE))
        return "26.3.1.1 guest CR4.PCIDE outside IA-32e mode";
    if (!fits(rd(c, VMCS_GUEST_CR3), c->maxphy))
        return "26.3.1.1 guest CR3 beyond MAXPHYADDR";
    if ((c->entry & ENTRY_LOAD_DEBUG_CTLS) && (rd(c, VMCS_GUEST_DR7) >> 32))
        return "26.3.1.1 guest DR7 bits 63:32 not 0";
    if (!canonical(rd(c, VMCS_GUEST_IA32_SYSENTER_ESP)) || !canonical(rd(c, VMCS_GUEST_IA32_SYSENTER_EIP)))
        return "26.3.1.1 guest IA32_SYSENTER_ESP/EIP not canonical";
    if ((c->entry & ENTRY_LOAD_PERF_GLOBAL) &&
        (rd(c, VMCS_GUEST_IA32_PERF_GLOBAL_CTRL) & ~caps->perf_global_valid))
        return "26.3.1.1 guest IA32_PERF_GLOBAL_CTRL reserved bits";
    if ((c->entry & ENTRY_LOAD_PAT) && !pat_ok(rd(c, VMCS_GUEST_IA32_PAT)))
        return "26.3.1.1 guest IA32_PAT holds an invalid memory type";
    if (c->entry & ENTRY_LOAD_EFER) {
        uint64_t efer = rd(c, VMCS_GUEST_IA32_EFER);
        if (efer & ~caps->efer_valid)
            return "26.3.1.1 guest IA32_EFER reserved bits";
        if (!(efer & X86_EFER_LMA) != !c->ia32e_guest)
            return "26.3.1.1 guest IA32_EFER.LMA differs from IA-32e mode guest";
        if (pg && !(efer & X86_EFER_LME) != !c->ia32e_guest)
            return "26.3.1.1 guest IA32_EFER.LME differs from IA-32e mode guest with CR0.PG";
    }
    if (c->entry & ENTRY_LOAD_BNDCFGS) {
        uint64_t bnd = rd(c, VMCS_GUEST_IA32_BNDCFGS);
        if (bnd & 0xffcu)
            return "26.3.1.1 guest IA32_BNDCFGS reserved bits 11:2";
        if (!canonical(bnd & ~0xfffull))
            return "26.3.1.1 guest IA32_BNDCFGS bound-directory address not canonical";
    }
    return NULL;
}

/* ---- 26.3.1.2: guest segment registers ---- */

/* G against the limit: limit[11:0] not all ones needs G = 0, limit[31:20] not 0 needs G = 1. */
static bool granularity_ok(uint32_t limit, uint32_t ar)
{
    if ((limit & 0xfffu) != 0xfffu && (ar & AR_G))
        return false;
    if ((limit & 0xfff00000u) && !(ar & AR_G))
        return false;
    return true;
}

static const char *check_guest_segments(const struct chk *c, const struct seg *s, uint64_t cr0, bool v86)
{
    const struct seg *cs = &s[S_CS], *ss = &s[S_SS], *tr = &s[S_TR], *ldtr = &s[S_LDTR];
    static const unsigned data_segs[] = { S_DS, S_ES, S_FS, S_GS };
    unsigned cs_type = AR_TYPE(cs->ar);

    /* Selector fields */
    if (tr->sel & X86_SEL_TI)
        return "26.3.1.2 guest TR selector TI not 0";
    if (ldtr->usable && (ldtr->sel & X86_SEL_TI))
        return "26.3.1.2 guest LDTR selector TI not 0";
    if (!v86 && !c->urg && (ss->sel & X86_SEL_RPL) != (cs->sel & X86_SEL_RPL))
        return "26.3.1.2 guest SS.RPL differs from CS.RPL";

    /* Base-address fields */
    if (v86)
        for (unsigned i = S_ES; i <= S_GS; i++)
            if (s[i].base != (uint64_t)s[i].sel << 4)
                return "26.3.1.2 virtual-8086 guest segment base not selector * 16";
    if (!canonical(tr->base) || !canonical(s[S_FS].base) || !canonical(s[S_GS].base))
        return "26.3.1.2 guest TR/FS/GS base not canonical";
    if (ldtr->usable && !canonical(ldtr->base))
        return "26.3.1.2 guest LDTR base not canonical";
    if (cs->base >> 32)
        return "26.3.1.2 guest CS base bits 63:32 not 0";
    if ((ss->usable && (ss->base >> 32)) || (s[S_DS].usable && (s[S_DS].base >> 32)) ||
        (s[S_ES].usable && (s[S_ES].base >> 32)))
        return "26.3.1.2 guest SS/DS/ES base bits 63:32 not 0";

    /* Limit fields and access rights in virtual-8086 mode */
    if (v86) {
        for (unsigned i = S_ES; i <= S_GS; i++)
            if (s[i].limit != 0xffffu)
                return "26.3.1.2 virtual-8086 guest segment limit not FFFFH";
        for (unsigned i = S_ES; i <= S_GS; i++)
            if (s[i].ar != 0xf3u)
                return "26.3.1.2 virtual-8086 guest segment access rights not F3H";
    } else {
        /* Type */
        if (!(cs_type == 9 || cs_type == 11 || cs_type == 13 || cs_type == 15 || (c->urg && cs_type == 3)))
            return "26.3.1.2 guest CS type not accessed code (or 3 with unrestricted guest)";
        if (ss->usable && AR_TYPE(ss->ar) != 3 && AR_TYPE(ss->ar) != 7)
            return "26.3.1.2 guest SS type not 3 or 7";
        for (unsigned k = 0; k < 4; k++) {
            const struct seg *d = &s[data_segs[k]];
            unsigned t = AR_TYPE(d->ar);
            if (d->usable && (!(t & 1u) || ((t & 8u) && !(t & 2u))))
                return "26.3.1.2 guest DS/ES/FS/GS type not accessed, or code not readable";
        }
        /* S */
        for (unsigned i = S_ES; i <= S_GS; i++)
            if ((i == S_CS || s[i].usable) && !(s[i].ar & AR_S))
                return "26.3.1.2 guest CS/SS/DS/ES/FS/GS S (descriptor type) not 1";
        /* DPL */
        if (cs_type == 3 && AR_DPL(cs->ar) != 0)
            return "26.3.1.2 guest CS type 3 with DPL not 0";
        if ((cs_type == 9 || cs_type == 11) && AR_DPL(cs->ar) != AR_DPL(ss->ar))
            return "26.3.1.2 guest non-conforming CS DPL differs from SS DPL";
        if ((cs_type == 13 || cs_type == 15) && AR_DPL(cs->ar) > AR_DPL(ss->ar))
            return "26.3.1.2 guest conforming CS DPL above SS DPL";
        if (!c->urg && AR_DPL(ss->ar) != (ss->sel & X86_SEL_RPL))
            return "26.3.1.2 guest SS DPL differs from SS.RPL";
        if ((cs_type == 3 || !(cr0 & X86_CR0_PE)) && AR_DPL(ss->ar) != 0)
            return "26.3.1.2 guest SS DPL not 0 with CS type 3 or CR0.PE clear";
        for (unsigned k = 0; k < 4; k++) {
            const struct seg *d = &s[data_segs[k]];
            if (!c->urg && d->usable && AR_TYPE(d->ar) <= 11 && AR_DPL(d->ar) < (d->sel & X86_SEL_RPL))
                return "26.3.1.2 guest DS/ES/FS/GS DPL below RPL (data or non-conforming code)";
        }
        for (unsigned i = S_ES; i <= S_GS; i++) {
            if (i != S_CS && !s[i].usable)
                continue;
            if (!(s[i].ar & AR_P))
                return "26.3.1.2 guest CS/SS/DS/ES/FS/GS not present";
            if (s[i].ar & AR_RSVD_11_8)
                return "26.3.1.2 guest CS/SS/DS/ES/FS/GS access-rights bits 11:8 not 0";
        }
        if (c->ia32e_guest && (cs->ar & AR_L) && (cs->ar & AR_DB))
            return "26.3.1.2 guest CS.L and CS.D/B both set in IA-32e mode";
        for (unsigned i = S_ES; i <= S_GS; i++) {
            if (i != S_CS && !s[i].usable)
                continue;
            if (!granularity_ok(s[i].limit, s[i].ar))
                return "26.3.1.2 guest CS/SS/DS/ES/FS/GS G bit does not fit the limit";
            if (s[i].ar & AR_RSVD_31_17)
                return "26.3.1.2 guest CS/SS/DS/ES/FS/GS access-rights bits 31:17 not 0";
        }
    }

    /* TR */
    if (c->ia32e_guest ? AR_TYPE(tr->ar) != 11 : (AR_TYPE(tr->ar) != 3 && AR_TYPE(tr->ar) != 11))
        return "26.3.1.2 guest TR type not a busy TSS (11; or 3 outside IA-32e mode)";
    if (tr->ar & AR_S)
        return "26.3.1.2 guest TR S not 0";
    if (!(tr->ar & AR_P))
        return "26.3.1.2 guest TR not present";
    if (tr->ar & AR_RSVD_11_8)
        return "26.3.1.2 guest TR access-rights bits 11:8 not 0";
    if (!granularity_ok(tr->limit, tr->ar))
        return "26.3.1.2 guest TR G bit does not fit the limit";
    if (tr->ar & AR_UNUSABLE)
        return "26.3.1.2 guest TR unusable";
    if (tr->ar & AR_RSVD_31_17)
        return "26.3.1.2 guest TR access-rights bits 31:17 not 0";

    /* LDTR, if usable */
    if (ldtr->usable) {
        if (AR_TYPE(ldtr->ar) != 2)
            return "26.3.1.2 guest LDTR type not 2";
        if (ldtr->ar & AR_S)
            return "26.3.1.2 guest LDTR S not 0";
        if (!(ldtr->ar & AR_P))
            return "26.3.1.2 guest LDTR not present";
        if (ldtr->ar & AR_RSVD_11_8)
            return "26.3.1.2 guest LDTR access-rights bits 11:8 not 0";
        if (!granularity_ok(ldtr->limit, ldtr->ar))
            return "26.3.1.2 guest LDTR G bit does not fit the limit";
        if (ldtr->ar & AR_RSVD_31_17)
            return "26.3.1.2 guest LDTR access-rights bits 31:17 not 0";
    }
    return NULL;
}

/* ---- 26.3.1.3: GDTR and IDTR; 26.3.1.4: RIP and RFLAGS ---- */

static const char *check_guest_dt_rip_rflags(const struct chk *c, const struct seg *s, uint64_t cr0,
                                             uint64_t rflags)
{
    uint64_t rip = rd(c, VMCS_GUEST_RIP);
    bool code64 = c->ia32e_guest && (s[S_CS].ar & AR_L);

    if (!canonical(rd(c, VMCS_GUEST_GDTR_BASE)) || !canonical(rd(c, VMCS_GUEST_IDTR_BASE)))
        return "26.3.1.3 guest GDTR/IDTR base not canonical";
    if ((rd32(c, VMCS_GUEST_GDTR_LIMIT) >> 16) || (rd32(c, VMCS_GUEST_IDTR_LIMIT) >> 16))
        return "26.3.1.3 guest GDTR/IDTR limit bits 31:16 not 0";
    if (!code64 && (rip >> 32))
        return "26.3.1.4 guest RIP bits 63:32 not 0 outside 64-bit mode";
    if (code64 && !canonical(rip))
        return "26.3.1.4 guest RIP not canonical";
    if (rflags & X86_RFLAGS_RSVD)
        return "26.3.1.4 guest RFLAGS reserved bits 63:22, 15, 5, 3 not 0";
    if (!(rflags & X86_RFLAGS_FIXED1))
        return "26.3.1.4 guest RFLAGS bit 1 not 1";
    if ((rflags & X86_RFLAGS_VM) && (c->ia32e_guest || !(cr0 & X86_CR0_PE)))
        return "26.3.1.4 guest RFLAGS.VM with IA-32e mode guest or CR0.PE clear";
    if (c->inject && c->itype == (INTR_TYPE_EXT_INTR >> 8) && !(rflags & X86_RFLAGS_IF))
        return "26.3.1.4 external-interrupt injection with RFLAGS.IF clear";
    return NULL;
}

/* ---- 26.3.1.5: guest non-register state ---- */

static const char *check_guest_nonreg(const struct chk *c, const struct seg *s, uint64_t rflags, uint64_t *qual)
{
    const struct vmcs12_caps *caps = c->caps;
    uint32_t act = rd32(c, VMCS_GUEST_ACTIVITY_STATE);
    uint32_t intr = rd32(c, VMCS_GUEST_INTERRUPTIBILITY);
    uint64_t pde = rd(c, VMCS_GUEST_PENDING_DBG_EXCEPTIONS);
    uint64_t link = rd(c, VMCS_VMCS_LINK_POINTER);
    bool sti = intr & INTERRUPTIBILITY_STI, movss = intr & INTERRUPTIBILITY_MOV_SS;
    unsigned t = c->itype, v = c->ivec;
    bool nmi = c->inject && t == (INTR_TYPE_NMI >> 8);

    /* Activity state */
    if (act > ACTIVITY_WAIT_SIPI ||
        (act == ACTIVITY_HLT && !(caps->misc & VMX_MISC_ACT_HLT)) ||
        (act == ACTIVITY_SHUTDOWN && !(caps->misc & VMX_MISC_ACT_SHUTDOWN)) ||
        (act == ACTIVITY_WAIT_SIPI && !(caps->misc & VMX_MISC_ACT_WAIT_SIPI)))
        return "26.3.1.5 activity state not 0-3 or not supported (IA32_VMX_MISC[8:6])";
    if (act == ACTIVITY_HLT && AR_DPL(s[S_SS].ar) != 0)
        return "26.3.1.5 HLT activity state with SS.DPL not 0";
    if ((sti || movss) && act != ACTIVITY_ACTIVE)
        return "26.3.1.5 blocking by STI or MOV SS outside the active state";
    if (c->inject) {
        bool ok;
        switch (act) {
        case ACTIVITY_HLT:
            ok = t == 0 || t == 2 || (t == 3 && (v == 1 || v == 18)) || (t == 7 && v == 0);
            break;
        case ACTIVITY_SHUTDOWN:
            ok = t == 2 || (t == 3 && v == 18);
            break;
        case ACTIVITY_WAIT_SIPI:
            ok = false;
            break;
        default:
            ok = true;
        }
        if (!ok)
            return "26.3.1.5 injected event would be blocked in the activity state";
    }
    /* "must not be wait-for-SIPI with entry to SMM": entry to SMM already failed in 26.2.1.3 */

    /* Interruptibility state (bit 4 needs SGX, which L1 is not offered) */
    if (intr & ~(uint32_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_SMI |
                           INTERRUPTIBILITY_NMI))
        return "26.3.1.5 interruptibility state reserved bits 31:4 not 0";
    if (sti && movss)
        return "26.3.1.5 blocking by both STI and MOV SS";
    if (sti && !(rflags & X86_RFLAGS_IF))
        return "26.3.1.5 blocking by STI with RFLAGS.IF clear";
    if (c->inject && t == (INTR_TYPE_EXT_INTR >> 8) && (sti || movss))
        return "26.3.1.5 external-interrupt injection with blocking by STI or MOV SS";
    if (nmi && movss)
        return "26.3.1.5 NMI injection with blocking by MOV SS";
    if (intr & INTERRUPTIBILITY_SMI)
        return "26.3.1.5 blocking by SMI outside SMM";
    if (nmi && sti) {
        *qual = ENTRY_FAIL_QUAL_NMI_STI;
        return "26.3.1.5 NMI injection with blocking by STI (26.7 qualification 3)";
    }
    if (nmi && (c->pin & PIN_VIRTUAL_NMIS) && (intr & INTERRUPTIBILITY_NMI))
        return "26.3.1.5 NMI injection with virtual NMIs and blocking by NMI";

    /* Pending debug exceptions */
    if (pde & (caps->rtm ? PDE_RSVD : PDE_RSVD | PDE_RTM))
        return "26.3.1.5 pending debug exceptions reserved bits";
    if (sti || movss || act == ACTIVITY_HLT) {
        bool single_step = (rflags & X86_RFLAGS_TF) && !(rd(c, VMCS_GUEST_IA32_DEBUGCTL) & X86_DEBUGCTL_BTF);
        if (single_step != !!(pde & PDE_BS))
            return "26.3.1.5 pending BS does not match RFLAGS.TF and DEBUGCTL.BTF (STI/MOV SS blocking or HLT)";
    }
    if (pde & PDE_RTM) {
        if ((pde & PDE_RTM_MUST0) || !(pde & PDE_BP_ENABLED))
            return "26.3.1.5 pending RTM debug exception with other bits than bit 12";
        if (movss)
            return "26.3.1.5 pending RTM debug exception with blocking by MOV SS";
    }

    /* VMCS link pointer */
    if (link != VMCS_LINK_PTR_NONE) {
        uint8_t hdr[4];
        uint32_t rev;
        *qual = ENTRY_FAIL_QUAL_LINK_PTR;
        if ((link & 0xfffu) || !fits(link, c->maxphy))
            return "26.3.1.5 VMCS link pointer not 4K-aligned or beyond MAXPHYADDR";
        rd_mem(c, link, hdr, 4);
        rev = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
        if ((rev & ~VMCS_HDR_SHADOW) != (uint32_t)(caps->basic & VMX_BASIC_REVISION_MASK))
            return "26.3.1.5 VMCS link pointer: region has another VMCS revision identifier";
        if (!(rev & VMCS_HDR_SHADOW) != !(c->sec & SEC_VMCS_SHADOWING))
            return "26.3.1.5 VMCS link pointer: shadow-VMCS indicator differs from VMCS shadowing";
        if (link == c->rq->vmcs12_gpa)
            return "26.3.1.5 VMCS link pointer is the current-VMCS pointer";
        *qual = ENTRY_FAIL_QUAL_DEFAULT;
    }
    return NULL;
}

/* ---- 26.3.1.6: PDPTEs of a PAE-paging guest ---- */

static const char *check_guest_pdptes(const struct chk *c, uint64_t cr0, uint64_t cr4, uint64_t *qual)
{
    uint64_t pdpte[4];

    if (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE) || c->ia32e_guest)
        return NULL;
    if (c->sec & SEC_ENABLE_EPT) {
        pdpte[0] = rd(c, VMCS_GUEST_PDPTE0);
        pdpte[1] = rd(c, VMCS_GUEST_PDPTE1);
        pdpte[2] = rd(c, VMCS_GUEST_PDPTE2);
        pdpte[3] = rd(c, VMCS_GUEST_PDPTE3);
    } else {
        /* the table at CR3[31:5], in L1's physical memory (no EPT for L2) */
        uint8_t buf[32];
        rd_mem(c, rd(c, VMCS_GUEST_CR3) & 0xffffffe0u, buf, 32);
        for (unsigned i = 0; i < 4; i++)
            pdpte[i] = le64(buf + 8 * i);
    }
    for (unsigned i = 0; i < 4; i++) {
        /* what MOV to CR3 would #GP on: a present entry with bits 2:1, 8:5 or 63:MAXPHYADDR set */
        if ((pdpte[i] & PDPTE_P) && ((pdpte[i] & PDPTE_RSVD_LOW) || !fits(pdpte[i], c->maxphy))) {
            *qual = ENTRY_FAIL_QUAL_PDPTE;
            return c->sec & SEC_ENABLE_EPT ? "26.3.1.6 guest PDPTE field: reserved bits in a present entry"
                                           : "26.3.1.6 PDPTE at guest CR3: reserved bits in a present entry";
        }
    }
    return NULL;
}

static const char *check_guest(const struct chk *c, uint64_t *qual)
{
    struct seg s[S_COUNT];
    uint64_t cr0 = rd(c, VMCS_GUEST_CR0), cr4 = rd(c, VMCS_GUEST_CR4), rflags = rd(c, VMCS_GUEST_RFLAGS);
    const char *why;

    for (unsigned i = 0; i < S_COUNT; i++) {
        s[i].sel = rd32(c, seg_sel[i]);
        s[i].base = rd(c, seg_base[i]);
        s[i].limit = rd32(c, seg_limit[i]);
        s[i].ar = rd32(c, seg_ar[i]);
        s[i].usable = !(s[i].ar & AR_UNUSABLE);
    }
    *qual = ENTRY_FAIL_QUAL_DEFAULT;
    if ((why = check_guest_regs(c, cr0, cr4)) != NULL)
        return why;
    if ((why = check_guest_segments(c, s, cr0, (rflags & X86_RFLAGS_VM) != 0)) != NULL)
        return why;
    if ((why = check_guest_dt_rip_rflags(c, s, cr0, rflags)) != NULL)
        return why;
    if ((why = check_guest_nonreg(c, s, rflags, qual)) != NULL)
        return why;
    return check_guest_pdptes(c, cr0, cr4, qual);
}

/* ---- entry points ---- */

struct vmcs12_check_result vmcs12_check_entry(const struct vmcs12_entry_request *rq)
{
    struct chk c;
    const char *why;
    uint64_t qual;

    /* 26.1 item 5, in its order: MOV-SS blocking (26), then the launch state (4, 5) */
    if (rq->l1_interruptibility & INTERRUPTIBILITY_MOV_SS)
        return vmfail(VMXERR_ENTRY_EVENTS_BLOCKED_MOVSS, "26.1 VM entry with events blocked by MOV SS");
    if (!rq->vmresume && rq->launched)
        return vmfail(VMXERR_VMLAUNCH_NOT_CLEAR, "26.1 VMLAUNCH with non-clear VMCS");
    if (rq->vmresume && !rq->launched)
        return vmfail(VMXERR_VMRESUME_NOT_LAUNCHED, "26.1 VMRESUME with non-launched VMCS");

    c.rq = rq;
    c.caps = rq->caps;
    c.maxphy = rq->caps->maxphyaddr < 32 ? 32 : rq->caps->maxphyaddr > 52 ? 52 : rq->caps->maxphyaddr;
    c.pin = rd32(&c, VMCS_PIN_BASED_CONTROLS);
    c.proc = rd32(&c, VMCS_PROC_BASED_CONTROLS);
    /* 26.2.1.1: without "activate secondary controls" the CPU acts as if they were all 0 */
    c.sec = (c.proc & PROC_ACTIVATE_SECONDARY) ? rd32(&c, VMCS_SECONDARY_CONTROLS) : 0;
    c.exit = rd32(&c, VMCS_EXIT_CONTROLS);
    c.entry = rd32(&c, VMCS_ENTRY_CONTROLS);
    c.intr_info = rd32(&c, VMCS_ENTRY_INTR_INFO);
    c.inject = c.intr_info & INTR_INFO_VALID;
    c.itype = (c.intr_info & INTR_INFO_TYPE_MASK) >> 8;
    c.ivec = c.intr_info & INTR_INFO_VECTOR_MASK;
    c.ia32e_guest = c.entry & ENTRY_IA32E_MODE;
    c.host64 = c.exit & EXIT_HOST_ADDR_SPACE;
    c.urg = c.sec & SEC_UNRESTRICTED_GUEST;

    /* 26.2.1: VMfailValid(7) */
    if ((why = check_exec_controls(&c)) != NULL || (why = check_exit_controls(&c)) != NULL ||
        (why = check_entry_controls(&c)) != NULL)
        return vmfail(VMXERR_ENTRY_INVALID_CONTROLS, why);
    /* 26.2.2-26.2.4: VMfailValid(8) */
    if ((why = check_host(&c)) != NULL)
        return vmfail(VMXERR_ENTRY_INVALID_HOST_STATE, why);
    /* 26.3.1: VM-entry failure, exit reason 33 (26.7) */
    if ((why = check_guest(&c, &qual)) != NULL)
        return entry_fail(EXIT_REASON_ENTRY_FAIL_GUEST, qual, why);
    return result(CHECK_OK, 0, 0, 0, NULL);
}

bool vmcs12_eptp_valid(const struct vmcs12_caps *caps, uint64_t eptp)
{
    struct chk c;

    c.caps = caps;
    c.maxphy = caps->maxphyaddr < 32 ? 32 : caps->maxphyaddr > 52 ? 52 : caps->maxphyaddr;
    return check_eptp(&c, eptp) == NULL;
}
