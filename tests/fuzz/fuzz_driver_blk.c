/* fuzz_driver_blk.c - libFuzzer target: a hostile device against the driver side, virtio.h's
   core and virtio_blk.h.
   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_driver_blk.c

   The device is a transport of our own (virtio_transport_ops): every value the driver reads
   from it (status, feature words, configuration, generation, queue sizes, interrupt status)
   is an honest default changed by bytes of the input, and at every notification and every
   idle iteration of a wait the input may write anything into the memory a real device
   writes: the used ring (split) or the descriptor ring and its event area (packed), and the
   status bytes of the requests. The driver's calls (blocking and non-blocking requests of
   every type, refresh, reset, init again) come from the input too. The input is read as a
   stream; once it runs out every value is the honest default and every device write stops,
   so each run ends. Checked besides "no crash, no hang, no ASan or UBSan report": a call
   never reports success with a result the device cannot have given, and a blocking call that
   failed left the device reset or returned VIRTIO_EBUSY (buffer ownership). */
#define VIRTIO_IMPLEMENTATION
#include "../../virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "../../virtio_blk.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *in_p;
static size_t in_n;

static uint8_t next8(void) {
    if (!in_n) return 0;
    in_n--;
    return *in_p++;
}
static uint16_t next16(void) { return (uint16_t)(next8() | next8() << 8); }
static uint32_t next32(void) { return (uint32_t)next16() | (uint32_t)next16() << 16; }

/* ---- The device's state ---------------------------------------------------------------------- */
static uint32_t st;            /* status as the driver wrote it */
static uint64_t drv_feat;      /* features the driver accepted */
static uint8_t config[64];     /* virtio_blk_config, little-endian */
static uint8_t *q_desc, *q_dev; /* queue 0's descriptor area and device area (CPU pointers) */
static uint32_t q_size;
static virtio_blk blk;
static uint32_t notifies;

/* The device writes what the input says into memory it may write: `n` (offset, byte) pairs,
   the offset taken modulo the area. */
static void scribble(void) {
    uint32_t n = next8() & 15u, k;
    for (k = 0; k < n && in_n; k++) {
        uint32_t what = next8(), off = next16();
        if ((what & 3u) == 0 && q_dev) {
            /* split: the used ring (flags, idx, ring, avail_event); packed: device event area */
            uint32_t len = (drv_feat >> 34) & 1u ? 4u : 6u + 8u * q_size;
            q_dev[off % len] = next8();
        } else if ((what & 3u) == 1 && q_desc && ((drv_feat >> 34) & 1u)) {
            q_desc[off % (16u * q_size)] = next8(); /* packed: descriptors become used */
        } else if ((what & 3u) == 2 && blk.reqs && blk.nreqs) {
            blk.reqs[off % blk.nreqs].status = next8();
        } else if ((what & 3u) == 3 && q_dev && !((drv_feat >> 34) & 1u)) {
            /* a well-formed used element for the next index: id, len, then idx + 1 */
            uint16_t idx = (uint16_t)(q_dev[2] | q_dev[3] << 8);
            uint32_t slot = 4u + 8u * (idx % q_size), id = next8() % q_size, len = next8();
            virtio_put_le32(q_dev + slot, id);
            virtio_put_le32(q_dev + slot + 4, len);
            virtio_put_le16(q_dev + 2, (uint16_t)(idx + 1u));
        }
    }
}

/* ---- The transport --------------------------------------------------------------------------- */
static uint32_t t_get_status(virtio_transport *t) {
    (void)t;
    return next8() == 0xa5 ? next8() : st; /* now and then: whatever the input says */
}
static void t_set_status(virtio_transport *t, uint32_t s) {
    (void)t;
    st = s;
    if (s == 0) {
        drv_feat = 0;
        q_desc = q_dev = 0;
        q_size = 0;
    }
}
static uint32_t t_get_features(virtio_transport *t, uint32_t word) {
    /* honest: VERSION_1, RING_PACKED, INDIRECT_DESC, EVENT_IDX, blk SEG_MAX, BLK_SIZE, FLUSH,
       DISCARD, WRITE_ZEROES, CONFIG_WCE, SIZE_MAX; changed by the input */
    uint32_t honest = word == 0 ? (1u << 1 | 1u << 2 | 1u << 6 | 1u << 9 | 1u << 11 | 1u << 13 |
                                   1u << 14 | 1u << 28 | 1u << 29)
                      : word == 1 ? (1u << 0 | 1u << 2)
                                  : 0u;
    (void)t;
    return honest ^ next32();
}
static void t_set_features(virtio_transport *t, uint32_t word, uint32_t v) {
    (void)t;
    if (word == 0) drv_feat = (drv_feat & ~0xffffffffull) | v;
    if (word == 1) drv_feat = (drv_feat & 0xffffffffull) | (uint64_t)v << 32;
}
static uint32_t t_config_read(virtio_transport *t, uint32_t off, unsigned width) {
    uint32_t v = 0, i;
    (void)t;
    for (i = 0; i < width; i++)
        v |= (uint32_t)(off + i < sizeof config ? config[off + i] : 0u) << (8 * i);
    return v ^ (next8() == 0x5a ? next32() : 0u);
}
static void t_config_write(virtio_transport *t, uint32_t off, unsigned width, uint32_t v) {
    uint32_t i;
    (void)t;
    for (i = 0; i < width; i++)
        if (off + i < sizeof config) config[off + i] = (uint8_t)(v >> (8 * i));
}
static uint32_t t_config_generation(virtio_transport *t) {
    (void)t;
    return next8() == 0x77 ? next8() : 0u;
}
static uint32_t t_queue_max(virtio_transport *t, uint32_t index) {
    (void)t;
    return index == 0 ? 64u ^ next16() : next8();
}
static int t_queue_enable(virtio_transport *t, uint32_t index, uint32_t size, uint64_t desc,
                          uint64_t driver, uint64_t device, uint32_t *notify) {
    (void)t;
    (void)driver;
    *notify = index;
    if (index == 0) {
        q_desc = (uint8_t *)(uintptr_t)desc;
        q_dev = (uint8_t *)(uintptr_t)device;
        q_size = size;
    }
    return next8() == 0xee ? VIRTIO_ENOQUEUE : VIRTIO_OK;
}
static void t_notify(virtio_transport *t, uint32_t index, uint32_t notify) {
    (void)t;
    (void)index;
    (void)notify;
    notifies++;
    scribble();
}
static uint32_t t_interrupt_ack(virtio_transport *t) {
    (void)t;
    return next8() & 3u;
}
static const virtio_transport_ops ops = {
    t_get_status,    t_set_status,        t_get_features, t_set_features,
    t_config_read,   t_config_write,      t_config_generation, t_queue_max,
    t_queue_enable,  t_notify,            t_interrupt_ack};

