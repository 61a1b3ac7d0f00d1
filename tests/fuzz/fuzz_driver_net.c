/* fuzz_driver_net.c - libFuzzer target: a hostile device (tests/fuzz/hostile.h) against
   virtio_net.h: received frames of any length and header (num_buffers included) written into
   the receive buffers, spread over several buffers or not (MRG_RXBUF offered or not), any
   MTU, MAC and link status in the configuration, used elements for buffers never posted,
   lengths above what was posted, stalled transmit queues, NEEDS_RESET.
   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_driver_net.c

   The driver's calls (receive, release in any order, send, submit, kick, poll, wait, link,
   reset, init again) come from the input. Checked besides "no crash, no hang, no ASan or UBSan
   report": every result is one of the library's codes; a received frame is 14 .. max_frame
   bytes inside a receive buffer or the assembly buffer, not one the caller already holds; a
   frame released is not lent again until the device hands it back; send_poll / send_wait
   hand back only a frame submitted and not yet handed back, and send_pending counts them; a
   send or send_wait that failed in its wait on a healthy device reset it; each call's work is
   bounded (HOSTILE_WORK_CHECK). */
#define VIRTIO_IMPLEMENTATION
#include "../../virtio.h"
#define VIRTIO_NET_IMPLEMENTATION
#include "../../virtio_net.h"

/* VERSION_1, RING_PACKED; INDIRECT_DESC, EVENT_IDX; net MTU, MAC, MRG_RXBUF, STATUS */
#define HOSTILE_FEATURES0 (1u << 3 | 1u << 5 | 1u << 15 | 1u << 16 | 1u << 28 | 1u << 29)
#define HOSTILE_FEATURES1 (1u << 0 | 1u << 2)
#include "hostile.h"

