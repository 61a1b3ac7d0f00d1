/* sim_net.c - the simulated virtio-net device: see sim_net.h. */
#include "sim_net.h"

#include <string.h>

static sim_net *net_of(sim *s) { return (sim_net *)s->ctx; }
static const sim_net *cnet_of(const sim *s) { return (const sim_net *)s->ctx; }

static int has(const sim *s, unsigned bit) { return (s->drv_features >> bit & 1u) != 0; }

uint32_t sim_net_hdr_len(const sim *s) {
    return (has(s, SIM_F_VERSION_1) || has(s, SIM_NET_F_MRG_RXBUF)) ? 12u : 10u;
}

/* The largest frame the driver may send: mtu + 14 with VIRTIO_NET_F_MTU negotiated; 1514 is
   what the spec's buffer sizes assume otherwise. */
static uint32_t max_frame(const sim *s) {
    uint32_t mtu = has(s, SIM_NET_F_MTU) ? (uint32_t)sim_cfg_r(s, SIM_NET_CFG_MTU, 2) : 1500u;
    return mtu + 14u;
}

/* ---- Transmit ------------------------------------------------------------------------------ */
static uint32_t tx_chain(sim *s, uint16_t head, sim_chain *c) {
    sim_net *n = net_of(s);
    uint32_t hl = sim_net_hdr_len(s), flen, i;
    uint8_t hdr[12];
    (void)head;
    /* "The header and packet are added as one output descriptor to the transmitq": readable
       only, header of "the size of the structure struct virtio_net_hdr same as the receive
       packet buffer", flags 0 without CSUM, gso_type NONE without HOST_TSO/UFO/USO, and "The
       driver MUST set num_buffers to zero". */
    if (c->wlen != 0) sim_violation(s, "tx: %llu writable bytes in a transmit chain",
                                    (unsigned long long)c->wlen);
    if (c->rlen < hl + 14u) {
        sim_violation(s, "tx: %llu bytes: not a %u-byte header and an Ethernet header",
                      (unsigned long long)c->rlen, hl);
        return 0;
    }
    if (s->version == 1 && !has(s, SIM_F_ANY_LAYOUT) && c->seg[0].len != hl)
        sim_violation(s, "tx: legacy without ANY_LAYOUT: header not in a descriptor of its own "
                         "(first descriptor %u bytes)", c->seg[0].len);
    sim_chain_copy(c, 0, 0, hdr, hl, 0);
    for (i = 0; i < hl; i++)
        if (hdr[i] != 0) {
            sim_violation(s, "tx: header byte %u is 0x%02x, not 0", i, hdr[i]);
            break;
        }
    flen = (uint32_t)c->rlen - hl;
    if (flen > max_frame(s))
        sim_violation(s, "tx: frame of %u bytes, above mtu + 14 = %u", flen, max_frame(s));
    if (flen > SIM_NET_FRAME_MAX) flen = SIM_NET_FRAME_MAX;
    sim_chain_copy(c, 0, hl, n->tx_log[n->tx_frames % SIM_NET_TX_LOG], flen, 0);
    n->tx_len[n->tx_frames % SIM_NET_TX_LOG] = flen;
    n->tx_frames++;
    /* Nothing is written; some legacy devices put the total length here anyway ("the driver
       SHOULD ignore the used length for the transmit queues"). */
    return n->tx_report_len ? (uint32_t)c->rlen : 0u;
}

const uint8_t *sim_net_tx(const sim *s, unsigned back, uint32_t *len) {
    const sim_net *n = cnet_of(s);
    unsigned long k;
    if (back >= SIM_NET_TX_LOG || back >= n->tx_frames) return NULL;
    k = (n->tx_frames - 1u - back) % SIM_NET_TX_LOG;
    if (len) *len = n->tx_len[k];
    return n->tx_log[k];
}

