/* test_net.c - virtio_net.h against the simulated virtio-net device (tests/sim_net.c), legacy
   (v1) and modern (v2), with and without VIRTIO_F_EVENT_IDX and MRG_RXBUF, and a device that
   misbehaves on command. One PASS/FAIL line per case and version. */
#define VIRTIO_SPIN_LIMIT 100000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_NET_IMPLEMENTATION
#include "../virtio_net.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_net.h"
#include "test.h"
#include "fixture.h"

static sim_net g_net; /* the device backend of the current case (one case at a time) */
/* Frames the driver sends must be in guest memory (the arena): each case gets one buffer. */
static uint8_t *g_frame;

static void setup_net(fx *f) {
    sim_init_net(&f->s, &f->arena, f->ver, &g_net);
    g_frame = (uint8_t *)fx_alloc(f, SIM_NET_FRAME_MAX, 16);
}

/* What a test asks of the driver. Zero fields: the driver's defaults (64-entry queues, 32
   buffers of VIRTIO_NET_RX_BUF_SIZE bytes, no assembly buffer). */
typedef struct opts {
    uint32_t rxq, txq;   /* queue entries */
    uint32_t nbufs;      /* receive buffers */
    uint32_t buf_size;   /* bytes each */
    uint32_t frame_mem;  /* assembly buffer bytes */
    const uint8_t *mac;
} opts;

static void params(const opts *o, virtio_net_params *p) {
    memset(p, 0, sizeof *p);
    p->rx_queue_size = o->rxq;
    p->tx_queue_size = o->txq;
    p->rx_bufs = o->nbufs;
    p->rx_buf_size = o->buf_size;
    p->frame_mem_size = o->frame_mem;
    p->mac = o->mac;
}

/* The driver's memory block for `p` on this case's transport, in guest memory. */
typedef struct block {
    uint8_t *mem;
    size_t size;
} block;

static block net_mem(fx *f, const virtio_net_params *p) {
    block b;
    b.size = virtio_net_mem_size(p, &f->t);
    b.mem = b.size ? (uint8_t *)fx_alloc(f, b.size, virtio_queue_ring_align(&f->t)) : NULL;
    return b;
}

static int net_init(fx *f, virtio_net *n, const opts *o) {
    virtio_net_params p;
    block b;
    params(o, &p);
    b = net_mem(f, &p);
    return virtio_net_init(n, &f->t, &p, b.mem, b.size);
}

static void net_up(fx *f, virtio_net *n, const opts *o) {
    CHECK_RC(net_init(f, n, o), VIRTIO_OK);
    CHECK_EQ(f->s.status & SIM_S_DRIVER_OK, SIM_S_DRIVER_OK);
}

static const opts defaults = {0, 0, 0, 0, 0, NULL};

/* The wait bound of this case's device, set before init (the device object copies it from the
   transport's accessor), whatever the transport. */
static void spin_limit(fx *f, uint32_t n) {
    f->regs.spin_limit = n;
    CHECK_RC(fx_transport(f), VIRTIO_OK);
}

/* A frame whose bytes say which frame it is: destination our MAC, source a peer, EtherType
   0x88b5 (local experimental), then a pattern of (seed, index). */
