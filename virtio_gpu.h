/* virtio_gpu.h - v0.2.0 - polled VirtIO GPU (virtio-gpu, 2D) driver, on virtio.h
   MIT licensed, see the end of the file.

   A picture on screen from a virtio-gpu device (QEMU's `virtio-gpu-device`: riscv and Arm `virt`
   machines have no VGA): display discovery (GET_DISPLAY_INFO, EDID with a small parser), 2D
   resources backed by caller memory (one block or scattered pages), scanouts (several heads,
   mirroring, page flipping), rectangle updates blocking or pipelined (submit / kick / poll /
   wait: many rectangles, one notification), the hardware cursor, and display-change events
   without interrupts. Built only on virtio.h's public API.

QUICK START

       #define VIRTIO_IMPLEMENTATION        // in exactly one C file
       #include "virtio.h"
       #define VIRTIO_GPU_IMPLEMENTATION
       #include "virtio_gpu.h"

       // Scan the slots (QEMU's riscv `virt`: 8 at 0x10001000, filled from the top), probe.
       virtio_mmio_slot slots[8];
       int i = 0, n = virtio_mmio_scan(NULL, (void *)0x10001000, 0x1000, 8, slots, 8);
       while (i < n && slots[i].device_id != VIRTIO_ID_GPU) i++;
       if (i == n) return VIRTIO_ENODEV;                       // no GPU
       virtio_regs regs = virtio_mmio_regs(slots[i].base);     // plain MMIO: no callback
       virtio_transport t;
       int r = virtio_mmio_transport(&t, &regs);               // read-only probe

       static uint8_t mem[VIRTIO_GPU_MEM(0, 0, 0, 0)] __attribute__((aligned(4096)));
       static uint32_t fb[1280 * 800];                         // the device reads it (DMA)
       virtio_gpu_params p = {0};                              // zero fields: defaults
       static virtio_gpu gpu;                                  // must not move after init
       virtio_gpu_rect all = {0, 0, 1280, 800};
       int on = 0;
       if (r == 0) r = virtio_gpu_init(&gpu, &t, &p, mem, sizeof mem);  // reads display info
       if (r == 0) r = virtio_gpu_display(&gpu, 0, &all, &on);  // scanout 0's preferred size
       // (size fb for all.width x all.height: virtio_gpu_fb_size; 1024x768 if !on)
       if (r == 0) r = virtio_gpu_resource_create(&gpu, 1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
                                                  all.width, all.height);
       if (r == 0) r = virtio_gpu_attach_fb(&gpu, 1, fb, sizeof fb);
       if (r == 0) r = virtio_gpu_set_scanout(&gpu, 0, 1, &all);
       // draw: fb[y * all.width + x] = 0x00RRGGBB (B8G8R8X8: bytes B, G, R, X in memory)
       if (r == 0) r = virtio_gpu_update(&gpu, 1, &all);       // transfer + flush, then wait
       if (r != 0) print(virtio_result_str(r));

DRAWING AND UPDATING
   A resource is the host's copy of an image; its backing is the caller's memory that the device
   copies from. Pixels are 4 bytes in every format; rows are virtio_gpu_stride(width, format)
   bytes (width * 4, what QEMU assumes), a framebuffer virtio_gpu_fb_size(w, h, format) bytes.
   Draw into the backing, then transfer the changed rectangle (the device copies it into the
   resource) and flush it (the device shows it on every scanout that shows the resource):
   virtio_gpu_update does both with one notification. Many rectangles: virtio_gpu_transfer_submit
   and virtio_gpu_flush_submit for each, one virtio_gpu_kick, then virtio_gpu_wait until it
   returns VIRTIO_EAGAIN (or virtio_gpu_wait_all). A returned command is complete: every command
   carries VIRTIO_GPU_FLAG_FENCE, so "the device MUST finish the processing before returning
   the command", and the backing may be drawn into again.

SCANOUTS, PAGE FLIPPING, CURSOR
   One resource per scanout, one large resource with a rectangle per scanout, or one resource on
   several scanouts (mirroring): virtio_gpu_set_scanout takes the scanout, the resource and the
   rectangle of the resource it shows. Resource 0 disables a scanout. Page flipping without
   tearing, with resources A (shown) and B: draw into B's backing, virtio_gpu_transfer B (it
   returns once the host copy of B is complete: fenced), virtio_gpu_set_scanout(scanout, B),
   virtio_gpu_flush B; then draw the next frame into A. The cursor is a 64x64
   VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM resource: create it, attach backing, draw, transfer (fenced:
   "make sure the commands to fill the resource are actually processed"), then
   virtio_gpu_cursor_set; virtio_gpu_cursor_move moves it, virtio_gpu_cursor_hide hides it.
   Display changes (a window resized, a head enabled): call virtio_gpu_poll_events now and then.

DOES NOT
   allocate, take interrupts, lock, or do 3D: it negotiates VIRTIO_GPU_F_EDID when offered and
   nothing else (no VIRGL, RESOURCE_UUID, RESOURCE_BLOB or CONTEXT_INIT: no contexts, capsets,
   blobs or shared memory). It never reads back from the host (2D has no transfer from host).

MEMORY
   A virtio_gpu object (caller's, must not move after init) and one block for the driver:
   virtio_gpu_mem_size(&p, &t) bytes aligned to virtio_queue_ring_align(&t) (4096 for a legacy
   transport, 16 for a modern one; 4096 fits both), reachable by the device.
   VIRTIO_GPU_MEM(ctrl_queue_size, cursor_queue_size, max_resources, max_pieces) is a
   compile-time bound that fits every transport (0 for any means its default). Layout, one
   plan for both the size and init:
     rings        control queue, then cursor queue (device)
     big          one 1056-byte response buffer: GET_EDID's (GET_DISPLAY_INFO's 408 fit)
     commands     ctrl_queue_size / 2 slots of virtio_gpu_cmd: a request and its own 24-byte
                  response, each a command in flight (device)
     entries      max_pieces virtio_gpu_mem_entry for RESOURCE_ATTACH_BACKING (device reads)
     cursor cmds  cursor_queue_size virtio_gpu_update_cursor (device reads)
     private      the queues' shadows, the slots' states, max_resources virtio_gpu_resource
                  records, a byte per cursor slot (driver only)
   Legacy virtio-pci fixes each queue's size (QEMU: 256): the rings have the device's size,
   the driver uses the entries the params ask for. virtio_gpu_mem_size(&p, &t) with the
   probed transport counts that; the compile-time bound holds there when its queue sizes are
   at least the device's, or for any when the device's are at most 128 (virtio.h,
   VIRTIO_QUEUE_RING_MEM).
   Framebuffers are the caller's: any address the device can reach, at least
   virtio_gpu_fb_size(width, height, format) bytes in total (one block, or pieces in order).
   A backing is the device's from attach until detach or unref returns (or a reset): the device
   reads it on every transfer. Drawing into it is fine while no transfer of it is in flight.

CONFIGURATION (define where the implementation is)
   VIRTIO_GPU_MINIMAL   set a scanout and update a framebuffer, nothing else, for bootloaders;
                        VIRTIO_MINIMAL (virtio.h) defines it too. VIRTIO_GPU_F_EDID is never
                        negotiated and init reads no EDID; the cursor queue is not set up (its
                        room in the block stays, unused). virtio_gpu_get_edid,
                        virtio_gpu_edid_parse, virtio_gpu_poll_events (display-change events)
                        and the three cursor calls return VIRTIO_ENOTSUP after their usual
                        argument and state checks, and touch nothing; virtio_gpu_has_edid is 0.
                        Resources, scanouts, transfers, flushes, the pipelined calls and
                        virtio_gpu_get_display_info are unchanged.

ERRORS
   As virtio.h: 0 or a negative virtio_result. A caller bug is VIRTIO_EINVAL and changes
   nothing (no register access, no byte of memory written): a NULL pointer, params out of range
   (a queue size that is not a power of two, ctrl_queue_size below 4, max_resources or
   max_pieces above 65535), memory too small or misaligned, resource id 0, a format this driver
   does not know, a width or height of 0 or above VIRTIO_GPU_MAX_DIM, a resource id that is
   not created (or already is, for create), a rectangle that is empty or not inside the
   resource, an unknown scanout, backing smaller than virtio_gpu_fb_size, more pieces than
   max_pieces, a cursor that is not a 64x64 resource with backing, a hot spot outside it.
   VIRTIO_ENOSPC from a create when max_resources resources exist, and from a submit when every
   command slot or the queue is full (wait, then retry). virtio_gpu_init on a device of another
   type is VIRTIO_ENODEV, before any register access. A zeroed object gives VIRTIO_ESTATE, and
   so does a blocking call while submitted commands are pending (collect them first:
   virtio_gpu_wait until VIRTIO_EAGAIN, or virtio_gpu_wait_all).
   The device's answer is checked five ways: the response type must have been written (it is
   preset to a value no device writes), be the one that command answers with or an error; the
   used length must be that response's size (an error needs only its 24-byte header); the
   fence flag and id must be the request's, echoed; a display info or EDID answer must have
   its body written (each display's `enabled` and the EDID `size` are preset to that value
   too), since a used length above the buffer (kvmtool counts the request as well) is clamped
   by the core to the buffer's size and would make a header-only answer look complete.
   Errors the device reports, each its own result (virtio_gpu_last_error gives the exact
   response type); they are not latched, the next command may succeed:
     VIRTIO_GPU_RESP_ERR_UNSPEC              VIRTIO_EIO      (QEMU: no backing, attached twice)
     VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY       VIRTIO_ENOSPC   (host memory, e.g. max_hostmem)
     VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID  VIRTIO_ERANGE
     VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID VIRTIO_ENODEV   (the device knows no such resource)
     VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID  VIRTIO_ENOTSUP  (3D contexts: never negotiated)
     VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER   VIRTIO_EUNSUPP  (QEMU: a scanout below 16x16)
   A device fault is VIRTIO_EDEVICE and latched (later calls return it until the next init): a
   response never written (its header, or a display info or EDID body), of an unknown or wrong
   type, of the wrong length, a fence not
   echoed, an EDID size above 1024, num_scanouts outside 1..16 at init, a display size above
   VIRTIO_GPU_MAX_DIM. A call that waits also resets the device then, as below;
   virtio_gpu_poll only latches it.
   Buffer ownership (virtio 1.4 "Device Cleanup"): a call that waits (the blocking calls,
   virtio_gpu_wait, virtio_gpu_wait_all) never returns with a buffer in the device's hands. When
   its wait fails (VIRTIO_ETIMEDOUT, VIRTIO_ENEEDS_RESET, VIRTIO_EDEVICE) it resets the device
   first: every command is over, every backing is the caller's again, the display is gone and
   the error is latched: call virtio_gpu_init to use the device again. If even that reset does
   not complete, the call returns VIRTIO_EBUSY: the device may still read those buffers, so
   leave them alone and retry virtio_gpu_reset until it returns 0. virtio_gpu_poll never waits,
   so it never resets. Cursor commands are never answered (QEMU writes no response): their
   slots are reclaimed when the device has used them, without waiting; a cursor call finding
   every slot in use waits (bounded) for the device to use one.

CONCURRENCY
   One caller per virtio_gpu at a time; no globals, so separate GPUs need no locking. Every wait
   is bounded (the accessor's spin_limit and relax hook, see virtio.h). No interrupts: display
   changes are noticed by virtio_gpu_poll_events.

SPEC
   virtio 1.4 "Device Types / GPU Device": feature bits, device configuration layout (events,
   num_scanouts), device initialization, device operation ("Create a framebuffer and configure
   scanout", "Update a framebuffer and scanout", "Using pageflip", "Multihead setup", "Command
   lifecycle and fencing", "Configure mouse cursor", "Request header", "controlq", "cursorq"),
   and "General Initialization And Device Operation / Device Cleanup".
*/

#ifndef VIRTIO_GPU_H
#define VIRTIO_GPU_H

/* VIRTIO_MINIMAL (virtio.h): the smallest GPU driver too. */
#if defined(VIRTIO_MINIMAL) && !defined(VIRTIO_GPU_MINIMAL)
#define VIRTIO_GPU_MINIMAL
#endif

#ifndef VIRTIO_H
#error "include virtio.h before virtio_gpu.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Feature bits: "GPU Device / Feature bits" ----------------------------------------------- */
#define VIRTIO_GPU_F_VIRGL          0
#define VIRTIO_GPU_F_EDID           1
#define VIRTIO_GPU_F_RESOURCE_UUID  2
#define VIRTIO_GPU_F_RESOURCE_BLOB  3
#define VIRTIO_GPU_F_CONTEXT_INIT   4
#define VIRTIO_GPU_F_BLOB_ALIGNMENT 5

