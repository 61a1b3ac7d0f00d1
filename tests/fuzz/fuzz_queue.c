/* fuzz_queue.c - libFuzzer target: a hostile device (tests/fuzz/hostile.h) against virtio.h's
   generic queue (virtio_queue_*), with no device header in between: split and packed rings
   (the input's feature offer), indirect tables negotiated or not and refused per queue
   (VIRTIO_QUEUE_F_NO_INDIRECT), IGNORE_LEN, two queues of any size, the shadow after the rings
   or apart; used rings, used elements, lengths and event areas from the input; the device
   writes each used chain's writable buffers (split, direct descriptors).
   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_queue.c

   Every public queue call comes from the input: add (1 .. 20 segments, readable and
   writable), kick, notify, poll, wait, spin, size, free, pending, usable, and the device
   calls around them (check, interrupt_ack, config_changed, reset, init again). Checked
   besides "no crash, no hang, no ASan or UBSan report" (each segment is a heap block of its
   own, so a device write past what was posted is an overflow ASan sees): every result is one
   of the library's codes; poll / wait hand back only a cookie that was added on this queue and
   not yet handed back, with a length no more than the writable bytes it was added with; a
   failed add changes nothing; pending counts the chains out, free is at most the size and all
   of it once nothing is pending (healthy queue); a wait does at most one bound of idle
   iterations, a call that does not wait none; each call's work is bounded
   (HOSTILE_WORK_CHECK). */
#define VIRTIO_IMPLEMENTATION
#include "../../virtio.h"

/* VERSION_1, RING_PACKED; INDIRECT_DESC, EVENT_IDX */
#define HOSTILE_FEATURES0 (1u << 28 | 1u << 29)
#define HOSTILE_FEATURES1 (1u << 0 | 1u << 2)
#include "hostile.h"

#define NQ     2u
#define COOKS  32u /* chains out per queue, at most (the model's) */
#define NSEGS  20u
#define SEGBUF 16u
static virtio_dev dev;
static virtio_queue q[NQ];
static struct cook {
    uint32_t out; /* added and not yet handed back */
    uint32_t wlen;
} cook[NQ][COOKS];
static uint32_t nout[NQ];
static int stale; /* the device was reset: the queues must be initialized again */
static uint8_t *segbuf[SEGBUF]; /* segment k: segbuf[k], 8 * (k + 1) bytes */
static unsigned long idle;

static int count_relax(void *u, uint32_t i) {
    idle++;
    return hostile_relax(u, i);
}

static int is_code(int r) { return r <= 0 && r >= VIRTIO__RESULT_MIN; }

static void forget(void) {
    memset(cook, 0, sizeof cook);
    memset(nout, 0, sizeof nout);
}

