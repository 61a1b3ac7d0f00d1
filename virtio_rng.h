/* virtio_rng.h - v0.2.0 - polled VirtIO entropy device (virtio-rng) driver, on virtio.h
   MIT licensed, see the end of the file.

   Random bytes from the host: fill a buffer, blocking (virtio_rng_read) or with several
   buffers in flight (submit / kick / poll / wait). It uses only the public API of virtio.h, so
   it is also the short example of a device driver written on the core.

QUICK START

       #define VIRTIO_IMPLEMENTATION        // in exactly one C file
       #include "virtio.h"
       #define VIRTIO_RNG_IMPLEMENTATION
       #include "virtio_rng.h"

       // Scan the slots (QEMU's riscv `virt`: 8 at 0x10001000, filled from the top), probe.
       virtio_mmio_slot slots[8];
       int i = 0, n = virtio_mmio_scan(NULL, (void *)0x10001000, 0x1000, 8, slots, 8);
       while (i < n && slots[i].device_id != VIRTIO_ID_RNG) i++;
       if (i == n) return VIRTIO_ENODEV;                       // no entropy device
       virtio_regs regs = virtio_mmio_regs(slots[i].base);     // plain MMIO: no callback
       virtio_transport t;
       int r = virtio_mmio_transport(&t, &regs);               // read-only probe

       static uint8_t mem[VIRTIO_RNG_MEM(8)] __attribute__((aligned(4096)));
       static uint8_t seed[32];                                // the device writes it (DMA)
       virtio_rng_params p = {0};                              // zero fields: defaults
       p.queue_size = 8;
       virtio_rng rng;                                         // must not move after init
       if (r == 0) r = virtio_rng_init(&rng, &t, &p, mem, sizeof mem);
       if (r == 0) r = virtio_rng_read(&rng, seed, sizeof seed);   // all 32 bytes, or an error
       if (r != 0) print(virtio_result_str(r));

SEEDING A BOOT LOADER (address randomisation)
   The first stage that can reach the device can seed what comes after it: where to place the
   kernel (KASLR) and the kernel's own random pool. Read, then reset, so the device holds
   nothing of the boot loader's when the kernel's driver takes over:

       static uint64_t seed[2];                                // reachable by the device
       int r = virtio_rng_read(&rng, seed, sizeof seed);
       virtio_rng_reset(&rng);                                 // hand the device over idle
       if (r != 0) panic("no entropy");                        // never boot with seed 0
       uint64_t choices = (RAM_END - RAM_START - KERNEL_SIZE) / ALIGN_2M + 1;
       uintptr_t base = RAM_START + (uintptr_t)(seed[0] % choices) * ALIGN_2M;
       load_kernel(base);                                      // physical placement
       fdt_setprop_u64(fdt, chosen, "kaslr-seed", seed[1]);    // Linux: virtual placement
       // bytes for the kernel's random pool: another read, into /chosen/rng-seed

DOES NOT
   allocate, take interrupts, lock, whiten or test the bytes (they are the host's: QEMU's
   virtio-rng gives what its backend, /dev/urandom by default, gives), or post more than one
   buffer at a time in virtio_rng_read (use submit / kick to keep several in flight).

MEMORY
   A virtio_rng object (caller's, must not move after init) and one block for the driver:
   virtio_rng_mem_size(&p, &t) bytes aligned to virtio_queue_ring_align(&t) (4096 for a legacy
   transport, 16 for a modern one; 4096 fits both), reachable by the device.
   VIRTIO_RNG_MEM(queue_size) is a compile-time bound that fits every transport (queue_size 0
   means the default, 8). The block holds the request queue's rings and, after them, its
   driver-private shadow. Buffers to fill are the caller's: any address and length the device
   can reach, contiguous for the device. A buffer given to the device (virtio_rng_read while
   it runs, virtio_rng_submit until poll or wait hands it back) must not be touched.
   Legacy virtio-pci fixes each queue's size (QEMU: 8): the rings have the device's size,
   the driver uses the entries the params ask for. virtio_rng_mem_size(&p, &t) with the
   probed transport counts that; the compile-time bound holds there when its queue sizes are
   at least the device's, or for any when the device's are at most 128 (virtio.h,
   VIRTIO_QUEUE_RING_MEM).

ERRORS
   As virtio.h: 0 or a negative virtio_result. A caller bug (NULL pointer, a zero-length
   submit, a queue size that is not a power of two up to 32768, memory too small or
   misaligned) is VIRTIO_EINVAL and changes nothing: no register access, no byte of memory
   written. virtio_rng_init on a device of another type is VIRTIO_ENODEV, also before any
   register write. An object that was never initialized (zeroed), or was reset, gives
   VIRTIO_ESTATE. VIRTIO_ESTATE too from virtio_rng_read while submitted buffers are still
   pending: collect them first (virtio_rng_wait until VIRTIO_EAGAIN). VIRTIO_ENOSPC from
   virtio_rng_submit when the queue is full. VIRTIO_EDEVICE when the device returns a buffer
   with 0 bytes written (it "MUST place one or more random bytes into the buffer").
   Buffer ownership: virtio_rng_read and virtio_rng_wait never return with a buffer still in
   the device's hands. When their wait fails (VIRTIO_ETIMEDOUT, VIRTIO_ENEEDS_RESET,
   VIRTIO_EDEVICE) they reset the device first (virtio 1.4 "Device Cleanup"): every buffer
   given to it is the caller's again, and nothing writes it after the call returns. Call
   virtio_rng_init to use the device again. If even that reset does not complete, they return
   VIRTIO_EBUSY: the device may still write those buffers, so leave them alone and retry
   virtio_rng_reset until it returns 0. virtio_rng_poll never waits, so it never resets: after
   it fails, the buffers still pending are the device's until virtio_rng_reset returns 0.
   Every error from the device is latched: later calls return it until the next init.

CONCURRENCY
   One caller per virtio_rng at a time; no globals. Every wait is bounded (the accessor's
   spin_limit and relax hook, see virtio.h).

SPEC
   virtio 1.4 "Device Types / Entropy Device" (one queue, requestq; no feature bits, no
   configuration; device operation: device-writable buffers only, "The driver MUST examine the
   length written by the device to determine how many random bytes were received"), and
   "General Initialization And Device Operation / Device Cleanup".
*/

