/* test_gpu.c - virtio_gpu.h (written only against virtio.h's public core API) against the
   simulated GPU (tests/sim_gpu.c), versions 1 and 2. Every case drives the device through &f->t,
   so it runs over the simulated MMIO registers and over the transport double (see fixture.h).
   What the simulated display shows after a flush is compared pixel by pixel with what was
   drawn. */
#define VIRTIO_SPIN_LIMIT 100000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_GPU_IMPLEMENTATION
#include "../virtio_gpu.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_blk.h"
#include "sim_gpu.h"
#include "test.h"
#include "fixture.h"

#define PATTERN 0xa5u
#define W       80u /* scanout 0's size in most cases */
#define H       60u
#define FMT     VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM

static void setup_gpu(fx *f) { sim_init_gpu(&f->s, &f->arena, f->ver, 1, W, H); }
static void setup_gpu2(fx *f) { sim_init_gpu(&f->s, &f->arena, f->ver, 2, W, H); }
static void setup_noedid(fx *f) {
    sim_init_gpu(&f->s, &f->arena, f->ver, 1, W, H);
    f->s.dev_features &= ~SIM_F(1);
}
/* A block device where the GPU is expected. */
static void setup_blk(fx *f) {
    if (sim_init_blk(&f->s, &f->arena, f->ver, 8) != 0) abort();
}

static void set_spin_limit(fx *f, uint32_t limit) {
    f->regs.spin_limit = limit;
    (void)fx_transport(f);
}

/* Memory for `p` on this transport, exactly as big as virtio_gpu_mem_size says, patterned. */
static uint8_t *gpu_mem(fx *f, const virtio_gpu_params *p, size_t *size) {
    uint8_t *mem;
    *size = virtio_gpu_mem_size(p, &f->t);
    if (*size == 0) return NULL;
    mem = (uint8_t *)fx_alloc(f, *size, virtio_queue_ring_align(&f->t));
    memset(mem, PATTERN, *size);
    return mem;
}

static void gpu_up_p(fx *f, virtio_gpu *g, const virtio_gpu_params *p) {
    size_t sz;
    uint8_t *mem = gpu_mem(f, p, &sz);
    CHECK(mem != NULL);
    CHECK_RC(virtio_gpu_init(g, &f->t, p, mem, sz), VIRTIO_OK);
}

static void gpu_up(fx *f, virtio_gpu *g) { gpu_up_p(f, g, NULL); }

static int all_pattern(const uint8_t *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (b[i] != PATTERN) return 0;
    return 1;
}

/* The example's pattern, as a B8G8R8X8 pixel: red (x + 16 s), green y, blue x ^ y. */
static uint32_t pix(uint32_t x, uint32_t y, uint32_t s) {
    return ((x + 16u * s) & 255u) << 16 | (y & 255u) << 8 | ((x ^ y) & 255u);
}

static void draw(uint32_t *fb, uint32_t w, uint32_t h, uint32_t s) {
    uint32_t x, y;
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++)
            fb[y * w + x] = pix(x, y, s);
}

/* Scanout `s` shows what `fb` holds (w wide) from (fx0, fy0), over sw x sh pixels. */
static int shows(fx *f, unsigned s, const uint32_t *fb, uint32_t w, uint32_t fx0, uint32_t fy0,
                 uint32_t sw, uint32_t sh) {
    uint32_t x, y;
    for (y = 0; y < sh; y++)
        for (x = 0; x < sw; x++)
            if (sim_gpu_pixel(&f->s, s, x, y) != fb[(fy0 + y) * w + fx0 + x]) return 0;
    return 1;
}

/* A resource of w x h with one contiguous backing, shown on scanout 0 over all of it. */
static uint32_t *screen(fx *f, virtio_gpu *g, uint32_t id, uint32_t w, uint32_t h) {
    size_t n = virtio_gpu_fb_size(w, h, FMT);
    uint32_t *fb = (uint32_t *)fx_alloc(f, n, 4096);
    virtio_gpu_rect all = {0, 0, w, h};
    if (virtio_gpu_resource_create(g, id, FMT, w, h) != VIRTIO_OK) return NULL;
    if (virtio_gpu_attach_fb(g, id, fb, n) != VIRTIO_OK) return NULL;
    if (virtio_gpu_set_scanout(g, 0, id, &all) != VIRTIO_OK) return NULL;
    return fb;
}

/* ---- Bring-up and display discovery ------------------------------------------------------- */
static void t_init(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r;
    int on = -1;
    gpu_up(f, &g);
    CHECK_OK();
    CHECK_EQ(f->s.status & SIM_S_DRIVER_OK, SIM_S_DRIVER_OK);
    /* EDID and the ring features only: nothing 3D */
    CHECK_EQ(f->s.drv_features & ~(SIM_F(SIM_F_EVENT_IDX) | FX_RING_F),
             SIM_F(1) | (f->ver == 2 ? SIM_F(SIM_F_VERSION_1) : 0));
    CHECK_EQ(!!(f->s.drv_features & SIM_F(SIM_F_EVENT_IDX)), f->eidx);
    CHECK_EQ(virtio_gpu_num_scanouts(&g), 1);
    CHECK_EQ(virtio_gpu_has_edid(&g), 1);
    CHECK_RC(virtio_gpu_display(&g, 0, &r, &on), VIRTIO_OK);
    CHECK_EQ(r.x, 0);
    CHECK_EQ(r.y, 0);
    CHECK_EQ(r.width, W);
    CHECK_EQ(r.height, H);
    CHECK_EQ(on, 1);
    CHECK_RC(virtio_gpu_display(&g, 1, &r, &on), VIRTIO_EINVAL);
    /* GET_DISPLAY_INFO, then GET_EDID of the one scanout; both fenced */
    CHECK_EQ(sim_gpu_of(&f->s)->cmds, 2);
    CHECK_EQ(sim_gpu_of(&f->s)->by_type[0], 1);
    CHECK_EQ(sim_gpu_of(&f->s)->by_type[0x0a], 1);
    CHECK_EQ(sim_gpu_of(&f->s)->fenced, 2);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
    CHECK_EQ(virtio_gpu_last_error(&g), 0);
}

static void t_init_noedid(fx *f) {
    virtio_gpu g;
    uint8_t buf[1024];
    size_t len = 7;
    unsigned long cmds;
    gpu_up(f, &g);
    CHECK_OK();
    CHECK_EQ(f->s.drv_features & SIM_F(1), 0);
    CHECK_EQ(virtio_gpu_has_edid(&g), 0);
    cmds = sim_gpu_of(&f->s)->cmds;
    CHECK_EQ(cmds, 1); /* display info only */
    CHECK_RC(virtio_gpu_get_edid(&g, 0, buf, sizeof buf, &len), VIRTIO_ENOTSUP);
    CHECK_EQ(sim_gpu_of(&f->s)->cmds, cmds);
}

static void t_edid(fx *f) {
    virtio_gpu g;
    virtio_gpu_edid_info info;
    uint8_t *buf = (uint8_t *)fx_alloc(f, 1024, 1);
    size_t len = 0;
    gpu_up(f, &g);
    CHECK_OK();
    CHECK_RC(virtio_gpu_get_edid(&g, 0, buf, 1024, &len), VIRTIO_OK);
    CHECK_EQ(len, 128);
    CHECK_MEM(buf, sim_gpu_of(&f->s)->edid[0], 128);
    CHECK_RC(virtio_gpu_edid_parse(buf, len, &info), VIRTIO_OK);
    CHECK_EQ(info.width, W);
    CHECK_EQ(info.height, H);
    CHECK(strcmp(info.name, "QEMU Monitor") == 0);
    CHECK(strcmp(info.vendor, "RHT") == 0);
    CHECK_EQ(info.product, 0x1234);
    /* a buffer too small: the length needed, nothing copied */
    memset(buf, PATTERN, 1024);
    CHECK_RC(virtio_gpu_get_edid(&g, 0, buf, 100, &len), VIRTIO_EINVAL);
    CHECK_EQ(len, 128);
    CHECK(all_pattern(buf, 1024));
    CHECK_RC(virtio_gpu_get_edid(&g, 1, buf, 1024, &len), VIRTIO_EINVAL); /* no scanout 1 */
    CHECK_RC(virtio_gpu_get_edid(&g, 0, NULL, 1024, &len), VIRTIO_EINVAL);
}

