/* test_console.c - virtio_console.h against the simulated console (tests/sim_console.c),
   versions 1 and 2, with and without VIRTIO_F_EVENT_IDX where it matters: emergency write,
   port 0 (blocking, submitted and polled transmit; copying and zero-copy receive), console
   size, multiport (names, refusals, hot plug), a misbehaving device, buffer ownership after a
   failed wait, caller errors. Cases use the transport the fixture probed (f->t), so they run
   over every transport the fixture offers. The simulator checks the driver's MUST rules on
   every case. */
#define VIRTIO_SPIN_LIMIT 100000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_CONSOLE_IMPLEMENTATION
#include "../virtio_console.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_blk.h"
#include "sim_console.h"
#include "test.h"
#include "fixture.h"

static simc C; /* the console backend of the current case (the fixture owns the sim) */

/* Default device: max_nr_ports 4, 80x25 (VIRTIO_CONSOLE_F_SIZE), port 0 a console, host open. */
static void setup_console(fx *f) {
    simc_init(&C, &f->s, &f->arena, f->ver, 4, 80, 25);
    simc_add_port(&C, 0, NULL, 1, 1);
}

/* Another device configuration, inside a case (keeps the case's event-index variant). */
static void reconf(fx *f, uint32_t max_ports, uint16_t cols, uint16_t rows) {
    simc_init(&C, &f->s, &f->arena, f->ver, max_ports, cols, rows);
    if (!f->eidx) f->s.dev_features &= ~SIM_F(SIM_F_EVENT_IDX);
}

static virtio_console_params params(uint32_t ports, uint32_t rx_bufs, uint32_t rx_size,
                                    uint32_t ctrl_bufs) {
    virtio_console_params p;
    memset(&p, 0, sizeof p);
    p.ports = ports;
    p.rx_bufs = rx_bufs;
    p.rx_buf_size = rx_size;
    p.ctrl_bufs = ctrl_bufs;
    return p;
}

/* Initializes `con` with exactly the memory it asks for. */
static void con_up(fx *f, virtio_console *con, uint32_t ports, uint32_t rx_bufs, uint32_t rx_size,
                   uint32_t ctrl_bufs) {
    virtio_console_params p = params(ports, rx_bufs, rx_size, ctrl_bufs);
    size_t sz;
    void *mem;
    sz = virtio_console_mem_size(&p, &f->t);
    CHECK(sz != 0);
    CHECK_LE(sz, VIRTIO_CONSOLE_MEM(ports, rx_bufs, rx_size, ctrl_bufs));
    CHECK_LE(sz, virtio_console_mem_size(&p, NULL));
    mem = fx_alloc(f, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_console_init(con, &f->t, &p, mem, sz), VIRTIO_OK);
}

/* Every wait of the case ends after `limit` idle iterations: the accessor's bound, so the
   transport is probed again (as a caller changing its accessor would). */
static void spin_limit(fx *f, uint32_t limit) {
    f->regs.spin_limit = limit;
    CHECK_RC(fx_transport(f), VIRTIO_OK);
}

/* A copy of n bytes in guest memory: the device reads transmit buffers by DMA, and the
   simulator refuses addresses outside its arena. */
static const void *G(fx *f, const char *bytes, size_t n) {
    void *p = fx_alloc(f, n ? n : 1u, 1);
    memcpy(p, bytes, n);
    return p;
}

static uint32_t pattern(uint32_t i, uint32_t seed) {
    uint32_t x = i * 2654435761u ^ seed * 40503u;
    x ^= x >> 13;
    return x * 0x5bd1e995u >> 7;
}

static void fill_pattern(uint8_t *b, size_t n, uint32_t seed) {
    size_t i;
    for (i = 0; i < n; i++)
        b[i] = (uint8_t)pattern((uint32_t)i, seed);
}

/* Reads exactly n bytes (port has them already) in pieces of `piece`. */
static void read_all(virtio_console *con, uint32_t port, uint8_t *out, size_t n, size_t piece) {
    size_t done = 0, got;
    while (done < n) {
        size_t want = n - done < piece ? n - done : piece;
        CHECK_RC(virtio_console_read_poll(con, port, out + done, want, &got), VIRTIO_OK);
        CHECK(got >= 1 && got <= want);
        done += got;
    }
}

/* ---- Emergency write --------------------------------------------------------------------------
 */
static void t_emerg_unconfigured(fx *f) {
    virtio_dev d;
    virtio_console con;
    static const char msg[] = "boot\0!";
    CHECK_RC(virtio_console_emerg_init(&d, &f->t), VIRTIO_OK);
    /* Nothing but the feature selector was written (virtio-mmio: word 0, and word 1 on modern
       devices; the transport double has no selector): no reset, no status bit. */
    CHECK_EQ(f->s.writes, f->t.kind != VIRTIO_TRANSPORT_MMIO ? 0u : f->ver == 1 ? 1u : 2u);
    CHECK_EQ(f->s.status_writes, 0);
    CHECK_EQ(f->s.resets, 0);
    CHECK_RC(virtio_console_emerg_write(&d, msg, sizeof msg - 1u), VIRTIO_OK);
    CHECK_EQ(C.emerg_len, 6);
    CHECK_MEM(C.emerg, msg, 6);
    CHECK_EQ(C.emerg_raw[0], 'b');
    CHECK_EQ(C.emerg_raw[4], 0x100); /* NUL: QEMU drops a write of 0 */
    CHECK_EQ(f->s.config_last_width, 4);
    CHECK_EQ(f->s.status, 0);
    CHECK_RC(virtio_console_emerg_write(&d, NULL, 0), VIRTIO_OK);
    CHECK_EQ(C.emerg_len, 6);
    /* The device is as it was: a full init works after it, and the full driver writes too. */
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    CHECK(virtio_dev_has(&con.dev, VIRTIO_CONSOLE_F_EMERG_WRITE));
    CHECK_RC(virtio_console_emerg_write(&con.dev, "ok", 2), VIRTIO_OK);
    CHECK_EQ(C.emerg_len, 8);
    CHECK_MEM(C.emerg + 6, "ok", 2);
}

static void t_emerg_not_offered(fx *f) {
    virtio_dev d;
    f->s.dev_features &= ~SIM_F(SIMC_F_EMERG_WRITE);
    CHECK_RC(virtio_console_emerg_init(&d, &f->t), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_console_emerg_write(&d, "x", 1), VIRTIO_ENOTSUP);
    CHECK_EQ(f->s.config_writes, 0);
    CHECK_EQ(f->s.status_writes, 0);
}

static void t_emerg_wrong_device(fx *f) {
    virtio_dev d;
    sim_destroy(&f->s);
    CHECK_EQ(sim_init_blk(&f->s, &f->arena, f->ver, 8), 0);
    CHECK_RC(fx_transport(f), VIRTIO_OK);
    CHECK_RC(virtio_console_emerg_init(&d, &f->t), VIRTIO_ENODEV);
    CHECK_EQ(f->s.writes, 0);
    CHECK_RC(virtio_console_emerg_init(NULL, &f->t), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_emerg_init(&d, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_emerg_write(NULL, "x", 1), VIRTIO_EINVAL);
    /* No device at all: the probe says so, and an unprobed transport is refused. */
    f->s.magic = 0;
    CHECK_RC(fx_transport(f), VIRTIO_ENODEV); /* zeroes f->t */
    CHECK_RC(virtio_console_emerg_init(&d, &f->t), VIRTIO_EINVAL);
    CHECK_EQ(f->s.writes, 0);
}

/* The last words of a broken device: a latched fault does not silence emergency output. */
static void t_emerg_after_fault(fx *f) {
    virtio_console con;
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    sim_set_needs_reset(&f->s);
    CHECK_RC(virtio_dev_check(&con.dev), VIRTIO_ENEEDS_RESET);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "lost", 4), 4), VIRTIO_ENEEDS_RESET);
    CHECK_RC(virtio_console_emerg_write(&con.dev, "help", 4), VIRTIO_OK);
    CHECK_EQ(C.emerg_len, 4);
    CHECK_MEM(C.emerg, "help", 4);
    CHECK_EQ(C.port[0].out_len, 0);
}

/* ---- Port 0 ------------------------------------------------------------------------------------
 */
static void t_init_single(fx *f) {
    virtio_console con;
    uint64_t want = SIM_F(SIMC_F_EMERG_WRITE) | SIM_F(SIMC_F_SIZE);
    con_up(f, &con, 1, 8, 128, 0);
    CHECK_OK();
    if (f->ver == 2) want |= SIM_F(SIM_F_VERSION_1);
    if (f->eidx) want |= SIM_F(SIM_F_EVENT_IDX);
    /* MULTIPORT is offered but one port needs no control queues. */
    CHECK_EQ(f->s.drv_features & ~FX_RING_F, want);
    CHECK_EQ(f->s.status & SIM_S_DRIVER_OK, SIM_S_DRIVER_OK);
    CHECK(f->s.q[0].live && f->s.q[1].live);
    CHECK(!f->s.q[2].live && !f->s.q[3].live && !f->s.q[4].live);
    CHECK_EQ(sim_avail_idx(&f->s, 0), 8); /* every receive buffer posted */
    CHECK_EQ(C.held[0].count, 8);
    CHECK_EQ(virtio_console_ports(&con), 1);
    CHECK_EQ(virtio_console_port_state(&con, 0),
             VIRTIO_CONSOLE_STATE_PRESENT | VIRTIO_CONSOLE_STATE_CONSOLE |
                 VIRTIO_CONSOLE_STATE_HOST_OPEN | VIRTIO_CONSOLE_STATE_GUEST_OPEN);
    CHECK(virtio_console_port_name(&con, 0) == NULL);
    CHECK_EQ(C.nlog, 0);
    /* Asking for more ports than a single-port device has: port 0 alone. */
    reconf(f, 1, 0, 0);
    simc_add_port(&C, 0, NULL, 1, 1);
    con_up(f, &con, 3, 8, 128, 8);
    CHECK_OK();
    CHECK_EQ(virtio_console_ports(&con), 1);
    CHECK(!con.multiport);
}

