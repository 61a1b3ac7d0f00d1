/* virtio_console.h - v0.1.0 - polled VirtIO console driver (emergency write, ports, multiport)
   on virtio.h. MIT licensed, see the end of the file.

QUICK START

       #define VIRTIO_IMPLEMENTATION
       #include "virtio.h"
       #define VIRTIO_CONSOLE_IMPLEMENTATION
       #include "virtio_console.h"

       // port 0 only, 8 receive buffers of 512 bytes; 0 means "the default" everywhere
       static uint8_t mem[VIRTIO_CONSOLE_MEM(1, 8, 512, 0)] __attribute__((aligned(4096)));

       virtio_regs regs = virtio_mmio_regs((void *)0x10008000);
       virtio_dev early;                                       // the first output of a boot:
       if (virtio_console_emerg_init(&early, &regs) == 0)      // no reset, no queue, no memory
           virtio_console_emerg_write(&early, "booting\n", 8);

       virtio_console con;
       virtio_console_params p = {1, 8, 512, 0};               // ports, rx_bufs, rx_buf_size, ctrl
       int r = virtio_console_init(&con, &regs, &p, mem, sizeof mem);
       if (r == 0) r = virtio_console_write(&con, 0, "hello\n", 6);   // one buffer, one notify
       char in[64]; size_t got;
       if (r == 0) r = virtio_console_read(&con, 0, in, sizeof in, &got); // VIRTIO_EAGAIN: none yet

   Several ports (VIRTIO_CONSOLE_F_MULTIPORT): ask for p.ports > 1 and give memory for them; the
   device announces its ports on the control queue, virtio_console_find() looks one up by the
   name the host gave it, virtio_console_open() tells the device we are listening:

       uint32_t id;
       if (virtio_console_find(&con, "org.example.log", &id) == 0 && virtio_console_open(&con, id)
== 0) virtio_console_write(&con, id, "hi\n", 3);

   Call virtio_console_service() now and then (every read and write does) so the driver sees
   ports come and go and hosts open and close them.

EMERGENCY WRITE (VIRTIO_CONSOLE_F_EMERG_WRITE)
   virtio_console_emerg_init() is the least a driver can do to a device: it reads MagicValue,
   Version and DeviceID, selects feature word 0 and reads it, and nothing else. No reset, no
   status bit, no negotiation, no memory. The spec allows exactly this: the driver "can use
   emergency write to output a single character without initializing virtio queues, or even
   acknowledging the feature", and "the device MUST allow a write to emerg_wr, even on an
   unconfigured device" (virtio 1.4 "Console Device / Device configuration layout" and
   "Device Initialization"). So it can be the first output of a boot, it leaves the device as it
   found it for virtio_console_init() later, and it still works when the queues are wrecked
   (the last words of a crash: virtio_console_emerg_write() ignores a latched fault).
   Trade-offs: one register write per byte (a trap per byte in a VM: use it for messages, not
   data), no input, no flow control, and where the device has no connected console port the
   bytes are lost without a word. QEMU treats the value 0 as "no write", so a NUL byte goes out
   as 0x100 (the spec: the device transmits the lower byte). A device that honoured emerg_wr
   only after negotiation would break the spec; for one, virtio_console_init() negotiates
   EMERG_WRITE too, and virtio_console_emerg_write(&con.dev, ...) works on the full driver.

DOES NOT
   allocate, take interrupts, lock, copy on transmit (the device reads the caller's buffer
   directly), or keep more than one transmit buffer per port in flight. Port hot-unplug keeps a
   port's queues (queues can only be set up before DRIVER_OK), so a port that comes back uses
   them again.

MEMORY
   One block, virtio_console_mem_size(&params, version) bytes, aligned to 4096 (legacy
   virtio-mmio; 16 is enough for modern), that must not move while the console is in use. It
   holds every queue (two per port, two control queues), the per-port state, the receive
   buffers (ports * rx_bufs * rx_buf_size bytes) and the control buffers. VIRTIO_CONSOLE_MEM()
   is a compile-time upper bound for both versions. The virtio_console object is the caller's
   too and must not move either. Buffers given to virtio_console_write() must be readable by
   the device (DMA) and stay unchanged until the call returns (or, after VIRTIO_ETIMEDOUT, until
   virtio_console_flush() returns 0).

CONFIGURATION (define before including; * = must be the same in every file)
   VIRTIO_CONSOLE_NAME_MAX      * longest port name kept, bytes (default 63)
   VIRTIO_CONSOLE_CTRL_BUF_SIZE * bytes of each control receive buffer (default 128, a multiple
                                  of 16). QEMU writes a name message of any length and reports
                                  the full length even when it did not fit: a name longer than
                                  this minus 8 is a device fault that breaks the control queue
                                  (port data keeps working). Names that fit but are longer than
                                  NAME_MAX are refused (counted in ctrl_bad).

ERRORS
   As virtio.h. VIRTIO_EINVAL for a caller bug (NULL, a port number out of range, too little or
   misaligned memory, bad params) with nothing changed; VIRTIO_ESTATE for a port the device has
   not announced (or removed), or a write to a port whose host side is closed (the device would
   drop the data); VIRTIO_EAGAIN when nothing has arrived; VIRTIO_ETIMEDOUT when a wait ran out
   (after a write, the device still holds the buffer: see virtio_console_flush);
   VIRTIO_ENOTSUP when the device did not offer what the call needs. Ring faults of a port's
   queues latch that port; ring faults of the control queues latch con->ctrl_error (reported by
   virtio_console_service, not by data calls, so port 0 keeps working). A control message that
   breaks the protocol (unknown event, wrong length, bad port id, bad name) is dropped and
   counted in con->ctrl_bad: the queue itself is fine, and the console is what reports trouble.

TRUST MODEL
   Everything the device writes is checked: used ids and lengths (by virtio.h), max_nr_ports,
   every control message (length per event, port id against max_nr_ports and the ports the
   device announced, PORT_OPEN values, names: NUL-terminated or not, embedded NULs, length),
   receive lengths.

CONCURRENCY
   One caller per virtio_console at a time; no globals. Every wait is bounded by the device's
   spin limit and the accessor's relax hook, as in virtio.h.

SPEC (virtio 1.4, section titles)
   "Device Types / Console Device": virtqueues (port 0: 0/1, control: 2/3, port n: 2n+2/2n+3),
   feature bits, device configuration layout (incl. legacy byte order), device initialization,
   device operation, multiport device operation (all eight control events, the driver's MUST
   send DEVICE_READY and MUST answer CONSOLE_PORT with PORT_OPEN 1), legacy framing (one
   descriptor per control buffer).
*/

#ifndef VIRTIO_CONSOLE_H
#define VIRTIO_CONSOLE_H

#ifndef VIRTIO_H
#error "include virtio.h before virtio_console.h"
#endif

#ifndef VIRTIO_CONSOLE_NAME_MAX
#define VIRTIO_CONSOLE_NAME_MAX 63
#endif
#ifndef VIRTIO_CONSOLE_CTRL_BUF_SIZE
#define VIRTIO_CONSOLE_CTRL_BUF_SIZE 128
#endif
#if VIRTIO_CONSOLE_CTRL_BUF_SIZE < 16 || (VIRTIO_CONSOLE_CTRL_BUF_SIZE % 16) != 0
#error "VIRTIO_CONSOLE_CTRL_BUF_SIZE must be a multiple of 16, at least 16"
#endif
#if VIRTIO_CONSOLE_NAME_MAX < 1
#error "VIRTIO_CONSOLE_NAME_MAX must be at least 1"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Feature bits: "Console Device / Feature bits" ---------------------------------------------
 */
