/* sim.h - a simulated virtio device for the host tests of virtio.h

   The simulator sits behind the library's register accessor (virtio_regs): regs.user points at
   a `sim`, and every register access, DMA translation and poll-loop relax goes through the
   functions below. Or, with sim_transport, behind a transport of its own that skips the
   registers: the same device reached through the core's transport interface directly. It
   implements:
   - the virtio-mmio register file, version 2 (modern) and version 1 (legacy), from the spec's
     tables in "Virtio Transport Options / Virtio Over MMIO", with its own register numbers
     (SIM_REG_*) so the library's constants are checked against an independent copy;
   - the device side of the split virtqueue ("Virtqueues / Split Virtqueues"), legacy layout
     from QueuePFN * GuestPageSize, QueueNum and QueueAlign, modern from the three addresses,
     with VIRTIO_F_EVENT_IDX and VIRTQ_USED_F_NO_NOTIFY;
   - the device side of the packed virtqueue ("Packed Virtqueues") when the driver accepts
     VIRTIO_F_RING_PACKED (offered only if a test sets it in dev_features): wrap counters,
     buffer ids, chains, both event suppression areas (with EVENT_IDX: off_wrap);
   - indirect descriptor tables of both formats (VIRTIO_F_INDIRECT_DESC, offered by default as
     QEMU does), flattened into the chain a backend sees;
   - an "echo" test device that copies what it reads into what it may write (for core tests
     of arbitrary chains); every real device type is a backend in a file of its own
     (tests/sim_<device>.c: blk, rng, net, console; see "Extra backends");
   - misbehaviours switched on by the test (struct sim fields below).

   Guest memory is one arena the test allocates (sim_arena); the dma hook maps a host pointer
   in the arena to arena.gpa + offset. Every address the driver gives the device is checked
   against the arena, and every rule of the spec a driver MUST follow that the simulator can
   see is checked too: a breach is a "violation" (counted, first message kept) that the test
   harness turns into a failed case. The simulator never touches memory outside the arena.

   Byte order: the simulator stores the device's fields byte by byte (sim_ld16 ...): little-endian
   on a modern device; on a legacy one the guest's order, which is this host's: little-endian on
   x86-64, big-endian where tests/be_host.mk runs these tests (under qemu-user). There QEMU's
   rule for legacy virtio-mmio registers holds too: they are in the guest's order, so the
   accessor (which converts from little-endian) sees them swapped. */
#ifndef SIM_H
#define SIM_H

#include <stddef.h>
#include <stdint.h>

#include "../virtio.h"

/* ---- Register offsets, written down again from the spec's tables --------------------------- */
#define SIM_REG_MAGIC               0x000
#define SIM_REG_VERSION             0x004
#define SIM_REG_DEVICE_ID           0x008
#define SIM_REG_VENDOR_ID           0x00c
#define SIM_REG_DEVICE_FEATURES     0x010
#define SIM_REG_DEVICE_FEATURES_SEL 0x014
#define SIM_REG_DRIVER_FEATURES     0x020
#define SIM_REG_DRIVER_FEATURES_SEL 0x024
#define SIM_REG_GUEST_PAGE_SIZE     0x028 /* legacy */
#define SIM_REG_QUEUE_SEL           0x030
#define SIM_REG_QUEUE_NUM_MAX       0x034
#define SIM_REG_QUEUE_NUM           0x038
#define SIM_REG_QUEUE_ALIGN         0x03c /* legacy */
#define SIM_REG_QUEUE_PFN           0x040 /* legacy */
#define SIM_REG_QUEUE_READY         0x044
#define SIM_REG_QUEUE_NOTIFY        0x050
#define SIM_REG_INTERRUPT_STATUS    0x060
#define SIM_REG_INTERRUPT_ACK       0x064
#define SIM_REG_STATUS              0x070
#define SIM_REG_QUEUE_DESC_LOW      0x080
#define SIM_REG_QUEUE_DESC_HIGH     0x084
#define SIM_REG_QUEUE_DRIVER_LOW    0x090
#define SIM_REG_QUEUE_DRIVER_HIGH   0x094
#define SIM_REG_QUEUE_DEVICE_LOW    0x0a0
#define SIM_REG_QUEUE_DEVICE_HIGH   0x0a4
#define SIM_REG_SHM_SEL             0x0ac
#define SIM_REG_QUEUE_RESET         0x0c0
#define SIM_REG_CONFIG_GENERATION   0x0fc
#define SIM_REG_CONFIG              0x100
#define SIM_MAGIC                   0x74726976u
#define SIM_VENDOR                  0x554d4551u /* "QEMU" */

