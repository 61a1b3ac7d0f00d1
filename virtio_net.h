/* virtio_net.h - v0.2.0 - polled VirtIO network device driver (Ethernet frames), on virtio.h
   MIT licensed, see the end of the file.

   Sends and receives whole Ethernet frames (destination MAC first, no FCS) through a virtio-net
   device, for bootloaders and small kernels: no interrupts, no allocation, no IP stack. It uses
   only the public API of virtio.h.

QUICK START

       #define VIRTIO_IMPLEMENTATION        // in exactly one C file
       #include "virtio.h"
       #define VIRTIO_NET_IMPLEMENTATION
       #include "virtio_net.h"

       // Scan the slots (QEMU's riscv `virt`: 8 at 0x10001000, filled from the top), probe.
       virtio_mmio_slot slots[8];
       int i = 0, n = virtio_mmio_scan(NULL, (void *)0x10001000, 0x1000, 8, slots, 8);
       while (i < n && slots[i].device_id != VIRTIO_ID_NET) i++;
       if (i == n) return VIRTIO_ENODEV;                       // no network device
       virtio_regs regs = virtio_mmio_regs(slots[i].base);     // plain MMIO: no callback
       virtio_transport t;
       int r = virtio_mmio_transport(&t, &regs);               // read-only probe

       static uint8_t mem[VIRTIO_NET_MEM(64, 64, 32, 0, 0)] __attribute__((aligned(4096)));
       virtio_net_params p = {0};                              // zero fields: defaults
       p.rx_queue_size = 64; p.tx_queue_size = 64; p.rx_bufs = 32;
       static virtio_net net;                                  // must not move after init
       if (r == 0) r = virtio_net_init(&net, &t, &p, mem, sizeof mem);
       while (r == 0) {                                        // a reflector
           virtio_net_frame f;                                 // a received frame, lent
           r = virtio_net_recv_wait(&net, &f);                 // bounded wait
           if (r == VIRTIO_ETIMEDOUT) { r = 0; continue; }     // nothing came: wait again
           if (r == 0) r = virtio_net_send(&net, f.data, f.len);   // back out, as it came
           if (r == 0) r = virtio_net_release(&net, &f);       // its buffer goes back
       }
       print(virtio_result_str(r));
   virtio_net_mac(&net) is our address. virtio_net_send waits until the device has read the
   frame (any memory the device can reach); to keep several frames in flight use
   virtio_net_send_submit, virtio_net_kick and virtio_net_send_poll (see TRANSMIT).

DOES NOT
   allocate, take interrupts, use the control queue (so no MAC filtering, VLAN filtering,
   multiqueue or gratuitous ARP: the device may deliver frames for other addresses, and QEMU's
   does, since it starts promiscuous), segmentation offload (TSO/UFO/USO), or checksum offload.
   VIRTIO_NET_F_CSUM and VIRTIO_NET_F_GUEST_CSUM are not negotiated: frames are sent as the
   caller built them (fully checksummed) and received ones have not been validated.

   Only what is implemented is negotiated: VIRTIO_NET_F_MAC, _STATUS and _MTU, VIRTIO_F_ANY_LAYOUT
   on legacy devices, VIRTIO_NET_F_MRG_RXBUF when the buffers need it (the core adds
   VIRTIO_F_VERSION_1 and VIRTIO_F_EVENT_IDX when offered); under VIRTIO_NET_MINIMAL (see
   CONFIGURATION) MAC and ANY_LAYOUT only.

MEMORY
   A virtio_net object (caller's, must not move after init) and one block for the driver:
   virtio_net_mem_size(&p, &t) bytes aligned to virtio_queue_ring_align(&t) (4096 for a legacy
   transport, 16 for a modern one; 4096 fits both), reachable by the device (DMA).
   VIRTIO_NET_MEM(rx_queue_size, tx_queue_size, rx_bufs, rx_buf_size, frame_mem_size) is a
   compile-time bound that fits every transport (zero arguments mean the defaults, as in the
   params). The block holds, in this order: what the device sees (both queues' rings, the
   transmit header, the receive buffers), then what only the driver touches (both queues'
   shadows, one state byte per receive buffer, the assembly buffer). Frames to send are the
   caller's: any address the device can reach, contiguous for the device.
   Legacy virtio-pci fixes each queue's size (QEMU: 256): the rings have the device's size,
   the driver uses the entries the params ask for. virtio_net_mem_size(&p, &t) with the
   probed transport counts that; the compile-time bound holds there when its queue sizes are
   at least the device's, or for any when the device's are at most 128 (virtio.h,
   VIRTIO_QUEUE_RING_MEM).

RECEIVE (and why VIRTIO_NET_F_MRG_RXBUF is negotiated only when the buffers need it)
   The driver keeps its receive buffers posted. virtio_net_recv_poll hands over one whole
   frame, lent until virtio_net_release, which posts its buffer again (in any order). A buffer
   is VIRTIO_NET_RX_BUF_SIZE bytes by default: a 12-byte header and a 1514-byte frame, so each
   frame fits in one buffer and is handed over where the device wrote it, with no copy.
   MRG_RXBUF (a frame spread over several buffers) is negotiated only when frames do not fit
   in one buffer: buffers smaller than that, or an MTU from the device above them. Then frames
   are put together, by copying, in the assembly buffer (frame_mem_size bytes) and handed over
   from there (one at a time); without MRG_RXBUF offered init fails with VIRTIO_EFEATURES (or,
   for a large MTU, does not negotiate VIRTIO_NET_F_MTU and uses 1500). Why not always:
   without it, a frame too long for a buffer is the device's to drop, and is; with it, QEMU
   holds such a frame until buffers for all of it are posted, so a frame longer than every
   posted buffer together stops reception for good, and the driver cannot tell. With small
   buffers, post room for the longest frame the link may carry. A frame shorter than an
   Ethernet header or longer than virtio_net_max_frame(), or spread over buffers while the
   assembly buffer is still lent, is dropped (counted in stats.rx_dropped) and its buffers go
   straight back to the device.

   The header is 12 bytes when VIRTIO_F_VERSION_1 or MRG_RXBUF is negotiated, else 10 (the
   legacy struct without num_buffers), on both queues. A legacy device without
   VIRTIO_F_ANY_LAYOUT gets the header in a descriptor of its own, on both queues.

TRANSMIT
   A frame is 14 bytes up to virtio_net_max_frame() (MTU + 14) of the caller's memory. It takes
   two descriptors (a shared all-zero header, then the frame), so a transmit queue of n entries
   holds n/2 frames. Two ways to send:
   - virtio_net_send: queues the frame, notifies the device and waits (bounded) until the
     device has read it; then the frame is the caller's again. Nothing submitted may be pending
     (VIRTIO_ESTATE): the frames of the other way must be collected first.
   - virtio_net_send_submit queues a frame without telling the device (VIRTIO_ENOSPC when the
     queue is full: collect, retry); virtio_net_kick tells it, once for the batch;
     virtio_net_send_poll hands back one frame the device has finished with (its pointer), or
     VIRTIO_EAGAIN; virtio_net_send_wait waits (bounded) for one, VIRTIO_EAGAIN at once when
     none is pending. Until a frame comes back that way it must not be touched.

CONFIGURATION
   As virtio.h. VIRTIO_NET_RX_BUF_SIZE (default 1536): the buffer size when rx_buf_size is 0.
   VIRTIO_MEMCPY, if defined where the implementation is, copies frames put together from
   several buffers (default: a byte loop, no libc).
   VIRTIO_NET_MINIMAL (define where the implementation is; VIRTIO_MINIMAL in virtio.h defines
   it too): send and receive frames with the MAC, nothing else, for bootloaders.
   VIRTIO_NET_F_STATUS, _MTU and _MRG_RXBUF are never negotiated: the MTU is 1500, every
   receive buffer must hold a header and a 1514-byte frame (rx_buf_size 0, or at least 1524,
   else VIRTIO_EINVAL; a modern device's 12-byte header needs 1526, else init returns
   VIRTIO_EFEATURES), frame_mem_size must be 0 (else VIRTIO_EINVAL), and no frame is put
   together from several buffers. virtio_net_link_up returns VIRTIO_ENOTSUP after its usual
   checks (the link status is not read: the spec says to assume the link is up). The rest of
   the API is unchanged.

ERRORS
   As virtio.h: 0 or a negative virtio_result. A caller bug (NULL pointer, queue sizes that are
   not powers of two from 2 to 32768, buffers below VIRTIO_NET_RX_BUF_MIN bytes, an assembly
   buffer below 1514 bytes, buffers smaller than a frame without enough of them and an
   assembly buffer, a multicast or all-zero MAC, memory too small or misaligned; a frame
   shorter than 14 bytes or longer than MTU + 14; a release of a frame that is not lent) is
   VIRTIO_EINVAL and changes nothing: no register access, no byte of memory written.
   virtio_net_init on a device of another type is VIRTIO_ENODEV, also before any register
   write. An object that was never initialized (zeroed), or was reset, gives VIRTIO_ESTATE.
   VIRTIO_EFEATURES at init for buffers smaller than a frame on a device without MRG_RXBUF;
   VIRTIO_ENOSPC when the transmit queue is full; VIRTIO_EAGAIN when nothing has arrived or
   finished (or, from a _wait, nothing is pending to wait for).
   Everything the device writes is checked: a used length shorter than the header or longer
   than the buffer, with MRG_RXBUF a num_buffers of 0 or above the buffers posted (without
   it the field is not read: TinyEMU writes 0 there), a spread frame whose buffers are not all used
full or not all there, a header asking for segmentation or checksum work we did not negotiate, an
MTU below 68: each is VIRTIO_EDEVICE, latched (FAILED is set), and every later call returns it until
init again. Buffer ownership (virtio 1.4 "Device Cleanup"): virtio_net_send and virtio_net_send_wait
   never return with a frame still in the device's hands. When their wait fails
   (VIRTIO_ETIMEDOUT, VIRTIO_ENEEDS_RESET, VIRTIO_EDEVICE) they reset the device first: every
   frame given to it is the caller's again, the device reads none of them after the call
   returns, and virtio_net_send_pending is 0. virtio_net_recv_wait resets the device when it
   fails because of the device (VIRTIO_ENEEDS_RESET, VIRTIO_EDEVICE), for the frames that may
   be pending on transmit; its VIRTIO_ETIMEDOUT (nothing came) is no failure and resets
   nothing: receive buffers are the driver's own memory, so no caller buffer is at stake, and
   the device goes on. After a reset the error is latched: call virtio_net_init to use the
   device again. If even the reset does not complete, the call returns VIRTIO_EBUSY: the
   device may still read the frames it was given, so leave them alone and retry
   virtio_net_reset until it returns 0. Calls that never wait (_poll, _submit, _kick,
   _release) never reset: after they fail, frames still pending are the device's until
   virtio_net_reset returns 0.

CONCURRENCY
   One caller per virtio_net at a time; receive and transmit share the object. No globals.
   Every wait is bounded (the accessor's spin_limit and relax hook, see virtio.h).

SPEC
   virtio 1.4 "Device Types / Network Device": feature bits, device configuration layout
   (mac, status, mtu), device initialization, device operation (packet transmission, setting
   up receive buffers, processing of incoming packets), legacy interface notes (the 10-byte
   header, guest-endian fields, the driver-writable mac, used lengths on transmit queues);
   "General Initialization And Device Operation / Device Initialization" and "Device Cleanup".
*/