static void t_edid_parse(fx *f) {
    uint8_t e[256];
    virtio_gpu_edid_info info;
    (void)f;
    sim_gpu_make_edid(e, 2560, 1440, "Big Screen XY", 7);
    CHECK_RC(virtio_gpu_edid_parse(e, 128, &info), VIRTIO_OK);
    CHECK_EQ(info.width, 2560);
    CHECK_EQ(info.height, 1440);
    CHECK(strcmp(info.name, "Big Screen XY") == 0); /* 13 characters: no line feed */
    sim_gpu_make_edid(e, 640, 480, "", 7);
    CHECK_RC(virtio_gpu_edid_parse(e, 256, &info), VIRTIO_OK);
    CHECK(strcmp(info.name, "") == 0);
    CHECK_RC(virtio_gpu_edid_parse(e, 127, &info), VIRTIO_EINVAL); /* short */
    CHECK_RC(virtio_gpu_edid_parse(NULL, 128, &info), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_edid_parse(e, 128, NULL), VIRTIO_EINVAL);
    e[20] ^= 1; /* checksum */
    CHECK_RC(virtio_gpu_edid_parse(e, 128, &info), VIRTIO_EINVAL);
    e[20] ^= 1;
    e[0] = 1; /* header */
    CHECK_RC(virtio_gpu_edid_parse(e, 128, &info), VIRTIO_EINVAL);
}

/* ---- Drawing ------------------------------------------------------------------------------- */
/* The pattern on the whole screen, then the complement of the middle rectangle: the
   display shows exactly what was drawn, with one notification per update. */
static void t_update(fx *f) {
    virtio_gpu g;
    uint32_t *fb, x, y;
    virtio_gpu_rect all = {0, 0, W, H}, mid = {W / 4, H / 4, W / 2, H / 2};
    unsigned long notes;
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    draw(fb, W, H, 0);
    notes = f->s.q[0].notifies;
    CHECK_RC(virtio_gpu_update(&g, 1, &all), VIRTIO_OK);
    CHECK_LE(f->s.q[0].notifies, notes + 1);
    CHECK(shows(f, 0, fb, W, 0, 0, W, H));
    for (y = mid.y; y < mid.y + mid.height; y++)
        for (x = mid.x; x < mid.x + mid.width; x++)
            fb[y * W + x] = ~pix(x, y, 0) & 0xffffffu;
    notes = f->s.q[0].notifies;
    CHECK_RC(virtio_gpu_update(&g, 1, &mid), VIRTIO_OK);
    CHECK_LE(f->s.q[0].notifies, notes + 1);
    CHECK_EQ(sim_gpu_of(&f->s)->last_offset, (uint64_t)mid.y * W * 4 + mid.x * 4);
    CHECK(shows(f, 0, fb, W, 0, 0, W, H));
    CHECK_EQ(sim_gpu_of(&f->s)->scanout[0].flushes, 2);
    CHECK_EQ(sim_gpu_of(&f->s)->fenced, sim_gpu_of(&f->s)->cmds);
}

/* Transfer alone changes nothing on screen; the flush shows it. */
static void t_transfer_flush(fx *f) {
    virtio_gpu g;
    uint32_t *fb;
    virtio_gpu_rect all = {0, 0, W, H}, r = {3, 5, 7, 11};
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    draw(fb, W, H, 1);
    CHECK_RC(virtio_gpu_transfer(&g, 1, &all), VIRTIO_OK);
    CHECK_EQ(sim_gpu_pixel(&f->s, 0, 1, 1), 0);
    CHECK_RC(virtio_gpu_flush(&g, 1, &r), VIRTIO_OK);
    CHECK_EQ(sim_gpu_pixel(&f->s, 0, 3, 5), pix(3, 5, 1));
    CHECK_EQ(sim_gpu_pixel(&f->s, 0, 9, 15), pix(9, 15, 1));
    CHECK_EQ(sim_gpu_pixel(&f->s, 0, 10, 5), 0); /* outside the flushed rectangle */
    CHECK_RC(virtio_gpu_flush(&g, 1, &all), VIRTIO_OK);
    CHECK(shows(f, 0, fb, W, 0, 0, W, H));
}

/* A backing of scattered pieces (odd sizes, gaps between them), as a page allocator gives. */
static void t_pieces(fx *f) {
    virtio_gpu g;
    virtio_gpu_piece pc[9];
    virtio_gpu_rect all = {0, 0, W, H};
    uint32_t *img = (uint32_t *)malloc(W * H * 4);
    size_t total = W * H * 4, off = 0, i;
    unsigned n = 0;
    CHECK(img != NULL);
    gpu_up(f, &g);
    if (T.failed) free(img);
    CHECK_OK();
    draw(img, W, H, 2);
    while (off < total) {
        size_t len = total - off < 2500u ? total - off : 2500u - n * 3u;
        uint8_t *p = (uint8_t *)fx_alloc(f, len + 64, 16);
        memcpy(p, (uint8_t *)img + off, len);
        pc[n].addr = p;
        pc[n].len = len;
        off += len;
        n++;
    }
    CHECK_RC(virtio_gpu_resource_create(&g, 5, FMT, W, H), VIRTIO_OK);
    CHECK_RC(virtio_gpu_attach_backing(&g, 5, pc, n), VIRTIO_OK);
    CHECK_EQ(sim_gpu_of(&f->s)->last_nentries, n);
    CHECK_EQ(sim_gpu_res_find(&f->s, 5)->addr[1], sim_gpa(&f->s, pc[1].addr)); /* device addr */
    CHECK_RC(virtio_gpu_set_scanout(&g, 0, 5, &all), VIRTIO_OK);
    CHECK_RC(virtio_gpu_update(&g, 5, &all), VIRTIO_OK);
    for (i = 0; i < H && !T.failed; i++)
        CHECK(shows(f, 0, img, W, 0, 0, W, H));
    free(img);
    CHECK_OK();
    /* too many pieces for max_pieces; a backing too small */
    CHECK_RC(virtio_gpu_detach_backing(&g, 5), VIRTIO_OK);
    CHECK_RC(virtio_gpu_attach_backing(&g, 5, pc, n - 1), VIRTIO_EINVAL);
}

/* Many rectangles pipelined: one notification for the batch, every one returned once. */
static void t_pipeline(fx *f) {
    virtio_gpu g;
    uint32_t *fb, cmd = 0, i, transfers = 0, flushes = 0;
    int res = 1;
    unsigned long notes;
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    draw(fb, W, H, 3);
    for (i = 0; i < 6; i++) {
        virtio_gpu_rect r = {0, i * 10u, W, 10u};
        CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_OK);
        CHECK_RC(virtio_gpu_flush_submit(&g, 1, &r), VIRTIO_OK);
    }
    CHECK_EQ(virtio_gpu_pending(&g), 12);
    CHECK_EQ(sim_gpu_of(&f->s)->scanout[0].flushes, 0); /* not told yet */
    notes = f->s.q[0].notifies;
    CHECK_RC(virtio_gpu_kick(&g), VIRTIO_OK);
    CHECK_LE(f->s.q[0].notifies, notes + 1);
    for (i = 0; i < 12; i++) {
        CHECK_RC(virtio_gpu_wait(&g, &cmd, &res), VIRTIO_OK);
        CHECK_RC(res, VIRTIO_OK);
        if (cmd == VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D) transfers++;
        if (cmd == VIRTIO_GPU_CMD_RESOURCE_FLUSH) flushes++;
    }
    CHECK_EQ(transfers, 6);
    CHECK_EQ(flushes, 6);
    CHECK_RC(virtio_gpu_wait(&g, &cmd, &res), VIRTIO_EAGAIN);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
    CHECK(shows(f, 0, fb, W, 0, 0, W, H));
}

/* Poll publishes what was submitted; wait_all collects everything; slots run out: ENOSPC. */
static void t_pipeline_poll(fx *f) {
    virtio_gpu g;
    virtio_gpu_params p;
    virtio_gpu_rect r = {0, 0, 8, 8};
    uint32_t *fb, cmd = 0;
    int res = 1, got = 0, k;
    memset(&p, 0, sizeof p);
    p.ctrl_queue_size = 8; /* 4 command slots */
    gpu_up_p(f, &g, &p);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    for (k = 0; k < 4; k++)
        CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_flush_submit(&g, 1, &r), VIRTIO_ENOSPC);
    CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_ESTATE); /* blocking while pending */
    CHECK_RC(virtio_gpu_set_scanout(&g, 0, 0, NULL), VIRTIO_ESTATE);
    for (k = 0; k < 100 && got < 4; k++) {
        int rc = virtio_gpu_poll(&g, &cmd, &res);
        if (rc == VIRTIO_EAGAIN) {
            sim_process(&f->s);
            continue;
        }
        CHECK_RC(rc, VIRTIO_OK);
        CHECK_RC(res, VIRTIO_OK);
        CHECK_EQ(cmd, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
        got++;
    }
    CHECK_EQ(got, 4);
    CHECK_RC(virtio_gpu_poll(&g, &cmd, &res), VIRTIO_EAGAIN);
    for (k = 0; k < 3; k++)
        CHECK_RC(virtio_gpu_flush_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_wait_all(&g), VIRTIO_OK);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
    CHECK_EQ(sim_gpu_of(&f->s)->scanout[0].flushes, 3);
}