/* Device status bits and feature bits the simulator acts on. */
#define SIM_S_ACKNOWLEDGE     1u
#define SIM_S_DRIVER          2u
#define SIM_S_DRIVER_OK       4u
#define SIM_S_FEATURES_OK     8u
#define SIM_S_NEEDS_RESET     64u
#define SIM_S_FAILED          128u
#define SIM_F(n)              ((uint64_t)1 << (n))
#define SIM_F_NOTIFY_ON_EMPTY 24
#define SIM_F_ANY_LAYOUT      27
#define SIM_F_INDIRECT_DESC   28
#define SIM_F_EVENT_IDX       29
#define SIM_F_BAD_FEATURE     30
#define SIM_F_VERSION_1       32
#define SIM_F_ACCESS_PLATFORM 33
#define SIM_F_RING_PACKED     34
#define SIM_F_RING_RESET      40

/* ---- Guest memory ------------------------------------------------------------------------- */
typedef struct sim_arena {
    uint8_t *base; /* host address, 4096-aligned */
    size_t size;
    size_t used;  /* bump allocator */
    uint64_t gpa; /* device address of base */
} sim_arena;

/* Allocates (zeroed, 4096-aligned) and frees an arena. Returns 0 on success. */
int sim_arena_init(sim_arena *a, size_t size, uint64_t gpa);
void sim_arena_free(sim_arena *a);
/* Bump allocation of `size` bytes aligned to `align`; aborts when the arena is full (test bug). */
void *sim_alloc(sim_arena *a, size_t size, size_t align);

/* ---- The device ---------------------------------------------------------------------------- */
#define SIM_MAX_QUEUES  16
#define SIM_CONFIG_SIZE 256
#define SIM_MAX_CHAIN   1024
#define SIM_LOG         256
#define SIM_PK_IDS      1024 /* largest packed queue the simulator drives */

enum sim_backend { SIM_DEV_ECHO, SIM_DEV_CUSTOM };

/* One chain as the device sees it: its segments, readable ones first. */
typedef struct sim_seg {
    uint8_t *p; /* host pointer to the buffer (checked against the arena) */
    uint32_t len;
    int w;         /* device-writable */
    uint64_t addr; /* device address */
} sim_seg;

typedef struct sim_chain {
    unsigned n, nread;
    unsigned nring;    /* descriptors it took in the ring */
    unsigned indirect; /* entries of its indirect table (0: none) */
    uint64_t rlen, wlen;
    sim_seg seg[SIM_MAX_CHAIN];
} sim_chain;

typedef struct sim sim;

/* ---- Extra backends ------------------------------------------------------------------------ */
/* A device type (blk, rng, console, net, ...) lives in its own file, tests/sim_<device>.c,
   behind these callbacks. The simulator does the register file, the rings and every check; the
   backend only sees chains and configuration writes. */
#define SIM_DEFER 0xffffffffu /* chain(): the backend keeps the chain and completes it later */
typedef struct sim_backend_ops {
    /* A chain the driver made available on `queue`. Return the bytes written into its
       writable part (the used length), or SIM_DEFER to hold it: copy what you need (head,
       segment pointers) since `c` is reused, and later call sim_complete. */
    uint32_t (*chain)(sim *s, unsigned queue, uint16_t head, sim_chain *c);
    /* A write into configuration space at `off` (NULL: the bytes are stored as written). */
    void (*config_write)(sim *s, uint32_t off, uint32_t value, unsigned width);
    /* The device was reset (status 0 written): forget held chains. May be NULL. */
    void (*reset)(sim *s);
    /* sim_destroy: free what the backend allocated. May be NULL. */
    void (*destroy)(sim *s);
} sim_backend_ops;

