/* virtio_input.h - v0.2.0 - polled VirtIO input driver (keyboard, mouse, tablet), on virtio.h
   MIT licensed, see the end of the file.

   Reads evdev-style input events (key presses, relative motion, absolute positions, buttons)
   from any virtio-input device: QEMU's virtio-keyboard, virtio-mouse and virtio-tablet, and
   anything else that speaks the protocol. Discovers what the device has (name, serial, ids,
   supported event codes, axis ranges, properties), sends status events (keyboard LEDs) back,
   and has the small pieces a polled early-boot console needs: a US key map with Shift and Caps
   Lock, and a line editor. It uses only the public API of virtio.h.

QUICK START

       #define VIRTIO_IMPLEMENTATION        // in exactly one C file
       #include "virtio.h"
       #define VIRTIO_INPUT_IMPLEMENTATION
       #include "virtio_input.h"

       // Scan the slots (QEMU's riscv `virt`: 8 at 0x10001000, filled from the top), probe.
       virtio_mmio_slot slots[8];
       int i = 0, n = virtio_mmio_scan(NULL, (void *)0x10001000, 0x1000, 8, slots, 8);
       while (i < n && slots[i].device_id != VIRTIO_ID_INPUT) i++;
       if (i == n) return VIRTIO_ENODEV;                       // no input device
       virtio_regs regs = virtio_mmio_regs(slots[i].base);     // plain MMIO: no callback
       virtio_transport t;
       int r = virtio_mmio_transport(&t, &regs);               // read-only probe

       static uint8_t mem[VIRTIO_INPUT_MEM(0, 0)] __attribute__((aligned(4096)));
       virtio_input_params p = {0};                            // zero fields: defaults
       static virtio_input in;                                 // must not move after init
       if (r == 0) r = virtio_input_init(&in, &t, &p, mem, sizeof mem);
       if (r == 0) print(virtio_input_name(&in));              // "QEMU Virtio Keyboard"
       virtio_input_kbd kbd;                                   // Shift, Caps Lock (and its LED)
       virtio_input_kbd_init(&kbd, &in);
       static char text[80];
       virtio_input_line line;                                 // a line editor over `text`
       virtio_input_line_init(&line, text, sizeof text);
       while (r == 0) {
           virtio_input_event ev;                              // type, code, value (CPU order)
           r = virtio_input_recv_wait(&in, &ev);               // bounded wait
           if (r == VIRTIO_ETIMEDOUT) { r = 0; continue; }     // nothing came: wait again
           int c = r == 0 ? virtio_input_kbd_feed(&kbd, &ev) : 0;  // ASCII, or 0
           if (c > 0 && virtio_input_line_feed(&line, c) == VIRTIO_INPUT_LINE_DONE)
               print(text);                                    // one line, Enter pressed
       }

DOES NOT
   allocate, take interrupts, lock, interpret events beyond the keyboard helpers (a mouse's
   motion and a tablet's positions are handed over as the device sends them), or map keys for
   layouts other than US. The device has no feature bits ("Input Device / Feature bits":
   none); the core negotiates VIRTIO_F_VERSION_1 and VIRTIO_F_EVENT_IDX when offered.

MEMORY
   A virtio_input object (caller's, must not move after init) and one block for the driver:
   virtio_input_mem_size(&p, &t) bytes aligned to virtio_queue_ring_align(&t) (4096 for a
   legacy transport, 16 for a modern one; 4096 fits both), reachable by the device (DMA).
   VIRTIO_INPUT_MEM(event_bufs, status_bufs) is a compile-time bound that fits every transport
   (zero arguments mean the defaults, as in the params). The block holds, in this order: what
   the device sees (both queues' rings, the event buffers, the status buffers), then what only
   the driver touches (both shadows, the status buffers' states, the report buffer, and what
   init learnt from the configuration: name, serial, event bitmaps, axis ranges, about 6 KiB).
   Legacy virtio-pci fixes each queue's size (QEMU: 64): the rings have the device's size,
   the driver uses the entries the params ask for. virtio_input_mem_size(&p, &t) with the
   probed transport counts that; the compile-time bound holds there when its queue sizes are
   at least the device's, or for any when the device's are at most 128 (virtio.h,
   VIRTIO_QUEUE_RING_MEM).

EVENTS
   The driver keeps event_bufs buffers of 8 bytes (one struct virtio_input_event each) posted.
   virtio_input_recv_poll hands over the next event, copied out in CPU order: the buffer goes
   straight back, so nothing is lent and there is nothing to release. Buffers go back to the
   device in batches: avail.idx is published, and the device notified if it asks to be, once
   per VIRTIO_INPUT_KICK_BATCH events, while at least VIRTIO_INPUT_EVENT_BUFS_MIN stay posted.
   Why at least 16: QEMU needs a free buffer for every event of a report (a tablet's x, y,
   buttons and the closing EV_SYN) or drops the whole report. Events are the device's to
   deliver in reports, each closed by EV_SYN/SYN_REPORT; virtio_input_report_poll gathers one
   whole report (up to its SYN_REPORT) for callers that want x and y together. Fields are
   little-endian on every transport, legacy ones too (the spec's struct virtio_input_event,
   and QEMU's device, use le16/le32 whatever the transport).

CONFIGURATION SPACE
   virtio_input_init reads everything the spec defines (name, serial, device ids, property
   bits, the event bitmap of each of the 32 event types, the range of every absolute axis the
   device has) before DRIVER_OK, into driver memory: the queries (virtio_input_name,
   virtio_input_has_event, virtio_input_abs_info, ...) then cost no register access. Why before:
   QEMU bumps the configuration generation (and raises a configuration interrupt) on every
   select or subsel write once DRIVER_OK is set, so a generation-checked read around a select
   never settles then. virtio_input_query asks the device again on demand, at any time: it
   writes select and subsel back to back (QEMU clears both, and size, if a configuration read
   comes between them), then reads size and the payload inside a generation check that its own
   writes are outside of, so it works after DRIVER_OK too and is bounded. Every size is checked:
   above 128 (the spec's union) it is a device fault. Strings may come with a trailing NUL or
   without (QEMU counts one in NAME's size; the spec says strings have none): both are read the
   same; a string ends at its first NUL.

STATUS
   virtio_input_send_status posts one event (e.g. EV_LED / LED_CAPSL / 1) to the status queue
   from status_bufs buffers of the driver's and returns without waiting; buffers the device has
   finished with are reclaimed on the next send. QEMU returns them with used length 8 although
   it writes nothing (the buffers are device-readable, so 0 is right): the queue ignores used
   lengths (VIRTIO_QUEUE_F_IGNORE_LEN), so any length is accepted. QEMU acts only on EV_LED.

KEYBOARD AND LINE EDITOR
   virtio_input_key_to_ascii maps a Linux key code to ASCII for a US layout (letters, digits,
   punctuation, Space, Tab, Enter as '\n', Backspace as '\b', Escape as 27, the keypad with Num
   Lock on). virtio_input_kbd tracks Shift, Ctrl and Caps Lock from key events; a Caps Lock
   press toggles Caps Lock and its LED (through the status queue). virtio_input_line edits one
   line in a caller's buffer: printable characters, Backspace, Enter. No allocation anywhere.

CONFIGURATION (define where the implementation is)
   VIRTIO_INPUT_MINIMAL receive events, nothing else, for bootloaders; VIRTIO_MINIMAL (virtio.h)
                        defines it too. Init reads no configuration (not one select: 100 and
                        more configuration accesses fewer with QEMU's keyboard) and does not set
                        up the status queue (its room in the block stays, unused). So
                        virtio_input_name and _serial are "", virtio_input_has_type,
                        _has_event and _props are 0, virtio_input_ids and _abs_info return
                        VIRTIO_ENOTSUP (their arguments checked first, as ever), and
                        virtio_input_query and virtio_input_send_status return VIRTIO_ENOTSUP
                        after their argument and state checks, touching nothing. Events and
                        reports (recv_poll / _wait, report_poll / _wait) are unchanged, and so
                        are the keyboard and line helpers, but for the Caps Lock LED: the
                        device's LEDs are not known, so none is sent. (Helpers a program does
                        not call cost nothing once linked with --gc-sections.)

ERRORS
   As virtio.h: 0 or a negative virtio_result. A caller bug (NULL pointer, event_bufs below
   VIRTIO_INPUT_EVENT_BUFS_MIN or above 32768, status_bufs above 32768, memory too small or
   misaligned) is VIRTIO_EINVAL and changes nothing: no register access, no byte of memory
   written. virtio_input_init on a device of another type is VIRTIO_ENODEV, also before any
   register write. An object that was never initialized (zeroed), or was reset, gives
   VIRTIO_ESTATE. VIRTIO_EAGAIN when no event has arrived; VIRTIO_ENOSPC from
   virtio_input_send_status when every status buffer is still with the device; VIRTIO_ENOTSUP
   from a query of something the device does not have.
   Everything the device writes is checked: a configuration size above 128, device ids or axis
   information shorter than their structs, an event buffer used with fewer than 8 bytes: each
   is VIRTIO_EDEVICE, latched (FAILED is set), and every later call returns it until init.
   Buffer ownership (virtio 1.4 "Device Cleanup"): every buffer the device is given is the
   driver's own, in `mem`; none is the caller's. virtio_input_recv_wait and
   virtio_input_report_wait reset the device when their wait fails because of the device
   (VIRTIO_ENEEDS_RESET, VIRTIO_EDEVICE), so that it stops writing `mem`; their
   VIRTIO_ETIMEDOUT (nothing came) is no failure and resets nothing: the device goes on. After
   a reset the error is latched: call virtio_input_init to use the device again. If even the
   reset does not complete they return VIRTIO_EBUSY: the device may still write `mem`, so keep
   it, and retry virtio_input_reset until it returns 0. Calls that never wait never reset.

CONCURRENCY
   One caller per virtio_input at a time; no globals. Every wait is bounded (the accessor's
   spin_limit and relax hook, see virtio.h). virtio_input_kbd and virtio_input_line are plain
   structs of the caller's.

SPEC
   virtio 1.4 "Device Types / Input Device": virtqueues (eventq 0, statusq 1), feature bits
   (none), device configuration layout (select, subsel, size, the union; every select), device
   initialization ("A driver MUST set both select and subsel when querying device
   configuration", "MUST NOT write to configuration fields other than select and subsel",
   "SHOULD check the size field before accessing the configuration information"), device
   operation (struct virtio_input_event in both queues, device-writable event buffers of at
   least its size, "SHOULD keep the eventq populated", "SHOULD ignore eventq input events it
   does not recognize"); "General Initialization And Device Operation / Device Initialization"
   and "Device Cleanup". Event types and codes are Linux's (include/uapi/linux/
   input-event-codes.h), as the spec says; the ones named here are written down from it.
*/

