/* blk.c - virtio_blk.h on QEMU's `virt` machines: what a block driver does, checked.

   Run (any disk of at least 1 MiB; legacy or modern; in any slot):
     qemu-system-riscv64 -M virt -bios none -nographic -kernel build/riscv64/blk.elf \
         -drive file=disk.img,if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0
   `make demo` does this with a fresh image; tests/qemu/blk_test.py runs it over a matrix of
   device options and checks from the host what it did to the image.

   It finds the virtio-mmio devices (example.h: device tree, bootinfo or slot scan), takes the
   first block device (lowest slot), prints what it found, then checks: sector 0 (prints its
   FNV-1a checksum for the host), reads of a scratch area at the end of the disk (checked
   against the host's pattern when the host put one there),
   writes and read-backs of several sizes (one block to 256 KiB, and just past the driver's
   largest request when that fits in 256 KiB, so the driver must split it), unaligned
   buffers, caller errors, flush, write-zeroes and discard, the write-cache switch, batches of
   non-blocking requests with many in flight, the batches again after re-initializing the device
   with queues of 256, 16 and 4 entries, and finally leaves a marked sector. On a read-only
   disk every write must fail with VIRTIO_EROFS and everything else must pass.

   Exit status 0 and a last line "PASS" when every check passed; otherwise a line
   "FAIL: <what>" and a nonzero status.

   All I/O is in whole logical blocks (blk_size, 512 bytes unless the device says otherwise):
   the spec calls blk_size a performance hint, but QEMU answers IOERR to a request that is not
   aligned to it. Disk layout the host harness relies on (U = sectors per logical block,
   M = the capacity in sectors rounded down to a multiple of U, minus U):
     sector 0 (one block)      read only, the checksum of its first 512 bytes printed
     sectors M-1024 .. M-1     scratch area (SCRATCH_SECTORS); may hold the host's pattern
     sectors M .. M+U-1        the mark (mark_fill): a line of text, then zeros */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "virtio_blk.h"

#include "platform/platform.h"
#include "example.h"

/* ---- Memory: everything the driver uses is static, sized here -------------------------------- */
#define QUEUE_SIZE 1024u     /* what we ask for; the driver clamps to the device's maximum */
#define NREQS 32u            /* requests in flight at most */
#define BUF_SECTORS 512u     /* 256 KiB (QEMU sets no SIZE_MAX: this is still one request) */
#define SCRATCH_SECTORS 1024u
#define SECTOR VIRTIO_BLK_SECTOR_SIZE

/* The driver's memory: rings, request headers, its private records. Legacy virtio-mmio wants
   the rings page-aligned; 4096 suits both versions. */
static uint8_t mem[VIRTIO_BLK_MEM(QUEUE_SIZE, NREQS)] __attribute__((aligned(4096)));
/* Data buffers need no alignment (the device sees an address and a length); +8 leaves room for
   the unaligned-buffer check. */
static uint8_t wbuf[BUF_SECTORS * SECTOR + 8] __attribute__((aligned(16)));
static uint8_t rbuf[BUF_SECTORS * SECTOR + 8] __attribute__((aligned(16)));
static virtio_blk blk;

/* Seeds of the data patterns. HOST_SEED is what tests/qemu/blk_test.py writes into the scratch
   area before booting; FINAL_SEED is what the batch writes leave in it for the host to check. */
#define HOST_SEED 0x686f7374u  /* "host" */
#define FINAL_SEED 0x66696e6cu /* "finl" */

/* ---- Reporting ------------------------------------------------------------------------------- */
/* Fails unless r == want. */
static void expect(int r, int want, const char *what)
{
    if (r != want) {
        if (r == 0) {
            plat_puts("FAIL: ");
            plat_puts(what);
            plat_puts(": succeeded, expected ");
            plat_puts(virtio_result_str(want));
            plat_putc('\n');
            plat_exit(1);
        }
        ex_fail(what, r);
    }
}

static void say(const char *s)
{
    plat_puts(s);
}

static void say_dec(const char *label, uint64_t v)
{
    plat_puts(label);
    plat_put_dec(v);
}

/* ---- Data patterns --------------------------------------------------------------------------- */
/* Each sector is 32 records of 16 bytes: seed, sector, record index, and a mix of the three, as
   little-endian 32-bit words. A sector written to the wrong place, a stale sector or a torn one
   shows. blk_test.py computes the same pattern in Python. */
static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void pattern_fill(uint8_t *buf, uint64_t sector, uint32_t nsect, uint32_t seed)
{
    for (uint32_t s = 0; s < nsect; s++) {
        uint32_t sec = (uint32_t)(sector + s);
        for (uint32_t i = 0; i < SECTOR / 16u; i++) {
            uint8_t *p = buf + (size_t)s * SECTOR + i * 16u;
            put_le32(p, seed);
            put_le32(p + 4, sec);
            put_le32(p + 8, i);
            put_le32(p + 12, seed * 0x9e3779b1u ^ sec * 0x85ebca6bu ^ i * 0xc2b2ae35u);
        }
    }
}

