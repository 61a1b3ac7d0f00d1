# tests/qemu/net.mk - QEMU tests and benchmark of virtio_net.h (examples/net.c on a loopback peer).
# Included by the top-level Makefile (after examples/*.mk, whose EX_* variables it uses, and
# tests/qemu/targets.mk: QEMU_TARGETS, QEMU_TEST_ARGS).
#
#   make qemu-net-tests   tests/qemu/net_test.py: legacy and modern, mrg_rxbuf on/off, queue
#                         and buffer sizes, MTUs; ARP, ICMP and 1000 UDP echoes per configuration
#                         on riscv64; on the other targets legacy and modern, top slot and
#                         slot 0, 200 echoes; one job per target (qemu-net-tests-<target>)
#   make bench-net        tests/qemu/net_bench.py: frames per second (60 and 1514 bytes) and
#                         register accesses per frame; writes $(BUILD)/bench-net.json
#
# The peer talks to QEMU's `-netdev dgram` on 127.0.0.1 only. Python 3 standard library only.

include tests/qemu/targets.mk
NET_IP ?= 10,0,2,15

.PHONY: qemu-net-tests bench-net

qemu-tests: qemu-net-tests
bench: bench-net

# Variants of the example the tests boot, built with other settings.
NET_VARIANT_DIR := $(BUILD)/net-variants
NET_VARIANTS := smallq smallbuf smallbufq ip min
NET_VARIANT_ELFS := $(NET_VARIANTS:%=$(NET_VARIANT_DIR)/net-%.elf)
NET_DEFS_smallq := -DNET_RX_QUEUE=4u -DNET_TX_QUEUE=2u -DNET_RX_BUFS=8u
NET_DEFS_smallbuf := -DNET_RX_BUF_SIZE=256u -DNET_RX_BUFS=256u
NET_DEFS_smallbufq := -DNET_RX_BUF_SIZE=256u -DNET_RX_BUFS=32u -DNET_RX_QUEUE=16u \
	-DNET_TX_QUEUE=4u
NET_DEFS_ip := -UNET_IP -DNET_IP=192,168,7,2
# The minimal build: VIRTIO_MINIMAL but for VIRTIO_NO_FDT (the example reads the device tree).
NET_DEFS_min := -DVIRTIO_NO_LEGACY -DVIRTIO_NO_STRINGS -DVIRTIO_NO_PACKED -DVIRTIO_NO_INDIRECT \
	-DVIRTIO_NO_EVENT_IDX -DVIRTIO_NO_FAST_PATH -DVIRTIO_NET_MINIMAL -DNET_FRAME_MEM=0u

$(NET_VARIANT_DIR)/net-%.elf: examples/net.c virtio.h virtio_net.h $(EX_DEPS) tests/qemu/net.mk
	@mkdir -p $(@D)
	$(EX_CC) $(EX_ARCH64) $(EX_CFLAGS) -DNET_IP=$(NET_IP) $(NET_DEFS_$*) $(EX_LDFLAGS) -o $@ \
		$(EX_PLATFORM) $< $(EX_LIBGCC64)

QEMU_NET_JOBS := $(QEMU_TARGETS:%=qemu-net-tests-%)
.PHONY: $(QEMU_NET_JOBS)
qemu-net-tests: $(QEMU_NET_JOBS)
qemu-net-tests-riscv64: $(NET_VARIANT_ELFS)
$(QEMU_NET_JOBS): qemu-net-tests-%: $(BUILD)/%/net.elf
	$(PYTHON) tests/qemu/net_test.py $(QEMU_TEST_ARGS) --no-build --target $*

bench-net: $(BUILD)/riscv64/net.elf
	$(PYTHON) tests/qemu/net_bench.py --build $(BUILD) --no-build
