/* virtio_device.h - v0.1.0 - the device side of virtio-mmio, for small hypervisors, on virtio.h
   MIT licensed, see the end of the file. Single file, no libc, no allocation.

   What a hypervisor needs to give its guest virtio devices: the virtio-mmio register file
   (version 2, and version 1 legacy), device-side split virtqueues that read guest memory only
   through a translation callback the hypervisor provides, and three devices (block, console,
   entropy) built on one small device interface that a device of your own can use too.

QUICK START (a hypervisor with one block device at guest-physical 0x10001000)

       #define VIRTIO_IMPLEMENTATION            // in exactly one C file
       #include "virtio.h"
       #define VIRTIO_DEVICE_IMPLEMENTATION
       #include "virtio_device.h"

       static void *gpa(void *user, uint64_t a, uint64_t len, int write) {
           (void)user; (void)write;              // guest RAM: [RAM_GPA, RAM_GPA + RAM_SIZE)
           if (a < RAM_GPA || a - RAM_GPA > RAM_SIZE || len > RAM_SIZE - (a - RAM_GPA))
               return NULL;                      // any byte outside guest RAM: refused
           return ram + (a - RAM_GPA);
       }
       static void irq(void *user, int level) { set_guest_irq_line(VIRTIO_IRQ, level); }

       virtio_device_host host = {0};
       host.gpa = gpa;
       host.irq = irq;
       static virtio_device_blk blk;            // must not move after init
       virtio_device_blk_init(&blk, &host, 0, disk, sizeof disk);   // 0: modern (version 2)

       // in the guest-page-fault / MMIO trap handler, for an access inside the window:
       uint32_t v = is_store ? store_value : 0;
       virtio_device_mmio(&blk.dev, addr - 0x10001000, width, is_store, &v);
       if (!is_store) write_guest_register(rd, v);   // a refused access reads 0

DOES NOT
   allocate, lock, take a clock or call any C library function. It serves a queue
   notification synchronously, inside the trapped QueueNotify write: the guest's request is
   complete (used ring written, interrupt raised) when the write returns. It offers neither
   VIRTIO_F_RING_PACKED, VIRTIO_F_NOTIFICATION_DATA, VIRTIO_F_RING_RESET nor shared memory
   regions. A legacy (version 1) device uses the guest's byte order, taken to be the host CPU's.

MEMORY
   Every object is the caller's and must not move after its init: a device model struct
   (virtio_device_blk, _console, _rng, or yours) embeds its virtio_device as its FIRST member,
   and &x.dev is what virtio_device_mmio takes. The host struct is copied at init.
   Guest memory is reached only through host->gpa: the device asks for every range it reads or
   writes ([gpa, gpa + len) and whether it will write) and touches exactly that range of what
   it is given. Rings are translated once, when the driver makes a queue live, and those host
   pointers are used until the queue is disabled or the device reset: gpa's answer for guest
   RAM must stay valid that long (a hypervisor with static guest RAM has nothing to do).

TRUST MODEL
   The driver (the guest) is untrusted. Every register write is checked against the spec
   (a forbidden access is refused: ignored, reads 0, and virtio_device_mmio says why). Every
   ring field and descriptor is read once, checked, then used: an available index that moves
   by more than the queue size, a head or next index out of range, a chain longer than the
   queue (a loop), an indirect table inside an indirect table or of a bad length, lengths whose
   sum passes 4 GiB, a buffer gpa refuses, a device-readable descriptor after a writable one:
   each sets DEVICE_NEEDS_RESET (status bit 64) with a configuration change interrupt, and the
   device then ignores its queues until the driver resets it. Never a crash, never a loop
   without a bound, never an access outside what gpa granted.

ADDING A DEVICE
   A device model is a struct whose first member is a virtio_device, a static
   virtio_device_ops (device ID, queue count and size, feature bits, configuration size, and
   three callbacks: notify, config_write, reset), and an init that calls virtio_device_init
   and then virtio_device_config_set for each configuration field. Its notify callback serves
   a queue:

       virtio_device_chain *c = &me->chain;     // one per model is enough (served in turn)
       while (virtio_device_pop(&me->dev, q, c) > 0) {
           uint8_t hdr[8];
           if (virtio_device_chain_read(c, 0, hdr, sizeof hdr) != sizeof hdr) ...; // readable part
           n = virtio_device_chain_write(c, 0, reply, reply_len);                   // writable part
           virtio_device_push(&me->dev, q, c, n);  // used element + interrupt as the driver asks
       }

   virtio_device_rng below is the shortest example (40 lines). A driver fault found by pop
   has already set NEEDS_RESET; a fault only the model can see calls virtio_device_fail.

ERRORS
   virtio_device_mmio returns 0, or for a refused access: VIRTIO_EINVAL (a write to a
   read-only register, a read of a write-only one, a bad width, alignment or offset, a value
   the spec does not allow), VIRTIO_ESTATE (queue setup while the queue is live or after
   DRIVER_OK, a notification before DRIVER_OK, a status bit out of order or cleared),
   VIRTIO_EFEATURES (feature bits that were not offered; FEATURES_OK is then not set),
   VIRTIO_ENOQUEUE (a queue the device does not have), VIRTIO_ENEEDS_RESET (a notification
   while NEEDS_RESET is set). None of these is a host error: log them if you like.

CONFIGURATION (define before including; * = must be the same in every file)
   VIRTIO_DEVICE_MAX_QUEUES  * queues of one device (default 2: console port 0)
   VIRTIO_DEVICE_QUEUE_MAX   * largest QueueSizeMax and longest chain served (default 128)
   VIRTIO_DEVICE_CONFIG_MAX  * bytes of device configuration (default 64)
   VIRTIO_DEVICE_VENDOR_ID     the VendorID register (default 0x76697274, "virt" read as text)

CONCURRENCY
   One caller per device object at a time: the trap handler and a host thread that calls
   virtio_device_console_input must not run at once on the same device.

SPEC (virtio 1.4, section titles)
   "Virtio Over MMIO" (register layout, legacy interface), "Device Status Field",
   "Feature Bits", "Device Configuration Space", "Device Reset", "Virtqueues / Split
   Virtqueues" (descriptor table, indirect descriptors, available and used rings, used and
   available buffer notification suppression), "Message Framing", "Device Types / Block
   Device", "Console Device" (port 0, emergency write), "Entropy Device".
*/

#ifndef VIRTIO_DEVICE_H
#define VIRTIO_DEVICE_H

#ifndef VIRTIO_H
#error "include virtio.h before virtio_device.h"
#endif

#ifndef VIRTIO_DEVICE_MAX_QUEUES
#define VIRTIO_DEVICE_MAX_QUEUES 2
#endif
#ifndef VIRTIO_DEVICE_QUEUE_MAX
#define VIRTIO_DEVICE_QUEUE_MAX 128
#endif
#ifndef VIRTIO_DEVICE_CONFIG_MAX
#define VIRTIO_DEVICE_CONFIG_MAX 64
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* What the hypervisor provides. Zero-initialize, then fill; gpa is required. */
typedef struct virtio_device_host {
    void *user; /* passed back to every callback */
    /* Guest-physical [gpa, gpa + len) -> host pointer, or NULL if any byte of it is not guest
       RAM (write != 0: the device will write it). The device touches guest memory only
       through this, and only the range it asked for; it never asks for a range that wraps
       past 2^64 (so `gpa + len <= end` is a sufficient check). */
    void *(*gpa)(void *user, uint64_t gpa, uint64_t len, int write);
    /* The interrupt line: level 1 while InterruptStatus != 0, 0 when it drops (virtio-mmio is
       level-triggered). Called on each change only. May be NULL (polled guests). */
    void (*irq)(void *user, int level);
    /* Optional: told after the device served a notification of `queue` (a console host may
       have input waiting for receive buffers), and after the driver reset the device. */
    void (*notify)(void *user, uint32_t queue);
    void (*reset)(void *user);
} virtio_device_host;

typedef struct virtio_device virtio_device;

/* One buffer of a chain, translated: host pointer p is valid for len bytes (NULL if len 0). */
typedef struct virtio_device_seg {
    uint8_t *p;
    uint32_t len;
} virtio_device_seg;

/* A descriptor chain popped from the available ring: readable segments seg[0 .. n_out), then
   writable ones seg[n_out .. n). out_len / in_len: their byte totals (each below 4 GiB). */
