/* fixture.h - per-case setup shared by the host test programs: an arena of guest memory, a
   simulated device in it, the transport a case drives it through, and a runner that names each
   case after its variant. Include after virtio.h, sim.h and test.h.

   Variants (run_table): a case runs once per transport version it asks for (RUN_V1 legacy
   virtio-mmio, RUN_V2 modern), with and without VIRTIO_F_EVENT_IDX offered (RUN_EIDX), and each
   of those twice: over the simulated MMIO registers ("core/v2: name", f->t probed by
   virtio_mmio_transport) and over the transport double ("core/v2,transport: name", f->t filled
   by sim_transport: the core's transport interface reached without registers). Write cases
   against &f->t and they run over both. A case about MMIO registers themselves says
   RUN_MMIO_ONLY, or looks at f->t.kind.

   Ring format: every modern (v2) case runs once more with the device offering
   VIRTIO_F_RING_PACKED, which the core takes ("core/v2,packed: name", over MMIO; with the event
   index variants when the case has them). f->packed says which. A case about the split ring's
   layout says RUN_SPLIT_ONLY, one about the packed ring RUN_PACKED_ONLY. The simulated device
   offers VIRTIO_F_INDIRECT_DESC (as QEMU does) unless a case or setup clears it; RUN_NO_IND runs a
   case once more without the offer
   (",no_indirect"), on every format.

   Environment: VIRTIO_TEST_FILTER=text runs only the cases whose full name contains `text`
   (e.g. "v2,transport" or "queue wraps"). */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <stdlib.h>
#include <string.h>

#define FX_ARENA_SIZE (8u << 20)
#define FX_GPA        0x80000000ull /* where guest memory starts for the device (like riscv virt) */

typedef struct fx {
    uint32_t ver; /* virtio-mmio version of the simulated device: 1 legacy, 2 modern */
    int eidx;     /* the device offers VIRTIO_F_EVENT_IDX */
    int packed;   /* the device offers VIRTIO_F_RING_PACKED (modern only) */
    int noind;    /* the device does not offer VIRTIO_F_INDIRECT_DESC */
    uint64_t gpa; /* device address of the arena */
    sim_arena arena;
    sim s;
    virtio_regs regs;   /* sim_regs(&s) */
    virtio_transport t; /* what the case drives the device through: see fx_transport */
    sim *extra;         /* more devices (scan tests); checked for violations too */
    unsigned nextra;
    int allow_violations; /* the case provokes the simulator's checks on purpose */
    int direct;           /* f->t is the transport double (sim_transport), not MMIO */
    void *heap[8];        /* fx_malloc's blocks, freed by the runner */
    unsigned nheap;
} fx;

/* Ring features the core takes by itself whenever the device offers them, besides VERSION_1
   and EVENT_IDX: a device test that checks the exact feature word masks them out. */
#define FX_RING_F                                                                                  \
    (SIM_F(SIM_F_INDIRECT_DESC) | SIM_F(SIM_F_RING_PACKED) | SIM_F(SIM_F_ANY_LAYOUT) |             \
     SIM_F(SIM_F_ACCESS_PLATFORM))

typedef void (*fx_case)(fx *f);
typedef void (*fx_setup)(fx *f);

static inline void *fx_alloc(fx *f, size_t size, size_t align) {
    return sim_alloc(&f->arena, size, align);
}

/* Host memory outside the arena (copies, models) that the runner frees after the case, so a
   CHECK that returns early leaks nothing (LeakSanitizer runs at exit). */
static inline void *fx_malloc(fx *f, size_t n) {
    void *p = f->nheap < sizeof f->heap / sizeof f->heap[0] ? malloc(n ? n : 1) : NULL;
    if (!p) abort();
    f->heap[f->nheap++] = p;
    return p;
}

/* Allocates `n` more simulated devices sharing the arena (freed by the runner). */
static inline sim *fx_extra(fx *f, unsigned n) {
    f->extra = (sim *)calloc(n, sizeof(sim));
    if (!f->extra) abort();
    f->nextra = n;
    return f->extra;
}

/* (Re)makes f->t for this case's variant from f->regs: the virtio-mmio probe, or the transport
   double carrying f->regs (so a changed spin_limit, relax hook or dma holds on both). A case
   that changes f->regs calls it again. f->t is zeroed where a probe would refuse the device
   (bad magic, unknown version, device ID 0), on both variants alike. Returns the probe's
   result (0 for the double, or VIRTIO_ENODEV where it zeroed f->t). */