/* A device error in a pipelined command is its result, not the call's; wait_all returns it. */
static void t_pipeline_error(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 8, 8};
    uint32_t *fb;
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_flush_submit(&g, 1, &r), VIRTIO_OK);
    sim_gpu_of(&f->s)->err_type = VIRTIO_GPU_RESP_ERR_UNSPEC;
    sim_gpu_of(&f->s)->err_count = 1;
    CHECK_RC(virtio_gpu_wait_all(&g), VIRTIO_EIO);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
    CHECK_EQ(virtio_gpu_last_error(&g), VIRTIO_GPU_RESP_ERR_UNSPEC);
    CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_OK); /* not latched */
}

/* Two scanouts: one large resource with a rectangle per scanout, then mirroring, then one
   disabled. Scanout 1 starts disabled at size 0, as QEMU reports it. */
static void t_multihead(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r, left = {0, 0, W, H}, right = {W, 0, W, H}, all = {0, 0, 2 * W, H};
    uint32_t *fb;
    size_t n = virtio_gpu_fb_size(2 * W, H, FMT);
    int on = 1;
    gpu_up(f, &g);
    CHECK_OK();
    CHECK_EQ(virtio_gpu_num_scanouts(&g), 2);
    CHECK_RC(virtio_gpu_display(&g, 1, &r, &on), VIRTIO_OK);
    CHECK_EQ(on, 0);
    CHECK_EQ(r.width, 0);
    CHECK_EQ(sim_gpu_of(&f->s)->by_type[0x0a], 2); /* an EDID per scanout */
    fb = (uint32_t *)fx_alloc(f, n, 4096);
    draw(fb, 2 * W, H, 0);
    CHECK_RC(virtio_gpu_resource_create(&g, 9, FMT, 2 * W, H), VIRTIO_OK);
    CHECK_RC(virtio_gpu_attach_fb(&g, 9, fb, n), VIRTIO_OK);
    CHECK_RC(virtio_gpu_set_scanout(&g, 0, 9, &left), VIRTIO_OK);
    CHECK_RC(virtio_gpu_set_scanout(&g, 1, 9, &right), VIRTIO_OK);
    CHECK_RC(virtio_gpu_update(&g, 9, &all), VIRTIO_OK);
    CHECK(shows(f, 0, fb, 2 * W, 0, 0, W, H));
    CHECK(shows(f, 1, fb, 2 * W, W, 0, W, H));
    /* mirroring */
    CHECK_RC(virtio_gpu_set_scanout(&g, 1, 9, &left), VIRTIO_OK);
    CHECK_RC(virtio_gpu_flush(&g, 9, &all), VIRTIO_OK);
    CHECK(shows(f, 1, fb, 2 * W, 0, 0, W, H));
    /* disable */
    CHECK_RC(virtio_gpu_set_scanout(&g, 1, 0, NULL), VIRTIO_OK);
    CHECK_EQ(sim_gpu_of(&f->s)->scanout[1].res_id, 0);
    CHECK_RC(virtio_gpu_set_scanout(&g, 2, 9, &left), VIRTIO_EINVAL);
    /* unref disables what shows it (QEMU) and frees the id */
    CHECK_RC(virtio_gpu_resource_unref(&g, 9), VIRTIO_OK);
    CHECK_EQ(sim_gpu_of(&f->s)->scanout[0].res_id, 0);
    CHECK_RC(virtio_gpu_flush(&g, 9, &all), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_resource_create(&g, 9, FMT, W, H), VIRTIO_OK);
}

/* Page flipping: draw B while A shows, transfer B, point the scanout at B, flush B. */
static void t_page_flip(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect all = {0, 0, W, H};
    uint32_t *a, *b;
    size_t n = virtio_gpu_fb_size(W, H, FMT);
    gpu_up(f, &g);
    CHECK_OK();
    a = screen(f, &g, 1, W, H);
    CHECK(a != NULL);
    b = (uint32_t *)fx_alloc(f, n, 4096);
    CHECK_RC(virtio_gpu_resource_create(&g, 2, FMT, W, H), VIRTIO_OK);
    CHECK_RC(virtio_gpu_attach_fb(&g, 2, b, n), VIRTIO_OK);
    draw(a, W, H, 0);
    CHECK_RC(virtio_gpu_update(&g, 1, &all), VIRTIO_OK);
    draw(b, W, H, 5);
    CHECK_RC(virtio_gpu_transfer(&g, 2, &all), VIRTIO_OK);
    CHECK(shows(f, 0, a, W, 0, 0, W, H)); /* still A */
    CHECK_RC(virtio_gpu_set_scanout(&g, 0, 2, &all), VIRTIO_OK);
    CHECK_RC(virtio_gpu_flush(&g, 2, &all), VIRTIO_OK);
    CHECK(shows(f, 0, b, W, 0, 0, W, H));
    CHECK_EQ(sim_gpu_of(&f->s)->scanout[0].res_id, 2);
}

/* The size QEMU shows by default, once. */
static void t_full_size(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect all = {0, 0, 1280, 800};
    uint32_t *fb;
    sim_gpu_of(&f->s)->display[0].width = 1280;
    sim_gpu_of(&f->s)->display[0].height = 800;
    gpu_up(f, &g);
    CHECK_OK();
    CHECK_EQ(virtio_gpu_fb_size(1280, 800, FMT), 1280u * 800u * 4u);
    CHECK_EQ(virtio_gpu_stride(1280, FMT), 5120);
    fb = screen(f, &g, 1, 1280, 800);
    CHECK(fb != NULL);
    draw(fb, 1280, 800, 0);
    CHECK_RC(virtio_gpu_update(&g, 1, &all), VIRTIO_OK);
    CHECK(shows(f, 0, fb, 1280, 0, 0, 1280, 800));
}

