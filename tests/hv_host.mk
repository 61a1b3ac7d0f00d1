# tests/hv_host.mk - the personality matrix: the device headers' host tests again, with the
# simulated device playing another hypervisor (VIRTIO_TEST_HV, tests/fixture.h; the
# personalities are in tests/sim.h, enum sim_hv), each suite where that hypervisor has the
# device. The cells (whole suite, or n/a and why) are
# listed in tests/hv_matrix.sh, which prints one "INFO matrix <device> x <hv>" line per cell.
# Uses the programs the other fragments build (HOST_TEST_TIMEOUT from tests/host.mk).
#
#   make hv-host-tests   kvmtool: blk, console, net, rng; crosvm (modern only, with the
#                        accessor's VIRTIO_REGS_F_CONFIG32): blk, console, net, rng, input, gpu;
#                        TinyEMU (modern, no ring features): blk, console, net, input;
#                        Firecracker (modern, split ring, its feature offers): blk, net, rng,
#                        a case that resets the activated device a SKIP naming the refused
#                        reset (it cannot reset one; see tests/hv_matrix.sh)

BUILD ?= build

HV_SUITES := blk console net rng input gpu

.PHONY: hv-host-tests

host-tests: hv-host-tests

hv-host-tests: $(foreach s,$(HV_SUITES),$(BUILD)/host/test_$(s)) tests/hv_matrix.sh
	@HOST_TEST_TIMEOUT="$(HOST_TEST_TIMEOUT)" sh tests/hv_matrix.sh $(BUILD)
