/* test_rng.c - virtio_rng.h (written only against virtio.h's public core API) against the
   simulated entropy device, versions 1 and 2. Every case drives the device through &f->t, so
   it runs over the simulated MMIO registers and over the transport double (see fixture.h). */
#define VIRTIO_SPIN_LIMIT 100000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_RNG_IMPLEMENTATION
#include "../virtio_rng.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_blk.h"
#include "sim_rng.h"
#include "test.h"
#include "fixture.h"

#define PATTERN 0xa5u

static void setup_rng(fx *f) { sim_init_rng(&f->s, &f->arena, f->ver); }
/* A block device where the entropy device is expected. */
static void setup_blk(fx *f) {
    if (sim_init_blk(&f->s, &f->arena, f->ver, 8) != 0) abort();
}

/* The wait bound of devices initialized from now on: in the accessor, then f->t made again
   from it (either variant of the fixture). */
static void set_spin_limit(fx *f, uint32_t limit) {
    f->regs.spin_limit = limit;
    (void)fx_transport(f);
}

/* Memory for `p` on this transport, exactly as big as virtio_rng_mem_size says, patterned. */
static uint8_t *rng_mem(fx *f, const virtio_rng_params *p, size_t *size) {
    uint8_t *mem;
    *size = virtio_rng_mem_size(p, &f->t);
    if (*size == 0) return NULL;
    mem = (uint8_t *)fx_alloc(f, *size, virtio_queue_ring_align(&f->t));
    memset(mem, PATTERN, *size);
    return mem;
}

static void rng_up_p(fx *f, virtio_rng *r, const virtio_rng_params *p) {
    size_t sz;
    uint8_t *mem = rng_mem(f, p, &sz);
    CHECK(mem != NULL);
    CHECK_RC(virtio_rng_init(r, &f->t, p, mem, sz), VIRTIO_OK);
}

static void rng_up(fx *f, virtio_rng *r, uint32_t qsize) {
    virtio_rng_params p;
    memset(&p, 0, sizeof p);
    p.queue_size = qsize;
    rng_up_p(f, r, &p);
}

static uint8_t *patterned(fx *f, size_t n) {
    uint8_t *b = (uint8_t *)fx_alloc(f, n, 1);
    memset(b, PATTERN, n);
    return b;
}

static int all_pattern(const uint8_t *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (b[i] != PATTERN) return 0;
    return 1;
}

/* The bytes the device produced, in order, are what the driver returned. */
static void check_stream(const uint8_t *buf, size_t len, uint64_t first) {
    size_t i;
    for (i = 0; i < len; i++)
        CHECK_MSG(buf[i] == sim_rng_byte(first + i), "byte %zu: 0x%02x want 0x%02x", i, buf[i],
                  sim_rng_byte(first + i));
}

/* ---- Cases kept from the test-only driver (tests/rng_driver.h), adapted ------------------- */
static void t_read(fx *f) {
    virtio_rng r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 1000, 1);
    rng_up(f, &r, 8);
    CHECK_OK();
    CHECK_EQ(f->s.status & SIM_S_DRIVER_OK, SIM_S_DRIVER_OK);
    /* no device features; VERSION_1 on modern devices, EVENT_IDX when offered */
    CHECK_EQ(f->s.drv_features & ~(SIM_F(SIM_F_EVENT_IDX) | FX_RING_F),
             f->ver == 2 ? SIM_F(SIM_F_VERSION_1) : 0);
    CHECK_EQ(!!(f->s.drv_features & SIM_F(SIM_F_EVENT_IDX)),
             f->eidx && f->s.hv != SIM_HV_FIRECRACKER); /* its entropy device: VERSION_1 only */
    CHECK_RC(virtio_rng_read(&r, buf, 1000), VIRTIO_OK);
    check_stream(buf, 1000, 0);
    CHECK_OK();
    CHECK_EQ(f->s.chains_total, 1);
    CHECK_EQ(sim_last(&f->s, 0)->nread, 0);
    CHECK_RC(virtio_rng_read(&r, buf, 10), VIRTIO_OK);
    check_stream(buf, 10, 1000);
    CHECK_OK();
    CHECK_RC(virtio_rng_read(&r, buf, 0), VIRTIO_OK);
    CHECK_RC(virtio_rng_read(&r, NULL, 0), VIRTIO_OK);
    CHECK_EQ(f->s.chains_total, 2);
    CHECK_EQ(virtio_rng_pending(&r), 0);
}

/* Firecracker's entropy device (virtio-rng since v1.5): activated at DRIVER_OK with its one
   queue live; it cannot be reset afterwards, so the whole session is one init. */
