# examples/blk.mk - the virtio_blk.h examples, built by the pattern rules of examples/examples.mk
# into $(BUILD)/riscv64/NAME.elf and $(BUILD)/riscv32/NAME.elf:
#
#   blk.elf          scans the slots, checks reads, writes, flush, write-zeroes, discard, batches
#                    and small queues, leaves a marked sector (tests/qemu/blk_test.py, make demo)
#   blk_timeout.elf  a read that times out on a throttled drive (tests/qemu/blk_test.py)
#   bench.elf        4 KiB read latency and throughput (make bench: tests/qemu/blk_bench.py)
#
#   make demo        build blk.elf, make a fresh 8 MiB disk image, boot QEMU on it
#
# This file sorts before examples/examples.mk in the top-level Makefile's include, so the EX_*
# variables it uses are not defined yet when it is read: they appear only in recipes and in `=`
# variables, which expand late. Alone: make -f examples/examples.mk -f examples/blk.mk

BUILD ?= build

BLK_EX_NAMES := blk blk_timeout bench
BLK_EX_ELF64 := $(BLK_EX_NAMES:%=$(BUILD)/riscv64/%.elf)
BLK_EX_ELF32 := $(BLK_EX_NAMES:%=$(BUILD)/riscv32/%.elf)

.PHONY: demo

examples: $(BLK_EX_ELF64) $(BLK_EX_ELF32)
examples-rv64: $(BLK_EX_ELF64)
examples-rv32: $(BLK_EX_ELF32)

# The pattern rule does not know this header; an extra prerequisite is all it needs.
$(BLK_EX_ELF64) $(BLK_EX_ELF32): virtio_blk.h examples/blk.mk

# The demo: a modern virtio-blk disk with a greeting in sector 0. The example prints what it
# finds, tests reads and writes in a scratch area at the end of the disk and leaves a marked
# sector there; afterwards we look for that mark from the host. Exits with QEMU's status.
BLK_DEMO_IMG := $(BUILD)/demo.img
BLK_DEMO_QEMU = $(EX_QEMU64) -M virt -smp 1,maxcpus=2 -bios none -nographic -no-reboot \
	-global virtio-mmio.force-legacy=false \
	-drive file=$(BLK_DEMO_IMG),if=none,format=raw,id=d0 \
	-device virtio-blk-device,drive=d0,serial=virtio.h-demo \
	-kernel $(BUILD)/riscv64/blk.elf

demo: $(BUILD)/riscv64/blk.elf
	@rm -f $(BLK_DEMO_IMG)
	@printf 'Hello from the host! This greeting is sector 0 of $(BLK_DEMO_IMG).\n' > $(BLK_DEMO_IMG)
	@truncate -s 8M $(BLK_DEMO_IMG)
	@echo '$$ $(BLK_DEMO_QEMU)'
	@echo
	@timeout 60 $(BLK_DEMO_QEMU); status=$$?; \
	echo; echo "QEMU exited with status $$status"; \
	echo "what the host now finds in $(BLK_DEMO_IMG):"; \
	grep -a -o 'virtio.h blk example wrote this sector ([0-9]*)' $(BLK_DEMO_IMG) \
		|| echo '(no mark from the guest)'; \
	exit $$status