#define VIRTIO_CONSOLE_F_SIZE        0 /* cols and rows are valid */
#define VIRTIO_CONSOLE_F_MULTIPORT   1 /* max_nr_ports is valid, control queues are used */
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2 /* emerg_wr is valid */

/* ---- Configuration layout: struct virtio_console_config, byte offsets -------------------------
 */
#define VIRTIO_CONSOLE_CFG_COLS         0 /* le16 */
#define VIRTIO_CONSOLE_CFG_ROWS         2 /* le16 */
#define VIRTIO_CONSOLE_CFG_MAX_NR_PORTS 4 /* le32 */
#define VIRTIO_CONSOLE_CFG_EMERG_WR     8 /* le32, write-only in effect: the low byte goes out */

/* ---- Control events: "Console Device / Device Operation / Multiport Device Operation" -------- */
#define VIRTIO_CONSOLE_DEVICE_READY  0  /* driver -> device, value 1 ok / 0 failed */
#define VIRTIO_CONSOLE_DEVICE_ADD    1  /* device -> driver: a new port */
#define VIRTIO_CONSOLE_DEVICE_REMOVE 2  /* device -> driver: a port is gone */
#define VIRTIO_CONSOLE_PORT_READY    3  /* driver -> device, to DEVICE_ADD: 1 ok / 0 refused */
#define VIRTIO_CONSOLE_CONSOLE_PORT  4  /* device -> driver: the port is a console */
#define VIRTIO_CONSOLE_RESIZE        5  /* device -> driver, then struct virtio_console_resize */
#define VIRTIO_CONSOLE_PORT_OPEN     6  /* both ways, value 1 open / 0 closed */
#define VIRTIO_CONSOLE_PORT_NAME     7  /* device -> driver, followed by the name (UTF-8) */
#define VIRTIO_CONSOLE_CTRL_BYTES    8u /* sizeof(struct virtio_console_control) */

/* struct virtio_console_control, as it travels (device order: little-endian, guest order on
   legacy devices). Shown for documentation and layout checks. */
typedef struct virtio_console_ctrl {
    uint32_t id;    /* le32: port number */
    uint16_t event; /* le16: VIRTIO_CONSOLE_DEVICE_READY ... VIRTIO_CONSOLE_PORT_NAME */
    uint16_t value; /* le16: extra information for the event */
} virtio_console_ctrl;

/* Most ports a console can have: port n uses queue 2n+3, a 16-bit queue number. */
#define VIRTIO_CONSOLE_PORTS_MAX 32766u

/* Port state bits (virtio_console_port_state). */
#define VIRTIO_CONSOLE_STATE_PRESENT    1u  /* announced by the device (port 0 alone: always) */
#define VIRTIO_CONSOLE_STATE_CONSOLE    2u  /* the device nominated it a console port */
#define VIRTIO_CONSOLE_STATE_HOST_OPEN  4u  /* the device says the host side is open */
#define VIRTIO_CONSOLE_STATE_GUEST_OPEN 8u  /* we told the device our side is open */
#define VIRTIO_CONSOLE_STATE_NAMED      16u /* the device gave the port a name */
#define VIRTIO_CONSOLE_STATE_SIZE       32u /* a RESIZE gave the port a size */

/* What the caller asks for. Zero fields take the defaults. */
typedef struct virtio_console_params {
    uint32_t ports;       /* port ids 0..ports-1 are served (default 1: port 0, no multiport) */
    uint32_t rx_bufs;     /* receive buffers posted per port (default 8) */
    uint32_t rx_buf_size; /* bytes of each (default 512) */
    uint32_t ctrl_bufs;   /* control receive buffers, multiport only (default 32): at least as
                             many as the device may announce ports at once, plus 3. QEMU drops
                             a control message when no buffer is posted. */
} virtio_console_params;
#define VIRTIO_CONSOLE_DEFAULT_PORTS       1u
#define VIRTIO_CONSOLE_DEFAULT_RX_BUFS     8u
#define VIRTIO_CONSOLE_DEFAULT_RX_BUF_SIZE 512u
#define VIRTIO_CONSOLE_DEFAULT_CTRL_BUFS   32u
#define VIRTIO_CONSOLE_TX_QUEUE_SIZE       4u /* entries of a transmit queue (1 in flight) */

/* One port (driver-private; in the caller's memory block). */
typedef struct virtio_console_port {
    virtio_queue rx, tx; /* receiveq (2n+2, or 0) and transmitq (2n+3, or 1) */
    uint8_t *rx_mem;     /* rx_bufs buffers of the console's rx_buf_size */
    uint8_t *cur;        /* the received buffer being read, NULL if none */
    uint32_t cur_len;    /* bytes the device wrote into it */
    uint32_t cur_off;    /* bytes of it already read */
    uint32_t rx_bufs;    /* buffers posted (at most the queue size) */
    uint32_t tx_busy;    /* 1: the device still holds a transmit buffer (after a timeout) */
    uint32_t state;      /* VIRTIO_CONSOLE_STATE_* and private bits */
    uint16_t cols, rows; /* from RESIZE */
    char name[VIRTIO_CONSOLE_NAME_MAX + 1];
} virtio_console_port;

typedef struct virtio_console {
    virtio_dev dev;
    virtio_queue ctrl_rx, ctrl_tx; /* control receiveq (2) and transmitq (3), multiport only */
    virtio_console_port *ports;    /* nports of them, in the caller's memory */
    uint8_t *ctrl_mem;             /* control receive buffers */
    virtio_console_ctrl *ctrl_msg; /* the one control message we send at a time */
    uint32_t nports;               /* port ids served: 0..nports-1 */
    uint32_t max_nr_ports;         /* the device's (1 without multiport) */
    uint32_t rx_buf_size;          /* bytes of each receive buffer */
    uint32_t nctrl;                /* control buffers posted */
    uint16_t cols, rows;           /* configuration cols/rows (VIRTIO_CONSOLE_F_SIZE) */
    int multiport;                 /* VIRTIO_CONSOLE_F_MULTIPORT negotiated */
    int ctrl_error;                /* latched fault of the control queues (0 = fine) */
    int ctrl_busy;                 /* the device still holds our control message */
    uint32_t ctrl_bad;             /* control messages dropped as malformed */
    uint32_t refused;              /* DEVICE_ADDs refused for want of memory (PORT_READY 0) */
} virtio_console;

/* Compile-time upper bound of virtio_console_mem_size for both transport versions; arguments
   as in virtio_console_params (0 = default). */
#define VIRTIO_CONSOLE__D(x, d) ((size_t)((x) ? (x) : (d)))
#define VIRTIO_CONSOLE__POW2(n)                                                                    \
    ((n) <= 1       ? 1u                                                                           \
     : (n) <= 2     ? 2u                                                                           \
     : (n) <= 4     ? 4u                                                                           \
     : (n) <= 8     ? 8u                                                                           \
     : (n) <= 16    ? 16u                                                                          \
     : (n) <= 32    ? 32u                                                                          \
     : (n) <= 64    ? 64u                                                                          \
     : (n) <= 128   ? 128u                                                                         \
     : (n) <= 256   ? 256u                                                                         \
     : (n) <= 512   ? 512u                                                                         \
     : (n) <= 1024  ? 1024u                                                                        \
     : (n) <= 2048  ? 2048u                                                                        \
     : (n) <= 4096  ? 4096u                                                                        \
     : (n) <= 8192  ? 8192u                                                                        \
     : (n) <= 16384 ? 16384u                                                                       \
                    : 32768u)
