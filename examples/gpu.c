/* gpu.c - virtio_gpu.h on QEMU's `virt` machines: a test pattern on every screen.

   Run (legacy or modern, the GPU in any slot; type u and q on the UART):
     qemu-system-riscv64 -M virt -smp 1,maxcpus=2 -bios none -serial mon:stdio \
         -kernel build/riscv64/gpu.elf -device virtio-gpu-device[,xres=W,yres=H,max_outputs=N]
   `make gpu-demo` shows it in a window; tests/qemu/gpu_test.py boots it with `-display none`
   and compares every pixel of QMP screendumps with the pattern below.

   What it does (tests/qemu/gpu_test.py depends on every line it prints):
   1. scans the eight virtio-mmio slots for a GPU (device ID 16), sets it up (which reads the
      display information) and prints "transport: legacy" or "transport: modern";
   2. prints "gpu: scanout S WxH" for every scanout S the device has: the size GET_DISPLAY_INFO
      reports where the scanout is enabled, otherwise 1024x768; for an enabled scanout with EDID
      also "edid: scanout S: VENDOR "NAME", preferred WxH" from the parsed EDID;
   3. for every scanout S: a resource of that size (B8G8R8X8: bytes B, G, R, X in memory) backed
      by static memory, filled with the pattern
          red = (x + 16*S) & 255, green = y & 255, blue = (x ^ y) & 255   for pixel (x, y),
      shown on scanout S; the whole screen transferred and flushed; then "gpu: ready";
   4. polls the UART: on `u` it overwrites W/4 <= x < 3W/4, H/4 <= y < 3H/4 of every scanout
      with the pattern's complement (255 - value in each channel), transfers and flushes only
      that rectangle (all scanouts' commands submitted, one notification) and prints
      "gpu: updated"; on `q` it prints "gpu: done" and powers off with status 0.
   Any error: a line starting "FAIL" and a nonzero exit status. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_GPU_IMPLEMENTATION
#include "virtio_gpu.h"

#include "platform/platform.h"
#include "example.h"

#define FORMAT EX_GPU_FORMAT_XRGB
#define DISABLED_W 1024u /* the size of a scanout that is not enabled */
#define DISABLED_H 768u

/* Framebuffers of every scanout, carved one after another from this pool. 32 MiB hold the
   largest case the tests boot (1920x1080 plus a 1024x768 second head, 11 MiB) and QEMU's
   1280x800 with seven disabled heads; the `virt` machine has 128 MiB of RAM. */
#define POOL_BYTES (32u << 20)
static uint32_t pool[POOL_BYTES / 4];

/* Driver memory: rings, command slots, records of one resource per scanout. */
#define MAX_RESOURCES VIRTIO_GPU_MAX_SCANOUTS
static uint8_t mem[VIRTIO_GPU_MEM(0, 0, MAX_RESOURCES, 0)] __attribute__((aligned(4096)));
static virtio_gpu gpu;
static uint8_t edid[VIRTIO_GPU_EDID_BYTES];

typedef struct screen {
    uint32_t id;       /* resource id: scanout + 1 */
    uint32_t *fb;      /* its backing, in `pool` */
    virtio_gpu_rect r; /* 0, 0, width, height */
} screen;
static screen screens[VIRTIO_GPU_MAX_SCANOUTS];
static uint32_t nscreens;

/* The pattern's pixel (x, y) of scanout s as a B8G8R8X8 value: 0x00RRGGBB in CPU order, which
   is bytes B, G, R, X in memory on this little-endian machine. */
static uint32_t pattern(uint32_t s, uint32_t x, uint32_t y)
{
    uint32_t red = (x + 16u * s) & 255u, green = y & 255u, blue = (x ^ y) & 255u;
    return red << 16 | green << 8 | blue;
}

static void put_size(uint32_t w, uint32_t h)
{
    plat_put_dec(w);
    plat_putc('x');
    plat_put_dec(h);
}

/* Step 2: the size of every scanout. */
static void discover(void)
{
    nscreens = virtio_gpu_num_scanouts(&gpu);
    if (nscreens == 0 || nscreens > VIRTIO_GPU_MAX_SCANOUTS)
        ex_fail("virtio_gpu_num_scanouts out of range", 0);
    size_t used = 0;
    for (uint32_t s = 0; s < nscreens; s++) {
        virtio_gpu_rect r;
        int on = 0;
        int rc = virtio_gpu_display(&gpu, s, &r, &on);
        if (rc != 0)
            ex_fail("virtio_gpu_display", rc);
        screen *sc = &screens[s];
        sc->id = s + 1;
        sc->r.x = sc->r.y = 0;
        sc->r.width = on ? r.width : DISABLED_W;
        sc->r.height = on ? r.height : DISABLED_H;
        size_t size = virtio_gpu_fb_size(sc->r.width, sc->r.height, FORMAT);
        if (size == 0 || size > sizeof pool - used)
            ex_fail("the scanouts' framebuffers do not fit in the example's 32 MiB pool", 0);
        sc->fb = pool + used / 4;
        used += size;
        plat_puts("gpu: scanout ");
        plat_put_dec(s);
        plat_putc(' ');
        put_size(sc->r.width, sc->r.height);
        plat_putc('\n');

        if (on && virtio_gpu_has_edid(&gpu)) {
            size_t len = 0;
            virtio_gpu_edid_info info;
            rc = virtio_gpu_get_edid(&gpu, s, edid, sizeof edid, &len);
            if (rc != 0)
                ex_fail("virtio_gpu_get_edid", rc);
            rc = virtio_gpu_edid_parse(edid, len, &info);
            if (rc != 0)
                ex_fail("virtio_gpu_edid_parse", rc);
            plat_puts("edid: scanout ");
            plat_put_dec(s);
            plat_puts(": ");
            plat_put_str(info.vendor, sizeof info.vendor);
            plat_puts(" \"");
            plat_put_str(info.name, sizeof info.name);
            plat_puts("\", preferred ");
            put_size(info.width, info.height);
            plat_putc('\n');
        }
    }
}

