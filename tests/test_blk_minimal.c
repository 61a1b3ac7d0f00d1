/* test_blk_minimal.c - virtio_blk.h in the smallest configuration (VIRTIO_MINIMAL: no legacy,
   strings, packed ring, indirect descriptors or event index; VIRTIO_BLK_MINIMAL and
   VIRTIO_BLK_NO_RESIZE_CHECK) against the simulated RAM disk: one data segment per request,
   a long read or write split into requests of at most size_max, flush, and what it leaves out
   refused with VIRTIO_ENOTSUP. Modern devices only (the build has no legacy). Built twice
   (tests/blk_host.mk): as it is, and as test_blk_mmio_only with VIRTIO_MMIO_ONLY too (no
   transport table: only virtio-mmio, every case over its registers). */
#define VIRTIO_MINIMAL
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "../virtio_blk.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_blk.h"
#include "test.h"
#include "fixture.h"

#define CAP 2048u /* sectors: a 1 MiB RAM disk */

static void setup_blk(fx *f) {
    if (sim_init_blk(&f->s, &f->arena, f->ver, CAP)) T_FAIL("out of memory");
}

static void blk_up(fx *f, virtio_blk *b, uint32_t size_max) {
    virtio_blk_params p;
    size_t sz;
    void *m;
    if (size_max) {
        f->s.dev_features |= SIM_F(SIM_BLK_F_SIZE_MAX);
        sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_SIZE_MAX, size_max);
        sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_SEG_MAX, 8);
    }
    memset(&p, 0, sizeof p);
    p.queue_size = 16;
    p.requests = 4;
    sz = virtio_blk_mem_size(&p, &f->t);
    m = fx_alloc(f, sz, virtio_queue_ring_align(&f->t));
    CHECK(m != NULL);
    CHECK_RC(virtio_blk_init(b, &f->t, &p, m, sz), VIRTIO_OK);
}

/* A request is never more than one data segment: max_request is size_max, and a 48 KiB write
   and read go as 12 requests each of 4 KiB (the simulator checks size_max and seg_max). */
static void t_one_segment(fx *f) {
    virtio_blk b;
    uint8_t *w = (uint8_t *)fx_alloc(f, 48u << 10, 16), *r = (uint8_t *)fx_alloc(f, 48u << 10, 16);
    unsigned long before;
    size_t i;
    blk_up(f, &b, 4096);
    CHECK_EQ(virtio_blk_max_request(&b), 8u);
    CHECK_EQ(f->s.drv_features & (SIM_F(SIM_F_RING_PACKED) | SIM_F(SIM_F_INDIRECT_DESC) |
                                  SIM_F(SIM_F_EVENT_IDX) | SIM_F(SIM_BLK_F_DISCARD)),
             0);
    for (i = 0; i < (48u << 10); i++)
        w[i] = (uint8_t)(i * 13u + (i >> 9));
    before = f->s.nlog;
    CHECK_RC(virtio_blk_write(&b, 64, w, 48u << 10), VIRTIO_OK);
    CHECK_EQ(f->s.nlog - before, 12u);
    CHECK_EQ(sim_last(&f->s, 0)->data_len, 4096u);
    CHECK_RC(virtio_blk_read(&b, 64, r, 48u << 10), VIRTIO_OK);
    CHECK_EQ(f->s.nlog - before, 24u);
    CHECK(memcmp(w, r, 48u << 10) == 0);
    CHECK(memcmp(f->s.disk + 64u * 512u, w, 48u << 10) == 0);
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_OK);
    CHECK_EQ(sim_last(&f->s, 0)->type, SIM_BLK_T_FLUSH);
}

/* Without size_max a whole read is one request; submit and poll work; what the configuration
   leaves out is refused, nothing sent. */
