/* target.h - QEMU riscv `virt` machine, S-mode payload under OpenSBI (riscv64-sbi).

   The same machine as examples/platform/riscv/target.h, but the firmware owns M-mode: console,
   shutdown go through SBI calls (platform.c), the timer is the `time` CSR (10 MHz), which OpenSBI
   lets S-mode read. OpenSBI passes its own copy of the device tree in a1. */
#ifndef PLAT_TARGET_H
#define PLAT_TARGET_H

#define PLAT_NAME "riscv64 S-mode (OpenSBI)"

#define PLAT_VIRTIO_MMIO_BASE 0x10001000ul
#define PLAT_VIRTIO_MMIO_STRIDE 0x1000ul
#define PLAT_VIRTIO_MMIO_SLOTS 8u

/* PCI: the PCIe host bridge is the device tree's "pci-host-ecam-generic" node (QEMU: ECAM at
   0x30000000, 256 MiB; I/O ports 0x0 at 0x03000000, 64 KiB; 32-bit memory 0x40000000 at
   0x40000000, 1 GiB). Nothing assigns BARs before us. The examples look for PCI only where
   the device tree names a bridge (a guest of examples/hv has no device tree, and no PCI). */
#define PLAT_PCI 1

#endif
