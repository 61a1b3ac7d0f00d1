/* gpu_min.c - examples/gpu.c in the smallest configuration a program that finds its devices in
   the device tree can have: VIRTIO_MINIMAL but for VIRTIO_NO_FDT (example.h reads the device
   tree), that is VIRTIO_NO_LEGACY, _NO_STRINGS, _NO_PACKED, _NO_INDIRECT, _NO_EVENT_IDX,
   _NO_FAST_PATH and VIRTIO_GPU_MINIMAL: modern devices only, no EDID (virtio_gpu_has_edid is
   0, so no EDID line), no cursor queue, no display-change events. The scanouts and the pattern
   are those of gpu.c. tests/qemu/gpu_test.py runs it on modern transports. */
#define VIRTIO_NO_LEGACY
#define VIRTIO_NO_STRINGS
#define VIRTIO_NO_PACKED
#define VIRTIO_NO_INDIRECT
#define VIRTIO_NO_EVENT_IDX
#define VIRTIO_NO_FAST_PATH
#define VIRTIO_GPU_MINIMAL
#include "gpu.c"
