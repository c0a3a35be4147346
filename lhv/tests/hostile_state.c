/* hostile_state.c - bad host state (VMfailValid 8, SDM 26.2.2-26.2.4) and bad guest state (VM-entry failure, reason 33, SDM 26.3.1, 26.7) */
#include "hostile.h"

#define NONCANON 0x8000000000000000ull

/* ---- host state: one field changed (SDM 26.2.2 control registers and MSRs, 26.2.3
 * selectors and bases, 26.2.4 address-space size) ---- */
static const struct hx_row host_rows[] = {
    { "host-cr0-pe-clear", VMCS_HOST_CR0, HX_CLEAR, CR0_PE },
    { "host-cr0-pg-clear", VMCS_HOST_CR0, HX_CLEAR, CR0_PG },
    { "host-cr0-ne-clear", VMCS_HOST_CR0, HX_CLEAR, CR0_NE },
    { "host-cr0-reserved-bit28", VMCS_HOST_CR0, HX_OR, 1ull << 28 },
    { "host-cr4-vmxe-clear", VMCS_HOST_CR4, HX_CLEAR, CR4_VMXE },
    { "host-cs-selector-0", VMCS_HOST_CS_SEL, HX_SET, 0 },
    { "host-tr-selector-0", VMCS_HOST_TR_SEL, HX_SET, 0 },
    { "host-ss-selector-rpl3", VMCS_HOST_SS_SEL, HX_OR, 3 },
    { "host-ds-selector-ti", VMCS_HOST_DS_SEL, HX_OR, 4 },
    { "host-es-selector-rpl1", VMCS_HOST_ES_SEL, HX_OR, 1 },
    { "host-fs-selector-ti", VMCS_HOST_FS_SEL, HX_OR, 4 },
    { "host-gs-selector-rpl2", VMCS_HOST_GS_SEL, HX_OR, 2 },
    { "host-tr-selector-ti", VMCS_HOST_TR_SEL, HX_OR, 4 },
    { "host-cs-selector-rpl3", VMCS_HOST_CS_SEL, HX_OR, 3 },
};

/* amd64 only: natural-width fields wide enough to be non-canonical (26.2.3, 26.2.4) */
static const struct hx_row host_rows64[] = {
    { "host-fs-base-noncanonical", VMCS_HOST_FS_BASE, HX_SET, NONCANON },
    { "host-gs-base-noncanonical", VMCS_HOST_GS_BASE, HX_SET, NONCANON },
    { "host-gdtr-base-noncanonical", VMCS_HOST_GDTR_BASE, HX_SET, NONCANON },
    { "host-idtr-base-noncanonical", VMCS_HOST_IDTR_BASE, HX_SET, NONCANON },
    { "host-tr-base-noncanonical", VMCS_HOST_TR_BASE, HX_SET, NONCANON },
    { "host-rip-noncanonical", VMCS_HOST_RIP, HX_SET, NONCANON },
    { "host-sysenter-esp-noncanonical", VMCS_HOST_IA32_SYSENTER_ESP, HX_SET, NONCANON },
    { "host-sysenter-eip-noncanonical", VMCS_HOST_IA32_SYSENTER_EIP, HX_SET, NONCANON },
    { "host-cr3-beyond-maxphyaddr", VMCS_HOST_CR3, HX_OR, 1ull << 52 },
    { "host-cr4-pae-clear", VMCS_HOST_CR4, HX_CLEAR, CR4_PAE },
    { "host-addr-space-size-clear", VMCS_EXIT_CONTROLS, HX_CLEAR, EXIT_HOST_ADDR_SPACE },
    { "host-ss-selector-0", VMCS_HOST_SS_SEL, HX_SET, 0 },  /* allowed with host address-space size */
};

/* i386 only: a 32-bit L1 is outside IA-32e mode (26.2.4) */
static const struct hx_row host_rows32[] = {
    { "host-addr-space-size-set", VMCS_EXIT_CONTROLS, HX_OR, EXIT_HOST_ADDR_SPACE },
    { "host-ss-selector-0", VMCS_HOST_SS_SEL, HX_SET, 0 },  /* refused without host address-space size */
    { "ia32e-guest-outside-ia32e", VMCS_ENTRY_CONTROLS, HX_OR, ENTRY_IA32E_MODE },
};

