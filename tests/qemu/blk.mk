# tests/qemu/blk.mk - virtio_blk.h on QEMU: the test matrix and the benchmark.
# Included by the top-level Makefile (with examples/*.mk, whose rules build the ELFs named here,
# and tests/qemu/targets.mk: QEMU_TARGETS, QEMU_TEST_ARGS).
#
#   make qemu-blk-tests  tests/qemu/blk_test.py: examples/blk.c over a matrix of legacy and
#                        modern virtio-mmio, queue sizes, features, read-only, slots, two disks,
#                        and examples/blk_timeout.c on a throttled drive (a timed-out read leaves
#                        its buffer alone once it has returned), examples/blk_faults.c on a
#                        blkdebug drive (injected errors fail that request alone),
#                        examples/blk_min.c (the smallest build: VIRTIO_MINIMAL +
#                        VIRTIO_MMIO_ONLY) on modern devices; one job per
#                        target (qemu-blk-tests-riscv64, ...): the whole matrix on riscv64, the
#                        port subset on the others (all of it with QEMU_FULL=1)
#   make qemu-blk-durable-tests
#                        tests/qemu/blk_durable_test.py: examples/blk_durable.c, 10^4 random
#                        writes with flushes checked byte for byte against a host model of the
#                        image, and QEMU killed (SIGKILL) right after a flush: every write before
#                        it is in the image; one job per target (qemu-blk-durable-tests-riscv64,
#                        ...): kills at three flushes on riscv64, one elsewhere
#   make bench-blk       tests/qemu/blk_bench.py: latency, throughput and register accesses in
#                        QEMU, code size; prints a table and writes $(BUILD)/bench.json
#
# Python 3 standard library only.

include tests/qemu/targets.mk

.PHONY: qemu-blk-tests qemu-blk-durable-tests bench-blk

qemu-tests: qemu-blk-tests qemu-blk-durable-tests
bench: bench-blk

QEMU_BLK_JOBS := $(QEMU_TARGETS:%=qemu-blk-tests-%)
.PHONY: $(QEMU_BLK_JOBS)
qemu-blk-tests: $(QEMU_BLK_JOBS)
$(QEMU_BLK_JOBS): qemu-blk-tests-%: $(BUILD)/%/blk.elf $(BUILD)/%/blk_timeout.elf \
		$(BUILD)/%/blk_faults.elf $(BUILD)/%/blk_min.elf
	$(PYTHON) tests/qemu/blk_test.py $(QEMU_TEST_ARGS) --no-build -j 1 --target $*

QEMU_BLK_DURABLE_JOBS := $(QEMU_TARGETS:%=qemu-blk-durable-tests-%)
.PHONY: $(QEMU_BLK_DURABLE_JOBS)
qemu-blk-durable-tests: $(QEMU_BLK_DURABLE_JOBS)
$(QEMU_BLK_DURABLE_JOBS): qemu-blk-durable-tests-%: $(BUILD)/%/blk_durable.elf
	$(PYTHON) tests/qemu/blk_durable_test.py $(QEMU_TEST_ARGS) --no-build -j 1 --target $*

bench-blk:
	$(PYTHON) tests/qemu/blk_bench.py --build $(BUILD)
