# tests/qemu/input.mk - virtio_input.h on QEMU: every line of examples/input.c, and the
# on-screen console examples/fbcon.c compared pixel by pixel.
# Included by the top-level Makefile (with examples/examples.mk, whose pattern rules build the
# ELFs named here).
#
#   make qemu-input-tests  tests/qemu/input_test.py: input.elf on riscv64 and riscv32, legacy
#                          and modern, events injected through QMP input-send-event: keyboard +
#                          mouse + tablet, devices in low and high slots, Shift and Caps Lock
#                          text, no input device (a clean FAIL); fbcon.elf: a typed line and
#                          a scrolled screen, QMP screendumps against examples/font.h
#   make fbcon-picture     the fbcon case for riscv64, copying its screendump (modern) to
#                          docs/fbcon.png (the README's picture: taken by the test, not drawn)
#   make input-cost        input_cost.elf (input.c with -DINPUT_COST) under -icount shift=0,
#                          riscv64 and riscv32, legacy and modern: 64 reports of 16 events
#                          into a mouse; register accesses and guest instructions per received
#                          event and per 16 (one publication of the buffers)
# Python 3 standard library only.

BUILD ?= build
PYTHON ?= python3

.PHONY: qemu-input-tests fbcon-picture input-cost

qemu-tests: qemu-input-tests

qemu-input-tests: $(BUILD)/riscv64/input.elf $(BUILD)/riscv32/input.elf \
		$(BUILD)/riscv64/fbcon.elf $(BUILD)/riscv32/fbcon.elf
	$(PYTHON) tests/qemu/input_test.py --build $(BUILD)

fbcon-picture: $(BUILD)/riscv64/fbcon.elf
	$(PYTHON) tests/qemu/input_test.py --build $(BUILD) --arch riscv64 -k "fbcon: a typed" \
		--picture docs/fbcon.png

input-cost: $(BUILD)/riscv64/input_cost.elf $(BUILD)/riscv32/input_cost.elf
	$(PYTHON) tests/qemu/input_test.py --build $(BUILD) --cost