static void mut_host_cr4_reserved(struct cpu *c, uintptr_t arg)
{
    (void)c; (void)arg;
    /* the lowest CR4 bit IA32_VMX_CR4_FIXED1 forbids */
    u64 bad = ~caps.cr4_fixed1 & 0xffffffffull;
    hx_field_apply(VMCS_HOST_CR4, HX_OR, bad & -bad);
}

static void mut_host_efer(struct cpu *c, uintptr_t which)
{
    (void)c;
    hx_field_apply(VMCS_EXIT_CONTROLS, HX_OR, EXIT_LOAD_EFER);
    u64 e = rdmsr(MSR_IA32_EFER);
    vmcs_write_any(VMCS_HOST_IA32_EFER, which == 0 ? e | BIT(3) /* reserved */ : e ^ EFER_LMA);
}

static void mut_host_pat(struct cpu *c, uintptr_t arg)
{
    (void)c; (void)arg;
    hx_field_apply(VMCS_EXIT_CONTROLS, HX_OR, EXIT_LOAD_PAT);
    vmcs_write_any(VMCS_HOST_IA32_PAT, 0x0007040600070402ull);   /* type 2: reserved (SDM 12.12.2) */
}

static void host_state(struct cpu *c)
{
    hx_run_rows(c, host_rows, ARRAY_SIZE(host_rows));
    hx_launch(c, "host-cr4-reserved-bit", mut_host_cr4_reserved, 0);
    if (hx_amd64()) {
        hx_run_rows(c, host_rows64, ARRAY_SIZE(host_rows64));
        for (unsigned i = 0; i < ARRAY_SIZE(host_rows32); i++) hx_outcome(c, host_rows32[i].name, "n/a (amd64)");
    } else {
        for (unsigned i = 0; i < ARRAY_SIZE(host_rows64); i++) hx_outcome(c, host_rows64[i].name, "n/a (i386)");
        hx_run_rows(c, host_rows32, ARRAY_SIZE(host_rows32));
    }
    if (has_exit(EXIT_LOAD_EFER)) {
        hx_launch(c, "host-efer-reserved-bit", mut_host_efer, 0);
        hx_launch(c, "host-efer-lma-mismatch", mut_host_efer, 1);
    } else {
        hx_outcome(c, "host-efer-reserved-bit", "n/a");
        hx_outcome(c, "host-efer-lma-mismatch", "n/a");
    }
    if (has_exit(EXIT_LOAD_PAT)) hx_launch(c, "host-pat-reserved-type", mut_host_pat, 0);
    else hx_outcome(c, "host-pat-reserved-type", "n/a");
}

/* ---- guest state (SDM 26.3.1.1 registers, 26.3.1.2 segments, 26.3.1.3 descriptor
 * tables, 26.3.1.4 RIP/RFLAGS, 26.3.1.5 non-register state): exit reason 33 ---- */