/* The mark left in the last sector: a line of text, then zeros. */
static void mark_fill(uint8_t *buf, uint64_t sector)
{
    static const char text[] = "virtio.h blk example wrote this sector (";
    size_t n = 0;
    char digits[20];
    unsigned nd = 0;

    memset(buf, 0, SECTOR);
    for (; text[n] != '\0'; n++)
        buf[n] = (uint8_t)text[n];
    do {
        digits[nd++] = (char)('0' + sector % 10u);
        sector /= 10u;
    } while (sector != 0);
    while (nd > 0)
        buf[n++] = (uint8_t)digits[--nd];
    buf[n++] = ')';
    buf[n++] = '\n';
}

/* FNV-1a, 32 bits: tiny, and Python computes it in two lines. */
static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
}

/* Byte offset of the first difference, or -1. */
static long first_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return (long)i;
    }
    return -1;
}

static void expect_same(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
    long d = first_diff(got, want, n);
    if (d >= 0) {
        plat_puts("FAIL: ");
        plat_puts(what);
        plat_puts(": data differs at byte ");
        plat_put_dec((uint64_t)d);
        plat_puts(" (sector +");
        plat_put_dec((uint64_t)d / SECTOR);
        plat_puts(")\n");
        plat_exit(1);
    }
}

static const char *device_name(uint32_t id)
{
    switch (id) {
    case VIRTIO_ID_NET: return " (network)";
    case VIRTIO_ID_BLOCK: return " (block)";
    case VIRTIO_ID_CONSOLE: return " (console)";
    case VIRTIO_ID_RNG: return " (entropy)";
    case VIRTIO_ID_GPU: return " (gpu)";
    case VIRTIO_ID_INPUT: return " (input)";
    default: return "";
    }
}

/* ---- Feature names, for people reading the output ------------------------------------------- */
static const struct {
    uint8_t bit;
    const char *name;
} feature_names[] = {
    {VIRTIO_BLK_F_SIZE_MAX, "SIZE_MAX"},       {VIRTIO_BLK_F_SEG_MAX, "SEG_MAX"},
    {VIRTIO_BLK_F_GEOMETRY, "GEOMETRY"},       {VIRTIO_BLK_F_RO, "RO"},
    {VIRTIO_BLK_F_BLK_SIZE, "BLK_SIZE"},       {VIRTIO_BLK_F_FLUSH, "FLUSH"},
    {VIRTIO_BLK_F_TOPOLOGY, "TOPOLOGY"},       {VIRTIO_BLK_F_CONFIG_WCE, "CONFIG_WCE"},
    {VIRTIO_BLK_F_MQ, "MQ"},                   {VIRTIO_BLK_F_DISCARD, "DISCARD"},
    {VIRTIO_BLK_F_WRITE_ZEROES, "WRITE_ZEROES"}, {VIRTIO_F_NOTIFY_ON_EMPTY, "NOTIFY_ON_EMPTY"},
    {VIRTIO_F_ANY_LAYOUT, "ANY_LAYOUT"},       {VIRTIO_F_INDIRECT_DESC, "INDIRECT_DESC"},
    {VIRTIO_F_EVENT_IDX, "EVENT_IDX"},         {VIRTIO_F_VERSION_1, "VERSION_1"},
    {VIRTIO_F_ACCESS_PLATFORM, "ACCESS_PLATFORM"}, {VIRTIO_F_RING_PACKED, "RING_PACKED"},
    {VIRTIO_F_IN_ORDER, "IN_ORDER"},           {VIRTIO_F_RING_RESET, "RING_RESET"},
};

static void say_features(const char *label, uint64_t f)
{
    plat_puts(label);
    plat_put_hex(f);
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++) {
        if (f & VIRTIO_BIT(feature_names[i].bit)) {
            plat_putc(' ');
            plat_puts(feature_names[i].name);
        }
    }
    plat_putc('\n');
}

/* The feature bits the device offered / the driver negotiated, as 64-bit masks. */
static uint64_t offered_mask(void)
{
    uint64_t m = 0;
    for (unsigned bit = 0; bit < 64; bit++)
        m |= virtio_dev_offers(&blk.dev, bit) ? VIRTIO_BIT(bit) : 0;
    return m;
}

static uint64_t negotiated_mask(void)
{
    uint64_t m = 0;
    for (unsigned bit = 0; bit < 64; bit++)
        m |= virtio_dev_has(&blk.dev, bit) ? VIRTIO_BIT(bit) : 0;
    return m;
}