typedef struct virtio_device_chain {
    uint32_t head; /* the chain's id, for the used ring */
    uint32_t n, n_out;
    uint32_t out_len, in_len;
    virtio_device_seg seg[VIRTIO_DEVICE_QUEUE_MAX];
} virtio_device_chain;

/* A device type: what virtio_device_init needs. */
typedef struct virtio_device_ops {
    uint32_t device_id;   /* VIRTIO_ID_* */
    uint32_t queues;      /* how many (at most VIRTIO_DEVICE_MAX_QUEUES) */
    uint32_t queue_size;  /* QueueSizeMax of each (a power of two, <= VIRTIO_DEVICE_QUEUE_MAX) */
    uint32_t config_size; /* bytes of d->config the driver may read */
    uint64_t features;    /* device-type bits offered; init adds the ring's (VERSION_1 when
                             modern, INDIRECT_DESC, EVENT_IDX) */
    /* The driver notified queue q (after DRIVER_OK; also once per live queue when DRIVER_OK
       is set): pop, serve and push its chains. */
    void (*notify)(virtio_device *d, uint32_t q);
    /* A configuration write of `width` bytes at `off` (value in CPU order): 0, or nonzero to
       refuse it. NULL: the configuration is read-only. Allowed at any status. */
    int (*config_write)(virtio_device *d, uint32_t off, unsigned width, uint32_t value);
    /* The driver reset the device: forget per-request state. May be NULL. */
    void (*reset)(virtio_device *d);
} virtio_device_ops;

/* One queue as the driver set it up. Private: use the functions. */
typedef struct virtio_device_queue {
    uint64_t desc, driver, device;      /* guest-physical areas */
    uint8_t *desc_p, *avail_p, *used_p; /* their host pointers, while live */
    uint32_t size, ready, pfn, align;   /* QueueSize, QueueReady, legacy QueuePFN, QueueAlign */
    uint16_t last_avail;                /* next available entry to take */
    uint16_t used_idx;                  /* next used index to publish */
} virtio_device_queue;

/* The emulated register window. Private fields: use the functions. */
struct virtio_device {
    const virtio_device_ops *ops;
    virtio_device_host host;
    uint32_t legacy;     /* 1: version 1 register layout */
    uint32_t status;     /* Status register */
    uint32_t isr;        /* InterruptStatus */
    uint32_t irq_level;  /* the level last given to host.irq */
    uint32_t generation; /* ConfigGeneration */
    uint32_t features_sel, driver_features_sel, queue_sel, page_size;
    uint64_t offered;         /* DeviceFeatures */
    uint64_t driver_features; /* DriverFeatures as written */
    virtio_device_queue q[VIRTIO_DEVICE_MAX_QUEUES];
    uint8_t config[VIRTIO_DEVICE_CONFIG_MAX]; /* device-specific configuration, little-endian */
};

/* ---- The register window --------------------------------------------------------------- */
/* The trap entry: an access to the window at `offset` from its base; width 1, 2 or 4 (the
   control registers below 0x100 take 4 only, the configuration 1, 2 or 4, aligned); write 0
   reads into *value (zero-extended), write 1 writes *value. The value is the little-endian
   reading of the window's bytes, as virtio-mmio's registers are little-endian: on a
   little-endian CPU, what the guest's load gets or its store gave; a big-endian hypervisor
   swaps. Returns 0, or a VIRTIO_E* code for an access the spec forbids (ignored; a read gives
   0); VIRTIO_EINVAL also for NULL d or value, or a d virtio_device_init never set up. A QueueNotify
   write serves the queue before it returns. */
VIRTIO_API int virtio_device_mmio(virtio_device *d, uint64_t offset, unsigned width, int write,
                                  uint32_t *value);

/* ---- For device models ----------------------------------------------------------------- */
/* Sets `d` up as a reset device of type `ops` (which must outlive it). VIRTIO_EINVAL for a
   NULL argument, a NULL host->gpa or ops beyond the compile-time limits. The calls below on a
   device virtio_device_init never set up (a zeroed one), or on NULL, change nothing and give
   0. */
VIRTIO_API int virtio_device_init(virtio_device *d, const virtio_device_ops *ops,
                                  const virtio_device_host *host, int legacy);
/* Replaces the feature bits offered (before the guest reads them; e.g. withhold
   VIRTIO_F_EVENT_IDX). A modern device always keeps VIRTIO_F_VERSION_1. */
VIRTIO_API void virtio_device_set_offer(virtio_device *d, uint64_t features);
VIRTIO_API uint64_t virtio_device_offered(const virtio_device *d);
/* Nonzero if feature `bit` was negotiated (offered, accepted, and FEATURES_OK or, legacy,
   DRIVER_OK set). */
VIRTIO_API int virtio_device_has(const virtio_device *d, unsigned bit);
/* The Status register (VIRTIO_STATUS_*). */
VIRTIO_API uint32_t virtio_device_status(const virtio_device *d);
/* Nonzero if queue q may be served: DRIVER_OK, no NEEDS_RESET, and the queue live. */
VIRTIO_API int virtio_device_queue_live(const virtio_device *d, uint32_t q);

/* Takes the next available chain of queue q into *c: 1 if one was taken, 0 if none (or the
   queue is not live), VIRTIO_ENEEDS_RESET if the driver broke a rule (NEEDS_RESET is now set,
   and the chain is not taken). Every segment is translated through gpa. */
VIRTIO_API int virtio_device_pop(virtio_device *d, uint32_t q, virtio_device_chain *c);
/* Returns chain c to the driver through the used ring with `written` bytes written into its
   writable part (clamped to in_len), then interrupts the driver unless it asked not to
   (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with VIRTIO_F_EVENT_IDX). */
VIRTIO_API void virtio_device_push(virtio_device *d, uint32_t q, const virtio_device_chain *c,
                                   uint32_t written);
/* Copies between a chain and host memory: the readable part from byte `off` / the writable
   part from byte `off`. Return how many bytes were copied (fewer at the part's end). */
VIRTIO_API size_t virtio_device_chain_read(const virtio_device_chain *c, size_t off, void *dst,
                                           size_t n);
VIRTIO_API size_t virtio_device_chain_write(const virtio_device_chain *c, size_t off,
                                            const void *src, size_t n);
/* The driver broke a rule only the device model can see: sets NEEDS_RESET (and, after
   DRIVER_OK, a configuration change interrupt). */
VIRTIO_API void virtio_device_fail(virtio_device *d);
/* Sets the configuration field of `width` (1, 2, 4 or 8) bytes at `off` to `value`, in the
   device's order (little-endian; legacy: the guest's). Tells the driver nothing: call
   virtio_device_config_changed after a change the driver must notice. */
VIRTIO_API void virtio_device_config_set(virtio_device *d, uint32_t off, unsigned width,
                                         uint64_t value);
/* The host changed the configuration: a new ConfigGeneration and a configuration change
   interrupt (after DRIVER_OK). */
VIRTIO_API void virtio_device_config_changed(virtio_device *d);

/* ---- Block device: virtio 1.4 "Device Types / Block Device" ---------------------------- */
/* Backend callbacks: `n` bytes at byte offset `off` of the disk. A request covers whole
   sectors, but it comes in one call per piece of the guest's buffers, which need not be
   sector-sized: off and n can be any bytes inside the disk. Return 0, or nonzero for an I/O
   error (the request then completes with VIRTIO_BLK_S_IOERR). flush may be NULL. */
typedef struct virtio_device_blk_io {
    int (*read)(void *user, uint64_t off, void *p, size_t n);
    int (*write)(void *user, uint64_t off, const void *p, size_t n);
    int (*flush)(void *user);
    void *user;
} virtio_device_blk_io;

typedef struct virtio_device_blk {
    virtio_device dev; /* first */
    virtio_device_blk_io io;
    uint8_t *disk; /* the memory region (virtio_device_blk_init) */
    uint64_t sectors;
    char id[20]; /* GET_ID: NUL-padded */
    virtio_device_chain chain;
} virtio_device_blk;

/* A disk in memory: disk_bytes / 512 sectors at `disk` (the rest of a partial sector unused). */
VIRTIO_API int virtio_device_blk_init(virtio_device_blk *b, const virtio_device_host *h, int legacy,
                                      void *disk, uint64_t disk_bytes);
