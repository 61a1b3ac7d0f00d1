# examples/hv.mk - the tiny hypervisor (examples/hv/): one guest in VS-mode on QEMU's riscv64
# `virt` machine with the H extension, its virtio devices emulated with virtio_device.h.
#
#   $(BUILD)/hv/hv.elf          the hypervisor (M-mode, -bios none, linked at 0x80000000)
#   $(BUILD)/hv/hvtest.elf      a test guest that tries what the hypervisor must refuse
#   $(BUILD)/hv/guest/NAME.bin  a guest image: examples/NAME.c built for the riscv64-sbi target
#                               (S-mode at 0x80200000), unchanged, as a flat binary for QEMU's
#                               -device loader (hvtest.bin: the test guest)
#
#   make hv-demo     boots examples/blk.c inside the hypervisor (make hv-demo HV_GUEST=rng
#                    for another example; console echoes what you type until Ctrl-D)
#
# The guest is not linked into the hypervisor: QEMU loads it at host address 0x82200000 (the
# guest's RAM starts at 0x82000000 = guest-physical 0x80000000). A second loader writes the
# configuration word at 0x81fff000 (HV_CFG_* in hv.c: 1 legacy devices, 2/4/8 no
# blk/console/rng). tests/qemu/hv_test.py boots the matrix.

include examples/examples.mk

HV_OBJCOPY ?= riscv64-unknown-elf-objcopy
HV_GUESTS := blk console rng bench
HV_ELF := $(BUILD)/hv/hv.elf $(BUILD)/hv/hvtest.elf
HV_BINS := $(HV_GUESTS:%=$(BUILD)/hv/guest/%.bin) $(BUILD)/hv/guest/hvtest.bin
# No -march with the H extension in GCC 12: hv.c and start.S say `.option arch, +h` where
# they use it.
HV_CFLAGS = $(EX_TFLAGS_riscv64) $(EX_CFLAGS) $(EX_COMMON_LDFLAGS)
HV_QEMU = $(EX_QEMU64) -M virt -cpu rv64,h=true -m 256M -smp 1,maxcpus=2 -bios none \
	-nographic -no-reboot -kernel $(BUILD)/hv/hv.elf
HV_GUEST ?= blk

.PHONY: hv hv-demo

examples: hv
hv: $(HV_ELF) $(HV_BINS)

$(BUILD)/hv/hv.elf: examples/hv/start.S examples/hv/hv.c examples/hv/link.ld virtio.h \
		virtio_device.h examples/hv.mk
	@mkdir -p $(@D)
	$(EX_CC) $(HV_CFLAGS) -T examples/hv/link.ld -o $@ examples/hv/start.S examples/hv/hv.c \
		$(EX_LIBGCC_riscv64)

$(BUILD)/hv/hvtest.elf: examples/hv/guest_start.S examples/hv/hvtest.c examples/hv/guest.ld \
		virtio.h virtio_rng.h examples/hv.mk
	@mkdir -p $(@D)
	$(EX_CC) $(HV_CFLAGS) -T examples/hv/guest.ld -o $@ examples/hv/guest_start.S \
		examples/hv/hvtest.c $(EX_LIBGCC_riscv64)

$(BUILD)/hv/guest/hvtest.bin: $(BUILD)/hv/hvtest.elf
	@mkdir -p $(@D)
	$(HV_OBJCOPY) -O binary $< $@

$(BUILD)/hv/guest/%.bin: $(BUILD)/riscv64-sbi/%.elf
	@mkdir -p $(@D)
	$(HV_OBJCOPY) -O binary $< $@

hv-demo: $(BUILD)/hv/hv.elf $(BUILD)/hv/guest/$(HV_GUEST).bin
	@echo '$$ $(HV_QEMU) -device loader,file=$(BUILD)/hv/guest/$(HV_GUEST).bin,addr=0x82200000,force-raw=on'
	@timeout 120 $(HV_QEMU) \
		-device loader,file=$(BUILD)/hv/guest/$(HV_GUEST).bin,addr=0x82200000,force-raw=on; \
	status=$$?; echo; echo "QEMU exited with status $$status"; exit $$status
