/* test_rng.c - the entropy driver of rng_driver.h (written only against virtio.h's public core
   API) against the simulated virtio-rng device, versions 1 and 2. */
#define VIRTIO_SPIN_LIMIT 100000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#include "rng_driver.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "test.h"
#include "fixture.h"

static void setup_rng(fx *f) { sim_init_rng(&f->s, &f->arena, f->ver); }

static void rng_up(fx *f, rng_dev *r, uint32_t qsize) {
    size_t sz = virtio_queue_mem_size(qsize, f->ver);
    void *mem;
    CHECK(sz != 0);
    mem = fx_alloc(f, sz, virtio_queue_mem_align(f->ver));
    CHECK_RC(rng_init(r, &f->regs, mem, sz, qsize), VIRTIO_OK);
}

/* The bytes the device produced, in order, are what the driver returned. */
static void check_stream(const uint8_t *buf, size_t len, uint64_t first) {
    size_t i;
    for (i = 0; i < len; i++)
        CHECK_MSG(buf[i] == sim_rng_byte(first + i), "byte %zu: 0x%02x want 0x%02x", i, buf[i],
                  sim_rng_byte(first + i));
}

static void t_read(fx *f) {
    rng_dev r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 1000, 1);
    rng_up(f, &r, 8);
    CHECK_OK();
    CHECK_EQ(f->s.status & SIM_S_DRIVER_OK, SIM_S_DRIVER_OK);
    /* no device features; VERSION_1 on modern devices */
    CHECK_EQ(f->s.drv_features, f->ver == 2 ? SIM_F(SIM_F_VERSION_1) : 0);
    CHECK_RC(rng_read(&r, buf, 1000), VIRTIO_OK);
    check_stream(buf, 1000, 0);
    CHECK_OK();
    CHECK_EQ(f->s.chains_total, 1);
    CHECK_EQ(sim_last(&f->s, 0)->nread, 0);
    CHECK_RC(rng_read(&r, buf, 10), VIRTIO_OK);
    check_stream(buf, 10, 1000);
    CHECK_OK();
    CHECK_RC(rng_read(&r, buf, 0), VIRTIO_OK);
    CHECK_EQ(f->s.chains_total, 2);
}

/* "The device MAY use less than the entire buffer length": the driver keeps asking. */
static void t_partial(fx *f) {
    rng_dev r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 1000, 1);
    f->s.rng_max_fill = 7;
    rng_up(f, &r, 8);
    CHECK_OK();
    CHECK_RC(rng_read(&r, buf, 1000), VIRTIO_OK);
    check_stream(buf, 1000, 0);
    CHECK_OK();
    CHECK_EQ(f->s.chains_total, (1000 + 6) / 7);
}

/* One byte per buffer on a 2-entry queue, 70000 times: the ring indices wrap. */
static void t_wrap(fx *f) {
    rng_dev r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 70000, 1);
    f->s.q[0].num_max = 2;
    rng_up(f, &r, 2);
    CHECK_OK();
    CHECK_EQ(r.queue.size, 2);
    r.chunk = 1;
    CHECK_RC(rng_read(&r, buf, 70000), VIRTIO_OK);
    check_stream(buf, 70000, 0);
    CHECK_OK();
    CHECK_EQ(f->s.chains_total, 70000);
    CHECK_EQ(sim_used_idx(&f->s, 0), 70000u & 0xffffu);
}

static void t_wrong_device(fx *f) {
    rng_dev r;
    uint8_t *mem = (uint8_t *)fx_alloc(f, 65536, 4096);
    sim_destroy(&f->s);
    CHECK_EQ(sim_init_blk(&f->s, &f->arena, f->ver, 8), 0);
    CHECK_RC(rng_init(&r, &f->regs, mem, 65536, 8), VIRTIO_ENODEV);
    CHECK_EQ(f->s.writes, 0);
}

