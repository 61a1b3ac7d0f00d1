/* sim.c - the simulated virtio device of the host tests (MMIO registers and the transport
   double). See sim.h. */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS, which strict POSIX 2008 leaves out */
#include "sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Under ASan the arena is poisoned except for what sim_alloc handed out, with a red zone
   between allocations: a driver that touches guest memory it was not given (past the end of
   its queue memory, say) is caught although the arena is one malloc block. */
#if defined(__SANITIZE_ADDRESS__)
#define SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_ASAN 1
#endif
#endif
#ifdef SIM_ASAN
#include <sanitizer/asan_interface.h>
#define SIM_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define SIM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define SIM_POISON(p, n)   ((void)(p), (void)(n))
#define SIM_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
#define SIM_REDZONE 64u

/* A wait that runs this long means the library ignored its bound: stop it and say so. */
#define SIM_RELAX_CAP 4000000u

/* ---- Little-endian helpers (device fields are little-endian; the host order does not matter) */
static uint16_t ld16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t ld32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t ld64(const uint8_t *p) { return (uint64_t)ld32(p) | ((uint64_t)ld32(p + 4) << 32); }
static void st16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void st32(uint8_t *p, uint32_t v) {
    st16(p, (uint16_t)v);
    st16(p + 2, (uint16_t)(v >> 16));
}
static void st64(uint8_t *p, uint64_t v) {
    st32(p, (uint32_t)v);
    st32(p + 4, (uint32_t)(v >> 32));
}
static int is_pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

/* ---- Device order -------------------------------------------------------------------------- */
/* Modern devices keep ring fields, configuration fields and the fields of device structures in
   little-endian order; legacy ones in the guest's own order ("Legacy Interface: A Note on
   Endianness"). The simulated guest is this host, so a legacy device is big-endian on a
   big-endian host (tests/be_host.mk runs the host tests that way, under qemu-user). QEMU keeps
   the legacy virtio-mmio registers in the guest's order too (a "native endian" register
   region), so on a big-endian host the accessor, which converts from little-endian as its
   contract says, sees them byte-swapped: cb_read32 / cb_write32 below do that to them. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) &&                                    \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SIM_HOST_BE 1
#else
#define SIM_HOST_BE 0
#endif
int sim_dev_be(const sim *s) { return SIM_HOST_BE && s->version == 1; }
static uint16_t swap16(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }
static uint32_t swap32(uint32_t v) {
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}
static uint64_t swap64(uint64_t v) {
    return (uint64_t)swap32((uint32_t)v) << 32 | swap32((uint32_t)(v >> 32));
}
uint16_t sim_ld16(const sim *s, const void *p) {
    uint16_t v = ld16((const uint8_t *)p);
    return sim_dev_be(s) ? swap16(v) : v;
}
uint32_t sim_ld32(const sim *s, const void *p) {
    uint32_t v = ld32((const uint8_t *)p);
    return sim_dev_be(s) ? swap32(v) : v;
}
uint64_t sim_ld64(const sim *s, const void *p) {
    uint64_t v = ld64((const uint8_t *)p);
    return sim_dev_be(s) ? swap64(v) : v;
}
void sim_st16(const sim *s, void *p, uint16_t v) {
    st16((uint8_t *)p, sim_dev_be(s) ? swap16(v) : v);
}
void sim_st32(const sim *s, void *p, uint32_t v) {
    st32((uint8_t *)p, sim_dev_be(s) ? swap32(v) : v);
}
void sim_st64(const sim *s, void *p, uint64_t v) {
    st64((uint8_t *)p, sim_dev_be(s) ? swap64(v) : v);
}
/* A configuration value of `width` bytes as the accessor sees it (little-endian registers)
   <-> its value: the same on little-endian devices, swapped on a big-endian one. */
static uint32_t cfg_swap(const sim *s, uint32_t v, unsigned width) {
    if (!sim_dev_be(s) || width == 1) return v;
    return width == 2 ? swap16((uint16_t)v) : swap32(v);
}

/* ---- Arena --------------------------------------------------------------------------------- */
/* Anonymous pages: zeroed, page-aligned, and only the pages a case touches cost anything.
   (aligned_alloc plus memset of 8 MiB per case was nine tenths of the host tests' time.) */
int sim_arena_init(sim_arena *a, size_t size, uint64_t gpa) {
    void *p;
    memset(a, 0, sizeof *a);
    size = (size + 4095u) & ~(size_t)4095u;
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -1;
    a->base = (uint8_t *)p;
    SIM_POISON(a->base, size);
    a->size = size;
    a->gpa = gpa;
    return 0;
}

void sim_arena_free(sim_arena *a) {
    if (a->base) {
        SIM_UNPOISON(a->base, a->size);
        munmap(a->base, a->size);
    }
    memset(a, 0, sizeof *a);
}

void *sim_alloc(sim_arena *a, size_t size, size_t align) {
    size_t at = (a->used + (a->used ? SIM_REDZONE : 0) + align - 1) & ~(align - 1);
    if (at > a->size || size > a->size - at) {
        fprintf(stderr, "sim_alloc: arena of %zu bytes full (asked %zu)\n", a->size, size);
        abort();
    }
    a->used = at + size;
    SIM_UNPOISON(a->base + at, size);
    return a->base + at;
}

/* ---- Violations ---------------------------------------------------------------------------- */
void sim_violation(sim *s, const char *fmt, ...) {
    va_list ap;
    s->violations++;
    if (s->violations > 1) return;
    va_start(ap, fmt);
    vsnprintf(s->violation, sizeof s->violation, fmt, ap);
    va_end(ap);
}

/* ---- Guest memory -------------------------------------------------------------------------- */
void *sim_mem(sim *s, uint64_t gpa, uint64_t len) {
    sim_arena *a = s->arena;
    if (!a || gpa < a->gpa || gpa - a->gpa > a->size || len > a->size - (gpa - a->gpa)) {
        sim_violation(s, "device address 0x%llx+%llu is outside guest memory",
                      (unsigned long long)gpa, (unsigned long long)len);
        return NULL;
    }
    return a->base + (gpa - a->gpa);
}

uint64_t sim_gpa(const sim *s, const void *p) {
    const uint8_t *b = (const uint8_t *)p;
    const sim_arena *a = s->arena;
    if (!a || b < a->base || b > a->base + a->size) return 0xdead000000000000ull;
    return a->gpa + (uint64_t)(b - a->base);
}

static uint64_t sim_dma(void *user, const void *p) {
    sim *s = (sim *)user;
    uint64_t g = sim_gpa(s, p);
    if (g == 0xdead000000000000ull) sim_violation(s, "dma() of %p, outside guest memory", p);
    return g;
}

/* Ring field access by the device; a bad address is a violation and reads as 0. */
static uint16_t g16(sim *s, uint64_t gpa) {
    uint8_t *p = (uint8_t *)sim_mem(s, gpa, 2);
    return p ? sim_ld16(s, p) : 0;
}
static void p16(sim *s, uint64_t gpa, uint16_t v) {
    uint8_t *p = (uint8_t *)sim_mem(s, gpa, 2);
    if (p) sim_st16(s, p, v);
}
static void p32(sim *s, uint64_t gpa, uint32_t v) {
    uint8_t *p = (uint8_t *)sim_mem(s, gpa, 4);
    if (p) sim_st32(s, p, v);
}

/* ---- Config space -------------------------------------------------------------------------- */
void sim_cfg_w8(sim *s, uint32_t off, uint8_t v) { s->config[off] = v; }
void sim_cfg_w16(sim *s, uint32_t off, uint16_t v) { sim_st16(s, s->config + off, v); }
void sim_cfg_w32(sim *s, uint32_t off, uint32_t v) { sim_st32(s, s->config + off, v); }
void sim_cfg_w64(sim *s, uint32_t off, uint64_t v) { sim_st64(s, s->config + off, v); }
uint64_t sim_cfg_r(const sim *s, uint32_t off, unsigned width) {
    switch (width) {
    case 1: return s->config[off];
    case 2: return sim_ld16(s, s->config + off);
    case 4: return sim_ld32(s, s->config + off);
    default: return sim_ld64(s, s->config + off);
    }
}

/* ---- Init ---------------------------------------------------------------------------------- */
static void sim_base(sim *s, sim_arena *a, uint32_t version, uint32_t device_id) {
    unsigned i;
    memset(s, 0, sizeof *s);
    s->magic = SIM_MAGIC;
    s->version = version;
    s->device_id = device_id;
    s->vendor_id = SIM_VENDOR;
    s->arena = a;
    /* The ring features QEMU offers: legacy adds NOTIFY_ON_EMPTY and ANY_LAYOUT, modern
       VERSION_1 and RING_RESET (QEMU-NOTES.md). */
    s->dev_features = SIM_F(SIM_F_INDIRECT_DESC) | SIM_F(SIM_F_EVENT_IDX);
    if (version == 1)
        s->dev_features |= SIM_F(SIM_F_NOTIFY_ON_EMPTY) | SIM_F(SIM_F_ANY_LAYOUT);
    else
        s->dev_features |= SIM_F(SIM_F_VERSION_1) | SIM_F(SIM_F_RING_RESET);
    for (i = 0; i < SIM_MAX_QUEUES; i++)
        s->q[i].num_max = 0;
    s->q[0].num_max = 256;
}