/* One-shot misbehaviours of the used ring, applied to the next chain the device uses. */
enum sim_used_mis {
    SIM_MIS_NONE,
    SIM_MIS_USED_ID_OOR,    /* used.id = queue size + 3 */
    SIM_MIS_USED_ID_HIGH,   /* used.id = 0x10000 + head: out of range, but its low 16 bits
                               name the real head (catches a driver that truncates first) */
    SIM_MIS_USED_ID_REPEAT, /* the chain's head is returned again instead of the next one's */
    SIM_MIS_USED_LEN_BIG,   /* used.len = writable bytes posted + 1 */
    SIM_MIS_USED_IDX_JUMP,  /* used.idx moves 40 past the element written (split only) */
    SIM_MIS_USED_ID_UNPUB,  /* used id = the head the driver wrote at the first ring position
                               it has not published yet (split: the avail ring entry at
                               avail.idx; packed: the buffer id at the first slot not made
                               available): a chain added but not kicked */
    /* packed ring only (on a split ring they do nothing) */
    SIM_MIS_PK_WRONG_WRAP, /* the used descriptor carries the other wrap counter (AVAIL ==
                              USED == !wrap), over a descriptor the driver made available */
    SIM_MIS_PK_AVAIL_FLIP  /* the used descriptor has USED == wrap but AVAIL == !wrap:
                              neither available nor used */
};

/* Personalities: other hypervisors' virtio-mmio devices, as their own device code (2026) shows
   them (README: "Hypervisors that are not QEMU"; none of them runs here: they need KVM).
   - SIM_HV_KVMTOOL: the used length is the bytes the request transferred, readable ones
     included (more than the writable part: a block write reports its data length);
   - SIM_HV_CROSVM: every register access that is not 4 bytes wide is ignored, configuration
     space included (narrow reads give 0, narrow writes are dropped; counted in hv_narrow);
   - SIM_HV_FIRECRACKER (up to v1.16): a device that reached DRIVER_OK cannot be reset (writing
     status 0 sets FAILED, status never reads 0); DRIVER_OK activates the device only if every
     queue it exposes is live (else it never answers: hv_inactive); configuration writes before
     DRIVER are ignored; a block request that is not header, one data descriptor, status gets
     used length 0 and nothing written (tests/sim_blk.c); the feature words offer only what its
     devices offer (block: FLUSH, RO; network: MAC, MRG_RXBUF, the checksum and TSO/UFO bits;
     entropy: nothing; all: VERSION_1, and EVENT_IDX on block and network; never
     INDIRECT_DESC, RING_PACKED or ACCESS_PLATFORM) unless hv_offer_all; the fixture exposes
     only its queues (network: receive and transmit) and skips the legacy, packed and
     no-indirect variants; each refused reset is counted (hv_refused, the status reads the
     driver made after it) and reported to hv_on_refused;
   - SIM_HV_TINYEMU (virtio.c of TinyEMU 2019-12-21): virtio-mmio version 2 only; the feature
     words offer the device type's bits (0..23) and VERSION_1, nothing else (no INDIRECT_DESC,
     EVENT_IDX, RING_PACKED, ACCESS_PLATFORM); ConfigGeneration always reads 0 (a configuration change only sets InterruptStatus bit 1);
     the network device writes the whole 12-byte receive header as zeroes, num_buffers 0
     included (tests/sim_net.c); the block device answers only IN and OUT: any other request
     (GET_ID, FLUSH, ...) is taken from the ring and never used (tests/sim_blk.c). Not
     played: its QueueNumMax of 16 on every queue (the suites count buffers of larger queues;
     a queue clamped to the device's maximum is a case of its own in each suite). */
enum sim_hv { SIM_HV_QEMU, SIM_HV_KVMTOOL, SIM_HV_CROSVM, SIM_HV_FIRECRACKER, SIM_HV_TINYEMU };

/* How the device sets avail_event (with VIRTIO_F_EVENT_IDX). */
enum sim_avail_event {
    SIM_AE_NEXT, /* notify me for the next buffer (avail_event = next index to read) */
    SIM_AE_NEVER /* avail_event = next - 1: no notification until 65536 more buffers */
};

typedef struct sim_queue {
    uint32_t num_max;              /* QueueNumMax the device reports (0 = no such queue) */
    uint32_t num;                  /* QueueNum the driver wrote */
    uint32_t ready;                /* modern QueueReady */
    uint32_t align;                /* legacy QueueAlign */
    uint32_t pfn;                  /* legacy QueuePFN */
    uint64_t desc, driver, device; /* guest addresses: descriptor table, avail ring, used ring */
    int live;                      /* configured (ready / PFN) */
    uint16_t last_avail;           /* next avail ring entry the device reads */
    uint16_t used_idx;             /* device's used.idx */
    unsigned long notifies;        /* QueueNotify writes for this queue */
    unsigned long lost;            /* of them, lost (sim.lose_notifies) */
    unsigned long chains;          /* chains used */
    unsigned long interrupts;      /* used buffer notifications the device would send */
    /* packed ring (the driver accepted VIRTIO_F_RING_PACKED): desc = descriptor ring, driver
       and device = the driver and device event suppression areas */
    int packed;
    uint16_t pk_avail_pos, pk_used_pos;  /* next ring slot to read / to write used */
    uint8_t pk_avail_wrap, pk_used_wrap; /* the device's wrap counters for them (start 1) */
    uint16_t pk_read;                    /* buffers read (mod 2^16) */
    uint16_t pk_used;                    /* used descriptors written (mod 2^16) */
    uint16_t pk_count[SIM_PK_IDS];       /* ring slots of each outstanding buffer id, 0 = free */
} sim_queue;

