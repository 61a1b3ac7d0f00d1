/* platform.c - console, clock and power-off for QEMU's riscv `virt` machine in M-mode (-bios
   none), rv64 and rv32. See platform.h and target.h. */

#include "platform.h"
#include "counters.h"

/* Set by start.S from a1: what QEMU passed as the device tree. */
uintptr_t plat__boot_fdt;

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

void plat__tx(uint8_t c)
{
    uart_tx(c);
}

int plat_getc(void)
{
    return (uart[UART_LSR] & UART_LSR_DR) ? uart[UART_RBR] : -1;
}

/* ---- Clock ----------------------------------------------------------------------------------- */
uint64_t plat_timebase_hz(void)
{
    return PLAT_RISCV_TIMEBASE_HZ;
}

uint64_t plat_ticks(void)
{
    return plat__csr_time();
}

uint64_t plat_instret(void)
{
    return plat__csr_instret();
}

/* ---- Devices --------------------------------------------------------------------------------- */
const void *plat_fdt(void)
{
    return plat__fdt_at(plat__boot_fdt);
}

int plat_bootinfo_mmio(uintptr_t *base, size_t *stride, unsigned *count)
{
    (void)base;
    (void)stride;
    (void)count;
    return 0;
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
