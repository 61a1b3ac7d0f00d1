/* virtio_blk.h - v0.1.0 - polled VirtIO block device driver, on virtio.h
   MIT licensed, see the end of the file.

QUICK START

       #define VIRTIO_IMPLEMENTATION
       #include "virtio.h"
       #define VIRTIO_BLK_IMPLEMENTATION
       #include "virtio_blk.h"

       static uint8_t qmem[VIRTIO_QUEUE_MEM(64)] __attribute__((aligned(4096)));
       static uint8_t rmem[VIRTIO_BLK_REQ_MEM(16)] __attribute__((aligned(16)));
       static uint8_t buf[4096];

       virtio_regs regs = virtio_mmio_regs((void *)0x10008000);
       virtio_blk blk;
       int r = virtio_blk_init(&blk, &regs, qmem, sizeof qmem, 64, rmem, sizeof rmem);
       if (r == 0) r = virtio_blk_read(&blk, 0, buf, sizeof buf);          // sectors 0..7
       if (r == 0) r = virtio_blk_write(&blk, 8, buf, sizeof buf);         // VIRTIO_EROFS if RO
       if (r != 0) print(virtio_result_str(r));

DOES NOT
   allocate, take interrupts, use more than one request queue (VIRTIO_BLK_F_MQ), zoned
   commands, secure erase or lifetime queries. It does not negotiate indirect descriptors: a
   request takes 2 + segments descriptors of the queue.

MEMORY
   virtio_blk object (caller's, do not move after init); queue memory as in virtio.h
   (VIRTIO_QUEUE_MEM(size), aligned 4096 for legacy devices, 16 for modern); request memory
   VIRTIO_BLK_REQ_MEM(n) bytes aligned to 8 for n requests in flight (headers and status bytes
   the device reads and writes). Data buffers: any address, contiguous for the device, a whole
   number of logical blocks (virtio_blk_block_size: 512 bytes unless the device says more).

ERRORS
   As virtio.h, plus: VIRTIO_EROFS for a write, discard or write-zeroes on a read-only disk,
   VIRTIO_ERANGE for a range past the capacity, VIRTIO_EINVAL for a start or length that is not
   a whole number of logical blocks, VIRTIO_ENOTSUP for flush/discard/write-zeroes the device
   did not offer, VIRTIO_ENOSPC from a blocking call when every request slot is taken by
   finished non-blocking requests not yet collected with virtio_blk_poll,
   VIRTIO_EIO and VIRTIO_EUNSUPP for the device's status byte. Nothing is sent on a caller error.

CONCURRENCY
   One caller per virtio_blk. Blocking and non-blocking calls mix: a blocking call keeps the
   completions of other requests for virtio_blk_poll.

SPEC
   virtio 1.4 "Device Types / Block Device": feature bits, device configuration layout, device
   initialization, device operation (read, write, flush, get ID, discard, write zeroes).
*/

#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#ifndef VIRTIO_H
#error "include virtio.h before virtio_blk.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Feature bits: "Block Device / Feature bits" ---------------------------------------------- */
#define VIRTIO_BLK_F_BARRIER 0 /* legacy */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_SCSI 7 /* legacy */
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14
#define VIRTIO_BLK_F_LIFETIME 15
#define VIRTIO_BLK_F_SECURE_ERASE 16
#define VIRTIO_BLK_F_ZONED 17

/* ---- Configuration layout: struct virtio_blk_config, byte offsets ----------------------------- */
#define VIRTIO_BLK_CFG_CAPACITY 0                   /* le64, 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX 8                   /* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX 12                   /* le32 */
#define VIRTIO_BLK_CFG_GEOMETRY_CYLINDERS 16        /* le16 */
#define VIRTIO_BLK_CFG_GEOMETRY_HEADS 18            /* u8 */
#define VIRTIO_BLK_CFG_GEOMETRY_SECTORS 19          /* u8 */
#define VIRTIO_BLK_CFG_BLK_SIZE 20                  /* le32 */
#define VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP 24        /* u8 */
#define VIRTIO_BLK_CFG_ALIGNMENT_OFFSET 25          /* u8 */
#define VIRTIO_BLK_CFG_MIN_IO_SIZE 26               /* le16 */
#define VIRTIO_BLK_CFG_OPT_IO_SIZE 28               /* le32 */
#define VIRTIO_BLK_CFG_WRITEBACK 32                 /* u8 */
#define VIRTIO_BLK_CFG_NUM_QUEUES 34                /* le16 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 36       /* le32 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG 40           /* le32 */
#define VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT 44  /* le32 */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS 48  /* le32 */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG 52      /* le32 */
#define VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP 56    /* u8 */

