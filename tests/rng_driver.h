/* rng_driver.h - a virtio entropy (virtio-rng, device ID 4) driver written only against the
   public core API of virtio.h: the proof that a user can drive a device this library does not
   ship. It is small on purpose; read it as an example.

   Usage (after #include "virtio.h"):

       rng_dev rng;
       int r = rng_init(&rng, &regs, qmem, sizeof qmem, 8);
       if (r == 0) r = rng_read(&rng, buf, 64);     // buf reachable by the device (DMA)

   Spec: virtio 1.4 "Device Types / Entropy Device": one queue (requestq); no feature bits, no
   configuration; the driver posts device-writable buffers only, and "MUST examine the length
   written by the device to determine how many random bytes were received", because the device
   "MAY use less than the entire buffer length". */
#ifndef RNG_DRIVER_H
#define RNG_DRIVER_H

#ifndef VIRTIO_H
#error "include virtio.h before rng_driver.h"
#endif

typedef struct rng_dev {
    virtio_dev dev;
    virtio_queue queue;
    uint32_t chunk; /* largest buffer posted at once (0 = no limit) */
} rng_dev;

/* Brings the device up: the spec's initialization sequence, no features, queue 0 of
   `queue_size` entries in `queue_mem`, DRIVER_OK. Returns 0 or a virtio_result. */
static inline int rng_init(rng_dev *r, const virtio_regs *regs, void *queue_mem,
                           size_t queue_mem_size, uint32_t queue_size) {
    int rc;
    if (!r) return VIRTIO_EINVAL;
    r->chunk = 0;
    rc = virtio_dev_init(&r->dev, regs, VIRTIO_ID_RNG);
    if (rc) return rc;
    /* The entropy device defines no feature bits; the core adds VERSION_1 on modern devices. */
    rc = virtio_dev_negotiate(&r->dev, 0, 0);
    if (rc) return rc;
    rc = virtio_queue_init(&r->queue, &r->dev, 0, queue_mem, queue_mem_size, queue_size);
    if (rc) return virtio_dev_fail(&r->dev, rc);
    return virtio_dev_ready(&r->dev);
}

/* Fills buf[0..len) with random bytes, blocking (bounded by the device's spin limit). buf must
   be reachable by the device. Posts one device-writable buffer at a time and keeps going until
   the device has written len bytes in all. A device that answers with 0 bytes is broken. */
static inline int rng_read(rng_dev *r, void *buf, size_t len) {
    uint8_t *p = (uint8_t *)buf;
    if (!r || (!buf && len)) return VIRTIO_EINVAL;
    while (len > 0) {
        virtio_seg seg;
        void *cookie = NULL;
        uint32_t got = 0;
        int rc;
        seg.addr = p;
        seg.len = len > 0x80000000u ? 0x80000000u : (uint32_t)len;
        if (r->chunk && seg.len > r->chunk) seg.len = r->chunk;
        rc = virtio_queue_add(&r->queue, &seg, 0, 1, p);
        if (rc) return rc;
        rc = virtio_queue_kick(&r->queue);
        if (rc) return rc;
        rc = virtio_queue_wait(&r->queue, &cookie, &got);
        if (rc) return rc;
        /* The core has checked that cookie is outstanding and got <= seg.len. */
        if (cookie != (void *)p || got == 0) return virtio_dev_fail(&r->dev, VIRTIO_EDEVICE);
        p += got;
        len -= got;
    }
    return VIRTIO_OK;
}

#endif /* RNG_DRIVER_H */
