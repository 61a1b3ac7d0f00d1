/* sim_console.c - the simulated virtio console; see sim_console.h. */
#include "sim_console.h"

#include <stdlib.h>
#include <string.h>

static simc *ctx_of(sim *s) { return (simc *)s->ctx; }
static int negotiated(const simc *c, unsigned bit) {
    return (int)((c->s->drv_features >> bit) & 1u);
}
static int multiport(const simc *c) { return negotiated(c, SIMC_F_MULTIPORT); }

/* Queue numbers: port 0 rx 0 / tx 1, control 2 / 3, port n 2n+2 / 2n+3. */
static unsigned rxq(uint32_t port) { return port == 0 ? 0u : 2u * port + 2u; }

/* ---- Held chains ------------------------------------------------------------------------------
 */
static void hold(simc *c, unsigned q, uint16_t head, const sim_chain *ch) {
    simc_fifo *f = &c->held[q];
    simc_held *h;
    unsigned i;
    if (f->count == SIMC_HELD) {
        sim_violation(c->s, "console sim: more than %u buffers held on queue %u", SIMC_HELD, q);
        return;
    }
    h = &f->h[(f->first + f->count) % SIMC_HELD];
    f->count++;
    h->head = head;
    h->n = ch->n < SIMC_SEGS ? ch->n : SIMC_SEGS;
    h->wlen = (uint32_t)ch->wlen;
    for (i = 0; i < h->n; i++) {
        h->p[i] = ch->seg[i].p;
        h->len[i] = ch->seg[i].len;
    }
}

static simc_held *peek_held(simc *c, unsigned q) {
    simc_fifo *f = &c->held[q];
    return f->count ? &f->h[f->first] : NULL;
}

static void pop_held(simc *c, unsigned q) {
    simc_fifo *f = &c->held[q];
    f->first = (f->first + 1u) % SIMC_HELD;
    f->count--;
}

/* Copies len bytes into the (writable) segments of a held chain; returns bytes copied. */
static uint32_t fill(simc_held *h, const uint8_t *src, uint32_t len) {
    uint32_t done = 0;
    unsigned i;
    for (i = 0; i < h->n && done < len; i++) {
        uint32_t n = h->len[i] < len - done ? h->len[i] : len - done;
        memcpy(h->p[i], src + done, n);
        done += n;
    }
    return done;
}

/* ---- Delivery ---------------------------------------------------------------------------------
 */
static int deliverable(const simc *c, uint32_t k) {
    const simc_port *p = &c->port[k];
    if (!p->exists || !(c->s->status & SIM_S_DRIVER_OK)) return 0;
    if (!multiport(c)) return k == 0;
    return p->ready && p->guest_open;
}

void simc_pump(simc *c) {
    uint32_t k;
    /* Control messages, in order, into control receive buffers. A message longer than the
       buffer is cut, and its full length reported (QEMU's send_control_msg). */
    while (c->msg_count && c->held[2].count && c->s->q[2].live) {
        simc_held *h = peek_held(c, 2);
        uint32_t len = c->msg_len[c->msg_first];
        fill(h, c->msg[c->msg_first], len);
        sim_complete(c->s, 2, h->head, len, h->wlen);
        pop_held(c, 2);
        c->msg_first = (c->msg_first + 1u) % SIMC_MSGS;
        c->msg_count--;
        c->msgs_sent++;
    }
    if (c->ctrl_drop && c->msg_count) {
        c->msgs_dropped += c->msg_count;
        c->msg_count = 0;
    }
    /* Host data into receive buffers. */
    for (k = 0; k < SIMC_MAX_PORTS; k++) {
        simc_port *p = &c->port[k];
        unsigned q = rxq(k);
        if (!deliverable(c, k) || !c->s->q[q].live) continue;
        while (p->in_off < p->in_len && c->held[q].count) {
            simc_held *h = peek_held(c, q);
            uint32_t n =
                (uint32_t)(p->in_len - p->in_off < h->wlen ? p->in_len - p->in_off : h->wlen);
            if (c->rx_max_fill && n > c->rx_max_fill) n = c->rx_max_fill;
            n = fill(h, p->in + p->in_off, n);
            sim_complete(c->s, q, h->head, n, h->wlen);
            pop_held(c, q);
            p->in_off += n;
            p->rx_chains++;
        }
        if (p->in_off == p->in_len) p->in_off = p->in_len = 0;
    }
}

/* ---- Device -> driver control messages --------------------------------------------------------
 */
