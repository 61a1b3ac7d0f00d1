# tests/console_host.mk - host tests of virtio_console.h against the simulated console
# (tests/sim.c with the backend tests/sim_console.c; a block device, tests/sim_blk.c, for the
# cases of another device type), ASan and UBSan on, built and run like tests/host.mk's test_core
# with its HOST_CC, HOST_CFLAGS and HOST_TEST_TIMEOUT. Those are not set here: this file sorts
# before tests/host.mk in the top-level Makefile's include, and a default here would override
# host.mk's for every test (the recipe expands them late, so the include order does not
# matter). Alone: make -f tests/host.mk -f tests/console_host.mk
#
#   make console-host-tests   build $(BUILD)/host/test_console and run it, then
#                             test_console_minimal (tests/test_console_minimal.c: the
#                             VIRTIO_MINIMAL build) and test_console_nomultiport (the same
#                             file with VIRTIO_CONSOLE_NO_MULTIPORT alone)

BUILD ?= build

CONSOLE_HOST_BIN := $(BUILD)/host/test_console
CONSOLE_HOST_DEPS := tests/test_console.c tests/sim_console.c tests/sim_console.h virtio.h \
	virtio_console.h tests/sim.h tests/sim.c tests/sim_blk.h tests/sim_blk.c tests/test.h \
	tests/fixture.h tests/console_host.mk

.PHONY: console-host-tests

host-tests: console-host-tests

CONSOLE_MIN_BIN := $(BUILD)/host/test_console_minimal
CONSOLE_NOMP_BIN := $(BUILD)/host/test_console_nomultiport
CONSOLE_MIN_DEPS := tests/test_console_minimal.c tests/sim_console.c tests/sim_console.h virtio.h \
	virtio_console.h tests/sim.h tests/sim.c tests/test.h tests/fixture.h tests/console_host.mk

host-tests-build: $(CONSOLE_HOST_BIN) $(CONSOLE_MIN_BIN) $(CONSOLE_NOMP_BIN)

console-host-tests: $(CONSOLE_HOST_BIN) $(CONSOLE_MIN_BIN) $(CONSOLE_NOMP_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(CONSOLE_HOST_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(CONSOLE_MIN_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(CONSOLE_NOMP_BIN)

$(CONSOLE_MIN_BIN): $(CONSOLE_MIN_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_console_minimal.c tests/sim_console.c tests/sim.c

$(CONSOLE_NOMP_BIN): $(CONSOLE_MIN_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -DTEST_NO_MULTIPORT_ONLY -o $@ tests/test_console_minimal.c \
		tests/sim_console.c tests/sim.c

$(CONSOLE_HOST_BIN): $(CONSOLE_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_console.c tests/sim_console.c tests/sim_blk.c \
		tests/sim.c