#define VIRTIO_CONSOLE__QB(n) ((VIRTIO_QUEUE_MEM(n) + 4095u) & ~(size_t)4095u)
#define VIRTIO_CONSOLE_MEM(ports, rx_bufs, rx_buf_size, ctrl_bufs)                                 \
    (VIRTIO_CONSOLE__D(ports, 1u) *                                                                \
         (VIRTIO_CONSOLE__QB(VIRTIO_CONSOLE__POW2(VIRTIO_CONSOLE__D(rx_bufs, 8u))) +               \
          VIRTIO_CONSOLE__QB(VIRTIO_CONSOLE_TX_QUEUE_SIZE) + sizeof(virtio_console_port) + 16u +   \
          VIRTIO_CONSOLE__D(rx_bufs, 8u) * VIRTIO_CONSOLE__D(rx_buf_size, 512u)) +                 \
     VIRTIO_CONSOLE__QB(VIRTIO_CONSOLE__POW2(VIRTIO_CONSOLE__D(ctrl_bufs, 32u))) +                 \
     VIRTIO_CONSOLE__QB(VIRTIO_CONSOLE_TX_QUEUE_SIZE) +                                            \
     VIRTIO_CONSOLE__D(ctrl_bufs, 32u) * VIRTIO_CONSOLE_CTRL_BUF_SIZE + 64u)

/* Bytes of memory for `params` (NULL = all defaults) on transport `version` (1 or 2); 0 if the
   params are out of range. */
VIRTIO_API size_t virtio_console_mem_size(const virtio_console_params *params, uint32_t version);

/* Initializes the console behind `regs`: reset, features (VERSION_1, EVENT_IDX, SIZE,
   EMERG_WRITE, and MULTIPORT when params->ports > 1), the queues of every port served, the
   receive buffers posted, DRIVER_OK; with multiport, DEVICE_READY and the answers to the ports
   the device announces right away (PORT_READY 1 for ports below params->ports, 0 for the
   others). If the device has fewer ports than asked, fewer are served: virtio_console_ports.
   VIRTIO_ENODEV if the device is not a console. */
VIRTIO_API int virtio_console_init(virtio_console *con, const virtio_regs *regs,
                                   const virtio_console_params *params, void *mem, size_t mem_size);

/* Emergency write (see EMERGENCY WRITE above). virtio_console_emerg_init fills `dev` from
   `regs` without resetting or configuring the device: VIRTIO_ENOTSUP if the device does not
   offer VIRTIO_CONSOLE_F_EMERG_WRITE, VIRTIO_ENODEV if it is no console. virtio_console_emerg_write
   sends `len` bytes, one configuration write each; `dev` may also be a full console's &con.dev. */
VIRTIO_API int virtio_console_emerg_init(virtio_dev *dev, const virtio_regs *regs);
VIRTIO_API int virtio_console_emerg_write(virtio_dev *dev, const void *buf, size_t len);

/* Queries. Port numbers are the device's port ids; 0..virtio_console_ports()-1 are served.
   port_state: VIRTIO_CONSOLE_STATE_* bits, 0 if out of range; port_name: NULL if none. */
VIRTIO_API uint32_t virtio_console_ports(const virtio_console *con);
VIRTIO_API uint32_t virtio_console_port_state(const virtio_console *con, uint32_t port);
VIRTIO_API const char *virtio_console_port_name(const virtio_console *con, uint32_t port);
/* Console size: port 0 from the configuration (VIRTIO_CONSOLE_F_SIZE, read again at each call),
   any port from its last RESIZE message. VIRTIO_ENOTSUP if neither. */
VIRTIO_API int virtio_console_size(virtio_console *con, uint32_t port, uint16_t *cols,
                                   uint16_t *rows);

/* Multiport. virtio_console_service takes every pending control message, answers what needs an
   answer, and returns 0 or the control queues' latched fault; without multiport it does
   nothing. virtio_console_find services, then looks for a present port named `name`:
   VIRTIO_EAGAIN if there is none (yet). virtio_console_open / _close send PORT_OPEN 1 / 0 (the
   device delivers data to a multiport port only while it is open; console ports are opened
   when the device nominates them); without multiport they do nothing. */
VIRTIO_API int virtio_console_service(virtio_console *con);
VIRTIO_API int virtio_console_find(virtio_console *con, const char *name, uint32_t *port);
VIRTIO_API int virtio_console_open(virtio_console *con, uint32_t port);
VIRTIO_API int virtio_console_close(virtio_console *con, uint32_t port);

/* Transmit: queues buf as one buffer (larger than 1 GiB: several), notifies once per buffer and
   returns when the device has used it. VIRTIO_ETIMEDOUT: the device still holds the buffer;
   keep it unchanged until virtio_console_flush returns 0 (a later write waits for it first). */
VIRTIO_API int virtio_console_write(virtio_console *con, uint32_t port, const void *buf,
                                    size_t len);
VIRTIO_API int virtio_console_flush(virtio_console *con, uint32_t port);

/* Receive. virtio_console_read copies up to len bytes that have arrived and returns at once:
   0 with *got >= 1, or VIRTIO_EAGAIN with *got = 0. virtio_console_read_wait waits (bounded)
   for the first byte: VIRTIO_ETIMEDOUT if none came. Bytes are never lost or repeated: a
   buffer read in part keeps its offset and goes back to the device only when fully read.
   Zero-copy: virtio_console_peek points *data at the unread bytes of the current buffer
   (VIRTIO_EAGAIN if none); virtio_console_consume(n) marks n of them read (n <= that length).
   The pointer stays valid until the buffer is fully consumed, or the port is removed (any call
   that takes the device's DEVICE_REMOVE drops the port's unread data). */
VIRTIO_API int virtio_console_read(virtio_console *con, uint32_t port, void *buf, size_t len,
                                   size_t *got);
VIRTIO_API int virtio_console_read_wait(virtio_console *con, uint32_t port, void *buf, size_t len,
                                        size_t *got);
VIRTIO_API int virtio_console_peek(virtio_console *con, uint32_t port, const void **data,
                                   size_t *len);
