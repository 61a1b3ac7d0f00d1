# tests/device_host.mk - host tests of virtio_device.h (the device side), ASan and UBSan on, built
# and run like tests/host.mk's test_core with its HOST_CC, HOST_CFLAGS and HOST_TEST_TIMEOUT (set
# there, not here: the recipes expand them late). Two programs and a fuzzer:
#   test_device    the register file and the device-side ring case by case, hostile drivers
#   test_loopback  every driver header with a device here (virtio.h's queues, virtio_blk.h,
#                  virtio_console.h, virtio_rng.h) talking to virtio_device.h in one process
#   fuzz_device    tests/fuzz/fuzz_device.c (libFuzzer, clang): `make test` runs it for
#                  DEVICE_FUZZ_SHORT seconds (7; the driver fuzzers of tests/fuzz_host.mk
#                  too: 8 targets, about a minute) from the committed corpus; pass = no crash
# Alone: make -f tests/host.mk -f tests/device_host.mk device-host-tests
#
#   make device-host-tests          build and run test_device and test_loopback
#   make device-fuzz-short          the fuzzer's short run (a case line for the runner)
#   make fuzz-device FUZZ_SECONDS=N run the fuzzer for N seconds (default 300), corpus kept in
#                                   $(BUILD)/fuzz/corpus-device (seeds: tests/fuzz/corpus/device)

BUILD ?= build

DEVICE_HOST_BINS := $(BUILD)/host/test_device $(BUILD)/host/test_loopback
DEVICE_FUZZ_BIN := $(BUILD)/fuzz/fuzz_device
DEVICE_FUZZ_CC ?= clang
DEVICE_FUZZ_FLAGS ?= -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -I.
DEVICE_FUZZ_SHORT ?= 7
FUZZ_SECONDS ?= 300

.PHONY: device-host-tests device-fuzz-short fuzz-device

host-tests: device-host-tests device-fuzz-short
host-tests-build: $(DEVICE_HOST_BINS)

device-host-tests: $(DEVICE_HOST_BINS)
	@status=0; for t in $(DEVICE_HOST_BINS); do \
		ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
			$(HOST_TEST_TIMEOUT) $$t || status=1; \
	done; exit $$status

$(BUILD)/host/test_device: tests/test_device.c virtio.h virtio_device.h tests/test.h \
		tests/device_host.mk
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_device.c

$(BUILD)/host/test_loopback: tests/test_loopback.c virtio.h virtio_device.h virtio_blk.h \
		virtio_console.h virtio_rng.h tests/test.h tests/device_host.mk
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_loopback.c

$(DEVICE_FUZZ_BIN): tests/fuzz/fuzz_device.c virtio.h virtio_device.h tests/device_host.mk
	@mkdir -p $(@D)
	$(DEVICE_FUZZ_CC) $(DEVICE_FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_device.c

# One case line: PASS if the fuzzer ran DEVICE_FUZZ_SHORT seconds from the seeds without a
# crash; FAIL (with the tail of its report) otherwise, or if it could not be built.
device-fuzz-short:
	@mkdir -p $(BUILD)/fuzz/short-corpus; \
	name="fuzz: fuzz_device, $(DEVICE_FUZZ_SHORT) s from tests/fuzz/corpus/device, no crash"; \
	if ! $(MAKE) --no-print-directory -s $(FUZZ_SUBMAKE) $(DEVICE_FUZZ_BIN) >$(BUILD)/fuzz/build.log 2>&1; then \
		echo "FAIL $$name -> could not build (see $(BUILD)/fuzz/build.log)"; \
		tail -n 5 $(BUILD)/fuzz/build.log; exit 1; fi; \
	if $(DEVICE_FUZZ_BIN) -max_total_time=$(DEVICE_FUZZ_SHORT) -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/short-corpus tests/fuzz/corpus/device \
		>$(BUILD)/fuzz/short.log 2>&1; then \
		echo "PASS $$name"; \
		grep -E '^#[0-9]+.*DONE' $(BUILD)/fuzz/short.log | sed 's/^/INFO fuzz_device: /' | tail -n 1; \
	else echo "FAIL $$name -> see $(BUILD)/fuzz/short.log"; tail -n 30 $(BUILD)/fuzz/short.log; \
		exit 1; fi

fuzz-device: $(DEVICE_FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus-device
	$(DEVICE_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus-device tests/fuzz/corpus/device
