#!/bin/sh
# Runs every test suite and prints the closing count. Each suite prints one line per case,
# starting with PASS, FAIL or SKIP; a suite that fails without saying why counts as a failure.
# The QEMU suite runs two jobs at a time (make -j2: one job is one device's script on one
# target, tests/qemu/targets.mk), each job's output kept together; so do the host suites
# (HOST_JOBS) and the compile matrix (COMPILE_JOBS, tests/compile/run.sh). QEMU_FULL=1 (make
# test-full) runs every QEMU case on every target instead of the port subset.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
mkdir -p "$BUILD"
log="$BUILD/test.log"
: >"$log"
crashed=0
for suite in compile-tests analyze host-tests host-tests-be qemu-tests; do
    echo "== $suite" | tee -a "$log"
    jobs=""
    [ "$suite" = qemu-tests ] && jobs="-j${QEMU_JOBS:-2} --output-sync=target"
    case $suite in host-tests*) jobs="-j${HOST_JOBS:-2} --output-sync=target";; esac
    t0=$(date +%s)
    # shellcheck disable=SC2086
    if make --no-print-directory -s -k $jobs "$suite" >"$BUILD/$suite.log" 2>&1; then rc=0; else rc=$?; fi
    cat "$BUILD/$suite.log" >>"$log"
    grep -E '^(FAIL|SKIP)' "$BUILD/$suite.log"
    grep -E '^INFO' "$BUILD/$suite.log"
    p=$(grep -c '^PASS' "$BUILD/$suite.log")
    f=$(grep -c '^FAIL' "$BUILD/$suite.log")
    s=$(grep -c '^SKIP' "$BUILD/$suite.log")
    echo "   $suite: $p passed, $f failed, $s skipped, $(($(date +%s) - t0)) s"
    if [ "$suite" = qemu-tests ]; then
        # Per machine (tests/qemu/targets.py): the second part of "PASS qemu-X/<machine>/...".
        sed -n 's#^\(PASS\|FAIL\|SKIP\) qemu-[a-z]*/\(riscv[a-z0-9-]*\|aarch64[a-z0-9-]*\|m68k[a-z0-9-]*\|x86[a-z0-9-]*\)[/:].*#\1 \2#p' \
            "$BUILD/$suite.log" | sort -k2 | awk '
            { n[$2]++; c[$2 " " $1]++ }
            END { for (m in n) printf "   qemu on %s: %d run, %d passed, %d failed, %d skipped\n",
                  m, c[m " PASS"] + c[m " FAIL"], c[m " PASS"], c[m " FAIL"], c[m " SKIP"] }' |
            sort
    fi
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        echo "FAIL $suite: exited with status $rc without naming a failed case" | tee -a "$log"
        tail -n 20 "$BUILD/$suite.log"
        crashed=$((crashed + 1))
    fi
done
p=$(grep -c '^PASS' "$log")
f=$(grep -c '^FAIL' "$log")
s=$(grep -c '^SKIP' "$log")
echo "full log: $log"
if [ "$s" -gt 0 ]; then echo "$p passed, $f failed, $s skipped"; else echo "$p passed, $f failed"; fi
[ "$f" = 0 ]