/* ---- Configuration: struct virtio_gpu_config, byte offsets ----------------------------------- */
#define VIRTIO_GPU_CFG_EVENTS_READ    0  /* le32, the driver MUST NOT write it */
#define VIRTIO_GPU_CFG_EVENTS_CLEAR   4  /* le32, write 1 to clear a bit of events_read */
#define VIRTIO_GPU_CFG_NUM_SCANOUTS   8  /* le32, 1..16 */
#define VIRTIO_GPU_CFG_NUM_CAPSETS    12 /* le32 */
#define VIRTIO_GPU_CFG_BLOB_ALIGNMENT 16 /* le32 */
#define VIRTIO_GPU_EVENT_DISPLAY      (1u << 0)

/* ---- enum virtio_gpu_ctrl_type: "Device Operation: Request header" --------------------------- */
/* 2d commands */
#define VIRTIO_GPU_CMD_GET_DISPLAY_INFO        0x0100u
#define VIRTIO_GPU_CMD_RESOURCE_CREATE_2D      0x0101u
#define VIRTIO_GPU_CMD_RESOURCE_UNREF          0x0102u
#define VIRTIO_GPU_CMD_SET_SCANOUT             0x0103u
#define VIRTIO_GPU_CMD_RESOURCE_FLUSH          0x0104u
#define VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D     0x0105u
#define VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING 0x0106u
#define VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING 0x0107u
#define VIRTIO_GPU_CMD_GET_CAPSET_INFO         0x0108u
#define VIRTIO_GPU_CMD_GET_CAPSET              0x0109u
#define VIRTIO_GPU_CMD_GET_EDID                0x010au
#define VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID    0x010bu
#define VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB    0x010cu
#define VIRTIO_GPU_CMD_SET_SCANOUT_BLOB        0x010du
/* cursor commands */
#define VIRTIO_GPU_CMD_UPDATE_CURSOR 0x0300u
#define VIRTIO_GPU_CMD_MOVE_CURSOR   0x0301u
/* success responses */
#define VIRTIO_GPU_RESP_OK_NODATA        0x1100u
#define VIRTIO_GPU_RESP_OK_DISPLAY_INFO  0x1101u
#define VIRTIO_GPU_RESP_OK_CAPSET_INFO   0x1102u
#define VIRTIO_GPU_RESP_OK_CAPSET        0x1103u
#define VIRTIO_GPU_RESP_OK_EDID          0x1104u
#define VIRTIO_GPU_RESP_OK_RESOURCE_UUID 0x1105u
#define VIRTIO_GPU_RESP_OK_MAP_INFO      0x1106u
/* error responses */
#define VIRTIO_GPU_RESP_ERR_UNSPEC              0x1200u
#define VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY       0x1201u
#define VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID  0x1202u
#define VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID 0x1203u
#define VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID  0x1204u
#define VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER   0x1205u

#define VIRTIO_GPU_FLAG_FENCE         (1u << 0)
#define VIRTIO_GPU_FLAG_INFO_RING_IDX (1u << 1)
#define VIRTIO_GPU_MAX_SCANOUTS       16u

/* ---- enum virtio_gpu_formats: "controlq", VIRTIO_GPU_CMD_RESOURCE_CREATE_2D ------------------ */
/* Named by byte order in memory: B8G8R8X8 is bytes B, G, R, X, i.e. the little-endian 32-bit
   value 0xXXRRGGBB. Every format is 4 bytes per pixel. */
#define VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM 1u
#define VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM 2u
#define VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM 3u
#define VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM 4u
#define VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM 67u
#define VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM 68u
#define VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM 121u
#define VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM 134u

#define VIRTIO_GPU_BYTES_PER_PIXEL 4u
#define VIRTIO_GPU_MAX_DIM         16384u /* widest / tallest resource this driver creates */
#define VIRTIO_GPU_CURSOR_DIM      64u    /* "it must be 64x64 in size" */
#define VIRTIO_GPU_EDID_BYTES      1024u  /* struct virtio_gpu_resp_edid.edid */

/* ---- Device structures (little-endian fields; the driver converts) --------------------------- */
/* The spec defines virtio-gpu for modern devices only; QEMU's legacy virtio-gpu-device
   (force-legacy) keeps the same little-endian fields, so the driver writes them little-endian
   on both. */
/* struct virtio_gpu_ctrl_hdr: every request and response starts with it. */
typedef struct virtio_gpu_ctrl_hdr {
    uint32_t type;     /* le32: VIRTIO_GPU_CMD_* / VIRTIO_GPU_RESP_* */
    uint32_t flags;    /* le32: VIRTIO_GPU_FLAG_* */
    uint64_t fence_id; /* le64: echoed in the response when FLAG_FENCE is set */
    uint32_t ctx_id;   /* le32: 3D only */
    uint8_t ring_idx;  /* u8: CONTEXT_INIT only */
    uint8_t padding[3];
} virtio_gpu_ctrl_hdr;

/* struct virtio_gpu_rect: 0,0 is top left, x grows right, y grows down. Used in CPU order by
   the API too. */
typedef struct virtio_gpu_rect {
    uint32_t x;
    uint32_t y;
    uint32_t width;
    uint32_t height;
} virtio_gpu_rect;

/* struct virtio_gpu_display_one (in struct virtio_gpu_resp_display_info). */
typedef struct virtio_gpu_display_one {
    virtio_gpu_rect r; /* le32 each: preferred position and size */
    uint32_t enabled;  /* le32: the user enabled the display ("connected") */
    uint32_t flags;    /* le32 */
} virtio_gpu_display_one;

/* struct virtio_gpu_resp_display_info: GET_DISPLAY_INFO's response, 408 bytes. */
typedef struct virtio_gpu_resp_display_info {
    virtio_gpu_ctrl_hdr hdr;
    virtio_gpu_display_one pmodes[VIRTIO_GPU_MAX_SCANOUTS];
} virtio_gpu_resp_display_info;

/* struct virtio_gpu_get_edid / struct virtio_gpu_resp_edid (1056 bytes). */
typedef struct virtio_gpu_get_edid_req {
    virtio_gpu_ctrl_hdr hdr;
    uint32_t scanout; /* le32 */
    uint32_t padding;
} virtio_gpu_get_edid_req;
typedef struct virtio_gpu_resp_edid {
    virtio_gpu_ctrl_hdr hdr;
    uint32_t size; /* le32: bytes of edid[] that hold the blob */
    uint32_t padding;
    uint8_t edid[VIRTIO_GPU_EDID_BYTES];
} virtio_gpu_resp_edid;

/* struct virtio_gpu_resource_create_2d. */
typedef struct virtio_gpu_resource_create_2d {
    virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id; /* le32, chosen by the driver, nonzero */
    uint32_t format;      /* le32: VIRTIO_GPU_FORMAT_* */
    uint32_t width;       /* le32 */
    uint32_t height;      /* le32 */
} virtio_gpu_resource_create_2d;

/* struct virtio_gpu_resource_unref and struct virtio_gpu_resource_detach_backing (same shape).
   Three request structs take a _req suffix: the function of the same name is the API's. */
typedef struct virtio_gpu_resource_unref_req {
    virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id; /* le32 */
    uint32_t padding;
} virtio_gpu_resource_unref_req;
typedef virtio_gpu_resource_unref_req virtio_gpu_resource_detach_backing;

/* struct virtio_gpu_set_scanout. */
typedef struct virtio_gpu_set_scanout_req {
    virtio_gpu_ctrl_hdr hdr;
    virtio_gpu_rect r;    /* the part of the resource the scanout shows */
    uint32_t scanout_id;  /* le32 */
    uint32_t resource_id; /* le32, 0 disables the scanout */
} virtio_gpu_set_scanout_req;

/* struct virtio_gpu_resource_flush. */
typedef struct virtio_gpu_resource_flush {
    virtio_gpu_ctrl_hdr hdr;
    virtio_gpu_rect r;
    uint32_t resource_id; /* le32 */
    uint32_t padding;
} virtio_gpu_resource_flush;

/* struct virtio_gpu_transfer_to_host_2d. */
typedef struct virtio_gpu_transfer_to_host_2d {
    virtio_gpu_ctrl_hdr hdr;
    virtio_gpu_rect r;
    uint64_t offset;      /* le64: byte of the backing where r starts: y * stride + x * 4 */
    uint32_t resource_id; /* le32 */
    uint32_t padding;
} virtio_gpu_transfer_to_host_2d;

/* struct virtio_gpu_resource_attach_backing, followed by nr_entries struct
   virtio_gpu_mem_entry. */
typedef struct virtio_gpu_resource_attach_backing {
    virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id; /* le32 */
    uint32_t nr_entries;  /* le32 */
} virtio_gpu_resource_attach_backing;
typedef struct virtio_gpu_mem_entry {
    uint64_t addr;   /* le64: device address */
    uint32_t length; /* le32 */
    uint32_t padding;
} virtio_gpu_mem_entry;

/* struct virtio_gpu_cursor_pos, struct virtio_gpu_update_cursor (both cursor commands). */
typedef struct virtio_gpu_cursor_pos {
    uint32_t scanout_id; /* le32 */
    uint32_t x;          /* le32 */
    uint32_t y;          /* le32 */
    uint32_t padding;
} virtio_gpu_cursor_pos;
typedef struct virtio_gpu_update_cursor {
    virtio_gpu_ctrl_hdr hdr;
    virtio_gpu_cursor_pos pos;
    uint32_t resource_id; /* le32, 0 hides the cursor */
    uint32_t hot_x;       /* le32 */
    uint32_t hot_y;       /* le32 */
    uint32_t padding;
} virtio_gpu_update_cursor;

/* Layout checks against the spec's structs (sizes and the offsets a compiler could move). */
typedef char virtio_gpu__layout_check
    [sizeof(virtio_gpu_ctrl_hdr) == 24 && offsetof(virtio_gpu_ctrl_hdr, fence_id) == 8 &&
             offsetof(virtio_gpu_ctrl_hdr, ctx_id) == 16 &&
             offsetof(virtio_gpu_ctrl_hdr, ring_idx) == 20 && sizeof(virtio_gpu_rect) == 16 &&
             sizeof(virtio_gpu_display_one) == 24 && sizeof(virtio_gpu_resp_display_info) == 408 &&
             sizeof(virtio_gpu_get_edid_req) == 32 && sizeof(virtio_gpu_resp_edid) == 1056 &&
             offsetof(virtio_gpu_resp_edid, edid) == 32 &&
             sizeof(virtio_gpu_resource_create_2d) == 40 &&
             sizeof(virtio_gpu_resource_unref_req) == 32 &&
             sizeof(virtio_gpu_set_scanout_req) == 48 &&
             offsetof(virtio_gpu_set_scanout_req, scanout_id) == 40 &&
             sizeof(virtio_gpu_resource_flush) == 48 &&
             sizeof(virtio_gpu_transfer_to_host_2d) == 56 &&
             offsetof(virtio_gpu_transfer_to_host_2d, offset) == 40 &&
             offsetof(virtio_gpu_transfer_to_host_2d, resource_id) == 48 &&
             sizeof(virtio_gpu_resource_attach_backing) == 32 &&
             sizeof(virtio_gpu_mem_entry) == 16 && sizeof(virtio_gpu_cursor_pos) == 16 &&
             sizeof(virtio_gpu_update_cursor) == 56 &&
             offsetof(virtio_gpu_update_cursor, resource_id) == 40
         ? 1
         : -1];

/* ---- Driver ---------------------------------------------------------------------------------- */
#define VIRTIO_GPU_CTRL_QUEUE_SIZE   64u /* default control queue entries */
#define VIRTIO_GPU_CURSOR_QUEUE_SIZE 16u /* default cursor queue entries (QEMU offers 16) */
#define VIRTIO_GPU_RESOURCES         8u  /* default resources the driver keeps track of */
#define VIRTIO_GPU_PIECES            64u /* default pieces of one attach_backing */

