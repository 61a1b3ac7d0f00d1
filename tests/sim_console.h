/* sim_console.h - a simulated virtio console (device ID 3) for the host tests of virtio_console.h,
   a custom backend of the simulator (tests/sim.h, "Extra backends").

   Written from virtio 1.4 "Device Types / Console Device", with QEMU's habits as switches:
   - configuration: cols, rows (VIRTIO_CONSOLE_F_SIZE), max_nr_ports (F_MULTIPORT), emerg_wr
     (F_EMERG_WRITE: every write is logged, its low byte is the output, writable at any time);
   - port 0 queues 0/1, control queues 2/3, port n queues 2n+2/2n+3; up to SIMC_MAX_PORTS
     ports (the simulator's 16 queues);
   - receive buffers are held until the host sends data, then filled in order (a buffer may
     take less than it can hold: `rx_max_fill`); transmit buffers are used with length 0, or held
     while the port is throttled (a host that does not read);
   - the control protocol: DEVICE_READY -> DEVICE_ADD per port; PORT_READY 1 -> CONSOLE_PORT
     (console ports), PORT_NAME (named ports), PORT_OPEN 1 (host side open); PORT_OPEN from the
     driver opens the guest side; hot plug and unplug; data reaches a multiport port only while
     the guest side is open (QEMU);
   - device-to-driver control messages wait for a posted buffer (or, with `ctrl_drop`, are lost
     like QEMU's); a message longer than the buffer is cut and reported at full length (QEMU);
   - a test can send raw control messages (simc_raw_ctrl) to play a misbehaving device.

   Driver rules the backend checks (each breach is a simulator violation): only writable
   buffers in receive queues and control receiveq, only readable ones in transmit queues and the
   control transmitq, one descriptor per control buffer on legacy devices without ANY_LAYOUT,
   control queues used only with MULTIPORT, driver control messages of 8 bytes with a known
   event, PORT_READY only for an announced port and once, PORT_OPEN only for a ready port,
   emerg_wr written only when offered and 32 bits wide, no other configuration write. */
#ifndef SIM_CONSOLE_H
#define SIM_CONSOLE_H

#include "sim.h"

#define SIMC_MAX_PORTS 7          /* queues 0..15 */
#define SIMC_HELD      256        /* held chains per queue */
#define SIMC_SEGS      4          /* segments kept of a held chain */
#define SIMC_MSGS      256        /* pending device -> driver control messages */
#define SIMC_MSG_MAX   512        /* bytes of one */
#define SIMC_IN_MAX    (2u << 20) /* host -> guest bytes waiting, per port */
#define SIMC_OUT_MAX   (2u << 20) /* guest -> host bytes kept, per port */
#define SIMC_LOG       512        /* driver control messages kept */

/* Feature bits and events, written down again from the spec. */
#define SIMC_F_SIZE        0
#define SIMC_F_MULTIPORT   1
#define SIMC_F_EMERG_WRITE 2
#define SIMC_DEVICE_READY  0
#define SIMC_DEVICE_ADD    1
#define SIMC_DEVICE_REMOVE 2
#define SIMC_PORT_READY    3
#define SIMC_CONSOLE_PORT  4
#define SIMC_RESIZE        5
#define SIMC_PORT_OPEN     6
#define SIMC_PORT_NAME     7

typedef struct simc_held {
    uint16_t head;
    unsigned n;
    uint8_t *p[SIMC_SEGS];
    uint32_t len[SIMC_SEGS];
    uint32_t wlen;
} simc_held;

typedef struct simc_fifo {
    simc_held h[SIMC_HELD];
    unsigned first, count;
} simc_fifo;