#ifndef VIRTIO_RNG_H
#define VIRTIO_RNG_H

#ifndef VIRTIO_H
#error "include virtio.h before virtio_rng.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define VIRTIO_RNG_QUEUE_SIZE 8u /* default queue entries */

/* Zero fields mean defaults. */
typedef struct virtio_rng_params {
    uint32_t queue_size; /* request queue entries: a power of two up to 32768, default 8; a
                            device that offers fewer gets fewer. One entry per buffer in flight */
    uint32_t max_chunk;  /* largest buffer posted at once, bytes (0 = no limit): a longer read
                            is split, a longer submit posts only its first max_chunk bytes */
} virtio_rng_params;

/* The driver's state. Fields are the library's: use the functions. */
typedef struct virtio_rng {
    virtio_dev dev;
    virtio_queue queue; /* requestq: zeroed whenever no buffer can be in the device */
    uint32_t max_chunk; /* from the params (0 = no limit) */
} virtio_rng;

/* Bytes of driver memory for `p` (NULL = defaults) on transport `t` (NULL = the bound for any
   transport), to be aligned to virtio_queue_ring_align(t). 0 if p is invalid. */
VIRTIO_API size_t virtio_rng_mem_size(const virtio_rng_params *p, const virtio_transport *t);
/* The same for any transport, at compile time (queue_size 0 = the default). */
#define VIRTIO_RNG_MEM(queue_size)                                                                 \
    VIRTIO_QUEUE_MEM((queue_size) ? (queue_size) : VIRTIO_RNG_QUEUE_SIZE)

/* Brings up the entropy device behind the probed transport `t` (virtio 1.4 "Device
   Initialization"): resets it (before any byte of `mem` is written: an earlier boot stage may
   have left it running), negotiates no device features, sets up the request queue in `mem`,
   DRIVER_OK. VIRTIO_EINVAL (nothing touched), VIRTIO_ENODEV (not an entropy device, nothing
   touched), VIRTIO_EBUSY (the device did not reset within VIRTIO_RESET_SPIN status reads, as
   Firecracker's never does once activated: `mem` untouched, later calls return VIRTIO_EBUSY;
   buffers an earlier init or boot stage gave the device are still its own although
   virtio_rng_pending reads 0, so leave them and `mem` alone until virtio_rng_reset or another
   init succeeds), or what a later step returned (the device is then marked FAILED). */
