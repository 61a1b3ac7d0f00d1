/* platform.h - the few machine services the examples need, for QEMU's riscv `virt` machine.

   This is not part of virtio.h. It is the minimum a bare-metal program on `qemu-system-riscv64
   -M virt -bios none` (or riscv32) needs to show what the library does: console output on the
   ns16550 UART, a clock, and a way to tell the host whether it passed. Porting the library to
   your own kernel, you already have all of these; see how little the examples ask of them.

   Machine facts used (QEMU hw/riscv/virt.c):
     0x00100000  SiFive test device: a 32-bit write powers off (exit status, see plat_exit)
     0x10000000  ns16550a UART, byte registers, no register shift
     0x10001000  eight virtio-mmio slots, 0x1000 apart (the examples scan them)
     0x80000000  RAM (128 MiB by default); the program is linked here (link.ld)
     `time` CSR  the ACLINT mtime counter, 10 MHz ("timebase-frequency" in QEMU's device tree) */

#ifndef PLATFORM_H
#define PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#define PLAT_UART_BASE 0x10000000ul
#define PLAT_TEST_BASE 0x00100000ul
#define PLAT_VIRTIO_MMIO_BASE 0x10001000ul
#define PLAT_VIRTIO_MMIO_STRIDE 0x1000ul
#define PLAT_VIRTIO_MMIO_SLOTS 8u
#define PLAT_TIMEBASE_HZ 10000000u

/* Exit status when the CPU takes a trap (a bug in the program, not a test failure). */
#define PLAT_EXIT_TRAP 99

/* Called by start.S before main: sets the UART to 8N1 with FIFOs on. */
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

/* Clock: ticks of the 10 MHz `time` counter, and conversions. */
uint64_t plat_ticks(void);
uint64_t plat_ticks_to_us(uint64_t ticks);
void plat_delay_us(uint64_t us);

/* Powers the machine off. status 0 makes QEMU exit with status 0; any other status makes it
   exit with a nonzero status (status & 0xff, or 1 when that is 0, since the host sees 8 bits). */
void plat_exit(int status) __attribute__((noreturn));

/* Called from start.S's trap vector: prints the trap and exits with PLAT_EXIT_TRAP. */
void plat_trap(uintptr_t cause, uintptr_t epc, uintptr_t tval) __attribute__((noreturn));

/* GCC may emit calls to these four even with -ffreestanding (struct copies, zeroing loops), so a
   freestanding program must provide them; platform.c does. The library itself calls none. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif /* PLATFORM_H */