typedef struct simc_port {
    /* what the host side has (set by the test) */
    int exists;  /* the device has the port (announced at DEVICE_READY, or hot-plugged) */
    int console; /* nominate it a console port after PORT_READY */
    int named;
    char name[300];
    int host_open; /* the host side is open (PORT_OPEN 1 after PORT_READY) */
    int throttled; /* hold transmit buffers: the host does not read */
    /* what the driver told the device */
    int announced;  /* DEVICE_ADD sent */
    int ready;      /* PORT_READY 1 received */
    int refused;    /* PORT_READY 0 received */
    int guest_open; /* PORT_OPEN value from the driver */
    /* data */
    uint8_t *in; /* host -> guest, SIMC_IN_MAX */
    size_t in_len, in_off;
    uint8_t *out; /* guest -> host, SIMC_OUT_MAX */
    size_t out_len;
    unsigned long tx_chains, rx_chains; /* buffers used */
} simc_port;

typedef struct simc_msg {
    uint32_t id;
    uint16_t event, value;
} simc_msg;

typedef struct simc {
    sim *s;
    uint32_t max_nr_ports; /* configuration */
    simc_port port[SIMC_MAX_PORTS];
    simc_fifo held[SIM_MAX_QUEUES];
    int device_ready; /* DEVICE_READY 1 received */
    /* device -> driver control messages waiting for a buffer */
    uint8_t msg[SIMC_MSGS][SIMC_MSG_MAX];
    uint32_t msg_len[SIMC_MSGS];
    unsigned msg_first, msg_count;
    unsigned long msgs_sent, msgs_dropped;
    /* switches */
    int ctrl_drop;        /* drop device control messages that find no buffer (QEMU) */
    int ctrl_tx_stall;    /* stop consuming the control transmitq (hold its buffers) */
    int name_nul;         /* send names with a NUL terminator (QEMU) or without (spec) */
    uint32_t rx_max_fill; /* fill at most this many bytes into one receive buffer (0 = all) */
    /* what the driver sent on the control transmitq */
    simc_msg log[SIMC_LOG];
    unsigned nlog;
    /* emergency write */
    uint8_t emerg[4096];      /* low bytes written */
    uint32_t emerg_raw[4096]; /* values written */
    size_t emerg_len;
    /* Test hook (set after simc_init): called on every device reset (the driver wrote status
       0), before the device forgets its buffers, over either transport. NULL: none. */
    void (*on_reset)(struct simc *c);
    unsigned long resets; /* device resets seen */
} simc;

/* Sets up `s` as a console of `version` with `max_nr_ports` (1: MULTIPORT not offered) and
   features MULTIPORT (if max_nr_ports > 1), EMERG_WRITE and, if cols or rows, SIZE. No port
   exists yet: add them with simc_add_port. The simc must outlive the sim's use. */
void simc_init(simc *c, sim *s, sim_arena *a, uint32_t version, uint32_t max_nr_ports,
               uint16_t cols, uint16_t rows);
/* Frees the port buffers. */
void simc_free(simc *c);

/* Adds port `id` (before DEVICE_READY it is announced then; after, at once: hot plug). */
void simc_add_port(simc *c, uint32_t id, const char *name, int console, int host_open);
/* Removes port `id` (DEVICE_REMOVE). */
void simc_remove_port(simc *c, uint32_t id);
/* The host opens or closes its side (PORT_OPEN to the driver, if the port is ready). */
void simc_host_open(simc *c, uint32_t id, int open);
/* The host sends bytes to port `id`: they fill held receive buffers (now and as more come). */
void simc_host_send(simc *c, uint32_t id, const void *data, size_t len);
/* Throttles port `id`'s transmit side on or off (off: held buffers are used now). */
void simc_throttle(simc *c, uint32_t id, int on);
/* Queues a raw device -> driver control message (any bytes, any length up to SIMC_MSG_MAX). */
void simc_raw_ctrl(simc *c, const void *msg, uint32_t len);
/* Queues a well-formed control message; with `extra`, extra_len bytes follow the header. */
void simc_ctrl(simc *c, uint32_t id, uint16_t event, uint16_t value, const void *extra,
               uint32_t extra_len);
/* Delivers what waits (control messages, host data) into held buffers. */
void simc_pump(simc *c);
/* Driver control messages of `event` for port `id` (id ~0u: any), and the last one's value. */
unsigned simc_count(const simc *c, uint32_t id, uint16_t event, uint16_t *last_value);

#endif /* SIM_CONSOLE_H */
