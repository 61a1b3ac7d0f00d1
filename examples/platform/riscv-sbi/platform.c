/* platform.c - console, clock and shutdown for an S-mode payload under OpenSBI on QEMU's riscv
   `virt` machine, through SBI calls (RISC-V SBI specification v1.0 / v2.0). See platform.h. */

#include "platform.h"
#include "../riscv/counters.h"

/* Set by start.S from a1 and a0. */
uintptr_t plat__boot_fdt;
uintptr_t plat__boot_hart;

/* ---- SBI calls: a7 = extension id, a6 = function id, a0.. = arguments; a0 = error, a1 =
   value ("Binary Encoding") ------------------------------------------------------------------ */
typedef struct sbiret {
    long error;
    long value;
} sbiret;

static sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long arg0, unsigned long arg1)
{
    register unsigned long a0 __asm__("a0") = arg0;
    register unsigned long a1 __asm__("a1") = arg1;
    register unsigned long a6 __asm__("a6") = fid;
    register unsigned long a7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
    sbiret r = {(long)a0, (long)a1};
    return r;
}

#define SBI_EXT_BASE 0x10ul /* FID 3: probe_extension */
#define SBI_EXT_DBCN 0x4442434eul /* "DBCN", SBI 2.0: FID 2 console_write_byte */
#define SBI_EXT_SRST 0x53525354ul /* "SRST": FID 0 system_reset(type, reason) */
#define SBI_LEGACY_PUTCHAR 0x01ul
#define SBI_LEGACY_GETCHAR 0x02ul
#define SBI_LEGACY_SHUTDOWN 0x08ul
#define SBI_SRST_SHUTDOWN 0ul
#define SBI_SRST_REASON_NONE 0ul
#define SBI_SRST_REASON_FAILURE 1ul

static int has_dbcn, has_srst;

static int sbi_probe(unsigned long eid)
{
    sbiret r = sbi_call(SBI_EXT_BASE, 3, eid, 0);
    return r.error == 0 && r.value != 0;
}

void plat_init(void)
{
    /* The Debug Console extension (SBI 2.0) replaces the legacy console calls; OpenSBI 1.x
       (QEMU 7.2 ships 1.1) has only the legacy ones. */
    has_dbcn = sbi_probe(SBI_EXT_DBCN);
    has_srst = sbi_probe(SBI_EXT_SRST);
}

/* ---- Console --------------------------------------------------------------------------------- */
void plat__tx(uint8_t c)
{
    if (has_dbcn)
        sbi_call(SBI_EXT_DBCN, 2, c, 0);
    else
        sbi_call(SBI_LEGACY_PUTCHAR, 0, c, 0);
}

int plat_getc(void)
{
    /* Legacy console_getchar: -1 when nothing is waiting. (DBCN's read needs a buffer address;
       the legacy call is still there in OpenSBI 1.x.) */
    sbiret r = sbi_call(SBI_LEGACY_GETCHAR, 0, 0, 0);
    return r.error < 0 ? -1 : (int)(r.error & 0xff);
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

/* ---- Shutdown -------------------------------------------------------------------------------- */
/* QEMU's SiFive test device ("sifive,test0" at 0x100000 on `virt`): FINISHER_FAIL | code << 16
   makes QEMU exit with status `code`. */
#define PLAT_TEST_BASE 0x00100000ul
#define TEST_FINISHER_FAIL 0x3333u

static int exiting; /* a trap inside plat_exit must not try the same thing again */

void plat_exit(int status)
{
    uint32_t code = (uint32_t)status & 0xffu;
    /* SRST shutdown, with reason "system failure" for a nonzero status. But OpenSBI 1.1 (QEMU
       7.2's) ignores the reason and powers off through the test device with FINISHER_PASS, so
       QEMU exits with 0 either way. A failure therefore first writes the test device itself, as
       M-mode code would: OpenSBI's PMP leaves it open to S-mode. Where that traps (another
       machine, a stricter firmware), the trap comes back here and SRST carries the reason. */
    if (status != 0 && !exiting) {
        exiting = 1;
        *(volatile uint32_t *)PLAT_TEST_BASE = TEST_FINISHER_FAIL | ((code ? code : 1u) << 16);
    }
    if (has_srst)
        sbi_call(SBI_EXT_SRST, SBI_SRST_SHUTDOWN,
                 status == 0 ? SBI_SRST_REASON_NONE : SBI_SRST_REASON_FAILURE, 0);
    sbi_call(SBI_LEGACY_SHUTDOWN, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

void plat_trap(uintptr_t cause, uintptr_t epc, uintptr_t tval)
{
    plat_puts("\nFAIL: trap scause=");
    plat_put_hex(cause);
    plat_puts(" sepc=");
    plat_put_hex(epc);
    plat_puts(" stval=");
    plat_put_hex(tval);
    plat_putc('\n');
    plat_exit(PLAT_EXIT_TRAP);
}