VIRTIO_API int virtio_console_consume(virtio_console *con, uint32_t port, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* VIRTIO_CONSOLE_H */

/* ============================================================================================== */
/*                                        IMPLEMENTATION                                          */
/* ============================================================================================== */
#if defined(VIRTIO_CONSOLE_IMPLEMENTATION) && !defined(VIRTIO_CONSOLE__IMPL_DONE)
#define VIRTIO_CONSOLE__IMPL_DONE

#ifdef VIRTIO_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define VIRTIO_CONSOLE__DEF static __attribute__((unused)) /* a program may use part of the API */
#else
#define VIRTIO_CONSOLE__DEF static
#endif
#else
#define VIRTIO_CONSOLE__DEF
#endif

/* Private state bits, above the public ones. */
#define VIRTIO_CONSOLE__NEED_READY 0x100u     /* DEVICE_ADD taken, PORT_READY 1 not yet sent */
#define VIRTIO_CONSOLE__NEED_OPEN  0x200u     /* CONSOLE_PORT taken, PORT_OPEN 1 not yet sent */
#define VIRTIO_CONSOLE__CHUNK      (1u << 30) /* largest transmit buffer we post */

/* ---- Memory plan ------------------------------------------------------------------------------
 */
typedef struct virtio_console__plan {
    virtio_console_params p; /* with defaults applied */
    uint32_t rxq, ctrlq;     /* queue sizes asked for */
    size_t qalign;
    size_t rxq_bytes, txq_bytes, ctrlq_bytes, ctrltxq_bytes; /* each rounded up to qalign */
    size_t ports_off, rx_off, ctrl_off, msg_off, total;
} virtio_console__plan;

static uint32_t virtio_console__pow2(uint32_t n) {
    uint32_t q = 1;
    while (q < n)
        q <<= 1;
    return q;
}

/* acc += n * size, rounded up to `align` first; 0 on overflow. */
static int virtio_console__grow(size_t *acc, size_t n, size_t size, size_t align) {
    size_t a = (*acc + align - 1u) & ~(align - 1u);
    if (a < *acc) return 0;
    if (size && n > ((size_t)-1 - a) / size) return 0;
    *acc = a + n * size;
    return 1;
}

static int virtio_console__make_plan(const virtio_console_params *in, uint32_t version,
                                     virtio_console__plan *L) {
    virtio_console_params *p = &L->p;
    size_t acc = 0, qa;
    if (version != 1 && version != 2) return 0;
    p->ports = VIRTIO_CONSOLE_DEFAULT_PORTS;
    p->rx_bufs = VIRTIO_CONSOLE_DEFAULT_RX_BUFS;
    p->rx_buf_size = VIRTIO_CONSOLE_DEFAULT_RX_BUF_SIZE;
    p->ctrl_bufs = VIRTIO_CONSOLE_DEFAULT_CTRL_BUFS;
    if (in) {
        if (in->ports) p->ports = in->ports;
        if (in->rx_bufs) p->rx_bufs = in->rx_bufs;
        if (in->rx_buf_size) p->rx_buf_size = in->rx_buf_size;
        if (in->ctrl_bufs) p->ctrl_bufs = in->ctrl_bufs;
    }
    if (p->ports > VIRTIO_CONSOLE_PORTS_MAX || p->rx_bufs > VIRTIO_QUEUE_SIZE_MAX ||
        p->ctrl_bufs > VIRTIO_QUEUE_SIZE_MAX || p->rx_buf_size > 0x7fffffffu)
        return 0;
    L->rxq = virtio_console__pow2(p->rx_bufs);
    L->ctrlq = virtio_console__pow2(p->ctrl_bufs);
    qa = L->qalign = virtio_queue_mem_align(version);
    L->rxq_bytes = (virtio_queue_mem_size(L->rxq, version) + qa - 1u) & ~(qa - 1u);
    L->txq_bytes =
        (virtio_queue_mem_size(VIRTIO_CONSOLE_TX_QUEUE_SIZE, version) + qa - 1u) & ~(qa - 1u);
    L->ctrlq_bytes = (virtio_queue_mem_size(L->ctrlq, version) + qa - 1u) & ~(qa - 1u);
    L->ctrltxq_bytes = L->txq_bytes;
    if (L->rxq_bytes == 0 || L->ctrlq_bytes == 0 || L->txq_bytes == 0) return 0;
    /* Queues first (each at a multiple of qalign), then everything else 16-aligned. */
    if (!virtio_console__grow(&acc, p->ports, L->rxq_bytes + L->txq_bytes, qa)) return 0;
    if (p->ports > 1 && !virtio_console__grow(&acc, 1, L->ctrlq_bytes + L->ctrltxq_bytes, qa))
        return 0;
    L->ports_off = (acc + 15u) & ~(size_t)15u;
    if (!virtio_console__grow(&acc, p->ports, sizeof(virtio_console_port), 16u)) return 0;
    L->rx_off = (acc + 15u) & ~(size_t)15u;
    if (p->rx_buf_size > (size_t)-1 / p->rx_bufs) return 0; /* 32-bit size_t */
    if (!virtio_console__grow(&acc, p->ports, (size_t)p->rx_bufs * p->rx_buf_size, 16u)) return 0;
    L->ctrl_off = L->msg_off = (acc + 15u) & ~(size_t)15u;
    if (p->ports > 1) {
        if (!virtio_console__grow(&acc, p->ctrl_bufs, VIRTIO_CONSOLE_CTRL_BUF_SIZE, 16u)) return 0;
        L->msg_off = (acc + 15u) & ~(size_t)15u;
        if (!virtio_console__grow(&acc, 1, 16u, 16u)) return 0;
    }
    L->total = acc;
    return 1;
}

VIRTIO_CONSOLE__DEF size_t virtio_console_mem_size(const virtio_console_params *params,
                                                   uint32_t version) {
    virtio_console__plan L;
    return virtio_console__make_plan(params, version, &L) ? L.total : 0;
}

/* ---- Small helpers ----------------------------------------------------------------------------
 */
/* Fields of a control message in device order, from / to bytes (any alignment). */
static uint32_t virtio_console__get32(const virtio_dev *dev, const uint8_t *b) {
    uint32_t v = 0;
    unsigned i;
    for (i = 0; i < 4; i++)
        ((unsigned char *)&v)[i] = b[i];
    return virtio_dev_order32(dev, v);
}
static uint16_t virtio_console__get16(const virtio_dev *dev, const uint8_t *b) {
    uint16_t v = 0;
    unsigned i;
    for (i = 0; i < 2; i++)
        ((unsigned char *)&v)[i] = b[i];
    return virtio_dev_order16(dev, v);
}

static int virtio_console__port(virtio_console *con, uint32_t port, virtio_console_port **out) {
    if (!con || !con->ports || port >= con->nports) return VIRTIO_EINVAL;
    *out = &con->ports[port];
    return VIRTIO_OK;
}

/* Gives receive buffer `buf` (back) to the device and notifies it. */
static int virtio_console__post(virtio_queue *q, void *buf, uint32_t len) {
    virtio_seg seg;
    int r;
    seg.addr = buf;
    seg.len = len;
    r = virtio_queue_add(q, &seg, 0, 1, buf);
    if (r) return r;
    return virtio_queue_kick(q);
}

/* ---- Emergency write --------------------------------------------------------------------------
 */
VIRTIO_CONSOLE__DEF int virtio_console_emerg_init(virtio_dev *dev, const virtio_regs *regs) {
    uint64_t offered;
    /* Probe with reads only, then read the offer: selecting a feature word changes nothing in
       the device, so it stays as it is (no reset, no status bit). */
    int r = virtio_dev_attach(dev, regs, VIRTIO_ID_CONSOLE);
    if (r) return r;
    r = virtio_dev_read_offer(dev, &offered);
    if (r) return r;
    return (offered & VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE)) ? VIRTIO_OK : VIRTIO_ENOTSUP;
}

VIRTIO_CONSOLE__DEF int virtio_console_emerg_write(virtio_dev *dev, const void *buf, size_t len) {
    const unsigned char *b = (const unsigned char *)buf;
    size_t i;
    if (!dev || (!buf && len) || !dev->regs.write32) return VIRTIO_EINVAL;
    /* "If the VIRTIO_CONSOLE_F_EMERG_WRITE feature is offered, emerg_wr field of the
       configuration can be written at any time": offered is enough, and a latched fault is no
       reason to stay silent. */
    if (!(dev->offered & VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE))) return VIRTIO_ENOTSUP;
    for (i = 0; i < len; i++)
        virtio_config_write32(dev, VIRTIO_CONSOLE_CFG_EMERG_WR, b[i] ? (uint32_t)b[i] : 0x100u);
    return VIRTIO_OK;
}

/* ---- Control queues ----------------------------------------------------------------------------
 */
/* Sends one control message and waits (bounded) until the device has taken it. One message is
   in flight at a time; one the device did not take in time is waited for by the next send. */
