/* hostile_vmxon.c - hostile VMXON/VMXOFF, VMPTRLD/VMCLEAR/VMPTRST operands and launch state (SDM 31.3 pseudo-code, 31.4 error numbers) */
#include "hostile.h"

/* Back to where every other case starts: VMX root (VMXON region of this CPU), CR0/CR4 as
 * VMXON wants them, the test VMCS current. */
static void restore_vmx(struct cpu *c, uintptr_t cr0, uintptr_t cr4)
{
    write_cr0(cr0);
    write_cr4(cr4);
    *(volatile u32 *)c->vmxon = hx_revision();
    PANIC_ON(vmxon(c->vmxon_pa) != VMX_OK);
    PANIC_ON(vmptrld(c->vcpu.vmcs_pa) != VMX_OK);
}

/* SDM 31.3: every VMX instruction but VMXON #UDs outside VMX operation. */
static void outside_vmx(struct cpu *c)
{
    uintptr_t v = 0;
    u64 p = c->vcpu.vmcs_pa;
    struct inv_desc d = { 0, 0 };
    hx_report(c, "vmxoff-outside-vmx", hx_vmxoff());
    hx_report(c, "vmptrld-outside-vmx", hx_vmptrld((uintptr_t)&p));
    hx_report(c, "vmclear-outside-vmx", hx_vmclear((uintptr_t)&p));
    hx_report(c, "vmptrst-outside-vmx", hx_vmptrst((uintptr_t)&p));
    hx_report(c, "vmread-outside-vmx", hx_vmread(VMCS_GUEST_RIP, &v));
    hx_report(c, "vmwrite-outside-vmx", hx_vmwrite(VMCS_GUEST_RIP, 0));
    hx_report(c, "vmlaunch-outside-vmx", hx_vmlaunch());
    hx_report(c, "vmresume-outside-vmx", hx_vmresume());
    hx_report(c, "invept-outside-vmx", hx_invept(2, (uintptr_t)&d));
    hx_report(c, "invvpid-outside-vmx", hx_invvpid(2, (uintptr_t)&d));
}

/* VMXON's operand checks (SDM 31.3 VMXON): a region address that is not 4 KiB aligned,
 * sets bits beyond the physical-address width, or whose first word is not the VMCS
 * revision (bit 31 clear): VMfailInvalid. CR4.VMXE clear: #UD; CR0/CR4 outside the
 * fixed bits (A.7, A.8): #GP(0). */
static void vmxon_operands(struct cpu *c)
{
    u32 *region = (u32 *)hx_scratch;
    u64 pa = va_to_pa(hx_scratch);
    u64 op;
    uintptr_t cr0 = read_cr0(), cr4 = read_cr4();

    region[0] = hx_revision() ^ 1;
    op = pa;
    hx_report(c, "vmxon-bad-revision", hx_vmxon((uintptr_t)&op));
    region[0] = hx_revision() | 0x80000000u;
    hx_report(c, "vmxon-shadow-bit-revision", hx_vmxon((uintptr_t)&op));
    region[0] = hx_revision();
    op = pa + 0x800;
    hx_report(c, "vmxon-misaligned", hx_vmxon((uintptr_t)&op));
    op = pa | (1ull << hx_maxphyaddr());
    hx_report(c, "vmxon-beyond-maxphyaddr", hx_vmxon((uintptr_t)&op));
    op = pa | (1ull << 63);
    hx_report(c, "vmxon-bit63", hx_vmxon((uintptr_t)&op));
    if (hx_amd64()) {
        hx_report(c, "vmxon-operand-noncanonical", hx_vmxon(HX_NONCANONICAL));
        hx_report(c, "vmxon-operand-unmapped", hx_vmxon(HX_UNMAPPED));
    } else {
        hx_outcome(c, "vmxon-operand-noncanonical", "n/a");
        hx_outcome(c, "vmxon-operand-unmapped", "n/a");
    }
    write_cr4(cr4 & ~(uintptr_t)CR4_VMXE);
    op = c->vmxon_pa;
    hx_report(c, "vmxon-cr4-vmxe-off", hx_vmxon((uintptr_t)&op));
    write_cr4(cr4);
    int f = hx_write_cr0(cr0 & ~(uintptr_t)CR0_NE);
    if (f) {
        hx_report(c, "vmxon-cr0-ne-off", f);
    } else {
        hx_report(c, "vmxon-cr0-ne-off", hx_vmxon((uintptr_t)&op));
        write_cr0(cr0);
    }
    /* if any of those entered VMX operation after all, leave it (the line already differs) */
    (void)hx_vmxoff();
}

