/* virtio.h - v0.1.0 - polled VirtIO core (virtio-mmio transport, split virtqueues)
   MIT licensed, see the end of the file. https://github.com/ - single-file, no libc.

   The core of virtio.h: transport, device initialization, feature negotiation, configuration
   space and the split virtqueue. Device headers (virtio_blk.h, ...) are built on its public API
   only, and so can yours: see tests/rng_driver.h for an entropy driver written against it.

QUICK START

       #define VIRTIO_IMPLEMENTATION        // in exactly one C file
       #include "virtio.h"
       #define VIRTIO_BLK_IMPLEMENTATION
       #include "virtio_blk.h"

       static uint8_t qmem[VIRTIO_QUEUE_MEM(64)] __attribute__((aligned(4096)));
       static uint8_t rmem[VIRTIO_BLK_REQ_MEM(16)] __attribute__((aligned(16)));
       static uint8_t sector[512] __attribute__((aligned(16)));

       virtio_regs regs = virtio_mmio_regs((void *)0x10008000);   // plain MMIO, no callback
       virtio_blk blk;
       int r = virtio_blk_init(&blk, &regs, qmem, sizeof qmem, 64, rmem, sizeof rmem);
       if (r == 0) r = virtio_blk_read(&blk, 0, sector, sizeof sector);
       if (r != 0) print(virtio_result_str(r));

   virtio_mmio_scan() finds the devices in a range of virtio-mmio slots (QEMU's riscv `virt`
   machine has eight at 0x10001000 + 0x1000*i, filled from the top).

DOES NOT
   allocate, take interrupts, enumerate PCI (yet), lock, or call any C library function.
   It never waits without a bound: every wait ends with VIRTIO_ETIMEDOUT.

MEMORY
   The caller gives every byte the library uses. A virtio_dev, virtio_queue or device object is
   a plain struct the caller owns; it must not move after init (queues point at their device).
   Queue memory (rings and the driver's private shadow) comes from one block:
     virtio_queue_mem_size(size, version) bytes, aligned to virtio_queue_mem_align(version)
     (4096 for legacy virtio-mmio, 16 for modern). VIRTIO_QUEUE_MEM(size) is a compile-time
     upper bound that fits both versions. The rings must be reachable by the device (DMA);
     legacy devices also need them below 16 TiB (a 32-bit page frame number).
   Buffers passed to a queue must be contiguous in the device's address space.

CONFIGURATION (define before including; * = must be the same in every file)
   VIRTIO_STATIC          * make every function static (for one translation unit)
   VIRTIO_API             * decoration of public declarations (default: extern or static)
   VIRTIO_MB() / VIRTIO_RMB() / VIRTIO_WMB()
                            memory barriers for shared rings (default: compiler builtins)
   VIRTIO_MMIO_BEFORE_WRITE() / VIRTIO_MMIO_AFTER_READ()
                            I/O ordering in virtio_mmio_regs (default: fence w,o / fence i,r on
                            RISC-V, dmb on Arm64, a compiler barrier on x86)
   VIRTIO_SPIN_LIMIT        default bound of every wait, in poll iterations (default 200000000)
   VIRTIO_STATUS_CHECK_MASK a wait reads the status register every this + 1 idle iterations to
                            notice NEEDS_RESET (default 0xffff; a power of two minus one)
   VIRTIO_CONFIG_RETRIES    tries of a configuration read whose generation moves (default 16)
   VIRTIO_MEMSET(p, c, n)   zeroing (default: a byte loop, no libc symbol)
   VIRTIO_NO_LEGACY         leave out the legacy (version 1) virtio-mmio code
   VIRTIO_NO_STRINGS        virtio_result_str() returns "" (saves the strings)
   Only the starred ones matter outside the file with the implementation.

ERRORS
   Every function that can fail returns 0 or a negative virtio_result (virtio_result_str names
   each). A caller bug (null pointer, misaligned or too-small memory, bad size) returns
   VIRTIO_EINVAL and changes nothing. A device fault (a used id that is not outstanding, a used
   length above what was posted, an index jump, a nonsense config value, NEEDS_RESET) returns an
   error and latches the queue or device as broken: every later call fails with the same code
   until the device is initialized again.

TRUST MODEL
   The device is untrusted. Everything it writes (used ring, configuration, status) is checked
   before it is used as an index, a length or a loop bound. The driver keeps a private shadow
   of every descriptor it writes and never reads shared memory back to make a decision.

CONCURRENCY
   One caller per device object at a time; no globals, so separate devices need no locking.
   The library never sleeps; it calls the optional relax hook while it polls.

SPEC (virtio 1.4, section titles)
   "Basic Facilities of a Virtio Device" (status, feature bits, configuration space, reset),
   "Virtqueues / Split Virtqueues" (descriptor table, available and used rings, notification
   suppression, event index), "Device Initialization" (modern and legacy),
   "Virtio Transport Options / Virtio Over MMIO" (version 2 and its legacy interface),
   "Reserved Feature Bits".
*/

#ifndef VIRTIO_H
#define VIRTIO_H

#include <stddef.h>
#include <stdint.h>

#define VIRTIO_VERSION_MAJOR 0
#define VIRTIO_VERSION_MINOR 1
#define VIRTIO_VERSION_PATCH 0

#ifndef VIRTIO_API
#ifdef VIRTIO_STATIC
#define VIRTIO_API static
#else
#define VIRTIO_API extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Device status bits: virtio 1.4 "Basic Facilities / Device Status Field" ---------------- */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* ---- Reserved feature bits: virtio 1.4 "Reserved Feature Bits" (bit numbers) ---------------- */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24       /* legacy only */
#define VIRTIO_F_ANY_LAYOUT 27            /* legacy only; implied by VERSION_1 */
#define VIRTIO_F_INDIRECT_DESC 28         /* a.k.a. VIRTIO_F_RING_INDIRECT_DESC */
#define VIRTIO_F_EVENT_IDX 29             /* a.k.a. VIRTIO_F_RING_EVENT_IDX */
#define VIRTIO_F_UNUSED 30                /* legacy "BAD_FEATURE": never accept */
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34
#define VIRTIO_F_IN_ORDER 35
#define VIRTIO_F_ORDER_PLATFORM 36
#define VIRTIO_F_SR_IOV 37
#define VIRTIO_F_NOTIFICATION_DATA 38
#define VIRTIO_F_NOTIF_CONFIG_DATA 39
#define VIRTIO_F_RING_RESET 40
#define VIRTIO_F_ADMIN_VQ 41
#define VIRTIO_RING_F_INDIRECT_DESC VIRTIO_F_INDIRECT_DESC
#define VIRTIO_RING_F_EVENT_IDX VIRTIO_F_EVENT_IDX
#define VIRTIO_BIT(n) ((uint64_t)1 << (n))

/* ---- Device IDs: virtio 1.4 "Device Types" ---------------------------------------------------- */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_BALLOON 5
#define VIRTIO_ID_SCSI 8
#define VIRTIO_ID_9P 9
#define VIRTIO_ID_GPU 16
#define VIRTIO_ID_INPUT 18
#define VIRTIO_ID_VSOCK 19
#define VIRTIO_ID_CRYPTO 20
#define VIRTIO_ID_FS 26

/* ---- virtio-mmio registers: virtio 1.4 "Virtio Over MMIO / MMIO Device Register Layout" ------ */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000         /* "virt" = 0x74726976 */
#define VIRTIO_MMIO_VERSION 0x004             /* 2 = modern, 1 = legacy */
#define VIRTIO_MMIO_DEVICE_ID 0x008           /* 0 = empty slot */
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010     /* legacy: HostFeatures */
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014 /* legacy: HostFeaturesSel */
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020     /* legacy: GuestFeatures */
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024 /* legacy: GuestFeaturesSel */
#define VIRTIO_MMIO_GUEST_PAGE_SIZE 0x028     /* legacy only */
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_SIZE_MAX 0x034      /* Linux and QEMU call it QueueSizeMax */
#define VIRTIO_MMIO_QUEUE_SIZE 0x038          /* Linux and QEMU call it QueueNum */
#define VIRTIO_MMIO_QUEUE_ALIGN 0x03c         /* legacy only */
#define VIRTIO_MMIO_QUEUE_PFN 0x040           /* legacy only */
#define VIRTIO_MMIO_QUEUE_READY 0x044         /* modern only */
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080      /* modern only, as are the next ones */
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_QUEUE_RESET 0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100
/* The legacy interface's own names for the feature registers (same offsets). */
#define VIRTIO_MMIO_HOST_FEATURES VIRTIO_MMIO_DEVICE_FEATURES
#define VIRTIO_MMIO_HOST_FEATURES_SEL VIRTIO_MMIO_DEVICE_FEATURES_SEL
#define VIRTIO_MMIO_GUEST_FEATURES VIRTIO_MMIO_DRIVER_FEATURES
#define VIRTIO_MMIO_GUEST_FEATURES_SEL VIRTIO_MMIO_DRIVER_FEATURES_SEL
#define VIRTIO_MMIO_MAGIC 0x74726976u          /* "virt", little-endian */
#define VIRTIO_MMIO_LEGACY_PAGE_SIZE 4096u     /* what we write to GuestPageSize and QueueAlign */