static void t_firecracker(fx *f) {
    virtio_rng r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 4096, 1);
    uint64_t at = 0;
    unsigned i;
    f->s.hv = SIM_HV_FIRECRACKER;
    rng_up(f, &r, 8);
    CHECK_OK();
    CHECK_EQ(f->s.hv_inactive, 0);
    CHECK_EQ(f->s.hv_activated, 1);
    for (i = 1; i <= 12; i++) {
        size_t n = (size_t)i * 331u;
        CHECK_RC(virtio_rng_read(&r, buf, n), VIRTIO_OK);
        check_stream(buf, n, at);
        CHECK_OK();
        at += n;
    }
    CHECK_EQ(f->s.resets, 1); /* the one before init, on a device not yet activated */
}

/* A device that writes everything it may (all of every buffer, the whole used ring) never
   reaches the queue's shadow, and the bytes returned are the device's. */
static void t_scribble(fx *f) {
    virtio_rng r;
    virtio_rng_params p;
    virtio_rng__plan plan;
    size_t sz;
    uint8_t *mem, *buf = (uint8_t *)fx_alloc(f, 3000, 1);
    uint64_t at = 0;
    unsigned i;
    f->s.scribble = 1;
    f->s.rng_max_fill = 100; /* the rest of each buffer is garbage, never returned */
    memset(&p, 0, sizeof p);
    p.queue_size = 4;
    mem = rng_mem(f, &p, &sz);
    CHECK(mem != NULL);
    CHECK_RC(virtio_rng_init(&r, &f->t, &p, mem, sz), VIRTIO_OK);
    CHECK(virtio_rng__plan_for(&p, &f->t, &plan));
    for (i = 1; i <= 10; i++) {
        CHECK_RC(virtio_rng_read(&r, buf, 300u * i), VIRTIO_OK);
        check_stream(buf, 300u * i, at);
        CHECK_OK();
        at += 300u * i;
    }
    CHECK(f->s.scribbled >= 3000u);
    CHECK(sim_wrote_any(&f->s, mem, plan.shadow_off));
    CHECK(!sim_wrote_any(&f->s, mem + plan.shadow_off, plan.total - plan.shadow_off));
}

/* "The device MAY use less than the entire buffer length": the driver keeps asking. */
static void t_partial(fx *f) {
    virtio_rng r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 1000, 1);
    f->s.rng_max_fill = 7;
    rng_up(f, &r, 8);
    CHECK_OK();
    CHECK_RC(virtio_rng_read(&r, buf, 1000), VIRTIO_OK);
    check_stream(buf, 1000, 0);
    CHECK_OK();
    CHECK_EQ(f->s.chains_total, (1000 + 6) / 7);
    /* each buffer posted is the rest of the request */
    CHECK_EQ(sim_last(&f->s, 0)->wlen, 1000 - 7 * ((1000 + 6) / 7 - 1));
}

/* One byte per buffer (max_chunk 1) on a 2-entry queue, 70000 times: the ring indices wrap. */
static void t_wrap(fx *f) {
    virtio_rng r;
    virtio_rng_params p;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 70000, 1);
    memset(&p, 0, sizeof p);
    p.queue_size = 2;
    p.max_chunk = 1;
    f->s.q[0].num_max = 2;
    rng_up_p(f, &r, &p);
    CHECK_OK();
    CHECK_EQ(virtio_queue_size(&r.queue), 2);
    CHECK_RC(virtio_rng_read(&r, buf, 70000), VIRTIO_OK);
    check_stream(buf, 70000, 0);
    CHECK_OK();
    CHECK_EQ(f->s.chains_total, 70000);
    CHECK_EQ(sim_used_idx(&f->s, 0), 70000u & 0xffffu);
}

/* Another device type (setup_blk): VIRTIO_ENODEV before any register access or memory write. */
static void t_wrong_device(fx *f) {
    virtio_rng r;
    uint8_t *mem = patterned(f, 65536);
    unsigned long reads = f->s.reads;
    memset(&r, 0, sizeof r);
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem, 65536), VIRTIO_ENODEV);
    CHECK_EQ(f->s.writes, 0);
    CHECK_EQ(f->s.reads, reads);
    CHECK(all_pattern(mem, 65536));
    CHECK_RC(virtio_rng_read(&r, mem, 4), VIRTIO_ESTATE); /* the object was left alone too */
}

static void t_no_queue(fx *f) {
    virtio_rng r;
    uint8_t *mem = (uint8_t *)fx_alloc(f, 65536, 4096);
    uint8_t *buf = patterned(f, 4);
    f->s.q[0].num_max = 0;
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem, 65536), VIRTIO_ENOQUEUE);
    CHECK(f->s.status & SIM_S_FAILED);
    CHECK(!(f->s.status & SIM_S_DRIVER_OK));
    CHECK_RC(virtio_rng_read(&r, buf, 4), VIRTIO_ENOQUEUE); /* latched */
    CHECK_EQ(virtio_rng_pending(&r), 0);
}

/* The device consumes the buffer and never gives it back: the read times out within its bound,
   resets the device, and nothing writes the buffer after the call returned. */
