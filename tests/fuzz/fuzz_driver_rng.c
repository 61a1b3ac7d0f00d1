/* fuzz_driver_rng.c - libFuzzer target: a hostile device (tests/fuzz/hostile.h) against
   virtio_rng.h: random bytes of any count (0 included) written into the buffers, used elements
   for buffers never posted, lengths above what was posted, stalled queues, NEEDS_RESET.
   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_driver_rng.c

   The driver's calls (read, submit, kick, poll, wait, pending, reset, init again) come from the
   input. Checked besides "no crash, no hang, no ASan or UBSan report": every result is one of
   the library's codes; poll and wait hand back only a buffer that was submitted and not yet
   handed back, with 1 .. posted bytes (max_chunk and the submit length); virtio_rng_pending
   matches the buffers the caller has out (0 after a reset); a read or wait that failed in its
   wait left the device reset (every buffer the caller's again); and each call's work is
   bounded (HOSTILE_WORK_CHECK). */
#define VIRTIO_IMPLEMENTATION
#include "../../virtio.h"
#define VIRTIO_RNG_IMPLEMENTATION
#include "../../virtio_rng.h"

/* VERSION_1, RING_PACKED; INDIRECT_DESC, EVENT_IDX */
#define HOSTILE_FEATURES0 (1u << 28 | 1u << 29)
#define HOSTILE_FEATURES1 (1u << 0 | 1u << 2)
#include "hostile.h"

#define SLOTS 8u
static virtio_rng rng;
static uint8_t data[SLOTS][512];
static uint32_t out_len[SLOTS]; /* bytes posted for slot k while it is out, else 0 */

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len) {
    virtio_transport t;
    virtio_rng_params p;
    uint8_t *mem;
    size_t need;
    uint32_t ops_left = 64, k, out = 0, extra = 0; /* extra: out, not in a slot */
    hostile_start(&t, VIRTIO_ID_RNG, buf, len);
    hostile_extra = 0;
    hostile_eager = 1;
    hostile_full = 1;
    memset(&rng, 0, sizeof rng);
    memset(out_len, 0, sizeof out_len);

    memset(&p, 0, sizeof p);
    p.queue_size = 1u << (next8() % 5u); /* 1 .. 16 */
    p.max_chunk = next8() & 1u ? 1u + next8() % 64u : 0u;
    need = virtio_rng_mem_size(&p, &t);
    if (!need) return 0;
    mem = hostile_mem(need);
    if (!mem) return 0;
    {
        HOSTILE_WORK_BEGIN();
        if (virtio_rng_init(&rng, &t, &p, mem, need) != VIRTIO_OK) return 0;
        HOSTILE_WORK_CHECK(4096);
    }

    while (in_n && ops_left--) {
        uint8_t op = next8();
        uint32_t slot = next8() % SLOTS, n = 1u + next16() % 512u, got = 0;
        void *back = 0;
        int r, healthy = virtio_dev_usable(&rng.dev) == VIRTIO_OK &&
                        virtio_queue_usable(&rng.queue) == VIRTIO_OK;
        HOSTILE_WORK_BEGIN();
        switch (op % 8u) {
        case 0:
            r = virtio_rng_read(&rng, data[slot], n);
            /* a reset that did not complete leaves read's buffer the device's, counted */
            if (r == VIRTIO_EBUSY && virtio_rng_pending(&rng) == out + 1u) out++, extra++;
            break;
        case 1:
            if (out_len[slot]) continue; /* the caller's rule: a buffer out is the device's */
            r = virtio_rng_submit(&rng, data[slot], n);
            if (r == VIRTIO_OK) {
                out_len[slot] = p.max_chunk && n > p.max_chunk ? p.max_chunk : n;
                out++;
            }
            break;
        case 2: r = virtio_rng_kick(&rng); break;
        case 3: r = virtio_rng_poll(&rng, &back, &got); break;
        case 4: r = virtio_rng_wait(&rng, &back, &got); break;
        case 5: HOSTILE_CHECK(virtio_rng_pending(&rng) == out); r = 0; break;
        default:
            r = (op & 32) ? virtio_rng_reset(&rng) : virtio_rng_init(&rng, &t, &p, mem, need);
            /* reset: what is out stays out (the device's). init starts the object afresh
               even when the device did not reset (it cannot trust what an uninitialized
               object holds): nothing counts as pending, and the device stays latched
               VIRTIO_EBUSY until a reset completes, which makes everything the caller's. */
            if (r == VIRTIO_EBUSY && (op & 32)) continue;
            memset(out_len, 0, sizeof out_len);
            out = extra = 0;
        }
        HOSTILE_WORK_CHECK(4096);
        HOSTILE_CHECK(r <= 0 && r >= VIRTIO__RESULT_MIN);
        /* poll: a buffer the device returned empty comes back with VIRTIO_EDEVICE */
        if (op % 8u == 3 && r == VIRTIO_EDEVICE && back) {
            for (k = 0; k < SLOTS && back != data[k]; k++) {}
            HOSTILE_CHECK(k < SLOTS && out_len[k] && got == 0);
            out_len[k] = 0;
            out--;
        }
        if ((op % 8u == 3 || op % 8u == 4) && r == VIRTIO_OK) {
            /* a buffer the caller has out, once, with 1 .. posted bytes */
            for (k = 0; k < SLOTS && back != data[k]; k++) {}
            HOSTILE_CHECK(k < SLOTS && out_len[k]); /* submitted, not yet handed back */
            HOSTILE_CHECK(got >= 1 && got <= out_len[k]);
            out_len[k] = 0;
            out--;
        }
        /* A wait that failed on a healthy device reset it: everything is the caller's again
           (VIRTIO_EBUSY: the reset did not complete, the buffers out stay the device's). */
        if (healthy && (op % 8u == 0 || op % 8u == 4) && r != VIRTIO_OK && r != VIRTIO_EAGAIN &&
            r != VIRTIO_ESTATE && r != VIRTIO_EBUSY) {
            HOSTILE_CHECK(st == 0 && virtio_rng_pending(&rng) == 0);
            memset(out_len, 0, sizeof out_len);
            out = extra = 0;
        }
    }
    return 0;
}
