/* net.c - virtio_net.h on QEMU's `virt` machines: a tiny polled responder.

   Run (any virtio-net device, legacy or modern, in any slot), for example with a host-side
   peer exchanging raw Ethernet frames as UDP datagrams on the loopback interface:
     qemu-system-riscv64 -M virt -bios none -nographic -kernel build/riscv64/net.elf \
         -netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=5555,\
                 remote.type=inet,remote.host=127.0.0.1,remote.port=5556 \
         -device virtio-net-device,netdev=n0
   tests/qemu/net_test.py is such a peer: it checks every answer byte for byte.

   It scans the eight virtio-mmio slots, takes the first network device, prints what it found
   (MAC address, link state, MTU, features), prints "ready", then answers, from any peer:
     - ARP requests for its IPv4 address (NET_IP, default 10.0.2.15),
     - ICMP echo requests to that address (echo replies),
     - UDP datagrams to port 7 (echoed back to the sender's port),
     - UDP datagrams to port NET_STATS_PORT (7777): a reply with its counters (frames, register
       accesses) for tests/qemu/net_bench.py,
   until a UDP datagram to port 9 arrives: then it prints its counters and powers off with
   exit status 0. Any driver error prints "FAIL: ..." and exits nonzero.

   Replies (what net_test.py expects, byte for byte):
     ARP:  Ethernet to the requester, from us, type 0x0806; htype 1, ptype 0x0800, hlen 6,
           plen 4, op 2, sender = our MAC and IP, target = the requester's MAC and IP. 42 bytes.
     IPv4: a 20-byte header (version 4, IHL 5, TOS 0, the request's identification, no flags,
           TTL 64, checksum computed), from our address to the requester's. Options in the
           request are not copied. Anything after the IP total length (Ethernet padding) is
           not echoed.
     ICMP: type 0, code 0, the request's identifier, sequence and data, checksum computed.
     UDP:  from port 7 to the sender's port, the same payload, checksum computed.
   Frames that are not for our MAC (or broadcast), not for our IP, carry a bad IPv4, ICMP or
   UDP checksum, or are IPv4 fragments, are ignored (and counted).

   Build-time settings (-D, see examples/net.mk): NET_IP (comma-separated bytes), NET_RX_QUEUE,
   NET_TX_QUEUE (queue entries asked for), NET_RX_BUFS, NET_RX_BUF_SIZE (receive buffers),
   NET_FRAME_MEM (assembly buffer for frames spread over several buffers; 0 = none),
   NET_STATS_PORT. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_NET_IMPLEMENTATION
#include "virtio_net.h"

#include "platform/count_regs.h"
#include "platform/platform.h"
#include "example.h"

/* ---- Settings ----------------------------------------------------------------------------------- */
#ifndef NET_IP
#define NET_IP 10, 0, 2, 15
#endif
#ifndef NET_RX_QUEUE
#define NET_RX_QUEUE 1024u /* clamped to the device's (QEMU: rx_queue_size, 256 by default) */
#endif
#ifndef NET_TX_QUEUE
#define NET_TX_QUEUE 1024u
#endif
#ifndef NET_RX_BUFS
#define NET_RX_BUFS 128u
#endif
#ifndef NET_RX_BUF_SIZE
#define NET_RX_BUF_SIZE VIRTIO_NET_RX_BUF_SIZE
#endif
#ifndef NET_FRAME_MEM
#define NET_FRAME_MEM 9216u /* jumbo frames, when the device states such an MTU and can spread */
#endif
#ifndef NET_STATS_PORT
#define NET_STATS_PORT 7777u
#endif
#define NET_TX_BUFS 16u
#define NET_TX_BUF_SIZE 9216u

#define ETH_ARP 0x0806u
#define ETH_IPV4 0x0800u
#define IP_ICMP 1u
#define IP_UDP 17u
#define PORT_ECHO 7u
#define PORT_DISCARD 9u

/* ---- Memory: everything the driver uses is static --------------------------------------------- */
/* One block for the driver (rings, receive buffers, assembly buffer), sized for any transport;
   4096-aligned, as a legacy one needs. */
static uint8_t net_mem[VIRTIO_NET_MEM(NET_RX_QUEUE, NET_TX_QUEUE, NET_RX_BUFS, NET_RX_BUF_SIZE,
                                      NET_FRAME_MEM)] __attribute__((aligned(4096)));
