/* common.c - the part of the examples' platform layer that is the same on every target:
   number formatting over the target's plat__tx, the clock conversions, and the four memory
   functions GCC may call. See platform.h. */

#include "platform.h"

/* ---- Console --------------------------------------------------------------------------------- */
void plat_putc(char c)
{
    if (c == '\n')
        plat__tx('\r');
    plat__tx((uint8_t)c);
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

/* ---- Device tree --------------------------------------------------------------------------- */
const void *plat__fdt_at(uintptr_t p)
{
    const volatile uint8_t *b = (const volatile uint8_t *)p;
    if (p == 0 || (p & 3u) != 0)
        return NULL;
    if (b[0] != 0xd0 || b[1] != 0x0d || b[2] != 0xfe || b[3] != 0xed)
        return NULL;
    return (const void *)p;
}

/* ---- Clock ----------------------------------------------------------------------------------- */
uint64_t plat_ticks_to_us(uint64_t ticks)
{
    uint64_t hz = plat_timebase_hz();
    /* Every target's rate is a whole number of MHz; split to keep ticks * 10^6 from overflowing
       otherwise. */
    if (hz % 1000000u == 0)
        return ticks / (hz / 1000000u);
    return ticks / hz * 1000000u + ticks % hz * 1000000u / hz;
}

void plat_delay_us(uint64_t us)
{
    uint64_t hz = plat_timebase_hz();
    uint64_t start = plat_ticks();
    uint64_t span = us / 1000000u * hz + us % 1000000u * hz / 1000000u;
    while (plat_ticks() - start < span) {
    }
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
