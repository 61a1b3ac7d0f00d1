/* input.c - virtio_input.h on QEMU's `virt` machines: every keyboard, mouse and tablet,
   every event, and the keyboard's text through the key map and the line editor.

   Run (legacy or modern, the devices in any slots; type into the QEMU window, or use QEMU's
   monitor: `sendkey a`, `mouse_move 10 -5`, `sendkey esc`; `make input-demo`):
     qemu-system-riscv64 -M virt -smp 1,maxcpus=2 -bios none -serial mon:stdio \
         -kernel build/riscv64/input.elf -device virtio-keyboard-device \
         -device virtio-mouse-device -device virtio-tablet-device
   tests/qemu/input_test.py boots it legacy and modern, rv64 and rv32, injects events through
   QMP `input-send-event` and checks every line it prints.

   What it prints (the contract of issue 10; the QEMU tests depend on it exactly):
   1. scans the eight virtio-mmio slots and sets up every input device (device ID 18), numbered
      D = 0, 1, ... in ascending slot order; for each one
          input: device D "NAME" bus B vendor V product P version R     (decimal)
      then "input: ready";
   2. for every event of every device, as it comes:
          input: event D type T code C value V                          (decimal, V signed)
   3. a device whose EV_KEY bits include KEY_A is a keyboard: its events go through the US key
      map (Shift, Caps Lock, whose LED it lights) and a line editor of its own (printable
      characters, Backspace deletes); on each Enter press, right after that event's line,
          input: line "TEXT"
      with the text since the previous Enter;
   4. Escape pressed and then released on a device: once the report holding the release has
      ended (its EV_SYN/SYN_REPORT printed), "input: done", every device reset, power off with
      status 0.
   No input device, or any error: a line starting "FAIL" and a nonzero exit status.

   Built with -DINPUT_COST (`make input-cost`, tests/qemu/input_test.py --cost), it also counts
   what receiving costs: every register access through examples/platform/count_regs.h and the
   guest instructions (`instret`, exact under QEMU's `-icount shift=0`) spent inside
   virtio_input_recv_poll, separately for the calls that returned an event and for those that
   found none, and prints them before "input: done":
       input: cost events N reads R writes W instret I empty P empty_reads R0 empty_writes W0
       empty_instret I0                                                    (one line) */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_INPUT_IMPLEMENTATION
#include "virtio_input.h"

#include "platform/platform.h"
#include "example.h"
#ifdef INPUT_COST
#include "platform/count_regs.h"
#endif

#define MAX_DEVICES 8u /* input devices driven at most; more are left alone */
#define LINE_CHARS  128u

/* One memory block per device (rings, event buffers, what init read from the configuration),
   each 4096-aligned (legacy rings need it): the size rounded up to a page. */
#define MEM_SIZE ((VIRTIO_INPUT_MEM(0, 0) + 4095u) & ~(size_t)4095u)
static uint8_t mem[MAX_DEVICES][MEM_SIZE] __attribute__((aligned(4096)));

typedef struct device {
    virtio_input in;        /* must not move after init */
    int keyboard;           /* has KEY_A: goes through the key map */
    virtio_input_kbd kbd;   /* Shift, Caps Lock */
    virtio_input_line line; /* over text */
    char text[LINE_CHARS];
    int esc_down; /* Escape is held */
    int esc_done; /* Escape released: done at the end of this report */
} device;
static device devs[MAX_DEVICES];
static unsigned ndevs;

#ifdef INPUT_COST
static count_regs counters[MAX_DEVICES]; /* one per device: the accessor points at it */
static struct {
    uint64_t events, reads, writes, instret;      /* calls that returned an event */
    uint64_t empty, e_reads, e_writes, e_instret; /* calls that found none */
} cost;

static uint64_t instret(void)
{
    return plat_instret();
}

static void put_kv(const char *key, uint64_t v)
{
    plat_putc(' ');
    plat_puts(key);
    plat_putc(' ');
    plat_put_dec(v);
}

/* virtio_input_recv_poll, measured. */
static int recv_poll(unsigned n, virtio_input_event *ev)
{
    count_regs *c = &counters[n];
    uint32_t r0 = c->reads, w0 = c->writes;
    uint64_t i0 = instret();
    int r = virtio_input_recv_poll(&devs[n].in, ev);
    uint64_t i1 = instret();
    if (r == 0) {
        cost.events++;
        cost.reads += c->reads - r0;
        cost.writes += c->writes - w0;
        cost.instret += i1 - i0;
    } else {
        cost.empty++;
        cost.e_reads += c->reads - r0;
        cost.e_writes += c->writes - w0;
        cost.e_instret += i1 - i0;
    }
    return r;
}

static void put_cost(void)
{
    plat_puts("input: cost");
    put_kv("events", cost.events);
    put_kv("reads", cost.reads);
    put_kv("writes", cost.writes);
    put_kv("instret", cost.instret);
    put_kv("empty", cost.empty);
    put_kv("empty_reads", cost.e_reads);
    put_kv("empty_writes", cost.e_writes);
    put_kv("empty_instret", cost.e_instret);
    plat_putc('\n');
}
#else
static int recv_poll(unsigned n, virtio_input_event *ev)
{
    return virtio_input_recv_poll(&devs[n].in, ev);
}
#endif

