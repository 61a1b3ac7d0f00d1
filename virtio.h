/* virtio.h - v0.2.0 - polled VirtIO core (transports, device initialization, virtqueues)
   MIT licensed, see the end of the file. Single file, no libc, no allocation.

   The core of virtio.h: the transport interface (virtio-mmio versions 1 and 2, and virtio-pci
   modern, transitional and legacy ship with it),
   the spec's device initialization and feature negotiation, configuration space, and the split
   and packed virtqueues (the core picks the format the device offers; device headers never
   see it), with indirect descriptor tables carved from the queue's memory. Device headers
   (virtio_blk.h, virtio_net.h, virtio_console.h, virtio_rng.h) use only its public API, and so
   can a driver of yours: virtio_rng.h is the short example.

QUICK START

       #define VIRTIO_IMPLEMENTATION        // in exactly one C file
       #include "virtio.h"
       #define VIRTIO_RNG_IMPLEMENTATION
       #include "virtio_rng.h"

       // Find the device: QEMU's riscv `virt` machine has 8 virtio-mmio slots, filled from the
       // top, so never assume a slot (or list them from the device tree the firmware passes:
       // virtio_fdt_find_mmio).
       virtio_mmio_slot slots[8];
       int i = 0, n = virtio_mmio_scan(NULL, (void *)0x10001000, 0x1000, 8, slots, 8);
       while (i < n && slots[i].device_id != VIRTIO_ID_RNG) i++;
       if (i >= n) return VIRTIO_ENODEV;                       // no entropy device
       virtio_regs regs = virtio_mmio_regs(slots[i].base);     // plain MMIO: no callback
       virtio_transport t;
       int r = virtio_mmio_transport(&t, &regs);               // read-only probe

       static uint8_t mem[VIRTIO_RNG_MEM(8)] __attribute__((aligned(4096)));
       virtio_rng_params p = {0};                              // zero fields: defaults
       virtio_rng rng;                                         // must not move after init
       if (r == 0) r = virtio_rng_init(&rng, &t, &p, mem, sizeof mem);
       if (r == 0) r = virtio_rng_read(&rng, seed, sizeof seed);
       if (r != 0) print(virtio_result_str(r));

DOES NOT
   allocate, take interrupts (no MSI-X: virtio-pci vectors are set to "no vector"), configure
   a PCI host bridge itself (virtio_pci_scan reads the buses of an ECAM window you name;
   virtio_pci_assign / _assign_all place BARs and bridge windows in windows you give), map a
   BAR (with VIRTIO_REGS_F_PCI_CFG_ACCESS it needs none: the PCI configuration access
   capability reaches the device), lock, or call any C library function (x86 port I/O
   goes through in/out hooks you give). It never waits without a bound: every wait ends with an
   error instead of hanging.

LAYERS
   platform  virtio_regs: register access (8/16/32 bits at an offset of a region), DMA address
             translation, a relax hook for waits. virtio_mmio_regs() is ready for plain MMIO;
             virtio_pci_regs() for a PCI function behind ECAM or x86 port I/O (0xCF8/0xCFC
             through caller-given in/out hooks, virtio_pci_portio; region
             VIRTIO_REGION_PCI_CONFIG is its configuration space, VIRTIO_REGION_PCI_BAR(n) its
             BARs).
   transport virtio_transport: status, features, configuration, queue setup, notification.
             virtio_mmio_transport() probes a virtio-mmio device into one, virtio_pci_transport()
             a virtio PCI function (modern capabilities, else the legacy BAR 0 header); a
             transport of your own fills in virtio_transport_ops. Nothing above this layer
             knows a register.
   discovery virtio_mmio_scan, virtio_fdt_find_mmio (virtio-mmio); virtio_fdt_find_pci (the
             PCIe host bridge of a device tree), virtio_pci_scan, virtio_pci_assign and
             virtio_pci_assign_all (virtio-pci behind ECAM and bridges, for machines where
             nothing assigned BARs).
   device    virtio_dev and virtio_queue: initialization, negotiation, configuration reads with
             the generation check, split and packed rings. Device headers are built on this
             layer only.

MEMORY
   The caller gives every byte. A virtio_transport, virtio_dev, virtio_queue or device object is
   a plain struct the caller owns; the dev and queue objects and every device object must not
   move after init (queues point at their device). A queue takes two pieces of memory:
     rings   virtio_queue_ring_size(t, size) bytes aligned to virtio_queue_ring_align(t)
             (4096 for a legacy transport, 16 for a modern one), reachable by the device (DMA);
             legacy devices also need them below 16 TiB (a 32-bit page frame number). The size
             fits either ring format (a packed ring is smaller than a split one) plus the
             indirect tables (VIRTIO_INDIRECT_TABLES * VIRTIO_INDIRECT_SEGS * 16 bytes, after
             the used ring; on legacy transports often inside its page padding);
     shadow  virtio_queue_shadow_size(size) bytes aligned to 8, the driver's private record of
             what it posted; the device never sees it. It may follow the rings in one block
             (virtio_queue_mem_size) or live anywhere else.
   VIRTIO_QUEUE_MEM(size) is a compile-time bound of rings + shadow that fits every transport.
   Device headers carve everything (rings, shadows, request headers, receive buffers) from one
   block the caller gives to virtio_X_init, sized by virtio_X_mem_size / VIRTIO_X_MEM.

BUFFER OWNERSHIP (virtio 1.4 "Device Cleanup")
   A buffer given to the device is the device's until the device has used it or has been
   reset. The library keeps that rule for you: a blocking call that fails while the device may
   still hold a buffer (a timeout, NEEDS_RESET, a device fault) resets the device before it
   returns, so the buffer is yours again and the device must be initialized again; if even the
   reset does not complete, the call returns VIRTIO_EBUSY: the device may still write those
   buffers, so leave them alone (or keep trying virtio_X_reset until it returns 0). A device
   init resets the device before it writes any byte of its memory.

CONFIGURATION (define before including; * = must be the same in every file)
   VIRTIO_STATIC          * make every function static (for one translation unit)
   VIRTIO_API             * decoration of public declarations (default: extern or static)
   VIRTIO_MB() / VIRTIO_RMB() / VIRTIO_WMB()
                          * memory barriers for shared rings (default: compiler builtins);
                            define all three or none
   VIRTIO_MMIO_BEFORE_WRITE() / VIRTIO_MMIO_AFTER_READ()
                          * I/O ordering around register accesses, used by virtio_mmio_regs and
                            public for accessors of your own (default: fence w,o / fence i,r on
                            RISC-V, dmb on Arm64, a compiler barrier on x86); both or none
   VIRTIO_SPIN_LIMIT        default bound of every wait, in poll iterations (default 200000000;
                            per accessor: virtio_regs.spin_limit)
   VIRTIO_RESET_SPIN        bound of the wait for a reset to complete, in status reads (default
                            10000, or spin_limit if that is smaller): a device that never
                            resets (Firecracker up to v1.16 cannot reset a device an earlier
                            boot stage activated) costs this many traps to the hypervisor,
                            not a whole spin_limit, before VIRTIO_EBUSY
   VIRTIO_POLL_CHECK_MASK   a non-blocking poll reads the status register every this + 1 empty
                            polls of a device (default 0x3ff), so NEEDS_RESET is noticed
                            without a wait too
   VIRTIO_STATUS_CHECK_MASK a wait reads the status register every this + 1 idle iterations to
                            notice NEEDS_RESET (default 0xffff; a power of two minus one)
   VIRTIO_CONFIG_RETRIES    tries of a configuration read whose generation moves (default 16)
   VIRTIO_MEMSET(p, c, n)   zeroing (default: a loop by aligned words, no libc symbol)
   VIRTIO_MEMCPY(d, s, n)   copying (default: a loop, by words when source and destination
                            are equally aligned; no libc symbol)
   VIRTIO_NO_LEGACY         leave out legacy (version 1) virtio-mmio; where it is defined, the
                            compile-time memory bounds (VIRTIO_QUEUE_MEM, VIRTIO_X_MEM) shrink to
                            the modern layout
   VIRTIO_NO_EVENT_IDX      never negotiate VIRTIO_F_EVENT_IDX
 * VIRTIO_NO_PACKED         never negotiate VIRTIO_F_RING_PACKED (leaves out the packed ring)
 * VIRTIO_INDIRECT_TABLES   indirect descriptor tables per queue (default 4, at most 32): one per
                            16 queue entries up to this many (queues under 16 have none); 0 (or
                            VIRTIO_NO_INDIRECT) never negotiates VIRTIO_F_INDIRECT_DESC and
                            takes no memory for them
 * VIRTIO_INDIRECT_SEGS     descriptors per indirect table (default 16): the longest chain that
                            can take one ring slot
   VIRTIO_INDIRECT_MIN      a chain of at least this many segments goes to an indirect table
                            when one is free (default 4); a shorter one only when the ring lacks
                            free descriptors for it
   VIRTIO_NO_STRINGS        virtio_result_str() returns "" (saves the strings)
   VIRTIO_NO_FDT            leave out virtio_fdt_find_mmio and virtio_fdt_find_pci, the device
                            tree readers (where the implementation is compiled)
   VIRTIO_NO_FAST_PATH      leave out the straight-line path of a three-segment chain (header,
                            data, status: a block request) that virtio_queue_add3 takes when it
                            can (and virtio_queue_add / virtio_queue_add_wait hand such chains
                            to it); every chain then takes the general loops (smaller, slower)
   VIRTIO_MMIO_ONLY         virtio-mmio is the only transport (where the implementation is
                            compiled): the core calls its functions by name, with no
                            virtio_transport_ops table, so a program links only the register
                            code it reaches. virtio_mmio_transport leaves t->ops NULL; a
                            transport of another kind (virtio-pci, one of your own) is refused
                            by virtio_dev_attach and every init with VIRTIO_ENOTSUP, nothing
                            touched. The accessor (virtio_regs) stays as it is. Not part of
                            VIRTIO_MINIMAL, which keeps every transport; both together are the
                            smallest block build (`make size-blk`)
 * VIRTIO_MINIMAL           all of VIRTIO_NO_LEGACY, _NO_STRINGS, _NO_PACKED, _NO_INDIRECT,
                            _NO_EVENT_IDX, _NO_FDT and _NO_FAST_PATH; in virtio_blk.h also
                            VIRTIO_BLK_MINIMAL and VIRTIO_BLK_NO_RESIZE_CHECK, and in the other
                            device headers VIRTIO_NET_MINIMAL, VIRTIO_CONSOLE_MINIMAL,
                            VIRTIO_GPU_MINIMAL and VIRTIO_INPUT_MINIMAL: the smallest build
                            that still reads and writes a disk, sends and receives frames,
                            and so on (`make size-blk`, `make size-devices`)

ERRORS
   Every function that can fail returns 0 or a negative virtio_result (virtio_result_str names
   each). A caller bug (null pointer, misaligned or too-small memory, bad size) returns
   VIRTIO_EINVAL and changes nothing, in the device or in memory. An object that was never
   initialized gives VIRTIO_ESTATE everywhere. A device fault (a used id that is not
   outstanding, an index jump, a nonsense config value, NEEDS_RESET) returns an error and
   latches the queue or device as broken: every later call fails with the same code until the
   device is initialized again. One device fault is not fatal: a used length above the
   writable bytes posted (kvmtool reports the bytes a request transferred, reads included) is
   clamped to them and counted (virtio_dev_clamped), never trusted.

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
   suppression, event index), "Packed Virtqueues" (descriptor ring, wrap counters, buffer ids,
   driver and device event suppression), indirect descriptors of both formats, "General
   Initialization And Device Operation" (initialization, device cleanup), "Virtio Transport
   Options / Virtio Over MMIO" (version 2 and its legacy interface), "Virtio Transport Options
   / Virtio Over PCI Bus" (PCI Device Discovery, the common, notification, ISR and device
   configuration structures, the PCI configuration access capability, Legacy Interfaces: A
   Note on PCI Device Layout; not MSI-X), "Reserved Feature Bits".
   Devicetree Specification v0.4, "Flattened Devicetree (DTB) Format" and "Standard Properties"
   (virtio_fdt_find_mmio, virtio_fdt_find_pci); for the host bridge, the "pci-host-ecam-generic"
   binding's reg, ranges and bus-range.
*/

#ifndef VIRTIO_H
#define VIRTIO_H

/* VIRTIO_MINIMAL: every part a bootloader can do without, left out at once (CONFIGURATION). */
#ifdef VIRTIO_MINIMAL
#ifndef VIRTIO_NO_LEGACY
#define VIRTIO_NO_LEGACY
#endif
#ifndef VIRTIO_NO_STRINGS
#define VIRTIO_NO_STRINGS
#endif
#ifndef VIRTIO_NO_PACKED
#define VIRTIO_NO_PACKED
#endif
#ifndef VIRTIO_NO_INDIRECT
#define VIRTIO_NO_INDIRECT
#endif
#ifndef VIRTIO_NO_EVENT_IDX
#define VIRTIO_NO_EVENT_IDX
#endif
#ifndef VIRTIO_NO_FDT
#define VIRTIO_NO_FDT
#endif
#ifndef VIRTIO_NO_FAST_PATH
#define VIRTIO_NO_FAST_PATH
#endif
#endif

#include <stddef.h>
#include <stdint.h>

#define VIRTIO_VERSION_MAJOR 0
#define VIRTIO_VERSION_MINOR 2
#define VIRTIO_VERSION_PATCH 0

/* ---- Linkage, shared by every header of the library -------------------------------------- */
#ifndef VIRTIO_API
#ifdef VIRTIO_STATIC
#define VIRTIO_API static
#else
#define VIRTIO_API extern
#endif
#endif
/* VIRTIO_DEF: how an implementation block (this one or a device header's) defines a public
   function. With VIRTIO_STATIC a program may use only part of the API: no unused warnings. */
#ifdef VIRTIO_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define VIRTIO_DEF static __attribute__((unused))
#else
#define VIRTIO_DEF static
#endif
#else
#define VIRTIO_DEF
#endif

/* ---- Barriers: defined here (not in the implementation) so custom accessors can use them -- */
/* Shared rings live in normal cacheable memory. MB orders everything before everything; RMB
   orders earlier loads before later loads and stores; WMB orders earlier loads and stores
   before later stores. */
#if defined(VIRTIO_MB) || defined(VIRTIO_RMB) || defined(VIRTIO_WMB)
#if !defined(VIRTIO_MB) || !defined(VIRTIO_RMB) || !defined(VIRTIO_WMB)
#error "virtio.h: define all of VIRTIO_MB, VIRTIO_RMB and VIRTIO_WMB, or none"
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define VIRTIO_MB()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define VIRTIO_RMB() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define VIRTIO_WMB() __atomic_thread_fence(__ATOMIC_RELEASE)
#else
#error "virtio.h: define VIRTIO_MB, VIRTIO_RMB and VIRTIO_WMB for this compiler"
#endif

/* Ordering of register accesses against memory: a register write must come after the ring
   writes it announces, and a register read before the memory reads that depend on it. On
   RISC-V and Arm a plain memory fence does not order device I/O; x86 keeps uncached accesses
   in order. An accessor of your own calls BEFORE_WRITE before each register write and
   AFTER_READ after each register read, as virtio_mmio_regs does. */
#if defined(VIRTIO_MMIO_BEFORE_WRITE) || defined(VIRTIO_MMIO_AFTER_READ)
#if !defined(VIRTIO_MMIO_BEFORE_WRITE) || !defined(VIRTIO_MMIO_AFTER_READ)
#error "virtio.h: define both VIRTIO_MMIO_BEFORE_WRITE and VIRTIO_MMIO_AFTER_READ, or neither"
#endif
#elif defined(__riscv)
#define VIRTIO_MMIO_BEFORE_WRITE() __asm__ __volatile__("fence w,o" ::: "memory")
#define VIRTIO_MMIO_AFTER_READ()   __asm__ __volatile__("fence i,r" ::: "memory")
#elif defined(__aarch64__)
#define VIRTIO_MMIO_BEFORE_WRITE() __asm__ __volatile__("dmb oshst" ::: "memory")
#define VIRTIO_MMIO_AFTER_READ()   __asm__ __volatile__("dmb oshld" ::: "memory")
#elif defined(__x86_64__) || defined(__i386__)
#define VIRTIO_MMIO_BEFORE_WRITE() __asm__ __volatile__("" ::: "memory")
#define VIRTIO_MMIO_AFTER_READ()   __asm__ __volatile__("" ::: "memory")
#else
#define VIRTIO_MMIO_BEFORE_WRITE() VIRTIO_MB()
#define VIRTIO_MMIO_AFTER_READ()   VIRTIO_MB()
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Device status bits: virtio 1.4 "Basic Facilities / Device Status Field" ---------------- */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER      2u
#define VIRTIO_STATUS_DRIVER_OK   4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED      128u
/* InterruptStatus bits (virtio-mmio "InterruptStatus"; the same on every transport). */
#define VIRTIO_ISR_QUEUE  1u /* used buffer notification */
#define VIRTIO_ISR_CONFIG 2u /* configuration change notification */

/* ---- Reserved feature bits: virtio 1.4 "Reserved Feature Bits" (bit numbers) ---------------- */
#define VIRTIO_F_NOTIFY_ON_EMPTY    24 /* legacy only */
#define VIRTIO_F_ANY_LAYOUT         27 /* legacy only; implied by VERSION_1 */
#define VIRTIO_F_INDIRECT_DESC      28 /* a.k.a. VIRTIO_F_RING_INDIRECT_DESC */
#define VIRTIO_F_EVENT_IDX          29 /* a.k.a. VIRTIO_F_RING_EVENT_IDX */
#define VIRTIO_F_UNUSED             30 /* legacy "BAD_FEATURE": never accept */
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_F_ACCESS_PLATFORM    33
#define VIRTIO_F_RING_PACKED        34
#define VIRTIO_F_IN_ORDER           35
#define VIRTIO_F_ORDER_PLATFORM     36
#define VIRTIO_F_SR_IOV             37
#define VIRTIO_F_NOTIFICATION_DATA  38
#define VIRTIO_F_NOTIF_CONFIG_DATA  39
#define VIRTIO_F_RING_RESET         40
#define VIRTIO_F_ADMIN_VQ           41
#define VIRTIO_RING_F_INDIRECT_DESC VIRTIO_F_INDIRECT_DESC
#define VIRTIO_RING_F_EVENT_IDX     VIRTIO_F_EVENT_IDX
#define VIRTIO_BIT(n)               ((uint64_t)1 << (n))

/* ---- Device IDs: virtio 1.4 "Device Types" ----------------------------------------------------
 */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4
#define VIRTIO_ID_BALLOON 5
#define VIRTIO_ID_SCSI    8
#define VIRTIO_ID_9P      9
#define VIRTIO_ID_GPU     16
#define VIRTIO_ID_INPUT   18
#define VIRTIO_ID_VSOCK   19
#define VIRTIO_ID_CRYPTO  20
#define VIRTIO_ID_FS      26

/* ---- virtio-mmio registers: virtio 1.4 "Virtio Over MMIO / MMIO Device Register Layout" ------ */
/* Only the transport section of the implementation uses these. */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000 /* "virt" = 0x74726976 */
#define VIRTIO_MMIO_VERSION             0x004 /* 2 = modern, 1 = legacy */
#define VIRTIO_MMIO_DEVICE_ID           0x008 /* 0 = empty slot */
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010 /* legacy: HostFeatures */
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014 /* legacy: HostFeaturesSel */
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020 /* legacy: GuestFeatures */
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024 /* legacy: GuestFeaturesSel */
#define VIRTIO_MMIO_GUEST_PAGE_SIZE     0x028 /* legacy only */
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_SIZE_MAX      0x034 /* Linux and QEMU call it QueueNumMax */
#define VIRTIO_MMIO_QUEUE_SIZE          0x038 /* Linux and QEMU call it QueueNum */
#define VIRTIO_MMIO_QUEUE_ALIGN         0x03c /* legacy only */
#define VIRTIO_MMIO_QUEUE_PFN           0x040 /* legacy only */
#define VIRTIO_MMIO_QUEUE_READY         0x044 /* modern only */
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080 /* modern only, as are the next ones */
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_SHM_SEL             0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW         0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH        0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW        0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH       0x0bc
#define VIRTIO_MMIO_QUEUE_RESET         0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100
/* The legacy interface's own names for the feature registers (same offsets). */
#define VIRTIO_MMIO_HOST_FEATURES      VIRTIO_MMIO_DEVICE_FEATURES
#define VIRTIO_MMIO_HOST_FEATURES_SEL  VIRTIO_MMIO_DEVICE_FEATURES_SEL
#define VIRTIO_MMIO_GUEST_FEATURES     VIRTIO_MMIO_DRIVER_FEATURES
#define VIRTIO_MMIO_GUEST_FEATURES_SEL VIRTIO_MMIO_DRIVER_FEATURES_SEL
#define VIRTIO_MMIO_MAGIC              0x74726976u /* "virt", little-endian */
#define VIRTIO_MMIO_LEGACY_PAGE_SIZE   4096u /* what we write to GuestPageSize and QueueAlign */

/* ---- Split virtqueue flags: virtio 1.4 "Virtqueues / Split Virtqueues" -------------------------
 */
#define VIRTQ_DESC_F_NEXT          1u
#define VIRTQ_DESC_F_WRITE         2u
#define VIRTQ_DESC_F_INDIRECT      4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY     1u
#define VIRTIO_QUEUE_SIZE_MAX      32768u /* largest split queue the spec allows */
/* Packed virtqueue flags and event suppression: virtio 1.4 "Packed Virtqueues". A descriptor is
   available when AVAIL matches the driver's wrap counter and USED does not; used when both
   match the device's. */
#define VIRTQ_DESC_F_AVAIL             (1u << 7)
#define VIRTQ_DESC_F_USED              (1u << 15)
#define VIRTQ_RING_EVENT_FLAGS_ENABLE  0u
#define VIRTQ_RING_EVENT_FLAGS_DISABLE 1u
#define VIRTQ_RING_EVENT_FLAGS_DESC    2u /* with VIRTIO_F_EVENT_IDX: off_wrap names the slot */
/* The legacy interface's ring placement, on every transport ("Legacy Interfaces: A Note on
   Virtqueue Layout"): rings in one block, the used ring at the next 4096-byte boundary, the
   block's address given as a 32-bit number of 4096-byte pages. */
#define VIRTIO_LEGACY_QUEUE_ALIGN 4096u

/* ---- Result codes -----------------------------------------------------------------------------
 */
/* One list makes both the enum and virtio_result_str(). */
#define VIRTIO_RESULTS(X)                                                                          \
    X(VIRTIO_OK, 0, "success")                                                                     \
    X(VIRTIO_EINVAL, -1, "invalid argument (null, misaligned, too small or out of range)")         \
    X(VIRTIO_ENODEV, -2, "no virtio device here (bad magic, empty slot or wrong device type)")     \
    X(VIRTIO_EVERSION, -3, "unsupported virtio-mmio version")                                      \
    X(VIRTIO_EFEATURES, -4,                                                                        \
      "feature negotiation failed (device refused FEATURES_OK or lacks a required feature)")       \
    X(VIRTIO_ETIMEDOUT, -5, "the device did not answer within the wait bound")                     \
    X(VIRTIO_EDEVICE, -6, "the device misbehaved; device or queue is broken until reset")          \
    X(VIRTIO_ENEEDS_RESET, -7, "the device set NEEDS_RESET")                                       \
    X(VIRTIO_EAGAIN, -8, "nothing to take yet (or nothing pending to wait for)")                   \
    X(VIRTIO_ENOSPC, -9, "the queue has no room; poll for completions and retry")                  \
    X(VIRTIO_ENOQUEUE, -10, "the device has no such queue, or it is already in use")               \
    X(VIRTIO_ESTATE, -11, "the object is not initialized or not in the right state")               \
    X(VIRTIO_EIO, -12, "the device reported an I/O error")                                         \
    X(VIRTIO_EUNSUPP, -13, "the device reported the request as unsupported")                       \
    X(VIRTIO_EROFS, -14, "the device is read-only")                                                \
    X(VIRTIO_ERANGE, -15, "the range is past the end of the device")                               \
    X(VIRTIO_ENOTSUP, -16, "the device did not offer the feature this call needs")                 \
    X(VIRTIO_EBUSY, -17, "the device could not be reset: it may still write buffers it was given") \
    X(VIRTIO_ECONFIG, -18, "the device changed its configuration: nothing was done, look again")

typedef enum virtio_result {
#define VIRTIO__ENUM(name, value, text) name = value,
    VIRTIO_RESULTS(VIRTIO__ENUM)
#undef VIRTIO__ENUM
        VIRTIO__RESULT_MIN = -18
} virtio_result;

/* ---- Register accessor (the platform layer) ---------------------------------------------------
 */
/* How the library touches device registers, translates addresses and waits. Most users take
   the ready one from virtio_mmio_regs(base), which needs no callback at all.

   Contract of each callback:
   - read/write one register of exactly 8, 16 or 32 bits at byte offset `off` of region
     `region` (virtio-mmio has one region, VIRTIO_REGION_MMIO; virtio-pci asks for its
     function's configuration space, VIRTIO_REGION_PCI_CONFIG, and its BARs,
     VIRTIO_REGION_PCI_BAR(n): see virtio_pci_transport);
     `user` is passed back unchanged (NULL is fine: the library never looks at it);
   - values are in CPU order: the accessor converts from the transport's byte order (virtio-mmio
     registers are little-endian), so on a little-endian CPU it is a plain load or store;
     QEMU's legacy devices keep their registers in the guest's order instead: on a big-endian
     CPU the probe sees MagicValue swapped and undoes the swap for that device itself;
   - it never fails, and returns whatever the device returns;
   - a write is ordered after every earlier memory write of this CPU, and a read before every
     later memory read (on RISC-V and Arm a plain fence does not order MMIO: the accessor must;
     VIRTIO_MMIO_BEFORE_WRITE / VIRTIO_MMIO_AFTER_READ do it);
   - dma (optional, NULL = identity): the device's address of a CPU pointer into driver memory;
   - relax (optional): called once per idle poll iteration with relax_user and the iteration
     number, starting at 0 for each wait. Return nonzero to end the wait now.
   Every wait ends at whichever bound comes first: spin_limit iterations (0 = VIRTIO_SPIN_LIMIT)
   or the relax hook saying stop. A caller who bounds waits by a clock in relax sets spin_limit
   to 0xffffffff so that only the clock decides. */
#define VIRTIO_REGION_MMIO 0u

typedef struct virtio_regs {
    uint8_t (*read8)(void *user, unsigned region, uint32_t off);
    uint16_t (*read16)(void *user, unsigned region, uint32_t off);
    uint32_t (*read32)(void *user, unsigned region, uint32_t off);
    void (*write8)(void *user, unsigned region, uint32_t off, uint8_t value);
    void (*write16)(void *user, unsigned region, uint32_t off, uint16_t value);
    void (*write32)(void *user, unsigned region, uint32_t off, uint32_t value);
    void *user;                                   /* for virtio_mmio_regs: the register base */
    uint64_t (*dma)(void *user, const void *ptr); /* NULL: the address is the pointer */
    int (*relax)(void *relax_user, uint32_t iteration); /* NULL: spin */
    void *relax_user;                                   /* passed to relax */
    uint32_t spin_limit;                                /* wait bound in iterations; 0 = default */
    uint32_t flags;                                     /* VIRTIO_REGS_F_*; 0 = none */
} virtio_regs;

/* virtio_regs.flags. VIRTIO_REGS_F_CONFIG32: every configuration space access is an aligned
   32-bit one: a narrower read reads the word that holds it and takes its bytes; a narrower
   write reads that word, changes its bytes and writes it back whole. For crosvm, whose
   virtio-mmio transport ignores every access that is not 4 bytes wide (narrow reads give 0:
   a MAC, an MTU, a disk geometry or a console size would read as 0). The read-modify-write
   also writes back the other bytes of the word as read: harmless for every writable field the
   device headers use (each is alone in its word or written with its neighbours' values).
   The virtio-mmio transport honours it; virtio-pci configuration takes every width. */
#define VIRTIO_REGS_F_CONFIG32 1u
/* VIRTIO_REGS_F_PCI_CFG_ACCESS: virtio-pci only (virtio_pci_transport). Every access to the
   device's structures (common configuration, notify, ISR, device configuration) goes through
   the window of the PCI configuration access capability in configuration space (cap.bar,
   cap.length, cap.offset, then pci_cfg_data), never through a BAR region: for platforms that
   reach configuration space but cannot map BARs. Four configuration accesses per register
   access. A function without that capability (or a legacy one) gives VIRTIO_ENOTSUP. */
#define VIRTIO_REGS_F_PCI_CFG_ACCESS 2u

/* The ready accessor for memory-mapped registers at `base` (width-matched volatile accesses,
   with VIRTIO_MMIO_BEFORE_WRITE / _AFTER_READ). dma, relax, relax_user, spin_limit and flags
   are NULL / 0: set them in the returned struct if you need them (crosvm: flags =
   VIRTIO_REGS_F_CONFIG32). */
VIRTIO_API virtio_regs virtio_mmio_regs(void *base);

/* ---- Transport interface: virtio 1.4 "Virtio Transport Options" -------------------------------
 */
/* What every transport provides: the spec's transport-independent operations. A transport is
   a virtio_transport whose `ops` implement these for one device. virtio_mmio_transport fills one
   for virtio-mmio; write your own (a test double, another transport) by filling ops, regs and
   the identity fields. Contract: values are in CPU order; nothing here fails (the core checks
   what comes back); every function gets the transport it was called through. */
typedef struct virtio_transport virtio_transport;