static inline int fx_transport(fx *f) {
    int r;
    if (f->direct) {
        const sim *s = &f->s;
        r = (s->magic != SIM_MAGIC || s->device_id == 0) ? VIRTIO_ENODEV
            : (s->version != 1 && s->version != 2)       ? VIRTIO_EVERSION
                                                         : VIRTIO_OK;
        if (r == VIRTIO_OK) {
            sim_transport(&f->t, &f->s);
            f->t.regs = f->regs;
        }
    } else {
        r = virtio_mmio_transport(&f->t, &f->regs);
    }
    if (r != VIRTIO_OK) memset(&f->t, 0, sizeof f->t);
    return r;
}

/* The hypervisor the simulated device plays in every case (tests/sim.h, enum sim_hv), from
   VIRTIO_TEST_HV: qemu (the default), kvmtool, crosvm, firecracker. A whole suite run under one
   shows that the device header works there. */
static inline enum sim_hv fx_hv(void) {
    const char *hv = getenv("VIRTIO_TEST_HV");
    if (!hv || !*hv || !strcmp(hv, "qemu")) return SIM_HV_QEMU;
    if (!strcmp(hv, "kvmtool")) return SIM_HV_KVMTOOL;
    if (!strcmp(hv, "crosvm")) return SIM_HV_CROSVM;
    if (!strcmp(hv, "firecracker")) return SIM_HV_FIRECRACKER;
    if (!strcmp(hv, "tinyemu")) return SIM_HV_TINYEMU;
    fprintf(stderr, "VIRTIO_TEST_HV=%s: not one of qemu, kvmtool, crosvm, firecracker, tinyemu\n",
            hv);
    exit(2);
}

/* Inside a case: 1 (the case is skipped, with `why`) when the suite runs as hypervisor `hv`,
   which lacks what the case needs (a feature it never offers, a request it never answers). */
static inline int fx_hv_lacks(const fx *f, enum sim_hv hv, const char *why) {
    if (f->s.hv != hv) return 0;
    T.skipped = 1;
    snprintf(T.msg, sizeof T.msg, "%s", why);
    return 1;
}

/* Ends the case begun as a SKIP, for `why`. */
static inline void t_skip(const char *why) {
    T.skipped = 1;
    snprintf(T.msg, sizeof T.msg, "%s", why);
    t_end();
}

/* Firecracker (up to v1.16) cannot reset a device it activated: each case is a fresh VM, so
   its first init works, but a case that resets or re-initializes the device after DRIVER_OK
   (a timeout's reset, init again, virtio_X_reset) meets a reset that never completes. The
   fixture records the state of the case at the first refusal (fx__fc_refusal: 1 if it had
   already failed); see fx__fc_verdict. */
static int fx__fc_refusal;
static void fx__fc_on_refused(struct sim *s) {
    if (s->hv_refused == 1) fx__fc_refusal = T.failed ? 1 : 2;
}

/* The verdict on a case that failed under Firecracker after the device refused a reset: a
   SKIP (the case needs a reset Firecracker cannot do) only if nothing had failed before the
   first refusal, the check that failed got VIRTIO_EBUSY (what init, reset and a wait whose
   reset does not complete promise), and the library answered every refusal within its bound:
   at most VIRTIO_RESET_SPIN status reads after it. A driver that went on writing the device
   after a refused reset is a protocol violation, which keeps the FAIL; so does any other
   failure. */
static inline void fx__fc_verdict(const fx *f) {
    char why[sizeof T.msg], ebusy[48];
    snprintf(ebusy, sizeof ebusy, "got %d (VIRTIO_EBUSY) want", VIRTIO_EBUSY);
    if (f->s.hv != SIM_HV_FIRECRACKER || !f->s.hv_refused || !T.failed || fx__fc_refusal != 2 ||
        !strstr(T.msg, ebusy))
        return;
    if (f->s.hv_refused_reads_max > VIRTIO_RESET_SPIN) {
        T.failed = 0; /* this, not the check that failed after, is the finding */
        T_FAIL("firecracker refused a reset and the driver read the status %lu times after it "
               "(bound VIRTIO_RESET_SPIN %u)",
               f->s.hv_refused_reads_max, (unsigned)VIRTIO_RESET_SPIN);
        return;
    }
    snprintf(why, sizeof why,
             "firecracker: the case resets the activated device (%lu reset(s) refused, the "
             "driver gave up after at most %lu status reads); then %.280s",
             f->s.hv_refused, f->s.hv_refused_reads_max, T.msg);
    T.failed = 0;
    T.skipped = 1;
    snprintf(T.msg, sizeof T.msg, "%s", why);
}