#ifndef VIRTIO_NET_H
#define VIRTIO_NET_H

/* VIRTIO_MINIMAL (virtio.h): the smallest network driver too. */
#if defined(VIRTIO_MINIMAL) && !defined(VIRTIO_NET_MINIMAL)
#define VIRTIO_NET_MINIMAL
#endif

#ifndef VIRTIO_H
#error "include virtio.h before virtio_net.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Feature bits: "Network Device / Feature bits" ------------------------------------------- */
#define VIRTIO_NET_F_CSUM                0
#define VIRTIO_NET_F_GUEST_CSUM          1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU                 3
#define VIRTIO_NET_F_MAC                 5
#define VIRTIO_NET_F_GSO                 6 /* legacy */
#define VIRTIO_NET_F_GUEST_TSO4          7
#define VIRTIO_NET_F_GUEST_TSO6          8
#define VIRTIO_NET_F_GUEST_ECN           9
#define VIRTIO_NET_F_GUEST_UFO           10
#define VIRTIO_NET_F_HOST_TSO4           11
#define VIRTIO_NET_F_HOST_TSO6           12
#define VIRTIO_NET_F_HOST_ECN            13
#define VIRTIO_NET_F_HOST_UFO            14
#define VIRTIO_NET_F_MRG_RXBUF           15
#define VIRTIO_NET_F_STATUS              16
#define VIRTIO_NET_F_CTRL_VQ             17
#define VIRTIO_NET_F_CTRL_RX             18
#define VIRTIO_NET_F_CTRL_VLAN           19
#define VIRTIO_NET_F_CTRL_RX_EXTRA       20
#define VIRTIO_NET_F_GUEST_ANNOUNCE      21
#define VIRTIO_NET_F_MQ                  22
#define VIRTIO_NET_F_CTRL_MAC_ADDR       23
#define VIRTIO_NET_F_DEVICE_STATS        50
#define VIRTIO_NET_F_HASH_TUNNEL         51
#define VIRTIO_NET_F_VQ_NOTF_COAL        52
#define VIRTIO_NET_F_NOTF_COAL           53
#define VIRTIO_NET_F_GUEST_USO4          54
#define VIRTIO_NET_F_GUEST_USO6          55
#define VIRTIO_NET_F_HOST_USO            56
#define VIRTIO_NET_F_HASH_REPORT         57
#define VIRTIO_NET_F_GUEST_HDRLEN        59
#define VIRTIO_NET_F_RSS                 60
#define VIRTIO_NET_F_RSC_EXT             61
#define VIRTIO_NET_F_STANDBY             62
#define VIRTIO_NET_F_SPEED_DUPLEX        63

/* ---- Configuration layout: struct virtio_net_config, byte offsets ---------------------------- */
#define VIRTIO_NET_CFG_MAC                 0  /* u8[6], valid with VIRTIO_NET_F_MAC */
#define VIRTIO_NET_CFG_STATUS              6  /* le16, with VIRTIO_NET_F_STATUS */
#define VIRTIO_NET_CFG_MAX_VIRTQUEUE_PAIRS 8  /* le16, with VIRTIO_NET_F_MQ or _RSS */
#define VIRTIO_NET_CFG_MTU                 10 /* le16, with VIRTIO_NET_F_MTU */
#define VIRTIO_NET_CFG_SPEED               12 /* le32, with VIRTIO_NET_F_SPEED_DUPLEX */
#define VIRTIO_NET_CFG_DUPLEX              16 /* u8 */
#define VIRTIO_NET_S_LINK_UP               1u
#define VIRTIO_NET_S_ANNOUNCE              2u

/* ---- Packet header: struct virtio_net_hdr ("Network Device / Device Operation") -------------- */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_F_DATA_VALID 2u
#define VIRTIO_NET_HDR_F_RSC_INFO   4u
#define VIRTIO_NET_HDR_GSO_NONE     0u
#define VIRTIO_NET_HDR_GSO_TCPV4    1u
#define VIRTIO_NET_HDR_GSO_UDP      3u
#define VIRTIO_NET_HDR_GSO_TCPV6    4u
#define VIRTIO_NET_HDR_GSO_UDP_L4   5u
#define VIRTIO_NET_HDR_GSO_ECN      0x80u

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
#define VIRTIO_NET_HDR_LEN        12u /* modern, or MRG_RXBUF negotiated */
#define VIRTIO_NET_HDR_LEN_LEGACY 10u /* legacy without MRG_RXBUF */

