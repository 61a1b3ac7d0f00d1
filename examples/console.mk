# examples/console.mk - the virtio_console.h examples, built by the pattern rules of
# examples/examples.mk into $(BUILD)/<target>/NAME.elf, every target:
#
#   console.elf        emergency write, then an echo on port 0 until a byte 0x04
#   console_min.elf    console.c in the minimal build (VIRTIO_MINIMAL but for VIRTIO_NO_FDT)
#   console_multi.elf  multiport: named ports found by name, data on each, a port refused
#   console_bench.elf  virtio-console port 0 against the ns16550 UART (make bench)
#
#   make console-demo  boots console.elf with port 0 on this terminal (type, then Ctrl-D)

include examples/examples.mk

CONSOLE_EX_NAMES := console console_min console_multi console_bench
EX_NAMES += $(CONSOLE_EX_NAMES)
CONSOLE_EX_ELF := $(call EX_ELF,$(CONSOLE_EX_NAMES))

# The pattern rule does not know these headers; an extra prerequisite is all it needs.
$(CONSOLE_EX_ELF): virtio_console.h examples/console.mk
$(call EX_ELF,console_min): examples/console.c

.PHONY: console-demo
# Port 0 on stdio (raw terminal: Ctrl-D is the byte 0x04 that ends the echo); the UART goes to
# $(BUILD)/console-demo.uart.
console-demo: $(BUILD)/riscv64/console.elf
	timeout 300 $(EX_QEMU64) -M virt -smp 1,maxcpus=2 -bios none -display none -monitor none -no-reboot \
		-global virtio-mmio.force-legacy=false -serial file:$(BUILD)/console-demo.uart \
		-device virtio-serial-device -device virtconsole,chardev=c0 \
		-chardev stdio,id=c0,signal=off -kernel $<; \
	status=$$?; echo; cat $(BUILD)/console-demo.uart; exit $$status
