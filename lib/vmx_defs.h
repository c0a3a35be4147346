/* vmx_defs.h - VMX architectural constants (SDM Vol. 3 ch. 25-28, App. C); no logic */
#ifndef LIB_VMX_DEFS_H
#define LIB_VMX_DEFS_H

/* Pin-based controls (SDM 25.6.1) */
#define PIN_EXT_INTR_EXITING     (1u << 0)
#define PIN_NMI_EXITING          (1u << 3)
#define PIN_VIRTUAL_NMIS         (1u << 5)
#define PIN_PREEMPTION_TIMER     (1u << 6)
/* Primary processor-based controls (SDM 25.6.2) */
#define PROC_INTR_WINDOW         (1u << 2)
#define PROC_USE_TSC_OFFSET      (1u << 3)
#define PROC_HLT_EXITING         (1u << 7)
#define PROC_INVLPG_EXITING      (1u << 9)
#define PROC_CR3_LOAD_EXITING    (1u << 15)
#define PROC_CR3_STORE_EXITING   (1u << 16)
#define PROC_NMI_WINDOW          (1u << 22)
#define PROC_UNCOND_IO_EXITING   (1u << 24)
#define PROC_USE_IO_BITMAPS      (1u << 25)
#define PROC_MONITOR_TRAP_FLAG   (1u << 27)
#define PROC_USE_MSR_BITMAPS     (1u << 28)
#define PROC_ACTIVATE_SECONDARY  (1u << 31)
/* Secondary processor-based controls */
#define SEC_VIRT_APIC_ACCESS     (1u << 0)
#define SEC_ENABLE_EPT           (1u << 1)
#define SEC_DESC_TABLE_EXITING   (1u << 2)
#define SEC_ENABLE_RDTSCP        (1u << 3)
#define SEC_VIRT_X2APIC          (1u << 4)
#define SEC_ENABLE_VPID          (1u << 5)
#define SEC_WBINVD_EXITING       (1u << 6)
#define SEC_UNRESTRICTED_GUEST   (1u << 7)
#define SEC_ENABLE_INVPCID       (1u << 12)
#define SEC_ENABLE_VMFUNC        (1u << 13)
#define SEC_VMCS_SHADOWING       (1u << 14)
#define SEC_ENABLE_PML           (1u << 17)
#define SEC_ENABLE_XSAVES        (1u << 20)
/* VM-exit controls (SDM 25.7.1) */
#define EXIT_SAVE_DEBUG_CTLS     (1u << 2)
#define EXIT_HOST_ADDR_SPACE     (1u << 9)
#define EXIT_ACK_INTR            (1u << 15)
#define EXIT_SAVE_PAT            (1u << 18)
#define EXIT_LOAD_PAT            (1u << 19)
#define EXIT_SAVE_EFER           (1u << 20)
#define EXIT_LOAD_EFER           (1u << 21)
#define EXIT_SAVE_PREEMPT_TIMER  (1u << 22)
/* VM-entry controls (SDM 25.8.1) */
#define ENTRY_LOAD_DEBUG_CTLS    (1u << 2)
#define ENTRY_IA32E_MODE         (1u << 9)
#define ENTRY_LOAD_PAT           (1u << 14)
#define ENTRY_LOAD_EFER          (1u << 15)

/* Basic exit reasons (SDM Appendix C) */
#define EXIT_REASON_EXCEPTION_NMI     0
#define EXIT_REASON_EXTERNAL_INTR     1
#define EXIT_REASON_TRIPLE_FAULT      2
#define EXIT_REASON_INIT              3
#define EXIT_REASON_SIPI              4
#define EXIT_REASON_INTR_WINDOW       7
#define EXIT_REASON_NMI_WINDOW        8
#define EXIT_REASON_TASK_SWITCH       9
#define EXIT_REASON_CPUID             10
#define EXIT_REASON_HLT               12
#define EXIT_REASON_INVLPG            14
#define EXIT_REASON_RDTSC             16
#define EXIT_REASON_VMCALL            18
#define EXIT_REASON_VMCLEAR           19
#define EXIT_REASON_VMLAUNCH          20
#define EXIT_REASON_VMPTRLD           21
#define EXIT_REASON_VMPTRST           22
#define EXIT_REASON_VMREAD            23
#define EXIT_REASON_VMRESUME          24
#define EXIT_REASON_VMWRITE           25
#define EXIT_REASON_VMXOFF            26
#define EXIT_REASON_VMXON             27
#define EXIT_REASON_CR_ACCESS         28
#define EXIT_REASON_IO                30
#define EXIT_REASON_RDMSR             31
#define EXIT_REASON_WRMSR             32
#define EXIT_REASON_ENTRY_FAIL_GUEST  33
#define EXIT_REASON_ENTRY_FAIL_MSR    34
#define EXIT_REASON_MTF               37
#define EXIT_REASON_EPT_VIOLATION     48
#define EXIT_REASON_EPT_MISCONFIG     49
#define EXIT_REASON_INVEPT            50
#define EXIT_REASON_PREEMPTION_TIMER  52
#define EXIT_REASON_INVVPID           53
#define EXIT_REASON_XSETBV            55
#define EXIT_REASON_MAX               70
#define EXIT_REASON_FAILED_ENTRY      (1u << 31)

