/* test_input.c - virtio_input.h (written only against virtio.h's public core API) against the
   simulated input device (tests/sim_input.c), versions 1 and 2, with QEMU's quirks switched on
   unless a case says otherwise. Every case drives the device through &f->t, so it runs over the
   simulated MMIO registers and over the transport double (see fixture.h). */
#define VIRTIO_SPIN_LIMIT 100000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_INPUT_IMPLEMENTATION
#include "../virtio_input.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_blk.h"
#include "sim_input.h"
#include "test.h"
#include "fixture.h"

#define PATTERN 0xa5u

static void setup_kbd(fx *f) { (void)simi_create(&f->s, &f->arena, f->ver, SIMI_KEYBOARD); }
static void setup_mouse(fx *f) { (void)simi_create(&f->s, &f->arena, f->ver, SIMI_MOUSE); }
static void setup_tablet(fx *f) { (void)simi_create(&f->s, &f->arena, f->ver, SIMI_TABLET); }
static void setup_blk(fx *f) {
    if (sim_init_blk(&f->s, &f->arena, f->ver, 8) != 0) abort();
}
static simi *dev_of(fx *f) { return (simi *)f->s.ctx; }

static void set_spin_limit(fx *f, uint32_t limit) {
    f->regs.spin_limit = limit;
    (void)fx_transport(f);
}

/* Memory for `p` on this transport, exactly as big as virtio_input_mem_size says, patterned. */
static uint8_t *in_mem(fx *f, const virtio_input_params *p, size_t *size) {
    uint8_t *mem;
    *size = virtio_input_mem_size(p, &f->t);
    if (*size == 0) return NULL;
    mem = (uint8_t *)fx_alloc(f, *size, virtio_queue_ring_align(&f->t));
    memset(mem, PATTERN, *size);
    return mem;
}

static int all_pattern(const uint8_t *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (b[i] != PATTERN) return 0;
    return 1;
}

static void up_p(fx *f, virtio_input *in, const virtio_input_params *p) {
    size_t sz;
    uint8_t *mem = in_mem(f, p, &sz);
    CHECK(mem != NULL);
    CHECK_RC(virtio_input_init(in, &f->t, p, mem, sz), VIRTIO_OK);
}
static void up(fx *f, virtio_input *in) { up_p(f, in, NULL); }

static void up_bufs(fx *f, virtio_input *in, uint32_t event_bufs, uint32_t status_bufs) {
    virtio_input_params p;
    memset(&p, 0, sizeof p);
    p.event_bufs = event_bufs;
    p.status_bufs = status_bufs;
    up_p(f, in, &p);
}

/* The next event is (type, code, value). */
static void expect(virtio_input *in, uint16_t type, uint16_t code, int32_t value) {
    virtio_input_event ev;
    CHECK_RC(virtio_input_recv_poll(in, &ev), VIRTIO_OK);
    CHECK_EQ(ev.type, type);
    CHECK_EQ(ev.code, code);
    CHECK_EQ(ev.value, value);
}

static void expect_none(virtio_input *in) {
    virtio_input_event ev;
    CHECK_RC(virtio_input_recv_poll(in, &ev), VIRTIO_EAGAIN);
}

/* ---- Discovery ------------------------------------------------------------------------------ */
static void t_keyboard(fx *f) {
    virtio_input in;
    virtio_input_devids ids;
    virtio_input_absinfo ai;
    up(f, &in);
    CHECK_OK();
    CHECK_EQ(f->s.status & SIM_S_DRIVER_OK, SIM_S_DRIVER_OK);
    /* no device features; VERSION_1 on modern devices, EVENT_IDX when offered */
    CHECK_EQ(f->s.drv_features & ~(SIM_F(SIM_F_EVENT_IDX) | FX_RING_F),
             f->ver == 2 ? SIM_F(SIM_F_VERSION_1) : 0);
    CHECK(strcmp(virtio_input_name(&in), "QEMU Virtio Keyboard") == 0);
    CHECK(strcmp(virtio_input_serial(&in), "") == 0);
    CHECK_RC(virtio_input_ids(&in, &ids), VIRTIO_OK);
    CHECK_EQ(ids.bustype, VIRTIO_INPUT_BUS_VIRTUAL);
    CHECK_EQ(ids.vendor, 0x0627);
    CHECK_EQ(ids.product, 1);
    CHECK_EQ(ids.version, 1);
    CHECK(virtio_input_has_type(&in, VIRTIO_INPUT_EV_KEY));
    CHECK(!virtio_input_has_type(&in, VIRTIO_INPUT_EV_SYN)); /* QEMU: size 0 */
    CHECK(!virtio_input_has_type(&in, VIRTIO_INPUT_EV_ABS));
    CHECK(!virtio_input_has_type(&in, 32));
    CHECK(virtio_input_has_event(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_A));
    CHECK(virtio_input_has_event(&in, VIRTIO_INPUT_EV_KEY, 127));
    CHECK(!virtio_input_has_event(&in, VIRTIO_INPUT_EV_KEY, 0));
    CHECK(!virtio_input_has_event(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_BTN_LEFT));
    CHECK(!virtio_input_has_event(&in, VIRTIO_INPUT_EV_KEY, 0xffff));
    CHECK(virtio_input_has_event(&in, VIRTIO_INPUT_EV_LED, VIRTIO_INPUT_LED_CAPSL));
    CHECK(!virtio_input_has_event(&in, 99, 0));
    CHECK_EQ(virtio_input_props(&in), 0);
    CHECK_RC(virtio_input_abs_info(&in, VIRTIO_INPUT_ABS_X, &ai), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_input_abs_info(&in, 64, &ai), VIRTIO_ENOTSUP);
    /* discovery wrote select then subsel back to back: QEMU's clobbering never happened */
    CHECK_EQ(dev_of(f)->clobbers, 0);
    CHECK_GE(dev_of(f)->selects, 3 + 32);
    /* the queue holds all 64 buffers, each 8 device-writable bytes */
    CHECK_EQ(simi_held_events(dev_of(f)), 64);
    CHECK_EQ(sim_last(&f->s, 0)->wlen, 8);
    CHECK_EQ(sim_last(&f->s, 0)->nread, 0);
}

static void t_tablet(fx *f) {
    virtio_input in;
    virtio_input_absinfo ai;
    virtio_input_devids ids;
    up(f, &in);
    CHECK_OK();
    CHECK(strcmp(virtio_input_name(&in), "QEMU Virtio Tablet") == 0);
    CHECK_RC(virtio_input_ids(&in, &ids), VIRTIO_OK);
    CHECK_EQ(ids.product, 3);
    CHECK(virtio_input_has_type(&in, VIRTIO_INPUT_EV_ABS));
    CHECK(virtio_input_has_event(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_BTN_LEFT));
    CHECK_RC(virtio_input_abs_info(&in, VIRTIO_INPUT_ABS_X, &ai), VIRTIO_OK);
    CHECK_EQ(ai.min, 0);
    CHECK_EQ(ai.max, 32767);
    CHECK_RC(virtio_input_abs_info(&in, VIRTIO_INPUT_ABS_Y, &ai), VIRTIO_OK);
    CHECK_EQ(ai.max, 32767);
    CHECK_RC(virtio_input_abs_info(&in, VIRTIO_INPUT_ABS_Z, &ai), VIRTIO_ENOTSUP);
    CHECK_EQ(ai.max, 0);
}