static void t_write(fx *f) {
    virtio_console con;
    uint8_t *big = (uint8_t *)fx_alloc(f, 100000, 1);
    unsigned long n0;
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    n0 = f->s.q[1].notifies;
    CHECK_RC(virtio_console_write(&con, 0, G(f, "hello", 5), 5), VIRTIO_OK);
    CHECK_RC(virtio_console_write(&con, 0, G(f, ", ", 2), 2), VIRTIO_OK);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "world", 5), 5), VIRTIO_OK);
    CHECK_EQ(C.port[0].out_len, 12);
    CHECK_MEM(C.port[0].out, "hello, world", 12);
    CHECK_EQ(f->s.q[1].chains, 3);
    /* One readable descriptor per buffer, one notification per buffer (the device asks). */
    CHECK_EQ(sim_last(&f->s, 0)->ndesc, 1);
    CHECK_EQ(sim_last(&f->s, 0)->nread, 1);
    CHECK_EQ(f->s.q[1].notifies - n0, 3);
    CHECK_RC(virtio_console_write(&con, 0, NULL, 0), VIRTIO_OK);
    CHECK_EQ(f->s.q[1].chains, 3);
    fill_pattern(big, 100000, 7);
    CHECK_RC(virtio_console_write(&con, 0, big, 100000), VIRTIO_OK);
    CHECK_EQ(f->s.q[1].chains, 4);
    CHECK_EQ(sim_last(&f->s, 0)->rlen, 100000);
    CHECK_MEM(C.port[0].out + 12, big, 100000);
}

/* kvmtool reports a transmit buffer's length as its used length (0 writable bytes): clamped and
   counted, writes keep working. */
static void t_kvmtool_write(fx *f) {
    virtio_console con;
    unsigned i;
    f->s.hv = SIM_HV_KVMTOOL;
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    for (i = 0; i < 10; i++)
        CHECK_RC(virtio_console_write(&con, 0, G(f, "kvmtool", 7), 7), VIRTIO_OK);
    CHECK_EQ(C.port[0].out_len, 70);
    CHECK_EQ(virtio_dev_clamped(&con.dev), f->ver == 1 ? 0u : 10u); /* legacy: IGNORE_LEN */
    CHECK_RC(virtio_dev_usable(&con.dev), VIRTIO_OK);
}

/* A buffer read in part keeps its offset and goes back to the device only when fully read. */
static void t_read_partial(fx *f) {
    virtio_console con;
    uint8_t data[1000], out[1000];
    size_t got;
    con_up(f, &con, 1, 4, 256, 0);
    CHECK_OK();
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_EAGAIN);
    CHECK_EQ(got, 0);
    fill_pattern(data, sizeof data, 1);
    simc_host_send(&C, 0, data, sizeof data); /* 256 + 256 + 256 + 232 */
    CHECK_EQ(C.held[0].count, 0);
    CHECK_EQ(sim_avail_idx(&f->s, 0), 4);
    CHECK_RC(virtio_console_read_poll(&con, 0, out, 10, &got), VIRTIO_OK);
    CHECK_EQ(got, 10);
    CHECK_EQ(sim_avail_idx(&f->s, 0), 4); /* not yet back */
    CHECK_RC(virtio_console_read_poll(&con, 0, out + 10, 246, &got), VIRTIO_OK);
    CHECK_EQ(got, 246);
    CHECK_EQ(sim_avail_idx(&f->s, 0), 5); /* the first buffer, fully read, is back */
    CHECK_EQ(C.held[0].count, 1);
    CHECK_RC(virtio_console_read_poll(&con, 0, out + 256, 0, &got), VIRTIO_OK);
    CHECK_EQ(got, 0);
    /* Across buffers. */
    CHECK_RC(virtio_console_read_poll(&con, 0, out + 256, 300, &got), VIRTIO_OK);
    CHECK_EQ(got, 300);
    read_all(&con, 0, out + 556, 444, 7);
    CHECK_OK();
    CHECK_MEM(out, data, sizeof data);
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_EAGAIN);
    CHECK_EQ(sim_avail_idx(&f->s, 0), 8);
}

/* A MiB each way in random pieces: the device fills random amounts, the reader reads random
   amounts through read and peek/consume mixed; nothing lost, nothing repeated. */
static void t_stress(fx *f) {
    virtio_console con;
    size_t n = 1u << 20, sent = 0, done = 0;
    uint8_t *data = (uint8_t *)fx_alloc(f, n, 16), *out = (uint8_t *)malloc(n);
    uint32_t rnd = 12345;
    CHECK(data && out);
    fill_pattern(data, n, 3);
    con_up(f, &con, 1, 8, 512, 0);
    if (T.failed) goto end;
    while (done < n) {
        size_t got, want;
        rnd = rnd * 1103515245u + 12345u;
        if (sent < n && (rnd >> 16) % 3 == 0) {
            size_t k = 1 + (rnd >> 8) % 3000;
            if (k > n - sent) k = n - sent;
            C.rx_max_fill = 1 + (rnd >> 4) % 600;
            simc_host_send(&C, 0, data + sent, k);
            sent += k;
        }
        rnd = rnd * 1103515245u + 12345u;
        want = 1 + (rnd >> 8) % 2000;
        if (want > n - done) want = n - done;
        if ((rnd >> 20) & 1) {
            int r = virtio_console_read_poll(&con, 0, out + done, want, &got);
            if (r == VIRTIO_EAGAIN) continue;
            if (r != VIRTIO_OK) {
                T_FAIL("read: %s", virtio_result_str(r));
                goto end;
            }
        } else {
            const void *p;
            size_t len;
            int r = virtio_console_recv_poll(&con, 0, &p, &len);
            if (r == VIRTIO_EAGAIN) continue;
            if (r != VIRTIO_OK) {
                T_FAIL("peek: %s", virtio_result_str(r));
                goto end;
            }
            got = len < want ? len : want;
            memcpy(out + done, p, got);
            if (virtio_console_release(&con, 0, got) != VIRTIO_OK) {
                T_FAIL("consume");
                goto end;
            }
        }
        done += got;
    }
    if (memcmp(out, data, n) != 0) T_FAIL("received bytes differ");
    /* The other way: random buffer sizes. */
    for (sent = 0; sent < n && !T.failed;) {
        size_t k;
        rnd = rnd * 1103515245u + 12345u;
        k = 1 + (rnd >> 8) % 5000;
        if (k > n - sent) k = n - sent;
        if (virtio_console_write(&con, 0, data + sent, k) != VIRTIO_OK) T_FAIL("write");
        sent += k;
    }
    if (!T.failed && (C.port[0].out_len != n || memcmp(C.port[0].out, data, n) != 0))
        T_FAIL("transmitted bytes differ");
end:
    free(out);
}

/* The bare read waits (bounded) for the first byte. Its timeout resets nothing: the device
   holds only the driver's own receive buffers, and the console works on. */
static void t_read_wait(fx *f) {
    virtio_console con;
    uint8_t out[16];
    size_t got;
    spin_limit(f, 3000);
    CHECK_OK();
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    CHECK_RC(virtio_console_read(&con, 0, out, sizeof out, &got), VIRTIO_ETIMEDOUT);
    CHECK_EQ(got, 0);
    CHECK_LE(f->s.relax_max_iter, 3000);
    CHECK_EQ(f->s.resets, 1);                                        /* init's only */
    CHECK_RC(virtio_console_read(&con, 0, out, 0, &got), VIRTIO_OK); /* len 0: at once */
    simc_host_send(&C, 0, "abc", 3);
    CHECK_RC(virtio_console_read(&con, 0, out, sizeof out, &got), VIRTIO_OK);
    CHECK_EQ(got, 3);
    CHECK_MEM(out, "abc", 3);
    /* A device that asks for a reset ends the wait with that. */
    sim_set_needs_reset(&f->s);
    CHECK_RC(virtio_console_read(&con, 0, out, sizeof out, &got), VIRTIO_ENEEDS_RESET);
}

static void t_peek_consume(fx *f) {
    virtio_console con;
    const void *p, *p2;
    size_t len, len2;
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    CHECK_RC(virtio_console_recv_poll(&con, 0, &p, &len), VIRTIO_EAGAIN);
    CHECK_RC(virtio_console_release(&con, 0, 1), VIRTIO_EINVAL); /* nothing to consume */
    simc_host_send(&C, 0, "0123456789", 10);
    CHECK_RC(virtio_console_recv_poll(&con, 0, &p, &len), VIRTIO_OK);
    CHECK_EQ(len, 10);
    CHECK_MEM(p, "0123456789", 10);
    CHECK_RC(virtio_console_release(&con, 0, 11), VIRTIO_EINVAL); /* more than there is */
    CHECK_RC(virtio_console_release(&con, 0, 0), VIRTIO_OK);
    CHECK_RC(virtio_console_recv_poll(&con, 0, &p2, &len2), VIRTIO_OK);
    CHECK(p2 == p && len2 == 10);
    CHECK_RC(virtio_console_release(&con, 0, 4), VIRTIO_OK);
    CHECK_RC(virtio_console_recv_poll(&con, 0, &p, &len), VIRTIO_OK);
    CHECK_EQ(len, 6);
    CHECK_MEM(p, "456789", 6);
    CHECK_RC(virtio_console_release(&con, 0, 6), VIRTIO_OK);
    CHECK_RC(virtio_console_recv_poll(&con, 0, &p, &len), VIRTIO_EAGAIN);
    CHECK_EQ(sim_avail_idx(&f->s, 0), 5);
}

/* A receive buffer used with 0 bytes goes straight back. */
static void t_rx_empty(fx *f) {
    virtio_console con;
    uint8_t out[8];
    size_t got;
    simc_held *h;
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    h = &C.held[0].h[C.held[0].first];
    sim_complete(&f->s, 0, h->head, 0, h->wlen);
    C.held[0].first++;
    C.held[0].count--;
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_EAGAIN);
    CHECK_EQ(sim_avail_idx(&f->s, 0), 5);
    CHECK_EQ(C.held[0].count, 4);
    simc_host_send(&C, 0, "x", 1);
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_OK);
    CHECK_EQ(got, 1);
}

/* A transmit buffer the device keeps (a host that does not read): the write times out, and
   before it returns the device is reset, so the buffer is the caller's again: the device never
   reads it afterwards, nothing more is queued, and the error stays until init. */