/* ---- Receive ------------------------------------------------------------------------------- */
/* A receive buffer: hold it (SIM_DEFER) until a frame comes. */
static uint32_t rx_chain(sim *s, uint16_t head, sim_chain *c) {
    sim_net *n = net_of(s);
    sim_net_buf *b;
    uint32_t hl = sim_net_hdr_len(s), i;
    if (c->nread != 0)
        sim_violation(s, "rx: %u readable descriptors in a receive buffer", c->nread);
    if (has(s, SIM_NET_F_MRG_RXBUF)) {
        /* "each buffer MUST be at least size of struct virtio_net_hdr" */
        if (c->wlen < hl) sim_violation(s, "rx: buffer of %llu bytes with MRG_RXBUF",
                                        (unsigned long long)c->wlen);
    } else {
        /* "the driver SHOULD populate the receive queue(s) with buffers of at least 1526
           bytes", and with VIRTIO_NET_F_MTU it "MUST supply enough receive buffers to receive
           at least one receive packet of size mtu (plus low level ethernet header length)". */
        if (c->wlen < hl + max_frame(s))
            sim_violation(s, "rx: buffer of %llu bytes, below header + %u without MRG_RXBUF",
                          (unsigned long long)c->wlen, max_frame(s));
        if (s->version == 1 && !has(s, SIM_F_ANY_LAYOUT) && c->seg[0].len != hl)
            sim_violation(s, "rx: legacy without ANY_LAYOUT: header not in a descriptor of its "
                             "own (first descriptor %u bytes)", c->seg[0].len);
    }
    if (c->n - c->nread > SIM_NET_SEGS || n->count >= SIM_NET_HELD_MAX) {
        sim_violation(s, "rx: the simulator cannot hold this buffer (test limits)");
        return 0;
    }
    b = &n->held[(n->first + n->count) % SIM_NET_HELD_MAX];
    n->count++;
    b->head = head;
    b->nseg = 0;
    b->wlen = (uint32_t)c->wlen;
    for (i = c->nread; i < c->n; i++) {
        b->p[b->nseg] = c->seg[i].p;
        b->len[b->nseg] = c->seg[i].len;
        b->nseg++;
    }
    return SIM_DEFER;
}

/* Copies `len` bytes into a held buffer at offset `off`; returns bytes copied. */
static uint32_t buf_put(sim_net_buf *b, uint32_t off, const uint8_t *src, uint32_t len) {
    uint32_t done = 0, i;
    for (i = 0; i < b->nseg && done < len; i++) {
        uint32_t n;
        if (off >= b->len[i]) {
            off -= b->len[i];
            continue;
        }
        n = b->len[i] - off;
        if (n > len - done) n = len - done;
        memcpy(b->p[i] + off, src + done, n);
        done += n;
        off = 0;
    }
    return done;
}

unsigned sim_net_held(sim *s) {
    sim_process(s);
    return net_of(s)->count;
}

int sim_net_inject(sim *s, const void *frame, uint32_t len) {
    sim_net *n = net_of(s);
    const sim_net_rx_mode *m = &n->rx;
    uint32_t hl = sim_net_hdr_len(s), total = hl + len, room = 0, per, need, k, off = 0;
    uint8_t hdr[12];
    int mrg = has(s, SIM_NET_F_MRG_RXBUF);
    if (!(s->status & SIM_S_DRIVER_OK) || !s->q[SIM_NET_RXQ].live) return -1;
    sim_process(s); /* the device looks at the avail ring when a frame arrives */
    if (n->count == 0) return 0;
    /* How many buffers: one without MRG_RXBUF (the frame must fit: QEMU drops what does not,
       and so do we, as if it never came); with it, as many as the bytes need. */
    if (!mrg) {
        if (n->held[n->first].wlen < total) return 0;
        need = 1;
    } else {
        for (need = 0; need < n->count && room < total; need++) {
            per = n->held[(n->first + need) % SIM_NET_HELD_MAX].wlen;
            if (m->per_buf_limit && per > m->per_buf_limit) per = m->per_buf_limit;
            room += per;
        }
        if (room < total) return 0; /* QEMU waits for more buffers */
        if (m->spread > need && m->spread <= n->count) need = m->spread;
    }
    /* The header: zeroes but for what the test asks, num_buffers as the spec says. */
    memset(hdr, 0, sizeof hdr);
    hdr[0] = m->flags;
    hdr[1] = m->gso_type;
    if (hl == 12) {
        uint32_t nb = m->num_buffers >= 0 ? (uint32_t)m->num_buffers : need;
        sim_st16(s, hdr + 10, (uint16_t)nb); /* device order: legacy is the guest's */
    }
    for (k = 0; k < need; k++) {
        sim_net_buf *b = &n->held[n->first];
        uint32_t used = 0, cap = b->wlen;
        if (mrg && m->per_buf_limit && cap > m->per_buf_limit) cap = m->per_buf_limit;
        if (k == 0) {
            uint32_t hbytes = hl;
            /* Without MRG_RXBUF QEMU writes only the 10-byte struct: num_buffers stays what the
               driver left there unless write_num_buffers (or a value is forced). */
            if (hl == 12 && !mrg && !m->write_num_buffers && m->num_buffers < 0) hbytes = 10;
            /* TinyEMU writes its whole zeroed 12-byte header: num_buffers 0 (it never offers
               MRG_RXBUF; a suite that does keeps the right count). */
            if (s->hv == SIM_HV_TINYEMU && hl == 12 && !mrg && m->num_buffers < 0) {
                hdr[10] = hdr[11] = 0;
                hbytes = 12;
            }
            buf_put(b, 0, hdr, hbytes);
            used = hl;
        }
        if (off < len && used < cap) {
            uint32_t chunk = cap - used;
            if (chunk > len - off) chunk = len - off;
            buf_put(b, used, (const uint8_t *)frame + off, chunk);
            used += chunk;
            off += chunk;
        }
        if (k == 0 && m->short_len) used = hl - 1u;
        n->first = (n->first + 1u) % SIM_NET_HELD_MAX;
        n->count--;
        n->rx_bufs_used++;
        if (k > 0 && m->drop_rest) continue; /* taken, never returned */
        sim_complete(s, SIM_NET_RXQ, b->head, used, b->wlen);
    }
    n->rx_frames++;
    return (int)need;
}

