/* fuzz_driver_console.c - libFuzzer target: a hostile device (tests/fuzz/hostile.h) against
   virtio_console.h: single port or multiport (the input picks the offer), control messages of
   any content and length written into the control receive buffers, data into the ports'
   receive buffers, used elements for buffers never posted, stalled queues.
   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_driver_console.c

   Checked besides "no crash, no hang, no ASan or UBSan report": every result is one of the
   library's codes; a read never reports more bytes than asked; and no call runs more than one
   wait's bound (64 idle iterations here, the relax hook counts them) plus the reset of a call
   that gave up on the device, and a _poll call, a write submit, service, find or size none at
   all unless it reset the device. */
#define VIRTIO_IMPLEMENTATION
#include "../../virtio.h"
#define VIRTIO_CONSOLE_IMPLEMENTATION
#include "../../virtio_console.h"

/* VERSION_1, RING_PACKED; INDIRECT_DESC, EVENT_IDX; console SIZE, MULTIPORT, EMERG_WRITE */
#define HOSTILE_FEATURES0 (1u << 0 | 1u << 1 | 1u << 2 | 1u << 28 | 1u << 29)
#define HOSTILE_FEATURES1 (1u << 0 | 1u << 2)
#include "hostile.h"

static virtio_console con;
static uint8_t data[4096];
static unsigned long idle; /* idle iterations of the current call */

static int count_relax(void *u, uint32_t i) {
    idle++;
    return hostile_relax(u, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len) {
    virtio_transport t;
    virtio_console_params p;
    uint8_t *mem;
    size_t need;
    uint32_t ops_left = 64;
    hostile_start(&t, VIRTIO_ID_CONSOLE, buf, len);
    t.regs.relax = count_relax;
    hostile_extra = 0;
    memset(&con, 0, sizeof con);
    virtio_put_le16(hostile_config, 80);    /* cols */
    virtio_put_le16(hostile_config + 2, 25); /* rows */
    virtio_put_le32(hostile_config + 4, 4);  /* max_nr_ports */

    memset(&p, 0, sizeof p);
    p.ports = 1u + next8() % 4u;
    p.rx_bufs = 1u + next8() % 4u;
    p.rx_buf_size = 16u << (next8() % 4u);
    p.ctrl_bufs = 1u + next8() % 8u;
    need = virtio_console_mem_size(&p, &t);
    if (!need) return 0;
    mem = hostile_mem(need);
    if (!mem) return 0;
    if (virtio_console_init(&con, &t, &p, mem, need) != VIRTIO_OK) return 0;

    while (in_n && ops_left--) {
        uint8_t op = next8();
        uint32_t port = next8() % 5u; /* one past the ports too */
        size_t n = next8(), got = 0;
        const void *d = 0;
        uint16_t cols, rows;
        uint32_t id;
        int r, waits = 1;
        HOSTILE_WORK_BEGIN();
        idle = 0;
        switch (op % 16u) {
        case 0: r = virtio_console_write(&con, port, data, n); break;
        case 1: r = virtio_console_write_submit(&con, port, data, n); waits = 0; break;
        case 2: r = virtio_console_kick(&con, port); waits = 0; break;
        case 3: r = virtio_console_write_poll(&con, port); waits = 0; break;
        case 4: r = virtio_console_write_wait(&con, port); break;
        case 5: r = virtio_console_read(&con, port, data, n, &got); break;
        case 6: r = virtio_console_read_poll(&con, port, data, n, &got); waits = 0; break;
        case 7: r = virtio_console_recv_poll(&con, port, &d, &got); waits = 0; break;
        case 8: r = virtio_console_recv_wait(&con, port, &d, &got); break;
        case 9: r = virtio_console_release(&con, port, n); waits = 0; break;
        case 10: r = virtio_console_service(&con); waits = 0; break;
        case 11: r = virtio_console_open(&con, port); break;
        case 12: r = virtio_console_close(&con, port); break;
        case 13: r = virtio_console_find(&con, "org.fuzz", &id); waits = 0; break;
        case 14: r = virtio_console_size(&con, port, &cols, &rows); waits = 0; break;
        default: r = (op & 16) ? virtio_console_reset(&con) : virtio_console_init(&con, &t, &p, mem, need);
        }
        HOSTILE_WORK_CHECK(4096); /* bounded work (hostile.h) */
        if (r > 0 || r < VIRTIO__RESULT_MIN) abort();
        if ((op % 16u == 5 || op % 16u == 6) && got > n) abort();
        /* One wait's bound at most (spin_limit 64), plus the reset wait of a call that gave up
           on the device (a failed transmit poll resets too: the caller's buffers must come
           back); a call that does not wait and did not reset never spins. */
        {
            /* init and reset begin with a reset of their own */
            int reset = r == VIRTIO_EBUSY || (r < 0 && st == 0) || op % 16u == 15u;
            if (idle > (waits ? 64u : 0u) + (reset ? 64u + 2u : 0u)) abort();
        }
    }
    return 0;
}