VIRTIO_API int virtio_rng_init(virtio_rng *rng, const virtio_transport *t,
                               const virtio_rng_params *p, void *mem, size_t mem_size);

/* Resets the device: every buffer given to it is the caller's again. 0, or VIRTIO_EBUSY if the
   reset did not complete: the buffers still pending stay the device's (virtio_rng_pending
   counts them) and every call returns VIRTIO_EBUSY (latched); call this again to retry.
   Initialize again to use the device. */
VIRTIO_API int virtio_rng_reset(virtio_rng *rng);

/* Fills all `len` bytes of buf with random bytes and returns 0, or fails; waits (bounded).
   The device may write less than a buffer: the driver posts the rest again until len bytes
   came. Nothing may be pending from virtio_rng_submit (VIRTIO_ESTATE). On failure buf holds an
   unspecified part of the bytes and is the caller's (see ERRORS). len 0 does nothing. */
VIRTIO_API int virtio_rng_read(virtio_rng *rng, void *buf, size_t len);

/* Gives buf[0..len) to the device to fill (at most max_chunk bytes of it, and at most 2 GiB),
   without telling it: call virtio_rng_kick. The buffer is the device's until poll or wait
   hands it back. VIRTIO_ENOSPC when the queue is full; VIRTIO_EINVAL for a NULL buf or len 0. */
VIRTIO_API int virtio_rng_submit(virtio_rng *rng, void *buf, size_t len);

/* Tells the device about every submitted buffer: one notification for the batch (fewer when
   the device says it needs none). */
VIRTIO_API int virtio_rng_kick(virtio_rng *rng);

/* Takes one finished buffer without waiting: *buf is the pointer it was submitted with, *got
   how many random bytes the device wrote from its start (1 .. what was posted): only those
   count. Either may be NULL. VIRTIO_EAGAIN when none has finished. A buffer the device
   returned with 0 bytes is VIRTIO_EDEVICE (latched), and is handed back all the same (*buf,
   *got 0): it no longer counts in virtio_rng_pending. */
VIRTIO_API int virtio_rng_poll(virtio_rng *rng, void **buf, uint32_t *got);

/* virtio_rng_poll, waiting (bounded) for a buffer. Publishes submitted buffers first, as
   virtio_rng_kick does. VIRTIO_EAGAIN at once when nothing is pending. If the wait fails, the
   device is reset (see ERRORS). */
VIRTIO_API int virtio_rng_wait(virtio_rng *rng, void **buf, uint32_t *got);

/* Buffers submitted and not yet handed back by poll or wait (0 for NULL, and once the device
   was reset: then they are all the caller's again). */
VIRTIO_API uint32_t virtio_rng_pending(const virtio_rng *rng);

#ifdef __cplusplus
}
#endif

#endif /* VIRTIO_RNG_H */

/* ============================================================================================== */
/*                                        IMPLEMENTATION                                          */
/* ============================================================================================== */
#if defined(VIRTIO_RNG_IMPLEMENTATION) && !defined(VIRTIO_RNG__IMPL_DONE)
#define VIRTIO_RNG__IMPL_DONE

/* Largest buffer posted at once: a descriptor length is 32 bits; a power of two keeps the
   pieces of a long read aligned. */
#define VIRTIO_RNG__MAX_SEG 0x80000000u

/* ---- Memory plan: one layout for virtio_rng_mem_size and virtio_rng_init --------------------- */
typedef struct virtio_rng__plan {
    uint32_t queue_size;
    size_t ring_size;  /* at offset 0, aligned to virtio_queue_ring_align(t) */
    size_t shadow_off; /* driver-private, after the device-visible rings, 8-aligned */
    size_t shadow_size;
    size_t total;
} virtio_rng__plan;

static int virtio_rng__plan_for(const virtio_rng_params *p, const virtio_transport *t,
                                virtio_rng__plan *plan) {
    uint32_t n = (p && p->queue_size) ? p->queue_size : VIRTIO_RNG_QUEUE_SIZE;
    plan->ring_size = virtio_queue_ring_size(t, n); /* 0 unless a power of two up to 32768 */
    if (plan->ring_size == 0) return 0;
    plan->queue_size = n;
    plan->shadow_off = virtio_align_up(plan->ring_size, 8u);
    plan->shadow_size = virtio_queue_shadow_size(n);
    plan->total = plan->shadow_off + plan->shadow_size;
    return 1;
}

