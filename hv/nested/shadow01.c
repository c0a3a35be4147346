/* shadow01.c - L1's VMREAD/VMWRITE without exits: L0 mirrors the current VMCS12 in a hardware shadow VMCS linked from VMCS01 (SDM 25.10, 31.3) */
#include "hv.h"
#include "mem.h"
#include "page_alloc.h"
#include "nested.h"

/*
 * Where the CPU has VMCS shadowing (skylake; not the 2540p's Arrandale), VMCS01 enables
 * it while L1 is in VMX operation with a current VMCS12, and links a shadow VMCS that
 * holds a copy of VMCS12's fields. L1's VMREAD of any field it may read, and its VMWRITE
 * of the few guest fields it writes on every exit (RIP, RFLAGS, ...), then complete in
 * VMX non-root without a VM exit (SDM 31.3 VMREAD/VMWRITE: no exit when the field's bit
 * in the VMREAD/VMWRITE bitmap is 0; they act on the VMCS the link pointer names).
 *
 * VMCS12 in L1's memory stays the truth; the shadow VMCS is kept coherent with it:
 *   - L0 -> shadow: every VMCS12 field L0 changes (an emulated VM exit, a VMfail's error
 *     number, an emulated VMWRITE) marks its row stale in the slot caching that VMCS12;
 *     before L1 runs again, stale rows are VMWRITten into the slot (flush);
 *   - shadow -> L0: before L0 uses VMCS12 on L1's behalf (VMLAUNCH/VMRESUME, VMPTRLD,
 *     VMCLEAR, VMXOFF), the write-shadowed rows are read back from the slot (pull); a
 *     changed value is an L1 VMWRITE (nested_vmwrite_done), exactly as if it had exited.
 * Each CPU caches SHADOW01_SLOTS shadow VMCSs by VMCS12 address (a nestvisor as L1
 * switches between two VMCSs per CPU on every exit of its guest). A slot is dropped when
 * L1 VMCLEARs its VMCS12 (SDM 25.11.3: the point where software may touch the region or
 * move the VMCS to another CPU) and at VMXOFF.
 * Like KVM-style hypervisors on silicon, L0 VMCLEARs a slot after filling or reading it,
 * so that the copy the CPU reads through the link pointer is in memory, never cached as
 * L0's current VMCS (SDM 25.11.1).
 */

static bool enabled;
static u8 *vmread_bitmap, *vmwrite_bitmap;   /* SDM 25.6.15: bit set = the access exits */
static u8 *vmwrite_all_bitmap;               /* for a VMCS12 that is itself a shadow VMCS */
static u64 read_rows[4];                     /* table rows L1 reads through the slot */
static u16 write_rows[32];                   /* table rows L1 writes through the slot */
static unsigned write_count;

/* The fields hypervisors write on nearly every exit of their guest: guest state they
 * advance or inject into, and HOST_RSP (an entry stub's VMWRITE of its stack pointer).
 * None needs a VMCS02 rebuild when it changes (entry.c: copied, or host state read at
 * the emulated exit). The rest of the writable fields exit, so L0 sees every control
 * write when it happens. */
static const u16 hot_writes[] = {
    VMCS_GUEST_RIP, VMCS_GUEST_RSP, VMCS_GUEST_RFLAGS, VMCS_GUEST_INTERRUPTIBILITY,
    VMCS_GUEST_ACTIVITY_STATE, VMCS_GUEST_PENDING_DBG_EXCEPTIONS, VMCS_ENTRY_INTR_INFO,
    VMCS_ENTRY_EXCEPTION_ERROR_CODE, VMCS_ENTRY_INSTRUCTION_LEN, VMCS_GUEST_CR0, VMCS_GUEST_CR3,
    VMCS_GUEST_CR4, VMCS_CR0_READ_SHADOW, VMCS_CR4_READ_SHADOW, VMCS_HOST_RSP,
};

static void bit_clear(u8 *bm, unsigned enc) { bm[enc / 8] &= (u8)~(1u << (enc % 8)); }

