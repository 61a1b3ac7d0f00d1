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
# The other example targets (examples/examples.mk): qemu-system-m68k comes with
# qemu-system-misc, and so does OpenSBI, QEMU's default riscv firmware (in qemu-system-data).
have qemu-system-aarch64 || need="$need qemu-system-arm"
have aarch64-linux-gnu-gcc || need="$need gcc-aarch64-linux-gnu"
have m68k-linux-gnu-gcc || need="$need gcc-m68k-linux-gnu"
have qemu-system-m68k || need="$need qemu-system-misc"
# x86_64 examples: the host's gcc builds them (long mode, no -m32); QEMU's q35 and pc machines
# with SeaBIOS, which qemu-system-x86 depends on.
have qemu-system-x86_64 || need="$need qemu-system-x86"
[ -f /usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin ] || need="$need qemu-system-data"
# The host tests again on a big-endian CPU (tests/be_host.mk): s390x Linux under qemu-user.
have s390x-linux-gnu-gcc || need="$need gcc-s390x-linux-gnu"
[ -f /usr/s390x-linux-gnu/lib/libc.a ] || need="$need libc6-dev-s390x-cross"
have qemu-s390x || need="$need qemu-user"
# Static analysis (tests/analyze.mk): cppcheck; clang's analyzer is clang --analyze, gcc's is
# gcc -fanalyzer.
have cppcheck || need="$need cppcheck"
# libFuzzer (tests/fuzz): clang's runtime, which clang itself only recommends.
if have clang && ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' |
    clang -x c -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
    need="$need libclang-rt-14-dev"
fi
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