void sim_init_echo(sim *s, sim_arena *a, uint32_t version, uint32_t device_id) {
    unsigned i;
    sim_base(s, a, version, device_id);
    s->backend = SIM_DEV_ECHO;
    s->q[1].num_max = 256;
    s->config_len = SIM_CONFIG_SIZE;
    for (i = 0; i < SIM_CONFIG_SIZE; i++)
        s->config[i] = (uint8_t)(i * 7u + 3u);
}

void sim_init_custom(sim *s, sim_arena *a, uint32_t version, uint32_t device_id,
                     const sim_backend_ops *ops, void *ctx) {
    sim_base(s, a, version, device_id);
    s->backend = SIM_DEV_CUSTOM;
    s->ops = ops;
    s->ctx = ctx;
}

void sim_destroy(sim *s) {
    if (s->backend == SIM_DEV_CUSTOM && s->ops && s->ops->destroy) s->ops->destroy(s);
    free(s->wrote);
    s->wrote = NULL;
}

/* ---- Queues -------------------------------------------------------------------------------- */
static sim_queue *cur_queue(sim *s) {
    return s->queue_sel < SIM_MAX_QUEUES ? &s->q[s->queue_sel] : NULL;
}

static uint64_t drv_has(const sim *s, unsigned bit) { return s->drv_features & SIM_F(bit); }

static void pk_write_suppression(sim *s, sim_queue *q);

/* Checks that the three rings of a queue lie in guest memory, then makes it live. A packed
   ring ("Packed Virtqueues / Structure Size and Alignment"): descriptor ring 16 * n bytes
   16-aligned, driver and device event areas 4 bytes 4-aligned each. */
static void queue_go_live(sim *s, sim_queue *q) {
    uint64_t n = q->num;
    int packed = drv_has(s, SIM_F_RING_PACKED) != 0;
    if (packed) {
        if (!sim_mem(s, q->desc, 16 * n) || !sim_mem(s, q->driver, 4) || !sim_mem(s, q->device, 4))
            return;
        if ((q->desc & 15) || (q->driver & 3) || (q->device & 3))
            sim_violation(s, "packed queue %u misaligned (ring 0x%llx driver 0x%llx device 0x%llx)",
                          (unsigned)(q - s->q), (unsigned long long)q->desc,
                          (unsigned long long)q->driver, (unsigned long long)q->device);
        if (n > SIM_PK_IDS)
            sim_violation(s, "packed queue of %u entries: the simulator drives at most %u", q->num,
                          SIM_PK_IDS);
    } else {
        if (!sim_mem(s, q->desc, 16 * n) || !sim_mem(s, q->driver, 6 + 2 * n) ||
            !sim_mem(s, q->device, 6 + 8 * n))
            return;
        if ((q->desc & 15) || (q->driver & 1) || (q->device & 3))
            sim_violation(s, "queue %u rings misaligned (desc 0x%llx avail 0x%llx used 0x%llx)",
                          (unsigned)(q - s->q), (unsigned long long)q->desc,
                          (unsigned long long)q->driver, (unsigned long long)q->device);
    }
    q->live = 1;
    q->last_avail = 0;
    q->used_idx = 0;
    q->packed = packed;
    q->pk_avail_pos = q->pk_used_pos = 0;
    q->pk_avail_wrap = q->pk_used_wrap = 1; /* "initialized to 1" */
    q->pk_read = q->pk_used = 0;
    memset(q->pk_count, 0, sizeof q->pk_count);
    if (packed) pk_write_suppression(s, q); /* the device's first word on notifications */
}

static void device_reset(sim *s) {
    unsigned i;
    s->resets++;
    /* Firecracker up to v1.16: an activated device cannot be reset; it sets FAILED instead. */
    if (s->hv == SIM_HV_FIRECRACKER && s->hv_activated) {
        s->status |= SIM_S_FAILED;
        s->hv_refused++;
        s->hv_refused_reads = 0;
        if (s->hv_on_refused) s->hv_on_refused(s);
        return;
    }
    s->hv_inactive = 0;
    if (s->backend == SIM_DEV_CUSTOM && s->ops->reset) s->ops->reset(s);
    s->status = s->reset_stuck ? SIM_S_ACKNOWLEDGE : 0;
    s->drv_features = 0;
    s->dev_feat_sel = s->drv_feat_sel = 0;
    s->dev_feat_sel_written = s->drv_feat_sel_written = 0;
    s->guest_page_size = 0;
    s->queue_sel = 0;
    s->isr = 0;
    for (i = 0; i < SIM_MAX_QUEUES; i++) {
        sim_queue *q = &s->q[i];
        uint32_t max = q->num_max;
        unsigned long notifies = q->notifies, chains = q->chains, irq = q->interrupts;
        memset(q, 0, sizeof *q);
        q->num_max = max;
        q->notifies = notifies;
        q->chains = chains;
        q->interrupts = irq;
    }
    s->nstatus_hist = 0;
}

/* ---- Chains -------------------------------------------------------------------------------- */

/* Appends one buffer element to a chain; 0, or -1 with a violation. */
static int chain_push(sim *s, unsigned qi, sim_chain *c, uint64_t addr, uint32_t len, int w,
                      int *seen_w) {
    sim_seg *sg;
    if (c->n >= SIM_MAX_CHAIN) {
        sim_violation(s, "queue %u: chain longer than %u elements", qi, SIM_MAX_CHAIN);
        return -1;
    }
    if (len == 0) {
        sim_violation(s, "queue %u: element %u has length 0", qi, c->n);
        return -1;
    }
    if (!w && *seen_w) {
        sim_violation(s, "queue %u: readable element after a writable one", qi);
        return -1;
    }
    sg = &c->seg[c->n++];
    sg->p = (uint8_t *)sim_mem(s, addr, len);
    if (!sg->p) return -1;
    sg->len = len;
    sg->addr = addr;
    sg->w = w;
    if (w) {
        *seen_w = 1;
        c->wlen += len;
    } else {
        c->nread++;
        c->rlen += len;
    }
    return 0;
}

/* An indirect table ("Indirect Descriptors" of either format) at addr/len, appended to c.
   Split tables link through `next` inside the table; packed ones are read in order and may
   carry no flag but WRITE. */
static int walk_indirect(sim *s, sim_queue *q, unsigned qi, uint64_t addr, uint32_t len,
                         sim_chain *c, int *seen_w, int packed) {
    uint32_t n = len / 16u, i = 0, steps = 0;
    uint8_t *t;
    if (!drv_has(s, SIM_F_INDIRECT_DESC)) {
        sim_violation(s, "queue %u: indirect descriptor without VIRTIO_F_INDIRECT_DESC", qi);
        return -1;
    }
    if (len == 0 || len % 16u) {
        sim_violation(s, "queue %u: indirect table of %u bytes (not a multiple of 16)", qi, len);
        return -1;
    }
    if (n > q->num) {
        sim_violation(s, "queue %u: indirect table of %u entries, queue size %u", qi, n, q->num);
        return -1;
    }
    t = (uint8_t *)sim_mem(s, addr, len);
    if (!t) return -1;
    if (addr & 15)
        sim_violation(s, "queue %u: indirect table at 0x%llx not 16-aligned", qi,
                      (unsigned long long)addr);
    for (;;) {
        uint8_t *d = t + 16u * i;
        uint16_t flags = packed ? ld16(d + 14) : sim_ld16(s, d + 12);
        uint16_t bad = (uint16_t)(packed ? flags & ~VIRTQ_DESC_F_WRITE
                                         : flags & ~(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE));
        if (bad) {
            sim_violation(s, "queue %u: indirect entry %u has flags 0x%x", qi, i, flags);
            return -1;
        }
        /* split tables are in the guest's order (legacy: native), packed ones little-endian */
        if (chain_push(s, qi, c, packed ? ld64(d) : sim_ld64(s, d),
                       packed ? ld32(d + 8) : sim_ld32(s, d + 8), (flags & VIRTQ_DESC_F_WRITE) != 0,
                       seen_w))
            return -1;
        if (++steps > n) {
            sim_violation(s, "queue %u: indirect table loops", qi);
            return -1;
        }
        if (packed) {
            if (++i == n) break;
            continue;
        }
        if (!(flags & VIRTQ_DESC_F_NEXT)) break;
        i = sim_ld16(s, d + 14);
        if (i >= n) {
            sim_violation(s, "queue %u: indirect next %u past the table's %u entries", qi, i, n);
            return -1;
        }
    }
    return 0;
}

