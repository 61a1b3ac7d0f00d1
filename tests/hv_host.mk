# tests/hv_host.mk - the device headers' host tests again, with the simulated device playing
# another hypervisor (VIRTIO_TEST_HV, tests/fixture.h; the personalities are in tests/sim.h,
# enum sim_hv): each suite runs where that hypervisor has the device. Uses the programs the
# other fragments build (HOST_TEST_TIMEOUT from tests/host.mk).
#
#   make hv-host-tests   kvmtool: blk, console, net, rng; crosvm (modern cases only, with the
#                        accessor's VIRTIO_REGS_F_CONFIG32): blk, console, net, rng. Firecracker
#                        cannot reset an activated device, which most cases do between steps:
#                        its cases are in the suites themselves (grep firecracker).

BUILD ?= build

HV_SUITES := blk console net rng

.PHONY: hv-host-tests

host-tests: hv-host-tests

hv-host-tests: $(foreach s,$(HV_SUITES),$(BUILD)/host/test_$(s))
	@status=0; for hv in kvmtool crosvm; do for s in $(HV_SUITES); do \
		echo "INFO hypervisor $$hv: test_$$s"; \
		VIRTIO_TEST_HV=$$hv ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
			$(HOST_TEST_TIMEOUT) $(BUILD)/host/test_$$s || status=1; \
	done; done; exit $$status
