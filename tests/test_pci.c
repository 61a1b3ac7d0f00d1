/* test_pci.c - the virtio-pci transport of virtio.h against a simulated PCI function
   (tests/sim_pci.c) in front of the simulated devices: probe of the modern, transitional and
   legacy layouts, whole devices (entropy, block; console and keyboard over legacy) over each, the notify multiplier, hostile
   capability lists and BAR sizes, caller errors, and the ECAM scan on a memory image. */
#define VIRTIO_SPIN_LIMIT 100000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_RNG_IMPLEMENTATION
#include "../virtio_rng.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "../virtio_blk.h"
#define VIRTIO_CONSOLE_IMPLEMENTATION
#include "../virtio_console.h"
#define VIRTIO_INPUT_IMPLEMENTATION
#include "../virtio_input.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_blk.h"
#include "sim_console.h"
#include "sim_input.h"
#include "sim_pci.h"
#include "sim_rng.h"
#include "test.h"

/* One case's world: guest memory, a device, the PCI function in front of it. */
typedef struct pf {
    sim_arena arena;
    sim s;
    sim_pci p;
    virtio_regs regs;
    virtio_transport t;
    int allow_violations;
    simc con;
    simi in;
} pf;

static const char *layout_name[] = {"modern", "transitional", "legacy"};

static void pf_up(pf *f, enum sim_pci_layout layout, int blk) {
    uint32_t ver = layout == SIM_PCI_LEGACY ? 1u : 2u;
    memset(f, 0, sizeof *f);
    if (sim_arena_init(&f->arena, 4u << 20, 0x80000000ull) != 0) abort();
    if (blk == 2) { /* QEMU's virtio-serial: port 0 a console, queues of 128 */
        simc_init(&f->con, &f->s, &f->arena, ver, 1, 0, 0);
        simc_add_port(&f->con, 0, NULL, 1, 1);
        f->s.q[0].num_max = f->s.q[1].num_max = 128;
    } else if (blk == 3) { /* QEMU's virtio-keyboard: queues of 64 */
        simi_init(&f->in, &f->s, &f->arena, ver, SIMI_KEYBOARD);
    } else {
        if (blk) {
            if (sim_init_blk(&f->s, &f->arena, ver, 64) != 0) abort();
        } else {
            sim_init_rng(&f->s, &f->arena, ver);
        }
        /* Legacy PCI queues have the device's size: make it one the tests ask for. */
        f->s.q[0].num_max = 16;
    }
    sim_pci_init(&f->p, &f->s, layout);
    /* As firmware (or virtio_pci_assign) left it: BARs placed, decoding on. */
    f->regs = sim_pci_regs(&f->p);
    f->regs.write32(&f->p, VIRTIO_REGION_PCI_CONFIG, 0x10, 0xc001);     /* BAR 0, I/O */
    f->regs.write32(&f->p, VIRTIO_REGION_PCI_CONFIG, 0x14, 0x40001000); /* BAR 1 */
    f->regs.write32(&f->p, VIRTIO_REGION_PCI_CONFIG, 0x20, 0x40004000); /* BAR 4 */
    f->regs.write16(&f->p, VIRTIO_REGION_PCI_CONFIG, 0x04, 0x7);
    f->p.config_space_writes = 0;
}
static void pf_down(pf *f) {
    if (T.failed && f->s.violations) printf("INFO violation: %s\n", f->s.violation);
    if (!T.failed && !f->allow_violations && f->s.violations)
        T_FAIL("the device saw %lu violation(s): %s", f->s.violations, f->s.violation);
    sim_destroy(&f->s);
    sim_arena_free(&f->arena);
}
static uint32_t cfg32(pf *f, uint32_t off) {
    return f->regs.read32(&f->p, VIRTIO_REGION_PCI_CONFIG, off);
}

/* ---- Probe ---------------------------------------------------------------------------------- */
static void c_probe(pf *f, enum sim_pci_layout layout) {
    uint32_t bar0 = cfg32(f, 0x10), bar4 = cfg32(f, 0x20), bar5 = cfg32(f, 0x24);
    /* Legacy: the probe reads the queues' fixed sizes through QueueSelect, and puts it back. */
    if (layout == SIM_PCI_LEGACY) f->regs.write16(&f->p, VIRTIO_REGION_PCI_BAR(0), 14, 3);
    f->regs.write16(&f->p, VIRTIO_REGION_PCI_CONFIG, 0x04,
                    0); /* decoding off: the probe turns it on */
    f->p.bar_accesses = 0;
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
    CHECK_EQ(f->t.kind, VIRTIO_TRANSPORT_PCI);
    CHECK_EQ(f->t.device_id, VIRTIO_ID_RNG);
    CHECK_EQ(f->t.vendor_id, VIRTIO_PCI_VENDOR_ID);
    CHECK_EQ(virtio_transport_legacy(&f->t), layout == SIM_PCI_LEGACY);
    CHECK_EQ(f->t.version, layout == SIM_PCI_LEGACY ? 1u : 2u);
    if (layout == SIM_PCI_LEGACY) {
        /* QueueSelect read, then per queue a select and a QueueNum read (queue 0: 16, queue 1
           missing), then QueueSelect put back: nothing else. */
        CHECK_EQ(f->p.bar_accesses, 6);
        CHECK_EQ(f->p.qsel, 3);
        CHECK_EQ(f->t.queue_fixed, 16);
    } else {
        CHECK_EQ(f->p.bar_accesses, 0); /* no device register touched */
        CHECK_EQ(f->t.queue_fixed, 0);
    }
    CHECK_EQ(cfg32(f, 0x10), bar0); /* the sizing put every BAR back */
    CHECK_EQ(cfg32(f, 0x20), bar4);
    CHECK_EQ(cfg32(f, 0x24), bar5);
    CHECK_EQ(cfg32(f, 0x04) & 0x7u, 0x7u); /* memory, I/O decoding, bus master */
    CHECK_EQ(f->p.cap_writes, 0);
}

