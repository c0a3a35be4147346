/* vmx_operand.h - where the operand of an exiting VMX instruction is, and how touching it faults (pure logic). */
#ifndef NESTVISOR_PURE_VMX_OPERAND_H
#define NESTVISOR_PURE_VMX_OPERAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * When L1 executes VMXON, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, INVEPT
 * or INVVPID, the CPU exits to L0 before touching the operand. L0 then needs
 * what the CPU would have done: the register, or the memory operand's
 * effective address, segment, linear address and the fault the access
 * raises. This decodes it from:
 *  - the VM-exit instruction-information field, SDM Vol. 3C "Information
 *    for VM Exits Due to Instruction Execution" (the brief's §27.2.5), tables
 *    "Format of the VM-Exit Instruction-Information Field as Used for INVEPT,
 *    INVPCID, and INVVPID", "... for VMCLEAR, VMPTRLD, VMPTRST, VMXON,
 *    XRSTORS, and XSAVES" and "... for VMREAD and VMWRITE";
 *  - the exit qualification, which for these exits holds the displacement
 *    (SDM "Basic VM-Exit Information", exit qualification);
 *  - the guest registers and segment registers (VMCS guest-state area).
 * Section numbers move between SDM editions; titles are quoted so they can
 * be searched. Numbers follow the edition lib/vmx_defs.h cites (VMCS ch. 25,
 * VMX instruction reference ch. 31).
 *
 * Not done here (the caller's job, in the order of the instruction's
 * pseudocode in SDM §31.3): the CPL > 0 #GP(0) check, which comes before any
 * operand access; VMfail decisions; paging (#PF) and EPT. The caller applies
 * `fault` only at the point the instruction would touch memory (e.g. VMREAD
 * with an invalid current-VMCS pointer VMfails without writing, so without
 * faulting). #AC cannot arise: these instructions #GP at CPL > 0.
 */

/* Segment numbers, as in bits 17:15 of the instruction information and in the VMCS field order. */
enum { VMX_SEG_ES = 0, VMX_SEG_CS = 1, VMX_SEG_SS = 2, VMX_SEG_DS = 3, VMX_SEG_FS = 4, VMX_SEG_GS = 5,
       VMX_SEG_COUNT = 6 };

/* Instruction-information bits (the three tables above; common layout, "undefined" parts noted). */
#define VMX_II_SCALE(ii)      ((unsigned)(ii) & 3u)          /* 1:0 index scale 2^n; undefined without index */
#define VMX_II_REG1(ii)       (((unsigned)(ii) >> 3) & 15u)  /* 6:3 VMREAD/VMWRITE register form only */
#define VMX_II_ASIZE(ii)      (((unsigned)(ii) >> 7) & 7u)   /* 9:7 0 = 16, 1 = 32, 2 = 64-bit; others unused */
#define VMX_II_REG_FORM       (1u << 10)                     /* VMREAD/VMWRITE: 1 = register operand;
                                                                "cleared to 0" for the memory-only forms */
#define VMX_II_SEG(ii)        (((unsigned)(ii) >> 15) & 7u)  /* 17:15 VMX_SEG_*; 6, 7 unused */
#define VMX_II_INDEX(ii)      (((unsigned)(ii) >> 18) & 15u) /* 21:18 */
#define VMX_II_INDEX_INVALID  (1u << 22)
#define VMX_II_BASE(ii)       (((unsigned)(ii) >> 23) & 15u) /* 26:23 */
#define VMX_II_BASE_INVALID   (1u << 27)
#define VMX_II_REG2(ii)       (((unsigned)(ii) >> 28) & 15u) /* 31:28 VMREAD/VMWRITE, INVEPT/INVVPID only */

/* Access-rights bits in the VMCS format (SDM §25.4.1, table "Format of Access Rights"). */
#define VMX_AR_TYPE_MASK      0xFu
#define VMX_AR_TYPE_WR        (1u << 1)    /* data: writable; code: readable */
#define VMX_AR_TYPE_EC        (1u << 2)    /* data: expand-down; code: conforming */
#define VMX_AR_TYPE_CODE      (1u << 3)
#define VMX_AR_S              (1u << 4)
#define VMX_AR_P              (1u << 7)
#define VMX_AR_L              (1u << 13)   /* CS only: 64-bit code */
#define VMX_AR_DB             (1u << 14)
#define VMX_AR_G              (1u << 15)
#define VMX_AR_UNUSABLE       (1u << 16)

/* One guest segment register as the VMCS holds it: limit already scaled by G (byte granular). */
struct vmx_guest_seg {
    uint64_t base;
    uint32_t limit;
    uint32_t ar;
};

struct vmx_operand_ctx {
    uint32_t insn_info;       /* VMCS VM-exit instruction information (0x440E) */
    uint64_t qualification;   /* VMCS exit qualification (0x6400): the displacement, see below */
    uint64_t gpr[16];         /* SDM register numbers: 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP (from the
                                 VMCS guest RSP), 5 RBP, 6 RSI, 7 RDI, 8..15 R8..R15; upper halves
                                 may be anything outside 64-bit mode, they are ignored */
    struct vmx_guest_seg seg[VMX_SEG_COUNT]; /* ES, CS, SS, DS, FS, GS */
    bool lma;                 /* IA32_EFER.LMA (after an exit: the "IA-32e mode guest" entry control) */
    bool protected_mode;      /* CR0.PE */
    bool la57;                /* CR4.LA57: 57-bit instead of 48-bit canonical addresses */
};

/* Fault vectors; the error code is always 0 (#GP(0), #SS(0)). */
#define VMX_FAULT_NONE 0
#define VMX_FAULT_SS   12
#define VMX_FAULT_GP   13

/* Why an access faults, for logs and tests. */
enum { VMX_WHY_OK = 0, VMX_WHY_NONCANONICAL, VMX_WHY_UNUSABLE, VMX_WHY_NOT_PRESENT,
       VMX_WHY_TYPE, VMX_WHY_LIMIT };

/* Reads or writes: VMPTRST and VMREAD-to-memory write, the others read. */
enum vmx_access { VMX_ACCESS_READ = 0, VMX_ACCESS_WRITE = 1 };

struct vmx_operand {
    bool is_reg;          /* register operand (VMREAD/VMWRITE register form only) */
    unsigned reg;         /* is_reg: the GPR number, 0..15 */
    unsigned size;        /* operand size in bytes: 4/8 (VMREAD/VMWRITE), 8, or 16 (INVEPT/INVVPID) */
    /* memory operands only (zero for registers): */
    unsigned seg;         /* VMX_SEG_* */
    unsigned addr_size;   /* 16, 32 or 64 */
    uint64_t ea;          /* effective address (segment offset), truncated to addr_size */
    uint64_t linear;      /* linear address of the first byte; < 2^32 outside 64-bit mode */
    int fault;            /* VMX_FAULT_NONE, _GP or _SS: what touching the operand raises */
    uint32_t error_code;  /* 0 */
    unsigned why;         /* VMX_WHY_* */
};

/* Return values of the decoders. */
#define VMX_OPERAND_OK    0
#define VMX_OPERAND_EBAD  (-1)   /* an encoding no CPU produces (reserved address size or segment,
                                    64-bit addressing outside 64-bit mode, 16-bit inside it), or a
                                    bad size / exit reason: an L0 bug or a corrupt VMCS, not a
                                    guest fault. `out` is zeroed. */

