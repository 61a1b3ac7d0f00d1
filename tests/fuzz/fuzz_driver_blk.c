/* fuzz_driver_blk.c - libFuzzer target: a hostile device (tests/fuzz/hostile.h) against the
   driver side, virtio.h's core and virtio_blk.h.
   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_driver_blk.c

   The driver's calls (blocking and non-blocking requests of every type, refresh, reset, init
   again) come from the input, between the device's answers and writes. Checked besides "no
   crash, no hang, no ASan or UBSan report": every result is one of the library's codes, a
   request result is one the device can give, and a blocking call that failed in its wait left
   the device reset (buffer ownership). */
#define VIRTIO_IMPLEMENTATION
#include "../../virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "../../virtio_blk.h"

/* VERSION_1, RING_PACKED; INDIRECT_DESC, EVENT_IDX; blk SIZE_MAX, SEG_MAX, BLK_SIZE, FLUSH,
   CONFIG_WCE, DISCARD, WRITE_ZEROES */
#define HOSTILE_FEATURES0                                                                          \
    (1u << 1 | 1u << 2 | 1u << 6 | 1u << 9 | 1u << 11 | 1u << 13 | 1u << 14 | 1u << 28 | 1u << 29)
#define HOSTILE_FEATURES1 (1u << 0 | 1u << 2)
#include "hostile.h"

static virtio_blk blk;
static uint8_t data[8 * 4096];

/* The device writes a request's status byte. */
static void blk_extra(uint32_t what, uint32_t off, uint8_t v) {
    (void)what;
    if (blk.reqs && blk.nreqs) blk.reqs[off % blk.nreqs].status = v;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len) {
    virtio_transport t;
    virtio_blk_params p;
    uint8_t *mem;
    size_t need;
    uint32_t ops_left = 64;
    hostile_start(&t, VIRTIO_ID_BLOCK, buf, len);
    hostile_extra = blk_extra;
    memset(&blk, 0, sizeof blk);
    virtio_put_le64(hostile_config, 2048);     /* capacity */
    virtio_put_le32(hostile_config + 8, 4096); /* size_max */
    virtio_put_le32(hostile_config + 12, 8);   /* seg_max */
    virtio_put_le32(hostile_config + 20, 512); /* blk_size */
    virtio_put_le32(hostile_config + 36, 64);  /* max_discard_sectors */
    virtio_put_le32(hostile_config + 40, 1);   /* max_discard_seg */
    virtio_put_le32(hostile_config + 48, 64);  /* max_write_zeroes_sectors */
    virtio_put_le32(hostile_config + 52, 1);   /* max_write_zeroes_seg */

    memset(&p, 0, sizeof p);
    p.queue_size = 1u << (next8() % 7u); /* 1 .. 64 */
    p.requests = 1u + next8() % 8u;
    need = virtio_blk_mem_size(&p, &t);
    if (!need) return 0;
    mem = hostile_mem(need);
    if (!mem) return 0;
    if (virtio_blk_init(&blk, &t, &p, mem, need) != VIRTIO_OK) return 0;

    while (in_n && ops_left--) {
        uint8_t op = next8();
        uint64_t sector = next16() % 2100u;
        size_t n = 512u * (1u + next8() % 16u);
        unsigned id = 0;
        int res = 0, r, healthy = virtio_dev_usable(&blk.dev) == VIRTIO_OK;
        HOSTILE_WORK_BEGIN();
        switch (op % 12u) {
        case 0: r = virtio_blk_read(&blk, sector, data, n); break;
        case 1: r = virtio_blk_write(&blk, sector, data, n); break;
        case 2: r = virtio_blk_flush(&blk); break;
        case 3: r = virtio_blk_submit(&blk, VIRTIO_BLK_T_IN, sector, data, n, &id); break;
        case 4: r = virtio_blk_kick(&blk); break;
        case 5: r = virtio_blk_poll(&blk, &id, &res); break;
        case 6: r = virtio_blk_wait(&blk, &id, &res); break;
        case 7: r = virtio_blk_discard(&blk, sector, n / 512u); break;
        case 8: r = virtio_blk_write_zeroes(&blk, sector, n / 512u, op & 16); break;
        case 9: r = virtio_blk_refresh(&blk); break;
        case 10: {
            static char sid[VIRTIO_BLK_ID_BYTES]; /* static: after VIRTIO_EBUSY it is the device's */
            r = virtio_blk_get_id(&blk, sid);
            (void)virtio_blk_get_info(&blk);
            break;
        }
        default: r = (op & 32) ? virtio_blk_reset(&blk) : virtio_blk_init(&blk, &t, &p, mem, need);
        }
        /* Results are the library's codes, and a request result is one the device can give. */
        HOSTILE_WORK_CHECK(4096); /* bounded work (hostile.h) */
        if (r > 0 || r < VIRTIO__RESULT_MIN) abort();
        if ((op % 12u == 5 || op % 12u == 6) && r == VIRTIO_OK &&
            !(res == VIRTIO_OK || res == VIRTIO_EIO || res == VIRTIO_EUNSUPP ||
              res == VIRTIO_EDEVICE))
            abort();
        /* A blocking call that failed in its wait reset the device (or says it could not). */
        if (healthy && (op % 12u <= 2 || op % 12u == 6) &&
            (r == VIRTIO_ETIMEDOUT || r == VIRTIO_ENEEDS_RESET) && st != 0)
            abort();
    }
    return 0;
}