/* ---- Split virtqueue flags: virtio 1.4 "Virtqueues / Split Virtqueues" ------------------------- */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u
#define VIRTIO_QUEUE_SIZE_MAX 32768u           /* largest split queue the spec allows */

/* ---- Result codes ----------------------------------------------------------------------------- */
/* One list makes both the enum and virtio_result_str(). */
#define VIRTIO_RESULTS(X)                                                                          \
    X(VIRTIO_OK, 0, "success")                                                                     \
    X(VIRTIO_EINVAL, -1, "invalid argument (null, misaligned, too small or out of range)")         \
    X(VIRTIO_ENODEV, -2, "no virtio device here (bad magic, empty slot or wrong device type)")     \
    X(VIRTIO_EVERSION, -3, "unsupported virtio-mmio version")                                      \
    X(VIRTIO_EFEATURES, -4, "feature negotiation failed (device refused FEATURES_OK or lacks a required feature)") \
    X(VIRTIO_ETIMEDOUT, -5, "the device did not answer within the wait bound")                    \
    X(VIRTIO_EDEVICE, -6, "the device misbehaved; device or queue is broken until reset")          \
    X(VIRTIO_ENEEDS_RESET, -7, "the device set NEEDS_RESET")                                       \
    X(VIRTIO_EAGAIN, -8, "nothing has completed yet")                                              \
    X(VIRTIO_ENOSPC, -9, "the queue has no room; poll for completions and retry")                  \
    X(VIRTIO_ENOQUEUE, -10, "the device has no such queue, or it is already in use")               \
    X(VIRTIO_ESTATE, -11, "the object is not initialized or not in the right state")               \
    X(VIRTIO_EIO, -12, "the device reported an I/O error")                                         \
    X(VIRTIO_EUNSUPP, -13, "the device reported the request as unsupported")                       \
    X(VIRTIO_EROFS, -14, "the device is read-only")                                                \
    X(VIRTIO_ERANGE, -15, "the range is past the end of the device")                               \
    X(VIRTIO_ENOTSUP, -16, "the device did not offer the feature this call needs")

typedef enum virtio_result {
#define VIRTIO__ENUM(name, value, text) name = value,
    VIRTIO_RESULTS(VIRTIO__ENUM)
#undef VIRTIO__ENUM
        VIRTIO__RESULT_MIN = -16
} virtio_result;

/* ---- Register accessor ------------------------------------------------------------------------ */
/* How the library touches device registers. One accessor per device; most users take the ready
   one from virtio_mmio_regs(base), which needs no callback at all.

   Contract of each callback:
   - read/write one register of exactly 8, 16 or 32 bits at byte offset `off` of region `region`
     (virtio-mmio has one region, VIRTIO_REGION_MMIO; PCI will name its capability windows);
   - values are in CPU order: the accessor converts from the transport's byte order (virtio-mmio
     registers are little-endian), so on a little-endian CPU it is a plain load or store;
   - it never fails, and returns whatever the device returns;
   - a write is ordered after every earlier memory write of this CPU, and a read before every
     later memory read (on RISC-V and Arm a plain fence does not order MMIO: the accessor must);
   - dma (optional, NULL = identity): the device's address of a CPU pointer into driver memory;
   - relax (optional): called once per poll iteration, with the iteration number starting at 0
     for each wait; return nonzero to give up the wait now (it then ends with VIRTIO_ETIMEDOUT),
     so a caller with a clock can bound waits in time rather than in iterations. */
#define VIRTIO_REGION_MMIO 0u

typedef struct virtio_regs {
    uint8_t (*read8)(void *user, unsigned region, uint32_t off);
    uint16_t (*read16)(void *user, unsigned region, uint32_t off);
    uint32_t (*read32)(void *user, unsigned region, uint32_t off);
    void (*write8)(void *user, unsigned region, uint32_t off, uint8_t value);
    void (*write16)(void *user, unsigned region, uint32_t off, uint16_t value);
    void (*write32)(void *user, unsigned region, uint32_t off, uint32_t value);
    uint64_t (*dma)(void *user, const void *ptr); /* NULL: the address is the pointer */
    int (*relax)(void *user, uint32_t iteration); /* NULL: spin */
    void *user;                                   /* for virtio_mmio_regs: the register base */
} virtio_regs;

/* The ready accessor for memory-mapped registers at `base` (width-matched volatile accesses). */
VIRTIO_API virtio_regs virtio_mmio_regs(void *base);

/* ---- Scan ------------------------------------------------------------------------------------- */
typedef struct virtio_mmio_slot {
    void *base;         /* base + index*stride: pass to virtio_mmio_regs, or as regs.user */
    unsigned index;     /* slot number */
    uint32_t version;   /* 1 legacy, 2 modern */
    uint32_t device_id; /* VIRTIO_ID_* */
    uint32_t vendor_id;
} virtio_mmio_slot;

/* Reads MagicValue, Version and DeviceID of `count` slots at base + i*stride (read-only: it
   writes no register) and stores each slot that holds a device, lowest index first, into
   out[0..max). Slots with a bad magic or device ID 0 are skipped. `regs` is the accessor to use
   with its `user` replaced by each slot's base, or NULL for plain MMIO. Returns how many
   devices were found (which may exceed max), or VIRTIO_EINVAL. */
VIRTIO_API int virtio_mmio_scan(const virtio_regs *regs, void *base, size_t stride, unsigned count,
                                virtio_mmio_slot *out, unsigned max);

/* ---- Device ----------------------------------------------------------------------------------- */
typedef struct virtio_dev {
    virtio_regs regs;         /* copy of the caller's accessor */
    uint32_t transport;       /* VIRTIO_TRANSPORT_* */
    uint32_t version;         /* virtio-mmio Version: 1 legacy, 2 modern */
    uint32_t device_id;       /* VIRTIO_ID_* */
    uint32_t spin_limit;      /* bound of every wait, in poll iterations; 0 = VIRTIO_SPIN_LIMIT */
    uint64_t offered;         /* feature bits the device offered */
    uint64_t features;        /* feature bits negotiated */
    int error;                /* latched device fault (0 = healthy) */
    uint32_t status;          /* last status the driver wrote */
    uint32_t negotiated;      /* features were negotiated (legacy devices have no FEATURES_OK) */
} virtio_dev;

#define VIRTIO_TRANSPORT_MMIO 1u

/* Checks magic, version and device ID and fills `dev` without writing any register: the device
   is left exactly as it was (for instance by firmware). virtio_dev_init does this first; use it
   alone to look at a device, or to use what needs no initialization (a console's emergency
   write after firmware negotiated it). dev->spin_limit is set to VIRTIO_SPIN_LIMIT. */
VIRTIO_API int virtio_dev_attach(virtio_dev *dev, const virtio_regs *regs, uint32_t expected_id);

/* Starts the spec's initialization sequence: checks magic, version and device ID, resets the
   device (waiting, bounded, for status to read 0), then sets ACKNOWLEDGE and DRIVER.
   expected_id: the device type required, or 0 for any. It sets dev->spin_limit to
   VIRTIO_SPIN_LIMIT, which bounds its own reset wait (with the relax hook); change the field
   afterwards to bound later waits differently. */
VIRTIO_API int virtio_dev_init(virtio_dev *dev, const virtio_regs *regs, uint32_t expected_id);

/* Negotiates features: accepts `wanted & offered`, plus VIRTIO_F_VERSION_1 whenever offered
   (a modern device that does not offer it is refused with VIRTIO_EFEATURES). On modern devices
   sets FEATURES_OK and reads it back: a device that clears it refused the set, VIRTIO_EFEATURES.
   `required` bits are taken like wanted ones, and a device that does not offer every one of
   them is refused with VIRTIO_EFEATURES. Sets FAILED on error. */
VIRTIO_API int virtio_dev_negotiate(virtio_dev *dev, uint64_t wanted, uint64_t required);

