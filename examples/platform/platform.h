/* platform.h - the few machine services the examples need, the same on every target.

   This is not part of virtio.h. It is the minimum a bare-metal program needs to show what the
   library does: console output, a clock, where the virtio-mmio devices are, and a way to tell
   the host whether it passed. Porting the library to your own kernel, you already have all of
   these; see how little the examples ask of them.

   One interface, one implementation per target (examples/platform/<target>/: start.S, link.ld,
   platform.c and target.h with the machine's constants), plus common.c for what is the same
   everywhere. The build puts examples/platform/<target> on the include path, so the examples
   have no #ifdef per board:
     riscv64, riscv32  QEMU riscv `virt`, M-mode, -bios none       (examples/platform/riscv)
     riscv64-sbi       QEMU riscv `virt`, S-mode under OpenSBI     (examples/platform/riscv-sbi)
     aarch64           QEMU arm `virt`, EL1 with the MMU on        (examples/platform/aarch64)
     m68k              QEMU m68k `virt`, big-endian                (examples/platform/m68k)
     x86_64            QEMU x86 `q35` / `pc`, long mode, PCI only   (examples/platform/x86_64)
   target.h defines:
     PLAT_NAME                 a short name for messages ("riscv64 M-mode")
     PLAT_VIRTIO_MMIO_BASE     the virtio-mmio slots the examples scan when the firmware names
     PLAT_VIRTIO_MMIO_STRIDE   no devices (no device tree, no boot info): base, distance and
     PLAT_VIRTIO_MMIO_SLOTS    count (0 where there is no virtio-mmio: x86_64)
   and optionally PLAT_PCI (look for virtio PCI functions: behind the device tree's host bridge,
   or with PLAT_PCI_PORTIO through ports 0xCF8/0xCFC and the plat_inb..plat_outl it declares)
   and PLAT_PCI_LIMIT (the highest address the platform maps). */

#ifndef PLATFORM_H
#define PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "target.h"

/* Exit status when the CPU takes a trap (a bug in the program, not a test failure). */
#define PLAT_EXIT_TRAP 99

/* Called by start.S before main: console, MMU (aarch64), and whatever else the target needs. */
void plat_init(void);

/* Console. '\n' goes out as "\r\n" so a terminal shows lines. */
void plat_putc(char c);
void plat_puts(const char *s);
void plat_put_dec(uint64_t v);                /* unsigned decimal */
void plat_put_sdec(int64_t v);                /* signed decimal */
void plat_put_hex(uint64_t v);                /* "0x" and as few digits as needed */
void plat_put_hexn(uint64_t v, unsigned n);   /* exactly n hex digits, no prefix */
void plat_put_str(const char *s, size_t max); /* at most max chars, stops at NUL; '.' for others */
int plat_getc(void);                          /* one received byte, or -1 if none is waiting */

/* Clock: a free-running counter of PLAT_TIMEBASE_HZ ticks per second, and conversions.
   PLAT_TIMEBASE_HZ is a uint64_t expression (on aarch64 it is read from CNTFRQ_EL0). */
#define PLAT_TIMEBASE_HZ plat_timebase_hz()
uint64_t plat_timebase_hz(void);
uint64_t plat_ticks(void);
uint64_t plat_ticks_to_us(uint64_t ticks);
void plat_delay_us(uint64_t us);

/* Instructions retired (riscv `instret`), for cost figures; 0 where the CPU has no such counter
   that a bare-metal program can read (aarch64 under TCG, m68k). */
uint64_t plat_instret(void);

/* Where the virtio-mmio devices are, as the firmware says:
   - plat_fdt: the flattened device tree the firmware passed (riscv: a1; aarch64: x0, or the
     start of RAM where QEMU puts it for a bare-metal ELF), or NULL if there is none;
   - plat_bootinfo_mmio: 1 and the window of virtio-mmio slots when the boot information (m68k's
     bootinfo records) names one, else 0.
   example.h's ex_scan tries these in this order and falls back to the PLAT_VIRTIO_MMIO_* slots. */
const void *plat_fdt(void);
int plat_bootinfo_mmio(uintptr_t *base, size_t *stride, unsigned *count);

/* Powers the machine off. status 0 makes QEMU exit with status 0; any other status makes it
   exit with a nonzero status (status & 0xff, or 1 when that is 0, since the host sees 8 bits)
   where the machine can report one (see the target's platform.c). */
void plat_exit(int status) __attribute__((noreturn));

/* Called from start.S's trap vector: prints the trap and exits with PLAT_EXIT_TRAP. */
void plat_trap(uintptr_t cause, uintptr_t epc, uintptr_t tval) __attribute__((noreturn));

/* GCC may emit calls to these four even with -ffreestanding (struct copies, zeroing loops), so a
   freestanding program must provide them; common.c does. The library itself calls none. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* For the targets' platform.c files only: the console's byte output, and `p` if it points at a
   flattened device tree (big-endian magic 0xd00dfeed), else NULL. */
void plat__tx(uint8_t c);
const void *plat__fdt_at(uintptr_t p);

#endif /* PLATFORM_H */