/* A whole entropy device over the function: init, a read, reset. */
static void c_rng(pf *f, enum sim_pci_layout layout) {
    uint8_t *buf = (uint8_t *)sim_alloc(&f->arena, 64, 8);
    virtio_rng rng;
    virtio_rng_params p;
    uint8_t *mem;
    size_t sz;
    (void)layout;
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
    memset(&p, 0, sizeof p);
    p.queue_size = 16;
    sz = virtio_rng_mem_size(&p, &f->t);
    mem = (uint8_t *)sim_alloc(&f->arena, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_rng_init(&rng, &f->t, &p, mem, sz), VIRTIO_OK);
    CHECK_RC(virtio_rng_read(&rng, buf, 64), VIRTIO_OK);
    CHECK_EQ(f->s.rng_pos, 64);
    CHECK_GE(f->p.notifies, 1);
    if (layout != SIM_PCI_LEGACY) { /* legacy without MSI-X has no vector fields */
        CHECK_EQ(f->p.msix_queue[0], VIRTIO_MSI_NO_VECTOR);
        CHECK_EQ(f->p.msix_config, VIRTIO_MSI_NO_VECTOR);
    }
    CHECK_RC(virtio_rng_reset(&rng), VIRTIO_OK);
    CHECK_EQ(f->s.status, 0);
}

/* A block device: configuration through the device structure (capacity), a write and a read
   back through the queue. */
static void c_blk(pf *f, enum sim_pci_layout layout) {
    uint8_t *w = (uint8_t *)sim_alloc(&f->arena, 512, 8),
            *r = (uint8_t *)sim_alloc(&f->arena, 512, 8);
    virtio_blk blk;
    virtio_blk_params p;
    uint8_t *mem;
    size_t sz;
    unsigned i;
    (void)layout;
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
    CHECK_EQ(f->t.device_id, VIRTIO_ID_BLOCK);
    memset(&p, 0, sizeof p);
    p.queue_size = 16;
    sz = virtio_blk_mem_size(&p, &f->t);
    mem = (uint8_t *)sim_alloc(&f->arena, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_blk_init(&blk, &f->t, &p, mem, sz), VIRTIO_OK);
    CHECK_EQ(virtio_blk_capacity(&blk), 64);
    for (i = 0; i < 512; i++)
        w[i] = (uint8_t)(i * 7u + 1u);
    CHECK_RC(virtio_blk_write(&blk, 5, w, 512), VIRTIO_OK);
    CHECK_RC(virtio_blk_read(&blk, 5, r, 512), VIRTIO_OK);
    CHECK_MEM(r, w, 512);
    CHECK_MEM(f->s.disk + 5 * 512, w, 512);
}

/* Legacy with MSI-X left enabled by firmware: configuration at 24, both vectors "none". */
static void c_legacy_msix(pf *f, enum sim_pci_layout layout) {
    uint8_t *w = (uint8_t *)sim_alloc(&f->arena, 512, 8);
    virtio_blk blk;
    virtio_blk_params p;
    uint8_t *mem;
    size_t sz;
    (void)layout;
    sim_pci_msix(&f->p, 1);
    f->p.msix_config = 0;
    f->p.msix_queue[0] = 3;
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
    CHECK_EQ(f->t.legacy, 1);
    memset(&p, 0, sizeof p);
    p.queue_size = 16;
    sz = virtio_blk_mem_size(&p, &f->t);
    mem = (uint8_t *)sim_alloc(&f->arena, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_blk_init(&blk, &f->t, &p, mem, sz), VIRTIO_OK);
    CHECK_EQ(virtio_blk_capacity(&blk), 64); /* read at 24, not 20 */
    CHECK_EQ(f->p.msix_config, VIRTIO_MSI_NO_VECTOR);
    CHECK_EQ(f->p.msix_queue[0], VIRTIO_MSI_NO_VECTOR);
    CHECK_RC(virtio_blk_read(&blk, 0, w, 512), VIRTIO_OK);
}

/* Legacy queues have the device's size (256 here, as QEMU's block device): a smaller wish gets rings of the device's
   size and uses that many descriptors; memory sized without the device's size is refused
   before the device is touched; a larger wish shrinks. */
static void c_legacy_size(pf *f, enum sim_pci_layout layout) {
    uint8_t *buf = (uint8_t *)sim_alloc(&f->arena, 256, 8);
    virtio_transport small;
    virtio_rng rng;
    virtio_rng_params p;
    uint8_t *mem;
    size_t sz;
    unsigned i;
    (void)layout;
    f->s.q[0].num_max = 256;
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
    CHECK_EQ(f->t.queue_fixed, 256);
    memset(&p, 0, sizeof p);
    p.queue_size = 4; /* the device's is 256 */
    CHECK_EQ(virtio_queue_ring_size(&f->t, 4), virtio_queue_ring_size(&f->t, 256));
    /* Memory planned as if the driver chose the size: too small for the device's rings. */
    small = f->t;
    small.queue_fixed = 0;
    sz = virtio_rng_mem_size(&p, &small);
    CHECK(sz < virtio_rng_mem_size(&p, &f->t));
    mem = (uint8_t *)sim_alloc(&f->arena, sz, virtio_queue_ring_align(&f->t));
    f->p.bar_accesses = 0;
    CHECK_RC(virtio_rng_init(&rng, &f->t, &p, mem, sz), VIRTIO_EINVAL);
    CHECK_EQ(f->p.bar_accesses, 0); /* refused before the device was touched */
    /* Sized for the device: rings of 256 entries, 4 descriptors used, reads through it. */
    sz = virtio_rng_mem_size(&p, &f->t);
    mem = (uint8_t *)sim_alloc(&f->arena, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_rng_init(&rng, &f->t, &p, mem, sz), VIRTIO_OK);
    CHECK_EQ(virtio_queue_size(&rng.queue), 4);
    for (i = 0; i < 600; i++) /* 600 requests: round the 256-entry rings twice */
        CHECK_RC(virtio_rng_read(&rng, buf, 1 + i % 200), VIRTIO_OK);
    CHECK_RC(virtio_rng_reset(&rng), VIRTIO_OK);
    /* The device now reports a size above what the probe saw: refused, not overrun. */
    f->s.q[0].num_max = 512;
    CHECK_RC(virtio_rng_init(&rng, &f->t, &p, mem, sz), VIRTIO_ENOQUEUE);
    f->s.q[0].num_max = 16;
    p.queue_size = 64;
    sz = virtio_rng_mem_size(&p, &f->t);
    mem = (uint8_t *)sim_alloc(&f->arena, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_rng_init(&rng, &f->t, &p, mem, sz), VIRTIO_OK);
    CHECK_EQ(virtio_queue_size(&rng.queue), 16);
}

/* The console's small queues (8 receive buffers, the default transmit queue) over legacy
   virtio-serial's fixed 128: rings of 128, data both ways. */
