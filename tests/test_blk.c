/* test_blk.c - host tests of virtio_blk.h against the simulated RAM-disk virtio-blk device, for
   virtio-mmio versions 1 and 2. */
#define VIRTIO_SPIN_LIMIT 100000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "../virtio_blk.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_blk.h"
#include "sim_rng.h"
#include "test.h"
#include "fixture.h"

#define CAP 2048u /* sectors: a 1 MiB RAM disk */

static void setup_blk(fx *f) {
    if (sim_init_blk(&f->s, &f->arena, f->ver, CAP)) T_FAIL("out of memory");
}

/* ---- Helpers ------------------------------------------------------------------------------- */
/* Driver memory for `p` on transport t, from the arena (aligned as the transport needs). */
static void *blk_mem(fx *f, const virtio_transport *t, const virtio_blk_params *p, size_t *size) {
    *size = virtio_blk_mem_size(p, t);
    return *size ? fx_alloc(f, *size, virtio_queue_ring_align(t)) : NULL;
}

static void blk_params(virtio_blk_params *p, uint32_t qsize, unsigned nreqs) {
    memset(p, 0, sizeof *p);
    p->queue_size = qsize;
    p->requests = nreqs;
}

/* virtio_blk_init over `t` with a queue of qsize entries and nreqs slots, expecting `want`. */
static void blk_up_on(fx *f, virtio_blk *b, const virtio_transport *t, uint32_t qsize,
                      unsigned nreqs, int want) {
    virtio_blk_params p;
    size_t sz;
    void *m;
    blk_params(&p, qsize, nreqs);
    m = blk_mem(f, t, &p, &sz);
    CHECK(m != NULL);
    CHECK_RC(virtio_blk_init(b, t, &p, m, sz), want);
}

static void blk_up_n(fx *f, virtio_blk *b, uint32_t qsize, unsigned nreqs) {
    blk_up_on(f, b, &f->t, qsize, nreqs, VIRTIO_OK);
}

static void blk_up(fx *f, virtio_blk *b) { blk_up_n(f, b, 64, 8); }

/* blk_up expecting one error; the failure message names the code. */
static void blk_up_expect(fx *f, virtio_blk *b, uint32_t qsize, int want) {
    blk_up_on(f, b, &f->t, qsize, 8, want);
}

/* The wait bound of every device initialized from now on: the accessor's spin_limit, in the
   transport the case uses. */
static void spin_limit(fx *f, uint32_t n) {
    f->regs.spin_limit = n;
    (void)fx_transport(f);
}

/* Buffer in guest memory. */
static uint8_t *buf(fx *f, size_t n) { return (uint8_t *)fx_alloc(f, n, 16); }

static void fill(uint8_t *p, size_t n, unsigned seed) {
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31u + seed * 7u + (i >> 9));
}

/* The RAM disk still holds its initial pattern in [sector, sector + n). */
static void check_disk_pattern(fx *f, uint64_t sector, uint64_t n) {
    uint64_t i;
    for (i = sector * 512u; i < (sector + n) * 512u; i++)
        CHECK_MSG(f->s.disk[i] == sim_disk_pattern(i), "disk byte %llu changed",
                  (unsigned long long)i);
}

static void check_pattern(const uint8_t *p, uint64_t sector, size_t len) {
    size_t i;
    for (i = 0; i < len; i++)
        CHECK_MSG(p[i] == sim_disk_pattern(sector * 512u + i),
                  "byte %zu read from sector %llu is 0x%02x, want 0x%02x", i,
                  (unsigned long long)sector, p[i], sim_disk_pattern(sector * 512u + i));
}

static unsigned long nreq(const fx *f) { return f->s.nlog; }

/* ---- Static -------------------------------------------------------------------------------- */
static void t_layout(fx *f) {
    (void)f;
    /* struct virtio_blk_req header, struct virtio_blk_discard_write_zeroes, status */
    CHECK_EQ(offsetof(virtio_blk_req, type), 0);
    CHECK_EQ(offsetof(virtio_blk_req, reserved), 4);
    CHECK_EQ(offsetof(virtio_blk_req, sector), 8);
    CHECK_EQ(offsetof(virtio_blk_req, dwz_sector), 16);
    CHECK_EQ(offsetof(virtio_blk_req, dwz_sectors), 24);
    CHECK_EQ(offsetof(virtio_blk_req, dwz_flags), 28);
    CHECK_EQ(offsetof(virtio_blk_req, status), 32);
    CHECK_EQ(sizeof(virtio_blk_req) % 8, 0);
    CHECK_EQ(sizeof(virtio_blk_req), 40);
    CHECK_EQ(sizeof(virtio_blk_slot) % 8, 0);
    /* struct virtio_blk_config */
    CHECK_EQ(VIRTIO_BLK_CFG_CAPACITY, offsetof(struct sim_blk_config, capacity));
    CHECK_EQ(VIRTIO_BLK_CFG_SIZE_MAX, offsetof(struct sim_blk_config, size_max));
    CHECK_EQ(VIRTIO_BLK_CFG_SEG_MAX, offsetof(struct sim_blk_config, seg_max));
    CHECK_EQ(VIRTIO_BLK_CFG_GEOMETRY_CYLINDERS, offsetof(struct sim_blk_config, cylinders));
    CHECK_EQ(VIRTIO_BLK_CFG_GEOMETRY_HEADS, offsetof(struct sim_blk_config, heads));
    CHECK_EQ(VIRTIO_BLK_CFG_GEOMETRY_SECTORS, offsetof(struct sim_blk_config, sectors));
    CHECK_EQ(VIRTIO_BLK_CFG_BLK_SIZE, offsetof(struct sim_blk_config, blk_size));
    CHECK_EQ(VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP,
             offsetof(struct sim_blk_config, physical_block_exp));
    CHECK_EQ(VIRTIO_BLK_CFG_ALIGNMENT_OFFSET, offsetof(struct sim_blk_config, alignment_offset));
    CHECK_EQ(VIRTIO_BLK_CFG_MIN_IO_SIZE, offsetof(struct sim_blk_config, min_io_size));
    CHECK_EQ(VIRTIO_BLK_CFG_OPT_IO_SIZE, offsetof(struct sim_blk_config, opt_io_size));
    CHECK_EQ(VIRTIO_BLK_CFG_WRITEBACK, offsetof(struct sim_blk_config, writeback));
    CHECK_EQ(VIRTIO_BLK_CFG_NUM_QUEUES, offsetof(struct sim_blk_config, num_queues));
    CHECK_EQ(VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
             offsetof(struct sim_blk_config, max_discard_sectors));
    CHECK_EQ(VIRTIO_BLK_CFG_MAX_DISCARD_SEG, offsetof(struct sim_blk_config, max_discard_seg));
    CHECK_EQ(VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT,
             offsetof(struct sim_blk_config, discard_sector_alignment));
    CHECK_EQ(VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS,
             offsetof(struct sim_blk_config, max_write_zeroes_sectors));
    CHECK_EQ(VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG,
             offsetof(struct sim_blk_config, max_write_zeroes_seg));
    CHECK_EQ(VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP,
             offsetof(struct sim_blk_config, write_zeroes_may_unmap));
    CHECK_EQ(offsetof(struct sim_blk_config, max_secure_erase_sectors), 60);
}

static void t_constants(fx *f) {
    (void)f;
    CHECK_EQ(VIRTIO_BLK_T_IN, SIM_BLK_T_IN);
    CHECK_EQ(VIRTIO_BLK_T_OUT, SIM_BLK_T_OUT);
    CHECK_EQ(VIRTIO_BLK_T_FLUSH, SIM_BLK_T_FLUSH);
    CHECK_EQ(VIRTIO_BLK_T_GET_ID, SIM_BLK_T_GET_ID);
    CHECK_EQ(VIRTIO_BLK_T_DISCARD, SIM_BLK_T_DISCARD);
    CHECK_EQ(VIRTIO_BLK_T_WRITE_ZEROES, SIM_BLK_T_WRITE_ZEROES);
    CHECK_EQ(VIRTIO_BLK_S_OK, SIM_BLK_S_OK);
    CHECK_EQ(VIRTIO_BLK_S_IOERR, SIM_BLK_S_IOERR);
    CHECK_EQ(VIRTIO_BLK_S_UNSUPP, SIM_BLK_S_UNSUPP);
    CHECK_EQ(VIRTIO_BLK_F_SIZE_MAX, SIM_BLK_F_SIZE_MAX);
    CHECK_EQ(VIRTIO_BLK_F_SEG_MAX, SIM_BLK_F_SEG_MAX);
    CHECK_EQ(VIRTIO_BLK_F_GEOMETRY, SIM_BLK_F_GEOMETRY);
    CHECK_EQ(VIRTIO_BLK_F_RO, SIM_BLK_F_RO);
    CHECK_EQ(VIRTIO_BLK_F_BLK_SIZE, SIM_BLK_F_BLK_SIZE);
    CHECK_EQ(VIRTIO_BLK_F_FLUSH, SIM_BLK_F_FLUSH);
    CHECK_EQ(VIRTIO_BLK_F_TOPOLOGY, SIM_BLK_F_TOPOLOGY);
    CHECK_EQ(VIRTIO_BLK_F_CONFIG_WCE, SIM_BLK_F_CONFIG_WCE);
    CHECK_EQ(VIRTIO_BLK_F_MQ, SIM_BLK_F_MQ);
    CHECK_EQ(VIRTIO_BLK_F_DISCARD, SIM_BLK_F_DISCARD);
    CHECK_EQ(VIRTIO_BLK_F_WRITE_ZEROES, SIM_BLK_F_WRITE_ZEROES);
    CHECK_EQ(VIRTIO_BLK_F_LIFETIME, SIM_BLK_F_LIFETIME);
    CHECK_EQ(VIRTIO_BLK_F_SECURE_ERASE, SIM_BLK_F_SECURE_ERASE);
    CHECK_EQ(VIRTIO_BLK_SECTOR_SIZE, 512);
    CHECK_EQ(VIRTIO_BLK_ID_BYTES, 20);
}

/* ---- Init ---------------------------------------------------------------------------------- */
static void t_init(fx *f) {
    virtio_blk b;
    const virtio_blk_info *in;
    uint64_t implemented =
        SIM_F(SIM_BLK_F_SIZE_MAX) | SIM_F(SIM_BLK_F_SEG_MAX) | SIM_F(SIM_BLK_F_GEOMETRY) |
        SIM_F(SIM_BLK_F_RO) | SIM_F(SIM_BLK_F_BLK_SIZE) | SIM_F(SIM_BLK_F_FLUSH) |
        SIM_F(SIM_BLK_F_TOPOLOGY) | SIM_F(SIM_BLK_F_CONFIG_WCE) | SIM_F(SIM_BLK_F_DISCARD) |
        SIM_F(SIM_BLK_F_WRITE_ZEROES) | SIM_F(SIM_F_EVENT_IDX) | SIM_F(SIM_F_VERSION_1) |
        SIM_F(SIM_F_ANY_LAYOUT) | SIM_F(SIM_F_INDIRECT_DESC) | SIM_F(SIM_F_RING_PACKED);
    /* The ring features (indirect descriptors, packed ring) are the core's to take. */
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER,
                    "firecracker offers none of SEG_MAX, GEOMETRY, BLK_SIZE, TOPOLOGY, CONFIG_WCE, "
                    "DISCARD, WRITE_ZEROES: the case checks each is read and taken"))
        return;
    blk_up(f, &b);
    CHECK_OK();
    CHECK_EQ(f->s.status & SIM_S_DRIVER_OK, SIM_S_DRIVER_OK);
    CHECK_EQ(f->s.drv_features & ~implemented, 0);
    CHECK(f->s.drv_features & SIM_F(SIM_BLK_F_FLUSH));
    CHECK_EQ(!!(f->s.drv_features & SIM_F(SIM_F_EVENT_IDX)), f->eidx);
    CHECK_EQ(virtio_blk_capacity(&b), CAP);
    CHECK_EQ(virtio_blk_block_size(&b), 512);
    CHECK_EQ(virtio_blk_read_only(&b), 0);
    CHECK_EQ(virtio_blk_can_flush(&b), 1);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    CHECK_GE(virtio_blk_max_request(&b), 8);
    in = virtio_blk_get_info(&b);
    CHECK(in != NULL);
    CHECK_EQ(in->capacity, CAP);
    CHECK_EQ(in->blk_size, 512);
    CHECK_EQ(in->size_max, 0);
    CHECK_EQ(in->seg_max, 126);
    CHECK_EQ(in->cylinders, 1024);
    CHECK_EQ(in->heads, 16);
    CHECK_EQ(in->sectors, 63);
    CHECK_EQ(in->physical_block_exp, 3);
    CHECK_EQ(in->alignment_offset, 0);
    CHECK_EQ(in->min_io_size, 1);
    CHECK_EQ(in->opt_io_size, 8);
    CHECK_EQ(in->writeback, 1);
    CHECK_EQ(in->max_discard_sectors, 0x3fffff);
    CHECK_EQ(in->max_discard_seg, 1);
    CHECK_EQ(in->discard_sector_alignment, 8);
    CHECK_EQ(in->max_write_zeroes_sectors, 0x3fffff);
    CHECK_EQ(in->max_write_zeroes_seg, 1);
    CHECK_EQ(in->write_zeroes_may_unmap, 1);
    CHECK_EQ(in->read_only, 0);
    CHECK_EQ(virtio_queue_size(&b.queue), 64);
}

/* virtio_zero and virtio_copy work by aligned words with byte heads and tails (init zeroes and
   copies with them): every source and destination alignment, every length up to 3 words,
   exactly the bytes asked for and nothing around them. */
static void t_zero_copy_words(fx *f) {
    uint8_t src[64], dst[64];
    size_t so, d, n, k;
    (void)f;
    for (k = 0; k < sizeof src; k++)
        src[k] = (uint8_t)(k * 7u + 1u);
    for (so = 0; so < 8; so++)
        for (d = 0; d < 8; d++)
            for (n = 0; n <= 3 * sizeof(uintptr_t) + 1; n++) {
                memset(dst, 0xee, sizeof dst);
                virtio_copy(dst + d, src + so, n);
                for (k = 0; k < sizeof dst; k++)
                    CHECK_EQ(dst[k], (k >= d && k < d + n) ? src[so + k - d] : 0xee);
                virtio_zero(dst + so, n);
                for (k = 0; k < sizeof dst; k++) {
                    uint8_t want = (k >= d && k < d + n) ? src[so + k - d] : 0xee;
                    CHECK_EQ(dst[k], (k >= so && k < so + n) ? 0 : want);
                }
            }
}