/* ---- Non-blocking batches -------------------------------------------------------------------- */
/* Which request (index into the batch) each outstanding id stands for. The driver's ids are
   opaque; we only rely on each being unique while it is outstanding. */
static struct {
    unsigned id;
    unsigned index;
    int used;
} outstanding[NREQS];

static void track(unsigned id, unsigned index)
{
    for (unsigned i = 0; i < NREQS; i++) {
        if (outstanding[i].used && outstanding[i].id == id)
            ex_fail("virtio_blk_submit returned an id that is still outstanding", 0);
    }
    for (unsigned i = 0; i < NREQS; i++) {
        if (!outstanding[i].used) {
            outstanding[i].used = 1;
            outstanding[i].id = id;
            outstanding[i].index = index;
            return;
        }
    }
    ex_fail("more requests in flight than request slots", 0);
}

static unsigned untrack(unsigned id)
{
    for (unsigned i = 0; i < NREQS; i++) {
        if (outstanding[i].used && outstanding[i].id == id) {
            outstanding[i].used = 0;
            return outstanding[i].index;
        }
    }
    ex_fail("virtio_blk_poll returned an id that was not outstanding", 0);
    return 0;
}

/* Waits (bounded by the clock: 5 s without a completion is a hang) for one completion. */
static unsigned poll_one(const char *what)
{
    uint64_t start = plat_ticks();
    for (;;) {
        unsigned id;
        int result;
        int r = virtio_blk_poll(&blk, &id, &result);
        if (r == 0) {
            if (result != 0)
                ex_fail(what, result);
            return untrack(id);
        }
        if (r != VIRTIO_EAGAIN)
            ex_fail(what, r);
        if (plat_ticks() - start > 5u * PLAT_TIMEBASE_HZ)
            ex_fail("no completion within 5 s", 0);
    }
}

/* Submits one request, polling for completions while the queue is full. */
static void submit_one(uint32_t type, uint64_t sector, void *buf, size_t len, unsigned *pending,
                       const char *what)
{
    unsigned id;
    int r;
    while ((r = virtio_blk_submit(&blk, type, sector, buf, len, &id)) == VIRTIO_ENOSPC) {
        if (virtio_blk_pending(&blk) == 0)
            ex_fail("virtio_blk_submit: ENOSPC with nothing in flight", 0);
        poll_one(what);
        --*pending;
    }
    expect(r, 0, what);
    track(id, *pending);
    ++*pending;
}

/* `count` requests of `per` sectors each, consecutive from `first`, data at buf: submits until
   the driver says ENOSPC, then polls one and submits again, so the queue stays full. Returns the
   most requests that were in flight at once. */
static uint32_t run_batch(uint32_t type, uint64_t first, uint8_t *buf, uint32_t per,
                          unsigned count, const char *what)
{
    unsigned next = 0, done = 0;
    uint32_t most = 0;

    while (done < count) {
        while (next < count) {
            unsigned id;
            int r = virtio_blk_submit(&blk, type, first + (uint64_t)next * per,
                                      buf + (size_t)next * per * SECTOR, (size_t)per * SECTOR, &id);
            if (r == VIRTIO_ENOSPC) {
                if (virtio_blk_pending(&blk) == 0)
                    ex_fail("virtio_blk_submit: ENOSPC with nothing in flight", 0);
                break;
            }
            if (r != 0)
                ex_fail(what, r);
            track(id, next);
            next++;
        }
        if (virtio_blk_pending(&blk) > most)
            most = virtio_blk_pending(&blk);
        poll_one(what);
        done++;
    }
    if (virtio_blk_pending(&blk) != 0)
        ex_fail("virtio_blk_pending is not 0 after the batch", 0);
    unsigned id;
    int result;
    expect(virtio_blk_poll(&blk, &id, &result), VIRTIO_EAGAIN, "virtio_blk_poll when idle");
    return most;
}

/* ---- Bounding waits by time ----------------------------------------------------------------- */
/* The accessor's optional relax hook runs once per iteration while the driver polls, with the
   iteration number starting at 0 for each wait. Here it gives every wait 2 s of wall time,
   whatever the CPU speed: what a port with a clock wants. Both bounds apply, so main() also
   sets the accessor's spin_limit to 0xffffffff: then only the clock decides. */
static uint64_t wait_start;
static uint32_t relax_calls;

static int relax_2s(void *user, uint32_t iteration)
{
    uint64_t now = plat_ticks();
    (void)user;
    if (iteration == 0)
        wait_start = now;
    relax_calls++;
    return now - wait_start > 2u * PLAT_TIMEBASE_HZ; /* nonzero: give up, VIRTIO_ETIMEDOUT */
}