static void t_swallow(fx *f) {
    virtio_rng r;
    uint8_t *buf = patterned(f, 16);
    uint8_t after[16];
    unsigned long resets;
    set_spin_limit(f, 2000);
    rng_up(f, &r, 8);
    CHECK_OK();
    f->s.swallow = 1;
    resets = f->s.resets;
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_ETIMEDOUT);
    CHECK_LE(f->s.relax_max_iter, 2000);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(f->s.status, 0);
    CHECK_EQ(virtio_rng_pending(&r), 0);
    memcpy(after, buf, sizeof after);
    f->s.swallow = 0;
    sim_process(&f->s);
    CHECK_MEM(buf, after, sizeof after);
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_ETIMEDOUT); /* latched until init */
    CHECK_EQ(f->s.resets, resets + 1);
}

static void t_zero_bytes(fx *f) {
    virtio_rng r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 16, 1);
    unsigned long resets;
    rng_up(f, &r, 8);
    CHECK_OK();
    f->s.rng_zero = 1;
    resets = f->s.resets;
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_EDEVICE);
    CHECK_EQ(f->s.resets, resets + 1); /* abandoned: the device was reset */
    f->s.rng_zero = 0;
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_EDEVICE); /* a failed device stays failed */
}

static void t_len_too_big(fx *f) {
    virtio_rng r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 32, 1);
    rng_up(f, &r, 8);
    CHECK_OK();
    f->s.mis = SIM_MIS_USED_LEN_BIG; /* clamped and counted, not fatal */
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_OK);
    CHECK_EQ(virtio_dev_clamped(&r.dev), 1u);
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_OK);
}

static void t_needs_reset(fx *f) {
    virtio_rng r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 32, 1);
    set_spin_limit(f, 50000);
    rng_up(f, &r, 8);
    CHECK_OK();
    sim_set_needs_reset(&f->s);
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_ENEEDS_RESET);
    CHECK_EQ(f->s.status & ~(uint32_t)SIM_S_NEEDS_RESET, 0);
}

static void t_args(fx *f) {
    virtio_rng r;
    uint8_t *mem = (uint8_t *)fx_alloc(f, 65536, 4096);
    void *b = NULL;
    uint32_t got = 0;
    CHECK_RC(virtio_rng_init(NULL, &f->t, NULL, mem, 65536), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem + 1, 65536), VIRTIO_EINVAL);
    CHECK_EQ(f->s.status, 0); /* a caller error does not touch the device */
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem, 65536), VIRTIO_OK);
    CHECK_RC(virtio_rng_read(&r, NULL, 4), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_read(NULL, mem, 4), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_submit(&r, NULL, 4), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_submit(&r, mem, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_submit(NULL, mem, 4), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_kick(NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_poll(NULL, &b, &got), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_wait(NULL, &b, &got), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_reset(NULL), VIRTIO_EINVAL);
    CHECK_EQ(virtio_rng_pending(NULL), 0);
    CHECK_EQ(f->s.chains_total, 0);
}

/* ---- Caller errors, init order, ownership ----------------------------------------------- */
/* Every bad init argument: VIRTIO_EINVAL, no register access, not one byte of memory written. */
static void t_init_caller_errors(fx *f) {
    virtio_rng r;
    virtio_rng_params p;
    size_t sz = virtio_rng_mem_size(NULL, &f->t);
    size_t align = virtio_queue_ring_align(&f->t);
    uint8_t *mem = (uint8_t *)fx_alloc(f, sz + 2 * align, align);
    unsigned long reads = f->s.reads, writes = f->s.writes;
    memset(mem, PATTERN, sz + 2 * align);
    memset(&r, 0, sizeof r);
    memset(&p, 0, sizeof p);
    CHECK(sz != 0);
    CHECK_RC(virtio_rng_init(&r, NULL, NULL, mem, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, NULL, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem, sz - 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem + 8, sz + align), VIRTIO_EINVAL);
    p.queue_size = 3;
    CHECK_RC(virtio_rng_init(&r, &f->t, &p, mem, sz + 2 * align), VIRTIO_EINVAL);
    p.queue_size = 65536;
    CHECK_RC(virtio_rng_init(&r, &f->t, &p, mem, sz + 2 * align), VIRTIO_EINVAL);
    p.queue_size = 16; /* valid, but needs more than the default's memory */
    CHECK(virtio_rng_mem_size(&p, &f->t) > sz);
    CHECK_RC(virtio_rng_init(&r, &f->t, &p, mem, sz), VIRTIO_EINVAL);
    CHECK_EQ(f->s.writes, writes);
    CHECK_EQ(f->s.reads, reads);
    CHECK(all_pattern(mem, sz + 2 * align));
    /* and the object was left as it was: still never initialized */
    CHECK_RC(virtio_rng_read(&r, mem, 4), VIRTIO_ESTATE);
}

/* Bad arguments to a working device change nothing either. */
static void t_io_caller_errors(fx *f) {
    virtio_rng r;
    uint8_t *buf = patterned(f, 64);
    unsigned long writes, reads, chains;
    rng_up(f, &r, 8);
    CHECK_OK();
    writes = f->s.writes;
    reads = f->s.reads;
    chains = f->s.chains_total;
    CHECK_RC(virtio_rng_read(&r, NULL, 4), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_submit(&r, NULL, 4), VIRTIO_EINVAL);
    CHECK_RC(virtio_rng_submit(&r, buf, 0), VIRTIO_EINVAL);
    CHECK_EQ(f->s.writes, writes);
    CHECK_EQ(f->s.reads, reads);
    CHECK_EQ(f->s.chains_total, chains);
    CHECK_EQ(virtio_rng_pending(&r), 0);
    CHECK(all_pattern(buf, 64));
    CHECK_RC(virtio_rng_read(&r, buf, 64), VIRTIO_OK); /* still works */
    check_stream(buf, 64, 0);
}

/* The device does not reset: init returns VIRTIO_EBUSY and has written no byte of memory
   (the device could still be writing it). */
static void t_init_reset_stuck(fx *f) {
    virtio_rng r;
    size_t sz;
    uint8_t *mem = rng_mem(f, NULL, &sz);
    uint8_t *buf = patterned(f, 4);
    set_spin_limit(f, 1000);
    f->s.reset_stuck = 1;
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem, sz), VIRTIO_EBUSY);
    CHECK(all_pattern(mem, sz));
    CHECK_EQ(f->s.resets, 1);
    CHECK_EQ(f->s.status_writes, 1); /* the reset only: no ACKNOWLEDGE */
    CHECK_RC(virtio_rng_read(&r, buf, 4), VIRTIO_EBUSY);
    CHECK_RC(virtio_rng_reset(&r), VIRTIO_EBUSY);
    f->s.reset_stuck = 0;
    CHECK_RC(virtio_rng_reset(&r), VIRTIO_OK); /* it resets now: still not initialized */
    CHECK_RC(virtio_rng_read(&r, buf, 4), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem, sz), VIRTIO_OK);
    CHECK_RC(virtio_rng_read(&r, buf, 4), VIRTIO_OK);
}