/* Init reads only what every request needs (capacity, block size; no segment limit without
   size_max: every request then has one data segment); the rest waits for the first call that
   needs it, and is read once. */
static void t_init_reads_little(fx *f) {
    virtio_blk b;
    unsigned long n;
    if (fx_hv_lacks(
            f, SIM_HV_FIRECRACKER,
            "firecracker offers no BLK_SIZE, DISCARD or WRITE_ZEROES (the fields the case counts)"))
        return;
    blk_up(f, &b);
    CHECK_OK();
    /* capacity (two halves; legacy: twice, until two reads agree), blk_size; seg_max is read
       only where size_max is offered */
    CHECK_EQ(f->s.config_reads, f->ver == 1 ? 5u : 3u);
    CHECK_EQ(virtio_blk_capacity(&b), CAP);
    CHECK_EQ(virtio_blk_get_info(&b)->cylinders, 1024);
    CHECK_EQ(virtio_blk_get_info(&b)->seg_max, 126); /* read with the rest */
    n = f->s.config_reads;
    CHECK_GE(n, 5);
    CHECK_EQ(virtio_blk_get_info(&b)->max_discard_sectors, 0x3fffff);
    CHECK_RC(virtio_blk_discard(&b, 0, 8), VIRTIO_OK);
    CHECK_EQ(f->s.config_reads, n); /* once */
}

/* With size_max offered, segments are split by it and init reads seg_max too. */
static void t_init_reads_seg_max(fx *f) {
    virtio_blk b;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no SIZE_MAX or SEG_MAX")) return;
    f->s.dev_features |= SIM_F(SIM_BLK_F_SIZE_MAX);
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_SIZE_MAX, 4096);
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_SEG_MAX, 3);
    blk_up(f, &b);
    CHECK_OK();
    /* capacity (two halves; legacy: twice, until two reads agree), size_max, seg_max, blk_size */
    CHECK_EQ(f->s.config_reads, f->ver == 1 ? 7u : 5u);
    CHECK_EQ(virtio_blk_max_request(&b), 3u * 4096u / 512u);
}

/* The limits a discard needs are read before its first request, also through submit. */
static void t_discard_reads_limits(fx *f) {
    virtio_blk b;
    unsigned id;
    int res;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no DISCARD")) return;
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 16);
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_DISCARD, 0, NULL, 24, &id), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_DISCARD, 0, NULL, 16, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_wait(&b, &id, &res), VIRTIO_OK);
    CHECK_RC(res, VIRTIO_OK);
}

/* Finished requests come back oldest first, and a freed slot is taken again at once. */
static void t_poll_order(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    unsigned id[4], got;
    int res, i;
    blk_up_n(f, &b, 64, 4);
    CHECK_OK();
    f->s.manual = 1;
    for (i = 0; i < 4; i++)
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, (uint64_t)i, p + 512 * i, 512, &id[i]),
                 VIRTIO_OK);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 9, p + 2048, 512, &got), VIRTIO_ENOSPC);
    CHECK_RC(virtio_blk_kick(&b), VIRTIO_OK);
    sim_process(&f->s);
    CHECK_RC(virtio_blk_poll(&b, &got, &res), VIRTIO_OK);
    CHECK_EQ(got, id[0]);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 9, p + 2048, 512, &got), VIRTIO_OK);
    CHECK_EQ(got, id[0]); /* the slot just freed */
    for (i = 1; i < 4; i++) {
        CHECK_RC(virtio_blk_poll(&b, &got, &res), VIRTIO_OK);
        CHECK_EQ(got, id[i]);
    }
    CHECK_EQ(virtio_blk_pending(&b), 1);
}

/* Features neither the driver nor the core implements are never accepted, however tempting
   (the core takes the ring features: VERSION_1, EVENT_IDX, INDIRECT_DESC, RING_PACKED). */
static void t_init_extra_features(fx *f) {
    virtio_blk b;
    f->s.dev_features |= SIM_F(SIM_BLK_F_MQ) | SIM_F(SIM_BLK_F_LIFETIME) |
                         SIM_F(SIM_BLK_F_SECURE_ERASE) | SIM_F(17) | SIM_F(SIM_F_BAD_FEATURE) |
                         SIM_F(0) | SIM_F(7) | SIM_F(35);
    blk_up(f, &b);
    CHECK_OK();
    CHECK_EQ(f->s.drv_features &
                 (SIM_F(SIM_BLK_F_MQ) | SIM_F(SIM_BLK_F_LIFETIME) | SIM_F(SIM_BLK_F_SECURE_ERASE) |
                  SIM_F(17) | SIM_F(SIM_F_BAD_FEATURE) | SIM_F(0) | SIM_F(7) | SIM_F(35) |
                  SIM_F(SIM_F_RING_RESET)),
             0);
}

/* A device that offers almost nothing: defaults, and the calls that need features refuse. */
static void t_init_minimal_device(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    unsigned long n0;
    f->s.dev_features &=
        ~(SIM_F(SIM_BLK_F_SEG_MAX) | SIM_F(SIM_BLK_F_GEOMETRY) | SIM_F(SIM_BLK_F_BLK_SIZE) |
          SIM_F(SIM_BLK_F_FLUSH) | SIM_F(SIM_BLK_F_TOPOLOGY) | SIM_F(SIM_BLK_F_CONFIG_WCE) |
          SIM_F(SIM_BLK_F_DISCARD) | SIM_F(SIM_BLK_F_WRITE_ZEROES));
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_BLK_SIZE, 4096); /* not offered: must be ignored */
    blk_up(f, &b);
    CHECK_OK();
    CHECK_EQ(virtio_blk_block_size(&b), 512);
    CHECK_EQ(virtio_blk_can_flush(&b), 0);
    CHECK_EQ(virtio_blk_get_info(&b)->cylinders, 0);
    CHECK_EQ(virtio_blk_get_info(&b)->writeback, 0);
    n0 = nreq(f);
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_blk_discard(&b, 0, 8), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_blk_write_zeroes(&b, 0, 8, 0), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_blk_set_writeback(&b, 0), VIRTIO_ENOTSUP);
    CHECK_EQ(nreq(f), n0);
    CHECK_RC(virtio_blk_read(&b, 0, p, 4096), VIRTIO_OK);
    check_pattern(p, 0, 4096);
}

/* Caller errors: VIRTIO_EINVAL with no register access and no byte of memory written. */
static void t_init_args(fx *f) {
    virtio_blk b;
    virtio_blk_params p, bad;
    size_t sz, al = virtio_queue_ring_align(&f->t);
    uint8_t *m, *copy;
    unsigned long reads, writes;
    unsigned i;
    static const uint32_t bad_qs[] = {100, 2, 1, 3, 65536, 0x80000000u};
    static const uint32_t bad_nr[] = {65536, 70000, 0xffffffffu};
    blk_params(&p, 64, 8);
    sz = virtio_blk_mem_size(&p, &f->t);
    CHECK(sz != 0);
    m = (uint8_t *)fx_alloc(f, sz + 4096, 4096);
    copy = (uint8_t *)fx_malloc(f, sz + 4096);
    CHECK(copy != NULL);
    fill(m, sz + 4096, 77);
    memcpy(copy, m, sz + 4096);
    reads = f->s.reads;
    writes = f->s.writes;
    CHECK_RC(virtio_blk_init(NULL, &f->t, &p, m, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_init(&b, NULL, &p, m, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, NULL, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz - 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m + al / 2, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m + 1, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m + 8, sz), VIRTIO_EINVAL);
    for (i = 0; i < sizeof bad_qs / sizeof bad_qs[0]; i++) {
        blk_params(&bad, bad_qs[i], 8);
        CHECK_EQ(virtio_blk_mem_size(&bad, &f->t), 0);
        CHECK_RC(virtio_blk_init(&b, &f->t, &bad, m, sz + 4096), VIRTIO_EINVAL);
    }
    for (i = 0; i < sizeof bad_nr / sizeof bad_nr[0]; i++) {
        blk_params(&bad, 64, bad_nr[i]);
        CHECK_EQ(virtio_blk_mem_size(&bad, &f->t), 0);
        CHECK_RC(virtio_blk_init(&b, &f->t, &bad, m, sz + 4096), VIRTIO_EINVAL);
    }
    blk_params(&bad, 64, 4096); /* valid, but needs more than there is */
    CHECK_RC(virtio_blk_init(&b, &f->t, &bad, m, sz), VIRTIO_EINVAL);
    CHECK_EQ(f->s.writes, writes); /* a caller error changes nothing */
    CHECK_EQ(f->s.reads, reads);   /* and does not even look at the device */
    CHECK_MEM(m, copy, sz + 4096);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz), VIRTIO_OK);
    CHECK_RC(virtio_blk_init(&b, &f->t, NULL, m, sz + 4096), VIRTIO_OK); /* defaults */
}

/* Another device type: VIRTIO_ENODEV before any register access or memory write. */
static void t_init_not_blk(fx *f) {
    virtio_blk b;
    virtio_blk_params p;
    size_t sz;
    uint8_t *m;
    unsigned long reads;
    sim_destroy(&f->s);
    sim_init_rng(&f->s, &f->arena, f->ver);
    CHECK_RC(fx_transport(f), VIRTIO_OK);
    reads = f->s.reads;
    blk_params(&p, 64, 8);
    m = (uint8_t *)blk_mem(f, &f->t, &p, &sz);
    CHECK(m != NULL);
    memset(m, 0x5a, sz);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz), VIRTIO_ENODEV);
    CHECK_EQ(f->s.writes, 0);
    CHECK_EQ(f->s.reads, reads);
    CHECK_EQ(m[0], 0x5a);
    CHECK_EQ(m[sz - 1], 0x5a);
}

/* A slot the probe refuses: the transport stays unprobed (zeroed), and init refuses that. */
static void unprobed(fx *f) {
    virtio_blk b;
    CHECK_RC(fx_transport(f), VIRTIO_ENODEV);
    blk_up_on(f, &b, &f->t, 64, 8, VIRTIO_EINVAL);
    CHECK_OK();
    CHECK_EQ(f->s.writes, 0);
}

static void t_init_empty_slot(fx *f) {
    f->s.device_id = 0;
    unprobed(f);
}

static void t_init_bad_magic(fx *f) {
    f->s.magic = 0x12345678;
    unprobed(f);
}

/* A configuration that makes no sense is a device fault: refused, FAILED, latched. */
static void nonsense(fx *f, uint32_t off, uint32_t value) {
    virtio_blk b;
    uint8_t *p = buf(f, 512);
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no SIZE_MAX or BLK_SIZE")) return;
    f->s.dev_features |= SIM_F(SIM_BLK_F_SIZE_MAX);
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_SIZE_MAX, 65536);
    sim_cfg_w32(&f->s, off, value);
    blk_up_expect(f, &b, 64, VIRTIO_EDEVICE);
    CHECK_OK();
    CHECK(f->s.status & SIM_S_FAILED);
    CHECK(!(f->s.status & SIM_S_DRIVER_OK));
    CHECK_RC(virtio_blk_read(&b, 0, p, 512), VIRTIO_EDEVICE);
    CHECK_EQ(nreq(f), 0);
}
static void t_cfg_blk_size_3(fx *f) { nonsense(f, VIRTIO_BLK_CFG_BLK_SIZE, 3); }
static void t_cfg_blk_size_0(fx *f) { nonsense(f, VIRTIO_BLK_CFG_BLK_SIZE, 0); }
static void t_cfg_blk_size_1000(fx *f) { nonsense(f, VIRTIO_BLK_CFG_BLK_SIZE, 1000); }
static void t_cfg_size_max_100(fx *f) { nonsense(f, VIRTIO_BLK_CFG_SIZE_MAX, 100); }
static void t_cfg_size_max_0(fx *f) { nonsense(f, VIRTIO_BLK_CFG_SIZE_MAX, 0); }

/* A 4096-byte logical block: accepted; requests are whole logical blocks (QEMU fails others
   with IOERR, the driver refuses them first with nothing sent), and splits keep to them. */
static void t_cfg_blk_size_4096(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 64 * 1024);
    unsigned long n0;
    unsigned id, i;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no BLK_SIZE")) return;
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_BLK_SIZE, 4096);
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 12); /* not a block multiple */
    f->s.dev_features |= SIM_F(SIM_BLK_F_SIZE_MAX);
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_SIZE_MAX, 6144); /* not a block multiple */
    blk_up(f, &b);
    CHECK_OK();
    CHECK_EQ(virtio_blk_block_size(&b), 4096);
    n0 = nreq(f);
    CHECK_RC(virtio_blk_read(&b, 0, p, 512), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_read(&b, 1, p, 4096), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_write(&b, 4, p, 4096), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_discard(&b, 8, 4), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_write_zeroes(&b, 3, 8, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 8, p, 1024, &id), VIRTIO_EINVAL);
    CHECK_EQ(nreq(f), n0);
    CHECK_RC(virtio_blk_read(&b, 8, p, 64 * 1024), VIRTIO_OK);
    check_pattern(p, 8, 64 * 1024);
    CHECK_OK();
    for (i = 0; nreq(f) - n0 > i && i < 8; i++) {
        const sim_log *lg = sim_last(&f->s, i);
        CHECK_EQ(lg->status, VIRTIO_BLK_S_OK);
        CHECK_EQ(lg->max_data_desc % 4096, 0); /* segments of whole blocks, below 6144 */
        CHECK_EQ(lg->sector % 8, 0);
    }
    n0 = nreq(f);
    CHECK_RC(virtio_blk_discard(&b, 16, 32), VIRTIO_OK); /* 12 per request -> 8 per request */
    CHECK_EQ(nreq(f) - n0, 4);
    CHECK_EQ(sim_last(&f->s, 0)->dwz_num, 8);
    CHECK_EQ(sim_last(&f->s, 0)->dwz_sector, 40);
}

