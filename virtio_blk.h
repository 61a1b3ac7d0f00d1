/* virtio_blk.h - v0.2.0 - polled VirtIO block device driver, on virtio.h
   MIT licensed, see the end of the file.

   Read and write a virtio-blk disk: blocking calls that split any length to the device's
   limits, or many requests in flight (submit / kick / poll / wait). Flush, serial number,
   discard, write-zeroes and the write-cache switch. Built only on virtio.h's public API.

QUICK START

       #define VIRTIO_IMPLEMENTATION        // in exactly one C file
       #include "virtio.h"
       #define VIRTIO_BLK_IMPLEMENTATION
       #include "virtio_blk.h"

       // Scan the slots (QEMU's riscv `virt`: 8 at 0x10001000, filled from the top), probe.
       virtio_mmio_slot slots[8];
       int i = 0, n = virtio_mmio_scan(NULL, (void *)0x10001000, 0x1000, 8, slots, 8);
       while (i < n && slots[i].device_id != VIRTIO_ID_BLOCK) i++;
       if (i == n) return VIRTIO_ENODEV;                       // no block device
       virtio_regs regs = virtio_mmio_regs(slots[i].base);     // plain MMIO: no callback
       virtio_transport t;
       int r = virtio_mmio_transport(&t, &regs);               // read-only probe

       static uint8_t mem[VIRTIO_BLK_MEM(64, 16)] __attribute__((aligned(4096)));
       static uint8_t buf[4096];                               // the device writes it (DMA)
       virtio_blk_params p = {0};                              // zero fields: defaults
       p.queue_size = 64;
       p.requests = 16;
       static virtio_blk blk;                                  // must not move after init
       if (r == 0) r = virtio_blk_init(&blk, &t, &p, mem, sizeof mem);
       if (r == 0) r = virtio_blk_read(&blk, 0, buf, sizeof buf);      // sectors 0..7
       if (r == 0) r = virtio_blk_write(&blk, 8, buf, sizeof buf);     // VIRTIO_EROFS if RO
       if (r != 0) print(virtio_result_str(r));

DOES NOT
   allocate, take interrupts, lock, use more than one request queue (VIRTIO_BLK_F_MQ), zoned
   commands, secure erase or lifetime queries. It does not negotiate indirect descriptors: a
   request takes 2 + (data segments) descriptors of the queue (3 for a 4 KiB read).

MEMORY
   A virtio_blk object (caller's, must not move after init) and one block for the driver:
   virtio_blk_mem_size(&p, &t) bytes aligned to virtio_queue_ring_align(&t) (4096 for a legacy
   transport, 16 for a modern one; 4096 fits both), reachable by the device.
   VIRTIO_BLK_MEM(queue_size, requests) is a compile-time bound that fits every transport (0
   for either means its default). Layout of the block, one plan for both the size and init:
     rings            the request queue's descriptor table, available and used rings (device)
     request headers  p.requests * sizeof(virtio_blk_req): each request's header, its
                      discard/write-zeroes segment and the status byte (the device reads the
                      header and writes the status)
     shadow           the queue's private record of what it posted (driver only)
     slots            p.requests * sizeof(virtio_blk_slot): each request's state (driver only)
   Legacy virtio-pci fixes each queue's size (QEMU: 256): the rings have the device's size,
   the driver uses the entries the params ask for. virtio_blk_mem_size(&p, &t) with the
   probed transport counts that; the compile-time bound holds there when its queue sizes are
   at least the device's, or for any when the device's are at most 128 (virtio.h,
   VIRTIO_QUEUE_RING_MEM).
   Data buffers are the caller's: any address, contiguous for the device, a whole number of
   logical blocks (virtio_blk_block_size: 512 bytes unless the device says more). A buffer given
   to the device (during a blocking call; from virtio_blk_submit until poll or wait returns its
   id) must not be touched.

ERRORS
   As virtio.h: 0 or a negative virtio_result. A caller bug is VIRTIO_EINVAL and changes
   nothing (no register access, no byte of memory written): a NULL pointer, params out of range
   (queue_size not a power of two in 4..32768, requests above 65535), memory too small or
   misaligned, a start or length that is not a whole number of logical blocks, a submit above
   virtio_blk_max_request. virtio_blk_init on a device of another type is VIRTIO_ENODEV, also
   before any register access. An object that was never initialized (zeroed), or was reset,
   gives VIRTIO_ESTATE. Requests: VIRTIO_EROFS for a write, discard or write-zeroes on a
   read-only disk, VIRTIO_ERANGE for a range past the capacity, VIRTIO_ENOTSUP for a flush,
   discard, write-zeroes or write-cache switch the device did not offer (nothing is sent for
   any of these); VIRTIO_EIO and VIRTIO_EUNSUPP from the device's status byte (not latched: the
   next request may succeed), VIRTIO_EIO also for a request the device gave back without
   writing a status (Firecracker's answer to a request it cannot parse). A request never
   carries more than one data descriptor unless the device offered SIZE_MAX or the queue
   forces a split (Firecracker parses exactly one). VIRTIO_ENOSPC from virtio_blk_submit when every
request slot or the queue is full (poll or wait, then retry), and from a blocking call when every
slot holds a finished non-blocking request not yet collected (it lets the device finish the others
   first; it never waits for the caller to poll).
   Buffer ownership (virtio 1.4 "Device Cleanup"): a call that waits (the blocking calls,
   virtio_blk_wait) never returns with a buffer still in the device's hands. When its wait
   fails (VIRTIO_ETIMEDOUT, VIRTIO_ENEEDS_RESET, VIRTIO_EDEVICE) it resets the device first:
   every request is over, its own and every non-blocking one in flight, and their buffers are
   the caller's again (a read buffer holds an unspecified part of the data); nothing writes
   them after the call returns, virtio_blk_pending is 0 and the error is latched: call
   virtio_blk_init to use the device again. If even that reset does not complete, the call
   returns VIRTIO_EBUSY: the device may still write those buffers, so leave them alone and
   retry virtio_blk_reset until it returns 0. virtio_blk_poll never waits, so it never resets:
   after it fails, the requests still pending are the device's until virtio_blk_reset returns 0.
   A device fault (a used id that is not outstanding, a status byte that is none of OK, IOERR
   and UNSUPP) and NEEDS_RESET are latched: later calls return them until the next init.

CONFIGURATION (define before including the implementation)
   VIRTIO_BLK_NO_INFO   virtio_blk_get_info leaves geometry, topology and the discard
                        alignment at 0 (never read).
   VIRTIO_BLK_MINIMAL   read, write and flush only: discard, write-zeroes, get_id and
                        set_writeback return VIRTIO_ENOTSUP (so do submits of those types) and
                        their features are not negotiated (nor SEG_MAX: one data segment
                        never needs it); virtio_blk_get_info shows capacity, block size,
                        size_max and read_only only. One data segment per request
                        (VIRTIO_BLK_MAX_SEGS 1): a read or write longer than size_max goes
                        as several requests. For bootloaders, with virtio.h's
                        VIRTIO_NO_LEGACY and VIRTIO_NO_STRINGS; VIRTIO_MINIMAL (virtio.h)
                        defines it and VIRTIO_BLK_NO_RESIZE_CHECK too.
   VIRTIO_BLK_MAX_SEGS  most data segments one request may use (default 32).
   VIRTIO_BLK_RESIZE_CHECK_EVERY
                        requests look for a configuration change (one read of InterruptStatus)
                        once in this many (default 1: every request). See CAPACITY CHANGES.
   VIRTIO_BLK_NO_RESIZE_CHECK
                        requests never look for a configuration change themselves: the
                        capacity changes only when you call virtio_blk_refresh.
   CAPACITY CHANGES: a polled driver learns of a configuration change from InterruptStatus
   bit 1 ("Block Device / Device Operation": the driver SHOULD re-read the capacity then, and
   MUST NOT submit a request past it). Before a read, write, discard or write-zeroes the driver
   reads (and acknowledges) InterruptStatus, and a change the library's waits acknowledged is
   remembered too; after a change it reads the capacity again, so no request goes past a disk
   that shrank and a grown disk can be used at once (a read or write of one data segment has
   the core make that look, after every check, in the same call that adds the request:
   virtio_queue_add3 with VIRTIO_ADD3_CONFIG). That is one register read per request,
   and under a hypervisor each one is a trap: with VIRTIO_BLK_RESIZE_CHECK_EVERY N the driver
   looks once in N requests instead, and up to N-1 requests after a shrink may still go past
   the end (a device answers them with IOERR: VIRTIO_EIO). virtio_blk_refresh looks at once
   (after you resized the disk on the host, say).
   Init reads only the configuration every request needs (capacity, blk_size, size_max, and
   seg_max where size_max is offered and VIRTIO_BLK_MAX_SEGS is above 1: otherwise every
   request has one data segment); the
   rest is read once, at the first call that needs it (virtio_blk_get_info, a discard or
   write-zeroes, virtio_blk_set_writeback).

CONCURRENCY
   One caller per virtio_blk at a time; no globals, so separate disks need no locking. Blocking
   and non-blocking calls mix: a blocking call keeps the completions of other requests for
   virtio_blk_poll / virtio_blk_wait. Every wait is bounded (the accessor's spin_limit and relax
   hook, see virtio.h).

SPEC
   virtio 1.4 "Device Types / Block Device": feature bits, device configuration layout, device
   initialization, device operation (read, write, flush, get ID, discard, write zeroes), and
   "General Initialization And Device Operation / Device Cleanup".
*/

#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

/* VIRTIO_MINIMAL (virtio.h): the smallest block driver too. */
#ifdef VIRTIO_MINIMAL
#ifndef VIRTIO_BLK_MINIMAL
#define VIRTIO_BLK_MINIMAL
#endif
#ifndef VIRTIO_BLK_NO_RESIZE_CHECK
#define VIRTIO_BLK_NO_RESIZE_CHECK
#endif
#endif

#ifndef VIRTIO_H
#error "include virtio.h before virtio_blk.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Feature bits: "Block Device / Feature bits" --------------------------------------------- */
#define VIRTIO_BLK_F_BARRIER      0 /* legacy */
#define VIRTIO_BLK_F_SIZE_MAX     1
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_GEOMETRY     4
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_SCSI         7 /* legacy */
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_TOPOLOGY     10
#define VIRTIO_BLK_F_CONFIG_WCE   11
#define VIRTIO_BLK_F_MQ           12
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14
#define VIRTIO_BLK_F_LIFETIME     15
#define VIRTIO_BLK_F_SECURE_ERASE 16
#define VIRTIO_BLK_F_ZONED        17

