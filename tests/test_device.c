/* test_device.c - virtio_device.h case by case: the register file (every forbidden access
   refused, the status state machine, reset), the device-side split ring against a hostile
   driver (each rule broken sets NEEDS_RESET and touches nothing outside the granted memory),
   and the block, console and entropy devices' request handling.

   The "driver" here is a few lines that write registers and ring entries by hand. Guest RAM is
   one malloc of exactly RAM_SIZE bytes at guest-physical RAM_GPA, granted by gpa() only for
   ranges wholly inside it, so ASan stops any device access beyond what gpa granted; cases of
   hostile drivers also check that no byte outside the used ring changed. */
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_DEVICE_IMPLEMENTATION
#include "../virtio_device.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define RAM_GPA  0x80000000ull
#define RAM_SIZE 0x10000u
#define QSIZE    8u
#define DATA     0x8000u /* guest buffers from here (RAM offsets) */

/* ---- The guest: RAM, the interrupt line, the hooks -------------------------------------- */
typedef struct guest {
    uint8_t *ram;
    int irq, irq_calls, resets, notifies;
    unsigned refused; /* gpa calls refused */
    unsigned calls;   /* gpa calls */
    uint8_t *lie;     /* if set: addresses from LIE_GPA map here, whatever the length */
    int naive;        /* checks only a >= start && a + len <= end, as a hasty hypervisor might */
} guest;

#define LIE_GPA 0x100000000000ull

static void *g_gpa(void *user, uint64_t a, uint64_t len, int write) {
    guest *g = (guest *)user;
    (void)write;
    g->calls++;
    if (g->lie && a >= LIE_GPA) return g->lie;
    if (g->naive)
        return a >= RAM_GPA && a + len <= RAM_GPA + RAM_SIZE ? g->ram + (a - RAM_GPA) : NULL;
    if (a < RAM_GPA || a - RAM_GPA > RAM_SIZE || len > RAM_SIZE - (a - RAM_GPA)) {
        g->refused++;
        return NULL;
    }
    return g->ram + (a - RAM_GPA);
}
static void g_irq(void *user, int level) {
    guest *g = (guest *)user;
    g->irq = level;
    g->irq_calls++;
}
static void g_reset(void *user) { ((guest *)user)->resets++; }
static void g_notify(void *user, uint32_t q) {
    (void)q;
    ((guest *)user)->notifies++;
}

/* ---- An echo device: the "add a device" shape, 2 queues ---------------------------------- */
typedef struct echo {
    virtio_device dev;
    virtio_device_chain chain;
    int served;
} echo;

static void echo_notify(virtio_device *d, uint32_t q) {
    echo *e = (echo *)d;
    uint8_t buf[256];
    size_t n;
    while (virtio_device_pop(d, q, &e->chain) > 0) {
        n = virtio_device_chain_read(&e->chain, 0, buf, sizeof buf);
        n = virtio_device_chain_write(&e->chain, 0, buf, n);
        virtio_device_push(d, q, &e->chain, (uint32_t)n);
        e->served++;
    }
}
static const virtio_device_ops echo_ops = {0x7e, 2, QSIZE, 8, 1u << 3, echo_notify, NULL, NULL};

/* ---- A fixture: guest, device, the hand-written driver's state ----------------------------- */
typedef struct fx {
    guest g;
    virtio_device_host h;
    virtio_device *d;
    int legacy, eidx;
    uint16_t avail_idx[2];
    echo e;
    virtio_device_blk blk;
    virtio_device_console con;
    virtio_device_rng rng;
    uint8_t disk[4096];
    uint8_t out[256];
    size_t out_n;
} fx;

/* ---- Fields in the device's order: little-endian, legacy in the guest's (this CPU's) ---- */
static fx F;
static int dev_le(void) {
    const uint16_t one = 1;
    return !F.legacy || *(const uint8_t *)&one == 1;
}
static uint64_t dget(const uint8_t *p, unsigned n) {
    uint64_t x = 0;
    unsigned i;
    for (i = 0; i < n; i++)
        x = x << 8 | p[dev_le() ? n - 1u - i : i];
    return x;
}
static void dput(uint8_t *p, uint64_t x, unsigned n) {
    unsigned i;
    for (i = 0; i < n; i++, x >>= 8)
        p[dev_le() ? i : n - 1u - i] = (uint8_t)x;
}
static uint16_t dget16(const uint8_t *p) { return (uint16_t)dget(p, 2); }
static uint32_t dget32(const uint8_t *p) { return (uint32_t)dget(p, 4); }
static void dput16(uint8_t *p, uint16_t v) { dput(p, v, 2); }
static void dput32(uint8_t *p, uint32_t v) { dput(p, v, 4); }
static void dput64(uint8_t *p, uint64_t v) { dput(p, v, 8); }

static void fx_setup(fx *f, int legacy, int eidx) {
    uint8_t *ram = f->g.ram;
    memset(f, 0, sizeof *f);
    f->g.ram = ram;
    memset(f->g.ram, 0, RAM_SIZE);
    f->h.user = &f->g;
    f->h.gpa = g_gpa;
    f->h.irq = g_irq;
    f->h.reset = g_reset;
    f->h.notify = g_notify;
    f->legacy = legacy;
    f->eidx = eidx;
}

static int W(fx *f, uint32_t off, uint32_t v) { return virtio_device_mmio(f->d, off, 4, 1, &v); }
static uint32_t R(fx *f, uint32_t off) {
    uint32_t v = 0xdeadbeef;
    (void)virtio_device_mmio(f->d, off, 4, 0, &v);
    return v;
}
static uint8_t *P(fx *f, uint64_t ram_off) { return f->g.ram + ram_off; }

/* Queue q's rings: descriptor table at q * 0x2000, available ring after it, used ring at the
   next 4096 boundary (the legacy layout; the modern registers get the same addresses). */
static uint32_t q_desc(unsigned q) { return q * 0x2000u; }
static uint32_t q_avail(unsigned q) { return q_desc(q) + 16u * QSIZE; }
static uint32_t q_used(unsigned q) { return q_desc(q) + 0x1000u; }

static void put_desc(fx *f, unsigned q, unsigned i, uint64_t ram_off, uint32_t len, uint16_t flags,
                     uint16_t next) {
    uint8_t *e = P(f, q_desc(q) + 16u * i);
    dput64(e, RAM_GPA + ram_off);
    dput32(e + 8, len);
    dput16(e + 12, flags);
    dput16(e + 14, next);
}
static void put_desc_abs(fx *f, uint8_t *e, uint64_t gpa, uint32_t len, uint16_t flags,
                         uint16_t next) {
    (void)f;
    dput64(e, gpa);
    dput32(e + 8, len);
    dput16(e + 12, flags);
    dput16(e + 14, next);
}
/* Publishes head and notifies; returns the notify write's result. */
static int post(fx *f, unsigned q, uint16_t head) {
    uint16_t i = f->avail_idx[q]++;
    dput16(P(f, q_avail(q) + 4u + 2u * (i % QSIZE)), head);
    dput16(P(f, q_avail(q) + 2u), f->avail_idx[q]);
    return W(f, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}
static uint16_t used_idx(fx *f, unsigned q) { return dget16(P(f, q_used(q) + 2u)); }
static uint32_t used_id(fx *f, unsigned q, unsigned k) {
    return dget32(P(f, q_used(q) + 4u + 8u * (k % QSIZE)));
}
static uint32_t used_len(fx *f, unsigned q, unsigned k) {
    return dget32(P(f, q_used(q) + 8u + 8u * (k % QSIZE)));
}

/* Queue setup of the selected queue, per version. */
static void setup_queue(fx *f, unsigned q) {
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SEL, q), 0);
    CHECK_GE(R(f, VIRTIO_MMIO_QUEUE_SIZE_MAX), QSIZE);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, QSIZE), 0);
    if (f->legacy) {
        CHECK_EQ(R(f, VIRTIO_MMIO_QUEUE_PFN), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_ALIGN, 4096), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)((RAM_GPA + q_desc(q)) >> 12)), 0);
        CHECK_EQ(R(f, VIRTIO_MMIO_QUEUE_PFN), (RAM_GPA + q_desc(q)) >> 12);
    } else {
        CHECK_EQ(R(f, VIRTIO_MMIO_QUEUE_READY), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(RAM_GPA + q_desc(q))), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)((RAM_GPA + q_desc(q)) >> 32)), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(RAM_GPA + q_avail(q))), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((RAM_GPA + q_avail(q)) >> 32)), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(RAM_GPA + q_used(q))), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((RAM_GPA + q_used(q)) >> 32)), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_READY, 1), 0);
        CHECK_EQ(R(f, VIRTIO_MMIO_QUEUE_READY), 1);
    }
}

