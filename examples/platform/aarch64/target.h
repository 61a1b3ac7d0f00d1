/* target.h - QEMU arm `virt` machine, aarch64 at EL1 with the MMU on.

   Machine facts used (QEMU hw/arm/virt.c, QEMU 7.2):
     0x09000000  PL011 UART
     0x0a000000  32 virtio-mmio slots, 0x200 apart (the first -device lands in the highest)
     0x40000000  RAM (128 MiB by default); the device tree for a bare-metal ELF is here
     0x40200000  the program (link.ld)
     CNTVCT_EL0  the generic timer's virtual count, CNTFRQ_EL0 ticks per second (62.5 MHz)
   Exit status: semihosting SYS_EXIT (needs -semihosting-config enable=on,target=native), else
   PSCI SYSTEM_OFF over HVC (QEMU exits with 0 whatever the program's status). */
#ifndef PLAT_TARGET_H
#define PLAT_TARGET_H

#define PLAT_NAME "aarch64 EL1"

#define PLAT_UART_BASE 0x09000000ul
#define PLAT_RAM_BASE 0x40000000ul
#define PLAT_VIRTIO_MMIO_BASE 0x0a000000ul
#define PLAT_VIRTIO_MMIO_STRIDE 0x200ul
#define PLAT_VIRTIO_MMIO_SLOTS 32u

/* PCI: the PCIe host bridge is the device tree's "pci-host-ecam-generic" node. QEMU puts its
   ECAM at 0x4010000000 unless `-M virt,highmem=off` (then 0x3f000000, 16 buses; memory window
   0x10000000, I/O ports at 0x3eff0000); start.S maps only the first 4 GiB (device memory below
   0x40000000), so PLAT_PCI_LIMIT makes the examples leave a bridge alone that reaches above
   the device map. */
#define PLAT_PCI 1
#define PLAT_PCI_LIMIT 0x40000000ull

#endif
