/* blk_durable.c - no lost writes: many random writes with flushes, checked byte for byte.

   Run on a raw image whose sector 0 says what to do (or on any disk: then the defaults below):
     qemu-system-riscv64 -M virt -bios none -nographic -kernel build/riscv64/blk_durable.elf \
         -drive file=disk.img,if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0
   tests/qemu/blk_durable_test.py writes sector 0, replays the same generator in Python to build
   the image the writes must leave, and compares it with the image file after QEMU exits; it also
   kills QEMU (SIGKILL) on a "FLUSHED" line and checks that everything written before that
   flush is in the file.

   Sector 0: "vdur", then seed, number of writes and depth, little-endian 32-bit (defaults when
   the magic is missing: seed DEFAULT_SEED, DEFAULT_WRITES writes, depth 1). The writes go to
   sectors DATA_FIRST .. min(capacity, MAX_SECTORS)-1; the rest of the disk is never written.
   Depth 1: each write is a blocking virtio_blk_write. Depth 2..MAX_DEPTH: up to that many
   writes in flight (virtio_blk_submit, kick, wait), completing in any order; a write that
   overlaps one in flight waits for the writes in flight to finish first (the device may run
   requests in flight in any order), so each sector's last write is still the last in program
   order. Before a read-back and before a flush every write in flight is finished, so a flush
   covers every write before it (virtio 1.4 "Block Device / Device Operation": a flush covers
   the writes completed before it was submitted).

   Write i (1-based) of n sectors at sector s, from a xorshift32 generator seeded with `seed`:
     a = next(), b = next()
     n = 1 + (b & 0xff) % (((b >> 8) & 3) == 0 ? 128 : 16)     (up to 64 KiB; mostly small)
     s = DATA_FIRST + a % (span - n + 1)
     after it: a flush when ((b >> 16) & 63) == 0, a read-back when ((b >> 24) & 7) == 0
   Every sector written holds 32 records of 16 bytes (i, sector, record, mix), so a sector in the
   wrong place, a stale one or a torn one shows, and the host can tell which write left it.
   After each completed flush the program prints "FLUSHED <flushes> <writes done>". At the
   end: a last flush, then a read of the whole data area checked against the program's own
   record of which write last touched each sector. Prints "PASS" and exits 0, or "FAIL: ...". */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "virtio_blk.h"

#include "platform/platform.h"
#include "example.h"

/* Must match tests/qemu/blk_durable_test.py. */
#define DATA_FIRST 8u
#define MAX_SECTORS 16384u /* 8 MiB: the area the writes cover */
#define MAX_WRITES 65535u  /* the owner record is 16 bits */
#define DEFAULT_SEED 0x5eed0001u
#define DEFAULT_WRITES 10000u
#define BIG_SECTORS 128u /* 64 KiB */

#define SECTOR VIRTIO_BLK_SECTOR_SIZE
#define QUEUE_SIZE 64u
#define MAX_DEPTH 4u
#define REQUESTS (MAX_DEPTH + 1u)
static uint8_t mem[VIRTIO_BLK_MEM(QUEUE_SIZE, REQUESTS)] __attribute__((aligned(4096)));
static uint8_t wbuf[MAX_DEPTH][BIG_SECTORS * SECTOR] __attribute__((aligned(16)));
static uint8_t rbuf[BIG_SECTORS * SECTOR] __attribute__((aligned(16)));
static uint16_t owner[MAX_SECTORS]; /* the write that last touched each sector; 0: none */
static virtio_blk blk;

