# tests/hv_host.mk - the device headers' host tests again, with the simulated device playing
# another hypervisor (VIRTIO_TEST_HV, tests/fixture.h; the personalities are in tests/sim.h,
# enum sim_hv): each suite runs where that hypervisor has the device. Uses the programs the
# other fragments build (HOST_TEST_TIMEOUT from tests/host.mk).
#
#   make hv-host-tests   kvmtool: blk, console, net, rng

BUILD ?= build

HV_KVMTOOL_SUITES := blk console net rng

.PHONY: hv-host-tests

host-tests: hv-host-tests

hv-host-tests: $(foreach s,$(HV_KVMTOOL_SUITES),$(BUILD)/host/test_$(s))
	@status=0; for s in $(HV_KVMTOOL_SUITES); do \
		echo "INFO hypervisor kvmtool: test_$$s"; \
		VIRTIO_TEST_HV=kvmtool ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
			$(HOST_TEST_TIMEOUT) $(BUILD)/host/test_$$s || status=1; \
	done; exit $$status
