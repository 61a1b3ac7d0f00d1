# tests/be_host.mk - the host tests again on a big-endian CPU: every tests/test_*.c program
# (with its simulated devices) cross-built for big-endian Linux and run under qemu-user. The
# library's big-endian paths run only there: modern devices little-endian, legacy ones in the
# guest's order (ring fields, configuration, device structures) with QEMU's legacy virtio-mmio
# registers in the guest's order too (tests/sim.c, "Device order"). No sanitizers (qemu-user
# runs them poorly); the x86-64 runs of tests/host.mk have them. Case names get a "be:" prefix.
# Needs (tests/deps.sh): gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user. Without them the
# target prints one SKIP line and succeeds.
#
#   make host-tests-be                      build $(BUILD)/host-be/test_* and run them
#   make host-tests-be BE_ARCH=m68k         another big-endian Debian cross target (m68k, powerpc)

BUILD ?= build
BE_ARCH ?= s390x
BE_CC ?= $(BE_ARCH)-linux-gnu-gcc
BE_QEMU ?= qemu-$(BE_ARCH)
BE_CFLAGS ?= -std=c11 -g -O1 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion \
	-Wstrict-prototypes -Wmissing-prototypes -Wundef -Wvla -Werror -I. -D_POSIX_C_SOURCE=200809L \
	-static
BE_DIR := $(BUILD)/host-be-$(BE_ARCH)
BE_PROGS := core blk console net rng gpu input fdt device loopback pci badinput \
	net_minimal console_minimal gpu_minimal input_minimal
# The simulated devices each program links (as in its tests/X_host.mk).
BE_SRC_core := tests/sim.c tests/sim_blk.c tests/sim_rng.c
BE_SRC_blk := tests/sim_blk.c tests/sim_rng.c tests/sim.c
BE_SRC_console := tests/sim_console.c tests/sim_blk.c tests/sim.c
BE_SRC_net := tests/sim.c tests/sim_net.c
BE_SRC_rng := tests/sim_rng.c tests/sim_blk.c tests/sim.c
BE_SRC_gpu := tests/sim_gpu.c tests/sim_blk.c tests/sim.c
BE_SRC_input := tests/sim_input.c tests/sim_blk.c tests/sim.c
BE_SRC_net_minimal := tests/sim.c tests/sim_net.c
BE_SRC_console_minimal := tests/sim_console.c tests/sim.c
BE_SRC_gpu_minimal := tests/sim_gpu.c tests/sim.c
BE_SRC_input_minimal := tests/sim_input.c tests/sim.c
BE_SRC_fdt :=
BE_SRC_device :=
BE_SRC_loopback :=
BE_SRC_pci := tests/sim_pci.c tests/sim_rng.c tests/sim_blk.c tests/sim_console.c tests/sim_input.c \
	tests/sim.c
BE_SRC_badinput := tests/sim.c tests/sim_blk.c tests/sim_rng.c tests/sim_console.c tests/sim_net.c \
	tests/sim_gpu.c tests/sim_input.c
BE_BINS := $(addprefix $(BE_DIR)/test_,$(BE_PROGS))
BE_HAVE := $(shell command -v $(BE_CC) >/dev/null 2>&1 && command -v $(BE_QEMU) >/dev/null 2>&1 && echo 1)

.PHONY: host-tests-be

# A suite of its own in tests/run_all.sh (not a prerequisite of host-tests: under make -k a
# failed prerequisite would skip the x86-64 programs).

ifeq ($(BE_HAVE),1)
# Every program runs even if one fails; the exit status of each survives the renaming pipe.
host-tests-be: $(BE_BINS)
	@status=0; for t in $(BE_BINS); do \
		{ $(HOST_TEST_TIMEOUT) $(BE_QEMU) $$t; echo $$? >$$t.rc; } | \
			sed -e 's/^\(PASS\|FAIL\|SKIP\) /\1 be: /' -e 's/^INFO /INFO be: /'; \
		[ "$$(cat $$t.rc)" = 0 ] || status=1; \
	done; exit $$status

$(BE_DIR)/test_%: tests/test_%.c virtio*.h tests/sim*.c tests/sim*.h tests/test.h tests/fixture.h \
		tests/be_host.mk
	@mkdir -p $(@D)
	$(BE_CC) $(BE_CFLAGS) -o $@ $< $(BE_SRC_$*)
else
host-tests-be:
	@echo "SKIP be: host tests on big-endian $(BE_ARCH) ($(BE_CC) or $(BE_QEMU) missing: tests/deps.sh)"
endif
