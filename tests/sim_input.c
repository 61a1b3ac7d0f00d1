/* sim_input.c - the simulated virtio input device; see sim_input.h. */
#include "sim_input.h"

#include <stdlib.h>
#include <string.h>

static simi *ctx_of(sim *s) { return (simi *)s->ctx; }

static void st16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void st32(uint8_t *p, uint32_t v) {
    st16(p, (uint16_t)v);
    st16(p + 2, (uint16_t)(v >> 16));
}
static uint16_t ld16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t ld32(const uint8_t *p) { return (uint32_t)ld16(p) | (uint32_t)ld16(p + 2) << 16; }

/* ---- Configuration ------------------------------------------------------------------------ */
/* The answer to (select, subsel): its stated size and bytes (at most 128). */
static uint32_t answer(simi *c, uint8_t sel, uint8_t sub, uint8_t *out) {
    unsigned i;
    uint32_t n;
    for (i = 0; i < SIMI_OVERRIDES; i++) {
        const simi_override *o = &c->ov[i];
        if (o->used && o->select == sel && o->subsel == sub) {
            memcpy(out, o->data, 128);
            return o->size;
        }
    }
    switch (sel) {
    case SIMI_CFG_ID_NAME:
    case SIMI_CFG_ID_SERIAL: {
        const char *str = sel == SIMI_CFG_ID_NAME ? c->name : c->serial;
        if (sub) return 0;
        n = (uint32_t)strlen(str);
        if (n > 128) n = 128;
        memcpy(out, str, n);
        /* QEMU counts the NUL in NAME's size (and an empty serial has size 0). */
        if (sel == SIMI_CFG_ID_NAME && c->name_nul && n < 128 && n > 0) out[n++] = 0;
        return n;
    }
    case SIMI_CFG_ID_DEVIDS:
        if (sub) return 0;
        memcpy(out, c->ids, 8);
        return c->ids_size;
    case SIMI_CFG_PROP_BITS:
        if (sub) return 0;
        memcpy(out, c->props, 128);
        return c->props_size;
    case SIMI_CFG_EV_BITS:
        if (sub >= 32) return 0;
        memcpy(out, c->bits[sub], 128);
        return c->bits_size[sub];
    case SIMI_CFG_ABS_INFO:
        if (sub >= 64) return 0;
        memcpy(out, c->abs[sub], 20);
        return c->abs_size[sub];
    default: return 0;
    }
}

/* Fills size and u for the current select and subsel. */
static void refresh(simi *c) {
    uint8_t out[128];
    uint32_t size, i;
    memset(out, 0, sizeof out);
    size = answer(c, c->select, c->subsel, out);
    c->s->config[0] = c->select;
    c->s->config[1] = c->subsel;
    c->s->config[2] = (uint8_t)size;
    for (i = 0; i < 128; i++)
        c->s->config[8 + i] = i < size ? out[i] : (c->past_ff ? 0xff : 0);
}

static void be_config_write(sim *s, uint32_t off, uint32_t value, unsigned width) {
    simi *c = ctx_of(s);
    /* A whole word at 0 (VIRTIO_REGS_F_CONFIG32, for crosvm, whose input device takes select
       and subsel from it and ignores the other bytes): both fields at once. */
    if (off == 0 && width == 4 && (value >> 16) == (sim_cfg_r(s, 0, 4) >> 16)) {
        c->select = (uint8_t)value;
        c->subsel = (uint8_t)(value >> 8);
        c->select_pending = 0;
        c->selects++;
    } else if (width != 1 || off > 1) {
        /* "A driver MUST NOT write to configuration fields other than select and subsel." */
        sim_violation(s, "input: %u-byte configuration write at %u", width, off);
        return;
    } else if (off == 0) {
        c->select = (uint8_t)value;
        c->select_pending = 1;
        c->reads_at_select = s->config_reads;
        c->selects++;
    } else {
        c->subsel = (uint8_t)value;
        /* QEMU: a read between the two writes writes a zeroed copy back. */
        if (c->qemu_clobber && c->select_pending && s->config_reads != c->reads_at_select) {
            c->select = c->subsel = 0;
            c->clobbers++;
        }
        c->select_pending = 0;
    }
    refresh(c);
    if (c->gen_bump && (s->status & SIM_S_DRIVER_OK)) {
        s->config_gen++;
        s->isr |= 2u;
    }
}

/* ---- Queues --------------------------------------------------------------------------------- */
static void hold(simi *c, simi_held *q, unsigned *first, unsigned *count, uint16_t head,
                 const sim_chain *ch) {
    simi_held *h;
    if (*count == SIMI_HELD) {
        sim_violation(c->s, "input sim: more than %u buffers held (test bug)", SIMI_HELD);
        return;
    }
    h = &q[(*first + *count) % SIMI_HELD];
    (*count)++;
    h->head = head;
    h->p = ch->seg[0].p;
    h->len = ch->seg[0].len;
    h->wlen = (uint32_t)ch->wlen;
}

