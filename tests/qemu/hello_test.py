#!/usr/bin/env python3
"""tests/qemu/hello_test.py - every target boots: examples/hello.c on every machine of targets.py.

hello.c uses no virtio device: it prints a line, checks its clock over a 10 ms wait and exits.
The case passes when the one judge of targets.py says so (a line `PASS`, exit status 0). On the
machines with two harts (riscv64-sbi-smp2) it runs several times, since the hart the payload
starts on may differ from boot to boot.

The benchmark examples run to their PASS line too, once per target (on its first machine), each
with the device it measures: bench.elf (a read-only 16 MiB disk), console_bench.elf (a console
port into a file), gpu_bench.elf (a GPU); the benchmarks themselves are `make bench`, riscv64.

`--time N` also measures QEMU's start-to-exit wall time of hello and of examples/blk.c (modern,
one 8 MiB disk in the highest slot) on each machine, N runs each, and prints the medians as INFO
lines: the cost of the block example over a bare boot on the same target.

Prints `PASS qemu-hello/<machine>: ...`, `FAIL ...`, `SKIP ...`; exits 1 if any case failed.
Each run leaves its command and output in BUILD/qemu-hello/<machine>-<run>/.

    python3 tests/qemu/hello_test.py [--build DIR] [--target T] [--machine M] [--time N]
"""

import argparse
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import targets as T  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def boot(build, m, name, elf, devices=(), version="modern", smp=None, drive=None, extra=()):
    d = build / "qemu-hello" / ("%s-%s" % (m.name, name))
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    cmd = m.cmd(version, smp=smp) + ["-nographic", "-kernel", str(m.elf(build, elf))]
    if drive:
        cmd += ["-drive", "file=%s,if=none,format=raw,id=d0" % drive]
    cmd += list(extra)
    for dev in devices:
        cmd += ["-device", m.dev(dev)]
    (d / "cmd").write_text(" ".join(shlex.quote(a) for a in cmd) + "\n")
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT)
        out, status, timed_out = (p.stdout.decode(errors="replace"), m.exit_status(p.returncode),
                                  False)
    except subprocess.TimeoutExpired as e:
        out, status, timed_out = (e.stdout or b"").decode(errors="replace"), None, True
    secs = time.monotonic() - t0
    (d / "output").write_text(out)
    return out, status, timed_out, secs, cmd


def bench_cases(build, rep, m):
    work = build / "qemu-hello"
    zeros = work / ("%s-zeros.img" % m.name)
    port0 = work / ("%s-console-bench.port0" % m.name)
    cases = [
        ("bench.elf (blk benchmark, read-only disk) runs to PASS", "bench.elf",
         ["virtio-blk-device,drive=d0"], ["-drive", "file=%s,if=none,format=raw,id=d0,"
                                          "readonly=on" % zeros]),
        ("console_bench.elf (console port 0 into a file) runs to PASS", "console_bench.elf",
         ["virtio-serial-device", "virtconsole,chardev=c0"],
         ["-chardev", "file,id=c0,path=%s" % port0]),
        ("gpu_bench.elf (GPU at 1280x800) runs to PASS", "gpu_bench.elf",
         ["virtio-gpu-device"], []),
    ]
    for name, elf, devices, extra in cases:
        if not rep.wanted(name):
            continue
        miss = m.missing(build, [elf])
        if miss:
            rep.case(m.name, name, "missing " + miss)
            continue
        with open(zeros, "wb") as f:
            f.truncate(16 << 20)
        out, status, timed_out, secs, _ = boot(build, m, elf[:-4], elf, devices, extra=extra)
        rep.case(m.name, name, T.judge(out, status, timed_out=timed_out, machine=m),
                 " (%.1f s)" % secs)
    for f in (zeros, port0):
        if f.exists():
            f.unlink()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default="", help="run only cases whose name contains this")
    ap.add_argument("--time", type=int, default=0, metavar="N",
                    help="also time N boots of hello and of blk on each machine (medians)")
    T.add_arguments(ap)
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()
    rep = T.Report("qemu-hello", args.k)
    t0 = time.monotonic()
    for m in T.selected(args, pci=True):
        name = "hello: console, clock, exit status 0"
        if not rep.wanted(name):
            continue
        miss = m.missing(build, ["hello.elf"])
        if miss:
            rep.case(m.name, name, "missing " + miss + " (make examples; tests/deps.sh)")
            continue
        runs = 3 if m.smp == "2" else 1
        why = ""
        for i in range(runs):
            out, status, timed_out, _, _ = boot(build, m, "hello%d" % i, "hello.elf", smp=m.smp)
            why = T.judge(out, status, timed_out=timed_out, machine=m)
            if why:
                break
        rep.case(m.name, name + (" (%d boots)" % runs if runs > 1 else ""), why)

        if m is next(x for x in T.MACHINES if x.target == m.target):  # the target's first
            bench_cases(build, rep, m)

        if args.time and not why and not m.missing(build, ["blk.elf"]):
            disk = build / "qemu-hello" / ("%s-disk.img" % m.name)
            with open(disk, "wb") as f:
                f.truncate(8 << 20)
            hello, blk = [], []
            for i in range(args.time):
                _, st, _, s, _ = boot(build, m, "time-hello", "hello.elf")
                if st == 0:
                    hello.append(s)
                out, st, _, s, _ = boot(build, m, "time-blk", "blk.elf",
                                        ["virtio-blk-device,drive=d0"], drive=disk)
                if st == 0:
                    blk.append(s)
            print("INFO qemu-hello/%s: QEMU start to exit, median of %d: hello %.3f s, "
                  "blk %.3f s (blk - hello %.3f s)%s" % (
                      m.name, args.time, T.median(hello), T.median(blk),
                      T.median(blk) - T.median(hello),
                      "" if len(hello) == len(blk) == args.time else
                      " [%d/%d hello, %d/%d blk runs passed]" % (
                          len(hello), args.time, len(blk), args.time)), flush=True)
            disk.unlink()
    rep.summary(time.monotonic() - t0)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