/* ---- Requests: "Block Device / Device Operation" ---------------------------------------------- */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_GET_LIFETIME 10
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_T_SECURE_ERASE 14
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_SECTOR_SIZE 512u
#define VIRTIO_BLK_ID_BYTES 20u /* GET_ID: NUL-padded, no NUL when 20 long */

/* One request slot in the caller's request memory. The first 33 bytes are shared with the
   device: the header (struct virtio_blk_req without data), one discard/write-zeroes segment
   (struct virtio_blk_discard_write_zeroes) and the status byte. The rest is the driver's. */
typedef struct virtio_blk_req {
    uint32_t type;        /* le32 virtio_blk_req.type: VIRTIO_BLK_T_* */
    uint32_t reserved;    /* le32 */
    uint64_t sector;      /* le64 */
    uint64_t dwz_sector;  /* le64 virtio_blk_discard_write_zeroes.sector */
    uint32_t dwz_sectors; /* le32 .num_sectors */
    uint32_t dwz_flags;   /* le32 .flags: bit 0 unmap */
    uint8_t status;       /* u8 virtio_blk_req.status, written by the device */
    uint8_t state;        /* driver: free, in flight, done */
    uint16_t id;          /* driver: slot number */
    int32_t result;       /* driver: outcome once done */
    uint32_t wlen;        /* driver: bytes the device must write (data + status) */
    uint32_t pad;
} virtio_blk_req;
#define VIRTIO_BLK_REQ_MEM(n) ((size_t)(n) * sizeof(virtio_blk_req))

/* What the device's configuration said, read once at init (in CPU order). */
typedef struct virtio_blk_info {
    uint64_t capacity;          /* 512-byte sectors */
    uint32_t blk_size;          /* logical block size, bytes (512 when not offered) */
    uint32_t size_max;          /* largest segment in bytes (0 = not offered: no limit) */
    uint32_t seg_max;           /* most data segments in a request (0 = no limit) */
    uint16_t cylinders;         /* geometry, 0 when not offered */
    uint8_t heads, sectors;
    uint8_t physical_block_exp; /* topology, 0 when not offered */
    uint8_t alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    uint32_t max_discard_sectors, max_discard_seg, discard_sector_alignment;
    uint32_t max_write_zeroes_sectors, max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t writeback;          /* cache mode: 1 writeback, 0 writethrough */
    uint8_t read_only;
    uint8_t pad;
} virtio_blk_info;

typedef struct virtio_blk {
    virtio_dev dev;
    virtio_queue queue;
    virtio_blk_info info;
    virtio_blk_req *reqs;    /* caller's request memory */
    uint16_t nreqs;          /* slots in it */
    uint16_t ndone;          /* slots completed but not yet returned by virtio_blk_poll */
    uint32_t max_sectors;    /* largest single request, in sectors */
    uint32_t max_segs;       /* data segments per request */
    uint32_t seg_bytes;      /* bytes per data segment (a multiple of 512) */
} virtio_blk;

/* Initializes the block device behind `regs`: the spec's initialization sequence, feature
   negotiation (what this driver implements), request queue 0 of `queue_size` entries (clamped to
   the device's maximum) in queue_mem, `req_mem` for up to req_mem_size/sizeof(virtio_blk_req)
   requests in flight (at least one). VIRTIO_ENODEV if the device is not a block device. */
VIRTIO_API int virtio_blk_init(virtio_blk *blk, const virtio_regs *regs, void *queue_mem,
                               size_t queue_mem_size, uint32_t queue_size, void *req_mem,
                               size_t req_mem_size);

/* Queries (valid after a successful init). */
VIRTIO_API uint64_t virtio_blk_capacity(const virtio_blk *blk);   /* 512-byte sectors */
VIRTIO_API uint32_t virtio_blk_block_size(const virtio_blk *blk); /* logical block, bytes */
VIRTIO_API int virtio_blk_read_only(const virtio_blk *blk);
VIRTIO_API int virtio_blk_can_flush(const virtio_blk *blk);
VIRTIO_API uint32_t virtio_blk_max_request(const virtio_blk *blk); /* sectors in one request */
VIRTIO_API const virtio_blk_info *virtio_blk_get_info(const virtio_blk *blk);

/* Blocking calls: each returns when the device has answered, or with an error. Reads and
   writes of any length (whole logical blocks) are split to the device's limits. When every
   request slot holds a finished non-blocking request not yet collected by virtio_blk_poll,
   they return VIRTIO_ENOSPC. */