typedef struct virtio_transport_ops {
    /* Device status (virtio 1.4 "Device Status Field"). Writing 0 starts a reset; the reset is
       complete once get_status reads 0. */
    uint32_t (*get_status)(virtio_transport *t);
    void (*set_status)(virtio_transport *t, uint32_t status);
    /* Feature bits 32 at a time: word 0 is bits 0..31, word 1 bits 32..63. A legacy
       transport has word 0 only (reads of word 1 give 0, writes are dropped). */
    uint32_t (*get_features)(virtio_transport *t, uint32_t word);
    void (*set_features)(virtio_transport *t, uint32_t word, uint32_t value);
    /* Device-specific configuration: `width` (1, 2 or 4) bytes at byte offset `off`, the field's
       value in CPU order (the transport knows the device's byte order). Generation: a counter
       that changes when the device changes the configuration (0 on legacy transports). */
    uint32_t (*config_read)(virtio_transport *t, uint32_t off, unsigned width);
    void (*config_write)(virtio_transport *t, uint32_t off, unsigned width, uint32_t value);
    uint32_t (*config_generation)(virtio_transport *t);
    /* Queue `index`: its largest size (QueueSizeMax), or 0 if it does not exist or is already
       live (in use). Called before queue_enable. */
    uint32_t (*queue_max)(virtio_transport *t, uint32_t index);
    /* Makes queue `index` live with `size` entries and the device addresses of its descriptor
       table, driver (available) area and device (used) area; stores in *notify the value that
       notify() needs for this queue. Legacy transports take one block laid out as the legacy
       interface requires (driver and device follow from desc). Returns 0 or VIRTIO_ENOQUEUE. */
    int (*queue_enable)(virtio_transport *t, uint32_t index, uint32_t size, uint64_t desc,
                        uint64_t driver, uint64_t device, uint32_t *notify);
    /* Available buffer notification for a queue, with the value queue_enable stored. */
    void (*notify)(virtio_transport *t, uint32_t index, uint32_t notify);
    /* Reads the interrupt status (bit 0: used buffer, bit 1: configuration change) and
       acknowledges what it read. */
    uint32_t (*interrupt_ack)(virtio_transport *t);
} virtio_transport_ops;

#define VIRTIO_TRANSPORT_MMIO  1u /* virtio-mmio */
#define VIRTIO_TRANSPORT_PCI   2u /* virtio-pci (virtio_pci_transport) */
#define VIRTIO_TRANSPORT_OTHER 0u /* one of your own */

struct virtio_transport {
    const virtio_transport_ops *ops;
    virtio_regs regs;   /* the accessor: register access, dma, relax, spin limit */
    uint32_t kind;      /* VIRTIO_TRANSPORT_* */
    uint32_t device_id; /* VIRTIO_ID_*: what the probe found */
    uint32_t vendor_id;
    uint32_t legacy;  /* 1: the legacy interface (guest-order fields, no FEATURES_OK, rings in
                         one block with the used ring page-aligned, a 32-bit page number) */
    uint32_t version; /* transport's own version (virtio-mmio: 1 or 2) */
    uint32_t sel;     /* transport-private: cached queue selector (~0: unknown) */
    uint32_t fresh;   /* transport-private: queues from this index up are known not ready
                         (a reset clears QueueReady; ~0: none known) */
    void *priv;       /* for a transport of your own */
    uint32_t swap;    /* virtio-mmio, private: the registers are in the CPU's order, not
                         little-endian (QEMU's legacy devices on a big-endian CPU) */
    struct {          /* virtio-pci, private: common (legacy: the BAR 0 header), notify, ISR, */
        uint32_t region, off, len; /* device configuration: accessor region, offset, bytes */
    } pci[4];
    uint32_t pci_notify_mul; /* virtio-pci, private: notify_off_multiplier */
    uint32_t pci_cfg;        /* virtio-pci, private: configuration offset of the PCI configuration
                                access capability every BAR access goes through (0: the BARs) */
    uint32_t queue_fixed;    /* 0: the driver chooses each queue's size (MMIO, modern PCI);
                                else the device fixes them (legacy virtio-pci's read-only
                                QueueNum) and this is the largest, which ring memory is sized
                                for (virtio_queue_ring_size). 0 on a transport of your own. */
};

/* Read-only probe of a virtio-mmio device behind `regs`: checks MagicValue, Version and
   DeviceID (virtio 1.4 "MMIO Device Register Layout": a driver "MUST ignore" a bad magic, an
   unknown version or DeviceID 0) and fills `t`. It writes no register, so a device running for
   an earlier boot stage is left as it was. VIRTIO_ENODEV (no device, empty slot),
   VIRTIO_EVERSION (a version this build does not drive), VIRTIO_EINVAL (NULL, missing
   callbacks). With VIRTIO_MMIO_ONLY t->ops is NULL: the core calls the virtio-mmio functions
   itself (t->kind VIRTIO_TRANSPORT_MMIO is what it looks at). */
VIRTIO_API int virtio_mmio_transport(virtio_transport *t, const virtio_regs *regs);

/* 1 if the transport uses the legacy interface (0 for a modern one, or NULL). */
VIRTIO_API int virtio_transport_legacy(const virtio_transport *t);

/* ---- virtio-mmio scan -------------------------------------------------------------------------
 */
typedef struct virtio_mmio_slot {
    void *base;         /* base + index*stride: pass to virtio_mmio_regs */
    unsigned index;     /* slot number */
    uint32_t version;   /* 1 legacy, 2 modern */
    uint32_t device_id; /* VIRTIO_ID_* */
    uint32_t vendor_id;
} virtio_mmio_slot;

/* Reads MagicValue, Version and DeviceID of `count` slots at base + i*stride (read-only: it
   writes no register) and stores each slot that holds a device, lowest index first, into
   out[0..max). Slots with a bad magic or device ID 0 are skipped. `regs` is NULL for plain
   MMIO, or an accessor whose `user` the scan replaces with each slot's base. Returns how many
   devices were found (which may exceed max), or VIRTIO_EINVAL. */
VIRTIO_API int virtio_mmio_scan(const virtio_regs *regs, void *base, size_t stride, unsigned count,
                                virtio_mmio_slot *out, unsigned max);

/* ---- virtio-pci: virtio 1.4 "Virtio Transport Options / Virtio Over PCI Bus" -----------------
 */
/* PCI identity of a virtio function ("PCI Device Discovery"): vendor 0x1AF4; a modern device
   id is 0x1040 + the virtio device type; a transitional one 0x1000..0x103f, with the type in
   the PCI Subsystem Device ID. */
#define VIRTIO_PCI_VENDOR_ID                0x1af4u
#define VIRTIO_PCI_DEVICE_ID_TRANSITIONAL   0x1000u /* first transitional id */
#define VIRTIO_PCI_DEVICE_ID_TRANSITIONAL_N 0x40u   /* how many */
#define VIRTIO_PCI_DEVICE_ID_MODERN         0x1040u /* + VIRTIO_ID_* */
/* cfg_type of the vendor-specific capabilities ("Virtio Structure PCI Capabilities"). */
#define VIRTIO_PCI_CAP_COMMON_CFG        1u
#define VIRTIO_PCI_CAP_NOTIFY_CFG        2u
#define VIRTIO_PCI_CAP_ISR_CFG           3u
#define VIRTIO_PCI_CAP_DEVICE_CFG        4u
#define VIRTIO_PCI_CAP_PCI_CFG           5u
#define VIRTIO_PCI_CAP_SHARED_MEMORY_CFG 8u
#define VIRTIO_PCI_CAP_VENDOR_CFG        9u
/* struct virtio_pci_cap, at a capability's offset in configuration space. */
#define VIRTIO_PCI_CAP_VNDR        0u /* 0x09: vendor-specific */
#define VIRTIO_PCI_CAP_NEXT        1u
#define VIRTIO_PCI_CAP_LEN         2u
#define VIRTIO_PCI_CAP_CFG_TYPE    3u
#define VIRTIO_PCI_CAP_BAR         4u
#define VIRTIO_PCI_CAP_ID          5u
#define VIRTIO_PCI_CAP_OFFSET      8u
#define VIRTIO_PCI_CAP_LENGTH      12u
#define VIRTIO_PCI_NOTIFY_CAP_MULT 16u /* struct virtio_pci_notify_cap */
#define VIRTIO_PCI_CFG_DATA        16u /* struct virtio_pci_cfg_cap: pci_cfg_data[4] */
#define VIRTIO_PCI_CFG_CAP_LEN     20u /* sizeof (struct virtio_pci_cfg_cap) */
/* struct virtio_pci_common_cfg ("Common configuration structure layout"), byte offsets. */
#define VIRTIO_PCI_COMMON_DEVICE_FEATURE_SELECT 0x00u
#define VIRTIO_PCI_COMMON_DEVICE_FEATURE        0x04u
#define VIRTIO_PCI_COMMON_DRIVER_FEATURE_SELECT 0x08u
#define VIRTIO_PCI_COMMON_DRIVER_FEATURE        0x0cu
#define VIRTIO_PCI_COMMON_CONFIG_MSIX_VECTOR    0x10u
#define VIRTIO_PCI_COMMON_NUM_QUEUES            0x12u
#define VIRTIO_PCI_COMMON_DEVICE_STATUS         0x14u
#define VIRTIO_PCI_COMMON_CONFIG_GENERATION     0x15u
#define VIRTIO_PCI_COMMON_QUEUE_SELECT          0x16u
#define VIRTIO_PCI_COMMON_QUEUE_SIZE            0x18u
#define VIRTIO_PCI_COMMON_QUEUE_MSIX_VECTOR     0x1au
#define VIRTIO_PCI_COMMON_QUEUE_ENABLE          0x1cu
#define VIRTIO_PCI_COMMON_QUEUE_NOTIFY_OFF      0x1eu
#define VIRTIO_PCI_COMMON_QUEUE_DESC            0x20u /* 64 bits, as two 32-bit halves */
#define VIRTIO_PCI_COMMON_QUEUE_DRIVER          0x28u
#define VIRTIO_PCI_COMMON_QUEUE_DEVICE          0x30u
#define VIRTIO_PCI_COMMON_LEN                   0x38u /* the fields above */
/* The legacy header in BAR 0 ("Legacy Interfaces: A Note on PCI Device Layout"). */
#define VIRTIO_PCI_LEGACY_HOST_FEATURES      0u  /* 32 bits */
#define VIRTIO_PCI_LEGACY_GUEST_FEATURES     4u  /* 32 bits */
#define VIRTIO_PCI_LEGACY_QUEUE_ADDRESS      8u  /* 32 bits: page number (4096-byte pages) */
#define VIRTIO_PCI_LEGACY_QUEUE_SIZE         12u /* 16 bits, read-only */
#define VIRTIO_PCI_LEGACY_QUEUE_SELECT       14u /* 16 bits */
#define VIRTIO_PCI_LEGACY_QUEUE_NOTIFY       16u /* 16 bits */
#define VIRTIO_PCI_LEGACY_DEVICE_STATUS      18u /* 8 bits */
#define VIRTIO_PCI_LEGACY_ISR_STATUS         19u /* 8 bits */
#define VIRTIO_PCI_LEGACY_CONFIG_MSIX_VECTOR 20u /* only while MSI-X is enabled */
#define VIRTIO_PCI_LEGACY_QUEUE_MSIX_VECTOR  22u /* only while MSI-X is enabled */
#define VIRTIO_PCI_LEGACY_CONFIG             20u /* device configuration, MSI-X disabled */
#define VIRTIO_PCI_LEGACY_CONFIG_MSIX        24u /* device configuration, MSI-X enabled */
/* Queues whose fixed size the probe reads on a legacy function (QEMU's virtio-serial with its
   default 31 ports has 64; a queue past this bound larger than every one before is refused
   at its init with VIRTIO_ENOQUEUE). */
#define VIRTIO_PCI_LEGACY_QUEUES 64u
#define VIRTIO_MSI_NO_VECTOR     0xffffu /* "no vector": we poll */

/* Regions of the accessor for a PCI function: its configuration space (offsets 0..4095, the
   ECAM layout), and the space BAR n decodes. */
#define VIRTIO_REGION_PCI_CONFIG 0x10u
#define VIRTIO_REGION_PCI_BAR(n) (0x20u + (unsigned)(n))

/* Probe of one PCI function behind `regs` (config region VIRTIO_REGION_PCI_CONFIG, BARs
   VIRTIO_REGION_PCI_BAR(n)) into `t`: the modern interface when the function has the virtio
   capabilities (common, notify, ISR; device configuration if any), else the legacy header in
   BAR 0 of a transitional function (configuration at 20, or 24 while firmware left MSI-X
   enabled). The capability list and BAR sizes are device-written: a walk longer than the
   list can be, a loop, a capability outside configuration space, a structure outside its BAR
   or overlapping another, a length too small for its structure, a misaligned offset, or a
   notify multiplier that is not 0 or an even power of two gives VIRTIO_EDEVICE. It changes no
   device state, only configuration space: it sizes the BARs the structures live in
   (decoding off meanwhile, every BAR value put back) and sets memory and I/O decoding and bus
   mastering in the command register. A PCI configuration access capability (cfg_type 5) is
   checked too: cap_len at least 20 (struct virtio_pci_cfg_cap), inside configuration space,
   overlapping no other capability (VIRTIO_EDEVICE otherwise). With VIRTIO_REGS_F_PCI_CFG_ACCESS
   in regs->flags the transport never touches a BAR region: every access to the structures
   goes through that capability's window (VIRTIO_ENOTSUP, nothing written, where the function
   has none or only the legacy header). Without the flag nothing changes (one test of a
   transport field per register access). On a legacy function the probe also reads the
   queues' fixed sizes (QueueNum of queues 0, 1, ... up to the first missing one, at most
   VIRTIO_PCI_LEGACY_QUEUES), which takes writes of the QueueSelect selector; the selector is
   put back as it was. The largest size that is a power of two up to 32768 is kept in
   t->queue_fixed, so that virtio_queue_ring_size(t, n) sizes rings for it.
   VIRTIO_ENODEV (not a virtio function, type 0), VIRTIO_EVERSION (legacy only, under
   VIRTIO_NO_LEGACY), VIRTIO_EINVAL (NULL, missing callbacks). */
VIRTIO_API int virtio_pci_transport(virtio_transport *t, const virtio_regs *regs);

/* ---- virtio-pci without firmware: ECAM, enumeration, BAR assignment ----------------------- */
/* x86 port I/O, for PCI configuration mechanism #1 (ports 0xCF8 / 0xCFC) and I/O BARs. virtio.h
   has no inline assembly: the caller gives the six instructions (inb/inw/inl, outb/outw/outl). */
typedef struct virtio_pci_portio {
    uint8_t (*in8)(uint16_t port);
    uint16_t (*in16)(uint16_t port);
    uint32_t (*in32)(uint16_t port);
    void (*out8)(uint16_t port, uint8_t value);
    void (*out16)(uint16_t port, uint16_t value);
    void (*out32)(uint16_t port, uint32_t value);
} virtio_pci_portio;

/* A PCIe host bridge with ECAM ("pci-host-ecam-generic" in a device tree): where its
   configuration space is, and the windows virtio_pci_assign hands out. Addresses in a window
   are PCI bus addresses; `*_cpu` is where the CPU reaches the window's first byte. Fill the
   first fields; virtio_pci_assign moves mem_next / io_next (start them at 0). */
typedef struct virtio_pci_host {
    /* Port I/O (x86): when set, configuration space goes through 0xCF8/0xCFC (256 bytes per
       function, ecam unused) and I/O BARs through these hooks (their "CPU address" is the
       port); memory BARs stay MMIO. Keep it where it is while functions found through it are
       in use. */
    const virtio_pci_portio *portio;
    uintptr_t ecam;   /* CPU address of the configuration space of bus 0 */
    uint32_t buses;   /* buses the ECAM window covers (1..256; it is buses << 20 bytes) */
    uint64_t mem_pci; /* 32-bit memory window: PCI address, CPU address, size (0: none) */
    uint64_t mem_cpu;
    uint64_t mem_size;
    uint64_t io_pci; /* I/O window: first port, CPU address of it, size (0: none) */
    uint64_t io_cpu;
    uint64_t io_size;
    uint64_t mem_next; /* bytes of each window handed out so far */
    uint64_t io_next;
} virtio_pci_host;

/* One virtio function found by virtio_pci_scan; virtio_pci_regs(&fn) is its accessor. Keep it
   where it is while a transport uses that accessor (the accessor points at it). */
typedef struct virtio_pci_fn {
    const virtio_pci_portio *portio; /* the host's: config and I/O BARs through ports */
    uint32_t io_bars;                /* bit n: BAR n is an I/O BAR */
    uintptr_t config; /* CPU address of the function's 4 KiB configuration space, or with portio
                         its 0xCF8 address (bus << 16 | dev << 11 | fn << 8, enable bit set) */
    uintptr_t bar[6]; /* CPU address of each BAR's space (0: none, or not assigned) */
    uint32_t bus, dev, fn;
    uint32_t device_id; /* PCI device id */
    uint32_t type;      /* VIRTIO_ID_*: modern id - 0x1040, or the transitional subsystem id */
    uint32_t modern;    /* 1: a modern-only id (0x1040 + type); 0: transitional */
} virtio_pci_fn;

/* The accessor of a function found by virtio_pci_scan: configuration space at fn->config, BAR
   n at fn->bar[n] (a BAR with address 0 reads all ones and drops writes), little-endian with
   VIRTIO_MMIO_BEFORE_WRITE / _AFTER_READ, dma/relax NULL. With fn->portio: configuration
   space (offsets below 256) through 0xCF8/0xCFC and I/O BARs through the in/out hooks. */
VIRTIO_API virtio_regs virtio_pci_regs(virtio_pci_fn *fn);

/* Enumerates bus 0 of `host` (every device, every function of a multi-function device),
   reads nothing but configuration space, and stores each virtio function (vendor 0x1AF4, a
   device id above, a type other than 0), in order, into out[0..max), with the CPU addresses
   of the BARs firmware assigned (translated through the host's windows). Behind a PCI-PCI
   bridge whose secondary bus is numbered (by firmware or virtio_pci_assign_all) it reads that
   bus too, each bus once. Returns how many there are (which may exceed max), or
   VIRTIO_EINVAL. */
VIRTIO_API int virtio_pci_scan(const virtio_pci_host *host, virtio_pci_fn *out, unsigned max);

/* For machines where nothing assigned BARs (QEMU riscv/aarch64 `virt` with -bios none):
   sizes every BAR of `fn` (decoding off meanwhile), gives each an aligned range of the host's
   memory or I/O window, records its CPU address in fn->bar[], and turns on memory and I/O
   decoding and bus mastering. A BAR size is device-written: one that does not fit what is
   left of its window, or a 64-bit BAR in the last slot, fails. 0; VIRTIO_ENOSPC (a window is
   full: nothing of this function is enabled), VIRTIO_EDEVICE, VIRTIO_EINVAL (NULL). */
VIRTIO_API int virtio_pci_assign(virtio_pci_host *host, virtio_pci_fn *fn);

/* The whole tree at once, for machines where nothing set PCI up (-bios none): walks bus 0 and,
   depth first, behind every PCI-PCI bridge (PCIe root ports): numbers the buses (at most
   host->buses, 8 bridges deep), assigns every function's BARs as virtio_pci_assign does, and
   opens each bridge's memory and I/O windows around what its side took (1 MiB and 4 KiB
   granules; the prefetchable window closed), then turns on its forwarding. Afterwards
   virtio_pci_scan finds the functions behind bridges too. 0, VIRTIO_ENOSPC, VIRTIO_EDEVICE,
   VIRTIO_EINVAL. */
VIRTIO_API int virtio_pci_assign_all(virtio_pci_host *host);

/* ---- Device tree: finding virtio-mmio devices (Devicetree Specification v0.4, ch. 5) ---------
 */
/* One enabled node of the flattened device tree whose `compatible` list holds "virtio,mmio". */
typedef struct virtio_fdt_mmio {
    uint64_t base;      /* first address of `reg`, in the parent's #address-cells (1 or 2) */
    uint64_t size;      /* first size of `reg`, in the parent's #size-cells (1 or 2) */
    uint32_t irq;       /* the interrupt number as `interrupts` states it: its one cell (riscv
                           PLIC: the source number), or for three cells (Arm GIC: type, number,
                           flags) the second, the SPI number (GIC INTID = irq + 32); for two
                           cells the first; 0 when the node has no `interrupts` */
    uint32_t irq_cells; /* cells of `interrupts` (0: none), to tell the cases apart */
} virtio_fdt_mmio;

/* Walks the flattened device tree (DTB) at `fdt` (what firmware passes: a1 on riscv, x0 on
   aarch64) and stores each node whose `compatible` list has "virtio,mmio" as one of its
   strings and whose `status` is absent, "okay" or "ok" ("disabled" and the rest are skipped),
   in tree order, into out[0..max_out). Reads nothing outside [fdt, fdt + min(max_size,
   totalsize)) (max_size: what the caller knows to be readable; pass the header's totalsize if
   you trust it), allocates nothing, recurses not at all, and takes a bounded number of steps.
   Returns how many nodes there are (which may exceed max_out), or an error:
   VIRTIO_ENODEV  no device tree here: fewer than 40 bytes, or not the magic 0xd00dfeed (the
                  caller falls back to its slot scan);
   VIRTIO_EINVAL  fdt NULL or not 4-byte aligned, max_out < 0, out NULL with max_out > 0; or a
                  malformed blob: a version it cannot read (it reads 17 and what is compatible
                  with it), totalsize above max_size, a block outside the blob, an unterminated
                  name or string, a bad token, a property after a subnode, nesting deeper than
                  16, a parent's #address-cells or #size-cells other than 1 or 2 on a virtio
                  node, a `reg` shorter than one address and size.
   Built unless VIRTIO_NO_FDT. */
VIRTIO_API int virtio_fdt_find_mmio(const void *fdt, size_t max_size, virtio_fdt_mmio *out,
                                    int max_out);

/* The PCIe host bridges of a flattened device tree: each enabled node whose `compatible` list
   has "pci-host-ecam-generic", as a virtio_pci_host for virtio_pci_scan / virtio_pci_assign:
   `reg` gives the ECAM window (its size, or `bus-range`, the buses), `ranges` the first I/O
   window and the first 32-bit memory window (PCI address, CPU address, size; a 64-bit window
   is used only when there is no 32-bit one and it lies below 4 GiB on the bus). mem_next and
   io_next are 0. Reads and refuses blobs as virtio_fdt_find_mmio does; besides, a node with
   `#address-cells` other than 3, a parent with `#address-cells` other than 1 or 2, a `reg`
   shorter than one entry or an ECAM window beyond this CPU's reach gives VIRTIO_EINVAL.
   Returns how many bridges there are (which may exceed max_out), or an error. Built unless
   VIRTIO_NO_FDT. */
VIRTIO_API int virtio_fdt_find_pci(const void *fdt, size_t max_size, virtio_pci_host *out,
                                   int max_out);

/* ---- Device -----------------------------------------------------------------------------------
 */
/* A device in the spec's initialization sequence. Fields are the library's: use the functions. */
typedef struct virtio_dev {
    virtio_transport t;  /* copy of the probed transport */
    uint32_t spin_limit; /* bound of every wait, in poll iterations */
    uint32_t status;     /* last status the driver wrote */
    uint64_t offered;    /* feature bits the device offered */
    uint64_t features;   /* feature bits negotiated */
    int error;           /* latched device fault (0 = healthy) */
    uint32_t negotiated; /* features were negotiated (legacy devices have no FEATURES_OK) */
    uint32_t clamped;    /* used lengths above what was posted writable, clamped */
    uint32_t isr;        /* interrupt status bits acknowledged by the library, not yet taken */
    uint32_t empty;      /* empty polls (VIRTIO_POLL_CHECK_MASK) */
    void *mmio;          /* private: the register base where the transport is virtio-mmio with the
                            library's own accessor (virtio_mmio_regs), for direct access on the hot
                            path (notify, interrupt status); NULL otherwise */
} virtio_dev;

/* Fills `dev` from a probed transport without touching the device (no register access):
   VIRTIO_ENODEV if expected_id is nonzero and the device is of another type; VIRTIO_ENOTSUP
   for a transport that is not virtio-mmio in a VIRTIO_MMIO_ONLY build. virtio_dev_init
   does this first; alone it serves what needs no initialization (a console's emergency
   write to a device an earlier boot stage set up). */
VIRTIO_API int virtio_dev_attach(virtio_dev *dev, const virtio_transport *t, uint32_t expected_id);

/* Starts the spec's initialization sequence (virtio 1.4 "Device Initialization" steps 1-3):
   attach, reset the device and wait (bounded by VIRTIO_RESET_SPIN status reads) for status 0,
   then ACKNOWLEDGE and DRIVER. expected_id: the device type required, or 0 for any. If the
   reset does not complete it returns VIRTIO_EBUSY, latched (virtio_dev_usable returns it until
   a virtio_dev_reset or another init succeeds) and nothing else is written: the device may
   still be using the queues and buffers an earlier driver or boot stage gave it, so keep that
   memory as it is (Firecracker up to v1.16 never resets a device an earlier boot stage
   activated: use it as that stage left it, or not at all). */
VIRTIO_API int virtio_dev_init(virtio_dev *dev, const virtio_transport *t, uint32_t expected_id);

/* Reads the feature bits the device offers (64 on modern transports, 32 on legacy) without
   negotiating: selecting feature words changes nothing in the device. */
VIRTIO_API int virtio_dev_read_offer(virtio_dev *dev, uint64_t *offered);

/* Negotiates features (steps 4-6): accepts `(wanted | required) & offered`, plus the ring
   features the core implements whenever offered (VIRTIO_F_VERSION_1, VIRTIO_F_EVENT_IDX,
   VIRTIO_F_RING_PACKED, VIRTIO_F_INDIRECT_DESC; see VIRTIO_NO_* to leave them out), and
   VIRTIO_F_ACCESS_PLATFORM (the accessor's dma hook is the platform's translation: give one
   where device addresses are not CPU addresses, e.g. behind an IOMMU) and, on legacy devices,
   VIRTIO_F_ANY_LAYOUT:
   device drivers ask only for their own bits. A modern device that does not offer VERSION_1 is
   refused with VIRTIO_EFEATURES, as is one that lacks a `required` bit or clears FEATURES_OK
   on the read-back. Sets FAILED on error. Once per init: VIRTIO_ESTATE unless the device is
   just after virtio_dev_init (ACKNOWLEDGE and DRIVER, nothing negotiated yet). */
VIRTIO_API int virtio_dev_negotiate(virtio_dev *dev, uint64_t wanted, uint64_t required);

/* Nonzero if feature bit `bit` was negotiated / was offered (after read_offer or negotiate). */
VIRTIO_API int virtio_dev_has(const virtio_dev *dev, unsigned bit);
VIRTIO_API int virtio_dev_offers(const virtio_dev *dev, unsigned bit);
/* 1 if the device uses the legacy interface. */
VIRTIO_API int virtio_dev_legacy(const virtio_dev *dev);
/* 0 if the device is initialized and healthy; VIRTIO_ESTATE if it was never set up (a zeroed
   object), else its latched error. The one "usable" check for drivers. */
VIRTIO_API int virtio_dev_usable(const virtio_dev *dev);
/* The wait bound of this device in poll iterations (from the accessor's spin_limit). */
VIRTIO_API uint32_t virtio_dev_spin_limit(const virtio_dev *dev);
/* Used lengths above the writable bytes posted that its queues clamped since init (kvmtool
   reports the bytes a request transferred, not those it wrote): not an error, but a device
   whose lengths cannot be trusted. 0 for a NULL dev. */
VIRTIO_API uint32_t virtio_dev_clamped(const virtio_dev *dev);

/* Sets DRIVER_OK (step 8): call after every queue is set up. It does not read the status back
   (no register read): virtio_dev_check does, and every wait does now and then. */
VIRTIO_API int virtio_dev_ready(virtio_dev *dev);

/* Marks initialization failed: sets FAILED in the device and latches `error` (pass the error
   that made you give up; it is returned). Use it when a device driver's own checks fail. */
VIRTIO_API int virtio_dev_fail(virtio_dev *dev, int error);

/* Reads the device status and reports NEEDS_RESET, FAILED or a device that reset itself as an
   error (latched). 0 if the device is healthy. Costs one register read. */
VIRTIO_API int virtio_dev_check(virtio_dev *dev);

/* One idle iteration of a bounded wait, for drivers that poll something of their own: call
   it with iteration = 0, 1, 2, ... each time there was nothing to take. Returns 0 to go on
   waiting; VIRTIO_ETIMEDOUT when the spin limit is reached or the relax hook says stop; a
   device error (latched) when a status check, made now and then and at the end, finds
   NEEDS_RESET or a device that reset itself. virtio_queue_wait is built on it. */
VIRTIO_API int virtio_dev_spin(virtio_dev *dev, uint32_t iteration);

/* Resets the device (status 0, bounded wait for it to read back 0) and forgets the negotiated
   features; the device and its queues must be initialized again. Returns 0 once the device
   has reset: from then on it touches no memory it was given. VIRTIO_EBUSY (latched:
   virtio_dev_usable returns it) if it did not reset within the bound: every buffer on its
   queues is still the device's, and the queues (virtio_queue_pending) still count them; call
   again to retry. */
VIRTIO_API int virtio_dev_reset(virtio_dev *dev);

/* For a driver's blocking call whose wait failed with `error` (a timeout, NEEDS_RESET, a
   device fault) while the device may still hold the caller's buffers: resets the device, so
   that they are the caller's again (virtio 1.4 "Device Cleanup"), and latches `error`: the
   device must be initialized again. Returns `error`, or VIRTIO_EBUSY if the reset did not
   complete (the device may still write those buffers). */
VIRTIO_API int virtio_dev_abandon(virtio_dev *dev, int error);

/* Reads and acknowledges the interrupt status: bit 0 used buffers, bit 1 configuration
   change (remembered for virtio_dev_config_changed). A polled driver needs it to notice
   configuration changes, and before it enables interrupts or hands the device over: the
   library asks for no used-buffer interrupts, but a configuration change (or a device that
   ignores the suppression) leaves InterruptStatus set, and virtio-mmio's line is level-
   triggered, so an interrupt controller enabled later would see it fire until acknowledged.
   The library acknowledges what it finds in its waits (at each status check, every
   VIRTIO_STATUS_CHECK_MASK + 1 idle iterations, and when a wait ends without a buffer) and
   where a device header looks for configuration changes (virtio_blk.h before each request). */
VIRTIO_API uint32_t virtio_dev_interrupt_ack(virtio_dev *dev);

/* 1 if the device reported a configuration change (InterruptStatus bit 1) since the last
   call, read and acknowledged now or earlier by the library; 0 if not, or for an object that
   was never initialized. Costs one register read (and a write only when a bit is set). */
VIRTIO_API int virtio_dev_config_changed(virtio_dev *dev);

/* Converts between CPU order and the device's order for fields of device-specific structures
   in shared memory (request headers and the like): little-endian on modern devices, the
   guest's own order on legacy ones. Each is its own inverse; on little-endian CPUs a no-op. */
VIRTIO_API uint16_t virtio_dev_order16(const virtio_dev *dev, uint16_t v);
VIRTIO_API uint32_t virtio_dev_order32(const virtio_dev *dev, uint32_t v);
VIRTIO_API uint64_t virtio_dev_order64(const virtio_dev *dev, uint64_t v);
/* The device's address of `p` (the accessor's dma hook, or the pointer itself): for device
   structures that carry addresses inside a buffer (a GPU's backing list), where the queue's own
   translation of segment addresses does not reach. 0 for a NULL dev. */
