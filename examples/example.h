/* example.h - what every example does with the library: find its devices where the firmware
   says they are, and stop with a one-line reason when something fails.
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

/* The virtio-gpu format of pixels kept as uint32_t 0x00RRGGBB in the CPU's byte order: in
   memory that is B,G,R,X on a little-endian CPU and X,R,G,B on a big-endian one (m68k). For the
   GPU examples (the names are virtio_gpu.h's). */
#define EX_GPU_FORMAT_XRGB                                                                         \
    (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM                      \
                                            : VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM)

/* The most virtio-mmio devices an example looks at (QEMU's m68k `virt` has 128 slots). */
#define EX_MAX_DEVICES 128
/* The most bytes of device tree the examples read (QEMU's are a few KiB to 1 MiB). */
#define EX_FDT_MAX (2u << 20)

/* Adds the device behind the registers at `base` (if there is one: the probe reads MagicValue,
   Version and DeviceID only) to list[0..*n), kept sorted by address, with slot number `index`. */
static void ex__add(virtio_mmio_slot *list, int *n, uintptr_t base, unsigned index)
    __attribute__((unused));
static void ex__add(virtio_mmio_slot *list, int *n, uintptr_t base, unsigned index)
{
    virtio_mmio_slot s;
    if (*n >= EX_MAX_DEVICES || virtio_mmio_scan(NULL, (void *)base, 0, 1, &s, 1) != 1)
        return;
    s.index = index;
    int i = *n;
    while (i > 0 && (uintptr_t)list[i - 1].base > base) {
        list[i] = list[i - 1];
        i--;
    }
    list[i] = s;
    (*n)++;
}

/* The slot number of `base` in a window of `count` slots of `stride` bytes from `first`, or
   `fallback` outside it. */
static unsigned ex__slot(uint64_t base, uint64_t first, uint64_t stride, unsigned count,
                         unsigned fallback) __attribute__((unused));
static unsigned ex__slot(uint64_t base, uint64_t first, uint64_t stride, unsigned count,
                         unsigned fallback)
{
    if (base < first || stride == 0 || (base - first) % stride != 0 ||
        (base - first) / stride >= count)
        return fallback;
    return (unsigned)((base - first) / stride);
}

/* Every virtio-mmio device of the machine, lowest address (slot) first, from the first source
   that names any: the device tree the firmware passed (virtio_fdt_find_mmio), the boot
   information (m68k), or a scan of the platform's PLAT_VIRTIO_MMIO_* slots. The first call
   prints which source it used ("devices: device tree", "devices: bootinfo", "devices: slot
   scan"); later calls return the same list. The probe writes no register. */
static int ex_scan(const virtio_mmio_slot **out) __attribute__((unused));
static int ex_scan(const virtio_mmio_slot **out)
{
    static virtio_mmio_slot list[EX_MAX_DEVICES];
    static int n = -1;
    if (n >= 0) {
        *out = list;
        return n;
    }
    n = 0;
    const char *source = "slot scan";
    const void *fdt = plat_fdt();
    uintptr_t bi_base;
    size_t bi_stride;
    unsigned bi_count;
    int named = 0; /* the device tree lists virtio-mmio nodes: it is the whole truth */
    if (fdt != NULL) {
        static virtio_fdt_mmio nodes[EX_MAX_DEVICES];
        /* totalsize, big-endian at offset 4; the reader checks it against EX_FDT_MAX. */
        const uint8_t *h = fdt;
        uint32_t total = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
        int k = virtio_fdt_find_mmio(fdt, total < EX_FDT_MAX ? total : EX_FDT_MAX, nodes,
                                     EX_MAX_DEVICES);
        if (k < 0) {
            plat_puts("devices: device tree unreadable: ");
            plat_puts(virtio_result_str(k));
            plat_putc('\n');
        }
        for (int i = 0; i < k && i < EX_MAX_DEVICES; i++) {
            if ((uint64_t)(uintptr_t)nodes[i].base != nodes[i].base) /* beyond this CPU's reach */
                continue;
            ex__add(list, &n, (uintptr_t)nodes[i].base,
                    ex__slot(nodes[i].base, PLAT_VIRTIO_MMIO_BASE, PLAT_VIRTIO_MMIO_STRIDE,
                             PLAT_VIRTIO_MMIO_SLOTS, (unsigned)i));
        }
        if (k > 0) {
            source = "device tree";
            named = 1; /* all of them empty: devices may be on PCI; no slot scan */
        }
    }
    if (n == 0 && !named && plat_bootinfo_mmio(&bi_base, &bi_stride, &bi_count)) {
        for (unsigned i = 0; i < bi_count; i++)
            ex__add(list, &n, bi_base + i * bi_stride, i);
        source = "bootinfo";
    }
    unsigned slots = PLAT_VIRTIO_MMIO_SLOTS; /* a variable: x86's 0 makes `i < 0u` a warning */
    if (n == 0 && !named && slots > 0) {
        for (unsigned i = 0; i < slots; i++)
            ex__add(list, &n, PLAT_VIRTIO_MMIO_BASE + i * PLAT_VIRTIO_MMIO_STRIDE, i);
        source = "slot scan";
    } else if (n == 0 && !named) {
        source = "no virtio-mmio on this machine";
    }
    plat_puts("devices: ");
    plat_puts(source);
    plat_putc('\n');
    *out = list;
    return n;
}

