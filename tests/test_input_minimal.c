/* test_input_minimal.c - virtio_input.h in the smallest configuration (VIRTIO_MINIMAL, which
   defines VIRTIO_INPUT_MINIMAL) against the simulated keyboard and tablet: events and reports
   arrive, init reads no configuration (not one select) and sets up no status queue, the queries
   answer "none" and VIRTIO_ENOTSUP, query and send_status are VIRTIO_ENOTSUP after their
   checks, and the keyboard helper maps keys without a Caps Lock LED. Modern devices only. */
#define VIRTIO_MINIMAL
#define VIRTIO_SPIN_LIMIT 100000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_INPUT_IMPLEMENTATION
#include "../virtio_input.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_input.h"
#include "test.h"
#include "fixture.h"

#ifndef VIRTIO_INPUT_MINIMAL
#error "VIRTIO_MINIMAL must define VIRTIO_INPUT_MINIMAL"
#endif

static void setup_kbd(fx *f) { (void)simi_create(&f->s, &f->arena, f->ver, SIMI_KEYBOARD); }
static void setup_tablet(fx *f) { (void)simi_create(&f->s, &f->arena, f->ver, SIMI_TABLET); }
static simi *dev_of(fx *f) { return (simi *)f->s.ctx; }

static int up(fx *f, virtio_input *in) {
    size_t sz = virtio_input_mem_size(NULL, &f->t);
    void *mem = sz ? fx_alloc(f, sz, virtio_queue_ring_align(&f->t)) : NULL;
    if (!mem) return -1000;
    return virtio_input_init(in, &f->t, NULL, mem, sz);
}

static void expect(virtio_input *in, uint16_t type, uint16_t code, int32_t value) {
    virtio_input_event ev;
    CHECK_RC(virtio_input_recv_poll(in, &ev), VIRTIO_OK);
    CHECK_EQ(ev.type, type);
    CHECK_EQ(ev.code, code);
    CHECK_EQ(ev.value, value);
}

/* Init: no configuration access beyond the core's, no status queue; key events arrive. */
static void t_keys(fx *f) {
    virtio_input in;
    virtio_input_event ev;
    CHECK_RC(up(f, &in), VIRTIO_OK);
    CHECK_OK();
    CHECK_EQ(f->s.drv_features, SIM_F(SIM_F_VERSION_1));
    CHECK_EQ(dev_of(f)->selects, 0);
    CHECK_EQ(f->s.config_writes, 0);
    CHECK(!f->s.q[1].live);
    CHECK_EQ(simi_held_events(dev_of(f)), 64);
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_EAGAIN);
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_A, 1));
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_A, 0));
    expect(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_A, 1);
    expect(&in, VIRTIO_INPUT_EV_SYN, VIRTIO_INPUT_SYN_REPORT, 0);
    expect(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_A, 0);
    CHECK_RC(virtio_input_recv_wait(&in, &ev), VIRTIO_OK);
    CHECK_EQ(ev.type, VIRTIO_INPUT_EV_SYN);
    CHECK_RC(virtio_input_recv_wait(&in, &ev), VIRTIO_ETIMEDOUT);
    CHECK(f->s.status & SIM_S_DRIVER_OK);
    CHECK_OK();
}

/* A tablet's reports come whole. */
static void t_reports(fx *f) {
    virtio_input in;
    virtio_input_event evs[8];
    uint32_t n = 0, i;
    simi_ev pos[3] = {{VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_X, 100},
                      {VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_Y, 32767},
                      {VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_BTN_LEFT, 1}};
    CHECK_RC(up(f, &in), VIRTIO_OK);
    for (i = 0; i < 200; i++) { /* the rings wrap */
        pos[0].value = (int32_t)i;
        CHECK(simi_report(dev_of(f), pos, 3));
        CHECK_RC(virtio_input_report_poll(&in, evs, 8, &n), VIRTIO_OK);
        CHECK_EQ(n, 4);
        CHECK_EQ(evs[0].value, (int32_t)i);
        CHECK_EQ(evs[1].value, 32767);
        CHECK_EQ(evs[3].type, VIRTIO_INPUT_EV_SYN);
    }
    CHECK_OK();
}