static int virtio_console__ctrl_send(virtio_console *con, uint32_t id, uint16_t event,
                                     uint16_t value) {
    virtio_seg seg;
    void *cookie;
    int r;
    if (con->ctrl_error) return con->ctrl_error;
    if (con->ctrl_busy) {
        r = virtio_queue_wait(&con->ctrl_tx, &cookie, 0);
        if (con->ctrl_tx.error) con->ctrl_error = con->ctrl_tx.error;
        if (r) return r;
        con->ctrl_busy = 0;
    }
    con->ctrl_msg->id = virtio_dev_order32(&con->dev, id);
    con->ctrl_msg->event = virtio_dev_order16(&con->dev, event);
    con->ctrl_msg->value = virtio_dev_order16(&con->dev, value);
    seg.addr = con->ctrl_msg;
    seg.len = VIRTIO_CONSOLE_CTRL_BYTES;
    r = virtio_queue_add(&con->ctrl_tx, &seg, 1, 0, con->ctrl_msg);
    if (r == 0) {
        con->ctrl_busy = 1;
        r = virtio_queue_kick(&con->ctrl_tx);
    }
    /* The used length of a transmit buffer means nothing ("Legacy Interface: Device
       Operation": the driver SHOULD ignore it): we do not ask for it. */
    if (r == 0) r = virtio_queue_wait(&con->ctrl_tx, &cookie, 0);
    if (r == 0) con->ctrl_busy = 0;
    /* A ring fault of the control transmitq ends multiport for good; a timeout does not. */
    if (con->ctrl_tx.error) con->ctrl_error = con->ctrl_tx.error;
    return r;
}

/* Forgets what a port received: the buffer being read and whatever else the device returned. */
static int virtio_console__rx_discard(virtio_console *con, virtio_console_port *p) {
    void *cookie;
    uint32_t n;
    int r;
    if (p->cur) {
        uint8_t *b = p->cur;
        p->cur = 0;
        r = virtio_console__post(&p->rx, b, con->rx_buf_size);
        if (r) return r;
    }
    for (n = 0; n < p->rx_bufs; n++) {
        r = virtio_queue_poll(&p->rx, &cookie, 0);
        if (r == VIRTIO_EAGAIN) break;
        if (r) return r;
        r = virtio_console__post(&p->rx, cookie, con->rx_buf_size);
        if (r) return r;
    }
    return VIRTIO_OK;
}

/* Acts on one control message the device sent. Returns 0, or the error of a reply we had to
   send at once (a refusal). Malformed messages are counted and dropped. */
static int virtio_console__ctrl_handle(virtio_console *con, const uint8_t *msg, uint32_t len) {
    virtio_console_port *p = 0;
    uint32_t id, n, i;
    uint16_t event, value;
    if (len < VIRTIO_CONSOLE_CTRL_BYTES) goto bad;
    id = virtio_console__get32(&con->dev, msg);
    event = virtio_console__get16(&con->dev, msg + 4);
    value = virtio_console__get16(&con->dev, msg + 6);
    /* "The device MUST NOT specify a port which exists in a VIRTIO_CONSOLE_DEVICE_ADD message,
       nor a port which is equal or greater than max_nr_ports." Ids in [nports, max_nr_ports)
       belong to ports we refused (or never saw): their messages are ignored quietly. */
    if (id >= con->max_nr_ports) goto bad;
    if (id < con->nports) p = &con->ports[id];
    switch (event) {
    case VIRTIO_CONSOLE_DEVICE_ADD:
        if (len != VIRTIO_CONSOLE_CTRL_BYTES) goto bad;
        if (!p) {
            /* No memory for it: refuse politely, at once ("A value of 1 indicates success, and
               0 indicates failure"). The device has nothing to say back to a refusal. */
            con->refused++;
            return virtio_console__ctrl_send(con, id, VIRTIO_CONSOLE_PORT_READY, 0);
        }
        if (p->state & VIRTIO_CONSOLE_STATE_PRESENT) goto bad;
        p->state = VIRTIO_CONSOLE_STATE_PRESENT | VIRTIO_CONSOLE__NEED_READY;
        p->name[0] = '\0';
        p->cols = p->rows = 0;
        return VIRTIO_OK;
    case VIRTIO_CONSOLE_DEVICE_REMOVE:
        if (len != VIRTIO_CONSOLE_CTRL_BYTES) goto bad;
        if (!p) return VIRTIO_OK;
        /* "The device MUST NOT specify a port in VIRTIO_CONSOLE_DEVICE_REMOVE which has not been
           created with a previous VIRTIO_CONSOLE_DEVICE_ADD." */
        if (!(p->state & VIRTIO_CONSOLE_STATE_PRESENT)) goto bad;
        p->state = 0;
        p->name[0] = '\0';
        /* Data that arrived for the old port must not show up as the next one's. */
        return virtio_console__rx_discard(con, p);
    case VIRTIO_CONSOLE_CONSOLE_PORT:
        if (len != VIRTIO_CONSOLE_CTRL_BYTES) goto bad;
        if (!p) return VIRTIO_OK;
        if (!(p->state & VIRTIO_CONSOLE_STATE_PRESENT)) goto bad;
        /* The driver "MUST respond with a VIRTIO_CONSOLE_PORT_OPEN message, which MUST have
           value set to 1": after our PORT_READY, from virtio_console_service. */
        p->state |= VIRTIO_CONSOLE_STATE_CONSOLE | VIRTIO_CONSOLE__NEED_OPEN;
        return VIRTIO_OK;
    case VIRTIO_CONSOLE_RESIZE:
        /* struct virtio_console_resize { le16 cols; le16 rows; } follows the header. */
        if (len != VIRTIO_CONSOLE_CTRL_BYTES + 4u) goto bad;
        if (!p) return VIRTIO_OK;
        if (!(p->state & VIRTIO_CONSOLE_STATE_PRESENT)) goto bad;
        p->cols = virtio_console__get16(&con->dev, msg + 8);
        p->rows = virtio_console__get16(&con->dev, msg + 10);
        p->state |= VIRTIO_CONSOLE_STATE_SIZE;
        return VIRTIO_OK;
    case VIRTIO_CONSOLE_PORT_OPEN:
        if (len != VIRTIO_CONSOLE_CTRL_BYTES || value > 1) goto bad;
        if (!p) return VIRTIO_OK;
        if (!(p->state & VIRTIO_CONSOLE_STATE_PRESENT)) goto bad;
        if (value)
            p->state |= VIRTIO_CONSOLE_STATE_HOST_OPEN;
        else
            p->state &= ~VIRTIO_CONSOLE_STATE_HOST_OPEN;
        return VIRTIO_OK;
    case VIRTIO_CONSOLE_PORT_NAME:
        if (!p) return VIRTIO_OK;
        if (!(p->state & VIRTIO_CONSOLE_STATE_PRESENT)) goto bad;
        /* The spec sends the name "without a NUL terminator"; QEMU adds one. Take either:
           trailing NULs go, a NUL inside the name or an empty or too long name is refused. */
        n = len - VIRTIO_CONSOLE_CTRL_BYTES;
        while (n > 0 && msg[VIRTIO_CONSOLE_CTRL_BYTES + n - 1u] == 0)
            n--;
        if (n == 0 || n > VIRTIO_CONSOLE_NAME_MAX) goto bad;
        for (i = 0; i < n; i++)
            if (msg[VIRTIO_CONSOLE_CTRL_BYTES + i] == 0) goto bad;
        for (i = 0; i < n; i++)
            p->name[i] = (char)msg[VIRTIO_CONSOLE_CTRL_BYTES + i];
        p->name[n] = '\0';
        p->state |= VIRTIO_CONSOLE_STATE_NAMED;
        return VIRTIO_OK;
    default:
        /* Unknown, or one only the driver sends (DEVICE_READY, PORT_READY). */
        goto bad;
    }
bad:
    con->ctrl_bad++;
    return VIRTIO_OK;
}

/* Takes every control message the device has returned (bounded: at most one pass over the
   buffers), giving each buffer back before acting on its copy. */