/* With VMXON done but no current VMCS: VMfailInvalid where the SDM says VMfail (31.2:
 * no VMCS to hold an error number). */
static void no_current_vmcs(struct cpu *c)
{
    u64 p = c->vmxon_pa, cur = 0;
    uintptr_t v;
    int r = hx_vmptrst((uintptr_t)&cur);
    hx_outcome(c, "vmptrst-no-current", "%s %s", r ? "fault" : "ok", cur == ~0ull ? "ffffffff_ffffffff" : "other");
    hx_report(c, "vmread-no-current", hx_vmread(VMCS_GUEST_RIP, &v));
    hx_report(c, "vmwrite-no-current", hx_vmwrite(VMCS_GUEST_RIP, 0));
    hx_report(c, "vmlaunch-no-current", hx_vmlaunch());
    hx_report(c, "vmresume-no-current", hx_vmresume());
    hx_report(c, "vmclear-vmxon-region-no-current", hx_vmclear((uintptr_t)&p));
    hx_report(c, "vmptrld-vmxon-region-no-current", hx_vmptrld((uintptr_t)&p));
    hx_report(c, "vmxon-in-vmx-no-current", hx_vmxon((uintptr_t)&p));
    /* CR4.VMXE cannot be cleared in VMX operation (SDM 23.8): #GP */
    uintptr_t cr4 = read_cr4();
    int f = hx_write_cr4(cr4 & ~(uintptr_t)CR4_VMXE);
    hx_report(c, "cr4-vmxe-clear-in-vmx", f);
    if (!f) write_cr4(cr4);
}

/* VMPTRLD / VMCLEAR operands with a current VMCS: errors 9/2 (address), 10/3 (the VMXON
 * region), 11 (revision). */
static void pointer_operands(struct cpu *c)
{
    struct vcpu *vc = &c->vcpu;
    u32 *other = (u32 *)hx_scratch;
    u64 op;
    op = vc->vmcs_pa + 0x10;
    hx_report(c, "vmptrld-misaligned", hx_vmptrld((uintptr_t)&op));
    op = vc->vmcs_pa | (1ull << hx_maxphyaddr());
    hx_report(c, "vmptrld-beyond-maxphyaddr", hx_vmptrld((uintptr_t)&op));
    op = c->vmxon_pa;
    hx_report(c, "vmptrld-vmxon-region", hx_vmptrld((uintptr_t)&op));
    PANIC_ON(vmclear(va_to_pa(other)) != VMX_OK);   /* not current, not active anywhere */
    other[0] = hx_revision() ^ 0x10;
    op = va_to_pa(other);
    hx_report(c, "vmptrld-bad-revision", hx_vmptrld((uintptr_t)&op));
    other[0] = 0;
    hx_report(c, "vmptrld-revision-0", hx_vmptrld((uintptr_t)&op));
    /* bit 31 set: a shadow VMCS, loadable only with VMCS shadowing (SDM 24.10, 31.3) */
    other[0] = hx_revision() | 0x80000000u;
    int r = hx_vmptrld((uintptr_t)&op);
    hx_report(c, "vmptrld-shadow-revision", r);
    /* VMLAUNCH of a shadow VMCS: VMfailInvalid (SDM 26.1 item 4); Bochs 2.7 goes on to the
     * control checks (VMfailValid 7): OPT_HOSTILE_SDM only */
    if (r == HX_OK) {
        if (hx_sdm_only()) hx_report(c, "vmlaunch-shadow-vmcs", hx_vmlaunch());
        PANIC_ON(vmclear(va_to_pa(other)) != VMX_OK);
        PANIC_ON(vmptrld(vc->vmcs_pa) != VMX_OK);
    } else if (hx_sdm_only()) {
        hx_outcome(c, "vmlaunch-shadow-vmcs", "n/a");
    }
    op = vc->vmcs_pa + 0x800;
    hx_report(c, "vmclear-misaligned", hx_vmclear((uintptr_t)&op));
    op = vc->vmcs_pa | (1ull << hx_maxphyaddr());
    hx_report(c, "vmclear-beyond-maxphyaddr", hx_vmclear((uintptr_t)&op));
    op = c->vmxon_pa;
    hx_report(c, "vmclear-vmxon-region", hx_vmclear((uintptr_t)&op));
    op = c->vmxon_pa;
    hx_report(c, "vmxon-in-vmx", hx_vmxon((uintptr_t)&op));
    if (hx_amd64()) {
        hx_report(c, "vmptrld-operand-noncanonical", hx_vmptrld(HX_NONCANONICAL));
        hx_report(c, "vmclear-operand-unmapped", hx_vmclear(HX_UNMAPPED));
        hx_report(c, "vmptrst-operand-noncanonical", hx_vmptrst(HX_NONCANONICAL));
    } else {
        hx_outcome(c, "vmptrld-operand-noncanonical", "n/a");
        hx_outcome(c, "vmclear-operand-unmapped", "n/a");
        hx_outcome(c, "vmptrst-operand-noncanonical", "n/a");
    }
    PANIC_ON(vmptrld(vc->vmcs_pa) != VMX_OK);
}

