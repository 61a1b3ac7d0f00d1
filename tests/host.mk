# tests/host.mk - host (x86-64) unit tests of virtio.h against the simulated device: what every
# host test program shares (HOST_CC, HOST_CFLAGS, HOST_TEST_TIMEOUT, the targets host-tests and
# host-tests-build), and the core's own program, test_core. Each device adds its program in
# tests/X_host.mk (blk, console, net, rng).
# Included by the top-level Makefile (which defines BUILD); on its own:
#     make -f tests/host.mk host-tests
# Every test program prints one PASS/FAIL/SKIP line per case and exits nonzero on a failure.

BUILD ?= build
HOST_CC ?= cc
HOST_CFLAGS ?= -std=c11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion \
	-Wstrict-prototypes -Wmissing-prototypes -Wundef -Wcast-align -Wvla -Werror -I. \
	-D_POSIX_C_SOURCE=200809L
HOST_TEST_DIR := $(BUILD)/host
HOST_TESTS := test_core
HOST_TEST_BINS := $(addprefix $(HOST_TEST_DIR)/,$(HOST_TESTS))
# A program that hangs is stopped; its running case then prints its FAIL line (SIGTERM).
HOST_TEST_TIMEOUT ?= $(shell command -v timeout >/dev/null 2>&1 && echo timeout 300)
# test_core scans slots that hold a block and an entropy device: it links their backends.
HOST_TEST_DEPS := virtio.h tests/sim.h tests/sim.c tests/sim_blk.h tests/sim_blk.c \
	tests/sim_rng.h tests/sim_rng.c tests/test.h tests/fixture.h tests/host.mk

.PHONY: host-tests host-tests-build core-host-tests

host-tests-build: $(HOST_TEST_BINS)

# host-tests is nothing but its prerequisites (one per program or suite), so that under make -k
# a failing one never keeps another from running. This one runs every program of
# HOST_TEST_BINS even if one fails, then fails if any did.
host-tests: core-host-tests
core-host-tests: $(HOST_TEST_BINS)
	@status=0; for t in $(HOST_TEST_BINS); do \
		ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
			$(HOST_TEST_TIMEOUT) $$t || status=1; \
	done; exit $$status

$(HOST_TEST_DIR)/test_core: tests/test_core.c $(HOST_TEST_DEPS)
	@mkdir -p $(HOST_TEST_DIR)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $< tests/sim.c tests/sim_blk.c tests/sim_rng.c
