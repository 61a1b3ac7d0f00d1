/* test_loopback.c - both ends of virtio in one process: this library's drivers (virtio.h's
   queue API, virtio_blk.h, virtio_console.h, virtio_rng.h) talking to virtio_device.h's
   devices, legacy and modern, with VIRTIO_F_EVENT_IDX offered and withheld.

   The driver's register accessor calls virtio_device_mmio; the driver's dma hook turns a
   pointer into the guest arena into a "guest-physical" address (ARENA_GPA + offset), and the
   device's gpa callback turns it back, granting only ranges wholly inside the arena. Every
   driver call must succeed, every register access of the driver must be accepted by the
   device (a refused one is a driver bug the device saw, and fails the case), and the data
   must round-trip byte-exact. The devices serve requests inside the notify write, so a wait
   of the driver never spins long: a small spin limit makes a lost request fail fast. */
#define VIRTIO_SPIN_LIMIT 1000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "../virtio_blk.h"
#define VIRTIO_CONSOLE_IMPLEMENTATION
#include "../virtio_console.h"
#define VIRTIO_RNG_IMPLEMENTATION
#include "../virtio_rng.h"
#define VIRTIO_DEVICE_IMPLEMENTATION
#include "../virtio_device.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define ARENA_GPA  0x40000000ull
#define ARENA_SIZE (1u << 20)
#define DISK_SIZE  (256u * 1024u)

/* ---- The loop ------------------------------------------------------------------------------ */
typedef struct loop {
    uint8_t *arena; /* guest RAM, exactly ARENA_SIZE bytes */
    size_t used;    /* bump allocator */
    virtio_device *d;
    unsigned refused; /* driver accesses the device refused */
    char refused_what[120];
    int irq;
    unsigned gpa_refused;
} loop;

static loop L;

static void *lp_alloc(loop *l, size_t n, size_t align) {
    size_t at = (l->used + align - 1) & ~(align - 1);
    if (at + n > ARENA_SIZE) abort();
    l->used = at + n;
    return l->arena + at;
}

static void *lp_gpa(void *user, uint64_t a, uint64_t len, int write) {
    loop *l = (loop *)user;
    (void)write;
    if (a < ARENA_GPA || a - ARENA_GPA > ARENA_SIZE || len > ARENA_SIZE - (a - ARENA_GPA)) {
        l->gpa_refused++;
        return NULL;
    }
    return l->arena + (a - ARENA_GPA);
}
static void lp_irq(void *user, int level) { ((loop *)user)->irq = level; }

/* The driver's dma hook: a pointer outside the arena gets an address gpa refuses. */
static uint64_t lp_dma(void *user, const void *p) {
    loop *l = (loop *)user;
    const uint8_t *b = (const uint8_t *)p;
    if (b < l->arena || b >= l->arena + ARENA_SIZE) return 0xbad0000000ull;
    return ARENA_GPA + (uint64_t)(b - l->arena);
}

static uint32_t lp_access(loop *l, uint32_t off, unsigned width, int write, uint32_t v) {
    int r = virtio_device_mmio(l->d, off, width, write, &v);
    if (r != 0 && !l->refused++)
        snprintf(l->refused_what, sizeof l->refused_what, "%s of %u bytes at 0x%03x: %s",
                 write ? "write" : "read", width, off, virtio_result_str(r));
    return v;
}
static uint8_t rd8(void *u, unsigned region, uint32_t off) {
    (void)region;
    return (uint8_t)lp_access((loop *)u, off, 1, 0, 0);
}
static uint16_t rd16(void *u, unsigned region, uint32_t off) {
    (void)region;
    return (uint16_t)lp_access((loop *)u, off, 2, 0, 0);
}
static uint32_t rd32(void *u, unsigned region, uint32_t off) {
    (void)region;
    return lp_access((loop *)u, off, 4, 0, 0);
}
static void wr8(void *u, unsigned region, uint32_t off, uint8_t v) {
    (void)region;
    (void)lp_access((loop *)u, off, 1, 1, v);
}
static void wr16(void *u, unsigned region, uint32_t off, uint16_t v) {
    (void)region;
    (void)lp_access((loop *)u, off, 2, 1, v);
}
static void wr32(void *u, unsigned region, uint32_t off, uint32_t v) {
    (void)region;
    (void)lp_access((loop *)u, off, 4, 1, v);
}