#ifndef VIRTIO_INPUT_H
#define VIRTIO_INPUT_H

/* VIRTIO_MINIMAL (virtio.h): the smallest input driver too. */
#if defined(VIRTIO_MINIMAL) && !defined(VIRTIO_INPUT_MINIMAL)
#define VIRTIO_INPUT_MINIMAL
#endif

#ifndef VIRTIO_H
#error "include virtio.h before virtio_input.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Virtqueues: "Input Device / Virtqueues" ------------------------------------------------- */
#define VIRTIO_INPUT_EVENTQ  0u
#define VIRTIO_INPUT_STATUSQ 1u

/* ---- Configuration: "Input Device / Device configuration layout" ----------------------------- */
/* enum virtio_input_config_select */
#define VIRTIO_INPUT_CFG_UNSET     0x00u
#define VIRTIO_INPUT_CFG_ID_NAME   0x01u /* subsel 0: u.string */
#define VIRTIO_INPUT_CFG_ID_SERIAL 0x02u /* subsel 0: u.string */
#define VIRTIO_INPUT_CFG_ID_DEVIDS 0x03u /* subsel 0: u.ids */
#define VIRTIO_INPUT_CFG_PROP_BITS 0x10u /* subsel 0: u.bitmap of INPUT_PROP_* */
#define VIRTIO_INPUT_CFG_EV_BITS   0x11u /* subsel = event type: u.bitmap of its codes */
#define VIRTIO_INPUT_CFG_ABS_INFO  0x12u /* subsel = absolute axis: u.abs */
/* struct virtio_input_config, byte offsets */
#define VIRTIO_INPUT_CFG_SELECT 0u   /* u8, written by the driver */
#define VIRTIO_INPUT_CFG_SUBSEL 1u   /* u8, written by the driver */
#define VIRTIO_INPUT_CFG_SIZE   2u   /* u8: bytes of u the answer fills (0: none) */
#define VIRTIO_INPUT_CFG_U      8u   /* the union, after u8 reserved[5] */
#define VIRTIO_INPUT_CFG_U_SIZE 128u /* the union's size: char string[128], u8 bitmap[128] */

/* struct virtio_input_absinfo (u.abs), in CPU order. The spec's fields are le32; Linux's are
   signed (a range may be negative), and so are these: the same bits. */
typedef struct virtio_input_absinfo {
    int32_t min;  /* le32 min */
    int32_t max;  /* le32 max */
    int32_t fuzz; /* le32 fuzz: noise the device filters */
    int32_t flat; /* le32 flat: dead zone */
    int32_t res;  /* le32 res: resolution (units per mm, Linux) */
} virtio_input_absinfo;

/* struct virtio_input_devids (u.ids), in CPU order. */
typedef struct virtio_input_devids {
    uint16_t bustype; /* le16: BUS_* (QEMU: 6, BUS_VIRTUAL) */
    uint16_t vendor;  /* le16 (QEMU: 0x0627) */
    uint16_t product; /* le16 (QEMU: 1 keyboard, 2 mouse, 3 tablet) */
    uint16_t version; /* le16 */
} virtio_input_devids;

/* struct virtio_input_event ("Input Device / Device Operation"), in CPU order here; in the
   queues it is le16 type, le16 code, le32 value (8 bytes). */
typedef struct virtio_input_event {
    uint16_t type; /* VIRTIO_INPUT_EV_* */
    uint16_t code; /* per type: a key, an axis, an LED, ... */
    int32_t value; /* key: 0 release, 1 press, 2 autorepeat; relative: signed motion;
                      absolute: position; LED: 0 off, 1 on */
} virtio_input_event;
#define VIRTIO_INPUT_EVENT_SIZE 8u /* bytes of one struct virtio_input_event in a queue */

/* ---- Event types and codes: Linux's input-event-codes.h, prefixed ---------------------------- */
/* Prefixed so that Linux's own header can be included alongside. */
#define VIRTIO_INPUT_EV_SYN       0x00u
#define VIRTIO_INPUT_EV_KEY       0x01u /* keys and buttons */
#define VIRTIO_INPUT_EV_REL       0x02u /* relative axes (mouse motion, wheel) */
#define VIRTIO_INPUT_EV_ABS       0x03u /* absolute axes (tablet position) */
#define VIRTIO_INPUT_EV_MSC       0x04u
#define VIRTIO_INPUT_EV_SW        0x05u
#define VIRTIO_INPUT_EV_LED       0x11u /* LEDs (status queue) */
#define VIRTIO_INPUT_EV_SND       0x12u
#define VIRTIO_INPUT_EV_REP       0x14u /* autorepeat settings */
#define VIRTIO_INPUT_EV_FF        0x15u
#define VIRTIO_INPUT_EV_PWR       0x16u
#define VIRTIO_INPUT_EV_FF_STATUS 0x17u
#define VIRTIO_INPUT_EV_MAX       0x1fu /* types are 0..EV_MAX: 32 of them */

#define VIRTIO_INPUT_SYN_REPORT    0u /* EV_SYN: the end of a report */
#define VIRTIO_INPUT_SYN_CONFIG    1u
#define VIRTIO_INPUT_SYN_MT_REPORT 2u
#define VIRTIO_INPUT_SYN_DROPPED   3u /* EV_SYN: events were lost (drop up to the next report) */

#define VIRTIO_INPUT_REL_X      0x00u
#define VIRTIO_INPUT_REL_Y      0x01u
#define VIRTIO_INPUT_REL_Z      0x02u
#define VIRTIO_INPUT_REL_HWHEEL 0x06u
#define VIRTIO_INPUT_REL_WHEEL  0x08u

#define VIRTIO_INPUT_ABS_X   0x00u
#define VIRTIO_INPUT_ABS_Y   0x01u
#define VIRTIO_INPUT_ABS_Z   0x02u
#define VIRTIO_INPUT_ABS_MAX 0x3fu /* axes are 0..ABS_MAX: 64 of them */

#define VIRTIO_INPUT_MSC_SCAN 0x04u

#define VIRTIO_INPUT_LED_NUML    0x00u
#define VIRTIO_INPUT_LED_CAPSL   0x01u
#define VIRTIO_INPUT_LED_SCROLLL 0x02u

#define VIRTIO_INPUT_PROP_POINTER 0x00u /* INPUT_PROP_*: bits of virtio_input_props() */
#define VIRTIO_INPUT_PROP_DIRECT  0x01u

#define VIRTIO_INPUT_BUS_VIRTUAL 0x06u

/* EV_KEY values */
#define VIRTIO_INPUT_KEY_RELEASE 0
#define VIRTIO_INPUT_KEY_PRESS   1
#define VIRTIO_INPUT_KEY_REPEAT  2