#define AR_P_ BIT(7)
static const struct hx_row guest_rows[] = {
    { "guest-cr0-pe-clear", VMCS_GUEST_CR0, HX_CLEAR, CR0_PE },
    { "guest-cr0-pg-clear", VMCS_GUEST_CR0, HX_CLEAR, CR0_PG },
    { "guest-cr0-ne-clear", VMCS_GUEST_CR0, HX_CLEAR, CR0_NE },
    { "guest-cr0-reserved-bit28", VMCS_GUEST_CR0, HX_OR, 1ull << 28 },
    { "guest-cr4-vmxe-clear", VMCS_GUEST_CR4, HX_CLEAR, CR4_VMXE },
    { "guest-debugctl-reserved-bit2", VMCS_GUEST_IA32_DEBUGCTL, HX_OR, BIT(2) },
    { "guest-debugctl-reserved-bit63", VMCS_GUEST_IA32_DEBUGCTL, HX_OR, 1ull << 63 },
    { "guest-cs-type-data", VMCS_GUEST_CS_AR, HX_XOR, 0x8 },     /* code -> data: 0x9b -> 0x93 */
    { "guest-cs-not-present", VMCS_GUEST_CS_AR, HX_CLEAR, AR_P_ },
    { "guest-cs-ar-bits11-8", VMCS_GUEST_CS_AR, HX_OR, 0x100 },
    { "guest-cs-ar-bit17", VMCS_GUEST_CS_AR, HX_OR, 1u << 17 },
    { "guest-cs-s-clear", VMCS_GUEST_CS_AR, HX_CLEAR, 0x10 },
    { "guest-cs-unusable", VMCS_GUEST_CS_AR, HX_OR, 1u << 16 },
    { "guest-cs-g-limit-mismatch", VMCS_GUEST_CS_LIMIT, HX_SET, 0xfffff },
    { "guest-ss-rpl3", VMCS_GUEST_SS_SEL, HX_OR, 3 },
    { "guest-ss-type-code", VMCS_GUEST_SS_AR, HX_OR, 0x8 },
    { "guest-ss-dpl3", VMCS_GUEST_SS_AR, HX_OR, 3u << 5 },
    { "guest-ds-type-not-accessed", VMCS_GUEST_DS_AR, HX_CLEAR, 1 },
    { "guest-ds-unusable", VMCS_GUEST_DS_AR, HX_OR, 1u << 16 },
    { "guest-es-not-present", VMCS_GUEST_ES_AR, HX_CLEAR, AR_P_ },
    { "guest-fs-code-not-readable", VMCS_GUEST_FS_AR, HX_SET, 0xc099 },
    { "guest-gs-dpl-below-rpl", VMCS_GUEST_GS_SEL, HX_OR, 3 },
    { "guest-tr-ti", VMCS_GUEST_TR_SEL, HX_OR, 4 },
    { "guest-tr-unusable", VMCS_GUEST_TR_AR, HX_OR, 1u << 16 },
    { "guest-tr-type-3", VMCS_GUEST_TR_AR, HX_CLEAR, 0x8 },     /* busy 32/64-bit TSS 11 -> 3 */
    { "guest-tr-s-set", VMCS_GUEST_TR_AR, HX_OR, 0x10 },
    { "guest-tr-not-present", VMCS_GUEST_TR_AR, HX_CLEAR, AR_P_ },
    { "guest-ldtr-usable-type-0", VMCS_GUEST_LDTR_AR, HX_SET, 0x80 },
    { "guest-ldtr-usable-good", VMCS_GUEST_LDTR_AR, HX_SET, 0x82 },
    { "guest-gdtr-limit-bit16", VMCS_GUEST_GDTR_LIMIT, HX_OR, 1u << 16 },
    { "guest-idtr-limit-bit20", VMCS_GUEST_IDTR_LIMIT, HX_OR, 1u << 20 },
    { "guest-rflags-bit1-clear", VMCS_GUEST_RFLAGS, HX_SET, 0 },
    { "guest-rflags-bit15", VMCS_GUEST_RFLAGS, HX_SET, 0x8002 },
    { "guest-rflags-bit3", VMCS_GUEST_RFLAGS, HX_SET, 0x000a },
    { "guest-rflags-bit21-id", VMCS_GUEST_RFLAGS, HX_SET, 0x200002 },
    { "guest-activity-state-4", VMCS_GUEST_ACTIVITY_STATE, HX_SET, 4 },
    { "guest-activity-state-ffff", VMCS_GUEST_ACTIVITY_STATE, HX_SET, 0xffff },
    { "guest-intr-sti-and-movss", VMCS_GUEST_INTERRUPTIBILITY, HX_SET, 3 },
    { "guest-intr-sti-if-clear", VMCS_GUEST_INTERRUPTIBILITY, HX_SET, 1 },
    { "guest-intr-smi-blocking", VMCS_GUEST_INTERRUPTIBILITY, HX_SET, 4 },
    { "guest-intr-reserved-bit5", VMCS_GUEST_INTERRUPTIBILITY, HX_SET, 0x20 },
    { "guest-intr-nmi-blocking", VMCS_GUEST_INTERRUPTIBILITY, HX_SET, 8 },   /* valid */
    { "guest-pending-dbg-reserved-bit4", VMCS_GUEST_PENDING_DBG_EXCEPTIONS, HX_SET, 0x10 },
    { "guest-pending-dbg-reserved-bit13", VMCS_GUEST_PENDING_DBG_EXCEPTIONS, HX_SET, 0x2000 },
    { "guest-link-pointer-misaligned", VMCS_VMCS_LINK_POINTER, HX_SET, 0x1000800 },
    { "guest-link-pointer-beyond-maxphyaddr", VMCS_VMCS_LINK_POINTER, HX_SET, 1ull << 52 },
    { "guest-sysenter-cs-any", VMCS_GUEST_IA32_SYSENTER_CS, HX_SET, 0x1234 }, /* not checked: runs */
};