/* Step 3: a resource per scanout, drawn, shown and updated as a whole. */
static void show(void)
{
    for (uint32_t s = 0; s < nscreens; s++) {
        screen *sc = &screens[s];
        uint32_t w = sc->r.width, h = sc->r.height;
        int rc = virtio_gpu_resource_create(&gpu, sc->id, FORMAT, w, h);
        if (rc != 0)
            ex_fail("virtio_gpu_resource_create", rc);
        rc = virtio_gpu_attach_fb(&gpu, sc->id, sc->fb, virtio_gpu_fb_size(w, h, FORMAT));
        if (rc != 0)
            ex_fail("virtio_gpu_attach_fb", rc);
        uint32_t *p = sc->fb;
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++)
                *p++ = pattern(s, x, y);
        rc = virtio_gpu_set_scanout(&gpu, s, sc->id, &sc->r);
        if (rc != 0)
            ex_fail("virtio_gpu_set_scanout", rc);
        rc = virtio_gpu_update(&gpu, sc->id, &sc->r);
        if (rc != 0)
            ex_fail("virtio_gpu_update (whole screen)", rc);
    }
    plat_puts("gpu: ready\n");
}

/* Step 4, `u`: the middle of every screen complemented, and only that part sent: a transfer and
   a flush per scanout submitted, one notification for all of them, then every answer. */
static void update_middle(void)
{
    for (uint32_t s = 0; s < nscreens; s++) {
        screen *sc = &screens[s];
        uint32_t w = sc->r.width, h = sc->r.height;
        virtio_gpu_rect m;
        m.x = w / 4;
        m.y = h / 4;
        m.width = (3 * w) / 4 - m.x;
        m.height = (3 * h) / 4 - m.y;
        for (uint32_t y = m.y; y < m.y + m.height; y++)
            for (uint32_t x = m.x; x < m.x + m.width; x++)
                sc->fb[y * w + x] = pattern(s, x, y) ^ 0x00ffffffu;
        int rc = virtio_gpu_transfer_submit(&gpu, sc->id, &m);
        if (rc == 0)
            rc = virtio_gpu_flush_submit(&gpu, sc->id, &m);
        if (rc == VIRTIO_ENOSPC) { /* every command slot busy: collect them, then go on */
            rc = virtio_gpu_wait_all(&gpu);
            if (rc == 0)
                rc = virtio_gpu_transfer_submit(&gpu, sc->id, &m);
            if (rc == 0)
                rc = virtio_gpu_flush_submit(&gpu, sc->id, &m);
        }
        if (rc != 0)
            ex_fail("virtio_gpu_transfer_submit / virtio_gpu_flush_submit", rc);
    }
    int rc = virtio_gpu_kick(&gpu);
    if (rc != 0)
        ex_fail("virtio_gpu_kick", rc);
    rc = virtio_gpu_wait_all(&gpu);
    if (rc != 0)
        ex_fail("virtio_gpu_wait_all (transfers and flushes of the middle)", rc);
    plat_puts("gpu: updated\n");
}

int main(void)
{
    plat_puts("virtio.h gpu example\n");

    /* 1. Find the GPU and set it up. */
    virtio_transport t;
    int r = ex_find(VIRTIO_ID_GPU, &t);
    if (r != 0)
        ex_fail("no virtio-gpu device in any slot", r);
    virtio_gpu_params p = {0};
    p.max_resources = MAX_RESOURCES;
    r = virtio_gpu_init(&gpu, &t, &p, mem, sizeof mem);
    if (r != 0)
        ex_fail("virtio_gpu_init", r);
    plat_puts(virtio_transport_legacy(&t) ? "transport: legacy\n" : "transport: modern\n");

    discover(); /* 2 */
    show();     /* 3 */

    /* 4. The UART decides. */
    for (;;) {
        int c = plat_getc();
        if (c == 'u') {
            update_middle();
        } else if (c == 'q') {
            plat_puts("gpu: done\nPASS\n");
            return 0;
        }
    }
}
