/* console_multi.c - virtio_console.h with several ports (VIRTIO_CONSOLE_F_MULTIPORT) on QEMU's
   `virt` machines.

   Run (legacy or modern, the device in any slot, the ports at any id below 4):
     qemu-system-riscv64 -M virt -bios none -nographic -kernel build/riscv64/console_multi.elf \
         -device virtio-serial-device \
         -device virtconsole,chardev=c0 \
         -device virtserialport,nr=2,name=org.virtio-h.alpha,chardev=c1 \
         -device virtserialport,nr=1,name=org.virtio-h.beta,chardev=c2 \
         -device virtserialport,nr=5,name=org.virtio-h.extra,chardev=c3 \
         -chardev socket,id=c0,path=c0.sock,server=on,wait=on ... (one per chardev)
   tests/qemu/console_test.py drives it.

   It gives the driver memory for port ids 0..3, so a port the device puts at id 4 or above is
   refused through the control queue (PORT_READY 0; QEMU prints "Guest failure in adding port").
   Then:
   1. finds the ports named org.virtio-h.alpha and org.virtio-h.beta by name (their ids are up to
      the host), opens both (PORT_OPEN 1) and waits until the host side of each is open;
   2. writes "hello <name> on port <id>\n" on each;
   3. echoes every byte each port receives back on the same port, serving both in turn, until
      each has received a byte 0x04 (not echoed);
   4. writes a summary line on the console port (port 0, the virtconsole), then waits for the
      host to close alpha (PORT_OPEN 0 from the device) and says so on port 0;
   5. powers off with status 0. Any failure: "FAIL: ..." on the UART, nonzero status. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_CONSOLE_IMPLEMENTATION
#include "virtio_console.h"

#include "platform/platform.h"
#include "example.h"

#define PORTS 4u
#define RX_BUFS 8u
#define RX_BUF_SIZE 2048u
#define CTRL_BUFS 32u
#define END_BYTE 0x04u
#define WAIT_S 30u

static uint8_t mem[VIRTIO_CONSOLE_MEM(PORTS, RX_BUFS, RX_BUF_SIZE, CTRL_BUFS)]
    __attribute__((aligned(4096)));
static virtio_console con;

static const char *const names[2] = {"org.virtio-h.alpha", "org.virtio-h.beta"};

static size_t length(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

/* A line built in a buffer: text and decimal numbers. */
typedef struct line {
    char buf[160];
    size_t len;
} line;

static void add_str(line *l, const char *s)
{
    while (*s && l->len < sizeof l->buf)
        l->buf[l->len++] = *s++;
}