static uint8_t tx_bufs[NET_TX_BUFS][NET_TX_BUF_SIZE] __attribute__((aligned(16)));
static uint8_t *tx_free[NET_TX_BUFS];
static unsigned tx_nfree;

static virtio_net net;
static virtio_net_params params;
static count_regs counter;
static const uint8_t my_ip[4] = {NET_IP};

/* Counters of what the responder did. */
static uint32_t n_arp, n_icmp, n_udp, n_ignored;

/* ---- Reporting ---------------------------------------------------------------------------------- */
static void put_mac(const uint8_t *m)
{
    for (int i = 0; i < 6; i++) {
        if (i)
            plat_putc(':');
        plat_put_hexn(m[i], 2);
    }
}

static void put_ip(const uint8_t *ip)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            plat_putc('.');
        plat_put_dec(ip[i]);
    }
}

/* ---- Byte helpers (network order is big-endian) ------------------------------------------------ */
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void copy(uint8_t *d, const uint8_t *s, size_t n) { memcpy(d, s, n); }
static int same(const uint8_t *a, const uint8_t *b, size_t n) { return memcmp(a, b, n) == 0; }

/* The Internet checksum (RFC 1071): ones' complement sum of 16-bit big-endian words, added to
   `sum` (a partial sum, e.g. of a pseudo header). fold() finishes it. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    while (n > 1) {
        sum += get16(p);
        p += 2;
        n -= 2;
    }
    if (n)
        sum += (uint32_t)p[0] << 8;
    return sum;
}
static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}
/* UDP's pseudo header: source and destination address, protocol, UDP length. */
static uint32_t pseudo_sum(const uint8_t *src, const uint8_t *dst, uint32_t len)
{
    uint32_t s = csum_add(0, src, 4);
    s = csum_add(s, dst, 4);
    return s + IP_UDP + len;
}

/* ---- Transmit buffers ------------------------------------------------------------------------- */
/* Replies go out through submit and kick, so the device reads them while we go on: the frames
   submitted while a burst of requests is handled share one notification (see main), and each
   transmit buffer comes back through send_poll or send_wait. */
static void tx_reclaim(void)
{
    const void *p;
    int r;
    while ((r = virtio_net_send_poll(&net, &p)) == 0)
        tx_free[tx_nfree++] = (uint8_t *)(uintptr_t)p;
    if (r != VIRTIO_EAGAIN)
        ex_fail("virtio_net_send_poll", r);
}

/* Waits (bounded) for the device to finish one frame, and keeps its buffer. */
static void tx_wait_one(const char *why)
{
    const void *p;
    int r = virtio_net_send_wait(&net, &p); /* tells the device about submitted frames first */
    if (r != 0)
        ex_fail(why, r);
    tx_free[tx_nfree++] = (uint8_t *)(uintptr_t)p;
}

/* A free transmit buffer, waiting for the device to finish one if need be. */
static uint8_t *tx_get(void)
{
    if (tx_nfree == 0)
        tx_wait_one("virtio_net_send_wait (no transmit buffer free)");
    return tx_free[--tx_nfree];
}

static void tx_send(uint8_t *buf, size_t len)
{
    int r;
    /* A full queue is not an error: wait for the device to finish a frame, then retry. */
    while ((r = virtio_net_send_submit(&net, buf, len)) == VIRTIO_ENOSPC)
        tx_wait_one("virtio_net_send_wait (transmit queue full)");
    if (r != 0)
        ex_fail("virtio_net_send_submit", r);
}

/* ---- Protocols -------------------------------------------------------------------------------- */
/* Ethernet header of a reply to frame `in`: to its source, from us. */
static void eth_reply(uint8_t *out, const uint8_t *in, uint32_t type)
{
    copy(out, in + 6, 6);
    copy(out + 6, virtio_net_mac(&net), 6);
    put16(out + 12, type);
}

