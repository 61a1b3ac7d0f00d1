#!/usr/bin/env python3
"""tests/qemu/blk_bench.py - the numbers behind virtio.h: speed in QEMU and code size.

Boots examples/bench.c (build/riscv64/bench.elf) on a legacy and on a modern virtio-blk device
and reads its `BENCH` lines: 4 KiB read latency at queue depth 1, 4 KiB read throughput with
many requests in flight, and register accesses per request and to probe and initialize the
device (counted in the guest by a wrapper around the MMIO accessor). With the QEMU plugin
tests/qemu/plugin/insn_count.c (built here with the host gcc, loaded with -plugin), guest
instructions, exactly: per probe, per init, per 4 KiB read at depth 1 outside idle polling, per
request with many in flight (see insn_figures). Then code size: the implementation blocks
compiled alone with riscv64-unknown-elf-gcc -Os -march=rv64imac -mabi=lp64 -ffreestanding -c
(riscv64-unknown-elf-size's text: code and read-only data), and core + blk linked into a
reference program (linked_sizes) for the default build and the smallest configuration. Prints
a table and writes the same figures to BUILD/bench.json.

A benchmark, not a test: the guest bounds each phase by time, so a slow machine gives fewer
samples, never a failure. It exits nonzero only if something could not run at all.

    python3 tests/qemu/blk_bench.py [--build DIR] [--no-build] [--no-plugin] [--size-only]
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


# The device variants booted, by column: the transport (legacy is virtio-mmio v1), and on the
# modern one each ring format with indirect descriptors offered (QEMU's default) and not.
VARIANTS = {
    "legacy": "",
    "modern": "",
    "m-noind": ",indirect_desc=off",
    "packed": ",packed=on",
    "p-noind": ",packed=on,indirect_desc=off",
}


def run_guest(build, transport, image, plugin):
    # "-smp 1,maxcpus=2": QEMU before 8.1 drops the guest's fences under TCG when the machine
    # can only ever have one CPU, and then loses a virtqueue notification now and then (the
    # I/O thread runs in parallel all the same; fixed upstream by "tcg: Do not elide memory
    # barriers for !CF_PARALLEL in system mode"). A second possible CPU keeps the fences.
    cmd = ["qemu-system-riscv64", "-M", "virt", "-smp", "1,maxcpus=2",
           "-bios", "none", "-nographic", "-no-reboot",
           "-global", "virtio-mmio.force-legacy=" + ("true" if transport == "legacy" else "false"),
           "-drive", "file={},if=none,format=raw,id=d0,readonly=on".format(image),
           "-device", "virtio-blk-device,drive=d0" + VARIANTS[transport],
           "-kernel", str(build / "riscv64" / "bench.elf")]
    insn_out = build / "bench-insn-{}.txt".format(transport)
    if plugin:
        if insn_out.exists():
            insn_out.unlink()
        cmd += ["-plugin", "{},out={}".format(plugin, insn_out)]
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
    if not {"device", "qd1", "qdn", "qd1_regs", "qdn_regs"} <= set(phases):
        return None, "missing BENCH lines in: " + out.strip()[-200:]
    if plugin:
        if not insn_out.exists():
            return None, "the instruction-count plugin wrote nothing"
        chans = {}
        for line in insn_out.read_text().splitlines():
            m = re.match(r"INSN ch=(\d+) (.*)$", line)
            if m:
                chans[int(m.group(1))] = {k: int(v) for k, v in
                                          re.findall(r"(\w+)=(\d+)", m.group(2))}
        phases["insn"] = chans
    return phases, None


# Marker channels of examples/bench.c (BENCH_MARK), pass 2 (plain accessor).
CH_CALIB, CH_PROBE, CH_INIT, CH_QD1, CH_SUBMIT, CH_POLL, CH_INIT_DEFAULT = 1, 2, 3, 4, 5, 6, 7


def insn_figures(ch):
    """Guest instructions from the plugin's sums (tests/qemu/plugin/insn_count.c).

    Every region pays for one marker instruction (the calibration region, BEGIN then END,
    measures it) which is taken off. A blocking read at depth 1 waits inside the library: each
    idle iteration of that wait calls the relax hook once. What the hook ran, the gaps from one
    hook return to the next hook call (one idle iteration each: an empty poll, the spin
    bookkeeping, the call) and, in a read that relaxed at all, one more such iteration (the
    first empty poll, before the first hook call) are idle polling, taken out: the figure is
    the read's own work (checks, request, notification, the poll that found it, the
    completion). Submits and polls of the many-in-flight phase are bracketed one by one; those
    that found nothing to do (ENOSPC, EAGAIN) are counted apart as idle."""
    calib = ch[CH_CALIB]["kept"] if CH_CALIB in ch else 0

    def per(c):
        if c not in ch or ch[c]["kept_n"] == 0:
            return None
        k = ch[c]
        work = (k["kept"] - k["relax"] - k["gap"] - k["relaxed_n"] * k["gap_min"]
                - k["kept_n"] * calib)
        return work / k["kept_n"]

    res = {"probe": per(CH_PROBE), "init": per(CH_INIT), "init_default": per(CH_INIT_DEFAULT),
           "qd1_read": per(CH_QD1), "qdn_submit": per(CH_SUBMIT), "qdn_poll": per(CH_POLL)}
    if CH_QD1 in ch:
        k = ch[CH_QD1]
        res["qd1_idle_iterations_per_read"] = k["relax_n"] / max(k["kept_n"], 1) + (
            k["relaxed_n"] / max(k["kept_n"], 1))
        res["idle_iteration"] = k["gap_min"] + (k["relax"] / k["relax_n"] if k["relax_n"] else 0)
    if CH_SUBMIT in ch and CH_POLL in ch:
        s, p = ch[CH_SUBMIT], ch[CH_POLL]
        # Per completed request: its submit and the poll that returned it.
        res["qdn_request"] = res["qdn_submit"] + res["qdn_poll"]
        res["qdn_idle_polls"] = p["idle_n"]
        res["qdn_idle_poll"] = (p["idle"] / p["idle_n"] - calib) if p["idle_n"] else None
    return {k: (round(v, 1) if isinstance(v, float) else v) for k, v in res.items()}


def figures(phases):
    """Microseconds, MiB/s and accesses per request from the guest's integer counts. Register
    accesses come from the first pass (through the counting wrapper), times and instructions
    from the second (plain accessor)."""
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
        }
        q = phases[name + "_regs"]
        nq = max(q["requests"], 1)
        res[name].update({
            "register_reads_per_request": round(q["reg_reads"] / nq, 3),
            "register_writes_per_request": round(q["reg_writes"] / nq, 3),
            "register_accesses_per_request": round((q["reg_reads"] + q["reg_writes"]) / nq, 3),
        })
    if "insn" in phases:
        res["instructions"] = insn_figures(phases["insn"])
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


# The reference program of the linked size: probe, init, one read and one write. Only what
# these calls reach is kept (--gc-sections from entry `ref`); `ref` itself is not counted.
REF_PROGRAM = r"""
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "virtio_blk.h"
static virtio_blk blk;
int ref(void *base, void *mem, size_t size, void *buf);
int ref(void *base, void *mem, size_t size, void *buf) {
    virtio_regs regs = virtio_mmio_regs(base);
    virtio_transport t;
    virtio_blk_params p = {0, 0};
    int r = virtio_mmio_transport(&t, &regs);
    if (r == 0) r = virtio_blk_init(&blk, &t, &p, mem, size);
    if (r == 0) r = virtio_blk_read(&blk, 0, buf, 512);
    if (r == 0) r = virtio_blk_write(&blk, 0, buf, 512);
    return r;
}
"""

# Configurations of the linked size: the default build, and the smallest that still reads and
# writes (every macro that leaves out something a bootloader does not need).
# VIRTIO_MINIMAL is VIRTIO_NO_LEGACY, _NO_STRINGS, _NO_PACKED, _NO_INDIRECT, _NO_EVENT_IDX,
# _NO_FDT, _NO_FAST_PATH, VIRTIO_BLK_MINIMAL and VIRTIO_BLK_NO_RESIZE_CHECK; VIRTIO_MMIO_ONLY
# (not part of it: it leaves out virtio-pci) drops the transport table. examples/blk_min.c is
# this configuration on QEMU.
SMALLEST = ["-DVIRTIO_MINIMAL", "-DVIRTIO_MMIO_ONLY"]
CONFIGS = {"default": [], "smallest": SMALLEST}


def linked_sizes(build):
    """.text + .rodata (every .text*, .rodata*, .srodata* section) of core + blk as linked into
    REF_PROGRAM: gcc -Os -march=rv64imac -mabi=lp64 -ffreestanding -ffunction-sections
    -fdata-sections, linked with -nostdlib --gc-sections -e ref, minus the bytes of `ref`."""
    work = build / "bench-size"
    work.mkdir(parents=True, exist_ok=True)
    src = work / "ref.c"
    src.write_text(REF_PROGRAM)
    out = {}
    for name, defs in CONFIGS.items():
        elf = work / "ref-{}.elf".format(name)
        subprocess.run([CC, "-Os", "-march=rv64imac", "-mabi=lp64", "-ffreestanding",
                        "-ffunction-sections", "-fdata-sections", "-nostdlib",
                        "-Wl,--gc-sections", "-Wl,-e,ref", "-Wl,--no-warn-rwx-segments", "-I", str(ROOT)] + defs
                       + [str(src), "-o", str(elf)], check=True)
        sysv = subprocess.run([SIZE, "-A", str(elf)], check=True, capture_output=True,
                              text=True).stdout
        text = sum(int(m.group(2)) for m in
                   re.finditer(r"^(\.text\S*|\.s?rodata\S*)\s+(\d+)", sysv, re.M))
        nm = subprocess.run(["riscv64-unknown-elf-nm", "-S", str(elf)], check=True,
                            capture_output=True, text=True).stdout
        ref = sum(int(m.group(1), 16) for m in re.finditer(r"^\S+ (\S+) T ref$", nm, re.M))
        out[name] = {"text_and_rodata": text - ref, "flags": " ".join(defs)}
    return out


def build_plugin(build):
    """tests/qemu/plugin/insn_count.c as a shared object (host gcc); None if that fails."""
    so = build / "insn_count.so"
    src = ROOT / "tests" / "qemu" / "plugin" / "insn_count.c"
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        r = subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror",
                            "-o", str(so), str(src)])
        if r.returncode != 0:
            return None
    return so


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--no-build", action="store_true", help="do not run make first")
    ap.add_argument("--runs", type=int, default=3, help="boots per transport; medians reported")
    ap.add_argument("--no-plugin", action="store_true", help="no instruction counts")
    ap.add_argument("--size-only", action="store_true", help="code sizes only, no QEMU")
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()

    if not args.no_build:
        r = subprocess.run(["make", "-s", "BUILD=" + args.build,
                            str(Path(args.build) / "riscv64" / "bench.elf")], cwd=ROOT)
        if r.returncode != 0:
            print("bench: building bench.elf failed")
            return 1

    if args.size_only:
        res = {"code_size": code_sizes(build), "linked_size": linked_sizes(build)}
        print(json.dumps(res, indent=2))
        return 0
    plugin = None
    if not args.no_plugin:
        plugin = build_plugin(build)
        if plugin is None:
            print("bench: building the instruction-count plugin failed")
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
    for transport in VARIANTS:
        runs = []
        for _ in range(max(1, args.runs)):
            phases, err = run_guest(build, transport, image, plugin)
            if err:
                errors.append("{}: {}".format(transport, err))
                break
            runs.append(figures(phases))
        if runs:
            results["transports"][transport] = median_of(runs)
    try:
        results["code_size"] = code_sizes(build)
        results["linked_size"] = linked_sizes(build)
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
    cols = [c for c in VARIANTS if c in t]
    print("virtio.h benchmark: {} (TCG), riscv64 virt, virtio-blk, 4 KiB reads".format(res["qemu"]))
    print("columns: legacy = virtio-mmio v1; modern = v2, split ring; packed = packed=on; "
          "-noind = indirect_desc=off")
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
        print("{:<46}".format("features negotiated")
              + "".join("{:>12}".format(t[c]["features"]) for c in cols))
        print("{:<46}".format("requests measured (depth 1 / in flight)")
              + "".join("{:>12}".format("{}/{}".format(t[c]["qd1"]["requests"],
                                                       t[c]["qdn"]["requests"])) for c in cols))
    if cols and "instructions" in t[cols[0]]:
        print("\nguest instructions (QEMU plugin tests/qemu/plugin/insn_count.c, exact; idle "
              "polling taken out)")
        print("{:<46}".format("") + "".join("{:>12}".format(c) for c in cols))
        for label, key in (("probe (virtio_mmio_transport)", "probe"),
                           ("block device init (queue 256, 64 requests)", "init"),
                           ("block device init (default params)", "init_default"),
                           ("4 KiB read, queue depth 1", "qd1_read"),
                           ("  idle wait iterations per read (apart)", "qd1_idle_iterations_per_read"),
                           ("  one idle wait iteration (apart)", "idle_iteration"),
                           ("per request, many in flight (submit + poll)", "qdn_request"),
                           ("  submit", "qdn_submit"),
                           ("  poll that returns a request", "qdn_poll"),
                           ("  empty poll (apart)", "qdn_idle_poll")):
            print("{:<46}".format(label) + "".join(
                "{:>12}".format("-" if t[c]["instructions"].get(key) is None
                                else t[c]["instructions"][key]) for c in cols))
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


    linked = res.get("linked_size")
    if linked:
        print("\ncore + blk linked into a reference program (probe, init, read, write), "
              "rv64imac -Os --gc-sections: .text + .rodata bytes")
        for name, v in linked.items():
            print("{:<46}{:>12}  {}".format(name, v["text_and_rodata"], v["flags"]))


if __name__ == "__main__":
    sys.exit(main())