/* Key codes (EV_KEY) the US key map knows, and a few more a console wants. */
#define VIRTIO_INPUT_KEY_RESERVED   0u
#define VIRTIO_INPUT_KEY_ESC        1u
#define VIRTIO_INPUT_KEY_1          2u
#define VIRTIO_INPUT_KEY_2          3u
#define VIRTIO_INPUT_KEY_3          4u
#define VIRTIO_INPUT_KEY_4          5u
#define VIRTIO_INPUT_KEY_5          6u
#define VIRTIO_INPUT_KEY_6          7u
#define VIRTIO_INPUT_KEY_7          8u
#define VIRTIO_INPUT_KEY_8          9u
#define VIRTIO_INPUT_KEY_9          10u
#define VIRTIO_INPUT_KEY_0          11u
#define VIRTIO_INPUT_KEY_MINUS      12u
#define VIRTIO_INPUT_KEY_EQUAL      13u
#define VIRTIO_INPUT_KEY_BACKSPACE  14u
#define VIRTIO_INPUT_KEY_TAB        15u
#define VIRTIO_INPUT_KEY_Q          16u
#define VIRTIO_INPUT_KEY_W          17u
#define VIRTIO_INPUT_KEY_E          18u
#define VIRTIO_INPUT_KEY_R          19u
#define VIRTIO_INPUT_KEY_T          20u
#define VIRTIO_INPUT_KEY_Y          21u
#define VIRTIO_INPUT_KEY_U          22u
#define VIRTIO_INPUT_KEY_I          23u
#define VIRTIO_INPUT_KEY_O          24u
#define VIRTIO_INPUT_KEY_P          25u
#define VIRTIO_INPUT_KEY_LEFTBRACE  26u
#define VIRTIO_INPUT_KEY_RIGHTBRACE 27u
#define VIRTIO_INPUT_KEY_ENTER      28u
#define VIRTIO_INPUT_KEY_LEFTCTRL   29u
#define VIRTIO_INPUT_KEY_A          30u
#define VIRTIO_INPUT_KEY_S          31u
#define VIRTIO_INPUT_KEY_D          32u
#define VIRTIO_INPUT_KEY_F          33u
#define VIRTIO_INPUT_KEY_G          34u
#define VIRTIO_INPUT_KEY_H          35u
#define VIRTIO_INPUT_KEY_J          36u
#define VIRTIO_INPUT_KEY_K          37u
#define VIRTIO_INPUT_KEY_L          38u
#define VIRTIO_INPUT_KEY_SEMICOLON  39u
#define VIRTIO_INPUT_KEY_APOSTROPHE 40u
#define VIRTIO_INPUT_KEY_GRAVE      41u
#define VIRTIO_INPUT_KEY_LEFTSHIFT  42u
#define VIRTIO_INPUT_KEY_BACKSLASH  43u
#define VIRTIO_INPUT_KEY_Z          44u
#define VIRTIO_INPUT_KEY_X          45u
#define VIRTIO_INPUT_KEY_C          46u
#define VIRTIO_INPUT_KEY_V          47u
#define VIRTIO_INPUT_KEY_B          48u
#define VIRTIO_INPUT_KEY_N          49u
#define VIRTIO_INPUT_KEY_M          50u
#define VIRTIO_INPUT_KEY_COMMA      51u
#define VIRTIO_INPUT_KEY_DOT        52u
#define VIRTIO_INPUT_KEY_SLASH      53u
#define VIRTIO_INPUT_KEY_RIGHTSHIFT 54u
#define VIRTIO_INPUT_KEY_KPASTERISK 55u
#define VIRTIO_INPUT_KEY_LEFTALT    56u
#define VIRTIO_INPUT_KEY_SPACE      57u
#define VIRTIO_INPUT_KEY_CAPSLOCK   58u
#define VIRTIO_INPUT_KEY_F1         59u /* F1..F10 are 59..68 */
#define VIRTIO_INPUT_KEY_F10        68u
#define VIRTIO_INPUT_KEY_NUMLOCK    69u
#define VIRTIO_INPUT_KEY_SCROLLLOCK 70u
#define VIRTIO_INPUT_KEY_KP7        71u
#define VIRTIO_INPUT_KEY_KP8        72u
#define VIRTIO_INPUT_KEY_KP9        73u
#define VIRTIO_INPUT_KEY_KPMINUS    74u
#define VIRTIO_INPUT_KEY_KP4        75u
#define VIRTIO_INPUT_KEY_KP5        76u
#define VIRTIO_INPUT_KEY_KP6        77u
#define VIRTIO_INPUT_KEY_KPPLUS     78u
#define VIRTIO_INPUT_KEY_KP1        79u
#define VIRTIO_INPUT_KEY_KP2        80u
#define VIRTIO_INPUT_KEY_KP3        81u
#define VIRTIO_INPUT_KEY_KP0        82u
#define VIRTIO_INPUT_KEY_KPDOT      83u
#define VIRTIO_INPUT_KEY_102ND      86u /* the extra key of ISO keyboards: '\\' here */
#define VIRTIO_INPUT_KEY_F11        87u
#define VIRTIO_INPUT_KEY_F12        88u
#define VIRTIO_INPUT_KEY_KPENTER    96u
#define VIRTIO_INPUT_KEY_RIGHTCTRL  97u
#define VIRTIO_INPUT_KEY_KPSLASH    98u
#define VIRTIO_INPUT_KEY_RIGHTALT   100u
#define VIRTIO_INPUT_KEY_HOME       102u
#define VIRTIO_INPUT_KEY_UP         103u
#define VIRTIO_INPUT_KEY_PAGEUP     104u
#define VIRTIO_INPUT_KEY_LEFT       105u
#define VIRTIO_INPUT_KEY_RIGHT      106u
#define VIRTIO_INPUT_KEY_END        107u
#define VIRTIO_INPUT_KEY_DOWN       108u
#define VIRTIO_INPUT_KEY_PAGEDOWN   109u
#define VIRTIO_INPUT_KEY_INSERT     110u
#define VIRTIO_INPUT_KEY_DELETE     111u
#define VIRTIO_INPUT_KEY_KPEQUAL    117u
#define VIRTIO_INPUT_KEY_LEFTMETA   125u
#define VIRTIO_INPUT_KEY_RIGHTMETA  126u
#define VIRTIO_INPUT_KEY_MAX        0x2ffu
#define VIRTIO_INPUT_BTN_LEFT       0x110u
#define VIRTIO_INPUT_BTN_RIGHT      0x111u
#define VIRTIO_INPUT_BTN_MIDDLE     0x112u
#define VIRTIO_INPUT_BTN_SIDE       0x113u
#define VIRTIO_INPUT_BTN_EXTRA      0x114u
#define VIRTIO_INPUT_BTN_TOUCH      0x14au

/* ---- Parameters and memory ------------------------------------------------------------------- */
#define VIRTIO_INPUT_EVENT_BUFS 64u /* default event buffers */
#define VIRTIO_INPUT_EVENT_BUFS_MIN                                                                \
    16u                              /* fewest event buffers (QEMU drops a report that             \
                                        finds fewer free than it has events) */
#define VIRTIO_INPUT_STATUS_BUFS 8u  /* default status buffers */
#define VIRTIO_INPUT_KICK_BATCH  16u /* events taken per publication of their buffers */
#define VIRTIO_INPUT_REPORT_MAX  64u /* events one report gathers at most (report_poll) */

/* What virtio_input_init needs. Zero-initialize, then fill; zero fields take the defaults. */
typedef struct virtio_input_params {
    uint32_t event_bufs;  /* event buffers kept posted: 16..32768, default 64. The eventq gets
                             the next power of two entries; a device that offers fewer leaves
                             the rest unused */
    uint32_t status_bufs; /* status buffers (LED events in flight): 1..32768, default 8 */
} virtio_input_params;

/* Bytes of driver memory for `p` (NULL = defaults) on transport `t` (NULL = the bound for any
   transport), to be aligned to virtio_queue_ring_align(t). 0 if p is invalid. */
VIRTIO_API size_t virtio_input_mem_size(const virtio_input_params *p, const virtio_transport *t);
/* The same for any transport, at compile time (zero arguments = the defaults). Each queue is
   bounded by twice its buffers (the next power of two is below that). */
#define VIRTIO_INPUT_MEM(event_bufs, status_bufs)                                                  \
    (VIRTIO_QUEUE_MEM(2u * VIRTIO_INPUT__OR(event_bufs, VIRTIO_INPUT_EVENT_BUFS)) +                \
     VIRTIO_QUEUE_MEM(2u * VIRTIO_INPUT__OR(status_bufs, VIRTIO_INPUT_STATUS_BUFS)) +              \
     (VIRTIO_INPUT__OR(event_bufs, VIRTIO_INPUT_EVENT_BUFS) +                                      \
      VIRTIO_INPUT__OR(status_bufs, VIRTIO_INPUT_STATUS_BUFS)) *                                   \
         (VIRTIO_INPUT_EVENT_SIZE + 1u) +                                                          \
     VIRTIO_INPUT__FIXED_MEM)
#define VIRTIO_INPUT__OR(x, dflt) ((x) ? (size_t)(x) : (size_t)(dflt))
/* The report buffer, the configuration learnt at init, and alignment (a bound, checked). */
#define VIRTIO_INPUT__FIXED_MEM 6400u

/* Counters; read them freely (in.stats). */
typedef struct virtio_input_stats {
    uint32_t events;      /* events handed to the caller */
    uint32_t reports;     /* reports handed over whole by report_poll / report_wait */
    uint32_t publishes;   /* times returned event buffers were published to the device */
    uint32_t status_sent; /* status events posted */
} virtio_input_stats;

struct virtio_input__info; /* what init read from the configuration (in driver memory) */

/* The driver's state. Fields are the library's (but for stats): use the functions. */
typedef struct virtio_input {
    virtio_dev dev;
    virtio_queue eventq, statusq; /* zeroed whenever no buffer can be in the device */
    virtio_input_stats stats;
    struct virtio_input__info *info;
    uint8_t *ev_bufs;  /* ev_count buffers of 8 bytes */
    uint32_t ev_count; /* event buffers */
    uint32_t ev_unpub; /* taken and added again, not yet published */
    uint32_t ev_batch; /* publish them once this many are unpublished */
    uint8_t *st_bufs;  /* st_count buffers of 8 bytes */
    uint8_t *st_state; /* one byte per status buffer: 1 = with the device */
    uint32_t st_count;
    virtio_input_event *rep; /* events read ahead by report_poll, VIRTIO_INPUT_REPORT_MAX */
    uint32_t rep_first, rep_count, rep_whole; /* rep_whole: rep holds a SYN_REPORT */
} virtio_input;