/* The accessor: never used for registers by this transport, but a device needs a complete one. */
static uint8_t r8(void *u, unsigned r, uint32_t o) { (void)u, (void)r, (void)o; return 0; }
static uint16_t r16(void *u, unsigned r, uint32_t o) { (void)u, (void)r, (void)o; return 0; }
static uint32_t r32(void *u, unsigned r, uint32_t o) { (void)u, (void)r, (void)o; return 0; }
static void w8(void *u, unsigned r, uint32_t o, uint8_t v) { (void)u, (void)r, (void)o, (void)v; }
static void w16(void *u, unsigned r, uint32_t o, uint16_t v) { (void)u, (void)r, (void)o, (void)v; }
static void w32(void *u, unsigned r, uint32_t o, uint32_t v) { (void)u, (void)r, (void)o, (void)v; }
static int relax(void *u, uint32_t i) {
    (void)u;
    (void)i;
    scribble();
    return !in_n; /* out of input: the wait ends now */
}

static uint8_t data[8 * 4096];

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len) {
    virtio_transport t;
    virtio_blk_params p;
    static uint8_t *mem;
    static size_t mem_size;
    size_t need;
    uint32_t ops_left = 64;
    in_p = buf;
    in_n = len;
    st = 0;
    drv_feat = 0;
    q_desc = q_dev = 0;
    q_size = 0;
    notifies = 0;
    memset(&blk, 0, sizeof blk);
    memset(config, 0, sizeof config);
    virtio_put_le64(config, 2048);         /* capacity */
    virtio_put_le32(config + 8, 4096);     /* size_max */
    virtio_put_le32(config + 12, 8);       /* seg_max */
    virtio_put_le32(config + 20, 512);     /* blk_size */
    virtio_put_le32(config + 36, 64);      /* max_discard_sectors */
    virtio_put_le32(config + 40, 1);       /* max_discard_seg */
    virtio_put_le32(config + 48, 64);      /* max_write_zeroes_sectors */
    virtio_put_le32(config + 52, 1);       /* max_write_zeroes_seg */

    memset(&t, 0, sizeof t);
    t.ops = &ops;
    t.kind = VIRTIO_TRANSPORT_OTHER;
    t.device_id = VIRTIO_ID_BLOCK;
    t.version = 2;
    t.legacy = next8() & 1u;
    t.regs.read8 = r8;
    t.regs.read16 = r16;
    t.regs.read32 = r32;
    t.regs.write8 = w8;
    t.regs.write16 = w16;
    t.regs.write32 = w32;
    t.regs.relax = relax;
    t.regs.spin_limit = 64;

    memset(&p, 0, sizeof p);
    p.queue_size = 1u << (next8() % 7u); /* 1 .. 64 */
    p.requests = 1u + next8() % 8u;
    need = virtio_blk_mem_size(&p, &t);
    if (!need) return 0;
    if (need > mem_size) {
        free(mem);
        mem = (uint8_t *)aligned_alloc(4096, (need + 4095u) & ~(size_t)4095u);
        mem_size = mem ? need : 0;
        if (!mem) return 0;
    }
    if (virtio_blk_init(&blk, &t, &p, mem, need) != VIRTIO_OK) return 0;

    while (in_n && ops_left--) {
        uint8_t op = next8();
        uint64_t sector = next16() % 2100u;
        size_t n = 512u * (1u + next8() % 16u);
        unsigned id = 0;
        int res = 0, r, healthy = virtio_dev_usable(&blk.dev) == VIRTIO_OK;
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
            char sid[VIRTIO_BLK_ID_BYTES];
            r = virtio_blk_get_id(&blk, sid);
            (void)virtio_blk_get_info(&blk);
            break;
        }
        default: r = (op & 32) ? virtio_blk_reset(&blk) : virtio_blk_init(&blk, &t, &p, mem, need);
        }
        /* Results are the library's codes, and a request result is one the device can give. */
        if (r > 0 || r < VIRTIO__RESULT_MIN) abort();
        if ((op % 12u == 5 || op % 12u == 6) && r == VIRTIO_OK &&
            !(res == VIRTIO_OK || res == VIRTIO_EIO || res == VIRTIO_EUNSUPP || res == VIRTIO_EDEVICE))
            abort();
        /* A blocking call that failed in its wait reset the device (or says it could not). */
        if (healthy && (op % 12u <= 2 || op % 12u == 6) &&
            (r == VIRTIO_ETIMEDOUT || r == VIRTIO_ENEEDS_RESET) && st != 0)
            abort();
    }
    return 0;
}
