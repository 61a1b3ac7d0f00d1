/* insn_count.c - a QEMU TCG plugin that counts guest instructions exactly between markers the
   guest executes. Built with the host compiler as a shared object (tests/qemu/bench.mk) and
   loaded with `qemu-system-riscv64 -plugin build/.../insn_count.so,out=FILE`.

   A marker is the RISC-V instruction `slti x0, x0, IMM` (a HINT: rd = x0, "designated for custom
   use" in the unprivileged ISA's HINT table), a no-op without the plugin. IMM = channel * 8 + op,
   channel 0..255 (a figure: init, one read at depth 1, ...), op:
     1 BEGIN     start a region: instructions from here on are counted
     2 END       end the region: its instructions go to the channel's "kept" sum (one more region)
     3 END_IDLE  end the region as an idle poll: its instructions go to the "idle" sum instead
     4 RELAX_IN  the relax hook (one idle iteration of a library wait) begins
     5 RELAX_OUT the relax hook returns
   Inside a region the plugin also sums what the relax hook ran (RELAX_IN to RELAX_OUT) and the
   gaps between one RELAX_OUT and the next RELAX_IN (one idle iteration of the wait loop: a poll
   that found nothing, the spin bookkeeping, the call of the hook), and keeps the smallest gap:
   the bench subtracts idle polling with these (tests/qemu/blk_bench.py says how).

   Counting: an inline add on every instruction (exact: a block left early by an exception
   counts only what ran). The marker callbacks read the counter; whether a marker's own add
   comes before or after its callback is QEMU's business, so the bench measures an empty region
   (BEGIN then END) and subtracts it. At exit, one line per channel that saw a region:
     INSN ch=C kept_n=N kept=I idle_n=N idle=I relax_n=N relax=I gap=I gap_min=I relaxed_n=N
   relaxed_n: kept regions in which the relax hook ran at least once.
   With the argument hist=C, also one line `HIST vaddr count` per guest instruction executed
   inside regions of channel C (slower: a callback per instruction), for a profile by function.

   The plugin API: the few declarations this file needs from QEMU 7.2's qemu-plugin.h
   (QEMU_PLUGIN_VERSION 1), written here so that no development package is needed. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- From qemu-plugin.h (QEMU 7.2) ---------------------------------------------------------- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* only passed by pointer */
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
#define EXPORT __attribute__((visibility("default")))
EXPORT extern int qemu_plugin_version;
EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                               char **argv);
/* ---------------------------------------------------------------------------------------------- */

EXPORT int qemu_plugin_version = 1;

enum { OP_BEGIN = 1, OP_END, OP_END_IDLE, OP_RELAX_IN, OP_RELAX_OUT };
#define CHANNELS 256

typedef struct channel {
    uint64_t kept_n, kept, idle_n, idle, relax_n, relax, gap, gap_min, relaxed_n;
} channel;

static uint64_t count; /* instructions executed so far (one vCPU: the benches boot one) */
static channel ch[CHANNELS];
static int open_ch = -1;                 /* the channel of the open region, -1 for none */
static uint64_t begin_at, relax_in_at, relax_out_at;
static uint64_t r_relax_n, r_relax, r_gap, r_gap_min; /* of the open region */
static char *out_path;
static int hist_ch = -1;
#define HIST_SLOTS 65536u
static uint64_t hist_addr[HIST_SLOTS], hist_count[HIST_SLOTS];

static void on_insn(unsigned int vcpu, void *userdata)
{
    uint64_t a = (uint64_t)(uintptr_t)userdata;
    unsigned h = (unsigned)((a >> 1) * 2654435761u) & (HIST_SLOTS - 1u), k;
    (void)vcpu;
    if (open_ch != hist_ch)
        return;
    for (k = 0; k < HIST_SLOTS; k++, h = (h + 1u) & (HIST_SLOTS - 1u)) {
        if (hist_count[h] == 0 || hist_addr[h] == a) {
            hist_addr[h] = a;
            hist_count[h]++;
            return;
        }
    }
}

