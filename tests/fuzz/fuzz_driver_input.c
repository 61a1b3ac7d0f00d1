/* fuzz_driver_input.c - libFuzzer target: a hostile device (tests/fuzz/hostile.h) against
   virtio_input.h: configuration answers of any size and content to every select / subsel the
   driver writes (names, serial, ids, bitmaps, axis information; an honest keyboard changed by
   the input), events of any content and length written into the event buffers, used elements
   for buffers never posted, status buffers kept or returned, stalled queues, NEEDS_RESET.
   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_driver_input.c

   The driver's calls (events one by one or as reports, status events, queries, the keyboard
   and line helpers fed with what came, reset, init again) come from the input. Checked besides
   "no crash, no hang, no ASan or UBSan report": every result is one of the library's codes (or
   a documented value: 0/1, a character, a line action); the name and serial are at most 128
   characters; a query's size is at most 128; a report has 1 .. max events, and only its last
   may be SYN_REPORT, which it is unless the report came in pieces of max; the status buffers
   out never exceed status_bufs; each call's work is bounded (HOSTILE_WORK_CHECK). */
#define VIRTIO_IMPLEMENTATION
#include "../../virtio.h"
#define VIRTIO_INPUT_IMPLEMENTATION
#include "../../virtio_input.h"

/* VERSION_1, RING_PACKED; INDIRECT_DESC, EVENT_IDX */
#define HOSTILE_FEATURES0 (1u << 28 | 1u << 29)
#define HOSTILE_FEATURES1 (1u << 0 | 1u << 2)
#include "hostile.h"

static virtio_input in;

/* The device answers the select / subsel the driver wrote: an honest keyboard ("QEMU", EV_KEY
   codes 1..127, EV_LED 0..2), changed by the input. */
static void input_config(uint32_t off, unsigned width, uint32_t v) {
    uint8_t sel = hostile_config[0], sub = hostile_config[1], honest[128], size = 0;
    uint32_t k, n;
    (void)v;
    if (off > 1u || off + width < 1u) return;
    memset(honest, 0, sizeof honest);
    if (sel == VIRTIO_INPUT_CFG_ID_NAME) {
        memcpy(honest, "QEMU", 4);
        size = 4;
    } else if (sel == VIRTIO_INPUT_CFG_EV_BITS && sub == VIRTIO_INPUT_EV_KEY) {
        memset(honest, 0xff, 16);
        honest[0] = 0xfe;
        size = 16;
    } else if (sel == VIRTIO_INPUT_CFG_EV_BITS && sub == VIRTIO_INPUT_EV_LED) {
        honest[0] = 7;
        size = 1;
    }
    size ^= next8();
    hostile_config[VIRTIO_INPUT_CFG_SIZE] = size;
    n = size < 136u ? size : 136u; /* what fits after the union's offset here */
    for (k = 0; k < n; k++)
        hostile_config[VIRTIO_INPUT_CFG_U + k] = (uint8_t)((k < 128 ? honest[k] : 0) ^ next8());
}

static int is_code(int r) { return r <= 0 && r >= VIRTIO__RESULT_MIN; }

