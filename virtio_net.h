/* virtio_net.h - v0.1.0 - polled VirtIO network device driver (Ethernet frames), on virtio.h
   MIT licensed, see the end of the file.

   Sends and receives whole Ethernet frames (destination MAC first, no FCS) through a virtio-net
   device, for bootloaders and small kernels: no interrupts, no allocation, no IP stack.

QUICK START

       #define VIRTIO_IMPLEMENTATION
       #include "virtio.h"
       #define VIRTIO_NET_IMPLEMENTATION
       #include "virtio_net.h"

       static uint8_t rxq[VIRTIO_QUEUE_MEM(64)] __attribute__((aligned(4096)));
       static uint8_t txq[VIRTIO_QUEUE_MEM(64)] __attribute__((aligned(4096)));
       static uint8_t rxm[VIRTIO_NET_RX_MEM(32, VIRTIO_NET_RX_BUF_SIZE)]
           __attribute__((aligned(16)));

       virtio_regs regs = virtio_mmio_regs((void *)0x10008000);
       virtio_net_params p = {0};                  // zero fields: defaults
       p.rx_queue_mem = rxq; p.rx_queue_mem_size = sizeof rxq; p.rx_queue_size = 64;
       p.tx_queue_mem = txq; p.tx_queue_mem_size = sizeof txq; p.tx_queue_size = 64;
       p.rx_mem = rxm; p.rx_mem_size = sizeof rxm;  // 32 buffers of VIRTIO_NET_RX_BUF_SIZE
       virtio_net net;
       virtio_net_frame f;
       int r = virtio_net_init(&net, &regs, &p);     // then virtio_net_mac(&net): our address
       while (r == 0 && (r = virtio_net_recv_wait(&net, &f)) == 0) {
           // f.data[0 .. f.len): one whole frame, lent until released
           r = virtio_net_release(&net, &f);
       }
       // send: virtio_net_send(&net, frame, len); the frame stays the device's until
       // virtio_net_send_poll (or _wait) hands its pointer back.

DOES NOT
   allocate, take interrupts, use the control queue (so no MAC filtering, VLAN filtering,
   multiqueue or gratuitous ARP: the device may deliver frames for other addresses, and QEMU's
   does, since it starts promiscuous), segmentation offload (TSO/UFO/USO), or checksum offload.
   VIRTIO_NET_F_CSUM and VIRTIO_NET_F_GUEST_CSUM are not negotiated: frames are sent as the
   caller built them (fully checksummed) and received ones have not been validated.

   Only what is implemented is negotiated: VIRTIO_NET_F_MAC, _STATUS, _MTU, VIRTIO_F_VERSION_1,
   VIRTIO_F_ANY_LAYOUT and VIRTIO_F_EVENT_IDX when offered; VIRTIO_NET_F_MRG_RXBUF when needed.

RECEIVE (and why VIRTIO_NET_F_MRG_RXBUF is negotiated only when the buffers need it)
   The driver keeps the caller's receive buffers posted. virtio_net_recv hands over one whole
   frame, lent until virtio_net_release, which posts its buffer again (in any order). A buffer
   is VIRTIO_NET_RX_BUF_SIZE bytes by default: a 12-byte header and a 1514-byte frame, so each
   frame fits in one buffer and is handed over where the device wrote it, with no copy.
   MRG_RXBUF (a frame spread over several buffers) is negotiated only when frames do not fit
   in one buffer: buffers smaller than that, or an MTU from the device above them. Then frames
   are put together, by copying, in the caller's frame_mem and handed over from there (one at
   a time); without MRG_RXBUF offered init fails with VIRTIO_EFEATURES (or, for a large MTU,
   does not negotiate VIRTIO_NET_F_MTU and uses 1500). Why not always: without it, a frame too
   long for a buffer is the device's to drop, and is; with it, QEMU holds such a frame until
   buffers for all of it are posted, so a frame longer than every posted buffer together stops
   reception for good, and the driver cannot tell. With small buffers, post room for the
   longest frame the link may carry. A frame shorter than an Ethernet header or longer than
   virtio_net_max_frame(), or spread over buffers while frame_mem is still lent, is dropped
   (counted in stats.rx_dropped) and its buffers go straight back to the device.

   The header is 12 bytes when VIRTIO_F_VERSION_1 or MRG_RXBUF is negotiated, else 10 (the
   legacy struct without num_buffers), on both queues. A legacy device without
   VIRTIO_F_ANY_LAYOUT gets the header in a descriptor of its own, on both queues.

TRANSMIT
   virtio_net_send queues one frame (14 bytes up to virtio_net_max_frame(): MTU + 14) from the
   caller's memory, which must stay untouched until virtio_net_send_poll or _wait returns its
   pointer. Each frame takes two descriptors (a shared all-zero header, then the frame), so a
   transmit queue of n entries holds n/2 frames. A full queue is VIRTIO_ENOSPC: reclaim, retry.

MEMORY
   virtio_net object (caller's, do not move after init); receive and transmit queue memory as
   in virtio.h (VIRTIO_QUEUE_MEM(size), aligned 4096 for legacy devices, 16 for modern);
   receive memory VIRTIO_NET_RX_MEM(n, buf_size) bytes aligned to 16, for n buffers of buf_size
   bytes (at least VIRTIO_NET_RX_BUF_MIN), plus 16 bytes for the transmit header and one state
   byte per buffer; optional frame_mem (any alignment). The device writes into the receive
   memory and reads the transmit header from it, so it must be reachable by DMA. Transmitted
   frames: any address, contiguous for the device.

CONFIGURATION
   As virtio.h. VIRTIO_NET_RX_BUF_SIZE (default 1536): the buffer size when rx_buf_size is 0.
   VIRTIO_MEMCPY, if defined where the implementation is, copies frames put together from
   several buffers (default: a byte loop, no libc).

ERRORS
   As virtio.h, plus: VIRTIO_EINVAL for a frame shorter than 14 bytes or longer than MTU + 14,
   a release of a frame that is not lent, and every caller error at init (nothing is touched);
   VIRTIO_EFEATURES at init for buffers smaller than a frame on a device without MRG_RXBUF;
   VIRTIO_ENOSPC when the transmit queue is full; VIRTIO_EAGAIN when nothing has arrived (or,
   from virtio_net_send_wait, nothing is in flight).
   Everything the device writes is checked: a used length shorter than the header or longer
   than the buffer, a num_buffers of 0, above the buffers posted, or other than 1 without
   MRG_RXBUF, a spread frame whose buffers are not all used full or not all there, a header
   asking for segmentation or checksum work we did not negotiate, an MTU below 68: each is
   VIRTIO_EDEVICE, latched (FAILED is set), and every later call returns it until init again.

CONCURRENCY
   One caller per virtio_net at a time; receive and transmit share the object. No globals.
   Every wait is bounded (the device's spin limit and the accessor's relax hook).

SPEC
   virtio 1.4 "Device Types / Network Device": feature bits, device configuration layout
   (mac, status, mtu), device initialization, device operation (packet transmission, setting
   up receive buffers, processing of incoming packets), legacy interface notes (the 10-byte
   header, guest-endian fields, the driver-writable mac, used lengths on transmit queues).
*/