VIRTIO_API uint64_t virtio_dev_dma(const virtio_dev *dev, const void *p);

/* ---- Device configuration space: virtio 1.4 "Device Configuration Space" -----------------------
 */
/* Single-field reads at byte offset `off` of the device-specific configuration, in CPU order.
   A 64-bit read is two 32-bit reads checked against the configuration generation, or on a
   legacy device (no generation) repeated until two reads agree (a device whose value never
   settles is latched as broken and the read gives 0). */
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
#ifndef VIRTIO_RESET_SPIN
#define VIRTIO_RESET_SPIN 10000u
#endif
typedef int (*virtio_config_reader)(virtio_dev *dev, void *ctx);
VIRTIO_API int virtio_config_atomic(virtio_dev *dev, virtio_config_reader read, void *ctx);

/* ---- Split virtqueue: virtio 1.4 "Virtqueues / Split Virtqueues" ----------------------------- */
/* Shared-memory layouts, spec names (struct virtq_desc, virtq_used_elem). Shown for
   documentation and layout checks; the driver touches them only through the queue. */
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
/* virtio 1.4 "Packed Virtqueues / The Virtqueue Descriptor Format" (struct pvirtq_desc): the
   driver writes it available, the device overwrites it used (id and len, AVAIL == USED). The
   event suppression areas (struct pvirtq_event_suppress) are two le16: off_wrap, flags. */
typedef struct virtio_virtq_packed_desc {
    uint64_t addr;  /* le64 */
    uint32_t len;   /* le32: buffer length; when used, bytes written */
    uint16_t id;    /* le16: buffer id */
    uint16_t flags; /* le16: VIRTQ_DESC_F_*, with AVAIL and USED */
} virtio_virtq_packed_desc;

/* Indirect descriptor tables (VIRTIO_F_INDIRECT_DESC): a few per queue, in its ring memory. */
#ifdef VIRTIO_NO_INDIRECT
#undef VIRTIO_INDIRECT_TABLES
#define VIRTIO_INDIRECT_TABLES 0
#endif
#ifndef VIRTIO_INDIRECT_TABLES
#define VIRTIO_INDIRECT_TABLES 4
#endif
#ifndef VIRTIO_INDIRECT_SEGS
#define VIRTIO_INDIRECT_SEGS 16
#endif
#if VIRTIO_INDIRECT_TABLES < 0 || VIRTIO_INDIRECT_TABLES > 32
#error "virtio.h: VIRTIO_INDIRECT_TABLES must be 0..32"
#endif
/* Tables of a queue of `size` entries: one per 16 entries, at most VIRTIO_INDIRECT_TABLES (a
   small queue, an entropy device's, gets none and stays small). */
#if VIRTIO_INDIRECT_TABLES
#define VIRTIO__IND_TABLES(size)                                                                   \
    ((size) / 16u < VIRTIO_INDIRECT_TABLES ? (size) / 16u : VIRTIO_INDIRECT_TABLES)
#else
#define VIRTIO__IND_TABLES(size) 0u
#endif
#if VIRTIO_INDIRECT_TABLES > 0 && (VIRTIO_INDIRECT_SEGS < 2 || VIRTIO_INDIRECT_SEGS > 4096)
#error "virtio.h: VIRTIO_INDIRECT_SEGS must be 2..4096"
#endif

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

/* A queue. Its fields are private to the core (the ring format may change): use the functions. */
typedef struct virtio_queue {
    virtio_dev *dev;
    volatile virtio_virtq_desc *desc; /* descriptor table (split) */
    volatile uint16_t *avail;         /* flags, idx, ring[size], used_event; packed: the driver
                                         event suppression area (off_wrap, flags) */
    volatile uint16_t *used;          /* flags, idx, then the elements, avail_event; packed: the
                                         device event suppression area */
    volatile virtio_virtq_used_elem *used_ring;
    virtio_queue_shadow *shadow; /* size entries, driver-private */
    uint32_t notify;             /* the transport's notify value */
    uint16_t index;              /* queue number */
    uint16_t size;               /* ring entries, a power of two */
    uint16_t ndesc;              /* descriptors the driver uses (shadow entries): size, or
                                    fewer where the device fixed a larger size (legacy PCI) */
    uint16_t num_free;           /* free descriptors */
    uint16_t free_head;          /* first free descriptor */
    uint16_t avail_idx;          /* next avail.idx to publish (shadow) */
    uint16_t avail_pub;          /* avail.idx the device has seen */
    uint16_t last_used;          /* next used.idx we will consume */
    uint16_t event_idx;          /* VIRTIO_F_EVENT_IDX negotiated */
    uint16_t legacy;             /* the device uses guest order */
    uint16_t flags;              /* VIRTIO_QUEUE_F_* */
    int error;                   /* latched fault (0 = healthy) */
    /* Packed ring. Slot counters run free modulo 2^16: the ring position is the counter modulo
       size, the wrap counter is 1 while (counter & size) is 0 (size is a power of two). */
    /* The descriptor ring (NULL: the ring is split). */
    volatile virtio_virtq_packed_desc *ring;
    uint16_t avail_slot; /* descriptors made available (written) */
    uint16_t pub_slot;   /* avail_slot at the last kick: the next batch's first head is here */
    uint16_t used_slot;  /* descriptors the device used and we took back */
    uint16_t hid_flags;  /* flags of the head at pub_slot, held back until the kick */
    /* Indirect tables: ind_n of VIRTIO_INDIRECT_SEGS descriptors (0: not negotiated). */
    volatile virtio_virtq_desc *ind;
    uint64_t ind_dma;  /* the device's address of the first table */
    uint32_t ind_free; /* bit t: table t is free */
    uint16_t ind_n;
    uint16_t ind_owner[VIRTIO_INDIRECT_TABLES ? VIRTIO_INDIRECT_TABLES : 1]; /* head / id */
} virtio_queue;

/* Queue flags (virtio_queue_params.flags). */
#define VIRTIO_QUEUE_F_IGNORE_LEN                                                                  \
    1u /* the driver does not use used lengths (a legacy transmit                                  \
          queue, where "the driver SHOULD ignore the len value"):                                  \
          a length above what was posted is clamped, not counted */

#define VIRTIO_QUEUE_F_NO_INDIRECT 2u /* never use indirect tables on this queue */

typedef struct virtio_queue_params {
    uint32_t size;  /* entries wanted: a power of two, 1..32768; clamped down to the
                       device's QueueSizeMax (rounded down to a power of two). Legacy
                       virtio-pci fixes each queue's size (read-only QueueNum): the rings
                       then have the device's size, and the driver uses min(size, the
                       device's) descriptors (virtio_queue_size) */
    uint32_t flags; /* VIRTIO_QUEUE_F_* */
    void *ring;     /* device-visible rings: virtio_queue_ring_size(t, size) bytes aligned
                       to virtio_queue_ring_align(t) */
    size_t ring_size;
    void *shadow; /* driver-private: virtio_queue_shadow_size(size) bytes aligned to 8,
                     never in a descriptor (PORTING.md: what the device may write);
                     NULL: right after the rings, in `ring` (then ring_size must be at
                     least virtio_queue_mem_size(t, size)) */
    size_t shadow_size;
} virtio_queue_params;

/* Sizes for a queue of `size` entries (0 if size is not a power of two in 1..32768). A NULL
   transport gives the bound that fits every transport (the legacy layout, 4096-aligned; the
   modern one where the implementation is built with VIRTIO_NO_LEGACY) whose queue sizes the
   driver chooses. Legacy virtio-pci has no register to set a queue's size: its probe reads the
   device's sizes (t->queue_fixed, the largest), and the ring size for any `size` is then at
   least that of the device's rings; only the shadow follows `size`. */
VIRTIO_API size_t virtio_queue_ring_size(const virtio_transport *t, uint32_t size);
VIRTIO_API size_t virtio_queue_ring_align(const virtio_transport *t);
VIRTIO_API size_t virtio_queue_shadow_size(uint32_t size);
/* Rings, then the shadow (8-aligned) in the same block. */
VIRTIO_API size_t virtio_queue_mem_size(const virtio_transport *t, uint32_t size);
/* Compile-time bounds, any transport (size a power of two), either ring format (the split
   layout is the larger), with the indirect tables. With VIRTIO_NO_LEGACY defined (in this file)
   they are the modern layout's, which is much smaller: no 4096-byte padding. On legacy
   virtio-pci the rings have the device's fixed size: the bounds hold where `size` is at least
   the device's, and, the legacy layout being page-padded, for any `size` where the device's
   is at most 128 (a legacy ring of 1..128 entries takes 8 KiB with its tables). QEMU fixes 256
   for virtio-blk, -net and -gpu, 128 for virtio-serial and 64 for virtio-input. */
#define VIRTIO_QUEUE_INDIRECT_MEM(size)                                                            \
    ((size_t)VIRTIO__IND_TABLES(size) * VIRTIO_INDIRECT_SEGS * 16u)
#ifdef VIRTIO_NO_LEGACY
#define VIRTIO_QUEUE_RING_MEM(size)                                                                \
    (((((((size_t)(size)*18u + 6u + 3u) & ~(size_t)3u) + (size_t)(size)*8u + 6u) + 15u) &          \
      ~(size_t)15u) +                                                                              \
     VIRTIO_QUEUE_INDIRECT_MEM(size))
#else
#define VIRTIO_QUEUE_RING_MEM(size)                                                                \
    ((((size_t)(size)*16u + 6u + 2u * (size_t)(size) + 4095u) & ~(size_t)4095u) +                  \
     (((((size_t)(size)*8u + 6u + 15u) & ~(size_t)15u) + VIRTIO_QUEUE_INDIRECT_MEM(size) +         \
       4095u) &                                                                                    \
      ~(size_t)4095u))
#endif
#define VIRTIO_QUEUE_SHADOW_MEM(size) ((size_t)(size) * sizeof(virtio_queue_shadow))
#define VIRTIO_QUEUE_MEM(size)        (VIRTIO_QUEUE_RING_MEM(size) + VIRTIO_QUEUE_SHADOW_MEM(size))

/* Sets up queue `index` as `p` says. Call between virtio_dev_negotiate and virtio_dev_ready.
   VIRTIO_EINVAL for memory that is NULL, misaligned or too small (nothing is written then);
   VIRTIO_ENOQUEUE for a queue the device lacks or already has live, or whose fixed size
   (legacy virtio-pci) is not a power of two or larger than t->queue_fixed, which the memory
   was checked against. */
VIRTIO_API int virtio_queue_init(virtio_queue *q, virtio_dev *dev, uint32_t index,
                                 const virtio_queue_params *p);

/* Adds a chain of n_out readable then n_in writable segments, remembered under `cookie` (any
   non-NULL value), to the available ring. The device does not see it until virtio_queue_kick.
   VIRTIO_ENOSPC if fewer than n_out + n_in descriptors are free; VIRTIO_EINVAL for a NULL or
   zero-length segment, an empty chain, a chain longer than the queue (it could never fit) or
   a NULL cookie: every segment is checked before a descriptor is written. */
VIRTIO_API int virtio_queue_add(virtio_queue *q, const virtio_seg *segs, unsigned n_out,
                                unsigned n_in, void *cookie);

/* virtio_queue_add, virtio_queue_kick and virtio_queue_wait in one call (with the checks done
   once): a driver's blocking request. Adds the chain, publishes every added chain, notifies the
   device if it asked, and waits (bounded) for a used buffer: this chain's or an earlier one's
   (*used: its cookie). Nothing is added when it returns VIRTIO_EINVAL, VIRTIO_ENOSPC,
   VIRTIO_ESTATE (also before DRIVER_OK) or an error the queue or device had latched before the
   call (virtio_queue_usable); any other error is the wait's, as virtio_queue_wait's: the chain
   is outstanding. */
VIRTIO_API int virtio_queue_add_wait(virtio_queue *q, const virtio_seg *segs, unsigned n_out,
                                     unsigned n_in, void *cookie, void **used, uint32_t *len);

/* Flags of virtio_queue_add3. */
#define VIRTIO_ADD3_OUT    1u /* the device reads the middle segment (else it writes it) */
#define VIRTIO_ADD3_CONFIG 2u /* first look for a configuration change */
#define VIRTIO_ADD3_WAIT   4u /* then publish, notify and wait: virtio_queue_add_wait */

/* The common request of a driver in one call, each check done once: a chain of three segments,
   segs[0] readable, segs[1] readable with VIRTIO_ADD3_OUT (else writable), segs[2] writable (a
   block request's header, data and status). With VIRTIO_ADD3_CONFIG it first reads the
   interrupt status as virtio_dev_config_changed does: if the device reported a configuration
   change, VIRTIO_ECONFIG with nothing added (the change is taken: read what depends on the
   configuration, then call again). Then as virtio_queue_add, or with VIRTIO_ADD3_WAIT as
   virtio_queue_add_wait (*used: the used chain's cookie; `used` may be NULL; the length is not
   reported). Nothing is added when it returns VIRTIO_EINVAL (also for an unknown flag),
   VIRTIO_ENOSPC, VIRTIO_ESTATE, VIRTIO_ECONFIG or an error the queue or device had latched
   before the call; any other error is the wait's (the chain is outstanding). Every caller error
   is found before a register is read. */
VIRTIO_API int virtio_queue_add3(virtio_queue *q, const virtio_seg *segs, unsigned flags,
                                 void *cookie, void **used);

/* Publishes every added chain and notifies the device if it asked for notifications
   (VIRTQ_USED_F_NO_NOTIFY, or the event index with VIRTIO_F_EVENT_IDX). */
VIRTIO_API int virtio_queue_kick(virtio_queue *q);

/* Notifies the device about the queue now, whatever its suppression says: for a device that
   starts reading buffers already published only when told again after some other event (QEMU's
   virtio-serial port, once the guest opens it). Spurious notifications are harmless ("The device
   MUST handle spurious notifications from the driver"). VIRTIO_ESTATE before DRIVER_OK. */
VIRTIO_API int virtio_queue_notify(virtio_queue *q);

/* Takes one used buffer if there is one: its cookie and the bytes the device wrote.
   VIRTIO_EAGAIN if none yet; VIRTIO_EDEVICE (latched) if the device returned an id that is out of
   range or not outstanding, or moved used.idx past what is outstanding. A length above what
   was posted writable is clamped to it and counted in virtio_dev_clamped (not counted on a
   queue with VIRTIO_QUEUE_F_IGNORE_LEN). cookie and len may be NULL. Every
   VIRTIO_POLL_CHECK_MASK + 1 empty polls of a device it reads the status register, so a
   device that set NEEDS_RESET (or reset itself) gives VIRTIO_ENEEDS_RESET / VIRTIO_EDEVICE,
   latched, without a wait; it never resets the device. */
VIRTIO_API int virtio_queue_poll(virtio_queue *q, void **cookie, uint32_t *len);

/* virtio_queue_poll, waiting (bounded) for a used buffer. VIRTIO_EAGAIN at once if no
   published chain is outstanding (nothing to wait for: kick first); VIRTIO_ETIMEDOUT if none
   came within the bound. Every VIRTIO_STATUS_CHECK_MASK + 1 idle iterations it checks the
   device status, so a device that sets NEEDS_RESET ends the wait with VIRTIO_ENEEDS_RESET,
   and notifies the device again (a lost notification costs time, not the queue). It does not
   reset the device: a blocking call of a driver calls virtio_dev_abandon when this fails. */
VIRTIO_API int virtio_queue_wait(virtio_queue *q, void **cookie, uint32_t *len);

/* One idle iteration of a driver's own bounded wait for used buffers of `q` (a receive loop
   that polls something of its own): virtio_dev_spin, plus the occasional repeated notification
   of virtio_queue_wait when q has published buffers outstanding. */
VIRTIO_API int virtio_queue_spin(virtio_queue *q, uint32_t iteration);

/* Entries of the queue; descriptors free; chains pending (added and not yet used). */
VIRTIO_API uint32_t virtio_queue_size(const virtio_queue *q);
VIRTIO_API uint32_t virtio_queue_free(const virtio_queue *q);
VIRTIO_API uint32_t virtio_queue_pending(const virtio_queue *q);
/* 0 if the queue is set up and healthy; VIRTIO_ESTATE if it never was; else the latched
   error of the queue or of its device. */
VIRTIO_API int virtio_queue_usable(const virtio_queue *q);

/* ---- Helpers shared by the device headers ---------------------------------------------------- */
VIRTIO_API const char *virtio_result_str(int result);
/* Zeroes / copies n bytes (VIRTIO_MEMSET / VIRTIO_MEMCPY; by default loops by aligned words
   that never turn into libc calls). NULL pointers with n == 0 are fine. */
VIRTIO_API void virtio_zero(void *p, size_t n);
VIRTIO_API void virtio_copy(void *dst, const void *src, size_t n);
/* Rounds x up to a multiple of a (a power of two). */
VIRTIO_API size_t virtio_align_up(size_t x, size_t a);
/* Little-endian loads and stores at any alignment (network fields, device structures). */
VIRTIO_API uint16_t virtio_le16(const void *p);
VIRTIO_API uint32_t virtio_le32(const void *p);
VIRTIO_API uint64_t virtio_le64(const void *p);
VIRTIO_API void virtio_put_le16(void *p, uint16_t v);
VIRTIO_API void virtio_put_le32(void *p, uint32_t v);
VIRTIO_API void virtio_put_le64(void *p, uint64_t v);

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
/* Empty non-blocking polls (virtio_queue_poll finding nothing, on any queue of a device)
   between two looks at the status register, so that a caller that only polls notices
   NEEDS_RESET too. A power of two minus one; one register read per this many empty polls. */
#ifndef VIRTIO_POLL_CHECK_MASK
#define VIRTIO_POLL_CHECK_MASK 0x3ffu
#endif

/* The library's own loops are compiled only where the user did not name a replacement. */
#ifndef VIRTIO_MEMSET
#define VIRTIO__OWN_MEMSET
#define VIRTIO_MEMSET(p, c, n) virtio__memset((p), (c), (n))
#endif
#ifndef VIRTIO_MEMCPY
#define VIRTIO__OWN_MEMCPY
#define VIRTIO_MEMCPY(d, s, n) virtio__memcpy((d), (s), (n))
#endif

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) &&                                    \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define VIRTIO__BIG_ENDIAN 1
#else
#define VIRTIO__BIG_ENDIAN 0
#endif

/* The packed ring's and the indirect tables' paths stay out of line: inlined, they would make
   the split ring's add, kick and poll save a dozen more registers on every call. A few small
   helpers of the hot paths are in line always. */
#if defined(__GNUC__) || defined(__clang__)
#define VIRTIO__OUT_OF_LINE __attribute__((noinline))
#define VIRTIO__IN_LINE     __inline__ __attribute__((always_inline))
#else
#define VIRTIO__OUT_OF_LINE
#define VIRTIO__IN_LINE
#endif

/* A device on the legacy interface: never, in a build without it (the legacy paths fold away). */
#ifdef VIRTIO_NO_LEGACY
#define VIRTIO__DEV_LEGACY(dev) 0
#else
#define VIRTIO__DEV_LEGACY(dev) ((dev)->t.legacy)
#endif

/* The queue uses the event index: never, in a build that does not negotiate it (the kick's
   and the poll's event paths fold away). */
#ifdef VIRTIO_NO_EVENT_IDX
#define VIRTIO__EVENT_IDX(q) 0
#else
#define VIRTIO__EVENT_IDX(q) ((q)->event_idx)
#endif

#define VIRTIO__RETURN_IF_BROKEN(q)                                                                \
    do {                                                                                           \
        if ((q)->error) return (q)->error;                                                         \
        if ((q)->dev->error) return (q)->dev->error;                                               \
    } while (0)

/* Zeroing and copying by aligned words, with byte heads and tails (a driver zeroes its rings and
   request memory at init: byte by byte that was most of an init). Volatile stores: the loops
   never become memset() / memcpy() calls, which freestanding builds lack. Word access needs a
   type that may alias anything (GCC, clang); other compilers copy bytes. */
#if defined(__GNUC__) || defined(__clang__)
typedef uintptr_t virtio__word __attribute__((may_alias));
#define VIRTIO__W          sizeof(virtio__word)
#define VIRTIO__ALIGNED(p) (((uintptr_t)(p) & (VIRTIO__W - 1u)) == 0)
#endif
#ifdef VIRTIO__OWN_MEMSET
static void virtio__memset(void *p, int c, size_t n) {
    volatile unsigned char *b = (volatile unsigned char *)p;
#ifdef VIRTIO__W
    virtio__word w = (virtio__word)-1 / 0xffu * (unsigned char)c;
    volatile virtio__word *q;
    for (; n && !VIRTIO__ALIGNED(b); n--)
        *b++ = (unsigned char)c;
    /* Four words a round: rings of a large queue are kilobytes. */
    for (q = (volatile virtio__word *)(volatile void *)b; n >= 4 * VIRTIO__W; n -= 4 * VIRTIO__W) {
        q[0] = w;
        q[1] = w;
        q[2] = w;
        q[3] = w;
        q += 4;
    }
    for (; n >= VIRTIO__W; n -= VIRTIO__W)
        *q++ = w;
    b = (volatile unsigned char *)q;
#endif
    while (n--)
        *b++ = (unsigned char)c;
}
#endif
#ifdef VIRTIO__OWN_MEMCPY
static void virtio__memcpy(void *d, const void *s, size_t n) {
    volatile unsigned char *o = (volatile unsigned char *)d;
    const unsigned char *i = (const unsigned char *)s;
#ifdef VIRTIO__W
    if (((uintptr_t)o & (VIRTIO__W - 1u)) == ((uintptr_t)i & (VIRTIO__W - 1u))) {
        for (; n && !VIRTIO__ALIGNED(o); n--)
            *o++ = *i++;
        for (; n >= VIRTIO__W; n -= VIRTIO__W, o += VIRTIO__W, i += VIRTIO__W)
            *(volatile virtio__word *)(volatile void *)o = *(const virtio__word *)(const void *)i;
    }
#endif
    while (n--)
        *o++ = *i++;
}
#endif

static uint16_t virtio__bswap16(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }
static uint32_t virtio__bswap32(uint32_t v) {
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

/* Ring fields are little-endian on modern devices and in the guest's order on legacy ones
   (virtio 1.4 "Legacy Interface: A Note on Endianness"): swap only on a big-endian CPU talking
   to a modern device. On little-endian CPUs these compile to nothing. */
#if VIRTIO__BIG_ENDIAN
#define VIRTIO__R16(q, v) ((q)->legacy ? (uint16_t)(v) : virtio__bswap16((uint16_t)(v)))
#define VIRTIO__R32(q, v) ((q)->legacy ? (uint32_t)(v) : virtio__bswap32((uint32_t)(v)))
#define VIRTIO__R64(q, v)                                                                          \
    ((q)->legacy ? (uint64_t)(v)                                                                   \
                 : ((uint64_t)virtio__bswap32((uint32_t)(v)) << 32 |                               \
                    virtio__bswap32((uint32_t)((uint64_t)(v) >> 32))))
#else
#define VIRTIO__R16(q, v) ((uint16_t)(v))
#define VIRTIO__R32(q, v) ((uint32_t)(v))
#define VIRTIO__R64(q, v) ((uint64_t)(v))
#endif

/* ---- Helpers --------------------------------------------------------------------------------- */
VIRTIO_DEF void virtio_zero(void *p, size_t n) {
    if (p && n) VIRTIO_MEMSET(p, 0, n);
}
VIRTIO_DEF void virtio_copy(void *dst, const void *src, size_t n) {
    if (dst && src && n) VIRTIO_MEMCPY(dst, src, n);
}
VIRTIO_DEF size_t virtio_align_up(size_t x, size_t a) { return (x + a - 1u) & ~(a - 1u); }
VIRTIO_DEF uint16_t virtio_le16(const void *p) {
    const uint8_t *b = (const uint8_t *)p;
    return (uint16_t)(b[0] | (uint16_t)(b[1] << 8));
}
VIRTIO_DEF uint32_t virtio_le32(const void *p) {
    const uint8_t *b = (const uint8_t *)p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
VIRTIO_DEF uint64_t virtio_le64(const void *p) {
    return (uint64_t)virtio_le32(p) | (uint64_t)virtio_le32((const uint8_t *)p + 4) << 32;
}
VIRTIO_DEF void virtio_put_le16(void *p, uint16_t v) {
    uint8_t *b = (uint8_t *)p;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}
VIRTIO_DEF void virtio_put_le32(void *p, uint32_t v) {
    virtio_put_le16(p, (uint16_t)v);
    virtio_put_le16((uint8_t *)p + 2, (uint16_t)(v >> 16));
}
VIRTIO_DEF void virtio_put_le64(void *p, uint64_t v) {
    virtio_put_le32(p, (uint32_t)v);
    virtio_put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

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
    *(volatile uint16_t *)(void *)((char *)user + off) =
        VIRTIO__BIG_ENDIAN ? virtio__bswap16(v) : v;
}
static void virtio__mmio_write32(void *user, unsigned region, uint32_t off, uint32_t v) {
    (void)region;
    VIRTIO_MMIO_BEFORE_WRITE();
    *(volatile uint32_t *)(void *)((char *)user + off) =
        VIRTIO__BIG_ENDIAN ? virtio__bswap32(v) : v;
}

VIRTIO_DEF virtio_regs virtio_mmio_regs(void *base) {
    virtio_regs r;
    r.read8 = virtio__mmio_read8;
    r.read16 = virtio__mmio_read16;
    r.read32 = virtio__mmio_read32;
    r.write8 = virtio__mmio_write8;
    r.write16 = virtio__mmio_write16;
    r.write32 = virtio__mmio_write32;
    r.user = base;
    r.dma = 0;
    r.relax = 0;
    r.relax_user = 0;
    r.spin_limit = 0;
    r.flags = 0;
    return r;
}

/* ---- Transport: virtio-mmio ------------------------------------------------------------------ */
/* The only code that knows a virtio-mmio register. Everything above reaches the device through
   virtio_transport_ops (VIRTIO__OP: with VIRTIO_MMIO_ONLY, these functions by name). */
/* QEMU keeps the legacy registers in the guest's own order (a "native endian" region), where
   the spec says little-endian: on a big-endian CPU the accessor's conversion then gives each
   register swapped, and the probe sees MagicValue backwards. t->swap undoes it. */
#if VIRTIO__BIG_ENDIAN && !defined(VIRTIO_NO_LEGACY)
#define VIRTIO__MMIO_SWAP(t, v) ((t)->swap ? virtio__bswap32(v) : (v))
#else
#define VIRTIO__MMIO_SWAP(t, v) (v)
#endif
static uint32_t virtio__rd(virtio_transport *t, uint32_t off) {
    uint32_t v = t->regs.read32(t->regs.user, VIRTIO_REGION_MMIO, off);
    return VIRTIO__MMIO_SWAP(t, v);
}
static void virtio__wr(virtio_transport *t, uint32_t off, uint32_t v) {
    t->regs.write32(t->regs.user, VIRTIO_REGION_MMIO, off, VIRTIO__MMIO_SWAP(t, v));
}
#ifdef VIRTIO_NO_LEGACY
#define VIRTIO__MMIO_LEGACY(t) 0
#else
#define VIRTIO__MMIO_LEGACY(t) ((t)->legacy)
#endif

static uint32_t virtio__mmio_get_status(virtio_transport *t) {
    return virtio__rd(t, VIRTIO_MMIO_STATUS) & 0xffu;
}
static void virtio__mmio_set_status(virtio_transport *t, uint32_t status) {
    /* A reset may clear QueueSel, and clears QueueReady of every queue: "Upon reset, the
       device MUST clear ... ready bits in the QueueReady register for all queues" (MMIO
       "Device Requirements"). The core goes on only once the reset is complete. */
    if (status == 0) t->sel = 0xffffffffu, t->fresh = 0;
    virtio__wr(t, VIRTIO_MMIO_STATUS, status);
}
static uint32_t virtio__mmio_get_features(virtio_transport *t, uint32_t word) {
    if (VIRTIO__MMIO_LEGACY(t) && word != 0) return 0; /* HostFeatures: 32 bits */
    virtio__wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, word);
    return virtio__rd(t, VIRTIO_MMIO_DEVICE_FEATURES);
}
static void virtio__mmio_set_features(virtio_transport *t, uint32_t word, uint32_t value) {
    if (VIRTIO__MMIO_LEGACY(t) && word != 0) return;
    virtio__wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, word);
    virtio__wr(t, VIRTIO_MMIO_DRIVER_FEATURES, value);
}
/* VIRTIO_REGS_F_CONFIG32: the `width` bytes at config offset `off` out of aligned 32-bit
   reads (a field never crosses a word: config fields are naturally aligned), as the
   little-endian value the narrow read would have given. */
static uint32_t virtio__cfg32_read(virtio_transport *t, uint32_t off, unsigned width) {
    uint32_t w = t->regs.read32(t->regs.user, VIRTIO_REGION_MMIO, VIRTIO_MMIO_CONFIG + (off & ~3u));
    w >>= 8u * (off & 3u);
    return width == 1 ? (w & 0xffu) : (w & 0xffffu);
}
static void virtio__cfg32_write(virtio_transport *t, uint32_t off, unsigned width, uint32_t v) {
    uint32_t o = VIRTIO_MMIO_CONFIG + (off & ~3u), sh = 8u * (off & 3u);
    uint32_t mask = (width == 1 ? 0xffu : 0xffffu) << sh;
    uint32_t w = t->regs.read32(t->regs.user, VIRTIO_REGION_MMIO, o);
    t->regs.write32(t->regs.user, VIRTIO_REGION_MMIO, o, (w & ~mask) | ((v << sh) & mask));
}

/* The accessor gives little-endian registers in CPU order; legacy configuration is in guest
   order already, so a big-endian CPU swaps it back. */