/* 64-bit mode: IA32_EFER.LMA and CS.L (SDM Vol. 3A "IA-32e Mode"); LMA with CS.L = 0 is compatibility mode. */
bool vmx_ctx_is_64bit(const struct vmx_operand_ctx *c);

/*
 * The memory operand of size bytes (1..16), read or written. Returns
 * VMX_OPERAND_OK (out->fault tells whether the access faults) or
 * VMX_OPERAND_EBAD. Ignores bit 10 and the Reg1/Reg2 fields.
 */
int vmx_decode_mem_operand(const struct vmx_operand_ctx *c, unsigned size, enum vmx_access acc,
                           struct vmx_operand *out);

/*
 * VMREAD's destination (vmread = true, written) or VMWRITE's source (read):
 * the Reg1 register if bit 10 is set, else memory. Either way 8 bytes in
 * 64-bit mode and 4 outside it (SDM §31.3 VMREAD/VMWRITE: "32 bits outside
 * IA-32e mode ... 64 bits in 64-bit mode"; compatibility mode is not
 * mentioned, but it #UDs before it could exit, so 4 is only a definite
 * answer).
 */
int vmx_decode_vmrw_operand(const struct vmx_operand_ctx *c, bool vmread, struct vmx_operand *out);

/*
 * The operand of the instruction behind a basic exit reason (bits 15:0 are
 * used): VMXON, VMCLEAR, VMPTRLD read 8 bytes; VMPTRST writes 8; INVEPT and
 * INVVPID read a 16-byte descriptor; VMREAD and VMWRITE as above. Other
 * reasons: VMX_OPERAND_EBAD.
 */
int vmx_decode_exit_operand(const struct vmx_operand_ctx *c, uint32_t exit_reason, struct vmx_operand *out);

/* Reg2: VMREAD/VMWRITE's field-encoding register, INVEPT/INVVPID's type register. */
unsigned vmx_decode_reg2(const struct vmx_operand_ctx *c);

/*
 * A register operand's value at the instruction's operand size: all 64 bits
 * in 64-bit mode, the low 32 outside (SDM §31.3: VMREAD/VMWRITE's field
 * encoding and INVEPT/INVVPID's type have 32 bits outside 64-bit mode,
 * "regardless of CS.D"). The caller still checks the value: a field
 * encoding with bits 63:32 set is an unsupported field (VMfailValid 12).
 */
uint64_t vmx_reg_value(const struct vmx_operand_ctx *c, unsigned reg);

/* What a register destination receives: v truncated and zero-extended to the operand size (as above). */
uint64_t vmx_reg_result(const struct vmx_operand_ctx *c, uint64_t v);

/* "ES".."GS" / "?"; "ok", "non-canonical", "unusable", "not present", "type", "limit" / "?" for logs. */
const char *vmx_seg_name(unsigned seg);
const char *vmx_why_name(unsigned why);

#endif /* NESTVISOR_PURE_VMX_OPERAND_H */
