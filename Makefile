# virtio.h: `make test` runs everything, `make demo` shows the block example on QEMU,
# `make bench` measures. Each installs what is missing first (tests/deps.sh).
BUILD ?= build
export BUILD

.PHONY: all test deps compile-tests clean format

all: examples

test: deps
	@tests/run_all.sh

deps:
	@tests/deps.sh

compile-tests:
	@tests/compile/run.sh

clean:
	rm -rf $(BUILD)

format:
	clang-format -i virtio.h virtio_blk.h

-include tests/host.mk
-include examples/examples.mk
-include tests/qemu/qemu.mk