VIRTIO_DEF size_t virtio_rng_mem_size(const virtio_rng_params *p, const virtio_transport *t) {
    virtio_rng__plan plan;
    return virtio_rng__plan_for(p, t, &plan) ? plan.total : 0u;
}

/* ---- Initialization: "Entropy Device / Device Initialization" ------------------------------- */
VIRTIO_DEF int virtio_rng_init(virtio_rng *rng, const virtio_transport *t,
                               const virtio_rng_params *p, void *mem, size_t mem_size) {
    virtio_rng__plan plan;
    virtio_queue_params qp;
    int r;
    /* 1. Caller errors, before anything is touched. */
    if (!rng || !t || !mem || !virtio_rng__plan_for(p, t, &plan)) return VIRTIO_EINVAL;
    if (mem_size < plan.total || ((uintptr_t)mem & (virtio_queue_ring_align(t) - 1u)) != 0)
        return VIRTIO_EINVAL;
    /* 2. Attach (VIRTIO_ENODEV for another device type, before any access) and reset: until the
       reset completes, a device an earlier stage left running may still write `mem`. */
    r = virtio_dev_init(&rng->dev, t, VIRTIO_ID_RNG);
    if (r == VIRTIO_EINVAL || r == VIRTIO_ENODEV) return r;
    virtio_zero(&rng->queue, sizeof rng->queue); /* no queue until step 4 */
    if (r) return r;
    /* 3. The device is idle: the memory is ours. No device feature bits exist; the core adds
       the ring features it implements. */
    virtio_zero(mem, plan.total);
    rng->max_chunk = p ? p->max_chunk : 0u;
    r = virtio_dev_negotiate(&rng->dev, 0, 0);
    if (r) return virtio_dev_fail(&rng->dev, r);
    /* 4. "The virtqueue is initialized." Used lengths matter here: no IGNORE_LEN. */
    virtio_zero(&qp, sizeof qp);
    qp.size = plan.queue_size;
    qp.ring = mem;
    qp.ring_size = plan.ring_size;
    qp.shadow = (char *)mem + plan.shadow_off;
    qp.shadow_size = plan.shadow_size;
    r = virtio_queue_init(&rng->queue, &rng->dev, 0, &qp);
    if (r) {
        virtio_zero(&rng->queue, sizeof rng->queue);
        return virtio_dev_fail(&rng->dev, r);
    }
    /* 5. DRIVER_OK. */
    r = virtio_dev_ready(&rng->dev);
    return r ? virtio_dev_fail(&rng->dev, r) : VIRTIO_OK;
}

/* 0 if the object is initialized and healthy: the device's latched error first (it may be one
   that left no queue, e.g. after a failed wait), then the queue's (VIRTIO_ESTATE if none). */
static int virtio_rng__usable(const virtio_rng *rng) {
    int r = virtio_dev_usable(&rng->dev);
    return r ? r : virtio_queue_usable(&rng->queue);
}

/* The one way out of a failed wait: reset the device so every buffer it held is the caller's,
   and latch `error`. The queue is forgotten once the device holds nothing; if the reset did
   not complete (VIRTIO_EBUSY) it stays, so virtio_rng_pending still counts what is out. */
static int virtio_rng__abandon(virtio_rng *rng, int error) {
    int r = virtio_dev_abandon(&rng->dev, error);
    if (r != VIRTIO_EBUSY) virtio_zero(&rng->queue, sizeof rng->queue);
    return r;
}

VIRTIO_DEF int virtio_rng_reset(virtio_rng *rng) {
    int r;
    if (!rng) return VIRTIO_EINVAL;
    r = virtio_dev_reset(&rng->dev);
    if (r == VIRTIO_ESTATE) return r; /* never initialized: nothing to reset */
    if (r == VIRTIO_OK) virtio_zero(&rng->queue, sizeof rng->queue);
    return r;
}

/* ---- Device operation: "Entropy Device / Device Operation" ---------------------------------- */
/* Adds buf as one device-writable buffer ("The driver MUST NOT place device-readable buffers
   into the queue"), at most max_chunk and VIRTIO_RNG__MAX_SEG bytes, under cookie buf. */
