# tests/badinput_host.mk - bad caller input, table-driven (tests/test_badinput.c): every public
# function of every header called with each class of bad argument that applies (NULL,
# misaligned, too small, out of range, wrong state, wrong device); each row checks the result
# code, that no register was written and that no byte of caller memory changed; one case
# fails if a VIRTIO_API function has no row. ASan and UBSan on, built and run like
# tests/host.mk's test_core with its HOST_CC, HOST_CFLAGS and HOST_TEST_TIMEOUT. Its
# big-endian run is part of tests/be_host.mk (BE_PROGS).
# Alone: make -f tests/host.mk -f tests/badinput_host.mk badinput-host-tests
#
#   make badinput-host-tests   build $(BUILD)/host/test_badinput and run it

BUILD ?= build

BADIN_HOST_BIN := $(BUILD)/host/test_badinput
BADIN_SRC := tests/sim.c tests/sim_blk.c tests/sim_rng.c tests/sim_console.c tests/sim_net.c \
	tests/sim_gpu.c tests/sim_input.c
BADIN_HOST_DEPS := tests/test_badinput.c $(BADIN_SRC) $(wildcard virtio*.h) tests/sim*.h \
	tests/test.h tests/badinput_host.mk

.PHONY: badinput-host-tests

host-tests: badinput-host-tests
host-tests-build: $(BADIN_HOST_BIN)

badinput-host-tests: $(BADIN_HOST_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(BADIN_HOST_BIN)

$(BADIN_HOST_BIN): $(BADIN_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_badinput.c $(BADIN_SRC)