static uint32_t virtio__mmio_config_read(virtio_transport *t, uint32_t off, unsigned width) {
    uint32_t o = VIRTIO_MMIO_CONFIG + off;
    if (width < 4 && (t->regs.flags & VIRTIO_REGS_F_CONFIG32)) {
        uint32_t v = virtio__cfg32_read(t, off, width);
        if (width == 2 && VIRTIO__BIG_ENDIAN && VIRTIO__MMIO_LEGACY(t))
            v = virtio__bswap16((uint16_t)v);
        return v;
    }
    if (width == 1) return t->regs.read8(t->regs.user, VIRTIO_REGION_MMIO, o);
    if (width == 2) {
        uint16_t v = t->regs.read16(t->regs.user, VIRTIO_REGION_MMIO, o);
        return (VIRTIO__BIG_ENDIAN && VIRTIO__MMIO_LEGACY(t)) ? virtio__bswap16(v) : v;
    } else {
        uint32_t v = t->regs.read32(t->regs.user, VIRTIO_REGION_MMIO, o);
        return (VIRTIO__BIG_ENDIAN && VIRTIO__MMIO_LEGACY(t)) ? virtio__bswap32(v) : v;
    }
}
static void virtio__mmio_config_write(virtio_transport *t, uint32_t off, unsigned width,
                                      uint32_t value) {
    uint32_t o = VIRTIO_MMIO_CONFIG + off;
    if (width < 4 && (t->regs.flags & VIRTIO_REGS_F_CONFIG32)) {
        if (width == 2 && VIRTIO__BIG_ENDIAN && VIRTIO__MMIO_LEGACY(t))
            value = virtio__bswap16((uint16_t)value);
        virtio__cfg32_write(t, off, width, value);
        return;
    }
    if (width == 1) {
        t->regs.write8(t->regs.user, VIRTIO_REGION_MMIO, o, (uint8_t)value);
    } else if (width == 2) {
        uint16_t v = (uint16_t)value;
        if (VIRTIO__BIG_ENDIAN && VIRTIO__MMIO_LEGACY(t)) v = virtio__bswap16(v);
        t->regs.write16(t->regs.user, VIRTIO_REGION_MMIO, o, v);
    } else {
        if (VIRTIO__BIG_ENDIAN && VIRTIO__MMIO_LEGACY(t)) value = virtio__bswap32(value);
        t->regs.write32(t->regs.user, VIRTIO_REGION_MMIO, o, value);
    }
}
static uint32_t virtio__mmio_config_generation(virtio_transport *t) {
    return VIRTIO__MMIO_LEGACY(t) ? 0u : virtio__rd(t, VIRTIO_MMIO_CONFIG_GENERATION);
}
static void virtio__mmio_select(virtio_transport *t, uint32_t index) {
    if (t->sel == index) return;
    virtio__wr(t, VIRTIO_MMIO_QUEUE_SEL, index);
    t->sel = index;
}
/* "Select the queue ... Check if the queue is not already in use ... Read maximum queue size
   (number of elements) from QueueSizeMax. If the returned value is zero (0x0) the queue is not
   available." (MMIO "Virtqueue Configuration"; legacy: QueuePFN instead of QueueReady) */
static uint32_t virtio__mmio_queue_max(virtio_transport *t, uint32_t index) {
    virtio__mmio_select(t, index);
    /* Not read where the reset cleared it and no enable since set it (modern only). */
    if ((VIRTIO__MMIO_LEGACY(t) || index < t->fresh) &&
        virtio__rd(t, VIRTIO__MMIO_LEGACY(t) ? VIRTIO_MMIO_QUEUE_PFN : VIRTIO_MMIO_QUEUE_READY))
        return 0;
    return virtio__rd(t, VIRTIO_MMIO_QUEUE_SIZE_MAX);
}
static int virtio__mmio_queue_enable(virtio_transport *t, uint32_t index, uint32_t size,
                                     uint64_t desc, uint64_t driver, uint64_t device,
                                     uint32_t *notify) {
    virtio__mmio_select(t, index);
    if (index >= t->fresh) t->fresh = index + 1u; /* index 0xffff at most */
    virtio__wr(t, VIRTIO_MMIO_QUEUE_SIZE, size);
    *notify = index; /* QueueNotify takes the queue index */
#ifndef VIRTIO_NO_LEGACY
    if (t->legacy) {
        /* Legacy: one block whose page number goes to QueuePFN; the used ring starts at the
           next QueueAlign boundary after the available ring (MMIO "Legacy interface"). */
        (void)driver;
        (void)device;
        virtio__wr(t, VIRTIO_MMIO_GUEST_PAGE_SIZE, VIRTIO_MMIO_LEGACY_PAGE_SIZE);
        virtio__wr(t, VIRTIO_MMIO_QUEUE_ALIGN, VIRTIO_MMIO_LEGACY_PAGE_SIZE);
        virtio__wr(t, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(desc / VIRTIO_MMIO_LEGACY_PAGE_SIZE));
        return 0;
    }
#endif
    /* QueueDescLow / High, QueueDriverLow / High, QueueDeviceLow / High: 16 bytes apart. */
    {
        uint64_t a[3];
        uint32_t i;
        a[0] = desc;
        a[1] = driver;
        a[2] = device;
        for (i = 0; i < 3; i++) {
            virtio__wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW + 16u * i, (uint32_t)a[i]);
            virtio__wr(t, VIRTIO_MMIO_QUEUE_DESC_HIGH + 16u * i, (uint32_t)(a[i] >> 32));
        }
    }
    virtio__wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
    return 0;
}
static void virtio__mmio_notify(virtio_transport *t, uint32_t index, uint32_t notify) {
    (void)index;
    virtio__wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, notify);
}
static uint32_t virtio__mmio_interrupt_ack(virtio_transport *t) {
    uint32_t v = virtio__rd(t, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (v) virtio__wr(t, VIRTIO_MMIO_INTERRUPT_ACK, v);
    return v;
}

#ifdef VIRTIO_MMIO_ONLY
/* VIRTIO_MMIO_ONLY: no table. The core calls these functions by name (VIRTIO__OP), so the
   linker keeps only those a program reaches; a probed transport has ops NULL and kind
   VIRTIO_TRANSPORT_MMIO, which is what marks it live (VIRTIO__LIVE). */
#define VIRTIO__OP(t, op)      virtio__mmio_##op
#define VIRTIO__LIVE(t)        ((t)->kind == VIRTIO_TRANSPORT_MMIO)
#define VIRTIO__QUEUE_FIXED(t) 0u /* virtio-mmio: QueueNum is the driver's */
#else
static const virtio_transport_ops virtio__mmio_ops = {
    virtio__mmio_get_status,        virtio__mmio_set_status,
    virtio__mmio_get_features,      virtio__mmio_set_features,
    virtio__mmio_config_read,       virtio__mmio_config_write,
    virtio__mmio_config_generation, virtio__mmio_queue_max,
    virtio__mmio_queue_enable,      virtio__mmio_notify,
    virtio__mmio_interrupt_ack};
#define VIRTIO__OP(t, op)      (t)->ops->op
#define VIRTIO__LIVE(t)        ((t)->ops != 0)
#define VIRTIO__QUEUE_FIXED(t) ((t)->queue_fixed)
#endif

/* The hot path's two register accesses (a queue notification, the interrupt status) can skip
   the calls through ops and accessor where the transport is virtio-mmio with the library's own
   accessor (virtio_mmio_regs) on a little-endian CPU: the same volatile access with the same
   fences. virtio_dev_attach records the register base then (virtio_dev.mmio); the device's
   copy of the transport never changes afterwards. */
#if !VIRTIO__BIG_ENDIAN
#define VIRTIO__MMIO_DIRECT 1
static void *virtio__mmio_direct(const virtio_transport *t) {
#ifdef VIRTIO_MMIO_ONLY
    return t->regs.read32 == virtio__mmio_read32 &&
#else
    return t->ops == &virtio__mmio_ops && t->regs.read32 == virtio__mmio_read32 &&
#endif
                   t->regs.write32 == virtio__mmio_write32
               ? t->regs.user
               : 0;
}
#define VIRTIO__MMIO_REG(base, off) (*(volatile uint32_t *)(void *)((char *)(base) + (off)))
/* virtio__mmio_interrupt_ack and virtio__mmio_notify on the register base itself. */
static VIRTIO__IN_LINE uint32_t virtio__mmio_direct_ack(void *base) {
    uint32_t v = VIRTIO__MMIO_REG(base, VIRTIO_MMIO_INTERRUPT_STATUS);
    VIRTIO_MMIO_AFTER_READ();
    if (v) {
        VIRTIO_MMIO_BEFORE_WRITE();
        VIRTIO__MMIO_REG(base, VIRTIO_MMIO_INTERRUPT_ACK) = v;
    }
    return v;
}
static VIRTIO__IN_LINE void virtio__mmio_direct_notify(void *base, uint32_t notify) {
    VIRTIO_MMIO_BEFORE_WRITE();
    VIRTIO__MMIO_REG(base, VIRTIO_MMIO_QUEUE_NOTIFY) = notify;
}
#endif

static int virtio__regs_complete(const virtio_regs *r) {
    return r && r->read8 && r->read16 && r->read32 && r->write8 && r->write16 && r->write32;
}

/* The probe's register read: `swap` 1 when MagicValue came backwards, which on a big-endian
   CPU means registers in the CPU's order (QEMU's legacy devices). -1: no magic at all. */
static int virtio__mmio_swap(uint32_t (*rd)(void *, unsigned, uint32_t), void *user) {
    uint32_t m = rd(user, VIRTIO_REGION_MMIO, VIRTIO_MMIO_MAGIC_VALUE);
    if (m == VIRTIO_MMIO_MAGIC) return 0;
#if VIRTIO__BIG_ENDIAN && !defined(VIRTIO_NO_LEGACY)
    if (m == virtio__bswap32(VIRTIO_MMIO_MAGIC)) return 1;
#endif
    return -1;
}
static uint32_t virtio__mmio_probe_rd(uint32_t (*rd)(void *, unsigned, uint32_t), void *user,
                                      int swap, uint32_t off) {
    uint32_t v = rd(user, VIRTIO_REGION_MMIO, off);
#if VIRTIO__BIG_ENDIAN && !defined(VIRTIO_NO_LEGACY)
    return swap ? virtio__bswap32(v) : v;
#else
    (void)swap; /* virtio__mmio_swap never finds swapped registers here */
    return v;
#endif
}

VIRTIO_DEF int virtio_mmio_transport(virtio_transport *t, const virtio_regs *regs) {
    uint32_t version, id;
    int swap;
    if (!t || !virtio__regs_complete(regs)) return VIRTIO_EINVAL;
    /* Probe: "The driver MUST ignore a device with MagicValue which is not 0x74726976 ... with
       Version which is not 0x2 [or 0x1 for a legacy driver] ... with DeviceID 0x0". */
    swap = virtio__mmio_swap(regs->read32, regs->user);
    if (swap < 0) return VIRTIO_ENODEV;
    version = virtio__mmio_probe_rd(regs->read32, regs->user, swap, VIRTIO_MMIO_VERSION);
#ifdef VIRTIO_NO_LEGACY
    if (version != 2) return VIRTIO_EVERSION;
#else
    if (version != 1 && version != 2) return VIRTIO_EVERSION;
    if (swap && version != 1) return VIRTIO_EVERSION; /* only legacy registers come native */
#endif
    id = virtio__mmio_probe_rd(regs->read32, regs->user, swap, VIRTIO_MMIO_DEVICE_ID);
    if (id == 0) return VIRTIO_ENODEV;
#ifdef VIRTIO_MMIO_ONLY
    t->ops = 0; /* the core calls the virtio-mmio functions itself */
#else
    t->ops = &virtio__mmio_ops;
#endif
    /* Field by field: a struct copy may become a memcpy call, which freestanding builds lack. */
    virtio_copy(&t->regs, regs, sizeof *regs);
    t->kind = VIRTIO_TRANSPORT_MMIO;
    t->device_id = id;
    t->vendor_id = virtio__mmio_probe_rd(regs->read32, regs->user, swap, VIRTIO_MMIO_VENDOR_ID);
    t->legacy = version == 1;
    t->version = version;
    t->sel = t->fresh = 0xffffffffu;
    t->priv = 0;
    t->swap = (uint32_t)swap;
    t->queue_fixed = 0; /* QueueNum is the driver's to write */
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_mmio_scan(const virtio_regs *regs, void *base, size_t stride, unsigned count,
                                virtio_mmio_slot *out, unsigned max) {
    uint32_t (*rd)(void *, unsigned, uint32_t);
    unsigned i, found = 0;
    if (!base || (max && !out) || (regs && !regs->read32)) return VIRTIO_EINVAL;
    rd = regs ? regs->read32 : virtio__mmio_read32;
    for (i = 0; i < count; i++) {
        void *slot = (char *)base + (size_t)i * stride;
        uint32_t id;
        int swap = virtio__mmio_swap(rd, slot);
        if (swap < 0) continue;
        id = virtio__mmio_probe_rd(rd, slot, swap, VIRTIO_MMIO_DEVICE_ID);
        if (id == 0) continue; /* an empty slot: virtio 1.4 "MMIO Device Register Layout" */
        if (found < max) {
            out[found].base = slot;
            out[found].index = i;
            out[found].version = virtio__mmio_probe_rd(rd, slot, swap, VIRTIO_MMIO_VERSION);
            out[found].device_id = id;
            out[found].vendor_id = virtio__mmio_probe_rd(rd, slot, swap, VIRTIO_MMIO_VENDOR_ID);
        }
        found++;
    }
    return (int)found;
}
#undef VIRTIO__MMIO_LEGACY
#undef VIRTIO__MMIO_SWAP
/* ---- End of the transport section ------------------------------------------------------------ */

/* ---- Transport: virtio-pci ------------------------------------------------------------------ */
/* virtio 1.4 "Virtio Over PCI Bus". The only code that knows a virtio-pci register. Everything
   the function tells us (capability list, BAR sizes, queue_notify_off) is checked before it
   becomes an offset: the transport never reaches outside a structure it validated. */
#define VIRTIO__PCI_COMMAND       0x04u
#define VIRTIO__PCI_STATUS        0x06u
#define VIRTIO__PCI_HEADER_TYPE   0x0eu
#define VIRTIO__PCI_BAR0          0x10u
#define VIRTIO__PCI_SUBSYSTEM_ID  0x2eu
#define VIRTIO__PCI_CAP_PTR       0x34u
#define VIRTIO__PCI_BUSES         0x18u /* type 1: primary, secondary, subordinate bus */
#define VIRTIO__PCI_SECONDARY     0x19u
#define VIRTIO__PCI_SUBORDINATE   0x1au
#define VIRTIO__PCI_IO_BASE       0x1cu /* type 1: I/O base, limit (8 bits each, 4 KiB units) */
#define VIRTIO__PCI_MEM_BASE      0x20u /* type 1: memory base, limit (16 bits each, 1 MiB) */
#define VIRTIO__PCI_PREF_BASE     0x24u /* type 1: prefetchable base, limit, upper halves */
#define VIRTIO__PCI_IO_UPPER      0x30u
#define VIRTIO__PCI_CMD_DECODE    0x3u /* I/O space, memory space */
#define VIRTIO__PCI_CMD_MASTER    0x4u
#define VIRTIO__PCI_STATUS_CAPS   0x10u
#define VIRTIO__PCI_CAP_ID_MSIX   0x11u
#define VIRTIO__PCI_CAP_ID_VENDOR 0x09u
#define VIRTIO__PCI_COMMON        0
#define VIRTIO__PCI_NOTIFY        1
#define VIRTIO__PCI_ISR           2
#define VIRTIO__PCI_DEVICE        3
#ifdef VIRTIO_NO_LEGACY
#define VIRTIO__PCI_LEGACY(t) 0
#else
#define VIRTIO__PCI_LEGACY(t) ((t)->legacy)
#endif

/* "PCI configuration access capability": one access of `width` bytes at `off` of structure
   `w` through the window at configuration offset t->pci_cfg: cap.bar, cap.length, cap.offset,
   then pci_cfg_data. "all accesses MUST be aligned": a misaligned one (never made by the
   transport itself) goes byte by byte. The offset is inside a validated structure. */
static uint32_t virtio__pci_win(virtio_transport *t, int w, uint32_t off, unsigned width, int write,
                                uint32_t v) {
    const virtio_regs *r = &t->regs;
    uint32_t c = t->pci_cfg, at = t->pci[w].off + off, i, out = 0;
    if (at & (width - 1u)) {
        for (i = 0; i < width; i++)
            out |= virtio__pci_win(t, w, off + i, 1, write, v >> (8u * i)) << (8u * i);
        return out;
    }
    r->write8(r->user, VIRTIO_REGION_PCI_CONFIG, c + VIRTIO_PCI_CAP_BAR,
              (uint8_t)(t->pci[w].region - VIRTIO_REGION_PCI_BAR(0)));
    r->write32(r->user, VIRTIO_REGION_PCI_CONFIG, c + VIRTIO_PCI_CAP_LENGTH, width);
    r->write32(r->user, VIRTIO_REGION_PCI_CONFIG, c + VIRTIO_PCI_CAP_OFFSET, at);
    c += VIRTIO_PCI_CFG_DATA;
    if (write) {
        if (width == 1)
            r->write8(r->user, VIRTIO_REGION_PCI_CONFIG, c, (uint8_t)v);
        else if (width == 2)
            r->write16(r->user, VIRTIO_REGION_PCI_CONFIG, c, (uint16_t)v);
        else
            r->write32(r->user, VIRTIO_REGION_PCI_CONFIG, c, v);
        return 0;
    }
    if (width == 1) return r->read8(r->user, VIRTIO_REGION_PCI_CONFIG, c);
    if (width == 2) return r->read16(r->user, VIRTIO_REGION_PCI_CONFIG, c);
    return r->read32(r->user, VIRTIO_REGION_PCI_CONFIG, c);
}
static uint8_t virtio__pci_r8(virtio_transport *t, int w, uint32_t off) {
    if (t->pci_cfg) return (uint8_t)virtio__pci_win(t, w, off, 1, 0, 0);
    return t->regs.read8(t->regs.user, t->pci[w].region, t->pci[w].off + off);
}
static uint16_t virtio__pci_r16(virtio_transport *t, int w, uint32_t off) {
    if (t->pci_cfg) return (uint16_t)virtio__pci_win(t, w, off, 2, 0, 0);
    return t->regs.read16(t->regs.user, t->pci[w].region, t->pci[w].off + off);
}
static uint32_t virtio__pci_r32(virtio_transport *t, int w, uint32_t off) {
    if (t->pci_cfg) return virtio__pci_win(t, w, off, 4, 0, 0);
    return t->regs.read32(t->regs.user, t->pci[w].region, t->pci[w].off + off);
}
static void virtio__pci_w8(virtio_transport *t, int w, uint32_t off, uint32_t v) {
    if (t->pci_cfg)
        (void)virtio__pci_win(t, w, off, 1, 1, v);
    else
        t->regs.write8(t->regs.user, t->pci[w].region, t->pci[w].off + off, (uint8_t)v);
}
static void virtio__pci_w16(virtio_transport *t, int w, uint32_t off, uint32_t v) {
    if (t->pci_cfg)
        (void)virtio__pci_win(t, w, off, 2, 1, v);
    else
        t->regs.write16(t->regs.user, t->pci[w].region, t->pci[w].off + off, (uint16_t)v);
}
static void virtio__pci_w32(virtio_transport *t, int w, uint32_t off, uint32_t v) {
    if (t->pci_cfg)
        (void)virtio__pci_win(t, w, off, 4, 1, v);
    else
        t->regs.write32(t->regs.user, t->pci[w].region, t->pci[w].off + off, v);
}
/* Legacy header offsets, modern common configuration offsets: one switch per operation. */
#define VIRTIO__PCI_L(t, legacy_off, modern_off)                                                   \
    (VIRTIO__PCI_LEGACY(t) ? (legacy_off) : (modern_off))

static uint32_t virtio__pci_get_status(virtio_transport *t) {
    return virtio__pci_r8(
        t, VIRTIO__PCI_COMMON,
        VIRTIO__PCI_L(t, VIRTIO_PCI_LEGACY_DEVICE_STATUS, VIRTIO_PCI_COMMON_DEVICE_STATUS));
}
static void virtio__pci_set_status(virtio_transport *t, uint32_t status) {
    if (status == 0) t->sel = 0xffffffffu; /* a reset may clear queue_select */
    /* We poll: at the first step of initialization, no vector for configuration changes
       (legacy: the field exists only while MSI-X is enabled, and then config moved to 24). */
    if (status == VIRTIO_STATUS_ACKNOWLEDGE) {
        if (!VIRTIO__PCI_LEGACY(t))
            virtio__pci_w16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_CONFIG_MSIX_VECTOR,
                            VIRTIO_MSI_NO_VECTOR);
        else if (t->pci[VIRTIO__PCI_DEVICE].off == VIRTIO_PCI_LEGACY_CONFIG_MSIX)
            virtio__pci_w16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_CONFIG_MSIX_VECTOR,
                            VIRTIO_MSI_NO_VECTOR);
    }
    virtio__pci_w8(
        t, VIRTIO__PCI_COMMON,
        VIRTIO__PCI_L(t, VIRTIO_PCI_LEGACY_DEVICE_STATUS, VIRTIO_PCI_COMMON_DEVICE_STATUS), status);
}
static uint32_t virtio__pci_get_features(virtio_transport *t, uint32_t word) {
    if (VIRTIO__PCI_LEGACY(t))
        return word ? 0u : virtio__pci_r32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_HOST_FEATURES);
    virtio__pci_w32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_DEVICE_FEATURE_SELECT, word);
    return virtio__pci_r32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_DEVICE_FEATURE);
}
static void virtio__pci_set_features(virtio_transport *t, uint32_t word, uint32_t value) {
    if (VIRTIO__PCI_LEGACY(t)) {
        if (word == 0)
            virtio__pci_w32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_GUEST_FEATURES, value);
        return;
    }
    virtio__pci_w32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_DRIVER_FEATURE_SELECT, word);
    virtio__pci_w32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_DRIVER_FEATURE, value);
}
/* Device configuration: little-endian on a modern device, the guest's order through the legacy
   header ("Legacy Interfaces: A Note on PCI Device Layout"), so a big-endian CPU swaps back
   what the (little-endian) accessor converted. Outside the structure: reads 0, writes drop. */
static uint32_t virtio__pci_config_read(virtio_transport *t, uint32_t off, unsigned width) {
    uint32_t len = t->pci[VIRTIO__PCI_DEVICE].len;
    if (off > len || width > len - off) return 0;
    if (width == 1) return virtio__pci_r8(t, VIRTIO__PCI_DEVICE, off);
    if (width == 2) {
        uint16_t v = virtio__pci_r16(t, VIRTIO__PCI_DEVICE, off);
        return (VIRTIO__BIG_ENDIAN && VIRTIO__PCI_LEGACY(t)) ? virtio__bswap16(v) : v;
    } else {
        uint32_t v = virtio__pci_r32(t, VIRTIO__PCI_DEVICE, off);
        return (VIRTIO__BIG_ENDIAN && VIRTIO__PCI_LEGACY(t)) ? virtio__bswap32(v) : v;
    }
}
static void virtio__pci_config_write(virtio_transport *t, uint32_t off, unsigned width,
                                     uint32_t value) {
    uint32_t len = t->pci[VIRTIO__PCI_DEVICE].len;
    if (off > len || width > len - off) return;
    if (width == 1) {
        virtio__pci_w8(t, VIRTIO__PCI_DEVICE, off, value);
    } else if (width == 2) {
        uint16_t v = (uint16_t)value;
        if (VIRTIO__BIG_ENDIAN && VIRTIO__PCI_LEGACY(t)) v = virtio__bswap16(v);
        virtio__pci_w16(t, VIRTIO__PCI_DEVICE, off, v);
    } else {
        if (VIRTIO__BIG_ENDIAN && VIRTIO__PCI_LEGACY(t)) value = virtio__bswap32(value);
        virtio__pci_w32(t, VIRTIO__PCI_DEVICE, off, value);
    }
}
static uint32_t virtio__pci_config_generation(virtio_transport *t) {
    if (VIRTIO__PCI_LEGACY(t)) return 0;
    return virtio__pci_r8(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_CONFIG_GENERATION);
}
static void virtio__pci_select(virtio_transport *t, uint32_t index) {
    if (t->sel == index) return;
    virtio__pci_w16(
        t, VIRTIO__PCI_COMMON,
        VIRTIO__PCI_L(t, VIRTIO_PCI_LEGACY_QUEUE_SELECT, VIRTIO_PCI_COMMON_QUEUE_SELECT), index);
    t->sel = index;
}
/* "Virtqueue Configuration" (PCI): select, check the queue is not live (queue_enable, legacy:
   a nonzero queue address), read its size; 0 means no such queue. */
static uint32_t virtio__pci_queue_max(virtio_transport *t, uint32_t index) {
    virtio__pci_select(t, index);
    if (VIRTIO__PCI_LEGACY(t)) {
        if (virtio__pci_r32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_QUEUE_ADDRESS)) return 0;
        return virtio__pci_r16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_QUEUE_SIZE);
    }
    if (virtio__pci_r16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_ENABLE)) return 0;
    return virtio__pci_r16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_SIZE);
}
static int virtio__pci_queue_enable(virtio_transport *t, uint32_t index, uint32_t size,
                                    uint64_t desc, uint64_t driver, uint64_t device,
                                    uint32_t *notify) {
    uint64_t at;
    virtio__pci_select(t, index);
#ifndef VIRTIO_NO_LEGACY
    if (t->legacy) {
        /* The legacy queue size is the device's and read-only: the rings must be laid out for
           exactly that many entries (virtio_queue_init does, from t->queue_fixed). */
        (void)driver;
        (void)device;
        if (virtio__pci_r16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_QUEUE_SIZE) != size)
            return VIRTIO_ENOQUEUE;
        if (t->pci[VIRTIO__PCI_DEVICE].off == VIRTIO_PCI_LEGACY_CONFIG_MSIX)
            virtio__pci_w16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_QUEUE_MSIX_VECTOR,
                            VIRTIO_MSI_NO_VECTOR);
        *notify = index; /* queue_notify takes the queue index */
        virtio__pci_w32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_QUEUE_ADDRESS,
                        (uint32_t)(desc / VIRTIO_LEGACY_QUEUE_ALIGN));
        return 0;
    }
#endif
    /* "cap.length >= queue_notify_off * notify_off_multiplier + 2": the device promises it;
       we check it before the address is ever written. */
    at = (uint64_t)virtio__pci_r16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_NOTIFY_OFF) *
         t->pci_notify_mul;
    if (at + 2u > t->pci[VIRTIO__PCI_NOTIFY].len) return VIRTIO_ENOQUEUE;
    virtio__pci_w16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_SIZE, size);
    virtio__pci_w16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_MSIX_VECTOR,
                    VIRTIO_MSI_NO_VECTOR);
    virtio__pci_w32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_DESC, (uint32_t)desc);
    virtio__pci_w32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_DESC + 4u,
                    (uint32_t)(desc >> 32));
    virtio__pci_w32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_DRIVER, (uint32_t)driver);
    virtio__pci_w32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_DRIVER + 4u,
                    (uint32_t)(driver >> 32));
    virtio__pci_w32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_DEVICE, (uint32_t)device);
    virtio__pci_w32(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_DEVICE + 4u,
                    (uint32_t)(device >> 32));
    /* "The driver MUST configure the other virtqueue fields before enabling the virtqueue" */
    virtio__pci_w16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_COMMON_QUEUE_ENABLE, 1);
    *notify = (uint32_t)at; /* the queue's offset in the notify structure */
    return 0;
}
/* "Available Buffer Notifications" (PCI): the 16-bit queue index, at the queue's address. */
static void virtio__pci_notify(virtio_transport *t, uint32_t index, uint32_t notify) {
    if (VIRTIO__PCI_LEGACY(t))
        virtio__pci_w16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_QUEUE_NOTIFY, index);
    else
        virtio__pci_w16(t, VIRTIO__PCI_NOTIFY, notify, index);
}
/* "ISR status capability": reading it acknowledges it ("reset ... to 0 on driver read"). */
static uint32_t virtio__pci_interrupt_ack(virtio_transport *t) {
    return virtio__pci_r8(t, VIRTIO__PCI_LEGACY(t) ? VIRTIO__PCI_COMMON : VIRTIO__PCI_ISR,
                          VIRTIO__PCI_LEGACY(t) ? VIRTIO_PCI_LEGACY_ISR_STATUS : 0u);
}

#ifndef VIRTIO_NO_LEGACY
/* Legacy "Virtqueue Configuration": "Queue Size ... is read-only", so the rings must be laid
   out for the device's size. Read every queue's (device-written: only a power of two up to
   32768 counts) and keep the largest; QueueSelect, a selector, is read first and put back. */
static void virtio__pci_legacy_sizes(virtio_transport *t) {
    uint32_t i, n, sel = virtio__pci_r16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_QUEUE_SELECT);
    for (i = 0; i < VIRTIO_PCI_LEGACY_QUEUES; i++) {
        virtio__pci_w16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_QUEUE_SELECT, i);
        n = virtio__pci_r16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_QUEUE_SIZE);
        if (n == 0) break;
        if (n <= VIRTIO_QUEUE_SIZE_MAX && (n & (n - 1u)) == 0 && n > t->queue_fixed)
            t->queue_fixed = n;
    }
    virtio__pci_w16(t, VIRTIO__PCI_COMMON, VIRTIO_PCI_LEGACY_QUEUE_SELECT, sel);
}
#endif

static const virtio_transport_ops virtio__pci_ops = {
    virtio__pci_get_status,        virtio__pci_set_status,
    virtio__pci_get_features,      virtio__pci_set_features,
    virtio__pci_config_read,       virtio__pci_config_write,
    virtio__pci_config_generation, virtio__pci_queue_max,
    virtio__pci_queue_enable,      virtio__pci_notify,
    virtio__pci_interrupt_ack};

/* Size of BAR `n` by the PCI sizing sequence (all ones written, the mask read, the value put
   back), with decoding already off. 0: no BAR (or the upper half of a 64-bit one, or a
   64-bit BAR in slot 5). *is64: a 64-bit memory BAR (n + 1 is its upper half). */
