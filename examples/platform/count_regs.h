/* count_regs.h - a register accessor that counts, wrapped around another accessor.

   Include after virtio.h. Every register read and write the library makes through the returned
   accessor is counted and then passed to the wrapped one (for example virtio_mmio_regs(base)),
   so a benchmark can report register accesses per request: on a real machine (and even more in
   a VM, where each one is a trap to the hypervisor) they are the expensive part of a request.

       count_regs counter;
       virtio_regs plain = virtio_mmio_regs(slot_base);
       virtio_regs regs = count_regs_wrap(&counter, &plain);
       ... virtio_blk_init(&blk, &regs, ...) ...
       counter.reads = counter.writes = 0;   // count from here on

   The wrapper must not move while the library uses the accessor (regs.user points at it). */

#ifndef COUNT_REGS_H
#define COUNT_REGS_H

#ifndef VIRTIO_H
#error "include virtio.h before count_regs.h"
#endif

typedef struct count_regs {
    virtio_regs inner; /* the accessor doing the real work */
    uint32_t reads;    /* register reads so far, any width */
    uint32_t writes;   /* register writes so far, any width */
} count_regs;

static uint8_t count_regs__read8(void *user, unsigned region, uint32_t off)
{
    count_regs *c = (count_regs *)user;
    c->reads++;
    return c->inner.read8(c->inner.user, region, off);
}

static uint16_t count_regs__read16(void *user, unsigned region, uint32_t off)
{
    count_regs *c = (count_regs *)user;
    c->reads++;
    return c->inner.read16(c->inner.user, region, off);
}

static uint32_t count_regs__read32(void *user, unsigned region, uint32_t off)
{
    count_regs *c = (count_regs *)user;
    c->reads++;
    return c->inner.read32(c->inner.user, region, off);
}

static void count_regs__write8(void *user, unsigned region, uint32_t off, uint8_t value)
{
    count_regs *c = (count_regs *)user;
    c->writes++;
    c->inner.write8(c->inner.user, region, off, value);
}

static void count_regs__write16(void *user, unsigned region, uint32_t off, uint16_t value)
{
    count_regs *c = (count_regs *)user;
    c->writes++;
    c->inner.write16(c->inner.user, region, off, value);
}

static void count_regs__write32(void *user, unsigned region, uint32_t off, uint32_t value)
{
    count_regs *c = (count_regs *)user;
    c->writes++;
    c->inner.write32(c->inner.user, region, off, value);
}

static uint64_t count_regs__dma(void *user, const void *ptr)
{
    count_regs *c = (count_regs *)user;
    return c->inner.dma(c->inner.user, ptr);
}

static int count_regs__relax(void *user, uint32_t iteration)
{
    count_regs *c = (count_regs *)user;
    return c->inner.relax(c->inner.relax_user, iteration);
}

/* Fills *c from *inner (copied) and returns the counting accessor. The optional hooks stay
   NULL when the inner accessor has none, so the library behaves exactly as it would without
   the wrapper. */
static inline virtio_regs count_regs_wrap(count_regs *c, const virtio_regs *inner)
{
    virtio_regs r;
    c->inner = *inner;
    c->reads = 0;
    c->writes = 0;
    r.read8 = count_regs__read8;
    r.read16 = count_regs__read16;
    r.read32 = count_regs__read32;
    r.write8 = count_regs__write8;
    r.write16 = count_regs__write16;
    r.write32 = count_regs__write32;
    r.dma = inner->dma ? count_regs__dma : NULL;
    r.relax = inner->relax ? count_regs__relax : NULL;
    r.relax_user = c;
    r.spin_limit = inner->spin_limit;
    r.flags = inner->flags; /* the transport reads VIRTIO_REGS_F_* from here */
    r.user = c;
    return r;
}

#endif /* COUNT_REGS_H */
