/* lapic.c - the guest's local APIC: ICR writes trapped (xAPIC via EPT + single step, x2APIC via MSR), INIT/SIPI emulated in software */
#include "hv.h"
#include "apic.h"
#include "spinlock.h"
#include "x86.h"
#include "../pure/guest_paging.h"
#include "../pure/mmio_insn.h"

#define APIC_PAGE 0xfee00000ull
#define RFLAGS_TF BIT(8)
#define RFLAGS_IF BIT(9)

static spinlock_t sipi_lock = SPINLOCK_INIT;
void hv_start_ap_lazily(struct pcpu *p);

/* An AP waiting for SIPI sleeps in HLT (a spinning CPU costs Bochs as much as a running
 * one: three spinning APs made the guest's boot 4x slower); this fixed IPI wakes it. */
#define WAKE_VECTOR 0xf1

static void wake_cpu(struct pcpu *t) { lapic_send_ipi(t->apic_id, ICR_FIXED | ICR_LEVEL_ASSERT | WAKE_VECTOR); }

void kick_cpu(struct pcpu *t)
{
    __atomic_add_fetch(&t->kicks_sent, 1, __ATOMIC_SEQ_CST);
    lapic_send_ipi(t->apic_id, ICR_NMI | ICR_LEVEL_ASSERT);
}

/* Waits (in VMX root, never leaving nestvisor's control) for the guest's SIPI, then
 * starts the guest on this CPU in real mode at vector:0000 (SDM 10.4.4.1). */
void sipi_wait_and_start(struct pcpu *p)
{
    u8 vector;
    for (;;) {
        spin_lock(&sipi_lock);
        if (p->sipi_pending) {
            vector = p->sipi_vector;
            p->state = VCPU_RUNNING;
            p->sipi_pending = false;
            spin_unlock(&sipi_lock);
            break;
        }
        spin_unlock(&sipi_lock);
        /* STI's one-instruction shadow makes "sti; hlt" atomic: a wake IPI sent after the
         * check above is taken in HLT, never before it (SDM 6.8.3). */
        __asm__ __volatile__("sti; hlt; cli" ::: "memory");
    }
    guest_state_realmode((u16)(vector << 8), 0, 0);
    cprintf("guest SIPI: this CPU starts the guest at %02x00:0000", vector);
}

static void init_sipi(struct pcpu *from, struct pcpu *t, unsigned mode, u8 vector)
{
    spin_lock(&sipi_lock);
    if (mode == 5) { /* INIT: the target waits for SIPI inside nestvisor */
        if (t->state == VCPU_RUNNING) {
            t->init_pending = true;
            t->sipi_pending = false;
            spin_unlock(&sipi_lock);
            if (t != from) kick_cpu(t);
            return;
        }
        t->sipi_pending = false;
    } else if (t->state == VCPU_WAIT_SIPI || t->init_pending) {
        if (!t->sipi_pending) {
            t->sipi_vector = vector;
            t->sipi_pending = true;
            spin_unlock(&sipi_lock);
            if (!INIT_SMP && !t->vmxon) hv_start_ap_lazily(t);
            else wake_cpu(t);
            return;
        }
    } /* SIPI to a running CPU is ignored (SDM 10.4.4.1) */
    spin_unlock(&sipi_lock);
}

void apic_icr_write(struct pcpu *p, u32 lo, u32 hi, bool x2apic)
{
    unsigned mode = (lo >> 8) & 7, shorthand = (lo >> 18) & 3;
    if (mode != 5 && mode != 6) {
        if (x2apic) {
            wrmsr(0x830, ((u64)hi << 32) | lo);
        } else {
            lapic_write(LAPIC_ICR_HI, hi);
            lapic_write(LAPIC_ICR_LO, lo);
        }
        return;
    }
    if (mode == 5 && (lo & ICR_LEVEL_TRIGGER) && !(lo & ICR_LEVEL_ASSERT)) return; /* INIT de-assert */
    u32 dest = x2apic ? hi : hi >> 24;
    LOG_RL("guest %s to APIC 0x%x (shorthand %u, vector 0x%02x)", mode == 5 ? "INIT" : "SIPI", dest, shorthand, lo & 0xff);
    for (unsigned i = 0; i < vm.ncpus; i++) {
        struct pcpu *t = vm.cpus[i];
        bool hit = shorthand == 0 ? vm.apic_ids[i] == dest :
                   shorthand == 1 ? t == p : shorthand == 2 ? true : t != p;
        if (!hit || !t) continue;
        if (t == p) {
            LOG_RL("guest %s to its own CPU ignored", mode == 5 ? "INIT" : "SIPI");
            continue;
        }
        init_sipi(p, t, mode, (u8)lo);
    }
}

/* ---- xAPIC page: a guest access is emulated (its MOV decoded), or else run once,
 * single-stepped, against a private mapping ---- */

static void icr_or_register_write(struct pcpu *p, u32 offset, u32 v)
{
    if (offset == LAPIC_ICR_HI) p->lapic_icr_hi = v;
    else if (offset == LAPIC_ICR_LO) apic_icr_write(p, v, p->lapic_icr_hi, false);
    else lapic_write(offset, v);
}