static int virtio_console__ctrl_drain(virtio_console *con) {
    uint8_t msg[VIRTIO_CONSOLE_CTRL_BUF_SIZE];
    void *cookie;
    uint32_t len, n, i;
    int r;
    for (n = 0; n < con->nctrl; n++) {
        r = virtio_queue_poll(&con->ctrl_rx, &cookie, &len);
        if (r == VIRTIO_EAGAIN) return VIRTIO_OK;
        if (r) return con->ctrl_error = r;
        /* len <= VIRTIO_CONSOLE_CTRL_BUF_SIZE: virtio_queue_poll checked it against the post. */
        for (i = 0; i < len; i++)
            msg[i] = ((const uint8_t *)cookie)[i];
        r = virtio_console__post(&con->ctrl_rx, cookie, VIRTIO_CONSOLE_CTRL_BUF_SIZE);
        if (r) return con->ctrl_error = r;
        r = virtio_console__ctrl_handle(con, msg, len);
        if (r) return r;
    }
    return VIRTIO_OK;
}

VIRTIO_CONSOLE__DEF int virtio_console_service(virtio_console *con) {
    uint32_t round, k;
    int r;
    if (!con || !con->ports) return VIRTIO_EINVAL;
    if (con->dev.error) return con->dev.error;
    if (!con->multiport) return VIRTIO_OK;
    if (con->ctrl_error) return con->ctrl_error;
    /* Answers wait until the queue is drained, one at a time: each PORT_READY makes QEMU send
       up to three messages at once (CONSOLE_PORT, PORT_NAME, PORT_OPEN), and it drops those
       that find no buffer posted. Bounded: two answers per port at most, the rest next call. */
    for (round = 0; round <= 2u * con->nports; round++) {
        r = virtio_console__ctrl_drain(con);
        if (r) return r;
        for (k = 0; k < con->nports; k++)
            if (con->ports[k].state & (VIRTIO_CONSOLE__NEED_READY | VIRTIO_CONSOLE__NEED_OPEN))
                break;
        if (k == con->nports) return VIRTIO_OK;
        if (con->ports[k].state & VIRTIO_CONSOLE__NEED_READY) {
            r = virtio_console__ctrl_send(con, k, VIRTIO_CONSOLE_PORT_READY, 1);
            if (r) return r;
            con->ports[k].state &= ~VIRTIO_CONSOLE__NEED_READY;
        } else {
            r = virtio_console__ctrl_send(con, k, VIRTIO_CONSOLE_PORT_OPEN, 1);
            if (r) return r;
            con->ports[k].state &= ~VIRTIO_CONSOLE__NEED_OPEN;
            con->ports[k].state |= VIRTIO_CONSOLE_STATE_GUEST_OPEN;
        }
    }
    return VIRTIO_OK;
}

/* ---- Initialization ---------------------------------------------------------------------------
 */
static int virtio_console__read_config(virtio_dev *dev, void *ctx) {
    virtio_console *con = (virtio_console *)ctx;
    if (virtio_dev_has(dev, VIRTIO_CONSOLE_F_SIZE)) {
        con->cols = virtio_config_read16(dev, VIRTIO_CONSOLE_CFG_COLS);
        con->rows = virtio_config_read16(dev, VIRTIO_CONSOLE_CFG_ROWS);
    }
    con->max_nr_ports = virtio_dev_has(dev, VIRTIO_CONSOLE_F_MULTIPORT)
                            ? virtio_config_read32(dev, VIRTIO_CONSOLE_CFG_MAX_NR_PORTS)
                            : 1u;
    return VIRTIO_OK;
}

VIRTIO_CONSOLE__DEF int virtio_console_init(virtio_console *con, const virtio_regs *regs,
                                            const virtio_console_params *params, void *mem,
                                            size_t mem_size) {
    virtio_console__plan L;
    virtio_mmio_slot slot;
    char *m = (char *)mem;
    uint64_t wanted;
    uint32_t k, i, nports;
    int r;
    if (!con || !regs || !regs->read32 || !mem) return VIRTIO_EINVAL;
    /* The layout depends on the transport version: read it (registers are only read) and check
       the memory before touching the device, so a caller error changes nothing. */
    if (virtio_mmio_scan(regs, regs->user, 0, 1, &slot, 1) != 1) return VIRTIO_ENODEV;
    if (slot.version != 1 && slot.version != 2) return VIRTIO_EVERSION;
    if (!virtio_console__make_plan(params, slot.version, &L)) return VIRTIO_EINVAL;
    if (mem_size < L.total || ((uintptr_t)mem & (L.qalign - 1u)) != 0) return VIRTIO_EINVAL;

    virtio_zero(con, sizeof *con);
    virtio_zero(m + L.ports_off, (size_t)L.p.ports * sizeof(virtio_console_port));
    con->ports = (virtio_console_port *)(void *)(m + L.ports_off);
    con->rx_buf_size = L.p.rx_buf_size;

    /* 1-3. Reset, ACKNOWLEDGE, DRIVER. */
    r = virtio_dev_init(&con->dev, regs, VIRTIO_ID_CONSOLE);
    if (r) return r;
    /* 4-6. Features: multiport only when the caller serves more than port 0 (without it the
       device needs no control queues and opens port 0 itself at DRIVER_OK). */
    wanted = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
             VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE) | VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE);
    if (L.p.ports > 1) wanted |= VIRTIO_BIT(VIRTIO_CONSOLE_F_MULTIPORT);
    r = virtio_dev_negotiate(&con->dev, wanted, 0);
    if (r) return r;
    con->multiport = virtio_dev_has(&con->dev, VIRTIO_CONSOLE_F_MULTIPORT);
    r = virtio_config_atomic(&con->dev, virtio_console__read_config, con);
    if (r) return virtio_dev_fail(&con->dev, r);
    /* Untrusted: port 0 always exists, and port n needs queue 2n+3 (16 bits). */
    if (con->max_nr_ports == 0 || con->max_nr_ports > VIRTIO_CONSOLE_PORTS_MAX + 1u)
        return virtio_dev_fail(&con->dev, VIRTIO_EDEVICE);
    nports = con->multiport ? L.p.ports : 1u;
    if (nports > con->max_nr_ports) nports = con->max_nr_ports;

    /* 7. Queues: port 0 (0, 1), control (2, 3), port n (2n+2, 2n+3). A port whose queues the
       device lacks is not served (refused if announced); port 0 and control are required. */
    for (k = 0; k < nports; k++) {
        virtio_console_port *p = &con->ports[k];
        char *q = m + (size_t)k * (L.rxq_bytes + L.txq_bytes);
        uint16_t qi = (uint16_t)(k == 0 ? 0u : 2u * k + 2u);
        r = virtio_queue_init(&p->rx, &con->dev, qi, q, L.rxq_bytes, L.rxq);
        if (r == 0)
            r = virtio_queue_init(&p->tx, &con->dev, (uint16_t)(qi + 1u), q + L.rxq_bytes,
                                  L.txq_bytes, VIRTIO_CONSOLE_TX_QUEUE_SIZE);
        if (r == VIRTIO_ENOQUEUE && k > 0) {
            nports = k;
            break;
        }
        if (r) return virtio_dev_fail(&con->dev, r);
        /* "When using the legacy interface, the driver SHOULD ignore the used length values for
           the transmit queues and the control transmitq." */
        p->tx.ignore_len = (uint16_t)(con->dev.version == 1);
        p->rx_mem = (uint8_t *)(m + L.rx_off + (size_t)k * L.p.rx_bufs * L.p.rx_buf_size);
        p->rx_bufs = L.p.rx_bufs < p->rx.size ? L.p.rx_bufs : p->rx.size;
    }
    con->nports = nports;
    if (con->multiport) {
        char *q = m + (size_t)L.p.ports * (L.rxq_bytes + L.txq_bytes);
        r = virtio_queue_init(&con->ctrl_rx, &con->dev, 2, q, L.ctrlq_bytes, L.ctrlq);
        if (r == 0)
            r = virtio_queue_init(&con->ctrl_tx, &con->dev, 3, q + L.ctrlq_bytes, L.ctrltxq_bytes,
                                  VIRTIO_CONSOLE_TX_QUEUE_SIZE);
        if (r) return virtio_dev_fail(&con->dev, r);
        con->ctrl_tx.ignore_len = (uint16_t)(con->dev.version == 1);
        con->ctrl_mem = (uint8_t *)(m + L.ctrl_off);
        con->ctrl_msg = (virtio_console_ctrl *)(void *)(m + L.msg_off);
        con->nctrl = L.p.ctrl_bufs < con->ctrl_rx.size ? L.p.ctrl_bufs : con->ctrl_rx.size;
    }

    /* "The receiveq for each port is populated with one or more receive buffers." Added now,
       published by the kicks after DRIVER_OK (no notification may come before it). */
    for (k = 0; k < nports; k++) {
        virtio_console_port *p = &con->ports[k];
        for (i = 0; i < p->rx_bufs; i++) {
            virtio_seg seg;
            seg.addr = p->rx_mem + (size_t)i * L.p.rx_buf_size;
            seg.len = L.p.rx_buf_size;
            r = virtio_queue_add(&p->rx, &seg, 0, 1, p->rx_mem + (size_t)i * L.p.rx_buf_size);
            if (r) return virtio_dev_fail(&con->dev, r);
        }
    }
    for (i = 0; i < con->nctrl; i++) {
        virtio_seg seg;
        seg.addr = con->ctrl_mem + (size_t)i * VIRTIO_CONSOLE_CTRL_BUF_SIZE;
        seg.len = VIRTIO_CONSOLE_CTRL_BUF_SIZE;
        r = virtio_queue_add(&con->ctrl_rx, &seg, 0, 1,
                             con->ctrl_mem + (size_t)i * VIRTIO_CONSOLE_CTRL_BUF_SIZE);
        if (r) return virtio_dev_fail(&con->dev, r);
    }

    /* 8. DRIVER_OK. */
    r = virtio_dev_ready(&con->dev);
    if (r) return r;
    for (k = 0; k < nports && r == 0; k++)
        r = virtio_queue_kick(&con->ports[k].rx);
    if (r == 0 && con->multiport) r = virtio_queue_kick(&con->ctrl_rx);
    if (r) return virtio_dev_fail(&con->dev, r);

    if (!con->multiport) {
        /* Without multiport the device has exactly port 0, a console, open on both sides. */
        con->ports[0].state = VIRTIO_CONSOLE_STATE_PRESENT | VIRTIO_CONSOLE_STATE_CONSOLE |
                              VIRTIO_CONSOLE_STATE_HOST_OPEN | VIRTIO_CONSOLE_STATE_GUEST_OPEN;
        return VIRTIO_OK;
    }
    /* "The driver MUST send a VIRTIO_CONSOLE_DEVICE_READY message if VIRTIO_CONSOLE_F_MULTIPORT
       is negotiated." The device answers with a DEVICE_ADD per port; take and answer them. */
    r = virtio_console__ctrl_send(con, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
    if (r) return virtio_dev_fail(&con->dev, r);
    /* Trouble from here on is the control queues' (con->ctrl_error, virtio_console_service),
       not a reason to give up the ports that work. */
    (void)virtio_console_service(con);
    return con->dev.error;
}

