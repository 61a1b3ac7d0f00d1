# tests/net_host.mk - host tests of virtio_net.h against the simulated virtio-net device.
# Included by the top-level Makefile (after tests/host.mk, whose HOST_CC and HOST_CFLAGS it
# uses: ASan and UBSan on); alone: make -f tests/host.mk -f tests/net_host.mk net-host-tests
#
#   make net-host-tests   build and run $(BUILD)/host/test_net (one PASS/FAIL line per case),
#                         then test_net_minimal (tests/test_net_minimal.c: the VIRTIO_MINIMAL build)

BUILD ?= build
HOST_CC ?= cc

.PHONY: net-host-tests

host-tests: net-host-tests

NET_HOST_BIN := $(BUILD)/host/test_net
NET_HOST_DEPS := virtio.h virtio_net.h tests/sim.h tests/sim.c tests/sim_net.h tests/sim_net.c \
	tests/test.h tests/fixture.h tests/net_host.mk

NET_MIN_BIN := $(BUILD)/host/test_net_minimal

host-tests-build: $(NET_HOST_BIN) $(NET_MIN_BIN)

net-host-tests: $(NET_HOST_BIN) $(NET_MIN_BIN)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 $(NET_HOST_BIN)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 $(NET_MIN_BIN)

$(NET_HOST_BIN): tests/test_net.c $(NET_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_net.c tests/sim.c tests/sim_net.c

$(NET_MIN_BIN): tests/test_net_minimal.c $(NET_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_net_minimal.c tests/sim.c tests/sim_net.c
