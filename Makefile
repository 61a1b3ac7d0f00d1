# virtio.h: `make test` runs everything, `make demo` shows the block example on QEMU,
# `make bench` measures. Every target first installs what is missing (tests/deps.sh: apt-get
# as root, otherwise it prints the exact command and stops).
BUILD ?= build
export BUILD

.PHONY: all test deps compile-tests clean format

all: examples

# Before anything else is read (the fragments ask the cross compiler for its libgcc when they
# are parsed), install what is missing. Only `clean`, `format` and `deps` itself skip this.
ifneq ($(filter-out clean format deps,$(or $(MAKECMDGOALS),all)),)
VIRTIO_DEPS_STATUS := $(shell tests/deps.sh >&2; echo $$?)
ifneq ($(VIRTIO_DEPS_STATUS),0)
$(error tests/deps.sh could not install what this target needs (see above))
endif
endif

test:
	@tests/run_all.sh

deps:
	@tests/deps.sh

compile-tests:
	@tests/compile/run.sh

clean:
	rm -rf $(BUILD)

format:
	clang-format -i virtio*.h

# Each part of the project brings its own fragment: examples/*.mk (bare-metal examples, demo),
# tests/*.mk (host tests), tests/qemu/*.mk (QEMU tests, bench). A fragment may add
# prerequisites to the shared targets examples, host-tests, qemu-tests and bench; qemu-tests and
# bench are nothing but what the fragments add (one per device: tests/qemu/X.mk).
.PHONY: qemu-tests bench
-include $(sort $(wildcard examples/*.mk tests/*.mk tests/qemu/*.mk))
