# tests/fuzz_host.mk - the hostile-device fuzzers of the driver side (libFuzzer with ASan and
# UBSan, clang): tests/fuzz/fuzz_driver_X.c drives virtio.h's core and virtio_X.h, and
# tests/fuzz/fuzz_queue.c the core's generic queue alone, against a transport whose every
# answer and every device-written byte comes from the input (tests/fuzz/hostile.h). Uses
# DEVICE_FUZZ_CC / DEVICE_FUZZ_FLAGS / DEVICE_FUZZ_SHORT / FUZZ_SECONDS of tests/device_host.mk
# (expanded late, so the include order does not matter).
#
#   make driver-fuzz-short            the short runs `make test` makes (a case line each)
#   make fuzz-driver FUZZ_SECONDS=N   run each for N seconds (default 300), one after the other,
#                                     corpora kept in $(BUILD)/fuzz/corpus-X (seeds and
#                                     regression cases: tests/fuzz/corpus/X, X = driver-blk ..
#                                     driver-input, queue)
#   make fuzz FUZZ_SECONDS=N          every fuzzer, the device side's too (fuzz-device), N s each

BUILD ?= build

DRIVER_FUZZ_TARGETS := blk console net rng gpu input
# Binary names (fuzz_X) and corpus names (X with - for _), the queue's last.
DRIVER_FUZZ_NAMES := $(DRIVER_FUZZ_TARGETS:%=driver_%) queue
DRIVER_FUZZ_BINS := $(DRIVER_FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

.PHONY: driver-fuzz-short fuzz-driver fuzz

host-tests: driver-fuzz-short

$(BUILD)/fuzz/fuzz_driver_%: tests/fuzz/fuzz_driver_%.c tests/fuzz/hostile.h virtio.h virtio_%.h \
		tests/fuzz_host.mk
	@mkdir -p $(@D)
	$(DEVICE_FUZZ_CC) $(DEVICE_FUZZ_FLAGS) -o $@ $<

$(BUILD)/fuzz/fuzz_queue: tests/fuzz/fuzz_queue.c tests/fuzz/hostile.h virtio.h tests/fuzz_host.mk
	@mkdir -p $(@D)
	$(DEVICE_FUZZ_CC) $(DEVICE_FUZZ_FLAGS) -o $@ $<

fuzz: fuzz-device fuzz-driver

# The short runs build each fuzzer through these two fragments alone (not the top Makefile,
# whose dependency check costs seconds per call).
FUZZ_SUBMAKE = -f tests/device_host.mk -f tests/fuzz_host.mk BUILD=$(BUILD)

# One case line per target: PASS if it ran DEVICE_FUZZ_SHORT seconds from its seeds without a
# finding; FAIL (with the tail of its report) otherwise, or if it could not be built.
driver-fuzz-short:
	@status=0; for x in $(DRIVER_FUZZ_NAMES); do \
		c=$$(echo $$x | tr _ -); bin=$(BUILD)/fuzz/fuzz_$$x; \
		mkdir -p $(BUILD)/fuzz/short-corpus-$$c; \
		name="fuzz: fuzz_$$x, $(DEVICE_FUZZ_SHORT) s from tests/fuzz/corpus/$$c, no finding"; \
		if ! $(MAKE) --no-print-directory -s $(FUZZ_SUBMAKE) $$bin >$(BUILD)/fuzz/build-$$c.log 2>&1; then \
			echo "FAIL $$name -> could not build (see $(BUILD)/fuzz/build-$$c.log)"; \
			tail -n 5 $(BUILD)/fuzz/build-$$c.log; status=1; continue; fi; \
		if $$bin -max_total_time=$(DEVICE_FUZZ_SHORT) -timeout=10 -rss_limit_mb=1024 \
			-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/short-corpus-$$c \
			tests/fuzz/corpus/$$c >$(BUILD)/fuzz/short-$$c.log 2>&1; then \
			echo "PASS $$name"; \
			grep -E '^#[0-9]+.*DONE' $(BUILD)/fuzz/short-$$c.log | \
				sed "s/^/INFO fuzz_$$x: /" | tail -n 1; \
		else echo "FAIL $$name -> see $(BUILD)/fuzz/short-$$c.log"; \
			tail -n 30 $(BUILD)/fuzz/short-$$c.log; status=1; fi; \
	done; exit $$status

fuzz-driver: $(DRIVER_FUZZ_BINS)
	@for x in $(DRIVER_FUZZ_NAMES); do c=$$(echo $$x | tr _ -); \
		mkdir -p $(BUILD)/fuzz/corpus-$$c; \
		$(BUILD)/fuzz/fuzz_$$x -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-rss_limit_mb=2048 -artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus-$$c \
			tests/fuzz/corpus/$$c || exit 1; done