/* ---- Queries ----------------------------------------------------------------------------------
 */
VIRTIO_CONSOLE__DEF uint32_t virtio_console_ports(const virtio_console *con) {
    return con && con->ports ? con->nports : 0u;
}

VIRTIO_CONSOLE__DEF uint32_t virtio_console_port_state(const virtio_console *con, uint32_t port) {
    if (!con || !con->ports || port >= con->nports) return 0;
    return con->ports[port].state & 0xffu;
}

VIRTIO_CONSOLE__DEF const char *virtio_console_port_name(const virtio_console *con, uint32_t port) {
    if (!con || !con->ports || port >= con->nports) return 0;
    return (con->ports[port].state & VIRTIO_CONSOLE_STATE_NAMED) ? con->ports[port].name : 0;
}

static int virtio_console__read_size(virtio_dev *dev, void *ctx) {
    uint16_t *cr = (uint16_t *)ctx;
    cr[0] = virtio_config_read16(dev, VIRTIO_CONSOLE_CFG_COLS);
    cr[1] = virtio_config_read16(dev, VIRTIO_CONSOLE_CFG_ROWS);
    return VIRTIO_OK;
}

VIRTIO_CONSOLE__DEF int virtio_console_size(virtio_console *con, uint32_t port, uint16_t *cols,
                                            uint16_t *rows) {
    virtio_console_port *p;
    uint16_t cr[2];
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (!cols || !rows) return VIRTIO_EINVAL;
    if (port == 0 && virtio_dev_has(&con->dev, VIRTIO_CONSOLE_F_SIZE)) {
        /* "a configuration change notification indicates that the updated size can be read":
           we take no notifications, so read it each time. */
        r = virtio_config_atomic(&con->dev, virtio_console__read_size, cr);
        if (r) return r;
        con->cols = cr[0];
        con->rows = cr[1];
        *cols = cr[0];
        *rows = cr[1];
        return VIRTIO_OK;
    }
    if (con->multiport) (void)virtio_console_service(con);
    if (!(p->state & VIRTIO_CONSOLE_STATE_SIZE)) return VIRTIO_ENOTSUP;
    *cols = p->cols;
    *rows = p->rows;
    return VIRTIO_OK;
}

VIRTIO_CONSOLE__DEF int virtio_console_find(virtio_console *con, const char *name, uint32_t *port) {
    uint32_t k, i;
    int r;
    if (!con || !con->ports || !name || !port) return VIRTIO_EINVAL;
    r = virtio_console_service(con);
    if (r) return r;
    for (k = 0; k < con->nports; k++) {
        const virtio_console_port *p = &con->ports[k];
        if ((p->state & (VIRTIO_CONSOLE_STATE_PRESENT | VIRTIO_CONSOLE_STATE_NAMED)) !=
            (VIRTIO_CONSOLE_STATE_PRESENT | VIRTIO_CONSOLE_STATE_NAMED))
            continue;
        for (i = 0; i <= VIRTIO_CONSOLE_NAME_MAX && p->name[i] == name[i] && name[i]; i++) {
        }
        if (i <= VIRTIO_CONSOLE_NAME_MAX && p->name[i] == name[i]) {
            *port = k;
            return VIRTIO_OK;
        }
    }
    return VIRTIO_EAGAIN;
}

static int virtio_console__set_open(virtio_console *con, uint32_t port, int open) {
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (con->dev.error) return con->dev.error;
    if (!con->multiport) return VIRTIO_OK;
    r = virtio_console_service(con);
    if (r) return r;
    if (!(p->state & VIRTIO_CONSOLE_STATE_PRESENT)) return VIRTIO_ESTATE;
    r = virtio_console__ctrl_send(con, port, VIRTIO_CONSOLE_PORT_OPEN, (uint16_t)(open ? 1 : 0));
    if (r) return r;
    if (open)
        p->state |= VIRTIO_CONSOLE_STATE_GUEST_OPEN;
    else
        p->state &= ~(VIRTIO_CONSOLE_STATE_GUEST_OPEN | VIRTIO_CONSOLE__NEED_OPEN);
    return VIRTIO_OK;
}