/* Zero fields mean defaults. */
typedef struct virtio_gpu_params {
    uint32_t ctrl_queue_size;   /* control queue entries: a power of two, 4..32768, default 64;
                                   ctrl_queue_size / 2 commands can be in flight (fewer if the
                                   device offers a smaller queue) */
    uint32_t cursor_queue_size; /* cursor queue entries: a power of two up to 32768, default
                                   16: cursor commands the device has not used yet */
    uint32_t max_resources;     /* resources existing at once, 1..65535, default 8 */
    uint32_t max_pieces;        /* pieces of one backing (virtio_gpu_attach_backing),
                                   1..65535, default 64 */
} virtio_gpu_params;

/* One piece of a backing: `len` bytes at `addr` (contiguous for the device). */
typedef struct virtio_gpu_piece {
    void *addr;
    size_t len;
} virtio_gpu_piece;

/* One control command slot as the device sees it (in the driver memory block): the request
   and the response buffer of a command answered by a bare header. */
typedef struct virtio_gpu_cmd {
    union {
        virtio_gpu_ctrl_hdr hdr;
        virtio_gpu_get_edid_req get_edid;
        virtio_gpu_resource_create_2d create;
        virtio_gpu_resource_unref_req unref;
        virtio_gpu_set_scanout_req set_scanout;
        virtio_gpu_resource_flush flush;
        virtio_gpu_transfer_to_host_2d transfer;
        virtio_gpu_resource_attach_backing attach;
        uint64_t align[8];
    } req;
    virtio_gpu_ctrl_hdr resp; /* written by the device */
} virtio_gpu_cmd;

/* The driver's record of one command slot (driver memory, never seen by the device). */
typedef struct virtio_gpu_cmd_state {
    uint64_t fence;    /* the fence id it carries */
    uint32_t type;     /* VIRTIO_GPU_CMD_* */
    uint32_t resp_len; /* bytes its OK response has */
    int32_t result;    /* outcome once finished */
    uint8_t state;     /* free, with the device, finished */
    uint8_t pad[3];
} virtio_gpu_cmd_state;

/* The driver's record of one resource (driver memory). */
typedef struct virtio_gpu_resource {
    uint32_t id; /* 0: free record */
    uint32_t format;
    uint32_t width;
    uint32_t height;
    uint32_t backed; /* backing attached */
    uint32_t pad;
} virtio_gpu_resource;

/* The one large response buffer: GET_EDID's and GET_DISPLAY_INFO's (device memory). */
typedef union virtio_gpu_big {
    virtio_gpu_ctrl_hdr hdr;
    virtio_gpu_resp_display_info display_info;
    virtio_gpu_resp_edid edid;
} virtio_gpu_big;

/* A scanout as GET_DISPLAY_INFO last described it (CPU order). */
typedef struct virtio_gpu_display_info {
    virtio_gpu_rect r;
    uint32_t enabled;
    uint32_t flags;
} virtio_gpu_display_info;

/* What virtio_gpu_edid_parse finds in an EDID base block. */
typedef struct virtio_gpu_edid_info {
    uint32_t width;   /* preferred mode (the first detailed timing), pixels; 0 if none */
    uint32_t height;  /* lines; 0 if none */
    char name[14];    /* monitor name descriptor, NUL-terminated; "" if none */
    char vendor[4];   /* three-letter manufacturer ID ("RHT" for QEMU), NUL-terminated */
    uint16_t product; /* manufacturer's product code */
} virtio_gpu_edid_info;

/* Bytes of driver memory, for any transport, at compile time (0 for any argument = its
   default). */
#define VIRTIO_GPU__CQ(n) ((n) ? (n) : VIRTIO_GPU_CTRL_QUEUE_SIZE)
#define VIRTIO_GPU__KQ(n) ((n) ? (n) : VIRTIO_GPU_CURSOR_QUEUE_SIZE)
#define VIRTIO_GPU__NR(n) ((size_t)((n) ? (n) : VIRTIO_GPU_RESOURCES))
#define VIRTIO_GPU__NP(n) ((size_t)((n) ? (n) : VIRTIO_GPU_PIECES))
#define VIRTIO_GPU_MEM(ctrl_queue_size, cursor_queue_size, max_resources, max_pieces)              \
    (VIRTIO_QUEUE_MEM(VIRTIO_GPU__CQ(ctrl_queue_size)) +                                           \
     VIRTIO_QUEUE_MEM(VIRTIO_GPU__KQ(cursor_queue_size)) + sizeof(virtio_gpu_big) +                \
     (size_t)(VIRTIO_GPU__CQ(ctrl_queue_size) / 2u) *                                              \
         (sizeof(virtio_gpu_cmd) + sizeof(virtio_gpu_cmd_state)) +                                 \
     VIRTIO_GPU__NP(max_pieces) * sizeof(virtio_gpu_mem_entry) +                                   \
     (size_t)VIRTIO_GPU__KQ(cursor_queue_size) * sizeof(virtio_gpu_update_cursor) +                \
     VIRTIO_GPU__NR(max_resources) * sizeof(virtio_gpu_resource) +                                 \
     (size_t)VIRTIO_GPU__KQ(cursor_queue_size) + 24u)

/* The driver's state. Fields are the library's: use the functions. */
typedef struct virtio_gpu {
    virtio_dev dev;
    virtio_queue ctrl;   /* controlq: zeroed whenever no command can be in the device */
    virtio_queue cursor; /* cursorq: likewise */
    virtio_gpu_big *big;
    virtio_gpu_cmd *cmds;
    virtio_gpu_cmd_state *states;
    virtio_gpu_mem_entry *entries;
    virtio_gpu_update_cursor *cursors;
    uint8_t *cursor_busy; /* per cursor slot: given to the device, not yet used */
    virtio_gpu_resource *res;
    uint32_t ncmds;    /* command slots */
    uint32_t npending; /* slots submitted and not yet returned */
    uint32_t ndone;    /* slots finished and not yet returned */
    uint32_t ncursors; /* cursor command slots */
    uint32_t max_resources;
    uint32_t max_pieces;
    uint32_t num_scanouts;
    uint32_t last_error; /* response type of the last command that failed in the device */
    uint32_t reread;     /* a display event was cleared, its re-read has not succeeded yet */
    uint64_t fence;      /* last fence id given out */
    virtio_gpu_display_info display[VIRTIO_GPU_MAX_SCANOUTS];
    uint32_t edid_sum[VIRTIO_GPU_MAX_SCANOUTS]; /* EDID digest, to notice a change */
} virtio_gpu;

/* Bytes of driver memory for `p` (NULL = defaults) on transport `t` (NULL = the bound for any
   transport), to be aligned to virtio_queue_ring_align(t). 0 if p is out of range. */
VIRTIO_API size_t virtio_gpu_mem_size(const virtio_gpu_params *p, const virtio_transport *t);

/* Brings up the GPU behind the probed transport `t` (virtio 1.4 "Device Initialization" and
   "GPU Device / Device Initialization"): resets it (before any byte of `mem` is written),
   negotiates VIRTIO_GPU_F_EDID when offered, reads num_scanouts, sets up both queues and the
   command slots in `mem`, DRIVER_OK, then GET_DISPLAY_INFO and, with EDID, each scanout's
   GET_EDID (an error the device reports for one EDID is no failure: virtio_gpu_poll_events
   compares against what it read).
   VIRTIO_EINVAL (nothing touched), VIRTIO_ENODEV (not a GPU, nothing touched), VIRTIO_EBUSY
   (the device did not reset within VIRTIO_RESET_SPIN status reads: `mem` untouched, later
   calls return VIRTIO_EBUSY; commands and backings an earlier init or boot stage gave the
   device are still its own although virtio_gpu_pending reads 0, so leave them and `mem` alone
   until virtio_gpu_reset or another init succeeds), or what a later step returned (the device
   is then marked FAILED or reset): VIRTIO_EFEATURES, VIRTIO_ENOQUEUE, VIRTIO_EDEVICE for
   num_scanouts outside 1..16 or a display info that fails its checks. */
VIRTIO_API int virtio_gpu_init(virtio_gpu *gpu, const virtio_transport *t,
                               const virtio_gpu_params *p, void *mem, size_t mem_size);

/* Resets the device: every command is over, every backing is the caller's again, the screen
   shows nothing of ours. 0, or VIRTIO_EBUSY if the reset did not complete: the commands still
   pending (virtio_gpu_pending counts them) and every backing stay the device's, and every call
   returns VIRTIO_EBUSY (latched); call this again to retry. Initialize again to use the
   device. */
VIRTIO_API int virtio_gpu_reset(virtio_gpu *gpu);

/* ---- Displays -------------------------------------------------------------------------------- */
/* Scanouts the device has (1..16; 0 for NULL or an object not initialized). */
VIRTIO_API uint32_t virtio_gpu_num_scanouts(const virtio_gpu *gpu);
/* Scanout `scanout` as the last GET_DISPLAY_INFO (init, virtio_gpu_get_display_info,
   virtio_gpu_poll_events) described it: its preferred position and size, and whether it is
   enabled. Either pointer may be NULL. No device access. VIRTIO_EINVAL for an unknown scanout. */
VIRTIO_API int virtio_gpu_display(const virtio_gpu *gpu, uint32_t scanout, virtio_gpu_rect *rect,
                                  int *enabled);
/* Reads the display information again (GET_DISPLAY_INFO, blocking). */
VIRTIO_API int virtio_gpu_get_display_info(virtio_gpu *gpu);
/* 1 if VIRTIO_GPU_F_EDID was negotiated. */
VIRTIO_API int virtio_gpu_has_edid(const virtio_gpu *gpu);
/* Copies scanout `scanout`'s EDID blob (GET_EDID, blocking) into buf[0..size) and stores its
   length in *len (the device's size field; at most 1024). VIRTIO_ENOTSUP without
   VIRTIO_GPU_F_EDID (nothing sent); VIRTIO_EINVAL if size is smaller than the blob (nothing
   copied; *len says how much is needed); VIRTIO_EDEVICE (latched, device reset) for a size
   above 1024. */
VIRTIO_API int virtio_gpu_get_edid(virtio_gpu *gpu, uint32_t scanout, void *buf, size_t size,
                                   size_t *len);
/* Parses an EDID base block (128 bytes at least; header and checksum checked): the preferred
   mode and the monitor name. No device access; works on any blob. VIRTIO_EINVAL for NULL, a
   short blob, a bad header or checksum. */
VIRTIO_API int virtio_gpu_edid_parse(const void *edid, size_t len, virtio_gpu_edid_info *info);

/* Display changes without interrupts: reads events_read; if VIRTIO_GPU_EVENT_DISPLAY is set,
   re-reads the display information (and each scanout's EDID when negotiated), then writes
   events_clear. *changed (may be NULL): bit s set for each scanout whose rectangle, enabled
   flag or EDID changed (0 when no event was pending: one configuration read). A blocking call:
   VIRTIO_ESTATE while submitted commands are pending. events_clear is written before the
   information is read again, so a change that comes meanwhile is reported by the next call. */
VIRTIO_API int virtio_gpu_poll_events(virtio_gpu *gpu, uint32_t *changed);

/* ---- Sizes ----------------------------------------------------------------------------------- */
/* Bytes per row of a resource `width` pixels wide (width * 4, the stride QEMU's transfer
   uses); 0 for an unknown format or a width of 0 or above VIRTIO_GPU_MAX_DIM. */
VIRTIO_API uint32_t virtio_gpu_stride(uint32_t width, uint32_t format);
/* Bytes of a framebuffer (backing) of width x height pixels: stride * height; 0 as above. */
VIRTIO_API size_t virtio_gpu_fb_size(uint32_t width, uint32_t height, uint32_t format);

/* ---- Resources (blocking) -------------------------------------------------------------------- */
/* RESOURCE_CREATE_2D: resource `id` (nonzero, chosen by the caller, not in use) of
   width x height pixels (1..VIRTIO_GPU_MAX_DIM each) in `format` (VIRTIO_GPU_FORMAT_*). */
VIRTIO_API int virtio_gpu_resource_create(virtio_gpu *gpu, uint32_t id, uint32_t format,
                                          uint32_t width, uint32_t height);
/* RESOURCE_ATTACH_BACKING: the backing of resource `id` is pieces[0..n) in order, together at
   least virtio_gpu_fb_size bytes (1 <= n <= max_pieces; each piece nonzero and below 4 GiB).
   The resource must have no backing yet. */
VIRTIO_API int virtio_gpu_attach_backing(virtio_gpu *gpu, uint32_t id,
                                         const virtio_gpu_piece *pieces, uint32_t n);