static void t_mouse(fx *f) {
    virtio_input in;
    up(f, &in);
    CHECK_OK();
    CHECK(strcmp(virtio_input_name(&in), "QEMU Virtio Mouse") == 0);
    CHECK(virtio_input_has_event(&in, VIRTIO_INPUT_EV_REL, VIRTIO_INPUT_REL_WHEEL));
    CHECK(!virtio_input_has_event(&in, VIRTIO_INPUT_EV_REL, VIRTIO_INPUT_REL_HWHEEL));
    CHECK(!virtio_input_has_type(&in, VIRTIO_INPUT_EV_LED));
    /* relative motion is signed */
    {
        simi_ev r[2] = {{VIRTIO_INPUT_EV_REL, VIRTIO_INPUT_REL_X, -5},
                        {VIRTIO_INPUT_EV_REL, VIRTIO_INPUT_REL_Y, (int32_t)0x80000000u}};
        CHECK(simi_report(dev_of(f), r, 2));
    }
    expect(&in, VIRTIO_INPUT_EV_REL, VIRTIO_INPUT_REL_X, -5);
    expect(&in, VIRTIO_INPUT_EV_REL, VIRTIO_INPUT_REL_Y, (int32_t)0x80000000u);
    expect(&in, VIRTIO_INPUT_EV_SYN, VIRTIO_INPUT_SYN_REPORT, 0);
    expect_none(&in);
}

/* Every select on demand, after DRIVER_OK, where QEMU bumps the generation on each select and
   subsel write: each query settles at once and the device goes on working. */
static void t_query_every_select(fx *f) {
    virtio_input in;
    uint8_t buf[128];
    uint32_t len = 99, gen, gen_reads;
    up(f, &in);
    CHECK_OK();
    gen = f->s.config_gen;
    gen_reads = (uint32_t)f->s.gen_reads;
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_ID_NAME, 0, buf, sizeof buf, &len),
             VIRTIO_OK);
    CHECK_EQ(len, 19); /* QEMU counts the NUL */
    CHECK_MEM(buf, "QEMU Virtio Tablet", 19);
    CHECK_GE(f->s.config_gen, gen + 2);                     /* two writes, two bumps */
    if (f->ver == 2) CHECK_LE(f->s.gen_reads, gen_reads + 2); /* settled on the first try */
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_ID_SERIAL, 0, buf, sizeof buf, &len),
             VIRTIO_OK);
    CHECK_EQ(len, 0);
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_ID_DEVIDS, 0, buf, sizeof buf, &len),
             VIRTIO_OK);
    CHECK_EQ(len, 8);
    CHECK_EQ(buf[4], 3);
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_PROP_BITS, 0, buf, sizeof buf, &len),
             VIRTIO_OK);
    CHECK_EQ(len, 0);
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_EV_BITS, VIRTIO_INPUT_EV_ABS, buf,
                                sizeof buf, &len),
             VIRTIO_OK);
    CHECK_EQ(len, 1);
    CHECK_EQ(buf[0], 3);
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_EV_BITS, VIRTIO_INPUT_EV_SYN, buf,
                                sizeof buf, &len),
             VIRTIO_OK);
    CHECK_EQ(len, 0);
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_ABS_INFO, VIRTIO_INPUT_ABS_Y, buf,
                                sizeof buf, &len),
             VIRTIO_OK);
    CHECK_EQ(len, 20);
    CHECK_EQ(buf[4] | buf[5] << 8, 32767);
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_ABS_INFO, 9, buf, sizeof buf, &len),
             VIRTIO_OK);
    CHECK_EQ(len, 0);
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_UNSET, 0, buf, sizeof buf, &len),
             VIRTIO_OK);
    CHECK_EQ(len, 0);
    CHECK_RC(virtio_input_query(&in, 0x7f, 3, buf, sizeof buf, NULL), VIRTIO_OK);
    /* a small buffer gets the start; len tells the whole size */
    memset(buf, 0, sizeof buf);
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_ID_NAME, 0, buf, 4, &len), VIRTIO_OK);
    CHECK_EQ(len, 19);
    CHECK_MEM(buf, "QEMU\0", 5);
    CHECK_RC(virtio_input_query(&in, VIRTIO_INPUT_CFG_ID_NAME, 0, NULL, 0, &len), VIRTIO_OK);
    CHECK_EQ(len, 19);
    CHECK_EQ(dev_of(f)->clobbers, 0);
    CHECK_RC(virtio_dev_usable(&in.dev), VIRTIO_OK);
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_BTN_LEFT, 1));
    expect(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_BTN_LEFT, 1);
}

/* The simulator's QEMU quirk itself: a read between the select and subsel writes zeroes all
   three (what the driver avoids). */
static void t_sim_clobber(fx *f) {
    virtio_input in;
    if (fx_hv_lacks(f, SIM_HV_CROSVM, "crosvm: select and subsel go in one 32-bit write"))
        return;
    up(f, &in);
    CHECK_OK();
    virtio_config_write8(&in.dev, VIRTIO_INPUT_CFG_SELECT, VIRTIO_INPUT_CFG_ID_NAME);
    (void)virtio_config_read8(&in.dev, VIRTIO_INPUT_CFG_SIZE);
    virtio_config_write8(&in.dev, VIRTIO_INPUT_CFG_SUBSEL, 0);
    CHECK_EQ(virtio_config_read8(&in.dev, VIRTIO_INPUT_CFG_SELECT), 0);
    CHECK_EQ(virtio_config_read8(&in.dev, VIRTIO_INPUT_CFG_SIZE), 0);
    CHECK_EQ(dev_of(f)->clobbers, 1);
}

/* Strings: with or without a NUL in the size, 128 bytes without one, an embedded NUL, a
   serial. */
static void t_strings(fx *f) {
    virtio_input in;
    uint8_t name[128];
    simi *c = dev_of(f);
    c->name_nul = 0;
    strcpy(c->serial, "SN-0042");
    up(f, &in);
    CHECK_OK();
    CHECK(strcmp(virtio_input_name(&in), "QEMU Virtio Keyboard") == 0);
    CHECK(strcmp(virtio_input_serial(&in), "SN-0042") == 0);
    memset(name, 'x', sizeof name);
    name[5] = 0x01;
    name[6] = (uint8_t)0xff;
    simi_override_answer(c, VIRTIO_INPUT_CFG_ID_NAME, 0, 128, name);
    simi_override_answer(c, VIRTIO_INPUT_CFG_ID_SERIAL, 0, 5, "ab\0cd");
    up(f, &in);
    CHECK_OK();
    CHECK_EQ(strlen(virtio_input_name(&in)), 128);
    CHECK_MEM(virtio_input_name(&in), name, 128);
    CHECK(strcmp(virtio_input_serial(&in), "ab") == 0);
    simi_override_answer(c, VIRTIO_INPUT_CFG_ID_NAME, 0, 0, NULL);
    up(f, &in);
    CHECK_OK();
    CHECK(strcmp(virtio_input_name(&in), "") == 0);
}

/* Sizes above the union: init fails with EDEVICE (FAILED set), nothing is trusted. */
static void size_too_big(fx *f, uint8_t select, uint8_t subsel, uint32_t size) {
    virtio_input in;
    virtio_input_event ev;
    size_t sz;
    uint8_t *mem = in_mem(f, NULL, &sz);
    simi_override_answer(dev_of(f), select, subsel, size, NULL);
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz), VIRTIO_EDEVICE);
    CHECK(f->s.status & SIM_S_FAILED);
    CHECK(!(f->s.status & SIM_S_DRIVER_OK));
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_EDEVICE);
    CHECK(strcmp(virtio_input_name(&in), "") == 0);
    CHECK(!virtio_input_has_type(&in, VIRTIO_INPUT_EV_KEY));
}
static void t_size_too_big(fx *f) {
    size_too_big(f, VIRTIO_INPUT_CFG_ID_NAME, 0, 129);
    CHECK_OK();
    size_too_big(f, VIRTIO_INPUT_CFG_ID_SERIAL, 0, 255);
    CHECK_OK();
    size_too_big(f, VIRTIO_INPUT_CFG_EV_BITS, VIRTIO_INPUT_EV_KEY, 200);
    CHECK_OK();
    size_too_big(f, VIRTIO_INPUT_CFG_PROP_BITS, 0, 129);
}

/* Structs shorter than the spec's: devids below 8, absinfo below 20 -> EDEVICE; size 0 is
   "no information". */
