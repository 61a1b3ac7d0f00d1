#!/usr/bin/env python3
"""tests/qemu/blk_bench.py - the numbers behind virtio.h: speed in QEMU and code size.

Boots examples/bench.c (build/riscv64/bench.elf) on a legacy and on a modern virtio-blk device
and reads its `BENCH` lines: 4 KiB read latency at queue depth 1, 4 KiB read throughput with
many requests in flight, and register accesses per request and to probe and initialize the
device (counted in the guest by a wrapper around the MMIO accessor). Then compiles the implementation blocks alone with
riscv64-unknown-elf-gcc -Os -march=rv64imac -mabi=lp64 -ffreestanding -c and measures them with
riscv64-unknown-elf-size. Prints a table and writes the same figures to BUILD/bench.json.

A benchmark, not a test: the guest bounds each phase by time, so a slow machine gives fewer
samples, never a failure. It exits nonzero only if something could not run at all.

    python3 tests/qemu/blk_bench.py [--build DIR] [--no-build]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120  # seconds per QEMU run; the guest stops itself after about 10 s of measuring
CC = "riscv64-unknown-elf-gcc"
SIZE = "riscv64-unknown-elf-size"


def run_guest(build, transport, image):
    # "-smp 1,maxcpus=2": QEMU before 8.1 drops the guest's fences under TCG when the machine
    # can only ever have one CPU, and then loses a virtqueue notification now and then (the
    # I/O thread runs in parallel all the same; fixed upstream by "tcg: Do not elide memory
    # barriers for !CF_PARALLEL in system mode"). A second possible CPU keeps the fences.
    cmd = ["qemu-system-riscv64", "-M", "virt", "-smp", "1,maxcpus=2",
           "-bios", "none", "-nographic", "-no-reboot",
           "-global", "virtio-mmio.force-legacy=" + ("true" if transport == "legacy" else "false"),
           "-drive", "file={},if=none,format=raw,id=d0,readonly=on".format(image),
           "-device", "virtio-blk-device,drive=d0",
           "-kernel", str(build / "riscv64" / "bench.elf")]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "QEMU did not finish within {} s".format(TIMEOUT)
    out = p.stdout.decode("utf-8", "replace").replace("\r", "")
    if p.returncode != 0:
        return None, "exit status {}: {}".format(p.returncode, out.strip()[-200:])
    phases = {}
    for line in out.splitlines():
        m = re.match(r"BENCH (\w+) (.*)$", line)
        if m:
            phases[m.group(1)] = {k: (int(v) if re.fullmatch(r"\d+", v) else v)
                                  for k, v in re.findall(r"(\w+)=(\S+)", m.group(2))}
    if not {"device", "qd1", "qdn"} <= set(phases):
        return None, "missing BENCH lines in: " + out.strip()[-200:]
    return phases, None


def figures(phases):
    """Microseconds, MiB/s and accesses per request from the guest's integer counts."""
    res = {"queue_size": phases["device"]["queue_size"],
           "features": phases["device"]["features"],
           "init_register_accesses": phases["device"]["init_reg_reads"]
           + phases["device"]["init_reg_writes"],
           "probe_register_accesses": phases["device"].get("probe_reg_reads", 0)
           + phases["device"].get("probe_reg_writes", 0)}
    for name in ("qd1", "qdn"):
        p = phases[name]
        secs = p["ticks"] / p["hz"] if p["ticks"] else float("nan")
        n = max(p["requests"], 1)
        res[name] = {
            "requests": p["requests"],
            "seconds": round(secs, 6),
            "us_per_request": round(secs * 1e6 / n, 2),
            "mib_per_s": round(p["bytes"] / secs / (1 << 20), 1),
            "requests_per_s": round(p["requests"] / secs),
            "max_in_flight": p["max_in_flight"],
            "register_reads_per_request": round(p["reg_reads"] / n, 3),
            "register_writes_per_request": round(p["reg_writes"] / n, 3),
            "register_accesses_per_request": round((p["reg_reads"] + p["reg_writes"]) / n, 3),
        }
    return res


def median_of(runs):
    """Per figure, the median over runs (QEMU's timing is noisy on a shared machine)."""
    first = runs[0]
    if isinstance(first, dict):
        return {k: median_of([r[k] for r in runs]) for k in first}
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        m = statistics.median(runs)
        return round(m, 3) if isinstance(m, float) else m
    return first