/* ---- Device ---------------------------------------------------------------------------------- */
/* Brings up the input device behind the probed transport `t` (virtio 1.4 "Device
   Initialization"): resets it (before any byte of `mem` is written: an earlier boot stage may
   have left it running), negotiates no device features, reads the whole configuration (see
   CONFIGURATION SPACE), sets up eventq 0 and statusq 1 in `mem`, posts the event buffers,
   DRIVER_OK. p NULL = defaults. VIRTIO_EINVAL (nothing touched), VIRTIO_ENODEV (not an input
   device, nothing touched), VIRTIO_EBUSY (the device did not reset; `mem` untouched),
   VIRTIO_EDEVICE for a configuration that makes no sense, or what a later step returned (the
   device is then marked FAILED). */
VIRTIO_API int virtio_input_init(virtio_input *in, const virtio_transport *t,
                                 const virtio_input_params *p, void *mem, size_t mem_size);

/* Resets the device: it writes no more events into `mem`. 0, or VIRTIO_EBUSY if the reset did
   not complete: the device may still write the event buffers in `mem`, so keep it, and every
   call returns VIRTIO_EBUSY (latched); call this again to retry. Initialize again to use the
   device. */
VIRTIO_API int virtio_input_reset(virtio_input *in);

/* ---- What the device is (read at init: no register access) ----------------------------------- */
/* The device's name / serial number, NUL-terminated, at most 128 characters ("" if it gave
   none, or for NULL or an object that is not initialized). QEMU: "QEMU Virtio Keyboard",
   "QEMU Virtio Mouse", "QEMU Virtio Tablet"; its serial is empty unless `serial=` is set. */
VIRTIO_API const char *virtio_input_name(const virtio_input *in);
VIRTIO_API const char *virtio_input_serial(const virtio_input *in);
/* Bus type, vendor, product and version: 0, or VIRTIO_ENOTSUP if the device gave none (*ids
   zeroed), VIRTIO_EINVAL, VIRTIO_ESTATE. */
VIRTIO_API int virtio_input_ids(const virtio_input *in, virtio_input_devids *ids);
/* 1 if the device reports event type `type` (a nonempty EV_BITS bitmap; QEMU reports EV_SYN
   as empty, yet every report ends with EV_SYN/SYN_REPORT), else 0. */
VIRTIO_API int virtio_input_has_type(const virtio_input *in, uint32_t type);
/* 1 if the device reports code `code` of event type `type` (its bit in EV_BITS), else 0. */
VIRTIO_API int virtio_input_has_event(const virtio_input *in, uint32_t type, uint32_t code);
/* The range of absolute axis `axis` (VIRTIO_INPUT_ABS_*): 0, or VIRTIO_ENOTSUP if the device
   has no such axis (no EV_ABS bit, or no ABS_INFO for it), VIRTIO_EINVAL, VIRTIO_ESTATE. */
VIRTIO_API int virtio_input_abs_info(const virtio_input *in, uint32_t axis,
                                     virtio_input_absinfo *info);
/* Property bits 0..31 (bit VIRTIO_INPUT_PROP_*), 0 if none or not initialized. */
VIRTIO_API uint32_t virtio_input_props(const virtio_input *in);

/* Asks the device now: writes select and subsel, reads size and copies min(size, buf_size)
   bytes of the answer into buf; *len (may be NULL) gets the device's size (0: no such
   information), which may exceed buf_size. Works before and after DRIVER_OK (see
   CONFIGURATION SPACE); changes nothing in the device. VIRTIO_EINVAL for NULL in, or NULL buf
   with buf_size > 0; VIRTIO_EDEVICE (latched) for a size above 128 or a generation that never
   settles. */
VIRTIO_API int virtio_input_query(virtio_input *in, uint8_t select, uint8_t subsel, void *buf,
                                  uint32_t buf_size, uint32_t *len);

/* ---- Events ---------------------------------------------------------------------------------- */
/* The next event, copied to *ev in CPU order. _poll never waits: VIRTIO_EAGAIN when none has
   arrived. _wait waits (bounded): VIRTIO_ETIMEDOUT if none came (nothing is reset: see ERRORS).
   Events read ahead by report_poll come first, in order. */
VIRTIO_API int virtio_input_recv_poll(virtio_input *in, virtio_input_event *ev);
VIRTIO_API int virtio_input_recv_wait(virtio_input *in, virtio_input_event *ev);

/* One report: the events up to and including the EV_SYN/SYN_REPORT that closes it, into
   evs[0..*n). A report with more than `max` events (or more than VIRTIO_INPUT_REPORT_MAX) comes
   in pieces: only the last piece ends with SYN_REPORT (evs[*n - 1]). _poll: VIRTIO_EAGAIN
   while the report is not complete (the events that came are kept for the next call); _wait:
   waits (bounded) for the rest, VIRTIO_ETIMEDOUT if it did not come. max 0 or NULL evs or n:
   VIRTIO_EINVAL. */
VIRTIO_API int virtio_input_report_poll(virtio_input *in, virtio_input_event *evs, uint32_t max,
                                        uint32_t *n);
VIRTIO_API int virtio_input_report_wait(virtio_input *in, virtio_input_event *evs, uint32_t max,
                                        uint32_t *n);

/* ---- Status ---------------------------------------------------------------------------------- */
/* Sends one event to the device on the status queue (e.g. EV_LED, LED_CAPSL, 1 lights Caps
   Lock) and returns without waiting for the device. Buffers the device finished with are
   reclaimed first; VIRTIO_ENOSPC when all status_bufs are still with it. */
VIRTIO_API int virtio_input_send_status(virtio_input *in, uint16_t type, uint16_t code,
                                        int32_t value);
/* Status events posted and not yet returned by the device (0 for NULL or after a reset). */
VIRTIO_API uint32_t virtio_input_status_pending(const virtio_input *in);

/* ---- Keyboard helpers ------------------------------------------------------------------------ */
/* The ASCII character key `code` gives on a US layout, with Shift held (shift nonzero) and Caps
   Lock on (caps nonzero; it shifts letters only), or 0 for a key without one (modifiers,
   function and arrow keys). Enter and keypad Enter give '\n', Backspace '\b', Tab '\t',
   Escape 27; keypad keys give their digits and operators (Num Lock taken as on). */
VIRTIO_API int virtio_input_key_to_ascii(uint32_t code, int shift, int caps);

/* Keyboard state for a console: modifiers and Caps Lock. */
typedef struct virtio_input_kbd {
    virtio_input *in; /* where the Caps Lock LED goes (NULL: nowhere) */
    uint8_t shift;    /* bit 0 left, bit 1 right Shift held */
    uint8_t ctrl;     /* bit 0 left, bit 1 right Ctrl held */
    uint8_t alt;      /* bit 0 left, bit 1 right Alt held */
    uint8_t caps;     /* Caps Lock on */
} virtio_input_kbd;

/* Starts with nothing held and Caps Lock off; `in` (may be NULL) gets the Caps Lock LED. Does
   not touch the device. VIRTIO_EINVAL for NULL k. */
VIRTIO_API int virtio_input_kbd_init(virtio_input_kbd *k, virtio_input *in);
/* Feeds one event (any type: only EV_KEY counts). Returns the ASCII character a key press or
   autorepeat gives (1..127; with Ctrl held a letter gives its control code 1..26), 0 if none,
   or a negative error from sending the Caps Lock LED (Caps Lock has toggled anyway).
   VIRTIO_EINVAL for NULL. */
VIRTIO_API int virtio_input_kbd_feed(virtio_input_kbd *k, const virtio_input_event *ev);

/* A line editor over a caller's buffer. */
typedef struct virtio_input_line {
    char *buf;     /* the line so far, NUL-terminated */
    uint32_t size; /* bytes of buf: at most size - 1 characters */
    uint32_t len;  /* characters in buf */
    uint32_t done; /* the line was ended by Enter: the next feed starts a new one */
} virtio_input_line;

/* What virtio_input_line_feed did: tells an echoing console what to draw. */
#define VIRTIO_INPUT_LINE_NONE   0 /* nothing (not printable, line full, Backspace at 0) */
#define VIRTIO_INPUT_LINE_ADDED  1 /* the character was appended: echo it */
#define VIRTIO_INPUT_LINE_ERASED 2 /* the last character was removed: erase it */
#define VIRTIO_INPUT_LINE_DONE   3 /* Enter: buf holds the whole line, len characters */

/* Starts an empty line in buf[0..size). VIRTIO_EINVAL for NULL, or size 0 or above 2^31. */
VIRTIO_API int virtio_input_line_init(virtio_input_line *l, char *buf, uint32_t size);
/* Feeds one character: printable ASCII (32..126) is appended while there is room, '\b' or 127
   removes the last one, '\n' or '\r' ends the line (it stays in buf until the next feed, which
   starts a new line). Returns VIRTIO_INPUT_LINE_*, or VIRTIO_EINVAL for NULL. */
VIRTIO_API int virtio_input_line_feed(virtio_input_line *l, int ch);

#ifdef __cplusplus
}
#endif

#endif /* VIRTIO_INPUT_H */

/* ============================================================================================== */
/*                                        IMPLEMENTATION                                          */
/* ============================================================================================== */
#if defined(VIRTIO_INPUT_IMPLEMENTATION) && !defined(VIRTIO_INPUT__IMPL_DONE)
#define VIRTIO_INPUT__IMPL_DONE

/* ---- Layout checks: the spec's structs ------------------------------------------------------- */
/* struct virtio_input_event is 8 bytes (le16 type, le16 code, le32 value); absinfo 5 x le32;
   devids 4 x le16. Ours hold the same fields in CPU order, in the same places. */
