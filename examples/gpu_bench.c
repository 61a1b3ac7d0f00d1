/* gpu_bench.c - what a screen update costs with virtio_gpu.h (make bench-gpu).

   Boots on a virtio-gpu-device (tests/qemu/gpu_bench.py gives it xres=1280,yres=800), shows
   one resource the size of scanout 0 filled with examples/gpu.c's pattern, then updates the
   whole screen (transfer + flush of every pixel) over and over, drawing nothing in between: what
   is measured is the driver and the device, not the pixel writes. Phases, each bounded by
   PHASE_US of the `time` counter and PHASE_MAX updates:

     update     virtio_gpu_update: transfer + flush, one notification, waits for both
     pipelined  virtio_gpu_transfer_submit + virtio_gpu_flush_submit, virtio_gpu_kick,
                virtio_gpu_wait_all
     work       WORK_UPDATES updates through submit / kick / poll, with the guest's retired
                instruction counter (`instret`) read around every call: the instructions spent
                building and publishing the two commands and taking their answers, apart from
                the polls that found nothing (waiting for the device). `instret` counts
                instructions only under `-icount shift=0` (without it QEMU returns host ticks),
                so gpu_bench.py takes these figures from a second boot with -icount.

   Register accesses are counted by a wrapper around the MMIO accessor
   (examples/platform/count_regs.h), the probe and init's first. Every phase prints a line
   "BENCH <phase> key=value ..."; "BENCH done" ends the report. Any error: a FAIL line. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_GPU_IMPLEMENTATION
#include "virtio_gpu.h"

#include "platform/platform.h"
#include "example.h"
#include "platform/count_regs.h"

#define FORMAT EX_GPU_FORMAT_XRGB
#define MAX_PIXELS (1920u * 1200u)
#define PHASE_US 1000000u
#define PHASE_MAX 20000u
#define WORK_UPDATES 200u
#define RES_ID 1u

static uint32_t fb[MAX_PIXELS];
static uint8_t mem[VIRTIO_GPU_MEM(0, 0, 0, 0)] __attribute__((aligned(4096)));
static virtio_gpu gpu;
static count_regs counter;
static virtio_gpu_rect all;

static uint64_t instret(void)
{
    return plat_instret();
}

static void kv(const char *key, uint64_t v)
{
    plat_putc(' ');
    plat_puts(key);
    plat_putc('=');
    plat_put_dec(v);
}

static void submit_both(void)
{
    int r = virtio_gpu_transfer_submit(&gpu, RES_ID, &all);
    if (r != 0)
        ex_fail("virtio_gpu_transfer_submit", r);
    r = virtio_gpu_flush_submit(&gpu, RES_ID, &all);
    if (r != 0)
        ex_fail("virtio_gpu_flush_submit", r);
    r = virtio_gpu_kick(&gpu);
    if (r != 0)
        ex_fail("virtio_gpu_kick", r);
}

/* The "update" and "pipelined" phases: updates until PHASE_US or PHASE_MAX. */
static void phase(const char *name, int pipelined)
{
    uint32_t n = 0;
    counter.reads = counter.writes = 0;
    uint64_t i0 = instret(), t0 = plat_ticks(), t;
    do {
        int r;
        if (pipelined) {
            submit_both();
            r = virtio_gpu_wait_all(&gpu);
        } else {
            r = virtio_gpu_update(&gpu, RES_ID, &all);
        }
        if (r != 0)
            ex_fail(pipelined ? "virtio_gpu_wait_all" : "virtio_gpu_update", r);
        n++;
        t = plat_ticks() - t0;
    } while (n < PHASE_MAX && plat_ticks_to_us(t) < PHASE_US);
    uint64_t insns = instret() - i0;
    plat_puts("BENCH ");
    plat_puts(name);
    kv("updates", n);
    kv("ticks", t);
    kv("hz", PLAT_TIMEBASE_HZ);
    kv("bytes", (uint64_t)n * virtio_gpu_fb_size(all.width, all.height, FORMAT));
    kv("reg_reads", counter.reads);
    kv("reg_writes", counter.writes);
    kv("instret", insns);
    plat_putc('\n');
}