static void t_short_structs(fx *f) {
    virtio_input in;
    virtio_input_devids ids;
    virtio_input_absinfo ai;
    size_t sz;
    uint8_t *mem = in_mem(f, NULL, &sz);
    simi *c = dev_of(f);
    uint8_t big[128];
    uint8_t abs[20] = {0x9c, 0xff, 0xff, 0xff, 100, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0};
    simi_override_answer(c, VIRTIO_INPUT_CFG_ID_DEVIDS, 0, 4, "\6\0\1\0");
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz), VIRTIO_EDEVICE);
    simi_override_answer(c, VIRTIO_INPUT_CFG_ID_DEVIDS, 0, 0, NULL);
    simi_override_answer(c, VIRTIO_INPUT_CFG_ABS_INFO, VIRTIO_INPUT_ABS_X, 19, abs);
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz), VIRTIO_EDEVICE);
    simi_override_answer(c, VIRTIO_INPUT_CFG_ABS_INFO, VIRTIO_INPUT_ABS_X, 0, NULL);
    simi_override_answer(c, VIRTIO_INPUT_CFG_ABS_INFO, VIRTIO_INPUT_ABS_Y, 20, abs);
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz), VIRTIO_OK);
    CHECK_RC(virtio_input_ids(&in, &ids), VIRTIO_ENOTSUP);
    CHECK_EQ(ids.vendor, 0);
    CHECK_RC(virtio_input_abs_info(&in, VIRTIO_INPUT_ABS_X, &ai), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_input_abs_info(&in, VIRTIO_INPUT_ABS_Y, &ai), VIRTIO_OK);
    CHECK_EQ(ai.min, -100); /* signed, as Linux's */
    CHECK_EQ(ai.max, 100);
    CHECK_EQ(ai.fuzz, 1);
    CHECK_EQ(ai.flat, 2);
    CHECK_EQ(ai.res, 3);
    /* a larger struct than ours is fine: the rest is ignored */
    memset(big, 0, sizeof big);
    memcpy(big, "\6\0\1\0\2\0\3\0", 8);
    simi_override_answer(c, VIRTIO_INPUT_CFG_ID_DEVIDS, 0, 128, big);
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz), VIRTIO_OK);
    CHECK_RC(virtio_input_ids(&in, &ids), VIRTIO_OK);
    CHECK_EQ(ids.version, 3);
}

/* Full bitmaps and property bits: every bit is where the spec puts it. */
static void t_bitmaps(fx *f) {
    virtio_input in;
    uint8_t ones[128], props[2] = {0x02, 0x01};
    simi *c = dev_of(f);
    memset(ones, 0xff, sizeof ones);
    simi_override_answer(c, VIRTIO_INPUT_CFG_EV_BITS, VIRTIO_INPUT_EV_SW, 128, ones);
    simi_override_answer(c, VIRTIO_INPUT_CFG_EV_BITS, VIRTIO_INPUT_EV_MAX, 1, "\x80");
    simi_override_answer(c, VIRTIO_INPUT_CFG_PROP_BITS, 0, 2, props);
    up(f, &in);
    CHECK_OK();
    CHECK(virtio_input_has_event(&in, VIRTIO_INPUT_EV_SW, 0));
    CHECK(virtio_input_has_event(&in, VIRTIO_INPUT_EV_SW, 1023));
    CHECK(!virtio_input_has_event(&in, VIRTIO_INPUT_EV_SW, 1024));
    CHECK(virtio_input_has_event(&in, VIRTIO_INPUT_EV_MAX, 7));
    CHECK(!virtio_input_has_event(&in, VIRTIO_INPUT_EV_MAX, 6));
    CHECK(virtio_input_has_type(&in, VIRTIO_INPUT_EV_MAX));
    CHECK_EQ(virtio_input_props(&in), 0x102);
}

/* A generation that moves on every read (a broken device): modern -> EDEVICE, bounded; the
   legacy interface has no generation to check. */
static void t_gen_churn(fx *f) {
    virtio_input in;
    size_t sz;
    uint8_t *mem = in_mem(f, NULL, &sz);
    f->s.gen_churn = -1;
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz),
             f->ver == 2 ? VIRTIO_EDEVICE : VIRTIO_OK);
}

/* ---- Events --------------------------------------------------------------------------------- */
static void t_key_events(fx *f) {
    virtio_input in;
    virtio_input_event ev;
    unsigned long resets;
    up(f, &in);
    CHECK_OK();
    resets = f->s.resets;
    expect_none(&in);
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_A, 1));
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_A, 0));
    simi_event(dev_of(f), 0x1f, 0xffff, -1); /* unknown: handed over as it came */
    expect(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_A, 1);
    expect(&in, VIRTIO_INPUT_EV_SYN, VIRTIO_INPUT_SYN_REPORT, 0);
    expect(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_A, 0);
    expect(&in, VIRTIO_INPUT_EV_SYN, VIRTIO_INPUT_SYN_REPORT, 0);
    expect(&in, 0x1f, 0xffff, -1);
    expect_none(&in);
    CHECK_EQ(in.stats.events, 5);
    CHECK_RC(virtio_input_recv_wait(&in, &ev), VIRTIO_ETIMEDOUT);
    CHECK_EQ(f->s.resets, resets); /* nothing came: no failure */
    CHECK(f->s.status & SIM_S_DRIVER_OK);
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_B, 2));
    CHECK_RC(virtio_input_recv_wait(&in, &ev), VIRTIO_OK);
    CHECK_EQ(ev.code, VIRTIO_INPUT_KEY_B);
    CHECK_EQ(ev.value, 2);
}

/* 20000 reports, read as they come: none dropped, in order, buffers published once per 16
   events with at least 16 always posted. */
static void t_flood(fx *f) {
    virtio_input in;
    virtio_input_event ev;
    simi *c = dev_of(f);
    unsigned long notifies;
    uint32_t i, k, batch;
    set_spin_limit(f, 1000);
    up(f, &in);
    CHECK_OK();
    notifies = f->s.q[0].notifies;
    for (i = 0; i < 20000; i++) {
        CHECK(simi_key(c, (uint16_t)(1 + i % 100), (int32_t)(i & 1)));
        for (k = 0; k < 2; k++) {
            CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_OK);
            if (k == 0) {
                CHECK_EQ(ev.code, 1 + i % 100);
                CHECK_EQ(ev.value, i & 1);
            } else {
                CHECK_EQ(ev.type, VIRTIO_INPUT_EV_SYN);
            }
        }
        /* every buffer taken back beyond the batch is published again */
        CHECK_GE(simi_held_events(c), 64 - 16);
    }
    CHECK_EQ(c->reports_dropped, 0);
    CHECK_EQ(in.stats.events, 40000);
    batch = 16;
    CHECK_EQ(in.stats.publishes, 40000 / batch);
    CHECK_LE(f->s.q[0].notifies - notifies, 40000 / batch);
    CHECK_EQ(sim_used_idx(&f->s, 0), 40000u & 0xffffu);
}

/* Reports sent faster than they are read: QEMU drops whole reports once too few buffers are
   free; reading them frees buffers and reports come again. The minimum: 16 buffers. */
static void t_flood_unread(fx *f) {
    virtio_input in;
    virtio_input_event ev;
    simi *c = dev_of(f);
    uint32_t i, n = 0;
    up_bufs(f, &in, 16, 0);
    CHECK_OK();
    CHECK_EQ(virtio_queue_size(&in.eventq), 16);
    for (i = 0; i < 10; i++)
        (void)simi_key(c, VIRTIO_INPUT_KEY_Z, 1);
    CHECK_EQ(c->reports_dropped, 2);
    while (virtio_input_recv_poll(&in, &ev) == VIRTIO_OK)
        n++;
    CHECK_EQ(n, 16);
    /* with 16 buffers each one is published again at once */
    CHECK_EQ(simi_held_events(c), 16);
    CHECK(simi_key(c, VIRTIO_INPUT_KEY_Z, 0));
    expect(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_Z, 0);
}