static size_t cstrlen(const char *s, size_t max) {
    size_t n = 0;
    while (n <= max && s[n]) n++;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len) {
    virtio_transport t;
    virtio_input_params p;
    virtio_input_kbd kbd;
    virtio_input_line line;
    char linebuf[16];
    uint8_t *mem;
    size_t need;
    uint32_t ops_left = 64;
    hostile_start(&t, VIRTIO_ID_INPUT, buf, len);
    hostile_extra = 0;
    hostile_eager = 1;
    hostile_full = 1;
    hostile_config_written = input_config;
    memset(&in, 0, sizeof in);

    memset(&p, 0, sizeof p);
    p.event_bufs = 16u + next8() % 49u; /* 16 .. 64 */
    p.status_bufs = 1u + next8() % 8u;
    need = virtio_input_mem_size(&p, &t);
    if (!need) return 0;
    mem = hostile_mem(need);
    if (!mem) return 0;
    {
        HOSTILE_WORK_BEGIN();
        int r = virtio_input_init(&in, &t, &p, mem, need);
        HOSTILE_WORK_CHECK(8192);
        HOSTILE_CHECK(is_code(r));
        if (r != VIRTIO_OK) return 0;
    }
    HOSTILE_CHECK(cstrlen(virtio_input_name(&in), 128) <= 128);
    HOSTILE_CHECK(cstrlen(virtio_input_serial(&in), 128) <= 128);
    HOSTILE_CHECK(virtio_input_kbd_init(&kbd, &in) == VIRTIO_OK);
    HOSTILE_CHECK(virtio_input_line_init(&line, linebuf, sizeof linebuf) == VIRTIO_OK);

    while (in_n && ops_left--) {
        uint8_t op = next8(), a = next8();
        virtio_input_event ev[VIRTIO_INPUT_REPORT_MAX + 1];
        uint32_t n = 0, max = 1u + a % 70u, k, qlen = 0;
        uint8_t qbuf[64];
        int r;
        HOSTILE_WORK_BEGIN();
        memset(ev, 0, sizeof ev);
        switch (op % 12u) {
        case 0: r = virtio_input_recv_poll(&in, &ev[0]); n = r == VIRTIO_OK; break;
        case 1: r = virtio_input_recv_wait(&in, &ev[0]); n = r == VIRTIO_OK; break;
        case 2:
        case 3:
            r = (op % 12u == 2) ? virtio_input_report_poll(&in, ev, max, &n)
                                : virtio_input_report_wait(&in, ev, max, &n);
            if (r == VIRTIO_OK) {
                uint32_t cap = max < VIRTIO_INPUT_REPORT_MAX ? max : VIRTIO_INPUT_REPORT_MAX;
                int last_syn;
                HOSTILE_CHECK(n >= 1 && n <= cap);
                for (k = 0; k + 1 < n; k++)
                    HOSTILE_CHECK(!(ev[k].type == VIRTIO_INPUT_EV_SYN && ev[k].code == 0));
                last_syn = ev[n - 1].type == VIRTIO_INPUT_EV_SYN && ev[n - 1].code == 0;
                HOSTILE_CHECK(last_syn || n == cap);
            }
            break;
        case 4:
            r = virtio_input_send_status(&in, VIRTIO_INPUT_EV_LED, a & 3u, a >> 7);
            HOSTILE_CHECK(virtio_input_status_pending(&in) <= p.status_bufs);
            break;
        case 5:
            r = virtio_input_query(&in, next8(), next8(), qbuf, (a & 1) ? sizeof qbuf : 0u, &qlen);
            if (r == VIRTIO_OK) HOSTILE_CHECK(qlen <= 128);
            break;
        case 6: {
            virtio_input_absinfo ai;
            virtio_input_devids ids;
            r = virtio_input_has_type(&in, a);
            HOSTILE_CHECK(r == 0 || r == 1);
            r = virtio_input_has_event(&in, a & 31u, next16());
            HOSTILE_CHECK(r == 0 || r == 1);
            r = virtio_input_abs_info(&in, a & 63u, &ai);
            HOSTILE_CHECK(is_code(r));
            r = virtio_input_ids(&in, &ids);
            (void)virtio_input_props(&in);
            break;
        }
        case 7: HOSTILE_CHECK(virtio_input_status_pending(&in) <= p.status_bufs); r = 0; break;
        default:
            r = (op & 32) ? virtio_input_reset(&in) : virtio_input_init(&in, &t, &p, mem, need);
            if (r == VIRTIO_OK && !(op & 32)) {
                HOSTILE_CHECK(cstrlen(virtio_input_name(&in), 128) <= 128);
                HOSTILE_CHECK(cstrlen(virtio_input_serial(&in), 128) <= 128);
            }
        }
        HOSTILE_WORK_CHECK(8192);
        HOSTILE_CHECK(is_code(r));
        /* what came goes through the keyboard and line helpers (the LED may be sent) */
        for (k = 0; k < n; k++) {
            int c = virtio_input_kbd_feed(&kbd, &ev[k]);
            HOSTILE_CHECK(c <= 127 && (c >= 0 || is_code(c)));
            if (c > 0) {
                c = virtio_input_line_feed(&line, c);
                HOSTILE_CHECK(c >= VIRTIO_INPUT_LINE_NONE && c <= VIRTIO_INPUT_LINE_DONE);
                HOSTILE_CHECK(line.len < sizeof linebuf && linebuf[line.len] == 0);
            }
        }
    }
    return 0;
}