void simc_raw_ctrl(simc *c, const void *msg, uint32_t len) {
    unsigned i;
    if (c->msg_count == SIMC_MSGS || len > SIMC_MSG_MAX) {
        sim_violation(c->s, "console sim: control message queue full (test bug)");
        return;
    }
    i = (c->msg_first + c->msg_count) % SIMC_MSGS;
    memcpy(c->msg[i], msg, len);
    c->msg_len[i] = len;
    c->msg_count++;
    simc_pump(c);
}

void simc_ctrl(simc *c, uint32_t id, uint16_t event, uint16_t value, const void *extra,
               uint32_t extra_len) {
    uint8_t m[SIMC_MSG_MAX];
    /* struct virtio_console_control, little-endian (legacy: guest order) */
    sim_st32(c->s, m, id);
    sim_st16(c->s, m + 4, event);
    sim_st16(c->s, m + 6, value);
    if (extra_len > SIMC_MSG_MAX - 8u) extra_len = SIMC_MSG_MAX - 8u;
    if (extra_len) memcpy(m + 8, extra, extra_len);
    simc_raw_ctrl(c, m, 8u + extra_len);
}

static void announce(simc *c, uint32_t id) {
    c->port[id].announced = 1;
    simc_ctrl(c, id, SIMC_DEVICE_ADD, 1, NULL, 0);
}

/* PORT_READY 1 taken: tell the driver what the port is (QEMU's order). */
static void port_ready(simc *c, uint32_t id) {
    simc_port *p = &c->port[id];
    if (p->console) simc_ctrl(c, id, SIMC_CONSOLE_PORT, 1, NULL, 0);
    if (p->named) {
        uint32_t n = (uint32_t)strlen(p->name);
        simc_ctrl(c, id, SIMC_PORT_NAME, 1, p->name, n + (c->name_nul ? 1u : 0u));
    }
    if (p->host_open) simc_ctrl(c, id, SIMC_PORT_OPEN, 1, NULL, 0);
}

/* ---- Driver -> device control messages --------------------------------------------------------
 */
static void driver_msg(simc *c, uint32_t id, uint16_t event, uint16_t value) {
    simc_port *p = id < SIMC_MAX_PORTS ? &c->port[id] : NULL;
    uint32_t k;
    if (c->nlog < SIMC_LOG) {
        c->log[c->nlog].id = id;
        c->log[c->nlog].event = event;
        c->log[c->nlog].value = value;
    }
    c->nlog++;
    switch (event) {
    case SIMC_DEVICE_READY:
        if (c->device_ready) sim_violation(c->s, "console: DEVICE_READY sent twice");
        if (value != 1) return;
        c->device_ready = 1;
        for (k = 0; k < SIMC_MAX_PORTS; k++)
            if (c->port[k].exists) announce(c, k);
        return;
    case SIMC_PORT_READY:
        if (!c->device_ready) sim_violation(c->s, "console: PORT_READY before DEVICE_READY");
        if (!p) {
            /* An id the simulator has no port for: only a refusal makes sense. */
            if (value != 0) sim_violation(c->s, "console: PORT_READY 1 for unknown port %u", id);
            return;
        }
        if (!p->announced) {
            sim_violation(c->s, "console: PORT_READY for port %u, which was not announced", id);
            return;
        }
        if (p->ready || p->refused)
            sim_violation(c->s, "console: PORT_READY for port %u twice", id);
        if (value == 1) {
            p->ready = 1;
            port_ready(c, id);
        } else if (value == 0) {
            p->refused = 1;
        } else {
            sim_violation(c->s, "console: PORT_READY value %u", value);
        }
        return;
    case SIMC_PORT_OPEN:
        if (!p || !p->ready) {
            sim_violation(c->s, "console: PORT_OPEN for port %u, which is not ready", id);
            return;
        }
        if (value > 1) sim_violation(c->s, "console: PORT_OPEN value %u", value);
        p->guest_open = value == 1;
        return;
    default:
        sim_violation(c->s, "console: the driver sent event %u, which only a device sends", event);
        return;
    }
}

/* ---- Backend callbacks ------------------------------------------------------------------------
 */