/* Prints "transport <mmio|pci> <legacy|modern>" for a probed transport. */
static void ex__say_transport(const virtio_transport *t) __attribute__((unused));
static void ex__say_transport(const virtio_transport *t)
{
    plat_puts(t->kind == VIRTIO_TRANSPORT_PCI ? "transport pci " : "transport mmio ");
    plat_puts(virtio_transport_legacy(t) ? "legacy\n" : "modern\n");
}

/* Probes again the device `t` came from (MMIO slot or PCI function) through `regs`: the accessor
   ex_find gave (t->regs), with hooks of the caller's own or wrapped in a counting one. */
static int ex_probe(virtio_transport *t, const virtio_regs *regs) __attribute__((unused));
static int ex_probe(virtio_transport *t, const virtio_regs *regs)
{
    if (t->kind == VIRTIO_TRANSPORT_PCI)
        return virtio_pci_transport(t, regs);
    return virtio_mmio_transport(t, regs);
}

#ifdef PLAT_PCI
/* The most virtio PCI functions an example looks at. */
#define EX_MAX_PCI 32
#ifdef PLAT_PCI_PORTIO
/* x86: configuration space through ports 0xCF8/0xCFC, I/O BARs through in/out (target.h). */
static const virtio_pci_portio ex__portio = {plat_inb, plat_inw,  plat_inl,
                                             plat_outb, plat_outw, plat_outl};
#endif
/* Every virtio function behind the machine's PCI host bridge (bus 0 and behind bridges): the
   one the device tree names ("pci-host-ecam-generic", virtio_fdt_find_pci), or on x86
   (PLAT_PCI_PORTIO) the one behind ports 0xCF8/0xCFC, with the BARs firmware assigned. Where
   nothing set PCI up (-bios none), virtio_pci_assign_all numbers the buses, places every BAR
   in the bridge's windows and turns decoding and bus mastering on. The first call prints the
   bridge ("pci: ECAM 0x30000000 from the device tree", "pci: ports 0xcf8/0xcfc"). */
