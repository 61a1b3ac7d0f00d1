# tests/qemu/blk.mk - virtio_blk.h on QEMU: the test matrix and the benchmark.
# Included by the top-level Makefile; alone: make -f tests/qemu/blk.mk qemu-blk-tests
#
#   make qemu-blk-tests  tests/qemu/blk_test.py: examples/blk.c over a matrix of legacy and
#                        modern virtio-mmio, queue sizes, features, read-only, slots, two disks,
#                        and examples/blk_timeout.c on a throttled drive (a timed-out read leaves
#                        its buffer alone once it has returned)
#   make bench-blk       tests/qemu/blk_bench.py: latency, throughput and register accesses in
#                        QEMU, code size; prints a table and writes $(BUILD)/bench.json
#
# Both scripts build what they boot (make -f examples/examples.mk -f examples/blk.mk), so these
# targets need no prerequisites here. Python 3 standard library only.

BUILD ?= build
PYTHON ?= python3

.PHONY: qemu-blk-tests bench-blk

qemu-tests: qemu-blk-tests
bench: bench-blk

qemu-blk-tests:
	$(PYTHON) tests/qemu/blk_test.py --build $(BUILD)

bench-blk:
	$(PYTHON) tests/qemu/blk_bench.py --build $(BUILD)
