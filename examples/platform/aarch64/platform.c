/* platform.c - console, clock and power-off for QEMU's arm `virt` machine, aarch64 at EL1 (MMU
   on: see start.S). See platform.h and target.h. */

#include "platform.h"

/* Set by start.S from x0. */
uintptr_t plat__boot_fdt;

/* ---- PL011 UART (ARM PrimeCell UART TRM: DR at 0x00, FR at 0x18, CR at 0x30) ---------------- */
#define UART_DR 0x00u
#define UART_FR 0x18u
#define UART_CR 0x30u
#define UART_FR_RXFE 0x10u /* receive FIFO empty */
#define UART_FR_TXFF 0x20u /* transmit FIFO full */
#define UART_FR_BUSY 0x08u /* still sending */

static inline uint32_t uart_rd(uint32_t off)
{
    return *(volatile uint32_t *)(PLAT_UART_BASE + off);
}

static inline void uart_wr(uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(PLAT_UART_BASE + off) = v;
}

void plat_init(void)
{
    /* UART enabled, transmit and receive on. QEMU needs no baud rate; firmware on real boards
       has set it already. */
    uart_wr(UART_CR, 0x301u);
}

void plat__tx(uint8_t c)
{
    for (uint32_t i = 0; i < 1000000u && (uart_rd(UART_FR) & UART_FR_TXFF); i++) {
    }
    uart_wr(UART_DR, c);
}

int plat_getc(void)
{
    return (uart_rd(UART_FR) & UART_FR_RXFE) ? -1 : (int)(uart_rd(UART_DR) & 0xffu);
}

/* ---- Clock: the generic timer's virtual counter --------------------------------------------- */
uint64_t plat_timebase_hz(void)
{
    uint64_t f;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
    return f;
}

uint64_t plat_ticks(void)
{
    uint64_t t;
    /* isb: the counter read must not be taken early, before the code it measures. */
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(t)::"memory");
    return t;
}

uint64_t plat_instret(void)
{
    return 0; /* PMU instruction events count only with -icount under QEMU's TCG */
}

/* ---- Devices --------------------------------------------------------------------------------- */
const void *plat_fdt(void)
{
    /* x0 as a Linux-style boot loader passes it; for a bare-metal ELF QEMU leaves x0 = 0 and
       puts the device tree at the start of RAM. */
    const void *fdt = plat__fdt_at(plat__boot_fdt);
    return fdt != NULL ? fdt : plat__fdt_at(PLAT_RAM_BASE);
}

int plat_bootinfo_mmio(uintptr_t *base, size_t *stride, unsigned *count)
{
    (void)base;
    (void)stride;
    (void)count;
    return 0;
}

/* ---- Power off ------------------------------------------------------------------------------- */
/* Semihosting (Arm "Semihosting for AArch32 and AArch64"): HLT #0xf000 with the operation in w0
   and a parameter block address in x1. SYS_EXIT (0x18) with ADP_Stopped_ApplicationExit and
   the status as subcode makes QEMU exit with that status. Without -semihosting-config
   enable=on the HLT is an undefined instruction: the trap comes back into plat_exit, which then
   uses PSCI SYSTEM_OFF (function 0x84000008, over HVC on QEMU's virt), and QEMU exits with 0. */
#define SEMIHOST_SYS_EXIT 0x18u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define PSCI_SYSTEM_OFF 0x84000008u

static int exiting; /* set on the first try: a trap from the HLT lands here again */

void plat_exit(int status)
{
    uint32_t code = (uint32_t)status & 0xffu;
    if (status != 0 && code == 0)
        code = 1; /* the host sees 8 bits: never let a failure read as 0 */
    for (uint32_t i = 0; i < 1000000u && (uart_rd(UART_FR) & UART_FR_BUSY); i++) {
    }
    if (!exiting) {
        exiting = 1;
        static uint64_t block[2];
        block[0] = ADP_STOPPED_APPLICATION_EXIT;
        block[1] = code;
        register uint64_t x0 __asm__("x0") = SEMIHOST_SYS_EXIT;
        register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;
        __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    }
    register uint64_t p0 __asm__("x0") = PSCI_SYSTEM_OFF;
    __asm__ volatile("hvc #0" : "+r"(p0)::"memory");
    for (;;)
        __asm__ volatile("wfe");
}

void plat_trap(uintptr_t cause, uintptr_t epc, uintptr_t tval)
{
    if (!exiting) {
        plat_puts("\nFAIL: trap esr=");
        plat_put_hex(cause);
        plat_puts(" elr=");
        plat_put_hex(epc);
        plat_puts(" far=");
        plat_put_hex(tval);
        plat_putc('\n');
    }
    plat_exit(PLAT_EXIT_TRAP);
}
