# examples/examples.mk - bare-metal examples for QEMU's riscv `virt` machine: what every example
# shares (the EX_* variables, the pattern rules that build $(BUILD)/riscv{64,32}/NAME.elf from
# examples/NAME.c) and hello.c. Each device adds its examples, header dependency and demo in
# examples/X.mk (blk, console, net, rng).
# Included by the top-level Makefile; alone: make -f examples/examples.mk examples (hello only;
# add -f examples/X.mk for a device's examples)
#
#   make examples   build every example to $(BUILD)/riscv64/NAME.elf (and riscv32)
#
# Paths are relative to the repository root (where make runs). Variables start with EX_ so they
# cannot collide with the including Makefile's. examples/blk.mk and examples/console.mk sort
# before this file in the top-level Makefile's include: they use EX_* only in recipes and in
# recursively expanded variables, never in a prerequisite list.

BUILD ?= build

EX_CC ?= riscv64-unknown-elf-gcc
EX_QEMU64 ?= qemu-system-riscv64
EX_NAMES := hello

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
EX_PLATFORM := examples/platform/riscv/start.S examples/platform/platform.c
EX_DEPS := $(EX_PLATFORM) examples/platform/platform.h examples/platform/count_regs.h examples/example.h \
	examples/platform/link.ld virtio.h examples/examples.mk

EX_ELF64 := $(EX_NAMES:%=$(BUILD)/riscv64/%.elf)
EX_ELF32 := $(EX_NAMES:%=$(BUILD)/riscv32/%.elf)

.PHONY: examples examples-rv64 examples-rv32

examples: examples-rv64 examples-rv32
examples-rv64: $(EX_ELF64)
examples-rv32: $(EX_ELF32)

$(BUILD)/riscv64/%.elf: examples/%.c $(EX_DEPS)
	@mkdir -p $(@D)
	$(EX_CC) $(EX_ARCH64) $(EX_CFLAGS) $(EX_LDFLAGS) -o $@ $(EX_PLATFORM) $< $(EX_LIBGCC64)

$(BUILD)/riscv32/%.elf: examples/%.c $(EX_DEPS)
	@mkdir -p $(@D)
	$(EX_CC) $(EX_ARCH32) $(EX_CFLAGS) $(EX_LDFLAGS) -o $@ $(EX_PLATFORM) $< $(EX_LIBGCC32)