/* After nested_caps_init() (which fields L1 has) on the BSP. */
void shadow01_init(void)
{
    if (!cap_proc2(SEC_VMCS_SHADOWING)) return;   /* the 2540p: every VMREAD/VMWRITE exits */
    /* SDM A.6: IA32_VMX_MISC bit 29: VMWRITE may write the VM-exit information fields;
     * without it L0 cannot put them in the slot, and L1's reads of them keep exiting */
    bool ro_ok = caps.misc & BIT(29);
    vmread_bitmap = page_alloc(1);
    vmwrite_bitmap = page_alloc(1);
    vmwrite_all_bitmap = page_alloc(1);
    memset(vmread_bitmap, 0xff, PAGE_SIZE);
    memset(vmwrite_bitmap, 0xff, PAGE_SIZE);
    memset(vmwrite_all_bitmap, 0xff, PAGE_SIZE);
    for (unsigned i = 0; i < vmcs_field_count; i++) {
        unsigned enc = vmcs_field_table[i].encoding;
        if (!vmcs12_field_supported(enc) || (vmcs_field_table[i].group == VMCS_EXIT && !ro_ok)) continue;
        bit_clear(vmread_bitmap, enc);
        bit_clear(vmwrite_all_bitmap, enc);
        if (VMCS_ENC_WIDTH(enc) == VMCS_W64) {                     /* the high half */
            bit_clear(vmread_bitmap, enc + 1);
            bit_clear(vmwrite_all_bitmap, enc + 1);
        }
        read_rows[i / 64] |= 1ull << (i % 64);
    }
    for (unsigned i = 0; i < sizeof hot_writes / sizeof hot_writes[0]; i++) {
        unsigned enc = hot_writes[i];
        if (!vmcs12_field_supported(enc)) continue;
        PANIC_ON(nested_row_rebuilds(enc) || VMCS_ENC_WIDTH(enc) == VMCS_W64);
        bit_clear(vmwrite_bitmap, enc);
        write_rows[write_count++] = (u16)vmcs12_row(enc);
    }
    enabled = true;
    cprintf("VMCS shadowing for L1: L1's VMREADs of %s fields and VMWRITEs of %u hot fields do not exit",
            ro_ok ? "all" : "all but the exit-information", write_count);
}

/* This CPU's slots and VMCS01's bitmap addresses, made on its first entry into L1 with a
 * current VMCS12 (the APs start before the BSP knows L1's fields) and after every
 * vmcs01_setup() (INIT), which rewrites VMCS01. */
static void cpu_ready(struct pcpu *p)
{
    struct nested *n = &p->nested;
    if (!n->shadow[0].pa) {
        for (unsigned s = 0; s < SHADOW01_SLOTS; s++) {
            struct shadow01_slot *sl = &n->shadow[s];
            void *v = page_alloc(1);
            /* SDM 25.2: revision, and bit 31 set: a shadow VMCS */
            *(volatile u32 *)v = ((u32)caps.basic & 0x7fffffffu) | VMCS12_SHADOW_BIT;
            sl->pa = va_to_pa(v);
            sl->vmcs12 = ~0ull;
            PANIC_ON(vmclear(sl->pa) != VMX_OK);
        }
    }
    vmcs_write64(VMCS_VMREAD_BITMAP, va_to_pa(vmread_bitmap));
    n->shadow_ready = true;
}

/* vmcs01_setup() made VMCS01 anew: no shadowing, no bitmaps yet. */
void shadow01_vmcs01_reset(struct pcpu *p)
{
    p->nested.shadow_linked = 0;
    p->nested.shadow_ready = false;
}

/* L0 changed row 'row' of the VMCS12 at 'vmcs12': a slot holding it is stale there. */
void shadow01_changed(u64 vmcs12, unsigned row)
{
    if (!enabled || !(read_rows[row / 64] >> (row % 64) & 1)) return;
    struct nested *n = &this_pcpu()->nested;
    for (unsigned s = 0; s < SHADOW01_SLOTS; s++)
        if (n->shadow[s].vmcs12 == vmcs12) n->shadow[s].stale[row / 64] |= 1ull << (row % 64);
}

static void load_vmcs01(struct pcpu *p, struct shadow01_slot *sl)
{
    PANIC_ON(vmclear(sl->pa) != VMX_OK);
    vmcs_load(p, p->vmcs01_pa);
}

/* shadow -> VMCS12: what L1 wrote through the slot VMCS01 links (VMCS01 current). */
void shadow01_pull(struct pcpu *p)
{
    struct nested *n = &p->nested;
    if (!n->shadow_linked) return;
    struct shadow01_slot *sl = &n->shadow[n->shadow_linked - 1];
    vmcs_load(p, sl->pa);
    volatile u64 *f = vmcs12_fields(sl->vmcs12);
    if (sl->shadow_type) {
        /* every field L1 may write went through the slot; none is launched from (SDM 26.1) */
        for (unsigned w = 0; w < 4; w++) {
            for (u64 m = read_rows[w]; m; m &= m - 1) {
                unsigned row = w * 64 + (unsigned)__builtin_ctzll(m);
                u64 v;
                if (vmcs_read_any(vmcs_field_table[row].encoding, &v) == VMX_OK) f[row] = v;
            }
        }
    }
    for (unsigned i = 0; i < write_count && !sl->shadow_type; i++) {
        unsigned row = write_rows[i], enc = vmcs_field_table[row].encoding;
        u64 v;
        if (vmcs_read_any(enc, &v) != VMX_OK) continue;   /* a field this CPU lacks: never shadowed */
        if (v == f[row]) continue;
        f[row] = v;
        nested_vmwrite_done(p, enc);                        /* as if L1's VMWRITE had exited */
    }
    load_vmcs01(p, sl);
    n->shadow_pulls++;
}