static void c_legacy_console(pf *f, enum sim_pci_layout layout) {
    char *msg = (char *)sim_alloc(&f->arena, 8, 8); /* guest memory: the device reads it */
    virtio_console con;
    virtio_console_params p;
    char out[16];
    size_t got = 0;
    uint8_t *mem;
    size_t sz;
    unsigned i;
    (void)layout;
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
    CHECK_EQ(f->t.queue_fixed, 128);
    memcpy(msg, "hello", 5);
    memset(&p, 0, sizeof p);
    sz = virtio_console_mem_size(&p, &f->t);
    mem = (uint8_t *)sim_alloc(&f->arena, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_console_init(&con, &f->t, &p, mem, sz), VIRTIO_OK);
    for (i = 0; i < 300; i++) /* round the 128-entry transmit ring twice */
        CHECK_RC(virtio_console_write(&con, 0, msg, 5), VIRTIO_OK);
    CHECK_EQ(f->con.port[0].out_len, 1500);
    CHECK(memcmp(f->con.port[0].out, "hellohello", 10) == 0);
    simc_host_send(&f->con, 0, "abc", 3);
    CHECK_RC(virtio_console_read(&con, 0, out, sizeof out, &got), VIRTIO_OK);
    CHECK_EQ(got, 3);
    CHECK(memcmp(out, "abc", 3) == 0);
    simc_free(&f->con);
}

/* The keyboard's event queue over legacy virtio-input's fixed 64, with fewer buffers. */
static void c_legacy_input(pf *f, enum sim_pci_layout layout) {
    virtio_input *in = (virtio_input *)sim_alloc(&f->arena, sizeof(virtio_input), 8);
    virtio_input_params p;
    virtio_input_event ev;
    uint8_t *mem;
    size_t sz;
    (void)layout;
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
    CHECK_EQ(f->t.queue_fixed, 64);
    memset(&p, 0, sizeof p);
    p.event_bufs = 16;
    p.status_bufs = 2;
    sz = virtio_input_mem_size(&p, &f->t);
    mem = (uint8_t *)sim_alloc(&f->arena, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_input_init(in, &f->t, &p, mem, sz), VIRTIO_OK);
    CHECK(simi_key(&f->in, VIRTIO_INPUT_KEY_A, 1));
    CHECK_RC(virtio_input_recv_poll(in, &ev), VIRTIO_OK);
    CHECK_EQ(ev.code, VIRTIO_INPUT_KEY_A);
    CHECK_EQ(ev.value, 1);
}

/* Notify multipliers: 0 (one address for every queue) and 8 with notify_off 3. */
static void notify_with(pf *f, uint32_t mul, uint16_t off, int want) {
    virtio_rng rng;
    virtio_rng_params p;
    uint8_t *buf = (uint8_t *)sim_alloc(&f->arena, 16, 8);
    uint8_t *mem;
    size_t sz;
    f->p.notify_mul = mul;
    f->p.cfg[SIM_PCI_CAP_NOTIFY + 16] = (uint8_t)mul;
    f->p.notify_off[0] = off;
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
    memset(&p, 0, sizeof p);
    p.queue_size = 16;
    sz = virtio_rng_mem_size(&p, &f->t);
    mem = (uint8_t *)sim_alloc(&f->arena, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_rng_init(&rng, &f->t, &p, mem, sz), want);
    if (want == VIRTIO_OK) CHECK_RC(virtio_rng_read(&rng, buf, 16), VIRTIO_OK);
}
static void c_notify_zero(pf *f, enum sim_pci_layout l) {
    (void)l;
    notify_with(f, 0, 5, VIRTIO_OK);
}
static void c_notify_mul8(pf *f, enum sim_pci_layout l) {
    (void)l;
    notify_with(f, 8, 3, VIRTIO_OK);
}
/* queue_notify_off * multiplier + 2 past the notify structure: the queue is refused before
   any address is written. */
static void c_notify_outside(pf *f, enum sim_pci_layout l) {
    (void)l;
    notify_with(f, 4, 0x400, VIRTIO_ENOQUEUE); /* 0x1000 + 2 > 0x1000 */
    CHECK_EQ(f->s.q[0].live, 0);
}

/* Device configuration past the structure's length: reads 0, never reaches the device. */
static void c_config_bounds(pf *f, enum sim_pci_layout l) {
    unsigned long before;
    (void)l;
    sim_pci_cap(&f->p, SIM_PCI_CAP_DEVICE, 16, 4, 4, SIM_PCI_DEVICE_OFF, 4);
    f->p.cfg[SIM_PCI_CAP_DEVICE + 1] = SIM_PCI_CAP_NOTIFY;
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
    before = f->s.config_reads;
    CHECK_EQ(f->t.ops->config_read(&f->t, 4, 4), 0);
    CHECK_EQ(f->t.ops->config_read(&f->t, 2, 4), 0);
    f->s.config_len = 8;
    f->s.config[3] = 0x5c;
    CHECK_EQ(f->t.ops->config_read(&f->t, 3, 1), 0x5c);
    CHECK_EQ(f->s.config_reads, before + 1);
}