/* A disk behind callbacks (copied), of `sectors` 512-byte sectors. */
VIRTIO_API int virtio_device_blk_init_io(virtio_device_blk *b, const virtio_device_host *h,
                                         int legacy, const virtio_device_blk_io *io,
                                         uint64_t sectors);
/* Options, before the guest starts: offer VIRTIO_BLK_F_RO (writes then fail with IOERR), and
   the GET_ID string (up to 20 bytes; default "virtio_device"). */
VIRTIO_API void virtio_device_blk_set_readonly(virtio_device_blk *b, int readonly);
VIRTIO_API void virtio_device_blk_set_id(virtio_device_blk *b, const char *id);

/* ---- Console device, port 0: virtio 1.4 "Device Types / Console Device" ---------------- */
typedef struct virtio_device_console {
    virtio_device dev; /* first */
    void (*out)(void *user, const uint8_t *p, size_t n);
    void *out_user;
    virtio_device_chain chain;
} virtio_device_console;

/* Bytes the guest writes (transmitq, and emergency writes) go to out(out_user, p, n). */
VIRTIO_API int virtio_device_console_init(virtio_device_console *c, const virtio_device_host *h,
                                          int legacy,
                                          void (*out)(void *user, const uint8_t *p, size_t n),
                                          void *out_user);
/* Gives the guest input through its receive buffers: returns how many bytes were taken (fewer
   than n when the guest has no more buffers posted; retry after its next notification). */
VIRTIO_API size_t virtio_device_console_input(virtio_device_console *c, const uint8_t *p, size_t n);
/* Sets cols and rows (VIRTIO_CONSOLE_F_SIZE) and tells the driver. */
VIRTIO_API void virtio_device_console_resize(virtio_device_console *c, uint16_t cols,
                                             uint16_t rows);

/* ---- Entropy device: virtio 1.4 "Device Types / Entropy Device" ------------------------ */
typedef struct virtio_device_rng {
    virtio_device dev; /* first */
    size_t (*fill)(void *user, uint8_t *p, size_t n);
    void *fill_user;
    virtio_device_chain chain;
} virtio_device_rng;

/* fill(fill_user, p, n) writes up to n random bytes to p and returns how many (at least 1:
   the device "MUST place one or more random bytes into the buffer"). */
VIRTIO_API int virtio_device_rng_init(virtio_device_rng *r, const virtio_device_host *h, int legacy,
                                      size_t (*fill)(void *user, uint8_t *p, size_t n),
                                      void *fill_user);

#ifdef __cplusplus
}
#endif

#endif /* VIRTIO_DEVICE_H */

/* ============================================================================================== */
/*                                        IMPLEMENTATION                                          */
/* ============================================================================================== */
#if defined(VIRTIO_DEVICE_IMPLEMENTATION) && !defined(VIRTIO_DEVICE__IMPL_DONE)
#define VIRTIO_DEVICE__IMPL_DONE

#ifndef VIRTIO_DEVICE_VENDOR_ID
#define VIRTIO_DEVICE_VENDOR_ID 0x76697274u
#endif

#define VIRTIO_DEVICE__POW2(x) ((x) != 0 && ((x) & ((x)-1u)) == 0)
#define VIRTIO_DEVICE__KNOWN_STATUS                                                                \
    (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK |                  \
     VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) &&                                    \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define VIRTIO_DEVICE__BIG_ENDIAN 1
#else
#define VIRTIO_DEVICE__BIG_ENDIAN 0
#endif

/* Fields in guest memory and in the configuration are little-endian, or for a legacy device
   in the guest's own order ("Legacy Interfaces: A Note on Virtqueue Endianness"), which is
   this CPU's: a hypervisor runs guests of its own architecture. Guest memory is shared with a
   running guest: each field is read or written exactly once, through volatile byte accesses,
   so the value checked is the value used (no double fetch), at any alignment. */
static int virtio_device__le(const virtio_device *d) {
    return !VIRTIO_DEVICE__BIG_ENDIAN || !d->legacy; /* 1: little-endian */
}
static uint64_t virtio_device__ld_le(const uint8_t *p, unsigned n) {
    uint64_t x = 0;
    while (n--)
        x = x << 8 | p[n];
    return x;
}
static uint64_t virtio_device__ld(const virtio_device *d, const uint8_t *p, unsigned n) {
    const volatile uint8_t *v = p;
    uint64_t x = 0;
    unsigned i;
    for (i = 0; i < n; i++)
        x = x << 8 | v[virtio_device__le(d) ? n - 1u - i : i];
    return x;
}
static void virtio_device__st(const virtio_device *d, uint8_t *p, uint64_t x, unsigned n) {
    volatile uint8_t *v = p;
    unsigned i;
    for (i = 0; i < n; i++, x >>= 8)
        v[virtio_device__le(d) ? i : n - 1u - i] = (uint8_t)x;
}
#define VIRTIO_DEVICE__LD16(p)    ((uint16_t)virtio_device__ld(d, (p), 2))
#define VIRTIO_DEVICE__LD32(p)    ((uint32_t)virtio_device__ld(d, (p), 4))
#define VIRTIO_DEVICE__LD64(p)    virtio_device__ld(d, (p), 8)
#define VIRTIO_DEVICE__ST16(p, x) virtio_device__st(d, (p), (x), 2)
#define VIRTIO_DEVICE__ST32(p, x) virtio_device__st(d, (p), (x), 4)

/* 32-bit halves of 64-bit values, with constant shifts only (no libgcc helper on rv32). */
static uint32_t virtio_device__word(uint64_t x, uint32_t high) {
    return high ? (uint32_t)(x >> 32) : (uint32_t)x;
}
static uint64_t virtio_device__set_half(uint64_t x, int high, uint32_t v) {
    return high ? (x & 0xffffffffu) | (uint64_t)v << 32 : (x & ~(uint64_t)0xffffffffu) | v;
}

/* ---- Interrupts, failure, reset ----------------------------------------------------------- */
/* virtio-mmio "Notifications From The Device": one level-triggered line, asserted while any
   InterruptStatus bit is set. */
static void virtio_device__irq(virtio_device *d) {
    uint32_t level = d->isr != 0;
    if (level == d->irq_level) return;
    d->irq_level = level;
    if (d->host.irq) d->host.irq(d->host.user, (int)level);
}

static void virtio_device__interrupt(virtio_device *d, uint32_t bit) {
    d->isr |= bit;
    virtio_device__irq(d);
}

/* "Device Status Field": a device that sets NEEDS_RESET after DRIVER_OK "MUST send a device
   configuration change notification to the driver". */
VIRTIO_DEF void virtio_device_fail(virtio_device *d) {
    if (!d || !d->ops || (d->status & VIRTIO_STATUS_NEEDS_RESET)) return;
    d->status |= VIRTIO_STATUS_NEEDS_RESET;
    if (d->status & VIRTIO_STATUS_DRIVER_OK) virtio_device__interrupt(d, 2u);
}

VIRTIO_DEF void virtio_device_config_set(virtio_device *d, uint32_t off, unsigned width,
                                         uint64_t value) {
    if (!d || !d->ops || width > 8 || off >= VIRTIO_DEVICE_CONFIG_MAX ||
        width > VIRTIO_DEVICE_CONFIG_MAX - off)
        return;
    virtio_device__st(d, d->config + off, value, width);
}

VIRTIO_DEF void virtio_device_config_changed(virtio_device *d) {
    if (!d || !d->ops) return;
    d->generation++;
    if (d->status & VIRTIO_STATUS_DRIVER_OK) virtio_device__interrupt(d, 2u);
}

/* "Device Reset" and the MMIO Status register: writing 0 resets everything, including
   InterruptStatus and every queue's QueueReady / QueuePFN. */
static void virtio_device__reset(virtio_device *d) {
    uint32_t i;
    d->status = 0;
    d->isr = 0;
    d->features_sel = d->driver_features_sel = d->queue_sel = 0;
    d->driver_features = 0;
    d->page_size = 4096u;
    for (i = 0; i < VIRTIO_DEVICE_MAX_QUEUES; i++) {
        virtio_device_queue *q = &d->q[i];
        virtio_zero(q, sizeof *q);
        q->size = d->ops->queue_size; /* until the driver writes QueueSize */
        q->align = 4096u;
    }
    virtio_device__irq(d);
    if (d->ops->reset) d->ops->reset(d);
}

