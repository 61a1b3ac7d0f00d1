/* sim_blk.h - a simulated virtio-blk device (a RAM disk) for the host tests of virtio_blk.h, a
   custom backend of the simulator (tests/sim.h, "Extra backends").

   Written from the spec's "Device Types / Block Device", with QEMU's habits:
   - configuration: QEMU-like (capacity, seg_max = queue size - 2, geometry, blk_size 512 with
     4 KiB physical blocks, topology, writeback, discard and write-zeroes limits); only
     `writeback` may be written, and only with VIRTIO_BLK_F_CONFIG_WCE;
   - requests: IN, OUT, FLUSH, GET_ID (the serial), DISCARD, WRITE_ZEROES; others get UNSUPP;
     a request that is not whole logical blocks gets IOERR (QEMU enforces blk_size); a write
     to a read-only drive (`blk_ro`) gets IOERR and writes nothing; `blk_fail_count` requests
     fail with `blk_fail_status`; the used length is the whole writable length (QEMU).
   Driver rules it checks (each breach is a simulator violation): the header and status shape,
   data lengths in whole sectors within the capacity, size_max and seg_max when negotiated, the
   legacy framing without ANY_LAYOUT, flush only with VIRTIO_BLK_F_FLUSH and sector 0,
   discard / write-zeroes only when negotiated, within their limits, discard without unmap.

   Its state lives in `struct sim` (disk, capacity, blk_*) and each request in the chain's
   `sim_log` (type, sector, data_len, ...), where the tests read it. */
#ifndef SIM_BLK_H
#define SIM_BLK_H

#include "sim.h"

/* ---- virtio-blk, from "Device Types / Block Device" --------------------------------------- */
#define SIM_BLK_F_SIZE_MAX     1
#define SIM_BLK_F_SEG_MAX      2
#define SIM_BLK_F_GEOMETRY     4
#define SIM_BLK_F_RO           5
#define SIM_BLK_F_BLK_SIZE     6
#define SIM_BLK_F_FLUSH        9
#define SIM_BLK_F_TOPOLOGY     10
#define SIM_BLK_F_CONFIG_WCE   11
#define SIM_BLK_F_MQ           12
#define SIM_BLK_F_DISCARD      13
#define SIM_BLK_F_WRITE_ZEROES 14
#define SIM_BLK_F_LIFETIME     15
#define SIM_BLK_F_SECURE_ERASE 16
#define SIM_BLK_T_IN           0
#define SIM_BLK_T_OUT          1
#define SIM_BLK_T_FLUSH        4
#define SIM_BLK_T_GET_ID       8
#define SIM_BLK_T_DISCARD      11
#define SIM_BLK_T_WRITE_ZEROES 13
#define SIM_BLK_S_OK           0
#define SIM_BLK_S_IOERR        1
#define SIM_BLK_S_UNSUPP       2

/* struct virtio_blk_config as the spec prints it (little-endian fields on the x86 host). */
struct sim_blk_config {
    uint64_t capacity;
    uint32_t size_max;
    uint32_t seg_max;
    uint16_t cylinders;
    uint8_t heads;
    uint8_t sectors;
    uint32_t blk_size;
    uint8_t physical_block_exp;
    uint8_t alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    uint8_t writeback;
    uint8_t unused0;
    uint16_t num_queues;
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t discard_sector_alignment;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t unused1[3];
    uint32_t max_secure_erase_sectors;
    uint32_t max_secure_erase_seg;
    uint32_t secure_erase_sector_alignment;
};

/* A RAM disk of `capacity` sectors (malloc'ed, patterned with sim_disk_pattern; sim_destroy
   frees it); QEMU-like config and features: SEG_MAX, GEOMETRY, BLK_SIZE, FLUSH, TOPOLOGY,
   CONFIG_WCE, DISCARD, WRITE_ZEROES, plus the ring features. Returns 0, or -1 if malloc
   failed. */
int sim_init_blk(sim *s, sim_arena *a, uint32_t version, uint64_t capacity);

/* The byte the RAM disk holds at `byte` offset after init. */
uint8_t sim_disk_pattern(uint64_t byte);

#endif /* SIM_BLK_H */
