# tests/qemu/rng.mk - virtio_rng.h on QEMU.
# Included by the top-level Makefile (with examples/*.mk, whose rules build the ELFs named here,
# and tests/qemu/targets.mk: QEMU_TARGETS, QEMU_TEST_ARGS).
#
#   make qemu-rng-tests  tests/qemu/rng_test.py: examples/rng.c on every target, legacy and
#                        modern; the device alone, in slot 0 and in the top slot among devices
#                        of other types, rate-limited (partial fills), and missing (a clean
#                        FAIL); one job per target (qemu-rng-tests-<target>)
# Python 3 standard library only.

include tests/qemu/targets.mk

.PHONY: qemu-rng-tests

qemu-tests: qemu-rng-tests

QEMU_RNG_JOBS := $(QEMU_TARGETS:%=qemu-rng-tests-%)
.PHONY: $(QEMU_RNG_JOBS)
qemu-rng-tests: $(QEMU_RNG_JOBS)
$(QEMU_RNG_JOBS): qemu-rng-tests-%: $(BUILD)/%/rng.elf
	$(PYTHON) tests/qemu/rng_test.py $(QEMU_TEST_ARGS) --target $*