/* ---- Cursor -------------------------------------------------------------------------------- */
static void t_cursor(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect c = {0, 0, 64, 64};
    size_t n = virtio_gpu_fb_size(64, 64, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM);
    uint32_t *img = (uint32_t *)fx_alloc(f, n, 16), i;
    sim_gpu *sg = sim_gpu_of(&f->s);
    unsigned long ctrl;
    gpu_up(f, &g);
    CHECK_OK();
    CHECK_RC(virtio_gpu_resource_create(&g, 7, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 64, 64),
             VIRTIO_OK);
    CHECK_RC(virtio_gpu_cursor_set(&g, 0, 7, 1, 1, 10, 10), VIRTIO_EINVAL); /* no backing */
    CHECK_RC(virtio_gpu_attach_fb(&g, 7, img, n), VIRTIO_OK);
    CHECK_RC(virtio_gpu_transfer(&g, 7, &c), VIRTIO_OK);
    ctrl = sg->cmds;
    CHECK_RC(virtio_gpu_cursor_set(&g, 0, 7, 3, 4, 10, 20), VIRTIO_OK);
    CHECK_EQ(sg->cmds, ctrl); /* the cursor queue, not the control queue */
    CHECK_EQ(sg->cursor_updates, 1);
    CHECK_EQ(sg->cursor_res, 7);
    CHECK_EQ(sg->cursor_hot_x, 3);
    CHECK_EQ(sg->cursor_hot_y, 4);
    CHECK_EQ(sg->cursor_x, 10);
    CHECK_EQ(sg->cursor_y, 20);
    CHECK_EQ(sim_last(&f->s, 0)->queue, 1);
    CHECK_EQ(sim_last(&f->s, 0)->wlen, 0); /* no response buffer: QEMU writes none */
    /* more moves than the cursor queue has entries: reclaimed, never waited for */
    for (i = 0; i < 40; i++)
        CHECK_RC(virtio_gpu_cursor_move(&g, 0, i, 2 * i), VIRTIO_OK);
    CHECK_EQ(sg->cursor_moves, 40);
    CHECK_EQ(sg->cursor_x, 39);
    CHECK_EQ(sg->cursor_y, 78);
    CHECK_RC(virtio_gpu_cursor_hide(&g, 0), VIRTIO_OK);
    CHECK_EQ(sg->cursor_res, 0);
    CHECK_EQ(sg->cursor_ignored, 0);
    /* refused before anything is sent */
    CHECK_RC(virtio_gpu_cursor_set(&g, 0, 7, 64, 0, 0, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_cursor_set(&g, 0, 7, 0, 64, 0, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_cursor_set(&g, 1, 7, 0, 0, 0, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_cursor_set(&g, 0, 8, 0, 0, 0, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_cursor_move(&g, 1, 0, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_cursor_hide(&g, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_resource_create(&g, 8, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 32, 32),
             VIRTIO_OK);
    CHECK_RC(virtio_gpu_cursor_set(&g, 0, 8, 0, 0, 0, 0), VIRTIO_EINVAL); /* not 64x64 */
    CHECK_EQ(sg->cursor_updates, 2);
}

/* A device that keeps every cursor command: the queue fills, the next call waits (bounded),
   times out and resets the device. */
static void t_cursor_stuck(fx *f) {
    virtio_gpu g;
    uint32_t i;
    set_spin_limit(f, 2000);
    gpu_up(f, &g);
    CHECK_OK();
    f->s.swallow = 1;
    for (i = 0; i < 16; i++)
        CHECK_RC(virtio_gpu_cursor_move(&g, 0, i, i), VIRTIO_OK);
    CHECK_RC(virtio_gpu_cursor_move(&g, 0, 1, 1), VIRTIO_ETIMEDOUT);
    CHECK_EQ(f->s.status, 0);
    CHECK_RC(virtio_gpu_cursor_move(&g, 0, 1, 1), VIRTIO_ETIMEDOUT); /* latched */
}

/* ---- Display changes ----------------------------------------------------------------------- */
static void t_events(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r;
    uint32_t changed = 99;
    unsigned long reads, cmds;
    sim_gpu *sg = sim_gpu_of(&f->s);
    int on = 0;
    gpu_up(f, &g);
    CHECK_OK();
    /* nothing pending: one configuration read, no command */
    reads = f->s.config_reads;
    cmds = sg->cmds;
    CHECK_RC(virtio_gpu_poll_events(&g, &changed), VIRTIO_OK);
    CHECK_EQ(changed, 0);
    CHECK_EQ(f->s.config_reads, reads + 1);
    CHECK_EQ(sg->cmds, cmds);
    /* the window was resized, and scanout 1 was plugged in with a new monitor */
    sg->display[0].width = 100;
    sg->display[0].height = 70;
    sim_gpu_make_edid(sg->edid[1], 800, 600, "Second", 1);
    sg->display[1].width = 800;
    sg->display[1].height = 600;
    sg->display[1].enabled = 1;
    sim_gpu_event(&f->s);
    CHECK_RC(virtio_gpu_poll_events(&g, &changed), VIRTIO_OK);
    CHECK_EQ(changed, 3);
    CHECK_EQ(sim_cfg_r(&f->s, 0, 4), 0); /* events_clear written */
    CHECK_RC(virtio_gpu_display(&g, 0, &r, &on), VIRTIO_OK);
    CHECK_EQ(r.width, 100);
    CHECK_EQ(r.height, 70);
    CHECK_RC(virtio_gpu_display(&g, 1, &r, &on), VIRTIO_OK);
    CHECK_EQ(on, 1);
    CHECK_EQ(r.width, 800);
    /* an event with nothing changed */
    sim_gpu_event(&f->s);
    CHECK_RC(virtio_gpu_poll_events(&g, &changed), VIRTIO_OK);
    CHECK_EQ(changed, 0);
    /* only the EDID of scanout 0 */
    sim_gpu_make_edid(sg->edid[0], 100, 70, "Other", 2);
    sim_gpu_event(&f->s);
    CHECK_RC(virtio_gpu_poll_events(&g, &changed), VIRTIO_OK);
    CHECK_EQ(changed, 1);
    CHECK_RC(virtio_gpu_poll_events(&g, NULL), VIRTIO_OK);
    CHECK_RC(virtio_gpu_get_display_info(&g), VIRTIO_OK);
}

/* ---- Device answers ------------------------------------------------------------------------ */
/* Every error response: its own result, last_error names it, nothing latched. */
static void t_device_errors(fx *f) {
    static const struct {
        uint32_t type;
        int rc;
    } map[] = {
        {VIRTIO_GPU_RESP_ERR_UNSPEC, VIRTIO_EIO},
        {VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY, VIRTIO_ENOSPC},
        {VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID, VIRTIO_ERANGE},
        {VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID, VIRTIO_ENODEV},
        {VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID, VIRTIO_ENOTSUP},
        {VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, VIRTIO_EUNSUPP},
    };
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    uint32_t *fb;
    uint8_t edid[1024];
    size_t len, i, j;
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    for (i = 0; i < sizeof map / sizeof map[0]; i++) {
        for (j = i; j < sizeof map / sizeof map[0]; j++) /* results differ from each other */
            CHECK(j == i || map[i].rc != map[j].rc);
        sim_gpu_of(&f->s)->err_type = map[i].type;
        sim_gpu_of(&f->s)->err_count = 1;
        CHECK_RC(virtio_gpu_update(&g, 1, &r), map[i].rc);
        CHECK_EQ(virtio_gpu_last_error(&g), map[i].type);
        sim_gpu_of(&f->s)->err_count = 1; /* a response of another size: display info, EDID */
        CHECK_RC(virtio_gpu_get_display_info(&g), map[i].rc);
        sim_gpu_of(&f->s)->err_count = 1;
        CHECK_RC(virtio_gpu_get_edid(&g, 0, edid, sizeof edid, &len), map[i].rc);
        CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_OK);
    }
    /* QEMU's own refusals: a scanout below 16x16, backing attached twice */
    r.width = 15;
    CHECK_RC(virtio_gpu_set_scanout(&g, 0, 1, &r), VIRTIO_EUNSUPP);
    CHECK_EQ(virtio_gpu_last_error(&g), VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    CHECK_EQ(f->s.resets, 1); /* init's only */
}

/* Answers that are not answers: a device fault, latched, and the device reset. */
static unsigned long bad_clamped; /* used lengths the core clamped during the bad answer */
static void bad_answer(fx *f, enum sim_gpu_mis mis, int which) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    uint32_t *fb;
    uint8_t edid[1024];
    size_t len;
    unsigned long resets;
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    resets = f->s.resets;
    /* the same command answered properly first: its answer is still in the buffer */
    if (which == 1) CHECK_RC(virtio_gpu_get_display_info(&g), VIRTIO_OK);
    if (which == 2) CHECK_RC(virtio_gpu_get_edid(&g, 0, edid, sizeof edid, &len), VIRTIO_OK);
    sim_gpu_of(&f->s)->mis = mis;
    sim_gpu_of(&f->s)->mis_count = 1;
    if (which == 0) CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_EDEVICE);
    if (which == 1) CHECK_RC(virtio_gpu_get_display_info(&g), VIRTIO_EDEVICE);
    if (which == 2) CHECK_RC(virtio_gpu_get_edid(&g, 0, edid, sizeof edid, &len), VIRTIO_EDEVICE);
    bad_clamped = virtio_dev_clamped(&g.dev);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(f->s.status, 0);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
    CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_EDEVICE); /* latched until init */
    CHECK_EQ(f->s.resets, resets + 1);
}

static void t_short(fx *f) {
    bad_answer(f, SIM_GPU_MIS_SHORT, 0);
    CHECK_OK();
}
static void t_short_info(fx *f) { bad_answer(f, SIM_GPU_MIS_SHORT, 1); }
static void t_short_edid(fx *f) { bad_answer(f, SIM_GPU_MIS_SHORT, 2); }
static void t_unwritten(fx *f) { bad_answer(f, SIM_GPU_MIS_NO_WRITE, 0); }
static void t_unwritten_info(fx *f) { bad_answer(f, SIM_GPU_MIS_NO_WRITE, 1); }
static void t_wrong_type(fx *f) { bad_answer(f, SIM_GPU_MIS_WRONG_TYPE, 0); }
static void t_wrong_type_info(fx *f) { bad_answer(f, SIM_GPU_MIS_WRONG_TYPE, 1); }
static void t_unknown_type(fx *f) { bad_answer(f, SIM_GPU_MIS_UNKNOWN, 0); }
static void t_no_fence(fx *f) { bad_answer(f, SIM_GPU_MIS_NO_FENCE, 0); }
static void t_bad_fence(fx *f) { bad_answer(f, SIM_GPU_MIS_BAD_FENCE, 0); }
static void t_edid_size(fx *f) { bad_answer(f, SIM_GPU_MIS_EDID_SIZE, 2); }
/* Only the header of a display info or EDID answer written, the used length inflated (what
   kvmtool reports: request and response bytes) and clamped by the core to the buffer: the body
   the device never wrote (here the previous answer's, still in the buffer) is not an answer. */
static void t_hdr_only_info(fx *f) {
    bad_answer(f, SIM_GPU_MIS_HDR_ONLY, 1);
    CHECK_OK();
    CHECK_EQ(bad_clamped, 1u); /* the length was inflated: the clamp made it look complete */
}
static void t_hdr_only_edid(fx *f) {
    bad_answer(f, SIM_GPU_MIS_HDR_ONLY, 2);
    CHECK_OK();
    CHECK_EQ(bad_clamped, 1u);
}

/* A used length above the response buffer: the core clamps it and counts it. */
static void t_overlong(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    uint32_t *fb;
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    f->s.mis = SIM_MIS_USED_LEN_BIG;
    CHECK_RC(virtio_gpu_transfer(&g, 1, &r), VIRTIO_OK); /* clamped and counted */
    CHECK_EQ(virtio_dev_clamped(&g.dev), 1u);
    CHECK_RC(virtio_gpu_transfer(&g, 1, &r), VIRTIO_OK);
}

/* The device never answers: bounded wait, reset, and the backing is ours (nothing reads it). */
static void t_never(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    uint32_t *fb;
    unsigned long resets, cmds;
    set_spin_limit(f, 2000);
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    f->s.swallow = 1;
    resets = f->s.resets;
    CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_ETIMEDOUT);
    CHECK_LE(f->s.relax_max_iter, 2000);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(f->s.status, 0);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
    CHECK(sim_gpu_res_find(&f->s, 1) == NULL); /* the device forgot the resource */
    cmds = sim_gpu_of(&f->s)->cmds;
    f->s.swallow = 0;
    sim_process(&f->s);
    CHECK_EQ(sim_gpu_of(&f->s)->cmds, cmds);
    CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_ETIMEDOUT); /* latched until init */
}

/* A pipelined wait that times out resets too; its reset stuck: EBUSY, commands still pending. */
static void t_wait_timeout(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    uint32_t *fb;
    set_spin_limit(f, 1000);
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    f->s.manual = 1;
    f->s.reset_stuck = 1;
    CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_flush_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_wait(&g, NULL, NULL), VIRTIO_EBUSY);
    CHECK_EQ(virtio_gpu_pending(&g), 2);
    CHECK_RC(virtio_gpu_reset(&g), VIRTIO_EBUSY);
    f->s.reset_stuck = 0;
    CHECK_RC(virtio_gpu_reset(&g), VIRTIO_OK);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
    CHECK_RC(virtio_gpu_wait(&g, NULL, NULL), VIRTIO_ESTATE); /* reset: init again */
}