/* The same for one contiguous block fb[0..size). */
VIRTIO_API int virtio_gpu_attach_fb(virtio_gpu *gpu, uint32_t id, void *fb, size_t size);
/* RESOURCE_DETACH_BACKING: the backing is the caller's again when it returns 0. */
VIRTIO_API int virtio_gpu_detach_backing(virtio_gpu *gpu, uint32_t id);
/* RESOURCE_UNREF: destroys the resource (QEMU also disables any scanout showing it and drops
   its backing: the backing is the caller's again). The id is free again. */
VIRTIO_API int virtio_gpu_resource_unref(virtio_gpu *gpu, uint32_t id);

/* ---- Scanouts and updates -------------------------------------------------------------------- */
/* SET_SCANOUT: scanout shows rectangle r of resource id (r inside the resource, nonzero).
   id 0 disables the scanout (r ignored, may be NULL). QEMU refuses rectangles below 16x16
   (VIRTIO_EUNSUPP). */
VIRTIO_API int virtio_gpu_set_scanout(virtio_gpu *gpu, uint32_t scanout, uint32_t id,
                                      const virtio_gpu_rect *r);
/* TRANSFER_TO_HOST_2D of rectangle r (inside the resource) from the backing into the resource
   (offset = r.y * stride + r.x * 4). Fenced: when it returns the host copy is complete. */
VIRTIO_API int virtio_gpu_transfer(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r);
/* RESOURCE_FLUSH of rectangle r: shows it on every scanout showing resource id. */
VIRTIO_API int virtio_gpu_flush(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r);
/* Transfer then flush of r, one notification, waits for both. */
VIRTIO_API int virtio_gpu_update(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r);

/* ---- Pipelined updates ----------------------------------------------------------------------- */
/* Queue a transfer / a flush (checked as above) without telling the device; the device sees
   them in order at the next virtio_gpu_kick. VIRTIO_ENOSPC when every command slot or the
   queue is full. */
VIRTIO_API int virtio_gpu_transfer_submit(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r);
VIRTIO_API int virtio_gpu_flush_submit(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r);
/* Tells the device about every command submitted so far: one notification at most. */
VIRTIO_API int virtio_gpu_kick(virtio_gpu *gpu);
/* Returns one finished command without waiting: its type (VIRTIO_GPU_CMD_*) and outcome (0 or
   a device error, see ERRORS). Either may be NULL. Publishes what was submitted since the last
   kick first. VIRTIO_EAGAIN when none has finished. */
VIRTIO_API int virtio_gpu_poll(virtio_gpu *gpu, uint32_t *cmd, int *result);
/* virtio_gpu_poll, waiting (bounded). VIRTIO_EAGAIN at once when nothing is pending. If the
   wait fails, the device is reset (see ERRORS). */
VIRTIO_API int virtio_gpu_wait(virtio_gpu *gpu, uint32_t *cmd, int *result);
/* Waits for every pending command; returns the first failure (a wait's, or the first
   command's outcome that was not 0), else 0. Nothing is pending afterwards unless the reset
   of a failed wait did not complete. */
VIRTIO_API int virtio_gpu_wait_all(virtio_gpu *gpu);
/* Commands submitted and not yet returned (0 for NULL or after a reset). */
VIRTIO_API uint32_t virtio_gpu_pending(const virtio_gpu *gpu);
/* The response type of the last command the device refused (VIRTIO_GPU_RESP_ERR_*), or 0. */
VIRTIO_API uint32_t virtio_gpu_last_error(const virtio_gpu *gpu);

/* ---- Cursor (cursorq: the device never answers) ---------------------------------------------- */
/* UPDATE_CURSOR: the cursor image becomes resource id (64x64 with backing, its image
   transferred: virtio_gpu_transfer returns only when that is complete), hot spot
   (hot_x, hot_y) inside it, at (x, y) of scanout `scanout`. */
VIRTIO_API int virtio_gpu_cursor_set(virtio_gpu *gpu, uint32_t scanout, uint32_t id, uint32_t hot_x,
                                     uint32_t hot_y, uint32_t x, uint32_t y);
/* MOVE_CURSOR: moves the cursor to (x, y) of scanout `scanout`, same image. */
VIRTIO_API int virtio_gpu_cursor_move(virtio_gpu *gpu, uint32_t scanout, uint32_t x, uint32_t y);
/* UPDATE_CURSOR with resource 0: hides the cursor. */
VIRTIO_API int virtio_gpu_cursor_hide(virtio_gpu *gpu, uint32_t scanout);

#ifdef __cplusplus
}
#endif

#endif /* VIRTIO_GPU_H */

/* ============================================================================================== */
/*                                        IMPLEMENTATION                                          */
/* ============================================================================================== */
#if defined(VIRTIO_GPU_IMPLEMENTATION) && !defined(VIRTIO_GPU__IMPL_DONE)
#define VIRTIO_GPU__IMPL_DONE

/* A response type no device writes: preset before every command, so a used buffer whose
   response still holds it was never written. */
#define VIRTIO_GPU__SENTINEL 0xffffffffu
#define VIRTIO_GPU__HDR      ((uint32_t)sizeof(virtio_gpu_ctrl_hdr))
#define VIRTIO_GPU__MAX_NR   0xffffu /* most resources / pieces in the params */

/* Command slot states. A slot is BUSY from submit until the device uses it, then DONE until
   poll or wait returns it. */
enum { VIRTIO_GPU__FREE = 0, VIRTIO_GPU__BUSY = 1, VIRTIO_GPU__DONE = 2 };

/* ---- Memory plan: one layout for virtio_gpu_mem_size and virtio_gpu_init --------------------- */
/* What the device sees comes first: the two queues' rings (each aligned to
   virtio_queue_ring_align(t)), the large response buffer, the command slots, the backing list,
   the cursor commands. Then what only the driver reads: shadows, slot states, resources. */
typedef struct virtio_gpu__plan {
    uint32_t cq, kq, nres, npieces, ncmds;
    size_t ctrl_ring, cursor_off, cursor_ring;
    size_t big_off, cmds_off, entries_off, cursors_off;
    size_t ctrl_shadow_off, ctrl_shadow, cursor_shadow_off, cursor_shadow;
    size_t states_off, res_off, busy_off, total;
} virtio_gpu__plan;

static int virtio_gpu__plan_for(const virtio_gpu_params *p, const virtio_transport *t,
                                virtio_gpu__plan *pl) {
    size_t align = virtio_queue_ring_align(t), off;
    pl->cq = (p && p->ctrl_queue_size) ? p->ctrl_queue_size : VIRTIO_GPU_CTRL_QUEUE_SIZE;
    pl->kq = (p && p->cursor_queue_size) ? p->cursor_queue_size : VIRTIO_GPU_CURSOR_QUEUE_SIZE;
    pl->nres = (p && p->max_resources) ? p->max_resources : VIRTIO_GPU_RESOURCES;
    pl->npieces = (p && p->max_pieces) ? p->max_pieces : VIRTIO_GPU_PIECES;
    if (pl->cq < 4u || pl->nres > VIRTIO_GPU__MAX_NR || pl->npieces > VIRTIO_GPU__MAX_NR) return 0;
    pl->ctrl_ring = virtio_queue_ring_size(t, pl->cq); /* 0 unless a power of two <= 32768 */
    pl->cursor_ring = virtio_queue_ring_size(t, pl->kq);
    if (pl->ctrl_ring == 0 || pl->cursor_ring == 0) return 0;
    pl->ncmds = pl->cq / 2u; /* a command takes two descriptors: request, response */
    pl->cursor_off = virtio_align_up(pl->ctrl_ring, align);
    off = virtio_align_up(pl->cursor_off + pl->cursor_ring, 8u);
    pl->big_off = off;
    off += sizeof(virtio_gpu_big);
    pl->cmds_off = off;
    off += (size_t)pl->ncmds * sizeof(virtio_gpu_cmd);
    pl->entries_off = off;
    off += (size_t)pl->npieces * sizeof(virtio_gpu_mem_entry);
    pl->cursors_off = off;
    off += (size_t)pl->kq * sizeof(virtio_gpu_update_cursor);
    pl->ctrl_shadow_off = off;
    pl->ctrl_shadow = virtio_queue_shadow_size(pl->cq);
    off += pl->ctrl_shadow;
    pl->cursor_shadow_off = off;
    pl->cursor_shadow = virtio_queue_shadow_size(pl->kq);
    off += pl->cursor_shadow;
    pl->states_off = off;
    off += (size_t)pl->ncmds * sizeof(virtio_gpu_cmd_state);
    pl->res_off = off;
    off += (size_t)pl->nres * sizeof(virtio_gpu_resource);
    pl->busy_off = off;
    off += pl->kq;
    pl->total = virtio_align_up(off, 8u);
    return 1;
}

VIRTIO_DEF size_t virtio_gpu_mem_size(const virtio_gpu_params *p, const virtio_transport *t) {
    virtio_gpu__plan pl;
    return virtio_gpu__plan_for(p, t, &pl) ? pl.total : 0u;
}

/* ---- Sizes and checks of caller input -------------------------------------------------------- */
static int virtio_gpu__format_known(uint32_t format) {
    switch (format) {
    case VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM:
    case VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM:
    case VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM:
    case VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM:
    case VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM:
    case VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM:
    case VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM:
    case VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM: return 1;
    default: return 0;
    }
}

VIRTIO_DEF uint32_t virtio_gpu_stride(uint32_t width, uint32_t format) {
    if (!virtio_gpu__format_known(format) || width == 0 || width > VIRTIO_GPU_MAX_DIM) return 0;
    return width * VIRTIO_GPU_BYTES_PER_PIXEL; /* at most 64 KiB: no overflow */
}

VIRTIO_DEF size_t virtio_gpu_fb_size(uint32_t width, uint32_t height, uint32_t format) {
    uint32_t stride = virtio_gpu_stride(width, format);
    if (stride == 0 || height == 0 || height > VIRTIO_GPU_MAX_DIM) return 0;
    return (size_t)stride * height; /* at most 1 GiB: fits a 32-bit size_t */
}

/* The driver's record of resource `id`, or NULL. */
static virtio_gpu_resource *virtio_gpu__res(const virtio_gpu *gpu, uint32_t id) {
    uint32_t i;
    if (id == 0) return 0;
    for (i = 0; i < gpu->max_resources; i++)
        if (gpu->res[i].id == id) return &gpu->res[i];
    return 0;
}

/* 1 if r is a nonempty rectangle inside a width x height area (no sum can overflow). */
static int virtio_gpu__rect_inside(const virtio_gpu_rect *r, uint32_t width, uint32_t height) {
    return r && r->width != 0 && r->height != 0 && r->x <= width && r->width <= width - r->x &&
           r->y <= height && r->height <= height - r->y;
}

/* 0 if the object is initialized and healthy: the device's latched error first, then the
   control queue's (VIRTIO_ESTATE if none). */
static int virtio_gpu__usable(const virtio_gpu *gpu) {
    int r = virtio_dev_usable(&gpu->dev);
    return r ? r : virtio_queue_usable(&gpu->ctrl);
}

/* Usable, and nothing submitted is pending: a blocking call's precondition. */
static int virtio_gpu__idle(const virtio_gpu *gpu) {
    int r;
    if (!gpu) return VIRTIO_EINVAL;
    r = virtio_gpu__usable(gpu);
    if (r) return r;
    return gpu->npending ? VIRTIO_ESTATE : VIRTIO_OK;
}

/* Forgets every command, cursor command and resource: after a completed reset the device
   holds nothing and knows no resource. */
static void virtio_gpu__forget(virtio_gpu *gpu) {
    virtio_zero(&gpu->ctrl, sizeof gpu->ctrl);
    virtio_zero(&gpu->cursor, sizeof gpu->cursor);
    if (gpu->states) virtio_zero(gpu->states, gpu->ncmds * sizeof *gpu->states);
    if (gpu->res) virtio_zero(gpu->res, gpu->max_resources * sizeof *gpu->res);
    if (gpu->cursor_busy) virtio_zero(gpu->cursor_busy, gpu->ncursors);
    gpu->npending = 0;
    gpu->ndone = 0;
}

/* The one way out of a failed wait: reset the device so every buffer it held is the caller's,
   and latch `error`. If the reset did not complete (VIRTIO_EBUSY) the records stay, so
   virtio_gpu_pending still counts what is out. */
static int virtio_gpu__abandon(virtio_gpu *gpu, int error) {
    int r = virtio_dev_abandon(&gpu->dev, error);
    if (r != VIRTIO_EBUSY) virtio_gpu__forget(gpu);
    return r;
}

