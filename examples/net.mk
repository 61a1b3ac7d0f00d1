# examples/net.mk - the virtio_net.h example: a polled ARP/ICMP/UDP-echo responder.
# Included by the top-level Makefile after examples/examples.mk, whose pattern rules build
# $(BUILD)/<target>/net.elf from examples/net.c; this adds the header dependency and the
# build-time settings.
#
#   make examples                       also builds net.elf (every target)
#   make examples NET_IP=192,168,1,50   another IPv4 address (comma-separated bytes)
#   make net-demo                       boots it on QEMU with a loopback peer (tests/qemu/net_test.py)
#
# Other settings, as -D macros through NET_DEFS (see examples/net.c): NET_RX_QUEUE, NET_TX_QUEUE,
# NET_RX_BUFS, NET_RX_BUF_SIZE, NET_FRAME_MEM, NET_STATS_PORT.

include examples/examples.mk

NET_IP ?= 10,0,2,15
NET_DEFS ?=

.PHONY: net-demo

EX_NAMES += net

$(call EX_ELF,net): virtio_net.h examples/net.mk
$(call EX_ELF,net): EX_CFLAGS += -DNET_IP=$(NET_IP) $(NET_DEFS)

net-demo: $(BUILD)/riscv64/net.elf
	python3 tests/qemu/net_test.py --demo --elf $(BUILD)/riscv64/net.elf