/* NEEDS_RESET while a command is out: ENEEDS_RESET, device reset. */
static void t_needs_reset(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    uint32_t *fb;
    set_spin_limit(f, 50000);
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    sim_set_needs_reset(&f->s);
    CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_ENEEDS_RESET);
    CHECK_EQ(f->s.status & ~(uint32_t)SIM_S_NEEDS_RESET, 0);
}

/* num_scanouts outside 1..16: a broken device, refused at init. */
static void t_hostile_scanouts(fx *f) {
    static const uint32_t bad[] = {0, 17, 0x80000000u, 0xffffffffu};
    virtio_gpu g;
    size_t sz, i;
    uint8_t *mem = gpu_mem(f, NULL, &sz);
    CHECK(mem != NULL);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sim_cfg_w32(&f->s, 8, bad[i]);
        CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_EDEVICE);
        CHECK(f->s.status & SIM_S_FAILED);
        CHECK_EQ(virtio_gpu_num_scanouts(&g), 0);
        CHECK_RC(virtio_gpu_get_display_info(&g), VIRTIO_EDEVICE);
    }
    sim_cfg_w32(&f->s, 8, 16); /* the most there may be */
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_OK);
    CHECK_EQ(virtio_gpu_num_scanouts(&g), 16);
    CHECK_EQ(sim_gpu_of(&f->s)->by_type[0x0a], 16);
}

/* A display size no resource could have. */
static void t_hostile_display(fx *f) {
    virtio_gpu g;
    size_t sz;
    uint8_t *mem = gpu_mem(f, NULL, &sz);
    CHECK(mem != NULL);
    sim_gpu_of(&f->s)->display[0].width = 0x10000000u;
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_EDEVICE);
    CHECK_EQ(f->s.status, 0); /* reset: a broken device holds nothing of ours */
    CHECK_RC(virtio_gpu_get_display_info(&g), VIRTIO_EDEVICE);
}

/* The device refuses init's GET_DISPLAY_INFO: init fails with that result. */
static void t_init_info_refused(fx *f) {
    virtio_gpu g;
    size_t sz;
    uint8_t *mem = gpu_mem(f, NULL, &sz);
    CHECK(mem != NULL);
    sim_gpu_of(&f->s)->err_type = VIRTIO_GPU_RESP_ERR_UNSPEC;
    sim_gpu_of(&f->s)->err_count = 1;
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_EIO);
    CHECK(f->s.status & SIM_S_FAILED);
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_OK); /* again: fine */
}

/* ---- Caller errors, init order, ownership ---------------------------------------------------- */
static void t_init_caller_errors(fx *f) {
    virtio_gpu g;
    virtio_gpu_params p;
    size_t sz = virtio_gpu_mem_size(NULL, &f->t);
    size_t align = virtio_queue_ring_align(&f->t);
    uint8_t *mem = (uint8_t *)fx_alloc(f, sz + 2 * align, align);
    unsigned long reads = f->s.reads, writes = f->s.writes;
    memset(mem, PATTERN, sz + 2 * align);
    memset(&g, 0, sizeof g);
    memset(&p, 0, sizeof p);
    CHECK(sz != 0);
    CHECK_RC(virtio_gpu_init(NULL, &f->t, NULL, mem, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_init(&g, NULL, NULL, mem, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, NULL, sz), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz - 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem + 8, sz + align), VIRTIO_EINVAL);
    p.ctrl_queue_size = 2;
    CHECK_RC(virtio_gpu_init(&g, &f->t, &p, mem, sz + 2 * align), VIRTIO_EINVAL);
    p.ctrl_queue_size = 24;
    CHECK_RC(virtio_gpu_init(&g, &f->t, &p, mem, sz + 2 * align), VIRTIO_EINVAL);
    p.ctrl_queue_size = 0;
    p.cursor_queue_size = 65536;
    CHECK_RC(virtio_gpu_init(&g, &f->t, &p, mem, sz + 2 * align), VIRTIO_EINVAL);
    p.cursor_queue_size = 0;
    p.max_resources = 65536;
    CHECK_RC(virtio_gpu_init(&g, &f->t, &p, mem, sz + 2 * align), VIRTIO_EINVAL);
    p.max_resources = 0;
    p.max_pieces = 70000;
    CHECK_RC(virtio_gpu_init(&g, &f->t, &p, mem, sz + 2 * align), VIRTIO_EINVAL);
    p.max_pieces = 1000; /* valid, but needs more than the default's memory */
    CHECK(virtio_gpu_mem_size(&p, &f->t) > sz);
    CHECK_RC(virtio_gpu_init(&g, &f->t, &p, mem, sz), VIRTIO_EINVAL);
    CHECK_EQ(f->s.writes, writes);
    CHECK_EQ(f->s.reads, reads);
    CHECK(all_pattern(mem, sz + 2 * align));
    CHECK_RC(virtio_gpu_get_display_info(&g), VIRTIO_ESTATE);
}

