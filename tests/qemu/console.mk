# tests/qemu/console.mk - virtio_console.h on QEMU, and its benchmark.
# Included by the top-level Makefile (with examples/*.mk, whose rules build the ELFs named here,
# and tests/qemu/targets.mk: QEMU_TARGETS, QEMU_TEST_ARGS).
#
#   make qemu-console-tests  tests/qemu/console_test.py: emergency write, 1 MiB echo on port 0,
#                            the console in slot 0 and in another slot, multiport with named
#                            ports, a refused port, a host close; legacy and modern; the
#                            VIRTIO_MINIMAL build (console_min.elf) on modern; one job
#                            per target (qemu-console-tests-<target>)
#   make bench-console       tests/qemu/console_bench.py: port 0 against the UART, register
#                            accesses per KiB; writes $(BUILD)/bench-console.json
# Python 3 standard library only.

include tests/qemu/targets.mk

.PHONY: qemu-console-tests bench-console

qemu-tests: qemu-console-tests
bench: bench-console

QEMU_CONSOLE_JOBS := $(QEMU_TARGETS:%=qemu-console-tests-%)
.PHONY: $(QEMU_CONSOLE_JOBS)
qemu-console-tests: $(QEMU_CONSOLE_JOBS)
$(QEMU_CONSOLE_JOBS): qemu-console-tests-%: $(BUILD)/%/console.elf $(BUILD)/%/console_multi.elf \
		$(BUILD)/%/console_min.elf
	$(PYTHON) tests/qemu/console_test.py $(QEMU_TEST_ARGS) --target $*

bench-console: $(BUILD)/riscv64/console_bench.elf
	$(PYTHON) tests/qemu/console_bench.py --build $(BUILD)