/* Runs one case: `variant` is added to its name after the version; direct: over the
   transport double. */
static inline void fx_run_ring(const char *group, const char *variant, const char *name, fx_case fn,
                               uint32_t ver, int eidx, int direct, fx_setup setup, uint64_t gpa,
                               int packed, int noind) {
    fx *f;
    unsigned i;
    char full[sizeof T.name];
    const char *filter = getenv("VIRTIO_TEST_FILTER");
    if (ver)
        snprintf(full, sizeof full, "%s/v%u%s: %s", group, (unsigned)ver, variant, name);
    else
        snprintf(full, sizeof full, "%s: %s", group, name);
    if (filter && *filter && !strstr(full, filter)) return;
    t_begin("%s", full);
    /* Variants the hypervisor played has not, skipped before anything is set up. crosvm's
       virtio-mmio is modern only; TinyEMU's too, and it offers no EVENT_IDX, packed ring or
       indirect descriptors, so those variants would repeat the plain one. */
    if (fx_hv() == SIM_HV_CROSVM && ver == 1) {
        t_skip("crosvm has no legacy virtio-mmio");
        return;
    }
    if (fx_hv() == SIM_HV_TINYEMU && (ver == 1 || strstr(variant, ",event_idx") || packed || noind)) {
        t_skip(ver == 1   ? "tinyemu: no legacy virtio-mmio"
               : packed ? "tinyemu: no packed ring"
               : noind  ? "tinyemu: no indirect descriptors offered (the plain variant)"
                        : "tinyemu: no EVENT_IDX");
        return;
    }
    /* Firecracker's virtio-mmio is version 2 only; it offers no packed ring and no indirect
       descriptors (so the no-indirect variant would repeat the plain one). */
    if (fx_hv() == SIM_HV_FIRECRACKER && (ver == 1 || packed || noind)) {
        t_skip(ver == 1   ? "firecracker: no legacy virtio-mmio"
               : packed ? "firecracker: no packed ring"
                        : "firecracker: no indirect descriptors offered (the plain variant)");
        return;
    }
    f = (fx *)calloc(1, sizeof *f);
    if (!f || sim_arena_init(&f->arena, FX_ARENA_SIZE, gpa ? gpa : FX_GPA)) {
        T_FAIL("out of memory");
        t_end();
        free(f);
        return;
    }
    f->ver = ver ? ver : 2;
    f->eidx = eidx;
    f->packed = packed;
    f->noind = noind;
    f->direct = direct;
    f->gpa = f->arena.gpa;
    if (setup) setup(f);
    f->s.hv = fx_hv();
    fx__fc_refusal = 0;
    if (f->s.hv == SIM_HV_FIRECRACKER) {
        /* its queues only: the network device's receive and transmit, one elsewhere */
        for (i = f->s.device_id == 1 ? 2u : 1u; i < SIM_MAX_QUEUES; i++)
            f->s.q[i].num_max = 0;
        f->s.hv_on_refused = fx__fc_on_refused;
    }
    if (!eidx) f->s.dev_features &= ~SIM_F(SIM_F_EVENT_IDX);
    if (packed) f->s.dev_features |= SIM_F(SIM_F_RING_PACKED);
    if (noind) f->s.dev_features &= ~SIM_F(SIM_F_INDIRECT_DESC);
    f->regs = sim_regs(&f->s);
    /* crosvm ignores narrow accesses: the accessor's mode for it (documented in virtio.h). */
    if (f->s.hv == SIM_HV_CROSVM) f->regs.flags |= VIRTIO_REGS_F_CONFIG32;
    (void)fx_transport(f);
    f->s.reads = 0; /* the probe's reads: every case starts with no access counted */
    if (!T.failed && !T.skipped) fn(f);
    if (!T.failed && !T.skipped && f->s.hv_narrow)
        T_FAIL("crosvm ignored %lu narrow register access(es)", f->s.hv_narrow);
    if (!T.failed && !T.skipped && !f->allow_violations) {
        if (f->s.violations)
            T_FAIL("device saw %lu protocol violation(s), first: %s", f->s.violations,
                   f->s.violation);
        for (i = 0; i < f->nextra && !T.failed; i++)
            if (f->extra[i].violations)
                T_FAIL("device %u saw %lu protocol violation(s), first: %s", i,
                       f->extra[i].violations, f->extra[i].violation);
    }
    if (!f->s.violations) fx__fc_verdict(f);
    t_end();
    for (i = 0; i < f->nextra; i++)
        sim_destroy(&f->extra[i]);
    free(f->extra);
    for (i = 0; i < f->nheap; i++)
        free(f->heap[i]);
    sim_destroy(&f->s);
    sim_arena_free(&f->arena);
    free(f);
}