/* The fixture of a case: the loop, the device's host, the driver's transport. */
typedef struct fx {
    int legacy, eidx;
    virtio_device_host h;
    virtio_regs regs;
    virtio_transport t;
} fx;

static void fx_setup(fx *f, int legacy, int eidx) {
    uint8_t *arena = L.arena;
    memset(&L, 0, sizeof L);
    L.arena = arena;
    memset(L.arena, 0, ARENA_SIZE);
    memset(f, 0, sizeof *f);
    f->legacy = legacy;
    f->eidx = eidx;
    f->h.user = &L;
    f->h.gpa = lp_gpa;
    f->h.irq = lp_irq;
    f->regs.read8 = rd8;
    f->regs.read16 = rd16;
    f->regs.read32 = rd32;
    f->regs.write8 = wr8;
    f->regs.write16 = wr16;
    f->regs.write32 = wr32;
    f->regs.user = &L;
    f->regs.dma = lp_dma;
}

/* After the device's init: withhold EVENT_IDX if the variant says so, then probe. */
static void attach(fx *f, virtio_device *d) {
    L.d = d;
    if (!f->eidx)
        virtio_device_set_offer(d, virtio_device_offered(d) & ~VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
    CHECK_RC(virtio_mmio_transport(&f->t, &f->regs), 0);
    CHECK_EQ(virtio_transport_legacy(&f->t), f->legacy);
}

/* The checks every case ends with. */
static void healthy(fx *f) {
    CHECK_MSG(L.refused == 0, "the device refused %u driver accesses, first: %s", L.refused,
              L.refused_what);
    CHECK_MSG(!(virtio_device_status(L.d) & VIRTIO_STATUS_NEEDS_RESET), "device NEEDS_RESET");
    CHECK_EQ(L.gpa_refused, 0);
    CHECK_EQ(virtio_device_has(L.d, VIRTIO_F_EVENT_IDX), f->eidx);
}

/* ---- Core queue API against an echo device ------------------------------------------------- */
typedef struct echo {
    virtio_device dev;
    virtio_device_chain chain;
} echo;
static void echo_notify(virtio_device *d, uint32_t q) {
    echo *e = (echo *)d;
    uint8_t buf[512];
    size_t n;
    while (virtio_device_pop(d, q, &e->chain) > 0) {
        n = virtio_device_chain_read(&e->chain, 0, buf, sizeof buf);
        n = virtio_device_chain_write(&e->chain, 0, buf, n);
        virtio_device_push(d, q, &e->chain, (uint32_t)n);
    }
}
static const virtio_device_ops echo_ops = {0x7e, 1, 16, 0, 0, echo_notify, NULL, NULL};

static void t_core(fx *f) {
    static echo e;
    virtio_dev dev;
    virtio_queue q;
    virtio_queue_params p;
    unsigned k, i;
    CHECK_RC(virtio_device_init(&e.dev, &echo_ops, &f->h, f->legacy), 0);
    attach(f, &e.dev);
    CHECK_OK();
    memset(&p, 0, sizeof p);
    p.size = 16;
    p.ring_size = virtio_queue_mem_size(&f->t, 16);
    p.ring = lp_alloc(&L, p.ring_size, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_dev_init(&dev, &f->t, 0x7e), 0);
    CHECK_RC(virtio_dev_negotiate(&dev, 0, 0), 0);
    CHECK_RC(virtio_queue_init(&q, &dev, 0, &p), 0);
    CHECK_RC(virtio_dev_ready(&dev), 0);
    CHECK_EQ(virtio_dev_has(&dev, VIRTIO_F_EVENT_IDX), f->eidx);
    for (k = 0; k < 100; k++) { /* wraps the 16-entry ring several times */
        uint8_t *out = (uint8_t *)lp_alloc(&L, 48, 8), *in = (uint8_t *)lp_alloc(&L, 64, 8);
        virtio_seg s[3];
        void *ck = NULL;
        uint32_t len = 0;
        for (i = 0; i < 48; i++)
            out[i] = (uint8_t)(k * 31u + i);
        s[0].addr = out;
        s[0].len = 20;
        s[1].addr = out + 20;
        s[1].len = 28;
        s[2].addr = in;
        s[2].len = 64;
        CHECK_RC(virtio_queue_add(&q, s, 2, 1, out), 0);
        CHECK_RC(virtio_queue_kick(&q), 0);
        CHECK_RC(virtio_queue_wait(&q, &ck, &len), 0);
        CHECK(ck == out);
        CHECK_EQ(len, 48);
        CHECK_MEM(in, out, 48);
        CHECK_RC(virtio_dev_check(&dev), 0);
        if (k % 10 == 9) L.used = 0x10000; /* reuse the buffer space */
        (void)virtio_dev_interrupt_ack(&dev);
    }
    CHECK_EQ(L.irq, 0); /* acknowledged: the line is down */
    healthy(f);
    CHECK_OK();
    CHECK_RC(virtio_dev_reset(&dev), 0);
    CHECK_EQ(virtio_device_status(&e.dev), 0);
}

/* Several chains added, one kick: all served, in order. */
static void t_core_batch(fx *f) {
    static echo e;
    virtio_dev dev;
    virtio_queue q;
    virtio_queue_params p;
    uint8_t *buf[6];
    unsigned i;
    CHECK_RC(virtio_device_init(&e.dev, &echo_ops, &f->h, f->legacy), 0);
    attach(f, &e.dev);
    CHECK_OK();
    memset(&p, 0, sizeof p);
    p.size = 16;
    p.ring_size = virtio_queue_mem_size(&f->t, 16);
    p.ring = lp_alloc(&L, p.ring_size, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_dev_init(&dev, &f->t, 0x7e), 0);
    CHECK_RC(virtio_dev_negotiate(&dev, 0, 0), 0);
    CHECK_RC(virtio_queue_init(&q, &dev, 0, &p), 0);
    CHECK_RC(virtio_dev_ready(&dev), 0);
    for (i = 0; i < 6; i++) {
        virtio_seg s[2];
        buf[i] = (uint8_t *)lp_alloc(&L, 32, 8);
        memset(buf[i], (int)(0x41 + i), 16);
        s[0].addr = buf[i];
        s[0].len = 16;
        s[1].addr = buf[i] + 16;
        s[1].len = 16;
        CHECK_RC(virtio_queue_add(&q, s, 1, 1, buf[i]), 0);
    }
    CHECK_RC(virtio_queue_kick(&q), 0);
    for (i = 0; i < 6; i++) {
        void *ck;
        uint32_t len;
        CHECK_RC(virtio_queue_poll(&q, &ck, &len), 0);
        CHECK(ck == buf[i]);
        CHECK_EQ(len, 16);
        CHECK_MEM(buf[i] + 16, buf[i], 16);
    }
    CHECK_RC(virtio_queue_poll(&q, NULL, NULL), VIRTIO_EAGAIN);
    healthy(f);
}

/* ---- Block --------------------------------------------------------------------------------- */
static uint8_t disk[DISK_SIZE];

static void blk_up(fx *f, virtio_device_blk *b, virtio_blk *drv, int ro) {
    virtio_blk_params p;
    size_t sz;
    void *mem;
    unsigned i;
    for (i = 0; i < DISK_SIZE; i++)
        disk[i] = (uint8_t)(i ^ (i >> 9));
    CHECK_RC(virtio_device_blk_init(b, &f->h, f->legacy, disk, DISK_SIZE), 0);
    virtio_device_blk_set_readonly(b, ro);
    virtio_device_blk_set_id(b, "loopback-disk");
    attach(f, &b->dev);
    CHECK_OK();
    memset(&p, 0, sizeof p);
    sz = virtio_blk_mem_size(&p, &f->t);
    CHECK(sz != 0);
    mem = lp_alloc(&L, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_blk_init(drv, &f->t, &p, mem, sz), 0);
}

static void t_blk(fx *f) {
    static virtio_device_blk b;
    static virtio_blk drv;
    uint8_t *buf, *big;
    char *id = (char *)lp_alloc(&L, VIRTIO_BLK_ID_BYTES, 1); /* the device writes it */
    unsigned i;
    size_t bigsz;
    blk_up(f, &b, &drv, 0);
    CHECK_OK();
    CHECK_EQ(virtio_blk_capacity(&drv), DISK_SIZE / 512);
    CHECK_EQ(virtio_blk_block_size(&drv), 512);
    CHECK(!virtio_blk_read_only(&drv));
    CHECK(virtio_blk_can_flush(&drv));
    buf = (uint8_t *)lp_alloc(&L, 4096, 512);
    /* read: byte-exact against the disk */
    CHECK_RC(virtio_blk_read(&drv, 3, buf, 4096), 0);
    CHECK_MEM(buf, disk + 3 * 512, 4096);
    /* write, then the disk and a read-back agree */
    for (i = 0; i < 4096; i++)
        buf[i] = (uint8_t)(i * 151u + 7u);
    CHECK_RC(virtio_blk_write(&drv, 100, buf, 4096), 0);
    CHECK_MEM(disk + 100 * 512, buf, 4096);
    memset(buf, 0, 4096);
    CHECK_RC(virtio_blk_read(&drv, 100, buf, 4096), 0);
    CHECK_MEM(buf, disk + 100 * 512, 4096);
    /* the last sector; one past the end is refused by the driver itself */
    CHECK_RC(virtio_blk_read(&drv, DISK_SIZE / 512 - 1, buf, 512), 0);
    CHECK_MEM(buf, disk + DISK_SIZE - 512, 512);
    CHECK(virtio_blk_read(&drv, DISK_SIZE / 512, buf, 512) != 0);
    /* a large request, split by the driver to the device's limits (seg_max) */
    bigsz = 128u * 1024u;
    big = (uint8_t *)lp_alloc(&L, bigsz, 512);
    CHECK_RC(virtio_blk_read(&drv, 0, big, bigsz), 0);
    CHECK_MEM(big, disk, bigsz);
    CHECK_RC(virtio_blk_flush(&drv), 0);
    CHECK_RC(virtio_blk_get_id(&drv, id), 0);
    CHECK_MEM(id, "loopback-disk\0\0\0\0\0\0", 20);
    /* discard is not offered: the driver says so without asking the device */
    CHECK(virtio_blk_discard(&drv, 0, 1) != 0);
    healthy(f);
}

/* Several requests in flight, one kick. */
static void t_blk_pipeline(fx *f) {
    static virtio_device_blk b;
    static virtio_blk drv;
    uint8_t *buf[4];
    unsigned ids[4], i, seen = 0;
    blk_up(f, &b, &drv, 0);
    CHECK_OK();
    for (i = 0; i < 4; i++) {
        buf[i] = (uint8_t *)lp_alloc(&L, 1024, 512);
        CHECK_RC(virtio_blk_submit(&drv, VIRTIO_BLK_T_IN, 10u * i, buf[i], 1024, &ids[i]), 0);
    }
    CHECK_RC(virtio_blk_kick(&drv), 0);
    for (i = 0; i < 4; i++) {
        unsigned id, j;
        int result = -99;
        CHECK_RC(virtio_blk_wait(&drv, &id, &result), 0);
        CHECK_RC(result, 0);
        for (j = 0; j < 4 && ids[j] != id; j++) {
        }
        CHECK(j < 4);
        seen |= 1u << j;
        CHECK_MEM(buf[j], disk + 10u * j * 512u, 1024);
    }
    CHECK_EQ(seen, 15);
    CHECK_RC(virtio_blk_wait(&drv, NULL, NULL), VIRTIO_EAGAIN);
    healthy(f);
}

static void t_blk_readonly(fx *f) {
    static virtio_device_blk b;
    static virtio_blk drv;
    uint8_t *buf, before[1024];
    int r;
    blk_up(f, &b, &drv, 1);
    CHECK_OK();
    CHECK(virtio_blk_read_only(&drv));
    buf = (uint8_t *)lp_alloc(&L, 1024, 512);
    memset(buf, 0x99, 1024);
    memcpy(before, disk, 1024);
    r = virtio_blk_write(&drv, 0, buf, 1024);
    CHECK(r == VIRTIO_EROFS || r == VIRTIO_EIO);
    CHECK_MEM(disk, before, 1024);
    CHECK_RC(virtio_blk_read(&drv, 0, buf, 1024), 0);
    CHECK_MEM(buf, before, 1024);
    healthy(f);
}

/* ---- Console ------------------------------------------------------------------------------- */
static uint8_t con_out_buf[8192];
static size_t con_out_n;
static void con_out(void *user, const uint8_t *p, size_t n) {
    (void)user;
    if (n > sizeof con_out_buf - con_out_n) n = sizeof con_out_buf - con_out_n;
    memcpy(con_out_buf + con_out_n, p, n);
    con_out_n += n;
}

static void t_console(fx *f) {
    static virtio_device_console c;
    static virtio_console drv;
    virtio_console_params p;
    virtio_dev emerg;
    size_t sz, got = 0, total = 0;
    uint8_t *msg, in[600], back[600];
    uint16_t cols = 0, rows = 0;
    unsigned i;
    con_out_n = 0;
    CHECK_RC(virtio_device_console_init(&c, &f->h, f->legacy, con_out, NULL), 0);
    attach(f, &c.dev);
    CHECK_OK();
    /* emergency write on the unconfigured device */
    CHECK_RC(virtio_console_emerg_init(&emerg, &f->t), 0);
    CHECK_RC(virtio_console_emerg_write(&emerg, "early\n", 6), 0);
    CHECK_EQ(con_out_n, 6);
    CHECK_MEM(con_out_buf, "early\n", 6);
    memset(&p, 0, sizeof p);
    sz = virtio_console_mem_size(&p, &f->t);
    CHECK(sz != 0);
    CHECK_RC(virtio_console_init(&drv, &f->t, &p, lp_alloc(&L, sz, 4096), sz), 0);
    CHECK_RC(virtio_console_size(&drv, 0, &cols, &rows), 0);
    CHECK_EQ(cols, 80);
    CHECK_EQ(rows, 25);
    /* guest -> host */
    msg = (uint8_t *)lp_alloc(&L, 3000, 1);
    for (i = 0; i < 3000; i++)
        msg[i] = (uint8_t)(i * 7u);
    CHECK_RC(virtio_console_write(&drv, 0, msg, 3000), 0);
    CHECK_EQ(con_out_n, 3006);
    CHECK_MEM(con_out_buf + 6, msg, 3000);
    /* host -> guest: more than one receive buffer's worth */
    for (i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 13u + 5u);
    CHECK_EQ(virtio_device_console_input(&c, in, sizeof in), sizeof in);
    while (total < sizeof in) {
        CHECK_RC(virtio_console_read(&drv, 0, back + total, sizeof back - total, &got), 0);
        CHECK(got > 0);
        total += got;
    }
    CHECK_MEM(back, in, sizeof in);
    CHECK_RC(virtio_console_read_poll(&drv, 0, back, 1, &got), VIRTIO_EAGAIN);
    /* the buffers went back to the device: input again */
    CHECK_EQ(virtio_device_console_input(&c, (const uint8_t *)"again", 5), 5);
    CHECK_RC(virtio_console_read(&drv, 0, back, sizeof back, &got), 0);
    CHECK_EQ(got, 5);
    CHECK_MEM(back, "again", 5);
    /* resize: the driver reads the new size */
    virtio_device_console_resize(&c, 132, 43);
    CHECK_RC(virtio_console_size(&drv, 0, &cols, &rows), 0);
    CHECK_EQ(cols, 132);
    CHECK_EQ(rows, 43);
    (void)virtio_dev_interrupt_ack(&drv.dev);
    healthy(f);
}

/* ---- Entropy ------------------------------------------------------------------------------- */
static uint64_t rng_n;
static size_t rng_fill(void *user, uint8_t *p, size_t n) {
    size_t i;
    (void)user;
    if (n > 100) n = 100; /* a source that gives at most 100 bytes at a time */
    for (i = 0; i < n; i++, rng_n++)
        p[i] = (uint8_t)((rng_n * 2654435761u) >> 13);
    return n;
}

static void t_rng(fx *f) {
    static virtio_device_rng r;
    static virtio_rng drv;
    virtio_rng_params p;
    uint8_t *buf;
    size_t sz;
    uint64_t i;
    rng_n = 0;
    CHECK_RC(virtio_device_rng_init(&r, &f->h, f->legacy, rng_fill, NULL), 0);
    attach(f, &r.dev);
    CHECK_OK();
    memset(&p, 0, sizeof p);
    sz = virtio_rng_mem_size(&p, &f->t);
    CHECK_RC(virtio_rng_init(&drv, &f->t, &p, lp_alloc(&L, sz, 4096), sz), 0);
    buf = (uint8_t *)lp_alloc(&L, 1000, 1);
    CHECK_RC(virtio_rng_read(&drv, buf, 1000), 0);
    CHECK_EQ(rng_n, 1000);
    for (i = 0; i < 1000; i++)
        CHECK_EQ(buf[i], (uint8_t)((i * 2654435761u) >> 13));
    healthy(f);
}

/* ---- The table ------------------------------------------------------------------------------- */
typedef struct tcase {
    const char *name;
    void (*fn)(fx *f);
} tcase;

static const tcase cases[] = {
    {"core queue API: 100 echo round trips, ring wraps, interrupt ack", t_core},
    {"core queue API: 6 chains, one kick, polled in order", t_core_batch},
    {"blk: read, write, last sector, 128 KiB split by seg_max, flush, GET_ID", t_blk},
    {"blk: 4 requests in flight, one kick", t_blk_pipeline},
    {"blk: read-only device, write refused, disk untouched", t_blk_readonly},
    {"console: emergency write, write 3000 bytes, read 600, resize", t_console},
    {"rng: 1000 bytes from a source of 100 at a time", t_rng},
};

int main(void) {
    static fx f;
    size_t i;
    int v, e;
    const char *filter = getenv("VIRTIO_TEST_FILTER");
    /* exactly ARENA_SIZE (ASan sees any overreach), page-aligned for legacy rings */
    L.arena = (uint8_t *)aligned_alloc(4096, ARENA_SIZE);
    if (!L.arena) return 1;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (v = 2; v >= 1; v--) {
            for (e = 0; e <= 1; e++) {
                char name[200];
                snprintf(name, sizeof name, "loopback/v%d%s: %s", v, e ? ",eidx" : "",
                         cases[i].name);
                if (filter && !strstr(name, filter)) continue;
                fx_setup(&f, v == 1, e);
                t_begin("%s", name);
                cases[i].fn(&f);
                t_end();
            }
        }
    }
    free(L.arena);
    return t_summary("test_loopback");
}