/* Event buffers used with fewer than 8 bytes: not an event: EDEVICE, latched, FAILED set. */
static void bad_len(fx *f, uint32_t len) {
    virtio_input in;
    virtio_input_event ev;
    up(f, &in);
    CHECK_OK();
    dev_of(f)->ev_used_len = len;
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_A, 1));
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_EDEVICE);
    CHECK(f->s.status & SIM_S_FAILED);
    dev_of(f)->ev_used_len = 0;
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_EDEVICE);
    CHECK_RC(virtio_input_send_status(&in, 0x11, 1, 1), VIRTIO_EDEVICE);
}
static void t_event_len_short(fx *f) { bad_len(f, 7); }
/* More than was posted (9 of 8 bytes): the core clamps it to 8 and counts it; the event is
   taken and the device goes on. */
static void t_event_len_long(fx *f) {
    virtio_input in;
    virtio_input_event ev;
    up(f, &in);
    CHECK_OK();
    dev_of(f)->ev_used_len = 9;
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_A, 1));
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_OK);
    CHECK_EQ(virtio_dev_clamped(&in.dev), 1u);
    dev_of(f)->ev_used_len = 0;
    CHECK_RC(virtio_input_send_status(&in, 0x11, 1, 1), VIRTIO_OK);
}

/* The device sets NEEDS_RESET while we wait: ENEEDS_RESET and the device is reset. */
static void t_needs_reset(fx *f) {
    virtio_input in;
    virtio_input_event ev;
    unsigned long resets;
    set_spin_limit(f, 1000);
    up(f, &in);
    CHECK_OK();
    resets = f->s.resets;
    sim_set_needs_reset(&f->s);
    CHECK_RC(virtio_input_recv_wait(&in, &ev), VIRTIO_ENEEDS_RESET);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(f->s.status, 0);
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_ENEEDS_RESET); /* latched */
    CHECK_EQ(virtio_input_status_pending(&in), 0);
}

/* ---- Reports -------------------------------------------------------------------------------- */
static void t_reports(fx *f) {
    virtio_input in;
    virtio_input_event evs[8], ev;
    uint32_t n = 99;
    simi *c = dev_of(f);
    simi_ev pos[3] = {{VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_X, 100},
                      {VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_Y, 32767},
                      {VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_BTN_LEFT, 1}};
    up(f, &in);
    CHECK_OK();
    CHECK_RC(virtio_input_report_poll(&in, evs, 8, &n), VIRTIO_EAGAIN);
    CHECK(simi_report(c, pos, 3));
    CHECK_RC(virtio_input_report_poll(&in, evs, 8, &n), VIRTIO_OK);
    CHECK_EQ(n, 4);
    CHECK_EQ(evs[0].code, VIRTIO_INPUT_ABS_X);
    CHECK_EQ(evs[1].value, 32767);
    CHECK_EQ(evs[2].code, VIRTIO_INPUT_BTN_LEFT);
    CHECK_EQ(evs[3].type, VIRTIO_INPUT_EV_SYN);
    CHECK_EQ(in.stats.reports, 1);
    /* half a report: kept, then finished */
    simi_event(c, VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_X, 5);
    CHECK_RC(virtio_input_report_poll(&in, evs, 8, &n), VIRTIO_EAGAIN);
    simi_event(c, VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_Y, 6);
    simi_event(c, VIRTIO_INPUT_EV_SYN, VIRTIO_INPUT_SYN_REPORT, 0);
    CHECK(simi_report(c, pos, 1));
    /* in pieces of max = 2: the first without SYN_REPORT */
    CHECK_RC(virtio_input_report_poll(&in, evs, 2, &n), VIRTIO_OK);
    CHECK_EQ(n, 2);
    CHECK_EQ(evs[0].value, 5);
    CHECK_EQ(evs[1].value, 6);
    CHECK_RC(virtio_input_report_poll(&in, evs, 2, &n), VIRTIO_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(evs[0].type, VIRTIO_INPUT_EV_SYN);
    /* events read ahead come first through recv_poll, in order */
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_OK);
    CHECK_EQ(ev.code, VIRTIO_INPUT_ABS_X);
    CHECK_EQ(ev.value, 100);
    expect(&in, VIRTIO_INPUT_EV_SYN, VIRTIO_INPUT_SYN_REPORT, 0);
    expect_none(&in);
    simi_event(c, VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_X, 7);
    CHECK_RC(virtio_input_report_poll(&in, evs, 8, &n), VIRTIO_EAGAIN);
    expect(&in, VIRTIO_INPUT_EV_ABS, VIRTIO_INPUT_ABS_X, 7);
}

/* A report longer than VIRTIO_INPUT_REPORT_MAX comes in pieces of that many. */
static void t_report_long(fx *f) {
    virtio_input in;
    virtio_input_event evs[128];
    simi_ev many[100];
    uint32_t n = 0, i;
    simi *c = dev_of(f);
    f->s.q[0].num_max = 256;
    for (i = 0; i < 100; i++) {
        many[i].type = VIRTIO_INPUT_EV_ABS;
        many[i].code = VIRTIO_INPUT_ABS_X;
        many[i].value = (int32_t)i;
    }
    up_bufs(f, &in, 256, 0);
    CHECK_OK();
    CHECK(simi_report(c, many, 100));
    CHECK_RC(virtio_input_report_poll(&in, evs, 128, &n), VIRTIO_OK);
    CHECK_EQ(n, VIRTIO_INPUT_REPORT_MAX);
    CHECK_EQ(evs[63].value, 63);
    CHECK_RC(virtio_input_report_poll(&in, evs, 128, &n), VIRTIO_OK);
    CHECK_EQ(n, 100 - VIRTIO_INPUT_REPORT_MAX + 1);
    CHECK_EQ(evs[0].value, 64);
    CHECK_EQ(evs[n - 1].type, VIRTIO_INPUT_EV_SYN);
}

static void t_report_wait(fx *f) {
    virtio_input in;
    virtio_input_event evs[4];
    uint32_t n = 0;
    unsigned long resets;
    set_spin_limit(f, 2000);
    up(f, &in);
    CHECK_OK();
    resets = f->s.resets;
    CHECK_RC(virtio_input_report_wait(&in, evs, 4, &n), VIRTIO_ETIMEDOUT);
    CHECK_LE(f->s.relax_max_iter, 2000);
    CHECK_EQ(f->s.resets, resets);
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_Q, 1));
    CHECK_RC(virtio_input_report_wait(&in, evs, 4, &n), VIRTIO_OK);
    CHECK_EQ(n, 2);
    CHECK_RC(virtio_input_report_wait(&in, evs, 0, &n), VIRTIO_EINVAL);
}

/* ---- Status queue ----------------------------------------------------------------------------- */
/* LED events reach the device; QEMU's used length 8 (and any other) on the device-readable
   buffers is taken without complaint. */
static void t_status(fx *f) {
    static const uint32_t lens[] = {8, 0, 3, 100, 0xfffffffeu};
    virtio_input in;
    simi *c = dev_of(f);
    uint32_t i;
    up(f, &in);
    CHECK_OK();
    for (i = 0; i < 5 * 20; i++) {
        c->st_used_len = lens[i % 5];
        CHECK_RC(virtio_input_send_status(&in, VIRTIO_INPUT_EV_LED, VIRTIO_INPUT_LED_CAPSL,
                                          (int32_t)(i & 1)),
                 VIRTIO_OK);
    }
    CHECK_EQ(c->nlog, 100);
    CHECK_EQ(c->log[99].type, VIRTIO_INPUT_EV_LED);
    CHECK_EQ(c->log[99].code, VIRTIO_INPUT_LED_CAPSL);
    CHECK_EQ(c->log[99].value, 1);
    CHECK_EQ(c->log_len[0], 8);
    CHECK_EQ(in.stats.status_sent, 100);
    CHECK_RC(virtio_input_send_status(&in, 0x1234, 0xfffe, -7), VIRTIO_OK);
    CHECK_EQ(c->log[100].value, -7);
    CHECK_EQ(c->log[100].code, 0xfffe);
    CHECK_RC(virtio_dev_usable(&in.dev), VIRTIO_OK);
}