/* Walks the chain at `head`. 0 on success; -1 (violation recorded) if it is malformed. */
static int walk_chain(sim *s, sim_queue *q, unsigned qi, uint16_t head, sim_chain *c) {
    uint32_t idx = head, ring = 0;
    int seen_w = 0;
    c->n = c->nread = 0;
    c->rlen = c->wlen = 0;
    c->nring = 0;
    c->indirect = 0;
    if (head >= q->num) {
        sim_violation(s, "queue %u: avail ring names head %u, queue size %u", qi, head, q->num);
        return -1;
    }
    for (;;) {
        uint8_t *d = (uint8_t *)sim_mem(s, q->desc + 16u * idx, 16);
        uint64_t addr;
        uint32_t len;
        uint16_t flags, next;
        if (!d) return -1;
        addr = sim_ld64(s, d);
        len = sim_ld32(s, d + 8);
        flags = sim_ld16(s, d + 12);
        next = sim_ld16(s, d + 14);
        if (ring >= q->num) {
            sim_violation(s, "queue %u: chain at head %u longer than the queue (loop?)", qi, head);
            return -1;
        }
        ring++;
        if (flags & ~(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT)) {
            sim_violation(s, "queue %u: descriptor %u has unknown flags 0x%x", qi, idx, flags);
            return -1;
        }
        if (flags & VIRTQ_DESC_F_INDIRECT) {
            /* "MUST NOT set both VIRTQ_DESC_F_INDIRECT and VIRTQ_DESC_F_NEXT" */
            if (flags & VIRTQ_DESC_F_NEXT) {
                sim_violation(s, "queue %u: descriptor %u has INDIRECT and NEXT", qi, idx);
                return -1;
            }
            c->indirect = len / 16u;
            if (walk_indirect(s, q, qi, addr, len, c, &seen_w, 0)) return -1;
            break;
        }
        if (chain_push(s, qi, c, addr, len, (flags & VIRTQ_DESC_F_WRITE) != 0, &seen_w)) return -1;
        if (!(flags & VIRTQ_DESC_F_NEXT)) break;
        if (next >= q->num) {
            sim_violation(s, "queue %u: descriptor %u next %u past queue size %u", qi, idx, next,
                          q->num);
            return -1;
        }
        idx = next;
    }
    c->nring = ring;
    if (c->rlen + c->wlen > 0xffffffffull) {
        sim_violation(s, "queue %u: chain longer than 2^32 bytes", qi);
        return -1;
    }
    return 0;
}

/* Copies between a byte offset of the readable (w = 0) or writable (w = 1) part of a chain and
   a flat buffer. to_chain: copy buf into the chain. Returns bytes copied. */
static uint64_t chain_copy(sim_chain *c, int w, uint64_t off, uint8_t *buf, uint64_t len,
                           int to_chain) {
    uint64_t done = 0;
    unsigned i;
    for (i = 0; i < c->n && done < len; i++) {
        sim_seg *sg = &c->seg[i];
        uint64_t n;
        if (sg->w != w) continue;
        if (off >= sg->len) {
            off -= sg->len;
            continue;
        }
        n = sg->len - off;
        if (n > len - done) n = len - done;
        if (to_chain)
            memcpy(sg->p + off, buf + done, (size_t)n);
        else
            memcpy(buf + done, sg->p + off, (size_t)n);
        done += n;
        off = 0;
    }
    return done;
}

uint64_t sim_chain_copy(sim_chain *c, int w, uint64_t off, void *buf, uint64_t len, int to_chain) {
    return chain_copy(c, w, off, (uint8_t *)buf, len, to_chain);
}

sim_log *sim_chain_log(sim *s) { return &s->log[(s->nlog - 1) % SIM_LOG]; }

/* ---- Backends ------------------------------------------------------------------------------ */
static uint32_t be_echo(sim *s, sim_chain *c) {
    uint64_t n = c->rlen < c->wlen ? c->rlen : c->wlen, off = 0;
    uint8_t tmp[512];
    (void)s;
    while (off < n) {
        uint64_t k = n - off < sizeof tmp ? n - off : sizeof tmp;
        chain_copy(c, 0, off, tmp, k, 0);
        chain_copy(c, 1, off, tmp, k, 1);
        off += k;
    }
    return (uint32_t)n;
}

/* ---- Scribbling device (sim.scribble) -------------------------------------------------------- */
static void mark(sim *s, const uint8_t *p, size_t n) {
    size_t off, i;
    if (!s->arena || p < s->arena->base || n > s->arena->size ||
        (size_t)(p - s->arena->base) > s->arena->size - n)
        return; /* sim_mem refused it already (a violation) */
    if (!s->wrote) {
        s->wrote = (uint8_t *)calloc(s->arena->size / 8u + 1u, 1);
        if (!s->wrote) abort();
    }
    off = (size_t)(p - s->arena->base);
    for (i = off; i < off + n; i++)
        s->wrote[i / 8u] = (uint8_t)(s->wrote[i / 8u] | (1u << (i % 8u)));
}

static void scribble(sim *s, uint8_t *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(0xa5u ^ (i * 37u) ^ s->scribbled);
    s->scribbled += n;
    mark(s, p, n);
}

static void scribble_chain(sim *s, sim_chain *c) {
    unsigned k;
    for (k = 0; k < c->n; k++)
        if (c->seg[k].w) scribble(s, c->seg[k].p, c->seg[k].len);
}

int sim_wrote_any(const sim *s, const void *p, size_t n) {
    size_t off, i;
    const uint8_t *b = (const uint8_t *)p;
    if (!s->wrote || !s->arena || b < s->arena->base) return 0;
    off = (size_t)(b - s->arena->base);
    for (i = off; i < off + n && i < s->arena->size; i++)
        if (s->wrote[i / 8u] & (1u << (i % 8u))) return 1;
    return 0;
}

/* ---- Device side of the split virtqueue ---------------------------------------------------- */
static void push_used(sim *s, sim_queue *q, uint16_t head, uint32_t len, uint32_t wlen) {
    uint64_t used = q->device, avail = q->driver;
    uint32_t id = head;
    uint16_t old = q->used_idx, nw;
    enum sim_used_mis mis = s->mis;
    s->mis = SIM_MIS_NONE;
    if (mis == SIM_MIS_USED_ID_OOR) id = q->num + 3u;
    if (mis == SIM_MIS_USED_ID_HIGH) id = 0x10000u + head;
    if (mis == SIM_MIS_USED_LEN_BIG) len = wlen + 1u;
    if (mis == SIM_MIS_USED_ID_UNPUB) id = g16(s, avail + 4 + 2u * (g16(s, avail + 2) % q->num));
    /* A repeated head: this chain's id is used again in place of the next chain's, so used.idx
       never runs ahead of what is outstanding and only the id gives the device away. */
    if (mis == SIM_MIS_USED_ID_REPEAT) {
        s->repeat_armed = 1;
        s->repeat_id = id;
    } else if (s->repeat_armed) {
        s->repeat_armed = 0;
        id = s->repeat_id;
    }
    if (s->scribble) {
        uint8_t *ring = (uint8_t *)sim_mem(s, used, 6u + 8u * q->num);
        if (ring) {
            mark(s, ring, 6u + 8u * q->num);
            scribble(s, ring + 4 + 8u * (q->used_idx % q->num), 8);
        }
    }
    p32(s, used + 4 + 8u * (q->used_idx % q->num), id);
    p32(s, used + 8 + 8u * (q->used_idx % q->num), len);
    q->used_idx++;
    if (mis == SIM_MIS_USED_IDX_JUMP) q->used_idx = (uint16_t)(q->used_idx + 40u);
    p16(s, used + 2, q->used_idx);
    q->chains++;
    s->chains_total++;
    /* "Used Buffer Notification Suppression" (device side). */
    nw = q->used_idx;
    if (drv_has(s, SIM_F_EVENT_IDX)) {
        uint16_t ev = g16(s, avail + 4 + 2u * q->num);
        if ((uint16_t)(nw - ev - 1u) < (uint16_t)(nw - old)) {
            q->interrupts++;
            s->isr |= 1;
        }
    } else if (!(g16(s, avail) & VIRTQ_AVAIL_F_NO_INTERRUPT)) {
        q->interrupts++;
        s->isr |= 1;
    }
}

static void write_suppression(sim *s, sim_queue *q) {
    if (drv_has(s, SIM_F_EVENT_IDX)) {
        uint16_t ev =
            s->avail_event == SIM_AE_NEVER ? (uint16_t)(q->last_avail - 1u) : q->last_avail;
        p16(s, q->device + 4 + 8u * q->num, ev);
        p16(s, q->device, 0);
    } else {
        p16(s, q->device, s->no_notify ? VIRTQ_USED_F_NO_NOTIFY : 0);
    }
}

/* ---- Device side of the packed virtqueue: virtio 1.4 "Packed Virtqueues" ------------------- */
/* The device keeps its own position and wrap counter for reading available descriptors and
   for writing used ones; each outstanding buffer id remembers how many ring slots it took, so
   the used position skips them ("The device ... skips forward according to the number of
   descriptors in the list"). */
static int pk_avail(uint16_t flags, int wrap) {
    int a = (flags & VIRTQ_DESC_F_AVAIL) != 0, u = (flags & VIRTQ_DESC_F_USED) != 0;
    return a == wrap && u != wrap;
}
static void pk_step(const sim_queue *q, uint16_t *pos, uint8_t *wrap, uint16_t n) {
    while (n--)
        if (++*pos == q->num) {
            *pos = 0;
            *wrap ^= 1u;
        }
}

/* The list whose first descriptor is at pos/wrap: 1 (with its ring length and buffer id, the
   one in its last descriptor) if it is available, 0 if not, -1 on a violation. Every
   descriptor of a list must be available ("all flags ... must be set/cleared correctly in all
   descriptors in the list"). quiet: inspection, no violations. */