/* ---- Configuration layout: struct virtio_blk_config, byte offsets ---------------------------- */
#define VIRTIO_BLK_CFG_CAPACITY                 0  /* le64, 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX                 8  /* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX                  12 /* le32 */
#define VIRTIO_BLK_CFG_GEOMETRY_CYLINDERS       16 /* le16 */
#define VIRTIO_BLK_CFG_GEOMETRY_HEADS           18 /* u8 */
#define VIRTIO_BLK_CFG_GEOMETRY_SECTORS         19 /* u8 */
#define VIRTIO_BLK_CFG_BLK_SIZE                 20 /* le32 */
#define VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP       24 /* u8 */
#define VIRTIO_BLK_CFG_ALIGNMENT_OFFSET         25 /* u8 */
#define VIRTIO_BLK_CFG_MIN_IO_SIZE              26 /* le16 */
#define VIRTIO_BLK_CFG_OPT_IO_SIZE              28 /* le32 */
#define VIRTIO_BLK_CFG_WRITEBACK                32 /* u8 */
#define VIRTIO_BLK_CFG_NUM_QUEUES               34 /* le16 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS      36 /* le32 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG          40 /* le32 */
#define VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT 44 /* le32 */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS 48 /* le32 */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG     52 /* le32 */
#define VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP   56 /* u8 */

/* ---- Requests: "Block Device / Device Operation" --------------------------------------------- */
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_GET_LIFETIME 10
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_T_SECURE_ERASE 14
#define VIRTIO_BLK_S_OK           0
#define VIRTIO_BLK_S_IOERR        1
#define VIRTIO_BLK_S_UNSUPP       2
#define VIRTIO_BLK_SECTOR_SIZE    512u
#define VIRTIO_BLK_ID_BYTES       20u /* GET_ID: NUL-padded, no NUL when 20 long */

#define VIRTIO_BLK_QUEUE_SIZE 64u /* default queue entries */
#define VIRTIO_BLK_REQUESTS   16u /* default request slots */

/* Zero fields mean defaults. */
typedef struct virtio_blk_params {
    uint32_t queue_size; /* request queue entries wanted: a power of two, 4..32768, default 64;
                            a device that offers fewer gets fewer. A request takes 3 entries
                            (header, data, status) or more for long or split buffers */
    uint32_t requests;   /* request slots: requests in flight at once (blocking and
                            non-blocking together), 1..65535, default 16 */
} virtio_blk_params;

/* One request as the device sees it (in the driver memory block): struct virtio_blk_req
   without its data, one struct virtio_blk_discard_write_zeroes segment and the status byte. */
typedef struct virtio_blk_req {
    uint32_t type;        /* le32 virtio_blk_req.type: VIRTIO_BLK_T_* */
    uint32_t reserved;    /* le32 */
    uint64_t sector;      /* le64 */
    uint64_t dwz_sector;  /* le64 virtio_blk_discard_write_zeroes.sector */
    uint32_t dwz_sectors; /* le32 .num_sectors */
    uint32_t dwz_flags;   /* le32 .flags: bit 0 unmap */
    uint8_t status;       /* u8 virtio_blk_req.status, written by the device */
    uint8_t pad[7];
} virtio_blk_req;

/* The driver's record of one request slot (driver memory, never seen by the device). */
typedef struct virtio_blk_slot {
    int32_t result; /* outcome once finished */
    uint16_t next;  /* the next slot of the free list or of the finished list */
    uint8_t state;  /* free, with the device, finished */
    uint8_t pad;
} virtio_blk_slot;

/* Bytes of driver memory for queue_size entries and `requests` slots (0 = the default for
   either), for any transport, at compile time. */
#define VIRTIO_BLK__QS(queue_size) ((queue_size) ? (queue_size) : VIRTIO_BLK_QUEUE_SIZE)
#define VIRTIO_BLK__NR(requests)   ((size_t)((requests) ? (requests) : VIRTIO_BLK_REQUESTS))
#define VIRTIO_BLK_MEM(queue_size, requests)                                                       \
    (VIRTIO_QUEUE_RING_MEM(VIRTIO_BLK__QS(queue_size)) +                                           \
     VIRTIO_QUEUE_SHADOW_MEM(VIRTIO_BLK__QS(queue_size)) +                                         \
     VIRTIO_BLK__NR(requests) * (sizeof(virtio_blk_req) + sizeof(virtio_blk_slot)))

/* What the device's configuration said, read once at init (in CPU order). */
typedef struct virtio_blk_info {
    uint64_t capacity;  /* 512-byte sectors */
    uint32_t blk_size;  /* logical block size, bytes (512 when not offered) */
    uint32_t size_max;  /* largest segment in bytes (0 = not offered: no limit) */
    uint32_t seg_max;   /* most data segments in a request (0 = no limit) */
    uint16_t cylinders; /* geometry, 0 when not offered */
    uint8_t heads, sectors;
    uint8_t physical_block_exp; /* topology, 0 when not offered */
    uint8_t alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    uint32_t max_discard_sectors, max_discard_seg, discard_sector_alignment;
    uint32_t max_write_zeroes_sectors, max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t writeback; /* cache mode: 1 writeback, 0 writethrough */
    uint8_t read_only;
    uint8_t pad;
} virtio_blk_info;

/* The driver's state. Fields are the library's: use the functions. */
typedef struct virtio_blk {
    virtio_dev dev;
    virtio_queue queue; /* zeroed whenever no request can be with the device */
    virtio_blk_info info;
    virtio_blk_req *reqs;   /* request headers, in the driver memory block */
    virtio_blk_slot *slots; /* their states, in the driver memory block */
    uint32_t nreqs;         /* request slots */
    uint32_t npending;      /* slots submitted and not yet returned (with the device or done) */
    uint32_t ndone;         /* slots finished and not yet returned by poll or wait */
    uint32_t free_slot;     /* free slots: a list through virtio_blk_slot.next, nreqs ends it */
    uint32_t done_first;    /* finished slots, oldest first (ndone of them) */
    uint32_t done_last;
    uint32_t info_read;   /* the fields only virtio_blk_get_info shows have been read */
    uint32_t unkicked;    /* submitted since the last kick of poll or kick (a hint: a stale 1
                             costs one kick that finds nothing new) */
    uint32_t max_sectors; /* largest single request, in sectors */
    uint32_t seg_bytes;   /* bytes per data segment (whole logical blocks) */
    uint32_t resize_tick; /* requests since the last look for a configuration change */
} virtio_blk;

/* Bytes of driver memory for `p` (NULL = defaults) on transport `t` (NULL = the bound for any
   transport), to be aligned to virtio_queue_ring_align(t). 0 if p is out of range. */
VIRTIO_API size_t virtio_blk_mem_size(const virtio_blk_params *p, const virtio_transport *t);

/* Brings up the block device behind the probed transport `t` (virtio 1.4 "Device
   Initialization"): resets it (before any byte of `mem` is written: an earlier boot stage may
   have left it running), negotiates the features this driver implements, reads the
   configuration, sets up the request queue and request slots in `mem`, DRIVER_OK.
   VIRTIO_EINVAL (nothing touched), VIRTIO_ENODEV (not a block device, nothing touched),
   VIRTIO_EBUSY (the device did not reset; `mem` untouched), or what a later step returned (the
   device is then marked FAILED): VIRTIO_EFEATURES, VIRTIO_ENOQUEUE, VIRTIO_EDEVICE for a
   configuration that makes no sense (a block size that is not a power of two from 512, a
   segment smaller than a block, a queue of fewer than 4 entries). Call again to start over. */
VIRTIO_API int virtio_blk_init(virtio_blk *blk, const virtio_transport *t,
                               const virtio_blk_params *p, void *mem, size_t mem_size);

/* Resets the device: every request is over and every buffer given to the device is the
   caller's again. 0, or VIRTIO_EBUSY if the reset did not complete: the requests still pending
   stay the device's (virtio_blk_pending counts them) and every call returns VIRTIO_EBUSY
   (latched); call this again to retry. Initialize again to use the device. */
VIRTIO_API int virtio_blk_reset(virtio_blk *blk);

/* Reads the capacity again if the device reported a configuration change since the last
   look (InterruptStatus bit 1, acknowledged), now. Requests look once in
   VIRTIO_BLK_RESIZE_CHECK_EVERY themselves unless VIRTIO_BLK_NO_RESIZE_CHECK. 0, or the
   device's latched error. */
VIRTIO_API int virtio_blk_refresh(virtio_blk *blk);

/* Queries (valid after a successful init; 0 / NULL for NULL). */
VIRTIO_API uint64_t virtio_blk_capacity(const virtio_blk *blk);   /* 512-byte sectors */
VIRTIO_API uint32_t virtio_blk_block_size(const virtio_blk *blk); /* logical block, bytes */
VIRTIO_API int virtio_blk_read_only(const virtio_blk *blk);
VIRTIO_API int virtio_blk_can_flush(const virtio_blk *blk);
VIRTIO_API uint32_t virtio_blk_max_request(const virtio_blk *blk); /* sectors in one request */
/* The whole configuration. Its first call reads what init left out (a few configuration
   reads, once; see CONFIGURATION); a device found broken then leaves those fields 0. */
VIRTIO_API const virtio_blk_info *virtio_blk_get_info(const virtio_blk *blk);

/* Blocking calls: each does the whole operation and returns once the device has answered, or
   with an error; it waits (bounded). Reads and writes of any length (whole logical blocks),
   discards and write-zeroes of any count are split to the device's limits; the first failed
   piece ends the call. On a failed wait the device is reset (see ERRORS). */
VIRTIO_API int virtio_blk_read(virtio_blk *blk, uint64_t sector, void *buf, size_t len);
VIRTIO_API int virtio_blk_write(virtio_blk *blk, uint64_t sector, const void *buf, size_t len);
VIRTIO_API int virtio_blk_flush(virtio_blk *blk);
VIRTIO_API int virtio_blk_get_id(virtio_blk *blk, char id[VIRTIO_BLK_ID_BYTES]);
VIRTIO_API int virtio_blk_discard(virtio_blk *blk, uint64_t sector, uint64_t count);
VIRTIO_API int virtio_blk_write_zeroes(virtio_blk *blk, uint64_t sector, uint64_t count, int unmap);
/* Switches the write cache (VIRTIO_BLK_F_CONFIG_WCE): 1 writeback, 0 writethrough. A
   configuration write: no request, no wait. */