#define SLOTS 8u
#define HELD  8u
static virtio_net net;
static uint8_t frames[SLOTS][1600];
static uint32_t tx_out[SLOTS]; /* slot k submitted and not yet handed back */
static virtio_net_frame held[HELD];
static uint32_t nheld;

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len) {
    static const uint32_t bufsz[4] = {64, 256, 1526, 1536};
    virtio_transport t;
    virtio_net_params p;
    uint8_t *mem;
    size_t need;
    uint32_t ops_left = 64, k, out = 0;
    hostile_start(&t, VIRTIO_ID_NET, buf, len);
    hostile_extra = 0;
    hostile_eager = 1;
    memset(&net, 0, sizeof net);
    memset(tx_out, 0, sizeof tx_out);
    nheld = 0;
    hostile_config[0] = 0x52, hostile_config[1] = 0x54, hostile_config[5] = 0x01; /* mac */
    virtio_put_le16(hostile_config + VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
    virtio_put_le16(hostile_config + VIRTIO_NET_CFG_MTU, 1500);

    memset(&p, 0, sizeof p);
    p.rx_queue_size = 2u << (next8() % 6u); /* 2 .. 64 */
    p.tx_queue_size = 2u << (next8() % 6u);
    p.rx_bufs = 1u + next8() % 40u;
    k = next8();
    p.rx_buf_size = bufsz[k % 4u];
    p.frame_mem_size = (k & 4u) ? 1514u + next16() % 3000u : 0u;
    need = virtio_net_mem_size(&p, &t);
    if (!need) return 0;
    mem = hostile_mem(need);
    if (!mem) return 0;
    {
        HOSTILE_WORK_BEGIN();
        int r = virtio_net_init(&net, &t, &p, mem, need);
        HOSTILE_WORK_CHECK(4096);
        if (r != VIRTIO_OK) return 0;
    }

    while (in_n && ops_left--) {
        uint8_t op = next8();
        uint32_t slot = next8() % SLOTS;
        size_t n = 14u + next16() % 1600u;
        const void *back = 0;
        virtio_net_frame f;
        int r, healthy = virtio_dev_usable(&net.dev) == VIRTIO_OK &&
                         virtio_queue_usable(&net.rxq) == VIRTIO_OK &&
                         virtio_queue_usable(&net.txq) == VIRTIO_OK;
        HOSTILE_WORK_BEGIN();
        memset(&f, 0, sizeof f);
        switch (op % 12u) {
        case 0: r = virtio_net_recv_poll(&net, &f); break;
        case 1: r = virtio_net_recv_wait(&net, &f); break;
        case 2:
            if (!nheld) continue;
            k = slot % nheld;
            r = virtio_net_release(&net, &held[k]);
            f = held[k];
            held[k] = held[--nheld];
            /* released: the same frame again is not lent any more */
            if (r == VIRTIO_OK) HOSTILE_CHECK(virtio_net_release(&net, &f) == VIRTIO_EINVAL);
            break;
        case 3:
            if (tx_out[slot]) continue;
            r = virtio_net_send(&net, frames[slot], n);
            /* a reset that did not complete leaves the frame the device's, counted */
            if (r == VIRTIO_EBUSY && virtio_net_send_pending(&net) == out + 1u)
                tx_out[slot] = 1, out++;
            break;
        case 4:
            if (tx_out[slot]) continue; /* the caller's rule: a frame out is the device's */
            r = virtio_net_send_submit(&net, frames[slot], n);
            if (r == VIRTIO_OK) tx_out[slot] = 1, out++;
            break;
        case 5: r = virtio_net_kick(&net); break;
        case 6: r = virtio_net_send_poll(&net, &back); break;
        case 7: r = virtio_net_send_wait(&net, &back); break;
        case 8: r = virtio_net_link_up(&net); HOSTILE_CHECK(r <= 1); if (r > 0) r = 0; break;
        case 9: HOSTILE_CHECK(virtio_net_send_pending(&net) == out); r = 0; break;
        default:
            r = (op & 32) ? virtio_net_reset(&net) : virtio_net_init(&net, &t, &p, mem, need);
            /* reset: what is out stays out (the device's). init starts the object afresh
               even when the device did not reset (it cannot trust what an uninitialized
               object holds): nothing counts as pending, and the device stays latched
               VIRTIO_EBUSY until a reset completes, which makes everything the caller's. */
            if (r == VIRTIO_EBUSY && (op & 32)) continue;
            memset(tx_out, 0, sizeof tx_out);
            out = 0;
            nheld = 0; /* lent frames are gone */
        }
        HOSTILE_WORK_CHECK(4096);
        HOSTILE_CHECK(r <= 0 && r >= VIRTIO__RESULT_MIN);
        if ((op % 12u == 0 || op % 12u == 1) && r == VIRTIO_OK) {
            /* 14 .. max_frame bytes inside our memory, and not a frame the caller holds */
            HOSTILE_CHECK(f.len >= 14u && f.len <= virtio_net_max_frame(&net));
            HOSTILE_CHECK(f.data >= mem && f.data + f.len <= mem + need);
            HOSTILE_CHECK(f.buf == VIRTIO_NET_FRAME_ASSEMBLED || f.buf < p.rx_bufs);
            for (k = 0; k < nheld; k++) HOSTILE_CHECK(held[k].buf != f.buf);
            HOSTILE_CHECK(nheld < HELD || 1);
            if (nheld < HELD) held[nheld++] = f;
            else HOSTILE_CHECK(virtio_net_release(&net, &f) <= 0);
        }
        if ((op % 12u == 6 || op % 12u == 7) && r == VIRTIO_OK) {
            for (k = 0; k < SLOTS && back != frames[k]; k++) {}
            HOSTILE_CHECK(k < SLOTS && tx_out[k]); /* submitted, not yet handed back */
            tx_out[k] = 0;
            out--;
        }
        /* A transmit wait that failed on a healthy device reset it: every frame is the
           caller's again (VIRTIO_EBUSY: the reset did not complete). */
        if (healthy && (op % 12u == 3 || op % 12u == 7) && r != VIRTIO_OK && r != VIRTIO_EAGAIN &&
            r != VIRTIO_ESTATE && r != VIRTIO_EBUSY && r != VIRTIO_EINVAL && r != VIRTIO_ENOSPC) {
            HOSTILE_CHECK(st == 0 && virtio_net_send_pending(&net) == 0);
        }
        /* Any call that gave up on the device reset it (a receive wait that met a device
           fault too): every frame is the caller's again, lent ones are gone. */
        if (st == 0 && r != VIRTIO_EBUSY && virtio_net_send_pending(&net) == 0) {
            memset(tx_out, 0, sizeof tx_out);
            out = 0;
            nheld = 0;
        }
    }
    return 0;
}
