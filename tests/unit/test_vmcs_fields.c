/* Host unit tests for lib/vmcs_fields.{h,c}: the VMCS field table against SDM Vol. 3 Appendix B. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lib/vmcs_fields.h"

/* The enum and the data table come from the same X-macro: same rows, same order. */
static const unsigned enum_values[] = {
#define ENUM_VALUE(name, enc, w, g, f) VMCS_##name,
    VMCS_FIELDS(ENUM_VALUE)
#undef ENUM_VALUE
};

static void test_table_matches_enum(void **st)
{
    (void)st;
    assert_int_equal(vmcs_field_count, sizeof enum_values / sizeof enum_values[0]);
    for (unsigned i = 0; i < vmcs_field_count; i++)
        assert_int_equal(vmcs_field_table[i].encoding, enum_values[i]);
}

static void test_table_sorted_unique(void **st)
{
    (void)st;
    /* vmcs_field_lookup() is a binary search: strictly ascending encodings */
    for (unsigned i = 1; i < vmcs_field_count; i++)
        assert_true(vmcs_field_table[i - 1].encoding < vmcs_field_table[i].encoding);
    for (unsigned i = 0; i < vmcs_field_count; i++)
        for (unsigned j = i + 1; j < vmcs_field_count; j++)
            assert_true(strcmp(vmcs_field_table[i].name, vmcs_field_table[j].name) != 0);
}

/* SDM Vol. 3 §25.11.2: bits 0 access type, 9:1 index, 11:10 type, 12 reserved, 14:13 width. */
static void test_rows_consistent(void **st)
{
    (void)st;
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        const struct vmcs_field_info *f = &vmcs_field_table[i];

        assert_int_equal(f->encoding & ~0x6fffu, 0);        /* bit 12 and 31:15 clear */
        assert_int_equal(f->encoding & 1, 0);               /* full access only */
        assert_int_equal(VMCS_ENC_WIDTH(f->encoding), f->width);
        assert_int_equal(VMCS_ENC_GROUP(f->encoding), f->group);
        assert_int_equal((f->flags & VF_RO) != 0, f->group == VMCS_EXIT);
        if (f->flags & VF_GPA)
            assert_int_equal(f->width, VMCS_W64);           /* addresses are 64-bit fields */
        assert_non_null(f->name);
        assert_true(strlen(f->name) > 0);
    }
}

static void test_lookup(void **st)
{
    (void)st;
    for (unsigned i = 0; i < vmcs_field_count; i++)
        assert_ptr_equal(vmcs_field_lookup(vmcs_field_table[i].encoding), &vmcs_field_table[i]);
    assert_null(vmcs_field_lookup(0xffff));
    assert_null(vmcs_field_lookup(0xffffffffu));
    assert_null(vmcs_field_lookup(0x7000));
    assert_null(vmcs_field_lookup(vmcs_field_table[0].encoding + 1));
    assert_null(vmcs_field_lookup(vmcs_field_table[vmcs_field_count - 1].encoding + 2));
}