typedef char virtio_input__event_check[sizeof(virtio_input_event) == VIRTIO_INPUT_EVENT_SIZE &&
                                               offsetof(virtio_input_event, code) == 2 &&
                                               offsetof(virtio_input_event, value) == 4
                                           ? 1
                                           : -1];
typedef char virtio_input__abs_check
    [sizeof(virtio_input_absinfo) == 20 && offsetof(virtio_input_absinfo, res) == 16 ? 1 : -1];
typedef char virtio_input__ids_check
    [sizeof(virtio_input_devids) == 8 && offsetof(virtio_input_devids, version) == 6 ? 1 : -1];

#define VIRTIO_INPUT__TYPES 32u /* event types 0..EV_MAX */
#define VIRTIO_INPUT__AXES  64u /* absolute axes 0..ABS_MAX */

/* What init read from the configuration: the queries answer from here. */
struct virtio_input__info {
    char name[VIRTIO_INPUT_CFG_U_SIZE + 1u];
    char serial[VIRTIO_INPUT_CFG_U_SIZE + 1u];
    virtio_input_devids ids;
    uint32_t has_ids;                           /* DEVIDS had a size */
    uint32_t props;                             /* PROP_BITS bits 0..31 */
    uint32_t types;                             /* bit t: EV_BITS for type t was nonempty */
    uint8_t abs_valid[VIRTIO_INPUT__AXES / 8u]; /* bit a: ABS_INFO for axis a was read (bytes:
                                                  no 64-bit shift helpers on 32-bit CPUs) */
    virtio_input_absinfo abs[VIRTIO_INPUT__AXES];
    uint8_t bits[VIRTIO_INPUT__TYPES][VIRTIO_INPUT_CFG_U_SIZE];
};

/* ---- Memory plan: one layout for virtio_input_mem_size and virtio_input_init ----------------- */
/* What the device sees comes first (both rings aligned to virtio_queue_ring_align(t), then the
   event and status buffers, 16-aligned); what only the driver touches follows, 8-aligned. */
typedef struct virtio_input__plan {
    uint32_t nev, nst; /* buffers */
    uint32_t evq, stq; /* queue entries asked for: powers of two */
    size_t ev_ring, ev_ring_size, st_ring, st_ring_size;
    size_t ev_bufs, st_bufs;
    size_t ev_shadow, ev_shadow_size, st_shadow, st_shadow_size;
    size_t st_state, rep, info, total;
} virtio_input__plan;

static uint32_t virtio_input__pow2(uint32_t n) {
    uint32_t q = 1;
    while (q < n)
        q <<= 1;
    return q;
}

static int virtio_input__plan_for(const virtio_input_params *p, const virtio_transport *t,
                                  virtio_input__plan *pl) {
    size_t align = virtio_queue_ring_align(t);
    pl->nev = (p && p->event_bufs) ? p->event_bufs : VIRTIO_INPUT_EVENT_BUFS;
    pl->nst = (p && p->status_bufs) ? p->status_bufs : VIRTIO_INPUT_STATUS_BUFS;
    if (pl->nev < VIRTIO_INPUT_EVENT_BUFS_MIN || pl->nev > VIRTIO_QUEUE_SIZE_MAX ||
        pl->nst > VIRTIO_QUEUE_SIZE_MAX)
        return VIRTIO_EINVAL;
    pl->evq = virtio_input__pow2(pl->nev);
    pl->stq = virtio_input__pow2(pl->nst);
    pl->ev_ring = 0;
    pl->ev_ring_size = virtio_queue_ring_size(t, pl->evq);
    pl->st_ring = virtio_align_up(pl->ev_ring_size, align);
    pl->st_ring_size = virtio_queue_ring_size(t, pl->stq);
    pl->ev_bufs = virtio_align_up(pl->st_ring + pl->st_ring_size, 16u);
    pl->st_bufs = pl->ev_bufs + (size_t)pl->nev * VIRTIO_INPUT_EVENT_SIZE;
    pl->ev_shadow = virtio_align_up(pl->st_bufs + (size_t)pl->nst * VIRTIO_INPUT_EVENT_SIZE, 8u);
    pl->ev_shadow_size = virtio_queue_shadow_size(pl->evq);
    pl->st_shadow = virtio_align_up(pl->ev_shadow + pl->ev_shadow_size, 8u);
    pl->st_shadow_size = virtio_queue_shadow_size(pl->stq);
    pl->st_state = virtio_align_up(pl->st_shadow + pl->st_shadow_size, 8u);
    pl->rep = virtio_align_up(pl->st_state + pl->nst, 8u);
    pl->info = virtio_align_up(pl->rep + VIRTIO_INPUT_REPORT_MAX * sizeof(virtio_input_event), 8u);
    pl->total = pl->info + sizeof(struct virtio_input__info);
    return VIRTIO_OK;
}

/* VIRTIO_INPUT_MEM's fixed part covers the report buffer, the info and the alignment. */
typedef char virtio_input__fixed_check[VIRTIO_INPUT_REPORT_MAX * sizeof(virtio_input_event) +
                                                   sizeof(struct virtio_input__info) + 64u <=
                                               VIRTIO_INPUT__FIXED_MEM
                                           ? 1
                                           : -1];

VIRTIO_DEF size_t virtio_input_mem_size(const virtio_input_params *p, const virtio_transport *t) {
    virtio_input__plan pl;
    return virtio_input__plan_for(p, t, &pl) == VIRTIO_OK ? pl.total : 0u;
}

/* ---- Small helpers --------------------------------------------------------------------------- */
/* 0 if the object is initialized and healthy: the device's latched error first (it may be one
   that left no queues, e.g. after a failed wait), then the queues' (VIRTIO_ESTATE if none). */
static int virtio_input__usable(const virtio_input *in) {
    int r = virtio_dev_usable(&in->dev);
    if (r == VIRTIO_OK) r = virtio_queue_usable(&in->eventq);
#ifndef VIRTIO_INPUT_MINIMAL /* no status queue there */
    if (r == VIRTIO_OK) r = virtio_queue_usable(&in->statusq);
#endif
    return r;
}

/* A device fault: latched in the device (FAILED set), returned by every later call. */
static int virtio_input__fault(virtio_input *in) {
    return virtio_dev_fail(&in->dev, VIRTIO_EDEVICE);
}

/* Forgets both queues: only once the device holds no buffer. */
static void virtio_input__drop_queues(virtio_input *in) {
    virtio_zero(&in->eventq, sizeof in->eventq);
    virtio_zero(&in->statusq, sizeof in->statusq);
    in->rep_first = in->rep_count = in->rep_whole = 0;
    in->info = 0; /* it lives in `mem`, which is the caller's again */
}

/* A failed wait: reset the device so it stops writing `mem`, and latch `error`. If the reset
   did not complete (VIRTIO_EBUSY) the queues stay. */
static int virtio_input__abandon(virtio_input *in, int error) {
    int r = virtio_dev_abandon(&in->dev, error);
    if (r != VIRTIO_EBUSY) virtio_input__drop_queues(in);
    return r;
}

/* A result of a wait that means the device, not the caller, went wrong. */
static int virtio_input__device_error(int r) {
    return r == VIRTIO_ENEEDS_RESET || r == VIRTIO_EDEVICE;
}

/* ---- Configuration: "Input Device / Device configuration layout" ----------------------------- */
#ifndef VIRTIO_INPUT_MINIMAL /* no configuration read there */
typedef struct virtio_input__answer {
    uint8_t data[VIRTIO_INPUT_CFG_U_SIZE];
    uint32_t size;
} virtio_input__answer;

/* Reads size, then that many bytes of u, one byte at a time: the union's fields are
   little-endian whatever the transport, so bytes need no conversion on any of them. */
static int virtio_input__read_answer(virtio_dev *dev, void *ctx) {
    virtio_input__answer *a = (virtio_input__answer *)ctx;
    uint32_t i;
    a->size = virtio_config_read8(dev, VIRTIO_INPUT_CFG_SIZE);
    /* "SHOULD check the size field before accessing the configuration information": more
       than the union holds is nonsense. */
    if (a->size > VIRTIO_INPUT_CFG_U_SIZE) return VIRTIO_EDEVICE;
    for (i = 0; i < a->size; i++)
        a->data[i] = virtio_config_read8(dev, VIRTIO_INPUT_CFG_U + i);
    return VIRTIO_OK;
}

/* One query. "A driver MUST set both select and subsel when querying device configuration, in
   any order": both, back to back (QEMU zeroes select, subsel and size when a configuration
   read comes between the two writes). The writes stay outside the generation check: after
   DRIVER_OK QEMU bumps the generation on each of them, so a check around them never settles;
   around the reads alone it settles at once, and still catches a device that changes its
   answer while we read it. */
static int virtio_input__ask(virtio_input *in, uint8_t select, uint8_t subsel,
                             virtio_input__answer *a) {
    int r;
    virtio_config_write8(&in->dev, VIRTIO_INPUT_CFG_SELECT, select);
    virtio_config_write8(&in->dev, VIRTIO_INPUT_CFG_SUBSEL, subsel);
    r = virtio_config_atomic(&in->dev, virtio_input__read_answer, a);
    if (r == VIRTIO_EDEVICE) return virtio_input__fault(in);
    return r;
}

/* A string answer, with or without a trailing NUL (QEMU counts one in NAME's size; "Strings
   do not include a NUL terminator"): up to its first NUL, NUL-terminated in dst. */
