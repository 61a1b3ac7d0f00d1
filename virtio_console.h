/* virtio_console.h - v0.2.0 - polled VirtIO console driver (emergency write, ports, multiport)
   on virtio.h. MIT licensed, see the end of the file.

QUICK START

       #define VIRTIO_IMPLEMENTATION               // in exactly one C file
       #include "virtio.h"
       #define VIRTIO_CONSOLE_IMPLEMENTATION
       #include "virtio_console.h"

       // Find the console: QEMU's riscv `virt` machine has 8 virtio-mmio slots, filled from
       // the top, so never assume a slot.
       virtio_mmio_slot slots[8];
       virtio_transport t;
       int r = VIRTIO_ENODEV, i, n = virtio_mmio_scan(NULL, (void *)0x10001000, 0x1000, 8,
                                                      slots, 8);
       for (i = 0; i < n && i < 8 && r != 0; i++) {
           virtio_regs regs = virtio_mmio_regs(slots[i].base);  // plain MMIO: no callback
           if (slots[i].device_id == VIRTIO_ID_CONSOLE) r = virtio_mmio_transport(&t, &regs);
       }

       virtio_dev early;                                        // the first words of a boot:
       if (r == 0 && virtio_console_emerg_init(&early, &t) == 0) // no reset, no memory
           virtio_console_emerg_write(&early, "booting\n", 8);

       static uint8_t mem[VIRTIO_CONSOLE_MEM(1, 8, 512, 0)] __attribute__((aligned(4096)));
       virtio_console_params p = {0};                           // zero fields: defaults
       p.rx_bufs = 8;                                           // p.ports 0 (= 1): port 0,
       p.rx_buf_size = 512;                                     // no control queues
       virtio_console con;                                      // must not move after init
       if (r == 0) r = virtio_console_init(&con, &t, &p, mem, sizeof mem);
       if (r == 0) r = virtio_console_write(&con, 0, "hello\n", 6);      // waits: sent
       char in[64];
       size_t got;
       if (r == 0) r = virtio_console_read(&con, 0, in, sizeof in, &got); // waits: >= 1 byte

   Transmit: virtio_console_write sends a buffer and waits until the device has it;
   virtio_console_write_submit queues one without telling the device, virtio_console_kick
   tells it (one notification for a batch), virtio_console_write_poll / _write_wait take
   finished ones back, virtio_console_write_pending counts what is still out. Receive:
   virtio_console_read waits for bytes and copies them, virtio_console_read_poll copies what is
   there; zero-copy, virtio_console_recv_poll / _recv_wait point at the received bytes in place
   and virtio_console_release gives them back to the device.

   Several ports (VIRTIO_CONSOLE_F_MULTIPORT): ask for p.ports > 1 and give memory for them; the
   device announces its ports on the control queue, virtio_console_find() looks one up by the
   name the host gave it, and virtio_console_open() tells the device we are listening:

       uint32_t id;
       if (virtio_console_find(&con, "org.example.log", &id) == 0 &&
           virtio_console_open(&con, id) == 0)
           r = virtio_console_write(&con, id, "hi\n", 3);

   Call virtio_console_service() now and then (every read and write does) so the driver sees
   ports come and go and hosts open and close them.

DOES NOT
   allocate, take interrupts, lock, call any C library function, or copy on transmit (the
   device reads the caller's buffer in place). Port hot-unplug keeps a port's queues (queues
   can only be set up before DRIVER_OK), so a port that comes back uses them again.

MEMORY
   One block, virtio_console_mem_size(&params, &t) bytes aligned to virtio_queue_ring_align(&t)
   (4096 for legacy virtio-mmio, 16 for modern), reachable by the device (DMA). A NULL
   transport gives the size that fits every transport, and VIRTIO_CONSOLE_MEM(ports, rx_bufs,
   rx_buf_size, ctrl_bufs) is the same bound at compile time (arguments as the params fields,
   0 = default). The block holds, in this order: the rings (two queues per port, plus the two
   control queues only when params.ports > 1), each at the ring alignment and no larger than
   the ring layout needs; then, 8-aligned, the driver's private shadows, the per-port state,
   the control message and control receive buffers (multiport only), and the receive buffers
   (ports * rx_bufs * rx_buf_size bytes). Port 0 with 8 receive buffers of 512 bytes
   (VIRTIO_CONSOLE_MEM(1, 8, 512, 0)) takes 4,904 bytes on a modern transport and 20,936 on a
   legacy one, the bound for any transport (64-bit CPU; VIRTIO_NO_LEGACY makes the bound the
   modern figure). The block, and the virtio_console object, must not move or be reused while
   the console runs: until virtio_console_reset returns 0 (initializing again also resets).
   A transmit buffer is read by the device in place: keep it unchanged until the call that
   sent it returns (virtio_console_write), or until virtio_console_write_pending is 0 (after
   virtio_console_write_submit: the device may finish buffers in any order).
   Legacy virtio-pci fixes each queue's size (QEMU: 128): the rings have the device's size,
   the driver uses the entries the params ask for. virtio_console_mem_size(&p, &t) with the
   probed transport counts that; the compile-time bound holds there when its queue sizes are
   at least the device's, or for any when the device's are at most 128 (virtio.h,
   VIRTIO_QUEUE_RING_MEM).

CONFIGURATION (define before including; * = must be the same in every file)
   VIRTIO_CONSOLE_NAME_MAX      * longest port name kept, bytes (default 63)
   VIRTIO_CONSOLE_CTRL_BUF_SIZE * bytes of each control receive buffer (default 128, a multiple
                                  of 16). QEMU writes a name message of any length and reports
                                  the full length even when it did not fit: a name longer than
                                  this minus 8 is a device fault that breaks the control queue
                                  (port data keeps working). Names that fit but are longer than
                                  NAME_MAX are refused (counted in ctrl_bad).
   VIRTIO_CONSOLE_NO_MULTIPORT    port 0 only: VIRTIO_CONSOLE_F_MULTIPORT is never negotiated
                                  and the control queues, port names and the control protocol
                                  are left out. params.ports above 1 is VIRTIO_EINVAL.
                                  virtio_console_find returns VIRTIO_ENOTSUP after its argument
                                  and state checks; virtio_console_service, _open and _close
                                  do what they do on a console without multiport (nothing: 0),
                                  and port_name is NULL.
   VIRTIO_CONSOLE_MINIMAL         write and read port 0, nothing else, for bootloaders
                                  (VIRTIO_MINIMAL in virtio.h defines it too): all of
                                  VIRTIO_CONSOLE_NO_MULTIPORT, and VIRTIO_CONSOLE_F_SIZE and
                                  _EMERG_WRITE are never negotiated nor the size read:
                                  virtio_console_size, virtio_console_emerg_init and
                                  virtio_console_emerg_write return VIRTIO_ENOTSUP after their
                                  argument checks, writing nothing. (A bootloader that wants
                                  the emergency write can take VIRTIO_CONSOLE_NO_MULTIPORT
                                  instead.)

ERRORS
   As virtio.h: 0 or a negative virtio_result. VIRTIO_EINVAL for a caller bug (NULL, a port
   number out of range, too little or misaligned memory, bad params): nothing changes, not a
   register and not a byte of memory. VIRTIO_ESTATE from every call on an object that was never
   initialized (a zeroed one) or was reset since (after a failed init, its error: every call
   returns it until init succeeds); also for a port the device has not announced
   (or removed), and for a write to a port whose host side is closed (the device would drop the
   data). VIRTIO_ENODEV from init when the transport's device is not a console. VIRTIO_EAGAIN
   from the _poll calls when nothing is there, at once from virtio_console_write_wait when
   nothing is pending, and from virtio_console_find while no port has the name. VIRTIO_ENOSPC
   from virtio_console_write_submit when the port's transmit queue is full. VIRTIO_ENOTSUP when
   the device did not offer what the call needs.

   Transmit waits keep buffer ownership safe (virtio 1.4 "Device Cleanup"): when
   virtio_console_write or virtio_console_write_wait fails with VIRTIO_ETIMEDOUT,
   VIRTIO_ENEEDS_RESET or VIRTIO_EDEVICE (and when any call finds a transmit ring fault), the
   device has been reset before the call returns, so every buffer it was given is the caller's
   again; the error stays latched, every later call returns it, and virtio_console_init starts
   over. If even the reset did not complete, the call returns VIRTIO_EBUSY: the device may still
   read those buffers, so leave them alone and call virtio_console_reset until it returns 0.

   Receive waits (virtio_console_read, virtio_console_recv_wait) that run out return
   VIRTIO_ETIMEDOUT and reset nothing: receive buffers are the driver's own memory in the block,
   no caller buffer is exposed, and the console works on. A device that sets NEEDS_RESET while we
   wait for input latches VIRTIO_ENEEDS_RESET; virtio_console_reset then hands the block back. A
   ring fault of a port's receive queue latches that port only. Ring faults of the control queues
   latch con->ctrl_error (reported by virtio_console_service, not by data calls, so port 0 keeps
   working), and so does a control message open or close waited for in vain. Waits never nest:
   the control answers data calls and virtio_console_service send are never waited for, so no
   call runs more than one wait's bound and the _poll calls never wait. A control message that
breaks the protocol (unknown event, wrong length, bad port id, bad name) is dropped and counted in
con->ctrl_bad: the queue itself is fine.

TRUST MODEL
   Everything the device writes is checked: used ids and lengths (by virtio.h), max_nr_ports,
   every control message (length per event, port id against max_nr_ports and the ports the
   device announced, PORT_OPEN values, names: NUL-terminated or not, embedded NULs, length),
   receive lengths.

CONCURRENCY
   One caller per virtio_console at a time; no globals. Every wait is bounded by the spin limit
   and the relax hook of the accessor behind the transport, as in virtio.h.

SPEC (virtio 1.4, section titles)
   "Device Types / Console Device": virtqueues (port 0: 0/1, control: 2/3, port n: 2n+2/2n+3),
   feature bits, device configuration layout (incl. legacy byte order), device initialization,
   device operation, multiport device operation (all eight control events, the driver's MUST
   send DEVICE_READY and MUST answer CONSOLE_PORT with PORT_OPEN 1), legacy framing (one
   descriptor per control buffer). "General Initialization And Device Operation / Device
   Cleanup" (buffers given back only by use or reset).
*/

