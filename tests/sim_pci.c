/* sim_pci.c - the simulated virtio PCI function (see sim_pci.h). */
#include "sim_pci.h"

#include <string.h>

/* PCI type 0 header offsets (PCI Local Bus), written down again. */
#define H_VENDOR    0x00u
#define H_DEVICE    0x02u
#define H_COMMAND   0x04u
#define H_STATUS    0x06u
#define H_REVISION  0x08u
#define H_HDRTYPE   0x0eu
#define H_BAR0      0x10u
#define H_SUBVENDOR 0x2cu
#define H_SUBSYS    0x2eu
#define H_CAPPTR    0x34u

static void after_reset(sim_pci *p);
static void window_write(sim_pci *p, uint32_t at, uint32_t v, unsigned width);

static void put16(uint8_t *b, uint32_t off, uint32_t v) {
    b[off] = (uint8_t)v;
    b[off + 1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *b, uint32_t off, uint32_t v) {
    put16(b, off, v & 0xffffu);
    put16(b, off + 2, v >> 16);
}
static uint32_t get(const uint8_t *b, uint32_t off, unsigned width) {
    uint32_t v = 0;
    unsigned i;
    for (i = 0; i < width; i++)
        v |= (uint32_t)b[off + i] << (8 * i);
    return v;
}

void sim_pci_cap(sim_pci *p, uint32_t at, uint32_t len, uint32_t type, uint32_t bar, uint32_t off,
                 uint32_t length) {
    p->cfg[at] = 0x09; /* vendor-specific */
    p->cfg[at + 2] = (uint8_t)len;
    p->cfg[at + 3] = (uint8_t)type;
    p->cfg[at + 4] = (uint8_t)bar;
    put32(p->cfg, at + 8, off);
    put32(p->cfg, at + 12, length);
}
void sim_pci_set_next(sim_pci *p, uint32_t at, uint32_t next) { p->cfg[at + 1] = (uint8_t)next; }

void sim_pci_msix(sim_pci *p, int enable) {
    p->cfg[SIM_PCI_CAP_MSIX + 3] = enable ? 0x80u : 0u; /* message control bit 15 */
}

void sim_pci_init(sim_pci *p, sim *s, enum sim_pci_layout layout) {
    unsigned i;
    memset(p, 0, sizeof *p);
    p->s = s;
    p->inner = sim_regs(s);
    p->layout = layout;
    p->notify_mul = 4;
    after_reset(p);
    for (i = 0; i < SIM_MAX_QUEUES; i++)
        p->notify_off[i] = (uint16_t)i;
    put16(p->cfg, H_VENDOR, 0x1af4);
    put16(p->cfg, H_DEVICE,
          layout == SIM_PCI_MODERN ? 0x1040u + s->device_id : 0x1000u + (s->device_id & 0x3f));
    p->cfg[H_REVISION] = layout == SIM_PCI_MODERN ? 1 : 0;
    put16(p->cfg, H_SUBVENDOR, 0x1af4);
    put16(p->cfg, H_SUBSYS, layout == SIM_PCI_MODERN ? 0x40u : s->device_id);
    put16(p->cfg, H_STATUS, 0x10); /* capability list */
    p->cfg[H_CAPPTR] = SIM_PCI_CAP_MSIX;
    /* MSI-X: table and PBA in BAR 1 (never used: we poll) */
    p->cfg[SIM_PCI_CAP_MSIX] = 0x11;
    put16(p->cfg, SIM_PCI_CAP_MSIX + 2, 3); /* 4 vectors, disabled */
    put32(p->cfg, SIM_PCI_CAP_MSIX + 4, 1);
    put32(p->cfg, SIM_PCI_CAP_MSIX + 8, 1 | 0x800);
    p->bar_size[1] = 0x1000;
    if (layout != SIM_PCI_LEGACY) {
        sim_pci_set_next(p, SIM_PCI_CAP_MSIX, SIM_PCI_CAP_COMMON);
        sim_pci_cap(p, SIM_PCI_CAP_COMMON, 16, 1, 4, SIM_PCI_COMMON_OFF, 0x1000);
        sim_pci_set_next(p, SIM_PCI_CAP_COMMON, SIM_PCI_CAP_ISR);
        sim_pci_cap(p, SIM_PCI_CAP_ISR, 16, 3, 4, SIM_PCI_ISR_OFF, 0x1000);
        sim_pci_set_next(p, SIM_PCI_CAP_ISR, SIM_PCI_CAP_DEVICE);
        sim_pci_cap(p, SIM_PCI_CAP_DEVICE, 16, 4, 4, SIM_PCI_DEVICE_OFF, 0x1000);
        sim_pci_set_next(p, SIM_PCI_CAP_DEVICE, SIM_PCI_CAP_NOTIFY);
        sim_pci_cap(p, SIM_PCI_CAP_NOTIFY, 20, 2, 4, SIM_PCI_NOTIFY_OFF, 0x1000);
        put32(p->cfg, SIM_PCI_CAP_NOTIFY + 16, p->notify_mul);
        sim_pci_set_next(p, SIM_PCI_CAP_NOTIFY, SIM_PCI_CAP_PCICFG);
        sim_pci_cap(p, SIM_PCI_CAP_PCICFG, 20, 5, 0, 0, 0);
        p->cfg_cap = SIM_PCI_CAP_PCICFG;
        p->bar_size[4] = SIM_PCI_BAR4_SIZE;
        put32(p->cfg, H_BAR0 + 16, 0x4 | 0x8); /* 64-bit, prefetchable */
    }
    if (layout != SIM_PCI_MODERN) {
        p->bar_size[0] = SIM_PCI_BAR0_SIZE;
        put32(p->cfg, H_BAR0, 1); /* I/O */
    }
}

/* ---- Configuration space ------------------------------------------------------------------ */
static int in_caps(uint32_t off) { return off >= SIM_PCI_CAP_MSIX && off < 0x100u; }

static void cfg_write(sim_pci *p, uint32_t off, uint32_t v, unsigned width) {
    unsigned i;
    p->config_space_writes++;
    if (off + width > 4096u || (off & (width - 1u))) {
        sim_violation(p->s, "PCI config write of %u bytes at 0x%x", width, off);
        return;
    }
    if (off >= H_BAR0 && off < H_BAR0 + 24u) { /* BARs: the address bits only */
        unsigned n = (off - H_BAR0) / 4u;
        uint32_t old = get(p->cfg, H_BAR0 + 4u * n, 4), mask, nv;
        if (width != 4) {
            sim_violation(p->s, "BAR %u written with %u bytes", n, width);
            return;
        }
        if (n == 5 && p->bar_size[4]) { /* the upper half of the 64-bit BAR 4 */
            mask = (uint32_t) ~((p->bar_size[4] - 1u) >> 32);
            put32(p->cfg, off, v & mask);
            return;
        }
        if (!p->bar_size[n]) return; /* no BAR: reads 0 */
        mask = (uint32_t) ~(p->bar_size[n] - 1u) & ((old & 1u) ? ~3u : ~0xfu);
        nv = (v & mask) | (old & ((old & 1u) ? 3u : 0xfu));
        put32(p->cfg, off, nv);
        return;
    }
    if (off == H_COMMAND && width == 2) {
        put16(p->cfg, off, v & 0x7u);
        return;
    }
    if (p->cfg_cap && off >= p->cfg_cap + 4u && off < p->cfg_cap + 20u) {
        window_write(p, off - p->cfg_cap, v, width);
        return;
    }
    if (in_caps(off)) {
        /* "The driver MUST NOT write into any field of the capability structure" (but MSI-X
           control is the driver's: we never touch it either). */
        p->cap_writes++;
        sim_violation(p->s, "write to the capability list at 0x%x", off);
        return;
    }
    for (i = 0; i < width; i++) /* other header bytes: stored, as if writable */
        p->cfg[off + i] = (uint8_t)(v >> (8 * i));
}

/* ---- The virtio structures -------------------------------------------------------------- */
static uint32_t mr(sim_pci *p, uint32_t reg) {
    uint32_t v = p->inner.read32(p->s, VIRTIO_REGION_MMIO, reg);
    if (sim_dev_be(p->s)) v = (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
    return v;
}
static void mw(sim_pci *p, uint32_t reg, uint32_t v) {
    if (sim_dev_be(p->s)) v = (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
    p->inner.write32(p->s, VIRTIO_REGION_MMIO, reg, v);
}
static uint32_t cfg_rd(sim_pci *p, uint32_t off, unsigned width) {
    if (width == 1) return p->inner.read8(p->s, VIRTIO_REGION_MMIO, SIM_REG_CONFIG + off);
    if (width == 2) return p->inner.read16(p->s, VIRTIO_REGION_MMIO, SIM_REG_CONFIG + off);
    return p->inner.read32(p->s, VIRTIO_REGION_MMIO, SIM_REG_CONFIG + off);
}
static void cfg_wr(sim_pci *p, uint32_t off, uint32_t v, unsigned width) {
    if (width == 1)
        p->inner.write8(p->s, VIRTIO_REGION_MMIO, SIM_REG_CONFIG + off, (uint8_t)v);
    else if (width == 2)
        p->inner.write16(p->s, VIRTIO_REGION_MMIO, SIM_REG_CONFIG + off, (uint16_t)v);
    else
        p->inner.write32(p->s, VIRTIO_REGION_MMIO, SIM_REG_CONFIG + off, v);
}
static uint32_t isr_read(sim_pci *p) {
    uint32_t v = mr(p, SIM_REG_INTERRUPT_STATUS);
    p->isr_reads++;
    if (v) mw(p, SIM_REG_INTERRUPT_ACK, v); /* reading acknowledges */
    return v & 0xffu;
}
static void after_reset(sim_pci *p) {
    unsigned i;
    /* The spec does not say what a reset leaves in the vector fields: 0 here (QEMU writes
       NO_VECTOR), so a driver that polls must write NO_VECTOR itself. */
    for (i = 0; i < SIM_MAX_QUEUES; i++) {
        p->qsize[i] = 0;
        p->msix_queue[i] = 0;
    }
    p->msix_config = 0;
}
static int bad(sim_pci *p, const char *what, uint32_t off, unsigned width) {
    sim_violation(p->s, "%s: %u-byte access at 0x%x", what, width, off);
    return 0;
}

static uint32_t common_read(sim_pci *p, uint32_t off, unsigned width) {
    unsigned q = p->qsel < SIM_MAX_QUEUES ? p->qsel : 0;
    switch (off | width << 16) {
    case 0x00 | 4 << 16: return p->dfsel;
    case 0x04 | 4 << 16:
        mw(p, SIM_REG_DEVICE_FEATURES_SEL, p->dfsel);
        return mr(p, SIM_REG_DEVICE_FEATURES);
    case 0x10 | 2 << 16: return p->msix_config;
    case 0x12 | 2 << 16: {
        unsigned n = 0, i;
        for (i = 0; i < SIM_MAX_QUEUES; i++)
            if (p->s->q[i].num_max) n = i + 1;
        return n;
    }
    case 0x14 | 1 << 16: return mr(p, SIM_REG_STATUS) & 0xffu;
    case 0x15 | 1 << 16: return mr(p, SIM_REG_CONFIG_GENERATION) & 0xffu;
    case 0x16 | 2 << 16: return p->qsel;
    case 0x18 | 2 << 16:
        if (p->qsel >= SIM_MAX_QUEUES) return 0;
        return p->qsize[q] ? p->qsize[q] : mr(p, SIM_REG_QUEUE_NUM_MAX);
    case 0x1a | 2 << 16: return p->msix_queue[q];
    case 0x1c | 2 << 16: return mr(p, SIM_REG_QUEUE_READY);
    case 0x1e | 2 << 16: return p->notify_off[q];
    default: return (uint32_t)bad(p, "common configuration read", off, width);
    }
}
static void common_write(sim_pci *p, uint32_t off, uint32_t v, unsigned width) {
    static const uint32_t addr_reg[6] = {SIM_REG_QUEUE_DESC_LOW,   SIM_REG_QUEUE_DESC_HIGH,
                                         SIM_REG_QUEUE_DRIVER_LOW, SIM_REG_QUEUE_DRIVER_HIGH,
                                         SIM_REG_QUEUE_DEVICE_LOW, SIM_REG_QUEUE_DEVICE_HIGH};
    unsigned q = p->qsel < SIM_MAX_QUEUES ? p->qsel : 0;
    if (width == 4 && off >= 0x20 && off < 0x38) {
        mw(p, addr_reg[(off - 0x20) / 4], v);
        return;
    }
    switch (off | width << 16) {
    case 0x00 | 4 << 16: p->dfsel = v; return;
    case 0x08 | 4 << 16: mw(p, SIM_REG_DRIVER_FEATURES_SEL, v); return;
    case 0x0c | 4 << 16: mw(p, SIM_REG_DRIVER_FEATURES, v); return;
    case 0x10 | 2 << 16: p->msix_config = (uint16_t)v; return;
    case 0x14 | 1 << 16:
        mw(p, SIM_REG_STATUS, v);
        if (v == 0) after_reset(p);
        return;
    case 0x16 | 2 << 16:
        p->qsel = (uint16_t)v;
        mw(p, SIM_REG_QUEUE_SEL, v);
        return;
    case 0x18 | 2 << 16:
        if (v == 0 || (v & (v - 1u))) sim_violation(p->s, "queue_size %u written", v);
        p->qsize[q] = (uint16_t)v;
        mw(p, SIM_REG_QUEUE_NUM, v);
        return;
    case 0x1a | 2 << 16: p->msix_queue[q] = (uint16_t)v; return;
    case 0x1c | 2 << 16:
        if (v != 1) sim_violation(p->s, "queue_enable %u written (MUST NOT write 0)", v);
        if (p->msix_queue[q] != 0xffff)
            sim_violation(p->s, "queue %u enabled with vector 0x%x", q, p->msix_queue[q]);
        mw(p, SIM_REG_QUEUE_READY, v);
        return;
    default: bad(p, "common configuration write (read-only field or bad width)", off, width);
    }
}

/* Legacy header in BAR 0 (registers little-endian; configuration as the device keeps it). */
static uint32_t legacy_cfg_off(const sim_pci *p) {
    return (p->cfg[SIM_PCI_CAP_MSIX + 3] & 0x80u) ? 24u : 20u;
}
static uint32_t legacy_read(sim_pci *p, uint32_t off, unsigned width) {
    uint32_t c = legacy_cfg_off(p);
    unsigned q = p->qsel < SIM_MAX_QUEUES ? p->qsel : 0;
    if (off >= c) return cfg_rd(p, off - c, width);
    switch (off | width << 16) {
    case 0 | 4 << 16: mw(p, SIM_REG_DEVICE_FEATURES_SEL, 0); return mr(p, SIM_REG_DEVICE_FEATURES);
    case 4 | 4 << 16: return p->gfeat;
    case 8 | 4 << 16: return mr(p, SIM_REG_QUEUE_PFN);
    case 12 | 2 << 16: return p->qsel < SIM_MAX_QUEUES ? mr(p, SIM_REG_QUEUE_NUM_MAX) : 0;
    case 14 | 2 << 16: return p->qsel;
    case 18 | 1 << 16: return mr(p, SIM_REG_STATUS) & 0xffu;
    case 19 | 1 << 16: return isr_read(p);
    case 20 | 2 << 16: return p->msix_config;
    case 22 | 2 << 16: return p->msix_queue[q];
    default: return (uint32_t)bad(p, "legacy header read", off, width);
    }
}
static void legacy_write(sim_pci *p, uint32_t off, uint32_t v, unsigned width) {
    uint32_t c = legacy_cfg_off(p);
    unsigned q = p->qsel < SIM_MAX_QUEUES ? p->qsel : 0;
    if (off >= c) {
        cfg_wr(p, off - c, v, width);
        return;
    }
    switch (off | width << 16) {
    case 4 | 4 << 16:
        p->gfeat = v;
        mw(p, SIM_REG_DRIVER_FEATURES_SEL, 0);
        mw(p, SIM_REG_DRIVER_FEATURES, v);
        return;
    case 8 | 4 << 16:
        /* The queue has the device's size; the page is 4096 bytes, the alignment too. */
        if (v && legacy_cfg_off(p) == 24 && p->msix_queue[q] != 0xffff)
            sim_violation(p->s, "legacy queue %u set up with vector 0x%x", q, p->msix_queue[q]);
        mw(p, SIM_REG_GUEST_PAGE_SIZE, 4096);
        mw(p, SIM_REG_QUEUE_NUM, mr(p, SIM_REG_QUEUE_NUM_MAX));
        mw(p, SIM_REG_QUEUE_ALIGN, 4096);
        mw(p, SIM_REG_QUEUE_PFN, v);
        return;
    case 14 | 2 << 16:
        p->qsel = (uint16_t)v;
        mw(p, SIM_REG_QUEUE_SEL, v);
        return;
    case 16 | 2 << 16:
        p->notifies++;
        mw(p, SIM_REG_QUEUE_NOTIFY, v);
        return;
    case 18 | 1 << 16:
        mw(p, SIM_REG_STATUS, v);
        if (v == 0) after_reset(p);
        return;
    case 20 | 2 << 16:
        if (c == 24) {
            p->msix_config = (uint16_t)v;
            return;
        }
        break;
    case 22 | 2 << 16:
        if (c == 24) {
            p->msix_queue[q] = (uint16_t)v;
            return;
        }
        break;
    default: break;
    }
    bad(p, "legacy header write", off, width);
}

static uint32_t bar_read(sim_pci *p, unsigned n, uint32_t off, unsigned width) {
    p->bar_accesses++;
    if (!(get(p->cfg, H_COMMAND, 2) & 3u)) {
        sim_violation(p->s, "BAR %u read with decoding off", n);
        return 0xffffffffu;
    }
    if (n == 0 && p->bar_size[0] && off + width <= SIM_PCI_BAR0_SIZE)
        return legacy_read(p, off, width);
    if (n == 4 && p->bar_size[4] && off + width <= SIM_PCI_BAR4_SIZE) {
        if (off < SIM_PCI_ISR_OFF) return common_read(p, off, width);
        if (off < SIM_PCI_DEVICE_OFF) {
            if (off == SIM_PCI_ISR_OFF && width == 1) return isr_read(p);
            return (uint32_t)bad(p, "ISR read", off, width);
        }
        if (off < SIM_PCI_NOTIFY_OFF) return cfg_rd(p, off - SIM_PCI_DEVICE_OFF, width);
    }
    return (uint32_t)bad(p, "read outside the structures", off, width);
}
static void bar_write(sim_pci *p, unsigned n, uint32_t off, uint32_t v, unsigned width) {
    p->bar_accesses++;
    if (!(get(p->cfg, H_COMMAND, 2) & 3u)) {
        sim_violation(p->s, "BAR %u written with decoding off", n);
        return;
    }
    if (n == 0 && p->bar_size[0] && off + width <= SIM_PCI_BAR0_SIZE) {
        legacy_write(p, off, v, width);
        return;
    }
    if (n == 4 && p->bar_size[4] && off + width <= SIM_PCI_BAR4_SIZE) {
        if (off < SIM_PCI_ISR_OFF) {
            common_write(p, off, v, width);
            return;
        }
        if (off >= SIM_PCI_DEVICE_OFF && off < SIM_PCI_NOTIFY_OFF) {
            cfg_wr(p, off - SIM_PCI_DEVICE_OFF, v, width);
            return;
        }
        if (off >= SIM_PCI_NOTIFY_OFF && width == 2) {
            uint32_t at = off - SIM_PCI_NOTIFY_OFF;
            p->notifies++;
            if (v >= SIM_MAX_QUEUES || at != (uint32_t)p->notify_off[v] * p->notify_mul)
                sim_violation(p->s, "notify of queue %u at offset 0x%x", v, at);
            mw(p, SIM_REG_QUEUE_NOTIFY, v);
            return;
        }
    }
    bad(p, "write outside the structures", off, width);
}

/* "PCI configuration access capability": the window's BAR access, checked against the
   driver's rules (cap.length 1, 2 or 4; cap.offset a multiple of it; pci_cfg_data accessed
   with that width; the bytes inside a structure another capability names: BAR 4 here). */
static int window_ok(sim_pci *p, unsigned width) {
    uint32_t c = p->cfg_cap, bar = p->cfg[c + 4], off = get(p->cfg, c + 8, 4),
             len = get(p->cfg, c + 12, 4);
    if ((len != 1 && len != 2 && len != 4) || (off & (len - 1u)) || width != len || bar != 4) {
        sim_violation(p->s, "window access: bar %u offset 0x%x length %u, %u-byte data access", bar,
                      off, len, width);
        return 0;
    }
    p->window_accesses++;
    return 1;
}
static void window_write(sim_pci *p, uint32_t at, uint32_t v, unsigned width) {
    uint32_t c = p->cfg_cap;
    if (at == 4 && width == 1) {
        p->cfg[c + 4] = (uint8_t)v;
    } else if ((at == 8 || at == 12) && width == 4) {
        put32(p->cfg, c + at, v);
    } else if (at == 16) {
        if (window_ok(p, width)) bar_write(p, 4, get(p->cfg, c + 8, 4), v, width);
    } else {
        sim_violation(p->s, "write to the configuration access capability at +%u", at);
    }
}
static uint32_t window_read(sim_pci *p, unsigned width) {
    uint32_t c = p->cfg_cap, v;
    if (!window_ok(p, width)) return 0;
    v = bar_read(p, 4, get(p->cfg, c + 8, 4), width);
    put32(p->cfg, c + 16, v); /* "store the first cap.length bytes in pci_cfg_data" */
    return v;
}

static uint32_t rd(void *u, unsigned region, uint32_t off, unsigned width) {
    sim_pci *p = (sim_pci *)u;
    if (region == VIRTIO_REGION_PCI_CONFIG) {
        p->config_space_reads++;
        if (off + width > 4096u || (off & (width - 1u)))
            return (uint32_t)bad(p, "config read", off, width);
        if (p->cfg_cap && off == p->cfg_cap + 16u) return window_read(p, width);
        return get(p->cfg, off, width);
    }
    if (region >= VIRTIO_REGION_PCI_BAR(0) && region <= VIRTIO_REGION_PCI_BAR(5)) {
        p->bar_region_accesses++;
        return bar_read(p, region - VIRTIO_REGION_PCI_BAR(0), off, width);
    }
    sim_violation(p->s, "region 0x%x", region);
    return 0xffffffffu;
}
static void wr(void *u, unsigned region, uint32_t off, uint32_t v, unsigned width) {
    sim_pci *p = (sim_pci *)u;
    if (region == VIRTIO_REGION_PCI_CONFIG)
        cfg_write(p, off, v, width);
    else if (region >= VIRTIO_REGION_PCI_BAR(0) && region <= VIRTIO_REGION_PCI_BAR(5)) {
        p->bar_region_accesses++;
        bar_write(p, region - VIRTIO_REGION_PCI_BAR(0), off, v, width);
    } else
        sim_violation(p->s, "region 0x%x", region);
}
static uint8_t r8(void *u, unsigned region, uint32_t off) { return (uint8_t)rd(u, region, off, 1); }
static uint16_t r16(void *u, unsigned region, uint32_t off) {
    return (uint16_t)rd(u, region, off, 2);
}
static uint32_t r32(void *u, unsigned region, uint32_t off) { return rd(u, region, off, 4); }
static void w8(void *u, unsigned region, uint32_t off, uint8_t v) { wr(u, region, off, v, 1); }
static void w16(void *u, unsigned region, uint32_t off, uint16_t v) { wr(u, region, off, v, 2); }
static void w32(void *u, unsigned region, uint32_t off, uint32_t v) { wr(u, region, off, v, 4); }
static uint64_t dma(void *u, const void *ptr) {
    sim_pci *p = (sim_pci *)u;
    return p->inner.dma(p->inner.user, ptr);
}

virtio_regs sim_pci_regs(sim_pci *p) {
    virtio_regs r = p->inner;
    r.read8 = r8;
    r.read16 = r16;
    r.read32 = r32;
    r.write8 = w8;
    r.write16 = w16;
    r.write32 = w32;
    r.dma = dma;
    r.user = p;
    return r;
}