VIRTIO_API int virtio_blk_set_writeback(virtio_blk *blk, int writeback);

/* Queues one request without telling the device (virtio_blk_kick does, for the whole batch);
   `*id` names it until virtio_blk_poll or virtio_blk_wait returns it. type: VIRTIO_BLK_T_IN,
   _OUT (buf, len: whole logical blocks, at most virtio_blk_max_request sectors), _FLUSH (no
   buffer), _GET_ID (buf of at least 20 bytes), _DISCARD or _WRITE_ZEROES (no buffer; len is
   the sector count). VIRTIO_ENOSPC when every request slot or the queue is full. */
VIRTIO_API int virtio_blk_submit(virtio_blk *blk, uint32_t type, uint64_t sector, void *buf,
                                 size_t len, unsigned *id);
/* Tells the device about every request submitted so far: one notification at most (none when
   the device says it needs none). */
VIRTIO_API int virtio_blk_kick(virtio_blk *blk);
/* Returns one finished request without waiting: its id and its outcome (0, VIRTIO_EIO,
   VIRTIO_EUNSUPP, or VIRTIO_EDEVICE for a nonsense status byte, which also latches the device).
   VIRTIO_EAGAIN when none has finished. It first publishes what was submitted since the last
   kick (as virtio_blk_kick: one notification for the batch, none when nothing is new), so a
   loop of submit and poll needs no kick of its own. */
VIRTIO_API int virtio_blk_poll(virtio_blk *blk, unsigned *id, int *result);
/* virtio_blk_poll, waiting (bounded) for a request to finish. VIRTIO_EAGAIN at once when
   nothing is pending. If the wait fails, the device is reset (see ERRORS). */
VIRTIO_API int virtio_blk_wait(virtio_blk *blk, unsigned *id, int *result);
/* Requests submitted and not yet returned by poll or wait (0 for NULL or after a reset). */
VIRTIO_API uint32_t virtio_blk_pending(const virtio_blk *blk);

#ifdef __cplusplus
}
#endif

#endif /* VIRTIO_BLK_H */

/* ============================================================================================== */
/*                                        IMPLEMENTATION                                          */
/* ============================================================================================== */
#if defined(VIRTIO_BLK_IMPLEMENTATION) && !defined(VIRTIO_BLK__IMPL_DONE)
#define VIRTIO_BLK__IMPL_DONE

/* Most data segments one request may use (they live on the stack while it is queued). */
#ifdef VIRTIO_BLK_MINIMAL /* one data segment a request: no segment array, no split buffer */
#undef VIRTIO_BLK_MAX_SEGS
#define VIRTIO_BLK_MAX_SEGS 1u
#endif
#ifndef VIRTIO_BLK_MAX_SEGS
#define VIRTIO_BLK_MAX_SEGS 32u
#endif
/* Largest request we build, in sectors: keeps every length within 32 bits. */
#define VIRTIO_BLK__MAX_SECTORS (1u << 22)
#ifndef VIRTIO_BLK_RESIZE_CHECK_EVERY
#define VIRTIO_BLK_RESIZE_CHECK_EVERY 1u
#endif
#if VIRTIO_BLK_RESIZE_CHECK_EVERY < 1
#error "VIRTIO_BLK_RESIZE_CHECK_EVERY: 1 or more (VIRTIO_BLK_NO_RESIZE_CHECK turns the check off)"
#endif
#define VIRTIO_BLK__MAX_REQUESTS 0xffffu
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) &&                                    \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define VIRTIO_BLK__BIG_ENDIAN 1
#else
#define VIRTIO_BLK__BIG_ENDIAN 0
#endif
/* Header fields in the device's order: on a little-endian CPU both orders are the CPU's. */
#if VIRTIO_BLK__BIG_ENDIAN
#define VIRTIO_BLK__O32(dev, v) virtio_dev_order32(dev, v)
#define VIRTIO_BLK__O64(dev, v) virtio_dev_order64(dev, v)
#else
#define VIRTIO_BLK__O32(dev, v) ((void)(dev), (uint32_t)(v))
#define VIRTIO_BLK__O64(dev, v) ((void)(dev), (uint64_t)(v))
#endif
#if defined(__GNUC__) || defined(__clang__)
#define VIRTIO_BLK__IN_LINE     __inline__ __attribute__((always_inline))
#define VIRTIO_BLK__OUT_OF_LINE __attribute__((noinline))
#else
#define VIRTIO_BLK__IN_LINE
#define VIRTIO_BLK__OUT_OF_LINE
#endif

/* What this driver implements. The core adds the ring features (VERSION_1, EVENT_IDX). */
#ifdef VIRTIO_BLK_MINIMAL
#define VIRTIO_BLK__WANTED                                                                         \
    (VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_RO) |                             \
     VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH))
#else
#define VIRTIO_BLK__WANTED                                                                         \
    (VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |                        \
     VIRTIO_BIT(VIRTIO_BLK_F_GEOMETRY) | VIRTIO_BIT(VIRTIO_BLK_F_RO) |                             \
     VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |                          \
     VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY) | VIRTIO_BIT(VIRTIO_BLK_F_CONFIG_WCE) |                     \
     VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES))
#endif

/* Slot states. A slot is BUSY from submit until the device uses it, then DONE until poll or
   wait (or the blocking call that made it) returns it. */
enum { VIRTIO_BLK__FREE = 0, VIRTIO_BLK__BUSY, VIRTIO_BLK__DONE };
#define VIRTIO_BLK__STATUS_UNSET 0xffu /* what the status byte holds until the device writes it */

/* ---- Memory plan: one layout for virtio_blk_mem_size and virtio_blk_init --------------------- */
typedef struct virtio_blk__plan {
    uint32_t queue_size, requests;
    size_t ring_size;  /* at offset 0, aligned to virtio_queue_ring_align(t) */
    size_t reqs_off;   /* request headers: the device reads and writes them; 8-aligned */
    size_t shadow_off; /* driver-private from here on */
    size_t shadow_size;
    size_t slots_off;
    size_t total;
} virtio_blk__plan;

static int virtio_blk__plan_for(const virtio_blk_params *p, const virtio_transport *t,
                                virtio_blk__plan *plan) {
    uint32_t n = (p && p->queue_size) ? p->queue_size : VIRTIO_BLK_QUEUE_SIZE;
    uint32_t k = (p && p->requests) ? p->requests : VIRTIO_BLK_REQUESTS;
    /* Fewer than 4 entries cannot hold header, data and status of one request. */
    if (n < 4 || k > VIRTIO_BLK__MAX_REQUESTS) return 0;
    plan->ring_size = virtio_queue_ring_size(t, n); /* 0 unless a power of two up to 32768 */
    if (plan->ring_size == 0) return 0;
    plan->queue_size = n;
    plan->requests = k;
    plan->reqs_off = virtio_align_up(plan->ring_size, 8u);
    plan->shadow_off = virtio_align_up(plan->reqs_off + (size_t)k * sizeof(virtio_blk_req), 8u);
    plan->shadow_size = VIRTIO_QUEUE_SHADOW_MEM(n); /* n is a size the ring took */
    plan->slots_off = virtio_align_up(plan->shadow_off + plan->shadow_size, 8u);
    plan->total = plan->slots_off + (size_t)k * sizeof(virtio_blk_slot);
    return 1;
}

VIRTIO_DEF size_t virtio_blk_mem_size(const virtio_blk_params *p, const virtio_transport *t) {
    virtio_blk__plan plan;
    return virtio_blk__plan_for(p, t, &plan) ? plan.total : 0u;
}

/* 0 if the object is initialized and healthy: the device's latched error first (it may be one
   that left no queue, e.g. after a failed wait), then the queue's (VIRTIO_ESTATE if none). */
VIRTIO_BLK__OUT_OF_LINE static int virtio_blk__unusable(const virtio_blk *blk) {
    int r = virtio_dev_usable(&blk->dev);
    return r ? r : virtio_queue_usable(&blk->queue);
}
static VIRTIO_BLK__IN_LINE int virtio_blk__usable(const virtio_blk *blk) {
    /* A live queue's answer covers its device too (one call in the common case); the rest
       apart, so that callers keep nothing across it. */
    if (virtio_queue_usable(&blk->queue) == VIRTIO_OK) return VIRTIO_OK;
    return virtio_blk__unusable(blk);
}

/* ---- Initialization: "Block Device / Device Initialization" --------------------------------- */
/* Reads what every request needs of the configuration (inside virtio_config_atomic, so the
   fields belong together: the capacity's two halves need no generation check of their own). */
static int virtio_blk__read_config(virtio_dev *dev, void *ctx) {
    virtio_blk_info *in = (virtio_blk_info *)ctx;
    if (virtio_dev_legacy(dev)) {
        /* No generation to check: read until two reads agree (virtio_config_read64, which
           also knows a legacy field's guest order). */
        in->capacity = virtio_config_read64(dev, VIRTIO_BLK_CFG_CAPACITY);
    } else {
        uint32_t lo = virtio_config_read32(dev, VIRTIO_BLK_CFG_CAPACITY);
        uint32_t hi = virtio_config_read32(dev, VIRTIO_BLK_CFG_CAPACITY + 4u);
        in->capacity = (uint64_t)hi << 32 | lo; /* the generation check is config_atomic's */
    }
    /* seg_max matters only where size_max splits a request into segments: without it every
       request the driver builds has one data segment (virtio_blk__limits), so it is not read. */
    if (virtio_dev_has(dev, VIRTIO_BLK_F_SIZE_MAX)) {
        in->size_max = virtio_config_read32(dev, VIRTIO_BLK_CFG_SIZE_MAX);
#if VIRTIO_BLK_MAX_SEGS > 1 /* else one data segment a request: seg_max never limits it */
        if (virtio_dev_has(dev, VIRTIO_BLK_F_SEG_MAX))
            in->seg_max = virtio_config_read32(dev, VIRTIO_BLK_CFG_SEG_MAX);
#endif
    }
    in->blk_size = virtio_dev_has(dev, VIRTIO_BLK_F_BLK_SIZE)
                       ? virtio_config_read32(dev, VIRTIO_BLK_CFG_BLK_SIZE)
                       : VIRTIO_BLK_SECTOR_SIZE;
    in->read_only = (uint8_t)virtio_dev_has(dev, VIRTIO_BLK_F_RO);
    return VIRTIO_OK;
}