/* What the device saw of one chain (kept for the last SIM_LOG chains). */
typedef struct sim_log {
    uint16_t queue, head, ndesc, nread; /* nread: readable descriptors (they come first);
                                           head: the buffer id on a packed ring */
    uint16_t nring;      /* descriptors the chain took in the ring (1 for an indirect one) */
    uint16_t indirect;   /* entries of its indirect table (0: none) */
    uint32_t rlen, wlen; /* readable / writable bytes */
    uint32_t len[8];     /* first descriptor lengths */
    uint64_t addr[8];    /* and device addresses */
    /* block requests (filled by the block backend, tests/sim_blk.c) */
    uint32_t type;
    uint64_t sector;
    uint32_t data_len;      /* data bytes (IN/OUT/GET_ID) or segment bytes (DISCARD/WZ) */
    uint32_t ndata;         /* data descriptors (all but header and status) */
    uint32_t max_data_desc; /* largest data descriptor */
    uint8_t status;
    uint64_t dwz_sector;
    uint32_t dwz_num, dwz_flags, dwz_nseg;
} sim_log;

struct sim {
    /* identity (set by sim_init_*; a test may change them) */
    uint32_t magic, version, device_id, vendor_id;
    uint64_t dev_features; /* offered (legacy presents the low 32 bits) */
    enum sim_backend backend;
    const sim_backend_ops *ops; /* SIM_DEV_CUSTOM */
    void *ctx;                  /* the custom backend's state */
    sim_arena *arena;

    /* registers */
    uint32_t dev_feat_sel, drv_feat_sel;
    int dev_feat_sel_written, drv_feat_sel_written;
    uint64_t drv_features;
    uint32_t guest_page_size;
    uint32_t queue_sel;
    sim_queue q[SIM_MAX_QUEUES];
    uint32_t isr;
    uint32_t status;
    uint32_t config_gen;
    uint8_t config[SIM_CONFIG_SIZE];
    uint32_t config_len; /* bytes of config space that exist */
    /* Config bytes [config_early_off, +config_early_len) the driver may write at any time, even
       before FEATURES_OK (the console's emerg_wr: "The device MUST allow a write to emerg_wr,
       even on an unconfigured device"). 0 = none. */
    uint32_t config_early_off, config_early_len;

    /* behaviour switches */
    enum sim_hv hv;              /* the hypervisor it plays (SIM_HV_QEMU: the default) */
    unsigned long hv_narrow;     /* crosvm: narrow register accesses it ignored */
    int hv_inactive;             /* firecracker: DRIVER_OK with a queue not live: never answers */
    int hv_activated;            /* firecracker: DRIVER_OK was reached (a reset then fails) */
    int hv_offer_all;            /* firecracker: offer dev_features as set, beyond what it offers
                                    (a case that provokes what it would refuse) */
    unsigned long hv_refused;    /* firecracker: resets refused (status 0 written once activated) */
    unsigned long hv_refused_reads;     /* ... status reads after the latest refusal, so far */
    unsigned long hv_refused_reads_max; /* ... the most status reads after one refusal */
    void (*hv_on_refused)(struct sim *s); /* called at each refused reset (tests/fixture.h) */
    int manual;                  /* QueueNotify does not process: sim_process() or relax does */
    unsigned long lose_notifies; /* the next this many notifications are lost: counted in
                                    q[].lost, not acted on (QEMU < 8.1 under TCG on one CPU) */
    int process_on_relax;        /* the relax hook processes pending buffers */
    uint32_t relax_delay;        /* ... once the wait's iteration reaches this */
    uint32_t relax_giveup;       /* nonzero: relax returns 1 at this iteration (caller gave up) */
    int reverse;                 /* use the chains of one processing pass in reverse order */
    uint32_t max_per_pass;       /* nonzero: take at most this many chains per processing pass */
    uint32_t shuffle;            /* nonzero: seed; use the chains of a pass in a random order */
    int swallow;                 /* consume chains and never use them */
    int no_notify;               /* device sets VIRTQ_USED_F_NO_NOTIFY (without EVENT_IDX) */
    enum sim_avail_event avail_event;
    enum sim_used_mis mis; /* one-shot */
    int repeat_armed;      /* SIM_MIS_USED_ID_REPEAT: the next chain gets repeat_id */
    uint32_t repeat_id;
    int refuse_features_ok; /* clears FEATURES_OK on the read-back */
    int reset_stuck;        /* status never reads 0 after a reset */
    int self_reset;         /* status reads 0 from now on (device reset itself) */
    long gen_churn;         /* ConfigGeneration changes on each read: this many more times,
                               -1 forever */
    int gen_tear_capacity;  /* with churn: each change also rewrites config bytes 0..7 with
                               k * 0x100000001 (hi == lo in a consistent read) */
    long tear_reads;        /* the next this many config reads below offset 8 each first
                               rewrite bytes 0..7 with k * 0x0101010101010101 (k counting up):
                               a legacy device changing a wide field while it is read (every
                               byte equal in a consistent read) */
    uint64_t tear_k;

