/* Compile test: the core alone, with its implementation. */
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