static uint64_t virtio__pci_bar_size(const virtio_regs *r, unsigned n, int *is64) {
    uint32_t off = VIRTIO__PCI_BAR0 + 4u * n, lo, hi = 0xffffffffu, mlo, mhi = 0xffffffffu;
    uint64_t mask;
    *is64 = 0;
    lo = r->read32(r->user, VIRTIO_REGION_PCI_CONFIG, off);
    r->write32(r->user, VIRTIO_REGION_PCI_CONFIG, off, 0xffffffffu);
    mlo = r->read32(r->user, VIRTIO_REGION_PCI_CONFIG, off);
    r->write32(r->user, VIRTIO_REGION_PCI_CONFIG, off, lo);
    if (mlo & 1u) { /* I/O: 16 or 32 bits of port, in 4-byte steps */
        mask = (uint64_t)(mlo & ~3u) | 0xffff0000u;
    } else {
        if (((mlo >> 1) & 3u) == 2u) { /* 64-bit memory BAR */
            if (n >= 5) return 0;
            *is64 = 1;
            hi = r->read32(r->user, VIRTIO_REGION_PCI_CONFIG, off + 4u);
            r->write32(r->user, VIRTIO_REGION_PCI_CONFIG, off + 4u, 0xffffffffu);
            mhi = r->read32(r->user, VIRTIO_REGION_PCI_CONFIG, off + 4u);
            r->write32(r->user, VIRTIO_REGION_PCI_CONFIG, off + 4u, hi);
        }
        mask = (uint64_t)mhi << 32 | (mlo & ~0xfu);
    }
    if ((uint32_t)mask == 0 && (!*is64 || mhi == 0)) return 0;
    if ((mlo & 1u) && (mlo & ~3u) == 0) return 0;
    return mask & (~mask + 1u); /* the lowest writable address bit: a power of two */
}

/* One vendor capability of the modern layout, as found. */
typedef struct virtio__pci_cap {
    uint32_t bar, off, len, found;
} virtio__pci_cap;

/* Walks the capability list (config space 0x40..0xff): at most 48 entries of 4 bytes fit
   there, so a longer walk is a loop. Records the first common, notify, ISR and device
   configuration capability with a valid BAR, the notify multiplier and whether MSI-X is on. */
static int virtio__pci_caps(const virtio_regs *r, virtio__pci_cap cap[4], uint32_t *mul, int *msix,
                            uint32_t *cfg) {
    uint32_t seen[2] = {0, 0};  /* a bit per dword of 0x40..0xff: 48 */
    uint32_t other[2] = {0, 0}; /* dwords of the other capabilities (vendor ones: all of it) */
    uint32_t ptr, steps, bit, cfg_len = 0;
    *msix = 0;
    *mul = 0;
    *cfg = 0;
    if (!(r->read16(r->user, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_STATUS) &
          VIRTIO__PCI_STATUS_CAPS))
        return VIRTIO_OK;
    ptr = r->read8(r->user, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_CAP_PTR) & 0xfcu;
    for (steps = 0; ptr != 0; steps++) {
        uint32_t id, type, bar, len, w;
        /* A capability lives in 0x40..0xff (the header is 64 bytes), one per dword at most. */
        if (ptr < 0x40u || steps >= 48u) return VIRTIO_EDEVICE;
        bit = (ptr - 0x40u) / 4u;
        if ((seen[bit / 32u] >> (bit % 32u)) & 1u) return VIRTIO_EDEVICE;
        seen[bit / 32u] |= 1u << (bit % 32u);
        id = r->read8(r->user, VIRTIO_REGION_PCI_CONFIG, ptr);
        len = 4u; /* what a capability other than a vendor one covers, at least */
        if (id == VIRTIO__PCI_CAP_ID_MSIX) {
            if (ptr > 0xfcu) return VIRTIO_EDEVICE;
            *msix = (r->read16(r->user, VIRTIO_REGION_PCI_CONFIG, ptr + 2u) & 0x8000u) != 0;
        } else if (id == VIRTIO__PCI_CAP_ID_VENDOR) {
            len = r->read8(r->user, VIRTIO_REGION_PCI_CONFIG, ptr + VIRTIO_PCI_CAP_LEN);
            type = r->read8(r->user, VIRTIO_REGION_PCI_CONFIG, ptr + VIRTIO_PCI_CAP_CFG_TYPE);
            if (len < 4u || ptr + len > 0x100u) return VIRTIO_EDEVICE; /* past config space */
            w = type - 1u; /* common, notify, ISR, device: the order of t->pci[] */
            if (type == VIRTIO_PCI_CAP_PCI_CFG) {
                /* struct virtio_pci_cfg_cap: the driver writes its fields, so its bar,
                   offset and length are not read; the first instance is the window. */
                if (len < VIRTIO_PCI_CFG_CAP_LEN) return VIRTIO_EDEVICE;
                if (!*cfg) {
                    *cfg = ptr;
                    cfg_len = len;
                    len = 0; /* not among the others */
                }
            }
            if (type >= VIRTIO_PCI_CAP_COMMON_CFG && type <= VIRTIO_PCI_CAP_DEVICE_CFG) {
                if (len < 16u || (type == VIRTIO_PCI_CAP_NOTIFY_CFG && len < 20u))
                    return VIRTIO_EDEVICE; /* too short for struct virtio_pci_cap */
                bar = r->read8(r->user, VIRTIO_REGION_PCI_CONFIG, ptr + VIRTIO_PCI_CAP_BAR);
                /* "MUST ignore any ... capability ... which has a reserved bar value"; "SHOULD
                   use the first instance of each virtio structure type" */
                if (bar <= 5u && !cap[w].found) {
                    cap[w].found = 1;
                    cap[w].bar = bar;
                    cap[w].off =
                        r->read32(r->user, VIRTIO_REGION_PCI_CONFIG, ptr + VIRTIO_PCI_CAP_OFFSET);
                    cap[w].len =
                        r->read32(r->user, VIRTIO_REGION_PCI_CONFIG, ptr + VIRTIO_PCI_CAP_LENGTH);
                    if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
                        *mul = r->read32(r->user, VIRTIO_REGION_PCI_CONFIG,
                                         ptr + VIRTIO_PCI_NOTIFY_CAP_MULT);
                }
            }
        }
        for (bit = (ptr - 0x40u) / 4u; bit < (ptr + len - 0x40u + 3u) / 4u; bit++)
            other[bit / 32u] |= 1u << (bit % 32u);
        ptr = r->read8(r->user, VIRTIO_REGION_PCI_CONFIG, ptr + 1u) & 0xfcu;
    }
    /* The window is written by the driver: it must not overlap another capability. */
    for (bit = *cfg ? (*cfg - 0x40u) / 4u : 48u; *cfg && bit < (*cfg + cfg_len - 0x40u + 3u) / 4u;
         bit++)
        if ((other[bit / 32u] >> (bit % 32u)) & 1u) return VIRTIO_EDEVICE;
    return VIRTIO_OK;
}

/* Checks the structures against their BARs and each other: each inside its BAR, aligned as
   the spec says, long enough for what we access, and no two overlapping. */