/* Events waiting for buffers go into held ones, in order. */
static void deliver(simi *c) {
    while (c->p_count && c->ev_count && c->s->q[0].live) {
        simi_held *h = &c->evq[c->ev_first];
        const simi_ev *e = &c->pending[c->p_first];
        uint8_t b[8];
        st16(b, e->type);
        st16(b + 2, e->code);
        st32(b + 4, (uint32_t)e->value);
        memcpy(h->p, b, h->len < 8 ? h->len : 8);
        sim_complete(c->s, 0, h->head, c->ev_used_len ? c->ev_used_len : 8u, h->wlen);
        c->ev_first = (c->ev_first + 1u) % SIMI_HELD;
        c->ev_count--;
        c->p_first = (c->p_first + 1u) % SIMI_PENDING;
        c->p_count--;
        c->delivered++;
    }
}

static void release_status(simi *c) {
    while (c->st_count && c->s->q[1].live) {
        simi_held *h = &c->stq[c->st_first];
        sim_complete(c->s, 1, h->head, c->st_used_len, h->wlen);
        c->st_first = (c->st_first + 1u) % SIMI_HELD;
        c->st_count--;
    }
}

static uint32_t be_chain(sim *s, unsigned q, uint16_t head, sim_chain *ch) {
    simi *c = ctx_of(s);
    if (q == 0) {
        /* "These buffers MUST be device-writable and MUST be at least the size of struct
           virtio_input_event." */
        if (ch->nread || ch->wlen < 8)
            sim_violation(s, "input: eventq buffer of %llu readable, %llu writable bytes",
                          (unsigned long long)ch->rlen, (unsigned long long)ch->wlen);
        if (ch->seg[0].len < 8) sim_violation(s, "input: eventq event split over descriptors");
        hold(c, c->evq, &c->ev_first, &c->ev_count, head, ch);
        deliver(c);
        return SIM_DEFER;
    }
    if (q != 1) {
        sim_violation(s, "input sim: queue %u (test bug)", q);
        return 0;
    }
    /* "Buffers placed into the statusq by a driver MUST be at least the size of struct
       virtio_input_event." A writable one makes no sense there. */
    if (ch->wlen || ch->rlen < 8)
        sim_violation(s, "input: statusq buffer of %llu readable, %llu writable bytes",
                      (unsigned long long)ch->rlen, (unsigned long long)ch->wlen);
    if (ch->rlen >= 8 && c->nlog < SIMI_LOG) {
        uint8_t b[8];
        sim_chain_copy(ch, 0, 0, b, 8, 0);
        c->log[c->nlog].type = ld16(b);
        c->log[c->nlog].code = ld16(b + 2);
        c->log[c->nlog].value = (int32_t)ld32(b + 4);
        c->log_len[c->nlog] = (uint32_t)ch->rlen;
        c->nlog++;
    }
    if (c->st_hold) {
        hold(c, c->stq, &c->st_first, &c->st_count, head, ch);
        return SIM_DEFER;
    }
    return c->st_used_len; /* QEMU: 8, although it wrote nothing */
}

static void be_reset(sim *s) {
    simi *c = ctx_of(s);
    c->resets++;
    c->ev_first = c->ev_count = c->st_first = c->st_count = 0;
    c->p_first = c->p_count = 0;
    c->select_pending = 0;
}

static void be_destroy(sim *s) {
    simi *c = ctx_of(s);
    if (c && c->owned) free(c);
    s->ctx = NULL;
}

static const sim_backend_ops simi_ops = {be_chain, be_config_write, be_reset, be_destroy};

/* ---- Test interface --------------------------------------------------------------------------- */
void simi_set_bit(simi *c, uint16_t type, uint16_t code) {
    uint32_t byte = code / 8u;
    if (type >= 32 || byte >= 128) return;
    c->bits[type][byte] = (uint8_t)(c->bits[type][byte] | (1u << (code % 8u)));
    if (c->bits_size[type] < byte + 1u) c->bits_size[type] = byte + 1u;
}

static void set_abs(simi *c, unsigned axis, int32_t min, int32_t max) {
    st32(c->abs[axis], (uint32_t)min);
    st32(c->abs[axis] + 4, (uint32_t)max);
    c->abs_size[axis] = 20;
    simi_set_bit(c, 3, (uint16_t)axis);
}

