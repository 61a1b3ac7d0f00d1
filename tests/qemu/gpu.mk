# tests/qemu/gpu.mk - virtio_gpu.h on QEMU: pixel-exact tests, the README picture, the benchmark.
# Included by the top-level Makefile (with examples/*.mk, whose rules build the ELFs named here,
# and tests/qemu/targets.mk: QEMU_TARGETS, QEMU_TEST_ARGS).
#
#   make qemu-gpu-tests  tests/qemu/gpu_test.py: examples/gpu.c on every target, legacy and
#                        modern; QMP screendumps (PNG) of every head compared pixel by pixel
#                        with the example's pattern before and after its update: 1280x800,
#                        640x480, 1366x768, 1920x1080 with two heads, max_outputs=2, the GPU in
#                        slot 0 behind devices of other types, the minimal build (gpu_min.elf,
#                        modern: EDID offered, not taken), and no GPU at all (a clean FAIL);
#                        one job per target (qemu-gpu-tests-<target>)
#   make gpu-picture     the same test for riscv64 at 1280x800, copying the screendump after
#                        the update to docs/gpu.png (the README's picture: taken, not drawn)
#   make bench-gpu       tests/qemu/gpu_bench.py: full-screen updates per second at 1280x800,
#                        register accesses and guest instructions per update; prints a table
#                        and writes $(BUILD)/bench-gpu.json
# Python 3 standard library only.

include tests/qemu/targets.mk

.PHONY: qemu-gpu-tests gpu-picture bench-gpu

qemu-tests: qemu-gpu-tests
bench: bench-gpu

QEMU_GPU_JOBS := $(QEMU_TARGETS:%=qemu-gpu-tests-%)
.PHONY: $(QEMU_GPU_JOBS)
qemu-gpu-tests: $(QEMU_GPU_JOBS)
$(QEMU_GPU_JOBS): qemu-gpu-tests-%: $(BUILD)/%/gpu.elf $(BUILD)/%/gpu_min.elf
	$(PYTHON) tests/qemu/gpu_test.py $(QEMU_TEST_ARGS) --target $*

gpu-picture: $(BUILD)/riscv64/gpu.elf
	$(PYTHON) tests/qemu/gpu_test.py --build $(BUILD) --machine riscv64 -k default \
		--picture docs/gpu.png

bench-gpu: $(BUILD)/riscv64/gpu_bench.elf
	$(PYTHON) tests/qemu/gpu_bench.py --build $(BUILD)