/* A status buffer used with an id that was never posted: the device is faulty. The fault is
   latched in the device (FAILED set), so the event side reports it too. */
static void t_status_bad_id(fx *f) {
    virtio_input in;
    virtio_input_event ev;
    up(f, &in);
    CHECK_OK();
    f->s.mis = SIM_MIS_USED_ID_OOR;
    CHECK_RC(virtio_input_send_status(&in, VIRTIO_INPUT_EV_LED, 0, 1), VIRTIO_OK);
    CHECK_RC(virtio_input_send_status(&in, VIRTIO_INPUT_EV_LED, 0, 0), VIRTIO_EDEVICE);
    CHECK(f->s.status & SIM_S_FAILED);
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_EDEVICE);
    CHECK_RC(virtio_dev_usable(&in.dev), VIRTIO_EDEVICE);
}

/* A device that never answers on the status queue: status_bufs sends, then ENOSPC without
   waiting; once it answers, sending goes on. */
static void t_status_never_answers(fx *f) {
    virtio_input in;
    simi *c = dev_of(f);
    uint32_t i;
    unsigned long relax;
    up_bufs(f, &in, 0, 4);
    CHECK_OK();
    c->st_hold = 1;
    for (i = 0; i < 4; i++)
        CHECK_RC(virtio_input_send_status(&in, VIRTIO_INPUT_EV_LED, 0, 1), VIRTIO_OK);
    relax = f->s.relax_calls;
    CHECK_RC(virtio_input_send_status(&in, VIRTIO_INPUT_EV_LED, 0, 1), VIRTIO_ENOSPC);
    CHECK_EQ(f->s.relax_calls, relax); /* no waiting */
    CHECK_EQ(virtio_input_status_pending(&in), 4);
    simi_release_status(c);
    c->st_hold = 0;
    CHECK_RC(virtio_input_send_status(&in, VIRTIO_INPUT_EV_LED, 0, 0), VIRTIO_OK);
    CHECK_EQ(virtio_input_status_pending(&in), 1); /* used, reclaimed by the next send */
    /* events go on meanwhile */
    CHECK(simi_key(c, VIRTIO_INPUT_KEY_A, 1));
    expect(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_A, 1);
}

/* A device whose status queue is smaller than status_bufs: ENOSPC when the queue is full. */
static void t_status_small_queue(fx *f) {
    virtio_input in;
    f->s.q[1].num_max = 2;
    up(f, &in);
    CHECK_OK();
    dev_of(f)->st_hold = 1;
    CHECK_RC(virtio_input_send_status(&in, VIRTIO_INPUT_EV_LED, 0, 1), VIRTIO_OK);
    CHECK_RC(virtio_input_send_status(&in, VIRTIO_INPUT_EV_LED, 0, 1), VIRTIO_OK);
    CHECK_RC(virtio_input_send_status(&in, VIRTIO_INPUT_EV_LED, 0, 1), VIRTIO_ENOSPC);
    CHECK_RC(virtio_dev_usable(&in.dev), VIRTIO_OK);
}

/* ---- Keyboard ------------------------------------------------------------------------------- */
static void t_key_map(fx *f) {
    static const char row1[] = "1234567890-=";
    static const char row1s[] = "!@#$%^&*()_+";
    static const char letters[] = "qwertyuiop";
    uint32_t i;
    (void)f;
    for (i = 0; i < 12; i++) {
        CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_1 + i, 0, 0), row1[i]);
        CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_1 + i, 1, 0), row1s[i]);
        CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_1 + i, 0, 1), row1[i]); /* caps */
    }
    for (i = 0; i < 10; i++) {
        int c = letters[i];
        CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_Q + i, 0, 0), c);
        CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_Q + i, 1, 0), c - 32);
        CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_Q + i, 0, 1), c - 32);
        CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_Q + i, 1, 1), c);
    }
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_A, 0, 0), 'a');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_L, 0, 0), 'l');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_Z, 0, 0), 'z');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_M, 1, 0), 'M');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_SEMICOLON, 0, 0), ';');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_SEMICOLON, 1, 0), ':');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_APOSTROPHE, 1, 0), '"');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_GRAVE, 0, 0), '`');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_GRAVE, 1, 0), '~');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_BACKSLASH, 0, 0), '\\');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_BACKSLASH, 1, 0), '|');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_LEFTBRACE, 1, 0), '{');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_RIGHTBRACE, 0, 0), ']');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_COMMA, 1, 0), '<');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_DOT, 1, 0), '>');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_SLASH, 1, 1), '?');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_SPACE, 1, 1), ' ');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_ENTER, 0, 0), '\n');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_KPENTER, 0, 0), '\n');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_BACKSPACE, 1, 0), '\b');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_TAB, 0, 0), '\t');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_ESC, 0, 0), 27);
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_KP7, 0, 0), '7');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_KP0, 1, 0), '0');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_KPDOT, 0, 0), '.');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_KPMINUS, 0, 0), '-');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_KPPLUS, 0, 0), '+');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_KPASTERISK, 0, 0), '*');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_KPSLASH, 0, 0), '/');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_KPEQUAL, 0, 0), '=');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_102ND, 0, 0), '\\');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_102ND, 1, 0), '|');
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_LEFTSHIFT, 0, 0), 0);
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_LEFTCTRL, 0, 0), 0);
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_CAPSLOCK, 0, 0), 0);
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_F1, 0, 0), 0);
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_UP, 0, 0), 0);
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_KEY_RESERVED, 0, 0), 0);
    CHECK_EQ(virtio_input_key_to_ascii(VIRTIO_INPUT_BTN_LEFT, 0, 0), 0);
    CHECK_EQ(virtio_input_key_to_ascii(0xffffffffu, 1, 1), 0);
}

static int feed_key(virtio_input_kbd *k, uint16_t code, int32_t value) {
    virtio_input_event ev;
    ev.type = VIRTIO_INPUT_EV_KEY;
    ev.code = code;
    ev.value = value;
    return virtio_input_kbd_feed(k, &ev);
}

/* Shift, Ctrl and Caps Lock; Caps Lock's LED goes to the device on each press. */
static void t_kbd(fx *f) {
    virtio_input in;
    virtio_input_kbd k;
    virtio_input_event ev;
    simi *c = dev_of(f);
    up(f, &in);
    CHECK_OK();
    CHECK_RC(virtio_input_kbd_init(&k, &in), VIRTIO_OK);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_A, 1), 'a');
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_A, 2), 'a'); /* autorepeat */
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_A, 0), 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_LEFTSHIFT, 1), 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_A, 1), 'A');
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_RIGHTSHIFT, 1), 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_LEFTSHIFT, 0), 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_1, 1), '!'); /* right Shift still held */
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_RIGHTSHIFT, 0), 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_1, 1), '1');
    CHECK_EQ(c->nlog, 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_CAPSLOCK, 1), 0);
    CHECK_EQ(k.caps, 1);
    CHECK_EQ(c->nlog, 1);
    CHECK_EQ(c->log[0].type, VIRTIO_INPUT_EV_LED);
    CHECK_EQ(c->log[0].code, VIRTIO_INPUT_LED_CAPSL);
    CHECK_EQ(c->log[0].value, 1);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_CAPSLOCK, 2), 0); /* held: no toggle */
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_CAPSLOCK, 0), 0);
    CHECK_EQ(k.caps, 1);
    CHECK_EQ(c->nlog, 1);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_B, 1), 'B');
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_2, 1), '2');
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_LEFTSHIFT, 1), 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_B, 1), 'b');
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_LEFTSHIFT, 0), 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_CAPSLOCK, 1), 0);
    CHECK_EQ(k.caps, 0);
    CHECK_EQ(c->nlog, 2);
    CHECK_EQ(c->log[1].value, 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_RIGHTCTRL, 1), 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_C, 1), 3); /* Ctrl-C */
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_1, 1), '1');
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_RIGHTCTRL, 0), 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_LEFTALT, 1), 0);
    CHECK_EQ(k.alt, 1);
    /* other event types change nothing */
    ev.type = VIRTIO_INPUT_EV_SYN;
    ev.code = 0;
    ev.value = 1;
    CHECK_EQ(virtio_input_kbd_feed(&k, &ev), 0);
    CHECK_RC(virtio_input_kbd_feed(&k, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_kbd_feed(NULL, &ev), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_kbd_init(NULL, &in), VIRTIO_EINVAL);
    /* the LED's failure is reported, Caps Lock toggles anyway */
    c->st_hold = 1;
    {
        uint32_t i;
        for (i = 0; i < VIRTIO_INPUT_STATUS_BUFS; i++)
            (void)feed_key(&k, VIRTIO_INPUT_KEY_CAPSLOCK, 1);
    }
    CHECK_RC(feed_key(&k, VIRTIO_INPUT_KEY_CAPSLOCK, 1), VIRTIO_ENOSPC);
    CHECK_EQ(k.caps, 1);
}

