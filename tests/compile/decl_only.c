/* Compile test: the declarations alone, as every file but one includes them. */
#include "virtio.h"
#include "virtio_blk.h"
int virtio_compile_decl_entry(void);
int virtio_compile_decl_entry(void) { return (int)sizeof(virtio_blk); }