/* The spec's initialization sequence, accepting `want` & offered (+ VERSION_1 when modern,
   + EVENT_IDX when f->eidx, + INDIRECT_DESC), then every queue, then DRIVER_OK. */
static void bring_up(fx *f, uint64_t want, unsigned queues) {
    uint64_t offered, acc;
    unsigned q;
    CHECK_EQ(R(f, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
    CHECK_EQ(R(f, VIRTIO_MMIO_VERSION), f->legacy ? 1u : 2u);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 0), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0), 0);
    offered = R(f, VIRTIO_MMIO_DEVICE_FEATURES);
    CHECK_RC(W(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1), 0);
    offered |= (uint64_t)R(f, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    want |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
    if (!f->legacy) want |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
    if (f->eidx) want |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
    acc = want & offered;
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)acc), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(acc >> 32)),
             f->legacy && (acc >> 32) ? VIRTIO_EFEATURES : 0);
    if (f->legacy) {
        CHECK_RC(W(f, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096), 0);
    } else {
        CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 11), 0);
        CHECK_EQ(R(f, VIRTIO_MMIO_STATUS), 11);
    }
    for (q = 0; q < queues; q++) {
        setup_queue(f, q);
        CHECK_OK();
    }
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, R(f, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK), 0);
    CHECK(virtio_device_has(f->d, VIRTIO_F_EVENT_IDX) == f->eidx);
}

static void echo_up(fx *f) {
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    bring_up(f, 0, 2);
}

/* A configuration field in the device's order, read byte by byte / written with one access
   whose value is the little-endian reading of its bytes (the window's convention). */
static uint64_t cfg_rd(fx *f, uint32_t off, unsigned width) {
    uint8_t b[8];
    unsigned i;
    for (i = 0; i < width; i++) {
        uint32_t v = 0xdeadbeef;
        if (virtio_device_mmio(f->d, 0x100 + off + i, 1, 0, &v) != 0) return 0xbad;
        b[i] = (uint8_t)v;
    }
    return dget(b, width);
}
static int cfg_wr(fx *f, uint32_t off, unsigned width, uint32_t val) {
    uint8_t b[4] = {0, 0, 0, 0};
    uint32_t v;
    dput(b, val, width);
    v = virtio_le32(b);
    return virtio_device_mmio(f->d, 0x100 + off, width, 1, &v);
}

static int needs_reset(fx *f) { return (R(f, VIRTIO_MMIO_STATUS) & 64u) != 0; }

/* RAM outside [keep, keep + n) is as in `snap`. */
static int same_except(fx *f, const uint8_t *snap, size_t keep, size_t n) {
    size_t i;
    for (i = 0; i < RAM_SIZE; i++)
        if ((i < keep || i >= keep + n) && snap[i] != f->g.ram[i]) return 0;
    return 1;
}