/* ---- The checks ------------------------------------------------------------------------------ */
static uint64_t cap;           /* capacity, sectors */
static uint64_t scratch;       /* first scratch sector */
static uint64_t mark_at;       /* first sector of the marked block */
static uint32_t unit;          /* sectors per logical block: every I/O is a multiple of it */
static int ro;                 /* the device is read-only */
static int host_pattern;       /* the scratch area held the host's pattern at boot */
static uint32_t final_sectors; /* sectors from `scratch` the last write batch left FINAL_SEED in */
static virtio_transport disk;  /* the chosen device, probed, for re-initialization */
static int quiet;              /* the repeated checks print one line, not every step */
static uint32_t batch_most;    /* most requests in flight in the last batch */

/* Reads the scratch area in one call of 256 KiB and in pieces, checking against
   the host's pattern when it is there, and the pieces against the whole read in any case. */
static void check_reads(void)
{
    expect(virtio_blk_read(&blk, scratch, rbuf, BUF_SECTORS * SECTOR), 0, "read 256 KiB");
    pattern_fill(wbuf, scratch, BUF_SECTORS, HOST_SEED);
    host_pattern = first_diff(rbuf, wbuf, BUF_SECTORS * SECTOR) < 0;
    say(host_pattern ? "scratch area holds the host's pattern: reads checked against it\n"
                     : "scratch area has no host pattern: reads checked against each other\n");
    if (!host_pattern) {
        /* wbuf becomes the reference: what the one big read saw. */
        memcpy(wbuf, rbuf, BUF_SECTORS * SECTOR);
    }

    /* Offsets and lengths in logical blocks; the offsets wrap inside the buffer. */
    static const uint32_t offsets[] = {0, 1, 7, 100, 255, 511};
    static const uint32_t lengths[] = {1, 1, 3, 8, 2, 1};
    for (unsigned i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        uint32_t len = lengths[i] * unit;
        uint32_t off = (offsets[i] % (BUF_SECTORS / unit)) * unit;
        if (off + len > BUF_SECTORS)
            off = BUF_SECTORS - len;
        memset(rbuf, 0xa5, len * SECTOR);
        expect(virtio_blk_read(&blk, scratch + off, rbuf, len * SECTOR), 0,
               "read of a piece of the scratch area");
        expect_same(rbuf, wbuf + (size_t)off * SECTOR, len * SECTOR,
                    "read of a piece of the scratch area");
    }
    say("reads: 256 KiB in one call and 6 pieces, ok\n");
}

/* Write, read back, compare, for sizes from one block to 256 KiB. */
static void check_writes(void)
{
    /* Sizes in logical blocks, then in sectors: one request at the device's limit and one just
       over it (split in two by the driver) when the buffer is big enough for them. */
    uint32_t maxreq = virtio_blk_max_request(&blk) / unit * unit;
    uint32_t sizes[] = {unit, 2 * unit, 8 * unit, 63 * unit, maxreq, maxreq + unit, BUF_SECTORS};

    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint32_t n = sizes[i];
        if (n == 0 || n > BUF_SECTORS)
            continue;
        /* Spread the writes over the scratch area so they do not all start at one sector. */
        uint64_t at = scratch + (i * 97u) % (SCRATCH_SECTORS - n + 1u) / unit * unit;
        pattern_fill(wbuf, at, n, 0x1000u + i);
        expect(virtio_blk_write(&blk, at, wbuf, (size_t)n * SECTOR), 0, "write");
        memset(rbuf, 0x5a, (size_t)n * SECTOR);
        expect(virtio_blk_read(&blk, at, rbuf, (size_t)n * SECTOR), 0, "read back");
        expect_same(rbuf, wbuf, (size_t)n * SECTOR, "read back after write");
        say_dec("write+read ", n);
        say(" sector(s), ok\n");
    }

    /* Buffers at odd addresses: the device takes any address. */
    uint64_t at = scratch + (40u + unit - 1u) / unit * unit;
    pattern_fill(wbuf + 3, at, 3 * unit, 0x2000u);
    expect(virtio_blk_write(&blk, at, wbuf + 3, 3 * unit * SECTOR), 0, "write, odd buffer");
    expect(virtio_blk_read(&blk, at, rbuf + 5, 3 * unit * SECTOR), 0, "read, odd buffer");
    expect_same(rbuf + 5, wbuf + 3, 3 * unit * SECTOR, "read back, odd buffers");
    say("write+read from odd buffer addresses, ok\n");
}

/* Calls that must be refused before anything reaches the device. */
static void check_caller_errors(void)
{
    expect(virtio_blk_read(&blk, cap, rbuf, SECTOR), VIRTIO_ERANGE, "read past the end");
    expect(virtio_blk_read(&blk, cap - 1, rbuf, 2 * SECTOR), VIRTIO_ERANGE,
           "read across the end");
    expect(virtio_blk_read(&blk, 0, rbuf, 100), VIRTIO_EINVAL, "read of 100 bytes");
    if (!ro) {
        expect(virtio_blk_write(&blk, cap, wbuf, SECTOR), VIRTIO_ERANGE, "write past the end");
    }
    say("caller errors (past the end, partial sector) refused, ok\n");
}

