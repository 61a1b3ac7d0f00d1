/* fbcon.c - an early-boot console on screen: virtio_gpu.h for the picture, virtio_input.h for
   the keyboard, both polled, on QEMU's `virt` machines.

   Run (a window shows it; type in the window, Esc quits):
     qemu-system-riscv64 -M virt -smp 1,maxcpus=2 -bios none -serial mon:stdio \
         -global virtio-mmio.force-legacy=false -kernel build/riscv64/fbcon.elf \
         -device virtio-gpu-device -device virtio-keyboard-device
   `make fbcon-demo` does that (or, without a display, runs the QEMU test and writes the
   screen to a PNG); tests/qemu/input_test.py types through QMP and compares QMP screendumps
   pixel by pixel with the screen it renders from examples/font.h.

   What it does (tests/qemu/input_test.py depends on every line and every pixel):
   1. finds the GPU and the first keyboard (an input device whose EV_KEY bits include KEY_A) by
      scanning the slots, sets both up;
   2. one resource of scanout 0's size (1024x768 when scanout 0 is not enabled), filled with
      FB_BG, shown; a text grid of 8x8 glyphs (examples/font.h) drawn FB_SCALE times larger,
      FB_MARGIN pixels from every edge: (W - 2*FB_MARGIN) / (8*FB_SCALE) columns and
      (H - 2*FB_MARGIN) / (8*FB_SCALE) rows;
   3. prints FB_BANNER and a newline, then FB_PROMPT in FB_PROMPT_FG, and "fbcon: ready" on the
      UART. The cursor is the bottom two glyph rows of the cell after the text, in FB_FG;
   4. every keyboard event goes through the key map and the line editor: a printable key
      appears at the cursor, Backspace erases the last character of the line, Enter moves to the
      next line, prints "you typed: TEXT" and a new prompt; on the UART "fbcon: line "TEXT"" and
      "fbcon: shown N" (N lines so far) once the screen shows it. "fbcon: report N" after the
      N-th report of the keyboard (the QEMU test paces itself by it). Text reaching the right
      edge continues on the next line; a newline on the last row scrolls everything up a row;
   5. Escape pressed and released: "fbcon: done", power off with status 0.
   Any error: a line starting "FAIL" and a nonzero exit status. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_GPU_IMPLEMENTATION
#include "virtio_gpu.h"
#define VIRTIO_INPUT_IMPLEMENTATION
#include "virtio_input.h"

#include "platform/platform.h"
#include "example.h"
#include "font.h"

/* The look: tests/qemu/input_test.py reads these five lines and the two strings below. */
#define FB_SCALE     2u
#define FB_MARGIN    8u
#define FB_BG        0x00182838u /* 0x00RRGGBB */
#define FB_FG        0x00e0e0d0u
#define FB_PROMPT_FG 0x0060e070u
#define FB_BANNER    "virtio.h early console. Esc quits."
#define FB_PROMPT    "> "

#define FORMAT EX_GPU_FORMAT_XRGB
#define RES_ID     1u
#define MAX_W      1920u
#define MAX_H      1200u
#define DISABLED_W 1024u
#define DISABLED_H 768u
#define CELL_W     (FONT_W * FB_SCALE)
#define CELL_H     (FONT_H * FB_SCALE)

static uint32_t fb[MAX_W * MAX_H]; /* the device reads it (DMA) */
static uint8_t gmem[VIRTIO_GPU_MEM(0, 0, 0, 0)] __attribute__((aligned(4096)));
static virtio_gpu gpu;

/* ---- the screen: a grid of cells over the framebuffer ---------------------------------------- */
static uint32_t width, height; /* pixels */
static uint32_t cols, rows;    /* cells */
static uint32_t cx, cy;        /* the cursor's cell */

static void fb_update(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
    virtio_gpu_rect r = {x, y, w, h};
    int rc = virtio_gpu_update(&gpu, RES_ID, &r);
    if (rc != 0)
        ex_fail("virtio_gpu_update", rc);
}

static void fill(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t colour)
{
    for (uint32_t j = y; j < y + h; j++)
        for (uint32_t i = x; i < x + w; i++)
            fb[j * width + i] = colour;
}

