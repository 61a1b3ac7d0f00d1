#!/bin/sh
# tests/hv_matrix.sh BUILD - the personality matrix: every device header's host suite run again
# with the simulated device playing each hypervisor that has that device (VIRTIO_TEST_HV,
# tests/fixture.h; the personalities are in tests/sim.h, enum sim_hv). Run by
# `make hv-host-tests` (tests/hv_host.mk), which builds the programs first.
#
# A cell is one of
#   suite  the whole suite under VIRTIO_TEST_HV=<hv> (variants the hypervisor lacks are SKIPs:
#          crosvm, TinyEMU and Firecracker have no legacy virtio-mmio; TinyEMU offers no
#          EVENT_IDX, packed ring or indirect descriptors, Firecracker no packed ring or
#          indirect descriptors; a case that needs a feature the hypervisor never offers skips
#          itself, naming it). Firecracker (up to v1.16) cannot reset a device it activated:
#          every case is a fresh device, so its first init works; a case that resets or
#          re-initializes the device afterwards is a SKIP naming the refused reset only if
#          nothing failed before it, the check that failed got VIRTIO_EBUSY and the library
#          gave up within VIRTIO_RESET_SPIN status reads (tests/fixture.h, fx__fc_verdict);
#          anything else is a FAIL
#   cases  the suite's own cases for that hypervisor (VIRTIO_TEST_FILTER=<hv>)
#   n/a    the hypervisor has no such device (why)
# QEMU's column is the default run of every suite (host-tests), not repeated here.
# Prints each suite's case lines, then one "INFO matrix <device> x <hv>: ..." line per cell;
# exits nonzero if any cell failed.
BUILD=${1:-build}
TIMEOUT=${HOST_TEST_TIMEOUT:-}
status=0
summary=""

cell() { # device hv kind [why]
    dev=$1 hv=$2 kind=$3
    if [ "$kind" = n/a ]; then
        summary="$summary
INFO matrix $dev x $hv: n/a ($4)"
        return
    fi
    if [ "$kind" = cases ]; then
        env="VIRTIO_TEST_FILTER=$hv"
    else
        env="VIRTIO_TEST_HV=$hv"
    fi
    out=$(env $env ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
        UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
        $TIMEOUT "$BUILD/host/test_$dev" 2>&1)
    rc=$?
    echo "INFO hypervisor $hv: test_$dev ($kind)"
    echo "$out"
    p=$(echo "$out" | grep -c '^PASS')
    f=$(echo "$out" | grep -c '^FAIL')
    s=$(echo "$out" | grep -c '^SKIP')
    r=$(echo "$out" | grep -c '^SKIP.*the case resets the activated device')
    if [ $rc -ne 0 ] || [ "$f" -ne 0 ] || [ "$p" -eq 0 ]; then
        status=1
        verdict="FAILS (exit $rc)"
    else
        verdict="works"
    fi
    summary="$summary
INFO matrix $dev x $hv: $verdict: $kind, $p passed, $f failed, $s skipped${r:+$(
        [ "$r" -gt 0 ] && echo " ($r of them reset the activated device, which it refuses)")}"
}

FC="Firecracker has block, net, vsock, balloon, rng, pmem"
TE="TinyEMU has block, net, console, input, 9p"
KT="kvmtool has block, net, console, rng, 9p, balloon, vsock, scsi"

cell blk kvmtool suite
cell blk crosvm suite
cell blk firecracker suite
cell blk tinyemu suite

cell net kvmtool suite
cell net crosvm suite
cell net firecracker suite
cell net tinyemu suite

cell console kvmtool suite
cell console crosvm suite
cell console firecracker n/a "$FC"
cell console tinyemu suite

cell rng kvmtool suite
cell rng crosvm suite
cell rng firecracker suite
cell rng tinyemu n/a "$TE"

cell input kvmtool n/a "$KT"
cell input crosvm suite
cell input firecracker n/a "$FC"
cell input tinyemu suite

cell gpu kvmtool n/a "$KT"
cell gpu crosvm suite
cell gpu firecracker n/a "$FC"
cell gpu tinyemu n/a "$TE; its display is a plain framebuffer"

echo "$summary" | sed '/^$/d'
exit $status
