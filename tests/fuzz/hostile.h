/* hostile.h - a hostile virtio device for the driver-side fuzzers (tests/fuzz/fuzz_driver_*.c).

   A transport of our own (virtio_transport_ops): every value the driver reads from it
   (status, feature words, configuration, generation, queue sizes, interrupt status) is an
   honest default changed by bytes of the input, and at every notification and every idle
   iteration of a wait (the relax hook) the input may write into the memory a real device
   writes: any queue's used ring (split) or descriptor ring and event area (packed), well-formed
   used elements for the next index, with bytes written into the buffer they name (split: read
   from the descriptor table, which only the driver writes), and whatever the target adds
   (hostile_extra: a block request's status byte; hostile_config_written: configuration that
   answers what the driver wrote, virtio-input's select / subsel). The input is a stream; once it runs out every
   value is the honest default and every device write stops, so each run ends.
   Include after virtio.h and the device header; define HOSTILE_FEATURES0 / 1 (the honest
   offer), and the target sets hostile_config[] and hostile_extra before each run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTILE_QUEUES 16u

static const uint8_t *in_p;
static size_t in_n;

static uint8_t next8(void) {
    if (!in_n) return 0;
    in_n--;
    return *in_p++;
}
static uint16_t next16(void) { return (uint16_t)(next8() | next8() << 8); }
static uint32_t next32(void) { return (uint32_t)next16() | (uint32_t)next16() << 16; }

static uint32_t st;                 /* status as the driver wrote it */
static uint64_t drv_feat;           /* features the driver accepted */
static uint8_t hostile_config[256]; /* the device's configuration, in the device's order */
static struct hostile_queue {
    uint8_t *desc, *drv, *dev; /* descriptor, driver and device areas (CPU pointers) */
    uint32_t size;
    uint16_t last_avail; /* next available entry the device takes (split) */
    uint16_t pk_pos;     /* packed: the next descriptor the device looks at */
    uint16_t pk_wrap;    /* packed: the device's wrap counter */
    uint32_t dev_len;    /* bytes of the device area (used ring / device event area) */
    uint8_t dev_copy[6u + 8u * 256u]; /* what the device last left there */
} hq[HOSTILE_QUEUES];
static int t_legacy;
/* A used element was forged for a buffer the device never took: from then on the device
   writes no buffer contents (it cannot tell which buffers are still its own, and a device that
   writes a buffer after giving it back is a DMA bug no driver can stop). */
static int forged;
static void (*hostile_extra)(uint32_t what, uint32_t off, uint8_t v);
/* Called after the driver wrote the configuration (virtio-input: select / subsel change what
   the configuration says); NULL for none. */
static void (*hostile_config_written)(uint32_t off, unsigned width, uint32_t v);
/* Transport calls and idle iterations so far: a target bounds each library call's work by
   them (HOSTILE_WORK_BEGIN / HOSTILE_WORK_CHECK). */
static unsigned long hostile_calls;
/* The byte a device writes at offset k of a buffer's writable part; `req` is the start of its
   first readable descriptor (the request), NULL if none. NULL hook: next8(). A target sets it
   to an honest answer changed by the input (honest ^ next8()), so that zero bytes of input
   make a device that works and the fuzzer starts from there. */
static uint8_t (*hostile_byte)(const uint8_t *req, uint32_t k);
/* Set: a device that takes a buffer writes all its writable bytes but for as many as the
   input says (a command's whole response); clear: as many as the input says (a receive). */
static int hostile_full;
/* Set: a notification's device takes the buffers unless the input says not to (bit 0 of its
   byte set), so that zero bytes of input make a device that answers; clear: only when it says
   so. */
static int hostile_eager;

/* A promise of the library that must hold: names the broken one before the abort. */
#define HOSTILE_CHECK(c)                                                                           \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: promise broken: %s\n", __FILE__, __LINE__, #c);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Bounded work: a library call makes at most `base` transport calls and idle iterations plus
   8 per input byte the device's answers consumed during it (every answer that may change
   what the driver does takes input; once the input is gone, each wait ends at once). */