static void make_frame(uint8_t *b, uint32_t len, uint32_t seed) {
    static const uint8_t dst[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    static const uint8_t src[6] = {0x02, 0x50, 0x45, 0x45, 0x52, 0x01};
    uint32_t i;
    for (i = 0; i < len; i++)
        b[i] = (uint8_t)(seed * 131u + i * 7u + (i >> 8));
    if (len >= 14) {
        memcpy(b, dst, 6);
        memcpy(b + 6, src, 6);
        b[12] = 0x88;
        b[13] = 0xb5;
    }
}


/* Injects a frame of `len` bytes made from `seed`, expecting it delivered into `nbufs` buffers. */
static void inject(fx *f, uint32_t len, uint32_t seed, int nbufs) {
    make_frame(g_frame, len, seed);
    CHECK_EQ(sim_net_inject(&f->s, g_frame, len), nbufs);
}

/* Receives one frame and checks it is frame `seed` of `len` bytes. */
static void recv_check(virtio_net *n, virtio_net_frame *fr, uint32_t len, uint32_t seed) {
    uint8_t want[SIM_NET_FRAME_MAX];
    CHECK_RC(virtio_net_recv_poll(n, fr), VIRTIO_OK);
    CHECK_EQ(fr->len, len);
    make_frame(want, len, seed);
    CHECK_MEM(fr->data, want, len);
}

/* Every later call fails with the latched error. */
static void check_latched(virtio_net *n, int err) {
    virtio_net_frame fr;
    const void *p;
    CHECK_RC(virtio_net_recv_poll(n, &fr), err);
    CHECK_RC(virtio_net_recv_wait(n, &fr), err);
    CHECK_RC(virtio_net_send(n, g_frame, 60), err);
    CHECK_RC(virtio_net_send_submit(n, g_frame, 60), err);
    CHECK_RC(virtio_net_kick(n), err);
    CHECK_RC(virtio_net_send_poll(n, &p), err);
    CHECK_RC(virtio_net_send_wait(n, &p), err);
    CHECK_RC(virtio_net_link_up(n), err);
}

/* ---- Initialization -------------------------------------------------------------------------- */
static void t_init(fx *f) {
    virtio_net n;
    uint64_t want = SIM_F(SIM_NET_F_MAC) | SIM_F(SIM_NET_F_STATUS);
    static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    if (f->ver == 2) want |= SIM_F(SIM_F_VERSION_1);
    if (f->eidx) want |= SIM_F(SIM_F_EVENT_IDX);
    if (f->s.hv == SIM_HV_FIRECRACKER) want &= ~SIM_F(SIM_NET_F_STATUS); /* never offered */
    net_up(f, &n, &defaults);
    CHECK_OK();
    CHECK_EQ(!!(f->s.drv_features & SIM_F(SIM_F_ANY_LAYOUT)), f->ver == 1); /* legacy only */
    /* Only what is implemented: no offloads, no control queue, and MRG_RXBUF not needed. */
    CHECK_EQ(f->s.drv_features & ~FX_RING_F, want);
    CHECK_MEM(virtio_net_mac(&n), mac, 6);
    CHECK(virtio_dev_has(&n.dev, VIRTIO_NET_F_MAC));
    CHECK_EQ(virtio_net_mtu(&n), 1500);
    CHECK_EQ(virtio_net_max_frame(&n), 1514);
    CHECK_EQ(virtio_net_hdr_len(&n), f->ver == 2 ? 12 : 10);
    CHECK_EQ(virtio_net_hdr_len(&n), sim_net_hdr_len(&f->s));
    CHECK_EQ(virtio_net_link_up(&n), 1);
    CHECK_EQ(sim_net_held(&f->s), 32);
    CHECK_EQ(n.rx_posted, 32);
    CHECK_EQ(g_net.config_writes, 0);
    CHECK(!f->s.q[2].live); /* no control queue */
    CHECK_EQ(virtio_net_send_pending(&n), 0);
}

/* A second init of the same object, in the same memory, resets the device and starts over. */
static void t_reinit(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    virtio_net_params p;
    block b;
    unsigned long resets;
    params(&defaults, &p);
    b = net_mem(f, &p);
    CHECK_RC(virtio_net_init(&n, &f->t, &p, b.mem, b.size), VIRTIO_OK);
    inject(f, 100, 1, 1);
    CHECK_OK();
    resets = f->s.resets;
    CHECK_RC(virtio_net_init(&n, &f->t, &p, b.mem, b.size), VIRTIO_OK);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(sim_net_held(&f->s), 32);
    CHECK_RC(virtio_net_recv_poll(&n, &fr), VIRTIO_EAGAIN); /* the old frame went with the reset */
    inject(f, 100, 2, 1);
    CHECK_OK();
    recv_check(&n, &fr, 100, 2);
}

/* Fills a block with a pattern / checks it is still there. */
static void fill(uint8_t *m, size_t n) { memset(m, 0xa5, n); }
static size_t untouched(const uint8_t *m, size_t n) {
    size_t i;
    for (i = 0; i < n && m[i] == 0xa5; i++) {
    }
    return i; /* n if untouched, else the first byte written */
}

/* Every caller error of init is VIRTIO_EINVAL and changes nothing: no register access, no byte
   of the memory block, nothing in the object. */
static void t_bad_args(fx *f) {
    virtio_net n, before;
    virtio_net_params p, q;
    virtio_transport tz;
    static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    static const uint8_t zero[6] = {0, 0, 0, 0, 0, 0};
    size_t align = virtio_queue_ring_align(&f->t), size, room;
    uint8_t *mem, *m;
    const virtio_transport *t;
    unsigned long reads = f->s.reads, writes = f->s.writes; /* the probe's reads came before */
    unsigned k;
    params(&defaults, &p);
    size = virtio_net_mem_size(&p, &f->t);
    CHECK(size > 0);
    room = size + 2 * align;
    mem = (uint8_t *)fx_alloc(f, room, align);
    fill(mem, room);
    memset(&tz, 0, sizeof tz);
    memset(&n, 0xa5, sizeof n);
    memcpy(&before, &n, sizeof n);
    for (k = 0;; k++) {
        virtio_net *np = &n;
        size_t sz = size;
        memcpy(&q, &p, sizeof q);
        m = mem;
        t = &f->t;
        switch (k) {
        case 0: m = NULL; break;
        case 1: sz = size - 1; break;
        case 2: m = mem + 8; break; /* misaligned for either transport */
        case 3: m = mem + align / 2; break;
        case 4: q.rx_buf_size = 63; break;
        case 5: q.rx_queue_size = 1; break;
        case 6: q.tx_queue_size = 48; break; /* not a power of two */
        case 7: q.rx_queue_size = 65536; break;
        case 8: q.rx_bufs = 0xffff; break;
        case 9: q.mac = mcast; break;
        case 10: q.mac = zero; break;
        case 11: q.rx_buf_size = 512; break; /* smaller than a frame, no assembly buffer */
        case 12: q.frame_mem_size = 1000; break; /* too small */
        case 13: q.frame_mem_size = 1513; break;
        case 14: /* small buffers, an assembly buffer, but the queue holds too few for a frame */
            q.rx_buf_size = 128;
            q.rx_queue_size = 8;
            q.frame_mem_size = 2000;
            break;
        case 15: t = NULL; break;
        case 16: t = &tz; break; /* a transport that was never probed */
        case 17: np = NULL; break;
        case 18: /* memory enough for other params, not for these */
            q.rx_bufs = 33;
            break;
        default: k = 99; break;
        }
        if (k == 99) break;
        CHECK_RC(virtio_net_init(np, t, &q, m, sz), VIRTIO_EINVAL);
        CHECK_MSG(f->s.writes == writes && f->s.reads == reads,
                  "case %u: %lu register reads, %lu writes", k, f->s.reads - reads,
                  f->s.writes - writes);
        CHECK_MSG(memcmp(&n, &before, sizeof n) == 0, "case %u changed the object", k);
        CHECK_MSG(untouched(mem, room) == room, "case %u wrote byte %zu of the memory", k,
                  untouched(mem, room));
    }
    /* NULL params: the defaults. */
    CHECK_RC(virtio_net_init(&n, &f->t, NULL, mem, size), VIRTIO_OK);
    CHECK_EQ(sim_net_held(&f->s), VIRTIO_NET_RX_BUFS);
}

/* Another device type: VIRTIO_ENODEV before any register write or memory write. */
static void t_wrong_device(fx *f) {
    virtio_net n, before;
    virtio_net_params p;
    block b;
    f->s.device_id = 2;
    CHECK_RC(fx_transport(f), VIRTIO_OK); /* probed again: a block device */
    params(&defaults, &p);
    b = net_mem(f, &p);
    fill(b.mem, b.size);
    memset(&n, 0x5a, sizeof n);
    memcpy(&before, &n, sizeof n);
    f->s.writes = 0;
    f->s.resets = 0;
    CHECK_RC(virtio_net_init(&n, &f->t, &p, b.mem, b.size), VIRTIO_ENODEV);
    CHECK_EQ(f->s.writes, 0);
    CHECK_EQ(f->s.resets, 0);
    CHECK_EQ(untouched(b.mem, b.size), b.size);
    CHECK(memcmp(&n, &before, sizeof n) == 0);
}

/* virtio_net_mem_size, VIRTIO_NET_MEM and the block init takes agree. */
static void t_mem_size(fx *f) {
    static const uint32_t cfg[][5] = {{0, 0, 0, 0, 0},         {2, 2, 1, 0, 0},
                                      {1024, 256, 128, 0, 9216}, {16, 4, 32, 256, 2048},
                                      {64, 64, 7, 1600, 1514},   {32768, 2, 1, 0, 0}};
    const size_t bounds[] = {VIRTIO_NET_MEM(0, 0, 0, 0, 0),           VIRTIO_NET_MEM(2, 2, 1, 0, 0),
                             VIRTIO_NET_MEM(1024, 256, 128, 0, 9216), VIRTIO_NET_MEM(16, 4, 32, 256, 2048),
                             VIRTIO_NET_MEM(64, 64, 7, 1600, 1514),   VIRTIO_NET_MEM(32768, 2, 1, 0, 0)};
    virtio_net_params p;
    unsigned i;
    CHECK_LE(virtio_net_mem_size(NULL, &f->t), virtio_net_mem_size(NULL, NULL));
    CHECK_LE(virtio_net_mem_size(NULL, NULL), VIRTIO_NET_MEM(0, 0, 0, 0, 0));
    for (i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        size_t exact, any;
        memset(&p, 0, sizeof p);
        p.rx_queue_size = cfg[i][0];
        p.tx_queue_size = cfg[i][1];
        p.rx_bufs = cfg[i][2];
        p.rx_buf_size = cfg[i][3];
        p.frame_mem_size = cfg[i][4];
        exact = virtio_net_mem_size(&p, &f->t);
        any = virtio_net_mem_size(&p, NULL);
        CHECK_MSG(exact > 0 && exact <= any && any <= bounds[i],
                  "config %u: exact %zu, any transport %zu, VIRTIO_NET_MEM %zu", i, exact, any,
                  bounds[i]);
        if (f->ver == 1) CHECK_EQ(exact, any); /* the bound for any transport is legacy's */
    }
    /* Invalid params have no size. */
    memset(&p, 0, sizeof p);
    p.rx_queue_size = 3;
    CHECK_EQ(virtio_net_mem_size(&p, &f->t), 0);
}

/* init resets the device before it writes a byte of the memory: a device that does not reset
   (one an earlier stage left running) gets VIRTIO_EBUSY, and the memory stays as it was. */
static void t_init_resets_first(fx *f) {
    virtio_net n;
    virtio_net_params p;
    block b;
    params(&defaults, &p);
    b = net_mem(f, &p);
    CHECK_RC(virtio_net_init(&n, &f->t, &p, b.mem, b.size), VIRTIO_OK);
    /* The device runs with our buffers; now it will not reset. */
    f->s.reset_stuck = 1;
    fill(b.mem, b.size);
    CHECK_RC(virtio_net_init(&n, &f->t, &p, b.mem, b.size), VIRTIO_EBUSY);
    CHECK_EQ(untouched(b.mem, b.size), b.size);
    CHECK_RC(virtio_net_recv_poll(&n, NULL), VIRTIO_EBUSY); /* latched */
    CHECK_EQ(virtio_net_send_pending(&n), 0);
    /* Once it resets, init works. */
    f->s.reset_stuck = 0;
    CHECK_RC(virtio_net_init(&n, &f->t, &p, b.mem, b.size), VIRTIO_OK);
    CHECK_EQ(sim_net_held(&f->s), 32);
}

/* A zeroed object (never initialized) gives VIRTIO_ESTATE from every call; NULL is EINVAL. */
static void t_zeroed(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    const void *pp;
    unsigned long regs = f->s.reads + f->s.writes;
    memset(&n, 0, sizeof n);
    memset(&fr, 0, sizeof fr);
    CHECK_RC(virtio_net_recv_poll(&n, &fr), VIRTIO_ESTATE);
    CHECK_RC(virtio_net_recv_wait(&n, &fr), VIRTIO_ESTATE);
    CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_ESTATE);
    CHECK_RC(virtio_net_send(&n, g_frame, 60), VIRTIO_ESTATE);
    CHECK_RC(virtio_net_send_submit(&n, g_frame, 60), VIRTIO_ESTATE);
    CHECK_RC(virtio_net_kick(&n), VIRTIO_ESTATE);
    CHECK_RC(virtio_net_send_poll(&n, &pp), VIRTIO_ESTATE);
    CHECK_RC(virtio_net_send_wait(&n, &pp), VIRTIO_ESTATE);
    CHECK_RC(virtio_net_link_up(&n), VIRTIO_ESTATE);
    CHECK_RC(virtio_net_reset(&n), VIRTIO_ESTATE);
    CHECK_EQ(virtio_net_send_pending(&n), 0);
    CHECK_EQ(virtio_net_mtu(&n), 0);
    CHECK_EQ(virtio_net_max_frame(&n), 0);
    CHECK_RC(virtio_net_recv_poll(NULL, &fr), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_recv_wait(NULL, &fr), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_release(NULL, &fr), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send(NULL, g_frame, 60), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send_submit(NULL, g_frame, 60), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_kick(NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send_poll(NULL, &pp), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send_wait(NULL, &pp), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_link_up(NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_reset(NULL), VIRTIO_EINVAL);
    CHECK_EQ(virtio_net_send_pending(NULL), 0);
    CHECK(virtio_net_mac(NULL) == NULL);
    CHECK_EQ(f->s.reads + f->s.writes, regs);
}

/* Caller errors after init change nothing either: no register access, the object as it was. */
static void t_caller_errors(fx *f) {
    virtio_net n, before;
    virtio_net_frame fr, bad;
    unsigned long reads, writes;
    net_up(f, &n, &defaults);
    CHECK_OK();
    inject(f, 60, 1, 1);
    CHECK_OK();
    recv_check(&n, &fr, 60, 1);
    CHECK_OK();
    sim_process(&f->s);
    reads = f->s.reads;
    writes = f->s.writes;
    memcpy(&before, &n, sizeof n);
    CHECK_RC(virtio_net_send(&n, g_frame, 13), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send(&n, g_frame, 1515), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send(&n, NULL, 60), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send_submit(&n, g_frame, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send_submit(&n, NULL, 60), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_recv_poll(&n, NULL), VIRTIO_EINVAL);
    bad = fr;
    bad.data += 1;
    CHECK_RC(virtio_net_release(&n, &bad), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_release(&n, NULL), VIRTIO_EINVAL);
    CHECK_EQ(f->s.reads, reads);
    CHECK_EQ(f->s.writes, writes);
    CHECK(memcmp(&n, &before, sizeof n) == 0);
    CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
}

/* virtio_net_reset: the device lets go of everything; the object refuses until init again. */
static void t_reset(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    unsigned long resets;
    memset(&fr, 0, sizeof fr);
    net_up(f, &n, &defaults);
    CHECK_OK();
    f->s.manual = 1;
    make_frame(g_frame, 60, 1);
    CHECK_RC(virtio_net_send_submit(&n, g_frame, 60), VIRTIO_OK);
    CHECK_RC(virtio_net_kick(&n), VIRTIO_OK);
    CHECK_EQ(virtio_net_send_pending(&n), 1);
    resets = f->s.resets;
    CHECK_RC(virtio_net_reset(&n), VIRTIO_OK);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(virtio_net_send_pending(&n), 0);
    sim_process(&f->s);
    CHECK_EQ(g_net.tx_frames, 0); /* the device never read it */
    check_latched(&n, VIRTIO_ESTATE);
    CHECK_OK();
    CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_ESTATE);
    f->s.manual = 0;
    net_up(f, &n, &defaults);
    CHECK_OK();
    CHECK_RC(virtio_net_send(&n, g_frame, 60), VIRTIO_OK);
    CHECK_EQ(g_net.tx_frames, 1);
}

/* ---- MAC, link, MTU -------------------------------------------------------------------------- */
static void t_no_mac(fx *f) {
    virtio_net n;
    opts o = defaults;
    static const uint8_t mine[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    static const uint8_t dflt[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    f->s.dev_features &= ~SIM_F(SIM_NET_F_MAC);
    o.mac = mine;
    net_up(f, &n, &o);
    CHECK_OK();
    CHECK_MEM(virtio_net_mac(&n), mine, 6);
    CHECK(!virtio_dev_has(&n.dev, VIRTIO_NET_F_MAC));
    if (f->ver == 1) {
        /* Legacy: "mac is driver-writable": the device is told. */
        CHECK_MEM(f->s.config, mine, 6);
        CHECK_EQ(g_net.config_writes, 6);
    } else {
        CHECK_EQ(g_net.config_writes, 0); /* modern: never written (the backend would object) */
    }
    o.mac = NULL;
    net_up(f, &n, &o);
    CHECK_OK();
    CHECK_MEM(virtio_net_mac(&n), dflt, 6);
}

static void t_link(fx *f) {
    virtio_net n;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no STATUS")) return;
    net_up(f, &n, &defaults);
    CHECK_OK();
    CHECK_EQ(virtio_net_link_up(&n), 1);
    sim_cfg_w16(&f->s, SIM_NET_CFG_STATUS, 0);
    CHECK_EQ(virtio_net_link_up(&n), 0);
    sim_cfg_w16(&f->s, SIM_NET_CFG_STATUS, SIM_NET_S_LINK_UP | 2u);
    CHECK_EQ(virtio_net_link_up(&n), 1);
    /* Without VIRTIO_NET_F_STATUS: "it SHOULD assume the link is active". */
    f->s.dev_features &= ~SIM_F(SIM_NET_F_STATUS);
    sim_cfg_w16(&f->s, SIM_NET_CFG_STATUS, 0);
    net_up(f, &n, &defaults);
    CHECK_OK();
    CHECK_EQ(virtio_net_link_up(&n), 1);
}

static void t_mtu_small(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no MTU")) return;
    f->s.dev_features |= SIM_F(SIM_NET_F_MTU);
    sim_cfg_w16(&f->s, SIM_NET_CFG_MTU, 1280);
    net_up(f, &n, &defaults);
    CHECK_OK();
    CHECK(f->s.drv_features & SIM_F(SIM_NET_F_MTU));
    CHECK_EQ(virtio_net_mtu(&n), 1280);
    CHECK_EQ(virtio_net_max_frame(&n), 1294);
    make_frame(g_frame, 1295, 1);
    CHECK_RC(virtio_net_send(&n, g_frame, 1295), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send(&n, g_frame, 1294), VIRTIO_OK);
    /* A frame above the MTU that the device passes anyway is dropped, its buffer reposted. */
    inject(f, 1295, 2, 1);
    CHECK_OK();
    CHECK_RC(virtio_net_recv_poll(&n, &fr), VIRTIO_EAGAIN);
    CHECK_EQ(n.stats.rx_dropped, 1);
    CHECK_EQ(sim_net_held(&f->s), 32);
    inject(f, 1294, 3, 1);
    CHECK_OK();
    recv_check(&n, &fr, 1294, 3);
}

/* An MTU the buffers cannot hold and no MRG_RXBUF: VIRTIO_NET_F_MTU is given up. */
static void t_mtu_big_no_mrg(fx *f) {
    virtio_net n;
    f->s.dev_features |= SIM_F(SIM_NET_F_MTU);
    f->s.dev_features &= ~SIM_F(SIM_NET_F_MRG_RXBUF);
    sim_cfg_w16(&f->s, SIM_NET_CFG_MTU, 9000);
    net_up(f, &n, &defaults);
    CHECK_OK();
    CHECK(!(f->s.drv_features & SIM_F(SIM_NET_F_MTU)));
    CHECK_EQ(virtio_net_mtu(&n), 1500);
    CHECK_EQ(virtio_net_max_frame(&n), 1514);
}

/* With MRG_RXBUF and frame_mem, a jumbo MTU is taken and jumbo frames go both ways. */
static void t_mtu_jumbo(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    const uint8_t *sent;
    uint32_t len;
    opts o = defaults;
    o.frame_mem = 9216;
    o.nbufs = 16;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no MTU")) return;
    f->s.dev_features |= SIM_F(SIM_NET_F_MTU);
    sim_cfg_w16(&f->s, SIM_NET_CFG_MTU, 9000);
    net_up(f, &n, &o);
    CHECK_OK();
    CHECK(f->s.drv_features & SIM_F(SIM_NET_F_MTU));
    CHECK(f->s.drv_features & SIM_F(SIM_NET_F_MRG_RXBUF));
    CHECK_EQ(virtio_net_mtu(&n), 9000);
    CHECK_EQ(virtio_net_hdr_len(&n), 12);
    inject(f, 9014, 7, 6); /* (12 + 9014) / 1536 rounded up */
    CHECK_OK();
    recv_check(&n, &fr, 9014, 7);
    CHECK_OK();
    CHECK_EQ(fr.buf, VIRTIO_NET_FRAME_ASSEMBLED);
    CHECK_EQ(fr.nbufs, 6);
    CHECK_RC(virtio_net_send(&n, fr.data, fr.len), VIRTIO_OK);
    sent = sim_net_tx(&f->s, 0, &len);
    CHECK(sent != NULL);
    CHECK_EQ(len, 9014);
    CHECK_MEM(sent, fr.data, 9014);
    CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
}

static void t_mtu_nonsense(fx *f) {
    virtio_net n;
    if (fx_hv_lacks(f, SIM_HV_FIRECRACKER, "firecracker offers no MTU")) return;
    f->s.dev_features |= SIM_F(SIM_NET_F_MTU);
    sim_cfg_w16(&f->s, SIM_NET_CFG_MTU, 67);
    CHECK_RC(net_init(f, &n, &defaults), VIRTIO_EDEVICE);
    CHECK(f->s.status & SIM_S_FAILED);
}

/* ---- Receive --------------------------------------------------------------------------------- */
static void t_recv(fx *f) {
    virtio_net n;
    virtio_net_frame fr[16];
    static const uint32_t sizes[16] = {14,  15,  59,  60,  61,  100,  128,  500,
                                       999, 1000, 1023, 1200, 1400, 1500, 1513, 1514};
    static const unsigned order[16] = {3, 0, 15, 7, 1, 2, 14, 4, 5, 13, 6, 8, 12, 9, 11, 10};
    unsigned i;
    uint32_t held;
    net_up(f, &n, &defaults);
    CHECK_OK();
    CHECK_RC(virtio_net_recv_poll(&n, &fr[0]), VIRTIO_EAGAIN);
    for (i = 0; i < 16; i++) {
        inject(f, sizes[i], i, 1);
        CHECK_OK();
    }
    /* All 16 lent at once, then given back in a shuffled order. */
    for (i = 0; i < 16; i++) {
        recv_check(&n, &fr[i], sizes[i], i);
        CHECK_OK();
        CHECK_EQ(fr[i].nbufs, 1);
    }
    CHECK_RC(virtio_net_recv_poll(&n, &fr[0]), VIRTIO_EAGAIN);
    held = sim_net_held(&f->s);
    CHECK_EQ(held, 16);
    for (i = 0; i < 16; i++)
        CHECK_RC(virtio_net_release(&n, &fr[order[i]]), VIRTIO_OK);
    CHECK_EQ(sim_net_held(&f->s), 32);
    CHECK_EQ(n.stats.rx_frames, 16);
    /* Then many more, one at a time: the rings wrap. */
    for (i = 0; i < 3000; i++) {
        uint32_t len = 14u + (i * 37u) % 1501u;
        inject(f, len, 100 + i, 1);
        CHECK_OK();
        recv_check(&n, &fr[0], len, 100 + i);
        CHECK_OK();
        CHECK_RC(virtio_net_release(&n, &fr[0]), VIRTIO_OK);
    }
    CHECK_EQ(n.stats.rx_dropped, 0);
}

/* num_buffers without MRG_RXBUF: QEMU leaves it alone, the spec says 1: both are fine. */
static void t_num_buffers_unwritten(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    unsigned i;
    net_up(f, &n, &defaults);
    CHECK_OK();
    for (i = 0; i < 200; i++) {
        g_net.rx.write_num_buffers = (int)(i & 1u);
        inject(f, 60, i, 1);
        CHECK_OK();
        recv_check(&n, &fr, 60, i);
        CHECK_OK();
        CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
    }
}

/* More buffers than the queue holds: the rest wait idle, and every buffer gets its turn. */
static void t_more_bufs_than_queue(fx *f) {
    virtio_net n;
    virtio_net_frame fr[8];
    opts o = defaults;
    unsigned i, k, seen = 0;
    uint8_t used[16];
    o.rxq = 4;
    o.nbufs = 16;
    f->s.q[0].num_max = 4;
    net_up(f, &n, &o);
    CHECK_OK();
    CHECK_EQ(virtio_queue_size(&n.rxq), 4);
    CHECK_EQ(sim_net_held(&f->s), f->ver == 1 && !(f->s.drv_features & SIM_F(SIM_F_ANY_LAYOUT))
                                      ? 2 : 4);
    memset(used, 0, sizeof used);
    for (i = 0; i < 200; i++) {
        /* Receive up to 8 while holding them, then release all. */
        for (k = 0; k < 8; k++) {
            inject(f, 60 + k, i * 8 + k, 1);
            CHECK_OK();
            recv_check(&n, &fr[k], 60 + k, i * 8 + k);
            CHECK_OK();
            if (!used[fr[k].buf]) seen++;
            used[fr[k].buf] = 1;
        }
        CHECK_EQ(sim_net_held(&f->s), 4);
        for (k = 0; k < 8; k++)
            CHECK_RC(virtio_net_release(&n, &fr[(k * 3) % 8]), VIRTIO_OK);
        CHECK_EQ(sim_net_held(&f->s), 4);
    }
    CHECK_EQ(seen, 16);
    CHECK_EQ(n.rx_posted + n.rx_idle, 16);
}

/* The caller holds every buffer: the device has none and waits; a release lets it go on. */
static void t_caller_holds_all(fx *f) {
    virtio_net n;
    virtio_net_frame fr[8];
    opts o = defaults;
    unsigned i;
    o.nbufs = 8;
    net_up(f, &n, &o);
    CHECK_OK();
    for (i = 0; i < 8; i++) {
        inject(f, 60, i, 1);
        CHECK_OK();
        recv_check(&n, &fr[i], 60, i);
        CHECK_OK();
    }
    inject(f, 60, 8, 0); /* nowhere to put it */
    CHECK_OK();
    CHECK_RC(virtio_net_release(&n, &fr[5]), VIRTIO_OK);
    inject(f, 61, 9, 1);
    CHECK_OK();
    recv_check(&n, &fr[5], 61, 9);
}

static void t_drop_bad_lengths(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    net_up(f, &n, &defaults);
    CHECK_OK();
    inject(f, 13, 1, 1);
    CHECK_OK();
    inject(f, 0, 2, 1);
    CHECK_OK();
    inject(f, 1515, 3, 1); /* fits the buffer, above the MTU */
    CHECK_OK();
    inject(f, 60, 4, 1);
    CHECK_OK();
    recv_check(&n, &fr, 60, 4);
    CHECK_OK();
    CHECK_EQ(n.stats.rx_dropped, 3);
    CHECK_EQ(n.stats.rx_frames, 1);
    CHECK_EQ(sim_net_held(&f->s), 31);
    CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
    CHECK_EQ(sim_net_held(&f->s), 32);
}

static void t_release_errors(fx *f) {
    virtio_net n;
    virtio_net_frame fr, bad;
    net_up(f, &n, &defaults);
    CHECK_OK();
    inject(f, 60, 1, 1);
    CHECK_OK();
    recv_check(&n, &fr, 60, 1);
    CHECK_OK();
    bad = fr;
    bad.buf = 40;
    CHECK_RC(virtio_net_release(&n, &bad), VIRTIO_EINVAL);
    bad = fr;
    bad.data += 1;
    CHECK_RC(virtio_net_release(&n, &bad), VIRTIO_EINVAL);
    bad = fr;
    bad.buf = (uint16_t)((fr.buf + 1u) % 32u); /* a buffer the device has */
    bad.data = n.rx_bufs + (size_t)bad.buf * n.rx_buf_size + n.hdr_len;
    CHECK_RC(virtio_net_release(&n, &bad), VIRTIO_EINVAL);
    bad.buf = VIRTIO_NET_FRAME_ASSEMBLED;
    CHECK_RC(virtio_net_release(&n, &bad), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_release(&n, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_recv_poll(&n, NULL), VIRTIO_EINVAL);
    CHECK_EQ(sim_net_held(&f->s), 31);
    CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
    CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_EINVAL); /* twice */
    CHECK_EQ(sim_net_held(&f->s), 32);
    CHECK_EQ(n.rx_posted, 32);
}

/* recv_wait is bounded, and its timeout resets nothing: the device goes on. */
static void t_recv_wait(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    unsigned long resets;
    spin_limit(f, 1000);
    CHECK_OK();
    net_up(f, &n, &defaults);
    CHECK_OK();
    resets = f->s.resets;
    CHECK_RC(virtio_net_recv_wait(&n, &fr), VIRTIO_ETIMEDOUT);
    f->s.relax_giveup = 10; /* a relax hook with a clock gives up early */
    f->s.relax_max_iter = 0;
    CHECK_RC(virtio_net_recv_wait(&n, &fr), VIRTIO_ETIMEDOUT);
    CHECK_LE(f->s.relax_max_iter, 10);
    f->s.relax_giveup = 0;
    CHECK_EQ(f->s.resets, resets); /* no reset: the buffers are the driver's */
    inject(f, 77, 5, 1);
    CHECK_OK();
    CHECK_RC(virtio_net_recv_wait(&n, &fr), VIRTIO_OK);
    CHECK_EQ(fr.len, 77);
}

/* _wait with nothing to wait for returns VIRTIO_EAGAIN at once, without spinning: send_wait
   with nothing pending, recv_wait while the caller holds every buffer. */
static void t_wait_nothing(fx *f) {
    virtio_net n;
    virtio_net_frame fr[4];
    const void *p;
    opts o = defaults;
    unsigned long relax;
    unsigned i;
    o.nbufs = 4;
    net_up(f, &n, &o);
    CHECK_OK();
    relax = f->s.relax_calls;
    CHECK_RC(virtio_net_send_wait(&n, &p), VIRTIO_EAGAIN);
    CHECK_EQ(f->s.relax_calls, relax);
    for (i = 0; i < 4; i++) {
        inject(f, 60, i, 1);
        CHECK_OK();
        recv_check(&n, &fr[i], 60, i);
        CHECK_OK();
    }
    relax = f->s.relax_calls;
    CHECK_RC(virtio_net_recv_wait(&n, &fr[0]), VIRTIO_EAGAIN);
    CHECK_EQ(f->s.relax_calls, relax);
    /* A bare send leaves nothing pending either. */
    CHECK_RC(virtio_net_send(&n, fr[0].data, fr[0].len), VIRTIO_OK);
    CHECK_RC(virtio_net_send_wait(&n, &p), VIRTIO_EAGAIN);
    CHECK_EQ(f->s.relax_calls, relax);
}

/* ---- Transmit -------------------------------------------------------------------------------- */
/* submit + kick, then poll: completions in order, byte for byte; and the bare send. */
/* kvmtool reports a transmitted frame's length as its used length: clamped and counted (not on
   legacy, whose transmit queue ignores lengths), sending goes on. */
static void t_kvmtool_send(fx *f) {
    virtio_net n;
    unsigned i;
    f->s.hv = SIM_HV_KVMTOOL;
    net_up(f, &n, &defaults);
    CHECK_OK();
    make_frame(g_frame, 60, 1);
    for (i = 0; i < 10; i++)
        CHECK_RC(virtio_net_send(&n, g_frame, 60), VIRTIO_OK);
    CHECK_EQ(virtio_dev_clamped(&n.dev), f->ver == 1 ? 0u : 10u);
    CHECK_RC(virtio_dev_usable(&n.dev), VIRTIO_OK);
}

/* A legacy device has no configuration generation: a MAC that changes while its six bytes
   are read is read again until two reads agree, never taken torn. */
static void t_mac_legacy_agree(fx *f) {
    virtio_net n;
    const uint8_t *m;
    f->s.tear_reads = 4;
    net_up(f, &n, &defaults);
    CHECK_OK();
    m = virtio_net_mac(&n);
    CHECK(m[0] == (uint8_t)f->s.tear_k && m[1] == m[0] && m[2] == m[0] && m[3] == m[0] &&
          m[4] == m[0] && m[5] == m[0]);
}

/* Firecracker: a network device of two queues (no CTRL_VQ), activated at DRIVER_OK only if
   both are live, answering frames both ways. */
static void t_firecracker(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    unsigned i;
    f->s.hv = SIM_HV_FIRECRACKER;
    f->s.dev_features &= ~SIM_F(SIM_NET_F_CTRL_VQ);
    f->s.q[2].num_max = 0;
    net_up(f, &n, &defaults);
    CHECK_OK();
    CHECK_EQ(f->s.hv_inactive, 0);
    for (i = 0; i < 20; i++) {
        make_frame(g_frame, 60u + i, i);
        CHECK_RC(virtio_net_send(&n, g_frame, 60u + i), VIRTIO_OK);
        inject(f, 100u + i, i, 1);
        recv_check(&n, &fr, 100u + i, i);
        CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
    }
}

/* A device that writes everything it may (all of every receive buffer, the whole used rings)
   never reaches what only the driver touches (both shadows, the buffer states, the assembly
   buffer), and frames go both ways intact. */
static void t_scribble(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    virtio_net_params p;
    virtio_net__plan pl;
    block b;
    unsigned i;
    opts o = defaults;
    f->s.scribble = 1;
    o.frame_mem = 1514;
    params(&o, &p);
    b = net_mem(f, &p);
    CHECK(b.mem != NULL);
    CHECK_RC(virtio_net_init(&n, &f->t, &p, b.mem, b.size), VIRTIO_OK);
    CHECK_RC(virtio_net__plan_for(&p, &f->t, &pl), VIRTIO_OK);
    for (i = 0; i < 40; i++) {
        make_frame(g_frame, 60u + 37u * i, i);
        CHECK_RC(virtio_net_send(&n, g_frame, 60u + 37u * i), VIRTIO_OK);
        inject(f, 100u + 31u * i, i, 1);
        recv_check(&n, &fr, 100u + 31u * i, i);
        CHECK_OK();
        CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
    }
    CHECK_RC(virtio_dev_usable(&n.dev), VIRTIO_OK);
    CHECK(f->s.scribbled >= 40u * 1514u);
    CHECK(sim_wrote_any(&f->s, b.mem, pl.rx_shadow));
    CHECK(!sim_wrote_any(&f->s, b.mem + pl.rx_shadow, pl.total - pl.rx_shadow));
}

/* TinyEMU's network device: MAC only (no STATUS, MTU, MRG_RXBUF, CTRL_VQ), and a receive
   header of 12 zero bytes, num_buffers 0 included: frames arrive both ways. */
static void t_tinyemu(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    unsigned i;
    f->s.hv = SIM_HV_TINYEMU;
    f->s.dev_features = SIM_F(SIM_F_VERSION_1) | SIM_F(SIM_NET_F_MAC);
    f->s.q[2].num_max = 0;
    net_up(f, &n, &defaults);
    CHECK_OK();
    for (i = 0; i < 20; i++) {
        make_frame(g_frame, 60u + i, i);
        CHECK_RC(virtio_net_send(&n, g_frame, 60u + i), VIRTIO_OK);
        inject(f, 100u + i, i, 1);
        recv_check(&n, &fr, 100u + i, i);
        CHECK_EQ(virtio_le16((const uint8_t *)fr.data - 2), 0); /* num_buffers as TinyEMU left it */
        CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
    }
}

static void t_send(fx *f) {
    virtio_net n;
    uint8_t(*frames)[1514] = (uint8_t(*)[1514])fx_alloc(f, 20 * 1514, 16);
    const void *p;
    unsigned i, k;
    uint32_t len;
    net_up(f, &n, &defaults);
    CHECK_OK();
    for (k = 0; k < 50; k++) {
        for (i = 0; i < 20; i++) {
            uint32_t l = 14u + (k * 20u + i) * 97u % 1501u;
            make_frame(frames[i], l, k * 20 + i);
            CHECK_RC(virtio_net_send_submit(&n, frames[i], l), VIRTIO_OK);
            CHECK_RC(virtio_net_kick(&n), VIRTIO_OK);
            {
                const uint8_t *got = sim_net_tx(&f->s, 0, &len);
                CHECK(got != NULL);
                CHECK_EQ(len, l);
                CHECK_MEM(got, frames[i], l);
            }
        }
        CHECK_EQ(virtio_net_send_pending(&n), 20);
        CHECK_RC(virtio_net_send(&n, frames[0], 60), VIRTIO_ESTATE); /* submitted ones pending */
        for (i = 0; i < 20; i++) {
            CHECK_RC(virtio_net_send_poll(&n, &p), VIRTIO_OK);
            CHECK(p == frames[i]); /* in the order the device finished them */
        }
        CHECK_RC(virtio_net_send_poll(&n, &p), VIRTIO_EAGAIN);
        CHECK_EQ(virtio_net_send_pending(&n), 0);
    }
    CHECK_EQ(g_net.tx_frames, 1000);
    CHECK_EQ(n.stats.tx_frames, 1000);
    CHECK_RC(virtio_net_send_poll(&n, NULL), VIRTIO_EAGAIN);
    /* The bare verb: queued, notified, used by the device when it returns. */
    for (i = 0; i < 100; i++) {
        uint32_t l = 14u + i * 15u;
        make_frame(frames[i % 20], l, 5000 + i);
        CHECK_RC(virtio_net_send(&n, frames[i % 20], l), VIRTIO_OK);
        CHECK_EQ(virtio_net_send_pending(&n), 0);
        {
            const uint8_t *got = sim_net_tx(&f->s, 0, &len);
            CHECK(got != NULL);
            CHECK_EQ(len, l);
            CHECK_MEM(got, frames[i % 20], l);
        }
    }
    CHECK_EQ(g_net.tx_frames, 1100);
}

static void t_send_full(fx *f) {
    virtio_net n;
    opts o = defaults;
    const void *p;
    uint8_t *a = (uint8_t *)fx_alloc(f, 60, 1), *b = (uint8_t *)fx_alloc(f, 60, 1);
    uint8_t *c = (uint8_t *)fx_alloc(f, 60, 1);
    o.txq = 4;
    net_up(f, &n, &o);
    CHECK_OK();
    make_frame(a, 60, 1);
    make_frame(b, 60, 2);
    make_frame(c, 60, 3);
    f->s.manual = 1; /* the device does not look until told */
    CHECK_RC(virtio_net_send_submit(&n, a, 60), VIRTIO_OK);
    CHECK_RC(virtio_net_send_submit(&n, b, 60), VIRTIO_OK);
    CHECK_RC(virtio_net_send_submit(&n, c, 60), VIRTIO_ENOSPC); /* 2 descriptors each */
    CHECK_RC(virtio_net_kick(&n), VIRTIO_OK);
    CHECK_RC(virtio_net_send_poll(&n, &p), VIRTIO_EAGAIN);
    CHECK_EQ(g_net.tx_frames, 0);
    sim_process(&f->s);
    CHECK_EQ(g_net.tx_frames, 2);
    CHECK_RC(virtio_net_send_poll(&n, &p), VIRTIO_OK);
    CHECK(p == a);
    CHECK_RC(virtio_net_send_submit(&n, c, 60), VIRTIO_OK);
    /* A bounded wait: the device finishes while the driver waits (relax hook); send_wait
       tells the device about c first. */
    f->s.process_on_relax = 1;
    CHECK_RC(virtio_net_send_wait(&n, &p), VIRTIO_OK);
    CHECK(p == b);
    CHECK_RC(virtio_net_send_wait(&n, &p), VIRTIO_OK);
    CHECK(p == c);
    CHECK_RC(virtio_net_send_wait(&n, &p), VIRTIO_EAGAIN); /* nothing in flight */
}

static void t_send_bad(fx *f) {
    virtio_net n;
    uint16_t avail;
    net_up(f, &n, &defaults);
    CHECK_OK();
    make_frame(g_frame, 1515, 1);
    avail = sim_avail_idx(&f->s, 1);
    CHECK_RC(virtio_net_send(&n, g_frame, 13), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send(&n, g_frame, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send(&n, g_frame, 1515), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send(&n, NULL, 60), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send(NULL, g_frame, 60), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send_submit(&n, g_frame, 13), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send_submit(&n, g_frame, 1515), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_kick(&n), VIRTIO_OK);
    CHECK_EQ(sim_avail_idx(&f->s, 1), avail);
    CHECK_EQ(g_net.tx_frames, 0);
    CHECK_EQ(virtio_net_send_pending(&n), 0);
    CHECK_RC(virtio_net_send(&n, g_frame, 14), VIRTIO_OK);
    CHECK_RC(virtio_net_send(&n, g_frame, 1514), VIRTIO_OK);
}

/* The device never finishes a submitted frame: send_wait times out, resets the device (the
   frame is the caller's again), and the error is latched until init. */
static void t_send_swallowed(fx *f) {
    virtio_net n;
    const void *p;
    unsigned long resets;
    spin_limit(f, 1000);
    CHECK_OK();
    net_up(f, &n, &defaults);
    CHECK_OK();
    f->s.swallow = 1;
    CHECK_RC(virtio_net_send_submit(&n, g_frame, 60), VIRTIO_OK);
    resets = f->s.resets;
    CHECK_RC(virtio_net_send_wait(&n, &p), VIRTIO_ETIMEDOUT);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(virtio_net_send_pending(&n), 0);
    check_latched(&n, VIRTIO_ETIMEDOUT);
}

/* The bare send times out: the device is reset before it returns, so the frame is the
   caller's: the device never reads it afterwards (nor writes anything anywhere). */
static void t_send_timeout(fx *f) {
    virtio_net n;
    uint8_t copy[200];
    unsigned long resets, tx;
    spin_limit(f, 1000);
    CHECK_OK();
    net_up(f, &n, &defaults);
    CHECK_OK();
    make_frame(g_frame, 200, 9);
    memcpy(copy, g_frame, sizeof copy);
    f->s.swallow = 1; /* the device takes the frame and holds it */
    resets = f->s.resets;
    CHECK_RC(virtio_net_send(&n, g_frame, 200), VIRTIO_ETIMEDOUT);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(virtio_net_send_pending(&n), 0);
    CHECK_EQ(f->s.status, 0);        /* reset, and left so */
    CHECK(!f->s.q[1].live);          /* the transmit queue is gone with it */
    tx = g_net.tx_frames; /* the device read it once while the call waited, then held it */
    f->s.swallow = 0;
    CHECK_EQ(sim_process(&f->s), 0); /* nothing left for the device to read or use */
    CHECK_EQ(g_net.tx_frames, tx);
    CHECK_MEM(g_frame, copy, sizeof copy);
    check_latched(&n, VIRTIO_ETIMEDOUT);
    CHECK_OK();
    /* Init again and all is well. */
    net_up(f, &n, &defaults);
    CHECK_OK();
    CHECK_RC(virtio_net_send(&n, g_frame, 200), VIRTIO_OK);
    CHECK_EQ(g_net.tx_frames, tx + 1);
}

/* The device neither finishes a send nor resets: VIRTIO_EBUSY, and the frame stays counted as
   the device's until virtio_net_reset succeeds. */
static void t_reset_stuck(fx *f) {
    virtio_net n;
    spin_limit(f, 1000);
    CHECK_OK();
    net_up(f, &n, &defaults);
    CHECK_OK();
    f->s.swallow = 1;
    f->s.reset_stuck = 1;
    CHECK_RC(virtio_net_send(&n, g_frame, 60), VIRTIO_EBUSY);
    CHECK_EQ(virtio_net_send_pending(&n), 1);
    check_latched(&n, VIRTIO_EBUSY);
    CHECK_OK();
    CHECK_RC(virtio_net_reset(&n), VIRTIO_EBUSY);
    CHECK_EQ(virtio_net_send_pending(&n), 1);
    f->s.reset_stuck = 0;
    CHECK_RC(virtio_net_reset(&n), VIRTIO_OK);
    CHECK_EQ(virtio_net_send_pending(&n), 0);
    check_latched(&n, VIRTIO_ESTATE);
}

/* An echo loop: what a responder does, with the register accesses it costs. */
static void t_echo_cost(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    unsigned i;
    unsigned long r0, w0;
    net_up(f, &n, &defaults);
    CHECK_OK();
    r0 = f->s.reads;
    w0 = f->s.writes;
    for (i = 0; i < 1000; i++) {
        inject(f, 60 + i % 1000, i, 1);
        CHECK_OK();
        recv_check(&n, &fr, 60 + i % 1000, i);
        CHECK_OK();
        CHECK_RC(virtio_net_send(&n, fr.data, fr.len), VIRTIO_OK);
        CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
    }
    /* No register reads at all; writes are notifications only, at most one per queue each. */
    CHECK_EQ(f->s.reads - r0, 0);
    CHECK_LE(f->s.writes - w0, 2000);
    printf("INFO net/v%u%s: 1000 echoes cost %lu register reads, %lu writes\n", (unsigned)f->ver,
           f->eidx ? ",event_idx" : ",no_event_idx", f->s.reads - r0, f->s.writes - w0);
}

/* ---- Legacy framing -------------------------------------------------------------------------- */
/* A legacy device without ANY_LAYOUT: the header in its own descriptor, on both queues (the
   backend checks every chain). */
static void t_no_any_layout(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    const sim_log *lg;
    unsigned i;
    f->s.dev_features &= ~(SIM_F(SIM_F_ANY_LAYOUT) | SIM_F(SIM_NET_F_MRG_RXBUF));
    net_up(f, &n, &defaults);
    CHECK_OK();
    CHECK(n.split_hdr);
    CHECK_EQ(sim_net_held(&f->s), 32); /* 64 entries, two per buffer */
    lg = sim_last(&f->s, 0);
    CHECK(lg != NULL);
    CHECK_EQ(lg->ndesc, 2);
    CHECK_EQ(lg->len[0], 10);
    CHECK_EQ(lg->len[1], VIRTIO_NET_RX_BUF_SIZE - 10);
    for (i = 0; i < 100; i++) {
        inject(f, 60 + i * 14, i, 1);
        CHECK_OK();
        recv_check(&n, &fr, 60 + i * 14, i);
        CHECK_OK();
        CHECK_RC(virtio_net_send(&n, fr.data, fr.len), VIRTIO_OK);
        lg = sim_last(&f->s, 0);
        CHECK_EQ(lg->queue, 1);
        CHECK_EQ(lg->ndesc, 2);
        CHECK_EQ(lg->len[0], 10);
        CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
    }
}

/* ---- MRG_RXBUF ------------------------------------------------------------------------------- */
static void mrg_up(fx *f, virtio_net *n, uint32_t nbufs) {
    opts o = defaults;
    o.buf_size = 256;
    o.nbufs = nbufs;
    o.frame_mem = 2048;
    net_up(f, n, &o);
    CHECK_OK();
    CHECK(f->s.drv_features & SIM_F(SIM_NET_F_MRG_RXBUF));
    CHECK_EQ(virtio_net_hdr_len(n), 12); /* legacy too */
    CHECK_EQ(sim_net_hdr_len(&f->s), 12);
}

static void t_mrg(fx *f) {
    virtio_net n;
    virtio_net_frame big, small, other;
    unsigned i;
    mrg_up(f, &n, 64);
    CHECK_OK();
    CHECK_EQ(sim_net_held(&f->s), 64);
    /* (12 + 1514) / 256 rounded up: 6 buffers, put together in frame_mem. */
    inject(f, 1514, 1, 6);
    CHECK_OK();
    recv_check(&n, &big, 1514, 1);
    CHECK_OK();
    CHECK_EQ(big.buf, VIRTIO_NET_FRAME_ASSEMBLED);
    CHECK_EQ(big.nbufs, 6);
    CHECK_EQ(n.stats.rx_assembled, 1);
    CHECK_EQ(sim_net_held(&f->s), 64); /* its buffers went straight back */
    /* A frame that fits one buffer is lent in place, while the assembled one is out. */
    inject(f, 244, 2, 1);
    CHECK_OK();
    recv_check(&n, &small, 244, 2);
    CHECK_OK();
    CHECK(small.buf != VIRTIO_NET_FRAME_ASSEMBLED);
    /* Another spread frame while frame_mem is lent: dropped. */
    inject(f, 600, 3, 3);
    CHECK_OK();
    CHECK_RC(virtio_net_recv_poll(&n, &other), VIRTIO_EAGAIN);
    CHECK_EQ(n.stats.rx_dropped, 1);
    /* Transmit with the 12-byte header MRG_RXBUF brings (on legacy devices too; the backend
       checks its length and contents). */
    CHECK_RC(virtio_net_send_submit(&n, big.data, big.len), VIRTIO_OK);
    CHECK_RC(virtio_net_kick(&n), VIRTIO_OK);
    {
        uint32_t len;
        const uint8_t *sent = sim_net_tx(&f->s, 0, &len);
        const void *p;
        CHECK(sent != NULL);
        CHECK_EQ(len, 1514);
        CHECK_MEM(sent, big.data, 1514);
        CHECK_RC(virtio_net_send_poll(&n, &p), VIRTIO_OK);
        CHECK(p == big.data);
    }
    CHECK_RC(virtio_net_release(&n, &big), VIRTIO_OK);
    CHECK_RC(virtio_net_release(&n, &big), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_release(&n, &small), VIRTIO_OK);
    /* Then every size, many times. */
    for (i = 0; i < 2000; i++) {
        uint32_t len = 14u + (i * 53u) % 1501u;
        int nb = (int)((12u + len + 255u) / 256u);
        inject(f, len, 10 + i, nb);
        CHECK_OK();
        recv_check(&n, &other, len, 10 + i);
        CHECK_OK();
        CHECK_EQ(other.nbufs, nb);
        CHECK_RC(virtio_net_release(&n, &other), VIRTIO_OK);
    }
    CHECK_EQ(sim_net_held(&f->s), 64);
    /* Oversize: spread and dropped. */
    inject(f, 3000, 5, 12);
    CHECK_OK();
    CHECK_RC(virtio_net_recv_poll(&n, &other), VIRTIO_EAGAIN);
    CHECK_EQ(n.stats.rx_dropped, 2);
}

static void t_mrg_not_offered(fx *f) {
    virtio_net n;
    opts o = defaults;
    o.buf_size = 256;
    o.frame_mem = 2048;
    f->s.dev_features &= ~SIM_F(SIM_NET_F_MRG_RXBUF);
    CHECK_RC(net_init(f, &n, &o), VIRTIO_EFEATURES);
    CHECK(f->s.status & SIM_S_FAILED);
}

/* ---- Misbehaving device ---------------------------------------------------------------------- */
/* Injects a 100-byte frame that the device gets wrong; the driver must refuse and latch. */
static void bad_frame(fx *f, virtio_net *n, int err, int nbufs) {
    virtio_net_frame fr;
    make_frame(g_frame, 100, 1);
    CHECK_EQ(sim_net_inject(&f->s, g_frame, 100), nbufs);
    CHECK_RC(virtio_net_recv_poll(n, &fr), err);
    check_latched(n, err);
}

static void t_bad_short(fx *f) {
    virtio_net n;
    net_up(f, &n, &defaults);
    CHECK_OK();
    g_net.rx.short_len = 1;
    bad_frame(f, &n, VIRTIO_EDEVICE, 1);
    CHECK_OK();
    CHECK(f->s.status & SIM_S_FAILED);
}

static void t_bad_long(fx *f) {
    virtio_net n;
    net_up(f, &n, &defaults);
    CHECK_OK();
    sim_process(&f->s);
    f->s.mis = SIM_MIS_USED_LEN_BIG; /* clamped to the buffer and counted, not fatal: the
                                        whole buffer is longer than a frame, so it is dropped */
    {
        virtio_net_frame fr;
        uint64_t dropped = n.stats.rx_dropped;
        make_frame(g_frame, 100, 1);
        CHECK_EQ(sim_net_inject(&f->s, g_frame, 100), 1);
        CHECK_RC(virtio_net_recv_poll(&n, &fr), VIRTIO_EAGAIN);
        CHECK_EQ(virtio_dev_clamped(&n.dev), 1u);
        CHECK_EQ(n.stats.rx_dropped, dropped + 1u);
        CHECK_EQ(sim_net_inject(&f->s, g_frame, 100), 1); /* the next frame comes through */
        CHECK_RC(virtio_net_recv_poll(&n, &fr), VIRTIO_OK);
        CHECK_EQ(fr.len, 100u);
        CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
    }
}

static void t_bad_id(fx *f) {
    virtio_net n;
    net_up(f, &n, &defaults);
    CHECK_OK();
    sim_process(&f->s);
    f->s.mis = SIM_MIS_USED_ID_OOR;
    bad_frame(f, &n, VIRTIO_EDEVICE, 1);
}

/* Without MRG_RXBUF a frame is one buffer whatever num_buffers says: 0 (TinyEMU writes its
   header as zeroes) and 2 (nonsense) are not read, each frame arrives whole and alone. */
static void t_bad_nb_no_mrg(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    int i;
    net_up(f, &n, &defaults);
    CHECK_OK();
    for (i = 0; i < 4; i++) {
        g_net.rx.num_buffers = (i & 1) ? 2 : 0;
        inject(f, (uint32_t)(60 + i), (unsigned)i, 1);
        CHECK_OK();
        recv_check(&n, &fr, 60u + (unsigned)i, (unsigned)i);
        CHECK_OK();
        CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
    }
    CHECK_RC(virtio_net_recv_poll(&n, &fr), VIRTIO_EAGAIN);
    CHECK(!(f->s.status & SIM_S_FAILED));
}

static void t_bad_nb_zero(fx *f) {
    virtio_net n;
    mrg_up(f, &n, 16);
    CHECK_OK();
    g_net.rx.num_buffers = 0;
    bad_frame(f, &n, VIRTIO_EDEVICE, 1);
}

static void t_bad_nb_many(fx *f) {
    virtio_net n;
    mrg_up(f, &n, 16);
    CHECK_OK();
    g_net.rx.num_buffers = 17; /* more than were ever posted */
    bad_frame(f, &n, VIRTIO_EDEVICE, 1);
}

static void t_bad_gso(fx *f) {
    virtio_net n;
    net_up(f, &n, &defaults);
    CHECK_OK();
    g_net.rx.gso_type = SIM_NET_HDR_GSO_TCPV4;
    bad_frame(f, &n, VIRTIO_EDEVICE, 1);
}

static void t_bad_csum(fx *f) {
    virtio_net n;
    net_up(f, &n, &defaults);
    CHECK_OK();
    g_net.rx.flags = SIM_NET_HDR_F_NEEDS_CSUM;
    bad_frame(f, &n, VIRTIO_EDEVICE, 1);
}

/* "The driver MUST ignore flag bits that it does not recognize": DATA_VALID and unknown bits
   change nothing. */
static void t_unknown_flags(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    net_up(f, &n, &defaults);
    CHECK_OK();
    g_net.rx.flags = (uint8_t)(SIM_NET_HDR_F_DATA_VALID | 0x40u);
    inject(f, 100, 1, 1);
    CHECK_OK();
    recv_check(&n, &fr, 100, 1);
}

static void t_bad_partial(fx *f) {
    virtio_net n;
    mrg_up(f, &n, 16);
    CHECK_OK();
    g_net.rx.per_buf_limit = 200; /* first buffer 200 of 256 bytes, then the rest */
    make_frame(g_frame, 300, 1);
    CHECK_EQ(sim_net_inject(&f->s, g_frame, 300), 2);
    {
        virtio_net_frame fr;
        CHECK_RC(virtio_net_recv_poll(&n, &fr), VIRTIO_EDEVICE);
    }
    check_latched(&n, VIRTIO_EDEVICE);
}

static void t_bad_missing(fx *f) {
    virtio_net n;
    mrg_up(f, &n, 16);
    CHECK_OK();
    g_net.rx.drop_rest = 1;
    make_frame(g_frame, 600, 1);
    CHECK_EQ(sim_net_inject(&f->s, g_frame, 600), 3);
    {
        virtio_net_frame fr;
        CHECK_RC(virtio_net_recv_poll(&n, &fr), VIRTIO_EDEVICE);
    }
    check_latched(&n, VIRTIO_EDEVICE);
}

/* Devices that report the transmitted length as used length: "When using the legacy
   interface, the driver SHOULD ignore the used length for the transmit queues", and the queue
   is told to; a modern device "MUST NOT" write more than was writable (0 bytes), but kvmtool
   does: clamped and counted, never fatal. */
static void t_tx_used_len(fx *f) {
    virtio_net n;
    const void *p;
    unsigned long resets;
    net_up(f, &n, &defaults);
    CHECK_OK();
    g_net.tx_report_len = 1;
    make_frame(g_frame, 60, 1);
    CHECK_RC(virtio_net_send_submit(&n, g_frame, 60), VIRTIO_OK);
    CHECK_RC(virtio_net_kick(&n), VIRTIO_OK);
    CHECK_RC(virtio_net_send_poll(&n, &p), VIRTIO_OK);
    CHECK_EQ(virtio_dev_clamped(&n.dev), f->ver == 1 ? 0u : 1u);
    /* The bare send works on and on, nothing is reset. */
    net_up(f, &n, &defaults);
    CHECK_OK();
    resets = f->s.resets;
    CHECK_RC(virtio_net_send(&n, g_frame, 60), VIRTIO_OK);
    CHECK_RC(virtio_net_send(&n, g_frame, 60), VIRTIO_OK);
    CHECK_EQ(f->s.resets, resets);
}

/* NEEDS_RESET while recv_wait waits: the device is reset (a frame submitted for sending is
   the caller's again) and the error latched. */
static void t_needs_reset(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    unsigned long resets;
    net_up(f, &n, &defaults);
    CHECK_OK();
    f->s.swallow = 1;
    CHECK_RC(virtio_net_send_submit(&n, g_frame, 60), VIRTIO_OK);
    CHECK_RC(virtio_net_kick(&n), VIRTIO_OK);
    sim_set_needs_reset(&f->s);
    resets = f->s.resets;
    CHECK_RC(virtio_net_recv_wait(&n, &fr), VIRTIO_ENEEDS_RESET);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(virtio_net_send_pending(&n), 0);
    check_latched(&n, VIRTIO_ENEEDS_RESET);
    CHECK_EQ(f->s.resets, resets + 1); /* later calls return the latched error, no reset */
}

/* The device shrinks the receive queue below what spread frames need. */
static void t_queue_too_small(fx *f) {
    virtio_net n;
    opts o = defaults;
    o.buf_size = 256;
    o.frame_mem = 2048;
    f->s.q[0].num_max = 4; /* 4 x 256 bytes < one 1514-byte frame */
    CHECK_RC(net_init(f, &n, &o), VIRTIO_EDEVICE);
}

static const tcase cases[] = {
    {"init: features, MAC, link, MTU, header length", t_init, RUN_BOTH | RUN_EIDX},
    {"init twice: the device starts over", t_reinit, RUN_BOTH},
    {"bad arguments -> EINVAL, nothing touched", t_bad_args, RUN_BOTH},
    {"not a network device -> ENODEV", t_wrong_device, RUN_BOTH},
    {"mem_size, VIRTIO_NET_MEM and init agree", t_mem_size, RUN_BOTH},
    {"init resets first: a device that will not reset -> EBUSY, memory untouched",
     t_init_resets_first, RUN_BOTH},
    {"zeroed object -> ESTATE from every call, NULL -> EINVAL", t_zeroed, RUN_BOTH},
    {"caller errors after init: no register access, object unchanged", t_caller_errors,
     RUN_BOTH},
    {"reset: the device lets go, every call ESTATE until init", t_reset, RUN_BOTH},
    {"no MAC from the device: ours (legacy: written to it), or the default", t_no_mac, RUN_BOTH},
    {"link status read live; assumed up without STATUS", t_link, RUN_BOTH},
    {"MTU 1280 from the device: longer frames refused and dropped", t_mtu_small, RUN_BOTH},
    {"MTU 9000, no MRG_RXBUF: VIRTIO_NET_F_MTU not taken", t_mtu_big_no_mrg, RUN_BOTH},
    {"MTU 9000 with MRG_RXBUF and frame_mem: jumbo frames both ways", t_mtu_jumbo, RUN_BOTH},
    {"MTU 67 -> EDEVICE", t_mtu_nonsense, RUN_BOTH},
    {"receive 14..1514-byte frames, 16 lent, released in any order, 3000 more",
     t_recv, RUN_BOTH | RUN_EIDX},
    {"num_buffers without MRG_RXBUF written or left alone", t_num_buffers_unwritten, RUN_BOTH},
    {"16 buffers on a 4-entry queue: all take turns", t_more_bufs_than_queue, RUN_BOTH | RUN_EIDX},
    {"caller holds every buffer, device waits, release lets it go on", t_caller_holds_all,
     RUN_BOTH},
    {"runts and frames above the MTU dropped, buffers back", t_drop_bad_lengths, RUN_BOTH},
    {"release of a frame that is not lent -> EINVAL", t_release_errors, RUN_BOTH},
    {"recv_wait is bounded (spin limit, relax hook), its timeout resets nothing", t_recv_wait,
     RUN_BOTH},
    {"send_wait and recv_wait with nothing to wait for -> EAGAIN, no spinning", t_wait_nothing,
     RUN_BOTH},
    {"submit 1000 frames byte for byte, completions in order; 100 bare sends", t_send,
     RUN_BOTH | RUN_EIDX},
    {"full transmit queue -> ENOSPC, then reclaimed, send_wait", t_send_full, RUN_BOTH | RUN_EIDX},
    {"send of bad lengths -> EINVAL, nothing queued", t_send_bad, RUN_BOTH},
    {"kvmtool: transmit used length -> clamped, counted, sends go on", t_kvmtool_send, RUN_BOTH},
    {"firecracker: two queues, activated, frames both ways", t_firecracker, RUN_V2},
    {"scribbling device: driver-only memory never in reach, frames intact", t_scribble,
     RUN_BOTH | RUN_NO_IND},
    {"tinyemu: MAC only, receive header all zeroes (num_buffers 0), frames both ways", t_tinyemu,
     RUN_V2},
    {"legacy MAC read until two reads agree", t_mac_legacy_agree, RUN_V1},
    {"device never finishes a send -> send_wait ETIMEDOUT, device reset", t_send_swallowed,
     RUN_BOTH},
    {"bare send times out -> device reset, the frame is the caller's", t_send_timeout, RUN_BOTH},
    {"send times out and the reset sticks -> EBUSY, frame still the device's", t_reset_stuck,
     RUN_BOTH},
    {"1000 echoes: no register reads, notifications only", t_echo_cost, RUN_BOTH | RUN_EIDX},
    {"no ANY_LAYOUT: header in its own descriptor", t_no_any_layout, RUN_V1},
    {"MRG_RXBUF: 256-byte buffers, frames put together", t_mrg, RUN_BOTH | RUN_EIDX},
    {"MRG_RXBUF needed, not offered -> EFEATURES", t_mrg_not_offered, RUN_BOTH},
    {"device shrinks the queue below one frame -> EDEVICE", t_queue_too_small, RUN_BOTH},
    {"bad device: used length below the header -> EDEVICE, latched", t_bad_short, RUN_BOTH},
    {"bad device: used length above the buffer -> clamped, counted", t_bad_long, RUN_BOTH},
    {"bad device: used id out of range -> EDEVICE, latched", t_bad_id, RUN_BOTH},
    {"num_buffers 0 or 2 without MRG_RXBUF (TinyEMU writes 0): not read, frames arrive",
     t_bad_nb_no_mrg, RUN_V2},
    {"bad device: num_buffers 0 -> EDEVICE", t_bad_nb_zero, RUN_BOTH},
    {"bad device: num_buffers above the buffers posted -> EDEVICE", t_bad_nb_many, RUN_BOTH},
    {"bad device: gso_type TCPV4 not negotiated -> EDEVICE", t_bad_gso, RUN_BOTH},
    {"bad device: NEEDS_CSUM not negotiated -> EDEVICE", t_bad_csum, RUN_BOTH},
    {"DATA_VALID and unknown flag bits ignored", t_unknown_flags, RUN_BOTH},
    {"bad device: spread frame, a buffer before the last not full -> EDEVICE", t_bad_partial,
     RUN_BOTH},
    {"bad device: spread frame, the rest never comes -> EDEVICE", t_bad_missing, RUN_BOTH},
    {"transmit used length reported (kvmtool): ignored (legacy), clamped and counted (modern)",
     t_tx_used_len, RUN_BOTH},
    {"NEEDS_RESET while waiting -> ENEEDS_RESET, device reset, latched", t_needs_reset,
     RUN_BOTH},
};

int main(void) {
    run_table("net", cases, sizeof cases / sizeof cases[0], setup_net);
    return t_summary("test_net");
}
