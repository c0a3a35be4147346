/* caps.c - the VMX capabilities L1 is offered (IA32_VMX_* MSRs, SDM Appendix A): what the CPU has, cut to what nestvisor emulates */
#include "hv.h"
#include "trap.h"
#include "x86.h"
#include "nested.h"
#include "../pure/vmcs12_check.h"

struct vmcs12_caps l1_caps;
/* The non-TRUE control MSRs as L1 reads them (SDM A.3: default1 bits forced to 1 there). */
static u64 l1_pin, l1_proc, l1_exit, l1_entry;
static bool field_hw[256];                 /* the CPU supports this table row (VMREAD works) */

/* Allowed-1 settings nestvisor can give L2 through VMCS02 (exit.c, entry.c route them). */
#define OFFER_PIN (PIN_EXT_INTR_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS | PIN_PREEMPTION_TIMER)
#define OFFER_PROC (PROC_INTR_WINDOW | PROC_USE_TSC_OFFSET | PROC_HLT_EXITING | PROC_INVLPG_EXITING |  \
                    BIT(10) /* MWAIT */ | BIT(11) /* RDPMC */ | BIT(12) /* RDTSC */ |                     \
                    PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING | BIT(19) | BIT(20) /* CR8 */ |        \
                    PROC_NMI_WINDOW | BIT(23) /* MOV DR */ | PROC_UNCOND_IO_EXITING |                     \
                    PROC_USE_IO_BITMAPS | PROC_MONITOR_TRAP_FLAG | PROC_USE_MSR_BITMAPS |                 \
                    BIT(29) /* MONITOR */ | BIT(30) /* PAUSE */ | PROC_ACTIVATE_SECONDARY)
#define OFFER_PROC2 (SEC_ENABLE_EPT | SEC_DESC_TABLE_EXITING | SEC_ENABLE_RDTSCP | SEC_ENABLE_VPID |      \
                     SEC_WBINVD_EXITING | SEC_UNRESTRICTED_GUEST | BIT(11) /* RDRAND */ |                 \
                     SEC_ENABLE_INVPCID | BIT(16) /* RDSEED */ | SEC_ENABLE_XSAVES |                   \
                     SEC_VMCS_SHADOWING /* L2's VMREAD/VMWRITE emulated on the link VMCS */)
#define OFFER_EXIT (EXIT_SAVE_DEBUG_CTLS | EXIT_HOST_ADDR_SPACE | EXIT_ACK_INTR | EXIT_SAVE_PAT |          \
                    EXIT_LOAD_PAT | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PREEMPT_TIMER)
#define OFFER_ENTRY (ENTRY_LOAD_DEBUG_CTLS | ENTRY_IA32E_MODE | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER)
#define OFFER_EPT_VPID (BIT(0) /* execute-only */ | EPTCAP_WALK4 | BIT(8) /* UC */ | EPTCAP_WB |           \
                        EPTCAP_2M | EPTCAP_1G | EPTCAP_INVEPT | EPTCAP_INVEPT_SINGLE | EPTCAP_INVEPT_ALL |  \
                        VPIDCAP_INVVPID | VPIDCAP_ADDR | VPIDCAP_SINGLE | VPIDCAP_ALL | VPIDCAP_SINGLE_NG)

/* allowed-0 kept (bits the CPU forces to 1 stay forced), allowed-1 cut to the offer */
static u64 offer(u64 hw, u32 want) { return (hw & 0xffffffffu) | ((hw & ((u64)(want | (u32)hw) << 32))); }