static void t_tx_timeout(fx *f) {
    virtio_console con;
    unsigned long resets;
    spin_limit(f, 2000);
    CHECK_OK();
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    simc_throttle(&C, 0, 1);
    resets = f->s.resets;
    CHECK_RC(virtio_console_write(&con, 0, G(f, "abc", 3), 3), VIRTIO_ETIMEDOUT);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(f->s.status, 0);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 0);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "def", 3), 3), VIRTIO_ETIMEDOUT);
    CHECK_RC(virtio_console_write_wait(&con, 0), VIRTIO_ETIMEDOUT);
    CHECK_EQ(f->s.q[1].chains, 0);
    CHECK_EQ(f->s.resets, resets + 1); /* latched: no second reset */
    simc_throttle(&C, 0, 0);           /* the host reads again: nothing left to read */
    CHECK_EQ(C.port[0].out_len, 0);
    CHECK_EQ(C.port[0].tx_chains, 0);
    /* Init again: everything works. */
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    CHECK_RC(virtio_console_write(&con, 0, G(f, "def", 3), 3), VIRTIO_OK);
    CHECK_EQ(C.port[0].out_len, 3);
    CHECK_MEM(C.port[0].out, "def", 3);
}

static void t_size(fx *f) {
    virtio_console con;
    uint16_t cols = 0, rows = 0;
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    CHECK_RC(virtio_console_size(&con, 0, &cols, &rows), VIRTIO_OK);
    CHECK(cols == 80 && rows == 25);
    sim_cfg_w16(&f->s, 0, 132); /* the host resizes; we read it again each time */
    sim_cfg_w16(&f->s, 2, 43);
    f->s.config_gen++;
    CHECK_RC(virtio_console_size(&con, 0, &cols, &rows), VIRTIO_OK);
    CHECK(cols == 132 && rows == 43);
    CHECK_RC(virtio_console_size(&con, 0, NULL, &rows), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_size(&con, 1, &cols, &rows), VIRTIO_EINVAL);
    reconf(f, 1, 0, 0);
    simc_add_port(&C, 0, NULL, 1, 1);
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    CHECK(!virtio_dev_has(&con.dev, VIRTIO_CONSOLE_F_SIZE));
    CHECK_RC(virtio_console_size(&con, 0, &cols, &rows), VIRTIO_ENOTSUP);
    CHECK_EQ(f->s.config_writes, 0);
}

/* ---- Multiport ---------------------------------------------------------------------------------
 */
static void multi_setup(fx *f, int name_nul) {
    reconf(f, 4, 0, 0);
    C.name_nul = name_nul;
    simc_add_port(&C, 0, NULL, 1, 1);
    simc_add_port(&C, 1, "org.test.alpha", 0, 1);
    simc_add_port(&C, 2, "org.test.beta", 0, 0);
}

static void multi_basic(fx *f, int name_nul) {
    virtio_console con;
    uint32_t id = 99;
    uint16_t v = 9;
    uint8_t out[32];
    size_t got;
    unsigned i, ready0 = 0, open0 = 0;
    multi_setup(f, name_nul);
    con_up(f, &con, 4, 4, 64, 16);
    CHECK_OK();
    CHECK(con.multiport);
    CHECK(f->s.drv_features & SIM_F(SIMC_F_MULTIPORT));
    CHECK(f->s.q[2].live && f->s.q[3].live && f->s.q[4].live && f->s.q[7].live);
    CHECK_EQ(con.max_nr_ports, 4);
    CHECK_EQ(virtio_console_ports(&con), 4);
    /* "The driver MUST send a VIRTIO_CONSOLE_DEVICE_READY message". */
    CHECK_EQ(simc_count(&C, ~0u, SIMC_DEVICE_READY, &v), 1);
    CHECK_EQ(v, 1);
    for (i = 0; i < 3; i++) {
        CHECK_EQ(simc_count(&C, i, SIMC_PORT_READY, &v), 1);
        CHECK_EQ(v, 1);
    }
    /* CONSOLE_PORT "MUST respond with a VIRTIO_CONSOLE_PORT_OPEN message, which MUST have
       value set to 1", after our PORT_READY. */
    CHECK_EQ(simc_count(&C, 0, SIMC_PORT_OPEN, &v), 1);
    CHECK_EQ(v, 1);
    for (i = 0; i < C.nlog; i++) {
        if (C.log[i].id == 0 && C.log[i].event == SIMC_PORT_READY) ready0 = i + 1;
        if (C.log[i].id == 0 && C.log[i].event == SIMC_PORT_OPEN) open0 = i + 1;
    }
    CHECK(ready0 && open0 > ready0);
    CHECK_EQ(simc_count(&C, 1, SIMC_PORT_OPEN, NULL), 0); /* generic ports wait for open */
    CHECK_EQ(virtio_console_port_state(&con, 0),
             VIRTIO_CONSOLE_STATE_PRESENT | VIRTIO_CONSOLE_STATE_CONSOLE |
                 VIRTIO_CONSOLE_STATE_HOST_OPEN | VIRTIO_CONSOLE_STATE_GUEST_OPEN);
    CHECK_EQ(virtio_console_port_state(&con, 1), VIRTIO_CONSOLE_STATE_PRESENT |
                                                     VIRTIO_CONSOLE_STATE_NAMED |
                                                     VIRTIO_CONSOLE_STATE_HOST_OPEN);
    CHECK_EQ(virtio_console_port_state(&con, 2),
             VIRTIO_CONSOLE_STATE_PRESENT | VIRTIO_CONSOLE_STATE_NAMED);
    CHECK_EQ(virtio_console_port_state(&con, 3), 0);
    CHECK_EQ(con.ctrl_bad, 0);
    CHECK_EQ(con.refused, 0);
    /* Found by name, only by the whole name. */
    CHECK_RC(virtio_console_find(&con, "org.test.alpha", &id), VIRTIO_OK);
    CHECK_EQ(id, 1);
    CHECK_RC(virtio_console_find(&con, "org.test.beta", &id), VIRTIO_OK);
    CHECK_EQ(id, 2);
    CHECK_RC(virtio_console_find(&con, "org.test.alph", &id), VIRTIO_EAGAIN);
    CHECK_RC(virtio_console_find(&con, "org.test.alphabet", &id), VIRTIO_EAGAIN);
    CHECK_RC(virtio_console_find(&con, "", &id), VIRTIO_EAGAIN);
    CHECK(strcmp(virtio_console_port_name(&con, 1), "org.test.alpha") == 0);
    /* Port 1: data only after we open it; its own queues 4 and 5. */
    simc_host_send(&C, 1, "to alpha", 8);
    CHECK_RC(virtio_console_read_poll(&con, 1, out, sizeof out, &got), VIRTIO_EAGAIN);
    CHECK_RC(virtio_console_open(&con, 1), VIRTIO_OK);
    CHECK_EQ(simc_count(&C, 1, SIMC_PORT_OPEN, &v), 1);
    CHECK_EQ(v, 1);
    CHECK(virtio_console_port_state(&con, 1) & VIRTIO_CONSOLE_STATE_GUEST_OPEN);
    simc_pump(&C);
    CHECK_RC(virtio_console_read_poll(&con, 1, out, sizeof out, &got), VIRTIO_OK);
    CHECK_EQ(got, 8);
    CHECK_MEM(out, "to alpha", 8);
    CHECK_EQ(f->s.q[4].chains, 1);
    CHECK_RC(virtio_console_write(&con, 1, G(f, "from alpha", 10), 10), VIRTIO_OK);
    CHECK_EQ(C.port[1].out_len, 10);
    CHECK_EQ(f->s.q[5].chains, 1);
    /* Port 2's host side is closed: a write would be dropped, so it is refused. */
    CHECK_RC(virtio_console_write(&con, 2, G(f, "x", 1), 1), VIRTIO_ESTATE);
    CHECK_EQ(f->s.q[7].chains, 0);
    simc_host_open(&C, 2, 1);
    CHECK_RC(virtio_console_write(&con, 2, G(f, "beta", 4), 4), VIRTIO_OK);
    CHECK_EQ(f->s.q[7].chains, 1);
    CHECK_MEM(C.port[2].out, "beta", 4);
    /* Port 0, the console, takes output regardless. */
    CHECK_RC(virtio_console_write(&con, 0, G(f, "con", 3), 3), VIRTIO_OK);
    CHECK_EQ(f->s.q[1].chains, 1);
    /* Port 3 does not exist. */
    CHECK_RC(virtio_console_write(&con, 3, G(f, "x", 1), 1), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_read_poll(&con, 3, out, sizeof out, &got), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_open(&con, 3), VIRTIO_ESTATE);
    /* Close: the device stops delivering. */
    CHECK_RC(virtio_console_close(&con, 1), VIRTIO_OK);
    CHECK_EQ(simc_count(&C, 1, SIMC_PORT_OPEN, &v), 2);
    CHECK_EQ(v, 0);
    CHECK(!(virtio_console_port_state(&con, 1) & VIRTIO_CONSOLE_STATE_GUEST_OPEN));
    simc_host_send(&C, 1, "late", 4);
    CHECK_RC(virtio_console_read_poll(&con, 1, out, sizeof out, &got), VIRTIO_EAGAIN);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    CHECK_EQ(con.ctrl_bad, 0);
}
/* A device that writes everything it may (all of every receive and control receive buffer,
   the whole used rings) never reaches the driver's shadows and port structures; data and
   control messages keep flowing (multiport, 4 ports). */