static const struct hx_row guest_rows64[] = {
    { "guest-cr3-beyond-maxphyaddr", VMCS_GUEST_CR3, HX_OR, 1ull << 52 },
    { "guest-cr4-pae-clear-ia32e", VMCS_GUEST_CR4, HX_CLEAR, CR4_PAE },
    { "guest-efer-lma-clear", VMCS_GUEST_IA32_EFER, HX_CLEAR, EFER_LMA },
    { "guest-efer-lme-clear", VMCS_GUEST_IA32_EFER, HX_CLEAR, EFER_LME },
    { "guest-efer-reserved-bit3", VMCS_GUEST_IA32_EFER, HX_OR, BIT(3) },
    { "guest-cs-l-and-db", VMCS_GUEST_CS_AR, HX_OR, 1u << 14 },
    { "guest-fs-base-noncanonical", VMCS_GUEST_FS_BASE, HX_SET, NONCANON },
    { "guest-tr-base-noncanonical", VMCS_GUEST_TR_BASE, HX_SET, NONCANON },
    { "guest-cs-base-bit32", VMCS_GUEST_CS_BASE, HX_SET, 1ull << 32 },
    { "guest-gdtr-base-noncanonical", VMCS_GUEST_GDTR_BASE, HX_SET, NONCANON },
    { "guest-idtr-base-noncanonical", VMCS_GUEST_IDTR_BASE, HX_SET, NONCANON },
    { "guest-rflags-bit32", VMCS_GUEST_RFLAGS, HX_SET, (1ull << 32) | 2 },
    { "guest-rflags-vm-ia32e", VMCS_GUEST_RFLAGS, HX_SET, (1ull << 17) | 2 },
    { "guest-sysenter-esp-noncanonical", VMCS_GUEST_IA32_SYSENTER_ESP, HX_SET, NONCANON },
    { "guest-dr7-bit32", VMCS_GUEST_DR7, HX_OR, 1ull << 32 },
};

/* SDM 26.3.1.4: in 64-bit mode RIP must be canonical; Bochs 2.7 enters and faults (a
 * triple-fault exit): OPT_HOSTILE_SDM only */
static const struct hx_row rip_noncanonical = { "guest-rip-noncanonical", VMCS_GUEST_RIP, HX_SET, NONCANON };

static const struct hx_row guest_rows32[] = {
    { "guest-cr4-pcide-outside-ia32e", VMCS_GUEST_CR4, HX_OR, BIT(17) },
    { "guest-rflags-vm-protected", VMCS_GUEST_RFLAGS, HX_SET, (1ull << 17) | 2 },
    { "guest-cs-ar-l-bit-legacy", VMCS_GUEST_CS_AR, HX_OR, 1u << 13 },   /* L ignored outside IA-32e: runs */
};

static void mut_sti_hlt(struct cpu *c, uintptr_t arg)
{
    (void)c; (void)arg;
    vmcs_write_any(VMCS_GUEST_RFLAGS, 0x202);
    vmcs_write_any(VMCS_GUEST_INTERRUPTIBILITY, 1);
    vmcs_write_any(VMCS_GUEST_ACTIVITY_STATE, 1);
}

static void mut_sti_bs(struct cpu *c, uintptr_t arg)
{
    (void)c;
    /* blocking by STI: pending BS must equal RFLAGS.TF (with DEBUGCTL.BTF 0) (26.3.1.5) */
    vmcs_write_any(VMCS_GUEST_RFLAGS, 0x202);
    vmcs_write_any(VMCS_GUEST_INTERRUPTIBILITY, 1);
    vmcs_write_any(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, arg ? 0 : BIT(14));
    if (arg) vmcs_write_any(VMCS_GUEST_RFLAGS, 0x302);   /* TF set, BS clear */
}