static uint32_t rng_state;
static uint32_t next(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* What write `id` (0: none, the zeros of a fresh image) puts in `sector`. */
static void sector_fill(uint8_t *p, uint32_t seed, uint32_t id, uint32_t sector)
{
    uint32_t base = seed * 0x9e3779b1u ^ id * 0x7feb352du ^ sector * 0x85ebca6bu;
    if (id == 0) {
        for (uint32_t b = 0; b < SECTOR; b++)
            p[b] = 0;
        return;
    }
    for (uint32_t k = 0; k < SECTOR / 16u; k++, p += 16) {
        put_le32(p, id);
        put_le32(p + 4, sector);
        put_le32(p + 8, k);
        put_le32(p + 12, base ^ k * 0xc2b2ae35u);
    }
}

/* Checks `n` sectors read into rbuf from `sector` against the owner record. */
static void check(uint32_t seed, uint32_t sector, uint32_t n, const char *when)
{
    static uint8_t want[SECTOR];
    for (uint32_t s = 0; s < n; s++) {
        const uint8_t *got = rbuf + (size_t)s * SECTOR;
        sector_fill(want, seed, owner[sector + s], sector + s);
        for (uint32_t b = 0; b < SECTOR; b++) {
            if (got[b] != want[b]) {
                plat_puts("sector ");
                plat_put_dec(sector + s);
                plat_puts(" holds write ");
                plat_put_dec(get_le32(got));
                plat_puts(" (sector ");
                plat_put_dec(get_le32(got + 4));
                plat_puts("), expected write ");
                plat_put_dec(owner[sector + s]);
                plat_puts(", first difference at byte ");
                plat_put_dec(b);
                plat_putc('\n');
                ex_fail(when, 0);
            }
        }
    }
}

/* The writes in flight (depth > 1): where they go and their request ids. */
static struct {
    uint32_t at, n;
    unsigned id;
    int busy;
} flight[MAX_DEPTH];
static uint32_t in_flight, most_in_flight;

/* Waits for one write in flight to finish; it must have succeeded. */
static void complete_one(void)
{
    unsigned id;
    int result;
    int r = virtio_blk_wait(&blk, &id, &result);
    if (r != 0)
        ex_fail("wait", r);
    for (unsigned k = 0; k < MAX_DEPTH; k++) {
        if (flight[k].busy && flight[k].id == id) {
            if (result != 0)
                ex_fail("a write in flight", result);
            flight[k].busy = 0;
            in_flight--;
            return;
        }
    }
    ex_fail("wait returned an id not in flight", 0);
}

static void drain(void)
{
    while (in_flight > 0)
        complete_one();
}

static int overlaps_flight(uint32_t at, uint32_t n)
{
    for (unsigned k = 0; k < MAX_DEPTH; k++) {
        if (flight[k].busy && at < flight[k].at + flight[k].n && flight[k].at < at + n)
            return 1;
    }
    return 0;
}

/* Write i: blocking at depth 1, else submitted with up to `depth` in flight. */
static void write_one(uint32_t seed, uint32_t depth, uint32_t i, uint32_t at, uint32_t n)
{
    unsigned k = 0;
    if (depth > 1u) {
        while (in_flight >= depth || overlaps_flight(at, n))
            complete_one();
        while (flight[k].busy)
            k++;
    }
    for (uint32_t s = 0; s < n; s++)
        sector_fill(wbuf[k] + (size_t)s * SECTOR, seed, i, at + s);
    int r;
    if (depth == 1u) {
        r = virtio_blk_write(&blk, at, wbuf[k], (size_t)n * SECTOR);
    } else {
        r = virtio_blk_submit(&blk, VIRTIO_BLK_T_OUT, at, wbuf[k], (size_t)n * SECTOR,
                              &flight[k].id);
        if (r == 0) {
            flight[k].at = at;
            flight[k].n = n;
            flight[k].busy = 1;
            if (++in_flight > most_in_flight)
                most_in_flight = in_flight;
            r = virtio_blk_kick(&blk);
        }
    }
    if (r != 0)
        ex_fail("write", r);
}

static uint32_t flushes;
static void flush(uint32_t done)
{
    drain();
    int r = virtio_blk_flush(&blk);
    if (r != 0)
        ex_fail("flush", r);
    flushes++;
    plat_puts("FLUSHED ");
    plat_put_dec(flushes);
    plat_putc(' ');
    plat_put_dec(done);
    plat_putc('\n');
}

int main(void)
{
    plat_puts("virtio.h blk durable example\n");
    virtio_transport t;
    int r = ex_find(VIRTIO_ID_BLOCK, &t);
    virtio_blk_params p = {0};
    p.queue_size = QUEUE_SIZE;
    p.requests = REQUESTS;
    if (r == 0)
        r = virtio_blk_init(&blk, &t, &p, mem, sizeof mem);
    if (r != 0)
        ex_fail("no usable virtio block device", r);
    plat_puts(virtio_dev_legacy(&blk.dev) ? "transport legacy\n" : "transport modern\n");
    if (!virtio_blk_can_flush(&blk))
        ex_fail("the device offers no flush", 0);
    if (virtio_blk_block_size(&blk) != SECTOR)
        ex_fail("this program writes 512-byte blocks", 0);

    /* What to do: sector 0, or the defaults. */
    r = virtio_blk_read(&blk, 0, rbuf, SECTOR);
    if (r != 0)
        ex_fail("read sector 0", r);
    uint32_t seed = DEFAULT_SEED, writes = DEFAULT_WRITES, depth = 1;
    if (rbuf[0] == 'v' && rbuf[1] == 'd' && rbuf[2] == 'u' && rbuf[3] == 'r') {
        seed = get_le32(rbuf + 4);
        writes = get_le32(rbuf + 8);
        depth = get_le32(rbuf + 12);
    }
    uint64_t cap = virtio_blk_capacity(&blk);
    uint32_t end = cap < MAX_SECTORS ? (uint32_t)cap : MAX_SECTORS;
    if (seed == 0 || writes > MAX_WRITES || depth < 1u || depth > MAX_DEPTH ||
        end < DATA_FIRST + 2u * BIG_SECTORS)
        ex_fail("bad seed, writes or depth in sector 0, or a disk under 136 KiB", 0);
    uint32_t span = end - DATA_FIRST;
    plat_puts("seed 0x");
    plat_put_hexn(seed, 8);
    plat_puts(" writes ");
    plat_put_dec(writes);
    plat_puts(" depth ");
    plat_put_dec(depth);
    plat_puts(" sectors ");
    plat_put_dec(DATA_FIRST);
    plat_puts("..");
    plat_put_dec(end - 1u);
    plat_putc('\n');

    rng_state = seed;
    uint64_t bytes = 0, readbacks = 0, t0 = plat_ticks();
    for (uint32_t i = 1; i <= writes; i++) {
        uint32_t a = next(), b = next();
        uint32_t n = 1u + (b & 0xffu) % (((b >> 8) & 3u) == 0 ? BIG_SECTORS : 16u);
        uint32_t at = DATA_FIRST + a % (span - n + 1u);
        write_one(seed, depth, i, at, n);
        for (uint32_t s = 0; s < n; s++)
            owner[at + s] = (uint16_t)i;
        bytes += (uint64_t)n * SECTOR;
        if (((b >> 24) & 7u) == 0) {
            drain();
            r = virtio_blk_read(&blk, at, rbuf, (size_t)n * SECTOR);
            if (r != 0)
                ex_fail("read back", r);
            check(seed, at, n, "a write read back at once");
            readbacks++;
        }
        if (((b >> 16) & 63u) == 0)
            flush(i);
    }
    flush(writes);
    uint64_t us = plat_ticks_to_us(plat_ticks() - t0);

    /* The whole area, against the record of which write last touched each sector. */
    for (uint32_t at = DATA_FIRST; at < end; at += BIG_SECTORS) {
        uint32_t n = end - at < BIG_SECTORS ? end - at : BIG_SECTORS;
        r = virtio_blk_read(&blk, at, rbuf, (size_t)n * SECTOR);
        if (r != 0)
            ex_fail("final read", r);
        check(seed, at, n, "the final read of the whole area");
    }
    plat_puts("done: ");
    plat_put_dec(writes);
    plat_puts(" writes, ");
    plat_put_dec(bytes);
    plat_puts(" bytes, ");
    plat_put_dec(flushes);
    plat_puts(" flushes, ");
    plat_put_dec(readbacks);
    plat_puts(" read back at once, ");
    plat_put_dec(depth == 1u ? 1u : most_in_flight);
    plat_puts(" in flight at most, in ");
    plat_put_dec(us / 1000u);
    plat_puts(" ms\nfinal read: ");
    plat_put_dec(span);
    plat_puts(" sectors as recorded\nPASS\n");
    return 0;
}