#ifndef VIRTIO_NET_H
#define VIRTIO_NET_H

#ifndef VIRTIO_H
#error "include virtio.h before virtio_net.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Feature bits: "Network Device / Feature bits" ------------------------------------------ */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GSO 6 /* legacy */
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_F_CTRL_VLAN 19
#define VIRTIO_NET_F_CTRL_RX_EXTRA 20
#define VIRTIO_NET_F_GUEST_ANNOUNCE 21
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23
#define VIRTIO_NET_F_DEVICE_STATS 50
#define VIRTIO_NET_F_HASH_TUNNEL 51
#define VIRTIO_NET_F_VQ_NOTF_COAL 52
#define VIRTIO_NET_F_NOTF_COAL 53
#define VIRTIO_NET_F_GUEST_USO4 54
#define VIRTIO_NET_F_GUEST_USO6 55
#define VIRTIO_NET_F_HOST_USO 56
#define VIRTIO_NET_F_HASH_REPORT 57
#define VIRTIO_NET_F_GUEST_HDRLEN 59
#define VIRTIO_NET_F_RSS 60
#define VIRTIO_NET_F_RSC_EXT 61
#define VIRTIO_NET_F_STANDBY 62
#define VIRTIO_NET_F_SPEED_DUPLEX 63

/* ---- Configuration layout: struct virtio_net_config, byte offsets ---------------------------- */
#define VIRTIO_NET_CFG_MAC 0                  /* u8[6], valid with VIRTIO_NET_F_MAC */
#define VIRTIO_NET_CFG_STATUS 6               /* le16, with VIRTIO_NET_F_STATUS */
#define VIRTIO_NET_CFG_MAX_VIRTQUEUE_PAIRS 8  /* le16, with VIRTIO_NET_F_MQ or _RSS */
#define VIRTIO_NET_CFG_MTU 10                 /* le16, with VIRTIO_NET_F_MTU */
#define VIRTIO_NET_CFG_SPEED 12               /* le32, with VIRTIO_NET_F_SPEED_DUPLEX */
#define VIRTIO_NET_CFG_DUPLEX 16              /* u8 */
#define VIRTIO_NET_S_LINK_UP 1u
#define VIRTIO_NET_S_ANNOUNCE 2u

/* ---- Packet header: struct virtio_net_hdr ("Network Device / Device Operation") -------------- */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_F_DATA_VALID 2u
#define VIRTIO_NET_HDR_F_RSC_INFO 4u
#define VIRTIO_NET_HDR_GSO_NONE 0u
#define VIRTIO_NET_HDR_GSO_TCPV4 1u
#define VIRTIO_NET_HDR_GSO_UDP 3u
#define VIRTIO_NET_HDR_GSO_TCPV6 4u
#define VIRTIO_NET_HDR_GSO_UDP_L4 5u
#define VIRTIO_NET_HDR_GSO_ECN 0x80u

/* struct virtio_net_hdr up to num_buffers (12 bytes); the legacy header without MRG_RXBUF is the
   first 10. Fields are little-endian on modern devices, guest order on legacy ones. */
typedef struct virtio_net_hdr {
    uint8_t flags;        /* u8 VIRTIO_NET_HDR_F_* */
    uint8_t gso_type;     /* u8 VIRTIO_NET_HDR_GSO_* */
    uint16_t hdr_len;     /* le16 */
    uint16_t gso_size;    /* le16 */
    uint16_t csum_start;  /* le16 */
    uint16_t csum_offset; /* le16 */
    uint16_t num_buffers; /* le16: buffers the received frame is spread over */
} virtio_net_hdr;
#define VIRTIO_NET_HDR_LEN 12u        /* modern, or MRG_RXBUF negotiated */
#define VIRTIO_NET_HDR_LEN_LEGACY 10u /* legacy without MRG_RXBUF */

#define VIRTIO_NET_ETH_HLEN 14u     /* destination, source, EtherType */
#define VIRTIO_NET_MTU_DEFAULT 1500u /* the MTU when the device states none */
#define VIRTIO_NET_MTU_MIN 68u       /* smallest MTU a device may state */
#define VIRTIO_NET_RX_QUEUE 0u       /* receiveq1 */
#define VIRTIO_NET_TX_QUEUE 1u       /* transmitq1 */

/* Receive buffers: the default size holds the header and a 1514-byte frame (rounded up to 16);
   the minimum is what a buffer that is part of a spread frame must hold at least. */
#ifndef VIRTIO_NET_RX_BUF_SIZE
#define VIRTIO_NET_RX_BUF_SIZE 1536u
#endif
#define VIRTIO_NET_RX_BUF_MIN 64u
/* Receive memory for n buffers of `size` bytes: 16 bytes of transmit header, n state bytes
   (rounded up to 16), then the buffers. */
#define VIRTIO_NET_RX_MEM(n, size)                                                                 \
    (16u + (((size_t)(n) + 15u) & ~(size_t)15u) + (size_t)(n) * (size_t)(size))