#ifndef VIRTIO_BLK_MINIMAL
/* The rest, read at the first call that needs it (virtio_blk_get_info, a discard or a
   write-zeroes, virtio_blk_set_writeback), not at init: the cache mode, the discard and
   write-zeroes limits and, unless VIRTIO_BLK_NO_INFO, the fields only virtio_blk_get_info
   shows (geometry, topology, discard and write-zeroes segments and alignment). */
typedef struct virtio_blk__field {
    uint8_t feature; /* read only when negotiated */
    uint8_t cfg;     /* VIRTIO_BLK_CFG_* */
    uint8_t width;   /* bytes: 1, 2 or 4 */
    uint8_t at;      /* offset in virtio_blk_info */
} virtio_blk__field;
#define VIRTIO_BLK__FIELD(f, cfg, w, name)                                                         \
    { VIRTIO_BLK_F_##f, VIRTIO_BLK_CFG_##cfg, w, (uint8_t)offsetof(virtio_blk_info, name) }
static const virtio_blk__field virtio_blk__more_fields[] = {
    VIRTIO_BLK__FIELD(CONFIG_WCE, WRITEBACK, 1, writeback),
    VIRTIO_BLK__FIELD(DISCARD, MAX_DISCARD_SECTORS, 4, max_discard_sectors),
    VIRTIO_BLK__FIELD(WRITE_ZEROES, MAX_WRITE_ZEROES_SECTORS, 4, max_write_zeroes_sectors),
    VIRTIO_BLK__FIELD(WRITE_ZEROES, WRITE_ZEROES_MAY_UNMAP, 1, write_zeroes_may_unmap),
    VIRTIO_BLK__FIELD(DISCARD, MAX_DISCARD_SEG, 4, max_discard_seg),
    VIRTIO_BLK__FIELD(WRITE_ZEROES, MAX_WRITE_ZEROES_SEG, 4, max_write_zeroes_seg),
#ifndef VIRTIO_BLK_NO_INFO
    VIRTIO_BLK__FIELD(SEG_MAX, SEG_MAX, 4, seg_max), /* init reads it only with SIZE_MAX */
    VIRTIO_BLK__FIELD(DISCARD, DISCARD_SECTOR_ALIGNMENT, 4, discard_sector_alignment),
    VIRTIO_BLK__FIELD(GEOMETRY, GEOMETRY_CYLINDERS, 2, cylinders),
    VIRTIO_BLK__FIELD(GEOMETRY, GEOMETRY_HEADS, 1, heads),
    VIRTIO_BLK__FIELD(GEOMETRY, GEOMETRY_SECTORS, 1, sectors),
    VIRTIO_BLK__FIELD(TOPOLOGY, PHYSICAL_BLOCK_EXP, 1, physical_block_exp),
    VIRTIO_BLK__FIELD(TOPOLOGY, ALIGNMENT_OFFSET, 1, alignment_offset),
    VIRTIO_BLK__FIELD(TOPOLOGY, MIN_IO_SIZE, 2, min_io_size),
    VIRTIO_BLK__FIELD(TOPOLOGY, OPT_IO_SIZE, 4, opt_io_size),
#endif
};
#undef VIRTIO_BLK__FIELD

static int virtio_blk__read_more(virtio_dev *dev, void *ctx) {
    virtio_blk_info *in = (virtio_blk_info *)ctx;
    unsigned k;
    /* Without CONFIG_WCE the cache mode is fixed: writeback exactly when FLUSH is offered
       ("Block Device / Device Initialization"); with it, the table reads it. */
    in->writeback = (uint8_t)virtio_dev_has(dev, VIRTIO_BLK_F_FLUSH);
    for (k = 0; k < sizeof virtio_blk__more_fields / sizeof virtio_blk__more_fields[0]; k++) {
        const virtio_blk__field *f = &virtio_blk__more_fields[k];
        void *to = (char *)in + f->at;
        if (!virtio_dev_has(dev, f->feature)) continue;
        if (f->width == 1)
            *(uint8_t *)to = virtio_config_read8(dev, f->cfg);
        else if (f->width == 2)
            *(uint16_t *)to = virtio_config_read16(dev, f->cfg);
        else
            *(uint32_t *)to = virtio_config_read32(dev, f->cfg);
    }
    return VIRTIO_OK;
}

/* Reads the rest of the configuration once the object is usable (see above). 0, or the error
   that latched the device. */
static int virtio_blk__more(virtio_blk *blk) {
    int r = virtio_blk__usable(blk);
    if (r == VIRTIO_OK && !blk->info_read) {
        r = virtio_config_atomic(&blk->dev, virtio_blk__read_more, &blk->info);
        blk->info_read = r == VIRTIO_OK;
    }
    return r;
}
#endif

/* Steps 4-6 and the configuration: "The driver SHOULD ... read the configuration" once the
   features are settled (which fields exist depends on them). The configuration is untrusted:
   a block size that is not a power of two from 512 up, or a segment smaller than a block,
   makes no sense and we refuse the device. */
static int virtio_blk__negotiate(virtio_blk *blk) {
    virtio_blk_info *in = &blk->info;
    int r = virtio_dev_negotiate(&blk->dev, VIRTIO_BLK__WANTED, 0);
    if (r) return r;
    r = virtio_config_atomic(&blk->dev, virtio_blk__read_config, in);
    if (r) return virtio_dev_fail(&blk->dev, r);
    if (in->blk_size < VIRTIO_BLK_SECTOR_SIZE || in->blk_size > (1u << 20) ||
        (in->blk_size & (in->blk_size - 1u)) != 0 ||
        (virtio_dev_has(&blk->dev, VIRTIO_BLK_F_SIZE_MAX) && in->size_max < in->blk_size))
        return virtio_dev_fail(&blk->dev, VIRTIO_EDEVICE);
    return VIRTIO_OK;
}

/* Step 7: the request queue, rings at the start of mem and its shadow where the plan says. The
   driver reads no used length (the status byte says it all), but a length above what was
   posted is still a fault: no IGNORE_LEN. */
static int virtio_blk__setup_queue(virtio_blk *blk, const virtio_blk__plan *plan, char *mem) {
    virtio_queue_params qp;
    int r;
    qp.flags = 0; /* every other field is set below */
    qp.size = plan->queue_size;
    qp.ring = mem;
    qp.ring_size = plan->ring_size;
    qp.shadow = mem + plan->shadow_off;
    qp.shadow_size = plan->shadow_size;
    r = virtio_queue_init(&blk->queue, &blk->dev, 0, &qp);
    if (r == VIRTIO_OK && virtio_queue_size(&blk->queue) < 4) r = VIRTIO_EDEVICE;
    if (r) {
        virtio_zero(&blk->queue, sizeof blk->queue);
        return virtio_dev_fail(&blk->dev, r);
    }
    return VIRTIO_OK;
}

/* The largest request, from the queue size and the device's limits. Segments and requests
   are whole logical blocks, so a split never cuts one. seg_max 0 from a device that offers
   SEG_MAX means one. */
static void virtio_blk__limits(virtio_blk *blk) {
    const virtio_blk_info *in = &blk->info;
    uint32_t seg_bytes, max = VIRTIO_BLK__MAX_SECTORS * VIRTIO_BLK_SECTOR_SIZE;
#if VIRTIO_BLK_MAX_SEGS > 1
    uint32_t segs = virtio_queue_size(&blk->queue) - 2u; /* minus header and status */
    if (in->seg_max != 0 && in->seg_max < segs) segs = in->seg_max;
    if (virtio_dev_has(&blk->dev, VIRTIO_BLK_F_SEG_MAX) && in->seg_max == 0) segs = 1;
    if (segs > VIRTIO_BLK_MAX_SEGS) segs = VIRTIO_BLK_MAX_SEGS;
#else
    const uint32_t segs = 1; /* the queue has at least 4 entries, seg_max is at least 1 */
#endif
    seg_bytes = in->size_max ? in->size_max & ~(in->blk_size - 1u) : max;
    if (seg_bytes > max) seg_bytes = max;
    blk->seg_bytes = seg_bytes;
    blk->max_sectors = (uint32_t)((uint64_t)segs * seg_bytes / VIRTIO_BLK_SECTOR_SIZE);
    if (blk->max_sectors > VIRTIO_BLK__MAX_SECTORS) blk->max_sectors = VIRTIO_BLK__MAX_SECTORS;
}

/* Forgets every request and the queue: only once the device holds nothing (after a reset). */
static void virtio_blk__forget(virtio_blk *blk) {
    uint32_t i;
    virtio_zero(&blk->queue, sizeof blk->queue);
    for (i = 0; i < blk->nreqs; i++) {
        blk->slots[i].state = VIRTIO_BLK__FREE;
        blk->slots[i].next = (uint16_t)(i + 1u);
    }
    blk->free_slot = 0;
    blk->npending = 0;
    blk->ndone = 0;
}

VIRTIO_DEF int virtio_blk_init(virtio_blk *blk, const virtio_transport *t,
                               const virtio_blk_params *p, void *mem, size_t mem_size) {
    virtio_blk__plan plan;
    char *m = (char *)mem;
    int r;
    /* 1. Caller errors, before anything is touched. */
    if (!blk || !t || !mem || !virtio_blk__plan_for(p, t, &plan)) return VIRTIO_EINVAL;
    if (mem_size < plan.total || ((uintptr_t)mem & (virtio_queue_ring_align(t) - 1u)) != 0)
        return VIRTIO_EINVAL;
    /* 2. Attach (refusals come before any register access: VIRTIO_ENODEV for another device
       type) and reset: until the reset completes, a device an earlier stage left running may
       still write `mem`. */
    r = virtio_dev_init(&blk->dev, t, VIRTIO_ID_BLOCK);
    if (r != VIRTIO_OK && r != VIRTIO_EBUSY) return r;
    /* Everything after the device object: queue, info, counters and pointers to 0. */
    virtio_zero(&blk->queue, sizeof *blk - offsetof(virtio_blk, queue));
    if (r) return r;
    /* 3. The device is idle: the memory is ours. The queue zeroes its rings and sets up its
       shadow; the driver writes every header field the device reads before it posts a
       request; the slots start free. Nothing else needs zeroing. */
    blk->reqs = (virtio_blk_req *)(void *)(m + plan.reqs_off);
    blk->slots = (virtio_blk_slot *)(void *)(m + plan.slots_off);
    blk->nreqs = plan.requests;
    virtio_blk__forget(blk);
    r = virtio_blk__negotiate(blk);
    if (r == VIRTIO_OK) r = virtio_blk__setup_queue(blk, &plan, m);
    if (r) return r;
    virtio_blk__limits(blk);
    /* 8. DRIVER_OK. */
    return virtio_dev_ready(&blk->dev);
}

/* The one way out of a failed wait: reset the device so every buffer it held is the caller's,
   and latch `error`. The requests are forgotten once the device holds nothing; if the reset
   did not complete (VIRTIO_EBUSY) they stay, so virtio_blk_pending still counts what is out. */
static int virtio_blk__abandon(virtio_blk *blk, int error) {
    int r = virtio_dev_abandon(&blk->dev, error);
    if (r != VIRTIO_EBUSY) virtio_blk__forget(blk);
    return r;
}

VIRTIO_DEF int virtio_blk_reset(virtio_blk *blk) {
    int r;
    if (!blk) return VIRTIO_EINVAL;
    r = virtio_dev_reset(&blk->dev);
    if (r == VIRTIO_ESTATE) return r; /* never initialized: nothing to reset */
    if (r == VIRTIO_OK) virtio_blk__forget(blk);
    return r;
}

/* ---- Queries --------------------------------------------------------------------------------- */
VIRTIO_DEF uint64_t virtio_blk_capacity(const virtio_blk *blk) {
    return blk ? blk->info.capacity : 0;
}
VIRTIO_DEF uint32_t virtio_blk_block_size(const virtio_blk *blk) {
    return blk ? blk->info.blk_size : 0;
}
VIRTIO_DEF int virtio_blk_read_only(const virtio_blk *blk) { return blk ? blk->info.read_only : 0; }
VIRTIO_DEF int virtio_blk_can_flush(const virtio_blk *blk) {
    return blk ? virtio_dev_has(&blk->dev, VIRTIO_BLK_F_FLUSH) : 0;
}
VIRTIO_DEF uint32_t virtio_blk_max_request(const virtio_blk *blk) {
    return blk ? blk->max_sectors : 0;
}
VIRTIO_DEF const virtio_blk_info *virtio_blk_get_info(const virtio_blk *blk) {
    if (!blk) return 0;
#ifndef VIRTIO_BLK_MINIMAL
    /* The object is the caller's and not const (init wrote it): the const here only says
       that no request changes. */
    virtio_blk__more((virtio_blk *)(uintptr_t)blk);
#endif
    return &blk->info;
}
VIRTIO_DEF uint32_t virtio_blk_pending(const virtio_blk *blk) { return blk ? blk->npending : 0; }

/* ---- Requests: "Block Device / Device Operation" -------------------------------------------- */
/* Checks a request against the device before anything is sent. For DISCARD and WRITE_ZEROES
   `len` is a sector count; for IN and OUT a byte length. */
/* The capacity again, after the device reported a configuration change. */
static int virtio_blk__reread_capacity(virtio_blk *blk) {
    virtio_blk_info in; /* only its capacity is taken, which every read writes */
    int r = virtio_config_atomic(&blk->dev, virtio_blk__read_config, &in);
    if (r) return r; /* the device latched as broken */
    blk->info.capacity = in.capacity;
    return VIRTIO_OK;
}

/* A look for a configuration change (CAPACITY CHANGES above): with `now`, or once in
   VIRTIO_BLK_RESIZE_CHECK_EVERY calls. */
static VIRTIO_BLK__IN_LINE int virtio_blk__refresh(virtio_blk *blk, int now) {
#ifdef VIRTIO_BLK_NO_RESIZE_CHECK
    if (!now) return VIRTIO_OK;
#elif VIRTIO_BLK_RESIZE_CHECK_EVERY > 1
    if (!now && ++blk->resize_tick < VIRTIO_BLK_RESIZE_CHECK_EVERY) return VIRTIO_OK;
    blk->resize_tick = 0;
#else
    (void)now; /* every request looks: nothing to count */
#endif
    return virtio_dev_config_changed(&blk->dev) ? virtio_blk__reread_capacity(blk) : VIRTIO_OK;
}

VIRTIO_DEF int virtio_blk_refresh(virtio_blk *blk) {
    int r;
    if (!blk) return VIRTIO_EINVAL;
    r = virtio_blk__usable(blk);
    return r ? r : virtio_blk__refresh(blk, 1);
}

/* The range [sector, sector + n): on the disk and whole logical blocks. */
static VIRTIO_BLK__IN_LINE int virtio_blk__check_range(virtio_blk *blk, uint64_t sector,
                                                       uint64_t n) {
    uint64_t cap;
    int r = virtio_blk__refresh(blk, 0);
    if (r) return r;
    cap = blk->info.capacity;
    if (sector > cap || n > cap - sector) return VIRTIO_ERANGE;
    /* Devices (QEMU among them) fail requests that are not whole logical blocks with IOERR;
       refuse them here instead, with nothing sent. */
    if (((sector | n) & ((uint64_t)blk->info.blk_size / VIRTIO_BLK_SECTOR_SIZE - 1u)) != 0)
        return VIRTIO_EINVAL;
    return VIRTIO_OK;
}

/* A read or write: the buffer, its length in whole sectors, then the range. */
static VIRTIO_BLK__IN_LINE int virtio_blk__check_rw(virtio_blk *blk, uint32_t type, uint64_t sector,
                                                    const void *buf, uint64_t len,
                                                    uint64_t *sectors) {
    if (!buf || len == 0 || len % VIRTIO_BLK_SECTOR_SIZE) return VIRTIO_EINVAL;
    if (type == VIRTIO_BLK_T_OUT && blk->info.read_only) return VIRTIO_EROFS;
    *sectors = len / VIRTIO_BLK_SECTOR_SIZE;
    return virtio_blk__check_range(blk, sector, *sectors);
}

static int virtio_blk__check(virtio_blk *blk, uint32_t type, uint64_t sector, const void *buf,
                             uint64_t len, uint64_t *sectors) {
    uint64_t n = 0;
    switch (type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT: return virtio_blk__check_rw(blk, type, sector, buf, len, sectors);
    case VIRTIO_BLK_T_FLUSH:
        return virtio_dev_has(&blk->dev, VIRTIO_BLK_F_FLUSH) ? VIRTIO_OK : VIRTIO_ENOTSUP;
#ifdef VIRTIO_BLK_MINIMAL
    case VIRTIO_BLK_T_GET_ID: return VIRTIO_ENOTSUP;
#else
    case VIRTIO_BLK_T_GET_ID:
        return (buf && len >= VIRTIO_BLK_ID_BYTES) ? VIRTIO_OK : VIRTIO_EINVAL;
#endif
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (!virtio_dev_has(&blk->dev, type == VIRTIO_BLK_T_DISCARD ? VIRTIO_BLK_F_DISCARD
                                                                    : VIRTIO_BLK_F_WRITE_ZEROES))
            return VIRTIO_ENOTSUP;
        if (len == 0) return VIRTIO_EINVAL;
        if (blk->info.read_only) return VIRTIO_EROFS;
        n = len;
        break;
    default: return VIRTIO_EINVAL;
    }
    *sectors = n;
    return virtio_blk__check_range(blk, sector, n);
}

#ifndef VIRTIO_BLK_MINIMAL
/* A DISCARD / WRITE_ZEROES request carries one segment: the device must take at least one
   (max_discard_seg / max_write_zeroes_seg; 0 makes no sense, and nothing is sent then). */
static int virtio_blk__dwz_segs_ok(const virtio_blk *blk, uint32_t type) {
    uint32_t segs =
        type == VIRTIO_BLK_T_DISCARD ? blk->info.max_discard_seg : blk->info.max_write_zeroes_seg;
    return segs >= 1u ? VIRTIO_OK : VIRTIO_ENOTSUP;
}

/* Largest DISCARD / WRITE_ZEROES request, in sectors (0 from the device: no stated limit). */
static uint32_t virtio_blk__dwz_max(const virtio_blk *blk, uint32_t type) {
    uint32_t m = type == VIRTIO_BLK_T_DISCARD ? blk->info.max_discard_sectors
                                              : blk->info.max_write_zeroes_sectors;
    uint32_t bs = blk->info.blk_size / VIRTIO_BLK_SECTOR_SIZE; /* a power of two */
    if (m == 0) m = 0xffffffffu;
    m &= ~(bs - 1u); /* whole logical blocks */
    return m ? m : bs;
}
#endif

#if VIRTIO_BLK_MAX_SEGS > 1
/* The data segments of an IN / OUT buffer, each at most seg_bytes. Returns their number. */
static unsigned virtio_blk__data_segs(const virtio_blk *blk, virtio_seg *segs, void *buf,
                                      uint64_t len) {
    uint64_t off = 0;
    unsigned n = 0;
    while (off < len) {
        uint64_t chunk = len - off < blk->seg_bytes ? len - off : blk->seg_bytes;
        segs[n].addr = (char *)buf + off;
        segs[n].len = (uint32_t)chunk;
        n++;
        off += chunk;
    }
    return n;
}
#endif

/* Free slot i's header and the chain's first segment, pointing at it. struct virtio_blk_req:
   the header the device reads, then data, then the status byte (unset until the device writes
   it). */
static VIRTIO_BLK__IN_LINE virtio_blk_req *
virtio_blk__header(virtio_blk *blk, uint32_t i, uint32_t type, uint64_t sector, virtio_seg *segs) {
    virtio_blk_req *rq = &blk->reqs[i];
    rq->type = VIRTIO_BLK__O32(&blk->dev, type);
    rq->reserved = 0;
    rq->sector = VIRTIO_BLK__O64(&blk->dev, sector);
    rq->status = VIRTIO_BLK__STATUS_UNSET;
    segs[0].addr = rq;
    segs[0].len = 16;
    return rq;
}

/* Fills free slot i's header and the request's segments (already checked, within the limits):
   header, data, status. Returns the number of segments; *n_out of them the device reads. */
static unsigned virtio_blk__prep(virtio_blk *blk, uint32_t i, uint32_t type, uint64_t sector,
                                 void *buf, uint64_t len, uint32_t flags, virtio_seg *segs,
                                 unsigned *n_out) {
    virtio_blk_req *rq = virtio_blk__header(
        blk, i, type, (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT) ? sector : 0, segs);
    unsigned out = 1, data = 0;
    (void)flags; /* DISCARD and WRITE_ZEROES only */
    if (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT) {
#if VIRTIO_BLK_MAX_SEGS > 1 /* one loop for any count: the common request has its own path */
        data = virtio_blk__data_segs(blk, segs + 1, buf, len);
#else
        segs[1].addr = buf;
        segs[1].len = (uint32_t)len;
        data = 1;
#endif
        if (type == VIRTIO_BLK_T_OUT) out += data, data = 0; /* the device reads the data */
#ifndef VIRTIO_BLK_MINIMAL
    } else if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES) {
        /* One struct virtio_blk_discard_write_zeroes segment. */
        rq->dwz_sector = VIRTIO_BLK__O64(&blk->dev, sector);
        rq->dwz_sectors = VIRTIO_BLK__O32(&blk->dev, (uint32_t)len);
        rq->dwz_flags = VIRTIO_BLK__O32(&blk->dev, flags);
        segs[1].addr = &rq->dwz_sector;
        segs[1].len = 16;
        out = 2;
    } else if (type == VIRTIO_BLK_T_GET_ID) {
        /* The spec calls the ID NUL-padded, but QEMU writes only the string and one NUL:
           clear the buffer so the caller never sees what it held before. */
        virtio_zero(buf, VIRTIO_BLK_ID_BYTES);
        segs[1].addr = buf;
        segs[1].len = VIRTIO_BLK_ID_BYTES;
        data = 1;
#endif
    } /* FLUSH: header and status only */
    segs[out + data].addr = &rq->status;
    segs[out + data].len = 1;
    *n_out = out;
    return out + data + 1u;
}

