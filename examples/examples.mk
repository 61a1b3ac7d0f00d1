# examples/examples.mk - bare-metal examples for every target: what every example shares (the
# EX_* variables, the pattern rules that build $(BUILD)/<target>/NAME.elf from examples/NAME.c)
# and hello.c. Each device adds its examples, header dependency and demo in examples/X.mk (blk,
# console, gpu, input, net, rng), which includes this file first.
# Included by the top-level Makefile; alone: make -f examples/examples.mk examples (hello only;
# add -f examples/X.mk for a device's examples)
#
#   make examples            every example for every target, $(BUILD)/<target>/NAME.elf
#   make examples-<target>   one target's (examples-rv64 and examples-rv32 are riscv64, riscv32)
#
# Targets (examples/platform/<dir>: start.S, link.ld, platform.c, target.h; common.c for all):
#   riscv64      QEMU riscv `virt`, M-mode, -bios none, linked at 0x80000000       (riscv)
#   riscv32      the same for rv32                                                  (riscv)
#   riscv64-sbi  QEMU riscv `virt`, S-mode payload at 0x80200000 under OpenSBI      (riscv-sbi)
#   aarch64      QEMU arm `virt`, EL1, MMU on, linked at 0x40200000                 (aarch64)
#   m68k         QEMU m68k `virt`, 68040, linked at 0x00001000                      (m68k)
#   x86_64       QEMU x86 `q35` / `pc`, multiboot, long mode, linked at 0x00100000  (x86_64)
#
# Paths are relative to the repository root (where make runs). Variables start with EX_ so they
# cannot collide with the including Makefile's. The EX_CC / EX_ARCH64 / EX_CFLAGS / EX_LDFLAGS /
# EX_PLATFORM / EX_LIBGCC64 / EX_DEPS set (riscv64 M-mode) is kept for tests/qemu/net.mk.

ifndef EX_INCLUDED
EX_INCLUDED := 1

BUILD ?= build

EX_TARGETS := riscv64 riscv32 riscv64-sbi aarch64 m68k x86_64
EX_NAMES := hello

EX_CC ?= riscv64-unknown-elf-gcc
EX_QEMU64 ?= qemu-system-riscv64

# Every target: C99, freestanding, warnings are errors.
EX_CFLAGS := -std=c99 -ffreestanding -nostdlib -Os -g -Wall -Wextra -Werror \
	-ffunction-sections -fdata-sections -I. -Iexamples -Iexamples/platform
EX_COMMON_LDFLAGS := -Wl,--gc-sections -Wl,--no-warn-rwx-segments -Wl,--build-id=none \
	-Wl,-z,noexecstack

# riscv: the examples read the `time` CSR, which needs Zicsr spelled out (binutils >= 2.38).
# GCC 12 picks no multilib for an arch string with _zicsr, so libgcc (64-bit division on rv32,
# nothing much on rv64) is named explicitly from the multilib of the plain arch string.
EX_CC_riscv64 := $(EX_CC)
EX_CC_riscv32 := $(EX_CC)
EX_CC_riscv64-sbi := $(EX_CC)
EX_TFLAGS_riscv64 := -march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany
EX_TFLAGS_riscv32 := -march=rv32imac_zicsr -mabi=ilp32 -mcmodel=medany
EX_TFLAGS_riscv64-sbi := $(EX_TFLAGS_riscv64)
EX_LIBGCC_riscv64 := $(shell $(EX_CC) -march=rv64imac -mabi=lp64 -print-libgcc-file-name 2>/dev/null)
EX_LIBGCC_riscv32 := $(shell $(EX_CC) -march=rv32imac -mabi=ilp32 -print-libgcc-file-name 2>/dev/null)
EX_LIBGCC_riscv64-sbi := $(EX_LIBGCC_riscv64)
EX_PDIR_riscv64 := riscv
EX_PDIR_riscv32 := riscv
EX_PDIR_riscv64-sbi := riscv-sbi

# aarch64: Debian's Linux cross compiler, used freestanding. -mgeneral-regs-only: gcc would
# otherwise use SIMD registers in ordinary code (it did in the MMIO accessor), and the FPU is
# off. No PIE (Debian's default), no outline atomics (they call into libgcc and read HWCAP).
EX_CC_aarch64 ?= aarch64-linux-gnu-gcc
EX_TFLAGS_aarch64 := -mgeneral-regs-only -mno-outline-atomics -fno-pie -no-pie -static \
	-fno-stack-protector
EX_LIBGCC_aarch64 := $(shell $(EX_CC_aarch64) -print-libgcc-file-name 2>/dev/null)
EX_PDIR_aarch64 := aarch64

# m68k: Debian's Linux cross compiler, used freestanding, for the 68040 of QEMU's `virt`
# (the 68040 lacks the 68020's 64-bit multiply and divide: -m68040 keeps gcc from using them).
EX_CC_m68k ?= m68k-linux-gnu-gcc
EX_TFLAGS_m68k := -m68040 -fno-pie -no-pie -static -fno-stack-protector
EX_LIBGCC_m68k := $(shell $(EX_CC_m68k) -m68040 -print-libgcc-file-name 2>/dev/null)
EX_PDIR_m68k := m68k