VIRTIO_API int virtio_blk_read(virtio_blk *blk, uint64_t sector, void *buf, size_t len);
VIRTIO_API int virtio_blk_write(virtio_blk *blk, uint64_t sector, const void *buf, size_t len);
VIRTIO_API int virtio_blk_flush(virtio_blk *blk);
VIRTIO_API int virtio_blk_get_id(virtio_blk *blk, char id[VIRTIO_BLK_ID_BYTES]);
VIRTIO_API int virtio_blk_discard(virtio_blk *blk, uint64_t sector, uint64_t count);
VIRTIO_API int virtio_blk_write_zeroes(virtio_blk *blk, uint64_t sector, uint64_t count, int unmap);
/* Switches the write cache (VIRTIO_BLK_F_CONFIG_WCE): 1 writeback, 0 writethrough. */
VIRTIO_API int virtio_blk_set_writeback(virtio_blk *blk, int writeback);

/* Non-blocking calls. virtio_blk_submit queues one request; `*id` names it until
   virtio_blk_poll returns it. The device sees submitted requests at the next virtio_blk_poll,
   virtio_blk_kick or blocking call, so a batch of submits costs one notification at most.
   type: VIRTIO_BLK_T_IN, _OUT (buf, len: whole sectors, at most virtio_blk_max_request),
   _FLUSH (no buffer), _GET_ID (buf of 20 bytes), _DISCARD or _WRITE_ZEROES (no buffer; len is
   the sector count). VIRTIO_ENOSPC when every request slot or the queue is full: poll, retry. */
VIRTIO_API int virtio_blk_submit(virtio_blk *blk, uint32_t type, uint64_t sector, void *buf,
                                 size_t len, unsigned *id);
/* Lets the device see every request submitted so far (virtio_blk_poll does this too). */
VIRTIO_API int virtio_blk_kick(virtio_blk *blk);
/* Returns one finished request: its id and its outcome (0, VIRTIO_EIO, VIRTIO_EUNSUPP, ...).
   VIRTIO_EAGAIN if none has finished. */
VIRTIO_API int virtio_blk_poll(virtio_blk *blk, unsigned *id, int *result);
/* Requests submitted and not yet returned by virtio_blk_poll. */
VIRTIO_API uint32_t virtio_blk_in_flight(const virtio_blk *blk);

#ifdef __cplusplus
}
#endif

#endif /* VIRTIO_BLK_H */

/* ============================================================================================== */
/*                                        IMPLEMENTATION                                          */
/* ============================================================================================== */
#if defined(VIRTIO_BLK_IMPLEMENTATION) && !defined(VIRTIO_BLK__IMPL_DONE)
#define VIRTIO_BLK__IMPL_DONE

#ifdef VIRTIO_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define VIRTIO_BLK__DEF static __attribute__((unused)) /* a program may use only part of the API */
#else
#define VIRTIO_BLK__DEF static
#endif
#else
#define VIRTIO_BLK__DEF
#endif

/* Most data segments one request may use (they live on the stack while it is queued). */
#ifndef VIRTIO_BLK_MAX_SEGS
#define VIRTIO_BLK_MAX_SEGS 32u
#endif
/* Largest request we build, in sectors: keeps every length within 32 bits. */
#define VIRTIO_BLK__MAX_SECTORS (1u << 22)

#define VIRTIO_BLK__WANTED                                                                         \
    (VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |                        \
     VIRTIO_BIT(VIRTIO_BLK_F_GEOMETRY) | VIRTIO_BIT(VIRTIO_BLK_F_RO) |                             \
     VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |                          \
     VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY) | VIRTIO_BIT(VIRTIO_BLK_F_CONFIG_WCE) |                      \
     VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES) |                     \
     VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

enum { VIRTIO_BLK__FREE = 0, VIRTIO_BLK__BUSY, VIRTIO_BLK__DONE, VIRTIO_BLK__ORPHAN };
#define VIRTIO_BLK__STATUS_UNSET 0xffu /* what the status byte holds until the device writes it */