static int pk_peek(sim *s, sim_queue *q, unsigned qi, uint16_t pos, uint8_t wrap, uint16_t *ndesc,
                   uint16_t *id, int quiet) {
    uint16_t k = 0;
    for (;;) {
        uint8_t *d = (uint8_t *)sim_mem(s, q->desc + 16u * pos, 16);
        uint16_t flags;
        if (!d) return -1;
        flags = ld16(d + 14);
        if (!pk_avail(flags, wrap)) {
            if (k == 0 || quiet) return 0;
            sim_violation(s, "packed queue %u: descriptor %u of a list is not available (0x%x)", qi,
                          pos, flags);
            return -1;
        }
        k++;
        if (!quiet) {
            if (flags & ~(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT |
                          VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED)) {
                sim_violation(s, "packed queue %u: descriptor %u has unknown flags 0x%x", qi, pos,
                              flags);
                return -1;
            }
            if ((flags & VIRTQ_DESC_F_INDIRECT) && (k > 1 || (flags & VIRTQ_DESC_F_NEXT))) {
                sim_violation(s, "packed queue %u: indirect descriptor %u inside a list", qi, pos);
                return -1;
            }
        }
        if (!(flags & VIRTQ_DESC_F_NEXT)) {
            *id = ld16(d + 12);
            *ndesc = k;
            return 1;
        }
        if (k >= q->num) {
            if (!quiet) sim_violation(s, "packed queue %u: list longer than the queue", qi);
            return -1;
        }
        pk_step(q, &pos, &wrap, 1);
    }
}

/* The buffer's elements, from the copy of its ring descriptors taken when it was read (a used
   descriptor written for another buffer may overwrite them since), or its indirect table,
   into c. */
static int pk_walk(sim *s, sim_queue *q, unsigned qi, const uint8_t *descs, uint16_t ndesc,
                   sim_chain *c) {
    int seen_w = 0;
    uint16_t k;
    c->n = c->nread = 0;
    c->rlen = c->wlen = 0;
    c->nring = ndesc;
    c->indirect = 0;
    for (k = 0; k < ndesc; k++) {
        const uint8_t *d = descs + 16u * k;
        uint16_t flags = ld16(d + 14);
        if (flags & VIRTQ_DESC_F_INDIRECT) {
            c->indirect = ld32(d + 8) / 16u;
            if (walk_indirect(s, q, qi, ld64(d), ld32(d + 8), c, &seen_w, 1)) return -1;
            break;
        }
        if (chain_push(s, qi, c, ld64(d), ld32(d + 8), (flags & VIRTQ_DESC_F_WRITE) != 0, &seen_w))
            return -1;
    }
    if (c->rlen + c->wlen > 0xffffffffull) {
        sim_violation(s, "queue %u: chain longer than 2^32 bytes", qi);
        return -1;
    }
    return 0;
}

/* Writes the used descriptor of buffer `id` at the used position ("Virtqueue Descriptor
   Format": id and len first, the flags last), with the misbehaviour switches, and raises a
   used buffer notification if the driver's event suppression area asks for one. */
static void pk_push_used(sim *s, sim_queue *q, uint16_t id, uint32_t len, uint32_t wlen) {
    enum sim_used_mis mis = s->mis;
    uint16_t n, wid = id, flags, pos0 = q->pk_used_pos, dfl;
    uint8_t w = q->pk_used_wrap, w0 = w;
    uint64_t d;
    unsigned qi = (unsigned)(q - s->q);
    if (id >= q->num || id >= SIM_PK_IDS || q->pk_count[id] == 0) {
        sim_violation(s, "packed queue %u: completing buffer id %u, which is not outstanding", qi,
                      id);
        return;
    }
    s->mis = SIM_MIS_NONE;
    if (mis == SIM_MIS_USED_ID_OOR) wid = (uint16_t)(q->num + 3u);
    if (mis == SIM_MIS_USED_ID_HIGH) wid = (uint16_t)(id + 0x8000u); /* ids are 16 bits here */
    if (mis == SIM_MIS_USED_LEN_BIG) len = wlen + 1u;
    if (mis == SIM_MIS_USED_ID_UNPUB) wid = g16(s, q->desc + 16u * q->pk_avail_pos + 12);
    if (mis == SIM_MIS_USED_ID_REPEAT) {
        s->repeat_armed = 1;
        s->repeat_id = wid;
    } else if (s->repeat_armed) {
        s->repeat_armed = 0;
        wid = (uint16_t)s->repeat_id;
    }
    flags = (uint16_t)(w ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0u);
    if (mis == SIM_MIS_PK_WRONG_WRAP)
        flags = (uint16_t)(w ? 0u : VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED);
    if (mis == SIM_MIS_PK_AVAIL_FLIP)
        flags = (uint16_t)(w ? VIRTQ_DESC_F_USED : VIRTQ_DESC_F_AVAIL);
    if (len) flags = (uint16_t)(flags | VIRTQ_DESC_F_WRITE);
    d = q->desc + 16u * q->pk_used_pos;
    if (s->scribble) {
        uint8_t *ring = (uint8_t *)sim_mem(s, q->desc, 16u * q->num);
        uint8_t *ev = (uint8_t *)sim_mem(s, q->device, 4);
        if (ring) {
            mark(s, ring, 16u * q->num);
            scribble(s, ring + 16u * q->pk_used_pos, 8);
        }
        if (ev) mark(s, ev, 4);
    }
    p32(s, d + 8, len);
    p16(s, d + 12, wid);
    p16(s, d + 14, flags);
    n = q->pk_count[id];
    q->pk_count[id] = 0;
    pk_step(q, &q->pk_used_pos, &q->pk_used_wrap, n);
    q->pk_used++;
    q->chains++;
    s->chains_total++;
    /* "Driver and Device Event Suppression", device side: the driver's area. */
    dfl = g16(s, q->driver + 2);
    if (dfl > VIRTQ_RING_EVENT_FLAGS_DESC ||
        (dfl == VIRTQ_RING_EVENT_FLAGS_DESC && !drv_has(s, SIM_F_EVENT_IDX))) {
        sim_violation(s, "packed queue %u: driver event flags 0x%x", qi, dfl);
    } else if (dfl == VIRTQ_RING_EVENT_FLAGS_ENABLE) {
        q->interrupts++;
        s->isr |= 1;
    } else if (dfl == VIRTQ_RING_EVENT_FLAGS_DESC) {
        uint16_t ow = g16(s, q->driver), k, p = pos0;
        for (k = 0; k < n; k++) {
            if (p == (ow & 0x7fffu) && w0 == (ow >> 15)) {
                q->interrupts++;
                s->isr |= 1;
                break;
            }
            pk_step(q, &p, &w0, 1);
        }
    }
    (void)w;
}

/* The device event suppression area: what the driver reads before notifying. */
static void pk_write_suppression(sim *s, sim_queue *q) {
    uint16_t fl = VIRTQ_RING_EVENT_FLAGS_ENABLE, ow = 0;
    if (s->no_notify) {
        fl = VIRTQ_RING_EVENT_FLAGS_DISABLE;
    } else if (drv_has(s, SIM_F_EVENT_IDX)) {
        uint16_t pos = q->pk_avail_pos;
        uint8_t w = q->pk_avail_wrap;
        if (s->avail_event == SIM_AE_NEVER) { /* the slot just behind: a whole lap away */
            if (pos == 0) {
                pos = (uint16_t)q->num;
                w ^= 1u;
            }
            pos--;
        }
        fl = VIRTQ_RING_EVENT_FLAGS_DESC;
        ow = (uint16_t)(pos | (uint16_t)(w << 15));
    }
    p16(s, q->device, ow);
    p16(s, q->device + 2, fl);
}

