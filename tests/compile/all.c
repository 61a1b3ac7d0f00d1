/* Compile test: both headers with their implementations in one translation unit.
   Built as C and C++ by tests/compile/run.sh with every warning we care about as an error. */
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "virtio_blk.h"

/* Twice, to show the include guards and the implementation guards hold. */
#include "virtio.h"
#include "virtio_blk.h"

int virtio_compile_test_entry(void);
int virtio_compile_test_entry(void) { return virtio_result_str(VIRTIO_EINVAL)[0]; }