static void arp(const uint8_t *f, uint32_t len)
{
    const uint8_t *a = f + 14;
    if (len < 42 || get16(a) != 1 || get16(a + 2) != ETH_IPV4 || a[4] != 6 || a[5] != 4 ||
        get16(a + 6) != 1 || !same(a + 24, my_ip, 4)) {
        n_ignored++;
        return;
    }
    uint8_t *o = tx_get();
    eth_reply(o, f, ETH_ARP);
    uint8_t *r = o + 14;
    put16(r, 1);
    put16(r + 2, ETH_IPV4);
    r[4] = 6;
    r[5] = 4;
    put16(r + 6, 2);
    copy(r + 8, virtio_net_mac(&net), 6); /* sender: us */
    copy(r + 14, my_ip, 4);
    copy(r + 18, a + 8, 6); /* target: the requester */
    copy(r + 24, a + 14, 4);
    tx_send(o, 42);
    n_arp++;
}

/* Writes a 20-byte IPv4 header for a reply of `payload` bytes to the request `ip`. */
static void ip_reply(uint8_t *o, const uint8_t *ip, uint32_t proto, uint32_t payload)
{
    o[0] = 0x45;
    o[1] = 0;
    put16(o + 2, 20u + payload);
    copy(o + 4, ip + 4, 2); /* identification: the request's */
    put16(o + 6, 0);        /* no flags, fragment offset 0 */
    o[8] = 64;
    o[9] = (uint8_t)proto;
    put16(o + 10, 0);
    copy(o + 12, my_ip, 4);
    copy(o + 16, ip + 12, 4);
    put16(o + 10, fold(csum_add(0, o, 20)));
}

/* Counters for the bench, as little-endian words: "NSTA", rx frames, tx frames, register
   reads, register writes, rx dropped, rx assembled, ignored, ARP, ICMP, UDP answered. */
#define STATS_WORDS 11u

static int udp(const uint8_t *f, const uint8_t *ip, uint32_t ihl, uint32_t total)
{
    const uint8_t *u = ip + ihl;
    uint32_t ulen = total - ihl;
    if (ulen < 8 || get16(u + 4) != ulen) {
        n_ignored++;
        return 0;
    }
    /* A checksum of 0 means "none" in UDP over IPv4. */
    if (get16(u + 6) != 0 && fold(csum_add(pseudo_sum(ip + 12, ip + 16, ulen), u, ulen)) != 0) {
        n_ignored++;
        return 0;
    }
    uint32_t dport = get16(u + 2);
    uint8_t *o = tx_get();
    uint8_t *oi = o + 14, *ou = oi + 20;
    uint32_t olen;
    if (dport == PORT_ECHO) {
        olen = ulen;
        copy(ou + 8, u + 8, ulen - 8);
    } else if (dport == NET_STATS_PORT) {
        uint32_t w[STATS_WORDS] = {0x4154534eu, net.stats.rx_frames, net.stats.tx_frames,
                                   counter.reads, counter.writes, net.stats.rx_dropped,
                                   net.stats.rx_assembled, n_ignored, n_arp, n_icmp, n_udp};
        olen = 8 + 4 * STATS_WORDS;
        for (uint32_t i = 0; i < STATS_WORDS; i++)
            put32le(ou + 8 + 4 * i, w[i]);
    } else {
        tx_free[tx_nfree++] = o;
        if (dport == PORT_DISCARD) {
            plat_puts("stop: UDP to port 9 from ");
            put_ip(ip + 12);
            plat_putc('\n');
            n_udp++;
            return 1;
        }
        n_ignored++;
        return 0;
    }
    eth_reply(o, f, ETH_IPV4);
    ip_reply(oi, ip, IP_UDP, olen);
    put16(ou, dport);
    copy(ou + 2, u, 2); /* to the sender's port */
    put16(ou + 4, olen);
    put16(ou + 6, 0);
    uint16_t c = fold(csum_add(pseudo_sum(oi + 12, oi + 16, olen), ou, olen));
    put16(ou + 6, c == 0 ? 0xffffu : c); /* 0 would mean "no checksum" */
    tx_send(o, 14u + 20u + olen);
    n_udp++;
    return 0;
}

static void icmp(const uint8_t *f, const uint8_t *ip, uint32_t ihl, uint32_t total)
{
    const uint8_t *c = ip + ihl;
    uint32_t clen = total - ihl;
    if (clen < 8 || c[0] != 8 || c[1] != 0 || fold(csum_add(0, c, clen)) != 0) {
        n_ignored++;
        return;
    }
    uint8_t *o = tx_get();
    eth_reply(o, f, ETH_IPV4);
    ip_reply(o + 14, ip, IP_ICMP, clen);
    uint8_t *oc = o + 34;
    copy(oc, c, clen);
    oc[0] = 0; /* echo reply */
    oc[1] = 0;
    put16(oc + 2, 0);
    put16(oc + 2, fold(csum_add(0, oc, clen)));
    tx_send(o, 34u + clen);
    n_icmp++;
}