/* A timed-out read whose reset does not complete: VIRTIO_EBUSY, the buffer is still the
   device's, and virtio_rng_reset says so until the device resets. */
static void t_read_reset_stuck(fx *f) {
    virtio_rng r;
    uint8_t *buf = patterned(f, 16);
    set_spin_limit(f, 1000);
    rng_up(f, &r, 8);
    CHECK_OK();
    f->s.manual = 1; /* the device holds the buffer without touching it */
    f->s.reset_stuck = 1;
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_EBUSY);
    CHECK_EQ(virtio_rng_pending(&r), 1);
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_EBUSY);
    CHECK_RC(virtio_rng_reset(&r), VIRTIO_EBUSY);
    f->s.reset_stuck = 0;
    CHECK_RC(virtio_rng_reset(&r), VIRTIO_OK);
    CHECK_EQ(virtio_rng_pending(&r), 0);
    sim_process(&f->s);
    CHECK(all_pattern(buf, 16));
}

/* The device holds a read's buffer (it does not process it): after the timeout the device has
   been reset, and processing afterwards writes not one byte of the buffer. */
static void t_timeout_owns_nothing(fx *f) {
    virtio_rng r;
    uint8_t *buf = patterned(f, 256);
    set_spin_limit(f, 2000);
    rng_up(f, &r, 8);
    CHECK_OK();
    f->s.manual = 1;
    CHECK_RC(virtio_rng_read(&r, buf, 256), VIRTIO_ETIMEDOUT);
    CHECK_EQ(f->s.status, 0);
    CHECK_EQ(sim_process(&f->s), 0);
    CHECK(all_pattern(buf, 256));
    CHECK_EQ(f->s.chains_total, 0);
}

/* Init on a device an earlier stage left running with a buffer in it: the device is reset
   before any memory is written, and the old buffer is never written. */
static void t_init_running_device(fx *f) {
    virtio_rng r;
    size_t sz;
    uint8_t *mem = rng_mem(f, NULL, &sz);
    uint8_t *buf = patterned(f, 32);
    uint8_t *mine = (uint8_t *)fx_alloc(f, 32, 1);
    unsigned long resets;
    CHECK(mem != NULL);
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem, sz), VIRTIO_OK);
    f->s.manual = 1;
    CHECK_RC(virtio_rng_submit(&r, buf, 32), VIRTIO_OK);
    CHECK_RC(virtio_rng_kick(&r), VIRTIO_OK);
    resets = f->s.resets;
    /* The next stage knows nothing of that: it inits the same device in the same memory. */
    memset(&r, 0, sizeof r);
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem, sz), VIRTIO_OK);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(sim_process(&f->s), 0);
    CHECK(all_pattern(buf, 32));
    f->s.manual = 0;
    CHECK_RC(virtio_rng_read(&r, mine, 32), VIRTIO_OK);
    check_stream(mine, 32, 0);
}