static void t_requests(fx *f) {
    virtio_blk b;
    uint8_t *p = (uint8_t *)fx_alloc(f, 8192, 16);
    char id[VIRTIO_BLK_ID_BYTES];
    unsigned got, ids[2];
    unsigned long before;
    int res;
    blk_up(f, &b, 0);
    before = f->s.nlog;
    CHECK_RC(virtio_blk_read(&b, 8, p, 8192), VIRTIO_OK);
    CHECK_EQ(f->s.nlog - before, 1u);
    CHECK_EQ(sim_last(&f->s, 0)->data_len, 8192u);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 0, p, 4096, &ids[0]), VIRTIO_OK);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_OUT, 16, p + 4096, 512, &ids[1]), VIRTIO_OK);
    CHECK_RC(virtio_blk_wait(&b, &got, &res), VIRTIO_OK);
    CHECK_EQ(got, ids[0]);
    CHECK_RC(res, VIRTIO_OK);
    CHECK_RC(virtio_blk_wait(&b, &got, &res), VIRTIO_OK);
    CHECK_EQ(got, ids[1]);
    CHECK_RC(res, VIRTIO_OK);
    before = f->s.nlog;
    CHECK_RC(virtio_blk_get_id(&b, id), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_blk_discard(&b, 0, 8), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_blk_write_zeroes(&b, 0, 8, 0), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_GET_ID, 0, id, sizeof id, &got), VIRTIO_ENOTSUP);
    CHECK_EQ(f->s.nlog, before);
}

#ifdef VIRTIO_MMIO_ONLY
/* VIRTIO_MMIO_ONLY: the probe leaves ops NULL and the core calls the virtio-mmio functions
   itself. A transport of another kind (the simulator's transport double, whose ops reach the
   device without registers; a PCI one) is refused with VIRTIO_ENOTSUP before anything is
   touched: no register access, no byte of memory; a zeroed one is VIRTIO_EINVAL as ever.
   The probed one then works. */
static void t_mmio_only(fx *f) {
    virtio_blk b;
    virtio_transport other;
    virtio_blk_params p;
    uint8_t *m, *buf = (uint8_t *)fx_alloc(f, 1024, 16);
    size_t sz, i;
    unsigned long reads, writes, direct;
    CHECK(f->t.ops == NULL);
    CHECK_EQ(f->t.kind, VIRTIO_TRANSPORT_MMIO);
    memset(&p, 0, sizeof p);
    p.queue_size = 16;
    p.requests = 4;
    sz = virtio_blk_mem_size(&p, &f->t);
    m = (uint8_t *)fx_alloc(f, sz, virtio_queue_ring_align(&f->t));
    CHECK(m != NULL);
    memset(m, 0xa5, sz);
    sim_transport(&other, &f->s);
    reads = f->s.reads;
    writes = f->s.writes;
    direct = f->s.direct_reads + f->s.direct_writes;
    CHECK_RC(virtio_blk_init(&b, &other, &p, m, sz), VIRTIO_ENOTSUP);
    other.kind = VIRTIO_TRANSPORT_PCI;
    CHECK_RC(virtio_blk_init(&b, &other, &p, m, sz), VIRTIO_ENOTSUP);
    memset(&other, 0, sizeof other);
    CHECK_RC(virtio_blk_init(&b, &other, &p, m, sz), VIRTIO_EINVAL);
    CHECK_EQ(f->s.reads, reads);
    CHECK_EQ(f->s.writes, writes);
    CHECK_EQ(f->s.direct_reads + f->s.direct_writes, direct);
    for (i = 0; i < sz; i++)
        if (m[i] != 0xa5) break;
    CHECK_EQ(i, sz);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz), VIRTIO_OK);
    for (i = 0; i < 1024; i++)
        buf[i] = (uint8_t)(i * 7u);
    CHECK_RC(virtio_blk_write(&b, 3, buf, 1024), VIRTIO_OK);
    memset(buf, 0, 1024);
    CHECK_RC(virtio_blk_read(&b, 3, buf, 1024), VIRTIO_OK);
    for (i = 0; i < 1024; i++)
        if (buf[i] != (uint8_t)(i * 7u)) break;
    CHECK_EQ(i, 1024u);
}
/* Every case over virtio-mmio registers: this build drives nothing else. */
#define MIN_RUNS (RUN_V2 | RUN_MMIO_ONLY)
#else
#define MIN_RUNS RUN_V2
#endif

static const tcase cases[] = {
    {"one data segment a request, long I/O split by size_max", t_one_segment, MIN_RUNS},
    {"whole request without size_max, submit and wait, left-out calls ENOTSUP", t_requests,
     MIN_RUNS},
#ifdef VIRTIO_MMIO_ONLY
    {"VIRTIO_MMIO_ONLY: other transports refused, nothing touched; the probed one works",
     t_mmio_only, MIN_RUNS},
#endif
};

int main(void) {
    run_table("blk_minimal", cases, sizeof cases / sizeof cases[0], setup_blk);
#ifdef VIRTIO_MMIO_ONLY
    return t_summary("test_blk_mmio_only");
#else
    return t_summary("test_blk_minimal");
#endif
}
