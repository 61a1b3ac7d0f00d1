#!/bin/sh
# Runs every test suite and prints the closing count. Each suite prints one line per case,
# starting with PASS, FAIL or SKIP; a suite that fails without saying why counts as a failure.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
mkdir -p "$BUILD"
log="$BUILD/test.log"
: >"$log"
crashed=0
for suite in compile-tests host-tests qemu-tests; do
    echo "== $suite" | tee -a "$log"
    if make --no-print-directory -s -k "$suite" >"$BUILD/$suite.log" 2>&1; then rc=0; else rc=$?; fi
    cat "$BUILD/$suite.log" >>"$log"
    grep -E '^(FAIL|SKIP)' "$BUILD/$suite.log"
    grep -E '^INFO' "$BUILD/$suite.log"
    p=$(grep -c '^PASS' "$BUILD/$suite.log")
    f=$(grep -c '^FAIL' "$BUILD/$suite.log")
    echo "   $suite: $p passed, $f failed"
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
