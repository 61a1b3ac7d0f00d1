/* fuzz_driver_gpu.c - libFuzzer target: a hostile device (tests/fuzz/hostile.h) against
   virtio_gpu.h: responses of any type, length, fence and payload (display information, EDID
   blobs) written into the response buffers, an honest answer changed by the input so that the
   fuzzer starts from a device that works; used elements for commands never posted; any
   configuration (scanouts, events); stalled queues, NEEDS_RESET.
   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_driver_gpu.c

   The driver's calls (resources, backing, scanouts, transfers and flushes blocking or
   pipelined, poll, wait, wait_all, display information, EDID, events, cursor, reset, init
   again) come from the input. Checked besides "no crash, no hang, no ASan or UBSan report":
   every result is one of the library's codes; poll / wait hand back only a command type that
   was submitted, with a result that is one of the codes a command can end with, and
   virtio_gpu_pending counts what was submitted and not handed back; wait_all leaves nothing
   pending (unless its reset did not complete); an EDID length is within the caller's buffer;
   the scanout count is 1..16; each call's work is bounded (HOSTILE_WORK_CHECK). */
#define VIRTIO_IMPLEMENTATION
#include "../../virtio.h"
#define VIRTIO_GPU_IMPLEMENTATION
#include "../../virtio_gpu.h"

/* VERSION_1, RING_PACKED; INDIRECT_DESC, EVENT_IDX; gpu EDID */
#define HOSTILE_FEATURES0 (1u << 1 | 1u << 28 | 1u << 29)
#define HOSTILE_FEATURES1 (1u << 0 | 1u << 2)
#include "hostile.h"

static virtio_gpu gpu;
static uint8_t fb[2][64 * 64 * 4];
static uint8_t edid[1024];

/* An honest answer to the request at `req`, changed by the input. */
static uint8_t gpu_byte(const uint8_t *req, uint32_t k) {
    uint8_t honest = 0;
    if (req) {
        uint32_t cmd = virtio_le32(req), ok;
        ok = cmd == VIRTIO_GPU_CMD_GET_DISPLAY_INFO ? VIRTIO_GPU_RESP_OK_DISPLAY_INFO
             : cmd == VIRTIO_GPU_CMD_GET_EDID       ? VIRTIO_GPU_RESP_OK_EDID
                                                    : VIRTIO_GPU_RESP_OK_NODATA;
        if (k < 4) honest = (uint8_t)(ok >> (8u * k));
        else if (k < 24) honest = req[k]; /* flags, fence, context echoed */
        else if (cmd == VIRTIO_GPU_CMD_GET_DISPLAY_INFO && k < 48) {
            static const uint8_t one[24] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 1};
            honest = one[k - 24]; /* scanout 0: 1024 x 768, enabled */
        } else if (cmd == VIRTIO_GPU_CMD_GET_EDID && k == 24)
            honest = 128; /* size */
    }
    return honest ^ next8();
}