#define HOSTILE_WORK_BEGIN()                                                                       \
    size_t work_in_ = in_n;                                                                        \
    unsigned long work_calls_ = hostile_calls
#define HOSTILE_WORK_CHECK(base)                                                                   \
    do {                                                                                           \
        HOSTILE_CHECK(hostile_calls - work_calls_ <=                                              \
                      (unsigned long)(base) + 8ul * (work_in_ - in_n));                            \
    } while (0)

/* The driver's memory block, at least `need` bytes and page-aligned: kept between inputs and
   grown when an input asks for more. NULL when allocation fails. */
static uint8_t *hostile_mem(size_t need) {
    static uint8_t *mem;
    static size_t mem_size;
    if (need > mem_size) {
        free(mem);
        mem = (uint8_t *)aligned_alloc(4096, (need + 4095u) & ~(size_t)4095u);
        mem_size = mem ? need : 0;
    }
    return mem;
}

static int hostile_packed(void) { return (int)((drv_feat >> 34) & 1u); }

/* The device area (split: the used ring; packed: the device event suppression area) is the
   device's alone to write: the copy is taken after each device write and compared at every
   transport call and idle iteration (a driver that wrote it would corrupt what the device
   tells it). Queues larger than the copy are not checked. */
static void hostile_dev_sync(struct hostile_queue *q) {
    if (q->dev && q->dev_len <= sizeof q->dev_copy) memcpy(q->dev_copy, q->dev, q->dev_len);
}
static void hostile_dev_verify(void) {
    uint32_t i;
    for (i = 0; i < HOSTILE_QUEUES; i++)
        if (hq[i].dev && hq[i].dev_len <= sizeof hq[i].dev_copy)
            HOSTILE_CHECK(memcmp(hq[i].dev_copy, hq[i].dev, hq[i].dev_len) == 0);
}

/* A well-formed used element on split queue q for buffer `id`, after `len` input bytes were
   written into its writable descriptors (as a device would: it reads the descriptor table). */
static void hostile_use(struct hostile_queue *q, uint32_t id, uint32_t len) {
    uint16_t idx = (uint16_t)(q->dev[2] | q->dev[3] << 8);
    uint32_t slot = 4u + 8u * (idx % q->size), d = id % q->size, k, hops, done = 0;
    const uint8_t *req = 0;
    if (hostile_full) { /* len: bytes short of the whole writable part */
        uint32_t w = 0, short_by = len;
        for (hops = 0; hops < q->size; hops++) {
            uint8_t *e = q->desc + 16u * d;
            uint16_t fl = virtio_le16(e + 12);
            if ((fl & VIRTQ_DESC_F_WRITE) && !(fl & VIRTQ_DESC_F_INDIRECT)) w += virtio_le32(e + 8);
            if (!(fl & VIRTQ_DESC_F_NEXT)) break;
            d = virtio_le16(e + 14) % q->size;
        }
        len = w > short_by ? w - short_by : 0u;
        d = id % q->size;
    }
    for (hops = 0; hops < q->size && done < len; hops++) {
        uint8_t *e = q->desc + 16u * d;
        uint64_t addr = virtio_le64(e);
        uint32_t dlen = virtio_le32(e + 8);
        uint16_t fl = virtio_le16(e + 12), nx = virtio_le16(e + 14);
        if (t_legacy) { /* this host's order */
            memcpy(&addr, e, 8);
            memcpy(&dlen, e + 8, 4);
            memcpy(&fl, e + 12, 2);
            memcpy(&nx, e + 14, 2);
        }
        if (!(fl & VIRTQ_DESC_F_WRITE) && !(fl & VIRTQ_DESC_F_INDIRECT) && addr && !req)
            req = (const uint8_t *)(uintptr_t)addr;
        if ((fl & VIRTQ_DESC_F_WRITE) && !(fl & VIRTQ_DESC_F_INDIRECT) && addr && !forged)
            for (k = 0; k < dlen && done < len; k++, done++)
                ((uint8_t *)(uintptr_t)addr)[k] = hostile_byte ? hostile_byte(req, done) : next8();
        if (!(fl & VIRTQ_DESC_F_NEXT)) break;
        d = nx % q->size;
    }
    /* the id and len fields in the device's order: the guest's on legacy (this host's) */
    if (t_legacy) {
        memcpy(q->dev + slot, &id, 4);
        memcpy(q->dev + slot + 4, &len, 4);
        idx = (uint16_t)(idx + 1u);
        memcpy(q->dev + 2, &idx, 2);
    } else {
        virtio_put_le32(q->dev + slot, id);
        virtio_put_le32(q->dev + slot + 4, len);
        virtio_put_le16(q->dev + 2, (uint16_t)(idx + 1u));
    }
    hostile_dev_sync(q);
}

