/* sim_input.h - a simulated virtio input device (device ID 18) for the host tests of
   virtio_input.h, a custom backend of the simulator (tests/sim.h, "Extra backends").

   Written from virtio 1.4 "Device Types / Input Device", with QEMU's habits (QEMU 7.2, see
   QEMU-NOTES "virtio-input devices") as switches:
   - configuration: select, subsel, size and the 128-byte union, answered for every select
     the spec defines from the tables below (name, serial, devids, property bits, EV_BITS per
     event type, ABS_INFO per axis); simi_override replaces any answer (hostile sizes, strings
     without or with NULs) and may state a size above 128;
   - `qemu_clobber`: a configuration read between the select and subsel writes makes select,
     subsel and size read 0 afterwards (QEMU writes back a zeroed copy); `gen_bump`: after
     DRIVER_OK every select or subsel write bumps the configuration generation (and raises a
     configuration interrupt); `past_ff`: bytes of the union past size read 0xff; `name_nul`:
     NAME's size counts a trailing NUL;
   - eventq (0): buffers are held until the test sends events (simi_report, simi_event), then
     filled in order, one event each, used length `ev_used_len` (0 = 8). Events sent before
     DRIVER_OK are discarded (QEMU). With `drop_reports` (QEMU) a report that finds fewer held
     buffers than it has events is dropped whole; without, events wait for buffers;
   - statusq (1): each event is logged and its buffer used at once with used length
     `st_used_len` (QEMU: 8, although it writes nothing), or held while `st_hold` is set (a
     device that never answers) until simi_release_status.

   Driver rules the backend checks (each breach is a simulator violation): eventq buffers
   device-writable only and at least 8 bytes; statusq buffers device-readable only and at
   least 8 bytes; configuration writes only to select and subsel, one byte wide. */
#ifndef SIM_INPUT_H
#define SIM_INPUT_H

#include "sim.h"

#define SIMI_HELD      1024  /* held buffers per queue */
#define SIMI_PENDING   65536 /* events waiting for buffers */
#define SIMI_LOG       1024  /* status events kept */
#define SIMI_OVERRIDES 16

/* The configuration, written down again from the spec. */
#define SIMI_CFG_ID_NAME   0x01
#define SIMI_CFG_ID_SERIAL 0x02
#define SIMI_CFG_ID_DEVIDS 0x03
#define SIMI_CFG_PROP_BITS 0x10
#define SIMI_CFG_EV_BITS   0x11
#define SIMI_CFG_ABS_INFO  0x12
#define SIMI_CONFIG_LEN    136 /* select, subsel, size, reserved[5], u[128] */

typedef struct simi_ev {
    uint16_t type, code;
    int32_t value;
} simi_ev;

typedef struct simi_held {
    uint16_t head;
    uint8_t *p; /* first segment */
    uint32_t len, wlen;
} simi_held;

typedef struct simi_override {
    int used;
    uint8_t select, subsel;
    uint32_t size; /* stated size (may exceed 128) */
    uint8_t data[128];
} simi_override;

typedef struct simi {
    sim *s;
    /* what the device is (set by simi_init for a kind; a test may change them) */
    char name[200];
    char serial[200];
    uint8_t ids[8];
    uint32_t ids_size;
    uint8_t props[128];
    uint32_t props_size;
    uint8_t bits[32][128];
    uint32_t bits_size[32];
    uint8_t abs[64][20];
    uint32_t abs_size[64];
    simi_override ov[SIMI_OVERRIDES];
    /* switches */
    int qemu_clobber, gen_bump, past_ff, name_nul, drop_reports, st_hold;
    uint32_t ev_used_len; /* 0 = 8 */
    uint32_t st_used_len; /* QEMU: 8 */
    /* state */
    uint8_t select, subsel;
    int select_pending;
    unsigned long reads_at_select;
    simi_held evq[SIMI_HELD], stq[SIMI_HELD];
    unsigned ev_first, ev_count, st_first, st_count;
    simi_ev pending[SIMI_PENDING];
    unsigned p_first, p_count;
    /* accounting */
    unsigned long clobbers, selects, delivered, reports_dropped, discarded, resets;
    simi_ev log[SIMI_LOG];
    uint32_t log_len[SIMI_LOG]; /* readable bytes of each status chain */
    unsigned nlog;
    int owned; /* made by simi_create: sim_destroy frees it */
} simi;

enum simi_kind { SIMI_KEYBOARD, SIMI_MOUSE, SIMI_TABLET };

/* Sets up `s` as an input device of `version` like QEMU's keyboard, mouse or tablet (name,
   ids bus 6 vendor 0x0627 product 1/2/3, event bits, the tablet's axes 0..32767), with QEMU's
   switches on (qemu_clobber, gen_bump, past_ff, name_nul, drop_reports, st_used_len 8) and
   queues 0 and 1 of 64 entries. The simi must outlive the sim's use (it is large: allocate). */
void simi_init(simi *c, sim *s, sim_arena *a, uint32_t version, enum simi_kind kind);
/* simi_init on a simi of its own (calloc), freed by sim_destroy(s). Aborts without memory. */
simi *simi_create(sim *s, sim_arena *a, uint32_t version, enum simi_kind kind);
/* Replaces the answer to (select, subsel): `size` is what the device states (0..255), `data`
   its first min(size, 128) bytes (NULL: zeros). */
void simi_override_answer(simi *c, uint8_t select, uint8_t subsel, uint32_t size,
                          const void *data);
/* Sets a bit of the EV_BITS bitmap of `type` (growing its size to cover it). */
void simi_set_bit(simi *c, uint16_t type, uint16_t code);

/* Sends one event (no report boundary) / a report of n events and its EV_SYN/SYN_REPORT. Both
   pick up newly posted buffers first (sim_process) and deliver what fits. simi_report returns
   0 if the report was dropped (drop_reports, too few buffers) or discarded (before DRIVER_OK),
   else 1. */
void simi_event(simi *c, uint16_t type, uint16_t code, int32_t value);
int simi_report(simi *c, const simi_ev *evs, unsigned n);
/* A key report: EV_KEY code value, SYN_REPORT. */
int simi_key(simi *c, uint16_t code, int32_t value);
/* Picks up posted buffers and delivers waiting events. */
void simi_pump(simi *c);
/* Event buffers the device holds now (after picking up posted ones). */
unsigned simi_held_events(simi *c);
/* Uses every held status buffer now. */
void simi_release_status(simi *c);

#endif /* SIM_INPUT_H */
