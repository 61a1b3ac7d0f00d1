/* sim_net.h - a simulated virtio-net device for the host tests of virtio_net.h

   A backend of the simulator (tests/sim.h, "Extra backends"), written from the spec's "Device
   Types / Network Device", with its own copies of the constants so the driver's are checked
   against an independent reading:
   - configuration: mac, status, mtu (struct virtio_net_config); QEMU-like features by default,
     the offload and control-queue ones included, so a driver that takes more than it
     implements is seen;
   - transmit queue (1): every frame is checked (the header: its length for the negotiated
     features, all zero; only readable buffers; the frame's length against the MTU; the header
     in a descriptor of its own on legacy devices without ANY_LAYOUT) and logged;
   - receive queue (0): buffers are held until the test injects a frame, which goes into one
     buffer, or with MRG_RXBUF into as many as it needs, the way the spec says (every buffer but
     the last used completely, num_buffers in the first header), or wrongly on command;
   - configuration writes: a violation on modern devices ("The driver MUST NOT write to any of
     the device configuration fields"), the mac only on legacy ones.
   Byte order: fields are stored little-endian (modern) or in guest order (legacy), and the
   x86-64 host that runs these tests is little-endian, so both are little-endian here. */
#ifndef SIM_NET_H
#define SIM_NET_H

#include "sim.h"

/* Feature bits, config offsets and header constants, from the spec. */
#define SIM_NET_F_CSUM 0
#define SIM_NET_F_GUEST_CSUM 1
#define SIM_NET_F_CTRL_GUEST_OFFLOADS 2
#define SIM_NET_F_MTU 3
#define SIM_NET_F_MAC 5
#define SIM_NET_F_GUEST_TSO4 7
#define SIM_NET_F_GUEST_TSO6 8
#define SIM_NET_F_GUEST_ECN 9
#define SIM_NET_F_GUEST_UFO 10
#define SIM_NET_F_HOST_TSO4 11
#define SIM_NET_F_HOST_TSO6 12
#define SIM_NET_F_HOST_ECN 13
#define SIM_NET_F_HOST_UFO 14
#define SIM_NET_F_MRG_RXBUF 15
#define SIM_NET_F_STATUS 16
#define SIM_NET_F_CTRL_VQ 17
#define SIM_NET_F_CTRL_RX 18
#define SIM_NET_F_CTRL_VLAN 19
#define SIM_NET_F_GUEST_ANNOUNCE 21
#define SIM_NET_F_MQ 22
#define SIM_NET_F_CTRL_MAC_ADDR 23
#define SIM_NET_CFG_MAC 0
#define SIM_NET_CFG_STATUS 6
#define SIM_NET_CFG_MTU 10
#define SIM_NET_S_LINK_UP 1u
#define SIM_NET_HDR_F_NEEDS_CSUM 1u
#define SIM_NET_HDR_F_DATA_VALID 2u
#define SIM_NET_HDR_GSO_TCPV4 1u

#define SIM_NET_RXQ 0u
#define SIM_NET_TXQ 1u
#define SIM_NET_HELD_MAX 1024u /* receive buffers the device can hold */
#define SIM_NET_SEGS 8u        /* writable segments kept per receive buffer */
#define SIM_NET_TX_LOG 32u     /* transmitted frames kept */
#define SIM_NET_FRAME_MAX 9216u  /* longest frame logged */

/* A receive buffer the device holds until a frame comes. */
typedef struct sim_net_buf {
    uint16_t head;
    unsigned nseg;
    uint8_t *p[SIM_NET_SEGS];
    uint32_t len[SIM_NET_SEGS];
    uint32_t wlen;
} sim_net_buf;

/* How the next injected frames are written (a test sets them; sim_init_net clears them). */
typedef struct sim_net_rx_mode {
    uint8_t flags, gso_type;  /* header fields written (spec: 0 and 0 here) */
    int num_buffers;          /* -1: the right count; else this value is written */
    int write_num_buffers;    /* without MRG_RXBUF: write num_buffers (1), as the spec says;
                                 0 leaves it alone, as QEMU does */
    int short_len;            /* used length = header length - 1 */
    uint32_t per_buf_limit;   /* MRG: use at most this many bytes of each buffer (0: all);
                                 below the buffer size it breaks "all but the last completely" */
    int drop_rest;            /* MRG: use only the first of the buffers (the rest never come) */
    uint32_t spread;          /* MRG: use this many buffers even when fewer would do (0: as
                                 needed); the extra ones get 0 bytes */
} sim_net_rx_mode;

typedef struct sim_net {
    sim_net_buf held[SIM_NET_HELD_MAX]; /* FIFO of receive buffers */
    unsigned first, count;
    sim_net_rx_mode rx;
    /* transmit */
    int tx_report_len;        /* legacy quirk: used length = the frame's bytes (not 0) */
    unsigned long tx_frames;
    uint8_t tx_log[SIM_NET_TX_LOG][SIM_NET_FRAME_MAX];
    uint32_t tx_len[SIM_NET_TX_LOG];
    unsigned long rx_frames, rx_bufs_used;
    unsigned long config_writes;
} sim_net;

/* A virtio-net device of `version` in `s`, backed by `n` (zeroed first): QEMU-like features
   (MAC, STATUS, MRG_RXBUF, CSUM, GUEST_CSUM, TSO/UFO both ways, CTRL_VQ and friends; ANY_LAYOUT
   and NOTIFY_ON_EMPTY on legacy), mac 52:54:00:12:34:56, link up, mtu 1500 (VIRTIO_NET_F_MTU
   not offered), queues 0 and 1 of 256 entries (and a control queue of 64). */
void sim_init_net(sim *s, sim_arena *a, uint32_t version, sim_net *n);

/* The header length the device uses for what was negotiated: 12 with VERSION_1 or MRG_RXBUF,
   else 10. */
uint32_t sim_net_hdr_len(const sim *s);

/* Delivers one frame into the held receive buffers (first picking up what the driver made
   available). Returns the buffers used, 0 if there was not enough room (the frame is not
   delivered, as QEMU waits), -1 if the device is not running. */
int sim_net_inject(sim *s, const void *frame, uint32_t len);

/* Receive buffers the device holds; the n-th most recently transmitted frame (0 = last). */
unsigned sim_net_held(sim *s);
const uint8_t *sim_net_tx(const sim *s, unsigned back, uint32_t *len);

#endif /* SIM_NET_H */
