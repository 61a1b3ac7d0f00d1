# tests/input_host.mk - host tests of virtio_input.h against the simulated input device
# (tests/sim.c with the backend tests/sim_input.c; test_input also boots a block device,
# tests/sim_blk.c, to see init refuse it), ASan and UBSan on, built and run like tests/host.mk's
# test_core with its HOST_CC, HOST_CFLAGS and HOST_TEST_TIMEOUT (set there, not here: the
# recipes expand them late).
# Alone: make -f tests/host.mk -f tests/input_host.mk input-host-tests
#
#   make input-host-tests   build $(BUILD)/host/test_input and run it, then test_input_minimal
#                           (tests/test_input_minimal.c: the VIRTIO_MINIMAL build)

BUILD ?= build

INPUT_HOST_BIN := $(BUILD)/host/test_input
INPUT_HOST_DEPS := tests/test_input.c tests/sim_input.c tests/sim_input.h tests/sim_blk.c \
	tests/sim_blk.h virtio.h virtio_input.h tests/sim.h tests/sim.c tests/test.h \
	tests/fixture.h tests/input_host.mk

.PHONY: input-host-tests

host-tests: input-host-tests
INPUT_MIN_BIN := $(BUILD)/host/test_input_minimal

host-tests-build: $(INPUT_HOST_BIN) $(INPUT_MIN_BIN)

input-host-tests: $(INPUT_HOST_BIN) $(INPUT_MIN_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(INPUT_HOST_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(INPUT_MIN_BIN)

$(INPUT_HOST_BIN): $(INPUT_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_input.c tests/sim_input.c tests/sim_blk.c tests/sim.c

$(INPUT_MIN_BIN): tests/test_input_minimal.c tests/sim_input.c tests/sim_input.h virtio.h \
		virtio_input.h tests/sim.h tests/sim.c tests/test.h tests/fixture.h tests/input_host.mk
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_input_minimal.c tests/sim_input.c tests/sim.c
