# tests/qemu/console.mk - virtio_console.h on QEMU, and its benchmark.
# Included by the top-level Makefile (with examples/examples.mk, whose pattern rules build the
# ELFs named here).
#
#   make qemu-console-tests  tests/qemu/console_test.py: emergency write, 1 MiB echo on port 0,
#                            the console in another slot, multiport with named ports, a refused
#                            port, a host close; legacy and modern (about 10 s)
#   make bench-console       tests/qemu/console_bench.py: port 0 against the UART, register
#                            accesses per KiB; writes $(BUILD)/bench-console.json
# Python 3 standard library only.

BUILD ?= build
PYTHON ?= python3

.PHONY: qemu-console-tests bench-console

qemu-tests: qemu-console-tests
bench: bench-console

qemu-console-tests: $(BUILD)/riscv64/console.elf $(BUILD)/riscv64/console_multi.elf
	$(PYTHON) tests/qemu/console_test.py --build $(BUILD)

bench-console: $(BUILD)/riscv64/console_bench.elf
	$(PYTHON) tests/qemu/console_bench.py --build $(BUILD)