/* ---- Hostile capability lists and identities --------------------------------------------- */
typedef void (*mutate)(sim_pci *p);
static void m_loop_self(sim_pci *p) { sim_pci_set_next(p, SIM_PCI_CAP_ISR, SIM_PCI_CAP_ISR); }
static void m_loop_back(sim_pci *p) { sim_pci_set_next(p, SIM_PCI_CAP_NOTIFY, SIM_PCI_CAP_MSIX); }
static void m_ptr_header(sim_pci *p) { sim_pci_set_next(p, SIM_PCI_CAP_COMMON, 0x10); }
static void m_cap_past_end(sim_pci *p) {
    sim_pci_set_next(p, SIM_PCI_CAP_PCICFG, 0xf8);
    sim_pci_cap(p, 0xf8, 16, 9, 0, 0, 0); /* 16 bytes from 0xf8 */
}
static void m_caplen_short(sim_pci *p) { p->cfg[SIM_PCI_CAP_COMMON + 2] = 12; }
static void m_notify_caplen(sim_pci *p) { p->cfg[SIM_PCI_CAP_NOTIFY + 2] = 16; }
static void m_common_short(sim_pci *p) { p->cfg[SIM_PCI_CAP_COMMON + 12] = 0x30; }
static void m_outside_bar(sim_pci *p) { /* device config at 0x3800 + 0x1000 in a 0x4000 BAR */
    p->cfg[SIM_PCI_CAP_DEVICE + 9] = 0x38;
}
static void m_overlap(sim_pci *p) { p->cfg[SIM_PCI_CAP_ISR + 9] = 0x0f; /* ISR at 0xf00 */ }
static void m_upper_half(sim_pci *p) { p->cfg[SIM_PCI_CAP_ISR + 4] = 5; }
static void m_no_bar(sim_pci *p) { p->cfg[SIM_PCI_CAP_DEVICE + 4] = 2; }
static void m_misaligned(sim_pci *p) { p->cfg[SIM_PCI_CAP_COMMON + 8] = 2; }
static void m_mul_odd(sim_pci *p) { p->cfg[SIM_PCI_CAP_NOTIFY + 16] = 3; }
static void m_mul_one(sim_pci *p) { p->cfg[SIM_PCI_CAP_NOTIFY + 16] = 1; }
static void m_huge_len(sim_pci *p) { /* offset + length wraps 32 bits */
    p->cfg[SIM_PCI_CAP_DEVICE + 12] = 0xff, p->cfg[SIM_PCI_CAP_DEVICE + 13] = 0xff;
    p->cfg[SIM_PCI_CAP_DEVICE + 14] = 0xff, p->cfg[SIM_PCI_CAP_DEVICE + 15] = 0xff;
}
static void m_no_notify_modern(sim_pci *p) { p->cfg[SIM_PCI_CAP_NOTIFY + 3] = 0x77; }
static void m_cfgcap_short(sim_pci *p) { p->cfg[SIM_PCI_CAP_PCICFG + 2] = 16; }
static void m_cfgcap_past_end(sim_pci *p) { /* the window's 20 bytes from 0xf0: past 0x100 */
    sim_pci_set_next(p, SIM_PCI_CAP_NOTIFY, 0xf0);
    sim_pci_cap(p, 0xf0, 20, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0);
}
static void m_cfgcap_overlap(sim_pci *p) { /* notify's cap_len reaches into the window */
    p->cfg[SIM_PCI_CAP_NOTIFY + 2] = 28;
}

typedef struct hostile {
    const char *name;
    mutate fn;
    int want;
} hostile;
static const hostile hostiles[] = {
    {"capability pointing at itself (loop)", m_loop_self, VIRTIO_EDEVICE},
    {"list looping back to its start", m_loop_back, VIRTIO_EDEVICE},
    {"capability pointer into the header (< 0x40)", m_ptr_header, VIRTIO_EDEVICE},
    {"capability running past config space", m_cap_past_end, VIRTIO_EDEVICE},
    {"cap_len 12 for a common capability", m_caplen_short, VIRTIO_EDEVICE},
    {"notify cap_len 16 (no multiplier)", m_notify_caplen, VIRTIO_EDEVICE},
    {"common structure of 0x30 bytes", m_common_short, VIRTIO_EDEVICE},
    {"structure outside its BAR", m_outside_bar, VIRTIO_EDEVICE},
    {"ISR overlapping the common structure", m_overlap, VIRTIO_EDEVICE},
    {"structure in the upper half of a 64-bit BAR", m_upper_half, VIRTIO_EDEVICE},
    {"structure in a BAR that does not exist", m_no_bar, VIRTIO_EDEVICE},
    {"common structure at a misaligned offset", m_misaligned, VIRTIO_EDEVICE},
    {"notify multiplier 3", m_mul_odd, VIRTIO_EDEVICE},
    {"notify multiplier 1", m_mul_one, VIRTIO_EDEVICE},
    {"offset + length past 4 GiB", m_huge_len, VIRTIO_EDEVICE},
    {"modern id without a notify capability", m_no_notify_modern, VIRTIO_EDEVICE},
    {"configuration access capability of cap_len 16", m_cfgcap_short, VIRTIO_EDEVICE},
    {"configuration access capability past config space", m_cfgcap_past_end, VIRTIO_EDEVICE},
    {"configuration access capability overlapped by notify", m_cfgcap_overlap, VIRTIO_EDEVICE},
};

static void hostile_body(pf *f, const hostile *h) {
    h->fn(&f->p);
    memset(&f->t, 0x5a, sizeof f->t);
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), h->want);
    CHECK_EQ(f->p.bar_accesses, 0);
    CHECK_EQ(f->t.kind, 0x5a5a5a5au); /* t untouched */
    CHECK_EQ(f->p.cap_writes, 0);
    /* the walk is bounded by what fits in configuration space: 48 capabilities of a few
       reads each, and the header */
    CHECK_LE(f->p.config_space_reads, 48u * 8u + 64u);
}
static void run_hostile(const hostile *h) {
    pf f;
    t_begin("pci/hostile: %s -> %s", h->name, t_rc_name(h->want));
    pf_up(&f, SIM_PCI_MODERN, 0);
    hostile_body(&f, h);
    pf_down(&f);
    t_end();
}

/* A transitional function whose virtio capabilities are unusable (reserved bar value) falls
   back to its legacy header ("If these are not present, driver MUST assume a legacy device"). */
static void c_transitional_fallback(pf *f, enum sim_pci_layout l) {
    (void)l;
    f->p.cfg[SIM_PCI_CAP_COMMON + 4] = 7; /* reserved: ignored */
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
    CHECK_EQ(f->t.legacy, 1);
}

/* Not virtio, or type 0: ENODEV; caller errors: EINVAL; neither writes anything. */
static void c_identity(pf *f, enum sim_pci_layout l) {
    virtio_regs r = f->regs;
    (void)l;
    f->p.cfg[0] = 0x86, f->p.cfg[1] = 0x80;
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_ENODEV);
    f->p.cfg[0] = 0xf4, f->p.cfg[1] = 0x1a;
    f->p.cfg[2] = 0x40, f->p.cfg[3] = 0x10; /* 0x1040: type 0 */
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_ENODEV);
    f->p.cfg[2] = 0x80; /* 0x1080: not a virtio id */
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_ENODEV);
    f->p.cfg[2] = 0x44;
    CHECK_RC(virtio_pci_transport(NULL, &f->regs), VIRTIO_EINVAL);
    CHECK_RC(virtio_pci_transport(&f->t, NULL), VIRTIO_EINVAL);
    r.write16 = NULL;
    CHECK_RC(virtio_pci_transport(&f->t, &r), VIRTIO_EINVAL);
    CHECK_EQ(f->p.config_space_writes, 0);
    CHECK_EQ(f->p.bar_accesses, 0);
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
}