/* Device and queues up, as a driver does. 0 or the first failure. */
static int bring_up(virtio_transport *t, uint8_t *mem, const uint32_t *size, const uint32_t *flags,
                    int apart) {
    uint32_t i;
    size_t off = 0;
    int r = virtio_dev_init(&dev, t, 0);
    memset(q, 0, sizeof q);
    forget();
    stale = 0;
    if (r) return r;
    r = virtio_dev_negotiate(&dev, 0, 0);
    for (i = 0; i < NQ && r == VIRTIO_OK; i++) {
        virtio_queue_params qp;
        memset(&qp, 0, sizeof qp);
        qp.size = size[i];
        qp.flags = flags[i];
        qp.ring = mem + off;
        if (apart) {
            qp.ring_size = virtio_queue_ring_size(t, size[i]);
            qp.shadow = mem + virtio_align_up(off + qp.ring_size, 8);
            qp.shadow_size = virtio_queue_shadow_size(size[i]);
            off = virtio_align_up((size_t)((uint8_t *)qp.shadow - mem) + qp.shadow_size,
                                  virtio_queue_ring_align(t));
        } else {
            qp.ring_size = virtio_queue_mem_size(t, size[i]);
            off = virtio_align_up(off + qp.ring_size, virtio_queue_ring_align(t));
        }
        r = virtio_queue_init(&q[i], &dev, i, &qp);
    }
    if (r == VIRTIO_OK) r = virtio_dev_ready(&dev);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len) {
    virtio_transport t;
    uint8_t *mem;
    size_t need = 0;
    uint32_t size[NQ], flags[NQ], i, k, ops_left = 96;
    int apart, up;
    if (!segbuf[0])
        for (k = 0; k < SEGBUF; k++) segbuf[k] = (uint8_t *)malloc(8u * (k + 1u));
    hostile_start(&t, VIRTIO_ID_NET, buf, len);
    t.regs.relax = count_relax;
    hostile_extra = 0;
    hostile_eager = 1;
    memset(&dev, 0, sizeof dev);
    for (i = 0; i < NQ; i++) {
        uint8_t b = next8();
        size[i] = 1u << (b % 8u); /* 1 .. 128 */
        flags[i] = (b >> 3) & 3u; /* IGNORE_LEN, NO_INDIRECT */
        need += virtio_queue_mem_size(&t, size[i]) + 2u * virtio_queue_ring_align(&t) + 8u;
    }
    apart = next8() & 1u;
    mem = hostile_mem(need);
    if (!mem) return 0;
    {
        HOSTILE_WORK_BEGIN();
        up = bring_up(&t, mem, size, flags, apart);
        HOSTILE_WORK_CHECK(4096);
        HOSTILE_CHECK(is_code(up));
    }

    while (in_n && ops_left--) {
        uint8_t op = next8(), a = next8();
        uint32_t qi = a & 1u, ulen = 0, before_free, before_pend;
        virtio_queue *vq = &q[qi];
        void *back = 0;
        int r = 0, waits = 0, healthy = virtio_queue_usable(vq) == VIRTIO_OK;
        HOSTILE_WORK_BEGIN();
        idle = 0;
        before_free = virtio_queue_free(vq);
        before_pend = virtio_queue_pending(vq);
        switch (op % 16u) {
        case 0:
        case 1:
        case 2: { /* add n_out readable then n_in writable segments */
            virtio_seg segs[NSEGS];
            unsigned n_out = (a >> 1) % 4u, n_in = (a >> 3) % 4u, n;
            uint32_t c, wlen = 0;
            if (op & 64) n_in += 8u + (a >> 5); /* long chains: indirect, or no room */
            n = n_out + n_in;
            if (n > NSEGS) n = NSEGS, n_in = n - n_out;
            for (c = 0; c < COOKS && cook[qi][c].out; c++) {}
            if (c == COOKS) continue;
            for (k = 0; k < n; k++) {
                uint32_t s = (op + k * 5u) % SEGBUF;
                segs[k].addr = segbuf[s];
                segs[k].len = 8u * (s + 1u);
                if (k >= n_out) wlen += segs[k].len;
            }
            if ((op & 128) && n) segs[n - 1].len = 0; /* a caller's error: EINVAL */
            r = virtio_queue_add(vq, segs, n_out, n_in, &cook[qi][c]);
            if (r == VIRTIO_OK) {
                cook[qi][c].out = 1;
                cook[qi][c].wlen = wlen;
                nout[qi]++;
            } else { /* changes nothing */
                HOSTILE_CHECK(virtio_queue_free(vq) == before_free);
                HOSTILE_CHECK(virtio_queue_pending(vq) == before_pend);
            }
            break;
        }
        case 3: r = virtio_queue_kick(vq); break;
        case 4: r = virtio_queue_notify(vq); break;
        case 5:
        case 6: r = virtio_queue_poll(vq, &back, &ulen); break;
        case 7: r = virtio_queue_wait(vq, &back, &ulen); waits = 1; break;
        case 8: r = virtio_queue_spin(vq, next16()); HOSTILE_CHECK(idle <= 1); break;
        case 9: {
            uint32_t s = virtio_queue_size(vq), f = virtio_queue_free(vq);
            HOSTILE_CHECK(f <= s && s <= size[qi]);
            if (healthy && virtio_queue_pending(vq) == 0) HOSTILE_CHECK(f == s);
            r = virtio_queue_usable(vq);
            break;
        }
        case 10: HOSTILE_CHECK(stale || virtio_queue_pending(vq) == nout[qi]); break;
        case 11: r = virtio_dev_check(&dev); break;
        case 12: (void)virtio_dev_interrupt_ack(&dev); break;
        case 13: r = virtio_dev_config_changed(&dev); HOSTILE_CHECK(r <= 1); if (r > 0) r = 0; break;
        default:
            waits = 1; /* the reset's wait for status 0 */
            if (op & 32) {
                r = virtio_dev_reset(&dev);
                /* every chain is the caller's again; the queues must be set up again (a used
                   element the device wrote before the reset may still be taken) */
                if (r == VIRTIO_OK) stale = 1;
            } else {
                up = bring_up(&t, mem, size, flags, apart);
                r = up;
            }
        }
        HOSTILE_WORK_CHECK(4096);
        HOSTILE_CHECK(is_code(r));
        /* one wait's bound at most (spin_limit 64, plus a status read's worth); none without */
        HOSTILE_CHECK(idle <= (waits ? 64u + 2u : 1u));
        /* after a reset a queue takes nothing and tells the device nothing */
        if (stale && op % 16u <= 4u) HOSTILE_CHECK(r != VIRTIO_OK);
        if ((op % 16u == 5 || op % 16u == 6 || op % 16u == 7) && r == VIRTIO_OK) {
            struct cook *c = (struct cook *)back;
            /* a cookie of this queue that is out, once, and no more than its writable bytes */
            HOSTILE_CHECK(c >= cook[qi] && c < cook[qi] + COOKS && c->out);
            HOSTILE_CHECK(ulen <= c->wlen);
            c->out = 0;
            nout[qi]--;
        }
        HOSTILE_CHECK(stale || virtio_queue_pending(vq) == nout[qi] || st == 0);
    }
    return 0;
}