/* Slot i (the first free one) is with the device now. */
static VIRTIO_BLK__IN_LINE void virtio_blk__busy(virtio_blk *blk, uint32_t i) {
    blk->free_slot = blk->slots[i].next;
    blk->slots[i].state = VIRTIO_BLK__BUSY;
    blk->slots[i].result = 0;
    blk->npending++;
}

#ifndef VIRTIO_BLK_MINIMAL
/* The resize check's flag for the core's request call (CAPACITY CHANGES above). */
#if defined(VIRTIO_BLK_NO_RESIZE_CHECK)
#define VIRTIO_BLK__LOOK(blk) 0u
#elif VIRTIO_BLK_RESIZE_CHECK_EVERY > 1
#define VIRTIO_BLK__LOOK(blk) virtio_blk__look(blk)
static unsigned virtio_blk__look(virtio_blk *blk) {
    if (++blk->resize_tick < VIRTIO_BLK_RESIZE_CHECK_EVERY) return 0;
    blk->resize_tick = 0;
    return VIRTIO_ADD3_CONFIG;
}
#else
#define VIRTIO_BLK__LOOK(blk) VIRTIO_ADD3_CONFIG
#endif

/* 1 if a read or write (IN or OUT) is the common request, all its checks passed against what
   the object knows: one data segment, whole sectors and blocks, within the capacity and the
   limits, a free slot, a writable device for OUT. Else 0, and the general path finds what is
   wrong, in its order. */