static void t_scribble(fx *f) {
    virtio_console con;
    virtio_console_params p = params(4, 4, 64, 16);
    virtio_console__plan L;
    uint8_t out[32], *mem;
    size_t got, sz;
    unsigned i;
    multi_setup(f, 0);
    f->s.scribble = 1;
    sz = virtio_console_mem_size(&p, &f->t);
    CHECK(sz != 0);
    mem = (uint8_t *)fx_alloc(f, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_console_init(&con, &f->t, &p, mem, sz), VIRTIO_OK);
    CHECK(virtio_console__plan_make(&p, &f->t, &L));
    CHECK(con.multiport);
    CHECK_RC(virtio_console_open(&con, 1), VIRTIO_OK);
    for (i = 0; i < 20; i++) {
        char msg[16];
        int n = snprintf(msg, sizeof msg, "line %u", i);
        simc_host_send(&C, i & 1u, msg, (size_t)n);
        simc_pump(&C);
        CHECK_RC(virtio_console_read_poll(&con, i & 1u, out, sizeof out, &got), VIRTIO_OK);
        CHECK_EQ(got, (size_t)n);
        CHECK_MEM(out, msg, (size_t)n);
        CHECK_RC(virtio_console_write(&con, i & 1u, G(f, msg, (size_t)n), (size_t)n), VIRTIO_OK);
    }
    CHECK_RC(virtio_console_close(&con, 1), VIRTIO_OK);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    CHECK_EQ(con.ctrl_bad, 0);
    CHECK(f->s.scribbled > 0);
    CHECK(sim_wrote_any(&f->s, mem, L.shadow_off));                          /* rings */
    CHECK(sim_wrote_any(&f->s, mem + L.ctrl_off, L.total - L.ctrl_off));     /* buffers */
    CHECK(!sim_wrote_any(&f->s, mem + L.shadow_off, L.msg_off - L.shadow_off)); /* private */
}

static void t_multi_spec_names(fx *f) { multi_basic(f, 0); }
static void t_multi_qemu_names(fx *f) { multi_basic(f, 1); }

/* Ports beyond the caller's memory are refused with PORT_READY 0, now and when hot-plugged. */
static void t_refuse(fx *f) {
    virtio_console con;
    uint16_t v = 9;
    uint32_t i;
    reconf(f, 7, 0, 0);
    for (i = 0; i < 6; i++) {
        char name[8] = "port0";
        name[4] = (char)('0' + i);
        simc_add_port(&C, i, name, i == 0, 1);
    }
    con_up(f, &con, 3, 4, 64, 16);
    CHECK_OK();
    CHECK_EQ(virtio_console_ports(&con), 3);
    for (i = 0; i < 6; i++) {
        CHECK_EQ(simc_count(&C, i, SIMC_PORT_READY, &v), 1);
        CHECK_EQ(v, i < 3 ? 1 : 0);
    }
    CHECK_EQ(con.refused, 3);
    CHECK_EQ(con.ctrl_bad, 0);
    simc_add_port(&C, 6, "port6", 0, 1);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    CHECK_EQ(simc_count(&C, 6, SIMC_PORT_READY, &v), 1);
    CHECK_EQ(v, 0);
    CHECK_EQ(con.refused, 4);
    /* What the device says about a refused port is ignored, quietly. */
    simc_ctrl(&C, 4, SIMC_PORT_OPEN, 0, NULL, 0);
    simc_ctrl(&C, 5, SIMC_PORT_NAME, 1, "x", 1);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    CHECK_EQ(con.ctrl_bad, 0);
    CHECK(f->s.q[8].live == 0); /* no queues for refused ports */
}

/* A port whose queues the device lacks is not served (and refused when announced). */
static void t_missing_queues(fx *f) {
    virtio_console con;
    uint16_t v = 9;
    reconf(f, 4, 0, 0);
    simc_add_port(&C, 0, NULL, 1, 1);
    simc_add_port(&C, 2, "two", 0, 1);
    f->s.q[6].num_max = f->s.q[7].num_max = 0;
    con_up(f, &con, 4, 4, 64, 16);
    CHECK_OK();
    CHECK_EQ(virtio_console_ports(&con), 2);
    CHECK_EQ(simc_count(&C, 2, SIMC_PORT_READY, &v), 1);
    CHECK_EQ(v, 0);
}

static void t_hotplug(fx *f) {
    virtio_console con;
    uint32_t id;
    uint8_t out[16];
    size_t got;
    reconf(f, 4, 0, 0);
    simc_add_port(&C, 0, NULL, 1, 1);
    con_up(f, &con, 4, 4, 64, 16);
    CHECK_OK();
    CHECK_RC(virtio_console_find(&con, "late", &id), VIRTIO_EAGAIN);
    simc_add_port(&C, 2, "late", 0, 1);
    CHECK_RC(virtio_console_find(&con, "late", &id), VIRTIO_OK);
    CHECK_EQ(id, 2);
    CHECK_RC(virtio_console_open(&con, 2), VIRTIO_OK);
    simc_host_send(&C, 2, "stale data", 10);
    CHECK_RC(virtio_console_read_poll(&con, 2, out, 3, &got), VIRTIO_OK);
    CHECK_EQ(got, 3);
    simc_remove_port(&C, 2);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    CHECK_EQ(virtio_console_port_state(&con, 2), 0);
    CHECK(virtio_console_port_name(&con, 2) == NULL);
    CHECK_RC(virtio_console_find(&con, "late", &id), VIRTIO_EAGAIN);
    CHECK_RC(virtio_console_read_poll(&con, 2, out, sizeof out, &got), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_write(&con, 2, G(f, "x", 1), 1), VIRTIO_ESTATE);
    /* Back again, another name: the old port's data must not show up. */
    simc_add_port(&C, 2, "again", 0, 1);
    CHECK_RC(virtio_console_find(&con, "again", &id), VIRTIO_OK);
    CHECK_EQ(id, 2);
    CHECK_RC(virtio_console_open(&con, 2), VIRTIO_OK);
    CHECK_RC(virtio_console_read_poll(&con, 2, out, sizeof out, &got), VIRTIO_EAGAIN);
    simc_host_send(&C, 2, "fresh", 5);
    CHECK_RC(virtio_console_read_poll(&con, 2, out, sizeof out, &got), VIRTIO_OK);
    CHECK_EQ(got, 5);
    CHECK_MEM(out, "fresh", 5);
    CHECK_EQ(con.ctrl_bad, 0);
}

/* A device that stops taking control messages while an answer is owed: non-blocking calls
   never wait for it (they used to wait a whole bound for each message), a blocking read waits
   one bound in all (it used to be the bound squared), open waits once and latches the control
   side, so nothing waits for that message again; data goes on. */
static void t_ctrl_stall(fx *f) {
    virtio_console con;
    uint8_t out[16];
    size_t got;
    unsigned long relax;
    spin_limit(f, 500);
    reconf(f, 4, 0, 0);
    simc_add_port(&C, 0, NULL, 1, 1);
    con_up(f, &con, 4, 4, 64, 16);
    CHECK_OK();
    C.ctrl_tx_stall = 1;
    simc_add_port(&C, 1, "one", 0, 1); /* PORT_READY owed: goes out, never taken */
    simc_add_port(&C, 2, "two", 0, 1); /* and another one owed behind it */
    relax = f->s.relax_calls;
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_EAGAIN);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "hi", 2), 2), VIRTIO_OK);
    CHECK_EQ(f->s.relax_calls, relax); /* not one idle iteration */
    CHECK_RC(virtio_console_read(&con, 0, out, sizeof out, &got), VIRTIO_ETIMEDOUT);
    CHECK_LE(f->s.relax_calls - relax, 501u);
    relax = f->s.relax_calls;
    CHECK_RC(virtio_console_open(&con, 1), VIRTIO_ETIMEDOUT);
    CHECK_LE(f->s.relax_calls - relax, 501u);
    relax = f->s.relax_calls;
    CHECK_RC(virtio_console_open(&con, 1), VIRTIO_ETIMEDOUT); /* latched: no second wait */
    CHECK_RC(virtio_console_service(&con), VIRTIO_ETIMEDOUT);
    CHECK_EQ(f->s.relax_calls, relax);
    simc_host_send(&C, 0, "data", 4); /* port 0 goes on */
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_OK);
    CHECK_EQ(got, 4);
}

