/* test_gpu_minimal.c - virtio_gpu.h in the smallest configuration (VIRTIO_MINIMAL, which defines
   VIRTIO_GPU_MINIMAL) against the simulated GPU: a scanout is set and a framebuffer updated
   pixel for pixel, EDID is not negotiated although offered and no GET_EDID is sent, the cursor
   queue is not set up, and the EDID, event and cursor calls are VIRTIO_ENOTSUP after their
   argument checks. Modern devices only (the build has no legacy). */
#define VIRTIO_MINIMAL
#define VIRTIO_SPIN_LIMIT 100000u
#define VIRTIO_IMPLEMENTATION
#include "../virtio.h"
#define VIRTIO_GPU_IMPLEMENTATION
#include "../virtio_gpu.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_gpu.h"
#include "test.h"
#include "fixture.h"

#ifndef VIRTIO_GPU_MINIMAL
#error "VIRTIO_MINIMAL must define VIRTIO_GPU_MINIMAL"
#endif

#define W   80u
#define H   60u
#define FMT VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM

static void setup_gpu(fx *f) { sim_init_gpu(&f->s, &f->arena, f->ver, 1, W, H); }

static int gpu_up(fx *f, virtio_gpu *g) {
    size_t sz = virtio_gpu_mem_size(NULL, &f->t);
    void *mem = sz ? fx_alloc(f, sz, virtio_queue_ring_align(&f->t)) : NULL;
    if (!mem) return -1000;
    return virtio_gpu_init(g, &f->t, NULL, mem, sz);
}

/* Init: no EDID negotiated, GET_DISPLAY_INFO only, the cursor queue left alone. */
static void t_init(fx *f) {
    virtio_gpu g;
    virtio_gpu_rect r;
    int on = 0;
    CHECK_RC(gpu_up(f, &g), VIRTIO_OK);
    CHECK_OK();
    CHECK(f->s.dev_features & SIM_F(1)); /* offered */
    CHECK_EQ(f->s.drv_features, SIM_F(SIM_F_VERSION_1));
    CHECK_EQ(virtio_gpu_has_edid(&g), 0);
    CHECK_EQ(sim_gpu_of(&f->s)->cmds, 1);
    CHECK_EQ(sim_gpu_of(&f->s)->by_type[0], 1);
    CHECK_EQ(sim_gpu_of(&f->s)->by_type[0x0a], 0);
    CHECK(!f->s.q[1].live);
    CHECK_RC(virtio_gpu_display(&g, 0, &r, &on), VIRTIO_OK);
    CHECK_EQ(r.width, W);
    CHECK_EQ(r.height, H);
    CHECK_EQ(on, 1);
}

/* A framebuffer on scanout 0, updated whole and in part: the display shows it. */
static void t_update(fx *f) {
    virtio_gpu g;
    size_t n = virtio_gpu_fb_size(W, H, FMT);
    uint32_t *fb = (uint32_t *)fx_alloc(f, n, 4096), x, y;
    virtio_gpu_rect all = {0, 0, W, H}, mid = {W / 4, H / 4, W / 2, H / 2};
    int ok = 1;
    CHECK_RC(gpu_up(f, &g), VIRTIO_OK);
    CHECK(fb != NULL);
    CHECK_RC(virtio_gpu_resource_create(&g, 1, FMT, W, H), VIRTIO_OK);
    CHECK_RC(virtio_gpu_attach_fb(&g, 1, fb, n), VIRTIO_OK);
    CHECK_RC(virtio_gpu_set_scanout(&g, 0, 1, &all), VIRTIO_OK);
    for (y = 0; y < H; y++)
        for (x = 0; x < W; x++)
            fb[y * W + x] = (x << 16) | (y << 8) | ((x ^ y) & 255u);
    CHECK_RC(virtio_gpu_update(&g, 1, &all), VIRTIO_OK);
    for (y = mid.y; y < mid.y + mid.height; y++)
        for (x = mid.x; x < mid.x + mid.width; x++)
            fb[y * W + x] = ~fb[y * W + x] & 0xffffffu;
    CHECK_RC(virtio_gpu_transfer_submit(&g, 1, &mid), VIRTIO_OK);
    CHECK_RC(virtio_gpu_flush_submit(&g, 1, &mid), VIRTIO_OK);
    CHECK_RC(virtio_gpu_wait_all(&g), VIRTIO_OK);
    for (y = 0; y < H; y++)
        for (x = 0; x < W; x++)
            if (sim_gpu_pixel(&f->s, 0, x, y) != fb[y * W + x]) ok = 0;
    CHECK(ok);
    CHECK_EQ(sim_gpu_of(&f->s)->scanout[0].flushes, 2);
    CHECK_RC(virtio_gpu_detach_backing(&g, 1), VIRTIO_OK);
    CHECK_RC(virtio_gpu_resource_unref(&g, 1), VIRTIO_OK);
    CHECK_OK();
}

