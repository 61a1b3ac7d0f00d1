/* console_bench.c - output throughput: virtio-console port 0 against the ns16550 UART, in one
   QEMU run, and the register accesses each costs. tests/qemu/console_bench.py runs it with both
   outputs going to files and turns the report into build/bench-console.json.

   Run:
     qemu-system-riscv64 -M virt -bios none -display none -monitor none \
         -serial file:uart.out -kernel build/riscv64/console_bench.elf \
         -device virtio-serial-device -device virtconsole,chardev=c0 \
         -chardev file,id=c0,path=port0.out

   The UART gets UART_BYTES of printable payload between two marker lines, a byte at a time as
   any polled UART driver sends it (wait for THRE, write THR). Port 0 gets 256 KiB to 8 MiB for
   each buffer size in sizes[], one virtio_console_write per buffer (one notification each),
   through a counting register accessor. The times are the guest's `time` CSR (10 MHz). Report
   lines on the UART (the first two before the payload):
     BENCH probe reads=R writes=W
     BENCH transport version=V init_reads=R init_writes=W
     BENCH uart bytes=N us=T
     BENCH console buf=S bytes=N us=T reads=R writes=W
     BENCH done
   The file chardev never pushes back, so nothing is dropped and the host can count bytes. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_CONSOLE_IMPLEMENTATION
#include "virtio_console.h"

#include "platform/count_regs.h"
#include "platform/platform.h"
#include "example.h"

#define UART_BYTES (128u * 1024u)
#define CONSOLE_BYTES (2u * 1024u * 1024u)
#define PAYLOAD_SIZE 65536u

static uint8_t mem[VIRTIO_CONSOLE_MEM(0, 2, 64, 0)] __attribute__((aligned(4096)));
static uint8_t payload[PAYLOAD_SIZE];
static virtio_console con;
static count_regs counter;

static const uint32_t sizes[] = {16, 64, 512, 4096, 65536};

int main(void)
{
    /* Printable, no newline: the UART sends exactly these bytes (plat_putc only expands '\n'). */
    for (uint32_t i = 0; i < PAYLOAD_SIZE; i++)
        payload[i] = (uint8_t)('!' + (i * 7u) % 94u);

    /* Find the console, then probe it again through the counting accessor wrapped around the
       plain one the first probe made (the probe only reads registers). */
    virtio_transport t;
    int r = ex_find(VIRTIO_ID_CONSOLE, &t);
    if (r != 0)
        ex_fail("no virtio console in any slot", r);
    virtio_regs regs = count_regs_wrap(&counter, &t.regs);
    regs.relax_user = NULL; /* count_regs_wrap leaves these two unset */
    regs.spin_limit = 0;
    r = ex_probe(&t, &regs);
    if (r != 0)
        ex_fail("probe", r);
    plat_puts("BENCH probe reads=");
    plat_put_dec(counter.reads);
    plat_puts(" writes=");
    plat_put_dec(counter.writes);
    plat_putc('\n');
    counter.reads = counter.writes = 0; /* from here: init only */
    virtio_console_params p = {0};
    p.rx_bufs = 2;
    p.rx_buf_size = 64;
    r = virtio_console_init(&con, &t, &p, mem, sizeof mem);
    if (r != 0)
        ex_fail("virtio_console_init", r);
    plat_puts("BENCH transport version=");
    plat_put_dec(virtio_transport_legacy(&t) ? 1u : 2u);
    plat_puts(" init_reads=");
    plat_put_dec(counter.reads);
    plat_puts(" init_writes=");
    plat_put_dec(counter.writes);
    plat_putc('\n');

    /* The UART: a byte at a time. */
    plat_puts("BENCH uart payload begins\n");
    uint64_t t0 = plat_ticks();
    for (uint32_t i = 0; i < UART_BYTES; i++)
        plat_putc((char)payload[i % PAYLOAD_SIZE]);
    uint64_t uart_us = plat_ticks_to_us(plat_ticks() - t0);
    plat_puts("\nBENCH uart payload ends\n");
    plat_puts("BENCH uart bytes=");
    plat_put_dec(UART_BYTES);
    plat_puts(" us=");
    plat_put_dec(uart_us);
    plat_putc('\n');

    /* Port 0: a buffer per write. */
    for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint32_t size = sizes[s];
        /* Small buffers take long: send less of them; big ones fast: more, to time them. */
        uint32_t total = size < 512u ? CONSOLE_BYTES / 8u
                                     : size >= 4096u ? CONSOLE_BYTES * 4u : CONSOLE_BYTES;
        counter.reads = counter.writes = 0;
        t0 = plat_ticks();
        for (uint32_t sent = 0; sent < total; sent += size) {
            r = virtio_console_write(&con, 0, payload + (sent % PAYLOAD_SIZE), size);
            if (r != 0)
                ex_fail("virtio_console_write", r);
        }
        uint64_t us = plat_ticks_to_us(plat_ticks() - t0);
        plat_puts("BENCH console buf=");
        plat_put_dec(size);
        plat_puts(" bytes=");
        plat_put_dec(total);
        plat_puts(" us=");
        plat_put_dec(us);
        plat_puts(" reads=");
        plat_put_dec(counter.reads);
        plat_puts(" writes=");
        plat_put_dec(counter.writes);
        plat_putc('\n');
    }
    r = virtio_dev_check(&con.dev);
    if (r != 0)
        ex_fail("device status at the end", r);
    plat_puts("BENCH done\nPASS\n");
    return 0;
}
