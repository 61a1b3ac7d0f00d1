# tests/qemu/qemu.mk - the QEMU test matrix and the benchmark.
# Included by the top-level Makefile; alone: make -f tests/qemu/qemu.mk qemu-tests
#
#   make qemu-tests   boot examples/blk.c over the matrix of tests/qemu/run.py (legacy and
#                     modern virtio-mmio, queue sizes, features, read-only, slots, two disks),
#                     and examples/blk_timeout.c on a throttled drive (a timed-out read leaves
#                     its buffer alone once it has returned)
#   make bench        latency, throughput and register accesses in QEMU, code size; prints a
#                     table and writes $(BUILD)/bench.json
#
# Both scripts build what they boot (make -f examples/examples.mk), so these targets need no
# prerequisites here. Python 3 standard library only.

BUILD ?= build
PYTHON ?= python3

.PHONY: qemu-tests bench

qemu-tests:
	$(PYTHON) tests/qemu/run.py --build $(BUILD)

bench:
	$(PYTHON) tests/qemu/bench.py --build $(BUILD)