def code_sizes(build):
    """Bytes of .text (and of everything `size` counts as text: code plus read-only data) of
    each header's implementation, compiled alone."""
    work = build / "bench-size"
    work.mkdir(parents=True, exist_ok=True)
    sources = {
        "core": '#define VIRTIO_IMPLEMENTATION\n#include "virtio.h"\n',
        "core+blk": '#define VIRTIO_IMPLEMENTATION\n#include "virtio.h"\n'
                    '#define VIRTIO_BLK_IMPLEMENTATION\n#include "virtio_blk.h"\n',
    }
    targets = {"rv64imac": ["-march=rv64imac", "-mabi=lp64"],
               "rv32imac": ["-march=rv32imac", "-mabi=ilp32"]}
    sizes = {}
    for arch, flags in targets.items():
        for name, text in sources.items():
            src = work / "{}.c".format(name.replace("+", "_"))
            obj = work / "{}-{}.o".format(name.replace("+", "_"), arch)
            src.write_text(text)
            subprocess.run([CC, "-Os"] + flags + ["-ffreestanding", "-c", "-I", str(ROOT),
                                                  str(src), "-o", str(obj)], check=True)
            sysv = subprocess.run([SIZE, "-A", str(obj)], check=True, capture_output=True,
                                  text=True).stdout
            berkeley = subprocess.run([SIZE, str(obj)], check=True, capture_output=True,
                                      text=True).stdout.splitlines()[1].split()
            dot_text = sum(int(m.group(1)) for m in
                           re.finditer(r"^\.text\S*\s+(\d+)", sysv, re.M))
            sizes.setdefault(arch, {})[name] = {"text_section": dot_text,
                                                "text_and_rodata": int(berkeley[0])}
        both, core = sizes[arch]["core+blk"], sizes[arch]["core"]
        sizes[arch]["blk"] = {k: both[k] - core[k] for k in core}
    return sizes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--no-build", action="store_true", help="do not run make first")
    ap.add_argument("--runs", type=int, default=3, help="boots per transport; medians reported")
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()

    if not args.no_build:
        r = subprocess.run(["make", "-s", "BUILD=" + args.build,
                            str(Path(args.build) / "riscv64" / "bench.elf")], cwd=ROOT)
        if r.returncode != 0:
            print("bench: building bench.elf failed")
            return 1

    # A 16 MiB image of zeros; the guest only reads it (readonly=on).
    image = build / "bench.img"
    with open(image, "wb") as f:
        f.truncate(16 << 20)

    qemu_version = subprocess.run(["qemu-system-riscv64", "--version"], capture_output=True,
                                  text=True).stdout.splitlines()[0]
    results = {"qemu": qemu_version, "request_bytes": 4096, "runs": max(1, args.runs),
               "transports": {}}
    errors = []
    for transport in ("legacy", "modern"):
        runs = []
        for _ in range(max(1, args.runs)):
            phases, err = run_guest(build, transport, image)
            if err:
                errors.append("{}: {}".format(transport, err))
                break
            runs.append(figures(phases))
        if runs:
            results["transports"][transport] = median_of(runs)
    try:
        results["code_size"] = code_sizes(build)
    except (subprocess.CalledProcessError, OSError) as e:
        errors.append("code size: {}".format(e))

    print_table(results)
    (build / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    print("\nwritten to {}".format(build / "bench.json"))
    for e in errors:
        print("bench: could not measure " + e)
    return 1 if errors else 0


def print_table(res):
    t = res["transports"]
    cols = [c for c in ("legacy", "modern") if c in t]
    print("virtio.h benchmark: {} (TCG), riscv64 virt, virtio-blk, 4 KiB reads".format(res["qemu"]))
    print("times from the guest's 10 MHz time CSR, median of {} boots each; register accesses "
          "counted in the guest\n".format(res["runs"]))
    if cols:
        qdn = t[cols[0]]["qdn"]["max_in_flight"]
        rows = [
            ("read latency, queue depth 1 (us/request)", "qd1", "us_per_request", "{:.1f}"),
            ("read throughput, {} in flight (MiB/s)".format(qdn), "qdn", "mib_per_s", "{:.1f}"),
            ("read throughput, {} in flight (requests/s)".format(qdn), "qdn", "requests_per_s",
             "{:.0f}"),
            ("register accesses/request, depth 1", "qd1", "register_accesses_per_request",
             "{:.2f}"),
            ("  of which reads", "qd1", "register_reads_per_request", "{:.2f}"),
            ("register accesses/request, {} in flight".format(qdn), "qdn",
             "register_accesses_per_request", "{:.2f}"),
            ("  of which reads", "qdn", "register_reads_per_request", "{:.2f}"),
        ]
        print("{:<46}".format("") + "".join("{:>12}".format(c) for c in cols))
        for label, phase, key, fmt in rows:
            print("{:<46}".format(label)
                  + "".join("{:>12}".format(fmt.format(t[c][phase][key])) for c in cols))
        print("{:<46}".format("register accesses to probe the transport")
              + "".join("{:>12}".format(t[c]["probe_register_accesses"]) for c in cols))
        print("{:<46}".format("register accesses to initialize the device")
              + "".join("{:>12}".format(t[c]["init_register_accesses"]) for c in cols))
        print("{:<46}".format("requests measured (depth 1 / in flight)")
              + "".join("{:>12}".format("{}/{}".format(t[c]["qd1"]["requests"],
                                                       t[c]["qdn"]["requests"])) for c in cols))
    sizes = res.get("code_size")
    if sizes:
        print("\ncode size, gcc -Os -ffreestanding -c, bytes: "
              ".text section (text+rodata per `size`)")
        arches = list(sizes)
        print("{:<46}".format("") + "".join("{:>20}".format(a) for a in arches))
        for name, label in (("core", "virtio.h implementation"),
                            ("core+blk", "virtio.h + virtio_blk.h implementations"),
                            ("blk", "virtio_blk.h implementation (difference)")):
            print("{:<46}".format(label) + "".join(
                "{:>20}".format("{} ({})".format(sizes[a][name]["text_section"],
                                                 sizes[a][name]["text_and_rodata"]))
                for a in arches))


if __name__ == "__main__":
    sys.exit(main())