/* The same on a packed queue: takes every available chain in ring order (direct descriptors
   get `fill` input bytes, or all but `fill` with hostile_full) and writes its used descriptor
   over the chain's first, flags last. */
static void hostile_consume_packed(struct hostile_queue *q, uint32_t fill) {
    uint32_t guard;
    for (guard = 0; guard < q->size; guard++) {
        uint8_t *e = q->desc + 16u * q->pk_pos;
        uint16_t fl = virtio_le16(e + 14), id = 0;
        uint32_t n = 0, pos = q->pk_pos, w = 0, done = 0, len = fill, k, pass;
        const uint8_t *req = 0;
        if (((fl >> 7) & 1u) != q->pk_wrap || ((fl >> 15) & 1u) == q->pk_wrap) break;
        for (pass = hostile_full ? 0u : 1u; pass < 2u; pass++) {
            if (pass == 1u && hostile_full) len = w > fill ? w - fill : 0u;
            pos = q->pk_pos;
            for (n = 0; n < q->size;) {
                uint8_t *d = q->desc + 16u * pos;
                uint16_t f = virtio_le16(d + 14);
                uint64_t addr = virtio_le64(d);
                uint32_t dlen = virtio_le32(d + 8);
                id = virtio_le16(d + 12);
                if (!(f & VIRTQ_DESC_F_WRITE) && !(f & VIRTQ_DESC_F_INDIRECT) && addr && !req)
                    req = (const uint8_t *)(uintptr_t)addr;
                if ((f & VIRTQ_DESC_F_WRITE) && !(f & VIRTQ_DESC_F_INDIRECT)) {
                    if (pass == 0u) w += dlen;
                    else if (addr && !forged)
                        for (k = 0; k < dlen && done < len; k++, done++)
                            ((uint8_t *)(uintptr_t)addr)[k] =
                                hostile_byte ? hostile_byte(req, done) : next8();
                }
                n++;
                pos = (pos + 1u) % q->size;
                if (!(f & VIRTQ_DESC_F_NEXT)) break;
            }
        }
        virtio_put_le16(e + 12, id);
        virtio_put_le32(e + 8, done);
        virtio_put_le16(e + 14, (uint16_t)(q->pk_wrap ? (1u << 7 | 1u << 15) : 0u));
        q->pk_pos = (uint16_t)(q->pk_pos + n);
        if (q->pk_pos >= q->size) {
            q->pk_pos = (uint16_t)(q->pk_pos - q->size);
            q->pk_wrap ^= 1u;
        }
    }
}

/* A device that does its job on queue q: takes every new available buffer and uses it,
   writing `fill` input bytes into its writable part (0 for a transmit queue). */
static void hostile_consume(struct hostile_queue *q, uint32_t fill) {
    uint16_t aidx, k;
    if (hostile_packed()) {
        if (q->desc) hostile_consume_packed(q, fill);
        return;
    }
    if (!q->drv) return;
    memcpy(&aidx, q->drv + 2, 2);
    if (!t_legacy) aidx = virtio_le16(q->drv + 2);
    for (k = 0; q->last_avail != aidx && k < q->size; k++, q->last_avail++) {
        uint16_t head;
        memcpy(&head, q->drv + 4 + 2u * (q->last_avail % q->size), 2);
        if (!t_legacy) head = virtio_le16(q->drv + 4 + 2u * (q->last_avail % q->size));
        hostile_use(q, head, fill);
    }
}