/* ---- PCI configuration access capability (VIRTIO_REGS_F_PCI_CFG_ACCESS) --------------------- */
static unsigned long pf_regs(const pf *f) {
    return f->p.config_space_reads + f->p.config_space_writes + f->p.bar_region_accesses;
}
/* Entropy over the window: the whole device through configuration space, no BAR region. */
static void c_win_rng(pf *f, enum sim_pci_layout l) {
    f->regs.flags |= VIRTIO_REGS_F_PCI_CFG_ACCESS;
    c_rng(f, l);
    CHECK_EQ(f->p.bar_region_accesses, 0);
    CHECK_GE(f->p.window_accesses, 10);
    CHECK_EQ(f->p.cap_writes, 0);
}
/* Block over the window and over the BAR, side by side: the same data, and what each costs
   in accessor calls per init and per 4 KiB read. */
static void blk_counts(pf *f, unsigned long *init, unsigned long *rd4k) {
    uint8_t *w = (uint8_t *)sim_alloc(&f->arena, 4096, 8),
            *r = (uint8_t *)sim_alloc(&f->arena, 4096, 8);
    virtio_blk blk;
    virtio_blk_params p;
    uint8_t *mem;
    size_t sz;
    unsigned long n;
    unsigned i;
    n = pf_regs(f);
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
    memset(&p, 0, sizeof p);
    p.queue_size = 16;
    sz = virtio_blk_mem_size(&p, &f->t);
    mem = (uint8_t *)sim_alloc(&f->arena, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_blk_init(&blk, &f->t, &p, mem, sz), VIRTIO_OK);
    *init = pf_regs(f) - n;
    CHECK_EQ(virtio_blk_capacity(&blk), 64);
    for (i = 0; i < 4096; i++)
        w[i] = (uint8_t)(i * 13u + 3u);
    CHECK_RC(virtio_blk_write(&blk, 8, w, 4096), VIRTIO_OK);
    n = pf_regs(f);
    CHECK_RC(virtio_blk_read(&blk, 8, r, 4096), VIRTIO_OK);
    *rd4k = pf_regs(f) - n;
    CHECK_MEM(r, w, 4096);
    CHECK_MEM(f->s.disk + 8 * 512, w, 4096);
    CHECK_RC(virtio_blk_reset(&blk), VIRTIO_OK);
    CHECK_EQ(f->s.status, 0);
}
static void c_win_blk(pf *f, enum sim_pci_layout l) {
    unsigned long init_bar, rd_bar, init_win, rd_win, win;
    blk_counts(f, &init_bar, &rd_bar);
    CHECK_EQ(f->p.window_accesses, 0);
    f->regs.flags |= VIRTIO_REGS_F_PCI_CFG_ACCESS;
    win = f->p.bar_region_accesses;
    blk_counts(f, &init_win, &rd_win);
    CHECK_EQ(f->p.bar_region_accesses, win); /* not one BAR region access */
    CHECK_GE(f->p.window_accesses, 20);
    CHECK_EQ(f->p.cap_writes, 0);
    printf("INFO pci %s blk, accessor calls per probe + init / per 4 KiB read: BAR %lu / %lu, "
           "window %lu / %lu (window accesses %lu)\n",
           layout_name[l], init_bar, rd_bar, init_win, rd_win, f->p.window_accesses);
}
/* The window asked for where there is none: ENOTSUP, nothing written, t untouched. */
static void c_win_missing(pf *f, enum sim_pci_layout l) {
    if (l != SIM_PCI_LEGACY) sim_pci_set_next(&f->p, SIM_PCI_CAP_NOTIFY, 0);
    f->regs.flags |= VIRTIO_REGS_F_PCI_CFG_ACCESS;
    memset(&f->t, 0x5a, sizeof f->t);
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_ENOTSUP);
    CHECK_EQ(f->t.kind, 0x5a5a5a5au);
    CHECK_EQ(f->p.config_space_writes, 0);
    CHECK_EQ(f->p.bar_accesses, 0);
    f->regs.flags &= ~VIRTIO_REGS_F_PCI_CFG_ACCESS; /* without the flag: the BARs, as before */
    CHECK_RC(virtio_pci_transport(&f->t, &f->regs), VIRTIO_OK);
}

