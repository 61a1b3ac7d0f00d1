/* bench.c - virtio_blk.h in numbers: 4 KiB read latency and throughput, register accesses,
   guest instructions.

   Run by `make bench` (tests/qemu/blk_bench.py), which boots it on a legacy and a modern device
   and prints a table. By hand:
     qemu-system-riscv64 -M virt -bios none -nographic -kernel build/riscv64/bench.elf \
         -drive file=disk.img,if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0 \
         [-plugin build/insn_count.so,out=insn.txt]

   Two passes over the same device:
   1. registers: probe, init, REG_QD1 reads at queue depth 1 and REG_QDN with many in flight,
      through a wrapper around the MMIO accessor that counts every register access
      (examples/platform/count_regs.h). In a VM each one is an exit to the hypervisor.
   2. plain: probe and init again with the plain accessor (what a bootloader uses), then
      - latency: 4 KiB reads one at a time (queue depth 1, blocking virtio_blk_read);
      - throughput: 4 KiB reads with up to NREQS in flight (virtio_blk_submit / virtio_blk_poll),
      timed with the 10 MHz `time` CSR. Each phase stops after a fixed number of requests or a
      time budget, whichever comes first, so a slow machine gives fewer samples instead of a
      timeout.
   Guest instructions: this pass brackets what it measures with markers (BENCH_MARK: the HINT
   `slti x0, x0, imm`, a no-op) that the QEMU plugin tests/qemu/plugin/insn_count.c watches:
   the probe, the init, each blocking read, each submit and each poll (a poll or submit that
   finds nothing to do is counted apart as idle). A relax hook marks each idle iteration of a
   library wait, so the plugin can take idle polling out of the blocking reads. Without the
   plugin the markers do nothing.
   Results are `BENCH` lines of integers (no floating point here); blk_bench.py turns them into
   microseconds, MiB/s and per-request figures. Reads only: the disk is not modified. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "virtio_blk.h"

#include "platform/count_regs.h"
#include "platform/platform.h"
#include "example.h"

#define QUEUE_SIZE 256u
#define NREQS 64u              /* in flight in the throughput phase (3 descriptors each) */
#define REQ_BYTES 4096u
#define QD1_REQUESTS 2000u
#define QDN_REQUESTS 8000u
#define REG_QD1 200u           /* requests of the register pass */
#define REG_QDN 800u
#define WARMUP 50u
#define BUDGET_TICKS (5u * PLAT_TIMEBASE_HZ) /* at most 5 s per phase */
#define SPAN_SECTORS 8192u     /* reads cycle over the first 4 MiB */

/* Plugin markers: channel * 8 + op (tests/qemu/plugin/insn_count.c). One instruction each. */
enum { MARK_BEGIN = 1, MARK_END, MARK_END_IDLE, MARK_RELAX_IN, MARK_RELAX_OUT };
enum { CH_NONE = 0, CH_CALIB, CH_PROBE, CH_INIT, CH_QD1, CH_SUBMIT, CH_POLL, CH_INIT_DEFAULT,
       PASS_REGS = 8 };
#if defined(__riscv)
#define BENCH_MARK(ch, op) __asm__ volatile("slti zero, zero, %0" ::"i"((ch) * 8 + (op)) : "memory")
#else /* the plugin reads riscv markers only; elsewhere the bench reports times and registers */
#define BENCH_MARK(ch, op) __asm__ volatile("" ::"i"((ch) * 8 + (op)) : "memory")
#endif
/* Computes an argument before the BEGIN marker, so the region holds the call, not the bench's
   arithmetic. */
#define BENCH_ARGS_READY(x) __asm__ volatile("" ::"r"(x))

static uint8_t mem[VIRTIO_BLK_MEM(QUEUE_SIZE, NREQS)] __attribute__((aligned(4096)));
static uint8_t bufs[NREQS][REQ_BYTES] __attribute__((aligned(4096)));
static virtio_blk blk;
static count_regs counter;

/* The relax hook: marks one idle iteration of a library wait and lets it go on. */
static int bench_relax(void *user, uint32_t iteration)
{
    (void)user;
    (void)iteration;
    BENCH_MARK(CH_NONE, MARK_RELAX_IN);
    BENCH_MARK(CH_NONE, MARK_RELAX_OUT);
    return 0;
}

/* Consecutive 4 KiB blocks, wrapping inside the span. */
static uint64_t block_sector(uint32_t i)
{
    return (uint64_t)(i * (REQ_BYTES / VIRTIO_BLK_SECTOR_SIZE)) % SPAN_SECTORS;
}