/* Control messages that break the protocol: each dropped and counted, nothing else changes. */
static void t_bad_ctrl(fx *f) {
    virtio_console con;
    uint8_t m[300], cr[4];
    char name[VIRTIO_CONSOLE_NAME_MAX + 2];
    uint32_t id, before, i;
    uint16_t cols, rows;
    multi_setup(f, 1);
    con_up(f, &con, 3, 4, 64, 16); /* serves 0..2; port 3 would be refused */
    CHECK_OK();
    CHECK_EQ(con.ctrl_bad, 0);
#define BAD(stmt)                                                                                  \
    do {                                                                                           \
        before = con.ctrl_bad;                                                                     \
        stmt;                                                                                      \
        CHECK_RC(virtio_console_service(&con), VIRTIO_OK);                                         \
        CHECK_MSG(con.ctrl_bad == before + 1, "not counted as bad: %s", #stmt);                    \
    } while (0)
    memset(m, 0, sizeof m);
    BAD(simc_raw_ctrl(&C, m, 4));                                 /* short */
    BAD(simc_raw_ctrl(&C, m, 0));                                 /* empty */
    BAD(simc_ctrl(&C, 1, SIMC_PORT_OPEN, 1, "\0\0\0\0", 4));      /* oversize */
    BAD(simc_ctrl(&C, 1, SIMC_CONSOLE_PORT, 1, "\0", 1));         /* oversize */
    BAD(simc_ctrl(&C, 4, SIMC_DEVICE_ADD, 1, NULL, 0));           /* id = max_nr_ports */
    BAD(simc_ctrl(&C, 0xffffffffu, SIMC_DEVICE_ADD, 1, NULL, 0)); /* id far out */
    BAD(simc_ctrl(&C, 0x80000001u, SIMC_PORT_OPEN, 1, NULL, 0));  /* id far out */
    BAD(simc_ctrl(&C, 0, SIMC_DEVICE_ADD, 1, NULL, 0));           /* exists already */
    BAD(simc_ctrl(&C, 0, SIMC_DEVICE_ADD, 1, "\0\0\0\0", 4));     /* and oversize */
    /* An unknown or a driver-only event. */
    BAD(simc_ctrl(&C, 1, 99, 1, NULL, 0));
    BAD(simc_ctrl(&C, 1, SIMC_DEVICE_READY, 1, NULL, 0));
    BAD(simc_ctrl(&C, 1, SIMC_PORT_READY, 1, NULL, 0));
    BAD(simc_ctrl(&C, 1, SIMC_PORT_OPEN, 2, NULL, 0)); /* value not 0 or 1 */
    BAD(simc_ctrl(&C, 1, SIMC_RESIZE, 0, NULL, 0));    /* no struct virtio_console_resize */
    BAD(simc_ctrl(&C, 1, SIMC_RESIZE, 0, "\1\0\2\0\3\0", 6));
    /* Names. */
    BAD(simc_ctrl(&C, 1, SIMC_PORT_NAME, 1, NULL, 0));     /* empty */
    BAD(simc_ctrl(&C, 1, SIMC_PORT_NAME, 1, "\0\0", 2));   /* only NULs */
    BAD(simc_ctrl(&C, 1, SIMC_PORT_NAME, 1, "ev\0il", 5)); /* NUL inside */
    for (i = 0; i < VIRTIO_CONSOLE_NAME_MAX + 1u; i++)
        name[i] = (char)('a' + i % 26u);
    BAD(simc_ctrl(&C, 1, SIMC_PORT_NAME, 1, name, VIRTIO_CONSOLE_NAME_MAX + 1u)); /* too long */
    CHECK(strcmp(virtio_console_port_name(&con, 1), "org.test.alpha") == 0);
    /* Events for ports that do not exist (below max_nr_ports and the ports served). */
    simc_remove_port(&C, 2);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    BAD(simc_ctrl(&C, 2, SIMC_DEVICE_REMOVE, 1, NULL, 0));
    BAD(simc_ctrl(&C, 2, SIMC_PORT_NAME, 1, "ghost", 5));
    BAD(simc_ctrl(&C, 2, SIMC_PORT_OPEN, 1, NULL, 0));
    BAD(simc_ctrl(&C, 2, SIMC_CONSOLE_PORT, 1, NULL, 0));
    BAD(simc_ctrl(&C, 2, SIMC_RESIZE, 0, "\1\0\2\0", 4));
#undef BAD
    CHECK_EQ(virtio_console_port_state(&con, 2), 0);
    /* Well-formed ones still work after all that: a name without NUL (the spec's way), one
       of exactly VIRTIO_CONSOLE_NAME_MAX bytes, a resize. */
    before = con.ctrl_bad;
    simc_ctrl(&C, 1, SIMC_PORT_NAME, 1, "renamed", 7);
    CHECK_RC(virtio_console_find(&con, "renamed", &id), VIRTIO_OK);
    CHECK_EQ(id, 1);
    name[VIRTIO_CONSOLE_NAME_MAX] = 0;
    simc_ctrl(&C, 1, SIMC_PORT_NAME, 1, name, VIRTIO_CONSOLE_NAME_MAX);
    CHECK_RC(virtio_console_find(&con, name, &id), VIRTIO_OK);
    CHECK_RC(virtio_console_size(&con, 1, &cols, &rows), VIRTIO_ENOTSUP);
    sim_st16(&f->s, cr, 132); /* struct virtio_console_resize: device order */
    sim_st16(&f->s, cr + 2, 43);
    simc_ctrl(&C, 1, SIMC_RESIZE, 0, cr, 4);
    CHECK_RC(virtio_console_size(&con, 1, &cols, &rows), VIRTIO_OK);
    CHECK(cols == 132 && rows == 43);
    CHECK(virtio_console_port_state(&con, 1) & VIRTIO_CONSOLE_STATE_SIZE);
    /* Messages about port 3 (a port we would refuse) are ignored without complaint. */
    simc_ctrl(&C, 3, SIMC_PORT_OPEN, 1, NULL, 0);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    CHECK_EQ(con.ctrl_bad, before);
    CHECK_EQ(con.ctrl_error, 0);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "still here", 10), 10), VIRTIO_OK);
    CHECK_EQ(C.port[0].out_len, 10);
}

/* A control message longer than its buffer (QEMU reports the full length): clamped to the
   buffer and counted; the truncated name is taken as it is, the ports keep working. */
static void t_ctrl_len_big(fx *f) {
    virtio_console con;
    char name[200];
    uint8_t out[8];
    size_t got;
    uint32_t id;
    multi_setup(f, 1);
    con_up(f, &con, 4, 4, 64, 16);
    CHECK_OK();
    memset(name, 'n', sizeof name);
    simc_ctrl(&C, 1, SIMC_PORT_NAME, 1, name, sizeof name);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    CHECK_EQ(con.ctrl_error, 0);
    CHECK(virtio_dev_clamped(&con.dev) >= 1u);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    CHECK(virtio_console_find(&con, "org.test.alpha", &id) != VIRTIO_EDEVICE);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "port 0", 6), 6), VIRTIO_OK);
    simc_host_send(&C, 0, "in", 2);
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_OK);
    CHECK_EQ(got, 2);
    CHECK_RC(virtio_dev_usable(&con.dev), VIRTIO_OK);
}

/* A port's receive buffer used with more than was posted: clamped and counted, the port goes on. */
static void t_rx_len_big(fx *f) {
    virtio_console con;
    uint8_t out[8];
    size_t got;
    multi_setup(f, 1);
    con_up(f, &con, 4, 4, 64, 16);
    CHECK_OK();
    CHECK_RC(virtio_console_open(&con, 1), VIRTIO_OK);
    f->s.mis = SIM_MIS_USED_LEN_BIG;
    simc_host_send(&C, 1, "boom", 4);
    CHECK_RC(virtio_console_read_poll(&con, 1, out, sizeof out, &got), VIRTIO_OK);
    CHECK_EQ(virtio_dev_clamped(&con.dev), 1u);
    CHECK(memcmp(out, "boom", 4) == 0);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "ok", 2), 2), VIRTIO_OK);
    simc_host_send(&C, 0, "fine", 4);
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_OK);
    CHECK_EQ(got, 4);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
}

/* QEMU drops control messages that find no buffer: with ctrl_bufs >= ports + 3 none is lost,
   all seven ports come up named, QEMU-style names with NUL. */
static void t_qemu_drop(fx *f) {
    virtio_console con;
    uint32_t i, id;
    reconf(f, 7, 0, 0);
    C.ctrl_drop = 1;
    C.name_nul = 1;
    for (i = 0; i < 7; i++) {
        char name[8] = "qport0";
        name[5] = (char)('0' + i);
        simc_add_port(&C, i, name, i == 0, 1);
    }
    con_up(f, &con, 7, 2, 32, 10);
    CHECK_OK();
    CHECK_EQ(C.msgs_dropped, 0);
    for (i = 0; i < 7; i++) {
        char name[8] = "qport0";
        name[5] = (char)('0' + i);
        CHECK_RC(virtio_console_find(&con, name, &id), VIRTIO_OK);
        CHECK_EQ(id, i);
        CHECK(virtio_console_port_state(&con, i) & VIRTIO_CONSOLE_STATE_HOST_OPEN);
    }
    CHECK(virtio_console_port_state(&con, 0) & VIRTIO_CONSOLE_STATE_GUEST_OPEN);
}

/* ---- The device's configuration and the caller's mistakes ------------------------------------ */
static void t_bad_max_ports(fx *f) {
    virtio_console con;
    static const uint32_t bad[] = {0, 32768, 0xffffffffu};
    unsigned i;
    void *mem = fx_alloc(f, VIRTIO_CONSOLE_MEM(2, 4, 64, 8), 4096);
    virtio_console_params p = params(2, 4, 64, 8);
    for (i = 0; i < 3; i++) {
        reconf(f, 4, 0, 0);
        sim_cfg_w32(&f->s, 4, bad[i]);
        CHECK_RC(virtio_console_init(&con, &f->t, &p, mem, VIRTIO_CONSOLE_MEM(2, 4, 64, 8)),
                 VIRTIO_EDEVICE);
        CHECK(f->s.status & SIM_S_FAILED);
        CHECK(!(f->s.status & SIM_S_DRIVER_OK));
    }
}

/* Fills n bytes with a pattern the driver never writes; checks it is still there. */
static void fill_a5(void *p, size_t n) { memset(p, 0xa5, n); }
static int all_a5(const void *p, size_t n) {
    const uint8_t *b = (const uint8_t *)p;
    size_t i;
    for (i = 0; i < n; i++)
        if (b[i] != 0xa5) return 0;
    return 1;
}