static int ex_pci(virtio_pci_fn **out)
{
    static virtio_pci_host host;
    static virtio_pci_fn fns[EX_MAX_PCI];
    static int n = -1;
    *out = fns;
#ifdef PLAT_PCI_PORTIO
    if (n < 0) {
        /* Bus addresses are CPU addresses; BARs above 4 GiB are beyond the platform's map. */
        host.portio = &ex__portio;
        host.buses = 256;
        host.mem_size = 0x100000000ull;
        host.io_size = 0x10000;
        plat_puts("pci: ports 0xcf8/0xcfc, BARs as firmware assigned them\n");
        n = virtio_pci_scan(&host, fns, EX_MAX_PCI);
        if (n < 0)
            n = 0;
        if (n > EX_MAX_PCI)
            n = EX_MAX_PCI;
    }
    return n;
#else
    if (n < 0) {
        const uint8_t *fdt = plat_fdt();
        n = 0;
        if (fdt == NULL)
            return 0;
        uint32_t total = (uint32_t)fdt[4] << 24 | (uint32_t)fdt[5] << 16 |
                         (uint32_t)fdt[6] << 8 | fdt[7];
        if (virtio_fdt_find_pci(fdt, total < EX_FDT_MAX ? total : EX_FDT_MAX, &host, 1) < 1)
            return 0;
        host.io_next = 0x1000; /* ports below 0x1000 belong to legacy ISA devices */
        plat_puts("pci: ECAM ");
        plat_put_hex(host.ecam);
        plat_puts(" from the device tree\n");
#ifdef PLAT_PCI_LIMIT
        /* Beyond what the platform maps as device memory: not scanned. */
        if ((uint64_t)host.ecam + ((uint64_t)host.buses << 20) > PLAT_PCI_LIMIT ||
            host.mem_cpu + host.mem_size > PLAT_PCI_LIMIT ||
            host.io_cpu + host.io_size > PLAT_PCI_LIMIT) {
            plat_puts("pci: the bridge lies beyond this platform's device map: not scanned\n");
            return 0;
        }
#endif
        /* Firmware that set PCI up leaves BARs assigned; on bus 0 with nothing assigned (or no
           virtio function there: they may be behind bridges), set the whole tree up. */
        n = virtio_pci_scan(&host, fns, EX_MAX_PCI);
        int assigned = 0;
        for (int i = 0; i < n && i < EX_MAX_PCI; i++)
            for (int b = 0; b < 6; b++)
                assigned |= fns[i].bar[b] != 0;
        if (!assigned) {
            int r = virtio_pci_assign_all(&host);
            if (r != 0)
                ex_fail("virtio_pci_assign_all", r);
            n = virtio_pci_scan(&host, fns, EX_MAX_PCI);
        }
        if (n < 0)
            n = 0;
        if (n > EX_MAX_PCI)
            n = EX_MAX_PCI;
    }
    return n;
#endif
}
#endif

/* Finds the `nth` device (0 = the first) of type `device_id`: virtio-mmio devices first, in
   slot order (QEMU fills the slots from the top, in command-line order, so a program must look:
   never assume a slot), then virtio PCI functions where the platform has a PCI host bridge.
   Probes it into *t and prints which transport it uses ("transport pci modern"). 0,
   VIRTIO_ENODEV, or the probe's error. */
static int ex_find_nth(uint32_t device_id, int nth, virtio_transport *t) __attribute__((unused));
static int ex_find_nth(uint32_t device_id, int nth, virtio_transport *t)
{
    const virtio_mmio_slot *slots;
    int n = ex_scan(&slots), r = VIRTIO_ENODEV;
    for (int i = 0; i < n && r == VIRTIO_ENODEV; i++) {
        if (slots[i].device_id != device_id || nth-- > 0)
            continue;
        virtio_regs regs = virtio_mmio_regs(slots[i].base);
        r = virtio_mmio_transport(t, &regs);
    }
#ifdef PLAT_PCI
    virtio_pci_fn *fns;
    n = r == VIRTIO_ENODEV ? ex_pci(&fns) : 0;
    for (int i = 0; i < n && r == VIRTIO_ENODEV; i++) {
        if (fns[i].type != device_id || nth-- > 0)
            continue;
        virtio_regs regs = virtio_pci_regs(&fns[i]);
#ifdef EX_PCI_CFG_ACCESS
        /* The build variant for platforms that reach configuration space but cannot map BARs
           (blk_pcicfg.elf): the BARs are forgotten (the accessor reads all ones from a BAR at
           address 0 and drops writes), so the device works only through the window. */
        for (int b = 0; b < 6; b++)
            fns[i].bar[b] = 0;
        regs.flags |= VIRTIO_REGS_F_PCI_CFG_ACCESS;
        plat_puts("pci: BARs unmapped, every access through the configuration access window\n");
#endif
        r = virtio_pci_transport(t, &regs);
    }
#endif
    if (r == 0)
        ex__say_transport(t);
    return r;
}

/* The first device of type `device_id` (ex_find_nth). */
static int ex_find(uint32_t device_id, virtio_transport *t) __attribute__((unused));
static int ex_find(uint32_t device_id, virtio_transport *t)
{
    return ex_find_nth(device_id, 0, t);
}

#endif /* EXAMPLE_H */