/* Reads the configuration (inside virtio_config_atomic, so the fields belong together). */
static int virtio_blk__read_config(virtio_dev *dev, void *ctx) {
    virtio_blk_info *in = (virtio_blk_info *)ctx;
    in->capacity = virtio_config_read64(dev, VIRTIO_BLK_CFG_CAPACITY);
    in->size_max = virtio_dev_has(dev, VIRTIO_BLK_F_SIZE_MAX)
                       ? virtio_config_read32(dev, VIRTIO_BLK_CFG_SIZE_MAX) : 0;
    in->seg_max = virtio_dev_has(dev, VIRTIO_BLK_F_SEG_MAX)
                      ? virtio_config_read32(dev, VIRTIO_BLK_CFG_SEG_MAX) : 0;
    if (virtio_dev_has(dev, VIRTIO_BLK_F_GEOMETRY)) {
        in->cylinders = virtio_config_read16(dev, VIRTIO_BLK_CFG_GEOMETRY_CYLINDERS);
        in->heads = virtio_config_read8(dev, VIRTIO_BLK_CFG_GEOMETRY_HEADS);
        in->sectors = virtio_config_read8(dev, VIRTIO_BLK_CFG_GEOMETRY_SECTORS);
    }
    in->blk_size = virtio_dev_has(dev, VIRTIO_BLK_F_BLK_SIZE)
                       ? virtio_config_read32(dev, VIRTIO_BLK_CFG_BLK_SIZE) : VIRTIO_BLK_SECTOR_SIZE;
    if (virtio_dev_has(dev, VIRTIO_BLK_F_TOPOLOGY)) {
        in->physical_block_exp = virtio_config_read8(dev, VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP);
        in->alignment_offset = virtio_config_read8(dev, VIRTIO_BLK_CFG_ALIGNMENT_OFFSET);
        in->min_io_size = virtio_config_read16(dev, VIRTIO_BLK_CFG_MIN_IO_SIZE);
        in->opt_io_size = virtio_config_read32(dev, VIRTIO_BLK_CFG_OPT_IO_SIZE);
    }
    /* Without CONFIG_WCE the cache mode is fixed: writeback exactly when FLUSH is offered
       ("Block Device / Device Initialization"). */
    in->writeback = virtio_dev_has(dev, VIRTIO_BLK_F_CONFIG_WCE)
                        ? virtio_config_read8(dev, VIRTIO_BLK_CFG_WRITEBACK)
                        : (uint8_t)virtio_dev_has(dev, VIRTIO_BLK_F_FLUSH);
    if (virtio_dev_has(dev, VIRTIO_BLK_F_DISCARD)) {
        in->max_discard_sectors = virtio_config_read32(dev, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS);
        in->max_discard_seg = virtio_config_read32(dev, VIRTIO_BLK_CFG_MAX_DISCARD_SEG);
        in->discard_sector_alignment =
            virtio_config_read32(dev, VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT);
    }
    if (virtio_dev_has(dev, VIRTIO_BLK_F_WRITE_ZEROES)) {
        in->max_write_zeroes_sectors =
            virtio_config_read32(dev, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS);
        in->max_write_zeroes_seg = virtio_config_read32(dev, VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG);
        in->write_zeroes_may_unmap = virtio_config_read8(dev, VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP);
    }
    in->read_only = (uint8_t)virtio_dev_has(dev, VIRTIO_BLK_F_RO);
    return VIRTIO_OK;
}