VIRTIO_DEF int virtio_device_init(virtio_device *d, const virtio_device_ops *ops,
                                  const virtio_device_host *host, int legacy) {
    if (!d || !ops || !host || !host->gpa || ops->queues > VIRTIO_DEVICE_MAX_QUEUES ||
        ops->config_size > VIRTIO_DEVICE_CONFIG_MAX || ops->queue_size > VIRTIO_DEVICE_QUEUE_MAX ||
        (ops->queues && !VIRTIO_DEVICE__POW2(ops->queue_size)))
        return VIRTIO_EINVAL;
    virtio_zero(d, sizeof *d);
    d->ops = ops;
    d->host.user = host->user; /* field by field: a struct copy may become memcpy() */
    d->host.gpa = host->gpa;
    d->host.irq = host->irq;
    d->host.notify = host->notify;
    d->host.reset = host->reset;
    d->legacy = legacy != 0;
    virtio_device_set_offer(d, ops->features | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
                                   VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
    virtio_device__reset(d);
    return VIRTIO_OK;
}

VIRTIO_DEF void virtio_device_set_offer(virtio_device *d, uint64_t features) {
    if (!d || !d->ops) return;
    /* A modern device offers VERSION_1; a legacy one has only 32 feature bits. */
    d->offered = d->legacy ? (features & 0xffffffffu) : (features | VIRTIO_BIT(VIRTIO_F_VERSION_1));
}

VIRTIO_DEF uint64_t virtio_device_offered(const virtio_device *d) { return d ? d->offered : 0; }

VIRTIO_DEF int virtio_device_has(const virtio_device *d, unsigned bit) {
    uint32_t done;
    if (!d || bit > 63) return 0;
    done = d->legacy ? VIRTIO_STATUS_DRIVER_OK : VIRTIO_STATUS_FEATURES_OK;
    if (!(d->status & done)) return 0;
    return (int)(virtio_device__word(d->driver_features & d->offered, bit >> 5) >> (bit & 31u) &
                 1u);
}

VIRTIO_DEF uint32_t virtio_device_status(const virtio_device *d) { return d ? d->status : 0; }

static int virtio_device__live(const virtio_device_queue *q) { return q->used_p != NULL; }

VIRTIO_DEF int virtio_device_queue_live(const virtio_device *d, uint32_t q) {
    return d && d->ops && q < d->ops->queues && (d->status & VIRTIO_STATUS_DRIVER_OK) &&
           !(d->status & VIRTIO_STATUS_NEEDS_RESET) && virtio_device__live(&d->q[q]);
}

/* Every guest memory access starts here: a range that wraps past 2^64 is refused before gpa
   sees it, so a gpa that checks `a + len <= end` cannot be fooled. */
static void *virtio_device__gpa(virtio_device *d, uint64_t a, uint64_t len, int write) {
    if (a + len < a) return NULL;
    return d->host.gpa(d->host.user, a, len, write);
}

/* ---- Queue setup ------------------------------------------------------------------------ */
/* Translates the three areas of a queue (sizes of "Virtqueues": descriptor table 16 * size,
   available ring 6 + 2 * size, used ring 6 + 8 * size, event fields included). 0 or EINVAL. */
static int virtio_device__map(virtio_device *d, virtio_device_queue *q) {
    uint64_t n = q->size;
    void *desc = virtio_device__gpa(d, q->desc, 16u * n, 0);
    void *avail = virtio_device__gpa(d, q->driver, 6u + 2u * n, 0);
    void *used = virtio_device__gpa(d, q->device, 6u + 8u * n, 1);
    if (!desc || !avail || !used) return VIRTIO_EINVAL;
    q->desc_p = (uint8_t *)desc;
    q->avail_p = (uint8_t *)avail;
    q->used_p = (uint8_t *)used;
    q->last_avail = q->used_idx = 0;
    /* "Available Buffer Notification Suppression": flags 0 (notify us), avail_event 0. */
    VIRTIO_DEVICE__ST16(q->used_p, 0);
    return VIRTIO_OK;
}

static void virtio_device__unmap(virtio_device_queue *q) {
    q->desc_p = q->avail_p = q->used_p = NULL;
    q->ready = q->pfn = 0;
}

/* The selected queue, if the driver may set it up now: the queue exists, is not live, and
   DRIVER_OK is not set ("Device Initialization": queues are set up before DRIVER_OK). */
static int virtio_device__setup_q(virtio_device *d, virtio_device_queue **out) {
    if (d->queue_sel >= d->ops->queues) return VIRTIO_ENOQUEUE;
    *out = &d->q[d->queue_sel];
    if ((d->status & VIRTIO_STATUS_DRIVER_OK) || virtio_device__live(*out)) return VIRTIO_ESTATE;
    return VIRTIO_OK;
}

/* Legacy "Virtio Over MMIO / Legacy interface": QueuePFN * GuestPageSize is the descriptor
   table; the available ring follows it; the used ring starts at the next QueueAlign boundary
   ("Legacy Interfaces: A Note on Virtqueue Layout"). */
static int virtio_device__set_pfn(virtio_device *d, virtio_device_queue *q, uint32_t pfn) {
    uint64_t base = (uint64_t)pfn * d->page_size, avail_end;
    q->desc = base;
    q->driver = base + 16u * (uint64_t)q->size;
    avail_end = q->driver + 6u + 2u * (uint64_t)q->size;
    q->device = (avail_end + q->align - 1u) & ~((uint64_t)q->align - 1u);
    if (q->device < base || virtio_device__map(d, q)) return VIRTIO_EINVAL; /* wrapped */
    q->pfn = pfn;
    return VIRTIO_OK;
}

/* Modern QueueReady = 1: the areas must be aligned as "Virtqueues" requires (16, 2, 4). */
static int virtio_device__set_ready(virtio_device *d, virtio_device_queue *q) {
    if ((q->desc & 15u) || (q->driver & 1u) || (q->device & 3u)) return VIRTIO_EINVAL;
    if (virtio_device__map(d, q)) return VIRTIO_EINVAL;
    q->ready = 1;
    return VIRTIO_OK;
}

/* ---- Status and features ---------------------------------------------------------------- */
static void virtio_device__kick_all(virtio_device *d) {
    uint32_t i;
    for (i = 0; i < d->ops->queues; i++)
        if (virtio_device_queue_live(d, i) && d->ops->notify) d->ops->notify(d, i);
}

/* "Device Status Field" and "Device Initialization": bits are set in order (ACKNOWLEDGE,
   DRIVER, FEATURES_OK, DRIVER_OK), never cleared but by a reset; FEATURES_OK only for a
   subset of the offer that has VERSION_1 ("Feature Bits"); NEEDS_RESET is the device's. */
static int virtio_device__set_status(virtio_device *d, uint32_t v) {
    uint32_t old = d->status, add = v & ~old, now = old | add;
    if (v == 0) {
        virtio_device__reset(d);
        if (d->host.reset) d->host.reset(d->host.user);
        return VIRTIO_OK;
    }
    if (v & ~VIRTIO_DEVICE__KNOWN_STATUS) return VIRTIO_EINVAL;
    if ((old & ~v & ~VIRTIO_STATUS_NEEDS_RESET) || (add & VIRTIO_STATUS_NEEDS_RESET))
        return VIRTIO_ESTATE;
    if ((now & VIRTIO_STATUS_DRIVER) && !(now & VIRTIO_STATUS_ACKNOWLEDGE)) return VIRTIO_ESTATE;
    if ((add & VIRTIO_STATUS_FEATURES_OK) && (d->legacy || !(now & VIRTIO_STATUS_DRIVER)))
        return VIRTIO_ESTATE;
    if ((add & VIRTIO_STATUS_DRIVER_OK) &&
        (!(now & VIRTIO_STATUS_DRIVER) || (!d->legacy && !(now & VIRTIO_STATUS_FEATURES_OK))))
        return VIRTIO_ESTATE;
    if (add & VIRTIO_STATUS_FEATURES_OK) {
        if ((d->driver_features & ~d->offered) ||
            !(d->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
            d->status = now & ~VIRTIO_STATUS_FEATURES_OK; /* refused: the driver reads it back */
            return VIRTIO_EFEATURES;
        }
    }
    d->status = now;
    if (add & VIRTIO_STATUS_DRIVER_OK) virtio_device__kick_all(d); /* buffers posted before */
    return VIRTIO_OK;
}

/* DriverFeatures: 32 bits of the word DriverFeaturesSel selects; no change once FEATURES_OK
   (or, legacy, DRIVER_OK) is set. Bits not offered are refused (legacy: dropped; modern:
   kept, so that FEATURES_OK fails as the spec says). */
static int virtio_device__set_features(virtio_device *d, uint32_t v) {
    uint32_t sel = d->driver_features_sel, offered;
    int r;
    if (d->status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)) return VIRTIO_ESTATE;
    if (sel > (d->legacy ? 0u : 1u)) return v ? VIRTIO_EFEATURES : VIRTIO_OK;
    offered = virtio_device__word(d->offered, sel);
    r = (v & ~offered) ? VIRTIO_EFEATURES : VIRTIO_OK;
    if (d->legacy) v &= offered;
    d->driver_features = virtio_device__set_half(d->driver_features, (int)sel, v);
    return r;
}

/* ---- The register file: "Virtio Over MMIO / MMIO Device Register Layout" ---------------- */
static int virtio_device__read(virtio_device *d, uint32_t off, uint32_t *v) {
    virtio_device_queue *q = d->queue_sel < d->ops->queues ? &d->q[d->queue_sel] : NULL;
    int modern = !d->legacy;
    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE: *v = VIRTIO_MMIO_MAGIC; break;
    case VIRTIO_MMIO_VERSION: *v = d->legacy ? 1u : 2u; break;
    case VIRTIO_MMIO_DEVICE_ID: *v = d->ops->device_id; break;
    case VIRTIO_MMIO_VENDOR_ID: *v = VIRTIO_DEVICE_VENDOR_ID; break;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        *v = d->features_sel < 2u ? virtio_device__word(d->offered, d->features_sel) : 0u;
        break;
    case VIRTIO_MMIO_QUEUE_SIZE_MAX: *v = q ? d->ops->queue_size : 0u; break;
    case VIRTIO_MMIO_INTERRUPT_STATUS: *v = d->isr; break;
    case VIRTIO_MMIO_STATUS: *v = d->status; break;
    case VIRTIO_MMIO_QUEUE_PFN:
        if (modern) return VIRTIO_EINVAL;
        *v = q ? q->pfn : 0u;
        break;
    case VIRTIO_MMIO_QUEUE_READY:
        if (!modern) return VIRTIO_EINVAL;
        *v = q ? q->ready : 0u;
        break;
    case VIRTIO_MMIO_CONFIG_GENERATION:
        if (!modern) return VIRTIO_EINVAL;
        *v = d->generation;
        break;
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH:
        if (!modern) return VIRTIO_EINVAL;
        *v = 0xffffffffu; /* "Reading from a non-existent region": length and base -1 */
        break;
    default: return VIRTIO_EINVAL; /* write-only or not a register */
    }
    return VIRTIO_OK;
}