/* Returns 1 when the frame tells us to stop. */
static int handle(const uint8_t *f, uint32_t len)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (!same(f, virtio_net_mac(&net), 6) && !same(f, bcast, 6)) {
        n_ignored++;
        return 0;
    }
    uint32_t type = get16(f + 12);
    if (type == ETH_ARP) {
        arp(f, len);
        return 0;
    }
    if (type != ETH_IPV4 || len < 34) {
        n_ignored++;
        return 0;
    }
    const uint8_t *ip = f + 14;
    uint32_t ihl = (ip[0] & 15u) * 4u, total = get16(ip + 2);
    /* Version 4, a sane header and total length, a correct header checksum, not a fragment
       (MF clear, offset 0), and for us. */
    if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || total > len - 14 ||
        fold(csum_add(0, ip, ihl)) != 0 || (get16(ip + 6) & 0x3fffu) != 0 ||
        !same(ip + 16, my_ip, 4)) {
        n_ignored++;
        return 0;
    }
    if (ip[9] == IP_ICMP) {
        icmp(f, ip, ihl, total);
        return 0;
    }
    if (ip[9] == IP_UDP)
        return udp(f, ip, ihl, total);
    n_ignored++;
    return 0;
}

/* A feature word from the device object's bit queries (offered or negotiated). */
static uint64_t features(int (*has)(const virtio_dev *, unsigned))
{
    uint64_t f = 0;
    for (unsigned bit = 0; bit < 64; bit++)
        if (has(&net.dev, bit))
            f |= VIRTIO_BIT(bit);
    return f;
}

static void say_features(const char *label, uint64_t f)
{
    plat_puts(label);
    plat_put_hex(f);
    plat_putc('\n');
}

/* What the device and the driver settled on (tests/qemu/net_test.py reads these lines). */
static void report(const virtio_transport *t, uint32_t init_reads, uint32_t init_writes)
{
    int legacy = virtio_transport_legacy(t);
    int mrg = virtio_dev_has(&net.dev, VIRTIO_NET_F_MRG_RXBUF);
    plat_puts(legacy ? "transport legacy (version 1)\n" : "transport modern (version 2)\n");
    say_features("features offered    ", features(virtio_dev_offers));
    say_features("features negotiated ", features(virtio_dev_has));
    plat_puts("mac ");
    put_mac(virtio_net_mac(&net));
    plat_puts(virtio_dev_has(&net.dev, VIRTIO_NET_F_MAC) ? " (from the device)\n"
                                                         : " (ours: the device has none)\n");
    int r = virtio_net_link_up(&net);
    if (r == VIRTIO_ENOTSUP)
        r = 1; /* VIRTIO_NET_MINIMAL: the status is not read; the spec says to assume up */
    if (r < 0)
        ex_fail("virtio_net_link_up", r);
    plat_puts(r ? "link up" : "link down");
    plat_puts(virtio_dev_has(&net.dev, VIRTIO_NET_F_STATUS) ? " (device status)\n"
                                                            : " (assumed: no status field)\n");
    plat_puts("mtu ");
    plat_put_dec(virtio_net_mtu(&net));
    plat_puts(virtio_dev_has(&net.dev, VIRTIO_NET_F_MTU) ? " (from the device)" : " (default)");
    plat_puts(", max frame ");
    plat_put_dec(virtio_net_max_frame(&net));
    plat_puts(", header ");
    plat_put_dec(virtio_net_hdr_len(&net));
    plat_puts(" bytes");
    plat_puts(mrg ? ", mrg_rxbuf on" : ", mrg_rxbuf off");
    /* The legacy framing rule the driver follows (virtio_net.h, RECEIVE). */
    if (legacy && !mrg && !virtio_dev_has(&net.dev, VIRTIO_F_ANY_LAYOUT))
        plat_puts(", header in its own descriptor");
    plat_puts("\nrx queue ");
    plat_put_dec(virtio_queue_size(&net.rxq));
    plat_puts(", tx queue ");
    plat_put_dec(virtio_queue_size(&net.txq));
    plat_puts(", rx buffers ");
    plat_put_dec(NET_RX_BUFS);
    plat_puts(" x ");
    plat_put_dec(NET_RX_BUF_SIZE);
    plat_puts(", frame_mem ");
    plat_put_dec(NET_FRAME_MEM);
    plat_puts(", driver memory ");
    plat_put_dec(virtio_net_mem_size(&params, t));
    plat_puts(" of ");
    plat_put_dec(sizeof net_mem);
    plat_puts(" bytes\ninit: ");
    plat_put_dec(init_reads);
    plat_puts(" register reads, ");
    plat_put_dec(init_writes);
    plat_puts(" writes\nip ");
    put_ip(my_ip);
    plat_puts("\n");
}

