# tests/qemu/hv.mk - the tiny hypervisor (examples/hv/, examples/hv.mk) on QEMU.
# Included by the top-level Makefile (with examples/*.mk, whose rules build the images).
#
#   make qemu-hv-tests  tests/qemu/hv_test.py: the blk, console and rng examples (riscv64-sbi,
#                       unchanged) pass inside the hypervisor on its emulated devices, legacy
#                       and modern; a test guest's forbidden accesses are refused; the guest's
#                       exit status comes out of QEMU
#   make bench-hv       4 KiB read latency and instructions per request of examples/bench.c
#                       inside the hypervisor and on QEMU's own virtio-blk (under OpenSBI)
#
# Python 3 standard library only (it imports blk_test.py's disk layout).

BUILD ?= build
PYTHON ?= python3

.PHONY: qemu-hv-tests bench-hv

qemu-tests: qemu-hv-tests
bench: bench-hv

qemu-hv-tests: $(BUILD)/hv/hv.elf $(BUILD)/hv/guest/blk.bin $(BUILD)/hv/guest/console.bin \
		$(BUILD)/hv/guest/rng.bin $(BUILD)/hv/guest/hvtest.bin
	$(PYTHON) tests/qemu/hv_test.py $(QEMU_TEST_ARGS)

bench-hv: $(BUILD)/hv/hv.elf $(BUILD)/hv/guest/bench.bin $(BUILD)/riscv64-sbi/bench.elf
	$(PYTHON) tests/qemu/hv_test.py --build $(BUILD) --bench