/* A sample of SDM Appendix B, written out independently of the table. */
static void test_sdm_encodings(void **st)
{
    static const struct { const char *name; unsigned enc; } sdm[] = {
        { "VPID", 0x0000 }, { "POSTED_INTR_NV", 0x0002 }, { "EPTP_INDEX", 0x0004 },
        { "GUEST_ES_SEL", 0x0800 }, { "GUEST_TR_SEL", 0x080e },
        { "GUEST_INTR_STATUS", 0x0810 }, { "GUEST_PML_INDEX", 0x0812 },
        { "HOST_ES_SEL", 0x0c00 }, { "HOST_TR_SEL", 0x0c0c },
        { "IO_BITMAP_A", 0x2000 }, { "MSR_BITMAP", 0x2004 },
        { "EXIT_MSR_STORE_ADDR", 0x2006 }, { "ENTRY_MSR_LOAD_ADDR", 0x200a },
        { "EXECUTIVE_VMCS_PTR", 0x200c }, { "PML_ADDR", 0x200e }, { "TSC_OFFSET", 0x2010 },
        { "VIRTUAL_APIC_ADDR", 0x2012 }, { "APIC_ACCESS_ADDR", 0x2014 },
        { "POSTED_INTR_DESC_ADDR", 0x2016 }, { "VM_FUNCTION_CONTROLS", 0x2018 },
        { "EPT_POINTER", 0x201a }, { "EOI_EXIT_BITMAP3", 0x2022 },
        { "EPTP_LIST_ADDR", 0x2024 }, { "VMREAD_BITMAP", 0x2026 },
        { "VMWRITE_BITMAP", 0x2028 }, { "VE_INFO_ADDR", 0x202a },
        { "XSS_EXIT_BITMAP", 0x202c }, { "ENCLS_EXITING_BITMAP", 0x202e },
        { "TSC_MULTIPLIER", 0x2032 }, { "GUEST_PHYSICAL_ADDRESS", 0x2400 },
        { "VMCS_LINK_POINTER", 0x2800 }, { "GUEST_IA32_DEBUGCTL", 0x2802 },
        { "GUEST_IA32_PAT", 0x2804 }, { "GUEST_IA32_EFER", 0x2806 },
        { "GUEST_IA32_PERF_GLOBAL_CTRL", 0x2808 }, { "GUEST_PDPTE0", 0x280a },
        { "GUEST_PDPTE3", 0x2810 }, { "GUEST_IA32_BNDCFGS", 0x2812 },
        { "HOST_IA32_PAT", 0x2c00 }, { "HOST_IA32_EFER", 0x2c02 },
        { "HOST_IA32_PERF_GLOBAL_CTRL", 0x2c04 },
        { "PIN_BASED_CONTROLS", 0x4000 }, { "PROC_BASED_CONTROLS", 0x4002 },
        { "EXCEPTION_BITMAP", 0x4004 }, { "CR3_TARGET_COUNT", 0x400a },
        { "EXIT_CONTROLS", 0x400c }, { "ENTRY_CONTROLS", 0x4012 },
        { "ENTRY_INTR_INFO", 0x4016 }, { "ENTRY_INSTRUCTION_LEN", 0x401a },
        { "TPR_THRESHOLD", 0x401c }, { "SECONDARY_CONTROLS", 0x401e },
        { "PLE_GAP", 0x4020 }, { "PLE_WINDOW", 0x4022 },
        { "VM_INSTRUCTION_ERROR", 0x4400 }, { "EXIT_REASON", 0x4402 },
        { "EXIT_INTR_INFO", 0x4404 }, { "IDT_VECTORING_INFO", 0x4408 },
        { "EXIT_INSTRUCTION_LEN", 0x440c }, { "EXIT_INSTRUCTION_INFO", 0x440e },
        { "GUEST_ES_LIMIT", 0x4800 }, { "GUEST_IDTR_LIMIT", 0x4812 },
        { "GUEST_ES_AR", 0x4814 }, { "GUEST_TR_AR", 0x4822 },
        { "GUEST_INTERRUPTIBILITY", 0x4824 }, { "GUEST_ACTIVITY_STATE", 0x4826 },
        { "GUEST_SMBASE", 0x4828 }, { "GUEST_IA32_SYSENTER_CS", 0x482a },
        { "PREEMPTION_TIMER_VALUE", 0x482e }, { "HOST_IA32_SYSENTER_CS", 0x4c00 },
        { "CR0_GUEST_HOST_MASK", 0x6000 }, { "CR4_READ_SHADOW", 0x6006 },
        { "CR3_TARGET_VALUE3", 0x600e }, { "EXIT_QUALIFICATION", 0x6400 },
        { "IO_RIP", 0x6408 }, { "GUEST_LINEAR_ADDRESS", 0x640a },
        { "GUEST_CR0", 0x6800 }, { "GUEST_CR3", 0x6802 }, { "GUEST_CR4", 0x6804 },
        { "GUEST_GDTR_BASE", 0x6816 }, { "GUEST_DR7", 0x681a }, { "GUEST_RSP", 0x681c },
        { "GUEST_RIP", 0x681e }, { "GUEST_RFLAGS", 0x6820 },
        { "GUEST_PENDING_DBG_EXCEPTIONS", 0x6822 }, { "GUEST_IA32_SYSENTER_EIP", 0x6826 },
        { "HOST_CR0", 0x6c00 }, { "HOST_TR_BASE", 0x6c0a }, { "HOST_IDTR_BASE", 0x6c0e },
        { "HOST_RSP", 0x6c14 }, { "HOST_RIP", 0x6c16 },
    };

    (void)st;
    for (unsigned i = 0; i < sizeof sdm / sizeof sdm[0]; i++) {
        const struct vmcs_field_info *f = vmcs_field_lookup(sdm[i].enc);

        if (!f)
            fail_msg("SDM field %s (0x%04x) missing from the table", sdm[i].name, sdm[i].enc);
        assert_string_equal(f->name, sdm[i].name);
    }
    assert_int_equal(VMCS_GUEST_RIP, 0x681e);
    assert_int_equal(VMCS_EXIT_REASON, 0x4402);
}

static void test_gpa_flags(void **st)
{
    /* L1-physical addresses that VMCS12 -> VMCS02 must translate */
    static const unsigned gpa[] = {
        VMCS_IO_BITMAP_A, VMCS_IO_BITMAP_B, VMCS_MSR_BITMAP, VMCS_EXIT_MSR_STORE_ADDR,
        VMCS_EXIT_MSR_LOAD_ADDR, VMCS_ENTRY_MSR_LOAD_ADDR, VMCS_VIRTUAL_APIC_ADDR,
        VMCS_APIC_ACCESS_ADDR, VMCS_POSTED_INTR_DESC_ADDR, VMCS_EPT_POINTER,
        VMCS_EPTP_LIST_ADDR, VMCS_VMREAD_BITMAP, VMCS_VMWRITE_BITMAP, VMCS_PML_ADDR,
        VMCS_VE_INFO_ADDR, VMCS_VMCS_LINK_POINTER,
    };
    /* values that are not L1-physical addresses */
    static const unsigned not_gpa[] = {
        VMCS_TSC_OFFSET, VMCS_GUEST_PHYSICAL_ADDRESS /* an L2 gpa */, VMCS_GUEST_PDPTE0,
        VMCS_GUEST_CR3, VMCS_HOST_CR3, VMCS_GUEST_IA32_PAT, VMCS_EOI_EXIT_BITMAP0,
    };

    (void)st;
    for (unsigned i = 0; i < sizeof gpa / sizeof gpa[0]; i++)
        assert_true(vmcs_field_lookup(gpa[i])->flags & VF_GPA);
    for (unsigned i = 0; i < sizeof not_gpa / sizeof not_gpa[0]; i++)
        assert_false(vmcs_field_lookup(not_gpa[i])->flags & VF_GPA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_enum),
        cmocka_unit_test(test_table_sorted_unique),
        cmocka_unit_test(test_rows_consistent),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_sdm_encodings),
        cmocka_unit_test(test_gpa_flags),
    };

    return cmocka_run_group_tests_name("vmcs_fields", tests, NULL, NULL);
}