/* The device writes what the input says into memory it may write. */
static void scribble(void) {
    uint32_t n = next8() & 15u, k;
    for (k = 0; k < n && in_n; k++) {
        uint32_t what = next8(), off = next16();
        struct hostile_queue *q = &hq[(what >> 4) % HOSTILE_QUEUES];
        if (!q->dev) {
            if (hostile_extra) hostile_extra(what, off, next8());
            continue;
        }
        switch (what & 3u) {
        case 0: /* split: the used ring; packed: the device event area */
            q->dev[off % (hostile_packed() ? 4u : 6u + 8u * q->size)] = next8();
            hostile_dev_sync(q);
            break;
        case 1: /* packed: the descriptor ring (then the device trusts no address there) */
            if (hostile_packed()) {
                forged = 1;
                q->desc[off % (16u * q->size)] = next8();
            }
            break;
        case 2:
            if (hostile_extra) hostile_extra(what, off, next8());
            break;
        default:
            if (!hostile_packed()) {
                forged = 1;
                hostile_use(q, off, next8());
            }
        }
    }
}

static uint32_t t_get_status(virtio_transport *t) {
    hostile_calls++;
    hostile_dev_verify();
    (void)t;
    return next8() == 0xa5 ? next8() : st; /* now and then: whatever the input says */
}
static void t_set_status(virtio_transport *t, uint32_t s) {
    hostile_calls++;
    hostile_dev_verify();
    (void)t;
    st = s;
    if (s == 0) {
        drv_feat = 0;
        memset(hq, 0, sizeof hq);
    }
}
static uint32_t t_get_features(virtio_transport *t, uint32_t word) {
    hostile_calls++;
    hostile_dev_verify();
    uint32_t honest = word == 0 ? (uint32_t)(HOSTILE_FEATURES0) : word == 1 ? (HOSTILE_FEATURES1) : 0u;
    (void)t;
    return honest ^ next32();
}
static void t_set_features(virtio_transport *t, uint32_t word, uint32_t v) {
    hostile_calls++;
    hostile_dev_verify();
    (void)t;
    if (word == 0) drv_feat = (drv_feat & ~0xffffffffull) | v;
    if (word == 1) drv_feat = (drv_feat & 0xffffffffull) | (uint64_t)v << 32;
}
static uint32_t t_config_read(virtio_transport *t, uint32_t off, unsigned width) {
    hostile_calls++;
    hostile_dev_verify();
    uint32_t v = 0, i;
    (void)t;
    for (i = 0; i < width; i++)
        v |= (uint32_t)(off + i < sizeof hostile_config ? hostile_config[off + i] : 0u) << (8 * i);
    return v ^ (next8() == 0x5a ? next32() : 0u);
}
static void t_config_write(virtio_transport *t, uint32_t off, unsigned width, uint32_t v) {
    hostile_calls++;
    hostile_dev_verify();
    uint32_t i;
    (void)t;
    for (i = 0; i < width; i++)
        if (off + i < sizeof hostile_config) hostile_config[off + i] = (uint8_t)(v >> (8 * i));
    if (hostile_config_written) hostile_config_written(off, width, v);
}
static uint32_t t_config_generation(virtio_transport *t) {
    hostile_calls++;
    hostile_dev_verify();
    (void)t;
    return next8() == 0x77 ? next8() : 0u;
}
static uint32_t t_queue_max(virtio_transport *t, uint32_t index) {
    hostile_calls++;
    hostile_dev_verify();
    (void)t;
    return index < HOSTILE_QUEUES ? 64u ^ next16() : next8();
}
static int t_queue_enable(virtio_transport *t, uint32_t index, uint32_t size, uint64_t desc,
                          uint64_t driver, uint64_t device, uint32_t *notify) {
    hostile_calls++;
    hostile_dev_verify();
    (void)t;
    *notify = index;
    if (index < HOSTILE_QUEUES) {
        hq[index].desc = (uint8_t *)(uintptr_t)desc;
        hq[index].drv = t->legacy ? hq[index].desc + 16u * size : (uint8_t *)(uintptr_t)driver;
        hq[index].size = size;
        hq[index].last_avail = 0;
        hq[index].pk_pos = 0;
        hq[index].pk_wrap = 1;
        if (t->legacy) {
            /* legacy: the used ring at the next 4096 after the available ring */
            uintptr_t used = (uintptr_t)desc + 16u * size + 6u + 2u * size;
            hq[index].dev = (uint8_t *)((used + 4095u) & ~(uintptr_t)4095u);
        } else {
            hq[index].dev = (uint8_t *)(uintptr_t)device;
        }
        hq[index].dev_len = hostile_packed() ? 4u : 6u + 8u * size;
        hostile_dev_sync(&hq[index]);
    }
    (void)driver;
    return next8() == 0xee ? VIRTIO_ENOQUEUE : VIRTIO_OK;
}
static void t_notify(virtio_transport *t, uint32_t index, uint32_t notify) {
    hostile_calls++;
    hostile_dev_verify();
    uint8_t how = next8();
    (void)t;
    (void)notify;
    /* Bit 0: the device takes what was made available on this queue (an honest device); the
       other bits: how many bytes it writes into each (0: a transmit queue's answer). */
    if (((how ^ (hostile_eager ? 1u : 0u)) & 1u) && index < HOSTILE_QUEUES && hq[index].dev)
        hostile_consume(&hq[index], (uint32_t)(how >> 1));
    scribble();
}
static uint32_t t_interrupt_ack(virtio_transport *t) {
    hostile_calls++;
    hostile_dev_verify();
    (void)t;
    return next8() & 3u;
}
static const virtio_transport_ops hostile_ops = {
    t_get_status,  t_set_status,   t_get_features, t_set_features,
    t_config_read, t_config_write, t_config_generation, t_queue_max,
    t_queue_enable, t_notify,      t_interrupt_ack};