#ifndef VIRTIO_CONSOLE_H
#define VIRTIO_CONSOLE_H

/* VIRTIO_MINIMAL (virtio.h): the smallest console driver too; VIRTIO_CONSOLE_MINIMAL includes
   VIRTIO_CONSOLE_NO_MULTIPORT. */
#if defined(VIRTIO_MINIMAL) && !defined(VIRTIO_CONSOLE_MINIMAL)
#define VIRTIO_CONSOLE_MINIMAL
#endif
#if defined(VIRTIO_CONSOLE_MINIMAL) && !defined(VIRTIO_CONSOLE_NO_MULTIPORT)
#define VIRTIO_CONSOLE_NO_MULTIPORT
#endif

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

/* ---- Feature bits: "Console Device / Feature bits" ------------------------------------------- */
#define VIRTIO_CONSOLE_F_SIZE        0 /* cols and rows are valid */
#define VIRTIO_CONSOLE_F_MULTIPORT   1 /* max_nr_ports is valid, control queues are used */
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2 /* emerg_wr is valid */

/* ---- Configuration layout: struct virtio_console_config, byte offsets ------------------------ */
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

/* What the caller asks for. Zero fields take the defaults; fill fields by name. */
typedef struct virtio_console_params {
    uint32_t ports;       /* port ids 0..ports-1 are served (default 1: port 0, no multiport,
                             no control queues); at most VIRTIO_CONSOLE_PORTS_MAX */
    uint32_t rx_bufs;     /* receive buffers posted per port (default 8, at most 32768) */
    uint32_t rx_buf_size; /* bytes of each (default 512, below 2 GiB) */
    uint32_t ctrl_bufs;   /* control receive buffers, multiport only (default 32, at most
                             32768): at least as many as the device may announce ports at
                             once, plus 3. QEMU drops a control message when no buffer is
                             posted. */
} virtio_console_params;
#define VIRTIO_CONSOLE_DEFAULT_PORTS       1u
#define VIRTIO_CONSOLE_DEFAULT_RX_BUFS     8u
#define VIRTIO_CONSOLE_DEFAULT_RX_BUF_SIZE 512u
#define VIRTIO_CONSOLE_DEFAULT_CTRL_BUFS   32u
/* Entries of a transmit queue: buffers a port can have submitted at once. */
#define VIRTIO_CONSOLE_TX_QUEUE_SIZE 4u

/* One port (driver-private; in the caller's memory block). */
typedef struct virtio_console_port {
    virtio_queue rx, tx; /* receiveq (2n+2, or 0) and transmitq (2n+3, or 1) */
    uint8_t *rx_mem;     /* rx_bufs buffers of the console's rx_buf_size */
    uint8_t *cur;        /* the received buffer being read, NULL if none */
    uint32_t cur_len;    /* bytes the device wrote into it */
    uint32_t cur_off;    /* bytes of it already read */
    uint32_t rx_bufs;    /* buffers posted (at most the queue size) */
    uint32_t state;      /* VIRTIO_CONSOLE_STATE_* and private bits */
    uint16_t cols, rows; /* from RESIZE */
    char name[VIRTIO_CONSOLE_NAME_MAX + 1];
} virtio_console_port;

/* The console. The caller owns it; it must not move after init. Use the functions; the
   counters multiport, max_nr_ports, ctrl_error, ctrl_bad and refused may be read. */
typedef struct virtio_console {
    virtio_dev dev;
    virtio_queue ctrl_rx, ctrl_tx; /* control receiveq (2) and transmitq (3), multiport only */
    virtio_console_port *ports;    /* nports of them, in the caller's memory; NULL: not set up */
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
    int was_reset;                 /* a failed transmit wait reset the device: nothing pending */
    uint32_t ctrl_bad;             /* control messages dropped as malformed */
    uint32_t refused;              /* DEVICE_ADDs refused for want of memory (PORT_READY 0) */
} virtio_console;

/* Compile-time bound of virtio_console_mem_size for any transport; arguments as in
   virtio_console_params (0 = default). The same sum as the implementation's plan, with the
   core's any-transport queue bounds (VIRTIO_QUEUE_RING_MEM is a multiple of the ring
   alignment, so rings need no padding between them). */
#define VIRTIO_CONSOLE__D(x, d) ((size_t)((x) ? (x) : (d)))
#define VIRTIO_CONSOLE__R8(x)   (((size_t)(x) + 7u) & ~(size_t)7u)
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
/* Rings plus shadow of one queue of n entries (n a power of two). */
#define VIRTIO_CONSOLE__Q(n)                                                                       \
    (VIRTIO_QUEUE_RING_MEM(n) + VIRTIO_CONSOLE__R8(VIRTIO_QUEUE_SHADOW_MEM(n)))
/* Control queues, control message and control buffers: only with more than one port. */
#define VIRTIO_CONSOLE__CTRL(ports, ctrl_bufs)                                                     \
    (VIRTIO_CONSOLE__D(ports, 1u) > 1u                                                             \
         ? VIRTIO_CONSOLE__Q(VIRTIO_CONSOLE__POW2(VIRTIO_CONSOLE__D(ctrl_bufs, 32u))) +            \
               VIRTIO_CONSOLE__Q(VIRTIO_CONSOLE_TX_QUEUE_SIZE) + 8u +                              \
               VIRTIO_CONSOLE__D(ctrl_bufs, 32u) * VIRTIO_CONSOLE_CTRL_BUF_SIZE                    \
         : 0u)
#define VIRTIO_CONSOLE_MEM(ports, rx_bufs, rx_buf_size, ctrl_bufs)                                 \
    (VIRTIO_CONSOLE__D(ports, 1u) *                                                                \
         (VIRTIO_CONSOLE__Q(VIRTIO_CONSOLE__POW2(VIRTIO_CONSOLE__D(rx_bufs, 8u))) +                \
          VIRTIO_CONSOLE__Q(VIRTIO_CONSOLE_TX_QUEUE_SIZE) +                                        \
          VIRTIO_CONSOLE__D(rx_bufs, 8u) * VIRTIO_CONSOLE__D(rx_buf_size, 512u)) +                 \
     VIRTIO_CONSOLE__R8(VIRTIO_CONSOLE__D(ports, 1u) * sizeof(virtio_console_port)) +              \
     VIRTIO_CONSOLE__CTRL(ports, ctrl_bufs))

/* ---- Setup ----------------------------------------------------------------------------------- */
/* Bytes of memory for `params` (NULL = all defaults) on transport `t` (NULL = the size that fits
   every transport); 0 if the params are out of range. */
VIRTIO_API size_t virtio_console_mem_size(const virtio_console_params *params,
                                          const virtio_transport *t);

/* Initializes the console behind the probed transport `t` in `mem` (see MEMORY). In order:
   checks every argument against the memory plan (VIRTIO_EINVAL, nothing touched) and the
   device type (VIRTIO_ENODEV, nothing touched); resets the device (VIRTIO_EBUSY if it does not
   reset within VIRTIO_RESET_SPIN status reads: the memory is not touched then either, since the
   device may still be using it for an earlier boot stage or init, whose buffers stay its own
   although virtio_console_write_pending reads 0; later calls return VIRTIO_EBUSY until
   virtio_console_reset or another init succeeds); then negotiates (SIZE, EMERG_WRITE, and MULTIPORT
   when params->ports > 1; the core adds the ring features), sets up the queues of every port
   served, posts the receive buffers and sets DRIVER_OK; with multiport it sends DEVICE_READY and
   answers the ports the device announces right away (PORT_READY 1 for ports below params->ports, 0
   for the others). If the device has fewer ports than asked, fewer are served:
   virtio_console_ports. */
VIRTIO_API int virtio_console_init(virtio_console *con, const virtio_transport *t,
                                   const virtio_console_params *params, void *mem, size_t mem_size);

/* Resets the device: every buffer it was given (transmit buffers, the memory block) is the
   caller's again, and the console must be initialized again (other calls return
   VIRTIO_ESTATE). VIRTIO_EBUSY if the device did not reset: its buffers are still out, every
   call returns VIRTIO_EBUSY, and calling this again tries again. */