/* Reads the feature bits the device offers (64 on modern devices, 32 on legacy) into
   *offered and dev->offered, without negotiating: it selects feature words, which changes
   nothing in the device. A driver may use it to check the offer (or, with the configuration,
   its fit) before virtio_dev_negotiate, which reads the offer again itself. */
VIRTIO_API int virtio_dev_read_offer(virtio_dev *dev, uint64_t *offered);

/* Nonzero if feature bit `bit` was negotiated. */
VIRTIO_API int virtio_dev_has(const virtio_dev *dev, unsigned bit);

/* Sets DRIVER_OK: call after every queue is set up. */
VIRTIO_API int virtio_dev_ready(virtio_dev *dev);

/* Marks initialization failed: sets FAILED in the device and latches `error` (pass the error
   that made you give up; it is returned). Use it when a device driver's own checks fail. */
VIRTIO_API int virtio_dev_fail(virtio_dev *dev, int error);

/* Reads the device status register and reports NEEDS_RESET, FAILED or a device that reset
   itself as an error (latched). 0 if the device is healthy. Costs one register read. */
VIRTIO_API int virtio_dev_check(virtio_dev *dev);

/* One idle iteration of a bounded wait, for drivers that poll something of their own: call
   it with iteration = 0, 1, 2, ... each time there was nothing to take. Returns 0 to go on
   waiting; VIRTIO_ETIMEDOUT when the device's spin limit is reached or the relax hook says
   stop; a device error (latched) when a status check, made now and then and at the end, finds
   NEEDS_RESET or a device that reset itself. virtio_queue_wait is built on it. */
VIRTIO_API int virtio_dev_spin(virtio_dev *dev, uint32_t iteration);

/* Resets the device (status 0, bounded wait) and forgets the negotiated features. Every queue
   of the device must be initialized again, as must the device. */
VIRTIO_API int virtio_dev_reset(virtio_dev *dev);

/* Converts between CPU order and the device's order for fields of device-specific structures
   in shared memory (request headers and the like): little-endian on modern devices, the
   guest's own order on legacy ones. Each is its own inverse; on little-endian CPUs a no-op. */
VIRTIO_API uint16_t virtio_dev_order16(const virtio_dev *dev, uint16_t v);
VIRTIO_API uint32_t virtio_dev_order32(const virtio_dev *dev, uint32_t v);
VIRTIO_API uint64_t virtio_dev_order64(const virtio_dev *dev, uint64_t v);

/* ---- Device configuration space: virtio 1.4 "Device Configuration Space" ----------------------- */
/* Single-field reads at byte offset `off` of the device-specific configuration. Modern devices
   are little-endian, legacy ones guest-endian; the value comes back in CPU order either way.
   A 64-bit read is two 32-bit reads checked against the configuration generation. */
VIRTIO_API uint8_t virtio_config_read8(virtio_dev *dev, uint32_t off);
VIRTIO_API uint16_t virtio_config_read16(virtio_dev *dev, uint32_t off);
VIRTIO_API uint32_t virtio_config_read32(virtio_dev *dev, uint32_t off);
VIRTIO_API uint64_t virtio_config_read64(virtio_dev *dev, uint32_t off);
VIRTIO_API void virtio_config_write8(virtio_dev *dev, uint32_t off, uint8_t value);
VIRTIO_API void virtio_config_write16(virtio_dev *dev, uint32_t off, uint16_t value);
VIRTIO_API void virtio_config_write32(virtio_dev *dev, uint32_t off, uint32_t value);

/* A consistent snapshot of several fields: calls read(dev, ctx) until the configuration
   generation reads the same before and after it (legacy devices have no generation: once).
   Gives up after VIRTIO_CONFIG_RETRIES tries with VIRTIO_EDEVICE (latched). Returns the first
   nonzero result of `read`, else 0. */
#ifndef VIRTIO_CONFIG_RETRIES
#define VIRTIO_CONFIG_RETRIES 16
#endif
typedef int (*virtio_config_reader)(virtio_dev *dev, void *ctx);
VIRTIO_API int virtio_config_atomic(virtio_dev *dev, virtio_config_reader read, void *ctx);

/* ---- Split virtqueue: virtio 1.4 "Virtqueues / Split Virtqueues" ----------------------------- */
/* Shared-memory layouts, spec names (struct virtq_desc, virtq_avail, virtq_used_elem, virtq_used).
   Shown for documentation and layout checks; the driver touches them only through the queue. */
typedef struct virtio_virtq_desc {
    uint64_t addr;  /* le64: device address of the buffer */
    uint32_t len;   /* le32: its length in bytes */
    uint16_t flags; /* le16: VIRTQ_DESC_F_* */
    uint16_t next;  /* le16: next descriptor of the chain when flags has NEXT */
} virtio_virtq_desc;
typedef struct virtio_virtq_used_elem {
    uint32_t id;  /* le32: head of the chain the device used */
    uint32_t len; /* le32: bytes the device wrote into the chain's writable part */
} virtio_virtq_used_elem;

/* One segment of a chain. The device reads readable segments and writes writable ones. */
typedef struct virtio_seg {
    const void *addr;
    uint32_t len;
} virtio_seg;

/* Driver-private record of one descriptor (never seen by the device). */
typedef struct virtio_queue_shadow {
    void *cookie;   /* the caller's cookie, on heads */
    uint32_t wlen;  /* writable bytes of the chain, on heads */
    uint16_t next;  /* next free descriptor, or next of the chain */
    uint16_t count; /* descriptors in the chain (0 = not an outstanding head) */
} virtio_queue_shadow;

typedef struct virtio_queue {
    virtio_dev *dev;
    volatile virtio_virtq_desc *desc;          /* descriptor table */
    volatile uint16_t *avail;                  /* flags, idx, ring[size], used_event */
    volatile uint16_t *used;                   /* flags, idx, then the elements, avail_event */
    volatile virtio_virtq_used_elem *used_ring;
    virtio_queue_shadow *shadow;               /* size entries, driver-private */
    uint16_t index;                            /* queue number */
    uint16_t size;                             /* entries, a power of two */
    uint16_t num_free;                         /* free descriptors */
    uint16_t free_head;                        /* first free descriptor */
    uint16_t avail_idx;                        /* next avail.idx to publish (shadow) */
    uint16_t avail_pub;                        /* avail.idx the device has seen */
    uint16_t last_used;                        /* next used.idx we will consume */
    uint16_t event_idx;                        /* VIRTIO_F_EVENT_IDX negotiated */
    uint16_t ignore_len;                       /* caller may set after init: see poll */
    int error;                                 /* latched fault (0 = healthy) */
} virtio_queue;

/* Bytes of queue memory for a queue of `size` entries on transport `version` (1 or 2),
   rings and shadow together; 0 if size is not a power of two in 1..32768. */
VIRTIO_API size_t virtio_queue_mem_size(uint32_t size, uint32_t version);
/* Required alignment of that memory: 4096 for legacy, 16 for modern. */
VIRTIO_API size_t virtio_queue_mem_align(uint32_t version);
/* Compile-time bound of virtio_queue_mem_size(size, either version), size a power of two. */
#define VIRTIO_QUEUE_MEM(size)                                                                     \
    ((((size_t)(size)*16u + 6u + 2u * (size_t)(size) + 4095u) & ~(size_t)4095u) +                  \
     (((size_t)(size)*8u + 6u + 4095u) & ~(size_t)4095u) + (size_t)(size) * sizeof(virtio_queue_shadow))

/* Sets up queue `index` in `mem`: `size` is the wanted number of entries (a power of two),
   clamped down to the device's QueueSizeMax (rounded down to a power of two). Call between
   virtio_dev_negotiate and virtio_dev_ready. Refuses memory that is NULL, misaligned or smaller
   than virtio_queue_mem_size(size, version) with VIRTIO_EINVAL, and a queue the device lacks
   (QueueSizeMax 0) or already has live with VIRTIO_ENOQUEUE. */
VIRTIO_API int virtio_queue_init(virtio_queue *q, virtio_dev *dev, uint16_t index, void *mem,
                                 size_t mem_size, uint32_t size);

/* Adds a chain of n_out readable then n_in writable segments, remembered under `cookie` (any
   non-NULL value), to the available ring. The device does not see it until virtio_queue_kick.
   VIRTIO_ENOSPC if fewer than n_out + n_in descriptors are free; VIRTIO_EINVAL for a NULL or
   zero-length segment, an empty chain or a NULL cookie. */
VIRTIO_API int virtio_queue_add(virtio_queue *q, const virtio_seg *segs, unsigned n_out,
                                unsigned n_in, void *cookie);