/* Launch state (SDM 26.1 item 5, 31.4 errors 4 and 5). */
static void launch_state(struct cpu *c)
{
    struct vcpu *v = &c->vcpu;
    hx_launch(c, "vmlaunch-good-vmcs", NULL, 0);
    hx_report(c, "vmlaunch-launched", hx_vmlaunch());
    PANIC_ON(vmclear(v->vmcs_pa) != VMX_OK);
    PANIC_ON(vmptrld(v->vmcs_pa) != VMX_OK);
    hx_report(c, "vmresume-clear", hx_vmresume());
    /* VMCLEAR of the current VMCS leaves none current: VMLAUNCH then VMfailInvalid */
    PANIC_ON(vmclear(v->vmcs_pa) != VMX_OK);
    hx_report(c, "vmlaunch-after-vmclear-current", hx_vmlaunch());
    PANIC_ON(vmptrld(v->vmcs_pa) != VMX_OK);
    /* VM entry under blocking by MOV SS: VMfailValid 26, checked before the launch state and
     * the controls (SDM 26.1 item 5); a reserved pin-based bit makes sure no entry happens
     * where the check were missing (error 7 then) */
    vcpu_reset(c, hx_guest_nop, 0);
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, vmcs_read32(VMCS_PIN_BASED_CONTROLS) | BIT(31));
    hx_report(c, "vmlaunch-after-mov-ss", hx_enter_after_mov_ss(false));
    hx_report(c, "vmresume-after-mov-ss", hx_enter_after_mov_ss(true));
    vcpu_reset(c, hx_guest_nop, 0);
}

void hostile_vmxon(struct cpu *c)
{
    uintptr_t cr0 = read_cr0(), cr4 = read_cr4();
    u64 op = c->vmxon_pa;
    /* VMXON in VMX root with a current VMCS: VMfailValid 15 */
    hx_report(c, "vmxon-in-vmx-current", hx_vmxon((uintptr_t)&op));
    launch_state(c);
    pointer_operands(c);
    PANIC_ON(vmclear(c->vcpu.vmcs_pa) != VMX_OK);
    hx_report(c, "vmxoff", hx_vmxoff());
    outside_vmx(c);
    vmxon_operands(c);
    restore_vmx(c, cr0, cr4);
    /* VMXON again, then the no-current-VMCS answers */
    PANIC_ON(vmclear(c->vcpu.vmcs_pa) != VMX_OK);
    PANIC_ON(vmxoff() != VMX_OK);
    op = c->vmxon_pa;
    hx_report(c, "vmxon-again", hx_vmxon((uintptr_t)&op));
    no_current_vmcs(c);
    PANIC_ON(vmptrld(c->vcpu.vmcs_pa) != VMX_OK);
    c->vcpu.launched = false;
}
