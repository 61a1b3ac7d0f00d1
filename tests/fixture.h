/* fixture.h - per-case setup shared by the host test programs: an arena of guest memory, a
   simulated device in it, and a runner that names each case after its transport version.
   Include after virtio.h, sim.h and test.h. */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <stdlib.h>

#define FX_ARENA_SIZE (8u << 20)
#define FX_GPA        0x80000000ull /* where guest memory starts for the device (like riscv virt) */

typedef struct fx {
    uint32_t ver; /* virtio-mmio version of the simulated device: 1 legacy, 2 modern */
    int eidx;     /* the device offers VIRTIO_F_EVENT_IDX */
    uint64_t gpa; /* device address of the arena */
    sim_arena arena;
    sim s;
    virtio_regs regs; /* sim_regs(&s) */
    virtio_transport t; /* probed from regs (virtio_mmio_transport) before the case runs */
    sim *extra;       /* more devices (scan tests); checked for violations too */
    unsigned nextra;
    int allow_violations; /* the case provokes the simulator's checks on purpose */
} fx;

typedef void (*fx_case)(fx *f);
typedef void (*fx_setup)(fx *f);

static inline void *fx_alloc(fx *f, size_t size, size_t align) {
    return sim_alloc(&f->arena, size, align);
}

/* Allocates `n` more simulated devices sharing the arena (freed by the runner). */
static inline sim *fx_extra(fx *f, unsigned n) {
    f->extra = (sim *)calloc(n, sizeof(sim));
    if (!f->extra) abort();
    f->nextra = n;
    return f->extra;
}

static inline void fx_run(const char *group, const char *variant, const char *name, fx_case fn,
                          uint32_t ver, int eidx, fx_setup setup, uint64_t gpa) {
    fx *f = (fx *)calloc(1, sizeof *f);
    unsigned i;
    if (ver)
        t_begin("%s/v%u%s: %s", group, (unsigned)ver, variant, name);
    else
        t_begin("%s: %s", group, name);
    if (!f || sim_arena_init(&f->arena, FX_ARENA_SIZE, gpa ? gpa : FX_GPA)) {
        T_FAIL("out of memory");
        t_end();
        free(f);
        return;
    }
    f->ver = ver ? ver : 2;
    f->eidx = eidx;
    f->gpa = f->arena.gpa;
    if (setup) setup(f);
    if (!eidx) f->s.dev_features &= ~SIM_F(SIM_F_EVENT_IDX);
    f->regs = sim_regs(&f->s);
    (void)virtio_mmio_transport(&f->t, &f->regs); /* stays zeroed where the case breaks the probe */
    if (!T.failed) fn(f);
    if (!T.failed && !T.skipped && !f->allow_violations) {
        if (f->s.violations)
            T_FAIL("device saw %lu protocol violation(s), first: %s", f->s.violations,
                   f->s.violation);
        for (i = 0; i < f->nextra && !T.failed; i++)
            if (f->extra[i].violations)
                T_FAIL("device %u saw %lu protocol violation(s), first: %s", i,
                       f->extra[i].violations, f->extra[i].violation);
    }
    t_end();
    for (i = 0; i < f->nextra; i++)
        sim_destroy(&f->extra[i]);
    free(f->extra);
    sim_destroy(&f->s);
    sim_arena_free(&f->arena);
    free(f);
}

/* Case tables: which versions and event-index variants a case runs in. */
#define RUN_V1   1u
#define RUN_V2   2u
#define RUN_BOTH 3u
#define RUN_EIDX 4u  /* once with and once without VIRTIO_F_EVENT_IDX offered */
#define RUN_ONCE 8u  /* version independent */
#define RUN_HIGH 16u /* guest memory above 16 TiB */

typedef struct tcase {
    const char *name;
    fx_case fn;
    unsigned runs;
} tcase;

static inline void run_table(const char *group, const tcase *cases, size_t n, fx_setup setup) {
    size_t i;
    uint32_t v;
    for (i = 0; i < n; i++) {
        const tcase *c = &cases[i];
        uint64_t gpa = (c->runs & RUN_HIGH) ? 0x100000000000ull : 0;
        if (c->runs & RUN_ONCE) {
            fx_run(group, "", c->name, c->fn, 0, 1, setup, gpa);
            continue;
        }
        for (v = 1; v <= 2; v++) {
            if (!(c->runs & v)) continue;
            if (c->runs & RUN_EIDX) {
                fx_run(group, ",event_idx", c->name, c->fn, v, 1, setup, gpa);
                fx_run(group, ",no_event_idx", c->name, c->fn, v, 0, setup, gpa);
            } else {
                fx_run(group, "", c->name, c->fn, v, 1, setup, gpa);
            }
        }
    }
}

#endif /* FIXTURE_H */