static int virtio_rng__post(virtio_rng *rng, void *buf, size_t len) {
    virtio_seg seg;
    seg.addr = buf;
    seg.len = len > VIRTIO_RNG__MAX_SEG ? VIRTIO_RNG__MAX_SEG : (uint32_t)len;
    if (rng->max_chunk && seg.len > rng->max_chunk) seg.len = rng->max_chunk;
    return virtio_queue_add(&rng->queue, &seg, 0, 1, buf);
}

VIRTIO_DEF int virtio_rng_read(virtio_rng *rng, void *buf, size_t len) {
    uint8_t *p = (uint8_t *)buf;
    int r;
    if (!rng || (!buf && len)) return VIRTIO_EINVAL;
    r = virtio_rng__usable(rng);
    if (r) return r;
    /* A completion of someone else's buffer would end our wait: keep the two apart. */
    if (virtio_queue_pending(&rng->queue) != 0) return VIRTIO_ESTATE;
    while (len > 0) {
        uint32_t got = 0;
        r = virtio_rng__post(rng, p, len);
        if (r) return r; /* nothing was added */
        r = virtio_queue_kick(&rng->queue);
        if (r == VIRTIO_OK) r = virtio_queue_wait(&rng->queue, NULL, &got);
        if (r) return virtio_rng__abandon(rng, r);
        /* It is p: the core checked that the id was outstanding, and only p was; and that got
           is no more than was posted. "MAY use less than the entire buffer length" (then we
           post the rest), but "MUST place one or more random bytes": 0 would loop for ever. */
        if (got == 0) return virtio_rng__abandon(rng, VIRTIO_EDEVICE);
        p += got;
        len -= got;
    }
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_rng_submit(virtio_rng *rng, void *buf, size_t len) {
    int r;
    if (!rng || !buf || len == 0) return VIRTIO_EINVAL;
    r = virtio_rng__usable(rng);
    return r ? r : virtio_rng__post(rng, buf, len);
}

VIRTIO_DEF int virtio_rng_kick(virtio_rng *rng) {
    int r;
    if (!rng) return VIRTIO_EINVAL;
    r = virtio_rng__usable(rng);
    return r ? r : virtio_queue_kick(&rng->queue);
}

VIRTIO_DEF int virtio_rng_poll(virtio_rng *rng, void **buf, uint32_t *got) {
    void *cookie = 0;
    uint32_t n = 0;
    int r;
    if (!rng) return VIRTIO_EINVAL;
    r = virtio_rng__usable(rng);
    if (r == VIRTIO_OK) r = virtio_queue_poll(&rng->queue, &cookie, &n);
    if (r) return r;
    /* The device is done with it either way: hand it back (the caller would otherwise never
       learn that it is no longer pending). */
    if (buf) *buf = cookie;
    if (got) *got = n;
    /* A poll never waits, so it does not reset: latch the fault, other buffers stay out. */
    return n == 0 ? virtio_dev_fail(&rng->dev, VIRTIO_EDEVICE) : VIRTIO_OK;
}

VIRTIO_DEF int virtio_rng_wait(virtio_rng *rng, void **buf, uint32_t *got) {
    void *cookie = 0;
    uint32_t n = 0;
    int r;
    if (!rng) return VIRTIO_EINVAL;
    r = virtio_rng__usable(rng);
    if (r) return r;
    if (virtio_queue_pending(&rng->queue) == 0) return VIRTIO_EAGAIN; /* nothing to wait for */
    r = virtio_queue_kick(&rng->queue); /* waiting for a buffer the device never saw is futile */
    if (r == VIRTIO_OK) r = virtio_queue_wait(&rng->queue, &cookie, &n);
    if (r) return virtio_rng__abandon(rng, r);
    if (n == 0) return virtio_rng__abandon(rng, VIRTIO_EDEVICE);
    if (buf) *buf = cookie;
    if (got) *got = n;
    return VIRTIO_OK;
}

VIRTIO_DEF uint32_t virtio_rng_pending(const virtio_rng *rng) {
    return rng ? virtio_queue_pending(&rng->queue) : 0u;
}

#undef VIRTIO_RNG__MAX_SEG
#endif /* VIRTIO_RNG_IMPLEMENTATION */

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