static void report(const char *phase, uint32_t requests, uint64_t ticks, uint32_t most)
{
    plat_puts("BENCH ");
    plat_puts(phase);
    plat_puts(" requests=");
    plat_put_dec(requests);
    plat_puts(" bytes=");
    plat_put_dec((uint64_t)requests * REQ_BYTES);
    plat_puts(" ticks=");
    plat_put_dec(ticks);
    plat_puts(" hz=");
    plat_put_dec(PLAT_TIMEBASE_HZ);
    plat_puts(" reg_reads=");
    plat_put_dec(counter.reads);
    plat_puts(" reg_writes=");
    plat_put_dec(counter.writes);
    plat_puts(" max_in_flight=");
    plat_put_dec(most);
    plat_putc('\n');
}

/* Queue depth 1: each read is submitted, waited for and returned before the next. */
/* Inlined, so that `pass` (a channel offset: 0 or PASS_REGS) is a constant for the markers. */
static inline __attribute__((always_inline)) void bench_qd1(const char *phase, uint32_t requests,
                                                            unsigned pass)
{
    uint32_t i;
    for (i = 0; i < WARMUP; i++) {
        int r = virtio_blk_read(&blk, block_sector(i), bufs[0], REQ_BYTES);
        if (r != 0)
            ex_fail("warm-up read", r);
    }
    counter.reads = counter.writes = 0;
    uint64_t t0 = plat_ticks(), t = t0;
    for (i = 0; i < requests && t - t0 < BUDGET_TICKS; i++) {
        uint64_t sector = block_sector(i);
        BENCH_ARGS_READY(sector);
        BENCH_MARK(pass + CH_QD1, MARK_BEGIN);
        int r = virtio_blk_read(&blk, sector, bufs[0], REQ_BYTES);
        BENCH_MARK(pass + CH_QD1, MARK_END);
        if (r != 0)
            ex_fail("read", r);
        t = plat_ticks();
    }
    report(phase, i, t - t0, 1);
}

/* Many in flight: keep submitting until the driver says ENOSPC, then take one completion. */
static inline __attribute__((always_inline)) void bench_qdn(const char *phase, uint32_t requests,
                                                            unsigned pass)
{
    uint32_t submitted = 0, completed = 0, most = 0;
    /* Buffer b is in use by request id_of[b] while busy[b]. Ids are the driver's opaque names,
       so completions are matched by a search (64 compares: noise next to one MMIO access). */
    unsigned id_of[NREQS], free_bufs[NREQS], nfree = NREQS;
    uint8_t busy[NREQS];

    for (unsigned i = 0; i < NREQS; i++) {
        free_bufs[i] = i;
        busy[i] = 0;
    }
    counter.reads = counter.writes = 0;
    uint64_t t0 = plat_ticks(), t = t0;
    int stop = 0, drained = 1;
    while (!stop || completed < submitted) {
        /* Refill only once the completions that are there have all been taken: the device then
           sees the whole refill at the next poll, with one notification at most. */
        while (!stop && drained && nfree > 0) {
            unsigned id, b = free_bufs[nfree - 1];
            uint64_t sector = block_sector(submitted);
            uint8_t *p = bufs[b];
            BENCH_ARGS_READY(sector);
            BENCH_ARGS_READY(p);
            BENCH_MARK(pass + CH_SUBMIT, MARK_BEGIN);
            int r = virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, sector, p, REQ_BYTES, &id);
            if (r == VIRTIO_ENOSPC) {
                BENCH_MARK(pass + CH_SUBMIT, MARK_END_IDLE);
                break;
            }
            BENCH_MARK(pass + CH_SUBMIT, MARK_END);
            if (r != 0)
                ex_fail("submit", r);
            id_of[b] = id;
            busy[b] = 1;
            nfree--;
            if (++submitted == requests)
                stop = 1;
        }
        if (submitted - completed > most)
            most = submitted - completed;
        unsigned id;
        int result;
        BENCH_MARK(pass + CH_POLL, MARK_BEGIN);
        int r = virtio_blk_poll(&blk, &id, &result);
        if (r == VIRTIO_EAGAIN) {
            BENCH_MARK(pass + CH_POLL, MARK_END_IDLE);
            drained = 1;
            if (plat_ticks() - t0 > 4u * BUDGET_TICKS)
                ex_fail("no completion", VIRTIO_ETIMEDOUT);
            continue;
        }
        BENCH_MARK(pass + CH_POLL, MARK_END);
        drained = 0;
        if (r != 0 || result != 0)
            ex_fail("poll", r != 0 ? r : result);
        unsigned b = 0;
        while (b < NREQS && !(busy[b] && id_of[b] == id))
            b++;
        if (b == NREQS)
            ex_fail("poll returned an id that was not in flight", VIRTIO_EDEVICE);
        busy[b] = 0;
        free_bufs[nfree++] = b;
        completed++;
        t = plat_ticks();
        if (t - t0 >= BUDGET_TICKS)
            stop = 1;
    }
    report(phase, completed, t - t0, most);
}

