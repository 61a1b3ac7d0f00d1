/* sim_gpu.h - a simulated GPU (virtio-gpu, device ID 16, 2D) for the host tests of virtio_gpu.h,
   a custom backend of the simulator (tests/sim.h, "Extra backends").

   From the spec's "Device Types / GPU Device" and what QEMU 7.2 does (../shared/QEMU-NOTES.md):
   queue 0 controlq, queue 1 cursorq (16 entries), feature VIRTIO_GPU_F_EDID (bit 1), the
   configuration events_read / events_clear / num_scanouts / num_capsets / blob_alignment.
   Control commands: GET_DISPLAY_INFO (408-byte answer), GET_EDID (1056), RESOURCE_CREATE_2D,
   RESOURCE_UNREF (disables the scanouts showing it), RESOURCE_ATTACH_BACKING (twice: ERR_UNSPEC),
   RESOURCE_DETACH_BACKING, SET_SCANOUT (below 16x16: ERR_INVALID_PARAMETER; no backing:
   ERR_UNSPEC), TRANSFER_TO_HOST_2D (row k from offset + width * 4 * k of the backing, into the
   resource's host image), RESOURCE_FLUSH (copies the flushed part of the host image to every
   scanout showing the resource: the "display" a test inspects). Fences are echoed. The cursor
   queue is used with length 0 and never answered.

   Driver rules it checks (violations): a request shorter than its struct, a response buffer that
   is not exactly the size the command answers with, a TRANSFER offset other than
   y * stride + x * 4, a backing entry outside guest memory, a transfer reading past the backing,
   a GET_EDID without VIRTIO_GPU_F_EDID negotiated, a write to events_read or to a read-only
   configuration field.

   Misbehaviours (struct sim_gpu, set by the test; each counts down per command when a count is
   given): every error response type (err_type for the next err_count commands), a short used
   length, a response never written, the wrong success type, an unknown type, no fence echo, a
   wrong fence id, a hostile EDID size, a header-only answer with an inflated used length;
   num_scanouts is the test's to set (0, 17, ...); a device
   that never answers is the simulator's `swallow`, an overlong used length its
   SIM_MIS_USED_LEN_BIG. */
#ifndef SIM_GPU_H
#define SIM_GPU_H

#include "sim.h"

#define SIM_GPU_MAX_RES      32
#define SIM_GPU_MAX_SCANOUTS 16
#define SIM_GPU_EDID_LEN     128u

enum sim_gpu_mis {
    SIM_GPU_MIS_NONE,
    SIM_GPU_MIS_SHORT,      /* used length one less than the response */
    SIM_GPU_MIS_NO_WRITE,   /* used with the full length, response never written */
    SIM_GPU_MIS_WRONG_TYPE, /* the success type of another command */
    SIM_GPU_MIS_UNKNOWN,    /* a type no spec defines (0x1300) */
    SIM_GPU_MIS_NO_FENCE,   /* the fence flag is not echoed */
    SIM_GPU_MIS_BAD_FENCE,  /* the fence id echoed is another */
    SIM_GPU_MIS_EDID_SIZE,  /* GET_EDID says size 2000 */
    SIM_GPU_MIS_HDR_ONLY    /* writes the 24-byte header only and reports the bytes of request
                               and whole response buffer (kvmtool's count; the core clamps it) */
};

typedef struct sim_gpu_res {
    uint32_t id, format, width, height;
    uint8_t *image; /* the host's copy: width * height * 4 bytes */
    uint32_t nentries;
    uint64_t *addr; /* backing entries (device addresses) */
    uint32_t *len;
} sim_gpu_res;

typedef struct sim_gpu_scanout {
    uint32_t res_id; /* 0: disabled */
    uint32_t x, y, width, height;
    uint8_t *fb; /* what the display shows: width * height * 4 bytes, filled by flushes */
    unsigned long flushes;
} sim_gpu_scanout;

typedef struct sim_gpu {
    /* what GET_DISPLAY_INFO reports for each scanout (the test may change it, then call
       sim_gpu_event) */
    struct {
        uint32_t x, y, width, height, enabled;
    } display[SIM_GPU_MAX_SCANOUTS];
    uint8_t edid[SIM_GPU_MAX_SCANOUTS][SIM_GPU_EDID_LEN]; /* a base block per scanout */
    sim_gpu_res res[SIM_GPU_MAX_RES];
    sim_gpu_scanout scanout[SIM_GPU_MAX_SCANOUTS];
    /* cursor */
    uint32_t cursor_res, cursor_scanout, cursor_x, cursor_y, cursor_hot_x, cursor_hot_y;
    unsigned long cursor_updates, cursor_moves, cursor_ignored;
    /* accounting */
    unsigned long cmds;        /* control commands processed */
    unsigned long by_type[16]; /* per 2D command (type - 0x100) */
    unsigned long fenced;      /* of them, with VIRTIO_GPU_FLAG_FENCE */
    uint32_t last_type;        /* last control command type */
    uint64_t last_offset;      /* last TRANSFER_TO_HOST_2D offset */
    uint32_t last_rect[4];     /* and its rectangle */
    uint32_t last_nentries;    /* last ATTACH_BACKING's entry count */
    /* misbehaviours */
    uint32_t err_type; /* answer the next err_count commands with this response type */
    unsigned err_count;
    enum sim_gpu_mis mis; /* for the next mis_count commands */
    unsigned mis_count;
} sim_gpu;

/* A GPU of `version` in `s` (zeroed first), using arena `a`, with `num_scanouts` scanouts (the
   configuration field; values outside 1..16 are hostile), scanout 0 enabled at width x height,
   the others disabled at size 0 (QEMU with max_outputs and -display none). VIRTIO_GPU_F_EDID
   offered. The sim_gpu state is allocated and freed with the simulator (sim_destroy). */
void sim_init_gpu(sim *s, sim_arena *a, uint32_t version, uint32_t num_scanouts, uint32_t width,
                  uint32_t height);
/* The GPU state of a simulator set up by sim_init_gpu. */
sim_gpu *sim_gpu_of(sim *s);
/* Raises VIRTIO_GPU_EVENT_DISPLAY in events_read (and changes the configuration generation). */
void sim_gpu_event(sim *s);
/* Pixel (x, y) of what scanout `scanout` shows: its 4 bytes as this host reads a uint32_t (the
   view of a caller's uint32_t framebuffer, on either byte order), or 0xdeadbeef outside it. */
uint32_t sim_gpu_pixel(sim *s, unsigned scanout, uint32_t x, uint32_t y);
/* The resource `id`'s record, or NULL. */
sim_gpu_res *sim_gpu_res_find(sim *s, uint32_t id);
/* Fills `edid` (128 bytes) with a valid base block: preferred mode width x height, monitor
   name `name` (up to 13 characters), manufacturer "RHT", product `product`. */
void sim_gpu_make_edid(uint8_t *edid, uint32_t width, uint32_t height, const char *name,
                       uint16_t product);

#endif /* SIM_GPU_H */