static void t_init_features_ok_refused(fx *f) {
    virtio_blk b;
    f->s.refuse_features_ok = 1;
    blk_up_expect(f, &b, 64, f->ver == 2 ? VIRTIO_EFEATURES : VIRTIO_OK);
}

static void t_init_no_version_1(fx *f) {
    virtio_blk b;
    f->s.dev_features &= ~SIM_F(SIM_F_VERSION_1);
    blk_up_expect(f, &b, 64, f->ver == 2 ? VIRTIO_EFEATURES : VIRTIO_OK);
}

/* The device does not finish its reset: VIRTIO_EBUSY, and not one byte of memory is written
   (the device may still be using it for an earlier driver). */
static void t_init_reset_stuck(fx *f) {
    virtio_blk b;
    virtio_blk_params p;
    size_t sz;
    uint8_t *m, *p8 = buf(f, 512);
    blk_params(&p, 64, 8);
    m = (uint8_t *)blk_mem(f, &f->t, &p, &sz);
    CHECK(m != NULL);
    memset(m, 0x5a, sz);
    f->s.reset_stuck = 1;
    f->s.relax_giveup = 1000;
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz), VIRTIO_EBUSY);
    CHECK_EQ(f->s.resets, 1);
    CHECK_EQ(m[0], 0x5a);
    CHECK_EQ(m[sz / 2], 0x5a);
    CHECK_EQ(m[sz - 1], 0x5a);
    CHECK_RC(virtio_blk_read(&b, 0, p8, 512), VIRTIO_EBUSY);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    f->s.reset_stuck = 0;
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz), VIRTIO_OK);
    CHECK_RC(virtio_blk_read(&b, 0, p8, 512), VIRTIO_OK);
}

static void t_init_gen_forever(fx *f) {
    virtio_blk b;
    f->s.gen_churn = -1;
    blk_up_expect(f, &b, 64, f->ver == 2 ? VIRTIO_EDEVICE : VIRTIO_OK);
    CHECK_OK();
    if (f->ver == 2) CHECK(f->s.status & SIM_S_FAILED);
}

/* The capacity changes under the driver's feet while it reads the configuration: it must
   end with one consistent value (hi == lo here). */
static void t_init_gen_retry(fx *f) {
    virtio_blk b;
    f->s.gen_churn = 3;
    f->s.gen_tear_capacity = 1;
    blk_up(f, &b);
    CHECK_OK();
    if (f->ver == 2) {
        CHECK_EQ(virtio_blk_capacity(&b), sim_cfg_r(&f->s, 0, 8));
        CHECK_EQ(virtio_blk_capacity(&b) >> 32, virtio_blk_capacity(&b) & 0xffffffffu);
    } else {
        CHECK_EQ(virtio_blk_capacity(&b), CAP);
    }
}

static void t_init_queue_max_100(fx *f) {
    virtio_blk b;
    f->s.q[0].num_max = 100;
    blk_up_n(f, &b, 128, 8);
    CHECK_OK();
    CHECK_EQ(virtio_queue_size(&b.queue), 64);
}

static void t_init_no_queue(fx *f) {
    virtio_blk b;
    f->s.q[0].num_max = 0;
    blk_up_expect(f, &b, 64, VIRTIO_ENOQUEUE);
    CHECK_OK();
    CHECK(f->s.status & SIM_S_FAILED);
}

static void t_reinit_after_fault(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 512);
    blk_up(f, &b);
    CHECK_OK();
    f->s.mis = SIM_MIS_USED_ID_OOR;
    CHECK_RC(virtio_blk_read(&b, 0, p, 512), VIRTIO_EDEVICE);
    CHECK_RC(virtio_blk_read(&b, 0, p, 512), VIRTIO_EDEVICE);
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 3, p, 512), VIRTIO_OK);
    check_pattern(p, 3, 512);
}

/* ---- Blocking I/O -------------------------------------------------------------------------- */
static void t_read(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 8192);
    const sim_log *lg;
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 0, p, 4096), VIRTIO_OK);
    check_pattern(p, 0, 4096);
    CHECK_OK();
    lg = sim_last(&f->s, 0);
    CHECK_EQ(lg->type, VIRTIO_BLK_T_IN);
    CHECK_EQ(lg->sector, 0);
    CHECK_EQ(lg->data_len, 4096);
    CHECK_EQ(lg->status, 0);
    CHECK_RC(virtio_blk_read(&b, 777, p + 1, 1024), VIRTIO_OK); /* unaligned buffer */
    check_pattern(p + 1, 777, 1024);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, CAP - 16, p, 8192), VIRTIO_OK); /* the very end */
    check_pattern(p, CAP - 16, 8192);
    CHECK_OK();
    CHECK_EQ(virtio_blk_pending(&b), 0);
}

static void t_write(fx *f) {
    virtio_blk b;
    uint8_t *w = buf(f, 16384), *r = buf(f, 16384);
    const sim_log *lg;
    blk_up(f, &b);
    CHECK_OK();
    fill(w, 16384, 1);
    CHECK_RC(virtio_blk_write(&b, 100, w, 16384), VIRTIO_OK);
    CHECK_MEM(f->s.disk + 100 * 512, w, 16384);
    check_disk_pattern(f, 0, 100);
    CHECK_OK();
    check_disk_pattern(f, 132, CAP - 132);
    CHECK_OK();
    lg = sim_last(&f->s, 0);
    CHECK_EQ(lg->type, VIRTIO_BLK_T_OUT);
    CHECK_RC(virtio_blk_read(&b, 100, r, 16384), VIRTIO_OK);
    CHECK_MEM(r, w, 16384);
    fill(w, 512, 9);
    CHECK_RC(virtio_blk_write(&b, CAP - 1, w, 512), VIRTIO_OK);
    CHECK_MEM(f->s.disk + (CAP - 1) * 512, w, 512);
}

static void t_range(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    unsigned long n0;
    blk_up(f, &b);
    CHECK_OK();
    n0 = nreq(f);
    CHECK_RC(virtio_blk_read(&b, CAP, p, 512), VIRTIO_ERANGE);
    CHECK_RC(virtio_blk_read(&b, CAP - 1, p, 1024), VIRTIO_ERANGE);
    CHECK_RC(virtio_blk_read(&b, UINT64_MAX, p, 512), VIRTIO_ERANGE);
    CHECK_RC(virtio_blk_read(&b, UINT64_MAX / 256, p, 4096), VIRTIO_ERANGE); /* *512 overflows */
    CHECK_RC(virtio_blk_write(&b, CAP, p, 512), VIRTIO_ERANGE);
    CHECK_RC(virtio_blk_write(&b, CAP - 7, p, 4096), VIRTIO_ERANGE);
    if (f->s.hv != SIM_HV_FIRECRACKER) { /* Firecracker offers neither: ENOTSUP */
        CHECK_RC(virtio_blk_discard(&b, CAP - 1, 2), VIRTIO_ERANGE);
        CHECK_RC(virtio_blk_discard(&b, UINT64_MAX, 1), VIRTIO_ERANGE);
        CHECK_RC(virtio_blk_write_zeroes(&b, CAP, 1, 0), VIRTIO_ERANGE);
        CHECK_RC(virtio_blk_write_zeroes(&b, 1, UINT64_MAX, 0), VIRTIO_ERANGE);
    }
    CHECK_EQ(nreq(f), n0); /* nothing was sent */
    CHECK_RC(virtio_dev_usable(&b.dev), VIRTIO_OK);
    CHECK_RC(virtio_blk_read(&b, CAP - 1, p, 512), VIRTIO_OK);
}

static void t_partial_sector(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    unsigned long n0;
    blk_up(f, &b);
    CHECK_OK();
    n0 = nreq(f);
    CHECK_RC(virtio_blk_read(&b, 0, p, 100), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_read(&b, 0, p, 511), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_read(&b, 0, p, 513), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_write(&b, 0, p, 4095), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_read(&b, 0, NULL, 512), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_write(&b, 0, NULL, 512), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_get_id(&b, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_read(NULL, 0, p, 512), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_write(NULL, 0, p, 512), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_flush(NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_discard(NULL, 0, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_write_zeroes(NULL, 0, 1, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_set_writeback(NULL, 1), VIRTIO_EINVAL);
    CHECK_EQ(nreq(f), n0);
    check_disk_pattern(f, 0, 16);
}

static void t_read_only(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    unsigned long n0;
    unsigned id;
    f->s.blk_ro = 1;
    f->s.dev_features |= SIM_F(SIM_BLK_F_RO);
    blk_up(f, &b);
    CHECK_OK();
    CHECK_EQ(virtio_blk_read_only(&b), 1);
    CHECK(f->s.drv_features & SIM_F(SIM_BLK_F_RO)); /* "SHOULD accept VIRTIO_BLK_F_RO" */
    fill(p, 4096, 3);
    n0 = nreq(f);
    CHECK_RC(virtio_blk_write(&b, 0, p, 4096), VIRTIO_EROFS);
    if (f->s.hv != SIM_HV_FIRECRACKER) { /* Firecracker offers neither: ENOTSUP */
        CHECK_RC(virtio_blk_discard(&b, 0, 8), VIRTIO_EROFS);
        CHECK_RC(virtio_blk_write_zeroes(&b, 0, 8, 1), VIRTIO_EROFS);
    }
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_OUT, 0, p, 512, &id), VIRTIO_EROFS);
    CHECK_EQ(nreq(f), n0);
    check_disk_pattern(f, 0, 16);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 0, p, 4096), VIRTIO_OK);
    check_pattern(p, 0, 4096);
    CHECK_OK();
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_OK);
    CHECK_RC(virtio_dev_usable(&b.dev), VIRTIO_OK);
}

/* A drive that fails writes without saying it is read-only (QEMU answers IOERR). */
static void t_read_only_unannounced(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    f->s.blk_ro = 1;
    blk_up(f, &b);
    CHECK_OK();
    CHECK_EQ(virtio_blk_read_only(&b), 0);
    fill(p, 4096, 4);
    CHECK_RC(virtio_blk_write(&b, 8, p, 4096), VIRTIO_EIO);
    check_disk_pattern(f, 0, 32);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 8, p, 4096), VIRTIO_OK); /* not latched: a device answer */
    check_pattern(p, 8, 4096);
}

static void t_ioerr(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    blk_up(f, &b);
    CHECK_OK();
    f->s.blk_fail_count = 1;
    f->s.blk_fail_status = SIM_BLK_S_IOERR;
    CHECK_RC(virtio_blk_read(&b, 0, p, 4096), VIRTIO_EIO);
    CHECK_RC(virtio_blk_read(&b, 0, p, 4096), VIRTIO_OK);
    check_pattern(p, 0, 4096);
    CHECK_OK();
    f->s.blk_fail_count = 1;
    f->s.blk_fail_status = SIM_BLK_S_UNSUPP;
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_EUNSUPP);
    f->s.blk_fail_count = 1;
    f->s.blk_fail_status = SIM_BLK_S_IOERR;
    fill(p, 512, 5);
    CHECK_RC(virtio_blk_write(&b, 4, p, 512), VIRTIO_EIO);
    CHECK_RC(virtio_blk_write(&b, 4, p, 512), VIRTIO_OK);
    CHECK_MEM(f->s.disk + 4 * 512, p, 512);
    CHECK_RC(virtio_dev_usable(&b.dev), VIRTIO_OK);
    CHECK_RC(virtio_queue_usable(&b.queue), VIRTIO_OK);
}

/* A status byte that is none of OK, IOERR, UNSUPP: the device is broken. */
static void t_bad_status_byte(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 512);
    blk_up(f, &b);
    CHECK_OK();
    f->s.blk_fail_count = 1;
    f->s.blk_fail_status = 0x77;
    CHECK_RC(virtio_blk_read(&b, 0, p, 512), VIRTIO_EDEVICE);
    CHECK_RC(virtio_blk_read(&b, 0, p, 512), VIRTIO_EDEVICE);
}

static void t_flush(fx *f) {
    virtio_blk b;
    const sim_log *lg;
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_OK);
    CHECK_EQ(f->s.blk_flushes, 1);
    lg = sim_last(&f->s, 0);
    CHECK_EQ(lg->type, VIRTIO_BLK_T_FLUSH);
    CHECK_EQ(lg->sector, 0);
    CHECK_EQ(lg->data_len, 0);
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_OK);
    CHECK_EQ(f->s.blk_flushes, 2);
}

static void t_get_id(fx *f) {
    virtio_blk b;
    char *id = (char *)buf(f, 32);
    if (fx_hv_lacks(f, SIM_HV_TINYEMU, "tinyemu never answers GET_ID (case \"tinyemu: ...\")"))
        return;
    blk_up(f, &b);
    CHECK_OK();
    memset(id, 'x', 32);
    CHECK_RC(virtio_blk_get_id(&b, id), VIRTIO_OK);
    CHECK_MEM(id, "SIMDISK-0123456789AB", 20); /* 20 long: no NUL */
    CHECK_EQ(id[20], 'x');                     /* and nothing past the 20 bytes */
    CHECK_EQ(sim_last(&f->s, 0)->data_len, 20);
    CHECK_EQ(sim_last(&f->s, 0)->type, VIRTIO_BLK_T_GET_ID);
    strcpy(f->s.blk_serial, "abc");
    memset(id, 'x', 32);
    CHECK_RC(virtio_blk_get_id(&b, id), VIRTIO_OK);
    CHECK_MEM(id, "abc\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
}

/* max_discard_seg / max_write_zeroes_seg 0: the device takes no segment, so nothing is sent
   (each request carries one). */
static void t_dwz_no_segments(fx *f) {
    virtio_blk b;
    unsigned id;
    unsigned long n0;
    blk_up(f, &b);
    CHECK_OK();
    sim_cfg_w32(&f->s, 40, 0); /* max_discard_seg */
    sim_cfg_w32(&f->s, 52, 0); /* max_write_zeroes_seg */
    n0 = f->s.nlog;
    CHECK_RC(virtio_blk_discard(&b, 0, 8), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_blk_write_zeroes(&b, 0, 8, 0), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_DISCARD, 0, NULL, 8, &id), VIRTIO_ENOTSUP);
    CHECK_EQ(f->s.nlog, n0);
    CHECK_RC(virtio_dev_usable(&b.dev), VIRTIO_OK);
}

