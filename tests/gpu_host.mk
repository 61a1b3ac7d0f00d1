# tests/gpu_host.mk - host tests of virtio_gpu.h against the simulated GPU (tests/sim.c with the
# backend tests/sim_gpu.c; test_gpu also boots a block device, tests/sim_blk.c, to see init
# refuse it), ASan and UBSan on, built and run like tests/host.mk's test_core with its HOST_CC,
# HOST_CFLAGS and HOST_TEST_TIMEOUT (set there, not here: the recipes expand them late).
# Alone: make -f tests/host.mk -f tests/gpu_host.mk gpu-host-tests
#
#   make gpu-host-tests   build $(BUILD)/host/test_gpu and run it, then test_gpu_minimal
#                         (tests/test_gpu_minimal.c: the VIRTIO_MINIMAL build)

BUILD ?= build

GPU_HOST_BIN := $(BUILD)/host/test_gpu
GPU_HOST_DEPS := tests/test_gpu.c tests/sim_gpu.c tests/sim_gpu.h tests/sim_blk.c tests/sim_blk.h \
	virtio.h virtio_gpu.h tests/sim.h tests/sim.c tests/test.h tests/fixture.h tests/gpu_host.mk

.PHONY: gpu-host-tests

host-tests: gpu-host-tests
GPU_MIN_BIN := $(BUILD)/host/test_gpu_minimal

host-tests-build: $(GPU_HOST_BIN) $(GPU_MIN_BIN)

gpu-host-tests: $(GPU_HOST_BIN) $(GPU_MIN_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(GPU_HOST_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(GPU_MIN_BIN)

$(GPU_HOST_BIN): $(GPU_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_gpu.c tests/sim_gpu.c tests/sim_blk.c tests/sim.c

$(GPU_MIN_BIN): tests/test_gpu_minimal.c tests/sim_gpu.c tests/sim_gpu.h virtio.h virtio_gpu.h \
		tests/sim.h tests/sim.c tests/test.h tests/fixture.h tests/gpu_host.mk
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_gpu_minimal.c tests/sim_gpu.c tests/sim.c
