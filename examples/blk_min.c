/* blk_min.c - the smallest block build on QEMU: virtio.h and virtio_blk.h with VIRTIO_MINIMAL and
   VIRTIO_MMIO_ONLY (what `make size-blk` measures as "smallest"), doing what a bootloader does.

   Run (a modern virtio-blk disk of at least 64 KiB, in any virtio-mmio slot):
     qemu-system-riscv64 -M virt -bios none -nographic -global virtio-mmio.force-legacy=false \
         -kernel build/riscv64/blk_min.elf \
         -drive file=disk.img,if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0
   tests/qemu/blk_test.py boots it on modern devices and checks from the host what it did.

   It scans the platform's virtio-mmio slots (this build has no device tree reader and no legacy
   transport), takes the first block device, and checks: a transport of another kind is refused
   with VIRTIO_ENOTSUP (VIRTIO_MMIO_ONLY); init; sector 0 (its FNV-1a checksum printed for the
   host); a write of 4 KiB at the end of the disk, read back and compared; a flush. It leaves that
   write on the disk: byte i of it is (i * 7 + 0x5a) mod 256, at sector capacity - 8 (in whole
   logical blocks: capacity rounded down to the block size, minus 4 KiB). Exit status 0 and a last
   line "PASS" when every check passed; otherwise "FAIL: <what>" and a nonzero status. */

#define VIRTIO_MINIMAL
#define VIRTIO_MMIO_ONLY
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "virtio_blk.h"

#include "platform/platform.h"

#define QUEUE_SIZE 16u
#define NREQS 4u
#define SECTOR VIRTIO_BLK_SECTOR_SIZE
#define TAIL 4096u /* bytes written at the end of the disk */

static uint8_t mem[VIRTIO_BLK_MEM(QUEUE_SIZE, NREQS)] __attribute__((aligned(16)));
static uint8_t wbuf[TAIL] __attribute__((aligned(16)));
static uint8_t rbuf[TAIL] __attribute__((aligned(16)));
static virtio_blk blk;

static void fail(const char *what, int r)
{
    plat_puts("FAIL: ");
    plat_puts(what);
    plat_puts(": ");
    plat_put_sdec(r);
    plat_putc('\n');
    plat_exit(1);
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
}

int main(void)
{
    virtio_mmio_slot slots[PLAT_VIRTIO_MMIO_SLOTS];
    virtio_transport t, other;
    virtio_blk_params params = {QUEUE_SIZE, NREQS};
    int i, n, r;

    plat_puts("blk_min: VIRTIO_MINIMAL + VIRTIO_MMIO_ONLY\n");
    n = virtio_mmio_scan(NULL, (void *)PLAT_VIRTIO_MMIO_BASE, PLAT_VIRTIO_MMIO_STRIDE,
                         PLAT_VIRTIO_MMIO_SLOTS, slots, PLAT_VIRTIO_MMIO_SLOTS);
    for (i = 0; i < n && slots[i].device_id != VIRTIO_ID_BLOCK; i++)
        ;
    if (i >= n)
        fail("no virtio block device", VIRTIO_ENODEV);
    virtio_regs regs = virtio_mmio_regs(slots[i].base);
    r = virtio_mmio_transport(&t, &regs);
    if (r != 0)
        fail("virtio_mmio_transport", r);
    if (t.ops != NULL)
        fail("VIRTIO_MMIO_ONLY: the probe set a transport table", 0);

    /* A transport of another kind (here one of our own, with ops that are never called, on
       the same registers) is refused before anything is touched: not even a reset. */
    static const virtio_transport_ops own_ops;
    other = t;
    other.ops = &own_ops;
    other.kind = VIRTIO_TRANSPORT_OTHER;
    r = virtio_blk_init(&blk, &other, &params, mem, sizeof mem);
    if (r != VIRTIO_ENOTSUP)
        fail("a transport of our own in a VIRTIO_MMIO_ONLY build: not VIRTIO_ENOTSUP", r);
    plat_puts("other transport refused with VIRTIO_ENOTSUP, ok\n");

    r = virtio_blk_init(&blk, &t, &params, mem, sizeof mem);
    if (r != 0)
        fail("virtio_blk_init", r);
    uint64_t cap = virtio_blk_capacity(&blk);
    uint32_t bs = virtio_blk_block_size(&blk);
    plat_puts("capacity ");
    plat_put_dec(cap);
    plat_puts(" sectors, block size ");
    plat_put_dec(bs);
    plat_puts(", max request ");
    plat_put_dec(virtio_blk_max_request(&blk));
    plat_puts(" sectors\n");
    if (bs > TAIL || cap * SECTOR < 16u * TAIL)
        fail("this example needs a disk of at least 64 KiB and blocks of at most 4 KiB", 0);

    /* Sector 0, in one logical block. */
    r = virtio_blk_read(&blk, 0, rbuf, bs);
    if (r != 0)
        fail("read sector 0", r);
    plat_puts("sector 0: fnv1a32 0x");
    plat_put_hexn(fnv1a(rbuf, SECTOR), 8);
    plat_putc('\n');

    /* The last whole 4 KiB of the disk (blocks are powers of two up to 4 KiB: `at` is a
       whole block): write, read back, compare, flush. */
    uint64_t at = cap / (bs / SECTOR) * (bs / SECTOR) - TAIL / SECTOR;
    for (uint32_t k = 0; k < TAIL; k++)
        wbuf[k] = (uint8_t)(k * 7u + 0x5au);
    if (!virtio_blk_read_only(&blk)) {
        r = virtio_blk_write(&blk, at, wbuf, TAIL);
        if (r != 0)
            fail("write", r);
        r = virtio_blk_read(&blk, at, rbuf, TAIL);
        if (r != 0)
            fail("read back", r);
        for (uint32_t k = 0; k < TAIL; k++)
            if (rbuf[k] != wbuf[k])
                fail("read back differs at byte", (int)k);
        if (virtio_blk_can_flush(&blk)) {
            r = virtio_blk_flush(&blk);
            if (r != 0)
                fail("flush", r);
        }
        plat_puts("wrote, read back and flushed 4 KiB at sector ");
        plat_put_dec(at);
        plat_putc('\n');
    }
    r = virtio_dev_check(&blk.dev);
    if (r != 0)
        fail("device status at the end", r);
    plat_puts("PASS\n");
    return 0;
}