static int is_code(int r) { return r <= 0 && r >= VIRTIO__RESULT_MIN; }

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len) {
    virtio_transport t;
    virtio_gpu_params p;
    uint8_t *mem;
    size_t need;
    uint32_t ops_left = 64, out = 0;
    hostile_start(&t, VIRTIO_ID_GPU, buf, len);
    hostile_extra = 0;
    hostile_eager = 1;
    hostile_byte = gpu_byte;
    hostile_full = 1;
    memset(&gpu, 0, sizeof gpu);
    virtio_put_le32(hostile_config + VIRTIO_GPU_CFG_NUM_SCANOUTS, 1);

    memset(&p, 0, sizeof p);
    p.ctrl_queue_size = 4u << (next8() % 5u); /* 4 .. 64 */
    p.cursor_queue_size = 1u << (next8() % 5u);
    p.max_resources = 1u + next8() % 4u;
    p.max_pieces = 1u + next8() % 4u;
    need = virtio_gpu_mem_size(&p, &t);
    if (!need) return 0;
    mem = hostile_mem(need);
    if (!mem) return 0;
    {
        HOSTILE_WORK_BEGIN();
        int r = virtio_gpu_init(&gpu, &t, &p, mem, need);
        HOSTILE_WORK_CHECK(4096);
        if (r != VIRTIO_OK) return 0;
        HOSTILE_CHECK(virtio_gpu_num_scanouts(&gpu) >= 1 && virtio_gpu_num_scanouts(&gpu) <= 16);
    }

    while (in_n && ops_left--) {
        uint8_t op = next8(), a = next8();
        uint32_t id = 1u + (a & 3u), scanout = (a >> 2) & 1u, cmd = 0, changed = 0;
        virtio_gpu_rect rc;
        int r, res = 1, en;
        size_t elen = 0;
        HOSTILE_WORK_BEGIN();
        rc.x = next8() & 31u, rc.y = next8() & 31u, rc.width = 1u + (next8() & 31u),
        rc.height = 1u + (next8() & 31u);
        switch (op % 24u) {
        case 0:
            r = virtio_gpu_resource_create(&gpu, id, (a & 32) ? VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM
                                                               : VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM,
                                           64, 64);
            break;
        case 1: r = virtio_gpu_attach_fb(&gpu, id, fb[a >> 7], sizeof fb[0]); break;
        case 2: {
            virtio_gpu_piece pc[2];
            pc[0].addr = fb[a >> 7], pc[0].len = 8192;
            pc[1].addr = fb[a >> 7] + 8192, pc[1].len = 8192;
            r = virtio_gpu_attach_backing(&gpu, id, pc, 2);
            break;
        }
        case 3: r = virtio_gpu_detach_backing(&gpu, id); break;
        case 4: r = virtio_gpu_resource_unref(&gpu, id); break;
        case 5: r = virtio_gpu_set_scanout(&gpu, scanout, id, &rc); break;
        case 6: r = virtio_gpu_transfer(&gpu, id, &rc); break;
        case 7: r = virtio_gpu_flush(&gpu, id, &rc); break;
        case 8: r = virtio_gpu_update(&gpu, id, &rc); break;
        case 9:
            r = virtio_gpu_transfer_submit(&gpu, id, &rc);
            if (r == VIRTIO_OK) out++;
            break;
        case 10:
            r = virtio_gpu_flush_submit(&gpu, id, &rc);
            if (r == VIRTIO_OK) out++;
            break;
        case 11: r = virtio_gpu_kick(&gpu); break;
        case 12: r = virtio_gpu_poll(&gpu, &cmd, &res); break;
        case 13: r = virtio_gpu_wait(&gpu, &cmd, &res); break;
        case 14:
            r = virtio_gpu_wait_all(&gpu);
            if (r != VIRTIO_EBUSY && r != VIRTIO_EINVAL) {
                HOSTILE_CHECK(virtio_gpu_pending(&gpu) == 0);
                out = 0;
            }
            break;
        case 15: HOSTILE_CHECK(virtio_gpu_pending(&gpu) == out); r = 0; break;
        case 16: r = virtio_gpu_get_display_info(&gpu); break;
        case 17:
            r = virtio_gpu_get_edid(&gpu, scanout, edid, (a & 64) ? 64u : sizeof edid, &elen);
            if (r == VIRTIO_OK) HOSTILE_CHECK(elen <= ((a & 64) ? 64u : sizeof edid));
            break;
        case 18:
            r = virtio_gpu_poll_events(&gpu, &changed);
            break;
        case 19: r = virtio_gpu_cursor_set(&gpu, scanout, id, 1, 2, rc.x, rc.y); break;
        case 20: r = virtio_gpu_cursor_move(&gpu, scanout, rc.x, rc.y); break;
        case 21:
            r = virtio_gpu_display(&gpu, scanout, &rc, &en);
            if (scanout < virtio_gpu_num_scanouts(&gpu)) HOSTILE_CHECK(r == VIRTIO_OK);
            break;
        default:
            r = (op & 32) ? virtio_gpu_reset(&gpu) : virtio_gpu_init(&gpu, &t, &p, mem, need);
            /* reset: what is out stays out (the device's). init starts the object afresh
               even when the device did not reset (it cannot trust what an uninitialized
               object holds): nothing counts as pending, and the device stays latched
               VIRTIO_EBUSY until a reset completes, which makes everything the caller's. */
            if (r == VIRTIO_EBUSY && (op & 32)) continue;
            out = 0;
            if (r == VIRTIO_OK && !(op & 32))
                HOSTILE_CHECK(virtio_gpu_num_scanouts(&gpu) >= 1 &&
                              virtio_gpu_num_scanouts(&gpu) <= 16);
        }
        HOSTILE_WORK_CHECK(4096);
        HOSTILE_CHECK(is_code(r));
        /* a reset that did not complete leaves a blocking call's commands the device's too */
        if (r == VIRTIO_EBUSY) {
            HOSTILE_CHECK(virtio_gpu_pending(&gpu) >= out);
            out = virtio_gpu_pending(&gpu);
        }
        if ((op % 24u == 12 || op % 24u == 13) && r == VIRTIO_OK) {
            /* one of the pipelined commands, once, with a command's result */
            HOSTILE_CHECK(out > 0);
            HOSTILE_CHECK(cmd == VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D ||
                          cmd == VIRTIO_GPU_CMD_RESOURCE_FLUSH);
            HOSTILE_CHECK(is_code(res) && res != VIRTIO_EAGAIN);
            out--;
        }
        /* a failed wait reset the device: nothing is pending */
        if (st == 0 && virtio_gpu_pending(&gpu) == 0)
            out = 0;
    }
    return 0;
}