VIRTIO_BLK__DEF int virtio_blk_init(virtio_blk *blk, const virtio_regs *regs, void *queue_mem,
                                    size_t queue_mem_size, uint32_t queue_size, void *req_mem,
                                    size_t req_mem_size) {
    virtio_mmio_slot slot;
    size_t nreqs = req_mem_size / sizeof(virtio_blk_req), i;
    uint32_t qn, segs, seg_bytes;
    virtio_blk_info *in;
    int r;
    if (!blk || !regs || !regs->read32 || !queue_mem || !req_mem || nreqs == 0 || queue_size < 4 ||
        ((uintptr_t)req_mem & 7u) != 0)
        return VIRTIO_EINVAL;
    /* Check the queue memory against the transport version before touching the device: a
       caller error must change nothing. The scan only reads registers. */
    if (virtio_mmio_scan(regs, regs->user, 0, 1, &slot, 1) == 1 && (slot.version == 1 || slot.version == 2)) {
        size_t need = virtio_queue_mem_size(queue_size, slot.version);
        if (need == 0 || queue_mem_size < need ||
            ((uintptr_t)queue_mem & (virtio_queue_mem_align(slot.version) - 1u)) != 0)
            return VIRTIO_EINVAL;
    }
    virtio_zero(blk, sizeof *blk);
    if (nreqs > 0xffffu) nreqs = 0xffffu;
    blk->reqs = (virtio_blk_req *)req_mem;
    blk->nreqs = (uint16_t)nreqs;
    for (i = 0; i < nreqs; i++) {
        virtio_zero(&blk->reqs[i], sizeof blk->reqs[i]);
        blk->reqs[i].id = (uint16_t)i;
    }

    r = virtio_dev_init(&blk->dev, regs, VIRTIO_ID_BLOCK);
    if (r) return r;
    r = virtio_dev_negotiate(&blk->dev, VIRTIO_BLK__WANTED, 0);
    if (r) return r;
    in = &blk->info;
    r = virtio_config_atomic(&blk->dev, virtio_blk__read_config, in);
    if (r) return virtio_dev_fail(&blk->dev, r);
    /* The configuration is untrusted: a block size that is not a power of two from 512 up, or
       a segment smaller than a block, makes no sense and we refuse the device. */
    if (in->blk_size < VIRTIO_BLK_SECTOR_SIZE || in->blk_size > (1u << 20) ||
        (in->blk_size & (in->blk_size - 1u)) != 0 ||
        (virtio_dev_has(&blk->dev, VIRTIO_BLK_F_SIZE_MAX) && in->size_max < in->blk_size))
        return virtio_dev_fail(&blk->dev, VIRTIO_EDEVICE);

    r = virtio_queue_init(&blk->queue, &blk->dev, 0, queue_mem, queue_mem_size, queue_size);
    if (r) return virtio_dev_fail(&blk->dev, r);
    qn = blk->queue.size;
    if (qn < 4) return virtio_dev_fail(&blk->dev, VIRTIO_EDEVICE); /* no room for a data request */

    /* One request: header, data segments, status byte. seg_max 0 from a device means one. */
    segs = qn - 2u;
    if (in->seg_max != 0 && in->seg_max < segs) segs = in->seg_max;
    if (virtio_dev_has(&blk->dev, VIRTIO_BLK_F_SEG_MAX) && in->seg_max == 0) segs = 1;
    if (segs > VIRTIO_BLK_MAX_SEGS) segs = VIRTIO_BLK_MAX_SEGS;
    /* Segments and requests are whole logical blocks, so a split never cuts one. */
    seg_bytes = in->size_max ? in->size_max & ~(in->blk_size - 1u)
                             : VIRTIO_BLK__MAX_SECTORS * VIRTIO_BLK_SECTOR_SIZE;
    if (seg_bytes > VIRTIO_BLK__MAX_SECTORS * VIRTIO_BLK_SECTOR_SIZE)
        seg_bytes = VIRTIO_BLK__MAX_SECTORS * VIRTIO_BLK_SECTOR_SIZE;
    blk->max_segs = segs;
    blk->seg_bytes = seg_bytes;
    blk->max_sectors = (uint32_t)((uint64_t)segs * seg_bytes / VIRTIO_BLK_SECTOR_SIZE);
    if (blk->max_sectors > VIRTIO_BLK__MAX_SECTORS) blk->max_sectors = VIRTIO_BLK__MAX_SECTORS;
    return virtio_dev_ready(&blk->dev);
}

VIRTIO_BLK__DEF uint64_t virtio_blk_capacity(const virtio_blk *blk) { return blk ? blk->info.capacity : 0; }
VIRTIO_BLK__DEF uint32_t virtio_blk_block_size(const virtio_blk *blk) { return blk ? blk->info.blk_size : 0; }
VIRTIO_BLK__DEF int virtio_blk_read_only(const virtio_blk *blk) { return blk ? blk->info.read_only : 0; }
VIRTIO_BLK__DEF int virtio_blk_can_flush(const virtio_blk *blk) {
    return blk ? virtio_dev_has(&blk->dev, VIRTIO_BLK_F_FLUSH) : 0;
}
VIRTIO_BLK__DEF uint32_t virtio_blk_max_request(const virtio_blk *blk) { return blk ? blk->max_sectors : 0; }
VIRTIO_BLK__DEF const virtio_blk_info *virtio_blk_get_info(const virtio_blk *blk) {
    return blk ? &blk->info : 0;
}
VIRTIO_BLK__DEF uint32_t virtio_blk_in_flight(const virtio_blk *blk) {
    uint32_t i, n = 0;
    if (!blk) return 0;
    for (i = 0; i < blk->nreqs; i++) n += blk->reqs[i].state == VIRTIO_BLK__BUSY || blk->reqs[i].state == VIRTIO_BLK__DONE;
    return n;
}

/* Checks a request against the device before anything is sent. For DISCARD and WRITE_ZEROES
   `len` is a sector count; for IN and OUT a byte length. */