/* Interruption-information format (SDM 25.8.3, 26.9.2) */
#define INTR_INFO_VALID          (1u << 31)
#define INTR_INFO_DELIVER_EC     (1u << 11)
#define INTR_TYPE_EXT_INTR       (0u << 8)
#define INTR_TYPE_NMI            (2u << 8)
#define INTR_TYPE_HW_EXCEPTION   (3u << 8)
#define INTR_TYPE_SW_INTR        (4u << 8)
#define INTR_TYPE_SW_EXCEPTION   (6u << 8)
#define INTR_INFO_NMI_UNBLOCKED_BY_IRET (1u << 12)

/* Guest interruptibility state (SDM 25.4.2) */
#define INTERRUPTIBILITY_STI     (1u << 0)
#define INTERRUPTIBILITY_MOV_SS  (1u << 1)
#define INTERRUPTIBILITY_SMI     (1u << 2)
#define INTERRUPTIBILITY_NMI     (1u << 3)

/* VM-instruction error numbers (SDM 31.4) */
#define VMXERR_VMCALL_IN_ROOT            1
#define VMXERR_VMCLEAR_INVALID_ADDR      2
#define VMXERR_VMCLEAR_VMXON_PTR         3
#define VMXERR_VMLAUNCH_NOT_CLEAR        4
#define VMXERR_VMRESUME_NOT_LAUNCHED     5
#define VMXERR_VMRESUME_AFTER_VMXOFF     6
#define VMXERR_ENTRY_INVALID_CONTROLS    7
#define VMXERR_ENTRY_INVALID_HOST_STATE  8
#define VMXERR_VMPTRLD_INVALID_ADDR      9
#define VMXERR_VMPTRLD_VMXON_PTR         10
#define VMXERR_VMPTRLD_BAD_REVISION      11
#define VMXERR_UNSUPPORTED_FIELD         12
#define VMXERR_WRITE_RO_FIELD            13
#define VMXERR_VMXON_IN_ROOT             15
#define VMXERR_ENTRY_BAD_EXEC_VMCS       16
#define VMXERR_ENTRY_NONLAUNCHED_EXEC    17
#define VMXERR_ENTRY_EXEC_VMCS_NOT_VMXON 18
#define VMXERR_VMCALL_NONCLEAR_VMCS      19
#define VMXERR_VMCALL_BAD_EXIT_CONTROLS  20
#define VMXERR_VMCALL_BAD_MSEG_REVISION  22
#define VMXERR_VMXOFF_DUAL_MONITOR       23
#define VMXERR_VMCALL_BAD_SMM_FEATURES   24
#define VMXERR_ENTRY_BAD_EXEC_CONTROLS   25
#define VMXERR_ENTRY_EVENTS_BLOCKED_MOVSS 26
#define VMXERR_INVALID_INVEPT_INVVPID    28

/* EPT (SDM 29.3) */
#define EPT_R (1ull << 0)
#define EPT_W (1ull << 1)
#define EPT_X (1ull << 2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT 3
#define EPT_IGNORE_PAT (1ull << 6)
#define EPT_LARGE (1ull << 7)
#define EPTP_WB 6ull
#define EPTP_WALK4 (3ull << 3)
/* IA32_VMX_EPT_VPID_CAP bits (SDM A.10) */
#define EPTCAP_WALK4      (1ull << 6)
#define EPTCAP_WB         (1ull << 14)
#define EPTCAP_2M         (1ull << 16)
#define EPTCAP_1G         (1ull << 17)
#define EPTCAP_INVEPT     (1ull << 20)
#define EPTCAP_AD         (1ull << 21)
#define EPTCAP_INVEPT_SINGLE (1ull << 25)
#define EPTCAP_INVEPT_ALL (1ull << 26)
#define VPIDCAP_INVVPID   (1ull << 32)
#define VPIDCAP_ADDR      (1ull << 40)
#define VPIDCAP_SINGLE    (1ull << 41)
#define VPIDCAP_ALL       (1ull << 42)
#define VPIDCAP_SINGLE_NG (1ull << 43)

