# tests/qemu/bench.mk - what the benchmarks share: the instruction-count plugin and code size.
# Included by the top-level Makefile; alone: make -f tests/qemu/bench.mk size-blk
#
#   make insn-plugin   $(BUILD)/insn_count.so from tests/qemu/plugin/insn_count.c: a QEMU TCG
#                      plugin (QEMU 7.2's plugin API, declared in the file itself: no QEMU
#                      development package) that counts guest instructions exactly between
#                      markers the guest executes (`slti x0, x0, imm`, a no-op without it).
#                      `make bench-blk` builds and loads it (tests/qemu/blk_bench.py).
#   make size-blk      code size of virtio.h + virtio_blk.h on rv64imac -Os, no QEMU: the
#                      implementations compiled alone (text + rodata), and linked into a
#                      reference program (probe, init, one read, one write) with
#                      --gc-sections, for the default build and the smallest configuration
#                      (VIRTIO_MINIMAL: no legacy, strings, packed ring, indirect descriptors,
#                      event index, short add path; VIRTIO_BLK_MINIMAL,
#                      VIRTIO_BLK_NO_RESIZE_CHECK; and VIRTIO_MMIO_ONLY: no transport table);
#                      see blk_bench.py's linked_sizes
#   make size-devices  the same linked size for every device header (blk, net, console, gpu,
#                      input, rng), each in a reference program of init and its main operation,
#                      default and VIRTIO_MINIMAL (tests/qemu/dev_size.py)

BUILD ?= build
PYTHON ?= python3

.PHONY: insn-plugin size-blk size-devices

insn-plugin: $(BUILD)/insn_count.so

$(BUILD)/insn_count.so: tests/qemu/plugin/insn_count.c
	@mkdir -p $(@D)
	gcc -O2 -shared -fPIC -Wall -Wextra -Werror -o $@ $<

size-blk:
	$(PYTHON) tests/qemu/blk_bench.py --build $(BUILD) --size-only

size-devices:
	$(PYTHON) tests/qemu/dev_size.py --build $(BUILD)