/* The guest's 32-bit MOV to or from an APIC register, done by L0 on the guest's behalf:
 * one exit instead of the two (and two INVEPTs) of a single step; EOI writes, which
 * Linux makes on every interrupt, are most of them. Refused (false: single-step it)
 * for anything pure/mmio_insn.c does not decode, a guest that single-steps itself
 * (its #DB must come after the instruction), real mode, CPL 3. SDM 11.4.1: APIC
 * registers are 32 bits wide, 16-byte aligned. */
bool lapic_emulate_access(struct pcpu *p, u32 offset, bool write)
{
    uintptr_t fl = vmcs_readnat(VMCS_GUEST_RFLAGS);
    if ((fl & RFLAGS_TF) || (offset & 0xf) || guest_cpl() != 0) return false;
    u32 cs_ar = vmcs_read32(VMCS_GUEST_CS_AR);
    enum mmio_mode mode;
    if ((vmcs_read64(VMCS_GUEST_IA32_EFER) & EFER_LMA) && (cs_ar & BIT(13) /* CS.L */)) mode = MMIO_MODE_64;
    else if ((vmcs_readnat(VMCS_GUEST_CR0) & CR0_PE) && (cs_ar & BIT(14) /* CS.D */)) mode = MMIO_MODE_32;
    else return false;
    u64 la = vmcs_readnat(VMCS_GUEST_RIP) + (mode == MMIO_MODE_64 ? 0 : vmcs_readnat(VMCS_GUEST_CS_BASE));
    if (mode == MMIO_MODE_32) la &= 0xffffffffu;
    u8 bytes[15];
    unsigned avail = PAGE_SIZE - (unsigned)(la & (PAGE_SIZE - 1));   /* the fetched page; a decode that */
    if (avail > sizeof bytes) avail = sizeof bytes;                   /* needs the next one is refused */
    struct gpaging_ctx g;
    struct gpaging_fault f;
    guest_paging_ctx(&g);
    g.cmpxchg_phys = NULL;             /* a look at code the CPU already fetched: no A/D updates */
    struct mmio_insn d;
    if (gpaging_read(&g, la, bytes, avail, &f) != GPAGING_OK || !mmio_insn_decode(bytes, avail, mode, &d) ||
        d.write != write)
        return false;
    if (write) {
        icr_or_register_write(p, offset, d.has_imm ? d.imm : (u32)guest_gpr_read(p, d.reg));
    } else {
        /* a 32-bit load zero-extends into the 64-bit register (SDM 3.4.1.1) */
        guest_gpr_write(p, d.reg, lapic_read(offset));
    }
    skip_instruction_len(d.len);
    p->apic_emulated++;
    return true;
}

void lapic_step_begin(struct pcpu *p, u32 offset, bool write)
{
    LOG_RL("guest xAPIC %s at offset 0x%x, rip 0x%lx: single-stepped", write ? "write" : "read", offset,
           (unsigned long)vmcs_readnat(VMCS_GUEST_RIP));
    offset &= 0xff0;
    if (write) {
        volatile u32 *s = (volatile u32 *)((u8 *)p->apic_scratch + offset);
        *s = lapic_read(offset); /* a read-modify-write sees the register's value */
        *p->apic_leaf = va_to_pa(p->apic_scratch) | EPT_R | EPT_W | ((u64)MT_UC << EPT_MT_SHIFT);
    } else {
        *p->apic_leaf = APIC_PAGE | EPT_R | ((u64)MT_UC << EPT_MT_SHIFT);
    }
    struct inv_desc d = { p->ept.eptp, 0 };
    invept(1, &d);
    uintptr_t fl = vmcs_readnat(VMCS_GUEST_RFLAGS);
    p->step = (struct lapic_step){ true, write, offset, fl & (RFLAGS_TF | RFLAGS_IF) };
    vmcs_writenat(VMCS_GUEST_RFLAGS, (fl | RFLAGS_TF) & ~RFLAGS_IF);
    vmcs_write32(VMCS_EXCEPTION_BITMAP, vmcs_read32(VMCS_EXCEPTION_BITMAP) | BIT(1));
}

void lapic_step_done(struct pcpu *p)
{
    uintptr_t fl = vmcs_readnat(VMCS_GUEST_RFLAGS) & ~(RFLAGS_TF | RFLAGS_IF);
    vmcs_writenat(VMCS_GUEST_RFLAGS, fl | p->step.saved_flags);
    vmcs_write32(VMCS_EXCEPTION_BITMAP, vmcs_read32(VMCS_EXCEPTION_BITMAP) & ~BIT(1));
    vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, vmcs_readnat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS) & ~BIT(14));
    *p->apic_leaf = 0;
    struct inv_desc d = { p->ept.eptp, 0 };
    invept(1, &d);
    p->step.active = false;
    if (!p->step.write) return;
    icr_or_register_write(p, p->step.offset, *(volatile u32 *)((u8 *)p->apic_scratch + p->step.offset));
}