/* On a read-only disk: every kind of write must fail with VIRTIO_EROFS. */
static void check_read_only(void)
{
    unsigned id;
    pattern_fill(wbuf, scratch, 8, 0x3000u);
    expect(virtio_blk_write(&blk, scratch, wbuf, SECTOR), VIRTIO_EROFS, "write on read-only");
    expect(virtio_blk_write(&blk, scratch, wbuf, 8 * SECTOR), VIRTIO_EROFS,
           "write of 8 sectors on read-only");
    expect(virtio_blk_submit(&blk, VIRTIO_BLK_T_OUT, scratch, wbuf, SECTOR, &id), VIRTIO_EROFS,
           "submit of a write on read-only");
    /* Discard and write-zeroes: EROFS, or ENOTSUP where the device did not offer them. */
    int r = virtio_blk_discard(&blk, scratch, 8);
    if (r != VIRTIO_EROFS && r != VIRTIO_ENOTSUP)
        expect(r, VIRTIO_EROFS, "discard on read-only");
    r = virtio_blk_write_zeroes(&blk, scratch, 8, 0);
    if (r != VIRTIO_EROFS && r != VIRTIO_ENOTSUP)
        expect(r, VIRTIO_EROFS, "write-zeroes on read-only");
    if (virtio_blk_pending(&blk) != 0)
        ex_fail("a refused write left a request in flight", 0);
    say("read-only: write, submit, discard and write-zeroes refused with EROFS, ok\n");
}

static void check_flush(void)
{
    if (virtio_blk_can_flush(&blk)) {
        expect(virtio_blk_flush(&blk), 0, "flush");
        say("flush, ok\n");
    } else {
        expect(virtio_blk_flush(&blk), VIRTIO_ENOTSUP, "flush without VIRTIO_BLK_F_FLUSH");
        say("flush not offered: refused with ENOTSUP, ok\n");
    }
}

static void check_zeroes_and_discard(void)
{
    /* 16 sectors (at least 4 blocks) written, the middle half zeroed. */
    uint32_t total = unit <= 4 ? 16u : 4u * unit;
    if (virtio_dev_has(&blk.dev, VIRTIO_BLK_F_WRITE_ZEROES)) {
        uint64_t at = scratch + 320u;
        pattern_fill(wbuf, at, total, 0x4000u);
        expect(virtio_blk_write(&blk, at, wbuf, total * SECTOR), 0, "write before write-zeroes");
        expect(virtio_blk_write_zeroes(&blk, at + total / 4, total / 2, 0), 0, "write-zeroes");
        memset(wbuf + total / 4 * SECTOR, 0, total / 2 * SECTOR);
        expect(virtio_blk_read(&blk, at, rbuf, total * SECTOR), 0, "read after write-zeroes");
        expect_same(rbuf, wbuf, total * SECTOR, "read after write-zeroes");
        say_dec("write-zeroes of ", total / 2);
        say_dec(" sectors inside ", total);
        say(", ok\n");
    } else {
        expect(virtio_blk_write_zeroes(&blk, scratch, 8, 0), VIRTIO_ENOTSUP,
               "write-zeroes without VIRTIO_BLK_F_WRITE_ZEROES");
        say("write-zeroes not offered: refused with ENOTSUP, ok\n");
    }
    if (virtio_dev_has(&blk.dev, VIRTIO_BLK_F_DISCARD)) {
        /* What a discarded sector reads back as is up to the device: only the answer counts. */
        expect(virtio_blk_discard(&blk, scratch + 384u, total), 0, "discard");
        say_dec("discard of ", total);
        say(" sectors, ok\n");
    } else {
        expect(virtio_blk_discard(&blk, scratch + 384u, total), VIRTIO_ENOTSUP,
               "discard without VIRTIO_BLK_F_DISCARD");
        say("discard not offered: refused with ENOTSUP, ok\n");
    }
}

static void check_writeback_switch(void)
{
    if (virtio_dev_has(&blk.dev, VIRTIO_BLK_F_CONFIG_WCE)) {
        int was = virtio_blk_get_info(&blk)->writeback;
        expect(virtio_blk_set_writeback(&blk, !was), 0, "set_writeback (switch)");
        expect(virtio_blk_set_writeback(&blk, was), 0, "set_writeback (restore)");
        say(was ? "write cache: writeback; switched to writethrough and back, ok\n"
                : "write cache: writethrough; switched to writeback and back, ok\n");
    } else {
        expect(virtio_blk_set_writeback(&blk, 1), VIRTIO_ENOTSUP,
               "set_writeback without VIRTIO_BLK_F_CONFIG_WCE");
        say("write-cache switch not offered: refused with ENOTSUP, ok\n");
    }
}