/* Waiting with nothing pending: VIRTIO_EAGAIN at once, no spinning; polling: EAGAIN. */
static void t_wait_nothing(fx *f) {
    virtio_rng r;
    void *b = NULL;
    uint32_t got = 0;
    unsigned long relax, reads;
    rng_up(f, &r, 8);
    CHECK_OK();
    relax = f->s.relax_calls;
    reads = f->s.reads;
    CHECK_RC(virtio_rng_wait(&r, &b, &got), VIRTIO_EAGAIN);
    CHECK_RC(virtio_rng_poll(&r, &b, &got), VIRTIO_EAGAIN);
    CHECK_EQ(f->s.relax_calls, relax);
    CHECK_EQ(f->s.reads, reads); /* no status check either */
    CHECK_RC(virtio_rng_kick(&r), VIRTIO_OK); /* nothing to tell */
    CHECK_EQ(f->s.q[0].notifies, 0);
}

/* A zeroed object: VIRTIO_ESTATE from every call, and no register access. */
static void t_zeroed(fx *f) {
    virtio_rng r;
    uint8_t *buf = patterned(f, 16);
    void *b = NULL;
    uint32_t got = 0;
    unsigned long reads = f->s.reads;
    memset(&r, 0, sizeof r);
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_read(&r, buf, 0), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_submit(&r, buf, 16), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_kick(&r), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_poll(&r, &b, &got), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_wait(&r, &b, &got), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_reset(&r), VIRTIO_ESTATE);
    CHECK_EQ(virtio_rng_pending(&r), 0);
    CHECK_EQ(f->s.writes, 0);
    CHECK_EQ(f->s.reads, reads);
    CHECK(all_pattern(buf, 16));
}

/* ---- Non-blocking: submit / kick / poll / wait ------------------------------------------ */
/* Four buffers, one notification; each comes back once, filled, in the device's order. */
static void t_pipeline(fx *f) {
    virtio_rng r;
    uint8_t *bufs[4];
    int seen[4] = {0, 0, 0, 0};
    uint64_t pos = 0;
    unsigned i, k;
    rng_up(f, &r, 8);
    CHECK_OK();
    for (i = 0; i < 4; i++) {
        bufs[i] = patterned(f, 100 + i);
        CHECK_RC(virtio_rng_submit(&r, bufs[i], 100 + i), VIRTIO_OK);
    }
    CHECK_EQ(virtio_rng_pending(&r), 4);
    CHECK_EQ(f->s.q[0].notifies, 0); /* submit does not tell the device */
    CHECK_EQ(f->s.chains_total, 0);
    CHECK_RC(virtio_rng_kick(&r), VIRTIO_OK);
    CHECK_EQ(f->s.q[0].notifies, 1);
    for (k = 0; k < 4; k++) {
        void *b = NULL;
        uint32_t got = 0;
        CHECK_RC(virtio_rng_poll(&r, &b, &got), VIRTIO_OK);
        for (i = 0; i < 4 && b != bufs[i]; i++) {
        }
        CHECK_MSG(i < 4, "poll returned %p, not a submitted buffer", b);
        CHECK_MSG(!seen[i], "buffer %u returned twice", i);
        seen[i] = 1;
        CHECK_EQ(got, 100 + i);
        check_stream(bufs[i], got, pos);
        CHECK_OK();
        pos += got;
        CHECK_EQ(virtio_rng_pending(&r), 3 - k);
    }
    CHECK_RC(virtio_rng_poll(&r, NULL, NULL), VIRTIO_EAGAIN);
    CHECK_EQ(f->s.q[0].notifies, 1);
}

/* The device fills 5 bytes of each buffer: poll says how many, the rest is untouched. */
static void t_pipeline_partial(fx *f) {
    virtio_rng r;
    uint8_t *bufs[3];
    uint64_t pos = 0;
    unsigned i;
    f->s.rng_max_fill = 5;
    rng_up(f, &r, 8);
    CHECK_OK();
    for (i = 0; i < 3; i++) {
        bufs[i] = patterned(f, 32);
        CHECK_RC(virtio_rng_submit(&r, bufs[i], 32), VIRTIO_OK);
    }
    CHECK_RC(virtio_rng_kick(&r), VIRTIO_OK);
    for (i = 0; i < 3; i++) {
        void *b = NULL;
        uint32_t got = 0;
        CHECK_RC(virtio_rng_wait(&r, &b, &got), VIRTIO_OK);
        CHECK(b == bufs[i]); /* the simulator uses them in order */
        CHECK_EQ(got, 5);
        check_stream(bufs[i], 5, pos);
        CHECK_OK();
        CHECK(all_pattern(bufs[i] + 5, 27));
        pos += 5;
    }
    CHECK_RC(virtio_rng_wait(&r, NULL, NULL), VIRTIO_EAGAIN);
}

