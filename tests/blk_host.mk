# tests/blk_host.mk - host tests of virtio_blk.h against the simulated RAM disk (tests/sim.c with
# the backend tests/sim_blk.c; test_blk also boots an entropy device, tests/sim_rng.c, to see
# init refuse it), ASan and UBSan on, built and run like tests/host.mk's test_core with its
# HOST_CC, HOST_CFLAGS and HOST_TEST_TIMEOUT. Those are not set here: this file sorts before
# tests/host.mk in the top-level Makefile's include, and a default here would override host.mk's
# for every test (the recipe expands them late, so the include order does not matter). Alone:
# make -f tests/host.mk -f tests/blk_host.mk blk-host-tests
#
#   make blk-host-tests   build $(BUILD)/host/test_blk and run it, then test_blk_minimal
#                         (tests/test_blk_minimal.c: the VIRTIO_MINIMAL build, one data
#                         segment per request), then test_blk_every4 (test_blk built with
#                         VIRTIO_BLK_RESIZE_CHECK_EVERY 4, its resize cases only), then
#                         test_blk_mmio_only (test_blk_minimal.c with VIRTIO_MMIO_ONLY too:
#                         no transport table, other transports refused)

BUILD ?= build

BLK_HOST_BIN := $(BUILD)/host/test_blk
BLK_HOST_DEPS := tests/test_blk.c tests/sim_blk.c tests/sim_blk.h tests/sim_rng.c tests/sim_rng.h \
	virtio.h virtio_blk.h tests/sim.h tests/sim.c tests/test.h tests/fixture.h tests/blk_host.mk

BLK_MIN_BIN := $(BUILD)/host/test_blk_minimal
BLK_MIN_DEPS := tests/test_blk_minimal.c tests/sim_blk.c tests/sim_blk.h tests/sim.h tests/sim.c \
	virtio.h virtio_blk.h tests/test.h tests/fixture.h tests/blk_host.mk

BLK_EVERY4_BIN := $(BUILD)/host/test_blk_every4
BLK_MMIO_ONLY_BIN := $(BUILD)/host/test_blk_mmio_only

.PHONY: blk-host-tests

host-tests: blk-host-tests

host-tests-build: $(BLK_HOST_BIN) $(BLK_MIN_BIN) $(BLK_EVERY4_BIN) $(BLK_MMIO_ONLY_BIN)

blk-host-tests: $(BLK_HOST_BIN) $(BLK_MIN_BIN) $(BLK_EVERY4_BIN) $(BLK_MMIO_ONLY_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(BLK_HOST_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(BLK_MIN_BIN)
	@echo "INFO test_blk_every4: VIRTIO_BLK_RESIZE_CHECK_EVERY 4, the resize cases"
	@VIRTIO_TEST_FILTER=resize ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 $(HOST_TEST_TIMEOUT) $(BLK_EVERY4_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(BLK_MMIO_ONLY_BIN)

$(BLK_HOST_BIN): $(BLK_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_blk.c tests/sim_blk.c tests/sim_rng.c tests/sim.c

$(BLK_MIN_BIN): $(BLK_MIN_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_blk_minimal.c tests/sim_blk.c tests/sim.c

$(BLK_MMIO_ONLY_BIN): $(BLK_MIN_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -DVIRTIO_MMIO_ONLY -o $@ tests/test_blk_minimal.c tests/sim_blk.c \
		tests/sim.c

$(BLK_EVERY4_BIN): $(BLK_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -DVIRTIO_BLK_RESIZE_CHECK_EVERY=4 -o $@ tests/test_blk.c \
		tests/sim_blk.c tests/sim_rng.c tests/sim.c
