# examples/blk.mk - the virtio_blk.h examples, built by the pattern rules of examples/examples.mk
# into $(BUILD)/<target>/NAME.elf for every target:
#
#   blk.elf          finds the devices, checks reads, writes, flush, write-zeroes, discard, batches
#                    and small queues, leaves a marked sector (tests/qemu/blk_test.py, make demo)
#   blk_timeout.elf  a read that times out on a throttled drive (tests/qemu/blk_test.py)
#   blk_faults.elf   injected read, write and flush errors fail that request alone
#                    (tests/qemu/blk_test.py, on a blkdebug drive)
#   blk_durable.elf  10^4 random writes with flushes, checked by the host against a model
#                    (tests/qemu/blk_durable_test.py)
#   bench.elf        4 KiB read latency and throughput (make bench: tests/qemu/blk_bench.py)
#   blk_min.elf      the smallest build (VIRTIO_MINIMAL + VIRTIO_MMIO_ONLY): init, sector 0,
#                    a 4 KiB write read back at the end of the disk, flush
#                    (tests/qemu/blk_test.py, modern devices)
#   blk_pcicfg.elf   blk.c built with EX_PCI_CFG_ACCESS: a PCI disk driven with its BARs
#                    unmapped, through the PCI configuration access capability
#                    (VIRTIO_REGS_F_PCI_CFG_ACCESS; tests/qemu/pci_test.py)
#
#   make demo                  build blk.elf, make a fresh 8 MiB disk image, boot QEMU on it
#   make demo TARGET=aarch64   the same on another target (riscv64, riscv32, riscv64-sbi,
#                              aarch64, m68k, x86_64 (virtio-blk-pci, q35);
#                              EX_QEMU_<target> in examples/examples.mk)
#
# Alone: make -f examples/blk.mk

include examples/examples.mk

BLK_EX_NAMES := blk blk_timeout blk_faults blk_durable bench blk_min
EX_NAMES += $(BLK_EX_NAMES) blk_pcicfg

.PHONY: demo

# The pattern rule does not know this header; an extra prerequisite is all it needs.
$(call EX_ELF,$(BLK_EX_NAMES)): virtio_blk.h examples/blk.mk

# The demo: a modern virtio-blk disk with a greeting in sector 0. The example prints what it
# finds, tests reads and writes in a scratch area at the end of the disk and leaves a marked
# sector there; afterwards we look for that mark from the host. Exits with QEMU's status.
TARGET ?= riscv64
BLK_DEMO_IMG := $(BUILD)/demo$(if $(filter riscv64,$(TARGET)),,-$(TARGET)).img
BLK_DEMO_QEMU = $(EX_QEMU_$(TARGET)) $(EX_QEMU_MODERN_$(TARGET)) \
	-drive file=$(BLK_DEMO_IMG),if=none,format=raw,id=d0 \
	-device virtio-blk-$(or $(EX_BUS_$(TARGET)),device),drive=d0,serial=virtio.h-demo \
	-kernel $(BUILD)/$(TARGET)/blk.elf

demo: $(BUILD)/$(TARGET)/blk.elf
	@rm -f $(BLK_DEMO_IMG)
	@printf 'Hello from the host! This greeting is sector 0 of $(BLK_DEMO_IMG).\n' > $(BLK_DEMO_IMG)
	@truncate -s 8M $(BLK_DEMO_IMG)
	@echo '$$ $(BLK_DEMO_QEMU)'
	@echo
	@timeout 60 $(BLK_DEMO_QEMU); status=$$?; \
	echo; echo "QEMU exited with status $$status"; \
	$(if $(EX_DEBUG_EXIT_$(TARGET)),if [ $$((status % 2)) = 1 ]; then \
	status=$$(((status - 1) / 2)); echo "(isa-debug-exit: the guest's status is $$status)"; \
	elif [ $$status = 0 ]; then status=255; fi;) \
	echo "what the host now finds in $(BLK_DEMO_IMG):"; \
	grep -a -o 'virtio.h blk example wrote this sector ([0-9]*)' $(BLK_DEMO_IMG) \
		|| echo '(no mark from the guest)'; \
	exit $$status

# blk_pcicfg.elf: blk.c with EX_PCI_CFG_ACCESS (examples/example.h), for every target.
define BLK_PCICFG_RULE
$(BUILD)/$1/blk_pcicfg.elf: examples/blk.c $$(EX_DEPS_$1) virtio_blk.h examples/blk.mk
	@mkdir -p $$(@D)
	$$(call EX_COMPILE,$1,-DEX_PCI_CFG_ACCESS)
endef
$(foreach t,$(EX_TARGETS),$(eval $(call BLK_PCICFG_RULE,$t)))
