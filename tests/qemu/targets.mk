# tests/qemu/targets.mk - which targets the QEMU tests boot, and `make test-full`.
# Included by the top-level Makefile (it includes tests/qemu/*.mk); the device fragments
# (tests/qemu/X.mk) make one job per target of QEMU_TARGETS, qemu-X-tests-<target>, each
# booting $(BUILD)/<target>/NAME.elf on that target's machines (tests/qemu/targets.py: QEMU
# binary, machine, CPU, firmware, slots, exit status).
#
#   make qemu-tests                    riscv64: every case; other targets: each example, legacy
#                                      and modern, devices in low and high slots
#   make qemu-tests QEMU_TARGETS=m68k  one target (or a few)
#   make test-full                     `make test` with every case on every target
#   make qemu-tests QEMU_FULL=1        the same for the QEMU suite alone
#
# tests/run_all.sh runs the QEMU suite with make -j2: two QEMU jobs at a time; each job runs
# its cases one after the other.
# Every device fragment includes this file first (its job lists need QEMU_TARGETS when they are
# read); the guard makes the later includes, and the top-level Makefile's, do nothing.

ifndef QEMU_TARGETS_MK
QEMU_TARGETS_MK := 1
BUILD ?= build
PYTHON ?= python3

QEMU_TARGETS ?= riscv64 riscv64-sbi riscv32 aarch64 m68k
# Targets without virtio-mmio (x86_64: PCI only) run the hello and PCI jobs, not the device
# fragments' virtio-mmio suites.
QEMU_PCI_ONLY_TARGETS ?= x86_64
QEMU_FULL ?=
# What every test script gets: the build directory, no make of its own (make built the ELFs
# it depends on), one case at a time, and --full for test-full.
QEMU_TEST_ARGS = --build $(BUILD) $(if $(QEMU_FULL),--full)

.PHONY: test-full qemu-hello-tests qemu-boot-times

test-full:
	@QEMU_FULL=1 tests/run_all.sh

qemu-tests: qemu-hello-tests

QEMU_HELLO_JOBS := $(QEMU_TARGETS:%=qemu-hello-tests-%) \
	$(QEMU_PCI_ONLY_TARGETS:%=qemu-hello-tests-%)
.PHONY: $(QEMU_HELLO_JOBS)
qemu-hello-tests: $(QEMU_HELLO_JOBS)
$(QEMU_HELLO_JOBS): qemu-hello-tests-%: $(BUILD)/%/hello.elf $(BUILD)/%/bench.elf \
		$(BUILD)/%/console_bench.elf $(BUILD)/%/gpu_bench.elf
	$(PYTHON) tests/qemu/hello_test.py $(QEMU_TEST_ARGS) --target $*

# QEMU start-to-exit time of the block example against hello on every target (medians).
QEMU_TIME_RUNS ?= 5
QEMU_TIME_TARGETS := $(QEMU_TARGETS) $(QEMU_PCI_ONLY_TARGETS)
# hello_test.py also runs its usual cases (the benchmark examples) before timing.
qemu-boot-times: $(QEMU_TIME_TARGETS:%=$(BUILD)/%/blk.elf) \
		$(foreach e,hello bench console_bench gpu_bench,$(QEMU_TIME_TARGETS:%=$(BUILD)/%/$(e).elf))
	$(PYTHON) tests/qemu/hello_test.py $(QEMU_TEST_ARGS) $(QEMU_TIME_TARGETS:%=--target %) \
		--time $(QEMU_TIME_RUNS)

endif # QEMU_TARGETS_MK
