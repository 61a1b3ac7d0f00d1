# tests/qemu/ring.mk - every device example on both ring formats, indirect descriptors on and off
# (issue 14). Included by the top-level Makefile (with examples/examples.mk, whose pattern rules
# build the ELFs named here).
#
#   make qemu-ring-tests  tests/qemu/ring_test.py: blk, rng, console, net, gpu and input on
#                         riscv64, modern virtio-mmio, with packed=on|off x indirect_desc=on|off
# Python 3 standard library only.

BUILD ?= build
PYTHON ?= python3

.PHONY: qemu-ring-tests

qemu-tests: qemu-ring-tests

qemu-ring-tests: $(addprefix $(BUILD)/riscv64/,blk.elf rng.elf console.elf net.elf gpu.elf input.elf)
	$(PYTHON) tests/qemu/ring_test.py --build $(BUILD)