static void t_discard(fx *f) {
    virtio_blk b;
    const sim_log *lg;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no DISCARD")) return;
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_discard(&b, 16, 24), VIRTIO_OK);
    lg = sim_last(&f->s, 0);
    CHECK_EQ(lg->type, VIRTIO_BLK_T_DISCARD);
    CHECK_EQ(lg->dwz_nseg, 1);
    CHECK_EQ(lg->dwz_sector, 16);
    CHECK_EQ(lg->dwz_num, 24);
    CHECK_EQ(lg->dwz_flags, 0);
    CHECK_EQ(lg->status, 0);
    CHECK_EQ(lg->sector, 0); /* unused for discard: set to 0 */
    check_disk_pattern(f, 0, 16);
    CHECK_OK();
    check_disk_pattern(f, 40, 8);
}

/* Larger than max_discard_sectors: split into requests the device accepts. */
static void t_discard_split(fx *f) {
    virtio_blk b;
    unsigned long n0;
    unsigned i;
    uint64_t next = 100;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no DISCARD")) return;
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, 16);
    blk_up(f, &b);
    CHECK_OK();
    n0 = nreq(f);
    CHECK_RC(virtio_blk_discard(&b, 100, 100), VIRTIO_OK);
    CHECK_EQ(nreq(f) - n0, 7);
    for (i = 0; i < 7; i++) {
        const sim_log *lg = sim_last(&f->s, 6 - i);
        CHECK_EQ(lg->dwz_sector, next);
        CHECK_LE(lg->dwz_num, 16);
        next += lg->dwz_num;
    }
    CHECK_EQ(next, 200);
}

static void t_write_zeroes(fx *f) {
    virtio_blk b;
    const sim_log *lg;
    uint8_t *p = buf(f, 8192);
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no WRITE_ZEROES")) return;
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_write_zeroes(&b, 8, 8, 0), VIRTIO_OK);
    lg = sim_last(&f->s, 0);
    CHECK_EQ(lg->type, VIRTIO_BLK_T_WRITE_ZEROES);
    CHECK_EQ(lg->dwz_sector, 8);
    CHECK_EQ(lg->dwz_num, 8);
    CHECK_EQ(lg->dwz_flags, 0);
    CHECK_RC(virtio_blk_read(&b, 0, p, 8192), VIRTIO_OK);
    check_pattern(p, 0, 4096);
    CHECK_OK();
    {
        size_t i;
        for (i = 4096; i < 8192; i++)
            CHECK_EQ(p[i], 0);
    }
    check_disk_pattern(f, 16, 8);
    CHECK_OK();
    /* unmap: asked for, and the device says it may */
    CHECK_RC(virtio_blk_write_zeroes(&b, 30, 2, 1), VIRTIO_OK);
    CHECK_EQ(sim_last(&f->s, 0)->dwz_flags, 1);
    /* the device says a write-zeroes never deallocates: unmap is pointless, but harmless */
    sim_cfg_w8(&f->s, VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP, 0);
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_write_zeroes(&b, 30, 2, 1), VIRTIO_OK);
    CHECK_EQ(sim_last(&f->s, 0)->dwz_flags & ~1u, 0);
}

static void t_writeback(fx *f) {
    virtio_blk b;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no CONFIG_WCE")) return;
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_set_writeback(&b, 0), VIRTIO_OK);
    CHECK_EQ(f->s.config[VIRTIO_BLK_CFG_WRITEBACK], 0);
    /* read back with an 8-bit access (crosvm: the word that holds it, VIRTIO_REGS_F_CONFIG32) */
    CHECK_EQ(f->s.config_last_width, f->s.hv == SIM_HV_CROSVM && !f->direct ? 4u : 1u);
    CHECK_EQ(virtio_blk_get_info(&b)->writeback, 0);
    CHECK_RC(virtio_blk_set_writeback(&b, 5), VIRTIO_OK);
    CHECK_EQ(f->s.config[VIRTIO_BLK_CFG_WRITEBACK], 1);
    CHECK_EQ(virtio_blk_get_info(&b)->writeback, 1);
}

/* ---- Request splitting --------------------------------------------------------------------- */
/* size_max 4096, seg_max 4: 16 KiB per request, 4 segments of at most 4 KiB each. */
static void t_split_size_seg_max(fx *f) {
    virtio_blk b;
    uint8_t *w = buf(f, 100 * 1024), *r = buf(f, 100 * 1024);
    unsigned long n0;
    unsigned i;
    uint64_t next = 10;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER,
                    "firecracker offers no SIZE_MAX or SEG_MAX: a request is one data descriptor"))
        return;
    f->s.dev_features |= SIM_F(SIM_BLK_F_SIZE_MAX);
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_SIZE_MAX, 4096);
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_SEG_MAX, 4);
    blk_up(f, &b);
    CHECK_OK();
    CHECK_EQ(virtio_blk_max_request(&b), 32);
    n0 = nreq(f);
    CHECK_RC(virtio_blk_read(&b, 10, r, 100 * 1024), VIRTIO_OK);
    check_pattern(r, 10, 100 * 1024);
    CHECK_OK();
    CHECK_EQ(nreq(f) - n0, 7); /* 200 sectors, 32 at a time */
    for (i = 0; i < 7; i++) {
        const sim_log *lg = sim_last(&f->s, 6 - i);
        CHECK_EQ(lg->type, VIRTIO_BLK_T_IN);
        CHECK_EQ(lg->sector, next);
        CHECK_LE(lg->ndata, 4);
        CHECK_LE(lg->max_data_desc, 4096);
        CHECK_EQ(lg->data_len, i < 6 ? 16384u : 4096u); /* 6 * 32 + 8 */
        next += lg->data_len / 512;
    }
    fill(w, 100 * 1024, 7);
    n0 = nreq(f);
    CHECK_RC(virtio_blk_write(&b, 1000, w + 0, 100 * 1024), VIRTIO_OK);
    CHECK_EQ(nreq(f) - n0, 7);
    CHECK_MEM(f->s.disk + 1000 * 512, w, 100 * 1024);
    CHECK_EQ(sim_last(&f->s, 1)->ndata, 4);
    CHECK_EQ(sim_last(&f->s, 1)->max_data_desc, 4096);
}

/* size_max that is not a multiple of 512: segments of whole sectors below it. */
static void t_split_size_max_odd(fx *f) {
    virtio_blk b;
    uint8_t *r = buf(f, 64 * 1024);
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER,
                    "firecracker offers no SIZE_MAX: a request is one data descriptor"))
        return;
    f->s.dev_features |= SIM_F(SIM_BLK_F_SIZE_MAX);
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_SIZE_MAX, 1000);
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 0, r, 64 * 1024), VIRTIO_OK);
    check_pattern(r, 0, 64 * 1024);
    CHECK_OK();
    CHECK_LE(sim_last(&f->s, 0)->max_data_desc, 1000);
}

/* No SEG_MAX and a queue of 8: a request can use at most 6 data descriptors. */
static void t_split_queue_small(fx *f) {
    virtio_blk b;
    uint8_t *r = buf(f, 256 * 1024);
    unsigned i;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER,
                    "firecracker offers no SIZE_MAX: a request is one data descriptor, whatever "
                    "the queue size"))
        return;
    f->s.dev_features &= ~SIM_F(SIM_BLK_F_SEG_MAX);
    f->s.dev_features |= SIM_F(SIM_BLK_F_SIZE_MAX);
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_SIZE_MAX, 4096);
    f->s.q[0].num_max = 8;
    blk_up_n(f, &b, 64, 4);
    CHECK_OK();
    CHECK_EQ(virtio_queue_size(&b.queue), 8);
    CHECK_LE(virtio_blk_max_request(&b), 6 * 8);
    CHECK_RC(virtio_blk_read(&b, 3, r, 256 * 1024), VIRTIO_OK);
    check_pattern(r, 3, 256 * 1024);
    CHECK_OK();
    for (i = 0; i < 5; i++) {
        const sim_log *lg = sim_last(&f->s, i);
        CHECK_LE(lg->ndesc, 8);
        CHECK_LE(lg->max_data_desc, 4096);
    }
}

/* A device with no limits: a whole-disk read in as few requests as the driver likes. */
static void t_split_whole_disk(fx *f) {
    virtio_blk b;
    uint8_t *w = buf(f, CAP * 512), *r = buf(f, CAP * 512);
    f->s.dev_features &= ~SIM_F(SIM_BLK_F_SEG_MAX);
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 0, r, CAP * 512), VIRTIO_OK);
    check_pattern(r, 0, CAP * 512);
    CHECK_OK();
    fill(w, CAP * 512, 11);
    CHECK_RC(virtio_blk_write(&b, 0, w, CAP * 512), VIRTIO_OK);
    CHECK_MEM(f->s.disk, w, CAP * 512);
}

/* ---- Non-blocking -------------------------------------------------------------------------- */
static void t_submit_poll(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 16 * 512);
    unsigned ids[17], id, i, seen = 0;
    int res;
    blk_up_n(f, &b, 64, 16);
    CHECK_OK();
    f->s.manual = 1;
    for (i = 0; i < 16; i++) {
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 100 + 3 * i, p + 512 * i, 512, &ids[i]),
                 VIRTIO_OK);
        CHECK_LE(ids[i], 15);
        CHECK(!(seen & (1u << ids[i])));
        seen |= 1u << ids[i];
    }
    CHECK_EQ(virtio_blk_pending(&b), 16);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 0, p, 512, &id), VIRTIO_ENOSPC);
    CHECK_RC(virtio_blk_kick(&b), VIRTIO_OK);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_EAGAIN);
    CHECK_EQ(sim_process(&f->s), 16);
    for (i = 0; i < 16; i++) {
        unsigned k;
        CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_OK);
        CHECK_RC(res, VIRTIO_OK);
        for (k = 0; k < 16 && ids[k] != id; k++) {
        }
        CHECK(k < 16);
        ids[k] = 999;
        check_pattern(p + 512 * k, 100 + 3 * k, 512);
        CHECK_OK();
    }
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_EAGAIN);
    CHECK_EQ(virtio_blk_pending(&b), 0);
}

/* Submits are batched: the device sees nothing until a kick or poll, then one notification. */
static void t_submit_batch_notify(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4 * 512);
    unsigned id, i;
    int res;
    blk_up(f, &b);
    CHECK_OK();
    for (i = 0; i < 4; i++)
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, i, p + 512 * i, 512, &id), VIRTIO_OK);
    CHECK_EQ(f->s.q[0].notifies, 0);
    CHECK_EQ(nreq(f), 0);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_OK);
    CHECK_EQ(f->s.q[0].notifies, 1);
    CHECK_EQ(nreq(f), 4);
    for (i = 0; i < 3; i++)
        CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_OK);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_EAGAIN);
    check_pattern(p, 0, 4 * 512);
}

/* The queue fills before the request slots: 3 descriptors a request, 8 entries. */
static void t_submit_queue_full(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    unsigned id;
    int res, i;
    f->s.q[0].num_max = 8;
    blk_up_n(f, &b, 8, 16);
    CHECK_OK();
    f->s.manual = 1;
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 0, p, 512, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 1, p + 512, 512, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 2, p + 1024, 512, &id), VIRTIO_ENOSPC);
    CHECK_EQ(virtio_blk_pending(&b), 2);
    CHECK_RC(virtio_blk_kick(&b), VIRTIO_OK);
    sim_process(&f->s);
    for (i = 0; i < 2; i++) {
        CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_OK);
        CHECK_RC(res, VIRTIO_OK);
    }
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 2, p + 1024, 512, &id), VIRTIO_OK);
}

static void t_submit_args(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 8192);
    unsigned id;
    uint32_t max;
    int res;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER,
                    "firecracker offers no SIZE_MAX: the largest request is beyond the disk, so "
                    "its size cannot be refused apart from its range"))
        return;
    f->s.dev_features |= SIM_F(SIM_BLK_F_SIZE_MAX);
    sim_cfg_w32(&f->s, VIRTIO_BLK_CFG_SIZE_MAX, 4096);
    blk_up(f, &b);
    CHECK_OK();
    max = virtio_blk_max_request(&b);
    CHECK_LE(max + 1, CAP); /* so that max + 1 is refused for its size, not its range */
    CHECK_RC(virtio_blk_submit(NULL, VIRTIO_BLK_T_IN, 0, p, 512, &id), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 0, p, 512, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_submit(&b, 99, 0, p, 512, &id), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 0, NULL, 512, &id), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 0, p, 100, &id), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 0, p, (size_t)(max + 1) * 512, &id),
             VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, CAP, p, 512, &id), VIRTIO_ERANGE);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_OUT, CAP - 1, p, 1024, &id), VIRTIO_ERANGE);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_DISCARD, CAP, NULL, 1, &id), VIRTIO_ERANGE);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_GET_ID, 0, NULL, 20, &id), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_poll(NULL, &id, &res), VIRTIO_EINVAL);
    CHECK_RC(virtio_blk_kick(NULL), VIRTIO_EINVAL);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_EAGAIN);
    CHECK_EQ(nreq(f), 0);
}

/* Every request type through submit/poll. */
static void t_submit_types(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    char *idb = (char *)buf(f, 20);
    unsigned id[6], got;
    int res, i, done = 0, n = 6;
    if (fx_hv_lacks(f, SIM_HV_TINYEMU, "tinyemu never answers GET_ID")) return;
    if (f->s.hv == SIM_HV_FIRECRACKER) n = 4; /* no DISCARD or WRITE_ZEROES offered */
    blk_up(f, &b);
    CHECK_OK();
    fill(p, 4096, 2);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_OUT, 40, p, 2048, &id[0]), VIRTIO_OK);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 60, p + 2048, 2048, &id[1]), VIRTIO_OK);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, &id[2]), VIRTIO_OK);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_GET_ID, 0, idb, 20, &id[3]), VIRTIO_OK);
    if (n == 6) {
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_DISCARD, 200, NULL, 8, &id[4]), VIRTIO_OK);
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_WRITE_ZEROES, 300, NULL, 4, &id[5]),
                 VIRTIO_OK);
    }
    CHECK_EQ(virtio_blk_pending(&b), (unsigned)n);
    for (i = 0; i < n; i++) {
        CHECK_RC(virtio_blk_poll(&b, &got, &res), VIRTIO_OK);
        CHECK_RC(res, VIRTIO_OK);
        done++;
    }
    CHECK_EQ(done, n);
    CHECK_MEM(f->s.disk + 40 * 512, p, 2048);
    check_pattern(p + 2048, 60, 2048);
    CHECK_OK();
    CHECK_MEM(idb, "SIMDISK-0123456789AB", 20);
    CHECK_EQ(f->s.blk_flushes, 1);
    if (n == 4) return;
    CHECK_EQ(f->s.blk_by_type[VIRTIO_BLK_T_DISCARD], 1);
    CHECK_EQ(f->s.blk_by_type[VIRTIO_BLK_T_WRITE_ZEROES], 1);
    CHECK_EQ(f->s.disk[300 * 512 + 17], 0);
}