static int virtio_blk__check(const virtio_blk *blk, uint32_t type, uint64_t sector, const void *buf,
                             uint64_t len, uint64_t *sectors) {
    uint64_t n = 0, cap = blk->info.capacity;
    switch (type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        if (!buf || len == 0 || len % VIRTIO_BLK_SECTOR_SIZE) return VIRTIO_EINVAL;
        n = len / VIRTIO_BLK_SECTOR_SIZE;
        if (type == VIRTIO_BLK_T_OUT && blk->info.read_only) return VIRTIO_EROFS;
        break;
    case VIRTIO_BLK_T_FLUSH:
        return virtio_dev_has(&blk->dev, VIRTIO_BLK_F_FLUSH) ? VIRTIO_OK : VIRTIO_ENOTSUP;
    case VIRTIO_BLK_T_GET_ID:
        return (buf && len >= VIRTIO_BLK_ID_BYTES) ? VIRTIO_OK : VIRTIO_EINVAL;
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
    if (sector > cap || n > cap - sector) return VIRTIO_ERANGE;
    /* Devices (QEMU among them) fail requests that are not whole logical blocks with IOERR;
       refuse them here instead, with nothing sent. */
    if (((sector | n) & (blk->info.blk_size / VIRTIO_BLK_SECTOR_SIZE - 1u)) != 0) return VIRTIO_EINVAL;
    *sectors = n;
    return VIRTIO_OK;
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

/* Queues one request that fits the device's limits (already checked). The device sees it at
   the next kick. */
static int virtio_blk__queue(virtio_blk *blk, uint32_t type, uint64_t sector, void *buf, uint64_t len,
                             uint32_t flags, virtio_blk_req **out) {
    virtio_seg segs[VIRTIO_BLK_MAX_SEGS + 2u];
    virtio_dev *dev = &blk->dev;
    virtio_blk_req *rq = 0;
    unsigned n_out = 1, n_in, k, data = 0;
    uint32_t i;
    int r;
    for (i = 0; i < blk->nreqs; i++) {
        if (blk->reqs[i].state == VIRTIO_BLK__FREE) {
            rq = &blk->reqs[i];
            break;
        }
    }
    if (!rq) return VIRTIO_ENOSPC;
    /* struct virtio_blk_req: the header the device reads, then data, then the status byte. */
    rq->type = virtio_dev_order32(dev, type);
    rq->reserved = 0;
    rq->sector = virtio_dev_order64(dev, (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT) ? sector : 0);
    rq->status = VIRTIO_BLK__STATUS_UNSET;
    segs[0].addr = rq;
    segs[0].len = 16;
    if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES) {
        /* One struct virtio_blk_discard_write_zeroes segment. */
        rq->dwz_sector = virtio_dev_order64(dev, sector);
        rq->dwz_sectors = virtio_dev_order32(dev, (uint32_t)len);
        rq->dwz_flags = virtio_dev_order32(dev, flags);
        segs[1].addr = &rq->dwz_sector;
        segs[1].len = 16;
        n_out = 2;
    } else if (type == VIRTIO_BLK_T_GET_ID) {
        /* The spec calls the ID NUL-padded, but QEMU writes only the string and one NUL:
           clear the buffer so the caller never sees what it held before. */
        virtio_zero(buf, VIRTIO_BLK_ID_BYTES);
        data = 1;
        segs[1].addr = buf;
        segs[1].len = VIRTIO_BLK_ID_BYTES;
    } else if (type != VIRTIO_BLK_T_FLUSH) {
        uint64_t off = 0;
        while (off < len) {
            uint64_t chunk = len - off < blk->seg_bytes ? len - off : blk->seg_bytes;
            segs[1u + data].addr = (char *)buf + off;
            segs[1u + data].len = (uint32_t)chunk;
            data++;
            off += chunk;
        }
        if (type == VIRTIO_BLK_T_OUT) n_out += data, data = 0;
    }
    k = n_out + data;
    segs[k].addr = &rq->status;
    segs[k].len = 1;
    n_in = data + 1u;
    r = virtio_queue_add(&blk->queue, segs, n_out, n_in, rq);
    if (r) return r;
    rq->state = VIRTIO_BLK__BUSY;
    rq->result = 0;
    *out = rq;
    return VIRTIO_OK;
}

/* The device's verdict on a finished request, from the status byte it wrote. */
static int virtio_blk__finish(virtio_blk *blk, virtio_blk_req *rq) {
    uint8_t st = *(volatile uint8_t *)&rq->status;
    switch (st) {
    case VIRTIO_BLK_S_OK: return VIRTIO_OK;
    case VIRTIO_BLK_S_IOERR: return VIRTIO_EIO;
    case VIRTIO_BLK_S_UNSUPP: return VIRTIO_EUNSUPP;
    default: return virtio_dev_fail(&blk->dev, VIRTIO_EDEVICE); /* not a status: broken */
    }
}

/* Records a completion in its slot. */
static virtio_blk_req *virtio_blk__complete(virtio_blk *blk, void *cookie) {
    virtio_blk_req *rq = (virtio_blk_req *)cookie; /* our own pointer, from the driver's shadow */
    rq->result = virtio_blk__finish(blk, rq);
    if (rq->state == VIRTIO_BLK__ORPHAN) {
        rq->state = VIRTIO_BLK__FREE; /* its blocking caller gave up waiting */
    } else {
        rq->state = VIRTIO_BLK__DONE;
        blk->ndone++;
    }
    return rq;
}

VIRTIO_BLK__DEF int virtio_blk_submit(virtio_blk *blk, uint32_t type, uint64_t sector, void *buf,
                                      size_t len, unsigned *id) {
    uint64_t n;
    virtio_blk_req *rq;
    int r;
    if (!blk || !id || !blk->reqs) return VIRTIO_EINVAL;
    r = virtio_blk__check(blk, type, sector, buf, len, &n);
    if (r) return r;
    if ((type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT) && n > blk->max_sectors) return VIRTIO_EINVAL;
    if ((type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES) &&
        n > virtio_blk__dwz_max(blk, type))
        return VIRTIO_EINVAL;
    r = virtio_blk__queue(blk, type, sector, buf, len, 0, &rq);
    if (r) return r;
    *id = rq->id;
    return VIRTIO_OK;
}

VIRTIO_BLK__DEF int virtio_blk_kick(virtio_blk *blk) {
    if (!blk || !blk->reqs) return VIRTIO_EINVAL;
    return virtio_queue_kick(&blk->queue);
}

VIRTIO_BLK__DEF int virtio_blk_poll(virtio_blk *blk, unsigned *id, int *result) {
    virtio_blk_req *rq;
    void *cookie;
    uint32_t i;
    int r;
    if (!blk || !blk->reqs) return VIRTIO_EINVAL;
    /* Publish what was submitted since the last poll: one notification for the whole batch. */
    r = virtio_queue_kick(&blk->queue);
    if (r) return r;
    for (;;) {
        if (blk->ndone) {
            for (i = 0; i < blk->nreqs; i++) {
                rq = &blk->reqs[i];
                if (rq->state != VIRTIO_BLK__DONE) continue;
                rq->state = VIRTIO_BLK__FREE;
                blk->ndone--;
                if (id) *id = rq->id;
                if (result) *result = rq->result;
                return VIRTIO_OK;
            }
        }
        /* Each pass either returns or takes one completion: bounded by what is in flight. */
        r = virtio_queue_poll(&blk->queue, &cookie, 0);
        if (r) return r;
        virtio_blk__complete(blk, cookie);
    }
}

/* Sends one request (already checked, within the limits) and waits for it. Completions of
   other requests that arrive meanwhile stay DONE for virtio_blk_poll. Every wait is bounded:
   each virtio_queue_wait either times out or takes one of a finite number of completions. */
static int virtio_blk__run(virtio_blk *blk, uint32_t type, uint64_t sector, void *buf, uint64_t len,
                           uint32_t flags) {
    virtio_blk_req *mine = 0, *rq;
    void *cookie;
    int r;
    for (;;) {
        r = virtio_blk__queue(blk, type, sector, buf, len, flags, &mine);
        if (r == VIRTIO_OK) r = virtio_queue_kick(&blk->queue);
        if (r != VIRTIO_ENOSPC) break;
        /* Every slot or descriptor is taken by non-blocking requests: wait for one to end. */
        if (virtio_blk_in_flight(blk) == blk->ndone) return VIRTIO_ENOSPC;
        r = virtio_queue_kick(&blk->queue);
        if (r == VIRTIO_OK) r = virtio_queue_wait(&blk->queue, &cookie, 0);
        if (r) return r;
        virtio_blk__complete(blk, cookie);
    }
    if (r) return r;
    for (;;) {
        r = virtio_queue_wait(&blk->queue, &cookie, 0);
        if (r) {
            /* Still the device's: free its slot when (if) it ever comes back. */
            mine->state = VIRTIO_BLK__ORPHAN;
            return r;
        }
        rq = virtio_blk__complete(blk, cookie);
        if (rq == mine) {
            rq->state = VIRTIO_BLK__FREE;
            blk->ndone--;
            return rq->result;
        }
    }
}

/* Splits [sector, sector + count) into requests of at most `max` sectors and runs each. */
static int virtio_blk__run_split(virtio_blk *blk, uint32_t type, uint64_t sector, char *buf,
                                 uint64_t count, uint64_t max, uint32_t flags) {
    int is_io = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT;
    while (count) {
        uint64_t n = count < max ? count : max;
        int r = virtio_blk__run(blk, type, sector, buf, is_io ? n * VIRTIO_BLK_SECTOR_SIZE : n, flags);
        if (r) return r;
        sector += n;
        count -= n;
        if (is_io) buf += n * VIRTIO_BLK_SECTOR_SIZE;
    }
    return VIRTIO_OK;
}

static int virtio_blk__ready(const virtio_blk *blk) {
    if (!blk || !blk->reqs) return VIRTIO_EINVAL;
    if (blk->queue.error) return blk->queue.error;
    return blk->dev.error;
}

VIRTIO_BLK__DEF int virtio_blk_read(virtio_blk *blk, uint64_t sector, void *buf, size_t len) {
    uint64_t n;
    int r = virtio_blk__ready(blk);
    if (!r) r = virtio_blk__check(blk, VIRTIO_BLK_T_IN, sector, buf, len, &n);
    if (r) return r;
    return virtio_blk__run_split(blk, VIRTIO_BLK_T_IN, sector, (char *)buf, n, blk->max_sectors, 0);
}

VIRTIO_BLK__DEF int virtio_blk_write(virtio_blk *blk, uint64_t sector, const void *buf, size_t len) {
    uint64_t n;
    int r = virtio_blk__ready(blk);
    if (!r) r = virtio_blk__check(blk, VIRTIO_BLK_T_OUT, sector, buf, len, &n);
    if (r) return r;
    /* The device only reads the buffer of a write; the cast serves the shared request code. */
    return virtio_blk__run_split(blk, VIRTIO_BLK_T_OUT, sector, (char *)(uintptr_t)buf, n,
                                 blk->max_sectors, 0);
}

VIRTIO_BLK__DEF int virtio_blk_flush(virtio_blk *blk) {
    uint64_t n;
    int r = virtio_blk__ready(blk);
    if (!r) r = virtio_blk__check(blk, VIRTIO_BLK_T_FLUSH, 0, 0, 0, &n);
    if (r) return r;
    return virtio_blk__run(blk, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0);
}

VIRTIO_BLK__DEF int virtio_blk_get_id(virtio_blk *blk, char id[VIRTIO_BLK_ID_BYTES]) {
    uint64_t n;
    int r = virtio_blk__ready(blk);
    if (!r) r = virtio_blk__check(blk, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES, &n);
    if (r) return r;
    return virtio_blk__run(blk, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES, 0);
}

static int virtio_blk__dwz(virtio_blk *blk, uint32_t type, uint64_t sector, uint64_t count,
                           uint32_t flags) {
    uint64_t n;
    int r = virtio_blk__ready(blk);
    if (!r) r = virtio_blk__check(blk, type, sector, 0, count, &n);
    if (r) return r;
    return virtio_blk__run_split(blk, type, sector, 0, n, virtio_blk__dwz_max(blk, type), flags);
}

VIRTIO_BLK__DEF int virtio_blk_discard(virtio_blk *blk, uint64_t sector, uint64_t count) {
    return virtio_blk__dwz(blk, VIRTIO_BLK_T_DISCARD, sector, count, 0);
}

VIRTIO_BLK__DEF int virtio_blk_write_zeroes(virtio_blk *blk, uint64_t sector, uint64_t count, int unmap) {
    /* flags.unmap lets the device deallocate, "provided that following reads return zeroes";
       only ask when the device says it may. */
    uint32_t flags = (unmap && blk && blk->info.write_zeroes_may_unmap) ? 1u : 0u;
    return virtio_blk__dwz(blk, VIRTIO_BLK_T_WRITE_ZEROES, sector, count, flags);
}

VIRTIO_BLK__DEF int virtio_blk_set_writeback(virtio_blk *blk, int writeback) {
    int r = virtio_blk__ready(blk);
    if (r) return r;
    if (!virtio_dev_has(&blk->dev, VIRTIO_BLK_F_CONFIG_WCE)) return VIRTIO_ENOTSUP;
    virtio_config_write8(&blk->dev, VIRTIO_BLK_CFG_WRITEBACK, (uint8_t)(writeback ? 1 : 0));
    blk->info.writeback = virtio_config_read8(&blk->dev, VIRTIO_BLK_CFG_WRITEBACK);
    return blk->info.writeback == (writeback ? 1 : 0) ? VIRTIO_OK : VIRTIO_EIO;
}

#undef VIRTIO_BLK__DEF
#undef VIRTIO_BLK__WANTED
#undef VIRTIO_BLK__MAX_SECTORS
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
