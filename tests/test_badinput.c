/* test_badinput.c - bad caller input, table-driven: every public function of every header
   (virtio.h, virtio_blk.h, virtio_console.h, virtio_net.h, virtio_gpu.h, virtio_input.h,
   virtio_rng.h, virtio_device.h) called with each class of bad argument that applies to it:

     null       a NULL pointer where the call needs an object, a buffer or an output
     misalign   memory that is not aligned as documented (or, for the byte helpers, an odd
                address they must accept)
     small      memory or a buffer smaller than documented
     range      a value out of range: sector, length, queue index, port, scanout, resource id,
                params, feature bit, register offset or width
     state      the wrong state: an object never initialized (zeroed), reset, failed at init,
                latched broken, before DRIVER_OK, nothing pending to wait for, a feature the
                device did not offer (read-only disk, no FLUSH, no EDID, ...)
     wrongdev   a driver's init given a simulated device of another type, and calls on the
                handle it refused

   Each row is one case line ("badin/<group>: <function>: <what> [<class>]") and checks three
   things: (a) the exact documented result; (b) that no device register was written (the
   simulator counts every register write: tests/sim.h, sim.writes) and nothing of the device
   changed (status and configuration writes, queue state); (c) that no byte of caller memory
   changed: every object, memory block and output buffer a row can reach is a block of the
   simulator's arena, patterned or zeroed, and every block is compared byte for byte before
   and after. A row whose answer only the device has (does queue 5 exist? is EMERG_WRITE
   offered?) may write the selector register it must write to ask (ROW_ASK). Rows of
   virtio_device.h (the device side: no registers of ours) check (a) and (c). Programs run
   once per transport version (v1 legacy, v2 modern virtio-mmio); INFO lines count the rows
   per class.

   The last case reads the headers and fails if a VIRTIO_API function has no row, so a new
   public function cannot go untested here. */
#define VIRTIO_SPIN_LIMIT 2000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "../virtio_blk.h"
#define VIRTIO_CONSOLE_IMPLEMENTATION
#include "../virtio_console.h"
#define VIRTIO_NET_IMPLEMENTATION
#include "../virtio_net.h"
#define VIRTIO_GPU_IMPLEMENTATION
#include "../virtio_gpu.h"
#define VIRTIO_INPUT_IMPLEMENTATION
#include "../virtio_input.h"
#define VIRTIO_RNG_IMPLEMENTATION
#include "../virtio_rng.h"
#define VIRTIO_DEVICE_IMPLEMENTATION
#include "../virtio_device.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_blk.h"
#include "sim_console.h"
#include "sim_gpu.h"
#include "sim_input.h"
#include "sim_net.h"
#include "sim_rng.h"
#include "test.h"

#define PAT       0xa5u
#define ARENA     (4u << 20)
#define GPA       0x80000000ull
#define MAX_NAMES 512

/* ---- The harness ---------------------------------------------------------------------------- */
enum { C_NULL, C_MISALIGN, C_SMALL, C_RANGE, C_STATE, C_WRONGDEV, C_N };
static const char *const class_name[C_N] = {"null",  "misalign", "small",
                                            "range", "state",    "wrongdev"};

typedef struct env {
    const char *group;
    sim_arena a;
    sim s;
    int have_sim;
    virtio_regs regs;
    virtio_transport t;
    simc con;
    sim_net net;
    struct {
        uint8_t *p;
        size_t n;
    } reg[256]; /* caller memory: every block pat() and zeroed() handed out */
    unsigned nreg;
    uint8_t *snap;
    size_t snap_len;
    unsigned long writes, violations, status_writes, config_writes;
    unsigned long sel_ok; /* register writes this row may make: selectors only (ROW_ASK) */
    sim_queue q[SIM_MAX_QUEUES];
    uint8_t keep[512]; /* ROW_ASK */
} env;

static env *E;
static unsigned long class_rows[C_N];
static const char *covered[MAX_NAMES];
static unsigned ncovered;

static void cover(const char *fn) {
    unsigned i;
    for (i = 0; i < ncovered; i++)
        if (!strcmp(covered[i], fn)) return;
    if (ncovered < MAX_NAMES) covered[ncovered++] = fn;
}

static void env_open(const char *group) {
    E = (env *)calloc(1, sizeof *E);
    if (!E || sim_arena_init(&E->a, ARENA, GPA)) abort();
    E->group = group;
    E->snap = (uint8_t *)malloc(ARENA);
    if (!E->snap) abort();
}

/* After sim_init_*: the accessor and the probed transport (short waits). */
static void env_transport(void) {
    E->have_sim = 1;
    E->regs = sim_regs(&E->s);
    E->regs.spin_limit = 2000;
    if (virtio_mmio_transport(&E->t, &E->regs) != VIRTIO_OK) abort();
}

static void env_close(void) {
    if (E->have_sim) sim_destroy(&E->s);
    if (E->con.s) simc_free(&E->con);
    sim_arena_free(&E->a);
    free(E->snap);
    free(E);
    E = NULL;
}

/* Patterned memory in the arena (caller memory every row is checked against). */
static void *track(void *p, size_t n) {
    if (E->nreg == sizeof E->reg / sizeof E->reg[0]) abort();
    E->reg[E->nreg].p = (uint8_t *)p;
    E->reg[E->nreg++].n = n;
    return p;
}
static void *pat(size_t n, size_t align) {
    void *p = sim_alloc(&E->a, n, align);
    memset(p, PAT, n);
    return track(p, n);
}
static void *zeroed(size_t n, size_t align) {
    void *p = sim_alloc(&E->a, n, align);
    memset(p, 0, n);
    return track(p, n);
}

/* Snapshot of every tracked block, or (back = 1) its restoration. The arena's gaps between
   blocks are poisoned by the simulator (ASan): only the blocks are read. */
static void snap_all(int back) {
    unsigned i;
    size_t off = 0;
    for (i = 0; i < E->nreg; i++) {
        if (back)
            memcpy(E->reg[i].p, E->snap + off, E->reg[i].n);
        else
            memcpy(E->snap + off, E->reg[i].p, E->reg[i].n);
        off += E->reg[i].n;
    }
    E->snap_len = off;
}

/* The first tracked byte that differs from the snapshot: its block and offset. */
static int snap_diff(unsigned *blk, size_t *at) {
    unsigned i;
    size_t off = 0, k;
    for (i = 0; i < E->nreg; i++) {
        for (k = 0; k < E->reg[i].n; k++)
            if (E->reg[i].p[k] != E->snap[off + k]) {
                *blk = i;
                *at = k;
                return 1;
            }
        off += E->reg[i].n;
    }
    return 0;
}

static void row_begin(int cls, const char *fn, const char *what) {
    cover(fn);
    class_rows[cls]++;
    t_begin("badin/%s: %s: %s [%s]", E->group, fn, what, class_name[cls]);
    snap_all(0);
    E->writes = E->s.writes;
    E->violations = E->s.violations;
    E->status_writes = E->s.status_writes;
    E->config_writes = E->s.config_writes;
    memcpy(E->q, E->s.q, sizeof E->q);
}

static void row_checks(void) {
    unsigned blk;
    size_t at;
    CHECK_OK();
    CHECK_MSG(E->s.writes - E->writes <= E->sel_ok, "%lu device register(s) written",
              E->s.writes - E->writes);
    /* The writes a ROW_ASK row may make select a queue or a feature word: nothing else of the
       device moved. */
    CHECK_MSG(E->s.status_writes == E->status_writes && E->s.config_writes == E->config_writes &&
                  !memcmp(E->q, E->s.q, sizeof E->q),
              "device state changed");
    CHECK_MSG(E->s.violations == E->violations, "device saw a violation: %s", E->s.violation);
    CHECK_MSG(!snap_diff(&blk, &at), "caller memory changed: block %u (%zu bytes), byte %zu", blk,
              E->reg[blk].n, at);
}

static void row_end_i(long long got, long long want, const char *expr) {
    if (got != want)
        T_FAIL("%s -> got %lld (%s) want %lld (%s)", expr, got, t_rc_name((int)got), want,
               t_rc_name((int)want));
    row_checks();
    /* Undo what a failing row changed, so that the next rows start from the same memory. */
    if (T.failed) snap_all(1);
    t_end();
}

static void row_end_p(const void *got, const void *want, const char *expr) {
    if (got != want) T_FAIL("%s -> got %p want %p", expr, got, want);
    row_checks();
    if (T.failed) snap_all(1);
    t_end();
}