static int virtio__pci_check(virtio__pci_cap cap[4], const uint64_t size[6], uint32_t mul) {
    static const uint32_t need[4] = {VIRTIO_PCI_COMMON_LEN, 2u, 1u, 0u};
    static const uint32_t align[4] = {4u, 2u, 1u, 4u};
    int i, j;
    /* notify_off_multiplier: "an even power of 2, or ... 0" */
    if (mul != 0 && ((mul & (mul - 1u)) != 0 || mul == 1u)) return VIRTIO_EDEVICE;
    for (i = 0; i < 4; i++) {
        if (!cap[i].found) continue;
        if (cap[i].len < need[i] || (cap[i].off & (align[i] - 1u)) != 0) return VIRTIO_EDEVICE;
        if ((uint64_t)cap[i].off + cap[i].len > size[cap[i].bar]) return VIRTIO_EDEVICE;
        for (j = 0; j < i; j++) {
            if (!cap[j].found || cap[j].bar != cap[i].bar || !cap[i].len || !cap[j].len) continue;
            if ((uint64_t)cap[i].off < (uint64_t)cap[j].off + cap[j].len &&
                (uint64_t)cap[j].off < (uint64_t)cap[i].off + cap[i].len)
                return VIRTIO_EDEVICE;
        }
    }
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_pci_transport(virtio_transport *t, const virtio_regs *regs) {
    virtio__pci_cap cap[4];
    uint64_t size[6];
    uint32_t vendor, id, type, mul, cmd, i, used, cfg;
    int msix, r, is64, modern;
    if (!t || !virtio__regs_complete(regs)) return VIRTIO_EINVAL;
    vendor = regs->read16(regs->user, VIRTIO_REGION_PCI_CONFIG, 0);
    id = regs->read16(regs->user, VIRTIO_REGION_PCI_CONFIG, 2);
    /* "PCI Device Discovery": vendor 0x1AF4, ids 0x1040 + type or 0x1000..0x103f */
    if (vendor != VIRTIO_PCI_VENDOR_ID) return VIRTIO_ENODEV;
    if (id >= VIRTIO_PCI_DEVICE_ID_MODERN && id < VIRTIO_PCI_DEVICE_ID_MODERN + 0x40u)
        type = id - VIRTIO_PCI_DEVICE_ID_MODERN;
    else if (id >= VIRTIO_PCI_DEVICE_ID_TRANSITIONAL &&
             id < VIRTIO_PCI_DEVICE_ID_TRANSITIONAL + VIRTIO_PCI_DEVICE_ID_TRANSITIONAL_N)
        type = regs->read16(regs->user, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_SUBSYSTEM_ID);
    else
        return VIRTIO_ENODEV;
    if (type == 0) return VIRTIO_ENODEV;
    for (i = 0; i < 4; i++)
        cap[i].found = cap[i].bar = cap[i].off = cap[i].len = 0;
    r = virtio__pci_caps(regs, cap, &mul, &msix, &cfg);
    if (r) return r;
    modern = cap[0].found && cap[1].found && cap[2].found;
    /* The window reaches the modern structures only (the legacy header has none). */
    if ((regs->flags & VIRTIO_REGS_F_PCI_CFG_ACCESS) && (!modern || !cfg)) return VIRTIO_ENOTSUP;
    /* "Non-transitional drivers MUST look for the Virtio PCI capabilities ... If these are not
       present, driver MUST assume a legacy device" */
    if (!modern && id >= VIRTIO_PCI_DEVICE_ID_MODERN) return VIRTIO_EDEVICE;
#ifdef VIRTIO_NO_LEGACY
    if (!modern) return VIRTIO_EVERSION;
#endif
    /* Sizing a BAR needs decoding off ("PCI Local Bus": a BAR of all ones would decode). */
    cmd = regs->read16(regs->user, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_COMMAND);
    regs->write16(regs->user, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_COMMAND,
                  (uint16_t)(cmd & ~(VIRTIO__PCI_CMD_DECODE | VIRTIO__PCI_CMD_MASTER)));
    for (i = 0; i < 6; i++)
        size[i] = 0;
    /* Only the BARs a structure lives in are sized; the others are read for their type (the
       upper half of a 64-bit BAR holds no structure). */
    used = modern ? 0u : 1u;
    for (i = 0; i < 4; i++)
        if (modern && cap[i].found) used |= 1u << cap[i].bar;
    for (i = 0; i < 6; i++) {
        if ((used >> i) & 1u) {
            size[i] = virtio__pci_bar_size(regs, i, &is64);
        } else {
            uint32_t v =
                regs->read32(regs->user, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_BAR0 + 4u * i);
            is64 = !(v & 1u) && ((v >> 1) & 3u) == 2u;
        }
        if (is64) i++; /* its upper half: size[i] stays 0, no structure may live there */
    }
    regs->write16(regs->user, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_COMMAND,
                  (uint16_t)(cmd | VIRTIO__PCI_CMD_DECODE | VIRTIO__PCI_CMD_MASTER));
    if (modern) {
        r = virtio__pci_check(cap, size, mul);
        if (r) return r;
    } else {
        /* Legacy header in BAR 0: the header, then device configuration to the BAR's end. */
        cap[0].bar = cap[3].bar = 0;
        cap[0].off = 0;
        cap[3].off = msix ? VIRTIO_PCI_LEGACY_CONFIG_MSIX : VIRTIO_PCI_LEGACY_CONFIG;
        if (size[0] < cap[3].off || size[0] > 0x10000u) return VIRTIO_EDEVICE;
        cap[0].len = cap[3].off;
        cap[3].len = (uint32_t)size[0] - cap[3].off;
        for (i = 1; i < 3; i++) {
            cap[i].bar = 0;
            cap[i].off = 0;
            cap[i].len = cap[0].len;
        }
        mul = 0;
    }
    t->ops = &virtio__pci_ops;
    virtio_copy(&t->regs, regs, sizeof *regs);
    t->kind = VIRTIO_TRANSPORT_PCI;
    t->device_id = type;
    t->vendor_id = vendor;
    t->legacy = modern ? 0u : 1u;
    t->version = modern ? 2u : 1u;
    t->sel = 0xffffffffu;
    t->priv = 0;
    t->swap = 0;
    for (i = 0; i < 4; i++) {
        t->pci[i].region = VIRTIO_REGION_PCI_BAR(cap[i].bar);
        t->pci[i].off = cap[i].off;
        t->pci[i].len = cap[i].found || !modern ? cap[i].len : 0u;
    }
    t->pci_notify_mul = mul;
    t->pci_cfg = (regs->flags & VIRTIO_REGS_F_PCI_CFG_ACCESS) ? cfg : 0u;
    t->queue_fixed = 0;
#ifndef VIRTIO_NO_LEGACY
    if (!modern) virtio__pci_legacy_sizes(t);
#endif
    return VIRTIO_OK;
}

/* ---- virtio-pci: ECAM accessor, bus 0 scan, BAR assignment ------------------------------- */
static uintptr_t virtio__pci_addr(const virtio_pci_fn *f, unsigned region, uint32_t off) {
    if (region == VIRTIO_REGION_PCI_CONFIG) return off < 4096u ? f->config + off : 0;
    if (region >= VIRTIO_REGION_PCI_BAR(0) && region <= VIRTIO_REGION_PCI_BAR(5) &&
        f->bar[region - VIRTIO_REGION_PCI_BAR(0)])
        return f->bar[region - VIRTIO_REGION_PCI_BAR(0)] + off;
    return 0;
}
/* Port I/O (fn->portio): 1 and the port for a configuration offset (after selecting it at
   0xCF8) or an I/O BAR offset; -1 for an offset with nothing behind it (reads all ones, writes
   dropped); 0 for MMIO (no portio, or a memory BAR). */
static int virtio__pci_port(const virtio_pci_fn *f, unsigned region, uint32_t off, uint16_t *port) {
    uint32_t n;
    if (!f->portio) return 0;
    if (region == VIRTIO_REGION_PCI_CONFIG) {
        if (off >= 256u) return -1; /* mechanism #1 reaches the first 256 bytes only */
        f->portio->out32(0xcf8u, (uint32_t)f->config | (off & 0xfcu));
        *port = (uint16_t)(0xcfcu + (off & 3u));
        return 1;
    }
    if (region < VIRTIO_REGION_PCI_BAR(0) || region > VIRTIO_REGION_PCI_BAR(5)) return -1;
    n = region - VIRTIO_REGION_PCI_BAR(0);
    if (!((f->io_bars >> n) & 1u)) return 0;
    if (!f->bar[n] || off > 0xffffu || f->bar[n] + off > 0xffffu) return -1;
    *port = (uint16_t)(f->bar[n] + off);
    return 1;
}
static uint8_t virtio__pci_ecam_r8(void *user, unsigned region, uint32_t off) {
    const virtio_pci_fn *f = (const virtio_pci_fn *)user;
    uint16_t port = 0;
    int k = virtio__pci_port(f, region, off, &port);
    uintptr_t a = k ? 0 : virtio__pci_addr(f, region, off);
    if (k > 0) return f->portio->in8(port);
    return a ? virtio__mmio_read8((void *)a, 0, 0) : 0xffu;
}
static uint16_t virtio__pci_ecam_r16(void *user, unsigned region, uint32_t off) {
    const virtio_pci_fn *f = (const virtio_pci_fn *)user;
    uint16_t port = 0;
    int k = virtio__pci_port(f, region, off, &port);
    uintptr_t a = k ? 0 : virtio__pci_addr(f, region, off);
    if (k > 0) return f->portio->in16(port);
    return a ? virtio__mmio_read16((void *)a, 0, 0) : 0xffffu;
}
static uint32_t virtio__pci_ecam_r32(void *user, unsigned region, uint32_t off) {
    const virtio_pci_fn *f = (const virtio_pci_fn *)user;
    uint16_t port = 0;
    int k = virtio__pci_port(f, region, off, &port);
    uintptr_t a = k ? 0 : virtio__pci_addr(f, region, off);
    if (k > 0) return f->portio->in32(port);
    return a ? virtio__mmio_read32((void *)a, 0, 0) : 0xffffffffu;
}
static void virtio__pci_ecam_w8(void *user, unsigned region, uint32_t off, uint8_t v) {
    const virtio_pci_fn *f = (const virtio_pci_fn *)user;
    uint16_t port = 0;
    int k = virtio__pci_port(f, region, off, &port);
    uintptr_t a = k ? 0 : virtio__pci_addr(f, region, off);
    if (k > 0) f->portio->out8(port, v);
    if (a) virtio__mmio_write8((void *)a, 0, 0, v);
}
static void virtio__pci_ecam_w16(void *user, unsigned region, uint32_t off, uint16_t v) {
    const virtio_pci_fn *f = (const virtio_pci_fn *)user;
    uint16_t port = 0;
    int k = virtio__pci_port(f, region, off, &port);
    uintptr_t a = k ? 0 : virtio__pci_addr(f, region, off);
    if (k > 0) f->portio->out16(port, v);
    if (a) virtio__mmio_write16((void *)a, 0, 0, v);
}
static void virtio__pci_ecam_w32(void *user, unsigned region, uint32_t off, uint32_t v) {
    const virtio_pci_fn *f = (const virtio_pci_fn *)user;
    uint16_t port = 0;
    int k = virtio__pci_port(f, region, off, &port);
    uintptr_t a = k ? 0 : virtio__pci_addr(f, region, off);
    if (k > 0) f->portio->out32(port, v);
    if (a) virtio__mmio_write32((void *)a, 0, 0, v);
}

/* Field by field: a struct copy may become a memcpy call, which freestanding builds lack. */
static void virtio__pci_regs_fill(virtio_regs *r, virtio_pci_fn *fn) {
    r->read8 = virtio__pci_ecam_r8;
    r->read16 = virtio__pci_ecam_r16;
    r->read32 = virtio__pci_ecam_r32;
    r->write8 = virtio__pci_ecam_w8;
    r->write16 = virtio__pci_ecam_w16;
    r->write32 = virtio__pci_ecam_w32;
    r->user = fn;
    r->dma = 0;
    r->relax = 0;
    r->relax_user = 0;
    r->spin_limit = 0;
    r->flags = 0;
}
VIRTIO_DEF virtio_regs virtio_pci_regs(virtio_pci_fn *fn) {
    virtio_regs r;
    virtio__pci_regs_fill(&r, fn);
    return r;
}

/* The CPU address of a BAR's PCI address through the host's windows (0: outside both). */
static uintptr_t virtio__pci_cpu(const virtio_pci_host *h, uint64_t pci, int io) {
    uint64_t base = io ? h->io_pci : h->mem_pci, size = io ? h->io_size : h->mem_size;
    uint64_t cpu = io ? h->io_cpu : h->mem_cpu;
    if (pci < base || pci - base >= size) return 0;
    cpu += pci - base;
    return (uint64_t)(uintptr_t)cpu == cpu ? (uintptr_t)cpu : 0;
}

/* A function record before its header is read: where its configuration space is (ECAM address,
   or the 0xCF8 address with the enable bit under port I/O), no BARs. */
static void virtio__pci_fn_at(virtio_pci_fn *f, const virtio_pci_host *h, uint32_t bus,
                              uint32_t dev, uint32_t fn) {
    unsigned i;
    f->portio = h->portio;
    f->io_bars = 0;
    if (h->portio)
        f->config = (uintptr_t)(0x80000000u | bus << 16 | dev << 11 | fn << 8);
    else
        f->config =
            h->ecam + ((uintptr_t)bus << 20) + ((uintptr_t)dev << 15) + ((uintptr_t)fn << 12);
    for (i = 0; i < 6; i++)
        f->bar[i] = 0;
}
static uint32_t virtio__pci_buses(const virtio_pci_host *h) {
    return h->buses == 0 ? 1u : h->buses > 256u ? 256u : h->buses;
}

VIRTIO_DEF int virtio_pci_scan(const virtio_pci_host *host, virtio_pci_fn *out, unsigned max) {
    unsigned dev, fn, found = 0, nfn, i, head = 0, tail = 1;
    uint8_t todo[256]; /* buses still to read, each once: a bounded walk */
    uint32_t seen[8];  /* buses queued: a bit each */
    if (!host || (!host->ecam && !host->portio) || (max && !out)) return VIRTIO_EINVAL;
    for (i = 0; i < 8; i++) /* a loop, not an initializer: no memset call */
        seen[i] = 0;
    todo[0] = 0;
    seen[0] = 1;
    while (head < tail) {
        uint32_t bus = todo[head++];
        for (dev = 0; dev < 32; dev++) {
            nfn = 1;
            for (fn = 0; fn < nfn; fn++) {
                virtio_pci_fn f;
                virtio_regs r;
                uint32_t vendor, id, type, hdr;
                virtio__pci_fn_at(&f, host, bus, dev, fn);
                virtio__pci_regs_fill(&r, &f);
                vendor = r.read16(&f, VIRTIO_REGION_PCI_CONFIG, 0);
                if (vendor == 0xffffu) continue;
                hdr = r.read8(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_HEADER_TYPE);
                if (fn == 0 && (hdr & 0x80u)) nfn = 8; /* multi-function device */
                if ((hdr & 0x7fu) == 1u) { /* a bridge: its secondary bus, if numbered */
                    uint32_t sec = r.read8(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_SECONDARY);
                    if (sec != 0 && sec < virtio__pci_buses(host) &&
                        !((seen[sec / 32u] >> (sec % 32u)) & 1u)) {
                        seen[sec / 32u] |= 1u << (sec % 32u);
                        todo[tail++] = (uint8_t)sec;
                    }
                    continue;
                }
                id = r.read16(&f, VIRTIO_REGION_PCI_CONFIG, 2);
                if (vendor != VIRTIO_PCI_VENDOR_ID || (hdr & 0x7fu) != 0) continue;
                if (id >= VIRTIO_PCI_DEVICE_ID_MODERN && id < VIRTIO_PCI_DEVICE_ID_MODERN + 0x40u)
                    type = id - VIRTIO_PCI_DEVICE_ID_MODERN;
                else if (id >= VIRTIO_PCI_DEVICE_ID_TRANSITIONAL &&
                         id < VIRTIO_PCI_DEVICE_ID_TRANSITIONAL +
                                  VIRTIO_PCI_DEVICE_ID_TRANSITIONAL_N)
                    type = r.read16(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_SUBSYSTEM_ID);
                else
                    continue;
                if (type == 0) continue;
                if (found < max) {
                    for (i = 0; i < 6; i++) {
                        uint32_t v =
                            r.read32(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_BAR0 + 4u * i);
                        uint64_t a = v & ((v & 1u) ? ~3u : ~0xfu);
                        int is64 = !(v & 1u) && ((v >> 1) & 3u) == 2u && i < 5;
                        if (is64)
                            a |= (uint64_t)r.read32(&f, VIRTIO_REGION_PCI_CONFIG,
                                                    VIRTIO__PCI_BAR0 + 4u * i + 4u)
                                 << 32;
                        f.bar[i] = a ? virtio__pci_cpu(host, a, (int)(v & 1u)) : 0;
                        if ((v & 1u) && f.bar[i]) f.io_bars |= 1u << i;
                        if (is64) i++;
                    }
                    f.bus = bus;
                    f.dev = dev;
                    f.fn = fn;
                    f.device_id = id;
                    f.type = type;
                    f.modern = id >= VIRTIO_PCI_DEVICE_ID_MODERN;
                    virtio_copy(&out[found], &f, sizeof f);
                }
                found++;
            }
        }
    }
    return (int)found;
}

VIRTIO_DEF int virtio_pci_assign(virtio_pci_host *host, virtio_pci_fn *fn) {
    virtio_regs r;
    uint64_t size[6], mem = 0, io = 0, at[6];
    uint32_t cmd, i, is64v[6];
    int is64;
    if (!host || !fn || !fn->config) return VIRTIO_EINVAL;
    virtio__pci_regs_fill(&r, fn);
    cmd = r.read16(fn, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_COMMAND);
    r.write16(fn, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_COMMAND,
              (uint16_t)(cmd & ~(VIRTIO__PCI_CMD_DECODE | VIRTIO__PCI_CMD_MASTER)));
    /* First size every BAR and plan its place, then write: a window too small changes no BAR. */
    mem = host->mem_next;
    io = host->io_next;
    for (i = 0; i < 6; i++) {
        uint32_t v;
        uint64_t *next, limit, base;
        size[i] = at[i] = 0;
        is64v[i] = 0;
        v = r.read32(fn, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_BAR0 + 4u * i);
        size[i] = virtio__pci_bar_size(&r, i, &is64);
        if (!size[i]) {
            if (!(v & 1u) && ((v >> 1) & 3u) == 2u && i == 5) return VIRTIO_EDEVICE;
            continue;
        }
        is64v[i] = (uint32_t)is64;
        next = (v & 1u) ? &io : &mem;
        limit = (v & 1u) ? host->io_size : host->mem_size;
        if (size[i] > limit) return VIRTIO_ENOSPC;
        base = (v & 1u) ? host->io_pci : host->mem_pci; /* naturally aligned on the bus */
        at[i] = ((base + *next + size[i] - 1u) & ~(size[i] - 1u)) - base;
        if (at[i] > limit - size[i]) return VIRTIO_ENOSPC;
        *next = at[i] + size[i];
        if (is64) {
            i++;
            size[i] = at[i] = 0;
            is64v[i] = 0;
        }
    }
    for (i = 0; i < 6; i++) {
        uint32_t v;
        uint64_t pci;
        int io_bar;
        fn->bar[i] = 0;
        fn->io_bars &= ~(1u << i);
        if (!size[i]) continue;
        v = r.read32(fn, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_BAR0 + 4u * i);
        io_bar = (int)(v & 1u);
        pci = at[i] + (io_bar ? host->io_pci : host->mem_pci);
        r.write32(fn, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_BAR0 + 4u * i, (uint32_t)pci);
        if (is64v[i])
            r.write32(fn, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_BAR0 + 4u * i + 4u,
                      (uint32_t)(pci >> 32));
        fn->bar[i] = virtio__pci_cpu(host, pci, io_bar);
        if (io_bar && fn->bar[i]) fn->io_bars |= 1u << i;
    }
    host->mem_next = mem;
    host->io_next = io;
    r.write16(fn, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_COMMAND,
              (uint16_t)(cmd | VIRTIO__PCI_CMD_DECODE | VIRTIO__PCI_CMD_MASTER));
    return VIRTIO_OK;
}
/* Moves a window cursor to the next `align` boundary of the bus address; 0 if past the end. */
static int virtio__pci_align(uint64_t *next, uint64_t base, uint64_t size, uint64_t align) {
    uint64_t at = ((base + *next + align - 1u) & ~(align - 1u)) - base;
    if (size && at > size) return 0;
    if (size) *next = at;
    return 1;
}

/* One bus of virtio_pci_assign_all: endpoints get their BARs, a bridge a bus number, then the
   bus behind it, then windows around what its side took. Depth is bounded. */
static int virtio__pci_assign_bus(virtio_pci_host *h, uint32_t bus, uint32_t *last,
                                  unsigned depth) {
    uint32_t dev, fn, nfn;
    int r;
    for (dev = 0; dev < 32; dev++) {
        nfn = 1;
        for (fn = 0; fn < nfn; fn++) {
            virtio_pci_fn f;
            virtio_regs g;
            uint32_t hdr, sec, cmd;
            uint64_t mem0, io0, lo, hi;
            virtio__pci_fn_at(&f, h, bus, dev, fn);
            virtio__pci_regs_fill(&g, &f);
            if (g.read16(&f, VIRTIO_REGION_PCI_CONFIG, 0) == 0xffffu) continue;
            hdr = g.read8(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_HEADER_TYPE);
            if (fn == 0 && (hdr & 0x80u)) nfn = 8;
            if ((hdr & 0x7fu) == 0u) {
                r = virtio_pci_assign(h, &f);
                if (r) return r;
                continue;
            }
            if ((hdr & 0x7fu) != 1u || depth >= 8u || *last + 1u >= virtio__pci_buses(h)) continue;
            sec = ++*last;
            cmd = g.read16(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_COMMAND);
            g.write32(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_BUSES,
                      bus | sec << 8 | 0xffu << 16); /* subordinate: all, until we know */
            /* Bridge windows have 1 MiB (memory) and 4 KiB (I/O) granules. */
            if (!virtio__pci_align(&h->mem_next, h->mem_pci, h->mem_size, 1u << 20) ||
                !virtio__pci_align(&h->io_next, h->io_pci, h->io_size, 1u << 12))
                return VIRTIO_ENOSPC;
            mem0 = h->mem_next;
            io0 = h->io_next;
            r = virtio__pci_assign_bus(h, sec, last, depth + 1u);
            if (r) return r;
            if (!virtio__pci_align(&h->mem_next, h->mem_pci, h->mem_size, 1u << 20) ||
                !virtio__pci_align(&h->io_next, h->io_pci, h->io_size, 1u << 12))
                return VIRTIO_ENOSPC;
            g.write8(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_SUBORDINATE, (uint8_t)*last);
            lo = h->mem_pci + mem0, hi = h->mem_pci + h->mem_next - 1u;
            g.write32(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_MEM_BASE,
                      h->mem_next > mem0 ? (uint32_t)((lo >> 16) & 0xfff0u) |
                                               (uint32_t)((hi >> 16) & 0xfff0u) << 16
                                         : 0x0000fff0u); /* base above limit: closed */
            lo = h->io_pci + io0, hi = h->io_pci + h->io_next - 1u;
            g.write16(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_IO_BASE,
                      h->io_next > io0
                          ? (uint16_t)(((lo >> 8) & 0xf0u) | (((hi >> 8) & 0xf0u) << 8))
                          : (uint16_t)0x00f0u);
            g.write32(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_IO_UPPER, 0);
            g.write32(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_PREF_BASE, 0x0000fff0u);
            g.write32(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_PREF_BASE + 4u, 0);
            g.write32(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_PREF_BASE + 8u, 0);
            g.write16(&f, VIRTIO_REGION_PCI_CONFIG, VIRTIO__PCI_COMMAND,
                      (uint16_t)(cmd | VIRTIO__PCI_CMD_DECODE | VIRTIO__PCI_CMD_MASTER));
        }
    }
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_pci_assign_all(virtio_pci_host *host) {
    uint32_t last = 0;
    if (!host || (!host->ecam && !host->portio)) return VIRTIO_EINVAL;
    return virtio__pci_assign_bus(host, 0, &last, 0);
}
#undef VIRTIO__PCI_L
#undef VIRTIO__PCI_LEGACY
/* ---- End of the virtio-pci section ----------------------------------------------------------- */

VIRTIO_DEF int virtio_transport_legacy(const virtio_transport *t) { return t && t->legacy ? 1 : 0; }

static uint64_t virtio__dma(const virtio_dev *dev, const void *p) {
    return dev->t.regs.dma ? dev->t.regs.dma(dev->t.regs.user, p) : (uint64_t)(uintptr_t)p;
}
static void virtio__set_status(virtio_dev *dev, uint32_t status) {
    dev->status = status;
    VIRTIO__OP(&dev->t, set_status)(&dev->t, status);
}
static uint32_t virtio__get_status(virtio_dev *dev) {
    return VIRTIO__OP(&dev->t, get_status)(&dev->t) & 0xffu;
}
static int virtio__relax(virtio_dev *dev, uint32_t i) {
    return dev->t.regs.relax && dev->t.regs.relax(dev->t.regs.relax_user, i);
}

/* Writes 0 to the status and polls until it reads 0: virtio 1.4 "Device Reset" ("The driver
   SHOULD consider a driver-initiated reset complete when it reads device status as 0"). Its
   own bound, VIRTIO_RESET_SPIN: QEMU resets at once, and a device that does not reset within
   thousands of reads (Firecracker's, once activated) never will. */
static int virtio__reset(virtio_dev *dev) {
    uint32_t i, n = dev->spin_limit < VIRTIO_RESET_SPIN ? dev->spin_limit : VIRTIO_RESET_SPIN;
    virtio__set_status(dev, 0);
    dev->features = 0;
    dev->negotiated = 0;
    for (i = 0; i < n; i++) {
        if (virtio__get_status(dev) == 0) return VIRTIO_OK;
        if (virtio__relax(dev, i)) break;
    }
    return VIRTIO_EBUSY;
}

/* ---- Device initialization: virtio 1.4 "Device Initialization" --------------------------------
 */
VIRTIO_DEF int virtio_dev_attach(virtio_dev *dev, const virtio_transport *t, uint32_t expected_id) {
#ifdef VIRTIO_MMIO_ONLY
    if (!dev || !t || !virtio__regs_complete(&t->regs)) return VIRTIO_EINVAL;
    /* Only what virtio_mmio_transport probed: another transport's ops are never called. */
    if (t->kind != VIRTIO_TRANSPORT_MMIO) return t->ops ? VIRTIO_ENOTSUP : VIRTIO_EINVAL;
#else
    if (!dev || !t || !t->ops || !virtio__regs_complete(&t->regs)) return VIRTIO_EINVAL;
#endif
    if (t->device_id == 0 || (expected_id && t->device_id != expected_id)) return VIRTIO_ENODEV;
#ifdef VIRTIO_NO_LEGACY
    if (t->legacy) return VIRTIO_EVERSION;
#endif
    virtio_zero(dev, sizeof *dev);
    virtio_copy(&dev->t, t, sizeof *t);
    dev->spin_limit = t->regs.spin_limit ? t->regs.spin_limit : VIRTIO_SPIN_LIMIT;
#ifdef VIRTIO__MMIO_DIRECT
    dev->mmio = virtio__mmio_direct(t);
#endif
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_dev_init(virtio_dev *dev, const virtio_transport *t, uint32_t expected_id) {
    int r = virtio_dev_attach(dev, t, expected_id);
    if (r) return r;
    /* 1. Reset the device, and wait for it to finish. */
    r = virtio__reset(dev);
    if (r) {
        dev->error = r;
        return r;
    }
    /* 2. ACKNOWLEDGE: we have noticed the device. 3. DRIVER: we know how to drive it. */
    virtio__set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE);
    virtio__set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_dev_usable(const virtio_dev *dev) {
    if (!dev) return VIRTIO_EINVAL;
    if (!VIRTIO__LIVE(&dev->t)) return VIRTIO_ESTATE;
    return dev->error;
}

VIRTIO_DEF int virtio_dev_fail(virtio_dev *dev, int error) {
    if (!dev) return VIRTIO_EINVAL;
    if (error >= 0) error = VIRTIO_EDEVICE;
    if (!VIRTIO__LIVE(&dev->t)) return VIRTIO_ESTATE;
    /* "If any of these steps go irrecoverably wrong, the driver SHOULD set the FAILED status
       bit to indicate that it has given up on the device". */
    virtio__set_status(dev, dev->status | VIRTIO_STATUS_FAILED);
    if (!dev->error) dev->error = error;
    return dev->error;
}

/* The device's feature bits, into dev->offered: virtio_dev_read_offer without its checks. */
static uint64_t virtio__offer(virtio_dev *dev) {
    uint64_t v = VIRTIO__OP(&dev->t, get_features)(&dev->t, 0);
    if (!VIRTIO__DEV_LEGACY(dev))
        v |= (uint64_t)VIRTIO__OP(&dev->t, get_features)(&dev->t, 1) << 32;
    dev->offered = v;
    return v;
}

VIRTIO_DEF int virtio_dev_read_offer(virtio_dev *dev, uint64_t *offered) {
    int r = virtio_dev_usable(dev);
    if (r == VIRTIO_EINVAL || !offered) return VIRTIO_EINVAL;
    if (r == VIRTIO_ESTATE) return r;
    *offered = virtio__offer(dev);
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_dev_negotiate(virtio_dev *dev, uint64_t wanted, uint64_t required) {
    uint64_t offered, accept, ring;
    int r = virtio_dev_usable(dev);
    if (r) return r;
    /* Once only: a legacy device has no FEATURES_OK, so its status alone does not tell. */
    if (dev->status != (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER) || dev->negotiated)
        return VIRTIO_ESTATE;

    /* 4. Read the device feature bits. */
    offered = virtio__offer(dev);

    /* Take only what the driver implements and the device offers. The core implements the ring
       features, so it takes them for every device: VERSION_1 (what makes a modern device
       modern; a modern device that lacks it is refused, as "Legacy Interface: Device
       Initialization" implies), EVENT_IDX, RING_PACKED (bit 34: never offered by a legacy
       device, whose features are 32 bits) and INDIRECT_DESC. Bit 30 is never taken. */
    ring = VIRTIO_BIT(VIRTIO_F_VERSION_1);
    /* ACCESS_PLATFORM: the device reaches driver memory through the platform's translation
       (an IOMMU; what confidential VMs force): the addresses the driver gives are the
       accessor's dma hook's, which is that translation. A device that offers it may refuse
       FEATURES_OK without it ("Reserved Feature Bits"). */
    ring |= VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM);
    /* ANY_LAYOUT: "If a legacy device offers VIRTIO_F_ANY_LAYOUT, the driver SHOULD accept it"
       (implied by VERSION_1 on modern devices, "Message Framing"). Every layout we build is
       also the framing legacy devices need without it. */
    if (VIRTIO__DEV_LEGACY(dev)) ring |= VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT);
#ifndef VIRTIO_NO_EVENT_IDX
    ring |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
#endif
#ifndef VIRTIO_NO_PACKED
    ring |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
#endif
#if VIRTIO_INDIRECT_TABLES
    ring |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
#endif
    accept = (wanted | required | ring) & offered & ~VIRTIO_BIT(VIRTIO_F_UNUSED);
    /* What this build leaves out is never taken, even when a driver asks for it. */
#ifdef VIRTIO_NO_EVENT_IDX
    accept &= ~VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
#endif
#ifdef VIRTIO_NO_PACKED
    accept &= ~VIRTIO_BIT(VIRTIO_F_RING_PACKED);
#endif
#if !VIRTIO_INDIRECT_TABLES
    accept &= ~VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
#endif
    if (!VIRTIO__DEV_LEGACY(dev) && !(offered & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
        return virtio_dev_fail(dev, VIRTIO_EFEATURES);
    if ((required & ~accept) != 0) return virtio_dev_fail(dev, VIRTIO_EFEATURES);

    /* 5. Write the subset we understand. */
    VIRTIO__OP(&dev->t, set_features)(&dev->t, 0, (uint32_t)accept);
    if (!VIRTIO__DEV_LEGACY(dev)) {
        VIRTIO__OP(&dev->t, set_features)(&dev->t, 1, (uint32_t)(accept >> 32));
        /* 6. FEATURES_OK; then read it back: "if it is not set, the device does not support our
           subset of features and the device is unusable". Legacy devices skip both steps. */
        virtio__set_status(dev, dev->status | VIRTIO_STATUS_FEATURES_OK);
        if (!(virtio__get_status(dev) & VIRTIO_STATUS_FEATURES_OK))
            return virtio_dev_fail(dev, VIRTIO_EFEATURES);
    }
    dev->features = accept;
    dev->negotiated = 1;
    return VIRTIO_OK;
}

/* On 32-bit targets two 32-bit halves: a variable 64-bit shift is a libgcc call there. */
static int virtio__bit(uint64_t set, unsigned bit) {
    if (bit >= 64) return 0;
#if defined(UINTPTR_MAX) && UINTPTR_MAX > 0xffffffffu
    return (int)((set >> bit) & 1u);
#else
    return (int)(bit < 32 ? ((uint32_t)set >> bit) & 1u
                          : ((uint32_t)(set >> 32) >> (bit - 32)) & 1u);
#endif
}
VIRTIO_DEF int virtio_dev_has(const virtio_dev *dev, unsigned bit) {
    return dev ? virtio__bit(dev->features, bit) : 0;
}
VIRTIO_DEF int virtio_dev_offers(const virtio_dev *dev, unsigned bit) {
    return dev ? virtio__bit(dev->offered, bit) : 0;
}
VIRTIO_DEF int virtio_dev_legacy(const virtio_dev *dev) {
    return dev && VIRTIO__DEV_LEGACY(dev) ? 1 : 0;
}
VIRTIO_DEF uint32_t virtio_dev_spin_limit(const virtio_dev *dev) {
    return dev ? dev->spin_limit : 0;
}
VIRTIO_DEF uint32_t virtio_dev_clamped(const virtio_dev *dev) { return dev ? dev->clamped : 0; }

VIRTIO_DEF int virtio_dev_check(virtio_dev *dev) {
    uint32_t s;
    int r = virtio_dev_usable(dev);
    if (r) return r;
    s = virtio__get_status(dev);
    /* "The device SHOULD set DEVICE_NEEDS_RESET when it enters an error state that a reset
       is needed" (virtio 1.4 "Device Status Field"). A device whose status lost bits we set
       has reset itself behind our back: just as broken. */
    if (s & VIRTIO_STATUS_NEEDS_RESET)
        dev->error = VIRTIO_ENEEDS_RESET;
    else if ((s & dev->status) != dev->status || (s & VIRTIO_STATUS_FAILED))
        dev->error = VIRTIO_EDEVICE;
    return dev->error;
}

VIRTIO_DEF int virtio_dev_ready(virtio_dev *dev) {
    uint32_t need = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    int r = virtio_dev_usable(dev);
    if (r) return r;
    if (!VIRTIO__DEV_LEGACY(dev)) need |= VIRTIO_STATUS_FEATURES_OK;
    if (dev->status != need || !dev->negotiated) return VIRTIO_ESTATE;
    /* 8. DRIVER_OK: "At this point the device is live". Queues are set up by now. The status
       is not read back (the spec asks for no check here, unlike FEATURES_OK): a device that
       fails now shows at the next virtio_dev_check, as in every wait. */
    virtio__set_status(dev, dev->status | VIRTIO_STATUS_DRIVER_OK);
    return VIRTIO_OK;
}

/* The end of a wait at its bound or where the relax hook stopped it (virtio_dev_spin and the
   queue's wait loop): one last look at the status and at the interrupt status, then
   VIRTIO_ETIMEDOUT or what the look found. */
VIRTIO__OUT_OF_LINE static int virtio__spin_stop(virtio_dev *dev) {
    int r;
    (void)virtio_dev_interrupt_ack(dev);
    r = virtio_dev_check(dev);
    return r ? r : VIRTIO_ETIMEDOUT;
}

VIRTIO_DEF int virtio_dev_spin(virtio_dev *dev, uint32_t iteration) {
    int r = virtio_dev_usable(dev);
    if (r) return r;
    dev->empty = 0; /* a wait checks at its own pace (VIRTIO_STATUS_CHECK_MASK), not per poll */
    /* At the end, one last look at the status, so a device that asked for a reset says so;
       and at the interrupt status, so a level-triggered line is not left asserted. */
    if (iteration >= dev->spin_limit || virtio__relax(dev, iteration))
        return virtio__spin_stop(dev);
    if ((iteration & VIRTIO_STATUS_CHECK_MASK) == VIRTIO_STATUS_CHECK_MASK) {
        (void)virtio_dev_interrupt_ack(dev);
        return virtio_dev_check(dev);
    }
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_dev_reset(virtio_dev *dev) {
    int r;
    if (!dev) return VIRTIO_EINVAL;
    if (!VIRTIO__LIVE(&dev->t)) return VIRTIO_ESTATE;
    r = virtio__reset(dev);
    dev->error = r;
    return r;
}

VIRTIO_DEF int virtio_dev_abandon(virtio_dev *dev, int error) {
    int r;
    if (!dev) return VIRTIO_EINVAL;
    if (!VIRTIO__LIVE(&dev->t)) return VIRTIO_ESTATE;
    if (error >= 0) error = VIRTIO_EDEVICE;
    /* "A driver MUST ensure a virtqueue isn't live (by device reset) before removing exposed
       buffers" (virtio 1.4 "Device Cleanup"): the caller gets them back only after this. */
    r = virtio__reset(dev);
    dev->error = r ? r : error;
    return dev->error;
}

/* Through the transport's operations, never direct (virtio_dev.mmio): the waits and polls call
   it once in many iterations; the requests' own looks are virtio_dev_config_changed's and
   virtio_queue_add3's. */
VIRTIO_DEF uint32_t virtio_dev_interrupt_ack(virtio_dev *dev) {
    uint32_t v;
    if (virtio_dev_usable(dev) == VIRTIO_ESTATE || !dev) return 0;
    v = VIRTIO__OP(&dev->t, interrupt_ack)(&dev->t);
    dev->isr |= v;
    return v;
}

/* The interrupt status just read (`isr`) with what earlier reads kept: 1 if it has the
   configuration change, which it takes out. */
static VIRTIO__IN_LINE int virtio__config_isr(virtio_dev *dev, uint32_t isr) {
    isr |= dev->isr;
    if (!(isr & VIRTIO_ISR_CONFIG)) { /* the usual answer: nothing to take out */
        dev->isr = isr;
        return 0;
    }
    dev->isr = isr & ~(uint32_t)VIRTIO_ISR_CONFIG;
    return 1;
}

/* virtio_dev_config_changed through the transport's interrupt_ack: apart, so that the direct
   path (the block driver's resize check runs it on every request) is a leaf. */
VIRTIO__OUT_OF_LINE static int virtio__config_changed_ops(virtio_dev *dev) {
    return virtio__config_isr(dev, VIRTIO__OP(&dev->t, interrupt_ack)(&dev->t));
}

VIRTIO_DEF int virtio_dev_config_changed(virtio_dev *dev) {
    if (!dev || !VIRTIO__LIVE(&dev->t)) return 0; /* never initialized */
#ifdef VIRTIO__MMIO_DIRECT
    if (dev->mmio) return virtio__config_isr(dev, virtio__mmio_direct_ack(dev->mmio));
#endif
    return virtio__config_changed_ops(dev);
}

VIRTIO_DEF uint16_t virtio_dev_order16(const virtio_dev *dev, uint16_t v) {
    return (VIRTIO__BIG_ENDIAN && !virtio_dev_legacy(dev)) ? virtio__bswap16(v) : v;
}
VIRTIO_DEF uint32_t virtio_dev_order32(const virtio_dev *dev, uint32_t v) {
    return (VIRTIO__BIG_ENDIAN && !virtio_dev_legacy(dev)) ? virtio__bswap32(v) : v;
}
VIRTIO_DEF uint64_t virtio_dev_order64(const virtio_dev *dev, uint64_t v) {
    if (!VIRTIO__BIG_ENDIAN || virtio_dev_legacy(dev)) return v;
    return (uint64_t)virtio__bswap32((uint32_t)v) << 32 | virtio__bswap32((uint32_t)(v >> 32));
}
VIRTIO_DEF uint64_t virtio_dev_dma(const virtio_dev *dev, const void *p) {
    return dev ? virtio__dma(dev, p) : 0u;
}

/* ---- Configuration space: virtio 1.4 "Device Configuration Space" ------------------------------
 */
/* A never-initialized device reads as 0 and ignores writes. */
static int virtio__cfg_ok(const virtio_dev *dev) { return dev && VIRTIO__LIVE(&dev->t); }
static uint32_t virtio__config_gen(virtio_dev *dev) {
    return VIRTIO__OP(&dev->t, config_generation)(&dev->t);
}
VIRTIO_DEF uint8_t virtio_config_read8(virtio_dev *dev, uint32_t off) {
    return virtio__cfg_ok(dev) ? (uint8_t)VIRTIO__OP(&dev->t, config_read)(&dev->t, off, 1) : 0;
}
VIRTIO_DEF uint16_t virtio_config_read16(virtio_dev *dev, uint32_t off) {
    return virtio__cfg_ok(dev) ? (uint16_t)VIRTIO__OP(&dev->t, config_read)(&dev->t, off, 2) : 0;
}
VIRTIO_DEF uint32_t virtio_config_read32(virtio_dev *dev, uint32_t off) {
    return virtio__cfg_ok(dev) ? VIRTIO__OP(&dev->t, config_read)(&dev->t, off, 4) : 0;
}
/* The two 32-bit halves of a 64-bit field, low half at `off`, as read (no generation check). */
static uint64_t virtio__config_pair(virtio_dev *dev, uint32_t off) {
    uint32_t lo = virtio_config_read32(dev, off);
    return (uint64_t)virtio_config_read32(dev, off + 4) << 32 | lo;
}
VIRTIO_DEF uint64_t virtio_config_read64(virtio_dev *dev, uint32_t off) {
    /* "the driver MUST use ... 32-bit wide and aligned accesses for 32-bit and 64-bit wide
       fields": two halves, retried while the generation moves under us. A legacy device has
       no generation: its halves are read until two reads agree ("Legacy Interface: Device
       Configuration Space": "the driver SHOULD read ... until two reads agree"). */
    uint64_t v;
    uint32_t gen = 0, tries;
#ifndef VIRTIO_NO_LEGACY
    uint64_t was = 0; /* the previous read: only a legacy device compares it */
#endif
    if (!virtio__cfg_ok(dev)) return 0;
#ifndef VIRTIO_NO_LEGACY
    if (VIRTIO__DEV_LEGACY(dev)) was = virtio__config_pair(dev, off);
#endif
    for (tries = 0; tries < VIRTIO_CONFIG_RETRIES; tries++) {
        if (!VIRTIO__DEV_LEGACY(dev)) gen = virtio__config_gen(dev);
        v = virtio__config_pair(dev, off);
#ifndef VIRTIO_NO_LEGACY
        if (VIRTIO__DEV_LEGACY(dev)) {
            /* A legacy field is in guest order: on a big-endian CPU its high half comes first. */
            if (v == was) return VIRTIO__BIG_ENDIAN ? v << 32 | v >> 32 : v;
            was = v;
            continue;
        }
#endif
        if (virtio__config_gen(dev) == gen) return v;
    }
    if (!dev->error) dev->error = VIRTIO_EDEVICE;
    return 0;
}
VIRTIO_DEF void virtio_config_write8(virtio_dev *dev, uint32_t off, uint8_t value) {
    if (virtio__cfg_ok(dev)) VIRTIO__OP(&dev->t, config_write)(&dev->t, off, 1, value);
}
VIRTIO_DEF void virtio_config_write16(virtio_dev *dev, uint32_t off, uint16_t value) {
    if (virtio__cfg_ok(dev)) VIRTIO__OP(&dev->t, config_write)(&dev->t, off, 2, value);
}
VIRTIO_DEF void virtio_config_write32(virtio_dev *dev, uint32_t off, uint32_t value) {
    if (virtio__cfg_ok(dev)) VIRTIO__OP(&dev->t, config_write)(&dev->t, off, 4, value);
}

VIRTIO_DEF int virtio_config_atomic(virtio_dev *dev, virtio_config_reader read, void *ctx) {
    uint32_t tries, gen;
    int r;
    if (!dev || !read) return VIRTIO_EINVAL;
    r = virtio_dev_usable(dev);
    if (r) return r;
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

/* ---- Virtqueues: virtio 1.4 "Split Virtqueues" and "Packed Virtqueues" -------------------------
 */
#ifndef VIRTIO_INDIRECT_MIN
#define VIRTIO_INDIRECT_MIN 4u
#endif

/* Layout of the rings: descriptor table (16 bytes each, 16-aligned), available ring (flags, idx,
   ring[size], used_event), used ring (flags, idx, ring[size] of 8 bytes, avail_event;
   4-aligned, or at the next 4096 boundary on legacy transports), then the indirect tables
   (16-aligned). A packed ring (modern transports only) takes the first 16 * size + 8 bytes of
   the same block: descriptor ring, driver event area, device event area ("Packed Virtqueues /
   Structure Size and Alignment"), so one size fits both formats. */
static int virtio__layout(uint32_t size, int legacy, size_t *used_off, size_t *ind_off,
                          size_t *total) {
    size_t avail_end, used_end;
    if (size == 0 || size > VIRTIO_QUEUE_SIZE_MAX || (size & (size - 1)) != 0) return 0;
    avail_end = 16u * (size_t)size + 6u + 2u * (size_t)size;
    *used_off = virtio_align_up(avail_end, legacy ? VIRTIO_LEGACY_QUEUE_ALIGN : 4u);
    used_end = *used_off + 6u + 8u * (size_t)size;
    *ind_off = virtio_align_up(used_end, 16u);
    /* Legacy: "MUST allocate the total number of bytes for the virtqueue" by the spec's formula,
       which pads the used ring to QueueAlign too; the tables take that padding first. */
    *total = virtio_align_up(*ind_off + VIRTIO_QUEUE_INDIRECT_MEM(size),
                             legacy ? VIRTIO_LEGACY_QUEUE_ALIGN : 16u);
    return 1;
}
#ifdef VIRTIO_NO_LEGACY
static int virtio__t_legacy(const virtio_transport *t) {
    (void)t;
    return 0;
}
#else
static int virtio__t_legacy(const virtio_transport *t) { return !t || t->legacy; }
#endif

/* The ring's entries for a driver's wish of `size`: the device's fixed size where the
   transport has one (legacy virtio-pci), if larger. */
static uint32_t virtio__ring_entries(const virtio_transport *t, uint32_t size) {
#ifdef VIRTIO_MMIO_ONLY
    (void)t;
#else
    if (t && t->queue_fixed > size && size != 0 && size <= VIRTIO_QUEUE_SIZE_MAX &&
        (size & (size - 1u)) == 0)
        return t->queue_fixed;
#endif
    return size;
}
VIRTIO_DEF size_t virtio_queue_ring_size(const virtio_transport *t, uint32_t size) {
    size_t used_off, ind_off, total;
    size = virtio__ring_entries(t, size);
    return virtio__layout(size, virtio__t_legacy(t), &used_off, &ind_off, &total) ? total : 0;
}
VIRTIO_DEF size_t virtio_queue_ring_align(const virtio_transport *t) {
    return virtio__t_legacy(t) ? VIRTIO_LEGACY_QUEUE_ALIGN : 16u;
}
VIRTIO_DEF size_t virtio_queue_shadow_size(uint32_t size) {
    return size != 0 && size <= VIRTIO_QUEUE_SIZE_MAX && (size & (size - 1)) == 0
               ? (size_t)size * sizeof(virtio_queue_shadow)
               : 0;
}
VIRTIO_DEF size_t virtio_queue_mem_size(const virtio_transport *t, uint32_t size) {
    size_t ring = virtio_queue_ring_size(t, size);
    return ring ? virtio_align_up(ring, 8u) + virtio_queue_shadow_size(size) : 0;
}

VIRTIO_DEF int virtio_queue_init(virtio_queue *q, virtio_dev *dev, uint32_t index,
                                 const virtio_queue_params *p) {
    /* The offsets come from the layout of n below, which cannot fail (0: for the compiler). */
    size_t used_off = 0, ind_off = 0, total, align, ring_need, shadow_need;
    uint32_t max, n, nd, i;
    uint64_t base, driver, device;
    char *m, *shadow;
    int legacy, packed = 0, r;
    if (!q || !dev || !p || !p->ring || index > 0xffffu) return VIRTIO_EINVAL;
    r = virtio_dev_usable(dev);
    if (r == VIRTIO_ESTATE) return r;
    legacy = VIRTIO__DEV_LEGACY(dev) ? 1 : 0;
    /* Rings for the device's fixed size where it has one (legacy virtio-pci), else p->size. */
    ring_need = virtio_queue_ring_size(&dev->t, p->size);
    if (ring_need == 0) return VIRTIO_EINVAL; /* else p->size is a valid queue size */
    shadow_need = VIRTIO_QUEUE_SHADOW_MEM(p->size);
    m = (char *)p->ring;
    shadow = (char *)p->shadow;
    if (!shadow) {
        ring_need = virtio_align_up(ring_need, 8u);
        shadow = m + ring_need;
        ring_need += shadow_need;
    } else if (p->shadow_size < shadow_need || ((uintptr_t)shadow & 7u) != 0) {
        return VIRTIO_EINVAL;
    }
    align = virtio_queue_ring_align(&dev->t);
    if (p->ring_size < ring_need || ((uintptr_t)m & (align - 1)) != 0) return VIRTIO_EINVAL;
    base = virtio__dma(dev, m);
    if ((base & (align - 1)) != 0) return VIRTIO_EINVAL;
    if (legacy && base / VIRTIO_LEGACY_QUEUE_ALIGN > 0xffffffffu) return VIRTIO_EINVAL;
    if (r) return r;
    /* Queues are set up after FEATURES_OK and before DRIVER_OK ("Device Initialization" 7). */
    if (!dev->negotiated || (dev->status & VIRTIO_STATUS_DRIVER_OK) != 0) return VIRTIO_ESTATE;

    max = VIRTIO__OP(&dev->t, queue_max)(&dev->t, index);
    if (max == 0) return VIRTIO_ENOQUEUE;
    if (max > VIRTIO_QUEUE_SIZE_MAX) max = VIRTIO_QUEUE_SIZE_MAX;
    /* Our rings are a power of two long (a packed one need not be, but the same sizes serve
       both); shrink to what the device can take. A smaller queue fits in memory sized for a
       larger one. The driver uses nd descriptors (the shadow's entries): n, or, where the
       device fixes the size (legacy virtio-pci: "Queue Size ... is read-only"), the rings are
       the device's n entries and the driver keeps to the first min(p->size, n) descriptors. */
    n = p->size;
    while (n > max)
        n >>= 1;
    nd = n;
    if (VIRTIO__QUEUE_FIXED(&dev->t)) {
        /* Device-written: a power of two no larger than what the memory was checked for. */
        if (max > dev->t.queue_fixed || (max & (max - 1u)) != 0) return VIRTIO_ENOQUEUE;
        n = max;
    }
    virtio__layout(n, legacy, &used_off, &ind_off, &total);
#ifndef VIRTIO_NO_PACKED
    packed = !legacy && virtio_dev_has(dev, VIRTIO_F_RING_PACKED);
#endif

    /* Zero the rings: split indices start at 0 and nothing stale may look like a used entry;
       "The descriptor ring is zero-initialized" (packed), which no wrap counter takes for a
       used descriptor. The indirect tables are written before each use. */
    VIRTIO_MEMSET(m, 0, packed ? 16u * (size_t)n + 8u : ind_off);
    /* Every index, counter and pointer starts at 0 (NULL pointers are all-zero bits on every
       target this library supports); then what is not. */
    VIRTIO_MEMSET(q, 0, sizeof *q);
    q->dev = dev;
    q->shadow = (virtio_queue_shadow *)(void *)shadow;
    q->index = (uint16_t)index;
    q->size = (uint16_t)n;
    q->ndesc = (uint16_t)nd;
    q->num_free = (uint16_t)nd;
#ifndef VIRTIO_NO_EVENT_IDX /* else never negotiated: 0 */
    q->event_idx = (uint16_t)virtio_dev_has(dev, VIRTIO_F_EVENT_IDX);
#endif
    q->legacy = (uint16_t)legacy;
    q->flags = (uint16_t)p->flags;
#if VIRTIO_INDIRECT_TABLES
    if (virtio_dev_has(dev, VIRTIO_F_INDIRECT_DESC) && !(p->flags & VIRTIO_QUEUE_F_NO_INDIRECT)) {
        q->ind_n = (uint16_t)VIRTIO__IND_TABLES(nd);
        q->ind_free = q->ind_n >= 32u ? 0xffffffffu : (1u << q->ind_n) - 1u;
        q->ind = (volatile virtio_virtq_desc *)(void *)(m + ind_off);
        q->ind_dma = base + ind_off;
    }
#endif
    /* Free descriptors (split) or free buffer ids (packed), linked through the shadow; count 0
       marks each free. A cookie and a writable length are written by the add that takes the
       entry, and read only while it is outstanding (count above 0). */
    for (i = 0; i < nd; i++) {
        q->shadow[i].next = (uint16_t)(i + 1);
        q->shadow[i].count = 0;
    }
    if (packed) {
        q->ring = (volatile virtio_virtq_packed_desc *)(void *)m;
        q->avail = (volatile uint16_t *)(void *)(m + 16u * (size_t)n);
        q->used = q->avail + 2;
        driver = base + 16u * (uint64_t)n;
        device = driver + 4u;
        /* We poll: no used buffer notifications, event index or not ("Driver and Device Event
           Suppression": RING_EVENT_FLAGS_DISABLE in the driver area the device reads). */
        q->avail[1] = VIRTIO__R16(q, VIRTQ_RING_EVENT_FLAGS_DISABLE);
    } else {
        q->desc = (volatile virtio_virtq_desc *)(void *)m;
        q->avail = (volatile uint16_t *)(void *)(m + 16u * (size_t)n);
        q->used = (volatile uint16_t *)(void *)(m + used_off);
        q->used_ring = (volatile virtio_virtq_used_elem *)(void *)(m + used_off + 4u);
        driver = base + 16u * (uint64_t)n;
        device = base + used_off;
        /* We poll, so ask for no used-buffer notifications: the NO_INTERRUPT flag, or with the
           event index (where flags must stay 0) a used_event the device has always passed. */
        if (VIRTIO__EVENT_IDX(q))
            q->avail[2u + n] = VIRTIO__R16(q, 0xffffu);
        else
            q->avail[0] = VIRTIO__R16(q, VIRTQ_AVAIL_F_NO_INTERRUPT);
    }

    r = VIRTIO__OP(&dev->t, queue_enable)(&dev->t, index, n, base, driver, device, &q->notify);
    if (r) {
        q->dev = 0;
        return r;
    }
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_queue_usable(const virtio_queue *q) {
    if (!q) return VIRTIO_EINVAL;
    if (!q->dev || !VIRTIO__LIVE(&q->dev->t)) return VIRTIO_ESTATE;
    if (q->error) return q->error;
    return q->dev->error;
}

/* A segment the caller may not post, checked as its descriptor is written. */
#define VIRTIO__SEG_BAD(s) (!(s)->addr || (s)->len == 0)

/* With a DMA hook (virtio_regs.dma), the device's addresses of a chain just written with CPU
   addresses, before any of it is made available. Apart from the adds, so that they call
   nothing without one. The chain starts at descriptor i of `tab` (split and packed
   descriptors both start with the 64-bit address) and goes on at (i + 1) & mask, or, with
   mask 0, along the shadow's links (a split ring). */
VIRTIO__OUT_OF_LINE static int virtio__dma_fix(virtio_queue *q, volatile virtio_virtq_desc *tab,
                                               uint16_t i, uint16_t mask, const virtio_seg *segs,
                                               unsigned n) {
    const virtio_regs *r = &q->dev->t.regs;
    const virtio_seg *end = segs + n;
    for (; segs != end; segs++) {
        uint64_t a = r->dma(r->user, segs->addr); /* the call first: less to keep across it */
        tab[i].addr = VIRTIO__R64(q, a);
        i = mask ? (uint16_t)((i + 1u) & mask) : q->shadow[i].next;
    }
    return VIRTIO_OK;
}

/* Available buffer notification: virtio_transport_ops.notify, direct where it can be
   (virtio_dev.mmio: QueueNotify takes the value queue_enable stored, the queue index). */
static void virtio__notify(virtio_queue *q) {
    virtio_dev *dev = q->dev;
#ifdef VIRTIO__MMIO_DIRECT
    if (dev->mmio) {
        virtio__mmio_direct_notify(dev->mmio, q->notify);
        return;
    }
#endif
    VIRTIO__OP(&dev->t, notify)(&dev->t, q->index, q->notify);
}

/* ---- Packed ring, driver side: virtio 1.4 "Packed Virtqueues" ---- */
#ifndef VIRTIO_NO_PACKED
/* AVAIL and USED of an available descriptor at slot counter `slot`: AVAIL equal to the driver's
   wrap counter (1 on the first lap), USED its inverse. */
static uint16_t virtio__pk_wrap(const virtio_queue *q, uint16_t slot) {
    return (uint16_t)((slot & q->size) ? VIRTQ_DESC_F_USED : VIRTQ_DESC_F_AVAIL);
}

/* Accounts a buffer of `count` slots written at avail_slot whose first descriptor's flags are
   `head`. "The driver always makes the first descriptor in the list available after the rest
   of the list has been written out": the first head of a batch is held back until the kick,
   and the device, which reads the ring in order, cannot reach the later heads before it. */
static void virtio__pk_head(virtio_queue *q, uint16_t head, uint16_t count) {
    uint16_t slot = q->avail_slot;
    if (slot == q->pub_slot)
        q->hid_flags = head;
    else
        q->ring[slot & (q->size - 1u)].flags = VIRTIO__R16(q, head);
    q->avail_slot = (uint16_t)(slot + count);
    q->num_free = (uint16_t)(q->num_free - count);
    q->avail_idx++;
}

VIRTIO__OUT_OF_LINE static int virtio__pk_add(virtio_queue *q, const virtio_seg *segs,
                                              unsigned n_out, unsigned n, void *cookie) {
    uint16_t id = q->free_head, pos, wrap, head = 0;
    unsigned k;
    uint64_t wlen = 0;
    if (n > q->num_free) return VIRTIO_ENOSPC;
    pos = (uint16_t)(q->avail_slot & (q->size - 1u));
    wrap = virtio__pk_wrap(q, q->avail_slot);
    for (k = 0; k < n; k++) {
        volatile virtio_virtq_packed_desc *d = &q->ring[pos];
        uint16_t f = wrap;
        if (k >= n_out) {
            f = (uint16_t)(f | VIRTQ_DESC_F_WRITE);
            wlen += segs[k].len;
        }
        if (k + 1 < n) f = (uint16_t)(f | VIRTQ_DESC_F_NEXT);
        d->addr = VIRTIO__R64(q, (uint64_t)(uintptr_t)segs[k].addr);
        d->len = VIRTIO__R32(q, segs[k].len);
        d->id = VIRTIO__R16(q, id); /* "Buffer ID is included in the last descriptor": in all */
        if (k == 0)
            head = f;
        else
            d->flags = VIRTIO__R16(q, f);
        if (++pos == q->size) { /* the end of the ring: the next lap's wrap counter */
            pos = 0;
            wrap ^= (uint16_t)(VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED);
        }
    }
    /* Every segment and the writable total were checked by virtio__add_ok. */
    if (q->dev->t.regs.dma)
        virtio__dma_fix(q, (volatile virtio_virtq_desc *)(volatile void *)q->ring,
                        (uint16_t)(q->avail_slot & (q->size - 1u)), (uint16_t)(q->size - 1u), segs,
                        n);
    q->free_head = q->shadow[id].next;
    q->shadow[id].cookie = cookie;
    q->shadow[id].wlen = (uint32_t)wlen;
    q->shadow[id].count = (uint16_t)n;
    virtio__pk_head(q, head, (uint16_t)n);
    return VIRTIO_OK;
}

#ifndef VIRTIO_NO_FAST_PATH
/* virtio__pk_add for a chain virtio__add3_ok accepted (three slots before the ring's end):
   straight-line, one buffer id for the three descriptors. */
VIRTIO__OUT_OF_LINE static void virtio__pk_add3(virtio_queue *q, const virtio_seg *segs,
                                                unsigned n_out, void *cookie, uint32_t wlen) {
    uint16_t id = q->free_head, wrap = virtio__pk_wrap(q, q->avail_slot);
    volatile virtio_virtq_packed_desc *d = &q->ring[q->avail_slot & (q->size - 1u)];
    virtio_queue_shadow *h = &q->shadow[id];
    d[0].addr = VIRTIO__R64(q, (uint64_t)(uintptr_t)segs[0].addr);
    d[0].len = VIRTIO__R32(q, segs[0].len);
    d[0].id = VIRTIO__R16(q, id);
    d[1].addr = VIRTIO__R64(q, (uint64_t)(uintptr_t)segs[1].addr);
    d[1].len = VIRTIO__R32(q, segs[1].len);
    d[1].id = VIRTIO__R16(q, id);
    d[1].flags = VIRTIO__R16(
        q, wrap | (n_out == 1u ? VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE : VIRTQ_DESC_F_NEXT));
    d[2].addr = VIRTIO__R64(q, (uint64_t)(uintptr_t)segs[2].addr);
    d[2].len = VIRTIO__R32(q, segs[2].len);
    d[2].id = VIRTIO__R16(q, id);
    d[2].flags = VIRTIO__R16(q, wrap | VIRTQ_DESC_F_WRITE);
    q->free_head = h->next;
    h->cookie = cookie;
    h->wlen = wlen;
    h->count = 3;
    if (q->dev->t.regs.dma)
        virtio__dma_fix(q, (volatile virtio_virtq_desc *)(volatile void *)q->ring,
                        (uint16_t)(q->avail_slot & (q->size - 1u)), (uint16_t)(q->size - 1u), segs,
                        3u);
    virtio__pk_head(q, (uint16_t)(wrap | VIRTQ_DESC_F_NEXT), 3u);
}

#endif

VIRTIO__OUT_OF_LINE static int virtio__pk_kick(virtio_queue *q) {
    uint16_t old = q->pub_slot, now = q->avail_slot, fl, ow, ev;
    int notify;
    /* Every descriptor of the batch before the flags of its first head, which make them all
       available at once. */
    VIRTIO_WMB();
    q->ring[old & (q->size - 1u)].flags = VIRTIO__R16(q, q->hid_flags);
    q->pub_slot = now;
    q->avail_pub = q->avail_idx;
    /* The head's flags before reading the device event area: as avail.idx before avail_event
       in a split ring, or the device may miss the buffers while we miss its request. */
    VIRTIO_MB();
    fl = (uint16_t)(VIRTIO__R16(q, q->used[1]) & 3u);
    if (fl == VIRTQ_RING_EVENT_FLAGS_DESC && q->event_idx) {
        /* off_wrap names one slot: notify if this batch made it available. As a slot counter
           in the lap of `now` (its wrap bit matches ours) or in the lap before. */
        ow = VIRTIO__R16(q, q->used[0]);
        ev = (uint16_t)((now & (uint16_t) ~(q->size - 1u)) + (ow & 0x7fffu));
        if ((ow >> 15) != ((now & q->size) == 0)) ev = (uint16_t)(ev - q->size);
        notify = (uint16_t)(now - ev - 1u) < (uint16_t)(now - old);
    } else {
        /* ENABLE, or a value we cannot use: a spurious notification is harmless. */
        notify = fl != VIRTQ_RING_EVENT_FLAGS_DISABLE;
    }
    if (notify) virtio__notify(q);
    return VIRTIO_OK;
}
#endif

/* An indirect table back to the pool, if the buffer `id` (count 1) holds one: its number is in
   the shadow's next (unused while a one-slot buffer is outstanding), checked against the owner
   record so that a direct buffer's stale link never frees a table. */
/* Inline: a call would make the split ring's poll save registers on every call. */
static VIRTIO__IN_LINE void virtio__ind_put(virtio_queue *q, size_t id) {
    uint16_t t = q->shadow[id].next;
    if (t < q->ind_n && q->ind_owner[t] == id && !((q->ind_free >> t) & 1u)) q->ind_free |= 1u << t;
}

#if VIRTIO_INDIRECT_TABLES
/* The chain in a table of its own and one descriptor (INDIRECT) in the ring: "Indirect
   Descriptors" of either format. */
VIRTIO__OUT_OF_LINE static int virtio__ind_add(virtio_queue *q, const virtio_seg *segs,
                                               unsigned n_out, unsigned n, void *cookie) {
    unsigned k, t = 0;
    uint16_t id;
    uint64_t addr, wlen = 0;
    volatile virtio_virtq_desc *tab;
    if (q->num_free == 0) return VIRTIO_ENOSPC;
    while (!((q->ind_free >> t) & 1u))
        t++;
    tab = q->ind + (size_t)t * VIRTIO_INDIRECT_SEGS;
    /* Every segment and the writable total were checked by virtio__add_ok. */
    for (k = 0; k < n; k++) {
        uint16_t f = 0;
        if (k >= n_out) {
            f = VIRTQ_DESC_F_WRITE;
            wlen += segs[k].len;
        }
        tab[k].addr = VIRTIO__R64(q, (uint64_t)(uintptr_t)segs[k].addr);
        tab[k].len = VIRTIO__R32(q, segs[k].len);
#ifndef VIRTIO_NO_PACKED
        if (q->ring) {
            /* struct pvirtq_desc: id (ignored), then flags, of which only WRITE is valid. */
            volatile virtio_virtq_packed_desc *pd = (volatile virtio_virtq_packed_desc *)tab + k;
            pd->id = 0;
            pd->flags = VIRTIO__R16(q, f);
            continue;
        }
#endif
        /* struct virtq_desc: linked through table indices. */
        if (k + 1 < n) f = (uint16_t)(f | VIRTQ_DESC_F_NEXT);
        tab[k].flags = VIRTIO__R16(q, f);
        tab[k].next = VIRTIO__R16(q, k + 1 < n ? k + 1u : 0u);
    }
    if (q->dev->t.regs.dma) virtio__dma_fix(q, tab, 0, 0xffffu, segs, n);
    q->ind_free &= ~(1u << t);
    addr = q->ind_dma + (uint64_t)t * (VIRTIO_INDIRECT_SEGS * 16u);
    id = q->free_head;
    q->free_head = q->shadow[id].next;
    q->ind_owner[t] = id;
    q->shadow[id].next = (uint16_t)t;
    q->shadow[id].cookie = cookie;
    q->shadow[id].wlen = (uint32_t)wlen;
    q->shadow[id].count = 1;
#ifndef VIRTIO_NO_PACKED
    if (q->ring) {
        volatile virtio_virtq_packed_desc *d = &q->ring[q->avail_slot & (q->size - 1u)];
        d->addr = VIRTIO__R64(q, addr);
        d->len = VIRTIO__R32(q, (uint32_t)n * 16u);
        d->id = VIRTIO__R16(q, id);
        virtio__pk_head(q, (uint16_t)(virtio__pk_wrap(q, q->avail_slot) | VIRTQ_DESC_F_INDIRECT),
                        1u);
        return VIRTIO_OK;
    }
#endif
    q->desc[id].addr = VIRTIO__R64(q, addr);
    q->desc[id].len = VIRTIO__R32(q, (uint32_t)n * 16u);
    q->desc[id].flags = VIRTIO__R16(q, VIRTQ_DESC_F_INDIRECT); /* never with NEXT */
    q->desc[id].next = 0;
    q->num_free--;
    q->avail[2u + (size_t)(q->avail_idx & (q->size - 1u))] = VIRTIO__R16(q, id);
    q->avail_idx++;
    return VIRTIO_OK;
}
#endif

/* The checks of virtio_queue_add that come before anything is written. `ready`: the status bit
   the call needs besides `negotiated` (0: none; DRIVER_OK to publish), refused with
   VIRTIO_ESTATE after every other check. */
static VIRTIO__IN_LINE int virtio__add_ok(virtio_queue *q, const virtio_seg *segs, unsigned n_out,
                                          unsigned n_in, void *cookie, uint32_t ready) {
    unsigned k, n = n_out + n_in;
    uint64_t wlen = 0;
    if (!q || !segs || !cookie) return VIRTIO_EINVAL;
    if (!q->dev) return VIRTIO_ESTATE;
    /* n_out + n_in at most ndesc, compared so that no sum can wrap. */
    if (n == 0 || n_out > q->ndesc || n_in > (unsigned)q->ndesc - n_out) return VIRTIO_EINVAL;
    VIRTIO__RETURN_IF_BROKEN(q);
    if (!q->dev->negotiated) return VIRTIO_ESTATE; /* the device was reset: the queue is gone */
    /* Every segment before any descriptor is written: a caller error changes nothing. */
    for (k = 0; k < n; k++) {
        if (VIRTIO__SEG_BAD(&segs[k])) return VIRTIO_EINVAL;
        if (k >= n_out) wlen += segs[k].len;
    }
    if (wlen > 0xffffffffu) return VIRTIO_EINVAL;
    if (ready && !(q->dev->status & ready)) return VIRTIO_ESTATE;
    return VIRTIO_OK;
}

/* virtio_queue_add once virtio__add_ok said yes (n = n_out + n_in): every segment was checked
   there, so one pass per ring format writes the descriptors. */
static VIRTIO__IN_LINE int virtio__add(virtio_queue *q, const virtio_seg *segs, unsigned n_out,
                                       unsigned n, void *cookie) {
    const virtio_seg *sg = segs, *in = segs + n_out, *end = segs + n;
    virtio_queue_shadow *sh = q->shadow; /* read once: the ring stores below are volatile */
    volatile virtio_virtq_desc *desc = q->desc;
    uint16_t head, i;
    uint64_t wlen = 0;
#if VIRTIO_INDIRECT_TABLES
    /* A long chain, or one the ring has no room for, takes one slot through a table. */
    if ((n >= VIRTIO_INDIRECT_MIN || n > q->num_free) && n > 1u && n <= VIRTIO_INDIRECT_SEGS &&
        q->ind_free)
        return virtio__ind_add(q, segs, n_out, n, cookie);
#endif
#ifndef VIRTIO_NO_PACKED
    if (q->ring) return virtio__pk_add(q, segs, n_out, n, cookie);
#endif
    if (n > q->num_free) return VIRTIO_ENOSPC;
    /* Fill the descriptors from the free list. Links come from the shadow, never from the
       table the device can see; free descriptors are the driver's to write. */
    head = i = q->free_head;
    for (;; sg++) {
        volatile virtio_virtq_desc *d = &desc[i];
        uint16_t flags = 0;
        if (sg >= in) {
            flags = VIRTQ_DESC_F_WRITE;
            wlen += sg->len;
        }
        d->addr = VIRTIO__R64(q, (uint64_t)(uintptr_t)sg->addr);
        d->len = VIRTIO__R32(q, sg->len);
        if (sg + 1 == end) {
            d->flags = VIRTIO__R16(q, flags);
            d->next = 0;
            break;
        }
        i = sh[i].next;
        d->flags = VIRTIO__R16(q, flags | VIRTQ_DESC_F_NEXT);
        d->next = VIRTIO__R16(q, i);
    }
    q->free_head = sh[i].next;
    q->num_free = (uint16_t)(q->num_free - n);
    sh[head].cookie = cookie;
    sh[head].wlen = (uint32_t)wlen;
    sh[head].count = (uint16_t)n;
    /* "The driver places the index of the head of the descriptor chain into the next ring
       entry of the available ring." It becomes visible with avail.idx in virtio_queue_kick,
       so the addresses may still change: last, as a tail call. */
    q->avail[2u + (size_t)(q->avail_idx & (q->size - 1u))] = VIRTIO__R16(q, head);
    q->avail_idx++;
    return q->dev->t.regs.dma ? virtio__dma_fix(q, q->desc, head, 0, segs, n) : VIRTIO_OK;
}

#ifndef VIRTIO_NO_FAST_PATH
/* The chain most requests are (header, data, status: block, GPU), on either ring format:
   three segments, the first readable, the last writable, the middle either (n_out 1 or 2),
   with three descriptors free and no indirect table wanted (a chain of three takes one only
   when fewer descriptors are free); on a packed ring, three slots before the ring's end.
   *wlen: its writable bytes. 0 if the general path must take the call: anything else,
   including every caller error (found there, as ever). The checks of virtio__add_ok, unrolled,
   before anything is written. `ready`: the status bit the call needs besides `negotiated` (0:
   none; DRIVER_OK to publish, which a reset clears with the rest of the status). */
static VIRTIO__IN_LINE int virtio__add3_ok(virtio_queue *q, const virtio_seg *segs, unsigned n_out,
                                           unsigned n_in, void *cookie, uint32_t ready,
                                           uint32_t *wlen) {
    virtio_dev *dev;
    if (!q || !segs || !cookie || n_out + n_in != 3u || n_out - 1u > 1u) return 0;
    dev = q->dev;
#ifndef VIRTIO_NO_PACKED
    /* A packed ring: the three slots before the ring's end (no lap change inside). */
    if (q->ring && (int)(q->avail_slot & (q->size - 1u)) > (int)q->size - 3) return 0;
#endif
#if VIRTIO_INDIRECT_TABLES && VIRTIO_INDIRECT_MIN <= 3
    if (q->ind_free) return 0;
#endif
    if (!dev || q->error || dev->error || (ready && !(dev->status & ready)) || !dev->negotiated ||
        q->num_free < 3u)
        return 0;
    if (VIRTIO__SEG_BAD(&segs[0]) || VIRTIO__SEG_BAD(&segs[1]) || VIRTIO__SEG_BAD(&segs[2]))
        return 0;
    *wlen = segs[2].len;
    if (n_out == 1u) { /* the middle one writable too: their sum within 32 bits */
        *wlen += segs[1].len;
        if (*wlen < segs[1].len) return 0;
    }
    return 1;
}

/* The split ring's short add: three descriptors off the free list (links from the shadow, as
   in virtio__add), straight-line, without the DMA hook's addresses. Returns the head. */
static VIRTIO__IN_LINE uint16_t virtio__split3(virtio_queue *q, const virtio_seg *segs,
                                               unsigned n_out, void *cookie, uint32_t wlen) {
    virtio_queue_shadow *sh = q->shadow;
    volatile virtio_virtq_desc *desc = q->desc;
    uint16_t a = q->free_head, b = sh[a].next, c = sh[b].next;
    desc[a].addr = VIRTIO__R64(q, (uint64_t)(uintptr_t)segs[0].addr);
    desc[a].len = VIRTIO__R32(q, segs[0].len);
    desc[a].flags = VIRTIO__R16(q, VIRTQ_DESC_F_NEXT);
    desc[a].next = VIRTIO__R16(q, b);
    desc[b].addr = VIRTIO__R64(q, (uint64_t)(uintptr_t)segs[1].addr);
    desc[b].len = VIRTIO__R32(q, segs[1].len);
    desc[b].flags =
        VIRTIO__R16(q, n_out == 1u ? VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE : VIRTQ_DESC_F_NEXT);
    desc[b].next = VIRTIO__R16(q, c);
    desc[c].addr = VIRTIO__R64(q, (uint64_t)(uintptr_t)segs[2].addr);
    desc[c].len = VIRTIO__R32(q, segs[2].len);
    desc[c].flags = VIRTIO__R16(q, VIRTQ_DESC_F_WRITE);
    desc[c].next = 0;
    q->free_head = sh[c].next;
    q->num_free = (uint16_t)(q->num_free - 3u);
    sh[a].cookie = cookie;
    sh[a].wlen = wlen;
    sh[a].count = 3;
    q->avail[2u + (size_t)(q->avail_idx & (q->size - 1u))] = VIRTIO__R16(q, a);
    q->avail_idx++;
    return a;
}

#endif

/* The general adds: out of line next to the short path, which then stays free of their loops
   and registers; in line without it. */
#ifdef VIRTIO_NO_FAST_PATH
#define VIRTIO__ADD_ANY VIRTIO__IN_LINE
#else
#define VIRTIO__ADD_ANY VIRTIO__OUT_OF_LINE
#endif

/* Room for a chain of three (virtio__add would not say VIRTIO_ENOSPC): three descriptors, or
   one and an indirect table. */
static int virtio__fits3(const virtio_queue *q) {
#if VIRTIO_INDIRECT_TABLES && VIRTIO_INDIRECT_SEGS >= 3
    if (q->ind_free && q->num_free >= 1u) return 1;
#endif
    return q->num_free >= 3u;
}

/* The general add (any chain, any ring format): 0, or an error with nothing added. `ready`
   as for virtio__add_ok. With `look` (VIRTIO_ADD3_CONFIG, a chain of three), after every check
   (VIRTIO_ENOSPC too) the look for a configuration change, before anything is written. */
VIRTIO__ADD_ANY static int virtio__add_any(virtio_queue *q, const virtio_seg *segs, unsigned n_out,
                                           unsigned n_in, void *cookie, uint32_t ready,
                                           unsigned look) {
    int r = virtio__add_ok(q, segs, n_out, n_in, cookie, ready);
    if (r) return r;
    if (look) {
        if (!virtio__fits3(q)) return VIRTIO_ENOSPC;
        if (virtio_dev_config_changed(q->dev)) return VIRTIO_ECONFIG;
    }
    return virtio__add(q, segs, n_out, n_out + n_in, cookie);
}

VIRTIO_DEF int virtio_queue_add(virtio_queue *q, const virtio_seg *segs, unsigned n_out,
                                unsigned n_in, void *cookie) {
#ifndef VIRTIO_NO_FAST_PATH
    /* A chain of three the short path takes (it answers every error as this call would). */
    if (n_out + n_in == 3u && n_out - 1u <= 1u)
        return virtio_queue_add3(q, segs, n_out == 2u ? VIRTIO_ADD3_OUT : 0u, cookie, 0);
#endif
    return virtio__add_any(q, segs, n_out, n_in, cookie, 0, 0);
}

/* The checks of virtio_queue_kick. */
static VIRTIO__IN_LINE int virtio__kick_ok(virtio_queue *q) {
    if (!q) return VIRTIO_EINVAL;
    if (!q->dev) return VIRTIO_ESTATE;
    VIRTIO__RETURN_IF_BROKEN(q);
    /* "The driver MUST NOT send any buffer available notifications to the device before
       setting DRIVER_OK." */
    if (!(q->dev->status & VIRTIO_STATUS_DRIVER_OK)) return VIRTIO_ESTATE;
    return VIRTIO_OK;
}

/* The split ring's kick of chains [old, now): publishes them; 1 if the device wants to be
   notified. */
static VIRTIO__IN_LINE int virtio__split_kick(virtio_queue *q, uint16_t old, uint16_t now) {
    int notify;
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
    if (VIRTIO__EVENT_IDX(q)) {
        /* Notify if avail_event lies in [old, now): the wrap-safe test of virtio 1.4
           "Virtqueue Notification Suppression". */
        uint32_t ev = VIRTIO__R16(q, q->used[2u + 4u * (size_t)q->size]);
        /* The distances modulo 2^16, compared in the top half of 32 bits (no masks). */
        notify = (uint32_t)(now - ev - 1u) << 16 < (uint32_t)(now - old) << 16;
    } else {
        notify = !(VIRTIO__R16(q, q->used[0]) & VIRTQ_USED_F_NO_NOTIFY);
    }
    /* The accessor orders the notification after the ring writes (see its contract). */
    return notify;
}

/* virtio_queue_kick once virtio__kick_ok said yes. */
static VIRTIO__IN_LINE int virtio__kick(virtio_queue *q) {
    uint16_t old = q->avail_pub, now = q->avail_idx;
    if (old == now) return VIRTIO_OK;
#ifndef VIRTIO_NO_PACKED
    if (q->ring) return virtio__pk_kick(q);
#endif
    if (virtio__split_kick(q, old, now)) virtio__notify(q);
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_queue_kick(virtio_queue *q) {
    int r = virtio__kick_ok(q);
    return r ? r : virtio__kick(q);
}

static int virtio__queue_fault(virtio_queue *q) {
    q->error = VIRTIO_EDEVICE;
    return q->error;
}

/* Hands a used buffer back: its cookie and length to the caller, its id to the free list. */
static void virtio__give_back(virtio_queue *q, virtio_queue_shadow *h, uint32_t ulen, void **cookie,
                              uint32_t *len) {
    h->count = 0;
    if (cookie) *cookie = h->cookie;
    if (len) *len = ulen;
    q->last_used++;
}

/* A poll that found nothing. Every VIRTIO_POLL_CHECK_MASK + 1 of them (per device) it looks at
   the status, so a caller that never waits notices NEEDS_RESET too, and acknowledges the
   interrupt status. Otherwise VIRTIO_EAGAIN, at the cost of one increment. */
static int virtio__empty(virtio_queue *q) {
    virtio_dev *dev = q->dev;
    if ((++dev->empty & VIRTIO_POLL_CHECK_MASK) == 0) {
        int r;
        (void)virtio_dev_interrupt_ack(dev);
        r = virtio_dev_check(dev);
        if (r) return r;
    }
    return VIRTIO_EAGAIN;
}

/* 1 if buffer `id` was added after the last kick: the device was never shown it, so a used
   id naming it is a fault ("Virtqueues / The Virtqueue Used Ring": ids of chains the device
   was given). The heads of the unpublished chains are read back from the ring positions past
   what was published, which only the driver writes (the device may not write an avail ring
   entry, nor a packed descriptor it was not given). The split ring's: in line, a loop that
   runs only while such chains exist, so that the poll calls nothing before it hands a buffer
   back (a call there made the waits save a dozen registers). */
static VIRTIO__IN_LINE int virtio__unpublished(const virtio_queue *q, uint16_t id) {
    uint16_t p, n = (uint16_t)(q->avail_idx - q->avail_pub);
    for (p = 0; p < n; p++)
        if (VIRTIO__R16(q, q->avail[2u + ((uint16_t)(q->avail_pub + p) & (q->size - 1u))]) == id)
            return 1;
    return 0;
}

#ifndef VIRTIO_NO_PACKED
/* The packed ring's: buffers at slots [pub_slot, avail_slot), each of the count we recorded. */
VIRTIO__OUT_OF_LINE static int virtio__pk_unpublished(const virtio_queue *q, uint16_t id) {
    uint16_t p, n = (uint16_t)(q->avail_slot - q->pub_slot);
    for (p = 0; p < n;) {
        uint16_t bid = VIRTIO__R16(q, q->ring[(uint16_t)(q->pub_slot + p) & (q->size - 1u)].id);
        if (bid == id) return 1;
        if (bid >= q->ndesc || q->shadow[bid].count == 0) return 0;
        p = (uint16_t)(p + q->shadow[bid].count);
    }
    return 0;
}
#endif

#ifndef VIRTIO_NO_PACKED
VIRTIO__OUT_OF_LINE static int virtio__pk_poll(virtio_queue *q, void **cookie, uint32_t *len) {
    uint16_t slot = q->used_slot, want, fl, id;
    uint32_t ulen;
    volatile virtio_virtq_packed_desc *d;
    virtio_queue_shadow *h;
    /* Nothing the device was shown is outstanding: the next slot may hold anything of an
       earlier lap, so it is not even read. */
    if (q->avail_pub == q->last_used) return virtio__empty(q);
    d = &q->ring[slot & (q->size - 1u)];
    fl = VIRTIO__R16(q, d->flags);
    /* The slot holds a descriptor we made available on this lap (AVAIL = wrap, USED = !wrap)
       until the device writes a used one over it (AVAIL = USED = wrap). Anything else is the
       device's doing: a wrong wrap counter, or AVAIL and USED out of step. */
    want = (uint16_t)((slot & q->size) ? 0u : (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED));
    fl = (uint16_t)(fl ^ want);
    if (fl & VIRTQ_DESC_F_AVAIL) return virtio__queue_fault(q);
    if (fl & VIRTQ_DESC_F_USED) return virtio__empty(q);
    /* The flags before id and len: the device writes them first and the flags last. */
    VIRTIO_RMB();
    id = VIRTIO__R16(q, d->id);
    ulen = VIRTIO__R32(q, d->len);
    /* Untrusted: an outstanding buffer id whose slots lie within what was published (so the
       used position never passes a head we hold back), and no more than it may write. */
    if (id >= q->ndesc) return virtio__queue_fault(q);
    h = &q->shadow[id];
    if (h->count == 0 || (uint16_t)(q->pub_slot - slot) < h->count) return virtio__queue_fault(q);
    if (q->avail_slot != q->pub_slot && virtio__pk_unpublished(q, id))
        return virtio__queue_fault(q);
    if (ulen > h->wlen) { /* kvmtool reports bytes transferred: clamp and count */
        if (!(q->flags & VIRTIO_QUEUE_F_IGNORE_LEN)) q->dev->clamped++;
        ulen = h->wlen;
    }
    /* "The device ... skips forward according to the number of descriptors in the list":
       so do we, by the count we recorded. */
    q->used_slot = (uint16_t)(slot + h->count);
    q->num_free = (uint16_t)(q->num_free + h->count);
    if (h->count == 1u) virtio__ind_put(q, id);
    h->next = q->free_head;
    q->free_head = id;
    virtio__give_back(q, h, ulen, cookie, len);
    return VIRTIO_OK;
}
#endif

/* The split ring's poll once used.idx (`used_idx`, read) is found past what we consumed: a
   leaf, apart, that the polls and the short request reach by a tail call. */
VIRTIO__OUT_OF_LINE static int virtio__take(virtio_queue *q, void **cookie, uint32_t *len,
                                            uint16_t used_idx) {
    /* Register widths where the values allow (ids are below ndesc, at most 32768): a 16- or
       32-bit variable would cost an extension at each use on a 64-bit machine. */
    uint32_t ulen, seen = q->last_used;
    size_t id, last, k;
    virtio_queue_shadow *h;
    volatile virtio_virtq_used_elem *e;
    /* The device may have used at most what it was shown and we have not taken back: the
       two distances modulo 2^16, compared in the top half of 32 bits (no masking). */
    if ((uint32_t)(used_idx - seen) << 16 > (uint32_t)(q->avail_pub - seen) << 16)
        return virtio__queue_fault(q);
    /* used.idx before the element it covers: without this the element could be read before
       the device's write of it became visible to us (virtio 1.4 "The Virtqueue Used Ring"). */
    VIRTIO_RMB();
    e = &q->used_ring[seen & (q->size - 1u)];
    /* Untrusted: the id must be a head we posted, kicked and have not been given back, and
       the length no more than the writable bytes we posted with it. Chains added since the
       last kick are looked for only where there are some. */
    id = (size_t)VIRTIO__R32(q, e->id);
    if (id >= q->ndesc) return virtio__queue_fault(q);
    if (q->avail_idx != q->avail_pub && virtio__unpublished(q, (uint16_t)id))
        return virtio__queue_fault(q);
    ulen = VIRTIO__R32(q, e->len);
    h = &q->shadow[id];
    k = h->count;
    if (k == 0) return virtio__queue_fault(q);
    if (ulen > h->wlen) { /* kvmtool reports bytes transferred: clamp and count */
        if (!(q->flags & VIRTIO_QUEUE_F_IGNORE_LEN)) q->dev->clamped++;
        ulen = h->wlen;
    }

    /* Give the chain back to the free list, walking our own links (an indirect chain is one
       descriptor, and its table goes back to the pool). */
    last = id;
    q->num_free = (uint16_t)(q->num_free + k);
    if (k == 1u)
        virtio__ind_put(q, id);
    else if (k == 3u) /* the usual request: two links */
        last = q->shadow[q->shadow[last].next].next;
    else
        do /* count - 1 links to the chain's last descriptor */
            last = q->shadow[last].next;
        while (--k > 1u);
    q->shadow[last].next = q->free_head;
    q->free_head = (uint16_t)id;
    virtio__give_back(q, h, ulen, cookie, len);
    /* Keep used_event just behind what we consumed, so the device never needs to notify. */
    if (VIRTIO__EVENT_IDX(q)) q->avail[2u + (size_t)q->size] = VIRTIO__R16(q, (uint16_t)seen);
    return VIRTIO_OK;
}

/* virtio_queue_poll once the queue is known to be set up (q and q->dev). */
static VIRTIO__IN_LINE int virtio__poll(virtio_queue *q, void **cookie, uint32_t *len) {
    uint16_t used_idx;
    VIRTIO__RETURN_IF_BROKEN(q);
#ifndef VIRTIO_NO_PACKED
    if (q->ring) return virtio__pk_poll(q, cookie, len);
#endif
    used_idx = VIRTIO__R16(q, q->used[1]);
    if (used_idx == q->last_used) return virtio__empty(q);
    return virtio__take(q, cookie, len, used_idx);
}

VIRTIO_DEF int virtio_queue_poll(virtio_queue *q, void **cookie, uint32_t *len) {
    if (!q) return VIRTIO_EINVAL;
    if (!q->dev) return VIRTIO_ESTATE;
    return virtio__poll(q, cookie, len);
}

/* The wait's loop (published chains are outstanding), with its frame. Each idle iteration is
   virtio_queue_spin's: the usual one (the device healthy, below the bound, no status look or
   repeated notification due) calls only the relax hook, whose answer decides (it is never
   called twice); any other takes the public path. */
VIRTIO__OUT_OF_LINE static int virtio__wait_loop(virtio_queue *q, void **cookie, uint32_t *len,
                                                 int polled) {
    uint32_t i = 0;
    virtio_dev *dev;
    int r;
    /* The caller polled (and found nothing) just now: the first idle iteration comes first. */
    if (polled) goto idle;
    for (;; i++) {
        /* virtio__poll, whose split-ring hit leaves by a tail call (the frame goes first). */
        VIRTIO__RETURN_IF_BROKEN(q);
#ifndef VIRTIO_NO_PACKED
        if (q->ring) {
            r = virtio__pk_poll(q, cookie, len);
            if (r != VIRTIO_EAGAIN) return r;
        } else
#endif
        {
            uint16_t used_idx = VIRTIO__R16(q, q->used[1]);
            if (used_idx != q->last_used) return virtio__take(q, cookie, len, used_idx);
            r = virtio__empty(q);
            if (r != VIRTIO_EAGAIN) return r;
        }
    idle:
        /* Nothing the device was shown is outstanding: waiting could only time out. */
        if (q->avail_pub == q->last_used) return VIRTIO_EAGAIN;
        dev = q->dev;
        if ((i & VIRTIO_STATUS_CHECK_MASK) == VIRTIO_STATUS_CHECK_MASK || i >= dev->spin_limit ||
            dev->error || !dev->t.regs.relax) {
            r = virtio_queue_spin(q, i);
            if (r) return r;
            continue;
        }
        dev->empty = 0; /* as virtio_dev_spin: a wait checks at its own pace */
        if (dev->t.regs.relax(dev->t.regs.relax_user, i)) return virtio__spin_stop(q->dev);
    }
}

static int virtio__wait(virtio_queue *q, void **cookie, uint32_t *len) {
    /* Nothing published is outstanding: EAGAIN at once, touching nothing (a latched fault
       first). */
    if (q->avail_pub == q->last_used) {
        VIRTIO__RETURN_IF_BROKEN(q);
        return VIRTIO_EAGAIN;
    }
    /* The first poll of a split ring without the loop's frame: a device that answered already
       costs no more than the poll. */
    if (!q->error && !q->dev->error
#ifndef VIRTIO_NO_PACKED
        && !q->ring
#endif
    ) {
        uint16_t used_idx = VIRTIO__R16(q, q->used[1]);
        if (used_idx != q->last_used) return virtio__take(q, cookie, len, used_idx);
        return virtio__wait_loop(q, cookie, len, 1);
    }
    return virtio__wait_loop(q, cookie, len, 0);
}

VIRTIO_DEF int virtio_queue_wait(virtio_queue *q, void **cookie, uint32_t *len) {
    if (!q) return VIRTIO_EINVAL;
    if (!q->dev) return VIRTIO_ESTATE;
    return virtio__wait(q, cookie, len);
}

/* Publishes every added chain, notifies if asked, waits: the end of every blocking add but the
   short path's. Its checks passed in the add, so the kick's own pass again; through the public
   call, except where every blocking add comes here (VIRTIO_NO_FAST_PATH), in line. */
VIRTIO__OUT_OF_LINE static int virtio__kick_wait(virtio_queue *q, void **used, uint32_t *len) {
#ifdef VIRTIO_NO_FAST_PATH
    virtio__kick(q);
#else
    (void)virtio_queue_kick(q);
#endif
    return virtio__wait(q, used, len);
}

VIRTIO_DEF int virtio_queue_add_wait(virtio_queue *q, const virtio_seg *segs, unsigned n_out,
                                     unsigned n_in, void *cookie, void **used, uint32_t *len) {
    int r;
#ifndef VIRTIO_NO_FAST_PATH
    /* A chain of three the short path takes, where the length is not asked for. */
    if (!len && n_out + n_in == 3u && n_out - 1u <= 1u)
        return virtio_queue_add3(q, segs, (n_out == 2u ? VIRTIO_ADD3_OUT : 0u) | VIRTIO_ADD3_WAIT,
                                 cookie, used);
#endif
    r = virtio__add_any(q, segs, n_out, n_in, cookie, VIRTIO_STATUS_DRIVER_OK, 0);
    if (r) return r; /* nothing was added */
    return virtio__kick_wait(q, used, len);
}

/* virtio_queue_add3 for any queue and chain: the checks of virtio_queue_add, VIRTIO_ENOSPC and
   the look for a configuration change, in this order, before anything is written. */
VIRTIO__OUT_OF_LINE static int virtio__add3_any(virtio_queue *q, const virtio_seg *segs,
                                                unsigned flags, void *cookie, void **used) {
    unsigned n_out = (flags & VIRTIO_ADD3_OUT) ? 2u : 1u;
    int r;
    if (flags > 7u) return VIRTIO_EINVAL;
    r = virtio__add_any(q, segs, n_out, 3u - n_out, cookie,
                        (flags & VIRTIO_ADD3_WAIT) ? VIRTIO_STATUS_DRIVER_OK : 0u,
                        flags & VIRTIO_ADD3_CONFIG);
    if (r || !(flags & VIRTIO_ADD3_WAIT)) return r;
    return virtio__kick_wait(q, used, 0);
}

#ifndef VIRTIO_NO_FAST_PATH
/* The rest of virtio_queue_add3's short path where it calls something: a packed ring's add (not
   written yet), or a split chain at `head` whose addresses a DMA hook gives; then publication
   and the wait. Apart, so that the common path saves no registers. */
VIRTIO__OUT_OF_LINE static int virtio__add3_rest(virtio_queue *q, const virtio_seg *segs,
                                                 unsigned flags, void *cookie, uint32_t wlen,
                                                 uint16_t head, void **used) {
#ifndef VIRTIO_NO_PACKED
    if (q->ring) {
        virtio__pk_add3(q, segs, (flags & VIRTIO_ADD3_OUT) ? 2u : 1u, cookie, wlen);
        if (!(flags & VIRTIO_ADD3_WAIT)) return VIRTIO_OK;
        virtio__pk_kick(q);
        return virtio__wait_loop(q, used, 0, 0); /* virtio__wait: its checks passed */
    }
#endif
    virtio__dma_fix(q, q->desc, head, 0, segs, 3u);
    if (!(flags & VIRTIO_ADD3_WAIT)) return VIRTIO_OK;
    return virtio__kick_wait(q, used, 0);
}
/* A notification through the transport's operations, then the wait. */
VIRTIO__OUT_OF_LINE static int virtio__notify_wait(virtio_queue *q, void **used) {
    virtio__notify(q);
    return virtio__wait(q, used, 0);
}
#endif

VIRTIO_DEF int virtio_queue_add3(virtio_queue *q, const virtio_seg *segs, unsigned flags,
                                 void *cookie, void **used) {
#ifndef VIRTIO_NO_FAST_PATH
    uint32_t wlen = 0;
    unsigned n_out = (flags & VIRTIO_ADD3_OUT) ? 2u : 1u;
    /* The short path: the checks of virtio__add3_ok (WAIT is DRIVER_OK's bit), each once. It
       calls nothing but at its ends (a leaf until the wait), so it saves no registers. */
    if (flags <= 7u && virtio__add3_ok(q, segs, n_out, 3u - n_out, cookie,
                                       flags & VIRTIO_STATUS_DRIVER_OK, &wlen)) {
        virtio_dev *dev = q->dev;
        uint16_t head = 0;
        /* The configuration change before anything is written (virtio_dev_config_changed),
           on the register base itself; through the transport's operations, the general path. */
        if (flags & VIRTIO_ADD3_CONFIG) {
#ifdef VIRTIO__MMIO_DIRECT
            if (!dev->mmio) return virtio__add3_any(q, segs, flags, cookie, used);
            if (virtio__config_isr(dev, virtio__mmio_direct_ack(dev->mmio))) return VIRTIO_ECONFIG;
#else
            return virtio__add3_any(q, segs, flags, cookie, used);
#endif
        }
#ifndef VIRTIO_NO_PACKED
        if (q->ring) return virtio__add3_rest(q, segs, flags, cookie, wlen, 0, used);
#endif
        head = virtio__split3(q, segs, n_out, cookie, wlen);
        if (dev->t.regs.dma) return virtio__add3_rest(q, segs, flags, cookie, wlen, head, used);
        if (!(flags & VIRTIO_ADD3_WAIT)) return VIRTIO_OK;
        if (virtio__split_kick(q, q->avail_pub, q->avail_idx)) {
#ifdef VIRTIO__MMIO_DIRECT
            if (!dev->mmio) return virtio__notify_wait(q, used);
            virtio__mmio_direct_notify(dev->mmio, q->notify);
#else
            return virtio__notify_wait(q, used);
#endif
        }
        /* virtio__wait, whose checks passed above (published, healthy, split). */
        head = VIRTIO__R16(q, q->used[1]);
        if (head != q->last_used) return virtio__take(q, used, 0, head);
        return virtio__wait_loop(q, used, 0, 1);
    }
#endif
    return virtio__add3_any(q, segs, flags, cookie, used);
}

VIRTIO_DEF int virtio_queue_notify(virtio_queue *q) {
    if (!q) return VIRTIO_EINVAL;
    if (!q->dev) return VIRTIO_ESTATE;
    VIRTIO__RETURN_IF_BROKEN(q);
    if (!(q->dev->status & VIRTIO_STATUS_DRIVER_OK)) return VIRTIO_ESTATE;
    VIRTIO_MB(); /* everything published before the device is told */
    virtio__notify(q);
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_queue_spin(virtio_queue *q, uint32_t iteration) {
    if (!q) return VIRTIO_EINVAL;
    if (!q->dev) return VIRTIO_ESTATE;
    /* A long wait notifies again now and then: "The device MUST handle spurious
       notifications from the driver", and a notification the device missed would otherwise
       stall the queue for good. QEMU before 8.1 misses one now and then under TCG on a
       one-CPU machine: it drops guest fences there, so the device and the driver can each
       miss the other's index write. */
    if ((iteration & VIRTIO_STATUS_CHECK_MASK) == VIRTIO_STATUS_CHECK_MASK &&
        q->avail_pub != q->last_used && !q->error && (q->dev->status & VIRTIO_STATUS_DRIVER_OK))
        virtio__notify(q);
    return virtio_dev_spin(q->dev, iteration);
}

VIRTIO_DEF uint32_t virtio_queue_size(const virtio_queue *q) { return q && q->dev ? q->ndesc : 0u; }
VIRTIO_DEF uint32_t virtio_queue_free(const virtio_queue *q) {
    return q && q->dev ? q->num_free : 0u;
}
VIRTIO_DEF uint32_t virtio_queue_pending(const virtio_queue *q) {
    return q && q->dev ? (uint16_t)(q->avail_idx - q->last_used) : 0u;
}

/* ---- Device tree reader ---------------------------------------------------------------------- */
/* Devicetree Specification v0.4, "Flattened Devicetree (DTB) Format": a header of big-endian
   32-bit fields (magic 0xd00dfeed, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap,
   version, last_comp_version, boot_cpuid_phys, size_dt_strings, size_dt_struct), then a
   structure block of 32-bit tokens: FDT_BEGIN_NODE (1) + the node's name, NUL-terminated and
   padded to 4 bytes; FDT_PROP (3) + value length + name offset into the strings block + the
   value, padded; FDT_NOP (4); FDT_END_NODE (2); FDT_END (9) once at the end. A node's
   properties precede its subnodes, and a node's #address-cells / #size-cells (defaults 2 and
   1: "Standard Properties") say how `reg` of its children reads. One pass, no recursion: a
   stack holds each open ancestor's cells, and the node whose properties are being read is
   judged at its first subnode or its end. Every offset is checked against the block it lies
   in before a byte is read. */
#ifndef VIRTIO_NO_FDT
#define VIRTIO__FDT_DEPTH 16

static uint32_t virtio__be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
/* Length of the NUL-terminated string at s[0..), or `max` if no NUL comes before s[max]. */
static uint32_t virtio__fdt_strlen(const uint8_t *s, uint32_t max) {
    uint32_t i = 0;
    while (i < max && s[i])
        i++;
    return i;
}
static int virtio__fdt_streq(const uint8_t *s, const char *lit) {
    while (*lit && *s == (uint8_t)*lit)
        s++, lit++;
    return *s == 0 && *lit == 0;
}
/* 1 if the string list at v[0..len) (NUL-terminated strings) has `lit` as one of them. */
static int virtio__fdt_has_string(const uint8_t *v, uint32_t len, const char *lit) {
    uint32_t i = 0;
    while (i < len) {
        if (virtio__fdt_streq(v + i, lit)) return 1;
        i += virtio__fdt_strlen(v + i, len - i) + 1u;
    }
    return 0;
}
/* `cells` (1 or 2) big-endian cells at p as one number. */
static uint64_t virtio__fdt_cells(const uint8_t *p, uint32_t cells) {
    uint64_t v = virtio__be32(p);
    return cells == 2 ? v << 32 | virtio__be32(p + 4) : v;
}

VIRTIO_DEF int virtio_fdt_find_mmio(const void *fdt, size_t max_size, virtio_fdt_mmio *out,
                                    int max_out) {
    const uint8_t *b = (const uint8_t *)fdt, *s, *v, *name, *reg = 0, *irq = 0;
    uint32_t total, p, end, soff, ssize, tok, len, reg_len = 0, irq_len = 0;
    uint8_t cells[VIRTIO__FDT_DEPTH + 1][2]; /* per open node: its #address-cells, #size-cells */
    unsigned depth = 0, open = 0;            /* open: the node at `depth` still takes properties */
    int n = 0, match = 0, okay = 1;
    if (!b || ((uintptr_t)b & 3u) || max_out < 0 || (!out && max_out > 0)) return VIRTIO_EINVAL;
    if (max_size < 40) return VIRTIO_ENODEV; /* not even the version-17 header */
    total = virtio__be32(b + 4);
    if (virtio__be32(b) != 0xd00dfeedu) return VIRTIO_ENODEV;
    if (total < 40 || total > max_size) return VIRTIO_EINVAL;
    if (virtio__be32(b + 20) < 17 || virtio__be32(b + 24) > 17) return VIRTIO_EINVAL;
    p = virtio__be32(b + 8); /* off_dt_struct, size_dt_struct: whole tokens inside the blob */
    len = virtio__be32(b + 36);
    soff = virtio__be32(b + 12);
    ssize = virtio__be32(b + 32);
    if (((p | len) & 3u) || p > total || len > total - p || soff > total || ssize > total - soff)
        return VIRTIO_EINVAL;
    end = p + len; /* 4-aligned, so padding a p <= end to 4 keeps it <= end */
    s = b + soff;
    cells[0][0] = 2; /* the root's own reg reads with the defaults */
    cells[0][1] = 1;
    for (;;) { /* each step moves p on by 4 or more bytes: at most size_dt_struct / 4 steps */
        if (end - p < 4) return VIRTIO_EINVAL;
        tok = virtio__be32(b + p);
        p += 4;
        if (tok == 3) {                                     /* FDT_PROP: len, nameoff, value */
            if (end - p < 8 || !open) return VIRTIO_EINVAL; /* no node, or after a subnode */
            len = virtio__be32(b + p);
            tok = virtio__be32(b + p + 4);
            p += 8;
            if (len > end - p || tok >= ssize) return VIRTIO_EINVAL;
            if (virtio__fdt_strlen(s + tok, ssize - tok) == ssize - tok) return VIRTIO_EINVAL;
            name = s + tok;
            v = b + p;
            p += len;
            p += (4u - (p & 3u)) & 3u;
            if (virtio__fdt_streq(name, "reg")) {
                reg = v, reg_len = len;
            } else if (virtio__fdt_streq(name, "interrupts")) {
                irq = v, irq_len = len;
            } else if (virtio__fdt_streq(name, "#address-cells") ||
                       virtio__fdt_streq(name, "#size-cells")) {
                tok = len == 4 ? virtio__be32(v) : 0; /* 0: not 1 or 2, refused where used */
                cells[depth][name[1] == 's'] = (uint8_t)(tok > 2 ? 0 : tok);
            } else if (virtio__fdt_streq(name, "compatible") || virtio__fdt_streq(name, "status")) {
                if (!len || v[len - 1]) return VIRTIO_EINVAL; /* strings end inside the value */
                if (name[0] == 'c')
                    match = virtio__fdt_has_string(v, len, "virtio,mmio");
                else
                    okay = virtio__fdt_streq(v, "okay") || virtio__fdt_streq(v, "ok");
            }
            continue;
        }
        if (tok == 4) continue; /* FDT_NOP */
        if (tok != 1 && tok != 2 && tok != 9) return VIRTIO_EINVAL;
        if (open && match && okay) { /* the node's properties are all read: judge it */
            uint32_t ac = cells[depth - 1][0], sc = cells[depth - 1][1];
            if (!ac || !sc || reg_len < 4u * (ac + sc)) return VIRTIO_EINVAL;
            if (n < max_out) {
                out[n].base = virtio__fdt_cells(reg, ac);
                out[n].size = virtio__fdt_cells(reg + 4u * ac, sc);
                out[n].irq_cells = irq_len / 4u;
                out[n].irq = irq_len >= 12u  ? virtio__be32(irq + 4)
                             : irq_len >= 4u ? virtio__be32(irq)
                                             : 0u;
            }
            n++;
        }
        open = 0, match = 0, okay = 1, reg_len = irq_len = 0;
        if (tok == 9) return depth == 0 ? n : VIRTIO_EINVAL; /* FDT_END */
        if (tok == 2) {                                      /* FDT_END_NODE */
            if (depth == 0) return VIRTIO_EINVAL;
            depth--;
            continue;
        }
        len = virtio__fdt_strlen(b + p, end - p); /* FDT_BEGIN_NODE: its name, padded */
        if (len == end - p || depth == VIRTIO__FDT_DEPTH) return VIRTIO_EINVAL;
        p += len + 1u;
        p += (4u - (p & 3u)) & 3u;
        depth++;
        cells[depth][0] = 2, cells[depth][1] = 1, open = 1;
    }
}
#undef VIRTIO__FDT_DEPTH
#endif /* VIRTIO_NO_FDT */

/* ---- Device tree: PCIe host bridges (virtio-pci discovery) ---------------------------------- */
/* The walk of virtio_fdt_find_mmio again (same checks, same bounds), judging other nodes: kept
   apart so each reader stays short. */
#ifndef VIRTIO_NO_FDT
#define VIRTIO__FDTP_DEPTH 16

/* Reads one `ranges` entry set into the host's windows. na: the node's #address-cells (3),
   pa: the parent's #address-cells, ns: the node's #size-cells. */
static void virtio__fdt_pci_ranges(virtio_pci_host *h, const uint8_t *v, uint32_t len, uint32_t pa,
                                   uint32_t ns) {
    uint32_t step = 4u * (3u + pa + ns), i;
    int have64 = 0;
    for (i = 0; i + step <= len; i += step) {
        uint32_t space = (virtio__be32(v + i) >> 24) & 3u;
        uint64_t pci = virtio__fdt_cells(v + i + 4u, 2);
        uint64_t cpu = virtio__fdt_cells(v + i + 12u, pa);
        uint64_t size = virtio__fdt_cells(v + i + 12u + 4u * pa, ns);
        if (space == 1u && !h->io_size) {
            h->io_pci = pci, h->io_cpu = cpu, h->io_size = size;
        } else if ((space == 2u && (!h->mem_size || have64)) ||
                   (space == 3u && !h->mem_size && pci + size <= 0x100000000ull && size)) {
            have64 = space == 3u;
            h->mem_pci = pci, h->mem_cpu = cpu, h->mem_size = size;
        }
    }
}

VIRTIO_DEF int virtio_fdt_find_pci(const void *fdt, size_t max_size, virtio_pci_host *out,
                                   int max_out) {
    const uint8_t *b = (const uint8_t *)fdt, *s, *v, *name, *reg = 0, *ranges = 0, *busr = 0;
    uint32_t total, p, end, soff, ssize, tok, len, reg_len = 0, ranges_len = 0, busr_len = 0;
    uint8_t cells[VIRTIO__FDTP_DEPTH + 1][2];
    unsigned depth = 0, open = 0;
    int n = 0, match = 0, okay = 1;
    if (!b || ((uintptr_t)b & 3u) || max_out < 0 || (!out && max_out > 0)) return VIRTIO_EINVAL;
    if (max_size < 40) return VIRTIO_ENODEV;
    total = virtio__be32(b + 4);
    if (virtio__be32(b) != 0xd00dfeedu) return VIRTIO_ENODEV;
    if (total < 40 || total > max_size) return VIRTIO_EINVAL;
    if (virtio__be32(b + 20) < 17 || virtio__be32(b + 24) > 17) return VIRTIO_EINVAL;
    p = virtio__be32(b + 8);
    len = virtio__be32(b + 36);
    soff = virtio__be32(b + 12);
    ssize = virtio__be32(b + 32);
    if (((p | len) & 3u) || p > total || len > total - p || soff > total || ssize > total - soff)
        return VIRTIO_EINVAL;
    end = p + len;
    s = b + soff;
    cells[0][0] = 2;
    cells[0][1] = 1;
    for (;;) { /* each step moves p on by 4 or more bytes: at most size_dt_struct / 4 steps */
        if (end - p < 4) return VIRTIO_EINVAL;
        tok = virtio__be32(b + p);
        p += 4;
        if (tok == 3) {
            if (end - p < 8 || !open) return VIRTIO_EINVAL;
            len = virtio__be32(b + p);
            tok = virtio__be32(b + p + 4);
            p += 8;
            if (len > end - p || tok >= ssize) return VIRTIO_EINVAL;
            if (virtio__fdt_strlen(s + tok, ssize - tok) == ssize - tok) return VIRTIO_EINVAL;
            name = s + tok;
            v = b + p;
            p += len;
            p += (4u - (p & 3u)) & 3u;
            if (virtio__fdt_streq(name, "reg")) {
                reg = v, reg_len = len;
            } else if (virtio__fdt_streq(name, "ranges")) {
                ranges = v, ranges_len = len;
            } else if (virtio__fdt_streq(name, "bus-range")) {
                busr = v, busr_len = len;
            } else if (virtio__fdt_streq(name, "#address-cells") ||
                       virtio__fdt_streq(name, "#size-cells")) {
                tok = len == 4 ? virtio__be32(v) : 0; /* 0: unusable, refused where used */
                cells[depth][name[1] == 's'] = (uint8_t)(tok > 3 ? 0 : tok);
            } else if (virtio__fdt_streq(name, "compatible") || virtio__fdt_streq(name, "status")) {
                if (!len || v[len - 1]) return VIRTIO_EINVAL;
                if (name[0] == 'c')
                    match = virtio__fdt_has_string(v, len, "pci-host-ecam-generic");
                else
                    okay = virtio__fdt_streq(v, "okay") || virtio__fdt_streq(v, "ok");
            }
            continue;
        }
        if (tok == 4) continue;
        if (tok != 1 && tok != 2 && tok != 9) return VIRTIO_EINVAL;
        if (open && match && okay) {
            uint32_t pa = cells[depth - 1][0], ps = cells[depth - 1][1];
            uint32_t na = cells[depth][0], ns = cells[depth][1];
            uint64_t base, size;
            if (pa < 1 || pa > 2 || ps < 1 || ps > 2 || na != 3 || ns < 1 || ns > 2 ||
                reg_len < 4u * (pa + ps))
                return VIRTIO_EINVAL;
            base = virtio__fdt_cells(reg, pa);
            size = virtio__fdt_cells(reg + 4u * pa, ps);
            if ((uint64_t)(uintptr_t)base != base) return VIRTIO_EINVAL;
            if (n < max_out) {
                virtio_zero(&out[n], sizeof out[n]);
                out[n].ecam = (uintptr_t)base;
                out[n].buses = size >= (256ull << 20) ? 256u : (uint32_t)(size >> 20);
                if (busr_len == 8 && virtio__be32(busr + 4) >= virtio__be32(busr) &&
                    virtio__be32(busr + 4) - virtio__be32(busr) < out[n].buses)
                    out[n].buses = virtio__be32(busr + 4) - virtio__be32(busr) + 1u;
                if (ranges) virtio__fdt_pci_ranges(&out[n], ranges, ranges_len, pa, ns);
            }
            n++;
        }
        open = 0, match = 0, okay = 1, reg_len = ranges_len = busr_len = 0;
        ranges = 0;
        if (tok == 9) return depth == 0 ? n : VIRTIO_EINVAL;
        if (tok == 2) {
            if (depth == 0) return VIRTIO_EINVAL;
            depth--;
            continue;
        }
        len = virtio__fdt_strlen(b + p, end - p);
        if (len == end - p || depth == VIRTIO__FDTP_DEPTH) return VIRTIO_EINVAL;
        p += len + 1u;
        p += (4u - (p & 3u)) & 3u;
        depth++;
        cells[depth][0] = 2, cells[depth][1] = 1, open = 1;
    }
}
#undef VIRTIO__FDTP_DEPTH
#endif /* VIRTIO_NO_FDT */

/* ---- Result strings -----------------------------------------------------------------------------
 */
VIRTIO_DEF const char *virtio_result_str(int result) {
#ifdef VIRTIO_NO_STRINGS
    (void)result;
    return "";
#else
    switch (result) {
#define VIRTIO__STR(name, value, text)                                                             \
    case value:                                                                                    \
        return #name ": " text;
        VIRTIO_RESULTS(VIRTIO__STR)
#undef VIRTIO__STR
    default: return "unknown virtio result";
    }
#endif
}

#undef VIRTIO__RETURN_IF_BROKEN
#undef VIRTIO__DEV_LEGACY
#undef VIRTIO__SEG_BAD
#undef VIRTIO__OUT_OF_LINE
#undef VIRTIO__IN_LINE
#undef VIRTIO__R16
#undef VIRTIO__MMIO_DIRECT
#undef VIRTIO__MMIO_REG
#undef VIRTIO__R32
#undef VIRTIO__R64
#ifdef VIRTIO__W
#undef VIRTIO__W
#undef VIRTIO__ALIGNED
#endif
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