/* A device without LEDs (a mouse), or no device: Caps Lock toggles, nothing is sent. */
static void t_kbd_no_led(fx *f) {
    virtio_input in;
    virtio_input_kbd k;
    up(f, &in);
    CHECK_OK();
    CHECK_RC(virtio_input_kbd_init(&k, &in), VIRTIO_OK);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_CAPSLOCK, 1), 0);
    CHECK_EQ(dev_of(f)->nlog, 0);
    CHECK_RC(virtio_input_kbd_init(&k, NULL), VIRTIO_OK);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_CAPSLOCK, 1), 0);
    CHECK_EQ(feed_key(&k, VIRTIO_INPUT_KEY_X, 1), 'X');
}

static void t_line(fx *f) {
    char buf[6];
    virtio_input_line l;
    (void)f;
    CHECK_RC(virtio_input_line_init(&l, buf, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_line_init(&l, NULL, 6), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_line_init(NULL, buf, 6), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_line_init(&l, buf, sizeof buf), VIRTIO_OK);
    CHECK_EQ(virtio_input_line_feed(&l, '\b'), VIRTIO_INPUT_LINE_NONE);
    CHECK_EQ(virtio_input_line_feed(&l, 'h'), VIRTIO_INPUT_LINE_ADDED);
    CHECK_EQ(virtio_input_line_feed(&l, 'e'), VIRTIO_INPUT_LINE_ADDED);
    CHECK_EQ(virtio_input_line_feed(&l, 'x'), VIRTIO_INPUT_LINE_ADDED);
    CHECK_EQ(virtio_input_line_feed(&l, '\b'), VIRTIO_INPUT_LINE_ERASED);
    CHECK_EQ(virtio_input_line_feed(&l, 'l'), VIRTIO_INPUT_LINE_ADDED);
    CHECK_EQ(virtio_input_line_feed(&l, '\t'), VIRTIO_INPUT_LINE_NONE);
    CHECK_EQ(virtio_input_line_feed(&l, 27), VIRTIO_INPUT_LINE_NONE);
    CHECK_EQ(virtio_input_line_feed(&l, 200), VIRTIO_INPUT_LINE_NONE);
    CHECK_EQ(virtio_input_line_feed(&l, -1), VIRTIO_INPUT_LINE_NONE);
    CHECK_EQ(virtio_input_line_feed(&l, 'l'), VIRTIO_INPUT_LINE_ADDED);
    CHECK_EQ(virtio_input_line_feed(&l, 'o'), VIRTIO_INPUT_LINE_ADDED);
    CHECK_EQ(virtio_input_line_feed(&l, '!'), VIRTIO_INPUT_LINE_NONE); /* full: 5 + NUL */
    CHECK(strcmp(buf, "hello") == 0);
    CHECK_EQ(virtio_input_line_feed(&l, '\n'), VIRTIO_INPUT_LINE_DONE);
    CHECK(strcmp(buf, "hello") == 0);
    CHECK_EQ(l.len, 5);
    CHECK_EQ(virtio_input_line_feed(&l, 127), VIRTIO_INPUT_LINE_NONE); /* a new, empty line */
    CHECK(strcmp(buf, "") == 0);
    CHECK_EQ(virtio_input_line_feed(&l, '\r'), VIRTIO_INPUT_LINE_DONE);
    CHECK(strcmp(buf, "") == 0);
    CHECK_EQ(virtio_input_line_feed(&l, 'a'), VIRTIO_INPUT_LINE_ADDED);
    CHECK(strcmp(buf, "a") == 0);
    CHECK_RC(virtio_input_line_feed(NULL, 'a'), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_line_init(&l, buf, 1), VIRTIO_OK);
    CHECK_EQ(virtio_input_line_feed(&l, 'a'), VIRTIO_INPUT_LINE_NONE);
    CHECK_EQ(virtio_input_line_feed(&l, '\n'), VIRTIO_INPUT_LINE_DONE);
}

/* Typed on the device: "Hi, Caps" with Shift, a typo erased, Caps Lock, Enter. */
static void t_typed_line(fx *f) {
    static const struct {
        uint16_t code;
        int32_t value;
    } keys[] = {
        {VIRTIO_INPUT_KEY_LEFTSHIFT, 1}, {VIRTIO_INPUT_KEY_H, 1},     {VIRTIO_INPUT_KEY_H, 0},
        {VIRTIO_INPUT_KEY_LEFTSHIFT, 0}, {VIRTIO_INPUT_KEY_I, 1},     {VIRTIO_INPUT_KEY_I, 0},
        {VIRTIO_INPUT_KEY_COMMA, 1},     {VIRTIO_INPUT_KEY_SPACE, 1}, {VIRTIO_INPUT_KEY_X, 1},
        {VIRTIO_INPUT_KEY_BACKSPACE, 1}, {VIRTIO_INPUT_KEY_CAPSLOCK, 1},
        {VIRTIO_INPUT_KEY_CAPSLOCK, 0},  {VIRTIO_INPUT_KEY_C, 1},     {VIRTIO_INPUT_KEY_A, 1},
        {VIRTIO_INPUT_KEY_CAPSLOCK, 1},  {VIRTIO_INPUT_KEY_P, 1},     {VIRTIO_INPUT_KEY_S, 1},
        {VIRTIO_INPUT_KEY_ENTER, 1},     {VIRTIO_INPUT_KEY_ENTER, 0},
    };
    virtio_input in;
    virtio_input_kbd k;
    virtio_input_line l;
    virtio_input_event ev;
    char text[32];
    uint32_t i, done = 0;
    up(f, &in);
    CHECK_OK();
    CHECK_RC(virtio_input_kbd_init(&k, &in), VIRTIO_OK);
    CHECK_RC(virtio_input_line_init(&l, text, sizeof text), VIRTIO_OK);
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        CHECK(simi_key(dev_of(f), keys[i].code, keys[i].value));
    while (virtio_input_recv_poll(&in, &ev) == VIRTIO_OK) {
        int c = virtio_input_kbd_feed(&k, &ev);
        CHECK(c >= 0);
        if (c > 0 && virtio_input_line_feed(&l, c) == VIRTIO_INPUT_LINE_DONE) done++;
    }
    CHECK_EQ(done, 1);
    CHECK(strcmp(text, "Hi, CAps") == 0);
    CHECK_EQ(dev_of(f)->nlog, 2); /* Caps Lock on, off */
}

/* ---- Caller errors, state, memory ---------------------------------------------------------- */
static void t_init_caller_errors(fx *f) {
    virtio_input in;
    virtio_input_params p;
    size_t sz;
    uint8_t *mem = in_mem(f, NULL, &sz);
    uint8_t *big = (uint8_t *)fx_alloc(f, sz + 8192, 4096);
    memset(big, PATTERN, sz + 8192);
    memset(&in, 0, sizeof in);
    memset(&p, 0, sizeof p);
    CHECK_RC(virtio_input_init(NULL, &f->t, NULL, mem, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_init(&in, NULL, NULL, mem, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, NULL, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz - 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, big + 8, sz), VIRTIO_EINVAL);
    p.event_bufs = VIRTIO_INPUT_EVENT_BUFS_MIN - 1;
    CHECK_RC(virtio_input_init(&in, &f->t, &p, big, sz + 8192), VIRTIO_EINVAL);
    p.event_bufs = 32769;
    CHECK_RC(virtio_input_init(&in, &f->t, &p, big, sz + 8192), VIRTIO_EINVAL);
    p.event_bufs = 0;
    p.status_bufs = 32769;
    CHECK_RC(virtio_input_init(&in, &f->t, &p, big, sz + 8192), VIRTIO_EINVAL);
    CHECK_EQ(f->s.writes, 0);
    CHECK_EQ(f->s.reads, 0);
    CHECK(all_pattern(mem, sz));
    CHECK(all_pattern(big, sz + 8192));
    CHECK_RC(virtio_input_recv_poll(&in, NULL), VIRTIO_ESTATE);
}

static void t_io_caller_errors(fx *f) {
    virtio_input in;
    virtio_input_event evs[2];
    uint32_t n = 7;
    unsigned long reads, writes, chains;
    up(f, &in);
    CHECK_OK();
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_A, 1));
    reads = f->s.reads;
    writes = f->s.writes;
    chains = f->s.chains_total;
    CHECK_RC(virtio_input_recv_poll(NULL, evs), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_recv_poll(&in, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_recv_wait(&in, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_recv_wait(NULL, evs), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_report_poll(&in, evs, 0, &n), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_report_poll(&in, NULL, 2, &n), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_report_poll(&in, evs, 2, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_report_wait(NULL, evs, 2, &n), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_query(&in, 1, 0, NULL, 4, &n), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_query(NULL, 1, 0, evs, 4, &n), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_send_status(NULL, 0x11, 1, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_ids(&in, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_abs_info(&in, 0, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_input_reset(NULL), VIRTIO_EINVAL);
    CHECK_EQ(n, 7);
    CHECK_EQ(f->s.writes, writes);
    CHECK_EQ(f->s.reads, reads);
    CHECK_EQ(f->s.chains_total, chains);
    /* the event is still there */
    expect(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_A, 1);
}

static void t_wrong_device(fx *f) {
    virtio_input in;
    uint8_t *mem = (uint8_t *)fx_alloc(f, 65536, 4096);
    memset(mem, PATTERN, 65536);
    memset(&in, 0, sizeof in);
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, 65536), VIRTIO_ENODEV);
    CHECK_EQ(f->s.writes, 0);
    CHECK(all_pattern(mem, 65536));
    CHECK_RC(virtio_input_recv_poll(&in, NULL), VIRTIO_ESTATE);
}

static void t_zeroed(fx *f) {
    virtio_input in;
    virtio_input_event ev;
    virtio_input_devids ids;
    virtio_input_absinfo ai;
    uint32_t n;
    uint8_t b[4];
    memset(&in, 0, sizeof in);
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_ESTATE);
    CHECK_RC(virtio_input_recv_wait(&in, &ev), VIRTIO_ESTATE);
    CHECK_RC(virtio_input_report_poll(&in, &ev, 1, &n), VIRTIO_ESTATE);
    CHECK_RC(virtio_input_report_wait(&in, &ev, 1, &n), VIRTIO_ESTATE);
    CHECK_RC(virtio_input_send_status(&in, 0x11, 1, 1), VIRTIO_ESTATE);
    CHECK_RC(virtio_input_query(&in, 1, 0, b, 4, &n), VIRTIO_ESTATE);
    CHECK_RC(virtio_input_ids(&in, &ids), VIRTIO_ESTATE);
    CHECK_RC(virtio_input_abs_info(&in, 0, &ai), VIRTIO_ESTATE);
    CHECK_RC(virtio_input_reset(&in), VIRTIO_ESTATE);
    CHECK(strcmp(virtio_input_name(&in), "") == 0);
    CHECK(strcmp(virtio_input_serial(NULL), "") == 0);
    CHECK_EQ(virtio_input_props(&in), 0);
    CHECK_EQ(virtio_input_has_event(&in, 1, 30), 0);
    CHECK_EQ(virtio_input_has_type(NULL, 1), 0);
    CHECK_EQ(virtio_input_status_pending(&in), 0);
    CHECK_EQ(f->s.reads + f->s.writes, 0);
}

static void t_init_reset_stuck(fx *f) {
    virtio_input in;
    size_t sz;
    uint8_t *mem = in_mem(f, NULL, &sz);
    virtio_input_event ev;
    set_spin_limit(f, 1000);
    f->s.reset_stuck = 1;
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz), VIRTIO_EBUSY);
    CHECK(all_pattern(mem, sz));
    CHECK_EQ(f->s.status_writes, 1); /* the reset only */
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_EBUSY);
    CHECK_RC(virtio_input_reset(&in), VIRTIO_EBUSY);
    f->s.reset_stuck = 0;
    CHECK_RC(virtio_input_reset(&in), VIRTIO_OK);
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_ESTATE);
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz), VIRTIO_OK);
}