/* Per-request device errors come back in `result` of the right id, not as the call's result. */
static void t_submit_errors(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 2048);
    unsigned id[3], got, i;
    int res[3] = {1, 1, 1}, r;
    blk_up(f, &b);
    CHECK_OK();
    f->s.manual = 1;
    for (i = 0; i < 3; i++)
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, i, p + 512 * i, 512, &id[i]), VIRTIO_OK);
    CHECK_RC(virtio_blk_kick(&b), VIRTIO_OK);
    f->s.blk_fail_count = 1; /* the first one the device handles */
    f->s.blk_fail_status = SIM_BLK_S_IOERR;
    sim_process(&f->s);
    for (i = 0; i < 3; i++) {
        unsigned k;
        CHECK_RC(virtio_blk_poll(&b, &got, &r), VIRTIO_OK);
        for (k = 0; k < 3 && id[k] != got; k++) {
        }
        CHECK(k < 3);
        res[k] = r;
    }
    CHECK_RC(res[0], VIRTIO_EIO);
    CHECK_RC(res[1], VIRTIO_OK);
    CHECK_RC(res[2], VIRTIO_OK);
}

/* A blocking call while non-blocking requests are in flight: it returns its own result, and
   the others' completions wait for virtio_blk_poll. The device answers late and in reverse. */
static void t_mix_blocking(fx *f) {
    virtio_blk b;
    uint8_t *w = buf(f, 3 * 4096), *r = buf(f, 4096);
    unsigned id[3], got, i, seen = 0;
    int res;
    blk_up_n(f, &b, 64, 8);
    CHECK_OK();
    f->s.manual = 1;
    f->s.process_on_relax = 1;
    f->s.relax_delay = 3;
    f->s.reverse = 1;
    fill(w, 3 * 4096, 8);
    for (i = 0; i < 3; i++)
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_OUT, 500 + 8 * i, w + 4096 * i, 4096, &id[i]),
                 VIRTIO_OK);
    CHECK_RC(virtio_blk_read(&b, 50, r, 4096), VIRTIO_OK);
    check_pattern(r, 50, 4096);
    CHECK_OK();
    CHECK_EQ(virtio_blk_pending(&b), 3);
    CHECK_MEM(f->s.disk + 500 * 512, w, 3 * 4096); /* the writes were done meanwhile */
    for (i = 0; i < 3; i++) {
        CHECK_RC(virtio_blk_poll(&b, &got, &res), VIRTIO_OK);
        CHECK_RC(res, VIRTIO_OK);
        CHECK(got == id[0] || got == id[1] || got == id[2]);
        CHECK(!(seen & (1u << got)));
        seen |= 1u << got;
    }
    CHECK_RC(virtio_blk_poll(&b, &got, &res), VIRTIO_EAGAIN);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    /* and a blocking write with reads in flight, completed in order, one per relax: the
       blocking call sees the others finish first and must keep waiting for its own */
    f->s.reverse = 0;
    f->s.max_per_pass = 1;
    f->s.relax_delay = 0;
    for (i = 0; i < 3; i++)
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 700 + i, w + 512 * i, 512, &id[i]),
                 VIRTIO_OK);
    fill(r, 4096, 12);
    CHECK_RC(virtio_blk_write(&b, 900, r, 4096), VIRTIO_OK);
    CHECK_MEM(f->s.disk + 900 * 512, r, 4096);
    CHECK_EQ(virtio_blk_pending(&b), 3);
    seen = 0;
    for (i = 0; i < 3; i++) {
        CHECK_RC(virtio_blk_poll(&b, &got, &res), VIRTIO_OK);
        CHECK_RC(res, VIRTIO_OK);
        CHECK_MSG(got == id[0] || got == id[1] || got == id[2], "poll returned id %u", got);
        CHECK(!(seen & (1u << got)));
        seen |= 1u << got;
    }
    CHECK_RC(virtio_blk_poll(&b, &got, &res), VIRTIO_EAGAIN);
    check_pattern(w, 700, 3 * 512);
}

/* Every request slot is taken by a non-blocking request: a blocking call lets the device
   finish them, keeps their completions for virtio_blk_poll, and says ENOSPC (it cannot take a
   slot the caller has not polled) instead of waiting forever. After polling, it works. */
static void t_mix_slots_full(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 8 * 512), *r = buf(f, 512);
    unsigned id, i;
    int res;
    blk_up_n(f, &b, 64, 4);
    CHECK_OK();
    f->s.manual = 1;
    f->s.process_on_relax = 1;
    for (i = 0; i < 4; i++)
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, i, p + 512 * i, 512, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_read(&b, 9, r, 512), VIRTIO_ENOSPC);
    CHECK_EQ(virtio_blk_pending(&b), 4);
    CHECK_RC(virtio_dev_usable(&b.dev), VIRTIO_OK);
    for (i = 0; i < 4; i++) {
        CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_OK);
        CHECK_RC(res, VIRTIO_OK);
    }
    check_pattern(p, 0, 4 * 512);
    CHECK_OK();
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_EAGAIN);
    CHECK_RC(virtio_blk_read(&b, 9, r, 512), VIRTIO_OK);
    check_pattern(r, 9, 512);
}

/* Thousands of requests with up to 16 in flight, reads and writes mixed, completed in reverse
   batches; every read is checked against a model of the disk, and the disk at the end. */
static void t_many_in_flight(fx *f) {
    enum { N = 5000, SLOTS = 16 };
    virtio_blk b;
    uint8_t *bufs = buf(f, SLOTS * 512);
    uint8_t *model;
    uint64_t sect[SLOTS]; /* by id */
    int is_write[SLOTS], busy[SLOTS], bufof[SLOTS], buf_busy[SLOTS];
    unsigned i, k, id, submitted = 0, completed = 0;
    int res, r;
    uint32_t rng = 12345;
    blk_up_n(f, &b, 64, SLOTS);
    CHECK_OK();
    model = (uint8_t *)fx_malloc(f, CAP * 512);
    CHECK(model != NULL);
    memcpy(model, f->s.disk, CAP * 512);
    memset(busy, 0, sizeof busy);
    memset(buf_busy, 0, sizeof buf_busy);
    f->s.manual = 1;
    f->s.reverse = 1;
    while (completed < N && !T.failed) {
        unsigned want;
        rng = rng * 1103515245u + 12345u;
        want = 1 + (rng >> 16) % SLOTS;
        for (k = 0; k < want && submitted < N && !T.failed; k++) {
            uint64_t sector;
            int wr;
            rng = rng * 1103515245u + 12345u;
            sector = (rng >> 8) % CAP;
            wr = (rng >> 4) & 1;
            for (i = 0; i < SLOTS && !(busy[i] && sect[i] == sector); i++) {
            }
            if (i < SLOTS) continue; /* no two requests on one sector at once */
            for (i = 0; i < SLOTS && buf_busy[i]; i++) {
            }
            if (i == SLOTS) break;
            if (wr) memset(bufs + 512 * i, (int)(submitted & 0xff), 512);
            r = virtio_blk_submit(&b, wr ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector,
                                  bufs + 512 * i, 512, &id);
            if (r == VIRTIO_ENOSPC) break;
            if (r != VIRTIO_OK || id >= SLOTS || busy[id]) {
                T_FAIL("submit -> %d (%s), id %u", r, t_rc_name(r), id);
                break;
            }
            busy[id] = 1;
            sect[id] = sector;
            is_write[id] = wr;
            bufof[id] = (int)i;
            buf_busy[i] = 1;
            if (wr) memset(model + sector * 512, (int)(submitted & 0xff), 512);
            submitted++;
        }
        if (T.failed) break;
        if (virtio_blk_kick(&b) != VIRTIO_OK) {
            T_FAIL("kick");
            break;
        }
        sim_process(&f->s);
        for (;;) {
            r = virtio_blk_poll(&b, &id, &res);
            if (r == VIRTIO_EAGAIN) break;
            if (r != VIRTIO_OK || res != VIRTIO_OK || id >= SLOTS || !busy[id]) {
                T_FAIL("poll -> %d result %d id %u", r, res, id);
                break;
            }
            if (!is_write[id] && memcmp(bufs + 512 * bufof[id], model + sect[id] * 512, 512) != 0) {
                T_FAIL("read of sector %llu returned the wrong data", (unsigned long long)sect[id]);
                break;
            }
            busy[id] = 0;
            buf_busy[bufof[id]] = 0;
            completed++;
        }
    }
    if (!T.failed && memcmp(model, f->s.disk, CAP * 512) != 0) T_FAIL("disk differs from model");
    CHECK_OK();
    CHECK_EQ(completed, N);
    CHECK_EQ(virtio_blk_pending(&b), 0);
}

/* 70000 blocking reads on a queue of 4 entries: the 16-bit ring indices wrap. */
static void t_wrap(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 512);
    uint32_t i;
    f->s.q[0].num_max = 4;
    blk_up_n(f, &b, 4, 2);
    CHECK_OK();
    CHECK_EQ(virtio_queue_size(&b.queue), 4);
    for (i = 0; i < 70000; i++) {
        uint64_t sector = (i * 7u) % CAP;
        CHECK_RC(virtio_blk_read(&b, sector, p, 512), VIRTIO_OK);
        if (i % 997 == 0) {
            check_pattern(p, sector, 512);
            CHECK_OK();
        }
    }
    CHECK_EQ(f->s.q[0].chains, 70000);
    CHECK_EQ(sim_used_idx(&f->s, 0), 70000u & 0xffffu);
}

/* ---- Device faults ------------------------------------------------------------------------- */
static void blk_misbehave(fx *f, enum sim_used_mis mis) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    unsigned id;
    int res, r;
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 0, p, 512), VIRTIO_OK);
    f->s.mis = mis;
    if (mis == SIM_MIS_USED_ID_REPEAT) {
        /* two requests; the device returns the first one's head twice */
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 1, p, 512, &id), VIRTIO_OK);
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 2, p + 512, 512, &id), VIRTIO_OK);
        CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_OK);
        r = virtio_blk_poll(&b, &id, &res);
    } else {
        r = virtio_blk_read(&b, 1, p, 4096);
    }
    CHECK_RC(r, VIRTIO_EDEVICE);
    CHECK_RC(virtio_blk_read(&b, 1, p, 512), VIRTIO_EDEVICE);
    CHECK_RC(virtio_blk_write(&b, 1, p, 512), VIRTIO_EDEVICE);
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_EDEVICE);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_EDEVICE);
    CHECK_MSG(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 1, p, 512, &id) == VIRTIO_EDEVICE ||
                  virtio_blk_kick(&b) == VIRTIO_EDEVICE,
              "submit+kick on a broken device succeeded");
    check_disk_pattern(f, 0, 16);
}
static void t_mis_id_oor(fx *f) { blk_misbehave(f, SIM_MIS_USED_ID_OOR); }
static void t_mis_id_repeat(fx *f) { blk_misbehave(f, SIM_MIS_USED_ID_REPEAT); }
/* A used length above the writable part (kvmtool's habit) is clamped and counted: the request
   succeeds, the data is right, the disk goes on. */
static void t_mis_len_big(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    blk_up(f, &b);
    CHECK_OK();
    f->s.mis = SIM_MIS_USED_LEN_BIG;
    CHECK_RC(virtio_blk_read(&b, 1, p, 4096), VIRTIO_OK);
    check_pattern(p, 1, 4096);
    CHECK_EQ(virtio_dev_clamped(&b.dev), 1u);
    CHECK_RC(virtio_blk_write(&b, 1, p, 512), VIRTIO_OK);
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_OK);
}
static void t_mis_idx_jump(fx *f) { blk_misbehave(f, SIM_MIS_USED_IDX_JUMP); }

/* kvmtool reports the bytes a request transferred as its used length (a write: header and data
   too): clamped and counted on every request, the disk keeps working. */
static void t_kvmtool(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    unsigned i;
    f->s.hv = SIM_HV_KVMTOOL;
    blk_up(f, &b);
    CHECK_OK();
    for (i = 0; i < 8; i++) {
        fill(p, 4096, i);
        CHECK_RC(virtio_blk_write(&b, 8u * i, p, 4096), VIRTIO_OK);
        CHECK(memcmp(f->s.disk + 4096u * i, p, 4096) == 0);
        memset(p, 0, 4096);
        CHECK_RC(virtio_blk_read(&b, 8u * i, p, 4096), VIRTIO_OK);
        CHECK(memcmp(f->s.disk + 4096u * i, p, 4096) == 0);
    }
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_OK);
    CHECK(virtio_dev_clamped(&b.dev) >= 16u);
    CHECK_RC(virtio_dev_usable(&b.dev), VIRTIO_OK);
}

/* Firecracker's block device: FLUSH and the ring features only, one data descriptor per
   request (no SIZE_MAX offered: a caller's buffer is never split), activated at DRIVER_OK. */
/* A device that writes everything it may (every writable byte of every request, the whole
   used ring) never reaches the driver's private part of the block (the queue's shadow with its
   cookies, the request slots), and the disk keeps working: reads, writes, a pipeline, flush. */
