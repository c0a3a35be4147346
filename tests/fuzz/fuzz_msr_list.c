/* libFuzzer harness for pure/msr_list.c: the three VMCS12 MSR lists over a fake L1 memory and MSR file, checked against a model. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pure/msr_list.h"
#include "lib/vmx_defs.h"

/*
 * Input layout (shorter inputs are zero-padded, extra bytes ignored):
 *   [0]        bits 1:0 list kind (3 -> entry load); bits 3:2 count form: 0 count % 80,
 *              1 count as is, 2 limit - 2 + count % 5, 3 count % 8; bit 4 no write callback;
 *              bit 5 no MSR callbacks
 *   [1..4]     count (little-endian)
 *   [5..12]    IA32_VMX_MISC as L1 sees it (bits 27:25 give the limit)
 *   [13]       address form, bits 1:0: 0 MEM + 16 * ([14] % 70) - 64 (may start before the
 *              memory), 1 MEM + [14..15] % 0x500 (may be misaligned), 2 [14..21] raw, 3 MEM
 *   [22..37]   four MSR indices whose RDMSR/WRMSR raise #GP
 *   [38]       physical-address width for msr_list_area_ok (any value)
 *   [39..]     L1 memory: 64 entries of 16 bytes at MEM; nothing else is memory
 * Invariants, against a model written from the SDM's lists (not the module's shape): the
 * result (ok, failing entry number, its MSR, exit reason 0x80000022 / abort 1 or 4,
 * processed, truncated) equals the model's; the callbacks are called in the list's order,
 * on entries 1..n only, 16-byte reads and 8-byte writes at +8, RDMSR only for the store list
 * and WRMSR only for the load lists; memory changes only in the values of stored entries;
 * the rule text names the right section; msr_list_area_ok() equals a 128-bit model.
 */
#define IN_LEN   (39 + 64 * 16)
#define MEM      0x100000ull
#define NENT     64

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint8_t mem[NENT * 16], mem0[NENT * 16];
static uint32_t gp[4];
static uint64_t list_addr;
static enum msr_list_kind kind;
static unsigned nreads, nwrites, nrd, nwr;   /* callback calls, in order */
static uint32_t last_msr_call;

static bool in_mem(uint64_t gpa, unsigned len) { return gpa >= MEM && gpa - MEM <= sizeof mem - len; }

static bool fx_read(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
    CHECK(ctx == mem);
    CHECK(len == 16);
    CHECK(gpa == list_addr + 16u * (uint64_t)nreads);     /* entry nreads + 1, in order */
    nreads++;
    CHECK(nrd + nwr == nreads - 1);                       /* the previous entry's MSR access is done */
    if (!in_mem(gpa, len)) return false;
    memcpy(buf, mem + (gpa - MEM), len);
    return true;
}

static bool fx_write(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
    CHECK(ctx == mem);
    CHECK(kind == MSR_LIST_EXIT_STORE);
    CHECK(len == 8);
    CHECK(gpa == list_addr + 16u * (uint64_t)(nreads - 1) + 8u);   /* the entry just read */
    CHECK(nrd == nreads);
    nwrites++;
    if (!in_mem(gpa, len)) return false;
    memcpy(mem + (gpa - MEM), buf, len);
    return true;
}

static bool faults(uint32_t msr) { return msr == gp[0] || msr == gp[1] || msr == gp[2] || msr == gp[3]; }
static uint64_t msr_val(uint32_t msr) { return (uint64_t)msr * 0x9E3779B97F4A7C15ull; }

static int fx_rdmsr(void *ctx, uint32_t msr, uint64_t *v)
{
    CHECK(ctx == mem);
    CHECK(kind == MSR_LIST_EXIT_STORE);
    nrd++;
    CHECK(nrd == nreads);
    last_msr_call = msr;
    if (faults(msr)) return 13;
    *v = msr_val(msr);
    return 0;
}

