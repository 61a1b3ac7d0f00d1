/* rng.c - virtio_rng.h on QEMU's `virt` machines: random bytes from the host.

   Run (legacy or modern, the device in any slot):
     qemu-system-riscv64 -M virt -bios none -nographic -kernel build/riscv64/rng.elf \
         -device virtio-rng-device
   tests/qemu/rng_test.py boots it legacy and modern, rv64 and rv32, in several slots, and
   without the device.

   What it does:
   1. scans the eight virtio-mmio slots for an entropy device (device ID 4) and sets it up;
   2. reads 64 bytes (blocking) and prints them in hex; they must not be all zero, and a second
      read of 64 bytes must differ from the first;
   3. gives the device four buffers at once (submit), tells it once (kick) and takes them back
      as they finish (poll, which never waits: the program bounds the loop by the clock);
   4. resets the device, as a boot loader would before handing over to the next stage.
   Exit status 0 and a last line "PASS"; otherwise "FAIL: <what>" and a nonzero status. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_RNG_IMPLEMENTATION
#include "virtio_rng.h"

#include "platform/platform.h"
#include "example.h"

#define QUEUE_SIZE 8u
#define NBUFS 4u
#define BUF_SIZE 64u
#define POLL_LIMIT_US 1000000u

/* Legacy virtio-mmio wants the rings page-aligned; 4096 suits both versions. */
static uint8_t mem[VIRTIO_RNG_MEM(QUEUE_SIZE)] __attribute__((aligned(4096)));
/* Buffers the device writes: static, so the device reaches them at their own address. */
static uint8_t first[BUF_SIZE], second[BUF_SIZE];
static uint8_t bufs[NBUFS][BUF_SIZE];
static virtio_rng rng;

static void put_bytes(const char *label, const uint8_t *b, unsigned n)
{
    plat_puts(label);
    for (unsigned i = 0; i < n; i++)
        plat_put_hexn(b[i], 2);
    plat_putc('\n');
}

static int all_zero(const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

/* Steps 1-2: a blocking read fills the whole buffer (the driver asks again when the device
   writes less). */
static void blocking_reads(void)
{
    int r = virtio_rng_read(&rng, first, BUF_SIZE);
    if (r != 0)
        ex_fail("virtio_rng_read", r);
    put_bytes("random: ", first, BUF_SIZE);
    if (all_zero(first, BUF_SIZE))
        ex_fail("64 bytes from the device, all zero", 0);
    r = virtio_rng_read(&rng, second, BUF_SIZE);
    if (r != 0)
        ex_fail("virtio_rng_read (second)", r);
    put_bytes("random: ", second, BUF_SIZE);
    if (memcmp(first, second, BUF_SIZE) == 0)
        ex_fail("two reads gave the same 64 bytes", 0);
}

/* Step 3: several buffers in flight, one notification. */
static void submit_poll(void)
{
    for (unsigned i = 0; i < NBUFS; i++) {
        int r = virtio_rng_submit(&rng, bufs[i], BUF_SIZE);
        if (r != 0)
            ex_fail("virtio_rng_submit", r);
    }
    int r = virtio_rng_kick(&rng);
    if (r != 0)
        ex_fail("virtio_rng_kick", r);

    uint32_t total = 0;
    unsigned back = 0, mask = 0;
    uint64_t t0 = plat_ticks();
    while (back < NBUFS) {
        void *buf;
        uint32_t got;
        r = virtio_rng_poll(&rng, &buf, &got);
        if (r == VIRTIO_EAGAIN) {
            if (plat_ticks_to_us(plat_ticks() - t0) > POLL_LIMIT_US)
                ex_fail("submitted buffers not back within 1 s", 0);
            continue;
        }
        if (r != 0)
            ex_fail("virtio_rng_poll", r);
        unsigned i = 0;
        while (i < NBUFS && buf != bufs[i])
            i++;
        if (i == NBUFS || (mask & (1u << i)) != 0)
            ex_fail("poll returned a buffer that was not pending", 0);
        mask |= 1u << i;
        back++;
        total += got;
    }
    if (virtio_rng_pending(&rng) != 0 || virtio_rng_wait(&rng, NULL, NULL) != VIRTIO_EAGAIN)
        ex_fail("buffers still pending after all came back", 0);
    plat_puts("submit/kick/poll: ");
    plat_put_dec(NBUFS);
    plat_puts(" buffers back, ");
    plat_put_dec(total);
    plat_puts(" bytes\n");
}

int main(void)
{
    plat_puts("virtio.h rng example\n");

    /* 1. Find the device and set it up. */
    virtio_transport t;
    int r = ex_find(VIRTIO_ID_RNG, &t);
    if (r != 0)
        ex_fail("no virtio-rng device in any slot", r);
    virtio_rng_params p = {0};
    p.queue_size = QUEUE_SIZE;
    r = virtio_rng_init(&rng, &t, &p, mem, sizeof mem);
    if (r != 0)
        ex_fail("virtio_rng_init", r);
    plat_puts(virtio_transport_legacy(&t) ? "entropy device, legacy (version 1)\n"
                                          : "entropy device, modern (version 2)\n");

    blocking_reads();
    submit_poll();

    /* 4. Leave the device idle for whoever comes next. */
    r = virtio_rng_reset(&rng);
    if (r != 0)
        ex_fail("virtio_rng_reset", r);
    plat_puts("PASS\n");
    return 0;
}