/* A full queue says ENOSPC; a device that offers fewer entries than asked gets fewer. */
static void t_queue_full(fx *f) {
    virtio_rng r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 64, 1);
    unsigned i;
    void *b;
    uint32_t got;
    f->s.q[0].num_max = 4;
    rng_up(f, &r, 8);
    CHECK_OK();
    CHECK_EQ(virtio_queue_size(&r.queue), 4);
    for (i = 0; i < 4; i++)
        CHECK_RC(virtio_rng_submit(&r, buf + 16 * i, 16), VIRTIO_OK);
    CHECK_RC(virtio_rng_submit(&r, buf, 16), VIRTIO_ENOSPC);
    CHECK_EQ(virtio_rng_pending(&r), 4);
    /* read would mix its completion with these: refused, nothing posted */
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_kick(&r), VIRTIO_OK);
    for (i = 0; i < 4; i++)
        CHECK_RC(virtio_rng_wait(&r, &b, &got), VIRTIO_OK);
    CHECK_RC(virtio_rng_wait(&r, &b, &got), VIRTIO_EAGAIN);
    check_stream(buf, 64, 0);
    CHECK_OK();
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_OK);
}

/* wait publishes what was submitted but not kicked, instead of timing out on it. */
static void t_wait_kicks(fx *f) {
    virtio_rng r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 16, 1);
    void *b = NULL;
    uint32_t got = 0;
    rng_up(f, &r, 8);
    CHECK_OK();
    CHECK_RC(virtio_rng_submit(&r, buf, 16), VIRTIO_OK);
    CHECK_RC(virtio_rng_wait(&r, &b, &got), VIRTIO_OK);
    CHECK(b == buf);
    CHECK_EQ(got, 16);
    CHECK_EQ(f->s.q[0].notifies, 1);
}

/* max_chunk caps every buffer posted: a read is split, a submit posts its first part. */
static void t_max_chunk(fx *f) {
    virtio_rng r;
    virtio_rng_params p;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 100, 1);
    void *b = NULL;
    uint32_t got = 0;
    memset(&p, 0, sizeof p);
    p.max_chunk = 32;
    rng_up_p(f, &r, &p);
    CHECK_OK();
    CHECK_RC(virtio_rng_read(&r, buf, 100), VIRTIO_OK);
    check_stream(buf, 100, 0);
    CHECK_OK();
    CHECK_EQ(f->s.chains_total, 4);
    CHECK_EQ(sim_last(&f->s, 1)->wlen, 32);
    CHECK_EQ(sim_last(&f->s, 0)->wlen, 4);
    CHECK_RC(virtio_rng_submit(&r, buf, 100), VIRTIO_OK);
    CHECK_RC(virtio_rng_wait(&r, &b, &got), VIRTIO_OK);
    CHECK_EQ(got, 32);
    CHECK_EQ(sim_last(&f->s, 0)->wlen, 32);
}

/* A buffer back with 0 bytes: poll latches VIRTIO_EDEVICE without waiting or resetting (the
   other buffer stays the device's until virtio_rng_reset), and hands the empty one back (*got
   0) so that it no longer counts as pending (fuzz_driver_rng's finding,
   regress-rng-poll-empty-buffer); wait resets. */
static void t_zero_bytes_poll(fx *f) {
    virtio_rng r;
    uint8_t *buf = patterned(f, 32);
    void *b = NULL;
    uint32_t got = 0;
    unsigned long resets;
    rng_up(f, &r, 8);
    CHECK_OK();
    f->s.rng_zero = 1;
    f->s.max_per_pass = 1; /* the second buffer stays in the device */
    CHECK_RC(virtio_rng_submit(&r, buf, 16), VIRTIO_OK);
    CHECK_RC(virtio_rng_submit(&r, buf + 16, 16), VIRTIO_OK);
    CHECK_RC(virtio_rng_kick(&r), VIRTIO_OK);
    resets = f->s.resets;
    got = 99;
    CHECK_RC(virtio_rng_poll(&r, &b, &got), VIRTIO_EDEVICE);
    CHECK(b == buf);
    CHECK_EQ(got, 0);
    CHECK_EQ(f->s.resets, resets);
    CHECK(f->s.status & SIM_S_FAILED);
    CHECK_EQ(virtio_rng_pending(&r), 1);
    CHECK_RC(virtio_rng_poll(&r, &b, &got), VIRTIO_EDEVICE); /* latched */
    CHECK_RC(virtio_rng_wait(&r, &b, &got), VIRTIO_EDEVICE);
    CHECK_RC(virtio_rng_reset(&r), VIRTIO_OK);
    CHECK_EQ(virtio_rng_pending(&r), 0);
    CHECK_RC(virtio_rng_poll(&r, &b, &got), VIRTIO_ESTATE);
    sim_process(&f->s);
    CHECK(all_pattern(buf + 16, 16));
}