static int fx_wrmsr(void *ctx, uint32_t msr, uint64_t v)
{
    (void)v;
    CHECK(ctx == mem);
    CHECK(kind != MSR_LIST_EXIT_STORE);
    nwr++;
    CHECK(nwr == nreads);
    last_msr_call = msr;
    return faults(msr) ? 13 : 0;
}

/* ---- the model ---- */

/* The MSRs each list's rules name (26.4, 27.4, 27.6; microcode MSRs as nestvisor's model-specific choice). */
static const uint32_t named[3][6] = {
    [MSR_LIST_ENTRY_LOAD] = { 0xc0000100, 0xc0000101, 0x9b, 0x9e, 0x79, 0x8b },
    [MSR_LIST_EXIT_STORE] = { 0x9e, 0x9e, 0x9e, 0x9e, 0x9e, 0x9e },
    [MSR_LIST_EXIT_LOAD] = { 0xc0000100, 0xc0000101, 0x9b, 0x79, 0x8b, 0x8b },
};

static bool model_entry_bad(enum msr_list_kind k, uint32_t index, uint32_t reserved)
{
    if (reserved != 0 || (index >= 0x800 && index <= 0x8ff)) return true;
    for (unsigned i = 0; i < 6; i++)
        if (named[k][i] == index) return true;
    return false;
}

struct model { bool ok, truncated; uint32_t entry, msr, processed; };

static struct model run_model(enum msr_list_kind k, uint32_t count, uint32_t limit, bool have_read, bool have_msr)
{
    struct model m = { .ok = true };
    uint32_t n_max = count < limit ? count : limit;

    m.truncated = k != MSR_LIST_ENTRY_LOAD && count > limit;
    for (uint64_t n = 1; n <= n_max; n++) {
        uint64_t at = list_addr + 16 * (n - 1);
        uint32_t index = 0xffffffffu, reserved = 0xffffffffu;
        if (have_read && in_mem(at, 16)) {
            index = (uint32_t)le(mem0 + (at - MEM), 4);
            reserved = (uint32_t)le(mem0 + (at - MEM) + 4, 4);
        }
        if (model_entry_bad(k, index, reserved) || !have_msr || faults(index)) {
            m.ok = false;
            m.entry = (uint32_t)n;
            m.msr = index;
            return m;
        }
        m.processed = (uint32_t)n;
    }
    if (k == MSR_LIST_ENTRY_LOAD && count > limit) {
        m.ok = false;
        m.entry = limit + 1;
        m.msr = 0;
    }
    return m;
}