static void t_scribble(fx *f) {
    virtio_blk b;
    virtio_blk_params p;
    virtio_blk__plan plan;
    size_t sz;
    uint8_t *m, *d = buf(f, 4 * 4096);
    unsigned i, k, id[4], got;
    int res;
    f->s.scribble = 1;
    blk_params(&p, 16, 4);
    m = (uint8_t *)blk_mem(f, &f->t, &p, &sz);
    CHECK(m != NULL);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz), VIRTIO_OK);
    CHECK(virtio_blk__plan_for(&p, &f->t, &plan));
    for (i = 0; i < 24; i++) {
        fill(d, 4096, i);
        CHECK_RC(virtio_blk_write(&b, 8u * i, d, 4096), VIRTIO_OK);
        memset(d, 0, 4096);
        CHECK_RC(virtio_blk_read(&b, 8u * i, d, 4096), VIRTIO_OK);
        CHECK(memcmp(f->s.disk + 4096u * i, d, 4096) == 0);
    }
    for (k = 0; k < 4; k++)
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 8u * k, d + 4096u * k, 4096, &id[k]),
                 VIRTIO_OK);
    CHECK_RC(virtio_blk_kick(&b), VIRTIO_OK);
    for (k = 0; k < 4; k++) {
        CHECK_RC(virtio_blk_wait(&b, &got, &res), VIRTIO_OK);
        CHECK_RC(res, VIRTIO_OK);
    }
    CHECK(memcmp(f->s.disk, d, 4 * 4096) == 0);
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_OK);
    CHECK_RC(virtio_dev_usable(&b.dev), VIRTIO_OK);
    CHECK(f->s.scribbled > 24u * 4096u);
    CHECK(sim_wrote_any(&f->s, m, plan.shadow_off)); /* rings and status bytes: in reach */
    CHECK(!sim_wrote_any(&f->s, m + plan.shadow_off, plan.total - plan.shadow_off));
}

/* TinyEMU's block device: no block feature, answers IN and OUT (used length: the whole
   writable part on a read, 1 on a write); GET_ID, which needs no feature, is taken and never
   answered, so virtio_blk_get_id ends at the wait's bound (VIRTIO_ETIMEDOUT). */
static void t_tinyemu(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 8192);
    char *id = (char *)buf(f, 32);
    unsigned i;
    f->s.hv = SIM_HV_TINYEMU;
    f->s.dev_features = SIM_F(SIM_F_VERSION_1);
    blk_up(f, &b);
    CHECK_OK();
    CHECK_EQ(b.dev.features, SIM_F(SIM_F_VERSION_1));
    for (i = 0; i < 8; i++) {
        fill(p, 8192, i);
        CHECK_RC(virtio_blk_write(&b, 16u * i, p, 8192), VIRTIO_OK);
        CHECK(memcmp(f->s.disk + 8192u * i, p, 8192) == 0);
        memset(p, 0, 8192);
        CHECK_RC(virtio_blk_read(&b, 16u * i, p, 8192), VIRTIO_OK);
        CHECK(memcmp(f->s.disk + 8192u * i, p, 8192) == 0);
    }
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_ENOTSUP); /* not offered: nothing sent */
    CHECK_RC(virtio_blk_get_id(&b, id), VIRTIO_ETIMEDOUT);
    CHECK_EQ(sim_last(&f->s, 0)->type, VIRTIO_BLK_T_GET_ID);
}

static void t_firecracker(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 65536);
    unsigned i;
    f->s.hv = SIM_HV_FIRECRACKER;
    f->s.dev_features &= ~(SIM_F(SIM_BLK_F_SEG_MAX) | SIM_F(SIM_BLK_F_GEOMETRY) |
                           SIM_F(SIM_BLK_F_BLK_SIZE) | SIM_F(SIM_BLK_F_TOPOLOGY) |
                           SIM_F(SIM_BLK_F_CONFIG_WCE) | SIM_F(SIM_BLK_F_DISCARD) |
                           SIM_F(SIM_BLK_F_WRITE_ZEROES));
    blk_up(f, &b);
    CHECK_OK();
    CHECK_EQ(f->s.hv_inactive, 0);
    for (i = 0; i < 6; i++) {
        size_t n = (size_t)512u << (2 * i % 8); /* 512 B .. 32 KiB */
        fill(p, n, i);
        CHECK_RC(virtio_blk_write(&b, 64u * i, p, n), VIRTIO_OK);
        CHECK_EQ(sim_last(&f->s, 0)->ndata, 1);
        CHECK(memcmp(f->s.disk + 512u * 64u * i, p, n) == 0);
        memset(p, 0, n);
        CHECK_RC(virtio_blk_read(&b, 64u * i, p, n), VIRTIO_OK);
        CHECK_EQ(sim_last(&f->s, 0)->ndata, 1);
        CHECK(memcmp(f->s.disk + 512u * 64u * i, p, n) == 0);
    }
    CHECK_RC(virtio_blk_read(&b, 0, p, 65536), VIRTIO_OK);
    CHECK_EQ(sim_last(&f->s, 0)->ndata, 1);
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_OK);
}

/* Firecracker answers a request it cannot parse with used length 0 and writes no status (here:
   a device that offered SIZE_MAX 4096, so a 16 KiB read takes four data descriptors, which
   Firecracker would refuse): that request fails with VIRTIO_EIO, the device goes on. */
static void t_firecracker_unparsed(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 16384);
    f->s.hv = SIM_HV_FIRECRACKER;
    f->s.hv_offer_all = 1; /* SIZE_MAX, which Firecracker never offers */
    f->s.dev_features |= SIM_F(SIM_BLK_F_SIZE_MAX);
    sim_cfg_w32(&f->s, 8, 4096);
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 0, p, 16384), VIRTIO_EIO);
    CHECK_EQ(sim_last(&f->s, 0)->ndata, 4);
    CHECK_RC(virtio_dev_usable(&b.dev), VIRTIO_OK);
    CHECK_RC(virtio_blk_read(&b, 0, p, 4096), VIRTIO_OK);
    check_pattern(p, 0, 4096);
}

/* The disk shrinks and grows under the driver (QEMU block_resize): the device reports a
   configuration change; the next request re-reads the capacity, so nothing goes past the new
   end (a MUST) and the grown part can be used; InterruptStatus is acknowledged. */
/* Reads at `sector` until one is refused with ERANGE: how many it took (0: never, within
   twice the check interval, or a read got anything but ERANGE or EIO). Until the driver looks,
   a read past the new end reaches the device, which fails it with IOERR: VIRTIO_EIO (the
   window VIRTIO_BLK_RESIZE_CHECK_EVERY above 1 gives up; with 1 there is none). */
static unsigned reads_until_erange(virtio_blk *b, uint64_t sector, uint8_t *p,
                                   unsigned long *eio) {
    unsigned i;
    int r;
    for (i = 1; i <= 2u * VIRTIO_BLK_RESIZE_CHECK_EVERY; i++) {
        r = virtio_blk_read(b, sector, p, 512);
        if (r == VIRTIO_ERANGE) return i;
        if (r != VIRTIO_EIO) return 0;
        ++*eio;
    }
    return 0;
}

static void t_resize(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    unsigned id, i, n;
    unsigned long reads, eio = 0;
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 100, p, 512), VIRTIO_OK);
    /* No change: one register read (InterruptStatus) in VIRTIO_BLK_RESIZE_CHECK_EVERY
       requests (default: every request), besides the notify each. */
    reads = f->s.reads;
    for (i = 0; i < 4u * VIRTIO_BLK_RESIZE_CHECK_EVERY; i++)
        CHECK_RC(virtio_blk_read(&b, 100, p, 512), VIRTIO_OK);
    CHECK_EQ(f->s.reads - reads, 4u);
    /* Shrunk: requests past the new end stop within one interval. Before the look (only with
       an interval above 1) they reach the device past its end: protocol violations the
       simulator counts, which the case provokes on purpose there: exactly one per EIO. */
    f->allow_violations = VIRTIO_BLK_RESIZE_CHECK_EVERY > 1;
    f->s.capacity = 64;
    sim_cfg_w64(&f->s, 0, 64);
    sim_config_changed(&f->s);
    n = reads_until_erange(&b, 100, p, &eio);
    CHECK(n >= 1 && n <= VIRTIO_BLK_RESIZE_CHECK_EVERY);
    CHECK_EQ(virtio_blk_capacity(&b), 64u);
    CHECK_EQ(f->s.isr & 2u, 0u); /* acknowledged */
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 63, p, 1024, &id), VIRTIO_ERANGE);
    CHECK_RC(virtio_blk_read(&b, 63, p, 512), VIRTIO_OK);
    /* Grown, and looked at on demand: virtio_blk_refresh reads at once. */
    f->s.capacity = CAP;
    sim_cfg_w64(&f->s, 0, CAP);
    sim_config_changed(&f->s);
    CHECK_RC(virtio_blk_refresh(&b), VIRTIO_OK);
    CHECK_EQ(virtio_blk_capacity(&b), (uint64_t)CAP);
    CHECK_RC(virtio_blk_read(&b, 100, p, 512), VIRTIO_OK);
    check_pattern(p, 100, 512);
    /* Shrunk again, seen by requests alone. */
    f->s.capacity = 128;
    sim_cfg_w64(&f->s, 0, 128);
    sim_config_changed(&f->s);
    n = reads_until_erange(&b, 200, p, &eio);
    CHECK(n >= 1 && n <= VIRTIO_BLK_RESIZE_CHECK_EVERY);
    CHECK_EQ(virtio_blk_capacity(&b), 128u);
    CHECK_EQ(f->s.violations, eio); /* none but the window's reads past the end */
    CHECK_RC(virtio_blk_refresh(NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_dev_usable(&b.dev), VIRTIO_OK);
}

/* QEMU with iommu_platform=on (confidential VMs) offers ACCESS_PLATFORM and refuses
   FEATURES_OK without it: taken, and the disk works (the dma hook is the translation). */
static void t_access_platform(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no ACCESS_PLATFORM")) return;
    if (fx_hv_lacks(f, SIM_HV_TINYEMU, "tinyemu offers no ACCESS_PLATFORM")) return;
    f->s.dev_features |= SIM_F(SIM_F_ACCESS_PLATFORM);
    blk_up(f, &b);
    CHECK_OK();
    CHECK(virtio_dev_has(&b.dev, VIRTIO_F_ACCESS_PLATFORM));
    CHECK_RC(virtio_blk_read(&b, 3, p, 4096), VIRTIO_OK);
    check_pattern(p, 3, 4096);
}

/* The device never answers: the read times out within the bound, and the device is reset
   before the call returns, so nothing can write the buffer afterwards. The error is latched. */
static void t_swallow(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096), *copy = buf(f, 4096);
    unsigned long resets;
    spin_limit(f, 1000);
    blk_up(f, &b);
    CHECK_OK();
    f->s.swallow = 1;
    resets = f->s.resets;
    CHECK_RC(virtio_blk_read(&b, 0, p, 4096), VIRTIO_ETIMEDOUT);
    CHECK_LE(f->s.relax_max_iter, 1000);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    memcpy(copy, p, 4096);
    f->s.swallow = 0;
    CHECK_EQ(sim_process(&f->s), 0); /* the device holds nothing of ours */
    CHECK_MEM(p, copy, 4096);
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_ETIMEDOUT);
    CHECK_EQ(f->s.resets, resets + 1); /* latched: no second request, no second reset */
}

/* A blocking read gives up (timeout) while the device still holds the request: the device is
   reset, so the answer never comes; the buffer is not written (the device has not looked at
   the request yet); init again and everything works. */
static void t_late_answer_after_timeout(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 512);
    unsigned id;
    int res;
    spin_limit(f, 500);
    blk_up_n(f, &b, 64, 2);
    CHECK_OK();
    f->s.manual = 1;
    memset(p, 0xa5, 512);
    CHECK_RC(virtio_blk_read(&b, 5, p, 512), VIRTIO_ETIMEDOUT);
    CHECK_EQ(sim_process(&f->s), 0); /* reset: the request is gone */
    CHECK_EQ(p[0], 0xa5);
    CHECK_EQ(p[511], 0xa5);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_ETIMEDOUT);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    f->s.manual = 0;
    blk_up_n(f, &b, 64, 2);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 6, p, 512), VIRTIO_OK);
    CHECK_RC(virtio_blk_read(&b, 7, p, 512), VIRTIO_OK); /* both slots usable */
    check_pattern(p, 7, 512);
    CHECK_OK();
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 1, p, 512, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 2, p, 512, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_OK);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_OK);
}

static void t_needs_reset(fx *f) {
    virtio_blk b;
    uint8_t *p = buf(f, 4096);
    unsigned long resets;
    spin_limit(f, 50000);
    blk_up(f, &b);
    CHECK_OK();
    sim_set_needs_reset(&f->s);
    resets = f->s.resets;
    CHECK_RC(virtio_blk_read(&b, 0, p, 4096), VIRTIO_ENEEDS_RESET);
    CHECK_EQ(f->s.resets, resets + 1); /* the driver reset it, as the device asked */
    CHECK_RC(virtio_blk_read(&b, 0, p, 4096), VIRTIO_ENEEDS_RESET);
    CHECK_RC(virtio_blk_write(&b, 0, p, 4096), VIRTIO_ENEEDS_RESET);
}

/* Two disks at once: no global state, each device object on its own. */
static void t_two_disks(fx *f) {
    virtio_blk b1, b2;
    sim *s2 = fx_extra(f, 1);
    virtio_regs r2;
    virtio_transport t2;
    uint8_t *w = buf(f, 4096), *r = buf(f, 4096);
    int i;
    CHECK_EQ(sim_init_blk(s2, &f->arena, f->ver, 64), 0);
    memset(s2->disk, 0x3c, 64 * 512);
    r2 = sim_regs(s2);
    if (f->direct)
        sim_transport(&t2, s2);
    else
        CHECK_RC(virtio_mmio_transport(&t2, &r2), VIRTIO_OK);
    blk_up(f, &b1);
    CHECK_OK();
    blk_up_on(f, &b2, &t2, 16, 4, VIRTIO_OK);
    CHECK_OK();
    CHECK_EQ(virtio_blk_capacity(&b2), 64);
    for (i = 0; i < 8; i++) {
        fill(w, 4096, (unsigned)i);
        CHECK_RC(virtio_blk_write(i & 1 ? &b2 : &b1, (uint64_t)i * 8, w, 4096), VIRTIO_OK);
        CHECK_RC(virtio_blk_read(i & 1 ? &b1 : &b2, (uint64_t)i * 8, r, 4096), VIRTIO_OK);
        if (i & 1)
            check_pattern(r, (uint64_t)i * 8, 4096); /* b1 untouched there */
        else
            CHECK_EQ(r[100], 0x3c); /* b2 untouched there */
        CHECK_OK();
        CHECK_MEM((i & 1 ? s2->disk : f->s.disk) + i * 4096, w, 4096);
    }
}