/* The "work" phase: instructions per update outside the waiting, call by call. */
static void work(void)
{
    uint64_t submit = 0, done_polls = 0, idle_polls = 0, idle_insns = 0, empty;
    uint32_t answers = 0;
    uint64_t a = instret(), b = instret();
    empty = b - a; /* what one reading costs, taken off every interval */
    counter.reads = counter.writes = 0;
    for (uint32_t i = 0; i < WORK_UPDATES; i++) {
        a = instret();
        submit_both();
        b = instret();
        submit += b - a - empty;
        for (uint32_t got = 0, spins = 0; got < 2;) {
            uint32_t cmd;
            int result;
            a = instret();
            int r = virtio_gpu_poll(&gpu, &cmd, &result);
            b = instret();
            if (r == VIRTIO_EAGAIN) {
                idle_polls++;
                idle_insns += b - a - empty;
                if (++spins > 100000000u)
                    ex_fail("no answer from the device", VIRTIO_ETIMEDOUT);
                continue;
            }
            if (r != 0 || result != 0)
                ex_fail("virtio_gpu_poll", r != 0 ? r : result);
            done_polls += b - a - empty;
            got++;
            answers++;
        }
    }
    plat_puts("BENCH work");
    kv("updates", WORK_UPDATES);
    kv("answers", answers);
    kv("submit_kick_insns", submit);
    kv("answer_poll_insns", done_polls);
    kv("idle_polls", idle_polls);
    kv("idle_poll_insns", idle_insns);
    kv("reg_reads", counter.reads);
    kv("reg_writes", counter.writes);
    plat_putc('\n');
}

int main(void)
{
    virtio_transport t;
    int r = ex_find(VIRTIO_ID_GPU, &t);
    if (r != 0)
        ex_fail("no virtio-gpu device in any slot", r);

    /* Probe again through a counting wrapper around the same accessor: from here on every
       register access is counted, the probe's first. */
    virtio_regs regs = count_regs_wrap(&counter, &t.regs);
    regs.relax_user = NULL; /* no relax hook, default wait bound */
    regs.spin_limit = 0;
    r = ex_probe(&t, &regs);
    if (r != 0)
        ex_fail("probe", r);
    uint32_t probe_reads = counter.reads, probe_writes = counter.writes;
    counter.reads = counter.writes = 0;

    virtio_gpu_params p = {0};
    r = virtio_gpu_init(&gpu, &t, &p, mem, sizeof mem);
    if (r != 0)
        ex_fail("virtio_gpu_init", r);
    uint32_t init_reads = counter.reads, init_writes = counter.writes;

    int on = 0;
    r = virtio_gpu_display(&gpu, 0, &all, &on);
    if (r != 0 || !on)
        ex_fail("scanout 0 is not enabled", r);
    all.x = all.y = 0;
    if ((uint64_t)all.width * all.height > MAX_PIXELS)
        ex_fail("scanout 0 is larger than 1920x1200", 0);
    r = virtio_gpu_resource_create(&gpu, RES_ID, FORMAT, all.width, all.height);
    if (r == 0)
        r = virtio_gpu_attach_fb(&gpu, RES_ID, fb, virtio_gpu_fb_size(all.width, all.height,
                                                                      FORMAT));
    if (r != 0)
        ex_fail("virtio_gpu_resource_create / virtio_gpu_attach_fb", r);
    for (uint32_t y = 0; y < all.height; y++)
        for (uint32_t x = 0; x < all.width; x++)
            fb[y * all.width + x] = (x & 255u) << 16 | (y & 255u) << 8 | ((x ^ y) & 255u);
    r = virtio_gpu_set_scanout(&gpu, 0, RES_ID, &all);
    if (r == 0)
        r = virtio_gpu_update(&gpu, RES_ID, &all);
    if (r != 0)
        ex_fail("virtio_gpu_set_scanout / virtio_gpu_update", r);

    plat_puts("BENCH device");
    plat_puts(virtio_transport_legacy(&t) ? " transport=legacy" : " transport=modern");
    kv("width", all.width);
    kv("height", all.height);
    kv("probe_reg_reads", probe_reads);
    kv("probe_reg_writes", probe_writes);
    kv("init_reg_reads", init_reads);
    kv("init_reg_writes", init_writes);
    plat_putc('\n');

    phase("update", 0);
    phase("pipelined", 1);
    work();
    plat_puts("BENCH done\nPASS\n");
    return 0;
}