static int virtio_device__write(virtio_device *d, uint32_t off, uint32_t v) {
    virtio_device_queue *q = NULL;
    int modern = !d->legacy, r;
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: d->features_sel = v; return VIRTIO_OK;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: d->driver_features_sel = v; return VIRTIO_OK;
    case VIRTIO_MMIO_DRIVER_FEATURES: return virtio_device__set_features(d, v);
    case VIRTIO_MMIO_QUEUE_SEL: d->queue_sel = v; return VIRTIO_OK;
    case VIRTIO_MMIO_STATUS: return virtio_device__set_status(d, v);
    case VIRTIO_MMIO_INTERRUPT_ACK:
        /* "MUST NOT set any of the undefined bits" */
        if (v & ~3u) return VIRTIO_EINVAL;
        d->isr &= ~v;
        virtio_device__irq(d);
        return VIRTIO_OK;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        /* Without VIRTIO_F_NOTIFICATION_DATA the value is the queue index. "The device MUST
           NOT consume buffers ... before DRIVER_OK." */
        if (v >= d->ops->queues) return VIRTIO_ENOQUEUE;
        if (d->status & VIRTIO_STATUS_NEEDS_RESET) return VIRTIO_ENEEDS_RESET;
        if (!virtio_device_queue_live(d, v)) return VIRTIO_ESTATE;
        if (d->ops->notify) d->ops->notify(d, v);
        if (d->host.notify) d->host.notify(d->host.user, v);
        return VIRTIO_OK;
    case VIRTIO_MMIO_GUEST_PAGE_SIZE:
        if (modern || !VIRTIO_DEVICE__POW2(v)) return VIRTIO_EINVAL;
        d->page_size = v;
        return VIRTIO_OK;
    case VIRTIO_MMIO_SHM_SEL: return modern ? VIRTIO_OK : VIRTIO_EINVAL;
    case VIRTIO_MMIO_QUEUE_READY:
        if (!modern) return VIRTIO_EINVAL;
        if (d->queue_sel >= d->ops->queues) return VIRTIO_ENOQUEUE;
        q = &d->q[d->queue_sel];
        if (v == 0) { /* the driver stops using the queue */
            virtio_device__unmap(q);
            return VIRTIO_OK;
        }
        if (v != 1) return VIRTIO_EINVAL;
        if ((r = virtio_device__setup_q(d, &q)) != 0) return r;
        return virtio_device__set_ready(d, q);
    case VIRTIO_MMIO_QUEUE_PFN:
        if (modern) return VIRTIO_EINVAL;
        if (d->queue_sel >= d->ops->queues) return VIRTIO_ENOQUEUE;
        q = &d->q[d->queue_sel];
        if (v == 0) { /* "When the driver stops using the queue it writes zero" */
            virtio_device__unmap(q);
            return VIRTIO_OK;
        }
        if ((r = virtio_device__setup_q(d, &q)) != 0) return r;
        return virtio_device__set_pfn(d, q, v);
    case VIRTIO_MMIO_QUEUE_SIZE:
    case VIRTIO_MMIO_QUEUE_ALIGN:
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: break; /* queue setup, below */
    default: return VIRTIO_EINVAL;             /* read-only or not a register */
    }
    /* QueueAlign is legacy only, the area addresses modern only */
    if (off == VIRTIO_MMIO_QUEUE_ALIGN && modern) return VIRTIO_EINVAL;
    if (off != VIRTIO_MMIO_QUEUE_ALIGN && off != VIRTIO_MMIO_QUEUE_SIZE && !modern)
        return VIRTIO_EINVAL;
    /* "When QueueReady is not zero, the driver MUST NOT access QueueSize, QueueDesc..." */
    if ((r = virtio_device__setup_q(d, &q)) != 0) return r;
    switch (off) {
    case VIRTIO_MMIO_QUEUE_SIZE:
        /* at most QueueSizeMax; split queues have power-of-two sizes */
        if (!VIRTIO_DEVICE__POW2(v) || v > d->ops->queue_size) return VIRTIO_EINVAL;
        q->size = v;
        break;
    case VIRTIO_MMIO_QUEUE_ALIGN:
        if (!VIRTIO_DEVICE__POW2(v)) return VIRTIO_EINVAL;
        q->align = v;
        break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: q->desc = virtio_device__set_half(q->desc, 0, v); break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: q->desc = virtio_device__set_half(q->desc, 1, v); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: q->driver = virtio_device__set_half(q->driver, 0, v); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: q->driver = virtio_device__set_half(q->driver, 1, v); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: q->device = virtio_device__set_half(q->device, 0, v); break;
    default: q->device = virtio_device__set_half(q->device, 1, v); break;
    }
    return VIRTIO_OK;
}

/* Device-specific configuration from 0x100, "accessed with byte alignment": 1, 2 and 4-byte
   accesses aligned to their width, inside config_size. Like every register, an access's value
   is the little-endian reading of the window's bytes; the bytes hold each field in the
   device's order (so a legacy field on a big-endian guest reads as the guest expects). */
