/* test_console_minimal.c - virtio_console.h in the smallest configuration (VIRTIO_MINIMAL, which
   defines VIRTIO_CONSOLE_MINIMAL and so VIRTIO_CONSOLE_NO_MULTIPORT) against the simulated
   console, which offers MULTIPORT, SIZE and EMERG_WRITE: port 0 writes and reads, none of the
   three is negotiated, more than one port is a caller error, and what is left out returns
   VIRTIO_ENOTSUP after its checks, touching nothing. Built a second time with only
   VIRTIO_CONSOLE_NO_MULTIPORT (TEST_NO_MULTIPORT_ONLY): then SIZE and EMERG_WRITE are
   negotiated and work. Modern devices only in the minimal build (no legacy there). */
#ifndef TEST_NO_MULTIPORT_ONLY
#define VIRTIO_MINIMAL
#else
#define VIRTIO_CONSOLE_NO_MULTIPORT
#endif
#define VIRTIO_SPIN_LIMIT 100000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_CONSOLE_IMPLEMENTATION
#include "../virtio_console.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_console.h"
#include "test.h"
#include "fixture.h"

#ifndef VIRTIO_CONSOLE_NO_MULTIPORT
#error "VIRTIO_CONSOLE_NO_MULTIPORT expected"
#endif
#if !defined(TEST_NO_MULTIPORT_ONLY) && !defined(VIRTIO_CONSOLE_MINIMAL)
#error "VIRTIO_MINIMAL must define VIRTIO_CONSOLE_MINIMAL"
#endif

static simc C;

/* max_nr_ports 4, 80x25, port 0 a console, host open; MULTIPORT, SIZE, EMERG_WRITE offered. */
static void setup_console(fx *f) {
    simc_init(&C, &f->s, &f->arena, f->ver, 4, 80, 25);
    simc_add_port(&C, 0, NULL, 1, 1);
}

static int con_init(fx *f, virtio_console *con, uint32_t ports) {
    virtio_console_params p;
    size_t sz;
    void *mem;
    memset(&p, 0, sizeof p);
    p.ports = ports;
    p.rx_bufs = 4;
    p.rx_buf_size = 64;
    sz = virtio_console_mem_size(&p, &f->t);
    mem = fx_alloc(f, sz ? sz : 4096u, virtio_queue_ring_align(&f->t));
    if (!mem) return -1000;
    return virtio_console_init(con, &f->t, &p, mem, sz ? sz : 4096u);
}

static const void *G(fx *f, const char *bytes, size_t n) {
    void *p = fx_alloc(f, n, 1);
    memcpy(p, bytes, n);
    return p;
}

/* Port 0 up: only the ring features negotiated (the minimal build), no control queues. */
static void t_init(fx *f) {
    virtio_console con;
    uint64_t want = f->ver == 2 ? SIM_F(SIM_F_VERSION_1) : 0;
#ifdef TEST_NO_MULTIPORT_ONLY
    want |= SIM_F(SIMC_F_SIZE) | SIM_F(SIMC_F_EMERG_WRITE);
#endif
    CHECK_RC(con_init(f, &con, 1), VIRTIO_OK);
    CHECK_OK();
    CHECK(f->s.dev_features & SIM_F(SIMC_F_MULTIPORT));
    CHECK_EQ(f->s.drv_features & ~(FX_RING_F | SIM_F(SIM_F_EVENT_IDX)), want);
    CHECK(f->s.q[0].live && f->s.q[1].live);
    CHECK(!f->s.q[2].live && !f->s.q[3].live);
    CHECK_EQ(virtio_console_ports(&con), 1);
    CHECK_EQ(virtio_console_port_state(&con, 0),
             VIRTIO_CONSOLE_STATE_PRESENT | VIRTIO_CONSOLE_STATE_CONSOLE |
                 VIRTIO_CONSOLE_STATE_HOST_OPEN | VIRTIO_CONSOLE_STATE_GUEST_OPEN);
    CHECK(virtio_console_port_name(&con, 0) == NULL);
    /* More than port 0 is a caller error, found before the device is touched. */
    CHECK_RC(con_init(f, &con, 2), VIRTIO_EINVAL);
    CHECK_EQ(virtio_console_mem_size(NULL, &f->t) != 0, 1);
    {
        virtio_console_params p;
        memset(&p, 0, sizeof p);
        p.ports = 2;
        CHECK_EQ(virtio_console_mem_size(&p, &f->t), 0);
    }
}