VIRTIO_API int virtio_console_reset(virtio_console *con);

/* ---- Emergency write (VIRTIO_CONSOLE_F_EMERG_WRITE) ------------------------------------------ */
/* virtio_console_emerg_init is the least a driver can do to a device: it attaches `dev` to the
   probed transport and reads the offered features (selecting a feature word changes nothing
   in the device), and nothing else: no reset, no status bit, no negotiation, no memory.
   VIRTIO_ENOTSUP if the device does not offer EMERG_WRITE, VIRTIO_ENODEV if it is no console.
   The spec allows exactly this: the driver "can use emergency write to output a single
   character without initializing virtio queues, or even acknowledging the feature", and "the
   device MUST allow a write to emerg_wr, even on an unconfigured device" (virtio 1.4 "Console
   Device / Device configuration layout" and "Device Initialization"). So it can be the first
   output of a boot, it leaves the device as it found it for virtio_console_init later, and it
   still works when the queues are wrecked (the last words of a crash: emerg_write ignores a
   latched fault).
   virtio_console_emerg_write sends `len` bytes, one configuration write each; `dev` may also
   be a full console's &con.dev (virtio_console_init negotiates EMERG_WRITE too). Trade-offs:
   one register write per byte (a trap per byte in a VM: use it for messages, not data), no
   input, no flow control, and where the device has no connected console port the bytes are
   lost without a word. QEMU treats the value 0 as "no write", so a NUL byte goes out as 0x100
   (the spec: the device transmits the lower byte). */
VIRTIO_API int virtio_console_emerg_init(virtio_dev *dev, const virtio_transport *t);
VIRTIO_API int virtio_console_emerg_write(virtio_dev *dev, const void *buf, size_t len);

/* ---- Queries --------------------------------------------------------------------------------- */
/* Port numbers are the device's port ids; 0..virtio_console_ports()-1 are served.
   port_state: VIRTIO_CONSOLE_STATE_* bits, 0 if out of range; port_name: NULL if none. */
VIRTIO_API uint32_t virtio_console_ports(const virtio_console *con);
VIRTIO_API uint32_t virtio_console_port_state(const virtio_console *con, uint32_t port);
VIRTIO_API const char *virtio_console_port_name(const virtio_console *con, uint32_t port);
/* Console size: port 0 from the configuration (VIRTIO_CONSOLE_F_SIZE, read again at each call),
   any port from its last RESIZE message. VIRTIO_ENOTSUP if neither. */
VIRTIO_API int virtio_console_size(virtio_console *con, uint32_t port, uint16_t *cols,
                                   uint16_t *rows);

/* ---- Multiport ------------------------------------------------------------------------------- */
/* virtio_console_service takes every pending control message, answers what needs an answer,
   and returns 0 or the control queues' latched fault; without multiport it does nothing.
   virtio_console_find services, then looks for a present port named `name`: VIRTIO_EAGAIN if
   there is none (yet). virtio_console_open / _close send PORT_OPEN 1 / 0 (the device delivers
   data to a multiport port only while it is open; console ports are opened when the device
   nominates them); without multiport they do nothing. Control messages live in the block: a
   control send that times out resets nothing. virtio_console_service never waits: an answer
   the device has no room for yet stays owed until a later call. Open and close wait (bounded)
   for the device to take their message; one that times out latches the control side
   (VIRTIO_ETIMEDOUT from virtio_console_service from then on; data calls go on), so no later
   call waits for it again. */
VIRTIO_API int virtio_console_service(virtio_console *con);
VIRTIO_API int virtio_console_find(virtio_console *con, const char *name, uint32_t *port);
VIRTIO_API int virtio_console_open(virtio_console *con, uint32_t port);
VIRTIO_API int virtio_console_close(virtio_console *con, uint32_t port);

/* ---- Transmit (the device reads the caller's buffer in place) -------------------------------- */
/* virtio_console_write: sends buf and waits (bounded) until the device has used it, after
   first waiting for whatever the port still had pending; 0 means nothing is pending on the
   port. One buffer and one notification per call (above 1 GiB: one descriptor per GiB, above
   VIRTIO_CONSOLE_TX_QUEUE_SIZE GiB several buffers). A failed wait resets the device (ERRORS).
   len 0 sends nothing. */
VIRTIO_API int virtio_console_write(virtio_console *con, uint32_t port, const void *buf,
                                    size_t len);
/* virtio_console_write_submit: queues buf as one buffer without telling the device (len 0:
   nothing); VIRTIO_ENOSPC when the transmit queue is full (take finished buffers back first),
   VIRTIO_EINVAL for a buffer too large for the queue (use virtio_console_write).
   virtio_console_kick: tells the device about every buffer submitted since the last kick.
   virtio_console_write_poll: takes one finished buffer back without waiting (VIRTIO_EAGAIN if
   none). virtio_console_write_wait: the same, waiting (bounded) for one; it kicks first what
   was submitted and not yet kicked; VIRTIO_EAGAIN at once when nothing is pending, and a failed
   wait resets the device (ERRORS). virtio_console_write_pending: buffers submitted and not yet
   taken back, which the device may still read: 0 once a failed wait has reset the device (and
   for a bad port or console). */
VIRTIO_API int virtio_console_write_submit(virtio_console *con, uint32_t port, const void *buf,
                                           size_t len);
VIRTIO_API int virtio_console_kick(virtio_console *con, uint32_t port);
VIRTIO_API int virtio_console_write_poll(virtio_console *con, uint32_t port);
VIRTIO_API int virtio_console_write_wait(virtio_console *con, uint32_t port);
VIRTIO_API uint32_t virtio_console_write_pending(const virtio_console *con, uint32_t port);

/* ---- Receive (data the device starts) -------------------------------------------------------- */
/* virtio_console_read: waits (bounded) until at least one byte has arrived, then copies what
   has arrived, up to len: 0 with *got >= 1, or VIRTIO_ETIMEDOUT with *got = 0 (nothing is reset:
   see ERRORS). len 0 returns 0 at once. virtio_console_read_poll: the same without waiting,
   VIRTIO_EAGAIN with *got = 0 when nothing is there. Bytes are never lost or repeated: a
   buffer read in part keeps its offset and goes back to the device only when fully read.
   Zero-copy: virtio_console_recv_poll points *data at the unread bytes of the current receive
   buffer (*len of them; VIRTIO_EAGAIN if none), virtio_console_recv_wait waits (bounded) for
   them, and virtio_console_release(n) marks n of them read (n <= *len; a fully read buffer
   goes back to the device). The pointer stays valid until those bytes are released, or the
   port is removed (any call that takes the device's DEVICE_REMOVE drops its unread data). */
VIRTIO_API int virtio_console_read(virtio_console *con, uint32_t port, void *buf, size_t len,
                                   size_t *got);
VIRTIO_API int virtio_console_read_poll(virtio_console *con, uint32_t port, void *buf, size_t len,
                                        size_t *got);
VIRTIO_API int virtio_console_recv_poll(virtio_console *con, uint32_t port, const void **data,
                                        size_t *len);
VIRTIO_API int virtio_console_recv_wait(virtio_console *con, uint32_t port, const void **data,
                                        size_t *len);
