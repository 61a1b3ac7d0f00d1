/* platform.c - console, clock and power-off for QEMU's m68k `virt` machine, from the bootinfo
   records QEMU passes. See platform.h and target.h. */

#include "platform.h"

/* ---- Bootinfo (Linux's asm/bootinfo.h, asm/bootinfo-virt.h): records of a 16-bit tag, a 16-bit
   size (of the whole record, header included) and data, big-endian, from `_end` rounded up to
   an even address, ending with the tag BI_LAST. ------------------------------------------------ */
#define BI_LAST 0x0000u
#define BI_MACHTYPE 0x0001u
#define BI_VIRT_GF_RTC_BASE 0x8002u
#define BI_VIRT_GF_TTY_BASE 0x8003u
#define BI_VIRT_VIRTIO_BASE 0x8004u
#define BI_VIRT_CTRL_BASE 0x8005u
#define MACH_VIRT 14u
#define BI_MAX_BYTES 4096u /* what we read at most: QEMU's records are about 100 bytes */

extern char _end[];

static uintptr_t rtc_base = PLAT_RTC_BASE, tty_base = PLAT_TTY_BASE, ctrl_base = PLAT_CTRL_BASE;
static uintptr_t virtio_base; /* 0: the bootinfo named none */
static int have_bootinfo;

/* First data word of the record with tag `tag`, or 0 if there is none. */
static uint32_t bootinfo_word(uint16_t tag)
{
    const uint8_t *p = (const uint8_t *)(((uintptr_t)_end + 1u) & ~(uintptr_t)1u);
    const uint8_t *end = p + BI_MAX_BYTES;
    while (p + 4 <= end) {
        uint16_t t = (uint16_t)(p[0] << 8 | p[1]);
        uint16_t size = (uint16_t)(p[2] << 8 | p[3]);
        if (t == BI_LAST || size < 4 || (size & 1u) != 0 || p + size > end)
            return 0;
        if (t == tag && size >= 8)
            return *(const uint32_t *)(const void *)(p + 4); /* even address: aligned enough */
        p += size;
    }
    return 0;
}

static void bootinfo_read(void)
{
    /* The first record is BI_MACHTYPE = MACH_VIRT; anything else is not QEMU's bootinfo. */
    const uint8_t *p = (const uint8_t *)(((uintptr_t)_end + 1u) & ~(uintptr_t)1u);
    if (p[0] != 0 || p[1] != BI_MACHTYPE || bootinfo_word(BI_MACHTYPE) != MACH_VIRT)
        return;
    have_bootinfo = 1;
    uint32_t v;
    if ((v = bootinfo_word(BI_VIRT_GF_RTC_BASE)) != 0)
        rtc_base = v;
    if ((v = bootinfo_word(BI_VIRT_GF_TTY_BASE)) != 0)
        tty_base = v;
    if ((v = bootinfo_word(BI_VIRT_CTRL_BASE)) != 0)
        ctrl_base = v;
    virtio_base = bootinfo_word(BI_VIRT_VIRTIO_BASE);
}

static inline uint32_t rd32(uintptr_t a)
{
    return *(volatile uint32_t *)a;
}

static inline void wr32(uintptr_t a, uint32_t v)
{
    *(volatile uint32_t *)a = v;
}

void plat_init(void)
{
    bootinfo_read();
}

/* ---- goldfish TTY (QEMU hw/char/goldfish_tty.c): PUT_CHAR 0x00, BYTES_READY 0x04, CMD 0x08,
   DATA_PTR 0x10, DATA_LEN 0x14; CMD_READ_BUFFER copies received bytes to DATA_PTR. ---------- */
#define TTY_PUT_CHAR 0x00u
#define TTY_BYTES_READY 0x04u
#define TTY_CMD 0x08u
#define TTY_DATA_PTR 0x10u
#define TTY_DATA_LEN 0x14u
#define TTY_CMD_READ_BUFFER 3u

void plat__tx(uint8_t c)
{
    wr32(tty_base + TTY_PUT_CHAR, c);
}

int plat_getc(void)
{
    static volatile uint8_t byte;
    if (rd32(tty_base + TTY_BYTES_READY) == 0)
        return -1;
    wr32(tty_base + TTY_DATA_PTR, (uint32_t)(uintptr_t)&byte);
    wr32(tty_base + TTY_DATA_LEN, 1);
    wr32(tty_base + TTY_CMD, TTY_CMD_READ_BUFFER);
    return byte;
}

/* ---- Clock: goldfish RTC (QEMU hw/rtc/goldfish_rtc.c): TIME_LOW 0x00 (reading it latches
   TIME_HIGH), TIME_HIGH 0x04, nanoseconds. ----------------------------------------------------- */
uint64_t plat_timebase_hz(void)
{
    return 1000000000u;
}

uint64_t plat_ticks(void)
{
    uint32_t lo = rd32(rtc_base + 0x00u);
    uint32_t hi = rd32(rtc_base + 0x04u);
    return (uint64_t)hi << 32 | lo;
}

uint64_t plat_instret(void)
{
    return 0; /* the 68040 has no instruction counter */
}

/* ---- Devices --------------------------------------------------------------------------------- */
const void *plat_fdt(void)
{
    return NULL; /* m68k boots with bootinfo, not a device tree */
}

int plat_bootinfo_mmio(uintptr_t *base, size_t *stride, unsigned *count)
{
    if (!have_bootinfo || virtio_base == 0)
        return 0;
    /* The record gives the first slot's base (and its interrupt); QEMU's virt has 128 slots,
       0x200 apart (as Linux's arch/m68k/virt assumes too). */
    *base = virtio_base;
    *stride = PLAT_VIRTIO_MMIO_STRIDE;
    *count = PLAT_VIRTIO_MMIO_SLOTS;
    return 1;
}

/* ---- Power off: virt_ctrl (QEMU hw/misc/virt_ctrl.c): CMD 0x04; HALT 2, PANIC 3 ----------- */
#define CTRL_CMD 0x04u
#define CTRL_CMD_HALT 2u
#define CTRL_CMD_PANIC 3u

void plat_exit(int status)
{
    /* HALT: QEMU exits with 0. PANIC: QEMU exits with 1 under -action panic=exit-failure, and
       with 0 without it (the exact status cannot be passed: judge by the FAIL line then). */
    wr32(ctrl_base + CTRL_CMD, status == 0 ? CTRL_CMD_HALT : CTRL_CMD_PANIC);
    for (;;)
        __asm__ volatile("stop #0x2700");
}

void plat_trap(uintptr_t cause, uintptr_t epc, uintptr_t tval)
{
    (void)tval;
    plat_puts("\nFAIL: trap vector offset=");
    plat_put_hex(cause);
    plat_puts(" pc=");
    plat_put_hex(epc);
    plat_putc('\n');
    plat_exit(PLAT_EXIT_TRAP);
}