void nested_caps_init(void)
{
    bool t = caps.basic & BIT(55);
    l1_caps.basic = caps.basic & ~(BIT(49) /* dual-monitor SMM */ | BIT(48) /* 32-bit addresses */);
    l1_caps.pinbased = offer(caps.pin, OFFER_PIN);
    l1_caps.procbased = offer(caps.proc, OFFER_PROC);
    l1_caps.procbased2 = offer(caps.proc2, OFFER_PROC2);
    l1_caps.exit = offer(caps.exit, OFFER_EXIT);
    l1_caps.entry = offer(caps.entry, OFFER_ENTRY);
    l1_pin = t ? offer(rdmsr(MSR_IA32_VMX_PINBASED_CTLS), OFFER_PIN) : l1_caps.pinbased;
    l1_proc = t ? offer(rdmsr(MSR_IA32_VMX_PROCBASED_CTLS), OFFER_PROC) : l1_caps.procbased;
    l1_exit = t ? offer(rdmsr(MSR_IA32_VMX_EXIT_CTLS), OFFER_EXIT) : l1_caps.exit;
    l1_entry = t ? offer(rdmsr(MSR_IA32_VMX_ENTRY_CTLS), OFFER_ENTRY) : l1_caps.entry;
    l1_caps.misc = caps.misc & ~(BIT(15) /* SMM RDMSR of SMBASE */ | BIT(28) /* SMM VMXOFF */);
    l1_caps.ept_vpid = caps.ept_vpid & OFFER_EPT_VPID;
    l1_caps.vmfunc = 0;
    l1_caps.cr0_fixed0 = caps.cr0_fixed0;
    l1_caps.cr0_fixed1 = caps.cr0_fixed1;
    l1_caps.cr4_fixed0 = caps.cr4_fixed0;
    l1_caps.cr4_fixed1 = caps.cr4_fixed1;
    l1_caps.efer_valid = BIT(0) | EFER_LME | EFER_LMA | EFER_NXE;
    l1_caps.debugctl_valid = 0x1ffc3;   /* SDM 17.4.1: LBR, BTF, TR, BTS, BTINT, BTS_OFF_*, FREEZE_*; 1:0 */
    l1_caps.perf_global_valid = 0;
    u32 maxphy = cpuid(0x80000000u, 0).eax >= 0x80000008u ? cpuid(0x80000008u, 0).eax & 0xff : 36;
    l1_caps.maxphyaddr = maxphy;
    l1_caps.rtm = cpuid(7, 0).ebx & BIT(11);
    /* which fields the CPU has: probe the current VMCS (VMCS01 of the BSP) once */
    for (unsigned i = 0; i < vmcs_field_count && i < 256; i++) {
        u64 v;
        field_hw[i] = vmcs_read_any(vmcs_field_table[i].encoding, &v) == VMX_OK;
    }
}

bool offered2(u32 bit) { return (l1_caps.procbased >> 63) && (l1_caps.procbased2 >> 32 & bit); }

/* Fields of features L1 is not offered are unsupported, as on a CPU without them. */
static bool field_offered(unsigned enc)
{
    switch (enc) {
    case VMCS_VPID: return offered2(SEC_ENABLE_VPID);
    case VMCS_EPT_POINTER: case VMCS_GUEST_PDPTE0: case VMCS_GUEST_PDPTE1:
    case VMCS_GUEST_PDPTE2: case VMCS_GUEST_PDPTE3: return offered2(SEC_ENABLE_EPT);
    case VMCS_XSS_EXIT_BITMAP: return offered2(SEC_ENABLE_XSAVES);
    case VMCS_VMREAD_BITMAP: case VMCS_VMWRITE_BITMAP: return offered2(SEC_VMCS_SHADOWING);
    case VMCS_PREEMPTION_TIMER_VALUE: return l1_caps.pinbased >> 32 & PIN_PREEMPTION_TIMER;
    case VMCS_GUEST_IA32_PAT: case VMCS_HOST_IA32_PAT: return l1_caps.exit >> 32 & EXIT_LOAD_PAT;
    case VMCS_GUEST_IA32_EFER: case VMCS_HOST_IA32_EFER: return l1_caps.exit >> 32 & EXIT_LOAD_EFER;
    case VMCS_POSTED_INTR_NV: case VMCS_POSTED_INTR_DESC_ADDR: case VMCS_EPTP_INDEX:
    case VMCS_GUEST_INTR_STATUS: case VMCS_GUEST_PML_INDEX: case VMCS_PML_ADDR:
    case VMCS_VIRTUAL_APIC_ADDR: case VMCS_TPR_THRESHOLD: case VMCS_APIC_ACCESS_ADDR:
    case VMCS_VM_FUNCTION_CONTROLS: case VMCS_EPTP_LIST_ADDR: case VMCS_EOI_EXIT_BITMAP0:
    case VMCS_EOI_EXIT_BITMAP1: case VMCS_EOI_EXIT_BITMAP2: case VMCS_EOI_EXIT_BITMAP3:
    case VMCS_VE_INFO_ADDR:
    case VMCS_ENCLS_EXITING_BITMAP: case VMCS_TSC_MULTIPLIER: case VMCS_PLE_GAP: case VMCS_PLE_WINDOW:
    case VMCS_GUEST_IA32_PERF_GLOBAL_CTRL: case VMCS_HOST_IA32_PERF_GLOBAL_CTRL:
    case VMCS_GUEST_IA32_BNDCFGS: case VMCS_EXECUTIVE_VMCS_PTR:
        return false;
    default:
        return true;
    }
}