/* ==== The register file ===================================================================== */
static void t_ids(fx *f) {
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    CHECK_EQ(R(f, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976u);
    CHECK_EQ(R(f, VIRTIO_MMIO_VERSION), f->legacy ? 1u : 2u);
    CHECK_EQ(R(f, VIRTIO_MMIO_DEVICE_ID), 0x7e);
    CHECK_EQ(R(f, VIRTIO_MMIO_VENDOR_ID), VIRTIO_DEVICE_VENDOR_ID);
    CHECK_EQ(R(f, VIRTIO_MMIO_STATUS), 0);
    CHECK_EQ(R(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0), 0);
    CHECK_EQ(R(f, VIRTIO_MMIO_DEVICE_FEATURES),
             (1u << 3) | (1u << VIRTIO_F_INDIRECT_DESC) | (1u << VIRTIO_F_EVENT_IDX));
    CHECK_RC(W(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1), 0);
    CHECK_EQ(R(f, VIRTIO_MMIO_DEVICE_FEATURES), f->legacy ? 0u : 1u); /* VERSION_1 = bit 32 */
    CHECK_RC(W(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7), 0);
    CHECK_EQ(R(f, VIRTIO_MMIO_DEVICE_FEATURES), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SEL, 1), 0);
    CHECK_EQ(R(f, VIRTIO_MMIO_QUEUE_SIZE_MAX), QSIZE);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SEL, 2), 0); /* no such queue */
    CHECK_EQ(R(f, VIRTIO_MMIO_QUEUE_SIZE_MAX), 0);
    if (!f->legacy) {
        CHECK_EQ(R(f, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
        CHECK_EQ(R(f, VIRTIO_MMIO_SHM_BASE_HIGH), 0xffffffffu);
    }
}

static const uint32_t read_only[] = {VIRTIO_MMIO_MAGIC_VALUE,
                                     VIRTIO_MMIO_VERSION,
                                     VIRTIO_MMIO_DEVICE_ID,
                                     VIRTIO_MMIO_VENDOR_ID,
                                     VIRTIO_MMIO_DEVICE_FEATURES,
                                     VIRTIO_MMIO_QUEUE_SIZE_MAX,
                                     VIRTIO_MMIO_INTERRUPT_STATUS,
                                     VIRTIO_MMIO_CONFIG_GENERATION,
                                     VIRTIO_MMIO_SHM_LEN_LOW,
                                     VIRTIO_MMIO_SHM_BASE_HIGH,
                                     VIRTIO_MMIO_QUEUE_RESET,
                                     0x0f0,
                                     0x048,
                                     0x0c4};
static const uint32_t write_only[] = {VIRTIO_MMIO_DEVICE_FEATURES_SEL,
                                      VIRTIO_MMIO_DRIVER_FEATURES,
                                      VIRTIO_MMIO_DRIVER_FEATURES_SEL,
                                      VIRTIO_MMIO_QUEUE_SEL,
                                      VIRTIO_MMIO_QUEUE_SIZE,
                                      VIRTIO_MMIO_QUEUE_NOTIFY,
                                      VIRTIO_MMIO_INTERRUPT_ACK,
                                      VIRTIO_MMIO_QUEUE_DESC_LOW,
                                      VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
                                      VIRTIO_MMIO_QUEUE_DEVICE_LOW,
                                      VIRTIO_MMIO_GUEST_PAGE_SIZE,
                                      VIRTIO_MMIO_QUEUE_ALIGN,
                                      VIRTIO_MMIO_SHM_SEL};

static void t_read_only(fx *f) {
    size_t i;
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    for (i = 0; i < sizeof read_only / sizeof read_only[0]; i++) {
        uint32_t before = R(f, read_only[i]);
        CHECK_MSG(W(f, read_only[i], 0x12345678) != 0, "write to 0x%03x accepted", read_only[i]);
        CHECK_EQ(R(f, read_only[i]), before);
    }
    CHECK_EQ(R(f, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
    CHECK_EQ(R(f, VIRTIO_MMIO_STATUS), 0);
}

static void t_write_only(fx *f) {
    size_t i;
    uint32_t v;
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    for (i = 0; i < sizeof write_only / sizeof write_only[0]; i++) {
        v = 0xdeadbeef;
        CHECK_MSG(virtio_device_mmio(f->d, write_only[i], 4, 0, &v) != 0, "read of 0x%03x",
                  write_only[i]);
        CHECK_EQ(v, 0);
    }
}

static void t_widths(fx *f) {
    uint32_t v = 0xdeadbeef;
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    CHECK_RC(virtio_device_mmio(f->d, VIRTIO_MMIO_MAGIC_VALUE, 1, 0, &v), VIRTIO_EINVAL);
    CHECK_EQ(v, 0);
    CHECK_RC(virtio_device_mmio(f->d, VIRTIO_MMIO_MAGIC_VALUE, 2, 0, &v), VIRTIO_EINVAL);
    CHECK_RC(virtio_device_mmio(f->d, VIRTIO_MMIO_MAGIC_VALUE, 8, 0, &v), VIRTIO_EINVAL);
    CHECK_RC(virtio_device_mmio(f->d, VIRTIO_MMIO_VERSION + 1, 4, 0, &v), VIRTIO_EINVAL);
    CHECK_RC(virtio_device_mmio(f->d, 0x100 + 2, 4, 0, &v), VIRTIO_EINVAL); /* misaligned */
    CHECK_RC(virtio_device_mmio(f->d, 0x100 + 1, 2, 0, &v), VIRTIO_EINVAL);
    CHECK_RC(virtio_device_mmio(f->d, 0x100 + 8, 1, 0, &v), VIRTIO_EINVAL); /* past config */
    CHECK_RC(virtio_device_mmio(f->d, 0xfffffffffffffffcull, 4, 0, &v), VIRTIO_EINVAL);
    CHECK_RC(virtio_device_mmio(f->d, 0x100 + 7, 1, 0, &v), 0);
    v = 1;
    CHECK_RC(virtio_device_mmio(f->d, VIRTIO_MMIO_STATUS, 1, 1, &v), VIRTIO_EINVAL);
    CHECK_EQ(R(f, VIRTIO_MMIO_STATUS), 0);
    CHECK_RC(virtio_device_mmio(f->d, 0x100, 4, 1, &v), VIRTIO_EINVAL); /* no config_write */
    CHECK_RC(virtio_device_mmio(NULL, 0, 4, 0, &v), VIRTIO_EINVAL);
    CHECK_RC(virtio_device_mmio(f->d, 0, 4, 0, NULL), VIRTIO_EINVAL);
}

/* Registers of the other version are refused. */
static void t_other_version(fx *f) {
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    if (f->legacy) {
        uint32_t v;
        CHECK(W(f, VIRTIO_MMIO_QUEUE_READY, 1) != 0);
        CHECK(W(f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000) != 0);
        CHECK(W(f, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0) != 0);
        CHECK(W(f, VIRTIO_MMIO_SHM_SEL, 0) != 0);
        CHECK(virtio_device_mmio(f->d, VIRTIO_MMIO_CONFIG_GENERATION, 4, 0, &v) != 0);
        CHECK(virtio_device_mmio(f->d, VIRTIO_MMIO_QUEUE_READY, 4, 0, &v) != 0);
        CHECK_RC(W(f, VIRTIO_MMIO_GUEST_PAGE_SIZE, 3000), VIRTIO_EINVAL);
        CHECK_RC(W(f, VIRTIO_MMIO_GUEST_PAGE_SIZE, 0), VIRTIO_EINVAL);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_ALIGN, 100), VIRTIO_EINVAL);
    } else {
        uint32_t v;
        CHECK(W(f, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096) != 0);
        CHECK(W(f, VIRTIO_MMIO_QUEUE_ALIGN, 4096) != 0);
        CHECK(W(f, VIRTIO_MMIO_QUEUE_PFN, 0x80000) != 0);
        CHECK(virtio_device_mmio(f->d, VIRTIO_MMIO_QUEUE_PFN, 4, 0, &v) != 0);
    }
}

static void t_features(fx *f) {
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 1), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 3), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, 1u << 4), VIRTIO_EFEATURES); /* not offered */
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 5), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, 1), VIRTIO_EFEATURES); /* no such word */
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, 0), 0);
    if (f->legacy) {
        /* no FEATURES_OK on legacy; the unoffered bit was dropped */
        CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 11), VIRTIO_ESTATE);
        CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 7), 0);
        CHECK(!virtio_device_has(f->d, 4));
        CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, 1u << 3), VIRTIO_ESTATE); /* after DRIVER_OK */
        CHECK(!virtio_device_has(f->d, 3));
        return;
    }
    /* FEATURES_OK with an unoffered bit: refused, reads back without it */
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, 1), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 11), VIRTIO_EFEATURES);
    CHECK_EQ(R(f, VIRTIO_MMIO_STATUS), 3);
    /* without VERSION_1: refused */
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, 1u << 3), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, 0), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 11), VIRTIO_EFEATURES);
    CHECK_EQ(R(f, VIRTIO_MMIO_STATUS), 3);
    /* a good set; then no change allowed */
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, 1), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 11), 0);
    CHECK_EQ(R(f, VIRTIO_MMIO_STATUS), 11);
    CHECK(virtio_device_has(f->d, 3) && virtio_device_has(f->d, VIRTIO_F_VERSION_1));
    CHECK(!virtio_device_has(f->d, VIRTIO_F_EVENT_IDX));
    CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, 0), VIRTIO_ESTATE);
    CHECK(virtio_device_has(f->d, VIRTIO_F_VERSION_1));
}

static void t_status_order(fx *f) {
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DRIVER), VIRTIO_ESTATE); /* before ACK */
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 1 | VIRTIO_STATUS_DRIVER_OK), VIRTIO_ESTATE);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 1 | VIRTIO_STATUS_FEATURES_OK), VIRTIO_ESTATE);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 1 | 16), VIRTIO_EINVAL); /* unknown bit */
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 1 | VIRTIO_STATUS_NEEDS_RESET), VIRTIO_ESTATE);
    CHECK_EQ(R(f, VIRTIO_MMIO_STATUS), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 3), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 1), VIRTIO_ESTATE); /* clears DRIVER */
    CHECK_EQ(R(f, VIRTIO_MMIO_STATUS), 3);
    if (!f->legacy) { /* DRIVER_OK needs FEATURES_OK */
        CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 7), VIRTIO_ESTATE);
        CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, 1), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 11), 0);
    }
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, R(f, VIRTIO_MMIO_STATUS) | 4), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, R(f, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FAILED), 0);
    CHECK(R(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FAILED);
}

/* Ring areas that wrap past 2^64 are refused before gpa sees them (a naive gpa). */
static void t_ring_wrap(fx *f) {
    f->g.naive = 1;
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 1), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 3), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SEL, 0), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, QSIZE), 0);
    if (f->legacy) { /* 0xffffffff pages of 2 GiB: the rings run past 2^64 */
        CHECK_RC(W(f, VIRTIO_MMIO_GUEST_PAGE_SIZE, 0x80000000u), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_PFN, 0xffffffffu), VIRTIO_EINVAL);
        CHECK_EQ(R(f, VIRTIO_MMIO_QUEUE_PFN), 0);
        return;
    }
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0xfffffff0u), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0xffffffffu), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)RAM_GPA + 0x800), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)RAM_GPA + 0x1000), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_READY, 1), VIRTIO_EINVAL);
    CHECK_EQ(R(f, VIRTIO_MMIO_QUEUE_READY), 0);
}

static void t_queue_setup_refused(fx *f) {
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 1), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 3), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SEL, 0), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, 0), VIRTIO_EINVAL);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, 6), VIRTIO_EINVAL);         /* not a power of 2 */
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, 2 * QSIZE), VIRTIO_EINVAL); /* above the max */
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SEL, 9), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, 4), VIRTIO_ENOQUEUE);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SEL, 0), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, QSIZE), 0);
    if (f->legacy) {
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_PFN, 0x10), VIRTIO_EINVAL); /* not guest RAM */
        CHECK_EQ(R(f, VIRTIO_MMIO_QUEUE_PFN), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_PFN, 0xffffffffu), VIRTIO_EINVAL);
        /* the last page of RAM: the rings would run past its end */
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)((RAM_GPA + RAM_SIZE - 4096) >> 12)),
                 VIRTIO_EINVAL);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(RAM_GPA >> 12)), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, 4), VIRTIO_ESTATE); /* live */
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_ALIGN, 8192), VIRTIO_ESTATE);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(RAM_GPA >> 12) + 2), VIRTIO_ESTATE);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_PFN, 0), 0); /* stop using it */
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, 4), 0);
    } else {
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000), 0); /* not RAM */
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_READY, 1), VIRTIO_EINVAL);
        CHECK_EQ(R(f, VIRTIO_MMIO_QUEUE_READY), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RAM_GPA + 8), 0); /* misaligned */
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)RAM_GPA + 0x800), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)RAM_GPA + 0x1000), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_READY, 1), VIRTIO_EINVAL);
        /* the used ring running past the end of RAM */
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RAM_GPA), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(RAM_GPA + RAM_SIZE - 16)), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_READY, 1), VIRTIO_EINVAL);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)RAM_GPA + 0x1000), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_READY, 2), VIRTIO_EINVAL);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_READY, 1), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, 4), VIRTIO_ESTATE); /* live */
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RAM_GPA), VIRTIO_ESTATE);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_READY, 0), 0);
        CHECK_EQ(R(f, VIRTIO_MMIO_QUEUE_READY), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, 4), 0);
    }
}