static void t_args(fx *f) {
    virtio_console con;
    virtio_console_params p = params(1, 4, 64, 0), q;
    size_t sz = virtio_console_mem_size(&p, &f->t), got;
    size_t align = virtio_queue_ring_align(&f->t);
    uint8_t *mem = (uint8_t *)fx_alloc(f, sz + 4096, 4096), out[4];
    const void *d;
    uint32_t id;
    uint16_t cols, rows;
    unsigned long chains, reads;
    CHECK(sz != 0);
    CHECK_RC(virtio_console_init(NULL, &f->t, &p, mem, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_init(&con, NULL, &p, mem, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_init(&con, &f->t, &p, NULL, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_init(&con, &f->t, &p, mem, sz - 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_init(&con, &f->t, &p, mem + align / 2, sz), VIRTIO_EINVAL);
    q = p;
    q.ports = VIRTIO_CONSOLE_PORTS_MAX + 1u;
    CHECK_RC(virtio_console_init(&con, &f->t, &q, mem, sz), VIRTIO_EINVAL);
    q = p;
    q.rx_bufs = VIRTIO_QUEUE_SIZE_MAX + 1u;
    CHECK_RC(virtio_console_init(&con, &f->t, &q, mem, sz), VIRTIO_EINVAL);
    q = p;
    q.rx_buf_size = 0x80000000u;
    CHECK_RC(virtio_console_init(&con, &f->t, &q, mem, sz), VIRTIO_EINVAL);
    q = p;
    q.ports = 2;
    q.ctrl_bufs = VIRTIO_QUEUE_SIZE_MAX + 1u;
    CHECK_RC(virtio_console_init(&con, &f->t, &q, mem, sz), VIRTIO_EINVAL);
    /* Caller errors touch nothing: not one register write. */
    CHECK_EQ(f->s.writes, 0);
    CHECK_EQ(f->s.status, 0);
    /* Memory for 2 ports is more than for one. */
    q = p;
    q.ports = 2;
    CHECK_RC(virtio_console_init(&con, &f->t, &q, mem, sz), VIRTIO_EINVAL);
    CHECK_EQ(f->s.writes, 0);
    CHECK_RC(virtio_console_init(&con, &f->t, &p, mem, sz), VIRTIO_OK);

    chains = f->s.chains_total;
    reads = f->s.reads;
    CHECK_RC(virtio_console_write(&con, 1, G(f, "x", 1), 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_write(&con, 0, NULL, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_write(NULL, 0, "x", 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_write_submit(&con, 1, G(f, "x", 1), 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_write_submit(&con, 0, NULL, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_write_submit(NULL, 0, "x", 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_kick(&con, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_kick(NULL, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_write_poll(&con, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_write_wait(&con, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_write_wait(NULL, 0), VIRTIO_EINVAL);
    CHECK_EQ(virtio_console_write_pending(&con, 1), 0);
    CHECK_EQ(virtio_console_write_pending(NULL, 0), 0);
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_read_poll(&con, 0, NULL, 4, &got), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_read_poll(&con, 7, out, sizeof out, &got), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_read(&con, 1, out, sizeof out, &got), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_read(&con, 0, out, sizeof out, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_recv_poll(&con, 0, NULL, &got), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_recv_poll(&con, 0, &d, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_recv_poll(&con, 2, &d, &got), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_recv_wait(&con, 0, NULL, &got), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_recv_wait(&con, 3, &d, &got), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_release(&con, 1, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_release(NULL, 0, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_find(&con, NULL, &id), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_find(&con, "x", NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_find(NULL, "x", &id), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_open(&con, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_close(NULL, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_size(&con, 0, &cols, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_service(NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_reset(NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_emerg_write(&con.dev, NULL, 1), VIRTIO_EINVAL);
    CHECK_EQ(f->s.chains_total, chains);
    CHECK_EQ(f->s.reads, reads); /* not even a register read */
    CHECK_EQ(virtio_console_ports(NULL), 0);
    CHECK_EQ(virtio_console_port_state(NULL, 0), 0);
    CHECK_EQ(virtio_console_port_state(&con, 1), 0);
    CHECK(virtio_console_port_name(NULL, 0) == NULL);
    /* Without multiport: open, close and service are no-ops. */
    CHECK_RC(virtio_console_open(&con, 0), VIRTIO_OK);
    CHECK_RC(virtio_console_close(&con, 0), VIRTIO_OK);
    CHECK_RC(virtio_console_service(&con), VIRTIO_OK);
    CHECK_EQ(C.nlog, 0);
    (void)rows;
}

/* Transports for the memory cases: the fixture's (modern, RUN_ONCE) and a legacy one probed
   from a second simulated console. */
static void two_transports(fx *f, virtio_transport *modern, virtio_transport *legacy) {
    sim *e = fx_extra(f, 1);
    virtio_regs er;
    sim_init_echo(e, &f->arena, 1, VIRTIO_ID_CONSOLE);
    er = sim_regs(e);
    *modern = f->t;
    CHECK(!virtio_transport_legacy(modern));
    CHECK_RC(virtio_mmio_transport(legacy, &er), VIRTIO_OK);
    CHECK(virtio_transport_legacy(legacy));
}

/* virtio_console_mem_size fits in VIRTIO_CONSOLE_MEM for both versions, and is exactly it for
   the NULL (any) transport; nonsense gives 0. */
static void t_mem_size(fx *f) {
    static const uint32_t ports[] = {0, 1, 2, 5}, bufs[] = {0, 1, 3, 8, 200},
                          sizes[] = {0, 1, 64, 4096}, ctrl[] = {0, 1, 32, 100};
    unsigned a, b, c, d, v;
    virtio_transport tr[2];
    virtio_console_params p;
    two_transports(f, &tr[0], &tr[1]);
    CHECK_OK();
    for (a = 0; a < 4; a++)
        for (b = 0; b < 5; b++)
            for (c = 0; c < 4; c++)
                for (d = 0; d < 4; d++) {
                    size_t bound = VIRTIO_CONSOLE_MEM(ports[a], bufs[b], sizes[c], ctrl[d]);
                    p = params(ports[a], bufs[b], sizes[c], ctrl[d]);
                    for (v = 0; v < 2; v++) {
                        size_t sz = virtio_console_mem_size(&p, &tr[v]);
                        CHECK(sz != 0);
                        CHECK_LE(sz, bound);
                    }
                    CHECK_EQ(virtio_console_mem_size(&p, NULL), bound);
                }
    p = params(0, 0, 0, 0);
    CHECK_EQ(virtio_console_mem_size(NULL, &tr[0]), virtio_console_mem_size(&p, &tr[0]));
    CHECK_EQ(virtio_console_mem_size(NULL, NULL), VIRTIO_CONSOLE_MEM(0, 0, 0, 0));
    p.rx_buf_size = 0x80000000u;
    CHECK_EQ(virtio_console_mem_size(&p, &tr[0]), 0);
    p = params(VIRTIO_CONSOLE_PORTS_MAX + 1u, 0, 0, 0);
    CHECK_EQ(virtio_console_mem_size(&p, NULL), 0);
    CHECK_EQ(sizeof(virtio_console_ctrl), 8);
    p = params(1, 8, 512, 0);
    printf("INFO console memory for VIRTIO_CONSOLE_MEM(1, 8, 512, 0): modern %zu, legacy %zu, "
           "any transport %zu (macro %zu)\n",
           virtio_console_mem_size(&p, &tr[0]), virtio_console_mem_size(&p, &tr[1]),
           virtio_console_mem_size(&p, NULL), (size_t)VIRTIO_CONSOLE_MEM(1, 8, 512, 0));
}

/* One port: no control queues, no padding beyond the ring layout; the rings open the block. */
static void t_mem_layout(fx *f) {
    virtio_console con;
    virtio_console_params p = params(1, 8, 512, 0), m2 = params(2, 8, 512, 4);
    size_t sz = virtio_console_mem_size(&p, &f->t), pieces, extra;
    uint8_t *mem;
    pieces = virtio_queue_ring_size(&f->t, 8) + virtio_queue_ring_size(&f->t, 4) +
             virtio_queue_shadow_size(8) + virtio_queue_shadow_size(4) +
             ((sizeof(virtio_console_port) + 7u) & ~(size_t)7u) + 8u * 512u;
    CHECK_EQ(sz, pieces);
    /* A second port adds its queues, state and buffers, and the control queues. */
    extra = virtio_queue_ring_size(&f->t, 4) * 2u + 4u * VIRTIO_CONSOLE_CTRL_BUF_SIZE;
    CHECK_GE(virtio_console_mem_size(&m2, &f->t), 2 * sz + extra);
    mem = (uint8_t *)fx_alloc(f, sz, virtio_queue_ring_align(&f->t));
    CHECK_RC(virtio_console_init(&con, &f->t, &p, mem, sz), VIRTIO_OK);
    CHECK_EQ(f->s.q[0].desc, sim_gpa(&f->s, mem));
    CHECK_EQ(f->s.q[1].desc, sim_gpa(&f->s, mem + virtio_queue_ring_size(&f->t, 8)));
    CHECK(!f->s.q[2].live && !f->s.q[3].live);
    simc_host_send(&C, 0, "ok", 2);
    CHECK_EQ(f->s.log[0].addr[0], sim_gpa(&f->s, mem + sz - 8u * 512u)); /* rx buffers last */
}

/* ---- Buffer ownership and the object's state ------------------------------------------------- */

/* Caller errors change nothing: no register access, not a byte of the memory or the object. */
static void t_caller_errors_nothing(fx *f) {
    virtio_console con, copy;
    virtio_console_params p = params(2, 4, 64, 8), q;
    size_t sz = virtio_console_mem_size(&p, &f->t), align = virtio_queue_ring_align(&f->t);
    uint8_t *mem = (uint8_t *)fx_alloc(f, sz + align, align);
    unsigned long reads = f->s.reads;
    fill_a5(mem, sz + align);
    memset(&con, 0x5a, sizeof con);
    copy = con;
    CHECK_RC(virtio_console_init(&con, &f->t, &p, mem, sz - 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_init(&con, &f->t, &p, mem + 8, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_console_init(&con, &f->t, &p, NULL, sz), VIRTIO_EINVAL);
    q = p;
    q.rx_bufs = VIRTIO_QUEUE_SIZE_MAX + 1u;
    CHECK_RC(virtio_console_init(&con, &f->t, &q, mem, sz), VIRTIO_EINVAL);
    q = p;
    q.rx_buf_size = 0xffffffffu;
    CHECK_RC(virtio_console_init(&con, &f->t, &q, mem, sz), VIRTIO_EINVAL);
    q = p;
    q.ports = 3;
    CHECK_RC(virtio_console_init(&con, &f->t, &q, mem, sz), VIRTIO_EINVAL);
    CHECK_EQ(f->s.writes, 0);
    CHECK_EQ(f->s.reads, reads);
    CHECK(all_a5(mem, sz + align));
    CHECK(memcmp(&con, &copy, sizeof con) == 0);
}

/* A transport to a device of another type: ENODEV before any register write or memory byte. */
static void t_wrong_type(fx *f) {
    virtio_console con;
    virtio_console_params p = params(1, 4, 64, 0);
    size_t sz;
    uint8_t *mem;
    uint8_t out[4];
    size_t got;
    sim_destroy(&f->s);
    CHECK_EQ(sim_init_blk(&f->s, &f->arena, f->ver, 8), 0);
    CHECK_RC(fx_transport(f), VIRTIO_OK);
    sz = virtio_console_mem_size(&p, &f->t);
    mem = (uint8_t *)fx_alloc(f, sz, virtio_queue_ring_align(&f->t));
    fill_a5(mem, sz);
    CHECK_RC(virtio_console_init(&con, &f->t, &p, mem, sz), VIRTIO_ENODEV);
    CHECK_EQ(f->s.writes, 0);
    CHECK_EQ(f->s.resets, 0);
    CHECK(all_a5(mem, sz));
    /* The object is left unusable, not half set up. */
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_ESTATE);
    CHECK_EQ(virtio_console_ports(&con), 0);
}

/* Whether the memory block was still untouched when the device was first reset. */
static struct {
    const uint8_t *mem;
    size_t n;
    int resets, intact;
} RB;
static void rb_on_reset(simc *c) {
    (void)c;
    if (RB.resets++ == 0) RB.intact = all_a5(RB.mem, RB.n);
}

/* A device an earlier boot stage left running may still write its buffers: init resets it
   before it writes a byte of the new block, and gives up without writing when it cannot. */
static void t_init_resets_first(fx *f) {
    virtio_console early, con;
    virtio_console_params p = params(1, 4, 64, 0);
    size_t sz = virtio_console_mem_size(&p, &f->t), got;
    uint8_t *mem = (uint8_t *)fx_alloc(f, sz, virtio_queue_ring_align(&f->t)), out[8];
    con_up(f, &early, 1, 4, 64, 0); /* the earlier stage, left running */
    CHECK_OK();
    memset(&RB, 0, sizeof RB);
    RB.mem = mem;
    RB.n = sz;
    C.on_reset = rb_on_reset;
    fill_a5(mem, sz);
    CHECK_RC(virtio_console_init(&con, &f->t, &p, mem, sz), VIRTIO_OK);
    C.on_reset = NULL;
    CHECK_EQ(RB.resets, 1);
    CHECK(RB.intact);
    simc_host_send(&C, 0, "new", 3);
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_OK);
    CHECK_EQ(got, 3);
    /* A device that does not reset: VIRTIO_EBUSY, and not a byte of the block written. */
    f->s.reset_stuck = 1;
    fill_a5(mem, sz);
    CHECK_RC(virtio_console_init(&con, &f->t, &p, mem, sz), VIRTIO_EBUSY);
    CHECK(all_a5(mem, sz));
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_EBUSY);
}

/* The reset of a failed transmit wait does not complete: VIRTIO_EBUSY, the buffer is still
   counted as the device's, and virtio_console_reset tries again. */
static void t_tx_reset_stuck(fx *f) {
    virtio_console con;
    spin_limit(f, 2000);
    CHECK_OK();
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    simc_throttle(&C, 0, 1);
    f->s.reset_stuck = 1;
    CHECK_RC(virtio_console_write(&con, 0, G(f, "abc", 3), 3), VIRTIO_EBUSY);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 1);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "def", 3), 3), VIRTIO_EBUSY);
    CHECK_RC(virtio_console_reset(&con), VIRTIO_EBUSY);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 1);
    f->s.reset_stuck = 0;
    CHECK_RC(virtio_console_reset(&con), VIRTIO_OK);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 0);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "def", 3), 3), VIRTIO_ESTATE);
    CHECK_EQ(C.port[0].out_len, 0);
}

/* The other ways a transmit can fail while the device holds the buffer: NEEDS_RESET during the
   wait, a used ring fault seen by a poll. Each resets the device before it returns. */
static void t_tx_fault_resets(fx *f) {
    virtio_console con;
    unsigned long resets;
    spin_limit(f, 2000);
    CHECK_OK();
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    simc_throttle(&C, 0, 1);
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "abc", 3), 3), VIRTIO_OK);
    sim_set_needs_reset(&f->s);
    resets = f->s.resets;
    CHECK_RC(virtio_console_write_wait(&con, 0), VIRTIO_ENEEDS_RESET);
    CHECK_EQ(f->s.resets, resets + 1u);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 0);
    simc_throttle(&C, 0, 0);
    CHECK_EQ(C.port[0].out_len, 0);
    /* A used id out of range, found by a poll (which never waits, but must not leave the
       buffer with a broken device either). */
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    f->s.mis = SIM_MIS_USED_ID_OOR;
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "def", 3), 3), VIRTIO_OK);
    CHECK_RC(virtio_console_kick(&con, 0), VIRTIO_OK);
    resets = f->s.resets;
    CHECK_RC(virtio_console_write_poll(&con, 0), VIRTIO_EDEVICE);
    CHECK_EQ(f->s.resets, resets + 1u);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 0);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "x", 1), 1), VIRTIO_EDEVICE);
}

/* write_wait with nothing pending: VIRTIO_EAGAIN at once, not a spin of the whole bound. */
static void t_write_wait_nothing(fx *f) {
    virtio_console con;
    unsigned long relax, reads;
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    relax = f->s.relax_calls;
    reads = f->s.reads;
    CHECK_RC(virtio_console_write_wait(&con, 0), VIRTIO_EAGAIN);
    CHECK_RC(virtio_console_write_poll(&con, 0), VIRTIO_EAGAIN);
    CHECK_EQ(f->s.relax_calls, relax);
    CHECK_LE(f->s.reads, reads + 1u);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "x", 1), 1), VIRTIO_OK);
    relax = f->s.relax_calls;
    CHECK_RC(virtio_console_write_wait(&con, 0), VIRTIO_EAGAIN);
    CHECK_EQ(f->s.relax_calls, relax);
}

