/* hello.c - platform smoke test: console, clock and exit status, no virtio.
   Run: qemu-system-riscv64 -M virt -bios none -nographic -kernel build/riscv64/hello.elf
   (every target's command line: EX_QEMU_<target> in examples/examples.mk). It prints a line,
   checks that the clock advances about right over a 10 ms busy wait, and exits with status 0
   (or 1 with a FAIL line). */

#include "platform/platform.h"

int main(void)
{
    plat_puts("hello from " PLAT_NAME "\n");

    uint64_t t0 = plat_ticks();
    plat_delay_us(10000);
    uint64_t us = plat_ticks_to_us(plat_ticks() - t0);
    plat_puts("10 ms busy wait took ");
    plat_put_dec(us);
    plat_puts(" us by the clock\n");
    /* The wait ends on the same clock it is measured with, so only a stopped or wildly
       mis-scaled counter fails this. */
    if (us < 10000 || us > 1000000) {
        plat_puts("FAIL: the clock does not count at its stated rate\n");
        return 1;
    }
    plat_puts("PASS\n");
    return 0;
}