static void t_setup_after_driver_ok(fx *f) {
    echo_up(f);
    CHECK_OK();
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SEL, 1), 0);
    if (f->legacy) {
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_PFN, 0), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)((RAM_GPA + q_desc(1)) >> 12)),
                 VIRTIO_ESTATE);
    } else {
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_READY, 0), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SIZE, 4), VIRTIO_ESTATE);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_DESC_LOW, 0), VIRTIO_ESTATE);
        CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_READY, 1), VIRTIO_ESTATE);
    }
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_NOTIFY, 1), VIRTIO_ESTATE); /* not live any more */
}

static void t_reset(fx *f) {
    echo_up(f);
    CHECK_OK();
    put_desc(f, 0, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 1, DATA + 16, 4, VIRTQ_DESC_F_WRITE, 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK_EQ(f->g.irq, 1);
    CHECK_EQ(R(f, VIRTIO_MMIO_INTERRUPT_STATUS), 1);
    f->g.resets = 0;
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 0), 0);
    CHECK_EQ(f->g.resets, 1);
    CHECK_EQ(R(f, VIRTIO_MMIO_STATUS), 0);
    CHECK_EQ(R(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK_EQ(f->g.irq, 0); /* the line dropped */
    CHECK(!virtio_device_has(f->d, VIRTIO_F_VERSION_1) && !virtio_device_has(f->d, 3));
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_SEL, 0), 0);
    CHECK_EQ(R(f, f->legacy ? VIRTIO_MMIO_QUEUE_PFN : VIRTIO_MMIO_QUEUE_READY), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0), VIRTIO_ESTATE);
    /* and it comes up again, from used index 0 */
    memset(P(f, 0), 0, 0x4000);
    f->avail_idx[0] = f->avail_idx[1] = 0;
    bring_up(f, 0, 2);
    CHECK_OK();
    put_desc(f, 0, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 1, DATA + 16, 4, VIRTQ_DESC_F_WRITE, 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK_EQ(used_idx(f, 0), 1);
}

static void t_interrupt_ack(fx *f) {
    echo_up(f);
    CHECK_OK();
    put_desc(f, 0, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 1, DATA + 16, 4, VIRTQ_DESC_F_WRITE, 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK_EQ(f->g.irq, 1);
    CHECK_RC(W(f, VIRTIO_MMIO_INTERRUPT_ACK, 4), VIRTIO_EINVAL); /* undefined bit */
    CHECK_EQ(f->g.irq, 1);
    CHECK_RC(W(f, VIRTIO_MMIO_INTERRUPT_ACK, 2), 0); /* not pending: no change */
    CHECK_EQ(R(f, VIRTIO_MMIO_INTERRUPT_STATUS), 1);
    CHECK_RC(W(f, VIRTIO_MMIO_INTERRUPT_ACK, 1), 0);
    CHECK_EQ(R(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK_EQ(f->g.irq, 0);
    CHECK_EQ(f->g.irq_calls, 2);
}

static void t_notify_rules(fx *f) {
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0), VIRTIO_ESTATE);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_NOTIFY, 2), VIRTIO_ENOQUEUE);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_NOTIFY, 0x10000), VIRTIO_ENOQUEUE);
    /* a buffer posted before DRIVER_OK is served when DRIVER_OK is set, not before */
    bring_up(f, 0, 0);
    CHECK_OK();
}

/* Buffers posted before DRIVER_OK (and their notification, refused) are served at DRIVER_OK. */
static void t_posted_before_driver_ok(fx *f) {
    uint32_t st;
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 1), 0);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 3), 0);
    if (!f->legacy) {
        CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_DRIVER_FEATURES, 1), 0);
        CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 11), 0);
    }
    setup_queue(f, 0);
    CHECK_OK();
    memcpy(P(f, DATA), "ping", 4);
    put_desc(f, 0, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 1, DATA + 16, 4, VIRTQ_DESC_F_WRITE, 0);
    CHECK_RC(post(f, 0, 0), VIRTIO_ESTATE);
    CHECK_EQ(used_idx(f, 0), 0);
    CHECK_EQ(f->g.irq, 0);
    st = R(f, VIRTIO_MMIO_STATUS);
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, st | 4), 0);
    CHECK_EQ(used_idx(f, 0), 1);
    CHECK_MEM(P(f, DATA + 16), "ping", 4);
}

/* ==== The split ring ========================================================================== */
static void t_echo(fx *f) {
    unsigned k;
    echo_up(f);
    CHECK_OK();
    for (k = 0; k < 3 * QSIZE; k++) { /* wraps the rings */
        uint8_t msg[8];
        memset(msg, (int)(k + 1), sizeof msg);
        memcpy(P(f, DATA), msg, sizeof msg);
        put_desc(f, 1, (k * 2) % QSIZE, DATA, 8, VIRTQ_DESC_F_NEXT,
                 (uint16_t)((k * 2 + 1) % QSIZE));
        put_desc(f, 1, (k * 2 + 1) % QSIZE, DATA + 64, 8, VIRTQ_DESC_F_WRITE, 0);
        CHECK_RC(post(f, 1, (uint16_t)((k * 2) % QSIZE)), 0);
        CHECK_EQ(used_idx(f, 1), k + 1);
        CHECK_EQ(used_id(f, 1, k), (k * 2) % QSIZE);
        CHECK_EQ(used_len(f, 1, k), 8);
        CHECK_MEM(P(f, DATA + 64), msg, sizeof msg);
        if (f->eidx) /* avail_event follows what the device took */
            CHECK_EQ(dget16(P(f, q_used(1) + 4u + 8u * QSIZE)), k + 1);
        if (!f->eidx) CHECK_EQ(dget16(P(f, q_used(1))), 0); /* used flags: notify us */
    }
    CHECK_EQ(f->e.served, 3 * QSIZE);
    CHECK_EQ(f->g.notifies, 3 * QSIZE);
    CHECK(!needs_reset(f));
}

