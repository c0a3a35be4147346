/* nmi_exp.h - NMI experiments: the per-CPU event recorder, the scripted L2 guest, the runner and the experiment table */
#ifndef LHV_TESTS_NMI_EXP_H
#define LHV_TESTS_NMI_EXP_H

#include "lhv.h"

/*
 * An experiment sets up one guest (pin controls, interruptibility, injection), runs a
 * short script in L2 and records, in order, who saw what: the guest's NMI and interrupt
 * handlers ("gN", "gI40"), the host's NMI handler ("hN"), every VM exit the host takes
 * ("x0:80000202 ib8": reason, exit detail, guest interruptibility bits 0-3) and script
 * markers ("g:send", "g:none"). The record is the experiment's OUTCOME line and must be
 * the same bare and under nestvisor; it holds no counts that depend on timing: every
 * wait ends on an event (bounded: a wait that sees nothing records "none").
 */

#define NX_REC 400

struct nx {
    char rec[NX_REC];
    volatile u32 len;
    volatile u32 events;          /* bumped by every record: what the guest's waits watch */
    u32 snap;                     /* events before the last NMI was sent */
    volatile int gmode;           /* what the guest's NMI handler does (GM_*) */
    volatile u32 gdepth;          /* guest NMI handler nesting (must stay <= 1) */
    u32 nexits;                   /* exits of this experiment so far */
    bool keep_blocked;            /* the exit hook IRETs itself (or leaves NMIs blocked) */
    bool mark_rip;                /* exits say where L2 was: @r = where it was resumed (no
                                     instruction ran), @i = the interrupt's handler, @n = the
                                     NMI handler; only where that point is not timing-dependent */
    uintptr_t resume_rip;
    /* the experiment's own reaction to an exit: return true when it handled it
     * (resume), false for the default (record, VMCALLs, stop at HC_DONE) */
    bool (*on_exit)(struct cpu *c, struct nx *x, u32 reason);
};

/* the guest's NMI handler modes */
#define GM_PLAIN 0                /* record gN, return */
#define GM_REPORT 1               /* record gN, VMCALL(HC_REPORT) from inside the handler, return */
#define GM_SEND1 2                /* record gN, send one self NMI, wait, record gN-end */
#define GM_SEND2 3                /* the same with two self NMIs */

#define NX_TAG 0x4e5845u          /* HC_REPORT tag of the experiments */
#define NX_WAIT 40000u            /* bound of a guest wait (iterations) */

struct nx *nx_me(void);
void nx_ev(struct nx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));  /* a marker */
void nx_hit(struct nx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3))); /* an event waits see */
void nx_self_nmi(struct nx *x);           /* NMI to our own APIC ID (ICR, no shorthand) */
bool nx_wait(struct nx *x, u32 bound);    /* until an event after the last send; false: none */
void nx_host_send_and_wait(struct nx *x, unsigned n); /* host: n self NMIs, then wait (h:none if held) */
void nx_host_iret(struct nx *x);          /* host: "h:iret", IRET to self (ends NMI blocking) */
void nx_inject_intr(void);                /* VM entry injects external interrupt NX_VEC (RFLAGS.IF=1) */

/* The scripted guest: one character per step.
 *   s  send a self NMI ("g:send")        w  wait for its effect (bounded; "g:none" if none)
 *   i  IRET to self ("g:iret")           r  VMCALL report (the host records the exit)
 *   x  ask the partner CPU for an NMI ("g:xsend"), then wait as w
 *   m  marker "g:m"                      c  CLI (after an injected interrupt)  */
void nx_guest_script(uintptr_t script);

/* Guest set-up: a fresh VMCS running 'script' with these pin controls (added to the
 * required ones), extra primary controls, interruptibility and entry injection. */
void nx_setup(struct cpu *c, struct nx *x, const char *script, u32 pin, u32 proc, u32 intr, u32 inject);
/* Runs the guest until HC_DONE, an entry failure or VMfail; records every exit. */
void nx_run(struct cpu *c, struct nx *x);

u32 nx_pin(u32 want);
/* exit hook: after the first (NMI) exit L1 sends itself an NMI while the exit's NMI
 * blocking holds (SDM 27.1), then IRETs */
bool nx_host_holds(struct cpu *c, struct nx *x, u32 reason);                     /* pin controls: want + the CPU's required ones */

struct nx_exp { const char *name; void (*run)(struct cpu *c, struct nx *x); bool cross_cpu; };
extern const struct nx_exp nx_exps_a[], nx_exps_b[];
extern const unsigned nx_exps_a_count, nx_exps_b_count;

#define NE PIN_NMI_EXITING
#define VN (PIN_NMI_EXITING | PIN_VIRTUAL_NMIS)
#define IB_NMI INTERRUPTIBILITY_NMI
#define INJ_NMI (INTR_INFO_VALID | INTR_TYPE_NMI | 2)
#define NX_VEC 0x40
#define INJ_INTR (INTR_INFO_VALID | INTR_TYPE_EXT_INTR | NX_VEC)

#endif