static VIRTIO_BLK__IN_LINE int virtio_blk__common(const virtio_blk *blk, uint32_t type,
                                                  uint64_t sector, const void *buf, size_t len) {
    uint64_t n = len / VIRTIO_BLK_SECTOR_SIZE, cap = blk->info.capacity;
    /* Within seg_bytes is within max_sectors too: virtio_blk__limits makes max_sectors at
       least one segment's sectors. */
    return buf && len != 0 && len % VIRTIO_BLK_SECTOR_SIZE == 0 && len <= blk->seg_bytes &&
           blk->free_slot < blk->nreqs && !(type == VIRTIO_BLK_T_OUT && blk->info.read_only) &&
           sector <= cap && n <= cap - sector &&
           ((sector | n) & ((uint64_t)blk->info.blk_size / VIRTIO_BLK_SECTOR_SIZE - 1u)) == 0;
}
#endif

/* Fills a free slot and adds the request to the queue (already checked, within the limits);
   the device sees it at the next kick. *slot: its number. */
static int virtio_blk__queue(virtio_blk *blk, uint32_t type, uint64_t sector, void *buf,
                             uint64_t len, uint32_t flags, uint32_t *slot) {
    virtio_seg segs[VIRTIO_BLK_MAX_SEGS + 3u];
    unsigned n, n_out;
    uint32_t i = blk->free_slot;
    int r;
    if (i >= blk->nreqs) return VIRTIO_ENOSPC;
    n = virtio_blk__prep(blk, i, type, sector, buf, len, flags, segs, &n_out);
    /* The cookie is the slot: the core hands back only cookies of chains it has outstanding. */
    r = virtio_queue_add(&blk->queue, segs, n_out, n - n_out, &blk->slots[i]);
    if (r) return r;
    virtio_blk__busy(blk, i);
    *slot = i;
    return VIRTIO_OK;
}

/* The device's verdict on a status byte (the usual paths look for OK themselves). */
VIRTIO_BLK__OUT_OF_LINE static int virtio_blk__status(virtio_blk *blk, uint8_t st) {
    switch (st) {
    case VIRTIO_BLK_S_OK: return VIRTIO_OK;
    case VIRTIO_BLK_S_IOERR: return VIRTIO_EIO;
    case VIRTIO_BLK_S_UNSUPP: return VIRTIO_EUNSUPP;
    /* Used without a status written (Firecracker's answer, used length 0, to a request it
       cannot parse): that request failed, the device is fine. */
    case VIRTIO_BLK__STATUS_UNSET: return VIRTIO_EIO;
    default: return virtio_dev_fail(&blk->dev, VIRTIO_EDEVICE); /* not a status: broken */
    }
}

/* The device's verdict on a finished request, from the status byte it wrote. */
static VIRTIO_BLK__IN_LINE int virtio_blk__verdict(virtio_blk *blk, const virtio_blk_req *rq) {
    return virtio_blk__status(blk, *(const volatile uint8_t *)&rq->status);
}

/* Records a used request in its slot: DONE, at the end of the finished list, until returned.
   Returns its number. */
static uint32_t virtio_blk__complete(virtio_blk *blk, void *cookie) {
    virtio_blk_slot *s = (virtio_blk_slot *)cookie; /* our own pointer, from the core's shadow */
    uint32_t i = (uint32_t)(s - blk->slots);
    s->result = virtio_blk__verdict(blk, &blk->reqs[i]);
    s->state = VIRTIO_BLK__DONE;
    if (blk->ndone++ == 0)
        blk->done_first = i;
    else
        blk->slots[blk->done_last].next = (uint16_t)i;
    blk->done_last = i;
    return i;
}

/* Puts slot i back on the free list. */
static VIRTIO_BLK__IN_LINE void virtio_blk__free(virtio_blk *blk, uint32_t i) {
    blk->slots[i].state = VIRTIO_BLK__FREE;
    blk->slots[i].next = (uint16_t)blk->free_slot;
    blk->free_slot = i;
    blk->npending--;
}

/* Returns the oldest finished slot (there is one: ndone > 0) and frees it. */
static int virtio_blk__take(virtio_blk *blk, unsigned *id, int *result) {
    uint32_t i = blk->done_first;
    blk->done_first = blk->slots[i].next;
    blk->ndone--;
    virtio_blk__free(blk, i);
    if (id) *id = (unsigned)i;
    if (result) *result = blk->slots[i].result;
    return VIRTIO_OK;
}

/* Waits (bounded) for the device to use one request and records it. A status byte that makes
   no sense latches the device: a failure like a failed wait. */
static int virtio_blk__wait_one(virtio_blk *blk, uint32_t *slot) {
    void *cookie = 0;
    int r = virtio_queue_wait(&blk->queue, &cookie, 0);
    if (r) return r;
    *slot = virtio_blk__complete(blk, cookie);
    return virtio_dev_usable(&blk->dev);
}

/* ---- Non-blocking ---------------------------------------------------------------------------- */
/* virtio_blk_submit once the object was found usable: any request, checked in order. */
VIRTIO_BLK__OUT_OF_LINE static int virtio_blk__submit_any(virtio_blk *blk, uint32_t type,
                                                          uint64_t sector, void *buf, size_t len,
                                                          unsigned *id) {
    uint64_t n;
    uint32_t slot;
    int r;
    if (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT) {
        r = virtio_blk__check_rw(blk, type, sector, buf, len, &n);
        if (r == VIRTIO_OK && n > blk->max_sectors) r = VIRTIO_EINVAL;
    } else {
        r = virtio_blk__check(blk, type, sector, buf, len, &n);
    }
    if (r) return r;
#ifndef VIRTIO_BLK_MINIMAL
    if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES) {
        r = virtio_blk__more(blk); /* the limits */
        if (r == VIRTIO_OK) r = virtio_blk__dwz_segs_ok(blk, type);
        if (r) return r;
        if (n > virtio_blk__dwz_max(blk, type)) return VIRTIO_EINVAL;
    }
#endif
    r = virtio_blk__queue(blk, type, sector, buf, len, 0, &slot);
    if (r == VIRTIO_OK) *id = (unsigned)slot, blk->unkicked = 1;
    return r;
}