/* What virtio_net_init needs. Zero-initialize, then fill; zero fields take the defaults. */
typedef struct virtio_net_params {
    void *rx_queue_mem;       /* receive queue (queue 0): VIRTIO_QUEUE_MEM(rx_queue_size) */
    size_t rx_queue_mem_size;
    uint32_t rx_queue_size;   /* entries wanted, power of two >= 2 (clamped to the device's) */
    void *tx_queue_mem;       /* transmit queue (queue 1) */
    size_t tx_queue_mem_size;
    uint32_t tx_queue_size;   /* entries wanted, power of two >= 2 */
    void *rx_mem;             /* receive buffers: VIRTIO_NET_RX_MEM(n, rx_buf_size), 16-aligned */
    size_t rx_mem_size;
    uint32_t rx_buf_size;     /* bytes per buffer; 0 = VIRTIO_NET_RX_BUF_SIZE */
    void *frame_mem;          /* optional: where a frame spread over several buffers is put */
    size_t frame_mem_size;    /*   together (needed when buffers are smaller than a frame;
                                   at least 1514 bytes, more for a device's larger MTU) */
    const uint8_t *mac;       /* address when the device has none; NULL = 02:00:00:00:00:01 */
} virtio_net_params;

/* A received frame, lent to the caller until virtio_net_release. */
typedef struct virtio_net_frame {
    uint8_t *data; /* the frame: destination MAC, source MAC, EtherType, payload (no FCS) */
    uint32_t len;  /* its length: 14 .. virtio_net_max_frame() */
    uint16_t buf;  /* receive buffer number, or VIRTIO_NET_FRAME_ASSEMBLED (in frame_mem) */
    uint16_t nbufs; /* buffers the device spread it over (1 unless assembled) */
} virtio_net_frame;
#define VIRTIO_NET_FRAME_ASSEMBLED 0xffffu

typedef struct virtio_net_stats {
    uint32_t rx_frames, tx_frames;   /* handed to the caller / queued for the device */
    uint64_t rx_bytes, tx_bytes;
    uint32_t rx_dropped;             /* too short, too long, or no room to assemble */
    uint32_t rx_assembled;           /* frames put together from several buffers */
} virtio_net_stats;

typedef struct virtio_net {
    virtio_dev dev;
    virtio_queue rxq, txq;
    virtio_net_stats stats;
    uint8_t mac[6];          /* our address (the device's with VIRTIO_NET_F_MAC) */
    uint8_t mac_from_device; /* 1 if mac came from the device */
    uint8_t split_hdr;       /* header in a descriptor of its own (legacy without ANY_LAYOUT) */
    uint32_t hdr_len;        /* 10 or 12 */
    uint32_t mtu;            /* the device's (VIRTIO_NET_F_MTU) or 1500 */
    uint32_t max_frame;      /* mtu + 14 */
    uint8_t *tx_hdr;         /* 16 zero bytes the device reads before every transmitted frame */
    uint8_t *rx_state;       /* one byte per receive buffer */
    uint8_t *rx_bufs;        /* rx_count buffers of rx_buf_size bytes */
    uint32_t rx_buf_size;
    uint32_t rx_count;       /* receive buffers */
    uint32_t rx_posted;      /* of them, posted to the device */
    uint32_t rx_idle;        /* of them, neither posted nor lent (waiting for queue room) */
    uint32_t rx_scan;        /* where the next look for idle buffers starts */
    uint8_t *frame_mem;      /* assembly buffer, or NULL */
    uint32_t frame_mem_size;
    uint32_t frame_lent;     /* the assembly buffer holds a frame the caller has */
} virtio_net;

/* Initializes the network device behind `regs`: the spec's initialization sequence, feature
   negotiation (only what this driver implements), configuration (MAC, link status, MTU),
   receive queue 0 and transmit queue 1, and posts the receive buffers. VIRTIO_ENODEV if the
   device is not a network device; VIRTIO_EFEATURES if the buffers are smaller than a frame and
   the device cannot spread frames (no MRG_RXBUF). If the device states an MTU larger than the
   buffers (or frame_mem, with MRG_RXBUF) can hold, VIRTIO_NET_F_MTU is not negotiated and the
   MTU is 1500. */
VIRTIO_API int virtio_net_init(virtio_net *net, const virtio_regs *regs,
                               const virtio_net_params *p);

/* Queries (valid after a successful init). */
VIRTIO_API const uint8_t *virtio_net_mac(const virtio_net *net);  /* 6 bytes */
VIRTIO_API uint32_t virtio_net_mtu(const virtio_net *net);
VIRTIO_API uint32_t virtio_net_max_frame(const virtio_net *net);  /* mtu + 14 */
VIRTIO_API uint32_t virtio_net_hdr_len(const virtio_net *net);    /* 10 or 12 */
/* 1 if the link is up, 0 if down (read from the device each call; always 1 without
   VIRTIO_NET_F_STATUS, as the spec says to assume), or a negative error. */
VIRTIO_API int virtio_net_link_up(virtio_net *net);

/* Receive. virtio_net_recv hands over the next frame, or returns VIRTIO_EAGAIN; _wait waits
   (bounded) for one, VIRTIO_ETIMEDOUT if none came. The frame stays the caller's until
   virtio_net_release, which posts its buffer to the device again; a frame may be released in
   any order. VIRTIO_EINVAL for a frame that is not lent. */
VIRTIO_API int virtio_net_recv(virtio_net *net, virtio_net_frame *frame);
VIRTIO_API int virtio_net_recv_wait(virtio_net *net, virtio_net_frame *frame);
VIRTIO_API int virtio_net_release(virtio_net *net, const virtio_net_frame *frame);

/* Transmit. virtio_net_send queues `len` bytes at `frame` (a whole Ethernet frame, without
   FCS, 14 .. virtio_net_max_frame() bytes, else VIRTIO_EINVAL) and notifies the device;
   VIRTIO_ENOSPC when the queue is full. virtio_net_send_poll returns one frame the device has
   finished with (its pointer in *frame, which may be NULL) or VIRTIO_EAGAIN; _wait waits for
   one (bounded). Frames come back in the order the device finishes them. */
VIRTIO_API int virtio_net_send(virtio_net *net, const void *frame, size_t len);
VIRTIO_API int virtio_net_send_poll(virtio_net *net, const void **frame);
VIRTIO_API int virtio_net_send_wait(virtio_net *net, const void **frame);
/* Frames sent and not yet reclaimed. */
VIRTIO_API uint32_t virtio_net_send_pending(const virtio_net *net);