/* The queries tolerate NULL. */
static void t_queries_null(fx *f) {
    (void)f;
    CHECK_EQ(virtio_blk_capacity(NULL), 0);
    CHECK_EQ(virtio_blk_block_size(NULL), 0);
    CHECK_EQ(virtio_blk_read_only(NULL), 0);
    CHECK_EQ(virtio_blk_can_flush(NULL), 0);
    CHECK_EQ(virtio_blk_max_request(NULL), 0);
    CHECK(virtio_blk_get_info(NULL) == NULL);
    CHECK_EQ(virtio_blk_pending(NULL), 0);
}

/* ---- Memory, ownership, lifecycle ------------------------------------------------------------ */
/* The compile-time bound is the plan for any transport, and never less than a transport's. */
static void t_mem_size(fx *f) {
    static const uint32_t qs[] = {4, 8, 64, 256, 1024, 32768};
    static const uint32_t nr[] = {1, 16, 255, 65535};
    virtio_blk_params p;
    unsigned i, k;
    CHECK_EQ(virtio_blk_mem_size(NULL, NULL), VIRTIO_BLK_MEM(0, 0));
    CHECK_EQ(VIRTIO_BLK_MEM(0, 0), VIRTIO_BLK_MEM(64, 16));
    blk_params(&p, 0, 0);
    CHECK_EQ(virtio_blk_mem_size(&p, NULL), VIRTIO_BLK_MEM(64, 16));
    CHECK_EQ(virtio_blk_mem_size(NULL, &f->t), virtio_blk_mem_size(&p, &f->t));
    for (i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        for (k = 0; k < sizeof nr / sizeof nr[0]; k++) {
            size_t bound = VIRTIO_BLK_MEM(qs[i], nr[k]);
            blk_params(&p, qs[i], nr[k]);
            CHECK_EQ(virtio_blk_mem_size(&p, NULL), bound);
            CHECK_LE(virtio_blk_mem_size(&p, &f->t), bound);
            CHECK_GE(virtio_blk_mem_size(&p, &f->t),
                     virtio_queue_ring_size(&f->t, qs[i]) + virtio_queue_shadow_size(qs[i]) +
                         nr[k] * (sizeof(virtio_blk_req) + sizeof(virtio_blk_slot)));
            if (f->ver == 1) CHECK_EQ(virtio_blk_mem_size(&p, &f->t), bound);
        }
    }
}

/* Rings at the start of the block, the request headers (which the device reads and writes)
   right after them, everything inside the block. */
static void t_mem_layout(fx *f) {
    virtio_blk b;
    virtio_blk_params p;
    size_t sz, ring = virtio_queue_ring_size(&f->t, 64);
    uint8_t *m, *d = buf(f, 4096);
    uint64_t gpa;
    const sim_log *lg;
    unsigned k;
    blk_params(&p, 64, 8);
    m = (uint8_t *)blk_mem(f, &f->t, &p, &sz);
    CHECK(m != NULL);
    gpa = sim_gpa(&f->s, m);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz), VIRTIO_OK);
    CHECK_EQ(f->s.q[0].desc, gpa);
    CHECK_RC(virtio_blk_read(&b, 0, d, 4096), VIRTIO_OK);
    lg = sim_last(&f->s, 0);
    CHECK_EQ(lg->ndesc, 3);
    for (k = 0; k < 3; k += 2) { /* header and status byte */
        CHECK_GE(lg->addr[k], gpa + ring);
        CHECK_LE(lg->addr[k] + lg->len[k], gpa + ring + 8 * sizeof(virtio_blk_req));
    }
}

/* What a later boot stage finds: a device still running with a request of the earlier stage.
   Init must reset it before it writes one byte of the memory (the old request's buffer is
   never written, the old rings are not reused). Seen from the transport: the memory is as the
   earlier stage left it when the first reset is written. */
static struct {
    const virtio_transport_ops *inner;
    const uint8_t *mem, *copy;
    size_t n;
    unsigned long resets;
    int dirty_at_first_reset;
} watch;
static virtio_transport_ops watch_ops;

static void watch_set_status(virtio_transport *t, uint32_t status) {
    if (status == 0 && watch.resets++ == 0)
        watch.dirty_at_first_reset = memcmp(watch.mem, watch.copy, watch.n) != 0;
    watch.inner->set_status(t, status);
}

static void t_init_running_device(fx *f) {
    virtio_blk early, later;
    virtio_blk_params p;
    virtio_transport wt;
    size_t sz;
    uint8_t *m, *d = buf(f, 4096), *copy;
    unsigned long resets;
    unsigned id;
    blk_params(&p, 64, 8);
    m = (uint8_t *)blk_mem(f, &f->t, &p, &sz);
    CHECK(m != NULL);
    CHECK_RC(virtio_blk_init(&early, &f->t, &p, m, sz), VIRTIO_OK);
    f->s.manual = 1;
    memset(d, 0xa5, 4096);
    CHECK_RC(virtio_blk_submit(&early, VIRTIO_BLK_T_IN, 0, d, 4096, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_kick(&early), VIRTIO_OK); /* the device has it, not yet answered */
    copy = (uint8_t *)fx_malloc(f, sz);
    CHECK(copy != NULL);
    memcpy(copy, m, sz);
    memset(&watch, 0, sizeof watch);
    watch.inner = f->t.ops;
    watch.mem = m;
    watch.copy = copy;
    watch.n = sz;
    watch_ops = *f->t.ops;
    watch_ops.set_status = watch_set_status;
    wt = f->t;
    wt.ops = &watch_ops;
    resets = f->s.resets;
    memset(&later, 0, sizeof later);
    CHECK_RC(virtio_blk_init(&later, &wt, &p, m, sz), VIRTIO_OK);
    CHECK_GE(watch.resets, 1);
    CHECK_EQ(watch.dirty_at_first_reset, 0);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(sim_process(&f->s), 0); /* the earlier stage's request is gone */
    CHECK_EQ(d[0], 0xa5);
    CHECK_EQ(d[4095], 0xa5);
    f->s.manual = 0;
    CHECK_RC(virtio_blk_read(&later, 8, d, 4096), VIRTIO_OK);
    check_pattern(d, 8, 4096);
}

/* A blocking read times out while three non-blocking reads are in flight: the device is reset,
   every request is over (pending 0), and no buffer is written afterwards. */
static void t_timeout_abandons_all(fx *f) {
    virtio_blk b;
    uint8_t *d = buf(f, 4 * 512);
    unsigned id, i;
    int res;
    unsigned long resets;
    spin_limit(f, 1000);
    blk_up(f, &b);
    CHECK_OK();
    f->s.manual = 1;
    memset(d, 0xa5, 4 * 512);
    for (i = 0; i < 3; i++)
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, i, d + 512 * i, 512, &id), VIRTIO_OK);
    resets = f->s.resets;
    CHECK_RC(virtio_blk_read(&b, 9, d + 3 * 512, 512), VIRTIO_ETIMEDOUT);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    CHECK_EQ(sim_process(&f->s), 0);
    for (i = 0; i < 4 * 512; i++)
        CHECK_EQ(d[i], 0xa5);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_ETIMEDOUT);
    CHECK_RC(virtio_blk_wait(&b, &id, &res), VIRTIO_ETIMEDOUT);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 0, d, 512, &id), VIRTIO_ETIMEDOUT);
}

/* The wait fails and the reset does not complete: VIRTIO_EBUSY, and the requests stay the
   device's (pending counts them) until virtio_blk_reset succeeds. */
static void t_timeout_reset_stuck(fx *f) {
    virtio_blk b;
    uint8_t *d = buf(f, 2 * 512);
    unsigned id;
    int res;
    spin_limit(f, 1000);
    blk_up(f, &b);
    CHECK_OK();
    f->s.manual = 1;
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 1, d, 512, &id), VIRTIO_OK);
    f->s.reset_stuck = 1;
    CHECK_RC(virtio_blk_read(&b, 2, d + 512, 512), VIRTIO_EBUSY);
    CHECK_EQ(virtio_blk_pending(&b), 2);
    CHECK_RC(virtio_blk_read(&b, 2, d + 512, 512), VIRTIO_EBUSY);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_EBUSY);
    CHECK_RC(virtio_blk_wait(&b, &id, &res), VIRTIO_EBUSY);
    CHECK_RC(virtio_blk_reset(&b), VIRTIO_EBUSY);
    CHECK_EQ(virtio_blk_pending(&b), 2);
    f->s.reset_stuck = 0;
    CHECK_RC(virtio_blk_reset(&b), VIRTIO_OK);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    CHECK_RC(virtio_blk_read(&b, 2, d + 512, 512), VIRTIO_ESTATE);
    f->s.manual = 0;
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 2, d + 512, 512), VIRTIO_OK);
    check_pattern(d + 512, 2, 512);
}

/* Re-init after a timeout whose reset did not complete: the device may still read the request
   slots, so init must not write a byte of the block before its own reset succeeds; a re-init
   that fails (the reset sticks again, or another device type at the probe) leaves every byte
   as it was, and one that succeeds has reset the device before it wrote anything. */
static void t_reinit_after_stuck_timeout(fx *f) {
    virtio_blk b;
    virtio_blk_params p;
    uint8_t *d = buf(f, 1024), *m, *copy;
    size_t sz;
    unsigned id;
    unsigned long resets;
    spin_limit(f, 1000);
    blk_params(&p, 64, 8);
    m = (uint8_t *)blk_mem(f, &f->t, &p, &sz);
    CHECK(m != NULL);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz), VIRTIO_OK);
    f->s.manual = 1;
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 1, d, 512, &id), VIRTIO_OK);
    f->s.reset_stuck = 1;
    CHECK_RC(virtio_blk_read(&b, 2, d + 512, 512), VIRTIO_EBUSY);
    copy = (uint8_t *)fx_malloc(f, sz);
    CHECK(copy != NULL);
    if (!copy) return;
    memcpy(copy, m, sz);
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz), VIRTIO_EBUSY);
    CHECK(memcmp(copy, m, sz) == 0); /* not one byte the device may read was rewritten */
    CHECK(f->s.status != 0);         /* and it was not driven on */
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz), VIRTIO_EBUSY); /* again: the same */
    CHECK(memcmp(copy, m, sz) == 0);
    resets = f->s.resets;
    f->s.reset_stuck = 0;
    f->s.manual = 0;
    CHECK_RC(virtio_blk_init(&b, &f->t, &p, m, sz), VIRTIO_OK);
    CHECK_GE(f->s.resets, resets + 1);
    CHECK_RC(virtio_blk_read(&b, 2, d + 512, 512), VIRTIO_OK);
    check_pattern(d + 512, 2, 512);
}

/* wait: VIRTIO_EAGAIN at once when nothing is pending (no relax call: no spinning); otherwise
   the finished requests, also those a blocking call left, and it publishes submits itself. */
static void t_wait(fx *f) {
    virtio_blk b;
    uint8_t *d = buf(f, 4 * 512), *r = buf(f, 512);
    unsigned id[3], got, i, seen = 0;
    unsigned long relax;
    int res;
    blk_up(f, &b);
    CHECK_OK();
    relax = f->s.relax_calls;
    CHECK_RC(virtio_blk_wait(&b, &got, &res), VIRTIO_EAGAIN);
    CHECK_EQ(f->s.relax_calls, relax);
    f->s.manual = 1;
    f->s.process_on_relax = 1;
    f->s.relax_delay = 5;
    for (i = 0; i < 3; i++)
        CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 40 + i, d + 512 * i, 512, &id[i]),
                 VIRTIO_OK);
    CHECK_RC(virtio_blk_read(&b, 50, r, 512), VIRTIO_OK); /* leaves the three finished */
    CHECK_EQ(virtio_blk_pending(&b), 3);
    for (i = 0; i < 3; i++) {
        CHECK_RC(virtio_blk_wait(&b, &got, &res), VIRTIO_OK);
        CHECK_RC(res, VIRTIO_OK);
        CHECK(got == id[0] || got == id[1] || got == id[2]);
        CHECK(!(seen & (1u << got)));
        seen |= 1u << got;
    }
    check_pattern(d, 40, 3 * 512);
    CHECK_OK();
    relax = f->s.relax_calls;
    CHECK_RC(virtio_blk_wait(&b, &got, &res), VIRTIO_EAGAIN);
    CHECK_EQ(f->s.relax_calls, relax);
    /* submitted, never kicked: wait publishes it, then waits for the device */
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 60, d, 512, &id[0]), VIRTIO_OK);
    CHECK_RC(virtio_blk_wait(&b, &got, &res), VIRTIO_OK);
    CHECK_EQ(got, id[0]);
    CHECK_GE(f->s.relax_calls, relax + 5);
    check_pattern(d, 60, 512);
    CHECK_EQ(virtio_blk_pending(&b), 0);
}

/* wait on a device that never answers: timeout, reset, every buffer the caller's again. */
static void t_wait_timeout(fx *f) {
    virtio_blk b;
    uint8_t *d = buf(f, 2 * 512);
    unsigned id, i;
    int res;
    unsigned long resets;
    spin_limit(f, 1000);
    blk_up(f, &b);
    CHECK_OK();
    f->s.manual = 1;
    memset(d, 0xa5, 2 * 512);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 1, d, 512, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 2, d + 512, 512, &id), VIRTIO_OK);
    resets = f->s.resets;
    CHECK_RC(virtio_blk_wait(&b, &id, &res), VIRTIO_ETIMEDOUT);
    CHECK_LE(f->s.relax_max_iter, 1000);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    CHECK_EQ(sim_process(&f->s), 0);
    for (i = 0; i < 2 * 512; i++)
        CHECK_EQ(d[i], 0xa5);
    CHECK_RC(virtio_blk_wait(&b, &id, &res), VIRTIO_ETIMEDOUT);
}

/* A status byte that is none of OK, IOERR, UNSUPP found while waiting: the device is broken,
   so it is reset before wait returns (other requests were in flight). */