#define VIRTIO_NET_ETH_HLEN    14u   /* destination, source, EtherType */
#define VIRTIO_NET_MTU_DEFAULT 1500u /* the MTU when the device states none */
#define VIRTIO_NET_MTU_MIN     68u   /* smallest MTU a device may state */
#define VIRTIO_NET_RX_QUEUE    0u    /* receiveq1 */
#define VIRTIO_NET_TX_QUEUE    1u    /* transmitq1 */

/* Receive buffers: the default size holds the header and a 1514-byte frame (rounded up to 16);
   the minimum is what a buffer that is part of a spread frame must hold at least. */
#ifndef VIRTIO_NET_RX_BUF_SIZE
#define VIRTIO_NET_RX_BUF_SIZE 1536u
#endif
#define VIRTIO_NET_RX_BUF_MIN 64u
#define VIRTIO_NET_QUEUE_SIZE 64u /* default entries of each queue */
#define VIRTIO_NET_RX_BUFS    32u /* default receive buffers */

/* What virtio_net_init needs. Zero-initialize, then fill; zero fields take the defaults. */
typedef struct virtio_net_params {
    uint32_t rx_queue_size;  /* receive queue entries wanted: a power of two, 2..32768, default
                                64; a device that offers fewer gets fewer */
    uint32_t tx_queue_size;  /* transmit queue entries, the same; two per frame in flight */
    uint32_t rx_bufs;        /* receive buffers, default 32, at most 65534; more than the
                                queue holds is fine (the rest wait, idle, for room) */
    uint32_t rx_buf_size;    /* bytes per buffer (header included), at least
                                VIRTIO_NET_RX_BUF_MIN; 0 = VIRTIO_NET_RX_BUF_SIZE */
    uint32_t frame_mem_size; /* assembly buffer for frames spread over several buffers
                                (MRG_RXBUF): needed when buffers are smaller than a frame; at
                                least 1514 bytes, more for a device's larger MTU; 0 = none */
    const uint8_t *mac;      /* address when the device has none; NULL = 02:00:00:00:00:01 */
} virtio_net_params;

/* Bytes of driver memory for `p` (NULL = defaults) on transport `t` (NULL = the bound for any
   transport), to be aligned to virtio_queue_ring_align(t). 0 if p is invalid. */
VIRTIO_API size_t virtio_net_mem_size(const virtio_net_params *p, const virtio_transport *t);
/* The same for any transport, at compile time (zero arguments = the defaults). */
#define VIRTIO_NET_MEM(rx_queue_size, tx_queue_size, rx_bufs, rx_buf_size, frame_mem_size)         \
    (VIRTIO_QUEUE_MEM(VIRTIO_NET__OR(rx_queue_size, VIRTIO_NET_QUEUE_SIZE)) +                      \
     VIRTIO_QUEUE_MEM(VIRTIO_NET__OR(tx_queue_size, VIRTIO_NET_QUEUE_SIZE)) +                      \
     VIRTIO_NET__OR(rx_bufs, VIRTIO_NET_RX_BUFS) *                                                 \
         (VIRTIO_NET__OR(rx_buf_size, VIRTIO_NET_RX_BUF_SIZE) + 1u) +                              \
     (size_t)(frame_mem_size) + 64u) /* 64: the transmit header and alignment */
#define VIRTIO_NET__OR(x, dflt) ((x) ? (size_t)(x) : (size_t)(dflt))

/* A received frame, lent to the caller until virtio_net_release. */
typedef struct virtio_net_frame {
    uint8_t *data;  /* the frame: destination MAC, source MAC, EtherType, payload (no FCS) */
    uint32_t len;   /* its length: 14 .. virtio_net_max_frame() */
    uint16_t buf;   /* receive buffer number, or VIRTIO_NET_FRAME_ASSEMBLED (assembly buffer) */
    uint16_t nbufs; /* buffers the device spread it over (1 unless assembled) */
} virtio_net_frame;
#define VIRTIO_NET_FRAME_ASSEMBLED 0xffffu

/* Counters; read them freely (net.stats). */
typedef struct virtio_net_stats {
    uint32_t rx_frames, tx_frames; /* handed to the caller / queued for the device */
    uint64_t rx_bytes, tx_bytes;
    uint32_t rx_dropped;   /* too short, too long, or no room to assemble */
    uint32_t rx_assembled; /* frames put together from several buffers */
} virtio_net_stats;

/* The driver's state. Fields are the library's (but for stats): use the functions. */
typedef struct virtio_net {
    virtio_dev dev;
    virtio_queue rxq, txq; /* zeroed whenever no buffer can be in the device */
    virtio_net_stats stats;
    uint8_t mac[6];     /* our address (the device's with VIRTIO_NET_F_MAC) */
    uint8_t split_hdr;  /* header in a descriptor of its own (legacy without ANY_LAYOUT) */
    uint32_t hdr_len;   /* 10 or 12 */
    uint32_t mtu;       /* the device's (VIRTIO_NET_F_MTU) or 1500 */
    uint32_t max_frame; /* mtu + 14 */
    uint8_t *tx_hdr;    /* 16 zero bytes the device reads before every transmitted frame */
    uint8_t *rx_state;  /* one byte per receive buffer */
    uint8_t *rx_bufs;   /* rx_count buffers of rx_buf_size bytes */
    uint32_t rx_buf_size;
    uint32_t rx_count;  /* receive buffers */
    uint32_t rx_posted; /* of them, posted to the device */
    uint32_t rx_idle;   /* of them, neither posted nor lent (waiting for queue room) */
    uint32_t rx_scan;   /* where the next look for idle buffers starts */
    uint8_t *frame_mem; /* assembly buffer, or NULL */
    uint32_t frame_mem_size;
    uint32_t frame_lent; /* the assembly buffer holds a frame the caller has */
} virtio_net;

/* Brings up the network device behind the probed transport `t` (virtio 1.4 "Device
   Initialization"): resets it (before any byte of `mem` is written: an earlier boot stage may
   have left it running), negotiates only what this driver implements, reads the
   configuration (MAC, link status, MTU), sets up receive queue 0 and transmit queue 1 in
   `mem`, posts the receive buffers, DRIVER_OK. p NULL = defaults. VIRTIO_EINVAL (nothing
   touched), VIRTIO_ENODEV (not a network device, nothing touched), VIRTIO_EBUSY (the device
   did not reset within VIRTIO_RESET_SPIN status reads, as Firecracker's never does once
   activated: `mem` untouched, later calls return VIRTIO_EBUSY; frames an earlier init or boot
   stage gave the device are still its own although virtio_net_send_pending reads 0, so leave
   them and `mem` alone until virtio_net_reset or another init succeeds), VIRTIO_EFEATURES if the
   buffers are smaller than a frame and the device cannot spread frames (no MRG_RXBUF), or what a
   later step returned (the device is then marked FAILED). If the device states an MTU larger than
   the buffers (or the assembly buffer, with MRG_RXBUF) can hold, VIRTIO_NET_F_MTU is not negotiated
   and the MTU is 1500. */
VIRTIO_API int virtio_net_init(virtio_net *net, const virtio_transport *t,
                               const virtio_net_params *p, void *mem, size_t mem_size);

/* Resets the device: every frame given to it is the caller's again, and lent receive frames
   are gone. 0, or VIRTIO_EBUSY if the reset did not complete: the frames still pending stay
   the device's (virtio_net_send_pending counts them), the device may still write `mem`, and
   every call returns VIRTIO_EBUSY (latched); call this again to retry. Initialize again to use
   the device. */
VIRTIO_API int virtio_net_reset(virtio_net *net);