/* Publishes every added chain and notifies the device if it asked for notifications
   (VIRTQ_USED_F_NO_NOTIFY, or the event index with VIRTIO_F_EVENT_IDX). */
VIRTIO_API int virtio_queue_kick(virtio_queue *q);

/* Takes one used buffer if there is one: its cookie and the bytes the device wrote.
   VIRTIO_EAGAIN if none yet; VIRTIO_EDEVICE (latched) if the device returned an id that is out of
   range or not outstanding, a length above what was posted writable, or moved used.idx past
   what is outstanding. cookie and len may be NULL. A driver that does not use the length
   (legacy transmit queues, where "the driver SHOULD ignore the len value") sets
   q->ignore_len = 1 after init: a length above what was posted is then clamped, not a fault. */
VIRTIO_API int virtio_queue_poll(virtio_queue *q, void **cookie, uint32_t *len);

/* virtio_queue_poll, waiting up to the device's spin limit (and relax hook) for a used buffer:
   VIRTIO_ETIMEDOUT if none came. While waiting it checks the device status now and then, so a
   device that sets NEEDS_RESET ends the wait with VIRTIO_ENEEDS_RESET. */
VIRTIO_API int virtio_queue_wait(virtio_queue *q, void **cookie, uint32_t *len);

/* Descriptors free / chains outstanding (added and not yet used). */
VIRTIO_API uint32_t virtio_queue_free(const virtio_queue *q);
VIRTIO_API uint32_t virtio_queue_outstanding(const virtio_queue *q);