VIRTIO_DEF int virtio_gpu_reset(virtio_gpu *gpu) {
    int r;
    if (!gpu) return VIRTIO_EINVAL;
    r = virtio_dev_reset(&gpu->dev);
    if (r == VIRTIO_ESTATE) return r; /* never initialized: nothing to reset */
    if (r == VIRTIO_OK) virtio_gpu__forget(gpu);
    return r;
}

/* ---- Commands: "Device Operation: Request header", "Command lifecycle and fencing" ----------- */
/* Takes a free command slot. VIRTIO_ENOSPC when all are in flight or uncollected. */
static int virtio_gpu__slot(virtio_gpu *gpu, uint32_t *slot) {
    uint32_t i;
    for (i = 0; i < gpu->ncmds; i++) {
        if (gpu->states[i].state == VIRTIO_GPU__FREE) {
            *slot = i;
            return VIRTIO_OK;
        }
    }
    return VIRTIO_ENOSPC;
}

/* Fills a request header. Every control command is fenced: "the device MUST finish the
   processing before returning the command then", so a returned transfer has read the backing
   and a returned detach or unref no longer reads it. Fence ids are unique per device object. */
static void virtio_gpu__hdr(virtio_gpu *gpu, uint32_t slot, uint32_t type) {
    virtio_gpu_ctrl_hdr *h = &gpu->cmds[slot].req.hdr;
    virtio_zero(&gpu->cmds[slot].req, sizeof gpu->cmds[slot].req); /* padding included */
    virtio_put_le32(&h->type, type);
    virtio_put_le32(&h->flags, VIRTIO_GPU_FLAG_FENCE);
    virtio_put_le64(&h->fence_id, ++gpu->fence);
    gpu->states[slot].fence = gpu->fence;
    gpu->states[slot].type = type;
}

/* Where the response of the command in `slot` goes: the large buffer for the two commands that
   answer with a payload, else the slot's own 24-byte header. */
static virtio_gpu_ctrl_hdr *virtio_gpu__resp(const virtio_gpu *gpu, uint32_t slot) {
    uint32_t type = gpu->states[slot].type;
    if (type == VIRTIO_GPU_CMD_GET_DISPLAY_INFO || type == VIRTIO_GPU_CMD_GET_EDID)
        return &gpu->big->hdr;
    return &gpu->cmds[slot].resp;
}

/* The size of the success response to `type`, and its type. */
static uint32_t virtio_gpu__ok_len(uint32_t type, uint32_t *ok) {
    switch (type) {
    case VIRTIO_GPU_CMD_GET_DISPLAY_INFO:
        *ok = VIRTIO_GPU_RESP_OK_DISPLAY_INFO;
        return (uint32_t)sizeof(virtio_gpu_resp_display_info);
    case VIRTIO_GPU_CMD_GET_EDID:
        *ok = VIRTIO_GPU_RESP_OK_EDID;
        return (uint32_t)sizeof(virtio_gpu_resp_edid);
    default: *ok = VIRTIO_GPU_RESP_OK_NODATA; return VIRTIO_GPU__HDR;
    }
}

/* The body of a payload answer holds fields a device that wrote it must have overwritten: every
   display's `enabled` (0 or 1 from QEMU and crosvm, which write all VIRTIO_GPU_MAX_SCANOUTS
   entries) and the EDID's `size` (at most VIRTIO_GPU_EDID_BYTES), both preset to the sentinel.
   A used length says how much was written, but the core clamps one above the buffer (kvmtool
   counts the request too) to the buffer, so a header-only answer with an inflated length would
   look complete, its body the previous answer's. */
static void virtio_gpu__preset_body(virtio_gpu *gpu, uint32_t type) {
    uint32_t i;
    if (type == VIRTIO_GPU_CMD_GET_DISPLAY_INFO)
        for (i = 0; i < VIRTIO_GPU_MAX_SCANOUTS; i++)
            virtio_put_le32(&gpu->big->display_info.pmodes[i].enabled, VIRTIO_GPU__SENTINEL);
    if (type == VIRTIO_GPU_CMD_GET_EDID)
        virtio_put_le32(&gpu->big->edid.size, VIRTIO_GPU__SENTINEL);
}

/* 1 if the body of the payload answer to `type` still holds a preset field: not written. */
static int virtio_gpu__body_unwritten(const virtio_gpu *gpu, uint32_t type) {
    uint32_t i;
    if (type == VIRTIO_GPU_CMD_GET_DISPLAY_INFO) {
        for (i = 0; i < VIRTIO_GPU_MAX_SCANOUTS; i++)
            if (virtio_le32(&gpu->big->display_info.pmodes[i].enabled) == VIRTIO_GPU__SENTINEL)
                return 1;
    }
    if (type == VIRTIO_GPU_CMD_GET_EDID)
        return virtio_le32(&gpu->big->edid.size) == VIRTIO_GPU__SENTINEL;
    return 0;
}

/* Adds the command whose header and request (req_len bytes) are in `slot` to the control queue,
   with `extra` (extra_len bytes, device-readable) after the request, and its response buffer
   preset to the sentinel. The device sees it at the next kick. */
static int virtio_gpu__add(virtio_gpu *gpu, uint32_t slot, uint32_t req_len, const void *extra,
                           uint32_t extra_len) {
    virtio_gpu_cmd_state *st = &gpu->states[slot];
    virtio_gpu_ctrl_hdr *resp = virtio_gpu__resp(gpu, slot);
    virtio_seg segs[3];
    uint32_t ok;
    unsigned n_out = 1;
    int r;
    st->resp_len = virtio_gpu__ok_len(st->type, &ok);
    virtio_zero(resp, VIRTIO_GPU__HDR);
    virtio_put_le32(&resp->type, VIRTIO_GPU__SENTINEL);
    virtio_gpu__preset_body(gpu, st->type);
    segs[0].addr = &gpu->cmds[slot].req;
    segs[0].len = req_len;
    if (extra_len) {
        segs[1].addr = extra;
        segs[1].len = extra_len;
        n_out = 2;
    }
    segs[n_out].addr = resp;
    segs[n_out].len = st->resp_len; /* exactly what the command answers with */
    /* The cookie is the slot's state: the core hands back only cookies it has outstanding. */
    r = virtio_queue_add(&gpu->ctrl, segs, n_out, 1, st);
    if (r) return r;
    st->state = VIRTIO_GPU__BUSY;
    st->result = 0;
    gpu->npending++;
    return VIRTIO_OK;
}

/* Each VIRTIO_GPU_RESP_ERR_* as its own result (see ERRORS in the header). */
static int virtio_gpu__error_result(uint32_t type) {
    switch (type) {
    case VIRTIO_GPU_RESP_ERR_UNSPEC: return VIRTIO_EIO;
    case VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY: return VIRTIO_ENOSPC;
    case VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID: return VIRTIO_ERANGE;
    case VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID: return VIRTIO_ENODEV;
    case VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID: return VIRTIO_ENOTSUP;
    case VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER: return VIRTIO_EUNSUPP;
    default: return 0;
    }
}

/* The device's verdict on the finished command in `slot`, whose used length is `len` (the core
   checked it is no more than the buffer). Anything that is not a proper answer to this command
   is a device fault, latched. */
static int virtio_gpu__verdict(virtio_gpu *gpu, uint32_t slot, uint32_t len) {
    const virtio_gpu_cmd_state *st = &gpu->states[slot];
    const virtio_gpu_ctrl_hdr *h = virtio_gpu__resp(gpu, slot);
    uint32_t type, ok, flags;
    int err;
    if (len < VIRTIO_GPU__HDR) return virtio_dev_fail(&gpu->dev, VIRTIO_EDEVICE); /* short */
    type = virtio_le32(&h->type);
    flags = virtio_le32(&h->flags);
    if (type == VIRTIO_GPU__SENTINEL)
        return virtio_dev_fail(&gpu->dev, VIRTIO_EDEVICE); /* unwritten */
    /* "set VIRTIO_GPU_FLAG_FENCE bit in the response, copy the content of the fence_id field":
       a response that does not is not the answer to this request. */
    if (!(flags & VIRTIO_GPU_FLAG_FENCE) || virtio_le64(&h->fence_id) != st->fence)
        return virtio_dev_fail(&gpu->dev, VIRTIO_EDEVICE);
    err = virtio_gpu__error_result(type);
    if (err) { /* an error response is a bare header; the device is fine */
        gpu->last_error = type;
        return err;
    }
    virtio_gpu__ok_len(st->type, &ok);
    if (type != ok || len != st->resp_len) return virtio_dev_fail(&gpu->dev, VIRTIO_EDEVICE);
    if (virtio_gpu__body_unwritten(gpu, st->type)) /* header only, its length inflated */
        return virtio_dev_fail(&gpu->dev, VIRTIO_EDEVICE);
    return VIRTIO_OK;
}

/* Records a used command in its slot (DONE until taken). */
static void virtio_gpu__complete(virtio_gpu *gpu, void *cookie, uint32_t len) {
    virtio_gpu_cmd_state *st = (virtio_gpu_cmd_state *)cookie; /* our pointer, from the core */
    uint32_t slot = (uint32_t)(st - gpu->states);
    st->result = virtio_gpu__verdict(gpu, slot, len);
    st->state = VIRTIO_GPU__DONE;
    gpu->ndone++;
}

/* Frees the first finished slot (there is one: ndone > 0) and says what it was. */
static void virtio_gpu__take(virtio_gpu *gpu, uint32_t *cmd, int *result) {
    uint32_t i;
    for (i = 0; gpu->states[i].state != VIRTIO_GPU__DONE; i++) {
    }
    gpu->states[i].state = VIRTIO_GPU__FREE;
    gpu->ndone--;
    gpu->npending--;
    if (cmd) *cmd = gpu->states[i].type;
    if (result) *result = gpu->states[i].result;
}

/* Waits (bounded) for the device to use one command and records it. A response that latched
   the device fails like a failed wait. */
static int virtio_gpu__wait_one(virtio_gpu *gpu) {
    void *cookie = 0;
    uint32_t len = 0;
    int r = virtio_queue_wait(&gpu->ctrl, &cookie, &len);
    if (r) return r;
    virtio_gpu__complete(gpu, cookie, len);
    return virtio_dev_usable(&gpu->dev);
}

/* Runs the commands just added (nothing else was pending): one notification, waits for all of
   them, frees their slots. Returns the first command's failure, else 0. */
static int virtio_gpu__run(virtio_gpu *gpu) {
    int r = virtio_queue_kick(&gpu->ctrl), result = VIRTIO_OK, one;
    while (r == VIRTIO_OK && gpu->ndone < gpu->npending)
        r = virtio_gpu__wait_one(gpu);
    if (r) return virtio_gpu__abandon(gpu, r); /* our buffers may still be the device's */
    while (gpu->ndone) {
        virtio_gpu__take(gpu, 0, &one);
        if (result == VIRTIO_OK) result = one;
    }
    return result;
}

/* One blocking command whose request (req_len bytes) is filled in `slot`: add, run. */
static int virtio_gpu__one(virtio_gpu *gpu, uint32_t slot, uint32_t req_len, const void *extra,
                           uint32_t extra_len) {
    int r = virtio_gpu__add(gpu, slot, req_len, extra, extra_len);
    return r ? r : virtio_gpu__run(gpu);
}

/* ---- Displays: GET_DISPLAY_INFO, GET_EDID ---------------------------------------------------- */
/* Takes the display information out of the large buffer, checked: sizes no resource could
   have are a device fault (the device is reset, as after a failed wait). Scanouts past
   num_scanouts are ignored. */
static int virtio_gpu__take_display_info(virtio_gpu *gpu) {
    const virtio_gpu_display_one *m = gpu->big->display_info.pmodes;
    virtio_gpu_display_info d[VIRTIO_GPU_MAX_SCANOUTS];
    uint32_t s;
    virtio_zero(d, sizeof d);
    for (s = 0; s < gpu->num_scanouts; s++) {
        d[s].r.x = virtio_le32(&m[s].r.x);
        d[s].r.y = virtio_le32(&m[s].r.y);
        d[s].r.width = virtio_le32(&m[s].r.width);
        d[s].r.height = virtio_le32(&m[s].r.height);
        /* An "enabled" display of no size is no display to show anything on. */
        d[s].enabled = virtio_le32(&m[s].enabled) && d[s].r.width && d[s].r.height ? 1u : 0u;
        d[s].flags = virtio_le32(&m[s].flags);
        if (d[s].r.width > VIRTIO_GPU_MAX_DIM || d[s].r.height > VIRTIO_GPU_MAX_DIM)
            return virtio_gpu__abandon(gpu, VIRTIO_EDEVICE);
    }
    virtio_copy(gpu->display, d, sizeof d);
    return VIRTIO_OK;
}