VIRTIO_CONSOLE__DEF int virtio_console_open(virtio_console *con, uint32_t port) {
    return virtio_console__set_open(con, port, 1);
}

VIRTIO_CONSOLE__DEF int virtio_console_close(virtio_console *con, uint32_t port) {
    return virtio_console__set_open(con, port, 0);
}

/* ---- Transmit ---------------------------------------------------------------------------------
 */
static int virtio_console__usable(virtio_console *con, virtio_console_port *p, virtio_queue *q) {
    if (con->dev.error) return con->dev.error;
    if (q->error) return q->error;
    /* Control trouble is reported by virtio_console_service; data goes on regardless. */
    if (con->multiport) (void)virtio_console_service(con);
    if (con->dev.error) return con->dev.error;
    if (!(p->state & VIRTIO_CONSOLE_STATE_PRESENT)) return VIRTIO_ESTATE;
    return VIRTIO_OK;
}

/* Waits for the transmit buffer the device still holds, if any. */
static int virtio_console__tx_reclaim(virtio_console_port *p) {
    void *cookie;
    int r;
    if (!p->tx_busy) return VIRTIO_OK;
    r = virtio_queue_wait(&p->tx, &cookie, 0);
    if (r) return r;
    p->tx_busy = 0;
    return VIRTIO_OK;
}

VIRTIO_CONSOLE__DEF int virtio_console_flush(virtio_console *con, uint32_t port) {
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (con->dev.error) return con->dev.error;
    return virtio_console__tx_reclaim(p);
}

VIRTIO_CONSOLE__DEF int virtio_console_write(virtio_console *con, uint32_t port, const void *buf,
                                             size_t len) {
    const char *b = (const char *)buf;
    virtio_console_port *p;
    void *cookie;
    virtio_seg seg;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (!buf && len) return VIRTIO_EINVAL;
    r = virtio_console__usable(con, p, &p->tx);
    if (r) return r;
    /* A generic port whose host side is closed: QEMU would use the buffer and drop the data.
       Console ports take output regardless (as Linux's hvc does). */
    if (con->multiport &&
        !(p->state & (VIRTIO_CONSOLE_STATE_HOST_OPEN | VIRTIO_CONSOLE_STATE_CONSOLE)))
        return VIRTIO_ESTATE;
    r = virtio_console__tx_reclaim(p);
    if (r) return r;
    while (len) {
        uint32_t chunk = len < VIRTIO_CONSOLE__CHUNK ? (uint32_t)len : VIRTIO_CONSOLE__CHUNK;
        /* One readable descriptor, the caller's bytes: "The driver MUST NOT put a
           device-writable buffer in a transmitq." */
        seg.addr = b;
        seg.len = chunk;
        r = virtio_queue_add(&p->tx, &seg, 1, 0, p);
        if (r) return r;
        p->tx_busy = 1;
        r = virtio_queue_kick(&p->tx);
        if (r) return r;
        r = virtio_queue_wait(&p->tx, &cookie, 0);
        if (r) return r; /* ETIMEDOUT: still the device's, tx_busy stays */
        p->tx_busy = 0;
        b += chunk;
        len -= chunk;
    }
    return VIRTIO_OK;
}

/* ---- Receive ----------------------------------------------------------------------------------
 */
/* Makes p->cur a buffer with unread bytes if the device has returned one. Bounded: one pass
   over the posted buffers (a device returning empty buffers forever cannot hold us). */
static int virtio_console__rx_next(virtio_console *con, virtio_console_port *p) {
    void *cookie;
    uint32_t len, n;
    int r;
    for (n = 0; !p->cur && n < p->rx_bufs; n++) {
        r = virtio_queue_poll(&p->rx, &cookie, &len);
        if (r) return r; /* VIRTIO_EAGAIN, or a latched ring fault */
        if (len == 0) {
            r = virtio_console__post(&p->rx, cookie, con->rx_buf_size);
            if (r) return r;
            continue;
        }
        /* len <= rx_buf_size: virtio_queue_poll checked it against what we posted. */
        p->cur = (uint8_t *)cookie;
        p->cur_len = len;
        p->cur_off = 0;
    }
    return p->cur ? VIRTIO_OK : VIRTIO_EAGAIN;
}

static int virtio_console__rx_consume(virtio_console *con, virtio_console_port *p, uint32_t n) {
    uint8_t *b;
    p->cur_off += n;
    if (p->cur_off < p->cur_len) return VIRTIO_OK;
    /* Fully read: only now may the device have it back. */
    b = p->cur;
    p->cur = 0;
    return virtio_console__post(&p->rx, b, con->rx_buf_size);
}

VIRTIO_CONSOLE__DEF int virtio_console_peek(virtio_console *con, uint32_t port, const void **data,
                                            size_t *len) {
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (!data || !len) return VIRTIO_EINVAL;
    r = virtio_console__usable(con, p, &p->rx);
    if (r) return r;
    r = virtio_console__rx_next(con, p);
    if (r) return r;
    *data = p->cur + p->cur_off;
    *len = p->cur_len - p->cur_off;
    return VIRTIO_OK;
}

VIRTIO_CONSOLE__DEF int virtio_console_consume(virtio_console *con, uint32_t port, size_t n) {
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (n == 0) return VIRTIO_OK;
    if (!p->cur || n > (size_t)(p->cur_len - p->cur_off)) return VIRTIO_EINVAL;
    if (con->dev.error) return con->dev.error;
    return virtio_console__rx_consume(con, p, (uint32_t)n);
}

VIRTIO_CONSOLE__DEF int virtio_console_read(virtio_console *con, uint32_t port, void *buf,
                                            size_t len, size_t *got) {
    virtio_console_port *p;
    uint8_t *out = (uint8_t *)buf;
    size_t done = 0;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (!got || (!buf && len)) return VIRTIO_EINVAL;
    *got = 0;
    if (len == 0) return VIRTIO_OK;
    r = virtio_console__usable(con, p, &p->rx);
    if (r) return r;
    while (done < len) {
        uint32_t n, i;
        r = virtio_console__rx_next(con, p);
        if (r) break;
        n = p->cur_len - p->cur_off;
        if (n > len - done) n = (uint32_t)(len - done);
        for (i = 0; i < n; i++)
            out[done + i] = p->cur[p->cur_off + i];
        done += n;
        r = virtio_console__rx_consume(con, p, n);
        if (r) break;
    }
    *got = done;
    /* Bytes taken are the caller's even if the device failed meanwhile; the error comes back
       with the next call. */
    if (done) return VIRTIO_OK;
    return r ? r : VIRTIO_EAGAIN;
}

VIRTIO_CONSOLE__DEF int virtio_console_read_wait(virtio_console *con, uint32_t port, void *buf,
                                                 size_t len, size_t *got) {
    virtio_console_port *p;
    uint32_t i;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (!got || (!buf && len)) return VIRTIO_EINVAL;
    for (i = 0;; i++) {
        r = virtio_console_read(con, port, buf, len, got);
        if (r != VIRTIO_EAGAIN || len == 0) return r;
        r = virtio_dev_spin(&con->dev, i); /* bounded; notices NEEDS_RESET */
        if (r) return r;
    }
}

#undef VIRTIO_CONSOLE__DEF
#undef VIRTIO_CONSOLE__NEED_READY
#undef VIRTIO_CONSOLE__NEED_OPEN
#undef VIRTIO_CONSOLE__CHUNK
#endif /* VIRTIO_CONSOLE_IMPLEMENTATION */

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
