# tests/rng_host.mk - host tests of virtio_rng.h against the simulated entropy device (tests/sim.c
# with the backend tests/sim_rng.c; test_rng also boots a block device, tests/sim_blk.c, to see
# init refuse it), ASan and UBSan on, built and run like tests/host.mk's test_core with its
# HOST_CC, HOST_CFLAGS and HOST_TEST_TIMEOUT (set there, not here: the recipes expand them late).
# Alone: make -f tests/host.mk -f tests/rng_host.mk rng-host-tests
#
#   make rng-host-tests   build $(BUILD)/host/test_rng and run it

BUILD ?= build

RNG_HOST_BIN := $(BUILD)/host/test_rng
RNG_HOST_DEPS := tests/test_rng.c tests/sim_rng.c tests/sim_rng.h tests/sim_blk.c tests/sim_blk.h \
	virtio.h virtio_rng.h tests/sim.h tests/sim.c tests/test.h tests/fixture.h tests/rng_host.mk

.PHONY: rng-host-tests

host-tests: rng-host-tests
host-tests-build: $(RNG_HOST_BIN)

rng-host-tests: $(RNG_HOST_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(RNG_HOST_BIN)

$(RNG_HOST_BIN): $(RNG_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_rng.c tests/sim_rng.c tests/sim_blk.c tests/sim.c
