/* vmx_host.h - entering VMX root on one CPU and the host-state area every VMCS of ours shares */
#ifndef LIB_VMX_HOST_H
#define LIB_VMX_HOST_H
#include "types.h"
#include "vmx.h"

struct vmx_fixed { u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1; };

enum vmx_enable_result { VMX_ENABLED = 0, VMX_LOCKED_OFF = -1, VMX_VMXON_FAILED = -2 };
/* IA32_FEATURE_CONTROL (locked with VMX enabled if the BIOS left it unlocked), CR0/CR4
 * fixed bits and CR4.VMXE (SDM 24.7-24.8, A.7-A.8), then VMXON of 'region' (a zeroed
 * page; its revision is written here). 'xsave' also sets CR4.OSXSAVE when available. */
enum vmx_enable_result vmx_enable_cpu(const struct vmx_fixed *f, u32 revision, void *region, bool xsave);

/* Host-state area (SDM 25.5) for code that runs the way LHV and nestvisor do: flat
 * segments of lib/layout.h, this CPU's TSS, the shared GDT/IDT, RIP = vmx_exit_label.
 * HOST_RSP is written by vmx_enter. EFER/PAT only where the exit controls load them. */
void vmcs_write_host_state(unsigned cpu_index, uintptr_t gs_base, bool load_efer, bool load_pat);
#endif