/* Interrupt suppression: avail flags NO_INTERRUPT without EVENT_IDX, used_event with it. */
static void t_suppression(fx *f) {
    echo_up(f);
    CHECK_OK();
    put_desc(f, 0, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 1, DATA + 16, 4, VIRTQ_DESC_F_WRITE, 0);
    if (f->eidx) {
        dput16(P(f, q_avail(0) + 4u + 2u * QSIZE), 2); /* used_event: the 3rd */
        dput16(P(f, q_avail(0)), 1);                   /* the lower bit of flags is ignored */
    } else {
        dput16(P(f, q_avail(0)), VIRTQ_AVAIL_F_NO_INTERRUPT);
    }
    CHECK_RC(post(f, 0, 0), 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK_EQ(used_idx(f, 0), 2);
    CHECK_EQ(f->g.irq, 0);
    CHECK_EQ(R(f, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    if (!f->eidx) dput16(P(f, q_avail(0)), 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK_EQ(f->g.irq, 1);
    CHECK_RC(W(f, VIRTIO_MMIO_INTERRUPT_ACK, 1), 0);
    if (f->eidx) { /* used_event 2 is behind now: the 4th use does not interrupt */
        CHECK_RC(post(f, 0, 0), 0);
        CHECK_EQ(f->g.irq, 0);
    }
}

/* Indirect tables: alone, after direct descriptors ("MUST handle the case of zero or more
   normal chained descriptors followed by a single descriptor with INDIRECT"), and with the
   WRITE flag of the referring descriptor ignored. */
static void t_indirect(fx *f) {
    uint8_t *tab = P(f, 0x6000);
    echo_up(f);
    CHECK_OK();
    memcpy(P(f, DATA), "abcdefgh", 8);
    put_desc_abs(f, tab, RAM_GPA + DATA, 4, VIRTQ_DESC_F_NEXT, 1);
    put_desc_abs(f, tab + 16, RAM_GPA + DATA + 4, 4, VIRTQ_DESC_F_NEXT, 2);
    put_desc_abs(f, tab + 32, RAM_GPA + DATA + 64, 8, VIRTQ_DESC_F_WRITE, 0);
    put_desc(f, 0, 3, 0x6000, 48, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
    CHECK_RC(post(f, 0, 3), 0);
    CHECK(!needs_reset(f));
    CHECK_EQ(used_id(f, 0, 0), 3);
    CHECK_EQ(used_len(f, 0, 0), 8);
    CHECK_MEM(P(f, DATA + 64), "abcdefgh", 8);
    /* a direct readable descriptor, then an indirect table holding the writable one */
    memcpy(P(f, DATA), "12345678", 8);
    put_desc_abs(f, tab, RAM_GPA + DATA + 128, 8, VIRTQ_DESC_F_WRITE, 0);
    put_desc(f, 0, 5, DATA, 8, VIRTQ_DESC_F_NEXT, 6);
    put_desc(f, 0, 6, 0x6000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    CHECK_RC(post(f, 0, 5), 0);
    CHECK(!needs_reset(f));
    CHECK_EQ(used_id(f, 0, 1), 5);
    CHECK_MEM(P(f, DATA + 128), "12345678", 8);
}

/* ---- Hostile drivers: each case breaks one rule; NEEDS_RESET, a configuration interrupt,
   nothing outside the used ring changed, and nothing more served until reset -------------- */
typedef void (*breaker)(fx *f);

static void hostile(fx *f, breaker make, uint16_t head) {
    static uint8_t snap[RAM_SIZE];
    echo_up(f);
    CHECK_OK();
    memcpy(P(f, DATA), "payload!", 8);
    make(f);
    memcpy(snap, f->g.ram, RAM_SIZE);
    CHECK_RC(post(f, 0, head), 0);
    memcpy(snap + q_avail(0), f->g.ram + q_avail(0), 4u + 2u * QSIZE); /* post() wrote it */
    CHECK_MSG(needs_reset(f), "NEEDS_RESET not set");
    CHECK_EQ(R(f, VIRTIO_MMIO_INTERRUPT_STATUS) & 2u, 2u);
    CHECK_EQ(f->g.irq, 1);
    CHECK_EQ(used_idx(f, 0), 0);
    CHECK_EQ(f->e.served, 0);
    CHECK_MSG(same_except(f, snap, q_used(0), 6u + 8u * QSIZE),
              "RAM outside the used ring changed");
    /* refused from now on, until reset */
    CHECK_RC(post(f, 0, head), VIRTIO_ENEEDS_RESET);
    CHECK_RC(W(f, VIRTIO_MMIO_QUEUE_NOTIFY, 1), VIRTIO_ENEEDS_RESET);
    /* the driver's read-modify-write of status keeps NEEDS_RESET */
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, (R(f, VIRTIO_MMIO_STATUS) & ~64u) | 128u), 0);
    CHECK(needs_reset(f));
    CHECK_RC(W(f, VIRTIO_MMIO_STATUS, 0), 0);
    CHECK_EQ(R(f, VIRTIO_MMIO_STATUS), 0);
    CHECK_EQ(f->g.irq, 0);
}

static void mk_self_loop(fx *f) { put_desc(f, 0, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 0); }
static void mk_cycle(fx *f) {
    put_desc(f, 0, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 1, DATA, 8, VIRTQ_DESC_F_NEXT, 2);
    put_desc(f, 0, 2, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
}
static void mk_next_range(fx *f) { put_desc(f, 0, 0, DATA, 8, VIRTQ_DESC_F_NEXT, QSIZE); }
static void mk_nothing(fx *f) { put_desc(f, 0, 0, DATA, 8, VIRTQ_DESC_F_WRITE, 0); }
static void mk_jump(fx *f) {
    put_desc(f, 0, 0, DATA, 8, VIRTQ_DESC_F_WRITE, 0);
    f->avail_idx[0] = QSIZE; /* post() publishes QSIZE + 1 entries at once */
}
/* Two buffers of 2 GiB each (gpa grants them, pointing at 64 bytes the device never reads:
   the chain is refused first). */
static void mk_len_overflow(fx *f) {
    static uint8_t lie[64];
    f->g.lie = lie;
    put_desc_abs(f, P(f, q_desc(0)), LIE_GPA, 0x80000000u, VIRTQ_DESC_F_NEXT, 1);
    put_desc_abs(f, P(f, q_desc(0) + 16), LIE_GPA, 0x80000000u, VIRTQ_DESC_F_NEXT, 2);
    put_desc(f, 0, 2, DATA, 8, VIRTQ_DESC_F_WRITE, 0);
}
static void mk_outside(fx *f) { put_desc(f, 0, 0, RAM_SIZE - 4, 8, VIRTQ_DESC_F_WRITE, 0); }
static void mk_wrap(fx *f) {
    f->g.naive = 1; /* the device must not rely on gpa to catch the wrap */
    put_desc_abs(f, P(f, q_desc(0)), 0xfffffffffffffff0ull, 0x20, VIRTQ_DESC_F_WRITE, 0);
}
static void mk_read_after_write(fx *f) {
    put_desc(f, 0, 0, DATA + 64, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 1, DATA, 8, 0, 0);
}
static void mk_indirect_in_indirect(fx *f) {
    uint8_t *tab = P(f, 0x6000);
    put_desc_abs(f, tab, RAM_GPA + 0x6000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    put_desc(f, 0, 0, 0x6000, 16, VIRTQ_DESC_F_INDIRECT, 0);
}
static void mk_indirect_next(fx *f) {
    put_desc_abs(f, P(f, 0x6000), RAM_GPA + DATA, 8, VIRTQ_DESC_F_WRITE, 0);
    put_desc(f, 0, 0, 0x6000, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 1, DATA, 8, VIRTQ_DESC_F_WRITE, 0);
}
static void mk_indirect_len(fx *f) { put_desc(f, 0, 0, 0x6000, 24, VIRTQ_DESC_F_INDIRECT, 0); }
static void mk_indirect_zero(fx *f) { put_desc(f, 0, 0, 0x6000, 0, VIRTQ_DESC_F_INDIRECT, 0); }
static void mk_indirect_loop(fx *f) {
    uint8_t *tab = P(f, 0x6000);
    put_desc_abs(f, tab, RAM_GPA + DATA, 8, VIRTQ_DESC_F_NEXT, 1);
    put_desc_abs(f, tab + 16, RAM_GPA + DATA, 8, VIRTQ_DESC_F_NEXT, 0);
    put_desc(f, 0, 0, 0x6000, 32, VIRTQ_DESC_F_INDIRECT, 0);
}
static void mk_indirect_next_range(fx *f) {
    put_desc_abs(f, P(f, 0x6000), RAM_GPA + DATA, 8, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 0, 0x6000, 16, VIRTQ_DESC_F_INDIRECT, 0);
}
static void mk_indirect_outside(fx *f) {
    put_desc(f, 0, 0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
}
static void mk_indirect_huge(fx *f) { put_desc(f, 0, 0, 0, 0xfffffff0u, VIRTQ_DESC_F_INDIRECT, 0); }

#define HOSTILE(fn, mk, head)                                                                      \
    static void fn(fx *f) { hostile(f, mk, head); }
HOSTILE(t_self_loop, mk_self_loop, 0)
HOSTILE(t_cycle, mk_cycle, 0)
HOSTILE(t_next_range, mk_next_range, 0)
HOSTILE(t_head_range, mk_nothing, QSIZE)
HOSTILE(t_head_range_big, mk_nothing, 0xffff)
HOSTILE(t_jump, mk_jump, 0)
HOSTILE(t_len_overflow, mk_len_overflow, 0)
HOSTILE(t_outside, mk_outside, 0)
HOSTILE(t_wrap, mk_wrap, 0)
HOSTILE(t_read_after_write, mk_read_after_write, 0)
HOSTILE(t_indirect_in_indirect, mk_indirect_in_indirect, 0)
HOSTILE(t_indirect_next, mk_indirect_next, 0)
HOSTILE(t_indirect_len, mk_indirect_len, 0)
HOSTILE(t_indirect_zero, mk_indirect_zero, 0)
HOSTILE(t_indirect_loop, mk_indirect_loop, 0)
HOSTILE(t_indirect_next_range, mk_indirect_next_range, 0)
HOSTILE(t_indirect_outside, mk_indirect_outside, 0)
HOSTILE(t_indirect_huge, mk_indirect_huge, 0)

/* A loop is refused after at most `size` descriptors ("A driver MUST NOT create a descriptor
   chain longer than the Queue Size"), not after the device's segment limit. */
static void t_loop_bound(fx *f) {
    unsigned before;
    echo_up(f);
    CHECK_OK();
    put_desc(f, 0, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 1, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
    before = f->g.calls;
    CHECK_RC(post(f, 0, 0), 0);
    CHECK(needs_reset(f));
    CHECK_LE(f->g.calls - before, QSIZE);
}

/* The available index moves backwards after a buffer was used. */
static void t_backwards(fx *f) {
    echo_up(f);
    CHECK_OK();
    put_desc(f, 0, 0, DATA, 8, VIRTQ_DESC_F_WRITE, 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK_EQ(used_idx(f, 0), 1);
    f->avail_idx[0] = 0xffff; /* post() publishes 0: one behind what the device took */
    CHECK_RC(post(f, 0, 0), 0);
    CHECK(needs_reset(f));
    CHECK_EQ(used_idx(f, 0), 1);
}

/* INDIRECT used without the feature negotiated. */
static void t_indirect_unnegotiated(fx *f) {
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &f->h, f->legacy), 0);
    f->d = &f->e.dev;
    virtio_device_set_offer(f->d, 1u << 3);
    bring_up(f, 0, 2);
    CHECK_OK();
    CHECK(!virtio_device_has(f->d, VIRTIO_F_INDIRECT_DESC));
    put_desc_abs(f, P(f, 0x6000), RAM_GPA + DATA, 8, VIRTQ_DESC_F_WRITE, 0);
    put_desc(f, 0, 0, 0x6000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK(needs_reset(f));
    CHECK_EQ(used_idx(f, 0), 0);
}

/* A chain as long as the queue is fine; one longer is a loop. */
static void t_chain_length(fx *f) {
    unsigned i;
    echo_up(f);
    CHECK_OK();
    for (i = 0; i < QSIZE; i++)
        put_desc(f, 0, i, DATA + 8u * i, 8, (uint16_t)(i + 1 < QSIZE ? VIRTQ_DESC_F_NEXT : 0),
                 (uint16_t)(i + 1));
    CHECK_RC(post(f, 0, 0), 0);
    CHECK(!needs_reset(f));
    CHECK_EQ(used_idx(f, 0), 1);
    CHECK_EQ(used_len(f, 0, 0), 0); /* nothing writable */
}

/* ==== The devices ============================================================================ */
static void blk_up(fx *f, int ro) {
    unsigned i;
    for (i = 0; i < sizeof f->disk; i++)
        f->disk[i] = (uint8_t)(i * 7u + 3u);
    CHECK_RC(virtio_device_blk_init(&f->blk, &f->h, f->legacy, f->disk, sizeof f->disk), 0);
    virtio_device_blk_set_readonly(&f->blk, ro);
    f->d = &f->blk.dev;
    bring_up(f, VIRTIO_BIT(5) | VIRTIO_BIT(9), 1);
}

/* A request: header (type, sector) at DATA split over two descriptors, `n` data bytes at
   DATA+0x100 (readable for OUT, writable otherwise), status at DATA+0x80. Returns the status. */
static uint8_t blk_req(fx *f, uint32_t type, uint64_t sector, uint32_t n) {
    unsigned i = 0;
    uint8_t *h = P(f, DATA);
    dput32(h, type);
    dput32(h + 4, 0);
    dput64(h + 8, sector);
    *P(f, DATA + 0x80) = 0xee;
    put_desc(f, 0, i, DATA, 5, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1)), i++;
    put_desc(f, 0, i, DATA + 5, 11, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1)), i++;
    if (n)
        put_desc(f, 0, i, DATA + 0x100, n,
                 (uint16_t)(VIRTQ_DESC_F_NEXT | (type == 1 ? 0 : VIRTQ_DESC_F_WRITE)),
                 (uint16_t)(i + 1)),
            i++;
    put_desc(f, 0, i, DATA + 0x80, 1, VIRTQ_DESC_F_WRITE, 0);
    if (post(f, 0, 0) != 0) return 0xfe;
    return *P(f, DATA + 0x80);
}

static void t_blk(fx *f) {
    uint32_t v = 0;
    blk_up(f, 0);
    CHECK_OK();
    /* configuration: capacity (64 bits), seg_max, blk_size, in the device's order; a wide
       access gives the little-endian reading of the same bytes */
    CHECK_EQ(cfg_rd(f, 0, 8), 8);
    CHECK_EQ(cfg_rd(f, 12, 4), VIRTIO_DEVICE_QUEUE_MAX - 2);
    CHECK_EQ(cfg_rd(f, 20, 4), 512);
    {
        uint8_t b[4] = {0, 0, 0, 0};
        dput(b, 512, 4);
        CHECK_RC(virtio_device_mmio(f->d, 0x100 + 20, 4, 0, &v), 0);
        CHECK_EQ(v, virtio_le32(b));
        CHECK_RC(virtio_device_mmio(f->d, 0x100 + 20, 2, 0, &v), 0);
        CHECK_EQ(v, virtio_le16(b));
    }
    CHECK_RC(virtio_device_mmio(f->d, 0x100 + 24, 1, 0, &v), VIRTIO_EINVAL);
    v = 1;
    CHECK_RC(virtio_device_mmio(f->d, 0x100, 4, 1, &v), VIRTIO_EINVAL); /* read-only config */
    CHECK(virtio_device_has(f->d, 9) && !virtio_device_has(f->d, 5));
    /* read sectors 2-3 */
    CHECK_EQ(blk_req(f, 0, 2, 1024), 0);
    CHECK_MEM(P(f, DATA + 0x100), f->disk + 1024, 1024);
    CHECK_EQ(used_len(f, 0, 0), 1025);
    /* write sector 7 */
    memset(P(f, DATA + 0x100), 0x5a, 512);
    CHECK_EQ(blk_req(f, 1, 7, 512), 0);
    CHECK_MEM(f->disk + 7 * 512, P(f, DATA + 0x100), 512);
    CHECK_EQ(used_len(f, 0, 1), 1);
    /* past the end, partly past, unaligned length: IOERR, nothing moved */
    memset(P(f, DATA + 0x100), 0x11, 1024);
    CHECK_EQ(blk_req(f, 0, 8, 512), 1);
    CHECK_EQ(blk_req(f, 0, 7, 1024), 1);
    CHECK_EQ(blk_req(f, 0, 0xffffffffffffffffull, 512), 1);
    CHECK_EQ(blk_req(f, 1, 7, 1024), 1);
    CHECK_EQ(blk_req(f, 0, 0, 100), 1);
    CHECK_EQ(*P(f, DATA + 0x100), 0x11);
    CHECK_EQ(f->disk[7 * 512 + 511], 0x5a);
    /* flush, GET_ID, unsupported types */
    CHECK_EQ(blk_req(f, 4, 0, 0), 0);
    virtio_device_blk_set_id(&f->blk, "disk-0");
    CHECK_EQ(blk_req(f, 8, 0, 20), 0);
    CHECK_MEM(P(f, DATA + 0x100), "disk-0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
    CHECK_EQ(blk_req(f, 8, 0, 8), 1); /* GET_ID needs 20 bytes */
    CHECK_EQ(blk_req(f, 11, 0, 16), 2);
    CHECK_EQ(blk_req(f, 13, 0, 16), 2);
    CHECK_EQ(blk_req(f, 0x12345, 0, 0), 2);
    CHECK(!needs_reset(f));
}

static void t_blk_readonly(fx *f) {
    uint8_t before[512];
    blk_up(f, 1);
    CHECK_OK();
    CHECK(virtio_device_has(f->d, 5));
    memcpy(before, f->disk, 512);
    memset(P(f, DATA + 0x100), 0x77, 512);
    CHECK_EQ(blk_req(f, 1, 0, 512), 1);
    CHECK_MEM(f->disk, before, 512);
    CHECK_EQ(blk_req(f, 0, 0, 512), 0);
}

static void t_blk_malformed(fx *f) {
    blk_up(f, 0);
    CHECK_OK();
    /* a header shorter than 16 bytes: IOERR in the status byte */
    put_desc(f, 0, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 1, DATA + 0x80, 1, VIRTQ_DESC_F_WRITE, 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK_EQ(*P(f, DATA + 0x80), 1);
    CHECK(!needs_reset(f));
    /* no writable byte for the status: not a request */
    put_desc(f, 0, 0, DATA, 16, 0, 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK(needs_reset(f));
    CHECK_EQ(used_idx(f, 0), 1);
}

static int io_fail;
static int io_read(void *user, uint64_t off, void *p, size_t n) {
    if (io_fail) return 1;
    memcpy(p, (uint8_t *)user + off, n);
    return 0;
}
static int io_write(void *user, uint64_t off, const void *p, size_t n) {
    if (io_fail) return 1;
    memcpy((uint8_t *)user + off, p, n);
    return 0;
}

static void t_blk_callbacks(fx *f) {
    virtio_device_blk_io io = {io_read, io_write, NULL, NULL};
    io.user = f->disk;
    memset(f->disk, 0x3c, sizeof f->disk);
    CHECK_RC(virtio_device_blk_init_io(&f->blk, &f->h, f->legacy, &io, 8), 0);
    f->d = &f->blk.dev;
    bring_up(f, 0, 1);
    CHECK_OK();
    io_fail = 0;
    CHECK_EQ(blk_req(f, 0, 1, 512), 0);
    CHECK_EQ(*P(f, DATA + 0x100 + 511), 0x3c);
    io_fail = 1;
    CHECK_EQ(blk_req(f, 0, 1, 512), 1); /* a backend error: IOERR */
    io_fail = 0;
    /* a sector written from two buffers of 100 and 412 bytes and the header split over three,
       then read back into three buffers: byte-exact through unaligned backend calls */
    {
        unsigned i;
        uint8_t *h = P(f, DATA);
        for (i = 0; i < 512; i++)
            *P(f, DATA + 0x400 + i) = (uint8_t)(i * 5u + 1u);
        dput32(h, 1);
        dput32(h + 4, 0);
        dput64(h + 8, 6);
        put_desc(f, 0, 0, DATA, 3, VIRTQ_DESC_F_NEXT, 1);
        put_desc(f, 0, 1, DATA + 3, 10, VIRTQ_DESC_F_NEXT, 2);
        put_desc(f, 0, 2, DATA + 13, 3, VIRTQ_DESC_F_NEXT, 3);
        put_desc(f, 0, 3, DATA + 0x400, 100, VIRTQ_DESC_F_NEXT, 4);
        put_desc(f, 0, 4, DATA + 0x400 + 100, 412, VIRTQ_DESC_F_NEXT, 5);
        put_desc(f, 0, 5, DATA + 0x80, 1, VIRTQ_DESC_F_WRITE, 0);
        CHECK_RC(post(f, 0, 0), 0);
        CHECK_EQ(*P(f, DATA + 0x80), 0);
        CHECK_MEM(f->disk + 6 * 512, P(f, DATA + 0x400), 512);
        dput32(h, 0);
        put_desc(f, 0, 3, DATA + 0x800, 7, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 4);
        put_desc(f, 0, 4, DATA + 0x900, 500, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 5);
        put_desc(f, 0, 5, DATA + 0xb00, 6, VIRTQ_DESC_F_WRITE, 0); /* 5 data + status */
        CHECK_RC(post(f, 0, 0), 0);
        CHECK_EQ(*P(f, DATA + 0xb05), 0);
        CHECK_MEM(P(f, DATA + 0x800), f->disk + 6 * 512, 7);
        CHECK_MEM(P(f, DATA + 0x900), f->disk + 6 * 512 + 7, 500);
        CHECK_MEM(P(f, DATA + 0xb00), f->disk + 6 * 512 + 507, 5);
        CHECK(!needs_reset(f));
    }
}

static void con_out(void *user, const uint8_t *p, size_t n) {
    fx *f = (fx *)user;
    if (f->out_n + n > sizeof f->out) n = sizeof f->out - f->out_n;
    memcpy(f->out + f->out_n, p, n);
    f->out_n += n;
}

static void t_console(fx *f) {
    uint32_t gen;
    CHECK_RC(virtio_device_console_init(&f->con, &f->h, f->legacy, con_out, f), 0);
    f->d = &f->con.dev;
    /* emergency write before any initialization */
    CHECK_RC(cfg_wr(f, 8, 4, 'E'), 0);
    CHECK_RC(cfg_wr(f, 0, 2, 'E'), VIRTIO_EINVAL); /* cols: read-only */
    CHECK_EQ(f->out_n, 1);
    CHECK_EQ(f->out[0], 'E');
    CHECK_EQ(virtio_device_console_input(&f->con, (const uint8_t *)"x", 1), 0); /* not up */
    bring_up(f, 1 | 4, 2);
    CHECK_OK();
    CHECK_EQ(cfg_rd(f, 0, 2), 80);
    /* transmit: two readable buffers */
    memcpy(P(f, DATA), "hello, world", 12);
    put_desc(f, 1, 0, DATA, 5, VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 1, 1, DATA + 5, 7, 0, 0);
    CHECK_RC(post(f, 1, 0), 0);
    CHECK_EQ(f->out_n, 13);
    CHECK_MEM(f->out + 1, "hello, world", 12);
    CHECK_EQ(used_len(f, 1, 0), 0);
    /* receive: two buffers of 4; 10 bytes offered, 8 taken */
    put_desc(f, 0, 0, DATA + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
    put_desc(f, 0, 1, DATA + 0x200, 4, VIRTQ_DESC_F_WRITE, 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK_RC(post(f, 0, 1), 0);
    CHECK_EQ(virtio_device_console_input(&f->con, (const uint8_t *)"0123456789", 10), 8);
    CHECK_MEM(P(f, DATA + 0x100), "0123", 4);
    CHECK_MEM(P(f, DATA + 0x200), "4567", 4);
    CHECK_EQ(used_idx(f, 0), 2);
    CHECK_EQ(used_len(f, 0, 1), 4);
    /* resize: new generation, configuration interrupt */
    gen = R(f, VIRTIO_MMIO_CONFIG_GENERATION);
    CHECK_RC(W(f, VIRTIO_MMIO_INTERRUPT_ACK, 3), 0);
    virtio_device_console_resize(&f->con, 132, 43);
    CHECK_EQ(R(f, VIRTIO_MMIO_INTERRUPT_STATUS), 2);
    if (!f->legacy) CHECK(R(f, VIRTIO_MMIO_CONFIG_GENERATION) != gen);
    CHECK_EQ(cfg_rd(f, 2, 2), 43);
    /* a writable buffer in the transmit queue: NEEDS_RESET */
    put_desc(f, 1, 2, DATA, 4, VIRTQ_DESC_F_WRITE, 0);
    CHECK_RC(post(f, 1, 2), 0);
    CHECK(needs_reset(f));
}

static void t_console_rx_readable(fx *f) {
    CHECK_RC(virtio_device_console_init(&f->con, &f->h, f->legacy, con_out, f), 0);
    f->d = &f->con.dev;
    bring_up(f, 0, 2);
    CHECK_OK();
    put_desc(f, 0, 0, DATA, 4, 0, 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK_EQ(virtio_device_console_input(&f->con, (const uint8_t *)"abc", 3), 0);
    CHECK(needs_reset(f));
    CHECK_EQ(used_idx(f, 0), 0);
}

static size_t fill_count;
static size_t rng_fill(void *user, uint8_t *p, size_t n) {
    size_t i;
    (void)user;
    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(fill_count++ * 13u + 1u);
    return n;
}

static void t_rng(fx *f) {
    unsigned i;
    CHECK_RC(virtio_device_rng_init(&f->rng, &f->h, f->legacy, rng_fill, NULL), 0);
    f->d = &f->rng.dev;
    bring_up(f, 0, 1);
    CHECK_OK();
    fill_count = 0;
    memset(P(f, DATA), 0, 64);
    put_desc(f, 0, 0, DATA, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    put_desc(f, 0, 1, DATA + 16, 16, VIRTQ_DESC_F_WRITE, 0);
    CHECK_RC(post(f, 0, 0), 0);
    CHECK_EQ(used_len(f, 0, 0), 32);
    for (i = 0; i < 32; i++)
        CHECK_EQ(*P(f, DATA + i), (uint8_t)(i * 13u + 1u));
    CHECK_EQ(*P(f, DATA + 32), 0);
    put_desc(f, 0, 0, DATA, 16, 0, 0); /* readable: refused */
    CHECK_RC(post(f, 0, 0), 0);
    CHECK(needs_reset(f));
}

static void t_init_errors(fx *f) {
    virtio_device_ops bad = echo_ops;
    virtio_device_host h = f->h;
    CHECK_RC(virtio_device_init(NULL, &echo_ops, &f->h, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_device_init(&f->e.dev, NULL, &f->h, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, NULL, 0), VIRTIO_EINVAL);
    h.gpa = NULL;
    CHECK_RC(virtio_device_init(&f->e.dev, &echo_ops, &h, 0), VIRTIO_EINVAL);
    bad.queues = VIRTIO_DEVICE_MAX_QUEUES + 1;
    CHECK_RC(virtio_device_init(&f->e.dev, &bad, &f->h, 0), VIRTIO_EINVAL);
    bad = echo_ops;
    bad.queue_size = 6;
    CHECK_RC(virtio_device_init(&f->e.dev, &bad, &f->h, 0), VIRTIO_EINVAL);
    bad = echo_ops;
    bad.config_size = VIRTIO_DEVICE_CONFIG_MAX + 1;
    CHECK_RC(virtio_device_init(&f->e.dev, &bad, &f->h, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_device_blk_init(&f->blk, &f->h, 0, NULL, 512), VIRTIO_EINVAL);
    CHECK_RC(virtio_device_rng_init(&f->rng, &f->h, 0, NULL, NULL), VIRTIO_EINVAL);
}

/* ==== Regressions found by the fuzzer (tests/fuzz/fuzz_device.c) ============================== */

/* ==== The table ================================================================================
 */
#define V1   1
#define V2   2
#define BOTH 3
#define EIDX 4
typedef struct tcase {
    const char *name;
    void (*fn)(fx *f);
    int flags;
} tcase;

static const tcase cases[] = {
    {"ids, features, queue sizes, shared memory", t_ids, BOTH},
    {"writes to read-only registers refused, nothing changes", t_read_only, BOTH},
    {"reads of write-only registers refused, read 0", t_write_only, BOTH},
    {"widths, alignment, offsets past the window refused", t_widths, BOTH},
    {"registers of the other version refused", t_other_version, BOTH},
    {"features: unoffered bits, FEATURES_OK check, no change after", t_features, BOTH},
    {"status: order, no clearing, unknown and device bits refused", t_status_order, BOTH},
    {"queue setup: bad sizes, areas outside RAM or misaligned, live queue", t_queue_setup_refused,
     BOTH},
    {"queue setup after DRIVER_OK refused", t_setup_after_driver_ok, BOTH},
    {"ring areas that wrap past 2^64 refused (naive gpa)", t_ring_wrap, BOTH},
    {"reset: status, interrupt line, queues, features; works again", t_reset, BOTH},
    {"interrupt ack: undefined bits refused, line drops", t_interrupt_ack, BOTH},
    {"notify: before DRIVER_OK, no such queue", t_notify_rules, BOTH},
    {"buffers posted before DRIVER_OK are served at DRIVER_OK", t_posted_before_driver_ok, BOTH},
    {"echo round trips, rings wrap, avail_event follows", t_echo, BOTH | EIDX},
    {"used buffer notification suppression", t_suppression, BOTH | EIDX},
    {"indirect tables, after direct descriptors", t_indirect, BOTH | EIDX},
    {"a chain as long as the queue", t_chain_length, BOTH},
    {"hostile: descriptor loop on itself", t_self_loop, BOTH | EIDX},
    {"hostile: descriptor cycle", t_cycle, BOTH},
    {"hostile: a loop is refused within queue-size descriptors", t_loop_bound, BOTH},
    {"hostile: next out of range", t_next_range, BOTH},
    {"hostile: head out of range", t_head_range, BOTH},
    {"hostile: head 0xffff", t_head_range_big, BOTH},
    {"hostile: avail index jumps past the queue size", t_jump, BOTH | EIDX},
    {"hostile: avail index goes backwards", t_backwards, BOTH},
    {"hostile: lengths overflow 4 GiB", t_len_overflow, BOTH},
    {"hostile: buffer runs past guest RAM", t_outside, BOTH},
    {"hostile: buffer address wraps 2^64", t_wrap, BOTH},
    {"hostile: readable after writable", t_read_after_write, BOTH},
    {"hostile: indirect inside indirect", t_indirect_in_indirect, BOTH},
    {"hostile: indirect with NEXT", t_indirect_next, BOTH},
    {"hostile: indirect table length not a multiple of 16", t_indirect_len, BOTH},
    {"hostile: indirect table of length 0", t_indirect_zero, BOTH},
    {"hostile: loop inside an indirect table", t_indirect_loop, BOTH},
    {"hostile: next out of an indirect table", t_indirect_next_range, BOTH},
    {"hostile: indirect table past guest RAM", t_indirect_outside, BOTH},
    {"hostile: indirect table of 4 GiB", t_indirect_huge, BOTH},
    {"hostile: indirect without the feature", t_indirect_unnegotiated, BOTH},
    {"blk: config, read, write, range and length errors, flush, GET_ID, UNSUPP", t_blk, BOTH},
    {"blk: read-only device refuses writes, disk untouched", t_blk_readonly, BOTH},
    {"blk: short header -> IOERR; no status byte -> NEEDS_RESET", t_blk_malformed, BOTH},
    {"blk: callback backend, backend error -> IOERR, unaligned pieces", t_blk_callbacks, BOTH},
    {"console: emergency write, transmit, receive, resize, writable tx", t_console, BOTH},
    {"console: readable receive buffer -> NEEDS_RESET", t_console_rx_readable, BOTH},
    {"rng: fill, readable buffer -> NEEDS_RESET", t_rng, BOTH},
    {"init: caller errors", t_init_errors, V2},
};

int main(void) {
    size_t i;
    int v, e;
    const char *filter = getenv("VIRTIO_TEST_FILTER");
    uint8_t *ram = (uint8_t *)malloc(RAM_SIZE); /* exactly RAM_SIZE: ASan sees any overreach */
    if (!ram) return 1;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (v = 2; v >= 1; v--) {
            if (!(cases[i].flags & v)) continue;
            for (e = 0; e <= ((cases[i].flags & EIDX) ? 1 : 0); e++) {
                char name[200];
                snprintf(name, sizeof name, "device/v%d%s: %s", v, e ? ",eidx" : "", cases[i].name);
                if (filter && !strstr(name, filter)) continue;
                F.g.ram = ram;
                fx_setup(&F, v == 1, e);
                t_begin("%s", name);
                cases[i].fn(&F);
                t_end();
            }
        }
    }
    free(ram);
    return t_summary("test_device");
}