/* Non-blocking: a batch of writes and one of reads over the first BUF_SECTORS of the scratch
   area, with the queue kept full; plus mixed request types and a blocking call in the middle
   of outstanding requests. */
static void check_batches(void)
{
    uint32_t per = virtio_blk_max_request(&blk);
    if (per < unit)
        ex_fail("virtio_blk_max_request is less than one block", 0);
    per = per < 8u ? per : 8u;
    per = per < unit ? unit : per / unit * unit;
    unsigned count = BUF_SECTORS / per;
    if (count > 64)
        count = 64;
    uint32_t nsect = per * count;
    uint32_t most;

    if (!ro) {
        pattern_fill(wbuf, scratch, nsect, FINAL_SEED);
        most = run_batch(VIRTIO_BLK_T_OUT, scratch, wbuf, per, count, "batch write");
        if (!quiet) {
            say_dec("batch: ", count);
            say_dec(" writes of ", per);
            say_dec(" sector(s), up to ", most);
            say(" in flight, ok\n");
        }
    } else if (host_pattern) {
        pattern_fill(wbuf, scratch, nsect, HOST_SEED);
    } else {
        expect(virtio_blk_read(&blk, scratch, wbuf, (size_t)nsect * SECTOR), 0, "read");
    }
    memset(rbuf, 0xa5, (size_t)nsect * SECTOR);
    most = run_batch(VIRTIO_BLK_T_IN, scratch, rbuf, per, count, "batch read");
    expect_same(rbuf, wbuf, (size_t)nsect * SECTOR, "batch read");
    if (!quiet) {
        say_dec("batch: ", count);
        say_dec(" reads of ", per);
        say_dec(" sector(s), up to ", most);
        say(" in flight, ok\n");
    }
    batch_most = most;
    final_sectors = nsect;

    /* Mixed: a read, GET_ID and (if offered) a flush in flight together, then a blocking read
       while two more reads are outstanding: the blocking call must leave their completions for
       virtio_blk_wait, which collects them. */
    char id_blocking[VIRTIO_BLK_ID_BYTES];
    static char id_async[VIRTIO_BLK_ID_BYTES];
    /* QEMU writes the serial and one NUL, not all 20 bytes: zero both so they compare. */
    memset(id_blocking, 0, sizeof id_blocking);
    memset(id_async, 0, sizeof id_async);
    int r = virtio_blk_get_id(&blk, id_blocking);
    unsigned pending = 0;
    size_t block = (size_t)unit * SECTOR;
    memset(rbuf, 0xa5, 3 * block);
    submit_one(VIRTIO_BLK_T_IN, scratch, rbuf, block, &pending, "submit IN");
    if (r == 0)
        submit_one(VIRTIO_BLK_T_GET_ID, 0, id_async, sizeof id_async, &pending, "submit GET_ID");
    if (virtio_blk_can_flush(&blk))
        submit_one(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, &pending, "submit FLUSH");
    submit_one(VIRTIO_BLK_T_IN, scratch + unit, rbuf + block, block, &pending, "submit IN");
    /* With a queue of 4 entries the request above fills it: the blocking read must then wait
       for it to finish, and still leave its completion to poll or wait. */
    expect(virtio_blk_read(&blk, scratch + 2u * unit, rbuf + 2 * block, block), 0,
           "blocking read with requests outstanding");
    /* Collect them with virtio_blk_wait this time: it waits (bounded by relax_2s) for each,
       and says VIRTIO_EAGAIN at once when nothing is left. */
    while (pending-- > 0) {
        unsigned id;
        int result;
        expect(virtio_blk_wait(&blk, &id, &result), 0, "virtio_blk_wait, mixed batch");
        expect(result, 0, "mixed batch request");
        untrack(id);
    }
    unsigned id;
    int result;
    uint32_t calls = relax_calls;
    expect(virtio_blk_wait(&blk, &id, &result), VIRTIO_EAGAIN, "virtio_blk_wait when idle");
    if (relax_calls != calls)
        ex_fail("virtio_blk_wait with nothing pending waited", 0);
    expect_same(rbuf, wbuf, 3 * block, "mixed batch reads");
    if (r == 0 && first_diff((const uint8_t *)id_async, (const uint8_t *)id_blocking,
                             VIRTIO_BLK_ID_BYTES) >= 0)
        ex_fail("GET_ID through submit differs from virtio_blk_get_id", 0);
    if (!quiet)
        say("mixed: read, GET_ID, flush and a blocking read together, ok\n");
}