    /* Scribbling device: it writes everything it may write, and marks each byte it may write
       in `wrote` (one bit per arena byte, allocated on first use, freed by sim_destroy).
       Before a backend sees a chain, every writable byte of it is overwritten with garbage;
       the whole used ring (split: flags, idx, every element, avail_event) or descriptor ring
       and device event area (packed) is marked, and the slot of each used element gets
       garbage before the element (packed: the used descriptor's addr, which the driver does
       not read). sim_wrote_any then tells whether driver memory was ever in reach. */
    int scribble;
    uint8_t *wrote;
    unsigned long scribbled; /* bytes overwritten with garbage */

    /* block backend (tests/sim_blk.c) */
    uint8_t *disk;
    uint64_t capacity;  /* sectors */
    int blk_ro;         /* device read-only: writes get IOERR (QEMU) */
    int blk_fail_count; /* the next this many block requests fail with blk_fail_status */
    uint8_t blk_fail_status;
    char blk_serial[21];
    unsigned long blk_flushes;
    unsigned long blk_by_type[16];

    /* entropy backend (tests/sim_rng.c) */
    uint32_t rng_max_fill; /* fill at most this many bytes per chain (0 = all) */
    int rng_zero;          /* use buffers with 0 bytes written (broken device) */
    uint64_t rng_pos;      /* bytes produced so far */

    /* accounting */
    /* Register accesses; over the transport double, its operations (one each: a read of the
       device, or a change). direct_*: the share of the double. */
    unsigned long reads, writes;
    unsigned long direct_reads, direct_writes;
    unsigned long config_reads, config_writes, gen_reads;
    unsigned config_last_width; /* width of the last config access, bytes */
    unsigned long status_writes;
    uint32_t status_hist[16]; /* first status values written since the last reset */
    unsigned nstatus_hist;
    unsigned long relax_calls, waits; /* waits: relax calls with iteration 0 */
    uint32_t relax_max_iter;
    unsigned long chains_total;
    unsigned long resets;
    sim_log log[SIM_LOG];
    unsigned long nlog; /* chains logged (index = nlog % SIM_LOG) */

    /* protocol violations by the driver, or test bugs the simulator caught */
    unsigned long violations;
    char violation[256];
};

/* Sets up a device of `version` (1 or 2) in `s` (zeroed first), using arena `a`. */
void sim_init_echo(sim *s, sim_arena *a, uint32_t version, uint32_t device_id);
/* A device of type `device_id` handled by `ops` (see sim_backend_ops); only queue 0 exists,
   with QueueNumMax 256: set s->q[i].num_max, s->config and s->config_len after this call. */
void sim_init_custom(sim *s, sim_arena *a, uint32_t version, uint32_t device_id,
                     const sim_backend_ops *ops, void *ctx);
/* Copies between byte `off` of the readable (w = 0) or writable (w = 1) part of a chain and
   `buf`; to_chain: from buf into the chain. Returns the bytes copied. */
uint64_t sim_chain_copy(sim_chain *c, int w, uint64_t off, void *buf, uint64_t len, int to_chain);
/* Inside a backend's chain(): the log entry of the chain it was given (what sim_last(s, 0)
   will return), for a backend that records more of it (the block backend's request fields). */
