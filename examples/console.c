/* console.c - virtio_console.h on QEMU's `virt` machines: the first output of a boot, then
   an echo on port 0.

   Run (legacy or modern, the device in any slot):
     qemu-system-riscv64 -M virt -bios none -nographic -kernel build/riscv64/console.elf \
         -device virtio-serial-device -device virtconsole,chardev=c0 \
         -chardev socket,id=c0,path=console.sock,server=on,wait=on
   and talk to it with e.g. `socat - UNIX-CONNECT:console.sock`. tests/qemu/console_test.py
   drives it with a MiB of random bytes in both directions.

   What it does:
   1. scans the eight virtio-mmio slots for a console (device ID 3) and probes its transport;
   2. prints a line through the emergency write register (VIRTIO_CONSOLE_F_EMERG_WRITE): no
      reset, no queue, no memory, nothing negotiated (skipped, with a note on the UART, when the
      device does not offer it: -device virtio-serial-device,emergency-write=off);
   3. sets up port 0 (one port, so no multiport: the device opens port 0 at DRIVER_OK);
   4. echoes every byte it receives on port 0 back on port 0, a received buffer at a time and
      without copying (virtio_console_recv_poll / write / release), until a byte 0x04 arrives;
      that byte is not echoed;
   5. prints a summary on the UART and powers off with status 0.
   Any failure prints "FAIL: ..." on the UART and exits nonzero; 60 s without input is one. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_CONSOLE_IMPLEMENTATION
#include "virtio_console.h"

#include "platform/platform.h"
#include "example.h"

#define RX_BUFS 8u
#define RX_BUF_SIZE 4096u
#define IDLE_LIMIT_S 60u
#define END_BYTE 0x04u

/* Legacy virtio-mmio wants page-aligned rings; 4096 suits both versions. The bound fits any
   transport; virtio_console_mem_size(&p, &t) is what this one needs. */
static uint8_t mem[VIRTIO_CONSOLE_MEM(1, RX_BUFS, RX_BUF_SIZE, 0)] __attribute__((aligned(4096)));
static virtio_console con;

/* The host looks for exactly this line first on the console. The NUL in it checks that a zero
   byte gets through too (QEMU ignores a write of 0 to emerg_wr; the driver writes 0x100). */
static const char emerg_line[] = "virtio.h console example: emergency write, before any setup\0\n";

int main(void)
{
    plat_puts("virtio.h console example\n");

    /* 1. Find the console. */
    virtio_transport t;
    int r = ex_find(VIRTIO_ID_CONSOLE, &t);
    if (r != 0)
        ex_fail("no virtio console in any slot", r);

    /* 2. The first output: the emergency write register, nothing set up. */
    virtio_dev early;
    r = virtio_console_emerg_init(&early, &t);
    if (r == VIRTIO_ENOTSUP) {
        plat_puts("emergency write not offered by the device: skipped");
    } else {
        if (r != 0)
            ex_fail("virtio_console_emerg_init", r);
        r = virtio_console_emerg_write(&early, emerg_line, sizeof emerg_line - 1u);
        if (r != 0)
            ex_fail("virtio_console_emerg_write", r);
        plat_puts("emergency line written");
    }
    plat_puts(virtio_transport_legacy(&t) ? "; console found, legacy (version 1)\n"
                                          : "; console found, modern (version 2)\n");

    /* 3. Port 0. */
    virtio_console_params p = {0};
    p.ports = 1;
    p.rx_bufs = RX_BUFS;
    p.rx_buf_size = RX_BUF_SIZE;
    r = virtio_console_init(&con, &t, &p, mem, sizeof mem);
    if (r != 0)
        ex_fail("virtio_console_init", r);
    plat_puts("memory ");
    plat_put_dec(virtio_console_mem_size(&p, &t));
    plat_puts(" of ");
    plat_put_dec(sizeof mem);
    plat_puts(" bytes; negotiated: event_idx ");
    plat_puts(virtio_dev_has(&con.dev, VIRTIO_F_EVENT_IDX) ? "on" : "off");
    plat_puts(", emerg_write ");
    plat_puts(virtio_dev_has(&con.dev, VIRTIO_CONSOLE_F_EMERG_WRITE) ? "on" : "off");
    plat_puts(", size ");
    plat_puts(virtio_dev_has(&con.dev, VIRTIO_CONSOLE_F_SIZE) ? "on" : "off");
    plat_puts(", multiport ");
    plat_puts(virtio_dev_has(&con.dev, VIRTIO_CONSOLE_F_MULTIPORT) ? "on" : "off");
    plat_putc('\n');
    if (virtio_dev_has(&con.dev, VIRTIO_CONSOLE_F_MULTIPORT))
        ex_fail("multiport negotiated for a single port", 0);

    /* 4. Echo until END_BYTE. */
    uint64_t t0 = plat_ticks(), idle = t0, bytes = 0, buffers = 0;
    for (;;) {
        const void *data;
        size_t len;
        r = virtio_console_recv_poll(&con, 0, &data, &len);
        if (r == VIRTIO_EAGAIN) {
            if (plat_ticks() - idle > (uint64_t)IDLE_LIMIT_S * PLAT_TIMEBASE_HZ)
                ex_fail("no input for 60 s", 0);
            continue;
        }
        if (r != 0)
            ex_fail("virtio_console_recv_poll", r);
        idle = plat_ticks();
        const uint8_t *d = (const uint8_t *)data;
        size_t k = 0;
        while (k < len && d[k] != END_BYTE)
            k++;
        if (k > 0) {
            r = virtio_console_write(&con, 0, d, k);
            if (r != 0)
                ex_fail("virtio_console_write", r);
            bytes += k;
            buffers++;
        }
        int end = k < len;
        r = virtio_console_release(&con, 0, end ? k + 1 : k);
        if (r != 0)
            ex_fail("virtio_console_release", r);
        if (end)
            break;
    }

    /* 5. Done: the device status is fine, then leave the device idle for whoever comes next. */
    uint64_t us = plat_ticks_to_us(plat_ticks() - t0);
    r = virtio_dev_check(&con.dev);
    if (r != 0)
        ex_fail("device status at the end", r);
    r = virtio_console_reset(&con);
    if (r != 0)
        ex_fail("virtio_console_reset", r);
    plat_puts("echoed ");
    plat_put_dec(bytes);
    plat_puts(" bytes in ");
    plat_put_dec(buffers);
    plat_puts(" buffers, ");
    plat_put_dec(us / 1000u);
    plat_puts(" ms\nPASS\n");
    return 0;
}
