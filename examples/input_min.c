/* input_min.c - examples/input.c in the smallest configuration a program that finds its devices
   in the device tree can have: VIRTIO_MINIMAL but for VIRTIO_NO_FDT (example.h reads the device
   tree), that is VIRTIO_NO_LEGACY, _NO_STRINGS, _NO_PACKED, _NO_INDIRECT, _NO_EVENT_IDX,
   _NO_FAST_PATH and VIRTIO_INPUT_MINIMAL: modern devices only, no configuration read (each
   device line shows an empty name and zero ids; every device gets the key map), no status
   queue (no Caps Lock LED). Events and lines are those of input.c. tests/qemu/input_test.py
   runs it on modern transports. */
#define VIRTIO_NO_LEGACY
#define VIRTIO_NO_STRINGS
#define VIRTIO_NO_PACKED
#define VIRTIO_NO_INDIRECT
#define VIRTIO_NO_EVENT_IDX
#define VIRTIO_NO_FAST_PATH
#define VIRTIO_INPUT_MINIMAL
#include "input.c"