/* Submitted buffers: queued without a notification, one kick for the batch, taken back by
   poll and wait; a full queue says ENOSPC; the bare write finishes what was pending first. */
static void t_submit_batch(fx *f) {
    virtio_console con;
    unsigned long n0;
    unsigned i;
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    n0 = f->s.q[1].notifies;
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "ab", 2), 2), VIRTIO_OK);
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "cd", 2), 2), VIRTIO_OK);
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "ef", 2), 2), VIRTIO_OK);
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "gh", 2), 2), VIRTIO_OK);
    CHECK_EQ(virtio_console_write_pending(&con, 0), VIRTIO_CONSOLE_TX_QUEUE_SIZE);
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "ij", 2), 2), VIRTIO_ENOSPC);
    CHECK_RC(virtio_console_write_submit(&con, 0, NULL, 0), VIRTIO_OK); /* nothing */
    CHECK_EQ(f->s.q[1].notifies, n0);
    CHECK_EQ(f->s.q[1].chains, 0);
    CHECK_RC(virtio_console_write_poll(&con, 0), VIRTIO_EAGAIN);
    CHECK_RC(virtio_console_kick(&con, 0), VIRTIO_OK);
    CHECK_EQ(f->s.q[1].notifies, n0 + 1u);
    CHECK_EQ(f->s.q[1].chains, 4);
    CHECK_EQ(C.port[0].out_len, 8);
    CHECK_MEM(C.port[0].out, "abcdefgh", 8);
    for (i = 0; i < 3; i++)
        CHECK_RC(virtio_console_write_poll(&con, 0), VIRTIO_OK);
    CHECK_RC(virtio_console_write_wait(&con, 0), VIRTIO_OK);
    CHECK_RC(virtio_console_write_poll(&con, 0), VIRTIO_EAGAIN);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 0);
    CHECK_RC(virtio_console_kick(&con, 0), VIRTIO_OK); /* nothing new: no notification */
    CHECK_EQ(f->s.q[1].notifies, n0 + 1u);
    /* write_wait tells the device about what was not kicked yet. */
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "ij", 2), 2), VIRTIO_OK);
    CHECK_RC(virtio_console_write_wait(&con, 0), VIRTIO_OK);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 0);
    /* The bare write waits for earlier submissions too. */
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "kl", 2), 2), VIRTIO_OK);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "mn", 2), 2), VIRTIO_OK);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 0);
    CHECK_EQ(C.port[0].out_len, 14);
    CHECK_MEM(C.port[0].out, "abcdefghijklmn", 14);
    /* A held buffer: pending until the host reads. */
    simc_throttle(&C, 0, 1);
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "op", 2), 2), VIRTIO_OK);
    CHECK_RC(virtio_console_kick(&con, 0), VIRTIO_OK);
    CHECK_RC(virtio_console_write_poll(&con, 0), VIRTIO_EAGAIN);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 1);
    simc_throttle(&C, 0, 0);
    CHECK_RC(virtio_console_write_poll(&con, 0), VIRTIO_OK);
    CHECK_MEM(C.port[0].out + 14, "op", 2);
}

/* Zero-copy receive, waiting: bounded, no reset on a timeout, the bytes in place. */
static void t_recv_wait(fx *f) {
    virtio_console con;
    const void *d;
    size_t len;
    spin_limit(f, 3000);
    CHECK_OK();
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    CHECK_RC(virtio_console_recv_wait(&con, 0, &d, &len), VIRTIO_ETIMEDOUT);
    CHECK_EQ(f->s.resets, 1);
    CHECK_GE(f->s.relax_max_iter, 2999);
    simc_host_send(&C, 0, "xyz", 3);
    CHECK_RC(virtio_console_recv_wait(&con, 0, &d, &len), VIRTIO_OK);
    CHECK_EQ(len, 3);
    CHECK_MEM(d, "xyz", 3);
    CHECK_RC(virtio_console_release(&con, 0, 3), VIRTIO_OK);
    CHECK_EQ(sim_avail_idx(&f->s, 0), 5);
}

/* virtio_console_reset: the device lets go of everything; init again to go on. */
static void t_reset(fx *f) {
    virtio_console con;
    uint8_t out[4];
    size_t got;
    unsigned long resets;
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    simc_throttle(&C, 0, 1);
    CHECK_RC(virtio_console_write_submit(&con, 0, G(f, "abc", 3), 3), VIRTIO_OK);
    CHECK_RC(virtio_console_kick(&con, 0), VIRTIO_OK);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 1);
    resets = f->s.resets;
    CHECK_RC(virtio_console_reset(&con), VIRTIO_OK);
    CHECK_EQ(f->s.resets, resets + 1u);
    CHECK_EQ(f->s.status, 0);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 0);
    CHECK_EQ(virtio_console_ports(&con), 0);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "x", 1), 1), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_ESTATE);
    simc_throttle(&C, 0, 0);
    CHECK_EQ(C.port[0].out_len, 0);
    CHECK_RC(virtio_console_emerg_write(&con.dev, "!", 1), VIRTIO_OK); /* still there */
    con_up(f, &con, 1, 4, 64, 0);
    CHECK_OK();
    CHECK_RC(virtio_console_write(&con, 0, G(f, "def", 3), 3), VIRTIO_OK);
    CHECK_MEM(C.port[0].out, "def", 3);
}