static void t_no_queue(fx *f) {
    rng_dev r;
    uint8_t *mem = (uint8_t *)fx_alloc(f, 65536, 4096);
    f->s.q[0].num_max = 0;
    CHECK_RC(rng_init(&r, &f->regs, mem, 65536, 8), VIRTIO_ENOQUEUE);
    CHECK(f->s.status & SIM_S_FAILED);
    CHECK(!(f->s.status & SIM_S_DRIVER_OK));
}

static void t_swallow(fx *f) {
    rng_dev r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 16, 1);
    rng_up(f, &r, 8);
    CHECK_OK();
    f->s.swallow = 1;
    r.dev.spin_limit = 2000;
    CHECK_RC(rng_read(&r, buf, 16), VIRTIO_ETIMEDOUT);
    CHECK_LE(f->s.relax_max_iter, 2000);
}

static void t_zero_bytes(fx *f) {
    rng_dev r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 16, 1);
    rng_up(f, &r, 8);
    CHECK_OK();
    f->s.rng_zero = 1;
    CHECK_RC(rng_read(&r, buf, 16), VIRTIO_EDEVICE);
    CHECK(f->s.status & SIM_S_FAILED);
    f->s.rng_zero = 0;
    CHECK_MSG(rng_read(&r, buf, 16) != VIRTIO_OK, "a failed device keeps working");
}

static void t_len_too_big(fx *f) {
    rng_dev r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 32, 1);
    rng_up(f, &r, 8);
    CHECK_OK();
    f->s.mis = SIM_MIS_USED_LEN_BIG;
    CHECK_RC(rng_read(&r, buf, 16), VIRTIO_EDEVICE);
    CHECK_RC(rng_read(&r, buf, 16), VIRTIO_EDEVICE);
}

static void t_needs_reset(fx *f) {
    rng_dev r;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 32, 1);
    rng_up(f, &r, 8);
    CHECK_OK();
    sim_set_needs_reset(&f->s);
    r.dev.spin_limit = 50000;
    CHECK_RC(rng_read(&r, buf, 16), VIRTIO_ENEEDS_RESET);
}

static void t_args(fx *f) {
    rng_dev r;
    uint8_t *mem = (uint8_t *)fx_alloc(f, 65536, 4096);
    CHECK_RC(rng_init(NULL, &f->regs, mem, 65536, 8), VIRTIO_EINVAL);
    CHECK_RC(rng_init(&r, &f->regs, mem + 1, 65536, 8), VIRTIO_EINVAL);
    CHECK(f->s.status & SIM_S_FAILED); /* the driver gave up on the device */
    CHECK_RC(rng_init(&r, &f->regs, mem, 65536, 8), VIRTIO_OK);
    CHECK_RC(rng_read(&r, NULL, 4), VIRTIO_EINVAL);
    CHECK_RC(rng_read(NULL, mem, 4), VIRTIO_EINVAL);
    CHECK_EQ(f->s.chains_total, 0);
}

static const tcase cases[] = {
    {"read 1000 bytes", t_read, RUN_BOTH | RUN_EIDX},
    {"device fills 7 bytes at a time", t_partial, RUN_BOTH},
    {"70000 one-byte buffers on a 2-entry queue (wrap)", t_wrap, RUN_BOTH | RUN_EIDX},
    {"block device -> ENODEV", t_wrong_device, RUN_BOTH},
    {"no queue 0 -> ENOQUEUE, FAILED", t_no_queue, RUN_BOTH},
    {"device swallows the buffer -> ETIMEDOUT", t_swallow, RUN_BOTH},
    {"device returns 0 bytes -> EDEVICE", t_zero_bytes, RUN_BOTH},
    {"used len above the buffer -> EDEVICE", t_len_too_big, RUN_BOTH},
    {"NEEDS_RESET -> ENEEDS_RESET", t_needs_reset, RUN_BOTH},
    {"bad arguments -> EINVAL", t_args, RUN_BOTH},
};

int main(void) {
    run_table("rng", cases, sizeof cases / sizeof cases[0], setup_rng);
    return t_summary("test_rng");
}