/* Draws character c (a space for anything outside the font) into cell (col, row). */
static void draw_cell(uint32_t col, uint32_t row, char c, uint32_t fg)
{
    uint32_t x0 = FB_MARGIN + col * CELL_W, y0 = FB_MARGIN + row * CELL_H;
    unsigned ch = (unsigned char)c;
    const uint8_t *g = font_glyphs[(ch >= FONT_FIRST && ch <= FONT_LAST ? ch : ' ') - FONT_FIRST];
    for (uint32_t gy = 0; gy < FONT_H; gy++)
        for (uint32_t gx = 0; gx < FONT_W; gx++)
            fill(x0 + gx * FB_SCALE, y0 + gy * FB_SCALE, FB_SCALE, FB_SCALE,
                 (g[gy] & (0x80u >> gx)) ? fg : FB_BG);
}

/* The cursor: the bottom two glyph rows of its cell, drawn or erased, and sent. */
static void cursor(int on)
{
    if (cx >= cols)
        return;
    uint32_t x = FB_MARGIN + cx * CELL_W, y = FB_MARGIN + cy * CELL_H + (FONT_H - 2) * FB_SCALE;
    fill(x, y, CELL_W, 2 * FB_SCALE, on ? FB_FG : FB_BG);
    fb_update(x, y, CELL_W, 2 * FB_SCALE);
}

/* The next line: one row down, or everything up a row on the last one (the whole text area
   moved in the framebuffer, the last row cleared, the screen sent). */
static void newline(void)
{
    cx = 0;
    if (cy + 1 < rows) {
        cy++;
        return;
    }
    uint32_t top = FB_MARGIN, bytes_row = width; /* pixels per framebuffer row */
    memmove(&fb[top * bytes_row], &fb[(top + CELL_H) * bytes_row],
            (size_t)(rows - 1) * CELL_H * bytes_row * sizeof fb[0]);
    fill(0, FB_MARGIN + (rows - 1) * CELL_H, width, CELL_H, FB_BG);
    fb_update(0, 0, width, height);
}

/* Text output at the cursor: '\n', '\b' (erases the character before the cursor on this line)
   and printable ASCII. Each character is sent to the device as its cell (and the cursor's). */
static void con_putc(char c, uint32_t fg)
{
    cursor(0);
    if (c == '\n') {
        newline();
    } else if (c == '\b') {
        if (cx > 0) {
            cx--;
            draw_cell(cx, cy, ' ', FB_FG);
            fb_update(FB_MARGIN + cx * CELL_W, FB_MARGIN + cy * CELL_H, CELL_W, CELL_H);
        }
    } else {
        if (cx >= cols)
            newline();
        draw_cell(cx, cy, c, fg);
        fb_update(FB_MARGIN + cx * CELL_W, FB_MARGIN + cy * CELL_H, CELL_W, CELL_H);
        cx++;
    }
    cursor(1);
}

static void con_puts(const char *s, uint32_t fg)
{
    while (*s)
        con_putc(*s++, fg);
}

static void screen_init(void)
{
    virtio_transport t;
    int r = ex_find(VIRTIO_ID_GPU, &t);
    if (r != 0)
        ex_fail("no virtio-gpu device in any slot", r);
    virtio_gpu_params p = {0};
    r = virtio_gpu_init(&gpu, &t, &p, gmem, sizeof gmem);
    if (r != 0)
        ex_fail("virtio_gpu_init", r);
    virtio_gpu_rect all = {0, 0, 0, 0};
    int on = 0;
    r = virtio_gpu_display(&gpu, 0, &all, &on);
    if (r != 0)
        ex_fail("virtio_gpu_display", r);
    width = on ? all.width : DISABLED_W;
    height = on ? all.height : DISABLED_H;
    if (width > MAX_W || height > MAX_H || width < 2 * FB_MARGIN + CELL_W ||
        height < 2 * FB_MARGIN + CELL_H)
        ex_fail("scanout 0's size is outside what this console handles (up to 1920x1200)", 0);
    all.x = all.y = 0;
    all.width = width;
    all.height = height;
    r = virtio_gpu_resource_create(&gpu, RES_ID, FORMAT, width, height);
    if (r == 0)
        r = virtio_gpu_attach_fb(&gpu, RES_ID, fb, virtio_gpu_fb_size(width, height, FORMAT));
    if (r != 0)
        ex_fail("virtio_gpu_resource_create / attach_fb", r);
    fill(0, 0, width, height, FB_BG);
    r = virtio_gpu_set_scanout(&gpu, 0, RES_ID, &all);
    if (r != 0)
        ex_fail("virtio_gpu_set_scanout", r);
    fb_update(0, 0, width, height);
    cols = (width - 2 * FB_MARGIN) / CELL_W;
    rows = (height - 2 * FB_MARGIN) / CELL_H;
    cx = cy = 0;
}