int main(void)
{
    plat_puts("virtio.h net example\n");

    /* 1. Find the first network device, and probe it again through a counting accessor
          (register accesses are the expensive part of a frame, and the bench asks for them). */
    virtio_transport t;
    if (ex_find(VIRTIO_ID_NET, &t) != 0)
        ex_fail("no virtio network device in any slot", 0);
    virtio_regs regs = count_regs_wrap(&counter, &t.regs);
    regs.relax_user = NULL; /* no relax hook, default wait bound */
    regs.spin_limit = 0;
    int r = ex_probe(&t, &regs);
    if (r != 0)
        ex_fail("probe", r);
    counter.reads = counter.writes = 0;

    /* 2. Initialize it: queues, receive buffers and assembly buffer all in net_mem. */
    params.rx_queue_size = NET_RX_QUEUE;
    params.tx_queue_size = NET_TX_QUEUE;
    params.rx_bufs = NET_RX_BUFS;
    params.rx_buf_size = NET_RX_BUF_SIZE;
    params.frame_mem_size = NET_FRAME_MEM;
    r = virtio_net_init(&net, &t, &params, net_mem, sizeof net_mem);
    if (r != 0) {
        say_features("features offered    ", features(virtio_dev_offers));
        ex_fail("virtio_net_init", r);
    }
    uint32_t init_reads = counter.reads, init_writes = counter.writes;
    for (unsigned i = 0; i < NET_TX_BUFS; i++)
        tx_free[tx_nfree++] = tx_bufs[i];
    report(&t, init_reads, init_writes);
    plat_puts("ready\n");

    /* 3. Answer until told to stop. Replies to a burst of requests go out with one
          notification: the device is told when no request is waiting. */
    for (;;) {
        virtio_net_frame f;
        tx_reclaim();
        r = virtio_net_recv_poll(&net, &f);
        if (r == VIRTIO_EAGAIN) {
            r = virtio_net_kick(&net);
            if (r != 0)
                ex_fail("virtio_net_kick", r);
            continue;
        }
        if (r != 0)
            ex_fail("virtio_net_recv_poll", r);
        int stop = handle(f.data, f.len);
        r = virtio_net_release(&net, &f);
        if (r != 0)
            ex_fail("virtio_net_release", r);
        if (stop)
            break;
    }

    /* 4. Let the last replies go, then report. */
    while (virtio_net_send_pending(&net) > 0)
        tx_wait_one("virtio_net_send_wait (draining)");
    r = virtio_dev_check(&net.dev);
    if (r != 0)
        ex_fail("device status at the end", r);
    plat_puts("frames: rx ");
    plat_put_dec(net.stats.rx_frames);
    plat_puts(" tx ");
    plat_put_dec(net.stats.tx_frames);
    plat_puts(" dropped ");
    plat_put_dec(net.stats.rx_dropped);
    plat_puts(" assembled ");
    plat_put_dec(net.stats.rx_assembled);
    plat_puts(" ignored ");
    plat_put_dec(n_ignored);
    plat_puts("\nanswered: arp ");
    plat_put_dec(n_arp);
    plat_puts(" icmp ");
    plat_put_dec(n_icmp);
    plat_puts(" udp ");
    plat_put_dec(n_udp);
    plat_puts("\nregisters: ");
    plat_put_dec(counter.reads);
    plat_puts(" reads, ");
    plat_put_dec(counter.writes);
    plat_puts(" writes\nbye\nPASS\n");
    return 0;
}
