/* target.h - QEMU x86 `q35` and `pc` machines (SeaBIOS), booted through QEMU's multiboot loader
   (-kernel), run in 64-bit long mode.

   Machine facts used (QEMU hw/i386, SeaBIOS):
     port 0x3f8     COM1, a 16550 UART
     port 0xcf8/cfc PCI configuration mechanism #1 (both machines; q35 also has ECAM, unused)
     port 0xf4      isa-debug-exit (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`): a write
                    of v makes QEMU exit with status (v << 1) | 1 (see plat_exit)
     port 0x40-43   the 8254 PIT (1.193182 MHz), used once to measure the TSC's rate
     0x00100000     the program (link.ld); below it SeaBIOS and the legacy holes
   No virtio-mmio exists on x86: every device is a virtio PCI function, whose BARs SeaBIOS has
   already assigned (the examples use them as they are). There is no device tree. */
#ifndef PLAT_TARGET_H
#define PLAT_TARGET_H

#include <stdint.h>

#define PLAT_NAME "x86_64 long mode"

/* No virtio-mmio slots: ex_scan finds none. */
#define PLAT_VIRTIO_MMIO_BASE 0ul
#define PLAT_VIRTIO_MMIO_STRIDE 0ul
#define PLAT_VIRTIO_MMIO_SLOTS 0u

/* PCI through port I/O: the examples scan bus 0 (and numbered bridges) through 0xCF8/0xCFC with
   these hooks, and use the BARs firmware assigned; bus addresses are CPU addresses, and start.S
   maps the first 4 GiB (so a BAR firmware put above 4 GiB is left alone). */
#define PLAT_PCI 1
#define PLAT_PCI_PORTIO 1
uint8_t plat_inb(uint16_t port);
uint16_t plat_inw(uint16_t port);
uint32_t plat_inl(uint16_t port);
void plat_outb(uint16_t port, uint8_t v);
void plat_outw(uint16_t port, uint16_t v);
void plat_outl(uint16_t port, uint32_t v);

#endif