/* What the configuration leaves out: argument checks first, then VIRTIO_ENOTSUP, and nothing
   reaches the device (no command, no configuration access, no cursor queue). */
static void t_left_out(fx *f) {
    virtio_gpu g;
    uint8_t buf[256];
    virtio_gpu_edid_info info;
    size_t len = 7;
    uint32_t changed = 99;
    unsigned long cmds, reads, writes;
    CHECK_RC(gpu_up(f, &g), VIRTIO_OK);
    cmds = sim_gpu_of(&f->s)->cmds;
    reads = f->s.config_reads;
    writes = f->s.config_writes;
    CHECK_RC(virtio_gpu_get_edid(&g, 0, buf, sizeof buf, &len), VIRTIO_ENOTSUP);
    CHECK_EQ(len, 7);
    CHECK_RC(virtio_gpu_get_edid(&g, 1, buf, sizeof buf, &len), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_get_edid(NULL, 0, buf, sizeof buf, &len), VIRTIO_EINVAL);
    memset(buf, 0, sizeof buf);
    CHECK_RC(virtio_gpu_edid_parse(buf, 128, &info), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_gpu_edid_parse(buf, 127, &info), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_edid_parse(NULL, 128, &info), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_poll_events(&g, &changed), VIRTIO_ENOTSUP);
    CHECK_EQ(changed, 0);
    CHECK_RC(virtio_gpu_poll_events(NULL, &changed), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_cursor_set(&g, 0, 1, 0, 0, 10, 10), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_gpu_cursor_move(&g, 0, 10, 10), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_gpu_cursor_hide(&g, 0), VIRTIO_ENOTSUP);
    CHECK_RC(virtio_gpu_cursor_move(&g, 1, 10, 10), VIRTIO_EINVAL);
    CHECK_RC(virtio_gpu_cursor_hide(NULL, 0), VIRTIO_EINVAL);
    CHECK_EQ(sim_gpu_of(&f->s)->cmds, cmds);
    CHECK_EQ(sim_gpu_of(&f->s)->cursor_updates + sim_gpu_of(&f->s)->cursor_moves, 0);
    CHECK_EQ(f->s.config_reads, reads);
    CHECK_EQ(f->s.config_writes, writes);
    CHECK_RC(virtio_gpu_get_display_info(&g), VIRTIO_OK);
    CHECK_EQ(sim_gpu_of(&f->s)->cmds, cmds + 1);
    CHECK_OK();
}

static const tcase cases[] = {
    {"init: EDID offered, not negotiated; display info only; no cursor queue", t_init, RUN_V2},
    {"scanout set, framebuffer updated whole and in part, shown pixel for pixel", t_update,
     RUN_V2},
    {"EDID, events and cursor ENOTSUP after their checks, nothing sent", t_left_out, RUN_V2},
};

int main(void) {
    run_table("gpu_minimal", cases, sizeof cases / sizeof cases[0], setup_gpu);
    return t_summary("test_gpu_minimal");
}