/* ---- Misc ------------------------------------------------------------------------------------- */
VIRTIO_API const char *virtio_result_str(int result);
/* Zeroes n bytes (VIRTIO_MEMSET; by default a loop that never turns into a memset call). */
VIRTIO_API void virtio_zero(void *p, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* VIRTIO_H */

/* ============================================================================================== */
/*                                        IMPLEMENTATION                                          */
/* ============================================================================================== */
#if defined(VIRTIO_IMPLEMENTATION) && !defined(VIRTIO__IMPL_DONE)
#define VIRTIO__IMPL_DONE

#ifndef VIRTIO_SPIN_LIMIT
#define VIRTIO_SPIN_LIMIT 200000000u
#endif

/* How often (in poll iterations) a wait reads the status register to notice NEEDS_RESET.
   A power of two minus one. Costs one register read per this many idle iterations. */
#ifndef VIRTIO_STATUS_CHECK_MASK
#define VIRTIO_STATUS_CHECK_MASK 0xffffu
#endif

/* Barriers for the shared rings (normal cacheable memory shared with the device).
   MB orders everything before everything; RMB orders earlier loads before later loads and
   stores; WMB orders earlier loads and stores before later stores. */
#ifndef VIRTIO_MB
#if defined(__GNUC__) || defined(__clang__)
#define VIRTIO_MB() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define VIRTIO_RMB() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define VIRTIO_WMB() __atomic_thread_fence(__ATOMIC_RELEASE)
#else
#error "virtio.h: define VIRTIO_MB, VIRTIO_RMB and VIRTIO_WMB for this compiler"
#endif
#endif

/* Barriers around plain MMIO accesses (used by virtio_mmio_regs only). A register write must
   come after the ring writes it announces, and a register read before later memory reads:
   on RISC-V and Arm that takes an I/O fence; x86 keeps uncached accesses in order. */
#ifndef VIRTIO_MMIO_BEFORE_WRITE
#if defined(__riscv)
#define VIRTIO_MMIO_BEFORE_WRITE() __asm__ __volatile__("fence w,o" ::: "memory")
#define VIRTIO_MMIO_AFTER_READ() __asm__ __volatile__("fence i,r" ::: "memory")
#elif defined(__aarch64__)
#define VIRTIO_MMIO_BEFORE_WRITE() __asm__ __volatile__("dmb oshst" ::: "memory")
#define VIRTIO_MMIO_AFTER_READ() __asm__ __volatile__("dmb oshld" ::: "memory")
#elif defined(__x86_64__) || defined(__i386__)
#define VIRTIO_MMIO_BEFORE_WRITE() __asm__ __volatile__("" ::: "memory")
#define VIRTIO_MMIO_AFTER_READ() __asm__ __volatile__("" ::: "memory")
#else
#define VIRTIO_MMIO_BEFORE_WRITE() VIRTIO_MB()
#define VIRTIO_MMIO_AFTER_READ() VIRTIO_MB()
#endif
#endif

#ifndef VIRTIO_MEMSET
#define VIRTIO_MEMSET(p, c, n) virtio__memset((p), (c), (n))
#endif

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define VIRTIO__BIG_ENDIAN 1
#else
#define VIRTIO__BIG_ENDIAN 0
#endif

#ifdef VIRTIO_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define VIRTIO__DEF static __attribute__((unused)) /* a program may use only part of the API */
#else
#define VIRTIO__DEF static
#endif
#else
#define VIRTIO__DEF
#endif

#define VIRTIO__LEGACY(dev) ((dev)->version == 1u)
#define VIRTIO__RETURN_IF_BROKEN(q)                                                                \
    do {                                                                                           \
        if ((q)->error) return (q)->error;                                                         \
        if ((q)->dev->error) return (q)->dev->error;                                               \
    } while (0)

static void virtio__memset(void *p, int c, size_t n) {
    volatile unsigned char *b = (volatile unsigned char *)p; /* volatile: never becomes memset() */
    while (n--) *b++ = (unsigned char)c;
}

static uint16_t virtio__bswap16(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }
static uint32_t virtio__bswap32(uint32_t v) {
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

/* Ring fields are little-endian on modern devices and in the guest's order on legacy ones
   (virtio 1.4 "Legacy Interface: A Note on Endianness"): swap only on a big-endian CPU talking
   to a modern device. On little-endian CPUs these compile to nothing. */
#if VIRTIO__BIG_ENDIAN
#define VIRTIO__R16(q, v) ((q)->dev->version == 1u ? (uint16_t)(v) : virtio__bswap16((uint16_t)(v)))
#define VIRTIO__R32(q, v) ((q)->dev->version == 1u ? (uint32_t)(v) : virtio__bswap32((uint32_t)(v)))
#define VIRTIO__R64(q, v)                                                                          \
    ((q)->dev->version == 1u ? (uint64_t)(v)                                                       \
                            : ((uint64_t)virtio__bswap32((uint32_t)(v)) << 32 |                   \
                               virtio__bswap32((uint32_t)((uint64_t)(v) >> 32))))
#else
#define VIRTIO__R16(q, v) ((uint16_t)(v))
#define VIRTIO__R32(q, v) ((uint32_t)(v))
#define VIRTIO__R64(q, v) ((uint64_t)(v))
#endif

/* ---- Plain memory-mapped accessor ------------------------------------------------------------ */
/* virtio-mmio registers are little-endian: swap on big-endian CPUs. */
static uint8_t virtio__mmio_read8(void *user, unsigned region, uint32_t off) {
    uint8_t v = *(volatile uint8_t *)((char *)user + off);
    (void)region;
    VIRTIO_MMIO_AFTER_READ();
    return v;
}
static uint16_t virtio__mmio_read16(void *user, unsigned region, uint32_t off) {
    uint16_t v = *(volatile uint16_t *)(void *)((char *)user + off);
    (void)region;
    VIRTIO_MMIO_AFTER_READ();
    return VIRTIO__BIG_ENDIAN ? virtio__bswap16(v) : v;
}
static uint32_t virtio__mmio_read32(void *user, unsigned region, uint32_t off) {
    uint32_t v = *(volatile uint32_t *)(void *)((char *)user + off);
    (void)region;
    VIRTIO_MMIO_AFTER_READ();
    return VIRTIO__BIG_ENDIAN ? virtio__bswap32(v) : v;
}
static void virtio__mmio_write8(void *user, unsigned region, uint32_t off, uint8_t v) {
    (void)region;
    VIRTIO_MMIO_BEFORE_WRITE();
    *(volatile uint8_t *)((char *)user + off) = v;
}
static void virtio__mmio_write16(void *user, unsigned region, uint32_t off, uint16_t v) {
    (void)region;
    VIRTIO_MMIO_BEFORE_WRITE();
    *(volatile uint16_t *)(void *)((char *)user + off) = VIRTIO__BIG_ENDIAN ? virtio__bswap16(v) : v;
}
static void virtio__mmio_write32(void *user, unsigned region, uint32_t off, uint32_t v) {
    (void)region;
    VIRTIO_MMIO_BEFORE_WRITE();
    *(volatile uint32_t *)(void *)((char *)user + off) = VIRTIO__BIG_ENDIAN ? virtio__bswap32(v) : v;
}

VIRTIO__DEF virtio_regs virtio_mmio_regs(void *base) {
    virtio_regs r;
    r.read8 = virtio__mmio_read8;
    r.read16 = virtio__mmio_read16;
    r.read32 = virtio__mmio_read32;
    r.write8 = virtio__mmio_write8;
    r.write16 = virtio__mmio_write16;
    r.write32 = virtio__mmio_write32;
    r.dma = 0;
    r.relax = 0;
    r.user = base;
    return r;
}

/* ---- Transport: virtio-mmio ----------------------------------------------------------------- */
/* Everything that depends on the transport is in this section, behind these few functions, so
   another transport (PCI) adds cases here and nothing else changes. */

static uint32_t virtio__rd32(virtio_dev *dev, uint32_t off) {
    return dev->regs.read32(dev->regs.user, VIRTIO_REGION_MMIO, off);
}
static void virtio__wr32(virtio_dev *dev, uint32_t off, uint32_t v) {
    dev->regs.write32(dev->regs.user, VIRTIO_REGION_MMIO, off, v);
}
static uint64_t virtio__dma(const virtio_dev *dev, const void *p) {
    return dev->regs.dma ? dev->regs.dma(dev->regs.user, p) : (uint64_t)(uintptr_t)p;
}
static void virtio__set_status(virtio_dev *dev, uint32_t status) {
    dev->status = status;
    virtio__wr32(dev, VIRTIO_MMIO_STATUS, status);
}
static uint32_t virtio__get_status(virtio_dev *dev) { return virtio__rd32(dev, VIRTIO_MMIO_STATUS) & 0xffu; }
static uint32_t virtio__config_gen(virtio_dev *dev) {
    return VIRTIO__LEGACY(dev) ? 0u : virtio__rd32(dev, VIRTIO_MMIO_CONFIG_GENERATION);
}

/* Polls until the device status reads 0 after a reset: virtio 1.4 "Device Reset". */
static int virtio__wait_reset(virtio_dev *dev) {
    uint32_t i, limit = dev->spin_limit ? dev->spin_limit : VIRTIO_SPIN_LIMIT;
    for (i = 0; i < limit; i++) {
        if (virtio__get_status(dev) == 0) return VIRTIO_OK;
        if (dev->regs.relax && dev->regs.relax(dev->regs.user, i)) break;
    }
    return VIRTIO_ETIMEDOUT;
}

/* Legacy (version 1) queue registers: virtio 1.4 "MMIO / Legacy interface". The three rings sit
   in one block whose page number goes to QueuePFN; the used ring starts at the next QueueAlign
   boundary after the available ring. */
static int virtio__mmio_queue_live(virtio_dev *dev) {
#ifndef VIRTIO_NO_LEGACY
    if (VIRTIO__LEGACY(dev)) return virtio__rd32(dev, VIRTIO_MMIO_QUEUE_PFN) != 0;
#endif
    return virtio__rd32(dev, VIRTIO_MMIO_QUEUE_READY) != 0;
}

static int virtio__mmio_queue_enable(virtio_dev *dev, uint32_t size, uint64_t desc, uint64_t driver,
                                     uint64_t device) {
    virtio__wr32(dev, VIRTIO_MMIO_QUEUE_SIZE, size);
#ifndef VIRTIO_NO_LEGACY
    if (VIRTIO__LEGACY(dev)) {
        (void)driver;
        (void)device;
        virtio__wr32(dev, VIRTIO_MMIO_GUEST_PAGE_SIZE, VIRTIO_MMIO_LEGACY_PAGE_SIZE);
        virtio__wr32(dev, VIRTIO_MMIO_QUEUE_ALIGN, VIRTIO_MMIO_LEGACY_PAGE_SIZE);
        virtio__wr32(dev, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(desc / VIRTIO_MMIO_LEGACY_PAGE_SIZE));
        return VIRTIO_OK;
    }
#endif
    virtio__wr32(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    virtio__wr32(dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    virtio__wr32(dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)driver);
    virtio__wr32(dev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(driver >> 32));
    virtio__wr32(dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)device);
    virtio__wr32(dev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(device >> 32));
    virtio__wr32(dev, VIRTIO_MMIO_QUEUE_READY, 1);
    return VIRTIO_OK;
}

static uint32_t virtio__config_off(uint32_t off) { return VIRTIO_MMIO_CONFIG + off; }

/* ---- Scan ------------------------------------------------------------------------------------ */
VIRTIO__DEF int virtio_mmio_scan(const virtio_regs *regs, void *base, size_t stride, unsigned count,
                                 virtio_mmio_slot *out, unsigned max) {
    uint32_t (*rd)(void *, unsigned, uint32_t);
    unsigned i, found = 0;
    if (!base || (max && !out) || (regs && !regs->read32)) return VIRTIO_EINVAL;
    rd = regs ? regs->read32 : virtio__mmio_read32;
    for (i = 0; i < count; i++) {
        void *slot = (char *)base + (size_t)i * stride;
        uint32_t id;
        if (rd(slot, VIRTIO_REGION_MMIO, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC) continue;
        id = rd(slot, VIRTIO_REGION_MMIO, VIRTIO_MMIO_DEVICE_ID);
        if (id == 0) continue; /* an empty slot: virtio 1.4 "MMIO Device Register Layout" */
        if (found < max) {
            out[found].base = slot;
            out[found].index = i;
            out[found].version = rd(slot, VIRTIO_REGION_MMIO, VIRTIO_MMIO_VERSION);
            out[found].device_id = id;
            out[found].vendor_id = rd(slot, VIRTIO_REGION_MMIO, VIRTIO_MMIO_VENDOR_ID);
        }
        found++;
    }
    return (int)found;
}

/* ---- Device initialization: virtio 1.4 "Device Initialization" -------------------------------- */
VIRTIO__DEF int virtio_dev_attach(virtio_dev *dev, const virtio_regs *regs, uint32_t expected_id) {
    uint32_t version, id;
    if (!dev || !regs || !regs->read8 || !regs->read16 || !regs->read32 || !regs->write8 ||
        !regs->write16 || !regs->write32)
        return VIRTIO_EINVAL;

    /* Probe: "The driver MUST ignore a device with MagicValue which is not 0x74726976 ... with
       Version which is not 0x2 [or 0x1 for a legacy driver] ... with DeviceID 0x0". */
    if (regs->read32(regs->user, VIRTIO_REGION_MMIO, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
        return VIRTIO_ENODEV;
    version = regs->read32(regs->user, VIRTIO_REGION_MMIO, VIRTIO_MMIO_VERSION);
#ifdef VIRTIO_NO_LEGACY
    if (version != 2) return VIRTIO_EVERSION;
#else
    if (version != 1 && version != 2) return VIRTIO_EVERSION;
#endif
    id = regs->read32(regs->user, VIRTIO_REGION_MMIO, VIRTIO_MMIO_DEVICE_ID);
    if (id == 0 || (expected_id && id != expected_id)) return VIRTIO_ENODEV;

    /* Field by field: a struct copy would call memcpy, which a freestanding build lacks. */
    dev->regs.read8 = regs->read8;
    dev->regs.read16 = regs->read16;
    dev->regs.read32 = regs->read32;
    dev->regs.write8 = regs->write8;
    dev->regs.write16 = regs->write16;
    dev->regs.write32 = regs->write32;
    dev->regs.dma = regs->dma;
    dev->regs.relax = regs->relax;
    dev->regs.user = regs->user;
    dev->transport = VIRTIO_TRANSPORT_MMIO;
    dev->version = version;
    dev->device_id = id;
    dev->spin_limit = VIRTIO_SPIN_LIMIT;
    dev->offered = 0;
    dev->features = 0;
    dev->error = 0;
    dev->status = 0;
    dev->negotiated = 0;
    return VIRTIO_OK;
}

VIRTIO__DEF int virtio_dev_init(virtio_dev *dev, const virtio_regs *regs, uint32_t expected_id) {
    int r = virtio_dev_attach(dev, regs, expected_id);
    if (r) return r;

    /* 1. Reset the device, and wait for it to finish: status reads back 0. */
    virtio__set_status(dev, 0);
    r = virtio__wait_reset(dev);
    if (r) {
        dev->error = r;
        return r;
    }
    /* 2. ACKNOWLEDGE: we have noticed the device. 3. DRIVER: we know how to drive it. */
    virtio__set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE);
    virtio__set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    return VIRTIO_OK;
}

VIRTIO__DEF int virtio_dev_fail(virtio_dev *dev, int error) {
    if (!dev) return VIRTIO_EINVAL;
    if (error >= 0) error = VIRTIO_EDEVICE;
    /* "If any of these steps go irrecoverably wrong, the driver SHOULD set the FAILED status
       bit to indicate that it has given up on the device". */
    if (dev->regs.write32) virtio__set_status(dev, dev->status | VIRTIO_STATUS_FAILED);
    if (!dev->error) dev->error = error;
    return dev->error;
}

VIRTIO__DEF int virtio_dev_read_offer(virtio_dev *dev, uint64_t *offered) {
    uint64_t v;
    if (!dev || !offered) return VIRTIO_EINVAL;
    if (!dev->regs.read32) return VIRTIO_ESTATE;
    /* Two 32-bit words on modern devices, one on legacy (virtio-mmio DeviceFeaturesSel). */
    virtio__wr32(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    v = virtio__rd32(dev, VIRTIO_MMIO_DEVICE_FEATURES);
    if (!VIRTIO__LEGACY(dev)) {
        virtio__wr32(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
        v |= (uint64_t)virtio__rd32(dev, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    }
    dev->offered = v;
    *offered = v;
    return VIRTIO_OK;
}

VIRTIO__DEF int virtio_dev_negotiate(virtio_dev *dev, uint64_t wanted, uint64_t required) {
    uint64_t offered, accept;
    if (!dev) return VIRTIO_EINVAL;
    if (dev->error) return dev->error;
    if (dev->status != (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)) return VIRTIO_ESTATE;

    /* 4. Read the device feature bits. */
    virtio_dev_read_offer(dev, &offered);

    /* Take only what the driver implements and the device offers. VERSION_1 is what makes a
       modern device modern: always take it, and refuse a modern device that lacks it ("the
       driver MUST ignore a device with Version 0x2 that does not offer VIRTIO_F_VERSION_1" is
       how we read "Legacy Interface: Device Initialization"). Bit 30 is never taken. */
    accept = (wanted | required) & offered & ~VIRTIO_BIT(VIRTIO_F_UNUSED);
    if (offered & VIRTIO_BIT(VIRTIO_F_VERSION_1)) accept |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
    if (!VIRTIO__LEGACY(dev) && !(offered & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
        return virtio_dev_fail(dev, VIRTIO_EFEATURES);
    if ((required & ~accept) != 0) return virtio_dev_fail(dev, VIRTIO_EFEATURES);

    /* 5. Write the subset we understand. */
    virtio__wr32(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    virtio__wr32(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accept);
    if (!VIRTIO__LEGACY(dev)) {
        virtio__wr32(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
        virtio__wr32(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
        /* 6. FEATURES_OK; 7. read it back: "if it is not set, the device does not support our
           subset of features and the device is unusable". Legacy devices skip both steps. */
        virtio__set_status(dev, dev->status | VIRTIO_STATUS_FEATURES_OK);
        if (!(virtio__get_status(dev) & VIRTIO_STATUS_FEATURES_OK))
            return virtio_dev_fail(dev, VIRTIO_EFEATURES);
    }
    dev->features = accept;
    dev->negotiated = 1;
    return VIRTIO_OK;
}

VIRTIO__DEF int virtio_dev_has(const virtio_dev *dev, unsigned bit) {
    /* Two 32-bit halves: a variable 64-bit shift is a libgcc call on 32-bit targets. */
    if (!dev || bit >= 64) return 0;
    return (int)(bit < 32 ? ((uint32_t)dev->features >> bit) & 1u
                          : ((uint32_t)(dev->features >> 32) >> (bit - 32)) & 1u);
}

VIRTIO__DEF int virtio_dev_check(virtio_dev *dev) {
    uint32_t s;
    if (!dev) return VIRTIO_EINVAL;
    if (!dev->regs.read32) return VIRTIO_ESTATE;
    if (dev->error) return dev->error;
    s = virtio__get_status(dev);
    /* "The device SHOULD set DEVICE_NEEDS_RESET when it enters an error state that a reset
       is needed" (virtio 1.4 "Device Status Field"). A device whose status lost bits we set
       has reset itself behind our back: just as broken. */
    if (s & VIRTIO_STATUS_NEEDS_RESET) dev->error = VIRTIO_ENEEDS_RESET;
    else if ((s & dev->status) != dev->status || (s & VIRTIO_STATUS_FAILED)) dev->error = VIRTIO_EDEVICE;
    return dev->error;
}

VIRTIO__DEF int virtio_dev_ready(virtio_dev *dev) {
    uint32_t need = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    if (!dev) return VIRTIO_EINVAL;
    if (dev->error) return dev->error;
    if (!VIRTIO__LEGACY(dev)) need |= VIRTIO_STATUS_FEATURES_OK;
    if (dev->status != need || !dev->negotiated) return VIRTIO_ESTATE;
    /* 8. DRIVER_OK: "At this point the device is live". Queues are set up by now. */
    virtio__set_status(dev, dev->status | VIRTIO_STATUS_DRIVER_OK);
    return virtio_dev_check(dev);
}

VIRTIO__DEF int virtio_dev_spin(virtio_dev *dev, uint32_t iteration) {
    uint32_t limit;
    int r;
    if (!dev) return VIRTIO_EINVAL;
    limit = dev->spin_limit ? dev->spin_limit : VIRTIO_SPIN_LIMIT;
    if (iteration >= limit || (dev->regs.relax && dev->regs.relax(dev->regs.user, iteration))) {
        /* One last look at the status, so a device that asked for a reset says so. */
        r = virtio_dev_check(dev);
        return r ? r : VIRTIO_ETIMEDOUT;
    }
    if ((iteration & VIRTIO_STATUS_CHECK_MASK) == VIRTIO_STATUS_CHECK_MASK) return virtio_dev_check(dev);
    return VIRTIO_OK;
}

VIRTIO__DEF int virtio_dev_reset(virtio_dev *dev) {
    int r;
    if (!dev) return VIRTIO_EINVAL;
    if (!dev->regs.write32) return VIRTIO_ESTATE;
    virtio__set_status(dev, 0);
    dev->features = 0;
    dev->negotiated = 0;
    dev->error = 0;
    r = virtio__wait_reset(dev);
    if (r) dev->error = r;
    return r;
}

VIRTIO__DEF uint16_t virtio_dev_order16(const virtio_dev *dev, uint16_t v) {
    return (VIRTIO__BIG_ENDIAN && !VIRTIO__LEGACY(dev)) ? virtio__bswap16(v) : v;
}
VIRTIO__DEF uint32_t virtio_dev_order32(const virtio_dev *dev, uint32_t v) {
    return (VIRTIO__BIG_ENDIAN && !VIRTIO__LEGACY(dev)) ? virtio__bswap32(v) : v;
}
VIRTIO__DEF uint64_t virtio_dev_order64(const virtio_dev *dev, uint64_t v) {
    if (!VIRTIO__BIG_ENDIAN || VIRTIO__LEGACY(dev)) return v;
    return (uint64_t)virtio__bswap32((uint32_t)v) << 32 | virtio__bswap32((uint32_t)(v >> 32));
}

/* ---- Configuration space: virtio 1.4 "Device Configuration Space" ------------------------------ */
/* The accessor returns little-endian registers in CPU order; legacy configuration is in guest
   order already, so a big-endian CPU swaps it back. */
VIRTIO__DEF uint8_t virtio_config_read8(virtio_dev *dev, uint32_t off) {
    return dev->regs.read8(dev->regs.user, VIRTIO_REGION_MMIO, virtio__config_off(off));
}
VIRTIO__DEF uint16_t virtio_config_read16(virtio_dev *dev, uint32_t off) {
    uint16_t v = dev->regs.read16(dev->regs.user, VIRTIO_REGION_MMIO, virtio__config_off(off));
    return (VIRTIO__BIG_ENDIAN && VIRTIO__LEGACY(dev)) ? virtio__bswap16(v) : v;
}
VIRTIO__DEF uint32_t virtio_config_read32(virtio_dev *dev, uint32_t off) {
    uint32_t v = dev->regs.read32(dev->regs.user, VIRTIO_REGION_MMIO, virtio__config_off(off));
    return (VIRTIO__BIG_ENDIAN && VIRTIO__LEGACY(dev)) ? virtio__bswap32(v) : v;
}
VIRTIO__DEF uint64_t virtio_config_read64(virtio_dev *dev, uint32_t off) {
    /* "the driver MUST use ... 32-bit wide and aligned accesses for 32-bit and 64-bit wide
       fields": two halves, retried while the generation moves under us. */
    uint32_t lo = 0, hi = 0, gen, tries;
    for (tries = 0; tries < VIRTIO_CONFIG_RETRIES; tries++) {
        gen = virtio__config_gen(dev);
        lo = virtio_config_read32(dev, off);
        hi = virtio_config_read32(dev, off + 4);
        if (virtio__config_gen(dev) == gen) break;
    }
    if (tries == VIRTIO_CONFIG_RETRIES && !dev->error) dev->error = VIRTIO_EDEVICE;
    if (VIRTIO__BIG_ENDIAN && VIRTIO__LEGACY(dev)) return (uint64_t)lo << 32 | hi;
    return (uint64_t)hi << 32 | lo;
}
VIRTIO__DEF void virtio_config_write8(virtio_dev *dev, uint32_t off, uint8_t value) {
    dev->regs.write8(dev->regs.user, VIRTIO_REGION_MMIO, virtio__config_off(off), value);
}
VIRTIO__DEF void virtio_config_write16(virtio_dev *dev, uint32_t off, uint16_t value) {
    if (VIRTIO__BIG_ENDIAN && VIRTIO__LEGACY(dev)) value = virtio__bswap16(value);
    dev->regs.write16(dev->regs.user, VIRTIO_REGION_MMIO, virtio__config_off(off), value);
}
VIRTIO__DEF void virtio_config_write32(virtio_dev *dev, uint32_t off, uint32_t value) {
    if (VIRTIO__BIG_ENDIAN && VIRTIO__LEGACY(dev)) value = virtio__bswap32(value);
    dev->regs.write32(dev->regs.user, VIRTIO_REGION_MMIO, virtio__config_off(off), value);
}

VIRTIO__DEF int virtio_config_atomic(virtio_dev *dev, virtio_config_reader read, void *ctx) {
    uint32_t tries, gen;
    int r;
    if (!dev || !read) return VIRTIO_EINVAL;
    if (!dev->regs.read32) return VIRTIO_ESTATE;
    if (dev->error) return dev->error;
    /* "Drivers MUST NOT assume reads from fields greater than 32 bits wide are atomic, nor are
       reads from multiple fields: drivers SHOULD read device configuration space fields like
       so: do { before = get_config_generation(); ... } while (after != before)". Bounded. */
    for (tries = 0; tries < VIRTIO_CONFIG_RETRIES; tries++) {
        gen = virtio__config_gen(dev);
        r = read(dev, ctx);
        if (r) return r;
        if (dev->error) return dev->error;
        if (virtio__config_gen(dev) == gen) return VIRTIO_OK;
    }
    dev->error = VIRTIO_EDEVICE;
    return dev->error;
}

/* ---- Split virtqueue: virtio 1.4 "Virtqueues / Split Virtqueues" ------------------------------- */
/* Layout of one queue block: descriptor table (16 bytes each, 16-aligned), available ring
   (flags, idx, ring[size], used_event), used ring (flags, idx, ring[size] of 8 bytes,
   avail_event; 4-aligned, or QueueAlign = 4096 on legacy), then the driver's shadow. */
static size_t virtio__align(size_t x, size_t a) { return (x + a - 1) & ~(a - 1); }

static int virtio__layout(uint32_t size, uint32_t version, size_t *used_off, size_t *shadow_off,
                          size_t *total) {
    size_t avail_end, used_end;
    if (size == 0 || size > VIRTIO_QUEUE_SIZE_MAX || (size & (size - 1)) != 0) return 0;
    if (version != 1 && version != 2) return 0;
    avail_end = 16u * (size_t)size + 6u + 2u * (size_t)size;
    *used_off = virtio__align(avail_end, version == 1 ? VIRTIO_MMIO_LEGACY_PAGE_SIZE : 4u);
    used_end = *used_off + 6u + 8u * (size_t)size;
    /* Legacy: "MUST allocate the total number of bytes for the virtqueue" by the spec's formula,
       which pads the used ring to QueueAlign too; the shadow goes after that. */
    *shadow_off = virtio__align(used_end, version == 1 ? VIRTIO_MMIO_LEGACY_PAGE_SIZE : 16u);
    *total = *shadow_off + (size_t)size * sizeof(virtio_queue_shadow);
    return 1;
}

VIRTIO__DEF size_t virtio_queue_mem_size(uint32_t size, uint32_t version) {
    size_t used_off, shadow_off, total;
    return virtio__layout(size, version, &used_off, &shadow_off, &total) ? total : 0;
}

VIRTIO__DEF size_t virtio_queue_mem_align(uint32_t version) {
    return version == 1 ? VIRTIO_MMIO_LEGACY_PAGE_SIZE : 16u;
}

VIRTIO__DEF int virtio_queue_init(virtio_queue *q, virtio_dev *dev, uint16_t index, void *mem,
                                  size_t mem_size, uint32_t size) {
    size_t used_off, shadow_off, total, align;
    uint32_t max, n, i;
    uint64_t base;
    char *m = (char *)mem;
    if (!q || !dev || !mem) return VIRTIO_EINVAL;
    if (!dev->regs.read32 || !dev->version) return VIRTIO_ESTATE; /* dev never initialized */
    if (!virtio__layout(size, dev->version, &used_off, &shadow_off, &total)) return VIRTIO_EINVAL;
    align = virtio_queue_mem_align(dev->version);
    if (mem_size < total || ((uintptr_t)mem & (align - 1)) != 0) return VIRTIO_EINVAL;
    base = virtio__dma(dev, mem);
    if ((base & (align - 1)) != 0) return VIRTIO_EINVAL;
    if (VIRTIO__LEGACY(dev) && base / VIRTIO_MMIO_LEGACY_PAGE_SIZE > 0xffffffffu) return VIRTIO_EINVAL;
    if (dev->error) return dev->error;
    /* Queues are set up after FEATURES_OK and before DRIVER_OK ("Device Initialization" 7). */
    if (!dev->negotiated || (dev->status & VIRTIO_STATUS_DRIVER_OK) != 0) return VIRTIO_ESTATE;

    /* "Select the queue ... Check if the queue is not already in use ... Read maximum queue
       size (number of elements) from QueueSizeMax. If the returned value is zero (0x0) the
       queue is not available." (MMIO "Virtqueue Configuration") */
    virtio__wr32(dev, VIRTIO_MMIO_QUEUE_SEL, index);
    if (virtio__mmio_queue_live(dev)) return VIRTIO_ENOQUEUE;
    max = virtio__rd32(dev, VIRTIO_MMIO_QUEUE_SIZE_MAX);
    if (max == 0) return VIRTIO_ENOQUEUE;
    if (max > VIRTIO_QUEUE_SIZE_MAX) max = VIRTIO_QUEUE_SIZE_MAX;
    /* Split rings are a power of two long; shrink to what the device can take. The layout for
       a smaller queue fits in memory sized for a larger one. */
    n = size;
    while (n > max) n >>= 1;
    virtio__layout(n, dev->version, &used_off, &shadow_off, &total);

    /* Zero the rings: both indices start at 0, and nothing stale may look like a used entry. */
    VIRTIO_MEMSET(mem, 0, shadow_off);
    q->dev = dev;
    q->desc = (volatile virtio_virtq_desc *)(void *)m;
    q->avail = (volatile uint16_t *)(void *)(m + 16u * (size_t)n);
    q->used = (volatile uint16_t *)(void *)(m + used_off);
    q->used_ring = (volatile virtio_virtq_used_elem *)(void *)(m + used_off + 4u);
    q->shadow = (virtio_queue_shadow *)(void *)(m + shadow_off);
    q->index = index;
    q->size = (uint16_t)n;
    q->num_free = (uint16_t)n;
    q->free_head = 0;
    q->avail_idx = 0;
    q->avail_pub = 0;
    q->last_used = 0;
    q->event_idx = (uint16_t)virtio_dev_has(dev, VIRTIO_F_EVENT_IDX);
    q->ignore_len = 0;
    q->error = 0;
    for (i = 0; i < n; i++) {
        q->shadow[i].cookie = 0;
        q->shadow[i].wlen = 0;
        q->shadow[i].next = (uint16_t)(i + 1);
        q->shadow[i].count = 0;
    }
    /* We poll, so ask for no used-buffer notifications: the NO_INTERRUPT flag, or with the event
       index (where flags must stay 0) a used_event the device has always passed already. */
    if (q->event_idx) q->avail[2u + n] = VIRTIO__R16(q, 0xffffu);
    else q->avail[0] = VIRTIO__R16(q, VIRTQ_AVAIL_F_NO_INTERRUPT);

    return virtio__mmio_queue_enable(dev, n, base, base + 16u * (uint64_t)n, base + used_off);
}

VIRTIO__DEF int virtio_queue_add(virtio_queue *q, const virtio_seg *segs, unsigned n_out,
                                 unsigned n_in, void *cookie) {
    unsigned k, n;
    uint64_t wlen = 0;
    uint16_t head, i;
    if (!q || !segs || !cookie) return VIRTIO_EINVAL;
    if (!q->dev) return VIRTIO_ESTATE;
    n = n_out + n_in;
    if (n == 0 || n_out > q->size || n_in > q->size || n > q->size) return VIRTIO_EINVAL;
    for (k = 0; k < n; k++) {
        if (!segs[k].addr || segs[k].len == 0) return VIRTIO_EINVAL;
        if (k >= n_out) wlen += segs[k].len;
    }
    if (wlen > 0xffffffffu) return VIRTIO_EINVAL;
    VIRTIO__RETURN_IF_BROKEN(q);
    if (n > q->num_free) return VIRTIO_ENOSPC;

    /* Fill the descriptors from the free list. Links come from the shadow, never from the
       table the device can see. */
    head = i = q->free_head;
    for (k = 0; k < n; k++) {
        volatile virtio_virtq_desc *d = &q->desc[i];
        uint16_t flags = (uint16_t)(k >= n_out ? VIRTQ_DESC_F_WRITE : 0u);
        if (k + 1 < n) flags = (uint16_t)(flags | VIRTQ_DESC_F_NEXT);
        d->addr = VIRTIO__R64(q, virtio__dma(q->dev, segs[k].addr));
        d->len = VIRTIO__R32(q, segs[k].len);
        d->flags = VIRTIO__R16(q, flags);
        d->next = VIRTIO__R16(q, k + 1 < n ? q->shadow[i].next : 0u);
        i = q->shadow[i].next;
    }
    q->free_head = i;
    q->num_free = (uint16_t)(q->num_free - n);
    q->shadow[head].cookie = cookie;
    q->shadow[head].wlen = (uint32_t)wlen;
    q->shadow[head].count = (uint16_t)n;

    /* "The driver places the index of the head of the descriptor chain into the next ring
       entry of the available ring." It becomes visible with avail.idx in virtio_queue_kick. */
    q->avail[2u + (q->avail_idx & (q->size - 1u))] = VIRTIO__R16(q, head);
    q->avail_idx++;
    return VIRTIO_OK;
}

VIRTIO__DEF int virtio_queue_kick(virtio_queue *q) {
    uint16_t old, now;
    int notify;
    if (!q) return VIRTIO_EINVAL;
    if (!q->dev) return VIRTIO_ESTATE;
    VIRTIO__RETURN_IF_BROKEN(q);
    /* "The driver MUST NOT send any buffer available notifications to the device before
       setting DRIVER_OK." */
    if (!(q->dev->status & VIRTIO_STATUS_DRIVER_OK)) return VIRTIO_ESTATE;
    old = q->avail_pub;
    now = q->avail_idx;
    if (old == now) return VIRTIO_OK;

    /* Descriptors and ring entries before avail.idx: "The driver MUST perform a suitable memory
       barrier before the idx update, to ensure the device sees the most up-to-date copy". */
    VIRTIO_WMB();
    q->avail[1] = VIRTIO__R16(q, now);
    q->avail_pub = now;

    /* avail.idx before reading used.flags / avail_event: "The driver MUST perform a suitable
       memory barrier before reading flags or avail_event, to avoid missing a notification."
       Without it the read could see the device's old "don't notify" while the device still
       misses our new idx, and both would wait for each other. */
    VIRTIO_MB();
    if (q->event_idx) {
        /* Notify if avail_event lies in [old, now): the wrap-safe test of virtio 1.4
           "Virtqueue Notification Suppression". */
        uint16_t ev = VIRTIO__R16(q, q->used[2u + 4u * (uint32_t)q->size]);
        notify = (uint16_t)(now - ev - 1u) < (uint16_t)(now - old);
    } else {
        notify = !(VIRTIO__R16(q, q->used[0]) & VIRTQ_USED_F_NO_NOTIFY);
    }
    /* The accessor orders this write after the ring writes (see its contract). */
    if (notify) virtio__wr32(q->dev, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
    return VIRTIO_OK;
}

static int virtio__queue_fault(virtio_queue *q) {
    q->error = VIRTIO_EDEVICE;
    return q->error;
}

VIRTIO__DEF int virtio_queue_poll(virtio_queue *q, void **cookie, uint32_t *len) {
    uint16_t used_idx, id16, last, i, k;
    uint32_t id, ulen;
    virtio_queue_shadow *h;
    if (!q) return VIRTIO_EINVAL;
    if (!q->dev) return VIRTIO_ESTATE;
    VIRTIO__RETURN_IF_BROKEN(q);
    used_idx = VIRTIO__R16(q, q->used[1]);
    if (used_idx == q->last_used) return VIRTIO_EAGAIN;
    /* The device may have used at most what it was shown and we have not taken back. */
    if ((uint16_t)(used_idx - q->last_used) > (uint16_t)(q->avail_pub - q->last_used))
        return virtio__queue_fault(q);
    /* used.idx before the element it covers: without this the element could be read before
       the device's write of it became visible to us (virtio 1.4 "The Virtqueue Used Ring"). */
    VIRTIO_RMB();
    {
        volatile virtio_virtq_used_elem *e = &q->used_ring[q->last_used & (q->size - 1u)];
        id = VIRTIO__R32(q, e->id);
        ulen = VIRTIO__R32(q, e->len);
    }
    /* Untrusted: the id must be a head we posted and have not been given back, and the
       length no more than the writable bytes we posted with it. */
    if (id >= q->size) return virtio__queue_fault(q);
    id16 = (uint16_t)id;
    h = &q->shadow[id16];
    if (h->count == 0) return virtio__queue_fault(q);
    if (ulen > h->wlen) {
        if (!q->ignore_len) return virtio__queue_fault(q);
        ulen = h->wlen;
    }

    /* Give the chain back to the free list, walking our own links. */
    last = id16;
    for (k = 1; k < h->count; k++) last = q->shadow[last].next;
    i = q->free_head;
    q->shadow[last].next = i;
    q->free_head = id16;
    q->num_free = (uint16_t)(q->num_free + h->count);
    h->count = 0;
    if (cookie) *cookie = h->cookie;
    if (len) *len = ulen;
    q->last_used++;
    /* Keep used_event just behind what we consumed, so the device never needs to notify. */
    if (q->event_idx) q->avail[2u + q->size] = VIRTIO__R16(q, (uint16_t)(q->last_used - 1u));
    return VIRTIO_OK;
}

VIRTIO__DEF int virtio_queue_wait(virtio_queue *q, void **cookie, uint32_t *len) {
    uint32_t i;
    int r;
    if (!q) return VIRTIO_EINVAL;
    if (!q->dev) return VIRTIO_ESTATE;
    for (i = 0;; i++) {
        r = virtio_queue_poll(q, cookie, len);
        if (r != VIRTIO_EAGAIN) return r;
        r = virtio_dev_spin(q->dev, i);
        if (r) return r;
    }
}

VIRTIO__DEF uint32_t virtio_queue_free(const virtio_queue *q) { return q ? q->num_free : 0u; }

VIRTIO__DEF uint32_t virtio_queue_outstanding(const virtio_queue *q) {
    return q ? (uint16_t)(q->avail_idx - q->last_used) : 0u;
}

VIRTIO__DEF void virtio_zero(void *p, size_t n) {
    if (p) VIRTIO_MEMSET(p, 0, n);
}

/* ---- Result strings ----------------------------------------------------------------------------- */
VIRTIO__DEF const char *virtio_result_str(int result) {
#ifdef VIRTIO_NO_STRINGS
    (void)result;
    return "";
#else
    switch (result) {
#define VIRTIO__STR(name, value, text)                                                             \
    case value: return #name ": " text;
        VIRTIO_RESULTS(VIRTIO__STR)
#undef VIRTIO__STR
    default: return "unknown virtio result";
    }
#endif
}

#undef VIRTIO__DEF
#undef VIRTIO__LEGACY
#undef VIRTIO__RETURN_IF_BROKEN
#undef VIRTIO__R16
#undef VIRTIO__R32
#undef VIRTIO__R64
#endif /* VIRTIO_IMPLEMENTATION */

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