bool vmcs12_field_supported(unsigned enc)
{
    int row = vmcs12_row_find(enc);
    return row >= 0 && row < 256 && field_hw[row] && field_offered(enc);
}

/* SDM A.1-A.10. MSRs the CPU lacks #GP as on the CPU. */
bool nested_rdmsr(u32 msr, u64 *v)
{
    bool t = caps.basic & BIT(55);
    switch (msr) {
    case MSR_IA32_VMX_BASIC: *v = l1_caps.basic; return true;
    case MSR_IA32_VMX_PINBASED_CTLS: *v = l1_pin; return true;
    case MSR_IA32_VMX_PROCBASED_CTLS: *v = l1_proc; return true;
    case MSR_IA32_VMX_EXIT_CTLS: *v = l1_exit; return true;
    case MSR_IA32_VMX_ENTRY_CTLS: *v = l1_entry; return true;
    case MSR_IA32_VMX_MISC: *v = l1_caps.misc; return true;
    case MSR_IA32_VMX_CR0_FIXED0: *v = l1_caps.cr0_fixed0; return true;
    case MSR_IA32_VMX_CR0_FIXED1: *v = l1_caps.cr0_fixed1; return true;
    case MSR_IA32_VMX_CR4_FIXED0: *v = l1_caps.cr4_fixed0; return true;
    case MSR_IA32_VMX_CR4_FIXED1: *v = l1_caps.cr4_fixed1; return true;
    case MSR_IA32_VMX_VMCS_ENUM: return rdmsr_safe(msr, v) == 0;
    case MSR_IA32_VMX_PROCBASED_CTLS2: *v = l1_caps.procbased2; return (caps.proc >> 63) != 0;
    case MSR_IA32_VMX_EPT_VPID_CAP: *v = l1_caps.ept_vpid; return (caps.proc2 >> 32 & (SEC_ENABLE_EPT | SEC_ENABLE_VPID)) != 0;
    case MSR_IA32_VMX_TRUE_PINBASED_CTLS: *v = l1_caps.pinbased; return t;
    case MSR_IA32_VMX_TRUE_PROCBASED_CTLS: *v = l1_caps.procbased; return t;
    case MSR_IA32_VMX_TRUE_EXIT_CTLS: *v = l1_caps.exit; return t;
    case MSR_IA32_VMX_TRUE_ENTRY_CTLS: *v = l1_caps.entry; return t;
    case 0x491: /* IA32_VMX_VMFUNC: exists where VM functions can be enabled; none offered */
        if (rdmsr_safe(msr, v)) return false;
        *v = 0;
        return true;
    default: return false;
    }
}