/* Queries (valid after a successful init; 0 or NULL before). */
VIRTIO_API const uint8_t *virtio_net_mac(const virtio_net *net); /* 6 bytes */
VIRTIO_API uint32_t virtio_net_mtu(const virtio_net *net);
VIRTIO_API uint32_t virtio_net_max_frame(const virtio_net *net); /* mtu + 14 */
VIRTIO_API uint32_t virtio_net_hdr_len(const virtio_net *net);   /* 10 or 12 */
/* 1 if the link is up, 0 if down (read from the device each call; always 1 without
   VIRTIO_NET_F_STATUS, as the spec says to assume), or a negative error; VIRTIO_ENOTSUP under
   VIRTIO_NET_MINIMAL. */
VIRTIO_API int virtio_net_link_up(virtio_net *net);

/* Receive. virtio_net_recv_poll hands over the next frame without waiting, or returns
   VIRTIO_EAGAIN. virtio_net_recv_wait waits (bounded) for one: VIRTIO_ETIMEDOUT if none came
   (nothing is reset: see ERRORS), VIRTIO_EAGAIN at once if the caller holds every buffer (no
   frame can come until one is released). The frame stays the caller's until
   virtio_net_release, which posts its buffer to the device again; frames may be released in
   any order. VIRTIO_EINVAL for a frame that is not lent. */
VIRTIO_API int virtio_net_recv_poll(virtio_net *net, virtio_net_frame *frame);
VIRTIO_API int virtio_net_recv_wait(virtio_net *net, virtio_net_frame *frame);
VIRTIO_API int virtio_net_release(virtio_net *net, const virtio_net_frame *frame);

/* Transmit `len` bytes at `frame` (a whole Ethernet frame, without FCS, 14 ..
   virtio_net_max_frame() bytes, else VIRTIO_EINVAL). virtio_net_send: the whole operation,
   waiting (bounded) until the device has read the frame; VIRTIO_ESTATE while submitted frames
   are pending. virtio_net_send_submit: queued, not yet told (VIRTIO_ENOSPC when the queue is
   full); virtio_net_kick tells the device about every submitted frame. */
VIRTIO_API int virtio_net_send(virtio_net *net, const void *frame, size_t len);
VIRTIO_API int virtio_net_send_submit(virtio_net *net, const void *frame, size_t len);
VIRTIO_API int virtio_net_kick(virtio_net *net);
/* One submitted frame the device has finished with: its pointer in *frame (which may be NULL),
   in the order the device finishes them. _poll: VIRTIO_EAGAIN when none has finished. _wait:
   tells the device about submitted frames first (as virtio_net_kick), then waits (bounded);
   VIRTIO_EAGAIN at once when none is pending; resets the device if the wait fails (ERRORS). */
VIRTIO_API int virtio_net_send_poll(virtio_net *net, const void **frame);
VIRTIO_API int virtio_net_send_wait(virtio_net *net, const void **frame);
/* Frames submitted and not yet handed back (0 for NULL, or after a reset). */
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

/* The standard Ethernet frame every configuration must be able to receive. */
#define VIRTIO_NET__STD_FRAME (VIRTIO_NET_MTU_DEFAULT + VIRTIO_NET_ETH_HLEN)
#define VIRTIO_NET__TX_HDR    16u /* bytes kept for the transmit header (12 used) */

enum { VIRTIO_NET__IDLE = 0, VIRTIO_NET__POSTED = 1, VIRTIO_NET__LENT = 2 };

/* Layout check: struct virtio_net_hdr up to num_buffers is 12 bytes, num_buffers at 10. */
typedef char virtio_net__hdr_size_check[sizeof(virtio_net_hdr) == VIRTIO_NET_HDR_LEN &&
                                                offsetof(virtio_net_hdr, num_buffers) == 10
                                            ? 1
                                            : -1];

static const uint8_t virtio_net__default_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* ---- Memory plan: one layout for virtio_net_mem_size and virtio_net_init --------------------- */
/* Offsets into the caller's block. What the device sees comes first (rings aligned to
   virtio_queue_ring_align(t), then the transmit header and the receive buffers, 16-aligned);
   what only the driver touches follows (8-aligned), apart from device-writable memory. */
typedef struct virtio_net__plan {
    uint32_t rxq, txq, nbufs, bsize, frame; /* the params, defaults filled in */
    uint32_t reach; /* buffers the receive queue can hold at once, as asked */
    int mrg_needed; /* buffers smaller than a standard frame: MRG_RXBUF or nothing */
    size_t rx_ring, rx_ring_size, tx_ring, tx_ring_size;
    size_t tx_hdr, bufs;
    size_t rx_shadow, rx_shadow_size, tx_shadow, tx_shadow_size;
    size_t state, frame_off, total;
} virtio_net__plan;

static uint32_t virtio_net__or(uint32_t v, uint32_t dflt) { return v ? v : dflt; }

/* The params, defaults filled in, checked on their own (no memory involved). */
static int virtio_net__plan_params(const virtio_net_params *p, virtio_net__plan *pl) {
    static const virtio_net_params none = {0, 0, 0, 0, 0, 0};
    if (!p) p = &none;
    pl->rxq = virtio_net__or(p->rx_queue_size, VIRTIO_NET_QUEUE_SIZE);
    pl->txq = virtio_net__or(p->tx_queue_size, VIRTIO_NET_QUEUE_SIZE);
    pl->nbufs = virtio_net__or(p->rx_bufs, VIRTIO_NET_RX_BUFS);
    pl->bsize = virtio_net__or(p->rx_buf_size, VIRTIO_NET_RX_BUF_SIZE);
    pl->frame = p->frame_mem_size;
    /* A queue holds at least one receive buffer and one frame to send (two descriptors). */
    if (pl->rxq < 2 || pl->txq < 2 || virtio_queue_ring_size(0, pl->rxq) == 0 ||
        virtio_queue_ring_size(0, pl->txq) == 0)
        return VIRTIO_EINVAL;
    /* Buffer numbers are 16 bits, one of them VIRTIO_NET_FRAME_ASSEMBLED. */
    if (pl->nbufs > 0xfffeu || pl->bsize < VIRTIO_NET_RX_BUF_MIN || pl->bsize > 0x7fffffffu)
        return VIRTIO_EINVAL;
    if (pl->frame != 0 && pl->frame < VIRTIO_NET__STD_FRAME) return VIRTIO_EINVAL;
    if (p->mac && ((p->mac[0] & 1u) != 0 ||
                   (p->mac[0] | p->mac[1] | p->mac[2] | p->mac[3] | p->mac[4] | p->mac[5]) == 0))
        return VIRTIO_EINVAL; /* a multicast or all-zero address is nobody's */
    /* Every configuration receives a standard frame: in one buffer, or spread over several
       (MRG_RXBUF, then required) and put together in the assembly buffer, which needs enough
       buffers in the queue at once for one frame. */
    pl->reach = pl->nbufs < pl->rxq ? pl->nbufs : pl->rxq;
    pl->mrg_needed = pl->bsize < VIRTIO_NET_HDR_LEN_LEGACY + VIRTIO_NET__STD_FRAME;
#ifdef VIRTIO_NET_MINIMAL /* no MRG_RXBUF: every frame in one buffer, no assembly buffer */
    if (pl->mrg_needed || pl->frame != 0) return VIRTIO_EINVAL;
#endif
    if (pl->mrg_needed && (pl->frame == 0 || (uint64_t)pl->reach * pl->bsize <
                                                 VIRTIO_NET_HDR_LEN + VIRTIO_NET__STD_FRAME))
        return VIRTIO_EINVAL;
    return VIRTIO_OK;
}

