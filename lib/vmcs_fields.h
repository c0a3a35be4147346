/* vmcs_fields.h - THE table of VMCS fields (SDM Vol. 3 Appendix B); everything VMCS-shaped derives from it */
#ifndef LIB_VMCS_FIELDS_H
#define LIB_VMCS_FIELDS_H

/* Width (SDM 25.11.2, encoding bits 14:13) */
#define VMCS_W16 0
#define VMCS_W64 1
#define VMCS_W32 2
#define VMCS_WNAT 3
/* Group ("type", encoding bits 11:10) */
#define VMCS_CTRL 0
#define VMCS_EXIT 1 /* VM-exit information: read-only data */
#define VMCS_GUEST 2
#define VMCS_HOST 3
/* Property flags */
#define VF_NONE 0
#define VF_GPA 1u   /* holds a guest-physical address (translated when nesting) */
#define VF_RO 2u    /* read-only data field */

/* X(name, encoding, width, group, flags) */
#define VMCS_FIELDS(X) \
    X(VPID,                       0x0000, VMCS_W16, VMCS_CTRL, VF_NONE) \
    X(POSTED_INTR_NV,             0x0002, VMCS_W16, VMCS_CTRL, VF_NONE) \
    X(EPTP_INDEX,                 0x0004, VMCS_W16, VMCS_CTRL, VF_NONE) \
    X(GUEST_ES_SEL,               0x0800, VMCS_W16, VMCS_GUEST, VF_NONE) \
    X(GUEST_CS_SEL,               0x0802, VMCS_W16, VMCS_GUEST, VF_NONE) \
    X(GUEST_SS_SEL,               0x0804, VMCS_W16, VMCS_GUEST, VF_NONE) \
    X(GUEST_DS_SEL,               0x0806, VMCS_W16, VMCS_GUEST, VF_NONE) \
    X(GUEST_FS_SEL,               0x0808, VMCS_W16, VMCS_GUEST, VF_NONE) \
    X(GUEST_GS_SEL,               0x080a, VMCS_W16, VMCS_GUEST, VF_NONE) \
    X(GUEST_LDTR_SEL,             0x080c, VMCS_W16, VMCS_GUEST, VF_NONE) \
    X(GUEST_TR_SEL,               0x080e, VMCS_W16, VMCS_GUEST, VF_NONE) \
    X(GUEST_INTR_STATUS,          0x0810, VMCS_W16, VMCS_GUEST, VF_NONE) \
    X(GUEST_PML_INDEX,            0x0812, VMCS_W16, VMCS_GUEST, VF_NONE) \
    X(HOST_ES_SEL,                0x0c00, VMCS_W16, VMCS_HOST, VF_NONE) \
    X(HOST_CS_SEL,                0x0c02, VMCS_W16, VMCS_HOST, VF_NONE) \
    X(HOST_SS_SEL,                0x0c04, VMCS_W16, VMCS_HOST, VF_NONE) \
    X(HOST_DS_SEL,                0x0c06, VMCS_W16, VMCS_HOST, VF_NONE) \
    X(HOST_FS_SEL,                0x0c08, VMCS_W16, VMCS_HOST, VF_NONE) \
    X(HOST_GS_SEL,                0x0c0a, VMCS_W16, VMCS_HOST, VF_NONE) \
    X(HOST_TR_SEL,                0x0c0c, VMCS_W16, VMCS_HOST, VF_NONE) \
    X(IO_BITMAP_A,                0x2000, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(IO_BITMAP_B,                0x2002, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(MSR_BITMAP,                 0x2004, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(EXIT_MSR_STORE_ADDR,        0x2006, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(EXIT_MSR_LOAD_ADDR,         0x2008, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(ENTRY_MSR_LOAD_ADDR,        0x200a, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(EXECUTIVE_VMCS_PTR,         0x200c, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(PML_ADDR,                   0x200e, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(TSC_OFFSET,                 0x2010, VMCS_W64, VMCS_CTRL, VF_NONE) \
    X(VIRTUAL_APIC_ADDR,          0x2012, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(APIC_ACCESS_ADDR,           0x2014, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(POSTED_INTR_DESC_ADDR,      0x2016, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(VM_FUNCTION_CONTROLS,       0x2018, VMCS_W64, VMCS_CTRL, VF_NONE) \
    X(EPT_POINTER,                0x201a, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(EOI_EXIT_BITMAP0,           0x201c, VMCS_W64, VMCS_CTRL, VF_NONE) \
    X(EOI_EXIT_BITMAP1,           0x201e, VMCS_W64, VMCS_CTRL, VF_NONE) \
    X(EOI_EXIT_BITMAP2,           0x2020, VMCS_W64, VMCS_CTRL, VF_NONE) \
    X(EOI_EXIT_BITMAP3,           0x2022, VMCS_W64, VMCS_CTRL, VF_NONE) \
    X(EPTP_LIST_ADDR,             0x2024, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(VMREAD_BITMAP,              0x2026, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(VMWRITE_BITMAP,             0x2028, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(VE_INFO_ADDR,               0x202a, VMCS_W64, VMCS_CTRL, VF_GPA) \
    X(XSS_EXIT_BITMAP,            0x202c, VMCS_W64, VMCS_CTRL, VF_NONE) \
    X(ENCLS_EXITING_BITMAP,       0x202e, VMCS_W64, VMCS_CTRL, VF_NONE) \
    X(TSC_MULTIPLIER,             0x2032, VMCS_W64, VMCS_CTRL, VF_NONE) \
    X(GUEST_PHYSICAL_ADDRESS,     0x2400, VMCS_W64, VMCS_EXIT, VF_RO) \
    X(VMCS_LINK_POINTER,          0x2800, VMCS_W64, VMCS_GUEST, VF_GPA) \
    X(GUEST_IA32_DEBUGCTL,        0x2802, VMCS_W64, VMCS_GUEST, VF_NONE) \
    X(GUEST_IA32_PAT,             0x2804, VMCS_W64, VMCS_GUEST, VF_NONE) \
    X(GUEST_IA32_EFER,            0x2806, VMCS_W64, VMCS_GUEST, VF_NONE) \
    X(GUEST_IA32_PERF_GLOBAL_CTRL,0x2808, VMCS_W64, VMCS_GUEST, VF_NONE) \
    X(GUEST_PDPTE0,               0x280a, VMCS_W64, VMCS_GUEST, VF_NONE) \
    X(GUEST_PDPTE1,               0x280c, VMCS_W64, VMCS_GUEST, VF_NONE) \
    X(GUEST_PDPTE2,               0x280e, VMCS_W64, VMCS_GUEST, VF_NONE) \
    X(GUEST_PDPTE3,               0x2810, VMCS_W64, VMCS_GUEST, VF_NONE) \
    X(GUEST_IA32_BNDCFGS,         0x2812, VMCS_W64, VMCS_GUEST, VF_NONE) \
    X(HOST_IA32_PAT,              0x2c00, VMCS_W64, VMCS_HOST, VF_NONE) \
    X(HOST_IA32_EFER,             0x2c02, VMCS_W64, VMCS_HOST, VF_NONE) \
    X(HOST_IA32_PERF_GLOBAL_CTRL, 0x2c04, VMCS_W64, VMCS_HOST, VF_NONE) \
    X(PIN_BASED_CONTROLS,         0x4000, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(PROC_BASED_CONTROLS,        0x4002, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(EXCEPTION_BITMAP,           0x4004, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(PF_ERROR_CODE_MASK,         0x4006, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(PF_ERROR_CODE_MATCH,        0x4008, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(CR3_TARGET_COUNT,           0x400a, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(EXIT_CONTROLS,              0x400c, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(EXIT_MSR_STORE_COUNT,       0x400e, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(EXIT_MSR_LOAD_COUNT,        0x4010, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(ENTRY_CONTROLS,             0x4012, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(ENTRY_MSR_LOAD_COUNT,       0x4014, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(ENTRY_INTR_INFO,            0x4016, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(ENTRY_EXCEPTION_ERROR_CODE, 0x4018, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(ENTRY_INSTRUCTION_LEN,      0x401a, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(TPR_THRESHOLD,              0x401c, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(SECONDARY_CONTROLS,         0x401e, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(PLE_GAP,                    0x4020, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(PLE_WINDOW,                 0x4022, VMCS_W32, VMCS_CTRL, VF_NONE) \
    X(VM_INSTRUCTION_ERROR,       0x4400, VMCS_W32, VMCS_EXIT, VF_RO) \
    X(EXIT_REASON,                0x4402, VMCS_W32, VMCS_EXIT, VF_RO) \
    X(EXIT_INTR_INFO,             0x4404, VMCS_W32, VMCS_EXIT, VF_RO) \
    X(EXIT_INTR_ERROR_CODE,       0x4406, VMCS_W32, VMCS_EXIT, VF_RO) \
    X(IDT_VECTORING_INFO,         0x4408, VMCS_W32, VMCS_EXIT, VF_RO) \
    X(IDT_VECTORING_ERROR_CODE,   0x440a, VMCS_W32, VMCS_EXIT, VF_RO) \
    X(EXIT_INSTRUCTION_LEN,       0x440c, VMCS_W32, VMCS_EXIT, VF_RO) \
    X(EXIT_INSTRUCTION_INFO,      0x440e, VMCS_W32, VMCS_EXIT, VF_RO) \
    X(GUEST_ES_LIMIT,             0x4800, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_CS_LIMIT,             0x4802, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_SS_LIMIT,             0x4804, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_DS_LIMIT,             0x4806, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_FS_LIMIT,             0x4808, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_GS_LIMIT,             0x480a, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_LDTR_LIMIT,           0x480c, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_TR_LIMIT,             0x480e, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_GDTR_LIMIT,           0x4810, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_IDTR_LIMIT,           0x4812, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_ES_AR,                0x4814, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_CS_AR,                0x4816, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_SS_AR,                0x4818, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_DS_AR,                0x481a, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_FS_AR,                0x481c, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_GS_AR,                0x481e, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_LDTR_AR,              0x4820, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_TR_AR,                0x4822, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_INTERRUPTIBILITY,     0x4824, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_ACTIVITY_STATE,       0x4826, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_SMBASE,               0x4828, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(GUEST_IA32_SYSENTER_CS,     0x482a, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(PREEMPTION_TIMER_VALUE,     0x482e, VMCS_W32, VMCS_GUEST, VF_NONE) \
    X(HOST_IA32_SYSENTER_CS,      0x4c00, VMCS_W32, VMCS_HOST, VF_NONE) \
    X(CR0_GUEST_HOST_MASK,        0x6000, VMCS_WNAT, VMCS_CTRL, VF_NONE) \
    X(CR4_GUEST_HOST_MASK,        0x6002, VMCS_WNAT, VMCS_CTRL, VF_NONE) \
    X(CR0_READ_SHADOW,            0x6004, VMCS_WNAT, VMCS_CTRL, VF_NONE) \
    X(CR4_READ_SHADOW,            0x6006, VMCS_WNAT, VMCS_CTRL, VF_NONE) \
    X(CR3_TARGET_VALUE0,          0x6008, VMCS_WNAT, VMCS_CTRL, VF_NONE) \
    X(CR3_TARGET_VALUE1,          0x600a, VMCS_WNAT, VMCS_CTRL, VF_NONE) \
    X(CR3_TARGET_VALUE2,          0x600c, VMCS_WNAT, VMCS_CTRL, VF_NONE) \
    X(CR3_TARGET_VALUE3,          0x600e, VMCS_WNAT, VMCS_CTRL, VF_NONE) \
    X(EXIT_QUALIFICATION,         0x6400, VMCS_WNAT, VMCS_EXIT, VF_RO) \
    X(IO_RCX,                     0x6402, VMCS_WNAT, VMCS_EXIT, VF_RO) \
    X(IO_RSI,                     0x6404, VMCS_WNAT, VMCS_EXIT, VF_RO) \
    X(IO_RDI,                     0x6406, VMCS_WNAT, VMCS_EXIT, VF_RO) \
    X(IO_RIP,                     0x6408, VMCS_WNAT, VMCS_EXIT, VF_RO) \
    X(GUEST_LINEAR_ADDRESS,       0x640a, VMCS_WNAT, VMCS_EXIT, VF_RO) \
    X(GUEST_CR0,                  0x6800, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_CR3,                  0x6802, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_CR4,                  0x6804, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_ES_BASE,              0x6806, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_CS_BASE,              0x6808, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_SS_BASE,              0x680a, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_DS_BASE,              0x680c, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_FS_BASE,              0x680e, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_GS_BASE,              0x6810, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_LDTR_BASE,            0x6812, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_TR_BASE,              0x6814, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_GDTR_BASE,            0x6816, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_IDTR_BASE,            0x6818, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_DR7,                  0x681a, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_RSP,                  0x681c, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_RIP,                  0x681e, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_RFLAGS,               0x6820, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_PENDING_DBG_EXCEPTIONS,0x6822, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_IA32_SYSENTER_ESP,    0x6824, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(GUEST_IA32_SYSENTER_EIP,    0x6826, VMCS_WNAT, VMCS_GUEST, VF_NONE) \
    X(HOST_CR0,                   0x6c00, VMCS_WNAT, VMCS_HOST, VF_NONE) \
    X(HOST_CR3,                   0x6c02, VMCS_WNAT, VMCS_HOST, VF_NONE) \
    X(HOST_CR4,                   0x6c04, VMCS_WNAT, VMCS_HOST, VF_NONE) \
    X(HOST_FS_BASE,               0x6c06, VMCS_WNAT, VMCS_HOST, VF_NONE) \
    X(HOST_GS_BASE,               0x6c08, VMCS_WNAT, VMCS_HOST, VF_NONE) \
    X(HOST_TR_BASE,               0x6c0a, VMCS_WNAT, VMCS_HOST, VF_NONE) \
    X(HOST_GDTR_BASE,             0x6c0c, VMCS_WNAT, VMCS_HOST, VF_NONE) \
    X(HOST_IDTR_BASE,             0x6c0e, VMCS_WNAT, VMCS_HOST, VF_NONE) \
    X(HOST_IA32_SYSENTER_ESP,     0x6c10, VMCS_WNAT, VMCS_HOST, VF_NONE) \
    X(HOST_IA32_SYSENTER_EIP,     0x6c12, VMCS_WNAT, VMCS_HOST, VF_NONE) \
    X(HOST_RSP,                   0x6c14, VMCS_WNAT, VMCS_HOST, VF_NONE) \
    X(HOST_RIP,                   0x6c16, VMCS_WNAT, VMCS_HOST, VF_NONE)

/* Field encodings as enum constants: VMCS_GUEST_RIP etc. */
enum vmcs_field {
#define VMCS_ENUM(name, enc, w, g, f) VMCS_##name = enc,
    VMCS_FIELDS(VMCS_ENUM)
#undef VMCS_ENUM
};

#define VMCS_ENC_WIDTH(enc) (((enc) >> 13) & 3)
#define VMCS_ENC_GROUP(enc) (((enc) >> 10) & 3)
#define VMCS_ENC_HIGH(enc) ((enc) & 1)

/* The table's width and group columns must agree with what the encoding says. */
#define VMCS_CHECK_ROW(name, enc, w, g, f)                                        \
    _Static_assert(VMCS_ENC_WIDTH(enc) == (w) && VMCS_ENC_GROUP(enc) == (g) &&   \
                   !VMCS_ENC_HIGH(enc) && (((f) & VF_RO) != 0) == ((g) == VMCS_EXIT), \
                   "VMCS table row " #name " disagrees with its encoding");
VMCS_FIELDS(VMCS_CHECK_ROW)
#undef VMCS_CHECK_ROW

struct vmcs_field_info {
    const char *name;
    unsigned short encoding;
    unsigned char width, group, flags;
};
extern const struct vmcs_field_info vmcs_field_table[];
extern const unsigned vmcs_field_count;
/* Row for an encoding, or NULL (binary search; the table is sorted by encoding). */
const struct vmcs_field_info *vmcs_field_lookup(unsigned encoding);

#endif