/* Bad arguments to a working device: VIRTIO_EINVAL, no register access, no command. */
static void t_io_caller_errors(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect all = {0, 0, W, H}, r;
    virtio_gpu_piece pc[2];
    uint32_t *fb;
    uint8_t *small = (uint8_t *)fx_alloc(f, 64, 16);
    unsigned long writes, reads, chains;
    size_t n = virtio_gpu_fb_size(W, H, FMT);
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    CHECK_RC(virtio_gpu_resource_create(&g, 2, FMT, W, H), VIRTIO_OK); /* no backing */
    memset(fb, PATTERN, n);
    writes = f->s.writes;
    reads = f->s.reads;
    chains = f->s.chains_total;
    /* resources */
    CHECK_RC(virtio_gpu_resource_create(&g, 0, FMT, W, H), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_resource_create(&g, 1, FMT, W, H), VIRTIO_EINVAL); /* exists */
    CHECK_RC(virtio_gpu_resource_create(&g, 3, 5, W, H), VIRTIO_EINVAL);   /* format */
    CHECK_RC(virtio_gpu_resource_create(&g, 3, FMT, 0, H), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_resource_create(&g, 3, FMT, W, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_resource_create(&g, 3, FMT, VIRTIO_GPU_MAX_DIM + 1, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_resource_create(&g, 3, FMT, 1, VIRTIO_GPU_MAX_DIM + 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_attach_fb(&g, 1, fb, n), VIRTIO_EINVAL);     /* already backed */
    CHECK_RC(virtio_gpu_attach_fb(&g, 9, fb, n), VIRTIO_EINVAL);     /* unknown */
    CHECK_RC(virtio_gpu_attach_fb(&g, 2, small, 64), VIRTIO_EINVAL); /* too small */
    CHECK_RC(virtio_gpu_attach_fb(&g, 2, NULL, n), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_attach_fb(&g, 2, fb, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_attach_backing(&g, 2, NULL, 1), VIRTIO_EINVAL);
    pc[0].addr = fb;
    pc[0].len = n - 4;
    pc[1].addr = small;
    pc[1].len = 0;
    CHECK_RC(virtio_gpu_attach_backing(&g, 2, pc, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_attach_backing(&g, 2, pc, 1), VIRTIO_EINVAL); /* 4 bytes short */
    CHECK_RC(virtio_gpu_attach_backing(&g, 2, pc, 2), VIRTIO_EINVAL); /* empty piece */
    CHECK_RC(virtio_gpu_attach_backing(&g, 2, pc, VIRTIO_GPU_PIECES + 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_detach_backing(&g, 2), VIRTIO_EINVAL); /* none attached */
    CHECK_RC(virtio_gpu_detach_backing(&g, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_resource_unref(&g, 9), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_resource_unref(&g, 0), VIRTIO_EINVAL);
    /* rectangles */
    r = all;
    r.width = 0;
    CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_EINVAL);
    r = all;
    r.height = 0;
    CHECK_RC(virtio_gpu_transfer(&g, 1, &r), VIRTIO_EINVAL);
    r = all;
    r.x = 1;
    CHECK_RC(virtio_gpu_flush(&g, 1, &r), VIRTIO_EINVAL);
    r = all;
    r.y = H;
    r.height = 1;
    CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_EINVAL);
    r.x = 0xffffffffu;
    r.y = 0;
    r.width = 2;
    CHECK_RC(virtio_gpu_flush_submit(&g, 1, &r), VIRTIO_EINVAL); /* x + width wraps */
    CHECK_RC(virtio_gpu_update(&g, 1, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_update(&g, 0, &all), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_update(&g, 9, &all), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_transfer(&g, 2, &all), VIRTIO_EINVAL); /* no backing */
    CHECK_RC(virtio_gpu_transfer_submit(&g, 2, &all), VIRTIO_EINVAL);
    /* scanouts */
    CHECK_RC(virtio_gpu_set_scanout(&g, 1, 1, &all), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_set_scanout(&g, 0, 9, &all), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_set_scanout(&g, 0, 1, NULL), VIRTIO_EINVAL);
    r = all;
    r.width = W + 1;
    CHECK_RC(virtio_gpu_set_scanout(&g, 0, 1, &r), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_get_edid(&g, 1, small, 64, NULL), VIRTIO_EINVAL);
    /* NULL objects */
    CHECK_RC(virtio_gpu_update(NULL, 1, &all), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_kick(NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_poll(NULL, NULL, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_wait(NULL, NULL, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_wait_all(NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_reset(NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_poll_events(NULL, NULL), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_cursor_move(NULL, 0, 0, 0), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_display(NULL, 0, NULL, NULL), VIRTIO_EINVAL);
    CHECK_EQ(virtio_gpu_pending(NULL), 0);
    CHECK_EQ(virtio_gpu_num_scanouts(NULL), 0);
    CHECK_EQ(virtio_gpu_last_error(NULL), 0);
    CHECK_EQ(virtio_gpu_has_edid(NULL), 0);
    CHECK_EQ(f->s.writes, writes);
    CHECK_EQ(f->s.reads, reads);
    CHECK_EQ(f->s.chains_total, chains);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
    CHECK(all_pattern((const uint8_t *)fb, n));
    CHECK_RC(virtio_gpu_update(&g, 1, &all), VIRTIO_OK); /* still works */
}

/* Sizes: strides, framebuffers, memory bounds. */
static void t_sizes(fx *f) {
    virtio_gpu_params p;
    size_t any = virtio_gpu_mem_size(NULL, NULL), here = virtio_gpu_mem_size(NULL, &f->t);
    CHECK_EQ(virtio_gpu_stride(1, FMT), 4);
    CHECK_EQ(virtio_gpu_stride(VIRTIO_GPU_MAX_DIM, FMT), VIRTIO_GPU_MAX_DIM * 4);
    CHECK_EQ(virtio_gpu_stride(VIRTIO_GPU_MAX_DIM + 1, FMT), 0);
    CHECK_EQ(virtio_gpu_stride(0, FMT), 0);
    CHECK_EQ(virtio_gpu_stride(10, 0), 0);
    CHECK_EQ(virtio_gpu_stride(10, VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM), 40);
    CHECK_EQ(virtio_gpu_fb_size(1024, 768, FMT), 1024u * 768u * 4u);
    CHECK_EQ(virtio_gpu_fb_size(1024, 0, FMT), 0);
    CHECK_EQ(virtio_gpu_fb_size(1024, VIRTIO_GPU_MAX_DIM + 1, FMT), 0);
    CHECK(here != 0);
    CHECK_LE(here, any);
    CHECK_LE(any, VIRTIO_GPU_MEM(0, 0, 0, 0));
    memset(&p, 0, sizeof p);
    p.ctrl_queue_size = 256;
    p.cursor_queue_size = 1;
    p.max_resources = 1000;
    p.max_pieces = 4096;
    CHECK_LE(virtio_gpu_mem_size(&p, NULL), VIRTIO_GPU_MEM(256, 1, 1000, 4096));
    CHECK_LE(virtio_gpu_mem_size(&p, &f->t), VIRTIO_GPU_MEM(256, 1, 1000, 4096));
    p.ctrl_queue_size = 4;
    CHECK_LE(virtio_gpu_mem_size(&p, &f->t), VIRTIO_GPU_MEM(4, 1, 1000, 4096));
    p.ctrl_queue_size = 3;
    CHECK_EQ(virtio_gpu_mem_size(&p, &f->t), 0);
}

/* max_resources: the next create is VIRTIO_ENOSPC, nothing sent; an unref frees a record. */
static void t_resources_full(fx *f) {
    virtio_gpu g;
    virtio_gpu_params p;
    unsigned long cmds;
    memset(&p, 0, sizeof p);
    p.max_resources = 2;
    gpu_up_p(f, &g, &p);
    CHECK_OK();
    CHECK_RC(virtio_gpu_resource_create(&g, 10, FMT, 4, 4), VIRTIO_OK);
    CHECK_RC(virtio_gpu_resource_create(&g, 11, FMT, 4, 4), VIRTIO_OK);
    cmds = sim_gpu_of(&f->s)->cmds;
    CHECK_RC(virtio_gpu_resource_create(&g, 12, FMT, 4, 4), VIRTIO_ENOSPC);
    CHECK_EQ(sim_gpu_of(&f->s)->cmds, cmds);
    CHECK_RC(virtio_gpu_resource_unref(&g, 10), VIRTIO_OK);
    CHECK_RC(virtio_gpu_resource_create(&g, 12, FMT, 4, 4), VIRTIO_OK);
    /* a create the device refuses leaves no record behind */
    sim_gpu_of(&f->s)->err_type = VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
    sim_gpu_of(&f->s)->err_count = 1;
    CHECK_RC(virtio_gpu_resource_unref(&g, 12), VIRTIO_ENOSPC);
    CHECK_RC(virtio_gpu_resource_unref(&g, 12), VIRTIO_OK);
    sim_gpu_of(&f->s)->err_count = 1;
    CHECK_RC(virtio_gpu_resource_create(&g, 13, FMT, 4, 4), VIRTIO_ENOSPC);
    CHECK_RC(virtio_gpu_resource_create(&g, 13, FMT, 4, 4), VIRTIO_OK);
}

/* Detach gives the backing back: a transfer needs a new one. */
static void t_detach(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect all = {0, 0, W, H};
    uint32_t *fb, *fb2;
    size_t n = virtio_gpu_fb_size(W, H, FMT);
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    CHECK_RC(virtio_gpu_detach_backing(&g, 1), VIRTIO_OK);
    CHECK_EQ(sim_gpu_res_find(&f->s, 1)->nentries, 0);
    CHECK_RC(virtio_gpu_transfer(&g, 1, &all), VIRTIO_EINVAL);
    fb2 = (uint32_t *)fx_alloc(f, n, 16);
    draw(fb2, W, H, 7);
    CHECK_RC(virtio_gpu_attach_fb(&g, 1, fb2, n), VIRTIO_OK);
    CHECK_RC(virtio_gpu_update(&g, 1, &all), VIRTIO_OK);
    CHECK(shows(f, 0, fb2, W, 0, 0, W, H));
}

static void t_wrong_device(fx *f) {
    virtio_gpu g;
    uint8_t *mem = (uint8_t *)fx_alloc(f, 65536, 4096);
    unsigned long reads = f->s.reads;
    memset(mem, PATTERN, 65536);
    memset(&g, 0, sizeof g);
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, 65536), VIRTIO_ENODEV);
    CHECK_EQ(f->s.writes, 0);
    CHECK_EQ(f->s.reads, reads);
    CHECK(all_pattern(mem, 65536));
    CHECK_RC(virtio_gpu_get_display_info(&g), VIRTIO_ESTATE);
}

/* The device does not reset: VIRTIO_EBUSY and no byte of memory written. */
static void t_init_reset_stuck(fx *f) {
    virtio_gpu g;
    size_t sz;
    uint8_t *mem = gpu_mem(f, NULL, &sz);
    set_spin_limit(f, 1000);
    f->s.reset_stuck = 1;
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_EBUSY);
    CHECK(all_pattern(mem, sz));
    CHECK_EQ(f->s.resets, 1);
    CHECK_EQ(f->s.status_writes, 1);
    CHECK_RC(virtio_gpu_get_display_info(&g), VIRTIO_EBUSY);
    f->s.reset_stuck = 0;
    CHECK_RC(virtio_gpu_reset(&g), VIRTIO_OK);
    CHECK_RC(virtio_gpu_get_display_info(&g), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_OK);
}

/* A device an earlier stage left running with a command out: init resets it first. */
static void t_init_running_device(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    size_t sz;
    uint8_t *mem = gpu_mem(f, NULL, &sz);
    uint32_t *fb;
    unsigned long resets, cmds;
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_OK);
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    f->s.manual = 1;
    CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_kick(&g), VIRTIO_OK);
    resets = f->s.resets;
    cmds = sim_gpu_of(&f->s)->cmds;
    memset(&g, 0, sizeof g);
    f->s.manual = 0;
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_OK);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(sim_gpu_of(&f->s)->cmds, cmds + 2); /* init's own two, not the old transfer */
}

static void t_wait_nothing(fx *f) {
    virtio_gpu g;
    uint32_t cmd = 0;
    int res = 0;
    unsigned long relax, reads;
    gpu_up(f, &g);
    CHECK_OK();
    relax = f->s.relax_calls;
    reads = f->s.reads;
    CHECK_RC(virtio_gpu_wait(&g, &cmd, &res), VIRTIO_EAGAIN);
    CHECK_RC(virtio_gpu_poll(&g, &cmd, &res), VIRTIO_EAGAIN);
    CHECK_RC(virtio_gpu_wait_all(&g), VIRTIO_OK);
    CHECK_EQ(f->s.relax_calls, relax);
    CHECK_EQ(f->s.reads, reads);
}

static void t_zeroed(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    uint8_t buf[16];
    size_t len;
    uint32_t ch;
    unsigned long reads = f->s.reads;
    memset(&g, 0, sizeof g);
    CHECK_RC(virtio_gpu_get_display_info(&g), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_display(&g, 0, &r, NULL), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_get_edid(&g, 0, buf, sizeof buf, &len), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_poll_events(&g, &ch), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_resource_create(&g, 1, FMT, 4, 4), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_attach_fb(&g, 1, buf, sizeof buf), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_detach_backing(&g, 1), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_resource_unref(&g, 1), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_set_scanout(&g, 0, 1, &r), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_transfer(&g, 1, &r), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_flush(&g, 1, &r), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_flush_submit(&g, 1, &r), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_kick(&g), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_poll(&g, NULL, NULL), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_wait(&g, NULL, NULL), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_wait_all(&g), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_cursor_set(&g, 0, 1, 0, 0, 0, 0), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_cursor_move(&g, 0, 0, 0), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_cursor_hide(&g, 0), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_reset(&g), VIRTIO_ESTATE);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
    CHECK_EQ(virtio_gpu_num_scanouts(&g), 0);
    CHECK_EQ(f->s.writes, 0);
    CHECK_EQ(f->s.reads, reads);
}

/* Reset hands everything back; then VIRTIO_ESTATE until init, and init works again. */
static void t_reset(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    size_t sz;
    uint8_t *mem = gpu_mem(f, NULL, &sz);
    uint32_t *fb;
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_OK);
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    f->s.manual = 1;
    CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_kick(&g), VIRTIO_OK);
    CHECK_RC(virtio_gpu_reset(&g), VIRTIO_OK);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
    CHECK_EQ(f->s.status, 0);
    CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_ESTATE);
    f->s.manual = 0;
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_OK);
    fb = screen(f, &g, 1, W, H); /* the device forgot resource 1, and so did we */
    CHECK(fb != NULL);
}

/* A fault found by poll: latched, not reset (poll never waits); the next wait resets. */
static void t_fault_poll(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    uint32_t *fb, cmd = 0;
    int res = 0, rc = VIRTIO_EAGAIN, k;
    unsigned long resets;
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    resets = f->s.resets;
    sim_gpu_of(&f->s)->mis = SIM_GPU_MIS_NO_FENCE;
    sim_gpu_of(&f->s)->mis_count = 1;
    CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_flush_submit(&g, 1, &r), VIRTIO_OK);
    for (k = 0; k < 10 && rc == VIRTIO_EAGAIN; k++)
        rc = virtio_gpu_poll(&g, &cmd, &res);
    CHECK_RC(rc, VIRTIO_OK);
    CHECK_RC(res, VIRTIO_EDEVICE);
    CHECK_EQ(cmd, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
    CHECK_EQ(f->s.resets, resets);
    CHECK(f->s.status & SIM_S_FAILED);
    CHECK_EQ(virtio_gpu_pending(&g), 1);
    CHECK_RC(virtio_gpu_poll(&g, &cmd, &res), VIRTIO_EDEVICE);
    CHECK_RC(virtio_gpu_reset(&g), VIRTIO_OK);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
}

/* A fault a poll latched leaves a command with the device: the next wait resets the device
   before it returns, so nothing the caller gave is used afterwards. */
static void t_fault_poll_then_wait(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    uint32_t *fb, cmd = 0;
    int res = 0, rc = VIRTIO_EAGAIN, k;
    unsigned long resets, cmds;
    gpu_up(f, &g);
    CHECK_OK();
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    resets = f->s.resets;
    f->s.manual = 1;
    f->s.max_per_pass = 1;
    sim_gpu_of(&f->s)->mis = SIM_GPU_MIS_NO_FENCE;
    sim_gpu_of(&f->s)->mis_count = 1;
    CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_kick(&g), VIRTIO_OK);
    for (k = 0; k < 10 && rc == VIRTIO_EAGAIN; k++) {
        rc = virtio_gpu_poll(&g, &cmd, &res);
        if (rc == VIRTIO_EAGAIN) sim_process(&f->s);
    }
    CHECK_RC(res, VIRTIO_EDEVICE);
    CHECK_EQ(virtio_gpu_pending(&g), 1);
    CHECK_RC(virtio_gpu_wait(&g, &cmd, &res), VIRTIO_EDEVICE);
    CHECK_EQ(f->s.resets, resets + 1);
    CHECK_EQ(virtio_gpu_pending(&g), 0);
    cmds = sim_gpu_of(&f->s)->cmds;
    sim_process(&f->s);
    CHECK_EQ(sim_gpu_of(&f->s)->cmds, cmds); /* the held transfer never runs */
}

