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

# Each part of the project brings its own fragment: examples/*.mk (bare-metal examples, demo),
# tests/*.mk (host tests), tests/qemu/*.mk (QEMU tests, bench). A fragment may add
# prerequisites to the shared targets examples, host-tests, qemu-tests and bench.
-include $(sort $(wildcard examples/*.mk tests/*.mk tests/qemu/*.mk))