static void t_zero_bytes_wait(fx *f) {
    virtio_rng r;
    uint8_t *buf = patterned(f, 32);
    void *b = NULL;
    uint32_t got = 0;
    unsigned long resets;
    rng_up(f, &r, 8);
    CHECK_OK();
    f->s.rng_zero = 1;
    CHECK_RC(virtio_rng_submit(&r, buf, 32), VIRTIO_OK);
    resets = f->s.resets;
    CHECK_RC(virtio_rng_wait(&r, &b, &got), VIRTIO_EDEVICE);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(virtio_rng_pending(&r), 0);
    CHECK(all_pattern(buf, 32));
}

/* A wait that times out resets the device; the buffers it held are never written after. */
static void t_wait_timeout(fx *f) {
    virtio_rng r;
    uint8_t *buf = patterned(f, 64);
    void *b = NULL;
    uint32_t got = 0;
    set_spin_limit(f, 2000);
    rng_up(f, &r, 8);
    CHECK_OK();
    f->s.manual = 1;
    CHECK_RC(virtio_rng_submit(&r, buf, 32), VIRTIO_OK);
    CHECK_RC(virtio_rng_submit(&r, buf + 32, 32), VIRTIO_OK);
    CHECK_RC(virtio_rng_kick(&r), VIRTIO_OK);
    CHECK_RC(virtio_rng_wait(&r, &b, &got), VIRTIO_ETIMEDOUT);
    CHECK_LE(f->s.relax_max_iter, 2000);
    CHECK_EQ(f->s.status, 0);
    CHECK_EQ(virtio_rng_pending(&r), 0);
    CHECK_EQ(sim_process(&f->s), 0);
    CHECK(all_pattern(buf, 64));
    CHECK_RC(virtio_rng_submit(&r, buf, 32), VIRTIO_ETIMEDOUT); /* latched until init */
}

/* Reset hands every buffer back; the object needs init again. */
static void t_reset(fx *f) {
    virtio_rng r;
    size_t sz;
    uint8_t *mem = rng_mem(f, NULL, &sz);
    uint8_t *buf = patterned(f, 16);
    void *b;
    uint32_t got;
    CHECK(mem != NULL);
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem, sz), VIRTIO_OK);
    f->s.manual = 1;
    CHECK_RC(virtio_rng_submit(&r, buf, 16), VIRTIO_OK);
    CHECK_RC(virtio_rng_kick(&r), VIRTIO_OK);
    CHECK_RC(virtio_rng_reset(&r), VIRTIO_OK);
    CHECK_EQ(f->s.status, 0);
    CHECK_EQ(virtio_rng_pending(&r), 0);
    CHECK_EQ(sim_process(&f->s), 0);
    CHECK(all_pattern(buf, 16));
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_submit(&r, buf, 16), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_kick(&r), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_poll(&r, &b, &got), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_wait(&r, &b, &got), VIRTIO_ESTATE);
    CHECK_RC(virtio_rng_reset(&r), VIRTIO_OK); /* again: harmless */
    f->s.manual = 0;
    CHECK_RC(virtio_rng_init(&r, &f->t, NULL, mem, sz), VIRTIO_OK);
    CHECK_RC(virtio_rng_read(&r, buf, 16), VIRTIO_OK);
}

/* Memory sizes: NULL params are the defaults, the compile-time bound covers this transport and
   every queue size, and init takes exactly what mem_size says. Legacy needs 4096 alignment. */
static void t_mem_size(fx *f) {
    virtio_rng r;
    virtio_rng_params p;
    size_t sz;
    uint8_t *mem;
    memset(&p, 0, sizeof p);
    CHECK_EQ(virtio_rng_mem_size(NULL, &f->t), virtio_rng_mem_size(&p, &f->t));
    p.queue_size = 8;
    CHECK_EQ(virtio_rng_mem_size(NULL, &f->t), virtio_rng_mem_size(&p, &f->t));
    CHECK_EQ(VIRTIO_RNG_MEM(0), VIRTIO_RNG_MEM(8));
    CHECK_LE(virtio_rng_mem_size(NULL, &f->t), VIRTIO_RNG_MEM(0));
    CHECK_LE(virtio_rng_mem_size(NULL, &f->t), virtio_rng_mem_size(NULL, NULL));
    CHECK_LE(virtio_rng_mem_size(NULL, NULL), VIRTIO_RNG_MEM(8));
    p.queue_size = 1024;
    CHECK_LE(virtio_rng_mem_size(&p, &f->t), VIRTIO_RNG_MEM(1024));
    CHECK_LE(virtio_rng_mem_size(&p, NULL), VIRTIO_RNG_MEM(1024));
    p.queue_size = 1;
    CHECK(virtio_rng_mem_size(&p, &f->t) != 0);
    p.queue_size = 6;
    CHECK_EQ(virtio_rng_mem_size(&p, &f->t), 0);
    p.queue_size = 65536;
    CHECK_EQ(virtio_rng_mem_size(&p, NULL), 0);
    if (f->ver == 2) CHECK_LE(virtio_rng_mem_size(NULL, &f->t), 1024); /* no page padding */
    /* 16-aligned memory that is not 4096-aligned: enough for modern, not for legacy */
    p.queue_size = 0;
    sz = virtio_rng_mem_size(&p, &f->t);
    mem = (uint8_t *)fx_alloc(f, sz + 4096, 4096) + 16;
    CHECK_RC(virtio_rng_init(&r, &f->t, &p, mem, sz),
             f->ver == 1 ? VIRTIO_EINVAL : VIRTIO_OK);
    mem = (uint8_t *)fx_alloc(f, sz, 4096);
    CHECK_RC(virtio_rng_init(&r, &f->t, &p, mem, sz), VIRTIO_OK);
    mem = (uint8_t *)fx_alloc(f, 8, 8);
    CHECK_RC(virtio_rng_read(&r, mem, 8), VIRTIO_OK);
}