/* A row whose call returns a number (result code, size, count, flag). */
#define ROW(cls, fn, what, call, want)                                                             \
    do {                                                                                           \
        row_begin(cls, #fn, what);                                                                 \
        row_end_i((long long)(call), (long long)(want), #call);                                    \
    } while (0)
/* A row whose answer only the device has: on virtio-mmio the driver must write a selector to
   read what it asks (QueueSel before QueueNumMax: does queue N exist? DeviceFeaturesSel before
   DeviceFeatures: is a feature offered?). Up to `n` register writes are allowed, with nothing
   else of the device changed (status, configuration, queues: checked in every row), and the
   `len` bytes at `kp` (the object the call fills as it asks: a transport's selector cache,
   an attached device) are left out of the memory check. */
#define ROW_ASK(cls, fn, what, n, kp, len, call, want)                                             \
    do {                                                                                           \
        long long got_;                                                                            \
        memcpy(E->keep, (kp), (len));                                                              \
        E->sel_ok = (n);                                                                           \
        row_begin(cls, #fn, what);                                                                 \
        got_ = (long long)(call);                                                                  \
        memcpy((kp), E->keep, (len));                                                              \
        row_end_i(got_, (long long)(want), #call);                                                 \
        E->sel_ok = 0;                                                                             \
    } while (0)
/* A row whose call returns a pointer. */
#define ROWP(cls, fn, what, call, want)                                                            \
    do {                                                                                           \
        row_begin(cls, #fn, what);                                                                 \
        row_end_p((const void *)(call), (const void *)(want), #call);                              \
    } while (0)
/* A row whose call returns nothing: it must not crash, write a register or change memory. */
#define ROWV(cls, fn, what, stmt)                                                                  \
    do {                                                                                           \
        row_begin(cls, #fn, what);                                                                 \
        stmt;                                                                                      \
        row_end_i(0, 0, #stmt);                                                                    \
    } while (0)

static int host_be(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 0;
}

/* ---- virtio.h ------------------------------------------------------------------------------- */
static int reader_ok(virtio_dev *dev, void *ctx) {
    (void)dev;
    (void)ctx;
    return 0;
}

/* virtio_pci_regs(NULL): every field the doc names is NULL / 0 (flags too), whatever was on
   the stack before (smeared first, so an uninitialized field shows). */
static void __attribute__((noinline)) smear_stack(void) {
    volatile uint8_t junk[512];
    size_t i;
    for (i = 0; i < sizeof junk; i++)
        junk[i] = 0xff;
}
static int pci_regs_null_ok(void) {
    virtio_regs r;
    smear_stack();
    r = virtio_pci_regs(NULL);
    return r.user == NULL && r.dma == NULL && r.relax == NULL && r.relax_user == NULL &&
           r.spin_limit == 0 && r.flags == 0 && r.read32 != NULL;
}
static int mmio_regs_null_ok(void) {
    virtio_regs r;
    smear_stack();
    r = virtio_mmio_regs(NULL);
    return r.user == NULL && r.dma == NULL && r.relax == NULL && r.relax_user == NULL &&
           r.spin_limit == 0 && r.flags == 0 && r.read32 != NULL;
}

/* A device tree header: magic, totalsize, offsets, version 17 (big-endian fields). */
static void fdt_header(uint8_t *b, uint32_t total) {
    static const uint32_t h[10] = {0xd00dfeedu, 0, 40, 56, 40, 17, 16, 0, 0, 16};
    unsigned i;
    for (i = 0; i < 10; i++) {
        uint32_t v = i == 1 ? total : h[i];
        b[4 * i] = (uint8_t)(v >> 24);
        b[4 * i + 1] = (uint8_t)(v >> 16);
        b[4 * i + 2] = (uint8_t)(v >> 8);
        b[4 * i + 3] = (uint8_t)v;
    }
}

static uint16_t sw16(uint16_t v) { return (uint16_t)(v >> 8 | v << 8); }
static uint32_t sw32(uint32_t v) {
    return v >> 24 | (v >> 8 & 0xff00u) | (v << 8 & 0xff0000u) | v << 24;
}
static uint64_t sw64(uint64_t v) {
    return (uint64_t)sw32((uint32_t)v) << 32 | sw32((uint32_t)(v >> 32));
}

static void rows_core(uint32_t ver) {
    virtio_transport *t, *tout;
    virtio_regs *regs, *noread;
    virtio_dev *live, *zdev, *acked, *ddev;
    virtio_queue *q, *zq, *qpre;
    virtio_queue_params *qp;
    virtio_mmio_slot *slots;
    virtio_pci_host *host, *hzero;
    virtio_pci_fn *fn, *fzero;
    virtio_fdt_mmio *fm;
    uint8_t *fdt, *ring, *ring2, *shadow, *buf;
    uint64_t *u64;
    uint32_t *u32;
    void **cookie;
    virtio_seg *segs, *seg3;
    size_t rs, ss, al;
    static uint8_t outside[16];

    env_open(ver == 1 ? "core/v1" : "core/v2");
    sim_init_rng(&E->s, &E->a, ver);
    env_transport();
    t = (virtio_transport *)pat(sizeof *t, 8);
    memcpy(t, &E->t, sizeof *t);
    regs = (virtio_regs *)pat(sizeof *regs, 8);
    *regs = E->regs;
    noread = (virtio_regs *)pat(sizeof *noread, 8);
    *noread = E->regs;
    noread->read32 = NULL;
    tout = (virtio_transport *)pat(sizeof *tout, 8);
    slots = (virtio_mmio_slot *)pat(4 * sizeof *slots, 8);
    host = (virtio_pci_host *)pat(sizeof *host, 8);
    hzero = (virtio_pci_host *)zeroed(sizeof *hzero, 8);
    fn = (virtio_pci_fn *)pat(sizeof *fn, 8);
    fzero = (virtio_pci_fn *)zeroed(sizeof *fzero, 8);
    fm = (virtio_fdt_mmio *)pat(4 * sizeof *fm, 8);
    fdt = (uint8_t *)pat(256, 8);
    fdt_header(fdt, 200);
    u64 = (uint64_t *)pat(8, 8);
    u32 = (uint32_t *)pat(4, 4);
    cookie = (void **)pat(sizeof *cookie, 8);
    buf = (uint8_t *)pat(64, 16);
    segs = (virtio_seg *)pat(4 * sizeof *segs, 8);
    segs[0].addr = buf;
    segs[0].len = 16;
    segs[1].addr = NULL;
    segs[1].len = 16;
    segs[2].addr = buf;
    segs[2].len = 0;
    /* Chains of three (header, data, status), the shape the queue's straight-line add takes:
       seg3[0..2] with a last segment of 0 bytes, seg3[3..5] writable 2 x 0xffffffff bytes. */
    seg3 = (virtio_seg *)pat(6 * sizeof *seg3, 8);
    seg3[0].addr = seg3[1].addr = seg3[2].addr = buf;
    seg3[0].len = seg3[1].len = 16;
    seg3[2].len = 0;
    seg3[3].addr = seg3[4].addr = seg3[5].addr = buf;
    seg3[3].len = 16;
    seg3[4].len = seg3[5].len = 0xffffffffu;

    /* Devices in every state: zeroed; ACKNOWLEDGE|DRIVER only; negotiated with a queue and no
       DRIVER_OK (qpre); live (negotiated, queue 0, DRIVER_OK) last, on the same device. */
    zdev = (virtio_dev *)zeroed(sizeof *zdev, 8);
    zq = (virtio_queue *)zeroed(sizeof *zq, 8);
    acked = (virtio_dev *)zeroed(sizeof *acked, 8);
    ddev = (virtio_dev *)zeroed(sizeof *ddev, 8);
    live = (virtio_dev *)zeroed(sizeof *live, 8);
    qpre = (virtio_queue *)zeroed(sizeof *qpre, 8);
    q = (virtio_queue *)zeroed(sizeof *q, 8);
    al = virtio_queue_ring_align(&E->t);
    rs = virtio_queue_ring_size(&E->t, 8);
    ss = virtio_queue_shadow_size(8);
    ring = (uint8_t *)pat(rs + 64, al);
    ring2 = (uint8_t *)pat(rs + ss + 64, al);
    shadow = (uint8_t *)pat(ss + 16, 8);
    qp = (virtio_queue_params *)zeroed(sizeof *qp, 8);
    if (virtio_dev_init(acked, &E->t, VIRTIO_ID_RNG) != VIRTIO_OK) abort();
    if (virtio_dev_init(ddev, &E->t, VIRTIO_ID_RNG) != VIRTIO_OK) abort();
    if (virtio_dev_negotiate(ddev, 0, 0) != VIRTIO_OK) abort();
    qp->size = 8;
    qp->ring = ring2;
    qp->ring_size = rs + ss;
    if (virtio_queue_init(qpre, ddev, 0, qp) != VIRTIO_OK) abort();
    if (virtio_dev_init(live, &E->t, VIRTIO_ID_RNG) != VIRTIO_OK) abort();
    if (virtio_dev_negotiate(live, 0, 0) != VIRTIO_OK) abort();
    memset(ring2, PAT, rs + ss);
    if (virtio_queue_init(q, live, 0, qp) != VIRTIO_OK) abort();
    if (virtio_dev_ready(live) != VIRTIO_OK) abort();
    /* qp now describes fresh memory: ring (rings only), shadow. */
    qp->ring = ring;
    qp->ring_size = rs;
    qp->shadow = shadow;
    qp->shadow_size = ss;

    /* Accessors and probes */
    ROW(C_NULL, virtio_mmio_regs, "NULL base gives an accessor with every option 0",
        mmio_regs_null_ok(), 1);
    ROW(C_NULL, virtio_mmio_transport, "NULL transport", virtio_mmio_transport(NULL, regs),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_mmio_transport, "NULL accessor", virtio_mmio_transport(tout, NULL),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_mmio_transport, "accessor without read32",
        virtio_mmio_transport(tout, noread), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_transport_legacy, "NULL transport", virtio_transport_legacy(NULL), 0);
    ROW(C_NULL, virtio_mmio_scan, "NULL base", virtio_mmio_scan(regs, NULL, 0x200, 4, slots, 4),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_mmio_scan, "NULL out with max 4",
        virtio_mmio_scan(regs, buf, 0x200, 4, NULL, 4), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_mmio_scan, "accessor without read32",
        virtio_mmio_scan(noread, buf, 0x200, 4, slots, 4), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_pci_transport, "NULL transport", virtio_pci_transport(NULL, regs),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_pci_transport, "NULL accessor", virtio_pci_transport(tout, NULL),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_pci_transport, "accessor without read32", virtio_pci_transport(tout, noread),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_pci_regs, "NULL function gives an accessor with every option 0",
        pci_regs_null_ok(), 1);
    ROW(C_NULL, virtio_pci_scan, "NULL host", virtio_pci_scan(NULL, fn, 1), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_pci_scan, "host without ECAM or port I/O", virtio_pci_scan(hzero, fn, 1),
        VIRTIO_EINVAL);
    host->portio = NULL;
    host->ecam = (uintptr_t)buf;
    ROW(C_NULL, virtio_pci_scan, "NULL out with max 1", virtio_pci_scan(host, NULL, 1),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_pci_assign, "NULL host", virtio_pci_assign(NULL, fn), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_pci_assign, "NULL function", virtio_pci_assign(host, NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_pci_assign, "function never scanned (config 0)",
        virtio_pci_assign(host, fzero), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_pci_assign_all, "NULL host", virtio_pci_assign_all(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_pci_assign_all, "host without ECAM or port I/O",
        virtio_pci_assign_all(hzero), VIRTIO_EINVAL);

    /* Device trees */
    ROW(C_NULL, virtio_fdt_find_mmio, "NULL blob", virtio_fdt_find_mmio(NULL, 256, fm, 4),
        VIRTIO_EINVAL);
    ROW(C_MISALIGN, virtio_fdt_find_mmio, "blob at an odd address",
        virtio_fdt_find_mmio(fdt + 1, 255, fm, 4), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_fdt_find_mmio, "max_out -1", virtio_fdt_find_mmio(fdt, 256, fm, -1),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_fdt_find_mmio, "NULL out with max_out 4",
        virtio_fdt_find_mmio(fdt, 256, NULL, 4), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_fdt_find_mmio, "39 readable bytes", virtio_fdt_find_mmio(fdt, 39, fm, 4),
        VIRTIO_ENODEV);
    ROW(C_SMALL, virtio_fdt_find_mmio, "totalsize above max_size",
        virtio_fdt_find_mmio(fdt, 100, fm, 4), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_fdt_find_pci, "NULL blob", virtio_fdt_find_pci(NULL, 256, host, 1),
        VIRTIO_EINVAL);
    ROW(C_MISALIGN, virtio_fdt_find_pci, "blob at an odd address",
        virtio_fdt_find_pci(fdt + 1, 255, host, 1), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_fdt_find_pci, "max_out -1", virtio_fdt_find_pci(fdt, 256, host, -1),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_fdt_find_pci, "NULL out with max_out 1",
        virtio_fdt_find_pci(fdt, 256, NULL, 1), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_fdt_find_pci, "39 readable bytes", virtio_fdt_find_pci(fdt, 39, host, 1),
        VIRTIO_ENODEV);
    ROW(C_SMALL, virtio_fdt_find_pci, "totalsize above max_size",
        virtio_fdt_find_pci(fdt, 100, host, 1), VIRTIO_EINVAL);

    /* Devices */
    ROW(C_NULL, virtio_dev_attach, "NULL dev", virtio_dev_attach(NULL, t, 0), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_dev_attach, "NULL transport", virtio_dev_attach(zdev, NULL, 0),
        VIRTIO_EINVAL);
    ROW(C_WRONGDEV, virtio_dev_attach, "entropy device where a block device is expected",
        virtio_dev_attach(zdev, t, VIRTIO_ID_BLOCK), VIRTIO_ENODEV);
    ROW(C_NULL, virtio_dev_init, "NULL dev", virtio_dev_init(NULL, t, 0), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_dev_init, "NULL transport", virtio_dev_init(zdev, NULL, 0), VIRTIO_EINVAL);
    ROW(C_WRONGDEV, virtio_dev_init, "entropy device where a network device is expected",
        virtio_dev_init(zdev, t, VIRTIO_ID_NET), VIRTIO_ENODEV);
    ROW(C_NULL, virtio_dev_read_offer, "NULL dev", virtio_dev_read_offer(NULL, u64), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_dev_read_offer, "NULL offered", virtio_dev_read_offer(live, NULL),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_dev_read_offer, "zeroed dev", virtio_dev_read_offer(zdev, u64),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_dev_negotiate, "NULL dev", virtio_dev_negotiate(NULL, 0, 0), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_dev_negotiate, "zeroed dev", virtio_dev_negotiate(zdev, 0, 0),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_dev_negotiate, "negotiated already (queue set up)",
        virtio_dev_negotiate(ddev, 0, 0), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_dev_negotiate, "after DRIVER_OK", virtio_dev_negotiate(live, 0, 0),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_dev_has, "NULL dev", virtio_dev_has(NULL, VIRTIO_F_VERSION_1), 0);
    ROW(C_RANGE, virtio_dev_has, "bit 64", virtio_dev_has(live, 64), 0);
    ROW(C_RANGE, virtio_dev_has, "bit 0xffffffff", virtio_dev_has(live, 0xffffffffu), 0);
    ROW(C_NULL, virtio_dev_offers, "NULL dev", virtio_dev_offers(NULL, VIRTIO_F_VERSION_1), 0);
    ROW(C_RANGE, virtio_dev_offers, "bit 64", virtio_dev_offers(live, 64), 0);
    ROW(C_NULL, virtio_dev_legacy, "NULL dev", virtio_dev_legacy(NULL), 0);
    ROW(C_STATE, virtio_dev_legacy, "zeroed dev", virtio_dev_legacy(zdev), 0);
    ROW(C_NULL, virtio_dev_usable, "NULL dev", virtio_dev_usable(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_dev_usable, "zeroed dev", virtio_dev_usable(zdev), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_dev_spin_limit, "NULL dev", virtio_dev_spin_limit(NULL), 0);
    ROW(C_NULL, virtio_dev_clamped, "NULL dev", virtio_dev_clamped(NULL), 0);
    ROW(C_NULL, virtio_dev_ready, "NULL dev", virtio_dev_ready(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_dev_ready, "zeroed dev", virtio_dev_ready(zdev), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_dev_ready, "features not negotiated", virtio_dev_ready(acked),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_dev_ready, "DRIVER_OK already", virtio_dev_ready(live), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_dev_fail, "NULL dev", virtio_dev_fail(NULL, VIRTIO_EDEVICE), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_dev_fail, "zeroed dev", virtio_dev_fail(zdev, VIRTIO_EDEVICE),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_dev_check, "NULL dev", virtio_dev_check(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_dev_check, "zeroed dev", virtio_dev_check(zdev), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_dev_spin, "NULL dev", virtio_dev_spin(NULL, 0), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_dev_spin, "zeroed dev", virtio_dev_spin(zdev, 0), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_dev_reset, "NULL dev", virtio_dev_reset(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_dev_reset, "zeroed dev", virtio_dev_reset(zdev), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_dev_abandon, "NULL dev", virtio_dev_abandon(NULL, VIRTIO_ETIMEDOUT),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_dev_abandon, "zeroed dev", virtio_dev_abandon(zdev, VIRTIO_ETIMEDOUT),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_dev_interrupt_ack, "NULL dev", virtio_dev_interrupt_ack(NULL), 0);
    ROW(C_STATE, virtio_dev_interrupt_ack, "zeroed dev", virtio_dev_interrupt_ack(zdev), 0);
    ROW(C_NULL, virtio_dev_config_changed, "NULL dev", virtio_dev_config_changed(NULL), 0);
    ROW(C_STATE, virtio_dev_config_changed, "zeroed dev", virtio_dev_config_changed(zdev), 0);
    /* A NULL dev is no legacy device: modern (little-endian) order. */
    ROW(C_NULL, virtio_dev_order16, "NULL dev: little-endian order",
        virtio_dev_order16(NULL, 0x1234u), host_be() ? sw16(0x1234u) : 0x1234u);
    ROW(C_NULL, virtio_dev_order32, "NULL dev: little-endian order",
        virtio_dev_order32(NULL, 0x12345678u), host_be() ? sw32(0x12345678u) : 0x12345678u);
    ROW(C_NULL, virtio_dev_order64, "NULL dev: little-endian order",
        virtio_dev_order64(NULL, 0x0102030405060708ull),
        host_be() ? sw64(0x0102030405060708ull) : 0x0102030405060708ull);
    ROW(C_NULL, virtio_dev_dma, "NULL dev", virtio_dev_dma(NULL, buf), 0);

    /* Configuration space: a never-initialized device reads as 0 and ignores writes. */
    ROW(C_NULL, virtio_config_read8, "NULL dev", virtio_config_read8(NULL, 0), 0);
    ROW(C_STATE, virtio_config_read8, "zeroed dev", virtio_config_read8(zdev, 0), 0);
    ROW(C_NULL, virtio_config_read16, "NULL dev", virtio_config_read16(NULL, 0), 0);
    ROW(C_STATE, virtio_config_read16, "zeroed dev", virtio_config_read16(zdev, 0), 0);
    ROW(C_NULL, virtio_config_read32, "NULL dev", virtio_config_read32(NULL, 0), 0);
    ROW(C_STATE, virtio_config_read32, "zeroed dev", virtio_config_read32(zdev, 0), 0);
    ROW(C_NULL, virtio_config_read64, "NULL dev", virtio_config_read64(NULL, 0), 0);
    ROW(C_STATE, virtio_config_read64, "zeroed dev", virtio_config_read64(zdev, 0), 0);
    ROWV(C_NULL, virtio_config_write8, "NULL dev", virtio_config_write8(NULL, 0, 1));
    ROWV(C_STATE, virtio_config_write8, "zeroed dev", virtio_config_write8(zdev, 0, 1));
    ROWV(C_NULL, virtio_config_write16, "NULL dev", virtio_config_write16(NULL, 0, 1));
    ROWV(C_STATE, virtio_config_write16, "zeroed dev", virtio_config_write16(zdev, 0, 1));
    ROWV(C_NULL, virtio_config_write32, "NULL dev", virtio_config_write32(NULL, 0, 1));
    ROWV(C_STATE, virtio_config_write32, "zeroed dev", virtio_config_write32(zdev, 0, 1));
    ROW(C_NULL, virtio_config_atomic, "NULL dev", virtio_config_atomic(NULL, reader_ok, NULL),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_config_atomic, "NULL reader", virtio_config_atomic(live, NULL, NULL),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_config_atomic, "zeroed dev", virtio_config_atomic(zdev, reader_ok, NULL),
        VIRTIO_ESTATE);

    /* Queue sizes */
    ROW(C_RANGE, virtio_queue_ring_size, "size 0", virtio_queue_ring_size(t, 0), 0);
    ROW(C_RANGE, virtio_queue_ring_size, "size 3 (not a power of two)",
        virtio_queue_ring_size(t, 3), 0);
    ROW(C_RANGE, virtio_queue_ring_size, "size 65536", virtio_queue_ring_size(t, 65536), 0);
    ROW(C_NULL, virtio_queue_ring_align, "NULL transport: the bound for every transport",
        virtio_queue_ring_align(NULL), 4096);
    ROW(C_RANGE, virtio_queue_shadow_size, "size 0", virtio_queue_shadow_size(0), 0);
    ROW(C_RANGE, virtio_queue_shadow_size, "size 3", virtio_queue_shadow_size(3), 0);
    ROW(C_RANGE, virtio_queue_shadow_size, "size 65536", virtio_queue_shadow_size(65536), 0);
    ROW(C_RANGE, virtio_queue_mem_size, "size 0", virtio_queue_mem_size(t, 0), 0);
    ROW(C_RANGE, virtio_queue_mem_size, "size 6", virtio_queue_mem_size(t, 6), 0);
    ROW(C_RANGE, virtio_queue_mem_size, "size 65536", virtio_queue_mem_size(NULL, 65536), 0);

    /* Queue setup: zq is the output (zeroed: it must stay so). Queue 0 is live already. */
    ROW(C_NULL, virtio_queue_init, "NULL queue", virtio_queue_init(NULL, live, 1, qp),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_init, "NULL dev", virtio_queue_init(zq, NULL, 1, qp), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_init, "NULL params", virtio_queue_init(zq, live, 1, NULL),
        VIRTIO_EINVAL);
    qp->ring = NULL;
    ROW(C_NULL, virtio_queue_init, "NULL ring", virtio_queue_init(zq, ddev, 1, qp), VIRTIO_EINVAL);
    qp->ring = ring + 8;
    ROW(C_MISALIGN, virtio_queue_init, "ring 8 bytes past its alignment",
        virtio_queue_init(zq, ddev, 1, qp), VIRTIO_EINVAL);
    qp->ring = ring;
    qp->shadow = shadow + 1;
    ROW(C_MISALIGN, virtio_queue_init, "shadow at an odd address",
        virtio_queue_init(zq, ddev, 1, qp), VIRTIO_EINVAL);
    qp->shadow = shadow;
    qp->ring_size = rs - 1;
    ROW(C_SMALL, virtio_queue_init, "ring one byte short", virtio_queue_init(zq, ddev, 1, qp),
        VIRTIO_EINVAL);
    qp->ring_size = rs;
    qp->shadow_size = ss - 1;
    ROW(C_SMALL, virtio_queue_init, "shadow one byte short", virtio_queue_init(zq, ddev, 1, qp),
        VIRTIO_EINVAL);
    qp->shadow = NULL;
    qp->shadow_size = 0;
    qp->ring = ring2;
    qp->ring_size = rs + ss - 1;
    ROW(C_SMALL, virtio_queue_init, "ring with shadow inside it one byte short",
        virtio_queue_init(zq, ddev, 1, qp), VIRTIO_EINVAL);
    qp->ring = ring;
    qp->ring_size = rs;
    qp->shadow = shadow;
    qp->shadow_size = ss;
    qp->size = 6;
    ROW(C_RANGE, virtio_queue_init, "size 6 (not a power of two)",
        virtio_queue_init(zq, ddev, 1, qp), VIRTIO_EINVAL);
    qp->size = 0;
    ROW(C_RANGE, virtio_queue_init, "size 0", virtio_queue_init(zq, ddev, 1, qp), VIRTIO_EINVAL);
    qp->size = 8;
    ROW(C_RANGE, virtio_queue_init, "index 0x10000", virtio_queue_init(zq, ddev, 0x10000u, qp),
        VIRTIO_EINVAL);
    ROW_ASK(C_RANGE, virtio_queue_init, "queue 5 (the device has queue 0 only)", 1, &ddev->t.sel,
            sizeof ddev->t.sel, virtio_queue_init(zq, ddev, 5, qp), VIRTIO_ENOQUEUE);
    ROW(C_STATE, virtio_queue_init, "zeroed dev", virtio_queue_init(zq, zdev, 1, qp),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_queue_init, "features not negotiated", virtio_queue_init(zq, acked, 1, qp),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_queue_init, "after DRIVER_OK", virtio_queue_init(zq, live, 1, qp),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_queue_init, "queue 0 live already", virtio_queue_init(zq, ddev, 0, qp),
        VIRTIO_ENOQUEUE);

    /* Queue use */
    ROW(C_NULL, virtio_queue_add, "NULL queue", virtio_queue_add(NULL, segs, 1, 0, buf),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add, "NULL segments", virtio_queue_add(q, NULL, 1, 0, buf),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add, "NULL cookie", virtio_queue_add(q, segs, 1, 0, NULL),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add, "a segment with a NULL address",
        virtio_queue_add(q, segs, 1, 1, buf), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_queue_add, "a segment of 0 bytes", virtio_queue_add(q, segs + 2, 0, 1, buf),
        VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_queue_add, "an empty chain", virtio_queue_add(q, segs, 0, 0, buf),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_queue_add, "more segments than the queue has descriptors",
        virtio_queue_add(q, segs, 9, 0, buf), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_queue_add, "n_out + n_in wraps around",
        virtio_queue_add(q, segs, 1, 0xffffffffu, buf), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add, "three segments, the middle one NULL",
        virtio_queue_add(q, segs, 1, 2, buf), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_queue_add, "three segments, the last of 0 bytes",
        virtio_queue_add(q, seg3, 1, 2, buf), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_queue_add, "three segments, writable total over 32 bits",
        virtio_queue_add(q, seg3 + 3, 1, 2, buf), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_queue_add, "zeroed queue", virtio_queue_add(zq, segs, 1, 0, buf),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_queue_add_wait, "NULL queue",
        virtio_queue_add_wait(NULL, segs, 1, 0, buf, cookie, u32), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add_wait, "NULL segments",
        virtio_queue_add_wait(q, NULL, 1, 0, buf, cookie, u32), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add_wait, "NULL cookie",
        virtio_queue_add_wait(q, segs, 1, 0, NULL, cookie, u32), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add_wait, "a segment with a NULL address",
        virtio_queue_add_wait(q, segs, 1, 1, buf, cookie, u32), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_queue_add_wait, "a segment of 0 bytes",
        virtio_queue_add_wait(q, segs + 2, 0, 1, buf, cookie, u32), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_queue_add_wait, "an empty chain",
        virtio_queue_add_wait(q, segs, 0, 0, buf, cookie, u32), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_queue_add_wait, "more segments than the queue has descriptors",
        virtio_queue_add_wait(q, segs, 9, 0, buf, cookie, u32), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_queue_add_wait, "n_out + n_in wraps around",
        virtio_queue_add_wait(q, segs, 1, 0xffffffffu, buf, cookie, u32), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add_wait, "three segments, the middle one NULL",
        virtio_queue_add_wait(q, segs, 1, 2, buf, cookie, u32), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_queue_add_wait, "three segments, the last of 0 bytes",
        virtio_queue_add_wait(q, seg3, 1, 2, buf, cookie, u32), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_queue_add_wait, "three segments, writable total over 32 bits",
        virtio_queue_add_wait(q, seg3 + 3, 1, 2, buf, cookie, u32), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_queue_add_wait, "zeroed queue",
        virtio_queue_add_wait(zq, segs, 1, 0, buf, cookie, u32), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_queue_add_wait, "before DRIVER_OK",
        virtio_queue_add_wait(qpre, segs, 1, 0, buf, cookie, u32), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_queue_add3, "NULL queue",
        virtio_queue_add3(NULL, seg3 + 3, VIRTIO_ADD3_OUT, buf, cookie), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add3, "NULL segments",
        virtio_queue_add3(q, NULL, VIRTIO_ADD3_OUT, buf, cookie), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add3, "NULL cookie",
        virtio_queue_add3(q, seg3 + 3, VIRTIO_ADD3_OUT, NULL, cookie), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_queue_add3, "an unknown flag",
        virtio_queue_add3(q, seg3 + 3, VIRTIO_ADD3_OUT | 8u, buf, cookie), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add3, "the middle segment NULL",
        virtio_queue_add3(q, segs, 0, buf, cookie), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_queue_add3, "the middle segment NULL, looking for a configuration change",
        virtio_queue_add3(q, segs, VIRTIO_ADD3_CONFIG | VIRTIO_ADD3_WAIT, buf, cookie),
        VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_queue_add3, "the last segment of 0 bytes",
        virtio_queue_add3(q, seg3, VIRTIO_ADD3_CONFIG, buf, cookie), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_queue_add3, "the last segment of 0 bytes, waiting",
        virtio_queue_add3(q, seg3, VIRTIO_ADD3_CONFIG | VIRTIO_ADD3_WAIT, buf, cookie),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_queue_add3, "writable total over 32 bits",
        virtio_queue_add3(q, seg3 + 3, VIRTIO_ADD3_CONFIG, buf, cookie), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_queue_add3, "writable total over 32 bits, waiting",
        virtio_queue_add3(q, seg3 + 3, VIRTIO_ADD3_CONFIG | VIRTIO_ADD3_WAIT, buf, cookie),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_queue_add3, "zeroed queue",
        virtio_queue_add3(zq, seg3 + 3, VIRTIO_ADD3_OUT, buf, cookie), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_queue_add3, "zeroed queue, looking for a configuration change",
        virtio_queue_add3(zq, seg3 + 3, VIRTIO_ADD3_OUT | VIRTIO_ADD3_CONFIG, buf, cookie),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_queue_add3, "waiting before DRIVER_OK",
        virtio_queue_add3(qpre, seg3 + 3, VIRTIO_ADD3_OUT | VIRTIO_ADD3_CONFIG | VIRTIO_ADD3_WAIT,
                          buf, cookie),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_queue_kick, "NULL queue", virtio_queue_kick(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_queue_kick, "zeroed queue", virtio_queue_kick(zq), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_queue_kick, "before DRIVER_OK", virtio_queue_kick(qpre), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_queue_notify, "NULL queue", virtio_queue_notify(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_queue_notify, "zeroed queue", virtio_queue_notify(zq), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_queue_notify, "before DRIVER_OK", virtio_queue_notify(qpre), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_queue_poll, "NULL queue", virtio_queue_poll(NULL, cookie, u32),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_queue_poll, "zeroed queue", virtio_queue_poll(zq, cookie, u32),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_queue_wait, "NULL queue", virtio_queue_wait(NULL, cookie, u32),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_queue_wait, "zeroed queue", virtio_queue_wait(zq, cookie, u32),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_queue_wait, "nothing pending", virtio_queue_wait(q, cookie, u32),
        VIRTIO_EAGAIN);
    ROW(C_NULL, virtio_queue_spin, "NULL queue", virtio_queue_spin(NULL, 0), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_queue_spin, "zeroed queue", virtio_queue_spin(zq, 0), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_queue_size, "NULL queue", virtio_queue_size(NULL), 0);
    ROW(C_STATE, virtio_queue_size, "zeroed queue", virtio_queue_size(zq), 0);
    ROW(C_NULL, virtio_queue_free, "NULL queue", virtio_queue_free(NULL), 0);
    ROW(C_STATE, virtio_queue_free, "zeroed queue", virtio_queue_free(zq), 0);
    ROW(C_NULL, virtio_queue_pending, "NULL queue", virtio_queue_pending(NULL), 0);
    ROW(C_STATE, virtio_queue_pending, "zeroed queue", virtio_queue_pending(zq), 0);
    ROW(C_NULL, virtio_queue_usable, "NULL queue", virtio_queue_usable(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_queue_usable, "zeroed queue", virtio_queue_usable(zq), VIRTIO_ESTATE);

    /* Helpers */
    ROW(C_RANGE, virtio_result_str, "code 1 (no such result)",
        strcmp(virtio_result_str(1), "unknown virtio result"), 0);
    ROW(C_RANGE, virtio_result_str, "code -1000",
        strcmp(virtio_result_str(-1000), "unknown virtio result"), 0);
    ROWV(C_NULL, virtio_zero, "NULL with 0 bytes", virtio_zero(NULL, 0));
    ROWV(C_NULL, virtio_copy, "NULL with 0 bytes", virtio_copy(NULL, NULL, 0));
    ROW(C_RANGE, virtio_align_up, "alignment 1", virtio_align_up(4097, 1), 4097);
    buf[1] = 0x34;
    buf[2] = 0x12;
    buf[3] = 0x78;
    buf[4] = 0x56;
    buf[5] = 0xbc;
    buf[6] = 0x9a;
    buf[7] = 0xf0;
    buf[8] = 0xde;
    ROW(C_MISALIGN, virtio_le16, "odd address", virtio_le16(buf + 1), 0x1234u);
    ROW(C_MISALIGN, virtio_le32, "odd address", virtio_le32(buf + 1), 0x56781234u);
    ROW(C_MISALIGN, virtio_le64, "odd address", virtio_le64(buf + 1), 0xdef09abc56781234ull);
    /* The stores write outside the arena: then read back, neighbours untouched. */
    memset(outside, 0, sizeof outside);
    ROW(C_MISALIGN, virtio_put_le16, "odd address",
        (virtio_put_le16(outside + 1, 0x1234u),
         outside[0] == 0 && outside[1] == 0x34 && outside[2] == 0x12 && outside[3] == 0),
        1);
    ROW(C_MISALIGN, virtio_put_le32, "odd address",
        (virtio_put_le32(outside + 5, 0x12345678u),
         outside[4] == 0 && virtio_le32(outside + 5) == 0x12345678u && outside[9] == 0),
        1);
    memset(outside, 0, sizeof outside);
    ROW(C_MISALIGN, virtio_put_le64, "odd address",
        (virtio_put_le64(outside + 3, 0x0102030405060708ull),
         outside[2] == 0 && outside[3] == 8 && outside[10] == 1 && outside[11] == 0),
        1);
    env_close();
}

/* ---- Device headers: the states every driver object is tried in ----------------------------
   live: initialized and working; zero: never initialized; rst: initialized, then reset;
   failed: its init failed at negotiation (the device refused FEATURES_OK: calls return the
   latched VIRTIO_EFEATURES); brk: initialized, then latched broken (virtio_dev_fail: calls
   return VIRTIO_EDEVICE). Handles given a device of another type are in rows_wrongdev, what
   a device did not offer in rows_unoffered. Every handle of a device is set up on the one
   simulated device, live last; rows on the others must not touch it. */

/* Memory for a driver, exactly its size, patterned. */
static void *drv_mem(size_t size) { return pat(size, virtio_queue_ring_align(&E->t)); }

/* A handle whose init failed at negotiation: the device refuses FEATURES_OK (the error,
   VIRTIO_EFEATURES, is latched). Legacy devices have no FEATURES_OK: modern only. */
#define REFUSE(init_call)                                                                          \
    do {                                                                                           \
        E->s.refuse_features_ok = 1;                                                               \
        if ((init_call) != VIRTIO_EFEATURES) abort();                                              \
        E->s.refuse_features_ok = 0;                                                               \
    } while (0)

static void rows_blk(uint32_t ver) {
    virtio_blk *live, *zero, *rst, *failed, *brk;
    virtio_blk_params *p, *bad;
    uint8_t *mem, *mem2, *mem3, *buf;
    unsigned *id;
    int *res;
    char *idbuf;
    size_t ms;
    uint32_t maxreq;

    env_open(ver == 1 ? "blk/v1" : "blk/v2");
    if (sim_init_blk(&E->s, &E->a, ver, 64) != 0) abort();
    env_transport();
    live = (virtio_blk *)zeroed(sizeof *live, 8);
    zero = (virtio_blk *)zeroed(sizeof *zero, 8);
    rst = (virtio_blk *)zeroed(sizeof *rst, 8);
    failed = (virtio_blk *)zeroed(sizeof *failed, 8);
    p = (virtio_blk_params *)zeroed(sizeof *p, 8);
    bad = (virtio_blk_params *)zeroed(sizeof *bad, 8);
    p->queue_size = 16;
    p->requests = 4;
    ms = virtio_blk_mem_size(p, &E->t);
    mem = (uint8_t *)drv_mem(ms + 64);
    mem2 = (uint8_t *)drv_mem(ms);
    mem3 = (uint8_t *)drv_mem(ms);
    buf = (uint8_t *)pat(8192, 16);
    id = (unsigned *)pat(sizeof *id, 8);
    res = (int *)pat(sizeof *res, 8);
    idbuf = (char *)pat(VIRTIO_BLK_ID_BYTES, 8);
    if (virtio_blk_init(rst, &E->t, p, mem2, ms) != VIRTIO_OK) abort();
    if (virtio_blk_reset(rst) != VIRTIO_OK) abort();
    if (ver == 2) REFUSE(virtio_blk_init(failed, &E->t, p, mem3, ms));
    brk = (virtio_blk *)zeroed(sizeof *brk, 8);
    if (virtio_blk_init(brk, &E->t, p, drv_mem(ms), ms) != VIRTIO_OK) abort();
    if (virtio_dev_fail(&brk->dev, VIRTIO_EDEVICE) != VIRTIO_EDEVICE) abort();
    if (virtio_blk_init(live, &E->t, p, mem, ms) != VIRTIO_OK) abort();
    (void)virtio_blk_get_info(live); /* its first call reads the rest of the configuration */
    maxreq = virtio_blk_max_request(live);
    memset(mem + ms, PAT, 64);

    bad->queue_size = 3;
    ROW(C_RANGE, virtio_blk_mem_size, "queue_size 3", virtio_blk_mem_size(bad, &E->t), 0);
    bad->queue_size = 2;
    ROW(C_RANGE, virtio_blk_mem_size, "queue_size 2 (below 4)", virtio_blk_mem_size(bad, &E->t), 0);
    bad->queue_size = 65536;
    ROW(C_RANGE, virtio_blk_mem_size, "queue_size 65536", virtio_blk_mem_size(bad, &E->t), 0);
    bad->queue_size = 16;
    bad->requests = 65536;
    ROW(C_RANGE, virtio_blk_mem_size, "requests 65536", virtio_blk_mem_size(bad, &E->t), 0);
    ROW(C_NULL, virtio_blk_init, "NULL blk", virtio_blk_init(NULL, &E->t, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_blk_init, "NULL transport", virtio_blk_init(zero, NULL, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_blk_init, "NULL memory", virtio_blk_init(zero, &E->t, p, NULL, ms),
        VIRTIO_EINVAL);
    ROW(C_MISALIGN, virtio_blk_init, "memory 8 bytes past its alignment",
        virtio_blk_init(zero, &E->t, p, mem + 8, ms), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_blk_init, "memory one byte short",
        virtio_blk_init(zero, &E->t, p, mem2, ms - 1), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_blk_init, "requests 65536", virtio_blk_init(zero, &E->t, bad, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_blk_reset, "NULL blk", virtio_blk_reset(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_blk_reset, "zeroed blk", virtio_blk_reset(zero), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_blk_refresh, "NULL blk", virtio_blk_refresh(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_blk_refresh, "zeroed blk", virtio_blk_refresh(zero), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_blk_refresh, "reset blk", virtio_blk_refresh(rst), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_blk_capacity, "NULL blk", virtio_blk_capacity(NULL), 0);
    ROW(C_STATE, virtio_blk_capacity, "zeroed blk", virtio_blk_capacity(zero), 0);
    ROW(C_NULL, virtio_blk_block_size, "NULL blk", virtio_blk_block_size(NULL), 0);
    ROW(C_NULL, virtio_blk_read_only, "NULL blk", virtio_blk_read_only(NULL), 0);
    ROW(C_NULL, virtio_blk_can_flush, "NULL blk", virtio_blk_can_flush(NULL), 0);
    ROW(C_STATE, virtio_blk_can_flush, "zeroed blk", virtio_blk_can_flush(zero), 0);
    ROW(C_NULL, virtio_blk_max_request, "NULL blk", virtio_blk_max_request(NULL), 0);
    ROWP(C_NULL, virtio_blk_get_info, "NULL blk", virtio_blk_get_info(NULL), NULL);
    ROW(C_NULL, virtio_blk_pending, "NULL blk", virtio_blk_pending(NULL), 0);
    ROW(C_STATE, virtio_blk_pending, "reset blk", virtio_blk_pending(rst), 0);

    ROW(C_NULL, virtio_blk_read, "NULL blk", virtio_blk_read(NULL, 0, buf, 512), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_blk_read, "NULL buffer", virtio_blk_read(live, 0, NULL, 512), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_blk_read, "0 bytes", virtio_blk_read(live, 0, buf, 0), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_blk_read, "100 bytes (not a whole sector)",
        virtio_blk_read(live, 0, buf, 100), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_blk_read, "sector 64 of 64", virtio_blk_read(live, 64, buf, 512),
        VIRTIO_ERANGE);
    ROW(C_RANGE, virtio_blk_read, "two sectors from sector 63",
        virtio_blk_read(live, 63, buf, 1024), VIRTIO_ERANGE);
    ROW(C_RANGE, virtio_blk_read, "sector 2^64 - 1 (wraps)",
        virtio_blk_read(live, ~(uint64_t)0, buf, 1024), VIRTIO_ERANGE);
    ROW(C_STATE, virtio_blk_read, "zeroed blk", virtio_blk_read(zero, 0, buf, 512), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_blk_read, "reset blk", virtio_blk_read(rst, 0, buf, 512), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_blk_write, "NULL blk", virtio_blk_write(NULL, 0, buf, 512), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_blk_write, "NULL buffer", virtio_blk_write(live, 0, NULL, 512),
        VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_blk_write, "511 bytes", virtio_blk_write(live, 0, buf, 511), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_blk_write, "sector 65", virtio_blk_write(live, 65, buf, 512),
        VIRTIO_ERANGE);
    ROW(C_STATE, virtio_blk_write, "zeroed blk", virtio_blk_write(zero, 0, buf, 512),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_blk_write, "reset blk", virtio_blk_write(rst, 0, buf, 512), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_blk_flush, "NULL blk", virtio_blk_flush(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_blk_flush, "zeroed blk", virtio_blk_flush(zero), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_blk_flush, "reset blk", virtio_blk_flush(rst), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_blk_get_id, "NULL blk", virtio_blk_get_id(NULL, idbuf), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_blk_get_id, "NULL id", virtio_blk_get_id(live, NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_blk_get_id, "zeroed blk", virtio_blk_get_id(zero, idbuf), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_blk_discard, "NULL blk", virtio_blk_discard(NULL, 0, 8), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_blk_discard, "0 sectors", virtio_blk_discard(live, 0, 0), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_blk_discard, "past the end", virtio_blk_discard(live, 60, 8),
        VIRTIO_ERANGE);
    ROW(C_STATE, virtio_blk_discard, "zeroed blk", virtio_blk_discard(zero, 0, 8), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_blk_write_zeroes, "NULL blk", virtio_blk_write_zeroes(NULL, 0, 8, 0),
        VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_blk_write_zeroes, "0 sectors", virtio_blk_write_zeroes(live, 0, 0, 0),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_blk_write_zeroes, "past the end",
        virtio_blk_write_zeroes(live, ~(uint64_t)0 - 2, 8, 0), VIRTIO_ERANGE);
    ROW(C_STATE, virtio_blk_write_zeroes, "zeroed blk", virtio_blk_write_zeroes(zero, 0, 8, 1),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_blk_set_writeback, "NULL blk", virtio_blk_set_writeback(NULL, 1),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_blk_set_writeback, "zeroed blk", virtio_blk_set_writeback(zero, 1),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_blk_set_writeback, "reset blk", virtio_blk_set_writeback(rst, 1),
        VIRTIO_ESTATE);

    ROW(C_NULL, virtio_blk_submit, "NULL blk",
        virtio_blk_submit(NULL, VIRTIO_BLK_T_IN, 0, buf, 512, id), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_blk_submit, "NULL id",
        virtio_blk_submit(live, VIRTIO_BLK_T_IN, 0, buf, 512, NULL), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_blk_submit, "read with a NULL buffer",
        virtio_blk_submit(live, VIRTIO_BLK_T_IN, 0, NULL, 512, id), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_blk_submit, "GET_ID with 19 bytes",
        virtio_blk_submit(live, VIRTIO_BLK_T_GET_ID, 0, idbuf, 19, id), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_blk_submit, "write of 1000 bytes",
        virtio_blk_submit(live, VIRTIO_BLK_T_OUT, 0, buf, 1000, id), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_blk_submit, "type 99", virtio_blk_submit(live, 99, 0, buf, 512, id),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_blk_submit, "read above virtio_blk_max_request",
        virtio_blk_submit(live, VIRTIO_BLK_T_IN, 0, buf, (size_t)(maxreq + 1u) * 512u, id),
        maxreq + 1u <= 64u ? VIRTIO_EINVAL : VIRTIO_ERANGE);
    ROW(C_RANGE, virtio_blk_submit, "read past the end",
        virtio_blk_submit(live, VIRTIO_BLK_T_IN, 64, buf, 512, id), VIRTIO_ERANGE);
    ROW(C_STATE, virtio_blk_submit, "zeroed blk",
        virtio_blk_submit(zero, VIRTIO_BLK_T_IN, 0, buf, 512, id), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_blk_submit, "reset blk",
        virtio_blk_submit(rst, VIRTIO_BLK_T_IN, 0, buf, 512, id), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_blk_kick, "NULL blk", virtio_blk_kick(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_blk_kick, "zeroed blk", virtio_blk_kick(zero), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_blk_kick, "reset blk", virtio_blk_kick(rst), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_blk_poll, "NULL blk", virtio_blk_poll(NULL, id, res), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_blk_poll, "zeroed blk", virtio_blk_poll(zero, id, res), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_blk_poll, "reset blk", virtio_blk_poll(rst, id, res), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_blk_wait, "NULL blk", virtio_blk_wait(NULL, id, res), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_blk_wait, "zeroed blk", virtio_blk_wait(zero, id, res), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_blk_wait, "nothing pending", virtio_blk_wait(live, id, res), VIRTIO_EAGAIN);
    ROW(C_STATE, virtio_blk_read, "device broken (latched)", virtio_blk_read(brk, 0, buf, 512),
        VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_blk_write, "device broken (latched)", virtio_blk_write(brk, 0, buf, 512),
        VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_blk_submit, "device broken (latched)",
        virtio_blk_submit(brk, VIRTIO_BLK_T_IN, 0, buf, 512, id), VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_blk_kick, "device broken (latched)", virtio_blk_kick(brk), VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_blk_poll, "device broken (latched)", virtio_blk_poll(brk, id, res),
        VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_blk_set_writeback, "device broken (latched)",
        virtio_blk_set_writeback(brk, 1), VIRTIO_EDEVICE);
    if (ver == 2) {
        ROW(C_STATE, virtio_blk_read, "init failed", virtio_blk_read(failed, 0, buf, 512),
            VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_blk_write, "init failed", virtio_blk_write(failed, 0, buf, 512),
            VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_blk_flush, "init failed", virtio_blk_flush(failed), VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_blk_submit, "init failed",
            virtio_blk_submit(failed, VIRTIO_BLK_T_IN, 0, buf, 512, id), VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_blk_kick, "init failed", virtio_blk_kick(failed), VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_blk_poll, "init failed", virtio_blk_poll(failed, id, res),
            VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_blk_wait, "init failed", virtio_blk_wait(failed, id, res),
            VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_blk_refresh, "init failed", virtio_blk_refresh(failed),
            VIRTIO_EFEATURES);
    }
    env_close();
}

static void rows_rng(uint32_t ver) {
    virtio_rng *live, *zero, *rst, *failed, *busy, *brk;
    virtio_rng_params *p, *bad;
    uint8_t *mem, *mem2, *mem3, *mem4, *buf, *held;
    void **bp;
    uint32_t *got;
    size_t ms;

    env_open(ver == 1 ? "rng/v1" : "rng/v2");
    sim_init_rng(&E->s, &E->a, ver);
    env_transport();
    live = (virtio_rng *)zeroed(sizeof *live, 8);
    zero = (virtio_rng *)zeroed(sizeof *zero, 8);
    rst = (virtio_rng *)zeroed(sizeof *rst, 8);
    failed = (virtio_rng *)zeroed(sizeof *failed, 8);
    busy = (virtio_rng *)zeroed(sizeof *busy, 8);
    p = (virtio_rng_params *)zeroed(sizeof *p, 8);
    bad = (virtio_rng_params *)zeroed(sizeof *bad, 8);
    p->queue_size = 8;
    ms = virtio_rng_mem_size(p, &E->t);
    mem = (uint8_t *)drv_mem(ms + 64);
    mem2 = (uint8_t *)drv_mem(ms);
    mem3 = (uint8_t *)drv_mem(ms);
    mem4 = (uint8_t *)drv_mem(ms);
    buf = (uint8_t *)pat(64, 8);
    held = (uint8_t *)pat(16, 8);
    bp = (void **)pat(sizeof *bp, 8);
    got = (uint32_t *)pat(sizeof *got, 4);
    if (virtio_rng_init(rst, &E->t, p, mem2, ms) != VIRTIO_OK) abort();
    if (virtio_rng_reset(rst) != VIRTIO_OK) abort();
    if (ver == 2) REFUSE(virtio_rng_init(failed, &E->t, p, mem3, ms));
    /* busy: one buffer submitted, not kicked (the device never sees it). */
    if (virtio_rng_init(busy, &E->t, p, mem4, ms) != VIRTIO_OK) abort();
    if (virtio_rng_submit(busy, held, 16) != VIRTIO_OK) abort();
    memset(held, PAT, 16);
    brk = (virtio_rng *)zeroed(sizeof *brk, 8);
    if (virtio_rng_init(brk, &E->t, p, drv_mem(ms), ms) != VIRTIO_OK) abort();
    if (virtio_dev_fail(&brk->dev, VIRTIO_EDEVICE) != VIRTIO_EDEVICE) abort();
    if (virtio_rng_init(live, &E->t, p, mem, ms) != VIRTIO_OK) abort();

    bad->queue_size = 3;
    ROW(C_RANGE, virtio_rng_mem_size, "queue_size 3", virtio_rng_mem_size(bad, &E->t), 0);
    bad->queue_size = 65536;
    ROW(C_RANGE, virtio_rng_mem_size, "queue_size 65536", virtio_rng_mem_size(bad, &E->t), 0);
    ROW(C_NULL, virtio_rng_init, "NULL rng", virtio_rng_init(NULL, &E->t, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_rng_init, "NULL transport", virtio_rng_init(zero, NULL, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_rng_init, "NULL memory", virtio_rng_init(zero, &E->t, p, NULL, ms),
        VIRTIO_EINVAL);
    ROW(C_MISALIGN, virtio_rng_init, "memory 8 bytes past its alignment",
        virtio_rng_init(zero, &E->t, p, mem + 8, ms), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_rng_init, "memory one byte short",
        virtio_rng_init(zero, &E->t, p, mem2, ms - 1), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_rng_init, "queue_size 65536", virtio_rng_init(zero, &E->t, bad, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_rng_reset, "NULL rng", virtio_rng_reset(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_rng_reset, "zeroed rng", virtio_rng_reset(zero), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_rng_read, "NULL rng", virtio_rng_read(NULL, buf, 8), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_rng_read, "NULL buffer", virtio_rng_read(live, NULL, 8), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_rng_read, "zeroed rng", virtio_rng_read(zero, buf, 8), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_rng_read, "reset rng", virtio_rng_read(rst, buf, 8), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_rng_read, "a submitted buffer pending", virtio_rng_read(busy, buf, 8),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_rng_submit, "NULL rng", virtio_rng_submit(NULL, buf, 8), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_rng_submit, "NULL buffer", virtio_rng_submit(live, NULL, 8), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_rng_submit, "0 bytes", virtio_rng_submit(live, buf, 0), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_rng_submit, "zeroed rng", virtio_rng_submit(zero, buf, 8), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_rng_submit, "reset rng", virtio_rng_submit(rst, buf, 8), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_rng_kick, "NULL rng", virtio_rng_kick(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_rng_kick, "zeroed rng", virtio_rng_kick(zero), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_rng_poll, "NULL rng", virtio_rng_poll(NULL, bp, got), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_rng_poll, "zeroed rng", virtio_rng_poll(zero, bp, got), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_rng_wait, "NULL rng", virtio_rng_wait(NULL, bp, got), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_rng_wait, "zeroed rng", virtio_rng_wait(zero, bp, got), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_rng_wait, "nothing pending", virtio_rng_wait(live, bp, got), VIRTIO_EAGAIN);
    ROW(C_NULL, virtio_rng_pending, "NULL rng", virtio_rng_pending(NULL), 0);
    ROW(C_STATE, virtio_rng_pending, "reset rng", virtio_rng_pending(rst), 0);
    ROW(C_STATE, virtio_rng_read, "device broken (latched)", virtio_rng_read(brk, buf, 8),
        VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_rng_submit, "device broken (latched)", virtio_rng_submit(brk, buf, 8),
        VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_rng_poll, "device broken (latched)", virtio_rng_poll(brk, bp, got),
        VIRTIO_EDEVICE);
    if (ver == 2) {
        ROW(C_STATE, virtio_rng_read, "init failed", virtio_rng_read(failed, buf, 8),
            VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_rng_submit, "init failed", virtio_rng_submit(failed, buf, 8),
            VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_rng_wait, "init failed", virtio_rng_wait(failed, bp, got),
            VIRTIO_EFEATURES);
    }
    env_close();
}

static void rows_console(uint32_t ver) {
    virtio_console *live, *zero, *rst, *failed, *brk;
    virtio_console_params *p, *bad;
    virtio_dev *zdev, *edev;
    uint8_t *mem, *mem2, *mem3, *buf;
    size_t *got, *len, ms;
    const void **data;
    uint32_t *port;
    uint16_t *cols, *rows;

    env_open(ver == 1 ? "console/v1" : "console/v2");
    simc_init(&E->con, &E->s, &E->a, ver, 4, 80, 25);
    simc_add_port(&E->con, 0, NULL, 1, 1);
    simc_add_port(&E->con, 1, "org.test.alpha", 0, 1);
    env_transport();
    live = (virtio_console *)zeroed(sizeof *live, 8);
    zero = (virtio_console *)zeroed(sizeof *zero, 8);
    rst = (virtio_console *)zeroed(sizeof *rst, 8);
    failed = (virtio_console *)zeroed(sizeof *failed, 8);
    zdev = (virtio_dev *)zeroed(sizeof *zdev, 8);
    edev = (virtio_dev *)zeroed(sizeof *edev, 8);
    p = (virtio_console_params *)zeroed(sizeof *p, 8);
    bad = (virtio_console_params *)zeroed(sizeof *bad, 8);
    p->ports = 2;
    p->rx_bufs = 4;
    p->rx_buf_size = 64;
    p->ctrl_bufs = 8;
    ms = virtio_console_mem_size(p, &E->t);
    mem = (uint8_t *)drv_mem(ms + 64);
    mem2 = (uint8_t *)drv_mem(ms);
    mem3 = (uint8_t *)drv_mem(ms);
    buf = (uint8_t *)pat(64, 8);
    got = (size_t *)pat(sizeof *got, 8);
    len = (size_t *)pat(sizeof *len, 8);
    data = (const void **)pat(sizeof *data, 8);
    port = (uint32_t *)pat(sizeof *port, 4);
    cols = (uint16_t *)pat(sizeof *cols, 2);
    rows = (uint16_t *)pat(sizeof *rows, 2);
    if (virtio_console_init(rst, &E->t, p, mem2, ms) != VIRTIO_OK) abort();
    if (virtio_console_reset(rst) != VIRTIO_OK) abort();
    if (ver == 2) REFUSE(virtio_console_init(failed, &E->t, p, mem3, ms));
    brk = (virtio_console *)zeroed(sizeof *brk, 8);
    if (virtio_console_init(brk, &E->t, p, drv_mem(ms), ms) != VIRTIO_OK) abort();
    if (virtio_dev_fail(&brk->dev, VIRTIO_EDEVICE) != VIRTIO_EDEVICE) abort();
    if (virtio_console_init(live, &E->t, p, mem, ms) != VIRTIO_OK) abort();
    if (virtio_console_service(live) != VIRTIO_OK) abort();
    simc_pump(&E->con);
    if (virtio_console_service(live) != VIRTIO_OK) abort();
    if (virtio_console_emerg_init(edev, &E->t) != VIRTIO_OK) abort();

    bad->ports = VIRTIO_CONSOLE_PORTS_MAX + 1u;
    ROW(C_RANGE, virtio_console_mem_size, "ports above VIRTIO_CONSOLE_PORTS_MAX",
        virtio_console_mem_size(bad, &E->t), 0);
    bad->ports = 1;
    bad->rx_bufs = 32769;
    ROW(C_RANGE, virtio_console_mem_size, "rx_bufs 32769", virtio_console_mem_size(bad, &E->t), 0);
    bad->rx_bufs = 1;
    bad->rx_buf_size = 0x80000000u;
    ROW(C_RANGE, virtio_console_mem_size, "rx_buf_size 2 GiB", virtio_console_mem_size(bad, &E->t),
        0);
    bad->rx_buf_size = 64;
    bad->ports = 2;
    bad->ctrl_bufs = 32769;
    ROW(C_RANGE, virtio_console_mem_size, "ctrl_bufs 32769", virtio_console_mem_size(bad, &E->t),
        0);
    ROW(C_NULL, virtio_console_init, "NULL console", virtio_console_init(NULL, &E->t, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_init, "NULL transport", virtio_console_init(zero, NULL, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_init, "NULL memory", virtio_console_init(zero, &E->t, p, NULL, ms),
        VIRTIO_EINVAL);
    ROW(C_MISALIGN, virtio_console_init, "memory 8 bytes past its alignment",
        virtio_console_init(zero, &E->t, p, mem + 8, ms), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_console_init, "memory one byte short",
        virtio_console_init(zero, &E->t, p, mem2, ms - 1), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_init, "ctrl_bufs 32769",
        virtio_console_init(zero, &E->t, bad, mem2, ms), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_reset, "NULL console", virtio_console_reset(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_reset, "zeroed console", virtio_console_reset(zero), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_emerg_init, "NULL dev", virtio_console_emerg_init(NULL, &E->t),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_emerg_init, "NULL transport", virtio_console_emerg_init(zdev, NULL),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_emerg_write, "NULL dev", virtio_console_emerg_write(NULL, buf, 1),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_emerg_write, "NULL buffer",
        virtio_console_emerg_write(edev, NULL, 1), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_emerg_write, "zeroed dev", virtio_console_emerg_write(zdev, buf, 1),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_ports, "NULL console", virtio_console_ports(NULL), 0);
    ROW(C_STATE, virtio_console_ports, "zeroed console", virtio_console_ports(zero), 0);
    ROW(C_NULL, virtio_console_port_state, "NULL console", virtio_console_port_state(NULL, 0), 0);
    ROW(C_RANGE, virtio_console_port_state, "port 99", virtio_console_port_state(live, 99), 0);
    ROWP(C_NULL, virtio_console_port_name, "NULL console", virtio_console_port_name(NULL, 1), NULL);
    ROWP(C_RANGE, virtio_console_port_name, "port 99", virtio_console_port_name(live, 99), NULL);
    ROW(C_NULL, virtio_console_size, "NULL console", virtio_console_size(NULL, 0, cols, rows),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_size, "NULL cols", virtio_console_size(live, 0, NULL, rows),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_size, "port 99", virtio_console_size(live, 99, cols, rows),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_size, "zeroed console", virtio_console_size(zero, 0, cols, rows),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_service, "NULL console", virtio_console_service(NULL),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_service, "zeroed console", virtio_console_service(zero),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_console_service, "reset console", virtio_console_service(rst),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_find, "NULL console",
        virtio_console_find(NULL, "org.test.alpha", port), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_find, "NULL name", virtio_console_find(live, NULL, port),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_find, "NULL port", virtio_console_find(live, "org.test.alpha", NULL),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_find, "zeroed console",
        virtio_console_find(zero, "org.test.alpha", port), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_open, "NULL console", virtio_console_open(NULL, 1), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_open, "port 99", virtio_console_open(live, 99), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_open, "zeroed console", virtio_console_open(zero, 1),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_close, "NULL console", virtio_console_close(NULL, 1), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_close, "port 99", virtio_console_close(live, 99), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_close, "zeroed console", virtio_console_close(zero, 1),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_write, "NULL console", virtio_console_write(NULL, 0, buf, 4),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_write, "NULL buffer", virtio_console_write(live, 0, NULL, 4),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_write, "port 99", virtio_console_write(live, 99, buf, 4),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_write, "zeroed console", virtio_console_write(zero, 0, buf, 4),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_console_write, "reset console", virtio_console_write(rst, 0, buf, 4),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_write_submit, "NULL console",
        virtio_console_write_submit(NULL, 0, buf, 4), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_write_submit, "NULL buffer",
        virtio_console_write_submit(live, 0, NULL, 4), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_write_submit, "port 99",
        virtio_console_write_submit(live, 99, buf, 4), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_write_submit, "zeroed console",
        virtio_console_write_submit(zero, 0, buf, 4), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_kick, "NULL console", virtio_console_kick(NULL, 0), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_kick, "port 99", virtio_console_kick(live, 99), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_kick, "zeroed console", virtio_console_kick(zero, 0),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_write_poll, "NULL console", virtio_console_write_poll(NULL, 0),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_write_poll, "port 99", virtio_console_write_poll(live, 99),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_write_poll, "zeroed console", virtio_console_write_poll(zero, 0),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_write_wait, "NULL console", virtio_console_write_wait(NULL, 0),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_write_wait, "port 99", virtio_console_write_wait(live, 99),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_write_wait, "zeroed console", virtio_console_write_wait(zero, 0),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_console_write_wait, "nothing pending", virtio_console_write_wait(live, 0),
        VIRTIO_EAGAIN);
    ROW(C_NULL, virtio_console_write_pending, "NULL console", virtio_console_write_pending(NULL, 0),
        0);
    ROW(C_RANGE, virtio_console_write_pending, "port 99", virtio_console_write_pending(live, 99),
        0);
    ROW(C_NULL, virtio_console_read, "NULL console", virtio_console_read(NULL, 0, buf, 4, got),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_read, "NULL buffer", virtio_console_read(live, 0, NULL, 4, got),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_read, "NULL got", virtio_console_read(live, 0, buf, 4, NULL),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_read, "port 99", virtio_console_read(live, 99, buf, 4, got),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_read, "zeroed console", virtio_console_read(zero, 0, buf, 4, got),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_read_poll, "NULL console",
        virtio_console_read_poll(NULL, 0, buf, 4, got), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_read_poll, "NULL buffer",
        virtio_console_read_poll(live, 0, NULL, 4, got), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_read_poll, "NULL got",
        virtio_console_read_poll(live, 0, buf, 4, NULL), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_read_poll, "port 99",
        virtio_console_read_poll(live, 99, buf, 4, got), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_read_poll, "zeroed console",
        virtio_console_read_poll(zero, 0, buf, 4, got), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_recv_poll, "NULL console",
        virtio_console_recv_poll(NULL, 0, data, len), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_recv_poll, "NULL data", virtio_console_recv_poll(live, 0, NULL, len),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_recv_poll, "NULL len", virtio_console_recv_poll(live, 0, data, NULL),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_recv_poll, "port 99", virtio_console_recv_poll(live, 99, data, len),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_recv_poll, "zeroed console",
        virtio_console_recv_poll(zero, 0, data, len), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_recv_wait, "NULL console",
        virtio_console_recv_wait(NULL, 0, data, len), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_console_recv_wait, "NULL data", virtio_console_recv_wait(live, 0, NULL, len),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_recv_wait, "port 99", virtio_console_recv_wait(live, 99, data, len),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_recv_wait, "zeroed console",
        virtio_console_recv_wait(zero, 0, data, len), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_console_release, "NULL console", virtio_console_release(NULL, 0, 1),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_release, "port 99", virtio_console_release(live, 99, 1),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_console_release, "1 byte with nothing received",
        virtio_console_release(live, 0, 1), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_console_release, "zeroed console", virtio_console_release(zero, 0, 1),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_console_write, "device broken (latched)",
        virtio_console_write(brk, 0, buf, 4), VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_console_write_submit, "device broken (latched)",
        virtio_console_write_submit(brk, 0, buf, 4), VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_console_read_poll, "device broken (latched)",
        virtio_console_read_poll(brk, 0, buf, 4, got), VIRTIO_EDEVICE);
    if (ver == 2) {
        ROW(C_STATE, virtio_console_write, "init failed", virtio_console_write(failed, 0, buf, 4),
            VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_console_read_poll, "init failed",
            virtio_console_read_poll(failed, 0, buf, 4, got), VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_console_service, "init failed", virtio_console_service(failed),
            VIRTIO_EFEATURES);
    }
    env_close();
}

static void rows_net(uint32_t ver) {
    virtio_net *live, *zero, *rst, *failed, *brk;
    virtio_net_params *p, *bad;
    virtio_net_frame *fr, *notlent;
    uint8_t *mem, *mem2, *mem3, *frame, *mcast;
    const void **fp;
    size_t ms;

    env_open(ver == 1 ? "net/v1" : "net/v2");
    sim_init_net(&E->s, &E->a, ver, &E->net);
    env_transport();
    live = (virtio_net *)zeroed(sizeof *live, 8);
    zero = (virtio_net *)zeroed(sizeof *zero, 8);
    rst = (virtio_net *)zeroed(sizeof *rst, 8);
    failed = (virtio_net *)zeroed(sizeof *failed, 8);
    p = (virtio_net_params *)zeroed(sizeof *p, 8);
    bad = (virtio_net_params *)zeroed(sizeof *bad, 8);
    p->rx_queue_size = 16;
    p->tx_queue_size = 16;
    p->rx_bufs = 8;
    ms = virtio_net_mem_size(p, &E->t);
    mem = (uint8_t *)drv_mem(ms + 64);
    mem2 = (uint8_t *)drv_mem(ms);
    mem3 = (uint8_t *)drv_mem(ms);
    frame = (uint8_t *)pat(2048, 16);
    mcast = (uint8_t *)pat(6, 1);
    mcast[0] = 0x01;
    fr = (virtio_net_frame *)pat(sizeof *fr, 8);
    notlent = (virtio_net_frame *)pat(sizeof *notlent, 8);
    notlent->data = frame;
    notlent->len = 60;
    notlent->buf = 3;
    notlent->nbufs = 1;
    fp = (const void **)pat(sizeof *fp, 8);
    if (virtio_net_init(rst, &E->t, p, mem2, ms) != VIRTIO_OK) abort();
    if (virtio_net_reset(rst) != VIRTIO_OK) abort();
    if (ver == 2) REFUSE(virtio_net_init(failed, &E->t, p, mem3, ms));
    brk = (virtio_net *)zeroed(sizeof *brk, 8);
    if (virtio_net_init(brk, &E->t, p, drv_mem(ms), ms) != VIRTIO_OK) abort();
    if (virtio_dev_fail(&brk->dev, VIRTIO_EDEVICE) != VIRTIO_EDEVICE) abort();
    if (virtio_net_init(live, &E->t, p, mem, ms) != VIRTIO_OK) abort();

    bad->rx_queue_size = 3;
    ROW(C_RANGE, virtio_net_mem_size, "rx_queue_size 3", virtio_net_mem_size(bad, &E->t), 0);
    bad->rx_queue_size = 16;
    bad->tx_queue_size = 65536;
    ROW(C_RANGE, virtio_net_mem_size, "tx_queue_size 65536", virtio_net_mem_size(bad, &E->t), 0);
    bad->tx_queue_size = 16;
    bad->rx_buf_size = VIRTIO_NET_RX_BUF_MIN - 1u;
    ROW(C_SMALL, virtio_net_mem_size, "rx_buf_size below VIRTIO_NET_RX_BUF_MIN",
        virtio_net_mem_size(bad, &E->t), 0);
    bad->rx_buf_size = 0;
    bad->frame_mem_size = 1513;
    ROW(C_SMALL, virtio_net_mem_size, "frame_mem_size 1513", virtio_net_mem_size(bad, &E->t), 0);
    bad->frame_mem_size = 0;
    bad->rx_bufs = 65535;
    ROW(C_RANGE, virtio_net_mem_size, "rx_bufs 65535", virtio_net_mem_size(bad, &E->t), 0);
    bad->rx_bufs = 8;
    ROW(C_NULL, virtio_net_init, "NULL net", virtio_net_init(NULL, &E->t, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_net_init, "NULL transport", virtio_net_init(zero, NULL, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_net_init, "NULL memory", virtio_net_init(zero, &E->t, p, NULL, ms),
        VIRTIO_EINVAL);
    ROW(C_MISALIGN, virtio_net_init, "memory 8 bytes past its alignment",
        virtio_net_init(zero, &E->t, p, mem + 8, ms), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_net_init, "memory one byte short",
        virtio_net_init(zero, &E->t, p, mem2, ms - 1), VIRTIO_EINVAL);
    bad->mac = mcast;
    bad->rx_queue_size = bad->tx_queue_size = 16;
    ROW(C_RANGE, virtio_net_init, "a multicast MAC", virtio_net_init(zero, &E->t, bad, mem2, ms),
        VIRTIO_EINVAL);
    bad->mac = NULL;
    ROW(C_NULL, virtio_net_reset, "NULL net", virtio_net_reset(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_net_reset, "zeroed net", virtio_net_reset(zero), VIRTIO_ESTATE);
    ROWP(C_NULL, virtio_net_mac, "NULL net", virtio_net_mac(NULL), NULL);
    ROWP(C_STATE, virtio_net_mac, "zeroed net", virtio_net_mac(zero), NULL);
    ROW(C_NULL, virtio_net_mtu, "NULL net", virtio_net_mtu(NULL), 0);
    ROW(C_STATE, virtio_net_mtu, "zeroed net", virtio_net_mtu(zero), 0);
    ROW(C_NULL, virtio_net_max_frame, "NULL net", virtio_net_max_frame(NULL), 0);
    ROW(C_STATE, virtio_net_max_frame, "zeroed net", virtio_net_max_frame(zero), 0);
    ROW(C_NULL, virtio_net_hdr_len, "NULL net", virtio_net_hdr_len(NULL), 0);
    ROW(C_STATE, virtio_net_hdr_len, "zeroed net", virtio_net_hdr_len(zero), 0);
    ROW(C_NULL, virtio_net_link_up, "NULL net", virtio_net_link_up(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_net_link_up, "zeroed net", virtio_net_link_up(zero), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_net_link_up, "reset net", virtio_net_link_up(rst), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_net_recv_poll, "NULL net", virtio_net_recv_poll(NULL, fr), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_net_recv_poll, "NULL frame", virtio_net_recv_poll(live, NULL),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_net_recv_poll, "zeroed net", virtio_net_recv_poll(zero, fr), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_net_recv_poll, "reset net", virtio_net_recv_poll(rst, fr), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_net_recv_wait, "NULL net", virtio_net_recv_wait(NULL, fr), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_net_recv_wait, "NULL frame", virtio_net_recv_wait(live, NULL),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_net_recv_wait, "zeroed net", virtio_net_recv_wait(zero, fr), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_net_release, "NULL net", virtio_net_release(NULL, notlent), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_net_release, "NULL frame", virtio_net_release(live, NULL), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_net_release, "a frame that is not lent", virtio_net_release(live, notlent),
        VIRTIO_EINVAL);
    notlent->buf = 999;
    ROW(C_RANGE, virtio_net_release, "buffer number 999", virtio_net_release(live, notlent),
        VIRTIO_EINVAL);
    notlent->buf = 3;
    ROW(C_STATE, virtio_net_release, "zeroed net", virtio_net_release(zero, notlent),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_net_send, "NULL net", virtio_net_send(NULL, frame, 60), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_net_send, "NULL frame", virtio_net_send(live, NULL, 60), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_net_send, "13 bytes", virtio_net_send(live, frame, 13), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_net_send, "max_frame + 1 bytes",
        virtio_net_send(live, frame, virtio_net_max_frame(live) + 1u), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_net_send, "zeroed net", virtio_net_send(zero, frame, 60), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_net_send, "reset net", virtio_net_send(rst, frame, 60), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_net_send_submit, "NULL net", virtio_net_send_submit(NULL, frame, 60),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_net_send_submit, "NULL frame", virtio_net_send_submit(live, NULL, 60),
        VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_net_send_submit, "0 bytes", virtio_net_send_submit(live, frame, 0),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_net_send_submit, "max_frame + 1 bytes",
        virtio_net_send_submit(live, frame, virtio_net_max_frame(live) + 1u), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_net_send_submit, "zeroed net", virtio_net_send_submit(zero, frame, 60),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_net_kick, "NULL net", virtio_net_kick(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_net_kick, "zeroed net", virtio_net_kick(zero), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_net_kick, "reset net", virtio_net_kick(rst), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_net_send_poll, "NULL net", virtio_net_send_poll(NULL, fp), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_net_send_poll, "zeroed net", virtio_net_send_poll(zero, fp), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_net_send_wait, "NULL net", virtio_net_send_wait(NULL, fp), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_net_send_wait, "zeroed net", virtio_net_send_wait(zero, fp), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_net_send_wait, "nothing pending", virtio_net_send_wait(live, fp),
        VIRTIO_EAGAIN);
    ROW(C_NULL, virtio_net_send_pending, "NULL net", virtio_net_send_pending(NULL), 0);
    ROW(C_STATE, virtio_net_send_pending, "reset net", virtio_net_send_pending(rst), 0);
    ROW(C_STATE, virtio_net_send, "device broken (latched)", virtio_net_send(brk, frame, 60),
        VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_net_send_submit, "device broken (latched)",
        virtio_net_send_submit(brk, frame, 60), VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_net_recv_poll, "device broken (latched)", virtio_net_recv_poll(brk, fr),
        VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_net_link_up, "device broken (latched)", virtio_net_link_up(brk),
        VIRTIO_EDEVICE);
    if (ver == 2) {
        ROW(C_STATE, virtio_net_send, "init failed", virtio_net_send(failed, frame, 60),
            VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_net_recv_poll, "init failed", virtio_net_recv_poll(failed, fr),
            VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_net_link_up, "init failed", virtio_net_link_up(failed),
            VIRTIO_EFEATURES);
    }
    env_close();
}

static void rows_gpu(uint32_t ver) {
    virtio_gpu *live, *zero, *rst, *failed, *brk;
    virtio_gpu_params *p, *bad;
    virtio_gpu_rect *r, *rout, *rempty, *rok;
    virtio_gpu_piece *pieces;
    virtio_gpu_edid_info *einfo;
    uint8_t *mem, *mem2, *mem3, *fb, *fb2, *edid, *ebuf;
    uint32_t *u32;
    int *res, *en;
    size_t *len, ms, fbs;

    env_open(ver == 1 ? "gpu/v1" : "gpu/v2");
    sim_init_gpu(&E->s, &E->a, ver, 1, 640, 480);
    env_transport();
    live = (virtio_gpu *)zeroed(sizeof *live, 8);
    zero = (virtio_gpu *)zeroed(sizeof *zero, 8);
    rst = (virtio_gpu *)zeroed(sizeof *rst, 8);
    failed = (virtio_gpu *)zeroed(sizeof *failed, 8);
    p = (virtio_gpu_params *)zeroed(sizeof *p, 8);
    bad = (virtio_gpu_params *)zeroed(sizeof *bad, 8);
    p->ctrl_queue_size = 16;
    p->cursor_queue_size = 4;
    p->max_resources = 4;
    p->max_pieces = 4;
    ms = virtio_gpu_mem_size(p, &E->t);
    mem = (uint8_t *)drv_mem(ms + 64);
    mem2 = (uint8_t *)drv_mem(ms);
    mem3 = (uint8_t *)drv_mem(ms);
    fbs = virtio_gpu_fb_size(64, 64, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM);
    fb = (uint8_t *)zeroed(fbs, 64);
    fb2 = (uint8_t *)pat(fbs, 64);
    edid = (uint8_t *)pat(128, 8);
    ebuf = (uint8_t *)pat(1024, 8);
    einfo = (virtio_gpu_edid_info *)pat(sizeof *einfo, 8);
    r = (virtio_gpu_rect *)pat(sizeof *r, 8);
    rok = (virtio_gpu_rect *)zeroed(sizeof *rok, 8);
    rout = (virtio_gpu_rect *)zeroed(sizeof *rout, 8);
    rempty = (virtio_gpu_rect *)zeroed(sizeof *rempty, 8);
    rok->width = rok->height = 32;
    rout->x = 40;
    rout->width = rout->height = 32;
    rempty->width = 0;
    rempty->height = 16;
    pieces = (virtio_gpu_piece *)pat(8 * sizeof *pieces, 8);
    pieces[0].addr = fb2;
    pieces[0].len = fbs / 2;
    pieces[1].addr = fb2 + fbs / 2;
    pieces[1].len = 0;
    u32 = (uint32_t *)pat(sizeof *u32, 4);
    res = (int *)pat(sizeof *res, 4);
    en = (int *)pat(sizeof *en, 4);
    len = (size_t *)pat(sizeof *len, 8);
    if (virtio_gpu_init(rst, &E->t, p, mem2, ms) != VIRTIO_OK) abort();
    if (virtio_gpu_reset(rst) != VIRTIO_OK) abort();
    if (ver == 2) REFUSE(virtio_gpu_init(failed, &E->t, p, mem3, ms));
    brk = (virtio_gpu *)zeroed(sizeof *brk, 8);
    if (virtio_gpu_init(brk, &E->t, p, drv_mem(ms), ms) != VIRTIO_OK) abort();
    if (virtio_dev_fail(&brk->dev, VIRTIO_EDEVICE) != VIRTIO_EDEVICE) abort();
    if (virtio_gpu_init(live, &E->t, p, mem, ms) != VIRTIO_OK) abort();
    /* Resource 1: 64x64 with backing (a cursor); resource 2: 32x32 without. */
    if (virtio_gpu_resource_create(live, 1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 64, 64) ||
        virtio_gpu_attach_fb(live, 1, fb, fbs) ||
        virtio_gpu_resource_create(live, 2, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 32, 32))
        abort();

    bad->ctrl_queue_size = 2;
    ROW(C_RANGE, virtio_gpu_mem_size, "ctrl_queue_size 2 (below 4)",
        virtio_gpu_mem_size(bad, &E->t), 0);
    bad->ctrl_queue_size = 24;
    ROW(C_RANGE, virtio_gpu_mem_size, "ctrl_queue_size 24", virtio_gpu_mem_size(bad, &E->t), 0);
    bad->ctrl_queue_size = 16;
    bad->max_resources = 65536;
    ROW(C_RANGE, virtio_gpu_mem_size, "max_resources 65536", virtio_gpu_mem_size(bad, &E->t), 0);
    bad->max_resources = 4;
    bad->max_pieces = 65536;
    ROW(C_RANGE, virtio_gpu_mem_size, "max_pieces 65536", virtio_gpu_mem_size(bad, &E->t), 0);
    ROW(C_NULL, virtio_gpu_init, "NULL gpu", virtio_gpu_init(NULL, &E->t, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_gpu_init, "NULL transport", virtio_gpu_init(zero, NULL, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_gpu_init, "NULL memory", virtio_gpu_init(zero, &E->t, p, NULL, ms),
        VIRTIO_EINVAL);
    ROW(C_MISALIGN, virtio_gpu_init, "memory 8 bytes past its alignment",
        virtio_gpu_init(zero, &E->t, p, mem + 8, ms), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_gpu_init, "memory one byte short",
        virtio_gpu_init(zero, &E->t, p, mem2, ms - 1), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_init, "max_pieces 65536", virtio_gpu_init(zero, &E->t, bad, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_gpu_reset, "NULL gpu", virtio_gpu_reset(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_reset, "zeroed gpu", virtio_gpu_reset(zero), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_num_scanouts, "NULL gpu", virtio_gpu_num_scanouts(NULL), 0);
    ROW(C_STATE, virtio_gpu_num_scanouts, "zeroed gpu", virtio_gpu_num_scanouts(zero), 0);
    ROW(C_NULL, virtio_gpu_display, "NULL gpu", virtio_gpu_display(NULL, 0, r, en), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_display, "scanout 1 of 1", virtio_gpu_display(live, 1, r, en),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_display, "zeroed gpu", virtio_gpu_display(zero, 0, r, en),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_get_display_info, "NULL gpu", virtio_gpu_get_display_info(NULL),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_get_display_info, "zeroed gpu", virtio_gpu_get_display_info(zero),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_gpu_get_display_info, "reset gpu", virtio_gpu_get_display_info(rst),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_has_edid, "NULL gpu", virtio_gpu_has_edid(NULL), 0);
    ROW(C_STATE, virtio_gpu_has_edid, "zeroed gpu", virtio_gpu_has_edid(zero), 0);
    ROW(C_NULL, virtio_gpu_get_edid, "NULL gpu", virtio_gpu_get_edid(NULL, 0, ebuf, 1024, len),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_gpu_get_edid, "NULL buffer", virtio_gpu_get_edid(live, 0, NULL, 1024, len),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_get_edid, "scanout 5", virtio_gpu_get_edid(live, 5, ebuf, 1024, len),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_get_edid, "zeroed gpu", virtio_gpu_get_edid(zero, 0, ebuf, 1024, len),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_edid_parse, "NULL blob", virtio_gpu_edid_parse(NULL, 128, einfo),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_gpu_edid_parse, "NULL info", virtio_gpu_edid_parse(edid, 128, NULL),
        VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_gpu_edid_parse, "127 bytes", virtio_gpu_edid_parse(edid, 127, einfo),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_edid_parse, "bad header", virtio_gpu_edid_parse(edid, 128, einfo),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_gpu_poll_events, "NULL gpu", virtio_gpu_poll_events(NULL, u32),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_poll_events, "zeroed gpu", virtio_gpu_poll_events(zero, u32),
        VIRTIO_ESTATE);
    ROW(C_RANGE, virtio_gpu_stride, "width 0",
        virtio_gpu_stride(0, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM), 0);
    ROW(C_RANGE, virtio_gpu_stride, "width above VIRTIO_GPU_MAX_DIM",
        virtio_gpu_stride(VIRTIO_GPU_MAX_DIM + 1u, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM), 0);
    ROW(C_RANGE, virtio_gpu_stride, "format 99", virtio_gpu_stride(64, 99), 0);
    ROW(C_RANGE, virtio_gpu_fb_size, "height 0",
        virtio_gpu_fb_size(64, 0, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM), 0);
    ROW(C_RANGE, virtio_gpu_fb_size, "height above VIRTIO_GPU_MAX_DIM",
        virtio_gpu_fb_size(64, VIRTIO_GPU_MAX_DIM + 1u, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM), 0);
    ROW(C_RANGE, virtio_gpu_fb_size, "format 0", virtio_gpu_fb_size(64, 64, 0), 0);

    ROW(C_NULL, virtio_gpu_resource_create, "NULL gpu",
        virtio_gpu_resource_create(NULL, 3, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 64, 64),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_resource_create, "id 0",
        virtio_gpu_resource_create(live, 0, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 64, 64),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_resource_create, "id 1 exists",
        virtio_gpu_resource_create(live, 1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 64, 64),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_resource_create, "format 99",
        virtio_gpu_resource_create(live, 3, 99, 64, 64), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_resource_create, "width 0",
        virtio_gpu_resource_create(live, 3, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 0, 64),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_resource_create, "height above VIRTIO_GPU_MAX_DIM",
        virtio_gpu_resource_create(live, 3, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 64,
                                   VIRTIO_GPU_MAX_DIM + 1u),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_resource_create, "zeroed gpu",
        virtio_gpu_resource_create(zero, 3, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 64, 64),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_attach_backing, "NULL gpu",
        virtio_gpu_attach_backing(NULL, 2, pieces, 1), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_gpu_attach_backing, "NULL pieces",
        virtio_gpu_attach_backing(live, 2, NULL, 1), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_gpu_attach_backing, "0 pieces",
        virtio_gpu_attach_backing(live, 2, pieces, 0), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_gpu_attach_backing, "a piece of 0 bytes",
        virtio_gpu_attach_backing(live, 2, pieces, 2), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_attach_backing, "more pieces than max_pieces",
        virtio_gpu_attach_backing(live, 2, pieces, 5), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_attach_backing, "resource 7 not created",
        virtio_gpu_attach_backing(live, 7, pieces, 1), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_attach_backing, "resource 1 has backing already",
        virtio_gpu_attach_backing(live, 1, pieces, 1), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_gpu_attach_fb, "NULL gpu", virtio_gpu_attach_fb(NULL, 2, fb2, fbs),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_gpu_attach_fb, "NULL framebuffer", virtio_gpu_attach_fb(live, 2, NULL, fbs),
        VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_gpu_attach_fb, "one byte short of 32x32",
        virtio_gpu_attach_fb(live, 2, fb2, 32u * 32u * 4u - 1u), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_attach_fb, "resource 0", virtio_gpu_attach_fb(live, 0, fb2, fbs),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_attach_fb, "zeroed gpu", virtio_gpu_attach_fb(zero, 2, fb2, fbs),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_detach_backing, "NULL gpu", virtio_gpu_detach_backing(NULL, 1),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_detach_backing, "resource 7 not created",
        virtio_gpu_detach_backing(live, 7), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_detach_backing, "zeroed gpu", virtio_gpu_detach_backing(zero, 1),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_resource_unref, "NULL gpu", virtio_gpu_resource_unref(NULL, 1),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_resource_unref, "resource 0", virtio_gpu_resource_unref(live, 0),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_resource_unref, "resource 7 not created",
        virtio_gpu_resource_unref(live, 7), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_resource_unref, "zeroed gpu", virtio_gpu_resource_unref(zero, 1),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_set_scanout, "NULL gpu", virtio_gpu_set_scanout(NULL, 0, 1, rok),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_gpu_set_scanout, "NULL rectangle", virtio_gpu_set_scanout(live, 0, 1, NULL),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_set_scanout, "scanout 1 of 1", virtio_gpu_set_scanout(live, 1, 1, rok),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_set_scanout, "resource 7 not created",
        virtio_gpu_set_scanout(live, 0, 7, rok), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_set_scanout, "rectangle outside the resource",
        virtio_gpu_set_scanout(live, 0, 1, rout), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_set_scanout, "empty rectangle",
        virtio_gpu_set_scanout(live, 0, 1, rempty), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_set_scanout, "zeroed gpu", virtio_gpu_set_scanout(zero, 0, 1, rok),
        VIRTIO_ESTATE);
#define GPU_RECT_ROWS(fn)                                                                          \
    ROW(C_NULL, fn, "NULL gpu", fn(NULL, 1, rok), VIRTIO_EINVAL);                                  \
    ROW(C_NULL, fn, "NULL rectangle", fn(live, 1, NULL), VIRTIO_EINVAL);                           \
    ROW(C_RANGE, fn, "resource 7 not created", fn(live, 7, rok), VIRTIO_EINVAL);                   \
    ROW(C_RANGE, fn, "rectangle outside the resource", fn(live, 1, rout), VIRTIO_EINVAL);          \
    ROW(C_RANGE, fn, "empty rectangle", fn(live, 1, rempty), VIRTIO_EINVAL);                       \
    ROW(C_STATE, fn, "zeroed gpu", fn(zero, 1, rok), VIRTIO_ESTATE);                               \
    ROW(C_STATE, fn, "reset gpu", fn(rst, 1, rok), VIRTIO_ESTATE)
    GPU_RECT_ROWS(virtio_gpu_transfer);
    GPU_RECT_ROWS(virtio_gpu_flush);
    GPU_RECT_ROWS(virtio_gpu_update);
    GPU_RECT_ROWS(virtio_gpu_transfer_submit);
    GPU_RECT_ROWS(virtio_gpu_flush_submit);
#undef GPU_RECT_ROWS
    ROW(C_NULL, virtio_gpu_kick, "NULL gpu", virtio_gpu_kick(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_kick, "zeroed gpu", virtio_gpu_kick(zero), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_poll, "NULL gpu", virtio_gpu_poll(NULL, u32, res), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_poll, "zeroed gpu", virtio_gpu_poll(zero, u32, res), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_wait, "NULL gpu", virtio_gpu_wait(NULL, u32, res), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_wait, "zeroed gpu", virtio_gpu_wait(zero, u32, res), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_gpu_wait, "nothing pending", virtio_gpu_wait(live, u32, res),
        VIRTIO_EAGAIN);
    ROW(C_NULL, virtio_gpu_wait_all, "NULL gpu", virtio_gpu_wait_all(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_wait_all, "zeroed gpu", virtio_gpu_wait_all(zero), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_pending, "NULL gpu", virtio_gpu_pending(NULL), 0);
    ROW(C_STATE, virtio_gpu_pending, "reset gpu", virtio_gpu_pending(rst), 0);
    ROW(C_NULL, virtio_gpu_last_error, "NULL gpu", virtio_gpu_last_error(NULL), 0);
    ROW(C_NULL, virtio_gpu_cursor_set, "NULL gpu", virtio_gpu_cursor_set(NULL, 0, 1, 0, 0, 10, 10),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_cursor_set, "scanout 1 of 1",
        virtio_gpu_cursor_set(live, 1, 1, 0, 0, 10, 10), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_cursor_set, "resource 2 is 32x32 without backing",
        virtio_gpu_cursor_set(live, 0, 2, 0, 0, 10, 10), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_cursor_set, "resource 7 not created",
        virtio_gpu_cursor_set(live, 0, 7, 0, 0, 10, 10), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_cursor_set, "hot spot x 64 (outside)",
        virtio_gpu_cursor_set(live, 0, 1, 64, 0, 10, 10), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_cursor_set, "zeroed gpu",
        virtio_gpu_cursor_set(zero, 0, 1, 0, 0, 10, 10), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_cursor_move, "NULL gpu", virtio_gpu_cursor_move(NULL, 0, 1, 1),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_cursor_move, "scanout 1 of 1", virtio_gpu_cursor_move(live, 1, 1, 1),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_cursor_move, "zeroed gpu", virtio_gpu_cursor_move(zero, 0, 1, 1),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_gpu_cursor_hide, "NULL gpu", virtio_gpu_cursor_hide(NULL, 0), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_gpu_cursor_hide, "scanout 1 of 1", virtio_gpu_cursor_hide(live, 1),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_gpu_cursor_hide, "zeroed gpu", virtio_gpu_cursor_hide(zero, 0),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_gpu_resource_create, "device broken (latched)",
        virtio_gpu_resource_create(brk, 3, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 64, 64),
        VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_gpu_get_display_info, "device broken (latched)",
        virtio_gpu_get_display_info(brk), VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_gpu_cursor_move, "device broken (latched)",
        virtio_gpu_cursor_move(brk, 0, 1, 1), VIRTIO_EDEVICE);
    if (ver == 2) {
        ROW(C_STATE, virtio_gpu_resource_create, "init failed",
            virtio_gpu_resource_create(failed, 3, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 64, 64),
            VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_gpu_get_display_info, "init failed",
            virtio_gpu_get_display_info(failed), VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_gpu_kick, "init failed", virtio_gpu_kick(failed), VIRTIO_EFEATURES);
    }
    env_close();
}

static void rows_input(uint32_t ver) {
    virtio_input *live, *zero, *rst, *failed, *brk;
    virtio_input_params *p, *bad;
    virtio_input_devids *ids;
    virtio_input_absinfo *ai;
    virtio_input_event *ev, *evs;
    virtio_input_kbd *kbd;
    virtio_input_line *line;
    uint8_t *mem, *mem2, *mem3, *qbuf;
    char *lbuf;
    uint32_t *u32;
    size_t ms;

    env_open(ver == 1 ? "input/v1" : "input/v2");
    (void)simi_create(&E->s, &E->a, ver, SIMI_KEYBOARD);
    env_transport();
    live = (virtio_input *)zeroed(sizeof *live, 8);
    zero = (virtio_input *)zeroed(sizeof *zero, 8);
    rst = (virtio_input *)zeroed(sizeof *rst, 8);
    failed = (virtio_input *)zeroed(sizeof *failed, 8);
    p = (virtio_input_params *)zeroed(sizeof *p, 8);
    bad = (virtio_input_params *)zeroed(sizeof *bad, 8);
    p->event_bufs = 16;
    p->status_bufs = 2;
    ms = virtio_input_mem_size(p, &E->t);
    mem = (uint8_t *)drv_mem(ms + 64);
    mem2 = (uint8_t *)drv_mem(ms);
    mem3 = (uint8_t *)drv_mem(ms);
    ids = (virtio_input_devids *)pat(sizeof *ids, 8);
    ai = (virtio_input_absinfo *)pat(sizeof *ai, 8);
    ev = (virtio_input_event *)pat(sizeof *ev, 8);
    evs = (virtio_input_event *)pat(8 * sizeof *evs, 8);
    kbd = (virtio_input_kbd *)pat(sizeof *kbd, 8);
    line = (virtio_input_line *)pat(sizeof *line, 8);
    lbuf = (char *)pat(16, 8);
    qbuf = (uint8_t *)pat(128, 8);
    u32 = (uint32_t *)pat(sizeof *u32, 4);
    if (virtio_input_init(rst, &E->t, p, mem2, ms) != VIRTIO_OK) abort();
    if (virtio_input_reset(rst) != VIRTIO_OK) abort();
    if (ver == 2) REFUSE(virtio_input_init(failed, &E->t, p, mem3, ms));
    brk = (virtio_input *)zeroed(sizeof *brk, 8);
    if (virtio_input_init(brk, &E->t, p, drv_mem(ms), ms) != VIRTIO_OK) abort();
    if (virtio_dev_fail(&brk->dev, VIRTIO_EDEVICE) != VIRTIO_EDEVICE) abort();
    if (virtio_input_init(live, &E->t, p, mem, ms) != VIRTIO_OK) abort();

    bad->event_bufs = 15;
    ROW(C_RANGE, virtio_input_mem_size, "event_bufs 15", virtio_input_mem_size(bad, &E->t), 0);
    bad->event_bufs = 32769;
    ROW(C_RANGE, virtio_input_mem_size, "event_bufs 32769", virtio_input_mem_size(bad, &E->t), 0);
    bad->event_bufs = 16;
    bad->status_bufs = 32769;
    ROW(C_RANGE, virtio_input_mem_size, "status_bufs 32769", virtio_input_mem_size(bad, &E->t), 0);
    ROW(C_NULL, virtio_input_init, "NULL input", virtio_input_init(NULL, &E->t, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_init, "NULL transport", virtio_input_init(zero, NULL, p, mem2, ms),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_init, "NULL memory", virtio_input_init(zero, &E->t, p, NULL, ms),
        VIRTIO_EINVAL);
    ROW(C_MISALIGN, virtio_input_init, "memory 8 bytes past its alignment",
        virtio_input_init(zero, &E->t, p, mem + 8, ms), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_input_init, "memory one byte short",
        virtio_input_init(zero, &E->t, p, mem2, ms - 1), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_input_init, "status_bufs 32769",
        virtio_input_init(zero, &E->t, bad, mem2, ms), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_reset, "NULL input", virtio_input_reset(NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_input_reset, "zeroed input", virtio_input_reset(zero), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_input_name, "NULL input", strcmp(virtio_input_name(NULL), ""), 0);
    ROW(C_STATE, virtio_input_name, "zeroed input", strcmp(virtio_input_name(zero), ""), 0);
    ROW(C_NULL, virtio_input_serial, "NULL input", strcmp(virtio_input_serial(NULL), ""), 0);
    ROW(C_STATE, virtio_input_serial, "zeroed input", strcmp(virtio_input_serial(zero), ""), 0);
    ROW(C_NULL, virtio_input_ids, "NULL input", virtio_input_ids(NULL, ids), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_ids, "NULL ids", virtio_input_ids(live, NULL), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_input_ids, "zeroed input", virtio_input_ids(zero, ids), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_input_has_type, "NULL input", virtio_input_has_type(NULL, 1), 0);
    ROW(C_RANGE, virtio_input_has_type, "type 0x1000", virtio_input_has_type(live, 0x1000), 0);
    ROW(C_STATE, virtio_input_has_type, "zeroed input", virtio_input_has_type(zero, 1), 0);
    ROW(C_NULL, virtio_input_has_event, "NULL input", virtio_input_has_event(NULL, 1, 30), 0);
    ROW(C_RANGE, virtio_input_has_event, "code 0x10000", virtio_input_has_event(live, 1, 0x10000),
        0);
    ROW(C_RANGE, virtio_input_has_event, "type 0xffffffff",
        virtio_input_has_event(live, 0xffffffffu, 30), 0);
    ROW(C_NULL, virtio_input_abs_info, "NULL input", virtio_input_abs_info(NULL, 0, ai),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_abs_info, "NULL info", virtio_input_abs_info(live, 0, NULL),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_input_abs_info, "zeroed input", virtio_input_abs_info(zero, 0, ai),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_input_props, "NULL input", virtio_input_props(NULL), 0);
    ROW(C_STATE, virtio_input_props, "zeroed input", virtio_input_props(zero), 0);
    ROW(C_NULL, virtio_input_query, "NULL input", virtio_input_query(NULL, 1, 0, qbuf, 128, u32),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_query, "NULL buffer with buf_size 128",
        virtio_input_query(live, 1, 0, NULL, 128, u32), VIRTIO_EINVAL);
    ROW(C_STATE, virtio_input_query, "zeroed input", virtio_input_query(zero, 1, 0, qbuf, 128, u32),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_input_recv_poll, "NULL input", virtio_input_recv_poll(NULL, ev),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_recv_poll, "NULL event", virtio_input_recv_poll(live, NULL),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_input_recv_poll, "zeroed input", virtio_input_recv_poll(zero, ev),
        VIRTIO_ESTATE);
    ROW(C_STATE, virtio_input_recv_poll, "reset input", virtio_input_recv_poll(rst, ev),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_input_recv_wait, "NULL input", virtio_input_recv_wait(NULL, ev),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_recv_wait, "NULL event", virtio_input_recv_wait(live, NULL),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_input_recv_wait, "zeroed input", virtio_input_recv_wait(zero, ev),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_input_report_poll, "NULL input", virtio_input_report_poll(NULL, evs, 8, u32),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_report_poll, "NULL events",
        virtio_input_report_poll(live, NULL, 8, u32), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_report_poll, "NULL n", virtio_input_report_poll(live, evs, 8, NULL),
        VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_input_report_poll, "max 0", virtio_input_report_poll(live, evs, 0, u32),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_input_report_poll, "zeroed input",
        virtio_input_report_poll(zero, evs, 8, u32), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_input_report_wait, "NULL input", virtio_input_report_wait(NULL, evs, 8, u32),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_report_wait, "NULL events",
        virtio_input_report_wait(live, NULL, 8, u32), VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_input_report_wait, "max 0", virtio_input_report_wait(live, evs, 0, u32),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_input_report_wait, "zeroed input",
        virtio_input_report_wait(zero, evs, 8, u32), VIRTIO_ESTATE);
    ROW(C_NULL, virtio_input_send_status, "NULL input", virtio_input_send_status(NULL, 0x11, 1, 1),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_input_send_status, "zeroed input",
        virtio_input_send_status(zero, 0x11, 1, 1), VIRTIO_ESTATE);
    ROW(C_STATE, virtio_input_send_status, "reset input", virtio_input_send_status(rst, 0x11, 1, 1),
        VIRTIO_ESTATE);
    ROW(C_NULL, virtio_input_status_pending, "NULL input", virtio_input_status_pending(NULL), 0);
    ROW(C_STATE, virtio_input_status_pending, "reset input", virtio_input_status_pending(rst), 0);
    ROW(C_RANGE, virtio_input_key_to_ascii, "code 0x10000",
        virtio_input_key_to_ascii(0x10000, 0, 0), 0);
    ROW(C_RANGE, virtio_input_key_to_ascii, "code 0xffffffff",
        virtio_input_key_to_ascii(0xffffffffu, 1, 1), 0);
    ROW(C_NULL, virtio_input_kbd_init, "NULL keyboard", virtio_input_kbd_init(NULL, live),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_kbd_feed, "NULL keyboard", virtio_input_kbd_feed(NULL, ev),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_kbd_feed, "NULL event", virtio_input_kbd_feed(kbd, NULL),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_line_init, "NULL line", virtio_input_line_init(NULL, lbuf, 16),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_line_init, "NULL buffer", virtio_input_line_init(line, NULL, 16),
        VIRTIO_EINVAL);
    ROW(C_SMALL, virtio_input_line_init, "size 0", virtio_input_line_init(line, lbuf, 0),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_input_line_init, "size 2^31 + 1",
        virtio_input_line_init(line, lbuf, 0x80000001u), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_input_line_feed, "NULL line", virtio_input_line_feed(NULL, 'a'),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_input_recv_poll, "device broken (latched)", virtio_input_recv_poll(brk, ev),
        VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_input_send_status, "device broken (latched)",
        virtio_input_send_status(brk, 0x11, 1, 1), VIRTIO_EDEVICE);
    ROW(C_STATE, virtio_input_query, "device broken (latched)",
        virtio_input_query(brk, 1, 0, qbuf, 128, u32), VIRTIO_EDEVICE);
    if (ver == 2) {
        ROW(C_STATE, virtio_input_recv_poll, "init failed", virtio_input_recv_poll(failed, ev),
            VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_input_send_status, "init failed",
            virtio_input_send_status(failed, 0x11, 1, 1), VIRTIO_EFEATURES);
        ROW(C_STATE, virtio_input_query, "init failed",
            virtio_input_query(failed, 1, 0, qbuf, 128, u32), VIRTIO_EFEATURES);
    }
    env_close();
}

/* ---- virtio_device.h (the device side): result and memory; it has no registers of ours ---- */
static void *dv_gpa(void *user, uint64_t gpa, uint64_t len, int write) {
    (void)user;
    (void)gpa;
    (void)len;
    (void)write;
    return NULL;
}
static size_t dv_fill(void *user, uint8_t *p, size_t n) {
    (void)user;
    (void)p;
    return n;
}
static void dv_out(void *user, const uint8_t *p, size_t n) {
    (void)user;
    (void)p;
    (void)n;
}
static int dv_io_read(void *user, uint64_t off, void *p, size_t n) {
    (void)user;
    (void)off;
    (void)p;
    (void)n;
    return 0;
}

static void rows_device(void) {
    virtio_device *d, *zd;
    virtio_device_ops *ops, *badops;
    virtio_device_host *host, *nogpa;
    virtio_device_chain *c;
    virtio_device_blk *b, *zb;
    virtio_device_blk_io *io, *noread;
    virtio_device_console *con;
    virtio_device_rng *rng;
    uint32_t *val;
    uint8_t *seg, *dst, *disk;
    static uint32_t readback;

    env_open("device");
    d = (virtio_device *)zeroed(sizeof *d, 8);
    zd = (virtio_device *)zeroed(sizeof *zd, 8);
    ops = (virtio_device_ops *)zeroed(sizeof *ops, 8);
    badops = (virtio_device_ops *)zeroed(sizeof *badops, 8);
    host = (virtio_device_host *)zeroed(sizeof *host, 8);
    nogpa = (virtio_device_host *)zeroed(sizeof *nogpa, 8);
    c = (virtio_device_chain *)zeroed(sizeof *c, 8);
    b = (virtio_device_blk *)pat(sizeof *b, 8);
    zb = (virtio_device_blk *)zeroed(sizeof *zb, 8);
    io = (virtio_device_blk_io *)zeroed(sizeof *io, 8);
    noread = (virtio_device_blk_io *)zeroed(sizeof *noread, 8);
    con = (virtio_device_console *)pat(sizeof *con, 8);
    rng = (virtio_device_rng *)pat(sizeof *rng, 8);
    val = (uint32_t *)pat(sizeof *val, 4);
    seg = (uint8_t *)pat(16, 8);
    dst = (uint8_t *)pat(16, 8);
    disk = (uint8_t *)pat(4096, 8);
    host->gpa = dv_gpa;
    nogpa->user = NULL;
    ops->device_id = VIRTIO_ID_RNG;
    ops->queues = 1;
    ops->queue_size = 8;
    ops->config_size = 8;
    io->read = dv_io_read;
    io->write = NULL;
    noread->write = NULL;
    c->n = 2;
    c->n_out = 1;
    c->out_len = 16;
    c->in_len = 16;
    c->seg[0].p = seg;
    c->seg[0].len = 8;
    c->seg[1].p = seg + 8;
    c->seg[1].len = 8;
    if (virtio_device_init(d, ops, host, 0) != VIRTIO_OK) abort();

    ROW(C_NULL, virtio_device_init, "NULL device", virtio_device_init(NULL, ops, host, 0),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_init, "NULL ops", virtio_device_init(zd, NULL, host, 0),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_init, "NULL host", virtio_device_init(zd, ops, NULL, 0),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_init, "host without gpa", virtio_device_init(zd, ops, nogpa, 0),
        VIRTIO_EINVAL);
    *badops = *ops;
    badops->queues = VIRTIO_DEVICE_MAX_QUEUES + 1u;
    ROW(C_RANGE, virtio_device_init, "queues above VIRTIO_DEVICE_MAX_QUEUES",
        virtio_device_init(zd, badops, host, 0), VIRTIO_EINVAL);
    badops->queues = 1;
    badops->queue_size = 6;
    ROW(C_RANGE, virtio_device_init, "queue_size 6", virtio_device_init(zd, badops, host, 0),
        VIRTIO_EINVAL);
    badops->queue_size = 8;
    badops->config_size = VIRTIO_DEVICE_CONFIG_MAX + 1u;
    ROW(C_RANGE, virtio_device_init, "config_size above VIRTIO_DEVICE_CONFIG_MAX",
        virtio_device_init(zd, badops, host, 0), VIRTIO_EINVAL);

    *val = 0x12345678u;
    ROW(C_NULL, virtio_device_mmio, "NULL device", virtio_device_mmio(NULL, 0x70, 4, 1, val),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_mmio, "NULL value", virtio_device_mmio(d, 0x70, 4, 1, NULL),
        VIRTIO_EINVAL);
    ROW(C_STATE, virtio_device_mmio, "zeroed device", virtio_device_mmio(zd, 0x70, 4, 1, val),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_device_mmio, "width 3", virtio_device_mmio(d, 0x100, 3, 1, val),
        VIRTIO_EINVAL);
    ROW(C_MISALIGN, virtio_device_mmio, "Status at 0x72, width 4",
        virtio_device_mmio(d, 0x72, 4, 1, val), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_device_mmio, "Status written 2 bytes wide",
        virtio_device_mmio(d, 0x70, 2, 1, val), VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_device_mmio, "MagicValue written", virtio_device_mmio(d, 0x0, 4, 1, val),
        VIRTIO_EINVAL);
    ROW(C_RANGE, virtio_device_mmio, "offset 0x1000 (past the configuration)",
        virtio_device_mmio(d, 0x1000, 4, 1, val), VIRTIO_EINVAL);
    *val = 0;
    ROW(C_STATE, virtio_device_mmio, "QueueNotify before DRIVER_OK",
        virtio_device_mmio(d, 0x50, 4, 1, val), VIRTIO_ESTATE);
    *val = VIRTIO_STATUS_DRIVER_OK;
    ROW(C_STATE, virtio_device_mmio, "Status DRIVER_OK before ACKNOWLEDGE",
        virtio_device_mmio(d, 0x70, 4, 1, val), VIRTIO_ESTATE);
    readback = 0xdeadbeefu;
    ROW(C_RANGE, virtio_device_mmio, "QueueNotify read (write-only): the read gives 0",
        virtio_device_mmio(d, 0x50, 4, 0, &readback) == VIRTIO_EINVAL && readback == 0, 1);

    ROWV(C_NULL, virtio_device_set_offer, "NULL device", virtio_device_set_offer(NULL, 1));
    ROWV(C_STATE, virtio_device_set_offer, "zeroed device", virtio_device_set_offer(zd, 1));
    ROW(C_NULL, virtio_device_offered, "NULL device", virtio_device_offered(NULL), 0);
    ROW(C_NULL, virtio_device_has, "NULL device", virtio_device_has(NULL, 1), 0);
    ROW(C_RANGE, virtio_device_has, "bit 64", virtio_device_has(d, 64), 0);
    ROW(C_NULL, virtio_device_status, "NULL device", virtio_device_status(NULL), 0);
    ROW(C_NULL, virtio_device_queue_live, "NULL device", virtio_device_queue_live(NULL, 0), 0);
    ROW(C_STATE, virtio_device_queue_live, "zeroed device", virtio_device_queue_live(zd, 0), 0);
    ROW(C_RANGE, virtio_device_queue_live, "queue 99", virtio_device_queue_live(d, 99), 0);
    ROW(C_NULL, virtio_device_pop, "NULL device", virtio_device_pop(NULL, 0, c), 0);
    ROW(C_NULL, virtio_device_pop, "NULL chain", virtio_device_pop(d, 0, NULL), 0);
    ROW(C_STATE, virtio_device_pop, "zeroed device", virtio_device_pop(zd, 0, c), 0);
    ROW(C_RANGE, virtio_device_pop, "queue 99", virtio_device_pop(d, 99, c), 0);
    ROW(C_STATE, virtio_device_pop, "queue 0 not live", virtio_device_pop(d, 0, c), 0);
    ROWV(C_NULL, virtio_device_push, "NULL device", virtio_device_push(NULL, 0, c, 4));
    ROWV(C_NULL, virtio_device_push, "NULL chain", virtio_device_push(d, 0, NULL, 4));
    ROWV(C_STATE, virtio_device_push, "zeroed device", virtio_device_push(zd, 0, c, 4));
    ROWV(C_RANGE, virtio_device_push, "queue 99", virtio_device_push(d, 99, c, 4));
    ROWV(C_STATE, virtio_device_push, "queue 0 not live", virtio_device_push(d, 0, c, 4));
    ROW(C_NULL, virtio_device_chain_read, "NULL chain", virtio_device_chain_read(NULL, 0, dst, 8),
        0);
    ROW(C_RANGE, virtio_device_chain_read, "offset past the readable part",
        virtio_device_chain_read(c, 8, dst, 8), 0);
    ROW(C_NULL, virtio_device_chain_write, "NULL chain", virtio_device_chain_write(NULL, 0, dst, 8),
        0);
    ROW(C_RANGE, virtio_device_chain_write, "offset past the writable part",
        virtio_device_chain_write(c, 8, dst, 8), 0);
    ROWV(C_NULL, virtio_device_fail, "NULL device", virtio_device_fail(NULL));
    ROWV(C_STATE, virtio_device_fail, "zeroed device", virtio_device_fail(zd));
    ROWV(C_NULL, virtio_device_config_set, "NULL device", virtio_device_config_set(NULL, 0, 4, 1));
    ROWV(C_STATE, virtio_device_config_set, "zeroed device", virtio_device_config_set(zd, 0, 4, 1));
    ROWV(C_RANGE, virtio_device_config_set, "offset VIRTIO_DEVICE_CONFIG_MAX",
         virtio_device_config_set(d, VIRTIO_DEVICE_CONFIG_MAX, 1, 1));
    ROWV(C_RANGE, virtio_device_config_set, "4 bytes at VIRTIO_DEVICE_CONFIG_MAX - 2",
         virtio_device_config_set(d, VIRTIO_DEVICE_CONFIG_MAX - 2u, 4, 1));
    ROWV(C_RANGE, virtio_device_config_set, "width 16", virtio_device_config_set(d, 0, 16, 1));
    ROWV(C_NULL, virtio_device_config_changed, "NULL device", virtio_device_config_changed(NULL));
    ROWV(C_STATE, virtio_device_config_changed, "zeroed device", virtio_device_config_changed(zd));

    ROW(C_NULL, virtio_device_blk_init, "NULL device",
        virtio_device_blk_init(NULL, host, 0, disk, 4096), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_blk_init, "NULL host", virtio_device_blk_init(b, NULL, 0, disk, 4096),
        VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_blk_init, "NULL disk with 4096 bytes",
        virtio_device_blk_init(b, host, 0, NULL, 4096), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_blk_init_io, "NULL device",
        virtio_device_blk_init_io(NULL, host, 0, io, 8), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_blk_init_io, "NULL io",
        virtio_device_blk_init_io(b, host, 0, NULL, 8), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_blk_init_io, "io without write",
        virtio_device_blk_init_io(b, host, 0, io, 8), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_blk_init_io, "io without read",
        virtio_device_blk_init_io(b, host, 0, noread, 8), VIRTIO_EINVAL);
    io->write = NULL;
    ROW(C_RANGE, virtio_device_blk_init_io, "2^64 - 1 sectors",
        virtio_device_blk_init_io(b, host, 0, io, ~(uint64_t)0), VIRTIO_EINVAL);
    ROWV(C_NULL, virtio_device_blk_set_readonly, "NULL device",
         virtio_device_blk_set_readonly(NULL, 1));
    ROWV(C_STATE, virtio_device_blk_set_readonly, "zeroed device",
         virtio_device_blk_set_readonly(zb, 1));
    ROWV(C_NULL, virtio_device_blk_set_id, "NULL device", virtio_device_blk_set_id(NULL, "x"));
    ROWV(C_NULL, virtio_device_blk_set_id, "NULL id", virtio_device_blk_set_id(zb, NULL));
    ROW(C_NULL, virtio_device_console_init, "NULL device",
        virtio_device_console_init(NULL, host, 0, dv_out, NULL), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_console_init, "NULL host",
        virtio_device_console_init(con, NULL, 0, dv_out, NULL), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_console_input, "NULL device",
        virtio_device_console_input(NULL, seg, 4), 0);
    ROWV(C_NULL, virtio_device_console_resize, "NULL device",
         virtio_device_console_resize(NULL, 80, 25));
    ROW(C_NULL, virtio_device_rng_init, "NULL device",
        virtio_device_rng_init(NULL, host, 0, dv_fill, NULL), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_rng_init, "NULL fill",
        virtio_device_rng_init(rng, host, 0, NULL, NULL), VIRTIO_EINVAL);
    ROW(C_NULL, virtio_device_rng_init, "NULL host",
        virtio_device_rng_init(rng, NULL, 0, dv_fill, NULL), VIRTIO_EINVAL);
    env_close();
}

/* ---- Wrong device: each driver's init given a device of another type ----------------------
   VIRTIO_ENODEV before any register access or memory write; the handle stays as it was
   (zeroed), so every later call on it is VIRTIO_ESTATE. */
static void rows_wrongdev(uint32_t ver) {
    virtio_blk *blk;
    virtio_rng *rng;
    virtio_console *con;
    virtio_net *net;
    virtio_gpu *gpu;
    virtio_input *in;
    virtio_dev *dev;
    uint8_t *mem, *buf;
    size_t ms = 1u << 20;

    env_open(ver == 1 ? "wrongdev/v1" : "wrongdev/v2");
    if (sim_init_blk(&E->s, &E->a, ver, 64) != 0) abort();
    env_transport();
    mem = (uint8_t *)drv_mem(ms);
    buf = (uint8_t *)pat(512, 16);
    blk = (virtio_blk *)zeroed(sizeof *blk, 8);
    rng = (virtio_rng *)zeroed(sizeof *rng, 8);
    con = (virtio_console *)zeroed(sizeof *con, 8);
    net = (virtio_net *)zeroed(sizeof *net, 8);
    gpu = (virtio_gpu *)zeroed(sizeof *gpu, 8);
    in = (virtio_input *)zeroed(sizeof *in, 8);
    dev = (virtio_dev *)zeroed(sizeof *dev, 8);
    ROW(C_WRONGDEV, virtio_rng_init, "a block device", virtio_rng_init(rng, &E->t, NULL, mem, ms),
        VIRTIO_ENODEV);
    ROW(C_WRONGDEV, virtio_rng_read, "after init refused a block device",
        virtio_rng_read(rng, buf, 8), VIRTIO_ESTATE);
    ROW(C_WRONGDEV, virtio_console_init, "a block device",
        virtio_console_init(con, &E->t, NULL, mem, ms), VIRTIO_ENODEV);
    ROW(C_WRONGDEV, virtio_console_write, "after init refused a block device",
        virtio_console_write(con, 0, buf, 4), VIRTIO_ESTATE);
    ROW(C_WRONGDEV, virtio_console_emerg_init, "a block device",
        virtio_console_emerg_init(dev, &E->t), VIRTIO_ENODEV);
    ROW(C_WRONGDEV, virtio_console_emerg_write, "after emerg_init refused a block device",
        virtio_console_emerg_write(dev, buf, 1), VIRTIO_ESTATE);
    ROW(C_WRONGDEV, virtio_net_init, "a block device", virtio_net_init(net, &E->t, NULL, mem, ms),
        VIRTIO_ENODEV);
    ROW(C_WRONGDEV, virtio_net_send, "after init refused a block device",
        virtio_net_send(net, buf, 60), VIRTIO_ESTATE);
    ROW(C_WRONGDEV, virtio_gpu_init, "a block device", virtio_gpu_init(gpu, &E->t, NULL, mem, ms),
        VIRTIO_ENODEV);
    ROW(C_WRONGDEV, virtio_gpu_kick, "after init refused a block device", virtio_gpu_kick(gpu),
        VIRTIO_ESTATE);
    ROW(C_WRONGDEV, virtio_input_init, "a block device",
        virtio_input_init(in, &E->t, NULL, mem, ms), VIRTIO_ENODEV);
    ROW(C_WRONGDEV, virtio_input_recv_poll, "after init refused a block device",
        virtio_input_recv_poll(in, (virtio_input_event *)(void *)buf), VIRTIO_ESTATE);
    ROW(C_WRONGDEV, virtio_dev_init, "a block device where an entropy device is expected",
        virtio_dev_init(dev, &E->t, VIRTIO_ID_RNG), VIRTIO_ENODEV);
    env_close();

    /* And the block driver against an entropy device. */
    env_open(ver == 1 ? "wrongdev/v1" : "wrongdev/v2");
    sim_init_rng(&E->s, &E->a, ver);
    env_transport();
    mem = (uint8_t *)drv_mem(ms);
    buf = (uint8_t *)pat(512, 16);
    blk = (virtio_blk *)zeroed(sizeof *blk, 8);
    ROW(C_WRONGDEV, virtio_blk_init, "an entropy device",
        virtio_blk_init(blk, &E->t, NULL, mem, ms), VIRTIO_ENODEV);
    ROW(C_WRONGDEV, virtio_blk_read, "after init refused an entropy device",
        virtio_blk_read(blk, 0, buf, 512), VIRTIO_ESTATE);
    ROW(C_WRONGDEV, virtio_blk_capacity, "after init refused an entropy device",
        virtio_blk_capacity(blk), 0);
    env_close();
}

/* ---- What the device did not offer: refused before anything is sent ------------------------ */
static void rows_unoffered(uint32_t ver) {
    virtio_blk *blk;
    virtio_console *con;
    virtio_gpu *gpu;
    virtio_dev *edev;
    uint8_t *mem, *buf;
    unsigned *id;
    uint16_t *cols, *rows;
    size_t *len, ms;

    /* A read-only disk without FLUSH, DISCARD, WRITE_ZEROES and CONFIG_WCE. */
    env_open(ver == 1 ? "unoffered/v1" : "unoffered/v2");
    if (sim_init_blk(&E->s, &E->a, ver, 64) != 0) abort();
    E->s.dev_features |= SIM_F(SIM_BLK_F_RO);
    E->s.dev_features &= ~(SIM_F(SIM_BLK_F_FLUSH) | SIM_F(SIM_BLK_F_DISCARD) |
                           SIM_F(SIM_BLK_F_WRITE_ZEROES) | SIM_F(SIM_BLK_F_CONFIG_WCE));
    E->s.blk_ro = 1;
    env_transport();
    blk = (virtio_blk *)zeroed(sizeof *blk, 8);
    ms = virtio_blk_mem_size(NULL, &E->t);
    mem = (uint8_t *)drv_mem(ms);
    buf = (uint8_t *)pat(1024, 16);
    id = (unsigned *)pat(sizeof *id, 8);
    if (virtio_blk_init(blk, &E->t, NULL, mem, ms) != VIRTIO_OK) abort();
    if (!virtio_blk_read_only(blk)) abort();
    ROW(C_STATE, virtio_blk_write, "read-only disk", virtio_blk_write(blk, 0, buf, 512),
        VIRTIO_EROFS);
    ROW(C_STATE, virtio_blk_submit, "write to a read-only disk",
        virtio_blk_submit(blk, VIRTIO_BLK_T_OUT, 0, buf, 512, id), VIRTIO_EROFS);
    ROW(C_STATE, virtio_blk_flush, "FLUSH not offered", virtio_blk_flush(blk), VIRTIO_ENOTSUP);
    ROW(C_STATE, virtio_blk_submit, "FLUSH not offered",
        virtio_blk_submit(blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, id), VIRTIO_ENOTSUP);
    ROW(C_STATE, virtio_blk_discard, "DISCARD not offered", virtio_blk_discard(blk, 0, 8),
        VIRTIO_ENOTSUP);
    ROW(C_STATE, virtio_blk_write_zeroes, "WRITE_ZEROES not offered",
        virtio_blk_write_zeroes(blk, 0, 8, 0), VIRTIO_ENOTSUP);
    ROW(C_STATE, virtio_blk_set_writeback, "CONFIG_WCE not offered",
        virtio_blk_set_writeback(blk, 0), VIRTIO_ENOTSUP);
    env_close();

    /* A console without SIZE and EMERG_WRITE. */
    env_open(ver == 1 ? "unoffered/v1" : "unoffered/v2");
    simc_init(&E->con, &E->s, &E->a, ver, 1, 0, 0);
    simc_add_port(&E->con, 0, NULL, 1, 1);
    E->s.dev_features &= ~SIM_F(SIMC_F_EMERG_WRITE);
    env_transport();
    con = (virtio_console *)zeroed(sizeof *con, 8);
    edev = (virtio_dev *)zeroed(sizeof *edev, 8);
    ms = virtio_console_mem_size(NULL, &E->t);
    mem = (uint8_t *)drv_mem(ms);
    cols = (uint16_t *)pat(sizeof *cols, 2);
    rows = (uint16_t *)pat(sizeof *rows, 2);
    if (virtio_console_init(con, &E->t, NULL, mem, ms) != VIRTIO_OK) abort();
    ROW(C_STATE, virtio_console_size, "SIZE not offered", virtio_console_size(con, 0, cols, rows),
        VIRTIO_ENOTSUP);
    ROW_ASK(C_STATE, virtio_console_emerg_init, "EMERG_WRITE not offered", 2, edev, sizeof *edev,
            virtio_console_emerg_init(edev, &E->t), VIRTIO_ENOTSUP);
    env_close();

    /* A GPU without EDID. */
    env_open(ver == 1 ? "unoffered/v1" : "unoffered/v2");
    sim_init_gpu(&E->s, &E->a, ver, 1, 640, 480);
    E->s.dev_features &= ~SIM_F(1);
    env_transport();
    gpu = (virtio_gpu *)zeroed(sizeof *gpu, 8);
    ms = virtio_gpu_mem_size(NULL, &E->t);
    mem = (uint8_t *)drv_mem(ms);
    buf = (uint8_t *)pat(1024, 16);
    len = (size_t *)pat(sizeof *len, 8);
    if (virtio_gpu_init(gpu, &E->t, NULL, mem, ms) != VIRTIO_OK) abort();
    ROW(C_STATE, virtio_gpu_get_edid, "EDID not offered",
        virtio_gpu_get_edid(gpu, 0, buf, 1024, len), VIRTIO_ENOTSUP);
    env_close();
}

static void rows_more(void) {
    rows_rng(1);
    rows_rng(2);
    rows_console(1);
    rows_console(2);
    rows_net(1);
    rows_net(2);
    rows_gpu(1);
    rows_gpu(2);
    rows_input(1);
    rows_input(2);
    rows_device();
    rows_wrongdev(1);
    rows_wrongdev(2);
    rows_unoffered(1);
    rows_unoffered(2);
}

/* ---- Coverage: every VIRTIO_API function of every header has a row -------------------------- */
static const char *const headers[] = {"virtio.h",     "virtio_blk.h",   "virtio_console.h",
                                      "virtio_net.h", "virtio_gpu.h",   "virtio_input.h",
                                      "virtio_rng.h", "virtio_device.h"};

static int is_covered(const char *name) {
    unsigned i;
    for (i = 0; i < ncovered; i++)
        if (!strcmp(covered[i], name)) return 1;
    return 0;
}

/* Reads the declarations mechanically: a line that starts with "VIRTIO_API", the name is the
   identifier right before the first '(' of the declaration (which may span lines). */
static void t_coverage(void) {
    char line[1024], decl[4096], missing[2048];
    unsigned h, total = 0, nmissing = 0;
    missing[0] = 0;
    for (h = 0; h < sizeof headers / sizeof headers[0]; h++) {
        FILE *f = fopen(headers[h], "r");
        CHECK_MSG(f != NULL, "cannot open %s (run from the repository root)", headers[h]);
        while (fgets(line, sizeof line, f)) {
            char *paren, *end, *start, name[128];
            size_t n;
            if (strncmp(line, "VIRTIO_API ", 11) != 0) continue;
            snprintf(decl, sizeof decl, "%s", line);
            while (!strchr(decl, '(') && fgets(line, sizeof line, f))
                strncat(decl, line, sizeof decl - strlen(decl) - 1);
            paren = strchr(decl, '(');
            if (!paren) continue;
            end = paren;
            while (end > decl && end[-1] == ' ')
                end--;
            start = end;
            while (start > decl && (start[-1] == '_' || (start[-1] >= 'a' && start[-1] <= 'z') ||
                                    (start[-1] >= 'A' && start[-1] <= 'Z') ||
                                    (start[-1] >= '0' && start[-1] <= '9')))
                start--;
            n = (size_t)(end - start);
            if (n == 0 || n >= sizeof name) continue;
            memcpy(name, start, n);
            name[n] = 0;
            total++;
            if (!is_covered(name)) {
                nmissing++;
                if (strlen(missing) + n + 3 < sizeof missing) {
                    strcat(missing, " ");
                    strcat(missing, name);
                }
            }
        }
        fclose(f);
    }
    printf("INFO badin: %u public functions declared in %u headers, %u with rows\n", total,
           (unsigned)(sizeof headers / sizeof headers[0]), total - nmissing);
    CHECK_MSG(total >= 200, "only %u VIRTIO_API declarations found: the parser is broken", total);
    CHECK_MSG(nmissing == 0, "%u public function(s) without a row:%s", nmissing, missing);
}

int main(void) {
    unsigned c;
    unsigned long rows = 0;
    rows_core(1);
    rows_core(2);
    rows_blk(1);
    rows_blk(2);
    rows_more();
    t_begin("badin: every VIRTIO_API function of every header has a row");
    t_coverage();
    t_end();
    for (c = 0; c < C_N; c++)
        rows += class_rows[c];
    printf("INFO badin: %lu rows:", rows);
    for (c = 0; c < C_N; c++)
        printf(" %s %lu%s", class_name[c], class_rows[c], c + 1 < C_N ? "," : "\n");
    return t_summary("test_badinput");
}