/* A display event whose re-read the device refuses is not lost: the next poll re-reads. */
static void t_event_reread(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r;
    uint32_t ch = 7;
    gpu_up(f, &g);
    CHECK_OK();
    sim_gpu_of(&f->s)->display[0].width = 100;
    sim_gpu_event(&f->s);
    sim_gpu_of(&f->s)->err_type = VIRTIO_GPU_RESP_ERR_UNSPEC;
    sim_gpu_of(&f->s)->err_count = 1;
    CHECK_RC(virtio_gpu_poll_events(&g, &ch), VIRTIO_EIO);
    CHECK_RC(virtio_gpu_poll_events(&g, &ch), VIRTIO_OK);
    CHECK_EQ(ch, 1);
    CHECK_RC(virtio_gpu_display(&g, 0, &r, NULL), VIRTIO_OK);
    CHECK_EQ(r.width, 100);
    CHECK_RC(virtio_gpu_poll_events(&g, &ch), VIRTIO_OK); /* nothing owed any more */
    CHECK_EQ(ch, 0);
}

/* The cursor image's transfer must be complete before UPDATE_CURSOR ("Configure mouse cursor"). */
static void t_cursor_after_fill(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 64, 64};
    uint32_t *fb = (uint32_t *)fx_alloc(f, 64 * 64 * 4, 4096);
    gpu_up(f, &g);
    CHECK_OK();
    CHECK_RC(virtio_gpu_resource_create(&g, 9, VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM, 64, 64),
             VIRTIO_OK);
    CHECK_RC(virtio_gpu_attach_fb(&g, 9, fb, 64 * 64 * 4), VIRTIO_OK);
    CHECK_RC(virtio_gpu_transfer_submit(&g, 9, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_cursor_set(&g, 0, 9, 0, 0, 10, 10), VIRTIO_ESTATE);
    CHECK_RC(virtio_gpu_wait_all(&g), VIRTIO_OK);
    CHECK_RC(virtio_gpu_cursor_set(&g, 0, 9, 0, 0, 10, 10), VIRTIO_OK);
}

/* A display reported enabled but of size 0 counts as disabled. */
static void t_display_enabled_empty(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r;
    int on = 1;
    sim_gpu_of(&f->s)->display[0].width = 0;
    sim_gpu_of(&f->s)->display[0].height = 0;
    gpu_up(f, &g);
    CHECK_OK();
    CHECK_RC(virtio_gpu_display(&g, 0, &r, &on), VIRTIO_OK);
    CHECK_EQ(on, 0);
}