/* Port 0 writes (blocking and submitted) and reads (copying and zero-copy). */
static void t_data(fx *f) {
    virtio_console con;
    uint8_t in[300];
    const void *data;
    size_t got = 0, len = 0, i;
    CHECK_RC(con_init(f, &con, 1), VIRTIO_OK);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "hello, ", 7), 7), VIRTIO_OK);
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "world", 5), 5), VIRTIO_OK);
    CHECK_RC(virtio_console_write_wait(&con, 0), VIRTIO_OK);
    CHECK_EQ(C.port[0].out_len, 12);
    CHECK_MEM(C.port[0].out, "hello, world", 12);
    for (i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 7u + 1u);
    simc_host_send(&C, 0, in, 200); /* 64 + 64 + 64 + 8 */
    memset(in + 200, 0, 100);
    {
        uint8_t out[200];
        size_t done = 0;
        CHECK_RC(virtio_console_recv_poll(&con, 0, &data, &len), VIRTIO_OK);
        CHECK_EQ(len, 64);
        CHECK_MEM(data, in, 64);
        CHECK_RC(virtio_console_release(&con, 0, 64), VIRTIO_OK);
        done = 64;
        while (done < 200) {
            CHECK_RC(virtio_console_read(&con, 0, out + done, 200 - done, &got), VIRTIO_OK);
            CHECK(got >= 1);
            if (got == 0) break;
            done += got;
        }
        CHECK_MEM(out + 64, in + 64, 136);
    }
    CHECK_RC(virtio_console_read_poll(&con, 0, in, sizeof in, &got), VIRTIO_EAGAIN);
    CHECK_OK();
}

/* What the configuration leaves out: argument checks first, then VIRTIO_ENOTSUP (or the
   single-port console's behaviour), and nothing reaches the device. */
static void t_left_out(fx *f) {
    virtio_console con, zero;
    virtio_dev d;
    uint16_t cols = 1, rows = 1;
    uint32_t port = 9;
    unsigned long writes;
    memset(&zero, 0, sizeof zero);
    CHECK_RC(con_init(f, &con, 1), VIRTIO_OK);
    writes = f->s.config_writes;
    CHECK_RC(virtio_console_find(&con, "org.example.log", &port), VIRTIO_ENOTSUP);
    CHECK_EQ(port, 9);
    CHECK_RC(virtio_console_find(&con, NULL, &port), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_find(&zero, "x", &port), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    CHECK_RC(virtio_console_service(&zero), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_open(&con, 0), VIRTIO_OK);
    CHECK_RC(virtio_console_close(&con, 0), VIRTIO_OK);
    CHECK_RC(virtio_console_open(&con, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_size(&con, 0, &cols, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_size(&con, 1, &cols, &rows), VIRTIO_EINVAL);
#ifdef TEST_NO_MULTIPORT_ONLY
    CHECK_RC(virtio_console_size(&con, 0, &cols, &rows), VIRTIO_OK);
    CHECK_EQ(cols, 80);
    CHECK_EQ(rows, 25);
    CHECK_RC(virtio_console_emerg_write(&con.dev, G(f, "!", 1), 1), VIRTIO_OK);
    CHECK_EQ(C.emerg_len, 1);
    CHECK_RC(virtio_console_emerg_init(&d, &f->t), VIRTIO_OK);
#else
    CHECK_RC(virtio_console_size(&con, 0, &cols, &rows), VIRTIO_ENOTSUP);
    CHECK_EQ(cols, 1);
    CHECK_EQ(rows, 1);
    CHECK_RC(virtio_console_emerg_write(&con.dev, G(f, "!", 1), 1), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_console_emerg_write(&con.dev, NULL, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_emerg_init(&d, &f->t), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_console_emerg_init(&d, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_emerg_write(&d, G(f, "!", 1), 1), VIRTIO_ENOTSUP);
    CHECK_EQ(C.emerg_len, 0);
    CHECK_EQ(f->s.config_writes, writes);
#endif
    (void)writes;
    CHECK_EQ(C.msgs_sent, 0);
    CHECK_OK();
}

static const tcase cases[] = {
    {"port 0 only: no MULTIPORT (nor SIZE, EMERG_WRITE when minimal), ports > 1 refused",
     t_init, RUN_V2},
    {"port 0 writes and reads, copying and zero-copy", t_data, RUN_V2},
    {"find ENOTSUP, service/open/close as single-port, size and emergency write", t_left_out,
     RUN_V2},
};

int main(void) {
    run_table("console_minimal", cases, sizeof cases / sizeof cases[0], setup_console);
#ifdef TEST_NO_MULTIPORT_ONLY
    return t_summary("test_console_nomultiport");
#else
    return t_summary("test_console_minimal");
#endif
}