VIRTIO_API int virtio_console_release(virtio_console *con, uint32_t port, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* VIRTIO_CONSOLE_H */

/* ============================================================================================== */
/*                                        IMPLEMENTATION                                          */
/* ============================================================================================== */
#if defined(VIRTIO_CONSOLE_IMPLEMENTATION) && !defined(VIRTIO_CONSOLE__IMPL_DONE)
#define VIRTIO_CONSOLE__IMPL_DONE

/* Private state bits, above the public ones. */
#define VIRTIO_CONSOLE__NEED_READY 0x100u     /* DEVICE_ADD taken, PORT_READY 1 not yet sent */
#define VIRTIO_CONSOLE__NEED_OPEN  0x200u     /* CONSOLE_PORT taken, PORT_OPEN 1 not yet sent */
#define VIRTIO_CONSOLE__CHUNK      (1u << 30) /* largest transmit descriptor we post */

/* ---- Memory plan ----------------------------------------------------------------------------- */
/* Where everything goes in the caller's block; one plan for mem_size and init. Rings first,
   each at the ring alignment (device-visible), then the driver-private pieces, 8-aligned. */
typedef struct virtio_console__plan {
    virtio_console_params p;                  /* with defaults applied */
    uint32_t rxq, ctrlq;                      /* queue sizes asked for (powers of two) */
    size_t align;                             /* ring alignment of the transport */
    size_t rx_ring, tx_ring, ctrl_ring;       /* bytes of one ring (ctrl: 0 without multiport) */
    size_t rx_shadow, tx_shadow, ctrl_shadow; /* bytes of one shadow, rounded up to 8 */
    size_t shadow_off, ports_off, msg_off, ctrl_off, rx_off, total;
} virtio_console__plan;

static uint32_t virtio_console__pow2(uint32_t n) {
    uint32_t q = 1;
    while (q < n)
        q <<= 1;
    return q;
}

/* *acc += n * size, after rounding *acc up to `align`; 0 on overflow. */
static int virtio_console__grow(size_t *acc, size_t n, size_t size, size_t align) {
    size_t a = virtio_align_up(*acc, align);
    if (a < *acc) return 0;
    if (size && n > ((size_t)-1 - a) / size) return 0;
    *acc = a + n * size;
    return 1;
}

/* The params with defaults applied; 0 if out of range. */
static int virtio_console__params(const virtio_console_params *in, virtio_console_params *p) {
    p->ports = in && in->ports ? in->ports : VIRTIO_CONSOLE_DEFAULT_PORTS;
    p->rx_bufs = in && in->rx_bufs ? in->rx_bufs : VIRTIO_CONSOLE_DEFAULT_RX_BUFS;
    p->rx_buf_size = in && in->rx_buf_size ? in->rx_buf_size : VIRTIO_CONSOLE_DEFAULT_RX_BUF_SIZE;
    p->ctrl_bufs = in && in->ctrl_bufs ? in->ctrl_bufs : VIRTIO_CONSOLE_DEFAULT_CTRL_BUFS;
#ifdef VIRTIO_CONSOLE_NO_MULTIPORT /* port 0 only */
    if (p->ports > 1) return 0;
#endif
    return p->ports <= VIRTIO_CONSOLE_PORTS_MAX && p->rx_bufs <= VIRTIO_QUEUE_SIZE_MAX &&
           p->ctrl_bufs <= VIRTIO_QUEUE_SIZE_MAX && p->rx_buf_size <= 0x7fffffffu;
}

/* Ring and shadow bytes of each queue. */
static int virtio_console__queue_sizes(const virtio_transport *t, virtio_console__plan *L) {
    int multi = L->p.ports > 1;
    L->rxq = virtio_console__pow2(L->p.rx_bufs);
    L->ctrlq = virtio_console__pow2(L->p.ctrl_bufs);
    L->align = virtio_queue_ring_align(t);
    L->rx_ring = virtio_align_up(virtio_queue_ring_size(t, L->rxq), L->align);
    L->tx_ring = virtio_align_up(virtio_queue_ring_size(t, VIRTIO_CONSOLE_TX_QUEUE_SIZE), L->align);
    L->ctrl_ring = multi ? virtio_align_up(virtio_queue_ring_size(t, L->ctrlq), L->align) : 0u;
    L->rx_shadow = virtio_align_up(virtio_queue_shadow_size(L->rxq), 8u);
    L->tx_shadow = virtio_align_up(virtio_queue_shadow_size(VIRTIO_CONSOLE_TX_QUEUE_SIZE), 8u);
    L->ctrl_shadow = multi ? virtio_align_up(virtio_queue_shadow_size(L->ctrlq), 8u) : 0u;
    return L->rx_ring && L->tx_ring && L->rx_shadow && L->tx_shadow &&
           (!multi || (L->ctrl_ring && L->ctrl_shadow));
}

static int virtio_console__plan_make(const virtio_console_params *in, const virtio_transport *t,
                                     virtio_console__plan *L) {
    size_t acc = 0, ports, ctrl_rings, ctrl_shadows;
    int multi;
    if (!virtio_console__params(in, &L->p) || !virtio_console__queue_sizes(t, L)) return 0;
    multi = L->p.ports > 1;
    ports = L->p.ports;
    ctrl_rings = multi ? L->ctrl_ring + L->tx_ring : 0u;
    ctrl_shadows = multi ? L->ctrl_shadow + L->tx_shadow : 0u;
    /* Rings: port k's receive and transmit rings at k * (rx_ring + tx_ring), then control. */
    if (!virtio_console__grow(&acc, ports, L->rx_ring + L->tx_ring, L->align)) return 0;
    if (!virtio_console__grow(&acc, 1, ctrl_rings, L->align)) return 0;
    /* Driver-private, 8-aligned: shadows (in the same order), port state, control message
       and buffers, receive buffers. */
    L->shadow_off = virtio_align_up(acc, 8u);
    if (!virtio_console__grow(&acc, ports, L->rx_shadow + L->tx_shadow, 8u)) return 0;
    if (!virtio_console__grow(&acc, 1, ctrl_shadows, 8u)) return 0;
    L->ports_off = virtio_align_up(acc, 8u);
    if (!virtio_console__grow(&acc, ports, sizeof(virtio_console_port), 8u)) return 0;
    L->msg_off = L->ctrl_off = virtio_align_up(acc, 8u);
    if (multi) {
        if (!virtio_console__grow(&acc, 1, VIRTIO_CONSOLE_CTRL_BYTES, 8u)) return 0;
        L->ctrl_off = acc;
        if (!virtio_console__grow(&acc, L->p.ctrl_bufs, VIRTIO_CONSOLE_CTRL_BUF_SIZE, 8u)) return 0;
    }
    L->rx_off = virtio_align_up(acc, 8u);
    if (L->p.rx_buf_size > (size_t)-1 / L->p.rx_bufs) return 0; /* 32-bit size_t */
    if (!virtio_console__grow(&acc, ports, (size_t)L->p.rx_bufs * L->p.rx_buf_size, 8u)) return 0;
    L->total = acc;
    return 1;
}

VIRTIO_DEF size_t virtio_console_mem_size(const virtio_console_params *params,
                                          const virtio_transport *t) {
    virtio_console__plan L;
    return virtio_console__plan_make(params, t, &L) ? L.total : 0;
}

/* ---- Small helpers --------------------------------------------------------------------------- */
/* VIRTIO_CONSOLE_F_MULTIPORT negotiated (never under VIRTIO_CONSOLE_NO_MULTIPORT). */
#ifdef VIRTIO_CONSOLE_NO_MULTIPORT
#define VIRTIO_CONSOLE__MULTI(con) 0
#else
#define VIRTIO_CONSOLE__MULTI(con) ((con)->multiport)
#endif

#ifndef VIRTIO_CONSOLE_NO_MULTIPORT
/* Fields of a control message in device order, from bytes at any alignment. */
static uint32_t virtio_console__get32(const virtio_dev *dev, const uint8_t *b) {
    uint32_t v = 0; /* virtio_copy skips a NULL source: never left unset */
    virtio_copy(&v, b, 4);
    return virtio_dev_order32(dev, v);
}
static uint16_t virtio_console__get16(const virtio_dev *dev, const uint8_t *b) {
    uint16_t v = 0; /* virtio_copy skips a NULL source: never left unset */
    virtio_copy(&v, b, 2);
    return virtio_dev_order16(dev, v);
}
#endif

/* The console is set up: 0, VIRTIO_EINVAL (NULL), VIRTIO_ESTATE (never initialized, or reset
   since), or a latched device error. */
static int virtio_console__live(const virtio_console *con) {
    int r;
    if (!con) return VIRTIO_EINVAL;
    r = virtio_dev_usable(&con->dev);
    if (r == 0 && !con->ports) return VIRTIO_ESTATE;
    return r;
}

/* Port `port` of a console that was set up. A latched device error is not reported here:
   each call decides (emergency output and queries go on regardless). */
static int virtio_console__port(const virtio_console *con, uint32_t port,
                                virtio_console_port **out) {
    int r = virtio_console__live(con);
    if (r == VIRTIO_EINVAL || r == VIRTIO_ESTATE) return r;
    if (!con->ports) return r; /* init failed before the memory was carved */
    /* No port at all: init failed before it learnt them; its latched error says why. */
    if (port >= con->nports) return (con->nports == 0 && r) ? r : VIRTIO_EINVAL;
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

/* ---- Emergency write ------------------------------------------------------------------------- */
#ifdef VIRTIO_CONSOLE_MINIMAL /* EMERG_WRITE is left out */
VIRTIO_DEF int virtio_console_emerg_init(virtio_dev *dev, const virtio_transport *t) {
    int r = virtio_dev_attach(dev, t, VIRTIO_ID_CONSOLE); /* no register access */
    return r ? r : VIRTIO_ENOTSUP;
}

VIRTIO_DEF int virtio_console_emerg_write(virtio_dev *dev, const void *buf, size_t len) {
    if (!dev || (!buf && len)) return VIRTIO_EINVAL;
    if (virtio_dev_usable(dev) == VIRTIO_ESTATE) return VIRTIO_ESTATE;
    return VIRTIO_ENOTSUP;
}
#else
VIRTIO_DEF int virtio_console_emerg_init(virtio_dev *dev, const virtio_transport *t) {
    uint64_t offered;
    /* Attach touches no register; reading the offer only selects feature words: the device
       stays as it is (no reset, no status bit). */
    int r = virtio_dev_attach(dev, t, VIRTIO_ID_CONSOLE);
    if (r) return r;
    r = virtio_dev_read_offer(dev, &offered);
    if (r) return r;
    return virtio_dev_offers(dev, VIRTIO_CONSOLE_F_EMERG_WRITE) ? VIRTIO_OK : VIRTIO_ENOTSUP;
}

VIRTIO_DEF int virtio_console_emerg_write(virtio_dev *dev, const void *buf, size_t len) {
    const unsigned char *b = (const unsigned char *)buf;
    size_t i;
    if (!dev || (!buf && len)) return VIRTIO_EINVAL;
    if (virtio_dev_usable(dev) == VIRTIO_ESTATE) return VIRTIO_ESTATE;
    /* "If the VIRTIO_CONSOLE_F_EMERG_WRITE feature is offered, emerg_wr field of the
       configuration can be written at any time": offered is enough, and a latched fault is no
       reason to stay silent. */
    if (!virtio_dev_offers(dev, VIRTIO_CONSOLE_F_EMERG_WRITE)) return VIRTIO_ENOTSUP;
    for (i = 0; i < len; i++)
        virtio_config_write32(dev, VIRTIO_CONSOLE_CFG_EMERG_WR, b[i] ? (uint32_t)b[i] : 0x100u);
    return VIRTIO_OK;
}
#endif /* VIRTIO_CONSOLE_MINIMAL */

/* ---- Control queues -------------------------------------------------------------------------- */
#ifndef VIRTIO_CONSOLE_NO_MULTIPORT
/* A ring fault of the control transmitq ends multiport for good; a timeout does not. */
static void virtio_console__ctrl_check(virtio_console *con) {
    int e = virtio_queue_usable(&con->ctrl_tx);
    if (e && !con->ctrl_error) con->ctrl_error = e;
}

/* Sends one control message. One message is in flight at a time; it lives in the driver's
   block, so nothing needs a reset. wait = 1 (the calls documented to wait: init, open, close):
   waits (bounded) until the device has taken it, and a wait that fails latches
   con->ctrl_error, so no later call waits for that message again. wait = 0 (every path a data
   call or virtio_console_service reaches): never waits; VIRTIO_EAGAIN while the message before
   is still the device's (the answer stays owed, for a later call), else the message is left
   with the device and collected by the next send. No public call so runs more than one
   wait's bound, and a call documented not to wait does not. */
/* Takes back the control message in flight: waits for it (bounded; `*i` counts the idle
   iterations, shared by every wait of one call so that together they stay within one bound)
   or, with i NULL, only looks. */
static int virtio_console__ctrl_collect(virtio_console *con, uint32_t *i) {
    int r;
    for (;;) {
        r = virtio_queue_poll(&con->ctrl_tx, 0, 0);
        if (r != VIRTIO_EAGAIN || !i) break;
        r = virtio_queue_spin(&con->ctrl_tx, (*i)++);
        if (r) break;
    }
    virtio_console__ctrl_check(con);
    if (r == VIRTIO_OK) con->ctrl_busy = 0;
    return r;
}

static int virtio_console__ctrl_send(virtio_console *con, uint32_t id, uint16_t event,
                                     uint16_t value, int wait) {
    virtio_seg seg;
    uint32_t iter = 0, *i = wait ? &iter : 0;
    int r;
    if (con->ctrl_error) return con->ctrl_error;
    if (con->ctrl_busy) {
        r = virtio_console__ctrl_collect(con, i);
        if (r == VIRTIO_EAGAIN && !wait) return r; /* still the device's: owed for later */
        if (r) return con->ctrl_error ? con->ctrl_error : (con->ctrl_error = r);
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
    if (r == 0 && wait) {
        r = virtio_console__ctrl_collect(con, i);
        if (r && !con->ctrl_error) con->ctrl_error = r; /* latched: never waited for again */
    }
    virtio_console__ctrl_check(con);
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

/* PORT_NAME: the spec sends the name "without a NUL terminator"; QEMU adds one. Take either:
   trailing NULs go; a NUL inside the name, or an empty or too long name, is refused (0). */
static int virtio_console__take_name(virtio_console_port *p, const uint8_t *name, uint32_t n) {
    uint32_t i;
    while (n > 0 && name[n - 1u] == 0)
        n--;
    if (n == 0 || n > VIRTIO_CONSOLE_NAME_MAX) return 0;
    for (i = 0; i < n; i++)
        if (name[i] == 0) return 0;
    for (i = 0; i < n; i++)
        p->name[i] = (char)name[i];
    p->name[n] = '\0';
    p->state |= VIRTIO_CONSOLE_STATE_NAMED;
    return 1;
}

/* Acts on one control message the device sent. Returns 0, or the error of a reply we had to
   send at once (a refusal). Malformed messages are counted and dropped. */
static int virtio_console__ctrl_handle(virtio_console *con, const uint8_t *msg, uint32_t len) {
    virtio_console_port *p = 0;
    int r;
    uint32_t id;
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
    /* Every event but PORT_NAME and RESIZE is the bare header. */
    if (event != VIRTIO_CONSOLE_PORT_NAME && event != VIRTIO_CONSOLE_RESIZE &&
        len != VIRTIO_CONSOLE_CTRL_BYTES)
        goto bad;
    switch (event) {
    case VIRTIO_CONSOLE_DEVICE_ADD:
        if (!p) {
            /* No memory for it: refuse politely, at once ("A value of 1 indicates success, and
               0 indicates failure"). The device has nothing to say back to a refusal. */
            con->refused++;
            r = virtio_console__ctrl_send(con, id, VIRTIO_CONSOLE_PORT_READY, 0, 0);
            return r == VIRTIO_EAGAIN ? VIRTIO_OK : r; /* no room now: the port stays unused */
        }
        if (p->state & VIRTIO_CONSOLE_STATE_PRESENT) goto bad;
        p->state = VIRTIO_CONSOLE_STATE_PRESENT | VIRTIO_CONSOLE__NEED_READY;
        p->name[0] = '\0';
        p->cols = p->rows = 0;
        return VIRTIO_OK;
    case VIRTIO_CONSOLE_DEVICE_REMOVE:
        if (!p) return VIRTIO_OK;
        /* "The device MUST NOT specify a port in VIRTIO_CONSOLE_DEVICE_REMOVE which has not been
           created with a previous VIRTIO_CONSOLE_DEVICE_ADD." */
        if (!(p->state & VIRTIO_CONSOLE_STATE_PRESENT)) goto bad;
        p->state = 0;
        p->name[0] = '\0';
        /* Data that arrived for the old port must not show up as the next one's. */
        return virtio_console__rx_discard(con, p);
    case VIRTIO_CONSOLE_CONSOLE_PORT:
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
        if (value > 1) goto bad;
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
        if (!virtio_console__take_name(p, msg + VIRTIO_CONSOLE_CTRL_BYTES,
                                       len - VIRTIO_CONSOLE_CTRL_BYTES))
            goto bad;
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
    uint32_t len, n;
    int r;
    for (n = 0; n < con->nctrl; n++) {
        r = virtio_queue_poll(&con->ctrl_rx, &cookie, &len);
        if (r == VIRTIO_EAGAIN) return VIRTIO_OK;
        if (r) return con->ctrl_error = r;
        /* len <= VIRTIO_CONSOLE_CTRL_BUF_SIZE: virtio_queue_poll checked it against the post. */
        virtio_copy(msg, cookie, len);
        r = virtio_console__post(&con->ctrl_rx, cookie, VIRTIO_CONSOLE_CTRL_BUF_SIZE);
        if (r) return con->ctrl_error = r;
        r = virtio_console__ctrl_handle(con, msg, len);
        if (r) return r;
    }
    return VIRTIO_OK;
}

/* Sends the one answer port k is owed (PORT_READY 1 first, then PORT_OPEN 1 for a console). */
static int virtio_console__answer(virtio_console *con, uint32_t k) {
    virtio_console_port *p = &con->ports[k];
    int r;
    if (p->state & VIRTIO_CONSOLE__NEED_READY) {
        r = virtio_console__ctrl_send(con, k, VIRTIO_CONSOLE_PORT_READY, 1, 0);
        if (r == 0) p->state &= ~VIRTIO_CONSOLE__NEED_READY;
        return r;
    }
    r = virtio_console__ctrl_send(con, k, VIRTIO_CONSOLE_PORT_OPEN, 1, 0);
    if (r == 0) {
        p->state &= ~VIRTIO_CONSOLE__NEED_OPEN;
        p->state |= VIRTIO_CONSOLE_STATE_GUEST_OPEN;
    }
    return r;
}

VIRTIO_DEF int virtio_console_service(virtio_console *con) {
    uint32_t round, k;
    int r = virtio_console__live(con);
    if (r) return r;
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
        r = virtio_console__answer(con, k);
        if (r == VIRTIO_EAGAIN) return VIRTIO_OK; /* the device has not taken the last one */
        if (r) return r;
    }
    return VIRTIO_OK;
}
#else
/* VIRTIO_CONSOLE_NO_MULTIPORT: no control queues, so nothing to service (as without
   multiport in the full build). */
VIRTIO_DEF int virtio_console_service(virtio_console *con) { return virtio_console__live(con); }
#endif /* VIRTIO_CONSOLE_NO_MULTIPORT */

/* ---- Initialization -------------------------------------------------------------------------- */
static int virtio_console__read_config(virtio_dev *dev, void *ctx) {
    virtio_console *con = (virtio_console *)ctx;
#ifndef VIRTIO_CONSOLE_MINIMAL /* else SIZE is not negotiated */
    if (virtio_dev_has(dev, VIRTIO_CONSOLE_F_SIZE)) {
        con->cols = virtio_config_read16(dev, VIRTIO_CONSOLE_CFG_COLS);
        con->rows = virtio_config_read16(dev, VIRTIO_CONSOLE_CFG_ROWS);
    }
#endif
#ifdef VIRTIO_CONSOLE_NO_MULTIPORT
    (void)dev;
    con->max_nr_ports = 1u;
#else
    con->max_nr_ports = virtio_dev_has(dev, VIRTIO_CONSOLE_F_MULTIPORT)
                            ? virtio_config_read32(dev, VIRTIO_CONSOLE_CFG_MAX_NR_PORTS)
                            : 1u;
#endif
    return VIRTIO_OK;
}

/* Steps 4-6 and the configuration. Multiport only when the caller serves more than port 0:
   without it the device needs no control queues and opens port 0 itself at DRIVER_OK. */
static int virtio_console__negotiate(virtio_console *con, const virtio_console__plan *L) {
#ifdef VIRTIO_CONSOLE_MINIMAL /* port 0's data only */
    uint64_t wanted = 0;
#else
    uint64_t wanted = VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE) | VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE);
#endif
    int r;
#ifndef VIRTIO_CONSOLE_NO_MULTIPORT /* else ports is 1 (the params check) */
    if (L->p.ports > 1) wanted |= VIRTIO_BIT(VIRTIO_CONSOLE_F_MULTIPORT);
#endif
    r = virtio_dev_negotiate(&con->dev, wanted, 0);
    if (r) return r;
#ifndef VIRTIO_CONSOLE_NO_MULTIPORT
    con->multiport = virtio_dev_has(&con->dev, VIRTIO_CONSOLE_F_MULTIPORT);
#endif
    r = virtio_config_atomic(&con->dev, virtio_console__read_config, con);
    if (r) return virtio_dev_fail(&con->dev, r);
    /* Untrusted: port 0 always exists, and port n needs queue 2n+3 (16 bits). */
    if (con->max_nr_ports == 0 || con->max_nr_ports > VIRTIO_CONSOLE_PORTS_MAX + 1u)
        return virtio_dev_fail(&con->dev, VIRTIO_EDEVICE);
    con->nports = VIRTIO_CONSOLE__MULTI(con) ? L->p.ports : 1u;
    if (con->nports > con->max_nr_ports) con->nports = con->max_nr_ports;
    return VIRTIO_OK;
}

/* One queue with its ring and shadow from the plan. */
static int virtio_console__queue(virtio_console *con, virtio_queue *q, uint32_t index,
                                 uint32_t size, char *ring, size_t ring_size, char *shadow,
                                 uint32_t flags) {
    virtio_queue_params qp;
    virtio_zero(&qp, sizeof qp);
    qp.size = size;
    qp.flags = flags;
    qp.ring = ring;
    qp.ring_size = ring_size;
    qp.shadow = shadow;
    qp.shadow_size = virtio_queue_shadow_size(size);
    return virtio_queue_init(q, &con->dev, index, &qp);
}

/* Step 7: port 0 (queues 0, 1), control (2, 3), port n (2n+2, 2n+3). A port whose queues the
   device lacks is not served (refused if announced); port 0 and control are required. "When
   using the legacy interface, the driver SHOULD ignore the used length values for the transmit
   queues and the control transmitq." */
static int virtio_console__setup_queues(virtio_console *con, const virtio_console__plan *L,
                                        char *m) {
    uint32_t txf = virtio_dev_legacy(&con->dev) ? VIRTIO_QUEUE_F_IGNORE_LEN : 0u, k;
    size_t ring_step = L->rx_ring + L->tx_ring, shadow_step = L->rx_shadow + L->tx_shadow;
    char *ctrl_ring, *ctrl_shadow;
    int r;
    for (k = 0; k < con->nports; k++) {
        virtio_console_port *p = &con->ports[k];
        char *ring = m + (size_t)k * ring_step, *shadow = m + L->shadow_off + k * shadow_step;
        uint32_t qi = k == 0 ? 0u : 2u * k + 2u;
        r = virtio_console__queue(con, &p->rx, qi, L->rxq, ring, L->rx_ring, shadow, 0);
        if (r == 0)
            r = virtio_console__queue(con, &p->tx, qi + 1u, VIRTIO_CONSOLE_TX_QUEUE_SIZE,
                                      ring + L->rx_ring, L->tx_ring, shadow + L->rx_shadow, txf);
        if (r == VIRTIO_ENOQUEUE && k > 0) {
            con->nports = k;
            break;
        }
        if (r) return r;
        p->rx_mem = (uint8_t *)(m + L->rx_off + (size_t)k * L->p.rx_bufs * L->p.rx_buf_size);
        p->rx_bufs =
            L->p.rx_bufs < virtio_queue_size(&p->rx) ? L->p.rx_bufs : virtio_queue_size(&p->rx);
    }
    if (!VIRTIO_CONSOLE__MULTI(con)) return VIRTIO_OK;
    ctrl_ring = m + (size_t)L->p.ports * ring_step;
    ctrl_shadow = m + L->shadow_off + (size_t)L->p.ports * shadow_step;
    r = virtio_console__queue(con, &con->ctrl_rx, 2, L->ctrlq, ctrl_ring, L->ctrl_ring, ctrl_shadow,
                              0);
    if (r == 0)
        r = virtio_console__queue(con, &con->ctrl_tx, 3, VIRTIO_CONSOLE_TX_QUEUE_SIZE,
                                  ctrl_ring + L->ctrl_ring, L->tx_ring,
                                  ctrl_shadow + L->ctrl_shadow, txf);
    if (r) return r;
    con->nctrl = L->p.ctrl_bufs < virtio_queue_size(&con->ctrl_rx)
                     ? L->p.ctrl_bufs
                     : virtio_queue_size(&con->ctrl_rx);
    return VIRTIO_OK;
}

/* "The receiveq for each port is populated with one or more receive buffers." Added now,
   published by the kicks after DRIVER_OK (no notification may come before it). */
static int virtio_console__add_buffers(virtio_console *con) {
    virtio_seg seg;
    uint32_t k, i;
    int r;
    for (k = 0; k < con->nports; k++) {
        virtio_console_port *p = &con->ports[k];
        for (i = 0; i < p->rx_bufs; i++) {
            seg.addr = p->rx_mem + (size_t)i * con->rx_buf_size;
            seg.len = con->rx_buf_size;
            r = virtio_queue_add(&p->rx, &seg, 0, 1, p->rx_mem + (size_t)i * con->rx_buf_size);
            if (r) return r;
        }
    }
    for (i = 0; i < con->nctrl; i++) {
        seg.addr = con->ctrl_mem + (size_t)i * VIRTIO_CONSOLE_CTRL_BUF_SIZE;
        seg.len = VIRTIO_CONSOLE_CTRL_BUF_SIZE;
        r = virtio_queue_add(&con->ctrl_rx, &seg, 0, 1,
                             con->ctrl_mem + (size_t)i * VIRTIO_CONSOLE_CTRL_BUF_SIZE);
        if (r) return r;
    }
    return VIRTIO_OK;
}

/* Step 8 and after: DRIVER_OK, the receive buffers published, and with multiport the
   handshake. The device is live from here: a failure resets it (the block is the caller's
   again). */
static int virtio_console__start(virtio_console *con) {
    uint32_t k;
    int r = virtio_dev_ready(&con->dev);
    if (r) return r;
    for (k = 0; k < con->nports && r == 0; k++)
        r = virtio_queue_kick(&con->ports[k].rx);
    if (r == 0 && VIRTIO_CONSOLE__MULTI(con)) r = virtio_queue_kick(&con->ctrl_rx);
    if (r) return virtio_dev_abandon(&con->dev, r);
    if (!VIRTIO_CONSOLE__MULTI(con)) {
        /* Without multiport the device has exactly port 0, a console, open on both sides. */
        con->ports[0].state = VIRTIO_CONSOLE_STATE_PRESENT | VIRTIO_CONSOLE_STATE_CONSOLE |
                              VIRTIO_CONSOLE_STATE_HOST_OPEN | VIRTIO_CONSOLE_STATE_GUEST_OPEN;
        return VIRTIO_OK;
    }
#ifdef VIRTIO_CONSOLE_NO_MULTIPORT
    return VIRTIO_OK; /* not reached: never multiport */
#else
    /* "The driver MUST send a VIRTIO_CONSOLE_DEVICE_READY message if VIRTIO_CONSOLE_F_MULTIPORT
       is negotiated." The device answers with a DEVICE_ADD per port; take and answer them. */
    r = virtio_console__ctrl_send(con, 0, VIRTIO_CONSOLE_DEVICE_READY, 1, 1);
    if (r) return virtio_dev_abandon(&con->dev, r);
    /* Trouble from here on is the control queues' (con->ctrl_error, virtio_console_service),
       not a reason to give up the ports that work. */
    (void)virtio_console_service(con);
    return virtio_dev_usable(&con->dev);
#endif
}

VIRTIO_DEF int virtio_console_init(virtio_console *con, const virtio_transport *t,
                                   const virtio_console_params *params, void *mem,
                                   size_t mem_size) {
    virtio_console__plan L;
    char *m = (char *)mem;
    int r;
    /* Caller errors first: nothing is touched, neither the device nor the memory. */
    if (!con || !t || !mem || !virtio_console__plan_make(params, t, &L)) return VIRTIO_EINVAL;
    if (mem_size < L.total || ((uintptr_t)mem & (L.align - 1u)) != 0) return VIRTIO_EINVAL;
    virtio_zero(con, sizeof *con);

    /* 1-3. Reset (a device an earlier stage left running may still use this memory: nothing
       is written to it before the reset is complete), ACKNOWLEDGE, DRIVER. The device type is
       checked before any register access. */
    r = virtio_dev_init(&con->dev, t, VIRTIO_ID_CONSOLE);
    if (r) return r;

    virtio_zero(m + L.ports_off, (size_t)L.p.ports * sizeof(virtio_console_port));
    con->ports = (virtio_console_port *)(void *)(m + L.ports_off);
    con->rx_buf_size = L.p.rx_buf_size;
    con->ctrl_msg = (virtio_console_ctrl *)(void *)(m + L.msg_off);
    con->ctrl_mem = (uint8_t *)(m + L.ctrl_off);

    /* 4-6. Features and configuration. */
    r = virtio_console__negotiate(con, &L);
    if (r) return r;
    /* 7. Queues and receive buffers (not yet published). */
    r = virtio_console__setup_queues(con, &L, m);
    if (r == 0) r = virtio_console__add_buffers(con);
    if (r) return virtio_dev_fail(&con->dev, r);
    /* 8. DRIVER_OK, then the device's own start-up (multiport handshake). */
    return virtio_console__start(con);
}

VIRTIO_DEF int virtio_console_reset(virtio_console *con) {
    int r;
    if (!con) return VIRTIO_EINVAL;
    if (virtio_dev_usable(&con->dev) == VIRTIO_ESTATE) return VIRTIO_ESTATE;
    r = virtio_dev_reset(&con->dev);
    /* Reset, the queues are gone: every call but this one wants init again. If the device did
       not reset, its buffers are still out: the latched VIRTIO_EBUSY says so to every call. */
    if (r == 0) {
        con->ports = 0;
        con->nports = 0;
    }
    return r;
}

/* ---- Queries --------------------------------------------------------------------------------- */
VIRTIO_DEF uint32_t virtio_console_ports(const virtio_console *con) {
    virtio_console_port *p;
    return virtio_console__port(con, 0, &p) == 0 ? con->nports : 0u;
}

VIRTIO_DEF uint32_t virtio_console_port_state(const virtio_console *con, uint32_t port) {
    virtio_console_port *p;
    if (virtio_console__port(con, port, &p)) return 0;
    return p->state & 0xffu;
}

VIRTIO_DEF const char *virtio_console_port_name(const virtio_console *con, uint32_t port) {
    virtio_console_port *p;
    if (virtio_console__port(con, port, &p)) return 0;
    return (p->state & VIRTIO_CONSOLE_STATE_NAMED) ? p->name : 0;
}

#ifdef VIRTIO_CONSOLE_MINIMAL
/* VIRTIO_CONSOLE_MINIMAL: SIZE is not negotiated and no RESIZE comes (no control queue). */
VIRTIO_DEF int virtio_console_size(virtio_console *con, uint32_t port, uint16_t *cols,
                                   uint16_t *rows) {
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    return (!cols || !rows) ? VIRTIO_EINVAL : VIRTIO_ENOTSUP;
}
#else
static int virtio_console__read_size(virtio_dev *dev, void *ctx) {
    uint16_t *cr = (uint16_t *)ctx;
    cr[0] = virtio_config_read16(dev, VIRTIO_CONSOLE_CFG_COLS);
    cr[1] = virtio_config_read16(dev, VIRTIO_CONSOLE_CFG_ROWS);
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_console_size(virtio_console *con, uint32_t port, uint16_t *cols,
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
    if (VIRTIO_CONSOLE__MULTI(con)) (void)virtio_console_service(con);
    if (!(p->state & VIRTIO_CONSOLE_STATE_SIZE)) return VIRTIO_ENOTSUP;
    *cols = p->cols;
    *rows = p->rows;
    return VIRTIO_OK;
}
#endif /* VIRTIO_CONSOLE_MINIMAL */

/* ---- Multiport ------------------------------------------------------------------------------- */
#ifdef VIRTIO_CONSOLE_NO_MULTIPORT
/* VIRTIO_CONSOLE_NO_MULTIPORT: no port has a name. */
VIRTIO_DEF int virtio_console_find(virtio_console *con, const char *name, uint32_t *port) {
    int r;
    if (!con || !name || !port) return VIRTIO_EINVAL;
    r = virtio_console__live(con);
    return r ? r : VIRTIO_ENOTSUP;
}
#else
/* Port names are NUL-terminated and at most VIRTIO_CONSOLE_NAME_MAX bytes. */
static int virtio_console__same_name(const char *a, const char *b) {
    uint32_t i;
    for (i = 0; i <= VIRTIO_CONSOLE_NAME_MAX && a[i] == b[i] && a[i]; i++) {
    }
    return i <= VIRTIO_CONSOLE_NAME_MAX && a[i] == b[i];
}

VIRTIO_DEF int virtio_console_find(virtio_console *con, const char *name, uint32_t *port) {
    const uint32_t want = VIRTIO_CONSOLE_STATE_PRESENT | VIRTIO_CONSOLE_STATE_NAMED;
    uint32_t k;
    int r;
    if (!con || !name || !port) return VIRTIO_EINVAL;
    r = virtio_console_service(con);
    if (r) return r;
    for (k = 0; k < con->nports; k++) {
        if ((con->ports[k].state & want) != want) continue;
        if (virtio_console__same_name(con->ports[k].name, name)) {
            *port = k;
            return VIRTIO_OK;
        }
    }
    return VIRTIO_EAGAIN;
}
#endif /* VIRTIO_CONSOLE_NO_MULTIPORT */

static int virtio_console__set_open(virtio_console *con, uint32_t port, int open) {
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    r = virtio_dev_usable(&con->dev);
    if (r) return r;
#ifdef VIRTIO_CONSOLE_NO_MULTIPORT /* port 0 alone, open on both sides: nothing to tell */
    (void)open;
    return VIRTIO_OK;
#else
    if (!con->multiport) return VIRTIO_OK;
    r = virtio_console_service(con);
    if (r) return r;
    if (!(p->state & VIRTIO_CONSOLE_STATE_PRESENT)) return VIRTIO_ESTATE;
    r = virtio_console__ctrl_send(con, port, VIRTIO_CONSOLE_PORT_OPEN, (uint16_t)(open ? 1 : 0), 1);
    if (r) return r;
    if (open) {
        p->state |= VIRTIO_CONSOLE_STATE_GUEST_OPEN;
        /* QEMU (7.2) stops reading the port's host side while the guest has it closed and
           resumes only on a notification of the receive queue, not on the open itself: tell
           it again about the buffers already posted there. */
        if (p->rx_bufs) (void)virtio_queue_notify(&p->rx);
    } else
        p->state &= ~(VIRTIO_CONSOLE_STATE_GUEST_OPEN | VIRTIO_CONSOLE__NEED_OPEN);
    return VIRTIO_OK;
#endif
}

VIRTIO_DEF int virtio_console_open(virtio_console *con, uint32_t port) {
    return virtio_console__set_open(con, port, 1);
}

VIRTIO_DEF int virtio_console_close(virtio_console *con, uint32_t port) {
    return virtio_console__set_open(con, port, 0);
}

/* ---- Transmit -------------------------------------------------------------------------------- */
/* Data calls on port p: the device and the queue are healthy (control trouble is reported by
   virtio_console_service; data goes on regardless) and the device announced the port. */
static int virtio_console__usable(virtio_console *con, virtio_console_port *p, virtio_queue *q) {
    int r = virtio_queue_usable(q);
    if (r) return r;
    if (VIRTIO_CONSOLE__MULTI(con)) (void)virtio_console_service(con);
    r = virtio_dev_usable(&con->dev);
    if (r) return r;
    if (!(p->state & VIRTIO_CONSOLE_STATE_PRESENT)) return VIRTIO_ESTATE;
    return VIRTIO_OK;
}

/* Checks for a transmit call. A generic port whose host side is closed would have QEMU use the
   buffer and drop the data; console ports take output regardless (as Linux's hvc does). */
static int virtio_console__tx_ready(virtio_console *con, virtio_console_port *p) {
    int r = virtio_console__usable(con, p, &p->tx);
    if (r) return r;
    if (VIRTIO_CONSOLE__MULTI(con) &&
        !(p->state & (VIRTIO_CONSOLE_STATE_HOST_OPEN | VIRTIO_CONSOLE_STATE_CONSOLE)))
        return VIRTIO_ESTATE;
    return VIRTIO_OK;
}

/* A transmit wait or poll that failed while the device may hold caller buffers: reset it, so
   that they are the caller's again ("Device Cleanup"). Other results pass through. */
static int virtio_console__tx_fail(virtio_console *con, int r) {
    if (r != VIRTIO_ETIMEDOUT && r != VIRTIO_ENEEDS_RESET && r != VIRTIO_EDEVICE) return r;
    r = virtio_dev_abandon(&con->dev, r);
    if (r != VIRTIO_EBUSY) con->was_reset = 1;
    return r;
}

/* Queues buf as one chain of readable descriptors of at most 1 GiB each: "The driver MUST NOT
   put a device-writable buffer in a transmitq." */
static int virtio_console__tx_add(virtio_console_port *p, const void *buf, size_t len) {
    virtio_seg segs[VIRTIO_CONSOLE_TX_QUEUE_SIZE];
    const char *b = (const char *)buf;
    size_t n = len / VIRTIO_CONSOLE__CHUNK + (len % VIRTIO_CONSOLE__CHUNK != 0), i;
    if (n > virtio_queue_size(&p->tx)) return VIRTIO_EINVAL;
    for (i = 0; i < n; i++) {
        size_t left = len - i * (size_t)VIRTIO_CONSOLE__CHUNK;
        segs[i].addr = b + i * (size_t)VIRTIO_CONSOLE__CHUNK;
        segs[i].len = left < VIRTIO_CONSOLE__CHUNK ? (uint32_t)left : VIRTIO_CONSOLE__CHUNK;
    }
    return virtio_queue_add(&p->tx, segs, (unsigned)n, 0, p);
}

/* Waits until the port has nothing pending (each wait bounded; at most the queue size). */
/* Waits until every transmit buffer of the port is back. `spins` counts the idle iterations of
   the whole public call across its drains (one wait's bound in total, however many chunks). */
static int virtio_console__tx_drain(virtio_console *con, virtio_console_port *p, uint32_t *spins) {
    int r = VIRTIO_OK;
    while (r == VIRTIO_OK && virtio_queue_pending(&p->tx) != 0) {
        r = virtio_queue_kick(&p->tx);
        if (r == VIRTIO_OK) r = virtio_queue_poll(&p->tx, 0, 0);
        if (r == VIRTIO_EAGAIN) r = virtio_queue_spin(&p->tx, (*spins)++);
    }
    return r ? virtio_console__tx_fail(con, r) : VIRTIO_OK;
}

VIRTIO_DEF int virtio_console_write(virtio_console *con, uint32_t port, const void *buf,
                                    size_t len) {
    const char *b = (const char *)buf;
    uint32_t spins = 0;
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (!buf && len) return VIRTIO_EINVAL;
    r = virtio_console__tx_ready(con, p);
    if (r) return r;
    r = virtio_console__tx_drain(con, p,
                                 &spins); /* earlier submissions first: then the queue is ours */
    while (r == 0 && len) {
        /* As much as one chain takes (4 GiB overflows a 32-bit size_t: then any length). */
        size_t q = virtio_queue_size(&p->tx), max = (size_t)-1;
        size_t n;
        if (q <= max / VIRTIO_CONSOLE__CHUNK) max = q * VIRTIO_CONSOLE__CHUNK;
        n = len < max ? len : max;
        r = virtio_console__tx_add(p, b, n);
        if (r == 0) r = virtio_console__tx_drain(con, p, &spins);
        b += n;
        len -= n;
    }
    return r;
}

VIRTIO_DEF int virtio_console_write_submit(virtio_console *con, uint32_t port, const void *buf,
                                           size_t len) {
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (!buf && len) return VIRTIO_EINVAL;
    r = virtio_console__tx_ready(con, p);
    if (r || len == 0) return r;
    return virtio_console__tx_add(p, buf, len);
}

VIRTIO_DEF int virtio_console_kick(virtio_console *con, uint32_t port) {
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    r = virtio_dev_usable(&con->dev);
    if (r) return r;
    return virtio_queue_kick(&p->tx);
}

VIRTIO_DEF int virtio_console_write_poll(virtio_console *con, uint32_t port) {
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    r = virtio_dev_usable(&con->dev);
    if (r) return r;
    /* A ring fault here leaves buffers with a broken device: tx_fail resets it. */
    return virtio_console__tx_fail(con, virtio_queue_poll(&p->tx, 0, 0));
}

VIRTIO_DEF int virtio_console_write_wait(virtio_console *con, uint32_t port) {
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    r = virtio_dev_usable(&con->dev);
    if (r) return r;
    if (virtio_queue_pending(&p->tx) == 0) return VIRTIO_EAGAIN; /* nothing to wait for */
    r = virtio_queue_kick(&p->tx);
    if (r == 0) r = virtio_queue_wait(&p->tx, 0, 0);
    return virtio_console__tx_fail(con, r);
}

VIRTIO_DEF uint32_t virtio_console_write_pending(const virtio_console *con, uint32_t port) {
    virtio_console_port *p;
    if (virtio_console__port(con, port, &p) || con->was_reset) return 0;
    return virtio_queue_pending(&p->tx);
}

/* ---- Receive --------------------------------------------------------------------------------- */
/* Makes p->cur a buffer with unread bytes if the device has returned one. Bounded: one pass
   over the posted buffers (a device returning empty buffers forever cannot hold us). */
static int virtio_console__rx_next(virtio_console *con, virtio_console_port *p) {
    void *cookie = 0;
    uint32_t len = 0, n;
    int r;
    for (n = 0; !p->cur && n < p->rx_bufs; n++) {
        r = virtio_queue_poll(&p->rx, &cookie, &len);
        if (r) return r; /* VIRTIO_EAGAIN, or a latched ring fault (this port only) */
#ifdef __clang_analyzer__
        /* For clang's analyzer (tests/analyze.mk): VIRTIO_OK always comes with cookie and len
           written. Its inlining stops inside virtio_queue_poll on the deep paths here, then it
           takes the empty-ring answer for VIRTIO_OK with neither written. */
        __builtin_assume(cookie != 0);
#endif
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

static int virtio_console__rx_release(virtio_console *con, virtio_console_port *p, uint32_t n) {
    uint8_t *b;
    p->cur_off += n;
    if (p->cur_off < p->cur_len) return VIRTIO_OK;
    /* Fully read: only now may the device have it back. */
    b = p->cur;
    p->cur = 0;
    return virtio_console__post(&p->rx, b, con->rx_buf_size);
}

VIRTIO_DEF int virtio_console_recv_poll(virtio_console *con, uint32_t port, const void **data,
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

/* The receive waits: the device holds only the driver's own buffers, so a timeout resets
   nothing; virtio_queue_spin bounds the wait, notices NEEDS_RESET and notifies again now and
   then. */
VIRTIO_DEF int virtio_console_recv_wait(virtio_console *con, uint32_t port, const void **data,
                                        size_t *len) {
    uint32_t i;
    int r;
    for (i = 0;; i++) {
        r = virtio_console_recv_poll(con, port, data, len);
        if (r != VIRTIO_EAGAIN) return r;
        r = virtio_queue_spin(&con->ports[port].rx, i); /* port checked by recv_poll */
        if (r) return r;
    }
}

VIRTIO_DEF int virtio_console_release(virtio_console *con, uint32_t port, size_t n) {
    virtio_console_port *p;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (n == 0) return VIRTIO_OK;
    if (!p->cur || n > (size_t)(p->cur_len - p->cur_off)) return VIRTIO_EINVAL;
    r = virtio_dev_usable(&con->dev);
    if (r) return r;
    return virtio_console__rx_release(con, p, (uint32_t)n);
}

VIRTIO_DEF int virtio_console_read_poll(virtio_console *con, uint32_t port, void *buf, size_t len,
                                        size_t *got) {
    virtio_console_port *p;
    uint8_t *out = (uint8_t *)buf;
    size_t done = 0;
    int r = virtio_console__port(con, port, &p);
    if (r) return r;
    if (!got || (!buf && len)) return VIRTIO_EINVAL;
    r = len ? virtio_console__usable(con, p, &p->rx) : VIRTIO_OK;
    if (r) return r; /* a latched error leaves *got alone */
    *got = 0;
    if (len == 0) return VIRTIO_OK;
    while (done < len) {
        uint32_t n;
        r = virtio_console__rx_next(con, p);
        if (r) break;
        n = p->cur_len - p->cur_off;
        if (n > len - done) n = (uint32_t)(len - done);
        virtio_copy(out + done, p->cur + p->cur_off, n);
        done += n;
        r = virtio_console__rx_release(con, p, n);
        if (r) break;
    }
    *got = done;
    /* Bytes taken are the caller's even if the device failed meanwhile; the error comes back
       with the next call. */
    if (done) return VIRTIO_OK;
    return r ? r : VIRTIO_EAGAIN;
}

VIRTIO_DEF int virtio_console_read(virtio_console *con, uint32_t port, void *buf, size_t len,
                                   size_t *got) {
    uint32_t i;
    int r;
    for (i = 0;; i++) {
        r = virtio_console_read_poll(con, port, buf, len, got);
        if (r != VIRTIO_EAGAIN) return r;
        r = virtio_queue_spin(&con->ports[port].rx, i); /* no reset needed (see recv_wait) */
        if (r) return r;
    }
}

#undef VIRTIO_CONSOLE__NEED_READY
#undef VIRTIO_CONSOLE__NEED_OPEN
#undef VIRTIO_CONSOLE__CHUNK
#undef VIRTIO_CONSOLE__MULTI
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