static void t_wait_bad_status(fx *f) {
    virtio_blk b;
    uint8_t *d = buf(f, 2 * 512);
    unsigned id;
    int res;
    unsigned long resets;
    blk_up(f, &b);
    CHECK_OK();
    f->s.manual = 1;
    f->s.max_per_pass = 1;
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 1, d, 512, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 2, d + 512, 512, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_kick(&b), VIRTIO_OK);
    f->s.blk_fail_count = 1;
    f->s.blk_fail_status = 0x77;
    CHECK_EQ(sim_process(&f->s), 1);
    resets = f->s.resets;
    CHECK_RC(virtio_blk_wait(&b, &id, &res), VIRTIO_EDEVICE);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    CHECK_EQ(sim_process(&f->s), 0);
    CHECK_RC(virtio_blk_read(&b, 0, d, 512), VIRTIO_EDEVICE);
}

/* virtio_blk_reset: every request over, ESTATE until init again. */
static void t_reset(fx *f) {
    virtio_blk b;
    uint8_t *d = buf(f, 2 * 512);
    unsigned id;
    int res;
    unsigned long resets;
    blk_up(f, &b);
    CHECK_OK();
    f->s.manual = 1;
    memset(d, 0xa5, 2 * 512);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 1, d, 512, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 2, d + 512, 512, &id), VIRTIO_OK);
    CHECK_RC(virtio_blk_kick(&b), VIRTIO_OK);
    resets = f->s.resets;
    CHECK_RC(virtio_blk_reset(&b), VIRTIO_OK);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    CHECK_EQ(sim_process(&f->s), 0);
    CHECK_EQ(d[0], 0xa5);
    CHECK_EQ(d[1023], 0xa5);
    CHECK_RC(virtio_blk_read(&b, 0, d, 512), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_wait(&b, &id, &res), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 0, d, 512, &id), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_reset(NULL), VIRTIO_EINVAL);
    f->s.manual = 0;
    blk_up(f, &b);
    CHECK_OK();
    CHECK_RC(virtio_blk_read(&b, 3, d, 512), VIRTIO_OK);
    check_pattern(d, 3, 512);
}

/* A zeroed object (never initialized): VIRTIO_ESTATE from every call, no register access. */
static void t_zeroed(fx *f) {
    virtio_blk b;
    uint8_t *d = buf(f, 512);
    char idb[VIRTIO_BLK_ID_BYTES];
    unsigned id;
    int res;
    memset(&b, 0, sizeof b);
    CHECK_RC(virtio_blk_read(&b, 0, d, 512), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_write(&b, 0, d, 512), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_flush(&b), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_get_id(&b, idb), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_discard(&b, 0, 8), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_write_zeroes(&b, 0, 8, 0), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_set_writeback(&b, 1), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_submit(&b, VIRTIO_BLK_T_IN, 0, d, 512, &id), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_kick(&b), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_poll(&b, &id, &res), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_wait(&b, &id, &res), VIRTIO_ESTATE);
    CHECK_RC(virtio_blk_reset(&b), VIRTIO_ESTATE);
    CHECK_EQ(virtio_blk_pending(&b), 0);
    CHECK_EQ(virtio_blk_capacity(&b), 0);
    CHECK_EQ(virtio_blk_max_request(&b), 0);
    CHECK_EQ(f->s.reads + f->s.writes, 0);
    CHECK_RC(virtio_blk_wait(NULL, &id, &res), VIRTIO_EINVAL);
}

/* ---- Cost ---------------------------------------------------------------------------------- */
/* Register accesses of one blocking 4 KiB read after init: the notification, and nothing else
   on a device that answers at once. Also reported: the accesses of probe and init. */
static void t_register_cost(fx *f) {
    virtio_blk b;
    sim_counter c;
    virtio_regs cr = sim_counter_regs(&c, &f->regs);
    virtio_transport t;
    uint8_t *p = buf(f, 4096);
    unsigned long n, probe;
    CHECK_RC(virtio_mmio_transport(&t, &cr), VIRTIO_OK);
    probe = c.reads + c.writes;
    c.reads = c.writes = 0;
    blk_up_on(f, &b, &t, 64, 8, VIRTIO_OK);
    CHECK_OK();
    printf("INFO regs of probe + init (v%u, %s): %lu + %lu (%lu reads, %lu writes in init)\n",
           (unsigned)f->ver, f->eidx ? "event_idx" : "no event_idx", probe, c.reads + c.writes,
           c.reads, c.writes);
    CHECK_RC(virtio_blk_read(&b, 0, p, 4096), VIRTIO_OK); /* warm */
    c.reads = c.writes = 0;
    CHECK_RC(virtio_blk_read(&b, 8, p, 4096), VIRTIO_OK);
    n = c.reads + c.writes;
    printf("INFO regs per 4KiB read (v%u, %s): %lu (%lu reads, %lu writes)\n", (unsigned)f->ver,
           f->eidx ? "event_idx" : "no event_idx", n, c.reads, c.writes);
    check_pattern(p, 8, 4096);
    CHECK_OK();
    CHECK_LE(n, 2);
}

static const tcase cases[] = {
    {"virtio_blk_req and config layout match the spec", t_layout, RUN_ONCE},
    {"request, status and feature constants match the spec", t_constants, RUN_ONCE},
    {"init reads the configuration, negotiates what it implements", t_init, RUN_BOTH | RUN_EIDX},
    {"init accepts no unimplemented feature", t_init_extra_features, RUN_BOTH},
    {"init reads only capacity and block size; the rest once, when needed", t_init_reads_little,
     RUN_BOTH},
    {"init reads size_max and seg_max where size_max is offered", t_init_reads_seg_max, RUN_BOTH},
    {"discard limits read before the first discard submit", t_discard_reads_limits, RUN_BOTH},
    {"virtio_zero / virtio_copy: every alignment, byte heads and tails", t_zero_copy_words,
     RUN_ONCE},
    {"poll returns finished requests oldest first; a freed slot is reused", t_poll_order,
     RUN_BOTH},
    {"init on a device that offers nothing optional", t_init_minimal_device, RUN_BOTH},
    {"init bad arguments -> EINVAL, no register access, memory untouched", t_init_args,
     RUN_BOTH},
    {"init on an rng device -> ENODEV, nothing touched", t_init_not_blk, RUN_BOTH},
    {"init on an empty slot -> ENODEV", t_init_empty_slot, RUN_BOTH},
    {"init on bad magic -> ENODEV", t_init_bad_magic, RUN_BOTH},
    {"config blk_size 3 -> EDEVICE, FAILED, latched", t_cfg_blk_size_3, RUN_BOTH},
    {"config blk_size 0 -> EDEVICE, FAILED, latched", t_cfg_blk_size_0, RUN_BOTH},
    {"config blk_size 1000 -> EDEVICE, FAILED, latched", t_cfg_blk_size_1000, RUN_BOTH},
    {"config size_max 100 -> EDEVICE, FAILED, latched", t_cfg_size_max_100, RUN_BOTH},
    {"config size_max 0 (feature offered) -> EDEVICE, FAILED, latched", t_cfg_size_max_0, RUN_BOTH},
    {"config blk_size 4096: whole logical blocks only", t_cfg_blk_size_4096, RUN_BOTH},
    {"init FEATURES_OK refused", t_init_features_ok_refused, RUN_BOTH},
    {"init device without VERSION_1", t_init_no_version_1, RUN_BOTH},
    {"init status stuck after reset -> EBUSY, memory untouched", t_init_reset_stuck, RUN_BOTH},
    {"init config generation changing forever", t_init_gen_forever, RUN_BOTH},
    {"init config generation retry, consistent capacity", t_init_gen_retry, RUN_BOTH},
    {"init QueueNumMax 100 -> queue of 64", t_init_queue_max_100, RUN_BOTH},
    {"init QueueNumMax 0 -> ENOQUEUE", t_init_no_queue, RUN_BOTH},
    {"init again after a latched fault", t_reinit_after_fault, RUN_BOTH},
    {"read: data is the RAM disk's", t_read, RUN_BOTH | RUN_EIDX},
    {"write: data lands in the RAM disk", t_write, RUN_BOTH | RUN_EIDX},
    {"kvmtool: used length = bytes transferred -> clamped, counted, disk works", t_kvmtool,
     RUN_BOTH},
    {"ACCESS_PLATFORM offered (iommu_platform=on) -> accepted, disk works", t_access_platform,
     RUN_V2},
    {"resize: a config change noticed within VIRTIO_BLK_RESIZE_CHECK_EVERY requests or at refresh",
     t_resize, RUN_BOTH},
    {"firecracker: one data descriptor per request, activated, data right", t_firecracker,
     RUN_V2},
    {"firecracker: unparsable request -> used length 0, no status -> EIO, device goes on",
     t_firecracker_unparsed, RUN_V2},
    {"range past capacity -> ERANGE, nothing sent", t_range, RUN_BOTH},
    {"partial sectors and NULLs -> EINVAL, nothing sent", t_partial_sector, RUN_BOTH},
    {"read-only disk: writes -> EROFS, nothing sent", t_read_only, RUN_BOTH},
    {"unannounced read-only drive: write -> EIO", t_read_only_unannounced, RUN_BOTH},
    {"device IOERR / UNSUPP -> EIO / EUNSUPP, not latched", t_ioerr, RUN_BOTH},
    {"status byte not OK/IOERR/UNSUPP -> EDEVICE latched", t_bad_status_byte, RUN_BOTH},
    {"flush", t_flush, RUN_BOTH},
    {"get_id: 20-byte serial, NUL padding", t_get_id, RUN_BOTH},
    {"scribbling device: private part of the block never in reach, disk works", t_scribble,
     RUN_BOTH | RUN_NO_IND},
    {"tinyemu: no features, reads and writes right, GET_ID never answered -> ETIMEDOUT",
     t_tinyemu, RUN_V2},
    {"discard", t_discard, RUN_BOTH},
    {"discard split by max_discard_sectors", t_discard_split, RUN_BOTH},
    {"write_zeroes with and without unmap", t_write_zeroes, RUN_BOTH},
    {"max_discard_seg / max_write_zeroes_seg 0 -> ENOTSUP, nothing sent", t_dwz_no_segments,
     RUN_BOTH},
    {"re-init after a timeout whose reset stuck: nothing rewritten until a reset succeeds",
     t_reinit_after_stuck_timeout, RUN_BOTH},
    {"set_writeback", t_writeback, RUN_BOTH},
    {"split by size_max 4096 / seg_max 4", t_split_size_seg_max, RUN_BOTH | RUN_EIDX},
    {"split by size_max 1000 (not a sector multiple)", t_split_size_max_odd, RUN_BOTH},
    {"split by a queue of 8 entries", t_split_queue_small, RUN_BOTH},
    {"whole-disk read and write", t_split_whole_disk, RUN_BOTH},
    {"submit 16, ENOSPC, poll 16", t_submit_poll, RUN_BOTH | RUN_EIDX},
    {"submits are published in one notification", t_submit_batch_notify, RUN_BOTH},
    {"submit: queue full before slots -> ENOSPC", t_submit_queue_full, RUN_BOTH},
    {"submit bad arguments -> EINVAL/ERANGE, nothing sent", t_submit_args, RUN_BOTH},
    {"submit every request type", t_submit_types, RUN_BOTH},
    {"submit: per-request device error in result", t_submit_errors, RUN_BOTH},
    {"blocking calls mixed with requests in flight", t_mix_blocking, RUN_BOTH | RUN_EIDX},
    {"blocking call with every slot taken -> ENOSPC, no hang", t_mix_slots_full, RUN_BOTH},
    {"5000 requests, 16 in flight, out of order", t_many_in_flight, RUN_BOTH | RUN_EIDX},
    {"70000 reads on a 4-entry queue (wrap)", t_wrap, RUN_BOTH | RUN_EIDX},
    {"used id out of range -> EDEVICE latched", t_mis_id_oor, RUN_BOTH},
    {"used id repeated -> EDEVICE latched", t_mis_id_repeat, RUN_BOTH},
    {"used len above writable part -> EDEVICE latched", t_mis_len_big, RUN_BOTH},
    {"used idx jumps past outstanding -> EDEVICE latched", t_mis_idx_jump,
     RUN_BOTH | RUN_SPLIT_ONLY},
    {"device swallows requests -> ETIMEDOUT, reset, buffer untouched after", t_swallow,
     RUN_BOTH},
    {"blocking timeout: the device is reset, no late answer, init again",
     t_late_answer_after_timeout, RUN_BOTH},
    {"NEEDS_RESET during a read -> ENEEDS_RESET", t_needs_reset, RUN_BOTH},
    {"two disks at once", t_two_disks, RUN_BOTH},
    {"queries with NULL", t_queries_null, RUN_ONCE},
    {"register accesses per 4 KiB read <= 2", t_register_cost,
     RUN_BOTH | RUN_EIDX | RUN_MMIO_ONLY},
    {"memory size: VIRTIO_BLK_MEM bounds every transport, NULL = defaults", t_mem_size,
     RUN_BOTH},
    {"memory layout: rings first, request headers after, all inside the block", t_mem_layout,
     RUN_BOTH},
    {"init on a device left running resets it before writing memory", t_init_running_device,
     RUN_BOTH},
    {"blocking timeout with requests in flight: reset, all over, buffers untouched",
     t_timeout_abandons_all, RUN_BOTH},
    {"timeout and the reset does not complete -> EBUSY, pending until reset",
     t_timeout_reset_stuck, RUN_BOTH},
    {"wait: EAGAIN at once when idle, returns what finished", t_wait, RUN_BOTH | RUN_EIDX},
    {"wait times out -> ETIMEDOUT, device reset, buffers untouched", t_wait_timeout, RUN_BOTH},
    {"wait finds a nonsense status byte -> EDEVICE, device reset", t_wait_bad_status, RUN_BOTH},
    {"reset: requests over, ESTATE until init again", t_reset, RUN_BOTH},
    {"zeroed object -> ESTATE from every call, no register access", t_zeroed, RUN_ONCE},
};

int main(void) {
    run_table("blk", cases, sizeof cases / sizeof cases[0], setup_blk);
    return t_summary("test_blk");
}