VIRTIO_DEF int virtio_blk_submit(virtio_blk *blk, uint32_t type, uint64_t sector, void *buf,
                                 size_t len, unsigned *id) {
    int r;
    if (!blk || !id) return VIRTIO_EINVAL;
#ifndef VIRTIO_BLK_MINIMAL
    if (type <= VIRTIO_BLK_T_OUT && virtio_blk__common(blk, type, sector, buf, len)) {
        /* The common request: checked, added (after the resize check) in one core call, which
           checks the queue and device too: nothing is written before it said yes, and the
           header only then (the device sees the chain at the next kick). */
        uint32_t slot = blk->free_slot;
        virtio_blk_req *rq = &blk->reqs[slot];
        virtio_seg segs[3];
        segs[0].addr = rq;
        segs[0].len = 16;
        segs[1].addr = buf;
        segs[1].len = (uint32_t)len;
        segs[2].addr = &rq->status;
        segs[2].len = 1;
        r = virtio_queue_add3(&blk->queue, segs,
                              (type == VIRTIO_BLK_T_OUT ? VIRTIO_ADD3_OUT : 0u) |
                                  VIRTIO_BLK__LOOK(blk),
                              &blk->slots[slot], 0);
        if (r == VIRTIO_OK) {
            slot = blk->free_slot; /* unchanged by the call */
            (void)virtio_blk__header(blk, slot, type, sector, segs);
            virtio_blk__busy(blk, slot);
            *id = (unsigned)slot;
            blk->unkicked = 1;
            return VIRTIO_OK;
        }
        /* Nothing was added (no wait). A resize (the object was found usable then): the
           general path checks the new capacity; any other answer, it finds again in its
           order. */
        if (r == VIRTIO_ECONFIG) {
            r = virtio_blk__reread_capacity(blk);
            if (r) return r;
        }
    }
#endif
    r = virtio_blk__usable(blk);
    if (r) return r;
    return virtio_blk__submit_any(blk, type, sector, buf, len, id);
}

VIRTIO_DEF int virtio_blk_kick(virtio_blk *blk) {
    int r;
    if (!blk) return VIRTIO_EINVAL;
    r = virtio_blk__usable(blk);
    if (r == VIRTIO_OK) r = virtio_queue_kick(&blk->queue);
    if (r == VIRTIO_OK) blk->unkicked = 0;
    return r;
}

/* virtio_blk_poll's ends other than a request that finished OK or none: `r` the queue's answer
   (not VIRTIO_EAGAIN), or VIRTIO_OK with the used request's slot in `cookie` (its status byte
   not OK). */
VIRTIO_BLK__OUT_OF_LINE static int virtio_blk__poll_other(virtio_blk *blk, int r, void *cookie,
                                                          unsigned *id, int *result) {
    size_t i;
    if (r) { /* the object's error first */
        int u = virtio_blk__usable(blk);
        return u ? u : r;
    }
    i = (size_t)((virtio_blk_slot *)cookie - blk->slots);
    r = virtio_blk__verdict(blk, &blk->reqs[i]);
    virtio_blk__free(blk, (uint32_t)i);
    if (id) *id = (unsigned)i;
    if (result) *result = r;
    return VIRTIO_OK;
}

/* virtio_blk_poll's look at the queue, nothing kept from earlier: the request the queue hands
   back (its cookie is its slot) goes straight back to the caller and to the free list. The
   queue's poll checks the queue and device first; any error but EAGAIN is answered as the
   object's, in its order. It never waits, so never resets: pending requests stay the
   device's. */
VIRTIO_BLK__OUT_OF_LINE static int virtio_blk__poll_queue(virtio_blk *blk, unsigned *id,
                                                          int *result) {
    void *cookie = 0;
    size_t i;
    int r = virtio_queue_poll(&blk->queue, &cookie, 0);
    if (r) return r == VIRTIO_EAGAIN ? r : virtio_blk__poll_other(blk, r, cookie, id, result);
    i = (size_t)((virtio_blk_slot *)cookie - blk->slots);
    if (*(const volatile uint8_t *)&blk->reqs[i].status != VIRTIO_BLK_S_OK)
        return virtio_blk__poll_other(blk, r, cookie, id, result);
    virtio_blk__free(blk, (uint32_t)i);
    if (id) *id = (unsigned)i;
    if (result) *result = VIRTIO_OK;
    return VIRTIO_OK;
}

/* virtio_blk_poll with requests finished earlier or submitted since the last kick. */
VIRTIO_BLK__OUT_OF_LINE static int virtio_blk__poll_kept(virtio_blk *blk, unsigned *id,
                                                         int *result) {
    int r = virtio_blk__usable(blk);
    /* Publish what was submitted since the last kick: one notification for the whole batch,
       and not even a call when there is nothing new. Only submit leaves requests unpublished
       (blocking calls and wait publish before they wait), and it sets unkicked. */
    if (r == VIRTIO_OK && blk->unkicked) {
        r = virtio_queue_kick(&blk->queue);
        if (r == VIRTIO_OK) blk->unkicked = 0;
    }
    if (r) return r;
    if (blk->ndone) return virtio_blk__take(blk, id, result);
    return virtio_blk__poll_queue(blk, id, result);
}

VIRTIO_DEF int virtio_blk_poll(virtio_blk *blk, unsigned *id, int *result) {
    if (!blk) return VIRTIO_EINVAL;
    if (blk->unkicked || blk->ndone) return virtio_blk__poll_kept(blk, id, result);
    return virtio_blk__poll_queue(blk, id, result);
}

VIRTIO_DEF int virtio_blk_wait(virtio_blk *blk, unsigned *id, int *result) {
    uint32_t slot;
    int r;
    if (!blk) return VIRTIO_EINVAL;
    r = virtio_blk__usable(blk);
    if (r) return r;
    if (blk->npending == 0) return VIRTIO_EAGAIN; /* nothing to wait for */
    if (blk->ndone == 0) {
        /* Waiting for a request the device never saw is futile: publish first. */
        r = virtio_queue_kick(&blk->queue);
        if (r == VIRTIO_OK) r = virtio_blk__wait_one(blk, &slot);
        if (r) return virtio_blk__abandon(blk, r);
    }
    return virtio_blk__take(blk, id, result);
}

/* ---- Blocking -------------------------------------------------------------------------------- */
/* After virtio_queue_add_wait added request `mine` and returned `r` (the used chain's cookie
   in `cookie`): takes the requests the device uses until ours comes, keeping others' for poll
   and wait, and returns its outcome. */
static int virtio_blk__finish(virtio_blk *blk, uint32_t mine, int r, void *cookie) {
    virtio_blk__busy(blk, mine);
    while (r == VIRTIO_OK) {
#ifdef __clang_analyzer__
        /* For clang's analyzer (tests/analyze.mk): VIRTIO_OK always comes with the cookie, one
           of our slots. The analyzer stops inlining inside virtio_queue_wait (7 calls deep),
           then takes the empty-ring answer for VIRTIO_OK with no cookie written. */
        __builtin_assume(cookie != 0);
#endif
        if (cookie != &blk->slots[mine]) {
            virtio_blk__complete(blk, cookie); /* another's: kept for poll and wait */
            r = virtio_dev_usable(&blk->dev);
            if (r == VIRTIO_OK) r = virtio_queue_wait(&blk->queue, &cookie, 0);
            continue;
        }
        /* Ours: straight back to the free list, never on the finished one. A status byte
           that makes no sense latches the device (the verdict's only VIRTIO_EDEVICE): a
           failure like a failed wait. */
        r = virtio_blk__verdict(blk, &blk->reqs[mine]);
        if (r == VIRTIO_EDEVICE) break;
        virtio_blk__free(blk, mine);
        return r;
    }
    /* Our buffer (and any non-blocking one) may still be the device's: reset it. */
    return virtio_blk__abandon(blk, r);
}

/* Fills free slot `mine` and adds the request, publishes it and waits: one core call, its
   answer and *cookie as virtio_queue_add_wait gives them. With many segments apart from
   virtio_blk__run, so that only this frame holds them (virtio_blk__run's then stays small
   enough for the short forms of its register saves); with one, in line. */
#if VIRTIO_BLK_MAX_SEGS > 1
#define VIRTIO_BLK__ADD_WAIT VIRTIO_BLK__OUT_OF_LINE
#else
#define VIRTIO_BLK__ADD_WAIT VIRTIO_BLK__IN_LINE
#endif
VIRTIO_BLK__ADD_WAIT static int virtio_blk__add_wait(virtio_blk *blk, uint32_t mine, uint32_t type,
                                                     uint64_t sector, void *buf, uint64_t len,
                                                     uint32_t flags, void **cookie) {
    virtio_seg segs[VIRTIO_BLK_MAX_SEGS + 3u];
    unsigned n_out, n = virtio_blk__prep(blk, mine, type, sector, buf, len, flags, segs, &n_out);
    return virtio_queue_add_wait(&blk->queue, segs, n_out, n - n_out, &blk->slots[mine], cookie, 0);
}

/* Sends one request (already checked, within the limits) and waits for it. Completions of
   other requests that arrive meanwhile stay DONE for poll and wait. Every wait is bounded:
   each either fails or takes one of a finite number of requests in flight. */
static int virtio_blk__run(virtio_blk *blk, uint32_t type, uint64_t sector, void *buf, uint64_t len,
                           uint32_t flags) {
    uint32_t mine, done;
    void *cookie = 0;
    int r;
    for (;;) {
        mine = blk->free_slot;
        if (mine < blk->nreqs) {
            /* Nothing was added on ENOSPC, EINVAL or ESTATE (the object was found usable, so no
               latched error comes before the add). */
            r = virtio_blk__add_wait(blk, mine, type, sector, buf, len, flags, &cookie);
            if (r != VIRTIO_ENOSPC) break;
        }
        /* Every slot or descriptor taken by non-blocking requests: let the device finish one. */
        if (blk->npending == blk->ndone) return VIRTIO_ENOSPC; /* all finished, none returned */
        r = virtio_queue_kick(&blk->queue);
        if (r == VIRTIO_OK) r = virtio_blk__wait_one(blk, &done);
        if (r) return virtio_blk__abandon(blk, r);
    }
    if (r == VIRTIO_EINVAL || r == VIRTIO_ESTATE) return r; /* nothing was added */
    return virtio_blk__finish(blk, mine, r, cookie);
}

/* Splits [sector, sector + count) into requests of at most `max` sectors and runs each. */
static int virtio_blk__run_split(virtio_blk *blk, uint32_t type, uint64_t sector, char *buf,
                                 uint64_t count, uint64_t max, uint32_t flags) {
    int is_io = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT;
    while (count) {
        uint64_t n = count < max ? count : max;
        int r =
            virtio_blk__run(blk, type, sector, buf, is_io ? n * VIRTIO_BLK_SECTOR_SIZE : n, flags);
        if (r) return r;
        sector += n;
        count -= n;
        if (is_io) buf += n * VIRTIO_BLK_SECTOR_SIZE;
    }
    return VIRTIO_OK;
}

/* Checks a blocking request: NULL object, not usable, then the request itself. */
static int virtio_blk__start(virtio_blk *blk, uint32_t type, uint64_t sector, const void *buf,
                             uint64_t len, uint64_t *n) {
    int r;
    if (!blk) return VIRTIO_EINVAL;
    r = virtio_blk__usable(blk);
    return r ? r : virtio_blk__check(blk, type, sector, buf, len, n);
}