/* ---- the keyboard ---------------------------------------------------------------------------- */
static uint8_t imem[VIRTIO_INPUT_MEM(0, 0)] __attribute__((aligned(4096)));
static virtio_input kbd_dev;
static virtio_input_kbd kbd;
static virtio_input_line line;
static char text[128];

/* The first input device whose EV_KEY bits include KEY_A, in slot order. */
static void keyboard_init(void)
{
    virtio_transport t;
    for (int i = 0; ex_find_nth(VIRTIO_ID_INPUT, i, &t) == 0; i++) {
        virtio_input_params p = {0};
        int r = virtio_input_init(&kbd_dev, &t, &p, imem, sizeof imem);
        if (r != 0)
            ex_fail("virtio_input_init", r);
        if (virtio_input_has_event(&kbd_dev, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_A)) {
            r = virtio_input_kbd_init(&kbd, &kbd_dev);
            if (r == 0)
                r = virtio_input_line_init(&line, text, sizeof text);
            if (r != 0)
                ex_fail("virtio_input_kbd_init / virtio_input_line_init", r);
            return;
        }
        r = virtio_input_reset(&kbd_dev); /* not a keyboard: leave it quiet */
        if (r != 0)
            ex_fail("virtio_input_reset", r);
    }
    ex_fail("no virtio keyboard in any slot", VIRTIO_ENODEV);
}

/* Step 4: the keyboard, polled, until Escape is pressed and released. */
static void run(void)
{
    uint32_t reports = 0, lines = 0;
    int esc_down = 0, esc_done = 0;
    for (;;) {
        virtio_input_event ev;
        int r = virtio_input_recv_poll(&kbd_dev, &ev);
        if (r == VIRTIO_EAGAIN)
            continue;
        if (r != 0)
            ex_fail("virtio_input_recv_poll", r);
        if (ev.type == VIRTIO_INPUT_EV_SYN && ev.code == VIRTIO_INPUT_SYN_REPORT) {
            plat_puts("fbcon: report ");
            plat_put_dec(++reports);
            plat_putc('\n');
            if (esc_done)
                return;
            continue;
        }
        if (ev.type == VIRTIO_INPUT_EV_KEY && ev.code == VIRTIO_INPUT_KEY_ESC) {
            if (ev.value == VIRTIO_INPUT_KEY_PRESS)
                esc_down = 1;
            else if (ev.value == VIRTIO_INPUT_KEY_RELEASE && esc_down)
                esc_done = 1;
        }
        int c = virtio_input_kbd_feed(&kbd, &ev);
        if (c < 0)
            ex_fail("virtio_input_kbd_feed (the Caps Lock LED)", c);
        if (c == 0)
            continue;
        switch (virtio_input_line_feed(&line, c)) {
        case VIRTIO_INPUT_LINE_ADDED:
            con_putc((char)c, FB_FG);
            break;
        case VIRTIO_INPUT_LINE_ERASED:
            con_putc('\b', FB_FG);
            break;
        case VIRTIO_INPUT_LINE_DONE:
            con_putc('\n', FB_FG);
            con_puts("you typed: ", FB_FG);
            con_puts(text, FB_FG);
            con_putc('\n', FB_FG);
            con_puts(FB_PROMPT, FB_PROMPT_FG);
            plat_puts("fbcon: line \"");
            plat_puts(text);
            plat_puts("\"\nfbcon: shown ");
            plat_put_dec(++lines);
            plat_putc('\n');
            break;
        default:
            break;
        }
    }
}

int main(void)
{
    plat_puts("virtio.h fbcon example\n");
    screen_init();
    keyboard_init();
    con_puts(FB_BANNER "\n", FB_FG);
    con_puts(FB_PROMPT, FB_PROMPT_FG);
    plat_puts("fbcon: ready\n");
    run();
    plat_puts("fbcon: done\nPASS\n");
    return 0;
}