/* What the configuration leaves out: "none" from the queries, VIRTIO_ENOTSUP from those that
   return a code, after their checks; nothing reaches the device. */
static void t_left_out(fx *f) {
    virtio_input in, zero;
    virtio_input_devids ids;
    virtio_input_absinfo ai;
    uint8_t buf[16];
    uint32_t len = 7;
    unsigned long reads, writes;
    memset(&zero, 0, sizeof zero);
    CHECK_RC(up(f, &in), VIRTIO_OK);
    reads = f->s.config_reads;
    writes = f->s.config_writes;
    CHECK(strcmp(virtio_input_name(&in), "") == 0);
    CHECK(strcmp(virtio_input_serial(&in), "") == 0);
    CHECK_RC(virtio_input_ids(&in, &ids), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_input_ids(&in, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_ids(&zero, &ids), VIRTIO_ESTATE);
    CHECK_EQ(virtio_input_has_type(&in, VIRTIO_INPUT_EV_KEY), 0);
    CHECK_EQ(virtio_input_has_event(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_A), 0);
    CHECK_EQ(virtio_input_props(&in), 0);
    CHECK_RC(virtio_input_abs_info(&in, VIRTIO_INPUT_ABS_X, &ai), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_ID_NAME, 0, buf, sizeof buf, &len),
             VIRTIO_ENOTSUP);
    CHECK_EQ(len, 7);
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_ID_NAME, 0, NULL, 4, &len), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_query(&zero, VIRTIO_INPUT_CFG_ID_NAME, 0, buf, 4, &len),
             VIRTIO_ESTATE);
    CHECK_RC(virtio_input_send_status(&in, VIRTIO_INPUT_EV_LED, VIRTIO_INPUT_LED_CAPSL, 1),
             VIRTIO_ENOTSUP);
    CHECK_RC(virtio_input_send_status(NULL, VIRTIO_INPUT_EV_LED, 0, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_send_status(&zero, VIRTIO_INPUT_EV_LED, 0, 1), VIRTIO_ESTATE);
    CHECK_EQ(virtio_input_status_pending(&in), 0);
    CHECK_EQ(dev_of(f)->nlog, 0);
    CHECK_EQ(f->s.config_reads, reads);
    CHECK_EQ(f->s.config_writes, writes);
    CHECK_OK();
}

/* The keyboard helper maps keys; Caps Lock toggles without an LED sent. */
static void t_kbd(fx *f) {
    virtio_input in;
    virtio_input_kbd k;
    virtio_input_event ev;
    CHECK_RC(up(f, &in), VIRTIO_OK);
    CHECK_RC(virtio_input_kbd_init(&k, &in), VIRTIO_OK);
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_CAPSLOCK, 1));
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_A, 1));
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_OK);
    CHECK_EQ(virtio_input_kbd_feed(&k, &ev), 0);
    CHECK_EQ(k.caps, 1);
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_OK); /* SYN */
    CHECK_EQ(virtio_input_kbd_feed(&k, &ev), 0);
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_OK);
    CHECK_EQ(virtio_input_kbd_feed(&k, &ev), 'A');
    CHECK_EQ(dev_of(f)->nlog, 0);
    CHECK_OK();
}

static const tcase cases[] = {
    {"keyboard: no configuration read, no status queue, key events", t_keys, RUN_V2},
    {"tablet: whole reports, the rings wrap", t_reports, RUN_V2},
    {"queries none / ENOTSUP, query and send_status ENOTSUP after their checks", t_left_out,
     RUN_V2},
    {"keyboard helper: keys mapped, Caps Lock without an LED", t_kbd, RUN_V2},
};

int main(void) {
    run_table("input_minimal", cases, 1, setup_kbd);
    run_table("input_minimal", cases + 1, 1, setup_tablet);
    run_table("input_minimal", cases + 2, 2, setup_kbd);
    return t_summary("test_input_minimal");
}
