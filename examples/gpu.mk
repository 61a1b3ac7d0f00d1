# examples/gpu.mk - the virtio_gpu.h examples, built by the pattern rules of examples/examples.mk
# into $(BUILD)/<target>/NAME.elf, every target:
#
#   gpu.elf        every scanout filled with a test pattern; then, on the UART, `u` complements
#                  the middle of each screen and `q` powers off (tests/qemu/gpu_test.py checks
#                  every pixel through QMP screendumps)
#   gpu_min.elf    gpu.c in the minimal build (VIRTIO_MINIMAL but for VIRTIO_NO_FDT): no EDID
#   gpu_bench.elf  full-screen updates per second at 1280x800, register accesses and guest
#                  instructions per update (make bench-gpu, tests/qemu/gpu_bench.py)
#
#   make gpu-demo  boots gpu.elf in a QEMU window when there is a display ($$DISPLAY or
#                  $$WAYLAND_DISPLAY, and QEMU's gtk or sdl front end: Debian package
#                  qemu-system-gui); type u and q in this terminal. Without one it says why and
#                  writes the screen to $(BUILD)/gpu-demo.png instead (through the QEMU test)

include examples/examples.mk

GPU_EX_NAMES := gpu gpu_min gpu_bench
EX_NAMES += $(GPU_EX_NAMES)
GPU_EX_ELF := $(call EX_ELF,$(GPU_EX_NAMES))

# The pattern rule does not know this header; an extra prerequisite is all it needs.
$(GPU_EX_ELF): virtio_gpu.h examples/gpu.mk
$(call EX_ELF,gpu_min): examples/gpu.c

.PHONY: gpu-demo
gpu-demo: $(BUILD)/riscv64/gpu.elf
	@ui=$$($(EX_QEMU64) -display help 2>/dev/null | grep -x -m1 -e gtk -e sdl); \
	if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ -n "$$ui" ]; then \
		echo "gpu-demo: a QEMU window ($$ui); type u here to update it, q to quit"; \
		$(EX_QEMU64) -M virt -smp 1,maxcpus=2 -bios none -no-reboot \
			-display $$ui -serial mon:stdio -global virtio-mmio.force-legacy=false \
			-device virtio-gpu-device -kernel $(BUILD)/riscv64/gpu.elf; \
	else \
		echo "gpu-demo: no window to show it in: QEMU needs \$$DISPLAY or \$$WAYLAND_DISPLAY" \
			"and its gtk or sdl front end (Debian package qemu-system-gui)."; \
		echo "gpu-demo: running it headless instead;" \
			"its screen after 'u' goes to $(BUILD)/gpu-demo.png"; \
		python3 tests/qemu/gpu_test.py --build $(BUILD) --arch riscv64 -k default \
			--picture $(BUILD)/gpu-demo.png; \
	fi
