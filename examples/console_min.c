/* console_min.c - examples/console.c in the smallest configuration a program that finds its
   devices in the device tree can have: VIRTIO_MINIMAL but for VIRTIO_NO_FDT (example.h reads
   the device tree), that is VIRTIO_NO_LEGACY, _NO_STRINGS, _NO_PACKED, _NO_INDIRECT,
   _NO_EVENT_IDX, _NO_FAST_PATH and VIRTIO_CONSOLE_MINIMAL: modern devices only, port 0 only,
   no emergency write (skipped: VIRTIO_ENOTSUP), no console size. Port 0 echoes as in
   console.c. tests/qemu/console_test.py runs it on modern transports. */
#define VIRTIO_NO_LEGACY
#define VIRTIO_NO_STRINGS
#define VIRTIO_NO_PACKED
#define VIRTIO_NO_INDIRECT
#define VIRTIO_NO_EVENT_IDX
#define VIRTIO_NO_FAST_PATH
#define VIRTIO_CONSOLE_MINIMAL
#include "console.c"