static void mut_nmi_sti(struct cpu *c, uintptr_t arg)
{
    (void)c; (void)arg;
    /* NMI injection with blocking by STI: may fail, qualification 3 (26.3.1.5, 26.7) */
    vmcs_write_any(VMCS_GUEST_RFLAGS, 0x202);
    vmcs_write_any(VMCS_GUEST_INTERRUPTIBILITY, 1);
    vmcs_write_any(VMCS_GUEST_IDTR_LIMIT, 0);
    vmcs_write_any(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
}

static void mut_link(struct cpu *c, uintptr_t arg)
{
    /* a link pointer to a 4 KiB page with the wrong revision, or to the current VMCS */
    u32 *pg = (u32 *)hx_scratch;
    pg[0] = hx_revision() ^ 0x20;
    vmcs_write_any(VMCS_VMCS_LINK_POINTER, arg ? c->vcpu.vmcs_pa : va_to_pa(pg));
}

static void mut_pdpte(struct cpu *c, uintptr_t arg)
{
    (void)c;
    /* a PAE (not IA-32e) guest whose PDPTE field has a present entry with reserved bits
     * (26.3.1.6: with EPT the PDPTE fields are checked; qualification 2) */
    u64 *pdpt = (u64 *)hx_scratch;
    for (unsigned i = 0; i < 4; i++) pdpt[i] = 0;
    pdpt[arg & 3] = 1 | (arg & 4 ? 1ull << 52 : BIT(1));
    if (hx_amd64()) {
        hx_field_apply(VMCS_ENTRY_CONTROLS, HX_CLEAR, ENTRY_IA32E_MODE);
        hx_field_apply(VMCS_GUEST_IA32_EFER, HX_CLEAR, EFER_LMA | EFER_LME);
        hx_field_apply(VMCS_GUEST_CS_AR, HX_CLEAR, 1u << 13);
        hx_field_apply(VMCS_GUEST_CS_AR, HX_OR, 1u << 14);
    }
    hx_field_apply(VMCS_GUEST_CR4, HX_OR, CR4_PAE);
    vmcs_write_any(VMCS_GUEST_CR3, va_to_pa(pdpt));
    for (unsigned i = 0; i < 4; i++) vmcs_write_any(VMCS_GUEST_PDPTE0 + 2 * i, pdpt[i]);
}

static void guest_state(struct cpu *c)
{
    hx_run_rows(c, guest_rows, ARRAY_SIZE(guest_rows));
    if (hx_amd64()) {
        hx_run_rows(c, guest_rows64, ARRAY_SIZE(guest_rows64));
        if (hx_sdm_only()) hx_run_rows(c, &rip_noncanonical, 1);
        for (unsigned i = 0; i < ARRAY_SIZE(guest_rows32); i++) hx_outcome(c, guest_rows32[i].name, "n/a (amd64)");
    } else {
        for (unsigned i = 0; i < ARRAY_SIZE(guest_rows64); i++) hx_outcome(c, guest_rows64[i].name, "n/a (i386)");
        hx_run_rows(c, guest_rows32, ARRAY_SIZE(guest_rows32));
    }
    hx_launch(c, "guest-sti-blocking-in-hlt", mut_sti_hlt, 0);
    /* SDM 26.3.1.5 pending BS vs TF, and 26.7/26.8 qualification 3 for an NMI injected
     * under STI blocking: Bochs 2.7 enters (then triple-faults) and reports qualification
     * 0: OPT_HOSTILE_SDM only */
    if (hx_sdm_only()) {
        hx_launch(c, "guest-sti-blocking-bs-without-tf", mut_sti_bs, 0);
        hx_launch(c, "guest-sti-blocking-tf-without-bs", mut_sti_bs, 1);
        if (has_pin(PIN_NMI_EXITING)) hx_launch(c, "guest-inject-nmi-with-sti-blocking", mut_nmi_sti, 0);
        else hx_outcome(c, "guest-inject-nmi-with-sti-blocking", "n/a");
    }
    hx_launch(c, "guest-link-pointer-bad-revision", mut_link, 0);
    hx_launch(c, "guest-link-pointer-current-vmcs", mut_link, 1);
    if (has_ept()) {
        hx_launch(c, "guest-pae-pdpte0-reserved-bit1", mut_pdpte, 0);
        hx_launch(c, "guest-pae-pdpte3-reserved-bit1", mut_pdpte, 3);
        hx_launch(c, "guest-pae-pdpte1-beyond-maxphyaddr", mut_pdpte, 4 | 1);
    } else {
        hx_outcome(c, "guest-pae-pdpte0-reserved-bit1", "n/a");
        hx_outcome(c, "guest-pae-pdpte3-reserved-bit1", "n/a");
        hx_outcome(c, "guest-pae-pdpte1-beyond-maxphyaddr", "n/a");
    }
}

void hostile_state(struct cpu *c)
{
    host_state(c);
    guest_state(c);
}