static int virtio_net__plan_for(const virtio_net_params *p, const virtio_transport *t,
                                virtio_net__plan *pl) {
    size_t align = virtio_queue_ring_align(t), off;
    uint64_t bufs;
    int r = virtio_net__plan_params(p, pl);
    if (r) return r;
    bufs = (uint64_t)pl->nbufs * pl->bsize;
    if (bufs > ((size_t)-1 >> 2)) return VIRTIO_EINVAL; /* no block that large (32-bit) */
    pl->rx_ring = 0;
    pl->rx_ring_size = virtio_queue_ring_size(t, pl->rxq);
    pl->tx_ring = virtio_align_up(pl->rx_ring_size, align);
    pl->tx_ring_size = virtio_queue_ring_size(t, pl->txq);
    pl->tx_hdr = virtio_align_up(pl->tx_ring + pl->tx_ring_size, 16u);
    pl->bufs = pl->tx_hdr + VIRTIO_NET__TX_HDR;
    pl->rx_shadow = virtio_align_up(pl->bufs + (size_t)bufs, 8u);
    pl->rx_shadow_size = virtio_queue_shadow_size(pl->rxq);
    pl->tx_shadow = virtio_align_up(pl->rx_shadow + pl->rx_shadow_size, 8u);
    pl->tx_shadow_size = virtio_queue_shadow_size(pl->txq);
    pl->state = virtio_align_up(pl->tx_shadow + pl->tx_shadow_size, 8u);
    off = virtio_align_up(pl->state + pl->nbufs, 8u);
    pl->frame_off = pl->frame ? off : 0;
    pl->total = off + pl->frame;
    if (pl->total < off) return VIRTIO_EINVAL;
    return VIRTIO_OK;
}

VIRTIO_DEF size_t virtio_net_mem_size(const virtio_net_params *p, const virtio_transport *t) {
    virtio_net__plan pl;
    return virtio_net__plan_for(p, t, &pl) == VIRTIO_OK ? pl.total : 0u;
}

/* ---- Small helpers --------------------------------------------------------------------------- */
/* MRG_RXBUF negotiated (never under VIRTIO_NET_MINIMAL). */
#ifdef VIRTIO_NET_MINIMAL
#define VIRTIO_NET__MRG(net) 0
#else
#define VIRTIO_NET__MRG(net) virtio_dev_has(&(net)->dev, VIRTIO_NET_F_MRG_RXBUF)
#endif

static uint8_t *virtio_net__buf(const virtio_net *net, uint32_t i) {
    return net->rx_bufs + (size_t)i * net->rx_buf_size;
}

/* A 16-bit header field in device order (little-endian, or guest order on legacy devices), at
   any alignment: through a local, since a buffer may start at any address. */
static void virtio_net__put16(const virtio_net *net, uint8_t *p, uint32_t v) {
    uint16_t x = virtio_dev_order16(&net->dev, (uint16_t)v);
    virtio_copy(p, &x, 2);
}
static uint16_t virtio_net__get16(const virtio_net *net, const uint8_t *p) {
    uint16_t x = 0; /* virtio_copy skips a NULL source: never left unset */
    virtio_copy(&x, p, 2);
    return virtio_dev_order16(&net->dev, x);
}

/* A device fault: latched in the device (FAILED set), returned by every later call. */
static int virtio_net__fault(virtio_net *net) { return virtio_dev_fail(&net->dev, VIRTIO_EDEVICE); }

/* 0 if the object is initialized and healthy: the device's latched error first (it may be one
   that left no queues, e.g. after a failed wait), then the queues' (VIRTIO_ESTATE if none). */
static int virtio_net__usable(const virtio_net *net) {
    int r = virtio_dev_usable(&net->dev);
    if (r == VIRTIO_OK) r = virtio_queue_usable(&net->rxq);
    if (r == VIRTIO_OK) r = virtio_queue_usable(&net->txq);
    return r;
}

/* Forgets both queues: only once the device holds no buffer of ours. */
static void virtio_net__drop_queues(virtio_net *net) {
    virtio_zero(&net->rxq, sizeof net->rxq);
    virtio_zero(&net->txq, sizeof net->txq);
}

/* The one way out of a failed wait: reset the device so every frame it held is the caller's,
   and latch `error`. If the reset did not complete (VIRTIO_EBUSY) the queues stay, so
   virtio_net_send_pending still counts what is out. */
static int virtio_net__abandon(virtio_net *net, int error) {
    int r = virtio_dev_abandon(&net->dev, error);
    if (r != VIRTIO_EBUSY) virtio_net__drop_queues(net);
    return r;
}

/* A result of a wait that means the device, not the caller, went wrong. */
static int virtio_net__device_error(int r) {
    return r == VIRTIO_ENEEDS_RESET || r == VIRTIO_EDEVICE;
}

/* ---- Initialization: "Network Device / Device Initialization" -------------------------------- */
/* Once the device is reset and idle, the memory is ours. It starts from zero; the object
   points into it. */
static void virtio_net__carve(virtio_net *net, const virtio_net__plan *pl, uint8_t *mem) {
    virtio_zero(mem, pl->total);
    net->tx_hdr = mem + pl->tx_hdr;
    net->rx_bufs = mem + pl->bufs;
    net->rx_state = mem + pl->state;
    net->rx_buf_size = pl->bsize;
    net->rx_count = pl->nbufs;
    net->frame_mem = pl->frame ? mem + pl->frame_off : 0;
    net->frame_mem_size = pl->frame;
}

/* Can a frame of max_frame bytes be received: in one buffer after a header of hdr bytes, or
   (mrg) spread over as many buffers as the queue holds at once and put together? */
static int virtio_net__fits(const virtio_net__plan *pl, uint32_t max_frame, uint32_t hdr, int mrg) {
    if ((uint64_t)pl->bsize >= (uint64_t)hdr + max_frame) return 1;
    return mrg && pl->frame >= max_frame &&
           (uint64_t)pl->reach * pl->bsize >= (uint64_t)hdr + max_frame;
}

/* Steps 4-6 (features), the choice: which device features to ask for. The MTU is read before
   any is accepted ("During this step the driver MAY read (but MUST NOT write) the
   device-specific configuration fields to check that it can support the device before
   accepting it"), so one choice serves: "If the driver negotiates VIRTIO_NET_F_MTU, it MUST
   supply enough receive buffers to receive at least one receive packet of size mtu (plus low
   level ethernet header length)". Preferred: the device's MTU, then 1500; each frame in one
   buffer, then spread (MRG_RXBUF). */
#ifdef VIRTIO_NET_MINIMAL
/* VIRTIO_NET_MINIMAL: the MAC (and ANY_LAYOUT on legacy devices) only; MTU 1500, each frame in
   one buffer, which the params check made sure of but for the modern header's 2 bytes more. */
static int virtio_net__choose(virtio_net *net, const virtio_net__plan *pl, uint64_t *wanted,
                              uint64_t *required) {
    int legacy = virtio_dev_legacy(&net->dev);
    *wanted = VIRTIO_BIT(VIRTIO_NET_F_MAC);
    if (legacy) *wanted |= VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT);
    *required = 0u;
    return virtio_net__fits(pl, VIRTIO_NET__STD_FRAME,
                            legacy ? VIRTIO_NET_HDR_LEN_LEGACY : VIRTIO_NET_HDR_LEN, 0)
               ? VIRTIO_OK
               : VIRTIO_EFEATURES;
}
#else
static int virtio_net__choose(virtio_net *net, const virtio_net__plan *pl, uint64_t *wanted,
                              uint64_t *required) {
    uint64_t offered;
    uint32_t dev_mtu = 0, k;
    int legacy = virtio_dev_legacy(&net->dev);
    int r = virtio_dev_read_offer(&net->dev, &offered);
    if (r) return r;
    if (virtio_dev_offers(&net->dev, VIRTIO_NET_F_MTU)) {
        dev_mtu = virtio_config_read16(&net->dev, VIRTIO_NET_CFG_MTU);
        /* "The device MUST set mtu to between 68 and 65535 inclusive". */
        if (dev_mtu < VIRTIO_NET_MTU_MIN) return VIRTIO_EDEVICE;
    }
    /* Only what is implemented. ANY_LAYOUT (legacy only; VERSION_1 implies it) lets the
       receive header share its buffer's descriptor. */
    *wanted = VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS);
    if (legacy) *wanted |= VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT);
    *required = pl->mrg_needed ? VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) : 0u;
    for (k = 0; k < 4; k++) {
        int take_mtu = k < 2, mrg = (int)(k & 1u);
        uint32_t mtu = take_mtu ? dev_mtu : VIRTIO_NET_MTU_DEFAULT;
        uint32_t hdr = (!legacy || mrg) ? VIRTIO_NET_HDR_LEN : VIRTIO_NET_HDR_LEN_LEGACY;
        if ((take_mtu && dev_mtu == 0) || (!mrg && pl->mrg_needed) ||
            (mrg && !virtio_dev_offers(&net->dev, VIRTIO_NET_F_MRG_RXBUF)))
            continue;
        if (!virtio_net__fits(pl, mtu + VIRTIO_NET_ETH_HLEN, hdr, mrg)) continue;
        if (take_mtu) *wanted |= VIRTIO_BIT(VIRTIO_NET_F_MTU);
        if (mrg) *wanted |= VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
        return VIRTIO_OK;
    }
    /* Buffers smaller than a frame and no MRG_RXBUF; or buffers of 1524 or 1525 bytes on a
       modern device, where the 12-byte header leaves no room for 1514 bytes. */
    return VIRTIO_EFEATURES;
}
#endif