# x86_64: the host's gcc, freestanding (start.S goes to long mode, so no -m32 and no 32-bit
# libgcc). No red zone (an exception would write below rsp), general registers only (nothing
# relies on SSE state), no PIE, no stack protector. Linked below 2 GiB: the default code model.
EX_CC_x86_64 ?= gcc
EX_TFLAGS_x86_64 := -m64 -mno-red-zone -mgeneral-regs-only -fno-pie -no-pie -static \
	-fno-stack-protector -fcf-protection=none
EX_LIBGCC_x86_64 := $(shell $(EX_CC_x86_64) -m64 -print-libgcc-file-name 2>/dev/null)
EX_PDIR_x86_64 := x86_64

# How QEMU runs each target (add -kernel ELF and the devices). -smp 1,maxcpus=2: QEMU < 8.1
# elides guest fences under TCG on one CPU and then loses a notification now and then.
# EX_QEMU_MODERN_<t> selects modern virtio-mmio where legacy is the default.
EX_QEMU_riscv64 := qemu-system-riscv64 -M virt -smp 1,maxcpus=2 -bios none -nographic -no-reboot
EX_QEMU_riscv32 := qemu-system-riscv32 -M virt -smp 1,maxcpus=2 -bios none -nographic -no-reboot
EX_QEMU_riscv64-sbi := qemu-system-riscv64 -M virt -smp 1,maxcpus=2 -nographic -no-reboot
EX_QEMU_aarch64 := qemu-system-aarch64 -M virt -cpu cortex-a53 -smp 1,maxcpus=2 -nographic \
	-no-reboot -nic none -semihosting-config enable=on,target=native
EX_QEMU_m68k := qemu-system-m68k -M virt -nographic -no-reboot -action panic=exit-failure
# x86_64: q35 with SeaBIOS; the exit status is (status << 1) | 1 (isa-debug-exit). No network
# card unless a test adds one (-nic none), no VGA window.
EX_QEMU_x86_64 := qemu-system-x86_64 -M q35 -nographic -no-reboot -nic none \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
# EX_BUS_<t>: the -device suffix of a virtio device there (default `device`, virtio-mmio);
# EX_DEBUG_EXIT_<t>: QEMU's status is (guest status << 1) | 1.
EX_BUS_x86_64 := pci
EX_DEBUG_EXIT_x86_64 := 1
$(foreach t,riscv64 riscv32 riscv64-sbi aarch64,\
	$(eval EX_QEMU_MODERN_$t := -global virtio-mmio.force-legacy=false))

EX_HEADERS := examples/platform/platform.h examples/platform/count_regs.h examples/example.h \
	virtio.h examples/examples.mk
# Per target: sources, flags, dependencies.
$(foreach t,$(EX_TARGETS),$(eval EX_SRC_$t := examples/platform/common.c \
	examples/platform/$(EX_PDIR_$t)/start.S examples/platform/$(EX_PDIR_$t)/platform.c))
$(foreach t,$(EX_TARGETS),$(eval EX_LDFLAGS_$t := -T examples/platform/$(EX_PDIR_$t)/link.ld \
	$(EX_COMMON_LDFLAGS)))
$(foreach t,$(EX_TARGETS),$(eval EX_DEPS_$t := $(EX_SRC_$t) $(EX_HEADERS) \
	$(wildcard examples/platform/$(EX_PDIR_$t)/*.h) examples/platform/$(EX_PDIR_$t)/link.ld))

# The riscv64 M-mode set under the names tests/qemu/net.mk uses.
EX_ARCH64 := $(EX_TFLAGS_riscv64) -Iexamples/platform/riscv
EX_ARCH32 := $(EX_TFLAGS_riscv32) -Iexamples/platform/riscv
EX_LIBGCC64 := $(EX_LIBGCC_riscv64)
EX_LIBGCC32 := $(EX_LIBGCC_riscv32)
EX_LDFLAGS := $(EX_LDFLAGS_riscv64)
EX_PLATFORM := $(EX_SRC_riscv64)
EX_DEPS := $(EX_DEPS_riscv64)

# $(call EX_COMPILE,target,extra flags): the command that builds $@ from $< for a target.
EX_COMPILE = $(EX_CC_$1) $(EX_TFLAGS_$1) -Iexamples/platform/$(EX_PDIR_$1) $(EX_CFLAGS) $2 \
	$(EX_LDFLAGS_$1) -o $@ $(EX_SRC_$1) $< $(EX_LIBGCC_$1)

# $(call EX_ELF,names): every target's ELF of each name.
EX_ELF = $(foreach t,$(EX_TARGETS),$(1:%=$(BUILD)/$t/%.elf))

define EX_RULE
$(BUILD)/$1/%.elf: examples/%.c $$(EX_DEPS_$1)
	@mkdir -p $$(@D)
	$$(call EX_COMPILE,$1)
endef
$(foreach t,$(EX_TARGETS),$(eval $(call EX_RULE,$t)))

.PHONY: examples examples-rv64 examples-rv32 $(EX_TARGETS:%=examples-%)

examples: $(EX_TARGETS:%=examples-%)
examples-rv64: examples-riscv64
examples-rv32: examples-riscv32

# Every example name added by a device's .mk (EX_NAMES +=) is built for every target; the
# prerequisites are expanded when the rule is used, after every fragment has been read.
.SECONDEXPANSION:
$(EX_TARGETS:%=examples-%): examples-%: $$(addprefix $(BUILD)/$$*/,$$(addsuffix .elf,$$(EX_NAMES)))

endif
