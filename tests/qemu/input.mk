# tests/qemu/input.mk - virtio_input.h on QEMU: every line of examples/input.c, and the
# on-screen console examples/fbcon.c compared pixel by pixel.
# Included by the top-level Makefile (with examples/*.mk, whose rules build the ELFs named here,
# and tests/qemu/targets.mk: QEMU_TARGETS, QEMU_TEST_ARGS).
#
#   make qemu-input-tests  tests/qemu/input_test.py: input.elf on every target (one job each:
#                          qemu-input-tests-<target>), legacy and modern, events injected
#                          through QMP input-send-event: keyboard +
#                          mouse + tablet, devices in low and high slots, Shift and Caps Lock
#                          text, no input device (a clean FAIL), the minimal build
#                          (input_min.elf, modern); fbcon.elf: a typed line and
#                          a scrolled screen, QMP screendumps against examples/font.h
#   make fbcon-picture     the fbcon case for riscv64, copying its screendump (modern) to
#                          docs/fbcon.png (the README's picture: taken by the test, not drawn)
#   make input-cost        input_cost.elf (input.c with -DINPUT_COST) under -icount shift=0,
#                          riscv64 and riscv32, legacy and modern: 64 reports of 16 events
#                          into a mouse; register accesses and guest instructions per received
#                          event and per 16 (one publication of the buffers)
# Python 3 standard library only.

include tests/qemu/targets.mk

.PHONY: qemu-input-tests fbcon-picture input-cost

qemu-tests: qemu-input-tests

QEMU_INPUT_JOBS := $(QEMU_TARGETS:%=qemu-input-tests-%)
.PHONY: $(QEMU_INPUT_JOBS)
qemu-input-tests: $(QEMU_INPUT_JOBS)
$(QEMU_INPUT_JOBS): qemu-input-tests-%: $(BUILD)/%/input.elf $(BUILD)/%/fbcon.elf \
		$(BUILD)/%/input_min.elf
	$(PYTHON) tests/qemu/input_test.py $(QEMU_TEST_ARGS) --target $*

fbcon-picture: $(BUILD)/riscv64/fbcon.elf
	$(PYTHON) tests/qemu/input_test.py --build $(BUILD) --machine riscv64 -k "fbcon: a typed" \
		--picture docs/fbcon.png

input-cost: $(BUILD)/riscv64/input_cost.elf $(BUILD)/riscv32/input_cost.elf
	$(PYTHON) tests/qemu/input_test.py --build $(BUILD) --cost --target riscv64 --target riscv32