/* Reset: the device stops; every call says ESTATE until init; init again works, and an earlier
   stage's running device is reset before init writes memory. */
static void t_reset(fx *f) {
    virtio_input in;
    virtio_input_event ev;
    virtio_input_devids ids;
    size_t sz;
    uint8_t *mem = in_mem(f, NULL, &sz);
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz), VIRTIO_OK);
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_A, 1));
    CHECK(virtio_input_name(&in)[0] != 0);
    CHECK(virtio_input_has_type(&in, VIRTIO_INPUT_EV_KEY));
    CHECK_RC(virtio_input_reset(&in), VIRTIO_OK);
    CHECK_EQ(f->s.status, 0);
    /* the identity lived in mem, which is the caller's again: nothing is answered from it */
    CHECK_EQ(virtio_input_name(&in)[0], 0);
    CHECK(!virtio_input_has_type(&in, VIRTIO_INPUT_EV_KEY));
    CHECK_RC(virtio_input_ids(&in, &ids), VIRTIO_ESTATE);
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_ESTATE);
    CHECK_RC(virtio_input_send_status(&in, 0x11, 1, 1), VIRTIO_ESTATE);
    CHECK(!simi_key(dev_of(f), VIRTIO_INPUT_KEY_B, 1)); /* not routed: no driver */
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz), VIRTIO_OK);
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_C, 1));
    expect(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_C, 1);
    /* a new init over a running device (an earlier stage's): reset first */
    memset(&in, 0, sizeof in);
    f->s.resets = 0;
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz), VIRTIO_OK);
    CHECK_EQ(f->s.resets, 1);
    CHECK_EQ(f->s.status_hist[0], VIRTIO_STATUS_ACKNOWLEDGE); /* the first write after it */
}

static void t_no_queue(fx *f) {
    virtio_input in;
    virtio_input_event ev;
    size_t sz;
    uint8_t *mem = in_mem(f, NULL, &sz);
    f->s.q[1].num_max = 0;
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz), VIRTIO_ENOQUEUE);
    CHECK(f->s.status & SIM_S_FAILED);
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_ENOQUEUE);
    CHECK(strcmp(virtio_input_name(&in), "") == 0);
}

/* A device with a smaller eventq than event_bufs: only what fits is posted. */
static void t_small_eventq(fx *f) {
    virtio_input in;
    f->s.q[0].num_max = 32;
    up(f, &in);
    CHECK_OK();
    CHECK_EQ(virtio_queue_size(&in.eventq), 32);
    CHECK_EQ(simi_held_events(dev_of(f)), 32);
    CHECK(simi_key(dev_of(f), VIRTIO_INPUT_KEY_A, 1));
    expect(&in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_A, 1);
}