static int virtio_gpu__display_info(virtio_gpu *gpu) {
    uint32_t slot = 0;
    int r = virtio_gpu__slot(gpu, &slot);
    if (r) return r;
    virtio_gpu__hdr(gpu, slot, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
    r = virtio_gpu__one(gpu, slot, VIRTIO_GPU__HDR, 0, 0); /* "No request data" */
    return r ? r : virtio_gpu__take_display_info(gpu);
}

VIRTIO_DEF int virtio_gpu_get_display_info(virtio_gpu *gpu) {
    int r = virtio_gpu__idle(gpu);
    return r ? r : virtio_gpu__display_info(gpu);
}

#ifndef VIRTIO_GPU_MINIMAL
/* GET_EDID of `scanout` into the large buffer; *size: the blob's length (checked). */
static int virtio_gpu__edid(virtio_gpu *gpu, uint32_t scanout, uint32_t *size) {
    uint32_t slot = 0;
    int r = virtio_gpu__slot(gpu, &slot);
    if (r) return r;
    virtio_gpu__hdr(gpu, slot, VIRTIO_GPU_CMD_GET_EDID);
    virtio_put_le32(&gpu->cmds[slot].req.get_edid.scanout, scanout);
    r = virtio_gpu__one(gpu, slot, (uint32_t)sizeof(virtio_gpu_get_edid_req), 0, 0);
    if (r) return r;
    *size = virtio_le32(&gpu->big->edid.size);
    if (*size > VIRTIO_GPU_EDID_BYTES) return virtio_gpu__abandon(gpu, VIRTIO_EDEVICE);
    return VIRTIO_OK;
}

/* A digest of the blob in the large buffer (FNV-1a over its size and bytes), to notice a change
   without keeping 1 KiB per scanout. Never 0, so 0 means "no EDID read". */
static uint32_t virtio_gpu__edid_digest(const virtio_gpu *gpu, uint32_t size) {
    const uint8_t *b = gpu->big->edid.edid;
    uint32_t h = 2166136261u ^ size, i;
    for (i = 0; i < size; i++)
        h = (h ^ b[i]) * 16777619u;
    return h ? h : 1u;
}

/* Reads every scanout's EDID (when negotiated) and sets bit s of *changed where its digest
   moved. Errors the device reports for one scanout count as "no EDID" there. */
static int virtio_gpu__edid_all(virtio_gpu *gpu, uint32_t *changed) {
    uint32_t s, size, sum;
    int r;
    if (!virtio_dev_has(&gpu->dev, VIRTIO_GPU_F_EDID)) return VIRTIO_OK;
    for (s = 0; s < gpu->num_scanouts; s++) {
        r = virtio_gpu__edid(gpu, s, &size);
        sum = r == VIRTIO_OK ? virtio_gpu__edid_digest(gpu, size) : 0u;
        if (r != VIRTIO_OK && virtio_dev_usable(&gpu->dev) != VIRTIO_OK) return r;
        if (sum != gpu->edid_sum[s]) *changed |= 1u << s;
        gpu->edid_sum[s] = sum;
    }
    return VIRTIO_OK;
}
#endif /* !VIRTIO_GPU_MINIMAL */

VIRTIO_DEF int virtio_gpu_has_edid(const virtio_gpu *gpu) {
    return gpu && virtio_dev_has(&gpu->dev, VIRTIO_GPU_F_EDID) ? 1 : 0;
}

VIRTIO_DEF int virtio_gpu_get_edid(virtio_gpu *gpu, uint32_t scanout, void *buf, size_t size,
                                   size_t *len) {
    uint32_t n = 0;
    int r;
    if (!gpu || !buf || !len) return VIRTIO_EINVAL;
    r = virtio_gpu__idle(gpu);
    if (r) return r;
    if (scanout >= gpu->num_scanouts) return VIRTIO_EINVAL;
#ifdef VIRTIO_GPU_MINIMAL /* EDID is never negotiated */
    (void)n;
    (void)size;
    return VIRTIO_ENOTSUP;
#else
    if (!virtio_dev_has(&gpu->dev, VIRTIO_GPU_F_EDID)) return VIRTIO_ENOTSUP;
    r = virtio_gpu__edid(gpu, scanout, &n);
    if (r) return r;
    gpu->edid_sum[scanout] = virtio_gpu__edid_digest(gpu, n);
    *len = n;
    if (size < n) return VIRTIO_EINVAL;
    virtio_copy(buf, gpu->big->edid.edid, n);
    return VIRTIO_OK;
#endif
}

VIRTIO_DEF uint32_t virtio_gpu_num_scanouts(const virtio_gpu *gpu) {
    return gpu ? gpu->num_scanouts : 0u;
}

VIRTIO_DEF int virtio_gpu_display(const virtio_gpu *gpu, uint32_t scanout, virtio_gpu_rect *rect,
                                  int *enabled) {
    if (!gpu) return VIRTIO_EINVAL;
    if (gpu->num_scanouts == 0) return VIRTIO_ESTATE;
    if (scanout >= gpu->num_scanouts) return VIRTIO_EINVAL;
    if (rect) { /* field by field: a struct copy may become a call of memcpy */
        rect->x = gpu->display[scanout].r.x;
        rect->y = gpu->display[scanout].r.y;
        rect->width = gpu->display[scanout].r.width;
        rect->height = gpu->display[scanout].r.height;
    }
    if (enabled) *enabled = gpu->display[scanout].enabled ? 1 : 0;
    return VIRTIO_OK;
}

#ifdef VIRTIO_GPU_MINIMAL
/* VIRTIO_GPU_MINIMAL: display-change events are left out (events_read is not read). */
VIRTIO_DEF int virtio_gpu_poll_events(virtio_gpu *gpu, uint32_t *changed) {
    int r = virtio_gpu__idle(gpu);
    if (r) return r;
    if (changed) *changed = 0;
    return VIRTIO_ENOTSUP;
}
#else
/* "Device configuration fields" / "Events". The event is cleared before the information is
   read again: a change that comes while we read raises it again and is seen next time, where
   clearing afterwards could swallow it. */
VIRTIO_DEF int virtio_gpu_poll_events(virtio_gpu *gpu, uint32_t *changed) {
    virtio_gpu_display_info old[VIRTIO_GPU_MAX_SCANOUTS];
    uint32_t ev, ch = 0, s;
    const uint8_t *a, *b;
    size_t i;
    int r = virtio_gpu__idle(gpu);
    if (r) return r; /* a caller error leaves *changed alone */
    if (changed) *changed = 0;
    ev = virtio_config_read32(&gpu->dev, VIRTIO_GPU_CFG_EVENTS_READ);
    r = virtio_dev_usable(&gpu->dev);
    if (r) return r;
    if (ev & VIRTIO_GPU_EVENT_DISPLAY) {
        virtio_config_write32(&gpu->dev, VIRTIO_GPU_CFG_EVENTS_CLEAR, ev);
        gpu->reread = 1;
    }
    if (!gpu->reread) return VIRTIO_OK;
    virtio_copy(old, gpu->display, sizeof old);
    r = virtio_gpu__display_info(gpu);
    if (r) return r;
    for (s = 0; s < gpu->num_scanouts; s++) {
        a = (const uint8_t *)&old[s];
        b = (const uint8_t *)&gpu->display[s];
        for (i = 0; i < sizeof old[s]; i++) {
            if (a[i] != b[i]) {
                ch |= 1u << s;
                break;
            }
        }
    }
    r = virtio_gpu__edid_all(gpu, &ch);
    if (r == VIRTIO_OK) gpu->reread = 0;
    if (changed) *changed = ch;
    return r;
}
#endif /* VIRTIO_GPU_MINIMAL */

/* ---- EDID parser (VESA E-EDID base block) ---------------------------------------------------- */
#ifdef VIRTIO_GPU_MINIMAL
/* VIRTIO_GPU_MINIMAL: no EDID parser. */
VIRTIO_DEF int virtio_gpu_edid_parse(const void *edid, size_t len, virtio_gpu_edid_info *info) {
    if (!edid || !info || len < 128u) return VIRTIO_EINVAL;
    return VIRTIO_ENOTSUP;
}
#else
VIRTIO_DEF int virtio_gpu_edid_parse(const void *edid, size_t len, virtio_gpu_edid_info *info) {
    static const uint8_t magic[8] = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    const uint8_t *b = (const uint8_t *)edid;
    uint32_t i, sum = 0, id;
    if (!b || !info || len < 128u) return VIRTIO_EINVAL;
    for (i = 0; i < 8u; i++)
        if (b[i] != magic[i]) return VIRTIO_EINVAL;
    for (i = 0; i < 128u; i++)
        sum += b[i];
    if ((sum & 0xffu) != 0) return VIRTIO_EINVAL; /* the 128 bytes sum to 0 mod 256 */
    if (b[18] != 1u) return VIRTIO_EINVAL;        /* EDID 1.x: the layout parsed here */
    virtio_zero(info, sizeof *info);
    /* Manufacturer ID: three 5-bit letters ('A' = 1), big-endian in bytes 8-9. */
    id = (uint32_t)b[8] << 8 | b[9];
    for (i = 0; i < 3u; i++) {
        uint32_t c = (id >> (10u - 5u * i)) & 31u;
        info->vendor[i] = (char)(c >= 1u && c <= 26u ? 'A' + (int)c - 1 : '?');
    }
    info->product = (uint16_t)(b[10] | b[11] << 8);
    /* Four 18-byte descriptors at 54: a detailed timing (pixel clock != 0; the first is the
       preferred mode) or a display descriptor (tag 0xfc: monitor name, up to 13 bytes, ended
       by a line feed, padded with spaces). */
    for (i = 0; i < 4u; i++) {
        const uint8_t *d = b + 54u + 18u * i;
        if (d[0] | d[1]) {
            if (i == 0) { /* EDID 1.3/1.4: descriptor 1 is the preferred timing */
                info->width = (uint32_t)d[2] | ((uint32_t)(d[4] & 0xf0u) << 4);
                info->height = (uint32_t)d[5] | ((uint32_t)(d[7] & 0xf0u) << 4);
                if (d[17] & 0x80u) info->height *= 2u; /* interlaced: lines per field */
            }
        } else if (d[3] == 0xfcu && info->name[0] == 0) {
            uint32_t n = 0;
            while (n < 13u && d[5u + n] != 0x0au) {
                /* Printable ASCII only: the name may end up on a terminal. */
                info->name[n] = (char)(d[5u + n] >= 0x20u && d[5u + n] < 0x7fu ? d[5u + n] : '?');
                n++;
            }
            while (n > 0 && info->name[n - 1u] == ' ')
                info->name[--n] = 0;
        }
    }
    return VIRTIO_OK;
}
#endif /* VIRTIO_GPU_MINIMAL */

/* ---- Initialization: "GPU Device / Device Initialization" ------------------------------------ */
/* Points the object into the block (already zeroed) as the plan says. */
static void virtio_gpu__carve(virtio_gpu *gpu, const virtio_gpu__plan *pl, char *m) {
    gpu->big = (virtio_gpu_big *)(void *)(m + pl->big_off);
    gpu->cmds = (virtio_gpu_cmd *)(void *)(m + pl->cmds_off);
    gpu->entries = (virtio_gpu_mem_entry *)(void *)(m + pl->entries_off);
    gpu->cursors = (virtio_gpu_update_cursor *)(void *)(m + pl->cursors_off);
    gpu->states = (virtio_gpu_cmd_state *)(void *)(m + pl->states_off);
    gpu->res = (virtio_gpu_resource *)(void *)(m + pl->res_off);
    gpu->cursor_busy = (uint8_t *)(m + pl->busy_off);
    gpu->max_resources = pl->nres;
    gpu->max_pieces = pl->npieces;
}

/* Sets up queue `index` of `size` entries in the plan's place. */
static int virtio_gpu__queue_init(virtio_gpu *gpu, virtio_queue *q, uint32_t index, char *ring,
                                  size_t ring_size, char *shadow, size_t shadow_size, uint32_t size,
                                  uint32_t flags) {
    virtio_queue_params qp;
    virtio_zero(&qp, sizeof qp);
    qp.size = size;
    qp.flags = flags;
    qp.ring = ring;
    qp.ring_size = ring_size;
    qp.shadow = shadow;
    qp.shadow_size = shadow_size;
    return virtio_queue_init(q, &gpu->dev, index, &qp);
}

/* Steps 4-7 after the reset: features, configuration, both queues, DRIVER_OK. */
static int virtio_gpu__bring_up(virtio_gpu *gpu, const virtio_gpu__plan *pl, char *m) {
    uint32_t n;
    /* Only EDID (not even that under VIRTIO_GPU_MINIMAL): everything else needs 3D or blobs.
       The core adds the ring features. */
#ifdef VIRTIO_GPU_MINIMAL
    int r = virtio_dev_negotiate(&gpu->dev, 0, 0);
#else
    int r = virtio_dev_negotiate(&gpu->dev, VIRTIO_BIT(VIRTIO_GPU_F_EDID), 0);
#endif
    if (r) return r;
    /* "Minimum value is 1, maximum value is 16": anything else would index past the scanout
       tables, so it is a broken device. */
    n = virtio_config_read32(&gpu->dev, VIRTIO_GPU_CFG_NUM_SCANOUTS);
    r = virtio_dev_usable(&gpu->dev);
    if (r) return r;
    if (n < 1u || n > VIRTIO_GPU_MAX_SCANOUTS) return VIRTIO_EDEVICE;
    gpu->num_scanouts = n;
    /* controlq: used lengths are checked against each response. cursorq: requests only, the
       device writes nothing and its used length means nothing to us (IGNORE_LEN). */
    r = virtio_gpu__queue_init(gpu, &gpu->ctrl, 0, m, pl->ctrl_ring, m + pl->ctrl_shadow_off,
                               pl->ctrl_shadow, pl->cq, 0);
    if (r) return r;
#ifndef VIRTIO_GPU_MINIMAL /* no cursor: its queue is not set up */
    r = virtio_gpu__queue_init(gpu, &gpu->cursor, 1, m + pl->cursor_off, pl->cursor_ring,
                               m + pl->cursor_shadow_off, pl->cursor_shadow, pl->kq,
                               VIRTIO_QUEUE_F_IGNORE_LEN);
    if (r) return r;
#endif
    /* The device may offer smaller queues: two descriptors per command (attach takes three,
       alone), one per cursor command. Four lets transfer + flush go together. */
    if (virtio_queue_size(&gpu->ctrl) < 4u) return VIRTIO_ENOQUEUE;
    gpu->ncmds = virtio_queue_size(&gpu->ctrl) / 2u;
#ifndef VIRTIO_GPU_MINIMAL
    gpu->ncursors = virtio_queue_size(&gpu->cursor);
#endif
    return virtio_dev_ready(&gpu->dev);
}

VIRTIO_DEF int virtio_gpu_init(virtio_gpu *gpu, const virtio_transport *t,
                               const virtio_gpu_params *p, void *mem, size_t mem_size) {
    virtio_gpu__plan pl;
    uint32_t changed = 0;
    int r;
    /* 1. Caller errors, before anything is touched. */
    if (!gpu || !t || !mem || !virtio_gpu__plan_for(p, t, &pl)) return VIRTIO_EINVAL;
    if (mem_size < pl.total || ((uintptr_t)mem & (virtio_queue_ring_align(t) - 1u)) != 0)
        return VIRTIO_EINVAL;
    /* 2. Attach (VIRTIO_ENODEV for another device type, before any access) and reset: until the
       reset completes, a device an earlier stage left running may still read or write `mem`. */
    r = virtio_dev_init(&gpu->dev, t, VIRTIO_ID_GPU);
    if (r == VIRTIO_EINVAL || r == VIRTIO_ENODEV) return r;
    virtio_zero((char *)gpu + sizeof gpu->dev, sizeof *gpu - sizeof gpu->dev);
    if (r) return r;
    /* 3. The device is idle: the memory is ours. */
    virtio_zero(mem, pl.total);
    virtio_gpu__carve(gpu, &pl, (char *)mem);
    r = virtio_gpu__bring_up(gpu, &pl, (char *)mem);
    if (r) {
        virtio_gpu__forget(gpu);
        gpu->num_scanouts = 0;
        return virtio_dev_fail(&gpu->dev, r);
    }
    /* 4. "The driver SHOULD query the display information ... In case EDID support is
       negotiated ... also fetch the EDID information". A failure here has reset the device
       (a failed wait) or latched it (a fault): either way init failed. */
    r = virtio_gpu__display_info(gpu);
#ifndef VIRTIO_GPU_MINIMAL
    if (r == VIRTIO_OK) r = virtio_gpu__edid_all(gpu, &changed);
#else
    (void)changed;
#endif
    if (r && virtio_dev_usable(&gpu->dev) == VIRTIO_OK) r = virtio_dev_fail(&gpu->dev, r);
    return r;
}

/* ---- Resources: RESOURCE_CREATE_2D, ATTACH / DETACH_BACKING, UNREF --------------------------- */
VIRTIO_DEF int virtio_gpu_resource_create(virtio_gpu *gpu, uint32_t id, uint32_t format,
                                          uint32_t width, uint32_t height) {
    virtio_gpu_resource_create_2d *c;
    virtio_gpu_resource *rec;
    uint32_t slot = 0;
    int r = virtio_gpu__idle(gpu);
    if (r) return r;
    if (id == 0 || virtio_gpu__res(gpu, id) || virtio_gpu_fb_size(width, height, format) == 0)
        return VIRTIO_EINVAL;
    for (rec = gpu->res; rec < gpu->res + gpu->max_resources && rec->id; rec++) {
    }
    if (rec == gpu->res + gpu->max_resources) return VIRTIO_ENOSPC;
    r = virtio_gpu__slot(gpu, &slot);
    if (r) return r;
    c = &gpu->cmds[slot].req.create;
    virtio_gpu__hdr(gpu, slot, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
    virtio_put_le32(&c->resource_id, id);
    virtio_put_le32(&c->format, format);
    virtio_put_le32(&c->width, width);
    virtio_put_le32(&c->height, height);
    r = virtio_gpu__one(gpu, slot, (uint32_t)sizeof *c, 0, 0);
    if (r) return r;
    rec->id = id;
    rec->format = format;
    rec->width = width;
    rec->height = height;
    rec->backed = 0;
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_gpu_attach_backing(virtio_gpu *gpu, uint32_t id,
                                         const virtio_gpu_piece *pieces, uint32_t n) {
    virtio_gpu_resource_attach_backing *a;
    virtio_gpu_resource *rec;
    uint64_t total = 0;
    uint32_t i, slot = 0;
    int r = virtio_gpu__idle(gpu);
    if (r) return r;
    rec = virtio_gpu__res(gpu, id);
    if (!rec || rec->backed || !pieces || n == 0 || n > gpu->max_pieces) return VIRTIO_EINVAL;
    for (i = 0; i < n; i++) {
        if (!pieces[i].addr || pieces[i].len == 0 || pieces[i].len != (uint32_t)pieces[i].len)
            return VIRTIO_EINVAL;
        total += pieces[i].len;
    }
    if (total < virtio_gpu_fb_size(rec->width, rec->height, rec->format)) return VIRTIO_EINVAL;
    r = virtio_gpu__slot(gpu, &slot);
    if (r) return r;
    /* The list is in driver memory, device addresses: it is read while the command runs. */
    for (i = 0; i < n; i++) {
        virtio_put_le64(&gpu->entries[i].addr, virtio_dev_dma(&gpu->dev, pieces[i].addr));
        virtio_put_le32(&gpu->entries[i].length, (uint32_t)pieces[i].len);
        virtio_put_le32(&gpu->entries[i].padding, 0);
    }
    a = &gpu->cmds[slot].req.attach;
    virtio_gpu__hdr(gpu, slot, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
    virtio_put_le32(&a->resource_id, id);
    virtio_put_le32(&a->nr_entries, n);
    r = virtio_gpu__one(gpu, slot, (uint32_t)sizeof *a, gpu->entries,
                        n * (uint32_t)sizeof(virtio_gpu_mem_entry));
    if (r == VIRTIO_OK) rec->backed = 1;
    return r;
}

VIRTIO_DEF int virtio_gpu_attach_fb(virtio_gpu *gpu, uint32_t id, void *fb, size_t size) {
    virtio_gpu_piece one;
    one.addr = fb;
    one.len = size;
    return virtio_gpu_attach_backing(gpu, id, &one, 1);
}

/* DETACH_BACKING and UNREF: the same request shape. */
static int virtio_gpu__release(virtio_gpu *gpu, uint32_t id, uint32_t type) {
    virtio_gpu_resource_unref_req *u;
    virtio_gpu_resource *rec;
    uint32_t slot = 0;
    int r = virtio_gpu__idle(gpu);
    if (r) return r;
    rec = virtio_gpu__res(gpu, id);
    if (!rec || (type == VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING && !rec->backed))
        return VIRTIO_EINVAL;
    r = virtio_gpu__slot(gpu, &slot);
    if (r) return r;
    u = &gpu->cmds[slot].req.unref;
    virtio_gpu__hdr(gpu, slot, type);
    virtio_put_le32(&u->resource_id, id);
    r = virtio_gpu__one(gpu, slot, (uint32_t)sizeof *u, 0, 0);
    if (r) return r;
    if (type == VIRTIO_GPU_CMD_RESOURCE_UNREF) rec->id = 0;
    rec->backed = 0;
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_gpu_detach_backing(virtio_gpu *gpu, uint32_t id) {
    return virtio_gpu__release(gpu, id, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING);
}

VIRTIO_DEF int virtio_gpu_resource_unref(virtio_gpu *gpu, uint32_t id) {
    return virtio_gpu__release(gpu, id, VIRTIO_GPU_CMD_RESOURCE_UNREF);
}

/* ---- Scanouts and updates: SET_SCANOUT, TRANSFER_TO_HOST_2D, RESOURCE_FLUSH ------------------ */
static void virtio_gpu__put_rect(virtio_gpu_rect *d, const virtio_gpu_rect *r) {
    virtio_put_le32(&d->x, r->x);
    virtio_put_le32(&d->y, r->y);
    virtio_put_le32(&d->width, r->width);
    virtio_put_le32(&d->height, r->height);
}

VIRTIO_DEF int virtio_gpu_set_scanout(virtio_gpu *gpu, uint32_t scanout, uint32_t id,
                                      const virtio_gpu_rect *r) {
    static const virtio_gpu_rect none = {0, 0, 0, 0};
    virtio_gpu_set_scanout_req *s;
    const virtio_gpu_resource *rec;
    uint32_t slot = 0;
    int rc = virtio_gpu__idle(gpu);
    if (rc) return rc;
    if (scanout >= gpu->num_scanouts) return VIRTIO_EINVAL;
    if (id != 0) {
        rec = virtio_gpu__res(gpu, id);
        /* "Scanout rectangles must be completely covered by the underlying resource." */
        if (!rec || !virtio_gpu__rect_inside(r, rec->width, rec->height)) return VIRTIO_EINVAL;
    }
    rc = virtio_gpu__slot(gpu, &slot);
    if (rc) return rc;
    s = &gpu->cmds[slot].req.set_scanout;
    virtio_gpu__hdr(gpu, slot, VIRTIO_GPU_CMD_SET_SCANOUT);
    virtio_gpu__put_rect(&s->r, id ? r : &none);
    virtio_put_le32(&s->scanout_id, scanout);
    virtio_put_le32(&s->resource_id, id);
    return virtio_gpu__one(gpu, slot, (uint32_t)sizeof *s, 0, 0);
}

/* Checks a transfer (needs backing) or flush of r on resource id. */
static int virtio_gpu__check_update(const virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r,
                                    int transfer) {
    const virtio_gpu_resource *rec = virtio_gpu__res(gpu, id);
    if (!rec || !virtio_gpu__rect_inside(r, rec->width, rec->height)) return VIRTIO_EINVAL;
    if (transfer && !rec->backed) return VIRTIO_EINVAL;
    return VIRTIO_OK;
}

/* Queues a transfer or a flush of r (checked) in a free slot. */
static int virtio_gpu__queue_update(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r,
                                    int transfer) {
    const virtio_gpu_resource *rec = virtio_gpu__res(gpu, id);
    uint32_t slot = 0;
    int rc;
    /* The callers checked id (virtio_gpu__check_update); said again here, where the record is
       used, so that this function stands on its own (gcc -fanalyzer reads it alone). */
    if (!rec) return VIRTIO_EINVAL;
    rc = virtio_gpu__slot(gpu, &slot);
    if (rc) return rc;
    if (transfer) {
        virtio_gpu_transfer_to_host_2d *x = &gpu->cmds[slot].req.transfer;
        /* QEMU reads row k from offset + stride * k with stride = width * 4: the backing is laid
           out with exactly that stride, and offset is where r starts in it. */
        uint64_t off = (uint64_t)r->y * virtio_gpu_stride(rec->width, rec->format) +
                       (uint64_t)r->x * VIRTIO_GPU_BYTES_PER_PIXEL;
        virtio_gpu__hdr(gpu, slot, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
        virtio_gpu__put_rect(&x->r, r);
        virtio_put_le64(&x->offset, off);
        virtio_put_le32(&x->resource_id, id);
        return virtio_gpu__add(gpu, slot, (uint32_t)sizeof *x, 0, 0);
    } else {
        virtio_gpu_resource_flush *f = &gpu->cmds[slot].req.flush;
        virtio_gpu__hdr(gpu, slot, VIRTIO_GPU_CMD_RESOURCE_FLUSH);
        virtio_gpu__put_rect(&f->r, r);
        virtio_put_le32(&f->resource_id, id);
        return virtio_gpu__add(gpu, slot, (uint32_t)sizeof *f, 0, 0);
    }
}

/* The blocking updates: transfer, flush, or both (then one notification for the two). */
static int virtio_gpu__update(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r, int transfer,
                              int flush) {
    int rc = virtio_gpu__idle(gpu);
    if (rc == VIRTIO_OK) rc = virtio_gpu__check_update(gpu, id, r, transfer);
    if (rc) return rc;
    /* Nothing is pending and the control queue has at least 2 slots and 4 descriptors: both
       adds succeed. */
    if (transfer) rc = virtio_gpu__queue_update(gpu, id, r, 1);
    if (rc == VIRTIO_OK && flush) rc = virtio_gpu__queue_update(gpu, id, r, 0);
    if (rc) return rc;
    return virtio_gpu__run(gpu);
}

VIRTIO_DEF int virtio_gpu_transfer(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r) {
    return virtio_gpu__update(gpu, id, r, 1, 0);
}

VIRTIO_DEF int virtio_gpu_flush(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r) {
    return virtio_gpu__update(gpu, id, r, 0, 1);
}

VIRTIO_DEF int virtio_gpu_update(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r) {
    return virtio_gpu__update(gpu, id, r, 1, 1);
}

/* ---- Pipelined updates ----------------------------------------------------------------------- */
static int virtio_gpu__submit(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r,
                              int transfer) {
    int rc;
    if (!gpu) return VIRTIO_EINVAL;
    rc = virtio_gpu__usable(gpu);
    if (rc == VIRTIO_OK) rc = virtio_gpu__check_update(gpu, id, r, transfer);
    return rc ? rc : virtio_gpu__queue_update(gpu, id, r, transfer);
}

VIRTIO_DEF int virtio_gpu_transfer_submit(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r) {
    return virtio_gpu__submit(gpu, id, r, 1);
}

VIRTIO_DEF int virtio_gpu_flush_submit(virtio_gpu *gpu, uint32_t id, const virtio_gpu_rect *r) {
    return virtio_gpu__submit(gpu, id, r, 0);
}

VIRTIO_DEF int virtio_gpu_kick(virtio_gpu *gpu) {
    int r;
    if (!gpu) return VIRTIO_EINVAL;
    r = virtio_gpu__usable(gpu);
    return r ? r : virtio_queue_kick(&gpu->ctrl);
}

VIRTIO_DEF int virtio_gpu_poll(virtio_gpu *gpu, uint32_t *cmd, int *result) {
    void *cookie = 0;
    uint32_t len = 0;
    int r;
    if (!gpu) return VIRTIO_EINVAL;
    r = virtio_gpu__usable(gpu);
    /* Publish what was submitted since the last kick: no register access when nothing is new. */
    if (r == VIRTIO_OK) r = virtio_queue_kick(&gpu->ctrl);
    if (r) return r;
    if (gpu->ndone == 0) {
        r = virtio_queue_poll(&gpu->ctrl, &cookie, &len);
        if (r) return r; /* never waits, so never resets: pending commands stay the device's */
        virtio_gpu__complete(gpu, cookie, len);
    }
    virtio_gpu__take(gpu, cmd, result);
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_gpu_wait(virtio_gpu *gpu, uint32_t *cmd, int *result) {
    int r;
    if (!gpu) return VIRTIO_EINVAL;
    r = virtio_gpu__usable(gpu);
    /* A fault poll latched leaves commands with the device: a wait hands nothing back
       while the device may still use it. */
    if (r) return gpu->npending && r != VIRTIO_EBUSY ? virtio_gpu__abandon(gpu, r) : r;
    if (gpu->npending == 0) return VIRTIO_EAGAIN; /* nothing to wait for */
    if (gpu->ndone == 0) {
        /* Waiting for a command the device never saw is futile: publish first. */
        r = virtio_queue_kick(&gpu->ctrl);
        if (r == VIRTIO_OK) r = virtio_gpu__wait_one(gpu);
        if (r) return virtio_gpu__abandon(gpu, r);
    }
    virtio_gpu__take(gpu, cmd, result);
    return VIRTIO_OK;
}

VIRTIO_DEF int virtio_gpu_wait_all(virtio_gpu *gpu) {
    int r, first = VIRTIO_OK, one = 0;
    while ((r = virtio_gpu_wait(gpu, 0, &one)) == VIRTIO_OK) {
        if (first == VIRTIO_OK) first = one;
    }
    return r == VIRTIO_EAGAIN ? first : r;
}

VIRTIO_DEF uint32_t virtio_gpu_pending(const virtio_gpu *gpu) { return gpu ? gpu->npending : 0u; }

VIRTIO_DEF uint32_t virtio_gpu_last_error(const virtio_gpu *gpu) {
    return gpu ? gpu->last_error : 0u;
}

/* ---- Cursor: "Configure mouse cursor", "Device Operation: cursorq" --------------------------- */
#ifdef VIRTIO_GPU_MINIMAL
/* VIRTIO_GPU_MINIMAL: no cursor queue; the checks of the full build, then VIRTIO_ENOTSUP. */
static int virtio_gpu__no_cursor(const virtio_gpu *gpu, uint32_t scanout) {
    int r;
    if (!gpu) return VIRTIO_EINVAL;
    r = virtio_gpu__usable(gpu);
    if (r) return r;
    return scanout < gpu->num_scanouts ? VIRTIO_ENOTSUP : VIRTIO_EINVAL;
}

VIRTIO_DEF int virtio_gpu_cursor_set(virtio_gpu *gpu, uint32_t scanout, uint32_t id, uint32_t hot_x,
                                     uint32_t hot_y, uint32_t x, uint32_t y) {
    (void)id;
    (void)hot_x;
    (void)hot_y;
    (void)x;
    (void)y;
    return virtio_gpu__no_cursor(gpu, scanout);
}

VIRTIO_DEF int virtio_gpu_cursor_move(virtio_gpu *gpu, uint32_t scanout, uint32_t x, uint32_t y) {
    (void)x;
    (void)y;
    return virtio_gpu__no_cursor(gpu, scanout);
}

VIRTIO_DEF int virtio_gpu_cursor_hide(virtio_gpu *gpu, uint32_t scanout) {
    return virtio_gpu__no_cursor(gpu, scanout);
}
#else
/* Takes back every cursor command the device has used (it writes no response: nothing to
   check), then a free slot; waits (bounded) for one only when all are with the device. */
static int virtio_gpu__cursor_slot(virtio_gpu *gpu, uint32_t *slot) {
    void *cookie = 0;
    uint32_t i;
    int r;
    for (;;) {
        r = virtio_queue_poll(&gpu->cursor, &cookie, 0);
        if (r == VIRTIO_EAGAIN) break;
        if (r) return r; /* latched by the core */
        gpu->cursor_busy[(virtio_gpu_update_cursor *)cookie - gpu->cursors] = 0;
    }
    if (virtio_queue_pending(&gpu->cursor) >= gpu->ncursors) {
        r = virtio_queue_wait(&gpu->cursor, &cookie, 0);
        if (r) return virtio_gpu__abandon(gpu, r);
        gpu->cursor_busy[(virtio_gpu_update_cursor *)cookie - gpu->cursors] = 0;
    }
    for (i = 0; gpu->cursor_busy[i]; i++) {
    }
    *slot = i;
    return VIRTIO_OK;
}

/* Sends one cursor command (not fenced, not answered) and notifies the device. */
static int virtio_gpu__cursor(virtio_gpu *gpu, uint32_t type, uint32_t scanout, uint32_t id,
                              uint32_t hot_x, uint32_t hot_y, uint32_t x, uint32_t y) {
    virtio_gpu_update_cursor *c;
    virtio_seg seg;
    uint32_t slot = 0;
    int r = virtio_gpu__cursor_slot(gpu, &slot);
    if (r) return r;
    c = &gpu->cursors[slot];
    virtio_zero(c, sizeof *c);
    virtio_put_le32(&c->hdr.type, type);
    virtio_put_le32(&c->pos.scanout_id, scanout);
    virtio_put_le32(&c->pos.x, x);
    virtio_put_le32(&c->pos.y, y);
    virtio_put_le32(&c->resource_id, id);
    virtio_put_le32(&c->hot_x, hot_x);
    virtio_put_le32(&c->hot_y, hot_y);
    seg.addr = c;
    seg.len = (uint32_t)sizeof *c;
    r = virtio_queue_add(&gpu->cursor, &seg, 1, 0, c); /* device-readable only */
    if (r) return r;
    gpu->cursor_busy[slot] = 1;
    return virtio_queue_kick(&gpu->cursor);
}

/* Usable (the cursor queue too) and a known scanout. */
static int virtio_gpu__cursor_check(const virtio_gpu *gpu, uint32_t scanout) {
    int r;
    if (!gpu) return VIRTIO_EINVAL;
    r = virtio_gpu__usable(gpu);
    if (r == VIRTIO_OK) r = virtio_queue_usable(&gpu->cursor);
    if (r) return r;
    return scanout < gpu->num_scanouts ? VIRTIO_OK : VIRTIO_EINVAL;
}

VIRTIO_DEF int virtio_gpu_cursor_set(virtio_gpu *gpu, uint32_t scanout, uint32_t id, uint32_t hot_x,
                                     uint32_t hot_y, uint32_t x, uint32_t y) {
    const virtio_gpu_resource *rec;
    int r = virtio_gpu__cursor_check(gpu, scanout);
    if (r) return r;
    /* "make sure the commands to fill the resource are actually processed" */
    if (gpu->npending) return VIRTIO_ESTATE;
    /* "it must be 64x64 in size": QEMU silently keeps the old image otherwise. */
    rec = virtio_gpu__res(gpu, id);
    if (!rec || !rec->backed || rec->width != VIRTIO_GPU_CURSOR_DIM ||
        rec->height != VIRTIO_GPU_CURSOR_DIM || hot_x >= VIRTIO_GPU_CURSOR_DIM ||
        hot_y >= VIRTIO_GPU_CURSOR_DIM)
        return VIRTIO_EINVAL;
    return virtio_gpu__cursor(gpu, VIRTIO_GPU_CMD_UPDATE_CURSOR, scanout, id, hot_x, hot_y, x, y);
}

VIRTIO_DEF int virtio_gpu_cursor_move(virtio_gpu *gpu, uint32_t scanout, uint32_t x, uint32_t y) {
    int r = virtio_gpu__cursor_check(gpu, scanout);
    return r ? r : virtio_gpu__cursor(gpu, VIRTIO_GPU_CMD_MOVE_CURSOR, scanout, 0, 0, 0, x, y);
}

VIRTIO_DEF int virtio_gpu_cursor_hide(virtio_gpu *gpu, uint32_t scanout) {
    int r = virtio_gpu__cursor_check(gpu, scanout);
    return r ? r : virtio_gpu__cursor(gpu, VIRTIO_GPU_CMD_UPDATE_CURSOR, scanout, 0, 0, 0, 0, 0);
}
#endif /* VIRTIO_GPU_MINIMAL */

#undef VIRTIO_GPU__SENTINEL
#undef VIRTIO_GPU__HDR
#undef VIRTIO_GPU__MAX_NR

#endif /* VIRTIO_GPU_IMPLEMENTATION */

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