/* EDID 1.x only; descriptor 1 is the preferred mode; interlaced heights; printable names. */
static void t_edid_parse_strict(fx *f) {
    uint8_t e[128], *d;
    unsigned i, sum;
    virtio_gpu_edid_info info;
    (void)f;
    sim_gpu_make_edid(e, 1280, 720, "AB\x1b[2J", 7);
    CHECK_RC(virtio_gpu_edid_parse(e, 128, &info), VIRTIO_OK);
    for (i = 0; info.name[i]; i++) CHECK(info.name[i] >= 0x20 && info.name[i] < 0x7f);
    e[18] = 2; /* EDID 2.0: another layout */
    for (sum = 0, i = 0; i < 127; i++) sum += e[i];
    e[127] = (uint8_t)(256u - (sum & 255u));
    CHECK_RC(virtio_gpu_edid_parse(e, 128, &info), VIRTIO_EINVAL);
    sim_gpu_make_edid(e, 1920, 540, "", 7);
    d = e + 54;
    d[17] |= 0x80u; /* interlaced: 540 lines per field */
    memcpy(e + 72, d, 18); /* descriptor 2 is a timing too, but descriptor 1 is preferred */
    e[72 + 2] = 0x00;
    e[72 + 4] = 0x50; /* 1280 wide */
    for (sum = 0, i = 0; i < 127; i++) sum += e[i];
    e[127] = (uint8_t)(256u - (sum & 255u));
    CHECK_RC(virtio_gpu_edid_parse(e, 128, &info), VIRTIO_OK);
    CHECK_EQ(info.width, 1920);
    CHECK_EQ(info.height, 1080);
}

/* The device offers smaller queues: 4 control entries still give transfer + flush; 2 do not. */
static void t_small_queues(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r = {0, 0, 16, 16};
    size_t sz;
    uint8_t *mem = gpu_mem(f, NULL, &sz);
    uint32_t *fb, i;
    CHECK(mem != NULL);
    f->s.q[0].num_max = 2;
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_ENOQUEUE);
    CHECK(f->s.status & SIM_S_FAILED);
    f->s.q[0].num_max = 4;
    f->s.q[1].num_max = 2;
    CHECK_RC(virtio_gpu_init(&g, &f->t, NULL, mem, sz), VIRTIO_OK);
    fb = screen(f, &g, 1, W, H);
    CHECK(fb != NULL);
    CHECK_RC(virtio_gpu_update(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_flush_submit(&g, 1, &r), VIRTIO_OK);
    CHECK_RC(virtio_gpu_flush_submit(&g, 1, &r), VIRTIO_ENOSPC);
    CHECK_RC(virtio_gpu_wait_all(&g), VIRTIO_OK);
    for (i = 0; i < 10; i++)
        CHECK_RC(virtio_gpu_cursor_move(&g, 0, i, i), VIRTIO_OK);
    CHECK_EQ(sim_gpu_of(&f->s)->cursor_moves, 10);
}

static const tcase cases[] = {
    {"init: EDID negotiated, nothing 3D, display info and EDID read", t_init, RUN_BOTH | RUN_EIDX},
    {"get_edid and parse: preferred mode, name, vendor", t_edid, RUN_BOTH},
    {"edid_parse: names, short, bad checksum, bad header", t_edid_parse, RUN_ONCE},
    {"pattern on screen, then the middle rectangle: pixel-exact, one notification each", t_update,
     RUN_BOTH | RUN_EIDX},
    {"transfer shows nothing until the flush", t_transfer_flush, RUN_BOTH},
    {"backing in scattered pieces (device addresses)", t_pieces, RUN_BOTH},
    {"12 commands pipelined: one kick, all back once", t_pipeline, RUN_BOTH | RUN_EIDX},
    {"poll publishes; slots full -> ENOSPC; blocking while pending -> ESTATE", t_pipeline_poll,
     RUN_BOTH},
    {"device error in a pipelined command is its result", t_pipeline_error, RUN_BOTH},
    {"page flip between two resources", t_page_flip, RUN_BOTH},
    {"1280x800, QEMU's default size", t_full_size, RUN_BOTH},
    {"cursor: set, 40 moves on a 16-entry queue, hide, refusals", t_cursor, RUN_BOTH | RUN_EIDX},
    {"cursor queue never used -> bounded wait, reset", t_cursor_stuck, RUN_BOTH},
    {"every error response -> its own result, last_error, not latched", t_device_errors, RUN_BOTH},
    {"short response -> EDEVICE, reset", t_short, RUN_BOTH},
    {"short display info -> EDEVICE, reset", t_short_info, RUN_BOTH},
    {"short EDID -> EDEVICE, reset", t_short_edid, RUN_BOTH},
    {"response never written (sentinel) -> EDEVICE, reset", t_unwritten, RUN_BOTH},
    {"display info never written -> EDEVICE, reset", t_unwritten_info, RUN_BOTH},
    {"display info: header only, used length inflated and clamped -> EDEVICE, reset",
     t_hdr_only_info, RUN_BOTH},
    {"EDID: header only, used length inflated and clamped -> EDEVICE, reset", t_hdr_only_edid,
     RUN_BOTH},
    {"wrong success type -> EDEVICE", t_wrong_type, RUN_BOTH},
    {"wrong success type for display info -> EDEVICE", t_wrong_type_info, RUN_BOTH},
    {"unknown response type -> EDEVICE", t_unknown_type, RUN_BOTH},
    {"fence not echoed -> EDEVICE", t_no_fence, RUN_BOTH},
    {"wrong fence id -> EDEVICE", t_bad_fence, RUN_BOTH},
    {"EDID size above 1024 -> EDEVICE", t_edid_size, RUN_BOTH},
    {"used length above the response -> clamped, counted", t_overlong, RUN_BOTH},
    {"device never answers -> ETIMEDOUT, reset, nothing read after", t_never, RUN_BOTH},
    {"wait times out, reset stuck -> EBUSY, pending kept", t_wait_timeout, RUN_BOTH},
    {"NEEDS_RESET -> ENEEDS_RESET, reset", t_needs_reset, RUN_BOTH},
    {"hostile num_scanouts (0, 17, 2^31, ~0) -> EDEVICE; 16 works", t_hostile_scanouts, RUN_BOTH},
    {"display size no resource could have -> EDEVICE", t_hostile_display, RUN_BOTH},
    {"init's display info refused -> init fails with it", t_init_info_refused, RUN_BOTH},
    {"init caller errors: EINVAL, no register access, memory untouched", t_init_caller_errors,
     RUN_BOTH},
    {"I/O caller errors change nothing", t_io_caller_errors, RUN_BOTH},
    {"stride, fb_size, mem_size and VIRTIO_GPU_MEM", t_sizes, RUN_BOTH},
    {"max_resources -> ENOSPC; refused create leaves no record", t_resources_full, RUN_BOTH},
    {"detach, transfer refused, attach another, update", t_detach, RUN_BOTH},
    {"init, reset stuck -> EBUSY before any memory write", t_init_reset_stuck, RUN_BOTH},
    {"init on a running device resets it first", t_init_running_device, RUN_BOTH},
    {"wait/poll with nothing pending -> EAGAIN at once, no spinning", t_wait_nothing, RUN_BOTH},
    {"zeroed object -> ESTATE from every call", t_zeroed, RUN_BOTH},
    {"reset hands everything back, ESTATE until init", t_reset, RUN_BOTH},
    {"fault found by poll -> latched, no reset", t_fault_poll, RUN_BOTH},
    {"fault found by poll, then wait -> the wait resets before it returns",
     t_fault_poll_then_wait, RUN_BOTH},
    {"display event whose re-read is refused is re-read next time", t_event_reread, RUN_BOTH},
    {"cursor_set before its image's transfer completed -> ESTATE", t_cursor_after_fill, RUN_BOTH},
    {"display enabled with size 0 counts as disabled", t_display_enabled_empty, RUN_BOTH},
    {"EDID: 1.x only, descriptor 1 preferred, interlaced, printable name", t_edid_parse_strict,
     RUN_ONCE},
    {"smaller device queues: 4 control entries work, 2 refused", t_small_queues, RUN_BOTH},
    {"backing pieces above 16 TiB (device addresses)", t_pieces, RUN_V2 | RUN_HIGH},
};

static const tcase two_cases[] = {
    {"two scanouts: one large resource, mirroring, disable, unref", t_multihead, RUN_BOTH},
    {"display change events: resize, plug, EDID", t_events, RUN_BOTH},
};

static const tcase noedid_cases[] = {
    {"no EDID offered: not negotiated, get_edid ENOTSUP", t_init_noedid, RUN_BOTH},
};

static const tcase blk_cases[] = {
    {"block device -> ENODEV, no register access, memory untouched", t_wrong_device, RUN_BOTH},
};

int main(void) {
    run_table("gpu", cases, sizeof cases / sizeof cases[0], setup_gpu);
    run_table("gpu", two_cases, sizeof two_cases / sizeof two_cases[0], setup_gpu2);
    run_table("gpu", noedid_cases, sizeof noedid_cases / sizeof noedid_cases[0], setup_noedid);
    run_table("gpu", blk_cases, sizeof blk_cases / sizeof blk_cases[0], setup_blk);
    return t_summary("test_gpu");
}