/* A blocking read or write once the object was found usable: checked in order, then sent as
   requests of at most max_sectors (one when it fits). Outside VIRTIO_BLK_MINIMAL the common
   request never comes here (virtio_blk__rw_run), so the split loop serves the single request
   too. */
VIRTIO_BLK__OUT_OF_LINE static int virtio_blk__io_any(virtio_blk *blk, uint32_t type,
                                                      uint64_t sector, char *buf, size_t len) {
    uint64_t n;
    int r = virtio_blk__check_rw(blk, type, sector, buf, len, &n);
    if (r) return r;
#ifdef VIRTIO_BLK_MINIMAL /* every read and write comes here: one request without the loop */
    if (n <= blk->max_sectors) return virtio_blk__run(blk, type, sector, buf, len, 0);
#endif
    return virtio_blk__run_split(blk, type, sector, buf, n, blk->max_sectors, 0);
}

#ifndef VIRTIO_BLK_MINIMAL
/* A common blocking read or write: its segments and what the general path would need again,
   on the stack, so that across the core's calls only the object and `a` are kept in registers. */
typedef struct virtio_blk__rw {
    virtio_seg segs[3];
    uint64_t sector;
    uint32_t type;
    virtio_blk_slot *mine; /* the request's slot: its cookie */
} virtio_blk__rw;

/* The common request's ends other than OK, apart from the usual path: `r` and `cookie` as
   virtio_queue_add3 returned them. */
VIRTIO_BLK__OUT_OF_LINE static int virtio_blk__rw_end(virtio_blk *blk, const virtio_blk__rw *a,
                                                      int r, void *cookie) {
    uint32_t mine = blk->free_slot; /* unchanged by the core call */
    if (r == VIRTIO_OK && cookie == a->mine) {
        /* Ours first with a status other than OK: the slot is free again and still heads the
           free list, as if virtio_blk__busy and virtio_blk__free had run. */
        r = virtio_blk__verdict(blk, &blk->reqs[mine]);
        if (r != VIRTIO_EDEVICE) return r;
        return virtio_blk__finish(blk, mine, r, cookie);
    }
    if (r == VIRTIO_ECONFIG) { /* nothing added: the general path, new capacity */
        r = virtio_blk__reread_capacity(blk);
        if (r) return r;
    } else if (r != VIRTIO_ENOSPC && r != VIRTIO_EINVAL && r != VIRTIO_ESTATE) {
        return virtio_blk__finish(blk, mine, r, cookie);
    } /* else nothing added (the object was usable: no latched error) */
    return virtio_blk__io_any(blk, a->type, a->sector, (char *)(uintptr_t)a->segs[1].addr,
                              a->segs[1].len);
}

/* The common request (virtio_blk__common said yes; its segment of data and its sector and type
   in `a`) on a usable object: header, add (after the resize check), publication and the wait
   in one core call. Apart from virtio_blk__io and given only `a`, so that across the core's
   calls it keeps two registers. */
VIRTIO_BLK__OUT_OF_LINE static int virtio_blk__rw_run(virtio_blk *blk, virtio_blk__rw *a) {
    void *cookie = 0;
    uint32_t i;
    int r;
    if (virtio_queue_usable(&blk->queue)) return virtio_blk__unusable(blk); /* why, in order */
    i = blk->free_slot;
    a->mine = &blk->slots[i];
    a->segs[2].addr = &virtio_blk__header(blk, i, a->type, a->sector, a->segs)->status;
    a->segs[2].len = 1;
    r = virtio_queue_add3(&blk->queue, a->segs,
                          (a->type == VIRTIO_BLK_T_OUT ? VIRTIO_ADD3_OUT : 0u) | VIRTIO_ADD3_WAIT |
                              VIRTIO_BLK__LOOK(blk),
                          a->mine, &cookie);
    /* Ours first with status OK (the usual case): the slot is free again and still heads the
       free list, as if virtio_blk__busy and virtio_blk__free had run. The status byte through
       its segment, which the core only read. */
    if (r == VIRTIO_OK && cookie == a->mine &&
        *(const volatile uint8_t *)a->segs[2].addr == VIRTIO_BLK_S_OK)
        return VIRTIO_OK;
    return virtio_blk__rw_end(blk, a, r, cookie);
}
#endif

/* A blocking read or write by the general path: the object's checks, then the request's. */
VIRTIO_BLK__OUT_OF_LINE static int virtio_blk__io_general(virtio_blk *blk, uint64_t sector,
                                                          char *buf, size_t len, uint32_t type) {
    int r = virtio_blk__usable(blk);
    if (r) return r;
    return virtio_blk__io_any(blk, type, sector, buf, len);
}

/* A blocking read or write (the type last: the public calls pass their arguments on as they
   came). */
static int virtio_blk__io(virtio_blk *blk, uint64_t sector, char *buf, size_t len, uint32_t type) {
    if (!blk) return VIRTIO_EINVAL;
#ifndef VIRTIO_BLK_MINIMAL
    /* The common request, checked against what the object knows (which reads but changes
       nothing). */
    if (virtio_blk__common(blk, type, sector, buf, len)) {
        virtio_blk__rw a;
        a.segs[1].addr = buf;
        a.segs[1].len = (uint32_t)len;
        a.sector = sector;
        a.type = type;
        return virtio_blk__rw_run(blk, &a);
    }
#endif
    return virtio_blk__io_general(blk, sector, buf, len, type);
}

VIRTIO_DEF int virtio_blk_read(virtio_blk *blk, uint64_t sector, void *buf, size_t len) {
    return virtio_blk__io(blk, sector, (char *)buf, len, VIRTIO_BLK_T_IN);
}

VIRTIO_DEF int virtio_blk_write(virtio_blk *blk, uint64_t sector, const void *buf, size_t len) {
    /* The device only reads the buffer of a write; the cast serves the shared request code. */
    return virtio_blk__io(blk, sector, (char *)(uintptr_t)buf, len, VIRTIO_BLK_T_OUT);
}

VIRTIO_DEF int virtio_blk_flush(virtio_blk *blk) {
    uint64_t n;
    int r = virtio_blk__start(blk, VIRTIO_BLK_T_FLUSH, 0, 0, 0, &n);
    return r ? r : virtio_blk__run(blk, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0);
}

VIRTIO_DEF int virtio_blk_get_id(virtio_blk *blk, char id[VIRTIO_BLK_ID_BYTES]) {
#ifdef VIRTIO_BLK_MINIMAL
    (void)blk, (void)id;
    return VIRTIO_ENOTSUP;
#else
    uint64_t n;
    int r = virtio_blk__start(blk, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES, &n);
    return r ? r : virtio_blk__run(blk, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES, 0);
#endif
}

#ifdef VIRTIO_BLK_MINIMAL
VIRTIO_DEF int virtio_blk_discard(virtio_blk *blk, uint64_t sector, uint64_t count) {
    (void)blk, (void)sector, (void)count;
    return VIRTIO_ENOTSUP;
}
VIRTIO_DEF int virtio_blk_write_zeroes(virtio_blk *blk, uint64_t sector, uint64_t count,
                                       int unmap) {
    (void)blk, (void)sector, (void)count, (void)unmap;
    return VIRTIO_ENOTSUP;
}
VIRTIO_DEF int virtio_blk_set_writeback(virtio_blk *blk, int writeback) {
    (void)blk, (void)writeback;
    return VIRTIO_ENOTSUP;
}
#else
static int virtio_blk__dwz(virtio_blk *blk, uint32_t type, uint64_t sector, uint64_t count,
                           int unmap) {
    uint64_t n;
    int r = virtio_blk__start(blk, type, sector, 0, count, &n);
    if (r == VIRTIO_OK) r = virtio_blk__more(blk); /* the limits */
    if (r == VIRTIO_OK) r = virtio_blk__dwz_segs_ok(blk, type);
    if (r) return r;
    /* flags.unmap lets the device deallocate, "provided that following reads return zeroes";
       only ask when the device says it may. */
    return virtio_blk__run_split(blk, type, sector, 0, n, virtio_blk__dwz_max(blk, type),
                                 (unmap && blk->info.write_zeroes_may_unmap) ? 1u : 0u);
}

VIRTIO_DEF int virtio_blk_discard(virtio_blk *blk, uint64_t sector, uint64_t count) {
    return virtio_blk__dwz(blk, VIRTIO_BLK_T_DISCARD, sector, count, 0);
}

VIRTIO_DEF int virtio_blk_write_zeroes(virtio_blk *blk, uint64_t sector, uint64_t count,
                                       int unmap) {
    return virtio_blk__dwz(blk, VIRTIO_BLK_T_WRITE_ZEROES, sector, count, unmap);
}

VIRTIO_DEF int virtio_blk_set_writeback(virtio_blk *blk, int writeback) {
    int r;
    if (!blk) return VIRTIO_EINVAL;
    r = virtio_blk__usable(blk);
    if (r) return r;
    /* Refused before the configuration the first call reads (nothing changes then). */
    if (!virtio_dev_has(&blk->dev, VIRTIO_BLK_F_CONFIG_WCE)) return VIRTIO_ENOTSUP;
    r = virtio_blk__more(blk);
    if (r) return r;
    virtio_config_write8(&blk->dev, VIRTIO_BLK_CFG_WRITEBACK, (uint8_t)(writeback ? 1 : 0));
    blk->info.writeback = virtio_config_read8(&blk->dev, VIRTIO_BLK_CFG_WRITEBACK);
    return blk->info.writeback == (writeback ? 1 : 0) ? VIRTIO_OK : VIRTIO_EIO;
}
#endif

#undef VIRTIO_BLK__WANTED
#undef VIRTIO_BLK__MAX_SECTORS
#undef VIRTIO_BLK__MAX_REQUESTS
#undef VIRTIO_BLK__BIG_ENDIAN
#undef VIRTIO_BLK__O32
#undef VIRTIO_BLK__O64
#undef VIRTIO_BLK__IN_LINE
#undef VIRTIO_BLK__OUT_OF_LINE
#undef VIRTIO_BLK__ADD_WAIT
#undef VIRTIO_BLK__STATUS_UNSET
#endif /* VIRTIO_BLK_IMPLEMENTATION */

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
