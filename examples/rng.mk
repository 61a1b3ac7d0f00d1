# examples/rng.mk - the virtio_rng.h example, built by the pattern rules of examples/examples.mk
# into $(BUILD)/<target>/rng.elf, every target:
#
#   rng.elf        64 random bytes printed in hex (twice), then four buffers through
#                  submit / kick / poll; exit status 0 and "PASS" when all is well
#
#   make rng-demo  boots rng.elf on a modern virtio-rng-device and prints what it got

include examples/examples.mk

EX_NAMES += rng
RNG_EX_ELF := $(call EX_ELF,rng)

.PHONY: rng-demo

# The pattern rule does not know this header; an extra prerequisite is all it needs.
$(RNG_EX_ELF): virtio_rng.h examples/rng.mk

rng-demo: $(BUILD)/riscv64/rng.elf
	timeout 60 $(EX_QEMU64) -M virt -smp 1,maxcpus=2 -bios none -nographic -no-reboot \
		-global virtio-mmio.force-legacy=false -device virtio-rng-device -kernel $<