static uint32_t be_chain(sim *s, unsigned q, uint16_t head, sim_chain *ch) {
    simc *c = ctx_of(s);
    uint32_t port;
    if (q == 2 || q == 3) {
        if (!multiport(c)) sim_violation(s, "console: control queue %u used without MULTIPORT", q);
        /* "Legacy Interface: Framing Requirements" */
        if (s->version == 1 && !negotiated(c, SIM_F_ANY_LAYOUT) && ch->n != 1)
            sim_violation(s, "console: legacy control buffer of %u descriptors", ch->n);
        if (q == 2) {
            if (ch->nread) sim_violation(s, "console: readable buffer in the control receiveq");
            hold(c, q, head, ch);
            simc_pump(c);
            return SIM_DEFER;
        }
        if (ch->wlen) sim_violation(s, "console: writable buffer in the control transmitq");
        if (c->ctrl_tx_stall) {
            hold(c, q, head, ch);
            return SIM_DEFER;
        }
        if (ch->rlen != 8) {
            sim_violation(s, "console: driver control message of %llu bytes",
                          (unsigned long long)ch->rlen);
        } else {
            uint8_t m[8];
            sim_chain_copy(ch, 0, 0, m, 8, 0);
            driver_msg(c, sim_ld32(s, m), sim_ld16(s, m + 4), sim_ld16(s, m + 6));
        }
        simc_pump(c);
        return 0;
    }
    port = q < 2 ? 0u : (q - 2u) / 2u;
    if (port >= SIMC_MAX_PORTS) {
        sim_violation(s, "console sim: queue %u (test bug)", q);
        return 0;
    }
    if ((q & 1u) == 0) {
        /* "The driver MUST NOT put a device-readable buffer in a receiveq." */
        if (ch->nread)
            sim_violation(s, "console: readable buffer in the receiveq of port %u", port);
        hold(c, q, head, ch);
        simc_pump(c);
        return SIM_DEFER;
    }
    /* "The driver MUST NOT put a device-writable buffer in a transmitq." */
    if (ch->wlen) sim_violation(s, "console: writable buffer in the transmitq of port %u", port);
    if (multiport(c) && !c->port[port].ready)
        sim_violation(s, "console: transmit on port %u, which is not ready", port);
    if (c->port[port].throttled) {
        hold(c, q, head, ch);
        return SIM_DEFER;
    }
    {
        simc_port *p = &c->port[port];
        uint64_t n = ch->rlen;
        if (p->out_len + n > SIMC_OUT_MAX) n = SIMC_OUT_MAX - p->out_len;
        sim_chain_copy(ch, 0, 0, p->out + p->out_len, n, 0);
        p->out_len += (size_t)n;
        p->tx_chains++;
    }
    return 0; /* the device writes nothing into a transmit buffer */
}

static void be_config_write(sim *s, uint32_t off, uint32_t value, unsigned width) {
    simc *c = ctx_of(s);
    if (off == 8) {
        if (!(s->dev_features & SIM_F(SIMC_F_EMERG_WRITE)))
            sim_violation(s, "console: emerg_wr written, EMERG_WRITE not offered");
        if (width != 4) sim_violation(s, "console: %u-byte write of emerg_wr (le32)", width);
        if (c->emerg_len < sizeof c->emerg) {
            c->emerg_raw[c->emerg_len] = value;
            c->emerg[c->emerg_len++] = (uint8_t)value; /* "the lower byte written" */
        }
        return;
    }
    sim_violation(s, "console: write of read-only configuration at %u", off);
}

static void be_reset(sim *s) {
    simc *c = ctx_of(s);
    unsigned i;
    c->resets++;
    if (c->on_reset) c->on_reset(c);
    for (i = 0; i < SIM_MAX_QUEUES; i++)
        c->held[i].first = c->held[i].count = 0;
    for (i = 0; i < SIMC_MAX_PORTS; i++) {
        simc_port *p = &c->port[i];
        p->announced = p->ready = p->refused = p->guest_open = 0;
        p->in_len = p->in_off = 0;
    }
    c->device_ready = 0;
    c->msg_first = c->msg_count = 0;
}

static const sim_backend_ops simc_ops = {be_chain, be_config_write, be_reset, NULL};

/* ---- Test interface ---------------------------------------------------------------------------
 */
