#!/bin/sh
# Installs what `make test`, `make demo` and `make bench` need on a Debian machine:
# with apt-get when run as root, otherwise prints the exact command and fails.
need=""
have() { command -v "$1" >/dev/null 2>&1; }
have gcc || need="$need gcc"
have g++ || need="$need g++"
have clang || need="$need clang"
have make || need="$need make"
have python3 || need="$need python3"
have qemu-system-riscv64 || need="$need qemu-system-misc"
have riscv64-unknown-elf-gcc || need="$need gcc-riscv64-unknown-elf"
# The sanitizer runtimes ship with gcc on Debian; check they link.
if have gcc && ! echo 'int main(void){return 0;}' | gcc -x c -fsanitize=address,undefined -o /dev/null - 2>/dev/null; then
    need="$need libasan8 libubsan1"
fi
[ -z "$need" ] && exit 0
cmd="apt-get install -y --no-install-recommends$need"
if [ "$(id -u)" = 0 ]; then
    echo "deps: installing$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && $cmd >/dev/null || { echo "deps: '$cmd' failed"; exit 1; }
else
    echo "deps: missing$need; install them with:"
    echo "    sudo apt-get update && sudo $cmd"
    exit 1
fi
