/* target.h - QEMU m68k `virt` machine (68040, big-endian).

   Machine facts used (QEMU hw/m68k/virt.c, QEMU 7.2). The bootinfo records QEMU writes after
   the program name each device's base; these are the fallbacks:
     0xff006000  goldfish RTC: nanoseconds since the epoch (the clock)
     0xff008000  goldfish TTY: the console
     0xff009000  virt_ctrl: halt (exit status 0) and panic (exit status 1 with
                 -action panic=exit-failure)
     0xff010000  128 virtio-mmio slots, 0x200 apart, always modern (version 2)
     0x00000000  RAM (128 MiB by default); the program is linked at 0x1000 (link.ld)
   Every one of these registers is in the CPU's (big-endian) order except virtio-mmio's, which
   are little-endian: the library's ready accessor swaps them. */
#ifndef PLAT_TARGET_H
#define PLAT_TARGET_H

#define PLAT_NAME "m68k (68040, big-endian)"

#define PLAT_RTC_BASE 0xff006000ul
#define PLAT_TTY_BASE 0xff008000ul
#define PLAT_CTRL_BASE 0xff009000ul
#define PLAT_VIRTIO_MMIO_BASE 0xff010000ul
#define PLAT_VIRTIO_MMIO_STRIDE 0x200ul
#define PLAT_VIRTIO_MMIO_SLOTS 128u

#endif