void simc_init(simc *c, sim *s, sim_arena *a, uint32_t version, uint32_t max_nr_ports,
               uint16_t cols, uint16_t rows) {
    uint8_t *in[SIMC_MAX_PORTS], *out[SIMC_MAX_PORTS];
    uint32_t k;
    for (k = 0; k < SIMC_MAX_PORTS; k++) {
        in[k] = c->port[k].in ? c->port[k].in : (uint8_t *)malloc(SIMC_IN_MAX);
        out[k] = c->port[k].out ? c->port[k].out : (uint8_t *)malloc(SIMC_OUT_MAX);
        if (!in[k] || !out[k]) abort();
    }
    memset(c, 0, sizeof *c);
    for (k = 0; k < SIMC_MAX_PORTS; k++) {
        c->port[k].in = in[k];
        c->port[k].out = out[k];
    }
    sim_init_custom(s, a, version, 3, &simc_ops, c);
    c->s = s;
    c->max_nr_ports = max_nr_ports;
    s->dev_features |= SIM_F(SIMC_F_EMERG_WRITE);
    if (max_nr_ports > 1) s->dev_features |= SIM_F(SIMC_F_MULTIPORT);
    if (cols || rows) s->dev_features |= SIM_F(SIMC_F_SIZE);
    s->q[0].num_max = s->q[1].num_max = 256;
    if (max_nr_ports > 1) {
        s->q[2].num_max = s->q[3].num_max = 64;
        for (k = 1; k < max_nr_ports && k < SIMC_MAX_PORTS; k++)
            s->q[rxq(k)].num_max = s->q[rxq(k) + 1u].num_max = 256;
    }
    s->config_len = 12;
    sim_cfg_w16(s, 0, cols);
    sim_cfg_w16(s, 2, rows);
    sim_cfg_w32(s, 4, max_nr_ports);
    sim_cfg_w32(s, 8, 0);
    s->config_early_off = 8; /* emerg_wr: "even on an unconfigured device" */
    s->config_early_len = 4;
}

void simc_free(simc *c) {
    uint32_t k;
    for (k = 0; k < SIMC_MAX_PORTS; k++) {
        free(c->port[k].in);
        free(c->port[k].out);
        c->port[k].in = c->port[k].out = NULL;
    }
}

void simc_add_port(simc *c, uint32_t id, const char *name, int console, int host_open) {
    simc_port *p;
    if (id >= SIMC_MAX_PORTS) {
        sim_violation(c->s, "console sim: port %u (test bug)", id);
        return;
    }
    p = &c->port[id];
    p->exists = 1;
    p->console = console;
    p->host_open = host_open;
    p->named = name != NULL;
    if (name) {
        strncpy(p->name, name, sizeof p->name - 1u);
        p->name[sizeof p->name - 1u] = 0;
    }
    p->announced = p->ready = p->refused = p->guest_open = 0;
    if (c->device_ready) announce(c, id);
}

void simc_remove_port(simc *c, uint32_t id) {
    simc_port *p = &c->port[id];
    p->exists = 0;
    p->ready = p->refused = p->guest_open = 0;
    p->in_len = p->in_off = 0;
    if (p->announced) {
        p->announced = 0;
        simc_ctrl(c, id, SIMC_DEVICE_REMOVE, 1, NULL, 0);
    }
}

void simc_host_open(simc *c, uint32_t id, int open) {
    simc_port *p = &c->port[id];
    p->host_open = open;
    if (p->ready) simc_ctrl(c, id, SIMC_PORT_OPEN, (uint16_t)(open ? 1 : 0), NULL, 0);
}

void simc_host_send(simc *c, uint32_t id, const void *data, size_t len) {
    simc_port *p = &c->port[id];
    if (p->in_len + len > SIMC_IN_MAX) {
        sim_violation(c->s, "console sim: more than %u bytes waiting (test bug)", SIMC_IN_MAX);
        return;
    }
    memcpy(p->in + p->in_len, data, len);
    p->in_len += len;
    simc_pump(c);
}

void simc_throttle(simc *c, uint32_t id, int on) {
    simc_port *p = &c->port[id];
    unsigned q = rxq(id) + 1u;
    p->throttled = on;
    if (on) return;
    while (c->held[q].count) {
        simc_held *h = peek_held(c, q);
        unsigned i;
        for (i = 0; i < h->n; i++) {
            size_t n = h->len[i];
            if (p->out_len + n > SIMC_OUT_MAX) n = SIMC_OUT_MAX - p->out_len;
            memcpy(p->out + p->out_len, h->p[i], n);
            p->out_len += n;
        }
        p->tx_chains++;
        if (c->s->q[q].live) sim_complete(c->s, q, h->head, 0, 0);
        pop_held(c, q);
    }
}

unsigned simc_count(const simc *c, uint32_t id, uint16_t event, uint16_t *last_value) {
    unsigned i, n = 0;
    for (i = 0; i < c->nlog && i < SIMC_LOG; i++) {
        if (c->log[i].event != event || (id != ~0u && c->log[i].id != id)) continue;
        n++;
        if (last_value) *last_value = c->log[i].value;
    }
    return n;
}
