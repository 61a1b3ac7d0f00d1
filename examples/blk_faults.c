/* blk_faults.c - device I/O errors fail the one request they hit, and nothing else.

   Run on a drive behind QEMU's blkdebug driver, whose rules fail chosen requests with EIO,
   and with the error policy that reports errors to the guest (QEMU's default for writes stops
   the VM on ENOSPC only; report both to be sure):
     qemu-system-riscv64 -M virt -bios none -nographic -kernel build/riscv64/blk_faults.elf \
         -drive file=blkdebug:faults.cfg:disk.img,if=none,format=raw,id=d0,rerror=report,\
werror=report -device virtio-blk-device,drive=d0
   tests/qemu/blk_test.py writes faults.cfg (the sectors below) and fills the disk with the
   pattern of examples/blk.c (seed HOST_SEED) first; it runs this for a legacy and a modern
   device.

   The rules (a blkdebug inject-error for each; "once" = the rule fires on its first match only):
     READ_ONCE   a read covering sector READ_ONCE (once)      event read_aio,  iotype read
     WRITE_ONCE  a write covering sector WRITE_ONCE (once)    event write_aio, iotype write
     flush       the first flush                              event flush_to_disk, iotype flush
     READ_BAD    every read covering sector READ_BAD          event read_aio,  iotype read
     WRITE_BAD   every write covering sector WRITE_BAD        event write_aio, iotype write
   Each failed request must come back as VIRTIO_EIO, promptly (the wait is bounded by the clock,
   10 s, so a lost completion fails instead of hanging), the request after it must succeed on
   the same device without re-initializing it, and in a batch of requests in flight together
   only the one that covers a bad sector may fail. The batch's requests are a few sectors
   apart: QEMU merges adjacent requests of one batch into one I/O and then fails every request
   of the merged I/O (virtio-blk's virtio_blk_rw_complete), which is QEMU's choice, not ours.
   Prints "PASS" and exits 0 when all of that holds; "FAIL: <what>" otherwise. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "virtio_blk.h"

#include "platform/platform.h"
#include "example.h"

/* Must match tests/qemu/blk_test.py (FAULT_* and HOST_SEED). */
#define READ_ONCE 1000u
#define WRITE_ONCE 2000u
#define READ_BAD 3000u
#define WRITE_BAD 4000u
#define HOST_SEED 0x686f7374u  /* examples/blk.c: the host's pattern on the whole disk */
#define WRITE_SEED 0x77726974u /* "writ": what this program writes */
#define BATCH 5u               /* requests in flight together, GAP sectors apart */
#define GAP 4u

#define SECTOR VIRTIO_BLK_SECTOR_SIZE
#define QUEUE_SIZE 64u
#define REQUESTS 8u
static uint8_t mem[VIRTIO_BLK_MEM(QUEUE_SIZE, REQUESTS)] __attribute__((aligned(4096)));
static uint8_t buf[BATCH][8 * SECTOR] __attribute__((aligned(16)));
static uint8_t want[8 * SECTOR];
static virtio_blk blk;

/* examples/blk.c's pattern: 32 records of 16 bytes per sector (seed, sector, index, mix). */
static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void pattern_fill(uint8_t *p, uint32_t sector, uint32_t nsect, uint32_t seed)
{
    for (uint32_t s = 0; s < nsect; s++) {
        uint32_t sec = sector + s;
        for (uint32_t i = 0; i < SECTOR / 16u; i++, p += 16) {
            put_le32(p, seed);
            put_le32(p + 4, sec);
            put_le32(p + 8, i);
            put_le32(p + 12, seed * 0x9e3779b1u ^ sec * 0x85ebca6bu ^ i * 0xc2b2ae35u);
        }
    }
}

static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return 0;
    }
    return 1;
}

/* Waits are bounded by the clock: 10 s each. */
static uint64_t wait_start;
static int relax_10s(void *user, uint32_t iteration)
{
    uint64_t now = plat_ticks();
    (void)user;
    if (iteration == 0)
        wait_start = now;
    return now - wait_start > 10u * PLAT_TIMEBASE_HZ;
}

static void step(const char *what, int r, int want_r)
{
    plat_puts(what);
    plat_puts(": ");
    plat_puts(r == 0 ? "ok" : virtio_result_str(r));
    if (r != want_r) {
        plat_puts(", expected ");
        plat_puts(want_r == 0 ? "ok" : virtio_result_str(want_r));
        plat_putc('\n');
        ex_fail(what, r);
    }
    plat_puts(", as expected\n");
}

/* Reads `nsect` sectors at `sector`; expects `want_r`, and on success the data `seed` wrote. */
static void read_check(const char *what, uint32_t sector, uint32_t nsect, uint32_t seed, int want_r)
{
    int r = virtio_blk_read(&blk, sector, buf[0], nsect * SECTOR);
    step(what, r, want_r);
    pattern_fill(want, sector, nsect, seed);
    if (r == 0 && !same(buf[0], want, nsect * SECTOR))
        ex_fail("the data read is not what the disk holds", 0);
}

/* BATCH requests of one sector each, GAP sectors apart around `bad`, in flight together: only
   the one at `bad` may fail, with VIRTIO_EIO. */