static unsigned long pk_process(sim *s, unsigned qi) {
    sim_queue *q = &s->q[qi];
    static uint16_t at[SIM_PK_IDS], ids[SIM_PK_IDS], nd[SIM_PK_IDS], perm[SIM_PK_IDS];
    static uint8_t snap[SIM_PK_IDS][16]; /* the ring descriptors read in this pass */
    static sim_chain chain;
    unsigned count = 0, nsnap = 0, i;
    unsigned long done = 0;
    uint16_t dfl = g16(s, q->driver + 2);
    if (dfl > VIRTQ_RING_EVENT_FLAGS_DESC)
        sim_violation(s, "packed queue %u: driver event flags 0x%x", qi, dfl);
    while (count < q->num && count < SIM_PK_IDS && (!s->max_per_pass || count < s->max_per_pass)) {
        uint16_t n = 0, id = 0;
        int r = pk_peek(s, q, qi, q->pk_avail_pos, q->pk_avail_wrap, &n, &id, 0);
        if (r <= 0) break;
        if (id >= q->num) {
            sim_violation(s, "packed queue %u: buffer id %u, queue size %u", qi, id, q->num);
            break;
        }
        if (q->pk_count[id]) {
            sim_violation(s, "packed queue %u: buffer id %u made available while outstanding", qi,
                          id);
            break;
        }
        q->pk_count[id] = n;
        at[count] = (uint16_t)nsnap;
        for (i = 0; i < n && nsnap < SIM_PK_IDS; i++) {
            uint16_t p = q->pk_avail_pos;
            uint8_t w = q->pk_avail_wrap;
            pk_step(q, &p, &w, (uint16_t)i);
            memcpy(snap[nsnap++], sim_mem(s, q->desc + 16u * p, 16), 16);
        }
        ids[count] = id;
        nd[count] = n;
        perm[count] = (uint16_t)count;
        count++;
        pk_step(q, &q->pk_avail_pos, &q->pk_avail_wrap, n);
        q->pk_read++;
    }
    if (s->shuffle) {
        for (i = count; i > 1; i--) {
            uint16_t j, t;
            s->shuffle = s->shuffle * 1103515245u + 12345u;
            j = (uint16_t)((s->shuffle >> 8) % i);
            t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
    }
    for (i = 0; i < count; i++) {
        uint16_t b = perm[s->reverse ? count - 1 - i : i];
        sim_log *lg = &s->log[s->nlog % SIM_LOG];
        uint32_t len = 0;
        unsigned k;
        if (pk_walk(s, q, qi, snap[at[b]], nd[b], &chain)) continue;
        if (s->scribble) scribble_chain(s, &chain);
        memset(lg, 0, sizeof *lg);
        s->nlog++;
        lg->queue = (uint16_t)qi;
        lg->head = ids[b];
        lg->ndesc = (uint16_t)chain.n;
        lg->nread = (uint16_t)chain.nread;
        lg->nring = (uint16_t)chain.nring;
        lg->indirect = (uint16_t)chain.indirect;
        lg->rlen = (uint32_t)chain.rlen;
        lg->wlen = (uint32_t)chain.wlen;
        for (k = 0; k < chain.n && k < 8; k++) {
            lg->len[k] = chain.seg[k].len;
            lg->addr[k] = chain.seg[k].addr;
        }
        switch (s->backend) {
        case SIM_DEV_ECHO: len = be_echo(s, &chain); break;
        case SIM_DEV_CUSTOM: len = s->ops->chain(s, qi, ids[b], &chain); break;
        }
        done++;
        if (s->backend == SIM_DEV_CUSTOM && len == SIM_DEFER) continue;
        if (s->swallow) continue;
        if (s->hv == SIM_HV_KVMTOOL) len += (uint32_t)chain.rlen; /* bytes transferred */
        pk_push_used(s, q, ids[b], len, (uint32_t)chain.wlen);
    }
    pk_write_suppression(s, q);
    return done;
}

static unsigned long process_queue(sim *s, unsigned qi) {
    sim_queue *q = &s->q[qi];
    uint16_t aidx, pending, i, aflags;
    unsigned long done = 0;
    /* large: keep them off the stack (the simulator is single-threaded) */
    static uint16_t heads[VIRTIO_QUEUE_SIZE_MAX];
    static sim_chain chain;
    if (!q->live || !(s->status & SIM_S_DRIVER_OK) || (s->status & SIM_S_NEEDS_RESET) ||
        s->self_reset || s->hv_inactive)
        return 0;
    if (q->packed) return pk_process(s, qi);
    aflags = g16(s, q->driver);
    if (drv_has(s, SIM_F_EVENT_IDX) ? aflags != 0 : aflags > 1)
        sim_violation(s, "queue %u: avail.flags = 0x%x", qi, aflags);
    aidx = g16(s, q->driver + 2);
    pending = (uint16_t)(aidx - q->last_avail);
    if (pending > q->num) {
        sim_violation(s, "queue %u: avail.idx %u is %u ahead of the device, queue size %u", qi,
                      aidx, pending, q->num);
        return 0;
    }
    if (s->max_per_pass && pending > s->max_per_pass) pending = (uint16_t)s->max_per_pass;
    for (i = 0; i < pending; i++)
        heads[i] = g16(s, q->driver + 4 + 2u * ((uint16_t)(q->last_avail + i) % q->num));
    q->last_avail = (uint16_t)(q->last_avail + pending);
    if (s->shuffle) { /* Fisher-Yates with a small LCG: reproducible disorder */
        for (i = pending; i > 1; i--) {
            uint16_t j, t;
            s->shuffle = s->shuffle * 1103515245u + 12345u;
            j = (uint16_t)((s->shuffle >> 8) % i);
            t = heads[i - 1];
            heads[i - 1] = heads[j];
            heads[j] = t;
        }
    }
    for (i = 0; i < pending; i++) {
        uint16_t head = heads[s->reverse ? pending - 1 - i : i];
        sim_log *lg = &s->log[s->nlog % SIM_LOG];
        uint32_t len = 0;
        unsigned k;
        if (walk_chain(s, q, qi, head, &chain)) continue;
        if (s->scribble) scribble_chain(s, &chain);
        memset(lg, 0, sizeof *lg);
        s->nlog++;
        lg->queue = (uint16_t)qi;
        lg->head = head;
        lg->ndesc = (uint16_t)chain.n;
        lg->nread = (uint16_t)chain.nread;
        lg->nring = (uint16_t)chain.nring;
        lg->indirect = (uint16_t)chain.indirect;
        lg->rlen = (uint32_t)chain.rlen;
        lg->wlen = (uint32_t)chain.wlen;
        for (k = 0; k < chain.n && k < 8; k++) {
            lg->len[k] = chain.seg[k].len;
            lg->addr[k] = chain.seg[k].addr;
        }
        switch (s->backend) {
        case SIM_DEV_ECHO: len = be_echo(s, &chain); break;
        case SIM_DEV_CUSTOM: len = s->ops->chain(s, qi, head, &chain); break;
        }
        done++;
        if (s->backend == SIM_DEV_CUSTOM && len == SIM_DEFER) continue;
        if (s->swallow) continue;
        if (s->hv == SIM_HV_KVMTOOL) len += (uint32_t)chain.rlen; /* bytes transferred */
        push_used(s, q, head, len, (uint32_t)chain.wlen);
    }
    write_suppression(s, q);
    return done;
}

void sim_complete(sim *s, unsigned queue, uint16_t head, uint32_t len, uint32_t wlen) {
    sim_queue *q;
    if (queue >= SIM_MAX_QUEUES || !s->q[queue].live) {
        sim_violation(s, "sim_complete on queue %u, which is not live", queue);
        return;
    }
    q = &s->q[queue];
    if (s->swallow) return;
    if (q->packed) {
        pk_push_used(s, q, head, len, wlen);
        pk_write_suppression(s, q);
        return;
    }
    push_used(s, q, head, len, wlen);
    write_suppression(s, q);
}

unsigned long sim_process(sim *s) {
    unsigned long n = 0;
    unsigned i;
    for (i = 0; i < SIM_MAX_QUEUES; i++)
        n += process_queue(s, i);
    return n;
}

/* ---- Device actions -------------------------------------------------------------------------- */
/* What the device does and which driver rules it checks, independent of how the driver reached
   it: the register file below (virtio-mmio) and the transport double (sim_transport) both call
   these, so a rule is written once and holds on both paths. */

/* A slot the driver must ignore ("MMIO Device Register Layout": bad magic, unknown version,
   DeviceID 0). */
static int ignored_slot(const sim *s) {
    return s->device_id == 0 || s->magic != SIM_MAGIC || (s->version != 1 && s->version != 2);
}

static uint32_t dev_status(sim *s) {
    if (s->hv_refused && ++s->hv_refused_reads > s->hv_refused_reads_max)
        s->hv_refused_reads_max = s->hv_refused_reads;
    return s->self_reset ? 0 : s->status;
}

/* Firecracker's offers (its block, net and entropy device code up to v1.16): block VERSION_1,
   EVENT_IDX, FLUSH (writeback cache), RO; network VERSION_1, EVENT_IDX, CSUM, GUEST_CSUM,
   GUEST_TSO4/6, GUEST_UFO, HOST_TSO4/6, HOST_UFO, MRG_RXBUF, MAC (when configured); entropy
   VERSION_1. Other device types: as set (Firecracker has none of them). */
static uint64_t fc_offer(const sim *s) {
    const uint64_t ring = SIM_F(SIM_F_VERSION_1) | SIM_F(SIM_F_EVENT_IDX);
    if (s->hv != SIM_HV_FIRECRACKER || s->hv_offer_all) return ~0ull;
    switch (s->device_id) {
    case 2: return ring | (1ull << 9) | (1ull << 5); /* FLUSH, RO */
    case 1:
        return ring | (1ull << 0) | (1ull << 1) | (1ull << 7) | (1ull << 8) | (1ull << 10) |
               (1ull << 11) | (1ull << 12) | (1ull << 14) | (1ull << 15) | (1ull << 5);
    case 4: return SIM_F(SIM_F_VERSION_1);
    default: return ~0ull;
    }
}

/* The offered feature bits of word `word` (legacy devices have 32 bits, word 0 only). */
static uint32_t dev_features_word(const sim *s, uint32_t word) {
    /* TinyEMU: word 0 holds the device type's bits only (none of the ring's 24..31: no
       INDIRECT_DESC, EVENT_IDX, ANY_LAYOUT), word 1 just VERSION_1, nothing above. */
    if (s->hv == SIM_HV_TINYEMU)
        return word == 0 ? (uint32_t)s->dev_features & 0x00ffffffu
               : word == 1 ? (uint32_t)(s->dev_features >> 32) & 1u
                           : 0u;
    if (word == 0) return (uint32_t)(s->dev_features & fc_offer(s));
    if (word == 1 && s->version == 2) return (uint32_t)((s->dev_features & fc_offer(s)) >> 32);
    return 0;
}

static void drv_features_write(sim *s, uint32_t word, uint32_t v) {
    uint32_t offered = dev_features_word(s, word);
    if (!(s->status & SIM_S_DRIVER)) sim_violation(s, "features written before DRIVER");
    if (s->status & (SIM_S_FEATURES_OK | SIM_S_DRIVER_OK))
        sim_violation(s, "features written after FEATURES_OK/DRIVER_OK");
    if (v & ~offered)
        sim_violation(s, "driver accepted features 0x%x (word %u) not offered (0x%x)", v & ~offered,
                      word, offered);
    if (word == 0)
        s->drv_features = (s->drv_features & ~0xffffffffull) | v;
    else if (word == 1)
        s->drv_features = (s->drv_features & 0xffffffffull) | ((uint64_t)v << 32);
}

/* A configuration access of `width` bytes at byte `c` of the device-specific configuration;
   returns 0 if it may go on. */
static int config_check(sim *s, uint32_t c, unsigned width, int write) {
    if ((width != 1 && width != 2 && width != 4) || c % width || c + width > s->config_len) {
        sim_violation(s, "%u-byte config %s at 0x%x (config is %u bytes)", width,
                      write ? "write" : "read", c, s->config_len);
        return -1;
    }
    return 0;
}

static uint32_t config_read(sim *s, uint32_t c, unsigned width) {
    uint32_t v = 0, i;
    if (config_check(s, c, width, 0)) return 0;
    s->config_reads++;
    if (s->tear_reads > 0 && c < 8) {
        s->tear_reads--;
        s->tear_k++;
        for (i = 0; i < 8; i++)
            s->config[i] = (uint8_t)s->tear_k;
    }
    s->config_last_width = width;
    for (i = 0; i < width; i++)
        v |= (uint32_t)s->config[c + i] << (8 * i);
    return v;
}

static void config_write(sim *s, uint32_t c, uint32_t v, unsigned width) {
    uint32_t i;
    if (config_check(s, c, width, 1)) return;
    s->config_writes++;
    if (s->hv == SIM_HV_FIRECRACKER && !(s->status & SIM_S_DRIVER)) return; /* ignored */
    s->config_last_width = width;
    if (s->version == 2 && !(s->status & SIM_S_FEATURES_OK) &&
        !(c >= s->config_early_off && c + width <= s->config_early_off + s->config_early_len))
        sim_violation(s, "config write before FEATURES_OK");
    if (s->backend == SIM_DEV_CUSTOM && s->ops->config_write) {
        s->ops->config_write(s, c, cfg_swap(s, v, width), width); /* the field's value */
        return;
    }
    for (i = 0; i < width; i++)
        s->config[c + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t config_generation(sim *s) {
    s->gen_reads++;
    if (s->gen_churn) {
        if (s->gen_churn > 0) s->gen_churn--;
        s->config_gen++;
        if (s->gen_tear_capacity) sim_cfg_w64(s, 0, (uint64_t)s->config_gen * 0x100000001ull);
    }
    return s->config_gen;
}

static void status_write(sim *s, uint32_t v) {
    uint32_t old = s->status, drv = SIM_S_ACKNOWLEDGE | SIM_S_DRIVER | SIM_S_DRIVER_OK |
                                    SIM_S_FEATURES_OK | SIM_S_FAILED;
    s->status_writes++;
    if (s->nstatus_hist < 16) s->status_hist[s->nstatus_hist++] = v;
    if (v == 0) {
        device_reset(s);
        return;
    }
    if (v & ~(drv | SIM_S_NEEDS_RESET)) sim_violation(s, "status 0x%x has unknown bits", v);
    /* "The driver MUST NOT clear a device status bit" (FEATURES_OK may have been cleared by
       the device itself, NEEDS_RESET is the device's). */
    if (old & ~v & (SIM_S_ACKNOWLEDGE | SIM_S_DRIVER | SIM_S_DRIVER_OK | SIM_S_FAILED))
        sim_violation(s, "status write 0x%x clears bits of 0x%x", v, old);
    if (!(v & SIM_S_ACKNOWLEDGE)) sim_violation(s, "status 0x%x without ACKNOWLEDGE", v);
    if ((v & ~old & SIM_S_FEATURES_OK)) {
        if (s->version == 1) sim_violation(s, "legacy device: driver set FEATURES_OK");
        if (!(v & SIM_S_DRIVER)) sim_violation(s, "FEATURES_OK before DRIVER");
        if ((s->dev_features & SIM_F(SIM_F_VERSION_1)) && !drv_has(s, SIM_F_VERSION_1))
            sim_violation(s, "modern device: driver did not accept VIRTIO_F_VERSION_1");
    }
    if (v & ~old & SIM_S_DRIVER_OK) {
        if (s->hv == SIM_HV_FIRECRACKER) {
            unsigned i;
            s->hv_activated = 1;
            for (i = 0; i < SIM_MAX_QUEUES; i++)
                if (s->q[i].num_max && !s->q[i].live) s->hv_inactive = 1;
        }
        if (!(v & SIM_S_DRIVER)) sim_violation(s, "DRIVER_OK before DRIVER");
        if (s->version == 2 && (s->refuse_features_ok || !((old | v) & SIM_S_FEATURES_OK)))
            sim_violation(s, "DRIVER_OK without an accepted FEATURES_OK");
        if ((old | v) & SIM_S_FAILED) sim_violation(s, "DRIVER_OK after FAILED");
    }
    s->status = v | (old & SIM_S_NEEDS_RESET);
    if (s->refuse_features_ok) s->status &= ~SIM_S_FEATURES_OK;
    /* QEMU with iommu_platform=on: a driver that does not take ACCESS_PLATFORM is refused. */
    if ((s->dev_features & fc_offer(s) & SIM_F(SIM_F_ACCESS_PLATFORM)) &&
        !drv_has(s, SIM_F_ACCESS_PLATFORM))
        s->status &= ~SIM_S_FEATURES_OK;
}

/* The size of queue `qi` (QueueNum). Returns 0 if the write may not go on. */
static int queue_num_write(sim *s, uint32_t qi, uint32_t v) {
    sim_queue *q = qi < SIM_MAX_QUEUES ? &s->q[qi] : NULL;
    if (!q || !q->num_max) {
        sim_violation(s, "QueueNum written for queue %u, which does not exist", qi);
        return -1;
    }
    if (q->live) sim_violation(s, "QueueNum written while queue %u is live", qi);
    if (v > q->num_max || !is_pow2(v))
        sim_violation(s, "QueueNum %u (QueueNumMax %u, must be a power of two)", v, q->num_max);
    q->num = v;
    return 0;
}

/* Makes a queue whose size and ring addresses are set live: "Device Initialization" step 7
   comes after FEATURES_OK (legacy: after DRIVER) and before DRIVER_OK. */
static void queue_activate(sim *s, uint32_t qi) {
    if (s->version == 1 && !(s->status & SIM_S_DRIVER))
        sim_violation(s, "queue set up before DRIVER");
    if (s->version == 2 && !(s->status & SIM_S_FEATURES_OK))
        sim_violation(s, "queue set up before FEATURES_OK");
    if (s->status & SIM_S_DRIVER_OK) sim_violation(s, "queue %u set up after DRIVER_OK", qi);
    queue_go_live(s, &s->q[qi]);
}

/* Legacy: the rings follow from the page number ("Legacy Interfaces: A Note on Virtqueue
   Layout"): descriptors, then the available ring, then the used ring at the next `align`. */
static void queue_legacy_layout(sim_queue *q, uint64_t page_size) {
    q->desc = (uint64_t)q->pfn * page_size;
    q->driver = q->desc + 16u * q->num;
    q->device = (q->driver + 6u + 2u * q->num + q->align - 1) & ~((uint64_t)q->align - 1);
}

/* An available buffer notification for queue `qi`. */
static void queue_notify(sim *s, uint32_t qi) {
    if (qi >= SIM_MAX_QUEUES || !s->q[qi].live) {
        sim_violation(s, "QueueNotify for queue %u, which is not live", qi);
        return;
    }
    if (!(s->status & SIM_S_DRIVER_OK)) sim_violation(s, "QueueNotify before DRIVER_OK");
    s->q[qi].notifies++;
    if (s->lose_notifies) {
        s->lose_notifies--;
        s->q[qi].lost++;
        return;
    }
    if (!s->manual) process_queue(s, qi);
}

/* ---- Registers ----------------------------------------------------------------------------- */
static int legacy_only(uint32_t off) {
    return off == SIM_REG_GUEST_PAGE_SIZE || off == SIM_REG_QUEUE_ALIGN || off == SIM_REG_QUEUE_PFN;
}
static int modern_only(uint32_t off) {
    return off == SIM_REG_QUEUE_READY || (off >= SIM_REG_QUEUE_DESC_LOW && off <= 0x0fc);
}

/* Common checks of a register access; returns 0 if the access may go on. Configuration
   accesses are checked by config_read / config_write. */
static int check_access(sim *s, uint32_t off, unsigned width, int write) {
    if (ignored_slot(s)) {
        if (write || off > SIM_REG_DEVICE_ID || width != 4) {
            sim_violation(s,
                          "%s of register 0x%03x of a slot that must be ignored "
                          "(magic 0x%x version %u device %u)",
                          write ? "write" : "read", off, s->magic, s->version, s->device_id);
            return -1;
        }
        return 0;
    }
    if (s->hv == SIM_HV_CROSVM && width != 4) {
        s->hv_narrow++; /* crosvm ignores it: a read gives 0, a write is dropped */
        return -1;
    }
    if (off < SIM_REG_CONFIG) {
        if (width != 4 || (off & 3)) {
            sim_violation(s, "%u-byte %s of control register 0x%03x (must be 32-bit)", width,
                          write ? "write" : "read", off);
            return -1;
        }
        if (s->version == 1 && modern_only(off)) {
            sim_violation(s, "legacy device: access to modern-only register 0x%03x", off);
            return -1;
        }
        if (s->version == 2 && legacy_only(off)) {
            sim_violation(s, "modern device: access to legacy-only register 0x%03x", off);
            return -1;
        }
    }
    return 0;
}

static uint32_t reg_read(sim *s, uint32_t off, unsigned width) {
    sim_queue *q;
    s->reads++;
    if (check_access(s, off, width, 0)) return 0;
    if (off >= SIM_REG_CONFIG) return config_read(s, off - SIM_REG_CONFIG, width);
    switch (off) {
    case SIM_REG_MAGIC: return s->magic;
    case SIM_REG_VERSION: return s->version;
    case SIM_REG_DEVICE_ID: return s->device_id;
    case SIM_REG_VENDOR_ID: return s->vendor_id;
    case SIM_REG_DEVICE_FEATURES:
        if (!s->dev_feat_sel_written)
            sim_violation(s, "DeviceFeatures read before DeviceFeaturesSel was written");
        return dev_features_word(s, s->dev_feat_sel);
    case SIM_REG_QUEUE_NUM_MAX:
        q = cur_queue(s);
        if (q && s->version == 1 && q->pfn)
            sim_violation(s, "legacy: QueueNumMax read while QueuePFN is set");
        return q ? q->num_max : 0;
    case SIM_REG_QUEUE_PFN: q = cur_queue(s); return q ? q->pfn : 0;
    case SIM_REG_QUEUE_READY: q = cur_queue(s); return q ? q->ready : 0;
    case SIM_REG_INTERRUPT_STATUS: return s->isr;
    case SIM_REG_STATUS: return dev_status(s);
    case SIM_REG_QUEUE_RESET: return 0;
    case SIM_REG_CONFIG_GENERATION: return config_generation(s);
    default: sim_violation(s, "read of write-only or unknown register 0x%03x", off); return 0;
    }
}

static void reg_write(sim *s, uint32_t off, uint32_t v, unsigned width) {
    sim_queue *q;
    s->writes++;
    if (check_access(s, off, width, 1)) return;
    if (off >= SIM_REG_CONFIG) {
        config_write(s, off - SIM_REG_CONFIG, v, width);
        return;
    }
    switch (off) {
    case SIM_REG_DEVICE_FEATURES_SEL:
        s->dev_feat_sel = v;
        s->dev_feat_sel_written = 1;
        return;
    case SIM_REG_DRIVER_FEATURES_SEL:
        s->drv_feat_sel = v;
        s->drv_feat_sel_written = 1;
        return;
    case SIM_REG_DRIVER_FEATURES:
        if (!s->drv_feat_sel_written)
            sim_violation(s, "DriverFeatures written before DriverFeaturesSel");
        drv_features_write(s, s->drv_feat_sel, v);
        return;
    case SIM_REG_GUEST_PAGE_SIZE:
        if (!is_pow2(v)) sim_violation(s, "GuestPageSize %u is not a power of two", v);
        s->guest_page_size = v;
        return;
    case SIM_REG_QUEUE_SEL: s->queue_sel = v; return;
    case SIM_REG_QUEUE_NUM: (void)queue_num_write(s, s->queue_sel, v); return;
    case SIM_REG_QUEUE_ALIGN:
        q = cur_queue(s);
        if (!is_pow2(v)) sim_violation(s, "QueueAlign %u is not a power of two", v);
        if (q) q->align = v;
        return;
    case SIM_REG_QUEUE_PFN:
        q = cur_queue(s);
        if (!q || !q->num_max) {
            sim_violation(s, "QueuePFN written for queue %u, which does not exist", s->queue_sel);
            return;
        }
        q->pfn = v;
        q->live = 0;
        if (v == 0) return;
        if (!q->num || !s->guest_page_size || !q->align) {
            sim_violation(s, "QueuePFN before QueueNum/GuestPageSize/QueueAlign (%u/%u/%u)", q->num,
                          s->guest_page_size, q->align);
            return;
        }
        queue_legacy_layout(q, s->guest_page_size);
        queue_activate(s, s->queue_sel);
        return;
    case SIM_REG_QUEUE_READY:
        q = cur_queue(s);
        if (!q || !q->num_max) {
            sim_violation(s, "QueueReady written for queue %u, which does not exist", s->queue_sel);
            return;
        }
        q->ready = v & 1u;
        q->live = 0;
        if (!q->ready) return;
        if (!q->num) {
            sim_violation(s, "QueueReady before QueueNum");
            return;
        }
        queue_activate(s, s->queue_sel);
        return;
    case SIM_REG_QUEUE_DESC_LOW:
    case SIM_REG_QUEUE_DESC_HIGH:
    case SIM_REG_QUEUE_DRIVER_LOW:
    case SIM_REG_QUEUE_DRIVER_HIGH:
    case SIM_REG_QUEUE_DEVICE_LOW:
    case SIM_REG_QUEUE_DEVICE_HIGH: {
        uint64_t *field;
        q = cur_queue(s);
        if (!q) {
            sim_violation(s, "queue address written for queue %u, which does not exist",
                          s->queue_sel);
            return;
        }
        if (q->ready) sim_violation(s, "queue address written while QueueReady is 1");
        field = off < SIM_REG_QUEUE_DRIVER_LOW   ? &q->desc
                : off < SIM_REG_QUEUE_DEVICE_LOW ? &q->driver
                                                 : &q->device;
        if (off & 4)
            *field = (*field & 0xffffffffull) | ((uint64_t)v << 32);
        else
            *field = (*field & ~0xffffffffull) | v;
        return;
    }
    case SIM_REG_QUEUE_NOTIFY: queue_notify(s, v); return;
    case SIM_REG_INTERRUPT_ACK: s->isr &= ~v; return;
    case SIM_REG_STATUS: status_write(s, v); return;
    default: sim_violation(s, "write of read-only or unknown register 0x%03x", off); return;
    }
}

void sim_config_changed(sim *s) {
    if (s->hv != SIM_HV_TINYEMU) s->config_gen++; /* TinyEMU's ConfigGeneration is always 0 */
    s->isr |= 2u;
}

void sim_set_needs_reset(sim *s) {
    s->status |= SIM_S_NEEDS_RESET;
    s->isr |= 2; /* configuration change notification */
}

/* ---- Accessor callbacks -------------------------------------------------------------------- */
static uint8_t cb_read8(void *u, unsigned region, uint32_t off) {
    sim *s = (sim *)u;
    if (region != VIRTIO_REGION_MMIO) sim_violation(s, "region %u", region);
    return (uint8_t)reg_read(s, off, 1);
}
static uint16_t cb_read16(void *u, unsigned region, uint32_t off) {
    sim *s = (sim *)u;
    if (region != VIRTIO_REGION_MMIO) sim_violation(s, "region %u", region);
    return (uint16_t)reg_read(s, off, 2);
}
static uint32_t cb_read32(void *u, unsigned region, uint32_t off) {
    sim *s = (sim *)u;
    uint32_t v;
    if (region != VIRTIO_REGION_MMIO) sim_violation(s, "region %u", region);
    v = reg_read(s, off, 4);
    /* a legacy register in the guest's order, as a little-endian accessor sees it */
    return off < SIM_REG_CONFIG && sim_dev_be(s) ? swap32(v) : v;
}
static void cb_write8(void *u, unsigned region, uint32_t off, uint8_t v) {
    sim *s = (sim *)u;
    if (region != VIRTIO_REGION_MMIO) sim_violation(s, "region %u", region);
    reg_write(s, off, v, 1);
}
static void cb_write16(void *u, unsigned region, uint32_t off, uint16_t v) {
    sim *s = (sim *)u;
    if (region != VIRTIO_REGION_MMIO) sim_violation(s, "region %u", region);
    reg_write(s, off, v, 2);
}
static void cb_write32(void *u, unsigned region, uint32_t off, uint32_t v) {
    sim *s = (sim *)u;
    if (region != VIRTIO_REGION_MMIO) sim_violation(s, "region %u", region);
    reg_write(s, off, off < SIM_REG_CONFIG && sim_dev_be(s) ? swap32(v) : v, 4);
}

static int cb_relax(void *u, uint32_t it) {
    sim *s = (sim *)u;
    s->relax_calls++;
    if (it == 0) s->waits++;
    if (it > s->relax_max_iter) s->relax_max_iter = it;
    if (s->process_on_relax && it >= s->relax_delay) sim_process(s);
    if (s->relax_giveup && it + 1 >= s->relax_giveup) return 1;
    if (it >= SIM_RELAX_CAP) {
        sim_violation(s, "a wait ran %u iterations: the library ignored its bound", it);
        return 1;
    }
    return 0;
}

virtio_regs sim_regs(sim *s) {
    virtio_regs r;
    memset(&r, 0, sizeof r);
    r.read8 = cb_read8;
    r.read16 = cb_read16;
    r.read32 = cb_read32;
    r.write8 = cb_write8;
    r.write16 = cb_write16;
    r.write32 = cb_write32;
    r.dma = sim_dma;
    r.relax = cb_relax;
    r.relax_user = s;
    r.user = s;
    return r;
}

/* ---- Transport double ------------------------------------------------------------------------ */
/* A second, independent implementation of virtio_transport_ops: no register offsets, no
   selector registers; each operation acts on the simulator's state through the device actions
   above, so the driver-rule checks and the queue processing are the same as on the register
   path. Each operation counts as one access in s->reads or s->writes (and in direct_reads /
   direct_writes), so "a caller error writes nothing" reads the same on both paths. */
#define SIM_NOTIFY_TAG 0x51000000u /* notify handle = tag | index: the core must pass it back */

static sim *direct_sim(virtio_transport *t, int write) {
    sim *s = (sim *)t->priv;
    if (write) {
        s->writes++;
        s->direct_writes++;
    } else {
        s->reads++;
        s->direct_reads++;
    }
    if (ignored_slot(s))
        sim_violation(s,
                      "transport operation on a device that must be ignored (magic 0x%x "
                      "version %u device %u)",
                      s->magic, s->version, s->device_id);
    return s;
}

static uint32_t d_get_status(virtio_transport *t) { return dev_status(direct_sim(t, 0)); }
static void d_set_status(virtio_transport *t, uint32_t status) {
    status_write(direct_sim(t, 1), status);
}
static uint32_t d_get_features(virtio_transport *t, uint32_t word) {
    sim *s = direct_sim(t, 0);
    if (t->legacy && word != 0) return 0; /* the contract: legacy has word 0 only */
    return dev_features_word(s, word);
}
static void d_set_features(virtio_transport *t, uint32_t word, uint32_t value) {
    sim *s = direct_sim(t, 1);
    if (t->legacy && word != 0) return; /* dropped, as the contract says */
    if (word > 1) sim_violation(s, "driver features word %u (there are two)", word);
    drv_features_write(s, word, value);
}
/* The double's values are the fields' values (the contract: CPU order); config_read and
   config_write speak the register path's little-endian view. */
static uint32_t d_config_read(virtio_transport *t, uint32_t off, unsigned width) {
    sim *s = direct_sim(t, 0);
    return cfg_swap(s, config_read(s, off, width), width);
}
static void d_config_write(virtio_transport *t, uint32_t off, unsigned width, uint32_t value) {
    sim *s = direct_sim(t, 1);
    config_write(s, off, cfg_swap(s, value, width), width);
}
static uint32_t d_config_generation(virtio_transport *t) {
    if (t->legacy) return 0; /* no generation counter: nothing to read */
    return config_generation(direct_sim(t, 0));
}
static uint32_t d_queue_max(virtio_transport *t, uint32_t index) {
    sim *s = direct_sim(t, 0);
    sim_queue *q;
    if (index >= SIM_MAX_QUEUES) return 0;
    q = &s->q[index];
    return q->live || q->ready || q->pfn ? 0 : q->num_max; /* 0: missing or in use */
}
static int d_queue_enable(virtio_transport *t, uint32_t index, uint32_t size, uint64_t desc,
                          uint64_t driver, uint64_t device, uint32_t *notify) {
    sim *s = direct_sim(t, 1);
    sim_queue *q;
    if (!notify) sim_violation(s, "queue_enable without a place for the notify handle");
    if (queue_num_write(s, index, size) || !notify) return VIRTIO_ENOQUEUE;
    q = &s->q[index];
    q->live = 0;
    if (s->version == 1) {
        /* One block from a 32-bit page number, rings placed as the legacy layout says. */
        if (desc % VIRTIO_LEGACY_QUEUE_ALIGN || desc / VIRTIO_LEGACY_QUEUE_ALIGN > 0xffffffffu) {
            sim_violation(s, "legacy queue %u at 0x%llx: not a 32-bit page number", index,
                          (unsigned long long)desc);
            return VIRTIO_ENOQUEUE;
        }
        q->align = VIRTIO_LEGACY_QUEUE_ALIGN;
        q->pfn = (uint32_t)(desc / VIRTIO_LEGACY_QUEUE_ALIGN);
        queue_legacy_layout(q, VIRTIO_LEGACY_QUEUE_ALIGN);
        if (driver != q->driver || device != q->device)
            sim_violation(s,
                          "legacy queue %u: driver/device areas at 0x%llx/0x%llx, the layout "
                          "puts them at 0x%llx/0x%llx",
                          index, (unsigned long long)driver, (unsigned long long)device,
                          (unsigned long long)q->driver, (unsigned long long)q->device);
    } else {
        q->desc = desc;
        q->driver = driver;
        q->device = device;
        q->ready = 1;
    }
    queue_activate(s, index);
    *notify = SIM_NOTIFY_TAG | index;
    return VIRTIO_OK;
}
static void d_notify(virtio_transport *t, uint32_t index, uint32_t notify) {
    sim *s = direct_sim(t, 1);
    if (notify != (SIM_NOTIFY_TAG | index))
        sim_violation(s, "notify of queue %u with handle 0x%x; queue_enable gave 0x%x", index,
                      notify, SIM_NOTIFY_TAG | index);
    queue_notify(s, index);
}
static uint32_t d_interrupt_ack(virtio_transport *t) {
    sim *s = direct_sim(t, 0);
    uint32_t v = s->isr;
    if (v) {
        s->writes++;
        s->direct_writes++;
        s->isr &= ~v;
    }
    return v;
}

static const virtio_transport_ops sim_direct_ops = {
    d_get_status,   d_set_status,   d_get_features,      d_set_features,
    d_config_read,  d_config_write, d_config_generation, d_queue_max,
    d_queue_enable, d_notify,       d_interrupt_ack};

void sim_transport(virtio_transport *t, sim *s) {
    memset(t, 0, sizeof *t);
    t->ops = &sim_direct_ops;
    t->regs = sim_regs(s); /* complete, as attach requires; the ops use only t->priv */
    t->kind = VIRTIO_TRANSPORT_OTHER;
    t->device_id = s->device_id;
    t->vendor_id = s->vendor_id;
    t->legacy = s->version == 1;
    t->version = s->version;
    t->sel = t->fresh = 0xffffffffu;
    t->priv = s;
}

/* ---- Inspection ---------------------------------------------------------------------------- */
const sim_log *sim_last(const sim *s, unsigned back) {
    if (back >= s->nlog || back >= SIM_LOG) return NULL;
    return &s->log[(s->nlog - 1 - back) % SIM_LOG];
}

uint16_t sim_avail_idx(sim *s, unsigned q) {
    sim_queue *sq = &s->q[q];
    if (sq->packed) { /* buffers read, plus those waiting in the ring */
        uint16_t pos = sq->pk_avail_pos, n = 0, id = 0, k = sq->pk_read, seen = 0;
        uint8_t w = sq->pk_avail_wrap;
        while (seen < sq->num && pk_peek(s, sq, q, pos, w, &n, &id, 1) == 1) {
            pk_step(sq, &pos, &w, n);
            seen = (uint16_t)(seen + n);
            k++;
        }
        return k;
    }
    return g16(s, sq->driver + 2);
}
uint16_t sim_avail_flags(sim *s, unsigned q) {
    return s->q[q].packed ? g16(s, s->q[q].driver + 2) : g16(s, s->q[q].driver);
}
uint16_t sim_used_idx(sim *s, unsigned q) {
    return s->q[q].packed ? s->q[q].pk_used : g16(s, s->q[q].device + 2);
}
uint16_t sim_used_flags(sim *s, unsigned q) {
    return s->q[q].packed ? g16(s, s->q[q].device + 2) : g16(s, s->q[q].device);
}
uint16_t sim_used_event(sim *s, unsigned q) {
    if (s->q[q].packed) return g16(s, s->q[q].driver);
    return g16(s, s->q[q].driver + 4 + 2u * s->q[q].num);
}

/* ---- Counting accessor --------------------------------------------------------------------- */
static uint8_t cn_read8(void *u, unsigned region, uint32_t off) {
    sim_counter *c = (sim_counter *)u;
    c->reads++;
    return c->inner.read8(c->inner.user, region, off);
}
static uint16_t cn_read16(void *u, unsigned region, uint32_t off) {
    sim_counter *c = (sim_counter *)u;
    c->reads++;
    return c->inner.read16(c->inner.user, region, off);
}
static uint32_t cn_read32(void *u, unsigned region, uint32_t off) {
    sim_counter *c = (sim_counter *)u;
    c->reads++;
    return c->inner.read32(c->inner.user, region, off);
}
static void cn_write8(void *u, unsigned region, uint32_t off, uint8_t v) {
    sim_counter *c = (sim_counter *)u;
    c->writes++;
    c->inner.write8(c->inner.user, region, off, v);
}
static void cn_write16(void *u, unsigned region, uint32_t off, uint16_t v) {
    sim_counter *c = (sim_counter *)u;
    c->writes++;
    c->inner.write16(c->inner.user, region, off, v);
}
static void cn_write32(void *u, unsigned region, uint32_t off, uint32_t v) {
    sim_counter *c = (sim_counter *)u;
    c->writes++;
    c->inner.write32(c->inner.user, region, off, v);
}
static uint64_t cn_dma(void *u, const void *p) {
    sim_counter *c = (sim_counter *)u;
    return c->inner.dma ? c->inner.dma(c->inner.user, p) : (uint64_t)(uintptr_t)p;
}
static int cn_relax(void *u, uint32_t it) {
    sim_counter *c = (sim_counter *)u;
    return c->inner.relax ? c->inner.relax(c->inner.relax_user, it) : 0;
}

virtio_regs sim_counter_regs(sim_counter *c, const virtio_regs *inner) {
    virtio_regs r;
    c->inner = *inner;
    c->reads = c->writes = 0;
    r.read8 = cn_read8;
    r.read16 = cn_read16;
    r.read32 = cn_read32;
    r.write8 = cn_write8;
    r.write16 = cn_write16;
    r.write32 = cn_write32;
    r.dma = cn_dma;
    r.relax = cn_relax;
    r.relax_user = c;
    r.spin_limit = inner->spin_limit;
    r.user = c;
    return r;
}
