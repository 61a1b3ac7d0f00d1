# tests/qemu/pci.mk - the examples over virtio-pci on QEMU (riscv64, riscv32, aarch64 `virt`:
# the PCIe host bridge from the device tree, BARs assigned by the examples; x86_64 on `q35` and
# `pc`: configuration through ports 0xCF8/0xCFC, BARs assigned by SeaBIOS).
# Included by the top-level Makefile (with examples/*.mk, whose rules build the ELFs named here,
# and tests/qemu/targets.mk: QEMU_TARGETS, QEMU_TEST_ARGS).
#
#   make qemu-pci-tests  tests/qemu/pci_test.py: rng, blk, console, net and gpu examples over
#                        virtio-*-pci, modern (disable-legacy=on), transitional and legacy
#                        (disable-modern=on); one job per target (qemu-pci-tests-<target>);
#                        targets without a PCI host bridge in their platform layer SKIP
# Python 3 standard library only.

include tests/qemu/targets.mk

.PHONY: qemu-pci-tests

qemu-tests: qemu-pci-tests

QEMU_PCI_JOBS := $(QEMU_TARGETS:%=qemu-pci-tests-%) $(QEMU_PCI_ONLY_TARGETS:%=qemu-pci-tests-%)
.PHONY: $(QEMU_PCI_JOBS)
qemu-pci-tests: $(QEMU_PCI_JOBS)
# The targets whose platform layer has a PCI host bridge (PLAT_PCI_*) boot these; the others'
# jobs only print their SKIP line.
QEMU_PCI_ELFS := rng.elf blk.elf console.elf net.elf gpu_bench.elf
qemu-pci-tests-riscv64: $(addprefix $(BUILD)/riscv64/,$(QEMU_PCI_ELFS) blk_pcicfg.elf)
qemu-pci-tests-riscv32: $(addprefix $(BUILD)/riscv32/,$(QEMU_PCI_ELFS))
qemu-pci-tests-aarch64: $(addprefix $(BUILD)/aarch64/,$(QEMU_PCI_ELFS))
qemu-pci-tests-x86_64: $(addprefix $(BUILD)/x86_64/,$(QEMU_PCI_ELFS))
$(QEMU_PCI_JOBS): qemu-pci-tests-%:
	$(PYTHON) tests/qemu/pci_test.py $(QEMU_TEST_ARGS) --target $*