static void batch(uint32_t type, uint32_t bad, uint32_t seed)
{
    unsigned ids[BATCH];
    uint32_t first = bad - GAP * (BATCH / 2u);
    for (unsigned k = 0; k < BATCH; k++) {
        if (type == VIRTIO_BLK_T_OUT)
            pattern_fill(buf[k], first + k * GAP, 1, seed);
        int r = virtio_blk_submit(&blk, type, first + k * GAP, buf[k], SECTOR, &ids[k]);
        if (r != 0)
            ex_fail("submit", r);
    }
    if (virtio_blk_kick(&blk) != 0)
        ex_fail("kick", 0);
    unsigned failed = 0;
    for (unsigned done = 0; done < BATCH; done++) {
        unsigned id;
        int result;
        int r = virtio_blk_wait(&blk, &id, &result);
        if (r != 0)
            ex_fail("wait for the batch", r);
        unsigned k = 0;
        while (k < BATCH && ids[k] != id)
            k++;
        if (k == BATCH)
            ex_fail("wait returned an id that was not submitted", 0);
        uint32_t sector = first + k * GAP;
        if (sector == bad) {
            if (result != VIRTIO_EIO)
                ex_fail("the request on the bad sector did not fail with EIO", result);
            failed++;
            continue;
        }
        if (result != 0)
            ex_fail("a request next to the bad one failed", result);
        pattern_fill(want, sector, 1, type == VIRTIO_BLK_T_OUT ? seed : HOST_SEED);
        if (type == VIRTIO_BLK_T_IN && !same(buf[k], want, SECTOR))
            ex_fail("a read next to the bad one returned wrong data", 0);
    }
    if (failed != 1 || virtio_blk_pending(&blk) != 0)
        ex_fail("the batch did not end with one failure and nothing pending", 0);
    plat_puts(type == VIRTIO_BLK_T_IN ? "read" : "write");
    plat_puts(" batch of ");
    plat_put_dec(BATCH);
    plat_puts(" around sector ");
    plat_put_dec(bad);
    plat_puts(": only that one failed, EIO, ok\n");
}

int main(void)
{
    plat_puts("virtio.h blk faults example\n");
    virtio_transport t;
    int r = ex_find(VIRTIO_ID_BLOCK, &t);
    if (r != 0)
        ex_fail("no virtio block device", r);
    virtio_regs regs = t.regs;
    regs.spin_limit = 0xffffffffu;
    regs.relax = relax_10s;
    r = ex_probe(&t, &regs); /* the transport ex_find found, with our bounds */
    virtio_blk_params p = {0};
    p.queue_size = QUEUE_SIZE;
    p.requests = REQUESTS;
    if (r == 0)
        r = virtio_blk_init(&blk, &t, &p, mem, sizeof mem);
    if (r != 0)
        ex_fail("virtio_blk_init", r);
    plat_puts(virtio_dev_legacy(&blk.dev) ? "transport legacy\n" : "transport modern\n");
    if (!virtio_blk_can_flush(&blk))
        ex_fail("the device offers no flush", 0);

    /* Once-rules: the first request fails, the same request again succeeds. */
    read_check("read 8 sectors at 0", 0, 8, HOST_SEED, 0);
    read_check("read 4 sectors at READ_ONCE-2 (injected)", READ_ONCE - 2u, 4, HOST_SEED,
               VIRTIO_EIO);
    read_check("the same read again", READ_ONCE - 2u, 4, HOST_SEED, 0);

    pattern_fill(buf[1], WRITE_ONCE, 8, WRITE_SEED);
    step("write 8 sectors at WRITE_ONCE (injected)",
         virtio_blk_write(&blk, WRITE_ONCE, buf[1], 8 * SECTOR), VIRTIO_EIO);
    step("the same write again", virtio_blk_write(&blk, WRITE_ONCE, buf[1], 8 * SECTOR), 0);
    read_check("read it back", WRITE_ONCE, 8, WRITE_SEED, 0);

    step("flush (injected)", virtio_blk_flush(&blk), VIRTIO_EIO);
    step("flush again", virtio_blk_flush(&blk), 0);

    /* Always-rules: the bad sector fails every time; its neighbours never do. */
    for (unsigned round = 0; round < 2; round++) {
        read_check("read 1 sector at READ_BAD (injected)", READ_BAD, 1, HOST_SEED, VIRTIO_EIO);
        read_check("read 1 sector at READ_BAD+1", READ_BAD + 1u, 1, HOST_SEED, 0);
        read_check("read 8 sectors across READ_BAD (injected)", READ_BAD - 4u, 8, HOST_SEED,
                   VIRTIO_EIO);
        batch(VIRTIO_BLK_T_IN, READ_BAD, 0);
        pattern_fill(buf[1], WRITE_BAD, 1, WRITE_SEED);
        step("write 1 sector at WRITE_BAD (injected)",
             virtio_blk_write(&blk, WRITE_BAD, buf[1], SECTOR), VIRTIO_EIO);
        batch(VIRTIO_BLK_T_OUT, WRITE_BAD, WRITE_SEED + round);
        step("flush", virtio_blk_flush(&blk), 0);
    }

    /* The device is still fine: a last read of what the batches wrote. */
    read_check("read back the last write batch's first sector", WRITE_BAD - 2u * GAP, 1,
               WRITE_SEED + 1u, 0);
    plat_puts("no reset, no re-init: device usable after every error\nPASS\n");
    return 0;
}
