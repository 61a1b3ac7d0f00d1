# tests/pci_host.mk - host tests of the virtio-pci transport (virtio.h) against the simulated PCI
# function (tests/sim_pci.c) in front of the simulated entropy and block devices, ASan and UBSan
# on, built and run like tests/host.mk's test_core with its HOST_CC, HOST_CFLAGS and
# HOST_TEST_TIMEOUT.
# Alone: make -f tests/host.mk -f tests/pci_host.mk pci-host-tests
#
#   make pci-host-tests   build $(BUILD)/host/test_pci and run it

BUILD ?= build

PCI_HOST_BIN := $(BUILD)/host/test_pci
PCI_HOST_DEPS := tests/test_pci.c tests/sim_pci.c tests/sim_pci.h tests/sim_rng.c tests/sim_rng.h \
	tests/sim_blk.c tests/sim_blk.h tests/sim_console.c tests/sim_console.h tests/sim_input.c \
	tests/sim_input.h virtio.h virtio_rng.h virtio_blk.h virtio_console.h virtio_input.h \
	tests/sim.h tests/sim.c \
	tests/test.h tests/pci_host.mk tests/fixtures/riscv64-virt.dtb tests/fixtures/aarch64-virt.dtb

.PHONY: pci-host-tests

host-tests: pci-host-tests
host-tests-build: $(PCI_HOST_BIN)

pci-host-tests: $(PCI_HOST_BIN)
	@ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
		$(HOST_TEST_TIMEOUT) $(PCI_HOST_BIN)

$(PCI_HOST_BIN): $(PCI_HOST_DEPS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ tests/test_pci.c tests/sim_pci.c tests/sim_rng.c tests/sim_blk.c \
		tests/sim_console.c tests/sim_input.c tests/sim.c