static void put_quoted(const char *s)
{
    plat_putc('"');
    plat_puts(s);
    plat_putc('"');
}

/* Step 1: every input device, in slot order. */
static void discover(void)
{
    virtio_transport t;
    for (int i = 0; ndevs < MAX_DEVICES && ex_find_nth(VIRTIO_ID_INPUT, i, &t) == 0; i++) {
        device *d = &devs[ndevs];
        int r = 0;
#ifdef INPUT_COST
        virtio_regs regs = count_regs_wrap(&counters[ndevs], &t.regs);
        regs.relax_user = NULL; /* count_regs_wrap leaves these two unset */
        regs.spin_limit = 0;
        r = ex_probe(&t, &regs);
        if (r != 0)
            ex_fail("probe", r);
#endif
        virtio_input_params p = {0};
        r = virtio_input_init(&d->in, &t, &p, mem[ndevs], sizeof mem[ndevs]);
        if (r != 0)
            ex_fail("virtio_input_init", r);
        virtio_input_devids ids;
        r = virtio_input_ids(&d->in, &ids);
        if (r != 0 && r != VIRTIO_ENOTSUP) /* no ids: zeros are printed */
            ex_fail("virtio_input_ids", r);
#ifdef VIRTIO_INPUT_MINIMAL
        /* The minimal build reads no configuration, so it cannot tell a keyboard: every device
           gets the key map and a line editor (a mouse's or tablet's buttons map to nothing). */
        d->keyboard = 1;
#else
        d->keyboard = virtio_input_has_event(&d->in, VIRTIO_INPUT_EV_KEY, VIRTIO_INPUT_KEY_A);
#endif
        if (d->keyboard) {
            r = virtio_input_kbd_init(&d->kbd, &d->in);
            if (r == 0)
                r = virtio_input_line_init(&d->line, d->text, sizeof d->text);
            if (r != 0)
                ex_fail("virtio_input_kbd_init / virtio_input_line_init", r);
        }
        plat_puts("input: device ");
        plat_put_dec(ndevs);
        plat_putc(' ');
        put_quoted(virtio_input_name(&d->in));
        plat_puts(" bus ");
        plat_put_dec(ids.bustype);
        plat_puts(" vendor ");
        plat_put_dec(ids.vendor);
        plat_puts(" product ");
        plat_put_dec(ids.product);
        plat_puts(" version ");
        plat_put_dec(ids.version);
        plat_putc('\n');
        ndevs++;
    }
    if (ndevs == 0)
        ex_fail("no virtio-input device in any slot", VIRTIO_ENODEV);
    plat_puts("input: ready\n");
}

/* Steps 2-4 for one event of device n. Returns 1 when it is time to stop. */
static int handle(unsigned n, const virtio_input_event *ev)
{
    device *d = &devs[n];
    plat_puts("input: event ");
    plat_put_dec(n);
    plat_puts(" type ");
    plat_put_dec(ev->type);
    plat_puts(" code ");
    plat_put_dec(ev->code);
    plat_puts(" value ");
    plat_put_sdec(ev->value);
    plat_putc('\n');

    if (d->keyboard) {
        int c = virtio_input_kbd_feed(&d->kbd, ev);
        if (c < 0)
            ex_fail("virtio_input_kbd_feed (the Caps Lock LED)", c);
        if (c > 0 && virtio_input_line_feed(&d->line, c) == VIRTIO_INPUT_LINE_DONE) {
            plat_puts("input: line ");
            put_quoted(d->text);
            plat_putc('\n');
        }
    }
    if (ev->type == VIRTIO_INPUT_EV_KEY && ev->code == VIRTIO_INPUT_KEY_ESC) {
        if (ev->value == VIRTIO_INPUT_KEY_PRESS)
            d->esc_down = 1;
        else if (ev->value == VIRTIO_INPUT_KEY_RELEASE && d->esc_down)
            d->esc_done = 1;
    }
    return ev->type == VIRTIO_INPUT_EV_SYN && ev->code == VIRTIO_INPUT_SYN_REPORT &&
           d->esc_done;
}

int main(void)
{
    discover();
#ifdef INPUT_COST
    for (unsigned n = 0; n < ndevs; n++) /* receiving only, from here */
        counters[n].reads = counters[n].writes = 0;
#endif
    for (;;) {
        /* Round robin: one event of each device in turn, never waiting on one of them. */
        for (unsigned n = 0; n < ndevs; n++) {
            virtio_input_event ev;
            int r = recv_poll(n, &ev);
            if (r == VIRTIO_EAGAIN)
                continue;
            if (r != 0)
                ex_fail("virtio_input_recv_poll", r);
            if (handle(n, &ev)) {
#ifdef INPUT_COST
                put_cost();
#endif
                plat_puts("input: done\n");
                for (unsigned i = 0; i < ndevs; i++) {
                    r = virtio_input_reset(&devs[i].in);
                    if (r != 0)
                        ex_fail("virtio_input_reset", r);
                }
                plat_puts("PASS\n");
                return 0;
            }
        }
    }
}
