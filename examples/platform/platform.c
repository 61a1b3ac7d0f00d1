/* platform.c - console, clock and power-off for QEMU's riscv `virt` machine. See platform.h. */

#include "platform.h"

/* ---- ns16550 UART ---------------------------------------------------------------------------- */
/* Register offsets (DLAB = 0). QEMU's virt UART has byte registers with no shift. */
#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1 /* interrupt enable */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_LSR 5 /* line status */
#define UART_LSR_DR 0x01u   /* a received byte is waiting */
#define UART_LSR_THRE 0x20u /* the transmit holding register can take a byte */
#define UART_LSR_TEMT 0x40u /* transmitter completely idle */

/* Volatile so every access reaches the device, in program order. On QEMU MMIO is synchronous;
   a real SoC would want a fence between unrelated device accesses, the UART does not care. */
static volatile uint8_t *const uart = (volatile uint8_t *)PLAT_UART_BASE;

void plat_init(void)
{
    /* No interrupts (we poll), 8 data bits, no parity, 1 stop bit, FIFOs on and cleared. The baud
       divisor is left alone: QEMU ignores it and firmware on real boards has set it already. */
    uart[UART_IER] = 0x00;
    uart[UART_LCR] = 0x03;
    uart[UART_FCR] = 0x07;
}

static void uart_tx(uint8_t c)
{
    /* Bounded so a dead UART cannot hang the program; QEMU's is always ready. */
    for (uint32_t i = 0; i < 1000000u && !(uart[UART_LSR] & UART_LSR_THRE); i++) {
    }
    uart[UART_THR] = c;
}

void plat_putc(char c)
{
    if (c == '\n')
        uart_tx('\r');
    uart_tx((uint8_t)c);
}

void plat_puts(const char *s)
{
    while (*s)
        plat_putc(*s++);
}

void plat_put_dec(uint64_t v)
{
    char buf[20]; /* 2^64 - 1 has 20 digits */
    unsigned n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0)
        plat_putc(buf[--n]);
}

void plat_put_sdec(int64_t v)
{
    if (v < 0) {
        plat_putc('-');
        /* Negate in unsigned arithmetic: -INT64_MIN overflows int64_t. */
        plat_put_dec(0u - (uint64_t)v);
    } else {
        plat_put_dec((uint64_t)v);
    }
}

void plat_put_hexn(uint64_t v, unsigned n)
{
    while (n-- > 0)
        plat_putc("0123456789abcdef"[(v >> (4u * n)) & 0xfu]);
}

void plat_put_hex(uint64_t v)
{
    unsigned n = 1;
    while (n < 16 && (v >> (4u * n)) != 0)
        n++;
    plat_puts("0x");
    plat_put_hexn(v, n);
}

void plat_put_str(const char *s, size_t max)
{
    for (size_t i = 0; i < max && s[i] != '\0'; i++)
        plat_putc(s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '.');
}

int plat_getc(void)
{
    return (uart[UART_LSR] & UART_LSR_DR) ? uart[UART_RBR] : -1;
}

/* ---- Clock ----------------------------------------------------------------------------------- */
uint64_t plat_ticks(void)
{
#if __riscv_xlen == 64
    uint64_t t;
    __asm__ volatile("csrr %0, time" : "=r"(t));
    return t;
#else
    /* rv32 reads the 64-bit counter in two halves; retry if the low half wrapped in between. */
    uint32_t hi, lo, hi2;
    do {
        __asm__ volatile("csrr %0, timeh" : "=r"(hi));
        __asm__ volatile("csrr %0, time" : "=r"(lo));
        __asm__ volatile("csrr %0, timeh" : "=r"(hi2));
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
#endif
}

uint64_t plat_ticks_to_us(uint64_t ticks)
{
    return ticks / (PLAT_TIMEBASE_HZ / 1000000u);
}

void plat_delay_us(uint64_t us)
{
    uint64_t end = plat_ticks() + us * (PLAT_TIMEBASE_HZ / 1000000u);
    while (plat_ticks() < end) {
    }
}

/* ---- Power off ------------------------------------------------------------------------------- */
/* SiFive test device ("sifive,test0"): writing FINISHER_PASS powers off with QEMU exit status 0,
   FINISHER_FAIL | code << 16 with exit status `code`. */
#define TEST_FINISHER_FAIL 0x3333u
#define TEST_FINISHER_PASS 0x5555u

void plat_exit(int status)
{
    volatile uint32_t *test = (volatile uint32_t *)PLAT_TEST_BASE;
    uint32_t code = (uint32_t)status & 0xffu;

    /* Let the last line leave the UART before the machine goes away (real hardware; QEMU's
       UART writes synchronously). */
    for (uint32_t i = 0; i < 1000000u && !(uart[UART_LSR] & UART_LSR_TEMT); i++) {
    }
    if (status == 0) {
        *test = TEST_FINISHER_PASS;
    } else {
        /* The host sees only 8 bits of the status: never let a failure read as 0. */
        if (code == 0)
            code = 1;
        *test = TEST_FINISHER_FAIL | (code << 16);
    }
    for (;;)
        __asm__ volatile("wfi");
}

void plat_trap(uintptr_t cause, uintptr_t epc, uintptr_t tval)
{
    plat_puts("\nFAIL: trap mcause=");
    plat_put_hex(cause);
    plat_puts(" mepc=");
    plat_put_hex(epc);
    plat_puts(" mtval=");
    plat_put_hex(tval);
    plat_putc('\n');
    plat_exit(PLAT_EXIT_TRAP);
}

/* ---- Compiler support ------------------------------------------------------------------------ */
/* Plain byte loops. The attribute stops GCC from recognising the loop as memset/memcpy and
   turning it into a call to itself. */
#define PLAT_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

PLAT_NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

PLAT_NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

PLAT_NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n > 0; n--, x++, y++) {
        if (*x != *y)
            return *x < *y ? -1 : 1;
    }
    return 0;
}
