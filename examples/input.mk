# examples/input.mk - the virtio_input.h examples, built by the pattern rules of
# examples/examples.mk into $(BUILD)/<target>/NAME.elf, every target:
#
#   input.elf      every input device listed, every event printed, the keyboard's lines
#                  through the key map and the line editor; Escape ends it (exit status 0)
#   input_min.elf  input.c in the minimal build (VIRTIO_MINIMAL but for VIRTIO_NO_FDT): no
#                  names or ids, every device through the key map
#   fbcon.elf      an early-boot console on the GPU's screen (examples/font.h), typed into
#                  through a virtio keyboard; Escape ends it
#
#   make input-demo  boots input.elf with a keyboard, a mouse and a tablet. With a display
#                    ($$DISPLAY or $$WAYLAND_DISPLAY and QEMU's gtk or sdl front end, Debian
#                    package qemu-system-gui) type and move the mouse in the QEMU window;
#                    without one, press Ctrl-A c for QEMU's monitor and type
#                    `sendkey h`, `sendkey shift-a`, `sendkey ret`, `mouse_move 10 -5`,
#                    `sendkey esc` (Ctrl-A c again returns to the guest's output)
#   make fbcon-demo  boots fbcon.elf in a QEMU window when there is a display (type there, Esc
#                    quits); without one it says why and runs the QEMU test instead, which
#                    writes the screen to $(BUILD)/fbcon-demo.png

include examples/examples.mk

EX_NAMES += input input_min fbcon input_cost
INPUT_EX_ELF := $(call EX_ELF,input)
FBCON_EX_ELF := $(call EX_ELF,fbcon)

# The pattern rule does not know these headers; extra prerequisites are all it needs.
$(INPUT_EX_ELF): virtio_input.h examples/input.mk
$(call EX_ELF,input_min): virtio_input.h examples/input.mk examples/input.c
$(FBCON_EX_ELF): virtio_input.h virtio_gpu.h examples/font.h examples/input.mk

.PHONY: input-demo fbcon-demo

input-demo: $(BUILD)/riscv64/input.elf
	@ui=$$($(EX_QEMU64) -display help 2>/dev/null | grep -x -m1 -e gtk -e sdl); \
	if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ -n "$$ui" ]; then \
		echo "input-demo: type and move the mouse in the QEMU window; Esc ends it"; \
		disp="-display $$ui"; \
	else \
		echo "input-demo: no window: Ctrl-A c opens QEMU's monitor; there 'sendkey a'," \
			"'sendkey shift-b', 'sendkey ret', 'mouse_move 5 -3', 'sendkey esc'; Ctrl-A c returns"; \
		disp="-nographic"; \
	fi; \
	timeout 600 $(EX_QEMU64) -M virt -smp 1,maxcpus=2 -bios none -no-reboot $$disp \
		-serial mon:stdio -global virtio-mmio.force-legacy=false \
		-device virtio-keyboard-device -device virtio-mouse-device \
		-device virtio-tablet-device -kernel $<

fbcon-demo: $(BUILD)/riscv64/fbcon.elf $(BUILD)/riscv64/input.elf
	@ui=$$($(EX_QEMU64) -display help 2>/dev/null | grep -x -m1 -e gtk -e sdl); \
	if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ -n "$$ui" ]; then \
		echo "fbcon-demo: a QEMU window ($$ui); type there, Esc quits"; \
		timeout 600 $(EX_QEMU64) -M virt -smp 1,maxcpus=2 -bios none -no-reboot \
			-display $$ui -serial mon:stdio -global virtio-mmio.force-legacy=false \
			-device virtio-gpu-device -device virtio-keyboard-device \
			-kernel $(BUILD)/riscv64/fbcon.elf; \
	else \
		echo "fbcon-demo: no window to show it in: QEMU needs \$$DISPLAY or \$$WAYLAND_DISPLAY" \
			"and its gtk or sdl front end (Debian package qemu-system-gui)."; \
		echo "fbcon-demo: running the QEMU test instead; its screen goes to $(BUILD)/fbcon-demo.png"; \
		python3 tests/qemu/input_test.py --build $(BUILD) --arch riscv64 \
			-k "fbcon: a typed" --picture $(BUILD)/fbcon-demo.png; \
	fi

# input.c built with -DINPUT_COST: register accesses and guest instructions per received event
# (tests/qemu/input_test.py --cost, `make input-cost` in tests/qemu/input.mk).
# input_cost.elf: input.c with INPUT_COST (a counting register accessor), for every target.
define INPUT_COST_RULE
$(BUILD)/$1/input_cost.elf: examples/input.c $$(EX_DEPS_$1) virtio_input.h examples/input.mk
	@mkdir -p $$(@D)
	$$(call EX_COMPILE,$1,-DINPUT_COST)
endef
$(foreach t,$(EX_TARGETS),$(eval $(call INPUT_COST_RULE,$t)))
