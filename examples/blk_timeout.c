/* blk_timeout.c - a blocking read that times out gives the buffer back for good.

   Run on a throttled drive, so that the device holds a request for about a second:
     qemu-system-riscv64 -M virt -bios none -nographic -kernel build/riscv64/blk_timeout.elf \
         -drive file=disk.img,if=none,format=raw,id=d0,throttling.iops-total=1 \
         -device virtio-blk-device,drive=d0
   tests/qemu/blk_test.py does this for a legacy and a modern device.

   The accessor's spin_limit bounds every wait to a few thousand poll iterations, far less than
   the throttle's second, so a read gives up with VIRTIO_ETIMEDOUT while the device still holds
   the buffer. The spec allows the driver to take a buffer back only once the device used it or
   was reset ("Device Cleanup"), so before virtio_blk_read returns it resets the device. This
   program checks what that promises: after the call returns, not one byte of the buffer
   changes, however long we wait (3 s here, three throttle periods). Then it initializes the
   device again, with waits bounded by the clock instead, and reads sector 0 for the host to
   check. Prints "PASS" and exits 0 when all of that holds; "FAIL: <what>" otherwise. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "virtio_blk.h"

#include "platform/platform.h"
#include "example.h"

#define SPIN_LIMIT 2000u     /* poll iterations per wait: well under a millisecond */
#define TRIES 8u             /* reads until one times out (the throttle lets the first through) */
#define SETTLE_US 3000000u   /* how long we watch the buffer after the call returned */
#define FILL 0xa5u

#define QUEUE_SIZE 64u
#define REQUESTS 4u
static uint8_t mem[VIRTIO_BLK_MEM(QUEUE_SIZE, REQUESTS)] __attribute__((aligned(4096)));
static uint8_t buf[4096] __attribute__((aligned(16)));
static uint8_t seen[4096];
static virtio_blk blk;

/* Byte offset of the first difference, or -1. Volatile: the device writes `a` behind the
   compiler's back (that is what we look for). */
static long first_diff(const volatile uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return (long)i;
    }
    return -1;
}

/* A second wait bound, by the clock, for the second initialization: 10 s per wait. */
static uint64_t wait_start;
static int relax_10s(void *user, uint32_t iteration)
{
    uint64_t now = plat_ticks();
    (void)user;
    if (iteration == 0)
        wait_start = now;
    return now - wait_start > 10u * PLAT_TIMEBASE_HZ;
}

/* Probes the block device with an accessor bounded by `spin_limit` and `relax`, and inits it. */
static void bring_up(uint32_t spin_limit, int (*relax)(void *, uint32_t))
{
    virtio_transport t;
    int r = ex_find(VIRTIO_ID_BLOCK, &t);
    if (r != 0)
        ex_fail("no block device", r);
    virtio_regs regs = t.regs; /* the accessor of the slot ex_find found, with our bounds */
    regs.spin_limit = spin_limit;
    regs.relax = relax;
    r = ex_probe(&t, &regs);
    virtio_blk_params p = {0};
    p.queue_size = QUEUE_SIZE;
    p.requests = REQUESTS;
    if (r == 0)
        r = virtio_blk_init(&blk, &t, &p, mem, sizeof mem);
    if (r != 0)
        ex_fail("virtio_blk_init", r);
}

int main(void)
{
    plat_puts("virtio.h blk timeout example\n");
    bring_up(SPIN_LIMIT, NULL);
    plat_puts(virtio_dev_legacy(&blk.dev) ? "transport legacy\n" : "transport modern\n");

    /* 1. Reads with a tiny wait bound until one times out. */
    int r = 0;
    unsigned tries = 0;
    while (tries < TRIES) {
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = FILL;
        uint64_t t0 = plat_ticks();
        r = virtio_blk_read(&blk, 8u * tries++, buf, sizeof buf);
        uint64_t us = plat_ticks_to_us(plat_ticks() - t0);
        plat_puts("read ");
        plat_put_dec(tries);
        plat_puts(": ");
        plat_puts(r == 0 ? "done" : virtio_result_str(r));
        plat_puts(" after ");
        plat_put_dec(us);
        plat_puts(" us\n");
        if (r != 0)
            break;
    }
    if (r != VIRTIO_ETIMEDOUT && r != VIRTIO_EBUSY)
        ex_fail("no read timed out: is the drive throttled?", r);
    if (r == VIRTIO_EBUSY)
        ex_fail("the device could not be reset after the timeout", r);

    /* 2. The call returned: the buffer is ours. The device may have finished the read while it
       was being reset (then the buffer holds the data), or not (then the fill): either way,
       nothing may change it from now on. */
    unsigned written = 0;
    for (size_t i = 0; i < sizeof buf; i++) {
        seen[i] = ((volatile uint8_t *)buf)[i];
        written += seen[i] != FILL;
    }
    plat_puts("buffer when the call returned: ");
    plat_puts(written ? "the device wrote it before its reset completed\n"
                      : "untouched (the device never got to it)\n");
    if (virtio_blk_pending(&blk) != 0)
        ex_fail("requests pending after the timeout", 0);

    plat_delay_us(SETTLE_US);
    long d = first_diff(buf, seen, sizeof buf);
    if (d >= 0) {
        plat_puts("FAIL: the buffer changed after the call returned, first at byte ");
        plat_put_dec((uint64_t)d);
        plat_putc('\n');
        plat_exit(1);
    }
    plat_puts("buffer unchanged ");
    plat_put_dec(SETTLE_US / 1000u);
    plat_puts(" ms after the call returned, ok\n");

    /* 3. The error is latched until the device is initialized again. */
    r = virtio_blk_read(&blk, 0, buf, sizeof buf);
    if (r != VIRTIO_ETIMEDOUT)
        ex_fail("a read after the timeout did not repeat VIRTIO_ETIMEDOUT", r);
    if (first_diff(buf, seen, sizeof buf) >= 0)
        ex_fail("the refused read touched the buffer", 0);
    plat_puts("later calls: VIRTIO_ETIMEDOUT until init, ok\n");

    /* 4. Initialize again, with waits bounded by the clock (10 s, ten throttle periods) and
       not by iterations: the device works, and sector 0 is what the host put there. */
    bring_up(0xffffffffu, relax_10s);
    r = virtio_blk_read(&blk, 0, buf, VIRTIO_BLK_SECTOR_SIZE);
    if (r != 0)
        ex_fail("read after initializing again", r);
    uint32_t h = 0x811c9dc5u; /* FNV-1a, as examples/blk.c and the host compute it */
    for (size_t i = 0; i < VIRTIO_BLK_SECTOR_SIZE; i++)
        h = (h ^ buf[i]) * 0x01000193u;
    plat_puts("after init again: sector 0: fnv1a32 0x");
    plat_put_hexn(h, 8);
    plat_puts("\nPASS\n");
    return 0;
}