static const tcase cases[] = {
    /* the cases of the test-only driver, adapted (and t_wrong_device in blk_cases) */
    {"read 1000 bytes", t_read, RUN_BOTH | RUN_EIDX},
    {"device fills 7 bytes at a time", t_partial, RUN_BOTH},
    {"scribbling device: the shadow never in reach, bytes right", t_scribble, RUN_BOTH},
    {"firecracker: activated at DRIVER_OK, 12 reads byte-exact, no reset after", t_firecracker,
     RUN_V2},
    {"70000 one-byte buffers on a 2-entry queue (wrap)", t_wrap, RUN_BOTH | RUN_EIDX},
    {"no queue 0 -> ENOQUEUE, FAILED", t_no_queue, RUN_BOTH},
    {"device swallows the buffer -> ETIMEDOUT, reset, buffer not written after", t_swallow,
     RUN_BOTH},
    {"device returns 0 bytes -> EDEVICE, reset", t_zero_bytes, RUN_BOTH},
    {"used len above the buffer -> clamped, counted", t_len_too_big, RUN_BOTH},
    {"NEEDS_RESET -> ENEEDS_RESET, reset", t_needs_reset, RUN_BOTH},
    {"bad arguments -> EINVAL", t_args, RUN_BOTH},
    /* the new API */
    {"init caller errors: EINVAL, no register access, memory untouched", t_init_caller_errors,
     RUN_BOTH},
    {"I/O caller errors change nothing", t_io_caller_errors, RUN_BOTH},
    {"init, reset stuck -> EBUSY before any memory write", t_init_reset_stuck, RUN_BOTH},
    {"read times out, reset stuck -> EBUSY, buffer still pending", t_read_reset_stuck, RUN_BOTH},
    {"read times out -> device reset, held buffer never written", t_timeout_owns_nothing,
     RUN_BOTH},
    {"init on a running device resets it before touching memory", t_init_running_device,
     RUN_BOTH},
    {"wait/poll with nothing pending -> EAGAIN at once, no spinning", t_wait_nothing, RUN_BOTH},
    {"zeroed object -> ESTATE from every call", t_zeroed, RUN_BOTH},
    {"submit 4, one kick (one notification), poll 4", t_pipeline, RUN_BOTH | RUN_EIDX},
    {"submit/wait with partial fills", t_pipeline_partial, RUN_BOTH},
    {"full queue -> ENOSPC; read while pending -> ESTATE; smaller device queue", t_queue_full,
     RUN_BOTH},
    {"wait publishes submitted buffers", t_wait_kicks, RUN_BOTH | RUN_EIDX},
    {"max_chunk splits reads and caps submits", t_max_chunk, RUN_BOTH},
    {"0 bytes through poll -> EDEVICE latched, buffer handed back, no reset, other kept", t_zero_bytes_poll,
     RUN_BOTH},
    {"0 bytes through wait -> EDEVICE, reset", t_zero_bytes_wait, RUN_BOTH},
    {"wait times out -> reset, held buffers never written", t_wait_timeout, RUN_BOTH},
    {"reset hands buffers back, then ESTATE until init", t_reset, RUN_BOTH},
    {"mem_size, VIRTIO_RNG_MEM bound, alignment per transport", t_mem_size, RUN_BOTH},
};

/* Kept from the old driver's cases too; it needs a block device behind the transport. */
static const tcase blk_cases[] = {
    {"block device -> ENODEV, no register access, memory untouched", t_wrong_device, RUN_BOTH},
};

int main(void) {
    run_table("rng", cases, sizeof cases / sizeof cases[0], setup_rng);
    run_table("rng", blk_cases, sizeof blk_cases / sizeof blk_cases[0], setup_blk);
    return t_summary("test_rng");
}