typedef struct virtio_net__cfg {
    uint8_t mac[6];
    uint16_t status;
    uint16_t mtu;
} virtio_net__cfg;

/* Reads mac, status and mtu inside virtio_config_atomic, so they belong together. */
static int virtio_net__read_config(virtio_dev *dev, void *ctx) {
    virtio_net__cfg *c = (virtio_net__cfg *)ctx;
    uint32_t i, tries;
    for (i = 0; i < 6; i++)
        c->mac[i] = virtio_config_read8(dev, VIRTIO_NET_CFG_MAC + i);
    /* Six bytes are not read atomically, and a legacy device has no generation: read them
       again until two reads agree ("Legacy Interface: Device Configuration Space"). */
    for (tries = 0; virtio_dev_legacy(dev) && tries < VIRTIO_CONFIG_RETRIES; tries++) {
        uint8_t again[6], same = 1;
        for (i = 0; i < 6; i++) {
            again[i] = virtio_config_read8(dev, VIRTIO_NET_CFG_MAC + i);
            if (again[i] != c->mac[i]) same = 0;
            c->mac[i] = again[i];
        }
        if (same) break;
    }
    if (tries == VIRTIO_CONFIG_RETRIES) return VIRTIO_EDEVICE;
#ifdef VIRTIO_NET_MINIMAL /* neither STATUS nor MTU negotiated */
    c->status = (uint16_t)VIRTIO_NET_S_LINK_UP;
    c->mtu = (uint16_t)VIRTIO_NET_MTU_DEFAULT;
#else
    c->status = virtio_dev_has(dev, VIRTIO_NET_F_STATUS)
                    ? virtio_config_read16(dev, VIRTIO_NET_CFG_STATUS)
                    : (uint16_t)VIRTIO_NET_S_LINK_UP;
    c->mtu = virtio_dev_has(dev, VIRTIO_NET_F_MTU) ? virtio_config_read16(dev, VIRTIO_NET_CFG_MTU)
                                                   : (uint16_t)VIRTIO_NET_MTU_DEFAULT;
#endif
    return VIRTIO_OK;
}

/* Step 7 (device-specific setup), after negotiation: header length, MTU and MAC. */
static int virtio_net__configure(virtio_net *net, const virtio_net__plan *pl,
                                 const virtio_net_params *p) {
    virtio_net__cfg cfg;
    uint32_t i;
    int mrg = VIRTIO_NET__MRG(net);
    int r = virtio_config_atomic(&net->dev, virtio_net__read_config, &cfg);
    if (r) return r;
    net->hdr_len = (virtio_dev_has(&net->dev, VIRTIO_F_VERSION_1) || mrg)
                       ? VIRTIO_NET_HDR_LEN
                       : VIRTIO_NET_HDR_LEN_LEGACY;
    net->mtu = cfg.mtu;
    net->max_frame = net->mtu + VIRTIO_NET_ETH_HLEN;
    /* The MTU was checked in step 4; a device that changed it since cannot be trusted. */
    if (net->mtu < VIRTIO_NET_MTU_MIN || !virtio_net__fits(pl, net->max_frame, net->hdr_len, mrg))
        return VIRTIO_EDEVICE;
    /* "If the driver negotiates the VIRTIO_NET_F_MAC feature, the driver MUST set the physical
       address of the NIC to mac. Otherwise, it SHOULD use a locally-administered MAC address".
       Telling the device our own: the legacy interface's mac "is driver-writable which provided
       a way for drivers to update the MAC without negotiating VIRTIO_NET_F_CTRL_MAC_ADDR", so
       a legacy device is told; a modern one cannot be ("The driver MUST NOT write to any of
       the device configuration fields", and the control queue's VIRTIO_NET_CTRL_MAC_ADDR_SET
       is not implemented). It matters only to a device that filters, which without the
       control queue QEMU's does not. */
    if (virtio_dev_has(&net->dev, VIRTIO_NET_F_MAC)) {
        for (i = 0; i < 6; i++)
            net->mac[i] = cfg.mac[i];
    } else {
        const uint8_t *mac = (p && p->mac) ? p->mac : virtio_net__default_mac;
        for (i = 0; i < 6; i++)
            net->mac[i] = mac[i];
        if (virtio_dev_legacy(&net->dev))
            for (i = 0; i < 6; i++)
                virtio_config_write8(&net->dev, VIRTIO_NET_CFG_MAC + i, net->mac[i]);
    }
    return VIRTIO_OK;
}