/* ---- Added for the VM-entry checks (pure/vmcs12_check.c); SDM Vol. 3C ch. 24/26
 * in the 2016-2020 editions (ch. 25/27 from 2021 on) ---- */
/* More VM-execution, VM-exit and VM-entry controls (SDM 24.6-24.8) */
#define PIN_POSTED_INTR          (1u << 7)
#define PROC_USE_TPR_SHADOW      (1u << 21)
#define SEC_APIC_REGISTER_VIRT   (1u << 8)
#define SEC_VIRT_INTR_DELIVERY   (1u << 9)
#define SEC_EPT_VE               (1u << 18)
#define SEC_MODE_BASED_EPT_EXEC  (1u << 22)
#define SEC_SUBPAGE_WRITE        (1u << 23)
#define SEC_PT_USE_GPA           (1u << 24)
#define EXIT_LOAD_PERF_GLOBAL    (1u << 12)
#define ENTRY_SMM                (1u << 10)
#define ENTRY_DEACT_DUAL_MONITOR (1u << 11)
#define ENTRY_LOAD_PERF_GLOBAL   (1u << 13)
#define ENTRY_LOAD_BNDCFGS       (1u << 16)
/* VM-entry interruption-information field (SDM 24.8.3, Table 24-13) */
#define INTR_INFO_VECTOR_MASK    0xffu
#define INTR_INFO_TYPE_MASK      (7u << 8)
#define INTR_INFO_RESERVED       0x7ffff000u
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << 8)
#define INTR_TYPE_OTHER_EVENT    (7u << 8)
/* Interruptibility state bit 4 (needs SGX) and the reserved bits above it (SDM 24.4.2) */
#define INTERRUPTIBILITY_ENCLAVE (1u << 4)
/* Activity states (SDM 24.4.2) */
#define ACTIVITY_ACTIVE          0u
#define ACTIVITY_HLT             1u
#define ACTIVITY_SHUTDOWN        2u
#define ACTIVITY_WAIT_SIPI       3u
/* Exit qualifications of a VM-entry failure due to invalid guest state (SDM 26.7) */
#define ENTRY_FAIL_QUAL_DEFAULT  0u
#define ENTRY_FAIL_QUAL_PDPTE    2u
#define ENTRY_FAIL_QUAL_NMI_STI  3u
#define ENTRY_FAIL_QUAL_LINK_PTR 4u
/* IA32_VMX_BASIC (SDM A.1) */
#define VMX_BASIC_REVISION_MASK  0x7fffffffull
#define VMX_BASIC_ADDR32         (1ull << 48)
#define VMX_BASIC_TRUE_CTLS      (1ull << 55)
#define VMX_BASIC_NO_ERRCODE_REQ (1ull << 56)
/* IA32_VMX_MISC (SDM A.6) */
#define VMX_MISC_ACT_HLT         (1ull << 6)
#define VMX_MISC_ACT_SHUTDOWN    (1ull << 7)
#define VMX_MISC_ACT_WAIT_SIPI   (1ull << 8)
#define VMX_MISC_CR3_TARGETS(m)  ((unsigned)(((m) >> 16) & 0x1ff))
#define VMX_MISC_MSR_LIST_MAX(m) (512u * ((unsigned)(((m) >> 25) & 7) + 1u))
#define VMX_MISC_INJECT_ILEN0    (1ull << 30)
/* More IA32_VMX_EPT_VPID_CAP bits and the EPTP format (SDM A.10, 24.6.11) */
#define EPTCAP_WALK5      (1ull << 7)
#define EPTCAP_UC         (1ull << 8)
#define EPTP_MT_MASK      7ull
#define EPTP_UC           0ull
#define EPTP_WALK_MASK    (7ull << 3)
#define EPTP_WALK5        (4ull << 3)
#define EPTP_AD           (1ull << 6)
/* VM-function controls (SDM 24.6.14) */
#define VMFUNC_EPTP_SWITCHING (1ull << 0)
/* VMCS link pointer "none", and the shadow-VMCS indicator in a VMCS header (SDM 24.2, 24.4.2) */
#define VMCS_LINK_PTR_NONE    (~0ull)
#define VMCS_HDR_SHADOW       (1u << 31)

#endif