sim_log *sim_chain_log(sim *s);
/* Puts a held chain (SIM_DEFER) on the used ring of `queue` with used length `len`; `wlen` is
   the writable bytes it was posted with (for the misbehaviour switches). */
void sim_complete(sim *s, unsigned queue, uint16_t head, uint32_t len, uint32_t wlen);
/* Frees what the backend allocated (its destroy callback). */
void sim_destroy(sim *s);
/* With s->scribble: 1 if any byte of [p, p + n) was in the device's reach (see `scribble`). */
int sim_wrote_any(const sim *s, const void *p, size_t n);

/* The accessor the library uses: callbacks on `s`, dma into its arena, relax hook
   (relax_user = s). */
virtio_regs sim_regs(sim *s);

/* ---- Transport double ---------------------------------------------------------------------- */
/* Fills `t` with a second implementation of the core's transport interface (kind
   VIRTIO_TRANSPORT_OTHER, legacy = version 1): its operations act on `s` directly (status,
   feature words, configuration bytes, generation, queue size/enable, notify, interrupt ack),
   not through register offsets. They check the same driver rules as the register file (one
   copy of each check serves both) and hand chains to the same queue processing; notify
   handles are not queue indices, so the core must pass back what queue_enable gave. t->regs
   is sim_regs(s) (dma, relax; the register callbacks only because attach wants a complete
   accessor: the operations never call them, and reach `s` through t->priv). Nothing is
   probed: identity fields are copied from `s` as they are now. */
void sim_transport(virtio_transport *t, sim *s);

/* Processes every queue's new buffers now (as if notified). Returns chains processed. */
unsigned long sim_process(sim *s);
/* Device-side view of guest memory: host pointer for [gpa, gpa+len), or NULL (violation). */
void *sim_mem(sim *s, uint64_t gpa, uint64_t len);
/* Device address of a host pointer in the arena (what the dma hook returns). */
uint64_t sim_gpa(const sim *s, const void *p);
/* The most recent chain the device saw (back = 0), or NULL. */
const sim_log *sim_last(const sim *s, unsigned back);
/* Reads the ring fields as the device sees them. On a packed ring: avail_idx is the buffers
   made available so far (read, plus those waiting in the ring), used_idx the used descriptors
   written, avail_flags / used_flags the driver's / device's event suppression flags, and
   used_event the driver's off_wrap. */
uint16_t sim_avail_idx(sim *s, unsigned q);
uint16_t sim_avail_flags(sim *s, unsigned q);
uint16_t sim_used_idx(sim *s, unsigned q);
uint16_t sim_used_flags(sim *s, unsigned q);
uint16_t sim_used_event(sim *s, unsigned q);

/* Fields in the device's order: little-endian on a modern device, the guest's (this host's)
   order on a legacy one (sim_dev_be: 1 for a legacy device on a big-endian host). Ring fields,
   configuration fields and device structures in buffers (a block request header, a console
   control message) use these. */
int sim_dev_be(const sim *s);
uint16_t sim_ld16(const sim *s, const void *p);
uint32_t sim_ld32(const sim *s, const void *p);
uint64_t sim_ld64(const sim *s, const void *p);
void sim_st16(const sim *s, void *p, uint16_t v);
void sim_st32(const sim *s, void *p, uint32_t v);
void sim_st64(const sim *s, void *p, uint64_t v);

/* Config space helpers (in the device's order, as above). */
void sim_cfg_w8(sim *s, uint32_t off, uint8_t v);
void sim_cfg_w16(sim *s, uint32_t off, uint16_t v);
void sim_cfg_w32(sim *s, uint32_t off, uint32_t v);
void sim_cfg_w64(sim *s, uint32_t off, uint64_t v);
uint64_t sim_cfg_r(const sim *s, uint32_t off, unsigned width);

/* Device-side misbehaviour switched on right now. */
void sim_set_needs_reset(sim *s);
/* The device changed its configuration: ConfigGeneration moves and InterruptStatus bit 1 is
   set (a configuration change notification, "Notification of Device Configuration Changes"). */
void sim_config_changed(sim *s);

/* Records a violation (printf format). */
void sim_violation(sim *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- Counting accessor --------------------------------------------------------------------- */
/* Wraps another accessor and counts the register accesses that go through it. */
typedef struct sim_counter {
    virtio_regs inner;
    unsigned long reads, writes;
} sim_counter;
virtio_regs sim_counter_regs(sim_counter *c, const virtio_regs *inner);

#endif /* SIM_H */