/* The negotiated feature bits as one mask, for the report. */
static uint64_t features(void)
{
    uint64_t m = 0;
    for (unsigned bit = 0; bit < 64; bit++)
        m |= virtio_dev_has(&blk.dev, bit) ? VIRTIO_BIT(bit) : 0;
    return m;
}

static inline __attribute__((always_inline)) void init(virtio_transport *t, unsigned pass)
{
    virtio_blk_params p = {0};
    p.queue_size = QUEUE_SIZE;
    p.requests = NREQS;
    BENCH_MARK(pass + CH_INIT, MARK_BEGIN);
    int r = virtio_blk_init(&blk, t, &p, mem, sizeof mem);
    BENCH_MARK(pass + CH_INIT, MARK_END);
    if (r != 0)
        ex_fail("virtio_blk_init", r);
    if (virtio_blk_capacity(&blk) < SPAN_SECTORS)
        ex_fail("the benchmark needs a disk of at least 4 MiB", VIRTIO_ERANGE);
}

int main(void)
{
    virtio_transport t;
    if (ex_find(VIRTIO_ID_BLOCK, &t) != 0)
        ex_fail("no block device", VIRTIO_ENODEV);
    virtio_regs plain = t.regs; /* virtio_mmio_regs(slot): no hooks */
    plain.relax = bench_relax;

    /* An empty region: what the markers themselves cost, subtracted from every figure. */
    BENCH_MARK(CH_CALIB, MARK_BEGIN);
    BENCH_MARK(CH_CALIB, MARK_END);

    /* Pass 1, registers: probe again through a counting wrapper around the same accessor. */
    virtio_regs regs = count_regs_wrap(&counter, &plain);
    int r = ex_probe(&t, &regs);
    if (r != 0)
        ex_fail("probe", r);
    uint32_t probe_reads = counter.reads, probe_writes = counter.writes;
    counter.reads = counter.writes = 0;
    init(&t, PASS_REGS);
    plat_puts("BENCH device transport=");
    plat_puts(virtio_dev_legacy(&blk.dev) ? "legacy" : "modern");
    plat_puts(" queue_size=");
    plat_put_dec(virtio_queue_size(&blk.queue));
    plat_puts(" features=");
    plat_put_hex(features());
    plat_puts(" probe_reg_reads=");
    plat_put_dec(probe_reads);
    plat_puts(" probe_reg_writes=");
    plat_put_dec(probe_writes);
    plat_puts(" init_reg_reads=");
    plat_put_dec(counter.reads);
    plat_puts(" init_reg_writes=");
    plat_put_dec(counter.writes);
    plat_putc('\n');
    bench_qd1("qd1_regs", REG_QD1, PASS_REGS);
    bench_qdn("qdn_regs", REG_QDN, PASS_REGS);

    /* Pass 2, plain accessor: instructions and times (pass 1's markers went to channels
       PASS_REGS + ..., the same figures with the counting wrapper's overhead). */
    BENCH_MARK(CH_PROBE, MARK_BEGIN);
    r = ex_probe(&t, &plain);
    BENCH_MARK(CH_PROBE, MARK_END);
    if (r != 0)
        ex_fail("probe", r);
    init(&t, 0);
    bench_qd1("qd1", QD1_REQUESTS, 0);
    bench_qdn("qdn", QDN_REQUESTS, 0);

    /* Init with the default parameters (a smaller queue and fewer requests; on legacy
       virtio-pci the rings keep the device's size and the driver uses fewer entries). */
    virtio_blk_params p = {0};
    BENCH_MARK(CH_INIT_DEFAULT, MARK_BEGIN);
    r = virtio_blk_init(&blk, &t, &p, mem, sizeof mem);
    BENCH_MARK(CH_INIT_DEFAULT, MARK_END);
    if (r != 0)
        ex_fail("virtio_blk_init (defaults)", r);
    plat_puts("PASS\n");
    return 0;
}