/* On virtio-mmio the device offers QueueNumMax 1024 whatever its queue-size property says (that
   only sets seg_max), so small queues are tried by asking for them: the device is initialized
   again (reset included) with each size and the batches run again, keeping a small queue full.
   With 4 entries one request (header, data, status) fits at a time. */
static void check_queue_sizes(uint32_t first_size)
{
    static const uint32_t sizes[] = {256, 16, 4};
    uint64_t features = negotiated_mask();
    /* The memory only needs virtio_queue_ring_align(): 16 bytes on a modern device. Move it by
       that much, so a modern queue is not page-aligned by luck. */
    size_t shift = virtio_queue_ring_align(&disk);

    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint32_t want = sizes[i] < first_size ? sizes[i] : first_size;
        /* Legacy virtio-pci has no queue size register the driver writes: the rings have the
           device's size there (the memory is sized for it) and the driver uses `want` entries. */
        virtio_blk_params p = {0};
        p.queue_size = sizes[i];
        p.requests = NREQS;
        int r = virtio_blk_init(&blk, &disk, &p, mem + shift, sizeof mem - shift);
        if (r != 0)
            ex_fail("virtio_blk_init again, smaller queue", r);
        if (virtio_queue_size(&blk.queue) != want)
            ex_fail("the queue does not have the size asked for", 0);
        if (negotiated_mask() != features || virtio_blk_capacity(&blk) != cap)
            ex_fail("a second initialization negotiated something else", 0);
        quiet = 1;
        check_batches();
        quiet = 0;
        say_dec("queue size ", virtio_queue_size(&blk.queue));
        say_dec(": batches again (up to ", batch_most);
        say(" in flight) and mixed requests, ok\n");
    }
}

/* Leaves a recognisable sector for the host to find in the image. */
static void leave_mark(void)
{
    uint64_t at = mark_at;
    memset(wbuf, 0, (size_t)unit * SECTOR);
    mark_fill(wbuf, at);
    expect(virtio_blk_write(&blk, at, wbuf, (size_t)unit * SECTOR), 0, "write the mark");
    expect(virtio_blk_read(&blk, at, rbuf, (size_t)unit * SECTOR), 0, "read the mark back");
    expect_same(rbuf, wbuf, (size_t)unit * SECTOR, "mark");
    if (virtio_blk_can_flush(&blk))
        expect(virtio_blk_flush(&blk), 0, "flush after the mark");
    say_dec("mark: sector ", at);
    say(" says \"");
    plat_put_str((const char *)wbuf, 64);
    say("\"\n");
}