#ifdef __cplusplus
}
#endif

#endif /* VIRTIO_NET_H */

/* ============================================================================================== */
/*                                        IMPLEMENTATION                                          */
/* ============================================================================================== */
#if defined(VIRTIO_NET_IMPLEMENTATION) && !defined(VIRTIO_NET__IMPL_DONE)
#define VIRTIO_NET__IMPL_DONE

#ifdef VIRTIO_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define VIRTIO_NET__DEF static __attribute__((unused)) /* a program may use only part of the API */
#else
#define VIRTIO_NET__DEF static
#endif
#else
#define VIRTIO_NET__DEF
#endif

/* Only what is implemented; MRG_RXBUF is added when needed (see RECEIVE above). ANY_LAYOUT
   (legacy only) lets the receive header share its buffer's descriptor. */
#define VIRTIO_NET__WANTED                                                                         \
    (VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |                              \
     VIRTIO_BIT(VIRTIO_NET_F_MTU) | VIRTIO_BIT(VIRTIO_F_VERSION_1) |                               \
     VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

/* The standard Ethernet frame every configuration must be able to receive. */
#define VIRTIO_NET__STD_FRAME (VIRTIO_NET_MTU_DEFAULT + VIRTIO_NET_ETH_HLEN)

enum { VIRTIO_NET__IDLE = 0, VIRTIO_NET__POSTED = 1, VIRTIO_NET__LENT = 2 };

/* Layout check: struct virtio_net_hdr up to num_buffers is 12 bytes, num_buffers at 10. */
typedef char virtio_net__hdr_size_check[sizeof(virtio_net_hdr) == VIRTIO_NET_HDR_LEN &&
                                                offsetof(virtio_net_hdr, num_buffers) == 10
                                            ? 1 : -1];

static const uint8_t virtio_net__default_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

static void virtio_net__copy(void *dst, const void *src, size_t n) {
#ifdef VIRTIO_MEMCPY
    VIRTIO_MEMCPY(dst, src, n);
#else
    volatile unsigned char *d = (volatile unsigned char *)dst; /* volatile: never memcpy() */
    const unsigned char *s = (const unsigned char *)src;
    while (n--) *d++ = *s++;
#endif
}

/* Do [a, a+an) and [b, b+bn) share a byte? */
static int virtio_net__overlap(const void *a, size_t an, const void *b, size_t bn) {
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    if (!a || !b || an == 0 || bn == 0) return 0;
    return x < y + bn && y < x + an;
}

/* How many buffers of `size` bytes fit, with their state bytes and the transmit header. */
static uint32_t virtio_net__rx_count(size_t mem_size, uint32_t size) {
    size_t n;
    if (mem_size <= 16u) return 0;
    n = (mem_size - 16u) / ((size_t)size + 1u);
    while (n > 0 && VIRTIO_NET_RX_MEM(n, size) > mem_size) n--;
    return n > 0xfffeu ? 0xfffeu : (uint32_t)n;
}

static uint8_t *virtio_net__buf(const virtio_net *net, uint32_t i) {
    return net->rx_bufs + (size_t)i * net->rx_buf_size;
}

/* A 16-bit header field in device order (little-endian, or guest order on legacy devices), at
   any alignment: through a local, since a buffer may start at any address. */
static void virtio_net__put16(const virtio_net *net, uint8_t *p, uint32_t v) {
    uint16_t x = virtio_dev_order16(&net->dev, (uint16_t)v);
    virtio_net__copy(p, &x, 2);
}
static uint16_t virtio_net__get16(const virtio_net *net, const uint8_t *p) {
    uint16_t x;
    virtio_net__copy(&x, p, 2);
    return virtio_dev_order16(&net->dev, x);
}

/* ---- Configuration --------------------------------------------------------------------------- */
typedef struct virtio_net__cfg {
    uint8_t mac[6];
    uint16_t status;
    uint16_t mtu;
} virtio_net__cfg;

/* Reads mac, status and mtu inside virtio_config_atomic, so they belong together. */
static int virtio_net__read_config(virtio_dev *dev, void *ctx) {
    virtio_net__cfg *c = (virtio_net__cfg *)ctx;
    uint32_t i;
    for (i = 0; i < 6; i++) c->mac[i] = virtio_config_read8(dev, VIRTIO_NET_CFG_MAC + i);
    c->status = virtio_dev_has(dev, VIRTIO_NET_F_STATUS)
                    ? virtio_config_read16(dev, VIRTIO_NET_CFG_STATUS)
                    : (uint16_t)VIRTIO_NET_S_LINK_UP;
    c->mtu = virtio_dev_has(dev, VIRTIO_NET_F_MTU) ? virtio_config_read16(dev, VIRTIO_NET_CFG_MTU)
                                                   : (uint16_t)VIRTIO_NET_MTU_DEFAULT;
    return VIRTIO_OK;
}

/* ---- Receive buffers ------------------------------------------------------------------------- */
/* Posts buffer i (without notifying). VIRTIO_ENOSPC when the queue has no room. The device
   writes the header and the frame into it, in one descriptor, or two when the header must be
   a descriptor of its own (legacy without ANY_LAYOUT: "Legacy Interface: Message Framing"). */
static int virtio_net__post(virtio_net *net, uint32_t i) {
    uint8_t *b = virtio_net__buf(net, i);
    virtio_seg segs[2];
    unsigned n = 1;
    int r;
    /* num_buffers: preset to what no device may leave there (0 with MRG_RXBUF, where the device
       must write the count) or to the only right answer without it (1, which a device need not
       write: QEMU leaves it alone), so a device that writes nonsense is caught either way. */
    if (net->hdr_len == VIRTIO_NET_HDR_LEN)
        virtio_net__put16(net, b + 10, virtio_dev_has(&net->dev, VIRTIO_NET_F_MRG_RXBUF) ? 0u : 1u);
    if (net->split_hdr) {
        segs[0].addr = b;
        segs[0].len = net->hdr_len;
        segs[1].addr = b + net->hdr_len;
        segs[1].len = net->rx_buf_size - net->hdr_len;
        n = 2;
    } else {
        segs[0].addr = b;
        segs[0].len = net->rx_buf_size;
    }
    r = virtio_queue_add(&net->rxq, segs, 0, n, b);
    if (r) return r;
    net->rx_state[i] = VIRTIO_NET__POSTED;
    net->rx_posted++;
    return VIRTIO_OK;
}

/* Gives buffer i back to the device, or keeps it idle when the queue is full. */
static int virtio_net__repost(virtio_net *net, uint32_t i) {
    int r = virtio_net__post(net, i);
    if (r == VIRTIO_ENOSPC) {
        net->rx_state[i] = VIRTIO_NET__IDLE;
        net->rx_idle++;
        return VIRTIO_OK;
    }
    return r;
}

/* Posts idle buffers while the queue has room, looking from where the last look stopped so
   that every buffer takes its turn. */
static int virtio_net__refill(virtio_net *net) {
    uint32_t k, i = net->rx_scan;
    int r;
    for (k = 0; k < net->rx_count && net->rx_idle > 0; k++, i++) {
        if (i >= net->rx_count) i = 0;
        if (net->rx_state[i] != VIRTIO_NET__IDLE) continue;
        r = virtio_net__post(net, i);
        if (r == VIRTIO_ENOSPC) break;
        if (r) return r;
        net->rx_idle--;
    }
    net->rx_scan = i >= net->rx_count ? 0 : i;
    return VIRTIO_OK;
}

/* A device fault: latched in the device (FAILED set), returned by every later call. */
static int virtio_net__fault(virtio_net *net) {
    return virtio_dev_fail(&net->dev, VIRTIO_EDEVICE);
}

/* Takes one used receive buffer: its number and the bytes the device wrote. The core has
   checked the length against what was posted and the id against what is outstanding; the
   cookie is our own pointer, from the driver's shadow. */
static int virtio_net__take(virtio_net *net, uint32_t *idx, uint32_t *len) {
    void *cookie;
    int r = virtio_queue_poll(&net->rxq, &cookie, len);
    if (r) return r;
    *idx = (uint32_t)(((uintptr_t)cookie - (uintptr_t)net->rx_bufs) / net->rx_buf_size);
    if (*idx >= net->rx_count || net->rx_state[*idx] != VIRTIO_NET__POSTED)
        return virtio_net__fault(net);
    net->rx_posted--;
    return VIRTIO_OK;
}

/* Checks the header the device wrote at the start of a frame; returns num_buffers (>= 1) or a
   (latched) error. */
static int virtio_net__check_hdr(virtio_net *net, const uint8_t *b) {
    uint32_t nb = 1;
    /* Without GUEST_CSUM "the device MUST set flags to zero", and without any GUEST_TSO/UFO/USO
       "the device MUST set gso_type to VIRTIO_NET_HDR_GSO_NONE". A frame that needs a checksum
       finished, or is a segmentation superframe, is one we cannot hand over as a frame. Other
       flag bits are ignored, as "the driver MUST ignore flag bits that it does not recognize". */
    if ((b[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0 || b[1] != VIRTIO_NET_HDR_GSO_NONE)
        return virtio_net__fault(net);
    if (net->hdr_len == VIRTIO_NET_HDR_LEN) {
        nb = virtio_net__get16(net, b + 10);
        if (virtio_dev_has(&net->dev, VIRTIO_NET_F_MRG_RXBUF)) {
            /* "at least num_buffers are observed by driver as used": no more than were posted
               (this one included). */
            if (nb == 0 || nb > net->rx_posted + 1u) return virtio_net__fault(net);
        } else if (nb != 1) {
            return virtio_net__fault(net); /* "MUST set num_buffers to 1" */
        }
    }
    return (int)nb;
}

/* ---- Public API ------------------------------------------------------------------------------ */
VIRTIO_NET__DEF int virtio_net_init(virtio_net *net, const virtio_regs *regs,
                                    const virtio_net_params *p) {
    virtio_mmio_slot slot;
    virtio_net__cfg cfg;
    uint32_t bsize, count, i, per_buf, pass, reach;
    size_t state_bytes;
    uint64_t wanted = VIRTIO_NET__WANTED, required = 0;
    int r;
    uint8_t *m;

    /* Caller errors first, with nothing touched. */
    if (!net || !regs || !regs->read32 || !p || !p->rx_queue_mem || !p->tx_queue_mem || !p->rx_mem)
        return VIRTIO_EINVAL;
    bsize = p->rx_buf_size ? p->rx_buf_size : VIRTIO_NET_RX_BUF_SIZE;
    if (bsize < VIRTIO_NET_RX_BUF_MIN || bsize > 0x7fffffffu || ((uintptr_t)p->rx_mem & 15u) != 0)
        return VIRTIO_EINVAL;
    count = virtio_net__rx_count(p->rx_mem_size, bsize);
    if (count == 0 || p->rx_queue_size < 2 || p->tx_queue_size < 2) return VIRTIO_EINVAL;
    if (p->frame_mem &&
        (p->frame_mem_size < VIRTIO_NET__STD_FRAME || p->frame_mem_size > 0xffffffffu))
        return VIRTIO_EINVAL;
    /* Every configuration receives a standard frame: in one buffer, or spread over several
       (MRG_RXBUF, then required) and put together in frame_mem, which needs enough buffers in
       the queue at once for one frame. */
    if (bsize < VIRTIO_NET_HDR_LEN_LEGACY + VIRTIO_NET__STD_FRAME) {
        reach = count < p->rx_queue_size ? count : p->rx_queue_size;
        if (!p->frame_mem || (uint64_t)reach * bsize < VIRTIO_NET_HDR_LEN + VIRTIO_NET__STD_FRAME)
            return VIRTIO_EINVAL;
        wanted |= VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
        required |= VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
    }
    if (p->mac && ((p->mac[0] & 1u) != 0 ||
                   (p->mac[0] | p->mac[1] | p->mac[2] | p->mac[3] | p->mac[4] | p->mac[5]) == 0))
        return VIRTIO_EINVAL; /* a multicast or all-zero address is nobody's */
    state_bytes = VIRTIO_NET_RX_MEM(count, bsize) - 16u - (size_t)count * bsize;
    {
        /* No two of the four memory blocks may share a byte. */
        const void *a[4];
        size_t n[4], j, k;
        a[0] = p->rx_queue_mem, n[0] = p->rx_queue_mem_size;
        a[1] = p->tx_queue_mem, n[1] = p->tx_queue_mem_size;
        a[2] = p->rx_mem, n[2] = p->rx_mem_size;
        a[3] = p->frame_mem, n[3] = p->frame_mem_size;
        for (j = 0; j < 4; j++)
            for (k = j + 1; k < 4; k++)
                if (virtio_net__overlap(a[j], n[j], a[k], n[k])) return VIRTIO_EINVAL;
    }
    /* Queue memory against the transport version, before touching the device (the scan only
       reads registers). */
    if (virtio_mmio_scan(regs, regs->user, 0, 1, &slot, 1) == 1 &&
        (slot.version == 1 || slot.version == 2)) {
        size_t rx_need = virtio_queue_mem_size(p->rx_queue_size, slot.version);
        size_t tx_need = virtio_queue_mem_size(p->tx_queue_size, slot.version);
        size_t align = virtio_queue_mem_align(slot.version);
        if (rx_need == 0 || tx_need == 0 || p->rx_queue_mem_size < rx_need ||
            p->tx_queue_mem_size < tx_need || ((uintptr_t)p->rx_queue_mem & (align - 1u)) != 0 ||
            ((uintptr_t)p->tx_queue_mem & (align - 1u)) != 0)
            return VIRTIO_EINVAL;
    }

    virtio_zero(net, sizeof *net);
    m = (uint8_t *)p->rx_mem;
    net->tx_hdr = m;
    net->rx_state = m + 16;
    net->rx_bufs = m + 16 + state_bytes;
    net->rx_buf_size = bsize;
    net->rx_count = count;
    net->frame_mem = (uint8_t *)p->frame_mem;
    net->frame_mem_size = p->frame_mem ? (uint32_t)p->frame_mem_size : 0u;
    virtio_zero(m, 16u + state_bytes);

    /* Negotiation, again (after a reset) while the frame the device states does not fit: "If
       the driver negotiates VIRTIO_NET_F_MTU, it MUST supply enough receive buffers to receive
       at least one receive packet of size mtu (plus low level ethernet header length)". Then
       MRG_RXBUF is asked for, if the device offers it and frame_mem can take such a frame, or
       else VIRTIO_NET_F_MTU is given up (and the MTU is 1500). At most three rounds: each
       changes one bit, never back. */
    for (pass = 0;; pass++) {
        uint32_t cap;
        int mrg;
        r = virtio_dev_init(&net->dev, regs, VIRTIO_ID_NET);
        if (r) return r;
        r = virtio_dev_negotiate(&net->dev, wanted, required);
        if (r) return r;
        r = virtio_config_atomic(&net->dev, virtio_net__read_config, &cfg);
        if (r) return virtio_dev_fail(&net->dev, r);
        /* "The device MUST set mtu to between 68 and 65535 inclusive". */
        if (cfg.mtu < VIRTIO_NET_MTU_MIN) return virtio_net__fault(net);
        mrg = virtio_dev_has(&net->dev, VIRTIO_NET_F_MRG_RXBUF);
        net->hdr_len = (virtio_dev_has(&net->dev, VIRTIO_F_VERSION_1) || mrg)
                           ? VIRTIO_NET_HDR_LEN : VIRTIO_NET_HDR_LEN_LEGACY;
        net->mtu = cfg.mtu;
        net->max_frame = net->mtu + VIRTIO_NET_ETH_HLEN;
        /* The largest frame we can take: in one buffer, or put together in frame_mem from as
           many buffers as the queue can hold at once (asked-for size; checked again below). */
        cap = bsize - net->hdr_len;
        reach = count < p->rx_queue_size ? count : p->rx_queue_size;
        if (mrg && net->frame_mem && net->frame_mem_size > cap &&
            (uint64_t)reach * bsize >= (uint64_t)net->hdr_len + net->max_frame)
            cap = net->frame_mem_size;
        if (net->max_frame <= cap) break;
        if (pass >= 3) return virtio_dev_fail(&net->dev, VIRTIO_EFEATURES);
        if (!mrg && (net->dev.offered & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)) && net->frame_mem &&
            net->frame_mem_size >= net->max_frame &&
            (uint64_t)reach * bsize >= (uint64_t)VIRTIO_NET_HDR_LEN + net->max_frame)
            wanted |= VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
        else if (virtio_dev_has(&net->dev, VIRTIO_NET_F_MTU))
            wanted &= ~VIRTIO_BIT(VIRTIO_NET_F_MTU);
        else /* not even a 1514-byte frame fits: buffers of 1524 or 1525 bytes, no MRG_RXBUF */
            return virtio_dev_fail(&net->dev, VIRTIO_EFEATURES);
    }

    /* The MAC: "If the driver negotiates the VIRTIO_NET_F_MAC feature, the driver MUST set the
       physical address of the NIC to mac. Otherwise, it SHOULD use a locally-administered MAC
       address". Telling the device our own: the legacy interface's mac "is driver-writable
       which provided a way for drivers to update the MAC without negotiating
       VIRTIO_NET_F_CTRL_MAC_ADDR", so a legacy device is told; a modern one cannot be ("The
       driver MUST NOT write to any of the device configuration fields", and the control queue's
       VIRTIO_NET_CTRL_MAC_ADDR_SET is not implemented). It matters only to a device that
       filters, which without the control queue QEMU's does not. */
    if (virtio_dev_has(&net->dev, VIRTIO_NET_F_MAC)) {
        for (i = 0; i < 6; i++) net->mac[i] = cfg.mac[i];
        net->mac_from_device = 1;
    } else {
        const uint8_t *mac = p->mac ? p->mac : virtio_net__default_mac;
        for (i = 0; i < 6; i++) net->mac[i] = mac[i];
        if (net->dev.version == 1)
            for (i = 0; i < 6; i++)
                virtio_config_write8(&net->dev, VIRTIO_NET_CFG_MAC + i, net->mac[i]);
    }

    /* Queues: receiveq1 is 0, transmitq1 is 1 (no MQ, no control queue). */
    net->split_hdr = (uint8_t)(net->dev.version == 1 &&
                               !virtio_dev_has(&net->dev, VIRTIO_F_ANY_LAYOUT) &&
                               !virtio_dev_has(&net->dev, VIRTIO_NET_F_MRG_RXBUF));
    r = virtio_queue_init(&net->rxq, &net->dev, VIRTIO_NET_RX_QUEUE, p->rx_queue_mem,
                          p->rx_queue_mem_size, p->rx_queue_size);
    if (r) return virtio_dev_fail(&net->dev, r);
    r = virtio_queue_init(&net->txq, &net->dev, VIRTIO_NET_TX_QUEUE, p->tx_queue_mem,
                          p->tx_queue_mem_size, p->tx_queue_size);
    if (r) return virtio_dev_fail(&net->dev, r);
    if (net->dev.version == 1) net->txq.ignore_len = 1; /* see virtio_net_send_poll */
    per_buf = net->split_hdr ? 2u : 1u;
    /* A device that shrank a queue below one frame's worth leaves nothing to work with. */
    if (net->rxq.size < per_buf || net->txq.size < 2u) return virtio_net__fault(net);
    reach = net->rxq.size / per_buf < count ? net->rxq.size / per_buf : count;
    if (bsize - net->hdr_len < net->max_frame &&
        (uint64_t)reach * bsize < (uint64_t)net->hdr_len + net->max_frame)
        return virtio_net__fault(net); /* too few buffers fit in the queue for one frame */

    /* "Fill the receive queues with buffers", then DRIVER_OK, then the first notification
       ("The driver MUST NOT send any buffer available notifications to the device before
       setting DRIVER_OK"). Buffers the queue cannot hold wait, idle, for room. */
    for (i = 0; i < count; i++) {
        r = virtio_net__repost(net, i);
        if (r) return virtio_dev_fail(&net->dev, r);
    }
    r = virtio_dev_ready(&net->dev);
    if (r) return r;
    return virtio_queue_kick(&net->rxq);
}

VIRTIO_NET__DEF const uint8_t *virtio_net_mac(const virtio_net *net) {
    return net ? net->mac : 0;
}
VIRTIO_NET__DEF uint32_t virtio_net_mtu(const virtio_net *net) { return net ? net->mtu : 0; }
VIRTIO_NET__DEF uint32_t virtio_net_max_frame(const virtio_net *net) {
    return net ? net->max_frame : 0;
}
VIRTIO_NET__DEF uint32_t virtio_net_hdr_len(const virtio_net *net) {
    return net ? net->hdr_len : 0;
}

static int virtio_net__ready(const virtio_net *net) {
    if (!net || !net->rx_bufs || !net->dev.regs.read32) return VIRTIO_EINVAL;
    if (net->dev.error) return net->dev.error;
    if (net->rxq.error) return net->rxq.error;
    if (net->txq.error) return net->txq.error;
    if (!(net->dev.status & VIRTIO_STATUS_DRIVER_OK)) return VIRTIO_ESTATE;
    return VIRTIO_OK;
}

VIRTIO_NET__DEF int virtio_net_link_up(virtio_net *net) {
    uint16_t s;
    int r = virtio_net__ready(net);
    if (r) return r;
    /* "If the driver does not negotiate the VIRTIO_NET_F_STATUS feature, it SHOULD assume the
       link is active, otherwise it SHOULD read the link status from the bottom bit of
       status". */
    if (!virtio_dev_has(&net->dev, VIRTIO_NET_F_STATUS)) return 1;
    s = virtio_config_read16(&net->dev, VIRTIO_NET_CFG_STATUS);
    return (s & VIRTIO_NET_S_LINK_UP) ? 1 : 0;
}

/* Consumes the rest of a frame spread over `nb` buffers whose first one (index `head`, `len`
   bytes used) has been taken: copies it into frame_mem when `keep`, posts every buffer again.
   Returns the frame length, 0 if it was dropped, or a (latched) error. */
static int32_t virtio_net__gather(virtio_net *net, uint32_t head, uint32_t len, uint32_t nb,
                                  int keep) {
    uint32_t k, idx = head, ulen = len, total = 0, off = net->hdr_len;
    int r;
    for (k = 0; k < nb; k++) {
        if (k > 0) {
            /* "The device MUST use all buffers used by a single receive packet together, such
               that at least num_buffers are observed by driver as used": all are there now. */
            r = virtio_net__take(net, &idx, &ulen);
            if (r == VIRTIO_EAGAIN) return virtio_net__fault(net);
            if (r) return r;
            off = 0;
        }
        /* "the device MUST use all buffers but the last ... completely up to the full length
           of each buffer supplied by the driver". */
        if ((k + 1 < nb && ulen != net->rx_buf_size) || ulen < off)
            return virtio_net__fault(net);
        if (keep && total + (ulen - off) <= net->frame_mem_size)
            virtio_net__copy(net->frame_mem + total, virtio_net__buf(net, idx) + off, ulen - off);
        total += ulen - off;
        r = virtio_net__repost(net, idx);
        if (r) return virtio_dev_fail(&net->dev, r);
    }
    if (!keep || total > net->frame_mem_size || total > net->max_frame ||
        total < VIRTIO_NET_ETH_HLEN)
        return 0;
    return (int32_t)total;
}

VIRTIO_NET__DEF int virtio_net_recv(virtio_net *net, virtio_net_frame *frame) {
    uint32_t idx, len, guard;
    int r, nb, kick = 0;
    r = virtio_net__ready(net);
    if (r) return r;
    if (!frame) return VIRTIO_EINVAL;
    /* Each pass takes at least one used buffer, so this ends: bounded by the queue anyway. */
    for (guard = 0; guard <= net->rxq.size; guard++) {
        r = virtio_net__take(net, &idx, &len);
        if (r) break;
        kick = 1;
        if (len < net->hdr_len) { /* not even a whole header */
            r = virtio_net__fault(net);
            break;
        }
        nb = virtio_net__check_hdr(net, virtio_net__buf(net, idx));
        if (nb < 0) {
            r = nb;
            break;
        }
        if (nb == 1) {
            len -= net->hdr_len;
            if (len < VIRTIO_NET_ETH_HLEN || len > net->max_frame) {
                net->stats.rx_dropped++;
                r = virtio_net__repost(net, idx);
                if (r) {
                    r = virtio_dev_fail(&net->dev, r);
                    break;
                }
                continue;
            }
            net->rx_state[idx] = VIRTIO_NET__LENT;
            frame->data = virtio_net__buf(net, idx) + net->hdr_len;
            frame->len = len;
            frame->buf = (uint16_t)idx;
            frame->nbufs = 1;
        } else {
            int keep = net->frame_mem && !net->frame_lent;
            int32_t total = virtio_net__gather(net, idx, len, (uint32_t)nb, keep);
            if (total < 0) {
                r = (int)total;
                break;
            }
            if (total == 0) {
                net->stats.rx_dropped++;
                continue;
            }
            net->frame_lent = 1;
            net->stats.rx_assembled++;
            frame->data = net->frame_mem;
            frame->len = (uint32_t)total;
            frame->buf = VIRTIO_NET_FRAME_ASSEMBLED;
            frame->nbufs = (uint16_t)nb;
        }
        net->stats.rx_frames++;
        net->stats.rx_bytes += frame->len;
        r = VIRTIO_OK;
        break;
    }
    if (guard > net->rxq.size) r = VIRTIO_EAGAIN; /* only drops: let the caller breathe */
    /* Buffers taken free queue room for idle ones; dropped ones went back already. */
    if (kick && !net->dev.error && !net->rxq.error) {
        int r2 = virtio_net__refill(net);
        if (!r2) r2 = virtio_queue_kick(&net->rxq);
        if (r2 && (r == VIRTIO_OK || r == VIRTIO_EAGAIN)) {
            /* The frame, if any, stays lent: the caller may still release it. */
            r = r2;
        }
    }
    return r;
}

VIRTIO_NET__DEF int virtio_net_recv_wait(virtio_net *net, virtio_net_frame *frame) {
    uint32_t i;
    int r;
    r = virtio_net__ready(net);
    if (r) return r;
    for (i = 0;; i++) {
        r = virtio_net_recv(net, frame);
        if (r != VIRTIO_EAGAIN) return r;
        r = virtio_dev_spin(&net->dev, i); /* bounded; notices NEEDS_RESET */
        if (r) return r;
    }
}

VIRTIO_NET__DEF int virtio_net_release(virtio_net *net, const virtio_net_frame *frame) {
    uint32_t idx;
    int r;
    if (!net || !frame || !net->rx_bufs) return VIRTIO_EINVAL;
    if (frame->buf == VIRTIO_NET_FRAME_ASSEMBLED) {
        if (!net->frame_lent || frame->data != net->frame_mem) return VIRTIO_EINVAL;
        net->frame_lent = 0;
        return virtio_net__ready(net);
    }
    idx = frame->buf;
    if (idx >= net->rx_count || net->rx_state[idx] != VIRTIO_NET__LENT ||
        frame->data != virtio_net__buf(net, idx) + net->hdr_len)
        return VIRTIO_EINVAL;
    r = virtio_net__ready(net);
    if (r) {
        net->rx_state[idx] = VIRTIO_NET__IDLE; /* the caller is done with it either way */
        net->rx_idle++;
        return r;
    }
    r = virtio_net__repost(net, idx);
    if (r) return virtio_dev_fail(&net->dev, r);
    return virtio_queue_kick(&net->rxq);
}

VIRTIO_NET__DEF int virtio_net_send(virtio_net *net, const void *frame, size_t len) {
    virtio_seg segs[2];
    int r = virtio_net__ready(net);
    if (r) return r;
    if (!frame || len < VIRTIO_NET_ETH_HLEN || len > net->max_frame) return VIRTIO_EINVAL;
    /* "The header and packet are added as one output descriptor to the transmitq": the header
       is the shared one of zeros (flags 0, gso_type NONE, num_buffers 0, as "The driver MUST set
       num_buffers to zero" and without CSUM "MUST set flags to zero"), of the negotiated length
       ("MUST use the size of the structure struct virtio_net_hdr same as the receive packet
       buffer"), in its own descriptor, which also suits legacy devices without ANY_LAYOUT. */
    segs[0].addr = net->tx_hdr;
    segs[0].len = net->hdr_len;
    segs[1].addr = frame;
    segs[1].len = (uint32_t)len;
    /* The cookie is the caller's pointer; the device only reads the frame. */
    r = virtio_queue_add(&net->txq, segs, 2, 0, (void *)(uintptr_t)frame);
    if (r) return r;
    net->stats.tx_frames++;
    net->stats.tx_bytes += len;
    return virtio_queue_kick(&net->txq);
}

/* The used length of a transmit buffer is 0 (nothing is writable), which the core checks on
   modern devices. "When using the legacy interface, the driver SHOULD ignore the used length
   for the transmit queues": on legacy ones the queue is set to ignore it (init). */
VIRTIO_NET__DEF int virtio_net_send_poll(virtio_net *net, const void **frame) {
    void *cookie = 0;
    int r = virtio_net__ready(net);
    if (r) return r;
    r = virtio_queue_poll(&net->txq, &cookie, 0);
    if (r) return r;
    if (frame) *frame = cookie;
    return VIRTIO_OK;
}

VIRTIO_NET__DEF int virtio_net_send_wait(virtio_net *net, const void **frame) {
    void *cookie = 0;
    int r = virtio_net__ready(net);
    if (r) return r;
    if (virtio_queue_outstanding(&net->txq) == 0) return VIRTIO_EAGAIN; /* nothing to wait for */
    r = virtio_queue_wait(&net->txq, &cookie, 0);
    if (r) return r;
    if (frame) *frame = cookie;
    return VIRTIO_OK;
}

VIRTIO_NET__DEF uint32_t virtio_net_send_pending(const virtio_net *net) {
    return net ? virtio_queue_outstanding(&net->txq) : 0u;
}

#undef VIRTIO_NET__DEF
#undef VIRTIO_NET__WANTED
#undef VIRTIO_NET__STD_FRAME
#endif /* VIRTIO_NET_IMPLEMENTATION */

/*
MIT License

Copyright (c) 2026 The virtio.h authors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
*/