/* A zeroed object: VIRTIO_ESTATE from every call, and no register touched. */
static void t_zeroed(fx *f) {
    virtio_console con;
    virtio_dev d;
    uint8_t out[4];
    size_t got;
    const void *data;
    uint32_t id;
    uint16_t cols, rows;
    unsigned long reads = f->s.reads, relax = f->s.relax_calls;
    memset(&con, 0, sizeof con);
    memset(&d, 0, sizeof d);
    CHECK_RC(virtio_console_reset(&con), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_emerg_write(&d, "x", 1), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_emerg_write(&con.dev, "x", 1), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_size(&con, 0, &cols, &rows), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_service(&con), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_find(&con, "x", &id), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_open(&con, 0), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_close(&con, 0), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_write(&con, 0, "x", 1), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_write_submit(&con, 0, "x", 1), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_kick(&con, 0), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_write_poll(&con, 0), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_write_wait(&con, 0), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_read(&con, 0, out, sizeof out, &got), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_read_poll(&con, 0, out, sizeof out, &got), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_recv_poll(&con, 0, &data, &got), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_recv_wait(&con, 0, &data, &got), VIRTIO_ESTATE);
    CHECK_RC(virtio_console_release(&con, 0, 0), VIRTIO_ESTATE);
    CHECK_EQ(virtio_console_write_pending(&con, 0), 0);
    CHECK_EQ(virtio_console_ports(&con), 0);
    CHECK_EQ(virtio_console_port_state(&con, 0), 0);
    CHECK(virtio_console_port_name(&con, 0) == NULL);
    CHECK_EQ(f->s.reads, reads);
    CHECK_EQ(f->s.writes, 0);
    CHECK_EQ(f->s.relax_calls, relax);
}

/* An accessor whose `user` is NULL (its callbacks find the device by themselves): the caller
   probes the transport, and the console never looks at `user`. */
static virtio_regs NU;       /* the accessor the NULL-user one forwards to */
static unsigned long nu_bad; /* callbacks that got a non-NULL user */
static void *nu(void *u) {
    if (u) nu_bad++;
    return NU.user;
}
static uint8_t nu_read8(void *u, unsigned rg, uint32_t off) { return NU.read8(nu(u), rg, off); }
static uint16_t nu_read16(void *u, unsigned rg, uint32_t off) { return NU.read16(nu(u), rg, off); }
static uint32_t nu_read32(void *u, unsigned rg, uint32_t off) { return NU.read32(nu(u), rg, off); }
static void nu_write8(void *u, unsigned rg, uint32_t off, uint8_t v) {
    NU.write8(nu(u), rg, off, v);
}
static void nu_write16(void *u, unsigned rg, uint32_t off, uint16_t v) {
    NU.write16(nu(u), rg, off, v);
}
static void nu_write32(void *u, unsigned rg, uint32_t off, uint32_t v) {
    NU.write32(nu(u), rg, off, v);
}
static uint64_t nu_dma(void *u, const void *p) { return NU.dma(nu(u), p); }

static void t_null_user(fx *f) {
    virtio_regs r;
    virtio_transport t;
    virtio_console con;
    virtio_dev d;
    virtio_console_params p = params(1, 4, 64, 0);
    size_t sz, got;
    uint8_t *mem, out[8];
    NU = f->regs;
    nu_bad = 0;
    r = f->regs;
    r.read8 = nu_read8;
    r.read16 = nu_read16;
    r.read32 = nu_read32;
    r.write8 = nu_write8;
    r.write16 = nu_write16;
    r.write32 = nu_write32;
    r.dma = nu_dma;
    r.user = NULL;
    CHECK_RC(virtio_mmio_transport(&t, &r), VIRTIO_OK);
    CHECK_RC(virtio_console_emerg_init(&d, &t), VIRTIO_OK);
    CHECK_RC(virtio_console_emerg_write(&d, "hi", 2), VIRTIO_OK);
    CHECK_MEM(C.emerg, "hi", 2);
    sz = virtio_console_mem_size(&p, &t);
    mem = (uint8_t *)fx_alloc(f, sz, virtio_queue_ring_align(&t));
    CHECK_RC(virtio_console_init(&con, &t, &p, mem, sz), VIRTIO_OK);
    CHECK_RC(virtio_console_write(&con, 0, G(f, "null", 4), 4), VIRTIO_OK);
    CHECK_MEM(C.port[0].out, "null", 4);
    simc_host_send(&C, 0, "user", 4);
    CHECK_RC(virtio_console_read(&con, 0, out, sizeof out, &got), VIRTIO_OK);
    CHECK_EQ(got, 4);
    CHECK_MEM(out, "user", 4);
    CHECK_EQ(nu_bad, 0);
}

/* Initializing again resets the device and starts over (multiport included). */
static void t_reinit(fx *f) {
    virtio_console con;
    uint32_t id;
    multi_setup(f, 0);
    con_up(f, &con, 4, 4, 64, 16);
    CHECK_OK();
    CHECK_RC(virtio_console_open(&con, 1), VIRTIO_OK);
    con_up(f, &con, 4, 4, 64, 16);
    CHECK_OK();
    CHECK_EQ(simc_count(&C, ~0u, SIMC_DEVICE_READY, NULL), 2);
    CHECK_EQ(simc_count(&C, 1, SIMC_PORT_READY, NULL), 2);
    CHECK_RC(virtio_console_find(&con, "org.test.beta", &id), VIRTIO_OK);
    CHECK(!(virtio_console_port_state(&con, 1) & VIRTIO_CONSOLE_STATE_GUEST_OPEN));
    CHECK_EQ(C.port[1].guest_open, 0);
}

static const tcase cases[] = {
    {"kvmtool: transmit used length -> clamped, counted, writes go on", t_kvmtool_write, RUN_BOTH},
    {"emergency write on an unconfigured device: no reset, NUL as 0x100", t_emerg_unconfigured,
     RUN_BOTH},
    {"emergency write not offered -> ENOTSUP, nothing written", t_emerg_not_offered, RUN_BOTH},
    {"emergency write: wrong device, bad arguments", t_emerg_wrong_device, RUN_BOTH},
    {"emergency write after a latched fault", t_emerg_after_fault, RUN_BOTH},
    {"init, one port: features, queues 0/1, buffers posted", t_init_single, RUN_BOTH | RUN_EIDX},
    {"write: a buffer, a descriptor, a notification each", t_write, RUN_BOTH | RUN_EIDX},
    {"read in pieces: offset kept, buffer back only when read", t_read_partial,
     RUN_BOTH | RUN_EIDX},
    {"1 MiB each way in random pieces, read and peek mixed", t_stress, RUN_BOTH | RUN_EIDX},
    {"read (waits): bounded, no reset on timeout, data, NEEDS_RESET", t_read_wait, RUN_BOTH},
    {"recv_poll and release (zero-copy)", t_peek_consume, RUN_BOTH},
    {"receive buffer used with 0 bytes is re-posted", t_rx_empty, RUN_BOTH},
    {"transmit held by the device: ETIMEDOUT resets the device, buffer never read", t_tx_timeout,
     RUN_BOTH},
    {"console size from the configuration", t_size, RUN_BOTH},
    {"scribbling device: shadows and port structures never in reach, data flows", t_scribble,
     RUN_BOTH},
    {"multiport: ready, console open, names (spec: no NUL), data per port", t_multi_spec_names,
     RUN_BOTH | RUN_EIDX},
    {"multiport: the same with QEMU's NUL-terminated names", t_multi_qemu_names, RUN_BOTH},
    {"multiport: ports beyond memory refused with PORT_READY 0", t_refuse, RUN_BOTH},
    {"multiport: a port without queues is refused", t_missing_queues, RUN_BOTH},
    {"multiport: hot plug, unplug, plug again", t_hotplug, RUN_BOTH},
    {"multiport: malformed control messages dropped and counted", t_bad_ctrl, RUN_BOTH},
    {"multiport: control message above its buffer -> clamped, counted", t_ctrl_len_big, RUN_BOTH},
    {"multiport: control transmitq stalls -> no nested waits, open waits once, latched",
     t_ctrl_stall, RUN_BOTH},
    {"multiport: receive length above the buffer -> clamped, counted", t_rx_len_big, RUN_BOTH},
    {"multiport: QEMU drops messages without buffers: none lost", t_qemu_drop, RUN_BOTH},
    {"max_nr_ports 0 or beyond 16-bit queues -> EDEVICE", t_bad_max_ports, RUN_BOTH},
    {"caller errors -> EINVAL, nothing touched", t_args, RUN_BOTH},
    {"memory size within VIRTIO_CONSOLE_MEM, equal to it for any transport", t_mem_size, RUN_ONCE},
    {"init again after use", t_reinit, RUN_BOTH},
    /* Added with the core v2 API. */
    {"memory: one port has no control queues and no padding, rings first", t_mem_layout, RUN_BOTH},
    {"caller errors change nothing: no register access, memory and object intact",
     t_caller_errors_nothing, RUN_BOTH},
    {"wrong device type -> ENODEV before any write", t_wrong_type, RUN_BOTH},
    {"init resets a running device before writing memory; stuck reset -> EBUSY",
     t_init_resets_first, RUN_BOTH},
    {"failed write whose reset is stuck -> EBUSY, reset again later", t_tx_reset_stuck, RUN_BOTH},
    {"transmit NEEDS_RESET or ring fault resets the device", t_tx_fault_resets, RUN_BOTH},
    {"write_wait with nothing pending -> EAGAIN without spinning", t_write_wait_nothing, RUN_BOTH},
    {"submit, kick once, poll and wait; ENOSPC; write finishes pending first", t_submit_batch,
     RUN_BOTH | RUN_EIDX},
    {"recv_wait: bounded, no reset on timeout, data in place", t_recv_wait, RUN_BOTH},
    {"virtio_console_reset: buffers back, ESTATE until init", t_reset, RUN_BOTH},
    {"zeroed object -> ESTATE from every call, no register access", t_zeroed, RUN_BOTH},
    {"accessor with a NULL user works (caller probes, header never scans)", t_null_user,
     RUN_BOTH | RUN_MMIO_ONLY},
};

int main(void) {
    run_table("console", cases, sizeof cases / sizeof cases[0], setup_console);
    simc_free(&C);
    return t_summary("test_console");
}
