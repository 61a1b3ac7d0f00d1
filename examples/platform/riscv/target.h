/* target.h - QEMU riscv `virt` machine, M-mode, -bios none (riscv64 and riscv32).

   Machine facts used (QEMU hw/riscv/virt.c):
     0x00100000  SiFive test device: a 32-bit write powers off (exit status, see plat_exit)
     0x10000000  ns16550a UART, byte registers, no register shift
     0x10001000  eight virtio-mmio slots, 0x1000 apart
     0x80000000  RAM (128 MiB by default); the program is linked here (link.ld)
     `time` CSR  the ACLINT mtime counter, 10 MHz ("timebase-frequency" in QEMU's device tree)
   QEMU starts every hart at 0x80000000 with a0 = hart id, a1 = the device tree. */
#ifndef PLAT_TARGET_H
#define PLAT_TARGET_H

#if __riscv_xlen == 64
#define PLAT_NAME "riscv64 M-mode"
#else
#define PLAT_NAME "riscv32 M-mode"
#endif

#define PLAT_UART_BASE 0x10000000ul
#define PLAT_TEST_BASE 0x00100000ul
#define PLAT_VIRTIO_MMIO_BASE 0x10001000ul
#define PLAT_VIRTIO_MMIO_STRIDE 0x1000ul
#define PLAT_VIRTIO_MMIO_SLOTS 8u

/* PCI: the PCIe host bridge is the device tree's "pci-host-ecam-generic" node (QEMU: ECAM at
   0x30000000, 256 MiB; I/O ports 0x0 at 0x03000000, 64 KiB; 32-bit memory 0x40000000 at
   0x40000000, 1 GiB). Nothing assigns BARs before us. The examples look for PCI only where
   the device tree names a bridge (a guest of examples/hv has no device tree, and no PCI). */
#define PLAT_PCI 1

#endif