static void add_dec(line *l, uint64_t v)
{
    char d[20];
    unsigned n = 0;
    do {
        d[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0 && l->len < sizeof l->buf)
        l->buf[l->len++] = d[--n];
}

static void send_line(uint32_t port, const line *l, const char *what)
{
    int r = virtio_console_write(&con, port, l->buf, l->len);
    if (r != 0)
        ex_fail(what, r);
}

static int deadline_passed(uint64_t start)
{
    return plat_ticks() - start > (uint64_t)WAIT_S * PLAT_TIMEBASE_HZ;
}

static void show_ports(void)
{
    for (uint32_t k = 0; k < virtio_console_ports(&con); k++) {
        uint32_t st = virtio_console_port_state(&con, k);
        const char *name = virtio_console_port_name(&con, k);
        plat_puts("  port ");
        plat_put_dec(k);
        plat_puts(st & VIRTIO_CONSOLE_STATE_PRESENT ? ": present" : ": absent");
        if (st & VIRTIO_CONSOLE_STATE_CONSOLE)
            plat_puts(", console");
        if (st & VIRTIO_CONSOLE_STATE_HOST_OPEN)
            plat_puts(", host open");
        if (st & VIRTIO_CONSOLE_STATE_GUEST_OPEN)
            plat_puts(", guest open");
        if (name) {
            plat_puts(", name \"");
            plat_puts(name);
            plat_putc('"');
        }
        plat_putc('\n');
    }
}

int main(void)
{
    plat_puts("virtio.h multiport console example\n");

    virtio_transport t;
    int r = ex_find(VIRTIO_ID_CONSOLE, &t);
    if (r != 0)
        ex_fail("no virtio console in any slot", r);

    virtio_console_params p = {0};
    p.ports = PORTS;
    p.rx_bufs = RX_BUFS;
    p.rx_buf_size = RX_BUF_SIZE;
    p.ctrl_bufs = CTRL_BUFS;
    r = virtio_console_init(&con, &t, &p, mem, sizeof mem);
    if (r != 0)
        ex_fail("virtio_console_init", r);
    if (!virtio_dev_has(&con.dev, VIRTIO_CONSOLE_F_MULTIPORT))
        ex_fail("the device did not offer VIRTIO_CONSOLE_F_MULTIPORT", 0);
    plat_puts(virtio_transport_legacy(&t) ? "legacy" : "modern");
    plat_puts(" device, memory ");
    plat_put_dec(virtio_console_mem_size(&p, &t));
    plat_puts(" of ");
    plat_put_dec(sizeof mem);
    plat_puts(" bytes, max_nr_ports ");
    plat_put_dec(con.max_nr_ports);
    plat_puts(", ports served ");
    plat_put_dec(virtio_console_ports(&con));
    plat_puts(", refused ");
    plat_put_dec(con.refused);
    plat_puts(", bad control messages ");
    plat_put_dec(con.ctrl_bad);
    plat_putc('\n');
    show_ports();

    /* 1. Find both ports by name, open them, wait for the host side. */
    uint32_t id[2];
    uint64_t t0 = plat_ticks();
    for (unsigned i = 0; i < 2; i++) {
        while ((r = virtio_console_find(&con, names[i], &id[i])) == VIRTIO_EAGAIN) {
            if (deadline_passed(t0))
                ex_fail("a named port never appeared", 0);
        }
        if (r != 0)
            ex_fail("virtio_console_find", r);
        r = virtio_console_open(&con, id[i]);
        if (r != 0)
            ex_fail("virtio_console_open", r);
    }
    for (unsigned i = 0; i < 2; i++) {
        while (!(virtio_console_port_state(&con, id[i]) & VIRTIO_CONSOLE_STATE_HOST_OPEN)) {
            r = virtio_console_service(&con);
            if (r != 0)
                ex_fail("virtio_console_service", r);
            if (deadline_passed(t0))
                ex_fail("the host side of a port never opened", 0);
        }
    }
    show_ports();

    /* 2. Greetings. */
    for (unsigned i = 0; i < 2; i++) {
        line l = {{0}, 0};
        add_str(&l, "hello ");
        add_str(&l, names[i]);
        add_str(&l, " on port ");
        add_dec(&l, id[i]);
        add_str(&l, "\n");
        send_line(id[i], &l, "greeting");
    }

    /* 3. Echo on both until each has seen END_BYTE. */
    uint64_t bytes[2] = {0, 0}, idle = plat_ticks();
    int done[2] = {0, 0};
    while (!done[0] || !done[1]) {
        int moved = 0;
        for (unsigned i = 0; i < 2; i++) {
            const void *data;
            size_t len;
            if (done[i])
                continue;
            r = virtio_console_recv_poll(&con, id[i], &data, &len);
            if (r == VIRTIO_EAGAIN)
                continue;
            if (r != 0)
                ex_fail("virtio_console_recv_poll", r);
            const uint8_t *d = (const uint8_t *)data;
            size_t k = 0;
            while (k < len && d[k] != END_BYTE)
                k++;
            if (k > 0) {
                r = virtio_console_write(&con, id[i], d, k);
                if (r != 0)
                    ex_fail("virtio_console_write", r);
                bytes[i] += k;
            }
            done[i] = k < len;
            r = virtio_console_release(&con, id[i], done[i] ? k + 1 : k);
            if (r != 0)
                ex_fail("virtio_console_release", r);
            moved = 1;
        }
        if (moved)
            idle = plat_ticks();
        else if (deadline_passed(idle))
            ex_fail("no input for 30 s", 0);
    }

    /* 4. Summary on the console port, then the host closes alpha. */
    if (!(virtio_console_port_state(&con, 0) & VIRTIO_CONSOLE_STATE_CONSOLE))
        ex_fail("port 0 was not nominated a console port", 0);
    line l = {{0}, 0};
    add_str(&l, "multi: alpha ");
    add_dec(&l, bytes[0]);
    add_str(&l, " bytes, beta ");
    add_dec(&l, bytes[1]);
    add_str(&l, " bytes, refused ");
    add_dec(&l, con.refused);
    add_str(&l, ", bad control messages ");
    add_dec(&l, con.ctrl_bad);
    add_str(&l, "\n");
    send_line(0, &l, "summary");
    plat_puts(l.buf);

    t0 = plat_ticks();
    while (virtio_console_port_state(&con, id[0]) & VIRTIO_CONSOLE_STATE_HOST_OPEN) {
        r = virtio_console_service(&con);
        if (r != 0)
            ex_fail("virtio_console_service", r);
        if (deadline_passed(t0))
            ex_fail("the host never closed alpha", 0);
    }
    /* Writing to a port whose host side is closed would lose the data: refused. */
    r = virtio_console_write(&con, id[0], "x", 1);
    if (r != VIRTIO_ESTATE)
        ex_fail("a write to a port closed by the host was not refused with ESTATE", r);
    static const char closed[] = "multi: alpha closed by the host\n";
    r = virtio_console_write(&con, 0, closed, length(closed));
    if (r != 0)
        ex_fail("write on port 0", r);
    r = virtio_console_close(&con, id[1]);
    if (r != 0)
        ex_fail("virtio_console_close", r);
    r = virtio_dev_check(&con.dev);
    if (r != 0)
        ex_fail("device status at the end", r);
    show_ports();
    r = virtio_console_reset(&con);
    if (r != 0)
        ex_fail("virtio_console_reset", r);
    plat_puts("PASS\n");
    return 0;
}