/* ---- Configuration, reset, setup ----------------------------------------------------------- */
static void net_config_write(sim *s, uint32_t off, uint32_t value, unsigned width) {
    sim_net *n = net_of(s);
    unsigned i;
    n->config_writes++;
    /* Modern: "The driver MUST NOT write to any of the device configuration fields". Legacy:
       "mac is driver-writable", nothing else is. */
    if (s->version != 1 || off + width > 6u) {
        sim_violation(s, "config write of %u bytes at %u (%s device)", width, off,
                      s->version == 1 ? "legacy" : "modern");
        return;
    }
    for (i = 0; i < width; i++)
        s->config[off + i] = (uint8_t)(value >> (8u * i));
}

static uint32_t net_chain(sim *s, unsigned queue, uint16_t head, sim_chain *c) {
    if (queue == SIM_NET_RXQ) return rx_chain(s, head, c);
    if (queue == SIM_NET_TXQ) return tx_chain(s, head, c);
    sim_violation(s, "a chain on queue %u, which a driver without CTRL_VQ/MQ never sets up", queue);
    return 0;
}

static void net_reset(sim *s) {
    sim_net *n = net_of(s);
    n->first = n->count = 0;
}

static const sim_backend_ops net_ops = {net_chain, net_config_write, net_reset, NULL};

void sim_init_net(sim *s, sim_arena *a, uint32_t version, sim_net *n) {
    static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    unsigned i;
    memset(n, 0, sizeof *n);
    n->rx.num_buffers = -1;
    sim_init_custom(s, a, version, 1, &net_ops, n);
    s->dev_features |= SIM_F(SIM_NET_F_MAC) | SIM_F(SIM_NET_F_STATUS) |
                       SIM_F(SIM_NET_F_MRG_RXBUF) | SIM_F(SIM_NET_F_CSUM) |
                       SIM_F(SIM_NET_F_GUEST_CSUM) | SIM_F(SIM_NET_F_CTRL_GUEST_OFFLOADS) |
                       SIM_F(SIM_NET_F_GUEST_TSO4) | SIM_F(SIM_NET_F_GUEST_TSO6) |
                       SIM_F(SIM_NET_F_GUEST_ECN) | SIM_F(SIM_NET_F_GUEST_UFO) |
                       SIM_F(SIM_NET_F_HOST_TSO4) | SIM_F(SIM_NET_F_HOST_TSO6) |
                       SIM_F(SIM_NET_F_HOST_ECN) | SIM_F(SIM_NET_F_HOST_UFO) |
                       SIM_F(SIM_NET_F_CTRL_VQ) | SIM_F(SIM_NET_F_CTRL_RX) |
                       SIM_F(SIM_NET_F_CTRL_VLAN) | SIM_F(SIM_NET_F_GUEST_ANNOUNCE) |
                       SIM_F(SIM_NET_F_CTRL_MAC_ADDR);
    s->q[0].num_max = 256;
    s->q[1].num_max = 256;
    s->q[2].num_max = 64; /* the control queue exists (CTRL_VQ offered) */
    for (i = 0; i < 6; i++)
        s->config[SIM_NET_CFG_MAC + i] = mac[i];
    sim_cfg_w16(s, SIM_NET_CFG_STATUS, SIM_NET_S_LINK_UP);
    sim_cfg_w16(s, 8, 1);   /* max_virtqueue_pairs */
    sim_cfg_w16(s, SIM_NET_CFG_MTU, 1500);
    s->config_len = 12;
}