void simi_init(simi *c, sim *s, sim_arena *a, uint32_t version, enum simi_kind kind) {
    uint16_t k;
    memset(c, 0, sizeof *c);
    sim_init_custom(s, a, version, 18, &simi_ops, c);
    c->s = s;
    s->q[0].num_max = s->q[1].num_max = 64;
    s->config_len = SIMI_CONFIG_LEN;
    c->qemu_clobber = c->gen_bump = c->past_ff = c->name_nul = c->drop_reports = 1;
    c->st_used_len = 8;
    st16(c->ids, 6);
    st16(c->ids + 2, 0x0627);
    st16(c->ids + 4, (uint16_t)(kind + 1));
    st16(c->ids + 6, 1);
    c->ids_size = 8;
    switch (kind) {
    case SIMI_KEYBOARD:
        strcpy(c->name, "QEMU Virtio Keyboard");
        for (k = 1; k < 128; k++)
            simi_set_bit(c, 1, k);
        simi_set_bit(c, 0x11, 0); /* LED_NUML, LED_CAPSL, LED_SCROLLL */
        simi_set_bit(c, 0x11, 1);
        simi_set_bit(c, 0x11, 2);
        simi_set_bit(c, 0x14, 0); /* EV_REP */
        break;
    case SIMI_MOUSE:
        strcpy(c->name, "QEMU Virtio Mouse");
        for (k = 0x110; k <= 0x114; k++)
            simi_set_bit(c, 1, k);
        simi_set_bit(c, 2, 0); /* REL_X, REL_Y, REL_WHEEL */
        simi_set_bit(c, 2, 1);
        simi_set_bit(c, 2, 8);
        break;
    case SIMI_TABLET:
        strcpy(c->name, "QEMU Virtio Tablet");
        for (k = 0x110; k <= 0x114; k++)
            simi_set_bit(c, 1, k);
        set_abs(c, 0, 0, 32767);
        set_abs(c, 1, 0, 32767);
        c->props[0] = 0; /* no INPUT_PROP_DIRECT in QEMU's tablet */
        break;
    }
    /* QEMU reports EV_SYN with size 0 (refresh fills the union on the first select). */
    refresh(c);
}

simi *simi_create(sim *s, sim_arena *a, uint32_t version, enum simi_kind kind) {
    simi *c = (simi *)calloc(1, sizeof *c);
    if (!c) abort();
    simi_init(c, s, a, version, kind);
    c->owned = 1;
    return c;
}

void simi_override_answer(simi *c, uint8_t select, uint8_t subsel, uint32_t size,
                          const void *data) {
    unsigned i;
    for (i = 0; i < SIMI_OVERRIDES; i++) {
        simi_override *o = &c->ov[i];
        if (o->used && !(o->select == select && o->subsel == subsel)) continue;
        o->used = 1;
        o->select = select;
        o->subsel = subsel;
        o->size = size;
        memset(o->data, 0, sizeof o->data);
        if (data) memcpy(o->data, data, size < 128 ? size : 128);
        refresh(c);
        return;
    }
    sim_violation(c->s, "input sim: too many overrides (test bug)");
}

static void push(simi *c, uint16_t type, uint16_t code, int32_t value) {
    simi_ev *e;
    if (c->p_count == SIMI_PENDING) {
        sim_violation(c->s, "input sim: more than %u events waiting (test bug)", SIMI_PENDING);
        return;
    }
    e = &c->pending[(c->p_first + c->p_count) % SIMI_PENDING];
    e->type = type;
    e->code = code;
    e->value = value;
    c->p_count++;
}

void simi_pump(simi *c) {
    sim_process(c->s);
    deliver(c);
}

unsigned simi_held_events(simi *c) {
    sim_process(c->s);
    return c->ev_count;
}

void simi_event(simi *c, uint16_t type, uint16_t code, int32_t value) {
    sim_process(c->s);
    if (!(c->s->status & SIM_S_DRIVER_OK)) {
        c->discarded++; /* QEMU routes events only to a driver that is ready */
        return;
    }
    push(c, type, code, value);
    deliver(c);
}

int simi_report(simi *c, const simi_ev *evs, unsigned n) {
    unsigned i;
    sim_process(c->s);
    if (!(c->s->status & SIM_S_DRIVER_OK)) {
        c->discarded += n + 1u;
        return 0;
    }
    /* QEMU (virtio_input_send): the whole report needs free buffers, or it is dropped. */
    if (c->drop_reports && c->ev_count < c->p_count + n + 1u) {
        c->reports_dropped++;
        return 0;
    }
    for (i = 0; i < n; i++)
        push(c, evs[i].type, evs[i].code, evs[i].value);
    push(c, 0, 0, 0);
    deliver(c);
    return 1;
}

int simi_key(simi *c, uint16_t code, int32_t value) {
    simi_ev e;
    e.type = 1;
    e.code = code;
    e.value = value;
    return simi_report(c, &e, 1);
}

void simi_release_status(simi *c) {
    sim_process(c->s);
    release_status(c);
}
