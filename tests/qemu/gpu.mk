# tests/qemu/gpu.mk - virtio_gpu.h on QEMU: pixel-exact tests, the README picture, the benchmark.
# Included by the top-level Makefile (with examples/examples.mk, whose pattern rules build the
# ELFs named here).
#
#   make qemu-gpu-tests  tests/qemu/gpu_test.py: examples/gpu.c on riscv64 and riscv32, legacy
#                        and modern; QMP screendumps (PNG) of every head compared pixel by pixel
#                        with the example's pattern before and after its update: 1280x800,
#                        640x480, 1366x768, 1920x1080 with two heads, max_outputs=2, the GPU in
#                        slot 0 behind seven devices, and no GPU at all (a clean FAIL)
#   make gpu-picture     the same test for riscv64 at 1280x800, copying the screendump after
#                        the update to docs/gpu.png (the README's picture: taken, not drawn)
#   make bench-gpu       tests/qemu/gpu_bench.py: full-screen updates per second at 1280x800,
#                        register accesses and guest instructions per update; prints a table
#                        and writes $(BUILD)/bench-gpu.json
# Python 3 standard library only.

BUILD ?= build
PYTHON ?= python3

.PHONY: qemu-gpu-tests gpu-picture bench-gpu

qemu-tests: qemu-gpu-tests
bench: bench-gpu

qemu-gpu-tests: $(BUILD)/riscv64/gpu.elf $(BUILD)/riscv32/gpu.elf
	$(PYTHON) tests/qemu/gpu_test.py --build $(BUILD)

gpu-picture: $(BUILD)/riscv64/gpu.elf
	$(PYTHON) tests/qemu/gpu_test.py --build $(BUILD) --arch riscv64 -k default \
		--picture docs/gpu.png

bench-gpu: $(BUILD)/riscv64/gpu_bench.elf
	$(PYTHON) tests/qemu/gpu_bench.py --build $(BUILD)
