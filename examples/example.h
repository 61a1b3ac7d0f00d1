/* example.h - what every example does with the library: find its device in the `virt`
   machine's virtio-mmio slots, and stop with a one-line reason when something fails.
   Include after virtio.h and platform/platform.h. Not part of the library. */
#ifndef EXAMPLE_H
#define EXAMPLE_H

/* Prints "FAIL: what: <result name> (<code>)" and powers off with status 1. r = 0: no code. */
static void ex_fail(const char *what, int r) __attribute__((noreturn, unused));
static void ex_fail(const char *what, int r)
{
    plat_puts("FAIL: ");
    plat_puts(what);
    if (r != 0) {
        plat_puts(": ");
        plat_puts(virtio_result_str(r));
        plat_puts(" (");
        plat_put_sdec(r);
        plat_putc(')');
    }
    plat_putc('\n');
    plat_exit(1);
}

/* Finds the lowest slot holding a device of type `device_id` and probes it into *t (read-only:
   the device is not touched). 0, or VIRTIO_ENODEV. QEMU fills the slots from the top, in
   command-line order, so a program must scan: never assume a slot. */
static int ex_find(uint32_t device_id, virtio_transport *t) __attribute__((unused));
static int ex_find(uint32_t device_id, virtio_transport *t)
{
    static virtio_mmio_slot slots[PLAT_VIRTIO_MMIO_SLOTS];
    int n = virtio_mmio_scan(NULL, (void *)PLAT_VIRTIO_MMIO_BASE, PLAT_VIRTIO_MMIO_STRIDE,
                             PLAT_VIRTIO_MMIO_SLOTS, slots, PLAT_VIRTIO_MMIO_SLOTS);
    for (int i = 0; i < n && i < (int)PLAT_VIRTIO_MMIO_SLOTS; i++) {
        if (slots[i].device_id != device_id)
            continue;
        virtio_regs regs = virtio_mmio_regs(slots[i].base);
        return virtio_mmio_transport(t, &regs);
    }
    return VIRTIO_ENODEV;
}

#endif /* EXAMPLE_H */