/* ---- ECAM scan on a memory image of bus 0 -------------------------------------------------- */
static void put(uint8_t *b, uint32_t off, uint32_t v, unsigned width) {
    unsigned i;
    for (i = 0; i < width; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}
static void scan_body(const virtio_pci_host *hp, virtio_pci_fn *fn, uint8_t *ecam);
static void portio_body(uint8_t *ecam);
static void t_scan(void) {
    uint8_t *ecam = (uint8_t *)malloc(2u << 20); /* buses 0 and 1 */
    virtio_pci_host h;
    virtio_pci_fn fn[4];
    uint8_t *c;
    t_begin("pci/ecam: scan of bus 0 and behind bridges (multi-function, transitional, type 0, "
            "BAR translation, bridge loops, buses outside the window)");
    if (!ecam) abort();
    memset(ecam, 0xff, 2u << 20); /* no function answers: all ones */
    c = ecam + (1u << 15);        /* 00:01.0 modern rng, 64-bit BAR 4 at 0x40004000 */
    memset(c, 0, 4096);
    put(c, 0, 0x1af4, 2), put(c, 2, 0x1044, 2);
    put(c, 0x20, 0x4000400c, 4), put(c, 0x24, 0, 4);
    c = ecam + (2u << 15); /* 00:02.0 another vendor, multi-function */
    memset(c, 0, 4096);
    put(c, 0, 0x8086, 2), put(c, 0x0e, 0x80, 1);
    c = ecam + (2u << 15) + (3u << 12); /* 00:02.3 transitional block, I/O BAR 0 at 0x1000 */
    memset(c, 0, 4096);
    put(c, 0, 0x1af4, 2), put(c, 2, 0x1001, 2), put(c, 0x2e, 2, 2), put(c, 0x10, 0x1001, 4);
    c = ecam + (3u << 15); /* 00:03.0 virtio vendor, modern id of type 0: skipped */
    memset(c, 0, 4096);
    put(c, 0, 0x1af4, 2), put(c, 2, 0x1040, 2);
    c = ecam + (4u << 15) + (5u << 12); /* 00:04.5 but 00:04.0 absent: never looked at */
    memset(c, 0, 4096);
    put(c, 0, 0x1af4, 2), put(c, 2, 0x1042, 2);
    c = ecam + (6u << 15); /* 00:06.0 a bridge to bus 1 */
    memset(c, 0, 4096);
    put(c, 0, 0x1b36, 2), put(c, 0x0e, 1, 1), put(c, 0x18, 0x000100, 4), put(c, 0x1a, 1, 1);
    c = ecam + (7u << 15); /* 00:07.0 a bridge naming bus 1 again: read once */
    memset(c, 0, 4096);
    put(c, 0, 0x1b36, 2), put(c, 0x0e, 1, 1), put(c, 0x19, 1, 1);
    c = ecam + (1u << 20) + (0u << 15); /* 01:00.0 behind the bridge: modern console */
    memset(c, 0, 4096);
    put(c, 0, 0x1af4, 2), put(c, 2, 0x1043, 2);
    c = ecam + (1u << 20) + (1u << 15); /* 01:01.0 a bridge back to bus 0: not read again */
    memset(c, 0, 4096);
    put(c, 0, 0x1b36, 2), put(c, 0x0e, 1, 1), put(c, 0x19, 0, 1);
    c = ecam + (1u << 20) + (2u << 15); /* 01:02.0 a bridge to bus 9, beyond the ECAM window */
    memset(c, 0, 4096);
    put(c, 0, 0x1b36, 2), put(c, 0x0e, 1, 1), put(c, 0x19, 9, 1);
    memset(&h, 0, sizeof h);
    h.ecam = (uintptr_t)ecam;
    h.buses = 2;
    h.mem_pci = 0x40000000, h.mem_cpu = 0x1040000000ull, h.mem_size = 0x40000000;
    h.io_pci = 0, h.io_cpu = 0x03000000, h.io_size = 0x10000;
    scan_body(&h, fn, ecam);
    t_end();
    t_begin("pci/portio: the same buses through 0xCF8/0xCFC, an I/O BAR through in/out");
    portio_body(ecam);
    free(ecam);
    t_end();
}

/* ---- x86 port I/O (configuration mechanism #1) over the same image ------------------------ */
static uint8_t *pio_ecam;      /* configuration space, ECAM layout, buses 0 and 1 */
static uint32_t pio_cf8;       /* what was last written to 0xCF8 */
static uint8_t pio_io[0x100];  /* ports 0x1000..0x10ff: the transitional block's I/O BAR 0 */
static unsigned pio_bad;       /* accesses mechanism #1 does not allow, or other ports */
static unsigned pio_cfg_reads; /* reads of 0xCFC..0xCFF */
static uint8_t *pio_at(uint16_t port, unsigned width) {
    uint32_t a = pio_cf8;
    if (port >= 0xcfcu && port <= 0xcffu) {
        if ((port & 3u) + width > 4u || !(a & 0x80000000u) || (a & 0x7f000003u)) {
            pio_bad++;
            return NULL;
        }
        if (((a >> 16) & 0xffu) >= 2u) return NULL; /* no such bus: all ones */
        return pio_ecam + (((a >> 16) & 0xffu) << 20) + (((a >> 11) & 31u) << 15) +
               (((a >> 8) & 7u) << 12) + (a & 0xfcu) + (port & 3u);
    }
    if (port >= 0x1000u && port + width <= 0x1100u) return pio_io + (port - 0x1000u);
    pio_bad++;
    return NULL;
}
static uint32_t pio_in(uint16_t port, unsigned width) {
    uint8_t *b = pio_at(port, width);
    uint32_t v = 0;
    unsigned i;
    if (port >= 0xcfcu && port <= 0xcffu) pio_cfg_reads++;
    if (!b) return 0xffffffffu >> (32u - 8u * width);
    for (i = 0; i < width; i++)
        v |= (uint32_t)b[i] << (8u * i);
    return v;
}
static void pio_out(uint16_t port, uint32_t v, unsigned width) {
    uint8_t *b;
    unsigned i;
    if (port == 0xcf8u && width == 4u) {
        pio_cf8 = v;
        return;
    }
    b = pio_at(port, width);
    for (i = 0; b && i < width; i++)
        b[i] = (uint8_t)(v >> (8u * i));
}
static uint8_t pio_in8(uint16_t port) { return (uint8_t)pio_in(port, 1); }
static uint16_t pio_in16(uint16_t port) { return (uint16_t)pio_in(port, 2); }
static uint32_t pio_in32(uint16_t port) { return pio_in(port, 4); }
static void pio_out8(uint16_t port, uint8_t v) { pio_out(port, v, 1); }
static void pio_out16(uint16_t port, uint16_t v) { pio_out(port, v, 2); }
static void pio_out32(uint16_t port, uint32_t v) { pio_out(port, v, 4); }
static const virtio_pci_portio pio_hooks = {pio_in8,  pio_in16,  pio_in32,
                                            pio_out8, pio_out16, pio_out32};

static void portio_body(uint8_t *ecam) {
    virtio_pci_host h;
    virtio_pci_fn fn[4];
    virtio_regs r;
    uint8_t *c = ecam + (2u << 15) + (3u << 12); /* 00:02.3, the transitional block */
    unsigned reads;
    pio_ecam = ecam;
    pio_bad = 0;
    memset(pio_io, 0, sizeof pio_io);
    memset(&h, 0, sizeof h);
    h.portio = &pio_hooks;
    h.buses = 2;
    h.mem_pci = 0x40000000, h.mem_cpu = 0x40000000, h.mem_size = 0x40000000;
    h.io_pci = 0, h.io_cpu = 0, h.io_size = 0x10000;
    CHECK_EQ(virtio_pci_scan(&h, fn, 4), 3);
    CHECK_EQ(fn[0].config, 0x80000000u | 1u << 11);
    CHECK_EQ(fn[0].type, VIRTIO_ID_RNG);
    CHECK_EQ(fn[0].bar[4], 0x40004000u);
    CHECK_EQ(fn[0].io_bars, 0);
    CHECK_EQ(fn[1].config, 0x80000000u | 2u << 11 | 3u << 8);
    CHECK_EQ(fn[1].type, VIRTIO_ID_BLOCK);
    CHECK_EQ(fn[1].bar[0], 0x1000u); /* a port number */
    CHECK_EQ(fn[1].io_bars, 1u);
    CHECK_EQ(fn[2].config, 0x80000000u | 1u << 16);
    CHECK_EQ(fn[2].type, VIRTIO_ID_CONSOLE);
    r = virtio_pci_regs(&fn[1]);
    CHECK_EQ(r.read16(r.user, VIRTIO_REGION_PCI_CONFIG, 2), 0x1001u);
    CHECK_EQ(r.read8(r.user, VIRTIO_REGION_PCI_CONFIG, 0x2e), 2u); /* subsystem id, low byte */
    CHECK_EQ(r.read16(r.user, VIRTIO_REGION_PCI_CONFIG, 0x2e), 2u);
    r.write16(r.user, VIRTIO_REGION_PCI_CONFIG, 0x06, 0xbeef); /* a byte lane above 0 */
    CHECK_EQ(c[6], 0xef);
    CHECK_EQ(c[7], 0xbe);
    reads = pio_cfg_reads; /* past the 256 bytes mechanism #1 reaches: no port touched */
    CHECK_EQ(r.read32(r.user, VIRTIO_REGION_PCI_CONFIG, 0x100), 0xffffffffu);
    CHECK_EQ(pio_cfg_reads, reads);
    pio_io[0x12] = 0xab; /* the I/O BAR through in/out, at its port plus the offset */
    CHECK_EQ(r.read8(r.user, VIRTIO_REGION_PCI_BAR(0), 0x12), 0xabu);
    r.write32(r.user, VIRTIO_REGION_PCI_BAR(0), 0x04, 0x11223344u);
    CHECK_EQ(pio_io[0x04], 0x44);
    CHECK_EQ(pio_io[0x07], 0x11);
    CHECK_EQ(r.read8(r.user, VIRTIO_REGION_PCI_BAR(1), 0), 0xffu);              /* no BAR 1 */
    CHECK_EQ(r.read32(r.user, VIRTIO_REGION_PCI_BAR(0), 0xff00u), 0xffffffffu); /* > 0xffff */
    CHECK_EQ(pio_bad, 0);
    h.buses = 1; /* bus 1 outside: not read */
    CHECK_EQ(virtio_pci_scan(&h, NULL, 0), 2);
    h.portio = NULL; /* neither ECAM nor ports */
    CHECK_RC(virtio_pci_scan(&h, NULL, 0), VIRTIO_EINVAL);
    CHECK_EQ(pio_bad, 0);
}
static void scan_body(const virtio_pci_host *hp, virtio_pci_fn *fn, uint8_t *ecam) {
    virtio_pci_host h = *hp;
    int n;
    {
        CHECK_RC(virtio_pci_scan(NULL, fn, 4), VIRTIO_EINVAL);
        CHECK_RC(virtio_pci_scan(&h, NULL, 4), VIRTIO_EINVAL);
        n = virtio_pci_scan(&h, fn, 4);
        CHECK_EQ(n, 3);
        CHECK_EQ(fn[2].bus, 1);
        CHECK_EQ(fn[2].dev, 0);
        CHECK_EQ(fn[2].type, VIRTIO_ID_CONSOLE);
        CHECK_EQ(fn[2].config, (uintptr_t)ecam + (1u << 20));
        CHECK_EQ(fn[0].dev, 1);
        CHECK_EQ(fn[0].type, VIRTIO_ID_RNG);
        CHECK_EQ(fn[0].modern, 1);
        CHECK_EQ(fn[0].config, (uintptr_t)ecam + (1u << 15));
        if (sizeof(uintptr_t) >= 8) CHECK_EQ(fn[0].bar[4], 0x1040004000ull);
        CHECK_EQ(fn[0].bar[5], 0);
        CHECK_EQ(fn[1].dev, 2);
        CHECK_EQ(fn[1].fn, 3);
        CHECK_EQ(fn[1].type, VIRTIO_ID_BLOCK);
        CHECK_EQ(fn[1].modern, 0);
        CHECK_EQ(fn[1].bar[0], 0x03001000u);
        CHECK_EQ(virtio_pci_scan(&h, fn, 1), 3); /* count beyond max */
        CHECK_EQ(virtio_pci_scan(&h, NULL, 0), 3);
        h.buses = 1; /* bus 1 outside the window: not read */
        CHECK_EQ(virtio_pci_scan(&h, NULL, 0), 2);
    }
}

/* virtio_pci_assign on a plain-memory configuration space: there every BAR reads back the all
   ones the sizing writes, so each (an I/O BAR here) is 4 bytes. Enough for its refusals: caller
   errors, a window too small (VIRTIO_ENOSPC, no BAR moved, decoding left off), and the
   placement (naturally aligned, translated to CPU addresses, decoding and mastering on). */
static void assign_body(uint8_t *c) {
    virtio_pci_host h;
    virtio_pci_fn fn;
    unsigned i;
    memset(&h, 0, sizeof h);
    memset(&fn, 0, sizeof fn);
    fn.config = (uintptr_t)c;
    CHECK_RC(virtio_pci_assign(NULL, &fn), VIRTIO_EINVAL);
    CHECK_RC(virtio_pci_assign(&h, NULL), VIRTIO_EINVAL);
    fn.config = 0;
    CHECK_RC(virtio_pci_assign(&h, &fn), VIRTIO_EINVAL);
    fn.config = (uintptr_t)c;
    h.io_pci = 0x1000, h.io_cpu = 0x03001000, h.io_size = 20; /* room for five of six */
    CHECK_RC(virtio_pci_assign(&h, &fn), VIRTIO_ENOSPC);
    for (i = 0; i < 6; i++)
        CHECK_EQ(c[0x10 + 4 * i], 1); /* every BAR put back */
    CHECK_EQ(c[4] & 7u, 0);           /* decoding off */
    CHECK_EQ(h.io_next, 0);
    h.io_size = 0x100;
    h.io_next = 2; /* the next BAR goes to 4: aligned */
    CHECK_RC(virtio_pci_assign(&h, &fn), VIRTIO_OK);
    for (i = 0; i < 6; i++)
        CHECK_EQ(fn.bar[i], 0x03001000u + 4u + 4u * i);
    CHECK_EQ(h.io_next, 28);
    CHECK_EQ(c[4] & 7u, 7u);
}
static void t_assign(void) {
    uint8_t *c = (uint8_t *)calloc(1, 4096);
    if (!c) abort();
    t_begin("pci/ecam: assign: caller errors, a full window changes nothing, aligned placement");
    c[0] = 0xf4, c[1] = 0x1a, c[2] = 0x44, c[3] = 0x10;
    for (int i = 0; i < 6; i++)
        c[0x10 + 4 * i] = 1; /* I/O BARs, unassigned */
    assign_body(c);
    free(c);
    t_end();
}

/* ---- The host bridge from a device tree: QEMU's own blobs (tests/fixtures) ------------------ */
static uint8_t *load_blob(const char *name, size_t *size) {
    char path[256];
    FILE *f;
    long n;
    uint8_t *b;
    snprintf(path, sizeof path, "tests/fixtures/%s", name);
    f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = (uint8_t *)malloc((size_t)n);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return b;
}
static void fdt_body(const uint8_t *b, size_t n, int arm) {
    virtio_pci_host h[2];
    memset(h, 0x5a, sizeof h);
    CHECK_EQ(virtio_fdt_find_pci(b, n, h, 2), 1);
    CHECK_EQ(h[0].buses, 256);
    CHECK_EQ(h[0].io_pci, 0);
    CHECK_EQ(h[0].io_size, 0x10000);
    CHECK_EQ(h[0].mem_next, 0);
    CHECK_EQ(h[0].io_next, 0);
    if (!arm) {
        CHECK_EQ(h[0].ecam, 0x30000000u);
        CHECK_EQ(h[0].io_cpu, 0x03000000u);
        CHECK_EQ(h[0].mem_pci, 0x40000000u);
        CHECK_EQ(h[0].mem_cpu, 0x40000000u);
        CHECK_EQ(h[0].mem_size, 0x40000000u);
    } else {
        if (sizeof(uintptr_t) >= 8) CHECK_EQ(h[0].ecam, 0x4010000000ull);
        CHECK_EQ(h[0].io_cpu, 0x3eff0000u);
        CHECK_EQ(h[0].mem_pci, 0x10000000u);
        CHECK_EQ(h[0].mem_size, 0x2eff0000u);
    }
    CHECK_EQ(virtio_fdt_find_pci(b, n, NULL, 0), 1);
    CHECK_RC(virtio_fdt_find_pci(b, n, NULL, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_fdt_find_pci(b + 1, n - 1, h, 1), VIRTIO_EINVAL); /* misaligned */
    CHECK_RC(virtio_fdt_find_pci(b, 39, h, 1), VIRTIO_ENODEV);
}
/* Every truncation of the blob (given exactly that many readable bytes, under ASan): an error,
   never a read past the end. */
static void fdt_trunc_body(const uint8_t *b, size_t n) {
    size_t k;
    virtio_pci_host h;
    for (k = 0; k < n; k += 8) {
        uint8_t *c = (uint8_t *)malloc(k ? k : 1);
        int r;
        if (!c) abort();
        memcpy(c, b, k);
        r = virtio_fdt_find_pci(c, k, &h, 1);
        free(c);
        CHECK_MSG(r < 0, "a blob cut to %zu bytes gave %d", k, r);
    }
}
static void fdt_missing(const char *name) {
    T_SKIP("tests/fixtures/%s not readable (run from the top of the repository)", name);
}
static void t_fdt(const char *name, int arm) {
    size_t n = 0;
    uint8_t *b = load_blob(name, &n);
    t_begin("pci/fdt: %s: the ECAM host bridge, its windows; caller errors", name);
    if (!b)
        fdt_missing(name);
    else
        fdt_body(b, n, arm);
    t_end();
    t_begin("pci/fdt: %s: every truncation refused without reading past it", name);
    if (!b)
        fdt_missing(name);
    else
        fdt_trunc_body(b, n);
    t_end();
    free(b);
}

typedef void (*pcase)(pf *f, enum sim_pci_layout layout);
typedef struct tc {
    const char *name;
    pcase fn;
    int layouts; /* bit per layout */
    int blk;
} tc;
#define L_ALL 7
#define L_MOD 1
#define L_LEG 4
static const tc cases[] = {
    {"probe: kind, type, version; no device register; BARs put back; decoding on", c_probe, L_ALL,
     0},
    {"entropy device: init, read, vectors NO_VECTOR, reset", c_rng, L_ALL, 0},
    {"block device: capacity from device config, write, read back", c_blk, L_ALL, 1},
    {"MSI-X left on: config at 24, vectors NO_VECTOR", c_legacy_msix, L_LEG, 1},
    {"queue size is the device's: rings of its size, fewer descriptors; too-small memory refused "
     "untouched (EINVAL); a size grown past the probe's (ENOQUEUE); larger wish shrinks",
     c_legacy_size, L_LEG, 0},
    {"console (8 buffers) over virtio-serial's fixed 128-entry queues: write, read",
     c_legacy_console, L_LEG, 2},
    {"keyboard (16 event buffers) over virtio-input's fixed 64-entry queues: a key", c_legacy_input,
     L_LEG, 3},
    {"notify multiplier 0: one address for every queue", c_notify_zero, L_MOD, 0},
    {"notify multiplier 8, queue_notify_off 3", c_notify_mul8, L_MOD, 0},
    {"queue_notify_off past the notify structure -> ENOQUEUE, queue not live", c_notify_outside,
     L_MOD, 0},
    {"device config shorter than a read: 0, device not reached", c_config_bounds, L_MOD, 0},
    {"transitional with unusable capabilities: legacy header", c_transitional_fallback, 2, 0},
    {"not virtio / type 0 -> ENODEV; caller errors -> EINVAL; nothing written", c_identity, L_MOD,
     0},
    {"configuration access window: entropy device, no BAR region access", c_win_rng, 3, 0},
    {"configuration access window: block device, same data as the BAR, no BAR region access",
     c_win_blk, 3, 1},
    {"configuration access window asked for without the capability -> ENOTSUP", c_win_missing,
     L_ALL, 0},
};

int main(void) {
    size_t i;
    int l;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (l = 0; l < 3; l++) {
            pf f;
            if (!(cases[i].layouts & (1 << l))) continue;
            t_begin("pci/%s: %s", layout_name[l], cases[i].name);
            pf_up(&f, (enum sim_pci_layout)l, cases[i].blk);
            cases[i].fn(&f, (enum sim_pci_layout)l);
            pf_down(&f);
            t_end();
        }
    }
    for (i = 0; i < sizeof hostiles / sizeof hostiles[0]; i++)
        run_hostile(&hostiles[i]);
    t_scan();
    t_assign();
    t_fdt("riscv64-virt.dtb", 0);
    t_fdt("aarch64-virt.dtb", 1);
    return t_summary("test_pci");
}