int main(void)
{
    uint64_t t0 = plat_ticks();
    say("virtio.h blk example\n");

    /* 1. Find the first block device. The scan reads three registers per slot, writes none. */
    const virtio_mmio_slot *slots;
    int n = ex_scan(&slots);
    const virtio_mmio_slot *slot = NULL;
    for (int i = 0; i < n; i++) {
        say_dec("slot ", slots[i].index);
        say_dec(": device id ", slots[i].device_id);
        say(device_name(slots[i].device_id));
        say_dec(", virtio-mmio version ", slots[i].version);
        say("\n");
        if (slot == NULL && slots[i].device_id == VIRTIO_ID_BLOCK)
            slot = &slots[i];
    }
    /* No block device in a virtio-mmio slot: a PCI function, where the machine has PCI. */
    if (slot == NULL && ex_find(VIRTIO_ID_BLOCK, &disk) != 0)
        ex_fail("no virtio block device in any slot", 0);

    /* The driver must refuse a device of another type without touching it. */
    for (int i = 0; i < n; i++) {
        if (slots[i].device_id != VIRTIO_ID_BLOCK) {
            static virtio_blk other;
            virtio_regs regs = virtio_mmio_regs(slots[i].base);
            virtio_transport t;
            expect(virtio_mmio_transport(&t, &regs), 0, "probe of another device");
            expect(virtio_blk_init(&other, &t, NULL, mem, sizeof mem), VIRTIO_ENODEV,
                   "virtio_blk_init on another type");
            say_dec("slot ", slots[i].index);
            say(": virtio_blk_init refuses it with ENODEV, ok\n");
            break;
        }
    }

    /* 2. Probe it (reads only), with every wait bounded by 2 s of wall time; initialize it:
       reset, features, queue 0, DRIVER_OK. */
    if (slot != NULL && ex_find(VIRTIO_ID_BLOCK, &disk) != 0)
        ex_fail("probe", 0);
    virtio_regs regs = disk.regs;
    regs.relax = relax_2s;
    regs.spin_limit = 0xffffffffu; /* only the clock decides */
    int r = ex_probe(&disk, &regs);
    if (r != 0)
        ex_fail("probe", r);
    virtio_blk_params params = {0};
    params.queue_size = QUEUE_SIZE;
    params.requests = NREQS;
    r = virtio_blk_init(&blk, &disk, &params, mem, sizeof mem);
    if (r != 0)
        ex_fail("virtio_blk_init", r);
    const virtio_blk_info *info = virtio_blk_get_info(&blk);
    cap = virtio_blk_capacity(&blk);
    ro = virtio_blk_read_only(&blk);
    uint32_t qsize = virtio_queue_size(&blk.queue);

    if (slot != NULL) {
        say_dec("using block device in slot ", slot->index);
        plat_puts(" at ");
        plat_put_hex((uintptr_t)slot->base);
    } else {
        say("using block device on PCI");
    }
    say(virtio_dev_legacy(&blk.dev) ? ", transport legacy (version 1)\n"
                                    : ", transport modern (version 2)\n");
    say_features("features offered    ", offered_mask());
    say_features("features negotiated ", negotiated_mask());
    say_dec("queue size ", qsize);
    say_dec(", max request ", virtio_blk_max_request(&blk));
    say_dec(" sectors, seg_max ", info->seg_max);
    say_dec(", size_max ", info->size_max);
    say("\n");
    say_dec("capacity ", cap);
    say_dec(" sectors (", cap / 2048u);
    say_dec(" MiB), block size ", virtio_blk_block_size(&blk));
    say(ro ? ", read-only yes" : ", read-only no");
    say(virtio_blk_can_flush(&blk) ? ", flush yes\n" : ", flush no\n");

    /* What the driver negotiated must make sense: a subset of the offer, VERSION_1 on a modern
       device, and no packed ring (this driver implements split queues only). */
    if (negotiated_mask() & ~offered_mask())
        ex_fail("negotiated a feature the device did not offer", 0);
    if (!virtio_dev_legacy(&blk.dev) && !virtio_dev_has(&blk.dev, VIRTIO_F_VERSION_1))
        ex_fail("modern device without VIRTIO_F_VERSION_1 negotiated", 0);
    if (qsize == 0 || (qsize & (qsize - 1u)) != 0 || qsize > QUEUE_SIZE)
        ex_fail("queue size is not a power of two within what we asked", 0);
    if (ro != virtio_dev_has(&blk.dev, VIRTIO_BLK_F_RO))
        ex_fail("virtio_blk_read_only disagrees with VIRTIO_BLK_F_RO", 0);
    if (cap < 2048u)
        ex_fail("this example needs a disk of at least 1 MiB", 0);
    unit = virtio_blk_block_size(&blk) / SECTOR;
    if (unit == 0 || unit > 64u)
        ex_fail("this example handles logical blocks of 512 bytes to 32 KiB", 0);
    mark_at = cap / unit * unit - unit;
    scratch = mark_at - SCRATCH_SECTORS;

    /* 3. The serial number (GET_ID): up to 20 bytes, NUL-padded. */
    char serial[VIRTIO_BLK_ID_BYTES];
    memset(serial, 0, sizeof serial); /* devices may write only the string and one NUL */
    r = virtio_blk_get_id(&blk, serial);
    if (r == 0) {
        say("serial \"");
        plat_put_str(serial, sizeof serial);
        say("\"\n");
    } else if (r == VIRTIO_EUNSUPP) {
        say("serial: GET_ID unsupported by the device\n");
    } else {
        ex_fail("virtio_blk_get_id", r);
    }

    /* 4. Sector 0: its checksum, so the host can compare with what it put there. */
    memset(rbuf, 0xa5, (size_t)unit * SECTOR);
    expect(virtio_blk_read(&blk, 0, rbuf, (size_t)unit * SECTOR), 0, "read sector 0");
    plat_puts("sector 0: fnv1a32 0x");
    plat_put_hexn(fnv1a(rbuf, SECTOR), 8);
    say(", begins \"");
    plat_put_str((const char *)rbuf, 48);
    say("\"\n");

    /* 5. The rest, in an order where each step relies only on the ones before. */
    check_reads();
    check_caller_errors();
    if (ro) {
        check_read_only();
    } else {
        check_writes();
    }
    check_flush();
    if (!ro)
        check_zeroes_and_discard();
    check_writeback_switch();
    check_batches();
    check_queue_sizes(qsize);
    if (!ro) {
        say_dec("scratch final: sectors ", scratch);
        say_dec(" count ", final_sectors);
        plat_puts(" seed ");
        plat_put_hex(FINAL_SEED);
        plat_putc('\n');
        leave_mark();
    }

    r = virtio_dev_check(&blk.dev);
    if (r != 0)
        ex_fail("device status at the end", r);
    say_dec("the driver waited in ", relax_calls);
    say(" poll iterations (relax hook calls)\n");
    say_dec("all checks passed in ", plat_ticks_to_us(plat_ticks() - t0) / 1000u);
    say(" ms\nPASS\n");
    return 0;
}
