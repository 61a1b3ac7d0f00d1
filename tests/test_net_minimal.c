/* test_net_minimal.c - virtio_net.h in the smallest configuration (VIRTIO_MINIMAL, which
   defines VIRTIO_NET_MINIMAL) against the simulated virtio-net device: frames go both ways with
   the device's MAC, STATUS, MTU and MRG_RXBUF are never negotiated although the device offers
   them, buffers smaller than a frame or an assembly buffer are refused, and
   virtio_net_link_up is VIRTIO_ENOTSUP. Modern devices only (the build has no legacy). */
#define VIRTIO_MINIMAL
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

#ifndef VIRTIO_NET_MINIMAL
#error "VIRTIO_MINIMAL must define VIRTIO_NET_MINIMAL"
#endif

static sim_net g_net;
static uint8_t *g_frame;

static void setup_net(fx *f) {
    sim_init_net(&f->s, &f->arena, f->ver, &g_net);
    g_frame = (uint8_t *)fx_alloc(f, SIM_NET_FRAME_MAX, 16);
}

static int net_init(fx *f, virtio_net *n, uint32_t buf_size, uint32_t frame_mem) {
    virtio_net_params p;
    size_t sz;
    void *m;
    memset(&p, 0, sizeof p);
    p.rx_queue_size = 16;
    p.tx_queue_size = 16;
    p.rx_bufs = 8;
    p.rx_buf_size = buf_size;
    p.frame_mem_size = frame_mem;
    sz = virtio_net_mem_size(&p, &f->t);
    if (sz == 0) sz = 4096; /* refused params: any block, init must refuse them too */
    m = fx_alloc(f, sz, virtio_queue_ring_align(&f->t));
    if (!m) return -1000; /* no memory: no VIRTIO_* code, so the case fails */
    return virtio_net_init(n, &f->t, &p, m, sz);
}

static void make_frame(uint8_t *b, uint32_t len, uint32_t seed) {
    uint32_t i;
    for (i = 0; i < len; i++)
        b[i] = (uint8_t)(seed * 131u + i * 7u);
    b[0] = 0x52; /* unicast destination */
}

/* The device offers STATUS (link down), an MTU of 1280 and MRG_RXBUF: none is taken. */
static void t_features(fx *f) {
    virtio_net n;
    static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    f->s.dev_features |= SIM_F(SIM_NET_F_MTU) | SIM_F(SIM_NET_F_MRG_RXBUF) |
                         SIM_F(SIM_NET_F_STATUS);
    sim_cfg_w16(&f->s, SIM_NET_CFG_MTU, 1280);
    sim_cfg_w16(&f->s, SIM_NET_CFG_STATUS, 0);
    CHECK_RC(net_init(f, &n, 0, 0), VIRTIO_OK);
    CHECK_OK();
    CHECK_EQ(f->s.drv_features, SIM_F(SIM_NET_F_MAC) | SIM_F(SIM_F_VERSION_1));
    CHECK_MEM(virtio_net_mac(&n), mac, 6);
    CHECK_EQ(virtio_net_mtu(&n), 1500);
    CHECK_EQ(virtio_net_max_frame(&n), 1514);
    CHECK_EQ(virtio_net_hdr_len(&n), 12);
    CHECK_RC(virtio_net_link_up(&n), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_net_link_up(NULL), VIRTIO_EINVAL);
    CHECK_EQ(g_net.config_writes, 0);
}

/* Frames both ways, every length from 14 to 1514; a longer one the device passes is dropped. */
static void t_frames(fx *f) {
    virtio_net n;
    virtio_net_frame fr;
    const uint8_t *sent;
    uint32_t len, got;
    CHECK_RC(net_init(f, &n, 0, 0), VIRTIO_OK);
    for (len = 14; len <= 1514; len += 50) {
        make_frame(g_frame, len, len);
        CHECK_EQ(sim_net_inject(&f->s, g_frame, len), 1);
        CHECK_OK();
        CHECK_RC(virtio_net_recv_poll(&n, &fr), VIRTIO_OK);
        CHECK_EQ(fr.len, len);
        CHECK_EQ(fr.nbufs, 1);
        CHECK_MEM(fr.data, g_frame, len);
        CHECK_RC(virtio_net_send(&n, fr.data, fr.len), VIRTIO_OK);
        sent = sim_net_tx(&f->s, 0, &got);
        CHECK(sent != NULL);
        CHECK_EQ(got, len);
        CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_OK);
        CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_EINVAL); /* no longer lent */
        CHECK_OK();
    }
    make_frame(g_frame, 1515, 1);
    CHECK_RC(virtio_net_send(&n, g_frame, 1515), VIRTIO_EINVAL);
    CHECK_EQ(sim_net_inject(&f->s, g_frame, 1515), 1);
    CHECK_RC(virtio_net_recv_poll(&n, &fr), VIRTIO_EAGAIN);
    CHECK_EQ(n.stats.rx_dropped, 1);
    /* An "assembled" frame cannot be released: there is no assembly buffer. */
    fr.buf = VIRTIO_NET_FRAME_ASSEMBLED;
    fr.data = g_frame;
    CHECK_RC(virtio_net_release(&n, &fr), VIRTIO_EINVAL);
    CHECK_RC(virtio_net_send_submit(&n, g_frame, 60), VIRTIO_OK);
    CHECK_RC(virtio_net_send_wait(&n, NULL), VIRTIO_OK);
    CHECK_OK();
}

/* What needs MRG_RXBUF is a caller error, caught before the device is touched; buffers that
   fit a legacy header only fail on a modern device. */
static void t_params(fx *f) {
    virtio_net n;
    virtio_net_params p;
    memset(&n, 0, sizeof n);
    memset(&p, 0, sizeof p);
    p.rx_buf_size = 512;
    p.frame_mem_size = 2048;
    CHECK_EQ(virtio_net_mem_size(&p, &f->t), 0);
    p.rx_buf_size = 0;
    CHECK_EQ(virtio_net_mem_size(&p, &f->t), 0);
    p.frame_mem_size = 0;
    CHECK(virtio_net_mem_size(&p, &f->t) != 0);
    CHECK_RC(net_init(f, &n, 512, 2048), VIRTIO_EINVAL);
    CHECK_RC(net_init(f, &n, 0, 2048), VIRTIO_EINVAL);
    CHECK_RC(net_init(f, &n, 1523, 0), VIRTIO_EINVAL);
    CHECK_EQ(f->s.status, 0); /* none of it touched the device */
    CHECK_RC(net_init(f, &n, 1524, 0), VIRTIO_EFEATURES); /* 12 + 1514 do not fit */
    CHECK_RC(net_init(f, &n, 1526, 0), VIRTIO_OK);
    CHECK_OK();
}

static const tcase cases[] = {
    {"STATUS, MTU, MRG_RXBUF offered, not negotiated; link_up ENOTSUP", t_features, RUN_V2},
    {"frames both ways, 14..1514 bytes; longer ones refused or dropped", t_frames, RUN_V2},
    {"buffers smaller than a frame or an assembly buffer refused", t_params, RUN_V2},
};

int main(void) {
    run_table("net_minimal", cases, sizeof cases / sizeof cases[0], setup_net);
    return t_summary("test_net_minimal");
}
