# tests/qemu/rng.mk - virtio_rng.h on QEMU.
# Included by the top-level Makefile (with examples/examples.mk, whose pattern rules build the
# ELFs named here).
#
#   make qemu-rng-tests  tests/qemu/rng_test.py: examples/rng.c on riscv64 and riscv32, legacy
#                        and modern; the device alone, in slot 0 and slot 7 among devices of
#                        other types, rate-limited (partial fills), and missing (a clean FAIL)
# Python 3 standard library only.

BUILD ?= build
PYTHON ?= python3

.PHONY: qemu-rng-tests

qemu-tests: qemu-rng-tests

qemu-rng-tests: $(BUILD)/riscv64/rng.elf $(BUILD)/riscv32/rng.elf
	$(PYTHON) tests/qemu/rng_test.py --build $(BUILD)