static void on_marker(unsigned int vcpu, void *userdata)
{
    unsigned imm = (unsigned)(uintptr_t)userdata, op = imm & 7u, c = imm >> 3;
    uint64_t now = count;
    (void)vcpu;
    if (c >= CHANNELS)
        return;
    switch (op) {
    case OP_BEGIN:
        open_ch = (int)c;
        begin_at = now;
        r_relax_n = r_relax = r_gap = 0;
        r_gap_min = UINT64_MAX;
        break;
    case OP_END:
    case OP_END_IDLE:
        if (open_ch != (int)c)
            break; /* an END without its BEGIN: ignored */
        if (op == OP_END) {
            ch[c].kept_n++;
            ch[c].kept += now - begin_at;
            ch[c].relax_n += r_relax_n;
            ch[c].relax += r_relax;
            ch[c].gap += r_gap;
            if (r_relax_n) {
                ch[c].relaxed_n++;
                if (r_relax_n > 1 && (ch[c].gap_min == 0 || r_gap_min < ch[c].gap_min))
                    ch[c].gap_min = r_gap_min;
            }
        } else {
            ch[c].idle_n++;
            ch[c].idle += now - begin_at;
        }
        open_ch = -1;
        break;
    case OP_RELAX_IN:
        if (open_ch < 0)
            break;
        if (r_relax_n) {
            uint64_t g = now - relax_out_at;
            r_gap += g;
            if (g < r_gap_min)
                r_gap_min = g;
        }
        r_relax_n++;
        relax_in_at = now;
        break;
    case OP_RELAX_OUT:
        if (open_ch < 0)
            break;
        r_relax += now - relax_in_at;
        relax_out_at = now;
        break;
    }
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t i, n = qemu_plugin_tb_n_insns(tb);
    (void)id;
    for (i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        if (qemu_plugin_insn_size(insn) == 4) {
            uint32_t w;
            memcpy(&w, qemu_plugin_insn_data(insn), 4); /* RISC-V: little-endian parcels */
            if ((w & 0xfffffu) == 0x02013u && (w >> 31) == 0) /* slti x0, x0, IMM >= 0 */
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
                                                       (void *)(uintptr_t)(w >> 20));
        }
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &count, 1);
        if (hist_ch >= 0)
            qemu_plugin_register_vcpu_insn_exec_cb(
                insn, on_insn, QEMU_PLUGIN_CB_NO_REGS,
                (void *)(uintptr_t)qemu_plugin_insn_vaddr(insn));
    }
}

static void on_quit(qemu_plugin_id_t id, void *userdata)
{
    FILE *f = out_path ? fopen(out_path, "w") : stderr;
    unsigned c;
    (void)id;
    (void)userdata;
    if (!f)
        return;
    for (c = 0; c < CHANNELS; c++) {
        const channel *k = &ch[c];
        if (k->kept_n == 0 && k->idle_n == 0)
            continue;
        fprintf(f,
                "INSN ch=%u kept_n=%llu kept=%llu idle_n=%llu idle=%llu relax_n=%llu relax=%llu "
                "gap=%llu gap_min=%llu relaxed_n=%llu\n",
                c, (unsigned long long)k->kept_n, (unsigned long long)k->kept,
                (unsigned long long)k->idle_n, (unsigned long long)k->idle,
                (unsigned long long)k->relax_n, (unsigned long long)k->relax,
                (unsigned long long)k->gap, (unsigned long long)k->gap_min,
                (unsigned long long)k->relaxed_n);
    }
    fprintf(f, "INSN total=%llu\n", (unsigned long long)count);
    for (c = 0; c < HIST_SLOTS; c++)
        if (hist_count[c])
            fprintf(f, "HIST %llx %llu\n", (unsigned long long)hist_addr[c],
                    (unsigned long long)hist_count[c]);
    if (f != stderr)
        fclose(f);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                               char **argv)
{
    int i;
    (void)info;
    for (i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            out_path = strdup(argv[i] + 4);
        } else if (strncmp(argv[i], "hist=", 5) == 0) {
            hist_ch = atoi(argv[i] + 5);
        } else {
            fprintf(stderr, "insn_count: unknown argument %s (out=FILE, hist=C)\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
    qemu_plugin_register_atexit_cb(id, on_quit, NULL);
    return 0;
}
