# tests/fuzz_host.mk - the hostile-device fuzzer of the driver side (libFuzzer with ASan and
# UBSan, clang): tests/fuzz/fuzz_driver_blk.c drives virtio.h's core and virtio_blk.h against a
# transport whose every answer and every device-written byte comes from the input. Uses
# DEVICE_FUZZ_CC / DEVICE_FUZZ_FLAGS / DEVICE_FUZZ_SHORT / FUZZ_SECONDS of tests/device_host.mk
# (expanded late, so the include order does not matter).
#
#   make driver-fuzz-short            the short run `make test` makes (a case line)
#   make fuzz-driver FUZZ_SECONDS=N   run it for N seconds (default 300), corpus kept in
#                                     $(BUILD)/fuzz/corpus-driver-blk (seeds:
#                                     tests/fuzz/corpus/driver-blk)

BUILD ?= build

DRIVER_FUZZ_BIN := $(BUILD)/fuzz/fuzz_driver_blk

.PHONY: driver-fuzz-short fuzz-driver

host-tests: driver-fuzz-short

$(DRIVER_FUZZ_BIN): tests/fuzz/fuzz_driver_blk.c virtio.h virtio_blk.h tests/fuzz_host.mk
	@mkdir -p $(@D)
	$(DEVICE_FUZZ_CC) $(DEVICE_FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_driver_blk.c

# One case line: PASS if the fuzzer ran DEVICE_FUZZ_SHORT seconds from the seeds without a
# finding; FAIL (with the tail of its report) otherwise, or if it could not be built.
driver-fuzz-short:
	@mkdir -p $(BUILD)/fuzz/short-corpus-driver; \
	name="fuzz: fuzz_driver_blk, $(DEVICE_FUZZ_SHORT) s from tests/fuzz/corpus/driver-blk, no finding"; \
	if ! $(MAKE) --no-print-directory -s $(DRIVER_FUZZ_BIN) >$(BUILD)/fuzz/build-driver.log 2>&1; then \
		echo "FAIL $$name -> could not build (see $(BUILD)/fuzz/build-driver.log)"; \
		tail -n 5 $(BUILD)/fuzz/build-driver.log; exit 1; fi; \
	if $(DRIVER_FUZZ_BIN) -max_total_time=$(DEVICE_FUZZ_SHORT) -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/short-corpus-driver \
		tests/fuzz/corpus/driver-blk >$(BUILD)/fuzz/short-driver.log 2>&1; then \
		echo "PASS $$name"; \
		grep -E '^#[0-9]+.*DONE' $(BUILD)/fuzz/short-driver.log | \
			sed 's/^/INFO fuzz_driver_blk: /' | tail -n 1; \
	else echo "FAIL $$name -> see $(BUILD)/fuzz/short-driver.log"; \
		tail -n 30 $(BUILD)/fuzz/short-driver.log; exit 1; fi

fuzz-driver: $(DRIVER_FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus-driver-blk
	$(DRIVER_FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus-driver-blk tests/fuzz/corpus/driver-blk
