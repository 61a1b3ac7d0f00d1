#!/bin/sh
# The compile matrix: every header as C99/C11 and C++11/C++20, gcc and clang, with and without
# VIRTIO_STATIC and VIRTIO_NO_LEGACY, strict warnings as errors; then freestanding riscv64 and
# riscv32 objects that must need no symbol from any library. One PASS/FAIL line per build.
cd "$(dirname "$0")/../.." || exit 1
out=${BUILD:-build}/compile
mkdir -p "$out"
warn="-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wcast-qual -Wundef -Werror"
cwarn="$warn -Wstrict-prototypes -Wmissing-prototypes"
fail=0
check() { # name, command...
    name=$1; shift
    if log=$("$@" 2>&1); then echo "PASS compile: $name"; else
        echo "FAIL compile: $name"; printf '%s\n' "$log" | head -n 20 | sed 's/^/    /'; fail=1; fi
}
for cc in gcc clang; do
    case $cc in gcc) cxx=g++;; clang) cxx=clang++;; esac
    for variant in "" "-DVIRTIO_STATIC" "-DVIRTIO_NO_LEGACY -DVIRTIO_NO_STRINGS"; do
        tag=${variant:+ $variant}
        decl=decl_only; [ "$variant" = -DVIRTIO_STATIC ] && decl=  # static: one file only
        for std in c99 c11; do
            for f in all core_only $decl; do
                check "$cc -std=$std $f.c$tag" $cc -std=$std $cwarn $variant -I. -c tests/compile/$f.c -o "$out/$cc-$std-$f.o"
            done
            check "$cc -std=$std -ffreestanding all.c$tag" $cc -std=$std -ffreestanding $cwarn $variant -I. -c tests/compile/all.c -o "$out/$cc-$std-ff.o"
        done
        for std in c++11 c++20; do
            for f in all core_only $decl; do
                check "$cxx -std=$std $f.c$tag" $cxx -x c++ -std=$std $warn $variant -I. -c tests/compile/$f.c -o "$out/$cxx-$std-$f.o"
            done
        done
    done
done
# Freestanding cross builds: no libc, no libgcc helpers. `nm -u` lists what the object needs
# from elsewhere; it must be empty.
for t in "rv64imac lp64" "rv32imac ilp32"; do
    set -- $t
    o="$out/$1-all.o"
    check "riscv64-unknown-elf-gcc -march=$1 -mabi=$2 -ffreestanding -nostdlib -Os" \
        riscv64-unknown-elf-gcc -march=$1 -mabi=$2 -std=c99 -ffreestanding -nostdlib -Os $cwarn -I. -c tests/compile/all.c -o "$o"
    if [ -f "$o" ]; then
        undef=$(riscv64-unknown-elf-nm -u "$o")
        if [ -z "$undef" ]; then echo "PASS compile: $1 object needs no external symbol"; else
            echo "FAIL compile: $1 object needs: $(echo $undef | tr '\n' ' ')"; fail=1; fi
    fi
done
exit $fail
