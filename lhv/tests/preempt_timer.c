/* preempt_timer.c - the VMX-preemption timer stops a spinning guest (SDM 26.5.1, 27.2 exit reason 52) */
#include "lhv.h"

bool supports_preempt_timer(void) { return has_pin(PIN_PREEMPTION_TIMER); }

static void guest_spin(uintptr_t unused)
{
    (void)unused;
    for (;;) __asm__ __volatile__("pause" ::: "memory");
}

static enum exit_action stop_on_timer(struct cpu *c, u32 reason, void *p)
{
    (void)c; (void)p;
    return reason == EXIT_REASON_PREEMPTION_TIMER ? EXIT_STOP : EXIT_UNHANDLED;
}

void test_preempt_timer(struct cpu *c)
{
    const char *T = "preempt_timer";
    vcpu_reset(c, guest_spin, 0);
    vmcs_write32(VMCS_PIN_BASED_CONTROLS, vmx_adjust_controls(caps.pin, PIN_PREEMPTION_TIMER));
    bool save = has_exit(EXIT_SAVE_PREEMPT_TIMER);
    if (save) vmcs_write32(VMCS_EXIT_CONTROLS, vmcs_read32(VMCS_EXIT_CONTROLS) | EXIT_SAVE_PREEMPT_TIMER);
    vmcs_write32(VMCS_PREEMPTION_TIMER_VALUE, 2000);
    u32 r = guest_run(c, stop_on_timer, NULL);
    u32 left = vmcs_read32(VMCS_PREEMPTION_TIMER_VALUE);
    CHECK(T, r == EXIT_REASON_PREEMPTION_TIMER, "exit %u", r);
    if (save) CHECK(T, left == 0, "saved timer value %u", left);
    OUTCOME(c, T, "exit=%u saved_value=%u rate=%u", r, save ? left : 0xffffffffu, (u32)(caps.misc & 0x1f));
}