static bool model_area_ok(uint64_t addr, uint32_t count, unsigned width)
{
    unsigned w = width < 32 ? 32 : width > 52 ? 52 : width;
    unsigned __int128 last = (unsigned __int128)addr + (unsigned __int128)count * 16 - 1;

    if (count == 0) return true;
    return addr % 16 == 0 && addr < (1ull << w) && last < ((unsigned __int128)1 << w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t in[IN_LEN] = { 0 };
    memcpy(in, data, size < IN_LEN ? size : IN_LEN);

    kind = (in[0] & 3) == 3 ? MSR_LIST_ENTRY_LOAD : (enum msr_list_kind)(in[0] & 3);
    uint64_t misc = le(in + 5, 8);
    uint32_t limit = msr_list_limit(misc);
    CHECK(limit == 512u * (((misc >> 25) & 7) + 1));
    uint32_t count = (uint32_t)le(in + 1, 4);
    switch ((in[0] >> 2) & 3) {
    case 0: count %= 80; break;
    case 1: break;
    case 2: count = limit - 2 + count % 5; break;
    default: count %= 8; break;
    }
    switch (in[13] & 3) {
    case 0: list_addr = MEM + 16ull * (in[14] % 70) - 64; break;
    case 1: list_addr = MEM + le(in + 14, 2) % 0x500; break;
    case 2: list_addr = le(in + 14, 8); break;
    default: list_addr = MEM; break;
    }
    for (unsigned i = 0; i < 4; i++) gp[i] = (uint32_t)le(in + 22 + 4 * i, 4);
    memcpy(mem, in + 39, sizeof mem);
    memcpy(mem0, mem, sizeof mem);

    /* the area check against the 128-bit model, on this input's address and count */
    CHECK(msr_list_area_ok(list_addr, count, in[38]) == model_area_ok(list_addr, count, in[38]));

    bool no_write = in[0] & 0x10, no_msr = in[0] & 0x20;
    struct msr_list_ops ops = { fx_read, no_write ? NULL : fx_write, no_msr ? NULL : fx_rdmsr,
                                no_msr ? NULL : fx_wrmsr, mem };
    nreads = nwrites = nrd = nwr = 0;
    struct msr_list_result r = msr_list_process(kind, list_addr, count, limit, &ops);
    struct model m = run_model(kind, count, limit, true, !no_msr);

    CHECK(r.ok == m.ok);
    CHECK(r.truncated == m.truncated);
    CHECK(r.processed == m.processed);
    if (r.ok) {
        CHECK(r.entry == 0 && r.msr == 0 && r.exit_reason == 0 && r.abort == 0 && r.why == NULL);
    } else {
        CHECK(r.entry == m.entry && r.msr == m.msr && r.why != NULL);
        CHECK(r.entry >= 1 && r.entry <= limit + 1 && r.entry <= count);
        if (kind == MSR_LIST_ENTRY_LOAD) {
            CHECK(r.exit_reason == (EXIT_REASON_FAILED_ENTRY | EXIT_REASON_ENTRY_FAIL_MSR) && r.abort == 0);
            CHECK(strncmp(r.why, r.entry > limit ? "24.8.2" : "26.4", r.entry > limit ? 6 : 4) == 0);
        } else {
            CHECK(r.exit_reason == 0);
            CHECK(r.abort == (kind == MSR_LIST_EXIT_STORE ? 1u : 4u));
            CHECK(strncmp(r.why, kind == MSR_LIST_EXIT_STORE ? "27.4" : "27.6", 4) == 0);
        }
    }
    /* the callbacks: entries 1..processed (and the failing one) read once each, in order */
    uint32_t touched = r.processed + (!r.ok && r.entry <= limit ? 1 : 0);
    CHECK(nreads == touched);
    if (kind == MSR_LIST_EXIT_STORE) {
        CHECK(nwr == 0);
        CHECK(nwrites == (no_write ? 0 : r.processed));
    } else {
        CHECK(nrd == 0 && nwrites == 0);
    }
    if (!no_msr && !r.ok && r.entry <= limit && nrd + nwr == nreads) CHECK(last_msr_call == r.msr && faults(r.msr));

    /* memory: only the values of stored entries changed, to what RDMSR gave */
    static uint8_t want[sizeof mem];
    memcpy(want, mem0, sizeof want);
    if (kind == MSR_LIST_EXIT_STORE && !no_write) {
        for (uint64_t n = 1; n <= r.processed; n++) {
            uint64_t at = list_addr + 16 * (n - 1), v;
            if (!in_mem(at + 8, 8)) continue;
            CHECK(in_mem(at, 8));          /* a processed entry was read from memory */
            v = msr_val((uint32_t)le(mem0 + (at - MEM), 4));
            memcpy(want + (at + 8 - MEM), &v, 8);
        }
    }
    CHECK(memcmp(mem, want, sizeof mem) == 0);

    /* per-entry rules alone: deterministic, and the model's verdict, for every kind */
    for (unsigned i = 0; i < NENT && i < 8; i++) {
        struct msr_list_entry e;
        memcpy(&e, mem0 + 16 * i, sizeof e);
        for (unsigned k = 0; k < 3; k++) {
            const char *why = msr_list_check_entry((enum msr_list_kind)k, &e);
            CHECK((why != NULL) == model_entry_bad((enum msr_list_kind)k, e.index, e.reserved));
            CHECK(why == msr_list_check_entry((enum msr_list_kind)k, &e));
        }
    }
    return 0;
}