static void t_mem_size(fx *f) {
    static const uint32_t ev[] = {0, 16, 17, 64, 100, 1000, 32768};
    static const uint32_t st[] = {0, 1, 3, 8, 100};
    virtio_input_params p;
    virtio_input in;
    size_t sz;
    uint8_t *mem;
    uint32_t i, j;
    memset(&p, 0, sizeof p);
    CHECK_EQ(virtio_input_mem_size(NULL, &f->t), virtio_input_mem_size(&p, &f->t));
    CHECK_EQ(VIRTIO_INPUT_MEM(0, 0), VIRTIO_INPUT_MEM(64, 8));
    for (i = 0; i < sizeof ev / sizeof ev[0]; i++)
        for (j = 0; j < sizeof st / sizeof st[0]; j++) {
            p.event_bufs = ev[i];
            p.status_bufs = st[j];
            CHECK(virtio_input_mem_size(&p, &f->t) != 0);
            CHECK_LE(virtio_input_mem_size(&p, &f->t), virtio_input_mem_size(&p, NULL));
            CHECK_LE(virtio_input_mem_size(&p, NULL), VIRTIO_INPUT_MEM(ev[i], st[j]));
        }
    p.event_bufs = 15;
    p.status_bufs = 0;
    CHECK_EQ(virtio_input_mem_size(&p, NULL), 0);
    p.event_bufs = 0;
    p.status_bufs = 40000;
    CHECK_EQ(virtio_input_mem_size(&p, NULL), 0);
    /* 16-aligned memory that is not 4096-aligned: enough for modern, not for legacy */
    sz = virtio_input_mem_size(NULL, &f->t);
    mem = (uint8_t *)fx_alloc(f, sz + 4096, 4096) + 16;
    CHECK_RC(virtio_input_init(&in, &f->t, NULL, mem, sz),
             f->ver == 1 ? VIRTIO_EINVAL : VIRTIO_OK);
}


/* The cost of receiving: register accesses per event and per batch of 16 (MMIO), and a poll
   that finds nothing. */
static void t_cost(fx *f) {
    virtio_input in;
    virtio_input_event ev;
    simi *c = dev_of(f);
    unsigned long before;
    uint32_t i, one, batch, idle;
    up(f, &in);
    CHECK_OK();
    for (i = 0; i < 16; i++)
        simi_event(c, VIRTIO_INPUT_EV_REL, VIRTIO_INPUT_REL_X, (int32_t)i);
    before = f->s.reads + f->s.writes;
    CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_OK);
    one = (uint32_t)(f->s.reads + f->s.writes - before);
    for (i = 1; i < 16; i++)
        CHECK_RC(virtio_input_recv_poll(&in, &ev), VIRTIO_OK);
    batch = (uint32_t)(f->s.reads + f->s.writes - before);
    before = f->s.reads + f->s.writes;
    expect_none(&in);
    idle = (uint32_t)(f->s.reads + f->s.writes - before);
    CHECK_EQ(one, 0);
    CHECK_LE(batch, 1);
    CHECK_EQ(idle, 0);
    printf("INFO input register accesses (v%u, %s): %u for one event, %u for a batch of 16, "
           "%u for an empty poll\n",
           (unsigned)f->ver, f->eidx ? "event_idx" : "no event_idx", one, batch, idle);
}

static const tcase kbd_cases[] = {
    {"keyboard: name, ids, event bits, LEDs, 64 buffers posted", t_keyboard, RUN_BOTH | RUN_EIDX},
    {"the simulator clobbers select/subsel on a read between them (QEMU)", t_sim_clobber,
     RUN_BOTH},
    {"strings with and without NUL, 128 bytes, embedded NUL, empty", t_strings, RUN_BOTH},
    {"size above 128 -> EDEVICE, FAILED, nothing trusted", t_size_too_big, RUN_BOTH},
    {"full bitmaps, EV_MAX, property bits", t_bitmaps, RUN_BOTH},
    {"generation never settles -> EDEVICE (modern), bounded", t_gen_churn, RUN_BOTH},
    {"key events in order, CPU order, unknown ones passed; wait times out, no reset",
     t_key_events, RUN_BOTH | RUN_EIDX},
    {"flood of 20000 reports read as they come: none dropped, one publish per 16", t_flood,
     RUN_BOTH | RUN_EIDX},
    {"unread flood with 16 buffers: QEMU drops whole reports, reading recovers", t_flood_unread,
     RUN_BOTH | RUN_EIDX},
    {"event used length 7 -> EDEVICE latched", t_event_len_short, RUN_BOTH},
    {"event used length 9 -> clamped to 8, counted", t_event_len_long, RUN_BOTH},
    {"NEEDS_RESET during recv_wait -> ENEEDS_RESET, reset", t_needs_reset, RUN_BOTH},
    {"status queue: LED events, used lengths 8, 0, 3, 100, 2^32-2 all taken", t_status,
     RUN_BOTH | RUN_EIDX},
    {"status queue: a used id never posted -> EDEVICE latched, FAILED, events refused too",
     t_status_bad_id, RUN_BOTH | RUN_EIDX},
    {"status queue never answers -> ENOSPC without waiting, recovers", t_status_never_answers,
     RUN_BOTH},
    {"status queue smaller than status_bufs -> ENOSPC", t_status_small_queue, RUN_BOTH},
    {"keyboard state: Shift, Ctrl, Caps Lock and its LED", t_kbd, RUN_BOTH},
    {"typed line through device, key map and line editor", t_typed_line, RUN_BOTH | RUN_EIDX},
    {"init caller errors: EINVAL, no register access, memory untouched", t_init_caller_errors,
     RUN_BOTH},
    {"I/O caller errors change nothing", t_io_caller_errors, RUN_BOTH},
    {"zeroed object -> ESTATE everywhere, no register access", t_zeroed, RUN_BOTH},
    {"init, reset stuck -> EBUSY before any memory write", t_init_reset_stuck, RUN_BOTH},
    {"reset, ESTATE, init again; init resets a running device first", t_reset, RUN_BOTH},
    {"no statusq -> ENOQUEUE, FAILED", t_no_queue, RUN_BOTH},
    {"device eventq smaller than event_bufs", t_small_eventq, RUN_BOTH},
    {"mem_size, VIRTIO_INPUT_MEM bound, alignment per transport", t_mem_size, RUN_BOTH},
    {"cost: register accesses per event, per batch of 16, per empty poll", t_cost,
     RUN_BOTH | RUN_EIDX | RUN_MMIO_ONLY},
    {"US key map", t_key_map, RUN_ONCE},
    {"line editor", t_line, RUN_ONCE},
};

static const tcase tablet_cases[] = {
    {"tablet: axes 0..32767, buttons", t_tablet, RUN_BOTH},
    {"every select on demand after DRIVER_OK (generation bumps)", t_query_every_select,
     RUN_BOTH | RUN_EIDX},
    {"short devids / absinfo -> EDEVICE; size 0 -> ENOTSUP; signed ranges", t_short_structs,
     RUN_BOTH},
    {"reports: whole, half then finished, in pieces, mixed with recv_poll", t_reports,
     RUN_BOTH | RUN_EIDX},
    {"a report of 100 events comes in pieces of 64", t_report_long, RUN_BOTH},
    {"report_wait: times out without reset, then a report", t_report_wait, RUN_BOTH},
};

static const tcase mouse_cases[] = {
    {"mouse: relative axes, signed motion", t_mouse, RUN_BOTH},
    {"no LED on the device: Caps Lock sends nothing", t_kbd_no_led, RUN_BOTH},
};

static const tcase blk_cases[] = {
    {"block device -> ENODEV, no register access, memory untouched", t_wrong_device, RUN_BOTH},
};

int main(void) {
    run_table("input", kbd_cases, sizeof kbd_cases / sizeof kbd_cases[0], setup_kbd);
    run_table("input", tablet_cases, sizeof tablet_cases / sizeof tablet_cases[0], setup_tablet);
    run_table("input", mouse_cases, sizeof mouse_cases / sizeof mouse_cases[0], setup_mouse);
    run_table("input", blk_cases, sizeof blk_cases / sizeof blk_cases[0], setup_blk);
    return t_summary("test_input");
}