static int virtio_device__config(virtio_device *d, uint64_t off, unsigned width, int write,
                                 uint32_t *v) {
    if (off >= d->ops->config_size || width > d->ops->config_size - off) return VIRTIO_EINVAL;
    if (write) {
        uint8_t bytes[4];
        virtio_put_le32(bytes, *v); /* the bytes written, as the window's value says */
        if (!d->ops->config_write) return VIRTIO_EINVAL;
        return d->ops->config_write(d, (uint32_t)off, width,
                                    (uint32_t)virtio_device__ld(d, bytes, width))
                   ? VIRTIO_EINVAL
                   : VIRTIO_OK;
    }
    *v = (uint32_t)virtio_device__ld_le(d->config + off, width);
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_device_mmio(virtio_device *d, uint64_t offset, unsigned width, int write,
                                  uint32_t *value) {
    if (!d || !d->ops || !value) return VIRTIO_EINVAL;
    if (!write) *value = 0;
    if ((width != 1 && width != 2 && width != 4) || (offset & (width - 1u))) return VIRTIO_EINVAL;
    if (offset >= VIRTIO_MMIO_CONFIG)
        return virtio_device__config(d, offset - VIRTIO_MMIO_CONFIG, width, write, value);
    /* "The driver MUST only use 32 bit wide and aligned reads and writes to access the
       control registers" */
    if (width != 4) return VIRTIO_EINVAL;
    return write ? virtio_device__write(d, (uint32_t)offset, *value)
                 : virtio_device__read(d, (uint32_t)offset, value);
}

/* ---- Device-side split virtqueue: "Virtqueues / Split Virtqueues" ------------------------- */
/* Offsets in the rings: avail = flags, idx, ring[size], used_event; used = flags, idx,
   ring[size] of (id, len), avail_event. */
#define VIRTIO_DEVICE__AVAIL_RING(q, i) ((q)->avail_p + 4u + 2u * (uint32_t)(i))
#define VIRTIO_DEVICE__USED_EVENT(q)    ((q)->avail_p + 4u + 2u * (q)->size)
#define VIRTIO_DEVICE__USED_RING(q, i)  ((q)->used_p + 4u + 8u * (uint32_t)(i))
#define VIRTIO_DEVICE__AVAIL_EVENT(q)   ((q)->used_p + 4u + 8u * (q)->size)

static int virtio_device__bad(virtio_device *d) {
    virtio_device_fail(d);
    return VIRTIO_ENEEDS_RESET;
}

/* Adds one buffer to the chain: readable ones must come first ("Message Framing": "The driver
   MUST place any device-writable descriptor elements after any device-readable descriptor
   elements"), totals stay below 4 GiB ("Drivers MUST NOT add a descriptor chain longer than
   2^32 bytes"), and gpa must grant the whole buffer. */
static int virtio_device__add(virtio_device *d, virtio_device_chain *c, uint64_t addr, uint32_t len,
                              int write) {
    virtio_device_seg *s;
    uint64_t total = (uint64_t)c->out_len + c->in_len + len;
    if (c->n >= VIRTIO_DEVICE_QUEUE_MAX || total > 0xffffffffu) return 0;
    if (!write && c->n != c->n_out) return 0;
    s = &c->seg[c->n++];
    s->len = len;
    s->p = NULL;
    if (len) {
        s->p = (uint8_t *)virtio_device__gpa(d, addr, len, write);
        if (!s->p) return 0;
    }
    if (write)
        c->in_len += len;
    else {
        c->out_len += len;
        c->n_out++;
    }
    return 1;
}

/* Walks the chain at `head`: "The Virtqueue Descriptor Table" and "Indirect Descriptors". The
   walk stops after at most `size` descriptors of the ring's table and `entries` of an indirect
   table, so a loop cannot hang it. */
static int virtio_device__walk(virtio_device *d, virtio_device_queue *q, uint32_t head,
                               virtio_device_chain *c) {
    const uint8_t *table = q->desc_p;
    uint32_t entries = q->size, i = head, steps = 0, indirect = 0;
    for (;;) {
        const uint8_t *e = table + 16u * i;
        uint64_t addr = VIRTIO_DEVICE__LD64(e);
        uint32_t len = VIRTIO_DEVICE__LD32(e + 8);
        uint16_t flags = VIRTIO_DEVICE__LD16(e + 12), next = VIRTIO_DEVICE__LD16(e + 14);
        if (++steps > entries) return 0; /* a loop, or a chain longer than its table */
        if (flags & VIRTQ_DESC_F_INDIRECT) {
            /* "MUST NOT set the VIRTQ_DESC_F_INDIRECT flag within an indirect descriptor",
               nor with NEXT, nor without the feature; the table is whole descriptors. */
            if (indirect || (flags & VIRTQ_DESC_F_NEXT) ||
                !virtio_device_has(d, VIRTIO_F_INDIRECT_DESC) || len == 0 || (len & 15u) ||
                len / 16u > VIRTIO_DEVICE_QUEUE_MAX)
                return 0;
            table = (const uint8_t *)virtio_device__gpa(d, addr, len, 0);
            if (!table) return 0;
            entries = len / 16u;
            indirect = 1;
            i = 0;
            steps = 0;
            continue;
        }
        if (!virtio_device__add(d, c, addr, len, (flags & VIRTQ_DESC_F_WRITE) != 0)) return 0;
        if (!(flags & VIRTQ_DESC_F_NEXT)) return 1;
        if (next >= entries) return 0;
        i = next;
    }
}

VIRTIO_DEF int virtio_device_pop(virtio_device *d, uint32_t qi, virtio_device_chain *c) {
    virtio_device_queue *q;
    uint16_t avail_idx, head;
    if (!c || !virtio_device_queue_live(d, qi)) return 0;
    q = &d->q[qi];
    avail_idx = VIRTIO_DEVICE__LD16(q->avail_p + 2);
    if (avail_idx == q->last_avail) {
        if (!virtio_device_has(d, VIRTIO_F_EVENT_IDX)) return 0;
        /* "Available Buffer Notification Suppression": ask to be notified of the next entry,
           then look again, as the driver may have published it before seeing avail_event. */
        VIRTIO_DEVICE__ST16(VIRTIO_DEVICE__AVAIL_EVENT(q), q->last_avail);
        VIRTIO_MB();
        avail_idx = VIRTIO_DEVICE__LD16(q->avail_p + 2);
        if (avail_idx == q->last_avail) return 0;
    }
    /* The driver "MUST NOT decrement the available idx": more than `size` new entries means
       it went backwards or jumped. */
    if ((uint16_t)(avail_idx - q->last_avail) > q->size) return virtio_device__bad(d);
    VIRTIO_RMB(); /* read avail.idx before the ring entry and descriptors it publishes */
    head = VIRTIO_DEVICE__LD16(VIRTIO_DEVICE__AVAIL_RING(q, q->last_avail & (q->size - 1u)));
    if (head >= q->size) return virtio_device__bad(d);
    c->head = head;
    c->n = c->n_out = c->out_len = c->in_len = 0;
    if (!virtio_device__walk(d, q, head, c)) return virtio_device__bad(d);
    q->last_avail++;
    if (virtio_device_has(d, VIRTIO_F_EVENT_IDX)) /* keep avail_event current */
        VIRTIO_DEVICE__ST16(VIRTIO_DEVICE__AVAIL_EVENT(q), q->last_avail);
    return 1;
}

VIRTIO_DEF void virtio_device_push(virtio_device *d, uint32_t qi, const virtio_device_chain *c,
                                   uint32_t written) {
    virtio_device_queue *q;
    uint16_t old, event;
    int notify;
    if (!c || !virtio_device_queue_live(d, qi)) return;
    q = &d->q[qi];
    if (written > c->in_len) written = c->in_len;
    old = q->used_idx;
    VIRTIO_DEVICE__ST32(VIRTIO_DEVICE__USED_RING(q, old & (q->size - 1u)), c->head);
    VIRTIO_DEVICE__ST32(VIRTIO_DEVICE__USED_RING(q, old & (q->size - 1u)) + 4, written);
    /* "The device MUST set len prior to updating the used idx" (and the data before both) */
    VIRTIO_WMB();
    q->used_idx = (uint16_t)(old + 1u);
    VIRTIO_DEVICE__ST16(q->used_p + 2, q->used_idx);
    /* publish used.idx before reading the driver's suppression fields */
    VIRTIO_MB();
    if (virtio_device_has(d, VIRTIO_F_EVENT_IDX)) {
        /* "Used Buffer Notification Suppression": notify when the used idx passes used_event */
        event = VIRTIO_DEVICE__LD16(VIRTIO_DEVICE__USED_EVENT(q));
        notify = (uint16_t)(q->used_idx - event - 1u) < (uint16_t)(q->used_idx - old);
    } else {
        notify = !(VIRTIO_DEVICE__LD16(q->avail_p) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    }
    if (notify) virtio_device__interrupt(d, 1u);
}

VIRTIO_DEF size_t virtio_device_chain_read(const virtio_device_chain *c, size_t off, void *dst,
                                           size_t n) {
    size_t done = 0, k;
    uint32_t i;
    for (i = 0; c && i < c->n_out && done < n; i++) {
        if (off >= c->seg[i].len) {
            off -= c->seg[i].len;
            continue;
        }
        k = c->seg[i].len - off;
        if (k > n - done) k = n - done;
        virtio_copy((uint8_t *)dst + done, c->seg[i].p + off, k);
        done += k;
        off = 0;
    }
    return done;
}

VIRTIO_DEF size_t virtio_device_chain_write(const virtio_device_chain *c, size_t off,
                                            const void *src, size_t n) {
    size_t done = 0, k;
    uint32_t i;
    for (i = c ? c->n_out : 0; c && i < c->n && done < n; i++) {
        if (off >= c->seg[i].len) {
            off -= c->seg[i].len;
            continue;
        }
        k = c->seg[i].len - off;
        if (k > n - done) k = n - done;
        virtio_copy(c->seg[i].p + off, (const uint8_t *)src + done, k);
        done += k;
        off = 0;
    }
    return done;
}

/* ---- Block device: "Device Types / Block Device" ------------------------------------------ */
#define VIRTIO_DEVICE__BLK_F_SEG_MAX  2
#define VIRTIO_DEVICE__BLK_F_RO       5
#define VIRTIO_DEVICE__BLK_F_BLK_SIZE 6
#define VIRTIO_DEVICE__BLK_F_FLUSH    9
#define VIRTIO_DEVICE__BLK_T_IN       0u
#define VIRTIO_DEVICE__BLK_T_OUT      1u
#define VIRTIO_DEVICE__BLK_T_FLUSH    4u
#define VIRTIO_DEVICE__BLK_T_GET_ID   8u
#define VIRTIO_DEVICE__BLK_S_OK       0u
#define VIRTIO_DEVICE__BLK_S_IOERR    1u
#define VIRTIO_DEVICE__BLK_S_UNSUPP   2u

/* Moves n bytes between the disk at byte `pos` and the chain (from the writable part's start
   for IN, from the readable part's byte 16 for OUT), one backend call per piece of segment. */
static int virtio_device__blk_xfer(virtio_device_blk *b, const virtio_device_chain *c, int in,
                                   uint64_t pos, size_t n) {
    uint32_t i = in ? c->n_out : 0, end = in ? c->n : c->n_out;
    size_t skip = in ? 0 : 16, k;
    for (; i < end && n; i++) {
        if (skip >= c->seg[i].len) {
            skip -= c->seg[i].len;
            continue;
        }
        k = c->seg[i].len - skip;
        if (k > n) k = n;
        if (in ? b->io.read(b->io.user, pos, c->seg[i].p + skip, k)
               : b->io.write(b->io.user, pos, c->seg[i].p + skip, k))
            return 1;
        pos += k;
        n -= k;
        skip = 0;
    }
    return 0;
}

/* One request: struct virtio_blk_req { le32 type; le32 reserved; le64 sector; u8 data[];
   u8 status; }, in any arrangement of descriptors ("Message Framing"). */
static uint8_t virtio_device__blk_serve(virtio_device_blk *b, const virtio_device_chain *c) {
    uint8_t hdr[16];
    uint32_t type;
    uint64_t sector, bytes, data_in = c->in_len - 1u, data_out;
    if (virtio_device_chain_read(c, 0, hdr, 16) != 16) return VIRTIO_DEVICE__BLK_S_IOERR;
    type = (uint32_t)virtio_device__ld(&b->dev, hdr, 4);
    sector = virtio_device__ld(&b->dev, hdr + 8, 8);
    data_out = c->out_len - 16u;
    switch (type) {
    case VIRTIO_DEVICE__BLK_T_IN:
    case VIRTIO_DEVICE__BLK_T_OUT:
        bytes = type == VIRTIO_DEVICE__BLK_T_IN ? data_in : data_out;
        /* data "in multiples of 512 bytes"; "A driver MUST NOT submit a request which would
           cause a read or write beyond capacity": refused with IOERR, nothing moved */
        if ((bytes & 511u) || sector > b->sectors || bytes / 512u > b->sectors - sector)
            return VIRTIO_DEVICE__BLK_S_IOERR;
        /* "MUST set the status byte to VIRTIO_BLK_S_IOERR for a write request if the
           VIRTIO_BLK_F_RO feature if offered, and MUST NOT write any data" */
        if (type == VIRTIO_DEVICE__BLK_T_OUT &&
            (b->dev.offered & VIRTIO_BIT(VIRTIO_DEVICE__BLK_F_RO)))
            return VIRTIO_DEVICE__BLK_S_IOERR;
        if (virtio_device__blk_xfer(b, c, type == VIRTIO_DEVICE__BLK_T_IN, sector * 512u,
                                    (size_t)bytes))
            return VIRTIO_DEVICE__BLK_S_IOERR;
        return VIRTIO_DEVICE__BLK_S_OK;
    case VIRTIO_DEVICE__BLK_T_FLUSH:
        if (b->io.flush && b->io.flush(b->io.user)) return VIRTIO_DEVICE__BLK_S_IOERR;
        return VIRTIO_DEVICE__BLK_S_OK;
    case VIRTIO_DEVICE__BLK_T_GET_ID:
        /* "The length of data MUST be 20 bytes for VIRTIO_BLK_T_GET_ID requests" */
        if (data_in < sizeof b->id) return VIRTIO_DEVICE__BLK_S_IOERR;
        virtio_device_chain_write(c, 0, b->id, sizeof b->id);
        return VIRTIO_DEVICE__BLK_S_OK;
    default: return VIRTIO_DEVICE__BLK_S_UNSUPP; /* discard, write zeroes, lifetime, ... */
    }
}

static void virtio_device__blk_notify(virtio_device *d, uint32_t q) {
    virtio_device_blk *b = (virtio_device_blk *)d;
    uint8_t status;
    while (virtio_device_pop(d, q, &b->chain) > 0) {
        if (b->chain.in_len == 0) { /* no room for the status byte: not a request */
            virtio_device_fail(d);
            return;
        }
        status = virtio_device__blk_serve(b, &b->chain);
        virtio_device_chain_write(&b->chain, b->chain.in_len - 1u, &status, 1);
        virtio_device_push(d, q, &b->chain, b->chain.in_len);
    }
}

static const virtio_device_ops virtio_device__blk_ops = {
    VIRTIO_ID_BLOCK,
    1,
    VIRTIO_DEVICE_QUEUE_MAX,
    24, /* capacity, size_max, seg_max, geometry, blk_size */
    VIRTIO_BIT(VIRTIO_DEVICE__BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_DEVICE__BLK_F_BLK_SIZE) |
        VIRTIO_BIT(VIRTIO_DEVICE__BLK_F_FLUSH),
    virtio_device__blk_notify,
    NULL,
    NULL};

static int virtio_device__mem_read(void *user, uint64_t off, void *p, size_t n) {
    virtio_copy(p, ((virtio_device_blk *)user)->disk + off, n);
    return 0;
}
static int virtio_device__mem_write(void *user, uint64_t off, const void *p, size_t n) {
    virtio_copy(((virtio_device_blk *)user)->disk + off, p, n);
    return 0;
}

VIRTIO_DEF int virtio_device_blk_init_io(virtio_device_blk *b, const virtio_device_host *h,
                                         int legacy, const virtio_device_blk_io *io,
                                         uint64_t sectors) {
    int r;
    if (!b || !io || !io->read || !io->write || sectors > (~(uint64_t)0 >> 9)) return VIRTIO_EINVAL;
    if ((r = virtio_device_init(&b->dev, &virtio_device__blk_ops, h, legacy)) != 0) return r;
    b->io.read = io->read;
    b->io.write = io->write;
    b->io.flush = io->flush;
    b->io.user = io->user;
    b->disk = NULL;
    b->sectors = sectors;
    /* struct virtio_blk_config: le64 capacity @0, le32 seg_max @12, le32 blk_size @20 */
    virtio_device_config_set(&b->dev, 0, 8, sectors);
    virtio_device_config_set(&b->dev, 12, 4, VIRTIO_DEVICE_QUEUE_MAX - 2u);
    virtio_device_config_set(&b->dev, 20, 4, 512u);
    virtio_zero(b->id, sizeof b->id);
    virtio_device_blk_set_id(b, "virtio_device");
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_device_blk_init(virtio_device_blk *b, const virtio_device_host *h, int legacy,
                                      void *disk, uint64_t disk_bytes) {
    virtio_device_blk_io io;
    int r;
    if (!b || (!disk && disk_bytes) || disk_bytes > (size_t)-1) return VIRTIO_EINVAL;
    io.read = virtio_device__mem_read;
    io.write = virtio_device__mem_write;
    io.flush = NULL;
    io.user = b;
    if ((r = virtio_device_blk_init_io(b, h, legacy, &io, disk_bytes >> 9)) != 0) return r;
    b->disk = (uint8_t *)disk;
    return VIRTIO_OK;
}

VIRTIO_DEF void virtio_device_blk_set_readonly(virtio_device_blk *b, int readonly) {
    uint64_t ro = VIRTIO_BIT(VIRTIO_DEVICE__BLK_F_RO);
    if (b) virtio_device_set_offer(&b->dev, readonly ? b->dev.offered | ro : b->dev.offered & ~ro);
}

VIRTIO_DEF void virtio_device_blk_set_id(virtio_device_blk *b, const char *id) {
    size_t i;
    if (!b || !id) return;
    for (i = 0; i < sizeof b->id; i++)
        b->id[i] = *id ? *id++ : '\0';
}

/* ---- Console device, port 0: "Device Types / Console Device" ------------------------------ */
#define VIRTIO_DEVICE__CONSOLE_F_SIZE        0
#define VIRTIO_DEVICE__CONSOLE_F_EMERG_WRITE 2

/* transmitq (queue 1): the driver "MUST NOT put a device-writable buffer in a transmitq" */
static void virtio_device__console_notify(virtio_device *d, uint32_t q) {
    virtio_device_console *c = (virtio_device_console *)d;
    uint32_t i;
    if (q != 1) return; /* new receive buffers wait for virtio_device_console_input */
    while (virtio_device_pop(d, q, &c->chain) > 0) {
        if (c->chain.in_len) {
            virtio_device_fail(d);
            return;
        }
        for (i = 0; i < c->chain.n; i++)
            if (c->out && c->chain.seg[i].len)
                c->out(c->out_user, c->chain.seg[i].p, c->chain.seg[i].len);
        virtio_device_push(d, q, &c->chain, 0);
    }
}

/* struct virtio_console_config { le16 cols; le16 rows; le32 max_nr_ports; le32 emerg_wr; }:
   "The device MUST allow a write to emerg_wr, even on an unconfigured device" and "SHOULD
   transmit the lower byte". */
static int virtio_device__console_config(virtio_device *d, uint32_t off, unsigned width,
                                         uint32_t v) {
    virtio_device_console *c = (virtio_device_console *)d;
    uint8_t byte = (uint8_t)v;
    if (off != 8) return 1;
    (void)width;
    if (c->out) c->out(c->out_user, &byte, 1);
    return 0;
}

static const virtio_device_ops virtio_device__console_ops = {
    VIRTIO_ID_CONSOLE,
    2, /* receiveq, transmitq of port 0 */
    VIRTIO_DEVICE_QUEUE_MAX,
    12,
    VIRTIO_BIT(VIRTIO_DEVICE__CONSOLE_F_SIZE) | VIRTIO_BIT(VIRTIO_DEVICE__CONSOLE_F_EMERG_WRITE),
    virtio_device__console_notify,
    virtio_device__console_config,
    NULL};

VIRTIO_DEF int virtio_device_console_init(virtio_device_console *c, const virtio_device_host *h,
                                          int legacy,
                                          void (*out)(void *user, const uint8_t *p, size_t n),
                                          void *out_user) {
    int r;
    if (!c) return VIRTIO_EINVAL;
    if ((r = virtio_device_init(&c->dev, &virtio_device__console_ops, h, legacy)) != 0) return r;
    c->out = out;
    c->out_user = out_user;
    virtio_device_config_set(&c->dev, 0, 2, 80);
    virtio_device_config_set(&c->dev, 2, 2, 25);
    virtio_device_config_set(&c->dev, 4, 4, 1);
    return VIRTIO_OK;
}

/* receiveq (queue 0): the driver "MUST NOT put a device-readable buffer in a receiveq" */
VIRTIO_DEF size_t virtio_device_console_input(virtio_device_console *c, const uint8_t *p,
                                              size_t n) {
    size_t done = 0, k;
    while (c && done < n && virtio_device_pop(&c->dev, 0, &c->chain) > 0) {
        if (c->chain.out_len) {
            virtio_device_fail(&c->dev);
            break;
        }
        k = virtio_device_chain_write(&c->chain, 0, p + done, n - done);
        virtio_device_push(&c->dev, 0, &c->chain, (uint32_t)k);
        done += k;
    }
    return done;
}

VIRTIO_DEF void virtio_device_console_resize(virtio_device_console *c, uint16_t cols,
                                             uint16_t rows) {
    if (!c) return;
    virtio_device_config_set(&c->dev, 0, 2, cols);
    virtio_device_config_set(&c->dev, 2, 2, rows);
    virtio_device_config_changed(&c->dev);
}

/* ---- Entropy device: "Device Types / Entropy Device" --------------------------------------- */
/* The driver "MUST NOT place device-readable buffers into the queue"; the device "MUST place
   one or more random bytes into the buffer, but it MAY use less than the entire buffer". */
static void virtio_device__rng_notify(virtio_device *d, uint32_t q) {
    virtio_device_rng *r = (virtio_device_rng *)d;
    uint32_t i, got;
    size_t k;
    while (virtio_device_pop(d, q, &r->chain) > 0) {
        if (r->chain.out_len) {
            virtio_device_fail(d);
            return;
        }
        for (i = r->chain.n_out, got = 0; i < r->chain.n; i++) {
            k = r->fill(r->fill_user, r->chain.seg[i].p, r->chain.seg[i].len);
            got += (uint32_t)(k < r->chain.seg[i].len ? k : r->chain.seg[i].len);
            if (k < r->chain.seg[i].len) break; /* the source ran dry: give what we have */
        }
        virtio_device_push(d, q, &r->chain, got);
    }
}

static const virtio_device_ops virtio_device__rng_ops = {
    VIRTIO_ID_RNG, 1, VIRTIO_DEVICE_QUEUE_MAX, 0, 0, virtio_device__rng_notify, NULL, NULL};

VIRTIO_DEF int virtio_device_rng_init(virtio_device_rng *r, const virtio_device_host *h, int legacy,
                                      size_t (*fill)(void *user, uint8_t *p, size_t n),
                                      void *fill_user) {
    int rc;
    if (!r || !fill) return VIRTIO_EINVAL;
    if ((rc = virtio_device_init(&r->dev, &virtio_device__rng_ops, h, legacy)) != 0) return rc;
    r->fill = fill;
    r->fill_user = fill_user;
    return VIRTIO_OK;
}

#undef VIRTIO_DEVICE__POW2
#undef VIRTIO_DEVICE__KNOWN_STATUS
#undef VIRTIO_DEVICE__AVAIL_RING
#undef VIRTIO_DEVICE__USED_EVENT
#undef VIRTIO_DEVICE__USED_RING
#undef VIRTIO_DEVICE__AVAIL_EVENT
#undef VIRTIO_DEVICE__LD16
#undef VIRTIO_DEVICE__LD32
#undef VIRTIO_DEVICE__LD64
#undef VIRTIO_DEVICE__ST16
#undef VIRTIO_DEVICE__ST32
#undef VIRTIO_DEVICE__BIG_ENDIAN

#endif /* VIRTIO_DEVICE_IMPLEMENTATION */

/*
MIT License

Copyright (c) 2026 the virtio.h authors

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