/* VMCS12 -> shadow: the rows L0 changed since the slot was last filled. */
static void flush(struct pcpu *p, struct shadow01_slot *sl)
{
    vmcs_load(p, sl->pa);
    volatile u64 *f = vmcs12_fields(sl->vmcs12);
    for (unsigned w = 0; w < 4; w++) {
        for (u64 d = sl->stale[w]; d; d &= d - 1) {
            unsigned row = w * 64 + (unsigned)__builtin_ctzll(d);
            if (vmcs_write_any(vmcs_field_table[row].encoding, f[row]) != VMX_OK)
                LOG_RL("shadow VMCS: VMWRITE of %s failed (L1 reads a stale value)", vmcs_field_table[row].name);
            p->nested.shadow_rows_flushed++;
        }
        sl->stale[w] = 0;
    }
    load_vmcs01(p, sl);
    p->nested.shadow_flushes++;
}

static struct shadow01_slot *slot_for(struct nested *n, u64 vmcs12)
{
    struct shadow01_slot *lru = &n->shadow[0];
    for (unsigned s = 0; s < SHADOW01_SLOTS; s++) {
        struct shadow01_slot *sl = &n->shadow[s];
        if (sl->vmcs12 == vmcs12) { sl->used = ++n->shadow_clock; return sl; }
        if (sl->used < lru->used) lru = sl;
    }
    lru->vmcs12 = vmcs12;                 /* a miss: the whole VMCS12 goes in */
    memcpy(lru->stale, read_rows, sizeof lru->stale);
    u32 rev = 0;
    l1_read(vmcs12, &rev, 4);
    lru->shadow_type = (rev & VMCS12_SHADOW_BIT) != 0;
    lru->used = ++n->shadow_clock;
    return lru;
}

/* L1 forgets a VMCS12 (VMCLEAR) or all of them (VMXOFF, ~0): the slots go (what L1
 * wrote through them was pulled when the instruction exited). */
void shadow01_drop(struct pcpu *p, u64 vmcs12)
{
    if (!enabled) return;
    struct nested *n = &p->nested;
    for (unsigned s = 0; s < SHADOW01_SLOTS; s++) {
        if (vmcs12 != ~0ull && n->shadow[s].vmcs12 != vmcs12) continue;
        n->shadow[s].vmcs12 = ~0ull;
        n->shadow[s].used = 0;
    }
}

/* Before every entry into L1 (VMCS01 current): link the current VMCS12's slot, filled,
 * or switch shadowing off when L1 has no current VMCS (its VMREADs then exit and get
 * VMfailInvalid, or #UD outside VMX operation, from L0). */
void shadow01_before_l1_entry(struct pcpu *p)
{
    if (!enabled) return;
    struct nested *n = &p->nested;
    struct shadow01_slot *sl = NULL;
    if (n->vmxon && n->current != ~0ull) {
        if (!n->shadow_ready) cpu_ready(p);
        sl = slot_for(n, n->current);
        if (sl->stale[0] | sl->stale[1] | sl->stale[2] | sl->stale[3]) flush(p, sl);
    }
    int want = sl ? (int)(sl - n->shadow) + 1 : 0;
    if (want == n->shadow_linked) return;
    u32 sec = vmcs_read32(VMCS_SECONDARY_CONTROLS);
    /* SDM 26.3.1.5: with shadowing on, the link pointer names a VMCS whose shadow-VMCS
     * indicator is 1; with it off, ~0 (an indicator of 0 would be required) */
    if (sl) {
        /* a shadow VMCS12 (L1 fills the one it links for its own guest) takes every write
         * without an exit: nothing L0 builds depends on it until L1 loads another VMCS */
        vmcs_write64(VMCS_VMWRITE_BITMAP, va_to_pa(sl->shadow_type ? vmwrite_all_bitmap : vmwrite_bitmap));
        vmcs_write64(VMCS_VMCS_LINK_POINTER, sl->pa);
        vmcs_write32(VMCS_SECONDARY_CONTROLS, sec | SEC_VMCS_SHADOWING);
    } else {
        vmcs_write64(VMCS_VMCS_LINK_POINTER, ~0ull);
        vmcs_write32(VMCS_SECONDARY_CONTROLS, sec & ~SEC_VMCS_SHADOWING);
    }
    n->shadow_linked = want;
}