/* Step 7, the queues: receiveq1 is queue 0, transmitq1 queue 1 (no MQ, no control queue). */
static int virtio_net__setup_queues(virtio_net *net, const virtio_net__plan *pl, uint8_t *mem) {
    virtio_queue_params qp;
    uint32_t per_buf, reach;
    int r;
    net->split_hdr =
        (uint8_t)(virtio_dev_legacy(&net->dev) && !virtio_dev_has(&net->dev, VIRTIO_F_ANY_LAYOUT) &&
                  !VIRTIO_NET__MRG(net));
    virtio_zero(&qp, sizeof qp);
    qp.size = pl->rxq;
    qp.ring = mem + pl->rx_ring;
    qp.ring_size = pl->rx_ring_size;
    qp.shadow = mem + pl->rx_shadow;
    qp.shadow_size = pl->rx_shadow_size;
    r = virtio_queue_init(&net->rxq, &net->dev, VIRTIO_NET_RX_QUEUE, &qp);
    if (r) return r;
    /* The used length of a transmit buffer is 0 (nothing is writable), which the core checks on
       modern devices. "When using the legacy interface, the driver SHOULD ignore the used
       length for the transmit queues": there the queue is told to. */
    qp.size = pl->txq;
    qp.flags = virtio_dev_legacy(&net->dev) ? VIRTIO_QUEUE_F_IGNORE_LEN : 0u;
    qp.ring = mem + pl->tx_ring;
    qp.ring_size = pl->tx_ring_size;
    qp.shadow = mem + pl->tx_shadow;
    qp.shadow_size = pl->tx_shadow_size;
    r = virtio_queue_init(&net->txq, &net->dev, VIRTIO_NET_TX_QUEUE, &qp);
    if (r) return r;
    /* A device that shrank a queue below one frame's worth leaves nothing to work with. */
    per_buf = net->split_hdr ? 2u : 1u;
    reach = virtio_queue_size(&net->rxq) / per_buf;
    if (reach < 1u || virtio_queue_size(&net->txq) < 2u) return VIRTIO_EDEVICE;
    if (reach > net->rx_count) reach = net->rx_count;
    if (net->rx_buf_size - net->hdr_len < net->max_frame &&
        (uint64_t)reach * net->rx_buf_size < (uint64_t)net->hdr_len + net->max_frame)
        return VIRTIO_EDEVICE; /* too few buffers fit in the queue for one frame */
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
    /* num_buffers with MRG_RXBUF: preset to what no device may leave there (0: the device must
       write the count), so a device that does not write it is caught. Without MRG_RXBUF the
       field is not read (see virtio_net__check_hdr). */
    if (VIRTIO_NET__MRG(net)) virtio_net__put16(net, b + 10, 0u);
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

/* The end of step 7 ("Fill the receive queues with buffers"), step 8 (DRIVER_OK), then the
   first notification ("The driver MUST NOT send any buffer available notifications to the
   device before setting DRIVER_OK"). Buffers the queue cannot hold wait, idle, for room. */
static int virtio_net__start(virtio_net *net) {
    uint32_t i;
    int r;
    for (i = 0; i < net->rx_count; i++) {
        r = virtio_net__repost(net, i);
        if (r) return virtio_dev_fail(&net->dev, r);
    }
    r = virtio_dev_ready(&net->dev);
    return r ? r : virtio_queue_kick(&net->rxq);
}

VIRTIO_DEF int virtio_net_init(virtio_net *net, const virtio_transport *t,
                               const virtio_net_params *p, void *mem, size_t mem_size) {
    virtio_net__plan pl;
    uint64_t wanted = 0, required = 0;
    int r;
    /* Caller errors first, before any register access or memory write. Step numbers below are
       those of virtio 1.4 "Device Initialization". */
    if (!net || !t || !mem || virtio_net__plan_for(p, t, &pl) != VIRTIO_OK) return VIRTIO_EINVAL;
    if (mem_size < pl.total || ((uintptr_t)mem & (virtio_queue_ring_align(t) - 1u)) != 0)
        return VIRTIO_EINVAL;
    /* 1-3. Attach (VIRTIO_ENODEV for another device type, before any access), reset, ACKNOWLEDGE,
       DRIVER: until the reset completes, a device an earlier stage left running may still
       write `mem`. */
    r = virtio_dev_init(&net->dev, t, VIRTIO_ID_NET);
    if (r == VIRTIO_EINVAL || r == VIRTIO_ENODEV || r == VIRTIO_EVERSION) return r;
    /* The rest of the object starts from zero (no queues until step 7), even when the reset
       failed, so that no call follows a pointer of an earlier life. dev is the first field. */
    virtio_zero(&net->rxq, sizeof *net - offsetof(virtio_net, rxq));
    if (r) return r;
    /* The device is idle: the memory is ours. */
    virtio_net__carve(net, &pl, (uint8_t *)mem);
    /* 4-6. Features: only what is implemented, and what the buffers can take. */
    r = virtio_net__choose(net, &pl, &wanted, &required);
    if (r == VIRTIO_OK) r = virtio_dev_negotiate(&net->dev, wanted, required);
    /* 7. Device-specific setup: configuration (header length, MTU, MAC), the queues. */
    if (r == VIRTIO_OK) r = virtio_net__configure(net, &pl, p);
    if (r == VIRTIO_OK) r = virtio_net__setup_queues(net, &pl, (uint8_t *)mem);
    if (r) return virtio_dev_fail(&net->dev, r);
    /* 7-8. Receive buffers, DRIVER_OK, first notification. */
    return virtio_net__start(net);
}

VIRTIO_DEF int virtio_net_reset(virtio_net *net) {
    int r;
    if (!net) return VIRTIO_EINVAL;
    r = virtio_dev_reset(&net->dev);
    if (r == VIRTIO_ESTATE) return r; /* never initialized: nothing to reset */
    if (r == VIRTIO_OK) virtio_net__drop_queues(net);
    return r;
}

VIRTIO_DEF const uint8_t *virtio_net_mac(const virtio_net *net) {
    /* NULL before init (a zeroed object), as documented */
    return net && virtio_dev_usable(&net->dev) != VIRTIO_ESTATE ? net->mac : 0;
}
VIRTIO_DEF uint32_t virtio_net_mtu(const virtio_net *net) { return net ? net->mtu : 0; }
VIRTIO_DEF uint32_t virtio_net_max_frame(const virtio_net *net) { return net ? net->max_frame : 0; }
VIRTIO_DEF uint32_t virtio_net_hdr_len(const virtio_net *net) { return net ? net->hdr_len : 0; }

VIRTIO_DEF int virtio_net_link_up(virtio_net *net) {
    int r;
    if (!net) return VIRTIO_EINVAL;
    r = virtio_net__usable(net);
    if (r) return r;
#ifdef VIRTIO_NET_MINIMAL /* STATUS is never negotiated: the link status is not read */
    return VIRTIO_ENOTSUP;
#else
    /* "If the driver does not negotiate the VIRTIO_NET_F_STATUS feature, it SHOULD assume the
       link is active, otherwise it SHOULD read the link status from the bottom bit of
       status". */
    if (!virtio_dev_has(&net->dev, VIRTIO_NET_F_STATUS)) return 1;
    return (virtio_config_read16(&net->dev, VIRTIO_NET_CFG_STATUS) & VIRTIO_NET_S_LINK_UP) ? 1 : 0;
#endif
}

/* ---- Receive: "Network Device / Device Operation / Processing of Incoming Packets" ----------- */
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
    /* Without MRG_RXBUF a frame is one buffer whatever num_buffers says ("The device MUST use
       only a single descriptor"), so the field is not read: the spec wants 1 there, QEMU leaves
       what the driver wrote, TinyEMU writes 0 (its whole header is zeroes). */
    if (VIRTIO_NET__MRG(net)) {
        nb = virtio_net__get16(net, b + 10);
        /* "at least num_buffers are observed by driver as used": no more than were posted
           (this one included). */
        if (nb == 0 || nb > net->rx_posted + 1u) return virtio_net__fault(net);
    }
    return (int)nb;
}

#ifndef VIRTIO_NET_MINIMAL
/* Consumes the rest of a frame spread over `nb` buffers whose first one (index `head`, `len`
   bytes used) has been taken: copies it into the assembly buffer when `keep`, posts every
   buffer again. Returns the frame length, 0 if it was dropped, or a (latched) error. */
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
        if ((k + 1 < nb && ulen != net->rx_buf_size) || ulen < off) return virtio_net__fault(net);
        if (keep && total + (ulen - off) <= net->frame_mem_size)
            virtio_copy(net->frame_mem + total, virtio_net__buf(net, idx) + off, ulen - off);
        total += ulen - off;
        r = virtio_net__repost(net, idx);
        if (r) return virtio_dev_fail(&net->dev, r);
    }
    if (!keep || total > net->frame_mem_size || total > net->max_frame ||
        total < VIRTIO_NET_ETH_HLEN)
        return 0;
    return (int32_t)total;
}

#endif

/* Lends the frame in buffer idx (`len` bytes used, header included), or drops it: 1 if lent,
   0 if dropped, or an error. */
static int virtio_net__lend_one(virtio_net *net, uint32_t idx, uint32_t len,
                                virtio_net_frame *frame) {
    int r;
    len -= net->hdr_len;
    if (len < VIRTIO_NET_ETH_HLEN || len > net->max_frame) {
        net->stats.rx_dropped++;
        r = virtio_net__repost(net, idx);
        return r ? virtio_dev_fail(&net->dev, r) : 0;
    }
    net->rx_state[idx] = VIRTIO_NET__LENT;
    frame->data = virtio_net__buf(net, idx) + net->hdr_len;
    frame->len = len;
    frame->buf = (uint16_t)idx;
    frame->nbufs = 1;
    return 1;
}

#ifndef VIRTIO_NET_MINIMAL
/* Lends a frame spread over nb buffers, put together in the assembly buffer (if it is free),
   or drops it: 1 if lent, 0 if dropped, or an error. */
static int virtio_net__lend_spread(virtio_net *net, uint32_t idx, uint32_t len, int nb,
                                   virtio_net_frame *frame) {
    int keep = net->frame_mem && !net->frame_lent;
    int32_t total = virtio_net__gather(net, idx, len, (uint32_t)nb, keep);
    if (total < 0) return (int)total;
    if (total == 0) {
        net->stats.rx_dropped++;
        return 0;
    }
    net->frame_lent = 1;
    net->stats.rx_assembled++;
    frame->data = net->frame_mem;
    frame->len = (uint32_t)total;
    frame->buf = VIRTIO_NET_FRAME_ASSEMBLED;
    frame->nbufs = (uint16_t)nb;
    return 1;
}
#endif

