# examples/examples.mk - bare-metal examples for QEMU's riscv `virt` machine.
# Included by the top-level Makefile; alone: make -f examples/examples.mk examples
#
#   make examples   build every example to $(BUILD)/riscv64/NAME.elf (and riscv32)
#   make demo       build blk.elf, make a fresh 8 MiB disk image, boot QEMU on it
#
# Paths are relative to the repository root (where make runs). Variables start with EX_ so they
# cannot collide with the including Makefile's.

BUILD ?= build

EX_CC ?= riscv64-unknown-elf-gcc
EX_QEMU64 ?= qemu-system-riscv64
EX_NAMES := hello blk blk_timeout bench

# -march: the examples read the `time` CSR, which needs Zicsr spelled out (binutils >= 2.38).
# GCC 12 picks no multilib for an arch string with _zicsr, so libgcc (64-bit division on rv32,
# nothing much on rv64) is named explicitly from the multilib of the plain arch string.
EX_ARCH64 := -march=rv64imac_zicsr -mabi=lp64
EX_ARCH32 := -march=rv32imac_zicsr -mabi=ilp32
EX_LIBGCC64 := $(shell $(EX_CC) -march=rv64imac -mabi=lp64 -print-libgcc-file-name 2>/dev/null)
EX_LIBGCC32 := $(shell $(EX_CC) -march=rv32imac -mabi=ilp32 -print-libgcc-file-name 2>/dev/null)

EX_CFLAGS := -std=c99 -mcmodel=medany -ffreestanding -nostdlib -Os -g \
	-Wall -Wextra -Werror -ffunction-sections -fdata-sections -I. -Iexamples
EX_LDFLAGS := -T examples/platform/link.ld -Wl,--gc-sections -Wl,--no-warn-rwx-segments
EX_PLATFORM := examples/platform/start.S examples/platform/platform.c
EX_DEPS := $(EX_PLATFORM) examples/platform/platform.h examples/platform/count_regs.h examples/example.h \
	examples/platform/link.ld virtio.h virtio_blk.h examples/examples.mk

EX_ELF64 := $(EX_NAMES:%=$(BUILD)/riscv64/%.elf)
EX_ELF32 := $(EX_NAMES:%=$(BUILD)/riscv32/%.elf)

.PHONY: examples examples-rv64 examples-rv32 demo

examples: examples-rv64 examples-rv32
examples-rv64: $(EX_ELF64)
examples-rv32: $(EX_ELF32)

$(BUILD)/riscv64/%.elf: examples/%.c $(EX_DEPS)
	@mkdir -p $(@D)
	$(EX_CC) $(EX_ARCH64) $(EX_CFLAGS) $(EX_LDFLAGS) -o $@ $(EX_PLATFORM) $< $(EX_LIBGCC64)

$(BUILD)/riscv32/%.elf: examples/%.c $(EX_DEPS)
	@mkdir -p $(@D)
	$(EX_CC) $(EX_ARCH32) $(EX_CFLAGS) $(EX_LDFLAGS) -o $@ $(EX_PLATFORM) $< $(EX_LIBGCC32)

# The demo: a modern virtio-blk disk with a greeting in sector 0. The example prints what it
# finds, tests reads and writes in a scratch area at the end of the disk and leaves a marked
# sector there; afterwards we look for that mark from the host. Exits with QEMU's status.
EX_DEMO_IMG := $(BUILD)/demo.img
EX_DEMO_QEMU := $(EX_QEMU64) -M virt -bios none -nographic -no-reboot \
	-global virtio-mmio.force-legacy=false \
	-drive file=$(EX_DEMO_IMG),if=none,format=raw,id=d0 \
	-device virtio-blk-device,drive=d0,serial=virtio.h-demo \
	-kernel $(BUILD)/riscv64/blk.elf

demo: $(BUILD)/riscv64/blk.elf
	@rm -f $(EX_DEMO_IMG)
	@printf 'Hello from the host! This greeting is sector 0 of $(EX_DEMO_IMG).\n' > $(EX_DEMO_IMG)
	@truncate -s 8M $(EX_DEMO_IMG)
	@echo '$$ $(EX_DEMO_QEMU)'
	@echo
	@timeout 60 $(EX_DEMO_QEMU); status=$$?; \
	echo; echo "QEMU exited with status $$status"; \
	echo "what the host now finds in $(EX_DEMO_IMG):"; \
	grep -a -o 'virtio.h blk example wrote this sector ([0-9]*)' $(EX_DEMO_IMG) \
		|| echo '(no mark from the guest)'; \
	exit $$status