static void virtio_input__string(const virtio_input__answer *a, char *dst) {
    uint32_t i;
    for (i = 0; i < a->size && a->data[i] != 0; i++)
        dst[i] = (char)a->data[i];
    dst[i] = 0;
}

static int virtio_input__read_ids(virtio_input *in, struct virtio_input__info *info) {
    virtio_input__answer a;
    int r = virtio_input__ask(in, VIRTIO_INPUT_CFG_ID_NAME, 0, &a);
    if (r) return r;
    virtio_input__string(&a, info->name);
    r = virtio_input__ask(in, VIRTIO_INPUT_CFG_ID_SERIAL, 0, &a);
    if (r) return r;
    virtio_input__string(&a, info->serial);
    r = virtio_input__ask(in, VIRTIO_INPUT_CFG_ID_DEVIDS, 0, &a);
    if (r) return r;
    if (a.size != 0) {
        if (a.size < sizeof(virtio_input_devids)) return virtio_input__fault(in);
        info->ids.bustype = virtio_le16(a.data);
        info->ids.vendor = virtio_le16(a.data + 2);
        info->ids.product = virtio_le16(a.data + 4);
        info->ids.version = virtio_le16(a.data + 6);
        info->has_ids = 1;
    }
    r = virtio_input__ask(in, VIRTIO_INPUT_CFG_PROP_BITS, 0, &a);
    if (r) return r;
    for (; a.size < 4u; a.size++)
        a.data[a.size] = 0; /* bits the device did not send are clear */
    info->props = virtio_le32(a.data);
    return VIRTIO_OK;
}

/* EV_BITS of every event type, then ABS_INFO of every axis EV_ABS names. */
static int virtio_input__read_bits(virtio_input *in, struct virtio_input__info *info) {
    virtio_input__answer a;
    uint32_t k;
    int r;
    for (k = 0; k < VIRTIO_INPUT__TYPES; k++) {
        r = virtio_input__ask(in, VIRTIO_INPUT_CFG_EV_BITS, (uint8_t)k, &a);
        if (r) return r;
        /* "If size is non-zero the event type is supported"; the rest of the bitmap is 0. */
        virtio_copy(info->bits[k], a.data, a.size);
        if (a.size) info->types |= 1u << k;
    }
    for (k = 0; k < VIRTIO_INPUT__AXES; k++) {
        const uint8_t *b;
        if (!(info->bits[VIRTIO_INPUT_EV_ABS][k / 8u] & (1u << (k % 8u)))) continue;
        r = virtio_input__ask(in, VIRTIO_INPUT_CFG_ABS_INFO, (uint8_t)k, &a);
        if (r) return r;
        if (a.size == 0) continue; /* an axis without a range: abs_info says ENOTSUP */
        if (a.size < sizeof(virtio_input_absinfo)) return virtio_input__fault(in);
        b = a.data;
        info->abs[k].min = (int32_t)virtio_le32(b);
        info->abs[k].max = (int32_t)virtio_le32(b + 4);
        info->abs[k].fuzz = (int32_t)virtio_le32(b + 8);
        info->abs[k].flat = (int32_t)virtio_le32(b + 12);
        info->abs[k].res = (int32_t)virtio_le32(b + 16);
        info->abs_valid[k / 8u] = (uint8_t)(info->abs_valid[k / 8u] | (1u << (k % 8u)));
    }
    return VIRTIO_OK;
}
#endif /* !VIRTIO_INPUT_MINIMAL */

/* ---- Initialization: "Input Device / Device Initialization" ---------------------------------- */
/* Once the device is reset and idle, the memory is ours. It starts from zero. */
static void virtio_input__carve(virtio_input *in, const virtio_input__plan *pl, uint8_t *mem) {
    virtio_zero(mem, pl->total);
    in->ev_bufs = mem + pl->ev_bufs;
    in->ev_count = pl->nev;
    in->st_bufs = mem + pl->st_bufs;
    in->st_state = mem + pl->st_state;
    in->st_count = pl->nst;
    in->rep = (virtio_input_event *)(void *)(mem + pl->rep);
}

/* The queues: eventq 0 and statusq 1. The status queue ignores used lengths: its buffers are
   device-readable, so the right length is 0, and QEMU returns 8 (QEMU-NOTES). */
static int virtio_input__setup_queues(virtio_input *in, const virtio_input__plan *pl,
                                      uint8_t *mem) {
    virtio_queue_params qp;
    int r;
    virtio_zero(&qp, sizeof qp);
    qp.size = pl->evq;
    qp.ring = mem + pl->ev_ring;
    qp.ring_size = pl->ev_ring_size;
    qp.shadow = mem + pl->ev_shadow;
    qp.shadow_size = pl->ev_shadow_size;
    r = virtio_queue_init(&in->eventq, &in->dev, VIRTIO_INPUT_EVENTQ, &qp);
#ifdef VIRTIO_INPUT_MINIMAL /* no status events: the status queue is not set up */
    return r;
#else
    if (r) return r;
    qp.size = pl->stq;
    qp.flags = VIRTIO_QUEUE_F_IGNORE_LEN;
    qp.ring = mem + pl->st_ring;
    qp.ring_size = pl->st_ring_size;
    qp.shadow = mem + pl->st_shadow;
    qp.shadow_size = pl->st_shadow_size;
    return virtio_queue_init(&in->statusq, &in->dev, VIRTIO_INPUT_STATUSQ, &qp);
#endif
}

/* Adds event buffer b (8 bytes, device-writable: "These buffers MUST be device-writable and
   MUST be at least the size of struct virtio_input_event"), not yet published. */
static int virtio_input__post(virtio_input *in, uint8_t *b) {
    virtio_seg seg;
    seg.addr = b;
    seg.len = VIRTIO_INPUT_EVENT_SIZE;
    return virtio_queue_add(&in->eventq, &seg, 0, 1, b);
}

/* "The eventq is populated with receive buffers" (as many as the queue holds), DRIVER_OK, then
   the first notification ("The driver MUST NOT send any buffer available notifications to the
   device before setting DRIVER_OK"). Publishing returned buffers in batches keeps at least
   VIRTIO_INPUT_EVENT_BUFS_MIN posted. */
static int virtio_input__start(virtio_input *in) {
    uint32_t i, posted = virtio_queue_size(&in->eventq);
    int r;
    if (posted > in->ev_count) posted = in->ev_count;
    for (i = 0; i < posted; i++) {
        r = virtio_input__post(in, in->ev_bufs + (size_t)i * VIRTIO_INPUT_EVENT_SIZE);
        if (r) return r;
    }
    in->ev_batch = posted > VIRTIO_INPUT_EVENT_BUFS_MIN ? posted - VIRTIO_INPUT_EVENT_BUFS_MIN : 1u;
    if (in->ev_batch > VIRTIO_INPUT_KICK_BATCH) in->ev_batch = VIRTIO_INPUT_KICK_BATCH;
    r = virtio_dev_ready(&in->dev);
    return r ? r : virtio_queue_kick(&in->eventq);
}

