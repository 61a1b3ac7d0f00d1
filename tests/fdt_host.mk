# tests/fdt_host.mk - host tests of virtio_fdt_find_mmio, the core's device tree reader, on the
# blobs QEMU passes its riscv64 and aarch64 `virt` machines (tests/fixtures/), hand-built broken
# blobs, every truncation and random mutations; ASan and UBSan on, built and run like
# tests/host.mk's test_core with its HOST_CC, HOST_CFLAGS and HOST_TEST_TIMEOUT (set there).
# No simulated device: the reader touches memory only. Run from the top of the repository.
# Alone: make -f tests/host.mk -f tests/fdt_host.mk fdt-host-tests
#
#   make fdt-host-tests   build $(BUILD)/host/test_fdt and run it

BUILD ?= build

FDT_HOST_BIN := $(BUILD)/host/test_fdt
FDT_HOST_DEPS := tests/test_fdt.c virtio.h tests/test.h tests/fdt_host.mk \
	tests/fixtures/riscv64-virt.dtb tests/fixtures/aarch64-virt.dtb

.PHONY: fdt-host-tests

host-tests: fdt-host-tests
host-tests-build: $(FDT_HOST_BIN)

fdt-host-tests: $(FDT_HOST_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(FDT_HOST_BIN)

$(FDT_HOST_BIN): $(FDT_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_fdt.c