/* The accessor: never used for registers by this transport, but a device needs a complete one. */
static uint8_t r8(void *u, unsigned r, uint32_t o) { (void)u, (void)r, (void)o; return 0; }
static uint16_t r16(void *u, unsigned r, uint32_t o) { (void)u, (void)r, (void)o; return 0; }
static uint32_t r32(void *u, unsigned r, uint32_t o) { (void)u, (void)r, (void)o; return 0; }
static void w8(void *u, unsigned r, uint32_t o, uint8_t v) { (void)u, (void)r, (void)o, (void)v; }
static void w16(void *u, unsigned r, uint32_t o, uint16_t v) { (void)u, (void)r, (void)o, (void)v; }
static void w32(void *u, unsigned r, uint32_t o, uint32_t v) { (void)u, (void)r, (void)o, (void)v; }
static int hostile_relax(void *u, uint32_t i) {
    hostile_calls++;
    hostile_dev_verify();
    (void)u;
    (void)i;
    scribble();
    return !in_n; /* out of input: the wait ends now */
}

/* Starts a run over `buf`: the device's state cleared, `t` made (legacy if the first byte's
   low bit says so). */
static void hostile_start(virtio_transport *t, uint32_t device_id, const uint8_t *buf, size_t len) {
    in_p = buf;
    in_n = len;
    st = 0;
    drv_feat = 0;
    forged = 0;
    hostile_config_written = 0;
    hostile_byte = 0;
    hostile_full = 0;
    hostile_eager = 0;
    memset(hq, 0, sizeof hq);
    memset(hostile_config, 0, sizeof hostile_config);
    memset(t, 0, sizeof *t);
    t->ops = &hostile_ops;
    t->kind = VIRTIO_TRANSPORT_OTHER;
    t->device_id = device_id;
    t->version = 2;
    t->legacy = next8() & 1u;
    t_legacy = (int)t->legacy;
    t->regs.read8 = r8;
    t->regs.read16 = r16;
    t->regs.read32 = r32;
    t->regs.write8 = w8;
    t->regs.write16 = w16;
    t->regs.write32 = w32;
    t->regs.relax = hostile_relax;
    t->regs.spin_limit = 64;
}