/* Takes used buffers until one frame can be lent: VIRTIO_OK, VIRTIO_EAGAIN, or an error. Each
   pass takes at least one used buffer, so this ends: bounded by the queue anyway. */
static int virtio_net__next_frame(virtio_net *net, virtio_net_frame *frame, int *took) {
    uint32_t idx, len, guard, qsize = virtio_queue_size(&net->rxq);
    int r, nb;
    for (guard = 0; guard <= qsize; guard++) {
        r = virtio_net__take(net, &idx, &len);
        if (r) return r;
        *took = 1;
        if (len < net->hdr_len) return virtio_net__fault(net); /* not even a whole header */
        nb = virtio_net__check_hdr(net, virtio_net__buf(net, idx));
        if (nb < 0) return nb;
#ifdef VIRTIO_NET_MINIMAL /* nb is 1: num_buffers is not read without MRG_RXBUF */
        r = virtio_net__lend_one(net, idx, len, frame);
#else
        r = nb == 1 ? virtio_net__lend_one(net, idx, len, frame)
                    : virtio_net__lend_spread(net, idx, len, nb, frame);
#endif
        if (r < 0) return r;
        if (r == 0) continue; /* dropped */
        net->stats.rx_frames++;
        net->stats.rx_bytes += frame->len;
        return VIRTIO_OK;
    }
    return VIRTIO_EAGAIN; /* only drops: let the caller breathe */
}

VIRTIO_DEF int virtio_net_recv_poll(virtio_net *net, virtio_net_frame *frame) {
    int r, took = 0;
    if (!net) return VIRTIO_EINVAL;
    r = virtio_net__usable(net);
    if (r) return r;
    if (!frame) return VIRTIO_EINVAL;
    r = virtio_net__next_frame(net, frame, &took);
    /* Buffers taken free queue room for idle ones; dropped ones went back already. */
    if (took && virtio_net__usable(net) == VIRTIO_OK) {
        int r2 = virtio_net__refill(net);
        if (!r2) r2 = virtio_queue_kick(&net->rxq);
        /* The frame, if any, stays lent: the caller may still release it. */
        if (r2 && (r == VIRTIO_OK || r == VIRTIO_EAGAIN)) r = r2;
    }
    return r;
}

VIRTIO_DEF int virtio_net_recv_wait(virtio_net *net, virtio_net_frame *frame) {
    uint32_t i;
    int r;
    if (!net) return VIRTIO_EINVAL;
    r = virtio_net__usable(net);
    if (r) return r; /* an old error: this call found nothing new to reset for */
    for (i = 0;; i++) {
        r = virtio_net_recv_poll(net, frame);
        if (r != VIRTIO_EAGAIN) break;
        /* The caller holds every buffer: nothing can arrive until one is released. */
        if (net->rx_posted == 0) return VIRTIO_EAGAIN;
        r = virtio_queue_spin(&net->rxq, i); /* bounded; notices NEEDS_RESET */
        if (r) break;
    }
    /* A timeout is no failure: the buffers are the driver's and the device goes on. A broken
       device may still hold frames the caller submitted: reset it (see ERRORS). */
    return virtio_net__device_error(r) ? virtio_net__abandon(net, r) : r;
}

VIRTIO_DEF int virtio_net_release(virtio_net *net, const virtio_net_frame *frame) {
    uint32_t idx;
    int r;
    if (!net || !frame) return VIRTIO_EINVAL;
    r = virtio_net__usable(net);
    if (r == VIRTIO_ESTATE) return r; /* never initialized, or reset: nothing is lent */
#ifndef VIRTIO_NET_MINIMAL /* else no assembly buffer: the index check below refuses it */
    if (frame->buf == VIRTIO_NET_FRAME_ASSEMBLED) {
        if (!net->frame_lent || frame->data != net->frame_mem) return VIRTIO_EINVAL;
        net->frame_lent = 0;
        return r;
    }
#endif
    idx = frame->buf;
    if (idx >= net->rx_count || net->rx_state[idx] != VIRTIO_NET__LENT ||
        frame->data != virtio_net__buf(net, idx) + net->hdr_len)
        return VIRTIO_EINVAL;
    if (r) {
        net->rx_state[idx] = VIRTIO_NET__IDLE; /* the caller is done with it either way */
        net->rx_idle++;
        return r;
    }
    r = virtio_net__repost(net, idx);
    if (r) return virtio_dev_fail(&net->dev, r);
    return virtio_queue_kick(&net->rxq);
}

/* ---- Transmit: "Network Device / Device Operation / Packet Transmission" --------------------- */
/* The checks every transmit call makes: the object, then the frame. */
static int virtio_net__check_frame(virtio_net *net, const void *frame, size_t len) {
    int r;
    if (!net) return VIRTIO_EINVAL;
    r = virtio_net__usable(net);
    if (r) return r;
    return (!frame || len < VIRTIO_NET_ETH_HLEN || len > net->max_frame) ? VIRTIO_EINVAL
                                                                         : VIRTIO_OK;
}

/* Adds a checked frame to the transmit queue (not yet published). */
static int virtio_net__add_frame(virtio_net *net, const void *frame, size_t len) {
    virtio_seg segs[2];
    int r;
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
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_net_send(virtio_net *net, const void *frame, size_t len) {
    void *cookie = 0;
    int r = virtio_net__check_frame(net, frame, len);
    if (r) return r;
    /* A completion of a submitted frame would end our wait: keep the two apart. */
    if (virtio_queue_pending(&net->txq) != 0) return VIRTIO_ESTATE;
    r = virtio_net__add_frame(net, frame, len);
    if (r) return r; /* nothing was added */
    r = virtio_queue_kick(&net->txq);
    if (r == VIRTIO_OK) r = virtio_queue_wait(&net->txq, &cookie, 0);
    /* Ours: the core checked that the id was outstanding, and only this frame was. */
    return r ? virtio_net__abandon(net, r) : VIRTIO_OK;
}

VIRTIO_DEF int virtio_net_send_submit(virtio_net *net, const void *frame, size_t len) {
    int r = virtio_net__check_frame(net, frame, len);
    return r ? r : virtio_net__add_frame(net, frame, len);
}

VIRTIO_DEF int virtio_net_kick(virtio_net *net) {
    int r;
    if (!net) return VIRTIO_EINVAL;
    r = virtio_net__usable(net);
    return r ? r : virtio_queue_kick(&net->txq);
}

VIRTIO_DEF int virtio_net_send_poll(virtio_net *net, const void **frame) {
    void *cookie = 0;
    int r;
    if (!net) return VIRTIO_EINVAL;
    r = virtio_net__usable(net);
    if (r == VIRTIO_OK) r = virtio_queue_poll(&net->txq, &cookie, 0);
    if (r) return r;
    if (frame) *frame = cookie;
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_net_send_wait(virtio_net *net, const void **frame) {
    void *cookie = 0;
    int r;
    if (!net) return VIRTIO_EINVAL;
    r = virtio_net__usable(net);
    if (r) return r;
    if (virtio_queue_pending(&net->txq) == 0) return VIRTIO_EAGAIN; /* nothing to wait for */
    r = virtio_queue_kick(&net->txq); /* waiting for a frame the device never saw is futile */
    if (r == VIRTIO_OK) r = virtio_queue_wait(&net->txq, &cookie, 0);
    if (r) return virtio_net__abandon(net, r);
    if (frame) *frame = cookie;
    return VIRTIO_OK;
}

VIRTIO_DEF uint32_t virtio_net_send_pending(const virtio_net *net) {
    return net ? virtio_queue_pending(&net->txq) : 0u;
}

#undef VIRTIO_NET__STD_FRAME
#undef VIRTIO_NET__TX_HDR
#undef VIRTIO_NET__MRG
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