/* One case, split ring, indirect descriptors offered. */
static inline void fx_run_variant(const char *group, const char *variant, const char *name,
                                  fx_case fn, uint32_t ver, int eidx, int direct, fx_setup setup,
                                  uint64_t gpa) {
    fx_run_ring(group, variant, name, fn, ver, eidx, direct, setup, gpa, 0, 0);
}

/* One case over the simulated MMIO registers (kept for callers of the first fixture). */
static inline void fx_run(const char *group, const char *variant, const char *name, fx_case fn,
                          uint32_t ver, int eidx, fx_setup setup, uint64_t gpa) {
    fx_run_variant(group, variant, name, fn, ver, eidx, 0, setup, gpa);
}

/* Case tables: which versions and event-index variants a case runs in. */
#define RUN_V1          1u
#define RUN_V2          2u
#define RUN_BOTH        3u
#define RUN_EIDX        4u   /* once with and once without VIRTIO_F_EVENT_IDX offered */
#define RUN_ONCE        8u   /* version independent (MMIO, modern; not over the double) */
#define RUN_HIGH        16u  /* guest memory above 16 TiB */
#define RUN_MMIO_ONLY   32u  /* about virtio-mmio registers: not over the transport double */
#define RUN_SPLIT_ONLY  64u  /* about the split ring's layout: no packed variant */
#define RUN_NO_IND      128u /* once more without VIRTIO_F_INDIRECT_DESC offered */
#define RUN_PACKED_ONLY 256u /* about the packed ring: its variant only (modern, MMIO) */

typedef struct tcase {
    const char *name;
    fx_case fn;
    unsigned runs;
} tcase;

/* One version of a case: MMIO first, then the transport double unless the case opts out,
   then (modern) the packed ring over MMIO; each without indirect descriptors too if asked. */
static inline void run_version(const char *group, const tcase *c, uint32_t v, fx_setup setup,
                               uint64_t gpa) {
    static const char *const eidx_name[2] = {",no_event_idx", ",event_idx"};
    int pass, e, noind;
    for (pass = 0; pass <= 2; pass++) {
        int direct = pass == 1, packed = pass == 2;
        const char *kind = direct ? ",transport" : packed ? ",packed" : "";
        char variant[64];
        if (direct && (c->runs & RUN_MMIO_ONLY)) continue;
        if (!packed && (c->runs & RUN_PACKED_ONLY)) continue;
        if (packed && (v != 2 || (c->runs & RUN_SPLIT_ONLY))) continue;
        for (noind = 0; noind <= !!(c->runs & RUN_NO_IND); noind++) {
            const char *ind = noind ? ",no_indirect" : "";
            if (!(c->runs & RUN_EIDX)) {
                snprintf(variant, sizeof variant, "%s%s", kind, ind);
                fx_run_ring(group, variant, c->name, c->fn, v, 1, direct, setup, gpa, packed,
                            noind);
                continue;
            }
            for (e = 1; e >= 0; e--) {
                snprintf(variant, sizeof variant, "%s%s%s", kind, eidx_name[e], ind);
                fx_run_ring(group, variant, c->name, c->fn, v, e, direct, setup, gpa, packed,
                            noind);
            }
        }
    }
}

static inline void run_table(const char *group, const tcase *cases, size_t n, fx_setup setup) {
    size_t i;
    uint32_t v;
    for (i = 0; i < n; i++) {
        const tcase *c = &cases[i];
        uint64_t gpa = (c->runs & RUN_HIGH) ? 0x100000000000ull : 0;
        if (c->runs & RUN_ONCE) {
            fx_run_variant(group, "", c->name, c->fn, 0, 1, 0, setup, gpa);
            continue;
        }
        for (v = 1; v <= 2; v++)
            if (c->runs & v) run_version(group, c, v, setup, gpa);
    }
}

#endif /* FIXTURE_H */