VIRTIO_DEF int virtio_input_init(virtio_input *in, const virtio_transport *t,
                                 const virtio_input_params *p, void *mem, size_t mem_size) {
    virtio_input__plan pl;
    struct virtio_input__info *info;
    int r;
    /* Caller errors first, before any register access or memory write. Step numbers below are
       those of virtio 1.4 "Device Initialization". */
    if (!in || !t || !mem || virtio_input__plan_for(p, t, &pl) != VIRTIO_OK) return VIRTIO_EINVAL;
    if (mem_size < pl.total || ((uintptr_t)mem & (virtio_queue_ring_align(t) - 1u)) != 0)
        return VIRTIO_EINVAL;
    /* 1-3. Attach (VIRTIO_ENODEV for another device type, before any access), reset,
       ACKNOWLEDGE, DRIVER: until the reset completes, a device an earlier stage left running
       may still write `mem`. */
    r = virtio_dev_init(&in->dev, t, VIRTIO_ID_INPUT);
    if (r == VIRTIO_EINVAL || r == VIRTIO_ENODEV || r == VIRTIO_EVERSION) return r;
    /* The rest of the object starts from zero, even when the reset failed, so that no call
       follows a pointer of an earlier life. dev is the first field. */
    virtio_zero(&in->eventq, sizeof *in - offsetof(virtio_input, eventq));
    if (r) return r;
    /* The device is idle: the memory is ours. */
    virtio_input__carve(in, &pl, (uint8_t *)mem);
    info = (struct virtio_input__info *)(void *)((uint8_t *)mem + pl.info);
    /* 4-6. "Feature bits: None." The core adds the ring features it implements. */
    r = virtio_dev_negotiate(&in->dev, 0, 0);
    /* 7. "The device is queried for supported event types and codes", before DRIVER_OK (the
       configuration may be written only after FEATURES_OK, and QEMU's generation holds still
       only before DRIVER_OK). Then the queues. */
#ifndef VIRTIO_INPUT_MINIMAL /* else none: the info stays zeroed, the queries answer "none" */
    if (r == VIRTIO_OK) r = virtio_input__read_ids(in, info);
    if (r == VIRTIO_OK) r = virtio_input__read_bits(in, info);
#endif
    if (r == VIRTIO_OK) r = virtio_input__setup_queues(in, &pl, (uint8_t *)mem);
    /* 7-8. Event buffers, DRIVER_OK, first notification. */
    if (r == VIRTIO_OK) r = virtio_input__start(in);
    if (r) {
        virtio_input__drop_queues(in);
        return virtio_dev_fail(&in->dev, r);
    }
    in->info = info; /* the queries answer only for a device that came up */
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_input_reset(virtio_input *in) {
    int r;
    if (!in) return VIRTIO_EINVAL;
    r = virtio_dev_reset(&in->dev);
    if (r == VIRTIO_ESTATE) return r; /* never initialized: nothing to reset */
    if (r == VIRTIO_OK) virtio_input__drop_queues(in);
    return r;
}

/* ---- Queries --------------------------------------------------------------------------------- */
VIRTIO_DEF const char *virtio_input_name(const virtio_input *in) {
    return (in && in->info) ? in->info->name : "";
}
VIRTIO_DEF const char *virtio_input_serial(const virtio_input *in) {
    return (in && in->info) ? in->info->serial : "";
}

VIRTIO_DEF int virtio_input_ids(const virtio_input *in, virtio_input_devids *ids) {
    if (!in || !ids) return VIRTIO_EINVAL;
    if (!in->info) return VIRTIO_ESTATE; /* a caller error leaves *ids alone */
    virtio_zero(ids, sizeof *ids);
    if (!in->info->has_ids) return VIRTIO_ENOTSUP;
    virtio_copy(ids, &in->info->ids, sizeof *ids); /* no struct copy: it may call memcpy */
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_input_has_type(const virtio_input *in, uint32_t type) {
    if (!in || !in->info || type >= VIRTIO_INPUT__TYPES) return 0;
    return (in->info->types >> type) & 1u ? 1 : 0;
}

VIRTIO_DEF int virtio_input_has_event(const virtio_input *in, uint32_t type, uint32_t code) {
    if (!in || !in->info || type >= VIRTIO_INPUT__TYPES || code >= 8u * VIRTIO_INPUT_CFG_U_SIZE)
        return 0;
    return ((uint32_t)in->info->bits[type][code / 8u] >> (code % 8u)) & 1u ? 1 : 0;
}

VIRTIO_DEF int virtio_input_abs_info(const virtio_input *in, uint32_t axis,
                                     virtio_input_absinfo *info) {
    if (!in || !info) return VIRTIO_EINVAL;
    if (!in->info) return VIRTIO_ESTATE; /* a caller error leaves *info alone */
    virtio_zero(info, sizeof *info);
    if (axis >= VIRTIO_INPUT__AXES ||
        !(((uint32_t)in->info->abs_valid[axis / 8u] >> (axis % 8u)) & 1u))
        return VIRTIO_ENOTSUP;
    virtio_copy(info, &in->info->abs[axis], sizeof *info);
    return VIRTIO_OK;
}

VIRTIO_DEF uint32_t virtio_input_props(const virtio_input *in) {
    return (in && in->info) ? in->info->props : 0u;
}

VIRTIO_DEF int virtio_input_query(virtio_input *in, uint8_t select, uint8_t subsel, void *buf,
                                  uint32_t buf_size, uint32_t *len) {
#ifdef VIRTIO_INPUT_MINIMAL /* no configuration reads */
    int r;
    (void)select;
    (void)subsel;
    (void)len;
    if (!in || (!buf && buf_size)) return VIRTIO_EINVAL;
    r = virtio_input__usable(in);
    return r ? r : VIRTIO_ENOTSUP;
#else
    virtio_input__answer a;
    int r;
    if (!in || (!buf && buf_size)) return VIRTIO_EINVAL;
    r = virtio_input__usable(in);
    if (r == VIRTIO_OK) r = virtio_input__ask(in, select, subsel, &a);
    if (r) return r;
    virtio_copy(buf, a.data, a.size < buf_size ? a.size : buf_size);
    if (len) *len = a.size;
    return VIRTIO_OK;
#endif
}

/* ---- Events: "Input Device / Device Operation" ----------------------------------------------- */
/* Publishes the event buffers taken and added again since the last time: one notification (if
   the device asks for one) per batch. */
static int virtio_input__publish(virtio_input *in) {
    int r = virtio_queue_kick(&in->eventq);
    if (r) return r;
    in->ev_unpub = 0;
    in->stats.publishes++;
    return VIRTIO_OK;
}

/* Takes one event from the eventq: copied out in CPU order, its buffer added again at once. */
static int virtio_input__take(virtio_input *in, virtio_input_event *ev) {
    void *cookie = 0;
    uint32_t len = 0;
    uint8_t *b;
    int r = virtio_queue_poll(&in->eventq, &cookie, &len);
    /* A fault the core's checks just found is latched (FAILED set) once; an error the device
       had latched already comes back as it is, without another status write. */
    if (r == VIRTIO_EDEVICE && virtio_dev_usable(&in->dev) == VIRTIO_OK)
        return virtio_input__fault(in);
    if (r) return r;
    /* The cookie is our own pointer, from the driver's shadow; the core checked the id and
       that len is at most the 8 bytes posted. Fewer is not an event. */
    b = (uint8_t *)cookie;
    if (len < VIRTIO_INPUT_EVENT_SIZE) return virtio_input__fault(in);
    /* le16 type, le16 code, le32 value: little-endian on legacy transports too. */
    ev->type = virtio_le16(b);
    ev->code = virtio_le16(b + 2);
    ev->value = (int32_t)virtio_le32(b + 4);
    r = virtio_input__post(in, b); /* room: poll just freed its descriptor */
    if (r) return virtio_dev_fail(&in->dev, r);
    if (++in->ev_unpub >= in->ev_batch) return virtio_input__publish(in);
    return VIRTIO_OK;
}

static int virtio_input__is_report_end(const virtio_input_event *ev) {
    return ev->type == VIRTIO_INPUT_EV_SYN && ev->code == VIRTIO_INPUT_SYN_REPORT;
}

/* The oldest event read ahead by report_poll. */
static void virtio_input__pop(virtio_input *in, virtio_input_event *ev) {
    *ev = in->rep[in->rep_first];
    in->rep_first = (in->rep_first + 1u) % VIRTIO_INPUT_REPORT_MAX;
    in->rep_count--;
    if (virtio_input__is_report_end(ev)) in->rep_whole--;
}

VIRTIO_DEF int virtio_input_recv_poll(virtio_input *in, virtio_input_event *ev) {
    int r;
    if (!in) return VIRTIO_EINVAL;
    if (ev && in->rep_count == 0) {
        /* Fast path: virtio_queue_poll checks the eventq and the device itself (ESTATE,
           latched errors) before it reads the used ring. An error is latched: the checks
           below name it as before. */
        r = virtio_input__take(in, ev);
        if (r == VIRTIO_OK) in->stats.events++;
        if (r == VIRTIO_OK || r == VIRTIO_EAGAIN) return r;
    }
    r = virtio_input__usable(in);
    if (r) return r;
    if (!ev) return VIRTIO_EINVAL;
    if (in->rep_count) {
        virtio_input__pop(in, ev);
    } else {
        r = virtio_input__take(in, ev);
        if (r) return r;
    }
    in->stats.events++;
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_input_recv_wait(virtio_input *in, virtio_input_event *ev) {
    uint32_t i;
    int r;
    if (!in) return VIRTIO_EINVAL;
    r = virtio_input__usable(in);
    if (r) return r; /* an old error: this call found nothing new to reset for */
    for (i = 0;; i++) {
        r = virtio_input_recv_poll(in, ev);
        if (r != VIRTIO_EAGAIN) break;
        r = virtio_queue_spin(&in->eventq, i); /* bounded; notices NEEDS_RESET */
        if (r) break;
    }
    /* A timeout is no failure: the buffers are the driver's and the device goes on. */
    return virtio_input__device_error(r) ? virtio_input__abandon(in, r) : r;
}

VIRTIO_DEF int virtio_input_report_poll(virtio_input *in, virtio_input_event *evs, uint32_t max,
                                        uint32_t *n) {
    virtio_input_event ev;
    uint32_t k;
    int r;
    if (!in) return VIRTIO_EINVAL;
    r = virtio_input__usable(in);
    if (r) return r;
    if (!evs || !n || max == 0) return VIRTIO_EINVAL;
    /* Read ahead until a report is whole or the buffer is full: at most REPORT_MAX takes. */
    while (in->rep_whole == 0 && in->rep_count < VIRTIO_INPUT_REPORT_MAX) {
        r = virtio_input__take(in, &ev);
        if (r) return r; /* VIRTIO_EAGAIN: what came is kept for the next call */
        in->rep[(in->rep_first + in->rep_count) % VIRTIO_INPUT_REPORT_MAX] = ev;
        in->rep_count++;
        if (virtio_input__is_report_end(&ev)) in->rep_whole++;
    }
    for (k = 0; k < max && in->rep_count;) {
        virtio_input__pop(in, &evs[k++]);
        if (virtio_input__is_report_end(&evs[k - 1u])) {
            in->stats.reports++;
            break;
        }
    }
    *n = k;
    in->stats.events += k;
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_input_report_wait(virtio_input *in, virtio_input_event *evs, uint32_t max,
                                        uint32_t *n) {
    uint32_t i;
    int r;
    if (!in) return VIRTIO_EINVAL;
    r = virtio_input__usable(in);
    if (r) return r;
    for (i = 0;; i++) {
        r = virtio_input_report_poll(in, evs, max, n);
        if (r != VIRTIO_EAGAIN) break;
        r = virtio_queue_spin(&in->eventq, i);
        if (r) break;
    }
    return virtio_input__device_error(r) ? virtio_input__abandon(in, r) : r;
}

/* ---- Status: "Input Device / Device Operation" (statusq) ------------------------------------- */
#ifdef VIRTIO_INPUT_MINIMAL
/* VIRTIO_INPUT_MINIMAL: no status queue. */
VIRTIO_DEF int virtio_input_send_status(virtio_input *in, uint16_t type, uint16_t code,
                                        int32_t value) {
    int r;
    (void)type;
    (void)code;
    (void)value;
    if (!in) return VIRTIO_EINVAL;
    r = virtio_input__usable(in);
    return r ? r : VIRTIO_ENOTSUP;
}
#else
/* Takes back every status buffer the device has finished with (never waits). */
static int virtio_input__reclaim(virtio_input *in) {
    void *cookie;
    int r;
    for (;;) {
        cookie = 0;
        r = virtio_queue_poll(&in->statusq, &cookie, 0);
        if (r == VIRTIO_EAGAIN) return VIRTIO_OK;
        if (r == VIRTIO_EDEVICE) return virtio_input__fault(in); /* latched, FAILED set */
        if (r) return r;
        /* Our own pointer (the shadow), so its index is in range. */
        in->st_state[((uintptr_t)cookie - (uintptr_t)in->st_bufs) / VIRTIO_INPUT_EVENT_SIZE] = 0;
    }
}

VIRTIO_DEF int virtio_input_send_status(virtio_input *in, uint16_t type, uint16_t code,
                                        int32_t value) {
    virtio_seg seg;
    uint8_t *b;
    uint32_t i;
    int r;
    if (!in) return VIRTIO_EINVAL;
    r = virtio_input__usable(in);
    if (r == VIRTIO_OK) r = virtio_input__reclaim(in);
    if (r) return r;
    for (i = 0; i < in->st_count && in->st_state[i]; i++) {
    }
    if (i == in->st_count) return VIRTIO_ENOSPC;
    /* "Buffers placed into the statusq by a driver MUST be at least the size of struct
       virtio_input_event": exactly one, device-readable, little-endian. */
    b = in->st_bufs + (size_t)i * VIRTIO_INPUT_EVENT_SIZE;
    virtio_put_le16(b, type);
    virtio_put_le16(b + 2, code);
    virtio_put_le32(b + 4, (uint32_t)value);
    seg.addr = b;
    seg.len = VIRTIO_INPUT_EVENT_SIZE;
    r = virtio_queue_add(&in->statusq, &seg, 1, 0, b);
    if (r) return r; /* ENOSPC: the device shrank the queue below status_bufs */
    in->st_state[i] = 1;
    in->stats.status_sent++;
    return virtio_queue_kick(&in->statusq);
}
#endif /* VIRTIO_INPUT_MINIMAL */

VIRTIO_DEF uint32_t virtio_input_status_pending(const virtio_input *in) {
    return in ? virtio_queue_pending(&in->statusq) : 0u;
}

/* ---- Keyboard helpers ------------------------------------------------------------------------ */
/* US layout, Linux key codes 0..57 (KEY_RESERVED .. KEY_SPACE), without and with Shift. */
static const char virtio_input__keys[] = "\0\033"
                                         "1234567890-=\b\t"
                                         "qwertyuiop[]\n\0"
                                         "asdfghjkl;'`\0\\"
                                         "zxcvbnm,./\0*\0 ";
static const char virtio_input__shift_keys[] = "\0\033"
                                               "!@#$%^&*()_+\b\t"
                                               "QWERTYUIOP{}\n\0"
                                               "ASDFGHJKL:\"~\0|"
                                               "ZXCVBNM<>?\0*\0 ";
typedef char virtio_input__keys_check
    [sizeof virtio_input__keys == 59 && sizeof virtio_input__shift_keys == 59 ? 1 : -1];

/* The keypad (Num Lock on) and the ISO key beside Left Shift. */
static int virtio_input__other_key(uint32_t code, int shift) {
    static const char pad[] = "789-456+1230."; /* KEY_KP7 (71) .. KEY_KPDOT (83) */
    if (code >= VIRTIO_INPUT_KEY_KP7 && code <= VIRTIO_INPUT_KEY_KPDOT)
        return pad[code - VIRTIO_INPUT_KEY_KP7];
    switch (code) {
    case VIRTIO_INPUT_KEY_KPENTER: return '\n';
    case VIRTIO_INPUT_KEY_KPSLASH: return '/';
    case VIRTIO_INPUT_KEY_KPEQUAL: return '=';
    case VIRTIO_INPUT_KEY_102ND: return shift ? '|' : '\\';
    default: return 0;
    }
}

VIRTIO_DEF int virtio_input_key_to_ascii(uint32_t code, int shift, int caps) {
    int c;
    if (code > VIRTIO_INPUT_KEY_SPACE) return virtio_input__other_key(code, shift);
    c = (unsigned char)virtio_input__keys[code];
    /* Caps Lock shifts letters only, and Shift undoes it. */
    if (c >= 'a' && c <= 'z') return ((shift != 0) != (caps != 0)) ? c - 'a' + 'A' : c;
    return shift ? (unsigned char)virtio_input__shift_keys[code] : c;
}

VIRTIO_DEF int virtio_input_kbd_init(virtio_input_kbd *k, virtio_input *in) {
    if (!k) return VIRTIO_EINVAL;
    virtio_zero(k, sizeof *k);
    k->in = in;
    return VIRTIO_OK;
}

/* Sets or clears `bit` of a modifier's held mask by the key's value (0 = released). */
static void virtio_input__hold(uint8_t *mask, unsigned bit, int32_t value) {
    if (value)
        *mask = (uint8_t)(*mask | (1u << bit));
    else
        *mask = (uint8_t)(*mask & ~(1u << bit));
}

/* Caps Lock pressed: toggle, and light or darken its LED where the device has one. */
static int virtio_input__caps(virtio_input_kbd *k) {
    k->caps = (uint8_t)!k->caps;
    if (!k->in || !virtio_input_has_event(k->in, VIRTIO_INPUT_EV_LED, VIRTIO_INPUT_LED_CAPSL))
        return 0;
    return virtio_input_send_status(k->in, VIRTIO_INPUT_EV_LED, VIRTIO_INPUT_LED_CAPSL, k->caps);
}

VIRTIO_DEF int virtio_input_kbd_feed(virtio_input_kbd *k, const virtio_input_event *ev) {
    int c;
    if (!k || !ev) return VIRTIO_EINVAL;
    if (ev->type != VIRTIO_INPUT_EV_KEY) return 0;
    switch (ev->code) {
    case VIRTIO_INPUT_KEY_LEFTSHIFT: virtio_input__hold(&k->shift, 0, ev->value); return 0;
    case VIRTIO_INPUT_KEY_RIGHTSHIFT: virtio_input__hold(&k->shift, 1, ev->value); return 0;
    case VIRTIO_INPUT_KEY_LEFTCTRL: virtio_input__hold(&k->ctrl, 0, ev->value); return 0;
    case VIRTIO_INPUT_KEY_RIGHTCTRL: virtio_input__hold(&k->ctrl, 1, ev->value); return 0;
    case VIRTIO_INPUT_KEY_LEFTALT: virtio_input__hold(&k->alt, 0, ev->value); return 0;
    case VIRTIO_INPUT_KEY_RIGHTALT: virtio_input__hold(&k->alt, 1, ev->value); return 0;
    case VIRTIO_INPUT_KEY_CAPSLOCK:
        /* Toggles on the press only: autorepeat of a held Caps Lock changes nothing. */
        return ev->value == VIRTIO_INPUT_KEY_PRESS ? virtio_input__caps(k) : 0;
    default: break;
    }
    if (ev->value != VIRTIO_INPUT_KEY_PRESS && ev->value != VIRTIO_INPUT_KEY_REPEAT) return 0;
    c = virtio_input_key_to_ascii(ev->code, k->shift != 0, k->caps != 0);
    if (k->ctrl && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) c &= 0x1f;
    return c;
}

VIRTIO_DEF int virtio_input_line_init(virtio_input_line *l, char *buf, uint32_t size) {
    if (!l || !buf || size == 0 || size > 0x80000000u) return VIRTIO_EINVAL;
    l->buf = buf;
    l->size = size;
    l->len = 0;
    l->done = 0;
    buf[0] = 0;
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_input_line_feed(virtio_input_line *l, int ch) {
    if (!l || !l->buf || l->size == 0) return VIRTIO_EINVAL;
    if (l->done) { /* the last line was handed over: start a new one */
        l->len = 0;
        l->done = 0;
        l->buf[0] = 0;
    }
    if (ch == '\n' || ch == '\r') {
        l->done = 1;
        return VIRTIO_INPUT_LINE_DONE;
    }
    if (ch == '\b' || ch == 127) {
        if (l->len == 0) return VIRTIO_INPUT_LINE_NONE;
        l->buf[--l->len] = 0;
        return VIRTIO_INPUT_LINE_ERASED;
    }
    if (ch < 32 || ch > 126 || l->len + 1u >= l->size) return VIRTIO_INPUT_LINE_NONE;
    l->buf[l->len++] = (char)ch;
    l->buf[l->len] = 0;
    return VIRTIO_INPUT_LINE_ADDED;
}

#undef VIRTIO_INPUT__TYPES
#undef VIRTIO_INPUT__AXES

#endif /* VIRTIO_INPUT_IMPLEMENTATION */

/*
MIT License

Copyright (c) 2026 The virtio.h authors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
*/
